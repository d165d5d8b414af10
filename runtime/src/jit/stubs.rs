//! The runtime's own machine code: small stubs that connect the tiers, all assembled with
//! dynasm (no hand-encoded bytes).
//!
//! Register conventions, in one place (System V otherwise: `rdi` = vmctx and `rsi` = fp on
//! every tier-ABI entry, DESIGN.md §3):
//! - **Interpreter stubs** ([`interp_stubs`]): defined function `i`'s stub, at
//!   `INTERP_STUB_SIZE * i`, is `mov edx, i; jmp common`. `common` calls the
//!   `interp_entry(vmctx = rdi, fp = rsi, func = edx)` libcall through the vmctx's table and
//!   turns a non-zero status into a trap at its "propagate" site (`ud2`, registered as a trap
//!   site whose status is in `eax`). So every code-table entry is callable from machine code,
//!   whatever the function's tier.
//! - **Raise routine** (after the stubs): optimized code calls it with a non-zero status in
//!   `edi`; it builds a frame record (`push rbp; mov rbp, rsp`, so the backtrace walk reaches
//!   the caller), moves the status to `eax` and falls into the propagate site.
//! - **Attention stub** (after the raise routine): optimized code in an engine with epoch
//!   interruption calls it, with vmctx in `rdi`, when the store's attention flag is set. It
//!   follows Cranelift's `preserve_all` convention (every register but `rsp` and the flags is
//!   as before: it saves the caller-saved general-purpose registers and all 16 `xmm`
//!   registers), so the rarely taken call on a loop's back-edge costs the loop no registers.
//!   It calls the `attention` libcall; a non-zero status goes to the propagate site from the
//!   stub's own frame record (as the raise routine does), else it returns.
//! - **OSR dispatch stubs** ([`osr_dispatch`]): the optimizer's OSR entry of a function takes
//!   the loop to enter as a third argument; the stub for loop `k` is `mov edx, k; jmp entry`,
//!   a tier-ABI entry (`rdi`, `rsi` untouched) for the activation to jump to.
//!
//! Baseline code has its own fixed registers (`rbx` = fp, `r15` = vmctx, `r14` = memory 0,
//! `r13` = countdown, `r12` = interrupt flag); they are the baseline's masm's business.

use dynasmrt::x64::X64Relocation;
use dynasmrt::{DynasmApi, DynasmLabelApi, VecAssembler, dynasm};
use tierup_abi::vmctx::offsets as off;
use tierup_abi::{INTERP_STUB_SIZE, Libcall};

/// Where things are in the code [`interp_stubs`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StubLayout {
    /// The propagate site (a trap site whose status is in `eax`).
    pub(crate) propagate: u32,
    /// The raise routine.
    pub(crate) raise: u32,
    /// The attention stub.
    pub(crate) attention: u32,
}

/// Assembles the interpreter stubs of `defined` functions, then the raise routine (see the
/// module docs).
pub(crate) fn interp_stubs(defined: u32) -> (Vec<u8>, StubLayout) {
    let mut ops: VecAssembler<X64Relocation> = VecAssembler::new(0);
    let common = ops.new_dynamic_label();
    for func in 0..defined {
        let start = ops.offset().0;
        dynasm!(ops ; .arch x64 ; mov edx, func as i32 ; jmp =>common);
        while ops.offset().0 < start + INTERP_STUB_SIZE {
            dynasm!(ops ; .arch x64 ; int3);
        }
    }
    let interp_entry = Libcall::interp_entry().offset() as i32;
    dynasm!(ops
        ; .arch x64
        ; =>common
        ; push rbp
        ; mov rbp, rsp
        ; mov rax, [rdi + off::LIBCALLS as i32]
        ; call QWORD [rax + interp_entry]
        ; test eax, eax
        ; jnz >propagate
        ; pop rbp
        ; ret
    );
    let raise = ops.offset().0 as u32;
    dynasm!(ops
        ; .arch x64
        ; push rbp
        ; mov rbp, rsp
        ; mov eax, edi
        ; propagate:
    );
    let propagate = ops.offset().0 as u32;
    dynasm!(ops ; .arch x64 ; ud2);
    let attention = ops.offset().0 as u32;
    emit_attention_stub(&mut ops);
    let code = ops.finalize().expect("the interpreter stubs assemble");
    (
        code,
        StubLayout {
            propagate,
            raise,
            attention,
        },
    )
}

/// The caller-saved general-purpose registers of System V, which the attention stub saves.
const CALLER_SAVED: [u8; 9] = [0, 1, 2, 6, 7, 8, 9, 10, 11]; // rax rcx rdx rsi rdi r8-r11

/// Bytes below the saved general-purpose registers: the 16 `xmm` registers and 8 bytes that
/// align the stack to 16 for the libcall (entered at 8 mod 16, `rbp` and 9 registers pushed).
const XMM_SAVE: i32 = 16 * 16 + 8;

