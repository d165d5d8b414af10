//! The register cache: which scratch register holds a copy of which frame slot.
//!
//! Every result is written through to its slot at once, so the cache never holds the only copy
//! of a value and forgetting any part of it is always safe; what it buys is that a later read
//! of the slot is a register operand instead of a load. The [`Masm`](super::Masm) is its only
//! user and keeps its invariant (see the module docs of [`super`]).
//!
//! The cache is organised by register class: one [`ClassCache`] per class, each with its own
//! allocation order and round-robin cursor. Today there is one class, the general-purpose
//! scratch registers. A second class (SSE registers, for floats and `v128`) joins as a second
//! `ClassCache<Xmm>` field of [`RegCache`], a `CacheReg` impl for `Xmm`, and its lines in
//! [`RegCache::forget_slots`], [`RegCache::forget_all`] and [`RegCache::check`] (and in the
//! masm: a `Place` variant for a slot cached in an `Xmm`, the write log of `x64.rs` and the
//! debug check of `Masm::cache`); a slot may then be cached in one register of each class. A `v128` occupies two slots, so its entry
//! must also be dropped when either half is written ([`RegCache::forget_slots`] of a slot `s`
//! then also drops a `v128` entry for `s - 1`).

use super::x64::Gpr;

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

/// The cache of one register class.
#[derive(Debug, Clone)]
pub(crate) struct ClassCache<R: 'static> {
    /// The registers that may cache slots, in allocation order.
    order: &'static [R],
    /// The slot each register holds, indexed by encoding number.
    holds: [Option<u32>; 16],
    /// Next position in `order` to hand out.
    next: usize,
}

impl<R: CacheReg> ClassCache<R> {
    const fn new(order: &'static [R]) -> ClassCache<R> {
        ClassCache {
            order,
            holds: [None; 16],
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

    /// The next register in allocation order that `avoid` does not reject; its entry is
    /// dropped. `avoid` must accept at least one register.
    pub(crate) fn take_next(&mut self, avoid: impl Fn(R) -> bool) -> R {
        loop {
            let r = self.order[self.next % self.order.len()];
            self.next = self.next.wrapping_add(1);
            if !avoid(r) {
                self.forget_reg(r);
                return r;
            }
        }
    }

    /// Drops `r`'s entry (it is about to be written).
    pub(crate) fn forget_reg(&mut self, r: R) {
        self.holds[r.number()] = None;
    }

    /// Drops every entry for a slot in `first..first + count` (they are about to be written).
    fn forget_slots(&mut self, first: u32, count: u32) {
        for h in &mut self.holds {
            if h.is_some_and(|slot| slot.wrapping_sub(first) < count) {
                *h = None;
            }
        }
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
    /// General-purpose scratch registers.
    pub(crate) gpr: ClassCache<Gpr>,
}

impl Default for RegCache {
    fn default() -> RegCache {
        RegCache {
            gpr: ClassCache::new(&GPR_ORDER),
        }
    }
}

impl RegCache {
    /// Drops every entry for `slot`, in every class (it is about to be written).
    pub(crate) fn forget_slot(&mut self, slot: u32) {
        self.gpr.forget_slots(slot, 1);
    }

    /// Drops every entry for a slot in `first..first + count`, in every class.
    pub(crate) fn forget_slots(&mut self, first: u32, count: u32) {
        self.gpr.forget_slots(first, count);
    }

    /// Forgets everything (at branch targets and after calls).
    pub(crate) fn forget_all(&mut self) {
        self.gpr.forget_all();
    }

    /// Debug check of the entries' shape (see [`ClassCache::check`]).
    #[cfg(debug_assertions)]
    pub(crate) fn check(&self) {
        self.gpr.check();
    }
}
