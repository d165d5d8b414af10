//! The dispatch loop: executes register bytecode on the slot stack.
//!
//! Two interchangeable backends run the same instruction semantics:
//! - **threaded** (`cfg(tierup_tail_dispatch)`, set by `build.rs` for optimized x86-64
//!   builds): one handler function per instruction, each ending in a tail call to the next
//!   instruction's handler through a table indexed by the instruction's tag, as wasmi 2.0
//!   does. Every handler has its own indirect jump (better branch prediction than one shared
//!   dispatch) and the hot state (`ip`, `fp`, memory 0 base and length) stays in argument
//!   registers. `build.rs` generates the handlers from the instruction arms of
//!   [`run_loop`] (between the `OPS` markers), so both backends share one source of truth.
//! - **loop** (`run_loop`): a `loop { match }` over the same arms, used when sibling-call
//!   optimization is not guaranteed (debug and `opt-level` 0/1 builds), where tail calls would
//!   grow the native stack.
//!
//! Cold state lives in [`Exec`] (current instance and function, frame records, limits).
//! Handlers must keep no stack slot whose address escapes (no out-of-line call returning a
//! large value, no formatting): LLVM then cannot mark their final call as a tail call. Such
//! work lives in `#[inline(never)]` helpers returning plain scalars. The release-mode test
//! `deep_dispatch_does_not_grow_the_stack` guards this.
//!
//! Safety argument, in one place: the translator guarantees that every slot an instruction
//! names is below its function's `frame_size`, and that branch targets stay inside the code;
//! before any frame is entered we check that `fp + frame_size` fits in the slot stack. So every
//! `fp.add(slot)` is in bounds. Memory and table accesses are bounds-checked against the current
//! lengths before any pointer is formed.

use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use tierup_abi::{RawTrap, StoreCtx, TableDefinition, TrapCode, VmCtx, VmFuncRef, WasmFrame};

use crate::InterpModule;
use crate::bulk;
use crate::instr::Instr;
use crate::translate::CompiledFunc;

#[cfg(not(target_endian = "little"))]
compile_error!("the interpreter reads and writes linear memory in host byte order");

/// The deepest interpreted call stack before `call stack exhausted`.
pub const MAX_FRAMES: usize = 100_000;

/// Where hotness countdowns restart after crossing zero, until the runtime's tiering policy
/// sets the next countdown.
const HOT_RESET: i32 = i32::MAX;

/// The `ip` of a [`Continuation`] meaning "the entry frame returned" (after on-stack
/// replacement finished the activation in machine code). Never a valid instruction address.
const ACTIVATION_DONE: *const Instr = ptr::dangling();

/// Which dispatch backend this build uses (`"threaded"` or `"loop"`), for diagnostics.
pub const DISPATCH: &str = if cfg!(tierup_tail_dispatch) {
    "threaded"
} else {
    "loop"
};

/// The record of a suspended caller.
struct Frame {
    ip: *const Instr,
    fp: *mut u64,
    func: *const CompiledFunc,
    vmctx: *mut VmCtx,
    /// The function's hotness countdown (cached: back-edges touch it on every iteration).
    hot: *const AtomicI32,
}

/// The cold execution state shared by all handlers of one activation of [`invoke`].
pub(crate) struct Exec {
    vmctx: *mut VmCtx,
    func: *const CompiledFunc,
    hot: *const AtomicI32,
    frames: Vec<Frame>,
    store: *mut StoreCtx,
    stack_end: *mut u64,
    interrupt: *const AtomicBool,
    trap: Option<Box<RawTrap>>,
}

/// Where execution continues after a call: `(ip, fp)`, or a null `ip` if the call trapped
/// (the trap is recorded in [`Exec::trap`]). Two words, so it is returned in registers.
type Continuation = (*const Instr, *mut u64);

/// Runs defined function `func_index` of the instance `vmctx` with its frame at `fp`.
///
/// Arguments are in `fp[0..params]`; on success the results are in `fp[0..results]`.
///
/// # Errors
/// The trap, with the wasm frames of this activation (innermost first).
///
/// # Safety
/// `vmctx` must be a live, fully initialized instance context whose `interp` field points to
/// the module's [`InterpModule`]; `func_index` must be a defined function of that module; `fp`
/// must point into the store's slot stack (`(*vmctx).store.stack`) at or above every live frame,
/// with the arguments written. The store must not be used by another thread meanwhile.
pub unsafe fn invoke(vmctx: *mut VmCtx, func_index: u32, fp: *mut u64) -> Result<(), Box<RawTrap>> {
    // SAFETY: the caller guarantees the context and frame (see `# Safety`); the frame-fits
    // check below establishes the executor's invariant for the entry frame.
    unsafe {
        let module = &*((*vmctx).interp as *const InterpModule);
        let func = match module.compiled(func_index) {
            Ok(f) => f,
            Err(e) => return Err(Exec::untranslatable(vmctx, func_index, e)),
        };
        let store = (*vmctx).store;
        let mut ex = Exec {
            vmctx,
            func,
            hot: Exec::counter_of(vmctx, func_index),
            frames: Vec::new(),
            store,
            stack_end: (*store).stack.end,
            interrupt: (*store).interrupt,
            trap: None,
        };
        if fp.add(func.frame_size as usize) > ex.stack_end {
            return Err(RawTrap::new(TrapCode::StackOverflow));
        }
        if (*ex.interrupt).load(Ordering::Relaxed) {
            ex.trap(TrapCode::Interrupted);
            return Err(ex.trap.take().expect("trap recorded"));
        }
        if Exec::tick(ex.hot) {
            ((*(*vmctx).libcalls).tier_up)(vmctx, func_index, tierup_abi::NO_OSR);
        }
        Exec::zero_locals(fp, func);
        let (mem_base, mem_len) = Exec::memory0(vmctx);
        let ip = func.code.as_ptr();
        #[cfg(tierup_tail_dispatch)]
        let status = tail_dispatch(ip, fp, mem_base, mem_len, &mut ex);
        #[cfg(not(tierup_tail_dispatch))]
        let status = run_loop(ip, fp, mem_base, mem_len, &mut ex);
        if status == 0 {
            Ok(())
        } else {
            Err(ex.trap.take().unwrap_or_else(|| {
                RawTrap::new(TrapCode::from_status(status).unwrap_or(TrapCode::HostError))
            }))
        }
    }
}

impl Exec {
    /// Records a trap with the backtrace of this activation; returns its status.
    #[cold]
    #[inline(never)]
    fn trap(&mut self, code: TrapCode) -> u32 {
        self.trap = Some(RawTrap::new(code));
        self.add_frames(true);
        code.status()
    }

    /// Appends this activation's frames (innermost first) to the recorded trap; the current
    /// function's frame only if `current` (machine code that continued it recorded it).
    fn add_frames(&mut self, current: bool) {
        let Some(trap) = &mut self.trap else { return };
        // SAFETY: every vmctx and function record on the frame stack is live while we run.
        unsafe {
            let frame_of = |vmctx: *mut VmCtx, func: *const CompiledFunc| WasmFrame {
                module: (*((*vmctx).interp as *const InterpModule)).info.clone(),
                func_index: (*func).func_index,
            };
            if current {
                trap.frames.push(frame_of(self.vmctx, self.func));
            }
            for frame in self.frames.iter().rev() {
                trap.frames.push(frame_of(frame.vmctx, frame.func));
            }
        }
    }

    /// Takes over a trap that machine code reported with `status` (left in the store's
    /// `pending_trap` with its inner frames) and appends this activation's frames.
    #[cold]
    #[inline(never)]
    fn adopt_trap(&mut self, status: u32, current: bool) -> u32 {
        // SAFETY: the store context outlives the activation; a pending trap is a leaked box.
        let pending =
            unsafe { std::mem::replace(&mut (*self.store).pending_trap, ptr::null_mut()) };
        self.trap = Some(if pending.is_null() {
            RawTrap::new(TrapCode::from_status(status).unwrap_or(TrapCode::HostError))
        } else {
            // SAFETY: pending traps are always `Box::into_raw` results (StoreCtx docs).
            unsafe { Box::from_raw(pending) }
        });
        self.add_frames(current);
        status
    }

