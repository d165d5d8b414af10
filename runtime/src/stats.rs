//! What the runtime did, per function: which tier each function reached, when, and what its
//! translation or compilation cost. Tiering is the product, so it must be observable
//! (DESIGN.md §4 "Events"); `tierup run --stats` and `--stats-json` print these.
//!
//! Events: the interpreter's lazy translation of a function on its first call, the baseline
//! JIT's compile, and the optimizer's compile (with the time the function waited in the
//! queue: `queue wait + compile time` is how long the function took from turning hot to its
//! optimized code being installed).
//!
//! The [`Timeline`] ([`ModuleStats::timeline`]) holds what a tier-timeline plot needs: per
//! function, the interval it spent in each tier ([`FunctionTimeline`]); every on-stack
//! replacement ([`OsrEvent`]); every compile, with its queue and compile intervals and the
//! thread that ran it ([`CompileInterval`]); every failure ([`FailureEvent`]). All times are
//! measured on the monotonic clock from one origin, the module's creation (the end of
//! [`crate::Module::new`]'s validation: [`ModuleStats::validate_time`] lies before it).
//! Recording happens only at tier transitions (a few times per function), never in the
//! interpreter's or the JIT code's loops.
//!
//! [`ModuleStats::to_json`] writes all of it; `docs/stats-schema.md` documents every field of
//! that JSON ([`SCHEMA_VERSION`]).

use std::fmt::Write as _;
use std::time::Duration;

/// An execution tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// The register interpreter.
    Interp,
    /// The single-pass baseline JIT.
    Baseline,
    /// The optimizing (Cranelift) tier.
    Optimized,
}

impl Tier {
    /// The name used by the CLI and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Interp => "interp",
            Tier::Baseline => "baseline",
            Tier::Optimized => "opt",
        }
    }
}

/// The version of the JSON that [`ModuleStats::to_json`] writes (its `"schema_version"`), as
/// documented in `docs/stats-schema.md`. Version 1 (no `"schema_version"` field) had only
/// `module` and `events`; version 2 added `timeline`; version 3 added `events[].cached`. A new version only adds fields, unless
/// the schema document says otherwise.
pub const SCHEMA_VERSION: u32 = 3;

/// One function reaching one tier.
#[derive(Debug, Clone)]
pub struct TierEvent {
    /// The function's index.
    pub func_index: u32,
    /// Its name from the name section.
    pub name: Option<String>,
    /// The tier it reached.
    pub tier: Tier,
    /// Size of its wasm body in bytes.
    pub wasm_bytes: usize,
    /// Size of the code produced for this tier in bytes (bytecode or machine code).
    pub code_bytes: usize,
    /// How long translation or compilation took.
    pub compile_time: Duration,
    /// How long the function waited for a background compiler (zero for compiles on the
    /// calling thread).
    pub queue_wait: Duration,
    /// Whether the code came from the code cache ([`crate::Config::code_cache`]):
    /// `compile_time` is then the time it took to load it.
    pub cached: bool,
    /// When it happened, measured from the module's creation.
    pub at: Duration,
}

/// A module's statistics (see [`crate::Module::stats`]).
#[derive(Debug, Clone)]
pub struct ModuleStats {
    /// The module's name, if it has one.
    pub name: Option<String>,
    /// Size of the binary.
    pub wasm_bytes: usize,
    /// Functions the module defines.
    pub defined_functions: usize,
    /// How long decoding and validation took.
    pub validate_time: Duration,
    /// Every tier event so far, in order of time.
    pub events: Vec<TierEvent>,
    /// How many interpreted activations moved into baseline code at a loop header
    /// (on-stack replacement).
    pub osr_entries: u64,
    /// How many interpreted or baseline activations moved into optimized code at a loop
    /// header (on-stack replacement).
    pub opt_osr_entries: u64,
    /// Functions queued for, or being compiled by, the optimizer right now.
    pub opt_pending: usize,
    /// Functions the optimizer could not compile (they kept running in their tier), with
    /// the reason.
    pub opt_failures: Vec<(u32, String)>,
    /// Tier intervals, on-stack replacements, compiles and failures over time (see
    /// [`Timeline`]).
    pub timeline: Timeline,
}

