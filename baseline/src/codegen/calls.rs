//! Calls: direct calls through the code table, imported and indirect calls through function
//! references, and the call-reference helper that runs a function reference, wasm or host.
//!
//! Every call places the callee's frame at the caller's slot `args` (DESIGN.md §3), its
//! arguments in its first slots and its results written back there. A callee whose type
//! fits registers ([`crate::fits_registers`]) is called through its **native entry** when it
//! has one (baseline code without loops, optimized code): `callee(vmctx, fp, args..) ->
//! results`, arguments and results in registers as well; else, and for other types, through
//! the slot ABI, `callee(vmctx, fp)`. A call clobbers every scratch register and writes the
//! callee's frame, so the masm forgets the register cache across it.

use super::Codegen;
use crate::fits_registers;
use crate::masm::ExpectedType;

impl Codegen<'_> {
    /// Calls function `func` with its frame at slot `args`: a defined function through its
    /// code-table entry (so a tier-up of the callee is seen at the next call), an imported
    /// one through its function reference.
    ///
    /// A callee whose type [`fits_registers`] is called with the native convention when it
    /// has a native entry (read at every call, from its native-entry cell or its function
    /// reference), else through the slot ABI.
    pub(super) fn call(&mut self, func: u32, args: u32) {
        let env = self.env;
        let ty = env.func_type(func);
        let native = fits_registers(ty);
        match func.checked_sub(self.env.num_imported_funcs) {
            Some(defined) if native && self.env.native_entries != 0 => {
                let cell = self.env.native_entries + defined as usize * size_of::<usize>();
                self.m.call_native_cell(cell, defined, args, ty);
            }
            Some(defined) => self.m.call_code_table_entry(defined, args),
            None if native => self
                .m
                .call_func_ref_native(func, args, ty, self.call_ref_helper),
            None => self.m.call_func_ref(func, args, self.call_ref_helper),
        }
    }

    /// `call_indirect`: the function reference at `table[index]`, checked for null and for
    /// type `type_index`, with its frame at slot `args` (register arguments as in
    /// [`Codegen::call`]).
    pub(super) fn call_indirect(&mut self, type_index: u32, table: u32, index: u32, args: u32) {
        let env = self.env;
        let ty = &env.types[type_index as usize];
        let expected = match env.type_ids.get(type_index as usize) {
            Some(&id) => ExpectedType::Id(id),
            None => ExpectedType::Index(type_index),
        };
        if fits_registers(ty) {
            self.m
                .call_indirect_native(table, index, expected, args, ty, self.call_ref_helper);
        } else {
            self.m
                .call_indirect(table, index, expected, args, self.call_ref_helper);
        }
    }

    /// The call-reference helper: a wasm function reference is called through its code-table
    /// entry with its own vmctx; a host function through the `call_host` libcall, after
    /// publishing the slot-stack top above this frame for re-entrant calls.
    pub(super) fn emit_call_ref_helper(&mut self) {
        self.m.bind_branch_target(self.call_ref_helper);
        self.m.emit_call_ref_helper(self.func.frame_size);
    }
}
