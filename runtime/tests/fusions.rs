//! The interpreter's fused instructions (`tierup_interp::Instr`: loop-counter fusions
//! `IncBrIf..` and `AddBrIf..`, loads at `x + k`, `br_table` taking its entry's branch, a bytecode VM's dispatch
//! `I32Load8UBrTable` and the back-edges that run it, narrow stores of constants) compute what
//! the wasm they replace computes, in every tier mode: the baseline compiles the same
//! bytecode, and tiered modes move between the tiers (with on-stack replacement at the loop
//! headers the fusions branch to) while the loops run.

#[path = "support/modes.rs"]
mod modes;

use tierup_runtime::{Instance, Store, TrapCode};

/// An `i32` comparison's semantics.
type Comparison = fn(i32, i32) -> bool;

/// The comparisons a loop counter can be fused with: (wasm name, Rust semantics).
const COMPARISONS: [(&str, Comparison); 10] = [
    ("eq", |a, b| a == b),
    ("ne", |a, b| a != b),
    ("lt_s", |a, b| a < b),
    ("lt_u", |a, b| (a as u32) < b as u32),
    ("gt_s", |a, b| a > b),
    ("gt_u", |a, b| a as u32 > b as u32),
    ("le_s", |a, b| a <= b),
    ("le_u", |a, b| a as u32 <= b as u32),
    ("ge_s", |a, b| a >= b),
    ("ge_u", |a, b| a as u32 >= b as u32),
];

/// The steps the loops count by (`i32.sub` for negative ones).
const STEPS: [i32; 4] = [1, 7, -3, 32767];

/// A bound the immediate forms compare with.
const BOUND: i32 = 40;

/// One module with, per comparison and step, a loop whose back-edge is
/// `br_if (i <cmp> n)` after `i += step` (exported `slot_<cmp>_<k>`) and one comparing with
/// the constant [`BOUND`] (`imm_<cmp>_<k>`); plus `if_<cmp>`, where the fused branch is the
/// negated one of an `if`. Each loop stops after at most 50 iterations and returns
/// `i * 64 + iterations`.
fn program() -> String {
    let mut funcs = String::new();
    for (cmp, _) in COMPARISONS {
        for (k, step) in STEPS.iter().enumerate() {
            let bump = if *step < 0 {
                format!("(i32.sub (local.get $i) (i32.const {}))", -step)
            } else {
                format!("(i32.add (local.get $i) (i32.const {step}))")
            };
            for (kind, rhs) in [
                ("slot", "(local.get $n)".to_string()),
                ("imm", format!("(i32.const {BOUND})")),
            ] {
                funcs.push_str(&format!(
                    r#"
  (func (export "{kind}_{cmp}_{k}") (param $i i32) (param $n i32) (result i32) (local $c i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $c) (i32.const 50)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br_if $l (i32.{cmp} (local.tee $i {bump}) {rhs}))))
    (i32.add (i32.mul (local.get $i) (i32.const 64)) (local.get $c)))"#
                ));
            }
        }
        funcs.push_str(&format!(
            r#"
  (func (export "if_{cmp}") (param $i i32) (param $n i32) (result i32)
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (if (result i32) (i32.{cmp} (local.get $i) (local.get $n))
      (then (i32.add (local.get $i) (i32.const 1000)))
      (else (local.get $i))))"#
        ));
    }
    format!(
        r#"(module
  (memory (export "memory") 1)
  (func (export "stores") (param $v i64)
    (i32.store8 (i32.const 0) (i32.const 0x1ff))
    (i64.store8 (i32.const 1) (i64.const -2))
    (i32.store16 offset=2 (i32.const 0) (i32.const 0x12345))
    (i64.store16 (i32.const 4) (i64.const 0x7fff_0000_abcd))
    (i64.store32 (i32.const 8) (i64.const 0x1_8765_4321))
    (i64.store (i32.const 16) (local.get $v)))
  (func (export "table") (param $x i32) (param $unused i32) (result i32)
    (local $acc i32) (local $k i32)
    (block $done
      (loop $top
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $done (i32.gt_u (local.get $k) (i32.const 40)))
        (block $c (block $b (block $a
          ;; the `$top` entry is a back-edge
          (br_table $a $b $top $c (i32.and (local.get $k) (i32.const 3))))
          (local.set $acc (i32.add (local.get $acc) (local.get $x))))
          (local.set $acc (i32.mul (local.get $acc) (i32.const 3))))
        (br $top)))
    (i32.add (local.get $acc) (local.get $k))){funcs})"#
    )
}

/// The loop of `slot_<cmp>_<k>`/`imm_<cmp>_<k>` in Rust.
fn expected_loop(cmp: Comparison, step: i32, mut i: i32, n: i32) -> i32 {
    let mut c = 0;
    loop {
        if c >= 50 {
            break;
        }
        c += 1;
        i = i.wrapping_add(step);
        if !cmp(i, n) {
            break;
        }
    }
    i.wrapping_mul(64).wrapping_add(c)
}

/// The loop of `table` in Rust.
fn expected_table(x: i32) -> i32 {
    let (mut acc, mut k) = (0i32, 0i32);
    loop {
        k += 1;
        if k > 40 {
            break;
        }
        match k & 3 {
            0 => acc = acc.wrapping_add(x).wrapping_mul(3),
            1 => acc = acc.wrapping_mul(3),
            _ => {}
        }
    }
    acc.wrapping_add(k)
}

fn call(store: &mut Store<()>, instance: &Instance, name: &str, i: i32, n: i32) -> i32 {
    let f = instance
        .get_typed_func::<(i32, i32), i32>(&mut *store, name)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    f.call(&mut *store, (i, n))
        .unwrap_or_else(|e| panic!("{name}({i}, {n}): {e}"))
}

/// Each load of a fused form checks its own bounds: `name(p, q)` traps for every pair in
/// `traps`, and runs with the arguments `runs` (the last words of memory).
fn assert_each_load_checked(
    store: &mut Store<()>,
    instance: &Instance,
    mode: &str,
    name: &str,
    traps: &[(i32, i32)],
    runs: (i32, i32),
) {
    assert_traps(store, instance, mode, name, traps);
    let f = instance
        .get_typed_func::<(i32, i32), i32>(&mut *store, name)
        .unwrap();
    assert!(
        f.call(&mut *store, runs).is_ok(),
        "{mode}: {name}{runs:?} at the end"
    );
}

/// `name(p, q)` traps for every pair in `traps`.
fn assert_traps(
    store: &mut Store<()>,
    instance: &Instance,
    mode: &str,
    name: &str,
    traps: &[(i32, i32)],
) {
    let f = instance
        .get_typed_func::<(i32, i32), i32>(&mut *store, name)
        .unwrap();
    for &(p, q) in traps {
        assert!(
            f.call(&mut *store, (p, q)).is_err(),
            "{mode}: {name}({p}, {q})"
        );
    }
}

