//! The interpreter's instruction set, declared once in [`for_each_instr!`](crate::for_each_instr).
//!
//! Everything else about an instruction is generated from that one list by Rust macros: the
//! [`Instr`] enum and its [`Opcode`], the result and branch-offset accessors
//! ([`Instr::dst_mut`], [`Instr::branch_offset_mut`]), branch negation
//! ([`Instr::negated_branch`]), compare-and-branch fusion ([`Instr::fused_branch`]), the
//! documentation table ([`table`]) and both dispatch backends of the executor
//! (`crate::exec`). Adding an instruction means one entry in the list plus its semantics
//! (an arm in `exec.rs`, and in each machine-code tier that compiles the bytecode).
//!
//! Naming rules:
//! - Operands are frame *slots* (`Slot`, an index from the frame pointer `fp`) unless the
//!   field is called `imm`/`value` (an immediate folded into the instruction) or is an index
//!   into one of the module's index spaces (`func`, `global`, `table`, `segment`,
//!   `type_index`).
//! - `@dst` marks the slot the instruction writes (always called `dst`); `lhs`/`rhs`/`src`/
//!   `addr`/`index` are slots read; `to`/`from`/`len` are the slots of a bulk operation's
//!   destination, source and length.
//! - `@offset` marks a branch distance in instructions, relative to the branching instruction
//!   itself. In loads and stores, a plain `offset` is the access's static offset.
//! - A suffix `Imm` means the right-hand operand is an immediate: an `i32` for 32-bit ops, an
//!   `i32` sign-extended to 64 bits for 64-bit ops.
//! - `BrIf<Op>` are compare-and-branch fusions: branch when `lhs <op> rhs` holds. A
//!   comparison that can be fused says so with `fuse(BrIf..)`; a conditional branch names the
//!   branch with the opposite condition with `negate(..)`.
//! - `IncBrIf<Op>` are loop-counter fusions: `lhs += step` (`step`, an `i16` immediate kept
//!   in the two bytes after the tag), then `BrIf<Op>`. A compare-and-branch that can absorb
//!   the increment before it says so with `inc(IncBrIf..)`.
//! - `AddBrIf<Op>` are the same with a variable step: `lhs += by` (`by`, a slot below 2^16
//!   kept in the two bytes after the tag), then `BrIf<Op>`, for the three conditions loops
//!   test (`!=`, `<` signed and unsigned): see [`Instr::stepped_branch`].
//! - A suffix `Acc` (`AddrAcc`) is the *accumulator form* of the instruction without it: the
//!   same fields and semantics, but one operand (the right-hand one of a binary operation,
//!   `lhs` of an `Imm` operation, `addr` of a load or an `AddrAcc` store, `src` of a store)
//!   is the result of the instruction right before it, which the interpreter still holds in
//!   a register (`crate::exec`). Machine-code tiers read the slot, as for the plain form.
//! - Every taken branch with an offset ≤ 0 is a loop back-edge: the executor counts it
//!   (hotness; interruption is checked where the count crosses zero), so loops need no
//!   extra instruction.
//! - [`Instr::Extra`] is never executed: it carries the operands that did not fit in the
//!   instruction before it (which skips it).
//!
//! Every instruction is 16 bytes (checked by a test), so the bytecode stays dense. The enum is
//! `#[repr(u16)]`: its tag is the first two bytes, equal to its [`Opcode`] (checked by a
//! test), which the threaded dispatcher reads to index its handler table.

use tierup_abi::TrapCode;

/// A frame slot index (relative to the frame pointer).
pub type Slot = u32;

