;; Multi-value: a swap that must not clobber its own sources, block parameters, and select.
(module
  (func $swap (param i32 i32) (result i32 i32)
    (local.get 1) (local.get 0))
  (func $block_params (param i32) (result i32)
    (local.get 0) (i32.const 1)
    (block (param i32 i32) (result i32) (i32.add)))
  (func $max (param i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (i32.gt_s (local.get 0) (local.get 1)))))
