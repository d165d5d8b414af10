//! [`CodeArena`]: executable memory for the JIT tiers (DESIGN.md §5), growing in segments,
//! and [`CodeBudget`], the cap on the code memory of all an engine's arenas.
//!
//! An arena has no fixed size: it bump-allocates from its newest *segment*, and when a
//! publication does not fit it maps another one (the first is [`FIRST_SEGMENT`] bytes, each
//! next one twice the last, up to [`MAX_SEGMENT`], or bigger if one publication needs it).
//! Older segments are never allocated from again. A new segment may lie anywhere in the
//! address space, below older ones too: [`crate::jit::registry`] does not assume address order
//! across segments.
//!
//! Two mappings, chosen per arena when its first segment is made:
//!
//! - [`Mapping::Dual`] (the default): a segment is a `memfd` mapped twice, read-execute for
//!   running and read-write for writing. Each publication goes to fresh bytes at the next
//!   cache-line-aligned offset, written through the RW view; bytes once published are never
//!   written again, and no page changes protection, so pieces published one at a time (tier-up)
//!   are packed, not given a page each. Only the newest segment has an RW view: it is unmapped
//!   when the next segment is made, and the pages of it already written past are dropped from
//!   it after each publication (`madvise(MADV_DONTNEED)`: the code stays in the memfd), so
//!   code is mapped twice only in the page being filled. (A departure from DESIGN.md §5's "mprotect RX": see the
//!   README's design section.)
//! - [`Mapping::Protect`] (the fallback, when a `memfd` cannot be mapped executable, e.g. under
//!   `vm.memfd_noexec=2`): anonymous memory where each publication takes fresh whole pages,
//!   written while RW, then `mprotect`ed RX. A batch (`publish` of many pieces) still shares
//!   its pages; the first piece starts at a different cache-line offset each time ("cache
//!   colouring": if every publication started at a page boundary, the first lines of all of
//!   them would compete for the same L1 instruction-cache set).
//!
//! Either way, code is handed out only once complete and executable, so no thread can execute a
//! half-written instruction (x86-64 keeps instruction fetch coherent with stores to the same
//! physical memory, through either view, and a publication's first byte is in a cache line no
//! earlier code occupies).
//!
//! Every page an arena commits (touches) is charged to its engine's [`CodeBudget`] first; a
//! publication that would exceed it fails with [`ArenaError::Limit`], naming the limit. The
//! arena gives its charge back when dropped. Replaced code is never freed individually; the
//! whole arena is unmapped when it is dropped, which the owner must only do once no code in it
//! can run.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::jit::tuning::{
    CACHE_COLOUR_STRIDE, CACHE_COLOURS, CACHE_LINE, FIRST_SEGMENT, MAX_SEGMENT,
};

/// The system page size assumed for code (x86-64 Linux).
pub const PAGE: usize = 4096;

/// Alignment of each piece inside a publication.
const PIECE_ALIGN: usize = 16;

/// Where to place a piece of code: the byte at `offset` (the header of its innermost loop)
/// starts a cache line, so that the loop's speed does not depend on where the piece happens
/// to land (see `OptCode::hot_loop`), as closely as the piece's alignment allows: its start
/// stays a multiple of `align` (a power of two; 16 for code with a 16-byte constant pool),
/// so the anchor's `align`-byte block starts the line. Costs less than a line of padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    /// The byte's offset in the piece.
    pub offset: u32,
    /// The alignment the piece's start needs.
    pub align: u32,
}

/// A range of published, executable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRange {
    /// First byte.
    pub start: usize,
    /// Length in bytes of the code itself.
    pub len: usize,
}

impl CodeRange {
    /// One past the last byte.
    pub fn end(&self) -> usize {
        self.start + self.len
    }
}

/// Why code could not be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArenaError {
    /// Publishing would take the engine's code memory over its limit.
    Limit {
        /// The limit in bytes (`Config::max_code_memory`).
        limit: usize,
    },
    /// The operating system refused a mapping or protection change.
    Os(String),
}

