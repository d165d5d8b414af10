//! Translation of one wasm function body into register bytecode ([`Instr`]).
//!
//! A single pass over the (already validated) operators, keeping a compile-time operand stack:
//! - An operand is a local (`Local`), a constant (`Const`, `ConstV128`), or a value computed
//!   into its *temporary slot* (`Temp`). Values take one slot, a `v128` two
//!   (`tierup_abi::ValType::slots`); each stack entry records its slot height, and the
//!   temporary of the entry at slot height `s` is always `local slots + s`, so block results,
//!   loop parameters and call arguments land in slots that are fixed by the stack alone:
//!   merges need no register allocation. Locals have the same layout (parameters first, then
//!   the declared locals, a `v128` in two slots).
//! - `local.get` and constants emit nothing; consumers read the local or fold the constant as an
//!   immediate (a `v128` constant is materialized from the function's constant pool when it is
//!   used). Before a local is overwritten, stack entries that still name it are copied to
//!   their temporaries; entering a block copies *all* such entries, so that every path into a
//!   label sees the same operand stack.
//! - `local.set` right after the instruction that computed its value retargets that
//!   instruction's `dst` (no copy), unless a label sits in between.
//! - A comparison followed by `br_if`/`if` becomes one compare-and-branch instruction, and
//!   a loop counter's `x += step` right before it joins it (`IncBrIf..`), as it joins a
//!   `br` back to a loop (`IncBr`).
//! - Peephole fusions as instructions are emitted, each only when no label lies between the
//!   instructions it joins: two one-slot copies between neighbouring slot pairs become one
//!   `Copy2`; a shift or multiply and the `i32.add`/`i32.xor` reading its result become a
//!   *pair* (`I32ShlImmAdd` and its siblings: the first instruction changes opcode, the second
//!   stays, the interpreter runs both in one dispatch); two neighbouring `i32.load`s become a
//!   load pair, and a load pair whose values an `I32MulAdd` pair multiplies and sums a *dot
//!   step* (`I32LoadPairMulAdd`, four instructions in one dispatch); `f32x4.mul` and the
//!   `f32x4.add` of its product become `F32x4MulAdd`; a scalar load splatted becomes the
//!   load-and-splat; an `i32.load8_u` whose byte indexes a `br_table` becomes
//!   `I32Load8UBrTable` (the table stays after it).
//! - Final linear passes: `thread_returns` replaces a forward `Br` to a return by that return
//!   (and a `Copy` into the returned slot by a return of its source), then `use_accumulator`
//!   rewrites instructions that read the result of the instruction right before them (not at
//!   a branch target) into accumulator forms, a pair whose *second* reads that result into
//!   its `..Prev` form, and a pair `x ^= x << k` into its *self* form; `settle_fusions`
//!   finally checks every dot step, pair and load pair against what its handler relies on
//!   and unfuses any that a later rewrite broke.
//!
//! Invariants the executor relies on: every slot an instruction names is below `frame_size`
//! (for a `v128`, both of its slots); branch offsets stay inside the function; every `BrTable`
//! is followed by its `len + 1` `Br`s, and every instruction documented as reading `Extra` is
//! followed by one; a pair fusion's first instruction is followed by its second, in the
//! accumulator form the first's handler expects, a load pair by an `I32Load`, an
//! `I32Load8UBrTable` by the `BrTable` reading its `dst`, and a dot step by its three
//! instructions (no branch lands between them; `settle_fusions` checks it: the
//! handlers read those instructions without testing their opcodes).

use tierup_abi::metering::{self, FuelPlan};
use tierup_abi::{DefinedFuncIdx, FuncIdx, FuncType, ModuleInfo, TrapCode, ValType};
use wasmparser::{BlockType, MemArg, MemArgTarget, Operator};

use crate::instr::{Instr, Opcode, SimdLowering, Slot, simd_lowering};

/// The bytecode of one function.
#[derive(Debug, Clone)]
pub struct CompiledFunc {
    /// Index in the module's function index space.
    pub func_index: FuncIdx,
    /// The same function as a defined function (what code tables and counters use).
    pub defined: DefinedFuncIdx,
    /// The instructions.
    pub code: Box<[Instr]>,
    /// Slots the parameters take (slots `0..num_params`).
    pub num_params: u32,
    /// Slots the parameters and declared locals take (slots `0..num_locals`); locals are
    /// zeroed on entry.
    pub num_locals: u32,
    /// Slots the frame needs (locals + the deepest operand stack), at least 1.
    pub frame_size: u32,
    /// Bytes of wasm this was translated from (for statistics).
    pub wasm_bytes: usize,
    /// When translation finished (for statistics: when the function was first called).
    pub translated_at: std::time::Instant,
    /// How long translation took.
    pub translate_time: std::time::Duration,
    /// Every translated `loop`, in order: where its header is and what is live there, so a
    /// higher tier can continue an activation at the header (on-stack replacement).
    pub loops: Box<[LoopHeader]>,
    /// The `v128` constants and shuffle patterns instructions refer to by index.
    pub consts: Box<[u128]>,
}

/// A `loop`'s header in the bytecode (see [`CompiledFunc::loops`]). At the header every local
/// is in its slot and the operand stack (below and including the loop's parameters) is in
/// its temporaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopHeader {
    /// Bytecode index of the header (the target of the loop's back-edges).
    pub pc: u32,
    /// Byte offset of the `loop` operator in the module (wasmparser's position).
    pub wasm_offset: u32,
    /// Operand-stack height (in values) at the header, the loop's parameters included.
    pub stack_height: u32,
}

/// Why a function could not be translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslateError(pub String);

impl std::fmt::Display for TranslateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TranslateError {}

impl From<wasmparser::BinaryReaderError> for TranslateError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        TranslateError(e.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Operand {
    Local(u32),
    Temp,
    Const(u64),
    /// A `v128` constant: its index in the constant pool.
    ConstV128(u32),
}

/// An operand-stack entry.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    op: Operand,
    /// The slot height (counted from the first temporary) where its temporary is.
    slot: u32,
    /// Whether it is a `v128` (two slots).
    wide: bool,
}

/// The slots a value takes.
fn width(wide: bool) -> u32 {
    1 + u32::from(wide)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum FrameKind {
    /// The function body: branching to it returns.
    Func,
    Block,
    Loop {
        header: usize,
    },
    If {
        else_branch: Option<usize>,
    },
    Else,
}

/// A block's type, to look up its parameter and result types.
#[derive(Debug, Clone, Copy, PartialEq)]
enum BlockSig {
    /// No parameters or results.
    Empty,
    /// One result.
    Result(ValType),
    /// A type-section index.
    Type(u32),
    /// The function's own signature (its body frame).
    Func,
}

#[derive(Debug)]
struct Control {
    kind: FrameKind,
    sig: BlockSig,
    /// Operand stack height (in values) where the frame's parameters start.
    height: usize,
    /// The slot height where the frame's parameters start.
    slot_height: u32,
    num_params: usize,
    num_results: usize,
    /// Forward branches to patch with the end label.
    patches: Vec<usize>,
    /// Whether any branch targets the end label.
    branched: bool,
    /// Whether the code before the frame was reachable.
    reachable_at_entry: bool,
}

impl Control {
    fn branch_arity(&self) -> usize {
        match self.kind {
            FrameKind::Loop { .. } => self.num_params,
            _ => self.num_results,
        }
    }
}

/// The most slots one frame may use (locals plus operand stack): 8 MiB of stack.
pub const MAX_FRAME_SLOTS: usize = 1 << 20;

/// Bytecode growth allowed per byte of wasm body. Ordinary code stays far below it; only
/// adversarial code (thousands of values copied per branch) reaches it.
pub const MAX_CODE_PER_WASM_BYTE: usize = 16;

/// Translates defined function `defined` of `module`.
///
/// # Errors
/// Only for bodies outside what the interpreter supports (frames above
/// [`MAX_FRAME_SLOTS`] slots, code above [`MAX_CODE_PER_WASM_BYTE`]) or operators
/// validation would already have rejected.
pub fn translate(
    module: &ModuleInfo,
    defined: DefinedFuncIdx,
) -> Result<CompiledFunc, TranslateError> {
    translate_inner(module, defined, None)
}

/// [`translate()`], also returning the module offset of the wasm operator each instruction
/// was emitted for (one entry per instruction; instructions emitted before the first
/// operator, such as the entry's fuel charge, get the first operator's offset). For
/// diagnostics (`tierup explore`): the interpreter itself does not keep the map.
///
/// # Errors
/// As [`translate()`].
pub fn translate_with_offsets(
    module: &ModuleInfo,
    defined: DefinedFuncIdx,
) -> Result<(CompiledFunc, Box<[u32]>), TranslateError> {
    let mut offsets = Vec::new();
    let func = translate_inner(module, defined, Some(&mut offsets))?;
    Ok((func, offsets.into_boxed_slice()))
}

fn translate_inner(
    module: &ModuleInfo,
    defined: DefinedFuncIdx,
    mut offsets: Option<&mut Vec<u32>>,
) -> Result<CompiledFunc, TranslateError> {
    let func_index = module.func_of(defined);
    let body = module.body(defined);
    let ty = module.func_type(func_index);
    let locals = Locals::new(ty, &body)?;
    let num_params = ty.param_slots() as u32;
    let num_locals = locals.slots;
    let mut t = Translator {
        module,
        func_type: ty,
        code: Vec::new(),
        stack: Vec::new(),
        stack_slots: 0,
        control: Vec::new(),
        base: num_locals,
        max_height: 0,
        local_refs: LocalRefs::new(locals.count as usize),
        locals,
        reachable: true,
        dead_depth: 0,
        last_def: None,
        last_label: 0,
        loops: Vec::new(),
        consts: Vec::new(),
        op_offset: 0,
    };
    t.control.push(Control {
        kind: FrameKind::Func,
        sig: BlockSig::Func,
        height: 0,
        slot_height: 0,
        num_params: 0,
        num_results: ty.results.len(),
        patches: Vec::new(),
        branched: false,
        reachable_at_entry: true,
    });
    let wasm_bytes = module.body_size(defined);
    let code_budget = MAX_CODE_PER_WASM_BYTE * wasm_bytes + 4096;
    // Fuel: the segments every tier charges (`tierup_abi::metering`).
    let fuel = if module.instrumentation.consume_fuel {
        Some(FuelPlan::new(&body)?)
    } else {
        None
    };
    if let Some(plan) = &fuel {
        t.consume_fuel(plan.entry_cost());
    }
    let mut ops = body.get_operators_reader()?;
    while !ops.eof() {
        t.op_offset = ops.original_position() as u32;
        let op = ops.read()?;
        let charge_point = fuel.is_some() && metering::is_charge_point(&op);
        t.op(op)?;
        if charge_point
            && t.reachable
            && !t.control.is_empty()
            && let Some(plan) = &fuel
        {
            t.consume_fuel(plan.cost_after(t.op_offset));
        }
        if let Some(offsets) = offsets.as_deref_mut() {
            offsets.resize(t.code.len(), t.op_offset);
        }
        if t.base as usize + t.max_height > MAX_FRAME_SLOTS {
            return Err(TranslateError(format!(
                "function {func_index} needs more than {MAX_FRAME_SLOTS} value slots"
            )));
        }
        if t.code.len() > code_budget {
            return Err(TranslateError(format!(
                "function {func_index} expands to more than {code_budget} interpreter \
                 instructions ({MAX_CODE_PER_WASM_BYTE} per byte of wasm)"
            )));
        }
    }
    thread_returns(&mut t.code);
    use_accumulator(&mut t.code, &t.loops);
    settle_fusions(&mut t.code, t.base);
    thread_back_edges(&mut t.code, &t.loops);
    let frame_size = (t.base as usize + t.max_height)
        .max(ty.result_slots())
        .max(1);
    Ok(CompiledFunc {
        func_index,
        defined,
        code: t.code.into_boxed_slice(),
        num_params,
        num_locals,
        frame_size: u32::try_from(frame_size)
            .map_err(|_| TranslateError("frame too large".into()))?,
        wasm_bytes,
        translated_at: std::time::Instant::now(),
        translate_time: std::time::Duration::ZERO,
        loops: t.loops.into_boxed_slice(),
        consts: t.consts.into_boxed_slice(),
    })
}

/// Where each local lives: parameters then declared locals, one slot each, a `v128` two.
struct Locals {
    /// How many locals (parameters included).
    count: u32,
    /// The slots they take.
    slots: u32,
    /// Each local's slot and width, when any local is a `v128` (else local `l` is slot `l`).
    layout: Option<Box<[(u32, bool)]>>,
}

impl Locals {
    fn new(ty: &FuncType, body: &wasmparser::FunctionBody<'_>) -> Result<Locals, TranslateError> {
        let mut count = ty.params.len() as u64;
        let mut slots = ty.param_slots() as u64;
        let mut any_v128 = ty.params.contains(&ValType::V128);
        for local in body.get_locals_reader()? {
            let (n, local_ty) = local?;
            count += u64::from(n);
            let local_ty = ValType::from_wasmparser(local_ty)
                .ok_or_else(|| TranslateError(format!("unsupported local type {local_ty}")))?;
            slots += u64::from(n) * local_ty.slots() as u64;
            any_v128 |= local_ty == ValType::V128;
        }
        if slots > MAX_FRAME_SLOTS as u64 {
            return Err(TranslateError(format!(
                "the function's locals need more than {MAX_FRAME_SLOTS} value slots"
            )));
        }
        let layout = if any_v128 {
            let mut layout = Vec::with_capacity(count as usize);
            let mut next = 0u32;
            let mut add = |ty: ValType| {
                layout.push((next, ty == ValType::V128));
                next += ty.slots() as u32;
            };
            ty.params.iter().for_each(|&t| add(t));
            for local in body.get_locals_reader()? {
                let (n, local_ty) = local?;
                let local_ty = ValType::from_wasmparser(local_ty).unwrap_or(ValType::I32);
                (0..n).for_each(|_| add(local_ty));
            }
            Some(layout.into_boxed_slice())
        } else {
            None
        };
        Ok(Locals {
            count: count as u32,
            slots: slots as u32,
            layout,
        })
    }

    /// The slot of local `l`.
    fn slot(&self, l: u32) -> Slot {
        self.layout
            .as_ref()
            .map_or(l, |layout| layout[l as usize].0)
    }

    /// Whether local `l` is a `v128`.
    fn wide(&self, l: u32) -> bool {
        self.layout
            .as_ref()
            .is_some_and(|layout| layout[l as usize].1)
    }
}

struct Translator<'m> {
    module: &'m ModuleInfo,
    func_type: &'m FuncType,
    /// The loops translated so far ([`CompiledFunc::loops`]).
    loops: Vec<LoopHeader>,
    /// The constant pool ([`CompiledFunc::consts`]).
    consts: Vec<u128>,
    /// Module offset of the operator being translated.
    op_offset: u32,
    code: Vec<Instr>,
    stack: Vec<Entry>,
    /// The slot height of the whole operand stack (kept by `push` and `pop`).
    stack_slots: u32,
    control: Vec<Control>,
    /// First temporary slot (= the slots the locals take).
    base: u32,
    /// The deepest slot height the operand stack reached.
    max_height: usize,
    locals: Locals,
    /// Where each local appears on the operand stack (see [`LocalRefs`]).
    local_refs: LocalRefs,
    reachable: bool,
    /// Nesting depth of blocks inside unreachable code.
    dead_depth: usize,
    /// The last instruction, if it wrote the temporary of the operand on top of the stack and no
    /// label follows it (so its `dst` may be retargeted or it may be fused into a branch).
    last_def: Option<usize>,
    /// The position of the latest label (branch target): no fusion may span it.
    last_label: usize,
}

