//! [`Config`]: every knob of an [`crate::Engine`], each documented, and the tier choice.

pub use tierup_abi::{BoundsChecks, Features};

use std::fmt;
use std::str::FromStr;

use crate::jit::tuning::{
    DEFAULT_BASELINE_AFTER, DEFAULT_MAX_CODE_MEMORY, DEFAULT_OPT_AFTER, DEFAULT_OPT_QUEUE,
    MAX_DEFAULT_COMPILE_THREADS,
};

/// Which tiers run the code (DESIGN.md §4: forced modes are strict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TierMode {
    /// Only the interpreter.
    Interp,
    /// Every function baseline-compiled before it runs (strict: a function the baseline
    /// compiler cannot handle is an error, never interpreted instead).
    Baseline,
    /// Every function compiled by Cranelift before it runs (strict, like `Baseline`).
    Optimized,
    /// Start in the lowest of the enabled tiers ([`Config::tiers`], default all three) and
    /// move functions up by hotness: interpreter → baseline after [`Config::baseline_after`]
    /// calls plus loop back-edges (with on-stack replacement at loop headers), then →
    /// Cranelift after [`Config::opt_after`] more, compiled on background threads and
    /// patched in while the program runs.
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

/// Which tiers a tiered run may use (`--tiers interp,baseline,opt`). Functions start in the
/// lowest enabled tier: lazily in the interpreter, or compiled eagerly when the interpreter is
/// off; they move up through the others by hotness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tiers {
    /// The interpreter.
    pub interp: bool,
    /// The baseline JIT.
    pub baseline: bool,
    /// The optimizing JIT (Cranelift).
    pub opt: bool,
}

impl Default for Tiers {
    fn default() -> Self {
        Tiers {
            interp: true,
            baseline: true,
            opt: true,
        }
    }
}

impl fmt::Display for Tiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = [
            (self.interp, "interp"),
            (self.baseline, "baseline"),
            (self.opt, "opt"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
        f.write_str(&names.join(","))
    }
}

impl FromStr for Tiers {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut tiers = Tiers {
            interp: false,
            baseline: false,
            opt: false,
        };
        for name in s.split(',').map(str::trim) {
            match name {
                "interp" => tiers.interp = true,
                "baseline" => tiers.baseline = true,
                "opt" | "optimized" => tiers.opt = true,
                other => {
                    return Err(format!(
                        "unknown tier `{other}` in a tier list (expected interp, baseline, opt)"
                    ));
                }
            }
        }
        if !(tiers.interp || tiers.baseline || tiers.opt) {
            return Err("the tier list is empty".into());
        }
        Ok(tiers)
    }
}

