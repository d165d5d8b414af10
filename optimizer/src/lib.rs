//! `tierup-optimizer`: the optimizing tier. Our own wasm → CLIF translator on
//! `cranelift-frontend`, compiled by `cranelift-codegen` into position-independent bytes that
//! the runtime copies into its code arena (DESIGN.md §7).
//!
//! Layers (STYLE.md): [`Compiler::compile`] (one reusable ISA, `Context` and
//! `FunctionBuilderContext` per compiling thread) → `translate` (the visitor over wasm
//! operators: values, locals as `Variable`s, the control stack; its SIMD operators in `simd`)
//! → `vm` (how compiled code reaches instance state: memory, tables, globals, calls and
//! libcalls, all through the vmctx at the offsets of `tierup_abi::vmctx::offsets`).
//!
//! Two entries per function (DESIGN.md §3):
//! - the function is compiled with its **native** signature ([`Compiler::compile_native`]:
//!   `extern "sysv64" fn(vmctx, fp, params..) -> results`; results beyond the return
//!   registers in a return area the caller provides), which calls between optimized functions
//!   use: direct calls, and `call_indirect` and calls of imported functions once the function
//!   reference holds a native entry (`VmFuncRef::native`);
//! - its code-table entry is a small **slot-ABI wrapper** ([`Compiler::compile_slot_wrapper`])
//!   that loads the arguments from `fp[..]`, calls the native entry and stores the results
//!   (the tier ABI, which the interpreter and baseline code call).
//!
//! [`Compiler::compile`] compiles a function as its own slot-ABI entry
//! (`extern "sysv64" fn(vmctx, fp)`, arguments from `fp[..]`, results to `fp[..]`), for
//! inspection and tests. Every local and temporary lives in registers. Every position in a frame comes
//! from the types (`tierup_abi::types::slot_offsets`: a value takes one 8-byte slot, a `v128`
//! two, low half first). Calls through the code table (or a function reference) place the
//! callee's frame at `fp + own`, `own` being the slots of the caller's parameters or results
//! (whichever is more). The only absolute addresses in the output are [`Symbol`]s (the
//! runtime's raise and attention routines, a wrapper's callee), filled in by the compiler
//! and listed in [`OptCode::symbols`] so that a cached copy can be patched (direct calls
//! read their callee's native-entry cell through the vmctx, `VmCtx::native_cells`);
//! any other relocation is a compile error. Rust routines are reached only through the
//! vmctx's libcall table (`tierup_abi::libcalls`). A `v128` native parameter or result is in an xmm register.
//!
//! Traps: every memory access carries a trap code (the guard region catches out-of-bounds
//! accesses), explicit checks become `trapz`/`trapnz`, the native stack limit is Cranelift's
//! `stack_limit` check, and a non-zero status returned by a Rust helper is raised through the
//! runtime's `raise` routine ([`OptEnv::raise`]). [`OptCode::traps`] lists every site with its
//! [`TrapCode`] for the runtime's trap registry. Frame pointers are always kept, so the
//! runtime's `rbp` walk sees optimized frames like baseline ones.
//!
//! [`Compiler::compile_osr`] compiles the on-stack-replacement variant of a function: the
//! same translation entered at one of its loop headers with a frame in the interpreter's
//! layout (see `translate`).
//!
//! ## SIMD
//!
//! Every fixed-width SIMD operator has exactly wasm's semantics (see `simd`: a `v128` is CLIF
//! `i8x16`, bitcast to the lane shape each operator reads). Relaxed SIMD lets an engine pick
//! among several results per operator; tierup picks one, the same in every tier, so that
//! tier-up never changes a result (DESIGN.md §8a). The interpreter and the baseline JIT
//! implement exactly this table (`tests/relaxed_simd.rs` pins the bits):
//!
//! | relaxed operator | tierup's result |
//! |---|---|
//! | `i8x16.relaxed_swizzle` | `i8x16.swizzle`: an index ≥ 16 gives 0 |
//! | `i32x4.relaxed_trunc_f32x4_{s,u}`, `i32x4.relaxed_trunc_f64x2_{s,u}_zero` | the `trunc_sat` counterpart: saturating, NaN → 0 |
//! | `f32x4/f64x2.relaxed_madd(a, b, c)` | `a * b + c` unfused: `fmul`, then `fadd`, each rounded |
//! | `f32x4/f64x2.relaxed_nmadd(a, b, c)` | `-(a * b) + c` unfused: `fmul`, `fneg` of the product, then `fadd` |
//! | `{i8x16,i16x8,i32x4,i64x2}.relaxed_laneselect(a, b, m)` | `v128.bitselect(a, b, m)`: each bit from `a` where `m`'s bit is set, else from `b` |
//! | `f32x4/f64x2.relaxed_{min,max}` | `f32x4/f64x2.{min,max}`: NaN if either operand is NaN, −0 < +0 |
//! | `i16x8.relaxed_q15mulr_s` | `i16x8.q15mulr_sat_s` (saturating: `MIN * MIN` = `MAX`) |
//! | `i16x8.relaxed_dot_i8x16_i7x16_s(a, b)` | lane `i` = `a[2i]·b[2i] + a[2i+1]·b[2i+1]`, all bytes **signed** i8, products and sum in i16, wrapping |
//! | `i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c)` | lane `i` = the four products `a[4i+j]·b[4i+j]` of **signed** bytes summed in i32, `+ c[i]`, wrapping |

mod simd;
mod translate;
mod vm;

use cranelift_codegen::FinalizedRelocTarget;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{self, AbiParam, ArgumentPurpose, Signature, UserFuncName};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use tierup_abi::{BoundsChecks, DefinedFuncIdx, ModuleInfo, TrapCode};

/// What the compiler needs to know about the module and the runtime it compiles for.
#[derive(Debug, Clone, Copy)]
pub struct OptEnv<'a> {
    /// The module.
    pub module: &'a ModuleInfo,
    /// How memory accesses are checked.
    pub bounds_checks: BoundsChecks,
    /// Address of the runtime's raise routine, `extern "sysv64" fn(status: u32) -> !`: it
    /// turns a non-zero status returned by a helper into a trap at a registered site, with a
    /// frame record so the backtrace includes the caller.
    pub raise: usize,
    /// Address of the runtime's attention stub, called (only in an engine with epoch
    /// interruption) when the store's attention flag is set: it takes the vmctx in `rdi`,
    /// follows Cranelift's `preserve_all` convention (it changes no register), and either
    /// returns (go on) or raises the trap the `attention` libcall answered.
    pub attention: usize,
    /// The module's native entries (see [`Compiler::compile_native`]), one per defined
    /// function, 0 until published; `None` to call every function through the code table.
    /// A direct call reads the callee's cell when the entry is published already or when the
    /// callee is the function being compiled (in its normal code, not in an OSR entry, which
    /// may run before the normal code is published); an eager compile calls directly instead.
    pub native: Option<&'a [std::sync::atomic::AtomicUsize]>,
    /// The eager `opt` mode: every function is compiled in one batch, published before any
    /// code runs and never replaced, so direct calls are `call rel32` to the callee's native
    /// entry, linked by the runtime ([`OptCode::direct_calls`]).
    pub eager: bool,
    /// Each defined function's optimized native entry, 0 while it has none (tiered modes).
    /// Optimized code is never replaced, so a direct call to a function whose entry is set
    /// when the compile begins (or to the function itself) is a `call rel32` too, linked by
    /// the runtime when it publishes the code ([`OptCode::direct_calls`]), instead of a call
    /// through the callee's cell (two dependent loads and an indirect call: 1.39x the time of
    /// the `calls` kernel, whose every call is direct). `None`: every call reads the cell.
    pub optimized: Option<&'a [std::sync::atomic::AtomicUsize]>,
    /// The engine's type id of each of the module's types (what a function reference's type
    /// id is compared with), when they are known: `call_indirect` then compares with a
    /// constant instead of loading the expected id from the vmctx. `None` loads it.
    pub type_ids: Option<&'a [u32]>,
    /// How loops poll for interrupts: strip mining and unrolling ([`LoopSettings`]).
    pub loops: LoopSettings,
    /// Whether a direct call may call a callee's native entry without checking it when it
    /// was published at compile time ([`OptCode::published_callees`]; `true`, the fast
    /// choice), or must check it for 0 at every call (`false`: code that can run in a
    /// module where the callee is not published yet, which the code cache needs when the
    /// order of publication differs between runs).
    pub assume_published: bool,
}

