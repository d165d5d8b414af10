//! Pinned loop regions: which loops keep which slots in registers across their back-edges.
//!
//! A *region* is an innermost loop's code from its header to its last back-edge: the loop
//! header bytecode index `header` and the index `end` of the last branch back to it, with no
//! other loop header in between. A region qualifies when the only edges into it are the
//! fall-through into its header, its OSR entry and branches from inside it (always so for
//! bytecode translated from structured wasm; checked, not assumed). In a qualifying region,
//! the loop-carried slots (read before they are written, in bytecode order), then the slots
//! it only reads (loop invariants), then the others, each group by how much the region uses
//! them (reads and writes, counted once per instruction operand), are *pinned* (but none at
//! or above a call's arguments, which the callee's frame clobbers), scalars and `v128`s (told apart by the instructions writing them) separately:
//! the masm keeps each in a register of its own at every label of the region
//! (`Masm::enter_region` / `Masm::restore_pins`), so a loop-carried value is a register operand
//! at the top of every iteration instead of a load, and its stores are deferred to the points
//! where the frame must be exact (see the masm's module docs, "Pinned loop regions and
//! deferred stores"). The choice only affects speed: any choice is correct.
//!
//! The analysis is linear: one pass over the branches, one over the instructions of the
//! regions (which are disjoint), with a slot-indexed counter reused across regions.

use tierup_abi::ValType;
use tierup_interp::{CompiledFunc, Instr};

use super::branch_target;
use crate::masm::{MAX_PINS, MAX_V128_PINS};

/// A pinned loop region (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Region {
    /// Bytecode index of the loop header.
    pub(super) header: u32,
    /// Bytecode index of the last back-edge to `header`.
    pub(super) end: u32,
    /// The scalar slots to keep in general-purpose registers, carried and most used first (at most
    /// [`MAX_PINS`]).
    pub(super) slots: Vec<u32>,
    /// The `v128` slots (the first of each pair) to keep in SSE registers, most used first
    /// (at most [`MAX_V128_PINS`]).
    pub(super) v128_slots: Vec<u32>,
    /// The pinned slots (of both kinds) no instruction of the region writes (nor a call's
    /// callee): their pins are never dirty, so calls and exits need not store them.
    pub(super) read_only: Vec<u32>,
}

impl Region {
    /// Whether bytecode index `i` lies in the region.
    pub(super) fn contains(&self, i: usize) -> bool {
        (self.header as usize..=self.end as usize).contains(&i)
    }
}