const NONE: u32 = u32::MAX;

/// Where each local appears on the compile-time operand stack, so that `local.set` and block
/// entry find the entries to copy without scanning the stack (which made translation
/// quadratic on adversarial input).
///
/// Each `Local(l)` entry is linked to the previous entry that named `l` (`prev`), from the
/// topmost one (`head[l]`). A materialized entry stays in its chain until popped and is
/// skipped by walks; a walk empties the chain. `count[l]` is exact.
struct LocalRefs {
    head: Vec<u32>,
    count: Vec<u32>,
    /// Per stack index: the previous entry of the same local, and which local (or `NONE`).
    prev: Vec<u32>,
    owner: Vec<u32>,
    /// Locals pushed since the last full materialization (may repeat).
    active: Vec<u32>,
}

impl LocalRefs {
    fn new(num_locals: usize) -> LocalRefs {
        LocalRefs {
            head: vec![NONE; num_locals],
            count: vec![0; num_locals],
            prev: Vec::new(),
            owner: Vec::new(),
            active: Vec::new(),
        }
    }

    fn pushed(&mut self, index: usize, op: Operand) {
        self.prev.resize(index + 1, NONE);
        self.owner.resize(index + 1, NONE);
        if let Operand::Local(l) = op {
            let l_idx = l as usize;
            self.prev[index] = self.head[l_idx];
            self.owner[index] = l;
            self.head[l_idx] = index as u32;
            self.count[l_idx] += 1;
            self.active.push(l);
        } else {
            self.prev[index] = NONE;
            self.owner[index] = NONE;
        }
    }

    fn popped(&mut self, index: usize, op: Operand) {
        let owner = self.owner[index];
        if owner != NONE && self.head[owner as usize] == index as u32 {
            self.head[owner as usize] = self.prev[index];
        }
        if let Operand::Local(l) = op {
            self.count[l as usize] -= 1;
        }
        self.owner[index] = NONE;
    }
}

/// Which binary operator family, for operand folding.
#[derive(Clone, Copy)]
enum Bin {
    /// Commutative: a constant on either side becomes the immediate.
    Comm,
    /// Only a right-hand constant becomes the immediate.
    RhsImm,
    /// No immediate form.
    Plain,
}

/// The one-element type list of `ty` (for block types with a single result).
fn single(ty: ValType) -> &'static [ValType] {
    match ty {
        ValType::I32 => &[ValType::I32],
        ValType::I64 => &[ValType::I64],
        ValType::F32 => &[ValType::F32],
        ValType::F64 => &[ValType::F64],
        ValType::V128 => &[ValType::V128],
        ValType::FuncRef => &[ValType::FuncRef],
        ValType::ExternRef => &[ValType::ExternRef],
    }
}

