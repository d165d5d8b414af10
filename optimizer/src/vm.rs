//! How optimized code reaches instance state: the vmctx and what it points to (at the offsets
//! of `tierup_abi::offsets`), the frame slots of the tier ABI, calls, and Rust helpers.
//!
//! Loads of vmctx fields that never change while the instance lives (the arrays of pointers,
//! a memory's base, an immutable global) are `readonly` and `can_move`, so Cranelift may
//! share and hoist them; what can change (code-table entries, lengths, table bases, mutable
//! globals, the interrupt flag) is loaded where it is used.
//!
//! Frame: the function's own slots are `fp[0..own]` with `own = FuncType::frame_slots` (the
//! slots of its parameters or of its results, whichever is more; a `v128` takes two); every
//! call passes its callee's frame at `fp + own` (the tier ABI's overlapping frames), so the
//! function uses `fp[0..own + outgoing]`, checked once against the slot stack's end in the
//! prologue (the size is known only at the end, so the check's constant is patched then).
//! Calls that take no slot frame (native calls) need no check; the slot path of a call that
//! may go either way checks its callee frame where it is taken, out of line, so a function
//! whose calls are all native-or-slot keeps no check in its prologue.
//! Every position in a frame is computed from the types (`tierup_abi::types::slot_offsets`).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::immediates::{Imm64, Offset32};
use cranelift_codegen::ir::types::{I8, I32, I64};
use cranelift_codegen::ir::{
    self, AbiParam, BlockArg, Function, GlobalValueData, Inst, InstBuilder, InstructionData,
    MemFlagsData, Opcode, SigRef, Signature, Type, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilder;
use tierup_abi::vmctx::offsets as off;
use tierup_abi::{
    BoundsChecks, DefinedFuncIdx, FuncIdx, FuncType, GUARD_BYTES, Libcall, SLOT_BYTES, TrapCode,
};
use wasmparser::{MemArg, MemArgTarget};

use crate::translate::{Translator, clif_type, load_slots, slot_flags, store_slots};
use crate::{OptEnv, Symbol, clif_trap, slot_abi_signature};

/// The absolute address of `symbol`: a `movabs` whose immediate the compiler fills in and
/// records ([`crate::OptCode::symbols`]), so that a cached copy of the code can be patched.
pub(crate) fn symbol_address(b: &mut FunctionBuilder<'_>, symbol: Symbol) -> Value {
    let (namespace, index) = symbol.external_name();
    let name = b
        .func
        .declare_imported_user_function(ir::UserExternalName::new(namespace, index));
    let global = b.create_global_value(GlobalValueData::Symbol {
        name: ir::ExternalName::User(name),
        offset: Imm64::new(0),
        colocated: false,
        tls: false,
    });
    b.ins().symbol_value(I64, global)
}

/// Flags for loads of vmctx data that never changes while the instance lives.
fn fixed() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// Flags for vmctx data loaded where it is used on a slow path: readonly, but not `can_move`,
/// so Cranelift does not hoist it out of loops into a register the fast path then lacks (or a
/// spill).
fn in_place() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly()
}

/// The slot stack's end, read from `store`.
fn slot_stack_end(b: &mut FunctionBuilder<'_>, store: Value) -> Value {
    b.ins().load(
        I64,
        MemFlagsData::trusted(),
        store,
        off::STORE_STACK_END as i32,
    )
}

/// Traps with `StackOverflow` if `limit` (the end of the frames a function uses) lies past the
/// slot stack's `end`; returns the instructions it added.
fn trap_past_slot_stack(b: &mut FunctionBuilder<'_>, limit: Value, end: Value) -> [Inst; 2] {
    let over = b.ins().icmp(IntCC::UnsignedGreaterThan, limit, end);
    let trap = b.ins().trapnz(over, clif_trap(TrapCode::StackOverflow));
    [b.func.dfg.value_def(over).unwrap_inst(), trap]
}

/// Flags for wasm memory accesses: they may fault, and the fault is the trap.
fn heap() -> MemFlagsData {
    MemFlagsData::new().with_trap_code(Some(ir::TrapCode::HEAP_OUT_OF_BOUNDS))
}

/// Sets `func.stack_limit` to `*vmctx->stack_limit`: the store's native stack limit, raised
/// past every stack while an interrupt request is pending, so Cranelift's prologue check is
/// also the function entry's interrupt check (the runtime reports that stack-overflow trap as
/// the interruption). Cranelift checks only functions with a frame or calls: a leaf without
/// a frame returns without a check, and the interruption is seen by its caller.
pub(crate) fn set_stack_limit(func: &mut Function) {
    let fixed_flags = func.dfg.mem_flags.insert_unchecked(fixed());
    let trusted_flags = func.dfg.mem_flags.insert_unchecked(MemFlagsData::trusted());
    let vmctx = func.create_global_value(GlobalValueData::VMContext);
    let cell = func.create_global_value(GlobalValueData::Load {
        base: vmctx,
        offset: Offset32::new(off::STACK_LIMIT as i32),
        global_type: I64,
        flags: fixed_flags,
    });
    let limit = func.create_global_value(GlobalValueData::Load {
        base: cell,
        offset: Offset32::new(0),
        global_type: I64,
        flags: trusted_flags,
    });
    func.stack_limit = Some(limit);
}