impl fmt::Display for ArenaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArenaError::Limit { limit } => write!(
                f,
                "code memory limit reached: the engine's machine code may take at most {limit} \
                 bytes (Config::max_code_memory, --max-code-memory)"
            ),
            ArenaError::Os(e) => write!(f, "code memory: {e}"),
        }
    }
}

impl std::error::Error for ArenaError {}

/// The code memory all the arenas of one engine may commit together (see the module docs).
#[derive(Debug)]
pub struct CodeBudget {
    limit: usize,
    used: AtomicUsize,
}

impl CodeBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Arc<CodeBudget> {
        Arc::new(CodeBudget {
            limit,
            used: AtomicUsize::new(0),
        })
    }

    /// A budget that never refuses (the runtime's own stubs).
    pub fn unlimited() -> Arc<CodeBudget> {
        CodeBudget::new(usize::MAX)
    }

    /// Bytes charged now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Takes `bytes` from the budget, or fails without taking anything.
    fn charge(&self, bytes: usize) -> Result<(), ArenaError> {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .map(drop)
            .map_err(|_| ArenaError::Limit { limit: self.limit })
    }

    /// Gives back `bytes` taken by [`CodeBudget::charge`].
    fn release(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// How an arena maps its segments (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// A `memfd` mapped read-execute and (while the segment is the newest) read-write.
    Dual,
    /// Anonymous memory, each publication in fresh pages made RX by `mprotect`.
    Protect,
}

/// One mapped segment.
struct Segment {
    /// The executable view.
    rx: *mut u8,
    /// The writable view (`Dual` only, while the segment is the newest), else null.
    rw: *mut u8,
    size: usize,
    /// Offset of the first byte never handed out.
    used: usize,
    /// Bytes committed so far (a page multiple), all charged to the budget.
    committed: usize,
    /// Offset below which the RW view's pages are dropped (see `Segment::release_written`).
    released: usize,
}

struct State {
    mapping: Mapping,
    segments: Vec<Segment>,
    next_size: usize,
    /// Publications so far (the cache colour of `Protect` chunks).
    publications: usize,
}

/// Executable memory, written once per byte. See the module docs.
pub struct CodeArena {
    budget: Arc<CodeBudget>,
    state: Mutex<State>,
}

// SAFETY: the raw segment pointers are only used under the state mutex (or in `Drop`), and
// published code is immutable.
unsafe impl Send for CodeArena {}
// SAFETY: as above: all mutation of arena state happens under the `state` lock.
unsafe impl Sync for CodeArena {}

impl fmt::Debug for CodeArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("CodeArena")
            .field("mapping", &state.mapping)
            .field("segments", &state.segments.len())
            .field("committed", &self.committed_locked(&state))
            .finish()
    }
}

fn os_error(what: &str) -> ArenaError {
    ArenaError::Os(format!("{what}: {}", std::io::Error::last_os_error()))
}

/// `MFD_EXEC` (Linux 6.3+): asks for an executable memfd under `vm.memfd_noexec=1`.
const MFD_EXEC: libc::c_uint = 0x0010;

impl Segment {
    /// A `Dual` segment of `size` bytes (a page multiple).
    fn dual(size: usize) -> Result<Segment, ArenaError> {
        // SAFETY: plain system calls on a file descriptor we own; every failure path closes
        // it and unmaps what was mapped, and on success the mappings keep the file alive.
        unsafe {
            let name = c"tierup-code".as_ptr();
            let mut fd = libc::memfd_create(name, libc::MFD_CLOEXEC | MFD_EXEC);
            if fd < 0 {
                // Kernels before 6.3 reject the flag they do not need.
                fd = libc::memfd_create(name, libc::MFD_CLOEXEC);
            }
            if fd < 0 {
                return Err(os_error("memfd_create"));
            }
            let map = |prot| {
                let p = libc::mmap(std::ptr::null_mut(), size, prot, libc::MAP_SHARED, fd, 0);
                if p == libc::MAP_FAILED {
                    Err(os_error("mmap(memfd)"))
                } else {
                    Ok(p.cast::<u8>())
                }
            };
            let result = (|| {
                if libc::ftruncate(fd, size as libc::off_t) != 0 {
                    return Err(os_error("ftruncate(memfd)"));
                }
                let rx = map(libc::PROT_READ | libc::PROT_EXEC)?;
                match map(libc::PROT_READ | libc::PROT_WRITE) {
                    Ok(rw) => Ok((rx, rw)),
                    Err(e) => {
                        libc::munmap(rx.cast(), size);
                        Err(e)
                    }
                }
            })();
            libc::close(fd);
            let (rx, rw) = result?;
            Ok(Segment {
                rx,
                rw,
                size,
                used: 0,
                committed: 0,
                released: 0,
            })
        }
    }

