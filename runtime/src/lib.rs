//! `tierup-runtime`: the embedding API of tierup, a tiered WebAssembly runtime, and the
//! machinery behind it (tiering, machine-code memory, traps).
//!
//! The API follows Wasmtime's shape: an [`Engine`] (configured by a [`Config`], including the
//! tier choice), [`Module`]s compiled for it, a [`Store`] holding instances and the embedder's
//! data, a [`Linker`] to resolve imports, and typed or dynamic calls.
//!
//! With the `wat` feature (off by default) a module can be given as text, as here; without
//! it, [`Module::new`] takes binaries only.
//!
//! ```
//! # #[cfg(feature = "wat")] {
//! use tierup_runtime::{Caller, Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "host" "log" (func $log (param i32)))
//!       (func (export "fib") (param i32) (result i32)
//!         (if (result i32) (i32.lt_s (local.get 0) (i32.const 2))
//!           (then (local.get 0))
//!           (else (i32.add
//!             (call 1 (i32.sub (local.get 0) (i32.const 1)))
//!             (call 1 (i32.sub (local.get 0) (i32.const 2))))))))
//! "#)?;
//! let mut store = Store::new(&engine, 0u32);
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("host", "log", |mut caller: Caller<'_, u32>, x: i32| {
//!     *caller.data_mut() += x as u32;
//! })?;
//! let instance = linker.instantiate(&mut store, &module)?;
//! let fib = instance.get_typed_func::<i32, i32>(&mut store, "fib")?;
//! assert_eq!(fib.call(&mut store, 20)?, 6765);
//! # }
//! # Ok::<(), tierup_runtime::Error>(())
//! ```
//!
//! Module map: [`config`] and [`engine`] (configuration, signature registry), [`module`]
//! (validation, lazy translation state, code table), [`store`] (ownership of everything an
//! instance uses), [`instance`] (instantiation), [`linker`], [`func`] (calls, host functions,
//! libcalls), [`externals`] (memories, tables, globals), [`limits`] (per-store resource
//! limits: [`ResourceLimiter`], [`StoreLimits`]), [`values`], [`types`] (global,
//! memory, table, import and export types), [`error`] (errors, traps, host errors),
//! [`stats`] (what each function's tiers cost), `explore` (with the `explore` feature:
//! `Module::explore`, one function as each tier sees it); internal: `jit` (machine code: code memory,
//! the trap handler, the code table, tiering, OSR, libcalls and the optimizer's workers) and
//! `vm` (raw memory, table and stack resources).
//!
//! Clients of this API live in crates of their own (DESIGN.md §1), so an embedder compiles
//! none of them: `tierup-wasi` (WASI preview 1), `tierup-wast` (the spec-script runner) and
//! `tierup-cli` (the `tierup` command).

/// The README's examples, compiled and run by `cargo test --doc` (they write modules as text).
#[doc = include_str!("../../README.md")]
#[cfg(all(doctest, feature = "wat"))]
pub struct ReadmeDoctests;

pub mod config;
pub mod engine;
pub mod error;
#[cfg(feature = "explore")]
pub mod explore;
pub mod externals;
pub mod func;
pub mod instance;
mod interrupt;
mod jit;
pub mod limits;
pub mod linker;
pub mod module;
pub mod stats;
pub mod store;
pub mod types;
pub mod values;
mod vm;

pub use config::{BoundsChecks, Config, Features, TierMode, Tiers};
pub use engine::Engine;
pub use error::{Error, FrameInfo, HostError, Trap};
#[cfg(feature = "explore")]
pub use explore::{
    BytecodeInstr, BytecodeListing, Exploration, Line, MachineInstr, MachineListing,
    OptimizedListing, WasmListing,
};
pub use externals::{Extern, Global, Memory, Table};
pub use func::{Func, HostFunc, IntoFunc, TypedFunc, WasmParams, WasmResults, WasmRet, WasmTy};
pub use instance::Instance;
pub use interrupt::{InterruptHandle, UpdateDeadline};
pub use jit::code_cache::default_dir as default_code_cache_dir;

/// Managing a code cache directory ([`Config::code_cache`]): what it holds, and removing
/// modules' files from it (what `tierup cache` does).
pub mod code_cache {
    pub use crate::jit::code_cache::{
        CacheFile, DEFAULT_MAX_SIZE, Pruned, clear, default_dir, list, prune,
    };
}
pub use limits::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
pub use linker::Linker;
pub use module::{ExportType, ImportType, Module};
pub use stats::{ModuleStats, Tier, TierEvent};
pub use store::{AsContext, AsContextMut, Caller, Store, StoreContext, StoreContextMut};
pub use tierup_abi::{FuncType, TrapCode, ValType};
pub use types::{ExternType, GlobalType, MemoryType, Mutability, TableType};
pub use values::{ExternRef, V128, Val};

/// The interpreter's dispatch backend in this build: `"threaded"` (tail-call handlers, in
/// optimized x86-64 builds) or `"loop"` (the portable `loop { match }`).
pub const INTERP_DISPATCH: &str = tierup_interp::exec::DISPATCH;
