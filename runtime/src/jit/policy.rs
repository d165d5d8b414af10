//! The tiering policy (DESIGN.md §4): which tier a hot function moves to, and what its next
//! countdown is. Pure decisions over plain values, so they are unit-tested without machine
//! code; [`crate::jit::tiering`] carries them out (compiles, queues, publishes).
//!
//! A function's countdown crossing zero is a [`Site`]: at its entry, or at a loop header in
//! the interpreter or in baseline code. [`TierPolicy::step`] says what to do there. A step
//! towards the optimizer goes through the function's [`OptState`], an `AtomicU8` moved by
//! compare-and-swap so that a function is queued and compiled at most once:
//!
//! ```text
//! Idle ──(baseline code, first tick)──▶ Counting ──(opt_after ticks)──▶ Queued ──▶ Compiling ──▶ Optimized
//!   └──────────────(no baseline tier: at once)────────────────────────────▲              └──▶ Failed
//! ```
//!
//! Countdowns: a function waiting for code polls ([`OPT_POLL_TICKS`]) until the code is
//! there: only the thread running a function writes its countdown while it runs (see
//! `tierup_abi::hotness`); one with nothing left to do gets [`COUNTDOWN_IDLE`], which still
//! crosses zero every 2^16 ticks. A countdown longer than that ([`COUNTDOWN_MAX`], a
//! threshold above 2^16 ticks) is counted in [`Laps`].

use std::sync::atomic::{AtomicU8, Ordering};

use tierup_abi::{COUNTDOWN_IDLE, COUNTDOWN_MAX};

use crate::config::{Config, Tiers};
use crate::jit::tuning::{OPT_POLL_TICKS, OSR_RETRY_TICKS};

/// Where a function's countdown crossed zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// At function entry (interpreter or baseline code).
    Entry,
    /// At the interpreter's loop header with this bytecode index.
    InterpLoop(u32),
    /// At baseline code's loop header with this bytecode index.
    BaselineLoop(u32),
}

impl Site {
    /// Decodes the `osr_pc` argument of the `tier_up` libcall.
    pub(crate) fn from_osr_pc(osr_pc: u32) -> Site {
        if osr_pc == tierup_abi::NO_OSR {
            Site::Entry
        } else if osr_pc & tierup_abi::OSR_FROM_BASELINE != 0 {
            Site::BaselineLoop(osr_pc & !tierup_abi::OSR_FROM_BASELINE)
        } else {
            Site::InterpLoop(osr_pc)
        }
    }

    /// The loop header's bytecode index, at a loop.
    pub(crate) fn loop_pc(self) -> Option<u32> {
        match self {
            Site::Entry => None,
            Site::InterpLoop(pc) | Site::BaselineLoop(pc) => Some(pc),
        }
    }
}

/// A function's progress towards the optimizer (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum OptState {
    /// Not counting towards the optimizer yet.
    Idle = 0,
    /// Counting `opt_after` ticks in baseline code.
    Counting = 1,
    /// Waiting in the optimizer's queue.
    Queued = 2,
    /// Being compiled by a worker.
    Compiling = 3,
    /// Optimized code is published.
    Optimized = 4,
    /// The optimizer failed on it; it stays in its tier.
    Failed = 5,
}

impl OptState {
    fn from_u8(v: u8) -> OptState {
        match v {
            0 => OptState::Idle,
            1 => OptState::Counting,
            2 => OptState::Queued,
            3 => OptState::Compiling,
            4 => OptState::Optimized,
            _ => OptState::Failed,
        }
    }
}

/// An [`OptState`] shared between the running program and the workers.
#[derive(Debug)]
pub(crate) struct AtomicOptState(AtomicU8);

impl AtomicOptState {
    /// A state starting at `state`.
    pub(crate) fn new(state: OptState) -> AtomicOptState {
        AtomicOptState(AtomicU8::new(state as u8))
    }

    /// The current state.
    pub(crate) fn get(&self) -> OptState {
        OptState::from_u8(self.0.load(Ordering::Acquire))
    }

    /// Sets the state unconditionally.
    pub(crate) fn set(&self, state: OptState) {
        self.0.store(state as u8, Ordering::Release);
    }

    /// Moves `from` → `to` if the state is still `from`; whether it did.
    pub(crate) fn advance(&self, from: OptState, to: OptState) -> bool {
        self.0
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    }
}

