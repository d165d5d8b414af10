//! `tierup-wasi`: WASI preview 1 (`wasi_snapshot_preview1`) for tierup, as `wasmtime-wasi` is
//! to Wasmtime. It lets programs compiled for `wasm32-wasi` (C with wasi-libc, Rust, Zig, ...)
//! run, sandboxed by capabilities, and it is built only on `tierup-runtime`'s public
//! embedding API: [`add_to_linker`] defines the 46 host functions in a [`Linker`] over a
//! [`WasiCtx`] kept in the store's data.
//!
//! The guest sees only what its [`WasiCtx`] grants: the arguments and environment variables
//! given to the [`WasiCtxBuilder`], its standard streams (inherited, fed from memory or
//! captured to memory), and the directories preopened with
//! [`WasiCtxBuilder::preopened_dir`]. Paths are resolved with `cap-std` relative to a
//! preopened directory's own handle, so `..`, absolute paths and symbolic links can never
//! reach outside it; every fd carries WASI rights, checked on each call. Failures reach the
//! guest as errnos; `proc_exit` ends the call with an [`I32Exit`], which the embedder gets
//! back from the call's [`Error`] with [`Error::downcast_ref`]. (This example is the README's,
//! which is not compiled there; a test keeps the two identical.)
//!
//! ```no_run
//! use tierup_runtime::{Engine, Error, Linker, Module, Store};
//! use tierup_wasi::{self as wasi, I32Exit, WasiCtx};
//!
//! fn main() -> Result<(), Error> {
//!     let engine = Engine::default();
//!     let module = Module::from_file(&engine, "hello.wasm")?;
//!     let mut builder = WasiCtx::builder();
//!     builder.arg("hello.wasm").env("GREETING", "hi").preopened_dir("./data", "/data")?;
//!     let stdout = builder.stdout_capture();
//!     let mut store = Store::new(&engine, builder.build());
//!     let mut linker = Linker::new(&engine);
//!     wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx)?;
//!     let instance = linker.instantiate(&mut store, &module)?;
//!     let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
//!     match start.call(&mut store, ()) {
//!         Ok(()) => {}
//!         Err(e) if e.downcast_ref::<I32Exit>() == Some(&I32Exit(0)) => {}
//!         Err(e) => return Err(e),
//!     }
//!     print!("{}", stdout.contents_string());
//!     Ok(())
//! }
//! ```
//!
//! A hostile guest cannot make the host allocate in proportion to the counts and lengths it
//! passes: every call checks them against guest memory first and moves data through at most
//! one 64 KiB host buffer, so WASI holds at most 72 KiB of host buffers per call, and per
//! store ([`limits`] lists the bound of each function).
//!
//! Module map: [`ctx`] (context and builder), `fdtable` (fds and the `fd_*` calls), `fs`
//! (the `path_*` calls over cap-std), `clocks` (clocks, randomness, `poll_oneoff`), `glue`
//! (the host functions: guest-memory access and argument decoding), [`limits`] (what a guest
//! can make the host allocate), [`types`] (the preview-1 constants and errno mapping), and
//! here [`I32Exit`] and the list of functions.

use std::fmt;

#[cfg(doc)]
use tierup_runtime::{Error, Linker};

mod clocks;
pub mod ctx;
mod fdtable;
mod fs;
mod glue;
pub mod limits;
pub mod types;

pub use ctx::{OutputCapture, WasiCtx, WasiCtxBuilder};
pub use glue::{MODULE, add_to_linker};
pub use types::Errno;

/// The status a program passed to `proc_exit` (0..=125): the error `proc_exit` ends the wasm
/// call with, wrapped in a [`tierup_runtime::Error`] (`Error::new`). Not a failure as such: a
/// runner gets it back with `error.downcast_ref::<I32Exit>()` and exits with this status (as
/// `tierup run` does; the name and meaning are Wasmtime's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct I32Exit(pub i32);

impl fmt::Display for I32Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exited with status {}", self.0)
    }
}

impl std::error::Error for I32Exit {}

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

#[cfg(test)]
mod tests {
    /// The code block of `text` that starts at the line `fence` (up to the closing fence),
    /// with `prefix` removed from every line.
    fn code_block(text: &str, fence: &str, prefix: &str) -> String {
        let lines: Vec<&str> = text
            .lines()
            .map(|l| {
                l.strip_prefix(prefix)
                    .unwrap_or(if l == prefix.trim_end() { "" } else { l })
            })
            .collect();
        let start = lines.iter().position(|l| *l == fence).expect("the fence") + 1;
        let len = lines[start..]
            .iter()
            .position(|l| *l == "```")
            .expect("the closing fence");
        lines[start..start + len].join("\n")
    }

    /// The README's WASI example is not compiled with the README (a doc test of
    /// `tierup-runtime`, which cannot use this crate), so it must be this crate's example.
    #[test]
    fn the_readme_example_is_the_crate_example() {
        let readme = code_block(include_str!("../../../README.md"), "```rust,ignore", "");
        let crate_doc = code_block(include_str!("lib.rs"), "```no_run", "//! ");
        assert_eq!(readme, crate_doc);
    }
}
