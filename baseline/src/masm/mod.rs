//! The macro-assembler: the operations the visitor ([`crate::codegen`]) thinks in (frame
//! slots, immediates, conditions, labels, trap codes, libcalls), each lowered to x86-64 with
//! the register cache kept up to date. The visitor never sees a register or an encoding.
//!
//! Files: this one holds the operations and their vocabulary; `regcache.rs` the register
//! cache; `x64.rs` every encoding (the only place that writes machine code, through dynasm's
//! `VecAssembler`).
//!
//! Fixed registers (DESIGN.md §3; all callee-saved, so they survive calls into Rust):
//! `rbx` = frame pointer `fp` (slot `s` is `[rbx + slot_offset(s)]`), `r15` = vmctx, `r14` =
//! base of memory 0, `r13` = this function's hotness countdown, `r12` = the store's interrupt
//! flag. `xmm0` and `xmm1` are the temporaries of float operations. Calls follow SysV; in
//! function bodies the stack is 16-byte aligned.
//!
//! # The register-cache invariant
//!
//! The cache ([`regcache`]) remembers which scratch register holds a copy of which slot.
//! Every result is written through to its slot at once, so forgetting the cache is always
//! safe. Every operation here keeps these rules itself; nothing outside this module touches
//! the cache:
//! - a register's entry is dropped before the register is written with anything else
//!   ([`Masm::claim`], or [`Masm::alloc`], which hands out a register without an entry);
//! - a slot's entries are dropped before the slot is written from anywhere else
//!   ([`Masm::write_slot`] drops, stores, then records the register it stored from);
//! - everything is forgotten where control merges from elsewhere
//!   ([`Masm::bind_branch_target`]; the frame's entry) and around every call (libcalls,
//!   function calls, the tick's call into the runtime), which may clobber every scratch
//!   register and write the callee's frame.
//!
//! The one place the cache survives a jump is a fall-through that only a conditional branch
//! reaches ([`Masm::jump_unless`] / [`Masm::bind_fall_through`]): it gets the cache as it was
//! at the branch, and debug builds check that the code in between ends in a `jmp`.
//!
//! Debug builds check the first two rules: `x64.rs` logs the registers and slots each
//! encoding writes, and each time an operation consults or updates the cache
//! ([`Masm::cache`]), it asserts that nothing written since the last time still has an entry.

mod regcache;
mod x64;

pub(crate) use dynasmrt::DynamicLabel as Label;
use tierup_abi::vmctx::offsets as off;
use tierup_abi::{Libcall, TrapCode};

use regcache::RegCache;
use x64::{Gpr, Place, ShiftCount, Src, X64, Xmm};

/// A trap site: a faulting instruction's offset and the trap it means (`None`: the trap's
/// status is in `eax`, for traps reported by Rust code that JIT code called).
pub type TrapSiteRecord = (u32, Option<TrapCode>);

// ---- the vocabulary ----

/// Operand width: 32 bits (`i32`, `f32`) or 64 bits (`i64`, `f64`). A 32-bit result is
/// stored zero-extended, as the slot ABI wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Width {
    W32,
    W64,
}

/// The second operand of a binary operation: a slot or a (sign-extended) immediate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operand {
    Slot(u32),
    Imm(i32),
}

/// A condition on the flags of an integer compare (and the parity flag, for float compares).
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

/// An integer comparison `lhs <cond> rhs` at `width`, for branches and `compare_and_set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Compare {
    pub(crate) width: Width,
    pub(crate) lhs: u32,
    pub(crate) rhs: Operand,
    pub(crate) cond: Cond,
}

/// Two-operand integer operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AluOp {
    Add,
    Sub,
    Mul,
    And,
    Or,
    Xor,
}

/// Shifts and rotates (the count is taken modulo the width).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShiftOp {
    Shl,
    ShrS,
    ShrU,
    Rotl,
    Rotr,
}

/// Division and remainder, with wasm's traps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DivRemOp {
    DivS,
    DivU,
    RemS,
    RemU,
}

/// Bit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BitCount {
    /// `clz`.
    LeadingZeros,
    /// `ctz`.
    TrailingZeros,
    /// `popcnt`.
    Ones,
}

/// In-register extensions (wasm's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExtendOp {
    I32Extend8S,
    I32Extend16S,
    I64Extend8S,
    I64Extend16S,
    I64Extend32S,
    I64Extend32U,
}

/// Float arithmetic with an SSE instruction of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// One-operand float operations with an SSE instruction of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatUnaryOp {
    Sqrt,
    Ceil,
    Floor,
    Trunc,
    Nearest,
}

/// Sign-bit operations, done on the bit pattern in a general-purpose register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatSignOp {
    Abs,
    Neg,
}

/// Float comparisons the flags of `ucomis*` answer directly (`<` and `<=` are `>` and `>=`
/// with the operands swapped). Each is false when an operand is NaN, but `Ne`, which is true.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatCond {
    Eq,
    Ne,
    Gt,
    Ge,
}

/// Integer sources of an inline int → float conversion (u64 goes through a libcall).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntToFloat {
    I32S,
    I32U,
    I64S,
}

