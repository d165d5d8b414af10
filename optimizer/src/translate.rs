//! The wasm → CLIF visitor: one pass over a validated function body.
//!
//! It owns the translation state: the value stack (CLIF `Value`s), locals as frontend
//! `Variable`s (SSA construction is the frontend's job), and the control stack. A `v128` is
//! an `i8x16` value wherever this module sees it (stack, locals, block parameters); the SIMD
//! operators, which bitcast it to their lane shapes, are in `simd`. Frame slots are laid out
//! by `tierup_abi::types::slot_offsets` ([`load_slots`], [`store_slots`]). Each control
//! frame has a destination block whose parameters are the frame's results; a `loop` also has
//! a header block whose parameters are its parameters (where its branches go). Values an
//! `if` takes as parameters are defined before the `if`, so they dominate both arms and need
//! no block parameters; the frame keeps them for the `else` arm.
//!
//! Invariants: the current block is unterminated exactly when `reachable` is true; code after
//! an unconditional branch is skipped, counting the blocks it opens (`unreachable_depth`)
//! until the `else`/`end` that makes code reachable again. Every frame on the stack was
//! opened in reachable code. A frame's destination is used (switched to) only if some branch
//! or fall-through reaches it (`exit_reachable`).

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::types::{F32, F64, I8, I8X16, I16, I32, I64};
use cranelift_codegen::ir::{
    self, BlockArg, ConstantData, Function, InstBuilder, JumpTableData, MemFlagsData, Type, Value,
};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use tierup_abi::metering::{self, FuelPlan};
use tierup_abi::types::slot_offsets;
use tierup_abi::{DefinedFuncIdx, FuncIdx, FuncType, Libcall, TrapCode, ValType, slot_offset};
use wasmparser::{BlockType, Operator};

use crate::{CompileError, OptEnv, clif_trap};

/// The CLIF type of a wasm value type (references are pointers or handles: `i64`; a `v128`
/// is `i8x16`, bitcast to the lane type each SIMD operator needs, as in Wasmtime).
pub(crate) fn clif_type(ty: ValType) -> Type {
    match ty {
        ValType::I32 => I32,
        ValType::I64 => I64,
        ValType::F32 => F32,
        ValType::F64 => F64,
        ValType::V128 => I8X16,
        ValType::FuncRef | ValType::ExternRef => I64,
    }
}

/// Which entry of a function is compiled (see [`crate::Compiler`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Entry<'a> {
    /// The tier ABI's `fn(vmctx, fp)`: arguments and results in frame slots.
    Slot,
    /// `fn(vmctx, fp, params..) -> result`: arguments and the result in registers; `fp` is
    /// only where the function's own callees' frames go.
    Native,
    /// An on-stack-replacement entry at these loops (see [`translate`]).
    Osr(&'a [u32]),
}

/// `v` as the contents of its slots: i32 and f32 zero-extended to 64 bits (DESIGN.md §2); a
/// vector as it is (its 16 bytes fill two slots).
pub(crate) fn slot_value(b: &mut FunctionBuilder<'_>, v: Value) -> Value {
    match b.func.dfg.value_type(v) {
        I32 => b.ins().uextend(I64, v),
        F32 => {
            let bits = b.ins().bitcast(I32, MemFlagsData::new(), v);
            b.ins().uextend(I64, bits)
        }
        F64 => b.ins().bitcast(I64, MemFlagsData::new(), v),
        _ => v,
    }
}

/// Flags for a frame slot or a global holding a value of CLIF type `ty`. Slots and globals
/// are only 8-byte aligned, so a vector access is not `aligned` (Cranelift folds aligned
/// vector loads into SSE instructions that fault on less than 16-byte alignment).
pub(crate) fn slot_flags(ty: Type) -> MemFlagsData {
    if ty.is_vector() {
        MemFlagsData::new().with_notrap()
    } else {
        MemFlagsData::trusted()
    }
}

/// Loads values of `types` laid out one after another (each taking `ValType::slots`) from
/// slot `first` of the frame at `fp`.
pub(crate) fn load_slots(
    b: &mut FunctionBuilder<'_>,
    fp: Value,
    types: &[ValType],
    first: usize,
) -> Vec<Value> {
    types
        .iter()
        .zip(slot_offsets(types))
        .map(|(&t, at)| {
            let ty = clif_type(t);
            b.ins()
                .load(ty, slot_flags(ty), fp, slot_offset((first + at) as u32))
        })
        .collect()
}

/// Stores `values` of `types` laid out one after another from slot `first` of the frame at
/// `fp`, each in its slots (see [`slot_value`]).
pub(crate) fn store_slots(
    b: &mut FunctionBuilder<'_>,
    fp: Value,
    types: &[ValType],
    values: &[Value],
    first: usize,
) {
    debug_assert_eq!(types.len(), values.len());
    for (&v, at) in values.iter().zip(slot_offsets(types)) {
        let slot = slot_value(b, v);
        let flags = slot_flags(b.func.dfg.value_type(slot));
        b.ins()
            .store(flags, slot, fp, slot_offset((first + at) as u32));
    }
}

/// What kind of construct a control frame is.
enum FrameKind {
    Block,
    Loop {
        /// The first copy's header: where the loop is entered and its interrupt poll is.
        first: ir::Block,
        /// Where this copy's branches to the loop go: the next copy's header (made at the
        /// first such branch) or, in the last copy, `first`. Without unrolling, `first`.
        back_edge: Option<ir::Block>,
        /// Copies of the body still to translate after this one (see [`loop_plan`]).
        copies_left: u8,
        /// A strip-mined loop's inner loop (see [`Strip`]; never with copies).
        strip: Option<ActiveStrip>,
        /// Whether the loop makes a call (see [`Translator::prepare_poll_address`]).
        calls: bool,
    },
    If {
        else_block: ir::Block,
        /// The `if`'s parameter values, for the `else` arm (or the implicit one).
        params: Vec<Value>,
        else_seen: bool,
    },
}

/// One entry of the control stack.
struct Frame {
    kind: FrameKind,
    /// Where control continues after the construct; its parameters are the results.
    dest: ir::Block,
    num_params: usize,
    num_results: usize,
    /// Stack height below the frame's parameters.
    height: usize,
    /// Whether anything branches or falls through to `dest`.
    exit_reachable: bool,
}

/// The inner loop of a strip-mined loop being translated.
#[derive(Debug, Clone, Copy)]
struct ActiveStrip {
    plan: Strip,
    /// The inner loop's header: where the loop's body starts, after the poll.
    inner: ir::Block,
    /// The counter value up to which the inner loop runs without a poll (`i32`).
    end: Value,
}

impl Frame {
    /// The strip-mined inner loop of this frame, if it is one's.
    fn strip(&self) -> Option<ActiveStrip> {
        match self.kind {
            FrameKind::Loop { strip, .. } => strip,
            _ => None,
        }
    }

    /// The block a branch to this frame goes to, and how many values it carries; marks the
    /// frame's destination reachable, or makes the next copy's header of an unrolled loop.
    fn branch_target(&mut self, b: &mut FunctionBuilder<'_>) -> (ir::Block, usize) {
        match &mut self.kind {
            FrameKind::Loop {
                first, back_edge, ..
            } => {
                let header = *back_edge.get_or_insert_with(|| {
                    // The next copy's header takes the loop's parameters, as `first` does
                    // (first in its parameters: the frontend adds those of the locals later).
                    let next = b.create_block();
                    let types: Vec<Type> = b.block_params(*first)[..self.num_params]
                        .iter()
                        .map(|&p| b.func.dfg.value_type(p))
                        .collect();
                    for t in types {
                        b.append_block_param(next, t);
                    }
                    next
                });
                (header, self.num_params)
            }
            _ => {
                self.exit_reachable = true;
                (self.dest, self.num_results)
            }
        }
    }
}

