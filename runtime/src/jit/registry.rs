//! [`CodeRegistry`]: which JIT code exists, and which of its instructions may trap how.
//!
//! The signal handler (DESIGN.md §6) maps a faulting program counter to a [`TrapCode`] by
//! looking it up here, so readers must never block or allocate: the registry is append-only and
//! grows without moving anything a reader may be looking at.
//!
//! Layout: a list of *runs*, each a list of entries sorted by address. An entry that starts at
//! or after the end of the newest run's last entry joins that run; any other starts a new run.
//! An arena bump-allocates within a segment and never returns to an older one, and a module
//! publishes under one lock (see [`crate::jit::arena`]), so each run is one segment's code and
//! there are about as many runs as segments, in whatever address order the segments got. A
//! lookup checks each run's first and last entry and binary-searches the one that spans `pc`.
//!
//! Both lists are [`AppendOnly`]: buckets of doubling size that never move, found through a
//! fixed array of bucket pointers. A writer (serialised by a mutex) fills the next slot
//! completely, then publishes it by a `Release` store of the length; readers load the length
//! with `Acquire` and read only below it. A new run is filled with its first entry before the
//! run itself is published. Capacity is unbounded (a bucket is allocated by the writer when
//! the previous ones are full).
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

/// Slots in an [`AppendOnly`]'s first bucket; bucket `k` has `FIRST_BUCKET << k`.
const FIRST_BUCKET: usize = 32;

/// Buckets of an [`AppendOnly`]: room for `FIRST_BUCKET * (2^BUCKETS - 1)` values, more
/// than memory holds.
const BUCKETS: usize = 40;

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

type Slot<T> = UnsafeCell<MaybeUninit<T>>;

/// A vector that one writer at a time appends to while any number of readers read what was
/// published, without locks (see the module docs).
struct AppendOnly<T> {
    buckets: [AtomicPtr<Slot<T>>; BUCKETS],
    len: AtomicUsize,
}

// SAFETY: slots below `len` are immutable once published (Release/Acquire on `len`); slots at or
// above it are touched only by the single writer `push`'s contract allows.
unsafe impl<T: Send + Sync> Sync for AppendOnly<T> {}
// SAFETY: the vector owns its values.
unsafe impl<T: Send> Send for AppendOnly<T> {}

/// The bucket of index `i` and the index within it.
fn locate(i: usize) -> (usize, usize) {
    let j = i + FIRST_BUCKET;
    let k = (j.ilog2() - FIRST_BUCKET.ilog2()) as usize;
    (k, j - (FIRST_BUCKET << k))
}

impl<T> AppendOnly<T> {
    fn new() -> AppendOnly<T> {
        AppendOnly {
            buckets: [const { AtomicPtr::new(std::ptr::null_mut()) }; BUCKETS],
            len: AtomicUsize::new(0),
        }
    }

    /// How many values are published.
    fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Value `i`, which must be below a length this thread loaded from [`AppendOnly::len`].
    fn get(&self, i: usize) -> &T {
        let (k, j) = locate(i);
        let bucket = self.buckets[k].load(Ordering::Acquire);
        // SAFETY: `i < len`, so its bucket exists and the slot was written before `len` was
        // published (the `Acquire` load of `len` synchronises with it); published slots are
        // never written again.
        unsafe { (*(*bucket.add(j)).get()).assume_init_ref() }
    }

    /// The last published value.
    fn last(&self) -> Option<&T> {
        let n = self.len();
        (n > 0).then(|| self.get(n - 1))
    }

    /// Appends `value` and publishes it.
    ///
    /// # Safety
    /// No other thread may be in `push` on this vector at the same time.
    unsafe fn push(&self, value: T) {
        let n = self.len.load(Ordering::Relaxed);
        let (k, j) = locate(n);
        let mut bucket = self.buckets[k].load(Ordering::Relaxed);
        if bucket.is_null() {
            let fresh: Box<[Slot<T>]> = (0..FIRST_BUCKET << k)
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect();
            bucket = Box::into_raw(fresh).cast();
            self.buckets[k].store(bucket, Ordering::Release);
        }
        // SAFETY: slot `n` is not yet published, so no reader looks at it, and the caller is
        // the only writer.
        unsafe { (*(*bucket.add(j)).get()).write(value) };
        self.len.store(n + 1, Ordering::Release);
    }
}

