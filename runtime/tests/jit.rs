//! Machine code (the baseline and optimizing tiers) in every mode that runs it: traps as
//! values, 10,000 times per kind, backtraces across mixed interpreter/baseline/optimized
//! frames and host re-entry, tier-up by hotness (to baseline code, then to Cranelift code
//! compiled in the background and patched in while other threads call it), on-stack
//! replacement, and interruption of machine-code loops.

#[path = "support/modes.rs"]
mod modes;

use std::time::Duration;

use modes::until_optimized;

use tierup_runtime::{
    BoundsChecks, Caller, Config, Engine, Error, Func, Instance, Linker, Module, Store, Tier,
    TierMode, Trap, TrapCode, Val,
};

/// The modes that run machine code: forced baseline and forced optimized code (each with
/// guard pages and with explicit checks), tiered, and tiered with thresholds at 1 (tier-up
/// and OSR at the first opportunity, optimized code arriving while the test runs).
fn machine_code_modes() -> Vec<(&'static str, Config)> {
    let mut modes = Vec::new();
    for (name, tier, checks) in [
        ("baseline", TierMode::Baseline, BoundsChecks::Guard),
        (
            "baseline-explicit",
            TierMode::Baseline,
            BoundsChecks::Explicit,
        ),
        ("opt", TierMode::Optimized, BoundsChecks::Guard),
        ("opt-explicit", TierMode::Optimized, BoundsChecks::Explicit),
    ] {
        let mut config = Config::new();
        config.tier(tier).bounds_checks(checks);
        modes.push((name, config));
    }
    let mut tiered = Config::new();
    tiered.tier(TierMode::Tiered);
    let mut stress = Config::new();
    stress.tier(TierMode::Tiered).baseline_after(1).opt_after(1);
    modes.push(("tiered", tiered));
    modes.push(("stress", stress));
    modes
}

fn instantiate<T: 'static>(config: &Config, wat: &str, data: T) -> (Store<T>, Instance) {
    let engine = Engine::new(config).unwrap();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, data);
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, instance)
}

/// Calls `run` (a fresh instance's call, its result checked, returning the module it ran)
/// until that module's statistics show an on-stack replacement into optimized code, failing
/// after 20 s (`what` names the case). Long enough for a background compile to finish while
/// a loop runs; if it does not, the next call's loop moves over.
fn until_opt_osr(what: &str, mut run: impl FnMut() -> Module) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let module = run();
        if module.stats().opt_osr_entries > 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: no on-stack replacement into optimized code: {}",
            module.stats().summary()
        );
    }
}

fn trap_of(err: Error) -> Trap {
    match err {
        Error::Trap(t) => t,
        other => panic!("expected a trap, got {other}"),
    }
}

fn names(trap: &Trap) -> Vec<&str> {
    trap.backtrace()
        .iter()
        .map(|f| f.func_name().unwrap_or("?"))
        .collect()
}

const TRAPS: &str = r#"
(module
  (type $v (func))
  (type $i (func (result i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $ok)
  (func $ok)
  (func (export "unreachable") (param i32) unreachable)
  (func (export "div0") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "rem0") (param i64) (result i64) (i64.rem_u (i64.const 1) (local.get 0)))
  (func (export "overflow") (param i32) (result i32)
    (i32.div_s (i32.const 0x80000000) (local.get 0)))
  (func (export "conversion") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
  (func (export "conversion-range") (param f64) (result i64) (i64.trunc_f64_u (local.get 0)))
  (func (export "memory") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "memory-store") (param i32) (i64.store offset=7 (local.get 0) (i64.const 1)))
  (func (export "memory-far") (param i32) (result i32)
    (i32.load offset=0x7fffffff (local.get 0)))
  (func (export "memory-fill") (param i32) (memory.fill (local.get 0) (i32.const 0) (i32.const 2)))
  (func (export "table") (param i32) (call_indirect (type $v) (local.get 0)))
  (func (export "null") (param i32) (call_indirect (type $v) (local.get 0)))
  (func (export "signature") (param i32) (result i32) (call_indirect (type $i) (local.get 0)))
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (local.get 0)) (i32.const 1)))
)"#;

/// Every trap kind, raised by machine code 10,000 times each: none may kill the process,
/// each must come back as the right trap with a backtrace, and the store stays usable.
#[test]
fn every_trap_kind_from_machine_code_10000_times() {
    let cases: [(&str, Val, TrapCode); 15] = [
        ("unreachable", Val::I32(0), TrapCode::Unreachable),
        ("div0", Val::I32(0), TrapCode::IntegerDivisionByZero),
        ("rem0", Val::I64(0), TrapCode::IntegerDivisionByZero),
        ("overflow", Val::I32(-1), TrapCode::IntegerOverflow),
        (
            "conversion",
            Val::F32(f32::NAN.to_bits()),
            TrapCode::BadConversionToInteger,
        ),
        (
            "conversion-range",
            Val::F64((-1.0f64).to_bits()),
            TrapCode::IntegerOverflow,
        ),
        ("memory", Val::I32(65533), TrapCode::MemoryOutOfBounds),
        ("memory", Val::I32(-1), TrapCode::MemoryOutOfBounds),
        ("memory-store", Val::I32(65530), TrapCode::MemoryOutOfBounds),
        ("memory-far", Val::I32(1), TrapCode::MemoryOutOfBounds),
        ("memory-fill", Val::I32(65535), TrapCode::MemoryOutOfBounds),
        ("table", Val::I32(7), TrapCode::TableOutOfBounds),
        ("null", Val::I32(1), TrapCode::IndirectCallToNull),
        ("signature", Val::I32(0), TrapCode::BadSignature),
        ("recurse", Val::I32(0), TrapCode::StackOverflow),
    ];
    for (mode, config) in machine_code_modes() {
        let (mut store, instance) = instantiate(&config, TRAPS, ());
        for (name, arg, code) in &cases {
            let f = instance.get_func(&mut store, name).unwrap();
            let mut results = vec![Val::I32(0); f.ty(&store).results().len()];
            // A stack overflow recurses through the whole stack (about two million optimized
            // frames at the default `max_wasm_stack`): a hundred of them are enough.
            let rounds = if *code == TrapCode::StackOverflow {
                100
            } else {
                10_000
            };
            for _ in 0..rounds {
                let trap = trap_of(
                    f.call(&mut store, std::slice::from_ref(arg), &mut results)
                        .unwrap_err(),
                );
                assert_eq!(trap.code(), *code, "{mode}: {name}");
                assert!(
                    !trap.backtrace().is_empty(),
                    "{mode}: {name} has a backtrace"
                );
            }
        }
        // After all that, normal calls still work.
        let f = instance.get_func(&mut store, "div0").unwrap();
        let mut out = [Val::I32(0)];
        f.call(&mut store, &[Val::I32(1)], &mut out).unwrap();
        assert_eq!(out[0].i32().unwrap(), 1, "{mode}");
    }
}

