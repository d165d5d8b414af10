//! End-to-end tests of the `tierup` command line (`runtime/cli/src/main.rs`).
//!
//! The binary under test is this package's `tierup`, which Cargo builds before the tests and
//! names in `CARGO_BIN_EXE_tierup`; the fixtures are in `tests/fixtures/`. Every run has a
//! wall-clock limit, so a hang fails the test instead of stalling the suite.

use std::path::Path;

use tierup_tests::{CliOutput, ScratchDir, fixture, run_cli, scratch_dir};

#[path = "../../tests/support/stats_schema.rs"]
mod stats_schema;

fn tierup<I, S>(args: I) -> CliOutput
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    run_cli(Path::new(env!("CARGO_BIN_EXE_tierup")), args)
}

fn fixture_str(name: &str) -> String {
    fixture(name).display().to_string()
}

/// Asserts a successful run and returns its stdout.
#[track_caller]
fn success(out: CliOutput) -> String {
    assert_eq!(
        out.code(),
        Some(0),
        "expected success; stdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    out.stdout
}

/// Asserts a failed run that exited normally (not by a signal) with `code`.
#[track_caller]
fn failure(out: &CliOutput, code: i32) {
    assert_eq!(
        out.code(),
        Some(code),
        "expected exit code {code}; stdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
}

#[test]
fn invoke_prints_the_result() {
    let out = tierup(["run", "--invoke", "fib", &fixture_str("fib.wat"), "25"]);
    assert_eq!(success(out), "75025\n");
}

#[test]
fn binary_module_works_the_same() {
    let wasm = wat::parse_file(fixture("fib.wat")).expect("fixture parses");
    let dir = scratch_dir();
    let path = dir.join("fib.wasm");
    std::fs::write(&path, wasm).expect("write fib.wasm");
    let path = path.display().to_string();
    let out = tierup(["run", "--invoke", "fib", &path, "25"]);
    assert_eq!(success(out), "75025\n");
}

#[test]
fn arguments_follow_parameter_types() {
    let fib = fixture_str("fib.wat");
    // Negative numbers are arguments, not options.
    let out = tierup(["run", "--invoke", "neg_i64", &fib, "-5"]);
    assert_eq!(success(out), "5\n");
    let out = tierup(["run", "--invoke", "add_f64", &fib, "1.5", "inf"]);
    assert_eq!(success(out), "inf\n");
    let out = tierup(["run", "--invoke", "div_f32", &fib, "1", "4"]);
    assert_eq!(success(out), "0.25\n");
    let out = tierup(["run", "--invoke", "add_f64", &fib, "nan", "1"]);
    assert_eq!(success(out), "NaN\n");
    // `--` ends the options.
    let out = tierup(["run", "--invoke", "neg_i64", &fib, "--", "-7"]);
    assert_eq!(success(out), "7\n");
}

#[test]
fn every_result_is_printed_on_its_own_line() {
    let out = tierup(["run", "--invoke", "pair", &fixture_str("fib.wat"), "7"]);
    assert_eq!(success(out), "7\n1.5\n");
    let out = tierup(["run", "--invoke", "null_ref", &fixture_str("fib.wat")]);
    assert_eq!(success(out), "null\n");
}

#[test]
fn wrong_arguments_are_clear_errors() {
    let fib = fixture_str("fib.wat");
    let out = tierup(["run", "--invoke", "fib", &fib]);
    failure(&out, 1);
    assert!(out.stderr.contains("expects 1 argument"), "{}", out.stderr);
    let out = tierup(["run", "--invoke", "fib", &fib, "1", "2"]);
    failure(&out, 1);
    assert!(out.stderr.contains("but 2 were given"), "{}", out.stderr);
    let out = tierup(["run", "--invoke", "fib", &fib, "abc"]);
    failure(&out, 1);
    assert!(out.stderr.contains("not a valid i32"), "{}", out.stderr);
}

/// `v128` arguments are 128-bit unsigned integers (decimal or `0x` hexadecimal, lane 0 in the
/// low bits) and results print as decimal, as `wasmtime run --invoke` does; in every tier.
#[test]
fn v128_arguments_and_results() {
    let simd = fixture_str("simd.wat");
    for tier in ["interp", "baseline", "opt", "tiered"] {
        let out = tierup([
            "run",
            "--tier",
            tier,
            "--invoke",
            "add_i32x4",
            &simd,
            "0x00000004_00000003_00000002_00000001",
            "0x00000010_00000010_00000010_ffffffff",
        ]);
        let want = (0x14u128 << 96) | (0x13 << 64) | (0x12 << 32);
        assert_eq!(success(out), format!("{want}\n"), "tier {tier}");
        let out = tierup(["run", "--tier", tier, "--invoke", "sum_lanes", &simd, "1"]);
        assert_eq!(success(out), "1\n", "tier {tier}");
        // (1 + 2^-23)(1 - 2^-23) - 1: 0 rounded twice, -2^-46 fused.
        let out = tierup([
            "run",
            "--tier",
            tier,
            "--invoke",
            "madd",
            &simd,
            "1.00000011920928955078125",
            "0.99999988079071044921875",
            "-1",
        ]);
        assert_eq!(success(out), "0\n", "tier {tier}");
    }
    let out = tierup([
        "run",
        "--invoke",
        "sum_lanes",
        &simd,
        "0x1_0000_0000_0000_0000_0000_0000_0000_0000",
    ]);
    failure(&out, 1);
    assert!(out.stderr.contains("not a valid v128"), "{}", out.stderr);
}

/// `-W` turns features off (and back on); a module needing one that is off is rejected with
/// wasmparser's message and the offset, and an unknown feature is a usage error.
#[test]
fn wasm_features_can_be_turned_off() {
    let simd = fixture_str("simd.wat");
    let out = tierup(["run", "-W", "simd=n", "--invoke", "sum_lanes", &simd, "1"]);
    failure(&out, 1);
    assert!(
        out.stderr.contains("SIMD support is not enabled"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("offset"), "{}", out.stderr);
    let out = tierup([
        "run",
        "-W",
        "relaxed-simd=n",
        "--invoke",
        "madd",
        &simd,
        "1",
        "1",
        "1",
    ]);
    failure(&out, 1);
    assert!(out.stderr.contains("not enabled"), "{}", out.stderr);
    let out = tierup([
        "run",
        "-W",
        "simd=n",
        "-W",
        "simd",
        "--invoke",
        "sum_lanes",
        &simd,
        "7",
    ]);
    assert_eq!(success(out), "7\n");
    let out = tierup(["run", "-W", "threads", "--invoke", "sum_lanes", &simd, "7"]);
    failure(&out, 2);
    assert!(
        out.stderr.contains("unknown WebAssembly feature"),
        "{}",
        out.stderr
    );
}

#[test]
fn start_runs_without_output() {
    let out = tierup(["run", &fixture_str("start.wat")]);
    assert_eq!(success(out), "");
}

#[test]
fn missing_start_asks_for_invoke() {
    let out = tierup(["run", &fixture_str("fib.wat")]);
    failure(&out, 1);
    assert!(
        out.stderr
            .contains("module has no `_start` export; use --invoke"),
        "{}",
        out.stderr
    );
}

#[test]
fn missing_export_is_a_clear_error() {
    let out = tierup(["run", "--invoke", "nope", &fixture_str("fib.wat")]);
    failure(&out, 1);
    assert!(
        out.stderr.contains("no export named `nope`"),
        "{}",
        out.stderr
    );
    let out = tierup(["run", "--invoke", "answer", &fixture_str("fib.wat")]);
    failure(&out, 1);
    assert!(
        out.stderr.contains("`answer` is not a function"),
        "{}",
        out.stderr
    );
}

#[test]
fn malformed_module_reports_a_byte_offset() {
    // A type section that claims one entry and then ends.
    let dir = scratch_dir();
    let path = dir.join("truncated.wasm");
    std::fs::write(&path, b"\0asm\x01\0\0\0\x01\x05\x01\x60").expect("write truncated.wasm");
    let out = tierup(["run", "--invoke", "f", &path.display().to_string()]);
    failure(&out, 1);
    assert!(
        out.stderr.to_lowercase().contains("offset"),
        "no byte offset in: {}",
        out.stderr
    );
}

#[test]
fn invalid_module_is_rejected() {
    let out = tierup(["run", "--invoke", "f", &fixture_str("invalid.wat")]);
    failure(&out, 1);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
}

#[test]
fn imports_are_rejected_before_instantiation() {
    // WASI is provided now (this fixture used to be rejected); any other import is not.
    let dir = scratch_dir();
    let path = dir.join("env_import.wat");
    std::fs::write(
        &path,
        r#"(module (import "env" "host_fn" (func)) (func (export "_start")))"#,
    )
    .expect("write env_import.wat");
    let out = tierup(["run", &path.display().to_string()]);
    failure(&out, 1);
    assert!(
        out.stderr.contains(
            "unsupported import `env::host_fn` (tierup provides only `wasi_snapshot_preview1`)"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn wasi_imports_are_linked() {
    assert_eq!(success(tierup(["run", &fixture_str("wasi.wat")])), "");
}

#[test]
fn unknown_wasi_functions_are_clear_errors() {
    let dir = scratch_dir();
    let path = dir.join("bad_wasi.wat");
    std::fs::write(
        &path,
        r#"(module (import "wasi_snapshot_preview1" "no_such_call" (func)) (func (export "_start")))"#,
    )
    .expect("write bad_wasi.wat");
    let out = tierup(["run", &path.display().to_string()]);
    failure(&out, 1);
    assert!(
        out.stderr
            .contains("unknown WASI preview 1 function `wasi_snapshot_preview1::no_such_call`"),
        "{}",
        out.stderr
    );
}

#[test]
fn options_after_file_belong_to_the_program() {
    // `--tier` after FILE is an argument of the program, not an option of tierup.
    let out = tierup([
        "run",
        "--invoke",
        "fib",
        &fixture_str("fib.wat"),
        "--tier",
        "interp",
    ]);
    failure(&out, 1);
    assert!(out.stderr.contains("but 2 were given"), "{}", out.stderr);
    let out = tierup([
        "run",
        "--",
        "--invoke",
        "fib",
        &fixture_str("fib.wat"),
        "25",
    ]);
    assert_ne!(out.code(), Some(0), "{}", out.stdout);
}

#[test]
fn trap_exits_134_with_a_named_backtrace() {
    let out = tierup(["run", "--invoke", "outer", &fixture_str("trap.wat")]);
    failure(&out, 134);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    for needle in [
        "unreachable",
        "wasm backtrace",
        "inner_fault",
        "middle_layer",
        "outer_entry",
    ] {
        assert!(
            out.stderr.contains(needle),
            "`{needle}` missing in: {}",
            out.stderr
        );
    }
    // Innermost first.
    let inner = out.stderr.find("inner_fault");
    let outer = out.stderr.find("outer_entry");
    assert!(inner < outer, "{}", out.stderr);

    let out = tierup(["run", "--invoke", "div", &fixture_str("trap.wat"), "1", "0"]);
    failure(&out, 134);
    assert!(
        out.stderr.contains("integer divide by zero"),
        "{}",
        out.stderr
    );
}

#[test]
fn every_tier_and_tier_list_runs() {
    let runs: [&[&str]; 6] = [
        &["--tier", "opt"],
        &["--tier", "baseline"],
        &[
            "--tier",
            "tiered",
            "--opt-after",
            "1",
            "--compile-threads",
            "2",
        ],
        &["--tiers", "interp,opt", "--opt-after", "3"],
        &["--tiers", "baseline,opt", "--opt-queue", "1"],
        &["--tiers", "interp,baseline"],
    ];
    for flags in runs {
        let mut args = vec!["run"];
        args.extend_from_slice(flags);
        let fib = fixture_str("fib.wat");
        args.extend_from_slice(&["--invoke", "fib", &fib, "20"]);
        let out = tierup(args);
        assert_eq!(success(out), "6765\n", "{flags:?}");
    }
}

#[test]
fn bad_tier_list_exits_2() {
    let out = tierup([
        "run",
        "--tiers",
        "interp,turbo",
        "--invoke",
        "fib",
        &fixture_str("fib.wat"),
        "5",
    ]);
    failure(&out, 2);
    assert!(
        out.stderr.contains("unknown tier `turbo`"),
        "{}",
        out.stderr
    );
}

#[test]
fn stats_cover_the_optimizer() {
    let out = tierup([
        "run",
        "--tier",
        "opt",
        "--stats",
        "--invoke",
        "fib",
        &fixture_str("fib.wat"),
        "10",
    ]);
    let stderr = out.stderr.clone();
    assert_eq!(success(out), "55\n");
    assert!(stderr.contains("opt "), "{stderr}");
    assert!(stderr.contains("queue wait"), "{stderr}");
}

#[test]
fn interp_tier_runs() {
    let out = tierup([
        "run",
        "--tier",
        "interp",
        "--invoke",
        "fib",
        &fixture_str("fib.wat"),
        "10",
    ]);
    assert_eq!(success(out), "55\n");
}

#[test]
fn timeout_interrupts_an_infinite_loop() {
    let out = tierup(["run", "--timeout", "1", &fixture_str("spin.wat")]);
    let code = out.code();
    assert!(
        code.is_some(),
        "killed by a signal; stderr:\n{}",
        out.stderr
    );
    assert_ne!(code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("interrupted"), "{}", out.stderr);
}

#[test]
fn deep_recursion_exhausts_the_call_stack() {
    let out = tierup(["run", "--invoke", "down", &fixture_str("recurse.wat"), "0"]);
    failure(&out, 134);
    assert!(
        out.stderr.contains("call stack exhausted"),
        "{}",
        out.stderr
    );
    // Tens of thousands of identical frames are elided, not printed.
    assert!(out.stderr.lines().count() < 100, "{}", out.stderr);
    assert!(out.stderr.contains("frames omitted"), "{}", out.stderr);
}

#[test]
fn small_wasm_stack_still_traps_cleanly() {
    let out = tierup([
        "run",
        "--max-wasm-stack",
        "65536",
        "--invoke",
        "down",
        &fixture_str("recurse.wat"),
        "0",
    ]);
    failure(&out, 134);
    assert!(
        out.stderr.contains("call stack exhausted"),
        "{}",
        out.stderr
    );
}

#[test]
fn code_memory_beyond_the_limit_is_a_compile_error_naming_it() {
    let fib = fixture_str("fib.wat");
    for tier in ["baseline", "opt"] {
        let out = tierup([
            "run",
            "--tier",
            tier,
            "--max-code-memory",
            "100",
            "--invoke",
            "fib",
            &fib,
            "10",
        ]);
        failure(&out, 1);
        assert!(
            out.stderr.contains("code memory limit") && out.stderr.contains("100 bytes"),
            "{tier}: {}",
            out.stderr
        );
        let out = tierup([
            "run",
            "--tier",
            tier,
            "--max-code-memory",
            "1048576",
            "--invoke",
            "fib",
            &fib,
            "10",
        ]);
        assert_eq!(success(out), "55\n");
    }
}

#[test]
fn wast_reports_per_file_and_totals() {
    let out = tierup(["wast", &fixture_str("pass.wast")]);
    let stdout = success(out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].ends_with("pass.wast: 5 passed, 0 failed"),
        "{stdout}"
    );
    assert_eq!(lines[1], "5 passed, 0 failed");
}

#[test]
fn wast_failures_are_listed_and_exit_non_zero() {
    let out = tierup(["wast", &fixture_str("pass.wast"), &fixture_str("fail.wast")]);
    failure(&out, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.last(), Some(&"7 passed, 1 failed"), "{}", out.stdout);
    let fail_line = lines
        .iter()
        .position(|l| l.ends_with("fail.wast: 2 passed, 1 failed"))
        .unwrap_or_else(|| panic!("no summary for fail.wast in:\n{}", out.stdout));
    let reason = lines[fail_line + 1];
    assert!(reason.starts_with("    "), "{}", out.stdout);
    assert!(reason.contains("assert_return"), "{}", out.stdout);
    assert!(
        reason.contains("expected i32:5, got i32:4"),
        "{}",
        out.stdout
    );
}

#[test]
fn wast_runs_in_the_optimizing_tier() {
    let out = tierup(["wast", "--tier", "opt", &fixture_str("pass.wast")]);
    let stdout = success(out);
    assert!(stdout.contains("0 failed"), "{stdout}");
}

#[test]
fn stats_json_lists_the_translated_functions() {
    let dir = scratch_dir();
    let json = dir.join("stats.json");
    let out = tierup([
        "run".to_string(),
        "--stats".to_string(),
        "--stats-json".to_string(),
        json.display().to_string(),
        "--invoke".to_string(),
        "fib".to_string(),
        fixture_str("fib.wat"),
        "10".to_string(),
    ]);
    assert!(out.stderr.contains("tierup stats:"), "{}", out.stderr);
    assert_eq!(success(out).trim(), "55");
    let text = std::fs::read_to_string(&json).expect("stats file written");
    for needle in [
        "\"phases\"",
        "\"tier\":\"interp\"",
        "\"name\":\"fib\"",
        "\"compile_us\"",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
}

/// `main`'s one long loop calls `add`, which calls `sq`: with the lowest thresholds its
/// activation moves into baseline code by OSR, and the callees tier up.
const HOT_LOOP_WAT: &str = r#"(module
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $add (param i64 i32) (result i64)
    (i64.add (local.get 0) (i64.extend_i32_u (call $sq (local.get 1)))))
  (func $main (export "main") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (loop $l
      (local.set $acc (call $add (local.get $acc) (i32.and (local.get $i) (i32.const 1023))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))"#;

/// Runs `tierup run` with `options`, `--stats-json` into a scratch file named `json`, and
/// `--invoke main` of [`HOT_LOOP_WAT`] with 100,000 iterations; returns the parsed file after
/// checking it against docs/stats-schema.md.
fn stats_json_of(options: &[&str], json: &str) -> serde_json::Value {
    let (_module_dir, module) = scratch_module(&format!("{json}.wat"), HOT_LOOP_WAT);
    let dir = scratch_dir();
    let path = dir.join(json);
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(options.iter().map(|o| o.to_string()));
    args.extend([
        "--stats-json".into(),
        path.display().to_string(),
        "--invoke".into(),
        "main".into(),
        module,
        "100000".into(),
    ]);
    let expected: u64 = (0..100_000u64).map(|i| (i & 1023) * (i & 1023)).sum();
    assert_eq!(success(tierup(&args)).trim(), expected.to_string());
    let text = std::fs::read_to_string(&path).expect("stats file written");
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("--stats-json output does not parse: {e}\n{text}"));
    assert_eq!(json["schema_version"], 3, "{text}");
    assert_eq!(json["stats"]["schema_version"], 3, "{text}");
    let doc = stats_schema::documented_fields(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/stats-schema.md"
    )));
    let visited = stats_schema::check(&json, "(file)", &doc);
    for path in [
        "(file)",
        "phases",
        "stats.timeline",
        "stats.timeline.compiles[]",
    ] {
        assert!(visited.contains(path), "{path} missing from {text}");
    }
    json
}

/// `--stats-json` of a tiered run carries the tier timeline: each function interp → baseline
/// (→ opt), `main`'s OSR at its loop, and every compile with its thread and intervals.
#[test]
fn stats_json_has_the_tier_timeline() {
    let json = stats_json_of(
        &["--baseline-after", "1", "--opt-after", "2"],
        "timeline.json",
    );
    let timeline = &json["stats"]["timeline"];
    let functions = timeline["functions"].as_array().unwrap();
    assert_eq!(functions.len(), 3, "{timeline}");
    for f in functions {
        let tiers: Vec<&str> = f["tiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tier"].as_str().unwrap())
            .collect();
        assert!(
            tiers == ["interp", "baseline"] || tiers == ["interp", "baseline", "opt"],
            "{f}"
        );
    }
    let osr = timeline["osr"].as_array().unwrap();
    assert_eq!(osr[0]["from"], "interp", "{timeline}");
    assert_eq!(osr[0]["to"], "baseline", "{timeline}");
    assert_eq!(osr[0]["func"], 2, "{timeline}");
    let compiles = timeline["compiles"].as_array().unwrap();
    let sync: Vec<_> = compiles.iter().filter(|c| c["kind"] == "sync").collect();
    assert_eq!(sync.len(), 3, "{timeline}");
    for c in compiles {
        if c["outcome"] == "installed" {
            assert!(c["start_us"].as_f64().unwrap() <= c["end_us"].as_f64().unwrap());
        }
    }
}

/// `--tier opt` reports its eager compiles: one per function, installed.
#[test]
fn stats_json_reports_eager_compiles() {
    let json = stats_json_of(&["--tier", "opt"], "eager.json");
    let timeline = &json["stats"]["timeline"];
    let compiles = timeline["compiles"].as_array().unwrap();
    assert_eq!(compiles.len(), 3, "{timeline}");
    for c in compiles {
        assert_eq!(c["kind"], "eager", "{c}");
        assert_eq!(c["tier"], "opt", "{c}");
        assert_eq!(c["outcome"], "installed", "{c}");
    }
    assert!(timeline["osr"].as_array().unwrap().is_empty());
}

/// Writes `wat` to a file named `name` in a fresh scratch directory; returns the directory
/// (removed when dropped: keep it while the file is used) and the file's path.
fn scratch_module(name: &str, wat: &str) -> (ScratchDir, String) {
    let dir = scratch_dir();
    let path = dir.join(name);
    std::fs::write(&path, wat).expect("write the module");
    (dir, path.display().to_string())
}

/// A module with two memories and two tables, and functions that grow them.
const LIMITS_WAT: &str = r#"(module
  (memory $m 1)
  (memory $n 0)
  (table $a 0 funcref)
  (table $b 0 funcref)
  ;; Grows memory $m twice by the argument; the second result.
  (func (export "grow_twice") (param i32) (result i32)
    (drop (memory.grow $m (local.get 0)))
    (memory.grow $m (local.get 0)))
  ;; Grows $m, then $n, by the argument; the result of $n.
  (func (export "grow_both") (param i32) (result i32)
    (drop (memory.grow $m (local.get 0)))
    (memory.grow $n (local.get 0)))
  ;; Grows both tables by the argument: how many growths succeeded.
  (func (export "grow_tables") (param i32) (result i32)
    (i32.add
      (i32.ne (i32.const -1) (table.grow $a (ref.null func) (local.get 0)))
      (i32.ne (i32.const -1) (table.grow $b (ref.null func) (local.get 0))))))"#;

#[test]
fn limit_flags_make_grow_return_minus_one_in_every_tier() {
    let (_dir, file) = scratch_module("limits.wat", LIMITS_WAT);
    for tier in ["interp", "baseline", "opt", "tiered"] {
        let run = |flags: &[&str], func: &str, arg: &str| {
            let mut args = vec!["run", "--tier", tier];
            args.extend_from_slice(flags);
            args.extend_from_slice(&["--invoke", func, &file, arg]);
            success(tierup(&args))
        };
        // Per memory, in bytes (with a suffix), and the old page cap still works.
        assert_eq!(run(&[], "grow_twice", "1"), "2\n", "{tier}");
        assert_eq!(
            run(&["--max-memory-size", "192K"], "grow_twice", "1"),
            "2\n"
        );
        assert_eq!(
            run(&["--max-memory-size", "128K"], "grow_twice", "1"),
            "-1\n"
        );
        assert_eq!(run(&["--max-memory-pages", "2"], "grow_twice", "1"), "-1\n");
        // All memories together.
        assert_eq!(run(&["--max-total-memory", "3M"], "grow_both", "16"), "0\n");
        assert_eq!(
            run(&["--max-total-memory", "2M"], "grow_both", "16"),
            "-1\n"
        );
        // Per table and all tables together.
        assert_eq!(run(&[], "grow_tables", "1000"), "2\n", "{tier}");
        assert_eq!(
            run(&["--max-table-elements", "999"], "grow_tables", "1000"),
            "0\n"
        );
        let total = ["--max-total-table-elements", "1500"];
        assert_eq!(run(&total, "grow_tables", "1000"), "1\n", "{tier}");
    }
}

/// With the defaults, a guest with many tables cannot make `tierup run` allocate gigabytes:
/// each table may have 10M elements, but all of them together only 10M.
#[test]
fn many_tables_are_bounded_by_default() {
    let mut wat = String::from("(module\n");
    for i in 0..20 {
        wat.push_str(&format!("(table $t{i} 0 funcref)\n"));
    }
    wat.push_str("(func (export \"grow_all\") (param i32) (result i32) (local $ok i32)\n");
    for i in 0..20 {
        wat.push_str(&format!(
            "(local.set $ok (i32.add (local.get $ok) (i32.ne (i32.const -1) \
             (table.grow $t{i} (ref.null func) (local.get 0)))))\n"
        ));
    }
    wat.push_str("(local.get $ok)))");
    let (_dir, file) = scratch_module("tables.wat", &wat);
    let out = tierup(["run", "--invoke", "grow_all", &file, "1000000"]);
    assert_eq!(success(out), "10\n");
    let out = tierup([
        "run",
        "--max-total-table-elements",
        "2000000",
        "--invoke",
        "grow_all",
        &file,
        "1000000",
    ]);
    assert_eq!(success(out), "2\n");

    // Twenty tables of 10M elements (1.6 GB) fail to instantiate, naming the limit.
    let mut wat = String::from("(module\n");
    for _ in 0..20 {
        wat.push_str("(table 10000000 funcref)\n");
    }
    wat.push_str("(func (export \"f\")))");
    let (_dir, file) = scratch_module("big_tables.wat", &wat);
    let out = tierup(["run", "--invoke", "f", &file]);
    failure(&out, 1);
    assert!(
        out.stderr.contains("instantiation failed")
            && out.stderr.contains("table 1")
            && out.stderr.contains("over its limit of 10000000 elements"),
        "{}",
        out.stderr
    );
}

#[test]
fn count_flags_fail_instantiation_naming_the_limit() {
    let (_dir, file) = scratch_module("limits.wat", LIMITS_WAT);
    for (flag, what) in [
        ("--max-tables", "table count too high"),
        ("--max-memories", "memory count too high"),
        ("--max-instances", "instance count too high"),
    ] {
        let limit = if flag == "--max-instances" { "0" } else { "1" };
        let out = tierup(["run", flag, limit, "--invoke", "grow_twice", &file, "1"]);
        failure(&out, 1);
        assert!(out.stderr.contains(what), "{flag}: {}", out.stderr);
        let out = tierup(["run", flag, "2", "--invoke", "grow_twice", &file, "1"]);
        assert_eq!(success(out), "2\n", "{flag}");
    }
    let out = tierup(["run", "--max-memory-size", "64X", &file]);
    failure(&out, 2);
    assert!(out.stderr.contains("unknown size suffix"), "{}", out.stderr);
}

#[test]
fn trap_on_grow_failure_exits_134_naming_the_limit() {
    let (_dir, file) = scratch_module("limits.wat", LIMITS_WAT);
    let out = tierup([
        "run",
        "--max-memory-size",
        "128K",
        "--trap-on-grow-failure",
        "--invoke",
        "grow_twice",
        &file,
        "1",
    ]);
    failure(&out, 134);
    assert!(
        out.stderr.contains("resource limit exceeded")
            && out.stderr.contains("per-memory limit of 131072 bytes"),
        "{}",
        out.stderr
    );
}

/// `--max-wasm-stack` bounds every tier: 90,000 frames run in every tier at the default, a
/// small stack stops the same recursion in every tier, and deeper ones trap cleanly.
#[test]
fn max_wasm_stack_bounds_every_tier() {
    let wat = r#"(module
      (func $rec (export "rec") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
          (else (i32.const 0)))))"#;
    let dir = scratch_dir();
    let path = dir.join("stack_depth.wat");
    std::fs::write(&path, wat).expect("write stack_depth.wat");
    let path = path.display().to_string();
    for tier in ["interp", "baseline", "opt", "tiered"] {
        let out = tierup(["run", "--tier", tier, "--invoke", "rec", &path, "90000"]);
        assert_eq!(success(out), "90000\n", "{tier}");
        let out = tierup(["run", "--tier", tier, "--invoke", "rec", &path, "20000000"]);
        failure(&out, 134);
        assert!(
            out.stderr.contains("call stack exhausted"),
            "{tier}: {}",
            out.stderr
        );
        let small = [
            "run",
            "--tier",
            tier,
            "--max-wasm-stack",
            "65536",
            "--invoke",
            "rec",
            &path,
        ];
        let out = tierup(small.iter().copied().chain(["1000"]));
        assert_eq!(success(out), "1000\n", "{tier}");
        // Interpreted and baseline frames take slot stack; optimized code is bounded by the
        // native stack sized from the same setting.
        let deep = if tier == "opt" { "10000000" } else { "50000" };
        let out = tierup(small.iter().copied().chain([deep]));
        failure(&out, 134);
        assert!(
            out.stderr.contains("call stack exhausted"),
            "{tier}: {}",
            out.stderr
        );
    }
}