    /// Calls machine code `code` of instance `vmctx` with its frame at `new_fp`; the caller
    /// resumes at `ret_ip` with `fp`.
    #[inline(never)]
    unsafe fn call_machine_code(
        &mut self,
        code: usize,
        vmctx: *mut VmCtx,
        new_fp: *mut u64,
        ret_ip: *const Instr,
        fp: *mut u64,
    ) -> Continuation {
        // SAFETY: `code` is published machine code of `vmctx`'s module (code table); the
        // frame lies within the current one, as for interpreted calls.
        unsafe {
            (*self.store).stack.top = fp.add((*self.func).frame_size as usize);
            let status = ((*(*self.vmctx).libcalls).enter_jit)(vmctx, code, new_fp);
            if status == 0 {
                (ret_ip, fp)
            } else {
                self.adopt_trap(status, true);
                (ptr::null(), ptr::null_mut())
            }
        }
    }

    /// A loop back-edge to `target` made the current function hot: ask the runtime to tier it
    /// up, and if it offers machine code for this loop header, continue the activation there
    /// (on-stack replacement). Returns where interpretation continues: `target` (no OSR), the
    /// caller's resume point once the machine code returned, [`ACTIVATION_DONE`] when the
    /// entry frame returned, or a null `ip` if it trapped.
    #[cold]
    #[inline(never)]
    unsafe fn hot_loop(&mut self, target: *const Instr, fp: *mut u64) -> Continuation {
        // SAFETY: `target` is inside the current function's code; the store, vmctx and frame
        // are live; the OSR entry continues this very frame with the same slot layout.
        unsafe {
            let func = &*self.func;
            let pc = target.offset_from(func.code.as_ptr()) as u32;
            let tier_up = (*(*self.vmctx).libcalls).tier_up;
            let code = tier_up(self.vmctx, func.func_index, pc);
            if code == 0 {
                return (target, fp);
            }
            (*self.store).stack.top = fp.add(func.frame_size as usize);
            let status = ((*(*self.vmctx).libcalls).enter_jit)(self.vmctx, code, fp);
            if status != 0 {
                self.adopt_trap(status, false);
                return (ptr::null(), ptr::null_mut());
            }
            match self.ret() {
                Some((ip, fp, _)) => (ip, fp),
                None => (ACTIVATION_DONE, ptr::null_mut()),
            }
        }
    }

    /// Calls `fref` with its frame at `new_fp`; the caller resumes at `ret_ip` with `fp`.
    ///
    /// Out of line on purpose: the call path (lazy translation, frame records) keeps stack
    /// slots alive, which would stop the calling handler from tail-calling (module docs).
    ///
    /// # Safety
    /// `fref` is a live function reference of this store; `new_fp` lies within the current
    /// frame (where the translator placed the arguments).
    #[inline(never)]
    unsafe fn call(
        &mut self,
        fref: *const VmFuncRef,
        new_fp: *mut u64,
        ret_ip: *const Instr,
        fp: *mut u64,
    ) -> Continuation {
        const TRAPPED: Continuation = (ptr::null(), ptr::null_mut());
        // SAFETY: see the function's contract and the module docs.
        unsafe {
            if (*fref).vmctx.is_null() {
                return match self.call_host(fref, new_fp, fp) {
                    0 => (ret_ip, fp),
                    _ => TRAPPED,
                };
            }
            let callee_vmctx = (*fref).vmctx;
            let code = (*fref).machine_code();
            if code != 0 {
                return self.call_machine_code(code, callee_vmctx, new_fp, ret_ip, fp);
            }
            let callee_hot = Self::counter_of(callee_vmctx, (*fref).func_index);
            if Self::tick(callee_hot) {
                let tier_up = (*(*callee_vmctx).libcalls).tier_up;
                tier_up(callee_vmctx, (*fref).func_index, tierup_abi::NO_OSR);
                let code = (*fref).machine_code();
                if code != 0 {
                    return self.call_machine_code(code, callee_vmctx, new_fp, ret_ip, fp);
                }
            }
            let callee_module = &*((*callee_vmctx).interp as *const InterpModule);
            let callee: *const CompiledFunc = match callee_module.compiled((*fref).func_index) {
                Ok(f) => f,
                Err(e) => {
                    self.trap_untranslatable(e);
                    return TRAPPED;
                }
            };
            if new_fp.add((*callee).frame_size as usize) > self.stack_end
                || self.frames.len() >= MAX_FRAMES
            {
                self.trap(TrapCode::StackOverflow);
                return TRAPPED;
            }
            if (*self.interrupt).load(Ordering::Relaxed) {
                self.trap(TrapCode::Interrupted);
                return TRAPPED;
            }
            self.frames.push(Frame {
                ip: ret_ip,
                fp,
                func: self.func,
                vmctx: self.vmctx,
                hot: self.hot,
            });
            Self::zero_locals(new_fp, &*callee);
            self.func = callee;
            self.hot = callee_hot;
            self.vmctx = callee_vmctx;
            ((*callee).code.as_ptr(), new_fp)
        }
    }

    /// The status of the trap just recorded.
    fn trap_status(&self) -> u32 {
        self.trap.as_ref().map_or(0, |t| t.code.status())
    }

    /// Records a resource-limit trap for a callee that cannot be translated. Out of line: its
    /// string formatting would otherwise keep handlers from tail-calling (module docs).
    #[cold]
    #[inline(never)]
    fn trap_untranslatable(&mut self, error: &crate::TranslateError) -> u32 {
        let status = self.trap(TrapCode::ResourceLimit);
        if let Some(trap) = &mut self.trap {
            trap.detail = Some(error.to_string());
        }
        status
    }

    /// Calls a host function through the runtime's libcall; returns 0 or a trap status.
    /// (A plain status: a value returned through memory would keep the
    /// calling handler from tail-calling, see the module docs.)
    #[inline(never)]
    unsafe fn call_host(&mut self, fref: *const VmFuncRef, new_fp: *mut u64, fp: *mut u64) -> u32 {
        // SAFETY: the store context and libcalls outlive the activation; the host may re-enter
        // wasm above `top`, which covers the whole current frame.
        unsafe {
            (*self.store).stack.top = fp.add((*self.func).frame_size as usize);
            let status = ((*(*self.vmctx).libcalls).call_host)(self.vmctx, fref, new_fp);
            if status == 0 {
                0
            } else {
                let code = TrapCode::from_status(status).unwrap_or(TrapCode::HostError);
                self.trap(code)
            }
        }
    }

    /// Leaves the current frame: the caller's `(ip, fp, instance switched)`, or `None` when
    /// the entry frame returns.
    #[inline(always)]
    fn ret(&mut self) -> Option<(*const Instr, *mut u64, bool)> {
        let frame = self.frames.pop()?;
        self.func = frame.func;
        self.hot = frame.hot;
        let switched = frame.vmctx != self.vmctx;
        self.vmctx = frame.vmctx;
        Some((frame.ip, frame.fp, switched))
    }

    /// The trap for a function the interpreter cannot translate.
    fn untranslatable(
        vmctx: *mut VmCtx,
        func_index: u32,
        error: &crate::TranslateError,
    ) -> Box<RawTrap> {
        let mut trap = RawTrap::new(TrapCode::ResourceLimit);
        // SAFETY: the caller passes a live vmctx whose `interp` is the module's state.
        let module = unsafe { (*((*vmctx).interp as *const InterpModule)).info.clone() };
        trap.frames.push(WasmFrame { module, func_index });
        trap.detail = Some(error.to_string());
        trap
    }

    /// Memory 0 of `vmctx` as (base, length), or (null, 0) if the module has no memory.
    #[inline(always)]
    unsafe fn memory0(vmctx: *mut VmCtx) -> (*mut u8, usize) {
        // SAFETY: the caller passes a live vmctx; its memory table has an entry for memory 0
        // whenever the module has a memory (validation forbids memory ops otherwise).
        unsafe {
            let module = &*(*vmctx).module;
            if module.memories.is_empty() {
                (ptr::null_mut(), 0)
            } else {
                let def = *(*vmctx).memories;
                ((*def).base, (*def).length)
            }
        }
    }

    /// The hotness countdown of defined function `func_index` of `vmctx`'s module.
    #[inline(always)]
    unsafe fn counter_of(vmctx: *mut VmCtx, func_index: u32) -> *const AtomicI32 {
        // SAFETY: `func_index` is a defined function of the live `vmctx`'s module, and the
        // counter array has one entry per defined function.
        unsafe {
            let defined = func_index - (*(*vmctx).module).num_imported_funcs;
            (*vmctx).hot_counters.add(defined as usize)
        }
    }

    /// Counts one entry or back-edge (DESIGN.md §4: a relaxed load and store, no locked RMW).
    /// Returns whether the countdown crossed zero: the caller then asks the runtime's
    /// `tier_up` libcall, which sets the next countdown (until it does, it restarts at
    /// [`HOT_RESET`]).
    #[inline(always)]
    fn tick(counter: *const AtomicI32) -> bool {
        // SAFETY: counters live as long as their module, which outlives every activation.
        let counter = unsafe { &*counter };
        let left = counter.load(Ordering::Relaxed).wrapping_sub(1);
        counter.store(if left < 0 { HOT_RESET } else { left }, Ordering::Relaxed);
        left < 0
    }