#[test]
fn fused_loops_agree_with_wasm_semantics_in_every_tier() {
    let wat = program();
    let starts = [0, 5, 39, 40, 41, -1, i32::MAX - 10, i32::MIN + 3];
    let bounds = [0, 40, -5, i32::MAX, i32::MIN];
    for (mode, config) in modes::tier_modes() {
        let (_engine, mut store, instance) = modes::instantiate(&config, &wat);
        for (cmp_name, cmp) in COMPARISONS {
            for (k, &step) in STEPS.iter().enumerate() {
                for &i in &starts {
                    for &n in &bounds {
                        let name = format!("slot_{cmp_name}_{k}");
                        let got = call(&mut store, &instance, &name, i, n);
                        assert_eq!(
                            got,
                            expected_loop(cmp, step, i, n),
                            "{mode}: {name}({i}, {n})"
                        );
                    }
                    let name = format!("imm_{cmp_name}_{k}");
                    let got = call(&mut store, &instance, &name, i, 0);
                    assert_eq!(
                        got,
                        expected_loop(cmp, step, i, BOUND),
                        "{mode}: {name}({i})"
                    );
                }
            }
            for &i in &starts {
                for &n in &bounds {
                    let name = format!("if_{cmp_name}");
                    let next = i.wrapping_add(1);
                    let want = if cmp(next, n) {
                        next.wrapping_add(1000)
                    } else {
                        next
                    };
                    assert_eq!(
                        call(&mut store, &instance, &name, i, n),
                        want,
                        "{mode}: {name}"
                    );
                }
            }
        }
        for x in [0, 1, -7, i32::MAX] {
            assert_eq!(
                call(&mut store, &instance, "table", x, 0),
                expected_table(x),
                "{mode}: table({x})"
            );
        }
        let stores = instance
            .get_typed_func::<i64, ()>(&mut store, "stores")
            .unwrap();
        stores.call(&mut store, -1).unwrap();
        let memory = instance.get_memory(&mut store, "memory").unwrap();
        let data = memory.data(&store);
        assert_eq!(
            &data[..24],
            &[
                0xff, 0xfe, 0x45, 0x23, 0xcd, 0xab, 0, 0, 0x21, 0x43, 0x65, 0x87, 0, 0, 0, 0, 0xff,
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
            ],
            "{mode}: stores"
        );
    }
}

/// A module whose functions read the result of the instruction right before them in every
/// operand position the interpreter's accumulator forms cover (`..Acc`): binary operations
/// (right operand, and left operand for the commutative ones), operations with an
/// immediate, loads and stores (address and value).
fn accumulator_program() -> String {
    let mut funcs = String::new();
    for ty in ["i32", "i64"] {
        for op in [
            "add", "sub", "mul", "and", "or", "xor", "shl", "shr_s", "shr_u",
        ] {
            let head = format!(
                "(param $a i32) (param $b i32) (result i64) (local $x {ty}) (local $y {ty})
    (local.set $x {ext}) (local.set $y {ext_b})",
                ext = if ty == "i32" {
                    "(local.get $a)".to_string()
                } else {
                    "(i64.extend_i32_s (local.get $a))".to_string()
                },
                ext_b = if ty == "i32" {
                    "(local.get $b)".to_string()
                } else {
                    "(i64.extend_i32_s (local.get $b))".to_string()
                },
            );
            funcs.push_str(&format!(
                r#"
  (func (export "r_{op}_{ty}") {head}
    (i64.extend_{ty}_u ({ty}.{op} (local.get $x) ({ty}.add (local.get $y) ({ty}.const 7)))))
  (func (export "l_{op}_{ty}") {head}
    (i64.extend_{ty}_u ({ty}.{op} ({ty}.add (local.get $y) ({ty}.const 7)) (local.get $x))))
  (func (export "i_{op}_{ty}") {head}
    (i64.extend_{ty}_u ({ty}.{op} ({ty}.add (local.get $x) (local.get $y)) ({ty}.const 13))))"#
            ));
        }
    }
    for ty in ["i32", "i64"] {
        let (ext_a, ext_b) = if ty == "i32" {
            ("(local.get $a)", "(local.get $b)")
        } else {
            (
                "(i64.extend_i32_s (local.get $a))",
                "(i64.extend_i32_s (local.get $b))",
            )
        };
        for (cmp, _) in COMPARISONS {
            for (form, rhs) in [
                ("bi", format!("({ty}.const 5)")),
                ("bs", "(local.get $y)".to_string()),
            ] {
                funcs.push_str(&format!(
                    r#"
  (func (export "{form}_{cmp}_{ty}") (param $a i32) (param $b i32) (result i64) (local $x {ty}) (local $y {ty})
    (local.set $x {ext_a}) (local.set $y {ext_b})
    (block $taken
      (br_if $taken ({ty}.{cmp} ({ty}.add (local.get $x) (local.get $y)) {rhs}))
      (return (i64.const 1)))
    (i64.const 2))"#
                ));
            }
        }
    }
    funcs.push_str(
        r#"
  (func (export "nez") (param $a i32) (param $b i32) (result i64)
    (block $taken
      (br_if $taken (i32.add (local.get $a) (local.get $b)))
      (return (i64.const 1)))
    (i64.const 2))
  (func (export "eqz") (param $a i32) (param $b i32) (result i64)
    (block $taken
      (br_if $taken (i32.eqz (i32.add (local.get $a) (local.get $b))))
      (return (i64.const 1)))
    (i64.const 2))"#,
    );
    // `i64.extend_i64_u` does not exist: the i64 rows extend with a no-op instead.
    let funcs = funcs.replace("i64.extend_i64_u", "i64.add (i64.const 0)");
    format!(
        r#"(module
  (memory (export "memory") 1)
  (func (export "mem") (param $a i32) (param $b i32) (result i64)
    (local $s i64)
    (local.set $a (i32.and (local.get $a) (i32.const 0xff)))
    (i32.store (i32.add (local.get $a) (i32.const 8)) (local.get $b))
    (i64.store offset=16 (i32.add (local.get $a) (i32.const 1)) (i64.extend_i32_s (local.get $b)))
    (i32.store8 (i32.add (local.get $a) (i32.const 3)) (i32.const 0x7f))
    (i32.store16 (local.get $a) (i32.add (local.get $b) (i32.const 1)))
    (i32.store offset=4 (local.get $a) (i32.mul (local.get $b) (i32.const 3)))
    (local.set $s (i64.load (i32.add (local.get $a) (i32.const 1))))
    (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (i32.load8_u (i32.add (local.get $a) (i32.const 3))))))
    (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (i32.load8_s (i32.add (local.get $a) (i32.const 4))))))
    (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (i32.load16_s (i32.add (local.get $a) (i32.const 2))))))
    (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (i32.load16_u (i32.add (local.get $a) (i32.const 6))))))
    (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (i32.load (i32.add (local.get $a) (i32.const 8))))))
    (local.set $s (i64.add (local.get $s) (i64.reinterpret_f64 (f64.load offset=16 (i32.add (local.get $a) (i32.const 1))))))
    (i64.add (local.get $s) (i64.extend_i32_u (i32.reinterpret_f32 (f32.load (i32.add (local.get $a) (i32.const 4)))))))
  (func (export "oob") (param $a i32) (param $b i32) (result i64)
    (i64.extend_i32_u (i32.load (i32.add (local.get $a) (i32.const 65534))))){funcs})"#
    )
}

