//! The tier timeline's log (the raw material of [`crate::stats::Timeline`]): every compile
//! with its queue and compile intervals, every on-stack replacement and every failure, as
//! [`Instant`]s. [`crate::Module::stats`] turns them into durations since the module's creation.
//!
//! Cost: one short `Mutex` section per record, and records are made only at tier transitions:
//! when a compile is requested, taken from the queue, started and finished, and when an
//! activation moves by OSR (each at most a few times per function). Nothing is recorded in the
//! interpreter's dispatch loop or in machine code. Each list is capped
//! ([`MAX_TIMELINE_RECORDS`]); what does not fit is counted, not kept.
//!
//! Which tier a function is in, and when it entered it, is not logged here: the install times
//! are those of the tiers' own records (`translated_at`, `BaselineFunc::published_at`,
//! `OptFunc::published_at`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::Thread;
use std::time::Instant;

use parking_lot::Mutex;
use tierup_abi::DefinedFuncIdx;

use crate::jit::tuning::MAX_TIMELINE_RECORDS;
use crate::stats::{CompileKind, CompileOutcome, Tier};

/// A compile's record (see [`crate::stats::CompileInterval`], its public form).
#[derive(Debug, Clone)]
pub(crate) struct CompileRecord {
    pub(crate) func: DefinedFuncIdx,
    pub(crate) tier: Tier,
    pub(crate) kind: CompileKind,
    /// The background worker's index.
    pub(crate) worker: Option<u32>,
    /// The thread that took it.
    pub(crate) thread: Option<Thread>,
    pub(crate) enqueued: Instant,
    pub(crate) dequeued: Option<Instant>,
    pub(crate) start: Option<Instant>,
    pub(crate) end: Option<Instant>,
    pub(crate) outcome: CompileOutcome,
    /// A request the queue refused (full): not a compile, left out of the statistics.
    pub(crate) rejected: bool,
}

/// An on-stack replacement's record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OsrRecord {
    pub(crate) at: Instant,
    pub(crate) func: DefinedFuncIdx,
    /// Module offset of the `loop` operator.
    pub(crate) loop_offset: u32,
    pub(crate) from: Tier,
    pub(crate) to: Tier,
}

/// A failed compile's record.
#[derive(Debug, Clone)]
pub(crate) struct FailureRecord {
    pub(crate) at: Instant,
    pub(crate) func: DefinedFuncIdx,
    pub(crate) tier: Tier,
    pub(crate) kind: CompileKind,
    pub(crate) reason: String,
}

/// The handle of a compile record, for its later steps. [`JobId::NONE`] when the log was full
/// (the steps are then not recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JobId(usize);

impl JobId {
    /// No record.
    pub(crate) const NONE: JobId = JobId(usize::MAX);
}

/// A copy of the log (see [`TimelineLog::snapshot`]).
#[derive(Debug, Default)]
pub(crate) struct TimelineSnapshot {
    pub(crate) compiles: Vec<CompileRecord>,
    pub(crate) osr: Vec<OsrRecord>,
    pub(crate) failures: Vec<FailureRecord>,
    pub(crate) dropped: u64,
}

#[derive(Debug, Default)]
struct Lists {
    compiles: Vec<CompileRecord>,
    osr: Vec<OsrRecord>,
    failures: Vec<FailureRecord>,
}

/// A module's timeline log (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct TimelineLog {
    lists: Mutex<Lists>,
    dropped: AtomicU64,
}

impl TimelineLog {
    /// Records that a compile of `func` for `tier` was requested at `enqueued`; returns the
    /// handle for its later steps.
    pub(crate) fn enqueued(
        &self,
        func: DefinedFuncIdx,
        tier: Tier,
        kind: CompileKind,
        enqueued: Instant,
    ) -> JobId {
        let mut lists = self.lists.lock();
        if lists.compiles.len() >= MAX_TIMELINE_RECORDS {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return JobId::NONE;
        }
        lists.compiles.push(CompileRecord {
            func,
            tier,
            kind,
            worker: None,
            thread: None,
            enqueued,
            dequeued: None,
            start: None,
            end: None,
            outcome: CompileOutcome::Pending,
            rejected: false,
        });
        JobId(lists.compiles.len() - 1)
    }

    /// Records a compile that ran on the current thread without waiting in a queue (it was
    /// requested, taken and started at `start`) and ended at `end` with `outcome`.
    pub(crate) fn ran_here(
        &self,
        func: DefinedFuncIdx,
        tier: Tier,
        kind: CompileKind,
        (enqueued, start, end): (Instant, Instant, Instant),
        outcome: Result<(), &str>,
    ) {
        let id = self.enqueued(func, tier, kind, enqueued);
        self.started(id, None, start, start);
        self.finished(id, end, outcome);
    }

