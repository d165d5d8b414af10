//! The macro-assembler: x86-64 building blocks over dynasm's `VecAssembler`, in terms of frame
//! slots, a small register cache, labels and trap sites. [`crate::codegen`] drives it one
//! bytecode instruction at a time.
//!
//! Fixed registers (DESIGN.md §3; all callee-saved, so they survive calls into Rust):
//! `rbx` = frame pointer `fp` (slot `s` is `[rbx + 8*s]`), `r15` = vmctx, `r14` = base of
//! memory 0, `r13` = this function's hotness countdown, `r12` = the store's interrupt flag.
//!
//! The register cache ([`SlotCache`]) remembers which scratch register holds a copy of which
//! slot. Every result is written through to its slot at once, so the cache never holds the
//! only copy of a value: forgetting it is always safe. It is forgotten at every branch target
//! (merges and loop headers) and after every call (which clobbers the scratch registers and
//! may write the callee's frame). Invariant: a register's entry is dropped before the register
//! is written with anything else, and a slot's entries are dropped before the slot is written
//! from anywhere else.

use dynasmrt::x64::X64Relocation;
use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler, dynasm};
use tierup_abi::vmctx::offsets as off;
use tierup_abi::{Libcall, TrapCode, slot_offset};

/// Register numbers as x86-64 encodes them.
pub(crate) mod reg {
    pub const RAX: u8 = 0;
    pub const RCX: u8 = 1;
    pub const RDX: u8 = 2;
    pub const RSI: u8 = 6;
    pub const RDI: u8 = 7;
    pub const R8: u8 = 8;
    pub const R9: u8 = 9;
    pub const R10: u8 = 10;
    pub const R11: u8 = 11;
}

/// Scratch registers that may cache slots, in the round-robin order results are placed in.
/// `rax`, `rcx` and `rdx` come last: division and shifts claim them.
const CACHE_REGS: [u8; 9] = [
    reg::R8,
    reg::R9,
    reg::R10,
    reg::R11,
    reg::RSI,
    reg::RDI,
    reg::RDX,
    reg::RCX,
    reg::RAX,
];

/// Where an operand can be read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opnd {
    /// A scratch register holding the slot's value.
    Reg(u8),
    /// The slot itself: `[rbx + disp]`.
    Mem(i32),
}

/// A condition code, for compares, branches and `setcc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cond {
    Eq,
    Ne,
    LtS,
    LtU,
    GtS,
    GtU,
    LeS,
    LeU,
    GeS,
    GeU,
    /// Parity set (unordered float compare).
    Parity,
    /// Parity clear (ordered float compare).
    NoParity,
}

impl Cond {
    /// The condition that holds exactly when `self` does not.
    pub(crate) fn negate(self) -> Cond {
        match self {
            Cond::Eq => Cond::Ne,
            Cond::Ne => Cond::Eq,
            Cond::LtS => Cond::GeS,
            Cond::LtU => Cond::GeU,
            Cond::GtS => Cond::LeS,
            Cond::GtU => Cond::LeU,
            Cond::LeS => Cond::GtS,
            Cond::LeU => Cond::GtU,
            Cond::GeS => Cond::LtS,
            Cond::GeU => Cond::LtU,
            Cond::Parity => Cond::NoParity,
            Cond::NoParity => Cond::Parity,
        }
    }
}

/// Which scratch register caches which slot (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct SlotCache {
    /// Indexed by register number.
    holds: [Option<u32>; 16],
    /// Next position in [`CACHE_REGS`] to hand out.
    next: usize,
}

impl SlotCache {
    fn find(&self, slot: u32) -> Option<u8> {
        CACHE_REGS
            .iter()
            .copied()
            .find(|&r| self.holds[r as usize] == Some(slot))
    }

    fn forget_slot(&mut self, slot: u32) {
        for h in &mut self.holds {
            if *h == Some(slot) {
                *h = None;
            }
        }
    }
}

/// A trap site: a faulting instruction's offset and the trap it means (`None`: the trap's
/// status is in `eax`, for traps reported by Rust code that JIT code called).
pub type TrapSiteRecord = (u32, Option<TrapCode>);

/// The macro-assembler for one function.
pub(crate) struct Masm {
    pub(crate) ops: VecAssembler<X64Relocation>,
    pub(crate) cache: SlotCache,
    /// Faulting instructions and their traps.
    pub(crate) traps: Vec<TrapSiteRecord>,
    /// One shared `ud2` per trap code used (emitted at the end).
    trap_labels: Vec<(TrapCode, DynamicLabel)>,
    /// The shared "trap with the status in eax" site.
    pub(crate) propagate: DynamicLabel,
}

/// The displacement of slot `slot` from `rbx`.
pub(crate) fn disp(slot: u32) -> i32 {
    slot_offset(slot)
}

