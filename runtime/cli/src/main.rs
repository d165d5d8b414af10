//! `tierup` (package `tierup-cli`): the command-line interface of the tierup WebAssembly
//! runtime, built on the public APIs of `tierup-runtime`, `tierup-wasi` and `tierup-wast`.
//! It owns argument parsing (clap), the WASI context of `tierup run`, printing results and
//! stats, and the mapping of errors to exit codes.
//!
//! Subcommands:
//! - `tierup run [OPTIONS] FILE [ARGS...]` runs a module (`.wasm` or `.wat`): its `_start`
//!   export, or the export named by `--invoke`, with `ARGS` parsed by the export's parameter
//!   types and each result printed on its own line (as `wasmtime run --invoke` does).
//! - `tierup wast [--tier MODE] FILE.wast...` runs spec scripts and prints a summary per file.
//! - `tierup explore FILE --func NAME|INDEX [--html OUT]` shows one function as each tier sees
//!   it (see the `explore` module).
//! - `tierup lab [OPTIONS] CORPUS` runs a corpus under several tiering strategies (and other
//!   engines) as separate `tierup run` processes and reports which wins and why ([`lab`]).
//! - `tierup cache dir|list|prune --max-size SIZE|clear` manages the code cache's directory
//!   ([`cache`]).
//!
//! Exit codes: 0 on success; 134 when wasm traps (what Wasmtime exits with on Unix; the trap
//! and its wasm backtrace go to stderr); 2 when the requested tier is not available on this machine (and
//! for command-line usage errors, reported by clap); 1 for any other error. `wast` exits 0 iff
//! no directive failed.
//!
//! `run` links WASI preview 1 (`wasi_snapshot_preview1`, see [`tierup_wasi`]) the
//! way `wasmtime run` does: `argv[0]` is FILE as given and the rest are ARGS, stdio is
//! inherited, the guest sees only the directories granted with `--dir HOST[::GUEST]` and the
//! variables granted with `--env NAME[=VALUE]`, and the status of `proc_exit` (an
//! [`I32Exit`] error, found by downcasting) becomes the exit code of this process. Any other import is rejected with a clear message before
//! instantiation.

mod cache;
mod explore;

use std::ffi::OsString;
use std::mem::ManuallyDrop;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use tierup_runtime::{
    BoundsChecks, Config, Engine, Error, Func, Instance, Linker, Module, Store, StoreLimits,
    StoreLimitsBuilder, TierMode, Tiers, V128, Val, ValType,
};
use tierup_wasi::{self as wasi, I32Exit, WasiCtx};
use tierup_wast::run_wast_file;

mod lab;

/// Exit code for a wasm trap (128 + SIGABRT, as Wasmtime on Unix).
const EXIT_TRAP: u8 = 134;
/// Exit code when the requested tier is not available on this machine.
const EXIT_TIER_UNAVAILABLE: u8 = 2;
/// Exit code for a malformed command line (as clap's own usage errors).
const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(name = "tierup", version, about = "A tiered WebAssembly runtime")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a WebAssembly module (`.wasm` or `.wat`).
    Run(Box<RunArgs>),
    /// Run WebAssembly spec scripts (`.wast`) and report passed/failed directives.
    Wast(WastArgs),
    /// Show one function as each tier sees it: wasm, bytecode, machine code, CLIF.
    Explore(explore::ExploreArgs),
    /// Compare tiering strategies (and other engines) on a corpus of programs: times, CPU,
    /// memory, compile statistics; writes results.json/.csv/.md and report.html.
    Lab(Box<lab::LabArgs>),
    /// Manage the code cache's directory: show it, list what it holds, prune it to a size,
    /// or clear it.
    Cache(cache::CacheArgs),
}

/// The execution tier, as spelled on the command line.
#[derive(ValueEnum, Clone, Copy, Debug)]
enum TierArg {
    /// The interpreter only.
    Interp,
    /// The baseline JIT only.
    Baseline,
    /// The optimizing JIT only.
    Opt,
    /// Start in the interpreter and tier up hot functions.
    Tiered,
}