/// What happened to a module's functions over time, for tier-timeline plots (see the module
/// docs). Every time is a [`Duration`] since the module's creation.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Every function that was ever run (entered a tier), by function index.
    pub functions: Vec<FunctionTimeline>,
    /// Every on-stack replacement, in order of time.
    pub osr: Vec<OsrEvent>,
    /// Every compile (baseline and optimizer, on the calling thread, on a background worker,
    /// or eagerly at module creation), in the order they were requested.
    pub compiles: Vec<CompileInterval>,
    /// Every failed compile, in order of time.
    pub failures: Vec<FailureEvent>,
    /// When these statistics were taken: where the intervals still open
    /// ([`TierSpan::left`] `None`, compiles still pending) end for now.
    pub taken_at: Duration,
    /// Records left out because the module's log was full (it keeps at most a fixed number
    /// of OSR events and of compiles per module, far more than any ordinary run makes).
    pub dropped: u64,
}

/// One function's tiers over time.
#[derive(Debug, Clone)]
pub struct FunctionTimeline {
    /// The function's index (in the module's function index space).
    pub func_index: u32,
    /// Its name from the name section.
    pub name: Option<String>,
    /// The tiers it entered, in order (each tier at most once, in the order interpreter,
    /// baseline, optimized, skipping the tiers it never ran in).
    pub tiers: Vec<TierSpan>,
    /// When it turned hot for the optimizer: its background compile was queued. `None` when it
    /// never was (or was compiled eagerly).
    pub hot_at: Option<Duration>,
    /// How long it took from turning hot ([`FunctionTimeline::hot_at`]) to its optimized code
    /// being installed; `None` unless both happened.
    pub hot_to_installed: Option<Duration>,
}

/// The interval a function spent in one tier: from the moment its code for that tier was
/// installed (for the interpreter: its bytecode translated, on its first call) until the next
/// tier's code was installed. Activations already running may stay in a tier a little longer
/// (until they return or move by OSR): the interval is that of the function's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierSpan {
    /// The tier.
    pub tier: Tier,
    /// When the function entered it.
    pub entered: Duration,
    /// When it left it (the next tier was installed), `None` while it is still there.
    pub left: Option<Duration>,
}

/// A running activation moving into a higher tier at a loop header (on-stack replacement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsrEvent {
    /// When it happened.
    pub at: Duration,
    /// The function's index.
    pub func_index: u32,
    /// Byte offset, in the module binary, of the `loop` operator whose header it entered at.
    pub loop_offset: u32,
    /// The tier the activation left.
    pub from: Tier,
    /// The tier it continues in.
    pub to: Tier,
}

/// How a compile came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompileKind {
    /// On the thread running the program, which waited for it (the baseline JIT, when a
    /// function turned warm). No queue: enqueue, dequeue and start coincide.
    Sync,
    /// A function's optimized entry, on a background worker.
    Background,
    /// On-stack-replacement entries into a function's optimized code (one compile covering
    /// its loops), on a background worker.
    Osr,
    /// At module creation, for a forced tier (`--tier baseline|opt`, or `--tiers
    /// baseline,opt`): every function, queued together when the batch started; the batch is
    /// installed at once when every function compiled.
    Eager,
    /// A function's optimized entry loaded from the code cache by a worker right after the
    /// module was created (the warm start, `Config::code_cache_warm_start`), before the
    /// function got hot; queued together when the module was created.
    WarmStart,
}

impl CompileKind {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CompileKind::Sync => "sync",
            CompileKind::Background => "background",
            CompileKind::Osr => "osr",
            CompileKind::Eager => "eager",
            CompileKind::WarmStart => "warm-start",
        }
    }
}

/// How a compile ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileOutcome {
    /// Still queued or being compiled.
    Pending,
    /// Its code was installed (for [`CompileKind::Osr`]: its loop entries were published).
    Installed,
    /// The compiler (or publication) failed, with the reason; the function stays in its tier.
    Failed(String),
    /// Dropped without compiling, with the reason (e.g. the function was already taken by
    /// another job).
    Skipped(String),
}

impl CompileOutcome {
    /// The name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            CompileOutcome::Pending => "pending",
            CompileOutcome::Installed => "installed",
            CompileOutcome::Failed(_) => "failed",
            CompileOutcome::Skipped(_) => "skipped",
        }
    }

    /// The reason of a failed or skipped compile.
    pub fn reason(&self) -> Option<&str> {
        match self {
            CompileOutcome::Failed(r) | CompileOutcome::Skipped(r) => Some(r),
            _ => None,
        }
    }
}

