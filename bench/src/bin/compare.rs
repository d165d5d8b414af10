//! `compare`: runs the benchmark kernels and the real-program corpus side by side in tierup and
//! in other engines, as whole processes, and prints a markdown table of median wall times with
//! their ratio to the first engine's (tierup's).
//!
//! It first writes every kernel, the tiny start-up module and the generated large module as wasm
//! binaries to `target/kernels/` (plus `run.cjs` and `run-wasi.mjs`, the runners for node). Then, for
//! each kernel and each engine found, it runs `<engine> … --invoke <export> <file> <size>` once to
//! warm the caches and check the printed result, and N more times to take the median wall time
//! (`--cpu`: CPU time), one run per engine in turn. Two
//! start-up rows follow: the tiny module invoked once (`add 1 2`, at least 20 runs) and the large
//! module invoked once.
//!
//! Then the corpus: every `NAME.wasm` in the corpus directory (built by `bench/corpus/build.sh`:
//! zstd, zlib, bzip2, Lua and SQLite from the C sources their crates.io -sys crates bundle, each as
//! `NAME.wasm`, `-O2`, and `NAME-simd.wasm`, `-O3 -msimd128`) is run as a WASI command (`tierup run
//! FILE`, `wasmtime run FILE`, `wasmi run FILE`, `node run-wasi.mjs FILE`) in the same way; its
//! whole stdout must equal `NAME.expected`. A wrong output or a failure is reported, never timed.
//!
//! Engines: `tierup` (`target/release/tierup run`), `wasmi` (`wasmi run`, wasmi_cli's binary),
//! `wasmtime run` and `wasmtime run -C compiler=winch` if `wasmtime` is installed, `node` (V8, tiered)
//! and `node --liftoff-only` if `node` is installed. Missing engines are skipped with a note.
//!
//! ```text
//! cargo build --release -p tierup-cli --bin tierup
//! cargo run --release -p tierup-bench --bin compare -- [OPTIONS]
#![doc = include_str!("compare-options.txt")]
//! ```
//! The exit status is 1 if any engine printed a wrong result or failed.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use tierup_bench::{KERNELS, LARGE_ARG, LARGE_EXPORT, large_module_wasm, small_wasm};

/// The node runner for WASI commands: `node run-wasi.mjs FILE` (`bench/corpus/run-wasi.mjs`).
const RUN_WASI_MJS: &str = include_str!("../../corpus/run-wasi.mjs");

/// The node runner: `node run.cjs FILE EXPORT ARGS...` prints the export's result.
const RUN_JS: &str = r#"// Written by tierup-bench's `compare`: node run.cjs FILE EXPORT ARGS...
const fs = require("fs");
const [file, name, ...args] = process.argv.slice(2);
const wasm = new WebAssembly.Module(fs.readFileSync(file));
const instance = new WebAssembly.Instance(wasm, {});
console.log(String(instance.exports[name](...args.map(Number))));
"#;

/// One engine: a label for the table and the command line before the module and its arguments.
struct EngineCmd {
    label: String,
    program: PathBuf,
    /// Arguments before the invocation.
    prefix: Vec<String>,
    /// How the invocation is spelled.
    style: Style,
}

/// How an engine's command line names the function, the file and the arguments.
#[derive(Clone, Copy)]
enum Style {
    /// `PREFIX --invoke EXPORT FILE ARGS...`, or `PREFIX FILE` for a WASI command (tierup, wasmi,
    /// wasmtime).
    Invoke,
    /// `PREFIX run.cjs FILE EXPORT ARGS...`, or `PREFIX run-wasi.mjs FILE` (node).
    Node,
}

