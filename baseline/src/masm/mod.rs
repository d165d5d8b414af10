//! The macro-assembler: the operations the visitor ([`crate::codegen`]) thinks in (frame
//! slots, immediates, conditions, labels, trap codes, libcalls), each lowered to x86-64 with
//! the register cache kept up to date. The visitor never sees a register or an encoding.
//!
//! Files: this one holds the masm's core (the register cache's plumbing and invariant,
//! labels, branches, traps, calls and the frame) and the vocabulary shared by all;
//! `numeric.rs`, `memory.rs` and `simd.rs` (`v128`) the operations of those families with
//! their vocabulary; `regcache.rs` the register cache; `x64.rs` every encoding (the only
//! layer that writes machine code, through dynasm's `VecAssembler`; the SSE sequences of
//! `v128` operations and the constant pool are its child `x64/simd.rs`).
//!
//! Fixed registers (DESIGN.md §3; all callee-saved, so they survive calls into Rust):
//! `rbx` = frame pointer `fp` (slot `s` is `[rbx + slot_offset(s)]`), `r15` = vmctx, `r14` =
//! base of memory 0, `r13` = this function's hotness countdown, `r12` = the store's interrupt
//! flag (or its poll byte, see `Masm::polls`). `xmm0` and `xmm1` are the temporaries of float operations, `xmm0`, `xmm1`, `xmm14`
//! and `xmm15` those of `v128` sequences; `xmm2`–`xmm13` cache `v128`s. Calls follow SysV
//! (every `xmm` register is caller-saved); in function bodies the stack is 16-byte aligned.
//! Register calls (the native convention, `crate::fits_registers`) pass the integer
//! arguments in `rdx`, `rcx`, `r8`, `r9` and the float and `v128` ones in `xmm0`–`xmm7`,
//! taken from the cache where it holds them; results come back in `rax`, `rdx`, `xmm0`,
//! `xmm1`, are written through and cached. A native entry's integer parameters stay cached
//! in their argument registers (its tick reloads them after its out-of-line calls).
//!
//! # The register-cache invariant
//!
//! The cache ([`regcache`]) remembers which scratch register holds a copy of which slot (a
//! general-purpose register one slot, an SSE register the two slots of a `v128`). Every
//! result is written through to its slot(s) at once, so forgetting the cache is always
//! safe, but for the two kinds of deferred stores below (pinned loop regions, deferred
//! results), which keep the frame exact wherever anything else may read it. Every operation
//! here keeps these rules itself; nothing outside this module touches the cache:
//! - a register's entry is dropped before the register is written with anything else
//!   ([`Masm::claim`], or [`Masm::alloc`], which hands out a register without an entry);
//! - a slot's entries are dropped before the slot is written from anywhere else
//!   ([`Masm::write_slot`] drops, stores, then records the register it stored from);
//! - everything is forgotten where control merges from elsewhere
//!   ([`Masm::bind_branch_target`]; the frame's entry) and around every call (libcalls,
//!   function calls, the tick's call into the runtime), which may clobber every scratch
//!   register and write the callee's frame.
//!
//! The one place the cache survives a jump is a fall-through that only a conditional branch
//! reaches ([`Masm::jump_unless`] / [`Masm::bind_fall_through`]): it gets the cache as it was
//! at the branch, and debug builds check that the code in between ends in a `jmp`.
//!
//! # Deferred result stores
//!
//! While the visitor allows it ([`Masm::set_deferring`]: between instructions whose
//! operands all come through the cache and that neither call nor branch but to a trap, see
//! `codegen/deferred.rs`), a result written to its cache register is not stored: its entry is
//! *deferred* ([`Masm::deferred`], [`Masm::deferred_xmm`]), the register the slot's only
//! current value (as Liftoff keeps values on its virtual stack). A deferred entry is never
//! dropped without its store ([`Masm::claim`], [`Masm::alloc`]'s and `alloc_xmm`'s
//! evictions, a register's entry moving to another slot in `write_slot` / `write_v128`)
//! unless its slots are overwritten first ([`Masm::forget_written`], `claim_for`: the store
//! is then never due); before a slot is read from the frame ([`Masm::place`] and the `v128`
//! reads missing the cache) the deferred entries covering it are stored; and the visitor
//! calls [`Masm::flush_deferred`] before any other instruction, label or region boundary,
//! after dropping the entries of slots that are dead there ([`Masm::discard_deferred`]).
//! Labels, calls, ticks and returns check (debug builds) that nothing is deferred.
//!
//! # Pinned loop regions and deferred stores
//!
//! In an innermost loop (a *region*, chosen by `codegen/pinning.rs`), up to [`MAX_PINS`]
//! scalar slots and [`MAX_V128_PINS`] `v128`s are *pinned*: each has a register of its own
//! ([`PIN_REGS`], [`V128_PIN_REGS`]) that holds the slot's value at every label of the
//! region, so loop-carried values stay in registers across the back-edge. The rule: every
//! edge into a label of the region re-establishes the pins first ([`Masm::restore_pins`]: the
//! fall-through into the label, branches and jump tables from inside the region, the
//! region's own back-edge ticks, whose out-of-line calls reload them, and the OSR entry of
//! the region's header, which loads them from the interpreter's frame). [`Masm::alloc`]
//! never hands out a pinned register; [`Masm::alloc_for`] computes a pinned slot's new value
//! in its own register, so the back-edge needs no moves.
//!
//! A result computed in its slot's pinned register is not stored: the pin is *dirty* (the
//! register holds the only current value, the frame a stale one). This is the one exception
//! to write-through, and it is confined to the region: the frame is made exact
//! ([`Masm::flush_region`]) wherever it may be read or the region left: before every call
//! (libcalls, wasm and host calls; the tick's tier-up and attention calls store the pins on
//! their out-of-line paths, so OSR out of the loop sees an exact frame), on every branch,
//! jump table entry or fall-through out of the region (a conditional exit on its taken path
//! only), and before every return. A dirty pin's cache entry is never dropped without its
//! store ([`Masm::claim`] stores it first) unless its slot is overwritten
//! ([`Masm::forget_written`]); at a label of the region every pin counts as dirty, but those
//! of slots no instruction of the region writes (*read-only* pins: the frame holds their
//! values throughout, so calls and exits store nothing for them). Before a call the visitor
//! may also mark clean the pins whose values are dead after it
//! ([`Masm::skip_dead_pin_stores`]): the next edge into a label reloads them from the stale
//! frame, a value nothing reads. Traps need nothing: a trapping activation's frame is dead.
//!
//! A tick whose countdown does not cross zero falls through (one untaken `js`): the call of
//! the tier-up helper, with the stores and reloads around it, is out of line at the end of
//! the code (`X64::emit_hot_stubs`), as the attention calls are (but for the entry tick of
//! a function without loops, `X64::tick_through_scratch`).
//!
//! In a region of code that counts ([`Masm::set_counting`]) the hotness countdown lives in
//! [`COUNTER_REG`] instead of memory (`[r13]`),
//! flushed at the same points as the pins (a call loses the register; the next edge into a
//! label of the region reloads it). The countdown is a tiering heuristic, not program state,
//! but it stays exact: every decrement reaches memory before anything reads it.
//!
//! Debug builds check the first two rules: `x64.rs` logs the registers (of both classes) and
//! slots each encoding writes, and each time an operation consults or updates the cache
//! ([`Masm::cache`]), it asserts that nothing written since the last time still has an entry.

mod memory;
mod numeric;
mod regcache;
mod simd;
mod x64;

pub(crate) use dynasmrt::DynamicLabel as Label;
pub(crate) use memory::{HeapCheck, LibcallArg, LoadKind, Segment, StoreKind};
pub(crate) use numeric::{
    AluOp, BitCount, DivRemOp, ExtendOp, FloatCond, FloatOp, FloatSignOp, FloatUnaryOp, IntToFloat,
    ShiftOp,
};
pub(crate) use simd::{
    ExtractLane, LaneSize, V128Binary, V128LoadKind, V128Reduce, V128Shift, V128Ternary, V128Unary,
};
use tierup_abi::{FuncType, Libcall, NO_OSR, TrapCode, ValType};

use crate::CpuFeatures;

use regcache::RegCache;
pub(crate) use x64::FrameRegs;
use x64::{Gpr, Place, Src, X64, Xmm};

/// The registers slots may be pinned to in a loop region: registers no operation but a call
/// uses as a fixed operand (division, shifts and jump tables use `rax`, `rcx` and `rdx`;
/// `rsi`, `rdi`, `r8` and `r9` only carry call arguments and the prologue's scratch, and a
/// call forgets every register anyway).
const PIN_REGS: [Gpr; 5] = [Gpr::R8, Gpr::R9, Gpr::R10, Gpr::RSI, Gpr::RDI];

/// The SSE registers `v128` slots may be pinned to in a loop region (the last of the cache
/// order, so the round-robin of the others is least disturbed).
const V128_PIN_REGS: [Xmm; 4] = [Xmm::new(13), Xmm::new(12), Xmm::new(11), Xmm::new(10)];

/// The most `v128` slots a loop region may pin.
pub(crate) const MAX_V128_PINS: usize = V128_PIN_REGS.len();

/// The register the hotness countdown lives in inside a pinned loop region.
const COUNTER_REG: Gpr = Gpr::R11;

/// A tick's out-of-line call of the `attention` libcall (see `Masm::attention_stubs`).
type AttentionStub = (Label, Label, Option<x64::TickReload>, EntryParams);

/// A register holding a deferred result (see [`Masm::deferred_results`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum DeferredReg {
    Gpr(Gpr),
    Xmm(Xmm),
}

/// A deferred result: its register and the slots it covers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeferredResult {
    reg: DeferredReg,
    /// The (first) slot.
    pub(crate) slot: u32,
    /// How many slots: 1, or 2 for a `v128`.
    pub(crate) span: u32,
}

/// A native entry's parameters that stay cached in registers through its prologue, which its
/// tick reloads after its out-of-line calls: integers in their argument registers, `v128`s in
/// [`ENTRY_V128_REGS`].
#[derive(Debug, Clone, Default)]
pub(crate) struct EntryParams {
    /// `(register, slot)` of the integer parameters.
    pub(crate) gprs: Vec<(Gpr, u32)>,
    /// `(register, first slot)` of the `v128` parameters.
    pub(crate) xmms: Vec<(Xmm, u32)>,
}