/// The backtrace of a trap lists every frame, whichever tier each one runs in.
#[test]
fn backtraces_cross_tiers() {
    let wat = r#"(module
      (memory 1)
      (func $inner (param i32) (result i32) (i32.load (local.get 0)))
      (func $middle (param i32) (result i32) (call $inner (local.get 0)))
      (func $hot (export "hot") (param i32) (result i32) (call $middle (local.get 0)))
      (func $outer (export "outer") (param i32) (result i32) (call $hot (local.get 0))))"#;
    for (mode, config) in machine_code_modes() {
        let (mut store, instance) = instantiate(&config, wat, ());
        let hot = instance
            .get_typed_func::<i32, i32>(&mut store, "hot")
            .unwrap();
        // Make `hot` and its callees reach baseline code in tiered modes; `outer` stays
        // interpreted in `tiered` (called once).
        for _ in 0..2000 {
            hot.call(&mut store, 0).unwrap();
        }
        let outer = instance
            .get_typed_func::<i32, i32>(&mut store, "outer")
            .unwrap();
        let trap = trap_of(outer.call(&mut store, 70000).unwrap_err());
        assert_eq!(trap.code(), TrapCode::MemoryOutOfBounds, "{mode}");
        assert_eq!(names(&trap), ["inner", "middle", "hot", "outer"], "{mode}");
    }
}

/// wasm → host → wasm (traps): the trap reaches the embedder with every frame, inner first,
/// and the outer activation's machine code is left intact.
#[test]
fn nested_host_reentry_traps_in_machine_code() {
    let wat = r#"(module
      (import "env" "reenter" (func $reenter (param i32) (result i32)))
      (func $inner (export "inner") (param i32) (result i32)
        (i32.div_u (i32.const 10) (local.get 0)))
      (func $outer (export "outer") (param i32) (result i32)
        (i32.add (call $reenter (local.get 0)) (i32.const 1))))"#;
    for (mode, config) in machine_code_modes() {
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, None::<Func>);
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap(
                "env",
                "reenter",
                |mut caller: Caller<'_, Option<Func>>, x: i32| -> Result<i32, Error> {
                    let inner = caller.data().unwrap();
                    let mut out = [Val::I32(0)];
                    inner.call(&mut caller, &[Val::I32(x)], &mut out)?;
                    Ok(out[0].i32().unwrap())
                },
            )
            .unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        *store.data_mut() = instance.get_func(&mut store, "inner");
        let outer = instance
            .get_typed_func::<i32, i32>(&mut store, "outer")
            .unwrap();
        for round in 0..3000 {
            assert_eq!(outer.call(&mut store, 5).unwrap(), 3, "{mode}");
            if round % 100 == 0 {
                let trap = trap_of(outer.call(&mut store, 0).unwrap_err());
                assert_eq!(trap.code(), TrapCode::IntegerDivisionByZero, "{mode}");
                assert_eq!(names(&trap), ["inner", "outer"], "{mode}");
            }
        }
    }
}

/// A function called often enough reaches the baseline tier, and the stats say so.
#[test]
fn hot_functions_reach_the_baseline_tier() {
    let wat = r#"(module
      (func $sq (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
      (func (export "cold") (result i32) (i32.const 7)))"#;
    let mut config = Config::new();
    config.tier(TierMode::Tiered).baseline_after(100);
    let (mut store, instance) = instantiate(&config, wat, ());
    let sq = instance
        .get_typed_func::<i32, i32>(&mut store, "sq")
        .unwrap();
    let cold = instance
        .get_typed_func::<(), i32>(&mut store, "cold")
        .unwrap();
    assert_eq!(cold.call(&mut store, ()).unwrap(), 7);
    for i in 0..99 {
        assert_eq!(sq.call(&mut store, i).unwrap(), i * i);
    }
    let stats = instance.module(&mut store).stats();
    assert!(!stats.events.iter().any(|e| e.tier == Tier::Baseline));
    for i in 0..10 {
        assert_eq!(sq.call(&mut store, i).unwrap(), i * i);
    }
    let stats = instance.module(&mut store).stats();
    let baseline: Vec<_> = stats
        .events
        .iter()
        .filter(|e| e.tier == Tier::Baseline)
        .map(|e| e.name.as_deref().unwrap_or("?"))
        .collect();
    assert_eq!(baseline, ["sq"], "only the hot function is compiled");
}

/// A threshold longer than a countdown's lap (2^16 ticks, `tierup_abi::hotness`) still
/// counts exactly: the runtime counts the laps, the policy sees only the last crossing.
#[test]
fn thresholds_longer_than_a_lap_count_exactly() {
    let wat = r#"(module
      (func (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0))))"#;
    let threshold = 3 * 65536 + 5;
    let mut config = Config::new();
    config.tier(TierMode::Tiered).baseline_after(threshold);
    let (mut store, instance) = instantiate(&config, wat, ());
    let sq = instance
        .get_typed_func::<i32, i32>(&mut store, "sq")
        .unwrap();
    let baseline_events = |store: &mut Store<()>| {
        let stats = instance.module(&mut *store).stats();
        stats
            .events
            .iter()
            .filter(|e| e.tier == Tier::Baseline)
            .count()
    };
    for i in 0..threshold - 1 {
        assert_eq!(
            sq.call(&mut store, i as i32).unwrap(),
            (i as i32).wrapping_mul(i as i32)
        );
    }
    assert_eq!(
        baseline_events(&mut store),
        0,
        "not hot after {} calls",
        threshold - 1
    );
    assert_eq!(sq.call(&mut store, 3).unwrap(), 9);
    assert_eq!(baseline_events(&mut store), 1, "hot on call {threshold}");
}

