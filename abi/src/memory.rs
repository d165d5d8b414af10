//! How linear memories are laid out and bounds-checked (DESIGN.md §6), as every tier and the
//! runtime must agree.
//!
//! A 32-bit memory reserves 4 GiB plus [`GUARD_BYTES`] of address space up front (`PROT_NONE`
//! beyond the current length): its base never moves, and an access at a 32-bit index plus a
//! static offset below the guard size either hits the memory or faults in the reservation.

/// The size of a wasm page in bytes.
pub const WASM_PAGE_SIZE: u64 = 65536;

/// The guard region behind each 32-bit memory's 4 GiB reservation. Machine code may leave an
/// access unchecked when its static offset plus its size is at most this (in
/// [`BoundsChecks::Guard`] mode): the fault is the trap.
pub const GUARD_BYTES: u64 = 32 << 20;

/// How machine code checks memory accesses. The interpreter always checks explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoundsChecks {
    /// Rely on the 4 GiB + [`GUARD_BYTES`] reservation: an out-of-bounds access faults and the
    /// signal handler turns the fault into a trap. Accesses with a static offset beyond the
    /// guard are still checked explicitly.
    #[default]
    Guard,
    /// Compare every access with the memory's current length.
    Explicit,
}
