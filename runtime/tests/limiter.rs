//! The per-store resource limiter ([`ResourceLimiter`], [`StoreLimits`]) on every path that
//! can grow a store: instantiation (counts and initial sizes), the embedding API, and
//! `memory.grow` / `table.grow` from wasm in every tier (interpreter, baseline, optimizer, and
//! tiered with thresholds at 1 so functions change tier while the test runs).

#[path = "support/modes.rs"]
mod modes;

use tierup_runtime::{
    Engine, Error, Instance, Memory, MemoryType, Module, ResourceLimiter, Store, StoreLimits,
    StoreLimitsBuilder, Table, TableType, Tier, TrapCode, Val, ValType,
};

const PAGE: usize = 65536;

/// A store whose data is `limits`, with the limiter installed.
fn limited_store(engine: &Engine, limits: StoreLimits) -> Store<StoreLimits> {
    let mut store = Store::new(engine, limits);
    store.limiter(|limits| limits);
    store
}

fn instantiate<T: 'static>(store: &mut Store<T>, wat: &str) -> Result<Instance, Error> {
    let module = Module::new(store.engine(), wat)?;
    Instance::new(store, &module, &[])
}

/// Calls `name(arg) -> i32` often enough (200 times) for tiered modes to move it up while
/// the test runs, checking every result against `expect(i)`.
fn call_many<T>(
    store: &mut Store<T>,
    instance: Instance,
    name: &str,
    arg: i32,
    expect: i32,
    mode: &str,
) {
    let f = instance
        .get_typed_func::<i32, i32>(&mut *store, name)
        .unwrap();
    for i in 0..200 {
        let got = f.call(&mut *store, arg).unwrap();
        assert_eq!(got, expect, "{mode}: call {i} of {name}({arg})");
    }
}

/// In the stress mode, calls `name(arg)` (expecting `expect`) until the optimizer's code for
/// it is patched in, then once more: the refusal is checked in Cranelift code as well.
fn until_optimized<T>(
    store: &mut Store<T>,
    instance: Instance,
    name: &str,
    arg: i32,
    expect: i32,
    mode: &str,
) {
    if mode != "stress" {
        return;
    }
    let f = instance
        .get_typed_func::<i32, i32>(&mut *store, name)
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        assert_eq!(f.call(&mut *store, arg).unwrap(), expect, "{mode}: {name}");
        let stats = instance.module(&mut *store).stats();
        let optimized = stats
            .events
            .iter()
            .any(|e| e.tier == Tier::Optimized && e.name.as_deref() == Some(name));
        if optimized {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name} never reached the optimizer"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(f.call(&mut *store, arg).unwrap(), expect, "{mode}: {name}");
}

const GROW_MEMORY: &str = r#"(module
  (memory (export "mem") 1)
  (func $grow (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func $size (export "size") (param i32) (result i32) (memory.size)))"#;

#[test]
fn memory_grow_beyond_the_per_memory_limit_returns_minus_one_in_every_tier() {
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let limits = StoreLimitsBuilder::new().memory_size(4 * PAGE).build();
        let mut store = limited_store(&engine, limits);
        let instance = instantiate(&mut store, GROW_MEMORY).unwrap();
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .unwrap();
        assert_eq!(grow.call(&mut store, 1).unwrap(), 1, "{mode}");
        assert_eq!(grow.call(&mut store, 2).unwrap(), 2, "{mode}");
        // 4 pages now: one more is refused, growing by 0 still answers the size.
        call_many(&mut store, instance, "grow", 1, -1, mode);
        call_many(&mut store, instance, "grow", 0x1_0000, -1, mode);
        until_optimized(&mut store, instance, "grow", 1, -1, mode);
        call_many(&mut store, instance, "grow", 0, 4, mode);
        call_many(&mut store, instance, "size", 0, 4, mode);
        let mem = instance.get_memory(&mut store, "mem").unwrap();
        assert_eq!(mem.data_size(&store), 4 * PAGE, "{mode}");
        assert_eq!(store.data().total_memory_bytes(), 4 * PAGE, "{mode}");
    }
}

