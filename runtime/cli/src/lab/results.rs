//! The lab's results: one [`Record`] per (module, strategy) with its status, the median, min
//! and max of every measure over its measured runs, its ratio to the baseline strategy and
//! every run; the geometric means; and the writers of `results.json`, `results.csv`,
//! `results.md` and the terminal table.
//!
//! Invariant: every number the csv, md and terminal outputs print is a value of
//! `results.json` (rounded once, to 0.001, when it is computed), printed with Rust's shortest
//! round-trip formatting, so the files agree with each other exactly. Only records whose
//! status is `ok` have measures: a wrong answer, an error or a timeout is never timed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::stats::TierEvent;

/// The measures in the order tables list them (a run has those that apply to it).
pub const MEASURES: &[&str] = &[
    "wall_ms",
    "cpu_ms",
    "user_ms",
    "sys_ms",
    "max_rss_kib",
    "first_byte_ms",
    "load_ms",
    "instantiate_ms",
    "run_ms",
    "compile_ms",
    "compile_ms_interp",
    "compile_ms_baseline",
    "compile_ms_opt",
    "code_bytes_interp",
    "code_bytes_baseline",
    "code_bytes_opt",
    "funcs_interp",
    "funcs_baseline",
    "funcs_opt",
    "osr_entries",
    "opt_osr_entries",
    "opt_pending",
    "opt_failures",
    "hot_to_installed_mean_ms",
    "hot_to_installed_max_ms",
];

/// Rounds to 0.001 (µs for times in ms), the precision of every number the lab writes.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The outcome of a run, and of a (module, strategy) pair (its worst run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The expected output and exit code.
    Ok,
    /// Killed after `--timeout`.
    Timeout,
    /// It failed (an unexpected exit code or signal, or it could not start).
    Error,
    /// It printed something other than the expected output.
    WrongOutput,
}

impl Status {
    /// The name in results and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Timeout => "timeout",
            Status::Error => "error",
            Status::WrongOutput => "wrong-output",
        }
    }
}

/// One process run.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// Its position in the (shuffled) order of all runs.
    pub order: usize,
    /// A warm-up run: checked, not counted in the measures.
    pub warmup: bool,
    /// Its outcome.
    pub status: Status,
    /// Why it is not `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Its exit code, if it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// Its measures (see [`MEASURES`]), rounded by [`round3`].
    pub measures: BTreeMap<String, f64>,
    /// A hash of its stdout, to compare runs when no output is expected.
    #[serde(skip)]
    pub stdout_hash: u64,
    /// Its tier events (from `--stats-json`).
    #[serde(skip)]
    pub events: Vec<TierEvent>,
    /// Its `--stats-json` timeline, if the JSON has one.
    #[serde(skip)]
    pub timeline: Option<Value>,
}

/// The median, min and max of one measure.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    /// The median (the mean of the middle two for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Summary {
    /// The summary of `values` (`None` if empty).
    pub fn of(values: &mut [f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        };
        Some(Summary {
            median: round3(median),
            min: values[0],
            max: values[n - 1],
        })
    }
}

/// The sweep a strategy belongs to, as results record it.
#[derive(Debug, Clone, Serialize)]
pub struct SweepInfo {
    /// The swept option (without `--`).
    pub flag: String,
    /// This strategy's value.
    pub value: String,
    /// The value's position in the sweep.
    pub position: usize,
}

/// One (module, strategy) pair.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// The corpus case.
    pub module: String,
    /// The strategy.
    pub strategy: String,
    /// `tierup` or `external`.
    pub kind: String,
    /// Its sweep, if it came from `--sweep`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepInfo>,
    /// The worst status of its runs.
    pub status: Status,
    /// The first failing run's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Measured runs (warm-ups excluded) that ended `ok`.
    pub measured_runs: usize,
    /// Every measure over the measured runs (empty unless `status` is `ok`).
    pub measures: BTreeMap<String, Summary>,
    /// Median wall time ÷ the baseline strategy's on the same module (both `ok`).
    pub ratio_to_baseline: Option<f64>,
    /// The tier events of its first measured run (`--stats-json`), for the timeline plot.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<TierEvent>,
    /// The `timeline` of its first measured run's `--stats-json`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Value>,
    /// Every run, warm-ups included, in the order they ran.
    pub runs: Vec<RunRecord>,
}

impl Record {
    /// The median of `measure`, if recorded.
    pub fn median(&self, measure: &str) -> Option<f64> {
        self.measures.get(measure).map(|s| s.median)
    }
}

/// A strategy as results describe it.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyInfo {
    /// Its name.
    pub name: String,
    /// `tierup` or `external`.
    pub kind: String,
    /// Its `tierup run` options or command template.
    pub command: String,
    /// Its sweep, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepInfo>,
}

