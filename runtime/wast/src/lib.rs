//! `tierup-wast`: the spec-script runner of tierup. It executes WebAssembly `.wast` scripts
//! against the runtime through `tierup-runtime`'s public embedding API only; the test suites
//! and `tierup wast` use it, an embedder never compiles it.
//!
//! A `.wast` script is a sequence of *directives* (define a module, register it under a name,
//! invoke an export, assert a result, a trap, a rejection, ...). This module parses a script
//! with the `wast` crate and runs every directive on a fresh [`Engine`], [`Store`] and
//! [`Linker`] built from the caller's [`Config`], then returns a [`WastReport`].
//!
//! # What it owns
//! - [`run_wast_source`] / [`run_wast_file`]: the entry points.
//! - A private `Runner` holding the per-script state: the engine, the store, the linker (with
//!   the `spectest` host module defined), the current instance, instances and module
//!   definitions by their `$name`, and the `ref.extern N` handles created so far.
//!
//! # Rules
//! - **Every directive counts exactly once**, as passed or failed; nothing is skipped.
//!   Directives this runtime does not support (`thread`, `wait`, `assert_exception`,
//!   `assert_suspension`, the custom-section assertions, component modules, `v128` values) are
//!   failed directives with a reason, never silently ignored.
//! - A panic inside a directive is caught (`catch_unwind`) and becomes a failed directive.
//! - `assert_invalid` / `assert_malformed` pass when the module is rejected at any stage
//!   (text parsing, encoding or [`Module::from_binary`]); the expected message text is not
//!   normative (DESIGN §9), so it is not compared.
//! - `assert_trap` / `assert_exhaustion` pass when the error is a [`Trap`] whose code's message
//!   contains the expected text, or when the expected text starts with an entry of the small
//!   alias table [`TRAP_ALIASES`] naming the trap's code. Anything else is a failure that
//!   quotes both texts.
//! - `assert_unlinkable` passes only on [`Error::Unlinkable`].
//! - `ref.extern N` values are `ExternRef`s holding the `u32` N; the same N within one script
//!   always gives the same handle, and results are compared by the `u32` they hold.
//!
//! # Hazards
//! - A panic hook still prints the panic message to stderr; only the unwinding is contained.
//! - Native stack overflow in *this* process (as opposed to a wasm `StackOverflow` trap)
//!   aborts the process; it cannot be caught.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::Id;
use wast::token::{F32, F64};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

use tierup_runtime::{
    Config, Engine, Error, ExternRef, Global, GlobalType, Instance, Linker, Memory, MemoryType,
    Module, Mutability, Store, Table, TableType, Trap, TrapCode, V128, Val, ValType,
};

/// The outcome of running one `.wast` script.
///
/// `passed + failed` is the number of directives in the script, except when the script could
/// not be read or parsed at all, which counts as one failed directive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WastReport {
    /// The script's name (a file name or path) as given to the runner.
    pub file: String,
    /// Directives that behaved as the script expects.
    pub passed: usize,
    /// Directives that did not (including unsupported directives and caught panics).
    pub failed: usize,
    /// One line per failed directive, `file:line:col: directive: reason`. When the whole
    /// script could not run (unreadable, unparsable, engine unavailable) a single line
    /// explains why, even if `failed` counts every directive.
    pub failures: Vec<String>,
    /// How many functions reached each tier (interpreter, baseline, optimized) over all the
    /// script's modules by the time it finished: what the tiering policy did with it.
    pub functions_per_tier: [usize; 3],
    /// How many of the optimized ones had their code loaded from the code cache.
    pub optimized_from_cache: usize,
}

impl WastReport {
    /// An empty report for the script `file`.
    pub fn new(file: impl Into<String>) -> WastReport {
        WastReport {
            file: file.into(),
            ..WastReport::default()
        }
    }

    /// The number of directives counted (`passed + failed`).
    pub fn total(&self) -> usize {
        self.passed + self.failed
    }

    /// Whether no directive failed.
    pub fn is_success(&self) -> bool {
        self.failed == 0
    }

    fn fail(&mut self, reason: String) {
        self.failed += 1;
        self.failures.push(reason);
    }
}