/// The translation state of one function (see the module docs).
pub(crate) struct Translator<'a, 'f> {
    pub(crate) b: FunctionBuilder<'f>,
    pub(crate) env: &'a OptEnv<'a>,
    pub(crate) stack: Vec<Value>,
    frames: Vec<Frame>,
    locals: Vec<Variable>,
    reachable: bool,
    unreachable_depth: u32,
    /// Values computed once in the entry block.
    pub(crate) vm: crate::vm::EntryValues,
    /// The fuel left, when the module consumes fuel (see `vm.rs`'s `start_fuel`).
    pub(crate) fuel: Option<Variable>,
    /// The address loops poll for interrupts (see [`Translator::prepare_poll_address`]).
    poll: Variable,
    /// On-stack-replacement variant: the module offsets of the `loop`s it can enter, each
    /// with the block the entry dispatches to (that loop's header); empty for the normal
    /// entry.
    osr: Vec<(u32, ir::Block)>,
    /// How many of the OSR target loops were met.
    osr_found: usize,
    /// Module offset of the operator being translated.
    op_offset: u32,
    /// The innermost loops to unroll and to strip-mine ([`loop_plan`]).
    loops: LoopPlan,
    /// Set at the end of a copy of an unrolled loop: the reader goes back to the first
    /// operator of the loop's body, to translate the next copy.
    rewind: bool,
}

/// Translates defined function `defined` into `func` (whose signature is set).
///
/// With `osr_loops` (module offsets of `loop` operators entered with an empty operand stack),
/// the result is an on-stack-replacement entry instead, with a third parameter: the index of
/// the loop in `osr_loops`. It takes a frame in the interpreter's layout (every local in its
/// slot) at that loop's header, loads all the locals and continues there; the code before
/// the loops is translated too but unreachable from the entry (Cranelift removes it).
pub(crate) fn translate(
    env: &OptEnv<'_>,
    defined: DefinedFuncIdx,
    kind: Entry<'_>,
    func: &mut Function,
    builder_ctx: &mut FunctionBuilderContext,
    frontend: TargetFrontendConfig,
) -> Result<Vec<DefinedFuncIdx>, CompileError> {
    let module = env.module;
    let func_index = module.func_of(defined);
    let ty = module.func_type(func_index).clone();
    let body = module.body(defined);
    crate::vm::set_stack_limit(func);
    let mut b = FunctionBuilder::new(func, builder_ctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let vm = crate::vm::EntryValues::new(&mut b, env, &ty, func_index);
    let poll = b.declare_var(I64);
    // An OSR entry reaches its loop's header with this definition.
    b.def_var(poll, vm.interrupt);
    let mut t = Translator {
        b,
        env,
        stack: Vec::new(),
        frames: Vec::new(),
        locals: Vec::new(),
        reachable: true,
        unreachable_depth: 0,
        vm,
        osr: Vec::new(),
        osr_found: 0,
        op_offset: 0,
        fuel: None,
        poll,
        loops: loop_plan(&body, env.loops.copies, env.loops.poll_strip > 0)?,
        rewind: false,
    };
    t.prologue(&ty, &body, kind)?;
    if let Entry::Osr(offsets) = kind {
        let headers: Vec<ir::Block> = offsets.iter().map(|_| t.b.create_block()).collect();
        // One landing block per loop between the dispatch and the header: the header's
        // parameters (the locals, in SSA form) then come in on plain jumps.
        let landings: Vec<ir::Block> = offsets.iter().map(|_| t.b.create_block()).collect();
        let calls: Vec<_> = landings
            .iter()
            .map(|&l| t.b.func.dfg.block_call(l, &[]))
            .collect();
        let (Some(&default), Some(_)) = (calls.first(), t.b.current_block()) else {
            return Err(CompileError::Unsupported(
                "on-stack replacement without loops".into(),
            ));
        };
        // The entry block's parameter (the prologue's checks may have moved on to another
        // block: `entry` is where the dispatch goes).
        let first =
            t.b.func
                .layout
                .entry_block()
                .expect("the entry block exists");
        let loop_index = t.b.block_params(first)[2];
        let table = t.b.create_jump_table(JumpTableData::new(default, &calls));
        t.b.ins().br_table(loop_index, table);
        for (&landing, &header) in landings.iter().zip(&headers) {
            t.b.switch_to_block(landing);
            t.b.seal_block(landing);
            t.b.ins().jump(header, &[]);
        }
        t.osr = offsets.iter().copied().zip(headers).collect();
        // The function's own beginning: translated, but nothing jumps here.
        let start = t.b.create_block();
        t.b.switch_to_block(start);
        t.b.seal_block(start);
    }
    let ret = t.b.create_block();
    for &r in ty.results() {
        t.b.append_block_param(ret, clif_type(r));
    }
    t.frames.push(Frame {
        kind: FrameKind::Block,
        dest: ret,
        num_params: 0,
        num_results: ty.results().len(),
        height: 0,
        exit_reachable: false,
    });
    // Fuel: the segments every tier charges (`tierup_abi::metering`). In an OSR entry the
    // entry's charge lands in the unreachable `start` block: the activation paid it already.
    let fuel = if module.instrumentation.consume_fuel {
        Some(FuelPlan::new(&body)?)
    } else {
        None
    };
    if let Some(plan) = &fuel {
        t.consume_fuel(plan.entry_cost());
    }
    let mut ops = body.get_operators_reader()?;
    // The reader at the body of the last loop met that may be unrolled.
    let mut loop_body = None;
    while !ops.eof() {
        t.op_offset = ops.original_position() as u32;
        // Every instruction remembers its operator's module offset (Cranelift carries it to
        // the machine code: `MachSrcLoc`, shown by `tierup explore`).
        t.b.set_srcloc(ir::SourceLoc::new(t.op_offset));
        let op = ops.read()?;
        let charge_point = fuel.is_some() && metering::is_charge_point(&op);
        if matches!(op, Operator::Loop { .. }) && t.loops.unroll.contains(&t.op_offset) {
            loop_body = Some(ops.clone());
        }
        if t.reachable {
            t.operator(op)?;
        } else {
            t.skip(op)?;
        }
        if std::mem::take(&mut t.rewind) {
            // Unrolled loops are innermost: no other loop was met since this one's body began.
            ops = loop_body
                .clone()
                .expect("an unrolled loop's body was saved");
            continue;
        }
        if charge_point
            && t.reachable
            && !t.frames.is_empty()
            && let Some(plan) = &fuel
        {
            t.consume_fuel(plan.cost_after(t.op_offset));
        }
        if t.frames.is_empty() {
            break;
        }
    }
    if t.osr_found != t.osr.len() {
        return Err(CompileError::Unsupported(
            "on-stack replacement at a loop that is not in the function".into(),
        ));
    }
    // The function's final `end` switched to the return block (if reachable) with the
    // results on the stack.
    if t.reachable {
        let results = std::mem::take(&mut t.stack);
        if let Entry::Native = kind {
            t.b.ins().return_(&results);
        } else {
            t.store_slots(ty.results(), &results, 0);
            t.b.ins().return_(&[]);
        }
    }
    t.vm.finish(&mut t.b);
    t.b.seal_all_blocks();
    t.b.finalize(frontend);
    let mut published = std::mem::take(&mut t.vm.published_callees);
    published.sort_unstable_by_key(|f| f.as_u32());
    published.dedup();
    Ok(published)
}

/// The most operators (after the `loop`, its `end` included) a loop may have to be
/// unrolled. The poll's share of an iteration shrinks as the body grows while the copies'
/// compile time grows: with 32 (`matmul`'s inner loop has 26) the optimized code of the
/// real-program corpus grew by 0.5-3%, with 96 by 5-19% (zstd's compile time by 17%).
const UNROLL_MAX_OPERATORS: usize = 32;

/// A counted innermost loop whose interrupt poll is strip-mined (HotSpot's loop strip
/// mining): a loop that ends with
///
/// ```text
/// local.get $k  i32.const 1  i32.add  local.tee $k  <bound>  <cmp>  br_if 0  end
/// <bound>  local.get $k  i32.const 1  i32.add  local.tee $k  i32.ne  br_if 0  end
/// local.get $k  i32.const -1  i32.add  local.tee $k  br_if 0  end
/// ```
///
/// (`bound` a `local.get` of a local the loop does not write, or an `i32.const`; `cmp`
/// `i32.lt_u`, `i32.lt_s` or `i32.ne`; `$k` written nowhere else in the loop; no call in
/// the loop: a call costs far more than the poll, and strip-mining the `dispatch` kernel's
/// loop, which makes an indirect call per iteration, made it 1.25x slower tiered). The second
/// form is how clang writes the first with `i32.ne`; the third counts down to 0, and is
/// handled as the mirror image of the first (below, read "above" for "below").
///
/// Its header polls and computes `end`: the counter after at most
/// [`crate::LoopSettings::poll_strip`] steps, but no further than the bound nor than the last
/// value that does not wrap, and at least the counter after one step. The body then runs
/// in an inner loop whose back-edge compares the stepped counter with `end` instead of
/// with the bound. Exactness: a stepped counter below `end` (the inner back-edge) is below
/// the bound too, and differs from it, so the loop's own back-edge would be taken as well;
/// when the inner loop ends, the counter, stepping by one from below `end`, equals `end`,
/// so comparing `end` with the bound is the loop's own comparison, which then chooses
/// between the polling header and the exit. Liveness: the counter grows by one per inner
/// iteration without wrapping, so the inner loop runs at most `poll_strip` times between
/// two polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Strip {
    /// Module offset of the `loop`.
    loop_at: u32,
    /// Module offset of the `br_if` that ends it.
    br_if_at: u32,
    /// The counter local (stepped by one).
    counter: u32,
    /// What the stepped counter is compared with.
    bound: StripBound,
    /// How it is compared.
    cmp: StripCmp,
}

