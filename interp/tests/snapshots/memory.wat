;; Loads and stores with static offsets, a store of an immediate, memory.grow.
(module
  (memory 1)
  (func $copy_word (param $src i32) (param $dst i32)
    (i32.store offset=4 (local.get $dst) (i32.load offset=8 (local.get $src))))
  (func $clear (param $p i32)
    (i64.store (local.get $p) (i64.const 0)))
  (func $grow (result i32)
    (memory.grow (i32.const 1))))
