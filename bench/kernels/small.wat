;; A tiny module for start-up measurements: one function.
;;
;; export:   add(a: i32, b: i32) -> i32
;; default:  add(1, 2) = 3
(module
  (func (export "add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b))))
