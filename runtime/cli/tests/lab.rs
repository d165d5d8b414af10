//! `tierup lab` end to end, on the tiny corpus of `tests/fixtures/lab/` (`dir/`: four WASI
//! commands, one of them with a deliberately wrong `.expected`; `manifest/lab.toml`: an
//! `--invoke` call and a command run in another directory): the md, csv and html reports
//! agree with results.json, a wrong answer is `wrong-output` and never timed, a missing
//! external engine is skipped with a message, `--sweep` makes one strategy per value, a hung
//! program is a `timeout`, and the report has one `<svg` per plot (and, where Debian's
//! chromium is installed, renders them).

use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tierup_tests::{CliOutput, ScratchDir, fixture, run_cli, scratch_dir};

const PRESETS: &[&str] = &[
    "interp",
    "baseline",
    "opt",
    "tiered",
    "cached",
    "eager",
    "interp-opt",
    "baseline-opt",
];

fn tierup() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tierup"))
}

/// The out directory of a `tierup lab` run (`lab-out` in a scratch directory, which the lab
/// creates); it dereferences to the directory's path and is removed with its scratch
/// directory when dropped.
struct LabOut {
    path: PathBuf,
    _scratch: ScratchDir,
}

impl Deref for LabOut {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

/// Runs `tierup lab ARGS --out <scratch> CORPUS`; returns the output and the out directory.
fn lab(args: &[&str], corpus: &Path) -> (CliOutput, LabOut) {
    let scratch = scratch_dir();
    let out = scratch.join("lab-out");
    let mut all: Vec<String> = vec!["lab".into()];
    all.extend(args.iter().map(|a| (*a).to_string()));
    all.push("--out".into());
    all.push(out.display().to_string());
    all.push(corpus.display().to_string());
    let output = run_cli(tierup(), &all);
    (
        output,
        LabOut {
            path: out,
            _scratch: scratch,
        },
    )
}

fn read_json(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("results.json")).expect("results.json");
    serde_json::from_str(&text).expect("results.json is JSON")
}

fn records(json: &Value) -> &Vec<Value> {
    json["results"].as_array().expect("results array")
}

fn record<'a>(json: &'a Value, module: &str, strategy: &str) -> &'a Value {
    records(json)
        .iter()
        .find(|r| r["module"] == module && r["strategy"] == strategy)
        .unwrap_or_else(|| panic!("no record for {module} / {strategy}"))
}

fn strategy_names(json: &Value) -> Vec<String> {
    json["strategies"]
        .as_array()
        .expect("strategies")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect()
}

fn median(record: &Value, measure: &str) -> Option<f64> {
    record["measures"][measure]["median"].as_f64()
}

/// A table cell or csv field as a number (`None` when empty).
fn cell(text: &str) -> Option<f64> {
    let text = text.trim();
    (!text.is_empty()).then(|| {
        text.parse()
            .unwrap_or_else(|_| panic!("`{text}` is not a number"))
    })
}

