//! Calls between optimized functions through their native entries (the optimizer's module
//! docs): `call_indirect` and calls of imported wasm functions take the callee's native entry
//! (through `VmFuncRef::native`) with the callee's own instance, functions with several
//! results return them natively (registers and a return area), and a callee optimized after
//! its caller was compiled is reached by its native entry from then on. Every case runs in
//! every tier mode and must give the same results and traps in all of them.

#[path = "support/modes.rs"]
mod modes;

use modes::until_optimized;

use tierup_runtime::{
    Config, Engine, Error, Func, Instance, Linker, Module, Store, TierMode, TrapCode,
};

/// `lib`: an instance-specific global (`init`), functions that read it, one with more results
/// than return registers (three integer, three vector), a trapping one, and its table.
const LIB: &str = r#"(module
  (type $get (func (param i32) (result i32)))
  (type $many (func (param i32) (result i32 i64 f32 f64 v128 i64)))
  (global $base (import "env" "base") i32)
  (table (export "table") 4 funcref)
  (elem (i32.const 0) $get $boom)
  (func $get (export "get") (type $get) (i32.add (global.get $base) (local.get 0)))
  (func $boom (export "boom") (type $get) unreachable)
  (func $many (export "many") (type $many)
    (i32.add (global.get $base) (local.get 0))
    (i64.extend_i32_u (i32.mul (local.get 0) (i32.const 3)))
    (f32.convert_i32_s (local.get 0))
    (f64.mul (f64.convert_i32_s (local.get 0)) (f64.const 0.5))
    (i32x4.splat (local.get 0))
    (i64.const -7)))"#;

/// `app`: calls `lib`'s functions directly (imports), through `lib`'s table and through its
/// own table holding the imported references (and a host function), and sums every result.
const APP: &str = r#"(module
  (type $get (func (param i32) (result i32)))
  (type $many (func (param i32) (result i32 i64 f32 f64 v128 i64)))
  (import "lib" "get" (func $get (type $get)))
  (import "lib" "many" (func $many (type $many)))
  (import "lib" "table" (table $lib 4 funcref))
  (import "env" "host" (func $host (type $get)))
  (table $own 4 funcref)
  (elem (table $own) (i32.const 0) func $get $many $host)
  ;; Folds the six results of `many` into one i64.
  (func $fold (param i32 i64 f32 f64 v128 i64) (result i64)
    (i64.add
      (i64.add
        (i64.add (i64.extend_i32_u (local.get 0)) (local.get 1))
        (i64.add (i64.trunc_f32_s (local.get 2)) (i64.trunc_f64_s (local.get 3))))
      (i64.add
        (i64.extend_i32_u (i32x4.extract_lane 3 (local.get 4)))
        (i64.mul (local.get 5) (i64.const 1000)))))
  (func (export "direct") (param i32) (result i32) (call $get (local.get 0)))
  (func $via_lib_table (export "via_lib_table") (param i32 i32) (result i32)
    (call_indirect $lib (type $get) (local.get 0) (local.get 1)))
  (func (export "via_own_table") (param i32 i32) (result i32)
    (call_indirect $own (type $get) (local.get 0) (local.get 1)))
  (func (export "many_direct") (param i32) (result i64)
    (call $fold (call $many (local.get 0))))
  (func (export "many_indirect") (param i32 i32) (result i64)
    (call $fold (call_indirect $own (type $many) (local.get 0) (local.get 1)))))"#;

/// Instantiates `lib` with global `base` and `app` linked to it, in `store`.
fn link(store: &mut Store<()>, lib: &Module, app: &Module, base: i32) -> Instance {
    let engine = store.engine().clone();
    let mut linker = Linker::new(&engine);
    let global = tierup_runtime::Global::new(
        &mut *store,
        tierup_runtime::GlobalType::new(
            tierup_runtime::ValType::I32,
            tierup_runtime::Mutability::Const,
        ),
        tierup_runtime::Val::I32(base),
    )
    .unwrap();
    linker.define(&mut *store, "env", "base", global).unwrap();
    let lib_instance = linker.instantiate(&mut *store, lib).unwrap();
    linker.instance(&mut *store, "lib", lib_instance).unwrap();
    let host = Func::wrap(&mut *store, |x: i32| x.wrapping_mul(7));
    linker.define(&mut *store, "env", "host", host).unwrap();
    linker.instantiate(&mut *store, app).unwrap()
}

