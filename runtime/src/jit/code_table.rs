//! [`CodeTable`]: the module's code table (DESIGN.md §4), and the only place that publishes
//! code.
//!
//! One entry per defined function: the address every call goes through (the tier ABI,
//! `extern "sysv64" fn(vmctx, fp)`). It starts at the function's interpreter stub (or 0 when
//! the engine runs no machine code) and is replaced, by [`CodeTable::publish`], with baseline
//! code and then optimized code. Beside it, each optimized function gets a native entry
//! ([`CodeTable::publish_native`]: arguments and results in registers) that baseline and
//! optimized callers use, directly (the module's native-entry cells) and through function
//! references: every instance's references carry the entry itself in `VmFuncRef::native` (one
//! load fewer per indirect call than a pointer to the cell), so the table keeps the native
//! fields of its instances' references ([`CodeTable::subscribe`]) and stores each new native
//! entry into the cell and all of them, under one lock; 0 until published. Baseline code of a
//! type that fits registers and without loops has a native entry too
//! (`tierup_baseline::BaselineCode::native_entry`), published unless the cell is set already
//! ([`CodeTable::publish_native_if_unset`]); optimized code replaces it. Its references get
//! the code's entry for calls through references instead (`BaselineCode::ref_entry`, a jump
//! to the native entry that puts the callee into the branch history), which the table keeps
//! beside the cells so that a new instance's references start with it.
//!
//! Invariant: a function's cell is 0 exactly when its reference entry is, and both belong to
//! the same code.
//!
//! Publishing is one `Release` store of an address whose code was written to fresh memory and
//! is executable already (`CodeArena::publish`); readers load with `Acquire` (or, in machine
//! code, a plain load, which is as strong on x86-64). Entries are never rewritten in place in
//! any other way, and replaced code is never freed while the module lives, so an activation
//! still running old code finishes there safely.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use tierup_abi::DefinedFuncIdx;

/// The code table of one module (see the module docs).
#[derive(Debug)]
pub(crate) struct CodeTable {
    entries: Box<[AtomicUsize]>,
    native: Box<[AtomicUsize]>,
    /// Each function's optimized native entry, 0 until published. Unlike its cell, it never
    /// changes once set: optimized code is the last tier and lives as long as the module, so
    /// optimized callers compiled after it call it with a direct `call rel32`.
    optimized: Box<[AtomicUsize]>,
    /// The entry each function's references carry (`VmFuncRef::native`): its native entry,
    /// or for baseline code the jump to it that calls through references take.
    through_refs: Box<[AtomicUsize]>,
    /// The `VmFuncRef::native` fields of the live instances' references, by instance key
    /// (a map: a module may have many short-lived instances, each unsubscribing once).
    subscribers: Mutex<HashMap<usize, NativeRefs>>,
}

/// One instance's `VmFuncRef::native` fields, indexed by defined function.
#[derive(Debug)]
struct NativeRefs {
    fields: Box<[*const AtomicUsize]>,
}

// SAFETY: the fields point at atomics in function references that live until their instance
// unsubscribes (`InstanceData`'s drop, before the store frees its references); they are only
// written, atomically, under the table's lock, which `unsubscribe` takes too.
unsafe impl Send for NativeRefs {}

impl CodeTable {
    /// A table of `defined` entries, entry `f` starting at `initial(f)`.
    pub(crate) fn new(defined: u32, initial: impl Fn(DefinedFuncIdx) -> usize) -> CodeTable {
        CodeTable {
            entries: (0..defined)
                .map(|f| AtomicUsize::new(initial(DefinedFuncIdx(f))))
                .collect(),
            native: (0..defined).map(|_| AtomicUsize::new(0)).collect(),
            optimized: (0..defined).map(|_| AtomicUsize::new(0)).collect(),
            through_refs: (0..defined).map(|_| AtomicUsize::new(0)).collect(),
            subscribers: Mutex::new(HashMap::new()),
        }
    }

    /// Makes `code` the entry of `func`: the next call of `func`, from any thread, runs it.
    pub(crate) fn publish(&self, func: DefinedFuncIdx, code: usize) {
        self.entries[func.index()].store(code, Ordering::Release);
    }

    /// Makes `code` the native entry of optimized function `func`, in the module's cell and
    /// in every subscribed instance's reference to it.
    pub(crate) fn publish_native(&self, func: DefinedFuncIdx, code: usize) {
        let subscribers = self.subscribers.lock();
        self.native[func.index()].store(code, Ordering::Release);
        self.optimized[func.index()].store(code, Ordering::Release);
        self.through_refs[func.index()].store(code, Ordering::Release);
        store_into_references(&subscribers, func, code);
    }

    /// Keeps the native fields of an instance's references (`fields[f]`: defined function
    /// `f`'s `VmFuncRef::native`) up to date from now on, starting with the entries published
    /// so far, until [`CodeTable::unsubscribe`] with the same `key`.
    ///
    /// # Safety
    /// Every field must stay valid until the instance unsubscribes.
    pub(crate) unsafe fn subscribe(&self, key: usize, fields: Box<[*const AtomicUsize]>) {
        assert_eq!(
            fields.len(),
            self.native.len(),
            "one field per defined function"
        );
        let mut subscribers = self.subscribers.lock();
        for (&field, cell) in fields.iter().zip(&self.through_refs) {
            // SAFETY: the caller keeps `field` valid.
            unsafe { (*field).store(cell.load(Ordering::Acquire), Ordering::Release) };
        }
        subscribers.insert(key, NativeRefs { fields });
    }