/// What a linear-memory load reads and how it extends it to the slot's 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadKind {
    /// 8 bits, zero-extended (`i32.load8_u`, `i64.load8_u`).
    U8,
    /// 16 bits, zero-extended.
    U16,
    /// 32 bits, zero-extended (`i32.load`, `f32.load`, `i64.load32_u`).
    U32,
    /// 64 bits (`i64.load`, `f64.load`).
    U64,
    /// 8 bits, sign-extended to 32 (`i32.load8_s`).
    S8ToI32,
    /// 16 bits, sign-extended to 32.
    S16ToI32,
    /// 8 bits, sign-extended to 64 (`i64.load8_s`).
    S8ToI64,
    /// 16 bits, sign-extended to 64.
    S16ToI64,
    /// 32 bits, sign-extended to 64.
    S32ToI64,
}

impl LoadKind {
    /// Bytes read.
    pub(crate) fn bytes(self) -> u32 {
        match self {
            LoadKind::U8 | LoadKind::S8ToI32 | LoadKind::S8ToI64 => 1,
            LoadKind::U16 | LoadKind::S16ToI32 | LoadKind::S16ToI64 => 2,
            LoadKind::U32 | LoadKind::S32ToI64 => 4,
            LoadKind::U64 => 8,
        }
    }
}

/// How many low bits of a value a linear-memory store writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreKind {
    I8,
    I16,
    I32,
    I64,
}

impl StoreKind {
    /// Bytes written.
    pub(crate) fn bytes(self) -> u32 {
        match self {
            StoreKind::I8 => 1,
            StoreKind::I16 => 2,
            StoreKind::I32 => 4,
            StoreKind::I64 => 8,
        }
    }
}

/// How a linear-memory access is kept in bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeapCheck {
    /// No check: the guard region after the memory catches the access (its offset is below
    /// the guard's size, and so fits a displacement).
    GuardRegion,
    /// Compare the access's end with the memory's length first.
    Explicit,
}

/// Passive segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment {
    Data,
    Elem,
}

/// A libcall argument read from a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LibcallArg {
    /// The slot's low 32 bits.
    U32(u32),
    /// The slot's 64 bits.
    U64(u32),
}

/// The fall-through of [`Masm::jump_unless`], to bind with [`Masm::bind_fall_through`].
#[must_use = "the fall-through label must be bound"]
pub(crate) struct FallThrough {
    label: Label,
    /// The cache at the branch: what is cached when the fall-through is reached.
    cache: RegCache,
}

/// The macro-assembler for one function.
pub(crate) struct Masm {
    asm: X64,
    cache: RegCache,
    /// Faulting instructions and their traps.
    traps: Vec<TrapSiteRecord>,
    /// One shared `ud2` per trap code used (emitted at the end), in order of first use.
    trap_labels: Vec<(TrapCode, Label)>,
    /// The shared "trap with the status in eax" site.
    propagate: Label,
}

/// Registers a libcall takes its arguments in after the vmctx (SysV).
const ARG_REGS: [Gpr; 5] = [Gpr::RSI, Gpr::RDX, Gpr::RCX, Gpr::R8, Gpr::R9];

impl Masm {
    pub(crate) fn new() -> Masm {
        let mut asm = X64::new();
        let propagate = asm.new_label();
        Masm {
            asm,
            cache: RegCache::default(),
            traps: Vec::new(),
            trap_labels: Vec::new(),
            propagate,
        }
    }

    /// The current code offset.
    pub(crate) fn offset(&self) -> u32 {
        self.asm.offset()
    }

    /// Emits the shared trap sites and returns the code and its trap table.
    ///
    /// # Errors
    /// If dynasm cannot resolve a label (a compiler bug).
    pub(crate) fn finish(mut self) -> Result<(Vec<u8>, Vec<TrapSiteRecord>), String> {
        self.cache().forget_all();
        for (code, label) in std::mem::take(&mut self.trap_labels) {
            self.asm.bind(label);
            self.trap_site(code);
            self.asm.ud2();
        }
        self.asm.bind(self.propagate);
        let at = self.offset();
        self.traps.push((at, None));
        self.asm.ud2();
        let code = self.asm.finalize()?;
        Ok((code, self.traps))
    }

    // ---- the register cache (the invariant lives here) ----

    /// The cache, after checking (debug builds) that nothing written since the last look
    /// still has an entry.
    fn cache(&mut self) -> &mut RegCache {
        #[cfg(debug_assertions)]
        {
            let writes = self.asm.take_writes();
            for (number, slot) in self.cache.gpr.entries() {
                debug_assert!(
                    writes.regs & (1 << number) == 0,
                    "register {number} was written while it cached slot {slot}"
                );
                debug_assert!(
                    !writes
                        .slots
                        .iter()
                        .any(|&(first, count)| (first..first + count).contains(&slot)),
                    "slot {slot} was written while register {number} cached it"
                );
            }
            self.cache.check();
        }
        &mut self.cache
    }

    /// Where `slot` can be read from right now.
    fn place(&mut self, slot: u32) -> Place {
        match self.cache().gpr.find(slot) {
            Some(r) => Place::Reg(r),
            None => Place::Frame(slot),
        }
    }

    /// Drops `r`'s entry: it is about to be written.
    fn claim(&mut self, r: Gpr) {
        self.cache().gpr.forget_reg(r);
    }

