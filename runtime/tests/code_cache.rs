//! The code cache (`Config::code_cache`): optimized code written by one engine is loaded, not
//! compiled, by a later engine with the same settings, and behaves exactly as compiled code
//! (results, traps and their backtraces, calls through every path, on-stack replacement);
//! other settings miss; a damaged file is compiled again.

#[path = "support/modes.rs"]
mod modes;

use std::path::{Path, PathBuf};

use modes::until_optimized;
use tierup_runtime::{
    BoundsChecks, Config, Engine, Error, Instance, Module, Store, Tier, TierMode, TypedFunc, Val,
};

/// A module exercising what optimized code refers to outside itself: direct calls
/// (`$sum` → `$add`), an indirect call, a multi-result call, memory, a global, a call that
/// traps through the raise routine (`memory.grow` of a bad size does not; an out-of-bounds
/// `memory.fill` does), and a loop.
const WAT: &str = r#"
(module
  (type $bin (func (param i32 i32) (result i32)))
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (table 2 funcref)
  (elem (i32.const 0) $add $sub)
  (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $bin) (i32.sub (local.get 0) (local.get 1)))
  (func $pair (param i32) (result i32 i32 i32) (local.get 0) (i32.const 1) (i32.const 2))
  (func $sum (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $acc i32) (local $t i32)
    (global.set $g (i32.const 0))
    (i32.store (i32.const 64) (i32.const 0))
    (loop $l
      (local.set $acc (call $add (local.get $acc) (local.get $i)))
      (local.set $acc
        (call_indirect (type $bin) (local.get $acc) (i32.const 1) (i32.and (local.get $i) (i32.const 1))))
      (call $pair (local.get $i))
      (drop) (drop)
      (local.set $t)
      (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (local.get $t)))
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i32.add (local.get $acc) (i32.add (global.get $g) (i32.load (i32.const 64)))))
  (func $fill (export "fill") (param i32)
    (memory.fill (local.get 0) (i32.const 0) (i32.const 100)))
  (func $deep (export "deep") (param i32)
    (call $fill (local.get 0))))
"#;

/// A fresh cache directory for test `name`.
fn cache_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tierup-code-cache-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn config(tier: TierMode, dir: &Path) -> Config {
    let mut config = Config::new();
    config.tier(tier).code_cache(Some(dir.to_path_buf()));
    config
}

/// `wat` instantiated in a fresh store of a fresh engine made with `config`.
fn start(config: &Config, wat: &str) -> (Module, Store<()>, Instance) {
    let engine = Engine::new(config).unwrap();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    (module, store, instance)
}

/// Runs `sum(1000)` and the trapping `deep` in a fresh engine made with `config`; returns
/// the module (for its statistics) after checking results and the trap's backtrace.
fn run(config: &Config) -> Module {
    let (module, mut store, instance) = start(config, WAT);
    check(&mut store, &instance);
    module
}

fn check(store: &mut Store<()>, instance: &Instance) {
    let sum = instance
        .get_typed_func::<i32, i32>(&mut *store, "sum")
        .unwrap();
    // acc: each step adds i, then 1 on even i and -1 on odd i (0 in all); the global
    // counts the steps; memory sums i.
    assert_eq!(
        sum.call(&mut *store, 1000).unwrap(),
        499_500 + 1000 + 499_500
    );
    let deep = instance.get_func(&mut *store, "deep").unwrap();
    let err = deep
        .call(&mut *store, &[Val::I32(65536 - 50)], &mut [])
        .unwrap_err();
    let Error::Trap(trap) = err else {
        panic!("expected a trap, got {err}")
    };
    assert!(trap.to_string().contains("out of bounds"), "{trap}");
    let names: Vec<_> = trap
        .backtrace()
        .iter()
        .map(|f| f.func_name().unwrap_or("?"))
        .collect();
    assert_eq!(names, ["fill", "deep"], "{trap}");
}

fn cached_opt_events(module: &Module) -> (usize, usize) {
    let events = module.stats().events;
    let opt = events.iter().filter(|e| e.tier == Tier::Optimized);
    let (cached, compiled): (Vec<_>, Vec<_>) = opt.partition(|e| e.cached);
    (cached.len(), compiled.len())
}

