//! Hotness countdowns (DESIGN.md §4): the values the tiers and the runtime's tiering policy
//! exchange through a function's countdown and the `tier_up` libcall.
//!
//! Each defined function has an `i32` countdown, decremented at function entry and at loop
//! back-edges by the interpreter and by baseline code. When it goes below zero the tier calls
//! the `tier_up` libcall, which sets the next countdown. Only the thread running the
//! function writes its countdown while it runs: machine code decrements it with a plain
//! read-modify-write, so a store from another thread could be overwritten and lost.
//!
//! No countdown is ever above [`COUNTDOWN_MAX`], so a countdown crosses zero at least once
//! every 2^16 ticks of its function. The interpreter relies on it: its loop back-edges test
//! the store's interrupt flag only where the countdown crosses zero (as V8's interrupt
//! budget does), one load and a branch fewer per iteration, and an interrupt still stops an
//! interpreted loop within 2^16 iterations. A longer wait (a threshold above 2^16 ticks) is
//! counted by the runtime in laps of 2^16 ticks.

/// The largest countdown any tier ever sees: the function's countdown crosses zero within
/// 2^16 ticks (see the module docs).
pub const COUNTDOWN_MAX: i32 = (1 << 16) - 1;

/// The countdown of a function with nothing left to tier up to, or of one whose countdown
/// the tier restarts until the runtime sets the next one: as long as any ([`COUNTDOWN_MAX`]),
/// after which the runtime confirms that nothing is left to do.
pub const COUNTDOWN_IDLE: i32 = COUNTDOWN_MAX;

/// The `osr_pc` of a `tier_up` call made at function entry (no on-stack replacement asked for).
pub const NO_OSR: u32 = u32::MAX;

/// Set in the `osr_pc` of a `tier_up` call made by baseline code at a loop header (not the
/// interpreter): only optimized code is a useful target, and the caller tail-jumps to it with
/// its own frame.
pub const OSR_FROM_BASELINE: u32 = 1 << 31;