#[test]
fn accumulator_forms_agree_in_every_tier() {
    let wat = accumulator_program();
    let values = [0, 1, -1, 7, 31, 33, 63, 65, -40, i32::MAX, i32::MIN];
    let mut names = vec![
        "mem".to_string(),
        "oob".to_string(),
        "nez".to_string(),
        "eqz".to_string(),
    ];
    for ty in ["i32", "i64"] {
        for (cmp, _) in COMPARISONS {
            names.push(format!("bi_{cmp}_{ty}"));
            names.push(format!("bs_{cmp}_{ty}"));
        }
    }
    for ty in ["i32", "i64"] {
        for op in [
            "add", "sub", "mul", "and", "or", "xor", "shl", "shr_s", "shr_u",
        ] {
            for form in ["r", "l", "i"] {
                names.push(format!("{form}_{op}_{ty}"));
            }
        }
    }
    // The results of the first mode (the interpreter), which every other mode must match.
    let mut reference: Option<Vec<Result<i64, String>>> = None;
    for (mode, config) in modes::tier_modes() {
        let (_engine, mut store, instance) = modes::instantiate(&config, &wat);
        let mut results = Vec::new();
        for name in &names {
            let f = instance
                .get_typed_func::<(i32, i32), i64>(&mut store, name)
                .unwrap();
            for &a in &values {
                for &b in &values {
                    results.push(
                        f.call(&mut store, (a, b))
                            .map_err(|e| format!("{name}: {e}")),
                    );
                }
            }
        }
        match &reference {
            None => reference = Some(results),
            Some(expected) => {
                for (i, (got, want)) in results.iter().zip(expected).enumerate() {
                    let name = &names[i / (values.len() * values.len())];
                    assert_eq!(got, want, "{mode}: {name} (case {i})");
                }
            }
        }
    }
    // Spot checks of the reference against Rust.
    let reference = reference.unwrap();
    let at = |name: &str, a: usize, b: usize| {
        let row = names.iter().position(|n| n == name).unwrap();
        reference[row * values.len() * values.len() + a * values.len() + b].clone()
    };
    assert_eq!(at("r_sub_i32", 1, 3), Ok(i64::from((1i32 - 14) as u32)));
    assert_eq!(at("l_shl_i32", 3, 1), Ok(i64::from(8u32 << 7)));
    assert_eq!(at("i_shr_s_i64", 2, 0), Ok(-1i64 >> 13));
    assert!(at("oob", 0, 0).is_err());
    assert_eq!(at("bi_lt_s_i32", 2, 0), Ok(2), "-1 + 0 < 5");
    assert_eq!(at("bs_gt_u_i64", 1, 1), Ok(2), "1 + 1 > 1");
    assert_eq!(at("eqz", 1, 2), Ok(2), "1 + -1 == 0");
    assert_eq!(at("nez", 0, 0), Ok(1), "0 + 0 == 0");
}

