;; br_table: a jump table of `Br`s; targets that carry a value get a stub that moves it.
(module
  (func $classify (param $x i32) (result i32)
    (block $b2 (result i32)
      (drop
        (block $b1 (result i32)
          (drop
            (block $b0 (result i32)
              (br_table $b0 $b1 $b2 (i32.const 99) (local.get $x))))
          (i32.const 10)))
      (i32.const 20))))