/// The cache registers a function's first `v128` parameters stay in across its prologue
/// (none is an argument register of the native convention, `xmm0`–`xmm7`, so the native
/// entry moves them there in any order).
const ENTRY_V128_REGS: [Xmm; 6] = [
    Xmm::new(8),
    Xmm::new(9),
    Xmm::new(10),
    Xmm::new(11),
    Xmm::new(12),
    Xmm::new(13),
];

/// The general-purpose registers of the native convention's integer arguments after `vmctx`
/// and `fp` (SysV; see `crate::fits_registers`).
const INT_ARG_REGS: [Gpr; 4] = [Gpr::RDX, Gpr::RCX, Gpr::R8, Gpr::R9];

/// The registers of the native convention's integer results.
const INT_RESULT_REGS: [Gpr; 2] = [Gpr::RAX, Gpr::RDX];

/// How a register call reaches its callee's slot-ABI entry when the callee has no native
/// entry (see [`SlotPath`]).
#[derive(Debug, Clone, Copy)]
enum SlotCall {
    /// Defined function `defined`, through the code table.
    CodeTable(u32),
    /// The function reference in `rdx`, through the call-reference helper.
    Ref(Label),
}

/// The out-of-line slot-ABI path of a register call, taken when the callee has no native
/// entry (emitted at the end): the call, then the results loaded into their registers, as
/// the native path has them at `join`.
#[derive(Debug)]
struct SlotPath {
    label: Label,
    join: Label,
    call: SlotCall,
    args: u32,
    results: Vec<ValType>,
    /// The arguments the native path takes from registers, unstored (deferred): the slot
    /// path stores them first (their registers are intact at `label`).
    stores: Vec<DeferredResult>,
}

/// The most slots a loop region may pin.
pub(crate) const MAX_PINS: usize = PIN_REGS.len();

/// The length of [`Masm::jump_to_next`]'s `jmp`, which ends where the native entry starts
/// (`BaselineCode::ref_entry`).
pub(crate) const JUMP_TO_NEXT_LEN: u32 = 2;

/// A trap site: a faulting instruction's offset and the trap it means (`None`: the trap's
/// status is in `eax`, for traps reported by Rust code that JIT code called).
pub type TrapSiteRecord = (u32, Option<TrapCode>);

// ---- the vocabulary ----

/// Operand width: 32 bits (`i32`, `f32`) or 64 bits (`i64`, `f64`). A 32-bit result is
/// stored zero-extended, as the slot ABI wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Width {
    W32,
    W64,
}

/// The second operand of a binary operation: a slot or a (sign-extended) immediate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operand {
    Slot(u32),
    Imm(i32),
}

/// A condition on the flags of an integer compare (and the parity flag, for float compares).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cond {
    Eq,
    Ne,
    LtS,
    LtU,
    GtS,
    GtU,
    LeS,
    LeU,
    GeS,
    GeU,
    /// Parity set (unordered float compare).
    Parity,
    /// Parity clear (ordered float compare).
    NoParity,
}

impl Cond {
    /// The condition that holds exactly when `self` does not.
    pub(crate) fn negate(self) -> Cond {
        match self {
            Cond::Eq => Cond::Ne,
            Cond::Ne => Cond::Eq,
            Cond::LtS => Cond::GeS,
            Cond::LtU => Cond::GeU,
            Cond::GtS => Cond::LeS,
            Cond::GtU => Cond::LeU,
            Cond::LeS => Cond::GtS,
            Cond::LeU => Cond::GtU,
            Cond::GeS => Cond::LtS,
            Cond::GeU => Cond::LtU,
            Cond::Parity => Cond::NoParity,
            Cond::NoParity => Cond::Parity,
        }
    }
}

/// An integer comparison `lhs <cond> rhs` at `width`, for branches and `compare_and_set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Compare {
    pub(crate) width: Width,
    pub(crate) lhs: u32,
    pub(crate) rhs: Operand,
    pub(crate) cond: Cond,
}

/// The fall-through of [`Masm::jump_unless`], to bind with [`Masm::bind_fall_through`].
#[must_use = "the fall-through label must be bound"]
pub(crate) struct FallThrough {
    label: Label,
    /// The cache at the branch: what is cached when the fall-through is reached.
    cache: RegCache,
    /// Whether the countdown register was live at the branch.
    counter_live: bool,
    /// The dirty pins at the branch.
    dirty: Dirty,
}

/// Which pinned registers hold their slot's only current value (the frame's copy is stale):
/// one bit per index into `Masm::pins` / `Masm::v128_pins`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Dirty {
    gpr: u8,
    xmm: u8,
}

/// The register arguments of a native call, from where ([`Masm::plan_native_args`]).
#[derive(Debug)]
struct NativeArgs {
    xmms: Vec<(Xmm, XmmArg)>,
    ints: Vec<(Gpr, Place)>,
    /// The deferred argument stores the slot path does.
    stores: Vec<DeferredResult>,
}

/// Where an argument passed in an SSE register comes from.
#[derive(Debug, Clone, Copy)]
enum XmmArg {
    /// A float: a general-purpose register caching its slot, or the slot.
    Scalar(Place),
    /// A `v128`: the SSE register caching it, if any, and its first slot.
    V128(Option<Xmm>, u32),
}

/// Each of `types` with its slot, laid out from slot `first` on (a `v128` takes two).
fn with_slots(types: &[ValType], first: u32) -> impl Iterator<Item = (ValType, u32)> + '_ {
    types
        .iter()
        .copied()
        .zip(tierup_abi::types::slot_offsets(types).map(move |o| first + o as u32))
}

/// What a `call_indirect`'s callee type is checked against: the engine's id of the expected
/// type, as a constant when the compile environment knows it (`CompileEnv::type_ids`), else
/// loaded through the vmctx by type index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExpectedType {
    /// The engine's type id.
    Id(u32),
    /// The module's type index (the id is loaded from `VmCtx::type_ids`).
    Index(u32),
}

/// The macro-assembler for one function.
pub(crate) struct Masm {
    asm: X64,
    cache: RegCache,
    /// Faulting instructions and their traps.
    traps: Vec<TrapSiteRecord>,
    /// One shared `ud2` per trap code used (emitted at the end), in order of first use.
    trap_labels: Vec<(TrapCode, Label)>,
    /// The shared "trap with the status in eax" site.
    propagate: Label,
    /// Each tick's out-of-line call of the `attention` libcall: `(stub, back, counter,
    /// reload)`, the stub continuing at `back` when the libcall lets execution go on (emitted
    /// at the end). In a pinned region the countdown register `counter` is stored before the
    /// call and reloaded after, with the pinned registers `reload`.
    attention_stubs: Vec<AttentionStub>,
    /// The pinned slots of the loop region being compiled: `(register, slot)` pairs that
    /// must hold at every label of the region (see "Pinned loop regions" in the module
    /// docs). Empty outside such regions.
    pins: Vec<(Gpr, u32)>,
    /// The pinned `v128` slots of the loop region: `(register, first slot)` pairs, as `pins`.
    v128_pins: Vec<(Xmm, u32)>,
    /// The pins (of `pins` and `v128_pins`, by index) whose slots the region never writes:
    /// never dirty, their frame copies stay exact.
    read_only: Dirty,
    /// In a pinned loop region: the hotness countdown lives in [`COUNTER_REG`] (not in
    /// memory at `[r13]`) while `counter_live` (see the module docs).
    counted: bool,
    /// Whether [`COUNTER_REG`] holds the current countdown (`counted` only); `[r13]` is then
    /// stale but where a flush wrote it.
    counter_live: bool,
    /// The pins whose slot's frame copy is stale (see "Deferred stores" in the module docs).
    dirty: Dirty,
    /// The general-purpose cache registers (one bit per encoding number) holding a result
    /// whose store is deferred: the register is the slot's only current value (see
    /// "Deferred result stores" in the module docs).
    deferred: u16,
    /// The SSE cache registers holding a `v128` result whose store is deferred, as
    /// `deferred`.
    deferred_xmm: u16,
    /// Whether the results of the operations now emitted may be deferred
    /// ([`Masm::set_deferring`]).
    deferring: bool,
    /// The SSE registers of `deferred_xmm` whose `v128` the instruction being emitted
    /// overwrites only in part, the rest being dead ([`Masm::drop_when_half_overwritten`]):
    /// dropped unstored then. Cleared by [`Masm::set_deferring`] (each instruction).
    half_dead_xmm: u16,
    /// Whether the ticks of loop back-edges count down towards a tier-up
    /// (`CompileEnv::tier_up`); else they only test the interrupt flag, and pinned regions
    /// keep no countdown register.
    counting: bool,
    /// The shared "out of fuel" exit (zeroes the fuel, then traps), once used.
    out_of_fuel: Option<Label>,
    /// The defined function being compiled (its countdown, for ticks without `r13`).
    defined: u32,
    /// The memory whose base is in `r14` (multi-memory: 0 but between a
    /// `UseMemory { memory: k }` and the `UseMemory { memory: 0 }` after the access).
    memory: u32,
    /// In a native entry's prologue: the parameters held in registers, which the entry's
    /// tick keeps (reloads after its calls).
    entry_args: EntryParams,
    /// The slot-ABI paths of register calls (emitted at the end).
    slot_paths: Vec<SlotPath>,
    /// Whether `rax` holds the store (from the stack check until `rax` is claimed): the
    /// entry tick of a function without tick registers reads the interrupt flag through it.
    store_in_rax: bool,
    /// Whether the function is a leaf ([`Masm::set_leaf`]): its entries skip the native
    /// stack check.
    leaf: bool,
    /// Whether the function entry's tick tests the attention flag ([`Masm::tick`]): only
    /// with epoch interruption (`CompileEnv::epoch_interruption`); else the entry's stack
    /// check sees interrupt requests.
    entry_attention: bool,
}

impl Masm {
    /// A masm emitting code for a CPU with `cpu`.
    pub(crate) fn new(cpu: CpuFeatures) -> Masm {
        let mut asm = X64::new(cpu);
        let propagate = asm.new_label();
        Masm {
            asm,
            cache: RegCache::default(),
            traps: Vec::new(),
            trap_labels: Vec::new(),
            propagate,
            attention_stubs: Vec::new(),
            pins: Vec::new(),
            v128_pins: Vec::new(),
            read_only: Dirty::default(),
            counted: false,
            counter_live: false,
            dirty: Dirty::default(),
            deferred: 0,
            deferred_xmm: 0,
            deferring: false,
            half_dead_xmm: 0,
            counting: true,
            out_of_fuel: None,
            defined: 0,
            memory: 0,
            entry_args: EntryParams::default(),
            slot_paths: Vec::new(),
            store_in_rax: false,
            leaf: false,
            entry_attention: true,
        }
    }

