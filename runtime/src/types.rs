//! Public type descriptions: globals, memories, tables and what a module imports or exports.
//!
//! `ValType` and `FuncType` are the shared ones from `tierup-abi`, re-exported at the root.

use tierup_abi::{FuncType, Limits, ValType};

/// Whether a global can be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    /// Immutable.
    Const,
    /// Mutable (`global.set`).
    Var,
}

/// The type of a global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    content: ValType,
    mutability: Mutability,
}

impl GlobalType {
    /// A global type.
    pub fn new(content: ValType, mutability: Mutability) -> Self {
        GlobalType {
            content,
            mutability,
        }
    }

    /// The value type.
    pub fn content(&self) -> ValType {
        self.content
    }

    /// Const or var.
    pub fn mutability(&self) -> Mutability {
        self.mutability
    }

    pub(crate) fn from_abi(g: tierup_abi::GlobalType) -> Self {
        GlobalType::new(
            g.content,
            if g.mutable {
                Mutability::Var
            } else {
                Mutability::Const
            },
        )
    }
}

/// The type of a linear memory (sizes in 64 KiB pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    pub(crate) limits: Limits,
}

impl MemoryType {
    /// A memory of at least `minimum` pages, growing up to `maximum` pages if given.
    pub fn new(minimum: u32, maximum: Option<u32>) -> Self {
        MemoryType {
            limits: Limits {
                min: u64::from(minimum),
                max: maximum.map(u64::from),
            },
        }
    }

    /// The minimum size in pages.
    pub fn minimum(&self) -> u64 {
        self.limits.min
    }

    /// The maximum size in pages, if any.
    pub fn maximum(&self) -> Option<u64> {
        self.limits.max
    }
}

/// The type of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    pub(crate) ty: tierup_abi::TableType,
}

impl TableType {
    /// A table of `element` references, at least `minimum` long, growing up to `maximum`.
    pub fn new(element: ValType, minimum: u32, maximum: Option<u32>) -> Self {
        TableType {
            ty: tierup_abi::TableType {
                element,
                limits: Limits {
                    min: u64::from(minimum),
                    max: maximum.map(u64::from),
                },
            },
        }
    }

    /// The element type.
    pub fn element(&self) -> ValType {
        self.ty.element
    }

    /// The minimum size.
    pub fn minimum(&self) -> u64 {
        self.ty.limits.min
    }

    /// The maximum size, if any.
    pub fn maximum(&self) -> Option<u64> {
        self.ty.limits.max
    }
}

/// The type of anything a module imports or exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternType {
    /// A function.
    Func(FuncType),
    /// A global.
    Global(GlobalType),
    /// A memory.
    Memory(MemoryType),
    /// A table.
    Table(TableType),
}

impl std::fmt::Display for ExternType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExternType::Func(t) => write!(f, "func {t}"),
            ExternType::Global(g) => write!(
                f,
                "global {}{}",
                if g.mutability() == Mutability::Var {
                    "mut "
                } else {
                    ""
                },
                g.content()
            ),
            ExternType::Memory(m) => write!(f, "memory {:?}..{:?}", m.minimum(), m.maximum()),
            ExternType::Table(t) => write!(
                f,
                "table {} {:?}..{:?}",
                t.element(),
                t.minimum(),
                t.maximum()
            ),
        }
    }
}
