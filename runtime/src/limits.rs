//! Per-store resource limits: the [`ResourceLimiter`] trait, and [`StoreLimits`] (built by
//! [`StoreLimitsBuilder`]), the limiter most embedders want, as in Wasmtime.
//!
//! [`Store::limiter`](crate::Store::limiter) installs a limiter: a closure from the store's
//! data to a `&mut dyn ResourceLimiter` living in it. From then on **every** way a store can
//! gain memory asks it first:
//! - instantiation: the number of instances, tables and memories the store would hold, and the
//!   initial size of each table and memory the module defines (a refusal is an instantiation
//!   error that names the limit);
//! - the embedding API: [`Memory::new`](crate::Memory::new), [`Table::new`](crate::Table::new),
//!   [`Memory::grow`](crate::Memory::grow), [`Table::grow`](crate::Table::grow);
//! - `memory.grow` and `table.grow` in wasm: every tier (interpreter, baseline, optimizer)
//!   calls the same runtime routine for them (the `memory_grow` and `table_grow` libcalls), so
//!   a limit holds the same whatever tier the code runs in. A refused growth makes the
//!   instruction return -1, as the spec allows; a limiter that returns `Err` makes it trap
//!   with that error instead (it comes out of the wasm call unchanged).
//!
//! The engine-wide caps ([`Config::max_memory_pages`](crate::Config::max_memory_pages),
//! [`Config::max_table_elements`](crate::Config::max_table_elements)) still apply after the
//! limiter has agreed; a growth they refuse is reported to
//! [`ResourceLimiter::memory_grow_failed`] / [`ResourceLimiter::table_grow_failed`].
//!
//! Unlike Wasmtime's, [`StoreLimits`] can also bound **store-wide totals**: the bytes of all
//! linear memories together and the elements of all tables together. A per-table limit alone
//! does not bound a module that defines many tables (each table element is an 8-byte slot
//! allocated up front: twenty tables of 10M elements are 1.6 GB).

use tierup_abi::{RawTrap, TrapCode};

use crate::error::{Error, Trap};
use crate::types::{MemoryType, TableType};
use crate::vm::{MemoryData, TableData};

/// The default of [`ResourceLimiter::instances`] and [`StoreLimitsBuilder::instances`].
pub const DEFAULT_INSTANCE_LIMIT: usize = 10_000;
/// The default of [`ResourceLimiter::tables`] and [`StoreLimitsBuilder::tables`].
pub const DEFAULT_TABLE_LIMIT: usize = 10_000;
/// The default of [`ResourceLimiter::memories`] and [`StoreLimitsBuilder::memories`].
pub const DEFAULT_MEMORY_LIMIT: usize = 10_000;

/// Decides whether a store's memories and tables may grow, and how many instances, tables and
/// memories it may hold (Wasmtime's trait of the same name). Install one with
/// [`Store::limiter`](crate::Store::limiter).
///
/// Sizes are in bytes for memories and in elements for tables. Creating a memory or table
/// (at instantiation or through the API) counts as growing it from 0 to its initial size.
///
/// The runtime calls [`ResourceLimiter::memory_grow_failed`] right after a
/// [`ResourceLimiter::memory_growing`] that returned `Ok(true)` when the growth then fails
/// after all (beyond the memory's declared maximum or the engine's cap, or out of memory);
/// the same holds for tables. A limiter that keeps running totals (as [`StoreLimits`] does)
/// can therefore take back what it granted.
pub trait ResourceLimiter {
    /// A memory wants to grow from `current` to `desired` bytes; `maximum` is its declared
    /// maximum in bytes, if it has one. `Ok(true)` allows the growth, `Ok(false)` refuses it
    /// (`memory.grow` returns -1, [`Memory::grow`](crate::Memory::grow) and instantiation
    /// fail), `Err` traps the running wasm with that error (or is returned by the API call).
    ///
    /// # Errors
    /// Whatever the limiter wants to stop the guest with.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, Error>;