/// A function called once whose loop runs long moves into machine code at a loop header
/// (on-stack replacement) and finishes there with the right result.
#[test]
fn long_loops_in_a_single_call_move_into_machine_code() {
    let wat = r#"(module
      (func (export "main") (param i32) (result i64) (local i32) (local i64)
        (loop $l
          (local.set 2 (i64.add (local.get 2) (i64.extend_i32_u (local.get 1))))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 2)))"#;
    for (mode, config) in machine_code_modes() {
        let (mut store, instance) = instantiate(&config, wat, ());
        let main = instance
            .get_typed_func::<i32, i64>(&mut store, "main")
            .unwrap();
        let n = 1_000_000i64;
        assert_eq!(
            main.call(&mut store, n as i32).unwrap(),
            n * (n - 1) / 2,
            "{mode}"
        );
        let stats = instance.module(&mut store).stats();
        if config.tier_mode() == TierMode::Tiered {
            assert_eq!(stats.osr_entries, 1, "{mode}: one on-stack replacement");
        }
        if config.tier_mode() == TierMode::Optimized {
            assert!(stats.events.iter().all(|e| e.tier == Tier::Optimized));
        }
    }
}

/// Regression: OSR entries are looked up by loop header; a function whose back-edges come in
/// another order than its loop headers (nested loops, a later loop hot) still moves into
/// machine code at the hot loop instead of staying interpreted.
#[test]
fn on_stack_replacement_finds_every_loop_header() {
    let wat = r#"(module
      (func (export "main") (param i32) (result i64) (local i32 i32) (local i64)
        (loop $warm
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $warm (i32.lt_u (local.get 1) (i32.const 3))))
        (local.set 1 (i32.const 0))
        (loop $outer
          (local.set 2 (i32.const 0))
          (loop $inner
            (local.set 3 (i64.add (local.get 3) (i64.extend_i32_u (local.get 2))))
            (local.set 2 (i32.add (local.get 2) (i32.const 1)))
            (br_if $inner (i32.lt_u (local.get 2) (i32.const 1000))))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $outer (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 3)))"#;
    let mut config = Config::new();
    config
        .tier(TierMode::Tiered)
        .tiers("interp,baseline".parse().unwrap());
    let (mut store, instance) = instantiate(&config, wat, ());
    let main = instance
        .get_typed_func::<i32, i64>(&mut store, "main")
        .unwrap();
    assert_eq!(main.call(&mut store, 100).unwrap(), 100 * 999 * 1000 / 2);
    assert_eq!(instance.module(&mut store).stats().osr_entries, 1);
}

/// On-stack replacement in the middle of a SIMD loop: the interpreter's frame, whose `v128`
/// locals take two slots each, continues in baseline code at the loop header and finishes
/// with the right result; forced baseline code (both bounds-check modes) computes the same.
/// (Interpreter and baseline tiers only: the optimizer gets SIMD separately.)
#[test]
fn on_stack_replacement_carries_v128s() {
    let wat = r#"(module
      (func (export "main") (param i32) (result i64 i64)
        (local $acc v128) (local $step v128) (local $i i32)
        (local.set $step (v128.const i32x4 1 2 3 4))
        (loop $l
          (local.set $acc (i32x4.add (local.get $acc) (local.get $step)))
          (local.set $step (i32x4.add (local.get $step) (v128.const i32x4 1 1 1 1)))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get 0))))
        (i64x2.extract_lane 0 (local.get $acc))
        (i64x2.extract_lane 1 (local.get $acc))))"#;
    let n = 100_000u32;
    // Lane k adds k + 1, k + 2, ..., k + n (wrapping).
    let lane = |k: u32| (n.wrapping_mul(k + 1)).wrapping_add(n.wrapping_mul(n - 1) / 2);
    let expected = (
        (u64::from(lane(0)) | u64::from(lane(1)) << 32) as i64,
        (u64::from(lane(2)) | u64::from(lane(3)) << 32) as i64,
    );
    let mut tiered = Config::new();
    tiered
        .tier(TierMode::Tiered)
        .tiers("interp,baseline".parse().unwrap());
    let mut modes = vec![("tiered", tiered)];
    for (name, checks) in [
        ("baseline", BoundsChecks::Guard),
        ("baseline-explicit", BoundsChecks::Explicit),
    ] {
        let mut config = Config::new();
        config.tier(TierMode::Baseline).bounds_checks(checks);
        modes.push((name, config));
    }
    for (mode, mut config) in modes {
        config.wasm_simd(true);
        let (mut store, instance) = instantiate(&config, wat, ());
        let main = instance
            .get_typed_func::<i32, (i64, i64)>(&mut store, "main")
            .unwrap();
        assert_eq!(main.call(&mut store, n as i32).unwrap(), expected, "{mode}");
        if mode == "tiered" {
            let stats = instance.module(&mut store).stats();
            assert_eq!(stats.osr_entries, 1, "one on-stack replacement");
        }
    }
}

