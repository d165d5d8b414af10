//! x86-64 encodings: every instruction the baseline emits, written once, with dynasm over a
//! `VecAssembler`. Nothing outside this file and its child `x64/simd.rs` (the SSE sequences
//! of `v128` operations and the constant pool) writes machine code.
//!
//! This layer speaks registers ([`Gpr`], [`Xmm`]), frame slots (`[rbx + slot_offset(s)]`),
//! the fixed registers of the module docs of [`super`], and labels. It knows nothing of the
//! register cache: the [`Masm`](super::Masm) above it decides which registers to use and keeps
//! the cache's invariant. So that the masm can check that invariant, debug builds record which
//! general-purpose registers and which frame slots each encoding writes ([`Writes`]); every
//! function here that writes one says so with [`X64::wrote`] or [`X64::wrote_slots`].
//! Registers written by a callee are not recorded: the masm forgets the cache across calls.
//!
//! How an operand is spelled decides the encoding dynasm picks: a displacement or immediate
//! given as an expression always takes 32 bits, a literal may take fewer, `[rax]` has no
//! displacement at all, and a register chosen at run time (`Rq(r)`) always gets a REX prefix
//! where the same register named statically may not. The sequences keep the spelling they
//! were introduced with (the machine-code snapshots pin the bytes), so change one only with
//! the snapshot diff in view.

#![expect(
    clippy::useless_conversion,
    reason = "dynasm expands dynamic registers (`Rq(r)`) into `u8::from(r)`"
)]

mod simd;

use std::mem::offset_of;

use dynasmrt::x64::X64Relocation;
use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler, dynasm};
use tierup_abi::vmctx::offsets as off;
use tierup_abi::{
    DataSegmentRef, ElemSegmentRef, Libcall, SLOT_BYTES, WASM_PAGE_SIZE, slot_offset,
};

use super::{
    AluOp, Cond, DivRemOp, ExpectedType, ExtendOp, FloatCond, FloatOp, FloatSignOp, FloatUnaryOp,
    IntToFloat, LoadKind, Segment, ShiftOp, StoreKind, Width,
};
use crate::CpuFeatures;

/// A general-purpose register, by its x86-64 encoding number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gpr(u8);

impl Gpr {
    pub(crate) const RAX: Gpr = Gpr(0);
    pub(crate) const RCX: Gpr = Gpr(1);
    pub(crate) const RDX: Gpr = Gpr(2);
    pub(crate) const RSI: Gpr = Gpr(6);
    pub(crate) const RDI: Gpr = Gpr(7);
    pub(crate) const R8: Gpr = Gpr(8);
    pub(crate) const R9: Gpr = Gpr(9);
    pub(crate) const R10: Gpr = Gpr(10);
    pub(crate) const R11: Gpr = Gpr(11);

    /// The encoding number (0..16).
    pub(crate) fn number(self) -> usize {
        usize::from(self.0)
    }

    /// The register with encoding number `n` (0..16).
    pub(crate) fn from_number(n: u8) -> Gpr {
        debug_assert!(n < 16);
        Gpr(n)
    }
}

/// An SSE register, by its encoding number. `xmm0`, `xmm1`, `xmm14` and `xmm15` are fixed
/// temporaries, never cached: scalar float operations compute in `xmm0`/`xmm1`, SIMD
/// sequences use all four (`xmm0` is the implicit mask of SSE4.1's blends). The others cache
/// `v128`s (`regcache.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Xmm(u8);

impl Xmm {
    pub(crate) const XMM0: Xmm = Xmm(0);
    pub(crate) const XMM1: Xmm = Xmm(1);

    /// `xmm<number>` (0..16).
    pub(crate) const fn new(number: u8) -> Xmm {
        assert!(number < 16);
        Xmm(number)
    }

    /// The encoding number (0..16).
    pub(crate) fn number(self) -> usize {
        usize::from(self.0)
    }
}

/// Where an instruction reads a slot's value: a register holding a copy, or the slot itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A scratch register holding the slot's value.
    Reg(Gpr),
    /// The frame slot `[rbx + slot_offset(slot)]`.
    Frame(u32),
}

/// The second operand of a two-operand instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Src {
    /// A register.
    Reg(Gpr),
    /// A frame slot, read at the operation's width.
    Frame(u32),
    /// A sign-extended 32-bit immediate.
    Imm(i32),
}

impl Place {
    /// The register, for a cached slot.
    pub(crate) fn reg(self) -> Option<Gpr> {
        match self {
            Place::Reg(r) => Some(r),
            Place::Frame(_) => None,
        }
    }
}

impl From<Place> for Src {
    fn from(place: Place) -> Src {
        match place {
            Place::Reg(r) => Src::Reg(r),
            Place::Frame(slot) => Src::Frame(slot),
        }
    }
}

/// A shift or rotate count.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ShiftCount {
    /// An immediate (masked to the operand width, as wasm and x86 both do).
    Imm(i32),
    /// The low byte of `rcx`.
    Cl,
}

/// What the encodings wrote since the masm last looked (debug builds).
#[cfg(debug_assertions)]
#[derive(Debug, Default)]
pub(crate) struct Writes {
    /// General-purpose registers, one bit per encoding number.
    pub(crate) regs: u16,
    /// SSE registers, one bit per encoding number.
    pub(crate) xmms: u16,
    /// Frame slot ranges `(first, count)`.
    pub(crate) slots: Vec<(u32, u32)>,
}

/// The assembler: a `VecAssembler` and, in debug builds, the write log.
pub(crate) struct X64 {
    ops: VecAssembler<X64Relocation>,
    /// The optional instructions the CPU has.
    cpu: CpuFeatures,
    /// The constant pool: `v128` constants the code reads, emitted after it (`simd.rs`).
    consts: Vec<(u128, DynamicLabel)>,
    #[cfg(debug_assertions)]
    writes: Writes,
    /// Where the last unconditional `jmp` to a label (or `ret`) ended.
    jump_end: Option<u32>,
    /// The fixed registers this function's frame saves and uses.
    frame: FrameRegs,
    /// The out-of-line tier-up calls of the ticks, emitted at the end
    /// ([`X64::emit_hot_stubs`]) so that a tick whose countdown does not cross zero falls
    /// through (one untaken `js`).
    hot_stubs: Vec<HotStub>,
}

/// A tick's out-of-line call of the tier-up helper (see [`X64::tick_with`]): stores what the
/// call would clobber, calls `hot_helper` with `edx` = `osr_pc`, leaves for `osr_exit` when
/// the helper returns an address, reloads, and continues at `back`.
#[derive(Debug)]
struct HotStub {
    stub: DynamicLabel,
    back: DynamicLabel,
    hot_helper: DynamicLabel,
    osr_pc: i32,
    osr_exit: Option<DynamicLabel>,
    /// A pinned region's registers (stored before the call, reloaded after).
    reload: Option<TickReload>,
}

/// What a tick in a pinned loop region counts in and reloads after its calls: the countdown
/// register and the pinned `(register, slot)` pairs of both classes.
#[derive(Debug, Clone)]
pub(crate) struct TickReload {
    pub(crate) counter: Option<Gpr>,
    pub(crate) gprs: Vec<(Gpr, u32)>,
    pub(crate) xmms: Vec<(Xmm, u32)>,
}

/// Which fixed registers a function uses beyond `rbx` (fp) and `r15` (vmctx), which every
/// function uses; its prologue saves exactly these (and its epilogue restores them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameRegs {
    /// `r12` (the interrupt flag's address) and `r13` (the countdown's address): for the
    /// ticks of loop back-edges. A function without loops ticks once, at its entry, through
    /// scratch registers.
    pub(crate) ticks: bool,
    /// `r14` (the memory base): for a function of a module with a memory that accesses it
    /// (loads and stores; see `Codegen`'s `uses_memory_base`).
    pub(crate) memory: bool,
}

impl FrameRegs {
    /// Every fixed register.
    pub(crate) const ALL: FrameRegs = FrameRegs {
        ticks: true,
        memory: true,
    };

    /// How many registers the prologue pushes after `rbp`.
    fn pushes(self) -> u32 {
        2 + 2 * u32::from(self.ticks) + u32::from(self.memory)
    }
}

// One `[rax + rcx * 8]` operand indexes a table's element array: the scale is an element's
// size, one slot.
const _: () = assert!(SLOT_BYTES == 8);

/// The most slots [`X64::zero_slots`] zeroes with one `mov` each (more take `rep stosq`).
pub(crate) const ZERO_BY_MOVS: u32 = 16;

/// Bytes of a `jmp rel32`: the stride of a `br_table` jump table.
const JMP_REL32_BYTES: i32 = 5;
const _: () = assert!(
    JMP_REL32_BYTES == 5,
    "the table index is scaled by `rax + rax * 4`"
);

impl X64 {
    pub(crate) fn new(cpu: CpuFeatures) -> X64 {
        X64 {
            ops: VecAssembler::new(0),
            cpu,
            consts: Vec::new(),
            #[cfg(debug_assertions)]
            writes: Writes::default(),
            jump_end: None,
            frame: FrameRegs::ALL,
            hot_stubs: Vec::new(),
        }
    }

    /// Sets the fixed registers the function's frame saves (before its first prologue).
    pub(crate) fn set_frame(&mut self, frame: FrameRegs) {
        self.frame = frame;
    }

    /// The fixed registers the function's frame saves.
    pub(crate) fn frame(&self) -> FrameRegs {
        self.frame
    }

    /// The current code offset.
    pub(crate) fn offset(&self) -> u32 {
        self.ops.offset().0 as u32
    }