    /// A growth allowed by [`ResourceLimiter::memory_growing`] failed after all; `error`
    /// says why. The default ignores it.
    ///
    /// # Errors
    /// `Err` turns the failure into a trap (or an error of the API call).
    fn memory_grow_failed(&mut self, error: Error) -> Result<(), Error> {
        let _ = error;
        Ok(())
    }

    /// A table wants to grow from `current` to `desired` elements; `maximum` is its declared
    /// maximum, if any. As [`ResourceLimiter::memory_growing`].
    ///
    /// # Errors
    /// Whatever the limiter wants to stop the guest with.
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, Error>;

    /// A growth allowed by [`ResourceLimiter::table_growing`] failed after all. The default
    /// ignores it.
    ///
    /// # Errors
    /// `Err` turns the failure into a trap (or an error of the API call).
    fn table_grow_failed(&mut self, error: Error) -> Result<(), Error> {
        let _ = error;
        Ok(())
    }

    /// How many instances the store may hold (checked at each instantiation).
    fn instances(&self) -> usize {
        DEFAULT_INSTANCE_LIMIT
    }

    /// How many tables the store may hold, defined by modules or created by the host.
    fn tables(&self) -> usize {
        DEFAULT_TABLE_LIMIT
    }

    /// How many linear memories the store may hold, defined by modules or created by the host.
    fn memories(&self) -> usize {
        DEFAULT_MEMORY_LIMIT
    }

    /// Why the most recent `*_growing` call returned `Ok(false)`, if the limiter knows (an
    /// addition to Wasmtime's trait): instantiation and API errors include it, so they name
    /// the limit that was hit. The default knows nothing.
    fn last_denial(&self) -> Option<String> {
        None
    }
}

/// The usual [`ResourceLimiter`]: fixed limits on sizes and counts, per memory or table and
/// for the whole store. Build one with [`StoreLimitsBuilder`]; keep it in the store's data and
/// install it with `store.limiter(|data| &mut data.limits)`.
///
/// ```
/// # #[cfg(feature = "wat")] {
/// use tierup_runtime::{Engine, Instance, Module, Store, StoreLimits, StoreLimitsBuilder};
///
/// struct Host {
///     limits: StoreLimits,
/// }
/// let engine = Engine::default();
/// let limits = StoreLimitsBuilder::new()
///     .memory_size(1 << 20) // each memory at most 1 MiB
///     .total_table_elements(100_000) // all tables together
///     .build();
/// let mut store = Store::new(&engine, Host { limits });
/// store.limiter(|host| &mut host.limits);
/// let module = Module::new(&engine, r#"(module (memory 32))"#)?; // 2 MiB
/// let err = Instance::new(&mut store, &module, &[]).unwrap_err();
/// assert!(err.to_string().contains("per-memory limit"), "{err}");
/// # }
/// # Ok::<(), tierup_runtime::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    table_elements: Option<usize>,
    total_memory_size: Option<usize>,
    total_table_elements: Option<usize>,
    instances: usize,
    tables: usize,
    memories: usize,
    trap_on_grow_failure: bool,
    /// Bytes granted to all memories so far.
    memory_total: usize,
    /// Elements granted to all tables so far.
    table_total: usize,
    /// What the last grant added to `memory_total` (taken back if that growth fails).
    memory_pending: usize,
    /// What the last grant added to `table_total`.
    table_pending: usize,
    last_denial: Option<String>,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            memory_size: None,
            table_elements: None,
            total_memory_size: None,
            total_table_elements: None,
            instances: DEFAULT_INSTANCE_LIMIT,
            tables: DEFAULT_TABLE_LIMIT,
            memories: DEFAULT_MEMORY_LIMIT,
            trap_on_grow_failure: false,
            memory_total: 0,
            table_total: 0,
            memory_pending: 0,
            table_pending: 0,
            last_denial: None,
        }
    }
}

impl StoreLimits {
    /// Limits with no size limits and the default counts (as [`StoreLimitsBuilder::new`]).
    pub fn new() -> StoreLimits {
        StoreLimits::default()
    }

    /// The bytes of linear memory granted so far, all memories of the store together.
    pub fn total_memory_bytes(&self) -> usize {
        self.memory_total
    }