impl EngineCmd {
    /// The command line of one run of `job`; `dir` holds the node runners.
    fn command(&self, dir: &Path, job: &Job) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.prefix);
        match (self.style, &job.call) {
            (Style::Invoke, Call::Invoke { export, args }) => {
                cmd.arg("--invoke").arg(export).arg(&job.file).args(args);
            }
            (Style::Invoke, Call::Wasi) => {
                cmd.arg(&job.file);
            }
            (Style::Node, Call::Invoke { export, args }) => {
                cmd.arg(dir.join("run.cjs"))
                    .arg(&job.file)
                    .arg(export)
                    .args(args);
            }
            (Style::Node, Call::Wasi) => {
                // Without the "WASI is experimental" warning on stderr.
                cmd.arg("--no-warnings")
                    .arg(dir.join("run-wasi.mjs"))
                    .arg(&job.file);
            }
        }
        cmd
    }
}

/// What a job runs.
enum Call {
    /// Calls an export with arguments; the result is the last line printed, an integer.
    Invoke { export: String, args: Vec<String> },
    /// Runs the module as a WASI command (`_start`); the result is its whole stdout.
    Wasi,
}

/// One row of the table: a module, what to run in it and the result it must print.
struct Job {
    label: String,
    file: PathBuf,
    call: Call,
    /// The expected result; `None` means "all engines must agree".
    expected: Option<String>,
    runs: usize,
}

/// The outcome of one engine on one job.
enum Cell {
    Time(Duration),
    Failed(String),
}

struct Options {
    runs: usize,
    only: Vec<String>,
    size: Option<i32>,
    corpus: Option<PathBuf>,
    tierup: Option<PathBuf>,
    tiers: Vec<String>,
    /// tierup's `--cache` modes, one column each (default `off`: every run compiles).
    caches: Vec<String>,
    engines: Option<Vec<String>>,
    metering: bool,
    /// Time by CPU time (user + system, every thread of the process) instead of wall time.
    cpu: bool,
}

/// The options, for `--help` and for errors (the same text as in the doc comment above).
const HELP: &str = concat!(
    "usage: compare [OPTIONS]\n",
    include_str!("compare-options.txt")
);

fn usage() -> ! {
    eprint!("{HELP}");
    std::process::exit(2)
}

fn parse_options() -> Options {
    let mut opts = Options {
        runs: 10,
        only: Vec::new(),
        size: None,
        corpus: None,
        tierup: None,
        tiers: Vec::new(),
        caches: Vec::new(),
        engines: None,
        metering: false,
        cpu: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .unwrap_or_else(|| usage())
        };
        let list = |v: String| -> Vec<String> {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        match flag.as_str() {
            "--runs" => opts.runs = value().parse().unwrap_or_else(|_| usage()),
            "--only" => opts.only.extend(list(value())),
            "--size" => opts.size = Some(value().parse().unwrap_or_else(|_| usage())),
            "--corpus" => opts.corpus = Some(PathBuf::from(value())),
            "--tierup" => opts.tierup = Some(PathBuf::from(value())),
            "--tier" => opts.tiers.extend(list(value())),
            "--cache" => opts.caches.extend(list(value())),
            "--engines" => opts.engines = Some(list(value())),
            "--metering" => opts.metering = true,
            "--cpu" => opts.cpu = true,
            "-h" | "--help" => {
                print!("{HELP}");
                std::process::exit(0)
            }
            _ => usage(),
        }
    }
    if opts.runs == 0 {
        usage();
    }
    opts
}

/// One program of the corpus: `NAME.wasm` and the stdout it must print, `NAME.expected`.
struct Program {
    /// The file stem, e.g. `zstd-simd`.
    name: String,
    file: PathBuf,
    expected: PathBuf,
}

impl Program {
    /// The program without its build variant: `zstd` for `zstd` and `zstd-simd`.
    fn base(&self) -> &str {
        self.name.strip_suffix("-simd").unwrap_or(&self.name)
    }
}