    pub(crate) fn new_label(&mut self) -> DynamicLabel {
        self.ops.new_dynamic_label()
    }

    /// Resolves the labels and returns the code.
    pub(crate) fn finalize(self) -> Result<Vec<u8>, String> {
        self.ops.finalize().map_err(|e| format!("{e:?}"))
    }

    // ---- the write log (debug builds) ----

    /// Records that the encoding being emitted writes `regs`.
    fn wrote(&mut self, regs: &[Gpr]) {
        #[cfg(debug_assertions)]
        for r in regs {
            self.writes.regs |= 1 << r.0;
        }
        #[cfg(not(debug_assertions))]
        let _ = regs;
    }

    /// Records that the encoding being emitted writes SSE registers `regs`.
    fn wrote_xmm(&mut self, regs: &[Xmm]) {
        #[cfg(debug_assertions)]
        for r in regs {
            self.writes.xmms |= 1 << r.0;
        }
        #[cfg(not(debug_assertions))]
        let _ = regs;
    }

    /// Records that the encoding being emitted writes slots `first..first + count`.
    fn wrote_slots(&mut self, first: u32, count: u32) {
        #[cfg(debug_assertions)]
        self.writes.slots.push((first, count));
        #[cfg(not(debug_assertions))]
        let _ = (first, count);
    }

    /// What was written since the last call.
    #[cfg(debug_assertions)]
    pub(crate) fn take_writes(&mut self) -> Writes {
        std::mem::take(&mut self.writes)
    }

    /// Whether the last instruction emitted is an unconditional `jmp` to a label or a `ret`
    /// (what follows is reached only through a label).
    pub(crate) fn ends_in_jump(&self) -> bool {
        self.jump_end == Some(self.offset())
    }

    // ---- labels, jumps, traps ----

    /// Pads with `int3`s (never executed: only after an unconditional jump) until the
    /// offset is `residue` modulo `modulus`.
    pub(crate) fn pad_to_residue(&mut self, residue: u32, modulus: u32) {
        while self.offset() % modulus != residue {
            self.ops.push(0xcc);
        }
    }

