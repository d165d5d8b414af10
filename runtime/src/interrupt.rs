//! Stopping running wasm from outside: interrupt handles, epochs and their deadlines, and the
//! `attention` libcall that every tier calls when it finds a store's flag set
//! (`tierup_abi::metering` has the tier side).
//!
//! Each store owns one [`StoreSignals`], shared (`Arc`) with its [`InterruptHandle`]s and, when
//! the engine has epoch interruption on, with the engine's [`EpochClock`]. Machine code and the
//! interpreter test one byte, [`StoreSignals::attention`], at function entry and loop headers.
//! Whoever wants the store to stop sets it:
//! - an interrupt handle sets `interrupt_requested`, then `attention`, then raises the stack
//!   limit that machine code checks at function entry (`StoreSignals::stack_limit`), so the
//!   entry's stack check is also its interrupt check; the stack-overflow trap that follows is
//!   reported as the interruption (`func::trap_error`); last it makes the store's poll page
//!   inaccessible, so that the poll load at every loop header of optimized code (without
//!   epochs) faults, a registered `Interrupted` trap site; the request's delivery makes the
//!   page readable again ([`StoreSignals::clear_request`]);
//! - [`EpochClock::increment`] (from [`crate::Engine::increment_epoch`]) advances the engine's
//!   epoch, then sets `attention` in every registered store whose deadline the new epoch reaches;
//!   [`StoreSignals::set_deadline`] sets it at once when the deadline has already passed.
//!
//! The `attention` libcall clears `attention` *before* reading the reasons, so a request that
//! arrives meanwhile sets it again and is seen at the next check: no request is lost. An
//! interrupt request stays pending until the outermost call into wasm returns (every check
//! until then traps); a deadline stays passed until the store sets a new one. An
//! epoch check therefore costs exactly what the interrupt check costs (one byte compared with
//! zero), and nothing at all while no deadline is near; the price is paid by the ticking thread,
//! one pass over the engine's live stores per tick.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::vm::Mmap;

/// The stack limit that stands for "an interrupt request is pending": above every stack (user
/// addresses are below 2^47), and far enough below `usize::MAX` that adding a frame size to it,
/// as Cranelift's prologue check does, cannot wrap around.
pub(crate) const INTERRUPT_STACK_LIMIT: usize = 1 << 63;

/// What an epoch-deadline callback decides (as Wasmtime's `UpdateDeadline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateDeadline {
    /// Go on running, with the deadline this many ticks after the current epoch.
    Continue(u64),
}

/// A store's stop signals. `#[repr(C)]` with `attention` first: the store context's
/// `interrupt` pointer points at it.
#[derive(Debug)]
#[repr(C, align(64))]
pub(crate) struct StoreSignals {
    /// Checked by every tier at function entry and loop headers: "call `attention`".
    pub(crate) attention: AtomicBool,
    /// An interrupt handle asked for a stop.
    interrupt_requested: AtomicBool,
    /// The native stack limit that optimized code compares the stack pointer with at function
    /// entry (`VmCtx::stack_limit` points here): the running entry's limit, or
    /// [`INTERRUPT_STACK_LIMIT`] while an interrupt request is pending, so that the stack check doubles as the
    /// interrupt check at function entry (V8's stack guard). The stack-overflow trap it then
    /// raises is reported as [`crate::TrapCode::Interrupted`] (`func::trap_error`).
    stack_limit: AtomicUsize,
    /// The epoch at which the store must stop or call its callback (`u64::MAX`: never).
    deadline: AtomicU64,
    /// The page optimized loops poll ([`tierup_abi::StoreCtx::interrupt_poll`]): readable
    /// unless an interrupt request is pending.
    poll_page: Mmap,
    /// Whether the poll page is inaccessible now. Changed only under this lock, and only to
    /// what `interrupt_requested` says when the lock is taken, so racing requests and clears
    /// leave the page as the last of them left the flag (each changes the flag first, then
    /// syncs the page).
    poll_blocked: Mutex<bool>,
}

