;; Kernel `loop`: a tight arithmetic loop without calls or memory accesses.
;;
;; export:   run(n: i32) -> i32
;; Each of the n iterations advances a xorshift32 generator and folds it into an
;; accumulator with a multiply-add:
;;     x ^= x << 13;  x ^= x >>u 17;  x ^= x << 5;     (x starts at 2463534242)
;;     acc = acc * 31 + (x ^ i)
;; and the result is acc & 0x7fff_ffff (non-negative, so every engine prints it alike).
;; default:  run(30_000_000) = 745049106
(module
  (func (export "run") (param $n i32) (result i32)
    (local $x i32) (local $acc i32) (local $i i32)
    (local.set $x (i32.const 2463534242))
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $next
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
        (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
        (local.set $acc
          (i32.add
            (i32.mul (local.get $acc) (i32.const 31))
            (i32.xor (local.get $x) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_s (local.get $i) (local.get $n)))))
    (i32.and (local.get $acc) (i32.const 0x7fffffff))))
