//! Call depth does not depend on the tier (DESIGN.md §8a): a recursion that succeeds in the
//! interpreter succeeds in baseline and optimized code, and after tiering up in the middle of
//! the recursion; one setting, `Config::max_wasm_stack`, bounds every tier; deeper recursions
//! trap with `StackOverflow` in every tier; and none of it depends on the calling thread's own
//! stack, because wasm runs on a native stack of its own.

#[path = "support/modes.rs"]
mod modes;

use tierup_runtime::{
    Caller, Config, Engine, Error, Func, Instance, Linker, Module, Store, Tier, TierMode, Trap,
    TrapCode,
};

/// `rec(n)` recurses `n` deep and returns `n`; `fat(n)` does the same with eight i64 locals
/// live across each call (a bigger slot frame, and spills in optimized code); `indirect(n)`
/// recurses through `call_indirect`; `bottom_trap(n)` recurses `n` deep, then traps.
const WAT: &str = r#"(module
  (type $rec (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $indirect)
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
      (else (i32.const 0))))
  (func $fat (export "fat") (param i32) (result i32)
    (local i64 i64 i64 i64 i64 i64 i64 i64)
    (if (i32.eqz (local.get 0)) (then (return (i32.const 0))))
    (local.set 1 (i64.extend_i32_u (local.get 0)))
    (local.set 2 (i64.mul (local.get 1) (i64.const 3)))
    (local.set 3 (i64.add (local.get 2) (i64.const 5)))
    (local.set 4 (i64.xor (local.get 3) (local.get 1)))
    (local.set 5 (i64.sub (local.get 4) (local.get 2)))
    (local.set 6 (i64.or (local.get 5) (local.get 3)))
    (local.set 7 (i64.and (local.get 6) (local.get 4)))
    (local.set 8 (i64.rotl (local.get 7) (local.get 5)))
    (i32.add (i32.add (i32.add
      (call $fat (i32.sub (local.get 0) (i32.const 1)))
      (i32.wrap_i64
        (i64.sub
          (i64.add (i64.add (local.get 1) (local.get 2)) (i64.add (local.get 3) (local.get 4)))
          (i64.add (i64.add (local.get 2) (local.get 3)) (i64.add (local.get 4) (local.get 1))))))
      (i32.wrap_i64
        (i64.sub
          (i64.add (i64.add (local.get 5) (local.get 6)) (i64.add (local.get 7) (local.get 8)))
          (i64.add (i64.add (local.get 6) (local.get 7)) (i64.add (local.get 8) (local.get 5))))))
      (i32.const 1)))
  (func $indirect (export "indirect") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add
        (call_indirect (type $rec) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))
        (i32.const 1)))
      (else (i32.const 0))))
  (func $bottom (param i32) (result i32) unreachable)
  (func $bottom_trap (export "bottom_trap") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (call $bottom_trap (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
      (else (call $bottom (i32.const 0))))))"#;

const FUNCS: [&str; 3] = ["rec", "fat", "indirect"];

struct Setup {
    module: Module,
    store: Store<()>,
    instance: Instance,
}

fn setup(config: &Config) -> Setup {
    let engine = Engine::new(config).unwrap();
    let module = Module::new(&engine, WAT).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    Setup {
        module,
        store,
        instance,
    }
}

impl Setup {
    fn call(&mut self, func: &str, n: i32) -> Result<i32, Error> {
        let f = self
            .instance
            .get_typed_func::<i32, i32>(&mut self.store, func)
            .unwrap();
        f.call(&mut self.store, n)
    }

    /// The deepest `func` recursion that returns (binary search; every failure must be a
    /// stack overflow).
    fn max_depth(&mut self, func: &str) -> i32 {
        let (mut ok, mut fails) = (0, 20_000_000);
        while ok + 1 < fails {
            let mid = ok + (fails - ok) / 2;
            match self.call(func, mid) {
                Ok(_) => ok = mid,
                Err(err) => {
                    assert_eq!(trap_code(&err), Some(TrapCode::StackOverflow), "{err}");
                    fails = mid;
                }
            }
        }
        ok
    }
}

fn trap_code(err: &Error) -> Option<TrapCode> {
    err.as_trap().map(Trap::code)
}