/// The corpus directory's programs, each scalar build before its SIMD build. No directory:
/// `--corpus DIR` is an error, the default one is skipped with a note.
fn corpus(opts: &Options) -> Vec<Program> {
    let dir = match &opts.corpus {
        Some(dir) => dir.clone(),
        None => target_dir().join("corpus"),
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if opts.corpus.is_some() => {
            eprintln!("error: reading the corpus {}: {e}", dir.display());
            std::process::exit(2);
        }
        Err(_) => {
            eprintln!(
                "note: no corpus at {} (bench/corpus/build.sh builds it); skipped",
                dir.display()
            );
            return Vec::new();
        }
    };
    let mut programs: Vec<Program> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .filter_map(|file| {
            let name = file.file_stem()?.to_str()?.to_string();
            let expected = file.with_extension("expected");
            Some(Program {
                name,
                file,
                expected,
            })
        })
        .collect();
    programs.sort_by(|a, b| (a.base(), &a.name).cmp(&(b.base(), &b.name)));
    programs
}

/// Finds `name` on `PATH` or in `~/.cargo/bin` / `~/.wasmtime/bin`.
fn find_program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        dirs.push(home.join(".cargo/bin"));
        dirs.push(home.join(".wasmtime/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("bench/ is inside the workspace")
                .join("target")
        })
}

fn engines(opts: &Options) -> Vec<EngineCmd> {
    let wanted = |name: &str| {
        opts.engines
            .as_ref()
            .is_none_or(|l| l.iter().any(|e| e == name))
    };
    let mut list = Vec::new();
    if wanted("tierup") {
        let path = opts
            .tierup
            .clone()
            .unwrap_or_else(|| target_dir().join("release/tierup"));
        if !path.is_file() {
            eprintln!(
                "error: no tierup binary at {}; build it with \
                 `cargo build --release -p tierup-cli --bin tierup` or pass --tierup PATH",
                path.display()
            );
            std::process::exit(2);
        }
        let tiers: Vec<Option<&String>> = if opts.tiers.is_empty() {
            vec![None]
        } else {
            opts.tiers.iter().map(Some).collect()
        };
        let off = ["off".to_string()];
        let caches = if opts.caches.is_empty() {
            &off[..]
        } else {
            &opts.caches[..]
        };
        for tier in tiers {
            for cache in caches {
                let mut label = "tierup".to_string();
                let mut prefix = vec!["run".to_string(), "--cache".into(), cache.clone()];
                if let Some(tier) = tier {
                    label = format!("{label} {tier}");
                    prefix.extend(["--tier".into(), tier.clone()]);
                }
                if cache != "off" {
                    label = format!("{label} cache={cache}");
                }
                list.push(EngineCmd {
                    label,
                    program: path.clone(),
                    prefix,
                    style: Style::Invoke,
                });
            }
        }
    }
    if wanted("wasmi") {
        match find_program("wasmi_cli").or_else(|| find_program("wasmi")) {
            Some(program) => list.push(EngineCmd {
                label: "wasmi".into(),
                program,
                prefix: vec!["run".into()],
                style: Style::Invoke,
            }),
            None => {
                eprintln!("note: wasmi not found (`cargo install --locked wasmi_cli`); skipped")
            }
        }
    }
    let wasmtime = find_program("wasmtime");
    if (wanted("wasmtime") || wanted("winch")) && wasmtime.is_none() {
        eprintln!("note: wasmtime not found; skipped");
    }
    if let Some(program) = &wasmtime {
        if wanted("wasmtime") {
            list.push(EngineCmd {
                label: "wasmtime".into(),
                program: program.clone(),
                prefix: vec!["run".into()],
                style: Style::Invoke,
            });
        }
        if wanted("winch") {
            list.push(EngineCmd {
                label: "wasmtime winch".into(),
                program: program.clone(),
                prefix: vec!["run".into(), "-C".into(), "compiler=winch".into()],
                style: Style::Invoke,
            });
        }
    }
    let node = find_program("node");
    if (wanted("node") || wanted("liftoff")) && node.is_none() {
        eprintln!("note: node not found; skipped");
    }
    if let Some(program) = &node {
        if wanted("node") {
            list.push(EngineCmd {
                label: "node (V8)".into(),
                program: program.clone(),
                prefix: Vec::new(),
                style: Style::Node,
            });
        }
        if wanted("liftoff") {
            list.push(EngineCmd {
                label: "node liftoff".into(),
                program: program.clone(),
                prefix: vec!["--liftoff-only".into()],
                style: Style::Node,
            });
        }
    }
    if list.is_empty() {
        eprintln!("error: no engine selected");
        std::process::exit(2);
    }
    if opts.metering {
        list = with_metering(list);
    }
    list
}

