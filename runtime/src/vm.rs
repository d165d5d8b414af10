//! Raw instance resources: linear memories, tables, globals and the slot stack.
//!
//! Each resource is boxed so the `#[repr(C)]` definition that vmctxs point to has a stable
//! address for the life of the store.
//!
//! Memories reserve their whole address range up front (`PROT_NONE`), so the base never moves
//! and `memory.grow` only changes protections: 4 GiB plus `tierup_abi::GUARD_BYTES` for wasm32,
//! which is what the machine-code tiers rely on to elide bounds checks in
//! `BoundsChecks::Guard` mode (DESIGN.md §6). The interpreter checks bounds explicitly
//! regardless.

use std::ptr;

use tierup_abi::{
    GUARD_BYTES, Limits, MemoryDefinition, TableDefinition, TableType, WASM_PAGE_SIZE,
};

/// An anonymous mapping, unmapped on drop.
#[derive(Debug)]
pub(crate) struct Mmap {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; access is synchronised by the store
// that owns it (stores are used by one thread at a time).
unsafe impl Send for Mmap {}
// SAFETY: as above; shared references never write through the pointer.
unsafe impl Sync for Mmap {}

impl Mmap {
    /// Reserves `len` bytes of address space with no access.
    fn reserve(len: usize) -> Option<Mmap> {
        // SAFETY: an anonymous private mapping with no fixed address has no preconditions.
        let ptr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            None
        } else {
            Some(Mmap {
                ptr: ptr.cast(),
                len,
            })
        }
    }

    /// Makes `[0, len)` readable and writable (zero-filled on first touch).
    fn make_accessible(&mut self, len: usize) -> bool {
        if len == 0 {
            return true;
        }
        debug_assert!(len <= self.len);
        // SAFETY: the range lies within our own mapping.
        unsafe { libc::mprotect(self.ptr.cast(), len, libc::PROT_READ | libc::PROT_WRITE) == 0 }
    }
}

/// Size of the interrupt poll page.
const POLL_PAGE_SIZE: usize = 4096;

impl Mmap {
    /// Maps the one readable page (zeroes) that optimized loops poll
    /// ([`tierup_abi::StoreCtx::interrupt_poll`]).
    pub(crate) fn poll_page() -> Option<Mmap> {
        let page = Mmap::reserve(POLL_PAGE_SIZE)?;
        page.set_poll_readable(true).then_some(page)
    }

    /// The first byte of the mapping.
    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.ptr
    }

    /// Makes a poll page readable, or inaccessible so that the next poll faults. Any thread
    /// may call it (`mprotect` of a page another thread reads is atomic for that reader: the
    /// read either succeeds or faults).
    pub(crate) fn set_poll_readable(&self, readable: bool) -> bool {
        debug_assert_eq!(self.len, POLL_PAGE_SIZE);
        let protection = if readable {
            libc::PROT_READ
        } else {
            libc::PROT_NONE
        };
        // SAFETY: the range is exactly our own mapping; no Rust reference points into it (JIT
        // code reads it, and a fault there is a registered trap site).
        unsafe { libc::mprotect(self.ptr.cast(), self.len, protection) == 0 }
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: we own the mapping and nobody uses it any more.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

/// A linear memory. `#[repr(C)]` with `def` first, so a `*mut MemoryDefinition` handed to the
/// tiers is also a pointer to its `MemoryData` (the libcalls rely on this).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct MemoryData {
    pub(crate) def: MemoryDefinition,
    pub(crate) limits: Limits,
    max_pages: u64,
    _mmap: Mmap,
}

impl MemoryData {
    /// A memory of `limits.min` pages, growable to `min(limits.max, cap_pages)`.
    pub(crate) fn new(limits: Limits, cap_pages: u32) -> Result<Box<MemoryData>, String> {
        let max_pages = limits.max.unwrap_or(65536).min(u64::from(cap_pages));
        if limits.min > max_pages {
            return Err(format!(
                "memory minimum of {} pages exceeds the limit of {} pages",
                limits.min, max_pages
            ));
        }
        let reserve = (65536 * WASM_PAGE_SIZE + GUARD_BYTES) as usize;
        let mut mmap = Mmap::reserve(reserve).ok_or("cannot reserve address space for memory")?;
        let len = (limits.min * WASM_PAGE_SIZE) as usize;
        if !mmap.make_accessible(len) {
            return Err("cannot allocate memory".into());
        }
        Ok(Box::new(MemoryData {
            def: MemoryDefinition {
                base: mmap.ptr,
                length: len,
            },
            limits,
            max_pages,
            _mmap: mmap,
        }))
    }

