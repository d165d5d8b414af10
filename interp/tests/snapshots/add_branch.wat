;; Variable-step loop counters (`AddBrIf..`: `x += k; br_if (x <op> bound)` in one
;; instruction): a sieve's crossing-out loop (`<` an immediate), a loop to a bound in a slot
;; with the add's operands the other way round (`!=`), a forward exit (`<` signed), a bound
;; that is the step itself; and two that stay apart: a comparison that has no fused form
;; (`>` unsigned), and a bound that is the counter (which the fused form would read after
;; writing).
(module
  (memory 1)
  (func $cross (param $j i32) (param $i i32)
    (loop $l
      (i32.store8 (local.get $j) (i32.const 0))
      (br_if $l (i32.lt_u (local.tee $j (i32.add (local.get $j) (local.get $i))) (i32.const 65536)))))
  (func $to_slot (param $x i32) (param $k i32) (param $n i32) (result i32)
    (loop $l
      (br_if $l (i32.ne (local.tee $x (i32.add (local.get $k) (local.get $x))) (local.get $n))))
    (local.get $x))
  (func $forward (param $x i32) (param $k i32) (param $n i32) (result i32)
    (block $out
      (loop $l
        (br_if $out (i32.lt_s (local.tee $x (i32.add (local.get $x) (local.get $k))) (local.get $n)))
        (br $l)))
    (local.get $x))
  (func $bound_is_step (param $x i32) (param $k i32) (result i32)
    (loop $l
      (br_if $l (i32.lt_u (local.tee $x (i32.add (local.get $x) (local.get $k))) (local.get $k))))
    (local.get $x))
  (func $no_fused_form (param $x i32) (param $k i32) (param $n i32) (result i32)
    (loop $l
      (br_if $l (i32.gt_u (local.tee $x (i32.add (local.get $x) (local.get $k))) (local.get $n))))
    (local.get $x))
  (func $bound_is_counter (param $x i32) (param $k i32) (result i32)
    (loop $l
      (br_if $l (i32.ne (local.tee $x (i32.add (local.get $x) (local.get $k))) (local.get $x))))
    (local.get $x)))