    /// A scratch register for a result, not one of the registers in `avoid` (`None`s are
    /// ignored); it has no entry.
    fn alloc(&mut self, avoid: &[Option<Gpr>]) -> Gpr {
        self.cache().gpr.take_next(|r| avoid.contains(&Some(r)))
    }

    /// Loads `slot` into `r` (64 bits, or the low 32 zero-extended).
    fn load_slot(&mut self, width: Width, r: Gpr, slot: u32) {
        match (width, self.place(slot)) {
            (Width::W64, Place::Reg(s)) if s == r => {}
            (_, Place::Reg(s)) => {
                self.claim(r);
                self.asm.mov(width, r, s);
            }
            (_, Place::Frame(slot)) => {
                self.claim(r);
                self.asm.load_slot(width, r, slot);
            }
        }
    }

    /// A register holding `slot`'s value: its cached register, or a fresh one loaded.
    fn value_reg(&mut self, slot: u32) -> Gpr {
        match self.place(slot) {
            Place::Reg(r) => r,
            Place::Frame(_) => {
                let r = self.alloc(&[]);
                self.load_slot(Width::W64, r, slot);
                r
            }
        }
    }

    /// Stores `r` (64 bits) to `slot` and remembers that `r` holds it.
    fn write_slot(&mut self, slot: u32, r: Gpr) {
        self.cache().forget_slot(slot);
        self.asm.store_slot(slot, r);
        self.cache().gpr.record(r, slot);
    }

    /// Stores `xmm`'s low `width` bits to `slot` (an f32's upper half zeroed).
    fn write_slot_from_xmm(&mut self, width: Width, slot: u32, x: Xmm) {
        let r = self.alloc(&[]);
        self.asm.mov_from_xmm(width, r, x);
        self.write_slot(slot, r);
    }

    /// Loads `slot` into `x` (64 bits; an f32 uses the low half).
    fn load_xmm(&mut self, x: Xmm, slot: u32) {
        let place = self.place(slot);
        self.asm.load_xmm(x, place);
    }

    // ---- labels, branches, traps ----

    pub(crate) fn new_label(&mut self) -> Label {
        self.asm.new_label()
    }

    /// Binds `label` where control arrives from elsewhere (a branch target, a loop header, a
    /// shared stub): the cache is forgotten.
    pub(crate) fn bind_branch_target(&mut self, label: Label) {
        self.cache().forget_all();
        self.asm.bind(label);
    }

    /// `jmp label`.
    pub(crate) fn jump(&mut self, label: Label) {
        self.asm.jmp(label);
    }

    /// Branches to `label` when `cmp` holds.
    pub(crate) fn compare_and_branch(&mut self, cmp: Compare, label: Label) {
        self.compare(cmp);
        self.asm.jcc(cmp.cond, label);
    }

    /// Branches over the code that follows, up to [`Masm::bind_fall_through`], unless `cmp`
    /// holds. That code must end in an unconditional jump: the fall-through is reached only
    /// from here and gets the cache as it is now.
    pub(crate) fn jump_unless(&mut self, cmp: Compare) -> FallThrough {
        self.compare(cmp);
        let label = self.asm.new_label();
        self.asm.jcc(cmp.cond.negate(), label);
        FallThrough {
            label,
            cache: self.cache().clone(),
        }
    }

    /// Binds the fall-through of [`Masm::jump_unless`].
    pub(crate) fn bind_fall_through(&mut self, fall_through: FallThrough) {
        #[cfg(debug_assertions)]
        debug_assert!(
            self.asm.ends_in_jump(),
            "the code before a fall-through must end in a jmp"
        );
        *self.cache() = fall_through.cache;
        self.asm.bind(fall_through.label);
    }

    /// Jumps to `targets[min(index, targets.len() - 1)]` (slot `index`'s low 32 bits, unsigned).
    pub(crate) fn jump_table(&mut self, index: u32, targets: &[Label]) {
        self.load_slot(Width::W32, Gpr::RAX, index);
        self.claim(Gpr::RAX);
        self.claim(Gpr::RCX);
        self.asm.jump_table(targets);
    }

    /// Traps with `code` here (`ud2`).
    pub(crate) fn trap(&mut self, code: TrapCode) {
        self.trap_site(code);
        self.asm.ud2();
    }

    /// Records that the next instruction may fault with `code`.
    fn trap_site(&mut self, code: TrapCode) {
        let at = self.offset();
        self.traps.push((at, Some(code)));
    }

    /// The label of the shared `ud2` for `code`.
    fn trap_label(&mut self, code: TrapCode) -> Label {
        if let Some(&(_, l)) = self.trap_labels.iter().find(|(c, _)| *c == code) {
            return l;
        }
        let l = self.asm.new_label();
        self.trap_labels.push((code, l));
        l
    }

    // ---- values ----

    /// `dst = src`.
    pub(crate) fn copy_slot(&mut self, dst: u32, src: u32) {
        let r = self.value_reg(src);
        self.write_slot(dst, r);
    }

    /// `dst = src` always through a freshly loaded register. (The sequence `ReturnSlot` has
    /// always used; [`Masm::copy_slot`] would do, one `mov` shorter when `src` is cached.)
    pub(crate) fn copy_slot_through_fresh_register(&mut self, dst: u32, src: u32) {
        let r = self.alloc(&[]);
        self.load_slot(Width::W64, r, src);
        self.write_slot(dst, r);
    }