/// Values computed once in the entry block, and facts gathered while translating.
pub(crate) struct EntryValues {
    pub(crate) vmctx: Value,
    pub(crate) fp: Value,
    pub(crate) store: Value,
    /// The store's attention flag with epoch interruption, else its interrupt poll byte.
    pub(crate) interrupt: Value,
    /// The vmctx field that holds `interrupt` (the store's, copied).
    pub(crate) interrupt_field: usize,
    /// Each memory's definition and base (bases never move), loaded at entry (loads of
    /// memories the function does not use are dead code).
    memories: Vec<(Value, Value)>,
    /// Slots of the function's own frame: `FuncType::frame_slots`.
    own_slots: usize,
    /// The most slots any call's callee frame needs.
    outgoing_slots: usize,
    /// The instructions of the slot-stack check (the `iconst` of the frame size second),
    /// patched or removed by [`EntryValues::finish`].
    slot_stack_check: Vec<Inst>,
    slot_sig: Option<SigRef>,
    /// The callees whose native entry the code calls without a check
    /// ([`crate::OptCode::published_callees`]).
    pub(crate) published_callees: Vec<DefinedFuncIdx>,
    /// The function being compiled.
    func_index: FuncIdx,
}

impl EntryValues {
    /// Loads what the whole function uses; `b` is in the (sealed) entry block.
    pub(crate) fn new(
        b: &mut FunctionBuilder<'_>,
        env: &OptEnv<'_>,
        ty: &FuncType,
        func_index: FuncIdx,
    ) -> Self {
        let entry = b.current_block().expect("in the entry block");
        let (vmctx, fp) = (b.block_params(entry)[0], b.block_params(entry)[1]);
        let store = b.ins().load(I64, fixed(), vmctx, off::STORE as i32);
        // Without epochs, loops poll the store's poll page (a load that faults while an
        // interrupt request is pending); with epochs they test the attention flag.
        let interrupt_field = if env.module.instrumentation.epoch_interruption {
            off::INTERRUPT
        } else {
            off::INTERRUPT_POLL
        };
        let interrupt = b.ins().load(I64, fixed(), vmctx, interrupt_field as i32);
        let memories = if env.module.memories.is_empty() {
            Vec::new()
        } else {
            let array = b.ins().load(I64, fixed(), vmctx, off::MEMORIES as i32);
            (0..env.module.memories.len() as u32)
                .map(|index| {
                    let def = b.ins().load(I64, fixed(), array, off::pointer_entry(index));
                    // Memory 0's base is also in the vmctx: one load instead of three (the
                    // definition is then loaded only where its length is needed).
                    let base = if index == 0 {
                        b.ins().load(I64, fixed(), vmctx, off::MEMORY0_BASE as i32)
                    } else {
                        b.ins().load(I64, fixed(), def, off::MEMORY_BASE as i32)
                    };
                    (def, base)
                })
                .collect()
        };
        EntryValues {
            vmctx,
            fp,
            store,
            interrupt,
            interrupt_field,
            memories,
            own_slots: ty.frame_slots(),
            outgoing_slots: 0,
            slot_stack_check: Vec::new(),
            slot_sig: None,
            published_callees: Vec::new(),
            func_index,
        }
    }

    /// Traps with `StackOverflow` unless the frame fits below the slot stack's end.
    pub(crate) fn check_slot_stack(&mut self, b: &mut FunctionBuilder<'_>) {
        let end = slot_stack_end(b, self.store);
        let bytes = b.ins().iconst(I64, 0);
        let limit = b.ins().iadd(self.fp, bytes);
        let [over, trap] = trap_past_slot_stack(b, limit, end);
        let inst = |v: Value| b.func.dfg.value_def(v).unwrap_inst();
        self.slot_stack_check = vec![inst(end), inst(bytes), inst(limit), over, trap];
    }

    /// Patches the frame size into the slot-stack check, or removes the check from a leaf
    /// function: its own slots lie in the frame its caller checked when it placed the
    /// arguments (every tier's caller frame covers its callees' `max(params, results)`).
    pub(crate) fn finish(&mut self, b: &mut FunctionBuilder<'_>) {
        if self.outgoing_slots == 0 {
            for &inst in &self.slot_stack_check {
                b.func.layout.remove_inst(inst);
            }
        } else if let Some(&inst) = self.slot_stack_check.get(1) {
            let bytes = (self.own_slots + self.outgoing_slots) * SLOT_BYTES;
            b.func.dfg.insts[inst] = InstructionData::UnaryImm {
                opcode: Opcode::Iconst,
                imm: Imm64::new(bytes as i64),
            };
        }
    }
}

impl Translator<'_, '_> {
    fn vmctx_field(&mut self, offset: usize) -> Value {
        let vmctx = self.vm.vmctx;
        self.b.ins().load(I64, fixed(), vmctx, offset as i32)
    }

    /// The vmctx field at `offset`, loaded here (not `can_move`: Cranelift keeps it where it
    /// is put), so that no register holds it across the calls and loops around its use.
    pub(crate) fn vmctx_field_in_place(&mut self, offset: usize) -> Value {
        let vmctx = self.vm.vmctx;
        self.b.ins().load(I64, in_place(), vmctx, offset as i32)
    }

    /// The address loops poll for interrupts (`EntryValues::interrupt`), loaded here (see
    /// `Translator::prepare_poll_address`).
    pub(crate) fn interrupt_in_place(&mut self) -> Value {
        self.vmctx_field_in_place(self.vm.interrupt_field)
    }

    /// Element `index` of the fixed pointer array at vmctx field `offset`.
    fn vmctx_array(&mut self, offset: usize, index: u32) -> Value {
        let array = self.vmctx_field(offset);
        self.b
            .ins()
            .load(I64, fixed(), array, off::pointer_entry(index))
    }