    /// Marks the function a leaf: no loops, no calls (of any kind, libcalls included): its
    /// native stack use is bounded by its own frame's pushes, which the margin kept below
    /// the native stack limit (for host code) covers, so its entries check the slot stack
    /// only. (The native limit is also how an interrupt request reaches function entries
    /// without epochs: a leaf ends in bounded time, and the next check of its caller or a
    /// loop sees the request.)
    pub(crate) fn set_leaf(&mut self, leaf: bool) {
        self.leaf = leaf;
    }

    /// Makes the function entry's tick test the attention flag (with epoch interruption) or
    /// leave interrupt requests to the stack check (without).
    pub(crate) fn set_entry_attention(&mut self, check: bool) {
        self.entry_attention = check;
    }

    /// The current code offset.
    pub(crate) fn offset(&self) -> u32 {
        self.asm.offset()
    }

    /// Emits the shared trap sites and the constant pool and returns the code, where its
    /// constant pool starts, and its trap table.
    ///
    /// # Errors
    /// If dynasm cannot resolve a label (a compiler bug).
    pub(crate) fn finish(mut self) -> Result<(Vec<u8>, u32, Vec<TrapSiteRecord>), String> {
        self.cache().forget_all();
        self.asm.emit_hot_stubs();
        for (stub, back, reload, keep) in std::mem::take(&mut self.attention_stubs) {
            self.asm.bind(stub);
            if let Some(reload) = &reload {
                self.asm.flush(reload);
            }
            // A native entry's parameters are not stored yet.
            for &(r, slot) in &keep.gprs {
                self.asm.store_slot(slot, r);
            }
            for &(x, slot) in &keep.xmms {
                self.asm.store_v128(slot, x);
            }
            self.asm.call_libcall_with_vmctx(Libcall::attention());
            let propagate = self.propagate;
            self.asm.jump_if_status(propagate);
            if let Some(reload) = &reload {
                self.asm.reload(reload);
            }
            for (r, slot) in keep.gprs {
                self.asm.load_slot(Width::W64, r, slot);
            }
            for (x, slot) in keep.xmms {
                self.asm.load_v128(x, slot);
            }
            self.asm.jmp(back);
        }
        for path in std::mem::take(&mut self.slot_paths) {
            self.asm.bind(path.label);
            for stored in &path.stores {
                match stored.reg {
                    DeferredReg::Gpr(r) => self.asm.store_slot(stored.slot, r),
                    DeferredReg::Xmm(x) => self.asm.store_v128(stored.slot, x),
                }
            }
            match path.call {
                SlotCall::CodeTable(defined) => self.asm.call_code_table_entry(defined, path.args),
                SlotCall::Ref(helper) => self.asm.call_ref_through(path.args, helper),
            }
            let (mut ints, mut floats) = (0, 0);
            for (ty, slot) in with_slots(&path.results, path.args) {
                if ty == ValType::V128 {
                    self.asm.load_v128(Xmm::new(floats), slot);
                    floats += 1;
                } else if crate::in_xmm(ty) {
                    self.asm.load_xmm(Xmm::new(floats), Place::Frame(slot));
                    floats += 1;
                } else {
                    self.asm.load_slot(Width::W64, INT_RESULT_REGS[ints], slot);
                    ints += 1;
                }
            }
            self.asm.jmp(path.join);
        }
        if let Some(out_of_fuel) = self.out_of_fuel {
            self.asm.bind(out_of_fuel);
            self.asm.zero_fuel();
            self.trap_site(TrapCode::OutOfFuel);
            self.asm.ud2();
        }
        for (code, label) in std::mem::take(&mut self.trap_labels) {
            self.asm.bind(label);
            self.trap_site(code);
            self.asm.ud2();
        }
        self.asm.bind(self.propagate);
        let at = self.offset();
        self.traps.push((at, None));
        self.asm.ud2();
        let data_offset = self.asm.emit_constants();
        let code = self.asm.finalize()?;
        Ok((code, data_offset, self.traps))
    }

    // ---- the register cache (the invariant lives here) ----

    /// The cache, after checking (debug builds) that nothing written since the last look
    /// still has an entry.
    fn cache(&mut self) -> &mut RegCache {
        #[cfg(debug_assertions)]
        {
            let writes = self.asm.take_writes();
            check_class("register", writes.regs, &writes.slots, &self.cache.gpr);
            check_class("xmm", writes.xmms, &writes.slots, &self.cache.xmm);
            self.cache.check();
        }
        &mut self.cache
    }

    /// Where `slot` can be read from right now.
    fn place(&mut self, slot: u32) -> Place {
        match self.cache().gpr.find(slot) {
            Some(r) => Place::Reg(r),
            None => {
                self.exact_frame(slot, 1);
                Place::Frame(slot)
            }
        }
    }

    /// Drops `r`'s entry: it is about to be written.
    fn claim(&mut self, r: Gpr) {
        if r == Gpr::RAX {
            self.store_in_rax = false;
        }
        self.store_deferred(r);
        if let Some(k) = self.pins.iter().position(|&(p, _)| p == r)
            && self.dirty.gpr & (1 << k) != 0
        {
            // The register holds the slot's only current value: store it first.
            let slot = self.pins[k].1;
            self.dirty.gpr &= !(1 << k);
            self.cache().forget_slot(slot);
            self.asm.store_slot(slot, r);
        }
        self.cache().gpr.forget_reg(r);
    }

    /// A scratch register for a result, not one of the registers in `avoid` (`None`s are
    /// ignored) nor a pinned one (nor the countdown register); it has no entry.
    fn alloc(&mut self, avoid: &[Option<Gpr>]) -> Gpr {
        let counter = if self.counted {
            1 << COUNTER_REG.number()
        } else {
            0
        };
        let pinned = self
            .pins
            .iter()
            .fold(counter, |mask, &(p, _)| mask | 1 << p.number());
        let (r, dropped) = self
            .cache()
            .gpr
            .take_next_dropping(|r| avoid.contains(&Some(r)) || pinned & (1 << r.number()) != 0);
        if self.deferred & (1 << r.number()) != 0 {
            // Evicting a deferred result: its store is due now.
            self.deferred &= !(1 << r.number());
            let slot = dropped.expect("a deferred register caches its slot");
            self.asm.store_slot(slot, r);
        }
        r
    }

    /// Whether back-edge ticks count down towards a tier-up (`CompileEnv::tier_up`; set
    /// before the first instruction).
    pub(crate) fn set_counting(&mut self, counting: bool) {
        self.counting = counting;
    }

    /// Whether loop back-edges test for interruption with a poll load instead of the
    /// interrupt flag's test and its out-of-line call: without a countdown and without
    /// epochs, when the only reason to stop at a back-edge is an interrupt request, which
    /// makes the store's poll page (`StoreCtx::interrupt_poll`, `r12` then) inaccessible. The
    /// load faults then, at an `Interrupted` trap site (as optimized code polls): no branch
    /// and no call on the loop's path, and the register cache survives it.
    fn polls(&self) -> bool {
        !self.counting && !self.entry_attention
    }

    /// Whether loop back-edges count down towards a tier-up ([`Masm::set_counting`]): else
    /// their tick is the interrupt flag's test only.
    pub(crate) fn counts(&self) -> bool {
        self.counting
    }

    /// Whether results may be deferred (the visitor's choice, per instruction: only between
    /// instructions whose operands all come through the cache, see the module docs).
    pub(crate) fn set_deferring(&mut self, deferring: bool) {
        self.deferring = deferring;
        self.half_dead_xmm = 0;
    }

    /// Forgets `slot`'s value without writing it: the visitor knows its new value is never
    /// read (see `Codegen::const32`).
    pub(crate) fn discard_slot(&mut self, slot: u32) {
        self.forget_written(slot, 1);
    }

    /// Whether `r` holds a deferred result.
    fn is_deferred(&self, r: Gpr) -> bool {
        self.deferred & (1 << r.number()) != 0
    }

    /// Stores the deferred result `r` holds, if any (`r` keeps caching it).
    fn store_deferred(&mut self, r: Gpr) {
        if self.deferred & (1 << r.number()) == 0 {
            return;
        }
        self.deferred &= !(1 << r.number());
        let slot = self
            .cache()
            .gpr
            .holds(r)
            .expect("a deferred register caches its slot");
        self.cache().forget_slot(slot);
        self.asm.store_slot(slot, r);
        self.cache().gpr.record(r, slot);
    }

    /// The deferred results, each with the slots it covers.
    pub(crate) fn deferred_results(&self) -> Vec<DeferredResult> {
        let gprs = (0..16u8)
            .filter(|&n| self.deferred & (1 << n) != 0)
            .filter_map(|n| {
                let r = Gpr::from_number(n);
                self.cache.gpr.holds(r).map(|slot| DeferredResult {
                    reg: DeferredReg::Gpr(r),
                    slot,
                    span: 1,
                })
            });
        let xmms = (0..16u8)
            .filter(|&n| self.deferred_xmm & (1 << n) != 0)
            .filter_map(|n| {
                let x = Xmm::new(n);
                self.cache.xmm.holds(x).map(|slot| DeferredResult {
                    reg: DeferredReg::Xmm(x),
                    slot,
                    span: 2,
                })
            });
        gprs.chain(xmms).collect()
    }

    /// Lets the instruction about to be emitted drop the deferred `v128` of `result` unstored
    /// when it overwrites only part of its slots: the visitor knows the other part is dead
    /// after it and that the instruction does not read it.
    pub(crate) fn drop_when_half_overwritten(&mut self, result: &DeferredResult) {
        if let DeferredReg::Xmm(x) = result.reg {
            self.half_dead_xmm |= 1 << x.number();
        }
    }

    /// Drops a deferred result unstored (its slots are dead: the visitor knows).
    pub(crate) fn discard_deferred(&mut self, result: &DeferredResult) {
        match result.reg {
            DeferredReg::Gpr(r) => {
                self.deferred &= !(1 << r.number());
                self.cache().gpr.forget_reg(r);
            }
            DeferredReg::Xmm(x) => {
                self.deferred_xmm &= !(1 << x.number());
                self.cache().xmm.forget_reg(x);
            }
        }
    }