    /// The table elements granted so far, all tables of the store together.
    pub fn total_table_elements(&self) -> usize {
        self.table_total
    }

    /// Refuses with `reason`: `Ok(false)`, or a trap when trapping on refusals.
    fn deny(&mut self, reason: String) -> Result<bool, Error> {
        if self.trap_on_grow_failure {
            return Err(resource_limit_trap(reason));
        }
        self.last_denial = Some(reason);
        Ok(false)
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, Error> {
        self.memory_pending = 0;
        if let Some(limit) = self.memory_size
            && desired > limit
        {
            return self.deny(format!(
                "a memory of {desired} bytes is over the per-memory limit of {limit} bytes"
            ));
        }
        let grant = desired.saturating_sub(current);
        if let Some(limit) = self.total_memory_size
            && self.memory_total.saturating_add(grant) > limit
        {
            return self.deny(format!(
                "{} more bytes of memory would bring the store's total to {}, over its limit of \
                 {limit} bytes",
                grant,
                self.memory_total.saturating_add(grant)
            ));
        }
        let before = self.memory_total;
        self.memory_total = before.saturating_add(grant);
        self.memory_pending = self.memory_total - before;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: Error) -> Result<(), Error> {
        self.memory_total -= std::mem::take(&mut self.memory_pending);
        if self.trap_on_grow_failure {
            return Err(resource_limit_trap(error.to_string()));
        }
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, Error> {
        self.table_pending = 0;
        if let Some(limit) = self.table_elements
            && desired > limit
        {
            return self.deny(format!(
                "a table of {desired} elements is over the per-table limit of {limit} elements"
            ));
        }
        let grant = desired.saturating_sub(current);
        if let Some(limit) = self.total_table_elements
            && self.table_total.saturating_add(grant) > limit
        {
            return self.deny(format!(
                "{} more table elements would bring the store's total to {}, over its limit \
                 of {limit} elements",
                grant,
                self.table_total.saturating_add(grant)
            ));
        }
        let before = self.table_total;
        self.table_total = before.saturating_add(grant);
        self.table_pending = self.table_total - before;
        Ok(true)
    }

    fn table_grow_failed(&mut self, error: Error) -> Result<(), Error> {
        self.table_total -= std::mem::take(&mut self.table_pending);
        if self.trap_on_grow_failure {
            return Err(resource_limit_trap(error.to_string()));
        }
        Ok(())
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }

    fn last_denial(&self) -> Option<String> {
        self.last_denial.clone()
    }
}

/// A [`TrapCode::ResourceLimit`] trap saying `why` (its wasm backtrace is added on the way out
/// of the wasm call).
fn resource_limit_trap(why: String) -> Error {
    Error::Trap(Trap::from_raw(RawTrap {
        code: TrapCode::ResourceLimit,
        frames: Vec::new(),
        detail: Some(why),
    }))
}

/// Builds [`StoreLimits`] (Wasmtime's builder, plus store-wide totals). Every size limit is
/// off until set; counts default to [`DEFAULT_INSTANCE_LIMIT`], [`DEFAULT_TABLE_LIMIT`] and
/// [`DEFAULT_MEMORY_LIMIT`].
#[derive(Debug, Clone, Default)]
pub struct StoreLimitsBuilder(StoreLimits);

impl StoreLimitsBuilder {
    /// A builder with no size limits and the default counts.
    pub fn new() -> StoreLimitsBuilder {
        StoreLimitsBuilder::default()
    }

    /// The largest size, in bytes, that any one linear memory may reach (initial size
    /// included).
    #[must_use]
    pub fn memory_size(mut self, bytes: usize) -> Self {
        self.0.memory_size = Some(bytes);
        self
    }

    /// The largest number of elements that any one table may reach.
    #[must_use]
    pub fn table_elements(mut self, elements: usize) -> Self {
        self.0.table_elements = Some(elements);
        self
    }

    /// The most bytes of linear memory the store may hold, all its memories together.
    #[must_use]
    pub fn total_memory_size(mut self, bytes: usize) -> Self {
        self.0.total_memory_size = Some(bytes);
        self
    }

    /// The most table elements the store may hold, all its tables together.
    #[must_use]
    pub fn total_table_elements(mut self, elements: usize) -> Self {
        self.0.total_table_elements = Some(elements);
        self
    }

    /// How many instances the store may hold.
    #[must_use]
    pub fn instances(mut self, limit: usize) -> Self {
        self.0.instances = limit;
        self
    }

    /// How many tables the store may hold.
    #[must_use]
    pub fn tables(mut self, limit: usize) -> Self {
        self.0.tables = limit;
        self
    }

    /// How many linear memories the store may hold.
    #[must_use]
    pub fn memories(mut self, limit: usize) -> Self {
        self.0.memories = limit;
        self
    }

    /// Whether a refused or failed growth traps with [`TrapCode::ResourceLimit`] (saying which
    /// limit) instead of making `memory.grow` / `table.grow` return -1 (default `false`, the
    /// spec's behaviour). Instantiation and the API then fail with that trap too.
    #[must_use]
    pub fn trap_on_grow_failure(mut self, trap: bool) -> Self {
        self.0.trap_on_grow_failure = trap;
        self
    }

    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}

/// How a store keeps its limiter: a closure from the store's data to the limiter in it.
pub(crate) type LimiterFn<T> =
    Box<dyn (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + Sync + 'static>;

/// The store's limiter, from its two fields (so callers may borrow the store's other fields).
pub(crate) fn limiter<'a, T>(
    limiter: &'a mut Option<LimiterFn<T>>,
    data: &'a mut T,
) -> Option<&'a mut dyn ResourceLimiter> {
    limiter.as_mut().map(|f| f(data))
}

/// Appends the limiter's reason for its last refusal to `message`.
fn with_reason(message: String, limiter: &dyn ResourceLimiter) -> String {
    format!("{message}: {}", denial(limiter))
}

/// Checks that the store may hold `have + adding` items of a kind (`what`, plural `whats`)
/// whose limit is `limit`.
pub(crate) fn check_count(
    (what, whats): (&str, &str),
    have: usize,
    adding: usize,
    limit: usize,
) -> Result<(), Error> {
    if adding > 0 && have.saturating_add(adding) > limit {
        return Err(Error::msg(format!(
            "resource limit exceeded: {what} count too high: the store would hold {} {whats}, \
             over its limit of {limit}",
            have.saturating_add(adding)
        )));
    }
    Ok(())
}

/// [`check_count`]'s names of instances, tables and memories.
pub(crate) const INSTANCES: (&str, &str) = ("instance", "instances");
/// See [`INSTANCES`].
pub(crate) const TABLES: (&str, &str) = ("table", "tables");
/// See [`INSTANCES`].
pub(crate) const MEMORIES: (&str, &str) = ("memory", "memories");

/// Bytes of `pages` wasm pages (saturating: a size no limiter can grant).
fn page_bytes(pages: u64) -> usize {
    usize::try_from(pages.saturating_mul(tierup_abi::WASM_PAGE_SIZE)).unwrap_or(usize::MAX)
}

/// Elements as a `usize` (saturating).
fn elements(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Creates a memory of type `ty` (capped at `cap_pages`), asking the limiter first; `what`
/// names it in errors (e.g. "memory 0").
pub(crate) fn new_memory(
    mut limiter: Option<&mut (dyn ResourceLimiter + '_)>,
    ty: MemoryType,
    cap_pages: u32,
    what: &str,
) -> Result<Box<MemoryData>, Error> {
    let limits = ty.limits;
    if let Some(limiter) = limiter.as_deref_mut() {
        let desired = page_bytes(limits.min);
        let max = limits.max.map(page_bytes);
        if !limiter.memory_growing(0, desired, max)? {
            return Err(Error::msg(with_reason(
                format!(
                    "resource limit exceeded: {what}'s initial size of {} pages ({desired} bytes)",
                    limits.min
                ),
                limiter,
            )));
        }
    }
    MemoryData::new(limits, cap_pages).or_else(|message| {
        if let Some(limiter) = limiter {
            limiter.memory_grow_failed(Error::msg(&message))?;
        }
        Err(Error::Message(message))
    })
}

/// Creates a table of type `ty` filled with `init` (capped at `cap` elements), asking the
/// limiter first; `what` names it in errors.
pub(crate) fn new_table(
    mut limiter: Option<&mut (dyn ResourceLimiter + '_)>,
    ty: TableType,
    init: u64,
    cap: u32,
    what: &str,
) -> Result<Box<TableData>, Error> {
    let limits = ty.ty.limits;
    if let Some(limiter) = limiter.as_deref_mut() {
        let desired = elements(limits.min);
        if !limiter.table_growing(0, desired, limits.max.map(elements))? {
            return Err(Error::msg(with_reason(
                format!("resource limit exceeded: {what}'s initial size of {desired} elements"),
                limiter,
            )));
        }
    }
    TableData::new(ty.ty, init, cap).or_else(|message| {
        if let Some(limiter) = limiter {
            limiter.table_grow_failed(Error::msg(&message))?;
        }
        Err(Error::Message(message))
    })
}

/// Why a growth did not happen (for the API's error; `memory.grow` just returns -1).
pub(crate) type Refusal = String;

/// The limiter's reason for refusing, or a generic one.
fn denial(limiter: &dyn ResourceLimiter) -> Refusal {
    limiter
        .last_denial()
        .unwrap_or_else(|| "refused by the store's resource limiter".into())
}

/// Grows `mem` by `delta` pages with the limiter's consent: `Ok(Ok(old pages))`,
/// `Ok(Err(why))` when refused or impossible (`memory.grow` returns -1), `Err` when the
/// limiter fails. The one routine behind `memory.grow` in every tier and
/// [`crate::Memory::grow`].
pub(crate) fn grow_memory(
    limiter: Option<&mut (dyn ResourceLimiter + '_)>,
    mem: &mut MemoryData,
    delta: u64,
) -> Result<Result<u64, Refusal>, Error> {
    let old = mem.pages();
    let new = old.saturating_add(delta);
    let max_pages = mem.max_pages();
    let failure = || {
        format!(
            "memory cannot grow from {old} to {new} pages (over its maximum of {max_pages} \
             pages, or out of memory)"
        )
    };
    let Some(limiter) = limiter else {
        return Ok(mem.grow(delta).ok_or_else(failure));
    };
    if delta == 0 {
        return Ok(Ok(old));
    }
    let max = mem.limits.max.map(page_bytes);
    if !limiter.memory_growing(mem.def.length, page_bytes(new), max)? {
        return Ok(Err(denial(limiter)));
    }
    match mem.grow(delta) {
        Some(old) => Ok(Ok(old)),
        None => {
            limiter.memory_grow_failed(Error::msg(failure()))?;
            Ok(Err(failure()))
        }
    }
}

/// Grows `table` by `delta` elements of `init` with the limiter's consent, as
/// [`grow_memory`]. The one routine behind `table.grow` in every tier and
/// [`crate::Table::grow`].
pub(crate) fn grow_table(
    limiter: Option<&mut (dyn ResourceLimiter + '_)>,
    table: &mut TableData,
    delta: u64,
    init: u64,
) -> Result<Result<u64, Refusal>, Error> {
    let old = table.def.length as u64;
    let new = old.saturating_add(delta);
    let max_elements = table.max();
    let failure = || {
        format!(
            "table cannot grow from {old} to {new} elements (over its maximum of \
             {max_elements}, or out of memory)"
        )
    };
    let Some(limiter) = limiter else {
        return Ok(table.grow(delta, init).ok_or_else(failure));
    };
    if delta == 0 {
        return Ok(Ok(old));
    }
    let max = table.ty.limits.max.map(elements);
    if !limiter.table_growing(elements(old), elements(new), max)? {
        return Ok(Err(denial(limiter)));
    }
    match table.grow(delta, init) {
        Some(old) => Ok(Ok(old)),
        None => {
            limiter.table_grow_failed(Error::msg(failure()))?;
            Ok(Err(failure()))
        }
    }
}
