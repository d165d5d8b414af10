//! Per-module machine-code state and tier-up (DESIGN.md §4): the interpreter stubs every
//! code-table entry starts at, baseline compilation (on the calling thread, at most once per
//! function), publication by one `Release` store into the code table, on-stack-replacement
//! entry points, and the libcalls through which the tiers reach all of this.
//!
//! [`ModuleJit`] owns the module's code arena and its trap registry (registered with the
//! signal handler for as long as the module lives). Code is never freed before the module:
//! a replaced entry may still be running in some activation.
//!
//! Interpreter stubs: defined function `i`'s stub is `INTERP_STUB_SIZE` bytes at
//! `stubs + i * INTERP_STUB_SIZE`: `mov edx, func_index; jmp common`, where `common` calls
//! [`libcall_interp_entry`] and turns a non-zero status into a trap at its "propagate" site.
//! So every code-table entry is callable from machine code, whatever the function's tier.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use dynasmrt::x64::X64Relocation;
use dynasmrt::{DynasmApi, DynasmLabelApi, VecAssembler, dynasm};
use parking_lot::Mutex;
use tierup_abi::{INTERP_STUB_SIZE, ModuleInfo, NO_OSR, TrapCode, VmCtx};
use tierup_baseline::{BaselineCode, CompileEnv};
use tierup_interp::InterpModule;

use crate::config::{BoundsChecks, Config, TierMode};
use crate::jit::arena::{CodeArena, CodeRange};
use crate::jit::registry::{CodeInfo, CodeRegistry, TrapSite};
use crate::jit::traps;

/// The countdown a function gets once it runs baseline code (no higher tier consumes it yet,
/// so baseline code calls `tier_up` only every 2^31 calls and back-edges).
const AFTER_BASELINE: i32 = i32::MAX;

/// A function's baseline code.
#[derive(Debug)]
pub(crate) struct BaselineFunc {
    /// `(bytecode index of a loop header, address)` OSR entries, sorted.
    osr: Box<[(u32, usize)]>,
    /// Machine-code bytes.
    pub(crate) code_bytes: usize,
    /// Compile time (bytecode → machine code, excluding translation).
    pub(crate) compile_time: Duration,
    /// When it was published.
    pub(crate) published_at: Instant,
}

/// A module's machine code (see the module docs).
pub(crate) struct ModuleJit {
    arena: CodeArena,
    registry: Box<CodeRegistry>,
    /// Serialises publication (the registry wants address order).
    publish: Mutex<()>,
    stubs: usize,
    env: CompileEnv,
    num_imported: u32,
    baseline: Box<[OnceLock<Result<BaselineFunc, String>>]>,
    /// How many interpreter activations moved into machine code at a loop header.
    pub(crate) osr_count: AtomicU64,
}

impl std::fmt::Debug for ModuleJit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleJit")
            .field("stubs", &self.stubs)
            .field("arena", &self.arena)
            .finish()
    }
}

impl Drop for ModuleJit {
    fn drop(&mut self) {
        traps::unregister_code(&*self.registry);
    }
}

impl ModuleJit {
    /// Reserves code memory for `info`'s functions and publishes its interpreter stubs.
    ///
    /// # Errors
    /// If code memory cannot be reserved or the handler's registry table is full.
    pub(crate) fn new(info: &Arc<ModuleInfo>, config: &Config) -> Result<ModuleJit, String> {
        let defined = info.num_defined_funcs() as usize;
        let code_size: usize = info.bodies.iter().map(|b| b.len()).sum();
        let arena = CodeArena::new((64 << 20) + code_size * 64).map_err(|e| e.to_string())?;
        let registry = Box::new(CodeRegistry::for_module(defined + 16, Some(info.clone())));
        // SAFETY: the registry is boxed (stable address) and unregistered in `Drop`, before
        // it is freed.
        unsafe { traps::register_code(&*registry)? };
        let mut jit = ModuleJit {
            arena,
            registry,
            publish: Mutex::new(()),
            stubs: 0,
            env: CompileEnv {
                num_imported_funcs: info.num_imported_funcs,
                has_memory: !info.memories.is_empty(),
                bounds_checks: match config.bounds_checks {
                    BoundsChecks::Guard => tierup_baseline::BoundsChecks::Guard,
                    BoundsChecks::Explicit => tierup_baseline::BoundsChecks::Explicit,
                },
            },
            num_imported: info.num_imported_funcs,
            baseline: (0..defined).map(|_| OnceLock::new()).collect(),
            osr_count: AtomicU64::new(0),
        };
        let (code, propagate) = assemble_stubs(info.num_imported_funcs, defined);
        let range = jit.publish(&code, &[(propagate, None)], None)?;
        jit.stubs = range.start;
        Ok(jit)
    }

    /// The address of defined function `defined`'s interpreter stub.
    pub(crate) fn stub(&self, defined: usize) -> usize {
        self.stubs + defined * INTERP_STUB_SIZE
    }

    /// The start of the stubs (for `VmCtx::interp_stubs`).
    pub(crate) fn stubs(&self) -> usize {
        self.stubs
    }