const GROW_TABLE: &str = r#"(module
  (table (export "t") 2 funcref)
  (func $grow (export "grow") (param i32) (result i32)
    (table.grow (ref.null func) (local.get 0)))
  (func (export "size") (param i32) (result i32) (table.size)))"#;

#[test]
fn table_grow_beyond_the_per_table_limit_returns_minus_one_in_every_tier() {
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let limits = StoreLimitsBuilder::new().table_elements(10).build();
        let mut store = limited_store(&engine, limits);
        let instance = instantiate(&mut store, GROW_TABLE).unwrap();
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .unwrap();
        assert_eq!(grow.call(&mut store, 8).unwrap(), 2, "{mode}");
        call_many(&mut store, instance, "grow", 1, -1, mode);
        call_many(&mut store, instance, "grow", 1_000_000, -1, mode);
        until_optimized(&mut store, instance, "grow", 1, -1, mode);
        call_many(&mut store, instance, "grow", 0, 10, mode);
        call_many(&mut store, instance, "size", 0, 10, mode);
        assert_eq!(store.data().total_table_elements(), 10, "{mode}");
    }
}

/// Two memories share one store-wide budget.
#[test]
fn total_memory_is_shared_by_every_memory_of_the_store() {
    let wat = r#"(module
      (memory $a 2)
      (memory $b 2)
      (func (export "grow_a") (param i32) (result i32) (memory.grow $a (local.get 0)))
      (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0))))"#;
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let limits = StoreLimitsBuilder::new()
            .total_memory_size(6 * PAGE)
            .build();
        let mut store = limited_store(&engine, limits);
        let instance = instantiate(&mut store, wat).unwrap();
        let grow_a = instance
            .get_typed_func::<i32, i32>(&mut store, "grow_a")
            .unwrap();
        assert_eq!(grow_a.call(&mut store, 2).unwrap(), 2, "{mode}");
        call_many(&mut store, instance, "grow_b", 1, -1, mode);
        call_many(&mut store, instance, "grow_a", 1, -1, mode);
        assert_eq!(store.data().total_memory_bytes(), 6 * PAGE, "{mode}");
        // A second instance cannot even get its initial pages.
        let err = instantiate(&mut store, r#"(module (memory 1))"#).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("memory 0") && msg.contains("store's total"),
            "{msg}"
        );
    }
}

/// The hostile case: many tables, each within any per-table limit, together bounded by the
/// store-wide total (at instantiation and when grown from wasm).
#[test]
fn many_tables_are_bounded_by_the_store_total() {
    let mut wat = String::from("(module\n");
    for i in 0..20 {
        wat.push_str(&format!("(table $t{i} 0 funcref)\n"));
    }
    wat.push_str("(func (export \"grow_all\") (param i32) (result i32) (local $ok i32)\n");
    for i in 0..20 {
        wat.push_str(&format!(
            "(local.set $ok (i32.add (local.get $ok) (i32.ne (i32.const -1) \
             (table.grow $t{i} (ref.null func) (local.get 0)))))\n"
        ));
    }
    wat.push_str("(local.get $ok)))");
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let limits = StoreLimitsBuilder::new()
            .table_elements(1000)
            .total_table_elements(5000)
            .build();
        let mut store = limited_store(&engine, limits);
        let instance = instantiate(&mut store, &wat).unwrap();
        let grow_all = instance
            .get_typed_func::<i32, i32>(&mut store, "grow_all")
            .unwrap();
        // 1000 each: five tables get theirs, the other fifteen get -1.
        assert_eq!(grow_all.call(&mut store, 1000).unwrap(), 5, "{mode}");
        for _ in 0..100 {
            assert_eq!(grow_all.call(&mut store, 1).unwrap(), 0, "{mode}");
        }
        assert_eq!(store.data().total_table_elements(), 5000, "{mode}");
    }

    // Twenty tables of 10M elements (1.6 GB of slots) are refused at instantiation, before
    // anything big is allocated.
    let mut wat = String::from("(module\n");
    for _ in 0..20 {
        wat.push_str("(table 10000000 funcref)\n");
    }
    wat.push(')');
    let engine = Engine::default();
    let limits = StoreLimitsBuilder::new()
        .total_table_elements(10_000_000)
        .build();
    let mut store = limited_store(&engine, limits);
    let err = instantiate(&mut store, &wat).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("table 1") && msg.contains("limit of 10000000 elements"),
        "{msg}"
    );
}

