//! Fuel metering and epoch interruption: the one definition every tier follows, so that a
//! metered or interrupted program stops at the same wasm instruction whatever tier runs it
//! (DESIGN.md §8a).
//!
//! # Fuel
//! Each wasm operator costs [`operator_cost`] units (Wasmtime's default cost model: `nop`,
//! `drop`, `block`, `loop`, `end` and `else` are free, everything else costs 1), so a fuel
//! budget means the same in tierup and in `wasmtime -W fuel=N`.
//!
//! Fuel is not charged one operator at a time: a function body is cut into **segments**, each
//! a straight run of operators that starts at a **charge point** and is paid for in full there:
//! - the function entry;
//! - right after every `loop` (the loop body's first segment: a branch back to the loop lands
//!   here, so every iteration pays again), `if` (the `then` arm), `else` (the `else` arm), and
//!   the `end` of every `loop` and `if`, and of every `block` that some branch targets (the code
//!   after it, where its branches land). The `end` of a `block` that nothing branches to is not
//!   a charge point: only the code before it falls through to it, so the segment runs on
//!   (compilers emit many such blocks; fewer segments mean cheaper metering).
//!
//! A segment's cost is the sum of its operators' costs up to the next charge point, leaving out
//! the operators that follow an unconditional transfer (`br`, `br_table`, `return`,
//! `unreachable`) and so can never run. `br_if` and calls do not end a segment: the operators
//! after them are paid for before the branch is taken or the callee runs. The segment costs are
//! computed once per function by [`FuelPlan::new`], a pass over the operators that every tier
//! uses; each tier then charges [`FuelPlan::entry_cost`] at its function entry and
//! [`FuelPlan::cost_after`] right after each charge point it translates.
//!
//! Charging a segment of cost `c` with `f` units left: if `f >= c`, `f -= c`; otherwise the
//! remaining fuel becomes 0 and execution traps with [`TrapCode::OutOfFuel`] before the
//! segment's first operator runs. The fuel lives in [`crate::StoreCtx::fuel`].
//!
//! # Epochs and interruption
//! Every tier checks the store's interrupt flag ([`crate::StoreCtx::interrupt`]) at function
//! entry and at loop headers (the baseline at the backward branch that reaches the header;
//! the interpreter at the backward branches where the function's hotness countdown crosses
//! zero, at least every 2^16 of them: see [`crate::hotness`]). A set flag is not a trap by itself: the tier calls the `attention`
//! libcall, which decides: an interrupt handle's request or an epoch deadline whose callback
//! traps ends execution with [`TrapCode::Interrupted`]; a callback that extends the deadline lets
//! execution continue. Epoch ticks set the flag of every store whose deadline they reach, so an
//! epoch check is the interrupt check: one byte compared with zero. (Optimized code of an
//! engine without epoch interruption traps on a set flag instead of calling `attention`: see
//! [`Instrumentation::epoch_interruption`].)
//!
//! [`TrapCode::OutOfFuel`]: crate::TrapCode::OutOfFuel
//! [`TrapCode::Interrupted`]: crate::TrapCode::Interrupted

use wasmparser::{BinaryReaderError, FunctionBody, Operator};

/// What the tiers add to compiled code beyond the wasm semantics. Part of
/// [`crate::ModuleInfo`], fixed when the module is compiled for an engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Instrumentation {
    /// Charge fuel at every charge point (see the module docs).
    pub consume_fuel: bool,
    /// The engine delivers epoch deadlines (through the interrupt flag). The interpreter and
    /// the baseline emit the same code either way; the optimizer's check calls the
    /// `attention` libcall on its slow path only with it (without it a set flag can only mean
    /// an interrupt request, and the check traps directly, keeping functions leaves).
    pub epoch_interruption: bool,
}

/// The fuel cost of one operator (Wasmtime's default cost model).
pub fn operator_cost(op: &Operator<'_>) -> u32 {
    match op {
        Operator::Nop
        | Operator::Drop
        | Operator::Block { .. }
        | Operator::Loop { .. }
        | Operator::End
        | Operator::Else => 0,
        _ => 1,
    }
}

/// Whether a new fuel segment may start right after `op` (the function's final `end` aside,
/// after which nothing follows; an `end` only when its block is a branch target, which
/// [`FuelPlan`] knows: a tier charges [`FuelPlan::cost_after`] after each such operator, and
/// it is 0 where no segment starts).
pub fn is_charge_point(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Loop { .. } | Operator::If { .. } | Operator::Else | Operator::End
    )
}

/// Whether the operators after `op` (up to the next `end` or `else` of the enclosing block)
/// can never run.
fn ends_reachable_code(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Br { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Unreachable
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
    )
}

/// The fuel each segment of one function body costs (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FuelPlan {
    entry: u32,
    /// `(module offset of the charge-point operator, cost of the segment after it)`, sorted by
    /// offset; segments of cost 0 are left out.
    segments: Vec<(u32, u32)>,
}