/// A function called once whose loop runs long ends up in optimized code: on-stack
/// replacement moves the running activation from the interpreter (or from baseline code) into
/// Cranelift's code at a loop header, in every tier combination that has the optimizer.
#[test]
fn long_loops_in_a_single_call_reach_optimized_code() {
    let wat = r#"(module
      (memory 1)
      (func (export "main") (param i32) (result i64) (local i32 i32) (local i64)
        (loop $outer
          (local.set 2 (i32.const 0))
          (loop $inner
            (i32.store (i32.const 16) (i32.add (i32.load (i32.const 16)) (i32.const 1)))
            (local.set 3 (i64.add (local.get 3) (i64.extend_i32_u (local.get 2))))
            (local.set 2 (i32.add (local.get 2) (i32.const 1)))
            (br_if $inner (i32.lt_u (local.get 2) (i32.const 1000))))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $outer (i32.lt_u (local.get 1) (local.get 0))))
        (i64.add (local.get 3) (i64.extend_i32_u (i32.load (i32.const 16))))))"#;
    for tiers in ["interp,baseline,opt", "interp,opt", "baseline,opt"] {
        let mut config = Config::new();
        config
            .tier(TierMode::Tiered)
            .tiers(tiers.parse().unwrap())
            .baseline_after(100)
            .opt_after(1000);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let n = 20_000i64;
        until_opt_osr(tiers, || {
            let expected = n * 999 * 1000 / 2 + n * 1000;
            let mut store = Store::new(&engine, ());
            let instance = Linker::new(&engine)
                .instantiate(&mut store, &module)
                .unwrap();
            let main = instance
                .get_typed_func::<i32, i64>(&mut store, "main")
                .unwrap();
            assert_eq!(
                main.call(&mut store, n as i32).unwrap(),
                expected,
                "{tiers}"
            );
            module.clone()
        });
    }
}

/// A loop that calls its own function moves into optimized code by OSR, and the OSR entry's
/// self-call reaches the function (when a policy queued the OSR entry ahead of the normal
/// code, it ran before the function's native entry was published and called address 0).
/// Fresh modules, until an OSR into optimized code happened in one of them.
#[test]
fn self_calling_loops_move_into_optimized_code_by_osr() {
    let wat = r#"(module
      (func $f (export "f") (param i32) (result i32) (local i32)
        (loop $l
          (if (i32.gt_u (local.get 0) (i32.const 1))
            (then (local.set 1 (i32.add (local.get 1) (call $f (i32.const 1))))))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get 1)))"#;
    let mut config = Config::new();
    config
        .tier(TierMode::Tiered)
        .baseline_after(10)
        .opt_after(100);
    let engine = Engine::new(&config).unwrap();
    let n = 300_000;
    until_opt_osr("self-calling loop", || {
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let f = instance
            .get_typed_func::<i32, i32>(&mut store, "f")
            .unwrap();
        // Each of the n - 1 iterations with a counter above 1 adds f(1) = 1, and every
        // iteration adds 1.
        assert_eq!(f.call(&mut store, n).unwrap(), 2 * n - 1);
        module
    });
}

/// An infinite loop in machine code stops at an interrupt, every time one is requested
/// (optimized loops poll a page the runtime blocks and unblocks: it must be re-armed).
#[test]
fn machine_code_loops_are_interruptible() {
    let wat = r#"(module
      (func (export "spin") (loop $l (br $l)))
      (func $rec (export "rec") (call $rec)))"#;
    for (mode, config) in machine_code_modes() {
        let (mut store, instance) = instantiate(&config, wat, ());
        let spin = instance.get_func(&mut store, "spin").unwrap();
        for round in 0..2 {
            let handle = store.interrupt_handle();
            let timer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                handle.interrupt();
            });
            let trap = trap_of(spin.call(&mut store, &[], &mut []).unwrap_err());
            timer.join().unwrap();
            assert_eq!(trap.code(), TrapCode::Interrupted, "{mode}, round {round}");
            assert_eq!(trap.backtrace().len(), 1, "{mode}: {trap}");
            // The interrupt was consumed: the next call runs (and overflows the stack).
            let rec = instance.get_func(&mut store, "rec").unwrap();
            let trap = trap_of(rec.call(&mut store, &[], &mut []).unwrap_err());
            assert_eq!(
                trap.code(),
                TrapCode::StackOverflow,
                "{mode}, round {round}"
            );
        }
    }
}

/// A call tree without loops (2^40 calls, none deeper than 40) stops at an interrupt: the
/// function-entry check (in optimized code, the stack check raised past every stack) sees it,
/// and it is reported as the interruption, not as a stack overflow; the next call runs.
#[test]
fn call_trees_without_loops_are_interruptible() {
    let wat = r#"(module
      (func $tree (export "tree") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
          (then (i32.const 1))
          (else (i32.add (call $tree (i32.sub (local.get 0) (i32.const 1)))
                         (call $tree (i32.sub (local.get 0) (i32.const 1))))))))"#;
    for (mode, config) in machine_code_modes() {
        let (mut store, instance) = instantiate(&config, wat, ());
        let tree = instance
            .get_typed_func::<i32, i32>(&mut store, "tree")
            .unwrap();
        let handle = store.interrupt_handle();
        let timer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            handle.interrupt();
        });
        let trap = trap_of(tree.call(&mut store, 40).unwrap_err());
        timer.join().unwrap();
        assert_eq!(trap.code(), TrapCode::Interrupted, "{mode}");
        assert!(!trap.backtrace().is_empty(), "{mode}");
        assert_eq!(tree.call(&mut store, 10).unwrap(), 1024, "{mode}");
    }
}