impl<T> Drop for AppendOnly<T> {
    fn drop(&mut self) {
        let n = *self.len.get_mut();
        for i in 0..n {
            let (k, j) = locate(i);
            let bucket = *self.buckets[k].get_mut();
            // SAFETY: slot `i < len` was initialized, and `&mut self` means no reader is left.
            unsafe { (*(*bucket.add(j)).get()).assume_init_drop() };
        }
        for (k, bucket) in self.buckets.iter_mut().enumerate() {
            let ptr = *bucket.get_mut();
            if !ptr.is_null() {
                let slice = std::ptr::slice_from_raw_parts_mut(ptr, FIRST_BUCKET << k);
                // SAFETY: buckets were created by `Box::into_raw` of a slice this long, and are
                // freed once.
                drop(unsafe { Box::from_raw(slice) });
            }
        }
    }
}

/// Entries at increasing addresses (see the module docs).
type Run = AppendOnly<CodeInfo>;

impl Run {
    /// The entry containing `pc`, if this run has one.
    fn find(&self, pc: usize) -> Option<&CodeInfo> {
        let n = self.len();
        if n == 0 || pc < self.get(0).range.start || pc >= self.get(n - 1).range.end() {
            return None;
        }
        let (mut lo, mut hi) = (0, n);
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

/// The registry. See the module docs.
pub struct CodeRegistry {
    /// The module whose code this is (for backtraces).
    module: Option<Arc<ModuleInfo>>,
    runs: AppendOnly<Run>,
    /// Entries in all runs.
    len: AtomicUsize,
    writer: Mutex<()>,
}

impl std::fmt::Debug for CodeRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeRegistry")
            .field("len", &self.len())
            .field("runs", &self.runs.len())
            .finish()
    }
}

impl CodeRegistry {
    /// An empty registry.
    #[cfg(test)]
    pub fn new() -> CodeRegistry {
        CodeRegistry::for_module(None)
    }

    /// An empty registry for `module`'s functions.
    pub fn for_module(module: Option<Arc<ModuleInfo>>) -> CodeRegistry {
        CodeRegistry {
            module,
            runs: AppendOnly::new(),
            len: AtomicUsize::new(0),
            writer: Mutex::new(()),
        }
    }

    /// The module whose functions this registry describes.
    pub fn module(&self) -> Option<&Arc<ModuleInfo>> {
        self.module.as_ref()
    }

    /// How many ranges are registered (all of them visible to lookups after this load).
    fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Registers `info` (its trap sites are sorted here). Ranges registered at increasing
    /// addresses share a run; registering below the last range starts a new one (see the
    /// module docs).
    ///
    /// # Errors
    /// If `info` starts inside a registered range.
    pub fn register(&self, mut info: CodeInfo) -> Result<(), String> {
        info.traps.sort_by_key(|t| t.offset);
        let _writer = self.writer.lock();
        if self.lookup(info.range.start).is_some() {
            return Err(format!(
                "code at {:#x} overlaps code already registered",
                info.range.start
            ));
        }
        match self.runs.last() {
            Some(run)
                if run
                    .last()
                    .is_some_and(|l| l.range.end() <= info.range.start) =>
            {
                // SAFETY: we hold `writer`, so we are the only writer of every run.
                unsafe { run.push(info) };
            }
            _ => {
                let run = Run::new();
                // SAFETY: the run is not shared yet; then we hold `writer` (the only writer of
                // the run list). The entry is published before the run that holds it.
                unsafe {
                    run.push(info);
                    self.runs.push(run);
                }
            }
        }
        self.len.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// The code range containing `pc`. Lock-free and allocation-free (signal-handler safe).
    pub fn lookup(&self, pc: usize) -> Option<&CodeInfo> {
        // Newest first: recently published code is the likeliest to be running.
        (0..self.runs.len())
            .rev()
            .find_map(|r| self.runs.get(r).find(pc))
    }

    /// How many runs the entries form.
    #[cfg(test)]
    fn runs(&self) -> usize {
        self.runs.len()
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
    fn buckets_double() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(FIRST_BUCKET - 1), (0, FIRST_BUCKET - 1));
        assert_eq!(locate(FIRST_BUCKET), (1, 0));
        assert_eq!(locate(3 * FIRST_BUCKET - 1), (1, 2 * FIRST_BUCKET - 1));
        assert_eq!(locate(3 * FIRST_BUCKET), (2, 0));
        let v = AppendOnly::new();
        for i in 0..10_000usize {
            // SAFETY: this thread is the only writer.
            unsafe { v.push(Box::new(i)) };
        }
        assert!((0..10_000).all(|i| **v.get(i) == i));
    }