/// One compile: its queue interval (`enqueued` → `dequeued`), its compile interval (`start`
/// → `end`), the thread that ran it and its outcome. `enqueued ≤ dequeued ≤ start ≤ end`
/// for those that are known.
#[derive(Debug, Clone)]
pub struct CompileInterval {
    /// The function's index.
    pub func_index: u32,
    /// The tier compiled for ([`Tier::Baseline`] or [`Tier::Optimized`]).
    pub tier: Tier,
    /// How it came about.
    pub kind: CompileKind,
    /// The background worker's index (`tierup-opt-N`), for background and OSR compiles.
    pub worker: Option<u32>,
    /// The name of the thread that compiled it (`tierup-opt-N` for worker N, `tierup-eager-N`
    /// for the threads of a parallel eager compile, else the thread's own name or its
    /// `ThreadId`); `None` while it is still queued.
    pub thread: Option<String>,
    /// When it was requested.
    pub enqueued: Duration,
    /// When a thread took it from the queue; `None` while queued.
    pub dequeued: Option<Duration>,
    /// When the compiler started on it; `None` until then (or when it was skipped).
    pub start: Option<Duration>,
    /// When the compiler finished with it: its code published (and, but for eager compiles,
    /// installed) or the failure known; `None` until then.
    pub end: Option<Duration>,
    /// How it ended.
    pub outcome: CompileOutcome,
}

/// A compile that failed (the function kept running in its tier).
#[derive(Debug, Clone)]
pub struct FailureEvent {
    /// When it failed.
    pub at: Duration,
    /// The function's index.
    pub func_index: u32,
    /// The tier that could not compile it.
    pub tier: Tier,
    /// How the compile came about.
    pub kind: CompileKind,
    /// Why.
    pub reason: String,
}

impl ModuleStats {
    /// A human-readable summary: one line per tier with function counts, bytes and time.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "module {}: {} bytes, {} functions, validated in {}",
            self.name.as_deref().unwrap_or("<unnamed>"),
            self.wasm_bytes,
            self.defined_functions,
            ms(self.validate_time)
        );
        let _ = writeln!(
            out,
            "  {:<9} {:>10} {:>12} {:>12} {:>14} {:>14}",
            "tier", "functions", "wasm bytes", "code bytes", "compile time", "queue wait"
        );
        for tier in [Tier::Interp, Tier::Baseline, Tier::Optimized] {
            let events: Vec<_> = self.events.iter().filter(|e| e.tier == tier).collect();
            if events.is_empty() {
                continue;
            }
            let wasm: usize = events.iter().map(|e| e.wasm_bytes).sum();
            let code: usize = events.iter().map(|e| e.code_bytes).sum();
            let time: Duration = events.iter().map(|e| e.compile_time).sum();
            let wait: Duration = events.iter().map(|e| e.queue_wait).sum();
            let _ = writeln!(
                out,
                "  {:<9} {:>10} {:>12} {:>12} {:>14} {:>14}",
                tier.as_str(),
                format!("{}/{}", events.len(), self.defined_functions),
                wasm,
                code,
                ms(time),
                if tier == Tier::Optimized {
                    ms(wait)
                } else {
                    "-".into()
                }
            );
        }
        let hot_to_installed: Vec<Duration> = self
            .events
            .iter()
            .filter(|e| e.tier == Tier::Optimized && !e.queue_wait.is_zero())
            .map(|e| e.queue_wait + e.compile_time)
            .collect();
        if let Some(max) = hot_to_installed.iter().max() {
            let mean = hot_to_installed.iter().sum::<Duration>() / hot_to_installed.len() as u32;
            let _ = writeln!(
                out,
                "  hot -> optimized code installed: mean {}, max {} ({} functions)",
                ms(mean),
                ms(*max),
                hot_to_installed.len()
            );
        }
        if self.opt_osr_entries > 0 {
            let _ = writeln!(
                out,
                "  on-stack replacements (into optimized code at a loop header): {}",
                self.opt_osr_entries
            );
        }
        if self.opt_pending > 0 {
            let _ = writeln!(
                out,
                "  still queued for the optimizer at exit: {}",
                self.opt_pending
            );
        }
        for (func, error) in &self.opt_failures {
            let _ = writeln!(out, "  optimizer failed on function {func}: {error}");
        }
        let baseline_failures: Vec<&FailureEvent> = self
            .timeline
            .failures
            .iter()
            .filter(|f| f.tier == Tier::Baseline)
            .collect();
        if let Some(first) = baseline_failures.first() {
            let _ = writeln!(
                out,
                "  baseline JIT failed on {} function(s) (they stay interpreted); first, function {}: {}",
                baseline_failures.len(),
                first.func_index,
                first.reason
            );
        }
        if self.osr_entries > 0 {
            let _ = writeln!(
                out,
                "  on-stack replacements (interpreter -> baseline at a loop header): {}",
                self.osr_entries
            );
        }
        out
    }

    /// The statistics as a JSON object: `{"schema_version": 2, "module": {...}, "events":
    /// [...], "timeline": {...}}` (times in microseconds since the module's creation). Every
    /// field is documented in `docs/stats-schema.md`.
    pub fn to_json(&self) -> String {
        let mut out = format!("{{\"schema_version\":{SCHEMA_VERSION},\"module\":{{");
        let _ = write!(
            out,
            "\"name\":{},\"wasm_bytes\":{},\"defined_functions\":{},\"validate_us\":{:.1},\"osr_entries\":{},\"opt_osr_entries\":{},\"opt_pending\":{},\"opt_failures\":{}}},\"events\":[",
            json_string(self.name.as_deref()),
            self.wasm_bytes,
            self.defined_functions,
            us(self.validate_time),
            self.osr_entries,
            self.opt_osr_entries,
            self.opt_pending,
            self.opt_failures.len()
        );
        for (i, e) in self.events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"func\":{},\"name\":{},\"tier\":\"{}\",\"wasm_bytes\":{},\"code_bytes\":{},\"compile_us\":{:.1},\"queue_wait_us\":{:.1},\"cached\":{},\"at_us\":{:.1}}}",
                e.func_index,
                json_string(e.name.as_deref()),
                e.tier.as_str(),
                e.wasm_bytes,
                e.code_bytes,
                us(e.compile_time),
                us(e.queue_wait),
                e.cached,
                us(e.at)
            );
        }
        out.push_str("],\"timeline\":");
        self.timeline.write_json(&mut out);
        out.push('}');
        out
    }
}