impl FuelPlan {
    /// The plan of `body`: one pass over its operators.
    ///
    /// # Errors
    /// If the body cannot be decoded (validation would have rejected it).
    pub fn new(body: &FunctionBody<'_>) -> Result<FuelPlan, BinaryReaderError> {
        let mut plan = FuelPlan::default();
        // Per open `block` (true), `loop` or `if` (false): whether a branch targets it yet.
        let mut frames: Vec<(bool, bool)> = Vec::new();
        let mut ops = body.get_operators_reader()?;
        // The charge point of the segment being counted (`None`: the entry).
        let mut opened_at: Option<u32> = None;
        let mut cost = 0u32;
        let mut live = true;
        let close = |plan: &mut FuelPlan, opened_at: Option<u32>, cost: u32| match opened_at {
            None => plan.entry = cost,
            Some(offset) if cost > 0 => plan.segments.push((offset, cost)),
            Some(_) => {}
        };
        while !ops.eof() {
            let offset = ops.original_position() as u32;
            let op = ops.read()?;
            if live {
                cost = cost.saturating_add(operator_cost(&op));
            }
            let mut target = |depth: u32| {
                if let Some(i) = frames.len().checked_sub(1 + depth as usize) {
                    frames[i].1 = true;
                }
            };
            match &op {
                Operator::Block { .. } => frames.push((true, false)),
                Operator::Loop { .. } | Operator::If { .. } => frames.push((false, false)),
                Operator::Br { relative_depth } | Operator::BrIf { relative_depth } => {
                    target(*relative_depth);
                }
                Operator::BrTable { targets } => {
                    target(targets.default());
                    for depth in targets.targets() {
                        target(depth?);
                    }
                }
                _ => {}
            }
            let untargeted_block_end =
                matches!(op, Operator::End) && matches!(frames.pop(), Some((true, false)));
            if is_charge_point(&op) && !untargeted_block_end {
                close(&mut plan, opened_at, cost);
                opened_at = Some(offset);
                cost = 0;
                live = true;
            } else if ends_reachable_code(&op) {
                live = false;
            }
        }
        // The function's final `end` opened an empty segment: nothing to record.
        debug_assert!(cost == 0);
        Ok(plan)
    }

    /// The fuel charged at the function's entry.
    pub fn entry_cost(&self) -> u32 {
        self.entry
    }

    /// The fuel charged right after the charge-point operator at module offset `offset`
    /// (0 for a segment that costs nothing, or for an offset that is not a charge point).
    pub fn cost_after(&self, offset: u32) -> u32 {
        self.segments
            .binary_search_by_key(&offset, |&(at, _)| at)
            .map_or(0, |i| self.segments[i].1)
    }

    /// Every non-empty segment after a charge point, as `(offset, cost)` in module order.
    pub fn segments(&self) -> &[(u32, u32)] {
        &self.segments
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan of the single function of `wat`, with the charge points' offsets replaced
    /// by the names of their operators (in order).
    fn plan(wat: &str) -> (u32, Vec<(String, u32)>) {
        let wasm = wat::parse_str(wat).expect("valid wat");
        let info = crate::ModuleInfo::parse(wasm).expect("valid module");
        let body = info.body(crate::DefinedFuncIdx(0));
        let plan = FuelPlan::new(&body).expect("decodes");
        let mut named = Vec::new();
        let mut ops = body.get_operators_reader().expect("operators");
        while !ops.eof() {
            let offset = ops.original_position() as u32;
            let op = ops.read().expect("operator");
            let cost = plan.cost_after(offset);
            if cost > 0 {
                let name = format!("{op:?}");
                let name = name
                    .split([' ', '{'])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                named.push((name, cost));
            }
        }
        assert_eq!(named.len(), plan.segments().len());
        (plan.entry_cost(), named)
    }

    #[test]
    fn straight_code_is_one_segment_paid_at_entry() {
        let (entry, rest) = plan(
            "(module (func (param i32) (result i32)
               (i32.add (local.get 0) (i32.const 1)) (nop) (drop (i32.const 2))))",
        );
        // local.get, i32.const, i32.add, i32.const = 4 (nop, drop, end free).
        assert_eq!(entry, 4);
        assert!(rest.is_empty());
    }

    #[test]
    fn loops_pay_per_iteration_and_blocks_split_at_end() {
        let (entry, rest) = plan(
            "(module (func (param i32)
               (i32.const 7) (drop)
               (block
                 (loop
                   (br_if 1 (i32.eqz (local.get 0)))
                   (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                   (br 0)))
               (call 1 (i32.const 3)))
             (func (param i32)))",
        );
        // i32.const = 1 before the block.
        assert_eq!(entry, 1);
        assert_eq!(
            rest,
            vec![
                // local.get, i32.eqz, br_if, local.get, i32.const, i32.sub, local.set, br
                ("Loop".to_string(), 8),
                // after the block: i32.const, call
                ("End".to_string(), 2),
            ]
        );
    }

    #[test]
    fn a_block_nothing_branches_to_does_not_end_its_segment() {
        let (entry, rest) = plan(
            "(module (func (param i32) (result i32)
               (block (drop (local.get 0)))
               (block $t (br_if $t (local.get 0)))
               (local.get 0)))",
        );
        // local.get (+ free drop), then into the next block: local.get, br_if.
        assert_eq!(entry, 3);
        // After the targeted block: local.get.
        assert_eq!(rest, vec![("End".to_string(), 1)]);
    }

    #[test]
    fn arms_of_an_if_are_segments_and_dead_code_is_free() {
        let (entry, rest) = plan(
            "(module (func (param i32) (result i32)
               (if (result i32) (local.get 0)
                 (then (return (i32.const 1)) (i32.const 99) (drop) (i32.const 2))
                 (else (i32.const 3)))
               (i32.const 4) (i32.add)))",
        );
        // local.get, if
        assert_eq!(entry, 2);
        assert_eq!(
            rest,
            vec![
                // then: i32.const, return (the rest is dead)
                ("If".to_string(), 2),
                // else: i32.const
                ("Else".to_string(), 1),
                // after: i32.const, i32.add
                ("End".to_string(), 2),
            ]
        );
    }
}