impl Translator<'_> {
    /// The slot height of the whole operand stack.
    fn stack_slots(&self) -> u32 {
        self.stack_slots
    }

    /// The temporary slot of stack entry `i`.
    fn temp_of(&self, i: usize) -> Slot {
        self.base + self.stack[i].slot
    }

    /// The temporary slot a value pushed now gets.
    fn next_temp(&self) -> Slot {
        self.base + self.stack_slots()
    }

    /// Charges the fuel of the segment that starts here (nothing for a free one).
    fn consume_fuel(&mut self, amount: u32) {
        if amount > 0 {
            self.emit(Instr::ConsumeFuel { amount });
        }
    }

    fn emit(&mut self, instr: Instr) -> usize {
        self.last_def = None;
        self.code.push(instr);
        self.code.len() - 1
    }

    /// Emits an instruction that writes the temporary of a freshly pushed operand (`wide`: a
    /// `v128`).
    fn emit_def_as(&mut self, instr: Instr, wide: bool) {
        self.code.push(instr);
        self.last_def = Some(self.code.len() - 1);
        self.push(Operand::Temp, wide);
    }

    /// [`Translator::emit_def_as`] for a one-slot value.
    fn emit_def(&mut self, instr: Instr) {
        self.emit_def_as(instr, false);
    }

    /// Emits `instr` and the [`Instr::Extra`] it reads, writing a freshly pushed operand.
    fn emit_with_extra(&mut self, instr: Instr, extra: [u32; 3], wide: bool) {
        self.code.push(instr);
        let [a, b, c] = extra;
        self.code.push(Instr::Extra { a, b, c });
        self.last_def = None;
        self.push(Operand::Temp, wide);
    }

    fn push(&mut self, op: Operand, wide: bool) {
        let slot = self.stack_slots;
        self.local_refs.pushed(self.stack.len(), op);
        self.stack.push(Entry { op, slot, wide });
        self.stack_slots = slot + width(wide);
        self.reserve(self.stack_slots);
    }

    /// Pushes local `l` (`local.get`).
    fn push_local(&mut self, l: u32) {
        let wide = self.locals.wide(l);
        self.push(Operand::Local(l), wide);
    }

    /// Pushes a value of type `ty` that is in its temporary.
    fn push_temp(&mut self, ty: ValType) {
        self.push(Operand::Temp, ty == ValType::V128);
    }

    fn pop(&mut self) -> Entry {
        debug_assert!(
            !self.stack.is_empty(),
            "operand stack underflow (validated code)"
        );
        let e = self.stack.pop().unwrap_or(Entry {
            op: Operand::Temp,
            slot: 0,
            wide: false,
        });
        self.stack_slots = e.slot;
        self.local_refs.popped(self.stack.len(), e.op);
        e
    }

    /// Reserves the slot height that a call or an operation uses beyond the stack top.
    fn reserve(&mut self, slots: u32) {
        self.max_height = self.max_height.max(slots as usize);
    }

    /// Adds `value` to the constant pool; its index.
    fn constant(&mut self, value: u128) -> u32 {
        self.consts.push(value);
        self.consts.len() as u32 - 1
    }

    /// A label at the current position: nothing may be retargeted across it.
    fn label(&mut self) -> usize {
        self.last_def = None;
        self.last_label = self.code.len();
        self.code.len()
    }

    /// Emits the copy of a one-slot or (`wide`) two-slot value.
    ///
    /// Two one-slot copies in a row between two pairs of neighbouring slots become one
    /// [`Instr::Copy2`] (a parallel copy) when doing them one after the other gives the same
    /// result (the first does not write what the second reads) and no label lies between.
    fn copy(&mut self, dst: Slot, src: Slot, wide: bool) {
        if wide {
            self.emit(Instr::Copy128 { dst, src });
            return;
        }
        let at = self.code.len();
        if at > 0
            && self.last_label < at
            && let Instr::Copy {
                dst: prev_dst,
                src: prev_src,
            } = self.code[at - 1]
            && prev_dst != src
        {
            let pair = if dst == prev_dst.wrapping_add(1) && src == prev_src.wrapping_add(1) {
                Some((prev_dst, prev_src))
            } else if prev_dst == dst.wrapping_add(1) && prev_src == src.wrapping_add(1) {
                Some((dst, src))
            } else {
                None
            };
            if let Some((dst, src)) = pair {
                self.code[at - 1] = Instr::Copy2 { dst, src };
                self.last_def = None;
                return;
            }
        }
        self.emit(Instr::Copy { dst, src });
    }

    /// Writes entry `e` into slot `dst` (if it is not already there).
    fn move_to(&mut self, dst: Slot, e: Entry) {
        match e.op {
            Operand::Local(l) => {
                let src = self.locals.slot(l);
                if src != dst {
                    self.copy(dst, src, e.wide);
                }
            }
            Operand::Temp => {
                let src = self.base + e.slot;
                if src != dst {
                    self.copy(dst, src, e.wide);
                }
            }
            Operand::Const(v) => {
                let instr = match u32::try_from(v) {
                    Ok(value) => Instr::Const32 { dst, value },
                    Err(_) => Instr::Const64 { dst, value: v },
                };
                self.emit(instr);
            }
            Operand::ConstV128(index) => {
                self.emit(Instr::V128Const { dst, index });
            }
        }
    }

    /// Makes the operand at stack index `i` a `Temp` (in its own temporary slot).
    fn materialize(&mut self, i: usize) {
        let e = self.stack[i];
        if e.op != Operand::Temp {
            self.move_to(self.temp_of(i), e);
            if let Operand::Local(l) = e.op {
                self.local_refs.count[l as usize] -= 1;
            }
            self.stack[i].op = Operand::Temp;
        }
    }

    /// Materializes every stack entry that names local `only` (or any local, for `None`).
    /// Amortized O(1) per entry: each entry is visited by at most one walk.
    fn materialize_locals(&mut self, only: Option<u32>) {
        match only {
            Some(local) => {
                let mut at = std::mem::replace(&mut self.local_refs.head[local as usize], NONE);
                while at != NONE {
                    if self.stack[at as usize].op == Operand::Local(local) {
                        self.materialize(at as usize);
                    }
                    at = self.local_refs.prev[at as usize];
                }
            }
            None => {
                while let Some(local) = self.local_refs.active.pop() {
                    if self.local_refs.count[local as usize] > 0 {
                        self.materialize_locals(Some(local));
                    }
                }
            }
        }
    }

    /// The slot a (popped) entry can be read from, materializing a constant into its
    /// temporary.
    fn slot_of(&mut self, e: Entry) -> Slot {
        match e.op {
            Operand::Local(l) => self.locals.slot(l),
            Operand::Temp => self.base + e.slot,
            Operand::Const(_) | Operand::ConstV128(_) => {
                let dst = self.base + e.slot;
                self.move_to(dst, e);
                self.reserve(e.slot + width(e.wide));
                dst
            }
        }
    }

    /// Pops `n` entries, bottom first.
    fn pop_n(&mut self, n: usize) -> Vec<Entry> {
        let start = self.stack.len() - n;
        let out = self.stack[start..].to_vec();
        for _ in 0..n {
            self.pop();
        }
        out
    }

    fn block_sig(ty: BlockType) -> BlockSig {
        match ty {
            BlockType::Empty => BlockSig::Empty,
            BlockType::Type(t) => {
                BlockSig::Result(ValType::from_wasmparser(t).unwrap_or(ValType::I32))
            }
            BlockType::FuncType(idx) => BlockSig::Type(idx),
        }
    }

    /// The parameter types of a block type.
    fn sig_params(&self, sig: BlockSig) -> &[ValType] {
        match sig {
            BlockSig::Empty | BlockSig::Result(_) | BlockSig::Func => &[],
            BlockSig::Type(idx) => &self.module.types[idx as usize].params,
        }
    }

    /// The result types of a block type.
    fn sig_results(&self, sig: BlockSig) -> &[ValType] {
        match sig {
            BlockSig::Empty => &[],
            BlockSig::Result(ty) => single(ty),
            BlockSig::Type(idx) => &self.module.types[idx as usize].results,
            BlockSig::Func => &self.func_type.results,
        }
    }

    fn unary(&mut self, make: fn(Slot, Slot) -> Instr) {
        self.unary_as(make, false);
    }

    /// A one-operand instruction whose result is a `v128` when `wide`.
    fn unary_as(&mut self, make: fn(Slot, Slot) -> Instr, wide: bool) {
        let e = self.pop();
        let src = self.slot_of(e);
        let dst = self.next_temp();
        self.emit_def_as(make(dst, src), wide);
    }

    /// A two-operand instruction whose result is a `v128` when `wide` (no immediate forms).
    fn binary_as(&mut self, make: fn(Slot, Slot, Slot) -> Instr, wide: bool) {
        let rhs = self.pop();
        let lhs = self.pop();
        let l = self.slot_of(lhs);
        let r = self.slot_of(rhs);
        let dst = self.next_temp();
        self.emit_def_as(make(dst, l, r), wide);
    }

    /// A three-operand `v128` instruction (its third operand in the `Extra` after it).
    fn ternary_v128(&mut self, make: fn(Slot, Slot, Slot) -> Instr) {
        let [a, b, c] = self.pop3();
        let dst = self.next_temp();
        self.emit_with_extra(make(dst, a, b), [c, 0, 0], true);
    }

    fn binary(
        &mut self,
        kind: Bin,
        make: fn(Slot, Slot, Slot) -> Instr,
        make_imm: Option<fn(Slot, Slot, i32) -> Instr>,
        is_64: bool,
    ) {
        let mut rhs = self.pop();
        let mut lhs = self.pop();
        let imm_of = |e: Entry| -> Option<i32> {
            match e.op {
                Operand::Const(v) if is_64 => i32::try_from(v as i64).ok(),
                Operand::Const(v) => Some(v as u32 as i32),
                _ => None,
            }
        };
        if let (Bin::Comm, Some(_), None) = (kind, imm_of(lhs), imm_of(rhs)) {
            // The entries keep their own slots: only which one is the immediate changes.
            std::mem::swap(&mut lhs, &mut rhs);
        }
        let dst = self.next_temp();
        if let (Some(make_imm), Some(imm), false) = (
            make_imm,
            imm_of(rhs),
            matches!(kind, Bin::Plain) || matches!(lhs.op, Operand::Const(_)),
        ) {
            let l = self.slot_of(lhs);
            self.emit_def(make_imm(dst, l, imm));
            return;
        }
        let l = self.slot_of(lhs);
        let r = self.slot_of(rhs);
        self.emit_def(make(dst, l, r));
        self.fuse_pair();
    }

    /// Makes the last two instructions a pair fusion (see `Instr::I32ShlImmAdd`) when the
    /// last is an `I32Add`/`I32Xor` reading the temporary that the one before it (an
    /// `I32ShlImm`, `I32ShrUImm` or `I32Mul`) just wrote, with no label between them. The
    /// second's operands are swapped if needed so that it reads that temporary as `rhs`.
    fn fuse_pair(&mut self) {
        use Instr as I;
        let n = self.code.len();
        if n < 2 || self.last_label >= n - 1 {
            return;
        }
        let (dst, lhs, rhs, add) = match self.code[n - 1] {
            I::I32Add { dst, lhs, rhs } => (dst, lhs, rhs, true),
            I::I32Xor { dst, lhs, rhs } => (dst, lhs, rhs, false),
            _ => return,
        };
        let first = self.code[n - 2];
        // The second load of a load pair stays so (its first runs it).
        let in_load_pair = n >= 3
            && matches!(
                self.code[n - 3],
                I::I32LoadPair { .. } | I::I32LoadPairMulAdd { .. }
            );
        let temp = match first {
            I::I32ShlImm { dst, .. } | I::I32ShrUImm { dst, .. } | I::I32Mul { dst, .. } => dst,
            I::I32Load8U { dst, addr, .. } | I::I32Load { dst, addr, .. }
                if add && !in_load_pair && !self.addr_is_accumulator(n - 2, addr) =>
            {
                dst
            }
            // An `I32Xor` that is itself the second of a pair stays so.
            I::I32Xor { dst, .. } if n < 3 || !is_pair_first(self.code[n - 3]) => dst,
            _ => return,
        };
        // A temporary (a local could be read again), read once by the second.
        if temp < self.base || lhs == rhs {
            return;
        }
        let other = match (lhs == temp, rhs == temp) {
            (false, true) => lhs,
            (true, false) => rhs,
            _ => return,
        };
        let fused = match (first, add) {
            (I::I32ShlImm { dst, lhs, imm }, true) => I::I32ShlImmAdd { dst, lhs, imm },
            (I::I32ShlImm { dst, lhs, imm }, false) => I::I32ShlImmXor { dst, lhs, imm },
            (I::I32ShrUImm { dst, lhs, imm }, false) => I::I32ShrUImmXor { dst, lhs, imm },
            (I::I32Mul { dst, lhs, rhs }, true) => I::I32MulAdd { dst, lhs, rhs },
            (I::I32Xor { dst, lhs, rhs }, true) => I::I32XorAdd { dst, lhs, rhs },
            (I::I32Load8U { dst, addr, offset }, true) => I::I32Load8UAdd { dst, addr, offset },
            (I::I32Load { dst, addr, offset }, true) => I::I32LoadAdd { dst, addr, offset },
            _ => return,
        };
        self.code[n - 2] = fused;
        if let I::I32MulAdd { lhs: a, rhs: b, .. } = fused {
            self.fuse_dot_step(a, b);
        }
        self.code[n - 1] = if add {
            I::I32Add {
                dst,
                lhs: other,
                rhs: temp,
            }
        } else {
            I::I32Xor {
                dst,
                lhs: other,
                rhs: temp,
            }
        };
    }

    /// Whether the instruction at `at` will read `addr` from the accumulator: it is the
    /// result of the instruction right before, with no label in between (`use_accumulator`
    /// then gives a load its `..Acc` form). A load-and-add pair reads its address from the
    /// slot instead, which waits for the store just made: `sum += p[(i * 7) & mask]` ran
    /// 1.15x slower fused than as an accumulator load and an add.
    fn addr_is_accumulator(&self, at: usize, addr: Slot) -> bool {
        at > 0 && self.last_label < at && accumulator_of(self.code[at - 1]) == Some(addr)
    }

    /// Makes a load pair a dot step (see `Instr::I32LoadPairMulAdd`) when the `I32MulAdd`
    /// pair just fused (the last two instructions), multiplying `a` and `b`, multiplies the
    /// pair's two loaded temporaries, with no label between the four.
    fn fuse_dot_step(&mut self, a: Slot, b: Slot) {
        let n = self.code.len();
        if n < 4 || self.last_label >= n - 3 {
            return;
        }
        if let (Instr::I32LoadPair { dst, addr, offset }, Instr::I32Load { dst: d2, .. }) =
            (self.code[n - 4], self.code[n - 3])
            && dst >= self.base
            && d2 >= self.base
            && dst != d2
            && ((a, b) == (dst, d2) || (b, a) == (dst, d2))
        {
            self.code[n - 4] = Instr::I32LoadPairMulAdd { dst, addr, offset };
        }
    }

    /// Makes the last instruction an `I32Load8UBrTable` (see there) when it is an
    /// `I32Load8U` into the temporary `index` that the `BrTable` about to be emitted reads,
    /// with no label between them. The temporary is dead after the table: branch values and
    /// block results all lie below it on the operand stack.
    fn fuse_load_br_table(&mut self, index: Slot) {
        let n = self.code.len();
        if n == 0 || self.last_label >= n {
            return;
        }
        if let Instr::I32Load8U { dst, addr, offset } = self.code[n - 1]
            && dst == index
            && dst >= self.base
        {
            self.code[n - 1] = Instr::I32Load8UBrTable { dst, addr, offset };
        }
    }

    /// A load whose result is a `v128` when `wide`.
    fn load_as(&mut self, make: fn(Slot, Slot, u32) -> Instr, offset: u64, wide: bool) {
        let e = self.pop();
        let addr = self.slot_of(e);
        let dst = self.next_temp();
        self.emit_def_as(make(dst, addr, offset as u32), wide);
        self.fuse_displacement();
        self.fuse_load_pair();
    }

    /// Joins an `x + k` right before a load (no label between) to it when the load's address
    /// is that sum's temporary and its static offset 0: `I32Load8UDisp`, `I32Load16UDisp`,
    /// `I32LoadDisp` (the sum wraps as the `i32.add` did; folding `k` into the static offset
    /// instead would not wrap). A temporary is read once, by the load: the sum is not written.
    fn fuse_displacement(&mut self) {
        use Instr as I;
        let n = self.code.len();
        if n < 2 || self.last_label >= n - 1 {
            return;
        }
        let I::I32AddImm {
            dst: sum,
            lhs: base,
            imm: disp,
        } = self.code[n - 2]
        else {
            return;
        };
        if sum < self.base {
            return;
        }
        let fused = match self.code[n - 1] {
            I::I32Load8U {
                dst,
                addr,
                offset: 0,
            } if addr == sum => I::I32Load8UDisp {
                dst,
                addr: base,
                disp,
            },
            I::I32Load16U {
                dst,
                addr,
                offset: 0,
            } if addr == sum => I::I32Load16UDisp {
                dst,
                addr: base,
                disp,
            },
            I::I32Load {
                dst,
                addr,
                offset: 0,
            } if addr == sum => I::I32LoadDisp {
                dst,
                addr: base,
                disp,
            },
            _ => return,
        };
        self.code.pop();
        self.code[n - 2] = fused;
        self.last_def = Some(n - 2);
    }

    /// Makes the last two instructions a load pair (see `Instr::I32LoadPair`) when both are
    /// `I32Load`s with no label between them, the first not already the second of a pair
    /// and the second not reading the first's result.
    /// (Accesses to another memory than 0 are bracketed by `UseMemory`, so they are never
    /// neighbours.)
    fn fuse_load_pair(&mut self) {
        let n = self.code.len();
        if n < 2
            || self.last_label >= n - 1
            || n >= 3 && matches!(self.code[n - 3], Instr::I32LoadPair { .. })
        {
            return;
        }
        // Not when the second loads from the first's value: it becomes an accumulator form.
        if let (Instr::I32Load { dst, addr, offset }, Instr::I32Load { addr: second, .. }) =
            (self.code[n - 2], self.code[n - 1])
            && second != dst
        {
            self.code[n - 2] = Instr::I32LoadPair { dst, addr, offset };
        }
    }

    /// Before an access to memory `memory` (multi-memory): selects it, unless it is memory 0,
    /// which every instruction outside such a pair sees (see [`Instr::UseMemory`]).
    fn select_memory(&mut self, memarg: &MemArg) {
        let memory = memory_of(memarg);
        if memory != 0 {
            self.emit(Instr::UseMemory { memory });
        }
    }

    /// After an access selected by [`Translator::select_memory`]: back to memory 0.
    fn restore_memory(&mut self, memarg: &MemArg) {
        if memory_of(memarg) != 0 {
            self.emit(Instr::UseMemory { memory: 0 });
        }
    }

    fn load(&mut self, make: fn(Slot, Slot, u32) -> Instr, offset: u64) {
        self.load_as(make, offset, false);
    }

    fn store(
        &mut self,
        make: fn(Slot, Slot, u32) -> Instr,
        make_imm: Option<fn(Slot, i32, u32) -> Instr>,
        is_64: bool,
        offset: u64,
    ) {
        let value = self.pop();
        let addr_e = self.pop();
        let addr = self.slot_of(addr_e);
        let imm = match value.op {
            Operand::Const(v) if is_64 => i32::try_from(v as i64).ok(),
            Operand::Const(v) => Some(v as u32 as i32),
            _ => None,
        };
        if let (Some(make_imm), Some(imm)) = (make_imm, imm) {
            self.emit(make_imm(addr, imm, offset as u32));
        } else {
            let src = self.slot_of(value);
            self.emit(make(addr, src, offset as u32));
        }
    }

    /// Copies the top values a branch to frame `depth` carries to that frame's slots
    /// (without popping).
    fn copy_branch_values(&mut self, depth: usize) {
        let idx = self.control.len() - 1 - depth;
        if let FrameKind::Func = self.control[idx].kind {
            self.copy_return_values();
            return;
        }
        let arity = self.control[idx].branch_arity();
        let mut dest = self.base + self.control[idx].slot_height;
        let start = self.stack.len() - arity;
        for i in start..self.stack.len() {
            let e = self.stack[i];
            self.move_to(dest, e);
            dest += width(e.wide);
        }
    }

    fn needs_copies(&self, depth: usize) -> bool {
        let frame = &self.control[self.control.len() - 1 - depth];
        if let FrameKind::Func = frame.kind {
            return true;
        }
        let arity = frame.branch_arity();
        let start = self.stack.len() - arity;
        let mut dest = frame.slot_height;
        self.stack[start..].iter().any(|e| {
            let misplaced = e.op != Operand::Temp || e.slot != dest;
            dest += width(e.wide);
            misplaced
        })
    }

    /// Copies the function's results (top of stack) to their slots from `fp[0]` on; safe
    /// against overlap because sources are copied to lower destinations in increasing order
    /// (see module docs).
    fn copy_return_values(&mut self) {
        let n = self.control[0].num_results;
        let start = self.stack.len() - n;
        let result_slots = self.func_type.result_slots() as u32;
        // A local that is also a destination would be clobbered: read it into its operand's
        // own temporary first. The compile-time stack is left as is, because this can run on a
        // conditional path (`br_if`).
        let mut sources: Vec<Entry> = self.stack[start..].to_vec();
        if n > 1 {
            for e in &mut sources {
                if let Operand::Local(l) = e.op
                    && self.locals.slot(l) < result_slots
                {
                    self.move_to(self.base + e.slot, *e);
                    e.op = Operand::Temp;
                }
            }
        }
        let mut dest = 0;
        for e in sources {
            self.move_to(dest, e);
            dest += width(e.wide);
        }
    }

    fn emit_return(&mut self) {
        let n = self.control[0].num_results;
        let top = self.stack.last().copied();
        match top {
            Some(e) if n == 1 && !e.wide => {
                let instr = match e.op {
                    Operand::Local(l) => Instr::ReturnSlot {
                        src: self.locals.slot(l),
                    },
                    Operand::Temp => Instr::ReturnSlot {
                        src: self.base + e.slot,
                    },
                    Operand::Const(value) => Instr::ReturnImm { value },
                    Operand::ConstV128(_) => unreachable!("v128 entries are wide"),
                };
                self.emit(instr);
            }
            _ => {
                // Two one-slot results in locals or temporaries: one `Return2` (a parallel
                // copy, so no result needs moving out of the way first), unless they swap
                // slots 0 and 1.
                if n == 2
                    && let [a, b] = self.stack[self.stack.len() - 2..]
                    && !a.wide
                    && !b.wide
                    && let (Some(lo), Some(hi)) = (self.slot_if_placed(a), self.slot_if_placed(b))
                    && !(lo == 1 && hi == 0)
                {
                    self.emit(Instr::Return2 { lo, hi });
                    return;
                }
                let start = self.code.len();
                self.copy_return_values();
                // Two one-slot results copied last by one `Copy2`: it returns too.
                let end = self.code.len();
                if end > start
                    && let Instr::Copy2 { dst: 0, src } = self.code[end - 1]
                {
                    self.code[end - 1] = Instr::Return2 {
                        lo: src,
                        hi: src + 1,
                    };
                    self.last_def = None;
                } else {
                    self.emit(Instr::Return {});
                }
            }
        }
    }

    /// The slot entry `e` can be read from without emitting anything (a local or a
    /// temporary; `None` for a constant).
    fn slot_if_placed(&self, e: Entry) -> Option<Slot> {
        match e.op {
            Operand::Local(l) => Some(self.locals.slot(l)),
            Operand::Temp => Some(self.base + e.slot),
            Operand::Const(_) | Operand::ConstV128(_) => None,
        }
    }

    /// Emits an unconditional branch to frame `depth` (values already copied).
    fn emit_br(&mut self, depth: usize) {
        let idx = self.control.len() - 1 - depth;
        let at = self.code.len();
        match self.control[idx].kind {
            FrameKind::Func => unreachable!("branches to the function frame are returns"),
            FrameKind::Loop { header } => {
                // `x += k` right before (no label between) joins the back-edge.
                if at > 0
                    && self.last_label < at
                    && let Instr::I32AddImm { dst, lhs, imm } = self.code[at - 1]
                    && dst == lhs
                    && let Ok(step) = i16::try_from(imm)
                {
                    self.code[at - 1] = Instr::IncBr {
                        step,
                        lhs,
                        offset: header as i32 - (at as i32 - 1),
                    };
                    self.last_def = None;
                    return;
                }
                self.emit(Instr::Br {
                    offset: header as i32 - at as i32,
                });
            }
            _ => {
                self.emit(Instr::Br { offset: 0 });
                self.control[idx].patches.push(at);
                self.control[idx].branched = true;
            }
        }
    }

    fn br(&mut self, depth: usize) {
        let idx = self.control.len() - 1 - depth;
        if let FrameKind::Func = self.control[idx].kind {
            self.emit_return();
        } else {
            self.copy_branch_values(depth);
            self.emit_br(depth);
        }
        self.set_unreachable();
    }

    fn set_unreachable(&mut self) {
        self.reachable = false;
        let height = self.control.last().map_or(0, |c| c.height);
        while self.stack.len() > height {
            self.pop();
        }
    }

    /// Patches the branch at `at` to jump to `target`.
    fn patch(&mut self, at: usize, target: usize) {
        let instr = &mut self.code[at];
        match instr.branch_offset_mut() {
            Some(offset) => *offset = target as i32 - at as i32,
            None => unreachable!("patching a non-branch {instr:?}"),
        }
    }

    /// Emits "branch when `cond` is true" (or false, when `negate`), fusing a comparison that
    /// was just computed into the condition. Returns the branch's index (offset to patch).
    fn cond_branch(&mut self, negate: bool) -> usize {
        let cond = self.pop();
        if cond.op == Operand::Temp
            && let Some(at) = self.last_def
            && at + 1 == self.code.len()
            && let Some(fused) = self.code[at].fused_branch(self.base + cond.slot)
        {
            let fused = if negate {
                fused
                    .negated_branch()
                    .expect("fused branches are conditional")
            } else {
                fused
            };
            self.code[at] = fused;
            self.last_def = None;
            return self.fuse_increment(at);
        }
        let cond = self.slot_of(cond);
        if negate {
            self.emit(Instr::BrIfEqz {
                src: cond,
                offset: 0,
            })
        } else {
            self.emit(Instr::BrIfNez {
                src: cond,
                offset: 0,
            })
        }
    }

    /// Fuses the compare-and-branch at `at` (the last instruction) with a loop-counter
    /// increment `x = x + step` right before it (no label in between) into one
    /// `IncBrIf..` instruction, or with `x = x + y` (`y` a slot) into an `AddBrIf..`;
    /// returns the branch's index.
    fn fuse_increment(&mut self, at: usize) -> usize {
        if at == 0 || at + 1 != self.code.len() || self.last_label >= at {
            return at;
        }
        // `x = x + y` (or `y + x`), unless it is the second of a pair fusion (which already
        // saves its dispatch).
        if let Instr::I32Add { dst, lhs, rhs } = self.code[at - 1]
            && (dst == lhs || dst == rhs)
            && !(at >= 2 && is_pair_first(self.code[at - 2]))
        {
            let by = if dst == lhs { rhs } else { lhs };
            let Some(fused) = self.code[at].stepped_branch(dst, by) else {
                return at;
            };
            self.code.pop();
            self.code[at - 1] = fused;
            return at - 1;
        }
        let (slot, step) = match self.code[at - 1] {
            Instr::I32AddImm { dst, lhs, imm } if dst == lhs => (dst, i16::try_from(imm)),
            Instr::I32SubImm { dst, lhs, imm } if dst == lhs => {
                (dst, i16::try_from(imm.wrapping_neg()))
            }
            _ => return at,
        };
        let Ok(step) = step else { return at };
        let Some(fused) = self.code[at].incremented_branch(slot, step) else {
            return at;
        };
        self.code.pop();
        self.code[at - 1] = fused;
        at - 1
    }

    /// Copies every local on the stack and the block parameters into their temporaries.
    fn prepare_block_entry(&mut self, num_params: usize) {
        self.materialize_locals(None);
        let height = self.stack.len() - num_params;
        for i in height..self.stack.len() {
            self.materialize(i);
        }
    }

    fn enter_block(&mut self, kind: FrameKind, ty: BlockType) {
        let sig = Self::block_sig(ty);
        let num_params = self.sig_params(sig).len();
        let num_results = self.sig_results(sig).len();
        let result_slots: u32 = self.sig_results(sig).iter().map(|t| t.slots() as u32).sum();
        self.prepare_block_entry(num_params);
        let height = self.stack.len() - num_params;
        let slot_height = self
            .stack
            .get(height)
            .map_or(self.stack_slots(), |e| e.slot);
        self.reserve(slot_height + result_slots);
        let kind = match kind {
            FrameKind::Loop { .. } => {
                let header = self.label();
                self.loops.push(LoopHeader {
                    pc: header as u32,
                    wasm_offset: self.op_offset,
                    stack_height: self.stack.len() as u32,
                });
                FrameKind::Loop { header }
            }
            other => other,
        };
        self.control.push(Control {
            kind,
            sig,
            height,
            slot_height,
            num_params,
            num_results,
            patches: Vec::new(),
            branched: false,
            reachable_at_entry: true,
        });
    }

    fn op(&mut self, op: Operator<'_>) -> Result<(), TranslateError> {
        if !self.reachable {
            match op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    self.dead_depth += 1;
                    return Ok(());
                }
                Operator::Else if self.dead_depth == 0 => {}
                Operator::End if self.dead_depth == 0 => {}
                Operator::End => {
                    self.dead_depth -= 1;
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
        use Instr as I;
        use Operator as O;
        // `bin!(Kind, Op[, OpImm], is_64)`: a binary operator, with its immediate form if any.
        macro_rules! bin {
            ($kind:ident, $op:ident, $imm:ident, $is_64:expr) => {
                self.binary(
                    Bin::$kind,
                    |dst, lhs, rhs| I::$op { dst, lhs, rhs },
                    Some(|dst, lhs, imm| I::$imm { dst, lhs, imm }),
                    $is_64,
                )
            };
            ($kind:ident, $op:ident, $is_64:expr) => {
                self.binary(
                    Bin::$kind,
                    |dst, lhs, rhs| I::$op { dst, lhs, rhs },
                    None,
                    $is_64,
                )
            };
        }
        // `ld!(Op, memarg)`: a load; `st!(Op[, OpImm], is_64, memarg)`: a store, with its
        // immediate-value form if any.
        macro_rules! ld {
            ($op:ident, $memarg:expr) => {{
                self.select_memory(&$memarg);
                self.load(
                    |dst, addr, offset| I::$op { dst, addr, offset },
                    $memarg.offset,
                );
                self.restore_memory(&$memarg);
            }};
        }
        macro_rules! st {
            ($op:ident, $imm:ident, $is_64:expr, $memarg:expr) => {{
                self.select_memory(&$memarg);
                self.store(
                    |addr, src, offset| I::$op { addr, src, offset },
                    Some(|addr, imm, offset| I::$imm { addr, imm, offset }),
                    $is_64,
                    $memarg.offset,
                );
                self.restore_memory(&$memarg);
            }};
            ($op:ident, $is_64:expr, $memarg:expr) => {{
                self.select_memory(&$memarg);
                self.store(
                    |addr, src, offset| I::$op { addr, src, offset },
                    None,
                    $is_64,
                    $memarg.offset,
                );
                self.restore_memory(&$memarg);
            }};
        }
        // `un!(Op)`: a unary operator.
        macro_rules! un {
            ($op:ident) => {
                self.unary(|dst, src| I::$op { dst, src })
            };
        }
        match op {
            O::Unreachable => {
                self.emit(I::Trap {
                    code: TrapCode::Unreachable,
                });
                self.set_unreachable();
            }
            O::Nop => {}
            O::Block { blockty } => self.enter_block(FrameKind::Block, blockty),
            O::Loop { blockty } => self.enter_block(FrameKind::Loop { header: 0 }, blockty),
            O::If { blockty } => {
                // Materialize before branching, so both arms see the same operand stack.
                let cond = self.pop();
                let num_params = self.sig_params(Self::block_sig(blockty)).len();
                self.prepare_block_entry(num_params);
                self.push(cond.op, cond.wide);
                let at = self.cond_branch(true);
                self.enter_block(
                    FrameKind::If {
                        else_branch: Some(at),
                    },
                    blockty,
                );
            }
            O::Else => {
                let frame = self.control.last_mut().expect("validated");
                let FrameKind::If { else_branch } = frame.kind else {
                    unreachable!("validated: else without if")
                };
                frame.kind = FrameKind::Else;
                if self.reachable {
                    self.copy_branch_values(0);
                    self.emit_br(0);
                }
                let frame = self.control.last().expect("validated");
                let (height, sig, reachable) = (frame.height, frame.sig, frame.reachable_at_entry);
                while self.stack.len() > height {
                    self.pop();
                }
                for i in 0..self.sig_params(sig).len() {
                    let ty = self.sig_params(sig)[i];
                    self.push_temp(ty);
                }
                let here = self.label();
                if let Some(at) = else_branch {
                    self.patch(at, here);
                }
                self.reachable = reachable;
            }
            O::End => self.end()?,
            O::Br { relative_depth } => self.br(relative_depth as usize),
            O::BrIf { relative_depth } => {
                let depth = relative_depth as usize;
                let is_func = matches!(
                    self.control[self.control.len() - 1 - depth].kind,
                    FrameKind::Func
                );
                // Look past the condition to decide whether values must move.
                let cond = self.stack.pop().expect("validated");
                let copies = self.needs_copies(depth);
                self.stack.push(cond);
                if copies || is_func {
                    let skip = self.cond_branch(true);
                    if is_func {
                        self.emit_return();
                    } else {
                        self.copy_branch_values(depth);
                        self.emit_br(depth);
                    }
                    let here = self.label();
                    self.patch(skip, here);
                } else {
                    let at = self.cond_branch(false);
                    let idx = self.control.len() - 1 - depth;
                    match self.control[idx].kind {
                        FrameKind::Loop { header } => {
                            // A conditional back-edge: the branch itself goes backwards (the
                            // executor counts every backward branch as a loop iteration).
                            self.patch(at, header);
                        }
                        _ => {
                            self.control[idx].patches.push(at);
                            self.control[idx].branched = true;
                        }
                    }
                }
            }
            O::BrTable { targets } => {
                let index_e = self.pop();
                let index = self.slot_of(index_e);
                let depths: Vec<u32> = targets
                    .targets()
                    .chain(std::iter::once(Ok(targets.default())))
                    .collect::<Result<_, _>>()?;
                let len = depths.len() as u32 - 1;
                self.fuse_load_br_table(index);
                self.emit(I::BrTable { index, len });
                let table_start = self.code.len();
                for _ in &depths {
                    self.emit(I::Br { offset: 0 });
                }
                // One stub per distinct target that needs value copies (not one per entry:
                // a table of many entries to a block of many results would blow up).
                let mut stubs: Vec<Option<usize>> = vec![None; self.control.len()];
                for (i, depth) in depths.iter().enumerate() {
                    let depth = *depth as usize;
                    let entry = table_start + i;
                    let fidx = self.control.len() - 1 - depth;
                    if let Some(stub) = stubs[depth] {
                        self.patch(entry, stub);
                    } else if !self.needs_copies(depth) {
                        match self.control[fidx].kind {
                            FrameKind::Loop { header } => {
                                self.code[entry] = I::Br {
                                    offset: header as i32 - entry as i32,
                                };
                            }
                            _ => {
                                self.control[fidx].patches.push(entry);
                                self.control[fidx].branched = true;
                            }
                        }
                    } else {
                        let stub = self.label();
                        stubs[depth] = Some(stub);
                        self.patch(entry, stub);
                        if let FrameKind::Func = self.control[fidx].kind {
                            self.emit_return();
                        } else {
                            self.copy_branch_values(depth);
                            self.emit_br(depth);
                        }
                    }
                }
                self.set_unreachable();
            }
            O::Return => {
                self.emit_return();
                self.set_unreachable();
            }
            O::Call { function_index } => {
                let ty = self.module.func_type(FuncIdx(function_index));
                let args = self.call_args(ty);
                self.emit(I::Call {
                    func: function_index,
                    args,
                });
                self.push_results(ty);
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let ty = &self.module.types[type_index as usize];
                let index_e = self.pop();
                // The index sits above the arguments, so materializing them cannot clobber it.
                let index = self.slot_of(index_e);
                let args = self.call_args(ty);
                self.emit(I::CallIndirect {
                    type_index,
                    index,
                    args,
                });
                self.emit(I::Extra {
                    a: table_index,
                    b: 0,
                    c: 0,
                });
                self.push_results(ty);
            }
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let cond = self.pop();
                let b = self.pop();
                let a = self.pop();
                let wide = a.wide;
                let cond = self.slot_of(cond);
                let b = self.slot_of(b);
                let a = self.slot_of(a);
                let dst = self.next_temp();
                let select = if wide {
                    I::Select128 { dst, a, b }
                } else {
                    I::Select { dst, a, b }
                };
                self.emit_with_extra(select, [cond, 0, 0], wide);
            }
            O::LocalGet { local_index } => self.push_local(local_index),
            O::LocalSet { local_index } => self.local_set(local_index, false),
            O::LocalTee { local_index } => self.local_set(local_index, true),
            O::GlobalGet { global_index } => {
                let dst = self.next_temp();
                let global = global_index;
                if self.module.globals[global as usize].content == ValType::V128 {
                    self.emit_def_as(I::GlobalGet128 { dst, global }, true);
                } else {
                    self.emit_def(I::GlobalGet { dst, global });
                }
            }
            O::GlobalSet { global_index } => {
                let e = self.pop();
                let src = self.slot_of(e);
                let global = global_index;
                if e.wide {
                    self.emit(I::GlobalSet128 { global, src });
                } else {
                    self.emit(I::GlobalSet { global, src });
                }
            }
            O::I32Load { memarg } => ld!(I32Load, memarg),
            O::I64Load { memarg } => ld!(I64Load, memarg),
            O::F32Load { memarg } => ld!(F32Load, memarg),
            O::F64Load { memarg } => ld!(F64Load, memarg),
            O::I32Load8S { memarg } => ld!(I32Load8S, memarg),
            O::I32Load8U { memarg } => ld!(I32Load8U, memarg),
            O::I32Load16S { memarg } => ld!(I32Load16S, memarg),
            O::I32Load16U { memarg } => ld!(I32Load16U, memarg),
            O::I64Load8S { memarg } => ld!(I64Load8S, memarg),
            O::I64Load8U { memarg } => ld!(I64Load8U, memarg),
            O::I64Load16S { memarg } => ld!(I64Load16S, memarg),
            O::I64Load16U { memarg } => ld!(I64Load16U, memarg),
            O::I64Load32S { memarg } => ld!(I64Load32S, memarg),
            O::I64Load32U { memarg } => ld!(I64Load32U, memarg),
            O::I32Store { memarg } => st!(I32Store, I32StoreImm, false, memarg),
            O::F32Store { memarg } => st!(I32Store, false, memarg),
            O::I64Store { memarg } => st!(I64Store, I64StoreImm, true, memarg),
            O::F64Store { memarg } => st!(I64Store, true, memarg),
            // A narrow store of a constant keeps its low bits: the immediate is the constant
            // truncated to 32 bits.
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => {
                st!(Store8, Store8Imm, false, memarg)
            }
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                st!(Store16, Store16Imm, false, memarg)
            }
            O::I64Store32 { memarg } => st!(I32Store, I32StoreImm, false, memarg),
            O::MemorySize { mem } => {
                let dst = self.next_temp();
                self.emit_def(I::MemorySize { dst, memory: mem });
            }
            O::MemoryGrow { mem } => self.unary_with(mem, |dst, memory, delta| I::MemoryGrow {
                dst,
                delta,
                memory,
            }),
            O::MemoryFill { mem } => {
                let [d, v, n] = self.pop3();
                self.emit(I::MemoryFill {
                    addr: d,
                    value: v,
                    len: n,
                });
                self.emit(I::Extra { a: mem, b: 0, c: 0 });
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                let [d, s, n] = self.pop3();
                self.emit(I::MemoryCopy {
                    to: d,
                    from: s,
                    len: n,
                });
                self.emit(I::Extra {
                    a: dst_mem,
                    b: src_mem,
                    c: 0,
                });
            }
            O::MemoryInit { data_index, mem } => {
                let [d, s, n] = self.pop3();
                self.emit(I::MemoryInit {
                    to: d,
                    from: s,
                    len: n,
                });
                self.emit(I::Extra {
                    a: data_index,
                    b: mem,
                    c: 0,
                });
            }
            O::DataDrop { data_index } => {
                self.emit(I::DataDrop {
                    segment: data_index,
                });
            }
            O::TableGet { table } => self.unary_with(table, |dst, t, index| I::TableGet {
                dst,
                table: t,
                index,
            }),
            O::TableSet { table } => {
                let v = self.pop();
                let i = self.pop();
                let index = self.slot_of(i);
                let value = self.slot_of(v);
                self.emit(I::TableSet {
                    table,
                    index,
                    value,
                });
            }
            O::TableSize { table } => {
                let dst = self.next_temp();
                self.emit_def(I::TableSize { dst, table });
            }
            O::TableGrow { table } => {
                let delta_e = self.pop();
                let init_e = self.pop();
                let init = self.slot_of(init_e);
                let delta = self.slot_of(delta_e);
                let dst = self.next_temp();
                self.emit_with_extra(I::TableGrow { dst, table, delta }, [init, 0, 0], false);
            }
            O::TableFill { table } => {
                let [d, v, n] = self.pop3();
                self.emit(I::TableFill {
                    table,
                    index: d,
                    value: v,
                });
                self.emit(I::Extra { a: n, b: 0, c: 0 });
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let [d, s, n] = self.pop3();
                self.emit(I::TableCopy {
                    to: d,
                    from: s,
                    len: n,
                });
                self.emit(I::Extra {
                    a: dst_table,
                    b: src_table,
                    c: 0,
                });
            }
            O::TableInit { elem_index, table } => {
                let [d, s, n] = self.pop3();
                self.emit(I::TableInit {
                    to: d,
                    from: s,
                    len: n,
                });
                self.emit(I::Extra {
                    a: table,
                    b: elem_index,
                    c: 0,
                });
            }
            O::ElemDrop { elem_index } => {
                self.emit(I::ElemDrop {
                    segment: elem_index,
                });
            }
            O::RefNull { .. } => self.push(Operand::Const(0), false),
            O::RefIsNull => un!(I64Eqz),
            O::RefFunc { function_index } => {
                let dst = self.next_temp();
                self.emit_def(I::RefFunc {
                    dst,
                    func: function_index,
                });
            }
            O::I32Const { value } => self.push(Operand::Const(value as u32 as u64), false),
            O::I64Const { value } => self.push(Operand::Const(value as u64), false),
            O::F32Const { value } => self.push(Operand::Const(u64::from(value.bits())), false),
            O::F64Const { value } => self.push(Operand::Const(value.bits()), false),

            O::I32Eqz => un!(I32Eqz),
            O::I32Eq => bin!(Comm, I32Eq, I32EqImm, false),
            O::I32Ne => bin!(Comm, I32Ne, I32NeImm, false),
            O::I32LtS => bin!(RhsImm, I32LtS, I32LtSImm, false),
            O::I32LtU => bin!(RhsImm, I32LtU, I32LtUImm, false),
            O::I32GtS => bin!(RhsImm, I32GtS, I32GtSImm, false),
            O::I32GtU => bin!(RhsImm, I32GtU, I32GtUImm, false),
            O::I32LeS => bin!(RhsImm, I32LeS, I32LeSImm, false),
            O::I32LeU => bin!(RhsImm, I32LeU, I32LeUImm, false),
            O::I32GeS => bin!(RhsImm, I32GeS, I32GeSImm, false),
            O::I32GeU => bin!(RhsImm, I32GeU, I32GeUImm, false),
            O::I64Eqz => un!(I64Eqz),
            O::I64Eq => bin!(Comm, I64Eq, I64EqImm, true),
            O::I64Ne => bin!(Comm, I64Ne, I64NeImm, true),
            O::I64LtS => bin!(RhsImm, I64LtS, I64LtSImm, true),
            O::I64LtU => bin!(RhsImm, I64LtU, I64LtUImm, true),
            O::I64GtS => bin!(RhsImm, I64GtS, I64GtSImm, true),
            O::I64GtU => bin!(RhsImm, I64GtU, I64GtUImm, true),
            O::I64LeS => bin!(RhsImm, I64LeS, I64LeSImm, true),
            O::I64LeU => bin!(RhsImm, I64LeU, I64LeUImm, true),
            O::I64GeS => bin!(RhsImm, I64GeS, I64GeSImm, true),
            O::I64GeU => bin!(RhsImm, I64GeU, I64GeUImm, true),
            O::F32Eq => bin!(Plain, F32Eq, false),
            O::F32Ne => bin!(Plain, F32Ne, false),
            O::F32Lt => bin!(Plain, F32Lt, false),
            O::F32Gt => bin!(Plain, F32Gt, false),
            O::F32Le => bin!(Plain, F32Le, false),
            O::F32Ge => bin!(Plain, F32Ge, false),
            O::F64Eq => bin!(Plain, F64Eq, false),
            O::F64Ne => bin!(Plain, F64Ne, false),
            O::F64Lt => bin!(Plain, F64Lt, false),
            O::F64Gt => bin!(Plain, F64Gt, false),
            O::F64Le => bin!(Plain, F64Le, false),
            O::F64Ge => bin!(Plain, F64Ge, false),

            O::I32Clz => un!(I32Clz),
            O::I32Ctz => un!(I32Ctz),
            O::I32Popcnt => un!(I32Popcnt),
            O::I32Add => bin!(Comm, I32Add, I32AddImm, false),
            O::I32Sub => bin!(RhsImm, I32Sub, I32SubImm, false),
            O::I32Mul => bin!(Comm, I32Mul, I32MulImm, false),
            O::I32DivS => bin!(RhsImm, I32DivS, I32DivSImm, false),
            O::I32DivU => bin!(RhsImm, I32DivU, I32DivUImm, false),
            O::I32RemS => bin!(RhsImm, I32RemS, I32RemSImm, false),
            O::I32RemU => bin!(RhsImm, I32RemU, I32RemUImm, false),
            O::I32And => bin!(Comm, I32And, I32AndImm, false),
            O::I32Or => bin!(Comm, I32Or, I32OrImm, false),
            O::I32Xor => bin!(Comm, I32Xor, I32XorImm, false),
            O::I32Shl => bin!(RhsImm, I32Shl, I32ShlImm, false),
            O::I32ShrS => bin!(RhsImm, I32ShrS, I32ShrSImm, false),
            O::I32ShrU => bin!(RhsImm, I32ShrU, I32ShrUImm, false),
            O::I32Rotl => bin!(RhsImm, I32Rotl, I32RotlImm, false),
            O::I32Rotr => bin!(RhsImm, I32Rotr, I32RotrImm, false),
            O::I64Clz => un!(I64Clz),
            O::I64Ctz => un!(I64Ctz),
            O::I64Popcnt => un!(I64Popcnt),
            O::I64Add => bin!(Comm, I64Add, I64AddImm, true),
            O::I64Sub => bin!(RhsImm, I64Sub, I64SubImm, true),
            O::I64Mul => bin!(Comm, I64Mul, I64MulImm, true),
            O::I64DivS => bin!(RhsImm, I64DivS, I64DivSImm, true),
            O::I64DivU => bin!(RhsImm, I64DivU, I64DivUImm, true),
            O::I64RemS => bin!(RhsImm, I64RemS, I64RemSImm, true),
            O::I64RemU => bin!(RhsImm, I64RemU, I64RemUImm, true),
            O::I64And => bin!(Comm, I64And, I64AndImm, true),
            O::I64Or => bin!(Comm, I64Or, I64OrImm, true),
            O::I64Xor => bin!(Comm, I64Xor, I64XorImm, true),
            O::I64Shl => bin!(RhsImm, I64Shl, I64ShlImm, true),
            O::I64ShrS => bin!(RhsImm, I64ShrS, I64ShrSImm, true),
            O::I64ShrU => bin!(RhsImm, I64ShrU, I64ShrUImm, true),
            O::I64Rotl => bin!(RhsImm, I64Rotl, I64RotlImm, true),
            O::I64Rotr => bin!(RhsImm, I64Rotr, I64RotrImm, true),

            O::F32Abs => un!(F32Abs),
            O::F32Neg => un!(F32Neg),
            O::F32Ceil => un!(F32Ceil),
            O::F32Floor => un!(F32Floor),
            O::F32Trunc => un!(F32Trunc),
            O::F32Nearest => un!(F32Nearest),
            O::F32Sqrt => un!(F32Sqrt),
            O::F32Add => bin!(Plain, F32Add, false),
            O::F32Sub => bin!(Plain, F32Sub, false),
            O::F32Mul => bin!(Plain, F32Mul, false),
            O::F32Div => bin!(Plain, F32Div, false),
            O::F32Min => bin!(Plain, F32Min, false),
            O::F32Max => bin!(Plain, F32Max, false),
            O::F32Copysign => bin!(Plain, F32Copysign, false),
            O::F64Abs => un!(F64Abs),
            O::F64Neg => un!(F64Neg),
            O::F64Ceil => un!(F64Ceil),
            O::F64Floor => un!(F64Floor),
            O::F64Trunc => un!(F64Trunc),
            O::F64Nearest => un!(F64Nearest),
            O::F64Sqrt => un!(F64Sqrt),
            O::F64Add => bin!(Plain, F64Add, false),
            O::F64Sub => bin!(Plain, F64Sub, false),
            O::F64Mul => bin!(Plain, F64Mul, false),
            O::F64Div => bin!(Plain, F64Div, false),
            O::F64Min => bin!(Plain, F64Min, false),
            O::F64Max => bin!(Plain, F64Max, false),
            O::F64Copysign => bin!(Plain, F64Copysign, false),

            O::I32WrapI64 => un!(I64Extend32U),
            O::I32TruncF32S => un!(I32TruncF32S),
            O::I32TruncF32U => un!(I32TruncF32U),
            O::I32TruncF64S => un!(I32TruncF64S),
            O::I32TruncF64U => un!(I32TruncF64U),
            O::I64ExtendI32S => un!(I64Extend32S),
            // i32 values are kept zero-extended in their slots: zero-extension is free, and so
            // are the reinterpretations (f32 bits are kept zero-extended as well).
            O::I64ExtendI32U
            | O::I32ReinterpretF32
            | O::I64ReinterpretF64
            | O::F32ReinterpretI32
            | O::F64ReinterpretI64 => {}
            O::I64TruncF32S => un!(I64TruncF32S),
            O::I64TruncF32U => un!(I64TruncF32U),
            O::I64TruncF64S => un!(I64TruncF64S),
            O::I64TruncF64U => un!(I64TruncF64U),
            O::F32ConvertI32S => un!(F32ConvertI32S),
            O::F32ConvertI32U => un!(F32ConvertI32U),
            O::F32ConvertI64S => un!(F32ConvertI64S),
            O::F32ConvertI64U => un!(F32ConvertI64U),
            O::F32DemoteF64 => un!(F32DemoteF64),
            O::F64ConvertI32S => un!(F64ConvertI32S),
            O::F64ConvertI32U => un!(F64ConvertI32U),
            O::F64ConvertI64S => un!(F64ConvertI64S),
            O::F64ConvertI64U => un!(F64ConvertI64U),
            O::F64PromoteF32 => un!(F64PromoteF32),
            O::I32Extend8S => un!(I32Extend8S),
            O::I32Extend16S => un!(I32Extend16S),
            O::I64Extend8S => un!(I64Extend8S),
            O::I64Extend16S => un!(I64Extend16S),
            O::I64Extend32S => un!(I64Extend32S),
            O::I32TruncSatF32S => un!(I32TruncSatF32S),
            O::I32TruncSatF32U => un!(I32TruncSatF32U),
            O::I32TruncSatF64S => un!(I32TruncSatF64S),
            O::I32TruncSatF64U => un!(I32TruncSatF64U),
            O::I64TruncSatF32S => un!(I64TruncSatF32S),
            O::I64TruncSatF32U => un!(I64TruncSatF32U),
            O::I64TruncSatF64S => un!(I64TruncSatF64S),
            O::I64TruncSatF64U => un!(I64TruncSatF64U),
            other => return self.simd_op(&other),
        }
        Ok(())
    }

    /// Translates a SIMD operator (every other operator is translated by [`Translator::op`]).
    fn simd_op(&mut self, op: &Operator<'_>) -> Result<(), TranslateError> {
        use Instr as I;
        use Operator as O;
        let fused = match op {
            O::I32x4Splat | O::F32x4Splat => self.fuse_load_splat(false),
            O::I64x2Splat | O::F64x2Splat => self.fuse_load_splat(true),
            O::F32x4Add => self.fuse_mul_add(),
            _ => false,
        };
        if fused {
            return Ok(());
        }
        if let Some(lowering) = simd_lowering(op) {
            match lowering {
                SimdLowering::Unary(make) => self.unary_as(make, true),
                SimdLowering::Reduce(make) => self.unary_as(make, false),
                SimdLowering::Binary(make) => self.binary_as(make, true),
                SimdLowering::Ternary(make) => self.ternary_v128(make),
            }
            return Ok(());
        }
        // `v128ld!(Op, memarg)`: a load giving a `v128`.
        macro_rules! v128ld {
            ($op:ident, $memarg:expr) => {{
                self.select_memory(&$memarg);
                self.load_as(
                    |dst, addr, offset| I::$op { dst, addr, offset },
                    $memarg.offset,
                    true,
                );
                self.restore_memory(&$memarg);
            }};
        }
        // `lane_load!(Op, memarg, lane)` / `lane_store!(Op, memarg, lane)`.
        macro_rules! lane_load {
            ($op:ident, $memarg:expr, $lane:expr) => {{
                self.select_memory(&$memarg);
                let vec = self.pop();
                let addr_e = self.pop();
                let addr = self.slot_of(addr_e);
                let vec = self.slot_of(vec);
                let dst = self.next_temp();
                let offset = $memarg.offset as u32;
                self.emit_with_extra(
                    I::$op { dst, addr, offset },
                    [vec, u32::from($lane), 0],
                    true,
                );
                self.restore_memory(&$memarg);
            }};
        }
        macro_rules! lane_store {
            ($op:ident, $memarg:expr, $lane:expr) => {{
                self.select_memory(&$memarg);
                let value = self.pop();
                let addr_e = self.pop();
                let addr = self.slot_of(addr_e);
                let src = self.slot_of(value);
                let offset = $memarg.offset as u32;
                self.emit(I::$op { addr, src, offset });
                self.emit(I::Extra {
                    a: u32::from($lane),
                    b: 0,
                    c: 0,
                });
                self.restore_memory(&$memarg);
            }};
        }
        // `extract!(Op, lane)` / `replace!(Op, lane)`.
        macro_rules! extract {
            ($op:ident, $lane:expr) => {{
                let e = self.pop();
                let src = self.slot_of(e);
                let dst = self.next_temp();
                let lane = u32::from($lane);
                self.emit_def(I::$op { dst, src, lane });
            }};
        }
        macro_rules! replace {
            ($op:ident, $lane:expr) => {{
                let value = self.pop();
                let vec = self.pop();
                let src = self.slot_of(vec);
                let value = self.slot_of(value);
                let dst = self.next_temp();
                self.emit_with_extra(I::$op { dst, src, value }, [u32::from($lane), 0, 0], true);
            }};
        }
        match *op {
            O::V128Const { value } => {
                let index = self.constant(value.i128() as u128);
                self.push(Operand::ConstV128(index), true);
            }
            O::I8x16Shuffle { lanes } => {
                let rhs = self.pop();
                let lhs = self.pop();
                let l = self.slot_of(lhs);
                let r = self.slot_of(rhs);
                let pattern = self.constant(u128::from_le_bytes(lanes));
                let dst = self.next_temp();
                self.emit_with_extra(
                    I::I8x16Shuffle {
                        dst,
                        lhs: l,
                        rhs: r,
                    },
                    [pattern, 0, 0],
                    true,
                );
            }
            O::V128Load { memarg } => v128ld!(V128Load, memarg),
            O::V128Load8x8S { memarg } => v128ld!(V128Load8x8S, memarg),
            O::V128Load8x8U { memarg } => v128ld!(V128Load8x8U, memarg),
            O::V128Load16x4S { memarg } => v128ld!(V128Load16x4S, memarg),
            O::V128Load16x4U { memarg } => v128ld!(V128Load16x4U, memarg),
            O::V128Load32x2S { memarg } => v128ld!(V128Load32x2S, memarg),
            O::V128Load32x2U { memarg } => v128ld!(V128Load32x2U, memarg),
            O::V128Load8Splat { memarg } => v128ld!(V128Load8Splat, memarg),
            O::V128Load16Splat { memarg } => v128ld!(V128Load16Splat, memarg),
            O::V128Load32Splat { memarg } => v128ld!(V128Load32Splat, memarg),
            O::V128Load64Splat { memarg } => v128ld!(V128Load64Splat, memarg),
            O::V128Load32Zero { memarg } => v128ld!(V128Load32Zero, memarg),
            O::V128Load64Zero { memarg } => v128ld!(V128Load64Zero, memarg),
            O::V128Store { memarg } => {
                self.select_memory(&memarg);
                self.store(
                    |addr, src, offset| I::V128Store { addr, src, offset },
                    None,
                    false,
                    memarg.offset,
                );
                self.restore_memory(&memarg);
            }
            O::V128Load8Lane { memarg, lane } => lane_load!(V128Load8Lane, memarg, lane),
            O::V128Load16Lane { memarg, lane } => lane_load!(V128Load16Lane, memarg, lane),
            O::V128Load32Lane { memarg, lane } => lane_load!(V128Load32Lane, memarg, lane),
            O::V128Load64Lane { memarg, lane } => lane_load!(V128Load64Lane, memarg, lane),
            O::V128Store8Lane { memarg, lane } => lane_store!(V128Store8Lane, memarg, lane),
            O::V128Store16Lane { memarg, lane } => lane_store!(V128Store16Lane, memarg, lane),
            O::V128Store32Lane { memarg, lane } => lane_store!(V128Store32Lane, memarg, lane),
            O::V128Store64Lane { memarg, lane } => lane_store!(V128Store64Lane, memarg, lane),
            O::I8x16ExtractLaneS { lane } => extract!(I8x16ExtractLaneS, lane),
            O::I8x16ExtractLaneU { lane } => extract!(I8x16ExtractLaneU, lane),
            O::I16x8ExtractLaneS { lane } => extract!(I16x8ExtractLaneS, lane),
            O::I16x8ExtractLaneU { lane } => extract!(I16x8ExtractLaneU, lane),
            O::I32x4ExtractLane { lane } => extract!(I32x4ExtractLane, lane),
            O::I64x2ExtractLane { lane } => extract!(I64x2ExtractLane, lane),
            O::F32x4ExtractLane { lane } => extract!(F32x4ExtractLane, lane),
            O::F64x2ExtractLane { lane } => extract!(F64x2ExtractLane, lane),
            O::I8x16ReplaceLane { lane } => replace!(I8x16ReplaceLane, lane),
            O::I16x8ReplaceLane { lane } => replace!(I16x8ReplaceLane, lane),
            O::I32x4ReplaceLane { lane } => replace!(I32x4ReplaceLane, lane),
            O::I64x2ReplaceLane { lane } => replace!(I64x2ReplaceLane, lane),
            O::F32x4ReplaceLane { lane } => replace!(F32x4ReplaceLane, lane),
            O::F64x2ReplaceLane { lane } => replace!(F64x2ReplaceLane, lane),
            _ => {
                return Err(TranslateError(format!(
                    "operator not supported by the interpreter: {op:?}"
                )));
            }
        }
        Ok(())
    }

    fn unary_with(&mut self, table: u32, make: fn(Slot, u32, Slot) -> Instr) {
        let e = self.pop();
        let src = self.slot_of(e);
        let dst = self.next_temp();
        self.emit_def(make(dst, table, src));
    }

    /// The instruction that just computed the operand on top of the stack into its
    /// temporary (no label since): its index.
    fn top_just_computed(&self) -> Option<usize> {
        let top = self.stack.last()?;
        let at = self.last_def?;
        (top.op == Operand::Temp && at + 1 == self.code.len()).then_some(at)
    }

    /// A splat of a value that was just loaded becomes the load-and-splat (`wide`: of 64
    /// bits, else of 32): the same access, so the same trap. Returns whether it did.
    fn fuse_load_splat(&mut self, wide: bool) -> bool {
        let Some(at) = self.top_just_computed() else {
            return false;
        };
        let temp = self.base + self.stack[self.stack.len() - 1].slot;
        let fused = match self.code[at] {
            Instr::I32Load { dst, addr, offset } | Instr::F32Load { dst, addr, offset }
                if !wide && dst == temp =>
            {
                Instr::V128Load32Splat { dst, addr, offset }
            }
            Instr::I64Load { dst, addr, offset } | Instr::F64Load { dst, addr, offset }
                if wide && dst == temp =>
            {
                Instr::V128Load64Splat { dst, addr, offset }
            }
            _ => return false,
        };
        // The splat's result takes the loaded value's temporary (its first slot).
        self.pop();
        debug_assert_eq!(self.next_temp(), temp);
        self.code[at] = fused;
        // A load pair before it loses its second.
        if at > 0
            && let Instr::I32LoadPair { dst, addr, offset } = self.code[at - 1]
        {
            self.code[at - 1] = Instr::I32Load { dst, addr, offset };
        }
        self.last_def = Some(at);
        self.push(Operand::Temp, true);
        true
    }

    /// `f32x4.add` of a product just computed (`f32x4.mul`) and a local or temporary becomes
    /// one [`Instr::F32x4MulAdd`]. Returns whether it did.
    fn fuse_mul_add(&mut self) -> bool {
        let n = self.stack.len();
        if n < 2 {
            return false;
        }
        let Some(at) = self.last_def.filter(|&at| at + 1 == self.code.len()) else {
            return false;
        };
        let Instr::F32x4Mul {
            dst: product,
            lhs,
            rhs,
        } = self.code[at]
        else {
            return false;
        };
        let is_product = |e: &Entry| e.op == Operand::Temp && self.base + e.slot == product;
        let (a, b) = (self.stack[n - 2], self.stack[n - 1]);
        let (addend, product_first) = if is_product(&b) {
            (a, 0)
        } else if is_product(&a) {
            (b, 1)
        } else {
            return false;
        };
        let addend = match addend.op {
            Operand::Local(l) => self.locals.slot(l),
            Operand::Temp => self.base + addend.slot,
            Operand::Const(_) | Operand::ConstV128(_) => return false,
        };
        self.pop();
        self.pop();
        let dst = self.next_temp();
        self.code[at] = Instr::F32x4MulAdd { dst, lhs, rhs };
        self.code.push(Instr::Extra {
            a: addend,
            b: product,
            c: product_first,
        });
        // `local.set` may still retarget `dst` (see `Translator::local_set`).
        self.last_def = Some(at);
        self.push(Operand::Temp, true);
        true
    }

    /// Pops three operands into readable slots.
    fn pop3(&mut self) -> [Slot; 3] {
        let entries = self.pop_n(3);
        [
            self.slot_of(entries[0]),
            self.slot_of(entries[1]),
            self.slot_of(entries[2]),
        ]
    }

    /// Places the arguments of a call of type `ty` (the top operands) in consecutive
    /// temporaries and returns the first slot, where the callee's frame starts.
    fn call_args(&mut self, ty: &FuncType) -> Slot {
        let h = self.stack.len() - ty.params.len();
        for i in h..self.stack.len() {
            self.materialize(i);
        }
        for _ in 0..ty.params.len() {
            self.pop();
        }
        let first = self.stack_slots();
        self.reserve(first + ty.frame_slots() as u32);
        self.base + first
    }

    /// Pushes the results of a call of type `ty` (in their temporaries, where the callee's
    /// frame wrote them).
    fn push_results(&mut self, ty: &FuncType) {
        for &result in ty.results() {
            self.push_temp(result);
        }
        self.last_def = None;
    }

    fn local_set(&mut self, local: u32, tee: bool) {
        let value = *self
            .stack
            .last()
            .expect("validated: local.set has an operand");
        let top_is_local = usize::from(value.op == Operand::Local(local));
        let mentions_local = self.local_refs.count[local as usize] > top_is_local as u32;
        if mentions_local {
            self.materialize_locals(Some(local));
        }
        if value.op == Operand::Local(local) {
            // `local.get x; local.set x` (or tee): nothing to do.
            self.pop();
            if tee {
                self.push_local(local);
            }
            return;
        }
        let temp = self.base + value.slot;
        let local_slot = self.locals.slot(local);
        if value.op == Operand::Temp
            && !mentions_local
            && let Some(at) = self.last_def
            && (at + 1 == self.code.len()
                || at + 2 == self.code.len() && matches!(self.code[at], Instr::F32x4MulAdd { .. }))
            && let Some(dst) = self.code[at].dst_mut()
            && *dst == temp
        {
            *dst = local_slot;
            self.last_def = None;
        } else {
            self.move_to(local_slot, value);
        }
        self.pop();
        if tee {
            self.push_local(local);
        }
    }

    fn end(&mut self) -> Result<(), TranslateError> {
        let frame = self.control.pop().expect("validated");
        match frame.kind {
            FrameKind::Func => {
                if self.reachable {
                    self.control.push(frame);
                    self.emit_return();
                    self.control.pop();
                }
                return Ok(());
            }
            FrameKind::Loop { .. } => {
                // Results stay where they are: nothing branches to a loop's end.
                return Ok(());
            }
            FrameKind::Block | FrameKind::If { .. } | FrameKind::Else => {}
        }
        let n = frame.num_results;
        let lazy_ok = matches!(frame.kind, FrameKind::Block) && !frame.branched;
        if self.reachable && !lazy_ok {
            let start = self.stack.len() - n;
            let mut dest = self.base + frame.slot_height;
            for i in start..self.stack.len() {
                let e = self.stack[i];
                self.move_to(dest, e);
                dest += width(e.wide);
            }
        }
        let fallthrough = self.reachable;
        if !(self.reachable && lazy_ok) {
            while self.stack.len() > frame.height {
                self.pop();
            }
            for i in 0..n {
                let ty = self.sig_results(frame.sig)[i];
                self.push_temp(ty);
            }
        }
        let here = self.label();
        for at in &frame.patches {
            self.patch(*at, here);
        }
        let else_falls = match frame.kind {
            FrameKind::If { else_branch } => {
                // No else: the false branch arrives here with the parameters as results.
                if let Some(at) = else_branch {
                    self.patch(at, here);
                }
                frame.reachable_at_entry
            }
            _ => false,
        };
        self.reachable = fallthrough || frame.branched || else_falls;
        Ok(())
    }
}