/// Recurses `depth` deep in every function of every mode, in a fresh store (so tiered modes
/// tier up during the recursion).
fn recursion_succeeds_everywhere(depth: i32) {
    for (mode, config) in modes::tier_modes() {
        for func in FUNCS {
            let mut s = setup(&config);
            assert_eq!(s.call(func, depth).unwrap(), depth, "{mode} {func}");
            if mode == "tiered" || mode == "stress" {
                let reached = s
                    .module
                    .stats()
                    .events
                    .iter()
                    .any(|e| e.tier == Tier::Baseline);
                assert!(reached, "{mode} {func}: never left the interpreter");
            }
        }
    }
}

#[test]
fn ten_thousand_deep_in_every_tier() {
    recursion_succeeds_everywhere(10_000);
}

/// Under the interpreter's `MAX_FRAMES` (100,000): before wasm had a native stack of its own,
/// baseline code stopped near 8,000 frames and optimized code near 32,000.
#[test]
fn ninety_thousand_deep_in_every_tier() {
    recursion_succeeds_everywhere(90_000);
}

#[test]
fn deeper_recursion_is_a_stack_overflow_in_every_tier() {
    for (mode, config) in modes::tier_modes() {
        let mut s = setup(&config);
        for func in FUNCS {
            let err = s.call(func, 10_000_000).unwrap_err();
            assert_eq!(
                trap_code(&err),
                Some(TrapCode::StackOverflow),
                "{mode} {func}: {err}"
            );
            // The store is still usable, at full depth.
            assert_eq!(s.call(func, 90_000).unwrap(), 90_000, "{mode} {func}");
        }
    }
}

/// The guarantee itself, measured: whatever `max_wasm_stack` is, every mode reaches at least
/// the interpreter's depth, for every frame shape.
#[test]
fn machine_code_reaches_at_least_the_interpreters_depth() {
    for wasm_stack in [16 << 10, 256 << 10, 8 << 20] {
        for func in FUNCS {
            let mut depths = Vec::new();
            for (mode, mut config) in modes::tier_modes() {
                config.max_wasm_stack(wasm_stack);
                depths.push((mode, setup(&config).max_depth(func)));
            }
            eprintln!("max_wasm_stack {wasm_stack}, {func}: {depths:?}");
            let interp = depths[0].1;
            assert!(interp > 100, "{wasm_stack} {func}: {depths:?}");
            for &(mode, depth) in &depths {
                assert!(depth >= interp, "{wasm_stack} {func} {mode}: {depths:?}");
            }
        }
    }
}

/// A small `max_wasm_stack` bounds every tier. Interpreted and baseline frames take slot
/// stack, so both stop after a few thousand frames of 64 KiB. Optimized code calls without slot
/// frames and is bounded by the native stack alone, sized from the same setting: it must still
/// take 100,000 frames (the interpreter allows that many frames that take no slots, whatever
/// `max_wasm_stack` is), so it stops later, but it stops.
#[test]
fn a_small_wasm_stack_bounds_every_tier() {
    for (mode, mut config) in modes::tier_modes() {
        config.max_wasm_stack(64 << 10);
        let mut s = setup(&config);
        for func in FUNCS {
            assert_eq!(s.call(func, 100).unwrap(), 100, "{mode} {func}");
            let depth = if mode == "interp" || mode == "baseline" {
                20_000
            } else {
                5_000_000
            };
            let err = s.call(func, depth).unwrap_err();
            assert_eq!(
                trap_code(&err),
                Some(TrapCode::StackOverflow),
                "{mode} {func}: {err}"
            );
        }
    }
}