/// Reads the `.wast` file at `path` and runs it with [`run_wast_source`].
///
/// The report's `file` is `path` as displayed. A file that cannot be read counts as one
/// failed directive whose reason is the I/O error.
pub fn run_wast_file(path: impl AsRef<Path>, config: &Config) -> WastReport {
    let path = path.as_ref();
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(source) => run_wast_source(&name, &source, config),
        Err(e) => {
            let mut report = WastReport::new(name.clone());
            report.fail(format!("{name}: cannot read file: {e}"));
            report
        }
    }
}

/// Runs the `.wast` script `source` (named `name` in the report) on a fresh engine, store and
/// linker built from `config`, and reports every directive as passed or failed.
///
/// Never panics on script content: a script that does not parse counts as one failed
/// directive, and a panic inside a directive is caught and counted as that directive failing.
pub fn run_wast_source(name: &str, source: &str, config: &Config) -> WastReport {
    let mut report = WastReport::new(name);
    let mut lexer = Lexer::new(source);
    lexer.allow_confusing_unicode(true);
    let parse_error = |mut report: WastReport, e: wast::Error| {
        let (line, col) = e.span().linecol_in(source);
        report.fail(format!(
            "{name}:{}:{}: cannot parse script: {}",
            line + 1,
            col + 1,
            e.message()
        ));
        report
    };
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buf) => buf,
        Err(e) => return parse_error(report, e),
    };
    let wast = match parser::parse::<Wast<'_>>(&buf) {
        Ok(wast) => wast,
        Err(e) => return parse_error(report, e),
    };

    let runner = catch_unwind(AssertUnwindSafe(|| Runner::new(config)));
    let mut runner = match runner {
        Ok(Ok(runner)) => runner,
        Ok(Err(e)) => {
            report.failed = wast.directives.len().max(1);
            report.failures.push(format!(
                "{name}: all {} directives failed: cannot set up the engine: {}",
                report.failed,
                first_line(&e)
            ));
            return report;
        }
        Err(payload) => {
            report.failed = wast.directives.len().max(1);
            report.failures.push(format!(
                "{name}: all {} directives failed: panic while setting up the engine: {}",
                report.failed,
                panic_message(payload.as_ref())
            ));
            return report;
        }
    };

    for directive in wast.directives {
        let span = directive.span();
        let kind = directive_kind(&directive);
        let outcome =
            catch_unwind(AssertUnwindSafe(|| runner.run(directive))).unwrap_or_else(|payload| {
                Err(format!("panicked: {}", panic_message(payload.as_ref())))
            });
        match outcome {
            Ok(()) => report.passed += 1,
            Err(reason) => {
                let (line, col) = span.linecol_in(source);
                report.fail(format!("{name}:{}:{}: {kind}: {reason}", line + 1, col + 1));
            }
        }
    }
    for module in &runner.modules {
        for event in module.stats().events {
            report.functions_per_tier[event.tier as usize] += 1;
            report.optimized_from_cache += usize::from(event.cached);
        }
    }
    report
}

/// Expected-message prefixes that name a trap code whose own message differs.
///
/// The spec's texts vary between directives for one underlying trap: `call_indirect` past
/// the end of the table is "undefined element" while `table.get` past the end is "out of bounds
/// table access" (both [`TrapCode::TableOutOfBounds`]); a null entry is "uninitialized
/// element", sometimes followed by the index ("uninitialized element 2"). Matching is by prefix
/// of the expected text. Keep this list short: every entry hides a message difference.
pub const TRAP_ALIASES: &[(&str, TrapCode)] = &[
    ("undefined element", TrapCode::TableOutOfBounds),
    ("out of bounds table access", TrapCode::TableOutOfBounds),
    ("uninitialized element", TrapCode::IndirectCallToNull),
    ("call stack exhausted", TrapCode::StackOverflow),
];

/// Whether `trap` satisfies an `assert_trap`/`assert_exhaustion` expecting `expected`.
fn trap_matches(trap: &Trap, expected: &str) -> bool {
    let code = trap.code();
    code.to_string().contains(expected)
        || trap
            .to_string()
            .lines()
            .next()
            .is_some_and(|l| l.contains(expected))
        || TRAP_ALIASES
            .iter()
            .any(|(prefix, alias)| expected.starts_with(prefix) && *alias == code)
}