    /// Copies `code` into fresh executable pages and registers its trap sites.
    fn publish(
        &self,
        code: &[u8],
        traps: &[(u32, Option<TrapCode>)],
        func_index: Option<u32>,
    ) -> Result<CodeRange, String> {
        let _order = self.publish.lock();
        let range = self.arena.publish(&[code]).map_err(|e| e.to_string())?[0];
        self.register(range, traps, func_index)?;
        Ok(range)
    }

    /// Registers published code with its trap sites (under the `publish` lock, in address
    /// order).
    fn register(
        &self,
        range: CodeRange,
        traps: &[(u32, Option<TrapCode>)],
        func_index: Option<u32>,
    ) -> Result<(), String> {
        self.registry.register(CodeInfo {
            range,
            traps: traps
                .iter()
                .map(|&(offset, code)| TrapSite { offset, code })
                .collect(),
            func_index,
        })
    }

    /// The baseline code of `func_index`, compiling and publishing it (into `code_table`) on
    /// first use. Compiles at most once; concurrent callers wait for the first.
    ///
    /// # Errors
    /// If the function cannot be translated or compiled.
    pub(crate) fn baseline(
        &self,
        interp: &InterpModule,
        code_table: &[AtomicUsize],
        func_index: u32,
    ) -> Result<&BaselineFunc, &str> {
        let defined = (func_index - self.num_imported) as usize;
        self.baseline[defined]
            .get_or_init(|| {
                let bytecode = interp.compiled(func_index).map_err(|e| e.to_string())?;
                let start = Instant::now();
                let code =
                    tierup_baseline::compile(bytecode, &self.env).map_err(|e| e.to_string())?;
                let range = self.publish(&code.code, &code.traps, Some(func_index))?;
                let compile_time = start.elapsed();
                code_table[defined].store(range.start, Ordering::Release);
                Ok(BaselineFunc::new(&code, range, compile_time))
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// Compiles every defined function (the strict `baseline` mode), publishing them in one
    /// batch.
    ///
    /// # Errors
    /// The first function that cannot be translated or compiled, with its index.
    pub(crate) fn compile_all(
        &self,
        interp: &InterpModule,
        code_table: &[AtomicUsize],
    ) -> Result<(), String> {
        let mut compiled = Vec::with_capacity(self.baseline.len());
        for defined in 0..self.baseline.len() {
            let func_index = self.num_imported + defined as u32;
            let bytecode = interp
                .compiled(func_index)
                .map_err(|e| format!("function {func_index}: {e}"))?;
            let t = Instant::now();
            let code = tierup_baseline::compile(bytecode, &self.env)
                .map_err(|e| format!("function {func_index}: {e}"))?;
            compiled.push((code, t.elapsed()));
        }
        let _order = self.publish.lock();
        let pieces: Vec<&[u8]> = compiled.iter().map(|(c, _)| c.code.as_slice()).collect();
        let ranges = self.arena.publish(&pieces).map_err(|e| e.to_string())?;
        for (defined, ((code, compile_time), range)) in compiled.into_iter().zip(ranges).enumerate()
        {
            let func_index = self.num_imported + defined as u32;
            self.register(range, &code.traps, Some(func_index))?;
            code_table[defined].store(range.start, Ordering::Release);
            let _ = self.baseline[defined].set(Ok(BaselineFunc::new(&code, range, compile_time)));
        }
        Ok(())
    }

    /// Every function compiled so far, with its index.
    pub(crate) fn compiled(&self) -> impl Iterator<Item = (u32, &BaselineFunc)> {
        self.baseline.iter().enumerate().filter_map(|(i, f)| {
            let f = f.get()?.as_ref().ok()?;
            Some((i as u32 + self.num_imported, f))
        })
    }
}

impl BaselineFunc {
    /// The record of `code`, just published at `range`.
    fn new(code: &BaselineCode, range: CodeRange, compile_time: Duration) -> BaselineFunc {
        BaselineFunc {
            osr: code
                .osr_entries
                .iter()
                .map(|&(pc, offset)| (pc, range.start + offset as usize))
                .collect(),
            code_bytes: code.code.len(),
            compile_time,
            published_at: Instant::now(),
        }
    }

    /// The OSR entry for the loop header at bytecode index `pc`.
    fn osr_entry(&self, pc: u32) -> Option<usize> {
        let i = self.osr.binary_search_by_key(&pc, |&(p, _)| p).ok()?;
        Some(self.osr[i].1)
    }
}

/// Assembles the stubs of `defined` functions; returns the code and the propagate site.
fn assemble_stubs(num_imported: u32, defined: usize) -> (Vec<u8>, u32) {
    let mut ops: VecAssembler<X64Relocation> = VecAssembler::new(0);
    let common = ops.new_dynamic_label();
    for i in 0..defined {
        let func_index = (num_imported as usize + i) as i32;
        let start = ops.offset().0;
        dynasm!(ops ; .arch x64 ; mov edx, func_index ; jmp =>common);
        while ops.offset().0 < start + INTERP_STUB_SIZE {
            dynasm!(ops ; .arch x64 ; int3);
        }
    }
    let entry = libcall_interp_entry as *const () as i64;
    dynasm!(ops
        ; .arch x64
        ; =>common
        ; push rbp
        ; mov rbp, rsp
        ; mov rax, QWORD entry
        ; call rax
        ; test eax, eax
        ; jnz >propagate
        ; pop rbp
        ; ret
        ; propagate:
    );
    let propagate = ops.offset().0 as u32;
    dynasm!(ops ; .arch x64 ; ud2);
    (
        ops.finalize().expect("the interpreter stubs assemble"),
        propagate,
    )
}

/// Whether this machine can run the baseline tier (x86-64 with SSE4.1 and POPCNT).
pub(crate) fn supported() -> bool {
    cfg!(all(target_arch = "x86_64", target_os = "linux"))
        && std::arch::is_x86_feature_detected!("sse4.1")
        && std::arch::is_x86_feature_detected!("popcnt")
}

/// The interpreter stubs' target: runs defined function `func_index` of `vmctx` in the
/// interpreter with its frame at `fp`. Returns 0, or a trap status with the trap parked.
///
/// # Safety
/// Called only by the stubs, with the slot ABI's arguments.
pub(crate) unsafe extern "sysv64" fn libcall_interp_entry(
    vmctx: *mut VmCtx,
    fp: *mut u64,
    func_index: u32,
) -> u32 {
    // SAFETY: the stub passes its caller's live vmctx and frame.
    match unsafe { tierup_interp::invoke(vmctx, func_index, fp) } {
        Ok(()) => 0,
        // SAFETY: as above.
        Err(trap) => unsafe { (*(*vmctx).store).park_trap(trap) },
    }
}

/// [`tierup_abi::Libcalls::enter_jit`]: runs machine code from the interpreter.
///
/// # Safety
/// `code` is published machine code of `vmctx`'s module, `fp` its frame.
pub(crate) unsafe extern "sysv64" fn libcall_enter_jit(
    vmctx: *mut VmCtx,
    code: usize,
    fp: *mut u64,
) -> u32 {
    // SAFETY: the caller's contract.
    match unsafe { traps::call_jit(code, vmctx, fp) } {
        Ok(()) => 0,
        // SAFETY: as above.
        Err(trap) => unsafe { (*(*vmctx).store).park_trap(trap) },
    }
}

/// [`tierup_abi::Libcalls::tier_up`]: applies the tiering policy to a function whose
/// countdown crossed zero (see the abi docs). Never unwinds.
///
/// # Safety
/// `vmctx` is a live instance context; `func_index` one of its defined functions.
pub(crate) unsafe extern "sysv64" fn libcall_tier_up(
    vmctx: *mut VmCtx,
    func_index: u32,
    osr_pc: u32,
) -> usize {
    // SAFETY: the caller's contract: the vmctx and its module state are live.
    let result = std::panic::catch_unwind(|| unsafe { tier_up(vmctx, func_index, osr_pc) });
    result.unwrap_or(0)
}

/// The work of [`libcall_tier_up`].
///
/// # Safety
/// As [`libcall_tier_up`].
unsafe fn tier_up(vmctx: *mut VmCtx, func_index: u32, osr_pc: u32) -> usize {
    // SAFETY: the caller's contract; `jit`, `interp`, the code table and the counters belong
    // to the instance's module, which outlives it.
    unsafe {
        let module = &*(*vmctx).module;
        let defined = (func_index - module.num_imported_funcs) as usize;
        let counter = &*(*vmctx).hot_counters.add(defined);
        let jit = (*vmctx).jit as *const ModuleJit;
        if jit.is_null() {
            counter.store(i32::MAX, Ordering::Relaxed);
            return 0;
        }
        let jit = &*jit;
        let interp = &*((*vmctx).interp as *const InterpModule);
        let table =
            std::slice::from_raw_parts((*vmctx).code_table, module.num_defined_funcs() as usize);
        let first = jit.baseline[defined].get().is_none();
        let Ok(func) = jit.baseline(interp, table, func_index) else {
            // Cannot be compiled (e.g. a resource limit): it stays interpreted.
            counter.store(i32::MAX, Ordering::Relaxed);
            return 0;
        };
        // Right after compiling, the next tick crosses again: an activation that is still
        // interpreted (the one that made the function hot at its entry) then moves into the
        // new code at its next back-edge. After that, the countdown is the next tier's.
        counter.store(if first { 0 } else { AFTER_BASELINE }, Ordering::Relaxed);
        if osr_pc == NO_OSR {
            return 0;
        }
        let entry = func.osr_entry(osr_pc).unwrap_or(0);
        if entry != 0 {
            jit.osr_count.fetch_add(1, Ordering::Relaxed);
        }
        entry
    }
}

/// The initial hotness countdown of every function under `config`'s policy.
pub(crate) fn initial_countdown(config: &Config) -> i32 {
    match config.tier {
        TierMode::Tiered => config.baseline_after as i32 - 1,
        _ => i32::MAX,
    }
}
