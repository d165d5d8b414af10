;; Kernel `memory`: memory-heavy passes over two 1 MiB buffers (bounds-checked loads and stores).
;;
;; Memory layout (32 pages = 2 MiB):
;;   [0x000000, 0x100000)  1 MiB of sieve flags, one byte per number
;;   [0x100000, 0x200000)  an array B of 262_144 i32, initialised to B[k] = k * 0x9E3779B1
;;
;; export:   run(n: i32) -> i32      (n passes; acc starts at 0)
;; Each pass p = 0..n:
;;   1. sieve of Eratosthenes below 2^20: fill the flags (i64.store), cross out (i32.store8),
;;      count the primes (i32.load8_u)                          -> count = 82025 every pass
;;      acc = acc * 31 + count
;;   2. two in-place prefix-sum passes over B: B[k] += B[k-1]   (two i32.load, one i32.store each)
;;   3. acc ^= B[(p * 40503) & 0x3ffff];  acc += B[0x3ffff]
;; and the result is acc & 0x7fff_ffff.
;; default:  run(20) = 492576810
(module
  (memory 32)

  (func $init (local $k i32)
    (loop $next
      (i32.store offset=1048576
        (i32.shl (local.get $k) (i32.const 2))
        (i32.mul (local.get $k) (i32.const 0x9E3779B1)))
      (br_if $next
        (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 262144)))))

  ;; Returns the number of primes below 2^20.
  (func $sieve (result i32)
    (local $i i32) (local $j i32) (local $count i32)
    ;; every number is a candidate: fill the flags with 1 bytes, 8 at a time
    (loop $fill
      (i64.store (local.get $i) (i64.const 0x0101010101010101))
      (br_if $fill
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 8))) (i32.const 1048576))))
    ;; 0 and 1 are not prime
    (i32.store16 (i32.const 0) (i32.const 0))
    ;; cross out the multiples of every prime i with i * i < 2^20
    (local.set $i (i32.const 2))
    (loop $outer
      (if (i32.load8_u (local.get $i))
        (then
          (local.set $j (i32.mul (local.get $i) (local.get $i)))
          (loop $cross
            (i32.store8 (local.get $j) (i32.const 0))
            (br_if $cross
              (i32.lt_u (local.tee $j (i32.add (local.get $j) (local.get $i))) (i32.const 1048576))))))
      (br_if $outer
        (i32.lt_u
          (i32.mul (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $i))
          (i32.const 1048576))))
    ;; count the survivors, one byte at a time
    (local.set $i (i32.const 0))
    (loop $count
      (local.set $count (i32.add (local.get $count) (i32.load8_u (local.get $i))))
      (br_if $count
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 1048576))))
    (local.get $count))

  ;; B[k] += B[k-1] for k = 1..262144 ($k is the byte offset of B[k]).
  (func $prefix (local $k i32)
    (local.set $k (i32.const 4))
    (loop $next
      (i32.store offset=1048576 (local.get $k)
        (i32.add
          (i32.load offset=1048576 (local.get $k))
          (i32.load offset=1048572 (local.get $k))))
      (br_if $next
        (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 4))) (i32.const 1048576)))))

  (func (export "run") (param $n i32) (result i32)
    (local $p i32) (local $acc i32)
    (call $init)
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $pass
        (local.set $acc
          (i32.add (i32.mul (local.get $acc) (i32.const 31)) (call $sieve)))
        (call $prefix)
        (call $prefix)
        (local.set $acc
          (i32.xor (local.get $acc)
            (i32.load offset=1048576
              (i32.shl
                (i32.and (i32.mul (local.get $p) (i32.const 40503)) (i32.const 0x3ffff))
                (i32.const 2)))))
        (local.set $acc (i32.add (local.get $acc) (i32.load (i32.const 2097148))))
        (br_if $pass
          (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $n)))))
    (i32.and (local.get $acc) (i32.const 0x7fffffff))))