impl OptEnv<'_> {
    /// The address of `symbol` in this process (0 for a native entry: only a slot wrapper
    /// refers to one, and it is told).
    pub fn address_of(&self, symbol: Symbol) -> usize {
        match symbol {
            Symbol::Raise => self.raise,
            Symbol::Attention => self.attention,
            Symbol::NativeEntry(_) => 0,
        }
    }
}

/// How optimized loops poll for interrupts less often than at every header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopSettings {
    /// How many iterations a counted innermost loop runs between two interrupt polls (0:
    /// poll at every header, no strip mining). Default 1,024 (HotSpot's loop strip mining),
    /// which took the poll's whole cost off `matmul` (53 to 42 ms in `--tier opt`,
    /// wasmtime 45).
    pub poll_strip: u32,
    /// How many copies of each small innermost loop's body the translation makes (1: no
    /// unrolling). Only the first copy polls. Default 1: two copies (a small innermost loop
    /// polled every other iteration) made the `memory` kernel 1.28x faster and left the
    /// real-program corpus within 1% (geometric mean 0.992x tiered, 1.008x with every
    /// function compiled eagerly: the copies' compile time), but made `matmul` 1.15x
    /// slower, whose unrolled inner loop ran 40 or 52 ms without any poll depending on code
    /// elsewhere in its function (README, *Loop polls*): not a default the corpus asks for.
    pub copies: u8,
}

impl Default for LoopSettings {
    fn default() -> Self {
        LoopSettings {
            poll_strip: 1024,
            copies: 1,
        }
    }
}

/// Whether functions of type `ty` get a native entry (arguments and results in registers):
/// every type does. Results beyond the return registers (two integer, two vector) go to a
/// return area the caller reserves in its own native frame (Cranelift's implicit return-area
/// pointer, `enable_multi_ret_implicit_sret`; only optimized code calls native entries, so the
/// convention need not match any other ABI). The slot-ABI entry ([`Compiler::compile`]) stays
/// for inspection and tests.
pub fn has_native_entry(ty: &tierup_abi::FuncType) -> bool {
    let _ = ty;
    true
}

/// A compiled function: position-independent machine code and its trap sites.
#[derive(Debug, Clone)]
pub struct OptCode {
    /// The machine code (entry at offset 0).
    pub code: Vec<u8>,
    /// `(code offset, trap)` for every instruction that may trap.
    pub traps: Vec<(u32, Option<TrapCode>)>,
    /// Code offset of the header of the function's innermost loop (the loop whose back-edges
    /// span the fewest bytes; the first such in layout order), if it has a loop: the runtime
    /// places it at a cache-line boundary. Cranelift does not align loop headers, and without
    /// it a hot loop's speed depends on where its function lands in code memory (up to 1.5x
    /// on a dispatch loop), so an OSR entry and a normal entry of the same loop ran at
    /// different speeds. Both have the same innermost loop, so both get it aligned.
    pub hot_loop: Option<u32>,
    /// The alignment the code's start needs (a power of two): 16 when its constant pool holds
    /// 16-byte constants (legacy-SSE instructions fault on a misaligned memory operand), else
    /// as little as 1, which leaves the runtime free to put `hot_loop` exactly on a line.
    pub alignment: u32,
    /// Direct calls to link: `(code offset of a call's 32-bit displacement, callee)`, in eager
    /// compiles ([`OptEnv::eager`]) and, in tiered ones, to callees that were optimized when
    /// the compile began or to the function itself ([`OptEnv::optimized`]). The runtime
    /// stores there the callee's native entry minus the address just past the displacement
    /// (the `call rel32` convention) before the code can run.
    pub direct_calls: Vec<(u32, DefinedFuncIdx)>,
    /// `(code offset, symbol)` of every absolute address the code holds (an 8-byte
    /// immediate of a `movabs`), already filled in with this process's addresses. A copy of
    /// the code used in another process or for another module instance (the runtime's code
    /// cache) is patched with [`OptCode::relocate`] before it runs; nothing else in the code
    /// depends on where it or the runtime lives.
    pub symbols: Vec<(u32, Symbol)>,
    /// The defined functions whose native entry the code calls without checking it for 0
    /// (sorted): published when it was compiled (the fast choice,
    /// [`OptEnv::assume_published`]), or its own (published before its code can run); the
    /// callees of [`OptCode::direct_calls`] among them. A copy of the code (the runtime's code
    /// cache) may run only once each of them is published.
    pub published_callees: Vec<DefinedFuncIdx>,
}

impl OptCode {
    /// Writes the address `resolve` gives for each of [`OptCode::symbols`] into the code.
    pub fn relocate(&mut self, resolve: impl Fn(Symbol) -> usize) {
        for &(offset, symbol) in &self.symbols {
            let at = offset as usize;
            self.code[at..at + 8].copy_from_slice(&(resolve(symbol) as u64).to_le_bytes());
        }
    }
}

/// An absolute address in optimized code ([`OptCode::symbols`]): what differs between two
/// processes running the same code (address-space layout) or two modules sharing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// [`OptEnv::raise`].
    Raise,
    /// [`OptEnv::attention`].
    Attention,
    /// A defined function's native entry (the callee of its slot-ABI wrapper).
    NativeEntry(DefinedFuncIdx),
}

/// The external-name namespaces of [`Symbol`]s (after [`DIRECT_CALL_NAMESPACE`]).
const ROUTINE_NAMESPACE: u32 = 1;
const NATIVE_ENTRY_NAMESPACE: u32 = 3;

impl Symbol {
    /// Its external name in CLIF: `(namespace, index)`.
    pub(crate) fn external_name(self) -> (u32, u32) {
        match self {
            Symbol::Raise => (ROUTINE_NAMESPACE, 0),
            Symbol::Attention => (ROUTINE_NAMESPACE, 1),
            Symbol::NativeEntry(f) => (NATIVE_ENTRY_NAMESPACE, f.as_u32()),
        }
    }

    fn from_external_name(namespace: u32, index: u32) -> Option<Symbol> {
        match (namespace, index) {
            (ROUTINE_NAMESPACE, 0) => Some(Symbol::Raise),
            (ROUTINE_NAMESPACE, 1) => Some(Symbol::Attention),
            (NATIVE_ENTRY_NAMESPACE, f) => Some(Symbol::NativeEntry(DefinedFuncIdx(f))),
            _ => None,
        }
    }
}