impl From<TierArg> for TierMode {
    fn from(tier: TierArg) -> TierMode {
        match tier {
            TierArg::Interp => TierMode::Interp,
            TierArg::Baseline => TierMode::Baseline,
            TierArg::Opt => TierMode::Optimized,
            TierArg::Tiered => TierMode::Tiered,
        }
    }
}

/// How memory accesses are checked in machine code, as spelled on the command line.
#[derive(ValueEnum, Clone, Copy, Debug)]
enum BoundsArg {
    /// Guard pages: out-of-bounds accesses fault and become traps (fastest).
    Guard,
    /// An explicit compare and branch before every access.
    Explicit,
}

/// `--cache`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CacheArg {
    /// Install the cached optimized code as the module starts; store what is compiled.
    On,
    /// Load a function's cached code when it gets hot; store what is compiled.
    Hot,
    /// Compile every time.
    Off,
}

/// The tiering policy options shared by `run` and `wast`.
#[derive(clap::Args, Debug)]
struct TierOptions {
    /// Execution tier (default: tiered). Forced tiers are strict: every function runs in that
    /// tier or the module is rejected.
    #[arg(long, value_enum)]
    tier: Option<TierArg>,
    /// In tiered mode, compile a function with the baseline JIT after this many calls plus
    /// loop back-edges in the interpreter (default 1000; 1 = at the first opportunity,
    /// with on-stack replacement in the middle of loops).
    #[arg(long, value_name = "N")]
    baseline_after: Option<u32>,
    /// In tiered mode, queue a function for the optimizer (Cranelift, on a background
    /// thread) after this many calls plus loop back-edges in baseline code (or in the
    /// interpreter when baseline is off) (default 10000; 1 = stress).
    #[arg(long, value_name = "N")]
    opt_after: Option<u32>,
    /// Background threads compiling with Cranelift in tiered mode, and threads for eager
    /// compiles in opt mode (default: hardware threads - 1, between 1 and 4).
    #[arg(long, value_name = "N")]
    compile_threads: Option<usize>,
    /// How many functions may wait for the optimizer at once (default 1024).
    #[arg(long, value_name = "N")]
    opt_queue: Option<usize>,
    /// Copies of each small innermost loop's body in optimized code, of which only the
    /// first polls for interrupts (1 to 8; default 1 = no unrolling).
    #[arg(long, value_name = "N")]
    loop_copies: Option<u8>,
    /// Iterations a counted innermost loop of optimized code runs between two interrupt
    /// polls (default 1024; 0 = poll at every loop header).
    #[arg(long, value_name = "N")]
    poll_strip: Option<u32>,
    /// Which tiers a tiered run may use, comma-separated: e.g. `interp,opt`, `baseline,opt`
    /// (default `interp,baseline,opt`). Functions start in the lowest one (compiled eagerly
    /// when the interpreter is not listed).
    #[arg(long, value_name = "LIST")]
    tiers: Option<Tiers>,
    /// How machine code checks memory accesses (default: guard).
    #[arg(long, value_enum, value_name = "MODE")]
    bounds_checks: Option<BoundsArg>,
    /// Turn WebAssembly features on or off, comma-separated, as `wasmtime -W`: `simd`,
    /// `relaxed-simd`, `multi-memory` (each `=y` or `=n`; the name alone means `=y`; all on
    /// by default). Repeatable.
    #[arg(short = 'W', long = "wasm", value_name = "FEATURE[=y|n],...")]
    wasm: Vec<String>,
}

/// The features `-W` can turn on and off.
const WASM_FEATURES: &[&str] = &["simd", "relaxed-simd", "multi-memory"];