/// Machine code runs on threads with small stacks: deep recursion is a trap, not a crash.
#[test]
fn small_thread_stacks_overflow_cleanly() {
    let wat = r#"(module
      (func $rec (export "rec") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
          (else (i32.const 0)))))"#;
    for (mode, config) in machine_code_modes() {
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let (mut store, instance) = instantiate(&config, wat, ());
                let rec = instance
                    .get_typed_func::<i32, i32>(&mut store, "rec")
                    .unwrap();
                assert_eq!(rec.call(&mut store, 100).unwrap(), 100, "{mode}");
                let trap = trap_of(rec.call(&mut store, 10_000_000).unwrap_err());
                assert_eq!(trap.code(), TrapCode::StackOverflow, "{mode}");
            })
            .unwrap()
            .join()
            .unwrap();
    }
}

/// In the default tiered mode a hot function goes interpreter → baseline → optimized, in
/// that order, and the stats show each step; a cold one stays interpreted.
#[test]
fn hot_functions_reach_the_optimized_tier() {
    let wat = r#"(module
      (func $sq (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
      (func $cold (export "cold") (result i32) (i32.const 7)))"#;
    let mut config = Config::new();
    config
        .tier(TierMode::Tiered)
        .baseline_after(10)
        .opt_after(100);
    let (mut store, instance) = instantiate(&config, wat, ());
    let module = instance.module(&mut store);
    let sq = instance
        .get_typed_func::<i32, i32>(&mut store, "sq")
        .unwrap();
    let cold = instance
        .get_typed_func::<(), i32>(&mut store, "cold")
        .unwrap();
    assert_eq!(cold.call(&mut store, ()).unwrap(), 7);
    let mut i = 0;
    let opt = until_optimized(&module, "sq", || {
        i = (i + 1) % 1000;
        assert_eq!(sq.call(&mut store, i).unwrap(), i * i);
    });
    assert!(opt.code_bytes > 0 && opt.compile_time > Duration::ZERO);
    let stats = module.stats();
    let tiers: Vec<(Tier, &str)> = stats
        .events
        .iter()
        .map(|e| (e.tier, e.name.as_deref().unwrap_or("?")))
        .collect();
    assert_eq!(
        tiers,
        [
            (Tier::Interp, "cold"),
            (Tier::Interp, "sq"),
            (Tier::Baseline, "sq"),
            (Tier::Optimized, "sq"),
        ],
        "{}",
        stats.summary()
    );
    // The optimized code runs from now on, with the same results.
    for i in 0..1000 {
        assert_eq!(sq.call(&mut store, i).unwrap(), i * i);
    }
    assert!(stats.summary().contains("hot -> optimized code installed"));
    assert!(stats.to_json().contains("\"queue_wait_us\""));
}

/// `--tiers interp,opt`: no baseline code at all, interpreted functions go straight to the
/// optimizer.
#[test]
fn tiers_can_skip_the_baseline() {
    let wat = r#"(module
      (func $sq (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0))))"#;
    let mut config = Config::new();
    config
        .tier(TierMode::Tiered)
        .tiers("interp,opt".parse().unwrap())
        .opt_after(50);
    let (mut store, instance) = instantiate(&config, wat, ());
    let module = instance.module(&mut store);
    let sq = instance
        .get_typed_func::<i32, i32>(&mut store, "sq")
        .unwrap();
    until_optimized(&module, "sq", || {
        assert_eq!(sq.call(&mut store, 12).unwrap(), 144);
    });
    let stats = module.stats();
    assert!(!stats.events.iter().any(|e| e.tier == Tier::Baseline));
}

