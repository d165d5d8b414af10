//! Functions: [`Func`] handles, typed calls ([`TypedFunc`]), host functions ([`IntoFunc`]),
//! and the host → wasm entry path. (Wasm → host calls go through the `call_host` libcall, in
//! `jit::libcalls` with every other libcall.)
//!
//! Entry path (`call_raw`): arguments are written at the top of the store's slot stack and the
//! function runs there in its current tier, the interpreter or machine code through an entry
//! trampoline (DESIGN.md §3: the slot ABI); results come back in the same slots.
//!
//! Native stack: wasm never runs on the caller's stack. The outermost entry of a store switches
//! to the store's own native stack (`crate::vm::on_native_stack`, sized from
//! `Config::max_wasm_stack` so that every tier reaches the interpreter's call depth; see
//! `crate::vm::native_stack_bytes`); nested entries (host → wasm → host → wasm) stay on the
//! wasm stack the thread is running on, and an entry from a thread that is not running wasm (a
//! `Caller` lent to a scoped thread) borrows a stack of that thread's. Each entry sets the
//! store's `native_stack_limit` to its stack's low end plus `NATIVE_HOST_MARGIN` and restores
//! the enclosing entry's limit when it ends; nested entries are also counted, so deep host
//! recursion traps with `call stack exhausted` instead of crashing.
//!
//! Host functions run behind `catch_unwind`: a panicking host function becomes an error, never
//! an unwind through wasm frames.

use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use tierup_abi::types::slot_offsets;
use tierup_abi::{DefinedFuncIdx, FuncType, RawTrap, StoreCtx, TrapCode, ValType, VmFuncRef};

use crate::error::{Error, Trap};
use crate::interrupt::StoreSignals;
use crate::store::{AsContext, AsContextMut, Caller, FuncKind, Store, StoreInner};
use crate::values::{V128, Val};
use crate::vm::{NATIVE_HOST_MARGIN, NativeStackMem, native_stack_bytes, on_native_stack};

/// How many nested host → wasm entries a store allows.
const MAX_NESTED_ENTRIES: u32 = 10_000;

/// A function in a store: wasm or host. `Copy`; only meaningful with its store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

/// The raw calling convention of a host function: arguments in the first slots, results
/// written to the first slots (each value taking `ValType::slots` of them; the slice has room
/// for both).
pub(crate) type HostCallback<T> =
    Box<dyn Fn(Caller<'_, T>, &mut [u64]) -> Result<(), Error> + Send + Sync>;

/// A host function: its signature and its callback.
pub struct HostFunc<T> {
    pub(crate) ty: FuncType,
    pub(crate) callback: HostCallback<T>,
}

impl<T> HostFunc<T> {
    /// A host function from a closure over dynamically typed values.
    pub(crate) fn from_vals(
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> HostFunc<T> {
        let sig = ty.clone();
        HostFunc {
            ty,
            callback: Box::new(move |caller, slots| {
                let params: Vec<Val> = sig
                    .params
                    .iter()
                    .zip(slot_offsets(&sig.params))
                    .map(|(t, at)| Val::read_slots(*t, &slots[at..], &caller.store.inner))
                    .collect();
                let mut results: Vec<Val> =
                    sig.results.iter().map(|t| Val::default_of(*t)).collect();
                let store: *mut Store<T> = caller.store;
                f(caller, &params, &mut results)?;
                // SAFETY: `caller` (the only other borrow of the store) was consumed by `f`.
                let store = unsafe { &*store };
                for ((v, t), at) in results
                    .iter()
                    .zip(sig.results.iter())
                    .zip(slot_offsets(&sig.results))
                {
                    if v.ty() != *t {
                        return Err(Error::msg(format!(
                            "host function returned {} where {t} was expected",
                            v.ty()
                        )));
                    }
                    v.write_slots(&mut slots[at..], &store.inner);
                }
                Ok(())
            }),
        }
    }
}

impl<T> std::fmt::Debug for HostFunc<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostFunc").field("ty", &self.ty).finish()
    }
}

impl Func {
    pub(crate) fn assert_store(&self, store: &StoreInner) {
        assert_eq!(self.store_id, store.id, "function of another store");
    }