/// How many plots report.html must have: normalized times, compile vs run, one per sweep
/// flag, one per module that has tier events.
fn expected_plots(json: &Value) -> usize {
    let mut flags: Vec<&str> = json["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["sweep"]["flag"].as_str())
        .collect();
    flags.dedup();
    let modules = json["modules"].as_array().unwrap();
    let with_events = modules
        .iter()
        .filter(|m| {
            records(json).iter().any(|r| {
                r["module"] == **m
                    && (r["events"].as_array().is_some_and(|e| !e.is_empty())
                        || !r["timeline"].is_null())
            })
        })
        .count();
    2 + flags.len() + with_events
}

/// Checks that results.md, results.csv and report.html print the JSON's numbers.
fn check_reports_match_json(out: &Path, json: &Value) {
    // results.md: the Results table, one row per record.
    let md = std::fs::read_to_string(out.join("results.md")).expect("results.md");
    let table = md
        .split("## Results")
        .nth(1)
        .expect("a Results section")
        .split("\n\n##")
        .next()
        .unwrap();
    let mut rows = 0;
    let columns = [
        (3, "wall_ms"),
        (7, "cpu_ms"),
        (8, "max_rss_kib"),
        (9, "first_byte_ms"),
        (10, "compile_ms"),
        (11, "run_ms"),
    ];
    for line in table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| module"))
    {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let r = record(json, cells[0], cells[1]);
        assert_eq!(cells[2], r["status"].as_str().unwrap(), "{line}");
        for (col, measure) in columns {
            assert_eq!(cell(cells[col]), median(r, measure), "md {measure}: {line}");
        }
        assert_eq!(
            cell(cells[4]),
            r["measures"]["wall_ms"]["min"].as_f64(),
            "{line}"
        );
        assert_eq!(
            cell(cells[5]),
            r["measures"]["wall_ms"]["max"].as_f64(),
            "{line}"
        );
        assert_eq!(cell(cells[6]), r["ratio_to_baseline"].as_f64(), "{line}");
        rows += 1;
    }
    assert_eq!(rows, records(json).len(), "one md row per record");

    // results.csv: every `*_median` column of every row.
    let csv = std::fs::read_to_string(out.join("results.csv")).expect("results.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let mut rows = 0;
    for line in lines {
        // The fixtures' names and messages need no csv quoting up to the medians.
        let fields: Vec<&str> = line.split(',').collect();
        let row: BTreeMap<&str, &str> = header.iter().copied().zip(fields).collect();
        let r = record(json, row["module"], row["strategy"]);
        assert_eq!(row["status"], r["status"].as_str().unwrap());
        for (name, value) in &row {
            if let Some(measure) = name.strip_suffix("_median") {
                assert_eq!(cell(value), median(r, measure), "csv {name}: {line}");
            }
        }
        rows += 1;
    }
    assert_eq!(rows, records(json).len(), "one csv row per record");

    // report.html: one <svg per plot, each with content.
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert_eq!(html.matches("<svg").count(), expected_plots(json));
    assert_eq!(html.matches("</svg>").count(), expected_plots(json));
    assert!(!html.contains("plot failed"), "a plot failed to draw");
    // Self-contained: nothing to fetch.
    for outside in ["<script", "<link", " src=", "href="] {
        assert!(!html.contains(outside), "report.html has `{outside}`");
    }
}

#[test]
fn directory_corpus_every_preset_reports_agree_and_wrong_output_is_flagged() {
    let (output, out) = lab(
        &["--runs", "2", "--warmup", "1", "--seed", "7"],
        &fixture("lab/dir"),
    );
    // A wrong answer makes the lab fail, after writing everything.
    assert_eq!(output.code(), Some(1), "stderr:\n{}", output.stderr);
    let json = read_json(&out);
    assert_eq!(
        strategy_names(&json),
        PRESETS,
        "no strategy options: every preset"
    );
    assert_eq!(
        json["modules"],
        serde_json::json!(["count", "hello", "readfile", "wrong"])
    );
    assert_eq!(records(&json).len(), 4 * PRESETS.len());
    for r in records(&json) {
        let module = r["module"].as_str().unwrap();
        if module == "wrong" {
            assert_eq!(r["status"], "wrong-output", "{r}");
            assert_eq!(
                r["measures"],
                serde_json::json!({}),
                "a wrong answer is never timed"
            );
            assert!(r["ratio_to_baseline"].is_null());
        } else {
            assert_eq!(
                r["status"], "ok",
                "{module} / {}: {}",
                r["strategy"], r["message"]
            );
            assert_eq!(r["measured_runs"], 2);
            let runs = r["runs"].as_array().unwrap();
            assert_eq!(runs.len(), 3, "one warm-up and two measured runs");
            assert_eq!(runs.iter().filter(|r| r["warmup"] == true).count(), 1);
            for measure in [
                "wall_ms",
                "cpu_ms",
                "user_ms",
                "sys_ms",
                "max_rss_kib",
                "first_byte_ms",
            ] {
                let m = median(r, measure).unwrap_or_else(|| panic!("{measure} in {r}"));
                assert!(m >= 0.0);
            }
            // tierup's own stats.
            for measure in [
                "load_ms",
                "instantiate_ms",
                "run_ms",
                "compile_ms",
                "funcs_interp",
                "osr_entries",
            ] {
                assert!(
                    median(r, measure).is_some(),
                    "{measure} in {module} / {}",
                    r["strategy"]
                );
            }
        }
    }
    assert!(output.stdout.contains("wrong-output"), "{}", output.stdout);
    // The forced tiers put functions where they say.
    assert!(median(record(&json, "count", "baseline"), "funcs_baseline").unwrap() >= 3.0);
    assert!(median(record(&json, "count", "opt"), "funcs_opt").unwrap() >= 3.0);
    assert_eq!(
        median(record(&json, "count", "interp"), "funcs_opt"),
        Some(0.0)
    );
    // The baseline's ratio is 1 and its geometric mean too.
    assert_eq!(record(&json, "hello", "tiered")["ratio_to_baseline"], 1.0);
    let geomean = json["geomean"].as_array().unwrap();
    assert_eq!(geomean.len(), PRESETS.len());
    assert_eq!(geomean[3]["strategy"], "tiered");
    assert_eq!(geomean[3]["ratio"], 1.0);
    assert_eq!(geomean[3]["modules"], 3);
    check_reports_match_json(&out, &json);
}

#[test]
fn manifest_sweep_custom_strategy_and_external_engines() {
    let engine = format!("self={} run --dir .::. {{module}}", tierup().display());
    let (output, out) = lab(
        &[
            "--runs",
            "1",
            "--warmup",
            "0",
            "--preset",
            "all",
            "--sweep",
            "opt-after=10,1000,100000",
            "--strategy",
            "lazy=--baseline-after 5000 --opt-after \"50000\"",
            "--engine",
            "nope=no-such-engine-xyz run {module} {args}",
            "--engine",
            &engine,
            "--baseline-strategy",
            "opt-after=1000",
        ],
        &fixture("lab/manifest"),
    );
    assert_eq!(
        output.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        output.stdout,
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("skipping engine `nope`: program `no-such-engine-xyz` not found"),
        "{}",
        output.stderr
    );
    let json = read_json(&out);
    assert_eq!(
        strategy_names(&json)[..PRESETS.len()],
        *PRESETS,
        "--preset all"
    );
    assert_eq!(
        strategy_names(&json)[PRESETS.len()..],
        [
            "lazy",
            "opt-after=10",
            "opt-after=1000",
            "opt-after=100000",
            "self"
        ]
    );
    assert_eq!(json["modules"], serde_json::json!(["fib20", "readfile"]));
    let strategies = &json["strategies"].as_array().unwrap()[PRESETS.len()..];
    assert_eq!(
        strategies[0]["command"],
        "tierup run --baseline-after 5000 --opt-after 50000"
    );
    for (i, value) in ["10", "1000", "100000"].iter().enumerate() {
        let s = &strategies[i + 1];
        assert_eq!(s["command"], format!("tierup run --opt-after {value}"));
        assert_eq!(s["sweep"]["flag"], "opt-after");
        assert_eq!(s["sweep"]["value"], *value);
        assert_eq!(s["sweep"]["position"], i);
    }
    assert_eq!(strategies[4]["kind"], "external");
    for r in records(&json) {
        assert_eq!(
            r["status"], "ok",
            "{} / {}: {}",
            r["module"], r["strategy"], r["message"]
        );
    }
    // The external engine (tierup itself, unseen as such) has times but no tier stats; the
    // `--invoke` call reached it as `--invoke fib` before the module.
    let ext = record(&json, "fib20", "self");
    assert!(median(ext, "wall_ms").is_some());
    assert!(median(ext, "compile_ms").is_none());
    assert_eq!(
        record(&json, "readfile", "opt-after=1000")["ratio_to_baseline"],
        1.0
    );
    check_reports_match_json(&out, &json);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"plot-sweep-opt-after\""));
}