    /// Pads with `nop`s (the multi-byte forms, at most 9 bytes each) up to the next multiple
    /// of `align` bytes.
    pub(crate) fn align_with_nops(&mut self, align: u32) {
        const NOPS: [&[u8]; 9] = [
            &[0x90],
            &[0x66, 0x90],
            &[0x0f, 0x1f, 0x00],
            &[0x0f, 0x1f, 0x40, 0x00],
            &[0x0f, 0x1f, 0x44, 0x00, 0x00],
            &[0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
            &[0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
            &[0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
            &[0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
        ];
        let mut pad = self.offset().next_multiple_of(align) - self.offset();
        while pad > 0 {
            let n = pad.min(9);
            self.ops.extend(NOPS[n as usize - 1].iter().copied());
            pad -= n;
        }
    }

    /// Binds `label` here: code that follows is reachable through it (whatever precedes it).
    pub(crate) fn bind(&mut self, label: DynamicLabel) {
        dynasm!(self.ops ; .arch x64 ; =>label);
        self.jump_end = None;
    }

    /// `jmp` to the next instruction (`jmp rel8 0`): a taken branch that does nothing else.
    pub(crate) fn jump_to_next(&mut self) {
        const JUMP: [u8; super::JUMP_TO_NEXT_LEN as usize] = [0xeb, 0x00];
        self.ops.extend(JUMP);
    }

    pub(crate) fn jmp(&mut self, label: DynamicLabel) {
        dynasm!(self.ops ; .arch x64 ; jmp =>label);
        self.jump_end = Some(self.offset());
    }

    pub(crate) fn jcc(&mut self, cond: Cond, label: DynamicLabel) {
        match cond {
            Cond::Eq => dynasm!(self.ops ; .arch x64 ; je =>label),
            Cond::Ne => dynasm!(self.ops ; .arch x64 ; jne =>label),
            Cond::LtS => dynasm!(self.ops ; .arch x64 ; jl =>label),
            Cond::LtU => dynasm!(self.ops ; .arch x64 ; jb =>label),
            Cond::GtS => dynasm!(self.ops ; .arch x64 ; jg =>label),
            Cond::GtU => dynasm!(self.ops ; .arch x64 ; ja =>label),
            Cond::LeS => dynasm!(self.ops ; .arch x64 ; jle =>label),
            Cond::LeU => dynasm!(self.ops ; .arch x64 ; jbe =>label),
            Cond::GeS => dynasm!(self.ops ; .arch x64 ; jge =>label),
            Cond::GeU => dynasm!(self.ops ; .arch x64 ; jae =>label),
            Cond::Parity => dynasm!(self.ops ; .arch x64 ; jp =>label),
            Cond::NoParity => dynasm!(self.ops ; .arch x64 ; jnp =>label),
        }
    }

    /// `ud2`: the trapping instruction of every trap site.
    pub(crate) fn ud2(&mut self) {
        dynasm!(self.ops ; .arch x64 ; ud2);
    }

    /// `test eax, eax; jnz label`: leave for `label` when the status in `eax` is not 0.
    pub(crate) fn jump_if_status(&mut self, label: DynamicLabel) {
        dynasm!(self.ops ; .arch x64 ; test eax, eax ; jnz =>label);
    }

    /// Jumps to `targets[min(eax, targets.len() - 1)]` through a table of `jmp rel32`.
    /// Writes `rax` and `rcx`.
    pub(crate) fn jump_table(&mut self, targets: &[DynamicLabel]) {
        self.wrote(&[Gpr::RAX, Gpr::RCX]);
        let last = targets.len().saturating_sub(1) as i32;
        let table = self.ops.new_dynamic_label();
        dynasm!(self.ops
            ; .arch x64
            ; mov ecx, last
            ; cmp eax, ecx
            ; cmova eax, ecx
            ; lea rcx, [=>table]
            ; lea rax, [rax + rax * 4]
            ; add rcx, rax
            ; jmp rcx
            ; =>table
        );
        for &target in targets {
            // Always `jmp rel32` (JMP_REL32_BYTES per entry).
            dynasm!(self.ops ; .arch x64 ; jmp =>target);
        }
    }

    // ---- moves between registers, slots and immediates ----

    /// `mov dst, src` (a 32-bit move zero-extends).
    pub(crate) fn mov(&mut self, width: Width, dst: Gpr, src: Gpr) {
        self.wrote(&[dst]);
        match width {
            Width::W32 => dynasm!(self.ops ; .arch x64 ; mov Rd(dst.0), Rd(src.0)),
            Width::W64 => dynasm!(self.ops ; .arch x64 ; mov Rq(dst.0), Rq(src.0)),
        }
    }

    /// `mov dst, [slot]` (a 32-bit load zero-extends).
    pub(crate) fn load_slot(&mut self, width: Width, dst: Gpr, slot: u32) {
        self.wrote(&[dst]);
        let d = slot_offset(slot);
        match width {
            Width::W32 => dynasm!(self.ops ; .arch x64 ; mov Rd(dst.0), [rbx + d]),
            Width::W64 => dynasm!(self.ops ; .arch x64 ; mov Rq(dst.0), [rbx + d]),
        }
    }

    /// `mov [slot], src` (64 bits).
    pub(crate) fn store_slot(&mut self, slot: u32, src: Gpr) {
        self.wrote_slots(slot, 1);
        let d = slot_offset(slot);
        dynasm!(self.ops ; .arch x64 ; mov [rbx + d], Rq(src.0));
    }

    /// `mov QWORD [slot], imm` (sign-extended).
    pub(crate) fn store_slot_imm(&mut self, slot: u32, imm: i32) {
        self.wrote_slots(slot, 1);
        let d = slot_offset(slot);
        dynasm!(self.ops ; .arch x64 ; mov QWORD [rbx + d], imm);
    }

    /// `mov dst, imm64`.
    pub(crate) fn mov_imm64(&mut self, dst: Gpr, value: u64) {
        self.wrote(&[dst]);
        dynasm!(self.ops ; .arch x64 ; mov Rq(dst.0), QWORD value as i64);
    }

    /// `mov r32, imm` (zero-extended). The SysV argument registers are spelled statically:
    /// dynasm gives a register chosen at run time a REX prefix even when it needs none.
    pub(crate) fn mov_imm32(&mut self, dst: Gpr, imm: u32) {
        self.wrote(&[dst]);
        let imm = imm as i32;
        match dst {
            Gpr::RSI => dynasm!(self.ops ; .arch x64 ; mov esi, imm),
            Gpr::RDX => dynasm!(self.ops ; .arch x64 ; mov edx, imm),
            Gpr::RCX => dynasm!(self.ops ; .arch x64 ; mov ecx, imm),
            Gpr::R8 => dynasm!(self.ops ; .arch x64 ; mov r8d, imm),
            Gpr::R9 => dynasm!(self.ops ; .arch x64 ; mov r9d, imm),
            _ => dynasm!(self.ops ; .arch x64 ; mov Rd(dst.0), imm),
        }
    }

    /// `xor esi, esi`.
    pub(crate) fn zero_esi(&mut self) {
        self.wrote(&[Gpr::RSI]);
        dynasm!(self.ops ; .arch x64 ; xor esi, esi);
    }

    /// `mov rdi, r15`: the vmctx as the first argument.
    pub(crate) fn vmctx_to_rdi(&mut self) {
        self.wrote(&[Gpr::RDI]);
        dynasm!(self.ops ; .arch x64 ; mov rdi, r15);
    }

    /// `movq xmm, src` (64 bits; an f32 uses the low half).
    pub(crate) fn load_xmm(&mut self, dst: Xmm, src: Place) {
        match src {
            Place::Reg(s) => dynasm!(self.ops ; .arch x64 ; movq Rx(dst.0), Rq(s.0)),
            Place::Frame(slot) => {
                let d = slot_offset(slot);
                dynasm!(self.ops ; .arch x64 ; movq Rx(dst.0), [rbx + d]);
            }
        }
    }

    /// `movd r32, xmm` or `movq r64, xmm`.
    pub(crate) fn mov_from_xmm(&mut self, width: Width, dst: Gpr, src: Xmm) {
        self.wrote(&[dst]);
        match width {
            Width::W32 => dynasm!(self.ops ; .arch x64 ; movd Rd(dst.0), Rx(src.0)),
            Width::W64 => dynasm!(self.ops ; .arch x64 ; movq Rq(dst.0), Rx(src.0)),
        }
    }

    /// Zeroes slots `first..first + count`: one `mov` per slot for a few, `rep stosq` for
    /// more. Writes `rax` (and `rdi`, `rcx` for `rep stosq`).
    pub(crate) fn zero_slots(&mut self, first: u32, count: u32) {
        self.wrote_slots(first, count);
        let start = slot_offset(first);
        if count <= ZERO_BY_MOVS {
            self.wrote(&[Gpr::RAX]);
            dynasm!(self.ops ; .arch x64 ; xor eax, eax);
            for k in 0..count {
                let d = start + slot_offset(k);
                dynasm!(self.ops ; .arch x64 ; mov [rbx + d], rax);
            }
        } else {
            self.wrote(&[Gpr::RAX, Gpr::RCX, Gpr::RDI]);
            dynasm!(self.ops
                ; .arch x64
                ; lea rdi, [rbx + start]
                ; mov ecx, count as i32
                ; xor eax, eax
                ; rep stosq
            );
        }
    }

    // ---- compares and conditional moves ----

    /// `cmp lhs, rhs` at `width`.
    pub(crate) fn cmp(&mut self, width: Width, lhs: Gpr, rhs: Src) {
        let a = lhs.0;
        match (width, rhs) {
            (Width::W32, Src::Reg(s)) => dynasm!(self.ops ; .arch x64 ; cmp Rd(a), Rd(s.0)),
            (Width::W32, Src::Frame(slot)) => {
                let d = slot_offset(slot);
                dynasm!(self.ops ; .arch x64 ; cmp Rd(a), DWORD [rbx + d]);
            }
            (Width::W32, Src::Imm(imm)) => dynasm!(self.ops ; .arch x64 ; cmp Rd(a), imm),
            (Width::W64, Src::Reg(s)) => dynasm!(self.ops ; .arch x64 ; cmp Rq(a), Rq(s.0)),
            (Width::W64, Src::Frame(slot)) => {
                let d = slot_offset(slot);
                dynasm!(self.ops ; .arch x64 ; cmp Rq(a), QWORD [rbx + d]);
            }
            (Width::W64, Src::Imm(imm)) => dynasm!(self.ops ; .arch x64 ; cmp Rq(a), imm),
        }
    }

    /// `cmp [slot], imm` at `width` (the immediate sign-extended for 64).
    pub(crate) fn cmp_slot_imm(&mut self, width: Width, slot: u32, imm: i32) {
        let d = slot_offset(slot);
        match width {
            Width::W32 => dynasm!(self.ops ; .arch x64 ; cmp DWORD [rbx + d], imm),
            Width::W64 => dynasm!(self.ops ; .arch x64 ; cmp QWORD [rbx + d], imm),
        }
    }

    /// `setcc r8`.
    pub(crate) fn setcc(&mut self, cond: Cond, dst: Gpr) {
        self.wrote(&[dst]);
        let r = dst.0;
        match cond {
            Cond::Eq => dynasm!(self.ops ; .arch x64 ; sete Rb(r)),
            Cond::Ne => dynasm!(self.ops ; .arch x64 ; setne Rb(r)),
            Cond::LtS => dynasm!(self.ops ; .arch x64 ; setl Rb(r)),
            Cond::LtU => dynasm!(self.ops ; .arch x64 ; setb Rb(r)),
            Cond::GtS => dynasm!(self.ops ; .arch x64 ; setg Rb(r)),
            Cond::GtU => dynasm!(self.ops ; .arch x64 ; seta Rb(r)),
            Cond::LeS => dynasm!(self.ops ; .arch x64 ; setle Rb(r)),
            Cond::LeU => dynasm!(self.ops ; .arch x64 ; setbe Rb(r)),
            Cond::GeS => dynasm!(self.ops ; .arch x64 ; setge Rb(r)),
            Cond::GeU => dynasm!(self.ops ; .arch x64 ; setae Rb(r)),
            Cond::Parity => dynasm!(self.ops ; .arch x64 ; setp Rb(r)),
            Cond::NoParity => dynasm!(self.ops ; .arch x64 ; setnp Rb(r)),
        }
    }

    /// `and r8, t8` (`both`) or `or r8, t8`: combines two `setcc` results.
    pub(crate) fn combine_flags(&mut self, both: bool, dst: Gpr, other: Gpr) {
        self.wrote(&[dst]);
        if both {
            dynasm!(self.ops ; .arch x64 ; and Rb(dst.0), Rb(other.0));
        } else {
            dynasm!(self.ops ; .arch x64 ; or Rb(dst.0), Rb(other.0));
        }
    }

    /// `movzx r32, r8`.
    pub(crate) fn zero_extend_byte(&mut self, dst: Gpr) {
        self.wrote(&[dst]);
        dynasm!(self.ops ; .arch x64 ; movzx Rd(dst.0), Rb(dst.0));
    }

    /// `cmovz dst, src` (64 bits).
    pub(crate) fn cmovz(&mut self, dst: Gpr, src: Gpr) {
        self.wrote(&[dst]);
        dynasm!(self.ops ; .arch x64 ; cmovz Rq(dst.0), Rq(src.0));
    }

    // ---- integer arithmetic ----

    /// `dst = dst <op> src` at `width`.
    pub(crate) fn alu(&mut self, op: AluOp, width: Width, dst: Gpr, src: Src) {
        self.wrote(&[dst]);
        let r = dst.0;
        let ops = &mut self.ops;
        macro_rules! each {
            ($($op:ident => $mn:ident),*) => {
                match (op, width, src) {
                    $(
                    (AluOp::$op, Width::W32, Src::Imm(imm)) => dynasm!(ops ; .arch x64 ; $mn Rd(r), imm),
                    (AluOp::$op, Width::W64, Src::Imm(imm)) => dynasm!(ops ; .arch x64 ; $mn Rq(r), imm),
                    (AluOp::$op, Width::W32, Src::Reg(s)) => dynasm!(ops ; .arch x64 ; $mn Rd(r), Rd(s.0)),
                    (AluOp::$op, Width::W64, Src::Reg(s)) => dynasm!(ops ; .arch x64 ; $mn Rq(r), Rq(s.0)),
                    (AluOp::$op, Width::W32, Src::Frame(slot)) => {
                        let d = slot_offset(slot);
                        dynasm!(ops ; .arch x64 ; $mn Rd(r), DWORD [rbx + d]);
                    }
                    (AluOp::$op, Width::W64, Src::Frame(slot)) => {
                        let d = slot_offset(slot);
                        dynasm!(ops ; .arch x64 ; $mn Rq(r), QWORD [rbx + d]);
                    }
                    )*
                    (AluOp::Mul, Width::W32, Src::Imm(imm)) => dynasm!(ops ; .arch x64 ; imul Rd(r), Rd(r), imm),
                    (AluOp::Mul, Width::W64, Src::Imm(imm)) => dynasm!(ops ; .arch x64 ; imul Rq(r), Rq(r), imm),
                    (AluOp::Mul, Width::W32, Src::Reg(s)) => dynasm!(ops ; .arch x64 ; imul Rd(r), Rd(s.0)),
                    (AluOp::Mul, Width::W64, Src::Reg(s)) => dynasm!(ops ; .arch x64 ; imul Rq(r), Rq(s.0)),
                    (AluOp::Mul, Width::W32, Src::Frame(slot)) => {
                        let d = slot_offset(slot);
                        dynasm!(ops ; .arch x64 ; imul Rd(r), DWORD [rbx + d]);
                    }
                    (AluOp::Mul, Width::W64, Src::Frame(slot)) => {
                        let d = slot_offset(slot);
                        dynasm!(ops ; .arch x64 ; imul Rq(r), QWORD [rbx + d]);
                    }
                }
            };
        }
        each!(Add => add, Sub => sub, And => and, Or => or, Xor => xor);
    }

    /// `dst = lhs + src` at `width` with `lea` (no flags; `src` a register or an immediate,
    /// sign-extended at 64 bits): an addition into a register other than its operands'.
    pub(crate) fn lea_add(&mut self, width: Width, dst: Gpr, lhs: Gpr, src: Src) {
        self.wrote(&[dst]);
        let (d, l) = (dst.0, lhs.0);
        match (width, src) {
            (Width::W32, Src::Reg(s)) => {
                dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(l) + Rq(s.0)])
            }
            (Width::W64, Src::Reg(s)) => {
                dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(l) + Rq(s.0)])
            }
            (Width::W32, Src::Imm(imm)) => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(l) + imm]),
            (Width::W64, Src::Imm(imm)) => dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(l) + imm]),
            (_, Src::Frame(_)) => unreachable!("lea_add takes a register or an immediate"),
        }
    }

    /// `dst = base + (index << shift)` at 32 bits with `lea` (`shift` at most 3).
    pub(crate) fn lea_scaled32(&mut self, dst: Gpr, base: Gpr, index: Gpr, shift: u8) {
        self.wrote(&[dst]);
        let (d, b, i) = (dst.0, base.0, index.0);
        match shift {
            0 => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(b) + Rq(i)]),
            1 => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(b) + Rq(i) * 2]),
            2 => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(b) + Rq(i) * 4]),
            3 => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(b) + Rq(i) * 8]),
            _ => unreachable!("lea scales by at most 8"),
        }
    }

    /// `dst = dst <op> count` at `width`.
    pub(crate) fn shift(&mut self, op: ShiftOp, width: Width, dst: Gpr, count: ShiftCount) {
        self.wrote(&[dst]);
        let r = dst.0;
        let ops = &mut self.ops;
        macro_rules! each {
            ($($op:ident => $mn:ident),*) => {
                match (op, width, count) {
                    $(
                    (ShiftOp::$op, Width::W32, ShiftCount::Imm(imm)) => dynasm!(ops ; .arch x64 ; $mn Rd(r), (imm & 31) as i8),
                    (ShiftOp::$op, Width::W64, ShiftCount::Imm(imm)) => dynasm!(ops ; .arch x64 ; $mn Rq(r), (imm & 63) as i8),
                    (ShiftOp::$op, Width::W32, ShiftCount::Cl) => dynasm!(ops ; .arch x64 ; $mn Rd(r), cl),
                    (ShiftOp::$op, Width::W64, ShiftCount::Cl) => dynasm!(ops ; .arch x64 ; $mn Rq(r), cl),
                    )*
                }
            };
        }
        each!(Shl => shl, ShrS => sar, ShrU => shr, Rotl => rol, Rotr => ror);
    }

    /// `mov ecx, imm` or `mov rcx, imm` (sign-extended): a constant divisor.
    pub(crate) fn divisor_imm(&mut self, width: Width, imm: i32) {
        self.wrote(&[Gpr::RCX]);
        match width {
            Width::W32 => dynasm!(self.ops ; .arch x64 ; mov ecx, imm),
            Width::W64 => dynasm!(self.ops ; .arch x64 ; mov rcx, imm),
        }
    }

    /// Division or remainder of `rax` by `rcx` with wasm's traps (`div0` for a zero divisor,
    /// `overflow` for `MIN / -1`; `MIN % -1` is 0). Returns the register holding the result;
    /// writes `rax` and `rdx`.
    pub(crate) fn div_rem(
        &mut self,
        op: DivRemOp,
        width: Width,
        div0: DynamicLabel,
        overflow: DynamicLabel,
    ) -> Gpr {
        self.wrote(&[Gpr::RAX, Gpr::RDX]);
        match width {
            Width::W32 => dynasm!(self.ops ; .arch x64 ; test ecx, ecx ; jz =>div0),
            Width::W64 => dynasm!(self.ops ; .arch x64 ; test rcx, rcx ; jz =>div0),
        }
        match (op, width) {
            (DivRemOp::DivS, Width::W32) => {
                dynasm!(self.ops
                    ; .arch x64
                    ; cmp ecx, -1
                    ; jne >ok
                    ; cmp eax, i32::MIN
                    ; je =>overflow
                    ; ok:
                    ; cdq
                    ; idiv ecx
                );
                Gpr::RAX
            }
            (DivRemOp::DivS, Width::W64) => {
                dynasm!(self.ops
                    ; .arch x64
                    ; cmp rcx, -1
                    ; jne >ok
                    ; mov rdx, QWORD i64::MIN
                    ; cmp rax, rdx
                    ; je =>overflow
                    ; ok:
                    ; cqo
                    ; idiv rcx
                );
                Gpr::RAX
            }
            (DivRemOp::RemS, Width::W32) => {
                dynasm!(self.ops
                    ; .arch x64
                    ; cmp ecx, -1
                    ; jne >divide
                    ; xor edx, edx
                    ; jmp >done
                    ; divide:
                    ; cdq
                    ; idiv ecx
                    ; done:
                );
                Gpr::RDX
            }
            (DivRemOp::RemS, Width::W64) => {
                dynasm!(self.ops
                    ; .arch x64
                    ; cmp rcx, -1
                    ; jne >divide
                    ; xor edx, edx
                    ; jmp >done
                    ; divide:
                    ; cqo
                    ; idiv rcx
                    ; done:
                );
                Gpr::RDX
            }
            (DivRemOp::DivU, Width::W32) => {
                dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div ecx);
                Gpr::RAX
            }
            (DivRemOp::DivU, Width::W64) => {
                dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div rcx);
                Gpr::RAX
            }
            (DivRemOp::RemU, Width::W32) => {
                dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div ecx);
                Gpr::RDX
            }
            (DivRemOp::RemU, Width::W64) => {
                dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div rcx);
                Gpr::RDX
            }
        }
    }

    /// `rax = clz(rax)` at `width` (`bsr`, with the all-zero case from `rcx`). Writes `rax` and
    /// `rcx`.
    pub(crate) fn leading_zeros_rax(&mut self, width: Width) {
        self.wrote(&[Gpr::RAX, Gpr::RCX]);
        match width {
            Width::W32 => dynasm!(self.ops
                ; .arch x64
                ; mov ecx, -1
                ; bsr eax, eax
                ; cmovz eax, ecx
                ; neg eax
                ; add eax, 31
            ),
            Width::W64 => dynasm!(self.ops
                ; .arch x64
                ; mov rcx, -1
                ; bsr rax, rax
                ; cmovz rax, rcx
                ; neg rax
                ; add rax, 63
            ),
        }
    }

    /// `rax = ctz(rax)` at `width` (`bsf`, with the all-zero case from `rcx`). Writes `rax` and
    /// `rcx`.
    pub(crate) fn trailing_zeros_rax(&mut self, width: Width) {
        self.wrote(&[Gpr::RAX, Gpr::RCX]);
        match width {
            Width::W32 => dynasm!(self.ops
                ; .arch x64
                ; mov ecx, 32
                ; bsf eax, eax
                ; cmovz eax, ecx
            ),
            Width::W64 => dynasm!(self.ops
                ; .arch x64
                ; mov ecx, 64
                ; bsf rax, rax
                ; cmovz rax, rcx
            ),
        }
    }

    /// `popcnt r, r` at `width`.
    pub(crate) fn popcnt(&mut self, width: Width, r: Gpr) {
        self.wrote(&[r]);
        match width {
            Width::W32 => dynasm!(self.ops ; .arch x64 ; popcnt Rd(r.0), Rd(r.0)),
            Width::W64 => dynasm!(self.ops ; .arch x64 ; popcnt Rq(r.0), Rq(r.0)),
        }
    }

    /// Sign- or zero-extends the low bits of `r` in place.
    pub(crate) fn extend(&mut self, op: ExtendOp, r: Gpr) {
        self.wrote(&[r]);
        let r = r.0;
        match op {
            ExtendOp::I32Extend8S => dynasm!(self.ops ; .arch x64 ; movsx Rd(r), Rb(r)),
            ExtendOp::I32Extend16S => dynasm!(self.ops ; .arch x64 ; movsx Rd(r), Rw(r)),
            ExtendOp::I64Extend8S => dynasm!(self.ops ; .arch x64 ; movsx Rq(r), Rb(r)),
            ExtendOp::I64Extend16S => dynasm!(self.ops ; .arch x64 ; movsx Rq(r), Rw(r)),
            ExtendOp::I64Extend32S => dynasm!(self.ops ; .arch x64 ; movsxd Rq(r), Rd(r)),
            ExtendOp::I64Extend32U => dynasm!(self.ops ; .arch x64 ; mov Rd(r), Rd(r)),
        }
    }

    // ---- floats as bit patterns in general-purpose registers ----

    /// Clears (`Abs`) or flips (`Neg`) the sign bit of the float in `r`.
    pub(crate) fn float_sign(&mut self, op: FloatSignOp, width: Width, r: Gpr) {
        self.wrote(&[r]);
        let r = r.0;
        match (op, width) {
            (FloatSignOp::Abs, Width::W32) => {
                dynasm!(self.ops ; .arch x64 ; and Rd(r), 0x7fff_ffff)
            }
            (FloatSignOp::Neg, Width::W32) => {
                dynasm!(self.ops ; .arch x64 ; xor Rd(r), 0x8000_0000u32 as i32)
            }
            (FloatSignOp::Abs, Width::W64) => dynasm!(self.ops ; .arch x64 ; btr Rq(r), 63),
            (FloatSignOp::Neg, Width::W64) => dynasm!(self.ops ; .arch x64 ; btc Rq(r), 63),
        }
    }

    /// `magnitude = |magnitude|` with the sign of `sign`; writes both.
    pub(crate) fn copysign(&mut self, width: Width, magnitude: Gpr, sign: Gpr) {
        self.wrote(&[magnitude, sign]);
        let (a, b) = (magnitude.0, sign.0);
        match width {
            Width::W32 => dynasm!(self.ops
                ; .arch x64
                ; and Rd(a), 0x7fff_ffff
                ; and Rd(b), 0x8000_0000u32 as i32
                ; or Rd(a), Rd(b)
            ),
            Width::W64 => dynasm!(self.ops
                ; .arch x64
                ; btr Rq(a), 63
                ; shr Rq(b), 63
                ; shl Rq(b), 63
                ; or Rq(a), Rq(b)
            ),
        }
    }

    // ---- SSE ----

    /// `xmm0 = xmm0 <op> xmm1`.
    pub(crate) fn float_binary(&mut self, op: FloatOp, width: Width) {
        let ops = &mut self.ops;
        match (op, width) {
            (FloatOp::Add, Width::W32) => dynasm!(ops ; .arch x64 ; addss xmm0, xmm1),
            (FloatOp::Sub, Width::W32) => dynasm!(ops ; .arch x64 ; subss xmm0, xmm1),
            (FloatOp::Mul, Width::W32) => dynasm!(ops ; .arch x64 ; mulss xmm0, xmm1),
            (FloatOp::Div, Width::W32) => dynasm!(ops ; .arch x64 ; divss xmm0, xmm1),
            (FloatOp::Add, Width::W64) => dynasm!(ops ; .arch x64 ; addsd xmm0, xmm1),
            (FloatOp::Sub, Width::W64) => dynasm!(ops ; .arch x64 ; subsd xmm0, xmm1),
            (FloatOp::Mul, Width::W64) => dynasm!(ops ; .arch x64 ; mulsd xmm0, xmm1),
            (FloatOp::Div, Width::W64) => dynasm!(ops ; .arch x64 ; divsd xmm0, xmm1),
        }
    }

    /// `xmm0 = op(xmm0)`: square root, or rounding with SSE4.1's `round` in the wasm mode.
    pub(crate) fn float_unary(&mut self, op: FloatUnaryOp, width: Width) {
        let mode: i8 = match op {
            FloatUnaryOp::Sqrt => {
                match width {
                    Width::W32 => dynasm!(self.ops ; .arch x64 ; sqrtss xmm0, xmm0),
                    Width::W64 => dynasm!(self.ops ; .arch x64 ; sqrtsd xmm0, xmm0),
                }
                return;
            }
            // The `round` immediate: 0 nearest (ties to even), 1 down, 2 up, 3 toward zero.
            FloatUnaryOp::Nearest => 0,
            FloatUnaryOp::Floor => 1,
            FloatUnaryOp::Ceil => 2,
            FloatUnaryOp::Trunc => 3,
        };
        match width {
            Width::W32 => dynasm!(self.ops ; .arch x64 ; roundss xmm0, xmm0, mode),
            Width::W64 => dynasm!(self.ops ; .arch x64 ; roundsd xmm0, xmm0, mode),
        }
    }

    /// `ucomiss`/`ucomisd xmm0, xmm1`, and the condition that `cond` holds given its flags:
    /// `(cond, Some((parity_cond, both)))` when the parity flag must be combined in (`Eq`
    /// must be ordered, `Ne` holds when unordered).
    pub(crate) fn float_compare(
        &mut self,
        width: Width,
        cond: FloatCond,
    ) -> (Cond, Option<(Cond, bool)>) {
        match width {
            Width::W32 => dynasm!(self.ops ; .arch x64 ; ucomiss xmm0, xmm1),
            Width::W64 => dynasm!(self.ops ; .arch x64 ; ucomisd xmm0, xmm1),
        }
        match cond {
            FloatCond::Eq => (Cond::Eq, Some((Cond::NoParity, true))),
            FloatCond::Ne => (Cond::Ne, Some((Cond::Parity, false))),
            // `a > b` and `a >= b` are false when unordered: CF is then set.
            FloatCond::Gt => (Cond::GtU, None),
            FloatCond::Ge => (Cond::GeU, None),
        }
    }

    /// `xmm0 = float(src)` of width `to`.
    pub(crate) fn int_to_float(&mut self, from: IntToFloat, to: Width, src: Gpr) {
        let r = src.0;
        match (from, to) {
            (IntToFloat::I32S, Width::W32) => {
                dynasm!(self.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2ss xmm0, Rd(r))
            }
            // A zero-extended u32 is a non-negative i64.
            (IntToFloat::I32U | IntToFloat::I64S, Width::W32) => {
                dynasm!(self.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2ss xmm0, Rq(r))
            }
            (IntToFloat::I32S, Width::W64) => {
                dynasm!(self.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2sd xmm0, Rd(r))
            }
            (IntToFloat::I32U | IntToFloat::I64S, Width::W64) => {
                dynasm!(self.ops ; .arch x64 ; xorps xmm0, xmm0 ; cvtsi2sd xmm0, Rq(r))
            }
        }
    }

    /// `xmm0 = xmm0` converted to width `to` (demote to f32, promote to f64).
    pub(crate) fn float_to_float(&mut self, to: Width) {
        match to {
            Width::W32 => dynasm!(self.ops ; .arch x64 ; cvtsd2ss xmm0, xmm0),
            Width::W64 => dynasm!(self.ops ; .arch x64 ; cvtss2sd xmm0, xmm0),
        }
    }

    // ---- linear memory (base in r14) ----

    /// Debug builds check that an access through `r14` is in a function whose frame loads it
    /// (see `Codegen`'s `uses_memory_base`).
    pub(crate) fn uses_memory_base(&self) {
        debug_assert!(self.frame.memory, "a memory access in a frame without r14");
    }

    /// The explicit bounds check of an access of `[index, index + reach)` in memory `memory`
    /// (`index` zero-extended, `reach` the offset plus the access's size, at most 2^32 + 15):
    /// jumps to `oob` unless `index + reach` is at most the memory's length. Uses `scratch`
    /// (for the memory's definition, then its length minus `reach`), and compares signed:
    /// the length and `reach` are below 2^33, so `length - reach` cannot wrap.
    pub(crate) fn heap_bounds_check(
        &mut self,
        index: Gpr,
        reach: i64,
        scratch: Gpr,
        oob: DynamicLabel,
        memory: u32,
    ) {
        self.wrote(&[scratch]);
        let (a, t) = (index.0, scratch.0);
        dynasm!(self.ops
            ; .arch x64
            ; mov Rq(t), [r15 + off::MEMORIES as i32]
        );
        self.memory_definition(t, memory);
        dynasm!(self.ops
            ; .arch x64
            ; mov Rq(t), [Rq(t) + off::MEMORY_LENGTH as i32]
        );
        let mut left = reach;
        while left > 0 {
            let step = left.min(i64::from(i32::MAX));
            dynasm!(self.ops ; .arch x64 ; sub Rq(t), step as i32);
            left -= step;
        }
        dynasm!(self.ops
            ; .arch x64
            ; cmp Rq(a), Rq(t)
            ; jg =>oob
        );
    }

    /// `dst += offset` (64 bits), through `scratch`: the effective index of an access whose
    /// offset does not fit a displacement.
    pub(crate) fn add_u32_imm(&mut self, dst: Gpr, offset: u32, scratch: Gpr) {
        self.wrote(&[dst, scratch]);
        dynasm!(self.ops
            ; .arch x64
            ; mov Rd(scratch.0), offset as i32
            ; add Rq(dst.0), Rq(scratch.0)
        );
    }

    /// `dst = [r14 + index + disp]`, extended as `kind` says.
    pub(crate) fn heap_load(&mut self, kind: LoadKind, dst: Gpr, index: Gpr, disp: i32) {
        self.uses_memory_base();
        self.wrote(&[dst]);
        let (r, a, d) = (dst.0, index.0, disp);
        match kind {
            LoadKind::U8 => dynasm!(self.ops ; .arch x64 ; movzx Rd(r), BYTE [r14 + Rq(a) + d]),
            LoadKind::U16 => dynasm!(self.ops ; .arch x64 ; movzx Rd(r), WORD [r14 + Rq(a) + d]),
            LoadKind::U32 => dynasm!(self.ops ; .arch x64 ; mov Rd(r), DWORD [r14 + Rq(a) + d]),
            LoadKind::U64 => dynasm!(self.ops ; .arch x64 ; mov Rq(r), QWORD [r14 + Rq(a) + d]),
            LoadKind::S8ToI32 => {
                dynasm!(self.ops ; .arch x64 ; movsx Rd(r), BYTE [r14 + Rq(a) + d])
            }
            LoadKind::S16ToI32 => {
                dynasm!(self.ops ; .arch x64 ; movsx Rd(r), WORD [r14 + Rq(a) + d])
            }
            LoadKind::S8ToI64 => {
                dynasm!(self.ops ; .arch x64 ; movsx Rq(r), BYTE [r14 + Rq(a) + d])
            }
            LoadKind::S16ToI64 => {
                dynasm!(self.ops ; .arch x64 ; movsx Rq(r), WORD [r14 + Rq(a) + d])
            }
            LoadKind::S32ToI64 => {
                dynasm!(self.ops ; .arch x64 ; movsxd Rq(r), DWORD [r14 + Rq(a) + d])
            }
        }
    }

    /// `[r14 + index + disp] = value` (its low bits, as `kind` says).
    pub(crate) fn heap_store(&mut self, kind: StoreKind, index: Gpr, disp: i32, value: Gpr) {
        self.uses_memory_base();
        let (a, d, v) = (index.0, disp, value.0);
        match kind {
            StoreKind::I8 => dynasm!(self.ops ; .arch x64 ; mov BYTE [r14 + Rq(a) + d], Rb(v)),
            StoreKind::I16 => dynasm!(self.ops ; .arch x64 ; mov WORD [r14 + Rq(a) + d], Rw(v)),
            StoreKind::I32 => dynasm!(self.ops ; .arch x64 ; mov DWORD [r14 + Rq(a) + d], Rd(v)),
            StoreKind::I64 => dynasm!(self.ops ; .arch x64 ; mov QWORD [r14 + Rq(a) + d], Rq(v)),
        }
    }

    /// `[r14 + index + disp] = imm` (its low bits; sign-extended for 64).
    pub(crate) fn heap_store_imm(&mut self, kind: StoreKind, index: Gpr, disp: i32, imm: i32) {
        self.uses_memory_base();
        let (a, d) = (index.0, disp);
        match kind {
            StoreKind::I8 => dynasm!(self.ops ; .arch x64 ; mov BYTE [r14 + Rq(a) + d], imm as i8),
            StoreKind::I16 => {
                dynasm!(self.ops ; .arch x64 ; mov WORD [r14 + Rq(a) + d], imm as i16)
            }
            StoreKind::I32 => dynasm!(self.ops ; .arch x64 ; mov DWORD [r14 + Rq(a) + d], imm),
            StoreKind::I64 => dynasm!(self.ops ; .arch x64 ; mov QWORD [r14 + Rq(a) + d], imm),
        }
    }

    /// `dst` = memory 0's size in pages.
    pub(crate) fn memory_size(&mut self, dst: Gpr, memory: u32) {
        self.wrote(&[dst]);
        let r = dst.0;
        let page_shift = WASM_PAGE_SIZE.trailing_zeros() as i8;
        dynasm!(self.ops ; .arch x64 ; mov Rq(r), [r15 + off::MEMORIES as i32]);
        self.memory_definition(dst.0, memory);
        dynasm!(self.ops
            ; .arch x64
            ; mov Rq(r), [Rq(r) + off::MEMORY_LENGTH as i32]
            ; shr Rq(r), page_shift
        );
    }

    /// `r = r[memory]`: from the vmctx's memory array (in `r`) to memory `memory`'s definition.
    fn memory_definition(&mut self, r: u8, memory: u32) {
        if memory == 0 {
            dynasm!(self.ops ; .arch x64 ; mov Rq(r), [Rq(r)]);
        } else {
            let entry = off::pointer_entry(memory);
            dynasm!(self.ops ; .arch x64 ; mov Rq(r), [Rq(r) + entry]);
        }
    }

    // ---- the vmctx's arrays: globals, tables, functions, segments ----

    /// `dst = vmctx.<array>[index]` for one of the vmctx's pointer arrays (`array` is the
    /// field's offset).
    pub(crate) fn load_vmctx_pointer(&mut self, dst: Gpr, array: usize, index: u32) {
        self.wrote(&[dst]);
        let r = dst.0;
        if index == 0 && (array == off::GLOBALS || array == off::TABLES) {
            // Global 0's slot (C's shadow-stack pointer) and table 0's definition are also in
            // the vmctx itself.
            let field = if array == off::GLOBALS {
                off::GLOBAL0
            } else {
                off::TABLE0
            };
            dynasm!(self.ops ; .arch x64 ; mov Rq(r), [r15 + field as i32]);
            return;
        }
        let entry = off::pointer_entry(index);
        dynasm!(self.ops
            ; .arch x64
            ; mov Rq(r), [r15 + array as i32]
            ; mov Rq(r), [Rq(r) + entry]
        );
    }

    /// `dst = [dst]`.
    pub(crate) fn load_pointee(&mut self, dst: Gpr) {
        self.wrote(&[dst]);
        dynasm!(self.ops ; .arch x64 ; mov Rq(dst.0), [Rq(dst.0)]);
    }

    /// `[ptr] = value`.
    pub(crate) fn store_pointee(&mut self, ptr: Gpr, value: Gpr) {
        dynasm!(self.ops ; .arch x64 ; mov [Rq(ptr.0)], Rq(value.0));
    }

    /// `dst = [dst + TABLE_LENGTH]`, `dst` pointing at a table definition.
    pub(crate) fn load_table_length(&mut self, dst: Gpr) {
        self.wrote(&[dst]);
        let r = dst.0;
        dynasm!(self.ops ; .arch x64 ; mov Rq(r), [Rq(r) + off::TABLE_LENGTH as i32]);
    }

    /// Bounds-checks the index in `rcx` against table `table` (leave for `oob`); afterwards
    /// `rax` = the element array. Writes `rax`.
    pub(crate) fn table_elements(&mut self, table: u32, oob: DynamicLabel) {
        self.wrote(&[Gpr::RAX]);
        if table == 0 {
            // Table 0's definition is also in the vmctx itself.
            dynasm!(self.ops ; .arch x64 ; mov rax, [r15 + off::TABLE0 as i32]);
        } else {
            let t = off::pointer_entry(table);
            dynasm!(self.ops
                ; .arch x64
                ; mov rax, [r15 + off::TABLES as i32]
                ; mov rax, [rax + t]
            );
        }
        dynasm!(self.ops
            ; .arch x64
            ; cmp rcx, [rax + off::TABLE_LENGTH as i32]
            ; jae =>oob
            ; mov rax, [rax + off::TABLE_BASE as i32]
        );
    }

    /// `dst = rax[rcx]`: a table element (after [`X64::table_elements`]).
    pub(crate) fn load_table_element(&mut self, dst: Gpr) {
        self.wrote(&[dst]);
        dynasm!(self.ops ; .arch x64 ; mov Rq(dst.0), [rax + rcx * 8]);
    }

    /// `rax[rcx] = value`: a table element (after [`X64::table_elements`]).
    pub(crate) fn store_table_element(&mut self, value: Gpr) {
        dynasm!(self.ops ; .arch x64 ; mov [rax + rcx * 8], Rq(value.0));
    }

    /// Marks segment `index` dropped (length 0). Writes `rax`.
    pub(crate) fn drop_segment(&mut self, kind: Segment, index: u32) {
        self.wrote(&[Gpr::RAX]);
        let (array, at) = match kind {
            Segment::Data => (
                off::DATA_SEGMENTS,
                index as usize * off::DATA_SEGMENT_SIZE + offset_of!(DataSegmentRef, len),
            ),
            Segment::Elem => (
                off::ELEM_SEGMENTS,
                index as usize * off::ELEM_SEGMENT_SIZE + offset_of!(ElemSegmentRef, len),
            ),
        };
        let at = at as i32;
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [r15 + array as i32]
            ; mov QWORD [rax + at], 0
        );
    }

    // ---- calls ----

    /// Calls `libcall` through the vmctx's table. Writes `rax` before the call.
    pub(crate) fn call_libcall(&mut self, libcall: Libcall) {
        self.wrote(&[Gpr::RAX]);
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [r15 + off::LIBCALLS as i32]
            ; call QWORD [rax + libcall.offset() as i32]
        );
    }

    /// `mov rdi, r15` and calls `libcall` (from the function body, where `rsp` is aligned).
    pub(crate) fn call_libcall_with_vmctx(&mut self, libcall: Libcall) {
        self.wrote(&[Gpr::RAX, Gpr::RDI]);
        dynasm!(self.ops ; .arch x64 ; mov rdi, r15);
        self.call_libcall(libcall);
    }

    /// `sub` `amount` from the store's fuel; leave for `out_of_fuel` when it went below 0.
    /// Writes `rax`.
    pub(crate) fn consume_fuel(&mut self, amount: u32, out_of_fuel: DynamicLabel) {
        self.wrote(&[Gpr::RAX]);
        // A segment costs at most one unit per byte of its function's body (< 2^31).
        let amount = i32::try_from(amount).unwrap_or(i32::MAX);
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [r15 + off::STORE as i32]
            ; sub QWORD [rax + off::STORE_FUEL as i32], amount
            ; jl =>out_of_fuel
        );
    }

    /// Sets the store's fuel to 0 (the out-of-fuel exit). Writes `rax`.
    pub(crate) fn zero_fuel(&mut self) {
        self.wrote(&[Gpr::RAX]);
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [r15 + off::STORE as i32]
            ; mov QWORD [rax + off::STORE_FUEL as i32], 0
        );
    }

    /// Calls defined function `defined` through its code-table entry (slot ABI: vmctx, frame
    /// at slot `args`).
    pub(crate) fn call_code_table_entry(&mut self, defined: u32, args: u32) {
        self.wrote(&[Gpr::RAX, Gpr::RDI, Gpr::RSI]);
        let a = slot_offset(args);
        let entry = off::pointer_entry(defined);
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [r15 + off::CODE_TABLE as i32]
            ; mov rdi, r15
            ; lea rsi, [rbx + a]
            ; call QWORD [rax + entry]
        );
    }

    /// Calls function `func`'s reference (`vmctx.funcs[func]`) through `helper`, with its
    /// frame at slot `args`.
    pub(crate) fn call_func_ref(&mut self, func: u32, args: u32, helper: DynamicLabel) {
        self.wrote(&[Gpr::RAX, Gpr::RDX, Gpr::RSI]);
        let a = slot_offset(args);
        let f = off::pointer_entry(func);
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [r15 + off::FUNCS as i32]
            ; mov rdx, [rax + f]
            ; lea rsi, [rbx + a]
            ; call =>helper
        );
    }

    /// Checks that the function reference in `rdx` is of type `expected` (else jumps to
    /// `bad`). Its first instruction loads the reference's type id: with a null `rdx` it reads
    /// page 0 and faults (the caller records it as the null-reference trap site). Writes
    /// `rax` and `rcx`.
    pub(crate) fn check_func_ref_type(&mut self, expected: ExpectedType, bad: DynamicLabel) {
        self.wrote(&[Gpr::RAX, Gpr::RCX]);
        dynasm!(self.ops
            ; .arch x64
            ; mov eax, [rdx + off::FUNCREF_TYPE_ID as i32]
        );
        match expected {
            ExpectedType::Id(id) => {
                dynasm!(self.ops
                    ; .arch x64
                    ; cmp eax, id as i32
                );
            }
            ExpectedType::Index(type_index) => {
                let ty = off::type_id_entry(type_index);
                dynasm!(self.ops
                    ; .arch x64
                    ; mov rcx, [r15 + off::TYPE_IDS as i32]
                    ; cmp eax, [rcx + ty]
                );
            }
        }
        dynasm!(self.ops
            ; .arch x64
            ; jne =>bad
        );
    }

    /// Calls the function reference in `rdx` through `helper` with its frame at slot `args`.
    pub(crate) fn call_ref_through(&mut self, args: u32, helper: DynamicLabel) {
        self.wrote(&[Gpr::RSI]);
        let a = slot_offset(args);
        dynasm!(self.ops
            ; .arch x64
            ; lea rsi, [rbx + a]
            ; call =>helper
        );
    }

    /// `rdx` = function `func`'s reference (`vmctx.funcs[func]`). Writes `rax` and `rdx`.
    pub(crate) fn load_func_ref(&mut self, func: u32) {
        self.wrote(&[Gpr::RAX, Gpr::RDX]);
        let f = off::pointer_entry(func);
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [r15 + off::FUNCS as i32]
            ; mov rdx, [rax + f]
        );
    }

    /// `rax` = the native entry of the function reference in `rdx` (0 when it has none;
    /// `VmFuncRef::native` holds the entry itself, kept up to date by the runtime). The one
    /// place that reads it. Writes `rax`.
    pub(crate) fn load_func_ref_native(&mut self) {
        self.wrote(&[Gpr::RAX]);
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [rdx + off::FUNCREF_NATIVE as i32]
        );
    }

    /// `rdi` = the vmctx of the function reference in `rdx`.
    pub(crate) fn func_ref_vmctx_to_rdi(&mut self) {
        self.wrote(&[Gpr::RDI]);
        dynasm!(self.ops ; .arch x64 ; mov rdi, [rdx + off::FUNCREF_VMCTX as i32]);
    }

    /// `r` = the native-entry cell at address `cell` (a defined function's, see
    /// `CompileEnv::native_entries`). Writes `r`.
    pub(crate) fn load_native_cell(&mut self, r: Gpr, cell: usize) {
        self.wrote(&[r]);
        dynasm!(self.ops
            ; .arch x64
            ; mov Rq(r.0), QWORD cell as i64
            ; mov Rq(r.0), [Rq(r.0)]
        );
    }

    /// `test r, r; jz label`.
    pub(crate) fn jump_if_zero(&mut self, r: Gpr, label: DynamicLabel) {
        dynasm!(self.ops
            ; .arch x64
            ; test Rq(r.0), Rq(r.0)
            ; jz =>label
        );
    }

    /// Calls the native entry in `entry` (`rdi` and the register arguments in place) with
    /// its frame at slot `args` (`rsi`).
    pub(crate) fn call_native(&mut self, entry: Gpr, args: u32) {
        self.wrote(&[Gpr::RSI]);
        let a = slot_offset(args);
        dynasm!(self.ops
            ; .arch x64
            ; lea rsi, [rbx + a]
            ; call Rq(entry.0)
        );
    }

    /// `movq [slot], xmm` (64 bits: an f64, or an f32 whose upper half is zero).
    pub(crate) fn store_xmm_slot(&mut self, slot: u32, src: Xmm) {
        self.wrote_slots(slot, 1);
        let d = slot_offset(slot);
        dynasm!(self.ops ; .arch x64 ; movq [rbx + d], Rx(src.0));
    }

    /// The call-reference helper's body: calls the function reference in `rdx` with its
    /// frame at `rsi`; a wasm function through its code-table entry (tail jump, with its own
    /// vmctx), a host function through the `call_host` libcall, after publishing the
    /// slot-stack top (`fp` + `frame_slots`) for re-entrant calls; a non-zero status leaves
    /// for `propagate`.
    pub(crate) fn call_ref_helper_body(&mut self, frame_slots: u32, propagate: DynamicLabel) {
        let frame_bytes = slot_offset(frame_slots);
        dynasm!(self.ops
            ; .arch x64
            ; mov rdi, [rdx + off::FUNCREF_VMCTX as i32]
            ; test rdi, rdi
            ; jz >host
            ; mov rax, [rdx + off::FUNCREF_CODE as i32]
            ; jmp QWORD [rax]
            ; host:
            ; sub rsp, 8
            ; mov rax, [r15 + off::STORE as i32]
            ; lea rcx, [rbx + frame_bytes]
            ; mov [rax + off::STORE_STACK_TOP as i32], rcx
            ; mov rdi, r15
            ; xchg rsi, rdx
            ; mov rax, [r15 + off::LIBCALLS as i32]
            ; call QWORD [rax + Libcall::call_host().offset() as i32]
            ; add rsp, 8
            ; test eax, eax
            ; jnz =>propagate
            ; ret
        );
    }

    /// The hot helper's body: `tier_up(vmctx, defined, edx)`, returning its result in `rax`.
    pub(crate) fn hot_helper_body(&mut self, defined: u32) {
        let defined = defined as i32;
        dynasm!(self.ops
            ; .arch x64
            ; sub rsp, 8
            ; mov rdi, r15
            ; mov esi, defined
            ; mov rax, [r15 + off::LIBCALLS as i32]
            ; call QWORD [rax + Libcall::tier_up().offset() as i32]
            ; add rsp, 8
            ; ret
        );
    }

    // ---- frame ----

    /// Pushes `rbp` and the callee-saved registers (keeping `rsp` 16-byte aligned) and loads
    /// `r15` = vmctx and `rbx` = fp from the arguments.
    pub(crate) fn enter_frame(&mut self) {
        dynasm!(self.ops
            ; .arch x64
            ; push rbp
            ; mov rbp, rsp
            ; push rbx
        );
        if self.frame.ticks {
            dynasm!(self.ops ; .arch x64 ; push r12 ; push r13);
        }
        if self.frame.memory {
            dynasm!(self.ops ; .arch x64 ; push r14);
        }
        dynasm!(self.ops ; .arch x64 ; push r15);
        // The return address and rbp are 16 bytes: an odd count of pushes needs 8 more.
        if self.frame.pushes() % 2 == 1 {
            dynasm!(self.ops ; .arch x64 ; sub rsp, 8);
        }
        dynasm!(self.ops
            ; .arch x64
            ; mov r15, rdi
            ; mov rbx, rsi
        );
    }

    /// Loads `r12` = the store's interrupt flag (with `poll`, its poll byte: see `Masm::polls`)
    /// and checks the native stack (`rsp` above the limit `VmCtx::stack_limit` points at,
    /// which an interrupt request raises) and the slot stack (`fp + frame_slots` within it);
    /// leave for `overflow` otherwise. Writes `rax` and `rcx`.
    /// (With `keep_args`, `rdi` instead of `rcx`: the native entry's arguments are in `rdx`,
    /// `rcx`, `r8` and `r9`.)
    pub(crate) fn check_stacks(
        &mut self,
        frame_slots: u32,
        overflow: DynamicLabel,
        keep_args: bool,
        native: bool,
        poll: bool,
    ) {
        let scratch = if keep_args { Gpr::RDI } else { Gpr::RCX };
        self.wrote(&[Gpr::RAX, scratch]);
        let frame_bytes = slot_offset(frame_slots);
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [r15 + off::STORE as i32]
        );
        if self.frame.ticks {
            let check = if poll {
                off::STORE_INTERRUPT_POLL
            } else {
                off::STORE_INTERRUPT
            };
            dynasm!(self.ops ; .arch x64 ; mov r12, [rax + check as i32]);
        }
        // The native stack limit through `VmCtx::stack_limit`: raised above every stack while
        // an interrupt request is pending, so this is also the entry's interrupt check.
        if !native {
            // A leaf (see `Masm::set_leaf`): no native stack check.
        } else if keep_args {
            dynasm!(self.ops
                ; .arch x64
                ; mov rdi, [r15 + off::STACK_LIMIT as i32]
                ; cmp rsp, [rdi]
                ; jb =>overflow
            );
        } else {
            dynasm!(self.ops
                ; .arch x64
                ; mov rcx, [r15 + off::STACK_LIMIT as i32]
                ; cmp rsp, [rcx]
                ; jb =>overflow
            );
        }
        if keep_args {
            dynasm!(self.ops
                ; .arch x64
                ; lea rdi, [rbx + frame_bytes]
                ; cmp rdi, [rax + off::STORE_STACK_END as i32]
                ; ja =>overflow
            );
        } else {
            dynasm!(self.ops
                ; .arch x64
                ; lea rcx, [rbx + frame_bytes]
                ; cmp rcx, [rax + off::STORE_STACK_END as i32]
                ; ja =>overflow
            );
        }
    }

    /// `r13` = the address of defined function `defined`'s hotness countdown. Writes `rax`.
    pub(crate) fn load_countdown(&mut self, defined: u32) {
        self.wrote(&[Gpr::RAX]);
        let counter = off::countdown_entry(defined);
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [r15 + off::HOT_COUNTERS as i32]
            ; lea r13, [rax + counter]
        );
    }

    /// `r14` = memory `memory`'s base. Writes `rax`.
    pub(crate) fn load_memory_base(&mut self, memory: u32) {
        self.wrote(&[Gpr::RAX]);
        if memory == 0 {
            // Memory 0's base is also in the vmctx itself (bases never move).
            dynasm!(self.ops ; .arch x64 ; mov r14, [r15 + off::MEMORY0_BASE as i32]);
            return;
        }
        dynasm!(self.ops ; .arch x64 ; mov rax, [r15 + off::MEMORIES as i32]);
        let entry = off::pointer_entry(memory);
        dynasm!(self.ops ; .arch x64 ; mov rax, [rax + entry]);
        dynasm!(self.ops ; .arch x64 ; mov r14, [rax + off::MEMORY_BASE as i32]);
    }

    /// The interrupt check and the hotness countdown: leave for `attention` when the flag is
    /// set (it comes back to `back`, bound here, right after the check); when the countdown
    /// crosses zero, call `hot_helper` with `edx` = `osr_pc` and, with `osr_exit`, leave for
    /// it when the helper returns an address. The countdown is `[r13]`, or with
    /// `in_registers` its `counter` register; the helper call then stores the registers of
    /// `in_registers` first ([`X64::flush`]: the frame must be exact for on-stack
    /// replacement) and reloads them after, when it comes back ([`X64::reload`]). Writes `rax` and `rdx` (the helper clobbers every scratch register)
    /// and the registers of `in_registers`.
    pub(crate) fn tick(
        &mut self,
        attention: DynamicLabel,
        back: DynamicLabel,
        hot_helper: DynamicLabel,
        osr_pc: u32,
        osr_exit: Option<DynamicLabel>,
        in_registers: Option<&TickReload>,
    ) {
        self.tick_with(
            Some((attention, back)),
            hot_helper,
            osr_pc,
            osr_exit,
            in_registers,
        );
    }

    /// [`X64::tick`], testing the interrupt flag only with `check` (`(attention, back)`): a
    /// function entry without epochs leaves interrupt requests to its stack check.
    pub(crate) fn tick_with(
        &mut self,
        check: Option<(DynamicLabel, DynamicLabel)>,
        hot_helper: DynamicLabel,
        osr_pc: u32,
        osr_exit: Option<DynamicLabel>,
        in_registers: Option<&TickReload>,
    ) {
        self.wrote(&[Gpr::RAX, Gpr::RDX]);
        let osr_pc = osr_pc as i32;
        if let Some((attention, back)) = check {
            dynasm!(self.ops
                ; .arch x64
                ; cmp BYTE [r12], 0
                ; jne =>attention
                ; =>back
            );
        }
        match in_registers {
            Some(reload) => {
                let counter = reload
                    .counter
                    .expect("a counting tick has its countdown register");
                self.wrote(&[counter]);
                dynasm!(self.ops ; .arch x64 ; sub Rd(counter.0), 1);
            }
            None => dynasm!(self.ops ; .arch x64 ; sub DWORD [r13], 1),
        }
        let (stub, back) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        dynasm!(self.ops
            ; .arch x64
            ; js =>stub
            ; =>back
        );
        self.hot_stubs.push(HotStub {
            stub,
            back,
            hot_helper,
            osr_pc,
            osr_exit,
            reload: in_registers.cloned(),
        });
    }

    /// Emits the ticks' out-of-line tier-up calls (at the end of the code, with the other
    /// out-of-line paths).
    pub(crate) fn emit_hot_stubs(&mut self) {
        for stub in std::mem::take(&mut self.hot_stubs) {
            dynasm!(self.ops ; .arch x64 ; =>stub.stub);
            if let Some(reload) = &stub.reload {
                self.flush(reload);
            }
            dynasm!(self.ops
                ; .arch x64
                ; mov edx, stub.osr_pc
                ; call =>stub.hot_helper
            );
            if let Some(osr_exit) = stub.osr_exit {
                dynasm!(self.ops
                    ; .arch x64
                    ; test rax, rax
                    ; jnz =>osr_exit
                );
            }
            if let Some(reload) = &stub.reload {
                self.reload(reload);
            }
            self.jmp(stub.back);
        }
    }

    /// Before a call out of a pinned loop region: stores the pinned registers to their slots
    /// (their values may be the only current ones) and the countdown register to `[r13]`.
    pub(crate) fn flush(&mut self, reload: &TickReload) {
        for &(r, slot) in &reload.gprs {
            self.store_slot(slot, r);
        }
        for &(x, slot) in &reload.xmms {
            self.store_v128(slot, x);
        }
        if let Some(counter) = reload.counter {
            self.store_countdown(counter);
        }
    }

    /// After a call out of a pinned loop region: reloads the pinned registers from the frame
    /// and the countdown register from memory.
    pub(crate) fn reload(&mut self, reload: &TickReload) {
        for &(r, slot) in &reload.gprs {
            self.load_slot(Width::W64, r, slot);
        }
        for &(x, slot) in &reload.xmms {
            self.load_v128(x, slot);
        }
        if let Some(counter) = reload.counter {
            self.load_countdown_value(counter);
        }
    }

    /// `cmp byte [r12], 0` with `r12` the store's poll byte: a load that faults while an
    /// interrupt request is pending (the caller records the `Interrupted` trap site). Writes
    /// the flags only.
    pub(crate) fn interrupt_poll(&mut self) {
        dynasm!(self.ops ; .arch x64 ; cmp BYTE [r12], 0);
    }

    /// `cmp byte [r12], 0; jne attention; back:`: the interrupt check of a tick without a
    /// countdown.
    pub(crate) fn attention_check(&mut self, attention: DynamicLabel, back: DynamicLabel) {
        dynasm!(self.ops
            ; .arch x64
            ; cmp BYTE [r12], 0
            ; jne =>attention
            ; =>back
        );
    }

    /// `mov [r13], r32`: the countdown kept in `r` back to memory.
    pub(crate) fn store_countdown(&mut self, r: Gpr) {
        dynasm!(self.ops ; .arch x64 ; mov DWORD [r13], Rd(r.0));
    }

    /// `mov r32, [r13]`: the countdown into `r`.
    pub(crate) fn load_countdown_value(&mut self, r: Gpr) {
        self.wrote(&[r]);
        dynasm!(self.ops ; .arch x64 ; mov Rd(r.0), DWORD [r13]);
    }

    /// `mov rdi, r15; mov rsi, rbx`: this frame's vmctx and fp as the arguments of a tail
    /// call.
    pub(crate) fn pass_own_frame(&mut self) {
        self.wrote(&[Gpr::RDI, Gpr::RSI]);
        dynasm!(self.ops
            ; .arch x64
            ; mov rdi, r15
            ; mov rsi, rbx
        );
    }

    /// Undoes [`X64::enter_frame`]'s pushes (the stack is then as at entry, return address on
    /// top).
    pub(crate) fn leave_frame(&mut self) {
        if self.frame.pushes() % 2 == 1 {
            dynasm!(self.ops ; .arch x64 ; add rsp, 8);
        }
        dynasm!(self.ops ; .arch x64 ; pop r15);
        if self.frame.memory {
            dynasm!(self.ops ; .arch x64 ; pop r14);
        }
        if self.frame.ticks {
            dynasm!(self.ops ; .arch x64 ; pop r13 ; pop r12);
        }
        dynasm!(self.ops
            ; .arch x64
            ; pop rbx
            ; pop rbp
        );
    }

    /// The tick of a function whose frame has no tick registers (see [`FrameRegs::ticks`]):
    /// [`X64::tick_with`] without `osr_exit`, reaching the interrupt flag (with `check`) and
    /// defined function `defined`'s countdown through `rax`. Writes `rax` and `rdx`; after the helper call
    /// (which clobbers every scratch register) reloads the registers of `keep`
    /// from the frame, where it stores them before the call. `store_in_rax`: `rax` holds the store already (after the stack check).
    pub(crate) fn tick_through_scratch(
        &mut self,
        check: Option<(DynamicLabel, DynamicLabel)>,
        hot_helper: DynamicLabel,
        osr_pc: u32,
        defined: u32,
        keep: &super::EntryParams,
        store_in_rax: bool,
    ) {
        self.wrote(&[Gpr::RAX, Gpr::RDX]);
        let counter = off::countdown_entry(defined);
        let osr_pc = osr_pc as i32;
        if let Some((attention, back)) = check {
            if !store_in_rax {
                dynasm!(self.ops ; .arch x64 ; mov rax, [r15 + off::STORE as i32]);
            }
            dynasm!(self.ops
                ; .arch x64
                ; mov rax, [rax + off::STORE_INTERRUPT as i32]
                ; cmp BYTE [rax], 0
                ; jne =>attention
                ; =>back
            );
        }
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [r15 + off::HOT_COUNTERS as i32]
            ; sub DWORD [rax + counter], 1
        );
        // Inline, unlike the other ticks' (`X64::emit_hot_stubs`): measured faster on calls
        // through `call_indirect` alternating between two callees (multiret, tiered: 2x),
        // where the taken `jns` seems to keep the indirect-call predictor on track; no
        // slower elsewhere beyond noise.
        dynasm!(self.ops ; .arch x64 ; jns >cool);
        // A native entry's parameters are not stored yet.
        for &(r, slot) in &keep.gprs {
            self.store_slot(slot, r);
        }
        for &(x, slot) in &keep.xmms {
            self.store_v128(slot, x);
        }
        dynasm!(self.ops
            ; .arch x64
            ; mov edx, osr_pc
            ; call =>hot_helper
        );
        for &(r, slot) in &keep.gprs {
            self.load_slot(Width::W64, r, slot);
        }
        for &(x, slot) in &keep.xmms {
            self.load_v128(x, slot);
        }
        dynasm!(self.ops ; .arch x64 ; cool:);
    }

    pub(crate) fn ret(&mut self) {
        dynasm!(self.ops ; .arch x64 ; ret);
        self.jump_end = Some(self.offset());
    }

    /// `jmp rax`.
    pub(crate) fn jmp_rax(&mut self) {
        dynasm!(self.ops ; .arch x64 ; jmp rax);
    }
}
