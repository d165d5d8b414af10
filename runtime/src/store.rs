//! [`Store`]: owns every instance, function, memory, table and global, and the slot stack.
//!
//! Handles (`Func`, `Memory`, …) are indices into the store plus the store's id, so they are
//! `Copy` and can never dangle. Everything a vmctx points to is boxed and lives as long as the
//! store. A store is used by one thread at a time (`&mut` access); while wasm runs, the store is
//! reached through the raw pointer in `StoreCtx::host`, which the entry path sets.

use std::any::Any;
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tierup_abi::{FuncType, Libcalls, SlotStack, StoreCtx, VmCtx, VmFuncRef};

use crate::engine::Engine;
use crate::error::Error;
use crate::func::{Func, HostFunc};
use crate::instance::InstanceData;
use crate::interrupt::{InterruptHandle, StoreSignals, UpdateDeadline};
use crate::limits::{LimiterFn, ResourceLimiter};
use crate::vm::{GlobalData, MemoryData, NativeStackMem, SlotStackMem, TableData};

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// What a function is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FuncKind {
    /// Defined by a module (its `VmFuncRef` names the instance and function).
    Wasm,
    /// A host function: index into `Store::host_funcs`.
    Host { index: u32 },
}

/// A function reference together with the store index of its function, so that a funcref
/// slot (a `*const VmFuncRef`) leads back to its [`Func`] without a lookup table.
/// `#[repr(C)]` with the `VmFuncRef` first: the two pointers are the same.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct FuncRefCell {
    pub(crate) vm: VmFuncRef,
    pub(crate) index: u32,
}

/// A function owned by the store.
#[derive(Debug)]
pub(crate) struct FuncData {
    pub(crate) funcref: Box<FuncRefCell>,
    pub(crate) ty: Arc<FuncType>,
    pub(crate) kind: FuncKind,
}

/// The part of a store that does not depend on the host data type.
///
/// Memories, tables and globals are boxed on purpose: vmctxs point into them, so they must not
/// move when their vectors grow.
#[derive(Debug)]
#[expect(clippy::vec_box, reason = "vmctxs hold pointers into the boxes")]
pub(crate) struct StoreInner {
    pub(crate) id: u64,
    pub(crate) engine: Engine,
    pub(crate) funcs: Vec<FuncData>,
    pub(crate) memories: Vec<Box<MemoryData>>,
    pub(crate) tables: Vec<Box<TableData>>,
    pub(crate) globals: Vec<Box<GlobalData>>,
    pub(crate) instances: Vec<InstanceData>,
    /// `*const VmCtx` → index in `instances`.
    pub(crate) vmctx_index: HashMap<usize, u32>,
    pub(crate) externrefs: Vec<Box<dyn Any + Send + Sync>>,
    pub(crate) ctx: Box<StoreCtx>,
    /// Always `Some` until the store drops (then it goes back to the thread's pool).
    pub(crate) stack: Option<SlotStackMem>,
    /// Interrupt requests and the epoch deadline (the tiers test `signals.attention`).
    pub(crate) signals: Arc<StoreSignals>,
    pub(crate) libcalls: Box<Libcalls>,
    /// The error of a host function, parked while the trap unwinds through wasm frames.
    pub(crate) pending_error: Option<Error>,
    /// The native stack wasm runs on (mapped at the first call; back to the thread's pool when
    /// the store drops).
    pub(crate) native_stack: Option<NativeStackMem>,
}

// SAFETY: the raw pointers in a store point into memory the store owns; a store is only used
// through `&mut` (or while a call that holds `&mut` is running) on one thread at a time.
unsafe impl Send for StoreInner {}

impl Drop for StoreInner {
    fn drop(&mut self) {
        // Instances first: they end their native-entry subscriptions, which write into the
        // function references (`funcs`, dropped before `instances` otherwise).
        self.instances.clear();
        if let Some(stack) = self.stack.take() {
            stack.release();
        }
        if let Some(stack) = self.native_stack.take() {
            stack.release();
        }
    }
}

impl StoreInner {
    fn fuel_enabled(&self) -> Result<(), Error> {
        if self.engine.config().consume_fuel {
            Ok(())
        } else {
            Err(Error::msg(
                "fuel is not enabled in this engine (Config::consume_fuel)",
            ))
        }
    }

    /// Whether an interrupt was requested (and not yet delivered) or the epoch deadline has
    /// passed: blocking host functions return early when it holds.
    pub(crate) fn interrupt_pending(&self) -> bool {
        self.signals.pending(self.engine.epochs())
    }

