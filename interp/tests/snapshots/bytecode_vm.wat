;; A bytecode VM's dispatch: the `i32.load8_u` of its `pc` fuses with the `br_table` it indexes
;; (`I32Load8UBrTable`), and the back-edges run that loop header themselves
;; (`IncBrLoad8UBrTable` after `pc += k`, `BrLoad8UBrTableAcc` when the instruction before
;; wrote `pc`, `BrLoad8UBrTable` otherwise).
(module
  (memory (export "memory") 1)
  ;; The program, at address 16 (the VM reads `offset=16` from its `pc`):
  ;;   0: ADD 5 | 2: DEC | 3: JNZ 0 | 5: NOP (0xff) | 6: NOP (5) | 7: JMP 11 | 9: ADD 99
  ;;  11: ADD 7 | 13: HALT
  (data (i32.const 16) "\01\05\02\03\00\ff\05\04\0b\01\63\01\07\00")
  ;; The last bytes of memory: NOPs, then the end.
  (data (i32.const 65528) "\ff\ff\ff\ff\ff\ff\ff\ff")
  ;; A tiny bytecode VM: opcodes 0 HALT (returns acc * 1000 + pc), 1 ADD imm (acc += imm),
  ;; 2 DEC (n -= 1), 3 JNZ imm (pc = imm if n != 0), 4 JMP imm (pc = imm, acc *= 2),
  ;; anything else NOP (the table's default).
  (func (export "vm") (param $pc i32) (param $n i32) (result i32) (local $acc i32)
    (loop $dispatch
      (block $nop (block $jmp (block $jnz (block $dec (block $add (block $halt
        (br_table $halt $add $dec $jnz $jmp $nop (i32.load8_u offset=16 (local.get $pc))))
        (return (i32.add (i32.mul (local.get $acc) (i32.const 1000)) (local.get $pc))))
        ;; ADD: `pc += 2; br` (a back-edge that increments the header's address)
        (local.set $acc (i32.add (local.get $acc) (i32.load8_u offset=17 (local.get $pc))))
        (local.set $pc (i32.add (local.get $pc) (i32.const 2)))
        (br $dispatch))
        ;; DEC
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $dispatch))
        ;; JNZ: the new `pc` is the value the back-edge finds at hand
        (local.set $pc
          (if (result i32) (local.get $n)
            (then (i32.load8_u offset=17 (local.get $pc)))
            (else (i32.add (local.get $pc) (i32.const 2)))))
        (br $dispatch))
        ;; JMP: a plain back-edge after a write of another slot
        (local.set $pc (i32.load8_u offset=17 (local.get $pc)))
        (local.set $acc (i32.mul (local.get $acc) (i32.const 2)))
        (br $dispatch))
      ;; NOP
      (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
      (br $dispatch))
    (unreachable)))
