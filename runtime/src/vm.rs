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
