//! Tests of `tierup explore` (`runtime/cli/src/explore.rs`, over `Module::explore`).
//!
//! Snapshots: `tests/snapshots/explore.wat` has one function of each kind (a loop, calls,
//! memory accesses, a `br_table`); the text output for each is compared with
//! `tests/snapshots/explore.FUNC.txt`. Run with `TIERUP_BLESS=1` to rewrite them after an
//! intended change, then review the diff.
//!
//! What is snapshotted exactly: the wasm, the bytecode, the baseline machine code (its bytes
//! depend only on the build: the fixture has no SIMD, the one place where the baseline uses
//! an optional CPU feature), the optimized CLIF (the translation does not depend on the CPU),
//! and the sizes of the first three. What is not: durations (replaced by `<time>`), and the
//! optimizer's machine code and size, because Cranelift's ISA has the host's extensions
//! (BMI, AVX, ...) and picks different instructions on different machines. For those the
//! tests check the shape instead: the section exists, has instructions, and every annotation
//! names a wasm offset that the wasm section lists.

use std::path::{Path, PathBuf};

use tierup_tests::{CliOutput, run_cli, scratch_dir};

fn tierup<I, S>(args: I) -> CliOutput
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    run_cli(Path::new(env!("CARGO_BIN_EXE_tierup")), args)
}

fn snapshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn input() -> String {
    snapshots().join("explore.wat").display().to_string()
}

/// Runs `tierup explore` on the fixture and returns stdout (asserting success).
#[track_caller]
fn explore(func: &str) -> String {
    let out = tierup(["explore", &input(), "--func", func]);
    assert_eq!(
        out.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    out.stdout
}

/// Whether `token` is a duration as `Debug` prints one (`12.3µs`, `1.0ms`, `2.5s`).
fn is_duration(token: &str) -> bool {
    let number = token
        .strip_suffix("ns")
        .or_else(|| token.strip_suffix("µs"))
        .or_else(|| token.strip_suffix("ms"))
        .or_else(|| token.strip_suffix('s'));
    number.is_some_and(|n| !n.is_empty() && n.parse::<f64>().is_ok())
}

/// The text between the header `== title ... ==` and the next section header.
fn section<'a>(text: &'a str, title: &str) -> &'a str {
    let start = text
        .find(&format!("\n== {title}"))
        .unwrap_or_else(|| panic!("no section `{title}` in\n{text}"));
    let body = &text[start + 1..];
    let body = &body[body.find('\n').map_or(body.len(), |i| i + 1)..];
    match body.find("\n== ") {
        Some(end) => &body[..end + 1],
        None => body,
    }
}

/// Every `@0x..` wasm offset that annotations in `text` name.
fn annotated_offsets(text: &str) -> Vec<u32> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("; "))
        .filter_map(|l| {
            let at = l.find("@0x")?;
            let hex: String = l[at + 3..]
                .chars()
                .take_while(char::is_ascii_hexdigit)
                .collect();
            u32::from_str_radix(&hex, 16).ok()
        })
        .collect()
}

/// The offsets the wasm section lists.
fn wasm_offsets(text: &str) -> Vec<u32> {
    section(text, "wasm")
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|t| t.strip_prefix("0x"))
        .filter_map(|h| u32::from_str_radix(h, 16).ok())
        .collect()
}

