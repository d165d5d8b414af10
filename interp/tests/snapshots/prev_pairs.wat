;; Pair fusions whose second reads the accumulator (`I32XorAddPrev` and its siblings): the
;; paired `i32.add`'s other operand is the result of the instruction right before the pair
;; (`acc * 31 + (x ^ i)`), not when the pair starts a loop (a branch target), nor when the pair's first
;; reads that result itself (its `Acc` form wins). Dot steps (`I32LoadPairMulAdd`): a load
;; pair whose values a `I32MulAdd` pair multiplies and sums, but not when a loaded value is
;; kept in a local (`local.tee`) or when the product is not added right away. Self pairs
;; (`x ^= x << k`, `I32ShlImmXorSelf` and its siblings, also with the xor's operands
;; swapped), but not when the xor takes another value.
(module
  (memory 1)
  (func $mix (param $x i32) (param $y i32) (param $i i32) (result i32)
    (i32.add (i32.mul (local.get $y) (i32.const 31)) (i32.xor (local.get $x) (local.get $i))))
  (func $madd2 (param $a i32) (param $b i32) (param $c i32) (param $d i32) (result i32)
    (i32.add (i32.mul (local.get $a) (local.get $b)) (i32.mul (local.get $c) (local.get $d))))
  (func $index (param $p i32) (param $i i32) (result i32)
    (i32.add (i32.add (local.get $p) (i32.const 8)) (i32.shl (local.get $i) (i32.const 2))))
  (func $own (param $x i32) (param $y i32) (result i32) (local $t i32)
    (local.set $t (i32.mul (local.get $x) (i32.const 3)))
    (i32.add (local.get $t) (i32.xor (local.get $t) (local.get $y))))
  (func $label (param $x i32) (param $y i32) (param $i i32) (result i32)
    (i32.mul (local.get $y) (i32.const 31))
    (loop (param i32) (result i32)
      (i32.add (i32.xor (local.get $x) (local.get $i)))))
  (func $dot (param $a i32) (param $b i32) (param $n i32) (result i32) (local $sum i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum)
        (i32.mul (i32.load (local.get $a)) (i32.load offset=4 (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br_if $l (i32.ne (local.tee $n (i32.sub (local.get $n) (i32.const 1))) (i32.const 0))))
    (local.get $sum))
  (func $dot_swapped (param $a i32) (param $b i32) (param $s i32) (result i32)
    (i32.add (i32.mul (i32.load (local.get $a)) (i32.load (local.get $b))) (local.get $s)))
  (func $tee (param $a i32) (param $b i32) (param $s i32) (result i32) (local $t i32)
    (i32.add (local.get $s)
      (i32.mul (local.tee $t (i32.load (local.get $a))) (i32.load (local.get $b))))
    (local.get $t)
    (i32.add))
  (func $later (param $a i32) (param $b i32) (param $s i32) (result i32)
    (i32.add (local.get $s)
      (i32.add (i32.mul (i32.load (local.get $a)) (i32.load (local.get $b))) (i32.const 1))))
  (func $xorshift (param $x i32) (param $y i32) (result i32)
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 7))))
    (local.set $y (i32.add (local.get $y) (local.get $x)))
    (local.set $x (i32.xor (i32.shl (local.get $x) (i32.const 9)) (local.get $x)))
    (local.set $y (i32.mul (local.get $y) (i32.const 5)))
    (local.set $y (i32.xor (local.get $y) (i32.shl (local.get $y) (i32.const 3))))
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 11))))
    (local.set $y (i32.xor (local.get $y) (i32.shr_u (local.get $y) (i32.const 13))))
    (local.set $x (i32.xor (local.get $y) (i32.shl (local.get $x) (i32.const 2))))
    (i32.add (local.get $x) (local.get $y))))
