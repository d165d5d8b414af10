//! [`CodeTable`]: the module's code table (DESIGN.md §4), and the only place that publishes
//! code.
//!
//! One entry per defined function: the address every call goes through (the tier ABI,
//! `extern "sysv64" fn(vmctx, fp)`). It starts at the function's interpreter stub (or 0 when
//! the engine runs no machine code) and is replaced, by [`CodeTable::publish`], with baseline
//! code and then optimized code. Beside it, each optimized function gets a native entry
//! ([`CodeTable::publish_native`]: arguments and results in registers) that baseline and
//! optimized callers use, directly and through function references (`VmFuncRef::native`
//! points at the function's native-entry cell, [`CodeTable::native_cell`]); 0 until published.
//! Baseline code of a type that fits registers and without loops has a native entry too
//! (`tierup_baseline::BaselineCode::native_entry`), published unless the cell is set already
//! ([`CodeTable::publish_native_if_unset`]); optimized code replaces it.
//!
//! Publishing is one `Release` store of an address whose code was written to fresh memory and
//! is executable already (`CodeArena::publish`); readers load with `Acquire` (or, in machine
//! code, a plain load, which is as strong on x86-64). Entries are never rewritten in place in
//! any other way, and replaced code is never freed while the module lives, so an activation
//! still running old code finishes there safely.

use std::sync::atomic::{AtomicUsize, Ordering};

use tierup_abi::DefinedFuncIdx;

/// The code table of one module (see the module docs).
#[derive(Debug)]
pub(crate) struct CodeTable {
    entries: Box<[AtomicUsize]>,
    native: Box<[AtomicUsize]>,
}

impl CodeTable {
    /// A table of `defined` entries, entry `f` starting at `initial(f)`.
    pub(crate) fn new(defined: u32, initial: impl Fn(DefinedFuncIdx) -> usize) -> CodeTable {
        CodeTable {
            entries: (0..defined)
                .map(|f| AtomicUsize::new(initial(DefinedFuncIdx(f))))
                .collect(),
            native: (0..defined).map(|_| AtomicUsize::new(0)).collect(),
        }
    }

    /// Makes `code` the entry of `func`: the next call of `func`, from any thread, runs it.
    pub(crate) fn publish(&self, func: DefinedFuncIdx, code: usize) {
        self.entries[func.index()].store(code, Ordering::Release);
    }

    /// Makes `code` the native entry of optimized function `func`.
    pub(crate) fn publish_native(&self, func: DefinedFuncIdx, code: usize) {
        self.native[func.index()].store(code, Ordering::Release);
    }

    /// Makes `code` the native entry of baseline function `func` unless it has one already
    /// (its optimized code's, published by a worker meanwhile, which must win).
    pub(crate) fn publish_native_if_unset(&self, func: DefinedFuncIdx, code: usize) {
        let _ = self.native[func.index()].compare_exchange(
            0,
            code,
            Ordering::Release,
            Ordering::Relaxed,
        );
    }

    /// The entry cell of `func`, for function references (`VmFuncRef::code`).
    pub(crate) fn entry_cell(&self, func: DefinedFuncIdx) -> &AtomicUsize {
        &self.entries[func.index()]
    }

    /// The native-entry cell of `func`, for function references (`VmFuncRef::native`).
    pub(crate) fn native_cell(&self, func: DefinedFuncIdx) -> &AtomicUsize {
        &self.native[func.index()]
    }

    /// The first entry, for the vmctx (`VmCtx::code_table`).
    pub(crate) fn as_ptr(&self) -> *const AtomicUsize {
        self.entries.as_ptr()
    }

    /// The native entries (0 until published), for the optimizer's direct calls.
    pub(crate) fn native_entries(&self) -> &[AtomicUsize] {
        &self.native
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_start_where_asked_and_change_only_by_publishing() {
        let table = CodeTable::new(3, |f| 0x1000 + 16 * f.index());
        assert_eq!(
            table.entry_cell(DefinedFuncIdx(2)).load(Ordering::Acquire),
            0x1020
        );
        table.publish(DefinedFuncIdx(2), 0x9000);
        assert_eq!(
            table.entry_cell(DefinedFuncIdx(2)).load(Ordering::Acquire),
            0x9000
        );
        assert_eq!(
            table.entry_cell(DefinedFuncIdx(1)).load(Ordering::Acquire),
            0x1010
        );
        assert_eq!(table.native_entries()[0].load(Ordering::Relaxed), 0);
        table.publish_native(DefinedFuncIdx(0), 0x7000);
        assert_eq!(table.native_entries()[0].load(Ordering::Relaxed), 0x7000);
    }
}