    /// The most pages it can reach (its declared maximum, capped by the engine's).
    pub(crate) fn max_pages(&self) -> u64 {
        self.max_pages
    }

    /// Current size in pages.
    pub(crate) fn pages(&self) -> u64 {
        self.def.length as u64 / WASM_PAGE_SIZE
    }

    /// `memory.grow`: the old size in pages, or `None` if it cannot grow that much.
    pub(crate) fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        let new_len = (new * WASM_PAGE_SIZE) as usize;
        if !self._mmap.make_accessible(new_len) {
            return None;
        }
        self.def.length = new_len;
        self.limits.min = new;
        Some(old)
    }

    /// The memory's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        if self.def.length == 0 {
            return &[];
        }
        // SAFETY: `[base, base + length)` is mapped read-write and owned by this memory.
        unsafe { std::slice::from_raw_parts(self.def.base, self.def.length) }
    }

    /// The memory's bytes, mutably.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        if self.def.length == 0 {
            return &mut [];
        }
        // SAFETY: as in `bytes`, and `&mut self` gives exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.def.base, self.def.length) }
    }
}

/// A table of references (each element one slot, see `tierup_abi::vmctx`). `#[repr(C)]` with
/// `def` first, like [`MemoryData`].
#[derive(Debug)]
#[repr(C)]
pub(crate) struct TableData {
    pub(crate) def: TableDefinition,
    pub(crate) ty: TableType,
    elems: Vec<u64>,
    max: u64,
}

impl TableData {
    pub(crate) fn new(ty: TableType, init: u64, cap: u32) -> Result<Box<TableData>, String> {
        let max = ty
            .limits
            .max
            .unwrap_or(u64::from(u32::MAX))
            .min(u64::from(cap));
        if ty.limits.min > max {
            return Err(format!(
                "table minimum of {} elements exceeds the limit of {max}",
                ty.limits.min
            ));
        }
        let mut elems = vec![init; ty.limits.min as usize];
        Ok(Box::new(TableData {
            def: TableDefinition {
                base: elems.as_mut_ptr(),
                length: elems.len(),
            },
            ty,
            elems,
            max,
        }))
    }

    /// `table.grow`: the old size, or `None`.
    pub(crate) fn grow(&mut self, delta: u64, init: u64) -> Option<u64> {
        let old = self.elems.len() as u64;
        let new = old.checked_add(delta)?;
        if new > self.max {
            return None;
        }
        self.elems.try_reserve(delta as usize).ok()?;
        self.elems.resize(new as usize, init);
        self.def.base = self.elems.as_mut_ptr();
        self.def.length = self.elems.len();
        self.ty.limits.min = new;
        Some(old)
    }

    /// The most elements it can reach (its declared maximum, capped by the engine's).
    pub(crate) fn max(&self) -> u64 {
        self.max
    }

    pub(crate) fn elements(&self) -> &[u64] {
        &self.elems
    }

    pub(crate) fn elements_mut(&mut self) -> &mut [u64] {
        &mut self.elems
    }
}

/// A global's value slot and type.
#[derive(Debug)]
pub(crate) struct GlobalData {
    /// The value's slots (a `v128` uses both; every other type the first).
    pub(crate) value: [u64; 2],
    pub(crate) ty: tierup_abi::GlobalType,
}

/// The store's slot stack: one mapping with a guard page below and above.
///
/// Stacks are pooled per thread ([`SlotStackMem::acquire`], [`SlotStackMem::release`]): a
/// platform that creates a store per request then pays for the mapping once per thread, not
/// once per store (DESIGN.md §2 makes the slot stack a per-thread resource). Reuse cannot leak
/// data between stores: wasm never reads a slot it has not written (locals are zeroed on entry,
/// temporaries are written before they are read).
#[derive(Debug)]
pub(crate) struct SlotStackMem {
    _mmap: Mmap,
    bytes: usize,
    pub(crate) base: *mut u64,
    pub(crate) end: *mut u64,
}

/// How many idle stacks a thread keeps.
const POOLED_STACKS: usize = 4;