/// The memory a load or store accesses (GC array accesses are not enabled).
fn memory_of(memarg: &MemArg) -> u32 {
    match memarg.target {
        MemArgTarget::Memory(memory) => memory,
        MemArgTarget::Array(_) => {
            unreachable!("GC is not enabled: validation rejects array accesses")
        }
    }
}

/// Replaces each forward `Br` to a return instruction by a copy of that return, and a `Copy`
/// right before a `ReturnSlot` of its destination by a `ReturnSlot` of its source (the
/// `then` arm of an `if` that yields the function's result: `Copy; Br` to `ReturnSlot`
/// becomes one `ReturnSlot`). The instructions replaced keep their place (no index moves)
/// and those after them are unchanged, so code that still reaches them behaves as before.
/// Only the returning frame's slots above its results are skipped, which nothing reads
/// after the return. Linear in the code's length.
/// The entries of a `BrTable` stay `Br`s (the executor and baseline code expect them).
fn thread_returns(code: &mut [Instr]) {
    let mut table_entries_end = 0;
    for i in 0..code.len() {
        if let Instr::BrTable { len, .. } = code[i] {
            table_entries_end = i + 2 + len as usize;
        }
        if let Instr::Br { offset } = code[i]
            && i >= table_entries_end
            && offset > 0
            && let Some(&target) = code.get(i + offset as usize)
            && matches!(
                target,
                Instr::Return {}
                    | Instr::ReturnSlot { .. }
                    | Instr::ReturnImm { .. }
                    | Instr::Return2 { .. }
            )
        {
            code[i] = target;
        }
        if i > 0
            && let Instr::ReturnSlot { src } = code[i]
            && let Instr::Copy { dst, src: from } = code[i - 1]
            && dst == src
        {
            code[i - 1] = Instr::ReturnSlot { src: from };
        }
    }
}

