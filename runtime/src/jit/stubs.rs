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
    let code = ops.finalize().expect("the interpreter stubs assemble");
    (code, StubLayout { propagate, raise })
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

#[cfg(test)]
mod tests {
    use super::*;

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