#[test]
fn eager_code_is_compiled_once_then_loaded_and_runs_the_same() {
    let dir = cache_dir("eager");
    let first = run(&config(TierMode::Optimized, &dir));
    assert_eq!(cached_opt_events(&first), (0, 6));
    let second = run(&config(TierMode::Optimized, &dir));
    assert_eq!(cached_opt_events(&second), (6, 0));
    // Explicit bounds checks are other code: a miss, then a hit.
    let mut explicit = config(TierMode::Optimized, &dir);
    explicit.bounds_checks(BoundsChecks::Explicit);
    assert_eq!(cached_opt_events(&run(&explicit)), (0, 6));
    assert_eq!(cached_opt_events(&run(&explicit)), (6, 0));
    // So is tiered code (its direct calls go through cells, not linked `call rel32`s).
    let mut stress = config(TierMode::Tiered, &dir);
    stress.baseline_after(1).opt_after(1);
    let (module, mut store, instance) = start(&stress, WAT);
    let event = until_optimized(&module, "sum", || check(&mut store, &instance));
    assert!(!event.cached, "{event:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tiered_code_is_loaded_when_the_function_gets_hot_again() {
    let dir = cache_dir("tiered");
    let mut loaded = Vec::new();
    for _ in 0..4 {
        let mut config = config(TierMode::Tiered, &dir);
        // Loaded when hot, not by the warm start.
        config
            .baseline_after(10)
            .opt_after(50)
            .code_cache_warm_start(false);
        let (module, mut store, instance) = start(&config, WAT);
        let event = until_optimized(&module, "sum", || check(&mut store, &instance));
        loaded.push(event.cached);
        // The functions it calls, optimized meanwhile or later, and the loop's OSR entry
        // behave the same whichever way their code came.
        for _ in 0..20 {
            check(&mut store, &instance);
        }
    }
    // The first run compiles; a later one loads, unless `sum`'s code calls a callee unchecked
    // that is not published yet when `sum` gets hot in that run (the order of tier-up
    // differs between runs). That run compiles a copy with checked calls instead, which
    // every later run loads: so at most one of the later runs compiles.
    assert!(!loaded[0], "{loaded:?}");
    assert!(
        loaded[1..].iter().filter(|&&l| !l).count() <= 1,
        "{loaded:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_cache_file_is_compiled_again() {
    let dir = cache_dir("damaged");
    run(&config(TierMode::Optimized, &dir));
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one file per module: {files:?}");
    let file = &files[0];
    let whole = std::fs::read(file).unwrap();
    // Cut in half: the entries in the first half load, the others are compiled again.
    std::fs::write(file, &whole[..whole.len() / 2]).unwrap();
    let (cached, compiled) = cached_opt_events(&run(&config(TierMode::Optimized, &dir)));
    assert!(
        cached + compiled == 6 && compiled > 0,
        "{cached} + {compiled}"
    );
    assert_eq!(
        cached_opt_events(&run(&config(TierMode::Optimized, &dir))),
        (6, 0)
    );
    // A flipped bit in every 13th byte after the header: every entry fails its checksum
    // (or the file no longer parses), so every function is compiled again and rewritten.
    let mut damaged = std::fs::read(file).unwrap();
    for at in (8..damaged.len()).step_by(13) {
        damaged[at] ^= 0x10;
    }
    std::fs::write(file, damaged).unwrap();
    assert_eq!(
        cached_opt_events(&run(&config(TierMode::Optimized, &dir))),
        (0, 6)
    );
    assert_eq!(
        cached_opt_events(&run(&config(TierMode::Optimized, &dir))),
        (6, 0)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_cache_directory_is_no_error() {
    let file = cache_dir("not-a-directory");
    std::fs::write(&file, b"a file where the directory should be").unwrap();
    let module = run(&config(TierMode::Optimized, &file));
    assert_eq!(cached_opt_events(&module), (0, 6));
    let _ = std::fs::remove_file(&file);
}

/// A caller whose loop makes it hot long before its callee, which it calls once per call.
const CALLER: &str = r#"
(module
  (func $callee (export "callee") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (func $caller (export "caller") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (local.set $acc (call $callee (local.get $n)))
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100))))
    (local.get $acc)))
"#;

/// `CALLER` in a fresh engine made with `config`: the module, a store, and its `callee` and
/// `caller`.
fn start_caller(config: &Config) -> (Module, Store<()>, CallerFunc, CallerFunc) {
    let (module, mut store, instance) = start(config, CALLER);
    let callee = instance
        .get_typed_func::<i32, i32>(&mut store, "callee")
        .unwrap();
    let caller = instance
        .get_typed_func::<i32, i32>(&mut store, "caller")
        .unwrap();
    (module, store, callee, caller)
}

/// `CALLER`'s functions: `(i32) -> i32`.
type CallerFunc = TypedFunc<i32, i32>;

/// Optimizes `first` (by calling it until it is), then `caller`; returns whether `caller`'s
/// code came from the cache.
fn caller_run(dir: &Path, first: Option<&str>) -> bool {
    let mut config = config(TierMode::Tiered, dir);
    config
        .tiers(tierup_runtime::Tiers {
            interp: true,
            baseline: false,
            opt: true,
        })
        // The caller's loop makes it hot after 200 calls, and the callee needs 20,000: it
        // does not get hot while the caller waits for its code (a worker would compile a
        // queued callee first).
        .opt_after(20_000)
        // Code is loaded when it gets hot, in the order the calls make.
        .code_cache_warm_start(false);
    let (module, mut store, callee, caller) = start_caller(&config);
    if first.is_some() {
        until_optimized(&module, "callee", || {
            assert_eq!(callee.call(&mut store, 5).unwrap(), 15);
        });
    }
    let event = until_optimized(&module, "caller", || {
        assert_eq!(caller.call(&mut store, 5).unwrap(), 15 + 4950);
    });
    // The callee, optimized or not, is called correctly either way.
    for n in 0..100 {
        assert_eq!(caller.call(&mut store, n).unwrap(), 3 * n + 4950);
    }
    event.cached
}

#[test]
fn cached_code_that_calls_a_callee_unchecked_waits_for_it_and_is_replaced_by_code_that_checks() {
    let dir = cache_dir("callee-order");
    // The callee is optimized first: the caller's code calls its native entry unchecked.
    assert!(!caller_run(&dir, Some("callee")));
    // The callee is optimized first again: that code can run.
    assert!(caller_run(&dir, Some("callee")));
    // The caller gets hot first: that code cannot run yet, so the caller is compiled again,
    // checking the callee's entry at each call...
    assert!(!caller_run(&dir, None));
    // ... and that copy runs in any order.
    assert!(caller_run(&dir, None));
    assert!(caller_run(&dir, Some("callee")));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether the module's statistics show `func` in tier `tier`.
fn reached(module: &Module, func: &str, tier: Tier) -> bool {
    module
        .stats()
        .events
        .iter()
        .any(|e| e.tier == tier && e.name.as_deref() == Some(func))
}

#[test]
fn cached_direct_calls_reach_a_callee_that_is_not_optimized_here_through_its_cell() {
    let dir = cache_dir("direct-call-veneer");
    let mut config = config(TierMode::Tiered, &dir);
    // The caller's loop makes it hot after a thousand calls, the callee needs a hundred
    // times more: it stays in baseline code while the caller is loaded.
    config
        .baseline_after(1)
        .opt_after(100_000)
        .code_cache_warm_start(false);
    // The callee is optimized first: the caller's code calls it with a direct `call rel32`,
    // linked to the callee's optimized code.
    {
        let (module, mut store, callee, caller) = start_caller(&config);
        until_optimized(&module, "callee", || {
            assert_eq!(callee.call(&mut store, 5).unwrap(), 15);
        });
        let event = until_optimized(&module, "caller", || {
            assert_eq!(caller.call(&mut store, 5).unwrap(), 15 + 4950);
        });
        assert!(!event.cached);
    }
    // Here the callee has only baseline code (its native entry is in its cell) when the
    // caller gets hot: the caller's cached code runs, and its direct call goes through a
    // veneer and the cell, to the baseline code and, once the callee is optimized, to that.
    let (module, mut store, callee, caller) = start_caller(&config);
    for _ in 0..2 {
        assert_eq!(callee.call(&mut store, 5).unwrap(), 15);
    }
    assert!(reached(&module, "callee", Tier::Baseline));
    let event = until_optimized(&module, "caller", || {
        assert_eq!(caller.call(&mut store, 5).unwrap(), 15 + 4950);
    });
    assert!(
        event.cached,
        "the cached code can run: the callee has a native entry"
    );
    assert!(
        !reached(&module, "callee", Tier::Optimized),
        "the callee is not optimized yet"
    );
    for n in 0..40 {
        assert_eq!(caller.call(&mut store, n).unwrap(), 3 * n + 4950);
    }
    until_optimized(&module, "callee", || {
        assert_eq!(caller.call(&mut store, 7).unwrap(), 21 + 4950);
    });
    for n in 0..100 {
        assert_eq!(caller.call(&mut store, n).unwrap(), 3 * n + 4950);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_warm_start_installs_the_cached_code_before_the_functions_are_called() {
    let dir = cache_dir("warm-start");
    let mut config = config(TierMode::Tiered, &dir);
    config.baseline_after(10).opt_after(50);
    // The first run optimizes `sum` and the functions it calls directly: `sum`'s code may
    // call their native entries unchecked (they were published, in baseline code at least,
    // when it was compiled), so the warm start installs it only after them, and only if
    // they are cached too (else `sum` would wait to get hot, as without a warm start).
    {
        let (module, mut store, instance) = start(&config, WAT);
        for func in ["sum", "add", "pair"] {
            until_optimized(&module, func, || check(&mut store, &instance));
        }
    }
    // The next module starts with it, before any call.
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, WAT).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let event = loop {
        let stats = module.stats();
        if let Some(e) = stats
            .events
            .iter()
            .find(|e| e.tier == Tier::Optimized && e.name.as_deref() == Some("sum"))
        {
            break e.clone();
        }
        assert!(std::time::Instant::now() < deadline, "{}", stats.summary());
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    assert!(event.cached, "{event:?}");
    let stats = module.stats();
    assert!(
        stats
            .timeline
            .compiles
            .iter()
            .any(|c| c.kind == tierup_runtime::stats::CompileKind::WarmStart),
        "{:?}",
        stats.timeline.compiles
    );
    // No function was interpreted before it: `sum` runs in optimized code from its first
    // call, with the same results and traps.
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    check(&mut store, &instance);
    assert!(
        !module
            .stats()
            .events
            .iter()
            .any(|e| e.name.as_deref() == Some("sum") && e.tier != Tier::Optimized),
        "{}",
        module.stats().summary()
    );
    // Without the warm start, nothing is installed before calls.
    config.code_cache_warm_start(false);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, WAT).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(module.stats().events.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