/// Rewrites each instruction that reads the result of the instruction right before it into
/// its accumulator form (`..Acc`, `..AddrAcc`): the executor still holds that value in a
/// register (its accumulator), so the operand is not reloaded from its slot. Slots are
/// written as before, so the machine-code tiers (and on-stack replacement) see no
/// difference.
///
/// Never at a branch target, where control may arrive from elsewhere with another value in
/// the accumulator (nor at a loop header). An instruction right after a call or an `Extra`
/// is never rewritten either: those write no accumulator. Linear in the code's length.
fn use_accumulator(code: &mut [Instr], loops: &[LoopHeader]) {
    let target = branch_targets(code, loops);
    for i in 0..code.len() {
        let second = code.get(i + 1).copied().filter(|_| !target[i + 1]);
        if i > 0
            && !target[i]
            && let Some(prev) = accumulator_of(code[i - 1])
        {
            if let Some(fused) = with_accumulator(code[i], prev) {
                code[i] = fused;
            } else if let Some(second) = second
                && let Some(fused) = with_prev_second(code[i], second, prev)
            {
                code[i] = fused;
            }
        }
        // The second is rewritten next, into its accumulator form.
        if let Some(second) = second
            && let Some(fused) = with_self_second(code[i], second)
        {
            code[i] = fused;
        }
    }
}

