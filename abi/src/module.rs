//! [`ModuleInfo`]: everything the tiers and the runtime need to know about a validated module,
//! produced by [`ModuleInfo::parse`] (in [`crate::validate`]).
//!
//! Invariants once a `ModuleInfo` exists: it is valid WebAssembly 2.0 without SIMD; every index
//! it stores is in range; index spaces list imports first (`funcs`, `tables`, `memories`,
//! `globals`).

use std::collections::HashMap;
use std::ops::Range;

use wasmparser::{BinaryReader, FunctionBody};

use crate::index::{DefinedFuncIdx, FuncIdx, TypeIdx};
use crate::types::{FuncType, GlobalType, Limits, TableType, ValType};
use crate::validate::Features;

/// A constant expression of WebAssembly 2.0 (one instruction; extended-const is not in 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstExpr {
    /// `i32.const`
    I32(i32),
    /// `i64.const`
    I64(i64),
    /// `f32.const` (bits)
    F32(u32),
    /// `f64.const` (bits)
    F64(u64),
    /// `ref.null`
    RefNull(ValType),
    /// `ref.func idx`
    RefFunc(u32),
    /// `v128.const`
    V128(u128),
    /// `global.get idx` (an imported or earlier immutable global)
    GlobalGet(u32),
}

/// What an import brings in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportKind {
    /// A function of the given type index.
    Func(u32),
    /// A table.
    Table(TableType),
    /// A linear memory (limits in pages).
    Memory(Limits),
    /// A global.
    Global(GlobalType),
}

/// One import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The module name.
    pub module: String,
    /// The field name.
    pub name: String,
    /// What is imported.
    pub kind: ImportKind,
}

/// An index into one of the module's index spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExternIdx {
    /// Function index.
    Func(u32),
    /// Table index.
    Table(u32),
    /// Memory index.
    Memory(u32),
    /// Global index.
    Global(u32),
}

/// One export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The export name.
    pub name: String,
    /// What it exports.
    pub index: ExternIdx,
}

/// How an element segment is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElemSegmentKind {
    /// Available to `table.init` until `elem.drop`.
    Passive,
    /// Copied into a table at instantiation, then dropped.
    Active {
        /// The table index.
        table: u32,
        /// The start offset.
        offset: ConstExpr,
    },
    /// Only declares functions for `ref.func`; dropped at instantiation.
    Declared,
}

/// An element segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElemSegment {
    /// Passive, active or declared.
    pub kind: ElemSegmentKind,
    /// The element type.
    pub ty: ValType,
    /// The elements, each a constant expression.
    pub items: Vec<ConstExpr>,
}

/// A data segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSegment {
    /// For an active segment: the memory index and start offset.
    pub active: Option<(u32, ConstExpr)>,
    /// Where the bytes are in [`ModuleInfo::wasm`].
    pub bytes: Range<usize>,
}

/// The metadata of a validated module. See the module docs for invariants.
#[derive(Debug, Default)]
pub struct ModuleInfo {
    /// The module's name from the name section, if any.
    pub name: Option<String>,
    /// The type section.
    pub types: Vec<FuncType>,
    /// The imports, in order.
    pub imports: Vec<Import>,
    /// The type of every function (imports first).
    pub funcs: Vec<TypeIdx>,
    /// How many functions are imported (they come first in `funcs`).
    pub num_imported_funcs: u32,
    /// Every table (imports first).
    pub tables: Vec<TableType>,
    /// The initial value of each defined table (`None` = null).
    pub table_inits: Vec<Option<ConstExpr>>,
    /// How many tables are imported.
    pub num_imported_tables: u32,
    /// Every memory (imports first), limits in pages.
    pub memories: Vec<Limits>,
    /// How many memories are imported.
    pub num_imported_memories: u32,
    /// Every global (imports first).
    pub globals: Vec<GlobalType>,
    /// The initializer of each defined global.
    pub global_inits: Vec<ConstExpr>,
    /// How many globals are imported.
    pub num_imported_globals: u32,
    /// The exports, in order.
    pub exports: Vec<Export>,
    /// The start function.
    pub start: Option<u32>,
    /// The element segments.
    pub elems: Vec<ElemSegment>,
    /// The data segments.
    pub data: Vec<DataSegment>,
    /// Byte range of each defined function's body (locals + code) in [`ModuleInfo::wasm`].
    pub bodies: Vec<Range<usize>>,
    /// Function names from the name section.
    pub func_names: HashMap<u32, String>,
    /// The whole binary (bodies and data segments point into it).
    pub wasm: Box<[u8]>,
    /// The features it was validated with.
    pub features: Features,
    /// What the tiers add to its code (fuel, epochs), as the engine compiling it is configured.
    pub instrumentation: crate::Instrumentation,
}

impl ModuleInfo {
    /// The signature of function `func` (imported or defined).
    pub fn func_type(&self, func: FuncIdx) -> &FuncType {
        &self.types[self.funcs[func.index()].index()]
    }

    /// The number of functions defined (not imported) by the module.
    pub fn num_defined_funcs(&self) -> u32 {
        self.funcs.len() as u32 - self.num_imported_funcs
    }

    /// Every defined function, in order.
    pub fn defined_funcs(&self) -> impl ExactSizeIterator<Item = DefinedFuncIdx> + Clone + use<> {
        (0..self.num_defined_funcs()).map(DefinedFuncIdx)
    }

    /// The defined function `func` is, or `None` for an imported function.
    #[inline]
    pub fn defined_func(&self, func: FuncIdx) -> Option<DefinedFuncIdx> {
        func.0
            .checked_sub(self.num_imported_funcs)
            .map(DefinedFuncIdx)
    }

    /// The function index of defined function `defined`.
    #[inline]
    pub fn func_of(&self, defined: DefinedFuncIdx) -> FuncIdx {
        FuncIdx(defined.0 + self.num_imported_funcs)
    }

    /// The body of defined function `defined`.
    ///
    /// # Panics
    /// If `defined` is out of range.
    pub fn body(&self, defined: DefinedFuncIdx) -> FunctionBody<'_> {
        let range = self.bodies[defined.index()].clone();
        FunctionBody::new(BinaryReader::new_features(
            &self.wasm[range.clone()],
            range.start as u64,
            self.features.to_wasmparser(),
        ))
    }

    /// Bytes of wasm in defined function `defined`'s body (locals and code).
    pub fn body_size(&self, defined: DefinedFuncIdx) -> usize {
        self.bodies[defined.index()].len()
    }

    /// The function's name from the name section, if any.
    pub fn func_name(&self, func: FuncIdx) -> Option<&str> {
        self.func_names.get(&func.0).map(String::as_str)
    }
}
