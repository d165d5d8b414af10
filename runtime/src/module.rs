//! [`Module`]: a validated module, ready to instantiate any number of times.
//!
//! Creating a module decodes and validates the whole binary in one pass (DESIGN.md §1) and
//! translates nothing: each function is translated to interpreter bytecode on its first call.
//! What a module owns is shared by all its instances: the metadata, the interpreter's
//! per-function bytecode, the code table (`jit::code_table::CodeTable`: one entry per
//! defined function, its interpreter stub until it is compiled, or 0 when the engine runs no
//! machine code), the hotness countdowns that drive tier-up, and the machine code
//! (`jit::tiering::ModuleJit`).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicI32;
use std::time::{Duration, Instant};

use tierup_abi::{DefinedFuncIdx, ExternIdx, FuncIdx, FuncType, ImportKind, ModuleInfo};
use tierup_interp::InterpModule;

use crate::engine::Engine;
use crate::error::Error;
use crate::jit::code_table::CodeTable;
use crate::jit::tiering::ModuleJit;
use crate::stats::{
    CompileInterval, FailureEvent, FunctionTimeline, ModuleStats, OsrEvent, Tier, TierEvent,
    TierSpan, Timeline,
};
use crate::types::{ExternType, GlobalType, MemoryType, TableType};

/// A compiled (validated) WebAssembly module. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

#[derive(Debug)]
pub(crate) struct ModuleInner {
    pub(crate) engine: Engine,
    pub(crate) info: Arc<ModuleInfo>,
    pub(crate) interp: InterpModule,
    pub(crate) code_table: Arc<CodeTable>,
    pub(crate) hot_counters: Arc<[AtomicI32]>,
    /// Canonical signature id of each type index.
    pub(crate) type_ids: Box<[u32]>,
    /// Each type index's signature, shared with the functions of every instance.
    pub(crate) func_types: Box<[Arc<FuncType>]>,
    /// When the module was created (the origin of its statistics' timestamps).
    pub(crate) created_at: Instant,
    /// How long decoding and validation took.
    pub(crate) validate_time: Duration,
    /// Machine code (when the engine runs any). Declared last: dropped after everything
    /// that could still point into it.
    pub(crate) jit: Option<Arc<ModuleJit>>,
}

impl Drop for ModuleInner {
    fn drop(&mut self) {
        if let Some(jit) = &self.jit {
            // Queued optimizations of this module are pointless now.
            jit.retire();
            // What it added to the code cache is written now, on the thread that drops it (its
            // machine code may outlive it a little, in a worker's hands, and be dropped there).
            jit.save_cache();
        }
    }
}

/// One import of a module.
#[derive(Debug, Clone)]
pub struct ImportType<'m> {
    module: &'m str,
    name: &'m str,
    ty: ExternType,
}

impl ImportType<'_> {
    /// The module name of the import.
    pub fn module(&self) -> &str {
        self.module
    }

    /// The field name of the import.
    pub fn name(&self) -> &str {
        self.name
    }

    /// What is expected.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

/// One export of a module.
#[derive(Debug, Clone)]
pub struct ExportType<'m> {
    name: &'m str,
    ty: ExternType,
}

impl ExportType<'_> {
    /// The export name.
    pub fn name(&self) -> &str {
        self.name
    }

    /// What is exported.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

