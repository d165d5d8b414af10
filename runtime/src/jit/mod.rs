//! Machine-code support shared by the JIT tiers (DESIGN.md §5, §6): where code lives and how a
//! fault in it becomes a trap.
//!
//! - [`arena`]: [`arena::CodeArena`], executable memory written once (W^X: pages are filled
//!   while read-write, then made read-execute and never written again).
//! - [`registry`]: [`registry::CodeRegistry`], which code ranges exist and which of their
//!   instructions may fault with which [`tierup_abi::TrapCode`]; lock-free for readers, so a
//!   signal handler can consult it.
//! - [`traps`]: entry trampolines and the signal handler that turns faults into traps.
//! - [`tiering`]: per-module machine-code state, the tiering policy and its libcalls.
//! - [`workers`]: the optimizer's background compile threads.

pub mod arena;
pub mod registry;
pub mod tiering;
pub mod traps;
pub mod workers;

pub(crate) use tiering::supported;
