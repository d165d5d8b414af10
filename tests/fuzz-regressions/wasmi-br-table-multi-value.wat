;; A wasmi discrepancy, not a tierup bug: kept so that the regression run always exercises
;; the V8 arbitration path (and so that tierup stays right on this shape of code).
;;
;; Found by an earlier ad-hoc differential fuzzer: wasmi 2.0.0 returns wrong values from a
;; `br_table` that carries two values out of a block whose inner block took a parameter.
;; tierup and V8 agree: `f1(x)` returns `(7, 410898309)` whatever the branch index `x`.
(module
  (func (export "f1") (param i32) (result i32 i32)
    block (result i32 i32)
      local.get 0
      i32.const 2
      i32.const 7
      local.get 0
      block (param i32) (result i32 i32)
        local.set 0
        i32.const 410898309
        local.get 0
      end
      br_table 1 0
    end
  )
)