/// Which instructions control may reach other than from the instruction before them:
/// branch targets, `BrTable` entries and loop headers (one more entry, for the end).
fn branch_targets(code: &[Instr], loops: &[LoopHeader]) -> Vec<bool> {
    let mut target = vec![false; code.len() + 1];
    for (i, instr) in code.iter().enumerate() {
        if let Some(offset) = instr.branch_offset() {
            let at = i as i64 + i64::from(offset);
            if let Some(t) = usize::try_from(at).ok().and_then(|at| target.get_mut(at)) {
                *t = true;
            }
        }
        if let Instr::BrTable { len, .. } = *instr {
            for k in 0..=len as usize {
                if let Some(t) = target.get_mut(i + 1 + k) {
                    *t = true;
                }
            }
        }
    }
    for header in loops {
        if let Some(t) = target.get_mut(header.pc as usize) {
            *t = true;
        }
    }
    target
}

/// The *self* form of the pair fusion `first` (see `Instr::I32ShlImmXorSelf`) when its
/// `second` (still an `I32Xor`, reading the first's result as `rhs`) takes the first's
/// `lhs` as its other operand.
fn with_self_second(first: Instr, second: Instr) -> Option<Instr> {
    use Instr as I;
    let I::I32Xor { lhs: l, rhs: r, .. } = second else {
        return None;
    };
    match first {
        I::I32ShlImmXor { dst, lhs, imm } if (l, r) == (lhs, dst) => {
            Some(I::I32ShlImmXorSelf { dst, lhs, imm })
        }
        I::I32ShrUImmXor { dst, lhs, imm } if (l, r) == (lhs, dst) => {
            Some(I::I32ShrUImmXorSelf { dst, lhs, imm })
        }
        I::I32ShlImmXorAcc { dst, lhs, imm } if (l, r) == (lhs, dst) => {
            Some(I::I32ShlImmXorAccSelf { dst, lhs, imm })
        }
        I::I32ShrUImmXorAcc { dst, lhs, imm } if (l, r) == (lhs, dst) => {
            Some(I::I32ShrUImmXorAccSelf { dst, lhs, imm })
        }
        _ => None,
    }
}

