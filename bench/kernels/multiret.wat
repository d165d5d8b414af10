;; Kernel `multiret`: calls of functions with two results, direct and through `call_indirect`.
;;
;; export:   run(n: i32) -> i32
;; a = 1, b = 2; for i in 0..n (wrapping i32 arithmetic):
;;     (a, b) = step(a, b, i)                     direct:   step(a, b, i) = (b, (a + b) ^ i)
;;     (a, b) = table[i & 1](a, b, i)             indirect: step, or
;;                                                          twist(a, b, i) = (a * 3 + i, rotl(b, 1) ^ a)
;; The result is (a ^ b) & 0x7fff_ffff.
;; default:  run(10_000_000) = 113886621        (20_000_000 calls)
(module
  (type $pair (func (param i32 i32 i32) (result i32 i32)))
  (table 2 funcref)
  (elem (i32.const 0) $step $twist)

  (func $step (type $pair)
    (local.get 1)
    (i32.xor (i32.add (local.get 0) (local.get 1)) (local.get 2)))
  (func $twist (type $pair)
    (i32.add (i32.mul (local.get 0) (i32.const 3)) (local.get 2))
    (i32.xor (i32.rotl (local.get 1) (i32.const 1)) (local.get 0)))

  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $a i32) (local $b i32)
    (local.set $a (i32.const 1))
    (local.set $b (i32.const 2))
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $next
        (call $step (local.get $a) (local.get $b) (local.get $i))
        (local.set $b)
        (local.set $a)
        (call_indirect (type $pair)
          (local.get $a) (local.get $b) (local.get $i) (i32.and (local.get $i) (i32.const 1)))
        (local.set $b)
        (local.set $a)
        (br_if $next
          (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
    (i32.and (i32.xor (local.get $a) (local.get $b)) (i32.const 0x7fffffff))))
