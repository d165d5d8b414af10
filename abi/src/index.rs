//! Index newtypes for the module's index spaces, so that an index of one space cannot be
//! used in another, and the defined-function arithmetic lives in one place.
//!
//! WebAssembly lists imports first in every index space. A [`FuncIdx`] counts imported and
//! defined functions together (what `call` names); a [`DefinedFuncIdx`] counts only the
//! functions the module defines (what code tables, hotness counters and function bodies are
//! indexed by). [`crate::ModuleInfo::defined_func`] and [`crate::ModuleInfo::func_of`]
//! convert between them. All are `#[repr(transparent)]` over `u32`, so they can cross the
//! `extern "sysv64"` boundary of the libcalls unchanged.

use std::fmt;

macro_rules! index_types {
    ($( $(#[doc = $doc:literal])* $name:ident; )*) => {$(
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        #[repr(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The index as a `usize`, to index a slice of this space.
            #[inline(always)]
            pub const fn index(self) -> usize {
                self.0 as usize
            }

            /// The index as it is encoded (a `u32`).
            #[inline(always)]
            pub const fn as_u32(self) -> u32 {
                self.0
            }
        }

        impl From<u32> for $name {
            fn from(index: u32) -> $name {
                $name(index)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    )*};
}

index_types! {
    /// A function in the module's function index space (imports first).
    FuncIdx;
    /// A function the module defines: index 0 is the first function after the imports.
    DefinedFuncIdx;
    /// A type in the module's type section.
    TypeIdx;
    /// A table in the module's table index space (imports first).
    TableIdx;
    /// A memory in the module's memory index space (imports first).
    MemoryIdx;
    /// A global in the module's global index space (imports first).
    GlobalIdx;
}
