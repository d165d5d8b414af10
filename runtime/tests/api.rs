//! Tests of the embedding API: calls, host functions, traps with backtraces (including traps
//! that cross host functions), interruption, and the memory/table/global handles.

use std::time::Duration;

use tierup_runtime::{
    Caller, Config, Engine, Error, Extern, Func, FuncType, Global, GlobalType, Instance, Linker,
    Memory, MemoryType, Module, Mutability, Store, Table, TableType, Tier, TierMode, Tiers,
    TrapCode, Val, ValType,
};

fn engine() -> Engine {
    Engine::new(Config::new().tier(TierMode::Interp)).unwrap()
}

fn instantiate(wat: &str) -> (Store<()>, Instance) {
    instantiate_in(&engine(), wat)
}

fn instantiate_in(engine: &Engine, wat: &str) -> (Store<()>, Instance) {
    let engine = engine.clone();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, instance)
}

fn trap_of(err: Error) -> tierup_runtime::Trap {
    match err {
        Error::Trap(t) => t,
        other => panic!("expected a trap, got {other}"),
    }
}

const TRAPS: &str = r#"
(module
  (type $v (func))
  (type $i (func (result i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $ok)
  (func $ok)
  (func (export "unreachable") unreachable)
  (func (export "div0") (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
  (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "conversion") (result i32) (i32.trunc_f32_s (f32.const nan)))
  (func (export "memory") (result i32) (i32.load (i32.const 65534)))
  (func (export "table") (call_indirect (type $v) (i32.const 7)))
  (func (export "null") (call_indirect (type $v) (i32.const 1)))
  (func (export "signature") (result i32) (call_indirect (type $i) (i32.const 0)))
  (func $recurse (export "recurse") (result i32) (i32.add (call $recurse) (i32.const 1)))
  (func (export "spin") (loop $l (br $l)))
)"#;

#[test]
fn every_trap_kind_is_a_value() {
    let (mut store, instance) = instantiate(TRAPS);
    let cases = [
        ("unreachable", TrapCode::Unreachable),
        ("div0", TrapCode::IntegerDivisionByZero),
        ("overflow", TrapCode::IntegerOverflow),
        ("conversion", TrapCode::BadConversionToInteger),
        ("memory", TrapCode::MemoryOutOfBounds),
        ("table", TrapCode::TableOutOfBounds),
        ("null", TrapCode::IndirectCallToNull),
        ("signature", TrapCode::BadSignature),
        ("recurse", TrapCode::StackOverflow),
    ];
    for (name, code) in cases {
        let f = instance.get_func(&mut store, name).unwrap();
        let mut results = vec![Val::I32(0); f.ty(&store).results().len()];
        // Each trap twice: a trap must leave the store usable.
        for _ in 0..2 {
            let trap = trap_of(f.call(&mut store, &[], &mut results).unwrap_err());
            assert_eq!(trap.code(), code, "{name}");
            assert!(!trap.backtrace().is_empty(), "{name} has a backtrace");
        }
    }
}

#[test]
fn backtrace_names_every_frame() {
    let (mut store, instance) = instantiate(
        r#"(module $m
             (func $inner (result i32) (i32.div_u (i32.const 1) (i32.const 0)))
             (func $middle (result i32) (call $inner))
             (func $outer (export "outer") (result i32) (call $middle)))"#,
    );
    let f = instance
        .get_typed_func::<(), i32>(&mut store, "outer")
        .unwrap();
    let trap = trap_of(f.call(&mut store, ()).unwrap_err());
    assert_eq!(frame_names(trap.backtrace()), ["inner", "middle", "outer"]);
    let text = trap.to_string();
    assert!(text.contains("integer divide by zero"), "{text}");
    assert!(text.contains("wasm backtrace"), "{text}");
    assert!(text.contains("m!inner"), "{text}");
}

#[test]
fn host_functions_see_store_data_and_exports() {
    let engine = engine();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "add" (func $add (param i32 i32) (result i32)))
             (import "env" "peek" (func $peek (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 0) "\2a")
             (func (export "run") (result i32)
               (i32.add (call $add (i32.const 2) (i32.const 3)) (call $peek))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, 0u32);
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "add",
            |mut caller: Caller<'_, u32>, a: i32, b: i32| {
                *caller.data_mut() += 1;
                a + b
            },
        )
        .unwrap();
    linker
        .func_new(
            "env",
            "peek",
            FuncType::new([], [ValType::I32]),
            |mut caller, _params, results| {
                let memory = caller.get_export("memory").unwrap().into_memory().unwrap();
                let mut byte = [0u8];
                memory.read(&caller, 0, &mut byte)?;
                results[0] = Val::I32(i32::from(byte[0]));
                Ok(())
            },
        )
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 47);
    assert_eq!(*store.data(), 1);
}

