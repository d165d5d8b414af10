;; Kernel `calls`: many small, non-inlined calls; one in six goes through `call_indirect`.
;;
;; export:   run(n: i32) -> i32
;; Each of the n iterations calls $step, which makes five more calls (two levels deep):
;;     acc = op_add(acc, i)                       direct
;;     acc = mix(acc, i)                          direct; mix calls op_xor and rotl5
;;     acc = table[i & 3](acc, i)                 call_indirect: add, sub, xor, mul(acc, i | 1)
;; where mix(a, b) = rotl(((a ^ b) + 0x9E3779B9), 5). The result is acc & 0x7fff_ffff.
;; default:  run(3_000_000) = 231434138        (18_000_000 calls)
(module
  (type $binop (func (param i32 i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $op_add $op_sub $op_xor $op_mul)

  (func $op_add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $op_sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $op_xor (type $binop) (i32.xor (local.get 0) (local.get 1)))
  (func $op_mul (type $binop) (i32.mul (local.get 0) (i32.or (local.get 1) (i32.const 1))))

  (func $rotl5 (param $v i32) (result i32)
    (i32.rotl (local.get $v) (i32.const 5)))

  (func $mix (param $a i32) (param $b i32) (result i32)
    (call $rotl5
      (i32.add (call $op_xor (local.get $a) (local.get $b)) (i32.const 0x9E3779B9))))

  (func $step (param $acc i32) (param $i i32) (result i32)
    (local.set $acc (call $op_add (local.get $acc) (local.get $i)))
    (local.set $acc (call $mix (local.get $acc) (local.get $i)))
    (call_indirect (type $binop)
      (local.get $acc) (local.get $i)
      (i32.and (local.get $i) (i32.const 3))))

  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
      (loop $next
        (local.set $acc (call $step (local.get $acc) (local.get $i)))
        (br_if $next
          (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
    (i32.and (local.get $acc) (i32.const 0x7fffffff))))