    /// Stores the deferred `v128` result `x` holds, if any (`x` keeps caching it).
    fn store_deferred_xmm(&mut self, x: Xmm) {
        if self.deferred_xmm & (1 << x.number()) == 0 {
            return;
        }
        self.deferred_xmm &= !(1 << x.number());
        let slot = self
            .cache()
            .xmm
            .holds(x)
            .expect("a deferred register caches its slots");
        self.cache().forget_slots(slot, 2);
        self.asm.store_v128(slot, x);
        self.cache().xmm.record(x, slot);
    }

    /// Does the deferred stores of the results covering a slot in `first..first + count`,
    /// before those slots are read from the frame.
    fn exact_frame(&mut self, first: u32, count: u32) {
        for result in self.deferred_results() {
            if result.slot < first + count && first < result.slot + result.span {
                match result.reg {
                    DeferredReg::Gpr(r) => self.store_deferred(r),
                    DeferredReg::Xmm(x) => self.store_deferred_xmm(x),
                }
            }
        }
    }

    /// Drops the deferred store of `slot`, whose frame copy nothing reads any more (a
    /// return's operand, about to be copied to a result slot): its register keeps caching it.
    pub(crate) fn skip_deferred_store(&mut self, slot: u32) {
        if let Some(r) = self.cache.gpr.find(slot) {
            self.deferred &= !(1 << r.number());
        }
    }

    /// Before a return: does the deferred stores of the result slots (`0..results`, which
    /// the caller reads) and drops the others (the frame dies).
    pub(crate) fn flush_results(&mut self, results: u32) {
        for result in self.deferred_results() {
            if result.slot >= results {
                self.discard_deferred(&result);
            }
        }
        self.flush_deferred();
    }

    /// Does every deferred store: the frame is exact again.
    pub(crate) fn flush_deferred(&mut self) {
        while self.deferred != 0 {
            let n = self.deferred.trailing_zeros() as u8;
            self.store_deferred(Gpr::from_number(n));
        }
        while self.deferred_xmm != 0 {
            let n = self.deferred_xmm.trailing_zeros() as u8;
            self.store_deferred_xmm(Xmm::new(n));
        }
    }

    /// A register to compute slot `dst`'s new value in: its pinned register when it has one
    /// that `avoid` does not name, else [`Masm::alloc`]'s. The pinned register may still
    /// cache `dst`'s old value (which the operation may read first): claim it before writing.
    fn alloc_for(&mut self, dst: u32, avoid: &[Option<Gpr>]) -> Gpr {
        match self.pin_of(dst) {
            Some(p) if !avoid.contains(&Some(p)) => p,
            _ => self.alloc(avoid),
        }
    }

    /// The register `slot` is pinned to in the current loop region, if any.
    fn pin_of(&self, slot: u32) -> Option<Gpr> {
        self.pins.iter().find(|&&(_, s)| s == slot).map(|&(r, _)| r)
    }

    /// Starts a pinned loop region: `slots` (at most [`MAX_PINS`]) get registers of their
    /// own and the countdown moves to [`COUNTER_REG`]. Emits nothing: [`Masm::restore_pins`]
    /// establishes them.
    ///
    /// `read_only`: the pinned slots no instruction of the region writes (the frame holds
    /// their values throughout, so their pins are never dirty).
    pub(crate) fn enter_region(&mut self, slots: &[u32], v128_slots: &[u32], read_only: &[u32]) {
        debug_assert!(slots.len() <= MAX_PINS && v128_slots.len() <= MAX_V128_PINS);
        debug_assert!(!self.counted, "regions do not nest");
        self.pins = PIN_REGS
            .iter()
            .copied()
            .zip(slots.iter().copied())
            .collect();
        self.v128_pins = V128_PIN_REGS
            .iter()
            .copied()
            .zip(v128_slots.iter().copied())
            .collect();
        let mask = |slots: &[u32]| {
            slots
                .iter()
                .enumerate()
                .filter(|(_, slot)| read_only.contains(slot))
                .fold(0u8, |m, (k, _)| m | 1 << k)
        };
        self.read_only = Dirty {
            gpr: mask(slots),
            xmm: mask(v128_slots),
        };
        self.counted = self.counting;
        self.counter_live = false;
    }

    /// Ends the pinned loop region: when control can fall through to here, the deferred
    /// stores are done and the countdown goes back to memory.
    pub(crate) fn leave_region(&mut self) {
        if !self.asm.ends_in_jump() {
            self.flush_region();
        }
        self.dirty = Dirty::default();
        self.read_only = Dirty::default();
        self.pins.clear();
        self.v128_pins.clear();
        self.counted = false;
        self.counter_live = false;
    }

    /// The dirty pins: `(slot, span)` of each (a `v128`'s span is 2).
    pub(crate) fn dirty_pins(&self) -> Vec<(u32, u32)> {
        let gprs = (0..self.pins.len())
            .filter(|k| self.dirty.gpr & (1 << k) != 0)
            .map(|k| (self.pins[k].1, 1));
        let xmms = (0..self.v128_pins.len())
            .filter(|k| self.dirty.xmm & (1 << k) != 0)
            .map(|k| (self.v128_pins[k].1, 2));
        gprs.chain(xmms).collect()
    }

    /// Marks the pins of `slots` clean, their stores not due: the visitor knows that their
    /// values are dead after the call about to be emitted (which clobbers the registers;
    /// the next edge into a label of the region reloads them from the stale frame, a
    /// harmless dead value).
    pub(crate) fn skip_dead_pin_stores(&mut self, slots: &[u32]) {
        for k in 0..self.pins.len() {
            if slots.contains(&self.pins[k].1) {
                self.dirty.gpr &= !(1 << k);
            }
        }
        for k in 0..self.v128_pins.len() {
            if slots.contains(&self.v128_pins[k].1) {
                self.dirty.xmm &= !(1 << k);
            }
        }
    }

    /// Makes the frame and `[r13]` exact (before control leaves the region or calls out):
    /// stores every dirty pin to its slot and the countdown register, when live, to `[r13]`.
    /// The registers keep their values.
    pub(crate) fn flush_region(&mut self) {
        for k in 0..self.pins.len() {
            if self.dirty.gpr & (1 << k) != 0 {
                let (p, slot) = self.pins[k];
                self.cache().forget_slot(slot);
                self.asm.store_slot(slot, p);
                self.cache().gpr.record(p, slot);
            }
        }
        for k in 0..self.v128_pins.len() {
            if self.dirty.xmm & (1 << k) != 0 {
                let (p, slot) = self.v128_pins[k];
                self.cache().forget_slots(slot, 2);
                self.asm.store_v128(slot, p);
                self.cache().xmm.record(p, slot);
            }
        }
        self.dirty = Dirty::default();
        if self.counted && self.counter_live {
            self.asm.store_countdown(COUNTER_REG);
        }
    }

    /// Before a register call of type `ty` with its frame at slot `args`: as
    /// [`Masm::before_call`], but the deferred stores of the arguments' slots are left to
    /// [`Masm::plan_native_args`] (the native path takes them from registers).
    fn before_register_call(&mut self, args: u32, ty: &FuncType) {
        let end = args + ty.param_slots() as u32;
        self.flush_deferred_outside(args, end);
        self.flush_region();
        self.counter_live = false;
    }

    /// Does the deferred stores but those of results lying within slots `first..end`.
    pub(crate) fn flush_deferred_outside(&mut self, first: u32, end: u32) {
        for result in self.deferred_results() {
            if !(first <= result.slot && result.slot + result.span <= end) {
                match result.reg {
                    DeferredReg::Gpr(r) => self.store_deferred(r),
                    DeferredReg::Xmm(x) => self.store_deferred_xmm(x),
                }
            }
        }
    }

    /// Before a call: the frame and the countdown are made exact, and the countdown register
    /// is lost with every other scratch register.
    fn before_call(&mut self) {
        self.flush_deferred();
        self.flush_region();
        self.counter_live = false;
    }

    /// Drops every entry covering a slot in `first..first + count`, which are about to be
    /// written from elsewhere: a dirty pin of such a slot is superseded (a `v128` pin only
    /// partly overwritten is stored first).
    fn forget_written(&mut self, first: u32, count: u32) {
        for k in 0..self.pins.len() {
            if (first..first + count).contains(&self.pins[k].1) {
                self.dirty.gpr &= !(1 << k);
            }
        }
        for k in 0..self.v128_pins.len() {
            let (p, slot) = self.v128_pins[k];
            if self.dirty.xmm & (1 << k) != 0 && slot < first + count && first < slot + 2 {
                if !(first <= slot && slot + 2 <= first + count) {
                    self.cache().forget_slots(slot, 2);
                    self.asm.store_v128(slot, p);
                }
                self.dirty.xmm &= !(1 << k);
            }
        }
        // A deferred result of an overwritten slot is superseded: its store is never due (a
        // `v128` only partly overwritten is stored first).
        let mut deferred = self.deferred_xmm;
        while deferred != 0 {
            let n = deferred.trailing_zeros() as u8;
            deferred &= deferred - 1;
            let x = Xmm::new(n);
            if let Some(slot) = self.cache.xmm.holds(x)
                && slot < first + count
                && first < slot + 2
            {
                if !(first <= slot && slot + 2 <= first + count)
                    && self.half_dead_xmm & (1 << n) == 0
                {
                    self.store_deferred_xmm(x);
                }
                self.deferred_xmm &= !(1 << n);
                self.half_dead_xmm &= !(1 << n);
            }
        }
        let mut deferred = self.deferred;
        while deferred != 0 {
            let n = deferred.trailing_zeros() as u8;
            deferred &= deferred - 1;
            if let Some(slot) = self.cache.gpr.holds(Gpr::from_number(n))
                && (first..first + count).contains(&slot)
            {
                self.deferred &= !(1 << n);
            }
        }
        self.cache().forget_slots(first, count);
    }

    /// Drops `r`'s entry, about to be written with slot `dst`'s new value: when `r` is `dst`'s
    /// pin, its old value needs no store (it is superseded).
    fn claim_for(&mut self, r: Gpr, dst: u32) {
        if self.pin_of(dst) == Some(r) {
            self.forget_written(dst, 1);
        }
        // `dst`'s deferred old value in `r` is superseded too.
        if self.cache.gpr.holds(r) == Some(dst) {
            self.deferred &= !(1 << r.number());
        }
        self.claim(r);
    }