#[test]
fn a_hung_program_is_a_timeout() {
    let dir = scratch_dir();
    std::fs::write(
        dir.join("lab.toml"),
        format!(
            "[[module]]\nname = \"spin\"\nfile = \"{}\"\n\n[[module]]\nfile = \"{}\"\nstdout = \"hello, lab\\n\"\n",
            fixture("spin.wat").display(),
            fixture("lab/dir/hello.wat").display()
        ),
    )
    .unwrap();
    let (output, out) = lab(
        &[
            "--preset",
            "interp,tiered",
            "--runs",
            "3",
            "--warmup",
            "0",
            "--timeout",
            "0.3",
        ],
        &dir,
    );
    assert_eq!(output.code(), Some(1), "stderr:\n{}", output.stderr);
    let json = read_json(&out);
    for strategy in ["interp", "tiered"] {
        let spin = record(&json, "spin", strategy);
        assert_eq!(spin["status"], "timeout", "{spin}");
        // The remaining runs of a failed pair are skipped.
        assert_eq!(spin["runs"].as_array().unwrap().len(), 1);
        assert_eq!(record(&json, "hello", strategy)["status"], "ok");
    }
    check_reports_match_json(&out, &json);
}

/// Loads report.html in headless Debian chromium and checks that every plot is in the DOM
/// with drawn content. Skipped (with a message) where `/usr/bin/chromium` is not installed.
#[test]
fn report_renders_in_chromium() {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        // CI installs it (`.ci/run`), so there the check is never skipped.
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing in CI",
            chromium.display()
        );
        println!("skipped: {} is not installed", chromium.display());
        return;
    }
    let (output, out) = lab(
        &[
            "--preset",
            "tiered,opt",
            "--sweep",
            "opt-after=10,1000",
            "--runs",
            "1",
            "--warmup",
            "0",
        ],
        &fixture("lab/manifest"),
    );
    assert_eq!(output.code(), Some(0), "stderr:\n{}", output.stderr);
    let json = read_json(&out);
    let profile = scratch_dir();
    let report = std::path::absolute(out.join("report.html")).unwrap();
    let dom = run_cli(
        chromium,
        [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            format!("--user-data-dir={}", profile.display()),
            "--dump-dom".into(),
            format!("file://{}", report.display()),
        ],
    );
    assert_eq!(dom.code(), Some(0), "chromium stderr:\n{}", dom.stderr);
    let svgs: Vec<&str> = dom.stdout.split("<svg").skip(1).collect();
    assert_eq!(
        svgs.len(),
        expected_plots(&json),
        "plots in the rendered DOM"
    );
    for svg in svgs {
        let body = svg.split("</svg>").next().unwrap();
        assert!(
            body.matches("<rect").count() + body.matches("<circle").count() >= 2,
            "an empty plot: {body:.300}"
        );
        assert!(body.contains("<text"), "a plot without text");
        assert!(
            body.contains("<polyline") || body.contains("<line"),
            "a plot without lines"
        );
    }
}