    /// `dst = value`.
    pub(crate) fn store_const(&mut self, dst: u32, value: u64) {
        if let Ok(imm) = i32::try_from(value as i64) {
            self.cache().forget_slot(dst);
            self.asm.store_slot_imm(dst, imm);
        } else {
            let r = self.alloc(&[]);
            self.asm.mov_imm64(r, value);
            self.write_slot(dst, r);
        }
    }

    /// `dst = if cond != 0 { if_nonzero } else { if_zero }` (`cond`'s low 32 bits).
    pub(crate) fn select(&mut self, dst: u32, if_nonzero: u32, if_zero: u32, cond: u32) {
        let a = self.alloc(&[]);
        self.load_slot(Width::W64, a, if_nonzero);
        let b = self.alloc(&[Some(a)]);
        self.load_slot(Width::W64, b, if_zero);
        self.compare(Compare {
            width: Width::W32,
            lhs: cond,
            rhs: Operand::Imm(0),
            cond: Cond::Ne,
        });
        self.claim(a);
        self.asm.cmovz(a, b);
        self.write_slot(dst, a);
    }

    // ---- integer arithmetic ----

    /// Sets the flags for `cmp` (`lhs` is loaded into a register, and cached, when it must).
    fn compare(&mut self, cmp: Compare) {
        let Compare {
            width, lhs, rhs, ..
        } = cmp;
        match rhs {
            Operand::Slot(rhs) => {
                let b = self.place(rhs);
                let a = match self.place(lhs) {
                    Place::Reg(r) => r,
                    Place::Frame(_) => {
                        let r = self.alloc(&[b.reg()]);
                        self.load_slot(Width::W64, r, lhs);
                        self.cache().gpr.record(r, lhs);
                        r
                    }
                };
                self.asm.cmp(width, a, b.into());
            }
            Operand::Imm(imm) => match self.place(lhs) {
                Place::Reg(r) => self.asm.cmp(width, r, Src::Imm(imm)),
                Place::Frame(slot) => self.asm.cmp_slot_imm(width, slot, imm),
            },
        }
    }

    /// `dst = cmp holds ? 1 : 0`.
    pub(crate) fn compare_and_set(&mut self, dst: u32, cmp: Compare) {
        self.compare(cmp);
        let r = self.alloc(&[]);
        self.asm.setcc(cmp.cond, r);
        self.asm.zero_extend_byte(r);
        self.write_slot(dst, r);
    }

    /// `dst = lhs <op> rhs` at `width`.
    pub(crate) fn alu(&mut self, op: AluOp, width: Width, dst: u32, lhs: u32, rhs: Operand) {
        let src = match rhs {
            Operand::Slot(s) => Src::from(self.place(s)),
            Operand::Imm(imm) => Src::Imm(imm),
        };
        let r = match src {
            Src::Reg(s) => self.alloc(&[Some(s)]),
            Src::Frame(_) | Src::Imm(_) => self.alloc(&[]),
        };
        self.load_slot(width, r, lhs);
        self.claim(r);
        self.asm.alu(op, width, r, src);
        self.write_slot(dst, r);
    }

    /// `dst = lhs <op> rhs` at `width` (shifts and rotates).
    pub(crate) fn shift(&mut self, op: ShiftOp, width: Width, dst: u32, lhs: u32, rhs: Operand) {
        let r = match rhs {
            Operand::Imm(_) => self.alloc(&[]),
            Operand::Slot(s) => {
                let b = self.place(s);
                self.alloc(&[b.reg(), Some(Gpr::RCX)])
            }
        };
        self.load_slot(width, r, lhs);
        let count = match rhs {
            Operand::Imm(imm) => ShiftCount::Imm(imm),
            Operand::Slot(s) => {
                self.load_slot(Width::W32, Gpr::RCX, s);
                ShiftCount::Cl
            }
        };
        self.claim(r);
        self.asm.shift(op, width, r, count);
        self.write_slot(dst, r);
    }

    /// `dst = lhs <op> rhs` at `width`, trapping on a zero divisor and on `MIN / -1`.
    pub(crate) fn div_rem(&mut self, op: DivRemOp, width: Width, dst: u32, lhs: u32, rhs: Operand) {
        // The divisor goes to rcx first (it may be cached in rax or rdx).
        match rhs {
            Operand::Slot(s) => self.load_slot(width, Gpr::RCX, s),
            Operand::Imm(imm) => {
                self.claim(Gpr::RCX);
                self.asm.divisor_imm(width, imm);
            }
        }
        self.load_slot(width, Gpr::RAX, lhs);
        self.claim(Gpr::RAX);
        self.claim(Gpr::RCX);
        self.claim(Gpr::RDX);
        let div0 = self.trap_label(TrapCode::IntegerDivisionByZero);
        let overflow = self.trap_label(TrapCode::IntegerOverflow);
        let result = self.asm.div_rem(op, width, div0, overflow);
        self.write_slot(dst, result);
    }

