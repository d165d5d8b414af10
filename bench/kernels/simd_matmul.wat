;; Kernel `simd_matmul`: a 64x64 f32 matrix multiply, four columns at a time (f32x4.splat of
;; A[i][k] times a row of B, accumulated in a vector: the shape compilers vectorise).
;;
;; Memory layout (1 page): A at 0, B at 0x4000, C at 0x8000, row-major 64x64 f32 each;
;;   A[i][j] = (h(64i + j) >> 28) - 8,  B[i][j] = ((h(64i + j) >> 12) & 15) - 8,  h(k) = k * 0x9E3779B1
;; (small integers: every product and sum is exact).
;;
;; export:   run(n: i32) -> i32      (n passes; acc starts at 0)
;; Each pass p = 0..n: C = A * B; then A[p & 4095] += 1 (the next pass multiplies a new A) and
;;   acc = acc * 31 + (i32) C[(p * 37) & 4095] + (i32) C[4095]
;; and the result is acc & 0x7fff_ffff.
;; default:  run(3000) = 930830462
(module
  (memory 1)

  (func $init (local $k i32) (local $h i32)
    (loop $next
      (local.set $h (i32.mul (local.get $k) (i32.const 0x9E3779B1)))
      (f32.store (i32.shl (local.get $k) (i32.const 2))
        (f32.convert_i32_s (i32.sub (i32.shr_u (local.get $h) (i32.const 28)) (i32.const 8))))
      (f32.store offset=16384 (i32.shl (local.get $k) (i32.const 2))
        (f32.convert_i32_s
          (i32.sub (i32.and (i32.shr_u (local.get $h) (i32.const 12)) (i32.const 15)) (i32.const 8))))
      (br_if $next
        (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 4096)))))

  (func $matmul (local $i i32) (local $j i32) (local $k i32) (local $acc v128)
    ;; $i: byte offset of row i (256 per row); $j: byte offset of column group j (16 each)
    (loop $rows
      (local.set $j (i32.const 0))
      (loop $cols
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $k (i32.const 0))
        (loop $dot
          (local.set $acc
            (f32x4.add (local.get $acc)
              (f32x4.mul
                (f32x4.splat (f32.load (i32.add (local.get $i) (i32.shl (local.get $k) (i32.const 2)))))
                (v128.load offset=16384
                  (i32.add (i32.shl (local.get $k) (i32.const 8)) (local.get $j))))))
          (br_if $dot (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 64))))
        (v128.store offset=32768 (i32.add (local.get $i) (local.get $j)) (local.get $acc))
        (br_if $cols (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 16))) (i32.const 256))))
      (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 256))) (i32.const 16384)))))

  (func (export "run") (param $n i32) (result i32)
    (local $p i32) (local $acc i32) (local $at i32)
    (call $init)
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $pass
        (call $matmul)
        (local.set $at (i32.shl (i32.and (local.get $p) (i32.const 4095)) (i32.const 2)))
        (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.const 1)))
        (local.set $acc
          (i32.add
            (i32.add (i32.mul (local.get $acc) (i32.const 31))
              (i32.trunc_f32_s
                (f32.load offset=32768
                  (i32.shl (i32.and (i32.mul (local.get $p) (i32.const 37)) (i32.const 4095))
                    (i32.const 2)))))
            (i32.trunc_f32_s (f32.load (i32.const 49148)))))
        (br_if $pass
          (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $n)))))
    (i32.and (local.get $acc) (i32.const 0x7fffffff))))