/// `--metering`: after each tierup and wasmtime column, the same engine with fuel metering
/// (a budget that never runs out) and with epoch interruption on, so their cost reads as the
/// ratio of neighbouring columns.
fn with_metering(engines: Vec<EngineCmd>) -> Vec<EngineCmd> {
    const ALL_FUEL: &str = "18446744073709551615";
    let mut out = Vec::new();
    for engine in engines {
        let variants: Vec<(&str, Vec<&str>)> = if engine.label.starts_with("tierup") {
            vec![
                ("+fuel", vec!["--fuel", ALL_FUEL]),
                ("+epoch", vec!["--epoch-interruption", "--timeout", "86400"]),
            ]
        } else if engine.label.starts_with("wasmtime") {
            vec![
                ("+fuel", vec!["-W", "fuel=18446744073709551615"]),
                ("+epoch", vec!["-W", "epoch-interruption=y,timeout=86400s"]),
            ]
        } else {
            Vec::new()
        };
        let extra: Vec<EngineCmd> = variants
            .into_iter()
            .map(|(suffix, args)| EngineCmd {
                label: format!("{} {suffix}", engine.label),
                program: engine.program.clone(),
                prefix: engine
                    .prefix
                    .iter()
                    .cloned()
                    .chain(args.into_iter().map(str::to_string))
                    .collect(),
                style: engine.style,
            })
            .collect();
        out.push(engine);
        out.extend(extra);
    }
    out
}

/// Writes the wasm files, `run.cjs` and `run-wasi.mjs` to `dir`.
fn write_modules(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for kernel in &KERNELS {
        std::fs::write(dir.join(format!("{}.wasm", kernel.name)), kernel.wasm())?;
    }
    std::fs::write(dir.join("small.wasm"), small_wasm())?;
    std::fs::write(dir.join("large.wasm"), large_module_wasm())?;
    std::fs::write(dir.join("run.cjs"), RUN_JS)?;
    std::fs::write(dir.join("run-wasi.mjs"), RUN_WASI_MJS)?;
    Ok(())
}

/// The CPU time (user + system) of all the children this process has waited for so far.
fn children_cpu_time() -> Duration {
    // SAFETY: `getrusage` writes the `rusage` it is given and nothing else.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// Runs the job once; returns its time (wall time, or with `cpu` the process's CPU time: one
/// child runs at a time, so the growth of the waited-for children's CPU time is its own) and
/// the result it printed: for an invocation its last stdout line (an integer), for a WASI
/// command its whole stdout.
fn run_once(
    engine: &EngineCmd,
    dir: &Path,
    job: &Job,
    cpu: bool,
) -> Result<(Duration, String), String> {
    let mut cmd = engine.command(dir, job);
    let (start, cpu_start) = (Instant::now(), children_cpu_time());
    let output = cmd.output().map_err(|e| format!("cannot start: {e}"))?;
    let elapsed = if cpu {
        children_cpu_time().saturating_sub(cpu_start)
    } else {
        start.elapsed()
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut lines = stderr.lines().map(str::trim).filter(|l| !l.is_empty());
        let line = lines
            .clone()
            .find(|l| l.contains("rror") || l.contains("trap"))
            .or_else(|| lines.next())
            .unwrap_or("");
        return Err(format!("{}: {line}", output.status));
    }
    if let Call::Wasi = job.call {
        return Ok((elapsed, stdout.into_owned()));
    }
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let value = last
        .trim()
        .parse::<i64>()
        .map_err(|_| format!("unexpected output {last:?}"))?;
    Ok((elapsed, value.to_string()))
}

/// Says how `got` differs from `want`: both values for one-line results, else the first line
/// that differs.
fn mismatch(got: &str, want: &str, what: &str) -> String {
    if got.lines().count() <= 1 && want.lines().count() <= 1 {
        return format!("printed {}, {what} {}", got.trim(), want.trim());
    }
    let (mut g, mut w) = (got.lines(), want.lines());
    for line in 1.. {
        match (g.next(), w.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (a, b) => {
                return format!(
                    "line {line} is {:?}, {what} {:?}",
                    a.unwrap_or("(end)"),
                    b.unwrap_or("(end)")
                );
            }
        }
    }
    unreachable!()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    let n = times.len();
    if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2
    }
}

