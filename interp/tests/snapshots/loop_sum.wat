;; A counting loop: `local.set` retargets the add's destination (no copies), the back-edge is
;; one fused compare-and-branch plus a counted `BrLoop`.
(module
  (func $sum (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $top
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