    /// Makes every pinned register hold its slot (a `mov` from the register caching it, or a
    /// load from the frame, which is always exact) and the countdown register the countdown:
    /// before every edge to a label of a pinned region.
    pub(crate) fn restore_pins(&mut self) {
        if self.counted && !self.counter_live {
            self.claim(COUNTER_REG);
            self.asm.load_countdown_value(COUNTER_REG);
            self.counter_live = true;
        }
        for k in 0..self.pins.len() {
            let (p, slot) = self.pins[k];
            match self.place(slot) {
                Place::Reg(r) if r == p => {}
                Place::Reg(r) => {
                    self.claim(p);
                    self.dirty.gpr &= !(1 << k);
                    self.asm.mov(Width::W64, p, r);
                    self.cache().gpr.forget_reg(r);
                    self.cache().gpr.record(p, slot);
                }
                Place::Frame(_) => {
                    self.claim(p);
                    self.dirty.gpr &= !(1 << k);
                    self.asm.load_slot(Width::W64, p, slot);
                    self.cache().gpr.record(p, slot);
                }
            }
        }
        for k in 0..self.v128_pins.len() {
            let (p, slot) = self.v128_pins[k];
            match self.cache().xmm.find(slot) {
                Some(x) if x == p => {}
                Some(x) => {
                    self.cache().xmm.forget_reg(p);
                    self.dirty.xmm &= !(1 << k);
                    self.asm.mov_v128(p, x);
                    self.cache().xmm.forget_reg(x);
                    self.cache().xmm.record(p, slot);
                }
                None => {
                    self.cache().xmm.forget_reg(p);
                    self.dirty.xmm &= !(1 << k);
                    self.asm.load_v128(p, slot);
                    self.cache().xmm.record(p, slot);
                }
            }
        }
    }

    /// Records the pinned registers as holding their slots (where every edge established
    /// them), each possibly the only current copy (dirty).
    fn record_pins(&mut self) {
        self.dirty = Dirty {
            gpr: (1u8 << self.pins.len()).wrapping_sub(1) & !self.read_only.gpr,
            xmm: (1u8 << self.v128_pins.len()).wrapping_sub(1) & !self.read_only.xmm,
        };
        for k in 0..self.pins.len() {
            let (p, slot) = self.pins[k];
            self.cache().gpr.record(p, slot);
        }
        for k in 0..self.v128_pins.len() {
            let (p, slot) = self.v128_pins[k];
            self.cache().xmm.record(p, slot);
        }
    }

    /// Loads `slot` into `r` (64 bits, or the low 32 zero-extended).
    fn load_slot(&mut self, width: Width, r: Gpr, slot: u32) {
        match (width, self.place(slot)) {
            (Width::W64, Place::Reg(s)) if s == r => {}
            (_, Place::Reg(s)) => {
                self.claim(r);
                self.asm.mov(width, r, s);
            }
            (_, Place::Frame(slot)) => {
                self.claim(r);
                self.asm.load_slot(width, r, slot);
            }
        }
    }

    /// Loads `slot` into `r` for an operation that reads only `width` bits of it: nothing
    /// when `r` already caches it (at either width: a 32-bit operation ignores the upper half).
    fn load_operand(&mut self, width: Width, r: Gpr, slot: u32) {
        if self.place(slot) != Place::Reg(r) {
            self.load_slot(width, r, slot);
        }
    }

    /// A register holding `slot`'s value: its cached register, or a fresh one loaded.
    fn value_reg(&mut self, slot: u32) -> Gpr {
        match self.place(slot) {
            Place::Reg(r) => r,
            Place::Frame(_) => {
                let r = self.alloc(&[]);
                self.load_slot(Width::W64, r, slot);
                r
            }
        }
    }

    /// Stores `r` (64 bits) to `slot` and remembers that `r` holds it; a pinned slot's value
    /// goes to its pinned register instead, unstored (dirty).
    fn write_slot(&mut self, slot: u32, r: Gpr) {
        self.forget_written(slot, 1);
        match self.pins.iter().position(|&(_, s)| s == slot) {
            // Deferred: the pinned register is the slot's value until a flush (a result
            // computed elsewhere moves there; its old value is superseded).
            Some(k) => {
                let p = self.pins[k].0;
                if p != r {
                    self.claim(p);
                    self.asm.mov(Width::W64, p, r);
                }
                self.dirty.gpr |= 1 << k;
                self.cache().gpr.record(p, slot);
            }
            None => {
                // A pinned register keeps its own slot's entry (its only one: it may be dirty).
                if self.pins.iter().any(|&(p, _)| p == r) {
                    self.asm.store_slot(slot, r);
                } else {
                    // `r` may hold another slot's deferred result (a copy): stored first, as
                    // `r`'s entry moves to `slot`.
                    self.store_deferred(r);
                    if self.deferring {
                        self.deferred |= 1 << r.number();
                    } else {
                        self.asm.store_slot(slot, r);
                    }
                    self.cache().gpr.record(r, slot);
                }
            }
        }
    }

    /// `dst` = what `emit` computes into a fresh scratch register (which then caches `dst`).
    /// `emit` may write that register only.
    fn compute_into_slot(&mut self, dst: u32, emit: impl FnOnce(&mut X64, Gpr)) {
        let r = self.alloc_for(dst, &[]);
        self.claim_for(r, dst);
        emit(&mut self.asm, r);
        self.write_slot(dst, r);
    }

    /// Stores `xmm`'s low `width` bits to `slot` (an f32's upper half zeroed).
    fn write_slot_from_xmm(&mut self, width: Width, slot: u32, x: Xmm) {
        self.compute_into_slot(slot, |asm, r| asm.mov_from_xmm(width, r, x));
    }

    /// Loads `slot` into `x` (64 bits; an f32 uses the low half).
    fn load_xmm(&mut self, x: Xmm, slot: u32) {
        let place = self.place(slot);
        self.asm.load_xmm(x, place);
    }

    // ---- labels, branches, traps ----

    pub(crate) fn new_label(&mut self) -> Label {
        self.asm.new_label()
    }

    /// Binds `label` where control arrives from elsewhere (a branch target, a loop header, a
    /// shared stub): the cache is forgotten, but for the pinned registers of the current loop
    /// region, which every edge to a label of the region establishes first
    /// ([`Masm::restore_pins`]).
    pub(crate) fn bind_branch_target(&mut self, label: Label) {
        debug_assert_eq!(
            self.deferred | self.deferred_xmm,
            0,
            "deferred stores done before a label"
        );
        self.cache().forget_all();
        self.record_pins();
        self.counter_live = self.counted;
        self.asm.bind(label);
    }

    /// Pads with `nop`s so that the next instruction starts a multiple of `align` bytes into
    /// the code (a loop header: see `Codegen::aligned_headers`).
    pub(crate) fn align_code(&mut self, align: u32) {
        self.asm.align_with_nops(align);
    }

    /// Whether the code emitted last is an unconditional `jmp` (what follows is reached only
    /// through a label).
    pub(crate) fn ends_in_jump(&self) -> bool {
        self.asm.ends_in_jump()
    }

    /// Pads the code, where no path falls through (after an unconditional jump), until its
    /// offset is `residue` modulo `modulus`.
    pub(crate) fn pad_unreachable_to(&mut self, residue: u32, modulus: u32) {
        debug_assert!(
            self.asm.ends_in_jump(),
            "padding on a path that falls through"
        );
        self.asm.pad_to_residue(residue, modulus);
    }

    /// A taken branch to the next instruction, which changes nothing but the branch history
    /// (see `BaselineCode::ref_entry`).
    pub(crate) fn jump_to_next(&mut self) {
        self.asm.jump_to_next();
    }

    /// `jmp label`.
    pub(crate) fn jump(&mut self, label: Label) {
        self.asm.jmp(label);
    }

    /// After an unconditional jump, where only a new entry continues: its deferred stores
    /// went with the jump (whose target does them), and nothing is cached.
    pub(crate) fn forget_after_jump(&mut self) {
        debug_assert!(self.asm.ends_in_jump(), "after an unconditional jump");
        self.deferred = 0;
        self.deferred_xmm = 0;
        self.cache().forget_all();
    }

    /// Branches to `label` when `cmp` holds.
    pub(crate) fn compare_and_branch(&mut self, cmp: Compare, label: Label) {
        self.compare(cmp);
        self.asm.jcc(cmp.cond, label);
    }

    /// Jumps over the code that follows, up to [`Masm::bind_fall_through`], unless `cmp`
    /// holds (so that code runs only when it holds). That code must end in an unconditional
    /// jump: the fall-through is then reached only from here, and gets the cache as it is now.
    pub(crate) fn jump_unless(&mut self, cmp: Compare) -> FallThrough {
        self.compare(cmp);
        let label = self.asm.new_label();
        self.asm.jcc(cmp.cond.negate(), label);
        FallThrough {
            label,
            cache: self.cache().clone(),
            counter_live: self.counter_live,
            dirty: self.dirty,
        }
    }

    /// Binds the fall-through of [`Masm::jump_unless`].
    pub(crate) fn bind_fall_through(&mut self, fall_through: FallThrough) {
        debug_assert!(
            self.asm.ends_in_jump(),
            "the code before a fall-through must end in a jmp"
        );
        *self.cache() = fall_through.cache;
        self.counter_live = fall_through.counter_live;
        self.dirty = fall_through.dirty;
        self.asm.bind(fall_through.label);
    }

    /// Jumps to `targets[min(index, targets.len() - 1)]` (slot `index`'s low 32 bits, unsigned).
    pub(crate) fn jump_table(&mut self, index: u32, targets: &[Label]) {
        self.load_slot(Width::W32, Gpr::RAX, index);
        self.claim(Gpr::RAX);
        self.claim(Gpr::RCX);
        self.asm.jump_table(targets);
    }

    /// Traps with `code` here (`ud2`).
    pub(crate) fn trap(&mut self, code: TrapCode) {
        self.trap_site(code);
        self.asm.ud2();
    }

    /// Records that the next instruction may fault with `code`.
    fn trap_site(&mut self, code: TrapCode) {
        let at = self.offset();
        self.traps.push((at, Some(code)));
    }

