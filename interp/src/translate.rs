//! Translation of one wasm function body into register bytecode ([`Instr`]).
//!
//! A single pass over the (already validated) operators, keeping a compile-time operand stack:
//! - An operand is a local (`Local`), a constant (`Const`), or a value computed into its
//!   *temporary slot* (`Temp`). The temporary slot of the operand at stack height `h` is always
//!   `num_locals + h`, so block results, loop parameters and call arguments land in slots that
//!   are fixed by stack height alone: merges need no register allocation.
//! - `local.get` and constants emit nothing; consumers read the local or fold the constant as an
//!   immediate. Before a local is overwritten, stack entries that still name it are copied to
//!   their temporaries; entering a block copies *all* such entries, so that every path into a
//!   label sees the same operand stack.
//! - `local.set` right after the instruction that computed its value retargets that
//!   instruction's `dst` (no copy), unless a label sits in between.
//! - A comparison followed by `br_if`/`if` becomes one compare-and-branch instruction.
//!
//! Invariants the executor relies on: every slot an instruction names is below `frame_size`;
//! branch offsets stay inside the function; every `BrTable` is followed by its `len + 1` `Br`s.

use tierup_abi::{DefinedFuncIdx, FuncIdx, ModuleInfo, TrapCode};
use wasmparser::{BlockType, Operator};

use crate::instr::{Instr, Slot};

/// The bytecode of one function.
#[derive(Debug, Clone)]
pub struct CompiledFunc {
    /// Index in the module's function index space.
    pub func_index: FuncIdx,
    /// The same function as a defined function (what code tables and counters use).
    pub defined: DefinedFuncIdx,
    /// The instructions.
    pub code: Box<[Instr]>,
    /// Number of parameters (slots `0..num_params`).
    pub num_params: u32,
    /// Parameters plus declared locals (slots `0..num_locals`); locals are zeroed on entry.
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
}

/// A `loop`'s header in the bytecode (see [`CompiledFunc::loops`]). At the header every local
/// is in its slot and the operand stack (below and including the loop's parameters) is in
/// the temporaries `num_locals..num_locals + stack_height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopHeader {
    /// Bytecode index of the header (the target of the loop's back-edges).
    pub pc: u32,
    /// Byte offset of the `loop` operator in the module (wasmparser's position).
    pub wasm_offset: u32,
    /// Operand-stack height at the header, the loop's parameters included.
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