/// Checks the shape of the host-dependent optimized machine code and returns the output with
/// it (and durations) replaced by stable text.
#[track_caller]
fn normalize(text: &str) -> String {
    let wasm = wasm_offsets(text);
    assert!(!wasm.is_empty(), "the wasm section lists offsets:\n{text}");
    let opt = section(text, "optimized machine code");
    let instructions = opt
        .lines()
        .filter(|l| !l.trim_start().starts_with(';') && l.contains(": "))
        .count();
    assert!(instructions > 0, "optimized code has instructions:\n{opt}");
    let annotations = annotated_offsets(opt);
    assert!(
        !annotations.is_empty(),
        "optimized code is annotated with wasm offsets:\n{opt}"
    );
    for offset in annotations
        .iter()
        .chain(&annotated_offsets(section(text, "baseline machine code")))
    {
        assert!(
            wasm.contains(offset),
            "annotation @{offset:#x} names an operator of the function; wasm offsets {wasm:x?}"
        );
    }
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with("== ") {
            skipping = line.starts_with("== optimized machine code");
            if skipping {
                out.push_str(line);
                out.push_str("\n(host-dependent: shape checked by the test)\n\n");
                continue;
            }
        }
        if skipping {
            continue;
        }
        if line.starts_with("optimized ") {
            out.push_str("optimized     (host-dependent)\n");
            continue;
        }
        let words: Vec<&str> = line
            .split(' ')
            .map(|w| if is_duration(w) { "<time>" } else { w })
            .collect();
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

#[track_caller]
fn check_snapshot(func: &str) {
    let actual = normalize(&explore(func));
    let path = snapshots().join(format!("explore.{func}.txt"));
    if std::env::var_os("TIERUP_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} changed (rerun with TIERUP_BLESS=1 if intended):\n--- expected\n{expected}\n+++ actual\n{actual}",
        path.display()
    );
}

#[test]
fn snapshot_loop() {
    check_snapshot("loop_sum");
}

#[test]
fn snapshot_calls() {
    check_snapshot("calls");
}

#[test]
fn snapshot_memory() {
    check_snapshot("memory");
}

#[test]
fn snapshot_br_table() {
    check_snapshot("br_table");
}

#[test]
fn func_by_index_is_the_same_as_by_name() {
    // $calls is function 3 (after $loop_sum, $double, $square).
    let by_index = normalize(&explore("3"));
    let by_name = normalize(&explore("calls"));
    assert_eq!(by_index, by_name);
    assert!(by_index.starts_with(";; func[3] $calls [i32] -> [i32]"));
    // A name from the name section that is not exported, with or without `$`.
    assert!(explore("$double").starts_with(";; func[1] $double"));
    assert!(explore("square").starts_with(";; func[2] $square"));
}

#[test]
fn unknown_function_is_a_clear_error() {
    let out = tierup(["explore", &input(), "--func", "nope"]);
    assert_eq!(out.code(), Some(2), "stderr:\n{}", out.stderr);
    assert!(
        out.stderr.contains("no function named `nope`"),
        "{}",
        out.stderr
    );
    let out = tierup(["explore", &input(), "--func", "99"]);
    assert_eq!(out.code(), Some(2), "stderr:\n{}", out.stderr);
    assert!(
        out.stderr.contains("function 99 is not defined"),
        "{}",
        out.stderr
    );
    let out = tierup(["explore", "/nonexistent/file.wasm", "--func", "0"]);
    assert_eq!(out.code(), Some(1), "stderr:\n{}", out.stderr);
}

#[test]
fn html_has_every_tier_side_by_side() {
    let dir = scratch_dir();
    let path = dir.join("explore.html");
    let out = tierup([
        "explore",
        &input(),
        "--func",
        "br_table",
        "--html",
        &path.display().to_string(),
    ]);
    assert_eq!(out.code(), Some(0), "stderr:\n{}", out.stderr);
    let html = std::fs::read_to_string(&path).expect("the page was written");
    for id in ["wasm", "interp", "baseline", "clif", "opt"] {
        assert!(
            html.contains(&format!("<section class=col id={id}>")),
            "column {id}"
        );
    }
    assert!(html.contains("br_table $a $b $c $d"), "the wasm text");
    assert!(html.contains("BrTable"), "the bytecode");
    assert!(html.contains("<script>"), "the inline script");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external assets"
    );
    // Lines carry their wasm offsets, and every tier has some.
    for id in ["wasm", "interp", "baseline", "clif", "opt"] {
        let start = html.find(&format!("id={id}>")).expect("column");
        let column = &html[start..];
        let column = &column[..column.find("</section>").expect("column end")];
        assert!(column.contains("data-w="), "column {id} has wasm offsets");
    }
}