/// Engine configuration. Builder methods take `&mut self` and return it, as in Wasmtime.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) tier: TierMode,
    pub(crate) max_memory_pages: u32,
    pub(crate) max_wasm_stack: usize,
    pub(crate) max_table_elements: u32,
    pub(crate) baseline_after: u32,
    pub(crate) bounds_checks: BoundsChecks,
    pub(crate) opt_after: u32,
    /// `None`: [`default_compile_threads`], worked out only when threads are started (it
    /// reads cgroup files: a dozen system calls a short interpreted run does not need).
    pub(crate) compile_threads: Option<usize>,
    pub(crate) opt_queue_capacity: usize,
    pub(crate) max_code_memory: usize,
    pub(crate) tiers: Tiers,
    pub(crate) features: Features,
    pub(crate) consume_fuel: bool,
    pub(crate) epoch_interruption: bool,
    pub(crate) opt_loops: tierup_optimizer::LoopSettings,
    pub(crate) code_cache: Option<std::path::PathBuf>,
    pub(crate) code_cache_warm_start: bool,
    pub(crate) code_cache_max_size: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tier: TierMode::default(),
            max_memory_pages: 65536,
            max_wasm_stack: 8 << 20,
            max_table_elements: 10_000_000,
            baseline_after: DEFAULT_BASELINE_AFTER,
            bounds_checks: BoundsChecks::Guard,
            opt_after: DEFAULT_OPT_AFTER,
            compile_threads: None,
            opt_queue_capacity: DEFAULT_OPT_QUEUE,
            max_code_memory: DEFAULT_MAX_CODE_MEMORY,
            tiers: Tiers::default(),
            features: Features::default(),
            consume_fuel: false,
            epoch_interruption: false,
            opt_loops: tierup_optimizer::LoopSettings::default(),
            code_cache: None,
            code_cache_warm_start: true,
            code_cache_max_size: crate::code_cache::DEFAULT_MAX_SIZE,
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

    /// The size in bytes of each store's wasm stack; exhausting it traps with `call stack
    /// exhausted` ([`crate::TrapCode::StackOverflow`]). Default 8 MiB; clamped to 4 KiB ..= 1 GiB.
    ///
    /// **One setting bounds every tier**: a call depth that succeeds in the interpreter succeeds
    /// in every tier, so a recursion never starts to trap because its functions tiered up.
    /// Interpreted frames live on the slot stack of this size (and there are at most
    /// `MAX_FRAMES` = 100,000 of them per entry); machine code uses the same slot frames plus
    /// native frames, on a native stack that the runtime derives from this setting:
    /// 2 × `bytes` + 100,000 × 512 bytes (the largest fixed native cost of a frame in any tier,
    /// or of switching between the interpreter and machine code) + 1 MiB for host functions and
    /// runtime code running on it, about 66 MiB of address space at the default. It is
    /// reserved per store (pooled per thread, like the slot stack) but committed only where
    /// touched, and every outermost call into wasm switches to it, so the depth wasm reaches
    /// does not depend on the calling thread's stack either (a thread with a 256 KiB stack
    /// recurses as deep as the main thread). Machine code may go deeper than the interpreter
    /// before it traps; never less deep.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = bytes.clamp(4096, 1 << 30);
        self
    }

    /// Formerly the native stack that machine code and nested host → wasm → host calls could
    /// use on the calling thread's stack. Wasm now runs on a native stack of its own, sized from
    /// [`Config::max_wasm_stack`] so that every tier reaches the same call depth; this setting
    /// has no effect.
    #[deprecated(
        since = "0.1.0",
        note = "wasm runs on its own native stack, sized from `max_wasm_stack`; this has no effect"
    )]
    pub fn max_native_stack(&mut self, _bytes: usize) -> &mut Self {
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

    /// In tiered mode, how many calls plus loop back-edges a function runs in the tier below
    /// the optimizer (baseline code, or the interpreter when baseline is off) before it is
    /// queued for Cranelift (at least 1; 1 is the "stress" setting).
    pub fn opt_after(&mut self, count: u32) -> &mut Self {
        self.opt_after = count.clamp(1, i32::MAX as u32);
        self
    }

    /// How many background threads compile with Cranelift (at least 1; default: one less
    /// than the machine's hardware threads, between 1 and 4). They start at a module's first
    /// tier-up decision and stop when the engine and its modules are dropped.
    pub fn compile_threads(&mut self, threads: usize) -> &mut Self {
        self.compile_threads = Some(threads.clamp(1, 64));
        self
    }

    /// How many copies of the body of each small innermost loop (at most 32 operators, no
    /// calls) optimized code makes (1 to 8; default 1: no unrolling). Only the
    /// first copy polls for interrupts, so a loop pays for the poll once per `copies`
    /// iterations (README, *Loop polls*). Not with fuel, which charges at every loop header.
    pub fn opt_loop_copies(&mut self, copies: u8) -> &mut Self {
        self.opt_loops.copies = copies.clamp(1, 8);
        self
    }

    /// How many iterations a counted innermost loop of optimized code (one that steps a
    /// counter by one and compares it with a bound it does not change, `i32.lt_u`, `lt_s`
    /// or `ne`) runs between two interrupt polls (default 1024; 0 polls at every loop
    /// header). Its header polls and works out where the strip ends, and the loop's
    /// back-edge compares with that instead of the bound (HotSpot's loop strip mining), so
    /// the iterations in between pay nothing for interruptibility.
    pub fn opt_poll_strip(&mut self, iterations: u32) -> &mut Self {
        self.opt_loops.poll_strip = iterations.min(1 << 20);
        self
    }

    /// How many functions may wait for the optimizer at once (at least 1). A hot function
    /// that finds the queue full keeps running in its tier and asks again later.
    pub fn opt_queue_capacity(&mut self, jobs: usize) -> &mut Self {
        self.opt_queue_capacity = jobs.max(1);
        self
    }

    /// Meter execution with fuel (as Wasmtime's `consume_fuel`): every wasm operator but
    /// `nop`, `drop`, `block`, `loop`, `end` and `else` costs one unit, paid per straight-line
    /// segment at its start, at the same points in every tier (`tierup_abi::metering`), so a
    /// program runs out at the same instruction whatever tier runs it. A store starts with
    /// no fuel: give it some with [`crate::Store::set_fuel`]. Running out traps with
    /// [`crate::TrapCode::OutOfFuel`].
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Self {
        self.consume_fuel = enable;
        self
    }

    /// Deliver epoch deadlines (as Wasmtime's `epoch_interruption`): a store given a
    /// deadline with [`crate::Store::set_epoch_deadline`] stops (or calls its
    /// [`crate::Store::epoch_deadline_callback`]) at the first function entry or loop header
    /// after [`crate::Engine::increment_epoch`] reaches it. The check is the one every
    /// tier makes for interrupt handles anyway: free in the interpreter and baseline code; in
    /// optimized code its slow path becomes a call that may return, which constrains register
    /// allocation around loop headers (noticeable in SIMD loops, as in Wasmtime).
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Self {
        self.epoch_interruption = enable;
        self
    }

    /// What the tiers add to compiled code for fuel and epochs.
    pub(crate) fn instrumentation(&self) -> tierup_abi::Instrumentation {
        tierup_abi::Instrumentation {
            consume_fuel: self.consume_fuel,
            epoch_interruption: self.epoch_interruption,
        }
    }

    /// The most memory, in bytes, that the machine code of all the engine's modules may take
    /// together (default 1 GiB): code, stubs and wrappers, counted in the pages they commit,
    /// and given back when a module is dropped. A forced tier ([`TierMode::Baseline`],
    /// [`TierMode::Optimized`]) that would exceed it fails to compile the module with an error
    /// naming the limit; in tiered mode a function whose code does not fit stays in its tier
    /// (an optimizer failure says why, in [`crate::ModuleStats::opt_failures`]).
    pub fn max_code_memory(&mut self, bytes: usize) -> &mut Self {
        self.max_code_memory = bytes;
        self
    }

    /// Keep the optimizer's code in an on-disk cache under `dir` (`None`, the default: no
    /// cache). A function the optimizer compiled once is then loaded instead of compiled the
    /// next time the same module (same bytes, same engine settings, same build of tierup on
    /// the same CPU) gets it hot, in this process or a later one; tiering itself is
    /// unchanged (the same thresholds, the same tiers), only the compile is skipped. The CLI
    /// uses [`crate::default_code_cache_dir`] unless told `--cache off`. The directory is
    /// trusted as the program is: what it holds runs as machine code.
    pub fn code_cache(&mut self, dir: Option<std::path::PathBuf>) -> &mut Self {
        self.code_cache = dir;
        self
    }

    /// The code cache's directory, if there is one ([`Config::code_cache`]).
    pub fn code_cache_dir(&self) -> Option<&std::path::Path> {
        self.code_cache.as_deref()
    }

    /// With a code cache ([`Config::code_cache`]) in a tiered mode: whether a new module
    /// starts with the optimized code the cache holds for its functions (default on). A
    /// background worker installs it right after `Module::new` returns, while the program
    /// starts in the interpreter, so functions that got hot in an earlier run start in
    /// optimized code instead of climbing the tiers again (V8's code cache); the others tier
    /// up as usual. Off: cached code is loaded only when a function gets hot, in place of
    /// compiling it.
    pub fn code_cache_warm_start(&mut self, enable: bool) -> &mut Self {
        self.code_cache_warm_start = enable;
        self
    }

    /// The most bytes the code cache's directory ([`Config::code_cache`]) may hold (default
    /// [`crate::code_cache::DEFAULT_MAX_SIZE`], 1 GiB, as Wasmtime's cache). A run that
    /// writes to the cache then removes the least recently used modules' files beyond it,
    /// once per process ([`crate::code_cache::prune`]).
    pub fn code_cache_max_size(&mut self, bytes: u64) -> &mut Self {
        self.code_cache_max_size = bytes;
        self
    }

    /// Whether modules may use fixed-width SIMD (`v128`; default on).
    pub fn wasm_simd(&mut self, enable: bool) -> &mut Self {
        self.features.simd = enable;
        self
    }

    /// Whether modules may use relaxed SIMD (WebAssembly 3.0; needs [`Config::wasm_simd`];
    /// default on).
    pub fn wasm_relaxed_simd(&mut self, enable: bool) -> &mut Self {
        self.features.relaxed_simd = enable;
        self
    }

    /// Whether modules may have several memories (WebAssembly 3.0's multi-memory; default on).
    pub fn wasm_multi_memory(&mut self, enable: bool) -> &mut Self {
        self.features.multi_memory = enable;
        self
    }

    /// The WebAssembly features modules may use.
    pub fn features(&self) -> Features {
        self.features
    }

    /// Which tiers a tiered run may use (see [`Tiers`]).
    pub fn tiers(&mut self, tiers: Tiers) -> &mut Self {
        self.tiers = tiers;
        self
    }

    /// The configured tier mode.
    pub fn tier_mode(&self) -> TierMode {
        self.tier
    }

    /// The tiers functions may run in under this configuration: the forced tier, or
    /// [`Config::tiers`] in tiered mode.
    pub fn effective_tiers(&self) -> Tiers {
        let only = |interp, baseline, opt| Tiers {
            interp,
            baseline,
            opt,
        };
        match self.tier {
            TierMode::Interp => only(true, false, false),
            TierMode::Baseline => only(false, true, false),
            TierMode::Optimized => only(false, false, true),
            TierMode::Tiered => self.tiers,
        }
    }
}

/// One less than the hardware threads, between 1 and 4: leave a core to the program.
pub(crate) fn default_compile_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get().saturating_sub(1))
        .clamp(1, MAX_DEFAULT_COMPILE_THREADS)
}