    fn signature(&mut self, params: &[Type], returns: &[Type]) -> SigRef {
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
        sig.returns
            .extend(returns.iter().map(|&t| AbiParam::new(t)));
        self.b.import_signature(sig)
    }

    /// Calls the Rust function or libcall at `callee` (an address value).
    fn call_rust(&mut self, callee: Value, args: &[Value], returns: &[Type]) -> Vec<Value> {
        let params: Vec<Type> = args
            .iter()
            .map(|&a| self.b.func.dfg.value_type(a))
            .collect();
        let sig = self.signature(&params, returns);
        let call = self.b.ins().call_indirect(sig, callee, args);
        let results = self.b.inst_results(call).to_vec();
        self.reload_fuel();
        results
    }

    /// The address of `libcall`, loaded where it is called: libcalls are on slow paths, and a
    /// load Cranelift may move (`can_move`) would be hoisted out of loops into a register the
    /// fast path then lacks (or a spill).
    fn libcall(&mut self, libcall: Libcall) -> Value {
        let libcalls = self.vmctx_field_in_place(off::LIBCALLS);
        self.b
            .ins()
            .load(I64, in_place(), libcalls, libcall.offset() as i32)
    }

    /// The store, loaded here for a slow path (the entry's value would be kept in a register
    /// across the caller's loops only for it).
    fn store_in_place(&mut self) -> Value {
        self.vmctx_field_in_place(off::STORE)
    }

    /// When the store's interrupt flag is set, calls the runtime's attention stub (out of line,
    /// [`OptEnv::attention`]), which traps with the `attention` libcall's status or lets
    /// execution go on (`tierup_abi::metering`); in an
    /// engine without epoch interruption, polls the store's poll page, a load that traps with
    /// `Interrupted` while an interrupt request is pending (the libcall's only answer there).
    pub(crate) fn check_interrupt(&mut self, interrupt: Value) {
        // Atomic: another thread sets the flag (or blocks the page), and a plain load in a
        // loop without stores would be merged with the one before the loop (redundant-load
        // elimination); an atomic load is also never removed as unused.
        if !self.env.module.instrumentation.epoch_interruption {
            // Without epochs only an interrupt handle stops wasm, and the `attention` libcall
            // would always trap: poll the store's poll page instead, one load with no compare
            // and no branch, which faults while a request is pending (the runtime makes the
            // page inaccessible); the fault is this site's `Interrupted` trap (HotSpot's
            // safepoint poll). The flag test it replaced (load, test, branch) made `matmul`'s
            // inner loop 1.55x slower than without a check, the poll 1.35x; a countdown in a
            // register (decrement, test, branch; a poll every 1024 headers) 1.7x; counted loops
            // avoid it by strip mining (`translate::Strip`). (A call,
            // even on a cold path, would make every function a non-leaf, with a heavier
            // prologue; calls got 1.4x slower: hence the trap.)
            let poll = MemFlagsData::new().with_trap_code(Some(clif_trap(TrapCode::Interrupted)));
            self.b.ins().atomic_load(I8, poll, interrupt);
            return;
        }
        let flag = self
            .b
            .ins()
            .atomic_load(I8, MemFlagsData::trusted(), interrupt);
        let slow = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(flag, slow, &[], cont, &[]);
        self.b.switch_to_block(slow);
        self.b.seal_block(slow);
        // The stub changes no register (`preserve_all`), so this call on the cold path does
        // not make the loop keep its values away from the caller-saved registers (with a
        // System V call here, SIMD loops ran 3-4x slower with epochs on).
        let mut sig = Signature::new(CallConv::PreserveAll);
        sig.params.push(AbiParam::new(I64));
        let sig = self.b.import_signature(sig);
        let stub = symbol_address(&mut self.b, Symbol::Attention);
        let vmctx = self.vm.vmctx;
        self.b.ins().call_indirect(sig, stub, &[vmctx]);
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
        self.b.seal_block(cont);
    }

    /// Starts metering: the fuel left lives in a variable (a register in loops), loaded from
    /// the store here and after every call (the callee, a host function or the runtime may
    /// have paid or set fuel), and written back at every charge, so the store's fuel is exact
    /// whenever anything can trap or look at it.
    pub(crate) fn start_fuel(&mut self) {
        let var = self.b.declare_var(I64);
        self.fuel = Some(var);
        self.reload_fuel();
    }

    /// Reloads the fuel variable from the store (after a call).
    fn reload_fuel(&mut self) {
        if let Some(var) = self.fuel {
            let store = self.vm.store;
            let flags = MemFlagsData::trusted();
            let fuel = self.b.ins().load(I64, flags, store, off::STORE_FUEL as i32);
            self.b.def_var(var, fuel);
        }
    }