fn trap_code(err: Error) -> TrapCode {
    match err {
        Error::Trap(t) => t.code(),
        other => panic!("expected a trap, got {other}"),
    }
}

/// What `many(x)` folds to in `app` with `lib`'s `base`.
fn many_folded(base: i32, x: i32) -> i64 {
    i64::from((base + x) as u32)
        + i64::from(x * 3)
        + i64::from(x)
        + (f64::from(x) * 0.5) as i64
        + i64::from(x as u32)
        - 7000
}

#[test]
fn indirect_and_imported_calls_use_the_callees_instance() {
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let lib = Module::new(&engine, LIB).unwrap();
        let app = Module::new(&engine, APP).unwrap();
        let mut store = Store::new(&engine, ());
        // Two pairs in one store: each app must reach its own lib instance's global.
        let apps = [
            (100, link(&mut store, &lib, &app, 100)),
            (5000, link(&mut store, &lib, &app, 5000)),
        ];
        // Often enough for every function to reach the optimized tier in the tiered modes.
        for round in 0..3000 {
            let x = round % 97;
            for &(base, app) in &apps {
                let direct = app
                    .get_typed_func::<i32, i32>(&mut store, "direct")
                    .unwrap();
                assert_eq!(direct.call(&mut store, x).unwrap(), base + x, "{mode}");
                let lib_table = app
                    .get_typed_func::<(i32, i32), i32>(&mut store, "via_lib_table")
                    .unwrap();
                assert_eq!(
                    lib_table.call(&mut store, (x, 0)).unwrap(),
                    base + x,
                    "{mode}"
                );
                let own = app
                    .get_typed_func::<(i32, i32), i32>(&mut store, "via_own_table")
                    .unwrap();
                assert_eq!(own.call(&mut store, (x, 0)).unwrap(), base + x, "{mode}");
                assert_eq!(own.call(&mut store, (x, 2)).unwrap(), x * 7, "{mode}");
                let many = app
                    .get_typed_func::<i32, i64>(&mut store, "many_direct")
                    .unwrap();
                assert_eq!(
                    many.call(&mut store, x).unwrap(),
                    many_folded(base, x),
                    "{mode}"
                );
                let many = app
                    .get_typed_func::<(i32, i32), i64>(&mut store, "many_indirect")
                    .unwrap();
                assert_eq!(
                    many.call(&mut store, (x, 1)).unwrap(),
                    many_folded(base, x),
                    "{mode}"
                );
                if round % 500 == 0 {
                    // The checks keep their order and codes: out of bounds, null, signature,
                    // and a trap in the callee unwinds through the native call.
                    let err = lib_table.call(&mut store, (x, 9)).unwrap_err();
                    assert_eq!(trap_code(err), TrapCode::TableOutOfBounds, "{mode}");
                    let err = lib_table.call(&mut store, (x, 2)).unwrap_err();
                    assert_eq!(trap_code(err), TrapCode::IndirectCallToNull, "{mode}");
                    let err = own.call(&mut store, (x, 1)).unwrap_err();
                    assert_eq!(trap_code(err), TrapCode::BadSignature, "{mode}");
                    let err = many.call(&mut store, (x, 0)).unwrap_err();
                    assert_eq!(trap_code(err), TrapCode::BadSignature, "{mode}");
                    let err = lib_table.call(&mut store, (x, 1)).unwrap_err();
                    let Error::Trap(trap) = err else {
                        panic!("{mode}: not a trap")
                    };
                    assert_eq!(trap.code(), TrapCode::Unreachable, "{mode}");
                    let names: Vec<&str> = trap
                        .backtrace()
                        .iter()
                        .map(|f| f.func_name().unwrap_or("?"))
                        .collect();
                    assert_eq!(names, ["boom", "via_lib_table"], "{mode}");
                }
            }
        }
    }
}