/// Instantiates `wat`, whose import `env.reenter` calls its export `inner` (a host function
/// re-entering wasm), with the other host functions `define` adds; returns the store and the
/// export `outer`.
fn reentrant(
    engine: &Engine,
    wat: &str,
    define: impl FnOnce(&mut Linker<Option<Func>>),
) -> (Store<Option<Func>>, Func) {
    let module = Module::new(engine, wat).unwrap();
    let mut store = Store::new(engine, None::<Func>);
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("env", "reenter", |mut caller: Caller<'_, Option<Func>>| {
            let inner = caller.data().unwrap();
            inner.call(&mut caller, &[], &mut [])
        })
        .unwrap();
    define(&mut linker);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    *store.data_mut() = instance.get_func(&mut store, "inner");
    let outer = instance.get_func(&mut store, "outer").unwrap();
    (store, outer)
}

/// The function names of a backtrace, `?` where the name section has none.
fn frame_names(backtrace: &[tierup_runtime::FrameInfo]) -> Vec<&str> {
    backtrace
        .iter()
        .map(|f| f.func_name().unwrap_or("?"))
        .collect()
}

#[test]
fn traps_cross_host_functions_with_the_whole_backtrace() {
    // wasm `outer` → host `reenter` → wasm `inner` (traps): the trap reaches the embedder with
    // the inner frames first, then the outer ones.
    let (mut store, outer) = reentrant(
        &engine(),
        r#"(module
             (import "env" "reenter" (func $reenter))
             (func $inner (export "inner") unreachable)
             (func $outer (export "outer") (call $reenter)))"#,
        |_| {},
    );
    let trap = trap_of(outer.call(&mut store, &[], &mut []).unwrap_err());
    assert_eq!(trap.code(), TrapCode::Unreachable);
    assert_eq!(frame_names(trap.backtrace()), ["inner", "outer"]);
}

#[test]
fn host_errors_and_panics_become_errors() {
    let engine = engine();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "fail" (func $fail))
             (import "env" "panic" (func $panic))
             (func (export "fail") (call $fail))
             (func (export "panic") (call $panic)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "fail", || -> Result<(), Error> {
            Err(Error::msg("no luck"))
        })
        .unwrap();
    linker
        .func_wrap("env", "panic", || -> () { panic!("host bug") })
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let fail = instance.get_func(&mut store, "fail").unwrap();
    let err = fail.call(&mut store, &[], &mut []).unwrap_err();
    assert!(err.to_string().contains("no luck"), "{err}");
    let panic = instance.get_func(&mut store, "panic").unwrap();
    let err = panic.call(&mut store, &[], &mut []).unwrap_err();
    assert!(err.to_string().contains("panicked"), "{err}");
    // The store still works afterwards.
    let err = fail.call(&mut store, &[], &mut []).unwrap_err();
    assert!(err.to_string().contains("no luck"), "{err}");
}

/// An error value of the embedder's own, for `Error::new`.
#[derive(Debug, PartialEq)]
struct Refused(u32);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused with {}", self.0)
    }
}

