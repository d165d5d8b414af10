;; A local read lazily and then overwritten while its old value is still on the stack: the old
;; value must be copied out first.
(module
  (func $old_plus_new (param $x i32) (result i32)
    (local.get $x)
    (local.set $x (i32.const 5))
    (local.get $x)
    (i32.add)))