thread_local! {
    static STACK_POOL: std::cell::RefCell<Vec<SlotStackMem>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl SlotStackMem {
    /// A stack of `bytes`, from this thread's pool if one of that size is idle.
    pub(crate) fn acquire(bytes: usize) -> Result<SlotStackMem, String> {
        let pooled = STACK_POOL
            .try_with(|pool| {
                let mut pool = pool.borrow_mut();
                let i = pool.iter().position(|s| s.bytes == bytes)?;
                Some(pool.swap_remove(i))
            })
            .ok()
            .flatten();
        match pooled {
            Some(stack) => Ok(stack),
            None => SlotStackMem::new(bytes),
        }
    }

    /// Returns the stack to this thread's pool (or unmaps it if the pool is full).
    pub(crate) fn release(self) {
        let _ = STACK_POOL.try_with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOLED_STACKS {
                pool.push(self);
            }
        });
    }

    pub(crate) fn new(bytes: usize) -> Result<SlotStackMem, String> {
        let page = 4096;
        let usable = bytes
            .checked_next_multiple_of(page)
            .filter(|&n| n <= 1 << 30)
            .ok_or("wasm stack size out of range")?;
        let mut mmap =
            Mmap::reserve(usable + 2 * page).ok_or("cannot reserve the wasm slot stack")?;
        // SAFETY: the range `[page, page + usable)` lies within the mapping.
        let ok = unsafe {
            libc::mprotect(
                mmap.ptr.add(page).cast(),
                usable,
                libc::PROT_READ | libc::PROT_WRITE,
            ) == 0
        };
        if !ok {
            return Err("cannot allocate the wasm slot stack".into());
        }
        // SAFETY: both pointers are within (or one past) the usable range.
        let (base, end) = unsafe {
            (
                mmap.ptr.add(page).cast::<u64>(),
                mmap.ptr.add(page + usable).cast::<u64>(),
            )
        };
        let _ = &mut mmap;
        Ok(SlotStackMem {
            _mmap: mmap,
            bytes,
            base,
            end,
        })
    }
}

// ---- The native stack wasm runs on ----

/// The largest fixed native cost of one wasm frame in machine code, whatever its tier: the part
/// of a machine-code frame that does not grow with the function's slot frame.
///
/// Measured (and held to by `runtime/tests/stack_depth.rs`, which recurses to the limit):
/// - **baseline**: 64 bytes: the return address, `rbp`, the five callee-saved registers the
///   prologue pushes (`rbx`, `r12`–`r15`) and 8 bytes of alignment (`baseline/src/masm/x64.rs`,
///   `enter_frame`);
/// - **optimized**, native entry: 16 bytes (return address and `rbp`) plus up to 48 of saved
///   callee-saved registers and alignment; entered through the slot ABI, the wrapper adds a
///   frame of the same kind (together at most 128);
/// - **a recursion alternating between interpreted and machine-code frames** (a mutual
///   recursion half tiered up): each interpreted → machine code → interpreted round trip adds
///   the Rust frames in between (`enter_jit`, `call_jit`, the entry trampoline, the interpreter
///   stub, `interp_entry` and the interpreter's dispatch): 720 bytes per two levels in this
///   workspace's builds. That sets the constant: 512 bytes per level covers it with room.
///
/// What a frame spills on top of that (Cranelift spill slots, outgoing stack arguments) is
/// bounded by the values live across its calls, which are slots of its frame: that part is
/// covered by [`NATIVE_PER_SLOT_BYTE`] times the slot stack.
pub(crate) const NATIVE_FRAME_BYTES: usize = 512;

/// Native stack per byte of slot stack (see [`NATIVE_FRAME_BYTES`]): a frame spills at most its
/// live values (one slot each), passes at most its callee's parameters on the stack and reserves
/// a return area for at most its callee's results (an optimized callee with more results than
/// return registers), all of which the interpreter keeps in slots too.
pub(crate) const NATIVE_PER_SLOT_BYTE: usize = 2;

/// Native stack kept below the deepest wasm frame for the Rust code that runs there: host
/// functions, libcalls, the interpreter (entered from machine code), lazy translation and the
/// synchronous baseline compile of a function first called at that depth, and the entry path of
/// nested host → wasm calls. Only touched pages cost memory.
pub(crate) const NATIVE_HOST_MARGIN: usize = 1 << 20;

/// The size of the native stack that wasm runs on for a slot stack of `max_wasm_stack` bytes:
/// large enough that any call depth the interpreter allows (at most
/// `tierup_interp::exec::MAX_FRAMES` frames, whose slot frames fit in `max_wasm_stack`) also fits
/// in machine code, plus [`NATIVE_HOST_MARGIN`].
pub(crate) fn native_stack_bytes(max_wasm_stack: usize) -> usize {
    NATIVE_PER_SLOT_BYTE * max_wasm_stack
        + tierup_interp::exec::MAX_FRAMES * NATIVE_FRAME_BYTES
        + NATIVE_HOST_MARGIN
}