/// The `..Prev` form of the pair fusion `first` (see `Instr::I32XorAddPrev`) when its
/// `second` (still an `I32Add`, reading the first's result as `rhs`) takes its other operand
/// (`lhs`) from slot `prev`, the result of the instruction before the pair.
fn with_prev_second(first: Instr, second: Instr, prev: Slot) -> Option<Instr> {
    use Instr as I;
    let I::I32Add { lhs, rhs, .. } = second else {
        return None;
    };
    if lhs != prev || rhs == prev {
        return None;
    }
    match first {
        I::I32XorAdd { dst, lhs, rhs: r } if dst == rhs => {
            Some(I::I32XorAddPrev { dst, lhs, rhs: r })
        }
        I::I32MulAdd { dst, lhs, rhs: r } if dst == rhs => {
            Some(I::I32MulAddPrev { dst, lhs, rhs: r })
        }
        I::I32ShlImmAdd { dst, lhs, imm } if dst == rhs => {
            Some(I::I32ShlImmAddPrev { dst, lhs, imm })
        }
        _ => None,
    }
}

/// Checks every dot step (`Instr::I32LoadPairMulAdd`) against what its handler relies on,
/// turning it back into a plain load pair where a later rewrite broke it: the three
/// instructions after it are an `I32Load` (not reading the first's temporary), an `I32MulAdd`
/// (or its `Acc` form) of the two loaded temporaries and an `I32AddAcc` of the product (whose
/// other operand is neither temporary). Temporaries are slots `base` and up. Then checks
/// every pair fusion and load pair the same way (`settle_pairs`). Linear.
fn settle_fusions(code: &mut [Instr], base: Slot) {
    use Instr as I;
    for i in 0..code.len() {
        let I::I32LoadPairMulAdd { dst, addr, offset } = code[i] else {
            continue;
        };
        let intact = match code.get(i + 1..i + 4) {
            Some(
                &[
                    I::I32Load {
                        dst: d2, addr: a2, ..
                    },
                    I::I32MulAdd {
                        dst: dm,
                        lhs: x,
                        rhs: y,
                    }
                    | I::I32MulAddAcc {
                        dst: dm,
                        lhs: x,
                        rhs: y,
                    },
                    I::I32AddAcc {
                        lhs: other,
                        rhs: product,
                        ..
                    },
                ],
            ) => {
                dst >= base
                    && d2 >= base
                    && dm >= base
                    && dst != d2
                    && a2 != dst
                    && ((x, y) == (dst, d2) || (y, x) == (dst, d2))
                    && product == dm
                    && other != dst
                    && other != d2
                    && other != dm
            }
            _ => false,
        };
        if !intact {
            code[i] = I::I32LoadPair { dst, addr, offset };
        }
    }
    settle_pairs(code);
}

/// The slot whose value `instr` leaves in the accumulator: its `dst`, for every scalar
/// instruction with one (each writes it last, through the executor's `set!`, which also
/// sets the accumulator); `None` for `v128` results, instructions without a result and
/// `I32Load8UBrTable` (which writes neither its `dst` nor the accumulator).
fn accumulator_of(mut instr: Instr) -> Option<Slot> {
    if instr.opcode() as u16 >= Opcode::V128Load as u16
        || matches!(
            instr,
            Instr::Copy128 { .. }
                | Instr::Copy2 { .. }
                | Instr::F32x4MulAdd { .. }
                | Instr::Select128 { .. }
                | Instr::GlobalGet128 { .. }
                | Instr::I32Load8UBrTable { .. }
        )
    {
        return None;
    }
    instr.dst_mut().copied()
}

/// Makes sure that every pair fusion's first instruction (in any form) is followed by its
/// second in the accumulator form the executor runs with it (`I32AddAcc` or `I32XorAcc`),
/// every `I32LoadPair` by an `I32Load` and every `I32Load8UBrTable` by the `BrTable` of its
/// `dst`, turning a first whose second was rewritten into the unfused instruction it stands
/// for. The executor relies on this (it reads the second's
/// fields without checking its opcode). Linear.
fn settle_pairs(code: &mut [Instr]) {
    use Instr as I;
    for i in 0..code.len() {
        let next = code.get(i + 1).map(|n| n.opcode());
        let add = next == Some(Opcode::I32AddAcc);
        let xor = next == Some(Opcode::I32XorAcc);
        // The second of a self pair reads the first's `lhs`.
        let xor_of =
            |slot: Slot| matches!(code.get(i + 1), Some(&I::I32XorAcc { lhs, .. }) if lhs == slot);
        let unfused = match code[i] {
            I::I32ShlImmXorSelf { dst, lhs, imm } if !xor_of(lhs) => I::I32ShlImm { dst, lhs, imm },
            I::I32ShrUImmXorSelf { dst, lhs, imm } if !xor_of(lhs) => {
                I::I32ShrUImm { dst, lhs, imm }
            }
            I::I32ShlImmXorAccSelf { dst, lhs, imm } if !xor_of(lhs) => {
                I::I32ShlImmAcc { dst, lhs, imm }
            }
            I::I32ShrUImmXorAccSelf { dst, lhs, imm } if !xor_of(lhs) => {
                I::I32ShrUImmAcc { dst, lhs, imm }
            }
            I::I32ShlImmAdd { dst, lhs, imm } | I::I32ShlImmAddPrev { dst, lhs, imm } if !add => {
                I::I32ShlImm { dst, lhs, imm }
            }
            I::I32ShlImmXor { dst, lhs, imm } if !xor => I::I32ShlImm { dst, lhs, imm },
            I::I32ShrUImmXor { dst, lhs, imm } if !xor => I::I32ShrUImm { dst, lhs, imm },
            I::I32ShlImmAddAcc { dst, lhs, imm } if !add => I::I32ShlImmAcc { dst, lhs, imm },
            I::I32ShlImmXorAcc { dst, lhs, imm } if !xor => I::I32ShlImmAcc { dst, lhs, imm },
            I::I32ShrUImmXorAcc { dst, lhs, imm } if !xor => I::I32ShrUImmAcc { dst, lhs, imm },
            I::I32MulAdd { dst, lhs, rhs } | I::I32MulAddPrev { dst, lhs, rhs } if !add => {
                I::I32Mul { dst, lhs, rhs }
            }
            I::I32MulAddAcc { dst, lhs, rhs } if !add => I::I32MulAcc { dst, lhs, rhs },
            I::I32XorAdd { dst, lhs, rhs } | I::I32XorAddPrev { dst, lhs, rhs } if !add => {
                I::I32Xor { dst, lhs, rhs }
            }
            I::I32XorAddAcc { dst, lhs, rhs } if !add => I::I32XorAcc { dst, lhs, rhs },
            I::I32Load8UAdd { dst, addr, offset } if !add => I::I32Load8U { dst, addr, offset },
            I::I32LoadAdd { dst, addr, offset } if !add => I::I32Load { dst, addr, offset },
            I::I32LoadPair { dst, addr, offset } if next != Some(Opcode::I32Load) => {
                I::I32Load { dst, addr, offset }
            }
            I::I32Load8UBrTable { dst, addr, offset } if !matches!(code.get(i + 1), Some(&I::BrTable { index, .. }) if index == dst) => {
                I::I32Load8U { dst, addr, offset }
            }
            _ => continue,
        };
        code[i] = unfused;
    }
}

/// Makes each back-edge to a loop header that starts with an `I32Load8UBrTable` (followed
/// by its `BrTable`, as `settle_pairs` left it) run that header itself: an `IncBr` of the
/// slot the header reads becomes an `IncBrLoad8UBrTable`, a `Br` a `BrLoad8UBrTable`, or
/// its `Acc` form when the instruction before it (no branch landing between them) wrote
/// that slot. The entries of a `BrTable` stay `Br`s. Runs last: nothing rewrites the header
/// or the instruction before a branch afterwards. Linear.
fn thread_back_edges(code: &mut [Instr], loops: &[LoopHeader]) {
    use Instr as I;
    let target = branch_targets(code, loops);
    let mut table_entries_end = 0;
    for i in 0..code.len() {
        if let I::BrTable { len, .. } = code[i] {
            table_entries_end = i + 2 + len as usize;
        }
        let offset = match code[i] {
            I::IncBr { offset, .. } | I::Br { offset } if offset <= 0 && i >= table_entries_end => {
                offset
            }
            _ => continue,
        };
        let Some(header) = i.checked_add_signed(offset as isize) else {
            continue;
        };
        let (Some(&I::I32Load8UBrTable { dst, addr, .. }), Some(&I::BrTable { index, .. })) =
            (code.get(header), code.get(header + 1))
        else {
            continue;
        };
        if index != dst {
            continue;
        }
        code[i] = match code[i] {
            I::IncBr { step, lhs, offset } if lhs == addr => {
                I::IncBrLoad8UBrTable { step, lhs, offset }
            }
            I::Br { offset }
                if i > 0 && !target[i] && accumulator_of(code[i - 1]) == Some(addr) =>
            {
                I::BrLoad8UBrTableAcc { offset }
            }
            I::Br { offset } => I::BrLoad8UBrTable { offset },
            _ => continue,
        };
    }
}

/// Whether `instr` is the first instruction of a pair fusion (see `Instr::I32ShlImmAdd`).
fn is_pair_first(instr: Instr) -> bool {
    use Instr as I;
    matches!(
        instr,
        I::I32ShlImmAdd { .. }
            | I::I32ShlImmXor { .. }
            | I::I32ShrUImmXor { .. }
            | I::I32MulAdd { .. }
            | I::I32XorAdd { .. }
            | I::I32Load8UAdd { .. }
            | I::I32LoadAdd { .. }
    )
}

