;; Kernel `dispatch`: an indirect-call state machine (an interpreter's dispatch loop): every
;; iteration calls one of eight small handlers through `call_indirect`, chosen by a state that
;; the previous handler's result decides (so the target changes unpredictably).
;;
;; export:   run(n: i32) -> i32
;; acc = 0x12345, state = 0; n times: acc = table[state](acc, i); state = (acc >> 7) & 7
;; with the handlers (wrapping i32 arithmetic)
;;     0: acc + i                      4: acc - (i << 3)
;;     1: acc ^ (i * 0x9E3779B1)       5: acc ^ (acc >>> 11)
;;     2: rotl(acc, 7) + 1             6: (acc + 0x7F4A7C15) ^ i
;;     3: acc * 0x01000193             7: rotr(acc, 3) * 5
;; The result is acc & 0x7fff_ffff.
;; default:  run(20_000_000) = 333634292        (20_000_000 indirect calls)
(module
  (type $handler (func (param i32 i32) (result i32)))
  (table 8 funcref)
  (elem (i32.const 0) $h0 $h1 $h2 $h3 $h4 $h5 $h6 $h7)

  (func $h0 (type $handler) (i32.add (local.get 0) (local.get 1)))
  (func $h1 (type $handler)
    (i32.xor (local.get 0) (i32.mul (local.get 1) (i32.const 0x9E3779B1))))
  (func $h2 (type $handler)
    (i32.add (i32.rotl (local.get 0) (i32.const 7)) (i32.const 1)))
  (func $h3 (type $handler) (i32.mul (local.get 0) (i32.const 0x01000193)))
  (func $h4 (type $handler)
    (i32.sub (local.get 0) (i32.shl (local.get 1) (i32.const 3))))
  (func $h5 (type $handler)
    (i32.xor (local.get 0) (i32.shr_u (local.get 0) (i32.const 11))))
  (func $h6 (type $handler)
    (i32.xor (i32.add (local.get 0) (i32.const 0x7F4A7C15)) (local.get 1)))
  (func $h7 (type $handler)
    (i32.mul (i32.rotr (local.get 0) (i32.const 3)) (i32.const 5)))

  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32) (local $state i32)
    (local.set $acc (i32.const 0x12345))
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $next
        (local.set $acc
          (call_indirect (type $handler) (local.get $acc) (local.get $i) (local.get $state)))
        (local.set $state
          (i32.and (i32.shr_u (local.get $acc) (i32.const 7)) (i32.const 7)))
        (br_if $next
          (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
    (i32.and (local.get $acc) (i32.const 0x7fffffff))))