/// The same depths on a thread with a 256 KiB stack: wasm does not run on it.
#[test]
fn small_thread_stacks_reach_the_same_depth() {
    for (mode, config) in modes::tier_modes() {
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                for func in FUNCS {
                    let mut s = setup(&config);
                    assert_eq!(s.call(func, 90_000).unwrap(), 90_000, "{mode} {func}");
                    let err = s.call(func, 10_000_000).unwrap_err();
                    assert_eq!(trap_code(&err), Some(TrapCode::StackOverflow), "{mode}");
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }
}

/// A trap 50,000 frames deep comes back with its backtrace, innermost frame first.
#[test]
fn a_trap_deep_in_a_recursion_has_its_backtrace() {
    for (mode, config) in modes::tier_modes() {
        let mut s = setup(&config);
        let trap = match s.call("bottom_trap", 50_000).unwrap_err() {
            Error::Trap(trap) => trap,
            other => panic!("{mode}: expected a trap, got {other}"),
        };
        assert_eq!(trap.code(), TrapCode::Unreachable, "{mode}");
        let names: Vec<&str> = trap
            .backtrace()
            .iter()
            .map(|f| f.func_name().unwrap_or("?"))
            .collect();
        assert!(names.len() >= 100, "{mode}: {} frames", names.len());
        assert_eq!(names[0], "bottom", "{mode}: {names:?}");
        assert!(
            names[1..].iter().all(|&n| n == "bottom_trap"),
            "{mode}: {names:?}"
        );
    }
}

/// wasm → host → wasm → host … `n` times: every level runs on the store's native stack (the
/// nested entries stay on it), at the same depth in every tier; without end, it is a stack
/// overflow, never a crash.
#[test]
fn recursion_through_a_host_function() {
    let wat = r#"(module
      (import "env" "again" (func $again (param i32) (result i32)))
      (func (export "go") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (call $again (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
          (else (i32.const 0)))))"#;
    for (mode, config) in modes::tier_modes() {
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let engine = Engine::new(&config).unwrap();
                let module = Module::new(&engine, wat).unwrap();
                let mut store = Store::new(&engine, None::<Func>);
                let mut linker = Linker::new(&engine);
                linker
                    .func_wrap(
                        "env",
                        "again",
                        |mut caller: Caller<'_, Option<Func>>, n: i32| -> Result<i32, Error> {
                            let go = caller.data().unwrap().typed::<i32, i32>(&caller)?;
                            go.call(&mut caller, n)
                        },
                    )
                    .unwrap();
                let instance = linker.instantiate(&mut store, &module).unwrap();
                let go = instance.get_func(&mut store, "go").unwrap();
                *store.data_mut() = Some(go);
                let go = go.typed::<i32, i32>(&store).unwrap();
                assert_eq!(go.call(&mut store, 1000).unwrap(), 1000, "{mode}");
                let err = go.call(&mut store, i32::MAX).unwrap_err();
                assert_eq!(
                    trap_code(&err),
                    Some(TrapCode::StackOverflow),
                    "{mode}: {err}"
                );
                assert_eq!(go.call(&mut store, 1000).unwrap(), 1000, "{mode}");
            })
            .unwrap()
            .join()
            .unwrap();
    }
}

/// A host function that lends its `Caller` to another thread, which calls back into wasm: the
/// store's own native stack is busy below the outer entry, so the inner call runs on one
/// borrowed from the other thread, at full depth, and traps there cleanly.
#[test]
fn reentry_from_another_thread_gets_a_native_stack_of_its_own() {
    let wat = r#"(module
      (import "env" "elsewhere" (func $elsewhere (param i32) (result i32)))
      (func $rec (export "rec") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
          (else (i32.const 0))))
      (func (export "outer") (param i32) (result i32)
        (i32.add (call $elsewhere (local.get 0)) (i32.const 1))))"#;
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, None::<Func>);
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap(
                "env",
                "elsewhere",
                |mut caller: Caller<'_, Option<Func>>, n: i32| -> Result<i32, Error> {
                    let rec = caller.data().unwrap().typed::<i32, i32>(&caller)?;
                    std::thread::scope(|scope| {
                        std::thread::Builder::new()
                            .stack_size(256 << 10)
                            .spawn_scoped(scope, || rec.call(&mut caller, n))
                            .unwrap()
                            .join()
                            .unwrap()
                    })
                },
            )
            .unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let rec = instance.get_func(&mut store, "rec").unwrap();
        *store.data_mut() = Some(rec);
        let outer = instance
            .get_typed_func::<i32, i32>(&mut store, "outer")
            .unwrap();
        assert_eq!(outer.call(&mut store, 90_000).unwrap(), 90_001, "{mode}");
        let err = outer.call(&mut store, 10_000_000).unwrap_err();
        assert_eq!(
            trap_code(&err),
            Some(TrapCode::StackOverflow),
            "{mode}: {err}"
        );
        assert_eq!(outer.call(&mut store, 90_000).unwrap(), 90_001, "{mode}");
    }
}