    /// Records that the queue refused the request `id` (it is left out of the statistics).
    pub(crate) fn rejected(&self, id: JobId) {
        self.update(id, |r| r.rejected = true);
    }

    /// Records that the current thread (background worker `worker`, if it is one) took
    /// compile `id` from the queue at `dequeued` and started compiling at `start`.
    pub(crate) fn started(
        &self,
        id: JobId,
        worker: Option<u32>,
        dequeued: Instant,
        start: Instant,
    ) {
        if id == JobId::NONE {
            return;
        }
        let thread = std::thread::current();
        self.update(id, |r| {
            r.worker = worker;
            r.thread = Some(thread);
            r.dequeued = Some(dequeued);
            r.start = Some(start);
        });
    }

    /// Records that the current thread (background worker `worker`) took compile `id` from
    /// the queue at `dequeued` and dropped it without compiling, for `reason`.
    pub(crate) fn skipped(&self, id: JobId, worker: Option<u32>, dequeued: Instant, reason: &str) {
        if id == JobId::NONE {
            return;
        }
        let thread = std::thread::current();
        self.update(id, |r| {
            r.worker = worker;
            r.thread = Some(thread);
            r.dequeued = Some(dequeued);
            r.outcome = CompileOutcome::Skipped(reason.to_owned());
        });
    }

    /// Records that compile `id` ended at `end`: installed (`Ok`) or failed. A failure is
    /// also recorded as a [`FailureRecord`].
    pub(crate) fn finished(&self, id: JobId, end: Instant, outcome: Result<(), &str>) {
        if id == JobId::NONE {
            return;
        }
        let mut lists = self.lists.lock();
        let Some(record) = lists.compiles.get_mut(id.0) else {
            return;
        };
        record.end = Some(end);
        record.outcome = match outcome {
            Ok(()) => CompileOutcome::Installed,
            Err(reason) => CompileOutcome::Failed(reason.to_owned()),
        };
        if let Err(reason) = outcome {
            let failure = FailureRecord {
                at: end,
                func: record.func,
                tier: record.tier,
                kind: record.kind,
                reason: reason.to_owned(),
            };
            Self::push(&self.dropped, &mut lists.failures, failure);
        }
    }

    /// Records an on-stack replacement.
    pub(crate) fn osr(&self, record: OsrRecord) {
        let mut lists = self.lists.lock();
        Self::push(&self.dropped, &mut lists.osr, record);
    }

    /// A copy of everything recorded so far (rejected requests left out).
    pub(crate) fn snapshot(&self) -> TimelineSnapshot {
        let lists = self.lists.lock();
        TimelineSnapshot {
            compiles: lists
                .compiles
                .iter()
                .filter(|r| !r.rejected)
                .cloned()
                .collect(),
            osr: lists.osr.clone(),
            failures: lists.failures.clone(),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    fn update(&self, id: JobId, f: impl FnOnce(&mut CompileRecord)) {
        if let Some(record) = self.lists.lock().compiles.get_mut(id.0) {
            f(record);
        }
    }

    fn push<T>(dropped: &AtomicU64, list: &mut Vec<T>, record: T) {
        if list.len() < MAX_TIMELINE_RECORDS {
            list.push(record);
        } else {
            dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compile_goes_through_its_steps() {
        let log = TimelineLog::default();
        let f = DefinedFuncIdx(2);
        let t0 = Instant::now();
        let id = log.enqueued(f, Tier::Optimized, CompileKind::Background, t0);
        let rejected = log.enqueued(f, Tier::Optimized, CompileKind::Background, t0);
        log.rejected(rejected);
        let snap = log.snapshot();
        assert_eq!(snap.compiles.len(), 1);
        assert_eq!(snap.compiles[0].outcome, CompileOutcome::Pending);
        let t1 = Instant::now();
        log.started(id, Some(3), t1, t1);
        log.finished(id, Instant::now(), Err("too big"));
        let snap = log.snapshot();
        let r = &snap.compiles[0];
        assert_eq!(r.worker, Some(3));
        assert!(r.thread.is_some());
        assert!(r.enqueued <= r.dequeued.unwrap());
        assert!(r.start.unwrap() <= r.end.unwrap());
        assert_eq!(r.outcome, CompileOutcome::Failed("too big".into()));
        assert_eq!(snap.failures.len(), 1);
        assert_eq!(snap.failures[0].reason, "too big");
        // A record the log had no room for is a no-op everywhere.
        log.started(JobId::NONE, None, t1, t1);
        log.finished(JobId::NONE, t1, Ok(()));
    }
}