/// Runs `tierup run ARGS` with `TIERUP_PERF_MAP=1` and returns its perf map
/// (`/tmp/perf-<pid>.map`, which `perf` reads from there), deleting the file.
fn perf_map_of(args: &[&str]) -> String {
    let cache = tierup_tests::scratch_dir();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tierup"))
        .env("TIERUP_PERF_MAP", "1")
        .env("TIERUP_CACHE_DIR", cache.path())
        .arg("run")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start tierup");
    let path = format!("/tmp/perf-{}.map", child.id());
    let deadline = std::time::Instant::now() + tierup_tests::CLI_TIME_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for tierup") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("tierup {args:?} ran past the time limit");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let map = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    assert!(status.success(), "tierup {args:?}: {status}");
    map
}

#[test]
fn the_perf_map_names_each_function_with_its_tier() {
    let fib = fixture_str("fib.wat");
    let baseline = perf_map_of(&["--tier", "baseline", "--invoke", "fib", &fib, "10"]);
    let optimized = perf_map_of(&["--tier", "opt", "--invoke", "fib", &fib, "10"]);
    // Every line is `START SIZE NAME`, in hexadecimal.
    for line in baseline.lines().chain(optimized.lines()) {
        let mut fields = line.splitn(3, ' ');
        for _ in 0..2 {
            let field = fields.next().unwrap_or_default();
            assert!(u64::from_str_radix(field, 16).is_ok(), "{line:?}");
        }
        assert!(
            fields.next().is_some_and(|name| !name.is_empty()),
            "{line:?}"
        );
    }
    let names = |map: &str| -> Vec<String> {
        map.lines()
            .map(|l| l.splitn(3, ' ').nth(2).unwrap_or_default().to_owned())
            .collect()
    };
    let (baseline, optimized) = (names(&baseline), names(&optimized));
    assert!(
        baseline.contains(&"wasm[0] fib [baseline]".to_owned()),
        "{baseline:?}"
    );
    assert!(
        baseline.contains(&"tierup stubs".to_owned()),
        "{baseline:?}"
    );
    assert!(
        optimized.contains(&"wasm[0] fib [opt]".to_owned()),
        "{optimized:?}"
    );
    assert!(
        optimized.contains(&"tierup slot wrapper".to_owned()),
        "{optimized:?}"
    );
    assert!(
        !optimized.iter().any(|n| n.ends_with("[baseline]")),
        "{optimized:?}"
    );
}