/// A native stack for wasm: one `MAP_NORESERVE` mapping, read-write but committed only where
/// touched, with a `PROT_NONE` guard page below it. Owned by a store (acquired at its first call,
/// from this thread's pool, like the slot stack) and given back to a pool when the store drops,
/// with its pages released.
#[derive(Debug)]
pub(crate) struct NativeStackMem {
    _mmap: Mmap,
    bytes: usize,
    /// Lowest usable address (just above the guard page).
    pub(crate) low: usize,
    /// One past the highest usable address (16-byte aligned: the initial stack pointer).
    pub(crate) top: usize,
}

/// How many idle native stacks a thread keeps.
const POOLED_NATIVE_STACKS: usize = 2;

/// How much of the top of a pooled native stack stays resident (the pages every call touches).
const KEEP_RESIDENT: usize = 64 << 10;

thread_local! {
    static NATIVE_STACK_POOL: std::cell::RefCell<Vec<NativeStackMem>> =
        const { std::cell::RefCell::new(Vec::new()) };
    /// The native stack this thread is running wasm on (`low`, `top`), or (0, 0).
    static CURRENT_NATIVE_STACK: std::cell::Cell<(usize, usize)> =
        const { std::cell::Cell::new((0, 0)) };
}

impl NativeStackMem {
    /// A stack of `bytes` (usable), from this thread's pool if one of that size is idle.
    pub(crate) fn acquire(bytes: usize) -> Result<NativeStackMem, String> {
        let pooled = NATIVE_STACK_POOL
            .try_with(|pool| {
                let mut pool = pool.borrow_mut();
                let i = pool.iter().position(|s| s.bytes == bytes)?;
                Some(pool.swap_remove(i))
            })
            .ok()
            .flatten();
        match pooled {
            Some(stack) => Ok(stack),
            None => NativeStackMem::new(bytes),
        }
    }

    /// Returns the stack to this thread's pool (or unmaps it if the pool is full), releasing
    /// the pages a deep recursion touched.
    pub(crate) fn release(self) {
        let keep = KEEP_RESIDENT.min(self.top - self.low);
        // SAFETY: `[low, top - keep)` lies within our mapping and nothing runs on it (the store
        // that owned it is gone); the pages read back as zeros when touched again.
        unsafe {
            libc::madvise(
                self.low as *mut libc::c_void,
                self.top - keep - self.low,
                libc::MADV_DONTNEED,
            );
        }
        let _ = NATIVE_STACK_POOL.try_with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOLED_NATIVE_STACKS {
                pool.push(self);
            }
        });
    }

    fn new(bytes: usize) -> Result<NativeStackMem, String> {
        let page = 4096;
        let usable = bytes
            .checked_next_multiple_of(page)
            .filter(|&n| n <= 8 << 30)
            .ok_or("native stack size out of range")?;
        // SAFETY: an anonymous private mapping with no fixed address has no preconditions.
        let ptr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                usable + page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err("cannot reserve the native stack for wasm".into());
        }
        let mmap = Mmap {
            ptr: ptr.cast(),
            len: usable + page,
        };
        // SAFETY: the first page of our own mapping becomes the guard page.
        if unsafe { libc::mprotect(ptr, page, libc::PROT_NONE) } != 0 {
            return Err("cannot protect the native stack's guard page".into());
        }
        let low = mmap.ptr as usize + page;
        Ok(NativeStackMem {
            _mmap: mmap,
            bytes,
            low,
            top: low + usable,
        })
    }
}

/// The native stack this thread is running wasm on, as (`low`, `top`), if any.
pub(crate) fn current_native_stack() -> Option<(usize, usize)> {
    CURRENT_NATIVE_STACK
        .try_with(std::cell::Cell::get)
        .ok()
        .filter(|&(low, _)| low != 0)
}

