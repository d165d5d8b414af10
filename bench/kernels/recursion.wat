;; Kernel `recursion`: deep non-tail recursion. Each round walks a chain of 10,000 calls
;; down and folds a value on the way back up, so the stack holds 10,000 frames at its deepest
;; and every call and return is on the critical path.
;;
;; export:   run(n: i32) -> i32      n rounds (n * 10_000 calls)
;;   down(d, x) = d == 0 ? x : (down(d - 1, x * 1103515245 + 12345) ^ d) + (x >>u 16)
;;   acc = 0; repeat n: acc = acc + down(10000, acc + round)
;; default:  run(3000) = 1713287331       (30 million calls)
(module
  (func $down (param $d i32) (param $x i32) (result i32)
    (if (result i32) (i32.eqz (local.get $d))
      (then (local.get $x))
      (else
        (i32.add
          (i32.xor
            (call $down
              (i32.sub (local.get $d) (i32.const 1))
              (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
            (local.get $d))
          (i32.shr_u (local.get $x) (i32.const 16))))))
  (func (export "run") (param $n i32) (result i32)
    (local $round i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $round) (local.get $n)))
        (local.set $acc
          (i32.add (local.get $acc)
            (call $down (i32.const 10000) (i32.add (local.get $acc) (local.get $round)))))
        (local.set $round (i32.add (local.get $round) (i32.const 1)))
        (br $next)))
    (i32.and (local.get $acc) (i32.const 0x7fffffff))))
