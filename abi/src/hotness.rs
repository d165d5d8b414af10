//! Hotness countdowns (DESIGN.md §4): the values the tiers and the runtime's tiering policy
//! exchange through a function's countdown and the `tier_up` libcall.
//!
//! Each defined function has an `i32` countdown, decremented at function entry and at loop
//! back-edges by the interpreter and by baseline code. When it goes below zero the tier calls
//! the `tier_up` libcall, which sets the next countdown. Only the thread running the
//! function writes its countdown while it runs: machine code decrements it with a plain
//! read-modify-write, so a store from another thread could be overwritten and lost.

/// A countdown that will not cross zero for 2^31 ticks: a function with nothing left to tier
/// up to, or one whose countdown the tier restarts until the runtime sets the next one.
pub const COUNTDOWN_IDLE: i32 = i32::MAX;

/// The `osr_pc` of a `tier_up` call made at function entry (no on-stack replacement asked for).
pub const NO_OSR: u32 = u32::MAX;

/// Set in the `osr_pc` of a `tier_up` call made by baseline code at a loop header (not the
/// interpreter): only optimized code is a useful target, and the caller tail-jumps to it with
/// its own frame.
pub const OSR_FROM_BASELINE: u32 = 1 << 31;
