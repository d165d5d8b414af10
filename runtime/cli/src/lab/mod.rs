//! `tierup lab`: which tiering strategy wins on a set of programs, and why, in one command.
//!
//! It runs every corpus case ([`corpus`]) under every strategy ([`strategy`]) as separate
//! processes (this binary's `tierup run`, or an external engine), in an order shuffled with a
//! seed, after unmeasured warm-up runs; checks every run's output; measures each run
//! ([`runner`]) and reads tierup's `--stats-json` ([`stats`]); then aggregates the runs per
//! (module, strategy) and writes `results.json`, `results.csv`, `results.md` ([`results`]) and
//! `report.html` with SVG plots ([`report`]) to the output directory, and prints a table.
//!
//! Module map: `mod.rs` owns the command line and the run loop (jobs, shuffle, progress,
//! output checks, aggregation); the submodules own one concern each, as named above.
//!
//! The exit code is 0 when every pair is `ok`, 1 when any is not (the files are written
//! either way), 2 for a usage error.

pub mod corpus;
pub mod report;
pub mod results;
pub mod runner;
pub mod stats;
pub mod strategy;

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use corpus::Case;
use results::{LabResults, Record, RunRecord, Status, StrategyInfo, Summary, SweepInfo, round3};
use strategy::Strategy;

/// `tierup lab [OPTIONS] CORPUS`.
#[derive(clap::Args, Debug)]
pub struct LabArgs {
    /// Add a built-in strategy: interp, baseline, opt (each tier forced), tiered (the
    /// default), eager (--baseline-after 1 --opt-after 100), interp-opt (--tiers interp,opt),
    /// baseline-opt (--tiers baseline,opt), or `all`. Repeatable, or comma-separated. With
    /// no --preset, --strategy or --sweep: all of them.
    #[arg(long = "preset", value_name = "NAME")]
    presets: Vec<String>,
    /// Add a strategy of your own: `tierup run` options, split as a shell would (e.g.
    /// `--strategy 'lazy=--baseline-after 5000 --opt-after 50000'`). Repeatable.
    #[arg(long = "strategy", value_name = "NAME=FLAGS")]
    strategies: Vec<String>,
    /// Add one strategy per value of a `tierup run` option, named FLAG=V (e.g. `--sweep
    /// opt-after=100,1000,10000`); the report plots value → time. Repeatable.
    #[arg(long = "sweep", value_name = "FLAG=V1,V2,...")]
    sweeps: Vec<String>,
    /// Add an external engine as a strategy: a command template with the placeholders
    /// `{module}`, `{args}` (the program's arguments; appended when absent) and `{invoke}`
    /// (e.g. `--engine wasmtime='wasmtime run --dir .::. {module}'`). An engine whose
    /// program is not found is skipped with a message. Repeatable.
    #[arg(long = "engine", value_name = "NAME=TEMPLATE")]
    engines: Vec<String>,
    /// Measured runs per module and strategy.
    #[arg(long, value_name = "N", default_value_t = 5)]
    runs: usize,
    /// Unmeasured runs per module and strategy before the measured ones (their output is
    /// checked too).
    #[arg(long, value_name = "N", default_value_t = 1)]
    warmup: usize,
    /// The seed of the shuffled run order.
    #[arg(long, value_name = "N", default_value_t = 1)]
    seed: u64,
    /// Kill a run after this many seconds (status `timeout`).
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0)]
    timeout: f64,
    /// The strategy the report normalizes times to.
    #[arg(long, value_name = "NAME", default_value = "tiered")]
    baseline_strategy: String,
    /// Where to write results.json, results.csv, results.md and report.html.
    #[arg(long, value_name = "DIR", default_value = "lab-out")]
    out: PathBuf,
    /// A directory of WASI command modules (`*.wasm`, `*.wat`, with `NAME.stdout` or
    /// `NAME.expected` holding the expected stdout), a `lab.toml` manifest (or a directory
    /// holding one), or a single module.
    #[arg(value_name = "CORPUS")]
    corpus: PathBuf,
}