    /// Zeroes the declared locals of a new frame (parameters are already written).
    #[inline(always)]
    unsafe fn zero_locals(fp: *mut u64, func: &CompiledFunc) {
        let n = (func.num_locals - func.num_params) as usize;
        if n > 0 {
            // SAFETY: the frame was checked to fit `frame_size >= num_locals` slots.
            unsafe { ptr::write_bytes(fp.add(func.num_params as usize), 0, n) };
        }
    }
}

/// The wasm `min` of two floats: NaN if either is NaN, and -0 < +0.
macro_rules! wasm_min {
    ($a:expr, $b:expr, $ft:ty) => {{
        let (a, b) = ($a, $b);
        if a.is_nan() || b.is_nan() {
            a + b
        } else if a == b {
            <$ft>::from_bits(a.to_bits() | b.to_bits())
        } else if a < b {
            a
        } else {
            b
        }
    }};
}

/// The wasm `max` of two floats: NaN if either is NaN, and -0 < +0.
macro_rules! wasm_max {
    ($a:expr, $b:expr, $ft:ty) => {{
        let (a, b) = ($a, $b);
        if a.is_nan() || b.is_nan() {
            a + b
        } else if a == b {
            <$ft>::from_bits(a.to_bits() & b.to_bits())
        } else if a > b {
            a
        } else {
            b
        }
    }};
}

/// Checked float → int truncation: NaN is `BadConversionToInteger`, out of range is
/// `IntegerOverflow`. `$lo`/`$hi` are the exclusive bounds of the truncated value.
macro_rules! trunc {
    ($x:expr, $lo:expr, $hi:expr, $to:ty) => {{
        let x = $x;
        if x.is_nan() {
            Err(TrapCode::BadConversionToInteger)
        } else {
            let t = x.trunc();
            if t <= $lo || t >= $hi {
                Err(TrapCode::IntegerOverflow)
            } else {
                Ok(t as $to)
            }
        }
    }};
}