/// Why executing an `invoke`/`get`/module failed.
enum ExecError {
    /// The directive itself could not be carried out (unknown export, bad argument, ...).
    Setup(String),
    /// The runtime returned an error (a trap, an unlinkable import, ...).
    Runtime(Error),
}

impl ExecError {
    fn describe(&self) -> String {
        match self {
            ExecError::Setup(s) => s.clone(),
            ExecError::Runtime(e) => first_line(e),
        }
    }
}

/// The per-script state.
struct Runner {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    /// The most recently instantiated module: the target of unnamed `invoke`/`get`/`register`.
    current: Option<Instance>,
    /// Instances by their `$name`.
    instances: HashMap<String, Instance>,
    /// `module definition` modules by their `$name`.
    definitions: HashMap<String, Module>,
    /// The most recent `module definition`, for `module instance` without a module name.
    last_definition: Option<Module>,
    /// `ref.extern N` handles, so the same N is the same reference.
    externrefs: HashMap<u32, ExternRef>,
    /// Every module compiled, for the report's tier counts.
    modules: Vec<Module>,
    /// With a code cache: a second engine, set up as the first, that compiles each module
    /// first, so that the script's engine loads every function's code from the cache (the
    /// same types in the same order give the same type ids, so the same cache key).
    primer: Option<(Engine, Store<()>)>,
}

impl Runner {
    fn new(config: &Config) -> Result<Runner, Error> {
        let engine = Engine::new(config)?;
        let mut store = Store::new(&engine, ());
        // Engines that meter fuel (a spec row does) run scripts with all the fuel there is;
        // for the others this is a no-op error.
        let _ = store.set_fuel(u64::MAX);
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        define_spectest(&mut linker, &mut store)?;
        let primer = match config.code_cache_dir() {
            Some(_) => {
                let engine = Engine::new(config)?;
                let mut store = Store::new(&engine, ());
                let mut linker = Linker::new(&engine);
                linker.allow_shadowing(true);
                define_spectest(&mut linker, &mut store)?;
                Some((engine, store))
            }
            None => None,
        };
        Ok(Runner {
            engine,
            store,
            linker,
            current: None,
            instances: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            externrefs: HashMap::new(),
            modules: Vec::new(),
            primer,
        })
    }

