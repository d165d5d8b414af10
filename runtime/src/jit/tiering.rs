//! Per-module machine-code state and tier-up (DESIGN.md §4): the interpreter stubs every
//! code-table entry starts at, baseline compilation (on the calling thread, at most once per
//! function), optimization (queued to the background workers, [`crate::jit::workers`]),
//! publication by one `Release` store into the code table, on-stack-replacement entry points,
//! and the libcalls through which the tiers reach all of this.
//!
//! [`ModuleJit`] owns the module's code table, code arena and trap registry (registered with
//! the signal handler for as long as the module lives). Code is never freed before the
//! module: a replaced entry may still be running in some activation.
//!
//! The policy ([`tier_up`]): a function's countdown crossing zero moves it one step: into
//! baseline code (if that tier is on and it is not there yet), then to counting towards the
//! optimizer (`opt_after` more ticks in baseline code), then into the optimizer's queue. Each
//! function's optimizer state is an `AtomicU8` moved by compare-and-swap (idle → counting →
//! queued → compiling → done | failed), so it is queued and compiled at most once.
//!
//! On-stack replacement: an interpreted loop moves into baseline code at its header (the
//! baseline code's OSR entries); once the function is optimized, an interpreted or baseline
//! loop asks for an OSR entry into optimized code ([`ModuleJit::opt_osr_entry`]), compiled
//! in the background once per function for all its loops, and jumps in when it is ready.
//!
//! Interpreter stubs: defined function `i`'s stub is `INTERP_STUB_SIZE` bytes at
//! `stubs + i * INTERP_STUB_SIZE`: `mov edx, func_index; jmp common`, where `common` calls
//! [`libcall_interp_entry`] and turns a non-zero status into a trap at its "propagate" site.
//! So every code-table entry is callable from machine code, whatever the function's tier.
//! After the stubs comes the raise routine optimized code calls with a non-zero status:
//! `push rbp; mov rbp, rsp; mov eax, edi` then the propagate site (the frame record lets
//! the backtrace walk reach the caller).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use dynasmrt::x64::X64Relocation;
use dynasmrt::{DynasmApi, DynasmLabelApi, VecAssembler, dynasm};
use parking_lot::Mutex;
use tierup_abi::{INTERP_STUB_SIZE, ModuleInfo, NO_OSR, OSR_FROM_BASELINE, TrapCode, VmCtx};
use tierup_baseline::{BaselineCode, CompileEnv};
use tierup_interp::InterpModule;

use crate::config::{BoundsChecks, Config, Tiers};
use crate::jit::arena::{CodeArena, CodeRange};
use crate::jit::registry::{CodeInfo, CodeRegistry, TrapSite};
use crate::jit::traps;
use crate::jit::workers::{Job, OptWorkers};

/// The countdown of a function with nothing left to tier up to: its code calls `tier_up`
/// only every 2^31 calls and back-edges.
const NOTHING_TO_DO: i32 = i32::MAX;

/// The countdown before an activation looping in a lower tier asks again for an OSR entry
/// into optimized code, after its current loop had none.
const OSR_RETRY: i32 = 1000;

/// Optimizer states of a function (see the module docs).
mod opt_state {
    pub(super) const IDLE: u8 = 0;
    pub(super) const COUNTING: u8 = 1;
    pub(super) const QUEUED: u8 = 2;
    pub(super) const COMPILING: u8 = 3;
    pub(super) const DONE: u8 = 4;
    pub(super) const FAILED: u8 = 5;
}

/// The tiering policy of an engine, from its [`Config`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    /// The tiers functions may run in.
    pub(crate) tiers: Tiers,
    baseline_after: u32,
    opt_after: u32,
}

impl Policy {
    /// The policy of `config`'s tier mode.
    pub(crate) fn of(config: &Config) -> Policy {
        Policy {
            tiers: config.effective_tiers(),
            baseline_after: config.baseline_after,
            opt_after: config.opt_after,
        }
    }

