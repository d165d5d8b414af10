;; Kernel `simd_base64`: base64 encoding 12 bytes to 16 letters per step, as SIMD encoders do
;; it (i8x16.shuffle spreads the bytes, 16-bit shifts and masks cut the 6-bit fields, a
;; saturating subtract, a compare and an i8x16.swizzle table lookup turn fields into letters),
;; then a widening horizontal sum (extadd_pairwise) of the output as the checksum.
;;
;; Memory layout (2 pages):
;;   [0x00000, 0x0c000)  input: 49152 bytes, in[k] = (k * 0x9E3779B1) >> 24
;;   [0x10000, 0x20000)  output: 65536 letters
;;
;; export:   run(n: i32) -> i32      (n passes; acc starts at 0)
;; Each pass p = 0..n: in[(p * 7919) % 49152] ^= p & 0xff (so every pass encodes new input);
;; encode the 4096 blocks; sum = the sum of the 65536 output bytes;
;;   acc = acc * 31 + sum
;; and the result is acc & 0x7fff_ffff.
;; default:  run(5000) = 232021136
(module
  (memory 2)

  (func $init (local $k i32)
    (loop $next
      (i32.store8 (local.get $k)
        (i32.shr_u (i32.mul (local.get $k) (i32.const 0x9E3779B1)) (i32.const 24)))
      (br_if $next
        (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 49152)))))

  ;; The letters of the 16 fields in `f`: fields 0-25 are 'A'.., 26-51 'a'.., 52-61 '0'..,
  ;; 62 '+', 63 '/'. Each letter is its field plus the offset of its range, looked up by a
  ;; swizzle at index (field -sat 51), or 13 for the fields below 26.
  (func $letters (param $f v128) (result v128)
    (i8x16.add (local.get $f)
      (i8x16.swizzle
        ;; offsets: 'a'-26, '0'-52 (x10), '+'-62, '/'-63, 'A', unused, unused
        (v128.const i8x16 71 -4 -4 -4 -4 -4 -4 -4 -4 -4 -4 -19 -16 65 0 0)
        (v128.or
          (i8x16.sub_sat_u (local.get $f) (v128.const i8x16 51 51 51 51 51 51 51 51 51 51 51 51 51 51 51 51))
          (v128.and
            (i8x16.gt_s (v128.const i8x16 26 26 26 26 26 26 26 26 26 26 26 26 26 26 26 26) (local.get $f))
            (v128.const i8x16 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13))))))

  (func $encode (local $b i32) (local $spread v128) (local $six v128)
    (local.set $six (v128.const i16x8 0x3f 0x3f 0x3f 0x3f 0x3f 0x3f 0x3f 0x3f))
    (loop $next
      ;; each 32-bit lane: bytes b1 b0 b2 b1 of its three input bytes
      (local.set $spread
        (i8x16.shuffle 1 0 2 1 4 3 5 4 7 6 8 7 10 9 11 10
          (v128.load (i32.mul (local.get $b) (i32.const 12)))
          (v128.const i64x2 0 0)))
      ;; low half (b0 << 8 | b1) holds fields 0 and 1, high half (b1 << 8 | b2) fields 2, 3
      (v128.store offset=65536 (i32.shl (local.get $b) (i32.const 4))
        (call $letters
          (v128.bitselect
            (v128.or
              (v128.and (i16x8.shr_u (local.get $spread) (i32.const 10)) (local.get $six))
              (i16x8.shl (v128.and (i16x8.shr_u (local.get $spread) (i32.const 4)) (local.get $six))
                (i32.const 8)))
            (v128.or
              (v128.and (i16x8.shr_u (local.get $spread) (i32.const 6)) (local.get $six))
              (i16x8.shl (v128.and (local.get $spread) (local.get $six)) (i32.const 8)))
            (v128.const i32x4 0xffff 0xffff 0xffff 0xffff))))
      (br_if $next
        (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1))) (i32.const 4096)))))

  ;; The sum of the output bytes.
  (func $sum (result i32) (local $i i32) (local $s v128)
    (loop $next
      (local.set $s
        (i32x4.add (local.get $s)
          (i32x4.extadd_pairwise_i16x8_u
            (i16x8.extadd_pairwise_i8x16_u (v128.load offset=65536 (local.get $i))))))
      (br_if $next
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (i32.const 65536))))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $s)) (i32x4.extract_lane 1 (local.get $s)))
      (i32.add (i32x4.extract_lane 2 (local.get $s)) (i32x4.extract_lane 3 (local.get $s)))))

  (func (export "run") (param $n i32) (result i32)
    (local $p i32) (local $acc i32) (local $at i32)
    (call $init)
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $pass
        (local.set $at (i32.rem_u (i32.mul (local.get $p) (i32.const 7919)) (i32.const 49152)))
        (i32.store8 (local.get $at)
          (i32.xor (i32.load8_u (local.get $at)) (i32.and (local.get $p) (i32.const 0xff))))
        (call $encode)
        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (call $sum)))
        (br_if $pass
          (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $n)))))
    (i32.and (local.get $acc) (i32.const 0x7fffffff))))