/// One process to run.
struct Job {
    case: usize,
    strategy: usize,
    warmup: bool,
}

/// Runs `tierup lab`; prints errors itself and returns the exit code.
pub fn main(args: LabArgs) -> ExitCode {
    match lab(args) {
        Ok(all_ok) => {
            if all_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// A SplitMix64 generator: the seeded shuffle needs nothing better.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fisher–Yates.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

fn lab(args: LabArgs) -> Result<bool, String> {
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("invalid --timeout `{}`", args.timeout))?;
    if args.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    let cases = corpus::load(&args.corpus)?;
    let selection = strategy::select(&args.presets, &args.strategies, &args.sweeps, &args.engines)?;
    for note in &selection.notes {
        eprintln!("note: {note}");
    }
    let strategies = selection.strategies;
    if strategies.is_empty() {
        return Err("no strategy to run".into());
    }
    let mut baseline = args.baseline_strategy.clone();
    if !strategies.iter().any(|s| s.name == baseline) {
        let first = strategies[0].name.clone();
        eprintln!(
            "note: --baseline-strategy `{baseline}` is not among the strategies; ratios are to `{first}`"
        );
        baseline = first;
    }
    let tierup = std::env::current_exe().map_err(|e| format!("cannot find tierup itself: {e}"))?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create `{}`: {e}", args.out.display()))?;
    let scratch = std::path::absolute(args.out.join(".stats"))
        .map_err(|e| format!("`{}`: {e}", args.out.display()))?;
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create `{}`: {e}", scratch.display()))?;

    // The jobs: all warm-ups (shuffled), then all measured runs (shuffled).
    let mut rng = SplitMix(args.seed);
    let mut warm = Vec::new();
    let mut measured = Vec::new();
    for case in 0..cases.len() {
        for strategy in 0..strategies.len() {
            for _ in 0..args.warmup {
                warm.push(Job {
                    case,
                    strategy,
                    warmup: true,
                });
            }
            for _ in 0..args.runs {
                measured.push(Job {
                    case,
                    strategy,
                    warmup: false,
                });
            }
        }
    }
    rng.shuffle(&mut warm);
    rng.shuffle(&mut measured);
    let jobs: Vec<Job> = warm.into_iter().chain(measured).collect();

    let progress = indicatif::ProgressBar::new(jobs.len() as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        )
        .expect("valid template"),
    );
    let mut runs: HashMap<(usize, usize), Vec<RunRecord>> = HashMap::new();
    for (order, job) in jobs.iter().enumerate() {
        let case = &cases[job.case];
        let strategy = &strategies[job.strategy];
        let pair = runs.entry((job.case, job.strategy)).or_default();
        // After a failure the pair's remaining runs are skipped: its status is settled.
        if pair.iter().any(|r| r.status != Status::Ok) {
            progress.inc(1);
            continue;
        }
        progress.set_message(format!("{} / {}", case.name, strategy.name));
        let stats_path = scratch.join(format!("run-{order}.json"));
        let record = run_one(
            &tierup,
            case,
            strategy,
            &stats_path,
            timeout,
            order,
            job.warmup,
        );
        let _ = std::fs::remove_file(&stats_path);
        pair.push(record);
        progress.inc(1);
    }
    progress.finish_and_clear();
    let _ = std::fs::remove_dir(&scratch);

    let mut results = LabResults {
        tool: "tierup lab".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        corpus: args.corpus.display().to_string(),
        seed: args.seed,
        runs: args.runs,
        warmup: args.warmup,
        timeout_s: args.timeout,
        baseline_strategy: baseline.clone(),
        strategies: strategies
            .iter()
            .map(|s| StrategyInfo {
                name: s.name.clone(),
                kind: s.kind_name().into(),
                command: s.describe(),
                sweep: sweep_info(s),
            })
            .collect(),
        modules: cases.iter().map(|c| c.name.clone()).collect(),
        geomean: Vec::new(),
        results: Vec::new(),
    };
    let baseline_idx = strategies
        .iter()
        .position(|s| s.name == baseline)
        .unwrap_or(0);
    for (ci, case) in cases.iter().enumerate() {
        if case.expected_stdout.is_none() {
            check_agreement(&mut runs, ci, strategies.len(), baseline_idx, &strategies);
        }
        for (si, strategy) in strategies.iter().enumerate() {
            let mut pair = runs.remove(&(ci, si)).unwrap_or_default();
            pair.sort_by_key(|r| r.order);
            results.results.push(aggregate(case, strategy, pair));
        }
    }
    results.compute_ratios();

    let write = |name: &str, text: &str| {
        let path = args.out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
    };
    write("results.json", &results.to_json())?;
    write("results.csv", &results.to_csv())?;
    write("results.md", &results.to_markdown())?;
    write("report.html", &report::html(&results))?;
    print!("{}", results.to_terminal());
    for r in results.results.iter().filter(|r| r.status != Status::Ok) {
        println!(
            "{} / {}: {}: {}",
            r.module,
            r.strategy,
            r.status.as_str(),
            r.message.as_deref().unwrap_or("")
        );
    }
    println!(
        "wrote {}/{{results.json,results.csv,results.md,report.html}}",
        args.out.display()
    );
    Ok(results.results.iter().all(|r| r.status == Status::Ok))
}

fn sweep_info(s: &Strategy) -> Option<SweepInfo> {
    s.sweep.as_ref().map(|p| SweepInfo {
        flag: p.flag.clone(),
        value: p.value.clone(),
        position: p.position,
    })
}

/// A short, printable excerpt of some output, for messages.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut short: String = line.chars().take(160).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// Runs one job and checks its output.
fn run_one(
    tierup: &Path,
    case: &Case,
    strategy: &Strategy,
    stats_path: &Path,
    timeout: Duration,
    order: usize,
    warmup: bool,
) -> RunRecord {
    let mut record = RunRecord {
        order,
        warmup,
        status: Status::Ok,
        message: None,
        exit_code: None,
        signal: None,
        measures: BTreeMap::new(),
        stdout_hash: 0,
        events: Vec::new(),
        timeline: None,
    };
    let stats_json = strategy.is_tierup().then_some(stats_path);
    let measured = strategy
        .command(tierup, case, stats_json)
        .and_then(|mut cmd| {
            cmd.current_dir(&case.run_dir);
            runner::run(cmd, timeout)
        });
    let m = match measured {
        Ok(m) => m,
        Err(message) => {
            record.status = Status::Error;
            record.message = Some(message);
            return record;
        }
    };
    record.exit_code = m.exit_code;
    record.signal = m.signal;
    record.stdout_hash = hash(&m.stdout);
    let measures = &mut record.measures;
    measures.insert("wall_ms".into(), m.wall_ms);
    measures.insert("cpu_ms".into(), m.user_ms + m.sys_ms);
    measures.insert("user_ms".into(), m.user_ms);
    measures.insert("sys_ms".into(), m.sys_ms);
    measures.insert("max_rss_kib".into(), m.max_rss_kib);
    if let Some(t) = m.first_byte_ms {
        measures.insert("first_byte_ms".into(), t);
    }
    if m.timed_out {
        record.status = Status::Timeout;
        record.message = Some(format!("killed after {} s", timeout.as_secs_f64()));
    } else if m.exit_code != Some(case.exit_code) {
        record.status = Status::Error;
        record.message = Some(match (m.exit_code, m.signal) {
            (Some(code), _) => format!(
                "exit code {code} (expected {}): {}",
                case.exit_code,
                excerpt(&m.stderr)
            ),
            (None, signal) => format!("killed by signal {}", signal.unwrap_or(0)),
        });
    } else if let Some(expected) = case.expected_stdout.as_ref().filter(|e| **e != m.stdout) {
        record.status = Status::WrongOutput;
        record.message = Some(format!(
            "stdout differs from the expected output ({} bytes, expected {}): `{}`",
            m.stdout.len(),
            expected.len(),
            excerpt(&m.stdout)
        ));
    } else if let Some(expected) = case.expected_stderr.as_ref().filter(|e| **e != m.stderr) {
        record.status = Status::WrongOutput;
        record.message = Some(format!(
            "stderr differs from the expected stderr ({} bytes, expected {}): `{}`",
            m.stderr.len(),
            expected.len(),
            excerpt(&m.stderr)
        ));
    }
    if record.status == Status::Ok && strategy.is_tierup() {
        match std::fs::read_to_string(stats_path)
            .map_err(|e| e.to_string())
            .and_then(|t| stats::parse(&t))
        {
            Ok(stats) => {
                record.measures.extend(stats.measures);
                record.events = stats.events;
                record.timeline = stats.timeline;
            }
            Err(e) => {
                // The program's answer was right; the stats are a bonus.
                record.message = Some(format!("no stats: {e}"));
            }
        }
    }
    for v in record.measures.values_mut() {
        *v = round3(*v);
    }
    record
}

/// With no expected stdout, every strategy must print what the baseline strategy prints most
/// often (or, when the baseline has no `ok` run, what most `ok` runs print): runs that differ
/// become `wrong-output`.
fn check_agreement(
    runs: &mut HashMap<(usize, usize), Vec<RunRecord>>,
    case: usize,
    strategies: usize,
    baseline: usize,
    names: &[Strategy],
) {
    let most_common = |records: &mut dyn Iterator<Item = &RunRecord>| {
        let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
        for r in records.filter(|r| r.status == Status::Ok) {
            *counts.entry(r.stdout_hash).or_default() += 1;
        }
        counts.into_iter().max_by_key(|(_, n)| *n).map(|(h, _)| h)
    };
    let reference = most_common(&mut runs.get(&(case, baseline)).into_iter().flatten())
        .map(|h| (h, names[baseline].name.as_str()))
        .or_else(|| {
            let mut all = (0..strategies)
                .filter_map(|s| runs.get(&(case, s)))
                .flatten();
            most_common(&mut all).map(|h| (h, "most runs"))
        });
    let Some((reference, source)) = reference else {
        return;
    };
    for s in 0..strategies {
        for r in runs.get_mut(&(case, s)).into_iter().flatten() {
            if r.status == Status::Ok && r.stdout_hash != reference {
                r.status = Status::WrongOutput;
                r.message = Some(format!("stdout differs from what {source} printed"));
            }
        }
    }
}

/// The record of one (module, strategy) pair from its runs.
fn aggregate(case: &Case, strategy: &Strategy, runs: Vec<RunRecord>) -> Record {
    let worst = runs.iter().map(|r| r.status).max().unwrap_or(Status::Error);
    let message = match worst {
        Status::Ok => runs.iter().find_map(|r| r.message.clone()),
        _ => runs
            .iter()
            .find(|r| r.status == worst)
            .and_then(|r| r.message.clone()),
    };
    let message = if runs.is_empty() {
        Some("no run".to_string())
    } else {
        message
    };
    let counted: Vec<&RunRecord> = runs
        .iter()
        .filter(|r| !r.warmup && r.status == Status::Ok)
        .collect();
    let mut measures = BTreeMap::new();
    if worst == Status::Ok {
        let mut keys: Vec<&String> = counted.iter().flat_map(|r| r.measures.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let mut values: Vec<f64> = counted
                .iter()
                .filter_map(|r| r.measures.get(key).copied())
                .collect();
            if let Some(s) = Summary::of(&mut values) {
                measures.insert(key.clone(), s);
            }
        }
    }
    let first = counted.first();
    Record {
        module: case.name.clone(),
        strategy: strategy.name.clone(),
        kind: strategy.kind_name().into(),
        sweep: sweep_info(strategy),
        status: worst,
        message,
        measured_runs: counted.len(),
        measures,
        ratio_to_baseline: None,
        events: first.map(|r| r.events.clone()).unwrap_or_default(),
        timeline: first.and_then(|r| r.timeline.clone()),
        runs,
    }
}
