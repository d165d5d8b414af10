//! Tests of `Module::explore` (the `explore` feature): the listings of every tier point back
//! to the function's wasm, and exploring installs nothing. The text output is snapshotted by
//! the CLI's tests (`runtime/cli/tests/explore.rs`).

use tierup_runtime::{Config, Engine, Exploration, Module, TierMode};

const WAT: &str = r#"
(module
  (import "host" "f" (func $f (param i32) (result i32)))
  (memory 1)
  (func $work (export "work") (param $n i32) (result i32) (local $acc i32)
    (loop $top
      (local.set $acc (i32.add (local.get $acc)
        (call $f (i32.load offset=4 (local.get $n)))))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc)))
"#;

/// Checks that every listing's wasm offsets fall in the function's body and that each tier
/// annotates some of its code.
fn check(ex: &Exploration) {
    let body = ex.wasm.body.clone();
    let operators: Vec<u32> = ex.wasm.lines.iter().filter_map(|l| l.wasm_offset).collect();
    assert!(
        ex.wasm.lines[0].text.starts_with("(func $work"),
        "{:?}",
        ex.wasm.lines[0]
    );
    for instr in &ex.interp.instrs {
        assert!(
            operators.contains(&instr.wasm_offset),
            "{instr:?} in {body:?}"
        );
    }
    let baseline = ex.baseline.as_ref().expect("baseline compiles");
    assert!(baseline.code_bytes > 0);
    let mut annotated = 0;
    for instr in &baseline.instrs {
        if let Some(index) = instr.bytecode_index {
            let bytecode = &ex.interp.instrs[index as usize];
            assert_eq!(instr.wasm_offset, Some(bytecode.wasm_offset));
            annotated += 1;
        }
    }
    assert!(annotated > 0, "baseline code is annotated");
    let opt = ex.optimized.as_ref().expect("the optimizer compiles");
    assert!(opt.native_entry);
    assert!(
        opt.clif.iter().any(|l| l.wasm_offset.is_some()),
        "CLIF has source locations"
    );
    let annotated: Vec<u32> = opt
        .machine
        .instrs
        .iter()
        .filter_map(|i| i.wasm_offset)
        .collect();
    assert!(!annotated.is_empty(), "optimized code is annotated");
    for offset in annotated {
        assert!(
            operators.contains(&offset),
            "{offset:#x} is an operator of the function"
        );
    }
    let text = ex.to_string();
    for section in [
        "== wasm",
        "== interpreter bytecode",
        "== baseline machine code",
        "== optimized CLIF",
        "== optimized machine code",
        "== summary",
    ] {
        assert!(text.contains(section), "{section} in\n{text}");
    }
}

#[test]
fn every_tier_points_back_to_the_wasm() {
    let engine = Engine::default();
    let module = Module::new(&engine, WAT).unwrap();
    let index = module.func_index_by_name("work").unwrap();
    assert_eq!(index, 1);
    assert_eq!(module.func_index_by_name("$work"), Some(1));
    let ex = module.explore(index).unwrap();
    check(&ex);
    // Nothing was translated or compiled for the module itself.
    assert!(
        module.stats().events.is_empty(),
        "{:?}",
        module.stats().events
    );
}

#[test]
fn with_fuel_and_in_an_interpreter_only_engine() {
    let engine = Engine::new(Config::new().tier(TierMode::Interp).consume_fuel(true)).unwrap();
    let module = Module::new(&engine, WAT).unwrap();
    let ex = module.explore(1).unwrap();
    check(&ex);
    assert!(
        ex.interp
            .instrs
            .iter()
            .any(|i| i.text.starts_with("ConsumeFuel"))
    );
}

#[test]
fn imported_and_missing_functions_are_errors() {
    let module = Module::new(&Engine::default(), WAT).unwrap();
    for index in [0, 2, 1000] {
        let err = module.explore(index).unwrap_err();
        assert!(err.to_string().contains("not defined"), "{err}");
    }
    assert_eq!(module.func_index_by_name("nope"), None);
}