/// Calls `$callback!` with the list of every interpreter instruction, in opcode order.
///
/// Each entry is `/// doc` lines, then `Name { fields }`, then any relations, then `;`:
/// - a field is `name: Type`, or `@dst: Slot` (the result slot) or `@offset: i32` (a branch
///   distance), see the module docs;
/// - `fuse(BrIfX)`: this comparison followed by a conditional branch on its result is the
///   compare-and-branch `BrIfX` (same operands minus `dst`, plus `@offset`);
/// - `negate(BrIfY)`: `BrIfY` (same operands) branches exactly when this branch does not.
/// - `inc(IncBrIfZ)`: `IncBrIfZ` (a `step` plus the same operands) first adds `step` to `lhs`,
///   then branches as this one does.
#[macro_export]
macro_rules! for_each_instr {
    ($callback:ident) => {
        $callback! { {

            // ---- control ----
            /// Trap with `code`.
            Trap { code: TrapCode };
            /// Pay `amount` fuel for the segment that starts here, or trap with `OutOfFuel`
            /// (`tierup_abi::metering`; emitted only when the module consumes fuel).
            ConsumeFuel { amount: u32 };
            /// Unconditional branch.
            Br { @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch unconditionally (a loop's `x += k;
            /// br $loop`).
            IncBr { step: i16, lhs: Slot, @offset: i32 };
            /// `IncBr` back to a loop header whose first instruction is an
            /// `I32Load8UBrTable` reading `lhs` (a bytecode VM's `pc += k; br $dispatch`):
            /// the interpreter increments, counts the back-edge, then runs the header's load
            /// and table itself with the new `lhs` at hand (one dispatch less, and no reload
            /// of the slot just written). Machine-code tiers compile it as `IncBr`.
            IncBrLoad8UBrTable { step: i16, lhs: Slot, @offset: i32 };
            /// `Br` back to a loop header whose first instruction is an `I32Load8UBrTable`:
            /// the interpreter counts the back-edge, then runs the header's load and table
            /// itself (one dispatch less). Machine-code tiers compile it as `Br`.
            BrLoad8UBrTable { @offset: i32 };
            /// `BrLoad8UBrTable` whose header reads the result of the instruction right
            /// before this one (the accumulator) as its address.
            BrLoad8UBrTableAcc { @offset: i32 };
            /// Branch when `src != 0` (32-bit test).
            BrIfNez { src: Slot, @offset: i32 } negate(BrIfEqz);
            /// Branch when `src == 0` (32-bit test).
            BrIfEqz { src: Slot, @offset: i32 } negate(BrIfNez);
            /// Branch when `i32 lhs == rhs`.
            BrIfI32Eq { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI32Ne) inc(IncBrIfI32Eq);
            /// Branch when `i32 lhs != rhs`.
            BrIfI32Ne { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI32Eq) inc(IncBrIfI32Ne);
            /// Branch when `i32 lhs < rhs` (signed).
            BrIfI32LtS { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI32GeS) inc(IncBrIfI32LtS);
            /// Branch when `i32 lhs < rhs` (unsigned).
            BrIfI32LtU { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI32GeU) inc(IncBrIfI32LtU);
            /// Branch when `i32 lhs > rhs` (signed).
            BrIfI32GtS { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI32LeS) inc(IncBrIfI32GtS);
            /// Branch when `i32 lhs > rhs` (unsigned).
            BrIfI32GtU { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI32LeU) inc(IncBrIfI32GtU);
            /// Branch when `i32 lhs <= rhs` (signed).
            BrIfI32LeS { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI32GtS) inc(IncBrIfI32LeS);
            /// Branch when `i32 lhs <= rhs` (unsigned).
            BrIfI32LeU { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI32GtU) inc(IncBrIfI32LeU);
            /// Branch when `i32 lhs >= rhs` (signed).
            BrIfI32GeS { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI32LtS) inc(IncBrIfI32GeS);
            /// Branch when `i32 lhs >= rhs` (unsigned).
            BrIfI32GeU { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI32LtU) inc(IncBrIfI32GeU);
            /// Branch when `i32 lhs == imm`.
            BrIfI32EqImm { lhs: Slot, imm: i32, @offset: i32 } negate(BrIfI32NeImm) inc(IncBrIfI32EqImm);
            /// Branch when `i32 lhs != imm`.
            BrIfI32NeImm { lhs: Slot, imm: i32, @offset: i32 } negate(BrIfI32EqImm) inc(IncBrIfI32NeImm);
            /// Branch when `i32 lhs < imm` (signed).
            BrIfI32LtSImm { lhs: Slot, imm: i32, @offset: i32 } negate(BrIfI32GeSImm) inc(IncBrIfI32LtSImm);
            /// Branch when `i32 lhs < imm` (unsigned).
            BrIfI32LtUImm { lhs: Slot, imm: i32, @offset: i32 } negate(BrIfI32GeUImm) inc(IncBrIfI32LtUImm);
            /// Branch when `i32 lhs > imm` (signed).
            BrIfI32GtSImm { lhs: Slot, imm: i32, @offset: i32 } negate(BrIfI32LeSImm) inc(IncBrIfI32GtSImm);
            /// Branch when `i32 lhs > imm` (unsigned).
            BrIfI32GtUImm { lhs: Slot, imm: i32, @offset: i32 } negate(BrIfI32LeUImm) inc(IncBrIfI32GtUImm);
            /// Branch when `i32 lhs <= imm` (signed).
            BrIfI32LeSImm { lhs: Slot, imm: i32, @offset: i32 } negate(BrIfI32GtSImm) inc(IncBrIfI32LeSImm);
            /// Branch when `i32 lhs <= imm` (unsigned).
            BrIfI32LeUImm { lhs: Slot, imm: i32, @offset: i32 } negate(BrIfI32GtUImm) inc(IncBrIfI32LeUImm);
            /// Branch when `i32 lhs >= imm` (signed).
            BrIfI32GeSImm { lhs: Slot, imm: i32, @offset: i32 } negate(BrIfI32LtSImm) inc(IncBrIfI32GeSImm);
            /// Branch when `i32 lhs >= imm` (unsigned).
            BrIfI32GeUImm { lhs: Slot, imm: i32, @offset: i32 } negate(BrIfI32LtUImm) inc(IncBrIfI32GeUImm);
            /// Branch when `i64 lhs == rhs`.
            BrIfI64Eq { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI64Ne);
            /// Branch when `i64 lhs != rhs`.
            BrIfI64Ne { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI64Eq);
            /// Branch when `i64 lhs < rhs` (signed).
            BrIfI64LtS { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI64GeS);
            /// Branch when `i64 lhs < rhs` (unsigned).
            BrIfI64LtU { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI64GeU);
            /// Branch when `i64 lhs > rhs` (signed).
            BrIfI64GtS { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI64LeS);
            /// Branch when `i64 lhs > rhs` (unsigned).
            BrIfI64GtU { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI64LeU);
            /// Branch when `i64 lhs <= rhs` (signed).
            BrIfI64LeS { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI64GtS);
            /// Branch when `i64 lhs <= rhs` (unsigned).
            BrIfI64LeU { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI64GtU);
            /// Branch when `i64 lhs >= rhs` (signed).
            BrIfI64GeS { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI64LtS);
            /// Branch when `i64 lhs >= rhs` (unsigned).
            BrIfI64GeU { lhs: Slot, rhs: Slot, @offset: i32 } negate(BrIfI64LtU);
            // ---- loop-counter fusions (`lhs += step`, then a compare-and-branch) ----
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs == rhs`.
            IncBrIfI32Eq { step: i16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs != rhs`.
            IncBrIfI32Ne { step: i16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs < rhs` (signed).
            IncBrIfI32LtS { step: i16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs < rhs` (unsigned).
            IncBrIfI32LtU { step: i16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs > rhs` (signed).
            IncBrIfI32GtS { step: i16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs > rhs` (unsigned).
            IncBrIfI32GtU { step: i16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs <= rhs` (signed).
            IncBrIfI32LeS { step: i16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs <= rhs` (unsigned).
            IncBrIfI32LeU { step: i16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs >= rhs` (signed).
            IncBrIfI32GeS { step: i16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs >= rhs` (unsigned).
            IncBrIfI32GeU { step: i16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs == imm`.
            IncBrIfI32EqImm { step: i16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs != imm`.
            IncBrIfI32NeImm { step: i16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs < imm` (signed).
            IncBrIfI32LtSImm { step: i16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs < imm` (unsigned).
            IncBrIfI32LtUImm { step: i16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs > imm` (signed).
            IncBrIfI32GtSImm { step: i16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs > imm` (unsigned).
            IncBrIfI32GtUImm { step: i16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs <= imm` (signed).
            IncBrIfI32LeSImm { step: i16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs <= imm` (unsigned).
            IncBrIfI32LeUImm { step: i16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs >= imm` (signed).
            IncBrIfI32GeSImm { step: i16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += step` (i32, wrapping), then branch when `i32 lhs >= imm` (unsigned).
            IncBrIfI32GeUImm { step: i16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += by` (i32, wrapping; `by` a slot), then branch when `i32 lhs != rhs`
            /// (`rhs` never `lhs`): a loop counter stepping by a variable (`j += k; br_if
            /// (j != n)`).
            AddBrIfI32Ne { by: u16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += by` (i32, wrapping; `by` a slot), then branch when `i32 lhs < rhs`
            /// (signed; `rhs` never `lhs`).
            AddBrIfI32LtS { by: u16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += by` (i32, wrapping; `by` a slot), then branch when `i32 lhs < rhs`
            /// (unsigned; `rhs` never `lhs`).
            AddBrIfI32LtU { by: u16, lhs: Slot, rhs: Slot, @offset: i32 };
            /// `lhs += by` (i32, wrapping; `by` a slot), then branch when `i32 lhs != imm`.
            AddBrIfI32NeImm { by: u16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += by` (i32, wrapping; `by` a slot), then branch when `i32 lhs < imm`
            /// (signed).
            AddBrIfI32LtSImm { by: u16, lhs: Slot, imm: i32, @offset: i32 };
            /// `lhs += by` (i32, wrapping; `by` a slot), then branch when `i32 lhs < imm`
            /// (unsigned): a sieve's `j += i; br_if (j < N)`.
            AddBrIfI32LtUImm { by: u16, lhs: Slot, imm: i32, @offset: i32 };
            /// Jump to entry `min(index, len)` of the `len + 1` `Br` instructions that follow.
            BrTable { index: Slot, len: u32 };
            /// `I32Load8U`, paired with the `BrTable` right after it, whose `index` is `dst`
            /// (a temporary nothing else reads): the interpreter loads the byte and takes the
            /// table's entry in one dispatch, without writing `dst` (a bytecode VM's
            /// `br_table (i32.load8_u (local.get $pc))`). Machine-code tiers compile it as
            /// `I32Load8U`, then the `BrTable` as usual.
            I32Load8UBrTable { @dst: Slot, addr: Slot, offset: u32 };
            /// Return from the function (results already in `fp[0..]`).
            Return {};
            /// Copy `src` to `fp[0]`, then return.
            ReturnSlot { src: Slot };
            /// Write `value` to `fp[0]`, then return.
            ReturnImm { value: u64 };
            /// `(fp[0], fp[1]) = (lo, hi)` (both read first), then return: two one-slot
            /// results. Never `lo == 1 && hi == 0` (a swap).
            Return2 { lo: Slot, hi: Slot };
            /// Call function `func` of this instance; its frame (and arguments) start at slot `args`.
            Call { func: u32, args: Slot };
            /// Call through table `Extra.a` entry `index`, expecting module type `type_index`; the
            /// callee frame starts at `args`.
            CallIndirect { type_index: u32, index: Slot, args: Slot };
            /// Carries extra operands of the previous instruction; never executed.
            Extra { a: u32, b: u32, c: u32 };

            // ---- moves, constants, select ----
            /// `dst = src`
            Copy { @dst: Slot, src: Slot };
            /// `(dst, dst + 1) = (src, src + 1)`, both read before either is written: two
            /// one-slot copies in one (the translator fuses a pair of `Copy`s that this
            /// equals). Leaves no accumulator.
            Copy2 { @dst: Slot, src: Slot };
            /// `f32x4.mul` then `f32x4.add` in one: `dst = Extra.a + lhs * rhs` if `Extra.c`
            /// is 0, else `dst = lhs * rhs + Extra.a` (the sum's operands in wasm's order).
            /// `Extra.b` is the slot the product had before the fusion, where the machine-code
            /// tiers may compute it (nothing reads it afterwards). A translator fusion, listed
            /// here because the SIMD part of the list maps each entry to a wasm operator.
            F32x4MulAdd { @dst: Slot, lhs: Slot, rhs: Slot };
            // ---- pair fusions: the first instruction of a pair, with the second left as
            // it is right after it (an `I32Add`/`I32Xor` or its `Acc` form, reading `dst` as
            // its `rhs`). The interpreter runs both at once and skips the second; `dst`, a
            // temporary nothing else reads, is then not written. Machine-code tiers compile
            // the first like its plain form and the second as usual.
            /// `I32ShlImm`, paired with an `I32Add`.
            I32ShlImmAdd { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32ShlImm`, paired with an `I32Xor`.
            I32ShlImmXor { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32ShrUImm`, paired with an `I32Xor`.
            I32ShrUImmXor { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32Mul`, paired with an `I32Add`.
            I32MulAdd { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32Xor`, paired with an `I32Add`.
            I32XorAdd { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32Load8U`, paired with an `I32Add` (`sum += p[i]`: checksums, counts).
            I32Load8UAdd { @dst: Slot, addr: Slot, offset: u32 };
            /// `I32Load`, paired with an `I32Add`.
            I32LoadAdd { @dst: Slot, addr: Slot, offset: u32 };
            /// `I32ShlImmAdd`, `lhs` the accumulator.
            I32ShlImmAddAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32ShlImmXor`, `lhs` the accumulator.
            I32ShlImmXorAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32ShrUImmXor`, `lhs` the accumulator.
            I32ShrUImmXorAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32MulAdd`, `rhs` the accumulator.
            I32MulAddAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32XorAdd`, `rhs` the accumulator.
            I32XorAddAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            // ---- pair fusions whose *second* reads the accumulator: the paired `I32AddAcc`'s
            // `lhs` is the result of the instruction right before the pair (which the
            // interpreter still holds in a register, as for an `Acc` form; the first's own
            // operands are slots). `acc * 31 + (x ^ i)` keeps the product in the register.
            /// `I32XorAdd`, the paired add's `lhs` the accumulator.
            I32XorAddPrev { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32MulAdd`, the paired add's `lhs` the accumulator.
            I32MulAddPrev { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32ShlImmAdd`, the paired add's `lhs` the accumulator.
            I32ShlImmAddPrev { @dst: Slot, lhs: Slot, imm: i32 };
            // ---- *self* pair fusions, `x ^= x << k` and `x ^= x >> k` (xorshift): the paired
            // `I32XorAcc`'s `lhs` is the first's `lhs`, so the interpreter reads that value
            // once (from the accumulator in the `Acc` forms) and neither field of the second
            // but its `dst`.
            /// `I32ShlImmXor`, the paired xor's `lhs` being `lhs`.
            I32ShlImmXorSelf { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32ShrUImmXor`, the paired xor's `lhs` being `lhs`.
            I32ShrUImmXorSelf { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32ShlImmXorAcc`, the paired xor's `lhs` being `lhs` (the accumulator).
            I32ShlImmXorAccSelf { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32ShrUImmXorAcc`, the paired xor's `lhs` being `lhs` (the accumulator).
            I32ShrUImmXorAccSelf { @dst: Slot, lhs: Slot, imm: i32 };
            /// `dst = value` (a 32-bit value, zero-extended).
            Const32 { @dst: Slot, value: u32 };
            /// `dst = value`
            Const64 { @dst: Slot, value: u64 };
            /// `dst = if Extra.a (cond, i32) != 0 { a } else { b }`
            Select { @dst: Slot, a: Slot, b: Slot };
            /// `dst = global[global]`
            GlobalGet { @dst: Slot, global: u32 };
            /// `global[global] = src`
            GlobalSet { global: u32, src: Slot };

            // ---- memory (memory 0; `offset` is the static offset) ----
            /// `dst = i32 load`
            I32Load { @dst: Slot, addr: Slot, offset: u32 };
            /// `I32Load`, the first of a *load pair*: the interpreter also runs the `I32Load`
            /// right after it (the translator fuses two neighbouring `I32Load`s with no label
            /// between them) in the same dispatch and skips it. Unlike a pair fusion, both
            /// write their `dst`. Machine-code tiers compile it as a plain `I32Load`.
            I32LoadPair { @dst: Slot, addr: Slot, offset: u32 };
            /// `I32LoadPair` whose two loaded values are multiplied and summed by the pair
            /// fusion right after it (a *dot step*, `sum += load(a) * load(b)`: this, an
            /// `I32Load`, an `I32MulAdd` or its `Acc` form of the two loaded temporaries, and
            /// an `I32AddAcc` of the product). The interpreter runs all four in one dispatch
            /// and writes only the sum (the three temporaries nothing else reads); each load
            /// still traps on its own bounds, in order. Machine-code tiers compile it as a
            /// plain `I32Load`.
            I32LoadPairMulAdd { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = i64 load`
            I64Load { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = f32 load`
            F32Load { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = f64 load`
            F64Load { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = i32 load8_s`
            I32Load8S { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = i32 load8_u`
            I32Load8U { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = i32 load16_s`
            I32Load16S { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = i32 load16_u`
            I32Load16U { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = i32 load8_u` at `addr + disp` (i32, wrapping; static offset 0): an
            /// `i32.add` of a constant whose temporary only the load reads, joined to it (one
            /// dispatch; the sum is not written). Machine-code tiers compute the sum into `dst`,
            /// then load.
            I32Load8UDisp { @dst: Slot, addr: Slot, disp: i32 };
            /// `dst = i32 load16_u` at `addr + disp` (as `I32Load8UDisp`).
            I32Load16UDisp { @dst: Slot, addr: Slot, disp: i32 };
            /// `dst = i32 load` at `addr + disp` (as `I32Load8UDisp`).
            I32LoadDisp { @dst: Slot, addr: Slot, disp: i32 };
            /// `dst = i64 load8_s`
            I64Load8S { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = i64 load8_u`
            I64Load8U { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = i64 load16_s`
            I64Load16S { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = i64 load16_u`
            I64Load16U { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = i64 load32_s`
            I64Load32S { @dst: Slot, addr: Slot, offset: u32 };
            /// `dst = i64 load32_u`
            I64Load32U { @dst: Slot, addr: Slot, offset: u32 };
            /// 32-bit store of `src`.
            I32Store { addr: Slot, src: Slot, offset: u32 };
            /// 64-bit store of `src`.
            I64Store { addr: Slot, src: Slot, offset: u32 };
            /// 8-bit store of `src`.
            Store8 { addr: Slot, src: Slot, offset: u32 };
            /// 16-bit store of `src`.
            Store16 { addr: Slot, src: Slot, offset: u32 };
            /// 32-bit store of an immediate.
            I32StoreImm { addr: Slot, imm: i32, offset: u32 };
            /// 64-bit store of a sign-extended immediate.
            I64StoreImm { addr: Slot, imm: i32, offset: u32 };
            /// 8-bit store of an immediate.
            Store8Imm { addr: Slot, imm: i32, offset: u32 };
            /// 16-bit store of an immediate.
            Store16Imm { addr: Slot, imm: i32, offset: u32 };
            /// The loads and stores that follow access memory `memory` (multi-memory): the
            /// translator puts one before an access to a memory other than 0 and a
            /// `UseMemory { memory: 0 }` right after it, so every other instruction sees
            /// memory 0 (the memory the executor and the baseline keep at hand).
            UseMemory { memory: u32 };
            /// `dst = memory.size` (pages) of memory `memory`.
            MemorySize { @dst: Slot, memory: u32 };
            /// `dst = memory.grow(delta)` of memory `memory`.
            MemoryGrow { @dst: Slot, delta: Slot, memory: u32 };
            /// `memory.fill Extra.a (addr, value, len)`
            MemoryFill { addr: Slot, value: Slot, len: Slot };
            /// `memory.copy Extra.a Extra.b (to, from, len)`: to memory `a` from memory `b`.
            MemoryCopy { to: Slot, from: Slot, len: Slot };
            /// `memory.init Extra.b Extra.a (to, from, len)`: segment `a` into memory `b`.
            MemoryInit { to: Slot, from: Slot, len: Slot };
            /// `data.drop segment`
            DataDrop { segment: u32 };

            // ---- tables and references ----
            /// `dst = table[table][index]`
            TableGet { @dst: Slot, table: u32, index: Slot };
            /// `table[table][index] = value`
            TableSet { table: u32, index: Slot, value: Slot };
            /// `dst = table.size table`
            TableSize { @dst: Slot, table: u32 };
            /// `dst = table.grow table (init = Extra.a slot, delta)`
            TableGrow { @dst: Slot, table: u32, delta: Slot };
            /// `table.fill table (index, value, len = Extra.a slot)`
            TableFill { table: u32, index: Slot, value: Slot };
            /// `table.copy Extra.a Extra.b (to, from, len)` (destination table, source table)
            TableCopy { to: Slot, from: Slot, len: Slot };
            /// `table.init Extra.a Extra.b (to, from, len)` (table, segment)
            TableInit { to: Slot, from: Slot, len: Slot };
            /// `elem.drop segment`
            ElemDrop { segment: u32 };
            /// `dst = ref.func func`
            RefFunc { @dst: Slot, func: u32 };

            // ---- i32 arithmetic ----
            /// i32 `+` (wrapping)
            I32Add { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 `-` (wrapping)
            I32Sub { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 `*` (wrapping)
            I32Mul { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 signed division (traps on 0 and overflow)
            I32DivS { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 unsigned division (traps on 0)
            I32DivU { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 signed remainder (traps on 0)
            I32RemS { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 unsigned remainder (traps on 0)
            I32RemU { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 `&`
            I32And { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 `|`
            I32Or { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 `^`
            I32Xor { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 shift left (count mod 32)
            I32Shl { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 arithmetic shift right
            I32ShrS { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 logical shift right
            I32ShrU { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 rotate left
            I32Rotl { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 rotate right
            I32Rotr { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i32 `+ imm`
            I32AddImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 `- imm`
            I32SubImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 `* imm`
            I32MulImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 signed division by an immediate
            I32DivSImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 unsigned division by an immediate
            I32DivUImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 signed remainder by an immediate
            I32RemSImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 unsigned remainder by an immediate
            I32RemUImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 `& imm`
            I32AndImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 `| imm`
            I32OrImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 `^ imm`
            I32XorImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 shift left by an immediate
            I32ShlImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 arithmetic shift right by an immediate
            I32ShrSImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 logical shift right by an immediate
            I32ShrUImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 rotate left by an immediate
            I32RotlImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 rotate right by an immediate
            I32RotrImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i32 `==` → 0/1
            I32Eq { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI32Eq);
            /// i32 `!=`
            I32Ne { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI32Ne);
            /// i32 `<` signed
            I32LtS { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI32LtS);
            /// i32 `<` unsigned
            I32LtU { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI32LtU);
            /// i32 `>` signed
            I32GtS { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI32GtS);
            /// i32 `>` unsigned
            I32GtU { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI32GtU);
            /// i32 `<=` signed
            I32LeS { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI32LeS);
            /// i32 `<=` unsigned
            I32LeU { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI32LeU);
            /// i32 `>=` signed
            I32GeS { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI32GeS);
            /// i32 `>=` unsigned
            I32GeU { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI32GeU);
            /// i32 `== imm`
            I32EqImm { @dst: Slot, lhs: Slot, imm: i32 } fuse(BrIfI32EqImm);
            /// i32 `!= imm`
            I32NeImm { @dst: Slot, lhs: Slot, imm: i32 } fuse(BrIfI32NeImm);
            /// i32 `< imm` signed
            I32LtSImm { @dst: Slot, lhs: Slot, imm: i32 } fuse(BrIfI32LtSImm);
            /// i32 `< imm` unsigned
            I32LtUImm { @dst: Slot, lhs: Slot, imm: i32 } fuse(BrIfI32LtUImm);
            /// i32 `> imm` signed
            I32GtSImm { @dst: Slot, lhs: Slot, imm: i32 } fuse(BrIfI32GtSImm);
            /// i32 `> imm` unsigned
            I32GtUImm { @dst: Slot, lhs: Slot, imm: i32 } fuse(BrIfI32GtUImm);
            /// i32 `<= imm` signed
            I32LeSImm { @dst: Slot, lhs: Slot, imm: i32 } fuse(BrIfI32LeSImm);
            /// i32 `<= imm` unsigned
            I32LeUImm { @dst: Slot, lhs: Slot, imm: i32 } fuse(BrIfI32LeUImm);
            /// i32 `>= imm` signed
            I32GeSImm { @dst: Slot, lhs: Slot, imm: i32 } fuse(BrIfI32GeSImm);
            /// i32 `>= imm` unsigned
            I32GeUImm { @dst: Slot, lhs: Slot, imm: i32 } fuse(BrIfI32GeUImm);
            /// i32 count leading zeros
            I32Clz { @dst: Slot, src: Slot };
            /// i32 count trailing zeros
            I32Ctz { @dst: Slot, src: Slot };
            /// i32 population count
            I32Popcnt { @dst: Slot, src: Slot };
            /// i32 `== 0` (also `ref.is_null` via [`Instr::I64Eqz`])
            I32Eqz { @dst: Slot, src: Slot } fuse(BrIfEqz);
            /// sign-extend the low 8 bits
            I32Extend8S { @dst: Slot, src: Slot };
            /// sign-extend the low 16 bits
            I32Extend16S { @dst: Slot, src: Slot };

            // ---- i64 arithmetic ----
            /// i64 `+`
            I64Add { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 `-`
            I64Sub { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 `*`
            I64Mul { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 signed division
            I64DivS { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 unsigned division
            I64DivU { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 signed remainder
            I64RemS { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 unsigned remainder
            I64RemU { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 `&`
            I64And { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 `|`
            I64Or { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 `^`
            I64Xor { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 shift left
            I64Shl { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 arithmetic shift right
            I64ShrS { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 logical shift right
            I64ShrU { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 rotate left
            I64Rotl { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 rotate right
            I64Rotr { @dst: Slot, lhs: Slot, rhs: Slot };
            /// i64 `+ imm`
            I64AddImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `- imm`
            I64SubImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `* imm`
            I64MulImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 signed division by an immediate
            I64DivSImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 unsigned division by an immediate
            I64DivUImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 signed remainder by an immediate
            I64RemSImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 unsigned remainder by an immediate
            I64RemUImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `& imm`
            I64AndImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `| imm`
            I64OrImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `^ imm`
            I64XorImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 shift left by an immediate
            I64ShlImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 arithmetic shift right by an immediate
            I64ShrSImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 logical shift right by an immediate
            I64ShrUImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 rotate left by an immediate
            I64RotlImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 rotate right by an immediate
            I64RotrImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `==`
            I64Eq { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI64Eq);
            /// i64 `!=`
            I64Ne { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI64Ne);
            /// i64 `<` signed
            I64LtS { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI64LtS);
            /// i64 `<` unsigned
            I64LtU { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI64LtU);
            /// i64 `>` signed
            I64GtS { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI64GtS);
            /// i64 `>` unsigned
            I64GtU { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI64GtU);
            /// i64 `<=` signed
            I64LeS { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI64LeS);
            /// i64 `<=` unsigned
            I64LeU { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI64LeU);
            /// i64 `>=` signed
            I64GeS { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI64GeS);
            /// i64 `>=` unsigned
            I64GeU { @dst: Slot, lhs: Slot, rhs: Slot } fuse(BrIfI64GeU);
            /// i64 `== imm`
            I64EqImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `!= imm`
            I64NeImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `< imm` signed
            I64LtSImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `< imm` unsigned
            I64LtUImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `> imm` signed
            I64GtSImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `> imm` unsigned
            I64GtUImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `<= imm` signed
            I64LeSImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `<= imm` unsigned
            I64LeUImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `>= imm` signed
            I64GeSImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 `>= imm` unsigned
            I64GeUImm { @dst: Slot, lhs: Slot, imm: i32 };
            /// i64 count leading zeros
            I64Clz { @dst: Slot, src: Slot };
            /// i64 count trailing zeros
            I64Ctz { @dst: Slot, src: Slot };
            /// i64 population count
            I64Popcnt { @dst: Slot, src: Slot };
            /// i64 `== 0` (also `ref.is_null`)
            I64Eqz { @dst: Slot, src: Slot };
            /// sign-extend the low 8 bits
            I64Extend8S { @dst: Slot, src: Slot };
            /// sign-extend the low 16 bits
            I64Extend16S { @dst: Slot, src: Slot };
            /// sign-extend the low 32 bits (also `i64.extend_i32_s`)
            I64Extend32S { @dst: Slot, src: Slot };
            /// zero-extend the low 32 bits (`i64.extend_i32_u`, `i32.wrap_i64`)
            I64Extend32U { @dst: Slot, src: Slot };

            // ---- f32 / f64 arithmetic (IEEE 754 with wasm's NaN and min/max rules) ----
            /// f32 `+`
            F32Add { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 `-`
            F32Sub { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 `*`
            F32Mul { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 `/`
            F32Div { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 wasm `min`
            F32Min { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 wasm `max`
            F32Max { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 copysign
            F32Copysign { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 `==`
            F32Eq { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 `!=`
            F32Ne { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 `<`
            F32Lt { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 `>`
            F32Gt { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 `<=`
            F32Le { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 `>=`
            F32Ge { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f32 abs (bitwise)
            F32Abs { @dst: Slot, src: Slot };
            /// f32 neg (bitwise)
            F32Neg { @dst: Slot, src: Slot };
            /// f32 ceil
            F32Ceil { @dst: Slot, src: Slot };
            /// f32 floor
            F32Floor { @dst: Slot, src: Slot };
            /// f32 trunc
            F32Trunc { @dst: Slot, src: Slot };
            /// f32 round to nearest, ties to even
            F32Nearest { @dst: Slot, src: Slot };
            /// f32 sqrt
            F32Sqrt { @dst: Slot, src: Slot };
            /// f64 `+`
            F64Add { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 `-`
            F64Sub { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 `*`
            F64Mul { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 `/`
            F64Div { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 wasm `min`
            F64Min { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 wasm `max`
            F64Max { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 copysign
            F64Copysign { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 `==`
            F64Eq { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 `!=`
            F64Ne { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 `<`
            F64Lt { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 `>`
            F64Gt { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 `<=`
            F64Le { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 `>=`
            F64Ge { @dst: Slot, lhs: Slot, rhs: Slot };
            /// f64 abs (bitwise)
            F64Abs { @dst: Slot, src: Slot };
            /// f64 neg (bitwise)
            F64Neg { @dst: Slot, src: Slot };
            /// f64 ceil
            F64Ceil { @dst: Slot, src: Slot };
            /// f64 floor
            F64Floor { @dst: Slot, src: Slot };
            /// f64 trunc
            F64Trunc { @dst: Slot, src: Slot };
            /// f64 round to nearest, ties to even
            F64Nearest { @dst: Slot, src: Slot };
            /// f64 sqrt
            F64Sqrt { @dst: Slot, src: Slot };

            // ---- conversions ----
            /// `i32.trunc_f32_s` (trapping)
            I32TruncF32S { @dst: Slot, src: Slot };
            /// `i32.trunc_f32_u` (trapping)
            I32TruncF32U { @dst: Slot, src: Slot };
            /// `i32.trunc_f64_s` (trapping)
            I32TruncF64S { @dst: Slot, src: Slot };
            /// `i32.trunc_f64_u` (trapping)
            I32TruncF64U { @dst: Slot, src: Slot };
            /// `i64.trunc_f32_s` (trapping)
            I64TruncF32S { @dst: Slot, src: Slot };
            /// `i64.trunc_f32_u` (trapping)
            I64TruncF32U { @dst: Slot, src: Slot };
            /// `i64.trunc_f64_s` (trapping)
            I64TruncF64S { @dst: Slot, src: Slot };
            /// `i64.trunc_f64_u` (trapping)
            I64TruncF64U { @dst: Slot, src: Slot };
            /// `i32.trunc_sat_f32_s`
            I32TruncSatF32S { @dst: Slot, src: Slot };
            /// `i32.trunc_sat_f32_u`
            I32TruncSatF32U { @dst: Slot, src: Slot };
            /// `i32.trunc_sat_f64_s`
            I32TruncSatF64S { @dst: Slot, src: Slot };
            /// `i32.trunc_sat_f64_u`
            I32TruncSatF64U { @dst: Slot, src: Slot };
            /// `i64.trunc_sat_f32_s`
            I64TruncSatF32S { @dst: Slot, src: Slot };
            /// `i64.trunc_sat_f32_u`
            I64TruncSatF32U { @dst: Slot, src: Slot };
            /// `i64.trunc_sat_f64_s`
            I64TruncSatF64S { @dst: Slot, src: Slot };
            /// `i64.trunc_sat_f64_u`
            I64TruncSatF64U { @dst: Slot, src: Slot };
            /// `f32.convert_i32_s`
            F32ConvertI32S { @dst: Slot, src: Slot };
            /// `f32.convert_i32_u`
            F32ConvertI32U { @dst: Slot, src: Slot };
            /// `f32.convert_i64_s`
            F32ConvertI64S { @dst: Slot, src: Slot };
            /// `f32.convert_i64_u`
            F32ConvertI64U { @dst: Slot, src: Slot };
            /// `f64.convert_i32_s`
            F64ConvertI32S { @dst: Slot, src: Slot };
            /// `f64.convert_i32_u`
            F64ConvertI32U { @dst: Slot, src: Slot };
            /// `f64.convert_i64_s`
            F64ConvertI64S { @dst: Slot, src: Slot };
            /// `f64.convert_i64_u`
            F64ConvertI64U { @dst: Slot, src: Slot };
            /// `f32.demote_f64`
            F32DemoteF64 { @dst: Slot, src: Slot };
            /// `f64.promote_f32`
            F64PromoteF32 { @dst: Slot, src: Slot };

            // ---- v128 moves (a `v128` takes two slots; every slot named is its first) ----
            /// `dst = src` (a `v128`)
            Copy128 { @dst: Slot, src: Slot };
            /// `dst = if Extra.a (cond, i32) != 0 { a } else { b }` (`v128`s)
            Select128 { @dst: Slot, a: Slot, b: Slot };
            /// `dst = global[global]` (a `v128` global)
            GlobalGet128 { @dst: Slot, global: u32 };
            /// `global[global] = src` (a `v128` global)
            GlobalSet128 { global: u32, src: Slot };
            // ---- accumulator forms: one operand is the previous instruction's result ----
            /// `I32Add` whose `rhs` is the previous instruction's result (the accumulator).
            I32AddAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32Sub` whose `rhs` is the previous instruction's result (the accumulator).
            I32SubAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32Mul` whose `rhs` is the previous instruction's result (the accumulator).
            I32MulAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32And` whose `rhs` is the previous instruction's result (the accumulator).
            I32AndAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32Or` whose `rhs` is the previous instruction's result (the accumulator).
            I32OrAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32Xor` whose `rhs` is the previous instruction's result (the accumulator).
            I32XorAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32Shl` whose `rhs` is the previous instruction's result (the accumulator).
            I32ShlAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32ShrS` whose `rhs` is the previous instruction's result (the accumulator).
            I32ShrSAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32ShrU` whose `rhs` is the previous instruction's result (the accumulator).
            I32ShrUAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I64Add` whose `rhs` is the previous instruction's result (the accumulator).
            I64AddAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I64Sub` whose `rhs` is the previous instruction's result (the accumulator).
            I64SubAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I64Mul` whose `rhs` is the previous instruction's result (the accumulator).
            I64MulAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I64And` whose `rhs` is the previous instruction's result (the accumulator).
            I64AndAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I64Or` whose `rhs` is the previous instruction's result (the accumulator).
            I64OrAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I64Xor` whose `rhs` is the previous instruction's result (the accumulator).
            I64XorAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I64Shl` whose `rhs` is the previous instruction's result (the accumulator).
            I64ShlAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I64ShrS` whose `rhs` is the previous instruction's result (the accumulator).
            I64ShrSAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I64ShrU` whose `rhs` is the previous instruction's result (the accumulator).
            I64ShrUAcc { @dst: Slot, lhs: Slot, rhs: Slot };
            /// `I32AddImm` whose `lhs` is the previous instruction's result (the accumulator).
            I32AddImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32SubImm` whose `lhs` is the previous instruction's result (the accumulator).
            I32SubImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32MulImm` whose `lhs` is the previous instruction's result (the accumulator).
            I32MulImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32AndImm` whose `lhs` is the previous instruction's result (the accumulator).
            I32AndImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32OrImm` whose `lhs` is the previous instruction's result (the accumulator).
            I32OrImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32XorImm` whose `lhs` is the previous instruction's result (the accumulator).
            I32XorImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32ShlImm` whose `lhs` is the previous instruction's result (the accumulator).
            I32ShlImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32ShrSImm` whose `lhs` is the previous instruction's result (the accumulator).
            I32ShrSImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32ShrUImm` whose `lhs` is the previous instruction's result (the accumulator).
            I32ShrUImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I64AddImm` whose `lhs` is the previous instruction's result (the accumulator).
            I64AddImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I64SubImm` whose `lhs` is the previous instruction's result (the accumulator).
            I64SubImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I64MulImm` whose `lhs` is the previous instruction's result (the accumulator).
            I64MulImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I64AndImm` whose `lhs` is the previous instruction's result (the accumulator).
            I64AndImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I64OrImm` whose `lhs` is the previous instruction's result (the accumulator).
            I64OrImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I64XorImm` whose `lhs` is the previous instruction's result (the accumulator).
            I64XorImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I64ShlImm` whose `lhs` is the previous instruction's result (the accumulator).
            I64ShlImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I64ShrSImm` whose `lhs` is the previous instruction's result (the accumulator).
            I64ShrSImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I64ShrUImm` whose `lhs` is the previous instruction's result (the accumulator).
            I64ShrUImmAcc { @dst: Slot, lhs: Slot, imm: i32 };
            /// `I32Load` whose `addr` is the previous instruction's result (the accumulator).
            I32LoadAcc { @dst: Slot, addr: Slot, offset: u32 };
            /// `I64Load` whose `addr` is the previous instruction's result (the accumulator).
            I64LoadAcc { @dst: Slot, addr: Slot, offset: u32 };
            /// `F32Load` whose `addr` is the previous instruction's result (the accumulator).
            F32LoadAcc { @dst: Slot, addr: Slot, offset: u32 };
            /// `F64Load` whose `addr` is the previous instruction's result (the accumulator).
            F64LoadAcc { @dst: Slot, addr: Slot, offset: u32 };
            /// `I32Load8U` whose `addr` is the previous instruction's result (the accumulator).
            I32Load8UAcc { @dst: Slot, addr: Slot, offset: u32 };
            /// `I32Load8S` whose `addr` is the previous instruction's result (the accumulator).
            I32Load8SAcc { @dst: Slot, addr: Slot, offset: u32 };
            /// `I32Load16U` whose `addr` is the previous instruction's result (the accumulator).
            I32Load16UAcc { @dst: Slot, addr: Slot, offset: u32 };
            /// `I32Load16S` whose `addr` is the previous instruction's result (the accumulator).
            I32Load16SAcc { @dst: Slot, addr: Slot, offset: u32 };
            /// `I32Store` whose `src` is the previous instruction's result (the accumulator).
            I32StoreAcc { addr: Slot, src: Slot, offset: u32 };
            /// `I64Store` whose `src` is the previous instruction's result (the accumulator).
            I64StoreAcc { addr: Slot, src: Slot, offset: u32 };
            /// `Store8` whose `src` is the previous instruction's result (the accumulator).
            Store8Acc { addr: Slot, src: Slot, offset: u32 };
            /// `Store16` whose `src` is the previous instruction's result (the accumulator).
            Store16Acc { addr: Slot, src: Slot, offset: u32 };
            /// `I32Store` whose `addr` is the previous instruction's result (the accumulator).
            I32StoreAddrAcc { addr: Slot, src: Slot, offset: u32 };
            /// `I64Store` whose `addr` is the previous instruction's result (the accumulator).
            I64StoreAddrAcc { addr: Slot, src: Slot, offset: u32 };
            /// `Store8` whose `addr` is the previous instruction's result (the accumulator).
            Store8AddrAcc { addr: Slot, src: Slot, offset: u32 };
            /// `Store16` whose `addr` is the previous instruction's result (the accumulator).
            Store16AddrAcc { addr: Slot, src: Slot, offset: u32 };
            /// `I32StoreImm` whose `addr` is the previous instruction's result (the accumulator).
            I32StoreImmAddrAcc { addr: Slot, imm: i32, offset: u32 };
            /// `I64StoreImm` whose `addr` is the previous instruction's result (the accumulator).
            I64StoreImmAddrAcc { addr: Slot, imm: i32, offset: u32 };
            /// `Store8Imm` whose `addr` is the previous instruction's result (the accumulator).
            Store8ImmAddrAcc { addr: Slot, imm: i32, offset: u32 };
            /// `Store16Imm` whose `addr` is the previous instruction's result (the accumulator).
            Store16ImmAddrAcc { addr: Slot, imm: i32, offset: u32 };
            /// `BrIfNez` whose `src` is the previous instruction's result (the accumulator).
            BrIfNezAcc { src: Slot, @offset: i32 };
            /// `BrIfEqz` whose `src` is the previous instruction's result (the accumulator).
            BrIfEqzAcc { src: Slot, @offset: i32 };
            /// `BrIfI32Eq` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32EqAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32EqImm` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32EqImmAcc { lhs: Slot, imm: i32, @offset: i32 };
            /// `BrIfI64Eq` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI64EqAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32Ne` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32NeAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32NeImm` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32NeImmAcc { lhs: Slot, imm: i32, @offset: i32 };
            /// `BrIfI64Ne` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI64NeAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32LtS` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32LtSAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32LtSImm` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32LtSImmAcc { lhs: Slot, imm: i32, @offset: i32 };
            /// `BrIfI64LtS` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI64LtSAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32LtU` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32LtUAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32LtUImm` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32LtUImmAcc { lhs: Slot, imm: i32, @offset: i32 };
            /// `BrIfI64LtU` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI64LtUAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32GtS` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32GtSAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32GtSImm` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32GtSImmAcc { lhs: Slot, imm: i32, @offset: i32 };
            /// `BrIfI64GtS` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI64GtSAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32GtU` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32GtUAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32GtUImm` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32GtUImmAcc { lhs: Slot, imm: i32, @offset: i32 };
            /// `BrIfI64GtU` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI64GtUAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32LeS` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32LeSAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32LeSImm` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32LeSImmAcc { lhs: Slot, imm: i32, @offset: i32 };
            /// `BrIfI64LeS` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI64LeSAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32LeU` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32LeUAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32LeUImm` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32LeUImmAcc { lhs: Slot, imm: i32, @offset: i32 };
            /// `BrIfI64LeU` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI64LeUAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32GeS` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32GeSAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32GeSImm` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32GeSImmAcc { lhs: Slot, imm: i32, @offset: i32 };
            /// `BrIfI64GeS` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI64GeSAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32GeU` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32GeUAcc { lhs: Slot, rhs: Slot, @offset: i32 };
            /// `BrIfI32GeUImm` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI32GeUImmAcc { lhs: Slot, imm: i32, @offset: i32 };
            /// `BrIfI64GeU` whose `lhs` is the previous instruction's result (the accumulator).
            BrIfI64GeUAcc { lhs: Slot, rhs: Slot, @offset: i32 };
        } simd {
            // ---- SIMD: one instruction per wasm operator, named as in `wasmparser` ----
            // `simd(shape)` says how the translator lowers the operator: `unary`, `binary`
            // and `ternary` (third operand in `Extra.a`) take and give `v128`s (a splat's
            // operand and a shift's count are scalars); `reduce` gives an `i32`; `manual`
            // ones (memory, lanes, constants, shuffles) have their own translation.
            /// `v128.load`
            V128Load { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load8x8_s`
            V128Load8x8S { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load8x8_u`
            V128Load8x8U { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load16x4_s`
            V128Load16x4S { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load16x4_u`
            V128Load16x4U { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load32x2_s`
            V128Load32x2S { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load32x2_u`
            V128Load32x2U { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load8_splat`
            V128Load8Splat { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load16_splat`
            V128Load16Splat { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load32_splat`
            V128Load32Splat { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load64_splat`
            V128Load64Splat { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load32_zero`
            V128Load32Zero { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load64_zero`
            V128Load64Zero { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.store`
            V128Store { addr: Slot, src: Slot, offset: u32 } simd(manual);
            /// `v128.load8_lane`: `dst` = `Extra.a` (a vector slot) with lane `Extra.b` loaded
            V128Load8Lane { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load16_lane`: `dst` = `Extra.a` (a vector slot) with lane `Extra.b` loaded
            V128Load16Lane { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load32_lane`: `dst` = `Extra.a` (a vector slot) with lane `Extra.b` loaded
            V128Load32Lane { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.load64_lane`: `dst` = `Extra.a` (a vector slot) with lane `Extra.b` loaded
            V128Load64Lane { @dst: Slot, addr: Slot, offset: u32 } simd(manual);
            /// `v128.store8_lane` of lane `Extra.a` of `src`
            V128Store8Lane { addr: Slot, src: Slot, offset: u32 } simd(manual);
            /// `v128.store16_lane` of lane `Extra.a` of `src`
            V128Store16Lane { addr: Slot, src: Slot, offset: u32 } simd(manual);
            /// `v128.store32_lane` of lane `Extra.a` of `src`
            V128Store32Lane { addr: Slot, src: Slot, offset: u32 } simd(manual);
            /// `v128.store64_lane` of lane `Extra.a` of `src`
            V128Store64Lane { addr: Slot, src: Slot, offset: u32 } simd(manual);
            /// `dst = consts[index]` (`v128.const`, from the function's constant pool)
            V128Const { @dst: Slot, index: u32 } simd(manual);
            /// `i8x16.shuffle` with the lane indices in `consts[Extra.a]`
            I8x16Shuffle { @dst: Slot, lhs: Slot, rhs: Slot } simd(manual);
            /// `i8x16.extract_lane_s`
            I8x16ExtractLaneS { @dst: Slot, src: Slot, lane: u32 } simd(manual);
            /// `i8x16.extract_lane_u`
            I8x16ExtractLaneU { @dst: Slot, src: Slot, lane: u32 } simd(manual);
            /// `i8x16.replace_lane` at lane `Extra.a`
            I8x16ReplaceLane { @dst: Slot, src: Slot, value: Slot } simd(manual);
            /// `i16x8.extract_lane_s`
            I16x8ExtractLaneS { @dst: Slot, src: Slot, lane: u32 } simd(manual);
            /// `i16x8.extract_lane_u`
            I16x8ExtractLaneU { @dst: Slot, src: Slot, lane: u32 } simd(manual);
            /// `i16x8.replace_lane` at lane `Extra.a`
            I16x8ReplaceLane { @dst: Slot, src: Slot, value: Slot } simd(manual);
            /// `i32x4.extract_lane`
            I32x4ExtractLane { @dst: Slot, src: Slot, lane: u32 } simd(manual);
            /// `i32x4.replace_lane` at lane `Extra.a`
            I32x4ReplaceLane { @dst: Slot, src: Slot, value: Slot } simd(manual);
            /// `i64x2.extract_lane`
            I64x2ExtractLane { @dst: Slot, src: Slot, lane: u32 } simd(manual);
            /// `i64x2.replace_lane` at lane `Extra.a`
            I64x2ReplaceLane { @dst: Slot, src: Slot, value: Slot } simd(manual);
            /// `f32x4.extract_lane`
            F32x4ExtractLane { @dst: Slot, src: Slot, lane: u32 } simd(manual);
            /// `f32x4.replace_lane` at lane `Extra.a`
            F32x4ReplaceLane { @dst: Slot, src: Slot, value: Slot } simd(manual);
            /// `f64x2.extract_lane`
            F64x2ExtractLane { @dst: Slot, src: Slot, lane: u32 } simd(manual);
            /// `f64x2.replace_lane` at lane `Extra.a`
            F64x2ReplaceLane { @dst: Slot, src: Slot, value: Slot } simd(manual);
            /// `i8x16.swizzle`
            I8x16Swizzle { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.splat`
            I8x16Splat { @dst: Slot, src: Slot } simd(unary);
            /// `i16x8.splat`
            I16x8Splat { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.splat`
            I32x4Splat { @dst: Slot, src: Slot } simd(unary);
            /// `i64x2.splat`
            I64x2Splat { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.splat`
            F32x4Splat { @dst: Slot, src: Slot } simd(unary);
            /// `f64x2.splat`
            F64x2Splat { @dst: Slot, src: Slot } simd(unary);
            /// `i8x16.eq`
            I8x16Eq { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.ne`
            I8x16Ne { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.lt_s`
            I8x16LtS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.lt_u`
            I8x16LtU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.gt_s`
            I8x16GtS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.gt_u`
            I8x16GtU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.le_s`
            I8x16LeS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.le_u`
            I8x16LeU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.ge_s`
            I8x16GeS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.ge_u`
            I8x16GeU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.eq`
            I16x8Eq { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.ne`
            I16x8Ne { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.lt_s`
            I16x8LtS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.lt_u`
            I16x8LtU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.gt_s`
            I16x8GtS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.gt_u`
            I16x8GtU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.le_s`
            I16x8LeS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.le_u`
            I16x8LeU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.ge_s`
            I16x8GeS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.ge_u`
            I16x8GeU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.eq`
            I32x4Eq { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.ne`
            I32x4Ne { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.lt_s`
            I32x4LtS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.lt_u`
            I32x4LtU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.gt_s`
            I32x4GtS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.gt_u`
            I32x4GtU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.le_s`
            I32x4LeS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.le_u`
            I32x4LeU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.ge_s`
            I32x4GeS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.ge_u`
            I32x4GeU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.eq`
            I64x2Eq { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.ne`
            I64x2Ne { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.lt_s`
            I64x2LtS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.gt_s`
            I64x2GtS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.le_s`
            I64x2LeS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.ge_s`
            I64x2GeS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.eq`
            F32x4Eq { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.ne`
            F32x4Ne { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.lt`
            F32x4Lt { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.gt`
            F32x4Gt { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.le`
            F32x4Le { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.ge`
            F32x4Ge { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.eq`
            F64x2Eq { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.ne`
            F64x2Ne { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.lt`
            F64x2Lt { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.gt`
            F64x2Gt { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.le`
            F64x2Le { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.ge`
            F64x2Ge { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `v128.not`
            V128Not { @dst: Slot, src: Slot } simd(unary);
            /// `v128.and`
            V128And { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `v128.andnot`
            V128AndNot { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `v128.or`
            V128Or { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `v128.xor`
            V128Xor { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `v128.bitselect` with its third operand in `Extra.a`
            V128Bitselect { @dst: Slot, lhs: Slot, rhs: Slot } simd(ternary);
            /// `v128.any_true`
            V128AnyTrue { @dst: Slot, src: Slot } simd(reduce);
            /// `i8x16.abs`
            I8x16Abs { @dst: Slot, src: Slot } simd(unary);
            /// `i8x16.neg`
            I8x16Neg { @dst: Slot, src: Slot } simd(unary);
            /// `i8x16.popcnt`
            I8x16Popcnt { @dst: Slot, src: Slot } simd(unary);
            /// `i8x16.all_true`
            I8x16AllTrue { @dst: Slot, src: Slot } simd(reduce);
            /// `i8x16.bitmask`
            I8x16Bitmask { @dst: Slot, src: Slot } simd(reduce);
            /// `i8x16.narrow_i16x8_s`
            I8x16NarrowI16x8S { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.narrow_i16x8_u`
            I8x16NarrowI16x8U { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.shl`
            I8x16Shl { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.shr_s`
            I8x16ShrS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.shr_u`
            I8x16ShrU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.add`
            I8x16Add { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.add_sat_s`
            I8x16AddSatS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.add_sat_u`
            I8x16AddSatU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.sub`
            I8x16Sub { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.sub_sat_s`
            I8x16SubSatS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.sub_sat_u`
            I8x16SubSatU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.min_s`
            I8x16MinS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.min_u`
            I8x16MinU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.max_s`
            I8x16MaxS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.max_u`
            I8x16MaxU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i8x16.avgr_u`
            I8x16AvgrU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.extadd_pairwise_i8x16_s`
            I16x8ExtAddPairwiseI8x16S { @dst: Slot, src: Slot } simd(unary);
            /// `i16x8.extadd_pairwise_i8x16_u`
            I16x8ExtAddPairwiseI8x16U { @dst: Slot, src: Slot } simd(unary);
            /// `i16x8.abs`
            I16x8Abs { @dst: Slot, src: Slot } simd(unary);
            /// `i16x8.neg`
            I16x8Neg { @dst: Slot, src: Slot } simd(unary);
            /// `i16x8.q15mulr_sat_s`
            I16x8Q15MulrSatS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.all_true`
            I16x8AllTrue { @dst: Slot, src: Slot } simd(reduce);
            /// `i16x8.bitmask`
            I16x8Bitmask { @dst: Slot, src: Slot } simd(reduce);
            /// `i16x8.narrow_i32x4_s`
            I16x8NarrowI32x4S { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.narrow_i32x4_u`
            I16x8NarrowI32x4U { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.extend_low_i8x16_s`
            I16x8ExtendLowI8x16S { @dst: Slot, src: Slot } simd(unary);
            /// `i16x8.extend_high_i8x16_s`
            I16x8ExtendHighI8x16S { @dst: Slot, src: Slot } simd(unary);
            /// `i16x8.extend_low_i8x16_u`
            I16x8ExtendLowI8x16U { @dst: Slot, src: Slot } simd(unary);
            /// `i16x8.extend_high_i8x16_u`
            I16x8ExtendHighI8x16U { @dst: Slot, src: Slot } simd(unary);
            /// `i16x8.shl`
            I16x8Shl { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.shr_s`
            I16x8ShrS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.shr_u`
            I16x8ShrU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.add`
            I16x8Add { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.add_sat_s`
            I16x8AddSatS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.add_sat_u`
            I16x8AddSatU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.sub`
            I16x8Sub { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.sub_sat_s`
            I16x8SubSatS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.sub_sat_u`
            I16x8SubSatU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.mul`
            I16x8Mul { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.min_s`
            I16x8MinS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.min_u`
            I16x8MinU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.max_s`
            I16x8MaxS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.max_u`
            I16x8MaxU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.avgr_u`
            I16x8AvgrU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.extmul_low_i8x16_s`
            I16x8ExtMulLowI8x16S { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.extmul_high_i8x16_s`
            I16x8ExtMulHighI8x16S { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.extmul_low_i8x16_u`
            I16x8ExtMulLowI8x16U { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.extmul_high_i8x16_u`
            I16x8ExtMulHighI8x16U { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.extadd_pairwise_i16x8_s`
            I32x4ExtAddPairwiseI16x8S { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.extadd_pairwise_i16x8_u`
            I32x4ExtAddPairwiseI16x8U { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.abs`
            I32x4Abs { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.neg`
            I32x4Neg { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.all_true`
            I32x4AllTrue { @dst: Slot, src: Slot } simd(reduce);
            /// `i32x4.bitmask`
            I32x4Bitmask { @dst: Slot, src: Slot } simd(reduce);
            /// `i32x4.extend_low_i16x8_s`
            I32x4ExtendLowI16x8S { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.extend_high_i16x8_s`
            I32x4ExtendHighI16x8S { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.extend_low_i16x8_u`
            I32x4ExtendLowI16x8U { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.extend_high_i16x8_u`
            I32x4ExtendHighI16x8U { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.shl`
            I32x4Shl { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.shr_s`
            I32x4ShrS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.shr_u`
            I32x4ShrU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.add`
            I32x4Add { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.sub`
            I32x4Sub { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.mul`
            I32x4Mul { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.min_s`
            I32x4MinS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.min_u`
            I32x4MinU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.max_s`
            I32x4MaxS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.max_u`
            I32x4MaxU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.dot_i16x8_s`
            I32x4DotI16x8S { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.extmul_low_i16x8_s`
            I32x4ExtMulLowI16x8S { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.extmul_high_i16x8_s`
            I32x4ExtMulHighI16x8S { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.extmul_low_i16x8_u`
            I32x4ExtMulLowI16x8U { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.extmul_high_i16x8_u`
            I32x4ExtMulHighI16x8U { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.abs`
            I64x2Abs { @dst: Slot, src: Slot } simd(unary);
            /// `i64x2.neg`
            I64x2Neg { @dst: Slot, src: Slot } simd(unary);
            /// `i64x2.all_true`
            I64x2AllTrue { @dst: Slot, src: Slot } simd(reduce);
            /// `i64x2.bitmask`
            I64x2Bitmask { @dst: Slot, src: Slot } simd(reduce);
            /// `i64x2.extend_low_i32x4_s`
            I64x2ExtendLowI32x4S { @dst: Slot, src: Slot } simd(unary);
            /// `i64x2.extend_high_i32x4_s`
            I64x2ExtendHighI32x4S { @dst: Slot, src: Slot } simd(unary);
            /// `i64x2.extend_low_i32x4_u`
            I64x2ExtendLowI32x4U { @dst: Slot, src: Slot } simd(unary);
            /// `i64x2.extend_high_i32x4_u`
            I64x2ExtendHighI32x4U { @dst: Slot, src: Slot } simd(unary);
            /// `i64x2.shl`
            I64x2Shl { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.shr_s`
            I64x2ShrS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.shr_u`
            I64x2ShrU { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.add`
            I64x2Add { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.sub`
            I64x2Sub { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.mul`
            I64x2Mul { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.extmul_low_i32x4_s`
            I64x2ExtMulLowI32x4S { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.extmul_high_i32x4_s`
            I64x2ExtMulHighI32x4S { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.extmul_low_i32x4_u`
            I64x2ExtMulLowI32x4U { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i64x2.extmul_high_i32x4_u`
            I64x2ExtMulHighI32x4U { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.ceil`
            F32x4Ceil { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.floor`
            F32x4Floor { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.trunc`
            F32x4Trunc { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.nearest`
            F32x4Nearest { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.abs`
            F32x4Abs { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.neg`
            F32x4Neg { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.sqrt`
            F32x4Sqrt { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.add`
            F32x4Add { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.sub`
            F32x4Sub { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.mul`
            F32x4Mul { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.div`
            F32x4Div { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.min`
            F32x4Min { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.max`
            F32x4Max { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.pmin`
            F32x4PMin { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.pmax`
            F32x4PMax { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.ceil`
            F64x2Ceil { @dst: Slot, src: Slot } simd(unary);
            /// `f64x2.floor`
            F64x2Floor { @dst: Slot, src: Slot } simd(unary);
            /// `f64x2.trunc`
            F64x2Trunc { @dst: Slot, src: Slot } simd(unary);
            /// `f64x2.nearest`
            F64x2Nearest { @dst: Slot, src: Slot } simd(unary);
            /// `f64x2.abs`
            F64x2Abs { @dst: Slot, src: Slot } simd(unary);
            /// `f64x2.neg`
            F64x2Neg { @dst: Slot, src: Slot } simd(unary);
            /// `f64x2.sqrt`
            F64x2Sqrt { @dst: Slot, src: Slot } simd(unary);
            /// `f64x2.add`
            F64x2Add { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.sub`
            F64x2Sub { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.mul`
            F64x2Mul { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.div`
            F64x2Div { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.min`
            F64x2Min { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.max`
            F64x2Max { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.pmin`
            F64x2PMin { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.pmax`
            F64x2PMax { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.trunc_sat_f32x4_s`
            I32x4TruncSatF32x4S { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.trunc_sat_f32x4_u`
            I32x4TruncSatF32x4U { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.convert_i32x4_s`
            F32x4ConvertI32x4S { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.convert_i32x4_u`
            F32x4ConvertI32x4U { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.trunc_sat_f64x2_s_zero`
            I32x4TruncSatF64x2SZero { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.trunc_sat_f64x2_u_zero`
            I32x4TruncSatF64x2UZero { @dst: Slot, src: Slot } simd(unary);
            /// `f64x2.convert_low_i32x4_s`
            F64x2ConvertLowI32x4S { @dst: Slot, src: Slot } simd(unary);
            /// `f64x2.convert_low_i32x4_u`
            F64x2ConvertLowI32x4U { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.demote_f64x2_zero`
            F32x4DemoteF64x2Zero { @dst: Slot, src: Slot } simd(unary);
            /// `f64x2.promote_low_f32x4`
            F64x2PromoteLowF32x4 { @dst: Slot, src: Slot } simd(unary);
            /// `i8x16.relaxed_swizzle`
            I8x16RelaxedSwizzle { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.relaxed_trunc_f32x4_s`
            I32x4RelaxedTruncF32x4S { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.relaxed_trunc_f32x4_u`
            I32x4RelaxedTruncF32x4U { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.relaxed_trunc_f64x2_s_zero`
            I32x4RelaxedTruncF64x2SZero { @dst: Slot, src: Slot } simd(unary);
            /// `i32x4.relaxed_trunc_f64x2_u_zero`
            I32x4RelaxedTruncF64x2UZero { @dst: Slot, src: Slot } simd(unary);
            /// `f32x4.relaxed_madd` with its third operand in `Extra.a`
            F32x4RelaxedMadd { @dst: Slot, lhs: Slot, rhs: Slot } simd(ternary);
            /// `f32x4.relaxed_nmadd` with its third operand in `Extra.a`
            F32x4RelaxedNmadd { @dst: Slot, lhs: Slot, rhs: Slot } simd(ternary);
            /// `f64x2.relaxed_madd` with its third operand in `Extra.a`
            F64x2RelaxedMadd { @dst: Slot, lhs: Slot, rhs: Slot } simd(ternary);
            /// `f64x2.relaxed_nmadd` with its third operand in `Extra.a`
            F64x2RelaxedNmadd { @dst: Slot, lhs: Slot, rhs: Slot } simd(ternary);
            /// `i8x16.relaxed_laneselect` with its third operand in `Extra.a`
            I8x16RelaxedLaneselect { @dst: Slot, lhs: Slot, rhs: Slot } simd(ternary);
            /// `i16x8.relaxed_laneselect` with its third operand in `Extra.a`
            I16x8RelaxedLaneselect { @dst: Slot, lhs: Slot, rhs: Slot } simd(ternary);
            /// `i32x4.relaxed_laneselect` with its third operand in `Extra.a`
            I32x4RelaxedLaneselect { @dst: Slot, lhs: Slot, rhs: Slot } simd(ternary);
            /// `i64x2.relaxed_laneselect` with its third operand in `Extra.a`
            I64x2RelaxedLaneselect { @dst: Slot, lhs: Slot, rhs: Slot } simd(ternary);
            /// `f32x4.relaxed_min`
            F32x4RelaxedMin { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f32x4.relaxed_max`
            F32x4RelaxedMax { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.relaxed_min`
            F64x2RelaxedMin { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `f64x2.relaxed_max`
            F64x2RelaxedMax { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.relaxed_q15mulr_s`
            I16x8RelaxedQ15mulrS { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i16x8.relaxed_dot_i8x16_i7x16_s`
            I16x8RelaxedDotI8x16I7x16S { @dst: Slot, lhs: Slot, rhs: Slot } simd(binary);
            /// `i32x4.relaxed_dot_i8x16_i7x16_add_s` with its third operand in `Extra.a`
            I32x4RelaxedDotI8x16I7x16AddS { @dst: Slot, lhs: Slot, rhs: Slot } simd(ternary);
        } }
    };
}

/// Generates [`Instr`], [`Opcode`], the accessors and the documentation [`table`] from the
/// instruction list, and [`simd_lowering`] from its SIMD group.
macro_rules! define_instr {
    (
        { $($scalar:tt)* }
        simd { $(
            $(#[doc = $sdoc:literal])*
            $sname:ident { $($sfields:tt)* } simd($shape:ident);
        )* }
    ) => {
        define_instr!(@all $($scalar)* $( $(#[doc = $sdoc])* $sname { $($sfields)* }; )*);

        /// How the translator lowers a SIMD operator whose instruction has a generic shape
        /// (`simd(unary|reduce|binary|ternary)` in the list); `None` for every other operator.
        pub fn simd_lowering(op: &wasmparser::Operator<'_>) -> Option<SimdLowering> {
            use wasmparser::Operator;
            #[allow(unreachable_patterns, reason = "`manual` operators share the `None` arm")]
            match op {
                $( Operator::$sname { .. } => simd_shape!($sname, $shape), )*
                _ => None,
            }
        }
    };
    (@all $(
        $(#[doc = $doc:literal])*
        $name:ident { $( $(@$marked:ident)? $($plain:ident)? : $ty:ty ),* }
        $( $relation:ident($related:ident) )*
        ;
    )*) => {
        /// One interpreter instruction. See the module docs for the naming rules.
        #[expect(
            missing_docs,
            reason = "operand fields follow the naming rules in the module docs"
        )]
        #[derive(Debug, Clone, Copy, PartialEq)]
        #[repr(u16)]
        pub enum Instr {
            $(
                $(#[doc = $doc])*
                $name { $( $($marked)? $($plain)? : $ty ),* },
            )*
        }

        /// The opcode of an [`Instr`]: its tag, in list order.
        #[expect(missing_docs, reason = "one variant per instruction, documented on `Instr`")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Opcode {
            $( $name, )*
        }

        impl Opcode {
            /// Every opcode, in order.
            pub const ALL: &'static [Opcode] = &[$( Opcode::$name ),*];
            /// The number of opcodes.
            pub const COUNT: usize = Self::ALL.len();

            /// The instruction's name.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Opcode::$name => stringify!($name), )*
                }
            }
        }

        #[allow(unused_variables, reason = "each arm binds every field but uses few")]
        impl Instr {
            /// This instruction's opcode.
            pub const fn opcode(&self) -> Opcode {
                match self {
                    $( Instr::$name { .. } => Opcode::$name, )*
                }
            }

            /// The slot this instruction writes (its `@dst` field), if it has one.
            pub fn dst_mut(&mut self) -> Option<&mut Slot> {
                match self {
                    $( Instr::$name { $( $($marked)? $($plain)? ),* } =>
                        marked_field!(dst; $( [$(@$marked $marked)? $($plain)?] ),*), )*
                }
            }

            /// The branch distance of a branch (its `@offset` field), if it is one.
            pub fn branch_offset(&self) -> Option<i32> {
                match *self {
                    $( Instr::$name { $( $($marked)? $($plain)? ),* } =>
                        marked_field!(offset; $( [$(@$marked $marked)? $($plain)?] ),*), )*
                }
            }

            /// The branch distance of a branch, to patch it.
            pub fn branch_offset_mut(&mut self) -> Option<&mut i32> {
                match self {
                    $( Instr::$name { $( $($marked)? $($plain)? ),* } =>
                        marked_field!(offset; $( [$(@$marked $marked)? $($plain)?] ),*), )*
                }
            }

            /// The conditional branch with the opposite condition (same operands and offset);
            /// `None` for every other instruction.
            pub fn negated_branch(self) -> Option<Instr> {
                match self {
                    $( Instr::$name { $( $($marked)? $($plain)? ),* } =>
                        negated!([$( $relation($related) )*]; $( $($marked)? $($plain)? ),*), )*
                }
            }

            /// If this is a compare-and-branch on `slot` (its `lhs`) that can absorb the
            /// increment `slot += step` just before it, the fused `IncBrIf..`; else `None`.
            pub fn incremented_branch(self, slot: Slot, step: i16) -> Option<Instr> {
                match self {
                    $( Instr::$name { $( $($marked)? $($plain)? ),* } =>
                        incremented!(slot, step; [$( $relation($related) )*]; $( $($marked)? $($plain)? ),*), )*
                }
            }

            /// If this is a comparison writing `cond`, the compare-and-branch that branches
            /// when the comparison holds (its offset still 0, to be patched); else `None`.
            pub fn fused_branch(self, cond: Slot) -> Option<Instr> {
                match self {
                    $( Instr::$name { $( $($marked)? $($plain)? ),* } =>
                        fused!(cond; [$( $relation($related) )*]; $( [$(@$marked $marked)? $($plain)?] ),*), )*
                }
            }
        }

        /// The documentation table of the instruction set: one row per instruction, in
        /// opcode order (`@dst` is the result slot, `@offset` a branch distance).
        ///
        /// | instruction | operands | semantics |
        /// |---|---|---|
        $(
            #[doc = concat!(
                "| `", stringify!($name), "` | ",
                $( "`", $("@", stringify!($marked),)? $(stringify!($plain),)? "` ", )*
                "|", $(" ", $doc,)* " |"
            )]
        )*
        pub mod table {}
    };
}

/// `marked_field!(dst; [@dst dst], [lhs], ..)`: `Some(field)` for the field marked `@dst`
/// (or `@offset`), `None` when no field is marked so.
macro_rules! marked_field {
    (dst; [@dst $field:ident] $(, $($rest:tt)*)?) => { Some($field) };
    (offset; [@offset $field:ident] $(, $($rest:tt)*)?) => { Some($field) };
    ($want:ident; [$($skip:tt)*] $(, $($rest:tt)*)?) => { marked_field!($want; $($($rest)*)?) };
    ($want:ident;) => { None };
}

/// `negated!([relations]; fields)`: the `negate(..)` instruction with the same fields.
macro_rules! negated {
    ([negate($to:ident) $($more:tt)*]; $($field:ident),*) => { Some(Instr::$to { $($field),* }) };
    ([$other:ident($to:ident) $($more:tt)*]; $($field:ident),*) => {
        negated!([$($more)*]; $($field),*)
    };
    ([]; $($field:ident),*) => { None };
}

/// `incremented!(slot, step; [relations]; lhs, fields..)`: the `inc(..)` instruction, when
/// `lhs` (the first field) is `slot`.
macro_rules! incremented {
    ($slot:ident, $step:ident; [inc($to:ident) $($more:tt)*]; $lhs:ident $(, $field:ident)*) => {
        ($lhs == $slot).then_some(Instr::$to { step: $step, $lhs, $($field),* })
    };
    ($slot:ident, $step:ident; [$other:ident($to:ident) $($more:tt)*]; $($field:ident),*) => {
        incremented!($slot, $step; [$($more)*]; $($field),*)
    };
    ($slot:ident, $step:ident; []; $($field:ident),*) => { None };
}

/// `fused!(cond; [relations]; [@dst dst], [operand]..)`: the `fuse(..)` branch, when `dst`
/// is `cond`.
macro_rules! fused {
    ($cond:ident; [fuse($to:ident) $($more:tt)*]; [@dst $dst:ident] $(, [$field:ident])*) => {
        ($dst == $cond).then_some(Instr::$to { $($field,)* offset: 0 })
    };
    ($cond:ident; [$other:ident($to:ident) $($more:tt)*]; $($fields:tt)*) => {
        fused!($cond; [$($more)*]; $($fields)*)
    };
    ($cond:ident; []; $($fields:tt)*) => { None };
}

/// The shape of a SIMD instruction, with its constructor (see [`simd_lowering`]).
#[derive(Debug, Clone, Copy)]
pub enum SimdLowering {
    /// One operand (`src`), a `v128` result.
    Unary(fn(Slot, Slot) -> Instr),
    /// One `v128` operand, an `i32` result.
    Reduce(fn(Slot, Slot) -> Instr),
    /// Two operands (`lhs`, `rhs`), a `v128` result.
    Binary(fn(Slot, Slot, Slot) -> Instr),
    /// Three operands (the third in an [`Instr::Extra`] after it), a `v128` result.
    Ternary(fn(Slot, Slot, Slot) -> Instr),
}

/// `simd_shape!(Name, shape)`: the [`SimdLowering`] of instruction `Name`.
macro_rules! simd_shape {
    ($name:ident, unary) => {
        Some(SimdLowering::Unary(|dst, src| Instr::$name { dst, src }))
    };
    ($name:ident, reduce) => {
        Some(SimdLowering::Reduce(|dst, src| Instr::$name { dst, src }))
    };
    ($name:ident, binary) => {
        Some(SimdLowering::Binary(|dst, lhs, rhs| Instr::$name {
            dst,
            lhs,
            rhs,
        }))
    };
    ($name:ident, ternary) => {
        Some(SimdLowering::Ternary(|dst, lhs, rhs| Instr::$name {
            dst,
            lhs,
            rhs,
        }))
    };
    ($name:ident, manual) => {
        None
    };
}

for_each_instr!(define_instr);

impl Instr {
    /// If this is a compare-and-branch on `slot` (its `lhs`) that can absorb the step
    /// `slot += by` (`by` a slot) just before it, the fused `AddBrIf..`; else `None`. Not
    /// when `by` does not fit in 16 bits, nor when the bound is `slot` itself (which the
    /// fused instruction would read after writing).
    pub fn stepped_branch(self, slot: Slot, by: Slot) -> Option<Instr> {
        let by = u16::try_from(by).ok()?;
        let lhs = slot;
        Some(match self {
            Instr::BrIfI32Ne {
                lhs: l,
                rhs,
                offset,
            } if l == slot && rhs != slot => Instr::AddBrIfI32Ne {
                by,
                lhs,
                rhs,
                offset,
            },
            Instr::BrIfI32LtS {
                lhs: l,
                rhs,
                offset,
            } if l == slot && rhs != slot => Instr::AddBrIfI32LtS {
                by,
                lhs,
                rhs,
                offset,
            },
            Instr::BrIfI32LtU {
                lhs: l,
                rhs,
                offset,
            } if l == slot && rhs != slot => Instr::AddBrIfI32LtU {
                by,
                lhs,
                rhs,
                offset,
            },
            Instr::BrIfI32NeImm {
                lhs: l,
                imm,
                offset,
            } if l == slot => Instr::AddBrIfI32NeImm {
                by,
                lhs,
                imm,
                offset,
            },
            Instr::BrIfI32LtSImm {
                lhs: l,
                imm,
                offset,
            } if l == slot => Instr::AddBrIfI32LtSImm {
                by,
                lhs,
                imm,
                offset,
            },
            Instr::BrIfI32LtUImm {
                lhs: l,
                imm,
                offset,
            } if l == slot => Instr::AddBrIfI32LtUImm {
                by,
                lhs,
                imm,
                offset,
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_are_16_bytes() {
        assert_eq!(std::mem::size_of::<Instr>(), 16);
    }

    #[test]
    fn relations_are_consistent() {
        let branch = Instr::BrIfI32LtS {
            lhs: 1,
            rhs: 2,
            offset: 5,
        };
        let negated = branch.negated_branch().expect("a conditional branch");
        assert_eq!(
            negated,
            Instr::BrIfI32GeS {
                lhs: 1,
                rhs: 2,
                offset: 5
            }
        );
        assert_eq!(negated.negated_branch(), Some(branch));
        let cmp = Instr::I32LtUImm {
            dst: 7,
            lhs: 3,
            imm: 9,
        };
        assert_eq!(
            cmp.fused_branch(7),
            Some(Instr::BrIfI32LtUImm {
                lhs: 3,
                imm: 9,
                offset: 0
            })
        );
        assert_eq!(cmp.fused_branch(8), None);
        let back_edge = Instr::BrIfI32LtUImm {
            lhs: 3,
            imm: 9,
            offset: -4,
        };
        assert_eq!(
            back_edge.incremented_branch(3, 2),
            Some(Instr::IncBrIfI32LtUImm {
                step: 2,
                lhs: 3,
                imm: 9,
                offset: -4
            })
        );
        assert_eq!(back_edge.incremented_branch(4, 2), None);
        assert_eq!(
            Instr::BrIfNez { src: 3, offset: 1 }.incremented_branch(3, 1),
            None
        );
        assert_eq!(Instr::Br { offset: -3 }.branch_offset(), Some(-3));
        assert_eq!(Instr::Copy { dst: 1, src: 2 }.branch_offset(), None);
        assert_eq!(Instr::Copy { dst: 1, src: 2 }.dst_mut().copied(), Some(1));
        assert_eq!(Instr::Return {}.dst_mut(), None);
    }

    /// An instruction with tag `opcode` and every operand zero.
    fn zeroed(opcode: Opcode) -> Instr {
        let mut bytes = [0u8; 16];
        bytes[..2].copy_from_slice(&(opcode as u16).to_ne_bytes());
        // SAFETY: `Instr` is 16 bytes, `#[repr(u16)]` with its tag first; every tag below
        // `Opcode::COUNT` is a variant, and every field is an integer or a `TrapCode`, for
        // which zero is valid.
        unsafe { std::mem::transmute::<[u8; 16], Instr>(bytes) }
    }

    #[test]
    fn tags_are_opcodes_and_relations_are_symmetric() {
        for &opcode in Opcode::ALL {
            let instr = zeroed(opcode);
            assert_eq!(instr.opcode(), opcode, "{}", opcode.name());
            if let Some(negated) = instr.negated_branch() {
                assert!(instr.branch_offset().is_some(), "{}", opcode.name());
                assert_eq!(negated.negated_branch(), Some(instr), "{}", opcode.name());
            }
            if let Some(fused) = instr.fused_branch(0) {
                assert!(fused.negated_branch().is_some(), "{}", opcode.name());
            }
            if let Some(inc) = instr.incremented_branch(0, 1) {
                assert!(instr.negated_branch().is_some(), "{}", opcode.name());
                assert_eq!(
                    inc.branch_offset(),
                    instr.branch_offset(),
                    "{}",
                    opcode.name()
                );
            }
        }
    }
}