/// The attention stub (see the module docs), assembled at the current offset of `ops`, after
/// the propagate site (the local label `propagate`).
// dynasm's dynamic registers (`Rq(r)`, `Rx(x)`) expand to `r.into()`.
#[allow(clippy::useless_conversion)]
fn emit_attention_stub(ops: &mut VecAssembler<X64Relocation>) {
    let attention = Libcall::attention().offset() as i32;
    dynasm!(ops ; .arch x64 ; push rbp ; mov rbp, rsp);
    for &r in &CALLER_SAVED {
        dynasm!(ops ; .arch x64 ; push Rq(r));
    }
    dynasm!(ops ; .arch x64 ; sub rsp, XMM_SAVE);
    for x in 0..16u8 {
        dynasm!(ops ; .arch x64 ; movdqu [rsp + 16 * x as i32], Rx(x));
    }
    dynasm!(ops
        ; .arch x64
        ; mov rax, [rdi + off::LIBCALLS as i32]
        ; call QWORD [rax + attention]
        ; test eax, eax
        ; jnz >trap
    );
    for x in 0..16u8 {
        dynasm!(ops ; .arch x64 ; movdqu Rx(x), [rsp + 16 * x as i32]);
    }
    dynasm!(ops ; .arch x64 ; add rsp, XMM_SAVE);
    for &r in CALLER_SAVED.iter().rev() {
        dynasm!(ops ; .arch x64 ; pop Rq(r));
    }
    // On a status: it is in `eax` and `rbp` is this stub's frame record, whose return address
    // is the call site in the optimized code: what the propagate site expects.
    dynasm!(ops ; .arch x64 ; pop rbp ; ret ; trap: ; jmp <propagate);
}

/// Appends to `entry` (an OSR entry compiled by the optimizer, entered at offset 0 with the
/// loop index in `edx`) one 16-byte-aligned dispatch stub per loop (see the module docs).
/// Returns the code and each stub's offset in it.
pub(crate) fn osr_dispatch(entry: &[u8], loops: usize) -> (Vec<u8>, Vec<usize>) {
    let mut ops: VecAssembler<X64Relocation> = VecAssembler::new(0);
    let start = ops.new_dynamic_label();
    dynasm!(ops ; .arch x64 ; =>start);
    ops.extend(entry);
    let mut stubs = Vec::with_capacity(loops);
    for k in 0..loops {
        while !ops.offset().0.is_multiple_of(16) {
            dynasm!(ops ; .arch x64 ; int3);
        }
        stubs.push(ops.offset().0);
        dynasm!(ops ; .arch x64 ; mov edx, k as i32 ; jmp =>start);
    }
    let code = ops.finalize().expect("OSR dispatch stubs assemble");
    (code, stubs)
}

/// Bytes of one veneer of [`cell_veneers`].
pub(crate) const VENEER_SIZE: usize = 16;

/// One veneer per native-entry cell address in `cells`, each [`VENEER_SIZE`] bytes: a jump
/// through the cell (`movabs r11, cell; jmp [r11]`). Published with optimized code whose
/// direct calls cannot be linked to their callee's optimized code (see
/// `ModuleJit::publish_opt`); `r11` is free at a call (it is caller-saved and passes no
/// argument), and the callee finds its arguments and return address as a direct call leaves
/// them.
pub(crate) fn cell_veneers(cells: &[usize]) -> Vec<u8> {
    let mut ops: VecAssembler<X64Relocation> = VecAssembler::new(0);
    for &cell in cells {
        let start = ops.offset().0;
        dynasm!(ops ; .arch x64 ; mov r11, QWORD cell as i64 ; jmp QWORD [r11]);
        while ops.offset().0 < start + VENEER_SIZE {
            dynasm!(ops ; .arch x64 ; int3);
        }
        debug_assert_eq!(ops.offset().0, start + VENEER_SIZE);
    }
    ops.finalize().expect("veneers assemble")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_veneer_jumps_through_its_cell() {
        let cells = [0x1122_3344_5566_7788_usize, 0x10];
        let code = cell_veneers(&cells);
        assert_eq!(code.len(), 2 * VENEER_SIZE);
        for (k, &cell) in cells.iter().enumerate() {
            let v = &code[k * VENEER_SIZE..(k + 1) * VENEER_SIZE];
            // movabs r11, imm64; jmp qword [r11]; int3 padding
            assert_eq!(v[..2], [0x49, 0xbb]);
            assert_eq!(v[2..10], (cell as u64).to_le_bytes());
            assert_eq!(v[10..13], [0x41, 0xff, 0x23]);
            assert!(v[13..].iter().all(|&b| b == 0xcc));
        }
    }

    #[test]
    fn interp_stubs_have_a_fixed_size_and_pass_the_function_in_edx() {
        let (code, layout) = interp_stubs(3);
        for func in 0..3u32 {
            let at = func as usize * INTERP_STUB_SIZE;
            // mov edx, imm32
            assert_eq!(code[at], 0xba);
            assert_eq!(code[at + 1..at + 5], func.to_le_bytes());
        }
        assert!(layout.raise as usize >= 3 * INTERP_STUB_SIZE);
        assert_eq!(&code[layout.propagate as usize..][..2], &[0x0f, 0x0b]);
    }

    #[test]
    fn osr_stubs_pass_the_loop_and_jump_to_the_entry() {
        let entry = [0x90u8; 21];
        let (code, stubs) = osr_dispatch(&entry, 2);
        assert_eq!(&code[..21], &entry);
        for (k, &at) in stubs.iter().enumerate() {
            assert_eq!(at % 16, 0);
            assert_eq!(code[at], 0xba);
            assert_eq!(code[at + 1..at + 5], (k as u32).to_le_bytes());
            // jmp rel32 back to offset 0
            assert_eq!(code[at + 5], 0xe9);
            let rel = i32::from_le_bytes(code[at + 6..at + 10].try_into().unwrap());
            assert_eq!(at as i64 + 10 + i64::from(rel), 0);
        }
    }
}
