//! Decoding and validation: [`ModuleInfo::parse`] walks the binary once with `wasmparser`,
//! feeding every payload to the validator as it goes and collecting the module's metadata, then
//! validates every function body eagerly (DESIGN.md §1: an invalid module must be rejected, so
//! validation is complete before a module exists; large code sections are validated on several
//! threads). Function bodies are not translated here: each tier translates a body lazily from
//! [`ModuleInfo::body`].
//!
//! The feature set is a [`Features`]: WebAssembly 2.0, with or without fixed-width SIMD, and
//! relaxed SIMD and multi-memory on top. A module outside it is a [`ValidationError`] with the
//! byte offset, never a panic.

use std::ops::Range;

use wasmparser::{
    DataKind, ElementItems, ElementKind, ExternalKind, FuncValidatorAllocations, FunctionBody,
    KnownCustom, Name, Operator, Parser, Payload, TableInit, TypeRef, ValidPayload, Validator,
    WasmFeatures,
};

use crate::index::TypeIdx;
use crate::module::{
    ConstExpr, DataSegment, ElemSegment, ElemSegmentKind, Export, ExternIdx, Import, ImportKind,
    ModuleInfo,
};
use crate::types::{FuncType, GlobalType, Limits, TableType, ValType};

/// Which WebAssembly features a module may use: WebAssembly 2.0, with or without its
/// fixed-width SIMD, and relaxed SIMD and multi-memory (WebAssembly 3.0) on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Features {
    /// Fixed-width SIMD (`v128` and its instructions).
    pub simd: bool,
    /// Relaxed SIMD (needs `simd`).
    pub relaxed_simd: bool,
    /// Several memories per module, and memory indices on memory instructions.
    pub multi_memory: bool,
}

impl Features {
    /// Every feature tierup supports in all its tiers (the default).
    pub const SUPPORTED: Features = Features {
        simd: true,
        relaxed_simd: true,
        multi_memory: true,
    };

    /// The `wasmparser` feature set.
    pub fn to_wasmparser(self) -> WasmFeatures {
        let mut features = WasmFeatures::WASM2;
        features.set(WasmFeatures::SIMD, self.simd);
        features.set(WasmFeatures::RELAXED_SIMD, self.simd && self.relaxed_simd);
        features.set(WasmFeatures::MULTI_MEMORY, self.multi_memory);
        features
    }
}

impl Default for Features {
    fn default() -> Features {
        Features::SUPPORTED
    }
}

/// A module that failed to decode or validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at offset {offset:#x})")]
pub struct ValidationError {
    /// `wasmparser`'s description of the problem.
    pub message: String,
    /// Byte offset in the binary where the problem was found.
    pub offset: usize,
}

impl From<wasmparser::BinaryReaderError> for ValidationError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        ValidationError {
            message: e.message().to_string(),
            offset: e.offset() as usize,
        }
    }
}

impl ConstExpr {
    fn parse(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr, ValidationError> {
        let mut reader = expr.get_operators_reader();
        let offset = reader.original_position();
        let op = reader.read()?;
        let value = match op {
            Operator::I32Const { value } => ConstExpr::I32(value),
            Operator::I64Const { value } => ConstExpr::I64(value),
            Operator::F32Const { value } => ConstExpr::F32(value.bits()),
            Operator::F64Const { value } => ConstExpr::F64(value.bits()),
            Operator::V128Const { value } => ConstExpr::V128(value.i128() as u128),
            Operator::RefNull { hty } => ConstExpr::RefNull(if hty == wasmparser::HeapType::FUNC {
                ValType::FuncRef
            } else {
                ValType::ExternRef
            }),
            Operator::RefFunc { function_index } => ConstExpr::RefFunc(function_index),
            Operator::GlobalGet { global_index } => ConstExpr::GlobalGet(global_index),
            _ => {
                return Err(ValidationError {
                    message: "unsupported constant expression".into(),
                    offset: offset as usize,
                });
            }
        };
        Ok(value)
    }
}

impl ModuleInfo {
    /// Decodes and fully validates `wasm` with the default [`Features`], collecting the
    /// module's metadata.
    ///
    /// # Errors
    /// A [`ValidationError`] with `wasmparser`'s message and the byte offset for malformed or
    /// invalid input, or for features outside the supported set.
    pub fn parse(wasm: Vec<u8>) -> Result<ModuleInfo, ValidationError> {
        ModuleInfo::parse_with(wasm, Features::default())
    }

