//! Fuel and epochs behave the same in every tier (DESIGN.md §8a, `tierup_abi::metering`): a
//! metered program stops at the same instruction, with the same fuel left and the same
//! effects so far, whether it runs interpreted, in baseline code, in optimized code, or
//! tiering up (with on-stack replacement) while it runs; epoch deadlines stop loops and call
//! trees in every tier, and a deadline callback can trap or let the program go on.

#[path = "support/modes.rs"]
mod modes;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use tierup_runtime::{
    Caller, Config, Engine, Error, Instance, Linker, Module, Store, TrapCode, TypedFunc,
    UpdateDeadline, Val,
};

/// Loops, branches out of blocks, `if`/`else`, `br_table`, calls (direct, indirect, to the
/// host) and memory: `run(n)` logs through the host import and counts in memory.
const PROGRAM: &str = r#"
(module
  (import "host" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (table 2 funcref)
  (elem (i32.const 0) $inc $dec)
  (type $step (func (param i32) (result i32)))
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $dec (param i32) (result i32) (i32.sub (local.get 0) (i32.const 1)))
  (func $bump
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1))))
  (func (export "run") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $bump)
        (if (i32.and (local.get $i) (i32.const 1))
          (then (local.set $acc (call_indirect (type $step) (local.get $acc) (i32.const 0))))
          (else (local.set $acc (call $inc (call $inc (local.get $acc))))))
        (block $b2 (block $b1 (block $b0
          (br_table $b0 $b1 $b2 (i32.rem_u (local.get $i) (i32.const 3))))
          (local.set $acc (i32.add (local.get $acc) (i32.const 10))) (br $b2))
          (local.set $acc (i32.sub (local.get $acc) (i32.const 3))))
        (if (i32.eqz (i32.rem_u (local.get $i) (i32.const 7)))
          (then (call $log (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc)))
"#;

/// What one metered run observed: the result or trap, the fuel left, the host log and the
/// memory counter.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    outcome: Result<i32, TrapCode>,
    fuel_left: u64,
    log: Vec<i32>,
    bumps: u32,
}

fn run_metered(engine: &Engine, module: &Module, fuel: u64, n: i32) -> Observed {
    let mut store = Store::new(engine, Vec::<i32>::new());
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("host", "log", |mut caller: Caller<'_, Vec<i32>>, i: i32| {
            caller.data_mut().push(i);
        })
        .unwrap();
    let instance = linker.instantiate(&mut store, module).unwrap();
    store.set_fuel(fuel).unwrap();
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap();
    let outcome = run
        .call(&mut store, n)
        .map_err(|e| e.as_trap().map(|t| t.code()).expect("a trap"));
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    let mut bytes = [0u8; 4];
    memory.read(&store, 0, &mut bytes).unwrap();
    Observed {
        outcome,
        fuel_left: store.get_fuel().unwrap(),
        log: store.data().clone(),
        bumps: u32::from_le_bytes(bytes),
    }
}

#[test]
fn fuel_runs_out_at_the_same_instruction_in_every_tier() {
    let fuels: Vec<u64> = (0..400).chain((400..20_000).step_by(97)).collect();
    let engines: Vec<(&str, Engine, Module)> = modes::tier_modes()
        .into_iter()
        .map(|(name, mut config)| {
            config.consume_fuel(true);
            let engine = Engine::new(&config).unwrap();
            let module = Module::new(&engine, PROGRAM).unwrap();
            (name, engine, module)
        })
        .collect();
    let mut out_of_fuel = 0;
    for &fuel in &fuels {
        let (_, engine, module) = &engines[0];
        let expected = run_metered(engine, module, fuel, 300);
        if expected.outcome == Err(TrapCode::OutOfFuel) {
            out_of_fuel += 1;
            assert_eq!(expected.fuel_left, 0);
        }
        for (name, engine, module) in &engines[1..] {
            let observed = run_metered(engine, module, fuel, 300);
            assert_eq!(observed, expected, "{name} with {fuel} fuel");
        }
    }
    // Both ends are covered: most budgets run out part-way, the largest finish.
    assert!(out_of_fuel > fuels.len() / 2, "{out_of_fuel} ran out");
    let (_, engine, module) = &engines[0];
    assert!(run_metered(engine, module, 20_000, 300).outcome.is_ok());
}

#[test]
fn fuel_is_charged_per_wasm_instruction_like_wasmtime() {
    // local.get, i32.const, i32.add (3); nop, drop-free; block/end free.
    let wat = r#"(module
      (func (export "f") (param i32) (result i32)
        (nop) (block (result i32) (i32.add (local.get 0) (i32.const 1)))))"#;
    for (name, mut config) in modes::tier_modes() {
        config.consume_fuel(true);
        let (_engine, mut store, instance) = modes::instantiate(&config, wat);
        let f = instance
            .get_typed_func::<i32, i32>(&mut store, "f")
            .unwrap();
        store.set_fuel(100).unwrap();
        for round in 1..=3u64 {
            assert_eq!(f.call(&mut store, 1).unwrap(), 2, "{name}");
            assert_eq!(store.get_fuel().unwrap(), 100 - 3 * round, "{name}");
        }
        store.set_fuel(2).unwrap();
        let err = f.call(&mut store, 1).unwrap_err();
        assert_eq!(err.as_trap().map(|t| t.code()), Some(TrapCode::OutOfFuel));
        assert!(err.to_string().contains("all fuel consumed"), "{err}");
        assert_eq!(store.get_fuel().unwrap(), 0);
    }
}

