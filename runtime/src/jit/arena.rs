//! [`CodeArena`]: executable memory for the JIT tiers (DESIGN.md §5).
//!
//! One arena reserves a large `PROT_NONE` range up front and hands out page-aligned chunks in
//! increasing address order. A chunk is written while read-write, then made read-execute with
//! `mprotect` before its address is returned, and is never written again: code is published
//! to other threads only after it is complete and executable, and no thread can ever execute a
//! half-written instruction (on x86-64 no instruction-cache flush is needed for fresh pages).
//! Replaced code is never freed individually; the whole arena is unmapped when it is dropped,
//! which the owner must only do once no code in it can run.
//!
//! Invariant relied on by [`crate::jit::registry`]: chunks are allocated at strictly
//! increasing addresses, so ranges registered in publication order are sorted.

use std::fmt;

use parking_lot::Mutex;

use crate::jit::tuning::{CACHE_COLOUR_STRIDE, CACHE_COLOURS, CACHE_LINE};

/// The system page size assumed for code (x86-64 Linux).
pub const PAGE: usize = 4096;

/// A range of published, executable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRange {
    /// First byte.
    pub start: usize,
    /// Length in bytes of the code itself (the chunk is rounded up to whole pages).
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
    /// The reservation is used up.
    Full,
    /// The operating system refused a mapping or protection change.
    Os(String),
}

impl fmt::Display for ArenaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArenaError::Full => f.write_str("code arena is full"),
            ArenaError::Os(e) => write!(f, "code arena: {e}"),
        }
    }
}

impl std::error::Error for ArenaError {}

/// Executable memory, written once per chunk. See the module docs.
pub struct CodeArena {
    base: *mut u8,
    reserved: usize,
    /// Offset of the first unused byte (always page-aligned).
    next: Mutex<usize>,
}

// SAFETY: the arena only hands out ranges under its mutex, and published code is immutable.
unsafe impl Send for CodeArena {}
// SAFETY: as above: all mutation of arena state happens under `next`'s lock.
unsafe impl Sync for CodeArena {}

impl fmt::Debug for CodeArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeArena")
            .field("base", &self.base)
            .field("reserved", &self.reserved)
            .field("used", &*self.next.lock())
            .finish()
    }
}

fn os_error(what: &str) -> ArenaError {
    ArenaError::Os(format!("{what}: {}", std::io::Error::last_os_error()))
}

impl CodeArena {
    /// Reserves `bytes` of address space (rounded up to pages) for code.
    ///
    /// # Errors
    /// If the reservation fails.
    pub fn new(bytes: usize) -> Result<CodeArena, ArenaError> {
        let reserved = bytes.div_ceil(PAGE).max(1) * PAGE;
        // SAFETY: an anonymous private mapping with no fixed address has no preconditions.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                reserved,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(os_error("mmap"));
        }
        Ok(CodeArena {
            base: base.cast(),
            reserved,
            next: Mutex::new(0),
        })
    }

    /// Copies each piece of `code` into fresh pages (packed one after another, each 16-byte
    /// aligned), makes them executable, and returns where each piece now lives.
    ///
    /// The first piece starts at a different cache-line offset in its page each time
    /// ("cache colouring"): if every function started at a page boundary, the first lines of
    /// all of them would compete for the same L1 instruction-cache set, and a handful of hot
    /// functions published one by one (as tier-up does) would keep evicting each other.
    ///
    /// # Errors
    /// [`ArenaError::Full`] if the reservation is used up, [`ArenaError::Os`] if `mprotect`
    /// fails.
    pub fn publish(&self, code: &[&[u8]]) -> Result<Vec<CodeRange>, ArenaError> {
        let mut offsets = Vec::with_capacity(code.len());
        let mut next = self.next.lock();
        let colour = (*next / PAGE * CACHE_COLOUR_STRIDE) % CACHE_COLOURS;
        let mut size = colour * CACHE_LINE;
        for piece in code {
            size = size.next_multiple_of(16);
            offsets.push(size);
            size += piece.len();
        }
        let chunk = size.max(1).next_multiple_of(PAGE);
        if self.reserved - *next < chunk {
            return Err(ArenaError::Full);
        }
        // SAFETY: `[*next, *next + chunk)` lies inside our reservation and has never been
        // handed out, so no thread can be executing it while we write.
        unsafe {
            let start = self.base.add(*next);
            if libc::mprotect(start.cast(), chunk, libc::PROT_READ | libc::PROT_WRITE) != 0 {
                return Err(os_error("mprotect(RW)"));
            }
            for (piece, offset) in code.iter().zip(&offsets) {
                std::ptr::copy_nonoverlapping(piece.as_ptr(), start.add(*offset), piece.len());
            }
            if libc::mprotect(start.cast(), chunk, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                return Err(os_error("mprotect(RX)"));
            }
            let ranges = code
                .iter()
                .zip(&offsets)
                .map(|(piece, offset)| CodeRange {
                    start: start as usize + offset,
                    len: piece.len(),
                })
                .collect();
            *next += chunk;
            Ok(ranges)
        }
    }

    /// Whether `pc` lies in memory this arena has published.
    #[cfg(test)]
    pub fn contains(&self, pc: usize) -> bool {
        let used = *self.next.lock();
        pc >= self.base as usize && pc < self.base as usize + used
    }

    /// The reserved address range `(start, end)`; only its beginning is ever used.
    #[cfg(test)]
    pub fn reservation(&self) -> (usize, usize) {
        (self.base as usize, self.base as usize + self.reserved)
    }

    /// Bytes handed out so far (whole pages).
    #[cfg(test)]
    pub fn used(&self) -> usize {
        *self.next.lock()
    }
}

