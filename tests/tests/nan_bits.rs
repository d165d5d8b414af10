//! NaN results have the same bits in every tier. Wasm lets an operation that produces a NaN
//! return any quiet NaN (canonical or arithmetic), so the spec scripts accept any; tierup
//! makes one choice and every tier follows it (`tierup_abi::numeric` states the `min`/`max`
//! rule; arithmetic follows x86's SSE rule, first NaN operand quieted), so a program reading
//! NaN bits sees the same value before and after it tiers up.
//!
//! Every operation below runs on pairs of NaNs with different payloads and signs, signalling
//! and quiet, and on NaNs mixed with numbers; the operands and results cross the boundary as
//! integers, so nothing on the way can touch the bits.

use tierup_runtime::{Config, Engine, Instance, Module, Store, Val};
use tierup_tests::TIER_ROWS;

const MODULE: &str = r#"
(module
  (func $f32 (param i32 i32) (result f32 f32)
    (f32.reinterpret_i32 (local.get 0)) (f32.reinterpret_i32 (local.get 1)))
  (func $f64 (param i64 i64) (result f64 f64)
    (f64.reinterpret_i64 (local.get 0)) (f64.reinterpret_i64 (local.get 1)))
  (func (export "f32.min") (param i32 i32) (result i32)
    (i32.reinterpret_f32 (f32.min (call $f32 (local.get 0) (local.get 1)))))
  (func (export "f32.max") (param i32 i32) (result i32)
    (i32.reinterpret_f32 (f32.max (call $f32 (local.get 0) (local.get 1)))))
  (func (export "f32.add") (param i32 i32) (result i32)
    (i32.reinterpret_f32 (f32.add (call $f32 (local.get 0) (local.get 1)))))
  (func (export "f32.sub") (param i32 i32) (result i32)
    (i32.reinterpret_f32 (f32.sub (call $f32 (local.get 0) (local.get 1)))))
  (func (export "f32.mul") (param i32 i32) (result i32)
    (i32.reinterpret_f32 (f32.mul (call $f32 (local.get 0) (local.get 1)))))
  (func (export "f32.div") (param i32 i32) (result i32)
    (i32.reinterpret_f32 (f32.div (call $f32 (local.get 0) (local.get 1)))))
  (func (export "f32.sqrt") (param i32 i32) (result i32)
    (i32.reinterpret_f32 (f32.sqrt (f32.reinterpret_i32 (local.get 0)))))
  (func (export "f32.nearest") (param i32 i32) (result i32)
    (i32.reinterpret_f32 (f32.nearest (f32.reinterpret_i32 (local.get 0)))))
  (func (export "f64.promote_f32") (param i32 i32) (result i64)
    (i64.reinterpret_f64 (f64.promote_f32 (f32.reinterpret_i32 (local.get 0)))))
  (func (export "f64.min") (param i64 i64) (result i64)
    (i64.reinterpret_f64 (f64.min (call $f64 (local.get 0) (local.get 1)))))
  (func (export "f64.max") (param i64 i64) (result i64)
    (i64.reinterpret_f64 (f64.max (call $f64 (local.get 0) (local.get 1)))))
  (func (export "f64.add") (param i64 i64) (result i64)
    (i64.reinterpret_f64 (f64.add (call $f64 (local.get 0) (local.get 1)))))
  (func (export "f64.mul") (param i64 i64) (result i64)
    (i64.reinterpret_f64 (f64.mul (call $f64 (local.get 0) (local.get 1)))))
  (func (export "f32.demote_f64") (param i64 i64) (result i32)
    (i32.reinterpret_f32 (f32.demote_f64 (f64.reinterpret_i64 (local.get 0)))))

  (func (export "f32x4.min") (param v128 v128) (result v128) (f32x4.min (local.get 0) (local.get 1)))
  (func (export "f32x4.max") (param v128 v128) (result v128) (f32x4.max (local.get 0) (local.get 1)))
  (func (export "f32x4.add") (param v128 v128) (result v128) (f32x4.add (local.get 0) (local.get 1)))
  (func (export "f32x4.sub") (param v128 v128) (result v128) (f32x4.sub (local.get 0) (local.get 1)))
  (func (export "f32x4.mul") (param v128 v128) (result v128) (f32x4.mul (local.get 0) (local.get 1)))
  (func (export "f32x4.div") (param v128 v128) (result v128) (f32x4.div (local.get 0) (local.get 1)))
  (func (export "f32x4.sqrt") (param v128 v128) (result v128) (f32x4.sqrt (local.get 0)))
  (func (export "f32x4.ceil") (param v128 v128) (result v128) (f32x4.ceil (local.get 0)))
  (func (export "f32x4.relaxed_min") (param v128 v128) (result v128)
    (f32x4.relaxed_min (local.get 0) (local.get 1)))
  (func (export "f32x4.relaxed_madd") (param v128 v128) (result v128)
    (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 0)))
  (func (export "f64x2.min") (param v128 v128) (result v128) (f64x2.min (local.get 0) (local.get 1)))
  (func (export "f64x2.max") (param v128 v128) (result v128) (f64x2.max (local.get 0) (local.get 1)))
  (func (export "f64x2.add") (param v128 v128) (result v128) (f64x2.add (local.get 0) (local.get 1)))
  (func (export "f64x2.div") (param v128 v128) (result v128) (f64x2.div (local.get 0) (local.get 1)))
  (func (export "f64x2.promote_low_f32x4") (param v128 v128) (result v128)
    (f64x2.promote_low_f32x4 (local.get 0)))
  (func (export "f32x4.demote_f64x2_zero") (param v128 v128) (result v128)
    (f32x4.demote_f64x2_zero (local.get 0)))
)
"#;

