//! Compile speed per tier, in MB/s of wasm function bodies, over the generated large module
//! (about 1.1 MB, 1,600 functions):
//! - `interp/translate`: wasm → register bytecode (the interpreter's lazy translation);
//! - `baseline/compile`: bytecode → machine code (the baseline JIT proper);
//! - `baseline/translate+compile`: both, i.e. what tier-up costs from wasm;
//! - `opt/compile`: wasm → machine code with Cranelift (our translator plus
//!   `cranelift-codegen`, one thread, one reused compiler: what one background worker does);
//! - `module/baseline`, `module/opt`: `Module::new` in the strict baseline / opt modes, end
//!   to end (decode, validate, compile, publish into executable memory); `opt` compiles on
//!   the default number of compile threads.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tierup_abi::{BoundsChecks, ModuleInfo};
use tierup_baseline::{CompileEnv, CpuFeatures};
use tierup_bench::large_module_wasm;
use tierup_interp::{CompiledFunc, translate};
use tierup_runtime::{Config, Engine, Module, TierMode};

fn compile(c: &mut Criterion) {
    let wasm = large_module_wasm();
    let info = Arc::new(ModuleInfo::parse(wasm.clone()).expect("the large module validates"));
    let body_bytes: usize = info.bodies.iter().map(|b| b.len()).sum();
    let funcs = info.defined_funcs();
    let env = CompileEnv::for_module(&info, BoundsChecks::Guard, CpuFeatures::detect());
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
    let mut compiler = tierup_optimizer::Compiler::new().expect("a Cranelift ISA for this host");
    let opt_env = tierup_optimizer::OptEnv {
        module: &info,
        bounds_checks: BoundsChecks::Guard,
        // Never called: the code is compiled, not run.
        raise: 0x1000,
        attention: 0x2000,
        native: None,
        eager: false,
        type_ids: None,
        loops: tierup_optimizer::LoopSettings::default(),
        assume_published: true,
        optimized: None,
    };
    group.sample_size(10);
    group.bench_function("opt/compile", |b| {
        b.iter(|| {
            for f in funcs.clone() {
                std::hint::black_box(compiler.compile(&opt_env, f).expect("compiles"));
            }
        })
    });
    group.sample_size(20);
    let engine = Engine::new(Config::new().tier(TierMode::Baseline)).expect("baseline engine");
    group.throughput(Throughput::Bytes(wasm.len() as u64));
    group.bench_function("module/baseline", |b| {
        b.iter(|| std::hint::black_box(Module::new(&engine, &wasm).expect("compiles")))
    });
    group.sample_size(10);
    let engine = Engine::new(Config::new().tier(TierMode::Optimized)).expect("opt engine");
    group.bench_function("module/opt", |b| {
        b.iter(|| std::hint::black_box(Module::new(&engine, &wasm).expect("compiles")))
    });
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