/// The accumulator form of `instr` when one of its operands is slot `prev` (the result of
/// the instruction before it); operands of commutative operations may swap.
#[rustfmt::skip]
fn with_accumulator(instr: Instr, prev: Slot) -> Option<Instr> {
    use Instr as I;
    match instr {
            I::I32Add { dst, lhs, rhs } if rhs == prev => Some(I::I32AddAcc { dst, lhs, rhs }),
            I::I32Add { dst, lhs, rhs } if lhs == prev => Some(I::I32AddAcc { dst, lhs: rhs, rhs: lhs }),
            I::I32Sub { dst, lhs, rhs } if rhs == prev => Some(I::I32SubAcc { dst, lhs, rhs }),
            I::I32Mul { dst, lhs, rhs } if rhs == prev => Some(I::I32MulAcc { dst, lhs, rhs }),
            I::I32Mul { dst, lhs, rhs } if lhs == prev => Some(I::I32MulAcc { dst, lhs: rhs, rhs: lhs }),
            I::I32And { dst, lhs, rhs } if rhs == prev => Some(I::I32AndAcc { dst, lhs, rhs }),
            I::I32And { dst, lhs, rhs } if lhs == prev => Some(I::I32AndAcc { dst, lhs: rhs, rhs: lhs }),
            I::I32Or { dst, lhs, rhs } if rhs == prev => Some(I::I32OrAcc { dst, lhs, rhs }),
            I::I32Or { dst, lhs, rhs } if lhs == prev => Some(I::I32OrAcc { dst, lhs: rhs, rhs: lhs }),
            I::I32Xor { dst, lhs, rhs } if rhs == prev => Some(I::I32XorAcc { dst, lhs, rhs }),
            I::I32Xor { dst, lhs, rhs } if lhs == prev => Some(I::I32XorAcc { dst, lhs: rhs, rhs: lhs }),
            I::I32Shl { dst, lhs, rhs } if rhs == prev => Some(I::I32ShlAcc { dst, lhs, rhs }),
            I::I32ShrS { dst, lhs, rhs } if rhs == prev => Some(I::I32ShrSAcc { dst, lhs, rhs }),
            I::I32ShrU { dst, lhs, rhs } if rhs == prev => Some(I::I32ShrUAcc { dst, lhs, rhs }),
            I::I64Add { dst, lhs, rhs } if rhs == prev => Some(I::I64AddAcc { dst, lhs, rhs }),
            I::I64Add { dst, lhs, rhs } if lhs == prev => Some(I::I64AddAcc { dst, lhs: rhs, rhs: lhs }),
            I::I64Sub { dst, lhs, rhs } if rhs == prev => Some(I::I64SubAcc { dst, lhs, rhs }),
            I::I64Mul { dst, lhs, rhs } if rhs == prev => Some(I::I64MulAcc { dst, lhs, rhs }),
            I::I64Mul { dst, lhs, rhs } if lhs == prev => Some(I::I64MulAcc { dst, lhs: rhs, rhs: lhs }),
            I::I64And { dst, lhs, rhs } if rhs == prev => Some(I::I64AndAcc { dst, lhs, rhs }),
            I::I64And { dst, lhs, rhs } if lhs == prev => Some(I::I64AndAcc { dst, lhs: rhs, rhs: lhs }),
            I::I64Or { dst, lhs, rhs } if rhs == prev => Some(I::I64OrAcc { dst, lhs, rhs }),
            I::I64Or { dst, lhs, rhs } if lhs == prev => Some(I::I64OrAcc { dst, lhs: rhs, rhs: lhs }),
            I::I64Xor { dst, lhs, rhs } if rhs == prev => Some(I::I64XorAcc { dst, lhs, rhs }),
            I::I64Xor { dst, lhs, rhs } if lhs == prev => Some(I::I64XorAcc { dst, lhs: rhs, rhs: lhs }),
            I::I64Shl { dst, lhs, rhs } if rhs == prev => Some(I::I64ShlAcc { dst, lhs, rhs }),
            I::I64ShrS { dst, lhs, rhs } if rhs == prev => Some(I::I64ShrSAcc { dst, lhs, rhs }),
            I::I64ShrU { dst, lhs, rhs } if rhs == prev => Some(I::I64ShrUAcc { dst, lhs, rhs }),
            I::I32AddImm { dst, lhs, imm } if lhs == prev => Some(I::I32AddImmAcc { dst, lhs, imm }),
            I::I32SubImm { dst, lhs, imm } if lhs == prev => Some(I::I32SubImmAcc { dst, lhs, imm }),
            I::I32MulImm { dst, lhs, imm } if lhs == prev => Some(I::I32MulImmAcc { dst, lhs, imm }),
            I::I32AndImm { dst, lhs, imm } if lhs == prev => Some(I::I32AndImmAcc { dst, lhs, imm }),
            I::I32OrImm { dst, lhs, imm } if lhs == prev => Some(I::I32OrImmAcc { dst, lhs, imm }),
            I::I32XorImm { dst, lhs, imm } if lhs == prev => Some(I::I32XorImmAcc { dst, lhs, imm }),
            I::I32ShlImm { dst, lhs, imm } if lhs == prev => Some(I::I32ShlImmAcc { dst, lhs, imm }),
            I::I32ShrSImm { dst, lhs, imm } if lhs == prev => Some(I::I32ShrSImmAcc { dst, lhs, imm }),
            I::I32ShrUImm { dst, lhs, imm } if lhs == prev => Some(I::I32ShrUImmAcc { dst, lhs, imm }),
            I::I32ShlImmAdd { dst, lhs, imm } if lhs == prev => Some(I::I32ShlImmAddAcc { dst, lhs, imm }),
            I::I32ShlImmXor { dst, lhs, imm } if lhs == prev => Some(I::I32ShlImmXorAcc { dst, lhs, imm }),
            I::I32ShrUImmXor { dst, lhs, imm } if lhs == prev => Some(I::I32ShrUImmXorAcc { dst, lhs, imm }),
            I::I32MulAdd { dst, lhs, rhs } if rhs == prev => Some(I::I32MulAddAcc { dst, lhs, rhs }),
            I::I32MulAdd { dst, lhs, rhs } if lhs == prev => Some(I::I32MulAddAcc { dst, lhs: rhs, rhs: lhs }),
            I::I32XorAdd { dst, lhs, rhs } if rhs == prev => Some(I::I32XorAddAcc { dst, lhs, rhs }),
            I::I32XorAdd { dst, lhs, rhs } if lhs == prev => Some(I::I32XorAddAcc { dst, lhs: rhs, rhs: lhs }),
            I::I64AddImm { dst, lhs, imm } if lhs == prev => Some(I::I64AddImmAcc { dst, lhs, imm }),
            I::I64SubImm { dst, lhs, imm } if lhs == prev => Some(I::I64SubImmAcc { dst, lhs, imm }),
            I::I64MulImm { dst, lhs, imm } if lhs == prev => Some(I::I64MulImmAcc { dst, lhs, imm }),
            I::I64AndImm { dst, lhs, imm } if lhs == prev => Some(I::I64AndImmAcc { dst, lhs, imm }),
            I::I64OrImm { dst, lhs, imm } if lhs == prev => Some(I::I64OrImmAcc { dst, lhs, imm }),
            I::I64XorImm { dst, lhs, imm } if lhs == prev => Some(I::I64XorImmAcc { dst, lhs, imm }),
            I::I64ShlImm { dst, lhs, imm } if lhs == prev => Some(I::I64ShlImmAcc { dst, lhs, imm }),
            I::I64ShrSImm { dst, lhs, imm } if lhs == prev => Some(I::I64ShrSImmAcc { dst, lhs, imm }),
            I::I64ShrUImm { dst, lhs, imm } if lhs == prev => Some(I::I64ShrUImmAcc { dst, lhs, imm }),
            I::I32Load { dst, addr, offset } if addr == prev => Some(I::I32LoadAcc { dst, addr, offset }),
            I::I64Load { dst, addr, offset } if addr == prev => Some(I::I64LoadAcc { dst, addr, offset }),
            I::F32Load { dst, addr, offset } if addr == prev => Some(I::F32LoadAcc { dst, addr, offset }),
            I::F64Load { dst, addr, offset } if addr == prev => Some(I::F64LoadAcc { dst, addr, offset }),
            I::I32Load8U { dst, addr, offset } if addr == prev => Some(I::I32Load8UAcc { dst, addr, offset }),
            I::I32Load8S { dst, addr, offset } if addr == prev => Some(I::I32Load8SAcc { dst, addr, offset }),
            I::I32Load16U { dst, addr, offset } if addr == prev => Some(I::I32Load16UAcc { dst, addr, offset }),
            I::I32Load16S { dst, addr, offset } if addr == prev => Some(I::I32Load16SAcc { dst, addr, offset }),
            I::I32Store { addr, src, offset } if src == prev => Some(I::I32StoreAcc { addr, src, offset }),
            I::I64Store { addr, src, offset } if src == prev => Some(I::I64StoreAcc { addr, src, offset }),
            I::Store8 { addr, src, offset } if src == prev => Some(I::Store8Acc { addr, src, offset }),
            I::Store16 { addr, src, offset } if src == prev => Some(I::Store16Acc { addr, src, offset }),
            I::I32Store { addr, src, offset } if addr == prev => Some(I::I32StoreAddrAcc { addr, src, offset }),
            I::I64Store { addr, src, offset } if addr == prev => Some(I::I64StoreAddrAcc { addr, src, offset }),
            I::Store8 { addr, src, offset } if addr == prev => Some(I::Store8AddrAcc { addr, src, offset }),
            I::Store16 { addr, src, offset } if addr == prev => Some(I::Store16AddrAcc { addr, src, offset }),
            I::I32StoreImm { addr, imm, offset } if addr == prev => Some(I::I32StoreImmAddrAcc { addr, imm, offset }),
            I::I64StoreImm { addr, imm, offset } if addr == prev => Some(I::I64StoreImmAddrAcc { addr, imm, offset }),
            I::Store8Imm { addr, imm, offset } if addr == prev => Some(I::Store8ImmAddrAcc { addr, imm, offset }),
            I::Store16Imm { addr, imm, offset } if addr == prev => Some(I::Store16ImmAddrAcc { addr, imm, offset }),
            I::BrIfNez { src, offset } if src == prev => Some(I::BrIfNezAcc { src, offset }),
            I::BrIfEqz { src, offset } if src == prev => Some(I::BrIfEqzAcc { src, offset }),
            I::BrIfI32Eq { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI32EqAcc { lhs, rhs, offset }),
            I::BrIfI32EqImm { lhs, imm, offset } if lhs == prev => Some(I::BrIfI32EqImmAcc { lhs, imm, offset }),
            I::BrIfI64Eq { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI64EqAcc { lhs, rhs, offset }),
            I::BrIfI32Ne { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI32NeAcc { lhs, rhs, offset }),
            I::BrIfI32NeImm { lhs, imm, offset } if lhs == prev => Some(I::BrIfI32NeImmAcc { lhs, imm, offset }),
            I::BrIfI64Ne { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI64NeAcc { lhs, rhs, offset }),
            I::BrIfI32LtS { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI32LtSAcc { lhs, rhs, offset }),
            I::BrIfI32LtSImm { lhs, imm, offset } if lhs == prev => Some(I::BrIfI32LtSImmAcc { lhs, imm, offset }),
            I::BrIfI64LtS { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI64LtSAcc { lhs, rhs, offset }),
            I::BrIfI32LtU { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI32LtUAcc { lhs, rhs, offset }),
            I::BrIfI32LtUImm { lhs, imm, offset } if lhs == prev => Some(I::BrIfI32LtUImmAcc { lhs, imm, offset }),
            I::BrIfI64LtU { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI64LtUAcc { lhs, rhs, offset }),
            I::BrIfI32GtS { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI32GtSAcc { lhs, rhs, offset }),
            I::BrIfI32GtSImm { lhs, imm, offset } if lhs == prev => Some(I::BrIfI32GtSImmAcc { lhs, imm, offset }),
            I::BrIfI64GtS { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI64GtSAcc { lhs, rhs, offset }),
            I::BrIfI32GtU { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI32GtUAcc { lhs, rhs, offset }),
            I::BrIfI32GtUImm { lhs, imm, offset } if lhs == prev => Some(I::BrIfI32GtUImmAcc { lhs, imm, offset }),
            I::BrIfI64GtU { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI64GtUAcc { lhs, rhs, offset }),
            I::BrIfI32LeS { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI32LeSAcc { lhs, rhs, offset }),
            I::BrIfI32LeSImm { lhs, imm, offset } if lhs == prev => Some(I::BrIfI32LeSImmAcc { lhs, imm, offset }),
            I::BrIfI64LeS { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI64LeSAcc { lhs, rhs, offset }),
            I::BrIfI32LeU { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI32LeUAcc { lhs, rhs, offset }),
            I::BrIfI32LeUImm { lhs, imm, offset } if lhs == prev => Some(I::BrIfI32LeUImmAcc { lhs, imm, offset }),
            I::BrIfI64LeU { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI64LeUAcc { lhs, rhs, offset }),
            I::BrIfI32GeS { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI32GeSAcc { lhs, rhs, offset }),
            I::BrIfI32GeSImm { lhs, imm, offset } if lhs == prev => Some(I::BrIfI32GeSImmAcc { lhs, imm, offset }),
            I::BrIfI64GeS { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI64GeSAcc { lhs, rhs, offset }),
            I::BrIfI32GeU { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI32GeUAcc { lhs, rhs, offset }),
            I::BrIfI32GeUImm { lhs, imm, offset } if lhs == prev => Some(I::BrIfI32GeUImmAcc { lhs, imm, offset }),
            I::BrIfI64GeU { lhs, rhs, offset } if lhs == prev => Some(I::BrIfI64GeUAcc { lhs, rhs, offset }),
            _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Instr as I;

    /// A bytecode VM's loop header (slot 1 its `pc`, slot 5 the opcode byte) and a table of
    /// three entries: the code the back-edge tests start from.
    fn header() -> Vec<Instr> {
        vec![
            I::I32Load8UBrTable {
                dst: 5,
                addr: 1,
                offset: 0,
            },
            I::BrTable { index: 5, len: 2 },
            I::Br { offset: 3 },
            I::Br { offset: -3 },
            I::Br { offset: 3 },
        ]
    }

    /// A fused load keeps its fusion only right before the table of its byte.
    #[test]
    fn settle_pairs_unfuses_a_load_without_its_table() {
        let mut code = header();
        settle_pairs(&mut code);
        assert_eq!(code, header());
        for second in [I::BrTable { index: 4, len: 2 }, I::Copy { dst: 4, src: 5 }] {
            let mut code = header();
            code[1] = second;
            settle_pairs(&mut code);
            assert_eq!(
                code[0],
                I::I32Load8U {
                    dst: 5,
                    addr: 1,
                    offset: 0
                }
            );
        }
    }

    /// Back-edges to the header run it, in the form their context allows; table entries
    /// stay `Br`s, and branches elsewhere are left alone.
    #[test]
    fn back_edges_to_a_dispatching_header_run_it() {
        let mut code = header();
        code.extend([
            // 5: `pc += 1; br $dispatch`
            I::IncBr {
                step: 1,
                lhs: 1,
                offset: -5,
            },
            // 6: a counter of another slot
            I::IncBr {
                step: 1,
                lhs: 2,
                offset: -6,
            },
            // 7, 8: the new `pc` computed right before the back-edge
            I::I32AddImm {
                dst: 1,
                lhs: 3,
                imm: 4,
            },
            I::Br { offset: -8 },
            // 9, 10: another slot written right before
            I::I32AddImm {
                dst: 2,
                lhs: 3,
                imm: 4,
            },
            I::Br { offset: -10 },
            // 11, 12: `pc` written, but 12 is a branch target (of 13)
            I::I32AddImm {
                dst: 1,
                lhs: 3,
                imm: 4,
            },
            I::Br { offset: -12 },
            I::BrIfNez { src: 3, offset: -1 },
            // 14: a forward branch
            I::Br { offset: 1 },
            I::Return {},
        ]);
        let mut want = code.clone();
        want[5] = I::IncBrLoad8UBrTable {
            step: 1,
            lhs: 1,
            offset: -5,
        };
        want[8] = I::BrLoad8UBrTableAcc { offset: -8 };
        want[10] = I::BrLoad8UBrTable { offset: -10 };
        want[12] = I::BrLoad8UBrTable { offset: -12 };
        thread_back_edges(&mut code, &[]);
        assert_eq!(code, want);
    }

    /// A header whose table reads another slot than the load's, or a plain load, is not
    /// run by the back-edges.
    #[test]
    fn back_edges_to_other_headers_stay() {
        for first in [
            I::I32Load8U {
                dst: 5,
                addr: 1,
                offset: 0,
            },
            I::I32Load8UBrTable {
                dst: 4,
                addr: 1,
                offset: 0,
            },
        ] {
            let mut code = header();
            code[0] = first;
            code.push(I::IncBr {
                step: 1,
                lhs: 1,
                offset: -5,
            });
            code.push(I::Br { offset: -6 });
            let want = code.clone();
            thread_back_edges(&mut code, &[]);
            assert_eq!(code, want);
        }
    }

    /// The translator fuses the load that produces a table's index, not a load whose value
    /// a local keeps (`local.tee`), nor a load across a label.
    #[test]
    fn the_dispatch_load_fuses_with_its_table() {
        let wasm = wat::parse_str(
            r#"(module (memory 1)
                 (func $fused (param $pc i32)
                   (loop $l (block $b
                     (br_table $b $l (i32.load8_u (local.get $pc))))))
                 (func $teed (param $pc i32) (local $op i32)
                   (loop $l (block $b
                     (br_table $b $l (local.tee $op (i32.load8_u (local.get $pc)))))))
                 (func $labelled (param $pc i32)
                   (block $b
                     (i32.load8_u (local.get $pc))
                     (loop (param i32)
                       (br_table $b $b)))))"#,
        )
        .expect("module parses");
        let info = std::sync::Arc::new(
            ModuleInfo::parse_with(wasm, tierup_abi::Features::SUPPORTED).expect("validates"),
        );
        let module = crate::InterpModule::new(info.clone());
        let codes: Vec<Vec<Instr>> = info
            .defined_funcs()
            .map(|f| module.compiled(f).expect("translates").code.to_vec())
            .collect();
        let fused = |code: &[Instr]| code.iter().any(|i| matches!(i, I::I32Load8UBrTable { .. }));
        assert!(fused(&codes[0]), "{:?}", codes[0]);
        assert!(!fused(&codes[1]), "{:?}", codes[1]);
        assert!(!fused(&codes[2]), "{:?}", codes[2]);
    }
}