/// `f32` bit patterns: NaNs (quiet and signalling, both signs, different payloads) and
/// numbers (including zeros and infinity).
const F32S: [u32; 8] = [
    0x7fc0_0001,
    0xffc0_1234,
    0x7f80_0005,
    0xff80_0777,
    0x3f80_0000,
    0x8000_0000,
    0x7f80_0000,
    0x0000_0000,
];

/// `f64` bit patterns, as [`F32S`].
const F64S: [u64; 8] = [
    0x7ff8_0000_0000_0001,
    0xfff8_0000_1234_0000,
    0x7ff0_0000_0000_0005,
    0xfff0_0000_0777_0000,
    0x3ff0_0000_0000_0000,
    0x8000_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0x0000_0000_0000_0000,
];

/// A `v128` of four `u32` lanes.
fn lanes32(l: [u32; 4]) -> u128 {
    l.iter()
        .rev()
        .fold(0u128, |acc, &x| (acc << 32) | u128::from(x))
}

/// Every export applied to every pair of operands; (call, result bits as text).
fn results(config: &Config) -> Vec<(String, String)> {
    let engine = Engine::new(config).expect("engine");
    let module = Module::new(&engine, MODULE).expect("module loads");
    let mut store = Store::new(&engine, ());
    tierup_tests::fill_fuel(&mut store);
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiate");
    let mut names: Vec<String> = instance
        .exports(&mut store)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let func = instance.get_func(&mut store, &name).expect("function");
        let ty = func.ty(&store);
        let mut calls: Vec<[Val; 2]> = Vec::new();
        for i in 0..8 {
            for j in 0..8 {
                calls.push(match ty.params()[0] {
                    tierup_runtime::ValType::I32 => {
                        [Val::I32(F32S[i] as i32), Val::I32(F32S[j] as i32)]
                    }
                    tierup_runtime::ValType::I64 => {
                        [Val::I64(F64S[i] as i64), Val::I64(F64S[j] as i64)]
                    }
                    _ if name.starts_with("f64x2") || name.starts_with("f32x4.demote") => [
                        Val::V128(((u128::from(F64S[j]) << 64) | u128::from(F64S[i])).into()),
                        Val::V128(((u128::from(F64S[i]) << 64) | u128::from(F64S[j])).into()),
                    ],
                    _ => [
                        Val::V128(
                            lanes32([F32S[i], F32S[j], F32S[(i + j) % 8], F32S[7 - i]]).into(),
                        ),
                        Val::V128(
                            lanes32([F32S[j], F32S[i], F32S[7 - j], F32S[(i * j) % 8]]).into(),
                        ),
                    ],
                });
            }
        }
        for args in calls {
            let mut result = [Val::I32(0)];
            func.call(&mut store, &args, &mut result)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let bits = match &result[0] {
                Val::I32(x) => format!("{:#010x}", *x as u32),
                Val::I64(x) => format!("{:#018x}", *x as u64),
                Val::V128(x) => format!("{:#034x}", x.as_u128()),
                other => panic!("{name}: unexpected result {other:?}"),
            };
            out.push((format!("{name}{args:?}"), bits));
        }
    }
    out
}