    /// `dst = count(src)` at `width`.
    pub(crate) fn count_bits(&mut self, count: BitCount, width: Width, dst: u32, src: u32) {
        match count {
            BitCount::LeadingZeros | BitCount::TrailingZeros => {
                self.load_slot(width, Gpr::RAX, src);
                self.claim(Gpr::RCX);
                self.claim(Gpr::RAX);
                if count == BitCount::LeadingZeros {
                    self.asm.leading_zeros_rax(width);
                } else {
                    self.asm.trailing_zeros_rax(width);
                }
                self.write_slot(dst, Gpr::RAX);
            }
            BitCount::Ones => {
                let r = self.alloc(&[]);
                self.load_slot(width, r, src);
                self.claim(r);
                self.asm.popcnt(width, r);
                self.write_slot(dst, r);
            }
        }
    }

    /// `dst = extend(src)`.
    pub(crate) fn extend(&mut self, op: ExtendOp, dst: u32, src: u32) {
        let r = self.unary_operand(src);
        self.asm.extend(op, r);
        self.write_slot(dst, r);
    }

    /// A fresh register holding `src`'s 64 bits, to compute a one-operand result in.
    fn unary_operand(&mut self, src: u32) -> Gpr {
        let r = self.alloc(&[]);
        self.load_slot(Width::W64, r, src);
        self.claim(r);
        r
    }

    // ---- floats ----

    /// `dst = lhs <op> rhs` at `width`.
    pub(crate) fn float_binary(&mut self, op: FloatOp, width: Width, dst: u32, lhs: u32, rhs: u32) {
        self.load_xmm(Xmm::XMM0, lhs);
        self.load_xmm(Xmm::XMM1, rhs);
        self.asm.float_binary(op, width);
        self.write_slot_from_xmm(width, dst, Xmm::XMM0);
    }

    /// `dst = op(src)` at `width`.
    pub(crate) fn float_unary(&mut self, op: FloatUnaryOp, width: Width, dst: u32, src: u32) {
        self.load_xmm(Xmm::XMM0, src);
        self.asm.float_unary(op, width);
        self.write_slot_from_xmm(width, dst, Xmm::XMM0);
    }

    /// `dst = op(src)` on the sign bit of the float's bit pattern.
    pub(crate) fn float_sign(&mut self, op: FloatSignOp, width: Width, dst: u32, src: u32) {
        let r = self.unary_operand(src);
        self.asm.float_sign(op, width, r);
        self.write_slot(dst, r);
    }

    /// `dst = copysign(magnitude, sign)` at `width`.
    pub(crate) fn float_copysign(&mut self, width: Width, dst: u32, magnitude: u32, sign: u32) {
        let a = self.alloc(&[]);
        self.load_slot(width, a, magnitude);
        let b = self.alloc(&[Some(a)]);
        self.load_slot(width, b, sign);
        self.claim(a);
        self.claim(b);
        self.asm.copysign(width, a, b);
        self.write_slot(dst, a);
    }

    /// `dst = lhs <cond> rhs ? 1 : 0`, floats at `width`.
    pub(crate) fn float_compare_and_set(
        &mut self,
        cond: FloatCond,
        width: Width,
        dst: u32,
        lhs: u32,
        rhs: u32,
    ) {
        self.load_xmm(Xmm::XMM0, lhs);
        self.load_xmm(Xmm::XMM1, rhs);
        let (flags, parity) = self.asm.float_compare(width, cond);
        let r = self.alloc(&[]);
        match parity {
            Some((parity, both)) => {
                let t = self.alloc(&[Some(r)]);
                self.asm.setcc(flags, r);
                self.asm.setcc(parity, t);
                self.asm.combine_flags(both, r, t);
            }
            None => self.asm.setcc(flags, r),
        }
        self.asm.zero_extend_byte(r);
        self.write_slot(dst, r);
    }

    /// `dst = float(src)`, a float of width `to`.
    pub(crate) fn convert_int_to_float(&mut self, from: IntToFloat, to: Width, dst: u32, src: u32) {
        let r = self.alloc(&[]);
        let width = match from {
            IntToFloat::I32S | IntToFloat::I32U => Width::W32,
            IntToFloat::I64S => Width::W64,
        };
        self.load_slot(width, r, src);
        self.asm.int_to_float(from, to, r);
        self.write_slot_from_xmm(to, dst, Xmm::XMM0);
    }

    /// `dst = src` demoted (`to` = 32) or promoted (`to` = 64).
    pub(crate) fn convert_float(&mut self, to: Width, dst: u32, src: u32) {
        self.load_xmm(Xmm::XMM0, src);
        self.asm.float_to_float(to);
        self.write_slot_from_xmm(to, dst, Xmm::XMM0);
    }

    // ---- linear memory ----

    /// Prepares an access of `bytes` bytes at `addr + offset` of memory 0: returns `(reg,
    /// disp)` such that `[r14 + reg + disp]` is the effective address, after the explicit
    /// bounds check `check` asks for. Never uses `keep`.
    fn memory_address(
        &mut self,
        addr: u32,
        offset: u32,
        bytes: u32,
        check: HeapCheck,
        keep: Option<Gpr>,
    ) -> (Gpr, i32) {
        let a = self.alloc(&[keep]);
        self.load_slot(Width::W32, a, addr);
        if check == HeapCheck::GuardRegion
            && let Ok(disp) = i32::try_from(offset)
        {
            return (a, disp);
        }
        let end = self.alloc(&[keep, Some(a)]);
        let len = self.alloc(&[keep, Some(a), Some(end)]);
        let oob = self.trap_label(TrapCode::MemoryOutOfBounds);
        self.asm
            .heap_bounds_check(a, i64::from(offset) + i64::from(bytes), end, len, oob);
        match i32::try_from(offset) {
            Ok(disp) => (a, disp),
            Err(_) => {
                self.claim(a);
                self.asm.access_start(a, end, bytes);
                (a, 0)
            }
        }
    }

