//! What the runtime did, per function: which tier each function reached, when, and what its
//! translation or compilation cost. Tiering is the product, so it must be observable
//! (DESIGN.md §4 "Events"); `tierup run --stats` and `--stats-json` print these.
//!
//! Events: the interpreter's lazy translation of a function on its first call, the baseline
//! JIT's compile, and the optimizer's compile (with the time the function waited in the
//! queue: `queue wait + compile time` is how long the function took from turning hot to its
//! optimized code being installed).

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
        if self.osr_entries > 0 {
            let _ = writeln!(
                out,
                "  on-stack replacements (interpreter -> baseline at a loop header): {}",
                self.osr_entries
            );
        }
        out
    }

    /// The statistics as a JSON object: `{"module": {...}, "events": [...]}` (times in
    /// microseconds).
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"module\":{");
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
                "{{\"func\":{},\"name\":{},\"tier\":\"{}\",\"wasm_bytes\":{},\"code_bytes\":{},\"compile_us\":{:.1},\"queue_wait_us\":{:.1},\"at_us\":{:.1}}}",
                e.func_index,
                json_string(e.name.as_deref()),
                e.tier.as_str(),
                e.wasm_bytes,
                e.code_bytes,
                us(e.compile_time),
                us(e.queue_wait),
                us(e.at)
            );
        }
        out.push_str("]}");
        out
    }
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
