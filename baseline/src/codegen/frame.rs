//! The frame: the prologue (of the function entry, of the native entry and of every OSR
//! entry), the hotness ticks with their tier-up helper, the OSR entries and the OSR exit.
//!
//! A function without loops whose type fits registers has a second entry, the native entry
//! (`extern "sysv64" fn(vmctx, fp, params..) -> results`), emitted between the code-table
//! entry's prologue and the body: its prologue checks the stacks without touching the
//! argument registers, stores the parameters to their slots, ticks (the tick's slow path
//! reloads the integer parameters) and falls into the body; the code-table entry's prologue
//! loads the integer parameters into the same registers and jumps over it, so both reach the
//! body with the same register cache (and register calls, the hot ones, take no jump).
//!
//! Back-edge ticks and the entry ticks of functions with loops call the tier-up helper out
//! of line (`X64::emit_hot_stubs`: an untaken `js` on the hot path); the entry tick of a
//! function without loops keeps its slow path inline behind a `jns` (see
//! `X64::tick_through_scratch`).
//!
//! The prologue saves the callee-saved registers the function uses (`r12`/`r13` only with
//! loops, whose back-edges tick through them; `r14` only with a memory), loads them, checks both stacks
//! and, at the function entry, ticks (interrupt check and hotness countdown) and zeroes the
//! declared locals; an OSR entry continues a frame the interpreter set up, so it does neither
//! and jumps to its loop header. A tick that crosses zero calls the tier-up helper (the
//! `tier_up` libcall); at a loop header, when the runtime answers with code for that header
//! (optimized code, on-stack replacement), the activation continues there through the OSR
//! exit: a tail jump with this very frame. Without a tier-up to count towards
//! (`CompileEnv::tier_up`) there is no countdown: entries do not tick (but for the flag with
//! epochs) and back-edges only test the interrupt flag (without epochs, a poll load that
//! faults on an interrupt request: `Masm::polls`). Every return pops the frame itself
//! (the epilogue is inlined: no shared one to jump to).
//!
//! A native entry whose body starts with an instruction that defers results leaves its
//! parameters unstored: their stores are deferred where the two prologues join (see
//! `deferred.rs`), and its tick stores them before its out-of-line calls.

use tierup_abi::{NO_OSR, OSR_FROM_BASELINE};

use super::Codegen;

