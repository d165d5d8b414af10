//! `tierup-baseline`: the baseline tier, a single-pass x86-64 JIT written with `dynasm`.
//!
//! It compiles a function's **interpreter bytecode** (as V8's Sparkplug compiles Ignition
//! bytecode), not wasm: slot assignment, constant folding and compare-branch fusion are already
//! done, and the machine code uses the interpreter's frame layout, so an interpreter frame can
//! continue in machine code at any loop header (on-stack replacement, [`BaselineCode::osr_entries`]).
//!
//! Layers (STYLE.md): [`compile`] → `codegen` (the visitor over the bytecode: one `match`
//! routes each instruction to the method of its family, which decides *what* to emit, and the
//! control-flow context: labels, loop headers, OSR entries) → `masm` (the macro-assembler:
//! operations on slots, immediates, conditions, labels, trap codes and libcalls; it owns the
//! register cache and its invariant) → `masm/x64.rs` (every x86-64 encoding, with dynasm;
//! the SSE sequences of `v128` operations in its child `masm/x64/simd.rs`).
//! Scalar operations without a short x86-64 sequence (wasm `min`/`max`, checked truncation,
//! bulk memory and table operations) call the runtime's libcalls through the vmctx's table
//! (`tierup_abi::libcalls`), as every tier does; every SIMD operation is inline SSE.
//!
//! Output is position-independent bytes (dynasm's `VecAssembler`; no absolute address appears
//! in the code; `v128` constants sit in a pool after the code, read RIP-relative) plus the
//! trap table and the OSR entry points; the runtime copies the bytes into its code arena
//! (16-byte aligned, which the pool's alignment relies on) and registers the traps.

mod codegen;
mod masm;

pub use masm::TrapSiteRecord;
use tierup_abi::{BoundsChecks, FuncType, ModuleInfo, TypeIdx, ValType};
use tierup_interp::CompiledFunc;

/// What the compiler needs to know about the function's module and the runtime.
#[derive(Debug, Clone)]
pub struct CompileEnv {
    /// Imported functions come first in the function index space.
    pub num_imported_funcs: u32,
    /// Whether the module has (or imports) a memory: then `r14` holds memory 0's base.
    pub has_memory: bool,
    /// How memory accesses are checked.
    pub bounds_checks: BoundsChecks,
    /// The optional instructions code may use (this machine's: [`CpuFeatures::detect`]).
    pub cpu: CpuFeatures,
    /// The module's function types, by type index (for the register calls, see
    /// [`BaselineCode::native_entry`]).
    pub types: Vec<FuncType>,
    /// Each function's type index, by function index (imports first).
    pub funcs: Vec<TypeIdx>,
    /// The address of the module's native-entry cells (one `usize` per defined function,
    /// 0 while the function has none; the runtime's `CodeTable`): a direct call of a
    /// function whose type [`fits_registers`] loads its cell and, when it is set, calls it
    /// with register arguments. 0: direct calls go through the code table.
    pub native_entries: usize,
    /// The engine delivers epoch deadlines (`tierup_abi::Instrumentation`): then the function
    /// entry tests the attention flag too. Without epochs an interrupt request raises the
    /// stack limit the entry's stack check reads (`VmCtx::stack_limit`), so the stack check
    /// is the entry's interrupt check.
    pub epoch_interruption: bool,
    /// Whether baseline code counts its calls and loop iterations towards a tier-up (the
    /// optimizer comes after it). Without, it carries no hotness countdown (as Liftoff
    /// without dynamic tiering has no budget checks): a function entry has no tick (but with
    /// epochs, the flag's test) and a loop back-edge only tests the interrupt flag; without
    /// epochs either, that test is a load of the store's poll byte, which faults while an
    /// interrupt request is pending (an `Interrupted` trap site, as optimized loops poll).
    pub tier_up: bool,
    /// The engine's type id of each of the module's types, by type index, when known (the
    /// runtime's; empty: unknown). `call_indirect` then compares the callee's id with a
    /// constant instead of loading the expected one through the vmctx.
    pub type_ids: Vec<u32>,
}

impl CompileEnv {
    /// The environment for `info`'s functions, with direct calls through the code table
    /// (set [`CompileEnv::native_entries`] for register calls).
    pub fn for_module(info: &ModuleInfo, bounds_checks: BoundsChecks, cpu: CpuFeatures) -> Self {
        CompileEnv {
            num_imported_funcs: info.num_imported_funcs,
            has_memory: !info.memories.is_empty(),
            bounds_checks,
            cpu,
            types: info.types.clone(),
            funcs: info.funcs.clone(),
            native_entries: 0,
            epoch_interruption: info.instrumentation.epoch_interruption,
            tier_up: true,
            type_ids: Vec::new(),
        }
    }

    /// The type of function `func`.
    fn func_type(&self, func: u32) -> &FuncType {
        &self.types[self.funcs[func as usize].index()]
    }
}

/// Whether functions of type `ty` can be called with the native convention of baseline code
/// (DESIGN.md §3, the optimizer's `native_signature`): `extern "sysv64" fn(vmctx, fp,
/// params..) -> results` with every parameter in a register (at most four integers or
/// references, in `rdx`, `rcx`, `r8`, `r9`, and eight floats or `v128`s, in `xmm0`–`xmm7`)
/// and every result too (at most two integers, in `rax`, `rdx`, and two floats or `v128`s,
/// in `xmm0`, `xmm1`), each class filled in order.
pub fn fits_registers(ty: &FuncType) -> bool {
    let count = |types: &[ValType], xmm: bool| types.iter().filter(|&&t| in_xmm(t) == xmm).count();
    count(ty.params(), false) <= 4
        && count(ty.params(), true) <= 8
        && count(ty.results(), false) <= 2
        && count(ty.results(), true) <= 2
}