#[test]
fn nan_results_have_the_same_bits_in_every_tier_row() {
    assert_eq!(TIER_ROWS[0].name, "interp");
    let reference = results(&TIER_ROWS[0].config());
    assert!(reference.len() > 1500, "{} calls", reference.len());
    let mut mismatches = Vec::new();
    for row in &TIER_ROWS[1..] {
        for ((call, want), (_, got)) in reference.iter().zip(results(&row.config())) {
            if *want != got {
                mismatches.push(format!("{}: {call} = {got}, interp gives {want}", row.name));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} results differ:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(40)].join("\n")
    );
}

/// The documented rule, by hand, in every row.
#[test]
fn min_max_nan_rule() {
    for row in TIER_ROWS {
        let engine = Engine::new(&row.config()).expect("engine");
        let module = Module::new(&engine, MODULE).expect("module loads");
        let mut store = Store::new(&engine, ());
        tierup_tests::fill_fuel(&mut store);
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiate");
        let mut call = |name: &str, args: [Val; 2]| {
            let func = instance.get_func(&mut store, name).expect("export");
            let mut result = [Val::I32(0)];
            func.call(&mut store, &args, &mut result).expect("call");
            result[0]
        };
        let i32s = |a: u32, b: u32| [Val::I32(a as i32), Val::I32(b as i32)];
        let v128s = |a: u128, b: u128| [Val::V128(a.into()), Val::V128(b.into())];
        // Scalars: the second operand quieted when it is a NaN, else the first.
        let r = call("f32.min", i32s(0x7fc0_0001, 0xff80_1234));
        assert!(
            matches!(r, Val::I32(x) if x as u32 == 0xffc0_1234),
            "{}: {r:?}",
            row.name
        );
        let r = call("f32.max", i32s(0x7f80_0005, 0x3f80_0000));
        assert!(
            matches!(r, Val::I32(x) if x as u32 == 0x7fc0_0005),
            "{}: {r:?}",
            row.name
        );
        // Lanes: min gives the negative canonical NaN; max the canonical NaN with the
        // operands' sign bits or-ed; numbers as the scalar rules (-0 < +0).
        let a = lanes32([0x7fc0_0001, 0xffc0_0002, 0x3f80_0000, 0x8000_0000]);
        let b = lanes32([0x3f80_0000, 0x7f80_0003, 0xff80_0004, 0x0000_0000]);
        let r = call("f32x4.min", v128s(a, b));
        let want = lanes32([0xffc0_0000, 0xffc0_0000, 0xffc0_0000, 0x8000_0000]);
        assert!(
            matches!(r, Val::V128(x) if x.as_u128() == want),
            "{}: {r:?}",
            row.name
        );
        let r = call("f32x4.max", v128s(a, b));
        let want = lanes32([0x7fc0_0000, 0xffc0_0000, 0xffc0_0000, 0x0000_0000]);
        assert!(
            matches!(r, Val::V128(x) if x.as_u128() == want),
            "{}: {r:?}",
            row.name
        );
    }
}