/// The geometric mean of a strategy's ratios to the baseline.
#[derive(Debug, Clone, Serialize)]
pub struct GeoMean {
    /// The strategy.
    pub strategy: String,
    /// The geometric mean of `ratio_to_baseline` over the modules where both are `ok`.
    pub ratio: Option<f64>,
    /// How many modules that is.
    pub modules: usize,
}

/// Everything `results.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct LabResults {
    /// `tierup lab`.
    pub tool: String,
    /// The tierup version.
    pub version: String,
    /// The corpus path as given.
    pub corpus: String,
    /// The shuffle seed.
    pub seed: u64,
    /// Measured runs per pair.
    pub runs: usize,
    /// Warm-up runs per pair.
    pub warmup: usize,
    /// The per-run timeout, in seconds.
    pub timeout_s: f64,
    /// The strategy ratios are relative to.
    pub baseline_strategy: String,
    /// The strategies, in table order.
    pub strategies: Vec<StrategyInfo>,
    /// The corpus cases, in table order.
    pub modules: Vec<String>,
    /// One per strategy, in table order.
    pub geomean: Vec<GeoMean>,
    /// One per (module, strategy), modules outer.
    pub results: Vec<Record>,
}

impl LabResults {
    /// Fills `ratio_to_baseline` and `geomean` from the medians.
    pub fn compute_ratios(&mut self) {
        let base: BTreeMap<String, f64> = self
            .results
            .iter()
            .filter(|r| r.strategy == self.baseline_strategy)
            .filter_map(|r| Some((r.module.clone(), r.median("wall_ms")?)))
            .collect();
        for r in &mut self.results {
            r.ratio_to_baseline = match (r.median("wall_ms"), base.get(&r.module)) {
                (Some(t), Some(&b)) if b > 0.0 => Some(round3(t / b)),
                _ => None,
            };
        }
        self.geomean = self
            .strategies
            .iter()
            .map(|s| {
                let logs: Vec<f64> = self
                    .results
                    .iter()
                    .filter(|r| r.strategy == s.name)
                    .filter_map(|r| r.ratio_to_baseline)
                    .filter(|x| *x > 0.0)
                    .map(f64::ln)
                    .collect();
                GeoMean {
                    strategy: s.name.clone(),
                    ratio: (!logs.is_empty())
                        .then(|| round3((logs.iter().sum::<f64>() / logs.len() as f64).exp())),
                    modules: logs.len(),
                }
            })
            .collect();
    }

    /// The record of (`module`, `strategy`).
    pub fn record(&self, module: &str, strategy: &str) -> Option<&Record> {
        self.results
            .iter()
            .find(|r| r.module == module && r.strategy == strategy)
    }

