//! [`ModuleJit`]: a module's machine code and the orchestration of tier-up (DESIGN.md §4). It
//! carries out what [`crate::jit::policy`] decides: compiles baseline code on the calling
//! thread (at most once per function), queues optimization to the background workers
//! ([`crate::jit::workers`]), publishes through the [`CodeTable`], and finds the
//! on-stack-replacement entries ([`crate::jit::osr`]) for activations still looping in a
//! lower tier.
//!
//! `ModuleJit` owns the module's code arena and trap registry (registered with the signal
//! handler for as long as the module lives) and shares the code table with the module (the
//! hotness countdowns are the module's; only [`tier_up`], on the thread running a function,
//! writes them). Code is never freed before the module: a replaced entry may
//! still be running in some activation.
//!
//! The entry point is [`tier_up`], the work of the `tier_up` libcall: a function's countdown
//! crossed zero at a [`Site`]; the policy's [`Step`] says what happens, and the countdown is
//! set for the next time.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tierup_abi::{
    BoundsChecks, COUNTDOWN_IDLE, DefinedFuncIdx, FuncIdx, INTERP_STUB_SIZE, ModuleInfo, TrapCode,
    VmCtx,
};
use tierup_baseline::{BaselineCode, CompileEnv, CpuFeatures};
use tierup_interp::InterpModule;

use crate::jit::arena::{Anchor, CodeArena, CodeBudget, CodeRange};
use crate::jit::code_cache::{CacheEntry, CodegenSettings, ModuleCache};
use crate::jit::code_table::CodeTable;
use crate::jit::osr::{LoopEntries, OptOsrEntries};
use crate::jit::perf_map::CodeKind;
use crate::jit::policy::{
    AtomicOptState, Laps, OptState, OsrOutcome, Site, Step, TierPolicy, TowardsOpt,
};
use crate::jit::registry::{CodeInfo, CodeRegistry, TrapSite};
use crate::jit::timeline::{JobId, OsrRecord, TimelineLog};
use crate::jit::tuning::{CALLEES_FIRST_MAX_BYTES, MIN_FUNCS_PER_EAGER_THREAD};
use crate::jit::workers::{Job, JobKind, OptWorkers};
use crate::jit::{perf_map, stubs, traps};
use crate::stats::{CompileKind, Tier};

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
    /// When it turned hot: its background compile was queued (`None` for eager compiles).
    pub(crate) hot_at: Option<Instant>,
    /// Whether its code came from the code cache (`compile_time` is then the time to load
    /// it).
    pub(crate) cached: bool,
}

/// A function's baseline code.
#[derive(Debug)]
pub(crate) struct BaselineFunc {
    /// Entries that continue an interpreter frame at a loop header.
    osr: LoopEntries,
    /// Machine-code bytes.
    pub(crate) code_bytes: usize,
    /// Compile time (bytecode → machine code, excluding translation).
    pub(crate) compile_time: Duration,
    /// When it was published.
    pub(crate) published_at: Instant,
}

impl BaselineFunc {
    /// The record of `code`, just published at `range`.
    fn new(code: &BaselineCode, range: CodeRange, compile_time: Duration) -> BaselineFunc {
        BaselineFunc {
            osr: LoopEntries::new(&code.osr_entries, range.start),
            code_bytes: code.code.len(),
            compile_time,
            published_at: Instant::now(),
        }
    }
}

/// A module's machine code (see the module docs).
pub(crate) struct ModuleJit {
    arena: CodeArena,
    registry: Box<CodeRegistry>,
    /// Serialises publication (so that the registry sees each segment's code in address
    /// order: one run per segment).
    publish: Mutex<()>,
    /// Serialises a function's baseline entry with its optimized one, so that baseline code
    /// compiled while a warm start installs optimized code never replaces it in the code
    /// table (the optimized state is set under it).
    entries: Mutex<()>,
    /// Where the interpreter stubs start.
    stubs: usize,
    /// The raise routine of optimized code (`stubs` module docs).
    raise: usize,
    /// Address of the attention stub (see `stubs`).
    attention: usize,
    env: CompileEnv,
    bounds_checks: BoundsChecks,
    /// Copies of small innermost loops and iterations per poll of counted ones in optimized
    /// code (`Config::opt_loop_copies`, `Config::opt_poll_strip`).
    loops: tierup_optimizer::LoopSettings,
    info: Arc<ModuleInfo>,
    code: Arc<CodeTable>,
    opt_osr: OptOsrEntries,
    baseline: Box<[OnceLock<Result<BaselineFunc, String>>]>,
    opt_state: Box<[AtomicOptState]>,
    /// Per function, the ticks its countdown still has to count after the current lap
    /// ([`Laps`]; 0 for a countdown of one lap, the usual case).
    laps: Box<[AtomicU32]>,
    optimized: Box<[OnceLock<Result<OptFunc, String>>]>,
    policy: TierPolicy,
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
    /// Compiles, on-stack replacements and failures over time (the statistics' timeline).
    pub(crate) timeline: TimelineLog,
    /// The code cache's directory (`Config::code_cache`), if the engine has one.
    cache_root: Option<std::path::PathBuf>,
    /// The most bytes the cache directory may hold (`Config::code_cache_max_size`).
    cache_max_size: u64,
    /// The module's part of the cache, made by the first optimizer job (its key hashes the
    /// module, which the start of a run should not wait for).
    cache: OnceLock<Option<ModuleCache>>,
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
        self.save_cache();
    }
}