/// `--tiers baseline,opt`: every function starts as baseline code (compiled eagerly), the hot
/// ones are optimized.
#[test]
fn tiers_can_start_in_baseline_code() {
    let wat = r#"(module
      (func $sq (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
      (func (export "cold") (result i32) (i32.const 7)))"#;
    let mut config = Config::new();
    config
        .tier(TierMode::Tiered)
        .tiers("baseline,opt".parse().unwrap())
        .opt_after(50);
    let (mut store, instance) = instantiate(&config, wat, ());
    let module = instance.module(&mut store);
    let sq = instance
        .get_typed_func::<i32, i32>(&mut store, "sq")
        .unwrap();
    until_optimized(&module, "sq", || {
        assert_eq!(sq.call(&mut store, 12).unwrap(), 144);
    });
    let stats = module.stats();
    assert!(!stats.events.iter().any(|e| e.tier == Tier::Interp));
    assert_eq!(
        stats
            .events
            .iter()
            .filter(|e| e.tier == Tier::Baseline)
            .count(),
        2
    );
}

const PATCHED: &str = r#"(module
  (type $ii (func (param i32) (result i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $fib $sum)
  (func $fib (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $sum (param i32) (result i32) (local i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
    (local.get 1))
  (func (export "both") (param i32) (result i32)
    (i32.add (call_indirect (type $ii) (local.get 0) (i32.const 0))
             (call_indirect (type $ii) (local.get 0) (i32.const 1)))))"#;

/// Several threads call the same functions (each in its own store and instance of one
/// module) while they are compiled and patched in, tier by tier: every result is right, and
/// the functions end up optimized.
#[test]
fn threads_call_functions_while_they_are_patched() {
    fn fib(n: i32) -> i32 {
        if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
    }
    for (baseline_after, opt_after) in [(1, 1), (5, 20), (50, 500)] {
        let mut config = Config::new();
        config
            .tier(TierMode::Tiered)
            .baseline_after(baseline_after)
            .opt_after(opt_after)
            .compile_threads(2);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, PATCHED).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let engine = engine.clone();
                let module = module.clone();
                std::thread::spawn(move || {
                    let mut store = Store::new(&engine, ());
                    let instance = Linker::new(&engine)
                        .instantiate(&mut store, &module)
                        .unwrap();
                    let both = instance
                        .get_typed_func::<i32, i32>(&mut store, "both")
                        .unwrap();
                    for i in 0..3000 {
                        let n = (i + t) % 15;
                        assert_eq!(both.call(&mut store, n).unwrap(), fib(n) + n * (n + 1) / 2);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let both = instance
            .get_typed_func::<i32, i32>(&mut store, "both")
            .unwrap();
        until_optimized(&module, "fib", || {
            assert_eq!(both.call(&mut store, 10).unwrap(), 55 + 55);
        });
    }
}

/// Dropping an engine and its modules while their functions wait for (or are in) the
/// optimizer is clean: the workers stop, and nothing is published into freed memory.
#[test]
fn dropping_modules_with_queued_optimizations_is_clean() {
    for _ in 0..20 {
        let mut config = Config::new();
        config
            .tier(TierMode::Tiered)
            .baseline_after(1)
            .opt_after(1)
            .compile_threads(1);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, PATCHED).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let both = instance
            .get_typed_func::<i32, i32>(&mut store, "both")
            .unwrap();
        for n in 0..10 {
            both.call(&mut store, n).unwrap();
        }
        drop(store);
        drop(module);
        drop(engine);
    }
}

/// Optimized code's backtraces list every frame, also when it calls interpreted and
/// baseline code (tiered, `fib`-like chain where only the hot part is optimized).
#[test]
fn backtraces_through_optimized_frames() {
    let wat = r#"(module
      (memory 1)
      (func $inner (param i32) (result i32) (i32.load (local.get 0)))
      (func $hot (export "hot") (param i32) (result i32) (call $inner (local.get 0)))
      (func $outer (export "outer") (param i32) (result i32) (call $hot (local.get 0))))"#;
    let mut config = Config::new();
    config
        .tier(TierMode::Tiered)
        .baseline_after(10)
        .opt_after(10);
    let (mut store, instance) = instantiate(&config, wat, ());
    let module = instance.module(&mut store);
    let hot = instance
        .get_typed_func::<i32, i32>(&mut store, "hot")
        .unwrap();
    until_optimized(&module, "hot", || {
        hot.call(&mut store, 0).unwrap();
    });
    let outer = instance
        .get_typed_func::<i32, i32>(&mut store, "outer")
        .unwrap();
    let trap = trap_of(outer.call(&mut store, 70000).unwrap_err());
    assert_eq!(trap.code(), TrapCode::MemoryOutOfBounds);
    assert_eq!(names(&trap), ["inner", "hot", "outer"]);
}

/// Traps on some threads while other threads create and drop modules with machine code: the
/// signal handler and the backtrace lookup read every module's trap registry, and a registry
/// must not be freed while one of them is looking at it.
#[test]
fn traps_are_safe_while_other_threads_drop_modules() {
    let wat = r#"(module (memory 1)
        (func (export "oob") (param i32) (result i32) (i32.load (local.get 0))))"#;
    let mut config = Config::new();
    config.tier(TierMode::Baseline);
    let engine = Engine::new(&config).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    drop(Module::new(&engine, wat).unwrap());
                }
            });
        }
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let oob = instance
            .get_typed_func::<i32, i32>(&mut store, "oob")
            .unwrap();
        for _ in 0..20_000 {
            let trap = trap_of(oob.call(&mut store, -4).unwrap_err());
            assert_eq!(trap.code(), TrapCode::MemoryOutOfBounds);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}

/// Loops whose locals the baseline tier keeps in registers (pinned, with deferred stores)
/// compute what the interpreter does: copies out of a pinned local, a call, a `br_table`, a
/// conditional exit and a return from the middle of the loop, more locals than registers, and
/// `v128` accumulators, in every mode that runs machine code.
#[test]
fn pinned_loop_locals_agree_with_the_interpreter() {
    let wat = r#"(module
      (func $id (param i32) (result i32) (local.get 0))
      (func (export "main") (param $n i32) (result i32)
        (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $i i32)
        (local $v v128) (local $w v128) (local $f i32)
        (local.set $w (v128.const i32x4 1 2 3 4))
        (block $out
          (loop $l
            (local.set $a (i32.add (local.get $a) (local.get $i)))
            (local.set $e (local.get $a))
            (local.set $f (local.get $a))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.mul (local.get $a) (i32.const 3)))
            (local.set $b (i32.xor (local.get $b) (local.get $e)))
            (local.set $c (i32.add (local.get $c) (call $id (local.get $a))))
            (block $two (block $one (block $zero
              (br_table $zero $one $two (i32.and (local.get $i) (i32.const 3))))
              (local.set $d (i32.sub (local.get $d) (local.get $b))))
              (local.set $d (i32.add (local.get $d) (local.get $e))))
            (local.set $v (i32x4.add (local.get $v) (local.get $w)))
            (local.set $w (i32x4.add (local.get $w) (i32x4.splat (local.get $e))))
            (br_if $out (i32.eq (local.get $i) (i32.const 70000)))
            (if (i32.eq (local.get $i) (i32.const 90000))
              (then (return (i32.add (local.get $a) (local.get $d)))))
            (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                (local.get $n)))))
        (i32.xor
          (i32.xor (i32.xor (local.get $a) (local.get $b)) (i32.xor (local.get $c) (local.get $d)))
          (i32.add (i32.add (local.get $e) (local.get $f))
            (i32.add (i32x4.extract_lane 1 (local.get $v)) (i32x4.extract_lane 3 (local.get $w)))))))"#;
    let run = |config: &mut Config, n: i32| {
        config.wasm_simd(true);
        let (mut store, instance) = instantiate(config, wat, ());
        let main = instance
            .get_typed_func::<i32, i32>(&mut store, "main")
            .unwrap();
        main.call(&mut store, n).unwrap()
    };
    for n in [1, 1000, 80_000, 100_000] {
        let mut interp = Config::new();
        interp.tier(TierMode::Interp);
        let expected = run(&mut interp, n);
        for (mode, mut config) in machine_code_modes() {
            assert_eq!(run(&mut config, n), expected, "{mode}, n = {n}");
        }
    }
}