impl Masm {
    pub(crate) fn new() -> Masm {
        let mut ops = VecAssembler::new(0);
        let propagate = ops.new_dynamic_label();
        Masm {
            ops,
            cache: SlotCache::default(),
            traps: Vec::new(),
            trap_labels: Vec::new(),
            propagate,
        }
    }

    /// The current code offset.
    pub(crate) fn offset(&self) -> u32 {
        self.ops.offset().0 as u32
    }

    /// Records that the next instruction may fault with `code`.
    pub(crate) fn trap_site(&mut self, code: TrapCode) {
        let at = self.offset();
        self.traps.push((at, Some(code)));
    }

    /// The label of the shared `ud2` for `code`.
    pub(crate) fn trap_label(&mut self, code: TrapCode) -> DynamicLabel {
        if let Some(&(_, l)) = self.trap_labels.iter().find(|(c, _)| *c == code) {
            return l;
        }
        let l = self.ops.new_dynamic_label();
        self.trap_labels.push((code, l));
        l
    }

    /// Emits the shared trap sites (after the function body).
    pub(crate) fn emit_trap_stubs(&mut self) {
        for (code, label) in std::mem::take(&mut self.trap_labels) {
            dynasm!(self.ops ; .arch x64 ; =>label);
            self.trap_site(code);
            dynasm!(self.ops ; .arch x64 ; ud2);
        }
        let propagate = self.propagate;
        dynasm!(self.ops ; .arch x64 ; =>propagate);
        let at = self.offset();
        self.traps.push((at, None));
        dynasm!(self.ops ; .arch x64 ; ud2);
    }

    // ---- the register cache ----

    /// Forgets every cached slot (at labels and after calls).
    pub(crate) fn forget_all(&mut self) {
        self.cache.holds = [None; 16];
    }

    /// Marks `r` as about to be overwritten.
    pub(crate) fn clobber(&mut self, r: u8) {
        self.cache.holds[r as usize] = None;
    }

    /// Where `slot` can be read from right now.
    pub(crate) fn opnd(&self, slot: u32) -> Opnd {
        match self.cache.find(slot) {
            Some(r) => Opnd::Reg(r),
            None => Opnd::Mem(disp(slot)),
        }
    }

    /// A scratch register for a result, not one of `avoid`.
    pub(crate) fn alloc(&mut self, avoid: &[Opnd]) -> u8 {
        loop {
            let r = CACHE_REGS[self.cache.next % CACHE_REGS.len()];
            self.cache.next = self.cache.next.wrapping_add(1);
            if !avoid.contains(&Opnd::Reg(r)) {
                self.clobber(r);
                return r;
            }
        }
    }

    /// Loads `slot` (64 bits) into `r`.
    pub(crate) fn load64(&mut self, r: u8, slot: u32) {
        match self.opnd(slot) {
            Opnd::Reg(s) if s == r => {}
            Opnd::Reg(s) => {
                self.clobber(r);
                dynasm!(self.ops ; .arch x64 ; mov Rq(r), Rq(s));
            }
            Opnd::Mem(d) => {
                self.clobber(r);
                dynasm!(self.ops ; .arch x64 ; mov Rq(r), [rbx + d]);
            }
        }
    }

    /// Loads the low 32 bits of `slot` into `r` (zero-extended).
    pub(crate) fn load32(&mut self, r: u8, slot: u32) {
        match self.opnd(slot) {
            Opnd::Reg(s) => {
                self.clobber(r);
                dynasm!(self.ops ; .arch x64 ; mov Rd(r), Rd(s));
            }
            Opnd::Mem(d) => {
                self.clobber(r);
                dynasm!(self.ops ; .arch x64 ; mov Rd(r), [rbx + d]);
            }
        }
    }

    /// Stores `r` (64 bits) to `slot` and remembers that `r` holds it.
    pub(crate) fn store(&mut self, slot: u32, r: u8) {
        let d = disp(slot);
        dynasm!(self.ops ; .arch x64 ; mov [rbx + d], Rq(r));
        self.cache.forget_slot(slot);
        self.cache.holds[r as usize] = Some(slot);
    }

    /// Stores a sign-extended 32-bit immediate to `slot`.
    pub(crate) fn store_imm(&mut self, slot: u32, imm: i32) {
        let d = disp(slot);
        self.cache.forget_slot(slot);
        dynasm!(self.ops ; .arch x64 ; mov QWORD [rbx + d], imm);
    }

    /// Loads `slot` into `xmm(x)` (64 bits; an f32 uses the low half).
    pub(crate) fn load_xmm(&mut self, x: u8, slot: u32) {
        match self.opnd(slot) {
            Opnd::Reg(s) => dynasm!(self.ops ; .arch x64 ; movq Rx(x), Rq(s)),
            Opnd::Mem(d) => dynasm!(self.ops ; .arch x64 ; movq Rx(x), [rbx + d]),
        }
    }

