;; Loads at `x + k` (`I32Load8UDisp`, `I32Load16UDisp`, `I32LoadDisp`: the add of a constant
;; joined to the load, the sum wrapping as the `i32.add` did): zlib's unrolled byte compares;
;; and two that stay apart: a load with a static offset of its own, and a sum kept in a local
;; (`local.tee`).
(module
  (memory 1)
  (func $compare (param $p i32) (param $q i32) (result i32)
    (i32.ne
      (i32.load8_u (i32.add (local.get $p) (i32.const 3)))
      (i32.load8_u (i32.add (local.get $q) (i32.const 3)))))
  (func $wide (param $p i32) (result i32)
    (i32.add
      (i32.load16_u (i32.add (local.get $p) (i32.const -2)))
      (i32.load (i32.add (local.get $p) (i32.const 8)))))
  (func $own_offset (param $p i32) (result i32)
    (i32.load8_u offset=4 (i32.add (local.get $p) (i32.const 3))))
  (func $kept (param $p i32) (result i32)
    (i32.load8_u (local.tee $p (i32.add (local.get $p) (i32.const 3))))))