/// `--cache`: `off` writes nothing; the first `on` run compiles and stores; the next loads
/// `fib`'s code instead of compiling it, and so does `hot`, only when it gets hot.
#[test]
fn the_code_cache_makes_the_next_run_start_optimized() {
    let dir = scratch_dir();
    let cache = dir.join("cache");
    let json = dir.join("stats.json");
    // `(optimized functions, of them from the cache, warm-start installs)`.
    let run = |mode: &str| {
        let args = [
            "run",
            "--cache",
            mode,
            "--cache-dir",
            cache.to_str().unwrap(),
            // Optimized at the first call, long before the interpreter finishes.
            "--tiers",
            "interp,opt",
            "--opt-after",
            "1",
            "--stats-json",
            json.to_str().unwrap(),
            "--invoke",
            "fib",
            &fixture_str("fib.wat"),
            "30",
        ];
        assert_eq!(success(tierup(args)).trim(), "832040");
        let text = std::fs::read_to_string(&json).expect("stats file written");
        let stats: serde_json::Value = serde_json::from_str(&text).unwrap();
        let events = stats["stats"]["events"].as_array().unwrap();
        let opt: Vec<_> = events.iter().filter(|e| e["tier"] == "opt").collect();
        let cached = opt.iter().filter(|e| e["cached"] == true).count();
        let compiles = stats["stats"]["timeline"]["compiles"].as_array().unwrap();
        let warm = compiles
            .iter()
            .filter(|c| c["kind"] == "warm-start")
            .count();
        (opt.len(), cached, warm)
    };
    assert_eq!(run("off"), (1, 0, 0));
    assert!(!cache.exists(), "--cache off wrote {}", cache.display());
    assert_eq!(run("on"), (1, 0, 0));
    assert!(cache.exists());
    // From the warm start, unless the first call made `fib` hot before the worker got to
    // it (the job then loads it; the runtime's tests wait for the warm start instead).
    let (optimized, cached, warm) = run("on");
    assert_eq!((optimized, cached), (1, 1));
    assert!(warm <= 1);
    assert_eq!(run("hot"), (1, 1, 0));
    assert_eq!(run("off"), (1, 0, 0));
}