/// A module whose functions have the shapes of the interpreter's newer fusions: pair fusions
/// (`x + (y << k)`, `x ^ (x << k)`, `x ^ (x >> k)`, `x + y * z`, with either operand order and
/// with the first operand the result of the instruction before), `Copy2` (multi-value
/// arguments and results moving between neighbouring slots, overlapping ones included),
/// returns threaded through `if` arms, a loop's `x += k; br` (`IncBr`), `f32x4` multiply-add
/// (either order), loads splatted (bounds checked as the scalar load is), `x + (y ^ z)` pairs
/// (either order, the first operand the result of the instruction before, after a
/// shift-xor pair) and neighbouring `i32.load`s (load pairs: chains of three, a second load
/// whose address is the first's value, a second load splatted afterwards, bounds checked
/// as apart).
const NEWER_FUSIONS: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "pairs") (param $x i32) (param $y i32) (result i32) (local $t i32)
    (local.set $t (i32.add (local.get $x) (i32.shl (local.get $y) (i32.const 3))))
    (local.set $t (i32.add (i32.shl (local.get $t) (i32.const 2)) (local.get $y)))
    (local.set $t (i32.xor (local.get $t) (i32.shl (local.get $t) (i32.const 13))))
    (local.set $t (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 17))))
    (local.set $t (i32.xor (i32.shl (i32.add (local.get $t) (local.get $x)) (i32.const 5))
                           (local.get $t)))
    (local.set $t (i32.add (local.get $t) (i32.mul (local.get $x) (local.get $y))))
    (local.set $t (i32.add (i32.mul (i32.add (local.get $t) (i32.const 1)) (local.get $y))
                           (local.get $x)))
    (i32.xor (local.get $t) (i32.shr_u (i32.add (local.get $t) (local.get $y)) (i32.const 3))))
  (func $swap (param i32 i32 i32) (result i32 i32 i32)
    (local.get 2) (local.get 0) (local.get 1))
  (func $rot (param i32 i32) (result i32 i32)
    (local.get 1) (i32.add (local.get 0) (local.get 1)))
  (func (export "copies") (param $a i32) (param $b i32) (result i32) (local $c i32) (local $k i32)
    (local.set $c (i32.const 7))
    (loop $l
      (call $swap (local.get $a) (local.get $b) (local.get $c))
      (local.set $c) (local.set $b) (local.set $a)
      (call $rot (local.get $b) (local.get $c))
      (local.set $b) (local.set $a)
      (br_if $l (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 10))))
    (i32.xor (i32.mul (local.get $a) (i32.const 31)) (i32.add (local.get $b) (local.get $c))))
  (func (export "incbr") (param $n i32) (param $step i32) (result i32) (local $i i32) (local $s i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $s) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (local.get $step)))
        (local.set $i (i32.add (local.get $i) (i32.const -32768)))
        (br $l)))
    (local.get $i))
  (func $hi0 (param i32 i32 i32) (result i32 i32) (local.get 2) (local.get 0))
  (func $swap2 (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
  (func $same (param i32 i32) (result i32 i32) (local.get 1) (local.get 1))
  (func (export "pairs2") (param $a i32) (param $b i32) (result i32)
    (call $hi0 (local.get $a) (local.get $b) (i32.add (local.get $a) (i32.const 5)))
    (call $swap2)
    (call $same)
    (i32.add (i32.mul (i32.const 7)))
    (call $hi0 (local.get $a) (local.get $b))
    (i32.sub))
  (func (export "xoradd") (param $x i32) (param $y i32) (result i32) (local $t i32)
    (local.set $t (i32.add (i32.mul (local.get $x) (i32.const 31))
                           (i32.xor (local.get $x) (local.get $y))))
    (local.set $t (i32.add (i32.xor (local.get $t) (local.get $y)) (local.get $x)))
    (local.set $t (i32.add (local.get $y)
                           (i32.xor (i32.add (local.get $t) (i32.const 7)) (local.get $x))))
    (local.set $t (i32.add (i32.xor (i32.shl (local.get $t) (i32.const 3)) (local.get $y))
                           (local.get $x)))
    (i32.add (i32.xor (local.get $t) (local.get $y)) (local.get $t)))
  (func (export "loads") (param $p i32) (param $q i32) (result i32)
    (i32.add
      (i32.mul (i32.load (local.get $p)) (i32.load offset=4 (local.get $q)))
      (i32.sub (i32.load (local.get $q))
               (i32.xor (i32.load offset=8 (local.get $p)) (i32.load (local.get $q))))))
  (func (export "loadsplat") (param $p i32) (param $q i32) (result i32)
    (i32.add (i32.load (local.get $p))
             (i32x4.extract_lane 1 (i32x4.splat (i32.load (local.get $q))))))
  (func (export "loadchain") (param $p i32) (param $q i32) (result i32)
    (i32.add (i32.load (i32.load (local.get $p))) (i32.load (local.get $q))))
  (func (export "returns") (param $n i32) (param $m i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (local.get $m))
      (then (local.get $n))
      (else (if (result i32) (i32.eqz (local.get $n))
        (then (i32.const 42))
        (else (i32.sub (local.get $n) (local.get $m)))))))
  (func (export "madd") (param $p i32) (param $q i32) (result i32) (local $acc v128) (local $k i32)
    (loop $l
      (local.set $acc (f32x4.add (local.get $acc)
        (f32x4.mul (v128.load (local.get $k)) (f32x4.splat (f32.load offset=64 (local.get $k))))))
      (local.set $acc (f32x4.add
        (f32x4.mul (v128.load offset=16 (local.get $k)) (v128.load offset=32 (local.get $k)))
        (local.get $acc)))
      (br_if $l (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 4))) (i32.const 32))))
    (i32.add
      (i32.add (i32.trunc_f32_s (f32x4.extract_lane 0 (local.get $acc)))
               (i32.trunc_f32_s (f32x4.extract_lane 3 (local.get $acc))))
      (i32.add (i32x4.extract_lane 1 (i32x4.splat (i32.load (local.get $p))))
               (i32.wrap_i64 (i64x2.extract_lane 1 (i64x2.splat (i64.load (local.get $q))))))))
  (data (i32.const 0) "\00\00\80\3f\00\00\00\40\00\00\40\40\00\00\80\40\00\00\a0\40\00\00\c0\40\00\00\e0\40\00\00\00\41\00\00\10\41\00\00\20\41\00\00\30\41\00\00\40\41\00\00\50\41\00\00\60\41\00\00\70\41\00\00\80\41\00\00\88\41\00\00\90\41\00\00\98\41\00\00\a0\41\00\00\a8\41\00\00\b0\41\00\00\b8\41\00\00\c0\41"))"#;

fn expected_pairs(x: i32, y: i32) -> i32 {
    let mut t = x.wrapping_add(y << 3);
    t = (t << 2).wrapping_add(y);
    t ^= t << 13;
    t ^= ((t as u32) >> 17) as i32;
    t ^= t.wrapping_add(x) << 5;
    t = t.wrapping_add(x.wrapping_mul(y));
    t = t.wrapping_add(1).wrapping_mul(y).wrapping_add(x);
    t ^ ((t.wrapping_add(y) as u32) >> 3) as i32
}

fn expected_xoradd(x: i32, y: i32) -> i32 {
    let mut t = x.wrapping_mul(31).wrapping_add(x ^ y);
    t = (t ^ y).wrapping_add(x);
    t = y.wrapping_add(t.wrapping_add(7) ^ x);
    t = ((t << 3) ^ y).wrapping_add(x);
    (t ^ y).wrapping_add(t)
}

fn expected_copies(mut a: i32, mut b: i32) -> i32 {
    let mut c = 7i32;
    for _ in 0..10 {
        // `swap`: (a, b, c) = (c, a, b); then `rot` of (b, c): (a, b) = (c, b + c).
        let (old_a, old_b) = (a, b);
        c = old_b;
        a = old_b;
        b = old_a.wrapping_add(old_b);
    }
    a.wrapping_mul(31) ^ b.wrapping_add(c)
}