    /// A `Protect` segment: `size` bytes (a page multiple) of `PROT_NONE` address space.
    fn protect(size: usize) -> Result<Segment, ArenaError> {
        // SAFETY: an anonymous private mapping with no fixed address has no preconditions.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(os_error("mmap"));
        }
        Ok(Segment {
            rx: base.cast(),
            rw: std::ptr::null_mut(),
            size,
            used: 0,
            committed: 0,
            released: 0,
        })
    }

    /// Drops the RW view's page-table entries for the whole pages below `used`, which will
    /// never be written again: the code stays (it lives in the memfd, mapped by the RX view),
    /// but the process no longer has it mapped twice, so it is counted once in its RSS, and a
    /// stray write through the RW view would have to fault the page back in first.
    fn release_written(&mut self) {
        let upto = self.used / PAGE * PAGE;
        if self.rw.is_null() || upto <= self.released {
            return;
        }
        // SAFETY: `[released, upto)` lies in our RW view; for a shared mapping MADV_DONTNEED
        // only unmaps the pages from this view (the file keeps their contents).
        unsafe {
            libc::madvise(
                self.rw.add(self.released).cast(),
                upto - self.released,
                libc::MADV_DONTNEED,
            );
        }
        self.released = upto;
    }

    /// Drops the writable view (the segment is full, or the arena is going away).
    fn seal(&mut self) {
        if !self.rw.is_null() {
            // SAFETY: `rw` is our own mapping of `size` bytes, used by nobody but us.
            unsafe { libc::munmap(self.rw.cast(), self.size) };
            self.rw = std::ptr::null_mut();
        }
    }
}

/// Where each piece of a batch goes, relative to the batch's start, and the batch's size.
fn layout(code: &[(&[u8], Option<Anchor>)], first: usize) -> (Vec<usize>, usize) {
    let mut offsets = Vec::with_capacity(code.len());
    let mut size = first;
    for &(piece, anchor) in code {
        size = match anchor {
            // The smallest offset, a multiple of the piece's alignment, from which the
            // anchor's block of that alignment starts a cache line (the anchor itself when
            // the piece needs no alignment).
            Some(Anchor { offset, align }) => {
                let align = (align as usize).clamp(1, CACHE_LINE);
                let block = offset as usize % CACHE_LINE / align * align;
                (size + block).next_multiple_of(CACHE_LINE) - block
            }
            None => size.next_multiple_of(PIECE_ALIGN),
        };
        offsets.push(size);
        size += piece.len();
    }
    (offsets, size.max(1))
}

impl CodeArena {
    /// An arena charging `budget`, dual-mapped when the system allows it. Maps nothing yet.
    /// With the perf map on (`TIERUP_PERF_MAP=1`) the arena uses anonymous memory
    /// ([`Mapping::Protect`]): `perf` looks JIT code up in `/tmp/perf-<pid>.map` only for
    /// anonymous mappings, and would look for symbols in the (deleted) memfd otherwise.
    pub fn new(budget: Arc<CodeBudget>) -> CodeArena {
        let mapping = if crate::jit::perf_map::enabled() {
            Mapping::Protect
        } else {
            Mapping::Dual
        };
        CodeArena::with_options(budget, mapping, FIRST_SEGMENT)
    }

