//! Deferred result stores (as Liftoff's): which instructions may leave their results in
//! registers only, and which deferred results are dead where they would have to be stored.
//!
//! Between instructions of [`defers_results`] (integer and `v128` operations, loads and
//! stores, constants and copies: all their operands come through the register cache, and
//! they never branch but to a trap, nor call), the masm may keep a result in its cache
//! register without storing it (`Masm::set_deferring`): it stores it when the register is
//! taken for something else, and drops it unstored when its slot is overwritten first.
//! Before any other instruction, label or pinned-region boundary the frame must be exact
//! again: the visitor does the deferred stores there, but those of results that are dead at
//! that point ([`dead_at`]: no path from it reads the slot before overwriting it), those of
//! a register call's arguments (the call takes them from their registers) and, at a return,
//! those of everything but the results.
//!
//! The dead-slot search is bounded and conservative. It follows the successors of the
//! instructions whose slot accesses it knows, by the instruction list's naming rules:
//! those of [`defers_results`] (`lhs`, `rhs`, `src`, `addr` are read, a `v128` operation's
//! `lhs`, `rhs` and `src` as two slots; `dst` is written, two slots for a `v128` result),
//! the branches (`IncBr…` and `AddBrIf…` also write `lhs`), the returns (a `Return` reads the
//! results, the others write them from their operands) and the
//! calls (they read their arguments, leave the slots below alone and clobber those above:
//! the operands of a stack machine all lie below a call's arguments), and the instructions
//! with an `Extra` whose fields are immediates (a shuffle's lanes, a lane number) or
//! `bitselect`'s third operand. It counts any other instruction (float operations, tables
//! of branches, anything else with operands in an `Extra`) as reading every slot.
//!
//! Two more uses of the search: an instruction that overwrites one slot of a deferred
//! `v128` (a stack machine's next scalar taking the lower slot of a popped `v128`
//! temporary) drops it unstored when it does not read it and the other slot is dead
//! (`Codegen::drop_half_dead_v128s`), and a call in a pinned region skips the stores of the
//! pins that are dead after it (`Codegen::skip_dead_pin_stores`). A stale dead slot is never observed: traps end the
//! activation, and on-stack replacement at a loop header only carries its value into code
//! that overwrites it before reading it too.

use tierup_interp::Instr;

use super::branch_target;
use super::pinning::{for_each_operand, for_each_read, writes_v128};

/// How many instructions [`dead_at`] looks at before giving up (the slot is then live).
const SEARCH_BUDGET: usize = 64;

/// Whether the masm may defer the stores of `instr`'s results (see the module docs).
/// (`Extra` emits nothing.)
pub(super) fn defers_results(instr: &Instr) -> bool {
    let name = instr.opcode().name();
    integer(name)
        || vector(name)
        || matches!(name, "Const32" | "Const64" | "Copy" | "Copy2" | "Extra")
}

