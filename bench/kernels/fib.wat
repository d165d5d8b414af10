;; Kernel `fib`: naive doubly recursive Fibonacci (call- and return-heavy, tiny frames).
;;
;; export:   fib(n: i32) -> i32      fib(0) = 0, fib(1) = 1, fib(n) = fib(n-1) + fib(n-2)
;; default:  fib(32) = 2178309       (7_049_155 calls; the result fits in 31 bits up to n = 46)
(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