    pub(crate) fn add_func(&mut self, vm: VmFuncRef, ty: Arc<FuncType>, kind: FuncKind) -> Func {
        let index = self.funcs.len() as u32;
        let funcref = Box::new(FuncRefCell { vm, index });
        self.funcs.push(FuncData { funcref, ty, kind });
        Func {
            store_id: self.id,
            index,
        }
    }

    /// The reference of function `index`, as tiers and slots see it.
    pub(crate) fn funcref(&self, index: u32) -> &VmFuncRef {
        &self.funcs[index as usize].funcref.vm
    }

    /// The function a non-null funcref slot of this store refers to.
    pub(crate) fn func_of_ref(&self, slot: u64) -> Option<Func> {
        // SAFETY: funcref slots of a store only ever hold pointers to its own `FuncRefCell`s
        // (`Val::to_slot` checks the store; imports are checked at instantiation), which live
        // as long as the store; `vm` is the first field of the `#[repr(C)]` cell.
        let index = unsafe { (*(slot as *const FuncRefCell)).index };
        Some(Func {
            store_id: self.id,
            index,
        })
    }
}

/// All the state of one "world" of instances, plus the embedder's data `T`.
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    pub(crate) host_funcs: Vec<Arc<HostFunc<T>>>,
    /// What to do when the epoch deadline is reached (`None`: trap).
    pub(crate) epoch_callback: Option<EpochCallback<T>>,
    pub(crate) data: T,
    /// The resource limiter installed by [`Store::limiter`].
    pub(crate) limiter: Option<LimiterFn<T>>,
}

/// A store's epoch-deadline callback (see [`Store::epoch_deadline_callback`]).
pub(crate) type EpochCallback<T> =
    Box<dyn FnMut(StoreContextMut<'_, T>) -> Result<UpdateDeadline, Error> + Send + Sync>;

impl<T> std::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("id", &self.inner.id).finish()
    }
}

impl<T: 'static> Store<T> {
    /// A new, empty store.
    ///
    /// # Panics
    /// If the slot stack cannot be mapped (the system is out of address space).
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let stack = SlotStackMem::acquire(engine.config().max_wasm_stack)
            .expect("failed to map the wasm slot stack");
        let signals = StoreSignals::new();
        if engine.config().epoch_interruption {
            engine.epochs().register(&signals);
        }
        let ctx = Box::new(StoreCtx {
            stack: SlotStack {
                base: stack.base,
                end: stack.end,
                top: stack.base,
            },
            interrupt: signals.attention_ptr(),
            fuel: 0,
            native_stack_limit: 0,
            depth: 0,
            host: std::ptr::null_mut(),
            pending_trap: std::ptr::null_mut(),
            interrupt_poll: signals.poll_ptr(),
        });
        Store {
            inner: StoreInner {
                id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
                engine: engine.clone(),
                funcs: Vec::new(),
                memories: Vec::new(),
                tables: Vec::new(),
                globals: Vec::new(),
                instances: Vec::new(),
                vmctx_index: HashMap::new(),
                externrefs: Vec::new(),
                ctx,
                stack: Some(stack),
                signals,
                libcalls: Box::new(crate::jit::libcalls::table::<T>()),
                pending_error: None,
                native_stack: None,
            },
            host_funcs: Vec::new(),
            epoch_callback: None,
            data,
            limiter: None,
        }
    }
}

