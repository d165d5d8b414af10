//! Differential testing: run one module in every tier mode and in independent engines, and
//! compare everything that can be observed.
//!
//! The module generator (wasm-smith) and the wasmi oracle live in `tests/differential.rs`,
//! because they are dev-dependencies; everything engine-neutral lives here:
//!
//! - [`Prng`]: a small seeded generator (SplitMix64) for module bytes and call arguments.
//! - [`Plan`]: what to do with a module, derived from its exports: which functions to call,
//!   in order, with which arguments ([`PlannedCall`]), and which exported memories, globals
//!   and tables to snapshot after each call ([`StateExport`]).
//! - [`Run`]: what one engine observed while following a plan: how instantiation went
//!   ([`Instantiation`]), then per call the [`Outcome`] and the state snapshot
//!   ([`StateItem`]s). [`run_tierup`] produces one for a tier mode ([`TIER_MODES`]);
//!   [`run_v8`] one from V8 (`node`), and the wasmi runner in the test another.
//! - [`compare`]: the first step at which two engines' runs disagree, [`compare_tiers`] the
//!   same for two tier modes (stricter, see below); [`check_module`] applies the rules below
//!   and returns a [`ModuleReport`].
//! - Host functions ([`HOST_FUNCS`], module [`HOST_MODULE`]): generated modules may import
//!   them ([`with_host_imports`] sets wasm-smith's `available_imports`). Their behaviour is
//!   one engine-neutral function ([`host_behaviour`]): arithmetic over every value type
//!   (`v128`, multi-value and references included), errors ([`HostFailure`], which end the
//!   call as [`Outcome::HostFailed`]) and `host.reenter`, which calls an export of the same
//!   instance (host → wasm → host → wasm, at most [`MAX_REENTRY_DEPTH`] deep). Every engine
//!   logs each host call with its arguments ([`HostState::log`]) and the logs are compared.
//!   tierup's are defined by [`tierup_linker`], wasmi's in the test; V8 gets no imports, so
//!   modules with imports are compared with wasmi only (a disagreement stays unresolved).
//! - Hot plans ([`Plan::hot`]): each call repeated, and settle points where the tiered rows
//!   wait for the optimizer queue to drain ([`Plan::settle_at`], [`Plan::host_settles`]), so
//!   that optimized code really runs; [`Run::reach`] says how far each run got
//!   ([`TierReach`], from `Module::stats`).
//!
//! # The rules
//! - Every tier mode must observe *exactly* the same run: any disagreement is a tierup bug.
//! - wasmi is an independent oracle, but wasmi 2.0 has known bugs (it is wrong on some
//!   multi-value `br_table` code, see `fuzz-regressions/wasmi-br-table-multi-value.wat`). So
//!   a disagreement between tierup and wasmi is settled by V8: it is a tierup bug only if V8
//!   sides with wasmi; if V8 sides with tierup it is a *wasmi discrepancy*, reported and
//!   ignored; if V8 is not installed or sides with neither, it is reported as unresolved.
//!
//! # What counts as equal
//! - Floats are compared bit for bit, except that every NaN equals every NaN ([`Value`]
//!   canonicalises them). The generator canonicalises NaNs before they reach memory, so
//!   memory is compared bit for bit.
//! - References are compared by null-ness only (function identity is engine-private).
//! - Traps by [`TrapCode`]; V8 reports messages, and one it does not map to a code agrees
//!   with any trap.
//! - Memories by size and an FNV-1a hash of their bytes, tables by size and the pattern of
//!   null entries.
//!
//! - Between tier modes ([`compare_tiers`]) also the innermost [`BACKTRACE_FRAMES_COMPARED`]
//!   function indices of every trap's and host failure's backtrace, trap codes exactly, and
//!   (with [`COMPARE_STACK_EXHAUSTION`]) stack overflows like any other trap.
//!
//! # Hazards
//! - Some outcomes depend on limits that legitimately differ between engines: stack
//!   exhaustion, interruption by the watchdog ([`CALL_TIME_LIMIT`]), wasmi's fuel. These are
//!   [`Outcome::Skipped`] (a stack overflow is a trap compared between tier modes when
//!   [`COMPARE_STACK_EXHAUSTION`] is on, and ends the comparison with other engines): the
//!   engine stops following the plan there (the state after an interrupted call is
//!   arbitrary), and comparison stops at the first skip on either side.
//! - The watchdog interrupts a store from another thread; an interruption that lands just
//!   after a call returned leaves the store's interrupt flag set, so a call during which the
//!   watchdog fired always counts as skipped and ends the run.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::TierRow;
use tierup_runtime::{
    Caller, Config, Engine, Error, ExternType, FuncType, Instance, InterruptHandle, Linker, Module,
    Store, TierMode, TrapCode, Val, ValType,
};

/// A tier mode only the differential tests run: tiered, with the baseline JIT at the first
/// call or back-edge and the optimizer queued at the second (`--baseline-after 1
/// --opt-after 2`), so that a plan that calls each export many times (and settles, see
/// [`Plan::settle_at`]) really runs optimized code and enters it by OSR mid-call.
pub const HOT_ROW: TierRow = TierRow {
    name: "tiered-1-2",
    configure: |config| {
        config.tier(TierMode::Tiered).baseline_after(1).opt_after(2);
    },
    tiers_reached: &["interp", "baseline", "opt"],
    may_reach: &[],
};

/// Every tier mode the differential test runs each module in; all must agree exactly: every
/// row of the spec suite ([`crate::TIER_ROWS`]) and [`HOT_ROW`].
pub const TIER_MODES: &[TierRow] = &{
    let mut rows = [HOT_ROW; crate::TIER_ROWS.len() + 1];
    let mut i = 0;
    while i < crate::TIER_ROWS.len() {
        rows[i] = crate::TIER_ROWS[i];
        i += 1;
    }
    rows
};

/// Whether a stack overflow (`TrapCode::StackOverflow`) is compared between tier modes like
/// any other trap: outcome, the innermost [`BACKTRACE_FRAMES_COMPARED`] frames of the backtrace,
/// the host calls made and the state after it (DESIGN.md §8a: one stack budget for every
/// tier). Against wasmi and V8, whose limits differ, it always ends the comparison. When
/// `false`, tierup counts it as skipped (the run stops there), as it did before the budget was
/// made tier-independent.
///
/// `false` for now: on this branch the depth at which the stack runs out still depends on the
/// tier mix. Seed 83 of `tests/differential.rs` (a recursion about 1,330 calls deep that runs
/// out of wasm-level fuel in every other mode) overflows in `stress-interp-opt`, where
/// interpreter frames and optimized frames (patched in mid-plan) alternate. Turn it on when
/// the one-budget stack depth (DESIGN.md §8a) lands; `TIERUP_FUZZ_SEED=83
/// TIERUP_FUZZ_ITERS=1` is the first check.
pub const COMPARE_STACK_EXHAUSTION: bool = true;

/// Frames of a trap's (or host failure's) backtrace compared between tier modes, innermost
/// first: all of them. The runtime keeps the innermost `MAX_BACKTRACE_FRAMES` (256) of every
/// backtrace, which every tier records in full (machine code records 256 per host → wasm
/// entry, the interpreter all of its frames), so whole backtraces are the same in every tier.
pub const BACKTRACE_FRAMES_COMPARED: usize = usize::MAX;

/// How long a tiered run waits at a settle point for the optimizer queue to drain.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(2);

/// How long one call may run in tierup before the watchdog interrupts it (the call then
/// counts as skipped). Generated modules are instrumented to terminate long before this;
/// the limit only guards against runaway cases on a loaded machine.
pub const CALL_TIME_LIMIT: Duration = Duration::from_secs(2);

/// How long a whole V8 run may take before `node` is killed (the run then cannot arbitrate).
pub const NODE_TIME_LIMIT: Duration = Duration::from_secs(60);

/// A small deterministic pseudo-random generator (SplitMix64). Not for cryptography; its
/// only job is to make a seed reproduce the same modules and arguments everywhere.
#[derive(Debug, Clone)]
pub struct Prng(u64);