impl Drop for CodeArena {
    fn drop(&mut self) {
        // SAFETY: the owner guarantees no code in the arena can run any more (module docs).
        unsafe {
            libc::munmap(self.base.cast(), self.reserved);
        }
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

    #[test]
    fn published_code_runs_and_is_packed() {
        let arena = CodeArena::new(1 << 20).unwrap();
        let a = return_const(7);
        let b = return_const(42);
        let ranges = arena.publish(&[&a, &b]).unwrap();
        assert_eq!(ranges[1].start - ranges[0].start, 16);
        for (range, expected) in ranges.iter().zip([7, 42]) {
            // SAFETY: the range holds `mov eax, imm; ret`, a complete sysv64 function.
            let f: extern "sysv64" fn() -> u32 = unsafe { std::mem::transmute(range.start) };
            assert_eq!(f(), expected);
        }
        assert!(arena.contains(ranges[0].start));
        assert_eq!(arena.used(), PAGE);
    }

    #[test]
    fn chunks_grow_upwards_and_the_arena_fills() {
        let arena = CodeArena::new(3 * PAGE).unwrap();
        let code = return_const(1);
        let first = arena.publish(&[&code]).unwrap()[0];
        let second = arena.publish(&[&code]).unwrap()[0];
        assert!(second.start > first.start, "addresses increase");
        let big = vec![0xc3u8; 2 * PAGE];
        assert_eq!(arena.publish(&[&big]), Err(ArenaError::Full));
        assert!(
            arena.publish(&[&code]).is_ok(),
            "the last page is still usable"
        );
        assert_eq!(arena.publish(&[&code]), Err(ArenaError::Full));
    }

    #[test]
    fn published_pages_are_not_writable() {
        let arena = CodeArena::new(1 << 20).unwrap();
        let range = arena.publish(&[&return_const(3)]).unwrap()[0];
        // Ask the kernel rather than faulting: /proc/self/maps lists the page as r-x.
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let page = range.start & !(PAGE - 1);
        let line = maps
            .lines()
            .find(|l| {
                let (span, _) = l.split_once(' ').unwrap();
                let (lo, hi) = span.split_once('-').unwrap();
                let (lo, hi) = (
                    usize::from_str_radix(lo, 16).unwrap(),
                    usize::from_str_radix(hi, 16).unwrap(),
                );
                page >= lo && page < hi
            })
            .expect("mapping listed");
        assert!(line.contains(" r-xp "), "{line}");
    }
}