#[test]
fn newer_fusions_agree_with_wasm_semantics_in_every_tier() {
    // The `madd` data: f32 1.0, 2.0, .. 24.0 from byte 0 on.
    let f = |i: usize| (i + 1) as f32;
    let mut acc = [0f32; 4];
    for k in (0..32).step_by(4) {
        let s = f((64 + k) / 4);
        for (lane, a) in acc.iter_mut().enumerate() {
            *a += f(k / 4 + lane) * s;
        }
        for (lane, a) in acc.iter_mut().enumerate() {
            *a += f((16 + k) / 4 + lane) * f((32 + k) / 4 + lane);
        }
    }
    // The `i32` at byte `at` (a multiple of 4): the data's float bits, zero past them.
    let word = |at: usize| -> i32 {
        if at / 4 < 24 {
            f(at / 4).to_bits() as i32
        } else {
            0
        }
    };
    for (mode, config) in modes::tier_modes() {
        let (_engine, mut store, instance) = modes::instantiate(&config, NEWER_FUSIONS);
        for (x, y) in [
            (0, 0),
            (1, 2),
            (-7, 12345),
            (i32::MAX, i32::MIN),
            (0x1234_5678, -1),
        ] {
            for _ in 0..3 {
                assert_eq!(
                    call(&mut store, &instance, "pairs", x, y),
                    expected_pairs(x, y),
                    "{mode}: pairs({x}, {y})"
                );
                assert_eq!(
                    call(&mut store, &instance, "copies", x, y),
                    expected_copies(x, y),
                    "{mode}: copies({x}, {y})"
                );
            }
            // hi0(a, b, a + 5) = (a + 5, a); swap2 -> (a, a + 5); same -> (a + 5, a + 5);
            // (a + 5) + 7 (a + 5) = 8 (a + 5) = c; hi0(c, a, b) = (b, c); b - c.
            let want = y.wrapping_sub(x.wrapping_add(5).wrapping_mul(8));
            assert_eq!(
                call(&mut store, &instance, "pairs2", x, y),
                want,
                "{mode}: pairs2"
            );
            let n = (x as u32 % 100) as i32;
            let want = y.wrapping_sub(32768).wrapping_mul(n);
            assert_eq!(
                call(&mut store, &instance, "incbr", n, y),
                want,
                "{mode}: incbr"
            );
            let want = if x < y {
                x
            } else if x == 0 {
                42
            } else {
                x.wrapping_sub(y)
            };
            assert_eq!(call(&mut store, &instance, "returns", x, y), want, "{mode}");
            assert_eq!(
                call(&mut store, &instance, "xoradd", x, y),
                expected_xoradd(x, y),
                "{mode}: xoradd({x}, {y})"
            );
        }
        for (p, q) in [(0usize, 0usize), (4, 12), (92, 40), (96, 100)] {
            let want = word(p)
                .wrapping_mul(word(q + 4))
                .wrapping_add(word(q).wrapping_sub(word(p + 8) ^ word(q)));
            for _ in 0..3 {
                let got = call(&mut store, &instance, "loads", p as i32, q as i32);
                assert_eq!(got, want, "{mode}: loads({p}, {q})");
                let got = call(&mut store, &instance, "loadsplat", p as i32, q as i32);
                let want = word(p).wrapping_add(word(q));
                assert_eq!(got, want, "{mode}: loadsplat({p}, {q})");
            }
        }
        for (p, q) in [(96usize, 0usize), (120, 8)] {
            // `word(p)` is 0 past the data: the second load reads byte 0.
            let want = word(q).wrapping_add(word(0));
            let got = call(&mut store, &instance, "loadchain", p as i32, q as i32);
            assert_eq!(got, want, "{mode}: loadchain({p}, {q})");
        }
        for (p, q) in [(0usize, 0usize), (8, 16), (100, 200)] {
            // `i32.wrap_i64` of the splatted `i64`: its low half, the `i32` at `q`.
            let want = (acc[0] as i32)
                .wrapping_add(acc[3] as i32)
                .wrapping_add(word(p))
                .wrapping_add(word(q));
            for _ in 0..3 {
                let got = call(&mut store, &instance, "madd", p as i32, q as i32);
                assert_eq!(got, want, "{mode}: madd({p}, {q})");
            }
        }
        // The splatted loads trap where the scalar loads do.
        let f = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "madd")
            .unwrap();
        assert!(f.call(&mut store, (65533, 0)).is_err(), "{mode}: i32 load");
        assert!(f.call(&mut store, (0, 65529)).is_err(), "{mode}: i64 load");
        assert_each_load_checked(
            &mut store,
            &instance,
            mode,
            "loads",
            &[(65533, 0), (0, 65529), (0, 65533), (65525, 0), (-1, 0)],
            (65524, 65528),
        );
        assert_traps(
            &mut store,
            &instance,
            mode,
            "loadsplat",
            &[(0, 65533), (65533, 0)],
        );
        assert_traps(&mut store, &instance, mode, "loadchain", &[(0, 0)]);
    }
}

/// Pair fusions whose second reads the accumulator (`I32XorAddPrev`, `I32MulAddPrev`,
/// `I32ShlImmAddPrev`), self pairs (`x ^= x << k`, `I32ShlImmXorSelf` and its siblings, and
/// the pairs that look like them but are not) and dot steps (`I32LoadPairMulAdd`), in straight-line code and in
/// loops that change tier while they run. `init` fills words 0..100 of memory with
/// `word(k)`.
const PREV_AND_DOT: &str = r#"(module
  (memory 1)
  (func (export "init") (param i32 i32) (result i32) (local $k i32)
    (loop $l
      (i32.store (i32.shl (local.get $k) (i32.const 2))
        (i32.sub (i32.mul (local.get $k) (local.get $k)) (i32.mul (local.get $k) (i32.const 5))))
      (br_if $l (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 100))))
    (i32.const 0))
  (func (export "mix") (param $x i32) (param $y i32) (result i32) (local $i i32)
    (local.set $i (i32.sub (local.get $x) (local.get $y)))
    (i32.add (i32.mul (local.get $y) (i32.const 31)) (i32.xor (local.get $x) (local.get $i))))
  (func (export "madd2") (param $x i32) (param $y i32) (result i32) (local $c i32)
    (local.set $c (i32.add (local.get $x) (i32.const 3)))
    (i32.add (i32.mul (local.get $x) (local.get $y)) (i32.mul (local.get $c) (local.get $y))))
  (func (export "index") (param $x i32) (param $y i32) (result i32)
    (i32.add (i32.add (local.get $x) (i32.const 8)) (i32.shl (local.get $y) (i32.const 2))))
  (func (export "mixloop") (param $n i32) (param $x i32) (result i32) (local $acc i32) (local $i i32)
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $next
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
        (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31))
                                 (i32.xor (local.get $x) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_s (local.get $i) (local.get $n)))))
    (local.get $acc))
  (func (export "xorshift") (param $x i32) (param $y i32) (result i32)
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 7))))
    (local.set $y (i32.add (local.get $y) (local.get $x)))
    (local.set $x (i32.xor (i32.shl (local.get $x) (i32.const 9)) (local.get $x)))
    (local.set $y (i32.mul (local.get $y) (i32.const 5)))
    (local.set $y (i32.xor (local.get $y) (i32.shl (local.get $y) (i32.const 3))))
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 11))))
    (local.set $y (i32.xor (local.get $y) (i32.shr_u (local.get $y) (i32.const 13))))
    (local.set $x (i32.xor (local.get $y) (i32.shl (local.get $x) (i32.const 2))))
    (i32.add (local.get $x) (local.get $y)))
  (func (export "dot") (param $a i32) (param $b i32) (result i32) (local $sum i32) (local $k i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum)
        (i32.mul (i32.load (local.get $a)) (i32.load offset=4 (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 8)))
      (br_if $l (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 8))))
    (local.get $sum))
  (func (export "dot1") (param $a i32) (param $b i32) (result i32)
    (i32.add (i32.mul (i32.load (local.get $a)) (i32.load (local.get $b))) (local.get $a))))"#;

/// The word `init` stores at word index `k` (0 past the first 100 words).
fn init_word(k: i32) -> i32 {
    if (0..100).contains(&k) {
        k.wrapping_mul(k).wrapping_sub(k.wrapping_mul(5))
    } else {
        0
    }
}