/// Whether the instruction called `name` is a `v128` operation (lane-wise, lanes, constants,
/// shuffles, copies, loads and stores: all inline SSE).
fn vector(name: &str) -> bool {
    ["V128", "I8x16", "I16x8", "I32x4", "I64x2", "F32x4", "F64x2"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
        || name == "Copy128"
}

/// Whether the instruction called `name` is a scalar integer operation, load or store (not
/// a lane operation, nor a conversion from or to floats).
fn integer(name: &str) -> bool {
    (name.starts_with("I32") || name.starts_with("I64"))
        && !name.starts_with("I32x")
        && !name.starts_with("I64x")
        && !["Trunc", "Reinterpret", "Atomic"]
            .iter()
            .any(|part| name.contains(part))
}

/// The slots `instr` (of [`defers_results`], or a branch) writes: `(first, count)`, two for
/// a `v128` result or a `Copy2`.
pub(super) fn written_slots(instr: &Instr) -> Option<(u32, u32)> {
    match *instr {
        Instr::Copy2 { dst, .. } => Some((dst, 2)),
        mut other => {
            let span = if vector(other.opcode().name()) && writes_v128(&other) {
                2
            } else {
                1
            };
            other.dst_mut().copied().map(|dst| (dst, span))
        }
    }
}

/// Calls `f` with every slot `instr` (of [`defers_results`]) may read: a `v128` operand's
/// two slots, and a `Copy2`'s second source slot (`Extra` operands are not seen).
pub(super) fn for_each_slot_read(instr: &Instr, f: &mut impl FnMut(u32)) {
    let v128 = vector(instr.opcode().name());
    operands(instr, &mut |s, scalar| {
        f(s);
        if v128 && !scalar {
            f(s + 1);
        }
    });
    if let Instr::Copy2 { src, .. } = *instr {
        f(src + 1);
    }
}

/// Whether `slot` (one slot, written by an instruction of [`defers_results`]) is dead at
/// bytecode index `at` of `code`: no path from there reads it before overwriting it, as far
/// as the search sees (see the module docs).
///
/// `results`: how many slots the function's results take (its returns read them);
/// `callee_params`: how many slots a call instruction's arguments take.
pub(super) fn dead_at(
    code: &[Instr],
    results: u32,
    callee_params: &dyn Fn(&Instr) -> Option<u32>,
    at: usize,
    slot: u32,
) -> bool {
    let mut stack = vec![at];
    let mut seen: Vec<usize> = Vec::new();
    while let Some(i) = stack.pop() {
        if seen.contains(&i) {
            continue;
        }
        if seen.len() == SEARCH_BUDGET {
            return false;
        }
        seen.push(i);
        let Some(instr) = code.get(i) else {
            return false;
        };
        let name = instr.opcode().name();
        if name.starts_with("Return") {
            // Reads its operands (`src`, `lo`, `hi`); nothing after it. A `Return` reads the
            // results where they are; the others write them (`ReturnSlot` and `ReturnImm`
            // the one result slot, `Return2` both), so those a path reaches them by are dead.
            let mut read = matches!(instr, Instr::Return {}) && slot < results;
            for_each_read(instr, &mut |s| read |= s == slot || s + 1 == slot);
            if let Instr::Return2 { lo, hi } = *instr {
                read |= [lo, hi].contains(&slot);
            }
            if read {
                return false;
            }
            continue;
        }
        // A call reads its arguments, and its callee's frame starts there: the caller's
        // slots below `args` it neither reads nor writes; those above the arguments it
        // clobbers (its locals and temporaries), so nothing live is kept there (a stack
        // machine's operands above a call's arguments do not exist). A `call_indirect`'s
        // `Extra` holds its table, not a slot.
        let call = match *instr {
            Instr::Call { args, .. } => Some((args, callee_params(instr), 1, None)),
            Instr::CallIndirect { index, args, .. } => {
                Some((args, callee_params(instr), 2, Some(index)))
            }
            _ => None,
        };
        if let Some((args, params, next, index)) = call {
            if index == Some(slot) {
                return false;
            }
            if slot < args {
                stack.push(i + next);
                continue;
            }
            match params {
                Some(params) if slot >= args + params => continue,
                _ => return false,
            }
        }
        let branch = (name.starts_with("Br") && name != "BrTable")
            || name.starts_with("IncBr")
            || name.starts_with("AddBrIf");
        // An instruction with operands in an `Extra` after it is modeled when the `Extra`
        // holds immediates only (a shuffle's lane indices, a lane number) or `bitselect`'s
        // third `v128` operand; no other (its reads are not counted), nor is the `Extra`.
        let (extra_read, next) = match code.get(i + 1) {
            Some(&Instr::Extra { a, .. }) => match extra_operands(name) {
                Some(ExtraOperands::Immediates) => (false, i + 2),
                Some(ExtraOperands::V128) => (slot == a || slot == a + 1, i + 2),
                None => return false,
            },
            _ => (false, i + 1),
        };
        if extra_read {
            return false;
        }
        let v128 = vector(name);
        if !(branch
            || v128
            || integer(name)
            || matches!(name, "Const32" | "Const64" | "Copy" | "Copy2"))
        {
            return false;
        }
        // A `v128` operand is two slots (a scalar one counted so is a harmless excess).
        let mut read = false;
        operands(instr, &mut |s, scalar| {
            read |= s == slot || (v128 && !scalar && s + 1 == slot);
        });
        if let Instr::Copy2 { src, .. } = *instr {
            read |= src + 1 == slot;
        }
        if read {
            return false;
        }
        if written_slots(instr).is_some_and(|(dst, span)| (dst..dst + span).contains(&slot)) {
            continue;
        }
        match instr.branch_offset() {
            Some(offset) => {
                stack.push(branch_target(i, offset));
                if !matches!(
                    name,
                    "Br" | "IncBr"
                        | "BrLoad8UBrTable"
                        | "BrLoad8UBrTableAcc"
                        | "IncBrLoad8UBrTable"
                ) {
                    stack.push(next);
                }
            }
            None => stack.push(next),
        }
    }
    true
}

/// [`for_each_operand`], but for `V128Const`, whose `index` is a constant's, not a slot.
fn operands(instr: &Instr, f: &mut impl FnMut(u32, bool)) {
    if !matches!(instr, Instr::V128Const { .. }) {
        for_each_operand(instr, f);
    }
}

/// What the `Extra` after an instruction holds, for the instructions [`dead_at`] models.
enum ExtraOperands {
    /// Immediates only (no slot).
    Immediates,
    /// `Extra.a` is a `v128` operand (read).
    V128,
}

/// What the `Extra` after the instruction called `name` holds, if [`dead_at`] models it.
fn extra_operands(name: &str) -> Option<ExtraOperands> {
    if name == "I8x16Shuffle"
        || name.ends_with("ReplaceLane")
        || (name.starts_with("V128Store") && name.ends_with("Lane"))
    {
        Some(ExtraOperands::Immediates)
    } else if name == "V128Bitselect" {
        Some(ExtraOperands::V128)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_overwritten_on_every_path_is_dead() {
        // 0: s5 = s0 + s1; 1: if s5 < s2 goto 0 (a loop); 2: s5 = 7; 3: return s5
        let code = [
            Instr::I32Add {
                dst: 5,
                lhs: 0,
                rhs: 1,
            },
            Instr::BrIfI32LtS {
                lhs: 5,
                rhs: 2,
                offset: -1,
            },
            Instr::Const32 { dst: 5, value: 7 },
            Instr::ReturnSlot { src: 5 },
        ];
        assert!(dead_at(&code, 1, &|_| None, 2, 5), "overwritten at once");
        assert!(!dead_at(&code, 1, &|_| None, 1, 5), "the branch reads it");
        assert!(!dead_at(&code, 1, &|_| None, 3, 5), "the return reads it");
        assert!(
            dead_at(&code, 1, &|_| None, 2, 0),
            "the return writes the result slot from s5"
        );
        assert!(
            dead_at(&code, 1, &|_| None, 2, 7),
            "the return reads nothing else"
        );
    }

    #[test]
    fn only_a_plain_return_reads_the_result_slots() {
        let plain = [Instr::Return {}];
        assert!(!dead_at(&plain, 2, &|_| None, 0, 0));
        assert!(!dead_at(&plain, 2, &|_| None, 0, 1));
        assert!(dead_at(&plain, 2, &|_| None, 0, 2));
        let own = [Instr::ReturnSlot { src: 0 }];
        assert!(
            !dead_at(&own, 1, &|_| None, 0, 0),
            "it returns slot 0 itself"
        );
        let imm = [Instr::ReturnImm { value: 3 }];
        assert!(dead_at(&imm, 1, &|_| None, 0, 0));
        let pair = [Instr::Return2 { lo: 3, hi: 1 }];
        assert!(dead_at(&pair, 2, &|_| None, 0, 0), "written from slot 3");
        assert!(!dead_at(&pair, 2, &|_| None, 0, 1), "read as `hi`");
        assert!(!dead_at(&pair, 2, &|_| None, 0, 3), "read as `lo`");
    }

    #[test]
    fn calls_leave_the_slots_below_their_arguments_alone() {
        let code = [
            Instr::Call { func: 0, args: 4 },
            Instr::Const32 { dst: 1, value: 0 },
            Instr::ReturnSlot { src: 4 },
        ];
        let params = |_: &Instr| Some(2);
        assert!(
            dead_at(&code, 1, &params, 0, 1),
            "overwritten after the call"
        );
        assert!(!dead_at(&code, 1, &params, 0, 4), "an argument");
        assert!(!dead_at(&code, 1, &params, 0, 5), "an argument");
        assert!(dead_at(&code, 1, &params, 0, 7), "clobbered by the callee");
        assert!(!dead_at(&code, 1, &|_| None, 0, 7), "unknown arguments");
    }

    #[test]
    fn copy2_reads_and_writes_two_slots() {
        let code = [
            Instr::Copy2 { dst: 8, src: 5 },
            Instr::Const32 { dst: 6, value: 0 },
            Instr::Const32 { dst: 9, value: 0 },
            Instr::Trap {
                code: tierup_abi::TrapCode::Unreachable,
            },
        ];
        assert!(
            !dead_at(&code, 1, &|_| None, 0, 6),
            "read as the second source slot"
        );
        assert!(
            dead_at(&code, 1, &|_| None, 0, 9),
            "written as the second destination slot"
        );
    }

    #[test]
    fn shuffles_and_bitselects_are_modeled_with_their_extra() {
        // 0: s4 = shuffle(s0, s2) [lanes in the Extra]; 2: s6 = bitselect(s4, s0, s8)
        // [s8 in the Extra]; 4: v128.const (its index is no slot); 5: return.
        let code = [
            Instr::I8x16Shuffle {
                dst: 4,
                lhs: 0,
                rhs: 2,
            },
            Instr::Extra { a: 12, b: 0, c: 0 },
            Instr::V128Bitselect {
                dst: 6,
                lhs: 4,
                rhs: 0,
            },
            Instr::Extra { a: 8, b: 0, c: 0 },
            Instr::V128Const { dst: 10, index: 12 },
            Instr::Return {},
        ];
        assert!(dead_at(&code, 0, &|_| None, 0, 4), "the shuffle writes it");
        assert!(!dead_at(&code, 0, &|_| None, 0, 1), "the shuffle reads it");
        assert!(
            !dead_at(&code, 0, &|_| None, 2, 8),
            "the bitselect's Extra operand"
        );
        assert!(!dead_at(&code, 0, &|_| None, 2, 9), "its upper slot");
        assert!(
            dead_at(&code, 0, &|_| None, 0, 12),
            "neither the Extra's immediates nor a constant's index are slots"
        );
        let lane_store = [
            Instr::V128Store8Lane {
                addr: 0,
                src: 2,
                offset: 0,
            },
            Instr::Extra { a: 5, b: 0, c: 0 },
            Instr::Return {},
        ];
        assert!(dead_at(&lane_store, 0, &|_| None, 0, 5), "a lane number");
        assert!(!dead_at(&lane_store, 0, &|_| None, 0, 3), "the stored v128");
    }

    #[test]
    fn written_slots_span_v128_results_and_copy2() {
        assert_eq!(
            written_slots(&Instr::I32x4Add {
                dst: 3,
                lhs: 0,
                rhs: 1
            }),
            Some((3, 2))
        );
        assert_eq!(
            written_slots(&Instr::Copy2 { dst: 5, src: 1 }),
            Some((5, 2))
        );
        assert_eq!(
            written_slots(&Instr::I32ShlImm {
                dst: 5,
                lhs: 0,
                imm: 4
            }),
            Some((5, 1))
        );
        assert_eq!(written_slots(&Instr::Return {}), None);
    }

    #[test]
    fn integer_and_vector_operations_defer() {
        assert!(defers_results(&Instr::I32Add {
            dst: 0,
            lhs: 1,
            rhs: 2
        }));
        assert!(defers_results(&Instr::I32x4Add {
            dst: 0,
            lhs: 2,
            rhs: 4
        }));
        assert!(!defers_results(&Instr::I32TruncF32S { dst: 0, src: 1 }));
        assert!(!defers_results(&Instr::Return {}));
    }
}