/// Small innermost loops in optimized code are translated as several copies of their body,
/// only the first of which polls (`Config::opt_loop_copies`; each loop here is small enough,
/// see the optimizer's `unroll_plan`). Loops that carry values as parameters, leave from any
/// copy (a branch out, a `br_table` with the loop among its targets, a failed back-edge),
/// trap in any copy, or sit inside an outer loop
/// compute the same in every mode and with every number of copies, whatever the trip count's
/// parity.
const UNROLLED: &str = r#"
(module
  (memory 1)
  (global $last (mut i32) (i32.const -1))
  ;; sum of 3i for i < max(n, 1), carried as the loop's parameter
  (func (export "params") (param $n i32) (result i32)
    (local $i i32)
    (i32.const 0)
    (loop $l (param i32) (result i32)
      (i32.add (i32.mul (local.get $i) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get $i) (local.get $n)))))
  ;; leaves with s at i == k; else s = 3s + i, except that while i < n an i of 1 mod 3
  ;; goes straight back (`br_table` to the loop) and one of 0 or 2 mod 3 mixes s first
  (func (export "exits") (param $n i32) (param $k i32) (result i32)
    (local $i i32) (local $s i32)
    (block $out
      (loop $l
        (br_if $out (i32.eq (local.get $i) (local.get $k)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (block $skip
          (br_table $skip $l $skip
            (select (i32.rem_u (local.get $i) (i32.const 3)) (i32.const 0)
              (i32.lt_s (local.get $i) (local.get $n)))))
        (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 3)) (local.get $i)))
        (br_if $l (i32.lt_s (local.get $i) (local.get $n)))))
    (local.get $s))
  ;; stores i at 4i from `base` for i < n (traps when that leaves memory), $last = i first
  (func (export "stores") (param $base i32) (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (global.set $last (local.get $i))
      (i32.store (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))
        (local.get $i))
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1)))
        (local.get $n))))
    (local.get $i))
  (func (export "last") (result i32) (global.get $last))
  ;; an outer loop (not unrolled: it has a loop inside) around an unrolled one
  (func (export "nested") (param $n i32) (param $m i32) (result i32)
    (local $i i32) (local $j i32) (local $s i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31))
          (i32.xor (local.get $i) (local.get $j))))
        (br_if $inner (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1)))
          (local.get $m))))
      (br_if $outer (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1)))
        (local.get $n))))
    (local.get $s))
)"#;

fn expected_exits(n: i32, k: i32) -> i32 {
    let (mut i, mut s) = (0i32, 0i32);
    loop {
        if i == k {
            return s;
        }
        i += 1;
        if i < n && i % 3 == 1 {
            continue;
        }
        s = s.wrapping_mul(3).wrapping_add(i);
        if i >= n {
            return s;
        }
    }
}

fn expected_nested(n: i32, m: i32) -> i32 {
    let mut s = 0i32;
    let mut i = 0;
    loop {
        let mut j = 0;
        loop {
            s = s.wrapping_mul(31).wrapping_add(i ^ j);
            j += 1;
            if j >= m {
                break;
            }
        }
        i += 1;
        if i >= n {
            return s;
        }
    }
}

#[test]
fn unrolled_loops_agree_in_every_mode_and_number_of_copies() {
    let mut modes = machine_code_modes();
    for (name, copies) in [("opt-2", 2), ("opt-3", 3), ("opt-4", 4), ("opt-8", 8)] {
        let mut config = Config::new();
        config.tier(TierMode::Optimized).opt_loop_copies(copies);
        modes.push((name, config));
    }
    // On-stack replacement into unrolled loops, at their first copy's header.
    let mut stress = Config::new();
    stress
        .tier(TierMode::Tiered)
        .baseline_after(1)
        .opt_after(1)
        .opt_loop_copies(2);
    modes.push(("stress-2", stress));
    let trip_counts = [-1, 0, 1, 2, 3, 4, 5, 7, 8, 100, 1001];
    for (mode, config) in &modes {
        let (mut store, instance) = instantiate(config, UNROLLED, ());
        let params = instance
            .get_typed_func::<i32, i32>(&mut store, "params")
            .unwrap();
        let exits = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "exits")
            .unwrap();
        let stores = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "stores")
            .unwrap();
        let last = instance
            .get_typed_func::<(), i32>(&mut store, "last")
            .unwrap();
        let nested = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "nested")
            .unwrap();
        // Several rounds: tiered modes move up while they run.
        for _ in 0..3 {
            for n in trip_counts {
                let want = (0..n.max(1)).fold(0i32, |s, i| s.wrapping_add(i * 3));
                assert_eq!(
                    params.call(&mut store, n).unwrap(),
                    want,
                    "{mode}: params({n})"
                );
                for k in [-1, 0, 1, 2, 5, 6, 99] {
                    assert_eq!(
                        exits.call(&mut store, (n, k)).unwrap(),
                        expected_exits(n, k),
                        "{mode}: exits({n}, {k})"
                    );
                }
                for m in [1, 2, 3, 8] {
                    assert_eq!(
                        nested.call(&mut store, (n.clamp(1, 50), m)).unwrap(),
                        expected_nested(n.clamp(1, 50), m),
                        "{mode}: nested({n}, {m})"
                    );
                }
            }
            // The store at iteration k is the first out of bounds, for k of either parity.
            for k in [0, 1, 2, 3, 10, 11] {
                let base = 65536 - 4 * k;
                let trap = trap_of(stores.call(&mut store, (base, 20)).unwrap_err());
                assert_eq!(trap.code(), TrapCode::MemoryOutOfBounds, "{mode}: k = {k}");
                assert_eq!(last.call(&mut store, ()).unwrap(), k, "{mode}: k = {k}");
            }
            assert_eq!(stores.call(&mut store, (0, 9)).unwrap(), 9, "{mode}");
            assert_eq!(last.call(&mut store, ()).unwrap(), 8, "{mode}");
        }
    }
}