    /// Decodes and fully validates `wasm`, which may use `features`.
    ///
    /// # Errors
    /// As [`ModuleInfo::parse`], for features outside `features`.
    pub fn parse_with(wasm: Vec<u8>, features: Features) -> Result<ModuleInfo, ValidationError> {
        let mut info = ModuleInfo {
            features,
            ..ModuleInfo::default()
        };
        let wasm_features = features.to_wasmparser();
        let mut validator = Validator::new_with_features(wasm_features);
        let mut bodies = Vec::new();
        let mut pending = Vec::new();
        let mut parser = Parser::new(0);
        parser.set_features(wasm_features);
        for payload in parser.parse_all(&wasm) {
            let payload = payload?;
            match validator.payload(&payload)? {
                ValidPayload::Func(func, body) => pending.push((func, body)),
                ValidPayload::Parser(_) => {
                    return Err(ValidationError {
                        message: "nested modules and components are not supported".into(),
                        offset: 0,
                    });
                }
                ValidPayload::Ok | ValidPayload::End(_) => {}
            }
            info.collect(payload, &mut bodies)?;
        }
        validate_bodies(pending)?;
        info.bodies = bodies;
        info.wasm = wasm.into_boxed_slice();
        Ok(info)
    }

    fn collect(
        &mut self,
        payload: Payload<'_>,
        bodies: &mut Vec<Range<usize>>,
    ) -> Result<(), ValidationError> {
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group?.into_types() {
                        let f = sub.unwrap_func();
                        let conv = |tys: &[wasmparser::ValType]| -> Result<Box<[ValType]>, _> {
                            tys.iter()
                                .map(|t| {
                                    ValType::from_wasmparser(*t).ok_or_else(|| ValidationError {
                                        message: format!("unsupported value type {t}"),
                                        offset: 0,
                                    })
                                })
                                .collect()
                        };
                        self.types.push(FuncType {
                            params: conv(f.params())?,
                            results: conv(f.results())?,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for group in reader {
                    match group? {
                        wasmparser::Imports::Single(_, imp) => {
                            self.push_import(imp.module, imp.name, imp.ty)?
                        }
                        wasmparser::Imports::Compact1 { module, items } => {
                            for item in items {
                                let item = item?;
                                self.push_import(module, item.name, item.ty)?;
                            }
                        }
                        wasmparser::Imports::Compact2 { module, ty, names } => {
                            for name in names {
                                self.push_import(module, name?, ty)?;
                            }
                        }
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    self.funcs.push(TypeIdx(ty?));
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table?;
                    self.tables.push(table_type(&table.ty)?);
                    self.table_inits.push(match &table.init {
                        TableInit::RefNull => None,
                        TableInit::Expr(e) => Some(ConstExpr::parse(e)?),
                    });
                }
            }
            Payload::MemorySection(reader) => {
                for mem in reader {
                    let mem = mem?;
                    self.memories.push(Limits {
                        min: mem.initial,
                        max: mem.maximum,
                    });
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global?;
                    self.globals.push(global_type(&global.ty)?);
                    self.global_inits.push(ConstExpr::parse(&global.init_expr)?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    let index = match export.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => {
                            ExternIdx::Func(export.index)
                        }
                        ExternalKind::Table => ExternIdx::Table(export.index),
                        ExternalKind::Memory => ExternIdx::Memory(export.index),
                        ExternalKind::Global => ExternIdx::Global(export.index),
                        ExternalKind::Tag => {
                            return Err(ValidationError {
                                message: "tags are not supported".into(),
                                offset: 0,
                            });
                        }
                    };
                    self.exports.push(Export {
                        name: export.name.to_string(),
                        index,
                    });
                }
            }
            Payload::StartSection { func, .. } => self.start = Some(func),
            Payload::ElementSection(reader) => {
                for elem in reader {
                    let elem = elem?;
                    let kind = match &elem.kind {
                        ElementKind::Passive => ElemSegmentKind::Passive,
                        ElementKind::Declared => ElemSegmentKind::Declared,
                        ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => ElemSegmentKind::Active {
                            table: table_index.unwrap_or(0),
                            offset: ConstExpr::parse(offset_expr)?,
                        },
                    };
                    let (ty, items) = match elem.items {
                        ElementItems::Functions(funcs) => (
                            ValType::FuncRef,
                            funcs
                                .into_iter()
                                .map(|f| f.map(ConstExpr::RefFunc))
                                .collect::<Result<Vec<_>, _>>()?,
                        ),
                        ElementItems::Expressions(rt, exprs) => (
                            ValType::from_ref_type(rt).unwrap_or(ValType::FuncRef),
                            exprs
                                .into_iter()
                                .map(|e| ConstExpr::parse(&e?))
                                .collect::<Result<Vec<_>, _>>()?,
                        ),
                    };
                    self.elems.push(ElemSegment { kind, ty, items });
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let active = match &data.kind {
                        DataKind::Passive => None,
                        DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => Some((*memory_index, ConstExpr::parse(offset_expr)?)),
                    };
                    let end = data.range.end as usize;
                    let start = end - data.data.len();
                    self.data.push(DataSegment {
                        active,
                        bytes: start..end,
                    });
                }
            }
            Payload::CodeSectionEntry(body) => {
                let range = body.range();
                bodies.push(range.start as usize..range.end as usize);
            }
            Payload::CustomSection(reader) => {
                // A malformed name section is not an error (the spec makes custom sections
                // opaque); we just keep the names we could read.
                if let KnownCustom::Name(names) = reader.as_known() {
                    for name in names.into_iter().flatten() {
                        match name {
                            Name::Module { name, .. } => self.name = Some(name.to_string()),
                            Name::Function(map) => {
                                for naming in map.into_iter().flatten() {
                                    self.func_names
                                        .insert(naming.index, naming.name.to_string());
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn push_import(
        &mut self,
        module: &str,
        name: &str,
        ty: TypeRef,
    ) -> Result<(), ValidationError> {
        let kind = match ty {
            TypeRef::Func(idx) | TypeRef::FuncExact(idx) => {
                self.funcs.push(TypeIdx(idx));
                self.num_imported_funcs += 1;
                ImportKind::Func(idx)
            }
            TypeRef::Table(t) => {
                let t = table_type(&t)?;
                self.tables.push(t);
                self.num_imported_tables += 1;
                ImportKind::Table(t)
            }
            TypeRef::Memory(m) => {
                let limits = Limits {
                    min: m.initial,
                    max: m.maximum,
                };
                self.memories.push(limits);
                self.num_imported_memories += 1;
                ImportKind::Memory(limits)
            }
            TypeRef::Global(g) => {
                let g = global_type(&g)?;
                self.globals.push(g);
                self.num_imported_globals += 1;
                ImportKind::Global(g)
            }
            TypeRef::Tag(_) => {
                return Err(ValidationError {
                    message: "tags are not supported".into(),
                    offset: 0,
                });
            }
        };
        self.imports.push(Import {
            module: module.to_string(),
            name: name.to_string(),
            kind,
        });
        Ok(())
    }
}

fn body_len(body: &FunctionBody<'_>) -> usize {
    let range = body.range();
    (range.end - range.start) as usize
}

/// Code sections larger than this are validated on several threads.
const PARALLEL_VALIDATION_BYTES: usize = 256 << 10;

/// Validates function bodies: in order on this thread for small modules, in contiguous
/// chunks on scoped threads for large ones (thread start-up costs tens of microseconds, which
/// only pays off on big code sections). Reports the error of the earliest failing body.
fn validate_bodies(
    pending: Vec<(
        wasmparser::FuncToValidate<wasmparser::ValidatorResources>,
        FunctionBody<'_>,
    )>,
) -> Result<(), ValidationError> {
    fn run(
        chunk: Vec<(
            wasmparser::FuncToValidate<wasmparser::ValidatorResources>,
            FunctionBody<'_>,
        )>,
    ) -> Result<(), ValidationError> {
        let mut allocs = FuncValidatorAllocations::default();
        for (func, body) in chunk {
            let mut func_validator = func.into_validator(std::mem::take(&mut allocs));
            func_validator.validate(&body)?;
            allocs = func_validator.into_allocations();
        }
        Ok(())
    }
    let code_bytes: usize = pending.iter().map(|(_, b)| body_len(b)).sum();
    if code_bytes < PARALLEL_VALIDATION_BYTES || pending.len() < 2 {
        return run(pending);
    }
    // Only now: `available_parallelism` reads cgroup files, too slow for small modules.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 {
        return run(pending);
    }
    // Split into `threads` chunks of about equal byte size, keeping order.
    let per_chunk = code_bytes.div_ceil(threads);
    let mut chunks = vec![Vec::new()];
    let mut in_chunk = 0;
    for item in pending {
        in_chunk += body_len(&item.1);
        chunks.last_mut().expect("at least one chunk").push(item);
        if in_chunk >= per_chunk {
            chunks.push(Vec::new());
            in_chunk = 0;
        }
    }
    let mut chunks = chunks.into_iter();
    let first = chunks.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .map(|chunk| scope.spawn(move || run(chunk)))
            .collect();
        let mut result = run(first);
        for handle in handles {
            let chunk_result = handle.join().unwrap_or_else(|_| {
                Err(ValidationError {
                    message: "validation thread panicked".into(),
                    offset: 0,
                })
            });
            if result.is_ok() {
                result = chunk_result;
            }
        }
        result
    })
}

fn table_type(t: &wasmparser::TableType) -> Result<TableType, ValidationError> {
    Ok(TableType {
        element: ValType::from_ref_type(t.element_type).ok_or_else(|| ValidationError {
            message: "unsupported table element type".into(),
            offset: 0,
        })?,
        limits: Limits {
            min: t.initial,
            max: t.maximum,
        },
    })
}

fn global_type(g: &wasmparser::GlobalType) -> Result<GlobalType, ValidationError> {
    Ok(GlobalType {
        content: ValType::from_wasmparser(g.content_type).ok_or_else(|| ValidationError {
            message: format!("unsupported global type {}", g.content_type),
            offset: 0,
        })?,
        mutable: g.mutable,
    })
}