/// Functions with several results, called directly, through `call_indirect` and recursively,
/// give the same results in every tier.
#[test]
fn multi_value_results_through_every_kind_of_call() {
    let wat = r#"(module
      (type $pair (func (param i64 i64) (result i64 i64)))
      (type $wide (func (param i32) (result i32 i32 i32 f64 f64 f64 i32)))
      (table 2 funcref)
      (elem (i32.const 0) $swap $wide)
      (func $swap (type $pair) (local.get 1) (local.get 0))
      (func $wide (type $wide)
        (local.get 0) (i32.add (local.get 0) (i32.const 1)) (i32.add (local.get 0) (i32.const 2))
        (f64.const 1.5) (f64.const 2.5) (f64.convert_i32_s (local.get 0))
        (i32.add (local.get 0) (i32.const 6)))
      ;; (fib(n), fib(n + 1)) by recursion on pairs.
      (func $fibpair (param i32) (result i64 i64)
        (local i64 i64)
        (if (result i64 i64) (i32.eqz (local.get 0))
          (then (i64.const 0) (i64.const 1))
          (else
            (call $fibpair (i32.sub (local.get 0) (i32.const 1)))
            (local.set 2) (local.set 1)
            (local.get 2) (i64.add (local.get 1) (local.get 2)))))
      (func (export "fib") (param i32) (result i64) (call $fibpair (local.get 0)) (drop))
      (func (export "swap_direct") (param i64 i64) (result i64)
        (call $swap (local.get 0) (local.get 1)) (i64.sub))
      (func (export "swap_indirect") (param i64 i64) (result i64)
        (call_indirect (type $pair) (local.get 0) (local.get 1) (i32.const 0)) (i64.sub))
      (func (export "wide") (param i32 i32) (result f64)
        (local i32 i32 i32 f64 f64 f64 i32)
        (call_indirect (type $wide) (local.get 0) (local.get 1))
        (local.set 8) (local.set 7) (local.set 6) (local.set 5)
        (local.set 4) (local.set 3) (local.set 2)
        (f64.add
          (f64.convert_i32_s
            (i32.add (i32.add (local.get 2) (i32.mul (local.get 3) (i32.const 10)))
              (i32.add (i32.mul (local.get 4) (i32.const 100)) (i32.mul (local.get 8) (i32.const 1000)))))
          (f64.add (local.get 5) (f64.mul (local.get 6) (local.get 7))))))"#;
    for (mode, config) in modes::tier_modes() {
        let (_engine, mut store, instance) = modes::instantiate(&config, wat);
        let fib = instance
            .get_typed_func::<i32, i64>(&mut store, "fib")
            .unwrap();
        let direct = instance
            .get_typed_func::<(i64, i64), i64>(&mut store, "swap_direct")
            .unwrap();
        let indirect = instance
            .get_typed_func::<(i64, i64), i64>(&mut store, "swap_indirect")
            .unwrap();
        let wide = instance
            .get_typed_func::<(i32, i32), f64>(&mut store, "wide")
            .unwrap();
        for i in 0..2000i64 {
            assert_eq!(direct.call(&mut store, (i, 3)).unwrap(), 3 - i, "{mode}");
            assert_eq!(indirect.call(&mut store, (i, 5)).unwrap(), 5 - i, "{mode}");
            let x = (i % 50) as i32;
            let ints = x + (x + 1) * 10 + (x + 2) * 100 + (x + 6) * 1000;
            let want = f64::from(ints) + 1.5 + 2.5 * f64::from(x);
            assert_eq!(wide.call(&mut store, (x, 1)).unwrap(), want, "{mode}");
        }
        assert_eq!(
            fib.call(&mut store, 90).unwrap(),
            2_880_067_194_370_816_120,
            "{mode}"
        );
        let err = wide.call(&mut store, (1, 0)).unwrap_err();
        assert_eq!(trap_code(err), TrapCode::BadSignature, "{mode}");
    }
}