/// The pinned regions of `func`, in bytecode order (each with at least one pinned slot).
///
/// `params`: the function's parameter types (they tell the shape of the parameter slots,
/// which no instruction writes).
pub(super) fn loop_regions(func: &CompiledFunc, params: &[ValType]) -> Vec<Region> {
    let code = &func.code;
    // The last back-edge of every loop header: every `(header, back-edge)` pair, sorted, then
    // one per header (sorting keeps this O(n log n) however many loops there are).
    let mut ends: Vec<(u32, u32)> = code
        .iter()
        .enumerate()
        .filter_map(|(i, instr)| {
            let offset = instr.branch_offset().filter(|&o| o <= 0)?;
            Some((branch_target(i, offset) as u32, i as u32))
        })
        .collect();
    ends.sort_unstable();
    ends.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 = later.1;
        }
        same
    });
    // Innermost loops: no other header inside (headers are sorted, so only the next one can be).
    let mut regions: Vec<Region> = Vec::new();
    for (k, &(header, end)) in ends.iter().enumerate() {
        if ends.get(k + 1).is_none_or(|&(next, _)| next > end) {
            regions.push(Region {
                header,
                end,
                slots: Vec::new(),
                v128_slots: Vec::new(),
                read_only: Vec::new(),
            });
        }
    }
    if regions.is_empty() {
        return regions;
    }
    // Drop the regions some edge enters from outside (anywhere but the fall-through into
    // the header).
    let mut entered = vec![false; regions.len()];
    let mut edge = |from: usize, to: usize| {
        let k = regions.partition_point(|r| r.header as usize <= to);
        if let Some(k) = k.checked_sub(1)
            && regions[k].contains(to)
            && !regions[k].contains(from)
        {
            entered[k] = true;
        }
    };
    for (i, instr) in code.iter().enumerate() {
        if let Some(offset) = instr.branch_offset() {
            edge(i, branch_target(i, offset));
        }
        if let Instr::BrTable { len, .. } = *instr {
            for k in 0..=len as usize {
                edge(i, i + 1 + k);
            }
        }
    }
    // The shapes each slot has anywhere in the function (its writes, and the parameters'
    // types): the shape of a slot a region reads but does not write.
    let size = func.frame_size as usize;
    let (mut any_v128, mut any_scalar) = (vec![false; size], vec![false; size]);
    let mut slot = 0usize;
    for &ty in params {
        let (flags, span) = match ty {
            ValType::V128 => (&mut any_v128, 2),
            _ => (&mut any_scalar, 1),
        };
        if let Some(flag) = flags.get_mut(slot) {
            *flag = true;
        }
        slot += span;
    }
    for instr in code.iter() {
        let v128 = writes_v128(instr);
        let mut instr = *instr;
        if let Some(&mut dst) = instr.dst_mut() {
            let flags = if v128 { &mut any_v128 } else { &mut any_scalar };
            if let Some(flag) = flags.get_mut(dst as usize) {
                *flag = true;
            }
        }
    }
    // Count the uses of each slot in each region and keep the most used.
    let mut counts = vec![0u32; func.frame_size as usize];
    let mut is_v128 = vec![false; func.frame_size as usize];
    let mut is_scalar = vec![false; func.frame_size as usize];
    // Whether a slot's first access in the region (in bytecode order) is a read: written in
    // the region too, its value is carried from one iteration to the next.
    let mut first_read = vec![false; func.frame_size as usize];
    // Each touched slot's rank: 2 carried, 1 only read, 0 written before it is read.
    let mut rank = vec![0u8; func.frame_size as usize];
    let mut touched: Vec<u32> = Vec::new();
    let mut out = Vec::with_capacity(regions.len());
    for (region, entered) in regions.into_iter().zip(entered) {
        if entered {
            continue;
        }
        let mut count = |slot: u32, read: bool| {
            if let Some(c) = counts.get_mut(slot as usize) {
                if *c == 0 {
                    touched.push(slot);
                    first_read[slot as usize] = read;
                }
                *c += 1;
            }
        };
        for instr in &code[region.header as usize..=region.end as usize] {
            let mut instr = *instr;
            for_each_read(&instr, &mut |slot| count(slot, true));
            let v128 = writes_v128(&instr);
            // The loop-counter fusions (`IncBr…`, `AddBrIf…`) write their `lhs` too.
            let written = instr.dst_mut().copied().or_else(|| incremented(&instr));
            if let Some(dst) = written {
                count(dst, false);
                let shape = if v128 { &mut is_v128 } else { &mut is_scalar };
                if let Some(flag) = shape.get_mut(dst as usize) {
                    *flag = true;
                }
            }
        }
        // Loop-carried slots first: kept in memory, each iteration's value goes through a
        // store and a reload on the loop's critical path.
        // Then the slots the region only reads (each read is a load otherwise), then the
        // others (temporaries, written before they are read: their pins save little).
        // (From here on, `first_read` says whether a slot is carried.)
        for &slot in &touched {
            let s = slot as usize;
            rank[s] = match (first_read[s], is_v128[s] || is_scalar[s]) {
                (true, true) => 2,
                (true, false) => 1,
                _ => 0,
            };
        }
        for &slot in &touched {
            let s = slot as usize;
            first_read[s] &= is_v128[s] || is_scalar[s];
        }
        // A slot the region only reads takes the shape the function gives it (a `v128`
        // pinned as a scalar would be reloaded across a narrower store: see below); one
        // with both shapes there is not pinned.
        for &slot in &touched {
            let s = slot as usize;
            if !is_v128[s] && !is_scalar[s] {
                match (any_v128[s], any_scalar[s]) {
                    (true, false) => is_v128[s] = true,
                    (true, true) => {
                        is_v128[s] = true;
                        is_scalar[s] = true;
                    }
                    _ => {}
                }
            }
        }
        // A slot the region writes in both shapes (a temporary reused for a `v128` and a
        // scalar, or two `v128`s overlapping by one slot) is not pinned: reloading such a pin
        // reads a `v128` across two narrower stores, which the CPU cannot forward (a stall
        // of a dozen cycles at every iteration).
        let flag = |flags: &[bool], slot: u32| flags.get(slot as usize).copied().unwrap_or(false);
        let mixed = |slot: u32, v128: bool| {
            let before = slot.checked_sub(1).is_some_and(|s| flag(&is_v128, s));
            if v128 {
                before
                    || flag(&is_scalar, slot)
                    || flag(&is_scalar, slot + 1)
                    || flag(&is_v128, slot + 1)
            } else {
                before || flag(&is_v128, slot)
            }
        };
        // A call's callee frame starts at its arguments: those slots and all above are
        // clobbered by every call, so pinning them only adds stores and reloads (a register
        // call takes its arguments from registers anyway).
        let clobbered = code[region.header as usize..=region.end as usize]
            .iter()
            .filter_map(|instr| match *instr {
                Instr::Call { args, .. } | Instr::CallIndirect { args, .. } => Some(args),
                _ => None,
            })
            .min()
            .unwrap_or(u32::MAX);
        let mut used: Vec<(u8, u32, u32, bool)> = touched
            .iter()
            .map(|&slot| (slot, flag(&is_v128, slot)))
            .filter(|&(slot, v128)| !mixed(slot, v128))
            .filter(|&(slot, v128)| slot + u32::from(v128) < clobbered)
            .map(|(slot, v128)| (rank[slot as usize], counts[slot as usize], slot, v128))
            .collect();
        for slot in touched.drain(..) {
            counts[slot as usize] = 0;
            is_v128[slot as usize] = false;
            is_scalar[slot as usize] = false;
            first_read[slot as usize] = false;
            rank[slot as usize] = 0;
        }
        used.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        let pick = |v128: bool, max: usize| -> Vec<u32> {
            used.iter()
                .filter(|u| u.3 == v128)
                .take(max)
                .map(|u| u.2)
                .collect()
        };
        let (slots, v128_slots) = (pick(false, MAX_PINS), pick(true, MAX_V128_PINS));
        if !slots.is_empty() || !v128_slots.is_empty() {
            let code = &code[region.header as usize..=region.end as usize];
            let read_only = slots
                .iter()
                .map(|&slot| (slot, 1))
                .chain(v128_slots.iter().map(|&slot| (slot, 2)))
                .filter(|&(slot, span)| !writes_any(code, slot, span))
                .map(|(slot, _)| slot)
                .collect();
            out.push(Region {
                slots,
                v128_slots,
                read_only,
                ..region
            });
        }
    }
    out
}