/// The `loop { match }` backend (see the module docs).
///
/// # Safety
/// Called by [`invoke`] with the entry frame established (see the module docs).
#[cfg_attr(
    tierup_tail_dispatch,
    expect(dead_code, reason = "the threaded backend is in use")
)]
unsafe fn run_loop(
    mut ip: *const Instr,
    mut fp: *mut u64,
    mut mem_base: *mut u8,
    mut mem_len: usize,
    ex: *mut Exec,
) -> u32 {
    // SAFETY: see the module docs; every raw access below relies on the translator's slot
    // bounds, the frame-fits check before a frame is entered, or an explicit bounds check.
    unsafe {
        macro_rules! dispatch {
            () => {
                continue
            };
        }
        // HELPERS BEGIN
        macro_rules! slot {
            ($s:expr) => {
                *fp.add($s as usize)
            };
        }
        macro_rules! set {
            ($s:expr, $v:expr) => {
                *fp.add($s as usize) = $v
            };
        }
        macro_rules! i32_of {
            ($s:expr) => {
                slot!($s) as u32 as i32
            };
        }
        macro_rules! i64_of {
            ($s:expr) => {
                slot!($s) as i64
            };
        }
        macro_rules! f32_of {
            ($s:expr) => {
                f32::from_bits(slot!($s) as u32)
            };
        }
        macro_rules! f64_of {
            ($s:expr) => {
                f64::from_bits(slot!($s))
            };
        }
        macro_rules! set_i32 {
            ($s:expr, $v:expr) => {
                set!($s, ($v) as u32 as u64)
            };
        }
        macro_rules! set_i64 {
            ($s:expr, $v:expr) => {
                set!($s, ($v) as u64)
            };
        }
        macro_rules! set_f32 {
            ($s:expr, $v:expr) => {
                set!($s, u64::from(($v).to_bits()))
            };
        }
        macro_rules! set_f64 {
            ($s:expr, $v:expr) => {
                set!($s, ($v).to_bits())
            };
        }
        macro_rules! trap {
            ($code:expr) => {{
                return (*ex).trap($code);
            }};
        }
        macro_rules! try_trap {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(code) => trap!(code),
                }
            };
        }
        macro_rules! next {
            () => {{
                ip = ip.add(1);
                dispatch!()
            }};
        }
        macro_rules! next_n {
            ($n:expr) => {{
                ip = ip.add($n);
                dispatch!()
            }};
        }
        macro_rules! reload_mem {
            () => {
                (mem_base, mem_len) = Exec::memory0((*ex).vmctx)
            };
        }
        macro_rules! jump {
            ($offset:expr) => {{
                let offset = $offset as isize;
                if offset <= 0 {
                    // A loop back-edge (offset 0 is a loop that branches to itself):
                    // count it and honour interruption.
                    if (*(*ex).interrupt).load(Ordering::Relaxed) {
                        trap!(TrapCode::Interrupted);
                    }
                    if Exec::tick((*ex).hot) {
                        let (new_ip, new_fp) = (*ex).hot_loop(ip.offset(offset), fp);
                        if new_ip.is_null() {
                            return (*ex).trap_status();
                        }
                        if new_ip == ACTIVATION_DONE {
                            return 0;
                        }
                        ip = new_ip;
                        fp = new_fp;
                        reload_mem!();
                        dispatch!()
                    }
                }
                ip = ip.offset(offset);
                dispatch!()
            }};
        }
        macro_rules! branch_if {
            ($cond:expr, $offset:expr) => {{
                if $cond {
                    jump!($offset)
                }
                next!()
            }};
        }
        /// Effective address of an access of `$n` bytes, or a trap.
        macro_rules! ea {
            ($addr:expr, $offset:expr, $n:expr) => {{
                let ea = u64::from(slot!($addr) as u32) + u64::from($offset);
                if ea + $n > mem_len as u64 {
                    trap!(TrapCode::MemoryOutOfBounds)
                }
                mem_base.add(ea as usize)
            }};
        }
        macro_rules! load {
            ($dst:expr, $addr:expr, $offset:expr, $t:ty, $conv:expr) => {{
                let p = ea!($addr, $offset, size_of::<$t>() as u64);
                let v: $t = ptr::read_unaligned(p as *const $t);
                set!($dst, $conv(v));
                next!()
            }};
        }
        macro_rules! store {
            ($addr:expr, $offset:expr, $t:ty, $v:expr) => {{
                let p = ea!($addr, $offset, size_of::<$t>() as u64);
                ptr::write_unaligned(p as *mut $t, $v as $t);
                next!()
            }};
        }
        macro_rules! bin_i32 {
            ($dst:expr, $a:expr, $b:expr, |$x:ident, $y:ident| $e:expr) => {{
                let $x = $a;
                let $y = $b;
                set_i32!($dst, $e);
                next!()
            }};
        }
        macro_rules! bin_i64 {
            ($dst:expr, $a:expr, $b:expr, |$x:ident, $y:ident| $e:expr) => {{
                let $x = $a;
                let $y = $b;
                set_i64!($dst, $e);
                next!()
            }};
        }
        /// Calls `$fref` with its frame at `$new_fp`; the caller resumes `$skip` instructions on.
        macro_rules! call_ref {
            ($fref:expr, $new_fp:expr, $skip:expr) => {{
                let (new_ip, new_fp) = (*ex).call($fref, $new_fp, ip.add($skip), fp);
                if new_ip.is_null() {
                    return (*ex).trap_status();
                }
                ip = new_ip;
                fp = new_fp;
                // The callee's instance (or a host function) may have switched or grown it.
                reload_mem!();
                dispatch!()
            }};
        }
        /// Finishes a bulk operation: trap on a non-zero status, else skip `$n` instructions.
        macro_rules! bulk_done {
            ($status:expr, $n:expr) => {{
                if $status != 0 {
                    trap!(TrapCode::from_status($status).unwrap_or(TrapCode::HostError));
                }
                next_n!($n)
            }};
        }
        macro_rules! ret {
            () => {{
                match (*ex).ret() {
                    Some((new_ip, new_fp, switched)) => {
                        ip = new_ip;
                        fp = new_fp;
                        if switched {
                            reload_mem!();
                        }
                        dispatch!()
                    }
                    None => return 0,
                }
            }};
        }
        // HELPERS END
        loop {
            match *ip {
                // OPS BEGIN
                Instr::Trap { code } => {
                    trap!(code)
                }
                Instr::BrTable { index, len } => {
                    let i = (slot!(index) as u32).min(len);
                    jump!(1 + i)
                }
                Instr::Return => {
                    ret!()
                }
                Instr::ReturnSlot { src } => {
                    set!(0, slot!(src));
                    ret!()
                }
                Instr::ReturnImm { value } => {
                    set!(0, value);
                    ret!()
                }
                Instr::Call { func, args } => {
                    // Imported or defined, the function's reference says where it lives.
                    let fref = *(*(*ex).vmctx).funcs.add(func as usize);
                    call_ref!(fref, fp.add(args as usize), 1)
                }
                Instr::CallIndirect {
                    type_index,
                    index,
                    args,
                } => {
                    let Instr::Extra { a: table, .. } = *ip.add(1) else {
                        unreachable!("translator emits Extra after CallIndirect")
                    };
                    let t: *mut TableDefinition = *(*(*ex).vmctx).tables.add(table as usize);
                    let i = slot!(index) as u32 as usize;
                    if i >= (*t).length {
                        trap!(TrapCode::TableOutOfBounds);
                    }
                    let fref = *(*t).base.add(i) as *const VmFuncRef;
                    if fref.is_null() {
                        trap!(TrapCode::IndirectCallToNull);
                    }
                    if (*fref).type_id != *(*(*ex).vmctx).type_ids.add(type_index as usize) {
                        trap!(TrapCode::BadSignature);
                    }
                    call_ref!(fref, fp.add(args as usize), 2)
                }
                Instr::Extra { a, b, c } => {
                    let _ = (a, b, c);
                    next!()
                }
                Instr::RefFunc { dst, func } => {
                    set!(dst, *(*(*ex).vmctx).funcs.add(func as usize) as u64);
                    next!()
                }
                Instr::Br { offset } => {
                    jump!(offset)
                }
                Instr::BrIfNez { cond, offset } => {
                    branch_if!(slot!(cond) as u32 != 0, offset)
                }
                Instr::BrIfEqz { cond, offset } => {
                    branch_if!(slot!(cond) as u32 == 0, offset)
                }
                Instr::BrIfI32Eq { lhs, rhs, offset } => {
                    branch_if!(i32_of!(lhs) == i32_of!(rhs), offset)
                }
                Instr::BrIfI32Ne { lhs, rhs, offset } => {
                    branch_if!(i32_of!(lhs) != i32_of!(rhs), offset)
                }
                Instr::BrIfI32LtS { lhs, rhs, offset } => {
                    branch_if!(i32_of!(lhs) < i32_of!(rhs), offset)
                }
                Instr::BrIfI32LtU { lhs, rhs, offset } => {
                    branch_if!((i32_of!(lhs) as u32) < i32_of!(rhs) as u32, offset)
                }
                Instr::BrIfI32GtS { lhs, rhs, offset } => {
                    branch_if!(i32_of!(lhs) > i32_of!(rhs), offset)
                }
                Instr::BrIfI32GtU { lhs, rhs, offset } => {
                    branch_if!(i32_of!(lhs) as u32 > i32_of!(rhs) as u32, offset)
                }
                Instr::BrIfI32LeS { lhs, rhs, offset } => {
                    branch_if!(i32_of!(lhs) <= i32_of!(rhs), offset)
                }
                Instr::BrIfI32LeU { lhs, rhs, offset } => {
                    branch_if!(i32_of!(lhs) as u32 <= i32_of!(rhs) as u32, offset)
                }
                Instr::BrIfI32GeS { lhs, rhs, offset } => {
                    branch_if!(i32_of!(lhs) >= i32_of!(rhs), offset)
                }
                Instr::BrIfI32GeU { lhs, rhs, offset } => {
                    branch_if!(i32_of!(lhs) as u32 >= i32_of!(rhs) as u32, offset)
                }
                Instr::BrIfI32EqImm { lhs, imm, offset } => {
                    branch_if!(i32_of!(lhs) == imm, offset)
                }
                Instr::BrIfI32NeImm { lhs, imm, offset } => {
                    branch_if!(i32_of!(lhs) != imm, offset)
                }
                Instr::BrIfI32LtSImm { lhs, imm, offset } => {
                    branch_if!(i32_of!(lhs) < imm, offset)
                }
                Instr::BrIfI32LtUImm { lhs, imm, offset } => {
                    branch_if!((i32_of!(lhs) as u32) < imm as u32, offset)
                }
                Instr::BrIfI32GtSImm { lhs, imm, offset } => {
                    branch_if!(i32_of!(lhs) > imm, offset)
                }
                Instr::BrIfI32GtUImm { lhs, imm, offset } => {
                    branch_if!(i32_of!(lhs) as u32 > imm as u32, offset)
                }
                Instr::BrIfI32LeSImm { lhs, imm, offset } => {
                    branch_if!(i32_of!(lhs) <= imm, offset)
                }
                Instr::BrIfI32LeUImm { lhs, imm, offset } => {
                    branch_if!(i32_of!(lhs) as u32 <= imm as u32, offset)
                }
                Instr::BrIfI32GeSImm { lhs, imm, offset } => {
                    branch_if!(i32_of!(lhs) >= imm, offset)
                }
                Instr::BrIfI32GeUImm { lhs, imm, offset } => {
                    branch_if!(i32_of!(lhs) as u32 >= imm as u32, offset)
                }
                Instr::BrIfI64Eq { lhs, rhs, offset } => {
                    branch_if!(i64_of!(lhs) == i64_of!(rhs), offset)
                }
                Instr::BrIfI64Ne { lhs, rhs, offset } => {
                    branch_if!(i64_of!(lhs) != i64_of!(rhs), offset)
                }
                Instr::BrIfI64LtS { lhs, rhs, offset } => {
                    branch_if!(i64_of!(lhs) < i64_of!(rhs), offset)
                }
                Instr::BrIfI64LtU { lhs, rhs, offset } => {
                    branch_if!((i64_of!(lhs) as u64) < i64_of!(rhs) as u64, offset)
                }
                Instr::BrIfI64GtS { lhs, rhs, offset } => {
                    branch_if!(i64_of!(lhs) > i64_of!(rhs), offset)
                }
                Instr::BrIfI64GtU { lhs, rhs, offset } => {
                    branch_if!(i64_of!(lhs) as u64 > i64_of!(rhs) as u64, offset)
                }
                Instr::BrIfI64LeS { lhs, rhs, offset } => {
                    branch_if!(i64_of!(lhs) <= i64_of!(rhs), offset)
                }
                Instr::BrIfI64LeU { lhs, rhs, offset } => {
                    branch_if!(i64_of!(lhs) as u64 <= i64_of!(rhs) as u64, offset)
                }
                Instr::BrIfI64GeS { lhs, rhs, offset } => {
                    branch_if!(i64_of!(lhs) >= i64_of!(rhs), offset)
                }
                Instr::BrIfI64GeU { lhs, rhs, offset } => {
                    branch_if!(i64_of!(lhs) as u64 >= i64_of!(rhs) as u64, offset)
                }
                Instr::Copy { dst, src } => {
                    set!(dst, slot!(src));
                    next!()
                }
                Instr::Const32 { dst, value } => {
                    set!(dst, u64::from(value));
                    next!()
                }
                Instr::Const64 { dst, value } => {
                    set!(dst, value);
                    next!()
                }
                Instr::Select { dst, a, b } => {
                    let Instr::Extra { a: cond, .. } = *ip.add(1) else {
                        unreachable!("translator emits Extra after Select")
                    };
                    let v = if slot!(cond) as u32 != 0 {
                        slot!(a)
                    } else {
                        slot!(b)
                    };
                    set!(dst, v);
                    next_n!(2)
                }
                Instr::GlobalGet { dst, global } => {
                    set!(dst, **(*(*ex).vmctx).globals.add(global as usize));
                    next!()
                }
                Instr::GlobalSet { global, src } => {
                    **(*(*ex).vmctx).globals.add(global as usize) = slot!(src);
                    next!()
                }
                Instr::I32Load { dst, addr, offset } => {
                    load!(dst, addr, offset, u32, u64::from)
                }
                Instr::I64Load { dst, addr, offset } => {
                    load!(dst, addr, offset, u64, |v| v)
                }
                Instr::F32Load { dst, addr, offset } => {
                    load!(dst, addr, offset, u32, u64::from)
                }
                Instr::F64Load { dst, addr, offset } => {
                    load!(dst, addr, offset, u64, |v| v)
                }
                Instr::I32Load8S { dst, addr, offset } => {
                    load!(dst, addr, offset, i8, |v: i8| v as i32 as u32 as u64)
                }
                Instr::I32Load8U { dst, addr, offset } => {
                    load!(dst, addr, offset, u8, u64::from)
                }
                Instr::I32Load16S { dst, addr, offset } => {
                    load!(dst, addr, offset, i16, |v: i16| v as i32 as u32 as u64)
                }
                Instr::I32Load16U { dst, addr, offset } => {
                    load!(dst, addr, offset, u16, u64::from)
                }
                Instr::I64Load8S { dst, addr, offset } => {
                    load!(dst, addr, offset, i8, |v: i8| v as i64 as u64)
                }
                Instr::I64Load8U { dst, addr, offset } => {
                    load!(dst, addr, offset, u8, u64::from)
                }
                Instr::I64Load16S { dst, addr, offset } => {
                    load!(dst, addr, offset, i16, |v: i16| v as i64 as u64)
                }
                Instr::I64Load16U { dst, addr, offset } => {
                    load!(dst, addr, offset, u16, u64::from)
                }
                Instr::I64Load32S { dst, addr, offset } => {
                    load!(dst, addr, offset, i32, |v: i32| v as i64 as u64)
                }
                Instr::I64Load32U { dst, addr, offset } => {
                    load!(dst, addr, offset, u32, u64::from)
                }
                Instr::I32Store { addr, src, offset } => {
                    store!(addr, offset, u32, slot!(src))
                }
                Instr::I64Store { addr, src, offset } => {
                    store!(addr, offset, u64, slot!(src))
                }
                Instr::Store8 { addr, src, offset } => {
                    store!(addr, offset, u8, slot!(src))
                }
                Instr::Store16 { addr, src, offset } => {
                    store!(addr, offset, u16, slot!(src))
                }
                Instr::I32StoreImm { addr, imm, offset } => {
                    store!(addr, offset, u32, imm as u32)
                }
                Instr::I64StoreImm { addr, imm, offset } => {
                    store!(addr, offset, u64, i64::from(imm) as u64)
                }
                Instr::Store8Imm { addr, imm, offset } => {
                    store!(addr, offset, u8, imm as u32)
                }
                Instr::Store16Imm { addr, imm, offset } => {
                    store!(addr, offset, u16, imm as u32)
                }
                Instr::MemorySize { dst } => {
                    set!(dst, (mem_len as u64) / tierup_abi::WASM_PAGE_SIZE);
                    next!()
                }
                Instr::MemoryGrow { dst, delta } => {
                    let delta = u64::from(slot!(delta) as u32);
                    let old = ((*(*(*ex).vmctx).libcalls).memory_grow)((*ex).vmctx, 0, delta);
                    reload_mem!();
                    set_i32!(dst, if old == u64::MAX { -1i32 } else { old as i32 });
                    next!()
                }
                Instr::MemoryFill { dst, value, len } => {
                    let status = bulk::memory_fill(
                        (*ex).vmctx,
                        slot!(dst) as u32,
                        slot!(value) as u32,
                        slot!(len) as u32,
                    );
                    bulk_done!(status, 1)
                }
                Instr::MemoryCopy { dst, src, len } => {
                    let status = bulk::memory_copy(
                        (*ex).vmctx,
                        slot!(dst) as u32,
                        slot!(src) as u32,
                        slot!(len) as u32,
                    );
                    bulk_done!(status, 1)
                }
                Instr::MemoryInit { dst, src, len } => {
                    let Instr::Extra { a: segment, .. } = *ip.add(1) else {
                        unreachable!("translator emits Extra after MemoryInit")
                    };
                    let status = bulk::memory_init(
                        (*ex).vmctx,
                        segment,
                        slot!(dst) as u32,
                        slot!(src) as u32,
                        slot!(len) as u32,
                    );
                    bulk_done!(status, 2)
                }
                Instr::DataDrop { segment } => {
                    (*(*(*ex).vmctx).data_segments.add(segment as usize)).len = 0;
                    next!()
                }
                Instr::TableGet { dst, table, index } => {
                    let t = *(*(*ex).vmctx).tables.add(table as usize);
                    let i = slot!(index) as u32 as usize;
                    if i >= (*t).length {
                        trap!(TrapCode::TableOutOfBounds);
                    }
                    set!(dst, *(*t).base.add(i));
                    next!()
                }
                Instr::TableSet {
                    table,
                    index,
                    value,
                } => {
                    let t = *(*(*ex).vmctx).tables.add(table as usize);
                    let i = slot!(index) as u32 as usize;
                    if i >= (*t).length {
                        trap!(TrapCode::TableOutOfBounds);
                    }
                    *(*t).base.add(i) = slot!(value);
                    next!()
                }
                Instr::TableSize { dst, table } => {
                    let t = *(*(*ex).vmctx).tables.add(table as usize);
                    set!(dst, (*t).length as u64);
                    next!()
                }
                Instr::TableGrow { dst, table, delta } => {
                    let Instr::Extra { a: init, .. } = *ip.add(1) else {
                        unreachable!("translator emits Extra after TableGrow")
                    };
                    let delta = u64::from(slot!(delta) as u32);
                    let old = ((*(*(*ex).vmctx).libcalls).table_grow)(
                        (*ex).vmctx,
                        table,
                        delta,
                        slot!(init),
                    );
                    set_i32!(dst, if old == u64::MAX { -1i32 } else { old as i32 });
                    next_n!(2)
                }
                Instr::TableFill { table, dst, value } => {
                    let Instr::Extra { a: len, .. } = *ip.add(1) else {
                        unreachable!("translator emits Extra after TableFill")
                    };
                    let status = bulk::table_fill(
                        (*ex).vmctx,
                        table,
                        slot!(dst) as u32,
                        slot!(value),
                        slot!(len) as u32,
                    );
                    bulk_done!(status, 2)
                }
                Instr::TableCopy { dst, src, len } => {
                    let Instr::Extra {
                        a: dst_table,
                        b: src_table,
                        ..
                    } = *ip.add(1)
                    else {
                        unreachable!("translator emits Extra after TableCopy")
                    };
                    let status = bulk::table_copy(
                        (*ex).vmctx,
                        dst_table,
                        src_table,
                        slot!(dst) as u32,
                        slot!(src) as u32,
                        slot!(len) as u32,
                    );
                    bulk_done!(status, 2)
                }
                Instr::TableInit { dst, src, len } => {
                    let Instr::Extra {
                        a: table,
                        b: segment,
                        ..
                    } = *ip.add(1)
                    else {
                        unreachable!("translator emits Extra after TableInit")
                    };
                    let status = bulk::table_init(
                        (*ex).vmctx,
                        table,
                        segment,
                        slot!(dst) as u32,
                        slot!(src) as u32,
                        slot!(len) as u32,
                    );
                    bulk_done!(status, 2)
                }
                Instr::ElemDrop { segment } => {
                    (*(*(*ex).vmctx).elem_segments.add(segment as usize)).len = 0;
                    next!()
                }
                Instr::I32Add { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a.wrapping_add(b))
                }
                Instr::I32Sub { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a.wrapping_sub(b))
                }
                Instr::I32Mul { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a.wrapping_mul(b))
                }
                Instr::I32DivS { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| try_trap!(
                        i32_div_s(a, b)
                    ))
                }
                Instr::I32DivU { dst, lhs, rhs } => {
                    bin_i32!(
                        dst,
                        i32_of!(lhs) as u32,
                        i32_of!(rhs) as u32,
                        |a, b| try_trap!(a.checked_div(b).ok_or(TrapCode::IntegerDivisionByZero))
                    )
                }
                Instr::I32RemS { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| try_trap!(
                        if b == 0 {
                            Err(TrapCode::IntegerDivisionByZero)
                        } else {
                            Ok(a.wrapping_rem(b))
                        }
                    ))
                }
                Instr::I32RemU { dst, lhs, rhs } => {
                    bin_i32!(
                        dst,
                        i32_of!(lhs) as u32,
                        i32_of!(rhs) as u32,
                        |a, b| try_trap!(a.checked_rem(b).ok_or(TrapCode::IntegerDivisionByZero))
                    )
                }
                Instr::I32And { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a & b)
                }
                Instr::I32Or { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a | b)
                }
                Instr::I32Xor { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a ^ b)
                }
                Instr::I32Shl { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a
                        .wrapping_shl(b as u32))
                }
                Instr::I32ShrS { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a
                        .wrapping_shr(b as u32))
                }
                Instr::I32ShrU { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, i32_of!(rhs) as u32, |a, b| a
                        .wrapping_shr(b))
                }
                Instr::I32Rotl { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, i32_of!(rhs) as u32, |a, b| a
                        .rotate_left(b))
                }
                Instr::I32Rotr { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, i32_of!(rhs) as u32, |a, b| a
                        .rotate_right(b))
                }
                Instr::I32AddImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a.wrapping_add(b))
                }
                Instr::I32SubImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a.wrapping_sub(b))
                }
                Instr::I32MulImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a.wrapping_mul(b))
                }
                Instr::I32DivSImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| try_trap!(i32_div_s(a, b)))
                }
                Instr::I32DivUImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, imm as u32, |a, b| try_trap!(
                        a.checked_div(b).ok_or(TrapCode::IntegerDivisionByZero)
                    ))
                }
                Instr::I32RemSImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| try_trap!(if b == 0 {
                        Err(TrapCode::IntegerDivisionByZero)
                    } else {
                        Ok(a.wrapping_rem(b))
                    }))
                }
                Instr::I32RemUImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, imm as u32, |a, b| try_trap!(
                        a.checked_rem(b).ok_or(TrapCode::IntegerDivisionByZero)
                    ))
                }
                Instr::I32AndImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a & b)
                }
                Instr::I32OrImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a | b)
                }
                Instr::I32XorImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a ^ b)
                }
                Instr::I32ShlImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a.wrapping_shl(b as u32))
                }
                Instr::I32ShrSImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a.wrapping_shr(b as u32))
                }
                Instr::I32ShrUImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, imm as u32, |a, b| a
                        .wrapping_shr(b))
                }
                Instr::I32RotlImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, imm as u32, |a, b| a
                        .rotate_left(b))
                }
                Instr::I32RotrImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, imm as u32, |a, b| a
                        .rotate_right(b))
                }
                Instr::I32Eq { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a == b)
                }
                Instr::I32Ne { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a != b)
                }
                Instr::I32LtS { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a < b)
                }
                Instr::I32LtU { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, i32_of!(rhs) as u32, |a, b| a < b)
                }
                Instr::I32GtS { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a > b)
                }
                Instr::I32GtU { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, i32_of!(rhs) as u32, |a, b| a > b)
                }
                Instr::I32LeS { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a <= b)
                }
                Instr::I32LeU { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, i32_of!(rhs) as u32, |a, b| a <= b)
                }
                Instr::I32GeS { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs), i32_of!(rhs), |a, b| a >= b)
                }
                Instr::I32GeU { dst, lhs, rhs } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, i32_of!(rhs) as u32, |a, b| a >= b)
                }
                Instr::I32EqImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a == b)
                }
                Instr::I32NeImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a != b)
                }
                Instr::I32LtSImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a < b)
                }
                Instr::I32LtUImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, imm as u32, |a, b| a < b)
                }
                Instr::I32GtSImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a > b)
                }
                Instr::I32GtUImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, imm as u32, |a, b| a > b)
                }
                Instr::I32LeSImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a <= b)
                }
                Instr::I32LeUImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, imm as u32, |a, b| a <= b)
                }
                Instr::I32GeSImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs), imm, |a, b| a >= b)
                }
                Instr::I32GeUImm { dst, lhs, imm } => {
                    bin_i32!(dst, i32_of!(lhs) as u32, imm as u32, |a, b| a >= b)
                }
                Instr::I32Clz { dst, src } => {
                    bin_i32!(dst, i32_of!(src), 0, |a, _b| a.leading_zeros())
                }
                Instr::I32Ctz { dst, src } => {
                    bin_i32!(dst, i32_of!(src), 0, |a, _b| a.trailing_zeros())
                }
                Instr::I32Popcnt { dst, src } => {
                    bin_i32!(dst, i32_of!(src), 0, |a, _b| a.count_ones())
                }
                Instr::I32Eqz { dst, src } => {
                    bin_i32!(dst, i32_of!(src), 0, |a, _b| a == 0)
                }
                Instr::I32Extend8S { dst, src } => {
                    bin_i32!(dst, i32_of!(src), 0, |a, _b| a as i8 as i32)
                }
                Instr::I32Extend16S { dst, src } => {
                    bin_i32!(dst, i32_of!(src), 0, |a, _b| a as i16 as i32)
                }
                Instr::I64Add { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a.wrapping_add(b))
                }
                Instr::I64Sub { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a.wrapping_sub(b))
                }
                Instr::I64Mul { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a.wrapping_mul(b))
                }
                Instr::I64DivS { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| try_trap!(
                        i64_div_s(a, b)
                    ))
                }
                Instr::I64DivU { dst, lhs, rhs } => {
                    bin_i64!(
                        dst,
                        i64_of!(lhs) as u64,
                        i64_of!(rhs) as u64,
                        |a, b| try_trap!(a.checked_div(b).ok_or(TrapCode::IntegerDivisionByZero))
                    )
                }
                Instr::I64RemS { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| try_trap!(
                        if b == 0 {
                            Err(TrapCode::IntegerDivisionByZero)
                        } else {
                            Ok(a.wrapping_rem(b))
                        }
                    ))
                }
                Instr::I64RemU { dst, lhs, rhs } => {
                    bin_i64!(
                        dst,
                        i64_of!(lhs) as u64,
                        i64_of!(rhs) as u64,
                        |a, b| try_trap!(a.checked_rem(b).ok_or(TrapCode::IntegerDivisionByZero))
                    )
                }
                Instr::I64And { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a & b)
                }
                Instr::I64Or { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a | b)
                }
                Instr::I64Xor { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a ^ b)
                }
                Instr::I64Shl { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a
                        .wrapping_shl(b as u32))
                }
                Instr::I64ShrS { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a
                        .wrapping_shr(b as u32))
                }
                Instr::I64ShrU { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs) as u64, i64_of!(rhs) as u64, |a, b| a
                        .wrapping_shr(b as u32))
                }
                Instr::I64Rotl { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs) as u64, i64_of!(rhs) as u64, |a, b| a
                        .rotate_left((b & 63) as u32))
                }
                Instr::I64Rotr { dst, lhs, rhs } => {
                    bin_i64!(dst, i64_of!(lhs) as u64, i64_of!(rhs) as u64, |a, b| a
                        .rotate_right((b & 63) as u32))
                }
                Instr::I64AddImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs), i64::from(imm), |a, b| a.wrapping_add(b))
                }
                Instr::I64SubImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs), i64::from(imm), |a, b| a.wrapping_sub(b))
                }
                Instr::I64MulImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs), i64::from(imm), |a, b| a.wrapping_mul(b))
                }
                Instr::I64DivSImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs), i64::from(imm), |a, b| try_trap!(
                        i64_div_s(a, b)
                    ))
                }
                Instr::I64DivUImm { dst, lhs, imm } => {
                    bin_i64!(
                        dst,
                        i64_of!(lhs) as u64,
                        i64::from(imm) as u64,
                        |a, b| try_trap!(a.checked_div(b).ok_or(TrapCode::IntegerDivisionByZero))
                    )
                }
                Instr::I64RemSImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs), i64::from(imm), |a, b| try_trap!(
                        if b == 0 {
                            Err(TrapCode::IntegerDivisionByZero)
                        } else {
                            Ok(a.wrapping_rem(b))
                        }
                    ))
                }
                Instr::I64RemUImm { dst, lhs, imm } => {
                    bin_i64!(
                        dst,
                        i64_of!(lhs) as u64,
                        i64::from(imm) as u64,
                        |a, b| try_trap!(a.checked_rem(b).ok_or(TrapCode::IntegerDivisionByZero))
                    )
                }
                Instr::I64AndImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs), i64::from(imm), |a, b| a & b)
                }
                Instr::I64OrImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs), i64::from(imm), |a, b| a | b)
                }
                Instr::I64XorImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs), i64::from(imm), |a, b| a ^ b)
                }
                Instr::I64ShlImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs), imm, |a, b| a.wrapping_shl(b as u32))
                }
                Instr::I64ShrSImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs), imm, |a, b| a.wrapping_shr(b as u32))
                }
                Instr::I64ShrUImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs) as u64, imm, |a, b| a
                        .wrapping_shr(b as u32))
                }
                Instr::I64RotlImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs) as u64, imm, |a, b| a
                        .rotate_left((b & 63) as u32))
                }
                Instr::I64RotrImm { dst, lhs, imm } => {
                    bin_i64!(dst, i64_of!(lhs) as u64, imm, |a, b| a
                        .rotate_right((b & 63) as u32))
                }
                Instr::I64Eq { dst, lhs, rhs } => {
                    bin_i32!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a == b)
                }
                Instr::I64Ne { dst, lhs, rhs } => {
                    bin_i32!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a != b)
                }
                Instr::I64LtS { dst, lhs, rhs } => {
                    bin_i32!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a < b)
                }
                Instr::I64LtU { dst, lhs, rhs } => {
                    bin_i32!(dst, i64_of!(lhs) as u64, i64_of!(rhs) as u64, |a, b| a < b)
                }
                Instr::I64GtS { dst, lhs, rhs } => {
                    bin_i32!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a > b)
                }
                Instr::I64GtU { dst, lhs, rhs } => {
                    bin_i32!(dst, i64_of!(lhs) as u64, i64_of!(rhs) as u64, |a, b| a > b)
                }
                Instr::I64LeS { dst, lhs, rhs } => {
                    bin_i32!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a <= b)
                }
                Instr::I64LeU { dst, lhs, rhs } => {
                    bin_i32!(dst, i64_of!(lhs) as u64, i64_of!(rhs) as u64, |a, b| a <= b)
                }
                Instr::I64GeS { dst, lhs, rhs } => {
                    bin_i32!(dst, i64_of!(lhs), i64_of!(rhs), |a, b| a >= b)
                }
                Instr::I64GeU { dst, lhs, rhs } => {
                    bin_i32!(dst, i64_of!(lhs) as u64, i64_of!(rhs) as u64, |a, b| a >= b)
                }
                Instr::I64EqImm { dst, lhs, imm } => {
                    bin_i32!(dst, i64_of!(lhs), i64::from(imm), |a, b| a == b)
                }
                Instr::I64NeImm { dst, lhs, imm } => {
                    bin_i32!(dst, i64_of!(lhs), i64::from(imm), |a, b| a != b)
                }
                Instr::I64LtSImm { dst, lhs, imm } => {
                    bin_i32!(dst, i64_of!(lhs), i64::from(imm), |a, b| a < b)
                }
                Instr::I64LtUImm { dst, lhs, imm } => {
                    bin_i32!(dst, i64_of!(lhs) as u64, i64::from(imm) as u64, |a, b| a
                        < b)
                }
                Instr::I64GtSImm { dst, lhs, imm } => {
                    bin_i32!(dst, i64_of!(lhs), i64::from(imm), |a, b| a > b)
                }
                Instr::I64GtUImm { dst, lhs, imm } => {
                    bin_i32!(dst, i64_of!(lhs) as u64, i64::from(imm) as u64, |a, b| a
                        > b)
                }
                Instr::I64LeSImm { dst, lhs, imm } => {
                    bin_i32!(dst, i64_of!(lhs), i64::from(imm), |a, b| a <= b)
                }
                Instr::I64LeUImm { dst, lhs, imm } => {
                    bin_i32!(dst, i64_of!(lhs) as u64, i64::from(imm) as u64, |a, b| a
                        <= b)
                }
                Instr::I64GeSImm { dst, lhs, imm } => {
                    bin_i32!(dst, i64_of!(lhs), i64::from(imm), |a, b| a >= b)
                }
                Instr::I64GeUImm { dst, lhs, imm } => {
                    bin_i32!(dst, i64_of!(lhs) as u64, i64::from(imm) as u64, |a, b| a
                        >= b)
                }
                Instr::I64Clz { dst, src } => {
                    bin_i64!(dst, i64_of!(src), 0, |a, _b| a.leading_zeros())
                }
                Instr::I64Ctz { dst, src } => {
                    bin_i64!(dst, i64_of!(src), 0, |a, _b| a.trailing_zeros())
                }
                Instr::I64Popcnt { dst, src } => {
                    bin_i64!(dst, i64_of!(src), 0, |a, _b| a.count_ones())
                }
                Instr::I64Eqz { dst, src } => {
                    bin_i32!(dst, i64_of!(src), 0, |a, _b| a == 0)
                }
                Instr::I64Extend8S { dst, src } => {
                    bin_i64!(dst, i64_of!(src), 0, |a, _b| a as i8 as i64)
                }
                Instr::I64Extend16S { dst, src } => {
                    bin_i64!(dst, i64_of!(src), 0, |a, _b| a as i16 as i64)
                }
                Instr::I64Extend32S { dst, src } => {
                    bin_i64!(dst, i64_of!(src), 0, |a, _b| a as i32 as i64)
                }
                Instr::I64Extend32U { dst, src } => {
                    bin_i64!(dst, i64_of!(src), 0, |a, _b| a as u32 as u64)
                }
                Instr::F32Add { dst, lhs, rhs } => {
                    set_f32!(dst, f32_of!(lhs) + f32_of!(rhs));
                    next!()
                }
                Instr::F32Sub { dst, lhs, rhs } => {
                    set_f32!(dst, f32_of!(lhs) - f32_of!(rhs));
                    next!()
                }
                Instr::F32Mul { dst, lhs, rhs } => {
                    set_f32!(dst, f32_of!(lhs) * f32_of!(rhs));
                    next!()
                }
                Instr::F32Div { dst, lhs, rhs } => {
                    set_f32!(dst, f32_of!(lhs) / f32_of!(rhs));
                    next!()
                }
                Instr::F32Min { dst, lhs, rhs } => {
                    set_f32!(dst, wasm_min!(f32_of!(lhs), f32_of!(rhs), f32));
                    next!()
                }
                Instr::F32Max { dst, lhs, rhs } => {
                    set_f32!(dst, wasm_max!(f32_of!(lhs), f32_of!(rhs), f32));
                    next!()
                }
                Instr::F32Copysign { dst, lhs, rhs } => {
                    set_f32!(dst, f32_of!(lhs).copysign(f32_of!(rhs)));
                    next!()
                }
                Instr::F32Eq { dst, lhs, rhs } => {
                    set_i32!(dst, f32_of!(lhs) == f32_of!(rhs));
                    next!()
                }
                Instr::F32Ne { dst, lhs, rhs } => {
                    set_i32!(dst, f32_of!(lhs) != f32_of!(rhs));
                    next!()
                }
                Instr::F32Lt { dst, lhs, rhs } => {
                    set_i32!(dst, f32_of!(lhs) < f32_of!(rhs));
                    next!()
                }
                Instr::F32Gt { dst, lhs, rhs } => {
                    set_i32!(dst, f32_of!(lhs) > f32_of!(rhs));
                    next!()
                }
                Instr::F32Le { dst, lhs, rhs } => {
                    set_i32!(dst, f32_of!(lhs) <= f32_of!(rhs));
                    next!()
                }
                Instr::F32Ge { dst, lhs, rhs } => {
                    set_i32!(dst, f32_of!(lhs) >= f32_of!(rhs));
                    next!()
                }
                Instr::F32Abs { dst, src } => {
                    set!(dst, slot!(src) & 0x7fff_ffff);
                    next!()
                }
                Instr::F32Neg { dst, src } => {
                    set!(dst, (slot!(src) ^ 0x8000_0000) & 0xffff_ffff);
                    next!()
                }
                Instr::F32Ceil { dst, src } => {
                    set_f32!(dst, quiet_f32(f32_of!(src), |x| x.ceil()));
                    next!()
                }
                Instr::F32Floor { dst, src } => {
                    set_f32!(dst, quiet_f32(f32_of!(src), |x| x.floor()));
                    next!()
                }
                Instr::F32Trunc { dst, src } => {
                    set_f32!(dst, quiet_f32(f32_of!(src), |x| x.trunc()));
                    next!()
                }
                Instr::F32Nearest { dst, src } => {
                    set_f32!(dst, quiet_f32(f32_of!(src), |x| x.round_ties_even()));
                    next!()
                }
                Instr::F32Sqrt { dst, src } => {
                    set_f32!(dst, f32_of!(src).sqrt());
                    next!()
                }
                Instr::F64Add { dst, lhs, rhs } => {
                    set_f64!(dst, f64_of!(lhs) + f64_of!(rhs));
                    next!()
                }
                Instr::F64Sub { dst, lhs, rhs } => {
                    set_f64!(dst, f64_of!(lhs) - f64_of!(rhs));
                    next!()
                }
                Instr::F64Mul { dst, lhs, rhs } => {
                    set_f64!(dst, f64_of!(lhs) * f64_of!(rhs));
                    next!()
                }
                Instr::F64Div { dst, lhs, rhs } => {
                    set_f64!(dst, f64_of!(lhs) / f64_of!(rhs));
                    next!()
                }
                Instr::F64Min { dst, lhs, rhs } => {
                    set_f64!(dst, wasm_min!(f64_of!(lhs), f64_of!(rhs), f64));
                    next!()
                }
                Instr::F64Max { dst, lhs, rhs } => {
                    set_f64!(dst, wasm_max!(f64_of!(lhs), f64_of!(rhs), f64));
                    next!()
                }
                Instr::F64Copysign { dst, lhs, rhs } => {
                    set_f64!(dst, f64_of!(lhs).copysign(f64_of!(rhs)));
                    next!()
                }
                Instr::F64Eq { dst, lhs, rhs } => {
                    set_i32!(dst, f64_of!(lhs) == f64_of!(rhs));
                    next!()
                }
                Instr::F64Ne { dst, lhs, rhs } => {
                    set_i32!(dst, f64_of!(lhs) != f64_of!(rhs));
                    next!()
                }
                Instr::F64Lt { dst, lhs, rhs } => {
                    set_i32!(dst, f64_of!(lhs) < f64_of!(rhs));
                    next!()
                }
                Instr::F64Gt { dst, lhs, rhs } => {
                    set_i32!(dst, f64_of!(lhs) > f64_of!(rhs));
                    next!()
                }
                Instr::F64Le { dst, lhs, rhs } => {
                    set_i32!(dst, f64_of!(lhs) <= f64_of!(rhs));
                    next!()
                }
                Instr::F64Ge { dst, lhs, rhs } => {
                    set_i32!(dst, f64_of!(lhs) >= f64_of!(rhs));
                    next!()
                }
                Instr::F64Abs { dst, src } => {
                    set!(dst, slot!(src) & 0x7fff_ffff_ffff_ffff);
                    next!()
                }
                Instr::F64Neg { dst, src } => {
                    set!(dst, slot!(src) ^ 0x8000_0000_0000_0000);
                    next!()
                }
                Instr::F64Ceil { dst, src } => {
                    set_f64!(dst, quiet_f64(f64_of!(src), |x| x.ceil()));
                    next!()
                }
                Instr::F64Floor { dst, src } => {
                    set_f64!(dst, quiet_f64(f64_of!(src), |x| x.floor()));
                    next!()
                }
                Instr::F64Trunc { dst, src } => {
                    set_f64!(dst, quiet_f64(f64_of!(src), |x| x.trunc()));
                    next!()
                }
                Instr::F64Nearest { dst, src } => {
                    set_f64!(dst, quiet_f64(f64_of!(src), |x| x.round_ties_even()));
                    next!()
                }
                Instr::F64Sqrt { dst, src } => {
                    set_f64!(dst, f64_of!(src).sqrt());
                    next!()
                }
                Instr::I32TruncF32S { dst, src } => {
                    set_i32!(
                        dst,
                        try_trap!(trunc!(f32_of!(src), -2147483904.0f32, 2147483648.0f32, i32))
                    );
                    next!()
                }
                Instr::I32TruncF32U { dst, src } => {
                    set_i32!(
                        dst,
                        try_trap!(trunc!(f32_of!(src), -1.0f32, 4294967296.0f32, u32))
                    );
                    next!()
                }
                Instr::I32TruncF64S { dst, src } => {
                    set_i32!(
                        dst,
                        try_trap!(trunc!(f64_of!(src), -2147483649.0f64, 2147483648.0f64, i32))
                    );
                    next!()
                }
                Instr::I32TruncF64U { dst, src } => {
                    set_i32!(
                        dst,
                        try_trap!(trunc!(f64_of!(src), -1.0f64, 4294967296.0f64, u32))
                    );
                    next!()
                }
                Instr::I64TruncF32S { dst, src } => {
                    set_i64!(
                        dst,
                        try_trap!(trunc!(
                            f32_of!(src),
                            -9223373136366403584.0f32,
                            9223372036854775808.0f32,
                            i64
                        ))
                    );
                    next!()
                }
                Instr::I64TruncF32U { dst, src } => {
                    set_i64!(
                        dst,
                        try_trap!(trunc!(
                            f32_of!(src),
                            -1.0f32,
                            18446744073709551616.0f32,
                            u64
                        ))
                    );
                    next!()
                }
                Instr::I64TruncF64S { dst, src } => {
                    set_i64!(
                        dst,
                        try_trap!(trunc!(
                            f64_of!(src),
                            -9223372036854777856.0f64,
                            9223372036854775808.0f64,
                            i64
                        ))
                    );
                    next!()
                }
                Instr::I64TruncF64U { dst, src } => {
                    set_i64!(
                        dst,
                        try_trap!(trunc!(
                            f64_of!(src),
                            -1.0f64,
                            18446744073709551616.0f64,
                            u64
                        ))
                    );
                    next!()
                }
                Instr::I32TruncSatF32S { dst, src } => {
                    set_i32!(dst, f32_of!(src) as i32);
                    next!()
                }
                Instr::I32TruncSatF32U { dst, src } => {
                    set_i32!(dst, f32_of!(src) as u32);
                    next!()
                }
                Instr::I32TruncSatF64S { dst, src } => {
                    set_i32!(dst, f64_of!(src) as i32);
                    next!()
                }
                Instr::I32TruncSatF64U { dst, src } => {
                    set_i32!(dst, f64_of!(src) as u32);
                    next!()
                }
                Instr::I64TruncSatF32S { dst, src } => {
                    set_i64!(dst, f32_of!(src) as i64);
                    next!()
                }
                Instr::I64TruncSatF32U { dst, src } => {
                    set_i64!(dst, f32_of!(src) as u64);
                    next!()
                }
                Instr::I64TruncSatF64S { dst, src } => {
                    set_i64!(dst, f64_of!(src) as i64);
                    next!()
                }
                Instr::I64TruncSatF64U { dst, src } => {
                    set_i64!(dst, f64_of!(src) as u64);
                    next!()
                }
                Instr::F32ConvertI32S { dst, src } => {
                    set_f32!(dst, i32_of!(src) as f32);
                    next!()
                }
                Instr::F32ConvertI32U { dst, src } => {
                    set_f32!(dst, i32_of!(src) as u32 as f32);
                    next!()
                }
                Instr::F32ConvertI64S { dst, src } => {
                    set_f32!(dst, i64_of!(src) as f32);
                    next!()
                }
                Instr::F32ConvertI64U { dst, src } => {
                    set_f32!(dst, i64_of!(src) as u64 as f32);
                    next!()
                }
                Instr::F64ConvertI32S { dst, src } => {
                    set_f64!(dst, f64::from(i32_of!(src)));
                    next!()
                }
                Instr::F64ConvertI32U { dst, src } => {
                    set_f64!(dst, f64::from(i32_of!(src) as u32));
                    next!()
                }
                Instr::F64ConvertI64S { dst, src } => {
                    set_f64!(dst, i64_of!(src) as f64);
                    next!()
                }
                Instr::F64ConvertI64U { dst, src } => {
                    set_f64!(dst, i64_of!(src) as u64 as f64);
                    next!()
                }
                Instr::F32DemoteF64 { dst, src } => {
                    set_f32!(dst, f64_of!(src) as f32);
                    next!()
                }
                Instr::F64PromoteF32 { dst, src } => {
                    set_f64!(dst, f64::from(f32_of!(src)));
                    next!()
                } // OPS END
            }
        }
    }
}