    pub(crate) fn from_host<T>(store: &mut Store<T>, host: Arc<HostFunc<T>>) -> Func {
        let type_id = store.inner.engine.type_id(&host.ty);
        let index = store.host_funcs.len() as u32;
        let funcref = VmFuncRef {
            type_id,
            defined: DefinedFuncIdx(0),
            vmctx: std::ptr::null_mut(),
            host: Arc::as_ptr(&host).cast(),
            code: std::ptr::null(),
            native: std::sync::atomic::AtomicUsize::new(0),
        };
        let ty = Arc::new(host.ty.clone());
        store.host_funcs.push(host);
        store.inner.add_func(funcref, ty, FuncKind::Host { index })
    }

    /// A host function from a Rust closure with typed parameters and results.
    pub fn wrap<T, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let host = Arc::new(f.into_host_func());
        Func::from_host(store.as_context_mut().0, host)
    }

    /// A host function of signature `ty` from a closure over [`Val`]s.
    pub fn new<T>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Func {
        let host = Arc::new(HostFunc::from_vals(ty, f));
        Func::from_host(store.as_context_mut().0, host)
    }

    /// The function's signature.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let store = &store.as_context().0.inner;
        self.assert_store(store);
        (*store.funcs[self.index as usize].ty).clone()
    }

    /// The signature, shared (no allocation).
    fn ty_shared(&self, store: &StoreInner) -> Arc<FuncType> {
        self.assert_store(store);
        store.funcs[self.index as usize].ty.clone()
    }

    /// Calls the function with dynamically typed values.
    ///
    /// # Errors
    /// A type or arity mismatch, or the trap (or host error) that ended the call.
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<(), Error> {
        let store = store.as_context_mut().0;
        let ty = self.ty_shared(&store.inner);
        if params.len() != ty.params.len() || results.len() != ty.results.len() {
            return Err(Error::msg(format!(
                "wrong number of arguments or results: function type is {ty}, got {} \
                 arguments and room for {} results",
                params.len(),
                results.len()
            )));
        }
        let mut slots = vec![0u64; ty.frame_slots()];
        for (i, ((p, t), at)) in params
            .iter()
            .zip(ty.params.iter())
            .zip(slot_offsets(&ty.params))
            .enumerate()
        {
            if p.ty() != *t || !p.belongs_to(&*store) {
                return Err(Error::msg(format!(
                    "argument {i} has type {}, expected {t}",
                    p.ty()
                )));
            }
            p.write_slots(&mut slots[at..], &store.inner);
        }
        call_raw(store, *self, &mut slots)?;
        for (i, (t, at)) in ty.results.iter().zip(slot_offsets(&ty.results)).enumerate() {
            results[i] = Val::read_slots(*t, &slots[at..], &store.inner);
        }
        Ok(())
    }

    /// A statically typed view of the function.
    ///
    /// # Errors
    /// If `P`/`R` do not match the function's signature.
    pub fn typed<P: WasmParams, R: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<P, R>, Error> {
        let ty = self.ty_shared(&store.as_context().0.inner);
        if ty.params() != P::types().as_slice() || ty.results() != R::types().as_slice() {
            return Err(Error::msg(format!(
                "type mismatch: function type is {ty}, requested {}",
                FuncType::new(P::types(), R::types())
            )));
        }
        Ok(TypedFunc {
            func: *self,
            _marker: PhantomData,
        })
    }
}