    /// `results.json`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("results serialize") + "\n"
    }

    /// `results.csv`: one row per record; for each measure `M`, columns `M_median`, `M_min`,
    /// `M_max` (every measure in [`MEASURES`], empty where a record has none).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("module,strategy,kind,status,measured_runs,ratio_to_baseline");
        for m in MEASURES {
            let _ = write!(out, ",{m}_median,{m}_min,{m}_max");
        }
        out.push_str(",message\n");
        for r in &self.results {
            let cells = [
                csv_field(&r.module),
                csv_field(&r.strategy),
                r.kind.clone(),
                r.status.as_str().into(),
                r.measured_runs.to_string(),
                opt_num(r.ratio_to_baseline),
            ];
            out.push_str(&cells.join(","));
            for m in MEASURES {
                let s = r.measures.get(*m);
                let _ = write!(
                    out,
                    ",{},{},{}",
                    opt_num(s.map(|s| s.median)),
                    opt_num(s.map(|s| s.min)),
                    opt_num(s.map(|s| s.max))
                );
            }
            let _ = writeln!(out, ",{}", csv_field(r.message.as_deref().unwrap_or("")));
        }
        out
    }

    /// `results.md`: the run's parameters, the geometric means, and one table row per record
    /// with the medians of its main measures (then per-tier details for tierup strategies).
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# tierup lab\n\n");
        let _ = writeln!(
            out,
            "Corpus `{}`: {} module(s) × {} strateg{}, {} measured run(s) each after {} warm-up run(s), shuffled with seed {}, timeout {} s. Times are medians in ms; ratios are median wall time ÷ `{}`'s.\n",
            self.corpus,
            self.modules.len(),
            self.strategies.len(),
            if self.strategies.len() == 1 {
                "y"
            } else {
                "ies"
            },
            self.runs,
            self.warmup,
            self.seed,
            self.timeout_s,
            self.baseline_strategy
        );
        out.push_str("## Strategies\n\n| strategy | command | geomean ÷ baseline | modules |\n|---|---|---:|---:|\n");
        for (s, g) in self.strategies.iter().zip(&self.geomean) {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} |",
                s.name,
                s.command,
                opt_num(g.ratio),
                g.modules
            );
        }
        out.push_str("\n## Results\n\n| module | strategy | status | wall_ms | wall_ms min | wall_ms max | ratio | cpu_ms | max_rss_kib | first_byte_ms | compile_ms | run_ms |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &self.results {
            let s = r.measures.get("wall_ms");
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.module,
                r.strategy,
                r.status.as_str(),
                opt_num(s.map(|s| s.median)),
                opt_num(s.map(|s| s.min)),
                opt_num(s.map(|s| s.max)),
                opt_num(r.ratio_to_baseline),
                opt_num(r.median("cpu_ms")),
                opt_num(r.median("max_rss_kib")),
                opt_num(r.median("first_byte_ms")),
                opt_num(r.median("compile_ms")),
                opt_num(r.median("run_ms")),
            );
        }
        let tier_cols = [
            "funcs_baseline",
            "funcs_opt",
            "compile_ms_baseline",
            "compile_ms_opt",
            "code_bytes_baseline",
            "code_bytes_opt",
            "osr_entries",
            "opt_osr_entries",
            "hot_to_installed_mean_ms",
            "hot_to_installed_max_ms",
        ];
        if self
            .results
            .iter()
            .any(|r| r.measures.contains_key("compile_ms"))
        {
            out.push_str("\n## Tiers (tierup strategies, medians)\n\n| module | strategy |");
            for c in tier_cols {
                let _ = write!(out, " {c} |");
            }
            out.push_str("\n|---|---|");
            out.push_str(&"---:|".repeat(tier_cols.len()));
            out.push('\n');
            for r in self
                .results
                .iter()
                .filter(|r| r.measures.contains_key("compile_ms"))
            {
                let _ = write!(out, "| {} | {} |", r.module, r.strategy);
                for c in tier_cols {
                    let _ = write!(out, " {} |", opt_num(r.median(c)));
                }
                out.push('\n');
            }
        }
        let failed: Vec<&Record> = self
            .results
            .iter()
            .filter(|r| r.status != Status::Ok)
            .collect();
        if !failed.is_empty() {
            out.push_str("\n## Failures\n\n");
            for r in failed {
                let _ = writeln!(
                    out,
                    "- {} / {}: {}: {}",
                    r.module,
                    r.strategy,
                    r.status.as_str(),
                    r.message.as_deref().unwrap_or("")
                );
            }
        }
        out
    }

    /// The terminal table: one line per record (median wall and CPU time, ratio, peak RSS,
    /// first byte), then the geometric means.
    pub fn to_terminal(&self) -> String {
        let header = [
            "module",
            "strategy",
            "status",
            "wall ms",
            "min",
            "max",
            "÷base",
            "cpu ms",
            "RSS MiB",
            "1st byte ms",
        ];
        let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_string()).collect()];
        for r in &self.results {
            let s = r.measures.get("wall_ms");
            rows.push(vec![
                r.module.clone(),
                r.strategy.clone(),
                r.status.as_str().into(),
                fmt_short(s.map(|s| s.median)),
                fmt_short(s.map(|s| s.min)),
                fmt_short(s.map(|s| s.max)),
                r.ratio_to_baseline
                    .map_or("-".into(), |x| format!("{x:.2}×")),
                fmt_short(r.median("cpu_ms")),
                fmt_short(r.median("max_rss_kib").map(|k| k / 1024.0)),
                fmt_short(r.median("first_byte_ms")),
            ]);
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for (i, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                if c < 3 {
                    let _ = write!(out, "{cell}{}  ", " ".repeat(pad));
                } else {
                    let _ = write!(out, "{}{cell}  ", " ".repeat(pad));
                }
            }
            let trimmed = out.trim_end().len();
            out.truncate(trimmed);
            out.push('\n');
            if i == 0 {
                let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
        out.push_str(&format!(
            "\ngeometric mean of wall time ÷ `{}`:\n",
            self.baseline_strategy
        ));
        for g in &self.geomean {
            let _ = writeln!(
                out,
                "  {:<w$}  {}",
                g.strategy,
                g.ratio.map_or("-".into(), |x| format!(
                    "{x:.3}× over {} module(s)",
                    g.modules
                )),
                w = self
                    .strategies
                    .iter()
                    .map(|s| s.name.len())
                    .max()
                    .unwrap_or(0)
            );
        }
        out
    }
}

/// A number as the csv and md files print it (Rust's shortest round-trip form, which parses
/// back to the JSON's value), or empty.
fn opt_num(x: Option<f64>) -> String {
    x.map_or_else(String::new, |x| format!("{x}"))
}

/// A number for the terminal: three significant-ish digits.
fn fmt_short(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(x) if x.abs() >= 100.0 => format!("{x:.0}"),
        Some(x) if x.abs() >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
    }
}

/// A csv field, quoted when it needs to be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