    /// An arena with the given `mapping` (`Dual` falls back to `Protect` when it cannot be
    /// had) whose first segment has `first_segment` bytes (rounded up to pages).
    pub fn with_options(
        budget: Arc<CodeBudget>,
        mapping: Mapping,
        first_segment: usize,
    ) -> CodeArena {
        CodeArena {
            budget,
            state: Mutex::new(State {
                mapping,
                segments: Vec::new(),
                next_size: first_segment.max(1).next_multiple_of(PAGE),
                publications: 0,
            }),
        }
    }

    /// Copies each piece of `code` into fresh executable memory (packed one after another, each
    /// 16-byte aligned) and returns where each piece now lives.
    ///
    /// # Errors
    /// [`ArenaError::Limit`] if the engine's code memory limit would be exceeded,
    /// [`ArenaError::Os`] if a mapping or `mprotect` fails.
    pub fn publish(&self, code: &[&[u8]]) -> Result<Vec<CodeRange>, ArenaError> {
        let pieces: Vec<(&[u8], Option<Anchor>)> =
            code.iter().map(|&piece| (piece, None)).collect();
        self.publish_anchored(&pieces)
    }

    /// [`CodeArena::publish`] with an [`Anchor`] per piece (or `None`: 16-byte alignment).
    ///
    /// # Errors
    /// As [`CodeArena::publish`].
    pub fn publish_anchored(
        &self,
        code: &[(&[u8], Option<Anchor>)],
    ) -> Result<Vec<CodeRange>, ArenaError> {
        self.publish_linked(code, |_| Vec::new())
    }

    /// [`CodeArena::publish_anchored`], patching the pieces once their addresses are known
    /// and before any of them can run: `link` gets each piece's start address and returns
    /// `(piece, offset in it, value)` for every 32-bit little-endian field to store (the
    /// displacements of direct calls between the pieces).
    ///
    /// # Errors
    /// As [`CodeArena::publish`].
    ///
    /// # Panics
    /// If a patch lies outside its piece.
    pub fn publish_linked(
        &self,
        code: &[(&[u8], Option<Anchor>)],
        link: impl FnOnce(&[usize]) -> Vec<(usize, u32, i32)>,
    ) -> Result<Vec<CodeRange>, ArenaError> {
        if code.is_empty() {
            return Ok(Vec::new());
        }
        let mut state = self.state.lock();
        let state = &mut *state;
        state.publications += 1;
        let colour = match state.mapping {
            Mapping::Dual => 0,
            Mapping::Protect => {
                (state.publications * CACHE_COLOUR_STRIDE) % CACHE_COLOURS * CACHE_LINE
            }
        };
        let (offsets, size) = layout(code, colour);
        // Bytes the batch takes in its segment: `Protect` chunks are whole pages.
        let span = match state.mapping {
            Mapping::Dual => size,
            Mapping::Protect => size.next_multiple_of(PAGE),
        };
        let fits = |s: &Segment| s.used.next_multiple_of(CACHE_LINE) + span <= s.size;
        if !state.segments.last().is_some_and(fits) {
            self.grow(state, span)?;
        }
        let segment = state.segments.last_mut().expect("grown");
        let at = segment.used.next_multiple_of(CACHE_LINE);
        let end = at + span;
        let committed = end.next_multiple_of(PAGE).max(segment.committed);
        self.budget.charge(committed - segment.committed)?;
        segment.committed = committed;
        let start = segment.rx as usize + at;
        let starts: Vec<usize> = offsets.iter().map(|offset| start + offset).collect();
        let patches = link(&starts);
        for &(piece, offset, _) in &patches {
            assert!(
                offset as usize + 4 <= code[piece].0.len(),
                "a patch outside its piece"
            );
        }
        // Copies the pieces to `dst` (the batch's first byte in a writable view) and applies
        // the patches.
        let write = |dst: *mut u8| {
            for ((piece, _), offset) in code.iter().zip(&offsets) {
                // SAFETY: (for both writes) see the caller's block below; each piece lies at
                // its `layout` offset and each patch inside its piece (checked above).
                unsafe {
                    std::ptr::copy_nonoverlapping(piece.as_ptr(), dst.add(*offset), piece.len())
                };
            }
            for &(piece, offset, value) in &patches {
                let at = offsets[piece] + offset as usize;
                // SAFETY: as above.
                unsafe {
                    std::ptr::copy_nonoverlapping(value.to_le_bytes().as_ptr(), dst.add(at), 4)
                };
            }
        };
        // SAFETY: `[at, end)` lies inside the segment and was never handed out, so no thread
        // can be executing it (or anything in a cache line of it) while we write; the writes
        // stay within it because `layout` measured the pieces.
        unsafe {
            match state.mapping {
                Mapping::Dual => write(segment.rw.add(at)),
                Mapping::Protect => {
                    let dst = segment.rx.add(at);
                    if libc::mprotect(dst.cast(), span, libc::PROT_READ | libc::PROT_WRITE) != 0 {
                        return Err(os_error("mprotect(RW)"));
                    }
                    write(dst);
                    if libc::mprotect(dst.cast(), span, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                        return Err(os_error("mprotect(RX)"));
                    }
                }
            }
        }
        segment.used = end;
        segment.release_written();
        Ok(code
            .iter()
            .zip(&offsets)
            .map(|((piece, _), offset)| CodeRange {
                start: start + offset,
                len: piece.len(),
            })
            .collect())
    }

