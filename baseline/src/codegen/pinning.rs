//! Pinned loop regions: which loops keep which slots in registers across their back-edges.
//!
//! A *region* is an innermost loop's code from its header to its last back-edge: the loop
//! header bytecode index `header` and the index `end` of the last branch back to it, with no
//! other loop header in between. A region qualifies when the only edges into it are the
//! fall-through into its header, its OSR entry and branches from inside it (always so for
//! bytecode translated from structured wasm; checked, not assumed). In a qualifying region,
//! the slots the region uses most (reads and writes, counted once per instruction operand)
//! are *pinned*: the masm keeps each in a register of its own at every label of the region
//! (`Masm::set_pins` / `Masm::restore_pins`), so a loop-carried value is a register operand
//! at the top of every iteration instead of a load. Pinning changes no slot's contents: every
//! result is still written through to its slot, so the frame is exact wherever the code may
//! leave or be observed, and forgetting a pin is always safe.
//!
//! The analysis is linear: one pass over the branches, one over the instructions of the
//! regions (which are disjoint), with a slot-indexed counter reused across regions.

use tierup_interp::{CompiledFunc, Instr};

use super::branch_target;
use crate::masm::MAX_PINS;

/// A pinned loop region (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Region {
    /// Bytecode index of the loop header.
    pub(super) header: u32,
    /// Bytecode index of the last back-edge to `header`.
    pub(super) end: u32,
    /// The slots to keep in registers, most used first (at most [`MAX_PINS`]).
    pub(super) slots: Vec<u32>,
}

impl Region {
    /// Whether bytecode index `i` lies in the region.
    pub(super) fn contains(&self, i: usize) -> bool {
        (self.header as usize..=self.end as usize).contains(&i)
    }
}

/// The pinned regions of `func`, in bytecode order (each with at least one pinned slot).
pub(super) fn loop_regions(func: &CompiledFunc) -> Vec<Region> {
    let code = &func.code;
    // The last back-edge of every loop header.
    let mut ends: Vec<(u32, u32)> = Vec::new();
    for (i, instr) in code.iter().enumerate() {
        if let Some(offset) = instr.branch_offset()
            && offset <= 0
        {
            let header = branch_target(i, offset) as u32;
            match ends.iter_mut().find(|(h, _)| *h == header) {
                Some((_, end)) => *end = (*end).max(i as u32),
                None => ends.push((header, i as u32)),
            }
        }
    }
    ends.sort_unstable();
    // Innermost loops: no other header inside (headers are sorted, so only the next one can be).
    let mut regions: Vec<Region> = Vec::new();
    for (k, &(header, end)) in ends.iter().enumerate() {
        if ends.get(k + 1).is_none_or(|&(next, _)| next > end) {
            regions.push(Region {
                header,
                end,
                slots: Vec::new(),
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
    // Count the uses of each slot in each region and keep the most used.
    let mut counts = vec![0u32; func.frame_size as usize];
    let mut touched: Vec<u32> = Vec::new();
    let mut out = Vec::with_capacity(regions.len());
    for (region, entered) in regions.into_iter().zip(entered) {
        if entered {
            continue;
        }
        let mut count = |slot: u32| {
            if let Some(c) = counts.get_mut(slot as usize) {
                if *c == 0 {
                    touched.push(slot);
                }
                *c += 1;
            }
        };
        for instr in &code[region.header as usize..=region.end as usize] {
            let mut instr = *instr;
            for_each_read(&instr, &mut count);
            if let Some(&mut dst) = instr.dst_mut() {
                count(dst);
            }
        }
        let mut used: Vec<(u32, u32)> = touched
            .drain(..)
            .map(|slot| (std::mem::take(&mut counts[slot as usize]), slot))
            .collect();
        used.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let slots: Vec<u32> = used.iter().take(MAX_PINS).map(|&(_, s)| s).collect();
        if !slots.is_empty() {
            out.push(Region { slots, ..region });
        }
    }
    out
}

/// Generates [`for_each_read`] from the instruction list: by the list's naming rules, fields
/// called `lhs`, `rhs`, `src`, `addr` and `index` are slots read. (A heuristic's input: a slot
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
        #[allow(unused_variables, reason = "each arm binds every field but uses few")]
        fn for_each_read(instr: &Instr, f: &mut impl FnMut(u32)) {
            match *instr {
                $( Instr::$name { $( $($marked)? $($plain)? ),* } => {
                    $( read_field!(f; $($marked $marked)? $($plain $plain)?); )*
                } )*
            }
        }
    };
}

/// `read_field!(f; name name)`: `f(name)` when the field `name` is a slot read.
macro_rules! read_field {
    ($f:ident; lhs $x:ident) => {
        $f($x)
    };
    ($f:ident; rhs $x:ident) => {
        $f($x)
    };
    ($f:ident; src $x:ident) => {
        $f($x)
    };
    ($f:ident; addr $x:ident) => {
        $f($x)
    };
    ($f:ident; index $x:ident) => {
        $f($x)
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
}
