//! [`Extern`] and the handles of store-owned memories, tables and globals.

use crate::error::Error;
use crate::func::Func;
use crate::limits;
use crate::store::{AsContext, AsContextMut, Store, StoreInner};
use crate::types::{GlobalType, MemoryType, Mutability, TableType};
use crate::values::Val;
use crate::vm::{GlobalData, MemoryData, TableData};

/// Anything an instance can import or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A global.
    Global(Global),
    /// A linear memory.
    Memory(Memory),
    /// A table.
    Table(Table),
}

impl Extern {
    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self {
            Some(f)
        } else {
            None
        }
    }

    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self {
            Some(g)
        } else {
            None
        }
    }

    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self {
            Some(m)
        } else {
            None
        }
    }

    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self {
            Some(t)
        } else {
            None
        }
    }

    pub(crate) fn store_id(&self) -> u64 {
        match self {
            Extern::Func(f) => f.store_id,
            Extern::Global(g) => g.store_id,
            Extern::Memory(m) => m.store_id,
            Extern::Table(t) => t.store_id,
        }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}

impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}

impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}

impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}

fn check_store(store_id: u64, store: &StoreInner, what: &str) {
    assert_eq!(store_id, store.id, "{what} of another store");
}

/// A linear memory in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Memory {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