impl TierOptions {
    fn config(&self) -> Result<Config, CliError> {
        let mut config = Config::new();
        if let Some(tier) = self.tier {
            config.tier(tier.into());
        }
        if let Some(n) = self.baseline_after {
            config.baseline_after(n);
        }
        if let Some(n) = self.opt_after {
            config.opt_after(n);
        }
        if let Some(n) = self.compile_threads {
            config.compile_threads(n);
        }
        if let Some(n) = self.opt_queue {
            config.opt_queue_capacity(n);
        }
        if let Some(n) = self.loop_copies {
            config.opt_loop_copies(n);
        }
        if let Some(n) = self.poll_strip {
            config.opt_poll_strip(n);
        }
        if let Some(tiers) = self.tiers {
            config.tiers(tiers);
        }
        if let Some(mode) = self.bounds_checks {
            config.bounds_checks(match mode {
                BoundsArg::Guard => BoundsChecks::Guard,
                BoundsArg::Explicit => BoundsChecks::Explicit,
            });
        }
        for (feature, on) in &self.wasm_features()? {
            match feature.as_str() {
                "simd" => config.wasm_simd(*on),
                "relaxed-simd" => config.wasm_relaxed_simd(*on),
                "multi-memory" => config.wasm_multi_memory(*on),
                _ => unreachable!("checked by wasm_features"),
            };
        }
        Ok(config)
    }

    /// The `-W` settings as `(feature, on)` pairs.
    fn wasm_features(&self) -> Result<Vec<(String, bool)>, CliError> {
        let mut out = Vec::new();
        for item in self.wasm.iter().flat_map(|list| list.split(',')) {
            let (name, value) = item.split_once('=').unwrap_or((item, "y"));
            let on = match value {
                "y" | "yes" | "true" => true,
                "n" | "no" | "false" => false,
                _ => return Err(CliError::Usage(format!("-W {item}: expected `=y` or `=n`"))),
            };
            if !WASM_FEATURES.contains(&name) {
                return Err(CliError::Usage(format!(
                    "-W {name}: unknown WebAssembly feature (known: {})",
                    WASM_FEATURES.join(", ")
                )));
            }
            out.push((name.to_string(), on));
        }
        Ok(out)
    }
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    tiers: TierOptions,
    /// Call this export instead of `_start`, and print its results.
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,
    /// Interrupt execution after this many seconds (fractions allowed), also while the guest
    /// waits in a WASI call.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Deliver --timeout as an epoch deadline (a thread advances the engine's epoch every
    /// 10 ms) instead of through an interrupt handle.
    #[arg(long)]
    epoch_interruption: bool,
    /// Meter the guest with N units of fuel (one per wasm instruction but nop, drop, block,
    /// loop, end and else); running out traps with `all fuel consumed by WebAssembly`, at the
    /// same instruction in every tier.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Cap on the size of any linear memory, in 64 KiB pages.
    #[arg(long, value_name = "N")]
    max_memory_pages: Option<u32>,
    #[command(flatten)]
    limits: LimitOptions,
    /// Size of the wasm stack, in bytes (default 8 MiB). It bounds the call depth of every
    /// tier: a depth that succeeds in the interpreter succeeds in machine code too.
    #[arg(long, value_name = "BYTES")]
    max_wasm_stack: Option<usize>,
    /// Cap on the machine code of all modules together, in bytes (default 1 GiB). Forced
    /// tiers fail to compile beyond it; in tiered mode functions stay in their tier.
    #[arg(long, value_name = "BYTES")]
    max_code_memory: Option<usize>,
    /// The code cache: keep each function the optimizer compiles on disk, for the next run
    /// of the same module (same bytes, same options, same tierup build and CPU). `on`
    /// (default, as `wasmtime run`'s cache): a background worker installs the cached code
    /// as the module starts, so functions that got hot before start optimized; `hot`: load a
    /// function's cached code only when it gets hot again, in place of compiling it; `off`:
    /// compile every time.
    #[arg(long, value_enum, value_name = "MODE", default_value = "on")]
    cache: CacheArg,
    /// The code cache's directory (default `$TIERUP_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/tierup`, else `~/.cache/tierup`).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// The most the code cache's directory may hold (bytes, or with a suffix K, M, G: powers
    /// of 1024; default 1G). A run that writes to the cache removes the least recently used
    /// modules' files beyond it (`tierup cache prune` does the same by hand).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    cache_max_size: Option<u64>,
    /// Grant the guest access to a host directory (read-write), seen by the guest as GUEST
    /// (default: HOST as written). Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Pass an environment variable to the guest: `NAME=VALUE`, or `NAME` to pass this
    /// process's value through. Repeatable.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    envs: Vec<OsString>,
    /// After the run, print what the runtime did to stderr: time per phase and, per tier,
    /// how many functions reached it with their bytes and compile time.
    #[arg(long)]
    stats: bool,
    /// After the run, write the phase times, every tier event (function, tier, bytes, compile
    /// time, when) and the tier timeline (each function's tier intervals, on-stack
    /// replacements, compile intervals per thread, failures) as JSON to FILE. Its fields are
    /// documented in docs/stats-schema.md.
    #[arg(long, value_name = "FILE")]
    stats_json: Option<PathBuf>,
    /// The module to run (`.wasm` binary or `.wat` text), then its arguments: the program's
    /// `argv[1..]`, or with `--invoke` the function's arguments, parsed by its parameter
    /// types. Everything after FILE belongs to the program, options included.
    #[arg(
        value_name = "FILE [ARGS]...",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    module_and_args: Vec<OsString>,
}