/// Calls `func` with arguments in `slots` (results written back). The entry path.
pub(crate) fn call_raw<T>(
    store: &mut Store<T>,
    func: Func,
    slots: &mut [u64],
) -> Result<(), Error> {
    func.assert_store(&store.inner);
    let data = &store.inner.funcs[func.index as usize];
    match data.kind {
        FuncKind::Host { index } => {
            let host = store.host_funcs[index as usize].clone();
            let caller = Caller {
                store,
                instance: None,
            };
            match catch_unwind(AssertUnwindSafe(|| (host.callback)(caller, slots))) {
                Ok(result) => result,
                Err(_) => Err(Error::msg("host function panicked")),
            }
        }
        FuncKind::Wasm => {
            let vmctx = data.funcref.vm.vmctx;
            let func = data.funcref.vm.defined;
            // SAFETY: a wasm function of this store names its live instance and code entry.
            let code = unsafe { data.funcref.vm.machine_code() };
            let ctx: *mut StoreCtx = &mut *store.inner.ctx;
            // SAFETY: the store's context is boxed and outlives this call; nothing else
            // accesses it until `invoke` (which is given the same pointer through the vmctx).
            let ctx_ref = unsafe { &mut *ctx };
            let fp = ctx_ref.stack.top;
            // SAFETY: `top` and `end` delimit the store's slot stack.
            let room = unsafe { ctx_ref.stack.end.offset_from(fp) } as usize;
            let depth = ctx_ref.depth;
            if room < slots.len() || depth >= MAX_NESTED_ENTRIES {
                return Err(Error::Trap(Trap::new(TrapCode::StackOverflow)));
            }
            // The native stack the call runs on (module docs): nested entries stay on the
            // wasm stack this thread is running on; the outermost one switches to the store's.
            let sp = current_stack_pointer();
            let stay = (depth > 0)
                .then(crate::vm::current_native_stack)
                .flatten()
                .filter(|&(low, top)| low <= sp && sp < top);
            let mut borrowed = None;
            let (low, top) = match stay {
                Some(bounds) => bounds,
                None => {
                    let bytes = native_stack_bytes(store.inner.engine.config().max_wasm_stack);
                    let stack = if depth == 0 {
                        match &mut store.inner.native_stack {
                            Some(stack) => stack,
                            slot @ None => {
                                slot.insert(NativeStackMem::acquire(bytes).map_err(Error::msg)?)
                            }
                        }
                    } else {
                        // Re-entered from a thread that is not running wasm (a host function
                        // lent its `Caller` to a scoped thread): the store's stack is busy
                        // below the outer entry, so borrow one of this thread's.
                        borrowed.insert(NativeStackMem::acquire(bytes).map_err(Error::msg)?)
                    };
                    (stack.low, stack.top)
                }
            };
            let limit = low + NATIVE_HOST_MARGIN;
            // Only a call that stays on the stack it runs on can find it exhausted: a switch
            // starts at the top of a stack of its own, and `sp` (this thread's own stack, at an
            // address unrelated to that one) says nothing about it.
            if stay.is_some() && sp < limit {
                return Err(Error::Trap(Trap::new(TrapCode::StackOverflow)));
            }
            // SAFETY: `room` slots are available at `fp`.
            unsafe { std::ptr::copy_nonoverlapping(slots.as_ptr(), fp, slots.len()) };
            let guard = EntryGuard::enter(ctx, &store.inner.signals, fp, limit);
            store.set_host_ptr();
            let run = || {
                // SAFETY: `vmctx` is a live instance of this store, `func` one of its defined
                // functions (FuncKind::Wasm), and `fp` is the top of the store's slot stack with
                // the arguments written; `store` stays borrowed (unused) for the whole call.
                unsafe {
                    if code != 0 {
                        crate::jit::traps::call_jit(code, vmctx, fp)
                    } else {
                        tierup_interp::invoke(vmctx, func, fp)
                    }
                }
            };
            let result = if stay.is_some() {
                run()
            } else {
                // SAFETY: `[low, top)` is the store's native stack, idle at depth 0 (or one
                // borrowed for this call), and the store (or `borrowed`) keeps it mapped.
                unsafe { on_native_stack(low, top, run) }
            };
            let outermost = guard.exit();
            if let Some(stack) = borrowed {
                stack.release();
            }
            match result {
                Ok(()) => {
                    // SAFETY: the callee wrote its results to `fp[0..results]`.
                    unsafe { std::ptr::copy_nonoverlapping(fp, slots.as_mut_ptr(), slots.len()) };
                    Ok(())
                }
                Err(raw) => Err(trap_error(&mut store.inner, *raw, outermost)),
            }
        }
    }
}

/// Sets the store's entry state (nesting depth, native stack limit) for a host → wasm call and
/// restores it (with the slot-stack top) when the call ends, however it ends.
struct EntryGuard {
    ctx: *mut StoreCtx,
    /// The store's signals (they hold the stack limit machine code checks); the store keeps
    /// them alive for the whole call.
    signals: *const StoreSignals,
    fp: *mut u64,
    /// The native stack limit of the enclosing entry (it may run on another stack).
    limit: usize,
}

