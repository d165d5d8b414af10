//! [`CodeRegistry`]: which JIT code exists, and which of its instructions may trap how.
//!
//! The signal handler (DESIGN.md §6) maps a faulting program counter to a [`TrapCode`] by
//! looking it up here, so readers must never block or allocate: the registry is append-only.
//! Entries live in fixed-size chunks that never move; a writer (serialised by a mutex) fills the
//! next entry completely, then publishes it by a `Release` store of the length; readers load
//! the length with `Acquire` and binary-search the entries below it. Because an arena hands out
//! addresses in increasing order (see [`crate::jit::arena`]), entries registered in publication
//! order are sorted by address; [`CodeRegistry::register`] checks it.
//!
//! Entries are never removed: code is never freed individually (DESIGN.md §5). The registry and
//! its arena are dropped together, once no code in them can run.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use parking_lot::Mutex;
use std::sync::Arc;

use tierup_abi::{FuncIdx, ModuleInfo, TrapCode};

use crate::jit::arena::CodeRange;

/// Entries per chunk.
const CHUNK: usize = 1024;

/// An instruction that may fault, and the trap a fault there means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrapSite {
    /// Offset of the instruction from the start of its code range.
    pub offset: u32,
    /// The trap; `None` when the code jumps here to report a trap whose status a Rust callee
    /// returned in `eax` (the "propagate" site).
    pub code: Option<TrapCode>,
}

/// What the registry knows about one range of code.
#[derive(Debug)]
pub struct CodeInfo {
    /// Where the code is.
    pub range: CodeRange,
    /// Its faulting instructions, sorted by offset.
    pub traps: Box<[TrapSite]>,
    /// The wasm function it implements (for backtraces), if any.
    pub func_index: Option<FuncIdx>,
}

impl CodeInfo {
    /// The trap recorded for the instruction at `pc`, if `pc` is one of this code's trap sites
    /// (`Some(None)`: the status is in `eax`).
    pub fn trap_at(&self, pc: usize) -> Option<Option<TrapCode>> {
        let offset = u32::try_from(pc.checked_sub(self.range.start)?).ok()?;
        let i = self
            .traps
            .binary_search_by_key(&offset, |t| t.offset)
            .ok()?;
        Some(self.traps[i].code)
    }
}

type Chunk = [UnsafeCell<MaybeUninit<CodeInfo>>; CHUNK];

/// The registry. See the module docs.
pub struct CodeRegistry {
    /// The module whose code this is (for backtraces).
    module: Option<Arc<ModuleInfo>>,
    chunks: Box<[AtomicPtr<Chunk>]>,
    len: AtomicUsize,
    writer: Mutex<()>,
}

// SAFETY: entries below `len` are immutable once published (Release/Acquire on `len`); entries
// at or above it are touched only by the single writer holding `writer`.
unsafe impl Sync for CodeRegistry {}
// SAFETY: the registry owns its chunks and entries.
unsafe impl Send for CodeRegistry {}

impl std::fmt::Debug for CodeRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeRegistry")
            .field("len", &self.len())
            .finish()
    }
}

impl CodeRegistry {
    /// A registry for up to `capacity` code ranges.
    #[cfg(test)]
    pub fn new(capacity: usize) -> CodeRegistry {
        CodeRegistry::for_module(capacity, None)
    }

    /// A registry for up to `capacity` code ranges of `module`'s functions.
    pub fn for_module(capacity: usize, module: Option<Arc<ModuleInfo>>) -> CodeRegistry {
        let chunks = capacity.div_ceil(CHUNK).max(1);
        CodeRegistry {
            module,
            chunks: (0..chunks)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            len: AtomicUsize::new(0),
            writer: Mutex::new(()),
        }
    }

    /// The module whose functions this registry describes.
    pub fn module(&self) -> Option<&Arc<ModuleInfo>> {
        self.module.as_ref()
    }

    /// How many ranges are registered.
    fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Registers `info` (its trap sites are sorted here).
    ///
    /// # Errors
    /// If the registry is full, or `info` does not start after the last registered range
    /// (ranges must be registered in address order).
    pub fn register(&self, mut info: CodeInfo) -> Result<(), String> {
        info.traps.sort_by_key(|t| t.offset);
        let _writer = self.writer.lock();
        let n = self.len.load(Ordering::Relaxed);
        if n > 0 && self.get(n - 1).range.end() > info.range.start {
            return Err("code ranges must be registered in address order".into());
        }
        let (chunk, slot) = (n / CHUNK, n % CHUNK);
        let Some(chunk_ptr) = self.chunks.get(chunk) else {
            return Err("code registry is full".into());
        };
        let mut ptr = chunk_ptr.load(Ordering::Relaxed);
        if ptr.is_null() {
            let fresh: Box<Chunk> = Box::new(std::array::from_fn(|_| {
                UnsafeCell::new(MaybeUninit::uninit())
            }));
            ptr = Box::into_raw(fresh);
            chunk_ptr.store(ptr, Ordering::Release);
        }
        // SAFETY: slot `n` is not yet published, and we are the only writer (lock held).
        unsafe { (*(*ptr)[slot].get()).write(info) };
        self.len.store(n + 1, Ordering::Release);
        Ok(())
    }