    /// Stores the f32 in `xmm(x)` to `slot` (upper half zeroed, like every 32-bit value).
    pub(crate) fn store_xmm32(&mut self, slot: u32, x: u8) {
        let r = self.alloc(&[]);
        dynasm!(self.ops ; .arch x64 ; movd Rd(r), Rx(x));
        self.store(slot, r);
    }

    /// Stores the f64 in `xmm(x)` to `slot`.
    pub(crate) fn store_xmm64(&mut self, slot: u32, x: u8) {
        let r = self.alloc(&[]);
        dynasm!(self.ops ; .arch x64 ; movq Rq(r), Rx(x));
        self.store(slot, r);
    }

    // ---- control ----

    /// `jcc label` (or `jmp` when `cond` is `None`).
    pub(crate) fn jump(&mut self, cond: Option<Cond>, label: DynamicLabel) {
        match cond {
            None => dynasm!(self.ops ; .arch x64 ; jmp =>label),
            Some(Cond::Eq) => dynasm!(self.ops ; .arch x64 ; je =>label),
            Some(Cond::Ne) => dynasm!(self.ops ; .arch x64 ; jne =>label),
            Some(Cond::LtS) => dynasm!(self.ops ; .arch x64 ; jl =>label),
            Some(Cond::LtU) => dynasm!(self.ops ; .arch x64 ; jb =>label),
            Some(Cond::GtS) => dynasm!(self.ops ; .arch x64 ; jg =>label),
            Some(Cond::GtU) => dynasm!(self.ops ; .arch x64 ; ja =>label),
            Some(Cond::LeS) => dynasm!(self.ops ; .arch x64 ; jle =>label),
            Some(Cond::LeU) => dynasm!(self.ops ; .arch x64 ; jbe =>label),
            Some(Cond::GeS) => dynasm!(self.ops ; .arch x64 ; jge =>label),
            Some(Cond::GeU) => dynasm!(self.ops ; .arch x64 ; jae =>label),
            Some(Cond::Parity) => dynasm!(self.ops ; .arch x64 ; jp =>label),
            Some(Cond::NoParity) => dynasm!(self.ops ; .arch x64 ; jnp =>label),
        }
    }

    /// `setcc r8` for `cond`.
    pub(crate) fn setcc(&mut self, cond: Cond, r: u8) {
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

    /// `cmp lhs, rhs` at 32 or 64 bits, `lhs` and `rhs` being slots.
    pub(crate) fn cmp_slots(&mut self, wide: bool, lhs: u32, rhs: u32) {
        let b = self.opnd(rhs);
        let a = match self.opnd(lhs) {
            Opnd::Reg(r) => r,
            Opnd::Mem(_) => {
                let r = self.alloc(&[b]);
                self.load64(r, lhs);
                self.cache.holds[r as usize] = Some(lhs);
                r
            }
        };
        match (wide, b) {
            (false, Opnd::Reg(s)) => dynasm!(self.ops ; .arch x64 ; cmp Rd(a), Rd(s)),
            (false, Opnd::Mem(d)) => dynasm!(self.ops ; .arch x64 ; cmp Rd(a), DWORD [rbx + d]),
            (true, Opnd::Reg(s)) => dynasm!(self.ops ; .arch x64 ; cmp Rq(a), Rq(s)),
            (true, Opnd::Mem(d)) => dynasm!(self.ops ; .arch x64 ; cmp Rq(a), QWORD [rbx + d]),
        }
    }

    /// `cmp lhs, imm` at 32 or 64 bits (the immediate sign-extended for 64).
    pub(crate) fn cmp_imm(&mut self, wide: bool, lhs: u32, imm: i32) {
        match (wide, self.opnd(lhs)) {
            (false, Opnd::Reg(r)) => dynasm!(self.ops ; .arch x64 ; cmp Rd(r), imm),
            (false, Opnd::Mem(d)) => dynasm!(self.ops ; .arch x64 ; cmp DWORD [rbx + d], imm),
            (true, Opnd::Reg(r)) => dynasm!(self.ops ; .arch x64 ; cmp Rq(r), imm),
            (true, Opnd::Mem(d)) => dynasm!(self.ops ; .arch x64 ; cmp QWORD [rbx + d], imm),
        }
    }

    /// Calls `libcall` through the vmctx's libcall table (SysV; the stack is 16-byte aligned
    /// in function bodies). Clobbers every scratch register.
    pub(crate) fn call_libcall(&mut self, libcall: Libcall) {
        dynasm!(self.ops
            ; .arch x64
            ; mov rax, [r15 + off::LIBCALLS as i32]
            ; call QWORD [rax + libcall.offset() as i32]
        );
        self.forget_all();
    }

    /// After a call returning a status in `eax`: trap with it unless it is 0.
    pub(crate) fn check_status(&mut self) {
        let propagate = self.propagate;
        dynasm!(self.ops ; .arch x64 ; test eax, eax ; jnz =>propagate);
    }
}