/// What to do where a countdown crossed zero ([`TierPolicy::step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The function is optimized and this activation loops in a lower tier: move it into
    /// optimized code through the OSR entry for its loop (once compiled). From the
    /// interpreter, if that entry is not ready, go on with [`Step::Baseline`].
    OptOsr,
    /// Move to baseline code (compiling it if needed); at a loop, continue there.
    Baseline,
    /// Count towards the optimizer, or queue the function (see [`TierPolicy::towards_opt`]).
    TowardsOpt,
    /// Nothing left to do for the function.
    Nothing,
}

/// What [`TierPolicy::towards_opt`] decides for a function in a given [`OptState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TowardsOpt {
    /// Start counting: move `Idle` → `Counting` and count `opt_after` ticks.
    StartCounting,
    /// Queue it for the optimizer (moving its state from the one given to `Queued`).
    Queue,
    /// It is queued or compiling: poll until the code is published.
    Wait,
    /// Nothing to do (optimized, failed, or no optimizer).
    Nothing,
}

/// What became of an on-stack-replacement request into optimized code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OsrOutcome {
    /// The entry is published: jump in.
    Ready,
    /// Its compile is queued or running.
    Pending,
    /// This loop cannot be entered (or the compile failed, or the queue was full).
    Unavailable,
}

/// The tiering policy of an engine, from its [`Config`]: which tiers are on and the
/// thresholds. Copied into every module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TierPolicy {
    /// The tiers functions may run in.
    pub(crate) tiers: Tiers,
    /// Ticks in the interpreter before baseline code.
    pub(crate) baseline_after: u32,
    /// Ticks in the tier below the optimizer before queuing.
    pub(crate) opt_after: u32,
    /// With a code cache, install the cached optimized code of a module's functions when
    /// the module is created, before they get hot (`Config::code_cache_warm_start`).
    pub(crate) warm_start: bool,
}

impl TierPolicy {
    /// The policy of `config`'s tier mode.
    pub(crate) fn of(config: &Config) -> TierPolicy {
        TierPolicy {
            tiers: config.effective_tiers(),
            baseline_after: config.baseline_after,
            opt_after: config.opt_after,
            warm_start: config.code_cache_warm_start,
        }
    }

    /// Whether any function may run machine code.
    pub(crate) fn uses_jit(&self) -> bool {
        self.tiers.baseline || self.tiers.opt
    }

    /// Whether functions start in machine code (no interpreter): they are compiled eagerly.
    pub(crate) fn starts_compiled(&self) -> bool {
        !self.tiers.interp
    }

    /// The optimizer state every function starts in: eager baseline code counts towards the
    /// optimizer from the start.
    pub(crate) fn initial_opt_state(&self) -> OptState {
        if self.tiers.baseline && !self.tiers.interp {
            OptState::Counting
        } else {
            OptState::Idle
        }
    }

    /// The hotness countdown every function starts with.
    pub(crate) fn initial_countdown(&self) -> i32 {
        let Tiers {
            interp,
            baseline,
            opt,
        } = self.tiers;
        match (interp, baseline, opt) {
            (true, true, _) => countdown(self.baseline_after),
            (true, false, true) | (false, true, true) => countdown(self.opt_after),
            _ => COUNTDOWN_IDLE,
        }
    }

    /// [`TierPolicy::initial_countdown`] cut into [`Laps`]: the countdown every function's
    /// counter starts with, and the ticks the runtime counts after it.
    pub(crate) fn initial_laps(&self) -> Laps {
        Laps::split(self.initial_countdown())
    }

    /// What to do for a function in `state` whose countdown crossed zero at `site`.
    pub(crate) fn step(&self, site: Site, state: OptState) -> Step {
        match site {
            Site::InterpLoop(_) | Site::BaselineLoop(_) if state == OptState::Optimized => {
                Step::OptOsr
            }
            // Baseline code moves only to the optimizer.
            Site::BaselineLoop(_) => Step::TowardsOpt,
            _ if self.tiers.baseline => Step::Baseline,
            _ if state == OptState::Optimized => Step::Nothing,
            _ => Step::TowardsOpt,
        }
    }

    /// The step towards the optimizer for a function in `state` (`optimizer`: whether this
    /// module has workers to compile with).
    pub(crate) fn towards_opt(&self, state: OptState, optimizer: bool) -> TowardsOpt {
        if !(self.tiers.opt && optimizer) {
            return TowardsOpt::Nothing;
        }
        match state {
            // In baseline code: count `opt_after` ticks there first.
            OptState::Idle if self.tiers.baseline => TowardsOpt::StartCounting,
            OptState::Idle | OptState::Counting => TowardsOpt::Queue,
            OptState::Queued | OptState::Compiling => TowardsOpt::Wait,
            OptState::Optimized | OptState::Failed => TowardsOpt::Nothing,
        }
    }

