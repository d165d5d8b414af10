;; Load-and-add pairs (`I32Load8UAdd`, `I32LoadAdd`: `sum += p[i]`): a byte sum and a word
;; sum with the add's operands the other way round (both fused); a load whose address the
;; instruction before it just computed (not fused: it keeps its accumulator form,
;; `I32Load8UAcc`, since the pair would read the address back from its slot); two loads
;; added together (a load pair, never split by a load-and-add pair).
(module
  (memory 1)
  (func $sum8 (param $p i32) (param $n i32) (result i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s))
  (func $sum32 (param $p i32) (param $s i32) (result i32)
    (i32.add (i32.load offset=8 (local.get $p)) (local.get $s)))
  (func $computed_address (param $i i32) (param $s i32) (result i32)
    (i32.add (local.get $s) (i32.load8_u (i32.and (local.get $i) (i32.const 255)))))
  (func $two (param $a i32) (param $b i32) (result i32)
    (i32.add (i32.load (local.get $a)) (i32.load (local.get $b)))))
