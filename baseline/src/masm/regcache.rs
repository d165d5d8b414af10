//! The register cache: which scratch register holds a copy of which frame slot.
//!
//! Results are written through to their slots, so the cache rarely holds the only copy of a
//! value; what it buys is that a later read of the slot is a register operand instead of a
//! load. Where it does hold the only copy (pinned loop regions and deferred results), the
//! [`Masm`](super::Masm) stores it before dropping the entry. The masm is the cache's only
//! user and keeps its invariant (see the module docs of [`super`]).
//!
//! The cache is organised by register class: one [`ClassCache`] per class, each with its own
//! allocation order and round-robin cursor, and its own entry width:
//! - `gpr`: general-purpose scratch registers, each caching one 8-byte slot (integers, float
//!   bit patterns, references);
//! - `xmm`: SSE registers, each caching one `v128`, which occupies two consecutive slots (the
//!   entry names the first). Scalar floats do not use this class: they pass through the fixed
//!   temporaries `xmm0`/`xmm1`, which are never cache registers.
//!
//! A slot may be cached in one register of each class at once (a `v128`'s low half may also be
//! in a general-purpose register); both are copies of the frame. Writing any slot drops every
//! entry that covers it, so writing either half of a `v128` drops its `xmm` entry
//! ([`RegCache::forget_slots`]).

use super::x64::{Gpr, Xmm};

/// A register that can cache slots.
pub(crate) trait CacheReg: Copy + Eq + std::fmt::Debug + 'static {
    /// The register's encoding number (0..16), its index in [`ClassCache`]'s table.
    fn number(self) -> usize;
}

impl CacheReg for Gpr {
    fn number(self) -> usize {
        Gpr::number(self)
    }
}

impl CacheReg for Xmm {
    fn number(self) -> usize {
        Xmm::number(self)
    }
}

/// General-purpose scratch registers that may cache slots, in the round-robin order results
/// are placed in. `rax`, `rcx` and `rdx` come last: division and shifts claim them.
const GPR_ORDER: [Gpr; 9] = [
    Gpr::R8,
    Gpr::R9,
    Gpr::R10,
    Gpr::R11,
    Gpr::RSI,
    Gpr::RDI,
    Gpr::RDX,
    Gpr::RCX,
    Gpr::RAX,
];

/// SSE registers that may cache `v128`s, in round-robin order. `xmm0`, `xmm1`, `xmm14` and
/// `xmm15` are the fixed temporaries of float and SIMD sequences (`xmm0` is also the implicit
/// mask of SSE4.1's blends), so they never cache.
const XMM_ORDER: [Xmm; 12] = [
    Xmm::new(2),
    Xmm::new(3),
    Xmm::new(4),
    Xmm::new(5),
    Xmm::new(6),
    Xmm::new(7),
    Xmm::new(8),
    Xmm::new(9),
    Xmm::new(10),
    Xmm::new(11),
    Xmm::new(12),
    Xmm::new(13),
];

/// The cache of one register class.
#[derive(Debug, Clone)]
pub(crate) struct ClassCache<R: 'static> {
    /// The registers that may cache slots, in allocation order.
    order: &'static [R],
    /// The (first) slot each register holds, indexed by encoding number.
    holds: [Option<u32>; 16],
    /// Slots an entry covers: 1, or 2 for a `v128`.
    span: u32,
    /// Next position in `order` to hand out.
    next: usize,
}

impl<R: CacheReg> ClassCache<R> {
    const fn new(order: &'static [R], span: u32) -> ClassCache<R> {
        ClassCache {
            order,
            holds: [None; 16],
            span,
            next: 0,
        }
    }

    /// The register holding `slot`, if any.
    pub(crate) fn find(&self, slot: u32) -> Option<R> {
        self.order
            .iter()
            .copied()
            .find(|r| self.holds[r.number()] == Some(slot))
    }

    /// The next register in allocation order that `avoid` does not reject, one without an
    /// entry if there is any, and the slot whose entry it dropped, if any (the masm stores a
    /// deferred result first). `avoid` must accept at least one register.
    pub(crate) fn take_next_dropping(&mut self, avoid: impl Fn(R) -> bool) -> (R, Option<u32>) {
        // A register without an entry first, in round-robin order: evicting a value that
        // may still be read (or whose store is deferred) costs a reload (or a store).
        let len = self.order.len();
        for k in 0..len {
            let r = self.order[(self.next + k) % len];
            if !avoid(r) && self.holds[r.number()].is_none() {
                self.next = self.next.wrapping_add(k + 1);
                return (r, None);
            }
        }
        for _ in 0..len {
            let r = self.order[self.next % len];
            self.next = self.next.wrapping_add(1);
            if !avoid(r) {
                let dropped = self.holds(r);
                self.forget_reg(r);
                return (r, dropped);
            }
        }
        panic!("no register left: `avoid` and the pins reject the whole allocation order");
    }