    /// `dst = memory[addr + offset]` as `kind` says.
    pub(crate) fn memory_load(
        &mut self,
        kind: LoadKind,
        dst: u32,
        addr: u32,
        offset: u32,
        check: HeapCheck,
    ) {
        let (a, disp) = self.memory_address(addr, offset, kind.bytes(), check, None);
        let r = self.alloc(&[Some(a)]);
        self.trap_site(TrapCode::MemoryOutOfBounds);
        self.asm.heap_load(kind, r, a, disp);
        self.write_slot(dst, r);
    }

    /// `memory[addr + offset] = value` (its low bits, as `kind` says).
    pub(crate) fn memory_store(
        &mut self,
        kind: StoreKind,
        addr: u32,
        offset: u32,
        value: Operand,
        check: HeapCheck,
    ) {
        match value {
            Operand::Slot(src) => {
                let v = self.value_reg(src);
                let (a, disp) = self.memory_address(addr, offset, kind.bytes(), check, Some(v));
                self.trap_site(TrapCode::MemoryOutOfBounds);
                self.asm.heap_store(kind, a, disp, v);
            }
            Operand::Imm(imm) => {
                let (a, disp) = self.memory_address(addr, offset, kind.bytes(), check, None);
                self.trap_site(TrapCode::MemoryOutOfBounds);
                self.asm.heap_store_imm(kind, a, disp, imm);
            }
        }
    }

    /// `dst` = memory 0's size in pages.
    pub(crate) fn memory_size(&mut self, dst: u32) {
        let r = self.alloc(&[]);
        self.asm.memory_size(r);
        self.write_slot(dst, r);
    }

    /// `dst = memory.grow(delta)` on memory 0 (the `memory_grow` libcall): the old size, or
    /// -1.
    pub(crate) fn memory_grow(&mut self, dst: u32, delta: u32) {
        self.load_slot(Width::W32, Gpr::RDX, delta);
        self.pass_vmctx();
        self.claim(Gpr::RSI);
        self.asm.zero_esi();
        self.call_libcall(Libcall::memory_grow());
        self.write_grow_result(dst);
    }

    /// `dst = table.grow table (init, delta)` (the `table_grow` libcall): the old size, or -1.
    pub(crate) fn table_grow(&mut self, dst: u32, table: u32, delta: u32, init: u32) {
        self.load_slot(Width::W32, Gpr::RDX, delta);
        self.load_slot(Width::W64, Gpr::RCX, init);
        self.pass_vmctx();
        self.pass_imm(Gpr::RSI, table);
        self.call_libcall(Libcall::table_grow());
        self.write_grow_result(dst);
    }

    /// Stores a grow libcall's `u64` result as an `i32` (`u64::MAX` becomes -1).
    fn write_grow_result(&mut self, dst: u32) {
        self.claim(Gpr::RAX);
        self.asm.zero_extend_eax();
        self.write_slot(dst, Gpr::RAX);
    }

    // ---- globals, tables, functions, segments ----

    /// `dst = global`.
    pub(crate) fn global_get(&mut self, dst: u32, global: u32) {
        let r = self.alloc(&[]);
        self.asm.load_vmctx_pointer(r, off::GLOBALS, global);
        self.asm.load_pointee(r);
        self.write_slot(dst, r);
    }

    /// `global = src`.
    pub(crate) fn global_set(&mut self, global: u32, src: u32) {
        let v = self.alloc(&[]);
        self.load_slot(Width::W64, v, src);
        let p = self.alloc(&[Some(v)]);
        self.asm.load_vmctx_pointer(p, off::GLOBALS, global);
        self.asm.store_pointee(p, v);
    }

    /// Bounds-checks slot `index` against table `table`: afterwards `rax` = the element array
    /// and `rcx` = the index.
    fn table_element(&mut self, table: u32, index: u32) {
        self.load_slot(Width::W32, Gpr::RCX, index);
        self.claim(Gpr::RAX);
        let oob = self.trap_label(TrapCode::TableOutOfBounds);
        self.asm.table_elements(table, oob);
    }

    /// `dst = table[index]`.
    pub(crate) fn table_get(&mut self, dst: u32, table: u32, index: u32) {
        self.table_element(table, index);
        let r = self.alloc(&[]);
        self.asm.load_table_element(r);
        self.write_slot(dst, r);
    }

    /// `table[index] = value`.
    pub(crate) fn table_set(&mut self, table: u32, index: u32, value: u32) {
        let v = self.alloc(&[Some(Gpr::RAX), Some(Gpr::RCX)]);
        self.load_slot(Width::W64, v, value);
        self.table_element(table, index);
        self.asm.store_table_element(v);
    }

    /// `dst` = table `table`'s length.
    pub(crate) fn table_size(&mut self, dst: u32, table: u32) {
        let r = self.alloc(&[]);
        self.asm.load_vmctx_pointer(r, off::TABLES, table);
        self.asm.load_table_length(r);
        self.write_slot(dst, r);
    }