fn expected_xorshift(mut x: i32, mut y: i32) -> i32 {
    let shr = |v: i32, k: u32| ((v as u32) >> k) as i32;
    x ^= shr(x, 7);
    y = y.wrapping_add(x);
    x ^= x << 9;
    y = y.wrapping_mul(5);
    y ^= y << 3;
    x ^= shr(x, 11);
    y ^= shr(y, 13);
    x = y ^ (x << 2);
    x.wrapping_add(y)
}

fn expected_mixloop(n: i32, mut x: i32) -> i32 {
    let mut acc = 0i32;
    for i in 0..n.max(0) {
        x ^= x << 13;
        x ^= ((x as u32) >> 17) as i32;
        acc = acc.wrapping_mul(31).wrapping_add(x ^ i);
    }
    acc
}

#[test]
fn prev_pairs_and_dot_steps_agree_in_every_tier() {
    for (mode, config) in modes::tier_modes() {
        let (_engine, mut store, instance) = modes::instantiate(&config, PREV_AND_DOT);
        call(&mut store, &instance, "init", 0, 0);
        for (x, y) in [
            (0, 0),
            (1, 2),
            (-7, 12345),
            (i32::MAX, i32::MIN),
            (0x1234_5678, -1),
        ] {
            let want = y.wrapping_mul(31).wrapping_add(x ^ x.wrapping_sub(y));
            assert_eq!(
                call(&mut store, &instance, "mix", x, y),
                want,
                "{mode}: mix"
            );
            let want = x
                .wrapping_mul(y)
                .wrapping_add(x.wrapping_add(3).wrapping_mul(y));
            assert_eq!(
                call(&mut store, &instance, "madd2", x, y),
                want,
                "{mode}: madd2"
            );
            let want = x.wrapping_add(8).wrapping_add(y << 2);
            assert_eq!(
                call(&mut store, &instance, "index", x, y),
                want,
                "{mode}: index"
            );
            assert_eq!(
                call(&mut store, &instance, "xorshift", x, y),
                expected_xorshift(x, y),
                "{mode}: xorshift"
            );
        }
        for _ in 0..3 {
            for (n, x) in [(0, 1), (1, 7), (50, -3), (1500, 0x5eed)] {
                assert_eq!(
                    call(&mut store, &instance, "mixloop", n, x),
                    expected_mixloop(n, x),
                    "{mode}: mixloop({n}, {x})"
                );
            }
            for (a, b) in [(0, 0), (4, 16), (40, 8), (360, 200), (1000, 4)] {
                let want = (0..8).fold(0i32, |sum, k| {
                    sum.wrapping_add(
                        init_word(a / 4 + k).wrapping_mul(init_word((b + 4) / 4 + 2 * k)),
                    )
                });
                assert_eq!(
                    call(&mut store, &instance, "dot", a, b),
                    want,
                    "{mode}: dot"
                );
                let want = init_word(a / 4)
                    .wrapping_mul(init_word(b / 4))
                    .wrapping_add(a);
                assert_eq!(
                    call(&mut store, &instance, "dot1", a, b),
                    want,
                    "{mode}: dot1"
                );
            }
        }
        assert_each_load_checked(
            &mut store,
            &instance,
            mode,
            "dot1",
            &[(65533, 0), (0, 65533), (-1, 0), (0, -4), (65536, 65536)],
            (65532, 65532),
        );
        assert_traps(
            &mut store,
            &instance,
            mode,
            "dot",
            &[(65520, 0), (0, 65480)],
        );
    }
}

/// A tiny bytecode VM (`loop` around nested blocks, `br_table` on `i32.load8_u` of its
/// `pc`): the loop header becomes `I32Load8UBrTable`, and its back-edges run it themselves
/// (`IncBrLoad8UBrTable` after `pc += k`, `BrLoad8UBrTableAcc` after the `if` that computes
/// the new `pc`, `BrLoad8UBrTable` after a write of another slot). Opcodes: 0 HALT (returns
/// `acc * 1000 + pc`), 1 ADD imm, 2 DEC (`n -= 1`), 3 JNZ imm, 4 JMP imm (also `acc *= 2`),
/// anything else NOP (the table's default, for an index equal to the table's length and
/// beyond). The program is at address 16 (the VM reads `offset=16` from its `pc`), and the
/// last eight bytes of memory are NOPs, so a run from there loads past the end.
const BYTECODE_VM: &str = r#"
(module
  (memory (export "memory") 1)
  ;;   0: ADD 5 | 2: DEC | 3: JNZ 0 | 5: NOP (0xff) | 6: NOP (5) | 7: JMP 11 | 9: ADD 99
  ;;  11: ADD 7 | 13: HALT
  (data (i32.const 16) "\01\05\02\03\00\ff\05\04\0b\01\63\01\07\00")
  (data (i32.const 65528) "\ff\ff\ff\ff\ff\ff\ff\ff")
  (func (export "vm") (param $pc i32) (param $n i32) (result i32) (local $acc i32)
    (loop $dispatch
      (block $nop (block $jmp (block $jnz (block $dec (block $add (block $halt
        (br_table $halt $add $dec $jnz $jmp $nop (i32.load8_u offset=16 (local.get $pc))))
        (return (i32.add (i32.mul (local.get $acc) (i32.const 1000)) (local.get $pc))))
        (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset=17 (local.get $pc))))
        (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
        (br $dispatch))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $dispatch))
        (local.set $pc
          (if (result i32) (local.get $n)
            (then (i32.load8_u offset=17 (local.get $pc)))
            (else (i32.add (local.get $pc) (i32.const 2)))))
        (br $dispatch))
        (local.set $pc (i32.load8_u offset=17 (local.get $pc)))
        (local.set $acc (i32.mul (local.get $acc) (i32.const 2)))
        (br $dispatch))
      (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
      (br $dispatch))
    (unreachable)))"#;

/// `BYTECODE_VM`'s `vm(pc, n)` in Rust: its result, or `None` where it traps (a load past
/// the end of memory).
fn expected_vm(mut pc: i32, mut n: i32) -> Option<i32> {
    let mut memory = vec![0u8; 65536];
    memory[16..30].copy_from_slice(b"\x01\x05\x02\x03\x00\xff\x05\x04\x0b\x01\x63\x01\x07\x00");
    memory[65528..].fill(0xff);
    let byte = |pc: i32, at: u64| {
        memory
            .get(usize::try_from(u64::from(pc as u32) + at).ok()?)
            .map(|&b| i32::from(b))
    };
    let mut acc = 0i32;
    loop {
        match byte(pc, 16)? {
            0 => return Some(acc.wrapping_mul(1000).wrapping_add(pc)),
            1 => {
                acc = acc.wrapping_add(byte(pc, 17)?);
                pc = pc.wrapping_add(2);
            }
            2 => {
                n = n.wrapping_sub(1);
                pc = pc.wrapping_add(1);
            }
            3 => {
                pc = if n != 0 {
                    byte(pc, 17)?
                } else {
                    pc.wrapping_add(2)
                }
            }
            4 => {
                pc = byte(pc, 17)?;
                acc = acc.wrapping_mul(2);
            }
            _ => pc = pc.wrapping_add(1),
        }
    }
}