/// Runs one job in every engine: one checked warm-up run each, then `job.runs` rounds of one
/// timed run per engine (interleaved, so a slow spell of the machine touches every engine
/// alike).
fn run_job(
    engines: &[EngineCmd],
    dir: &Path,
    job: &Job,
    cpu: bool,
    failures: &mut Vec<String>,
) -> Vec<Cell> {
    let mut results: Vec<(usize, String)> = Vec::new();
    // Per engine: the value its warm-up printed and its times, or why it failed.
    let mut runs: Vec<Result<(String, Vec<Duration>), String>> = engines
        .iter()
        .map(|engine| match run_once(engine, dir, job, cpu) {
            Err(e) => Err(e),
            Ok((_, value)) if job.expected.as_ref().is_some_and(|want| *want != value) => {
                Err(mismatch(
                    &value,
                    job.expected.as_deref().unwrap_or_default(),
                    "expected",
                ))
            }
            Ok((_, value)) => Ok((value, Vec::with_capacity(job.runs))),
        })
        .collect();
    for _ in 0..job.runs {
        for (engine, state) in engines.iter().zip(runs.iter_mut()) {
            let Ok((value, times)) = state else { continue };
            match run_once(engine, dir, job, cpu) {
                Ok((t, v)) if v == *value => times.push(t),
                Ok((_, v)) => *state = Err(mismatch(&v, value, "the first run printed")),
                Err(e) => *state = Err(e),
            }
        }
    }
    let mut cells = Vec::new();
    for (i, (engine, state)) in engines.iter().zip(runs).enumerate() {
        let cell = match state {
            Ok((value, times)) => {
                results.push((i, value));
                Cell::Time(median(times))
            }
            Err(e) => Cell::Failed(e),
        };
        match &cell {
            Cell::Time(t) => eprintln!("{} / {}: {}", job.label, engine.label, fmt_time(*t)),
            Cell::Failed(e) => {
                eprintln!("{} / {}: FAILED: {e}", job.label, engine.label);
                failures.push(format!("{} / {}: {e}", job.label, engine.label));
            }
        }
        cells.push(cell);
    }
    // Without a reference value, every engine must print the same result.
    if job.expected.is_none() && results.windows(2).any(|w| w[0].1 != w[1].1) {
        let all: Vec<String> = results
            .iter()
            .map(|(i, v)| format!("{} printed {}", engines[*i].label, v.trim()))
            .collect();
        failures.push(format!(
            "{}: engines disagree: {}",
            job.label,
            all.join(", ")
        ));
        for (i, _) in &results {
            cells[*i] = Cell::Failed("results disagree".into());
        }
    }
    cells
}

