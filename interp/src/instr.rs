//! The interpreter's instruction set: one table, one doc line per instruction.
//!
//! Naming rules:
//! - Operands are frame *slots* (`Slot`, an index from the frame pointer `fp`) unless the
//!   field is called `imm`/`value` (an immediate folded into the instruction) or `offset`
//!   (a branch distance in instructions, relative to the branching instruction itself).
//! - `dst` is always the slot written; `lhs`/`rhs`/`src`/`addr` are slots read.
//! - A suffix `Imm` means the right-hand operand is an immediate: an `i32` for 32-bit ops, an
//!   `i32` sign-extended to 64 bits for 64-bit ops.
//! - `BrIf<Op>` are compare-and-branch fusions: branch when `lhs <op> rhs` holds.
//! - Every taken branch with an offset ≤ 0 is a loop back-edge: the executor counts it
//!   (hotness) and checks for interruption there, so loops need no extra instruction.
//! - [`Instr::Extra`] is never executed: it carries the operands that did not fit in the
//!   instruction before it (which skips it).
//!
//! Every instruction is 16 bytes (checked by a test), so the bytecode stays dense. The enum is
//! `#[repr(u16)]`: its tag is the first two bytes, which the threaded dispatcher reads to index
//! its handler table.

use tierup_abi::TrapCode;

/// A frame slot index (relative to the frame pointer).
pub type Slot = u32;