/// The store's resource limits (`tierup_runtime::StoreLimits`): what one run of a guest may
/// allocate. Sizes in bytes take a `K`, `M` or `G` suffix (binary: `64K` = 65536).
#[derive(clap::Args, Debug)]
struct LimitOptions {
    /// Cap on the size of each linear memory, in bytes (default: none beyond wasm32's 4 GiB
    /// and --max-memory-pages). Growth beyond it makes `memory.grow` return -1.
    #[arg(long, value_name = "BYTES", value_parser = parse_size_usize)]
    max_memory_size: Option<usize>,
    /// Cap on the elements of each table (default: the engine's 10000000).
    #[arg(long, value_name = "N")]
    max_table_elements: Option<usize>,
    /// Cap on the bytes of all linear memories together. The default, one full wasm32
    /// memory, keeps a guest from multiplying the per-memory size with many memories.
    #[arg(long, value_name = "BYTES", value_parser = parse_size_usize, default_value = "4G")]
    max_total_memory: usize,
    /// Cap on the elements of all tables together. The default (80 MB of 8-byte table
    /// slots) keeps a guest from multiplying the per-table cap with many tables.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TOTAL_TABLE_ELEMENTS)]
    max_total_table_elements: usize,
    /// Cap on the number of instances.
    #[arg(long, value_name = "N", default_value_t = tierup_runtime::limits::DEFAULT_INSTANCE_LIMIT)]
    max_instances: usize,
    /// Cap on the number of tables.
    #[arg(long, value_name = "N", default_value_t = tierup_runtime::limits::DEFAULT_TABLE_LIMIT)]
    max_tables: usize,
    /// Cap on the number of linear memories (each reserves 4 GiB of address space plus
    /// guard pages).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_MEMORIES)]
    max_memories: usize,
    /// Make a refused `memory.grow` or `table.grow` trap instead of returning -1.
    #[arg(long)]
    trap_on_grow_failure: bool,
}

/// Default of `--max-total-table-elements`: 10M slots of 8 bytes (80 MB), the engine's cap
/// for one table, for all tables together.
const DEFAULT_TOTAL_TABLE_ELEMENTS: usize = 10_000_000;
/// Default of `--max-memories`.
const DEFAULT_MAX_MEMORIES: usize = 100;

impl LimitOptions {
    fn store_limits(&self) -> StoreLimits {
        let mut builder = StoreLimitsBuilder::new()
            .total_memory_size(self.max_total_memory)
            .total_table_elements(self.max_total_table_elements)
            .instances(self.max_instances)
            .tables(self.max_tables)
            .memories(self.max_memories)
            .trap_on_grow_failure(self.trap_on_grow_failure);
        if let Some(bytes) = self.max_memory_size {
            builder = builder.memory_size(bytes);
        }
        if let Some(n) = self.max_table_elements {
            builder = builder.table_elements(n);
        }
        builder.build()
    }
}

