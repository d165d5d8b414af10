//! The optimizer's background workers (DESIGN.md §4): a pool of threads fed by one bounded
//! priority queue ([`JobQueue`]), each owning a reusable [`tierup_optimizer::Compiler`] (its
//! ISA, `Context` and `FunctionBuilderContext`).
//!
//! Priority: the queue is one heap shared by every worker, and a worker that becomes free
//! takes the hottest job waiting ([`Job::priority`]), so a burst of warm functions cannot
//! delay the one the program spends its time in, and no job waits for a busy worker while
//! another is idle. (DESIGN.md §4 feeds the workers through a `crossbeam` channel; a channel
//! is first-in first-out, and the earlier scheme, in which each worker drained the channel
//! into a heap of its own, left jobs behind a worker busy with a long compile while another
//! worker slept.)
//!
//! Lifetime: threads start when the first function of a module gets warm (its first tier-up
//! decision, [`OptWorkers::prestart`]; at the latest with the first job, or when a module with
//! a code cache asks for its warm start) and build their compilers, then warm them up the
//! first time they find no job waiting (a warm start, already queued, goes first: it loads
//! code, and the program is waiting for it). A job holds only a `Weak` reference to its
//! module's machine-code state, so a queued job never keeps a dropped module alive; a job
//! whose module is gone (or retired) is skipped. The pool is shared by the engine and its
//! modules; when the last of them is dropped, the queue closes, every worker finishes the
//! job in hand and exits, and the pool joins them, so no compile outlives the engine and none
//! publishes into a freed module.

use std::collections::BinaryHeap;
use std::sync::{Arc, OnceLock, Weak};
use std::thread::JoinHandle;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};
use tierup_abi::DefinedFuncIdx;

use crate::config::default_compile_threads;
use crate::jit::tiering::ModuleJit;
use crate::jit::timeline::JobId;

/// What a job does.
#[derive(Debug)]
pub(crate) enum JobKind {
    /// Optimize a function's entry.
    Optimize(DefinedFuncIdx),
    /// Compile a function's on-stack-replacement entries at these loops, `(header pc, module
    /// offset of the loop)`.
    Osr(DefinedFuncIdx, Vec<(u32, u32)>),
    /// The module's warm start ([`ModuleJit::warm_start_job`]: install the optimized code the
    /// code cache holds).
    WarmStart,
}

/// A request to the optimizer's workers.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) module: Weak<ModuleJit>,
    pub(crate) kind: JobKind,
    /// Higher runs first: how fast the function became hot.
    pub(crate) priority: u64,
    /// When it was queued (for the queue-wait statistic).
    pub(crate) queued_at: Instant,
    /// Its record in the module's timeline log.
    pub(crate) record: JobId,
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.priority == other.priority && self.queued_at == other.queued_at
    }
}

impl Eq for Job {}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Job {
    /// Hotter first; among equals, the one queued earlier.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| other.queued_at.cmp(&self.queued_at))
    }
}

/// A bounded priority queue shared by producers and the workers: [`JobQueue::push`] never
/// blocks, [`JobQueue::pop`] blocks until an item is there (the greatest first) or the queue
/// is closed. Invariant: a worker sleeps only while the heap is empty, so no item waits while
/// a worker is idle.
pub(crate) struct JobQueue<T> {
    state: Mutex<QueueState<T>>,
    ready: Condvar,
    capacity: usize,
}

struct QueueState<T> {
    waiting: BinaryHeap<T>,
    closed: bool,
}