    /// Maps a new segment with room for `span` bytes; the previous one is sealed.
    fn grow(&self, state: &mut State, span: usize) -> Result<(), ArenaError> {
        let size = state.next_size.max(span.next_multiple_of(PAGE));
        let segment = match state.mapping {
            Mapping::Dual => Segment::dual(size).or_else(|_| {
                // No executable memfd here: every later segment is `Protect` too.
                state.mapping = Mapping::Protect;
                Segment::protect(size)
            })?,
            Mapping::Protect => Segment::protect(size)?,
        };
        if let Some(last) = state.segments.last_mut() {
            last.seal();
        }
        state.segments.push(segment);
        // A segment made bigger for one large publication does not speed up the doubling.
        state.next_size = (state.next_size * 2).min(MAX_SEGMENT).max(state.next_size);
        Ok(())
    }

    fn committed_locked(&self, state: &State) -> usize {
        state.segments.iter().map(|s| s.committed).sum()
    }

    /// Bytes committed (and charged to the budget) so far.
    #[cfg(test)]
    pub fn committed(&self) -> usize {
        self.committed_locked(&self.state.lock())
    }

    /// The mapping in use.
    #[cfg(test)]
    pub fn mapping(&self) -> Mapping {
        self.state.lock().mapping
    }

    /// The segments' executable ranges `(start, end)`, oldest first.
    #[cfg(test)]
    pub fn segments(&self) -> Vec<(usize, usize)> {
        self.state
            .lock()
            .segments
            .iter()
            .map(|s| (s.rx as usize, s.rx as usize + s.size))
            .collect()
    }

    /// How many segments have a writable view.
    #[cfg(test)]
    pub fn writable_views(&self) -> usize {
        let state = self.state.lock();
        state.segments.iter().filter(|s| !s.rw.is_null()).count()
    }

    /// Whether `pc` lies in memory this arena has published.
    #[cfg(test)]
    pub fn contains(&self, pc: usize) -> bool {
        self.state
            .lock()
            .segments
            .iter()
            .any(|s| pc >= s.rx as usize && pc < s.rx as usize + s.used)
    }
}

