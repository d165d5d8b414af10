//! Value, function, table and global types as every tier sees them.
//!
//! These are deliberately smaller than `wasmparser`'s types: WebAssembly 2.0 has only the two
//! nullable abstract reference types, so a reference type is one of two [`ValType`] variants.
//!
//! Frame layout (DESIGN.md §2): a value takes [`ValType::slots`] consecutive 8-byte slots, one
//! for every type but `v128`, which takes two (low half first). [`slot_offsets`] lays out a
//! sequence of values (parameters, results, locals) the way every tier does.

use std::fmt;

/// A WebAssembly value type (WebAssembly 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// 128-bit vector (SIMD).
    V128,
    /// Nullable function reference.
    FuncRef,
    /// Nullable external (host) reference.
    ExternRef,
}

impl ValType {
    /// Converts from `wasmparser`; `None` for types outside WebAssembly 2.0.
    pub fn from_wasmparser(ty: wasmparser::ValType) -> Option<ValType> {
        Some(match ty {
            wasmparser::ValType::I32 => ValType::I32,
            wasmparser::ValType::I64 => ValType::I64,
            wasmparser::ValType::F32 => ValType::F32,
            wasmparser::ValType::F64 => ValType::F64,
            wasmparser::ValType::V128 => ValType::V128,
            wasmparser::ValType::Ref(r) => Self::from_ref_type(r)?,
        })
    }

    /// Converts a `wasmparser` reference type; `None` outside `funcref`/`externref`.
    pub fn from_ref_type(r: wasmparser::RefType) -> Option<ValType> {
        if r == wasmparser::RefType::FUNCREF {
            Some(ValType::FuncRef)
        } else if r == wasmparser::RefType::EXTERNREF {
            Some(ValType::ExternRef)
        } else {
            None
        }
    }

    /// Whether this is a reference type.
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
    }

    /// How many frame slots a value of this type takes: 2 for `v128`, else 1.
    pub const fn slots(self) -> usize {
        match self {
            ValType::V128 => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// A function signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    /// Parameter types, in order.
    pub params: Box<[ValType]>,
    /// Result types, in order.
    pub results: Box<[ValType]>,
}

impl FuncType {
    /// Builds a signature.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        FuncType {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    /// The parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    /// The result types.
    pub fn results(&self) -> &[ValType] {
        &self.results
    }

    /// Frame slots the parameters take.
    pub fn param_slots(&self) -> usize {
        self.params.iter().map(|t| t.slots()).sum()
    }

    /// Frame slots the results take.
    pub fn result_slots(&self) -> usize {
        self.results.iter().map(|t| t.slots()).sum()
    }

    /// The slots a call's frame needs for the arguments and the results (they share the
    /// frame's first slots).
    pub fn frame_slots(&self) -> usize {
        self.param_slots().max(self.result_slots())
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, tys: &[ValType]| {
            f.write_str("[")?;
            for (i, t) in tys.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{t}")?;
            }
            f.write_str("]")
        };
        list(f, &self.params)?;
        f.write_str(" -> ")?;
        list(f, &self.results)
    }
}

/// The slot offset of each of `types` laid out one after another (each taking
/// [`ValType::slots`]), as parameters, results and locals are in every frame.
pub fn slot_offsets(types: &[ValType]) -> impl Iterator<Item = usize> + '_ {
    types.iter().scan(0, |next, ty| {
        let at = *next;
        *next += ty.slots();
        Some(at)
    })
}

/// Size limits of a memory (in pages) or a table (in elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Initial size.
    pub min: u64,
    /// Maximum size, if any.
    pub max: Option<u64>,
}

impl Limits {
    /// Import subtyping (spec "limits matching"): `self` (the provided item's current limits)
    /// may stand in for `required`.
    pub fn matches(&self, required: &Limits) -> bool {
        self.min >= required.min
            && match (self.max, required.max) {
                (_, None) => true,
                (Some(have), Some(want)) => have <= want,
                (None, Some(_)) => false,
            }
    }
}

/// A table type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    /// The element type (a reference type).
    pub element: ValType,
    /// Size limits in elements.
    pub limits: Limits,
}

/// A global type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// The value type.
    pub content: ValType,
    /// Whether `global.set` is allowed.
    pub mutable: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v128_takes_two_slots() {
        use ValType::*;
        let ty = FuncType::new([I32, V128, F64], [V128]);
        assert_eq!(slot_offsets(&ty.params).collect::<Vec<_>>(), [0, 1, 3]);
        assert_eq!(ty.param_slots(), 4);
        assert_eq!(ty.result_slots(), 2);
        assert_eq!(ty.frame_slots(), 4);
    }

    #[test]
    fn limits_subtyping() {
        let l = |min, max| Limits { min, max };
        assert!(l(2, Some(3)).matches(&l(1, Some(4))));
        assert!(l(2, None).matches(&l(1, None)));
        assert!(!l(2, None).matches(&l(1, Some(4))));
        assert!(!l(0, Some(3)).matches(&l(1, None)));
        assert!(!l(1, Some(5)).matches(&l(1, Some(4))));
    }
}