    /// The label of the shared `ud2` for `code`.
    fn trap_label(&mut self, code: TrapCode) -> Label {
        if let Some(&(_, l)) = self.trap_labels.iter().find(|(c, _)| *c == code) {
            return l;
        }
        let l = self.asm.new_label();
        self.trap_labels.push((code, l));
        l
    }

    /// Sets the flags for `cmp` (`lhs` is loaded into a register, and cached, when it must).
    fn compare(&mut self, cmp: Compare) {
        let Compare {
            width, lhs, rhs, ..
        } = cmp;
        match rhs {
            Operand::Slot(rhs) => {
                let b = self.place(rhs);
                let a = match self.place(lhs) {
                    Place::Reg(r) => r,
                    Place::Frame(_) => {
                        let r = self.alloc(&[b.reg()]);
                        self.load_slot(Width::W64, r, lhs);
                        self.cache().gpr.record(r, lhs);
                        r
                    }
                };
                self.asm.cmp(width, a, b.into());
            }
            Operand::Imm(imm) => match self.place(lhs) {
                Place::Reg(r) => self.asm.cmp(width, r, Src::Imm(imm)),
                Place::Frame(slot) => self.asm.cmp_slot_imm(width, slot, imm),
            },
        }
    }

    // ---- calls ----

    /// `mov rdi, r15`.
    fn pass_vmctx(&mut self) {
        self.claim(Gpr::RDI);
        self.asm.vmctx_to_rdi();
    }

    /// An immediate argument in `r`.
    fn pass_imm(&mut self, r: Gpr, imm: u32) {
        self.claim(r);
        self.asm.mov_imm32(r, imm);
    }

    /// Calls `libcall` (arguments already in place); the call clobbers every scratch register.
    fn call_libcall(&mut self, libcall: Libcall) {
        self.before_call();
        self.cache().forget_all();
        self.asm.call_libcall(libcall);
        self.cache().forget_all();
    }

    /// After a call returning a status in `eax`: trap with it unless it is 0.
    fn check_status(&mut self) {
        let propagate = self.propagate;
        self.asm.jump_if_status(propagate);
    }

    /// Calls defined function `defined` through the code table, with its frame at slot `args`.
    pub(crate) fn call_code_table_entry(&mut self, defined: u32, args: u32) {
        self.before_call();
        self.cache().forget_all();
        self.asm.call_code_table_entry(defined, args);
        self.cache().forget_all();
    }

    /// Calls function `func` through its function reference and `call_ref_helper` (see
    /// [`Masm::emit_call_ref_helper`]), with its frame at slot `args`.
    pub(crate) fn call_func_ref(&mut self, func: u32, args: u32, call_ref_helper: Label) {
        self.before_call();
        self.cache().forget_all();
        self.asm.call_func_ref(func, args, call_ref_helper);
        self.cache().forget_all();
    }

    /// `call_indirect`: calls the function reference at `table[index]` through
    /// `call_ref_helper`, with its frame at slot `args`, trapping when the index is out of
    /// bounds, the reference is null or its type is not type `type_index`.
    pub(crate) fn call_indirect(
        &mut self,
        table: u32,
        index: u32,
        expected: ExpectedType,
        args: u32,
        call_ref_helper: Label,
    ) {
        self.table_element(table, index);
        let bad = self.trap_label(TrapCode::BadSignature);
        self.before_call();
        self.cache().forget_all();
        self.check_table_element(expected, bad);
        self.asm.call_ref_through(args, call_ref_helper);
        self.cache().forget_all();
    }

    /// `rdx` = the function reference in table element `rax[rcx]`, checked to be of type
    /// `expected` (else jumps to `bad`). A null reference is caught by the load of its type id,
    /// not by a branch: it reads page 0, which Linux never maps (`vm.mmap_min_addr`), and the
    /// fault at this recorded site is the trap (as the optimizer and wasmtime do). Writes
    /// `rax`, `rcx` and `rdx`.
    fn check_table_element(&mut self, expected: ExpectedType, bad: Label) {
        self.asm.load_table_element(Gpr::RDX);
        self.trap_site(TrapCode::IndirectCallToNull);
        self.asm.check_func_ref_type(expected, bad);
    }

    /// The call-reference helper (bind its label first): calls the function reference in
    /// `rdx` with its frame at `rsi`, a wasm function through its code-table entry and a host
    /// function through the `call_host` libcall (traps reported by the host propagate).
    /// `frame_slots` is the calling function's frame size.
    pub(crate) fn emit_call_ref_helper(&mut self, frame_slots: u32) {
        let propagate = self.propagate;
        self.asm.call_ref_helper_body(frame_slots, propagate);
    }

    // ---- frame ----

    /// Sets the fixed registers the frame of defined function `defined` saves and uses
    /// (before its first prologue).
    pub(crate) fn set_frame(&mut self, frame: FrameRegs, defined: u32) {
        self.asm.set_frame(frame);
        self.defined = defined;
    }

    /// Whether the frame loads memory 0's base into `r14` (the function accesses memory).
    pub(crate) fn frame_loads_memory_base(&self) -> bool {
        self.asm.frame().memory
    }

    /// Saves the callee-saved registers the frame uses and loads `r15` = vmctx, `rbx` = fp
    /// from the arguments (function and OSR entries).
    pub(crate) fn enter_frame(&mut self) {
        debug_assert_eq!(
            self.deferred | self.deferred_xmm,
            0,
            "deferred stores done before another entry"
        );
        self.cache().forget_all();
        self.store_in_rax = false;
        self.asm.enter_frame();
    }

    /// Loads the interrupt flag's address (`r12`, when the frame has it) and checks the native stack and the slot
    /// stack for a frame of `frame_slots` slots, trapping with stack overflow.
    pub(crate) fn check_stacks(&mut self, frame_slots: u32) {
        let overflow = self.trap_label(TrapCode::StackOverflow);
        self.claim(Gpr::RAX);
        self.claim(Gpr::RCX);
        self.asm
            .check_stacks(frame_slots, overflow, false, !self.leaf, self.polls());
        self.store_in_rax = true;
    }

    /// [`Masm::check_stacks`] in a native entry, keeping the argument registers (`rax` and
    /// `rdi` serve as scratch).
    pub(crate) fn check_stacks_keeping_args(&mut self, frame_slots: u32) {
        let overflow = self.trap_label(TrapCode::StackOverflow);
        self.claim(Gpr::RAX);
        self.claim(Gpr::RDI);
        self.asm
            .check_stacks(frame_slots, overflow, true, !self.leaf, self.polls());
        self.store_in_rax = true;
    }

    // ---- the native convention (register calls; see `crate::fits_registers`) ----

    /// A native entry's parameters (of types `params`, from slot 0 on), from their registers:
    /// the integer ones stay cached in their registers (an `i32` zero-extended first, as the
    /// slot ABI wants; the caller may be optimized code, which leaves the upper half
    /// undefined), the first `v128`s move to [`ENTRY_V128_REGS`], both unstored (the entry's
    /// tick stores them before its out-of-line calls and reloads them after; where the
    /// prologue joins the body their stores are deferred, see
    /// [`Masm::params_in_arg_registers`]); the others go to their slots.
    ///
    /// `defer`: else the integer and `v128` parameters are stored at once too, kept in their
    /// registers (when the body's first instruction would store them anyway: storing them
    /// right before reading them back in a branch's target proved slower).
    pub(crate) fn store_native_params(&mut self, params: &[ValType], defer: bool) {
        let (mut ints, mut floats) = (0, 0);
        self.entry_args = EntryParams::default();
        for (ty, slot) in with_slots(params, 0) {
            if crate::in_xmm(ty) {
                let x = Xmm::new(floats);
                floats += 1;
                match ty {
                    ValType::V128 => {
                        self.forget_written(slot, 2);
                        // Into its cache register (never an argument register), its store
                        // deferred; stored now when it has none.
                        match ENTRY_V128_REGS.get(self.entry_args.xmms.len()) {
                            Some(&c) => {
                                if !defer {
                                    self.asm.store_v128(slot, x);
                                }
                                self.cache().xmm.forget_reg(c);
                                self.asm.mov_v128(c, x);
                                self.cache().xmm.record(c, slot);
                                self.entry_args.xmms.push((c, slot));
                            }
                            None => self.asm.store_v128(slot, x),
                        }
                    }
                    ValType::F32 => {
                        // The upper half of an f32's slot is zero (`rdi` is free: `rax`
                        // holds the store for the tick).
                        self.claim(Gpr::RDI);
                        self.asm.mov_from_xmm(Width::W32, Gpr::RDI, x);
                        self.forget_written(slot, 1);
                        self.asm.store_slot(slot, Gpr::RDI);
                    }
                    _ => {
                        self.forget_written(slot, 1);
                        self.asm.store_xmm_slot(slot, x);
                    }
                }
            } else {
                let r = INT_ARG_REGS[ints];
                ints += 1;
                self.claim(r);
                if ty == ValType::I32 {
                    self.asm.mov(Width::W32, r, r);
                }
                if defer {
                    // Its store deferred (`Masm::params_in_arg_registers`).
                    self.forget_written(slot, 1);
                    self.cache().gpr.record(r, slot);
                } else {
                    self.write_slot(slot, r);
                }
                self.entry_args.gprs.push((r, slot));
            }
        }
    }

    /// Makes the integer parameters (of types `params`, from slot 0 on) cached in their
    /// argument registers and the first `v128` ones in [`ENTRY_V128_REGS`], and nothing else
    /// cached: where a native entry's prologue joins the code-table entry's (both end with
    /// this, so the cache agrees at the join). With `defer`, their stores are deferred: the
    /// native entry has not stored them (the code-table entry's frame has them, so a store
    /// there is only redundant).
    pub(crate) fn params_in_arg_registers(&mut self, params: &[ValType], defer: bool) {
        self.entry_args = EntryParams::default();
        let mut pairs = Vec::new();
        let mut v128s = Vec::new();
        for (ty, slot) in with_slots(params, 0) {
            if ty == ValType::V128 {
                if let Some(&c) = ENTRY_V128_REGS.get(v128s.len()) {
                    if self.cache().xmm.find(slot) != Some(c) {
                        self.cache().xmm.forget_reg(c);
                        self.asm.load_v128(c, slot);
                    }
                    v128s.push((c, slot));
                }
            } else if !crate::in_xmm(ty) {
                let r = INT_ARG_REGS[pairs.len()];
                if self.place(slot) != Place::Reg(r) {
                    self.claim(r);
                    self.asm.load_slot(Width::W64, r, slot);
                }
                pairs.push((r, slot));
            }
        }
        self.cache().forget_all();
        for (r, slot) in pairs {
            self.cache().gpr.record(r, slot);
            if defer {
                self.deferred |= 1 << r.number();
            }
        }
        for (c, slot) in v128s {
            self.cache().xmm.record(c, slot);
            if defer {
                self.deferred_xmm |= 1 << c.number();
            }
        }
    }

