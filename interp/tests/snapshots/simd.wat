;; SIMD: a `v128` takes two slots. A loop accumulating 16-byte loads (the baseline keeps the
;; accumulator in an `xmm` register within the body, written through to its slots), lanes,
;; splats, a constant from the pool, a shuffle, float `min` (NaN and ±0 fix-ups), `select`,
;; a `v128` global, a lane store and a relaxed operation with its third operand in `Extra`.
(module
  (memory 1)
  (global $g (mut v128) (v128.const i64x2 0 0))
  (func $sum (param $p i32) (param $n i32) (result i32) (local $acc v128)
    (loop $top
      (local.set $acc (i32x4.add (local.get $acc) (v128.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc))))
  (func $lanes (param $x i32) (param $f f32) (result v128)
    (f32x4.replace_lane 1
      (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31
        (i16x8.splat (local.get $x))
        (v128.const i32x4 1 2 3 4))
      (local.get $f)))
  (func $min (param $a v128) (param $b v128) (result v128)
    (f32x4.min (local.get $a) (local.get $b)))
  (func $pick (param $a v128) (param $b v128) (param $c i32)
    (global.set $g (select (local.get $a) (local.get $b) (local.get $c)))
    (v128.store32_lane 2 (i32.const 64) (global.get $g)))
  (func $madd (param $a v128) (param $b v128) (param $c v128) (result v128)
    (f32x4.relaxed_madd (local.get $a) (local.get $b) (local.get $c))))