/// Runs `f` on the native stack `[low, top)` and returns its result; `f`'s panic, if any,
/// resumes on the caller's stack (no unwind ever crosses the switch).
///
/// # Safety
/// `[low, top)` must be a read-write native stack, not in use, that stays mapped while `f`
/// runs; `top` must be 16-byte aligned.
pub(crate) unsafe fn on_native_stack<F: FnOnce() -> R, R>(low: usize, top: usize, f: F) -> R {
    struct Ctx<F, R> {
        f: Option<F>,
        result: Option<std::thread::Result<R>>,
    }
    unsafe extern "sysv64" fn run<F: FnOnce() -> R, R>(ctx: *mut u8) {
        // SAFETY: `ctx` is the `Ctx` below, live and not otherwise borrowed during the switch.
        let ctx = unsafe { &mut *ctx.cast::<Ctx<F, R>>() };
        if let Some(f) = ctx.f.take() {
            ctx.result = Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        }
    }
    debug_assert!(top.is_multiple_of(16) && low < top);
    let mut ctx = Ctx {
        f: Some(f),
        result: None,
    };
    let previous = CURRENT_NATIVE_STACK.with(|c| c.replace((low, top)));
    // SAFETY: the caller's contract for the stack; `run::<F, R>` matches `ctx`'s type and
    // catches every panic, so nothing unwinds through `switch_stack`.
    unsafe { switch_stack((&raw mut ctx).cast(), run::<F, R>, top) };
    CURRENT_NATIVE_STACK.with(|c| c.set(previous));
    match ctx.result {
        Some(Ok(value)) => value,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        None => unreachable!("the function ran on the native stack"),
    }
}

/// Calls `f(ctx)` with the stack pointer at `top`, then switches back. The caller's `rsp` is
/// kept in `rbp` (callee-saved, so `f` preserves it), which also makes this a normal frame for
/// unwinders and debuggers: the CFI describes the canonical frame by `rbp`, so backtraces taken
/// on the new stack continue on the old one.
#[unsafe(naked)]
unsafe extern "sysv64" fn switch_stack(
    ctx: *mut u8,
    f: unsafe extern "sysv64" fn(*mut u8),
    top: usize,
) {
    core::arch::naked_asm!(
        ".cfi_startproc",
        "push rbp",
        ".cfi_adjust_cfa_offset 8",
        ".cfi_rel_offset rbp, 0",
        "mov rbp, rsp",
        ".cfi_def_cfa_register rbp",
        // `top` is 16-byte aligned: after the call pushes its return address, `f` starts with
        // the alignment the ABI requires. `ctx` is already in `rdi`.
        "mov rsp, rdx",
        "call rsi",
        "mov rsp, rbp",
        ".cfi_def_cfa_register rsp",
        "pop rbp",
        ".cfi_adjust_cfa_offset -8",
        ".cfi_restore rbp",
        "ret",
        ".cfi_endproc",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp() -> usize {
        let marker = 0u8;
        std::hint::black_box(&marker) as *const u8 as usize
    }

    #[test]
    fn runs_on_the_given_stack_and_returns_its_result() {
        let stack = NativeStackMem::acquire(1 << 20).unwrap();
        let (low, top) = (stack.low, stack.top);
        assert!(current_native_stack().is_none());
        // SAFETY: a fresh stack of ours, mapped until `stack` is released below.
        let (inner_sp, current) =
            unsafe { on_native_stack(low, top, || (sp(), current_native_stack())) };
        assert!(low < inner_sp && inner_sp < top);
        assert_eq!(current, Some((low, top)));
        assert!(current_native_stack().is_none());
        stack.release();
    }

    #[test]
    fn panics_resume_on_the_callers_stack_and_switches_nest() {
        let outer = NativeStackMem::acquire(1 << 20).unwrap();
        let inner = NativeStackMem::new(1 << 20).unwrap();
        let result = std::panic::catch_unwind(|| {
            // SAFETY: two distinct fresh stacks, mapped for the whole test.
            unsafe {
                on_native_stack(outer.low, outer.top, || {
                    let depth = on_native_stack(inner.low, inner.top, || {
                        assert_eq!(current_native_stack(), Some((inner.low, inner.top)));
                        7
                    });
                    assert_eq!(current_native_stack(), Some((outer.low, outer.top)));
                    if depth == 7 {
                        panic!("from the native stack");
                    }
                })
            }
        });
        let panic = result.unwrap_err();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"from the native stack"));
        assert!(current_native_stack().is_none());
        outer.release();
        inner.release();
    }

    #[test]
    fn the_native_stack_covers_every_interpreted_depth() {
        let bytes = native_stack_bytes(8 << 20);
        assert!(bytes >= 2 * (8 << 20) + tierup_interp::exec::MAX_FRAMES * 64);
        // Pooled stacks are reused.
        let stack = NativeStackMem::acquire(bytes).unwrap();
        let low = stack.low;
        stack.release();
        let again = NativeStackMem::acquire(bytes).unwrap();
        assert_eq!(again.low, low);
        again.release();
    }
}