/// A size in bytes: digits with an optional binary suffix `K`, `M`, `G`, `T` (also `KiB`,
/// `MiB`, ..., or `KB`, `MB`, ..., all powers of 1024).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &text[digits.len()..];
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "unknown size suffix `{suffix}` (expected K, M, G or T)"
            ));
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size in bytes (e.g. 65536, 64K, 16M, 1G)"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("size `{text}` is too large"))
}

/// [`parse_size`], for a size the host's address space must hold.
fn parse_size_usize(text: &str) -> Result<usize, String> {
    parse_size(text)
        .and_then(|n| usize::try_from(n).map_err(|_| format!("size `{text}` is too large")))
}

/// The data of `tierup run`'s store: the WASI context and the resource limits.
struct Host {
    wasi: WasiCtx,
    limits: StoreLimits,
}

#[derive(clap::Args, Debug)]
struct WastArgs {
    #[command(flatten)]
    tiers: TierOptions,
    /// The scripts to run.
    #[arg(value_name = "FILE.wast", required = true)]
    files: Vec<PathBuf>,
}

/// Why a command failed; decides the message and the exit code.
enum CliError {
    /// An error from the runtime, with what we were doing when it happened.
    Runtime { context: String, error: Error },
    /// A problem detected by the CLI itself (a missing export, a bad argument).
    Message(String),
    /// A malformed command line that clap could not catch (exit code 2, as clap's own).
    Usage(String),
}

impl CliError {
    fn runtime(context: impl Into<String>) -> impl FnOnce(Error) -> CliError {
        let context = context.into();
        move |error| CliError::Runtime { context, error }
    }