    /// Pays `amount` fuel for the segment that starts here, or zeroes the fuel and traps with
    /// `OutOfFuel` (`tierup_abi::metering`).
    pub(crate) fn consume_fuel(&mut self, amount: u32) {
        let Some(var) = self.fuel else { return };
        if amount == 0 {
            return;
        }
        let store = self.vm.store;
        let flags = MemFlagsData::trusted();
        let fuel = self.b.use_var(var);
        let left = self.b.ins().iadd_imm_s(fuel, -i64::from(amount));
        let out = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, left, 0);
        let out_of_fuel = self.b.create_block();
        let paid = self.b.create_block();
        self.b.set_cold_block(out_of_fuel);
        self.b.ins().brif(out, out_of_fuel, &[], paid, &[]);
        self.b.switch_to_block(out_of_fuel);
        self.b.seal_block(out_of_fuel);
        let zero = self.b.ins().iconst(I64, 0);
        self.b
            .ins()
            .store(flags, zero, store, off::STORE_FUEL as i32);
        self.trap(TrapCode::OutOfFuel);
        self.b.switch_to_block(paid);
        self.b.seal_block(paid);
        self.b
            .ins()
            .store(flags, left, store, off::STORE_FUEL as i32);
        self.b.def_var(var, left);
    }

    /// Traps with `status` (through the runtime's raise routine) unless it is 0.
    fn check_status(&mut self, status: Value) {
        let raise = self.b.create_block();
        let ok = self.b.create_block();
        self.b.set_cold_block(raise);
        self.b.ins().brif(status, raise, &[], ok, &[]);
        self.b.switch_to_block(raise);
        self.b.seal_block(raise);
        let routine = symbol_address(&mut self.b, Symbol::Raise);
        self.call_rust(routine, &[status], &[]);
        self.trap(TrapCode::Unreachable);
        self.b.switch_to_block(ok);
        self.b.seal_block(ok);
    }

    // ---- memory ----

    /// Pops a memory index and returns the address and static offset to access `size` bytes
    /// at it, bounds-checked explicitly unless the guard region covers the access.
    fn heap_addr(&mut self, memarg: &MemArg, size: u32) -> (Value, i32) {
        let index = self.pop();
        let memory = match memarg.target {
            MemArgTarget::Memory(memory) => memory,
            MemArgTarget::Array(_) => unreachable!("GC is not enabled"),
        };
        let (def, base) = self.vm.memories[memory as usize];
        let index = self.b.ins().uextend(I64, index);
        let offset = memarg.offset;
        let guarded = self.env.bounds_checks == BoundsChecks::Guard
            && offset + u64::from(size) <= GUARD_BYTES;
        if !guarded {
            let length =
                self.b
                    .ins()
                    .load(I64, MemFlagsData::trusted(), def, off::MEMORY_LENGTH as i32);
            let end = self
                .b
                .ins()
                .iadd_imm_u(index, (offset + u64::from(size)) as i64);
            let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, length);
            self.b
                .ins()
                .trapnz(oob, clif_trap(TrapCode::MemoryOutOfBounds));
        }
        let addr = self.b.ins().iadd(base, index);
        match i32::try_from(offset) {
            Ok(offset) => (addr, offset),
            Err(_) => (self.b.ins().iadd_imm_u(addr, offset as i64), 0),
        }
    }

    /// A load of `size` bytes; `load` emits it from (flags, address, offset).
    pub(crate) fn load(
        &mut self,
        memarg: &MemArg,
        size: u32,
        load: impl FnOnce(&mut FunctionBuilder<'_>, MemFlagsData, Value, i32) -> Value,
    ) {
        let (addr, offset) = self.heap_addr(memarg, size);
        let v = load(&mut self.b, heap(), addr, offset);
        self.push(v);
    }

    /// A store of `size` bytes of `value`; `store` emits it from (flags, value, address,
    /// offset).
    pub(crate) fn store(
        &mut self,
        memarg: &MemArg,
        size: u32,
        value: Value,
        store: impl FnOnce(&mut FunctionBuilder<'_>, MemFlagsData, Value, Value, i32) -> Inst,
    ) {
        let (addr, offset) = self.heap_addr(memarg, size);
        store(&mut self.b, heap(), value, addr, offset);
    }

    pub(crate) fn memory_size(&mut self, memory: u32) {
        let (def, _) = self.vm.memories[memory as usize];
        let length =
            self.b
                .ins()
                .load(I64, MemFlagsData::trusted(), def, off::MEMORY_LENGTH as i32);
        let pages = self.b.ins().ushr_imm_u(length, 16);
        let v = self.b.ins().ireduce(I32, pages);
        self.push(v);
    }

    pub(crate) fn memory_grow(&mut self, memory: u32) {
        let delta = self.pop();
        let delta = self.b.ins().uextend(I64, delta);
        let grow = self.libcall(Libcall::memory_grow());
        let memory = self.b.ins().iconst(I32, i64::from(memory));
        let vmctx = self.vm.vmctx;
        let grown = self.call_rust(grow, &[vmctx, memory, delta], &[I64, I64]);
        self.push_grow_result(&grown);
    }

    /// A bulk operation: `f(vmctx, immediates.., operands..) -> status`, with `operands` of
    /// the given types popped from the stack.
    pub(crate) fn bulk_call(&mut self, libcall: Libcall, immediates: &[u32], operands: &[Type]) {
        let popped = self.stack.split_off(self.stack.len() - operands.len());
        let mut args = vec![self.vm.vmctx];
        for &imm in immediates {
            args.push(self.b.ins().iconst(I32, i64::from(imm)));
        }
        args.extend(popped);
        let f = self.libcall(libcall);
        let status = self.call_rust(f, &args, &[I32])[0];
        self.check_status(status);
    }

    /// `data.drop` / `elem.drop`: the segment's length becomes 0.
    pub(crate) fn segment_drop(&mut self, data: bool, index: u32) {
        let (field, size) = if data {
            (off::DATA_SEGMENTS, off::DATA_SEGMENT_SIZE)
        } else {
            (off::ELEM_SEGMENTS, off::ELEM_SEGMENT_SIZE)
        };
        let segments = self.vmctx_field(field);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.ins().store(
            MemFlagsData::trusted(),
            zero,
            segments,
            (index as usize * size + 8) as i32,
        );
    }

    // ---- globals ----

    /// `global.get`: a global is 16 bytes at its pointer; a value takes its slots there (a
    /// `v128` all 16 bytes), as in a frame.
    /// The address of global `index`'s slot; global 0's is in the vmctx itself (one load).
    fn global_slot(&mut self, index: u32) -> Value {
        if index == 0 {
            self.vmctx_field(off::GLOBAL0)
        } else {
            self.vmctx_array(off::GLOBALS, index)
        }
    }

    pub(crate) fn global_get(&mut self, index: u32) {
        let ty = self.env.module.globals[index as usize];
        let ptr = self.global_slot(index);
        let clif = clif_type(ty.content);
        let mut flags = slot_flags(clif);
        if !ty.mutable {
            flags = flags.with_readonly().with_can_move();
        }
        let v = self.b.ins().load(clif, flags, ptr, 0);
        self.push(v);
    }

    pub(crate) fn global_set(&mut self, index: u32) {
        let v = self.pop();
        let slot = self.slot_value(v);
        let flags = slot_flags(self.b.func.dfg.value_type(slot));
        let ptr = self.global_slot(index);
        self.b.ins().store(flags, slot, ptr, 0);
    }

    // ---- tables and references ----

    pub(crate) fn ref_func(&mut self, index: u32) {
        let v = self.vmctx_array(off::FUNCS, index);
        self.push(v);
    }

    /// The address of element `index` (an i32 value) of table `table`, bounds-checked.
    fn table_elem(&mut self, table: u32, index: Value) -> Value {
        let def = self.table_def(table);
        let length = self
            .b
            .ins()
            .load(I64, MemFlagsData::trusted(), def, off::TABLE_LENGTH as i32);
        let index = self.b.ins().uextend(I64, index);
        let oob = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, length);
        self.b
            .ins()
            .trapnz(oob, clif_trap(TrapCode::TableOutOfBounds));
        let base = self
            .b
            .ins()
            .load(I64, MemFlagsData::trusted(), def, off::TABLE_BASE as i32);
        let scaled = self.b.ins().ishl_imm_u(index, 3);
        self.b.ins().iadd(base, scaled)
    }

    pub(crate) fn table_get(&mut self, table: u32) {
        let index = self.pop();
        let addr = self.table_elem(table, index);
        let v = self.b.ins().load(I64, MemFlagsData::trusted(), addr, 0);
        self.push(v);
    }

    pub(crate) fn table_set(&mut self, table: u32) {
        let (index, value) = self.pop2();
        let addr = self.table_elem(table, index);
        self.b.ins().store(MemFlagsData::trusted(), value, addr, 0);
    }

    /// Table `table`'s definition; table 0's is in the vmctx itself (one load).
    fn table_def(&mut self, table: u32) -> Value {
        if table == 0 {
            self.vmctx_field(off::TABLE0)
        } else {
            self.vmctx_array(off::TABLES, table)
        }
    }

    pub(crate) fn table_size(&mut self, table: u32) {
        let def = self.table_def(table);
        let length = self
            .b
            .ins()
            .load(I64, MemFlagsData::trusted(), def, off::TABLE_LENGTH as i32);
        let v = self.b.ins().ireduce(I32, length);
        self.push(v);
    }

    pub(crate) fn table_grow(&mut self, table: u32) {
        let (init, delta) = self.pop2();
        let delta = self.b.ins().uextend(I64, delta);
        let grow = self.libcall(Libcall::table_grow());
        let table = self.b.ins().iconst(I32, i64::from(table));
        let vmctx = self.vm.vmctx;
        let grown = self.call_rust(grow, &[vmctx, table, delta, init], &[I64, I64]);
        self.push_grow_result(&grown);
    }

    /// After a grow libcall (`tierup_abi::Checked`: status, value): traps with a non-zero
    /// status (the store's resource limiter failed), else pushes the `i32` result.
    fn push_grow_result(&mut self, grown: &[Value]) {
        let status = self.b.ins().ireduce(I32, grown[0]);
        self.check_status(status);
        let v = self.b.ins().ireduce(I32, grown[1]);
        self.push(v);
    }

    // ---- calls ----

    /// Pops `ty`'s arguments into the callee frame at `fp + own` and reserves that frame (the
    /// prologue's slot-stack check covers it).
    fn pass_args(&mut self, ty: &FuncType) -> Value {
        self.vm.outgoing_slots = self.vm.outgoing_slots.max(ty.frame_slots());
        self.store_args(ty)
    }

    /// [`Translator::pass_args`] for a call on a slow path (the slot path of a call that
    /// usually goes to a native entry): the callee frame is checked against the slot stack's
    /// end here, so the prologue of a function whose every call may be native needs no check.
    fn pass_args_checked(&mut self, ty: &FuncType) -> Value {
        let store = self.store_in_place();
        let end = slot_stack_end(&mut self.b, store);
        let fp = self.vm.fp;
        let bytes = (self.vm.own_slots + ty.frame_slots()) * SLOT_BYTES;
        let limit = self.b.ins().iadd_imm_u(fp, bytes as i64);
        trap_past_slot_stack(&mut self.b, limit, end);
        self.store_args(ty)
    }

    /// Pops `ty`'s arguments into the callee frame at `fp + own`; returns that frame.
    fn store_args(&mut self, ty: &FuncType) -> Value {
        let args = self.stack.split_off(self.stack.len() - ty.params().len());
        let own = self.vm.own_slots;
        self.store_slots(ty.params(), &args, own);
        let fp = self.vm.fp;
        self.b.ins().iadd_imm_u(fp, (own * SLOT_BYTES) as i64)
    }

    /// Pushes `ty`'s results from the callee frame.
    fn take_results(&mut self, ty: &FuncType) {
        let own = self.vm.own_slots;
        let results = self.load_slots(ty.results(), own);
        self.stack.extend(results);
    }

    /// Calls a code-table entry (or any tier-ABI entry) `entry` with `vmctx` and frame `frame`.
    fn call_entry(&mut self, entry: Value, vmctx: Value, frame: Value) {
        let sig = match self.vm.slot_sig {
            Some(sig) => sig,
            None => {
                let sig = self.b.import_signature(slot_abi_signature());
                self.vm.slot_sig = Some(sig);
                sig
            }
        };
        self.b.ins().call_indirect(sig, entry, &[vmctx, frame]);
        self.reload_fuel();
    }

    pub(crate) fn call(&mut self, func_index: FuncIdx) {
        let module = self.env.module;
        let ty = module.func_type(func_index).clone();
        if self.env.eager
            && let Some(defined) = module.defined_func(func_index)
            && crate::has_native_entry(&ty)
        {
            return self.call_direct(defined, &ty);
        }
        if let Some(defined) = self.linkable_callee(func_index) {
            self.vm.published_callees.push(defined);
            return self.call_direct(defined, &ty);
        }
        if let Some(entry) = self.native_entry(func_index) {
            let vmctx = self.vm.vmctx;
            return self.call_native(entry, vmctx, &ty);
        }
        if let Some(defined) = self.late_bound_callee(func_index) {
            return self.call_late_bound(defined, &ty);
        }
        match module.defined_func(func_index) {
            Some(defined) => {
                let frame = self.pass_args(&ty);
                // The entry changes when the callee tiers up: loaded at every call.
                let entry = self.code_table_entry(defined);
                let vmctx = self.vm.vmctx;
                self.call_entry(entry, vmctx, frame);
                self.take_results(&ty);
            }
            None => {
                // An imported function: a wasm one through its native entry when it has one.
                let func = self.vmctx_array(off::FUNCS, func_index.as_u32());
                self.call_funcref(func, &ty);
            }
        }
    }

    /// Loads defined function `defined`'s code-table entry.
    fn code_table_entry(&mut self, defined: DefinedFuncIdx) -> Value {
        let table = self.vmctx_field(off::CODE_TABLE);
        self.b.ins().load(
            I64,
            MemFlagsData::trusted(),
            table,
            off::pointer_entry(defined.as_u32()),
        )
    }

    /// The native entry of defined function `func_index` as a value, if a direct call may
    /// use it (see [`OptEnv::native`]). A published entry never goes back to 0 but changes
    /// when the callee tiers up (a baseline function's native entry, then its optimized
    /// code's), so it is loaded at every call, not hoisted.
    fn native_entry(&mut self, func_index: FuncIdx) -> Option<Value> {
        let module = self.env.module;
        let table = self.env.native?;
        let defined = module.defined_func(func_index)?.index();
        if !crate::has_native_entry(module.func_type(func_index)) {
            return None;
        }
        let published = self.env.assume_published
            && table[defined].load(std::sync::atomic::Ordering::Acquire) != 0;
        if !(published || self.calls_itself(func_index)) {
            return None;
        }
        let defined = DefinedFuncIdx(defined as u32);
        self.vm.published_callees.push(defined);
        Some(self.native_cell(defined))
    }

    /// `func_index` as a defined function a tiered compile calls with a `call rel32` that the
    /// runtime links when it publishes the code ([`crate::OptCode::direct_calls`]): one whose
    /// optimized code was published when this compile began ([`crate::OptEnv::optimized`]),
    /// or the function itself (in its normal code, which is its native entry). Optimized code
    /// is never replaced, so the call needs no cell: it is the eager mode's direct call.
    /// Not when the code must run in any order of publication
    /// ([`crate::OptEnv::assume_published`] is `false`). (An eager compile's direct calls are
    /// all linked before this is asked.)
    fn linkable_callee(&self, func_index: FuncIdx) -> Option<DefinedFuncIdx> {
        let module = self.env.module;
        let optimized = self.env.optimized?;
        let defined = module.defined_func(func_index)?;
        if !self.env.assume_published || !crate::has_native_entry(module.func_type(func_index)) {
            return None;
        }
        let published = optimized[defined.index()].load(std::sync::atomic::Ordering::Acquire) != 0;
        (published || self.calls_itself(func_index)).then_some(defined)
    }

    /// Whether a call to `func_index` is a call of the function being compiled from its
    /// normal code, whose start is its native entry and is published before that code can
    /// run. Not from its OSR entry: that is compiled apart and must not rely on the order of
    /// publication.
    fn calls_itself(&self, func_index: FuncIdx) -> bool {
        func_index == self.vm.func_index && !self.is_osr_entry()
    }

    /// Loads defined function `defined`'s native-entry cell, through the vmctx
    /// (`VmCtx::native_cells`, loaded here: see its docs).
    fn native_cell(&mut self, defined: DefinedFuncIdx) -> Value {
        let cells = self.vmctx_field_in_place(off::NATIVE_CELLS);
        self.b.ins().load(
            I64,
            MemFlagsData::trusted(),
            cells,
            off::pointer_entry(defined.as_u32()),
        )
    }

    /// `func_index` as a defined function whose native-entry cell a call may read, when the
    /// callee may get a native entry later (it is defined and has a native signature, but is
    /// not published yet).
    fn late_bound_callee(&self, func_index: FuncIdx) -> Option<DefinedFuncIdx> {
        let module = self.env.module;
        self.env.native?;
        let defined = module.defined_func(func_index)?;
        crate::has_native_entry(module.func_type(func_index)).then_some(defined)
    }

    /// A direct call to a function that was not optimized yet when the caller was compiled:
    /// each call checks whether its native entry is published by now (then calls it with
    /// register arguments) or goes through the code table.
    fn call_late_bound(&mut self, defined: DefinedFuncIdx, ty: &FuncType) {
        let native = self.native_cell(defined);
        self.native_or_slot_call(
            native,
            ty,
            |t| {
                let vmctx = t.vm.vmctx;
                t.call_native(native, vmctx, ty);
            },
            |t| {
                let frame = t.pass_args_checked(ty);
                let entry = t.code_table_entry(defined);
                let vmctx = t.vm.vmctx;
                t.call_entry(entry, vmctx, frame);
                t.take_results(ty);
            },
        );
    }

    /// A call of type `ty` (its arguments on the stack) that takes `native_call` when `native`
    /// is not 0, else `slot_call`; each leaves the results on the stack, which then holds
    /// them once (block parameters of the join). The slot path is laid out of line (cold): it
    /// serves callees that are not optimized yet, which are slower than the branch anyway.
    fn native_or_slot_call(
        &mut self,
        native: Value,
        ty: &FuncType,
        native_call: impl FnOnce(&mut Self),
        slot_call: impl FnOnce(&mut Self),
    ) {
        let native_block = self.b.create_block();
        let slot_block = self.b.create_block();
        let join = self.b.create_block();
        self.b.set_cold_block(slot_block);
        for &r in ty.results() {
            self.b.append_block_param(join, clif_type(r));
        }
        let args = self.stack.split_off(self.stack.len() - ty.params().len());
        self.b
            .ins()
            .brif(native, native_block, &[], slot_block, &[]);
        self.call_arm(native_block, &args, ty.results().len(), join, native_call);
        self.call_arm(slot_block, &args, ty.results().len(), join, slot_call);
        self.b.switch_to_block(join);
        self.b.seal_block(join);
        let results = self.b.block_params(join).to_vec();
        self.stack.extend(results);
    }

    /// One arm of [`Translator::native_or_slot_call`]: in `block`, the call's arguments `args`
    /// go back on the stack, `call` makes the call, and its `results` jump to `join`.
    fn call_arm(
        &mut self,
        block: ir::Block,
        args: &[Value],
        results: usize,
        join: ir::Block,
        call: impl FnOnce(&mut Self),
    ) {
        self.b.switch_to_block(block);
        self.b.seal_block(block);
        self.stack.extend_from_slice(args);
        call(self);
        let results = self.stack.split_off(self.stack.len() - results);
        let block_args: Vec<BlockArg> = results.iter().map(|&v| BlockArg::Value(v)).collect();
        self.b.ins().jump(join, &block_args);
    }

    /// A call through a native entry with instance `vmctx`: arguments and results in
    /// registers (or Cranelift's return area, for results beyond the return registers); the
    /// callee's frame (for its own callees) starts at `fp + own`, and it checks that frame
    /// itself (native calls take no slot frame: optimized code is bounded by the native stack).
    /// An eager compile's call to defined function `defined`: a `call rel32` to its native
    /// entry, which the runtime links when it publishes the module's code in one batch
    /// ([`crate::OptCode::direct_calls`]). In eager mode nothing changes a native entry after
    /// that batch, so the call needs no cell (wasmtime's direct calls).
    fn call_direct(&mut self, defined: DefinedFuncIdx, ty: &FuncType) {
        let vmctx = self.vm.vmctx;
        let call_args = self.native_call_args(vmctx, ty);
        let signature = self.b.import_signature(crate::native_signature(ty));
        let name = self
            .b
            .func
            .declare_imported_user_function(ir::UserExternalName::new(
                crate::DIRECT_CALL_NAMESPACE,
                defined.as_u32(),
            ));
        let callee = self.b.import_function(ir::ExtFuncData {
            name: ir::ExternalName::User(name),
            signature,
            colocated: true,
            patchable: false,
        });
        let call = self.b.ins().call(callee, &call_args);
        let results = self.b.inst_results(call).to_vec();
        self.reload_fuel();
        self.stack.extend(results);
    }

    /// The arguments of a native call of type `ty` with `vmctx`: the vmctx, the callee's
    /// frame (just past this function's slots) and the parameters, taken off the stack.
    fn native_call_args(&mut self, vmctx: Value, ty: &FuncType) -> Vec<Value> {
        let args = self.stack.split_off(self.stack.len() - ty.params().len());
        let fp = self.vm.fp;
        let frame = self
            .b
            .ins()
            .iadd_imm_u(fp, (self.vm.own_slots * SLOT_BYTES) as i64);
        let mut call_args = vec![vmctx, frame];
        call_args.extend(args);
        call_args
    }

    fn call_native(&mut self, entry: Value, vmctx: Value, ty: &FuncType) {
        let call_args = self.native_call_args(vmctx, ty);
        let sig = self.b.import_signature(crate::native_signature(ty));
        let call = self.b.ins().call_indirect(sig, entry, &call_args);
        let results = self.b.inst_results(call).to_vec();
        self.reload_fuel();
        self.stack.extend(results);
    }

    /// Calls function reference `func` (a checked, non-null reference of type `ty`, its
    /// arguments on the stack): through its native entry with its own vmctx when it has one
    /// (read from the reference at every call: the runtime stores a new entry into every
    /// reference, so a callee optimized later is reached there), else
    /// through [`Translator::call_ref`].
    fn call_funcref(&mut self, func: Value, ty: &FuncType) {
        let native = self.b.ins().load(
            I64,
            MemFlagsData::trusted(),
            func,
            off::FUNCREF_NATIVE as i32,
        );
        self.native_or_slot_call(
            native,
            ty,
            |t| {
                let vmctx = t.b.ins().load(
                    I64,
                    MemFlagsData::trusted(),
                    func,
                    off::FUNCREF_VMCTX as i32,
                );
                t.call_native(native, vmctx, ty);
            },
            |t| {
                let frame = t.pass_args_checked(ty);
                t.call_ref(func, frame, ty);
                t.take_results(ty);
            },
        );
    }

    pub(crate) fn call_indirect(&mut self, type_index: u32, table: u32) {
        let index = self.pop();
        let ty = self.env.module.types[type_index as usize].clone();
        let addr = self.table_elem(table, index);
        let func = self.b.ins().load(I64, MemFlagsData::trusted(), addr, 0);
        // A null reference is caught by the load of its type id, not by a branch: with `func`
        // 0 it reads page 0, which Linux never maps (`vm.mmap_min_addr`, 64 KiB by default;
        // the id's offset is inside the first page), and the fault at this registered site is
        // the trap (wasmtime catches null funcrefs the same way). One conditional branch fewer
        // on every indirect call.
        let null_faults =
            MemFlagsData::new().with_trap_code(Some(clif_trap(TrapCode::IndirectCallToNull)));
        let actual = self
            .b
            .ins()
            .load(I32, null_faults, func, off::FUNCREF_TYPE_ID as i32);
        let expected = match self.env.type_ids {
            // The engine's ids never change while the module lives: a constant.
            Some(ids) => self
                .b
                .ins()
                .iconst(I32, i64::from(ids[type_index as usize])),
            None => {
                let type_ids = self.vmctx_field(off::TYPE_IDS);
                self.b
                    .ins()
                    .load(I32, fixed(), type_ids, (type_index * 4) as i32)
            }
        };
        let bad = self.b.ins().icmp(IntCC::NotEqual, actual, expected);
        self.b.ins().trapnz(bad, clif_trap(TrapCode::BadSignature));
        self.call_funcref(func, &ty);
    }

    /// Calls function reference `func`: a wasm function through its code-table entry with
    /// its own vmctx, a host function through the `call_host` libcall (after publishing the
    /// slot-stack top, for calls back into wasm). Only the (out-of-line) slot path of
    /// [`Translator::call_funcref`] calls it, so all its blocks are cold too.
    fn call_ref(&mut self, func: Value, frame: Value, ty: &FuncType) {
        let callee_vmctx = self.b.ins().load(
            I64,
            MemFlagsData::trusted(),
            func,
            off::FUNCREF_VMCTX as i32,
        );
        let wasm = self.b.create_block();
        let host = self.b.create_block();
        let join = self.b.create_block();
        for block in [wasm, host, join] {
            self.b.set_cold_block(block);
        }
        self.b.ins().brif(callee_vmctx, wasm, &[], host, &[]);

        self.b.switch_to_block(wasm);
        self.b.seal_block(wasm);
        let code = self
            .b
            .ins()
            .load(I64, MemFlagsData::trusted(), func, off::FUNCREF_CODE as i32);
        let entry = self.b.ins().load(I64, MemFlagsData::trusted(), code, 0);
        self.call_entry(entry, callee_vmctx, frame);
        self.b.ins().jump(join, &[]);

        self.b.switch_to_block(host);
        self.b.seal_block(host);
        let top = self
            .b
            .ins()
            .iadd_imm_u(frame, (ty.frame_slots() * SLOT_BYTES) as i64);
        let store = self.store_in_place();
        self.b.ins().store(
            MemFlagsData::trusted(),
            top,
            store,
            off::STORE_STACK_TOP as i32,
        );
        let call_host = self.libcall(Libcall::call_host());
        let vmctx = self.vm.vmctx;
        let status = self.call_rust(call_host, &[vmctx, func, frame], &[I32])[0];
        self.check_status(status);
        self.b.ins().jump(join, &[]);

        self.b.switch_to_block(join);
        self.b.seal_block(join);
    }
}

/// Builds the tier-ABI wrapper of defined function `defined`, of type `ty`, which calls its
/// native entry ([`Symbol::NativeEntry`]; see `Compiler::compile_slot_wrapper`).
pub(crate) fn build_slot_wrapper(
    func: &mut Function,
    builder_ctx: &mut cranelift_frontend::FunctionBuilderContext,
    frontend: cranelift_codegen::isa::TargetFrontendConfig,
    ty: &FuncType,
    defined: DefinedFuncIdx,
) {
    let mut b = FunctionBuilder::new(func, builder_ctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let (vmctx, fp) = (b.block_params(entry)[0], b.block_params(entry)[1]);
    let mut args = vec![vmctx, fp];
    args.extend(load_slots(&mut b, fp, ty.params(), 0));
    let sig = b.import_signature(crate::native_signature(ty));
    let callee = symbol_address(&mut b, Symbol::NativeEntry(defined));
    let call = b.ins().call_indirect(sig, callee, &args);
    let results = b.inst_results(call).to_vec();
    store_slots(&mut b, fp, ty.results(), &results, 0);
    b.ins().return_(&[]);
    b.finalize(frontend);
}