/// `tierup cache` lists what runs wrote, prunes the least recently used to a size (as a run
/// does with `--cache-max-size`) and clears the directory, leaving files that are not the
/// cache's.
#[test]
fn the_cache_subcommand_lists_prunes_and_clears() {
    let dir = scratch_dir();
    let cache = dir.join("cache");
    let cache_dir = cache.to_str().unwrap().to_string();
    let cache_cmd = |args: &[&str]| {
        let mut all = vec!["cache", "--cache-dir", &cache_dir];
        all.extend_from_slice(args);
        success(tierup(all))
    };
    assert!(cache_cmd(&["list"]).contains("0 file(s)"));
    assert_eq!(cache_cmd(&["dir"]).trim(), cache_dir);
    // Two modules (the same function, plus one more in the second: two keys), each
    // optimized eagerly.
    let fib = std::fs::read_to_string(fixture("fib.wat")).unwrap();
    let other = dir.join("fib2.wat");
    let end = fib.rfind(')').unwrap();
    std::fs::write(
        &other,
        format!("{} (func $unused)){}", &fib[..end], &fib[end + 1..]),
    )
    .unwrap();
    let run = |module: &Path, max_size: &str| {
        let args = [
            "run",
            "--cache-dir",
            &cache_dir,
            "--cache-max-size",
            max_size,
            "--tier",
            "opt",
            "--invoke",
            "fib",
            module.to_str().unwrap(),
            "20",
        ];
        assert_eq!(success(tierup(args)).trim(), "6765");
    };
    let first = fixture("fib.wat");
    run(&first, "1G");
    std::fs::write(cache.join("notes.txt"), "not the cache's").unwrap();
    let listed = cache_cmd(&["list"]);
    assert!(listed.contains("1 file(s)"), "{listed}");
    // The second module's run keeps its own file and evicts the first's.
    std::thread::sleep(std::time::Duration::from_millis(20));
    run(&other, "1");
    let listed = cache_cmd(&["list"]);
    assert!(listed.contains("1 file(s)"), "{listed}");
    run(&first, "1G");
    assert!(cache_cmd(&["list"]).contains("2 file(s)"));
    let pruned = cache_cmd(&["prune", "--max-size", "0"]);
    assert!(pruned.starts_with("removed 2 file(s)"), "{pruned}");
    run(&first, "1G");
    let cleared = cache_cmd(&["clear"]);
    assert!(cleared.starts_with("removed 1 file(s)"), "{cleared}");
    assert!(cache_cmd(&["list"]).contains("0 file(s)"));
    assert!(cache.join("notes.txt").exists());
    let bad = tierup(["cache", "prune", "--max-size", "lots"]);
    failure(&bad, 2);
}
