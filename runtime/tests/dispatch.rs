//! Guards the threaded dispatcher: in optimized builds every instruction handler tail-calls
//! the next one, which LLVM guarantees only when no handler keeps an escaping stack slot
//! (see `interp/src/exec.rs`). If a handler regresses to a real call, the native stack grows
//! with every executed instruction, and this test, which runs about 10^8 instructions
//! (loops, direct and indirect calls, host calls, returns) on a thread with a 256 KiB stack,
//! overflows. Run it with `cargo test --release -p tierup-runtime --test dispatch` (CI does);
//! in unoptimized builds it exercises the `loop { match }` backend instead.

use tierup_runtime::{Config, Engine, Linker, Module, Store, TierMode};

const WAT: &str = r#"
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $inc $host)
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "run") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (call $inc (local.get $acc)))
      (local.set $acc (call_indirect (type $t) (local.get $acc) (i32.const 0)))
      (if (i32.eqz (i32.and (local.get $i) (i32.const 1023)))
        (then (local.set $acc (call_indirect (type $t) (local.get $acc) (i32.const 1)))))
      (local.set $acc (i32.xor (local.get $acc) (i32.shl (local.get $i) (i32.const 3))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc)))
"#;

/// The workspace builds the interpreter as it ships (see the root Cargo.toml), so tests run the
/// threaded backend unless `TIERUP_LOOP_DISPATCH` asks for the portable one.
#[test]
#[cfg(target_arch = "x86_64")]
fn the_expected_backend_is_under_test() {
    let forced_loop = std::env::var_os("TIERUP_LOOP_DISPATCH").is_some_and(|v| v != "0");
    let expected = if forced_loop { "loop" } else { "threaded" };
    assert_eq!(tierup_runtime::INTERP_DISPATCH, expected);
}

#[test]
fn deep_dispatch_does_not_grow_the_stack() {
    // About 16 instructions per iteration (counting the callees' bodies).
    let iterations: i32 = if cfg!(debug_assertions) {
        1_000_000
    } else {
        6_000_000
    };
    let result = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            // The interpreter only: in a tiered engine the loop would move into machine code.
            let engine = Engine::new(Config::new().tier(TierMode::Interp)).unwrap();
            let module = Module::new(&engine, WAT).unwrap();
            let mut store = Store::new(&engine, ());
            let mut linker = Linker::new(&engine);
            linker
                .func_wrap("env", "host", |x: i32| x.wrapping_mul(3))
                .unwrap();
            let instance = linker.instantiate(&mut store, &module).unwrap();
            let run = instance
                .get_typed_func::<i32, i32>(&mut store, "run")
                .unwrap();
            run.call(&mut store, iterations).unwrap()
        })
        .unwrap()
        .join()
        .expect("the dispatcher overflowed a 256 KiB stack");
    // The same computation in Rust.
    let mut acc: i32 = 0;
    for i in 0..iterations {
        acc = acc.wrapping_add(1).wrapping_add(1);
        if i & 1023 == 0 {
            acc = acc.wrapping_mul(3);
        }
        acc ^= i.wrapping_shl(3);
    }
    assert_eq!(result, acc);
}