impl Memory {
    /// A new memory.
    ///
    /// # Errors
    /// If the minimum exceeds the configured maximum, the store's resource limiter refuses
    /// the memory (or one more memory), or the memory cannot be mapped.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory, Error> {
        let Store {
            inner: store,
            data,
            limiter,
            ..
        } = store.as_context_mut().0;
        let mut limiter = limits::limiter(limiter, data);
        if let Some(limiter) = limiter.as_deref_mut() {
            limits::check_count(
                limits::MEMORIES,
                store.memories.len(),
                1,
                limiter.memories(),
            )?;
        }
        let cap = store.engine.config().max_memory_pages;
        let data = limits::new_memory(limiter, ty, cap, "the new memory")?;
        store.memories.push(data);
        Ok(Memory {
            store_id: store.id,
            index: store.memories.len() as u32 - 1,
        })
    }

    fn memory_data<'a>(&self, store: &'a StoreInner) -> &'a MemoryData {
        check_store(self.store_id, store, "memory");
        &store.memories[self.index as usize]
    }

    /// The memory's type, with its current size as minimum.
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        MemoryType {
            limits: self.memory_data(&store.as_context().0.inner).limits,
        }
    }

    /// Current size in pages.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.memory_data(&store.as_context().0.inner).pages()
    }

    /// Current size in bytes.
    pub fn data_size(&self, store: impl AsContext) -> usize {
        self.memory_data(&store.as_context().0.inner).def.length
    }

    /// The memory's bytes (valid until the memory grows or the store is used mutably).
    pub fn data<'a, C: AsContext + ?Sized>(&self, store: &'a C) -> &'a [u8] {
        let store: &'a StoreInner = &store.as_context().0.inner;
        check_store(self.store_id, store, "memory");
        store.memories[self.index as usize].bytes()
    }

    /// The memory's bytes, mutably (e.g. for a host function writing results through a
    /// [`crate::Caller`]).
    pub fn data_mut<'a, C: AsContextMut + ?Sized>(&self, store: &'a mut C) -> &'a mut [u8] {
        let store: &'a mut StoreInner = &mut store.as_context_mut().0.inner;
        check_store(self.store_id, store, "memory");
        store.memories[self.index as usize].bytes_mut()
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`.
    ///
    /// # Errors
    /// If the range is out of bounds.
    pub fn read(&self, store: impl AsContext, offset: usize, buf: &mut [u8]) -> Result<(), Error> {
        let bytes = self.memory_data(&store.as_context().0.inner).bytes();
        let src = offset
            .checked_add(buf.len())
            .and_then(|end| bytes.get(offset..end))
            .ok_or_else(|| Error::msg("out of bounds memory access"))?;
        buf.copy_from_slice(src);
        Ok(())
    }

    /// Copies `buf` into the memory at `offset`.
    ///
    /// # Errors
    /// If the range is out of bounds.
    pub fn write(
        &self,
        mut store: impl AsContextMut,
        offset: usize,
        buf: &[u8],
    ) -> Result<(), Error> {
        let store = &mut store.as_context_mut().0.inner;
        check_store(self.store_id, store, "memory");
        let bytes = store.memories[self.index as usize].bytes_mut();
        let dst = offset
            .checked_add(buf.len())
            .and_then(|end| bytes.get_mut(offset..end))
            .ok_or_else(|| Error::msg("out of bounds memory access"))?;
        dst.copy_from_slice(buf);
        Ok(())
    }

    /// Grows the memory by `delta_pages`, returning the old size in pages.
    ///
    /// # Errors
    /// If it would exceed its maximum (or the configured one), or the store's resource
    /// limiter refuses it (or fails: then its error).
    pub fn grow(&self, mut store: impl AsContextMut, delta_pages: u64) -> Result<u64, Error> {
        let Store {
            inner: store,
            data,
            limiter,
            ..
        } = store.as_context_mut().0;
        check_store(self.store_id, store, "memory");
        let limiter = limits::limiter(limiter, data);
        let mem = &mut store.memories[self.index as usize];
        limits::grow_memory(limiter, mem, delta_pages)?
            .map_err(|why| Error::msg(format!("failed to grow memory: {why}")))
    }
}

/// A table in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Table {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

impl Table {
    /// A new table filled with `init`.
    ///
    /// # Errors
    /// If `init` does not match the element type, the size exceeds the configured maximum, or
    /// the store's resource limiter refuses the table (or one more table).
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table, Error> {
        let Store {
            inner: store,
            data,
            limiter,
            ..
        } = store.as_context_mut().0;
        if !ty.element().is_ref() {
            return Err(Error::msg("table elements must be of a reference type"));
        }
        if init.ty() != ty.element() {
            return Err(Error::msg("table initial value has the wrong type"));
        }
        let mut limiter = limits::limiter(limiter, data);
        if let Some(limiter) = limiter.as_deref_mut() {
            limits::check_count(limits::TABLES, store.tables.len(), 1, limiter.tables())?;
        }
        let cap = store.engine.config().max_table_elements;
        let init = init.to_slot(store);
        let data = limits::new_table(limiter, ty, init, cap, "the new table")?;
        store.tables.push(data);
        Ok(Table {
            store_id: store.id,
            index: store.tables.len() as u32 - 1,
        })
    }

    fn data<'a>(&self, store: &'a StoreInner) -> &'a TableData {
        check_store(self.store_id, store, "table");
        &store.tables[self.index as usize]
    }

    /// The table's type, with its current size as minimum.
    pub fn ty(&self, store: impl AsContext) -> TableType {
        TableType {
            ty: self.data(&store.as_context().0.inner).ty,
        }
    }

    /// Current number of elements.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.data(&store.as_context().0.inner).def.length as u64
    }

    /// Element `index`, if in bounds.
    pub fn get(&self, mut store: impl AsContextMut, index: u64) -> Option<Val> {
        let store = &store.as_context_mut().0.inner;
        let data = self.data(store);
        let slot = *data.elements().get(usize::try_from(index).ok()?)?;
        Some(Val::from_slot(data.ty.element, slot, store))
    }

    /// Sets element `index`.
    ///
    /// # Errors
    /// If out of bounds or of the wrong type.
    pub fn set(&self, mut store: impl AsContextMut, index: u64, val: Val) -> Result<(), Error> {
        let store = &mut store.as_context_mut().0.inner;
        let elem = self.data(store).ty.element;
        if val.ty() != elem {
            return Err(Error::msg("table element has the wrong type"));
        }
        let slot = val.to_slot(store);
        let elems = store.tables[self.index as usize].elements_mut();
        let dst = usize::try_from(index)
            .ok()
            .and_then(|i| elems.get_mut(i))
            .ok_or_else(|| Error::msg("out of bounds table access"))?;
        *dst = slot;
        Ok(())
    }

    /// Grows the table by `delta` elements of `init`, returning the old size.
    ///
    /// # Errors
    /// If it would exceed its maximum, the store's resource limiter refuses it (or fails:
    /// then its error), or `init` has the wrong type.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Val) -> Result<u64, Error> {
        let Store {
            inner: store,
            data,
            limiter,
            ..
        } = store.as_context_mut().0;
        if init.ty() != self.data(store).ty.element {
            return Err(Error::msg("table element has the wrong type"));
        }
        let slot = init.to_slot(store);
        let limiter = limits::limiter(limiter, data);
        let table = &mut store.tables[self.index as usize];
        limits::grow_table(limiter, table, delta, slot)?
            .map_err(|why| Error::msg(format!("failed to grow table: {why}")))
    }
}

/// A global in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Global {
    pub(crate) store_id: u64,
    pub(crate) index: u32,
}

impl Global {
    /// A new global.
    ///
    /// # Errors
    /// If `val` does not match the type.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, val: Val) -> Result<Global, Error> {
        let store = &mut store.as_context_mut().0.inner;
        if val.ty() != ty.content() {
            return Err(Error::msg("global value has the wrong type"));
        }
        let mut value = [0; 2];
        val.write_slots(&mut value, store);
        store.globals.push(Box::new(GlobalData {
            value,
            ty: tierup_abi::GlobalType {
                content: ty.content(),
                mutable: ty.mutability() == Mutability::Var,
            },
        }));
        Ok(Global {
            store_id: store.id,
            index: store.globals.len() as u32 - 1,
        })
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        let store = &store.as_context().0.inner;
        check_store(self.store_id, store, "global");
        GlobalType::from_abi(store.globals[self.index as usize].ty)
    }

    /// The current value.
    pub fn get(&self, mut store: impl AsContextMut) -> Val {
        let store = &store.as_context_mut().0.inner;
        check_store(self.store_id, store, "global");
        let g = &store.globals[self.index as usize];
        Val::read_slots(g.ty.content, &g.value, store)
    }

    /// Sets the value.
    ///
    /// # Errors
    /// If the global is immutable or `val` has the wrong type.
    pub fn set(&self, mut store: impl AsContextMut, val: Val) -> Result<(), Error> {
        let store = &mut store.as_context_mut().0.inner;
        check_store(self.store_id, store, "global");
        let ty = store.globals[self.index as usize].ty;
        if !ty.mutable {
            return Err(Error::msg("cannot set an immutable global"));
        }
        if val.ty() != ty.content {
            return Err(Error::msg("global value has the wrong type"));
        }
        let mut value = [0; 2];
        val.write_slots(&mut value, store);
        store.globals[self.index as usize].value = value;
        Ok(())
    }
}