impl StoreSignals {
    /// Signals with nothing requested and no deadline.
    ///
    /// # Panics
    /// If the poll page cannot be mapped (the system is out of memory mappings).
    pub(crate) fn new() -> Arc<StoreSignals> {
        Arc::new(StoreSignals {
            attention: AtomicBool::new(false),
            interrupt_requested: AtomicBool::new(false),
            stack_limit: AtomicUsize::new(0),
            deadline: AtomicU64::new(u64::MAX),
            poll_page: Mmap::poll_page().expect("failed to map the interrupt poll page"),
            poll_blocked: Mutex::new(false),
        })
    }

    /// The byte optimized loops poll (readable unless an interrupt request is pending).
    pub(crate) fn poll_ptr(&self) -> *const u8 {
        self.poll_page.as_ptr()
    }

    /// Makes the poll page's protection agree with `interrupt_requested` (see
    /// [`StoreSignals::poll_blocked`] for why racing callers end consistent).
    fn sync_poll_page(&self) {
        let mut blocked = self.poll_blocked.lock();
        let want = self.interrupt_requested.load(Ordering::SeqCst);
        if *blocked != want {
            let changed = self.poll_page.set_poll_readable(!want);
            // mprotect of our own page with valid flags fails only when the kernel runs out
            // of mapping memory; the flag-testing tiers still see the request then.
            debug_assert!(changed, "mprotect of the poll page failed");
            if changed {
                *blocked = want;
            }
        }
    }

    /// The address of the flag the tiers test.
    pub(crate) fn attention_ptr(&self) -> *const AtomicBool {
        &self.attention
    }

    /// The address of the stack limit machine code checks at function entry.
    pub(crate) fn stack_limit_ptr(&self) -> *const AtomicUsize {
        &self.stack_limit
    }

    /// Asks the running (or next) wasm of the store to stop.
    pub(crate) fn request_interrupt(&self) {
        self.interrupt_requested.store(true, Ordering::SeqCst);
        self.attention.store(true, Ordering::SeqCst);
        self.stack_limit
            .store(INTERRUPT_STACK_LIMIT, Ordering::SeqCst);
        self.sync_poll_page();
    }

    /// Makes `limit` (the native stack limit of the entry now running) the limit machine code
    /// checks, unless an interrupt request is pending. A request that arrives meanwhile is not
    /// lost: either it stores the interrupt limit after the store here, or the load below sees it.
    pub(crate) fn set_stack_limit(&self, limit: usize) {
        self.stack_limit.store(limit, Ordering::SeqCst);
        if self.interrupt_requested.load(Ordering::SeqCst) {
            self.stack_limit
                .store(INTERRUPT_STACK_LIMIT, Ordering::SeqCst);
        }
    }

    /// Whether an interrupt request is pending (a stack-overflow trap is then its delivery).
    pub(crate) fn interrupt_requested(&self) -> bool {
        self.interrupt_requested.load(Ordering::SeqCst)
    }

    /// Whether an interrupt was requested and not yet delivered, or the deadline has passed.
    pub(crate) fn pending(&self, clock: &EpochClock) -> bool {
        self.interrupt_requested.load(Ordering::SeqCst) || self.deadline_reached(clock)
    }

    fn deadline_reached(&self, clock: &EpochClock) -> bool {
        clock.now() >= self.deadline.load(Ordering::SeqCst)
    }

    /// Sets the deadline to `ticks` after the current epoch (`u64::MAX` ticks: none).
    pub(crate) fn set_deadline(&self, clock: &EpochClock, ticks: u64) {
        let deadline = clock.now().saturating_add(ticks);
        self.deadline.store(deadline, Ordering::SeqCst);
        // A tick between `now()` and the store above may have missed the new deadline.
        if self.deadline_reached(clock) {
            self.attention.store(true, Ordering::SeqCst);
        }
    }

    /// Clears the flag and says why it was set: `Some(true)` an interrupt request,
    /// `Some(false)` the epoch deadline, `None` nothing (any more). An interrupt request is
    /// not taken: it stays pending (and the flag set) until the outermost call into wasm
    /// returns ([`StoreSignals::clear_request`]), so a host function that swallows the trap
    /// and calls wasm again is interrupted again.
    pub(crate) fn take_reason(&self, clock: &EpochClock) -> Option<bool> {
        self.attention.store(false, Ordering::SeqCst);
        if self.interrupt_requested.load(Ordering::SeqCst) {
            self.attention.store(true, Ordering::SeqCst);
            Some(true)
        } else if self.deadline_reached(clock) {
            Some(false)
        } else {
            None
        }
    }

