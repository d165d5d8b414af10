;; The input of the `tierup explore` snapshot tests (runtime/cli/tests/explore.rs): one
;; function of each kind. No SIMD, so no listing depends on the CPU's optional features.
(module
  (memory 1)
  (table 2 funcref)
  (type $unary (func (param i32) (result i32)))
  (elem (i32.const 0) $double $square)

  ;; A counting loop with a fused compare-and-branch back-edge.
  (func $loop_sum (export "loop_sum") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $top
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))

  (func $double (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1)))
  (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))

  ;; A direct call and an indirect call.
  (func $calls (export "calls") (param $x i32) (result i32)
    (i32.add
      (call $double (local.get $x))
      (call_indirect (type $unary) (local.get $x) (i32.const 1))))

  ;; Loads and stores with offsets.
  (func $memory (export "memory") (param $addr i32) (param $v i64)
    (i64.store offset=8 (local.get $addr) (local.get $v))
    (i32.store8 (local.get $addr)
      (i32.add (i32.load offset=4 (local.get $addr)) (i32.load16_u (local.get $addr)))))

  ;; A br_table with three targets and a default.
  (func $br_table (export "br_table") (param $k i32) (result i32)
    (block $d
      (block $c
        (block $b
          (block $a (br_table $a $b $c $d (local.get $k)))
          (return (i32.const 10)))
        (return (i32.const 20)))
      (return (i32.const 30)))
    (i32.const 40)))