    /// Binds `label` where the code before falls through with the cache as every jump to the
    /// label has it (the join of the two entries' prologues, see
    /// [`Masm::params_in_arg_registers`]).
    pub(crate) fn bind_agreed(&mut self, label: Label) {
        self.asm.bind(label);
    }

    /// Before a return of a function with a native entry: its results (of types `results`,
    /// from slot 0 on) also in their registers (`rax`, `rdx`; `xmm0`, `xmm1`).
    pub(crate) fn results_to_registers(&mut self, results: &[ValType]) {
        let (mut ints, mut floats) = (0, 0);
        for (ty, slot) in with_slots(results, 0) {
            if ty == ValType::V128 {
                let x = Xmm::new(floats);
                floats += 1;
                match self.cache().xmm.find(slot) {
                    Some(c) => self.asm.mov_v128(x, c),
                    None => self.asm.load_v128(x, slot),
                }
            } else if crate::in_xmm(ty) {
                let place = self.place(slot);
                self.asm.load_xmm(Xmm::new(floats), place);
                floats += 1;
            } else {
                self.load_slot(Width::W64, INT_RESULT_REGS[ints], slot);
                ints += 1;
            }
        }
    }

    /// Where each register argument of a call with its frame at slot `args` comes from, in
    /// the order the arguments' registers are filled: the SSE ones first (their targets are
    /// SSE registers, so they never overwrite a general-purpose source), then the integer
    /// ones. A source in one of `clobbered` (written by the call sequence before the
    /// arguments) or in an argument register filled before it is read from the frame instead
    /// (which is exact: the caller flushed it).
    ///
    /// The caller's deferred stores of the arguments were left for this
    /// ([`Masm::before_register_call`]): those of arguments read from the frame are done
    /// now; the others are taken out of the deferred set into `NativeArgs::stores`, for the
    /// slot path.
    fn plan_native_args(&mut self, args: u32, params: &[ValType], clobbered: &[Gpr]) -> NativeArgs {
        let mut xmms = Vec::new();
        let mut ints = Vec::new();
        for (ty, slot) in with_slots(params, args) {
            if ty == ValType::V128 {
                let target = Xmm::new(xmms.len() as u8);
                let filled = |c: &Xmm| c.number() < xmms.len();
                let source = self.cache().xmm.find(slot).filter(|c| !filled(c));
                xmms.push((target, XmmArg::V128(source, slot)));
                continue;
            }
            let place = match self.place(slot) {
                Place::Reg(r) if clobbered.contains(&r) => Place::Frame(slot),
                place => place,
            };
            if crate::in_xmm(ty) {
                xmms.push((Xmm::new(xmms.len() as u8), XmmArg::Scalar(place)));
            } else {
                let target = INT_ARG_REGS[ints.len()];
                let place = match place {
                    Place::Reg(r) if INT_ARG_REGS[..ints.len()].contains(&r) => Place::Frame(slot),
                    place => place,
                };
                ints.push((target, place));
            }
        }
        for (_, arg) in &xmms {
            match *arg {
                XmmArg::Scalar(Place::Frame(slot)) => self.exact_frame(slot, 1),
                XmmArg::V128(None, slot) => self.exact_frame(slot, 2),
                _ => {}
            }
        }
        for &(_, place) in &ints {
            if let Place::Frame(slot) = place {
                self.exact_frame(slot, 1);
            }
        }
        let stores = self.deferred_results();
        debug_assert!(
            stores.iter().all(|d| match d.reg {
                DeferredReg::Gpr(r) => !clobbered.contains(&r),
                DeferredReg::Xmm(_) => true,
            }),
            "a deferred argument in a clobbered register is read from the frame"
        );
        self.deferred = 0;
        self.deferred_xmm = 0;
        NativeArgs { xmms, ints, stores }
    }

    /// Moves the planned arguments into their registers (the cache is forgotten already).
    fn pass_native_args(&mut self, plan: &NativeArgs) {
        for &(x, arg) in &plan.xmms {
            match arg {
                XmmArg::Scalar(place) => self.asm.load_xmm(x, place),
                XmmArg::V128(Some(c), _) if c == x => {}
                XmmArg::V128(Some(c), _) => self.asm.mov_v128(x, c),
                XmmArg::V128(None, slot) => self.asm.load_v128(x, slot),
            }
        }
        for &(r, place) in &plan.ints {
            match place {
                Place::Reg(s) if s == r => {}
                Place::Reg(s) => self.asm.mov(Width::W64, r, s),
                Place::Frame(slot) => self.asm.load_slot(Width::W64, r, slot),
            }
        }
    }

    /// After a native call (or its slot path, which loads them) the results are in their
    /// registers: written to their slots from `args` on, and cached (an `i32`
    /// zero-extended: optimized code leaves the upper half undefined).
    fn take_native_results(&mut self, args: u32, results: &[ValType]) {
        let mut ints = 0;
        let mut xmms = 0;
        // SSE results first: a scalar goes through a scratch register that is not a result
        // register.
        for (ty, slot) in with_slots(results, args) {
            if !crate::in_xmm(ty) {
                continue;
            }
            let x = Xmm::new(xmms);
            xmms += 1;
            if ty == ValType::V128 {
                // Into a cache register (`xmm0` and `xmm1` are not), which then caches it.
                let c = self.alloc_xmm_for(slot, &[]);
                self.asm.mov_v128(c, x);
                self.write_v128(slot, c);
            } else {
                let r = self.alloc(&[Some(Gpr::RAX), Some(Gpr::RDX)]);
                let width = if ty == ValType::F32 {
                    Width::W32
                } else {
                    Width::W64
                };
                self.claim(r);
                self.asm.mov_from_xmm(width, r, x);
                self.write_slot(slot, r);
            }
        }
        for (ty, slot) in with_slots(results, args) {
            if !crate::in_xmm(ty) {
                let r = INT_RESULT_REGS[ints];
                ints += 1;
                self.claim(r);
                if ty == ValType::I32 {
                    self.asm.mov(Width::W32, r, r);
                }
                self.write_slot(slot, r);
            }
        }
    }

    /// Calls defined function `defined`, of type `ty` (which fits registers), with its frame
    /// at slot `args`: through its native entry (`cell` holds it; the cell is read at every
    /// call, so a tier-up of the callee is seen at the next one) with register arguments and
    /// results, or through its code-table entry while it has none.
    pub(crate) fn call_native_cell(&mut self, cell: usize, defined: u32, args: u32, ty: &FuncType) {
        self.before_register_call(args, ty);
        // The entry goes to a scratch register that is no argument register and holds no
        // argument (`r11`, or `rax` when `r11` holds one: the result of the call before is
        // often in `rax`), so that no argument is stored to pass it.
        let end = args + ty.param_slots() as u32;
        let entry = [Gpr::R11, Gpr::RAX]
            .into_iter()
            .find(|&r| self.cache.gpr.holds(r).is_none_or(|s| s < args || s >= end))
            .unwrap_or(Gpr::R11);
        let plan = self.plan_native_args(args, ty.params(), &[entry]);
        self.cache().forget_all();
        let (label, join) = (self.asm.new_label(), self.asm.new_label());
        self.asm.load_native_cell(entry, cell);
        self.asm.jump_if_zero(entry, label);
        self.pass_native_args(&plan);
        self.asm.vmctx_to_rdi();
        self.asm.call_native(entry, args);
        self.finish_native_call(label, join, SlotCall::CodeTable(defined), args, ty, plan);
    }

    /// Binds `join` after a native call and takes its results; records its slot path.
    fn finish_native_call(
        &mut self,
        label: Label,
        join: Label,
        call: SlotCall,
        args: u32,
        ty: &FuncType,
        plan: NativeArgs,
    ) {
        self.asm.bind(join);
        self.cache().forget_all();
        // Both paths have the results in registers (the slot path loads them): their stores
        // are deferred like an instruction's.
        let deferring = std::mem::replace(&mut self.deferring, true);
        self.take_native_results(args, ty.results());
        self.deferring = deferring;
        self.slot_paths.push(SlotPath {
            label,
            join,
            call,
            args,
            results: ty.results().to_vec(),
            stores: plan.stores,
        });
    }

    /// Calls the function reference in `rdx` (checked) of type `ty` (which fits registers)
    /// with its frame at slot `args`: through its native entry with its own vmctx when it has
    /// one, else through `call_ref_helper`. `plan` was made before `rdx` was loaded.
    fn call_ref_native(
        &mut self,
        plan: NativeArgs,
        args: u32,
        ty: &FuncType,
        call_ref_helper: Label,
    ) {
        let (label, join) = (self.asm.new_label(), self.asm.new_label());
        self.asm.load_func_ref_native();
        self.asm.jump_if_zero(Gpr::RAX, label);
        self.asm.func_ref_vmctx_to_rdi();
        self.pass_native_args(&plan);
        self.asm.call_native(Gpr::RAX, args);
        self.finish_native_call(label, join, SlotCall::Ref(call_ref_helper), args, ty, plan);
    }

    /// [`Masm::call_func_ref`] for a type that fits registers: a wasm callee with a native
    /// entry gets register arguments.
    pub(crate) fn call_func_ref_native(
        &mut self,
        func: u32,
        args: u32,
        ty: &FuncType,
        call_ref_helper: Label,
    ) {
        self.before_register_call(args, ty);
        let plan = self.plan_native_args(args, ty.params(), &[Gpr::RAX, Gpr::RDX, Gpr::RDI]);
        self.cache().forget_all();
        self.asm.load_func_ref(func);
        self.call_ref_native(plan, args, ty, call_ref_helper);
    }

    /// [`Masm::call_indirect`] for a type that fits registers: a wasm callee with a native
    /// entry gets register arguments.
    pub(crate) fn call_indirect_native(
        &mut self,
        table: u32,
        index: u32,
        expected: ExpectedType,
        args: u32,
        ty: &FuncType,
        call_ref_helper: Label,
    ) {
        self.table_element(table, index);
        let bad = self.trap_label(TrapCode::BadSignature);
        self.before_register_call(args, ty);
        let plan =
            self.plan_native_args(args, ty.params(), &[Gpr::RAX, Gpr::RCX, Gpr::RDX, Gpr::RDI]);
        self.cache().forget_all();
        self.check_table_element(expected, bad);
        self.call_ref_native(plan, args, ty, call_ref_helper);
    }