impl EntryGuard {
    fn enter(ctx: *mut StoreCtx, signals: &StoreSignals, fp: *mut u64, limit: usize) -> EntryGuard {
        // SAFETY: `ctx` is the live, boxed context of the calling store.
        let previous = unsafe {
            (*ctx).depth += 1;
            std::mem::replace(&mut (*ctx).native_stack_limit, limit)
        };
        signals.set_stack_limit(limit);
        EntryGuard {
            ctx,
            signals,
            fp,
            limit: previous,
        }
    }

    /// Ends the entry; true if it was the outermost one.
    fn exit(self) -> bool {
        let ctx = self.ctx;
        drop(self);
        // SAFETY: as in `enter`.
        unsafe { (*ctx).depth == 0 }
    }
}

impl Drop for EntryGuard {
    fn drop(&mut self) {
        // SAFETY: as in `enter`; the store outlives the call that created the guard.
        unsafe {
            (*self.ctx).depth -= 1;
            (*self.ctx).stack.top = self.fp;
            (*self.ctx).native_stack_limit = self.limit;
            // Outside wasm nothing reads the checked limit, and the next entry sets it.
            if (*self.ctx).depth > 0 {
                (*self.signals).set_stack_limit(self.limit);
            }
        }
    }
}

/// Turns a raw trap into the public error, merging a parked host error (a trap or an
/// [`Error::Host`] collects this activation's frames into its backtrace). An interruption is
/// consumed only when the outermost call returns, so a host function in between cannot
/// swallow it and carry on.
fn trap_error(store: &mut StoreInner, mut raw: RawTrap, outermost: bool) -> Error {
    // While an interrupt request is pending, optimized code's entry stack check fails
    // (`VmCtx::stack_limit`): that is how the request reaches a function entry there.
    if raw.code == TrapCode::StackOverflow && store.signals.interrupt_requested() {
        raw.code = TrapCode::Interrupted;
    }
    let error = trap_error_of(store, raw);
    // An interruption (by the tiers, or by a host function that saw the request while it
    // waited) is delivered once: the next call starts afresh.
    if outermost
        && error
            .as_trap()
            .is_some_and(|t| t.code() == TrapCode::Interrupted)
    {
        store.signals.clear_request(store.ctx.native_stack_limit);
    }
    error
}

fn trap_error_of(store: &mut StoreInner, raw: RawTrap) -> Error {
    match raw.code {
        TrapCode::HostError => match store.pending_error.take() {
            Some(Error::Trap(mut trap)) => {
                trap.extend_backtrace(raw);
                Error::Trap(trap)
            }
            Some(Error::Host(mut host)) => {
                host.extend_backtrace(raw);
                Error::Host(host)
            }
            Some(other) => other,
            None => Error::Trap(Trap::from_raw(raw)),
        },
        _ => Error::Trap(Trap::from_raw(raw)),
    }
}

/// A function with a statically known signature: calls skip dynamic type checks.
#[derive(Debug)]
pub struct TypedFunc<P, R> {
    func: Func,
    _marker: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, R> Copy for TypedFunc<P, R> {}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    /// Calls the function.
    ///
    /// # Errors
    /// The trap (or host error) that ended the call.
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R, Error> {
        let store = store.as_context_mut().0;
        let mut slots = [0u64; 16];
        let n = P::SLOTS.max(R::SLOTS);
        let slots = if n <= 16 {
            &mut slots[..n]
        } else {
            return self.call_large(store, params);
        };
        params.write(slots);
        call_raw(store, self.func, slots)?;
        Ok(R::read(slots))
    }

    fn call_large<T>(&self, store: &mut Store<T>, params: P) -> Result<R, Error> {
        let mut slots = vec![0u64; P::SLOTS.max(R::SLOTS)];
        params.write(&mut slots);
        call_raw(store, self.func, &mut slots)?;
        Ok(R::read(&slots))
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }
}

/// A Rust type that is a wasm number type.
pub trait WasmTy: Copy + Send + Sync + 'static {
    /// The wasm type.
    const VALTYPE: ValType;
    /// The wasm type.
    fn valtype() -> ValType {
        Self::VALTYPE
    }
    /// Encodes into its frame slots (`VALTYPE.slots()` of them, at the start of `slots`).
    fn write_slots(self, slots: &mut [u64]);
    /// Decodes from its frame slots.
    fn read_slots(slots: &[u64]) -> Self;
}