    /// Whether any function may run machine code.
    pub(crate) fn uses_jit(&self) -> bool {
        self.tiers.baseline || self.tiers.opt
    }

    /// The initial hotness countdown of every function.
    pub(crate) fn initial_countdown(&self) -> i32 {
        let count = match self.tiers {
            Tiers {
                interp: true,
                baseline: true,
                ..
            } => self.baseline_after,
            Tiers {
                interp: true,
                opt: true,
                ..
            }
            | Tiers {
                baseline: true,
                opt: true,
                ..
            } => self.opt_after,
            _ => return NOTHING_TO_DO,
        };
        count as i32 - 1
    }
}

/// An on-stack-replacement entry into optimized code (see [`ModuleJit::opt_osr_entry`]).
#[derive(Debug, Clone, Copy)]
enum OptOsr {
    /// Queued or being compiled.
    Pending,
    /// Published at this address.
    Ready(usize),
    /// Not possible at this loop (live operands on the stack) or the compile failed.
    Unavailable,
}

/// A function's optimized code.
#[derive(Debug)]
pub(crate) struct OptFunc {
    /// Machine-code bytes.
    pub(crate) code_bytes: usize,
    /// Compile time (wasm → machine code).
    pub(crate) compile_time: Duration,
    /// How long it waited in the queue (zero for eager compiles).
    pub(crate) queue_wait: Duration,
    /// When it was published.
    pub(crate) published_at: Instant,
}

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
    /// The raise routine of optimized code (see the module docs).
    raise: usize,
    env: CompileEnv,
    opt_bounds: tierup_optimizer::BoundsChecks,
    num_imported: u32,
    info: Arc<ModuleInfo>,
    /// One entry per defined function (DESIGN.md §4); shared with the module.
    code_table: Arc<[AtomicUsize]>,
    /// Native entries of optimized functions (register arguments; 0 until published), for
    /// direct calls between optimized functions.
    native: Box<[AtomicUsize]>,
    /// The hotness countdowns (shared with the module): published optimized code zeroes its
    /// function's, so activations still looping in a lower tier ask for OSR at once.
    hot_counters: Arc<[AtomicI32]>,
    /// On-stack-replacement entries into optimized code, by (defined function, loop pc).
    opt_osr: Mutex<HashMap<(u32, u32), OptOsr>>,
    baseline: Box<[OnceLock<Result<BaselineFunc, String>>]>,
    opt_state: Box<[AtomicU8]>,
    optimized: Box<[OnceLock<Result<OptFunc, String>>]>,
    policy: Policy,
    workers: Option<Arc<OptWorkers>>,
    /// This module's own `Weak`, for jobs.
    this: Weak<ModuleJit>,
    /// Set when the module is dropped: queued jobs are skipped.
    retired: AtomicBool,
    created_at: Instant,
    /// How many interpreter activations moved into baseline code at a loop header.
    pub(crate) osr_count: AtomicU64,
    /// How many interpreter or baseline activations moved into optimized code at a loop
    /// header.
    pub(crate) opt_osr_count: AtomicU64,
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
    /// Reserves code memory for `info`'s functions, publishes its interpreter stubs and
    /// points every entry of its new code table at them.
    ///
    /// # Errors
    /// If code memory cannot be reserved or the handler's registry table is full.
    pub(crate) fn new(
        info: &Arc<ModuleInfo>,
        config: &Config,
        workers: Option<Arc<OptWorkers>>,
        hot_counters: Arc<[AtomicI32]>,
    ) -> Result<Arc<ModuleJit>, String> {
        let defined = info.num_defined_funcs() as usize;
        let code_size: usize = info.bodies.iter().map(|b| b.len()).sum();
        let arena = CodeArena::new((64 << 20) + code_size * 64).map_err(|e| e.to_string())?;
        let registry = Box::new(CodeRegistry::for_module(
            4 * defined + 16,
            Some(info.clone()),
        ));
        // SAFETY: the registry is boxed (stable address) and unregistered in `Drop`, before
        // it is freed.
        unsafe { traps::register_code(&*registry)? };
        let policy = Policy::of(config);
        let (stub_code, propagate, raise) = assemble_stubs(info.num_imported_funcs, defined);
        let mut jit = ModuleJit {
            arena,
            registry,
            publish: Mutex::new(()),
            stubs: 0,
            raise: 0,
            opt_bounds: match config.bounds_checks {
                BoundsChecks::Guard => tierup_optimizer::BoundsChecks::Guard,
                BoundsChecks::Explicit => tierup_optimizer::BoundsChecks::Explicit,
            },
            info: info.clone(),
            code_table: (0..defined).map(|_| AtomicUsize::new(0)).collect(),
            native: (0..defined).map(|_| AtomicUsize::new(0)).collect(),
            hot_counters,
            opt_osr: Mutex::new(HashMap::new()),
            opt_state: (0..defined)
                .map(|_| {
                    // Eager baseline code counts towards the optimizer from the start.
                    let counting = policy.tiers.baseline && !policy.tiers.interp;
                    AtomicU8::new(if counting {
                        opt_state::COUNTING
                    } else {
                        opt_state::IDLE
                    })
                })
                .collect(),
            optimized: (0..defined).map(|_| OnceLock::new()).collect(),
            policy,
            workers,
            this: Weak::new(),
            retired: AtomicBool::new(false),
            created_at: Instant::now(),
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
            opt_osr_count: AtomicU64::new(0),
        };
        let range = jit.publish(&stub_code, &[(propagate, None)], None)?;
        jit.stubs = range.start;
        jit.raise = range.start + raise as usize;
        for (i, entry) in jit.code_table.iter().enumerate() {
            entry.store(jit.stub(i), Ordering::Relaxed);
        }
        Ok(Arc::new_cyclic(|this| {
            jit.this = this.clone();
            jit
        }))
    }

    /// The module's code table.
    pub(crate) fn code_table(&self) -> &Arc<[AtomicUsize]> {
        &self.code_table
    }

    /// Marks the module as dropped: queued optimizations of it are skipped.
    pub(crate) fn retire(&self) {
        self.retired.store(true, Ordering::Relaxed);
    }

    /// Whether [`ModuleJit::retire`] was called.
    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Relaxed)
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
        perf_map::record(range, func_index, &self.info);
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
                self.code_table[defined].store(range.start, Ordering::Release);
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
    pub(crate) fn compile_all(&self, interp: &InterpModule) -> Result<(), String> {
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
            self.code_table[defined].store(range.start, Ordering::Release);
            let _ = self.baseline[defined].set(Ok(BaselineFunc::new(&code, range, compile_time)));
        }
        Ok(())
    }

    fn opt_env(&self) -> tierup_optimizer::OptEnv<'_> {
        tierup_optimizer::OptEnv {
            module: &self.info,
            bounds_checks: self.opt_bounds,
            raise: self.raise,
            native: Some(&self.native),
            eager: !self.policy.tiers.interp && !self.policy.tiers.baseline,
        }
    }

    /// Compiles `func_index` for the optimized tier: its native entry when it has one (with
    /// `native` set), else its slot entry. Returns the code and whether it is native.
    fn compile_opt(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        func_index: u32,
    ) -> Result<(tierup_optimizer::OptCode, bool), String> {
        let env = self.opt_env();
        let native = tierup_optimizer::has_native_entry(self.info.func_type(func_index));
        let code = if native {
            compiler.compile_native(&env, func_index)
        } else {
            compiler.compile(&env, func_index)
        };
        code.map(|c| (c, native))
            .map_err(|e| format!("function {func_index}: {e}"))
    }

    /// Publishes the tier-ABI wrapper of `func_index`, whose native entry is at `native`;
    /// returns its range. Not a wasm frame: registered without a function.
    fn publish_slot_wrapper(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        func_index: u32,
        native: usize,
    ) -> Result<CodeRange, String> {
        let wrapper = compiler
            .compile_slot_wrapper(&self.opt_env(), func_index, native)
            .map_err(|e| format!("function {func_index}: {e}"))?;
        self.publish(&wrapper.code, &wrapper.traps, None)
    }

    /// Compiles every defined function with Cranelift (the strict `opt` mode), on up to
    /// `threads` threads, publishing them in one batch.
    ///
    /// # Errors
    /// The first function that cannot be compiled, with its index.
    pub(crate) fn optimize_all(&self, threads: usize) -> Result<(), String> {
        let defined = self.optimized.len();
        let compile_range = |range: std::ops::Range<usize>| {
            with_compiler(|compiler| {
                let compiler = compiler.map_err(|e| e.to_string())?;
                range
                    .map(|d| {
                        let func_index = self.num_imported + d as u32;
                        let t = Instant::now();
                        let (code, native) = self.compile_opt(compiler, func_index)?;
                        Ok((code, native, t.elapsed()))
                    })
                    .collect::<Result<Vec<_>, String>>()
            })
        };
        // Parallel only where it pays for the threads (and each thread's ISA).
        let threads = threads.min(defined / 32).max(1);
        let compiled: Vec<(tierup_optimizer::OptCode, bool, Duration)> = if threads == 1 {
            compile_range(0..defined)?
        } else {
            let chunk = defined.div_ceil(threads);
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let range = t * chunk..((t + 1) * chunk).min(defined);
                        scope.spawn(move || compile_range(range))
                    })
                    .collect();
                let mut all = Vec::with_capacity(defined);
                for h in handles {
                    all.extend(
                        h.join()
                            .map_err(|_| "optimizer thread panicked".to_string())??,
                    );
                }
                Ok::<_, String>(all)
            })?
        };
        let ranges = {
            let _order = self.publish.lock();
            let pieces: Vec<&[u8]> = compiled.iter().map(|(c, ..)| c.code.as_slice()).collect();
            let ranges = self.arena.publish(&pieces).map_err(|e| e.to_string())?;
            for (d, ((code, ..), range)) in compiled.iter().zip(&ranges).enumerate() {
                self.register(*range, &code.traps, Some(self.num_imported + d as u32))?;
            }
            ranges
        };
        // Native entries and wrappers are all in place before `Module::new` returns, so
        // before any body that calls them unconditionally (the eager mode) can run.
        with_compiler(|compiler| {
            let compiler = compiler.map_err(|e| e.to_string())?;
            for (d, ((code, native, compile_time), range)) in
                compiled.iter().zip(&ranges).enumerate()
            {
                let func_index = self.num_imported + d as u32;
                let t = Instant::now();
                let (entry, wrapper_bytes) =
                    self.entry_of(compiler, func_index, *range, *native)?;
                self.install_optimized(
                    d,
                    entry,
                    OptFunc {
                        code_bytes: code.code.len() + wrapper_bytes,
                        compile_time: *compile_time + t.elapsed(),
                        queue_wait: Duration::ZERO,
                        published_at: Instant::now(),
                    },
                );
            }
            Ok(())
        })
    }

    /// The tier-ABI entry of `func_index`'s published optimized `body` and the bytes it
    /// adds: the body itself, or (for a `native` body, which is then entered in the native
    /// table) a wrapper published for it.
    fn entry_of(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        func_index: u32,
        body: CodeRange,
        native: bool,
    ) -> Result<(CodeRange, usize), String> {
        if !native {
            return Ok((body, 0));
        }
        let defined = (func_index - self.num_imported) as usize;
        self.native[defined].store(body.start, Ordering::Release);
        let wrapper = self.publish_slot_wrapper(compiler, func_index, body.start)?;
        Ok((wrapper, wrapper.len))
    }

    /// Makes `entry` defined function `defined`'s code (one `Release` store) and records it.
    fn install_optimized(&self, defined: usize, entry: CodeRange, record: OptFunc) {
        self.code_table[defined].store(entry.start, Ordering::Release);
        let _ = self.optimized[defined].set(Ok(record));
        self.opt_state[defined].store(opt_state::DONE, Ordering::Release);
    }

    /// A worker's job: compiles `func_index` with `compiler` and publishes it (unless the
    /// module was retired meanwhile).
    pub(crate) fn optimize_job(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        func_index: u32,
        queued_at: Instant,
    ) {
        let defined = (func_index - self.num_imported) as usize;
        let state = &self.opt_state[defined];
        if state
            .compare_exchange(
                opt_state::QUEUED,
                opt_state::COMPILING,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return;
        }
        let start = Instant::now();
        let queue_wait = start.saturating_duration_since(queued_at);
        let (code, native) = match self.compile_opt(compiler, func_index) {
            Ok(compiled) => compiled,
            Err(e) => return self.optimize_failed(func_index, e),
        };
        if self.is_retired() {
            return;
        }
        let published = self
            .publish(&code.code, &code.traps, Some(func_index))
            .and_then(|body| self.entry_of(compiler, func_index, body, native));
        let compile_time = start.elapsed();
        match published {
            Ok((entry, wrapper_bytes)) => {
                self.install_optimized(
                    defined,
                    entry,
                    OptFunc {
                        code_bytes: code.code.len() + wrapper_bytes,
                        compile_time,
                        queue_wait,
                        published_at: Instant::now(),
                    },
                );
                // Activations still looping in a lower tier ask for OSR at their next
                // back-edge.
                self.wake_looping_activations(defined);
            }
            Err(e) => self.optimize_failed(func_index, e),
        }
    }

    /// The on-stack-replacement entry into the optimized code of `func_index` at the loop
    /// whose header is bytecode index `pc`: published, pending, or unavailable. The first
    /// request for a function queues one compile with entries for all its loops that can be
    /// entered (those with an empty operand stack at the header).
    fn opt_osr_entry(&self, interp: &InterpModule, func_index: u32, pc: u32) -> OptOsr {
        let defined = func_index - self.num_imported;
        let mut entries = self.opt_osr.lock();
        if let Some(&known) = entries.get(&(defined, pc)) {
            return known;
        }
        let loops: Vec<(u32, u32)> = interp
            .compiled(func_index)
            .map(|f| {
                f.loops
                    .iter()
                    .filter(|l| l.stack_height == 0)
                    .map(|l| (l.pc, l.wasm_offset))
                    .collect()
            })
            .unwrap_or_default();
        let submitted = !loops.is_empty()
            && self.workers.as_ref().is_some_and(|workers| {
                workers
                    .submit(Job {
                        module: self.this.clone(),
                        func_index,
                        // The program is looping in a slower tier right now: first in line.
                        priority: u64::MAX,
                        queued_at: Instant::now(),
                        osr: Some(loops.clone()),
                    })
                    .is_ok()
            });
        if !submitted {
            // Nothing to enter, or the queue is full: ask again later.
            return OptOsr::Unavailable;
        }
        for &(loop_pc, _) in &loops {
            entries.insert((defined, loop_pc), OptOsr::Pending);
        }
        *entries.entry((defined, pc)).or_insert(OptOsr::Unavailable)
    }

    /// A worker's OSR job: compiles the OSR entry of `func_index` for `loops` (`(header pc,
    /// module offset)`), puts a `mov edx, k; jmp entry` stub per loop behind it, and
    /// publishes them for [`ModuleJit::opt_osr_entry`].
    pub(crate) fn optimize_osr_job(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        func_index: u32,
        loops: &[(u32, u32)],
    ) {
        let defined = func_index - self.num_imported;
        let offsets: Vec<u32> = loops.iter().map(|&(_, offset)| offset).collect();
        let result = compiler
            .compile_osr(&self.opt_env(), func_index, &offsets)
            .map_err(|e| e.to_string())
            .and_then(|code| {
                if self.is_retired() {
                    return Err("module dropped".into());
                }
                let mut bytes = code.code;
                let mut stubs = Vec::with_capacity(loops.len());
                for k in 0..loops.len() {
                    while bytes.len() % 16 != 0 {
                        bytes.push(0xcc); // int3
                    }
                    let at = bytes.len();
                    stubs.push(at);
                    bytes.push(0xba); // mov edx, imm32
                    bytes.extend_from_slice(&(k as u32).to_le_bytes());
                    bytes.push(0xe9); // jmp rel32 (to offset 0, the entry)
                    let rel = -((at + 10) as i64);
                    bytes.extend_from_slice(&(rel as i32).to_le_bytes());
                }
                let range = self.publish(&bytes, &code.traps, Some(func_index))?;
                Ok(stubs.into_iter().map(move |at| range.start + at))
            });
        let mut entries = self.opt_osr.lock();
        match result {
            Ok(stubs) => {
                for (&(pc, _), entry) in loops.iter().zip(stubs) {
                    entries.insert((defined, pc), OptOsr::Ready(entry));
                }
            }
            Err(_) => {
                for &(pc, _) in loops {
                    entries.insert((defined, pc), OptOsr::Unavailable);
                }
            }
        }
        drop(entries);
        // The looping activation picks it up at its next back-edge.
        self.wake_looping_activations(defined as usize);
    }

    /// Sets `defined`'s countdown to 0 from a worker thread, so that activations looping in
    /// a lower tier call `tier_up` at their next back-edge. Their decrement is a plain
    /// read-modify-write (DESIGN.md §4), which may write back a value read before our store
    /// and so undo it; the store is repeated until it sticks (the countdown then goes
    /// negative, or stays 0 when nothing runs the function).
    fn wake_looping_activations(&self, defined: usize) {
        let counter = &self.hot_counters[defined];
        for _ in 0..1000 {
            counter.store(0, Ordering::Relaxed);
            std::thread::yield_now();
            if counter.load(Ordering::Relaxed) <= 0 {
                return;
            }
        }
    }

    /// Records that `func_index` cannot be optimized (it keeps running in its tier; the
    /// statistics report the failure).
    pub(crate) fn optimize_failed(&self, func_index: u32, error: String) {
        let defined = (func_index - self.num_imported) as usize;
        let _ = self.optimized[defined].set(Err(error));
        self.opt_state[defined].store(opt_state::FAILED, Ordering::Release);
    }

    /// Every function optimized so far, with its index.
    pub(crate) fn optimized(&self) -> impl Iterator<Item = (u32, &OptFunc)> {
        self.optimized.iter().enumerate().filter_map(|(i, f)| {
            let f = f.get()?.as_ref().ok()?;
            Some((i as u32 + self.num_imported, f))
        })
    }

    /// Functions the optimizer failed on, with the reason.
    pub(crate) fn optimize_failures(&self) -> impl Iterator<Item = (u32, &str)> {
        self.optimized.iter().enumerate().filter_map(|(i, f)| {
            let e = f.get()?.as_ref().err()?;
            Some((i as u32 + self.num_imported, e.as_str()))
        })
    }

    /// Functions waiting for or being compiled by the optimizer.
    pub(crate) fn optimizations_pending(&self) -> usize {
        self.opt_state
            .iter()
            .filter(|s| {
                matches!(
                    s.load(Ordering::Relaxed),
                    opt_state::QUEUED | opt_state::COMPILING
                )
            })
            .count()
    }

    /// Moves `func_index` one step towards the optimizer (see the module docs) and sets its
    /// countdown. When a job is queued, the countdown is written *before* it is submitted
    /// and not after: the worker resets it when it publishes, and that must not be undone.
    fn advance_to_opt(&self, func_index: u32, counter: &AtomicI32) {
        let set = |value: i32| counter.store(value, Ordering::Relaxed);
        let defined = (func_index - self.num_imported) as usize;
        let state = &self.opt_state[defined];
        let restart = self.policy.opt_after as i32 - 1;
        let Some(workers) = self.workers.as_ref().filter(|_| self.policy.tiers.opt) else {
            return set(NOTHING_TO_DO);
        };
        let cas = |from: u8, to: u8| {
            state
                .compare_exchange(from, to, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        };
        let from = state.load(Ordering::Acquire);
        match from {
            // Baseline code starts counting towards the optimizer.
            opt_state::IDLE if self.policy.tiers.baseline => {
                set(if cas(opt_state::IDLE, opt_state::COUNTING) {
                    restart
                } else {
                    NOTHING_TO_DO
                });
            }
            opt_state::IDLE | opt_state::COUNTING if cas(from, opt_state::QUEUED) => {
                // Hotter = reached the threshold sooner since it entered its current tier.
                let since = self.baseline[defined]
                    .get()
                    .and_then(|b| b.as_ref().ok())
                    .map_or(self.created_at, |b| b.published_at);
                let nanos = since.elapsed().as_nanos().max(1) as u64;
                let job = Job {
                    module: self.this.clone(),
                    func_index,
                    priority: u64::MAX / nanos,
                    queued_at: Instant::now(),
                    osr: None,
                };
                set(NOTHING_TO_DO);
                if workers.submit(job).is_err() {
                    // Queue full: ask again after another `opt_after` ticks.
                    state.store(from, Ordering::Release);
                    set(restart);
                }
            }
            _ => set(NOTHING_TO_DO),
        }
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
        let mut osr: Box<[(u32, usize)]> = code
            .osr_entries
            .iter()
            .map(|&(pc, offset)| (pc, range.start + offset as usize))
            .collect();
        // The compiler lists loop headers in the order it meets their back-edges.
        osr.sort_unstable();
        BaselineFunc {
            osr,
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

/// Assembles the stubs of `defined` functions and the raise routine; returns the code, the
/// propagate site and the raise routine's offset.
fn assemble_stubs(num_imported: u32, defined: usize) -> (Vec<u8>, u32, u32) {
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
    );
    let raise = ops.offset().0 as u32;
    dynasm!(ops
        ; .arch x64
        ; push rbp
        ; mov rbp, rsp
        ; mov eax, edi
        ; propagate:
    );
    let propagate = ops.offset().0 as u32;
    dynasm!(ops ; .arch x64 ; ud2);
    (
        ops.finalize().expect("the interpreter stubs assemble"),
        propagate,
        raise,
    )
}

thread_local! {
    /// The compiler of eager (`opt` mode) compiles on this thread, kept for the next module.
    static COMPILER: std::cell::RefCell<Option<tierup_optimizer::Compiler>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with this thread's reusable optimizing compiler.
fn with_compiler<R>(
    f: impl FnOnce(Result<&mut tierup_optimizer::Compiler, tierup_optimizer::CompileError>) -> R,
) -> R {
    COMPILER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            match tierup_optimizer::Compiler::new() {
                Ok(c) => *slot = Some(c),
                Err(e) => return f(Err(e)),
            }
        }
        f(Ok(slot.as_mut().expect("just created")))
    })
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

/// The work of [`libcall_tier_up`]: the policy of the module docs.
///
/// # Safety
/// As [`libcall_tier_up`].
unsafe fn tier_up(vmctx: *mut VmCtx, func_index: u32, osr_pc: u32) -> usize {
    // SAFETY: the caller's contract; `jit`, `interp` and the counters belong to the
    // instance's module, which outlives it.
    unsafe {
        let module = &*(*vmctx).module;
        let defined = (func_index - module.num_imported_funcs) as usize;
        let counter = &*(*vmctx).hot_counters.add(defined);
        let jit = (*vmctx).jit as *const ModuleJit;
        if jit.is_null() {
            counter.store(NOTHING_TO_DO, Ordering::Relaxed);
            return 0;
        }
        let jit = &*jit;
        let interp = &*((*vmctx).interp as *const InterpModule);
        let from_baseline = osr_pc != NO_OSR && osr_pc & OSR_FROM_BASELINE != 0;
        let osr_pc = if from_baseline {
            osr_pc & !OSR_FROM_BASELINE
        } else {
            osr_pc
        };
        // A loop in a lower tier of a function that has optimized code: move the activation
        // into it (once its OSR entry is compiled, in the background).
        if osr_pc != NO_OSR && jit.opt_state[defined].load(Ordering::Acquire) == opt_state::DONE {
            // Written first: a pending compile resets it when it publishes.
            counter.store(NOTHING_TO_DO, Ordering::Relaxed);
            match jit.opt_osr_entry(interp, func_index, osr_pc) {
                OptOsr::Ready(entry) => {
                    jit.opt_osr_count.fetch_add(1, Ordering::Relaxed);
                    return entry;
                }
                OptOsr::Pending => {}
                // Another loop of the function may do: look again in a while.
                OptOsr::Unavailable => counter.store(OSR_RETRY, Ordering::Relaxed),
            }
            if from_baseline {
                return 0;
            }
        } else if from_baseline {
            jit.advance_to_opt(func_index, counter);
            return 0;
        }
        if !jit.policy.tiers.baseline {
            if jit.opt_state[defined].load(Ordering::Acquire) != opt_state::DONE {
                jit.advance_to_opt(func_index, counter);
            }
            return 0;
        }
        let first = jit.baseline[defined].get().is_none();
        let Ok(func) = jit.baseline(interp, func_index) else {
            // Cannot be compiled (e.g. a resource limit): it stays interpreted.
            counter.store(NOTHING_TO_DO, Ordering::Relaxed);
            return 0;
        };
        if jit.opt_state[defined].load(Ordering::Acquire) != opt_state::DONE {
            if first && osr_pc == NO_OSR {
                // Right after compiling at a call, the next tick crosses again: an
                // activation that is still interpreted (the one that made the function hot
                // at its entry) then moves into the new code at its next back-edge.
                counter.store(0, Ordering::Relaxed);
            } else {
                jit.advance_to_opt(func_index, counter);
            }
        }
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

/// `perf` integration: with `TIERUP_PERF_MAP=1`, every piece of published code is appended
/// to `/tmp/perf-<pid>.map` (`START SIZE NAME`, the format `perf report` reads for JIT code),
/// so profiles name wasm functions. Names are `wasm[<index>] <name>` (one line per tier's
/// code of the function) or `tierup stubs` for code that is not a wasm function.
mod perf_map {
    use std::io::Write;
    use std::sync::OnceLock;

    use parking_lot::Mutex;
    use tierup_abi::ModuleInfo;

    use crate::jit::arena::CodeRange;

    fn file() -> Option<&'static Mutex<std::fs::File>> {
        static FILE: OnceLock<Option<Mutex<std::fs::File>>> = OnceLock::new();
        FILE.get_or_init(|| {
            if std::env::var_os("TIERUP_PERF_MAP").is_none_or(|v| v == "0") {
                return None;
            }
            let path = format!("/tmp/perf-{}.map", std::process::id());
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
                .map(Mutex::new)
        })
        .as_ref()
    }

    /// Appends `range` (when the map is on).
    pub(super) fn record(range: CodeRange, func_index: Option<u32>, info: &ModuleInfo) {
        let Some(file) = file() else { return };
        let name = match func_index {
            Some(f) => format!("wasm[{f}] {}", info.func_name(f).unwrap_or("")),
            None => "tierup stubs".to_string(),
        };
        let _ = writeln!(file.lock(), "{:x} {:x} {name}", range.start, range.len);
    }
}