/// Whether an instruction of `code` may write one of the slots `slot..slot + span`: as its
/// destination (two slots for a `v128` result or a `Copy2`), as a loop counter it
/// increments, or as a call's callee frame (every slot from its arguments on).
fn writes_any(code: &[Instr], slot: u32, span: u32) -> bool {
    let end = slot + span;
    code.iter().any(|instr| {
        let mut instr = *instr;
        match instr {
            Instr::Call { args, .. } | Instr::CallIndirect { args, .. } => return args < end,
            _ => {}
        }
        let width = if matches!(instr, Instr::Copy2 { .. }) || writes_v128(&instr) {
            2
        } else {
            1
        };
        let written = instr.dst_mut().copied().or_else(|| incremented(&instr));
        written.is_some_and(|dst| dst < end && slot < dst + width)
    })
}

/// The slot a loop-counter fusion (`IncBr…`, `AddBrIf…`, see `tierup_interp::Instr`)
/// increments: its `lhs`.
fn incremented(instr: &Instr) -> Option<u32> {
    match *instr {
        Instr::AddBrIfI32Ne { lhs, .. }
        | Instr::AddBrIfI32LtS { lhs, .. }
        | Instr::AddBrIfI32LtU { lhs, .. }
        | Instr::AddBrIfI32NeImm { lhs, .. }
        | Instr::AddBrIfI32LtSImm { lhs, .. }
        | Instr::AddBrIfI32LtUImm { lhs, .. } => return Some(lhs),
        _ => {}
    }
    if !instr.opcode().name().starts_with("IncBr") {
        return None;
    }
    let mut lhs = None;
    for_each_read(instr, &mut |slot| {
        lhs.get_or_insert(slot);
    });
    lhs
}

/// Whether `instr`'s result (if any) is a `v128`, by the instruction list's names: the
/// `V128…` and `…128` instructions and the lane-shaped ones (`I32x4Add`, …), but those that
/// reduce a vector to a scalar.
pub(super) fn writes_v128(instr: &Instr) -> bool {
    let name = instr.opcode().name();
    let vector = name.starts_with("V128")
        || name.ends_with("128")
        || ["I8x16", "I16x8", "I32x4", "I64x2", "F32x4", "F64x2"]
            .iter()
            .any(|shape| name.starts_with(shape));
    vector
        && !["ExtractLane", "AllTrue", "AnyTrue", "Bitmask"]
            .iter()
            .any(|scalar| name.contains(scalar))
}