impl Prng {
    /// A generator whose sequence is determined by `seed`.
    pub fn new(seed: u64) -> Prng {
        Prng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` must not be 0; the tiny modulo bias does not matter here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }

    /// A value of type `ty` for an argument: often one of the values that stress edge cases
    /// (zero, ±1, extremes, ±0.0, infinities, NaN), otherwise random bits. Reference
    /// arguments are always null (the only references an embedder can pass to every engine).
    pub fn arg(&mut self, ty: ValType) -> Value {
        let special = self.below(3) != 0;
        match ty {
            ValType::I32 => {
                const EDGES: [u32; 8] = [0, 1, u32::MAX, 2, 0x7fff_ffff, 0x8000_0000, 31, 65536];
                Value::I32(if special {
                    EDGES[self.below(8) as usize]
                } else {
                    self.next_u64() as u32
                })
            }
            ValType::I64 => {
                const EDGES: [u64; 8] = [0, 1, u64::MAX, 2, i64::MAX as u64, 1 << 63, 63, 1 << 32];
                Value::I64(if special {
                    EDGES[self.below(8) as usize]
                } else {
                    self.next_u64()
                })
            }
            ValType::F32 => {
                const EDGES: [f32; 8] = [0.0, -0.0, 1.5, -1.0, f32::INFINITY, f32::NAN, 1e10, -3e9];
                Value::f32(if special {
                    EDGES[self.below(8) as usize].to_bits()
                } else {
                    self.next_u64() as u32
                })
            }
            ValType::F64 => {
                const EDGES: [f64; 8] = [
                    0.0,
                    -0.0,
                    1.5,
                    -1.0,
                    f64::NEG_INFINITY,
                    f64::NAN,
                    1e300,
                    -9.3e18,
                ];
                Value::f64(if special {
                    EDGES[self.below(8) as usize].to_bits()
                } else {
                    self.next_u64()
                })
            }
            ValType::V128 => {
                Value::V128(u128::from(self.next_u64()) << 64 | u128::from(self.next_u64()))
            }
            ValType::FuncRef | ValType::ExternRef => Value::NullRef,
        }
    }
}

// ---- The module generator (wasm-smith), shared by the test and the fuzz targets ----

/// Which SIMD instructions a generated module may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// None: WebAssembly 2.0's scalar instructions only.
    Off,
    /// Fixed-width SIMD (WebAssembly 2.0).
    Fixed,
    /// Fixed-width and relaxed SIMD (3.0).
    Relaxed,
}

impl Simd {
    /// The SIMD of the module of `seed`: a third of the modules use fixed-width SIMD and a
    /// sixth relaxed SIMD as well.
    pub fn of_seed(seed: u64) -> Simd {
        match seed % 6 {
            2 => Simd::Fixed,
            5 => Simd::Relaxed,
            _ => Simd::Off,
        }
    }
}

/// wasm-smith configured for exactly WebAssembly 2.0 (with or without its SIMD, plus relaxed
/// SIMD and multi-memory when asked), no imports, everything exported, and small modules.
///
/// With `disallow_traps`, wasm-smith guards every trapping instruction (and emits no
/// `unreachable`), so calls run to the end instead of stopping at the first of the many
/// traps random code contains; half of the modules are generated each way.
pub fn smith_config(disallow_traps: bool, simd: Simd, multi_memory: bool) -> wasm_smith::Config {
    wasm_smith::Config {
        disallow_traps,
        // WebAssembly 2.0 ...
        multi_value_enabled: true,
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        sign_extension_ops_enabled: true,
        saturating_float_to_int_enabled: true,
        simd_enabled: simd != Simd::Off,
        // ... and nothing later but relaxed SIMD.
        relaxed_simd_enabled: simd == Simd::Relaxed,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: false,
        gc_enabled: false,
        exceptions_enabled: false,
        memory64_enabled: false,
        extended_const_enabled: false,
        wide_arithmetic_enabled: false,
        custom_page_sizes_enabled: false,
        compact_imports_enabled: false,
        custom_descriptors_enabled: false,
        // A quarter of the modules have up to three memories (multi-memory), the rest one;
        // many tables (reference types); no imports to satisfy.
        max_memories: if multi_memory { 3 } else { 1 },
        max_tables: 2,
        max_imports: 0,
        // Everything observable is exported; no start function (it would run at
        // instantiation, where an endless loop could not be interrupted per call).
        export_everything: true,
        allow_start_export: false,
        // Small and fast.
        // At least one function type, or wasm-smith defines no functions at all.
        min_types: 1,
        min_funcs: 3,
        max_funcs: 10,
        max_instructions: 100,
        max_types: 16,
        max_globals: 8,
        max_data_segments: 4,
        max_element_segments: 4,
        max_elements: 16,
        max_memory32_bytes: 4 * 65536,
        memory_max_size_required: true,
        max_table_elements: 64,
        table_max_size_required: true,
        // NaN bits are nondeterministic in wasm (and may differ between tiers); make every
        // NaN canonical before it can reach memory or a reinterpretation.
        canonicalize_nans: true,
        ..wasm_smith::Config::default()
    }
}

/// Reads an unsigned LEB128 number at `*pos`, advancing it.
pub fn read_leb(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let mut value = 0u32;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        value |= u32::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Writes `value` as unsigned LEB128.
pub fn write_leb(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// `wasm` with global `index` also exported as `name`: appended to the export section, which
/// must exist (`export_everything` makes one whenever there is anything to export).
pub fn export_global(wasm: &[u8], index: u32, name: &str) -> Option<Vec<u8>> {
    const EXPORT_SECTION: u8 = 7;
    const GLOBAL_KIND: u8 = 3;
    let mut pos = 8;
    while pos < wasm.len() {
        let start = pos;
        let id = wasm[pos];
        pos += 1;
        let size = read_leb(wasm, &mut pos)? as usize;
        let body = pos;
        let end = body.checked_add(size).filter(|&end| end <= wasm.len())?;
        if id == EXPORT_SECTION {
            let mut entries_at = body;
            let count = read_leb(wasm, &mut entries_at)?;
            let mut contents = Vec::new();
            write_leb(&mut contents, count + 1);
            contents.extend_from_slice(&wasm[entries_at..end]);
            write_leb(&mut contents, u32::try_from(name.len()).ok()?);
            contents.extend_from_slice(name.as_bytes());
            contents.push(GLOBAL_KIND);
            write_leb(&mut contents, index);
            let mut out = wasm[..start].to_vec();
            out.push(EXPORT_SECTION);
            write_leb(&mut out, u32::try_from(contents.len()).ok()?);
            out.extend_from_slice(&contents);
            out.extend_from_slice(&wasm[end..]);
            return Some(out);
        }
        pos = end;
    }
    None
}

/// The export name under which [`generate_module`] exports the fuel global (wasm-smith does
/// not export it).
pub const FUEL_EXPORT: &str = "tierup-fuzz-fuel";

/// A module generated by wasm-smith with `config` from the bytes of `u`, instrumented to
/// terminate after `fuel` loop iterations plus function entries per call, and whether its
/// fuel global is exported as [`FUEL_EXPORT`] (it is whenever the module has an export
/// section, which `export_everything` makes whenever there is anything to export).
///
/// # Errors
/// wasm-smith cannot build a module from these bytes.
pub fn generate_module(
    config: wasm_smith::Config,
    u: &mut arbitrary::Unstructured<'_>,
    fuel: u32,
) -> Result<(Vec<u8>, bool), String> {
    let mut module = wasm_smith::Module::new(config, u).map_err(|e| e.to_string())?;
    let fuel_global = module.ensure_termination(fuel).map_err(|e| e.to_string())?;
    let wasm = module.to_bytes();
    Ok(match export_global(&wasm, fuel_global, FUEL_EXPORT) {
        Some(wasm) => (wasm, true),
        None => (wasm, false),
    })
}

// ---- Host functions: the imports generated modules may use ----

/// The import module name of every host function ([`HOST_FUNCS`]).
pub const HOST_MODULE: &str = "host";

/// Host calls nested inside `host.reenter` deeper than this return at once instead of
/// calling back into wasm (host → wasm → host → wasm … at most this many times).
pub const MAX_REENTRY_DEPTH: u32 = 3;

/// One host function a generated module may import from [`HOST_MODULE`].
#[derive(Debug, Clone, Copy)]
pub struct HostFuncDef {
    /// The import name.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [ValType],
    /// Result types.
    pub results: &'static [ValType],
}

impl HostFuncDef {
    /// The signature, as tierup spells it.
    pub fn ty(&self) -> FuncType {
        FuncType::new(self.params.to_vec(), self.results.to_vec())
    }
}

/// The host functions every engine provides to generated modules, with the same behaviour
/// ([`host_behaviour`]): plain arithmetic over every value type (`v128` and multi-value
/// included), errors (`trap`, `trap_if`) and re-entry (`reenter` calls an export of the
/// calling instance).
pub const HOST_FUNCS: &[HostFuncDef] = {
    use ValType::{ExternRef, F32, F64, FuncRef, I32, I64, V128};
    &[
        HostFuncDef {
            name: "add",
            params: &[I32, I32],
            results: &[I32],
        },
        HostFuncDef {
            name: "reenter",
            params: &[I32],
            results: &[I32],
        },
        HostFuncDef {
            name: "trap",
            params: &[],
            results: &[],
        },
        HostFuncDef {
            name: "trap_if",
            params: &[I32],
            results: &[I32],
        },
        HostFuncDef {
            name: "mix",
            params: &[I64, F32, F64],
            results: &[F64],
        },
        HostFuncDef {
            name: "rotl64",
            params: &[I64, I64],
            results: &[I64],
        },
        HostFuncDef {
            name: "f32",
            params: &[F32, F32],
            results: &[F32],
        },
        HostFuncDef {
            name: "swap",
            params: &[I32, I64],
            results: &[I64, I32],
        },
        HostFuncDef {
            name: "v128",
            params: &[V128, I32],
            results: &[V128],
        },
        HostFuncDef {
            name: "many",
            params: &[I32, I64, F32, F64, I32, I64, F32, F64],
            results: &[I32],
        },
        HostFuncDef {
            name: "refs",
            params: &[FuncRef, ExternRef],
            results: &[I32],
        },
    ]
};

fn valtype_byte(ty: ValType) -> u8 {
    match ty {
        ValType::I32 => 0x7f,
        ValType::I64 => 0x7e,
        ValType::F32 => 0x7d,
        ValType::F64 => 0x7c,
        ValType::V128 => 0x7b,
        ValType::FuncRef => 0x70,
        ValType::ExternRef => 0x6f,
    }
}

/// A module that only imports every [`HOST_FUNCS`] function: wasm-smith's
/// `available_imports`, from which it picks each import with probability ½.
pub fn host_imports_module() -> Vec<u8> {
    let section = |out: &mut Vec<u8>, id: u8, body: &[u8]| {
        out.push(id);
        write_leb(out, body.len() as u32);
        out.extend_from_slice(body);
    };
    let mut types = Vec::new();
    write_leb(&mut types, HOST_FUNCS.len() as u32);
    for f in HOST_FUNCS {
        types.push(0x60);
        write_leb(&mut types, f.params.len() as u32);
        types.extend(f.params.iter().map(|&t| valtype_byte(t)));
        write_leb(&mut types, f.results.len() as u32);
        types.extend(f.results.iter().map(|&t| valtype_byte(t)));
    }
    let mut imports = Vec::new();
    write_leb(&mut imports, HOST_FUNCS.len() as u32);
    for (i, f) in HOST_FUNCS.iter().enumerate() {
        for name in [HOST_MODULE, f.name] {
            write_leb(&mut imports, name.len() as u32);
            imports.extend_from_slice(name.as_bytes());
        }
        imports.push(0x00);
        write_leb(&mut imports, i as u32);
    }
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    section(&mut out, 1, &types);
    section(&mut out, 2, &imports);
    out
}

/// `config` letting the module import the host functions ([`HOST_FUNCS`]).
pub fn with_host_imports(mut config: wasm_smith::Config) -> wasm_smith::Config {
    config.available_imports = Some(host_imports_module());
    config.max_imports = HOST_FUNCS.len();
    // wasm-smith copies every type of the imports module, whether it imports the function
    // or not.
    config.max_types += HOST_FUNCS.len();
    config.max_funcs += HOST_FUNCS.len();
    config
}

/// The error a host function fails with (`host.trap`, `host.trap_if`): it ends the wasm
/// call as [`Outcome::HostFailed`] in every engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFailure(pub String);

impl fmt::Display for HostFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HostFailure {}

/// What a host function does for these arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAction {
    /// Return these values.
    Return(Vec<Value>),
    /// Fail with this error.
    Fail(HostFailure),
    /// Call this exported function of the calling instance with these arguments, and return
    /// [`reenter_result`] of its results (or fail with its trap).
    Reenter {
        /// The export to call.
        func: ExportedFunc,
        /// Its arguments.
        args: Vec<Value>,
    },
}

/// The behaviour of host function `name` (one of [`HOST_FUNCS`]) called with `args` at
/// re-entry depth `depth` by an instance whose exported functions are `funcs`: the same in
/// every engine, and a pure function of these inputs.
pub fn host_behaviour(
    name: &str,
    args: &[Value],
    funcs: &[ExportedFunc],
    depth: u32,
) -> HostAction {
    let int = |i: usize| match args.get(i) {
        Some(Value::I32(x)) => u64::from(*x),
        Some(Value::I64(x)) => *x,
        Some(Value::F32(x)) => u64::from(*x),
        Some(Value::F64(x)) => *x,
        Some(Value::V128(x)) => *x as u64,
        _ => 0,
    };
    let f32_at = |i: usize| f32::from_bits(int(i) as u32);
    let f64_at = |i: usize| f64::from_bits(int(i));
    let x = int(0) as u32;
    HostAction::Return(match name {
        "add" => vec![Value::I32(x.wrapping_add(int(1) as u32))],
        "trap" => return HostAction::Fail(HostFailure("host.trap".to_string())),
        "trap_if" if x.is_multiple_of(3) => {
            return HostAction::Fail(HostFailure(format!("host.trap_if({x})")));
        }
        "trap_if" => vec![Value::I32(x)],
        "mix" => {
            let r = int(0) as i64 as f64 * 0.5 + f64::from(f32_at(1)) - f64_at(2);
            vec![Value::f64(r.to_bits())]
        }
        "rotl64" => vec![Value::I64(int(0).rotate_left(int(1) as u32 % 64) ^ int(1))],
        "f32" => vec![Value::f32((f32_at(0) * f32_at(1) + 1.0).to_bits())],
        "swap" => vec![Value::I64(int(1) ^ u64::from(x)), Value::I32(x)],
        "v128" => {
            let v = match args.first() {
                Some(Value::V128(v)) => *v,
                _ => 0,
            };
            vec![Value::V128(v.rotate_left(int(1) as u32 % 128))]
        }
        "many" => {
            let tokens: Vec<String> = args.iter().map(Value::to_string).collect();
            vec![Value::I32(fnv1a(tokens.join(",").into_bytes()))]
        }
        "refs" => vec![Value::I32(
            args.iter().filter(|&&a| a == Value::NullRef).count() as u32,
        )],
        "reenter" if depth < MAX_REENTRY_DEPTH && !funcs.is_empty() => {
            let func = funcs[x as usize % funcs.len()].clone();
            let mut rng = Prng::new(u64::from(x));
            let args = func.params.iter().map(|&p| rng.arg(p)).collect();
            return HostAction::Reenter { func, args };
        }
        "reenter" => vec![Value::I32(x.wrapping_mul(3))],
        _ => return HostAction::Fail(HostFailure(format!("no host function `{name}`"))),
    })
}

/// What `host.reenter` returns for the results of the export it called: their hash.
pub fn reenter_result(results: &[Value]) -> Value {
    let tokens: Vec<String> = results.iter().map(Value::to_string).collect();
    Value::I32(fnv1a(tokens.join(",").into_bytes()))
}

/// The log line of a host call (`add(i32:1,i32:2)`).
pub fn host_log_entry(name: &str, args: &[Value]) -> String {
    let tokens: Vec<String> = args.iter().map(Value::to_string).collect();
    format!("{name}({})", tokens.join(","))
}

/// What the host functions of one store keep: the log of host calls of the current call,
/// the re-entry depth, and what `host.reenter` needs. Engine-neutral (`I` is the engine's
/// instance type), so that wasmi's host functions keep the same log.
#[derive(Debug)]
pub struct HostState<I> {
    /// Host calls since the last top-level call began, in order (see [`host_log_entry`];
    /// `host.reenter` adds `= <result>` or `= error` when its callee returns).
    pub log: Vec<String>,
    /// How many `host.reenter` calls are active.
    pub depth: u32,
    /// The instance's exported functions, in plan order.
    pub funcs: Arc<Vec<ExportedFunc>>,
    /// The instance, once instantiated.
    pub instance: Option<I>,
    /// tierup's tiered rows: the module, and how many more host calls may wait for its
    /// optimizer queue to drain when it has work (so that the loop around the host call
    /// continues in optimized code, entered by OSR).
    pub settle: Option<(Module, u32)>,
}

impl<I> HostState<I> {
    /// A fresh state for `plan`.
    pub fn new(plan: &Plan) -> HostState<I> {
        HostState {
            log: Vec::new(),
            depth: 0,
            funcs: Arc::new(plan.funcs.clone()),
            instance: None,
            settle: None,
        }
    }
}

/// Waits (at most [`SETTLE_LIMIT`]) until `module` has no function queued for or being
/// compiled by the optimizer.
pub fn wait_for_optimizer(module: &Module) {
    let start = Instant::now();
    while module.stats().opt_pending > 0 && start.elapsed() < SETTLE_LIMIT {
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// A host call's settle point: while the budget lasts, a host call made while the optimizer
/// has work queued waits for it (and uses up one unit).
fn settle(state: &mut HostState<Instance>) {
    if let Some((module, budget)) = &mut state.settle
        && *budget > 0
        && module.stats().opt_pending > 0
    {
        *budget -= 1;
        wait_for_optimizer(module);
    }
}

/// A host function for tierup over dynamically typed values.
type TierupHostFn = Box<
    dyn Fn(Caller<'_, HostState<Instance>>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync,
>;

/// The host function `def` for tierup.
fn tierup_host_func(def: HostFuncDef) -> TierupHostFn {
    Box::new(move |mut caller, params, results| {
        let args: Vec<Value> = params.iter().map(Value::from_tierup).collect();
        settle(caller.data_mut());
        let state = caller.data_mut();
        state.log.push(host_log_entry(def.name, &args));
        let values = match host_behaviour(def.name, &args, &state.funcs, state.depth) {
            HostAction::Return(values) => values,
            HostAction::Fail(failure) => return Err(Error::new(failure)),
            HostAction::Reenter { func, args } => {
                let callee = state
                    .instance
                    .ok_or_else(|| Error::new(HostFailure("no instance".to_string())))?
                    .get_func(&mut caller, &func.name)
                    .ok_or_else(|| Error::new(HostFailure(format!("no `{}`", func.name))))?;
                let params: Vec<Val> = args
                    .iter()
                    .zip(&func.params)
                    .map(|(a, &t)| a.to_tierup(t))
                    .collect();
                let mut out: Vec<Val> = func.results.iter().map(|&t| Val::default_of(t)).collect();
                caller.data_mut().depth += 1;
                let called = callee.call(&mut caller, &params, &mut out);
                caller.data_mut().depth -= 1;
                if let Err(e) = called {
                    caller.data_mut().log.push("= error".to_string());
                    return Err(e);
                }
                let result =
                    reenter_result(&out.iter().map(Value::from_tierup).collect::<Vec<_>>());
                caller.data_mut().log.push(format!("= {result}"));
                vec![result]
            }
        };
        for ((slot, value), &ty) in results.iter_mut().zip(values).zip(def.results) {
            *slot = value.to_tierup(ty);
        }
        Ok(())
    })
}

/// A linker that defines every [`HOST_FUNCS`] function for tierup (`host.add` through the
/// typed `func_wrap`, the others through `func_new`).
pub fn tierup_linker(engine: &Engine) -> Result<Linker<HostState<Instance>>, Error> {
    let mut linker = Linker::new(engine);
    for def in HOST_FUNCS {
        if def.name == "add" {
            linker.func_wrap(
                HOST_MODULE,
                "add",
                |mut caller: Caller<'_, HostState<Instance>>, a: i32, b: i32| -> i32 {
                    settle(caller.data_mut());
                    let args = [Value::I32(a as u32), Value::I32(b as u32)];
                    caller.data_mut().log.push(host_log_entry("add", &args));
                    a.wrapping_add(b)
                },
            )?;
        } else {
            linker.func_new(HOST_MODULE, def.name, def.ty(), tierup_host_func(*def))?;
        }
    }
    Ok(linker)
}

/// An observable value, in a form every engine can produce and compare.
///
/// Integers are their bits; floats are their bits with every NaN replaced by the canonical
/// quiet NaN (construct floats with [`Value::f32`] / [`Value::f64`]); references are only
/// null or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// An `i32`, as bits.
    I32(u32),
    /// An `i64`, as bits.
    I64(u64),
    /// An `f32`, as bits (NaNs canonical).
    F32(u32),
    /// An `f64`, as bits (NaNs canonical).
    F64(u64),
    /// A `v128`, as bits.
    V128(u128),
    /// A null reference of either type.
    NullRef,
    /// A non-null reference of either type.
    NonNullRef,
}

impl Value {
    /// An `f32` from its bits, with any NaN made canonical.
    pub fn f32(bits: u32) -> Value {
        if f32::from_bits(bits).is_nan() {
            Value::F32(0x7fc0_0000)
        } else {
            Value::F32(bits)
        }
    }

    /// An `f64` from its bits, with any NaN made canonical.
    pub fn f64(bits: u64) -> Value {
        if f64::from_bits(bits).is_nan() {
            Value::F64(0x7ff8_0000_0000_0000)
        } else {
            Value::F64(bits)
        }
    }

    /// The value as tierup passes it, for a parameter of type `ty`.
    pub fn to_tierup(self, ty: ValType) -> Val {
        match (self, ty) {
            (Value::I32(x), _) => Val::I32(x as i32),
            (Value::I64(x), _) => Val::I64(x as i64),
            (Value::F32(x), _) => Val::F32(x),
            (Value::F64(x), _) => Val::F64(x),
            (Value::V128(x), _) => Val::V128(x.into()),
            (_, ValType::ExternRef) => Val::ExternRef(None),
            // Non-null references are never passed (see `Prng::arg`).
            (_, _) => Val::FuncRef(None),
        }
    }

    /// The value tierup produced.
    pub fn from_tierup(val: &Val) -> Value {
        match val {
            Val::I32(x) => Value::I32(*x as u32),
            Val::I64(x) => Value::I64(*x as u64),
            Val::F32(x) => Value::f32(*x),
            Val::F64(x) => Value::f64(*x),
            Val::V128(x) => Value::V128(x.as_u128()),
            Val::FuncRef(r) => Value::reference(r.is_none()),
            Val::ExternRef(r) => Value::reference(r.is_none()),
        }
    }

    /// A reference, null or not.
    pub fn reference(is_null: bool) -> Value {
        if is_null {
            Value::NullRef
        } else {
            Value::NonNullRef
        }
    }

    /// Parses the text form written by [`fmt::Display`] (`i32:7`, `f64:nan`, `ref:null`).
    pub fn parse(token: &str) -> Option<Value> {
        let (ty, bits) = token.split_once(':')?;
        Some(match (ty, bits) {
            ("ref", "null") => Value::NullRef,
            ("ref", "some") => Value::NonNullRef,
            ("f32", "nan") => Value::f32(f32::NAN.to_bits()),
            ("f64", "nan") => Value::f64(f64::NAN.to_bits()),
            ("i32", _) => Value::I32(bits.parse().ok()?),
            ("i64", _) => Value::I64(bits.parse().ok()?),
            ("f32", _) => Value::f32(bits.parse().ok()?),
            ("f64", _) => Value::f64(bits.parse().ok()?),
            ("v128", _) => Value::V128(bits.parse().ok()?),
            _ => return None,
        })
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::I32(x) => write!(f, "i32:{x}"),
            Value::I64(x) => write!(f, "i64:{x}"),
            Value::F32(x) if f32::from_bits(x).is_nan() => write!(f, "f32:nan"),
            Value::F64(x) if f64::from_bits(x).is_nan() => write!(f, "f64:nan"),
            Value::F32(x) => write!(f, "f32:{x}"),
            Value::F64(x) => write!(f, "f64:{x}"),
            Value::V128(x) => write!(f, "v128:{x}"),
            Value::NullRef => write!(f, "ref:null"),
            Value::NonNullRef => write!(f, "ref:some"),
        }
    }
}

/// One call of a plan: an exported function, its arguments and its result types.
#[derive(Debug, Clone)]
pub struct PlannedCall {
    /// The export name.
    pub export: String,
    /// The parameter types.
    pub params: Vec<ValType>,
    /// The arguments, one per parameter.
    pub args: Vec<Value>,
    /// The result types.
    pub results: Vec<ValType>,
}

/// What kind of export a [`StateExport`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    /// A linear memory.
    Memory,
    /// A global of this type.
    Global(ValType),
    /// A table.
    Table,
}

/// An exported memory, global or table whose contents are snapshotted after every call.
#[derive(Debug, Clone)]
pub struct StateExport {
    /// The export name.
    pub name: String,
    /// What it is.
    pub kind: StateKind,
}

/// Wasm-level fuel: an exported mutable `i32` global that modules instrumented to terminate
/// count down (trapping with `unreachable` at zero), refilled before every call so that one
/// endless loop does not starve every later call.
#[derive(Debug, Clone)]
pub struct Fuel {
    /// The export name of the global.
    pub global: String,
    /// The value it is set to before each call.
    pub amount: i32,
}

/// An exported function (what `host.reenter` may call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFunc {
    /// The export name.
    pub name: String,
    /// The parameter types.
    pub params: Vec<ValType>,
    /// The result types.
    pub results: Vec<ValType>,
}

/// What to do with one module: the calls, in order, and the state to snapshot after each.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The calls, in order, all in one instance.
    pub calls: Vec<PlannedCall>,
    /// The exports snapshotted after each call, in this order.
    pub state: Vec<StateExport>,
    /// The fuel global to refill before each call, if the module has one.
    pub fuel: Option<Fuel>,
    /// The exported functions, in export order.
    pub funcs: Vec<ExportedFunc>,
    /// Whether the module has imports (then V8, which has no host functions, is not run).
    pub has_imports: bool,
    /// Tiered rows only: before this call, wait for the optimizer queue to drain (at most
    /// [`SETTLE_LIMIT`]), so that the calls after it run optimized code.
    pub settle_at: Option<usize>,
    /// Tiered rows only: how many host calls in a run wait for the optimizer queue to drain
    /// before they return, so that the wasm loop around them continues in optimized code
    /// (entered by OSR at its next back-edge).
    pub host_settles: u32,
}

impl Plan {
    /// The plan for `wasm`: every exported function called `rounds` times, in export order
    /// (round after round), with arguments drawn from `Prng::new(seed)`.
    ///
    /// # Errors
    /// tierup cannot compile the module; the caller then uses an empty plan, and the runs
    /// compare only whether the module instantiates.
    pub fn new(wasm: &[u8], seed: u64, rounds: usize) -> Result<Plan, tierup_runtime::Error> {
        let engine = Engine::new(&Config::new())?;
        let module = Module::new(&engine, wasm)?;
        let mut rng = Prng::new(seed);
        let mut funcs = Vec::new();
        let mut state = Vec::new();
        let has_imports = module.imports().len() > 0;
        for export in module.exports() {
            let name = export.name().to_string();
            match export.ty() {
                ExternType::Func(ty) => funcs.push((name, ty)),
                ExternType::Memory(_) => state.push(StateExport {
                    name,
                    kind: StateKind::Memory,
                }),
                ExternType::Global(ty) => state.push(StateExport {
                    name,
                    kind: StateKind::Global(ty.content()),
                }),
                ExternType::Table(_) => state.push(StateExport {
                    name,
                    kind: StateKind::Table,
                }),
            }
        }
        let mut calls = Vec::new();
        for _ in 0..rounds {
            for (name, ty) in &funcs {
                calls.push(PlannedCall {
                    export: name.clone(),
                    params: ty.params().to_vec(),
                    args: ty.params().iter().map(|&p| rng.arg(p)).collect(),
                    results: ty.results().to_vec(),
                });
            }
        }
        let funcs = funcs
            .iter()
            .map(|(name, ty)| ExportedFunc {
                name: name.clone(),
                params: ty.params().to_vec(),
                results: ty.results().to_vec(),
            })
            .collect();
        Ok(Plan {
            calls,
            state,
            fuel: None,
            funcs,
            has_imports,
            settle_at: None,
            host_settles: 0,
        })
    }

    /// This plan made "hot": every call repeated `times` times in a row (so that loops and
    /// callees turn hot within one stretch of calls), with a settle point half-way and
    /// `host_settles` host calls that wait for the optimizer (see [`Plan::settle_at`]).
    pub fn hot(mut self, times: usize, host_settles: u32) -> Plan {
        self.calls = self
            .calls
            .iter()
            .flat_map(|call| std::iter::repeat_n(call.clone(), times))
            .collect();
        self.settle_at = Some(self.calls.len() / 2);
        self.host_settles = host_settles;
        self
    }
}

/// How instantiation went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instantiation {
    /// The module compiled and instantiated.
    Instantiated,
    /// The module failed to compile or link (the message is for people).
    Rejected(String),
    /// Instantiation trapped (an active segment out of bounds); `None` if the engine does not
    /// say which trap.
    Trapped(Option<TrapCode>),
}

/// What one call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It returned these values.
    Returned(Vec<Value>),
    /// It trapped; `None` if the engine does not say with which code.
    Trapped(Option<TrapCode>),
    /// A host function failed with this [`HostFailure`] (or an embedding error of tierup's
    /// own re-entry).
    HostFailed(String),
    /// It hit an engine-specific limit (stack, time, fuel); not comparable, and the run
    /// stops here.
    Skipped(String),
    /// It failed in a way that is neither a result nor a trap (an embedding error): always
    /// a disagreement.
    Failed(String),
}

/// One item of a state snapshot, for the [`StateExport`] at the same position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateItem {
    /// A memory: its size in pages and the [`fnv1a`] hash of its bytes.
    Memory {
        /// Size in 64 KiB pages.
        pages: u64,
        /// FNV-1a hash of the contents.
        hash: u32,
    },
    /// A global's value.
    Global(Value),
    /// A table: its size and the [`fnv1a`] hash of its null pattern (one byte per element:
    /// 1 for null, 0 otherwise).
    Table {
        /// Number of elements.
        len: u64,
        /// Hash of the null pattern.
        nulls: u32,
    },
}

impl fmt::Display for StateItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateItem::Memory { pages, hash } => write!(f, "mem:{pages}:{hash:08x}"),
            StateItem::Global(v) => write!(f, "{v}"),
            StateItem::Table { len, nulls } => write!(f, "table:{len}:{nulls:08x}"),
        }
    }
}

impl StateItem {
    /// Parses the text form written by [`fmt::Display`].
    pub fn parse(token: &str) -> Option<StateItem> {
        let mut parts = token.split(':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("mem"), Some(pages), Some(hash)) => Some(StateItem::Memory {
                pages: pages.parse().ok()?,
                hash: u32::from_str_radix(hash, 16).ok()?,
            }),
            (Some("table"), Some(len), Some(nulls)) => Some(StateItem::Table {
                len: len.parse().ok()?,
                nulls: u32::from_str_radix(nulls, 16).ok()?,
            }),
            _ => Value::parse(token).map(StateItem::Global),
        }
    }
}

/// The 32-bit FNV-1a hash (chosen because V8's side computes it cheaply with `Math.imul`).
pub fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u32 {
    bytes.into_iter().fold(0x811c_9dc5, |h: u32, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// One call as an engine observed it.
#[derive(Debug, Clone)]
pub struct CallRecord {
    /// What the call did.
    pub outcome: Outcome,
    /// The state after it, one item per [`Plan::state`] entry (empty after a skip).
    pub state: Vec<StateItem>,
    /// The host calls it made, in order ([`HostState::log`]).
    pub host_calls: Vec<String>,
    /// For a trap or host failure: the function indices of the innermost
    /// [`BACKTRACE_FRAMES_COMPARED`] frames of the wasm backtrace, innermost first; empty where
    /// the engine does not report one (tierup's are compared between tier modes only).
    pub backtrace: Vec<u32>,
}

impl CallRecord {
    /// A record of `outcome` with nothing else observed.
    pub fn of(outcome: Outcome) -> CallRecord {
        CallRecord {
            outcome,
            state: Vec::new(),
            host_calls: Vec::new(),
            backtrace: Vec::new(),
        }
    }
}

/// How far a tierup run got up the tiers (from [`Module::stats`] after the run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierReach {
    /// Functions that reached the optimizer.
    pub opt_funcs: usize,
    /// Interpreted activations that moved into baseline code by OSR.
    pub osr_entries: u64,
    /// Activations that moved into optimized code by OSR.
    pub opt_osr_entries: u64,
}

impl TierReach {
    /// What `stats` says.
    pub fn of(stats: &tierup_runtime::ModuleStats) -> TierReach {
        let opt: std::collections::BTreeSet<u32> = stats
            .events
            .iter()
            .filter(|e| e.tier == tierup_runtime::Tier::Optimized)
            .map(|e| e.func_index)
            .collect();
        TierReach {
            opt_funcs: opt.len(),
            osr_entries: stats.osr_entries,
            opt_osr_entries: stats.opt_osr_entries,
        }
    }
}

/// Everything one engine observed while following a [`Plan`].
#[derive(Debug, Clone)]
pub struct Run {
    /// The engine, for messages (`tierup/interp`, `wasmi`, `v8`).
    pub engine: String,
    /// How instantiation went.
    pub instantiation: Instantiation,
    /// One record per call made; the run ends early after a skip or failed instantiation.
    pub calls: Vec<CallRecord>,
    /// tierup only: the tiers the module's functions reached.
    pub reach: TierReach,
    /// tierup only: every compile that failed (a function that stayed in a lower tier
    /// because a compiler gave up), as `tier failed on function N: reason`. Valid modules
    /// must compile in every tier, so any of them fails the module.
    pub compile_failures: Vec<String>,
}

/// Stops one call after a time limit by interrupting its store from a helper thread.
struct Watchdog {
    disarm: mpsc::Sender<()>,
    fired: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Watchdog {
    fn arm(handle: InterruptHandle, limit: Duration) -> Watchdog {
        let (disarm, wait) = mpsc::channel::<()>();
        let fired = Arc::new(AtomicBool::new(false));
        let flag = fired.clone();
        let thread = std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit) {
                flag.store(true, Ordering::SeqCst);
                handle.interrupt();
            }
        });
        Watchdog {
            disarm,
            fired,
            thread,
        }
    }

    /// Stops the watchdog; whether it fired.
    fn disarm(self) -> bool {
        drop(self.disarm);
        // The thread only waits and sets flags; it cannot panic.
        let _ = self.thread.join();
        self.fired.load(Ordering::SeqCst)
    }
}

/// Follows `plan` in tierup, in tier mode `mode`, without engine fuel: every call is guarded by a
/// watchdog that interrupts it after [`CALL_TIME_LIMIT`].
pub fn run_tierup(wasm: &[u8], mode: &TierRow, plan: &Plan) -> Run {
    let name = format!("tierup/{}", mode.name);
    let rejected = |why: String| Run {
        engine: name.clone(),
        instantiation: Instantiation::Rejected(why),
        calls: Vec::new(),
        reach: TierReach::default(),
        compile_failures: Vec::new(),
    };
    let config = mode.config();
    let cached = config.code_cache_dir().is_some();
    if cached {
        // A row with a code cache runs code loaded from it: a primer engine compiles the
        // module first (and stores its code), as the spec runner does.
        if let Ok(primer) = Engine::new(&config) {
            drop(Module::new(&primer, wasm));
        }
    }
    let engine = match Engine::new(&config) {
        Ok(engine) => engine,
        Err(e) => return rejected(format!("engine: {e}")),
    };
    match Module::new(&engine, wasm) {
        Ok(module) => {
            let mut run = run_module(&module, &name, plan);
            if cached {
                run.compile_failures.extend(
                    module
                        .stats()
                        .events
                        .iter()
                        .filter(|e| e.tier == tierup_runtime::Tier::Optimized && !e.cached)
                        .map(|e| {
                            format!(
                                "function {} was compiled, not loaded from the code cache",
                                e.func_index
                            )
                        }),
                );
            }
            run
        }
        Err(e) => rejected(e.to_string()),
    }
}

/// What a failed tierup call observed: its outcome and backtrace.
fn tierup_error(e: &Error) -> (Outcome, Vec<u32>) {
    let frames = |frames: &[tierup_runtime::FrameInfo]| -> Vec<u32> {
        frames.iter().map(|f| f.func_index()).collect()
    };
    if let Some(trap) = e.as_trap() {
        let mut backtrace = frames(trap.backtrace());
        backtrace.truncate(BACKTRACE_FRAMES_COMPARED);
        let outcome = match trap.code() {
            TrapCode::StackOverflow if COMPARE_STACK_EXHAUSTION => {
                Outcome::Trapped(Some(TrapCode::StackOverflow))
            }
            code @ (TrapCode::Interrupted | TrapCode::StackOverflow | TrapCode::ResourceLimit) => {
                Outcome::Skipped(format!("{code:?}"))
            }
            code => Outcome::Trapped(Some(code)),
        };
        return (outcome, backtrace);
    }
    if let Some(failure) = e.downcast_ref::<HostFailure>() {
        let mut backtrace = match e {
            Error::Host(host) => frames(host.backtrace()),
            _ => Vec::new(),
        };
        backtrace.truncate(BACKTRACE_FRAMES_COMPARED);
        return (Outcome::HostFailed(failure.0.clone()), backtrace);
    }
    (Outcome::Failed(e.to_string()), Vec::new())
}

/// Follows `plan` with a compiled `module` in a store of its own (named `engine` in
/// messages): the body of [`run_tierup`], and what each thread of a shared-module test runs.
pub fn run_module(module: &Module, engine: &str, plan: &Plan) -> Run {
    let mut run = Run {
        engine: engine.to_string(),
        instantiation: Instantiation::Instantiated,
        calls: Vec::new(),
        reach: TierReach::default(),
        compile_failures: Vec::new(),
    };
    let tiered = module.engine().config().tier_mode() == TierMode::Tiered;
    let mut store = Store::new(module.engine(), HostState::new(plan));
    // A row that meters fuel runs with all there is (a no-op error for the others).
    let _ = store.set_fuel(u64::MAX);
    let instance = match tierup_linker(module.engine())
        .and_then(|linker| linker.instantiate(&mut store, module))
    {
        Ok(instance) => instance,
        Err(e) => {
            run.instantiation = match e.as_trap() {
                Some(trap) => Instantiation::Trapped(Some(trap.code())),
                None => Instantiation::Rejected(e.to_string()),
            };
            return run;
        }
    };
    store.data_mut().instance = Some(instance);
    if tiered && plan.host_settles > 0 {
        store.data_mut().settle = Some((module.clone(), plan.host_settles));
    }
    let fuel = plan.fuel.as_ref().map(|fuel| {
        (
            instance.get_global(&mut store, &fuel.global),
            Val::I32(fuel.amount),
        )
    });
    for (i, call) in plan.calls.iter().enumerate() {
        if tiered && plan.settle_at == Some(i) {
            wait_for_optimizer(module);
        }
        if let Some((global, amount)) = &fuel {
            let refilled = global
                .as_ref()
                .map(|global| global.set(&mut store, *amount));
            if !matches!(refilled, Some(Ok(()))) {
                run.calls.push(CallRecord::of(Outcome::Failed(format!(
                    "cannot refill the fuel: {refilled:?}"
                ))));
                break;
            }
        }
        store.data_mut().log.clear();
        store.data_mut().depth = 0;
        let mut backtrace = Vec::new();
        let outcome = match instance.get_func(&mut store, &call.export) {
            None => Outcome::Failed(format!("no exported function `{}`", call.export)),
            Some(func) => {
                let params: Vec<Val> = call
                    .args
                    .iter()
                    .zip(&call.params)
                    .map(|(arg, &ty)| arg.to_tierup(ty))
                    .collect();
                let mut results: Vec<Val> =
                    call.results.iter().map(|&ty| Val::default_of(ty)).collect();
                let watchdog = Watchdog::arm(store.interrupt_handle(), CALL_TIME_LIMIT);
                let result = func.call(&mut store, &params, &mut results);
                if watchdog.disarm() {
                    Outcome::Skipped(format!("still running after {CALL_TIME_LIMIT:?}"))
                } else {
                    match result {
                        Ok(()) => {
                            Outcome::Returned(results.iter().map(Value::from_tierup).collect())
                        }
                        Err(e) => {
                            let (outcome, frames) = tierup_error(&e);
                            backtrace = frames;
                            outcome
                        }
                    }
                }
            }
        };
        let stop = matches!(outcome, Outcome::Skipped(_));
        let state = if stop {
            Vec::new()
        } else {
            tierup_state(&mut store, &instance, plan)
        };
        run.calls.push(CallRecord {
            outcome,
            state,
            host_calls: std::mem::take(&mut store.data_mut().log),
            backtrace,
        });
        if stop {
            break;
        }
    }
    let stats = module.stats();
    run.reach = TierReach::of(&stats);
    run.compile_failures = stats
        .timeline
        .failures
        .iter()
        .map(|f| {
            format!(
                "{:?} failed on function {}: {}",
                f.tier, f.func_index, f.reason
            )
        })
        .collect();
    run
}

/// The snapshot of `plan.state` in a tierup instance.
fn tierup_state(
    store: &mut Store<HostState<Instance>>,
    instance: &Instance,
    plan: &Plan,
) -> Vec<StateItem> {
    plan.state
        .iter()
        .map(|export| match export.kind {
            StateKind::Memory => match instance.get_memory(&mut *store, &export.name) {
                Some(memory) => StateItem::Memory {
                    pages: memory.size(&*store),
                    hash: fnv1a(memory.data(&*store).iter().copied()),
                },
                None => StateItem::Memory { pages: 0, hash: 0 },
            },
            StateKind::Global(_) => match instance.get_global(&mut *store, &export.name) {
                Some(global) => StateItem::Global(Value::from_tierup(&global.get(&mut *store))),
                None => StateItem::Global(Value::NullRef),
            },
            StateKind::Table => match instance.get_table(&mut *store, &export.name) {
                Some(table) => {
                    let len = table.size(&*store);
                    let nulls = (0..len).map(|i| {
                        u8::from(matches!(
                            table.get(&mut *store, i),
                            Some(Val::FuncRef(None) | Val::ExternRef(None)) | None
                        ))
                    });
                    StateItem::Table {
                        len,
                        nulls: fnv1a(nulls.collect::<Vec<u8>>()),
                    }
                }
                None => StateItem::Table { len: 0, nulls: 0 },
            },
        })
        .collect()
}

/// Where two runs first disagree.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// The step: 0 is instantiation, `i + 1` is call `i` of the plan.
    pub step: usize,
    /// What differs, for people.
    pub detail: String,
}

/// How far two runs agree.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// How many steps (instantiation, then calls) were compared and agreed.
    pub agreed_steps: usize,
    /// The first disagreement, if any; comparison stops there or at the first skip.
    pub divergence: Option<Divergence>,
}

fn traps_agree(a: Option<TrapCode>, b: Option<TrapCode>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// Compares two runs of the same plan in different engines step by step: instantiation,
/// then each call's outcome, the host calls it made and the state after it. Stops at the
/// first disagreement, at the first skip or stack overflow on either side (engines' limits
/// differ), or when either run ends.
pub fn compare(a: &Run, b: &Run, plan: &Plan) -> Comparison {
    compare_runs(a, b, plan, false)
}

/// Compares two tier modes' runs of the same plan: as [`compare`], and stack overflows
/// (their innermost frames) and the backtraces of traps and host failures must agree too
/// (tierup guarantees the same result in every tier).
pub fn compare_tiers(a: &Run, b: &Run, plan: &Plan) -> Comparison {
    compare_runs(a, b, plan, true)
}

fn compare_runs(a: &Run, b: &Run, plan: &Plan, tiers: bool) -> Comparison {
    let diverge = |agreed_steps, detail: String| Comparison {
        agreed_steps,
        divergence: Some(Divergence {
            step: agreed_steps,
            detail,
        }),
    };
    let instantiation_agrees = match (&a.instantiation, &b.instantiation) {
        (Instantiation::Instantiated, Instantiation::Instantiated)
        | (Instantiation::Rejected(_), Instantiation::Rejected(_)) => true,
        (Instantiation::Trapped(x), Instantiation::Trapped(y)) => traps_agree(*x, *y),
        _ => false,
    };
    if !instantiation_agrees {
        return diverge(
            0,
            format!(
                "instantiation: {} {:?}, {} {:?}",
                a.engine, a.instantiation, b.engine, b.instantiation
            ),
        );
    }
    let mut agreed_steps = 1;
    for (i, (x, y)) in a.calls.iter().zip(&b.calls).enumerate() {
        let call = &plan.calls[i];
        let what = || {
            let args: Vec<String> = call.args.iter().map(Value::to_string).collect();
            format!(
                "call {i} `{}`({})",
                call.export.escape_debug(),
                args.join(", ")
            )
        };
        let overflow = |o: &Outcome| *o == Outcome::Trapped(Some(TrapCode::StackOverflow));
        let outcomes_agree = match (&x.outcome, &y.outcome) {
            (Outcome::Skipped(_), _) | (_, Outcome::Skipped(_)) => break,
            (o, p) if !tiers && (overflow(o) || overflow(p)) => break,
            (Outcome::Returned(r), Outcome::Returned(s)) => r == s,
            (Outcome::Trapped(c), Outcome::Trapped(d)) if tiers => c == d,
            (Outcome::Trapped(c), Outcome::Trapped(d)) => traps_agree(*c, *d),
            (Outcome::HostFailed(m), Outcome::HostFailed(n)) => m == n,
            _ => false,
        };
        if !outcomes_agree {
            return diverge(
                agreed_steps,
                format!(
                    "{}: {} {:?}, {} {:?}",
                    what(),
                    a.engine,
                    x.outcome,
                    b.engine,
                    y.outcome
                ),
            );
        }
        if tiers && x.backtrace != y.backtrace {
            let at = (0..).find(|&k| x.backtrace.get(k) != y.backtrace.get(k));
            let at = at.unwrap_or_default();
            let near =
                |t: &[u32]| t[at.saturating_sub(2).min(t.len())..(at + 3).min(t.len())].to_vec();
            return diverge(
                agreed_steps,
                format!(
                    "{} ({:?}): backtraces (function indices, innermost first) differ at frame {at}: \
                     {} {} frames, {:?} around it; {} {} frames, {:?} around it",
                    what(),
                    x.outcome,
                    a.engine,
                    x.backtrace.len(),
                    near(&x.backtrace),
                    b.engine,
                    y.backtrace.len(),
                    near(&y.backtrace)
                ),
            );
        }
        if let Some(k) = (0..x.host_calls.len().max(y.host_calls.len()))
            .find(|&k| x.host_calls.get(k) != y.host_calls.get(k))
        {
            let show = |c: Option<&String>| c.map_or("(none)".to_string(), Clone::clone);
            return diverge(
                agreed_steps,
                format!(
                    "{}: host call {k}: {} {}, {} {}",
                    what(),
                    a.engine,
                    show(x.host_calls.get(k)),
                    b.engine,
                    show(y.host_calls.get(k))
                ),
            );
        }
        if let Some(k) =
            (0..x.state.len().max(y.state.len())).find(|&k| x.state.get(k) != y.state.get(k))
        {
            let name = plan.state.get(k).map_or("?", |s| s.name.as_str());
            let show = |s: Option<&StateItem>| s.map_or("-".to_string(), StateItem::to_string);
            return diverge(
                agreed_steps,
                format!(
                    "after {}: export `{}`: {} {}, {} {}",
                    what(),
                    name.escape_debug(),
                    a.engine,
                    show(x.state.get(k)),
                    b.engine,
                    show(y.state.get(k))
                ),
            );
        }
        agreed_steps += 1;
    }
    Comparison {
        agreed_steps,
        divergence: None,
    }
}

/// The verdict on one module.
#[derive(Debug, Clone, Default)]
pub struct ModuleReport {
    /// Tierup bugs: tier modes disagree, or V8 sides with wasmi against tierup.
    pub failures: Vec<String>,
    /// Disagreements with wasmi that V8 settled in tierup's favour.
    pub wasmi_discrepancies: Vec<String>,
    /// Disagreements with wasmi that V8 could not settle (not installed, skipped, or sides
    /// with neither).
    pub unresolved: Vec<String>,
    /// Calls made per tierup run (at most the plan's length).
    pub calls: usize,
    /// The codes of the calls that trapped (in the first tier mode).
    pub traps: Vec<TrapCode>,
    /// Calls that ran out of wasm-level fuel (a subset of `traps`, as `Unreachable`).
    pub fuel_outs: usize,
    /// Calls skipped (in the first tier mode).
    pub skips: usize,
    /// Whether the module instantiated in tierup.
    pub instantiated: bool,
    /// Host calls made (in the first tier mode, nested ones included).
    pub host_calls: usize,
    /// Calls that ended in a host function's error (in the first tier mode).
    pub host_failures: usize,
    /// Calls that ended in a stack overflow (in the first tier mode).
    pub stack_overflows: usize,
    /// How far each tiered row ([`TierMode::Tiered`]) got up the tiers.
    pub tiered_reach: Vec<(&'static str, TierReach)>,
}

/// Runs `wasm` (with its `plan`) in every tier mode and compares them, then compares tierup
/// with the `oracle` (wasmi) and lets V8 (`node`, if given) settle disagreements; see the
/// module docs for the rules.
pub fn check_module(
    wasm: &[u8],
    plan: &Plan,
    oracle: impl FnOnce(&[u8], &Plan) -> Run,
    node: Option<&Path>,
) -> ModuleReport {
    let mut report = ModuleReport::default();
    let runs: Vec<Run> = TIER_MODES
        .iter()
        .map(|mode| run_tierup(wasm, mode, plan))
        .collect();
    report.tiered_reach = TIER_MODES
        .iter()
        .zip(&runs)
        .filter(|(mode, _)| mode.config().tier_mode() == TierMode::Tiered)
        .map(|(mode, run)| (mode.name, run.reach))
        .collect();
    let reference = &runs[0];
    report.host_calls = reference.calls.iter().map(|c| c.host_calls.len()).sum();
    report.host_failures = reference
        .calls
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::HostFailed(_)))
        .count();
    report.stack_overflows = reference
        .calls
        .iter()
        .filter(|c| c.outcome == Outcome::Trapped(Some(TrapCode::StackOverflow)))
        .count();
    report.instantiated = reference.instantiation == Instantiation::Instantiated;
    report.calls = reference.calls.len();
    report.traps = reference
        .calls
        .iter()
        .filter_map(|c| match c.outcome {
            Outcome::Trapped(code) => code,
            _ => None,
        })
        .collect();
    if let Some(fuel) = &plan.fuel {
        let at = plan.state.iter().position(|s| s.name == fuel.global);
        report.fuel_outs = reference
            .calls
            .iter()
            .filter(|c| {
                c.outcome == Outcome::Trapped(Some(TrapCode::Unreachable))
                    && at.and_then(|k| c.state.get(k)) == Some(&StateItem::Global(Value::I32(0)))
            })
            .count();
    }
    report.skips = reference
        .calls
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
        .count();
    for run in &runs {
        for call in &run.calls {
            if let Outcome::Failed(why) = &call.outcome {
                report
                    .failures
                    .push(format!("{}: call failed: {why}", run.engine));
            }
        }
    }
    if let Instantiation::Rejected(why) = &reference.instantiation {
        // wasm-smith generates valid modules; a rejection is worth a look even if wasmi
        // rejects too.
        report
            .unresolved
            .push(format!("{} rejects the module: {why}", reference.engine));
    }
    for run in &runs {
        if let Some(failure) = run.compile_failures.first() {
            report.failures.push(format!(
                "{}: {} compile(s) failed; first: {failure}",
                run.engine,
                run.compile_failures.len()
            ));
        }
    }
    for run in &runs[1..] {
        if let Some(d) = compare_tiers(reference, run, plan).divergence {
            report
                .failures
                .push(format!("tier modes disagree at {}", d.detail));
        }
    }
    let wasmi = oracle(wasm, plan);
    if compare(reference, &wasmi, plan).divergence.is_none() {
        return report;
    }
    let v8 = match node {
        // V8 runs without host functions (`V8_SCRIPT` supplies no imports).
        Some(_) if plan.has_imports => Err("the module imports host functions".to_string()),
        None => Err("node not found".to_string()),
        Some(node) => run_v8(node, wasm, plan).map_err(|e| format!("V8 failed: {e}")),
    };
    match arbitrate(reference, &wasmi, v8.as_ref(), plan) {
        Verdict::Agree => {}
        Verdict::TierupBug(why) => report.failures.push(why),
        Verdict::WasmiDiscrepancy(why) => report.wasmi_discrepancies.push(why),
        Verdict::Unresolved(why) => report.unresolved.push(why),
    }
    report
}

/// How a comparison of tierup with wasmi ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// They agree.
    Agree,
    /// They disagree and V8 sides with wasmi.
    TierupBug(String),
    /// They disagree and V8 sides with tierup.
    WasmiDiscrepancy(String),
    /// They disagree and V8 cannot settle it (the reason is in the message).
    Unresolved(String),
}

/// Settles a disagreement between `tierup` and `wasmi` with `v8` (or the reason there is no
/// V8 run): at the first step where tierup and wasmi disagree, whichever of them V8 agrees
/// with is right.
pub fn arbitrate(tierup: &Run, wasmi: &Run, v8: Result<&Run, &String>, plan: &Plan) -> Verdict {
    let Some(dispute) = compare(tierup, wasmi, plan).divergence else {
        return Verdict::Agree;
    };
    let v8 = match v8 {
        Ok(v8) => v8,
        Err(why) => return Verdict::Unresolved(format!("{} ({why})", dispute.detail)),
    };
    let sides_with = |run: &Run| compare(run, v8, plan).agreed_steps > dispute.step;
    match (sides_with(tierup), sides_with(wasmi)) {
        (false, true) => Verdict::TierupBug(format!("V8 sides with wasmi: {}", dispute.detail)),
        (true, false) => Verdict::WasmiDiscrepancy(dispute.detail),
        _ => {
            let v8_view = compare(tierup, v8, plan)
                .divergence
                .map_or("V8 skipped or agrees with both".to_string(), |d| d.detail);
            Verdict::Unresolved(format!("{} (V8: {v8_view})", dispute.detail))
        }
    }
}

/// The `node` binary: `/usr/bin/node`, else the first `node` on `PATH`; `None` if there is
/// none (then disagreements with wasmi are reported but cannot fail the test).
pub fn find_node() -> Option<PathBuf> {
    let usr = Path::new("/usr/bin/node");
    if usr.is_file() {
        return Some(usr.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("node"))
        .find(|path| path.is_file())
}

/// The script V8 runs: `node script.js module.wasm plan.txt`. It reads the plan written by
/// [`write_v8_plan`], follows it and prints one line per step (see [`parse_v8_output`]).
const V8_SCRIPT: &str = r#"'use strict';
const fs = require('fs');
const [wasmPath, planPath] = process.argv.slice(2);
const lines = fs.readFileSync(planPath, 'utf8').split('\n').filter(l => l.length > 0);
const unhex = h => Buffer.from(h, 'hex').toString('utf8');
const dv = new DataView(new ArrayBuffer(8));
const out = [];
function fnv(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) { h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0; }
  return h >>> 0;
}
function toJs(token) {
  const [ty, v] = token.split(':');
  if (ty === 'ref') return null;
  if (ty === 'v128') return undefined;
  if (v === 'nan') return NaN;
  switch (ty) {
    case 'i32': return Number(v) | 0;
    case 'i64': return BigInt.asIntN(64, BigInt(v));
    case 'f32': dv.setUint32(0, Number(v), true); return dv.getFloat32(0, true);
    case 'f64': dv.setBigUint64(0, BigInt(v), true); return dv.getFloat64(0, true);
  }
  throw new Error('bad token ' + token);
}
function fromJs(ty, v) {
  switch (ty) {
    case 'i32': return 'i32:' + (v >>> 0);
    case 'i64': return 'i64:' + BigInt.asUintN(64, v);
    case 'f32': if (Number.isNaN(v)) return 'f32:nan'; dv.setFloat32(0, v, true); return 'f32:' + dv.getUint32(0, true);
    case 'f64': if (Number.isNaN(v)) return 'f64:nan'; dv.setFloat64(0, v, true); return 'f64:' + dv.getBigUint64(0, true);
    default: return v === null ? 'ref:null' : 'ref:some';
  }
}
const msg = e => String(e && e.message).replace(/\s+/g, ' ');
const state = [];
const calls = [];
let fuel = null;
for (const line of lines) {
  const f = line.split(' ');
  if (f[0] === 'fuel') fuel = { name: unhex(f[1]), amount: Number(f[2]) };
  else if (f[0] === 'state') state.push({ kind: f[1], name: unhex(f[2]), ty: f[3] });
  else calls.push({ name: unhex(f[1]), results: f[2] === '-' ? [] : f[2].split(','), args: f.slice(3).map(toJs),
                    v128: f[2].split(',').includes('v128') || f.slice(3).some(t => t.startsWith('v128:')) });
}
// JavaScript cannot pass, receive or read a v128: V8 settles nothing from the first such step.
const v128State = state.some(s => s.ty === 'v128');
function snapshot(exports) {
  return state.map(s => {
    const x = exports[s.name];
    if (s.kind === 'mem') return 'mem:' + (x.buffer.byteLength / 65536) + ':' + fnv(new Uint8Array(x.buffer)).toString(16).padStart(8, '0');
    if (s.kind === 'global') return fromJs(s.ty, x.value);
    const nulls = [];
    for (let i = 0; i < x.length; i++) nulls.push(x.get(i) === null ? 1 : 0);
    return 'table:' + x.length + ':' + fnv(nulls).toString(16).padStart(8, '0');
  }).join(' ');
}
let instance;
try {
  instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(wasmPath)), {});
  out.push('inst ok');
} catch (e) {
  out.push((e instanceof WebAssembly.RuntimeError ? 'inst trap ' : 'inst reject ') + msg(e));
}
if (instance) {
  for (const c of calls) {
    if (c.v128 || v128State) { out.push('call skip v128 values are not visible to JavaScript'); break; }
    let line;
    if (fuel) instance.exports[fuel.name].value = fuel.amount;
    try {
      let r = instance.exports[c.name](...c.args);
      r = c.results.length === 0 ? [] : c.results.length === 1 ? [r] : Array.from(r);
      line = ['call ok'].concat(r.map((v, i) => fromJs(c.results[i], v))).join(' ');
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) line = 'call trap ' + msg(e);
      else if (e instanceof RangeError) { out.push('call skip ' + msg(e)); break; }
      else line = 'call fail ' + msg(e);
    }
    out.push(line);
    out.push('state ' + snapshot(instance.exports));
  }
}
console.log(out.join('\n'));
"#;

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The plan in the line format `V8_SCRIPT` reads: an optional `fuel <name-hex> <amount>`
/// line, `state mem|global|table <name-hex> [<type>]` lines, then
/// `call <name-hex> <result-types|-> <args>...` lines.
pub fn write_v8_plan(plan: &Plan) -> String {
    let mut text = String::new();
    if let Some(fuel) = &plan.fuel {
        text.push_str(&format!("fuel {} {}\n", hex(&fuel.global), fuel.amount));
    }
    for s in &plan.state {
        let name = hex(&s.name);
        text.push_str(&match s.kind {
            StateKind::Memory => format!("state mem {name}\n"),
            StateKind::Global(ty) => format!("state global {name} {ty}\n"),
            StateKind::Table => format!("state table {name}\n"),
        });
    }
    for call in &plan.calls {
        let results: Vec<String> = call.results.iter().map(ToString::to_string).collect();
        let results = if results.is_empty() {
            "-".to_string()
        } else {
            results.join(",")
        };
        text.push_str(&format!("call {} {results}", hex(&call.export)));
        for arg in &call.args {
            text.push_str(&format!(" {arg}"));
        }
        text.push('\n');
    }
    text
}

/// The trap code of a V8 `RuntimeError` message, where it names one unambiguously.
pub fn v8_trap_code(message: &str) -> Option<TrapCode> {
    const CODES: [(&str, TrapCode); 9] = [
        ("unreachable", TrapCode::Unreachable),
        ("divide by zero", TrapCode::IntegerDivisionByZero),
        ("remainder by zero", TrapCode::IntegerDivisionByZero),
        ("divide result unrepresentable", TrapCode::IntegerOverflow),
        ("float unrepresentable", TrapCode::BadConversionToInteger),
        ("memory access out of bounds", TrapCode::MemoryOutOfBounds),
        ("data segment out of bounds", TrapCode::MemoryOutOfBounds),
        ("table index is out of bounds", TrapCode::TableOutOfBounds),
        ("element segment out of bounds", TrapCode::TableOutOfBounds),
    ];
    CODES
        .iter()
        .find(|(text, _)| message.contains(text))
        .map(|&(_, code)| code)
}

/// Parses what `V8_SCRIPT` printed into a [`Run`].
///
/// # Errors
/// A line the script cannot have printed.
pub fn parse_v8_output(stdout: &str) -> Result<Run, String> {
    let mut run = Run {
        engine: "v8".to_string(),
        instantiation: Instantiation::Rejected("no output".to_string()),
        calls: Vec::new(),
        reach: TierReach::default(),
        compile_failures: Vec::new(),
    };
    for line in stdout.lines() {
        let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
        let (kind, detail) = rest.split_once(' ').unwrap_or((rest, ""));
        match (head, kind) {
            ("inst", "ok") => run.instantiation = Instantiation::Instantiated,
            ("inst", "trap") => run.instantiation = Instantiation::Trapped(v8_trap_code(detail)),
            ("inst", _) => run.instantiation = Instantiation::Rejected(rest.to_string()),
            ("call", "ok") => {
                let values = detail
                    .split_whitespace()
                    .map(|t| Value::parse(t).ok_or_else(|| format!("bad value `{t}`")))
                    .collect::<Result<Vec<Value>, String>>()?;
                run.calls.push(CallRecord::of(Outcome::Returned(values)));
            }
            ("call", "trap") => run
                .calls
                .push(CallRecord::of(Outcome::Trapped(v8_trap_code(detail)))),
            ("call", "skip") => run
                .calls
                .push(CallRecord::of(Outcome::Skipped(detail.to_string()))),
            ("call", _) => run
                .calls
                .push(CallRecord::of(Outcome::Failed(detail.to_string()))),
            ("state", _) => {
                let items = rest
                    .split_whitespace()
                    .map(|t| StateItem::parse(t).ok_or_else(|| format!("bad state `{t}`")))
                    .collect::<Result<Vec<StateItem>, String>>()?;
                run.calls.last_mut().ok_or("state before any call")?.state = items;
            }
            _ => return Err(format!("unexpected line `{line}`")),
        }
    }
    Ok(run)
}

/// Follows `plan` in V8: writes the module, the plan and `V8_SCRIPT` to a scratch
/// directory and runs `node` on them (killed after [`NODE_TIME_LIMIT`]).
///
/// # Errors
/// `node` cannot be started, fails, times out, or prints something unexpected.
pub fn run_v8(node: &Path, wasm: &[u8], plan: &Plan) -> Result<Run, String> {
    let dir = crate::scratch_dir();
    let result = (|| {
        let files = [
            ("run.js", V8_SCRIPT.as_bytes().to_vec()),
            ("module.wasm", wasm.to_vec()),
            ("plan.txt", write_v8_plan(plan).into_bytes()),
        ];
        for (name, bytes) in &files {
            std::fs::write(dir.join(name), bytes).map_err(|e| format!("writing {name}: {e}"))?;
        }
        let mut child = Command::new(node)
            .arg(dir.join("run.js"))
            .arg(dir.join("module.wasm"))
            .arg(dir.join("plan.txt"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", node.display()))?;
        let mut stdout_pipe = child.stdout.take().ok_or("no stdout pipe")?;
        let mut stderr_pipe = child.stderr.take().ok_or("no stderr pipe")?;
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout_pipe.read_to_string(&mut text);
            text
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            text
        });
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if start.elapsed() > NODE_TIME_LIMIT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("node ran longer than {NODE_TIME_LIMIT:?}"));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => return Err(format!("waiting for node: {e}")),
            }
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        if !status.success() {
            return Err(format!("node failed ({status}): {}", stderr.trim()));
        }
        parse_v8_output(&stdout)
    })();
    // `node` has exited (or was killed and waited for): the directory may go.
    drop(dir);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nans_are_canonical_and_tokens_round_trip() {
        assert_eq!(Value::f32(0x7fa0_0001), Value::f32(0xffc0_0000));
        assert_eq!(
            Value::f64(0xfff0_0000_0000_0001),
            Value::f64(0x7ff8_0000_0000_0000)
        );
        assert_ne!(Value::f32(0x8000_0000), Value::f32(0));
        for v in [
            Value::I32(u32::MAX),
            Value::I64(1 << 63),
            Value::f32(f32::NAN.to_bits()),
            Value::f64((-0.0f64).to_bits()),
            Value::NullRef,
            Value::NonNullRef,
        ] {
            assert_eq!(Value::parse(&v.to_string()), Some(v));
        }
        let item = StateItem::Memory {
            pages: 2,
            hash: 0xdead_beef,
        };
        assert_eq!(StateItem::parse(&item.to_string()), Some(item));
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a([]), 0x811c_9dc5);
        assert_eq!(fnv1a(*b"a"), 0xe40c_292c);
        assert_eq!(fnv1a(*b"foobar"), 0xbf9c_f968);
    }

    fn run(engine: &str, outcomes: &[Outcome]) -> Run {
        Run {
            engine: engine.to_string(),
            instantiation: Instantiation::Instantiated,
            calls: outcomes
                .iter()
                .map(|outcome| CallRecord::of(outcome.clone()))
                .collect(),
            reach: TierReach::default(),
            compile_failures: Vec::new(),
        }
    }

    #[test]
    fn v8_settles_disputes_at_the_first_disagreement() {
        let call = PlannedCall {
            export: "f".to_string(),
            params: Vec::new(),
            args: Vec::new(),
            results: vec![ValType::I32],
        };
        let plan = Plan {
            calls: vec![call.clone(), call],
            ..Plan::default()
        };
        let one = Outcome::Returned(vec![Value::I32(1)]);
        let two = Outcome::Returned(vec![Value::I32(2)]);
        let trap = Outcome::Trapped(Some(TrapCode::Unreachable));
        let tierup = run("tierup", &[one.clone(), one.clone()]);
        let wasmi = run("wasmi", &[one.clone(), two.clone()]);
        let verdict = |v8: &Run| arbitrate(&tierup, &wasmi, Ok(v8), &plan);
        assert!(matches!(
            verdict(&run("v8", &[one.clone(), two.clone()])),
            Verdict::TierupBug(_)
        ));
        assert!(matches!(
            verdict(&run("v8", &[one.clone(), one.clone()])),
            Verdict::WasmiDiscrepancy(_)
        ));
        assert!(matches!(
            verdict(&run("v8", &[one.clone(), trap])),
            Verdict::Unresolved(_)
        ));
        // V8 cannot judge a step it never reached.
        let skip = Outcome::Skipped("stack".to_string());
        assert!(matches!(
            verdict(&run("v8", &[skip, two])),
            Verdict::Unresolved(_)
        ));
        let none = "node not found".to_string();
        assert!(matches!(
            arbitrate(&tierup, &wasmi, Err(&none), &plan),
            Verdict::Unresolved(_)
        ));
        assert_eq!(
            arbitrate(&tierup, &tierup, Err(&none), &plan),
            Verdict::Agree
        );
        // Tier modes are compared exactly: a disagreement after a matching prefix counts.
        let diverged = compare(&tierup, &wasmi, &plan)
            .divergence
            .expect("the second call differs");
        assert_eq!(diverged.step, 2);
    }

    #[test]
    fn unknown_trap_codes_agree_with_any_trap() {
        assert!(traps_agree(None, Some(TrapCode::Unreachable)));
        assert!(!traps_agree(
            Some(TrapCode::MemoryOutOfBounds),
            Some(TrapCode::Unreachable)
        ));
    }
}