impl std::error::Error for Refused {}

#[test]
fn host_error_values_travel_with_the_backtrace_and_downcast() {
    // wasm `outer` → host `reenter` → wasm `inner` → host `refuse` (fails with `Refused(7)`):
    // the value reaches the embedder with the frames it left, innermost first, in every tier.
    for tier in [TierMode::Interp, TierMode::Baseline, TierMode::Optimized] {
        let engine = Engine::new(Config::new().tier(tier)).unwrap();
        let (mut store, outer) = reentrant(
            &engine,
            r#"(module
                 (import "env" "reenter" (func $reenter))
                 (import "env" "refuse" (func $refuse))
                 (func $inner (export "inner") (call $refuse))
                 (func $outer (export "outer") (call $reenter)))"#,
            |linker| {
                linker
                    .func_wrap("env", "refuse", || -> Result<(), Error> {
                        Err(Error::new(Refused(7)))
                    })
                    .unwrap();
            },
        );
        let err = outer.call(&mut store, &[], &mut []).unwrap_err();
        assert_eq!(err.downcast_ref::<Refused>(), Some(&Refused(7)), "{tier}");
        assert!(err.downcast_ref::<tierup_runtime::Trap>().is_none());
        let Error::Host(host) = &err else {
            panic!("{tier}: expected a host error, got {err:?}");
        };
        assert_eq!(frame_names(host.backtrace()), ["inner", "outer"], "{tier}");
        assert_eq!(
            err.to_string(),
            "refused with 7\nwasm backtrace:\n    0: inner\n    1: outer"
        );
        // `downcast` to another type gives the error back unchanged.
        let err = err.downcast::<std::io::Error>().unwrap_err();
        assert_eq!(err.downcast::<Refused>().unwrap(), Refused(7));
    }
}

#[test]
fn error_new_keeps_traps_and_our_errors_as_they_are() {
    let trap = Error::new(tierup_runtime::Trap::new(TrapCode::Unreachable));
    assert_eq!(trap_of(trap).code(), TrapCode::Unreachable);
    let trap = Error::from(tierup_runtime::Trap::new(TrapCode::IntegerDivisionByZero));
    assert_eq!(
        trap.downcast::<tierup_runtime::Trap>().unwrap().code(),
        TrapCode::IntegerDivisionByZero
    );
    assert!(matches!(Error::new(Error::msg("as is")), Error::Message(m) if m == "as is"));
    // Called directly by the embedder, a host function's value has no wasm frames.
    let engine = engine();
    let mut store = Store::new(&engine, ());
    let refuse = Func::wrap(&mut store, || -> Result<(), Error> {
        Err(Error::new(Refused(1)))
    });
    match refuse.call(&mut store, &[], &mut []).unwrap_err() {
        Error::Host(host) => assert!(host.backtrace().is_empty()),
        other => panic!("expected a host error, got {other:?}"),
    }
}

#[test]
fn deep_host_recursion_is_stack_overflow_not_a_crash() {
    // wasm → host → wasm → host … without end.
    let engine = engine();
    let module = Module::new(
        &engine,
        r#"(module
             (import "env" "again" (func $again))
             (func (export "go") (call $again)))"#,
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
    let trap = trap_of(go.call(&mut store, &[], &mut []).unwrap_err());
    assert_eq!(trap.code(), TrapCode::StackOverflow);
}

#[test]
fn interrupt_stops_an_infinite_loop() {
    let (mut store, instance) = instantiate(TRAPS);
    let spin = instance.get_func(&mut store, "spin").unwrap();
    let handle = store.interrupt_handle();
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        handle.interrupt();
    });
    let trap = trap_of(spin.call(&mut store, &[], &mut []).unwrap_err());
    timer.join().unwrap();
    assert_eq!(trap.code(), TrapCode::Interrupted);
    // The interruption is consumed: the next call runs normally.
    let ok = instance.get_func(&mut store, "div0").unwrap();
    let err = trap_of(ok.call(&mut store, &[], &mut [Val::I32(0)]).unwrap_err());
    assert_eq!(err.code(), TrapCode::IntegerDivisionByZero);
}