    /// Ends the subscription `key`: no publication writes its fields after this returns.
    pub(crate) fn unsubscribe(&self, key: usize) {
        self.subscribers.lock().remove(&key);
    }

    /// Makes `code` the native entry of baseline function `func`, and `through_refs` the
    /// entry of its references, unless it has a native entry already (its optimized code's,
    /// published by a worker meanwhile, which must win).
    pub(crate) fn publish_native_if_unset(
        &self,
        func: DefinedFuncIdx,
        code: usize,
        through_refs: usize,
    ) {
        // Under the lock, like every publication, so the references see the same order.
        let subscribers = self.subscribers.lock();
        if self.native[func.index()]
            .compare_exchange(0, code, Ordering::Release, Ordering::Relaxed)
            .is_ok()
        {
            self.through_refs[func.index()].store(through_refs, Ordering::Release);
            store_into_references(&subscribers, func, through_refs);
        }
    }

    /// The entry cell of `func`, for function references (`VmFuncRef::code`).
    pub(crate) fn entry_cell(&self, func: DefinedFuncIdx) -> &AtomicUsize {
        &self.entries[func.index()]
    }

    /// The first entry, for the vmctx (`VmCtx::code_table`).
    pub(crate) fn as_ptr(&self) -> *const AtomicUsize {
        self.entries.as_ptr()
    }

    /// The native entries (0 until published), for the optimizer's direct calls.
    pub(crate) fn native_entries(&self) -> &[AtomicUsize] {
        &self.native
    }

    /// The optimized native entries (0 until published; never changed after).
    pub(crate) fn optimized_entries(&self) -> &[AtomicUsize] {
        &self.optimized
    }
}

/// Stores native entry `code` of `func` into every subscribed reference to it; the caller
/// holds the table's subscriber lock (`subscribers` is its guarded map).
fn store_into_references(
    subscribers: &HashMap<usize, NativeRefs>,
    func: DefinedFuncIdx,
    code: usize,
) {
    for refs in subscribers.values() {
        // SAFETY: a subscribed field is live until its instance unsubscribes, which takes the
        // lock the caller holds (`NativeRefs`).
        unsafe { (*refs.fields[func.index()]).store(code, Ordering::Release) };
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

    #[test]
    fn references_take_the_baseline_entry_through_references_until_optimized_code() {
        let table = CodeTable::new(2, |_| 0);
        table.publish_native_if_unset(DefinedFuncIdx(0), 0x5010, 0x500e);
        let fields = [AtomicUsize::new(0), AtomicUsize::new(0)];
        let pointers: Box<[*const AtomicUsize]> = fields.iter().map(|f| f as *const _).collect();
        // SAFETY: `fields` outlives the subscription (it ends below).
        unsafe { table.subscribe(1, pointers) };
        assert_eq!(table.native_entries()[0].load(Ordering::Relaxed), 0x5010);
        assert_eq!(
            fields[0].load(Ordering::Relaxed),
            0x500e,
            "published before"
        );
        table.publish_native_if_unset(DefinedFuncIdx(1), 0x6010, 0x600e);
        assert_eq!(fields[1].load(Ordering::Relaxed), 0x600e, "published after");
        table.publish_native(DefinedFuncIdx(0), 0x7000);
        table.publish_native_if_unset(DefinedFuncIdx(0), 0x5110, 0x510e);
        assert_eq!(table.native_entries()[0].load(Ordering::Relaxed), 0x7000);
        assert_eq!(
            fields[0].load(Ordering::Relaxed),
            0x7000,
            "optimized code wins"
        );
        table.unsubscribe(1);
    }

    #[test]
    fn subscribed_references_see_every_native_entry_until_they_unsubscribe() {
        let table = CodeTable::new(2, |_| 0);
        table.publish_native(DefinedFuncIdx(1), 0x7100);
        let fields = [AtomicUsize::new(0), AtomicUsize::new(0)];
        let pointers: Box<[*const AtomicUsize]> = fields.iter().map(|f| f as *const _).collect();
        // SAFETY: `fields` outlives the subscription (it ends below).
        unsafe { table.subscribe(1, pointers) };
        assert_eq!(
            fields[1].load(Ordering::Relaxed),
            0x7100,
            "published before"
        );
        table.publish_native(DefinedFuncIdx(0), 0x7000);
        assert_eq!(fields[0].load(Ordering::Relaxed), 0x7000, "published after");
        table.unsubscribe(1);
        table.publish_native(DefinedFuncIdx(0), 0x7200);
        assert_eq!(
            fields[0].load(Ordering::Relaxed),
            0x7000,
            "not after unsubscribing"
        );
        assert_eq!(table.native_entries()[0].load(Ordering::Relaxed), 0x7200);
    }
}