impl ModuleJit {
    /// Makes a code arena for `info`'s functions (charging the engine's code memory
    /// `budget`), publishes its interpreter stubs, and returns with a new code table whose
    /// every entry points at its stub.
    ///
    /// # Errors
    /// If the stubs cannot be published (the code memory limit, or the system refuses a
    /// mapping) or the handler's registry table is full.
    ///
    /// From `config`: bounds checks, loop polls and the code cache's directory.
    pub(crate) fn new(
        info: &Arc<ModuleInfo>,
        policy: TierPolicy,
        config: &crate::Config,
        workers: Option<Arc<OptWorkers>>,
        budget: Arc<CodeBudget>,
        type_ids: Box<[u32]>,
    ) -> Result<Arc<ModuleJit>, String> {
        let (bounds_checks, loops) = (config.bounds_checks, config.opt_loops);
        let cache_root = config.code_cache.clone();
        let cache_max_size = config.code_cache_max_size;
        let defined = info.num_defined_funcs();
        let arena = CodeArena::new(budget);
        let registry = Box::new(CodeRegistry::for_module(Some(info.clone())));
        // SAFETY: the registry is boxed (stable address) and unregistered in `Drop`, before
        // it is freed.
        unsafe { traps::register_code(&*registry)? };
        let (stub_code, layout) = stubs::interp_stubs(defined);
        let mut jit = ModuleJit {
            arena,
            registry,
            publish: Mutex::new(()),
            entries: Mutex::new(()),
            stubs: 0,
            raise: 0,
            attention: 0,
            env: CompileEnv::for_module(info, bounds_checks, CpuFeatures::detect()),
            bounds_checks,
            loops,
            info: info.clone(),
            code: Arc::new(CodeTable::new(defined, |_| 0)),
            opt_osr: OptOsrEntries::default(),
            baseline: (0..defined).map(|_| OnceLock::new()).collect(),
            opt_state: (0..defined)
                .map(|_| AtomicOptState::new(policy.initial_opt_state()))
                .collect(),
            laps: {
                let after = policy.initial_laps().after;
                (0..defined).map(|_| AtomicU32::new(after)).collect()
            },
            optimized: (0..defined).map(|_| OnceLock::new()).collect(),
            policy,
            workers,
            this: Weak::new(),
            retired: AtomicBool::new(false),
            created_at: Instant::now(),
            osr_count: AtomicU64::new(0),
            opt_osr_count: AtomicU64::new(0),
            timeline: TimelineLog::default(),
            cache_root,
            cache_max_size,
            cache: OnceLock::new(),
        };
        let range = jit.publish(
            &stub_code,
            None,
            &[(layout.propagate, None)],
            None,
            CodeKind::Stubs,
        )?;
        jit.stubs = range.start;
        jit.raise = range.start + layout.raise as usize;
        jit.attention = range.start + layout.attention as usize;
        let stubs = jit.stubs;
        jit.code = Arc::new(CodeTable::new(defined, |f| {
            stubs + f.index() * INTERP_STUB_SIZE
        }));
        // Baseline code calls through the native-entry cells (they live as long as the code).
        jit.env.native_entries = jit.code.native_entries().as_ptr() as usize;
        // Baseline code moves only to the optimizer: without it, its calls count for nothing.
        jit.env.tier_up = jit.policy.tiers.opt;
        // The engine's id of each type: constants in both tiers' `call_indirect`.
        jit.env.type_ids = type_ids.into_vec();
        Ok(Arc::new_cyclic(|this| {
            jit.this = this.clone();
            jit
        }))
    }

    /// The module's code table.
    pub(crate) fn code_table(&self) -> &Arc<CodeTable> {
        &self.code
    }

    /// Marks the module as dropped: queued optimizations of it are skipped.
    pub(crate) fn retire(&self) {
        self.retired.store(true, Ordering::Relaxed);
    }

    /// The defined functions `func` calls directly (not itself) that wait in the optimizer's
    /// queue and whose bodies are at most [`CALLEES_FIRST_MAX_BYTES`] of wasm, in the order of
    /// their first call.
    pub(crate) fn queued_callees(&self, func: DefinedFuncIdx) -> Vec<DefinedFuncIdx> {
        let mut callees = Vec::new();
        let Ok(mut ops) = self.info.body(func).get_operators_reader() else {
            return callees;
        };
        while !ops.eof() {
            let Ok(op) = ops.read() else {
                break;
            };
            if let wasmparser::Operator::Call { function_index } = op
                && let Some(callee) = self.info.defined_func(FuncIdx(function_index))
                && callee != func
                && self.info.body_size(callee) <= CALLEES_FIRST_MAX_BYTES
                && !callees.contains(&callee)
                && self.opt_state[callee.index()].get() == OptState::Queued
            {
                callees.push(callee);
            }
        }
        callees
    }

