//! Instantiation and [`Instance`].
//!
//! `Instance::new` follows the spec's order: check imports, allocate functions, globals, tables
//! and memories, build the vmctx, run active element segments then active data segments (a
//! segment out of bounds traps, leaving earlier writes visible, as the spec requires), then the
//! start function. Everything the vmctx points to is boxed in `InstanceData` or owned by the
//! store, so it stays put for the store's life.

use tierup_abi::{
    ConstExpr, DataSegmentRef, ElemSegmentKind, ElemSegmentRef, ExternIdx, ImportKind,
    MemoryDefinition, TableDefinition, TrapCode, VmCtx, VmFuncRef,
};

use crate::error::{Error, Trap};
use crate::externals::{Extern, Global, Memory, Table};
use crate::func::{Func, TypedFunc, WasmParams, WasmResults, call_raw};
use crate::limits;
use crate::module::Module;
use crate::store::{AsContextMut, FuncKind, Store};
use crate::types::{MemoryType, TableType};
use crate::vm::GlobalData;

/// The store-owned state of one instance.
#[derive(Debug)]
pub(crate) struct InstanceData {
    pub(crate) _module: Module,
    pub(crate) _vmctx: Box<VmCtx>,
    _memories: Box<[*mut MemoryDefinition]>,
    _tables: Box<[*mut TableDefinition]>,
    _globals: Box<[*mut u64]>,
    _funcs: Box<[*const VmFuncRef]>,
    _data_segments: Box<[DataSegmentRef]>,
    _elem_segments: Box<[ElemSegmentRef]>,
    _elem_values: Vec<Box<[u64]>>,
    _native: NativeSubscription,
    pub(crate) exports: Vec<(String, Extern)>,
}

/// An instance's subscription to its module's native entries (`jit::code_table::CodeTable`
/// keeps the `native` fields of the instance's function references up to date): it ends when
/// dropped, which must happen before the store frees the references (`StoreInner`'s drop
/// drops the instances first; a failed instantiation drops it on the way out).
#[derive(Debug)]
struct NativeSubscription {
    module: Module,
    key: usize,
}

impl Drop for NativeSubscription {
    fn drop(&mut self) {
        self.module.inner.code_table.unsubscribe(self.key);
    }
}

/// An instantiated module in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance {
    store_id: u64,
    index: u32,
}

fn unlinkable(msg: String) -> Error {
    Error::Unlinkable(msg)
}

