//! Calls: direct calls through the code table, imported and indirect calls through function
//! references, and the call-reference helper that runs a function reference, wasm or host.
//!
//! Every call follows the slot ABI (DESIGN.md §3): `callee(vmctx, fp)` with the callee's frame
//! at the caller's slot `args`, arguments in its first slots, results written back there.
//! A call clobbers every scratch register and writes the callee's frame, so the masm forgets
//! the register cache across it.

use super::Codegen;

impl Codegen<'_> {
    /// Calls function `func` with its frame at slot `args`: a defined function through its
    /// code-table entry (so a tier-up of the callee is seen at the next call), an imported
    /// one through its function reference.
    pub(super) fn call(&mut self, func: u32, args: u32) {
        match func.checked_sub(self.env.num_imported_funcs) {
            Some(defined) => self.m.call_code_table_entry(defined, args),
            None => self.m.call_func_ref(func, args, self.call_ref_helper),
        }
    }

    /// `call_indirect`: the function reference at `table[index]`, checked for null and for
    /// type `type_index`, with its frame at slot `args`.
    pub(super) fn call_indirect(&mut self, type_index: u32, table: u32, index: u32, args: u32) {
        self.m
            .call_indirect(table, index, type_index, args, self.call_ref_helper);
    }

    /// The call-reference helper: a wasm function reference is called through its code-table
    /// entry with its own vmctx; a host function through the `call_host` libcall, after
    /// publishing the slot-stack top above this frame for re-entrant calls.
    pub(super) fn emit_call_ref_helper(&mut self) {
        self.m.bind_branch_target(self.call_ref_helper);
        self.m.emit_call_ref_helper(self.func.frame_size);
    }
}