    /// Loads the address of defined function `defined`'s hotness countdown (`r13`).
    pub(crate) fn load_countdown(&mut self, defined: u32) {
        self.claim(Gpr::RAX);
        self.asm.load_countdown(defined);
    }

    /// Loads memory `memory`'s base into `r14`; the accesses that follow use that memory.
    pub(crate) fn load_memory_base(&mut self, memory: u32) {
        self.claim(Gpr::RAX);
        self.asm.load_memory_base(memory);
        self.memory = memory;
    }

    /// Zeroes slots `first..first + count`.
    pub(crate) fn zero_slots(&mut self, first: u32, count: u32) {
        if count == 0 {
            return;
        }
        self.forget_written(first, count);
        self.claim(Gpr::RAX);
        if count > x64::ZERO_BY_MOVS {
            self.claim(Gpr::RCX);
            self.claim(Gpr::RDI);
        }
        self.asm.zero_slots(first, count);
    }

    /// The interrupt check and hotness tick: when the store's interrupt flag is set, calls the
    /// `attention` libcall out of line (trapping with its status, or coming back); when the countdown
    /// crosses zero, calls `hot_helper` with `osr_pc` and, with `osr_exit`, continues there
    /// when the helper returns code to continue in. Forgets the cache (the call clobbers
    /// every scratch register on the way to the fall-through).
    ///
    /// In a pinned loop region, the pinned registers are established first and hold after the
    /// tick too: its out-of-line calls reload them from the frame (exact, as every result is
    /// written through) before coming back.
    ///
    /// `own_region`: this is a back-edge of the current pinned region to its own header; the
    /// countdown register counts (any other tick in a region flushes it and counts in memory).
    pub(crate) fn tick(
        &mut self,
        hot_helper: Label,
        osr_pc: u32,
        osr_exit: Option<Label>,
        own_region: bool,
    ) {
        debug_assert_eq!(
            self.deferred | self.deferred_xmm,
            0,
            "deferred stores done before a tick"
        );
        let (stub, back) = (self.asm.new_label(), self.asm.new_label());
        // Loop headers always test the flag; the function entry only with epochs (module
        // docs of `tierup_baseline`: else its stack check sees interrupt requests).
        let attention = osr_pc != NO_OSR || self.entry_attention;
        if !self.counting && self.asm.frame().ticks {
            // No countdown: the flag's test only (none at an entry without epochs); its
            // out-of-line call stores and reloads the pins.
            if !attention {
                return;
            }
            if own_region {
                self.restore_pins();
            }
            if self.polls() {
                self.trap_site(TrapCode::Interrupted);
                self.asm.interrupt_poll();
                return;
            }
            let reload = x64::TickReload {
                counter: None,
                gprs: self.pins.clone(),
                xmms: self.v128_pins.clone(),
            };
            self.cache().forget_all();
            self.asm.attention_check(stub, back);
            if own_region {
                self.record_pins();
            }
            self.attention_stubs
                .push((stub, back, Some(reload), EntryParams::default()));
            return;
        }
        if own_region && self.counted {
            self.restore_pins();
            let reload = x64::TickReload {
                counter: Some(COUNTER_REG),
                gprs: self.pins.clone(),
                xmms: self.v128_pins.clone(),
            };
            self.cache().forget_all();
            self.asm
                .tick(stub, back, hot_helper, osr_pc, osr_exit, Some(&reload));
            self.record_pins();
            self.attention_stubs
                .push((stub, back, Some(reload), EntryParams::default()));
            debug_assert!(attention, "a back-edge tests the flag");
        } else if self.asm.frame().ticks {
            self.before_call();
            self.cache().forget_all();
            let check = attention.then_some((stub, back));
            self.asm
                .tick_with(check, hot_helper, osr_pc, osr_exit, None);
            if attention {
                self.attention_stubs
                    .push((stub, back, None, EntryParams::default()));
            }
        } else {
            debug_assert!(
                osr_exit.is_none(),
                "a function without loops ticks at entry only"
            );
            // A native entry's arguments stay in their registers (reloaded after the calls).
            let keep = std::mem::take(&mut self.entry_args);
            let store_in_rax = std::mem::take(&mut self.store_in_rax);
            self.cache().forget_all();
            let defined = self.defined;
            self.asm.tick_through_scratch(
                attention.then_some((stub, back)),
                hot_helper,
                osr_pc,
                defined,
                &keep,
                store_in_rax,
            );
            self.cache().forget_all();
            for &(r, slot) in &keep.gprs {
                self.cache().gpr.record(r, slot);
            }
            for &(x, slot) in &keep.xmms {
                self.cache().xmm.record(x, slot);
            }
            if attention {
                self.attention_stubs.push((stub, back, None, keep));
            }
        }
    }

    /// Pays `amount` fuel from the store, or leaves for the out-of-fuel exit
    /// (`tierup_abi::metering`).
    pub(crate) fn consume_fuel(&mut self, amount: u32) {
        let out_of_fuel = match self.out_of_fuel {
            Some(label) => label,
            None => {
                let label = self.asm.new_label();
                self.out_of_fuel = Some(label);
                label
            }
        };
        self.claim(Gpr::RAX);
        self.asm.consume_fuel(amount, out_of_fuel);
    }

    /// The tier-up helper of [`Masm::tick`] (bind its label first): calls the `tier_up`
    /// libcall for defined function `defined` with the `osr_pc` in `edx` and returns its
    /// result in `rax`.
    pub(crate) fn emit_tier_up_helper(&mut self, defined: u32) {
        self.asm.hot_helper_body(defined);
    }

    /// Pops this frame and returns.
    pub(crate) fn leave_frame_and_return(&mut self) {
        debug_assert_eq!(
            self.deferred | self.deferred_xmm,
            0,
            "deferred stores done before a return"
        );
        self.asm.leave_frame();
        self.asm.ret();
    }

    /// Pops this frame and tail-jumps to the code in `rax` (an OSR target) with this frame's
    /// vmctx and fp as its arguments: it returns to this function's caller.
    pub(crate) fn leave_frame_and_jump_to_osr_target(&mut self) {
        self.asm.pass_own_frame();
        self.asm.leave_frame();
        self.asm.jmp_rax();
    }
}

/// Debug check of one class of the cache: nothing written since the last look (registers
/// `written`, one bit each, and the slot ranges `slots`) still has an entry.
#[cfg(debug_assertions)]
fn check_class<R: regcache::CacheReg>(
    class: &str,
    written: u16,
    slots: &[(u32, u32)],
    cache: &regcache::ClassCache<R>,
) {
    for (number, slot) in cache.entries() {
        debug_assert!(
            written & (1 << number) == 0,
            "{class} {number} was written while it cached slot {slot}"
        );
        let end = slot + cache.span();
        debug_assert!(
            !slots
                .iter()
                .any(|&(first, count)| first < end && slot < first + count),
            "slot {slot} was written while {class} {number} cached it"
        );
    }
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;

    /// A masm with slot 1 cached in `r8` (the first register handed out).
    fn masm_caching_slot_1() -> Masm {
        let mut m = Masm::new(CpuFeatures::default());
        m.copy_slot(1, 0);
        assert_eq!(m.place(1), Place::Reg(Gpr::R8));
        m
    }

    #[test]
    fn operations_keep_the_invariant() {
        let mut m = masm_caching_slot_1();
        m.alu(AluOp::Add, Width::W32, 2, 1, Operand::Slot(1));
        m.div_rem(DivRemOp::DivS, Width::W64, 3, 2, Operand::Imm(7));
        m.call_unary_libcall(Libcall::f32_convert_i64_u(), 1, 3);
        assert_eq!(m.place(3), Place::Frame(3), "a call forgets the cache");
        assert_eq!(m.place(1), Place::Reg(Gpr::RAX), "the result is cached");
        m.finish().expect("assembles");
    }

    #[test]
    #[should_panic(expected = "was written while it cached slot 1")]
    fn writing_a_cached_register_unclaimed_is_caught() {
        let mut m = masm_caching_slot_1();
        m.asm.mov_imm64(Gpr::R8, 0);
        m.place(1);
    }

    #[test]
    #[should_panic(expected = "slot 1 was written while register 8 cached it")]
    fn writing_a_cached_slot_from_elsewhere_is_caught() {
        let mut m = masm_caching_slot_1();
        m.asm.store_slot_imm(1, 0);
        m.place(1);
    }

    /// A masm with the `v128` of slots 2 and 3 cached in `xmm2` (the first one handed out).
    fn masm_caching_v128_at_2() -> Masm {
        let mut m = Masm::new(CpuFeatures::default());
        m.v128_copy(2, 0);
        assert_eq!(m.cache().xmm.find(2), Some(Xmm::new(2)));
        m
    }

    #[test]
    #[should_panic(expected = "xmm 2 was written while it cached slot 2")]
    fn writing_a_cached_xmm_unclaimed_is_caught() {
        let mut m = masm_caching_v128_at_2();
        m.asm.v128_const(Xmm::new(2), 7);
        m.place(1);
    }

    #[test]
    #[should_panic(expected = "slot 2 was written while xmm 2 cached it")]
    fn writing_the_high_half_of_a_cached_v128_from_elsewhere_is_caught() {
        let mut m = masm_caching_v128_at_2();
        m.asm.store_slot_imm(3, 0);
        m.place(1);
    }

    #[test]
    fn scalar_writes_drop_the_v128_they_overlap() {
        let mut m = masm_caching_v128_at_2();
        m.store_const(3, 1);
        assert_eq!(m.cache().xmm.find(2), None);
        m.finish().expect("assembles");
    }

    #[test]
    #[should_panic(expected = "must end in a jmp")]
    fn a_fall_through_after_code_that_falls_through_is_caught() {
        let mut m = Masm::new(CpuFeatures::default());
        let not_taken = m.jump_unless(Compare {
            width: Width::W32,
            lhs: 0,
            rhs: Operand::Imm(0),
            cond: Cond::Eq,
        });
        m.store_const(1, 0);
        m.bind_fall_through(not_taken);
    }
}