/// Counted innermost loops in optimized code poll once per strip of iterations, not at every
/// header (the optimizer's `Strip`): loops that count up with `i32.lt_u`, `i32.lt_s` or
/// `i32.ne` (either operand order) against a local or a constant, or down to 0, compute the
/// same in every mode, from counters near the ends of their range (0 counting down wraps),
/// bounds below the start, and runs that end inside, at and just past a strip's end.
fn stripped_module() -> String {
    // Each returns s * 31 + k after the loop, where the loop adds k to s, then steps k and
    // branches back on the condition, which reads the stepped k from `local.tee`.
    let step = |delta: i32| format!("(local.tee $k (i32.add (local.get $k) (i32.const {delta})))");
    let loops = [
        ("lt_u", format!("(i32.lt_u {} (local.get $n))", step(1))),
        ("lt_s", format!("(i32.lt_s {} (local.get $n))", step(1))),
        ("ne", format!("(i32.ne {} (local.get $n))", step(1))),
        ("const", format!("(i32.lt_s {} (i32.const 3000))", step(1))),
        ("ne_swapped", format!("(i32.ne (local.get $n) {})", step(1))),
        ("down", step(-1)),
    ];
    let mut wat = String::from("(module\n");
    for (name, condition) in loops {
        wat += &format!(
            r#"(func (export "{name}") (param $k i32) (param $n i32) (result i32)
                 (local $s i32)
                 (loop $l
                   (local.set $s (i32.add (local.get $s) (local.get $k)))
                   (br_if $l {condition}))
                 (i32.add (i32.mul (local.get $s) (i32.const 31)) (local.get $k)))
            "#
        );
    }
    // About 2^32 iterations: only an interrupt ends it in a test's time.
    wat += r#"(func (export "spin") (result i32)
                (local $k i32)
                (loop $l
                  (br_if $l (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const -1))))
                (local.get $k)))"#;
    wat
}

/// What the loops of [`stripped_module`] return, or `None` past 100,000 iterations.
fn expected_counted(cmp: &str, mut k: i32, n: i32) -> Option<i32> {
    let mut s = 0i32;
    for _ in 0..100_000 {
        s = s.wrapping_add(k);
        k = k.wrapping_add(if cmp == "down" { -1 } else { 1 });
        let again = match cmp {
            "lt_u" => (k as u32) < n as u32,
            "lt_s" | "const" => k < n,
            "ne" | "ne_swapped" => k != n,
            "down" => k != 0,
            other => unreachable!("{other}"),
        };
        if !again {
            return Some(s.wrapping_mul(31).wrapping_add(k));
        }
    }
    None
}

#[test]
fn strip_mined_loops_agree_in_every_mode() {
    let mut modes = machine_code_modes();
    for (name, iterations) in [("opt-strip-3", 3), ("opt-no-strip", 0)] {
        let mut config = Config::new();
        config.tier(TierMode::Optimized).opt_poll_strip(iterations);
        modes.push((name, config));
    }
    let starts = [
        0,
        5,
        1022,
        1023,
        1024,
        1025,
        -5,
        -1025,
        -256,
        i32::MAX - 3,
        i32::MIN,
        i32::MIN + 1020,
    ];
    for (mode, config) in modes {
        let (mut store, instance) = instantiate(&config, &stripped_module(), ());
        for round in 0..2 {
            for cmp in ["lt_u", "lt_s", "ne", "const", "ne_swapped", "down"] {
                let f = instance
                    .get_typed_func::<(i32, i32), i32>(&mut store, cmp)
                    .unwrap();
                for k in starts {
                    for distance in [-3000, -1, 0, 1, 2, 1023, 1024, 1025, 2048, 3001] {
                        let bounds = if cmp == "const" || cmp == "down" {
                            [3000; 5]
                        } else {
                            [k.wrapping_add(distance), 0, -1, i32::MAX, i32::MIN]
                        };
                        for n in bounds {
                            let Some(want) = expected_counted(cmp, k, n) else {
                                continue;
                            };
                            assert_eq!(
                                f.call(&mut store, (k, n)).unwrap(),
                                want,
                                "{mode}, round {round}: {cmp}({k}, {n})"
                            );
                        }
                    }
                }
            }
        }
        // A counted loop of about 2^32 iterations ends at an interrupt.
        let spin = instance
            .get_typed_func::<(), i32>(&mut store, "spin")
            .unwrap();
        let handle = store.interrupt_handle();
        let timer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            handle.interrupt();
        });
        let trap = trap_of(spin.call(&mut store, ()).unwrap_err());
        timer.join().unwrap();
        assert_eq!(trap.code(), TrapCode::Interrupted, "{mode}");
    }
}