#[test]
fn initial_sizes_over_the_limits_fail_instantiation_naming_the_limit() {
    let engine = Engine::default();
    let limits = StoreLimitsBuilder::new()
        .memory_size(PAGE)
        .table_elements(5)
        .build();
    let mut store = limited_store(&engine, limits);
    let err = instantiate(&mut store, r#"(module (memory 2))"#).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("memory 0") && msg.contains("per-memory limit of 65536 bytes"),
        "{msg}"
    );
    let err = instantiate(&mut store, r#"(module (table 6 funcref))"#).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("table 0") && msg.contains("per-table limit of 5 elements"),
        "{msg}"
    );
    // Within the limits it works, and the store is still usable after the failures.
    instantiate(&mut store, r#"(module (memory 1) (table 5 funcref))"#).unwrap();
}

#[test]
fn counts_of_instances_tables_and_memories_are_limited() {
    let engine = Engine::default();
    let limits = StoreLimitsBuilder::new()
        .instances(2)
        .tables(2)
        .memories(1)
        .build();
    let mut store = limited_store(&engine, limits);
    instantiate(&mut store, r#"(module (table 0 funcref))"#).unwrap();
    let err = instantiate(
        &mut store,
        r#"(module (table 0 funcref) (table 0 funcref))"#,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("table count too high"), "{err}");
    assert!(err.contains("limit of 2"), "{err}");
    let err = instantiate(&mut store, r#"(module (memory 0) (memory 0))"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("memory count too high"), "{err}");
    instantiate(&mut store, r#"(module (memory 0))"#).unwrap();
    let err = instantiate(&mut store, r#"(module)"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("instance count too high"), "{err}");
    // Host-created memories and tables count too.
    let err = Memory::new(&mut store, MemoryType::new(0, None))
        .unwrap_err()
        .to_string();
    assert!(err.contains("memory count too high"), "{err}");
    Table::new(
        &mut store,
        TableType::new(ValType::FuncRef, 0, None),
        Val::FuncRef(None),
    )
    .unwrap();
    let err = Table::new(
        &mut store,
        TableType::new(ValType::FuncRef, 0, None),
        Val::FuncRef(None),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("table count too high"), "{err}");
}

#[test]
fn host_api_growth_goes_through_the_limiter() {
    let engine = Engine::default();
    let limits = StoreLimitsBuilder::new()
        .memory_size(3 * PAGE)
        .table_elements(4)
        .total_memory_size(5 * PAGE)
        .build();
    let mut store = limited_store(&engine, limits);
    let err = Memory::new(&mut store, MemoryType::new(4, None)).unwrap_err();
    assert!(err.to_string().contains("per-memory limit"), "{err}");
    let mem = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    assert_eq!(mem.grow(&mut store, 2).unwrap(), 1);
    let err = mem.grow(&mut store, 1).unwrap_err();
    assert!(err.to_string().contains("per-memory limit"), "{err}");
    let other = Memory::new(&mut store, MemoryType::new(2, None)).unwrap();
    let err = other.grow(&mut store, 1).unwrap_err();
    assert!(err.to_string().contains("store's total"), "{err}");
    assert_eq!(other.grow(&mut store, 0).unwrap(), 2);
    // A refusal by the memory's own maximum says so (not the limiter's earlier reason), and
    // the limiter's grant is taken back.
    let limits = StoreLimitsBuilder::new().memory_size(PAGE).build();
    let mut store2 = limited_store(&engine, limits);
    let one = Memory::new(&mut store2, MemoryType::new(1, None)).unwrap();
    let err = one.grow(&mut store2, 1).unwrap_err();
    assert!(err.to_string().contains("per-memory limit"), "{err}");
    let small = Memory::new(&mut store2, MemoryType::new(0, Some(0))).unwrap();
    let err = small.grow(&mut store2, 1).unwrap_err();
    assert!(
        err.to_string().contains("over its maximum of 0 pages"),
        "{err}"
    );
    assert_eq!(store2.data().total_memory_bytes(), PAGE);

    let ty = TableType::new(ValType::FuncRef, 1, None);
    let table = Table::new(&mut store, ty, Val::FuncRef(None)).unwrap();
    assert_eq!(table.grow(&mut store, 3, Val::FuncRef(None)).unwrap(), 1);
    let err = table.grow(&mut store, 1, Val::FuncRef(None)).unwrap_err();
    assert!(err.to_string().contains("per-table limit"), "{err}");
    let big = TableType::new(ValType::FuncRef, 5, None);
    let err = Table::new(&mut store, big, Val::FuncRef(None)).unwrap_err();
    assert!(err.to_string().contains("per-table limit"), "{err}");
    assert_eq!(table.size(&store), 4);
}

/// What a limiter was asked, and an error to fail with.
#[derive(Default)]
struct Recorder {
    calls: Vec<String>,
    fail: bool,
    panic: bool,
}

#[derive(Debug)]
struct Denied;

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("denied by the test limiter")
    }
}

impl std::error::Error for Denied {}

impl ResourceLimiter for Recorder {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        max: Option<usize>,
    ) -> Result<bool, Error> {
        self.calls
            .push(format!("memory {current} -> {desired} max {max:?}"));
        if self.panic {
            panic!("limiter panic");
        }
        if self.fail {
            return Err(Error::new(Denied));
        }
        Ok(true)
    }

    fn memory_grow_failed(&mut self, _error: Error) -> Result<(), Error> {
        self.calls.push("memory failed".into());
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        max: Option<usize>,
    ) -> Result<bool, Error> {
        self.calls
            .push(format!("table {current} -> {desired} max {max:?}"));
        if self.fail {
            return Err(Error::new(Denied));
        }
        Ok(true)
    }

    fn table_grow_failed(&mut self, _error: Error) -> Result<(), Error> {
        self.calls.push("table failed".into());
        Ok(())
    }
}

fn recorded_store(engine: &Engine) -> Store<Recorder> {
    let mut store = Store::new(engine, Recorder::default());
    store.limiter(|r| r);
    store
}

#[test]
fn a_limiter_error_traps_the_grow_instruction_in_every_tier() {
    let wat = r#"(module
      (memory 1 10)
      (table 1 funcref)
      (global $after (mut i32) (i32.const 0))
      (func (export "grow_memory") (param i32) (result i32)
        (drop (memory.grow (local.get 0)))
        (global.set $after (i32.const 1))
        (global.get $after))
      (func (export "grow_table") (param i32) (result i32)
        (drop (table.grow (ref.null func) (local.get 0)))
        (global.set $after (i32.const 1))
        (global.get $after))
      (func (export "after") (param i32) (result i32) (global.get $after)))"#;
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let mut store = recorded_store(&engine);
        let instance = instantiate(&mut store, wat).unwrap();
        assert_eq!(
            store.data().calls,
            [
                "table 0 -> 1 max None",
                "memory 0 -> 65536 max Some(655360)"
            ],
            "{mode}"
        );
        store.data_mut().fail = true;
        for name in ["grow_memory", "grow_table"] {
            let f = instance
                .get_typed_func::<i32, i32>(&mut store, name)
                .unwrap();
            for _ in 0..50 {
                let err = f.call(&mut store, 1).unwrap_err();
                assert!(
                    err.downcast_ref::<Denied>().is_some(),
                    "{mode} {name}: {err}"
                );
            }
        }
        // The instruction trapped: the code after it never ran.
        call_many(&mut store, instance, "after", 0, 0, mode);
        store.data_mut().fail = false;
        call_many(&mut store, instance, "grow_memory", 0, 1, mode);
    }
}

#[test]
fn trap_on_grow_failure_turns_refusals_into_traps() {
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let limits = StoreLimitsBuilder::new()
            .memory_size(2 * PAGE)
            .trap_on_grow_failure(true)
            .build();
        let mut store = limited_store(&engine, limits);
        let instance = instantiate(&mut store, GROW_MEMORY).unwrap();
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .unwrap();
        for _ in 0..50 {
            let err = grow.call(&mut store, 2).unwrap_err();
            let trap = err.as_trap().expect("a trap");
            assert_eq!(trap.code(), TrapCode::ResourceLimit, "{mode}");
            assert_eq!(trap.backtrace()[0].func_name(), Some("grow"), "{mode}");
            let msg = err.to_string();
            assert!(
                msg.contains("per-memory limit of 131072 bytes"),
                "{mode}: {msg}"
            );
        }
        assert_eq!(grow.call(&mut store, 1).unwrap(), 1, "{mode}");
    }
}