impl Instance {
    /// Instantiates `module` with `imports` given in the module's import order.
    ///
    /// # Errors
    /// [`Error::Unlinkable`] for a missing or mistyped import, [`Error::Trap`] if an active
    /// segment is out of bounds or the start function traps, an error naming the limit when
    /// the store's resource limiter refuses the instance, its tables or memories (their
    /// number or initial sizes; see [`crate::limits`]).
    pub fn new(
        mut store: impl AsContextMut,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance, Error> {
        instantiate(store.as_context_mut().0, module, imports)
    }

    fn data<'a, T>(&self, store: &'a Store<T>) -> &'a InstanceData {
        assert_eq!(self.store_id, store.inner.id, "instance of another store");
        &store.inner.instances[self.index as usize]
    }

    /// The export `name`.
    pub fn get_export(&self, mut store: impl AsContextMut, name: &str) -> Option<Extern> {
        let store = store.as_context_mut().0;
        self.data(store)
            .exports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| *e)
    }

    /// The exported function `name`.
    pub fn get_func(&self, store: impl AsContextMut, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// The exported function `name`, statically typed.
    ///
    /// # Errors
    /// If there is no such function or its type differs from `(P) -> R`.
    pub fn get_typed_func<P: WasmParams, R: WasmResults>(
        &self,
        mut store: impl AsContextMut,
        name: &str,
    ) -> Result<TypedFunc<P, R>, Error> {
        let func = self
            .get_func(&mut store, name)
            .ok_or_else(|| Error::msg(format!("no exported function named `{name}`")))?;
        func.typed(&store)
    }

    /// The exported memory `name`.
    pub fn get_memory(&self, store: impl AsContextMut, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// The exported global `name`.
    pub fn get_global(&self, store: impl AsContextMut, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// The exported table `name`.
    pub fn get_table(&self, store: impl AsContextMut, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// Every export, in order.
    pub fn exports(&self, mut store: impl AsContextMut) -> Vec<(String, Extern)> {
        let store = store.as_context_mut().0;
        self.data(store).exports.clone()
    }

    /// The module this is an instance of.
    pub fn module(&self, mut store: impl AsContextMut) -> Module {
        let store = store.as_context_mut().0;
        self.data(store)._module.clone()
    }
}

fn instantiate<T>(
    store: &mut Store<T>,
    module: &Module,
    imports: &[Extern],
) -> Result<Instance, Error> {
    if !module.engine().same(store.engine()) {
        return Err(Error::msg("module and store belong to different engines"));
    }
    let info = module.inner.info.clone();
    if imports.len() != info.imports.len() {
        return Err(unlinkable(format!(
            "expected {} imports, got {}",
            info.imports.len(),
            imports.len()
        )));
    }

    // Counts against the store's resource limiter, before anything is allocated.
    if let Some(limiter) = limits::limiter(&mut store.limiter, &mut store.data) {
        let inner = &store.inner;
        let defined_tables = info.tables.len() - info.num_imported_tables as usize;
        let defined_memories = info.memories.len() - info.num_imported_memories as usize;
        limits::check_count(
            limits::INSTANCES,
            inner.instances.len(),
            1,
            limiter.instances(),
        )?;
        limits::check_count(
            limits::TABLES,
            inner.tables.len(),
            defined_tables,
            limiter.tables(),
        )?;
        limits::check_count(
            limits::MEMORIES,
            inner.memories.len(),
            defined_memories,
            limiter.memories(),
        )?;
    }

    // 1. Imports, type-checked.
    let mut funcs: Vec<Func> = Vec::with_capacity(info.funcs.len());
    let mut tables: Vec<Table> = Vec::with_capacity(info.tables.len());
    let mut memories: Vec<Memory> = Vec::with_capacity(info.memories.len());
    let mut globals: Vec<Global> = Vec::with_capacity(info.globals.len());
    for (imp, ext) in info.imports.iter().zip(imports) {
        let name = || format!("`{}::{}`", imp.module, imp.name);
        if ext.store_id() != store.inner.id {
            return Err(unlinkable(format!(
                "import {} comes from another store",
                name()
            )));
        }
        match (&imp.kind, *ext) {
            (ImportKind::Func(t), Extern::Func(f)) => {
                let want = module.inner.type_ids[*t as usize];
                let have = store.inner.funcref(f.index).type_id;
                if want != have {
                    return Err(unlinkable(format!(
                        "incompatible import type for {}: expected {}, found {}",
                        name(),
                        info.types[*t as usize],
                        store.inner.funcs[f.index as usize].ty
                    )));
                }
                funcs.push(f);
            }
            (ImportKind::Table(want), Extern::Table(t)) => {
                let have = store.inner.tables[t.index as usize].ty;
                if have.element != want.element || !have.limits.matches(&want.limits) {
                    return Err(unlinkable(format!(
                        "incompatible import type for {}",
                        name()
                    )));
                }
                tables.push(t);
            }
            (ImportKind::Memory(want), Extern::Memory(m)) => {
                let have = store.inner.memories[m.index as usize].limits;
                if !have.matches(want) {
                    return Err(unlinkable(format!(
                        "incompatible import type for {}",
                        name()
                    )));
                }
                memories.push(m);
            }
            (ImportKind::Global(want), Extern::Global(g)) => {
                if store.inner.globals[g.index as usize].ty != *want {
                    return Err(unlinkable(format!(
                        "incompatible import type for {}",
                        name()
                    )));
                }
                globals.push(g);
            }
            _ => {
                return Err(unlinkable(format!(
                    "incompatible import type for {}: wrong kind of item",
                    name()
                )));
            }
        }
    }

    // 2. The vmctx, filled in below; its address is needed by the function references.
    let instance_index = store.inner.instances.len() as u32;
    let mut vmctx = Box::new(VmCtx {
        store: &mut *store.inner.ctx,
        code_table: module.inner.code_table.as_ptr(),
        hot_counters: module.inner.hot_counters.as_ptr(),
        memories: std::ptr::null(),
        tables: std::ptr::null(),
        globals: std::ptr::null(),
        funcs: std::ptr::null(),
        type_ids: module.inner.type_ids.as_ptr(),
        data_segments: std::ptr::null_mut(),
        elem_segments: std::ptr::null_mut(),
        libcalls: &*store.inner.libcalls,
        module: &*info,
        interp: &module.inner.interp as *const _ as *const std::ffi::c_void,
        interp_stubs: module.inner.jit.as_ref().map_or(0, |j| j.stubs()),
        jit: module.inner.jit.as_ref().map_or(std::ptr::null(), |j| {
            std::sync::Arc::as_ptr(j) as *const std::ffi::c_void
        }),
        stack_limit: store.inner.signals.stack_limit_ptr(),
        memory0_base: std::ptr::null_mut(),
        global0: std::ptr::null_mut(),
        table0: std::ptr::null_mut(),
        interrupt_poll: store.inner.ctx.interrupt_poll,
        interrupt: store.inner.ctx.interrupt,
        native_cells: module.inner.code_table.native_entries().as_ptr(),
    });
    let vmctx_ptr: *mut VmCtx = &mut *vmctx;

    // 3. Defined functions.
    for defined in info.defined_funcs() {
        let ty_index = info.funcs[info.func_of(defined).index()].index();
        let ty = module.inner.func_types[ty_index].clone();
        let funcref = VmFuncRef {
            type_id: module.inner.type_ids[ty_index],
            defined,
            vmctx: vmctx_ptr,
            host: std::ptr::null(),
            code: module.inner.code_table.entry_cell(defined),
            native: std::sync::atomic::AtomicUsize::new(0),
        };
        funcs.push(store.inner.add_func(funcref, ty, FuncKind::Wasm));
    }
    // The references' native entries: kept up to date by the code table from now on.
    let native_fields: Box<[*const std::sync::atomic::AtomicUsize]> = funcs
        [info.num_imported_funcs as usize..]
        .iter()
        .map(|f| &store.inner.funcref(f.index).native as *const _)
        .collect();
    // SAFETY: the references are boxed in the store and freed only after the store's
    // instances are dropped, and `InstanceData`'s drop unsubscribes (key: the vmctx address).
    unsafe {
        module
            .inner
            .code_table
            .subscribe(vmctx_ptr as usize, native_fields)
    };
    let native = NativeSubscription {
        module: module.clone(),
        key: vmctx_ptr as usize,
    };
    let funcref_ptrs: Box<[*const VmFuncRef]> = funcs
        .iter()
        .map(|f| store.inner.funcref(f.index) as *const VmFuncRef)
        .collect();

    // 4. Globals (initializers may read imported globals and take function references).
    // Every value in its slots (a `v128` in both).
    let eval = |store: &Store<T>, globals: &[Global], expr: &ConstExpr| -> [u64; 2] {
        match *expr {
            ConstExpr::I32(v) => [u64::from(v as u32), 0],
            ConstExpr::I64(v) => [v as u64, 0],
            ConstExpr::F32(v) => [u64::from(v), 0],
            ConstExpr::F64(v) => [v, 0],
            ConstExpr::V128(v) => [v as u64, (v >> 64) as u64],
            ConstExpr::RefNull(_) => [0; 2],
            ConstExpr::RefFunc(f) => [funcref_ptrs[f as usize] as u64, 0],
            ConstExpr::GlobalGet(g) => {
                store.inner.globals[globals[g as usize].index as usize].value
            }
        }
    };
    for (i, init) in info.global_inits.iter().enumerate() {
        let ty = info.globals[info.num_imported_globals as usize + i];
        let value = eval(store, &globals, init);
        store.inner.globals.push(Box::new(GlobalData { value, ty }));
        globals.push(Global {
            store_id: store.inner.id,
            index: store.inner.globals.len() as u32 - 1,
        });
    }

    // 5. Tables and memories, each admitted by the store's resource limiter.
    let table_cap = store.inner.engine.config().max_table_elements;
    for (i, init) in info.table_inits.iter().enumerate() {
        let index = info.num_imported_tables as usize + i;
        let ty = TableType {
            ty: info.tables[index],
        };
        let init = init.as_ref().map_or(0, |e| eval(store, &globals, e)[0]);
        let limiter = limits::limiter(&mut store.limiter, &mut store.data);
        let data = limits::new_table(limiter, ty, init, table_cap, &format!("table {index}"))?;
        store.inner.tables.push(data);
        tables.push(Table {
            store_id: store.inner.id,
            index: store.inner.tables.len() as u32 - 1,
        });
    }
    let mem_cap = store.inner.engine.config().max_memory_pages;
    for (i, &mem_limits) in info.memories.iter().enumerate() {
        if i < info.num_imported_memories as usize {
            continue;
        }
        let limiter = limits::limiter(&mut store.limiter, &mut store.data);
        let ty = MemoryType { limits: mem_limits };
        let data = limits::new_memory(limiter, ty, mem_cap, &format!("memory {i}"))?;
        store.inner.memories.push(data);
        memories.push(Memory {
            store_id: store.inner.id,
            index: store.inner.memories.len() as u32 - 1,
        });
    }

    // 6. Segments.
    let mut elem_values: Vec<Box<[u64]>> = info
        .elems
        .iter()
        .map(|seg| {
            seg.items
                .iter()
                .map(|e| eval(store, &globals, e)[0])
                .collect()
        })
        .collect();
    let mut elem_segments: Box<[ElemSegmentRef]> = elem_values
        .iter_mut()
        .map(|v| ElemSegmentRef {
            ptr: v.as_ptr(),
            len: v.len(),
        })
        .collect();
    let mut data_segments: Box<[DataSegmentRef]> = info
        .data
        .iter()
        .map(|d| DataSegmentRef {
            ptr: info.wasm[d.bytes.clone()].as_ptr(),
            len: d.bytes.len(),
        })
        .collect();

    // 7. Wire up the vmctx.
    let mut memory_ptrs: Box<[*mut MemoryDefinition]> = memories
        .iter()
        .map(|m| &mut store.inner.memories[m.index as usize].def as *mut MemoryDefinition)
        .collect();
    let mut table_ptrs: Box<[*mut TableDefinition]> = tables
        .iter()
        .map(|t| &mut store.inner.tables[t.index as usize].def as *mut TableDefinition)
        .collect();
    let mut global_ptrs: Box<[*mut u64]> = globals
        .iter()
        .map(|g| store.inner.globals[g.index as usize].value.as_mut_ptr())
        .collect();
    vmctx.memories = memory_ptrs.as_mut_ptr();
    // SAFETY: each pointer is a live memory definition of this store (boxed: stable).
    vmctx.memory0_base = memory_ptrs
        .first()
        .map_or(std::ptr::null_mut(), |&def| unsafe { (*def).base });
    vmctx.tables = table_ptrs.as_mut_ptr();
    vmctx.table0 = table_ptrs.first().copied().unwrap_or(std::ptr::null_mut());
    vmctx.globals = global_ptrs.as_mut_ptr();
    vmctx.global0 = global_ptrs.first().copied().unwrap_or(std::ptr::null_mut());
    vmctx.funcs = funcref_ptrs.as_ptr();
    vmctx.data_segments = data_segments.as_mut_ptr();
    vmctx.elem_segments = elem_segments.as_mut_ptr();

    // 8. Exports.
    let exports = info
        .exports
        .iter()
        .map(|e| {
            let ext = match e.index {
                ExternIdx::Func(i) => Extern::Func(funcs[i as usize]),
                ExternIdx::Table(i) => Extern::Table(tables[i as usize]),
                ExternIdx::Memory(i) => Extern::Memory(memories[i as usize]),
                ExternIdx::Global(i) => Extern::Global(globals[i as usize]),
            };
            (e.name.clone(), ext)
        })
        .collect();

    // 9. Register the instance before running anything that can observe it.
    store
        .inner
        .vmctx_index
        .insert(vmctx_ptr as usize, instance_index);
    store.inner.instances.push(InstanceData {
        _module: module.clone(),
        _vmctx: vmctx,
        _native: native,
        _memories: memory_ptrs,
        _tables: table_ptrs,
        _globals: global_ptrs,
        _funcs: funcref_ptrs,
        _data_segments: data_segments,
        _elem_segments: elem_segments,
        _elem_values: elem_values,
        exports,
    });
    let instance = Instance {
        store_id: store.inner.id,
        index: instance_index,
    };

    // 10. Active element segments, then active data segments.
    for (i, seg) in info.elems.iter().enumerate() {
        let data = &mut store.inner.instances[instance_index as usize];
        match &seg.kind {
            ElemSegmentKind::Passive => {}
            ElemSegmentKind::Declared => data._elem_segments[i].len = 0,
            ElemSegmentKind::Active { table, offset } => {
                let offset = eval_offset(store, &globals, offset);
                let values = &store.inner.instances[instance_index as usize]._elem_values[i];
                let table = &mut store.inner.tables[tables[*table as usize].index as usize];
                let elems = table.elements_mut();
                let end = offset as usize + values.len();
                if end > elems.len() {
                    return Err(Trap::new(TrapCode::TableOutOfBounds).into());
                }
                elems[offset as usize..end].copy_from_slice(values);
                store.inner.instances[instance_index as usize]._elem_segments[i].len = 0;
            }
        }
    }
    for (i, seg) in info.data.iter().enumerate() {
        if let Some((mem, offset)) = &seg.active {
            let offset = eval_offset(store, &globals, offset) as usize;
            let bytes = &info.wasm[seg.bytes.clone()];
            let memory = &mut store.inner.memories[memories[*mem as usize].index as usize];
            let dst = memory.bytes_mut();
            let end = offset + bytes.len();
            if end > dst.len() {
                return Err(Trap::new(TrapCode::MemoryOutOfBounds).into());
            }
            dst[offset..end].copy_from_slice(bytes);
            store.inner.instances[instance_index as usize]._data_segments[i].len = 0;
        }
    }

    // 11. The start function.
    if let Some(start) = info.start {
        call_raw(store, funcs[start as usize], &mut [])?;
    }
    Ok(instance)
}

/// Evaluates a segment offset (an `i32` constant or an imported global).
fn eval_offset<T>(store: &Store<T>, globals: &[Global], expr: &ConstExpr) -> u32 {
    match *expr {
        ConstExpr::I32(v) => v as u32,
        ConstExpr::GlobalGet(g) => {
            store.inner.globals[globals[g as usize].index as usize].value[0] as u32
        }
        _ => 0,
    }
}
