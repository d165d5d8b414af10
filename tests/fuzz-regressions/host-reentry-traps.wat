;; Host boundary in every tier mode (not a fuzz crash: a fixed module the generated ones
;; reach only by chance). `a` calls `host.reenter`, which calls export number `x % 4` of this
;; instance (host -> wasm -> host -> wasm, up to 3 deep) with arguments derived from `x`;
;; `b` traps (odd argument) or has `host.trap_if` fail (argument a multiple of 3) inside
;; those nested calls, so traps and host errors unwind through host frames, and their
;; backtraces (function indices) are compared between tier modes; `c` and `d` pass
;; multi-value and v128 across the boundary.
(module
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (import "host" "trap_if" (func $trap_if (param i32) (result i32)))
  (import "host" "swap" (func $swap (param i32 i64) (result i64 i32)))
  (import "host" "v128" (func $v128 (param v128 i32) (result v128)))
  (import "host" "mix" (func $mix (param i64 f32 f64) (result f64)))
  (func $a (export "a") (param i32) (result i32)
    local.get 0
    call $reenter
    local.get 0
    i32.const 7
    i32.mul
    call $reenter
    i32.add)
  (func $b (export "b") (param i32) (result i32)
    local.get 0
    i32.const 1
    i32.and
    if
      unreachable
    end
    local.get 0
    call $trap_if)
  (func (export "c") (param i32 i64) (result i64 i32)
    local.get 0
    local.get 1
    call $swap
    local.get 0
    call $reenter
    i32.add)
  (func (export "d") (param v128 i32) (result v128 f64)
    local.get 0
    local.get 1
    call $v128
    local.get 1
    i64.extend_i32_u
    local.get 1
    f32.convert_i32_s
    f64.const 0.25
    call $mix))