/// Generates [`for_each_read`] from the instruction list: by the list's naming rules, fields
/// called `lhs`, `rhs`, `src`, `addr`, `index` and `by` are slots read. (A heuristic's input: a slot
/// missed or counted wrongly only makes pinning choose worse, never wrong.)
macro_rules! define_for_each_read {
    ({ $($scalar:tt)* } simd { $($simd:tt)* }) => {
        define_for_each_read!(@all $($scalar)* $($simd)*);
    };
    (@all $(
        $(#[doc = $doc:literal])*
        $name:ident { $( $(@$marked:ident)? $($plain:ident)? : $ty:ty ),* }
        $( $relation:ident($related:ident) )*
        ;
    )*) => {
        /// Calls `f` with each slot `instr` reads (see [`define_for_each_read`]).
        pub(super) fn for_each_read(instr: &Instr, f: &mut impl FnMut(u32)) {
            for_each_operand(instr, &mut |slot, _| f(slot));
        }

        /// Calls `f` with each slot `instr` reads and whether it is a scalar for sure (an
        /// `addr` or `index`; `lhs`, `rhs` and `src` may be `v128`s).
        #[allow(unused_variables, reason = "each arm binds every field but uses few")]
        pub(super) fn for_each_operand(instr: &Instr, f: &mut impl FnMut(u32, bool)) {
            match *instr {
                $( Instr::$name { $( $($marked)? $($plain)? ),* } => {
                    $( read_field!(f; $($marked $marked)? $($plain $plain)?); )*
                } )*
            }
        }
    };
}

/// `read_field!(f; name name)`: `f(name, scalar)` when the field `name` is a slot read.
macro_rules! read_field {
    ($f:ident; lhs $x:ident) => {
        $f($x, false)
    };
    ($f:ident; rhs $x:ident) => {
        $f($x, false)
    };
    ($f:ident; src $x:ident) => {
        $f($x, false)
    };
    ($f:ident; addr $x:ident) => {
        $f($x, true)
    };
    ($f:ident; index $x:ident) => {
        $f($x, true)
    };
    // An `AddBrIf…`'s step, a narrow slot (a scalar).
    ($f:ident; by $x:ident) => {
        $f(u32::from($x), true)
    };
    ($f:ident; $other:ident $x:ident) => {
        ()
    };
}

tierup_interp::for_each_instr!(define_for_each_read);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_follow_the_naming_rules() {
        let mut seen = Vec::new();
        for_each_read(
            &Instr::I32Add {
                dst: 1,
                lhs: 2,
                rhs: 3,
            },
            &mut |s| seen.push(s),
        );
        for_each_read(&Instr::BrIfNez { src: 4, offset: -1 }, &mut |s| {
            seen.push(s)
        });
        for_each_read(
            &Instr::I32AddImm {
                dst: 5,
                lhs: 6,
                imm: 7,
            },
            &mut |s| seen.push(s),
        );
        assert_eq!(seen, [2, 3, 4, 6]);
    }

    #[test]
    fn writes_count_destinations_counters_and_callee_frames() {
        let code = [
            Instr::I32x4Add {
                dst: 4,
                lhs: 0,
                rhs: 2,
            },
            Instr::Call { func: 0, args: 8 },
            Instr::IncBrIfI32LtU {
                step: 1,
                lhs: 6,
                rhs: 7,
                offset: -2,
            },
        ];
        assert!(writes_any(&code, 4, 2), "the v128 destination");
        assert!(writes_any(&code, 3, 2), "a v128 overlapping it");
        assert!(writes_any(&code, 5, 1), "its upper slot");
        assert!(writes_any(&code, 6, 1), "the loop counter");
        assert!(writes_any(&code, 9, 1), "the callee's frame");
        assert!(!writes_any(&code, 0, 2), "read only");
        assert!(
            !writes_any(&code, 7, 1),
            "read only, below the call's frame"
        );
    }

    #[test]
    fn loop_counter_fusions_write_their_lhs() {
        let inc = Instr::IncBrIfI32LtU {
            step: 1,
            lhs: 3,
            rhs: 0,
            offset: -7,
        };
        assert_eq!(incremented(&inc), Some(3));
        let plain = Instr::BrIfI32LtU {
            lhs: 3,
            rhs: 0,
            offset: -7,
        };
        assert_eq!(incremented(&plain), None);
    }

    #[test]
    fn v128_results_are_told_apart() {
        let add = Instr::F32x4Add {
            dst: 0,
            lhs: 2,
            rhs: 4,
        };
        assert!(writes_v128(&add));
        let lane = Instr::F32x4ExtractLane {
            dst: 0,
            src: 2,
            lane: 1,
        };
        assert!(!writes_v128(&lane));
        let scalar = Instr::I32Add {
            dst: 0,
            lhs: 1,
            rhs: 2,
        };
        assert!(!writes_v128(&scalar));
    }
}