impl Codegen<'_> {
    /// The prologue. `entry`: the function entry (count the call, check for interruption and
    /// zero the declared locals), not an OSR entry.
    pub(super) fn emit_prologue(&mut self, entry: bool) {
        self.m.enter_frame();
        self.m.check_stacks(self.func.frame_size);
        let loops = !self.loop_headers.is_empty();
        if loops {
            self.m.load_countdown(self.func.defined.as_u32());
        }
        // Without loops, the tick reads the interrupt flag through the store the stack check
        // left in `rax`: it comes before the memory base is loaded.
        if entry && !loops {
            self.emit_entry_tick();
        }
        if self.m.frame_loads_memory_base() {
            self.m.load_memory_base(0);
        }
        if entry {
            if loops {
                self.emit_tick(None);
            }
            let params = self.func.num_params;
            self.m.zero_slots(params, self.func.num_locals - params);
            if let Some(ty) = self.native {
                self.m
                    .params_in_arg_registers(ty.params(), self.defer_params());
                // The native entry follows and falls into the body: its callers take no
                // jump (this entry, the slot ABI's, does).
                self.m.jump(self.body);
                self.m.forget_after_jump();
                self.native_at = self.emit_native_entry();
            }
        }
    }

    /// The native entry, when the function has one (`BaselineCode::native_entry`): the
    /// prologue of the function entry with the parameters arriving in registers, stored to
    /// their slots once the stacks are checked; the integer ones stay in their registers,
    /// where the code-table entry's prologue loads them too. It follows that prologue
    /// (which jumps over it) and falls into the body. Before it comes the entry for calls
    /// through function references, a `jmp` to it (`BaselineCode::ref_entry`). Returns the
    /// native entry's code offset.
    pub(super) fn emit_native_entry(&mut self) -> Option<u32> {
        let ty = self.native?;
        // The jump's address has the function's own bits 2 and 3 (functions start 16-byte
        // aligned): see `BaselineCode::ref_entry`.
        let class = self.func.defined.as_u32() % 4;
        self.m.pad_unreachable_to(4 * class, 16);
        self.m.jump_to_next();
        let at = self.m.offset();
        self.m.enter_frame();
        self.m.check_stacks_keeping_args(self.func.frame_size);
        self.m.store_native_params(ty.params(), self.defer_params());
        self.emit_entry_tick();
        if self.m.frame_loads_memory_base() {
            self.m.load_memory_base(0);
        }
        let params = self.func.num_params;
        self.m.zero_slots(params, self.func.num_locals - params);
        self.m
            .params_in_arg_registers(ty.params(), self.defer_params());
        self.m.bind_agreed(self.body);
        Some(at)
    }

    /// Whether a native entry's parameters arrive with their stores deferred: when the body
    /// starts with an instruction that defers results (else the first flush would store
    /// them at once, and storing them before the entry's tick measured faster: a recursive
    /// function's branch target reloads them).
    fn defer_params(&self) -> bool {
        self.labels[0].is_none()
            && self
                .func
                .code
                .first()
                .is_some_and(super::deferred::defers_results)
    }

    /// The entry tick of a function without loops, when it has one: none when nothing
    /// counts towards a tier-up (`CompileEnv::tier_up`) and the stack check sees interrupt
    /// requests (no epochs).
    fn emit_entry_tick(&mut self) {
        if self.env.tier_up || self.env.epoch_interruption {
            self.emit_tick(None);
        }
    }

    /// Interrupt check and hotness countdown (function entry, and loop back-edges to the
    /// header at bytecode index `loop_header`). When a back-edge's countdown crosses zero and
    /// the runtime offers code for this loop header, the activation continues there
    /// ([`Codegen::emit_osr_exit`]).
    pub(super) fn emit_tick(&mut self, loop_header: Option<u32>) {
        let osr_pc = loop_header.map_or(NO_OSR, |pc| pc | OSR_FROM_BASELINE);
        let osr_exit = loop_header.map(|_| self.osr_exit);
        let own_region = loop_header.is_some_and(|pc| self.is_own_header(pc));
        self.m.tick(self.hot_helper, osr_pc, osr_exit, own_region);
    }

    /// The tail jump of [`Codegen::emit_tick`]'s on-stack replacement: the target gets this
    /// frame's vmctx and fp and returns to this function's caller.
    pub(super) fn emit_osr_exit(&mut self) {
        self.m.bind_branch_target(self.osr_exit);
        self.m.leave_frame_and_jump_to_osr_target();
    }

    /// The tier-up helper of the ticks: `tier_up(vmctx, this function, osr_pc)`.
    pub(super) fn emit_hot_helper(&mut self) {
        self.m.bind_branch_target(self.hot_helper);
        self.m.emit_tier_up_helper(self.func.defined.as_u32());
    }

    /// One OSR entry per loop header: the prologue (without zeroing locals), then a jump to
    /// the header. Returns `(bytecode index, code offset)` pairs.
    pub(super) fn emit_osr_entries(&mut self) -> Vec<(u32, u32)> {
        let mut entries = Vec::with_capacity(self.loop_headers.len());
        for k in 0..self.loop_headers.len() {
            let pc = self.loop_headers[k];
            let at = self.m.offset();
            self.emit_prologue(false);
            // A pinned region's header wants its pins (and the countdown register) loaded
            // from the interpreter's frame.
            let region = self.regions.binary_search_by_key(&pc, |r| r.header).ok();
            if let Some(r) = region {
                let region = &self.regions[r];
                self.m
                    .enter_region(&region.slots, &region.v128_slots, &region.read_only);
                self.m.restore_pins();
            }
            let label = self.labels[pc as usize].expect("loop headers have labels");
            self.m.jump(label);
            if region.is_some() {
                self.m.leave_region();
            }
            entries.push((pc, at));
        }
        entries
    }
}
