//! On-stack replacement state: where a running activation can continue in a higher tier.
//!
//! - **Into baseline code**: the baseline compiler emits an entry per loop header that takes
//!   an interpreter frame at that header (same frame layout); [`LoopEntries`] maps bytecode
//!   indices of loop headers to those addresses.
//! - **Into optimized code**: once a function is optimized, an activation still looping in the
//!   interpreter or in baseline code asks for an entry at its loop. The first request queues
//!   one background compile of an OSR entry covering every loop of the function that can be
//!   entered (those with an empty operand stack at the header); [`OptOsrEntries`] records,
//!   per (function, loop), whether that entry is pending, published, or unavailable.

use std::collections::HashMap;

use parking_lot::Mutex;
use tierup_abi::DefinedFuncIdx;

use crate::jit::policy::OsrOutcome;

/// Entry points into one function's code at its loop headers, sorted by bytecode index.
#[derive(Debug)]
pub(crate) struct LoopEntries(Box<[(u32, usize)]>);

impl LoopEntries {
    /// The entries of code published at `base`, from `(loop header pc, code offset)` pairs
    /// in any order.
    pub(crate) fn new(entries: &[(u32, u32)], base: usize) -> LoopEntries {
        let mut entries: Box<[(u32, usize)]> = entries
            .iter()
            .map(|&(pc, offset)| (pc, base + offset as usize))
            .collect();
        entries.sort_unstable();
        LoopEntries(entries)
    }

    /// The entry for the loop header at bytecode index `pc`.
    pub(crate) fn get(&self, pc: u32) -> Option<usize> {
        let i = self.0.binary_search_by_key(&pc, |&(p, _)| p).ok()?;
        Some(self.0[i].1)
    }
}

/// The OSR entry into optimized code at one loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OptOsr {
    /// Queued or being compiled.
    Pending,
    /// Published at this address.
    Ready(usize),
    /// Not possible at this loop, or the compile failed.
    Unavailable,
}

/// The OSR entries into optimized code of a module's functions (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct OptOsrEntries {
    entries: Mutex<HashMap<(DefinedFuncIdx, u32), OptOsr>>,
}

impl OptOsrEntries {
    /// The entry at loop `pc` of `func`: `(outcome, address)` (the address when ready), or
    /// `None` when nobody asked for the function's entries yet. When `None`, `request` is
    /// called (under the lock, so only once per function) to queue the compile of the
    /// function's OSR entry; it returns the loops it covers, or `None` when it could not
    /// (nothing to enter, or the queue is full: a later request tries again).
    pub(crate) fn get_or_request(
        &self,
        func: DefinedFuncIdx,
        pc: u32,
        request: impl FnOnce() -> Option<Vec<u32>>,
    ) -> (OsrOutcome, usize) {
        let mut entries = self.entries.lock();
        let known = match entries.get(&(func, pc)) {
            Some(&known) => known,
            None => match request() {
                None => OptOsr::Unavailable,
                Some(loops) => {
                    for loop_pc in loops {
                        entries.insert((func, loop_pc), OptOsr::Pending);
                    }
                    *entries.entry((func, pc)).or_insert(OptOsr::Unavailable)
                }
            },
        };
        match known {
            OptOsr::Pending => (OsrOutcome::Pending, 0),
            OptOsr::Ready(entry) => (OsrOutcome::Ready, entry),
            OptOsr::Unavailable => (OsrOutcome::Unavailable, 0),
        }
    }

    /// Records the published entries of `func`'s loops (`(pc, address)`), or that they are
    /// unavailable (`Err`, with the loops).
    pub(crate) fn finish(&self, func: DefinedFuncIdx, result: Result<Vec<(u32, usize)>, &[u32]>) {
        let mut entries = self.entries.lock();
        match result {
            Ok(published) => {
                for (pc, entry) in published {
                    entries.insert((func, pc), OptOsr::Ready(entry));
                }
            }
            Err(loops) => {
                for &pc in loops {
                    entries.insert((func, pc), OptOsr::Unavailable);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_entries_are_found_whatever_order_they_came_in() {
        let entries = LoopEntries::new(&[(40, 0x300), (7, 0x100), (12, 0x200)], 0x10000);
        assert_eq!(entries.get(7), Some(0x10100));
        assert_eq!(entries.get(12), Some(0x10200));
        assert_eq!(entries.get(40), Some(0x10300));
        assert_eq!(entries.get(8), None);
    }

    #[test]
    fn one_request_per_function_then_pending_until_finished() {
        let osr = OptOsrEntries::default();
        let f = DefinedFuncIdx(3);
        let mut requests = 0;
        let mut request = || {
            requests += 1;
            Some(vec![5, 9])
        };
        assert_eq!(
            osr.get_or_request(f, 5, &mut request),
            (OsrOutcome::Pending, 0)
        );
        assert_eq!(
            osr.get_or_request(f, 9, &mut request),
            (OsrOutcome::Pending, 0)
        );
        assert_eq!(requests, 1);
        osr.finish(f, Ok(vec![(5, 0x500), (9, 0x900)]));
        assert_eq!(
            osr.get_or_request(f, 9, || unreachable!()),
            (OsrOutcome::Ready, 0x900)
        );
        // A loop the compile does not cover is unavailable.
        assert_eq!(
            osr.get_or_request(DefinedFuncIdx(4), 1, || Some(vec![2])),
            (OsrOutcome::Unavailable, 0)
        );
        // A request that could not be made is retried later.
        assert_eq!(
            osr.get_or_request(DefinedFuncIdx(5), 1, || None),
            (OsrOutcome::Unavailable, 0)
        );
        assert_eq!(
            osr.get_or_request(DefinedFuncIdx(5), 1, || Some(vec![1])),
            (OsrOutcome::Pending, 0)
        );
    }
}
