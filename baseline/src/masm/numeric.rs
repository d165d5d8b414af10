//! The masm's numeric operations: integer and float arithmetic, comparisons, conversions and
//! the value moves (copies, constants, `select`), and the libcalls that stand in for the
//! operations without a short x86-64 sequence.
//!
//! Integer results are computed in a fresh scratch register (or in `rax`/`rdx` for division,
//! `rax` for bit counts, with `rcx` for divisors and shift counts) and written through to
//! their slot, which the register then caches. Floats are computed in `xmm0`/`xmm1` (loaded
//! from the cache or the frame) and leave through a scratch register; `abs`, `neg` and
//! `copysign` work on the bit pattern in a scratch register.

use tierup_abi::{Libcall, TrapCode};

use super::x64::{Gpr, Place, ShiftCount, Src, Xmm};
use super::{Compare, Cond, Masm, Operand, Width};

// ---- the vocabulary ----

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

impl Masm {
    // ---- values ----

    /// `dst = src`.
    pub(crate) fn copy_slot(&mut self, dst: u32, src: u32) {
        let r = self.value_reg(src);
        match self.pin_of(dst) {
            Some(p) if p != r => {
                self.claim_for(p, dst);
                self.asm.mov(Width::W64, p, r);
                self.write_slot(dst, p);
            }
            // `src`'s store is deferred: a register of its own for `dst` (a move, where
            // taking over `r` would store `src`).
            // Likewise when `r` is `src`'s pin, which caches no other slot (a copy to a
            // call's argument, which a register call then takes from `d`).
            None if self.deferring
                && (self.is_deferred(r) || self.pins.iter().any(|&(p, _)| p == r))
                && src != dst =>
            {
                let d = self.alloc(&[Some(r)]);
                self.asm.mov(Width::W64, d, r);
                self.write_slot(dst, d);
            }
            _ => self.write_slot(dst, r),
        }
    }

