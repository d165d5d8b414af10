//! `tierup run --fuel`, `--timeout` and `--epoch-interruption` end to end: fuel runs out at
//! the same instruction in every tier (the same output, the same trap), and a timeout ends a
//! guest that waits in a WASI call as well as one that computes.

use std::path::Path;
use std::time::{Duration, Instant};

use tierup_tests::{CliOutput, fixture, run_cli};

fn tierup<I, S>(args: I) -> CliOutput
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    run_cli(Path::new(env!("CARGO_BIN_EXE_tierup")), args)
}

const TIERS: [&str; 4] = ["interp", "baseline", "opt", "tiered"];

#[test]
fn fuel_ends_the_program_at_the_same_point_in_every_tier() {
    let file = fixture("fuel_print.wat").display().to_string();
    let mut outputs = Vec::new();
    for tier in TIERS {
        let out = tierup([
            "run",
            "--tier",
            tier,
            "--baseline-after",
            "1",
            "--opt-after",
            "2",
            "--fuel",
            "1234567",
            "--stats",
            &file,
        ]);
        assert_eq!(out.code(), Some(134), "{tier}: {}", out.stderr);
        assert!(
            out.stderr.contains("all fuel consumed by WebAssembly"),
            "{tier}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("fuel: 1234567 consumed, 0 left"),
            "{tier}: {}",
            out.stderr
        );
        outputs.push(out.stdout);
    }
    assert!(outputs[0].len() > 10, "prints before it runs out");
    for (tier, output) in TIERS.iter().zip(&outputs) {
        assert_eq!(output, &outputs[0], "{tier}");
    }
    // With enough fuel it finishes, and says what it used.
    let out = tierup(["run", "--fuel", "100000000", "--stats", &file]);
    assert_eq!(out.code(), Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.len(), 100);
}

#[test]
fn timeout_ends_a_guest_sleeping_in_wasi() {
    let file = fixture("sleep.wat").display().to_string();
    for tier in TIERS {
        for epochs in [false, true] {
            let mut args = vec!["run", "--tier", tier, "--timeout", "0.3"];
            if epochs {
                args.push("--epoch-interruption");
            }
            args.push(&file);
            let start = Instant::now();
            let out = tierup(&args);
            let took = start.elapsed();
            assert_eq!(out.code(), Some(134), "{tier} {epochs}: {}", out.stderr);
            assert!(out.stderr.contains("interrupted"), "{}", out.stderr);
            assert!(
                took < Duration::from_secs(5),
                "{tier} (epochs: {epochs}) slept on for {took:?}"
            );
        }
    }
}

#[test]
fn epoch_interruption_ends_a_spinning_guest() {
    let file = fixture("spin.wat").display().to_string();
    for tier in TIERS {
        let out = tierup([
            "run",
            "--tier",
            tier,
            "--timeout",
            "0.2",
            "--epoch-interruption",
            &file,
        ]);
        assert_eq!(out.code(), Some(134), "{tier}: {}", out.stderr);
        assert!(out.stderr.contains("interrupted"), "{tier}: {}", out.stderr);
    }
}
