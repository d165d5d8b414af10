//! Compile speed per tier, in MB/s of wasm function bodies, over the generated large module
//! (about 1.1 MB, 1,600 functions):
//! - `interp/translate`: wasm → register bytecode (the interpreter's lazy translation);
//! - `baseline/compile`: bytecode → machine code (the baseline JIT proper);
//! - `baseline/translate+compile`: both, i.e. what tier-up costs from wasm;
//! - `module/baseline`: `Module::new` in the strict baseline mode, end to end (decode,
//!   validate, translate, compile, publish into executable memory).

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tierup_abi::ModuleInfo;
use tierup_baseline::{BoundsChecks, CompileEnv};
use tierup_bench::large_module_wasm;
use tierup_interp::{CompiledFunc, translate};
use tierup_runtime::{Config, Engine, Module, TierMode};

fn compile(c: &mut Criterion) {
    let wasm = large_module_wasm();
    let info = Arc::new(ModuleInfo::parse(wasm.clone()).expect("the large module validates"));
    let body_bytes: usize = info.bodies.iter().map(|b| b.len()).sum();
    let funcs = info.num_imported_funcs..info.funcs.len() as u32;
    let env = CompileEnv {
        num_imported_funcs: info.num_imported_funcs,
        has_memory: !info.memories.is_empty(),
        bounds_checks: BoundsChecks::Guard,
    };
    let bytecode: Vec<CompiledFunc> = funcs
        .clone()
        .map(|f| translate(&info, f).expect("translates"))
        .collect();

    let mut group = c.benchmark_group("compile");
    group.throughput(Throughput::Bytes(body_bytes as u64));
    group.sample_size(20);
    group.bench_function("interp/translate", |b| {
        b.iter(|| {
            for f in funcs.clone() {
                std::hint::black_box(translate(&info, f).expect("translates"));
            }
        })
    });
    group.bench_function("baseline/compile", |b| {
        b.iter(|| {
            for func in &bytecode {
                std::hint::black_box(tierup_baseline::compile(func, &env).expect("compiles"));
            }
        })
    });
    group.bench_function("baseline/translate+compile", |b| {
        b.iter(|| {
            for f in funcs.clone() {
                let func = translate(&info, f).expect("translates");
                std::hint::black_box(tierup_baseline::compile(&func, &env).expect("compiles"));
            }
        })
    });
    let engine = Engine::new(Config::new().tier(TierMode::Baseline)).expect("baseline engine");
    group.throughput(Throughput::Bytes(wasm.len() as u64));
    group.bench_function("module/baseline", |b| {
        b.iter(|| std::hint::black_box(Module::new(&engine, &wasm).expect("compiles")))
    });
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