    /// Runs one directive: `Ok` if it behaved as the script expects, else the reason.
    fn run(&mut self, directive: WastDirective<'_>) -> Result<(), String> {
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name();
                let module = self.compile(&mut module)?;
                let instance = self
                    .instantiate(&module)
                    .map_err(|e| format!("instantiation failed: {}", first_line(&e)))?;
                self.set_current(name, instance);
                Ok(())
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name();
                let module = self.compile(&mut module)?;
                if let Some(name) = name {
                    self.definitions
                        .insert(name.name().to_string(), module.clone());
                }
                self.last_definition = Some(module);
                Ok(())
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let module = match module {
                    Some(id) => self
                        .definitions
                        .get(id.name())
                        .cloned()
                        .ok_or_else(|| format!("unknown module definition `${}`", id.name()))?,
                    None => self
                        .last_definition
                        .clone()
                        .ok_or("no module definition to instantiate")?,
                };
                let created = self
                    .instantiate(&module)
                    .map_err(|e| format!("instantiation failed: {}", first_line(&e)))?;
                self.set_current(instance, created);
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let instance = self.instance(module)?;
                self.linker
                    .instance(&mut self.store, name, instance)
                    .map_err(|e| format!("cannot register as `{name}`: {}", first_line(&e)))?;
                Ok(())
            }
            WastDirective::Invoke(invoke) => self
                .invoke(&invoke)
                .map(drop)
                .map_err(|e| format!("invoke `{}` failed: {}", invoke.name, e.describe())),
            WastDirective::AssertReturn { exec, results, .. } => {
                let actual = self.execute(exec).map_err(|e| e.describe())?;
                self.check_results(&results, &actual)
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec) {
                Ok(values) => Err(format!(
                    "expected trap \"{message}\", got {}",
                    describe_values(&self.store, &values)
                )),
                Err(ExecError::Runtime(e)) => check_trap(&e, message),
                Err(e @ ExecError::Setup(_)) => Err(e.describe()),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Ok(values) => Err(format!(
                    "expected exhaustion \"{message}\", got {}",
                    describe_values(&self.store, &values)
                )),
                Err(ExecError::Runtime(e)) => check_trap(&e, message),
                Err(e @ ExecError::Setup(_)) => Err(e.describe()),
            },
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => match self.compile(&mut module) {
                Ok(_) => Err(format!(
                    "module was accepted, expected it to be rejected as invalid (\"{message}\")"
                )),
                Err(_) => Ok(()),
            },
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => match self.compile(&mut module) {
                Ok(_) => Err(format!(
                    "module was accepted, expected it to be rejected as malformed (\"{message}\")"
                )),
                Err(_) => Ok(()),
            },
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => {
                let mut module = QuoteWat::Wat(module);
                let module = self.compile(&mut module)?;
                match self.instantiate(&module) {
                    Ok(_) => Err(format!(
                        "module was linked, expected it to be unlinkable (\"{message}\")"
                    )),
                    Err(Error::Unlinkable(_)) => Ok(()),
                    Err(e) => Err(format!(
                        "expected an unlinkable error (\"{message}\"), got: {}",
                        first_line(&e)
                    )),
                }
            }
            WastDirective::AssertInvalidCustom { .. } => {
                Err("unsupported directive (custom-section annotations)".into())
            }
            WastDirective::AssertMalformedCustom { .. } => {
                Err("unsupported directive (custom-section annotations)".into())
            }
            WastDirective::AssertException { .. } => {
                Err("unsupported directive (exception handling)".into())
            }
            WastDirective::AssertSuspension { .. } => {
                Err("unsupported directive (stack switching)".into())
            }
            WastDirective::Thread(_) => Err("unsupported directive (threads)".into()),
            WastDirective::Wait { .. } => Err("unsupported directive (threads)".into()),
        }
    }

    /// Encodes a module (text, binary or quoted text) and compiles it.
    fn compile(&mut self, module: &mut QuoteWat<'_>) -> Result<Module, String> {
        if matches!(
            module,
            QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_))
        ) {
            return Err("components are not supported".into());
        }
        let bytes = module
            .encode()
            .map_err(|e| format!("cannot encode module: {}", e.message()))?;
        if let Some((primer, _)) = &self.primer {
            // What it rejects, the script's engine rejects below.
            let _ = Module::from_binary(primer, &bytes);
        }
        let module = Module::from_binary(&self.engine, &bytes)
            .map_err(|e| format!("module rejected: {}", first_line(&e)))?;
        self.modules.push(module.clone());
        Ok(module)
    }

    fn instantiate(&mut self, module: &Module) -> Result<Instance, Error> {
        self.linker.instantiate(&mut self.store, module)
    }

    fn set_current(&mut self, name: Option<Id<'_>>, instance: Instance) {
        if let Some(name) = name {
            self.instances.insert(name.name().to_string(), instance);
        }
        self.current = Some(instance);
    }

    /// The instance named `id`, or the current one.
    fn instance(&self, id: Option<Id<'_>>) -> Result<Instance, String> {
        match id {
            Some(id) => self
                .instances
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("unknown module `${}`", id.name())),
            None => self
                .current
                .ok_or_else(|| "no module has been instantiated".to_string()),
        }
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>, ExecError> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(module) => {
                let mut module = QuoteWat::Wat(module);
                let module = self.compile(&mut module).map_err(ExecError::Setup)?;
                self.instantiate(&module).map_err(ExecError::Runtime)?;
                Ok(Vec::new())
            }
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module).map_err(ExecError::Setup)?;
                let global = instance
                    .get_global(&mut self.store, global)
                    .ok_or_else(|| ExecError::Setup(format!("no exported global `{global}`")))?;
                Ok(vec![global.get(&mut self.store)])
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>, ExecError> {
        let instance = self.instance(invoke.module).map_err(ExecError::Setup)?;
        let func = instance
            .get_func(&mut self.store, invoke.name)
            .ok_or_else(|| ExecError::Setup(format!("no exported function `{}`", invoke.name)))?;
        let args = invoke
            .args
            .iter()
            .map(|arg| self.arg(arg))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ExecError::Setup)?;
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty.results().iter().map(|ty| Val::default_of(*ty)).collect();
        func.call(&mut self.store, &args, &mut results)
            .map_err(ExecError::Runtime)?;
        Ok(results)
    }

    /// The `ref.extern N` handle for `n`, created on first use.
    fn externref(&mut self, n: u32) -> ExternRef {
        if let Some(r) = self.externrefs.get(&n) {
            return *r;
        }
        let r = ExternRef::new(&mut self.store, n);
        self.externrefs.insert(n, r);
        r
    }

    fn arg(&mut self, arg: &WastArg<'_>) -> Result<Val, String> {
        let WastArg::Core(arg) = arg else {
            return Err("component-model arguments are not supported".into());
        };
        Ok(match arg {
            WastArgCore::I32(v) => Val::I32(*v),
            WastArgCore::I64(v) => Val::I64(*v),
            WastArgCore::F32(v) => Val::F32(v.bits),
            WastArgCore::F64(v) => Val::F64(v.bits),
            WastArgCore::V128(v) => Val::V128(V128::from_le_bytes(v.to_le_bytes())),
            WastArgCore::RefNull(ty) => match ref_type(ty) {
                Some(ValType::FuncRef) => Val::FuncRef(None),
                Some(ValType::ExternRef) => Val::ExternRef(None),
                _ => return Err(format!("unsupported heap type {ty:?} in ref.null argument")),
            },
            WastArgCore::RefExtern(n) => Val::ExternRef(Some(self.externref(*n))),
            WastArgCore::RefHost(_) => return Err("ref.host arguments are not supported".into()),
        })
    }

    fn check_results(&self, expected: &[WastRet<'_>], actual: &[Val]) -> Result<(), String> {
        if expected.len() != actual.len() {
            return Err(format!(
                "expected {} results, got {}: {}",
                expected.len(),
                actual.len(),
                describe_values(&self.store, actual)
            ));
        }
        let mut errors = String::new();
        for (i, (expected, actual)) in expected.iter().zip(actual).enumerate() {
            let WastRet::Core(expected) = expected else {
                return Err("component-model results are not supported".into());
            };
            if !self.result_matches(expected, actual)? {
                if !errors.is_empty() {
                    errors.push_str("; ");
                }
                let _ = write!(
                    errors,
                    "result {i}: expected {}, got {}",
                    describe_expected(expected),
                    describe_value(&self.store, actual)
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Whether `actual` matches `expected`; `Err` for patterns this runner does not support.
    fn result_matches(&self, expected: &WastRetCore<'_>, actual: &Val) -> Result<bool, String> {
        Ok(match (expected, actual) {
            (WastRetCore::I32(e), Val::I32(a)) => e == a,
            (WastRetCore::I64(e), Val::I64(a)) => e == a,
            (WastRetCore::F32(pattern), Val::F32(bits)) => f32_matches(pattern, *bits),
            (WastRetCore::F64(pattern), Val::F64(bits)) => f64_matches(pattern, *bits),
            (WastRetCore::V128(pattern), Val::V128(v)) => v128_matches(pattern, *v),
            (WastRetCore::RefNull(None), Val::FuncRef(r)) => r.is_none(),
            (WastRetCore::RefNull(None), Val::ExternRef(r)) => r.is_none(),
            (WastRetCore::RefNull(Some(ty)), actual) => match ref_type(ty) {
                Some(ValType::FuncRef) => matches!(actual, Val::FuncRef(None)),
                Some(ValType::ExternRef) => matches!(actual, Val::ExternRef(None)),
                _ => return Err(format!("unsupported heap type {ty:?} in ref.null result")),
            },
            (WastRetCore::RefExtern(expected), Val::ExternRef(Some(r))) => match expected {
                None => true,
                Some(n) => r.data(&self.store).downcast_ref::<u32>() == Some(n),
            },
            // An index cannot be compared with a `Func` handle; any non-null funcref matches.
            (WastRetCore::RefFunc(_), Val::FuncRef(r)) => r.is_some(),
            (WastRetCore::Either(cases), actual) => {
                let mut any = false;
                for case in cases {
                    any |= self.result_matches(case, actual)?;
                }
                any
            }
            (
                WastRetCore::RefHost(_)
                | WastRetCore::RefAny
                | WastRetCore::RefEq
                | WastRetCore::RefArray
                | WastRetCore::RefStruct
                | WastRetCore::RefI31
                | WastRetCore::RefI31Shared,
                _,
            ) => {
                return Err(format!(
                    "unsupported result pattern {}",
                    describe_expected(expected)
                ));
            }
            _ => false,
        })
    }
}

/// Whether f32 `bits` match `pattern` (NaN patterns by class, values bit for bit).
fn f32_matches(pattern: &NanPattern<F32>, bits: u32) -> bool {
    match pattern {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(e) => e.bits == bits,
    }
}

/// Whether f64 `bits` match `pattern`.
fn f64_matches(pattern: &NanPattern<F64>, bits: u64) -> bool {
    match pattern {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(e) => e.bits == bits,
    }
}

/// Whether `v` matches a `v128` pattern, lane by lane (float lanes may be NaN patterns).
fn v128_matches(pattern: &V128Pattern, v: V128) -> bool {
    let bytes = v.to_le_bytes();
    let lane = |i: usize, n: usize| -> u64 {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&bytes[i * n..(i + 1) * n]);
        u64::from_le_bytes(b)
    };
    match pattern {
        V128Pattern::I8x16(e) => e
            .iter()
            .enumerate()
            .all(|(i, &e)| lane(i, 1) == u64::from(e as u8)),
        V128Pattern::I16x8(e) => e
            .iter()
            .enumerate()
            .all(|(i, &e)| lane(i, 2) == u64::from(e as u16)),
        V128Pattern::I32x4(e) => e
            .iter()
            .enumerate()
            .all(|(i, &e)| lane(i, 4) == u64::from(e as u32)),
        V128Pattern::I64x2(e) => e.iter().enumerate().all(|(i, &e)| lane(i, 8) == e as u64),
        V128Pattern::F32x4(e) => e
            .iter()
            .enumerate()
            .all(|(i, p)| f32_matches(p, lane(i, 4) as u32)),
        V128Pattern::F64x2(e) => e
            .iter()
            .enumerate()
            .all(|(i, p)| f64_matches(p, lane(i, 8))),
    }
}

/// Defines the spec test suite's `spectest` host module in `linker`.
fn define_spectest(linker: &mut Linker<()>, store: &mut Store<()>) -> Result<(), Error> {
    linker.func_wrap("spectest", "print", || {})?;
    linker.func_wrap("spectest", "print_i32", |_: i32| {})?;
    linker.func_wrap("spectest", "print_i64", |_: i64| {})?;
    linker.func_wrap("spectest", "print_f32", |_: f32| {})?;
    linker.func_wrap("spectest", "print_f64", |_: f64| {})?;
    linker.func_wrap("spectest", "print_i32_f32", |_: i32, _: f32| {})?;
    linker.func_wrap("spectest", "print_f64_f64", |_: f64, _: f64| {})?;

    let globals = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::F32(666.6f32.to_bits())),
        ("global_f64", ValType::F64, Val::F64(666.6f64.to_bits())),
    ];
    for (name, ty, value) in globals {
        let global = Global::new(&mut *store, GlobalType::new(ty, Mutability::Const), value)?;
        linker.define(&*store, "spectest", name, global)?;
    }

    let table = Table::new(
        &mut *store,
        TableType::new(ValType::FuncRef, 10, Some(20)),
        Val::FuncRef(None),
    )?;
    linker.define(&*store, "spectest", "table", table)?;
    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define(&*store, "spectest", "memory", memory)?;
    Ok(())
}

/// Checks the error of an `assert_trap`/`assert_exhaustion` against the expected message.
fn check_trap(error: &Error, expected: &str) -> Result<(), String> {
    match error.as_trap() {
        Some(trap) if trap_matches(trap, expected) => Ok(()),
        Some(trap) => Err(format!(
            "expected trap \"{expected}\", got trap \"{}\"",
            trap.code()
        )),
        None => Err(format!(
            "expected trap \"{expected}\", got error: {}",
            first_line(error)
        )),
    }
}

/// The 2.0 reference type a `ref.null` heap type denotes, if it is one.
fn ref_type(ty: &HeapType<'_>) -> Option<ValType> {
    match ty {
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Func,
        } => Some(ValType::FuncRef),
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Extern,
        } => Some(ValType::ExternRef),
        _ => None,
    }
}