    /// Entry `i`, which must be below [`CodeRegistry::len`].
    fn get(&self, i: usize) -> &CodeInfo {
        let chunk = self.chunks[i / CHUNK].load(Ordering::Acquire);
        // SAFETY: `i < len`, so its chunk exists and the entry was written before `len` was
        // published; published entries are never written again.
        unsafe { (*(*chunk)[i % CHUNK].get()).assume_init_ref() }
    }

    /// The code range containing `pc`. Lock-free and allocation-free (signal-handler safe).
    pub fn lookup(&self, pc: usize) -> Option<&CodeInfo> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let info = self.get(mid);
            if pc < info.range.start {
                hi = mid;
            } else if pc >= info.range.end() {
                lo = mid + 1;
            } else {
                return Some(info);
            }
        }
        None
    }
}

impl Drop for CodeRegistry {
    fn drop(&mut self) {
        let n = *self.len.get_mut();
        for i in 0..n {
            let chunk = *self.chunks[i / CHUNK].get_mut();
            // SAFETY: entry `i < len` was initialized, and `&mut self` means no reader is left.
            unsafe { (*(*chunk)[i % CHUNK].get()).assume_init_drop() };
        }
        for chunk in self.chunks.iter_mut() {
            let ptr = *chunk.get_mut();
            if !ptr.is_null() {
                // SAFETY: chunks were created by `Box::into_raw` and are freed once.
                drop(unsafe { Box::from_raw(ptr) });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(start: usize, len: usize, traps: &[(u32, TrapCode)]) -> CodeInfo {
        CodeInfo {
            range: CodeRange { start, len },
            traps: traps
                .iter()
                .map(|&(offset, code)| TrapSite {
                    offset,
                    code: Some(code),
                })
                .collect(),
            func_index: None,
        }
    }

    #[test]
    fn lookup_finds_ranges_and_trap_sites() {
        let reg = CodeRegistry::new(4);
        reg.register(info(
            0x1000,
            0x40,
            &[(0x10, TrapCode::IntegerDivisionByZero)],
        ))
        .unwrap();
        reg.register(info(
            0x2000,
            0x80,
            &[
                (0x30, TrapCode::MemoryOutOfBounds),
                (0x08, TrapCode::Unreachable),
            ],
        ))
        .unwrap();
        assert!(reg.lookup(0xfff).is_none());
        assert!(reg.lookup(0x1040).is_none());
        let a = reg.lookup(0x1010).unwrap();
        assert_eq!(
            a.trap_at(0x1010),
            Some(Some(TrapCode::IntegerDivisionByZero))
        );
        assert_eq!(a.trap_at(0x1011), None);
        let b = reg.lookup(0x207f).unwrap();
        assert_eq!(b.trap_at(0x2008), Some(Some(TrapCode::Unreachable)));
        assert_eq!(b.trap_at(0x2030), Some(Some(TrapCode::MemoryOutOfBounds)));
    }

    #[test]
    fn registration_must_follow_address_order_and_capacity() {
        let reg = CodeRegistry::new(1);
        reg.register(info(0x2000, 0x10, &[])).unwrap();
        assert!(reg.register(info(0x1000, 0x10, &[])).is_err());
        // Capacity is rounded up to whole chunks.
        for i in 1..CHUNK {
            reg.register(info(0x2000 + i * 0x10, 0x10, &[])).unwrap();
        }
        assert!(reg.register(info(0x100_0000, 0x10, &[])).is_err());
        assert_eq!(reg.len(), CHUNK);
    }

    #[test]
    fn readers_run_concurrently_with_a_writer() {
        let reg = std::sync::Arc::new(CodeRegistry::new(4 * CHUNK));
        let writer = {
            let reg = reg.clone();
            std::thread::spawn(move || {
                for i in 0..3 * CHUNK {
                    reg.register(info(
                        0x10_0000 + i * 0x100,
                        0x80,
                        &[(4, TrapCode::Unreachable)],
                    ))
                    .unwrap();
                }
            })
        };
        let mut seen = 0;
        while seen < 3 * CHUNK {
            let n = reg.len();
            for i in (0..n).step_by(97) {
                let pc = 0x10_0000 + i * 0x100 + 4;
                let found = reg.lookup(pc).expect("published entries are visible");
                assert_eq!(found.trap_at(pc), Some(Some(TrapCode::Unreachable)));
            }
            seen = n;
        }
        writer.join().unwrap();
    }
}