#[test]
fn fuel_needs_to_be_enabled() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    assert!(store.set_fuel(10).is_err());
    assert!(store.get_fuel().is_err());
}

const SPIN: &str = r#"(module
  (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "spin") (local i32)
    (loop (local.set 0 (call $leaf (local.get 0))) (br 0)))
  (func $down (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $down (i32.sub (local.get 0) (i32.const 1))))
      (else (i32.const 0))))
  (func (export "calls") (param i32) (result i32)
    (i32.add (call $down (i32.const 3)) (call $down (i32.const 5)))))"#;

/// An engine with epoch interruption in `config`'s tier mode, and a store with [`SPIN`]
/// instantiated.
fn spin_instance(mut config: Config) -> (Engine, Store<()>, Instance) {
    config.epoch_interruption(true);
    modes::instantiate(&config, SPIN)
}

/// Calls `spin` (which never returns by itself) while a thread advances the epoch; the error
/// that ended it.
fn spin_while_ticking(engine: &Engine, store: &mut Store<()>, spin: TypedFunc<(), ()>) -> Error {
    let stop = Arc::new(AtomicBool::new(false));
    let thread = ticker(engine, &stop);
    let err = spin.call(store, ()).unwrap_err();
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
    err
}

/// A thread that advances `engine`'s epoch every millisecond until `stop`.
fn ticker(engine: &Engine, stop: &Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let (engine, stop) = (engine.clone(), stop.clone());
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(1));
            engine.increment_epoch();
        }
    })
}

#[test]
fn epoch_deadlines_stop_loops_in_every_tier() {
    for (name, config) in modes::tier_modes() {
        let (engine, mut store, instance) = spin_instance(config);
        let spin = instance
            .get_typed_func::<(), ()>(&mut store, "spin")
            .unwrap();
        store.set_epoch_deadline(5);
        let err = spin_while_ticking(&engine, &mut store, spin);
        assert_eq!(
            err.as_trap().map(|t| t.code()),
            Some(TrapCode::Interrupted),
            "{name}: {err}"
        );
        // No deadline: the store runs (a passed deadline is checked at function entry).
        store.set_epoch_deadline(u64::MAX);
        let calls = instance
            .get_typed_func::<i32, i32>(&mut store, "calls")
            .unwrap();
        assert_eq!(calls.call(&mut store, 0).unwrap(), 0, "{name}");
        store.set_epoch_deadline(0);
        let err = calls.call(&mut store, 0).unwrap_err();
        assert_eq!(
            err.as_trap().map(|t| t.code()),
            Some(TrapCode::Interrupted),
            "{name}: a passed deadline stops at the next function entry"
        );
    }
}

#[derive(Debug)]
struct Enough;

impl std::fmt::Display for Enough {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("enough")
    }
}

impl std::error::Error for Enough {}

#[test]
fn a_deadline_callback_extends_then_stops_in_every_tier() {
    for (name, config) in modes::tier_modes() {
        let (engine, mut store, instance) = spin_instance(config);
        let spin = instance
            .get_typed_func::<(), ()>(&mut store, "spin")
            .unwrap();
        let calls = Arc::new(AtomicU32::new(0));
        let seen = calls.clone();
        store.epoch_deadline_callback(move |_| {
            if seen.fetch_add(1, Ordering::SeqCst) < 3 {
                Ok(UpdateDeadline::Continue(2))
            } else {
                Err(Error::new(Enough))
            }
        });
        store.set_epoch_deadline(2);
        let err = spin_while_ticking(&engine, &mut store, spin);
        assert!(err.downcast_ref::<Enough>().is_some(), "{name}: {err}");
        assert_eq!(calls.load(Ordering::SeqCst), 4, "{name}");
        match &err {
            Error::Host(host) => assert!(!host.backtrace().is_empty(), "{name}: wasm frames"),
            other => panic!("{name}: expected the callback's error, got {other}"),
        }
    }
}