#[test]
fn memory_table_and_global_handles() {
    let engine = engine();
    let mut store = Store::new(&engine, ());
    let memory = Memory::new(&mut store, MemoryType::new(1, Some(3))).unwrap();
    memory.write(&mut store, 100, b"hello").unwrap();
    let mut buf = [0u8; 5];
    memory.read(&store, 100, &mut buf).unwrap();
    assert_eq!(&buf, b"hello");
    assert!(memory.read(&store, 65534, &mut buf).is_err());
    assert_eq!(memory.grow(&mut store, 2).unwrap(), 1);
    assert!(memory.grow(&mut store, 1).is_err());
    assert_eq!(memory.size(&store), 3);

    let global = Global::new(
        &mut store,
        GlobalType::new(ValType::I64, Mutability::Var),
        Val::I64(7),
    )
    .unwrap();
    global.set(&mut store, Val::I64(-1)).unwrap();
    assert_eq!(global.get(&mut store).i64(), Some(-1));
    assert!(global.set(&mut store, Val::I32(1)).is_err());

    let table = Table::new(
        &mut store,
        TableType::new(ValType::FuncRef, 1, Some(4)),
        Val::FuncRef(None),
    )
    .unwrap();
    let f = Func::wrap(&mut store, |x: i32| x * 2);
    assert_eq!(table.grow(&mut store, 2, Val::FuncRef(Some(f))).unwrap(), 1);
    assert_eq!(table.get(&mut store, 2), Some(Val::FuncRef(Some(f))));
    assert!(table.get(&mut store, 9).is_none());

    // Imported into a module, the same objects are shared.
    let module = Module::new(
        &engine,
        r#"(module
             (import "" "m" (memory 1))
             (import "" "g" (global (mut i64)))
             (import "" "t" (table 1 funcref))
             (type $t (func (param i32) (result i32)))
             (func (export "go") (result i64)
               (global.set 0 (i64.extend_i32_u (call_indirect (type $t) (i32.const 21) (i32.const 2))))
               (i64.add (global.get 0) (i64.load8_u (i32.const 100)))))"#,
    )
    .unwrap();
    let instance = Instance::new(
        &mut store,
        &module,
        &[
            Extern::Memory(memory),
            Extern::Global(global),
            Extern::Table(table),
        ],
    )
    .unwrap();
    let go = instance
        .get_typed_func::<(), i64>(&mut store, "go")
        .unwrap();
    assert_eq!(go.call(&mut store, ()).unwrap(), 42 + i64::from(b'h'));
    assert_eq!(global.get(&mut store).i64(), Some(42));
}