    /// Prints the error to stderr and returns the exit code for it.
    fn report(self, timeout: Option<Duration>) -> ExitCode {
        match self {
            CliError::Runtime { error, context } => {
                if let Some(I32Exit(status)) = error.downcast_ref::<I32Exit>() {
                    // `proc_exit`: the program chose its exit code (0..126).
                    return ExitCode::from(*status as u8);
                }
                if let Error::TierUnavailable(mode) = &error {
                    eprintln!(
                        "error: tier `{mode}` is not available on this machine (machine code needs x86-64 Linux with SSE4.1 and POPCNT)"
                    );
                    return ExitCode::from(EXIT_TIER_UNAVAILABLE);
                }
                if let Some(trap) = error.as_trap() {
                    eprintln!("error: {trap}");
                    if let (Some(timeout), tierup_runtime::TrapCode::Interrupted) =
                        (timeout, trap.code())
                    {
                        eprintln!(
                            "note: execution was interrupted by --timeout after {}s",
                            timeout.as_secs_f64()
                        );
                    }
                    return ExitCode::from(EXIT_TRAP);
                }
                if context.is_empty() {
                    eprintln!("error: {error}");
                } else {
                    eprintln!("error: {context}: {error}");
                }
                ExitCode::FAILURE
            }
            CliError::Message(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
            CliError::Usage(message) => {
                eprintln!("error: {message}");
                ExitCode::from(EXIT_USAGE)
            }
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => {
            let timeout = args
                .timeout
                .and_then(|s| Duration::try_from_secs_f64(s).ok());
            match run(*args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => e.report(timeout),
            }
        }
        Command::Wast(args) => match wast(args) {
            Ok(code) => code,
            Err(e) => e.report(None),
        },
        Command::Explore(args) => explore::explore(args),
        Command::Lab(args) => lab::main(*args),
        Command::Cache(args) => cache::main(args),
    }
}

/// Wall time of the phases of `tierup run`.
struct Phases {
    /// Reading, decoding and validating the module.
    load: Duration,
    /// Instantiating it (with WASI linking).
    instantiate: Duration,
    /// Running `_start` or the invoked function.
    run: Duration,
}

/// Prints the `--stats` summary and writes the `--stats-json` file, if requested.
fn report_stats(
    module: &Module,
    phases: &Phases,
    summary: bool,
    json: Option<&std::path::Path>,
) -> Result<(), CliError> {
    if !summary && json.is_none() {
        return Ok(());
    }
    let stats = module.stats();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    if summary {
        eprintln!(
            "tierup stats: load+validate {:.3} ms, instantiate {:.3} ms, run {:.3} ms",
            ms(phases.load),
            ms(phases.instantiate),
            ms(phases.run)
        );
        eprint!("{}", stats.summary());
    }
    if let Some(path) = json {
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        // The document's layout is docs/stats-schema.md.
        let text = format!(
            "{{\"schema_version\":{},\"phases\":{{\"load_us\":{:.1},\"instantiate_us\":{:.1},\"run_us\":{:.1}}},\"stats\":{}}}\n",
            tierup_runtime::stats::SCHEMA_VERSION,
            us(phases.load),
            us(phases.instantiate),
            us(phases.run),
            stats.to_json()
        );
        std::fs::write(path, text)
            .map_err(|e| CliError::Message(format!("cannot write `{}`: {e}", path.display())))?;
    }
    Ok(())
}

/// How often `--epoch-interruption` advances the epoch.
const EPOCH_TICK: Duration = Duration::from_millis(10);

fn run(args: RunArgs) -> Result<(), CliError> {
    let mut config = args.tiers.config()?;
    if let Some(pages) = args.max_memory_pages {
        config.max_memory_pages(pages);
    }
    if let Some(bytes) = args.max_wasm_stack {
        config.max_wasm_stack(bytes);
    }
    config.consume_fuel(args.fuel.is_some());
    config.epoch_interruption(args.epoch_interruption);
    if let Some(bytes) = args.max_code_memory {
        config.max_code_memory(bytes);
    }
    if args.cache != CacheArg::Off {
        config
            .code_cache(
                args.cache_dir
                    .clone()
                    .or_else(tierup_runtime::default_code_cache_dir),
            )
            .code_cache_warm_start(args.cache == CacheArg::On);
        if let Some(bytes) = args.cache_max_size {
            config.code_cache_max_size(bytes);
        }
    }
    let timeout = match args.timeout {
        None => None,
        Some(secs) => match Duration::try_from_secs_f64(secs) {
            Ok(d) if !d.is_zero() => Some(d),
            _ => {
                return Err(CliError::Message(format!(
                    "invalid --timeout `{secs}`: expected a positive number of seconds"
                )));
            }
        },
    };

    let (file, program_args) = args
        .module_and_args
        .split_first()
        .expect("clap requires FILE");
    let file = PathBuf::from(file);
    // `FILE -- ARGS`: a `--` right after FILE still just ends the options (ARGS such as `-7`
    // are never options anyway, but scripts written that way keep working).
    let program_args = match program_args.split_first() {
        Some((first, rest)) if first == "--" => rest,
        _ => program_args,
    };
    // The engine, module and store are never dropped: the process ends with this run, and
    // dropping the engine would join the optimizer's workers, which may be in the middle of a
    // compile (or of warming up) whose code nothing will run. A short-lived program (or one
    // that calls `proc_exit`) would wait for it. The OS reclaims everything at exit.
    let engine = ManuallyDrop::new(Engine::new(&config).map_err(CliError::runtime(""))?);
    let load_start = Instant::now();
    let module = ManuallyDrop::new(Module::from_file(&engine, &file).map_err(
        CliError::runtime(format!("failed to load `{}`", file.display())),
    )?);
    let load_time = load_start.elapsed();
    let mut uses_wasi = false;
    for import in module.imports() {
        if import.module() == wasi::MODULE && wasi::PREVIEW1_FUNCTIONS.contains(&import.name()) {
            uses_wasi = true;
            continue;
        }
        let what = if import.module() == wasi::MODULE {
            "unknown WASI preview 1 function"
        } else {
            "unsupported import"
        };
        return Err(CliError::Message(format!(
            "{what} `{}::{}` (tierup provides only `{}`)",
            import.module(),
            import.name(),
            wasi::MODULE
        )));
    }

    let ctx = wasi_ctx(&file, program_args, &args.dirs, &args.envs)?;
    let limits = args.limits.store_limits();
    let mut store_holder = ManuallyDrop::new(Store::new(&engine, Host { wasi: ctx, limits }));
    let store: &mut Store<Host> = &mut store_holder;
    store.limiter(|host| &mut host.limits);
    if let Some(fuel) = args.fuel {
        store.set_fuel(fuel).map_err(CliError::runtime(""))?;
    }
    match timeout {
        Some(timeout) if args.epoch_interruption => {
            let ticks = timeout.as_nanos().div_ceil(EPOCH_TICK.as_nanos());
            store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
            let engine = engine.clone();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            });
        }
        Some(timeout) => {
            let handle = store.interrupt_handle();
            std::thread::spawn(move || {
                std::thread::sleep(timeout);
                handle.interrupt();
            });
        }
        None => {}
    }
    let instantiate_start = Instant::now();
    let instance = if uses_wasi {
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker, |host: &mut Host| &mut host.wasi)
            .map_err(CliError::runtime("linking WASI failed"))?;
        linker.instantiate(&mut *store, &module)
    } else {
        Instance::new(&mut *store, &module, &[])
    }
    .map_err(CliError::runtime("instantiation failed"))?;
    let instantiate_time = instantiate_start.elapsed();

    let (name, func) = match &args.invoke {
        Some(name) => (name.as_str(), exported_func(&mut *store, instance, name)?),
        None => match instance.get_func(&mut *store, "_start") {
            Some(func) => ("_start", func),
            None => {
                return Err(CliError::Message(
                    "module has no `_start` export; use --invoke".into(),
                ));
            }
        },
    };

    // Without --invoke, ARGS are only the program's argv.
    let invoke_args = match args.invoke {
        None => Vec::new(),
        Some(_) => program_args
            .iter()
            .map(|a| {
                a.to_str().map(str::to_owned).ok_or_else(|| {
                    CliError::Message(format!("argument `{}` is not valid UTF-8", a.display()))
                })
            })
            .collect::<Result<Vec<String>, _>>()?,
    };
    let ty = func.ty(&*store);
    if ty.params().len() != invoke_args.len() {
        return Err(CliError::Message(format!(
            "`{name}` expects {} argument(s) ({}), but {} were given",
            ty.params().len(),
            type_list(ty.params()),
            invoke_args.len()
        )));
    }
    let params = ty
        .params()
        .iter()
        .zip(&invoke_args)
        .enumerate()
        .map(|(i, (ty, text))| parse_arg(*ty, text, i))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::Message)?;
    let mut results: Vec<Val> = ty.results().iter().map(|ty| Val::default_of(*ty)).collect();
    let run_start = Instant::now();
    let outcome = func.call(&mut *store, &params, &mut results);
    let phases = Phases {
        load: load_time,
        instantiate: instantiate_time,
        run: run_start.elapsed(),
    };
    // The module is never dropped (above): what its compiles added to the code cache since
    // the optimizer last went idle is written now.
    module.save_code_cache();
    report_stats(&module, &phases, args.stats, args.stats_json.as_deref())?;
    if args.stats
        && let (Some(given), Ok(left)) = (args.fuel, store.get_fuel())
    {
        eprintln!("fuel: {} consumed, {left} left", given - left);
    }
    outcome.map_err(CliError::runtime(format!("calling `{name}` failed")))?;

    if args.invoke.is_some() {
        for value in &results {
            println!("{}", format_val(value));
        }
    }
    Ok(())
}