impl Timeline {
    /// Appends the timeline as a JSON object (see `docs/stats-schema.md`).
    fn write_json(&self, out: &mut String) {
        out.push_str("{\"origin\":\"module_created\",\"functions\":[");
        for (i, f) in self.functions.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"func\":{},\"name\":{},\"tiers\":[",
                f.func_index,
                json_string(f.name.as_deref())
            );
            for (j, span) in f.tiers.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                let _ = write!(
                    out,
                    "{{\"tier\":\"{}\",\"entered_us\":{:.1},\"left_us\":{}}}",
                    span.tier.as_str(),
                    us(span.entered),
                    json_us(span.left)
                );
            }
            let _ = write!(
                out,
                "],\"hot_us\":{},\"hot_to_installed_us\":{}}}",
                json_us(f.hot_at),
                json_us(f.hot_to_installed)
            );
        }
        out.push_str("],\"osr\":[");
        for (i, e) in self.osr.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"at_us\":{:.1},\"func\":{},\"loop_offset\":{},\"from\":\"{}\",\"to\":\"{}\"}}",
                us(e.at),
                e.func_index,
                e.loop_offset,
                e.from.as_str(),
                e.to.as_str()
            );
        }
        out.push_str("],\"compiles\":[");
        for (i, c) in self.compiles.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"func\":{},\"tier\":\"{}\",\"kind\":\"{}\",\"worker\":{},\"thread\":{},\"enqueued_us\":{:.1},\"dequeued_us\":{},\"start_us\":{},\"end_us\":{},\"outcome\":\"{}\",\"reason\":{}}}",
                c.func_index,
                c.tier.as_str(),
                c.kind.as_str(),
                c.worker
                    .map_or_else(|| "null".to_string(), |w| w.to_string()),
                json_string(c.thread.as_deref()),
                us(c.enqueued),
                json_us(c.dequeued),
                json_us(c.start),
                json_us(c.end),
                c.outcome.as_str(),
                json_string(c.outcome.reason())
            );
        }
        out.push_str("],\"failures\":[");
        for (i, f) in self.failures.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"at_us\":{:.1},\"func\":{},\"tier\":\"{}\",\"kind\":\"{}\",\"reason\":{}}}",
                us(f.at),
                f.func_index,
                f.tier.as_str(),
                f.kind.as_str(),
                json_string(Some(&f.reason))
            );
        }
        let _ = write!(
            out,
            "],\"dropped\":{},\"taken_us\":{:.1}}}",
            self.dropped,
            us(self.taken_at)
        );
    }
}

/// Microseconds as a JSON number, or `null`.
fn json_us(d: Option<Duration>) -> String {
    d.map_or_else(|| "null".into(), |d| format!("{:.1}", us(d)))
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A JSON string literal (or `null`).
pub(crate) fn json_string(s: Option<&str>) -> String {
    let Some(s) = s else {
        return "null".into();
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_names() {
        assert_eq!(
            json_string(Some("a\"b\\c\n\u{1}")),
            "\"a\\\"b\\\\c\\n\\u0001\""
        );
        assert_eq!(json_string(None), "null");
    }
}