    /// The countdown after a [`TowardsOpt`] decision was carried out (`done`: whether its
    /// state change or submission succeeded; a lost race or a full queue asks again after
    /// another `opt_after` ticks).
    pub(crate) fn countdown_towards_opt(&self, decision: TowardsOpt, done: bool) -> i32 {
        match (decision, done) {
            (TowardsOpt::StartCounting, true) => countdown(self.opt_after),
            (TowardsOpt::Queue, false) => countdown(self.opt_after),
            (TowardsOpt::Queue, true) | (TowardsOpt::Wait, _) => OPT_POLL_TICKS,
            (TowardsOpt::StartCounting, false) | (TowardsOpt::Nothing, _) => COUNTDOWN_IDLE,
        }
    }

    /// The countdown after an OSR request into optimized code that did not jump in.
    pub(crate) fn countdown_after_osr(&self, outcome: OsrOutcome) -> i32 {
        match outcome {
            OsrOutcome::Ready => COUNTDOWN_IDLE,
            OsrOutcome::Pending => OPT_POLL_TICKS,
            OsrOutcome::Unavailable => OSR_RETRY_TICKS,
        }
    }

    /// The countdown right after a function's baseline code was compiled at a call: 0, so
    /// that the very next tick crosses again and the activation that is still interpreted
    /// (the one that made the function hot at its entry) moves into the new code at its next
    /// back-edge.
    pub(crate) fn countdown_after_baseline_compile(&self) -> i32 {
        0
    }
}

/// The countdown for `ticks` more ticks (it crosses zero on the `ticks`-th). It may be above
/// [`COUNTDOWN_MAX`]: [`Laps::split`] cuts it before a tier sees it.
fn countdown(ticks: u32) -> i32 {
    ticks.clamp(1, i32::MAX as u32) as i32 - 1
}

/// A countdown as the tiers see it, at most [`COUNTDOWN_MAX`] (`tierup_abi::hotness`), and the
/// ticks still to count after it crosses zero: a longer countdown is counted in laps of
/// `COUNTDOWN_MAX + 1` ticks, the crossings between laps are the runtime's alone (the policy
/// sees only the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Laps {
    /// The countdown to set now.
    pub(crate) countdown: i32,
    /// The ticks left after it crosses zero (0: that crossing is the policy's).
    pub(crate) after: u32,
}

impl Laps {
    /// Cuts `countdown` (which crosses zero on its `countdown + 1`-th tick; a negative one
    /// on the next tick) into a first lap and the ticks after it.
    pub(crate) fn split(countdown: i32) -> Laps {
        let ticks = (i64::from(countdown) + 1).max(1) as u32;
        Laps::of_ticks(ticks)
    }