/// The bound of a [`Strip`]'s comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StripBound {
    Local(u32),
    Const(i32),
}

/// The comparison of a [`Strip`]'s back-edge: `i32.lt_u`, `i32.lt_s` or `i32.ne` (which,
/// for a counter that only grows, the unsigned bound serves), or a counter that steps down
/// by one and is itself the condition (`br_if` while it is not 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StripCmp {
    LtU,
    LtS,
    Ne,
    DownToZero,
}

/// What [`loop_plan`] found in a body.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct LoopPlan {
    /// The module offsets of the loops to unroll into `copies` copies.
    pub(crate) unroll: Vec<u32>,
    /// The counted loops to strip-mine.
    pub(crate) strips: Vec<Strip>,
    /// The module offsets of the loops that make a call (at any depth).
    pub(crate) calling: Vec<u32>,
}

/// An operator, as far as the strip pattern ([`Strip`]) looks at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Get(u32),
    Tee(u32),
    Const(i32),
    Add,
    Cmp(StripCmp),
    BrIfOut,
    Other,
}

/// The innermost loops of `body` to unroll into `copies` copies
/// ([`crate::LoopSettings::copies`]; loops that make no call and have at most
/// [`UNROLL_MAX_OPERATORS`] operators) and, with `strip`, those to strip-mine ([`Strip`];
/// loops without calls, parameters or results that end in a counted pattern).
///
/// Why unroll: the interrupt poll at a loop header (one load from the store's poll page, see
/// `vm.rs`'s `check_interrupt`) is paid on every iteration (`matmul`: 1.26x its time without
/// the poll). The copies after the first have no poll, so a loop is polled once per `copies`
/// iterations, still at least once per a few hundred operators. Each copy ends by branching
/// to the next copy's header (the last to the first's), and a copy's exits go where the
/// loop's exits go, so no value flows from copy to copy except as the header's parameters
/// and the locals, whose SSA form the frontend builds as for any other branch.
fn loop_plan(
    body: &wasmparser::FunctionBody<'_>,
    copies: u8,
    strip: bool,
) -> Result<LoopPlan, CompileError> {
    /// An open `loop` (`None` in `frames`: a `block` or `if`).
    struct Open {
        offset: u32,
        /// The operator count at the `loop`.
        start: usize,
        /// No `loop` inside.
        innermost: bool,
        /// No call inside.
        no_calls: bool,
        /// No parameters or results.
        empty: bool,
        /// The locals written inside, once per write.
        writes: Vec<u32>,
    }
    let mut frames: Vec<Option<Open>> = Vec::new();
    let mut plan = LoopPlan::default();
    let mut ops = body.get_operators_reader()?;
    let mut count = 0usize;
    // The last seven operators, with their offsets (oldest first).
    let mut recent: std::collections::VecDeque<(u32, Shape)> = Default::default();
    while !ops.eof() {
        let offset = ops.original_position() as u32;
        let op = ops.read()?;
        count += 1;
        let shape = match op {
            Operator::LocalGet { local_index } => Shape::Get(local_index),
            Operator::LocalTee { local_index } => Shape::Tee(local_index),
            Operator::I32Const { value } => Shape::Const(value),
            Operator::I32Add => Shape::Add,
            Operator::I32LtU => Shape::Cmp(StripCmp::LtU),
            Operator::I32LtS => Shape::Cmp(StripCmp::LtS),
            Operator::I32Ne => Shape::Cmp(StripCmp::Ne),
            Operator::BrIf { relative_depth: 0 } => Shape::BrIfOut,
            _ => Shape::Other,
        };
        match op {
            Operator::Loop { blockty } => {
                for open in frames.iter_mut().flatten() {
                    open.innermost = false;
                }
                frames.push(Some(Open {
                    offset,
                    start: count,
                    innermost: true,
                    no_calls: true,
                    empty: blockty == BlockType::Empty,
                    writes: Vec::new(),
                }));
            }
            Operator::Block { .. } | Operator::If { .. } => frames.push(None),
            Operator::LocalSet { local_index } | Operator::LocalTee { local_index } => {
                for open in frames.iter_mut().flatten() {
                    open.writes.push(local_index);
                }
            }
            Operator::Call { .. }
            | Operator::CallIndirect { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::ReturnCallRef { .. } => {
                for open in frames.iter_mut().flatten() {
                    open.no_calls = false;
                }
            }
            Operator::End => {
                let open = frames.pop().flatten();
                if let Some(open) = &open
                    && !open.no_calls
                {
                    plan.calling.push(open.offset);
                }
                if let Some(open) = open
                    && open.innermost
                {
                    if copies >= 2 && open.no_calls && count - open.start <= UNROLL_MAX_OPERATORS {
                        plan.unroll.push(open.offset);
                    }
                    if strip
                        && open.empty
                        && open.no_calls
                        && count - open.start > recent.len()
                        && let Some(strip) = strip_of(&open.writes, &recent, open.offset)
                    {
                        plan.strips.push(strip);
                    }
                }
            }
            _ => {}
        }
        if recent.len() == 7 {
            recent.pop_front();
        }
        recent.push_back((offset, shape));
    }
    Ok(plan)
}

/// The [`Strip`] of the loop at `loop_at` whose last seven operators before its `end` are
/// `recent` and which writes the locals `writes`, if it has the counted pattern.
fn strip_of(
    writes: &[u32],
    recent: &std::collections::VecDeque<(u32, Shape)>,
    loop_at: u32,
) -> Option<Strip> {
    let shapes: Vec<Shape> = recent.iter().map(|&(_, s)| s).collect();
    let bound_of = |shape: Shape, k: u32| match shape {
        Shape::Get(n) if n != k && !writes.contains(&n) => Some(StripBound::Local(n)),
        Shape::Const(n) => Some(StripBound::Const(n)),
        _ => None,
    };
    let (k, step, k2, bound, cmp) = match shapes[..] {
        // k = k + 1; br_if (k <cmp> bound)
        [
            Shape::Get(k),
            Shape::Const(step),
            Shape::Add,
            Shape::Tee(k2),
            bound,
            Shape::Cmp(cmp),
            Shape::BrIfOut,
        ] => (k, step, k2, bound_of(bound, k)?, cmp),
        // br_if (bound != (k = k + 1)): clang's usual form
        [
            bound,
            Shape::Get(k),
            Shape::Const(step),
            Shape::Add,
            Shape::Tee(k2),
            Shape::Cmp(StripCmp::Ne),
            Shape::BrIfOut,
        ] => (k, step, k2, bound_of(bound, k)?, StripCmp::Ne),
        // k = k - 1; br_if k: a countdown
        [
            _,
            _,
            Shape::Get(k),
            Shape::Const(-1),
            Shape::Add,
            Shape::Tee(k2),
            Shape::BrIfOut,
        ] => (k, 1, k2, StripBound::Const(0), StripCmp::DownToZero), // steps by one, down
        _ => return None,
    };
    let counter_writes = writes.iter().filter(|&&w| w == k).count();
    (k == k2 && step == 1 && counter_writes == 1).then_some(Strip {
        loop_at,
        br_if_at: recent[6].0,
        counter: k,
        bound,
        cmp,
    })
}

impl Translator<'_, '_> {
    /// Before a loop, prepares the address its header polls for interrupts (the store's poll
    /// byte, or its attention flag with epochs; the vmctx holds a copy, `VmCtx::interrupt_poll`):
    /// a loop that makes a call (`calls`) loads it at its header on every iteration; any
    /// other reads the `poll` variable there, loaded here unless an enclosing call-free loop
    /// has loaded it already (an OSR entry's header gets the entry block's value instead).
    ///
    /// Why not keep the entry's copy: a value live across a call takes one of the five
    /// callee-saved registers, and a loop that calls often has more values than that to keep
    /// (`dispatch`: the counter, the bound, the frame, the vmctx, the table). The address
    /// then pushed the bound to the stack, stored and reloaded on every iteration. Measured
    /// on `dispatch` (5 * 10^8 iterations, CPU time, Intel Xeon): 1.08 s with the entry's
    /// copy, 0.84 s with the load at the header, 0.79 s with no poll at all (wasmtime, which
    /// does not poll: 0.81 s). Loading it after each call instead, so that it reaches the
    /// header as a block parameter, took 1.17 s. A call-free loop keeps the address in a
    /// caller-saved register, loaded once per entry, as the entry's copy would be, but
    /// without holding a register across the calls elsewhere in the function.
    fn prepare_poll_address(&mut self, calls: bool) {
        if calls {
            return;
        }
        let enclosing_call_free = self.frames.iter().rev().find_map(|f| match f.kind {
            FrameKind::Loop { calls, .. } => Some(!calls),
            _ => None,
        });
        if enclosing_call_free != Some(true) {
            let address = self.interrupt_in_place();
            self.b.def_var(self.poll, address);
        }
    }

    /// Checks both stacks (the native one also for an interrupt request) and, with epochs, the
    /// attention flag, then loads the parameters from the frame and
    /// zeroes the declared locals (an OSR entry loads every local from its slot: the
    /// parameters and then the declared locals, laid out by `slot_offsets`, as the
    /// interpreter keeps them).
    fn prologue(
        &mut self,
        ty: &FuncType,
        body: &wasmparser::FunctionBody<'_>,
        kind: Entry<'_>,
    ) -> Result<(), CompileError> {
        let entry = self.b.current_block().expect("in the entry block");
        if self.env.module.instrumentation.consume_fuel {
            self.start_fuel();
        }
        self.vm.check_slot_stack(&mut self.b);
        // An interrupt request fails the entry's stack check (`vm::set_stack_limit`); an epoch
        // deadline, which lets execution go on after the `attention` call, needs the flag.
        if self.env.module.instrumentation.epoch_interruption {
            self.check_interrupt(self.vm.interrupt);
        }
        let fp = self.vm.fp;
        let mut types = ty.params().to_vec();
        let params = match kind {
            Entry::Native => self.b.block_params(entry)[2..].to_vec(),
            _ => load_slots(&mut self.b, fp, &types, 0),
        };
        for local in body.get_locals_reader()? {
            let (count, ty) = local?;
            let vt = ValType::from_wasmparser(ty)
                .ok_or_else(|| CompileError::Unsupported(format!("local of type {ty:?}")))?;
            types.extend(std::iter::repeat_n(vt, count as usize));
        }
        // The declared locals: from their slots in an OSR entry, else zero.
        let declared = &types[params.len()..];
        let mut values = params;
        match kind {
            Entry::Osr(_) => {
                let locals = load_slots(&mut self.b, fp, declared, ty.param_slots());
                values.extend(locals);
            }
            _ => {
                for &vt in declared {
                    let zero = self.zero(clif_type(vt));
                    values.push(zero);
                }
            }
        }
        for (&vt, value) in types.iter().zip(values) {
            let var = self.b.declare_var(clif_type(vt));
            self.b.def_var(var, value);
            self.locals.push(var);
        }
        Ok(())
    }

    /// Whether this is an on-stack-replacement entry, which may run before the function's
    /// normal code (and its native entry) is published.
    pub(crate) fn is_osr_entry(&self) -> bool {
        !self.osr.is_empty()
    }

    fn zero(&mut self, ty: Type) -> Value {
        match ty {
            F32 => self.b.ins().f32const(Ieee32::with_bits(0)),
            F64 => self.b.ins().f64const(Ieee64::with_bits(0)),
            I8X16 => self.v128_const(0),
            _ => self.b.ins().iconst(ty, 0),
        }
    }

    /// The constant `v128` with these bits (lane 0 in the low bits).
    pub(crate) fn v128_const(&mut self, bits: u128) -> Value {
        let data = ConstantData::from(&bits.to_le_bytes()[..]);
        let handle = self.b.func.dfg.constants.insert(data);
        self.b.ins().vconst(I8X16, handle)
    }

    /// Stores `values` of `types` into the frame's slots from `fp[first]` (see
    /// [`store_slots`]).
    pub(crate) fn store_slots(&mut self, types: &[ValType], values: &[Value], first: usize) {
        let fp = self.vm.fp;
        store_slots(&mut self.b, fp, types, values, first);
    }

    /// Loads values of `types` from the frame's slots from `fp[first]` (see [`load_slots`]).
    pub(crate) fn load_slots(&mut self, types: &[ValType], first: usize) -> Vec<Value> {
        let fp = self.vm.fp;
        load_slots(&mut self.b, fp, types, first)
    }

    /// `v` as the contents of its slots (see [`slot_value`]).
    pub(crate) fn slot_value(&mut self, v: Value) -> Value {
        slot_value(&mut self.b, v)
    }

    pub(crate) fn pop(&mut self) -> Value {
        self.stack
            .pop()
            .expect("validated: operand stack underflow")
    }

    pub(crate) fn pop2(&mut self) -> (Value, Value) {
        let y = self.pop();
        let x = self.pop();
        (x, y)
    }

    pub(crate) fn pop3(&mut self) -> (Value, Value, Value) {
        let z = self.pop();
        let (x, y) = self.pop2();
        (x, y, z)
    }

    pub(crate) fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    /// The top `n` values (left on the stack).
    fn peek_n(&self, n: usize) -> &[Value] {
        &self.stack[self.stack.len() - n..]
    }

    fn block_args(values: &[Value]) -> Vec<BlockArg> {
        values.iter().map(|&v| BlockArg::Value(v)).collect()
    }

    /// A block type's parameter and result types.
    fn block_sig(&self, bt: BlockType) -> (Vec<Type>, Vec<Type>) {
        match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => (
                vec![],
                vec![clif_type(
                    ValType::from_wasmparser(t).unwrap_or(ValType::I64),
                )],
            ),
            BlockType::FuncType(i) => {
                let ty = &self.env.module.types[i as usize];
                (
                    ty.params().iter().map(|&t| clif_type(t)).collect(),
                    ty.results().iter().map(|&t| clif_type(t)).collect(),
                )
            }
        }
    }

    fn block_with_params(&mut self, types: &[Type]) -> ir::Block {
        let block = self.b.create_block();
        for &t in types {
            self.b.append_block_param(block, t);
        }
        block
    }

    /// Unconditional branch to the frame `depth` levels out, with its values from the stack.
    fn branch(&mut self, depth: u32) {
        let i = self.frames.len() - 1 - depth as usize;
        let (target, n) = self.frames[i].branch_target(&mut self.b);
        let args = Self::block_args(self.peek_n(n));
        self.b.ins().jump(target, &args);
    }

    /// Skips an operator in unreachable code, tracking nesting (see the module docs).
    fn skip(&mut self, op: Operator<'_>) -> Result<(), CompileError> {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.unreachable_depth += 1;
            }
            Operator::Else if self.unreachable_depth == 0 => self.op_else(),
            Operator::End if self.unreachable_depth == 0 => self.op_end(),
            Operator::End => self.unreachable_depth -= 1,
            _ => {}
        }
        Ok(())
    }

    /// The value of a strip's bound here.
    fn strip_bound(&mut self, bound: StripBound) -> Value {
        match bound {
            StripBound::Local(n) => self.b.use_var(self.locals[n as usize]),
            StripBound::Const(n) => self.b.ins().iconst(I32, i64::from(n)),
        }
    }

    /// In a strip-mined loop's header, after its poll: computes where the strip ends and
    /// starts the inner loop (see [`Strip`]).
    fn enter_strip(&mut self, plan: Strip) -> ActiveStrip {
        let counter = self.b.use_var(self.locals[plan.counter as usize]);
        let bound = self.strip_bound(plan.bound);
        let iterations = i64::from(self.env.loops.poll_strip);
        let b = &mut self.b;
        // `end` is at least one step on (the counter's value after the first iteration), so
        // that leaving the inner loop always finds the counter equal to `end`: a strip that
        // starts at or past the bound runs one iteration, as the loop does.
        let end = match plan.cmp {
            StripCmp::LtU | StripCmp::Ne | StripCmp::LtS => {
                // In 64 bits, as the comparison reads the counter: below `no_wrap`, stepping
                // cannot wrap.
                let signed = plan.cmp == StripCmp::LtS;
                let (counter, bound, no_wrap) = if signed {
                    let (c, n) = (b.ins().sextend(I64, counter), b.ins().sextend(I64, bound));
                    (c, n, (1i64 << 31) - 1)
                } else {
                    let (c, n) = (b.ins().uextend(I64, counter), b.ins().uextend(I64, bound));
                    (c, n, (1i64 << 32) - 1)
                };
                let far = b.ins().iadd_imm_s(counter, iterations);
                let no_wrap = b.ins().iconst(I64, no_wrap);
                let first = b.ins().iadd_imm_s(counter, 1);
                // Both orders agree on these 64-bit values (all within `i64`'s positive
                // half or sign-extended `i32`s), so one pair of min and max serves.
                let far = b.ins().smin(far, no_wrap);
                let end = b.ins().smin(far, bound);
                b.ins().smax(end, first)
            }
            StripCmp::DownToZero => {
                // The mirror image: `end` is at most one step down, at least 0 and at most
                // `iterations` steps down. From a counter of 0 that is -1, which as an
                // `i32` is the counter after its first step (it wraps, as the loop does).
                let counter = b.ins().uextend(I64, counter);
                let far = b.ins().iadd_imm_s(counter, -iterations);
                let zero = b.ins().iconst(I64, 0);
                let far = b.ins().smax(far, zero);
                let first = b.ins().iadd_imm_s(counter, -1);
                b.ins().smin(far, first)
            }
        };
        let end = b.ins().ireduce(I32, end);
        let inner = b.create_block();
        b.ins().jump(inner, &[]);
        b.switch_to_block(inner);
        ActiveStrip { plan, inner, end }
    }

    /// A strip-mined loop's closing `br_if`: back to the inner header while the stepped
    /// counter is below the strip's end, else the loop's own comparison decides between the
    /// polling header and the exit (see [`Strip`]).
    fn strip_back_edge(&mut self) {
        // The counter steps by one from below `end`, so leaving the inner loop means it is
        // `end` now, and the loop's own comparison is that of `end` with the bound. Making it
        // on the counter instead kept the counter from before the step alive through the
        // inner loop (Cranelift rematerializes the step at that use), which then stepped a
        // copy and moved it back at every iteration (1.4x on `matmul`).
        let _loop_condition = self.pop();
        let frame = self.frames.last().expect("in the strip-mined loop");
        let FrameKind::Loop {
            first,
            strip: Some(strip),
            ..
        } = frame.kind
        else {
            unreachable!("a strip-mined loop's frame")
        };
        let counter_var = self.locals[strip.plan.counter as usize];
        let counter = self.b.use_var(counter_var);
        let (within_cc, loop_cc) = match strip.plan.cmp {
            StripCmp::LtU => (IntCC::UnsignedLessThan, IntCC::UnsignedLessThan),
            StripCmp::Ne => (IntCC::UnsignedLessThan, IntCC::NotEqual),
            StripCmp::LtS => (IntCC::SignedLessThan, IntCC::SignedLessThan),
            // The bound is the constant 0.
            StripCmp::DownToZero => (IntCC::UnsignedGreaterThan, IntCC::NotEqual),
        };
        let within = self.b.ins().icmp(within_cc, counter, strip.end);
        let check = self.b.create_block();
        let next = self.b.create_block();
        self.b.ins().brif(within, strip.inner, &[], check, &[]);
        self.b.switch_to_block(check);
        self.b.seal_block(check);
        self.b.def_var(counter_var, strip.end);
        let bound = self.strip_bound(strip.plan.bound);
        let again = self.b.ins().icmp(loop_cc, strip.end, bound);
        self.b.ins().brif(again, first, &[], next, &[]);
        self.b.switch_to_block(next);
        self.b.seal_block(next);
    }

    fn op_else(&mut self) {
        let frame = self.frames.last_mut().expect("validated: else in an if");
        let FrameKind::If {
            else_block,
            params,
            else_seen,
        } = &mut frame.kind
        else {
            unreachable!("validated: else in an if")
        };
        *else_seen = true;
        let (else_block, params, height, n, dest) = (
            *else_block,
            std::mem::take(params),
            frame.height,
            frame.num_results,
            frame.dest,
        );
        if self.reachable {
            frame.exit_reachable = true;
            let args = Self::block_args(&self.stack[self.stack.len() - n..]);
            self.b.ins().jump(dest, &args);
        }
        self.stack.truncate(height);
        self.b.switch_to_block(else_block);
        self.b.seal_block(else_block);
        self.stack.extend(params);
        self.reachable = true;
    }

    fn op_end(&mut self) {
        let mut frame = self.frames.pop().expect("validated: end closes a frame");
        if self.reachable {
            frame.exit_reachable = true;
            let here = self
                .b
                .current_block()
                .expect("reachable code is in a block");
            // A copy that another copy follows and whose last operator branched back (the
            // block here is empty: only the exit is left): the exit goes out of line, so the
            // copy falls through into the next one, as the body of a loop that was not
            // unrolled falls through from one operator to the next.
            let continues = matches!(
                frame.kind,
                FrameKind::Loop {
                    back_edge: Some(_),
                    copies_left: 1..,
                    ..
                }
            );
            let layout = &self.b.func.layout;
            let empty = !layout.is_block_inserted(here) || layout.first_inst(here).is_none();
            let args = Self::block_args(&self.stack[self.stack.len() - frame.num_results..]);
            self.b.ins().jump(frame.dest, &args);
            if continues && empty {
                self.b.set_cold_block(here);
            }
        }
        match &frame.kind {
            FrameKind::If {
                else_block,
                params,
                else_seen: false,
            } => {
                // The implicit `else` passes the parameters through as results.
                frame.exit_reachable = true;
                self.b.switch_to_block(*else_block);
                self.b.seal_block(*else_block);
                let args = Self::block_args(params);
                self.b.ins().jump(frame.dest, &args);
            }
            &FrameKind::Loop {
                first,
                back_edge: Some(next),
                copies_left: copies_left @ 1..,
                calls,
                ..
            } => {
                // The end of a copy of an unrolled loop whose branches continue it: translate
                // the body again from the next copy's header, whose predecessors are all in
                // the copy just translated.
                self.b.seal_block(next);
                self.stack.truncate(frame.height);
                self.b.switch_to_block(next);
                self.stack.extend_from_slice(self.b.block_params(next));
                self.reachable = true;
                frame.kind = FrameKind::Loop {
                    first,
                    back_edge: (copies_left == 1).then_some(first),
                    copies_left: copies_left - 1,
                    strip: None,
                    calls,
                };
                self.frames.push(frame);
                self.rewind = true;
                return;
            }
            FrameKind::Loop { first, strip, .. } => {
                self.b.seal_block(*first);
                if let Some(strip) = strip {
                    self.b.seal_block(strip.inner);
                }
            }
            _ => {}
        }
        self.stack.truncate(frame.height);
        if frame.exit_reachable {
            self.b.switch_to_block(frame.dest);
            self.b.seal_block(frame.dest);
            self.stack
                .extend_from_slice(self.b.block_params(frame.dest));
            self.reachable = true;
        } else {
            self.reachable = false;
        }
    }

    fn unop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value) {
        let x = self.pop();
        let v = f(&mut self.b, x);
        self.push(v);
    }

    fn binop(&mut self, f: impl FnOnce(&mut FunctionBuilder<'_>, Value, Value) -> Value) {
        let (x, y) = self.pop2();
        let v = f(&mut self.b, x, y);
        self.push(v);
    }

    fn icmp(&mut self, cc: IntCC) {
        let (x, y) = self.pop2();
        let c = self.b.ins().icmp(cc, x, y);
        let v = self.b.ins().uextend(I32, c);
        self.push(v);
    }

    fn fcmp(&mut self, cc: FloatCC) {
        let (x, y) = self.pop2();
        let c = self.b.ins().fcmp(cc, x, y);
        let v = self.b.ins().uextend(I32, c);
        self.push(v);
    }

    fn eqz(&mut self) {
        let x = self.pop();
        let c = self.b.ins().icmp_imm_u(IntCC::Equal, x, 0);
        let v = self.b.ins().uextend(I32, c);
        self.push(v);
    }

    /// Sign-extends the low `from` bits of the top value within its own type.
    fn extend_s(&mut self, from: Type) {
        let x = self.pop();
        let ty = self.b.func.dfg.value_type(x);
        let narrow = self.b.ins().ireduce(from, x);
        let v = self.b.ins().sextend(ty, narrow);
        self.push(v);
    }

    pub(crate) fn trap(&mut self, code: TrapCode) {
        self.b.ins().trap(clif_trap(code));
    }

    /// Translates one operator in reachable code.
    fn operator(&mut self, op: Operator<'_>) -> Result<(), CompileError> {
        use Operator as O;
        match op {
            // ---- control ----
            O::Nop => {}
            O::Unreachable => {
                self.trap(TrapCode::Unreachable);
                self.reachable = false;
            }
            O::Block { blockty } => {
                let (params, results) = self.block_sig(blockty);
                let dest = self.block_with_params(&results);
                self.frames.push(Frame {
                    kind: FrameKind::Block,
                    dest,
                    num_params: params.len(),
                    num_results: results.len(),
                    height: self.stack.len() - params.len(),
                    exit_reachable: false,
                });
            }
            O::Loop { blockty } => {
                let (params, results) = self.block_sig(blockty);
                let osr_header = self
                    .osr
                    .iter()
                    .find(|(offset, _)| *offset == self.op_offset)
                    .map(|&(_, header)| header);
                let header = match osr_header {
                    Some(header) => {
                        if !params.is_empty() || !self.stack.is_empty() {
                            return Err(CompileError::Unsupported(
                                "on-stack replacement at a loop with live operands".into(),
                            ));
                        }
                        self.osr_found += 1;
                        header
                    }
                    None => self.block_with_params(&params),
                };
                let strip = self
                    .loops
                    .strips
                    .iter()
                    .find(|s| s.loop_at == self.op_offset)
                    .copied();
                // Innermost loops are unrolled only where they are polled and not metered:
                // the copies after the first have no poll (see [`loop_plan`]); a
                // strip-mined loop polls once per strip already.
                let copies = if self.fuel.is_none()
                    && strip.is_none()
                    && self.loops.unroll.contains(&self.op_offset)
                {
                    self.env.loops.copies
                } else {
                    1
                };
                let calls = self.loops.calling.contains(&self.op_offset);
                let dest = self.block_with_params(&results);
                let args = Self::block_args(self.peek_n(params.len()));
                self.prepare_poll_address(calls);
                self.b.ins().jump(header, &args);
                self.b.switch_to_block(header);
                let height = self.stack.len() - params.len();
                self.stack.truncate(height);
                self.stack.extend_from_slice(self.b.block_params(header));
                let poll = if calls {
                    self.interrupt_in_place()
                } else {
                    self.b.use_var(self.poll)
                };
                self.check_interrupt(poll);
                let strip = strip.map(|plan| self.enter_strip(plan));
                self.frames.push(Frame {
                    kind: FrameKind::Loop {
                        first: header,
                        back_edge: (copies == 1).then_some(header),
                        copies_left: copies - 1,
                        strip,
                        calls,
                    },
                    dest,
                    num_params: params.len(),
                    num_results: results.len(),
                    height,
                    exit_reachable: false,
                });
            }
            O::If { blockty } => {
                let cond = self.pop();
                let (params, results) = self.block_sig(blockty);
                let then_block = self.b.create_block();
                let else_block = self.b.create_block();
                let dest = self.block_with_params(&results);
                self.b.ins().brif(cond, then_block, &[], else_block, &[]);
                self.b.switch_to_block(then_block);
                self.b.seal_block(then_block);
                self.frames.push(Frame {
                    kind: FrameKind::If {
                        else_block,
                        params: self.peek_n(params.len()).to_vec(),
                        else_seen: false,
                    },
                    dest,
                    num_params: params.len(),
                    num_results: results.len(),
                    height: self.stack.len() - params.len(),
                    exit_reachable: false,
                });
            }
            O::Else => self.op_else(),
            O::End => self.op_end(),
            O::Br { relative_depth } => {
                self.branch(relative_depth);
                self.reachable = false;
            }
            O::BrIf { relative_depth: 0 }
                if self
                    .frames
                    .last()
                    .and_then(Frame::strip)
                    .is_some_and(|s| s.plan.br_if_at == self.op_offset) =>
            {
                self.strip_back_edge();
            }
            O::BrIf { relative_depth } => {
                let cond = self.pop();
                let i = self.frames.len() - 1 - relative_depth as usize;
                let (target, n) = self.frames[i].branch_target(&mut self.b);
                let args = Self::block_args(self.peek_n(n));
                let next = self.b.create_block();
                self.b.ins().brif(cond, target, &args, next, &[]);
                self.b.switch_to_block(next);
                self.b.seal_block(next);
            }
            O::BrTable { targets } => {
                let index = self.pop();
                let default = targets.default();
                let depths = targets.targets().collect::<Result<Vec<u32>, _>>()?;
                let mut calls = Vec::with_capacity(depths.len());
                let call_for = |t: &mut Self, depth: u32| {
                    let i = t.frames.len() - 1 - depth as usize;
                    let (target, n) = t.frames[i].branch_target(&mut t.b);
                    let args = Self::block_args(t.peek_n(n));
                    t.b.func.dfg.block_call(target, &args)
                };
                for depth in depths {
                    calls.push(call_for(self, depth));
                }
                let default = call_for(self, default);
                let table = self
                    .b
                    .create_jump_table(JumpTableData::new(default, &calls));
                self.b.ins().br_table(index, table);
                self.reachable = false;
            }
            O::Return => {
                self.branch(self.frames.len() as u32 - 1);
                self.reachable = false;
            }
            O::Call { function_index } => self.call(FuncIdx(function_index)),
            O::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index),

            // ---- parametric, variables ----
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let (x, y, c) = self.pop3();
                let v = self.b.ins().select(c, x, y);
                self.push(v);
            }
            O::LocalGet { local_index } => {
                let v = self.b.use_var(self.locals[local_index as usize]);
                self.push(v);
            }
            O::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated: tee of a value");
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::GlobalGet { global_index } => self.global_get(global_index),
            O::GlobalSet { global_index } => self.global_set(global_index),

            // ---- memory ----
            O::I32Load { memarg } => self.load(&memarg, 4, |b, f, a, o| b.ins().load(I32, f, a, o)),
            O::I64Load { memarg } => self.load(&memarg, 8, |b, f, a, o| b.ins().load(I64, f, a, o)),
            O::F32Load { memarg } => self.load(&memarg, 4, |b, f, a, o| b.ins().load(F32, f, a, o)),
            O::F64Load { memarg } => self.load(&memarg, 8, |b, f, a, o| b.ins().load(F64, f, a, o)),
            O::I32Load8S { memarg } => {
                self.load(&memarg, 1, |b, f, a, o| b.ins().sload8(I32, f, a, o));
            }
            O::I32Load8U { memarg } => {
                self.load(&memarg, 1, |b, f, a, o| b.ins().uload8(I32, f, a, o));
            }
            O::I32Load16S { memarg } => {
                self.load(&memarg, 2, |b, f, a, o| b.ins().sload16(I32, f, a, o));
            }
            O::I32Load16U { memarg } => {
                self.load(&memarg, 2, |b, f, a, o| b.ins().uload16(I32, f, a, o));
            }
            O::I64Load8S { memarg } => {
                self.load(&memarg, 1, |b, f, a, o| b.ins().sload8(I64, f, a, o));
            }
            O::I64Load8U { memarg } => {
                self.load(&memarg, 1, |b, f, a, o| b.ins().uload8(I64, f, a, o));
            }
            O::I64Load16S { memarg } => {
                self.load(&memarg, 2, |b, f, a, o| b.ins().sload16(I64, f, a, o));
            }
            O::I64Load16U { memarg } => {
                self.load(&memarg, 2, |b, f, a, o| b.ins().uload16(I64, f, a, o));
            }
            O::I64Load32S { memarg } => {
                self.load(&memarg, 4, |b, f, a, o| b.ins().sload32(f, a, o));
            }
            O::I64Load32U { memarg } => {
                self.load(&memarg, 4, |b, f, a, o| b.ins().uload32(f, a, o));
            }
            O::I32Store { memarg }
            | O::I64Store { memarg }
            | O::F32Store { memarg }
            | O::F64Store { memarg } => {
                let v = self.pop();
                let size = self.b.func.dfg.value_type(v).bytes();
                self.store(&memarg, size, v, |b, f, v, a, o| b.ins().store(f, v, a, o));
            }
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => {
                let v = self.pop();
                self.store(&memarg, 1, v, |b, f, v, a, o| b.ins().istore8(f, v, a, o));
            }
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                let v = self.pop();
                self.store(&memarg, 2, v, |b, f, v, a, o| b.ins().istore16(f, v, a, o));
            }
            O::I64Store32 { memarg } => {
                let v = self.pop();
                self.store(&memarg, 4, v, |b, f, v, a, o| b.ins().istore32(f, v, a, o));
            }
            O::MemorySize { mem } => self.memory_size(mem),
            O::MemoryGrow { mem } => self.memory_grow(mem),
            O::MemoryFill { mem } => {
                self.bulk_call(Libcall::memory_fill(), &[mem], &[I32, I32, I32])
            }
            O::MemoryCopy { dst_mem, src_mem } => self.bulk_call(
                Libcall::memory_copy(),
                &[dst_mem, src_mem],
                &[I32, I32, I32],
            ),
            O::MemoryInit { data_index, mem } => {
                self.bulk_call(Libcall::memory_init(), &[mem, data_index], &[I32, I32, I32])
            }
            O::DataDrop { data_index } => self.segment_drop(true, data_index),

            // ---- references and tables ----
            O::RefNull { .. } => {
                let v = self.b.ins().iconst(I64, 0);
                self.push(v);
            }
            O::RefIsNull => self.eqz(),
            O::RefFunc { function_index } => self.ref_func(function_index),
            O::TableGet { table } => self.table_get(table),
            O::TableSet { table } => self.table_set(table),
            O::TableSize { table } => self.table_size(table),
            O::TableGrow { table } => self.table_grow(table),
            O::TableFill { table } => {
                self.bulk_call(Libcall::table_fill(), &[table], &[I32, I64, I32])
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => self.bulk_call(
                Libcall::table_copy(),
                &[dst_table, src_table],
                &[I32, I32, I32],
            ),
            O::TableInit { elem_index, table } => self.bulk_call(
                Libcall::table_init(),
                &[table, elem_index],
                &[I32, I32, I32],
            ),
            O::ElemDrop { elem_index } => self.segment_drop(false, elem_index),

            // ---- constants ----
            O::I32Const { value } => {
                let v = self.b.ins().iconst(I32, i64::from(value as u32));
                self.push(v);
            }
            O::I64Const { value } => {
                let v = self.b.ins().iconst(I64, value);
                self.push(v);
            }
            O::F32Const { value } => {
                let v = self.b.ins().f32const(Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            O::F64Const { value } => {
                let v = self.b.ins().f64const(Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            // ---- integer comparisons ----
            O::I32Eqz | O::I64Eqz => self.eqz(),
            O::I32Eq | O::I64Eq => self.icmp(IntCC::Equal),
            O::I32Ne | O::I64Ne => self.icmp(IntCC::NotEqual),
            O::I32LtS | O::I64LtS => self.icmp(IntCC::SignedLessThan),
            O::I32LtU | O::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            O::I32GtS | O::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            O::I32GtU | O::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            O::I32LeS | O::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            O::I32LeU | O::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            O::I32GeS | O::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            O::I32GeU | O::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),

            // ---- float comparisons ----
            O::F32Eq | O::F64Eq => self.fcmp(FloatCC::Equal),
            O::F32Ne | O::F64Ne => self.fcmp(FloatCC::NotEqual),
            O::F32Lt | O::F64Lt => self.fcmp(FloatCC::LessThan),
            O::F32Gt | O::F64Gt => self.fcmp(FloatCC::GreaterThan),
            O::F32Le | O::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            O::F32Ge | O::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),

            // ---- integer arithmetic ----
            O::I32Clz | O::I64Clz => self.unop(|b, x| b.ins().clz(x)),
            O::I32Ctz | O::I64Ctz => self.unop(|b, x| b.ins().ctz(x)),
            O::I32Popcnt | O::I64Popcnt => self.unop(|b, x| b.ins().popcnt(x)),
            O::I32Add | O::I64Add => self.binop(|b, x, y| b.ins().iadd(x, y)),
            O::I32Sub | O::I64Sub => self.binop(|b, x, y| b.ins().isub(x, y)),
            O::I32Mul | O::I64Mul => self.binop(|b, x, y| b.ins().imul(x, y)),
            // Cranelift's divisions trap exactly as wasm's do (by zero; `MIN / -1` for sdiv),
            // and its `srem` yields 0 for `MIN % -1`.
            O::I32DivS | O::I64DivS => self.binop(|b, x, y| b.ins().sdiv(x, y)),
            O::I32DivU | O::I64DivU => self.binop(|b, x, y| b.ins().udiv(x, y)),
            O::I32RemS | O::I64RemS => self.binop(|b, x, y| b.ins().srem(x, y)),
            O::I32RemU | O::I64RemU => self.binop(|b, x, y| b.ins().urem(x, y)),
            O::I32And | O::I64And => self.binop(|b, x, y| b.ins().band(x, y)),
            O::I32Or | O::I64Or => self.binop(|b, x, y| b.ins().bor(x, y)),
            O::I32Xor | O::I64Xor => self.binop(|b, x, y| b.ins().bxor(x, y)),
            // Shift and rotate amounts are taken modulo the width, as in wasm.
            O::I32Shl | O::I64Shl => self.binop(|b, x, y| b.ins().ishl(x, y)),
            O::I32ShrS | O::I64ShrS => self.binop(|b, x, y| b.ins().sshr(x, y)),
            O::I32ShrU | O::I64ShrU => self.binop(|b, x, y| b.ins().ushr(x, y)),
            O::I32Rotl | O::I64Rotl => self.binop(|b, x, y| b.ins().rotl(x, y)),
            O::I32Rotr | O::I64Rotr => self.binop(|b, x, y| b.ins().rotr(x, y)),
            O::I32Extend8S | O::I64Extend8S => self.extend_s(I8),
            O::I32Extend16S | O::I64Extend16S => self.extend_s(I16),
            O::I64Extend32S => self.extend_s(I32),

            // ---- float arithmetic ----
            O::F32Abs | O::F64Abs => self.unop(|b, x| b.ins().fabs(x)),
            O::F32Neg | O::F64Neg => self.unop(|b, x| b.ins().fneg(x)),
            O::F32Ceil | O::F64Ceil => self.unop(|b, x| b.ins().ceil(x)),
            O::F32Floor | O::F64Floor => self.unop(|b, x| b.ins().floor(x)),
            O::F32Trunc | O::F64Trunc => self.unop(|b, x| b.ins().trunc(x)),
            O::F32Nearest | O::F64Nearest => self.unop(|b, x| b.ins().nearest(x)),
            O::F32Sqrt | O::F64Sqrt => self.unop(|b, x| b.ins().sqrt(x)),
            O::F32Add | O::F64Add => self.binop(|b, x, y| b.ins().fadd(x, y)),
            O::F32Sub | O::F64Sub => self.binop(|b, x, y| b.ins().fsub(x, y)),
            O::F32Mul | O::F64Mul => self.binop(|b, x, y| b.ins().fmul(x, y)),
            O::F32Div | O::F64Div => self.binop(|b, x, y| b.ins().fdiv(x, y)),
            // Cranelift's fmin/fmax have wasm's semantics (NaN in, NaN out; -0 < +0).
            O::F32Min | O::F64Min => self.binop(|b, x, y| b.ins().fmin(x, y)),
            O::F32Max | O::F64Max => self.binop(|b, x, y| b.ins().fmax(x, y)),
            O::F32Copysign | O::F64Copysign => self.binop(|b, x, y| b.ins().fcopysign(x, y)),

            // ---- conversions ----
            O::I32WrapI64 => self.unop(|b, x| b.ins().ireduce(I32, x)),
            O::I64ExtendI32S => self.unop(|b, x| b.ins().sextend(I64, x)),
            O::I64ExtendI32U => self.unop(|b, x| b.ins().uextend(I64, x)),
            O::I32TruncF32S | O::I32TruncF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint(I32, x));
            }
            O::I32TruncF32U | O::I32TruncF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint(I32, x));
            }
            O::I64TruncF32S | O::I64TruncF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint(I64, x));
            }
            O::I64TruncF32U | O::I64TruncF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint(I64, x));
            }
            O::I32TruncSatF32S | O::I32TruncSatF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint_sat(I32, x));
            }
            O::I32TruncSatF32U | O::I32TruncSatF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint_sat(I32, x));
            }
            O::I64TruncSatF32S | O::I64TruncSatF64S => {
                self.unop(|b, x| b.ins().fcvt_to_sint_sat(I64, x));
            }
            O::I64TruncSatF32U | O::I64TruncSatF64U => {
                self.unop(|b, x| b.ins().fcvt_to_uint_sat(I64, x));
            }
            O::F32ConvertI32S | O::F32ConvertI64S => {
                self.unop(|b, x| b.ins().fcvt_from_sint(F32, x));
            }
            O::F32ConvertI32U | O::F32ConvertI64U => {
                self.unop(|b, x| b.ins().fcvt_from_uint(F32, x));
            }
            O::F64ConvertI32S | O::F64ConvertI64S => {
                self.unop(|b, x| b.ins().fcvt_from_sint(F64, x));
            }
            O::F64ConvertI32U | O::F64ConvertI64U => {
                self.unop(|b, x| b.ins().fcvt_from_uint(F64, x));
            }
            O::F32DemoteF64 => self.unop(|b, x| b.ins().fdemote(F32, x)),
            O::F64PromoteF32 => self.unop(|b, x| b.ins().fpromote(F64, x)),
            O::I32ReinterpretF32 => self.unop(|b, x| b.ins().bitcast(I32, MemFlagsData::new(), x)),
            O::I64ReinterpretF64 => self.unop(|b, x| b.ins().bitcast(I64, MemFlagsData::new(), x)),
            O::F32ReinterpretI32 => self.unop(|b, x| b.ins().bitcast(F32, MemFlagsData::new(), x)),
            O::F64ReinterpretI64 => self.unop(|b, x| b.ins().bitcast(F64, MemFlagsData::new(), x)),

            // Everything else is SIMD or unsupported.
            other => return self.simd_operator(other),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::module;
    use tierup_abi::DefinedFuncIdx;

    #[test]
    fn only_small_innermost_loops_without_calls_are_unrolled() {
        let big_body = "(local.set 0 (i32.add (local.get 0) (i32.const 1)))".repeat(8);
        let info = module(&format!(
            r#"(module
              (func $f)
              (func (param i32)
                (loop $outer                           ;; has a loop inside: kept
                  (loop $inner                         ;; small and innermost: unrolled
                    (br_if $inner (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
                  (br_if $outer (local.get 0)))
                (loop $calls (call $f) (br_if $calls (local.get 0)))  ;; a call: kept
                (loop $big {big_body} (br_if $big (local.get 0)))     ;; 35 operators: kept
                (loop $tiny (br_if $tiny (local.get 0)))))"#
        ));
        let body = info.body(DefinedFuncIdx(1));
        let loops = {
            let mut ops = body.get_operators_reader().unwrap();
            let mut offsets = Vec::new();
            while !ops.eof() {
                let at = ops.original_position() as u32;
                if let Operator::Loop { .. } = ops.read().unwrap() {
                    offsets.push(at);
                }
            }
            offsets
        };
        assert_eq!(loops.len(), 5);
        assert_eq!(
            loop_plan(&body, 2, true).unwrap().unroll,
            [loops[1], loops[4]]
        );
        assert_eq!(
            loop_plan(&body, 8, true).unwrap().unroll,
            [loops[1], loops[4]]
        );
        assert!(loop_plan(&body, 1, true).unwrap().unroll.is_empty());
    }

    #[test]
    fn counted_loops_are_strip_mined() {
        let info = module(
            r#"(module
              (global $g (mut i32) (i32.const 0))
              (func $f)
              (func (param $k i32) (param $n i32)
                (loop $lt_u     ;; 0: the pattern
                  (br_if $lt_u (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
                (loop $lt_s     ;; 1: signed, against a constant
                  (global.set $g (local.get $k))
                  (br_if $lt_s (i32.lt_s (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 10))))
                (loop $ne       ;; 2: i32.ne
                  (br_if $ne (i32.ne (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
                (loop $step2    ;; 3: a step of 2
                  (br_if $step2 (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 2))) (local.get $n))))
                (loop $reset    ;; 4: the counter written elsewhere
                  (local.set $k (i32.const 0))
                  (br_if $reset (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
                (loop $moving   ;; 5: the bound written inside
                  (local.set $n (i32.add (local.get $n) (i32.const 1)))
                  (br_if $moving (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
                (loop $gt       ;; 6: another comparison
                  (br_if $gt (i32.gt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
                (block $out     ;; 7: the br_if leaves a block, not the loop
                  (loop $l
                    (br_if $out (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n)))))
                (loop $outer    ;; 8: not innermost; 9: its inner loop is
                  (loop $inner
                    (br_if $inner (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
                  (br_if $outer (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (i32.const 5))))
                (loop $swapped  ;; 10: clang's i32.ne
                  (br_if $swapped (i32.ne (local.get $n) (local.tee $k (i32.add (local.get $k) (i32.const 1))))))
                (loop $swapped_lt ;; 11: bound < counter is another loop
                  (br_if $swapped_lt (i32.lt_u (local.get $n) (local.tee $k (i32.add (local.get $k) (i32.const 1))))))
                (loop $down     ;; 12: a countdown
                  (global.set $g (local.get $k))
                  (br_if $down (local.tee $k (i32.add (local.get $k) (i32.const -1)))))
                (loop $calls    ;; 13: a call inside
                  (call $f)
                  (br_if $calls (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
                (loop $down2    ;; 14: a countdown by two
                  (global.set $g (local.get $k))
                  (br_if $down2 (local.tee $k (i32.add (local.get $k) (i32.const -2)))))))"#,
        );
        let body = info.body(DefinedFuncIdx(1));
        let mut loops = Vec::new();
        let mut ops = body.get_operators_reader().unwrap();
        while !ops.eof() {
            let at = ops.original_position() as u32;
            if let Operator::Loop { .. } = ops.read().unwrap() {
                loops.push(at);
            }
        }
        let plan = loop_plan(&body, 1, true).unwrap();
        assert!(plan.unroll.is_empty());
        let stripped: Vec<(usize, StripCmp, StripBound)> = plan
            .strips
            .iter()
            .map(|s| {
                let i = loops.iter().position(|&l| l == s.loop_at).unwrap();
                assert_eq!(s.counter, 0, "loop {i}");
                (i, s.cmp, s.bound)
            })
            .collect();
        assert_eq!(
            stripped,
            [
                (0, StripCmp::LtU, StripBound::Local(1)),
                (1, StripCmp::LtS, StripBound::Const(10)),
                (2, StripCmp::Ne, StripBound::Local(1)),
                (9, StripCmp::LtU, StripBound::Local(1)),
                (10, StripCmp::Ne, StripBound::Local(1)),
                (12, StripCmp::DownToZero, StripBound::Const(0)),
            ]
        );
    }
}