fn describe_values(store: &Store<()>, values: &[Val]) -> String {
    if values.is_empty() {
        return "no results".into();
    }
    let parts: Vec<String> = values.iter().map(|v| describe_value(store, v)).collect();
    format!("[{}]", parts.join(", "))
}

fn describe_value(store: &Store<()>, value: &Val) -> String {
    match value {
        Val::I32(v) => format!("i32:{v}"),
        Val::I64(v) => format!("i64:{v}"),
        Val::F32(bits) => format!("f32:{} (0x{bits:08x})", f32::from_bits(*bits)),
        Val::F64(bits) => format!("f64:{} (0x{bits:016x})", f64::from_bits(*bits)),
        Val::V128(v) => format!("v128:0x{:032x}", v.as_u128()),
        Val::FuncRef(None) => "ref.null func".into(),
        Val::FuncRef(Some(_)) => "ref.func".into(),
        Val::ExternRef(None) => "ref.null extern".into(),
        Val::ExternRef(Some(r)) => match r.data(store).downcast_ref::<u32>() {
            Some(n) => format!("ref.extern {n}"),
            None => "ref.extern <host value>".into(),
        },
    }
}

fn describe_expected(expected: &WastRetCore<'_>) -> String {
    fn nan<T>(pattern: &NanPattern<T>, value: impl Fn(&T) -> String) -> String {
        match pattern {
            NanPattern::CanonicalNan => "nan:canonical".into(),
            NanPattern::ArithmeticNan => "nan:arithmetic".into(),
            NanPattern::Value(v) => value(v),
        }
    }
    match expected {
        WastRetCore::I32(v) => format!("i32:{v}"),
        WastRetCore::I64(v) => format!("i64:{v}"),
        WastRetCore::F32(p) => format!(
            "f32:{}",
            nan(p, |v| format!(
                "{} (0x{:08x})",
                f32::from_bits(v.bits),
                v.bits
            ))
        ),
        WastRetCore::F64(p) => format!(
            "f64:{}",
            nan(p, |v| format!(
                "{} (0x{:016x})",
                f64::from_bits(v.bits),
                v.bits
            ))
        ),
        WastRetCore::V128(pattern) => format!("v128:{pattern:?}"),
        WastRetCore::RefNull(None) => "ref.null".into(),
        WastRetCore::RefNull(Some(ty)) => match ref_type(ty) {
            Some(ValType::FuncRef) => "ref.null func".into(),
            Some(ValType::ExternRef) => "ref.null extern".into(),
            _ => format!("ref.null {ty:?}"),
        },
        WastRetCore::RefExtern(None) => "ref.extern".into(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefHost(n) => format!("ref.host {n}"),
        WastRetCore::RefFunc(_) => "ref.func".into(),
        WastRetCore::RefAny => "ref.any".into(),
        WastRetCore::RefEq => "ref.eq".into(),
        WastRetCore::RefArray => "ref.array".into(),
        WastRetCore::RefStruct => "ref.struct".into(),
        WastRetCore::RefI31 => "ref.i31".into(),
        WastRetCore::RefI31Shared => "ref.i31_shared".into(),
        WastRetCore::Either(cases) => {
            let cases: Vec<String> = cases.iter().map(describe_expected).collect();
            format!("either({})", cases.join(" | "))
        }
    }
}

/// The directive's keyword, for failure messages.
fn directive_kind(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
    }
}

/// The first line of an error's display (trap displays carry a multi-line backtrace).
fn first_line(error: &impl std::fmt::Display) -> String {
    let text = error.to_string();
    text.lines().next().unwrap_or_default().to_string()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".into()
    }
}
