//! Code memory that grows (DESIGN.md §5, `runtime/src/jit/arena.rs`): a module of 100,000
//! functions compiles and runs in every machine-code mode (forced baseline, forced optimized,
//! and tiered with every function tiering up to Cranelift), without a page per function; and
//! the engine-wide cap on code memory (`Config::max_code_memory`) is an error naming the limit
//! in forced modes and leaves functions in their tier in tiered mode.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use tierup_runtime::{Config, Engine, Error, Linker, Module, Store, Tier, TierMode, TrapCode};

const PAGE: usize = 4096;

/// A module of `n` functions `f_i(x) = x * 3 + i`, all in a table, and the exports `run
/// (rounds)`, which calls every one of them in turn `rounds` times threading an accumulator
/// through (`call_indirect`), and `div(a, b)` (which traps when `b` is 0).
fn many_functions(n: usize) -> String {
    let mut wat = String::with_capacity(n * 64);
    wat.push_str("(module\n(type $t (func (param i32) (result i32)))\n");
    let _ = writeln!(wat, "(table {n} funcref)");
    wat.push_str("(elem (i32.const 0) func");
    for i in 0..n {
        let _ = write!(wat, " {i}");
    }
    wat.push_str(")\n");
    for i in 0..n {
        let _ = writeln!(
            wat,
            "(func (type $t) (i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.const {i})))"
        );
    }
    let _ = write!(
        wat,
        r#"(func (export "run") (param $rounds i32) (result i32) (local $i i32) (local $acc i32)
  (block $done (loop $round
    (br_if $done (i32.eqz (local.get $rounds)))
    (local.set $i (i32.const 0))
    (block $end (loop $each
      (br_if $end (i32.ge_u (local.get $i) (i32.const {n})))
      (local.set $acc (call_indirect (type $t) (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $each)))
    (local.set $rounds (i32.sub (local.get $rounds) (i32.const 1)))
    (br $round)))
  (local.get $acc))
(func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1))))
"#
    );
    wat
}

/// What `run(rounds)` returns, starting from an accumulator of `acc`.
fn expected(n: usize, rounds: u32, mut acc: i32) -> i32 {
    for _ in 0..rounds {
        for i in 0..n {
            acc = acc.wrapping_mul(3).wrapping_add(i as i32);
        }
    }
    acc
}

const N: usize = 100_000;

/// Compiles the 100,000-function module under `config`, runs it until `until` (asked after
/// each run) says so, checks the results, a trap from the last function, and that code memory
/// took far less than a page per function; returns the engine and the module.
fn hundred_thousand(config: &Config, mut until: impl FnMut(&Module) -> bool) -> (Engine, Module) {
    let wat = many_functions(N);
    let engine = Engine::new(config).unwrap();
    let start = Instant::now();
    let module = Module::new(&engine, &wat).unwrap();
    eprintln!("compiled in {:?}", start.elapsed());
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let div = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "div")
        .unwrap();
    let want = expected(N, 1, 0);
    let mut runs = 0;
    loop {
        assert_eq!(run.call(&mut store, 1).unwrap(), want);
        runs += 1;
        assert_eq!(div.call(&mut store, (84, 2)).unwrap(), 42);
        if until(&module) {
            break;
        }
    }
    eprintln!("{runs} runs, {:?} in all", start.elapsed());
    match div.call(&mut store, (1, 0)).unwrap_err() {
        Error::Trap(trap) => assert_eq!(trap.code(), TrapCode::IntegerDivisionByZero),
        other => panic!("expected a trap, got {other}"),
    }
    let used = engine.code_memory();
    let code: usize = module.stats().events.iter().map(|e| e.code_bytes).sum();
    eprintln!("code memory: {used} bytes for {N} functions ({code} bytes of their code)");
    // Packed: little beyond the code itself (the interpreter stubs, alignment), and far from
    // a page per function (let alone per publication).
    assert!(
        used > code && used < code * 3 / 2 + (4 << 20) && used < N * PAGE / 4,
        "{used} bytes of code memory"
    );
    (engine, module)
}

#[test]
fn a_hundred_thousand_functions_in_baseline_code() {
    let mut config = Config::new();
    config.tier(TierMode::Baseline);
    let (_, module) = hundred_thousand(&config, |_| true);
    let baseline = module
        .stats()
        .events
        .iter()
        .filter(|e| e.tier == Tier::Baseline)
        .count();
    assert_eq!(baseline, N + 2);
}

#[test]
fn a_hundred_thousand_functions_in_optimized_code() {
    let mut config = Config::new();
    config.tier(TierMode::Optimized);
    let (_, module) = hundred_thousand(&config, |_| true);
    let optimized = module
        .stats()
        .events
        .iter()
        .filter(|e| e.tier == Tier::Optimized)
        .count();
    assert_eq!(optimized, N + 2);
}