#[test]
fn interrupts_reach_host_functions_that_wait() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "host" "wait" (func $wait))
             (func (export "run") (call $wait)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "host",
            "wait",
            |caller: Caller<'_, ()>| -> Result<(), Error> {
                for _ in 0..10_000 {
                    if caller.interrupt_pending() {
                        return Err(Error::Trap(tierup_runtime::Trap::new(
                            TrapCode::Interrupted,
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                Ok(())
            },
        )
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_func(&mut store, "run").unwrap();
    let handle = store.interrupt_handle();
    let start = std::time::Instant::now();
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        handle.interrupt();
    });
    let err = run.call(&mut store, &[], &mut []).unwrap_err();
    timer.join().unwrap();
    assert_eq!(err.as_trap().map(|t| t.code()), Some(TrapCode::Interrupted));
    assert!(start.elapsed() < Duration::from_secs(5));
    // The request was delivered: the next call waits again (and is interrupted again).
    let handle = store.interrupt_handle();
    assert!(!handle.pending());
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        handle.interrupt();
    });
    let mut results: [Val; 0] = [];
    let err = run.call(&mut store, &[], &mut results).unwrap_err();
    timer.join().unwrap();
    assert_eq!(err.as_trap().map(|t| t.code()), Some(TrapCode::Interrupted));
}

/// A loop with many values live across its header (eight `i64`s and four `v128`s, more than
/// the caller-saved registers), which the epoch check at the header must keep intact.
const MANY_LIVE: &str = r#"(module
  (func (export "mix") (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64)
    (local $e i64) (local $f i64) (local $g i64) (local $h i64)
    (local $v v128) (local $w v128) (local $x v128) (local $y v128)
    (local.set $a (i64.const 1)) (local.set $b (i64.const 2)) (local.set $c (i64.const 3))
    (local.set $d (i64.const 4)) (local.set $e (i64.const 5)) (local.set $f (i64.const 6))
    (local.set $g (i64.const 7)) (local.set $h (i64.const 8))
    (local.set $v (v128.const i32x4 1 2 3 4)) (local.set $w (v128.const i32x4 5 6 7 8))
    (local.set $x (v128.const i32x4 9 10 11 12)) (local.set $y (v128.const i32x4 13 14 15 16))
    (loop $l
      (local.set $a (i64.add (local.get $a) (local.get $h)))
      (local.set $b (i64.xor (local.get $b) (i64.rotl (local.get $a) (i64.const 7))))
      (local.set $c (i64.add (local.get $c) (local.get $b)))
      (local.set $d (i64.mul (local.get $d) (i64.or (local.get $c) (i64.const 1))))
      (local.set $e (i64.sub (local.get $e) (local.get $d)))
      (local.set $f (i64.xor (local.get $f) (i64.shr_u (local.get $e) (i64.const 3))))
      (local.set $g (i64.add (local.get $g) (local.get $f)))
      (local.set $h (i64.add (local.get $h) (i64.const 0x9e3779b97f4a7c15)))
      (local.set $v (i32x4.add (local.get $v) (local.get $w)))
      (local.set $w (v128.xor (local.get $w) (i32x4.shl (local.get $x) (i32.const 1))))
      (local.set $x (i32x4.add (local.get $x) (local.get $y)))
      (local.set $y (i32x4.sub (local.get $y) (local.get $v)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i64.add
      (i64.xor (i64.xor (local.get $a) (local.get $b)) (i64.xor (local.get $c) (local.get $d)))
      (i64.add
        (i64.xor (i64.xor (local.get $e) (local.get $f)) (i64.xor (local.get $g) (local.get $h)))
        (i64.add
          (i64.add (i64x2.extract_lane 0 (local.get $v)) (i64x2.extract_lane 1 (local.get $w)))
          (i64.add (i64x2.extract_lane 0 (local.get $x)) (i64x2.extract_lane 1 (local.get $y))))))))"#;

/// [`MANY_LIVE`]'s `mix` in an engine made with `config`, with its store.
fn many_live(config: &Config) -> (Engine, Store<()>, TypedFunc<i32, i64>) {
    let (engine, mut store, instance) = modes::instantiate(config, MANY_LIVE);
    let mix = instance
        .get_typed_func::<i32, i64>(&mut store, "mix")
        .unwrap();
    (engine, store, mix)
}

#[test]
fn deadline_callbacks_in_the_middle_of_a_loop_leave_its_values_intact_in_every_tier() {
    const N: i32 = 3_000_000;
    let expected = {
        let (_engine, mut store, mix) = many_live(&Config::default());
        mix.call(&mut store, N).unwrap()
    };
    for (name, mut config) in modes::tier_modes() {
        config.epoch_interruption(true);
        let (engine, mut store, mix) = many_live(&config);
        let calls = Arc::new(AtomicU32::new(0));
        let seen = calls.clone();
        store.epoch_deadline_callback(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
            Ok(UpdateDeadline::Continue(1))
        });
        store.set_epoch_deadline(1);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = ticker(&engine, &stop);
        // Until the loop was interrupted (and went on) at least once.
        let mut runs = 0;
        while calls.load(Ordering::SeqCst) == 0 && runs < 200 {
            assert_eq!(mix.call(&mut store, N).unwrap(), expected, "{name}");
            runs += 1;
        }
        stop.store(true, Ordering::Relaxed);
        thread.join().unwrap();
        assert!(
            calls.load(Ordering::SeqCst) > 0,
            "{name}: never interrupted"
        );
    }
}