/// The WASI context of `tierup run`: `argv` = FILE as given then ARGS, inherited stdio, the
/// granted directories and environment variables.
fn wasi_ctx(
    file: &std::path::Path,
    program_args: &[OsString],
    dirs: &[String],
    envs: &[OsString],
) -> Result<WasiCtx, CliError> {
    use std::os::unix::ffi::OsStrExt;
    let mut builder = WasiCtx::builder();
    builder
        .arg(file.as_os_str().as_bytes())
        .args(program_args.iter().map(|a| a.as_bytes()))
        .inherit_stdio();
    for env in envs {
        let bytes = env.as_bytes();
        match bytes.iter().position(|&b| b == b'=') {
            Some(eq) => {
                builder.env(&bytes[..eq], &bytes[eq + 1..]);
            }
            None => {
                if let Some(value) = std::env::var_os(env) {
                    builder.env(bytes, value.as_bytes());
                }
            }
        }
    }
    for dir in dirs {
        let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
        builder.preopened_dir(host, guest).map_err(|e| {
            CliError::Message(format!("failed to open directory `{host}` (--dir): {e}"))
        })?;
    }
    Ok(builder.build())
}

/// The function export `name`, or a clear error.
fn exported_func<T>(
    store: &mut Store<T>,
    instance: Instance,
    name: &str,
) -> Result<Func, CliError> {
    match instance.get_export(&mut *store, name) {
        None => Err(CliError::Message(format!(
            "module has no export named `{name}`"
        ))),
        Some(export) => export
            .into_func()
            .ok_or_else(|| CliError::Message(format!("export `{name}` is not a function"))),
    }
}