/// Calls between stores nest: each store's outermost entry switches to its own native stack,
/// and an inner call of the first store (from the second's host function) runs where it is.
#[test]
fn stores_calling_each_other_keep_their_depth() {
    let wat = r#"(module
      (import "env" "other" (func $other (param i32) (result i32)))
      (func $rec (export "rec") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
          (else (i32.const 0))))
      (func (export "via_other") (param i32) (result i32) (call $other (local.get 0))))"#;
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        // Store B's `other` recurses in B; store A's `other` calls B's `via_other`, whose
        // `other` recurses in B again.
        let mut b = Store::new(&engine, ());
        let mut linker_b = Linker::new(&engine);
        linker_b
            .func_wrap("env", "other", |n: i32| -> i32 { n })
            .unwrap();
        let instance_b = linker_b.instantiate(&mut b, &module).unwrap();
        let rec_b = instance_b
            .get_typed_func::<i32, i32>(&mut b, "rec")
            .unwrap();
        let b = std::sync::Mutex::new(b);
        let mut a = Store::new(&engine, ());
        let mut linker_a = Linker::new(&engine);
        linker_a
            .func_wrap("env", "other", move |n: i32| -> Result<i32, Error> {
                rec_b.call(&mut *b.lock().unwrap(), n)
            })
            .unwrap();
        let instance_a = linker_a.instantiate(&mut a, &module).unwrap();
        let via = instance_a
            .get_typed_func::<i32, i32>(&mut a, "via_other")
            .unwrap();
        assert_eq!(via.call(&mut a, 90_000).unwrap(), 90_000, "{mode}");
        let err = via.call(&mut a, 10_000_000).unwrap_err();
        assert_eq!(
            trap_code(&err),
            Some(TrapCode::StackOverflow),
            "{mode}: {err}"
        );
        let rec_a = instance_a
            .get_typed_func::<i32, i32>(&mut a, "rec")
            .unwrap();
        assert_eq!(rec_a.call(&mut a, 90_000).unwrap(), 90_000, "{mode}");
    }
}

/// An interrupt stops a deep recursion running on the native stack, in every tier.
#[test]
fn interrupts_reach_deep_recursions() {
    let wat = r#"(module
      (func $rec (export "rec") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
          (else (loop $l (br $l)) (i32.const 0)))))"#;
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let rec = instance
            .get_typed_func::<i32, i32>(&mut store, "rec")
            .unwrap();
        let handle = store.interrupt_handle();
        let timer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            handle.interrupt();
        });
        let err = rec.call(&mut store, 50_000).unwrap_err();
        timer.join().unwrap();
        assert_eq!(
            trap_code(&err),
            Some(TrapCode::Interrupted),
            "{mode}: {err}"
        );
    }
}

/// Frames that take no slots: the interpreter allows `MAX_FRAMES` of them whatever
/// `max_wasm_stack` is, and so must machine code.
#[test]
fn slotless_frames_reach_the_frame_limit_in_every_tier() {
    let wat = r#"(module (global $d (export "d") (mut i32) (i32.const 0))
      (func $z (export "z") (global.set $d (i32.add (global.get $d) (i32.const 1))) (call $z)))"#;
    for (mode, mut config) in modes::tier_modes() {
        config.max_wasm_stack(4096);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let z = instance.get_func(&mut store, "z").unwrap();
        let err = z.call(&mut store, &[], &mut []).unwrap_err();
        assert_eq!(
            trap_code(&err),
            Some(TrapCode::StackOverflow),
            "{mode}: {err}"
        );
        let depth = instance
            .get_global(&mut store, "d")
            .unwrap()
            .get(&mut store);
        let depth = depth.i32().unwrap();
        assert!(depth > 100_000, "{mode}: {depth}");
    }
}

/// A mutual recursion half tiered up: `f` is warmed into baseline code by a long loop while
/// `g` stays interpreted, so `f → g → f …` switches between machine code and the interpreter at
/// every level (Rust frames in between each time). It still reaches the interpreter's depth.
#[test]
fn a_recursion_alternating_between_tiers_reaches_the_same_depth() {
    let wat = r#"(module
      (func $f (export "f") (param i32) (result i32)
        (if (i32.lt_s (local.get 0) (i32.const 0))
          (then
            (loop $l
              (local.set 0 (i32.add (local.get 0) (i32.const 1)))
              (br_if $l (i32.lt_s (local.get 0) (i32.const 0))))
            (return (i32.const 0))))
        (if (result i32) (local.get 0)
          (then (i32.add (call $g (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
          (else (i32.const 0))))
      (func $g (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (call $f (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
          (else (i32.const 0)))))"#;
    let mut config = Config::new();
    config
        .tier(TierMode::Tiered)
        .baseline_after(1_000_000)
        .opt_after(1_000_000_000);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, "f")
        .unwrap();
    f.call(&mut store, -2_000_000).unwrap();
    assert_eq!(f.call(&mut store, 99_000).unwrap(), 99_000);
    let tiers: Vec<(u32, Tier)> = module
        .stats()
        .events
        .iter()
        .map(|e| (e.func_index, e.tier))
        .collect();
    assert!(tiers.contains(&(0, Tier::Baseline)), "{tiers:?}");
    assert!(!tiers.contains(&(1, Tier::Baseline)), "{tiers:?}");
}
