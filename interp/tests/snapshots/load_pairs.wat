;; Pair fusions of this round: `x + (y ^ z)` (`I32XorAdd`, the second an `I32Add`), and
;; neighbouring `i32.load`s (`I32LoadPair`): a dot product's inner loop, a chain of three
;; loads (only the first two pair), a load of a loaded address (not paired: the second
;; becomes an accumulator form), loads of another memory (bracketed by `UseMemory`, never
;; neighbours).
(module
  (memory 1)
  (memory $m1 1)
  (func $mix (param $x i32) (param $y i32) (param $i i32) (result i32)
    (i32.add (i32.mul (local.get $y) (i32.const 31)) (i32.xor (local.get $x) (local.get $i))))
  (func $dot (param $a i32) (param $b i32) (param $n i32) (result i32) (local $sum i32)
    (loop $l
      (local.set $sum (i32.add (local.get $sum)
        (i32.mul (i32.load (local.get $a)) (i32.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br_if $l (i32.ne (local.tee $n (i32.sub (local.get $n) (i32.const 1))) (i32.const 0))))
    (local.get $sum))
  (func $three (param $p i32) (result i32)
    (i32.add (i32.load (local.get $p))
             (i32.add (i32.load offset=4 (local.get $p)) (i32.load offset=8 (local.get $p)))))
  (func $chase (param $p i32) (result i32)
    (i32.load (i32.load (local.get $p))))
  (func $other_memory (param $p i32) (result i32)
    (i32.add (i32.load $m1 (local.get $p)) (i32.load $m1 offset=4 (local.get $p)))))
