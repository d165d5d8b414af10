;; Multi-memory: an access to memory 1 sits between `UseMemory 1` and `UseMemory 0`, so every
;; other instruction keeps seeing memory 0; size, grow and the bulk operations name their
;; memories.
(module
  (memory 1)
  (memory $other 2)
  ;; Copies a word from memory 1 to memory 0 and returns memory 1's size plus the word.
  (func (export "copy_across") (param $addr i32) (result i32)
    (i32.store (local.get $addr) (i32.load $other (local.get $addr)))
    (i32.add (memory.size $other) (i32.load (local.get $addr))))
  ;; Grows memory 1, then copies 16 bytes from memory 1 to memory 0 and fills memory 1.
  (func (export "bulk") (param $n i32) (result i32)
    (drop (memory.grow $other (local.get $n)))
    (memory.copy 0 $other (i32.const 0) (i32.const 16) (i32.const 16))
    (memory.fill $other (i32.const 0) (i32.const 7) (i32.const 16))
    (i32.load $other (i32.const 0))))