macro_rules! wasm_ty {
    ($t:ty, $vt:ident, |$v:ident| $to:expr, |$s:ident| $from:expr) => {
        impl WasmTy for $t {
            const VALTYPE: ValType = ValType::$vt;
            fn write_slots(self, slots: &mut [u64]) {
                let $v = self;
                slots[0] = $to;
            }
            fn read_slots(slots: &[u64]) -> Self {
                let $s = slots[0];
                $from
            }
        }
    };
}

impl WasmTy for V128 {
    const VALTYPE: ValType = ValType::V128;
    fn write_slots(self, slots: &mut [u64]) {
        V128::write_slots(self, slots);
    }
    fn read_slots(slots: &[u64]) -> Self {
        V128::read_slots(slots)
    }
}

impl WasmTy for u128 {
    const VALTYPE: ValType = ValType::V128;
    fn write_slots(self, slots: &mut [u64]) {
        V128::from(self).write_slots(slots);
    }
    fn read_slots(slots: &[u64]) -> Self {
        V128::read_slots(slots).as_u128()
    }
}

wasm_ty!(i32, I32, |v| u64::from(v as u32), |s| s as u32 as i32);
wasm_ty!(u32, I32, |v| u64::from(v), |s| s as u32);
wasm_ty!(i64, I64, |v| v as u64, |s| s as i64);
wasm_ty!(u64, I64, |v| v, |s| s);
wasm_ty!(f32, F32, |v| u64::from(v.to_bits()), |s| f32::from_bits(
    s as u32
));
wasm_ty!(f64, F64, |v| v.to_bits(), |s| f64::from_bits(s));

/// Parameter lists of typed calls: `()`, a [`WasmTy`], or a tuple of them.
pub trait WasmParams: Send + Sync + 'static {
    /// The frame slots the values take.
    const SLOTS: usize;
    /// The wasm types.
    fn types() -> Vec<ValType>;
    /// Writes the values to the first slots.
    fn write(self, slots: &mut [u64]);
}

/// Result lists of typed calls: `()`, a [`WasmTy`], or a tuple of them.
pub trait WasmResults: Send + Sync + 'static {
    /// The frame slots the values take.
    const SLOTS: usize;
    /// The wasm types.
    fn types() -> Vec<ValType>;
    /// Reads the values from the first slots.
    fn read(slots: &[u64]) -> Self;
}

impl<A: WasmTy> WasmParams for A {
    const SLOTS: usize = A::VALTYPE.slots();
    fn types() -> Vec<ValType> {
        vec![A::VALTYPE]
    }
    fn write(self, slots: &mut [u64]) {
        self.write_slots(slots);
    }
}

impl<A: WasmTy> WasmResults for A {
    const SLOTS: usize = A::VALTYPE.slots();
    fn types() -> Vec<ValType> {
        vec![A::VALTYPE]
    }
    fn read(slots: &[u64]) -> Self {
        A::read_slots(slots)
    }
}

macro_rules! tuples {
    ($($name:ident $idx:tt),*) => {
        impl<$($name: WasmTy),*> WasmParams for ($($name,)*) {
            const SLOTS: usize = 0 $(+ $name::VALTYPE.slots())*;
            fn types() -> Vec<ValType> {
                vec![$($name::VALTYPE),*]
            }
            #[allow(unused_variables, unused_mut, unused_assignments)]
            fn write(self, slots: &mut [u64]) {
                let mut at = 0;
                $(
                    self.$idx.write_slots(&mut slots[at..]);
                    at += $name::VALTYPE.slots();
                )*
            }
        }

        impl<$($name: WasmTy),*> WasmResults for ($($name,)*) {
            const SLOTS: usize = 0 $(+ $name::VALTYPE.slots())*;
            fn types() -> Vec<ValType> {
                vec![$($name::VALTYPE),*]
            }
            #[allow(unused_variables, unused_mut, unused_assignments, clippy::unused_unit)]
            fn read(slots: &[u64]) -> Self {
                let mut at = 0;
                ($({
                    let value = $name::read_slots(&slots[at..]);
                    at += $name::VALTYPE.slots();
                    value
                },)*)
            }
        }
    };
}

