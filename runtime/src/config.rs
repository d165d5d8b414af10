//! [`Config`]: every knob of an [`crate::Engine`], each documented, and the tier choice.

use std::fmt;
use std::str::FromStr;

/// Which tiers run the code (DESIGN.md §4: forced modes are strict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TierMode {
    /// Only the interpreter.
    Interp,
    /// Every function baseline-compiled before it runs (strict: a function the baseline
    /// compiler cannot handle is an error, never interpreted instead).
    Baseline,
    /// Every function compiled by Cranelift before it runs (not available yet).
    Optimized,
    /// Start in the interpreter and tier up to baseline code by hotness (calls plus loop
    /// back-edges, see [`Config::baseline_after`]), with on-stack replacement at loop headers.
    #[default]
    Tiered,
}

impl TierMode {
    /// The CLI spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TierMode::Interp => "interp",
            TierMode::Baseline => "baseline",
            TierMode::Optimized => "opt",
            TierMode::Tiered => "tiered",
        }
    }
}

impl fmt::Display for TierMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TierMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "interp" => TierMode::Interp,
            "baseline" => TierMode::Baseline,
            "opt" | "optimized" => TierMode::Optimized,
            "tiered" => TierMode::Tiered,
            other => {
                return Err(format!(
                    "unknown tier `{other}` (expected interp, baseline, opt or tiered)"
                ));
            }
        })
    }
}

/// Engine configuration. Builder methods take `&mut self` and return it, as in Wasmtime.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) tier: TierMode,
    pub(crate) max_memory_pages: u32,
    pub(crate) max_wasm_stack: usize,
    pub(crate) max_table_elements: u32,
    pub(crate) max_native_stack: usize,
    pub(crate) baseline_after: u32,
    pub(crate) bounds_checks: BoundsChecks,
}

/// How machine code checks memory accesses (the interpreter always checks explicitly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoundsChecks {
    /// Rely on each memory's 4 GiB + 32 MiB guard reservation: an out-of-bounds access faults
    /// and becomes a trap. Fastest; needs the address space.
    #[default]
    Guard,
    /// Compare every access with the memory's length (a load and a branch per access).
    Explicit,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tier: TierMode::default(),
            max_memory_pages: 65536,
            max_wasm_stack: 8 << 20,
            max_table_elements: 10_000_000,
            max_native_stack: 512 << 10,
            baseline_after: 1000,
            bounds_checks: BoundsChecks::Guard,
        }
    }
}

impl Config {
    /// The default configuration: tiered mode, 4 GiB memories, 8 MiB of wasm stack.
    pub fn new() -> Config {
        Config::default()
    }

    /// Which tiers run code.
    pub fn tier(&mut self, mode: TierMode) -> &mut Self {
        self.tier = mode;
        self
    }

    /// The largest size (in 64 KiB pages) any linear memory may reach; `memory.grow` beyond it
    /// fails (returns -1) and a module whose minimum exceeds it fails to instantiate.
    pub fn max_memory_pages(&mut self, pages: u32) -> &mut Self {
        self.max_memory_pages = pages.min(65536);
        self
    }

    /// The size in bytes of each store's slot stack (wasm frames); exhausting it traps with
    /// `call stack exhausted`.
    ///
    /// Clamped to 4 KiB ..= 1 GiB.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = bytes.clamp(4096, 1 << 30);
        self
    }

    /// Native stack that nested host → wasm → host calls may use before they trap with
    /// `call stack exhausted` (never more than the thread's own stack allows, less a margin).
    pub fn max_native_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_native_stack = bytes;
        self
    }

    /// The largest number of elements any table may reach.
    pub fn max_table_elements(&mut self, elements: u32) -> &mut Self {
        self.max_table_elements = elements;
        self
    }

    /// In tiered mode, how many calls plus loop back-edges a function runs in the interpreter
    /// before it is compiled by the baseline JIT (at least 1; 1 compiles at the first call or
    /// back-edge, the "stress" setting). Lower values reach machine code sooner at the cost of
    /// compiling functions that would have finished quickly interpreted.
    pub fn baseline_after(&mut self, count: u32) -> &mut Self {
        self.baseline_after = count.clamp(1, i32::MAX as u32);
        self
    }

    /// How machine code checks memory accesses (see [`BoundsChecks`]).
    pub fn bounds_checks(&mut self, checks: BoundsChecks) -> &mut Self {
        self.bounds_checks = checks;
        self
    }

    /// The configured tier mode.
    pub fn tier_mode(&self) -> TierMode {
        self.tier
    }
}