/// The namespace of the external names of direct calls (their index is the callee's defined
/// function index); see [`OptCode::direct_calls`].
const DIRECT_CALL_NAMESPACE: u32 = 0;

/// A function compiled for inspection ([`Compiler::compile_listing`]).
#[derive(Debug, Clone)]
pub struct OptListing {
    /// The CLIF after translation, before Cranelift's optimizations.
    pub clif: String,
    /// The machine code.
    pub code: OptCode,
    /// Whether this is the native entry (else the slot-ABI entry).
    pub native: bool,
    /// `(start, end, module offset)`: the code range `start..end` was generated for the
    /// wasm operator at that offset; sorted by `start`. Code of no operator (prologue,
    /// epilogue, spills) is in no range.
    pub srclocs: Vec<(u32, u32, u32)>,
}

/// Why a function could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The function body could not be decoded (it was validated, so this is a bug).
    #[error("decoding: {0}")]
    Decode(#[from] wasmparser::BinaryReaderError),
    /// An operator this tier does not implement.
    #[error("unsupported operator `{0}`")]
    Unsupported(String),
    /// Cranelift rejected the function or failed to compile it.
    #[error("cranelift: {0}")]
    Codegen(String),
    /// The host ISA cannot be built (e.g. missing CPU features).
    #[error("target: {0}")]
    Target(String),
}

/// A reusable compiler: one per thread that compiles (DESIGN.md §4: each background worker
/// owns one and reuses its buffers across functions).
pub struct Compiler {
    isa: OwnedTargetIsa,
    ctx: cranelift_codegen::Context,
    builder_ctx: FunctionBuilderContext,
    /// The last translation's [`OptCode::published_callees`].
    published_callees: Vec<DefinedFuncIdx>,
}

impl std::fmt::Debug for Compiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiler")
            .field("isa", &self.isa.name())
            .finish()
    }
}

impl Compiler {
    /// A compiler for the host CPU, optimizing for speed, keeping frame pointers, without
    /// probestack (a libcall relocation) or unwind tables.
    ///
    /// The ISA has every x86 extension the host has (`cranelift_native` detects SSE3, SSSE3,
    /// SSE4.1, SSE4.2, POPCNT, LZCNT, BMI1/2, AVX, AVX2, FMA, the AVX-512 and VNNI subsets it
    /// uses) and no other; the vector lowerings use the best of them. SSE4.1 (which the
    /// runtime requires anyway) is checked, so no SIMD operator falls back to SSE2 sequences.
    ///
    /// # Errors
    /// If the host is not a supported target, or lacks SSE4.1.
    pub fn new() -> Result<Compiler, CompileError> {
        let mut flags = settings::builder();
        let set = |flags: &mut settings::Builder, name: &str, value: &str| {
            flags
                .set(name, value)
                .map_err(|e| CompileError::Target(format!("{name}={value}: {e}")))
        };
        set(&mut flags, "opt_level", "speed")?;
        set(&mut flags, "preserve_frame_pointers", "true")?;
        set(&mut flags, "enable_probestack", "false")?;
        set(&mut flags, "unwind_info", "false")?;
        // Block offsets and edges of the machine code, to find the innermost loop's header
        // (`OptCode::hot_loop`).
        set(&mut flags, "machine_code_cfg_info", "true")?;
        // Native entries with more results than return registers (`has_native_entry`).
        set(&mut flags, "enable_multi_ret_implicit_sret", "true")?;
        set(
            &mut flags,
            "enable_verifier",
            if cfg!(debug_assertions) {
                "true"
            } else {
                "false"
            },
        )?;
        let isa_builder =
            cranelift_native::builder().map_err(|e| CompileError::Target(e.into()))?;
        let isa = isa_builder
            .finish(settings::Flags::new(flags))
            .map_err(|e| CompileError::Target(e.to_string()))?;
        if isa_flag(&*isa, "has_sse41") != Some(true) {
            return Err(CompileError::Target("the host has no SSE4.1".into()));
        }
        Ok(Compiler {
            isa,
            ctx: cranelift_codegen::Context::new(),
            builder_ctx: FunctionBuilderContext::new(),
            published_callees: Vec::new(),
        })
    }

    /// What decides this compiler's output besides its input: the target, Cranelift's
    /// shared flags and the ISA's flags (the host's CPU features), and this crate's version
    /// (Cranelift's is pinned exactly). The runtime's code cache keys entries by it, so code
    /// compiled for another CPU or with other flags is never used.
    pub fn fingerprint(&self) -> String {
        let isa_flags: Vec<String> = self.isa.isa_flags().iter().map(|v| v.to_string()).collect();
        format!(
            "tierup-optimizer {} {} {} {}",
            env!("CARGO_PKG_VERSION"),
            self.isa.triple(),
            self.isa.flags(),
            isa_flags.join(" "),
        )
    }