#[derive(Debug)]
struct Control {
    kind: FrameKind,
    /// Operand stack height where the frame's parameters start.
    height: usize,
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

/// Translates function `func_index` of `module`.
///
/// # Errors
/// Only for bodies outside what the interpreter supports (frames above `u32::MAX` slots, or
/// operators outside WebAssembly 2.0 that validation would already have rejected).
pub fn translate(
    module: &ModuleInfo,
    defined: DefinedFuncIdx,
) -> Result<CompiledFunc, TranslateError> {
    let func_index = module.func_of(defined);
    let body = module.body(defined);
    let ty = module.func_type(func_index);
    let num_params = ty.params.len() as u32;
    let mut num_locals = num_params as u64;
    for local in body.get_locals_reader()? {
        let (count, _) = local?;
        num_locals += u64::from(count);
    }
    if num_locals > u64::from(u32::MAX / 2) {
        return Err(TranslateError("too many locals".into()));
    }
    let mut t = Translator {
        module,
        code: Vec::new(),
        stack: Vec::new(),
        control: Vec::new(),
        base: num_locals as u32,
        max_height: 0,
        local_refs: LocalRefs::new(num_locals as usize),
        reachable: true,
        dead_depth: 0,
        last_def: None,
        loops: Vec::new(),
        op_offset: 0,
    };
    t.control.push(Control {
        kind: FrameKind::Func,
        height: 0,
        num_params: 0,
        num_results: ty.results.len(),
        patches: Vec::new(),
        branched: false,
        reachable_at_entry: true,
    });
    let wasm_bytes = module.body_size(defined);
    let code_budget = MAX_CODE_PER_WASM_BYTE * wasm_bytes + 4096;
    let mut ops = body.get_operators_reader()?;
    while !ops.eof() {
        t.op_offset = ops.original_position() as u32;
        let op = ops.read()?;
        t.op(op)?;
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
    let frame_size = (t.base as usize + t.max_height)
        .max(ty.results.len())
        .max(1);
    Ok(CompiledFunc {
        func_index,
        defined,
        code: t.code.into_boxed_slice(),
        num_params,
        num_locals: num_locals as u32,
        frame_size: u32::try_from(frame_size)
            .map_err(|_| TranslateError("frame too large".into()))?,
        wasm_bytes,
        translated_at: std::time::Instant::now(),
        translate_time: std::time::Duration::ZERO,
        loops: t.loops.into_boxed_slice(),
    })
}

struct Translator<'m> {
    module: &'m ModuleInfo,
    /// The loops translated so far ([`CompiledFunc::loops`]).
    loops: Vec<LoopHeader>,
    /// Module offset of the operator being translated.
    op_offset: u32,
    code: Vec<Instr>,
    stack: Vec<Operand>,
    control: Vec<Control>,
    /// First temporary slot (= number of locals).
    base: u32,
    max_height: usize,
    /// Where each local appears on the operand stack (see [`LocalRefs`]).
    local_refs: LocalRefs,
    reachable: bool,
    /// Nesting depth of blocks inside unreachable code.
    dead_depth: usize,
    /// The last instruction, if it wrote the temporary of the operand on top of the stack and no
    /// label follows it (so its `dst` may be retargeted or it may be fused into a branch).
    last_def: Option<usize>,
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

impl Translator<'_> {
    fn temp(&self, height: usize) -> Slot {
        self.base + height as u32
    }

    fn emit(&mut self, instr: Instr) -> usize {
        self.last_def = None;
        self.code.push(instr);
        self.code.len() - 1
    }

    /// Emits an instruction that writes the temporary of a freshly pushed operand.
    fn emit_def(&mut self, instr: Instr) {
        self.code.push(instr);
        self.last_def = Some(self.code.len() - 1);
        self.push(Operand::Temp);
    }

    fn push(&mut self, op: Operand) {
        self.local_refs.pushed(self.stack.len(), op);
        self.stack.push(op);
        self.max_height = self.max_height.max(self.stack.len());
    }

    fn pop(&mut self) -> Operand {
        debug_assert!(
            !self.stack.is_empty(),
            "operand stack underflow (validated code)"
        );
        let op = self.stack.pop().unwrap_or(Operand::Temp);
        self.local_refs.popped(self.stack.len(), op);
        op
    }

    /// Reserve stack height for slots that a call or an operation uses beyond the stack top.
    fn reserve(&mut self, height: usize) {
        self.max_height = self.max_height.max(height);
    }

    /// A label at the current position: nothing may be retargeted across it.
    fn label(&mut self) -> usize {
        self.last_def = None;
        self.code.len()
    }

    /// Writes operand `op` into slot `dst` (if it is not already there).
    fn move_to(&mut self, dst: Slot, op: Operand, op_height: usize) {
        match op {
            Operand::Local(l) if l != dst => {
                self.emit(Instr::Copy { dst, src: l });
            }
            Operand::Temp if self.temp(op_height) != dst => {
                let src = self.temp(op_height);
                self.emit(Instr::Copy { dst, src });
            }
            Operand::Const(v) => {
                let instr = match u32::try_from(v) {
                    Ok(value) => Instr::Const32 { dst, value },
                    Err(_) => Instr::Const64 { dst, value: v },
                };
                self.emit(instr);
            }
            _ => {}
        }
    }

    /// Makes the operand at stack index `i` a `Temp` (in its own temporary slot).
    fn materialize(&mut self, i: usize) {
        let op = self.stack[i];
        if op != Operand::Temp {
            self.move_to(self.temp(i), op, i);
            if let Operand::Local(l) = op {
                self.local_refs.count[l as usize] -= 1;
            }
            self.stack[i] = Operand::Temp;
        }
    }

    /// Materializes every stack entry that names local `only` (or any local, for `None`).
    /// Amortized O(1) per entry: each entry is visited by at most one walk.
    fn materialize_locals(&mut self, only: Option<u32>) {
        match only {
            Some(local) => {
                let mut at = std::mem::replace(&mut self.local_refs.head[local as usize], NONE);
                while at != NONE {
                    if self.stack[at as usize] == Operand::Local(local) {
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

    /// The slot an operand can be read from (materializing a constant into its temporary).
    fn slot_of(&mut self, op: Operand, height: usize) -> Slot {
        match op {
            Operand::Local(l) => l,
            Operand::Temp => self.temp(height),
            Operand::Const(_) => {
                let dst = self.temp(height);
                self.move_to(dst, op, height);
                self.reserve(height + 1);
                dst
            }
        }
    }

    /// Pops `n` operands and returns them with their stack heights, bottom first.
    fn pop_n(&mut self, n: usize) -> Vec<(Operand, usize)> {
        let start = self.stack.len() - n;
        let mut out = Vec::with_capacity(n);
        for (i, op) in self.stack[start..].iter().enumerate() {
            out.push((*op, start + i));
        }
        for _ in 0..n {
            self.pop();
        }
        out
    }

    fn block_arity(&self, ty: BlockType) -> (usize, usize) {
        match ty {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(idx) => {
                let f = &self.module.types[idx as usize];
                (f.params.len(), f.results.len())
            }
        }
    }

    fn unary(&mut self, make: fn(Slot, Slot) -> Instr) {
        let h = self.stack.len() - 1;
        let op = self.pop();
        let src = self.slot_of(op, h);
        self.emit_def(make(self.temp(h), src));
    }

    fn binary(
        &mut self,
        kind: Bin,
        make: fn(Slot, Slot, Slot) -> Instr,
        make_imm: Option<fn(Slot, Slot, i32) -> Instr>,
        is_64: bool,
    ) {
        let h = self.stack.len() - 2;
        let rhs = self.pop();
        let lhs = self.pop();
        // Operands with the stack height their temporary belongs to.
        let (mut lhs, mut rhs) = ((lhs, h), (rhs, h + 1));
        let imm_of = |op: Operand| -> Option<i32> {
            match op {
                Operand::Const(v) if is_64 => i32::try_from(v as i64).ok(),
                Operand::Const(v) => Some(v as u32 as i32),
                _ => None,
            }
        };
        if let (Bin::Comm, Some(_), None) = (kind, imm_of(lhs.0), imm_of(rhs.0)) {
            std::mem::swap(&mut lhs, &mut rhs);
        }
        let dst = self.temp(h);
        if let (Some(make_imm), Some(imm), false) = (
            make_imm,
            imm_of(rhs.0),
            matches!(kind, Bin::Plain) || matches!(lhs.0, Operand::Const(_)),
        ) {
            let l = self.slot_of(lhs.0, lhs.1);
            self.emit_def(make_imm(dst, l, imm));
            return;
        }
        let l = self.slot_of(lhs.0, lhs.1);
        let r = self.slot_of(rhs.0, rhs.1);
        self.emit_def(make(dst, l, r));
    }

    fn load(&mut self, make: fn(Slot, Slot, u32) -> Instr, offset: u64) {
        let h = self.stack.len() - 1;
        let op = self.pop();
        let addr = self.slot_of(op, h);
        self.emit_def(make(self.temp(h), addr, offset as u32));
    }

    fn store(
        &mut self,
        make: fn(Slot, Slot, u32) -> Instr,
        make_imm: Option<fn(Slot, i32, u32) -> Instr>,
        is_64: bool,
        offset: u64,
    ) {
        let h = self.stack.len() - 2;
        let value = self.pop();
        let addr_op = self.pop();
        let addr = self.slot_of(addr_op, h);
        let imm = match value {
            Operand::Const(v) if is_64 => i32::try_from(v as i64).ok(),
            Operand::Const(v) => Some(v as u32 as i32),
            _ => None,
        };
        if let (Some(make_imm), Some(imm)) = (make_imm, imm) {
            self.emit(make_imm(addr, imm, offset as u32));
        } else {
            let src = self.slot_of(value, h + 1);
            self.emit(make(addr, src, offset as u32));
        }
    }

    /// Copies the top `arity` operands to the result slots of frame `depth` (without popping).
    fn copy_branch_values(&mut self, depth: usize) {
        let frame = &self.control[self.control.len() - 1 - depth];
        let arity = frame.branch_arity();
        let dest = frame.height;
        if let FrameKind::Func = frame.kind {
            self.copy_return_values();
            return;
        }
        let start = self.stack.len() - arity;
        for i in 0..arity {
            let op = self.stack[start + i];
            self.move_to(self.temp(dest + i), op, start + i);
        }
    }

    fn needs_copies(&self, depth: usize) -> bool {
        let frame = &self.control[self.control.len() - 1 - depth];
        if let FrameKind::Func = frame.kind {
            return true;
        }
        let arity = frame.branch_arity();
        let start = self.stack.len() - arity;
        (0..arity).any(|i| self.stack[start + i] != Operand::Temp || start + i != frame.height + i)
    }

    /// Copies the function's results (top of stack) to `fp[0..n]`; safe against overlap because
    /// sources are copied to lower destinations in increasing order (see module docs).
    fn copy_return_values(&mut self) {
        let n = self.control[0].num_results;
        let start = self.stack.len() - n;
        // A local that is also a destination would be clobbered: read it into its operand's
        // own temporary first. The compile-time stack is left as is, because this can run on a
        // conditional path (`br_if`).
        let mut sources: Vec<Operand> = self.stack[start..].to_vec();
        if n > 1 {
            for (i, op) in sources.iter_mut().enumerate() {
                if let Operand::Local(l) = *op
                    && (l as usize) < n
                {
                    self.move_to(self.temp(start + i), *op, start + i);
                    *op = Operand::Temp;
                }
            }
        }
        for (i, op) in sources.into_iter().enumerate() {
            self.move_to(i as Slot, op, start + i);
        }
    }

    fn emit_return(&mut self) {
        let n = self.control[0].num_results;
        if n == 1 {
            let h = self.stack.len() - 1;
            let instr = match self.stack[h] {
                Operand::Local(src) => Instr::ReturnSlot { src },
                Operand::Temp => Instr::ReturnSlot { src: self.temp(h) },
                Operand::Const(value) => Instr::ReturnImm { value },
            };
            self.emit(instr);
        } else {
            self.copy_return_values();
            self.emit(Instr::Return {});
        }
    }

    /// Emits an unconditional branch to frame `depth` (values already copied).
    fn emit_br(&mut self, depth: usize) {
        let idx = self.control.len() - 1 - depth;
        let at = self.code.len();
        match self.control[idx].kind {
            FrameKind::Func => unreachable!("branches to the function frame are returns"),
            FrameKind::Loop { header } => {
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
        let h = self.stack.len() - 1;
        let cond = self.pop();
        if cond == Operand::Temp
            && let Some(at) = self.last_def
            && at + 1 == self.code.len()
            && let Some(fused) = self.code[at].fused_branch(self.temp(h))
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
            return at;
        }
        let cond = self.slot_of(cond, h);
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

    /// Copies every local on the stack and the block parameters into their temporaries.
    fn prepare_block_entry(&mut self, num_params: usize) {
        self.materialize_locals(None);
        let height = self.stack.len() - num_params;
        for i in height..self.stack.len() {
            self.materialize(i);
        }
    }

    fn enter_block(&mut self, kind: FrameKind, ty: BlockType) {
        let (num_params, num_results) = self.block_arity(ty);
        self.prepare_block_entry(num_params);
        let height = self.stack.len() - num_params;
        self.reserve(height + num_results);
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
            height,
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
            ($op:ident, $memarg:expr) => {
                self.load(
                    |dst, addr, offset| I::$op { dst, addr, offset },
                    $memarg.offset,
                )
            };
        }
        macro_rules! st {
            ($op:ident, $imm:ident, $is_64:expr, $memarg:expr) => {
                self.store(
                    |addr, src, offset| I::$op { addr, src, offset },
                    Some(|addr, imm, offset| I::$imm { addr, imm, offset }),
                    $is_64,
                    $memarg.offset,
                )
            };
            ($op:ident, $is_64:expr, $memarg:expr) => {
                self.store(
                    |addr, src, offset| I::$op { addr, src, offset },
                    None,
                    $is_64,
                    $memarg.offset,
                )
            };
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
                let (num_params, _) = self.block_arity(blockty);
                self.prepare_block_entry(num_params);
                self.push(cond);
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
                    let n = self.control.last().expect("validated").num_results;
                    let start = self.stack.len() - n;
                    let height = self.control.last().expect("validated").height;
                    for i in 0..n {
                        let op = self.stack[start + i];
                        self.move_to(self.temp(height + i), op, start + i);
                    }
                    self.emit_br(0);
                }
                let frame = self.control.last().expect("validated");
                let (height, num_params, reachable) =
                    (frame.height, frame.num_params, frame.reachable_at_entry);
                while self.stack.len() > height {
                    self.pop();
                }
                for _ in 0..num_params {
                    self.push(Operand::Temp);
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
                let h = self.stack.len() - 1;
                let index_op = self.pop();
                let index = self.slot_of(index_op, h);
                let depths: Vec<u32> = targets
                    .targets()
                    .chain(std::iter::once(Ok(targets.default())))
                    .collect::<Result<_, _>>()?;
                let len = depths.len() as u32 - 1;
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
                let (n, m) = (ty.params.len(), ty.results.len());
                let args = self.call_args(n, m);
                self.emit(I::Call {
                    func: function_index,
                    args,
                });
                self.push_results(m);
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let ty = &self.module.types[type_index as usize];
                let (n, m) = (ty.params.len(), ty.results.len());
                let h = self.stack.len() - 1;
                let index_op = self.pop();
                // The index sits above the arguments, so materializing them cannot clobber it.
                let index = self.slot_of(index_op, h);
                let args = self.call_args(n, m);
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
                self.push_results(m);
            }
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let h = self.stack.len() - 3;
                let cond_op = self.pop();
                let b_op = self.pop();
                let a_op = self.pop();
                let cond = self.slot_of(cond_op, h + 2);
                let b = self.slot_of(b_op, h + 1);
                let a = self.slot_of(a_op, h);
                self.code.push(I::Select {
                    dst: self.temp(h),
                    a,
                    b,
                });
                self.code.push(I::Extra {
                    a: cond,
                    b: 0,
                    c: 0,
                });
                self.last_def = None;
                self.push(Operand::Temp);
            }
            O::LocalGet { local_index } => self.push(Operand::Local(local_index)),
            O::LocalSet { local_index } => self.local_set(local_index, false),
            O::LocalTee { local_index } => self.local_set(local_index, true),
            O::GlobalGet { global_index } => {
                let h = self.stack.len();
                self.emit_def(I::GlobalGet {
                    dst: self.temp(h),
                    global: global_index,
                });
            }
            O::GlobalSet { global_index } => {
                let h = self.stack.len() - 1;
                let op = self.pop();
                let src = self.slot_of(op, h);
                self.emit(I::GlobalSet {
                    global: global_index,
                    src,
                });
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
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => st!(Store8, false, memarg),
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => st!(Store16, false, memarg),
            O::I64Store32 { memarg } => st!(I32Store, false, memarg),
            O::MemorySize { .. } => {
                let h = self.stack.len();
                self.emit_def(I::MemorySize { dst: self.temp(h) });
            }
            O::MemoryGrow { .. } => self.unary(|dst, delta| I::MemoryGrow { dst, delta }),
            O::MemoryFill { .. } => {
                let [d, v, n] = self.pop3();
                self.emit(I::MemoryFill {
                    addr: d,
                    value: v,
                    len: n,
                });
            }
            O::MemoryCopy { .. } => {
                let [d, s, n] = self.pop3();
                self.emit(I::MemoryCopy {
                    to: d,
                    from: s,
                    len: n,
                });
            }
            O::MemoryInit { data_index, .. } => {
                let [d, s, n] = self.pop3();
                self.emit(I::MemoryInit {
                    to: d,
                    from: s,
                    len: n,
                });
                self.emit(I::Extra {
                    a: data_index,
                    b: 0,
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
                let h = self.stack.len() - 2;
                let v = self.pop();
                let i = self.pop();
                let index = self.slot_of(i, h);
                let value = self.slot_of(v, h + 1);
                self.emit(I::TableSet {
                    table,
                    index,
                    value,
                });
            }
            O::TableSize { table } => {
                let h = self.stack.len();
                self.emit_def(I::TableSize {
                    dst: self.temp(h),
                    table,
                });
            }
            O::TableGrow { table } => {
                let h = self.stack.len() - 2;
                let delta_op = self.pop();
                let init_op = self.pop();
                let init = self.slot_of(init_op, h);
                let delta = self.slot_of(delta_op, h + 1);
                self.code.push(I::TableGrow {
                    dst: self.temp(h),
                    table,
                    delta,
                });
                self.code.push(I::Extra {
                    a: init,
                    b: 0,
                    c: 0,
                });
                self.last_def = None;
                self.push(Operand::Temp);
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
            O::RefNull { .. } => self.push(Operand::Const(0)),
            O::RefIsNull => un!(I64Eqz),
            O::RefFunc { function_index } => {
                let h = self.stack.len();
                self.emit_def(I::RefFunc {
                    dst: self.temp(h),
                    func: function_index,
                });
            }
            O::I32Const { value } => self.push(Operand::Const(value as u32 as u64)),
            O::I64Const { value } => self.push(Operand::Const(value as u64)),
            O::F32Const { value } => self.push(Operand::Const(u64::from(value.bits()))),
            O::F64Const { value } => self.push(Operand::Const(value.bits())),

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
            other => {
                return Err(TranslateError(format!(
                    "operator not supported by the interpreter: {other:?}"
                )));
            }
        }
        Ok(())
    }

    fn unary_with(&mut self, table: u32, make: fn(Slot, u32, Slot) -> Instr) {
        let h = self.stack.len() - 1;
        let op = self.pop();
        let src = self.slot_of(op, h);
        self.emit_def(make(self.temp(h), table, src));
    }

    /// Pops three operands into readable slots.
    fn pop3(&mut self) -> [Slot; 3] {
        let h = self.stack.len() - 3;
        let ops = self.pop_n(3);
        [
            self.slot_of(ops[0].0, h),
            self.slot_of(ops[1].0, h + 1),
            self.slot_of(ops[2].0, h + 2),
        ]
    }

    /// Places the top `n` operands in consecutive temporaries and returns the first slot.
    fn call_args(&mut self, n: usize, m: usize) -> Slot {
        let h = self.stack.len() - n;
        for i in h..self.stack.len() {
            self.materialize(i);
        }
        for _ in 0..n {
            self.pop();
        }
        self.reserve(h + n.max(m));
        self.temp(h)
    }

    fn push_results(&mut self, m: usize) {
        for _ in 0..m {
            self.push(Operand::Temp);
        }
        self.last_def = None;
    }

    fn local_set(&mut self, local: u32, tee: bool) {
        let h = self.stack.len() - 1;
        let value = self.stack[h];
        let top_is_local = usize::from(value == Operand::Local(local));
        let mentions_local = self.local_refs.count[local as usize] > top_is_local as u32;
        if mentions_local {
            self.materialize_locals(Some(local));
        }
        let value = if value == Operand::Local(local) {
            // `local.get x; local.set x` (or tee): nothing to do.
            self.pop();
            if tee {
                self.push(Operand::Local(local));
            }
            return;
        } else {
            value
        };
        let temp = self.temp(h);
        if value == Operand::Temp
            && !mentions_local
            && let Some(at) = self.last_def
            && at + 1 == self.code.len()
            && let Some(dst) = self.code[at].dst_mut()
            && *dst == temp
        {
            *dst = local;
            self.last_def = None;
        } else {
            self.move_to(local, value, h);
        }
        self.pop();
        if tee {
            self.push(Operand::Local(local));
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
            for i in 0..n {
                let op = self.stack[start + i];
                self.move_to(self.temp(frame.height + i), op, start + i);
            }
        }
        let fallthrough = self.reachable;
        if !(self.reachable && lazy_ok) {
            while self.stack.len() > frame.height {
                self.pop();
            }
            for _ in 0..n {
                self.push(Operand::Temp);
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
