//! [`Val`] (a dynamically typed wasm value), [`ExternRef`], and their slot encodings.

use std::any::Any;

use tierup_abi::{ValType, VmFuncRef};

use crate::func::Func;
use crate::store::{AsContext, AsContextMut, Store, StoreInner};

/// A host reference, as `externref` values carry it: a handle into the store's table of host
/// values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternRef {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

impl ExternRef {
    /// Wraps a host value in a new reference.
    pub fn new(mut store: impl AsContextMut, value: impl Any + Send + Sync) -> ExternRef {
        let store = &mut store.as_context_mut().0.inner;
        let index = store.externrefs.len() as u32;
        store.externrefs.push(Box::new(value));
        ExternRef {
            store_id: store.id,
            index,
        }
    }

    /// The host value.
    ///
    /// # Panics
    /// If the reference belongs to another store.
    pub fn data<'a, T: 'a>(&self, store: &'a Store<T>) -> &'a (dyn Any + Send + Sync) {
        assert_eq!(self.store_id, store.inner.id, "externref of another store");
        &*store.inner.externrefs[self.index as usize]
    }
}

/// A `v128` value: 128 bits, lane 0 in the least significant bits (wasm's little-endian lane
/// order), as Wasmtime's `V128`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct V128(u128);

impl V128 {
    /// The bits.
    pub const fn as_u128(self) -> u128 {
        self.0
    }

    /// The 16 bytes in memory order (lane 0 of `i8x16` first).
    pub const fn to_le_bytes(self) -> [u8; 16] {
        self.0.to_le_bytes()
    }

    /// The value with these bytes in memory order.
    pub const fn from_le_bytes(bytes: [u8; 16]) -> V128 {
        V128(u128::from_le_bytes(bytes))
    }

    /// Writes the value to two frame slots (low half first).
    pub(crate) fn write_slots(self, slots: &mut [u64]) {
        slots[0] = self.0 as u64;
        slots[1] = (self.0 >> 64) as u64;
    }

    /// Reads a value from two frame slots.
    pub(crate) fn read_slots(slots: &[u64]) -> V128 {
        V128(u128::from(slots[0]) | (u128::from(slots[1]) << 64))
    }
}

impl From<u128> for V128 {
    fn from(bits: u128) -> V128 {
        V128(bits)
    }
}

impl From<V128> for u128 {
    fn from(v: V128) -> u128 {
        v.0
    }
}

/// A wasm value. Floats are raw bits, so NaN payloads survive round trips.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as bits.
    F32(u32),
    /// An `f64`, as bits.
    F64(u64),
    /// A `v128`.
    V128(V128),
    /// A `funcref` (`None` is null).
    FuncRef(Option<Func>),
    /// An `externref` (`None` is null).
    ExternRef(Option<ExternRef>),
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The `i32`, if this is one.
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The `i64`, if this is one.
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The `f32`, if this is one.
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }

    /// The `f64`, if this is one.
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }

    /// The `v128`, if this is one.
    pub fn v128(&self) -> Option<V128> {
        if let Val::V128(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The null reference of a reference type; `None` for number types.
    pub fn null_of(ty: ValType) -> Option<Val> {
        match ty {
            ValType::FuncRef => Some(Val::FuncRef(None)),
            ValType::ExternRef => Some(Val::ExternRef(None)),
            _ => None,
        }
    }

    /// The zero (or null) value of a type.
    pub fn default_of(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(V128(0)),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        }
    }

    /// Encodes the value into its frame slots (`self.ty().slots()` of them, at the start of
    /// `slots`; see `tierup_abi::vmctx` for references).
    pub(crate) fn write_slots(self, slots: &mut [u64], store: &StoreInner) {
        match self {
            Val::V128(v) => v.write_slots(slots),
            other => slots[0] = other.to_slot(store),
        }
    }

    /// Decodes a value of type `ty` from its frame slots (at the start of `slots`).
    pub(crate) fn read_slots(ty: ValType, slots: &[u64], store: &StoreInner) -> Val {
        match ty {
            ValType::V128 => Val::V128(V128::read_slots(slots)),
            ty => Val::from_slot(ty, slots[0], store),
        }
    }

    /// Encodes a one-slot value as a slot (see `tierup_abi::vmctx` for references); a `v128`
    /// is encoded by [`Val::write_slots`] (its low half here).
    pub(crate) fn to_slot(self, store: &StoreInner) -> u64 {
        match self {
            Val::V128(v) => v.as_u128() as u64,
            Val::I32(v) => u64::from(v as u32),
            Val::I64(v) => v as u64,
            Val::F32(v) => u64::from(v),
            Val::F64(v) => v,
            Val::FuncRef(None) | Val::ExternRef(None) => 0,
            Val::FuncRef(Some(f)) => {
                f.assert_store(store);
                store.funcref(f.index) as *const VmFuncRef as u64
            }
            Val::ExternRef(Some(e)) => {
                assert_eq!(e.store_id, store.id, "externref of another store");
                u64::from(e.index) + 1
            }
        }
    }

    /// Decodes a slot of one-slot type `ty` (a `v128` from its low half only: use
    /// [`Val::read_slots`]).
    pub(crate) fn from_slot(ty: ValType, slot: u64, store: &StoreInner) -> Val {
        match ty {
            ValType::V128 => Val::V128(V128(u128::from(slot))),
            ValType::I32 => Val::I32(slot as u32 as i32),
            ValType::I64 => Val::I64(slot as i64),
            ValType::F32 => Val::F32(slot as u32),
            ValType::F64 => Val::F64(slot),
            ValType::FuncRef => Val::FuncRef(if slot == 0 {
                None
            } else {
                store.func_of_ref(slot)
            }),
            ValType::ExternRef => Val::ExternRef(if slot == 0 {
                None
            } else {
                Some(ExternRef {
                    store_id: store.id,
                    index: (slot - 1) as u32,
                })
            }),
        }
    }

    /// Whether the value may be used in `store` (references belong to one store).
    pub(crate) fn belongs_to(&self, store: impl AsContext) -> bool {
        let id = store.as_context().0.inner.id;
        match self {
            Val::FuncRef(Some(f)) => f.store_id == id,
            Val::ExternRef(Some(e)) => e.store_id == id,
            _ => true,
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}

impl From<V128> for Val {
    fn from(v: V128) -> Val {
        Val::V128(v)
    }
}