/// A caller optimized while its callees still ran in a lower tier reaches them by their
/// native entries once they are optimized too (direct and indirect calls, one and two
/// results), with the same results before and after.
#[test]
fn callees_optimized_after_their_caller_are_reached_natively() {
    let wat = r#"(module
      (type $one (func (param i32) (result i32)))
      (type $two (func (param i32) (result i32 i32)))
      (table 2 funcref)
      (elem (i32.const 0) $one $two)
      (func $one (export "one") (type $one) (i32.mul (local.get 0) (i32.const 3)))
      (func $two (export "two") (type $two)
        (i32.add (local.get 0) (i32.const 1)) (i32.sub (local.get 0) (i32.const 1)))
      ;; Calls the callees only when asked (so it gets hot and optimized on its own first).
      (func $caller (export "caller") (param i32 i32) (result i32)
        (if (result i32) (local.get 1)
          (then
            (i32.add
              (i32.add (call $one (local.get 0))
                (call_indirect (type $one) (local.get 0) (i32.const 0)))
              (i32.add
                (i32.mul (call $two (local.get 0)))
                (i32.mul (call_indirect (type $two) (local.get 0) (i32.const 1))))))
          (else (local.get 0)))))"#;
    let expected = |x: i32| 6 * x + 2 * (x + 1) * (x - 1);
    for (name, interp_only_baseline) in [("tiered", true), ("interp-opt", false)] {
        let mut config = Config::new();
        config
            .tier(TierMode::Tiered)
            .baseline_after(10)
            .opt_after(50);
        if !interp_only_baseline {
            config.tiers(tierup_runtime::Tiers {
                interp: true,
                baseline: false,
                opt: true,
            });
        }
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let caller = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "caller")
            .unwrap();
        let one = instance
            .get_typed_func::<i32, i32>(&mut store, "one")
            .unwrap();
        let two = instance
            .get_typed_func::<i32, (i32, i32)>(&mut store, "two")
            .unwrap();
        let mut x = 0;
        until_optimized(&module, "caller", || {
            x = (x + 1) % 100;
            assert_eq!(caller.call(&mut store, (x, 0)).unwrap(), x, "{name}");
        });
        // The callees are cold: the optimized caller calls them through the code table.
        for x in 0..5 {
            assert_eq!(
                caller.call(&mut store, (x, 1)).unwrap(),
                expected(x),
                "{name}"
            );
        }
        until_optimized(&module, "one", || {
            assert_eq!(one.call(&mut store, 4).unwrap(), 12, "{name}");
        });
        until_optimized(&module, "two", || {
            assert_eq!(two.call(&mut store, 4).unwrap(), (5, 3), "{name}");
        });
        for x in -50..50 {
            assert_eq!(
                caller.call(&mut store, (x, 1)).unwrap(),
                expected(x),
                "{name}"
            );
        }
    }
}

/// Every instance of a module, in any store, reaches a function optimized after it was
/// instantiated through `call_indirect` natively (the code table stores the new native entry
/// into each live instance's references), and a store dropped before that publication is
/// not written to (its instance unsubscribed when the store went away).
#[test]
fn native_entries_reach_every_live_instance_and_no_dropped_one() {
    let wat = r#"(module
      (type $one (func (param i32) (result i32)))
      (table 1 funcref)
      (elem (i32.const 0) $triple)
      (func $triple (export "triple") (type $one) (i32.mul (local.get 0) (i32.const 3)))
      (func (export "via_table") (type $one)
        (call_indirect (type $one) (local.get 0) (i32.const 0))))"#;
    let mut config = Config::new();
    config
        .tier(TierMode::Tiered)
        .baseline_after(10)
        .opt_after(50);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, wat).unwrap();
    let instantiate = || {
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        (store, instance)
    };
    let (mut early, early_instance) = instantiate();
    let (dropped, _) = instantiate();
    drop(dropped);
    let via_table = early_instance
        .get_typed_func::<i32, i32>(&mut early, "via_table")
        .unwrap();
    let triple = early_instance
        .get_typed_func::<i32, i32>(&mut early, "triple")
        .unwrap();
    let mut x = 0;
    until_optimized(&module, "triple", || {
        x = (x + 1) % 1000;
        assert_eq!(triple.call(&mut early, x).unwrap(), 3 * x);
    });
    // An instance made before the publication and one made after both call it natively (the
    // results are the same either way; the stores' references are what changed).
    let (mut late, late_instance) = instantiate();
    for (store, instance) in [(&mut early, early_instance), (&mut late, late_instance)] {
        let via_table = instance
            .get_typed_func::<i32, i32>(&mut *store, "via_table")
            .unwrap();
        for x in [0, 7, -5, i32::MAX] {
            assert_eq!(via_table.call(&mut *store, x).unwrap(), x.wrapping_mul(3));
        }
    }
    assert_eq!(via_table.call(&mut early, 11).unwrap(), 33);
}