/// Tiered with low thresholds: every function goes interpreter → baseline → Cranelift, one
/// publication at a time (each compiled and published on its own, while the driver runs).
#[test]
fn a_hundred_thousand_functions_tier_up_one_by_one() {
    let mut config = Config::new();
    config
        .tier(TierMode::Tiered)
        .baseline_after(1)
        .opt_after(2)
        .opt_queue_capacity(2 * N);
    let deadline = Instant::now() + Duration::from_secs(900);
    let (engine, module) = hundred_thousand(&config, |module| {
        let stats = module.stats();
        assert!(
            stats.opt_failures.is_empty(),
            "{:?}",
            &stats.opt_failures[..1]
        );
        let count = |tier| {
            stats
                .events
                .iter()
                .filter(|e| e.tier == tier && (e.func_index as usize) < N)
                .count()
        };
        let (baseline, optimized) = (count(Tier::Baseline), count(Tier::Optimized));
        assert!(
            Instant::now() < deadline,
            "{baseline} baseline, {optimized} optimized"
        );
        baseline == N && optimized == N
    });
    // Every function published baseline code, then optimized code and its wrapper, one at
    // a time: hundreds of thousands of publications. Dropping the module gives it all back.
    assert!(module.stats().opt_failures.is_empty());
    drop(module);
    let deadline = Instant::now() + Duration::from_secs(30);
    while engine.code_memory() != 0 {
        assert!(
            Instant::now() < deadline,
            "{} bytes left",
            engine.code_memory()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ---- the limit ----

fn compile_error(config: &Config, wat: &str) -> String {
    let engine = Engine::new(config).unwrap();
    match Module::new(&engine, wat) {
        Ok(_) => panic!("compiled within {} bytes", engine.code_memory()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn forced_tiers_beyond_the_limit_fail_to_compile_naming_it() {
    let wat = many_functions(2000);
    for tier in [TierMode::Baseline, TierMode::Optimized] {
        let mut config = Config::new();
        config.tier(tier).max_code_memory(64 << 10);
        let error = compile_error(&config, &wat);
        assert!(
            error.contains("code memory limit") && error.contains("65536 bytes"),
            "{tier}: {error}"
        );
        // With room, the same module compiles.
        config.max_code_memory(16 << 20);
        let engine = Engine::new(&config).unwrap();
        Module::new(&engine, &wat).unwrap();
        assert!(engine.code_memory() <= 16 << 20);
    }
}

#[test]
fn the_limit_is_shared_by_the_engines_modules_and_given_back() {
    let wat = many_functions(1000);
    let mut config = Config::new();
    config.tier(TierMode::Baseline);
    let alone = {
        let engine = Engine::new(&config).unwrap();
        let _module = Module::new(&engine, &wat).unwrap();
        engine.code_memory()
    };
    // Room for one module but not two.
    config.max_code_memory(alone + alone / 2);
    let engine = Engine::new(&config).unwrap();
    let first = Module::new(&engine, &wat).unwrap();
    assert_eq!(engine.code_memory(), alone);
    let error = Module::new(&engine, &wat).unwrap_err().to_string();
    assert!(error.contains("code memory limit"), "{error}");
    assert_eq!(
        engine.code_memory(),
        alone,
        "the failed module gave its memory back"
    );
    drop(first);
    assert_eq!(engine.code_memory(), 0);
    Module::new(&engine, &wat).unwrap();
}

/// In tiered mode, functions whose code does not fit keep running in their tier (the results
/// stay right) and the optimizer failures say why.
#[test]
fn tiered_functions_beyond_the_limit_stay_in_their_tier() {
    let n = 3000;
    let wat = many_functions(n);
    let mut config = Config::new();
    config
        .tier(TierMode::Tiered)
        .baseline_after(1)
        .opt_after(2)
        .opt_queue_capacity(2 * n)
        .max_code_memory(256 << 10);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, &wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        assert_eq!(run.call(&mut store, 1).unwrap(), expected(n, 1, 0));
        let stats = module.stats();
        if stats.opt_failures.len() > 10 && stats.opt_pending == 0 {
            let (_, error) = &stats.opt_failures[0];
            assert!(
                error.contains("code memory limit") && error.contains("262144 bytes"),
                "{error}"
            );
            assert!(stats.summary().contains("code memory limit"));
            break;
        }
        assert!(Instant::now() < deadline, "{}", stats.summary());
    }
    assert!(engine.code_memory() <= 256 << 10);
    assert_eq!(run.call(&mut store, 2).unwrap(), expected(n, 2, 0));
}