    /// `dst = value`.
    pub(crate) fn store_const(&mut self, dst: u32, value: u64) {
        if let Ok(imm) = i32::try_from(value as i64)
            && self.pin_of(dst).is_none()
        {
            self.forget_written(dst, 1);
            self.asm.store_slot_imm(dst, imm);
        } else {
            self.compute_into_slot(dst, |asm, r| asm.mov_imm64(r, value));
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

    // ---- integers ----

    /// `dst = cmp holds ? 1 : 0`.
    pub(crate) fn compare_and_set(&mut self, dst: u32, cmp: Compare) {
        self.compare(cmp);
        self.compute_into_slot(dst, |asm, r| {
            asm.setcc(cmp.cond, r);
            asm.zero_extend_byte(r);
        });
    }

    /// `dst = lhs <op> rhs` at `width`.
    pub(crate) fn alu(&mut self, op: AluOp, width: Width, dst: u32, lhs: u32, rhs: Operand) {
        let src = match rhs {
            Operand::Slot(s) => Src::from(self.place(s)),
            Operand::Imm(imm) => Src::Imm(imm),
        };
        // An addition of a register or an immediate to a cached `lhs` into another register
        // is one `lea` (not a move and an `add`): the allocation keeps `lhs` cached then.
        let lea = op == AluOp::Add && !matches!(src, Src::Frame(_));
        let l = self
            .place(lhs)
            .reg()
            .filter(|&l| lea && self.pin_of(dst) != Some(l));
        let r = match (self.in_place(dst, lhs), src) {
            (Some(own), _) => own,
            (None, Src::Reg(s)) => self.alloc_for(dst, &[Some(s), l]),
            (None, Src::Frame(_) | Src::Imm(_)) => self.alloc_for(dst, &[l]),
        };
        if let Some(l) = l
            && l != r
            && self.place(lhs) == Place::Reg(l)
        {
            self.claim_for(r, dst);
            self.asm.lea_add(width, r, l, src);
            self.write_slot(dst, r);
            return;
        }
        if self.place(lhs) != Place::Reg(r) {
            self.claim_for(r, dst);
        }
        self.load_operand(width, r, lhs);
        self.claim_for(r, dst);
        self.asm.alu(op, width, r, src);
        self.write_slot(dst, r);
    }

    /// The register caching `lhs` when an operation overwrites it (`dst == lhs`, not pinned):
    /// the result may be computed there, in place, instead of in a copy.
    fn in_place(&mut self, dst: u32, lhs: u32) -> Option<Gpr> {
        if dst != lhs || self.pin_of(dst).is_some() {
            return None;
        }
        self.place(lhs).reg()
    }

    /// `dst = base + (index << shift)` at 32 bits (`shift` taken modulo 32): a shift and the
    /// addition that reads its result, in one `lea` for shifts up to 3. The shifted value
    /// is not written to any slot.
    pub(crate) fn shift_add(&mut self, dst: u32, base: u32, index: u32, shift: i32) {
        let shift = (shift & 31) as u8;
        let b = self.value_reg(base);
        let a = match self.place(index) {
            Place::Reg(a) => a,
            Place::Frame(_) => {
                let a = self.alloc(&[Some(b)]);
                self.load_slot(Width::W64, a, index);
                a
            }
        };
        let pin = self.pin_of(dst);
        if dst == base {
            // An accumulation (a pointer stepping by a scaled stride): `t = index << shift;
            // base += t`, which keeps the loop-carried chain at one cycle (a scaled `lea` is
            // slower on some cores).
            let t = self.alloc(&[Some(a), Some(b)]);
            self.claim(t);
            self.asm.mov(Width::W32, t, a);
            self.asm.shift(
                ShiftOp::Shl,
                Width::W32,
                t,
                ShiftCount::Imm(i32::from(shift)),
            );
            self.claim_for(b, dst);
            self.asm.alu(AluOp::Add, Width::W32, b, Src::Reg(t));
            self.write_slot(dst, b);
            return;
        }
        if shift <= 3 {
            // `lea` reads its operands before it writes: `dst`'s pin may be one of them.
            let r = pin.unwrap_or_else(|| self.alloc(&[Some(a), Some(b)]));
            self.claim_for(r, dst);
            self.asm.lea_scaled32(r, b, a, shift);
            self.write_slot(dst, r);
            return;
        }
        // `r = index; r <<= shift; r += base`, in `dst`'s pin unless that holds `base`.
        let r = match pin {
            Some(p) if p != b => p,
            _ => self.alloc(&[Some(a), Some(b)]),
        };
        self.claim_for(r, dst);
        if r != a {
            self.asm.mov(Width::W32, r, a);
        }
        self.asm.shift(
            ShiftOp::Shl,
            Width::W32,
            r,
            ShiftCount::Imm(i32::from(shift)),
        );
        self.asm.alu(AluOp::Add, Width::W32, r, Src::Reg(b));
        self.write_slot(dst, r);
    }

    /// `dst = lhs <op> rhs` at `width` (shifts and rotates).
    pub(crate) fn shift(&mut self, op: ShiftOp, width: Width, dst: u32, lhs: u32, rhs: Operand) {
        let r = match rhs {
            Operand::Imm(_) => self
                .in_place(dst, lhs)
                .unwrap_or_else(|| self.alloc_for(dst, &[])),
            Operand::Slot(s) => {
                let b = self.place(s);
                self.alloc_for(dst, &[b.reg(), Some(Gpr::RCX)])
            }
        };
        if self.place(lhs) != Place::Reg(r) {
            self.claim_for(r, dst);
        }
        self.load_operand(width, r, lhs);
        let count = match rhs {
            Operand::Imm(imm) => ShiftCount::Imm(imm),
            Operand::Slot(s) => {
                self.load_slot(Width::W32, Gpr::RCX, s);
                ShiftCount::Cl
            }
        };
        self.claim_for(r, dst);
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

    // ---- libcalls on bit patterns ----

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
}
