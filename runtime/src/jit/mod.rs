//! Machine-code support shared by the JIT tiers (DESIGN.md §4–§6), in named parts:
//!
//! - [`policy`]: the tiering policy (thresholds, tier states, the decision at each hot
//!   site), pure and unit-tested;
//! - [`tiering`]: a module's machine code ([`tiering::ModuleJit`]) and the orchestration that
//!   carries the policy out (compile, queue, publish);
//! - [`code_table`]: [`code_table::CodeTable`], the only place that publishes code;
//! - [`code_cache`]: the on-disk cache of optimized code, per module and function;
//! - [`osr`]: on-stack-replacement entries into baseline and optimized code;
//! - [`stubs`]: the runtime's own stubs (interpreter entries, the raise routine, OSR
//!   dispatch), with the register conventions they share;
//! - `libcalls`: the implementations of every libcall (`tierup_abi::libcalls`), gathered into
//!   the table each store's vmctx points to;
//! - [`timeline`]: the log of compiles, on-stack replacements and failures over time (the
//!   statistics' tier timeline);
//! - [`tuning`]: every tuning constant;
//! - [`workers`]: the optimizer's background compile threads;
//! - [`arena`]: [`arena::CodeArena`], executable memory that grows in segments, each byte
//!   written once before it is published, and [`arena::CodeBudget`], the engine's cap on it;
//! - [`registry`]: [`registry::CodeRegistry`], which code ranges exist and which of their
//!   instructions may fault with which [`tierup_abi::TrapCode`]; lock-free for readers, so a
//!   signal handler can consult it, and growing without bound;
//! - [`traps`]: entry trampolines and the signal handler that turns faults into traps;
//! - `perf_map`: `TIERUP_PERF_MAP=1` support for `perf`.

pub mod arena;
pub mod code_cache;
pub(crate) mod code_table;
pub(crate) mod libcalls;
pub(crate) mod osr;
mod perf_map;
pub(crate) mod policy;
pub mod registry;
pub(crate) mod stubs;
pub mod tiering;
pub(crate) mod timeline;
pub mod traps;
pub mod tuning;
pub mod workers;

pub(crate) use tiering::supported;
