;; Kernel `matmul`: an i32 matrix multiply C = A x B of n x n matrices in linear memory (the
;; memory loop of real programs: row-major loads with a stride, a load-multiply-add inner loop).
;;
;; Memory layout: A at 0, B at 4 n^2, C at 8 n^2 (n <= 512 fits in the 48 pages).
;;   A[i][j] = (i * 7 + j * 3) & 255,  B[i][j] = (i * 5 ^ j * 11) & 255
;; export:   run(n: i32) -> i32      the sum of C[i][j] * (i + 2 * j + 1), wrapping, & 0x7fffffff
;; default:  run(400) = 1440425984
(module
  (memory 48)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $k i32) (local $sum i32) (local $acc i32)
    (local $a i32) (local $b i32) (local $c i32) (local $row i32) (local $col i32)
    (local.set $b (i32.shl (i32.mul (local.get $n) (local.get $n)) (i32.const 2)))
    (local.set $c (i32.shl (local.get $b) (i32.const 1)))
    ;; fill A and B
    (block $done_fill
      (loop $fill_i
        (br_if $done_fill (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (loop $fill_j
          (i32.store
            (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))
            (i32.and (i32.add (i32.mul (local.get $i) (i32.const 7))
                              (i32.mul (local.get $j) (i32.const 3))) (i32.const 255)))
          (i32.store
            (i32.add (local.get $b)
              (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
            (i32.and (i32.xor (i32.mul (local.get $i) (i32.const 5))
                              (i32.mul (local.get $j) (i32.const 11))) (i32.const 255)))
          (br_if $fill_j (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $n))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill_i)))
    ;; C = A x B
    (local.set $i (i32.const 0))
    (block $done_i
      (loop $loop_i
        (br_if $done_i (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $row (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 2)))
        (local.set $j (i32.const 0))
        (loop $loop_j
          (local.set $sum (i32.const 0))
          (local.set $a (local.get $row))
          (local.set $col (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $k (i32.const 0))
          (loop $loop_k
            (local.set $sum
              (i32.add (local.get $sum)
                (i32.mul (i32.load (local.get $a)) (i32.load (local.get $col)))))
            (local.set $a (i32.add (local.get $a) (i32.const 4)))
            (local.set $col (i32.add (local.get $col) (i32.shl (local.get $n) (i32.const 2))))
            (br_if $loop_k (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
          (i32.store
            (i32.add (local.get $c) (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
            (local.get $sum))
          (local.set $acc
            (i32.add (local.get $acc)
              (i32.mul (local.get $sum)
                (i32.add (i32.add (local.get $i) (i32.shl (local.get $j) (i32.const 1))) (i32.const 1)))))
          (br_if $loop_j (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $n))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $loop_i)))
    (i32.and (local.get $acc) (i32.const 0x7fffffff))))
