;; Small functions for the CLI tests (`tierup run --invoke ...`).
(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "neg_i64") (param i64) (result i64)
    (i64.sub (i64.const 0) (local.get 0)))
  (func (export "add_f64") (param f64 f64) (result f64)
    (f64.add (local.get 0) (local.get 1)))
  (func (export "div_f32") (param f32 f32) (result f32)
    (f32.div (local.get 0) (local.get 1)))
  (func (export "pair") (param i32) (result i32 f32)
    (local.get 0) (f32.const 1.5))
  (func (export "null_ref") (result externref)
    (ref.null extern))
  (global (export "answer") i32 (i32.const 42)))