impl Module {
    /// Compiles a module from WebAssembly text or binary. Text needs the `wat` feature (on by
    /// default).
    ///
    /// # Errors
    /// [`Error::Parse`] for text that does not parse, [`Error::Invalid`] (with the byte offset)
    /// for a malformed or invalid binary, [`Error::Unsupported`] for text in a build without
    /// the `wat` feature.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module, Error> {
        let bytes = bytes.as_ref();
        if bytes.starts_with(b"\0asm") {
            return Module::from_binary(engine, bytes);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::Parse("input is neither a wasm binary nor UTF-8 text".into()))?;
        #[cfg(feature = "wat")]
        {
            let wasm = wat::parse_str(text).map_err(|e| Error::Parse(e.to_string()))?;
            Module::from_binary(engine, &wasm)
        }
        #[cfg(not(feature = "wat"))]
        {
            let _ = text;
            Err(Error::Unsupported(
                "WebAssembly text needs tierup-runtime's `wat` feature".into(),
            ))
        }
    }

    /// Compiles a module from a WebAssembly binary.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a malformed or invalid binary.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        let start = Instant::now();
        let mut info = ModuleInfo::parse_with(bytes.to_vec(), engine.config().features())?;
        info.instrumentation = engine.config().instrumentation();
        let info = Arc::new(info);
        let validate_time = start.elapsed();
        let defined = info.num_defined_funcs();
        let type_ids: Box<[u32]> = info.types.iter().map(|t| engine.type_id(t)).collect();
        let func_types = info.types.iter().cloned().map(Arc::new).collect();
        let config = engine.config();
        let policy = *engine.policy();
        // Its first lap: `ModuleJit` keeps the ticks after it (a threshold above 2^16).
        let countdown = policy.initial_laps().countdown;
        let hot_counters: Arc<[AtomicI32]> =
            (0..defined).map(|_| AtomicI32::new(countdown)).collect();
        let jit = if engine.uses_jit() {
            let jit = ModuleJit::new(
                &info,
                policy,
                config,
                engine.workers(),
                engine.code_budget(),
                type_ids.clone(),
            );
            // The arena's errors say "code memory" themselves.
            Some(jit.map_err(Error::msg)?)
        } else {
            None
        };
        let code_table = match &jit {
            Some(jit) => jit.code_table().clone(),
            None => Arc::new(CodeTable::new(defined, |_| 0)),
        };
        let inner = ModuleInner {
            engine: engine.clone(),
            interp: InterpModule::new(info.clone()),
            code_table,
            hot_counters,
            type_ids,
            func_types,
            created_at: Instant::now(),
            validate_time,
            info,
            jit,
        };
        // With a code cache, a worker installs the optimized code it holds (tiered modes).
        if let Some(jit) = &inner.jit {
            jit.request_warm_start();
        }
        // Without the interpreter, functions start compiled (strictly: a function the tier
        // cannot compile is an error).
        if let Some(jit) = &inner.jit
            && policy.starts_compiled()
        {
            if policy.tiers.baseline {
                jit.compile_all(&inner.interp)
                    .map_err(|e| Error::msg(format!("baseline tier: {e}")))?;
            } else {
                jit.optimize_all(
                    config
                        .compile_threads
                        .unwrap_or_else(crate::config::default_compile_threads),
                )
                .map_err(|e| Error::msg(format!("optimizing tier: {e}")))?;
                // What the batch added to the code cache.
                jit.save_cache();
            }
        }
        Ok(Module {
            inner: Arc::new(inner),
        })
    }

    /// Reads and compiles a `.wasm` or `.wat` file.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read, else as [`Module::new`].
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module, Error> {
        let bytes = std::fs::read(path.as_ref())?;
        Module::new(engine, bytes)
    }

    /// The module's name from its name section.
    pub fn name(&self) -> Option<&str> {
        self.inner.info.name.as_deref()
    }

    /// The engine the module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module's imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = ImportType<'_>> {
        let info = &self.inner.info;
        info.imports.iter().map(move |imp| ImportType {
            module: &imp.module,
            name: &imp.name,
            ty: match &imp.kind {
                ImportKind::Func(t) => ExternType::Func(info.types[*t as usize].clone()),
                ImportKind::Table(t) => ExternType::Table(TableType { ty: *t }),
                ImportKind::Memory(l) => ExternType::Memory(MemoryType { limits: *l }),
                ImportKind::Global(g) => ExternType::Global(GlobalType::from_abi(*g)),
            },
        })
    }

    /// The module's exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = ExportType<'_>> {
        let info = &self.inner.info;
        info.exports.iter().map(move |exp| ExportType {
            name: &exp.name,
            ty: match exp.index {
                ExternIdx::Func(i) => ExternType::Func(info.func_type(FuncIdx(i)).clone()),
                ExternIdx::Table(i) => ExternType::Table(TableType {
                    ty: info.tables[i as usize],
                }),
                ExternIdx::Memory(i) => ExternType::Memory(MemoryType {
                    limits: info.memories[i as usize],
                }),
                ExternIdx::Global(i) => {
                    ExternType::Global(GlobalType::from_abi(info.globals[i as usize]))
                }
            },
        })
    }

    /// The bytecode listing of function `func_index` (translating it if needed), for
    /// diagnostics and snapshot tests.
    ///
    /// # Errors
    /// If the index is not a defined function, or it cannot be translated.
    pub fn interp_listing(&self, func_index: u32) -> Result<String, Error> {
        let info = &self.inner.info;
        let defined = info
            .defined_func(FuncIdx(func_index))
            .filter(|d| d.as_u32() < info.num_defined_funcs())
            .ok_or_else(|| {
                Error::msg(format!(
                    "function {func_index} is not defined by this module"
                ))
            })?;
        let func = self
            .inner
            .interp
            .compiled(defined)
            .map_err(|e| Error::msg(e.to_string()))?;
        Ok(tierup_interp::disassemble(func))
    }

    /// Writes what this module added to the code cache ([`Config::code_cache`]) so far, if
    /// anything. The runtime does so by itself when the optimizer's queue runs empty (at most
    /// every quarter second) and when the module is dropped (on the dropping thread; a compile
    /// still running then is written by the worker when it ends); a program that ends without
    /// dropping the module (as `tierup run` does) calls this last.
    ///
    /// [`Config::code_cache`]: crate::Config::code_cache
    pub fn save_code_cache(&self) {
        if let Some(jit) = &self.inner.jit {
            jit.save_cache();
        }
    }

    /// What the runtime has done with this module's functions so far: which tier each reached,
    /// when, and at what cost (see [`ModuleStats`]).
    pub fn stats(&self) -> ModuleStats {
        let inner = &self.inner;
        // Without the interpreter tier, bytecode is only the baseline compiler's input: its
        // translation is part of the baseline compile, not an interpreter event.
        let interp_tier = inner.engine.policy().tiers.interp;
        let mut translate_times = std::collections::HashMap::new();
        let mut events: Vec<TierEvent> = Vec::new();
        for f in inner.interp.translated() {
            if !interp_tier {
                translate_times.insert(f.defined, f.translate_time);
                continue;
            }
            events.push(TierEvent {
                func_index: f.func_index.as_u32(),
                name: inner.info.func_name(f.func_index).map(str::to_owned),
                tier: Tier::Interp,
                wasm_bytes: f.wasm_bytes,
                code_bytes: std::mem::size_of_val(&*f.code),
                compile_time: f.translate_time,
                queue_wait: Duration::ZERO,
                cached: false,
                at: f.translated_at.saturating_duration_since(inner.created_at),
            });
        }
        if let Some(jit) = &inner.jit {
            let event = |func: DefinedFuncIdx,
                         tier,
                         code_bytes,
                         compile_time,
                         queue_wait,
                         cached,
                         at: Instant| {
                let func_index = inner.info.func_of(func);
                TierEvent {
                    func_index: func_index.as_u32(),
                    name: inner.info.func_name(func_index).map(str::to_owned),
                    tier,
                    wasm_bytes: inner.info.body_size(func),
                    code_bytes,
                    compile_time,
                    queue_wait,
                    cached,
                    at: at.saturating_duration_since(inner.created_at),
                }
            };
            events.extend(jit.compiled().map(|(func, f)| {
                let translate = translate_times.get(&func).copied();
                event(
                    func,
                    Tier::Baseline,
                    f.code_bytes,
                    f.compile_time + translate.unwrap_or_default(),
                    Duration::ZERO,
                    false,
                    f.published_at,
                )
            }));
            events.extend(jit.optimized().map(|(func, f)| {
                event(
                    func,
                    Tier::Optimized,
                    f.code_bytes,
                    f.compile_time,
                    f.queue_wait,
                    f.cached,
                    f.published_at,
                )
            }));
        }
        events.sort_by_key(|e| e.at);
        let timeline = self.timeline();
        ModuleStats {
            name: inner.info.name.clone(),
            wasm_bytes: inner.info.wasm.len(),
            defined_functions: inner.info.num_defined_funcs() as usize,
            validate_time: inner.validate_time,
            events,
            osr_entries: inner.jit.as_ref().map_or(0, |j| {
                j.osr_count.load(std::sync::atomic::Ordering::Relaxed)
            }),
            opt_osr_entries: inner.jit.as_ref().map_or(0, |j| {
                j.opt_osr_count.load(std::sync::atomic::Ordering::Relaxed)
            }),
            opt_pending: inner.jit.as_ref().map_or(0, |j| j.optimizations_pending()),
            opt_failures: inner.jit.as_ref().map_or_else(Vec::new, |j| {
                j.optimize_failures()
                    .map(|(f, e)| (inner.info.func_of(f).as_u32(), e.to_owned()))
                    .collect()
            }),
            timeline,
        }
    }

    /// The tier timeline of [`Module::stats`]: every time measured from `created_at`.
    fn timeline(&self) -> Timeline {
        let inner = &self.inner;
        let since = |t: Instant| t.saturating_duration_since(inner.created_at);
        let index = |f: DefinedFuncIdx| inner.info.func_of(f).as_u32();
        let defined = inner.info.num_defined_funcs() as usize;
        // Per defined function: when it entered each tier, and when it turned hot.
        let mut entered: Vec<[Option<Instant>; 3]> = vec![[None; 3]; defined];
        let mut hot: Vec<Option<Instant>> = vec![None; defined];
        if inner.engine.policy().tiers.interp {
            for f in inner.interp.translated() {
                entered[f.defined.index()][0] = Some(f.translated_at);
            }
        }
        let mut timeline = Timeline::default();
        if let Some(jit) = &inner.jit {
            for (f, code) in jit.compiled() {
                entered[f.index()][1] = Some(code.published_at);
            }
            for (f, code) in jit.optimized() {
                entered[f.index()][2] = Some(code.published_at);
                hot[f.index()] = code.hot_at;
            }
            let log = jit.timeline.snapshot();
            timeline.dropped = log.dropped;
            timeline.osr = log
                .osr
                .iter()
                .map(|r| OsrEvent {
                    at: since(r.at),
                    func_index: index(r.func),
                    loop_offset: r.loop_offset,
                    from: r.from,
                    to: r.to,
                })
                .collect();
            timeline.osr.sort_by_key(|e| e.at);
            timeline.compiles = log
                .compiles
                .into_iter()
                .map(|r| CompileInterval {
                    func_index: index(r.func),
                    tier: r.tier,
                    kind: r.kind,
                    worker: r.worker,
                    thread: r.thread.map(|t| match t.name() {
                        Some(name) => name.to_owned(),
                        None => format!("{:?}", t.id()),
                    }),
                    enqueued: since(r.enqueued),
                    dequeued: r.dequeued.map(since),
                    start: r.start.map(since),
                    end: r.end.map(since),
                    outcome: r.outcome,
                })
                .collect();
            timeline
                .compiles
                .sort_by_key(|c| (c.enqueued, c.start, c.func_index));
            timeline.failures = log
                .failures
                .into_iter()
                .map(|r| FailureEvent {
                    at: since(r.at),
                    func_index: index(r.func),
                    tier: r.tier,
                    kind: r.kind,
                    reason: r.reason,
                })
                .collect();
            timeline.failures.sort_by_key(|e| e.at);
        }
        let tiers = [Tier::Interp, Tier::Baseline, Tier::Optimized];
        for (d, (entered, hot)) in entered.iter().zip(hot).enumerate() {
            let spans: Vec<(Tier, Instant)> = tiers
                .iter()
                .zip(entered)
                .filter_map(|(&tier, at)| Some((tier, (*at)?)))
                .collect();
            if spans.is_empty() {
                continue;
            }
            let func_index = index(DefinedFuncIdx(d as u32));
            let installed = entered[2];
            timeline.functions.push(FunctionTimeline {
                func_index,
                name: inner.info.func_name(FuncIdx(func_index)).map(str::to_owned),
                tiers: spans
                    .iter()
                    .enumerate()
                    .map(|(i, &(tier, at))| TierSpan {
                        tier,
                        entered: since(at),
                        left: spans.get(i + 1).map(|&(_, next)| since(next)),
                    })
                    .collect(),
                hot_at: hot.map(since),
                hot_to_installed: hot
                    .zip(installed)
                    .map(|(hot, installed)| installed.saturating_duration_since(hot)),
            });
        }
        // After every read: nothing recorded lies beyond it.
        timeline.taken_at = since(Instant::now());
        timeline
    }

    /// The index of the exported function `name`, if any.
    pub fn exported_func_index(&self, name: &str) -> Option<u32> {
        self.inner.info.exports.iter().find_map(|e| match e.index {
            ExternIdx::Func(i) if e.name == name => Some(i),
            _ => None,
        })
    }
}
