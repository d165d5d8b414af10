//! Execution benchmarks: every kernel of `bench/kernels/`, called on an instance created once.
//!
//! One criterion group per kernel, one row per tier of [`TIERS`] (`execute/<kernel>/<tier>`); a tier
//! the engine does not offer yet is skipped with a note. Each kernel runs at its `bench_size`, and
//! its result is checked against the reference once before measuring.
//!
//! Run: `cargo bench -p tierup-bench --bench execute [-- <filter>] [-- --measurement-time 3]`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tierup_bench::{KERNELS, TIERS, engine, instantiate};
use tierup_runtime::{Engine, Error, TierMode};

/// The engines of the tiers that are available, with a note for each one that is not.
fn engines() -> Vec<(TierMode, Engine)> {
    TIERS
        .iter()
        .filter_map(|&tier| match engine(tier) {
            Ok(engine) => Some((tier, engine)),
            Err(Error::TierUnavailable(_)) => {
                eprintln!("note: tier `{tier}` is not available yet; skipped");
                None
            }
            Err(e) => panic!("creating an engine for tier `{tier}`: {e}"),
        })
        .collect()
}

fn execute(c: &mut Criterion) {
    let engines = engines();
    for kernel in &KERNELS {
        let wasm = kernel.wasm();
        let size = kernel.bench_size;
        let expected = kernel.expected(size);
        let mut group = c.benchmark_group(format!("execute/{}", kernel.name));
        // One call takes tens of milliseconds: criterion's minimum of 10 samples is plenty.
        group.sample_size(10);
        for (tier, engine) in &engines {
            let (mut store, func) = instantiate(engine, &wasm, kernel.export)
                .unwrap_or_else(|e| panic!("{} in tier `{tier}`: {e}", kernel.name));
            let got = func
                .call(&mut store, size)
                .unwrap_or_else(|e| panic!("{}({size}) in tier `{tier}`: {e}", kernel.name));
            assert_eq!(got, expected, "{}({size}) in tier `{tier}`", kernel.name);
            group.bench_with_input(BenchmarkId::from_parameter(tier), &size, |b, &size| {
                b.iter(|| func.call(&mut store, black_box(size)).unwrap());
            });
        }
        group.finish();
    }
}

criterion_group!(benches, execute);
criterion_main!(benches);