#[test]
fn bytecode_vm_dispatch_agrees_in_every_tier() {
    let runs = [
        (0, 1),
        (0, 2),
        (0, 3000),
        (5, 1),
        (11, 1),
        (13, 1),
        (65500, 1),
        // NOPs up to the end of memory: the load of a back-edge traps.
        (65512, 1),
        (65519, 1),
        // The first load traps.
        (65520, 1),
        (-1, 1),
        (-16, 1),
    ];
    for (mode, config) in modes::tier_modes() {
        let (_engine, mut store, instance) = modes::instantiate(&config, BYTECODE_VM);
        let vm = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "vm")
            .unwrap();
        for _ in 0..3 {
            for (pc, n) in runs {
                match (vm.call(&mut store, (pc, n)), expected_vm(pc, n)) {
                    (Ok(got), Some(want)) => assert_eq!(got, want, "{mode}: vm({pc}, {n})"),
                    (Err(e), None) => assert_eq!(
                        e.as_trap().map(|t| t.code()),
                        Some(TrapCode::MemoryOutOfBounds),
                        "{mode}: vm({pc}, {n})"
                    ),
                    (got, want) => panic!("{mode}: vm({pc}, {n}) = {got:?}, expected {want:?}"),
                }
            }
        }
    }
}

/// Load-and-add pairs (`I32Load8UAdd`, `I32LoadAdd`: `sum += p[i]`): in loops that change
/// tier while they run, with the add's operands in either order, a load at the end of memory
/// that traps (its pair's add then never runs), and two loads added to each other, which
/// stay a load pair (`I32LoadPair`) instead. Memory byte `k` holds `k * 7 + 3` (mod 256) in
/// the first page; the second page is all zeros.
const LOAD_ADD: &str = r#"(module
  (memory 2)
  (func (export "init") (param i32 i32) (result i32) (local $k i32)
    (loop $l
      (i32.store8 (local.get $k) (i32.add (i32.mul (local.get $k) (i32.const 7)) (i32.const 3)))
      (br_if $l (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 65536))))
    (i32.const 0))
  (func (export "sum8") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $l
        (local.set $s (i32.add (local.get $s) (i32.load8_u offset=1 (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (local.get $s))
  (func (export "sum32") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $l
        (local.set $s (i32.add (i32.load (local.get $p)) (local.get $s)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (local.get $s))
  (func (export "two") (param $a i32) (param $b i32) (result i32)
    (i32.add (i32.load (local.get $a)) (i32.load offset=2 (local.get $b)))))"#;

/// Memory byte `k` after `init`.
fn load_add_byte(k: i64) -> u8 {
    if (0..65536).contains(&k) {
        (k * 7 + 3) as u8
    } else {
        0
    }
}

/// The little-endian `i32` at byte `k`.
fn load_add_word(k: i64) -> i32 {
    i32::from_le_bytes([0, 1, 2, 3].map(|b| load_add_byte(k + b)))
}

#[test]
fn load_add_pairs_agree_in_every_tier() {
    let end: i32 = 2 * 65536;
    for (mode, config) in modes::tier_modes() {
        let (_engine, mut store, instance) = modes::instantiate(&config, LOAD_ADD);
        call(&mut store, &instance, "init", 0, 0);
        let checked = |store: &mut Store<()>, name: &str, p: i32, n: i32| {
            let f = instance
                .get_typed_func::<(i32, i32), i32>(&mut *store, name)
                .unwrap();
            f.call(&mut *store, (p, n)).map_err(|e| {
                assert_eq!(
                    e.as_trap().map(|t| t.code()),
                    Some(TrapCode::MemoryOutOfBounds),
                    "{mode}: {name}({p}, {n}): {e}"
                );
            })
        };
        for _ in 0..3 {
            for (p, n) in [
                (0, 0),
                (0, 1),
                (5, 3000),
                (65000, 1000),
                (end - 2, 1),
                (end - 1, 1),
            ] {
                let want: i32 = (0..n)
                    .map(|k| i32::from(load_add_byte(i64::from(p + k) + 1)))
                    .sum();
                let traps = n > 0 && i64::from(p) + i64::from(n) >= i64::from(end);
                assert_eq!(
                    checked(&mut store, "sum8", p, n).ok(),
                    (!traps).then_some(want),
                    "{mode}: sum8({p}, {n})"
                );
            }
            for (p, n) in [
                (0, 1),
                (16, 2000),
                (65520, 10),
                (end - 8, 2),
                (end - 4, 1),
                (end - 3, 1),
            ] {
                let want = (0..n).fold(0i32, |s, k| {
                    s.wrapping_add(load_add_word(i64::from(p + 4 * k)))
                });
                let traps = i64::from(p) + 4 * i64::from(n) > i64::from(end);
                assert_eq!(
                    checked(&mut store, "sum32", p, n).ok(),
                    (!traps).then_some(want),
                    "{mode}: sum32({p}, {n})"
                );
            }
            for (a, b) in [
                (0, 0),
                (100, 7),
                (end - 4, end - 6),
                (end - 3, 0),
                (0, end - 5),
            ] {
                let want =
                    load_add_word(i64::from(a)).wrapping_add(load_add_word(i64::from(b) + 2));
                let traps = a > end - 4 || b > end - 6;
                assert_eq!(
                    checked(&mut store, "two", a, b).ok(),
                    (!traps).then_some(want),
                    "{mode}: two({a}, {b})"
                );
            }
        }
    }
}

/// The shapes of a variable-step loop counter (`AddBrIf..`: `i += k` with `k` a local, then
/// a conditional branch on `i`): the three comparisons with fused forms and three without,
/// against a local and against the constant [`BOUND`], with the add's operands either way
/// round; a loop exited forward (`fwd_<cmp>`); `i += i` (`dbl_<cmp>`); a bound that is the
/// step itself (`step_<cmp>`). Each loop stops after at most 50 iterations and returns
/// `i * 64 + iterations`; every function takes `(i, n, k)`.
fn stepped_program() -> String {
    let mut funcs = String::new();
    let add = "(i32.add (local.get $i) (local.get $k))";
    let bound = format!("(i32.const {BOUND})");
    for (cmp, _) in COMPARISONS {
        // (name, the counter's update, the bound, whether the branch exits forward)
        for (name, bump, rhs, forward) in [
            ("slot", add, "(local.get $n)", false),
            (
                "swap",
                "(i32.add (local.get $k) (local.get $i))",
                "(local.get $n)",
                false,
            ),
            ("imm", add, &*bound, false),
            (
                "dbl",
                "(i32.add (local.get $i) (local.get $i))",
                "(local.get $n)",
                false,
            ),
            ("step", add, "(local.get $k)", false),
            ("fwd", add, "(local.get $n)", true),
        ] {
            let test = format!("(i32.{cmp} (local.tee $i {bump}) {rhs})");
            // Forward: the fused branch exits, and the loop goes round with a `br`.
            let branch = if forward {
                format!("(br_if $out {test}) (br $l)")
            } else {
                format!("(br_if $l {test})")
            };
            funcs.push_str(&format!(
                r#"
  (func (export "{name}_{cmp}") (param $i i32) (param $n i32) (param $k i32) (result i32)
    (local $c i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $c) (i32.const 50)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        {branch}))
    (i32.add (i32.mul (local.get $i) (i32.const 64)) (local.get $c)))"#
            ));
        }
    }
    format!("(module{funcs})")
}

/// A loop of [`stepped_program`] in Rust: `bump` is the counter's update, `bound` what it
/// is compared with (given the step), `exit_when` whether the branch leaves the loop.
fn expected_stepped(
    cmp: Comparison,
    mut i: i32,
    bump: impl Fn(i32) -> i32,
    bound: i32,
    exit_when: bool,
) -> i32 {
    let mut c = 0;
    while c < 50 {
        c += 1;
        i = bump(i);
        if cmp(i, bound) == exit_when {
            break;
        }
    }
    i.wrapping_mul(64).wrapping_add(c)
}

#[test]
fn stepped_loops_agree_with_wasm_semantics_in_every_tier() {
    let wat = stepped_program();
    let starts = [0, 5, 39, 40, 41, -1, i32::MAX - 10, i32::MIN + 3];
    let bounds = [0, 40, -5, i32::MAX, i32::MIN];
    let steps = [1, 7, -3, 0, 1 << 30, i32::MIN];
    for (mode, config) in modes::tier_modes() {
        let (_engine, mut store, instance) = modes::instantiate(&config, &wat);
        let mut run = |name: &str, i: i32, n: i32, k: i32| {
            let f = instance
                .get_typed_func::<(i32, i32, i32), i32>(&mut store, name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            f.call(&mut store, (i, n, k))
                .unwrap_or_else(|e| panic!("{mode}: {name}({i}, {n}, {k}): {e}"))
        };
        for (cmp_name, cmp) in COMPARISONS {
            for &i in &starts {
                for &k in &steps {
                    let add = |x: i32| x.wrapping_add(k);
                    for &n in &bounds {
                        for (name, want) in [
                            ("slot", expected_stepped(cmp, i, add, n, false)),
                            ("swap", expected_stepped(cmp, i, add, n, false)),
                            ("fwd", expected_stepped(cmp, i, add, n, true)),
                            (
                                "dbl",
                                expected_stepped(cmp, i, |x| x.wrapping_add(x), n, false),
                            ),
                        ] {
                            let name = format!("{name}_{cmp_name}");
                            assert_eq!(run(&name, i, n, k), want, "{mode}: {name}({i}, {n}, {k})");
                        }
                    }
                    for (name, bound) in [("imm", BOUND), ("step", k)] {
                        let name = format!("{name}_{cmp_name}");
                        let want = expected_stepped(cmp, i, add, bound, false);
                        assert_eq!(run(&name, i, 0, k), want, "{mode}: {name}({i}, {k})");
                    }
                }
            }
        }
    }
}

/// Loads at `p + k` (`I32Load8UDisp`, `I32Load16UDisp`, `I32LoadDisp`) in one page whose
/// byte `k` holds `k * 7 + 3`: exported as `load<bits>_<k>` for a few constants `k`, the
/// negative ones included.
fn displaced_program() -> String {
    let mut funcs = String::new();
    for (bits, op) in [(8, "i32.load8_u"), (16, "i32.load16_u"), (32, "i32.load")] {
        for (name, k) in DISPLACEMENTS {
            funcs.push_str(&format!(
                r#"
  (func (export "load{bits}_{name}") (param $p i32) (result i32)
    ({op} (i32.add (local.get $p) (i32.const {k}))))"#
            ));
        }
    }
    format!(
        r#"(module
  (memory 1)
  (func (export "init") (local $k i32)
    (loop $l
      (i32.store8 (local.get $k) (i32.add (i32.mul (local.get $k) (i32.const 7)) (i32.const 3)))
      (br_if $l (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 65536)))))
  {funcs})"#
    )
}

/// The constants [`displaced_program`] adds: (name, value).
const DISPLACEMENTS: [(&str, i32); 4] = [("3", 3), ("m2", -2), ("big", 65530), ("min", i32::MIN)];

#[test]
fn displaced_loads_wrap_and_trap_as_wasm_does() {
    let wat = displaced_program();
    let byte = |ea: u64| (ea * 7 + 3) as u8;
    let starts = [
        0i32,
        1,
        2,
        5,
        65530,
        65533,
        65535,
        -1,
        -2,
        -3,
        i32::MIN,
        i32::MAX,
    ];
    for (mode, config) in modes::tier_modes() {
        let (_engine, mut store, instance) = modes::instantiate(&config, &wat);
        let init = instance
            .get_typed_func::<(), ()>(&mut store, "init")
            .unwrap();
        init.call(&mut store, ()).unwrap();
        for bits in [8u64, 16, 32] {
            for (name, k) in DISPLACEMENTS {
                let f = instance
                    .get_typed_func::<i32, i32>(&mut store, &format!("load{bits}_{name}"))
                    .unwrap();
                for _ in 0..2 {
                    for &p in &starts {
                        // The sum wraps in 32 bits, then the access must fit in the page.
                        let ea = u64::from((p as u32).wrapping_add(k as u32));
                        let want = (ea + bits / 8 <= 65536).then(|| {
                            (0..bits / 8)
                                .map(|b| u32::from(byte(ea + b)) << (8 * b))
                                .fold(0, |v, b| v | b) as i32
                        });
                        let got = f.call(&mut store, p).map_err(|e| {
                            assert_eq!(
                                e.as_trap().map(|t| t.code()),
                                Some(TrapCode::MemoryOutOfBounds),
                                "{mode}: load{bits}_{name}({p}): {e}"
                            );
                        });
                        assert_eq!(got.ok(), want, "{mode}: load{bits}_{name}({p})");
                    }
                }
            }
        }
    }
}