impl<T> Store<T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// Consumes the store, returning the embedder's data.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The engine this store belongs to.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Installs a resource limiter: `limiter` maps the store's data to a
    /// [`ResourceLimiter`] kept in it (usually a [`crate::StoreLimits`]), as in Wasmtime:
    /// `store.limiter(|data| &mut data.limits)`. From then on every memory and table growth and
    /// every instantiation asks it first (see [`crate::limits`]), in every tier.
    ///
    /// Install it before instantiating anything: memories and tables already in the store do
    /// not count against totals the limiter keeps.
    pub fn limiter(
        &mut self,
        limiter: impl (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + Sync + 'static,
    ) {
        self.limiter = Some(Box::new(limiter));
    }

    /// A handle that interrupts wasm running in this store, from any thread.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle {
            signals: self.inner.signals.clone(),
            engine: self.inner.engine.clone(),
        }
    }

    /// Sets the fuel left to `fuel` ([`crate::Config::consume_fuel`]).
    ///
    /// # Errors
    /// If the engine does not consume fuel.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<(), Error> {
        self.inner.fuel_enabled()?;
        self.inner.ctx.fuel = i64::try_from(fuel).unwrap_or(i64::MAX);
        Ok(())
    }

    /// The fuel left ([`crate::Config::consume_fuel`]): what [`Store::set_fuel`] gave, less what
    /// wasm has paid since; 0 after a trap with [`crate::TrapCode::OutOfFuel`].
    ///
    /// # Errors
    /// If the engine does not consume fuel.
    pub fn get_fuel(&self) -> Result<u64, Error> {
        self.inner.fuel_enabled()?;
        Ok(self.inner.ctx.fuel.max(0) as u64)
    }

    /// Sets the epoch deadline to `ticks` after the engine's current epoch
    /// ([`crate::Config::epoch_interruption`]; `u64::MAX` means none, the default). When
    /// [`crate::Engine::increment_epoch`] reaches it, wasm running in this store stops at its
    /// next function entry or loop header: it traps with [`crate::TrapCode::Interrupted`], or
    /// calls the [`Store::epoch_deadline_callback`]. (Wasmtime's stores start with a deadline
    /// of 0, which traps at once; tierup's start with none.)
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        let clock = self.inner.engine.epochs();
        self.inner.signals.set_deadline(clock, ticks);
    }

    /// Reaching the epoch deadline traps (the default; undoes a callback).
    pub fn epoch_deadline_trap(&mut self) {
        self.epoch_callback = None;
    }

    /// Calls `callback` when the epoch deadline is reached, with the store; it returns
    /// [`UpdateDeadline::Continue`] with the ticks until the next deadline to let the wasm go
    /// on, or an error, with which the wasm call fails (as a host function's error does).
    pub fn epoch_deadline_callback(
        &mut self,
        callback: impl FnMut(StoreContextMut<'_, T>) -> Result<UpdateDeadline, Error>
        + Send
        + Sync
        + 'static,
    ) {
        self.epoch_callback = Some(Box::new(callback));
    }

    pub(crate) fn set_host_ptr(&mut self) {
        self.inner.ctx.host = self as *mut Store<T> as *mut c_void;
    }

    /// The instance index of a vmctx of this store.
    pub(crate) fn instance_of(&self, vmctx: *const VmCtx) -> Option<u32> {
        self.inner.vmctx_index.get(&(vmctx as usize)).copied()
    }
}

/// Read access to a store: implemented by [`Store`], [`Caller`], and references to them.
pub trait AsContext {
    /// The store's data type.
    type Data;
    /// The store.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Write access to a store.
pub trait AsContextMut: AsContext {
    /// The store, mutably.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

/// A borrowed store.
#[derive(Debug)]
pub struct StoreContext<'a, T>(pub(crate) &'a Store<T>);

/// A mutably borrowed store.
#[derive(Debug)]
pub struct StoreContextMut<'a, T>(pub(crate) &'a mut Store<T>);

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self)
    }
}

impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self)
    }
}

impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.0)
    }
}

impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        (**self).as_context_mut()
    }
}

/// The view of the store that a host function gets: the embedder's data and the calling
/// instance's exports.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    pub(crate) instance: Option<u32>,
}

impl<T> std::fmt::Debug for Caller<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("instance", &self.instance)
            .finish()
    }
}

impl<T> Caller<'_, T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        self.store.data()
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut()
    }

    /// Whether the store was asked to stop: an [`crate::InterruptHandle`] request not yet
    /// delivered, or a passed epoch deadline. A host function that blocks (waits for input,
    /// sleeps) should poll this every few milliseconds and return an error (for example
    /// `Error::Trap` with [`crate::TrapCode::Interrupted`]) when it holds, so that timeouts
    /// also end guests blocked in the host.
    pub fn interrupt_pending(&self) -> bool {
        self.store.inner.interrupt_pending()
    }

    /// A handle on the store's stop signals (see [`Store::interrupt_handle`]): a host
    /// function that blocks can hand it to code that cannot borrow the caller.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.store.interrupt_handle()
    }

    /// The fuel left (see [`Store::get_fuel`]).
    ///
    /// # Errors
    /// If the engine does not consume fuel.
    pub fn get_fuel(&self) -> Result<u64, Error> {
        self.store.get_fuel()
    }

    /// Sets the fuel left (see [`Store::set_fuel`]).
    ///
    /// # Errors
    /// If the engine does not consume fuel.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<(), Error> {
        self.store.set_fuel(fuel)
    }

    /// An export of the calling instance (e.g. its `memory`), if called from wasm.
    pub fn get_export(&mut self, name: &str) -> Option<crate::Extern> {
        let instance = self.instance?;
        self.store.inner.instances[instance as usize]
            .exports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| *e)
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.store)
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.store)
    }
}