    /// The next lap of `ticks` (at least 1) ticks still to count.
    pub(crate) fn of_ticks(ticks: u32) -> Laps {
        let lap = ticks.clamp(1, COUNTDOWN_MAX as u32 + 1);
        Laps {
            countdown: lap as i32 - 1,
            after: ticks - lap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_countdowns_are_counted_in_laps() {
        let lap = COUNTDOWN_MAX as u32 + 1;
        // Short ones are one lap.
        for c in [0, 1, 99, COUNTDOWN_IDLE, COUNTDOWN_MAX] {
            assert_eq!(
                Laps::split(c),
                Laps {
                    countdown: c,
                    after: 0
                }
            );
        }
        assert_eq!(
            Laps::split(-1),
            Laps {
                countdown: 0,
                after: 0
            }
        );
        // A countdown of c crosses zero on its (c + 1)-th tick, whatever the laps.
        for ticks in [lap + 1, 2 * lap, 2 * lap + 7, 100_000, u32::MAX >> 1] {
            let mut laps = Laps::split(ticks as i32 - 1);
            let mut counted = 0u64;
            loop {
                assert!((0..=COUNTDOWN_MAX).contains(&laps.countdown));
                counted += laps.countdown as u64 + 1;
                if laps.after == 0 {
                    break;
                }
                laps = Laps::of_ticks(laps.after);
            }
            assert_eq!(counted, u64::from(ticks), "{ticks} ticks");
        }
    }

    fn policy(tiers: &str) -> TierPolicy {
        TierPolicy {
            tiers: tiers.parse().expect("a tier list"),
            baseline_after: 100,
            opt_after: 1000,
            warm_start: false,
        }
    }

    #[test]
    fn functions_start_in_the_lowest_tier_with_its_threshold() {
        assert_eq!(policy("interp,baseline,opt").initial_countdown(), 99);
        assert_eq!(policy("interp,baseline").initial_countdown(), 99);
        assert_eq!(policy("interp,opt").initial_countdown(), 999);
        assert_eq!(policy("baseline,opt").initial_countdown(), 999);
        assert_eq!(policy("opt").initial_countdown(), COUNTDOWN_IDLE);
        assert_eq!(policy("interp").initial_countdown(), COUNTDOWN_IDLE);
        assert_eq!(
            policy("baseline,opt").initial_opt_state(),
            OptState::Counting
        );
        assert_eq!(
            policy("interp,baseline,opt").initial_opt_state(),
            OptState::Idle
        );
    }

    #[test]
    fn hot_functions_move_up_one_tier_at_a_time() {
        let p = policy("interp,baseline,opt");
        assert_eq!(p.step(Site::Entry, OptState::Idle), Step::Baseline);
        assert_eq!(p.step(Site::InterpLoop(3), OptState::Idle), Step::Baseline);
        assert_eq!(
            p.step(Site::BaselineLoop(3), OptState::Counting),
            Step::TowardsOpt
        );
        assert_eq!(
            p.towards_opt(OptState::Idle, true),
            TowardsOpt::StartCounting
        );
        assert_eq!(p.towards_opt(OptState::Counting, true), TowardsOpt::Queue);
        assert_eq!(p.towards_opt(OptState::Queued, true), TowardsOpt::Wait);
        assert_eq!(
            p.towards_opt(OptState::Optimized, true),
            TowardsOpt::Nothing
        );
        assert_eq!(
            p.towards_opt(OptState::Counting, false),
            TowardsOpt::Nothing
        );
        // Without baseline code, the interpreter queues at once.
        let p = policy("interp,opt");
        assert_eq!(p.step(Site::Entry, OptState::Idle), Step::TowardsOpt);
        assert_eq!(p.towards_opt(OptState::Idle, true), TowardsOpt::Queue);
        assert_eq!(p.step(Site::Entry, OptState::Optimized), Step::Nothing);
    }

    #[test]
    fn looping_activations_of_optimized_functions_take_osr() {
        let p = policy("interp,baseline,opt");
        for site in [Site::InterpLoop(7), Site::BaselineLoop(7)] {
            assert_eq!(p.step(site, OptState::Optimized), Step::OptOsr);
        }
        assert_eq!(p.step(Site::Entry, OptState::Optimized), Step::Baseline);
        assert_eq!(Site::from_osr_pc(tierup_abi::NO_OSR), Site::Entry);
        assert_eq!(
            Site::from_osr_pc(7 | tierup_abi::OSR_FROM_BASELINE),
            Site::BaselineLoop(7)
        );
        assert_eq!(Site::from_osr_pc(7), Site::InterpLoop(7));
    }

    #[test]
    fn waiting_for_code_polls_and_nothing_to_do_idles() {
        let p = policy("interp,baseline,opt");
        assert_eq!(
            p.countdown_towards_opt(TowardsOpt::Queue, true),
            OPT_POLL_TICKS
        );
        assert_eq!(
            p.countdown_towards_opt(TowardsOpt::Wait, true),
            OPT_POLL_TICKS
        );
        // A full queue asks again after another `opt_after` ticks.
        assert_eq!(p.countdown_towards_opt(TowardsOpt::Queue, false), 999);
        assert_eq!(
            p.countdown_towards_opt(TowardsOpt::StartCounting, true),
            999
        );
        assert_eq!(
            p.countdown_towards_opt(TowardsOpt::Nothing, true),
            COUNTDOWN_IDLE
        );
        assert_eq!(p.countdown_after_osr(OsrOutcome::Pending), OPT_POLL_TICKS);
        assert_eq!(
            p.countdown_after_osr(OsrOutcome::Unavailable),
            OSR_RETRY_TICKS
        );
    }

    #[test]
    fn opt_states_round_trip_and_advance_once() {
        let state = AtomicOptState::new(OptState::Counting);
        assert!(state.advance(OptState::Counting, OptState::Queued));
        assert!(!state.advance(OptState::Counting, OptState::Queued));
        assert_eq!(state.get(), OptState::Queued);
        for s in [
            OptState::Idle,
            OptState::Counting,
            OptState::Queued,
            OptState::Compiling,
            OptState::Optimized,
            OptState::Failed,
        ] {
            assert_eq!(OptState::from_u8(s as u8), s);
        }
    }
}
