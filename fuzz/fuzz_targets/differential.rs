//! Fuzz target `differential`: wasm-smith modules (the differential test's generator:
//! WebAssembly 2.0, SIMD, relaxed SIMD, multi-memory) run in every tier mode of
//! `tierup_tests::TIER_ROWS` (interp, baseline and opt with guard pages and explicit bounds
//! checks, tiered, stress, stress-interp-opt); results, traps and exported state after every
//! call must be the same in all of them (`tierup_tests::differential::compare`).
//!
//! Input: byte 0 picks the generator's knobs (traps allowed or guarded, SIMD, multi-memory),
//! bytes 1..9 seed the call arguments, the rest drives wasm-smith. Every export is called
//! [`ROUNDS`] times (the stress rows tier up at the first call, so later rounds run in
//! baseline and optimized code); wasm-level fuel makes every call terminate.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use tierup_tests::differential::{
    FUEL_EXPORT, Fuel, Outcome, Plan, Simd, TIER_MODES, compare, generate_module, run_tierup,
    smith_config,
};

/// Calls of each exported function.
const ROUNDS: usize = 3;

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
    let config = smith_config(kind & 0x40 != 0, simd, kind & 0x80 != 0);
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
        if let Some(d) = compare(&runs[0], run, &plan).divergence {
            panic!("tier modes disagree at step {}: {}", d.step, d.detail);
        }
    }
});