    #[test]
    fn lookup_finds_ranges_and_trap_sites() {
        let reg = CodeRegistry::new();
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
        assert_eq!(reg.runs(), 1);
    }

    #[test]
    fn a_segment_below_the_previous_one_starts_a_run() {
        let reg = CodeRegistry::new();
        // Segment A high in memory, then segment B below it, then more of B.
        for i in 0..100 {
            reg.register(info(
                0x9000_0000 + i * 0x40,
                0x20,
                &[(4, TrapCode::Unreachable)],
            ))
            .unwrap();
        }
        for i in 0..100 {
            reg.register(info(
                0x1000_0000 + i * 0x40,
                0x20,
                &[(8, TrapCode::Unreachable)],
            ))
            .unwrap();
        }
        assert_eq!(reg.runs(), 2);
        // A segment above the newest run's end joins it (runs may then span each other:
        // lookups check every run whose span holds `pc`); one below starts a third.
        reg.register(info(0x5000_0000, 0x20, &[])).unwrap();
        assert_eq!(reg.runs(), 2);
        reg.register(info(0x0800_0000, 0x20, &[])).unwrap();
        assert_eq!(reg.runs(), 3);
        assert!(reg.lookup(0x0800_001f).is_some());
        for i in 0..100 {
            let a = reg.lookup(0x9000_0000 + i * 0x40 + 4).unwrap();
            assert_eq!(
                a.trap_at(0x9000_0000 + i * 0x40 + 4),
                Some(Some(TrapCode::Unreachable))
            );
            let b = reg.lookup(0x1000_0000 + i * 0x40 + 0x1f).unwrap();
            assert_eq!(b.range.start, 0x1000_0000 + i * 0x40);
            assert!(reg.lookup(0x1000_0000 + i * 0x40 + 0x20).is_none(), "gap");
        }
        assert!(reg.lookup(0x5000_0010).is_some());
        assert!(reg.lookup(0x5000_0020).is_none());
        assert!(reg.lookup(0x0fff_ffff).is_none());
        assert!(reg.lookup(0x9000_0000 + 100 * 0x40).is_none());
        // Overlapping code is refused.
        assert!(reg.register(info(0x9000_0010, 0x10, &[])).is_err());
        assert!(reg.register(info(0x1000_0000, 0x10, &[])).is_err());
        assert_eq!(reg.len(), 202);
    }

    #[test]
    fn capacity_grows_without_bound() {
        let reg = CodeRegistry::new();
        for i in 0..200_000 {
            reg.register(info(0x10_0000 + i * 0x10, 0x10, &[])).unwrap();
        }
        assert_eq!(reg.len(), 200_000);
        assert_eq!(reg.runs(), 1);
        assert_eq!(
            reg.lookup(0x10_0000 + 199_999 * 0x10 + 3)
                .unwrap()
                .range
                .len,
            0x10
        );
    }

    /// Lookups on one thread while another registers code in segments that alternate between
    /// high and ever lower addresses (each a new run, so both lists grow).
    #[test]
    fn readers_run_concurrently_with_growth() {
        const SEGMENTS: usize = 64;
        const PER_SEGMENT: usize = 200;
        let addr = |s: usize, i: usize| {
            let base = if s.is_multiple_of(2) {
                0x7000_0000_0000 + s * 0x100_0000
            } else {
                0x6000_0000_0000 - s * 0x100_0000
            };
            base + i * 0x100
        };
        let reg = std::sync::Arc::new(CodeRegistry::new());
        let writer = {
            let reg = reg.clone();
            std::thread::spawn(move || {
                for s in 0..SEGMENTS {
                    for i in 0..PER_SEGMENT {
                        reg.register(info(addr(s, i), 0x80, &[(4, TrapCode::Unreachable)]))
                            .unwrap();
                    }
                }
            })
        };
        let total = SEGMENTS * PER_SEGMENT;
        let mut seen = 0;
        while seen < total {
            let n = reg.len();
            for k in (0..n).step_by(37) {
                let pc = addr(k / PER_SEGMENT, k % PER_SEGMENT) + 4;
                let found = reg.lookup(pc).expect("published entries are visible");
                assert_eq!(found.trap_at(pc), Some(Some(TrapCode::Unreachable)));
            }
            seen = n;
        }
        writer.join().unwrap();
        // Each low segment starts a run, which the next (high) segment joins.
        assert_eq!(reg.runs(), SEGMENTS / 2 + 1);
    }
}
