//! Regression tests for resource limits and adversarial modules: nothing may hang, abort or
//! crash the process (each test is named after the failure it guards against).

use std::fmt::Write as _;
use std::time::Duration;

use tierup_runtime::{
    Caller, Config, Engine, Error, Func, Linker, Module, Store, TierMode, TrapCode,
};

fn engine() -> Engine {
    Engine::default()
}

fn trap_code(err: &Error) -> Option<TrapCode> {
    err.as_trap().map(|t| t.code())
}

/// A loop whose first instruction branches back to itself (branch offset 0) must still count
/// as a back-edge, so an interrupt stops it: by default, in the interpreter alone, and in the
/// interpreter counting towards a threshold it never reaches (whose back-edges test the
/// interrupt flag only where the countdown crosses zero, every 2^16 ticks).
#[test]
fn self_loops_are_interruptible() {
    let mut interp = Config::new();
    interp.tier(TierMode::Interp);
    let mut never_hot = Config::new();
    never_hot
        .tier(TierMode::Tiered)
        .baseline_after(u32::MAX)
        .opt_after(u32::MAX);
    for (mode, config) in [
        ("default", Config::new()),
        ("interp", interp),
        ("never hot", never_hot),
    ] {
        let engine = Engine::new(&config).unwrap();
        interrupt_self_loops(&engine, mode);
    }
}

fn interrupt_self_loops(engine: &Engine, mode: &str) {
    let module = Module::new(
        engine,
        r#"(module
             (func (export "spin0") (loop (br 0)))
             (func (export "spin1") (param i32) (loop (br_if 0 (local.get 0))))
             (func (export "spin2") (param i32)
               (loop (br_if 0 (i32.lt_s (local.get 0) (i32.const 10))))))"#,
    )
    .unwrap();
    for (name, args) in [("spin0", 0), ("spin1", 1), ("spin2", 1)] {
        let mut store = Store::new(engine, ());
        let instance = Linker::new(engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let f = instance.get_func(&mut store, name).unwrap();
        let handle = store.interrupt_handle();
        let timer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            handle.interrupt();
        });
        let params: Vec<_> = (0..args).map(|_| tierup_runtime::Val::I32(1)).collect();
        let err = f.call(&mut store, &params, &mut []).unwrap_err();
        timer.join().unwrap();
        assert_eq!(
            trap_code(&err),
            Some(TrapCode::Interrupted),
            "{mode}: {name}: {err}"
        );
    }
}

/// A block with many results targeted by a `br_table` with many entries used to emit one
/// copy stub per entry (gigabytes of bytecode); stubs are now shared per target.
#[test]
fn wide_br_table_does_not_blow_up() {
    let results = 500;
    let entries = 5000;
    let mut wat = String::from("(module (func (export \"f\") (param i32) (result i32)\n");
    write!(wat, "(block (result").unwrap();
    for _ in 0..results {
        wat.push_str(" i32");
    }
    wat.push_str(")\n");
    for _ in 0..results {
        wat.push_str("(local.get 0)");
    }
    wat.push_str("(br_table");
    for _ in 0..entries {
        wat.push_str(" 0");
    }
    wat.push_str(" 0 (local.get 0)))\n");
    for _ in 0..results - 1 {
        wat.push_str("(drop)");
    }
    wat.push_str("))");
    let engine = engine();
    let module = Module::new(&engine, &wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, "f")
        .unwrap();
    assert_eq!(f.call(&mut store, 7).unwrap(), 7);
}

/// Code that would expand into far more bytecode than wasm (many values copied per branch)
/// is refused with a clear resource-limit trap, not an out-of-memory abort.
#[test]
fn bytecode_growth_is_bounded() {
    let results = 1000;
    let branches = 3000;
    let mut wat =
        String::from("(module (func (export \"f\") (param i32) (result i32)\n(block (result");
    for _ in 0..results {
        wat.push_str(" i32");
    }
    wat.push_str(")\n");
    for _ in 0..results {
        wat.push_str("(local.get 0)");
    }
    for _ in 0..branches {
        wat.push_str("(br_if 0 (local.get 0))");
    }
    wat.push_str(")\n");
    for _ in 0..results - 1 {
        wat.push_str("(drop)");
    }
    wat.push_str("))");
    let engine = engine();
    let module = Module::new(&engine, &wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, "f")
        .unwrap();
    let err = f.call(&mut store, 0).unwrap_err();
    assert_eq!(trap_code(&err), Some(TrapCode::ResourceLimit), "{err}");
    assert!(
        err.to_string().contains("interpreter instructions"),
        "{err}"
    );
}