impl<T: Ord> JobQueue<T> {
    /// An open, empty queue with room for `capacity` items (at least 1).
    pub(crate) fn new(capacity: usize) -> JobQueue<T> {
        JobQueue {
            state: Mutex::new(QueueState {
                waiting: BinaryHeap::new(),
                closed: false,
            }),
            ready: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    /// Adds `item` and wakes one sleeping worker.
    ///
    /// # Errors
    /// Gives the item back when the queue is full or closed.
    pub(crate) fn push(&self, item: T) -> Result<(), T> {
        let mut state = self.state.lock();
        if state.closed || state.waiting.len() >= self.capacity {
            return Err(item);
        }
        state.waiting.push(item);
        drop(state);
        self.ready.notify_one();
        Ok(())
    }

    /// The greatest item, waiting for one if there is none; `None` once the queue is closed
    /// (what is still waiting then is dropped with the queue).
    pub(crate) fn pop(&self) -> Option<T> {
        let mut state = self.state.lock();
        loop {
            if state.closed {
                return None;
            }
            if let Some(item) = state.waiting.pop() {
                return Some(item);
            }
            self.ready.wait(&mut state);
        }
    }

    /// The greatest item, if one is waiting (and the queue is open).
    pub(crate) fn try_pop(&self) -> Option<T> {
        let mut state = self.state.lock();
        if state.closed {
            return None;
        }
        state.waiting.pop()
    }

    /// Takes out the first waiting item `wanted` accepts, if any (a linear search: the queue
    /// is short).
    pub(crate) fn take(&self, wanted: impl Fn(&T) -> bool) -> Option<T> {
        let mut state = self.state.lock();
        let mut items = std::mem::take(&mut state.waiting).into_vec();
        let taken = items
            .iter()
            .position(wanted)
            .map(|at| items.swap_remove(at));
        state.waiting = BinaryHeap::from(items);
        taken
    }

    /// Whether no item is waiting.
    pub(crate) fn is_empty(&self) -> bool {
        self.state.lock().waiting.is_empty()
    }

    /// Closes the queue: every `pop`, waiting or future, returns `None`; `push` fails.
    pub(crate) fn close(&self) {
        self.state.lock().closed = true;
        self.ready.notify_all();
    }
}

struct Running {
    queue: Arc<JobQueue<Job>>,
    threads: Vec<JoinHandle<()>>,
}

/// The pool (see the module docs).
pub(crate) struct OptWorkers {
    /// `None`: the default, worked out when the threads start.
    threads: Option<usize>,
    capacity: usize,
    running: OnceLock<Mutex<Option<Running>>>,
}

impl std::fmt::Debug for OptWorkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OptWorkers")
            .field("threads", &self.threads)
            .field("capacity", &self.capacity)
            .field("started", &self.running.get().is_some())
            .finish()
    }
}

impl OptWorkers {
    /// A pool of `threads` workers (`None`: [`default_compile_threads`]) with room for
    /// `capacity` waiting jobs (not started yet).
    pub(crate) fn new(threads: Option<usize>, capacity: usize) -> Arc<OptWorkers> {
        Arc::new(OptWorkers {
            threads: threads.map(|n| n.max(1)),
            capacity: capacity.max(1),
            running: OnceLock::new(),
        })
    }

    /// Starts the threads now, so that each builds and warms up its compiler
    /// ([`tierup_optimizer::Compiler::warm_up`]) while the program still runs in the lower
    /// tiers, instead of when the first hot function is already waiting. A tiered module
    /// calls it at its first tier-up decision; idle workers only wait on the queue.
    pub(crate) fn prestart(&self) {
        self.running.get_or_init(|| Mutex::new(self.start()));
    }

    /// Queues `job`, starting the threads on first use.
    ///
    /// # Errors
    /// Gives the job back when the queue is full (or the threads could not start).
    pub(crate) fn submit(&self, job: Job) -> Result<(), Job> {
        let running = self.running.get_or_init(|| Mutex::new(self.start()));
        let guard = running.lock();
        let Some(running) = guard.as_ref() else {
            return Err(job);
        };
        running.queue.push(job)
    }

    fn start(&self) -> Option<Running> {
        let queue = Arc::new(JobQueue::new(self.capacity));
        let count = self.threads.unwrap_or_else(default_compile_threads);
        let mut threads = Vec::with_capacity(count);
        let program_cpu = current_cpu();
        for i in 0..count {
            let queue = Arc::clone(&queue);
            let spawned = spawn_off_cpu(format!("tierup-opt-{i}"), program_cpu, move || {
                work(i as u32, &queue)
            });
            match spawned {
                Ok(handle) => threads.push(handle),
                Err(_) if !threads.is_empty() => break,
                Err(_) => return None,
            }
        }
        Some(Running { queue, threads })
    }
}

impl Drop for OptWorkers {
    fn drop(&mut self) {
        let Some(running) = self.running.get_mut().and_then(|m| m.get_mut().take()) else {
            return;
        };
        running.queue.close();
        let me = std::thread::current().id();
        for thread in running.threads {
            // The last owner may be a worker itself (it dropped the last module): it exits
            // on its own once the queue is closed.
            if thread.thread().id() != me {
                let _ = thread.join();
            }
        }
    }
}

/// The CPU the calling thread runs on now (Linux `sched_getcpu`).
fn current_cpu() -> Option<usize> {
    // SAFETY: `sched_getcpu` takes no arguments and only reads the thread's state.
    let cpu = unsafe { libc::sched_getcpu() };
    usize::try_from(cpu).ok()
}

