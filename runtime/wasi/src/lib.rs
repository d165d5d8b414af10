//! WASI preview 1 (`wasi_snapshot_preview1`): lets programs compiled for `wasm32-wasi` (C
//! with wasi-libc, Rust, Zig, ...) run, sandboxed by capabilities.
//!
//! The guest sees only what its [`WasiCtx`] grants: the arguments and environment variables
//! given to the [`WasiCtxBuilder`], its standard streams (inherited, fed from memory or
//! captured to memory), and the directories preopened with
//! [`WasiCtxBuilder::preopened_dir`]. Paths are resolved with `cap-std` relative to a
//! preopened directory's own handle, so `..`, absolute paths and symbolic links can never
//! reach outside it; every fd carries WASI rights, checked on each call.
//!
//! ```no_run
//! use tierup_runtime::wasi::{self, WasiCtx};
//! use tierup_runtime::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::from_file(&engine, "hello.wasm")?;
//! let mut builder = WasiCtx::builder();
//! builder.arg("hello.wasm").env("GREETING", "hi");
//! let stdout = builder.stdout_capture();
//! let mut store = Store::new(&engine, builder.build());
//! let mut linker = Linker::new(&engine);
//! wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx)?;
//! let instance = linker.instantiate(&mut store, &module)?;
//! let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
//! match start.call(&mut store, ()) {
//!     Ok(()) | Err(tierup_runtime::Error::Exit(0)) => {}
//!     Err(e) => return Err(e),
//! }
//! print!("{}", stdout.contents_string());
//! # Ok::<(), tierup_runtime::Error>(())
//! ```
//!
//! Module map: [`ctx`] (context and builder), `fdtable` (fds and the `fd_*` calls), `fs`
//! (the `path_*` calls over cap-std), `clocks` (clocks, randomness, `poll_oneoff`), `glue`
//! (the host functions: guest-memory access and argument decoding), [`types`] (the
//! preview-1 constants and errno mapping).

mod clocks;
pub mod ctx;
mod fdtable;
mod fs;
mod glue;
pub mod types;

pub use ctx::{OutputCapture, WasiCtx, WasiCtxBuilder};
pub use glue::{MODULE, add_to_linker};
pub use types::Errno;

/// The names of all 46 functions of `wasi_snapshot_preview1`, in the order of its witx.
pub const PREVIEW1_FUNCTIONS: &[&str] = &[
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];