/// One interpreter instruction. See the module docs for the naming rules.
#[expect(
    missing_docs,
    reason = "operand fields follow the naming rules in the module docs"
)]
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(u16)]
pub enum Instr {
    // ---- control ----
    /// Trap with `code`.
    Trap { code: TrapCode },
    /// Unconditional branch.
    Br { offset: i32 },
    /// Branch when `cond != 0`.
    BrIfNez { cond: Slot, offset: i32 },
    /// Branch when `cond == 0` (32-bit test).
    BrIfEqz { cond: Slot, offset: i32 },
    /// Branch when `i32 lhs == rhs`.
    BrIfI32Eq { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i32 lhs != rhs`.
    BrIfI32Ne { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i32 lhs < rhs` (signed).
    BrIfI32LtS { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i32 lhs < rhs` (unsigned).
    BrIfI32LtU { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i32 lhs > rhs` (signed).
    BrIfI32GtS { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i32 lhs > rhs` (unsigned).
    BrIfI32GtU { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i32 lhs <= rhs` (signed).
    BrIfI32LeS { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i32 lhs <= rhs` (unsigned).
    BrIfI32LeU { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i32 lhs >= rhs` (signed).
    BrIfI32GeS { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i32 lhs >= rhs` (unsigned).
    BrIfI32GeU { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i32 lhs == imm`.
    BrIfI32EqImm { lhs: Slot, imm: i32, offset: i32 },
    /// Branch when `i32 lhs != imm`.
    BrIfI32NeImm { lhs: Slot, imm: i32, offset: i32 },
    /// Branch when `i32 lhs < imm` (signed).
    BrIfI32LtSImm { lhs: Slot, imm: i32, offset: i32 },
    /// Branch when `i32 lhs < imm` (unsigned).
    BrIfI32LtUImm { lhs: Slot, imm: i32, offset: i32 },
    /// Branch when `i32 lhs > imm` (signed).
    BrIfI32GtSImm { lhs: Slot, imm: i32, offset: i32 },
    /// Branch when `i32 lhs > imm` (unsigned).
    BrIfI32GtUImm { lhs: Slot, imm: i32, offset: i32 },
    /// Branch when `i32 lhs <= imm` (signed).
    BrIfI32LeSImm { lhs: Slot, imm: i32, offset: i32 },
    /// Branch when `i32 lhs <= imm` (unsigned).
    BrIfI32LeUImm { lhs: Slot, imm: i32, offset: i32 },
    /// Branch when `i32 lhs >= imm` (signed).
    BrIfI32GeSImm { lhs: Slot, imm: i32, offset: i32 },
    /// Branch when `i32 lhs >= imm` (unsigned).
    BrIfI32GeUImm { lhs: Slot, imm: i32, offset: i32 },
    /// Branch when `i64 lhs == rhs`.
    BrIfI64Eq { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i64 lhs != rhs`.
    BrIfI64Ne { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i64 lhs < rhs` (signed).
    BrIfI64LtS { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i64 lhs < rhs` (unsigned).
    BrIfI64LtU { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i64 lhs > rhs` (signed).
    BrIfI64GtS { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i64 lhs > rhs` (unsigned).
    BrIfI64GtU { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i64 lhs <= rhs` (signed).
    BrIfI64LeS { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i64 lhs <= rhs` (unsigned).
    BrIfI64LeU { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i64 lhs >= rhs` (signed).
    BrIfI64GeS { lhs: Slot, rhs: Slot, offset: i32 },
    /// Branch when `i64 lhs >= rhs` (unsigned).
    BrIfI64GeU { lhs: Slot, rhs: Slot, offset: i32 },
    /// Jump to entry `min(index, len)` of the `len + 1` `Br` instructions that follow.
    BrTable { index: Slot, len: u32 },
    /// Return from the function (results already in `fp[0..]`).
    Return,
    /// Copy `src` to `fp[0]`, then return.
    ReturnSlot { src: Slot },
    /// Write `value` to `fp[0]`, then return.
    ReturnImm { value: u64 },
    /// Call function `func` of this instance; its frame (and arguments) start at slot `args`.
    Call { func: u32, args: Slot },
    /// Call through table `Extra.a` entry `index`, expecting module type `type_index`; the
    /// callee frame starts at `args`.
    CallIndirect {
        type_index: u32,
        index: Slot,
        args: Slot,
    },
    /// Carries extra operands of the previous instruction; never executed.
    Extra { a: u32, b: u32, c: u32 },

    // ---- moves, constants, select ----
    /// `dst = src`
    Copy { dst: Slot, src: Slot },
    /// `dst = value` (a 32-bit value, zero-extended).
    Const32 { dst: Slot, value: u32 },
    /// `dst = value`
    Const64 { dst: Slot, value: u64 },
    /// `dst = if Extra.a (cond, i32) != 0 { a } else { b }`
    Select { dst: Slot, a: Slot, b: Slot },
    /// `dst = global[global]`
    GlobalGet { dst: Slot, global: u32 },
    /// `global[global] = src`
    GlobalSet { global: u32, src: Slot },

    // ---- memory (memory 0; `offset` is the static offset) ----
    /// `dst = i32 load`
    I32Load { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = i64 load`
    I64Load { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = f32 load`
    F32Load { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = f64 load`
    F64Load { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = i32 load8_s`
    I32Load8S { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = i32 load8_u`
    I32Load8U { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = i32 load16_s`
    I32Load16S { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = i32 load16_u`
    I32Load16U { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = i64 load8_s`
    I64Load8S { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = i64 load8_u`
    I64Load8U { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = i64 load16_s`
    I64Load16S { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = i64 load16_u`
    I64Load16U { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = i64 load32_s`
    I64Load32S { dst: Slot, addr: Slot, offset: u32 },
    /// `dst = i64 load32_u`
    I64Load32U { dst: Slot, addr: Slot, offset: u32 },
    /// 32-bit store of `src`.
    I32Store { addr: Slot, src: Slot, offset: u32 },
    /// 64-bit store of `src`.
    I64Store { addr: Slot, src: Slot, offset: u32 },
    /// 8-bit store of `src`.
    Store8 { addr: Slot, src: Slot, offset: u32 },
    /// 16-bit store of `src`.
    Store16 { addr: Slot, src: Slot, offset: u32 },
    /// 32-bit store of an immediate.
    I32StoreImm { addr: Slot, imm: i32, offset: u32 },
    /// 64-bit store of a sign-extended immediate.
    I64StoreImm { addr: Slot, imm: i32, offset: u32 },
    /// 8-bit store of an immediate.
    Store8Imm { addr: Slot, imm: i32, offset: u32 },
    /// 16-bit store of an immediate.
    Store16Imm { addr: Slot, imm: i32, offset: u32 },
    /// `dst = memory.size` (pages) of memory 0.
    MemorySize { dst: Slot },
    /// `dst = memory.grow(delta)` of memory 0.
    MemoryGrow { dst: Slot, delta: Slot },
    /// `memory.fill(dst, value, len)`
    MemoryFill { dst: Slot, value: Slot, len: Slot },
    /// `memory.copy(dst, src, len)`
    MemoryCopy { dst: Slot, src: Slot, len: Slot },
    /// `memory.init Extra.a (dst, src, len)`
    MemoryInit { dst: Slot, src: Slot, len: Slot },
    /// `data.drop segment`
    DataDrop { segment: u32 },

    // ---- tables and references ----
    /// `dst = table[table][index]`
    TableGet { dst: Slot, table: u32, index: Slot },
    /// `table[table][index] = value`
    TableSet {
        table: u32,
        index: Slot,
        value: Slot,
    },
    /// `dst = table.size table`
    TableSize { dst: Slot, table: u32 },
    /// `dst = table.grow table (init = Extra.a slot, delta)`
    TableGrow { dst: Slot, table: u32, delta: Slot },
    /// `table.fill table (dst, value, len = Extra.a slot)`
    TableFill { table: u32, dst: Slot, value: Slot },
    /// `table.copy Extra.a Extra.b (dst, src, len)` (destination table, source table)
    TableCopy { dst: Slot, src: Slot, len: Slot },
    /// `table.init Extra.a Extra.b (dst, src, len)` (table, segment)
    TableInit { dst: Slot, src: Slot, len: Slot },
    /// `elem.drop segment`
    ElemDrop { segment: u32 },
    /// `dst = ref.func func`
    RefFunc { dst: Slot, func: u32 },

    // ---- i32 arithmetic ----
    /// i32 `+` (wrapping)
    I32Add { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `-` (wrapping)
    I32Sub { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `*` (wrapping)
    I32Mul { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 signed division (traps on 0 and overflow)
    I32DivS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 unsigned division (traps on 0)
    I32DivU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 signed remainder (traps on 0)
    I32RemS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 unsigned remainder (traps on 0)
    I32RemU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `&`
    I32And { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `|`
    I32Or { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `^`
    I32Xor { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 shift left (count mod 32)
    I32Shl { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 arithmetic shift right
    I32ShrS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 logical shift right
    I32ShrU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 rotate left
    I32Rotl { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 rotate right
    I32Rotr { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `+ imm`
    I32AddImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `- imm`
    I32SubImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `* imm`
    I32MulImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 signed division by an immediate
    I32DivSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 unsigned division by an immediate
    I32DivUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 signed remainder by an immediate
    I32RemSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 unsigned remainder by an immediate
    I32RemUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `& imm`
    I32AndImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `| imm`
    I32OrImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `^ imm`
    I32XorImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 shift left by an immediate
    I32ShlImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 arithmetic shift right by an immediate
    I32ShrSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 logical shift right by an immediate
    I32ShrUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 rotate left by an immediate
    I32RotlImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 rotate right by an immediate
    I32RotrImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `==` → 0/1
    I32Eq { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `!=`
    I32Ne { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `<` signed
    I32LtS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `<` unsigned
    I32LtU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `>` signed
    I32GtS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `>` unsigned
    I32GtU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `<=` signed
    I32LeS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `<=` unsigned
    I32LeU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `>=` signed
    I32GeS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `>=` unsigned
    I32GeU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i32 `== imm`
    I32EqImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `!= imm`
    I32NeImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `< imm` signed
    I32LtSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `< imm` unsigned
    I32LtUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `> imm` signed
    I32GtSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `> imm` unsigned
    I32GtUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `<= imm` signed
    I32LeSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `<= imm` unsigned
    I32LeUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `>= imm` signed
    I32GeSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 `>= imm` unsigned
    I32GeUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i32 count leading zeros
    I32Clz { dst: Slot, src: Slot },
    /// i32 count trailing zeros
    I32Ctz { dst: Slot, src: Slot },
    /// i32 population count
    I32Popcnt { dst: Slot, src: Slot },
    /// i32 `== 0` (also `ref.is_null` via [`Instr::I64Eqz`])
    I32Eqz { dst: Slot, src: Slot },
    /// sign-extend the low 8 bits
    I32Extend8S { dst: Slot, src: Slot },
    /// sign-extend the low 16 bits
    I32Extend16S { dst: Slot, src: Slot },

    // ---- i64 arithmetic ----
    /// i64 `+`
    I64Add { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `-`
    I64Sub { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `*`
    I64Mul { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 signed division
    I64DivS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 unsigned division
    I64DivU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 signed remainder
    I64RemS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 unsigned remainder
    I64RemU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `&`
    I64And { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `|`
    I64Or { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `^`
    I64Xor { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 shift left
    I64Shl { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 arithmetic shift right
    I64ShrS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 logical shift right
    I64ShrU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 rotate left
    I64Rotl { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 rotate right
    I64Rotr { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `+ imm`
    I64AddImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `- imm`
    I64SubImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `* imm`
    I64MulImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 signed division by an immediate
    I64DivSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 unsigned division by an immediate
    I64DivUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 signed remainder by an immediate
    I64RemSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 unsigned remainder by an immediate
    I64RemUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `& imm`
    I64AndImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `| imm`
    I64OrImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `^ imm`
    I64XorImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 shift left by an immediate
    I64ShlImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 arithmetic shift right by an immediate
    I64ShrSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 logical shift right by an immediate
    I64ShrUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 rotate left by an immediate
    I64RotlImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 rotate right by an immediate
    I64RotrImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `==`
    I64Eq { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `!=`
    I64Ne { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `<` signed
    I64LtS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `<` unsigned
    I64LtU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `>` signed
    I64GtS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `>` unsigned
    I64GtU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `<=` signed
    I64LeS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `<=` unsigned
    I64LeU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `>=` signed
    I64GeS { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `>=` unsigned
    I64GeU { dst: Slot, lhs: Slot, rhs: Slot },
    /// i64 `== imm`
    I64EqImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `!= imm`
    I64NeImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `< imm` signed
    I64LtSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `< imm` unsigned
    I64LtUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `> imm` signed
    I64GtSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `> imm` unsigned
    I64GtUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `<= imm` signed
    I64LeSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `<= imm` unsigned
    I64LeUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `>= imm` signed
    I64GeSImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 `>= imm` unsigned
    I64GeUImm { dst: Slot, lhs: Slot, imm: i32 },
    /// i64 count leading zeros
    I64Clz { dst: Slot, src: Slot },
    /// i64 count trailing zeros
    I64Ctz { dst: Slot, src: Slot },
    /// i64 population count
    I64Popcnt { dst: Slot, src: Slot },
    /// i64 `== 0` (also `ref.is_null`)
    I64Eqz { dst: Slot, src: Slot },
    /// sign-extend the low 8 bits
    I64Extend8S { dst: Slot, src: Slot },
    /// sign-extend the low 16 bits
    I64Extend16S { dst: Slot, src: Slot },
    /// sign-extend the low 32 bits (also `i64.extend_i32_s`)
    I64Extend32S { dst: Slot, src: Slot },
    /// zero-extend the low 32 bits (`i64.extend_i32_u`, `i32.wrap_i64`)
    I64Extend32U { dst: Slot, src: Slot },

    // ---- f32 / f64 arithmetic (IEEE 754 with wasm's NaN and min/max rules) ----
    /// f32 `+`
    F32Add { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 `-`
    F32Sub { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 `*`
    F32Mul { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 `/`
    F32Div { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 wasm `min`
    F32Min { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 wasm `max`
    F32Max { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 copysign
    F32Copysign { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 `==`
    F32Eq { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 `!=`
    F32Ne { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 `<`
    F32Lt { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 `>`
    F32Gt { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 `<=`
    F32Le { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 `>=`
    F32Ge { dst: Slot, lhs: Slot, rhs: Slot },
    /// f32 abs (bitwise)
    F32Abs { dst: Slot, src: Slot },
    /// f32 neg (bitwise)
    F32Neg { dst: Slot, src: Slot },
    /// f32 ceil
    F32Ceil { dst: Slot, src: Slot },
    /// f32 floor
    F32Floor { dst: Slot, src: Slot },
    /// f32 trunc
    F32Trunc { dst: Slot, src: Slot },
    /// f32 round to nearest, ties to even
    F32Nearest { dst: Slot, src: Slot },
    /// f32 sqrt
    F32Sqrt { dst: Slot, src: Slot },
    /// f64 `+`
    F64Add { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 `-`
    F64Sub { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 `*`
    F64Mul { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 `/`
    F64Div { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 wasm `min`
    F64Min { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 wasm `max`
    F64Max { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 copysign
    F64Copysign { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 `==`
    F64Eq { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 `!=`
    F64Ne { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 `<`
    F64Lt { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 `>`
    F64Gt { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 `<=`
    F64Le { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 `>=`
    F64Ge { dst: Slot, lhs: Slot, rhs: Slot },
    /// f64 abs (bitwise)
    F64Abs { dst: Slot, src: Slot },
    /// f64 neg (bitwise)
    F64Neg { dst: Slot, src: Slot },
    /// f64 ceil
    F64Ceil { dst: Slot, src: Slot },
    /// f64 floor
    F64Floor { dst: Slot, src: Slot },
    /// f64 trunc
    F64Trunc { dst: Slot, src: Slot },
    /// f64 round to nearest, ties to even
    F64Nearest { dst: Slot, src: Slot },
    /// f64 sqrt
    F64Sqrt { dst: Slot, src: Slot },

    // ---- conversions ----
    /// `i32.trunc_f32_s` (trapping)
    I32TruncF32S { dst: Slot, src: Slot },
    /// `i32.trunc_f32_u` (trapping)
    I32TruncF32U { dst: Slot, src: Slot },
    /// `i32.trunc_f64_s` (trapping)
    I32TruncF64S { dst: Slot, src: Slot },
    /// `i32.trunc_f64_u` (trapping)
    I32TruncF64U { dst: Slot, src: Slot },
    /// `i64.trunc_f32_s` (trapping)
    I64TruncF32S { dst: Slot, src: Slot },
    /// `i64.trunc_f32_u` (trapping)
    I64TruncF32U { dst: Slot, src: Slot },
    /// `i64.trunc_f64_s` (trapping)
    I64TruncF64S { dst: Slot, src: Slot },
    /// `i64.trunc_f64_u` (trapping)
    I64TruncF64U { dst: Slot, src: Slot },
    /// `i32.trunc_sat_f32_s`
    I32TruncSatF32S { dst: Slot, src: Slot },
    /// `i32.trunc_sat_f32_u`
    I32TruncSatF32U { dst: Slot, src: Slot },
    /// `i32.trunc_sat_f64_s`
    I32TruncSatF64S { dst: Slot, src: Slot },
    /// `i32.trunc_sat_f64_u`
    I32TruncSatF64U { dst: Slot, src: Slot },
    /// `i64.trunc_sat_f32_s`
    I64TruncSatF32S { dst: Slot, src: Slot },
    /// `i64.trunc_sat_f32_u`
    I64TruncSatF32U { dst: Slot, src: Slot },
    /// `i64.trunc_sat_f64_s`
    I64TruncSatF64S { dst: Slot, src: Slot },
    /// `i64.trunc_sat_f64_u`
    I64TruncSatF64U { dst: Slot, src: Slot },
    /// `f32.convert_i32_s`
    F32ConvertI32S { dst: Slot, src: Slot },
    /// `f32.convert_i32_u`
    F32ConvertI32U { dst: Slot, src: Slot },
    /// `f32.convert_i64_s`
    F32ConvertI64S { dst: Slot, src: Slot },
    /// `f32.convert_i64_u`
    F32ConvertI64U { dst: Slot, src: Slot },
    /// `f64.convert_i32_s`
    F64ConvertI32S { dst: Slot, src: Slot },
    /// `f64.convert_i32_u`
    F64ConvertI32U { dst: Slot, src: Slot },
    /// `f64.convert_i64_s`
    F64ConvertI64S { dst: Slot, src: Slot },
    /// `f64.convert_i64_u`
    F64ConvertI64U { dst: Slot, src: Slot },
    /// `f32.demote_f64`
    F32DemoteF64 { dst: Slot, src: Slot },
    /// `f64.promote_f32`
    F64PromoteF32 { dst: Slot, src: Slot },
}

/// The result slot of a pure arithmetic, comparison or conversion instruction (the ones a
/// `local.set` may retarget); `None` for every other instruction.
pub fn result_dst(instr: &mut Instr) -> Option<&mut Slot> {
    match instr {
        Instr::Copy { dst, .. }
        | Instr::I32Add { dst, .. }
        | Instr::I32Sub { dst, .. }
        | Instr::I32Mul { dst, .. }
        | Instr::I32DivS { dst, .. }
        | Instr::I32DivU { dst, .. }
        | Instr::I32RemS { dst, .. }
        | Instr::I32RemU { dst, .. }
        | Instr::I32And { dst, .. }
        | Instr::I32Or { dst, .. }
        | Instr::I32Xor { dst, .. }
        | Instr::I32Shl { dst, .. }
        | Instr::I32ShrS { dst, .. }
        | Instr::I32ShrU { dst, .. }
        | Instr::I32Rotl { dst, .. }
        | Instr::I32Rotr { dst, .. }
        | Instr::I32AddImm { dst, .. }
        | Instr::I32SubImm { dst, .. }
        | Instr::I32MulImm { dst, .. }
        | Instr::I32DivSImm { dst, .. }
        | Instr::I32DivUImm { dst, .. }
        | Instr::I32RemSImm { dst, .. }
        | Instr::I32RemUImm { dst, .. }
        | Instr::I32AndImm { dst, .. }
        | Instr::I32OrImm { dst, .. }
        | Instr::I32XorImm { dst, .. }
        | Instr::I32ShlImm { dst, .. }
        | Instr::I32ShrSImm { dst, .. }
        | Instr::I32ShrUImm { dst, .. }
        | Instr::I32RotlImm { dst, .. }
        | Instr::I32RotrImm { dst, .. }
        | Instr::I32Eq { dst, .. }
        | Instr::I32Ne { dst, .. }
        | Instr::I32LtS { dst, .. }
        | Instr::I32LtU { dst, .. }
        | Instr::I32GtS { dst, .. }
        | Instr::I32GtU { dst, .. }
        | Instr::I32LeS { dst, .. }
        | Instr::I32LeU { dst, .. }
        | Instr::I32GeS { dst, .. }
        | Instr::I32GeU { dst, .. }
        | Instr::I32EqImm { dst, .. }
        | Instr::I32NeImm { dst, .. }
        | Instr::I32LtSImm { dst, .. }
        | Instr::I32LtUImm { dst, .. }
        | Instr::I32GtSImm { dst, .. }
        | Instr::I32GtUImm { dst, .. }
        | Instr::I32LeSImm { dst, .. }
        | Instr::I32LeUImm { dst, .. }
        | Instr::I32GeSImm { dst, .. }
        | Instr::I32GeUImm { dst, .. }
        | Instr::I32Clz { dst, .. }
        | Instr::I32Ctz { dst, .. }
        | Instr::I32Popcnt { dst, .. }
        | Instr::I32Eqz { dst, .. }
        | Instr::I32Extend8S { dst, .. }
        | Instr::I32Extend16S { dst, .. }
        | Instr::I64Add { dst, .. }
        | Instr::I64Sub { dst, .. }
        | Instr::I64Mul { dst, .. }
        | Instr::I64DivS { dst, .. }
        | Instr::I64DivU { dst, .. }
        | Instr::I64RemS { dst, .. }
        | Instr::I64RemU { dst, .. }
        | Instr::I64And { dst, .. }
        | Instr::I64Or { dst, .. }
        | Instr::I64Xor { dst, .. }
        | Instr::I64Shl { dst, .. }
        | Instr::I64ShrS { dst, .. }
        | Instr::I64ShrU { dst, .. }
        | Instr::I64Rotl { dst, .. }
        | Instr::I64Rotr { dst, .. }
        | Instr::I64AddImm { dst, .. }
        | Instr::I64SubImm { dst, .. }
        | Instr::I64MulImm { dst, .. }
        | Instr::I64DivSImm { dst, .. }
        | Instr::I64DivUImm { dst, .. }
        | Instr::I64RemSImm { dst, .. }
        | Instr::I64RemUImm { dst, .. }
        | Instr::I64AndImm { dst, .. }
        | Instr::I64OrImm { dst, .. }
        | Instr::I64XorImm { dst, .. }
        | Instr::I64ShlImm { dst, .. }
        | Instr::I64ShrSImm { dst, .. }
        | Instr::I64ShrUImm { dst, .. }
        | Instr::I64RotlImm { dst, .. }
        | Instr::I64RotrImm { dst, .. }
        | Instr::I64Eq { dst, .. }
        | Instr::I64Ne { dst, .. }
        | Instr::I64LtS { dst, .. }
        | Instr::I64LtU { dst, .. }
        | Instr::I64GtS { dst, .. }
        | Instr::I64GtU { dst, .. }
        | Instr::I64LeS { dst, .. }
        | Instr::I64LeU { dst, .. }
        | Instr::I64GeS { dst, .. }
        | Instr::I64GeU { dst, .. }
        | Instr::I64EqImm { dst, .. }
        | Instr::I64NeImm { dst, .. }
        | Instr::I64LtSImm { dst, .. }
        | Instr::I64LtUImm { dst, .. }
        | Instr::I64GtSImm { dst, .. }
        | Instr::I64GtUImm { dst, .. }
        | Instr::I64LeSImm { dst, .. }
        | Instr::I64LeUImm { dst, .. }
        | Instr::I64GeSImm { dst, .. }
        | Instr::I64GeUImm { dst, .. }
        | Instr::I64Clz { dst, .. }
        | Instr::I64Ctz { dst, .. }
        | Instr::I64Popcnt { dst, .. }
        | Instr::I64Eqz { dst, .. }
        | Instr::I64Extend8S { dst, .. }
        | Instr::I64Extend16S { dst, .. }
        | Instr::I64Extend32S { dst, .. }
        | Instr::I64Extend32U { dst, .. }
        | Instr::F32Add { dst, .. }
        | Instr::F32Sub { dst, .. }
        | Instr::F32Mul { dst, .. }
        | Instr::F32Div { dst, .. }
        | Instr::F32Min { dst, .. }
        | Instr::F32Max { dst, .. }
        | Instr::F32Copysign { dst, .. }
        | Instr::F32Eq { dst, .. }
        | Instr::F32Ne { dst, .. }
        | Instr::F32Lt { dst, .. }
        | Instr::F32Gt { dst, .. }
        | Instr::F32Le { dst, .. }
        | Instr::F32Ge { dst, .. }
        | Instr::F32Abs { dst, .. }
        | Instr::F32Neg { dst, .. }
        | Instr::F32Ceil { dst, .. }
        | Instr::F32Floor { dst, .. }
        | Instr::F32Trunc { dst, .. }
        | Instr::F32Nearest { dst, .. }
        | Instr::F32Sqrt { dst, .. }
        | Instr::F64Add { dst, .. }
        | Instr::F64Sub { dst, .. }
        | Instr::F64Mul { dst, .. }
        | Instr::F64Div { dst, .. }
        | Instr::F64Min { dst, .. }
        | Instr::F64Max { dst, .. }
        | Instr::F64Copysign { dst, .. }
        | Instr::F64Eq { dst, .. }
        | Instr::F64Ne { dst, .. }
        | Instr::F64Lt { dst, .. }
        | Instr::F64Gt { dst, .. }
        | Instr::F64Le { dst, .. }
        | Instr::F64Ge { dst, .. }
        | Instr::F64Abs { dst, .. }
        | Instr::F64Neg { dst, .. }
        | Instr::F64Ceil { dst, .. }
        | Instr::F64Floor { dst, .. }
        | Instr::F64Trunc { dst, .. }
        | Instr::F64Nearest { dst, .. }
        | Instr::F64Sqrt { dst, .. }
        | Instr::I32TruncF32S { dst, .. }
        | Instr::I32TruncF32U { dst, .. }
        | Instr::I32TruncF64S { dst, .. }
        | Instr::I32TruncF64U { dst, .. }
        | Instr::I64TruncF32S { dst, .. }
        | Instr::I64TruncF32U { dst, .. }
        | Instr::I64TruncF64S { dst, .. }
        | Instr::I64TruncF64U { dst, .. }
        | Instr::I32TruncSatF32S { dst, .. }
        | Instr::I32TruncSatF32U { dst, .. }
        | Instr::I32TruncSatF64S { dst, .. }
        | Instr::I32TruncSatF64U { dst, .. }
        | Instr::I64TruncSatF32S { dst, .. }
        | Instr::I64TruncSatF32U { dst, .. }
        | Instr::I64TruncSatF64S { dst, .. }
        | Instr::I64TruncSatF64U { dst, .. }
        | Instr::F32ConvertI32S { dst, .. }
        | Instr::F32ConvertI32U { dst, .. }
        | Instr::F32ConvertI64S { dst, .. }
        | Instr::F32ConvertI64U { dst, .. }
        | Instr::F64ConvertI32S { dst, .. }
        | Instr::F64ConvertI32U { dst, .. }
        | Instr::F64ConvertI64S { dst, .. }
        | Instr::F64ConvertI64U { dst, .. }
        | Instr::F32DemoteF64 { dst, .. }
        | Instr::F64PromoteF32 { dst, .. } => Some(dst),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_are_16_bytes() {
        assert_eq!(std::mem::size_of::<Instr>(), 16);
    }
}