/// The CPUs the calling thread may run on, if the system says.
fn allowed_cpus() -> Option<libc::cpu_set_t> {
    // SAFETY: `cpu_set_t` is plain data, valid when zeroed; `sched_getaffinity` on thread 0
    // (the caller) writes only the set passed, with its exact size.
    unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        let size = std::mem::size_of::<libc::cpu_set_t>();
        (libc::sched_getaffinity(0, size, &mut allowed) == 0).then_some(allowed)
    }
}

/// Starts a thread named `name` running `body` that starts on another CPU than `cpu` (the
/// program's: the caller's) when another is allowed, then may run on every allowed CPU.
///
/// A new thread is usually queued on its parent's CPU. When the parent keeps that CPU busy
/// (the program runs), the child waits there for the parent's time slice to end while the
/// other CPU idles: on a 2-CPU VM the worker started 3 ms late in most runs, and the first
/// optimized code of the `calls` kernel (a 20 ms program) waited for it. So the parent narrows
/// the child's CPU mask to the other CPUs before the child runs (a runnable thread that is
/// not allowed where it waits moves at once), and the child widens it again once it runs,
/// which moves nothing: the scheduler stays free to place the worker anywhere later.
fn spawn_off_cpu(
    name: String,
    cpu: Option<usize>,
    body: impl FnOnce() + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    use std::os::unix::thread::JoinHandleExt;
    let allowed = allowed_cpus();
    // The child widens its mask only after the parent has narrowed it (else the narrowing
    // could come last and stay).
    let (placed, wait_placed) = std::sync::mpsc::channel::<()>();
    let handle = std::thread::Builder::new().name(name).spawn(move || {
        // An error means the parent is gone without narrowing anything.
        let _ = wait_placed.recv();
        if let Some(allowed) = allowed {
            // SAFETY: `sched_setaffinity` on thread 0 (the caller) reads only the set passed,
            // with its exact size.
            unsafe {
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &allowed);
            }
        }
        body()
    })?;
    if let (Some(allowed), Some(cpu)) = (allowed, cpu)
        && cpu < libc::CPU_SETSIZE as usize
    {
        // SAFETY: the CPU_* helpers index within the set (`cpu` < CPU_SETSIZE, checked
        // above); `pthread_setaffinity_np` gets a live thread (its handle is held) and reads
        // only the set passed, with its exact size.
        unsafe {
            if libc::CPU_COUNT(&allowed) >= 2 && libc::CPU_ISSET(cpu, &allowed) {
                let mut elsewhere = allowed;
                libc::CPU_CLR(cpu, &mut elsewhere);
                libc::pthread_setaffinity_np(
                    handle.as_pthread_t(),
                    std::mem::size_of::<libc::cpu_set_t>(),
                    &elsewhere,
                );
            }
        }
    }
    let _ = placed.send(());
    Ok(handle)
}