tuples!();
tuples!(A 0);
tuples!(A 0, B 1);
tuples!(A 0, B 1, C 2);
tuples!(A 0, B 1, C 2, D 3);
tuples!(A 0, B 1, C 2, D 3, E 4);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuples!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// What a host closure may return: `()`, [`WasmTy`] values or tuples, or a `Result` of those.
pub trait WasmRet: 'static {
    /// The wasm result types.
    fn types() -> Vec<ValType>;
    /// Writes the results to the first slots.
    ///
    /// # Errors
    /// The host function's own error.
    fn write(self, slots: &mut [u64]) -> Result<(), Error>;
}

impl<R: WasmResults + WasmParams> WasmRet for R {
    fn types() -> Vec<ValType> {
        <R as WasmResults>::types()
    }
    fn write(self, slots: &mut [u64]) -> Result<(), Error> {
        WasmParams::write(self, slots);
        Ok(())
    }
}

impl<R: WasmResults + WasmParams> WasmRet for Result<R, Error> {
    fn types() -> Vec<ValType> {
        <R as WasmResults>::types()
    }
    fn write(self, slots: &mut [u64]) -> Result<(), Error> {
        WasmParams::write(self?, slots);
        Ok(())
    }
}

/// Closures that can become host functions: `Fn(Caller<'_, T>, A1, …, An) -> R` or
/// `Fn(A1, …, An) -> R` with `Ai: WasmTy` and `R: WasmRet`, for up to 8 parameters.
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    /// The host function.
    fn into_host_func(self) -> HostFunc<T>;
}

/// Marker for closures that take a [`Caller`] first.
#[derive(Debug)]
pub struct WithCaller<P>(PhantomData<P>);

macro_rules! into_func {
    ($($name:ident $idx:tt),*) => {
        impl<T, F, R, $($name: WasmTy),*> IntoFunc<T, ($($name,)*), R> for F
        where
            F: Fn($($name),*) -> R + Send + Sync + 'static,
            R: WasmRet,
        {
            #[allow(unused_variables)]
            fn into_host_func(self) -> HostFunc<T> {
                HostFunc {
                    ty: FuncType::new(vec![$($name::valtype()),*], R::types()),
                    callback: Box::new(move |_caller, slots| {
                        let args = <($($name,)*) as WasmResults>::read(slots);
                        let r = self($(args.$idx),*);
                        r.write(slots)
                    }),
                }
            }
        }

        impl<T, F, R, $($name: WasmTy),*> IntoFunc<T, WithCaller<($($name,)*)>, R> for F
        where
            F: Fn(Caller<'_, T>, $($name),*) -> R + Send + Sync + 'static,
            R: WasmRet,
        {
            #[allow(unused_variables)]
            fn into_host_func(self) -> HostFunc<T> {
                HostFunc {
                    ty: FuncType::new(vec![$($name::valtype()),*], R::types()),
                    callback: Box::new(move |caller, slots| {
                        let args = <($($name,)*) as WasmResults>::read(slots);
                        let r = self(caller, $(args.$idx),*);
                        r.write(slots)
                    }),
                }
            }
        }
    };
}

into_func!();
into_func!(A 0);
into_func!(A 0, B 1);
into_func!(A 0, B 1, C 2);
into_func!(A 0, B 1, C 2, D 3);
into_func!(A 0, B 1, C 2, D 3, E 4);
into_func!(A 0, B 1, C 2, D 3, E 4, F1 5);
into_func!(A 0, B 1, C 2, D 3, E 4, F1 5, G 6);
into_func!(A 0, B 1, C 2, D 3, E 4, F1 5, G 6, H 7);

/// The native stack pointer of the calling thread.
///
/// Read from the register rather than taken as a local's address: under AddressSanitizer's
/// use-after-return detection (on by default in recent LLVM, so in every cargo-fuzz build) locals
/// live on a heap-allocated "fake stack", whose addresses are far below the thread's real stack
/// and made every entry into wasm look like a stack overflow.
#[inline(always)]
fn current_stack_pointer() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let sp: usize;
        // SAFETY: reads a register into a local; touches no memory, stack or flags.
        unsafe {
            std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
        };
        sp
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let marker = 0u8;
        std::hint::black_box(&marker) as *const u8 as usize
    }
}