/// `local.set` while many values sit on the operand stack used to rescan the whole stack
/// (quadratic translation). This shape translates in linear time now.
#[test]
fn translation_is_linear_in_operand_stack_depth() {
    let n = 50_000;
    let mut wat = String::from("(module (func (export \"f\") (result i32) (local i32)\n");
    for _ in 0..n {
        wat.push_str("(local.get 0)");
    }
    for i in 0..n {
        write!(wat, "(local.set 0 (i32.const {i}))").unwrap();
    }
    wat.push_str("(local.get 0) (return)))");
    let engine = engine();
    let module = Module::new(&engine, &wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let f = instance.get_typed_func::<(), i32>(&mut store, "f").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), n - 1);
}

/// Host ↔ wasm recursion on a thread with a small native stack traps instead of overflowing
/// the thread's stack.
#[test]
fn host_recursion_on_a_small_thread_stack_traps() {
    let result = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let engine = engine();
            let module = Module::new(
                &engine,
                r#"(module (import "env" "again" (func $again)) (func (export "go") (call $again)))"#,
            )
            .unwrap();
            let mut store = Store::new(&engine, None::<Func>);
            let mut linker = Linker::new(&engine);
            linker
                .func_wrap("env", "again", |mut caller: Caller<'_, Option<Func>>| {
                    let go = caller.data().unwrap();
                    go.call(&mut caller, &[], &mut [])
                })
                .unwrap();
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let go = instance.get_func(&mut store, "go").unwrap();
            *store.data_mut() = Some(go);
            trap_code(&go.call(&mut store, &[], &mut []).unwrap_err())
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(result, Some(TrapCode::StackOverflow));
}

/// A host function that catches an interruption and calls wasm again must not swallow it:
/// the interruption stays pending until the outermost call returns.
#[test]
fn interruption_cannot_be_swallowed_by_a_host_function() {
    let engine = engine();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "retry" (func $retry))
             (func (export "spin") (loop (br 0)))
             (func (export "outer") (call $retry)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, None::<Func>);
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "retry", |mut caller: Caller<'_, Option<Func>>| {
            let spin = caller.data().unwrap();
            // Ignore the first interruption and try again: the second call must trap too.
            let _ = spin.call(&mut caller, &[], &mut []);
            spin.call(&mut caller, &[], &mut [])
        })
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    *store.data_mut() = instance.get_func(&mut store, "spin");
    let outer = instance.get_func(&mut store, "outer").unwrap();
    let handle = store.interrupt_handle();
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        handle.interrupt();
    });
    let err = outer.call(&mut store, &[], &mut []).unwrap_err();
    timer.join().unwrap();
    assert_eq!(trap_code(&err), Some(TrapCode::Interrupted), "{err}");
}

/// Absurd stack sizes are clamped instead of panicking.
#[test]
fn absurd_stack_sizes_are_clamped() {
    let engine = Engine::new(Config::new().max_wasm_stack(usize::MAX)).unwrap();
    let module = Module::new(
        &engine,
        r#"(module (func (export "f") (result i32) (i32.const 5)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let f = instance.get_typed_func::<(), i32>(&mut store, "f").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 5);
}

/// A module whose memory cannot be created fails cleanly and leaves the store usable.
#[test]
fn failed_instantiation_leaves_the_store_usable() {
    let engine = Engine::new(Config::new().max_memory_pages(10)).unwrap();
    let mut store = Store::new(&engine, ());
    let big = Module::new(
        &engine,
        "(module (func $f) (table 1 funcref) (elem (i32.const 0) $f) (memory 11))",
    )
    .unwrap();
    assert!(Linker::new(&engine).instantiate(&mut store, &big).is_err());
    let ok = Module::new(
        &engine,
        r#"(module (memory 1) (func (export "f") (result i32) (memory.size)))"#,
    )
    .unwrap();
    let instance = Linker::new(&engine).instantiate(&mut store, &ok).unwrap();
    let f = instance.get_typed_func::<(), i32>(&mut store, "f").unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 1);
}