#[test]
fn link_and_instantiation_errors() {
    let engine = engine();
    let mut store = Store::new(&engine, ());
    let needs_import = Module::new(&engine, r#"(module (import "env" "f" (func)))"#).unwrap();
    let err = Linker::new(&engine)
        .instantiate(&mut store, &needs_import)
        .unwrap_err();
    assert!(matches!(err, Error::Unlinkable(_)), "{err}");

    let mut linker = Linker::new(&engine);
    linker.func_wrap("env", "f", |_: i32| {}).unwrap();
    let err = linker.instantiate(&mut store, &needs_import).unwrap_err();
    assert!(matches!(err, Error::Unlinkable(_)), "{err}");

    let bad_segment = Module::new(
        &engine,
        r#"(module (memory 1) (data (i32.const 65535) "ab"))"#,
    )
    .unwrap();
    let err = Linker::new(&engine)
        .instantiate(&mut store, &bad_segment)
        .unwrap_err();
    assert_eq!(
        err.as_trap().map(|t| t.code()),
        Some(TrapCode::MemoryOutOfBounds)
    );

    let err = Module::new(&engine, b"\0asm\x01\0\0\0\x01\x05").unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
    let err = Module::new(&engine, "(module (func (result i32)))").unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
    let err = Module::new(&engine, "(module (func").unwrap_err();
    assert!(matches!(err, Error::Parse(_)), "{err}");
}

#[test]
fn dynamic_calls_check_types_and_arity() {
    let (mut store, instance) = instantiate(
        r#"(module (func (export "add") (param i64 i64) (result i64)
             (i64.add (local.get 0) (local.get 1))))"#,
    );
    let add = instance.get_func(&mut store, "add").unwrap();
    let mut out = [Val::I64(0)];
    add.call(&mut store, &[Val::I64(40), Val::I64(2)], &mut out)
        .unwrap();
    assert_eq!(out[0].i64(), Some(42));
    assert!(
        add.call(&mut store, &[Val::I32(1), Val::I64(2)], &mut out)
            .is_err()
    );
    assert!(add.call(&mut store, &[Val::I64(1)], &mut out).is_err());
    assert!(add.typed::<(i32, i32), i32>(&store).is_err());
    assert!(add.typed::<(i64, i64), i64>(&store).is_ok());
}

#[test]
fn every_forced_tier_runs_and_reports_only_itself() {
    let wat = r#"(module (func (export "f") (param i32) (result i32)
                   (i32.add (local.get 0) (i32.const 1))))"#;
    for (tier, expected) in [
        (TierMode::Interp, Tier::Interp),
        (TierMode::Baseline, Tier::Baseline),
        (TierMode::Optimized, Tier::Optimized),
    ] {
        let engine = Engine::new(Config::new().tier(tier)).unwrap();
        let (mut store, instance) = instantiate_in(&engine, wat);
        let module = instance.module(&mut store);
        let f = instance
            .get_typed_func::<i32, i32>(&mut store, "f")
            .unwrap();
        assert_eq!(f.call(&mut store, 41).unwrap(), 42);
        let stats = module.stats();
        assert!(!stats.events.is_empty());
        assert!(
            stats.events.iter().all(|e| e.tier == expected),
            "{tier}: {}",
            stats.summary()
        );
    }
}

#[test]
fn tier_lists_parse_and_print() {
    let tiers: Tiers = "interp,opt".parse().unwrap();
    assert!(tiers.interp && !tiers.baseline && tiers.opt);
    assert_eq!(tiers.to_string(), "interp,opt");
    assert!("interp,turbo".parse::<Tiers>().is_err());
    assert!("".parse::<Tiers>().is_err());
}

#[test]
fn stats_report_each_function_reaching_the_interpreter() {
    let (mut store, instance) = instantiate(
        r#"(module $m
             (func $helper (result i32) (i32.const 1))
             (func $unused (result i32) (i32.const 2))
             (func (export "main") (result i32) (i32.add (call $helper) (call $helper))))"#,
    );
    let main = instance
        .get_typed_func::<(), i32>(&mut store, "main")
        .unwrap();
    assert_eq!(main.call(&mut store, ()).unwrap(), 2);
    let module = instance.module(&mut store).stats();
    // `main` (no name) was translated first, then `helper`; `unused` never ran.
    let names: Vec<_> = module
        .events
        .iter()
        .map(|e| (e.name.clone(), e.tier))
        .collect();
    assert_eq!(
        names,
        [
            (None, tierup_runtime::Tier::Interp),
            (Some("helper".to_string()), tierup_runtime::Tier::Interp)
        ]
    );
    assert_eq!(module.defined_functions, 3);
    assert!(
        module
            .events
            .iter()
            .all(|e| e.code_bytes > 0 && e.wasm_bytes > 0)
    );
    let json = module.to_json();
    assert!(
        json.contains("\"tier\":\"interp\"") && json.contains("\"name\":\"helper\""),
        "{json}"
    );
}