/// Register calls between machine-code functions of every tier (baseline functions without
/// loops have native entries too): every scalar type as a parameter and a result, in every
/// register of the convention, next to a type with more integer parameters than registers
/// (the slot ABI), called directly and through `call_indirect`, give the same results in
/// every tier while the callees and the caller change tier; `i32`s keep their upper half
/// zero and float bits (a NaN payload) survive.
#[test]
fn register_calls_carry_every_scalar_type() {
    let wat = r#"(module
      (type $mix (func (param i32 i64 f32 f64 i32) (result i64 f64)))
      (type $pair (func (param f64 f32) (result f32 i32)))
      (type $five (func (param i32 i32 i32 i32 i32) (result i32)))
      (type $vec (func (param v128 f32 i32 v128) (result v128 f64)))
      (table 4 funcref)
      (elem (i32.const 0) $mix $pair $five $vec)
      (func $vec (type $vec)
        (i32x4.add (local.get 0) (i32x4.mul (local.get 3) (i32x4.splat (local.get 2))))
        (f64.promote_f32 (f32x4.extract_lane 2 (local.get 3))))
      (func $mix (type $mix)
        (i64.add (i64.extend_i32_u (local.get 0))
                 (i64.xor (local.get 1) (i64.extend_i32_u (local.get 4))))
        (f64.add (local.get 3) (f64.promote_f32 (local.get 2))))
      (func $pair (type $pair)
        (f32.neg (f32.demote_f64 (local.get 0)))
        (i32.reinterpret_f32 (local.get 1)))
      (func $five (type $five)
        (i32.add (i32.add (i32.add (local.get 0) (local.get 1)) (i32.add (local.get 2) (local.get 3)))
                 (i32.mul (local.get 4) (i32.const 3))))
      ;; One round of calls on `x`, folded into an i64.
      (func (export "round") (param $x i32) (result i64)
        (local $a i64) (local $b f64) (local $c f32) (local $d i32) (local $v v128)
        (call $mix (local.get $x) (i64.const -5) (f32.const 1.5) (f64.const 0.25)
                   (i32.sub (i32.const 0) (local.get $x)))
        (local.set $b) (local.set $a)
        (call_indirect (type $pair) (local.get $b) (f32.const nan:0x200001) (i32.const 1))
        (local.set $d) (local.set $c)
        (call $vec (i32x4.splat (local.get $x)) (f32.const 2.5) (local.get $x)
                   (v128.const f32x4 1.0 2.0 3.5 4.0))
        (local.set $b (f64.add (local.get $b)))
        (local.set $v)
        (call_indirect (type $vec) (local.get $v) (local.get $c) (i32.const 3) (local.get $v)
                       (i32.const 3))
        (local.set $b (f64.add (local.get $b)))
        (local.set $v)
        (local.set $a (i64.add (local.get $a) (i64x2.extract_lane 1 (local.get $v))))
        (i64.add
          (i64.add (local.get $a) (i64.trunc_sat_f64_s (local.get $b)))
          (i64.add
            (i64.add (i64.extend_i32_u (local.get $d))
                     (i64.extend_i32_u (i32.reinterpret_f32 (local.get $c))))
            (i64.extend_i32_u
              (i32.add
                (call $five (local.get $x) (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4))
                (call_indirect (type $five) (i32.const -1) (local.get $x) (i32.const 0)
                  (i32.const 0) (local.get $x) (i32.const 2)))))))
      (func (export "drive") (param $n i32) (result i64)
        (local $acc i64)
        (loop $next
          (local.set $acc (i64.add (local.get $acc) (call 4 (local.get $n))))
          (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $acc)))"#;
    let mut expected = None;
    for (mode, config) in modes::tier_modes() {
        let (_engine, mut store, instance) = modes::instantiate(&config, wat);
        let round = instance
            .get_typed_func::<i32, i64>(&mut store, "round")
            .unwrap();
        let drive = instance
            .get_typed_func::<i32, i64>(&mut store, "drive")
            .unwrap();
        let mut results = Vec::new();
        for x in 0..1500 {
            results.push(round.call(&mut store, x * 7919).unwrap());
        }
        results.push(drive.call(&mut store, 3000).unwrap());
        match &expected {
            None => expected = Some(results),
            Some(expected) => assert!(results == *expected, "{mode} differs"),
        }
    }
}