    /// Forgets a request that was delivered as a trap while leaving wasm (the outermost
    /// call trapped with `Interrupted`), so the next call starts afresh.
    /// `limit` is the native stack limit in force after the outermost call (the next entry sets
    /// its own).
    pub(crate) fn clear_request(&self, limit: usize) {
        self.interrupt_requested.store(false, Ordering::SeqCst);
        self.attention.store(false, Ordering::SeqCst);
        self.stack_limit.store(limit, Ordering::SeqCst);
        self.sync_poll_page();
    }
}

/// An engine's epoch counter and the stores that wait for deadlines on it.
#[derive(Debug, Default)]
pub(crate) struct EpochClock {
    epoch: AtomicU64,
    stores: Mutex<Vec<Weak<StoreSignals>>>,
}

impl EpochClock {
    /// The current epoch.
    pub(crate) fn now(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Registers a store's signals for deadline delivery (dropped stores are forgotten at the
    /// next tick).
    pub(crate) fn register(&self, signals: &Arc<StoreSignals>) {
        self.stores.lock().push(Arc::downgrade(signals));
    }

    /// Advances the epoch by one and flags every live store whose deadline it reaches.
    pub(crate) fn increment(&self) {
        let now = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        self.stores.lock().retain(|store| match store.upgrade() {
            Some(signals) => {
                if now >= signals.deadline.load(Ordering::SeqCst) {
                    signals.attention.store(true, Ordering::SeqCst);
                }
                true
            }
            None => false,
        });
    }
}

/// Makes running wasm in a store trap with [`crate::TrapCode::Interrupted`] at its next
/// function entry or loop header. `Send + Sync`: use it from a watchdog thread.
#[derive(Debug, Clone)]
pub struct InterruptHandle {
    pub(crate) signals: Arc<StoreSignals>,
    pub(crate) engine: crate::Engine,
}

impl InterruptHandle {
    /// Requests the interruption. Host functions that block (WASI's `poll_oneoff`, reads of
    /// the standard input) see it too ([`InterruptHandle::pending`]) and return early.
    pub fn interrupt(&self) {
        self.signals.request_interrupt();
    }

    /// Whether the store was asked to stop: a request not yet delivered, or a passed epoch
    /// deadline (what [`crate::Caller::interrupt_pending`] says, from any thread).
    pub fn pending(&self) -> bool {
        self.signals.pending(self.engine.epochs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_flag_only_the_stores_whose_deadline_they_reach() {
        let clock = EpochClock::default();
        let (near, far) = (StoreSignals::new(), StoreSignals::new());
        clock.register(&near);
        clock.register(&far);
        near.set_deadline(&clock, 1);
        far.set_deadline(&clock, 3);
        clock.increment();
        assert!(near.attention.load(Ordering::SeqCst));
        assert!(!far.attention.load(Ordering::SeqCst));
        assert_eq!(near.take_reason(&clock), Some(false));
        assert!(!near.attention.load(Ordering::SeqCst));
        clock.increment();
        clock.increment();
        assert_eq!(far.take_reason(&clock), Some(false));
    }

    #[test]
    fn a_passed_deadline_flags_at_once_and_requests_come_first() {
        let clock = EpochClock::default();
        let signals = StoreSignals::new();
        signals.set_deadline(&clock, 0);
        assert!(signals.attention.load(Ordering::SeqCst));
        signals.request_interrupt();
        assert_eq!(signals.take_reason(&clock), Some(true));
        assert_eq!(
            signals.take_reason(&clock),
            Some(true),
            "pending until cleared"
        );
        signals.clear_request(0);
        assert_eq!(signals.take_reason(&clock), Some(false));
        signals.set_deadline(&clock, u64::MAX);
        assert_eq!(signals.take_reason(&clock), None);
    }

    #[test]
    fn dropped_stores_are_forgotten() {
        let clock = EpochClock::default();
        clock.register(&StoreSignals::new());
        clock.increment();
        assert!(clock.stores.lock().is_empty());
    }
}