    /// `dst` = function `func`'s reference.
    pub(crate) fn ref_func(&mut self, dst: u32, func: u32) {
        let r = self.alloc(&[]);
        self.asm.load_vmctx_pointer(r, off::FUNCS, func);
        self.write_slot(dst, r);
    }

    /// Drops a passive segment (`data.drop`, `elem.drop`).
    pub(crate) fn drop_segment(&mut self, kind: Segment, index: u32) {
        self.claim(Gpr::RAX);
        self.asm.drop_segment(kind, index);
    }

    // ---- calls ----

    /// `mov rdi, r15`.
    fn pass_vmctx(&mut self) {
        self.claim(Gpr::RDI);
        self.asm.vmctx_to_rdi();
    }

    /// An immediate argument in `r`.
    fn pass_imm(&mut self, r: Gpr, imm: u32) {
        self.claim(r);
        self.asm.mov_imm32(r, imm);
    }

    /// Calls `libcall` (arguments already in place); the call clobbers every scratch register.
    fn call_libcall(&mut self, libcall: Libcall) {
        self.cache().forget_all();
        self.asm.call_libcall(libcall);
        self.cache().forget_all();
    }

    /// After a call returning a status in `eax`: trap with it unless it is 0.
    fn check_status(&mut self) {
        let propagate = self.propagate;
        self.asm.jump_if_status(propagate);
    }

    /// Calls a libcall that returns a status (bulk memory and table operations):
    /// `libcall(vmctx, imms.., args..)`, trapping with a non-zero status.
    pub(crate) fn call_bulk_libcall(
        &mut self,
        libcall: Libcall,
        imms: &[u32],
        args: &[LibcallArg],
    ) {
        debug_assert!(imms.len() + args.len() <= ARG_REGS.len());
        let (imm_regs, arg_regs) = ARG_REGS.split_at(imms.len());
        for (&arg, &r) in args.iter().zip(arg_regs) {
            match arg {
                LibcallArg::U32(slot) => self.load_slot(Width::W32, r, slot),
                LibcallArg::U64(slot) => self.load_slot(Width::W64, r, slot),
            }
        }
        for (&imm, &r) in imms.iter().zip(imm_regs) {
            self.pass_imm(r, imm);
        }
        self.pass_vmctx();
        self.call_libcall(libcall);
        self.check_status();
    }

    /// `dst = libcall(src)` on bit patterns.
    pub(crate) fn call_unary_libcall(&mut self, libcall: Libcall, dst: u32, src: u32) {
        self.load_slot(Width::W64, Gpr::RDI, src);
        self.call_libcall(libcall);
        self.write_slot(dst, Gpr::RAX);
    }

    /// `dst = libcall(lhs, rhs)` on bit patterns.
    pub(crate) fn call_binary_libcall(&mut self, libcall: Libcall, dst: u32, lhs: u32, rhs: u32) {
        // Read `rhs` first when it is cached in `lhs`'s argument register.
        if self.place(rhs) == Place::Reg(Gpr::RDI) {
            self.load_slot(Width::W64, Gpr::RSI, rhs);
            self.load_slot(Width::W64, Gpr::RDI, lhs);
        } else {
            self.load_slot(Width::W64, Gpr::RDI, lhs);
            self.load_slot(Width::W64, Gpr::RSI, rhs);
        }
        self.call_libcall(libcall);
        self.write_slot(dst, Gpr::RAX);
    }

    /// `dst = libcall(src)` for a checked libcall (`tierup_abi::Checked`: status in `rax`,
    /// value in `rdx`), trapping with a non-zero status.
    pub(crate) fn call_checked_libcall(&mut self, libcall: Libcall, dst: u32, src: u32) {
        self.load_slot(Width::W64, Gpr::RDI, src);
        self.call_libcall(libcall);
        self.check_status();
        self.write_slot(dst, Gpr::RDX);
    }

    /// Calls defined function `defined` through the code table, with its frame at slot `args`.
    pub(crate) fn call_code_table_entry(&mut self, defined: u32, args: u32) {
        self.cache().forget_all();
        self.asm.call_code_table_entry(defined, args);
        self.cache().forget_all();
    }

    /// Calls function `func` through its function reference and `call_ref_helper` (see
    /// [`Masm::emit_call_ref_helper`]), with its frame at slot `args`.
    pub(crate) fn call_func_ref(&mut self, func: u32, args: u32, call_ref_helper: Label) {
        self.cache().forget_all();
        self.asm.call_func_ref(func, args, call_ref_helper);
        self.cache().forget_all();
    }

    /// `call_indirect`: calls the function reference at `table[index]` through
    /// `call_ref_helper`, with its frame at slot `args`, trapping when the index is out of
    /// bounds, the reference is null or its type is not type `type_index`.
    pub(crate) fn call_indirect(
        &mut self,
        table: u32,
        index: u32,
        type_index: u32,
        args: u32,
        call_ref_helper: Label,
    ) {
        self.table_element(table, index);
        let null = self.trap_label(TrapCode::IndirectCallToNull);
        let bad = self.trap_label(TrapCode::BadSignature);
        self.cache().forget_all();
        self.asm
            .call_table_element(type_index, args, call_ref_helper, null, bad);
        self.cache().forget_all();
    }