/// Growth the limiter allowed but the memory's own maximum (or the engine's cap) refuses is
/// reported to `*_grow_failed`, and `StoreLimits` takes back what it granted.
#[test]
fn grow_failures_after_consent_are_reported_and_undone() {
    let wat = r#"(module
      (memory 1 2)
      (table 1 2 funcref)
      (func (export "grow_memory") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "grow_table") (param i32) (result i32)
        (table.grow (ref.null func) (local.get 0))))"#;
    for (mode, mut config) in modes::tier_modes() {
        config.max_memory_pages(3);
        let engine = Engine::new(&config).unwrap();
        let mut store = recorded_store(&engine);
        let instance = instantiate(&mut store, wat).unwrap();
        store.data_mut().calls.clear();
        let grow_memory = instance
            .get_typed_func::<i32, i32>(&mut store, "grow_memory")
            .unwrap();
        let grow_table = instance
            .get_typed_func::<i32, i32>(&mut store, "grow_table")
            .unwrap();
        assert_eq!(grow_memory.call(&mut store, 5).unwrap(), -1, "{mode}");
        assert_eq!(grow_table.call(&mut store, 5).unwrap(), -1, "{mode}");
        assert_eq!(grow_memory.call(&mut store, 0).unwrap(), 1, "{mode}");
        assert_eq!(
            store.data().calls,
            [
                "memory 65536 -> 393216 max Some(131072)",
                "memory failed",
                "table 1 -> 6 max Some(2)",
                "table failed",
            ],
            "{mode}"
        );

        let engine = Engine::new(&config).unwrap();
        let limits = StoreLimitsBuilder::new().build();
        let mut store = limited_store(&engine, limits);
        let instance = instantiate(&mut store, wat).unwrap();
        assert_eq!(store.data().total_memory_bytes(), PAGE, "{mode}");
        let grow_memory = instance
            .get_typed_func::<i32, i32>(&mut store, "grow_memory")
            .unwrap();
        assert_eq!(grow_memory.call(&mut store, 2).unwrap(), -1, "{mode}");
        assert_eq!(store.data().total_memory_bytes(), PAGE, "{mode}");
        assert_eq!(store.data().total_table_elements(), 1, "{mode}");
        // The engine's cap (3 pages) is below the type's maximum here: also undone.
        let err = instantiate(&mut store, r#"(module (memory 4))"#).unwrap_err();
        assert!(err.to_string().contains("exceeds the limit"), "{err}");
        assert_eq!(store.data().total_memory_bytes(), PAGE, "{mode}");
    }
}

#[test]
fn a_panicking_limiter_traps_instead_of_unwinding_through_wasm() {
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let mut store = recorded_store(&engine);
        let instance = instantiate(&mut store, GROW_MEMORY).unwrap();
        store.data_mut().panic = true;
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .unwrap();
        let err = grow.call(&mut store, 1).unwrap_err().to_string();
        assert!(err.contains("panicked"), "{mode}: {err}");
        store.data_mut().panic = false;
        assert_eq!(grow.call(&mut store, 1).unwrap(), 1, "{mode}");
    }
}

/// Without a limiter nothing changes: growth up to the type's maximum works.
#[test]
fn without_a_limiter_growth_is_unlimited_by_the_store() {
    for (mode, config) in modes::tier_modes() {
        let engine = Engine::new(&config).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = instantiate(&mut store, GROW_MEMORY).unwrap();
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .unwrap();
        assert_eq!(grow.call(&mut store, 100).unwrap(), 1, "{mode}");
        call_many(&mut store, instance, "grow", 0, 101, mode);
        assert_eq!(grow.call(&mut store, 0x1_0000).unwrap(), -1, "{mode}");
    }
}