    /// Whether [`ModuleJit::retire`] was called.
    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Relaxed)
    }

    /// The start of the stubs (for `VmCtx::interp_stubs`).
    pub(crate) fn stubs(&self) -> usize {
        self.stubs
    }

    /// Copies `code` into fresh executable memory and registers its trap sites. `anchor`:
    /// where to place it (`OptCode::hot_loop`), or 16-byte alignment.
    fn publish(
        &self,
        code: &[u8],
        anchor: Option<Anchor>,
        traps: &[(u32, Option<TrapCode>)],
        func: Option<FuncIdx>,
        kind: CodeKind,
    ) -> Result<CodeRange, String> {
        let _order = self.publish.lock();
        let range = self
            .arena
            .publish_anchored(&[(code, anchor)])
            .map_err(|e| e.to_string())?[0];
        self.register(range, traps, func, kind)?;
        Ok(range)
    }

    /// Registers published code with its trap sites (under the `publish` lock, in
    /// publication order).
    fn register(
        &self,
        range: CodeRange,
        traps: &[(u32, Option<TrapCode>)],
        func: Option<FuncIdx>,
        kind: CodeKind,
    ) -> Result<(), String> {
        perf_map::record(range, func, kind, &self.info);
        self.registry.register(CodeInfo {
            range,
            traps: traps
                .iter()
                .map(|&(offset, code)| TrapSite { offset, code })
                .collect(),
            func_index: func,
        })
    }

    // ---- baseline code ----

    /// The baseline code of `func`, compiling and publishing it on first use. Compiles at
    /// most once; concurrent callers wait for the first.
    ///
    /// # Errors
    /// If the function cannot be translated or compiled.
    pub(crate) fn baseline(
        &self,
        interp: &InterpModule,
        func: DefinedFuncIdx,
    ) -> Result<&BaselineFunc, &str> {
        self.baseline[func.index()]
            .get_or_init(|| {
                // The thread's busy interval includes a translation the compile needs.
                let requested = Instant::now();
                let compiled = (|| {
                    let bytecode = interp.compiled(func).map_err(|e| e.to_string())?;
                    let start = Instant::now();
                    let code =
                        tierup_baseline::compile(bytecode, &self.env).map_err(|e| e.to_string())?;
                    let range = self.publish(
                        &code.code,
                        baseline_anchor(&code),
                        &code.traps,
                        Some(bytecode.func_index),
                        CodeKind::Baseline,
                    )?;
                    let compile_time = start.elapsed();
                    self.publish_baseline_native(func, &code, range);
                    {
                        let _entries = self.entries.lock();
                        if self.opt_state[func.index()].get() != OptState::Optimized {
                            self.code.publish(func, range.start);
                        }
                    }
                    Ok(BaselineFunc::new(&code, range, compile_time))
                })();
                self.timeline.ran_here(
                    func,
                    Tier::Baseline,
                    CompileKind::Sync,
                    (requested, requested, Instant::now()),
                    compiled.as_ref().map(|_| ()).map_err(String::as_str),
                );
                compiled
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
        let batch = Instant::now();
        for func in self.info.defined_funcs() {
            let failed =
                |e: &dyn std::fmt::Display| format!("function {}: {e}", self.info.func_of(func));
            let started = Instant::now();
            let result = interp
                .compiled(func)
                .map_err(|e| failed(&e))
                .and_then(|bytecode| {
                    let t = Instant::now();
                    let code =
                        tierup_baseline::compile(bytecode, &self.env).map_err(|e| failed(&e))?;
                    Ok((code, t.elapsed()))
                });
            self.timeline.ran_here(
                func,
                Tier::Baseline,
                CompileKind::Eager,
                (batch, started, Instant::now()),
                result.as_ref().map(|_| ()).map_err(String::as_str),
            );
            compiled.push(result?);
        }
        let _order = self.publish.lock();
        let pieces: Vec<(&[u8], Option<Anchor>)> = compiled
            .iter()
            .map(|(c, _)| (c.code.as_slice(), baseline_anchor(c)))
            .collect();
        let ranges = self
            .arena
            .publish_anchored(&pieces)
            .map_err(|e| e.to_string())?;
        for (func, ((code, compile_time), range)) in self
            .info
            .defined_funcs()
            .zip(compiled.into_iter().zip(ranges))
        {
            self.register(
                range,
                &code.traps,
                Some(self.info.func_of(func)),
                CodeKind::Baseline,
            )?;
            self.publish_baseline_native(func, &code, range);
            self.code.publish(func, range.start);
            let _ =
                self.baseline[func.index()].set(Ok(BaselineFunc::new(&code, range, compile_time)));
        }
        Ok(())
    }

    /// Publishes the native entry of `func`'s baseline `code`, just published at `range`, if
    /// it has one, unless the function has one already (optimized code published meanwhile).
    fn publish_baseline_native(&self, func: DefinedFuncIdx, code: &BaselineCode, range: CodeRange) {
        if let (Some(direct), Some(through_refs)) = (code.native_entry, code.ref_entry()) {
            self.code.publish_native_if_unset(
                func,
                range.start + direct as usize,
                range.start + through_refs as usize,
            );
        }
    }

    /// Every function compiled so far, with its index.
    pub(crate) fn compiled(&self) -> impl Iterator<Item = (DefinedFuncIdx, &BaselineFunc)> {
        self.baseline.iter().enumerate().filter_map(|(i, f)| {
            let f = f.get()?.as_ref().ok()?;
            Some((DefinedFuncIdx(i as u32), f))
        })
    }

    // ---- optimized code ----

    fn opt_env(&self) -> tierup_optimizer::OptEnv<'_> {
        tierup_optimizer::OptEnv {
            module: &self.info,
            bounds_checks: self.bounds_checks,
            raise: self.raise,
            attention: self.attention,
            native: Some(self.code.native_entries()),
            eager: !self.policy.tiers.interp && !self.policy.tiers.baseline,
            type_ids: Some(&self.env.type_ids),
            loops: self.loops,
            assume_published: true,
            optimized: Some(self.code.optimized_entries()),
        }
    }

    /// Writes what this module added to the code cache, if anything (see
    /// [`ModuleCache::save`]).
    pub(crate) fn save_cache(&self) {
        if let Some(Some(cache)) = self.cache.get() {
            cache.save();
        }
    }

    /// [`ModuleJit::save_cache`] at most every quarter second (see
    /// [`ModuleCache::save_soon`]).
    pub(crate) fn save_cache_soon(&self) {
        if let Some(Some(cache)) = self.cache.get() {
            cache.save_soon();
        }
    }

    /// Whether cached `code` (the body of function `own`, if it is one) can run in this
    /// module now: every native entry it calls without a check
    /// ([`tierup_optimizer::OptCode::published_callees`]) is published, but its own, which
    /// is published before its code runs.
    fn can_run_cached(
        &self,
        code: &tierup_optimizer::OptCode,
        own: Option<DefinedFuncIdx>,
    ) -> bool {
        let cells = self.code.native_entries();
        code.published_callees
            .iter()
            .all(|&f| Some(f) == own || cells[f.index()].load(Ordering::Acquire) != 0)
    }

    /// The module's part of the code cache, if the engine has one.
    fn module_cache(&self, compiler: &tierup_optimizer::Compiler) -> Option<&ModuleCache> {
        let root = self.cache_root.as_deref()?;
        // Without a known build there is no safe key (see `code_cache::build_id`).
        crate::jit::code_cache::build_id()?;
        self.cache
            .get_or_init(|| {
                let env = self.opt_env();
                Some(ModuleCache::new(
                    root,
                    self.cache_max_size,
                    &self.info,
                    CodegenSettings {
                        compiler: &compiler.fingerprint(),
                        bounds_checks: self.bounds_checks,
                        loops: self.loops,
                        eager: env.eager,
                        type_ids: &self.env.type_ids,
                    },
                ))
            })
            .as_ref()
    }

    /// `entry`'s code from the code cache, relocated for this module (a wrapper's callee
    /// is `native_entry`), or else compiled by `compile` with the environment it is given and
    /// written to the cache. Returns the code and whether it came from the cache.
    fn cached_or_compiled(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        entry: CacheEntry<'_>,
        native_entry: usize,
        compile: impl FnOnce(
            &mut tierup_optimizer::Compiler,
            &tierup_optimizer::OptEnv<'_>,
        )
            -> Result<tierup_optimizer::OptCode, tierup_optimizer::CompileError>,
    ) -> Result<(tierup_optimizer::OptCode, bool), tierup_optimizer::CompileError> {
        let cache = self.module_cache(compiler);
        // A function's code calls the native entries that were published when it was
        // compiled without checking them; a copy compiled in a run where more of them were
        // published cannot run before they are here too. It is compiled again then, without
        // that assumption (its calls check the cells), so that the copy it leaves in the
        // cache runs in any order of publication.
        let own = match entry {
            CacheEntry::Body { func, .. } => Some(func),
            _ => None,
        };
        let mut env = self.opt_env();
        match cache.and_then(|c| c.load(entry)) {
            Some(mut code) if self.can_run_cached(&code, own) => {
                code.relocate(|symbol| match symbol {
                    tierup_optimizer::Symbol::NativeEntry(_) => native_entry,
                    other => env.address_of(other),
                });
                return Ok((code, true));
            }
            Some(_) => env.assume_published = false,
            None => {}
        }
        let code = compile(compiler, &env)?;
        if let Some(cache) = cache {
            cache.store(entry, &code);
        }
        Ok((code, false))
    }

    /// Compiles `func` for the optimized tier (or loads it from the code cache): its native
    /// entry when it has one, else its slot entry. Returns the code, whether it is native and
    /// whether it came from the cache.
    fn compile_opt(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        func: DefinedFuncIdx,
    ) -> Result<(tierup_optimizer::OptCode, bool, bool), String> {
        let native =
            tierup_optimizer::has_native_entry(self.info.func_type(self.info.func_of(func)));
        let entry = CacheEntry::Body { func, native };
        self.cached_or_compiled(compiler, entry, 0, |compiler, env| {
            if native {
                compiler.compile_native(env, func)
            } else {
                compiler.compile(env, func)
            }
        })
        .map(|(code, cached)| (code, native, cached))
        .map_err(|e| format!("function {}: {e}", self.info.func_of(func)))
    }

    /// The slot-ABI wrapper of `func`'s native entry at `native` (compiled, or loaded from the
    /// code cache).
    fn compile_wrapper(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        func: DefinedFuncIdx,
        native: usize,
    ) -> Result<tierup_optimizer::OptCode, String> {
        self.cached_or_compiled(
            compiler,
            CacheEntry::Wrapper(func),
            native,
            |compiler, env| compiler.compile_slot_wrapper(env, func, native),
        )
        .map(|(code, _)| code)
        .map_err(|e| format!("function {}: {e}", self.info.func_of(func)))
    }

    /// Compiles every defined function with Cranelift (the strict `opt` mode), on up to
    /// `threads` threads, publishing them in one batch.
    ///
    /// # Errors
    /// The first function that cannot be compiled, with its index.
    pub(crate) fn optimize_all(&self, threads: usize) -> Result<(), String> {
        let defined = self.optimized.len();
        let batch = Instant::now();
        let compile_range = |range: std::ops::Range<usize>| {
            with_compiler(|compiler| {
                let compiler = compiler.map_err(|e| e.to_string())?;
                range
                    .map(|d| {
                        let func = DefinedFuncIdx(d as u32);
                        let t = Instant::now();
                        let result = self.compile_opt(compiler, func);
                        let end = Instant::now();
                        self.timeline.ran_here(
                            func,
                            Tier::Optimized,
                            CompileKind::Eager,
                            (batch, t, end),
                            result.as_ref().map(|_| ()).map_err(String::as_str),
                        );
                        let (code, native, cached) = result?;
                        Ok((code, native, cached, end - t))
                    })
                    .collect::<Result<Vec<_>, String>>()
            })
        };
        // Parallel only where it pays for the threads (and each thread's ISA).
        let threads = threads.min(defined / MIN_FUNCS_PER_EAGER_THREAD).max(1);
        let compiled: Vec<(tierup_optimizer::OptCode, bool, bool, Duration)> = if threads == 1 {
            compile_range(0..defined)?
        } else {
            let chunk = defined.div_ceil(threads);
            std::thread::scope(|scope| {
                let handles = (0..threads)
                    .map(|t| {
                        let range = t * chunk..((t + 1) * chunk).min(defined);
                        // Named, for the statistics' timeline.
                        std::thread::Builder::new()
                            .name(format!("tierup-eager-{t}"))
                            .spawn_scoped(scope, move || compile_range(range))
                            .map_err(|e| format!("cannot start an optimizer thread: {e}"))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
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
            let pieces: Vec<(&[u8], Option<Anchor>)> = compiled
                .iter()
                .map(|(c, ..)| (c.code.as_slice(), opt_anchor(c)))
                .collect();
            // Direct calls between the batch's functions get their displacements here: each
            // defined function's native entry is its body's start.
            let link = |starts: &[usize]| {
                let mut patches = Vec::new();
                for (piece, (code, ..)) in compiled.iter().enumerate() {
                    for &(offset, callee) in &code.direct_calls {
                        let next = starts[piece] + offset as usize + 4;
                        let displacement = starts[callee.index()] as i64 - next as i64;
                        let displacement = i32::try_from(displacement)
                            .expect("code segments are far smaller than 2 GiB");
                        patches.push((piece, offset, displacement));
                    }
                }
                patches
            };
            let ranges = self
                .arena
                .publish_linked(&pieces, link)
                .map_err(|e| e.to_string())?;
            for (func, ((code, ..), range)) in
                self.info.defined_funcs().zip(compiled.iter().zip(&ranges))
            {
                self.register(
                    *range,
                    &code.traps,
                    Some(self.info.func_of(func)),
                    CodeKind::Optimized,
                )?;
            }
            ranges
        };
        // Native entries and wrappers are all in place before `Module::new` returns, so
        // before any body that calls them unconditionally (the eager mode) can run. The
        // wrappers are published together too.
        with_compiler(|compiler| {
            let compiler = compiler.map_err(|e| e.to_string())?;
            let mut wrappers = Vec::new();
            for (i, (func, ((_, native, ..), body))) in self
                .info
                .defined_funcs()
                .zip(compiled.iter().zip(&ranges))
                .enumerate()
            {
                if !*native {
                    continue;
                }
                let t = Instant::now();
                self.code.publish_native(func, body.start);
                let wrapper = self.compile_wrapper(compiler, func, body.start)?;
                wrappers.push((i, wrapper, t.elapsed()));
            }
            // Each function's entry, the bytes its wrapper adds, and the wrapper's time.
            let mut entries: Vec<(CodeRange, usize, Duration)> =
                ranges.iter().map(|&r| (r, 0, Duration::ZERO)).collect();
            {
                let _order = self.publish.lock();
                let pieces: Vec<&[u8]> =
                    wrappers.iter().map(|(_, w, _)| w.code.as_slice()).collect();
                let published = self.arena.publish(&pieces).map_err(|e| e.to_string())?;
                for ((i, wrapper, time), range) in wrappers.iter().zip(published) {
                    self.register(range, &wrapper.traps, None, CodeKind::SlotWrapper)?;
                    entries[*i] = (range, range.len, *time);
                }
            }
            for (func, ((code, _, cached, compile_time), (entry, wrapper_bytes, wrapper_time))) in
                self.info.defined_funcs().zip(compiled.iter().zip(entries))
            {
                self.install_optimized(
                    func,
                    entry,
                    OptFunc {
                        code_bytes: code.code.len() + wrapper_bytes,
                        compile_time: *compile_time + wrapper_time,
                        queue_wait: Duration::ZERO,
                        published_at: Instant::now(),
                        hot_at: None,
                        cached: *cached,
                    },
                );
            }
            Ok(())
        })
    }

    /// The tier-ABI entry of `func`'s published optimized `body` and the bytes it adds: the
    /// body itself, or (for a `native` body, which is then published as the native entry) a
    /// slot-ABI wrapper published for it, registered without a function (backtraces skip it).
    fn entry_of(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        func: DefinedFuncIdx,
        body: CodeRange,
        native: bool,
    ) -> Result<(CodeRange, usize), String> {
        if !native {
            return Ok((body, 0));
        }
        self.code.publish_native(func, body.start);
        let wrapper = self.compile_wrapper(compiler, func, body.start)?;
        let range = self.publish(
            &wrapper.code,
            None,
            &wrapper.traps,
            None,
            CodeKind::SlotWrapper,
        )?;
        Ok((range, range.len))
    }

    /// Publishes `func`'s optimized `code` (`native`: its native entry) and returns its
    /// tier-ABI entry and the bytes a wrapper adds ([`ModuleJit::entry_of`]).
    fn publish_optimized(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        func: DefinedFuncIdx,
        code: &tierup_optimizer::OptCode,
        native: bool,
    ) -> Result<(CodeRange, usize), String> {
        let body = self.publish_opt(&code.code, code, func, true, CodeKind::Optimized)?;
        self.entry_of(compiler, func, body, native)
    }

    /// Publishes `bytes`, optimized `code` of `func` (with stubs after it, for an OSR entry;
    /// `own`: its normal code, whose start is its native entry), linking the code's direct
    /// calls ([`tierup_optimizer::OptCode::direct_calls`]) first. Each goes to its callee's
    /// optimized native entry, or to the function's own start, or else to a veneer published
    /// with the code that jumps through the callee's cell ([`stubs::cell_veneers`]): for
    /// code from the code cache, compiled in a run where the callee was optimized and it is
    /// not here yet (its cell is set: [`ModuleJit::can_run_cached`]), and for a callee beyond
    /// a 32-bit displacement. Returns the range of `bytes`.
    fn publish_opt(
        &self,
        bytes: &[u8],
        code: &tierup_optimizer::OptCode,
        func: DefinedFuncIdx,
        own: bool,
        kind: CodeKind,
    ) -> Result<CodeRange, String> {
        let func_index = Some(self.info.func_of(func));
        if code.direct_calls.is_empty() {
            return self.publish(bytes, opt_anchor(code), &code.traps, func_index, kind);
        }
        let mut callees: Vec<DefinedFuncIdx> = code.direct_calls.iter().map(|&(_, c)| c).collect();
        callees.sort_unstable();
        callees.dedup();
        let cells = self.code.native_entries();
        let cell_addresses: Vec<usize> = callees
            .iter()
            .map(|c| cells[c.index()].as_ptr() as usize)
            .collect();
        let veneers = stubs::cell_veneers(&cell_addresses);
        let optimized = self.code.optimized_entries();
        let _order = self.publish.lock();
        let pieces: [(&[u8], Option<Anchor>); 2] = [(bytes, opt_anchor(code)), (&veneers, None)];
        let link = |starts: &[usize]| {
            code.direct_calls
                .iter()
                .map(|&(offset, callee)| {
                    let next = (starts[0] + offset as usize + 4) as i64;
                    let reach = |target: usize| i32::try_from(target as i64 - next).ok();
                    let target = if own && callee == func {
                        starts[0]
                    } else {
                        optimized[callee.index()].load(Ordering::Acquire)
                    };
                    let veneer = || {
                        let k = callees
                            .binary_search(&callee)
                            .expect("every callee has one");
                        reach(starts[1] + k * stubs::VENEER_SIZE)
                            .expect("one publication is far smaller than 2 GiB")
                    };
                    let displacement = (target != 0).then(|| reach(target)).flatten();
                    (0, offset, displacement.unwrap_or_else(veneer))
                })
                .collect()
        };
        let ranges = self
            .arena
            .publish_linked(&pieces, link)
            .map_err(|e| e.to_string())?;
        self.register(ranges[0], &code.traps, func_index, kind)?;
        self.register(ranges[1], &[], None, CodeKind::Veneers)?;
        Ok(ranges[0])
    }

    /// Makes `entry` function `func`'s code and records it.
    fn install_optimized(&self, func: DefinedFuncIdx, entry: CodeRange, record: OptFunc) {
        let _entries = self.entries.lock();
        self.code.publish(func, entry.start);
        let _ = self.optimized[func.index()].set(Ok(record));
        self.opt_state[func.index()].set(OptState::Optimized);
    }

    /// Asks a worker for the module's warm start (tiered modes that start interpreted and may
    /// optimize, with a code cache and [`TierPolicy::warm_start`]): see
    /// [`ModuleJit::warm_start_job`]. Does nothing in other modes.
    pub(crate) fn request_warm_start(&self) {
        let Some(workers) = &self.workers else {
            return;
        };
        let tiers = self.policy.tiers;
        if self.cache_root.is_none() || !self.policy.warm_start || !tiers.interp || !tiers.opt {
            return;
        }
        workers.prestart();
        let _ = workers.submit(Job {
            module: self.this.clone(),
            kind: JobKind::WarmStart,
            priority: u64::MAX,
            queued_at: Instant::now(),
            record: JobId::NONE,
        });
    }

    /// A worker's warm-start job, queued at `queued_at`: installs the optimized code the code
    /// cache holds for functions that are not on their way to the optimizer yet, so that a
    /// module that ran before starts its hot functions in optimized code instead of waiting
    /// for them to get hot again (V8's code cache; the rest still starts interpreted).
    /// Code that calls other functions' native entries unchecked is installed after them (a
    /// pass per level), or not at all if one of them is not cached: such a function tiers up
    /// as usual.
    pub(crate) fn warm_start_job(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        queued_at: Instant,
        worker: u32,
    ) {
        let Some(cache) = self.module_cache(compiler) else {
            return;
        };
        let env = self.opt_env();
        let mut pending = cache.cached_bodies();
        loop {
            let before = pending.len();
            pending.retain(|&(func, native)| {
                let state = self.opt_state[func.index()].get();
                if self.is_retired() || !matches!(state, OptState::Idle | OptState::Counting) {
                    return false;
                }
                let Some(mut code) = cache.load(CacheEntry::Body { func, native }) else {
                    return false;
                };
                if !self.can_run_cached(&code, Some(func)) {
                    return true;
                }
                if !self.opt_state[func.index()].advance(state, OptState::Compiling) {
                    return false;
                }
                let start = Instant::now();
                let record = self.timeline.enqueued(
                    func,
                    Tier::Optimized,
                    CompileKind::WarmStart,
                    queued_at,
                );
                self.timeline.started(record, Some(worker), start, start);
                code.relocate(|symbol| env.address_of(symbol));
                match self.publish_optimized(compiler, func, &code, native) {
                    Ok((entry, wrapper_bytes)) => {
                        self.install_optimized(
                            func,
                            entry,
                            OptFunc {
                                code_bytes: code.code.len() + wrapper_bytes,
                                compile_time: start.elapsed(),
                                queue_wait: start.saturating_duration_since(queued_at),
                                published_at: Instant::now(),
                                hot_at: None,
                                cached: true,
                            },
                        );
                        self.timeline.finished(record, Instant::now(), Ok(()));
                    }
                    Err(e) => {
                        self.timeline.finished(record, Instant::now(), Err(&e));
                        self.optimize_failed(func, e);
                    }
                }
                false
            });
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
    }

    /// A worker's job: compiles `func` with `compiler` and publishes it (unless the module
    /// was retired meanwhile). Activations still looping in a lower tier poll (the policy's
    /// countdowns) and take an OSR entry once it exists.
    ///
    /// `job` is its timeline record, taken from the queue by `worker` at `dequeued`.
    pub(crate) fn optimize_job(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        func: DefinedFuncIdx,
        queued_at: Instant,
        (job, worker, dequeued): (JobId, u32, Instant),
    ) {
        if !self.opt_state[func.index()].advance(OptState::Queued, OptState::Compiling) {
            let reason = "the function was no longer waiting for the optimizer";
            self.timeline.skipped(job, Some(worker), dequeued, reason);
            return;
        }
        let start = Instant::now();
        self.timeline.started(job, Some(worker), dequeued, start);
        let queue_wait = start.saturating_duration_since(queued_at);
        let (code, native, cached) = match self.compile_opt(compiler, func) {
            Ok(compiled) => compiled,
            Err(e) => {
                self.timeline.finished(job, Instant::now(), Err(&e));
                return self.optimize_failed(func, e);
            }
        };
        if self.is_retired() {
            return;
        }
        let published = self.publish_optimized(compiler, func, &code, native);
        let compile_time = start.elapsed();
        match published {
            Ok((entry, wrapper_bytes)) => {
                self.install_optimized(
                    func,
                    entry,
                    OptFunc {
                        code_bytes: code.code.len() + wrapper_bytes,
                        compile_time,
                        queue_wait,
                        published_at: Instant::now(),
                        hot_at: Some(queued_at),
                        cached,
                    },
                );
                self.timeline.finished(job, Instant::now(), Ok(()));
            }
            Err(e) => {
                self.timeline.finished(job, Instant::now(), Err(&e));
                self.optimize_failed(func, e);
            }
        }
    }

    /// Records that `func` cannot be optimized (it keeps running in its tier; the statistics
    /// report the failure).
    pub(crate) fn optimize_failed(&self, func: DefinedFuncIdx, error: String) {
        let _ = self.optimized[func.index()].set(Err(error));
        self.opt_state[func.index()].set(OptState::Failed);
    }

    /// Every function optimized so far, with its index.
    pub(crate) fn optimized(&self) -> impl Iterator<Item = (DefinedFuncIdx, &OptFunc)> {
        self.optimized.iter().enumerate().filter_map(|(i, f)| {
            let f = f.get()?.as_ref().ok()?;
            Some((DefinedFuncIdx(i as u32), f))
        })
    }

    /// Functions the optimizer failed on, with the reason.
    pub(crate) fn optimize_failures(&self) -> impl Iterator<Item = (DefinedFuncIdx, &str)> {
        self.optimized.iter().enumerate().filter_map(|(i, f)| {
            let e = f.get()?.as_ref().err()?;
            Some((DefinedFuncIdx(i as u32), e.as_str()))
        })
    }

    /// Functions waiting for or being compiled by the optimizer.
    pub(crate) fn optimizations_pending(&self) -> usize {
        self.opt_state
            .iter()
            .filter(|s| matches!(s.get(), OptState::Queued | OptState::Compiling))
            .count()
    }

    // ---- on-stack replacement into optimized code ----

    /// The OSR entry into the optimized code of `func` at the loop whose header is bytecode
    /// index `pc`. The first request queues one compile covering every loop of the function
    /// that can be entered (those with an empty operand stack at the header).
    fn opt_osr_entry(
        &self,
        interp: &InterpModule,
        func: DefinedFuncIdx,
        pc: u32,
    ) -> (OsrOutcome, usize) {
        self.opt_osr.get_or_request(func, pc, || {
            let loops: Vec<(u32, u32)> = interp
                .compiled(func)
                .map(|f| {
                    f.loops
                        .iter()
                        .filter(|l| l.stack_height == 0)
                        .map(|l| (l.pc, l.wasm_offset))
                        .collect()
                })
                .unwrap_or_default();
            if loops.is_empty() {
                return None;
            }
            let workers = self.workers.as_ref()?;
            let queued_at = Instant::now();
            let record = self
                .timeline
                .enqueued(func, Tier::Optimized, CompileKind::Osr, queued_at);
            let job = Job {
                module: self.this.clone(),
                kind: JobKind::Osr(func, loops.clone()),
                // The program is looping in a slower tier right now: first in line.
                priority: u64::MAX,
                queued_at,
                record,
            };
            let submitted = workers.submit(job).is_ok();
            if !submitted {
                self.timeline.rejected(record);
            }
            submitted.then(|| loops.iter().map(|&(pc, _)| pc).collect())
        })
    }

    /// A worker's OSR job: compiles the OSR entry of `func` for `loops` (`(header pc, module
    /// offset)`), puts a dispatch stub per loop behind it, and publishes them. `job` is its
    /// timeline record, taken from the queue by `worker` at `dequeued`.
    pub(crate) fn optimize_osr_job(
        &self,
        compiler: &mut tierup_optimizer::Compiler,
        func: DefinedFuncIdx,
        loops: &[(u32, u32)],
        (job, worker, dequeued): (JobId, u32, Instant),
    ) {
        self.timeline
            .started(job, Some(worker), dequeued, Instant::now());
        let offsets: Vec<u32> = loops.iter().map(|&(_, offset)| offset).collect();
        let result = self
            .cached_or_compiled(
                compiler,
                CacheEntry::Osr(func, &offsets),
                0,
                |compiler, env| compiler.compile_osr(env, func, &offsets),
            )
            .map_err(|e| e.to_string())
            .and_then(|(code, _)| {
                if self.is_retired() {
                    return Err("module dropped".into());
                }
                let (bytes, dispatch) = stubs::osr_dispatch(&code.code, loops.len());
                let range = self.publish_opt(&bytes, &code, func, false, CodeKind::OptimizedOsr)?;
                Ok(loops
                    .iter()
                    .zip(dispatch)
                    .map(|(&(pc, _), at)| (pc, range.start + at))
                    .collect())
            });
        self.timeline.finished(
            job,
            Instant::now(),
            result.as_ref().map(|_| ()).map_err(String::as_str),
        );
        let pcs: Vec<u32> = loops.iter().map(|&(pc, _)| pc).collect();
        self.opt_osr
            .finish(func, result.map_err(|_| pcs.as_slice()));
    }

    // ---- tier-up ----

    /// Carries out the policy for `func`, whose countdown crossed zero at `site`; returns the
    /// OSR entry to continue in (0: none).
    fn on_hot(
        &self,
        interp: &InterpModule,
        func: DefinedFuncIdx,
        site: Site,
        countdown: &Countdown<'_>,
    ) -> usize {
        // A lap of a long countdown ended: nothing for the policy yet.
        if countdown.next_lap() {
            return 0;
        }
        // The first function to get warm starts the optimizer's workers, so that they are
        // ready when one gets hot; a program that never gets warm never starts them.
        if let Some(workers) = &self.workers {
            workers.prestart();
        }
        let set = |value: i32| countdown.set(value);
        let state = self.opt_state[func.index()].get();
        match self.policy.step(site, state) {
            Step::OptOsr => {
                let pc = site.loop_pc().expect("OSR steps are taken at loops");
                let (outcome, entry) = self.opt_osr_entry(interp, func, pc);
                set(self.policy.countdown_after_osr(outcome));
                if outcome == OsrOutcome::Ready {
                    self.opt_osr_count.fetch_add(1, Ordering::Relaxed);
                    let from = match site {
                        Site::BaselineLoop(_) => Tier::Baseline,
                        _ => Tier::Interp,
                    };
                    self.record_osr(interp, func, pc, from, Tier::Optimized);
                    return entry;
                }
                // Meanwhile an interpreted loop moves into baseline code.
                if matches!(site, Site::InterpLoop(_)) && self.policy.tiers.baseline {
                    return self.enter_baseline(interp, func, site, countdown, state);
                }
                0
            }
            Step::Baseline => {
                if state == OptState::Optimized {
                    set(COUNTDOWN_IDLE);
                }
                self.enter_baseline(interp, func, site, countdown, state)
            }
            Step::TowardsOpt => {
                self.towards_opt(func, countdown);
                0
            }
            Step::Nothing => {
                set(COUNTDOWN_IDLE);
                0
            }
        }
    }

    /// Moves `func` into baseline code (compiling it on first use); at a loop, returns the
    /// entry that continues the interpreter's frame there.
    fn enter_baseline(
        &self,
        interp: &InterpModule,
        func: DefinedFuncIdx,
        site: Site,
        countdown: &Countdown<'_>,
        state: OptState,
    ) -> usize {
        let first = self.baseline[func.index()].get().is_none();
        let Ok(code) = self.baseline(interp, func) else {
            // Cannot be compiled (e.g. a resource limit): it stays interpreted, and its ticks
            // there count towards the optimizer, as with `--tiers interp,opt` (a hot function
            // must never be stuck in the interpreter because the baseline refused it).
            if self.policy.tiers.opt && state != OptState::Optimized {
                self.towards_opt(func, countdown);
            } else {
                countdown.set(COUNTDOWN_IDLE);
            }
            return 0;
        };
        if state != OptState::Optimized {
            if first && site == Site::Entry {
                countdown.set(self.policy.countdown_after_baseline_compile());
            } else {
                self.towards_opt(func, countdown);
            }
        }
        let Some(pc) = site.loop_pc() else { return 0 };
        let entry = code.osr.get(pc).unwrap_or(0);
        if entry != 0 {
            self.osr_count.fetch_add(1, Ordering::Relaxed);
            self.record_osr(interp, func, pc, Tier::Interp, Tier::Baseline);
        }
        entry
    }

    /// Records, in the timeline, an activation of `func` moving from tier `from` to `to` at
    /// the loop whose header is bytecode index `pc`.
    fn record_osr(
        &self,
        interp: &InterpModule,
        func: DefinedFuncIdx,
        pc: u32,
        from: Tier,
        to: Tier,
    ) {
        let at = Instant::now();
        let loop_offset = interp
            .compiled(func)
            .ok()
            .and_then(|f| f.loops.iter().find(|l| l.pc == pc))
            .map_or(0, |l| l.wasm_offset);
        self.timeline.osr(OsrRecord {
            at,
            func,
            loop_offset,
            from,
            to,
        });
    }

    /// Moves `func` one step towards the optimizer and sets its countdown.
    fn towards_opt(&self, func: DefinedFuncIdx, countdown: &Countdown<'_>) {
        let state = &self.opt_state[func.index()];
        let from = state.get();
        let decision = self.policy.towards_opt(from, self.workers.is_some());
        let done = match decision {
            TowardsOpt::StartCounting => state.advance(OptState::Idle, OptState::Counting),
            TowardsOpt::Queue if !state.advance(from, OptState::Queued) => {
                // Another thread moved it first: wait for the code like everyone else.
                countdown.set(self.policy.countdown_towards_opt(TowardsOpt::Wait, true));
                return;
            }
            TowardsOpt::Queue => {
                let submitted = self.workers.as_ref().is_some_and(|workers| {
                    let job = self.opt_job(func);
                    let record = job.record;
                    let submitted = workers.submit(job).is_ok();
                    if !submitted {
                        self.timeline.rejected(record);
                    }
                    submitted
                });
                if !submitted {
                    state.set(from);
                }
                submitted
            }
            TowardsOpt::Wait | TowardsOpt::Nothing => true,
        };
        countdown.set(self.policy.countdown_towards_opt(decision, done));
    }

    /// The optimizer job for `func`; hotter (reached the threshold sooner since it entered
    /// its current tier) runs first.
    fn opt_job(&self, func: DefinedFuncIdx) -> Job {
        let since = self.baseline[func.index()]
            .get()
            .and_then(|b| b.as_ref().ok())
            .map_or(self.created_at, |b| b.published_at);
        let nanos = since.elapsed().as_nanos().max(1) as u64;
        let queued_at = Instant::now();
        Job {
            module: self.this.clone(),
            kind: JobKind::Optimize(func),
            priority: u64::MAX / nanos,
            queued_at,
            record: self.timeline.enqueued(
                func,
                Tier::Optimized,
                CompileKind::Background,
                queued_at,
            ),
        }
    }
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

/// A function's hotness countdown, as the runtime sets it: cut into [`Laps`], the ticks
/// after the current lap kept beside it. Only the thread running the function writes either
/// while it runs (`tierup_abi::hotness`).
struct Countdown<'a> {
    counter: &'a AtomicI32,
    after: &'a AtomicU32,
}

impl Countdown<'_> {
    /// Sets the countdown to `value`, which may be longer than a lap.
    fn set(&self, value: i32) {
        let laps = Laps::split(value);
        self.after.store(laps.after, Ordering::Relaxed);
        self.counter.store(laps.countdown, Ordering::Relaxed);
    }

    /// The countdown crossed zero: starts its next lap if it has ticks left (whether it did:
    /// if not, the crossing is the policy's).
    fn next_lap(&self) -> bool {
        let after = self.after.load(Ordering::Relaxed);
        if after == 0 {
            return false;
        }
        let laps = Laps::of_ticks(after);
        self.after.store(laps.after, Ordering::Relaxed);
        self.counter.store(laps.countdown, Ordering::Relaxed);
        true
    }
}

/// The work of the `tier_up` libcall: defined function `func` of `vmctx` crossed zero at
/// `osr_pc` (`tierup_abi::libcalls`).
///
/// # Safety
/// `vmctx` is a live instance context; `func` one of its defined functions.
pub(crate) unsafe fn tier_up(vmctx: *mut VmCtx, func: DefinedFuncIdx, osr_pc: u32) -> usize {
    // SAFETY: the caller's contract; `jit`, `interp` and the counters belong to the
    // instance's module, which outlives it.
    unsafe {
        let counter = &*(*vmctx).hot_counters.add(func.index());
        let jit = (*vmctx).jit as *const ModuleJit;
        if jit.is_null() {
            counter.store(COUNTDOWN_IDLE, Ordering::Relaxed);
            return 0;
        }
        let interp = &*((*vmctx).interp as *const InterpModule);
        let countdown = Countdown {
            counter,
            after: &(*jit).laps[func.index()],
        };
        (*jit).on_hot(interp, func, Site::from_osr_pc(osr_pc), &countdown)
    }
}

/// Where to place baseline code: its innermost loop's header on a cache line.
fn baseline_anchor(code: &tierup_baseline::BaselineCode) -> Option<Anchor> {
    code.hot_loop.map(|offset| Anchor {
        offset,
        align: code.alignment(),
    })
}

/// Where to place optimized code: its innermost loop's header on a cache line.
fn opt_anchor(code: &tierup_optimizer::OptCode) -> Option<Anchor> {
    code.hot_loop.map(|offset| Anchor {
        offset,
        align: code.alignment,
    })
}