#[cfg(tierup_tail_dispatch)]
include!(concat!(env!("OUT_DIR"), "/tail_dispatch.rs"));

fn i32_div_s(a: i32, b: i32) -> Result<i32, TrapCode> {
    if b == 0 {
        Err(TrapCode::IntegerDivisionByZero)
    } else if a == i32::MIN && b == -1 {
        Err(TrapCode::IntegerOverflow)
    } else {
        Ok(a / b)
    }
}

fn i64_div_s(a: i64, b: i64) -> Result<i64, TrapCode> {
    if b == 0 {
        Err(TrapCode::IntegerDivisionByZero)
    } else if a == i64::MIN && b == -1 {
        Err(TrapCode::IntegerOverflow)
    } else {
        Ok(a / b)
    }
}

/// Applies a rounding operation, returning a NaN input as a quiet NaN (wasm's arithmetic NaN;
/// software rounding may otherwise pass a signalling NaN through unchanged).
#[inline(always)]
fn quiet_f32(x: f32, op: impl FnOnce(f32) -> f32) -> f32 {
    if x.is_nan() {
        f32::from_bits(x.to_bits() | 0x0040_0000)
    } else {
        op(x)
    }
}

/// The `f64` counterpart of [`quiet_f32`].
#[inline(always)]
fn quiet_f64(x: f64, op: impl FnOnce(f64) -> f64) -> f64 {
    if x.is_nan() {
        f64::from_bits(x.to_bits() | 0x0008_0000_0000_0000)
    } else {
        op(x)
    }
}
