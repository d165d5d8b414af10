//! Start-up benchmarks: time to first call, from wasm bytes in memory to the first call returning
//! (`Module::new`, a fresh `Store`, `Instance::new`, export lookup, the call), for the tiny module
//! (`small.wat`, `add(1, 2)`) and for the generated large module (over 1 MB of code, many functions).
//!
//! Groups `startup/small` and `startup/large`, one row per tier of [`TIERS`] (unavailable tiers are
//! skipped with a note). Two more pairs of groups split that time: `module_new/{small,large}`
//! (`Module::new` alone: validation and whatever is eager, with its throughput in bytes) and
//! `instantiate/{small,large}` (a fresh `Store` and `Instance::new` of a compiled module).
//! The engine is created once per tier, outside the measurement, as an embedder would.
//!
//! Run: `cargo bench -p tierup-bench --bench startup [-- <filter>]`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tierup_bench::{LARGE_ARG, LARGE_EXPORT, TIERS, engine, large_module_wasm, small_wasm};
use tierup_runtime::{Engine, Error, Instance, Module, Store, TierMode};

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

/// Bytes to the first call of `add(1, 2)` in the tiny module.
fn first_call_small(engine: &Engine, wasm: &[u8]) -> i32 {
    let module = Module::new(engine, wasm).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "add")
        .unwrap();
    add.call(&mut store, (1, 2)).unwrap()
}

/// Bytes to the first call of `run(LARGE_ARG)` in the large module.
fn first_call_large(engine: &Engine, wasm: &[u8]) -> i32 {
    let module = Module::new(engine, wasm).unwrap();
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, LARGE_EXPORT)
        .unwrap();
    run.call(&mut store, LARGE_ARG).unwrap()
}

fn startup(c: &mut Criterion) {
    let engines = engines();
    let small = small_wasm();
    let large = large_module_wasm();
    eprintln!(
        "note: small module {} bytes, large module {} bytes",
        small.len(),
        large.len()
    );

    let mut group = c.benchmark_group("startup/small");
    for (tier, engine) in &engines {
        assert_eq!(first_call_small(engine, &small), 3, "tier `{tier}`");
        group.bench_function(BenchmarkId::from_parameter(tier), |b| {
            b.iter(|| first_call_small(engine, black_box(&small)));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("startup/large");
    group.sample_size(20);
    let mut results = Vec::new();
    for (tier, engine) in &engines {
        results.push((tier, first_call_large(engine, &large)));
        group.bench_function(BenchmarkId::from_parameter(tier), |b| {
            b.iter(|| first_call_large(engine, black_box(&large)));
        });
    }
    group.finish();
    assert!(
        results.windows(2).all(|w| w[0].1 == w[1].1),
        "the tiers disagree on the large module's result: {results:?}"
    );

    // The two halves of the start-up, to see where the time goes.
    for (name, wasm) in [("small", &small), ("large", &large)] {
        let mut group = c.benchmark_group(format!("module_new/{name}"));
        group.sample_size(if name == "large" { 20 } else { 100 });
        group.throughput(Throughput::Bytes(wasm.len() as u64));
        for (tier, engine) in &engines {
            group.bench_function(BenchmarkId::from_parameter(tier), |b| {
                b.iter(|| Module::new(engine, black_box(wasm)).unwrap());
            });
        }
        group.finish();
    }
    for (name, wasm) in [("small", &small), ("large", &large)] {
        let mut group = c.benchmark_group(format!("instantiate/{name}"));
        for (tier, engine) in &engines {
            let module = Module::new(engine, wasm).unwrap();
            group.bench_function(BenchmarkId::from_parameter(tier), |b| {
                b.iter(|| {
                    let mut store = Store::new(engine, ());
                    Instance::new(&mut store, black_box(&module), &[]).unwrap()
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, startup);
criterion_main!(benches);