/// Parses the command-line argument `text` as a value of type `ty`.
fn parse_arg(ty: ValType, text: &str, index: usize) -> Result<Val, String> {
    let bad = || format!("argument {} (`{text}`) is not a valid {ty}", index + 1);
    Ok(match ty {
        ValType::I32 => match text.parse::<i32>() {
            Ok(v) => Val::I32(v),
            // Also accept the unsigned spelling of the same bits (e.g. 4294967295).
            Err(_) => Val::I32(text.parse::<u32>().map_err(|_| bad())? as i32),
        },
        ValType::I64 => match text.parse::<i64>() {
            Ok(v) => Val::I64(v),
            Err(_) => Val::I64(text.parse::<u64>().map_err(|_| bad())? as i64),
        },
        ValType::F32 => Val::F32(text.parse::<f32>().map_err(|_| bad())?.to_bits()),
        ValType::F64 => Val::F64(text.parse::<f64>().map_err(|_| bad())?.to_bits()),
        // The 128 bits as an unsigned integer, decimal or `0x` hexadecimal (lane 0 lowest).
        ValType::V128 => {
            let bits = match text.strip_prefix("0x") {
                Some(hex) => u128::from_str_radix(&hex.replace('_', ""), 16),
                None => text.parse::<u128>(),
            };
            Val::V128(V128::from(bits.map_err(|_| bad())?))
        }
        ValType::FuncRef | ValType::ExternRef => {
            if text != "null" {
                return Err(format!(
                    "argument {} (`{text}`): a {ty} can only be passed as `null` from the command line",
                    index + 1
                ));
            }
            Val::default_of(ty)
        }
    })
}

/// Formats a result the way `wasmtime run --invoke` prints it.
fn format_val(value: &Val) -> String {
    match value {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        // As `wasmtime run --invoke`: the 128 bits as an unsigned integer.
        Val::V128(v) => v.as_u128().to_string(),
        Val::FuncRef(None) | Val::ExternRef(None) => "null".into(),
        Val::FuncRef(Some(_)) => "<funcref>".into(),
        Val::ExternRef(Some(_)) => "<externref>".into(),
    }
}

fn type_list(types: &[ValType]) -> String {
    if types.is_empty() {
        return "none".into();
    }
    types
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn wast(args: WastArgs) -> Result<ExitCode, CliError> {
    let config = args.tiers.config()?;
    // Fail fast (exit 2) when the tier is unavailable, instead of failing every file.
    Engine::new(&config).map_err(CliError::runtime(""))?;
    let (mut passed, mut failed) = (0, 0);
    for file in &args.files {
        let report = run_wast_file(file, &config);
        println!(
            "{}: {} passed, {} failed",
            report.file, report.passed, report.failed
        );
        for failure in &report.failures {
            println!("    {failure}");
        }
        passed += report.passed;
        failed += report.failed;
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
