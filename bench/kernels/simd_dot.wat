;; Kernel `simd_dot`: a vectorised f32 dot product (f32x4.mul, f32x4.add, v128.load), the inner
;; loop of every vectorised linear-algebra and neural-network kernel.
;;
;; Memory layout (2 pages):
;;   [0x00000, 0x10000)  x: 16384 f32, x[k] = (h(k) >> 28) - 8         with h(k) = k * 0x9E3779B1
;;   [0x10000, 0x20000)  y: 16384 f32, y[k] = ((h(k) >> 20) & 15) - 8
;; (small integers, so every product and partial sum is exact and the result does not depend on
;; the order of the additions).
;;
;; export:   run(n: i32) -> i32      (n passes; acc starts at 0)
;; Each pass p = 0..n: four lane sums over the 16384 products, two vectors at a time; then
;;   acc = acc * 31 + (i32) (lane0 + lane1 + lane2 + lane3) + p
;; and the result is acc & 0x7fff_ffff.
;; default:  run(20_000) = 936230160
(module
  (memory 2)

  (func $init (local $k i32) (local $h i32)
    (loop $next
      (local.set $h (i32.mul (local.get $k) (i32.const 0x9E3779B1)))
      (f32.store (i32.shl (local.get $k) (i32.const 2))
        (f32.convert_i32_s (i32.sub (i32.shr_u (local.get $h) (i32.const 28)) (i32.const 8))))
      (f32.store offset=65536 (i32.shl (local.get $k) (i32.const 2))
        (f32.convert_i32_s
          (i32.sub (i32.and (i32.shr_u (local.get $h) (i32.const 20)) (i32.const 15)) (i32.const 8))))
      (br_if $next
        (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 16384)))))

  ;; The dot product of x and y, as the sum of four lane sums.
  (func $dot (result f32) (local $i i32) (local $a v128) (local $b v128)
    (loop $next
      (local.set $a
        (f32x4.add (local.get $a)
          (f32x4.mul (v128.load (local.get $i)) (v128.load offset=65536 (local.get $i)))))
      (local.set $b
        (f32x4.add (local.get $b)
          (f32x4.mul (v128.load offset=16 (local.get $i)) (v128.load offset=65552 (local.get $i)))))
      (br_if $next
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 32))) (i32.const 65536))))
    (local.set $a (f32x4.add (local.get $a) (local.get $b)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
      (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))

  (func (export "run") (param $n i32) (result i32)
    (local $p i32) (local $acc i32)
    (call $init)
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $pass
        (local.set $acc
          (i32.add
            (i32.add (i32.mul (local.get $acc) (i32.const 31)) (i32.trunc_f32_s (call $dot)))
            (local.get $p)))
        (br_if $pass
          (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $n)))))
    (i32.and (local.get $acc) (i32.const 0x7fffffff))))
