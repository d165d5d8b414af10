//! Fuzz target `differential`: wasm-smith modules (the differential test's generator:
//! WebAssembly 2.0, SIMD, relaxed SIMD, multi-memory, and imports of the host functions
//! `tierup_tests::differential::HOST_FUNCS`) run in every tier mode of
//! `tierup_tests::differential::TIER_MODES` (interp, baseline and opt with guard pages and
//! explicit bounds checks, tiered, stress, stress-interp-opt, tiered-1-2); results, traps,
//! the innermost frames of every backtrace, host calls (with their arguments, re-entry into
//! the instance included) and exported state after every call must be the same in all of
//! them (`tierup_tests::differential::compare_tiers`).
//!
//! Input: byte 0 picks the generator's knobs (SIMD, host imports, hot plan, traps allowed or
//! guarded, multi-memory), bytes 1..9 seed the call arguments, the rest drives wasm-smith.
//! Every export is called [`ROUNDS`] times; a hot plan repeats each call [`HOT_REPEAT`] times
//! in a row and lets the tiered rows wait for the optimizer half-way and in a host call, so
//! that later calls run optimized code. Wasm-level fuel makes every call terminate.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use tierup_tests::differential::{
    FUEL_EXPORT, Fuel, Outcome, Plan, Simd, TIER_MODES, compare_tiers, generate_module, run_tierup,
    smith_config, with_host_imports,
};

/// Calls of each exported function.
const ROUNDS: usize = 3;

/// A hot plan's repetitions of each call.
const HOT_REPEAT: usize = 4;

/// Host calls per run of a hot plan that wait for the optimizer queue to drain.
const HOT_HOST_SETTLES: u32 = 1;

/// Loop iterations plus function entries one call may make (wasm-smith's
/// `ensure_termination`).
const FUEL: u32 = 1_000;

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let kind = data[0];
    let seed = u64::from_le_bytes(data[1..9].try_into().expect("8 bytes"));
    let simd = match kind % 3 {
        0 => Simd::Off,
        1 => Simd::Fixed,
        _ => Simd::Relaxed,
    };
    let mut config = smith_config(kind & 0x40 != 0, simd, kind & 0x80 != 0);
    if kind & 0x20 != 0 {
        config = with_host_imports(config);
    }
    let Ok((wasm, fuel_exported)) =
        generate_module(config, &mut Unstructured::new(&data[9..]), FUEL)
    else {
        return;
    };
    let mut plan = match Plan::new(&wasm, seed, ROUNDS) {
        Ok(plan) => plan,
        Err(e) => panic!("tierup rejects a valid wasm-smith module: {e}"),
    };
    if fuel_exported {
        plan.fuel = Some(Fuel {
            global: FUEL_EXPORT.to_string(),
            amount: FUEL as i32,
        });
    }
    if kind & 0x10 != 0 {
        plan = plan.hot(HOT_REPEAT, HOT_HOST_SETTLES);
    }
    let runs: Vec<_> = TIER_MODES
        .iter()
        .map(|mode| run_tierup(&wasm, mode, &plan))
        .collect();
    for run in &runs {
        for call in &run.calls {
            if let Outcome::Failed(why) = &call.outcome {
                panic!("{}: a call failed: {why}", run.engine);
            }
        }
    }
    for run in &runs[1..] {
        if let Some(d) = compare_tiers(&runs[0], run, &plan).divergence {
            panic!("tier modes disagree at step {}: {}", d.step, d.detail);
        }
    }
});
