;; Kernel `br_table`: the dispatch loop of a tiny bytecode VM, one `br_table` per instruction.
;;
;; The VM has a program counter and three registers (acc, x, cnt), all starting at 0.
;; Opcodes are one byte, some with a one-byte immediate `imm`:
;;   0 HALT            return acc & 0x7fff_ffff
;;   1 LOADN           cnt = n
;;   2 ADDI imm        acc += imm
;;   3 MULI imm        acc *= imm
;;   4 XORX            acc ^= x
;;   5 SETX            x += acc
;;   6 SHR  imm        acc ^= acc >>u imm
;;   7 DEC             cnt -= 1
;;   8 JNZ  imm        if cnt != 0 { pc = imm }
;;   9 JZ   imm        if cnt == 0 { pc = imm }
;;   anything else     trap (unreachable)
;; The program (at address 0) runs its 7-instruction loop body n times:
;;    0: LOADN
;;    1: JZ 14
;;    3: ADDI 7         <- loop
;;    5: MULI 33
;;    7: XORX
;;    8: SHR 13
;;   10: SETX
;;   11: DEC
;;   12: JNZ 3
;;   14: HALT
;;
;; export:   run(n: i32) -> i32      (n < 0 counts as a huge unsigned n)
;; default:  run(3_000_000) = 943342844       (21_000_003 dispatches)
(module
  (memory 1)
  (data (i32.const 0) "\01\09\0e\02\07\03\21\04\06\0d\05\07\08\03\00")

  (func (export "run") (param $n i32) (result i32)
    (local $pc i32) (local $acc i32) (local $x i32) (local $cnt i32)
    (loop $dispatch
      (block $bad
      (block $jz
      (block $jnz
      (block $dec
      (block $shr
      (block $setx
      (block $xorx
      (block $muli
      (block $addi
      (block $loadn
      (block $halt
        (br_table $halt $loadn $addi $muli $xorx $setx $shr $dec $jnz $jz $bad
          (i32.load8_u (local.get $pc))))
        ;; 0 HALT
        (return (i32.and (local.get $acc) (i32.const 0x7fffffff))))
        ;; 1 LOADN
        (local.set $cnt (local.get $n))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $dispatch))
        ;; 2 ADDI imm
        (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset=1 (local.get $pc))))
        (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
        (br $dispatch))
        ;; 3 MULI imm
        (local.set $acc (i32.mul (local.get $acc) (i32.load8_u offset=1 (local.get $pc))))
        (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
        (br $dispatch))
        ;; 4 XORX
        (local.set $acc (i32.xor (local.get $acc) (local.get $x)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $dispatch))
        ;; 5 SETX
        (local.set $x (i32.add (local.get $x) (local.get $acc)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $dispatch))
        ;; 6 SHR imm
        (local.set $acc
          (i32.xor (local.get $acc)
            (i32.shr_u (local.get $acc) (i32.load8_u offset=1 (local.get $pc)))))
        (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
        (br $dispatch))
        ;; 7 DEC
        (local.set $cnt (i32.sub (local.get $cnt) (i32.const 1)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $dispatch))
        ;; 8 JNZ imm
        (local.set $pc
          (if (result i32) (local.get $cnt)
            (then (i32.load8_u offset=1 (local.get $pc)))
            (else (i32.add (local.get $pc) (i32.const 2)))))
        (br $dispatch))
        ;; 9 JZ imm
        (local.set $pc
          (if (result i32) (local.get $cnt)
            (then (i32.add (local.get $pc) (i32.const 2)))
            (else (i32.load8_u offset=1 (local.get $pc)))))
        (br $dispatch))
      ;; an unknown opcode branches to $bad and falls out of the dispatch loop
      )
    (unreachable)))