fn fmt_time(t: Duration) -> String {
    let ms = t.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn main() -> ExitCode {
    let opts = parse_options();
    let dir = target_dir().join("kernels");
    if let Err(e) = write_modules(&dir) {
        eprintln!("error: writing the modules to {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let programs = corpus(&opts);
    // `--only` names a row, a program (both of its builds) or a group of rows.
    let only = |names: &[&str]| {
        opts.only.is_empty() || opts.only.iter().any(|o| names.contains(&o.as_str()))
    };
    for name in &opts.only {
        let known = ["kernels", "startup", "corpus"].contains(&name.as_str())
            || tierup_bench::kernel(name).is_some()
            || programs.iter().any(|p| p.name == *name || p.base() == name);
        if !known {
            let names: Vec<&str> = programs.iter().map(|p| p.name.as_str()).collect();
            eprintln!(
                "error: unknown row `{name}` (corpus programs: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            );
            usage();
        }
    }
    let engines = engines(&opts);

    let mut jobs = Vec::new();
    let mut failures = Vec::new();
    for kernel in KERNELS.iter().filter(|k| only(&[k.name, "kernels"])) {
        let size = opts.size.unwrap_or(kernel.default_size);
        jobs.push(Job {
            label: format!("{}({size})", kernel.name),
            file: dir.join(format!("{}.wasm", kernel.name)),
            call: Call::Invoke {
                export: kernel.export.into(),
                args: vec![size.to_string()],
            },
            expected: Some(kernel.expected(size).to_string()),
            runs: opts.runs,
        });
    }
    if only(&["startup"]) {
        jobs.push(Job {
            label: "start-up: small, add(1, 2)".into(),
            file: dir.join("small.wasm"),
            call: Call::Invoke {
                export: "add".into(),
                args: vec!["1".into(), "2".into()],
            },
            expected: Some("3".into()),
            runs: opts.runs.max(20),
        });
        jobs.push(Job {
            label: format!("start-up: large, {LARGE_EXPORT}({LARGE_ARG})"),
            file: dir.join("large.wasm"),
            call: Call::Invoke {
                export: LARGE_EXPORT.into(),
                args: vec![LARGE_ARG.to_string()],
            },
            expected: None,
            runs: opts.runs,
        });
    }
    for program in programs
        .iter()
        .filter(|p| only(&[&p.name, p.base(), "corpus"]))
    {
        match std::fs::read_to_string(&program.expected) {
            Ok(expected) => jobs.push(Job {
                label: program.name.clone(),
                file: program.file.clone(),
                call: Call::Wasi,
                expected: Some(expected),
                runs: opts.runs,
            }),
            Err(e) => failures.push(format!(
                "{}: no expected output {} ({e}); rebuild the corpus with bench/corpus/build.sh",
                program.name,
                program.expected.display()
            )),
        }
    }

    let rows: Vec<(&Job, Vec<Cell>)> = jobs
        .iter()
        .map(|job| (job, run_job(&engines, &dir, job, opts.cpu, &mut failures)))
        .collect();

    // The table: the first engine (tierup) is the reference for the ratios.
    let mut header = String::from("| benchmark | runs |");
    let mut rule = String::from("|---|---:|");
    for engine in &engines {
        header.push_str(&format!(" {} |", engine.label));
        rule.push_str("---:|");
    }
    println!("{header}\n{rule}");
    for (job, cells) in &rows {
        let base = match cells.first() {
            Some(Cell::Time(t)) => Some(*t),
            _ => None,
        };
        let mut line = format!("| {} | {} |", job.label, job.runs);
        for (i, cell) in cells.iter().enumerate() {
            let text = match (cell, base) {
                (Cell::Failed(_), _) => "FAILED".to_string(),
                (Cell::Time(t), _) if i == 0 => fmt_time(*t),
                (Cell::Time(t), Some(b)) => {
                    format!(
                        "{} ({:.2}×)",
                        fmt_time(*t),
                        t.as_secs_f64() / b.as_secs_f64()
                    )
                }
                (Cell::Time(t), None) => fmt_time(*t),
            };
            line.push_str(&format!(" {text} |"));
        }
        println!("{line}");
    }
    println!();
    let metric = if opts.cpu {
        "Median CPU time (user + system, all threads: for a tiered engine this includes its \
         background compiles)"
    } else {
        "Median wall time"
    };
    println!(
        "{metric} of whole processes (start-up included), runs interleaved across engines. In \
         parentheses: the engine's time divided by {}'s (above 1: {} is faster).",
        engines[0].label, engines[0].label
    );
    if failures.is_empty() {
        println!("All printed results are correct and agree.");
        ExitCode::SUCCESS
    } else {
        println!("Failures:");
        for f in &failures {
            println!("- {f}");
        }
        ExitCode::FAILURE
    }
}