    /// Compiles a small function with a loop and throws the code away, so that the first
    /// real compile does not pay for what every first compile pays: faulting in Cranelift's
    /// own machine code and growing the context's buffers. The background workers run it
    /// while they wait for their first job (it takes a few hundred microseconds then, which
    /// the first hot function would otherwise wait for).
    ///
    /// # Errors
    /// If Cranelift fails (which would fail every real compile too).
    pub fn warm_up(&mut self) -> Result<(), CompileError> {
        use cranelift_codegen::ir::InstBuilder;
        use cranelift_codegen::ir::condcodes::IntCC;
        use cranelift_codegen::ir::types::I64;
        use cranelift_frontend::FunctionBuilder;

        self.ctx.clear();
        let mut sig = slot_abi_signature();
        sig.returns.push(AbiParam::new(I64));
        self.ctx.func.signature = sig;
        self.ctx.func.name = UserFuncName::user(2, 0);
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.builder_ctx);
        // fn(base, n) -> sum of the n words at base.
        let entry = b.create_block();
        let header = b.create_block();
        let exit = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.append_block_param(header, I64);
        b.append_block_param(header, I64);
        b.append_block_param(exit, I64);
        b.switch_to_block(entry);
        let (base, n) = (b.block_params(entry)[0], b.block_params(entry)[1]);
        let zero = b.ins().iconst(I64, 0);
        b.ins().jump(header, &[zero.into(), zero.into()]);
        b.switch_to_block(header);
        let (i, sum) = (b.block_params(header)[0], b.block_params(header)[1]);
        let addr = b.ins().iadd(base, i);
        let word = b.ins().load(I64, ir::MemFlagsData::trusted(), addr, 0);
        let sum = b.ins().iadd(sum, word);
        let next = b.ins().iadd_imm_u(i, 8);
        let more = b.ins().icmp(IntCC::UnsignedLessThan, next, n);
        b.ins().brif(
            more,
            header,
            &[next.into(), sum.into()],
            exit,
            &[sum.into()],
        );
        b.switch_to_block(exit);
        let sum = b.block_params(exit)[0];
        b.ins().return_(&[sum]);
        b.seal_all_blocks();
        b.finalize(self.isa.frontend_config());
        self.finish_compile(&|_| 0).map(drop)
    }

    /// Compiles defined function `func` of `env.module`.
    ///
    /// # Errors
    /// If the body uses an operator this tier does not implement, or Cranelift fails.
    pub fn compile(
        &mut self,
        env: &OptEnv<'_>,
        func: DefinedFuncIdx,
    ) -> Result<OptCode, CompileError> {
        self.compile_entry(env, func, translate::Entry::Slot)
    }

    /// Compiles defined function `func` (which must satisfy [`has_native_entry`]) with
    /// its native signature, `extern "sysv64" fn(vmctx, fp, params..) -> result`: optimized
    /// callers pass arguments and get the result in registers; `fp` is where the function's
    /// own callees' frames go. [`Compiler::compile_slot_wrapper`] makes its tier-ABI entry.
    ///
    /// # Errors
    /// As [`Compiler::compile`].
    pub fn compile_native(
        &mut self,
        env: &OptEnv<'_>,
        func: DefinedFuncIdx,
    ) -> Result<OptCode, CompileError> {
        self.compile_entry(env, func, translate::Entry::Native)
    }

    /// Compiles the tier-ABI entry of defined function `func` whose native entry is
    /// published at `native`: it loads the arguments from `fp`, calls the native entry and
    /// stores the result. It is not a wasm frame of its own (register it without a function,
    /// so backtraces skip it).
    ///
    /// # Errors
    /// If Cranelift fails.
    pub fn compile_slot_wrapper(
        &mut self,
        env: &OptEnv<'_>,
        func: DefinedFuncIdx,
        native: usize,
    ) -> Result<OptCode, CompileError> {
        self.ctx.clear();
        self.ctx.func.signature = slot_abi_signature();
        self.ctx.func.name = UserFuncName::user(1, func.as_u32());
        let ty = env.module.func_type(env.module.func_of(func));
        vm::build_slot_wrapper(
            &mut self.ctx.func,
            &mut self.builder_ctx,
            self.isa.frontend_config(),
            ty,
            func,
        );
        self.finish_compile(&|symbol| match symbol {
            Symbol::NativeEntry(f) if f == func => native,
            other => env.address_of(other),
        })
    }

    /// Compiles the on-stack-replacement entry of defined function `func` for the
    /// `loop` operators at module offsets `loops` (each entered with an empty operand stack,
    /// at least one): machine code `extern "sysv64" fn(vmctx, fp, loop: u32)` that takes a
    /// frame in the interpreter's layout (every local in its slot, as the interpreter and
    /// baseline code keep them at loop headers), continues the activation at the header of
    /// `loops[loop]` and finishes it (results to `fp[..]`, as any entry). The runtime puts a
    /// `mov edx, loop; jmp` stub per loop in front of it, so each is a tier-ABI entry.
    ///
    /// # Errors
    /// As [`Compiler::compile`], or if a loop is missing or has live operands.
    pub fn compile_osr(
        &mut self,
        env: &OptEnv<'_>,
        func: DefinedFuncIdx,
        loops: &[u32],
    ) -> Result<OptCode, CompileError> {
        self.compile_entry(env, func, translate::Entry::Osr(loops))
    }

    fn compile_entry(
        &mut self,
        env: &OptEnv<'_>,
        func: DefinedFuncIdx,
        kind: translate::Entry<'_>,
    ) -> Result<OptCode, CompileError> {
        self.translate_entry(env, func, kind)?;
        self.finish_compile(&|symbol| env.address_of(symbol))
    }

    /// Translates `kind` of defined function `func` into the (cleared) context.
    fn translate_entry(
        &mut self,
        env: &OptEnv<'_>,
        func: DefinedFuncIdx,
        kind: translate::Entry<'_>,
    ) -> Result<(), CompileError> {
        self.ctx.clear();
        self.ctx.func.signature = match kind {
            translate::Entry::Native => {
                native_signature(env.module.func_type(env.module.func_of(func)))
            }
            translate::Entry::Slot => slot_abi_signature(),
            translate::Entry::Osr(_) => {
                let mut sig = slot_abi_signature();
                sig.params.push(AbiParam::new(ir::types::I32));
                sig
            }
        };
        self.ctx.func.name = UserFuncName::user(0, func.as_u32());
        let translated = translate::translate(
            env,
            func,
            kind,
            &mut self.ctx.func,
            &mut self.builder_ctx,
            self.isa.frontend_config(),
        )
        .map(|published| self.published_callees = published);
        if translated.is_err() {
            // A translation that stopped half-way leaves the builder's state behind; the next
            // function needs it empty.
            self.builder_ctx = FunctionBuilderContext::new();
        }
        translated
    }

    /// Compiles the function in the context; checks it needs no relocation but its direct
    /// calls (eager compiles) and its [`Symbol`]s, whose addresses `resolve` gives.
    fn finish_compile(
        &mut self,
        resolve: &dyn Fn(Symbol) -> usize,
    ) -> Result<OptCode, CompileError> {
        let has_loop = has_hot_loop(&self.ctx.func);
        // The callees of direct calls (`Compiler::compile` borrows the context).
        let named_callees = self.ctx.func.params.user_named_funcs().clone();
        let compiled = self
            .ctx
            .compile(&*self.isa, &mut ControlPlane::default())
            .map_err(|e| CompileError::Codegen(format!("{:?}", e.inner)))?;
        let buffer = &compiled.buffer;
        let mut direct_calls = Vec::new();
        let mut symbols = Vec::new();
        for reloc in buffer.relocs() {
            // An absolute address (`movabs`, addend 0) of a symbol.
            if let (
                cranelift_codegen::binemit::Reloc::Abs8,
                FinalizedRelocTarget::ExternalName(ir::ExternalName::User(name)),
                0,
            ) = (&reloc.kind, &reloc.target, reloc.addend)
                && let Some(symbol) = named_callees
                    .get(*name)
                    .and_then(|n| Symbol::from_external_name(n.namespace, n.index))
            {
                symbols.push((reloc.offset, symbol));
                continue;
            }
            // Only direct calls (`call rel32` with the displacement's usual -4 addend) to a
            // function of the module; anything else would be position-dependent output.
            let callee = match (&reloc.kind, &reloc.target, reloc.addend) {
                (
                    cranelift_codegen::binemit::Reloc::X86CallPCRel4,
                    FinalizedRelocTarget::ExternalName(ir::ExternalName::User(name)),
                    -4,
                ) => named_callees.get(*name).cloned(),
                _ => None,
            };
            match callee {
                Some(name) if name.namespace == DIRECT_CALL_NAMESPACE => {
                    direct_calls.push((reloc.offset, DefinedFuncIdx(name.index)));
                }
                _ => {
                    return Err(CompileError::Codegen(format!(
                        "position-dependent output (relocation {:?})",
                        reloc.kind
                    )));
                }
            }
        }
        let traps = buffer
            .traps()
            .iter()
            .map(|t| (t.offset, trap_code(t.code)))
            .collect();
        let mut code = OptCode {
            code: buffer.data().to_vec(),
            traps,
            hot_loop: has_loop
                .then(|| {
                    let edges = branch_edges(buffer.data(), &compiled.bb_starts);
                    innermost_loop_header(&compiled.bb_starts, &edges)
                })
                .flatten(),
            alignment: buffer.alignment.max(1),
            direct_calls,
            symbols,
            published_callees: std::mem::take(&mut self.published_callees),
        };
        code.relocate(resolve);
        Ok(code)
    }

    /// Compiles defined function `func` as the runtime does (its native entry when it
    /// [`has_native_entry`], else its slot entry) and keeps what a reader wants to see
    /// (`tierup explore`): the CLIF after translation (each instruction prefixed by the module
    /// offset of its wasm operator, `@00a3`) and which code ranges came from which operator.
    ///
    /// # Errors
    /// As [`Compiler::compile`].
    pub fn compile_listing(
        &mut self,
        env: &OptEnv<'_>,
        func: DefinedFuncIdx,
    ) -> Result<OptListing, CompileError> {
        let ty = env.module.func_type(env.module.func_of(func));
        let kind = if has_native_entry(ty) {
            translate::Entry::Native
        } else {
            translate::Entry::Slot
        };
        self.translate_entry(env, func, kind)?;
        let clif = self.ctx.func.display().to_string();
        let code = self.finish_compile(&|symbol| env.address_of(symbol))?;
        let srclocs = self
            .ctx
            .compiled_code()
            .map(|compiled| {
                compiled
                    .buffer
                    .get_srclocs_sorted()
                    .iter()
                    .filter(|s| !s.loc.is_default())
                    .map(|s| (s.start, s.end, s.loc.bits()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(OptListing {
            clif,
            code,
            native: matches!(kind, translate::Entry::Native),
            srclocs,
        })
    }

    /// The CLIF of defined function `func` after translation, before optimization (for
    /// diagnostics and tests).
    ///
    /// # Errors
    /// As [`Compiler::compile`], for translation.
    pub fn clif(&mut self, env: &OptEnv<'_>, func: DefinedFuncIdx) -> Result<String, CompileError> {
        self.translate_entry(env, func, translate::Entry::Slot)?;
        Ok(self.ctx.func.display().to_string())
    }
}

/// Whether `func` has a loop outside its cold blocks: a branch from a block that is not cold
/// to a block at or before it in layout order. (A cold slow path's jump back to where the
/// fast path goes on is a back-edge in the machine code too, but no loop: anchoring it would
/// only move the function's entry off its alignment.)
fn has_hot_loop(func: &ir::Function) -> bool {
    let position: std::collections::HashMap<ir::Block, usize> = func
        .layout
        .blocks()
        .enumerate()
        .map(|(i, block)| (block, i))
        .collect();
    func.layout.blocks().any(|block| {
        let Some(last) = func.layout.last_inst(block) else {
            return false;
        };
        !func.layout.is_cold(block)
            && func.dfg.insts[last]
                .branch_destination(&func.dfg.jump_tables, &func.dfg.exception_tables)
                .iter()
                .any(|call| position[&call.block(&func.dfg.value_lists)] <= position[&block])
    })
}

/// The jumps at the ends of the blocks of x86-64 machine `code` whose blocks start at
/// `starts` (sorted): `(block start, target)` for every `jmp` or `jcc` that ends a block, or
/// precedes the `jmp` that ends it, and lands on a block start. Cranelift's x86-64 backend
/// emits only 32-bit displacements (its label uses are `JmpRel32` and `PCRel32`), so only
/// those are read: a 2-byte pattern matched the tail of other instructions (`79 f8` in
/// `lea edi, [rcx - 8]` read as `jns -8` made a false 13-byte loop in a SQLite function).
///
/// Cranelift reports the edges itself (`bb_edges`), but 0.135 pairs each edge's source with
/// the start of the block of that index in emission order, and cold blocks are emitted last:
/// in a function with a cold block, sources are other blocks' starts. With the loop `dispatch`
/// runs, the innermost "loop" found from them was the function's exit, so neither its normal
/// nor its OSR entry had its loop on a cache line, and on an Intel Xeon the OSR entry's loop
/// ran 1.35x slower than the normal entry's. The machine code itself is unambiguous.
fn branch_edges(code: &[u8], starts: &[u32]) -> Vec<(u32, u32)> {
    let is_start = |t: i64| u32::try_from(t).is_ok_and(|t| starts.binary_search(&t).is_ok());
    let rel32 = |at: usize| i64::from(i32::from_le_bytes(code[at..at + 4].try_into().unwrap()));
    // The target of a branch ending at `end` (and starting at or after `start`), if the
    // bytes before `end` are one; and where that branch starts.
    let branch_ending_at = |start: usize, end: usize| -> Option<(i64, usize)> {
        let len = end - start;
        if len >= 5 && code[end - 5] == 0xE9 {
            return Some((end as i64 + rel32(end - 4), end - 5));
        }
        if len >= 6 && code[end - 6] == 0x0F && code[end - 5] & 0xF0 == 0x80 {
            return Some((end as i64 + rel32(end - 4), end - 6));
        }
        None
    };
    let mut edges = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts
            .get(i + 1)
            .map_or(code.len(), |&e| (e as usize).min(code.len()));
        let start_at = start as usize;
        if start_at >= end {
            continue;
        }
        let mut end_at = end;
        // The last branch, and a conditional one just before it.
        for _ in 0..2 {
            let Some((target, branch_start)) = branch_ending_at(start_at, end_at) else {
                break;
            };
            if is_start(target) {
                edges.push((start, target as u32));
            }
            end_at = branch_start;
        }
    }
    edges
}

/// The header of the innermost loop of machine code with blocks at offsets `starts` (in
/// layout order) and control-flow edges `edges` (`(from block, to block)` by start offset):
/// a back-edge goes to a block at or before its source, and its loop spans from the header to
/// the end of the source block; the loop with the shortest span wins (the first on a tie).
fn innermost_loop_header(starts: &[u32], edges: &[(u32, u32)]) -> Option<u32> {
    // `starts` is sorted (layout order).
    let block_end = |start: u32| {
        let next = starts.partition_point(|&s| s <= start);
        starts.get(next).copied().unwrap_or(u32::MAX)
    };
    edges
        .iter()
        .filter(|&&(from, to)| to <= from)
        .map(|&(from, to)| (block_end(from).saturating_sub(to), to))
        .min()
        .map(|(_, header)| header)
}

/// The value of boolean ISA flag `name` (e.g. `has_sse41`), if the ISA has such a flag.
fn isa_flag(isa: &dyn cranelift_codegen::isa::TargetIsa, name: &str) -> Option<bool> {
    isa.isa_flags()
        .iter()
        .find(|v| v.name == name)
        .and_then(|v| v.as_bool())
}

/// The tier ABI's entry signature: `extern "sysv64" fn(vmctx, fp)`.
pub(crate) fn slot_abi_signature() -> Signature {
    let mut sig = Signature::new(CallConv::SystemV);
    sig.params.push(AbiParam::special(
        ir::types::I64,
        ArgumentPurpose::VMContext,
    ));
    sig.params.push(AbiParam::new(ir::types::I64));
    sig
}

/// A function's native signature: `extern "sysv64" fn(vmctx, fp, params..) -> results`.
pub(crate) fn native_signature(ty: &tierup_abi::FuncType) -> Signature {
    let mut sig = slot_abi_signature();
    sig.params.extend(
        ty.params()
            .iter()
            .map(|&t| AbiParam::new(translate::clif_type(t))),
    );
    sig.returns.extend(
        ty.results()
            .iter()
            .map(|&t| AbiParam::new(translate::clif_type(t))),
    );
    sig
}

/// The Cranelift trap code that stands for one of ours.
pub(crate) fn clif_trap(code: TrapCode) -> ir::TrapCode {
    match code {
        TrapCode::StackOverflow => ir::TrapCode::STACK_OVERFLOW,
        TrapCode::IntegerOverflow => ir::TrapCode::INTEGER_OVERFLOW,
        TrapCode::MemoryOutOfBounds => ir::TrapCode::HEAP_OUT_OF_BOUNDS,
        TrapCode::IntegerDivisionByZero => ir::TrapCode::INTEGER_DIVISION_BY_ZERO,
        TrapCode::BadConversionToInteger => ir::TrapCode::BAD_CONVERSION_TO_INTEGER,
        other => ir::TrapCode::unwrap_user(other as u8 + 1),
    }
}

/// Our trap code for a Cranelift one (the inverse of [`clif_trap`]).
fn trap_code(code: ir::TrapCode) -> Option<TrapCode> {
    Some(match code {
        ir::TrapCode::STACK_OVERFLOW => TrapCode::StackOverflow,
        ir::TrapCode::INTEGER_OVERFLOW => TrapCode::IntegerOverflow,
        ir::TrapCode::HEAP_OUT_OF_BOUNDS => TrapCode::MemoryOutOfBounds,
        ir::TrapCode::INTEGER_DIVISION_BY_ZERO => TrapCode::IntegerDivisionByZero,
        ir::TrapCode::BAD_CONVERSION_TO_INTEGER => TrapCode::BadConversionToInteger,
        user => {
            let raw = user.as_raw().get();
            return TrapCode::ALL.get(usize::from(raw) - 1).copied();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A module from text, with every feature this tier supports (SIMD and relaxed SIMD).
    pub(crate) fn module(wat: &str) -> ModuleInfo {
        let features = tierup_abi::Features {
            simd: true,
            relaxed_simd: true,
            multi_memory: true,
        };
        ModuleInfo::parse_with(wat::parse_str(wat).expect("valid text"), features)
            .expect("valid module")
    }

    /// An environment for compiling `info` on its own (no native entries, not eager).
    pub(crate) fn env(info: &ModuleInfo, bounds_checks: BoundsChecks) -> OptEnv<'_> {
        OptEnv {
            module: info,
            bounds_checks,
            raise: 0x1000,
            attention: 0x2000,
            native: None,
            eager: false,
            type_ids: None,
            loops: LoopSettings::default(),
            assume_published: true,
            optimized: None,
        }
    }

    /// The module offset of the first `loop` operator of defined function `f`.
    fn first_loop_offset(info: &ModuleInfo, f: DefinedFuncIdx) -> u32 {
        let body = info.body(f);
        let mut ops = body.get_operators_reader().unwrap();
        loop {
            let at = ops.original_position() as u32;
            if let wasmparser::Operator::Loop { .. } = ops.read().unwrap() {
                return at;
            }
        }
    }

    #[test]
    fn output_is_position_independent_with_every_trap_site_listed() {
        let info = module(
            r#"(module (memory 1) (table 1 funcref) (type $t (func))
                 (func (param i32 i32) (result i32)
                   (loop $l (br_if $l (i32.eqz (local.get 1))))
                   (call_indirect (type $t) (local.get 1))
                   (i32.div_s (i32.load (local.get 0)) (local.get 1))))"#,
        );
        let env = env(&info, BoundsChecks::Guard);
        let mut compiler = Compiler::new().expect("host ISA");
        let code = compiler.compile(&env, DefinedFuncIdx(0)).expect("compiles");
        assert!(!code.code.is_empty());
        let codes: Vec<TrapCode> = code.traps.iter().filter_map(|t| t.1).collect();
        for expected in [
            TrapCode::MemoryOutOfBounds,
            TrapCode::IntegerDivisionByZero,
            TrapCode::IntegerOverflow,
            TrapCode::TableOutOfBounds,
            TrapCode::IndirectCallToNull,
            TrapCode::BadSignature,
            TrapCode::StackOverflow,
            TrapCode::Interrupted,
        ] {
            assert!(codes.contains(&expected), "{expected:?} in {codes:?}");
        }
        assert!(code.traps.iter().all(|t| (t.0 as usize) < code.code.len()));
    }

    #[test]
    fn clif_shows_the_tier_abi() {
        let info = module(r#"(module (func (param i64) (result i64) (local.get 0)))"#);
        let env = env(&info, BoundsChecks::Explicit);
        let clif = Compiler::new()
            .expect("host ISA")
            .clif(&env, DefinedFuncIdx(0))
            .expect("translates");
        assert!(clif.contains("vmctx"), "{clif}");
        assert!(clif.contains("stack_limit"), "{clif}");
        assert!(clif.contains("return"), "{clif}");
    }

    #[test]
    fn known_type_ids_are_constants_in_indirect_calls() {
        let info = module(
            r#"(module (table 1 funcref) (type $a (func)) (type $t (func (param i32) (result i32)))
                 (func (param i32) (result i32)
                   (call_indirect (type $t) (local.get 0) (local.get 0))))"#,
        );
        let type_ids_load = format!("+{}", tierup_abi::vmctx::offsets::TYPE_IDS);
        let mut compiler = Compiler::new().expect("host ISA");
        let mut env = env(&info, BoundsChecks::Guard);
        let loaded = compiler.clif(&env, DefinedFuncIdx(0)).expect("translates");
        assert!(loaded.contains(&type_ids_load), "{loaded}");
        env.type_ids = Some(&[7, 12345]);
        let constant = compiler.clif(&env, DefinedFuncIdx(0)).expect("translates");
        assert!(!constant.contains(&type_ids_load), "{constant}");
        assert!(constant.contains("iconst.i32 0x3039"), "{constant}"); // 12345
    }

    #[test]
    fn multi_result_functions_have_native_entries_and_indirect_calls_use_them() {
        // More results than return registers (two integer, two vector): a return area.
        let info = module(
            r#"(module (table 1 funcref) (type $t (func (param i32) (result i32 i64 i32 f32 f64 v128)))
                 (func (type $t)
                   (local.get 0) (i64.const 2) (i32.const 3) (f32.const 4) (f64.const 5)
                   (v128.const i64x2 6 7))
                 (func (param i32) (result i32 i64 i32 f32 f64 v128)
                   (call_indirect (type $t) (local.get 0) (i32.const 0))))"#,
        );
        let ty = info.func_type(info.func_of(DefinedFuncIdx(0)));
        assert!(has_native_entry(ty));
        let env = env(&info, BoundsChecks::Guard);
        let mut compiler = Compiler::new().expect("host ISA");
        for func in [DefinedFuncIdx(0), DefinedFuncIdx(1)] {
            compiler.compile_native(&env, func).expect("native entry");
            compiler
                .compile_slot_wrapper(&env, func, 0x1000)
                .expect("wrapper");
        }
        let listing = compiler
            .compile_listing(&env, DefinedFuncIdx(1))
            .expect("listing");
        assert!(listing.native);
        // The indirect call goes through the callee's native signature (when its entry is
        // published), beside the slot-ABI path.
        assert!(
            listing
                .clif
                .contains("(i64 vmctx, i64, i32) -> i32, i64, i32, f32, f64, i8x16 system_v"),
            "{}",
            listing.clif
        );
        assert!(
            listing.clif.contains("(i64 vmctx, i64) system_v"),
            "{}",
            listing.clif
        );
    }

    #[test]
    fn a_failed_translation_leaves_the_compiler_usable() {
        let info = module(r#"(module (func (result i32) (i32.const 1)))"#);
        let env = env(&info, BoundsChecks::Guard);
        let mut compiler = Compiler::new().expect("host ISA");
        // Fails after the whole body was translated: there is no loop at that offset.
        let failed = compiler.compile_osr(&env, DefinedFuncIdx(0), &[1 << 20]);
        assert!(
            matches!(failed, Err(CompileError::Unsupported(_))),
            "{failed:?}"
        );
        compiler
            .compile(&env, DefinedFuncIdx(0))
            .expect("compiles after a failure");
    }

    #[test]
    fn a_warmed_up_compiler_compiles_as_a_fresh_one() {
        let info = module(
            r#"(module (func (param i32) (result i32)
                 (loop $l (br_if $l (i32.eqz (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
                 (local.get 0)))"#,
        );
        let env = env(&info, BoundsChecks::Guard);
        let fresh = Compiler::new()
            .expect("host ISA")
            .compile(&env, DefinedFuncIdx(0))
            .expect("compiles");
        let mut warmed = Compiler::new().expect("host ISA");
        warmed.warm_up().expect("the warm-up compiles");
        let after = warmed.compile(&env, DefinedFuncIdx(0)).expect("compiles");
        assert_eq!(fresh.code, after.code, "the warm-up leaves no state behind");
        assert_eq!(fresh.traps, after.traps);
        assert_eq!(fresh.hot_loop, after.hot_loop);
    }
    #[test]
    fn the_isa_has_exactly_the_host_cpu_features() {
        let compiler = Compiler::new().expect("host ISA");
        for (flag, host) in [
            ("has_sse3", std::is_x86_feature_detected!("sse3")),
            ("has_ssse3", std::is_x86_feature_detected!("ssse3")),
            ("has_sse41", std::is_x86_feature_detected!("sse4.1")),
            ("has_sse42", std::is_x86_feature_detected!("sse4.2")),
            ("has_popcnt", std::is_x86_feature_detected!("popcnt")),
            ("has_lzcnt", std::is_x86_feature_detected!("lzcnt")),
            ("has_bmi1", std::is_x86_feature_detected!("bmi1")),
            ("has_bmi2", std::is_x86_feature_detected!("bmi2")),
            ("has_avx", std::is_x86_feature_detected!("avx")),
            ("has_avx2", std::is_x86_feature_detected!("avx2")),
            ("has_fma", std::is_x86_feature_detected!("fma")),
            ("has_avx512f", std::is_x86_feature_detected!("avx512f")),
            ("has_avx512vl", std::is_x86_feature_detected!("avx512vl")),
        ] {
            assert_eq!(isa_flag(&*compiler.isa, flag), Some(host), "{flag}");
        }
    }

    #[test]
    fn the_innermost_loop_is_the_one_with_the_shortest_back_edge() {
        // Blocks at 0, 10, 20, 30, 40, 50: an outer loop 10..50 around an inner one 20..40.
        let starts = [0, 10, 20, 30, 40, 50];
        let edges = [
            (0, 10),
            (10, 20),
            (20, 30),
            (30, 20),
            (30, 40),
            (40, 10),
            (40, 50),
        ];
        assert_eq!(innermost_loop_header(&starts, &edges), Some(20));
        // No back-edge, no loop.
        assert_eq!(innermost_loop_header(&starts, &[(0, 10), (10, 50)]), None);
        // A self-loop in the last block.
        assert_eq!(innermost_loop_header(&starts, &[(50, 50)]), Some(50));
    }

    #[test]
    fn branch_edges_are_read_from_the_jumps_that_end_blocks() {
        // Blocks at 0, 16, 32, 48: block 16 ends `jne 16` then `jmp 0`; block 32 ends
        // `jmp 16`; block 48 ends with a `jmp` to no block start; block 0 ends with bytes that
        // would be `jns 0` as a short jump, which Cranelift never emits.
        let mut code = vec![0x90u8; 64];
        code[14..16].copy_from_slice(&[0x79, 0xF0]);
        let rel = |at: usize, len: usize, target: i64| (target - (at + len) as i64) as i32;
        code[21..23].copy_from_slice(&[0x0F, 0x85]);
        code[23..27].copy_from_slice(&rel(21, 6, 16).to_le_bytes());
        let jmp = |code: &mut Vec<u8>, at: usize, target: i64| {
            code[at] = 0xE9;
            code[at + 1..at + 5].copy_from_slice(&rel(at, 5, target).to_le_bytes());
        };
        jmp(&mut code, 27, 0);
        jmp(&mut code, 43, 16);
        jmp(&mut code, 59, 5);
        let starts = [0, 16, 32, 48];
        let mut edges = branch_edges(&code, &starts);
        edges.sort();
        assert_eq!(edges, [(16, 0), (16, 16), (32, 16)]);
        assert_eq!(innermost_loop_header(&starts, &edges), Some(16));
    }

    #[test]
    fn a_loop_with_a_cold_path_is_anchored_at_its_own_header() {
        // The `dispatch` kernel's loop: its `call_indirect` has a cold slot path, emitted
        // after the function's exit, and Cranelift's own edge list then names the wrong
        // sources: the "loop" found from it was the exit (see `branch_edges`).
        let info = module(include_str!("../../bench/kernels/dispatch.wat"));
        let env = env(&info, BoundsChecks::Guard);
        let run = DefinedFuncIdx(8);
        let native = Compiler::new().unwrap().compile_native(&env, run).unwrap();
        let header = native.hot_loop.expect("a loop") as usize;
        // Some block jumps back to the header from after it, and the call is in between.
        let code = &native.code;
        let jumps_back = (header..code.len() - 4).any(|at| {
            let rel = i64::from(i32::from_le_bytes(code[at + 1..at + 5].try_into().unwrap()));
            code[at] == 0xE9 && at as i64 + 5 + rel == header as i64
        }) || (header..code.len() - 1).any(|at| {
            (code[at] == 0xEB || code[at] & 0xF0 == 0x70)
                && at as i64 + 2 + i64::from(code[at + 1] as i8) == header as i64
        });
        assert!(jumps_back, "no jump back to {header:#x}");
        // `call *reg` (FF /2) follows the header within the loop.
        assert!(
            code[header..]
                .windows(2)
                .any(|w| w[0] == 0xFF && w[1] & 0xF8 == 0xD0),
            "no indirect call after the header"
        );
    }

    #[test]
    fn a_slow_paths_jump_back_is_no_loop() {
        // `call_indirect`'s slot path is a cold block that jumps back to where the native
        // call's path goes on: a back-edge in the machine code, but no loop to anchor.
        let info = module(
            r#"(module (type $t (func (param i32) (result i32))) (table 1 funcref)
                 (func (param i32) (result i32)
                   (call_indirect (type $t) (local.get 0) (i32.const 0))))"#,
        );
        let env = env(&info, BoundsChecks::Guard);
        let native = Compiler::new()
            .unwrap()
            .compile_native(&env, DefinedFuncIdx(0))
            .unwrap();
        assert_eq!(native.hot_loop, None);
    }

    /// Loops load their interrupt poll's address where no call keeps it live: a loop that
    /// calls at its header, a call-free loop before it; neither uses the entry block's
    /// movable copy, which would take a callee-saved register across the calls.
    #[test]
    fn loops_load_the_poll_address_where_no_call_keeps_it_live() {
        let info = module(
            r#"(module (func $f (param i32) (result i32) (local.get 0))
                 (func (param i32) (result i32) (local i32)
                   (loop $calls
                     (local.set 1 (call $f (local.get 1)))
                     (br_if $calls (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
                   (loop $plain
                     (local.set 1 (i32.add (local.get 1) (i32.const 3)))
                     (br_if $plain (i32.lt_u (local.get 1) (i32.const 1000))))
                   (local.get 1)))"#,
        );
        let env = env(&info, BoundsChecks::Guard);
        let clif = Compiler::new()
            .unwrap()
            .clif(&env, DefinedFuncIdx(1))
            .unwrap();
        let field = format!("+{}", tierup_abi::vmctx::offsets::INTERRUPT_POLL);
        // Each value defined by a load of the poll address (not `can_move`), with its block,
        // through aliases (`v29 -> v28`); each poll's block and address.
        let (mut block, mut loaded, mut polls) = (String::new(), HashMap::new(), Vec::new());
        for line in clif.lines() {
            // Without the source location (`@0033`).
            let line = line.trim();
            let line = match line.strip_prefix('@') {
                Some(rest) => rest.split_once(' ').map_or("", |(_, r)| r.trim_start()),
                None => line,
            };
            let value = line.split_whitespace().next().unwrap_or("").to_string();
            if line.starts_with("block") {
                block = value.split(['(', ':']).next().unwrap().to_string();
            } else if line.contains("= load.i64") && line.ends_with(&field) {
                if !line.contains("can_move") {
                    loaded.insert(value, block.clone());
                }
            } else if let Some((alias, target)) = line.split_once(" -> ") {
                if let Some(at) = loaded.get(target).cloned() {
                    loaded.insert(alias.to_string(), at);
                }
            } else if line.contains("atomic_load.i8") {
                let address = line.split_whitespace().last().unwrap().to_string();
                polls.push((block.clone(), address));
            }
        }
        assert_eq!(polls.len(), 2, "{clif}");
        for (i, (poll_block, address)) in polls.iter().enumerate() {
            let loaded_in = loaded
                .get(address)
                .unwrap_or_else(|| panic!("{address}: {clif}"));
            // The first loop calls: it loads the address at its header, where it polls.
            assert_eq!(loaded_in == poll_block, i == 0, "loop {i}:\n{clif}");
        }
    }

    #[test]
    fn a_loop_header_is_reported_for_both_entries_of_a_loop() {
        let info = module(
            r#"(module (func (param i32) (result i32) (local i32)
                 (loop $l
                   (local.set 1 (i32.add (local.get 1) (local.get 0)))
                   (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
                 (local.get 1)))"#,
        );
        let env = env(&info, BoundsChecks::Guard);
        let mut compiler = Compiler::new().unwrap();
        let f = DefinedFuncIdx(0);
        let native = compiler.compile_native(&env, f).unwrap();
        let header = native.hot_loop.expect("a loop");
        assert!((header as usize) < native.code.len());
        let loop_offset = first_loop_offset(&info, f);
        let osr = compiler.compile_osr(&env, f, &[loop_offset]).unwrap();
        assert!(osr.hot_loop.is_some_and(|h| (h as usize) < osr.code.len()));
        // Integer code has no constant pool: the runtime may place it anywhere.
        assert_eq!(native.alignment, 1);
        // Straight-line code has no loop; a 16-byte constant needs a 16-byte-aligned start.
        let info = module(
            "(module (func (param v128) (result v128) \
               (i32x4.add (local.get 0) (v128.const i32x4 1 2 3 4))))",
        );
        let env = super::tests::env(&info, BoundsChecks::Guard);
        let code = compiler.compile_native(&env, f).unwrap();
        assert_eq!((code.hot_loop, code.alignment), (None, 16));
    }

    /// An OSR entry is compiled on its own, and nothing in the optimizer orders its
    /// publication after the function's normal code (the runtime requests it once the normal
    /// code is installed; a policy that queued it first made it run before): its self-call
    /// checks the native-entry cell like a call to any unpublished function (it called
    /// address 0 when it assumed the cell was set, as the normal code may).
    #[test]
    fn an_osr_entrys_self_call_checks_the_native_entry() {
        let info = module(
            r#"(module (func $f (param i32) (result i32)
                 (loop $l
                   (if (i32.gt_s (local.get 0) (i32.const 100))
                     (then (drop (call $f (i32.const 0)))))
                   (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
                 (local.get 0)))"#,
        );
        let cells = [std::sync::atomic::AtomicUsize::new(0)];
        let mut env = env(&info, BoundsChecks::Guard);
        env.native = Some(&cells);
        let mut compiler = Compiler::new().unwrap();
        let f = DefinedFuncIdx(0);
        let loop_offset = first_loop_offset(&info, f);
        let calls_in = |compiler: &mut Compiler, kind| {
            compiler.translate_entry(&env, f, kind).unwrap();
            let clif = compiler.ctx.func.display().to_string();
            clif.matches("call_indirect").count()
        };
        // Normal code: one native call through the (own, published first) cell.
        assert_eq!(calls_in(&mut compiler, translate::Entry::Native), 1);
        // OSR entry: the checked form, a native call and the slot-ABI call beside it.
        let osr = calls_in(&mut compiler, translate::Entry::Osr(&[loop_offset]));
        assert_eq!(osr, 2);
    }

    /// Eager compiles call defined functions directly (`call rel32`, linked by the runtime);
    /// every other compile goes through the native-entry cells and has nothing to link.
    #[test]
    fn eager_compiles_call_directly_and_list_what_to_link() {
        let info = module(
            r#"(module
                 (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
                 (func (param i32) (result i32)
                   (call $leaf (call $leaf (local.get 0)))))"#,
        );
        let cells = [
            std::sync::atomic::AtomicUsize::new(0),
            std::sync::atomic::AtomicUsize::new(0),
        ];
        let mut env = env(&info, BoundsChecks::Guard);
        env.native = Some(&cells);
        let mut compiler = Compiler::new().unwrap();
        let caller = DefinedFuncIdx(1);
        let lazy = compiler.compile_native(&env, caller).unwrap();
        assert!(lazy.direct_calls.is_empty());
        env.eager = true;
        let eager = compiler.compile_native(&env, caller).unwrap();
        assert_eq!(eager.direct_calls.len(), 2, "{:?}", eager.direct_calls);
        for &(offset, callee) in &eager.direct_calls {
            assert_eq!(callee, DefinedFuncIdx(0));
            // The displacement of an `E8` call, not yet linked.
            assert_eq!(eager.code[offset as usize - 1], 0xE8);
            assert!(offset as usize + 4 <= eager.code.len());
        }
        // The leaf calls nothing.
        let leaf = compiler.compile_native(&env, DefinedFuncIdx(0)).unwrap();
        assert!(leaf.direct_calls.is_empty());
    }

    #[test]
    fn trap_codes_round_trip() {
        for code in TrapCode::ALL {
            assert_eq!(trap_code(clif_trap(code)), Some(code));
        }
    }
}
