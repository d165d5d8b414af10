//! Relaxed SIMD is deterministic across tiers: every relaxed instruction gives the same bits
//! in the interpreter, the baseline JIT and the optimizer, for inputs chosen where the
//! hardware choices differ (NaNs, signed zeros, out-of-range conversions, swizzle indices
//! past 15, bytes with the top bit set in the dot products, products whose fused and unfused
//! roundings differ, masks that are not all-ones or all-zeros per lane), and the same bits
//! before and after a running function tiers up.
//!
//! The bits are also the documented lowering (`interp/src/simd.rs`): each relaxed operation
//! computes its strict counterpart, `relaxed_madd` rounds twice, the dot products read both
//! operands as signed. [`documented_lowering`] checks a few values by hand so a change of
//! lowering, even one made in every tier at once, is seen.

use tierup_runtime::{Config, Engine, Instance, Module, Store, Val};
use tierup_tests::TIER_ROWS;

/// Every relaxed instruction as an export taking its operands as parameters.
const MODULE: &str = r#"
(module
  (func (export "i8x16.relaxed_swizzle") (param v128 v128) (result v128)
    (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
  (func (export "i32x4.relaxed_trunc_f32x4_s") (param v128 v128) (result v128)
    (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
  (func (export "i32x4.relaxed_trunc_f32x4_u") (param v128 v128) (result v128)
    (i32x4.relaxed_trunc_f32x4_u (local.get 0)))
  (func (export "i32x4.relaxed_trunc_f64x2_s_zero") (param v128 v128) (result v128)
    (i32x4.relaxed_trunc_f64x2_s_zero (local.get 0)))
  (func (export "i32x4.relaxed_trunc_f64x2_u_zero") (param v128 v128) (result v128)
    (i32x4.relaxed_trunc_f64x2_u_zero (local.get 0)))
  (func (export "f32x4.relaxed_madd") (param v128 v128 v128) (result v128)
    (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "f32x4.relaxed_nmadd") (param v128 v128 v128) (result v128)
    (f32x4.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "f64x2.relaxed_madd") (param v128 v128 v128) (result v128)
    (f64x2.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "f64x2.relaxed_nmadd") (param v128 v128 v128) (result v128)
    (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "i8x16.relaxed_laneselect") (param v128 v128 v128) (result v128)
    (i8x16.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "i16x8.relaxed_laneselect") (param v128 v128 v128) (result v128)
    (i16x8.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "i32x4.relaxed_laneselect") (param v128 v128 v128) (result v128)
    (i32x4.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "i64x2.relaxed_laneselect") (param v128 v128 v128) (result v128)
    (i64x2.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "f32x4.relaxed_min") (param v128 v128) (result v128)
    (f32x4.relaxed_min (local.get 0) (local.get 1)))
  (func (export "f32x4.relaxed_max") (param v128 v128) (result v128)
    (f32x4.relaxed_max (local.get 0) (local.get 1)))
  (func (export "f64x2.relaxed_min") (param v128 v128) (result v128)
    (f64x2.relaxed_min (local.get 0) (local.get 1)))
  (func (export "f64x2.relaxed_max") (param v128 v128) (result v128)
    (f64x2.relaxed_max (local.get 0) (local.get 1)))
  (func (export "i16x8.relaxed_q15mulr_s") (param v128 v128) (result v128)
    (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
  (func (export "i16x8.relaxed_dot_i8x16_i7x16_s") (param v128 v128) (result v128)
    (i16x8.relaxed_dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
  (func (export "i32x4.relaxed_dot_i8x16_i7x16_add_s") (param v128 v128 v128) (result v128)
    (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2)))

  ;; A loop of a once-called function that computes every relaxed result of its inputs each
  ;; iteration and counts the iterations whose bits differ from the first one's. Long enough
  ;; that tiered rows move it up mid-loop (OSR), so a lowering that changed with the tier
  ;; would be counted.
  (func (export "unchanged_while_tiering") (param $a v128) (param $b v128) (param $c v128)
      (param $n i32) (result i32)
    (local $first v128) (local $now v128) (local $i i32) (local $changed i32)
    (loop $l
      (local.set $now
        (v128.xor
          (v128.xor
            (v128.xor (i8x16.relaxed_swizzle (local.get $a) (local.get $b))
                      (i32x4.relaxed_trunc_f32x4_s (local.get $a)))
            (v128.xor (i32x4.relaxed_trunc_f32x4_u (local.get $b))
                      (i32x4.relaxed_trunc_f64x2_s_zero (local.get $c))))
          (v128.xor
            (v128.xor (f32x4.relaxed_madd (local.get $a) (local.get $b) (local.get $c))
                      (f64x2.relaxed_nmadd (local.get $a) (local.get $b) (local.get $c)))
            (v128.xor (i32x4.relaxed_laneselect (local.get $a) (local.get $b) (local.get $c))
                      (v128.xor (f32x4.relaxed_min (local.get $a) (local.get $b))
                                (v128.xor
                                  (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $a) (local.get $b))
                                  (i32x4.relaxed_dot_i8x16_i7x16_add_s
                                    (local.get $a) (local.get $b) (local.get $c))))))))
      (if (i32.eqz (local.get $i))
        (then (local.set $first (local.get $now))))
      (local.set $changed
        (i32.add (local.get $changed)
          (v128.any_true (v128.xor (local.get $now) (local.get $first)))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $changed))
)
"#;

/// Builds a `v128` from four `u32` lanes (lane 0 first).
fn lanes32(l: [u32; 4]) -> u128 {
    l.iter()
        .rev()
        .fold(0u128, |acc, &x| (acc << 32) | u128::from(x))
}

/// Builds a `v128` from two `u64` lanes (lane 0 first).
fn lanes64(l: [u64; 2]) -> u128 {
    (u128::from(l[1]) << 64) | u128::from(l[0])
}

/// Inputs where hardware lowerings of relaxed instructions disagree.
fn inputs() -> Vec<u128> {
    let f = |x: f32| x.to_bits();
    let d = |x: f64| x.to_bits();
    vec![
        // f32 lanes: NaN (quiet and signalling, negative), signed zeros, out of i32/u32 range.
        lanes32([0x7fc0_0000, 0xff80_0001, f(-0.0), f(0.0)]),
        lanes32([f(3e9), f(-3e9), f(4.5e9), f(-1.5)]),
        lanes32([
            f(1.0 + f32::EPSILON),
            f(1.0 - f32::EPSILON),
            f(-1.0),
            f(16_777_216.0),
        ]),
        lanes32([
            f(f32::INFINITY),
            f(f32::NEG_INFINITY),
            f(2_147_483_520.0),
            f(0.5),
        ]),
        // f64 lanes: NaN, out of range, products whose fused rounding differs.
        lanes64([d(f64::NAN), d(-1e300)]),
        lanes64([d(1.0 + f64::EPSILON), d(4_294_967_296.5)]),
        lanes64([d(-0.0), d(1.0 - f64::EPSILON)]),
        // Swizzle indices past 15 and with the top bit set; dot-product bytes of both signs.
        0x8f_7f_10_11_1f_20_ff_80_0f_0e_03_02_01_00_90_40,
        0x80_80_80_80_7f_7f_7f_7f_ff_01_fe_02_c0_3f_81_00,
        // Masks that are neither all-ones nor all-zeros in a lane.
        0x0000_ffff_8000_0000_7fff_ffff_0f0f_0f0f,
        0xffff_ffff_0000_0000_ffff_0000_0000_ffff,
        // Q15: -32768 * -32768 saturates.
        0x8000_8000_8000_7fff_0001_ffff_c000_4000,
    ]
}

/// One instantiation of [`MODULE`] in the engine of `config`.
fn instantiate(config: &Config) -> (Store<()>, Instance) {
    let engine = Engine::new(config).expect("engine");
    let module = Module::new(&engine, MODULE).expect("module loads");
    let mut store = Store::new(&engine, ());
    tierup_tests::fill_fuel(&mut store);
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiate");
    (store, instance)
}

/// The relaxed exports and their operand counts.
fn exports(store: &mut Store<()>, instance: &Instance) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (name, _) in instance.exports(&mut *store) {
        if name.contains("relaxed") {
            let func = instance.get_func(&mut *store, &name).expect("function");
            out.push((name, func.ty(&*store).params().len()));
        }
    }
    out.sort();
    out
}

/// Every relaxed export applied to every combination of [`inputs`] (all pairs; triples from a
/// rotation), as (call description, result bits).
fn results(config: &Config) -> Vec<(String, u128)> {
    let (mut store, instance) = instantiate(config);
    let inputs = inputs();
    let mut out = Vec::new();
    for (name, arity) in exports(&mut store, &instance) {
        let func = instance.get_func(&mut store, &name).expect("function");
        for (i, &a) in inputs.iter().enumerate() {
            for (j, &b) in inputs.iter().enumerate() {
                let c = inputs[(i + j + 1) % inputs.len()];
                let args: Vec<Val> = [a, b, c][..arity]
                    .iter()
                    .map(|&x| Val::V128(x.into()))
                    .collect();
                let mut result = [Val::I32(0)];
                func.call(&mut store, &args, &mut result)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let bits = result[0].v128().expect("a v128 result").as_u128();
                out.push((format!("{name}({a:#034x}, {b:#034x}, {c:#034x})"), bits));
            }
        }
    }
    out
}

/// The same bits in every tier row (each forced tier, both bounds-check strategies, tiered and
/// the stress rows that tier functions up between calls).
#[test]
fn relaxed_results_are_identical_in_every_tier_row() {
    let reference_row = &TIER_ROWS[0];
    assert_eq!(reference_row.name, "interp");
    let reference = results(&reference_row.config());
    assert!(reference.len() > 2000, "{} calls", reference.len());
    for row in &TIER_ROWS[1..] {
        let got = results(&row.config());
        assert_eq!(got.len(), reference.len());
        for ((call, want), (_, bits)) in reference.iter().zip(&got) {
            assert_eq!(
                bits, want,
                "{call} in row {}: {bits:#034x}, interp gives {want:#034x}",
                row.name
            );
        }
    }
}

/// A function that tiers up in the middle of its loop sees the same relaxed bits in every
/// iteration, in every row (in the tiered and stress rows the loop moves into machine code by
/// OSR and, in the stress rows, is patched to optimized code while it runs).
#[test]
fn relaxed_results_do_not_change_when_a_running_function_tiers_up() {
    let inputs = inputs();
    for row in TIER_ROWS {
        let (mut store, instance) = instantiate(&row.config());
        let run = instance
            .get_typed_func::<(u128, u128, u128, i32), i32>(&mut store, "unchanged_while_tiering")
            .expect("export");
        for (i, &a) in inputs.iter().enumerate().step_by(3) {
            let b = inputs[(i + 1) % inputs.len()];
            let c = inputs[(i + 5) % inputs.len()];
            let changed = run.call(&mut store, (a, b, c, 300_000)).expect("no trap");
            assert_eq!(changed, 0, "row {}: inputs {a:#x} {b:#x} {c:#x}", row.name);
        }
    }
}

/// A few results of the documented lowering, by hand, in every row.
#[test]
fn documented_lowering() {
    let f = |x: f32| x.to_bits();
    let one_plus = 1.0 + f32::EPSILON; // (1+e)(1-e) = 1 - e^2: fused keeps -e^2, unfused gives 0.
    let cases: &[(&str, &[u128], u128)] = &[
        // madd rounds twice: (1+e)(1-e) rounds to 1, then 1 + -1 = 0 (fused would give -e^2).
        (
            "f32x4.relaxed_madd",
            &[
                lanes32([f(one_plus); 4]),
                lanes32([f(1.0 - f32::EPSILON); 4]),
                lanes32([f(-1.0); 4]),
            ],
            lanes32([f(0.0); 4]),
        ),
        // Swizzle: indices >= 16 select 0, as i8x16.swizzle.
        (
            "i8x16.relaxed_swizzle",
            &[
                0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100,
                0x8000_0000_0000_0000_0000_0000_1110_0f00,
            ],
            0x0000_0000_0000_0000_0000_0000_0000_0f00,
        ),
        // Truncation saturates and maps NaN to 0, as trunc_sat.
        (
            "i32x4.relaxed_trunc_f32x4_s",
            &[lanes32([0x7fc0_0000, f(3e9), f(-3e9), f(-1.5)]), 0],
            lanes32([0, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff]),
        ),
        (
            "i32x4.relaxed_trunc_f32x4_u",
            &[lanes32([0x7fc0_0000, f(5e9), f(-3e9), f(3e9)]), 0],
            lanes32([0, 0xffff_ffff, 0, 3_000_000_000]),
        ),
        // min/max: as f32x4.min/max: -0 < +0, and a NaN lane is the negative canonical NaN.
        (
            "f32x4.relaxed_min",
            &[
                lanes32([f(-0.0), f(0.0), 0x7fc0_0000, f(1.0)]),
                lanes32([f(0.0), f(-0.0), f(1.0), 0x7fc0_0000]),
            ],
            lanes32([f(-0.0), f(-0.0), 0xffc0_0000, 0xffc0_0000]),
        ),
        // laneselect is bitselect, bit by bit.
        (
            "i32x4.relaxed_laneselect",
            &[
                u128::MAX,
                0,
                lanes32([0x0f0f_0f0f, 0x8000_0000, 0, u32::MAX]),
            ],
            lanes32([0x0f0f_0f0f, 0x8000_0000, 0, u32::MAX]),
        ),
        // q15mulr saturates -32768 * -32768.
        ("i16x8.relaxed_q15mulr_s", &[0x8000, 0x8000], 0x7fff),
        // Dot products read the second operand's bytes as signed: 0x80 * 0x80 = (-128)(-128).
        (
            "i16x8.relaxed_dot_i8x16_i7x16_s",
            &[0x0180, 0x0180],
            u128::from((128i32 * 128 + 1) as u16),
        ),
        (
            "i32x4.relaxed_dot_i8x16_i7x16_add_s",
            &[0xff_ff_ff_80, 0x01_01_01_80, 5],
            u128::from((128i32 * 128 - 3 + 5) as u32),
        ),
    ];
    for row in TIER_ROWS {
        let (mut store, instance) = instantiate(&row.config());
        for (name, args, want) in cases {
            let func = instance.get_func(&mut store, name).expect("export");
            let arity = func.ty(&store).params().len();
            let mut padded: Vec<Val> = args.iter().map(|&x| Val::V128(x.into())).collect();
            padded.resize(arity, Val::V128(0u128.into()));
            let mut result = [Val::I32(0)];
            func.call(&mut store, &padded, &mut result).expect("call");
            let got = result[0].v128().expect("v128").as_u128();
            assert_eq!(got, *want, "{name} in row {}: {got:#034x}", row.name);
        }
    }
}
