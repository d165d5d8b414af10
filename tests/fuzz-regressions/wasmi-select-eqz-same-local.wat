;; A wasmi discrepancy, not a tierup bug (found by this fuzzer, seed 1000939, then reduced).
;;
;; wasmi 2.0.0 gets `select` wrong when its condition is `i32.eqz` of the very local that is
;; also the second operand: for x = 5 the condition is 0, so the result is x = 5, but wasmi
;; returns 1. (With x = 0 both give 1.) tierup and V8 return 5. In generated code this shows
;; up as a spurious `integer divide by zero`: wasm-smith guards divisors with exactly this
;; `select(1, x, eqz x)` pattern.
(module
  (func (export "f") (param i32) (result i32)
    i32.const 1
    local.get 0
    local.get 0
    i32.eqz
    select))
