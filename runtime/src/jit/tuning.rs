//! Every tuning constant of the runtime's tiering and code management, in one place (as
//! Wizard keeps its knobs in `Tuning`). Each says what it trades. Semantic limits (frame
//! sizes, stack depths) are not here: they live with the tier that enforces them.
//!
//! The embedder-visible thresholds are the defaults of [`crate::Config`], chosen with `tierup
//! lab` on the real-program corpus (`bench/corpus`) and the lab corpus (`bench/lab`; see the
//! README's *Default thresholds*); the others are internal and were chosen on the benchmark
//! kernels and the WASI workload (`bench/`).

/// Default [`crate::Config::baseline_after`]: calls plus loop back-edges a function runs in the
/// interpreter before the baseline JIT compiles it. Lower reaches machine code sooner, at the
/// cost of compiling functions that would have finished quickly interpreted. 1,000: after the
/// interpreter's and the baseline's speed-ups, quiet sweeps over the real-program and lab
/// corpora put it level with or ahead of every lower setting tried (300 with `opt_after`
/// 3,000 was 3% slower on the real programs and 5% on the lab corpus; the README's *Default
/// thresholds*).
pub const DEFAULT_BASELINE_AFTER: u32 = 1000;

/// Default [`crate::Config::opt_after`]: further calls plus back-edges in the tier below the
/// optimizer before a function is queued for Cranelift. Lower optimizes sooner, at the cost of
/// background compile time (about 1,000 times the baseline's per byte) spent on lukewarm code.
/// 10,000 goes with `DEFAULT_BASELINE_AFTER` (3,000 was tried, 3–5% slower; the README's
/// *Default thresholds*): the compile runs on another core while the function goes on in
/// baseline code.
pub const DEFAULT_OPT_AFTER: u32 = 10000;

/// Default [`crate::Config::opt_queue_capacity`]: how many functions may wait for the
/// optimizer at once. A full queue sheds load: the function asks again later.
pub const DEFAULT_OPT_QUEUE: usize = 1024;

/// A worker compiles a function's direct callees that wait in the optimizer's queue before
/// the function itself (so that its calls to them are linked `call rel32`s) when their wasm
/// bodies are at most this many bytes. Small callees are where the cost of a call through a
/// cell shows, and they compile in a fraction of a millisecond; a larger callee would delay
/// the function, the hottest job, for little.
pub const CALLEES_FIRST_MAX_BYTES: usize = 256;

/// The most background compile threads the default configuration uses (it takes one less
/// than the hardware threads, leaving a core to the program, and at least one).
pub const MAX_DEFAULT_COMPILE_THREADS: usize = 4;

/// While a function waits for (or is being compiled by) the optimizer, and while the OSR
/// entry of an optimized function is being compiled, its lower-tier activations call the
/// `tier_up` libcall every this many ticks to ask whether the code is ready. Polling from the
/// running thread is what moves a looping activation over: a store to the countdown from the
/// compiling thread can be lost (the running code decrements it with a plain read-modify-write
/// that keeps forwarding its own earlier value). Lower moves a loop into optimized code
/// sooner; each poll costs one libcall (a lock and a map lookup), so 10,000 ticks keep the
/// overhead under 1% in the tightest loops while adding microseconds of latency.
pub const OPT_POLL_TICKS: i32 = 10_000;

/// When a loop of an optimized function has no OSR entry (it has live operands on the stack
/// at its header, or the compile failed), how many ticks before its activation asks again
/// (another of the function's loops may have one).
pub const OSR_RETRY_TICKS: i32 = 1000;

/// Eager compiles (the `opt` mode) use parallel threads only when each thread gets at least
/// this many functions: a thread and its ISA cost more than compiling a few small functions.
pub const MIN_FUNCS_PER_EAGER_THREAD: usize = 32;

/// Default [`crate::Config::max_code_memory`]: the machine code (and stubs) all the modules of
/// an engine may commit together. Code memory is committed as it is published (in pages),
/// so the limit costs nothing until it is reached; it is there to turn runaway compilation
/// into an error instead of an exhausted machine.
pub const DEFAULT_MAX_CODE_MEMORY: usize = 1 << 30;

/// The size of a module's first code segment (`CodeArena`); each next segment is twice the
/// last, up to [`MAX_SEGMENT`]. Segments are address space until code is written, so this only
/// trades the number of segments (each a mapping, and a run the trap registry searches) against
/// address space.
pub const FIRST_SEGMENT: usize = 256 << 10;

/// See [`FIRST_SEGMENT`]: the largest segment the doubling reaches (a single publication bigger
/// than this gets a segment of its own size).
pub const MAX_SEGMENT: usize = 64 << 20;

/// Cache colouring of published code when it is made executable by `mprotect` (the fallback
/// `Mapping::Protect` of `CodeArena`, where each publication takes whole pages): each chunk
/// starts at one of this many cache-line offsets in its page, so functions published one by one
/// do not all compete for the same L1 instruction-cache set. (Dual-mapped code is packed, which
/// spreads it over the sets anyway.)
pub const CACHE_COLOURS: usize = 64;

/// See [`CACHE_COLOURS`]: consecutive chunks get colours this far apart (coprime with the
/// number of colours, so every colour is used).
pub const CACHE_COLOUR_STRIDE: usize = 37;

/// The cache-line size: colours are spaced by it, and each dual-mapped publication starts in a
/// fresh line.
pub const CACHE_LINE: usize = 64;

/// The most records a module's timeline log keeps per list (compiles, OSR events, failures;
/// `crate::stats::Timeline`): a bound on its memory (about 100 bytes a record) for programs
/// that tier up without end. Compiles are at most a few per function; 2^20 covers eager
/// compiles of the largest modules we test (100,000 functions). What does not fit is counted
/// (`Timeline::dropped`).
pub const MAX_TIMELINE_RECORDS: usize = 1 << 20;