/// Whether a value of type `ty` travels in an SSE register in the native convention (floats
/// and `v128`s).
fn in_xmm(ty: ValType) -> bool {
    matches!(ty, ValType::F32 | ValType::F64 | ValType::V128)
}

/// Instructions beyond what the tier requires (x86-64 with SSE4.1 and POPCNT) that the CPU
/// running the code has; code generation uses them where they pay, with an SSE4.1 sequence
/// otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuFeatures {
    /// SSE4.2 (`pcmpgtq`, for `i64x2` signed comparisons).
    pub sse42: bool,
}

impl CpuFeatures {
    /// The features of the CPU this runs on.
    pub fn detect() -> CpuFeatures {
        #[cfg(target_arch = "x86_64")]
        {
            CpuFeatures {
                sse42: std::arch::is_x86_feature_detected!("sse4.2"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        CpuFeatures::default()
    }
}

/// A compiled function.
#[derive(Debug, Clone)]
pub struct BaselineCode {
    /// Position-independent machine code; the function's entry is at offset 0. From
    /// `data_offset` on it holds the constant pool, not instructions.
    pub code: Vec<u8>,
    /// Where the instructions end: the constant pool (16-byte-aligned `v128` constants the
    /// code reads RIP-relative) follows; `code.len()` when there is none.
    pub data_offset: u32,
    /// Instructions that may fault, with their traps.
    pub traps: Vec<TrapSiteRecord>,
    /// `(bytecode index of a loop header, code offset)`: entry points that continue an
    /// interpreter frame at that loop header (`extern "sysv64" fn(vmctx, fp)` like the entry).
    pub osr_entries: Vec<(u32, u32)>,
    /// The code offset where each bytecode instruction's code starts (indexed by bytecode
    /// index; an instruction that emits nothing starts where the next one does). The
    /// prologue comes before the first; from [`BaselineCode::body_end`] on come the OSR
    /// exit, the out-of-line helpers and the OSR entries. For diagnostics
    /// (`tierup explore`).
    pub instr_offsets: Vec<u32>,
    /// Where the code of the last bytecode instruction ends.
    pub body_end: u32,
    /// The code offset of the innermost loop's header (the back-edge spanning the fewest
    /// bytes), if the function has a loop: the runtime places it at the start of a cache
    /// line, so that the loop's speed does not depend on where the function lands (it varied
    /// by 1.5x on a dispatch loop) and is the same however the loop was entered.
    pub hot_loop: Option<u32>,
    /// The code offset of the function's **native entry**, if it has one: `extern "sysv64"
    /// fn(vmctx, fp, params..) -> results`, the optimizer's native convention (see
    /// [`fits_registers`]), which the runtime publishes as the function's native entry so that
    /// baseline and optimized callers pass arguments and take results in registers. Functions
    /// of a type that [`fits_registers`] and without loops have one (a loop may leave for
    /// optimized code by on-stack replacement, whose results are in the frame only). The
    /// results are in the frame too, as the code-table entry (offset 0) returns them.
    pub native_entry: Option<u32>,
}

impl BaselineCode {
    /// With a native entry, the entry that calls through function references take
    /// (`call_indirect`, `call_ref`): a `jmp` to the native entry, placed before it at an
    /// offset whose bits 2 and 3 are the function's defined index modulo 4.
    ///
    /// The taken branch writes the callee into the branch history that the CPU's
    /// indirect-branch predictor reads. Measured on this machine (Zen 4, timings only): when
    /// a `call_indirect` alternates between two callees whose paths back to it differ only
    /// in their `ret`s, the predictor tells the two apart by bits 2–3 of the `ret`s'
    /// addresses alone. When those agree (one layout in four), every such call is
    /// mispredicted: `multiret` took 150 ms instead of 50–60 ms in `--tier baseline`, and
    /// wasmtime is exposed in the same way. With this jump, two callees whose indices differ
    /// modulo 4 were fast in all 256 placements of their `ret`s; callees with equal indices
    /// modulo 4 collide in a quarter of them, as without it. Direct calls take the native
    /// entry and do not pay for the jump.
    pub fn ref_entry(&self) -> Option<u32> {
        self.native_entry.map(|at| at - masm::JUMP_TO_NEXT_LEN)
    }

    /// The alignment the code's start needs: 16 when it has a constant pool (its `v128`
    /// constants are 16-byte aligned relative to the start and read by SSE instructions that
    /// fault on a misaligned operand), else 1.
    pub fn alignment(&self) -> u32 {
        if (self.data_offset as usize) < self.code.len() {
            16
        } else {
            1
        }
    }
}

/// Why a function could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError(pub String);

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "baseline compilation failed: {}", self.0)
    }
}

impl std::error::Error for CompileError {}

/// Compiles `func` (its interpreter bytecode) to machine code.
///
/// # Errors
/// If the assembler rejects the code, or the compiler panics (both compiler bugs, reported
/// rather than propagated: compiles run inside the tier-up libcall, called from machine code,
/// where a panic cannot unwind and would abort the process).
pub fn compile(func: &CompiledFunc, env: &CompileEnv) -> Result<BaselineCode, CompileError> {
    // Every piece of state the closure touches is created inside it or only read.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        codegen::Codegen::new(func, env).finish()
    }))
    .unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        Err(CompileError(format!("internal error: {message}")))
    })
}
