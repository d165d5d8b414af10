;; Fusions: a loop counter's increment joins the compare-and-branch after it (`IncBrIf..`,
;; also for `i32.sub` and for the negated branch of an `if`), but not across a label, not
;; when the step does not fit 16 bits and not when the branch tests another local; a narrow
;; store of a constant takes an immediate.
(module
  (memory 1)
  (func $count_up (param $n i32) (local $i i32)
    (loop $l
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
  (func $count_down (param $i i32)
    (loop $l
      (i32.store8 (local.get $i) (i32.const 0))
      (br_if $l (i32.ne (local.tee $i (i32.sub (local.get $i) (i32.const 4))) (i32.const 0)))))
  (func $if_step (param $i i32) (result i32)
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (if (result i32) (i32.gt_u (local.get $i) (i32.const 9))
      (then (i32.const 1))
      (else (i32.const 2))))
  (func $across_label (param $i i32)
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (loop $l
      (br_if $l (i32.lt_u (local.get $i) (i32.const 9)))))
  (func $big_step (param $i i32)
    (loop $l
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 65536))) (i32.const 9)))))
  (func $other_local (param $i i32) (param $j i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (i32.const 9)))))
  (func $narrow_stores (param $a i32)
    (i64.store8 (local.get $a) (i64.const -1))
    (i32.store16 (local.get $a) (i32.const 0x12345))
    (i64.store32 (local.get $a) (i64.const 0x100000001))))