impl Drop for CodeArena {
    fn drop(&mut self) {
        let state = self.state.get_mut();
        let mut charged = 0;
        for segment in &mut state.segments {
            segment.seal();
            charged += segment.committed;
            // SAFETY: the owner guarantees no code in the arena can run any more (module docs).
            unsafe { libc::munmap(segment.rx.cast(), segment.size) };
        }
        self.budget.release(charged);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `mov eax, imm32; ret`
    fn return_const(value: u32) -> Vec<u8> {
        let mut code = vec![0xb8];
        code.extend_from_slice(&value.to_le_bytes());
        code.push(0xc3);
        code
    }

    fn call(range: CodeRange) -> u32 {
        // SAFETY: every range these tests call holds `mov eax, imm; ret`, a complete sysv64
        // function.
        let f: extern "sysv64" fn() -> u32 = unsafe { std::mem::transmute(range.start) };
        f()
    }

    fn arena(mapping: Mapping, first_segment: usize) -> CodeArena {
        CodeArena::with_options(CodeBudget::unlimited(), mapping, first_segment)
    }

    /// The permissions `/proc/self/maps` lists for the page of `addr`.
    fn permissions(addr: usize) -> String {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let line = maps
            .lines()
            .find(|l| {
                let (span, _) = l.split_once(' ').unwrap();
                let (lo, hi) = span.split_once('-').unwrap();
                let (lo, hi) = (
                    usize::from_str_radix(lo, 16).unwrap(),
                    usize::from_str_radix(hi, 16).unwrap(),
                );
                addr >= lo && addr < hi
            })
            .expect("mapping listed");
        line.split_whitespace().nth(1).unwrap().to_string()
    }

    #[test]
    fn the_default_mapping_is_dual_here() {
        let arena = CodeArena::new(CodeBudget::unlimited());
        arena.publish(&[&return_const(1)]).unwrap();
        assert_eq!(arena.mapping(), Mapping::Dual);
    }

    #[test]
    fn published_code_runs_and_is_packed() {
        for mapping in [Mapping::Dual, Mapping::Protect] {
            let arena = arena(mapping, 1 << 20);
            let a = return_const(7);
            let b = return_const(42);
            let ranges = arena.publish(&[&a, &b]).unwrap();
            assert_eq!(ranges[1].start - ranges[0].start, 16);
            assert_eq!(call(ranges[0]), 7);
            assert_eq!(call(ranges[1]), 42);
            assert!(arena.contains(ranges[0].start));
            assert_eq!(arena.committed(), PAGE);
        }
    }

    #[test]
    fn an_anchor_starts_a_cache_line_as_closely_as_alignment_allows() {
        for mapping in [Mapping::Dual, Mapping::Protect] {
            let arena = arena(mapping, 1 << 20);
            let a = return_const(3);
            let b = return_const(4);
            for (offset, align) in [(0u32, 1u32), (1, 1), (5, 16), (63, 1), (63, 16), (100, 4)] {
                let anchor = Anchor { offset, align };
                let ranges = arena
                    .publish_anchored(&[(&a, None), (&b, Some(anchor))])
                    .unwrap();
                assert_eq!(ranges[1].start % align as usize, 0, "{anchor:?}");
                let line_offset = (ranges[1].start + offset as usize) % CACHE_LINE;
                assert_eq!(line_offset, offset as usize % align as usize, "{anchor:?}");
                assert!(ranges[1].start >= ranges[0].end(), "pieces do not overlap");
                assert!(ranges[1].start - ranges[0].end() < CACHE_LINE);
                assert_eq!((call(ranges[0]), call(ranges[1])), (3, 4));
            }
        }
    }

    #[test]
    fn one_at_a_time_publications_share_pages_when_dual() {
        let arena = arena(Mapping::Dual, 1 << 20);
        let ranges: Vec<CodeRange> = (0..1000)
            .map(|i| arena.publish(&[&return_const(i)]).unwrap()[0])
            .collect();
        for (i, range) in ranges.iter().enumerate() {
            assert_eq!(call(*range), i as u32);
            assert_eq!(range.start % CACHE_LINE, 0, "a fresh cache line each");
        }
        // 1000 publications of one cache line each: 16 pages, not 1000.
        assert_eq!(
            arena.committed(),
            (1000 * CACHE_LINE).next_multiple_of(PAGE)
        );
        assert_eq!(permissions(ranges[0].start), "r-xs");
        // Publishing after a piece has run (its page stays executable throughout).
        let late = arena.publish(&[&return_const(5000)]).unwrap()[0];
        assert_eq!(call(late), 5000);
        assert_eq!(call(ranges[999]), 999);
    }

    #[test]
    fn protect_chunks_are_whole_pages_and_never_writable() {
        let arena = arena(Mapping::Protect, 1 << 20);
        let first = arena.publish(&[&return_const(1)]).unwrap()[0];
        let second = arena.publish(&[&return_const(2)]).unwrap()[0];
        assert_ne!(first.start / PAGE, second.start / PAGE);
        assert_ne!(
            first.start % PAGE,
            second.start % PAGE,
            "cache colours differ"
        );
        assert_eq!(arena.committed(), 2 * PAGE);
        assert_eq!(permissions(first.start), "r-xp");
    }

    #[test]
    fn the_arena_grows_in_doubling_segments() {
        for mapping in [Mapping::Dual, Mapping::Protect] {
            let arena = arena(mapping, PAGE);
            let mut ranges = Vec::new();
            for i in 0..200 {
                // ~300 bytes each: several per page when dual, a page each when not.
                let mut code = return_const(i);
                code.resize(300, 0xcc);
                ranges.push((i, arena.publish(&[&code]).unwrap()[0]));
            }
            // A piece bigger than the next segment would be gets a segment of its own size.
            let (lo, hi) = *arena.segments().last().unwrap();
            let mut big = return_const(9999);
            big.resize(3 * (hi - lo), 0xcc);
            ranges.push((9999, arena.publish(&[&big]).unwrap()[0]));
            for (value, range) in &ranges {
                assert_eq!(call(*range), *value);
            }
            let segments = arena.segments();
            assert!(segments.len() >= 4, "{mapping:?}: {segments:x?}");
            let sizes: Vec<usize> = segments.iter().map(|(lo, hi)| hi - lo).collect();
            for pair in sizes[..sizes.len() - 1].windows(2) {
                assert_eq!(pair[1], pair[0] * 2, "{mapping:?}: {sizes:?}");
            }
            assert!(*sizes.last().unwrap() >= big.len());
            // Only the newest segment is writable.
            let writable = usize::from(mapping == Mapping::Dual);
            assert_eq!(arena.writable_views(), writable);
        }
    }

    #[test]
    fn the_budget_is_shared_enforced_and_given_back() {
        let budget = CodeBudget::new(3 * PAGE);
        let a = CodeArena::with_options(budget.clone(), Mapping::Protect, PAGE);
        let b = CodeArena::with_options(budget.clone(), Mapping::Dual, PAGE);
        a.publish(&[&return_const(1)]).unwrap();
        a.publish(&[&return_const(2)]).unwrap();
        let piece = return_const(3);
        let small = b.publish(&[&piece]).unwrap()[0];
        assert_eq!(budget.used(), 3 * PAGE);
        // Packed into the page `b` already has: no new charge.
        let packed = b.publish(&[&piece]).unwrap()[0];
        assert_eq!(packed.start / PAGE, small.start / PAGE);
        let error = a.publish(&[&piece]).unwrap_err();
        assert_eq!(error, ArenaError::Limit { limit: 3 * PAGE });
        assert!(error.to_string().contains("12288 bytes"), "{error}");
        let big = vec![0xc3u8; 2 * PAGE];
        assert!(b.publish(&[&big]).is_err());
        assert_eq!(
            budget.used(),
            3 * PAGE,
            "a refused publication charges nothing"
        );
        drop(a);
        assert_eq!(budget.used(), PAGE);
        assert_eq!(call(b.publish(&[&piece]).unwrap()[0]), 3);
        drop(b);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn threads_publish_and_run_concurrently() {
        let arena = Arc::new(arena(Mapping::Dual, PAGE));
        let threads: Vec<_> = (0..4u32)
            .map(|t| {
                let arena = arena.clone();
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..500 {
                        let value = t * 1000 + i;
                        mine.push((value, arena.publish(&[&return_const(value)]).unwrap()[0]));
                        for (value, range) in &mine {
                            if value % 7 == 0 {
                                assert_eq!(call(*range), *value);
                            }
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}