    /// The (first) slot `r` holds, if any.
    pub(crate) fn holds(&self, r: R) -> Option<u32> {
        self.holds[r.number()]
    }

    /// Drops `r`'s entry (it is about to be written).
    pub(crate) fn forget_reg(&mut self, r: R) {
        self.holds[r.number()] = None;
    }

    /// Drops every entry covering a slot in `first..first + count` (they are about to be
    /// written).
    fn forget_slots(&mut self, first: u32, count: u32) {
        // An entry at `slot` covers `slot..slot + span`: it overlaps the range when `slot` lies
        // in `first - (span - 1)..first + count`.
        let from = first.wrapping_sub(self.span - 1);
        let len = count + self.span - 1;
        for h in &mut self.holds {
            if h.is_some_and(|slot| slot.wrapping_sub(from) < len) {
                *h = None;
            }
        }
    }

    /// Slots an entry covers.
    #[cfg(debug_assertions)]
    pub(crate) fn span(&self) -> u32 {
        self.span
    }

    /// `(register number, slot)` for every entry.
    #[cfg(debug_assertions)]
    pub(crate) fn entries(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        self.holds
            .iter()
            .enumerate()
            .filter_map(|(n, h)| h.map(|slot| (n, slot)))
    }

    /// Records that `r` now holds `slot`; `slot` must have no other entry in this class.
    pub(crate) fn record(&mut self, r: R, slot: u32) {
        debug_assert!(self.order.contains(&r), "{r:?} is not a cache register");
        debug_assert_eq!(self.find(slot), None, "slot {slot} cached twice");
        self.holds[r.number()] = Some(slot);
    }

    fn forget_all(&mut self) {
        self.holds = [None; 16];
    }

    /// Debug check: only cache registers have entries, and no slot has two.
    #[cfg(debug_assertions)]
    fn check(&self) {
        for (n, h) in self.holds.iter().enumerate() {
            if let Some(slot) = *h {
                debug_assert!(
                    self.order.iter().any(|r| r.number() == n),
                    "register {n} is not a cache register but holds slot {slot}"
                );
                debug_assert_eq!(
                    self.holds.iter().filter(|x| **x == Some(slot)).count(),
                    1,
                    "slot {slot} cached twice"
                );
            }
        }
    }
}

/// The whole cache, one [`ClassCache`] per register class.
#[derive(Debug, Clone)]
pub(crate) struct RegCache {
    /// General-purpose scratch registers, one slot each.
    pub(crate) gpr: ClassCache<Gpr>,
    /// SSE registers, one `v128` (two slots) each.
    pub(crate) xmm: ClassCache<Xmm>,
}

impl Default for RegCache {
    fn default() -> RegCache {
        RegCache {
            gpr: ClassCache::new(&GPR_ORDER, 1),
            xmm: ClassCache::new(&XMM_ORDER, 2),
        }
    }
}

impl RegCache {
    /// Drops every entry covering `slot`, in every class (it is about to be written).
    pub(crate) fn forget_slot(&mut self, slot: u32) {
        self.forget_slots(slot, 1);
    }

    /// Drops every entry covering a slot in `first..first + count`, in every class.
    pub(crate) fn forget_slots(&mut self, first: u32, count: u32) {
        self.gpr.forget_slots(first, count);
        self.xmm.forget_slots(first, count);
    }

    /// Forgets everything (at branch targets and after calls).
    pub(crate) fn forget_all(&mut self) {
        self.gpr.forget_all();
        self.xmm.forget_all();
    }

    /// Debug check of the entries' shape (see [`ClassCache::check`]).
    #[cfg(debug_assertions)]
    pub(crate) fn check(&self) {
        self.gpr.check();
        self.xmm.check();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_either_half_of_a_v128_drops_its_entry() {
        for written in [4, 5] {
            let mut cache = RegCache::default();
            cache.xmm.record(Xmm::new(2), 4);
            cache.gpr.record(Gpr::R8, 6);
            cache.forget_slot(written);
            assert_eq!(cache.xmm.find(4), None, "slot {written}");
            assert_eq!(cache.gpr.find(6), Some(Gpr::R8));
        }
        let mut cache = RegCache::default();
        cache.xmm.record(Xmm::new(2), 4);
        cache.forget_slots(6, 2);
        cache.forget_slot(3);
        assert_eq!(
            cache.xmm.find(4),
            Some(Xmm::new(2)),
            "neighbours are not the v128"
        );
        cache.forget_slots(2, 3);
        assert_eq!(cache.xmm.find(4), None);
    }

    #[test]
    fn a_v128_at_slot_0_is_dropped_with_slot_0() {
        let mut cache = RegCache::default();
        cache.xmm.record(Xmm::new(3), 0);
        cache.forget_slot(0);
        assert_eq!(cache.xmm.find(0), None);
    }
}