/// Worker `index`'s loop: take the hottest waiting job, compile, publish; exit when the
/// queue is closed.
fn work(index: u32, queue: &JobQueue<Job>) {
    // Ready before the first job; a failure is reported to that job below.
    let mut compiler = tierup_optimizer::Compiler::new().ok();
    // The compiler warms up while the worker has nothing to do: a job that is already
    // waiting when the worker starts (a module's warm start, queued with the module, which
    // loads code rather than compiling it) goes first.
    let mut warmed_up = false;
    loop {
        let job = match queue.try_pop() {
            Some(job) => job,
            None => {
                if !warmed_up {
                    warmed_up = true;
                    if let Some(c) = &mut compiler
                        && c.warm_up().is_err()
                    {
                        compiler = None;
                    }
                }
                match queue.pop() {
                    Some(job) => job,
                    None => break,
                }
            }
        };
        let Some(module) = job.module.upgrade() else {
            continue;
        };
        if module.is_retired() {
            continue;
        }
        let dequeued = Instant::now();
        let compiler = match &mut compiler {
            Some(c) => c,
            None => match tierup_optimizer::Compiler::new() {
                Ok(c) => compiler.insert(c),
                Err(e) => {
                    let reason = e.to_string();
                    module
                        .timeline
                        .started(job.record, Some(index), dequeued, dequeued);
                    module
                        .timeline
                        .finished(job.record, Instant::now(), Err(&reason));
                    // A warm start is about no function in particular: nothing to mark.
                    if let JobKind::Optimize(func) | JobKind::Osr(func, _) = job.kind {
                        module.optimize_failed(func, reason);
                    }
                    continue;
                }
            },
        };
        let record = (job.record, index, dequeued);
        match job.kind {
            JobKind::Optimize(func) => {
                // Its small direct callees that wait in the queue are compiled first, by this
                // worker: compiled after them, its calls to them are direct calls to their
                // optimized code rather than calls through their cells (`OptEnv::optimized`,
                // `CALLEES_FIRST_MAX_BYTES`). Its body is scanned for them only when some job
                // waits at all.
                let callees = if queue.is_empty() {
                    Vec::new()
                } else {
                    module.queued_callees(func)
                };
                for callee in callees {
                    let is_callee = |j: &Job| {
                        matches!(j.kind, JobKind::Optimize(f) if f == callee)
                            && Weak::ptr_eq(&j.module, &job.module)
                    };
                    if let Some(first) = queue.take(is_callee) {
                        let record = (first.record, index, Instant::now());
                        module.optimize_job(compiler, callee, first.queued_at, record);
                    }
                }
                module.optimize_job(compiler, func, job.queued_at, record)
            }
            JobKind::Osr(func, loops) => module.optimize_osr_job(compiler, func, &loops, record),
            JobKind::WarmStart => module.warm_start_job(compiler, job.queued_at, index),
        }
        // A burst of compiles is over: what they added to the code cache goes to disk now,
        // while the program runs (and is safe from a run that ends abruptly).
        if queue.is_empty() {
            module.save_cache_soon();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CPUs the calling thread may run on, as a list.
    fn allowed_cpu_list() -> Vec<usize> {
        let set = allowed_cpus().expect("sched_getaffinity works on Linux");
        // SAFETY: `CPU_ISSET` indexes within the set (below CPU_SETSIZE).
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .collect()
    }

    #[test]
    fn a_free_worker_takes_what_waits_while_another_is_busy() {
        use std::sync::mpsc;
        let queue = Arc::new(JobQueue::new(8));
        let (took, taken) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        // Worker A takes the first job and keeps it until released (a long compile).
        queue.push(100).unwrap();
        let a = {
            let queue = Arc::clone(&queue);
            let took = took.clone();
            std::thread::spawn(move || {
                let job = queue.pop().unwrap();
                took.send(('a', job)).unwrap();
                released.recv().unwrap();
                while let Some(job) = queue.pop() {
                    took.send(('a', job)).unwrap();
                }
            })
        };
        assert_eq!(taken.recv().unwrap(), ('a', 100));
        // Jobs queued while A is busy, then a free worker B: B takes them, hottest first.
        queue.push(1).unwrap();
        queue.push(7).unwrap();
        queue.push(3).unwrap();
        let b = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                while let Some(job) = queue.pop() {
                    took.send(('b', job)).unwrap();
                }
            })
        };
        let order: Vec<_> = (0..3).map(|_| taken.recv().unwrap()).collect();
        assert_eq!(order, [('b', 7), ('b', 3), ('b', 1)]);
        release.send(()).unwrap();
        queue.close();
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(queue.push(5), Err(5), "a closed queue takes nothing");
    }

    #[test]
    fn take_removes_the_first_match_and_keeps_the_order_of_the_rest() {
        let queue = JobQueue::new(8);
        for job in [4, 9, 2, 7] {
            queue.push(job).unwrap();
        }
        assert_eq!(queue.take(|&j| j % 2 == 1 && j < 9), Some(7));
        assert_eq!(queue.take(|&j| j > 100), None);
        assert_eq!(queue.pop(), Some(9));
        assert_eq!(queue.pop(), Some(4));
        assert_eq!(queue.pop(), Some(2));
        assert!(queue.is_empty());
    }

    #[test]
    fn a_full_queue_gives_the_job_back() {
        let queue = JobQueue::new(2);
        queue.push(1).unwrap();
        queue.push(2).unwrap();
        assert_eq!(queue.push(3), Err(3));
        assert_eq!(queue.pop(), Some(2));
        queue.push(3).unwrap();
    }

    #[test]
    fn a_worker_starts_off_the_programs_cpu_and_keeps_every_allowed_cpu() {
        std::thread::spawn(|| {
            let before = allowed_cpu_list();
            for round in 0..20 {
                // The program's CPU, as a worker's parent gives it.
                let program = before[round % before.len()];
                let (tell, told) = std::sync::mpsc::channel();
                spawn_off_cpu("worker".into(), Some(program), move || {
                    tell.send((current_cpu(), allowed_cpu_list())).unwrap();
                })
                .unwrap()
                .join()
                .unwrap();
                let (started_on, allowed) = told.recv().unwrap();
                if before.len() >= 2 {
                    assert_ne!(started_on, Some(program), "started on the program's CPU");
                }
                assert_eq!(allowed, before, "the worker may run on every CPU again");
            }
            assert_eq!(
                allowed_cpu_list(),
                before,
                "the program's mask is untouched"
            );
        })
        .join()
        .unwrap();
    }
}
