//! Fuzz target `validate`: bytes through `Module::new` in every forced tier (interpreter,
//! baseline JIT, optimizer; strict, so each compiles every function or rejects the module).
//!
//! The first input byte picks the input kind:
//! - even: the rest of the input is taken as a module as it is (libFuzzer mutates it; seed the
//!   corpus with real modules to start from valid ones). Every tier must return `Ok` or a clean
//!   error, never crash, and all tiers must agree on whether the module is valid.
//! - odd: the rest drives wasm-smith (SIMD, relaxed SIMD, multi-memory, all of WebAssembly 2.0,
//!   the differential test's configuration with the knobs taken from the input). The module is
//!   valid, so every tier must accept it.

#![no_main]

use std::sync::OnceLock;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use tierup_runtime::{Config, Engine, Module, TierMode};
use tierup_tests::differential::{Simd, smith_config};

/// One engine per forced tier, built once per process.
fn engines() -> &'static [(TierMode, Engine)] {
    static ENGINES: OnceLock<Vec<(TierMode, Engine)>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        [TierMode::Interp, TierMode::Baseline, TierMode::Optimized]
            .into_iter()
            .map(|mode| {
                let mut config = Config::new();
                config.tier(mode).compile_threads(1);
                (mode, Engine::new(&config).expect("a forced-tier engine"))
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    if kind % 2 == 0 {
        let verdicts: Vec<(TierMode, Result<(), String>)> = engines()
            .iter()
            .map(|(mode, engine)| {
                (
                    *mode,
                    Module::new(engine, rest)
                        .map(drop)
                        .map_err(|e| e.to_string()),
                )
            })
            .collect();
        let (first_mode, first) = &verdicts[0];
        for (mode, verdict) in &verdicts[1..] {
            assert_eq!(
                first.is_ok(),
                verdict.is_ok(),
                "tiers disagree on validity: {first_mode}: {first:?}, {mode}: {verdict:?}"
            );
        }
    } else {
        let simd = match kind / 2 % 3 {
            0 => Simd::Off,
            1 => Simd::Fixed,
            _ => Simd::Relaxed,
        };
        let config = smith_config(kind & 0x40 != 0, simd, kind & 0x80 != 0);
        let Ok(module) = wasm_smith::Module::new(config, &mut Unstructured::new(rest)) else {
            return;
        };
        let wasm = module.to_bytes();
        for (mode, engine) in engines() {
            if let Err(e) = Module::new(engine, &wasm) {
                panic!("{mode} rejects a valid wasm-smith module: {e}");
            }
        }
    }
});