    /// The call-reference helper (bind its label first): calls the function reference in
    /// `rdx` with its frame at `rsi`, a wasm function through its code-table entry and a host
    /// function through the `call_host` libcall (traps reported by the host propagate).
    /// `frame_slots` is the calling function's frame size.
    pub(crate) fn emit_call_ref_helper(&mut self, frame_slots: u32) {
        let propagate = self.propagate;
        self.asm.call_ref_helper_body(frame_slots, propagate);
    }

    // ---- frame ----

    /// Saves the callee-saved registers and loads `r15` = vmctx, `rbx` = fp from the
    /// arguments (function and OSR entries).
    pub(crate) fn enter_frame(&mut self) {
        self.cache().forget_all();
        self.asm.enter_frame();
    }

    /// Loads the interrupt flag's address (`r12`) and checks the native stack and the slot
    /// stack for a frame of `frame_slots` slots, trapping with stack overflow.
    pub(crate) fn check_stacks(&mut self, frame_slots: u32) {
        let overflow = self.trap_label(TrapCode::StackOverflow);
        self.claim(Gpr::RAX);
        self.claim(Gpr::RCX);
        self.asm.check_stacks(frame_slots, overflow);
    }

    /// Loads the address of defined function `defined`'s hotness countdown (`r13`).
    pub(crate) fn load_countdown(&mut self, defined: u32) {
        self.claim(Gpr::RAX);
        self.asm.load_countdown(defined);
    }

    /// Loads memory 0's base (`r14`).
    pub(crate) fn load_memory_base(&mut self) {
        self.claim(Gpr::RAX);
        self.asm.load_memory_base();
    }

    /// Zeroes slots `first..first + count`.
    pub(crate) fn zero_slots(&mut self, first: u32, count: u32) {
        if count == 0 {
            return;
        }
        self.cache().forget_slots(first, count);
        for r in [Gpr::RAX, Gpr::RCX, Gpr::RDI] {
            self.claim(r);
        }
        self.asm.zero_slots(first, count);
    }

    /// The interrupt check and hotness tick: traps when interrupted; when the countdown
    /// crosses zero, calls `hot_helper` with `osr_pc` and, with `osr_exit`, continues there
    /// when the helper returns code to continue in. Forgets the cache (the call clobbers
    /// every scratch register on the way to the fall-through).
    pub(crate) fn tick(&mut self, hot_helper: Label, osr_pc: u32, osr_exit: Option<Label>) {
        let interrupted = self.trap_label(TrapCode::Interrupted);
        self.cache().forget_all();
        self.asm.tick(interrupted, hot_helper, osr_pc, osr_exit);
    }

    /// The tier-up helper of [`Masm::tick`] (bind its label first): calls the `tier_up`
    /// libcall for defined function `defined` with the `osr_pc` in `edx` and returns its
    /// result in `rax`.
    pub(crate) fn emit_tier_up_helper(&mut self, defined: u32) {
        self.asm.hot_helper_body(defined);
    }

    /// Pops this frame and returns.
    pub(crate) fn leave_frame_and_return(&mut self) {
        self.asm.leave_frame();
        self.asm.ret();
    }

    /// Pops this frame and tail-jumps to the code in `rax` (an OSR target) with this frame's
    /// vmctx and fp as its arguments: it returns to this function's caller.
    pub(crate) fn leave_frame_and_jump_to_osr_target(&mut self) {
        self.asm.pass_own_frame();
        self.asm.leave_frame();
        self.asm.jmp_rax();
    }
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;

    /// A masm with slot 1 cached in `r8` (the first register handed out).
    fn masm_caching_slot_1() -> Masm {
        let mut m = Masm::new();
        m.copy_slot(1, 0);
        assert_eq!(m.place(1), Place::Reg(Gpr::R8));
        m
    }

    #[test]
    fn operations_keep_the_invariant() {
        let mut m = masm_caching_slot_1();
        m.alu(AluOp::Add, Width::W32, 2, 1, Operand::Slot(1));
        m.div_rem(DivRemOp::DivS, Width::W64, 3, 2, Operand::Imm(7));
        m.call_unary_libcall(Libcall::f32_convert_i64_u(), 1, 3);
        assert_eq!(m.place(3), Place::Frame(3), "a call forgets the cache");
        assert_eq!(m.place(1), Place::Reg(Gpr::RAX), "the result is cached");
        m.finish().expect("assembles");
    }

    #[test]
    #[should_panic(expected = "was written while it cached slot 1")]
    fn writing_a_cached_register_unclaimed_is_caught() {
        let mut m = masm_caching_slot_1();
        m.asm.mov_imm64(Gpr::R8, 0);
        m.place(1);
    }

    #[test]
    #[should_panic(expected = "slot 1 was written while register 8 cached it")]
    fn writing_a_cached_slot_from_elsewhere_is_caught() {
        let mut m = masm_caching_slot_1();
        m.asm.store_slot_imm(1, 0);
        m.place(1);
    }

    #[test]
    #[should_panic(expected = "must end in a jmp")]
    fn a_fall_through_after_code_that_falls_through_is_caught() {
        let mut m = Masm::new();
        let not_taken = m.jump_unless(Compare {
            width: Width::W32,
            lhs: 0,
            rhs: Operand::Imm(0),
            cond: Cond::Eq,
        });
        m.store_const(1, 0);
        m.bind_fall_through(not_taken);
    }
}
