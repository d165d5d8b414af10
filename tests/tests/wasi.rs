//! WASI preview 1 through the embedding API (`tierup-wasi`): every
//! `wasi_snapshot_preview1` import links, the test programs (`tests/wasi/*.c`, compiled to
//! `wasm32-wasi` by this package's `build.rs`) import only preview-1 functions, and the
//! builder with captured stdio and the exit status work for an embedder. The same programs
//! run end to end through the `tierup` command line in `runtime/cli/tests/wasi.rs`.

use std::collections::BTreeSet;

use tierup_runtime::{Engine, Error, Linker, Module, Store};
use tierup_tests::{WASI_PROGRAMS, wasi_program as program};
use tierup_wasi::{self as wasi, I32Exit, WasiCtx};

// ---------------------------------------------------------------------------------------
// Import completeness

/// Every preview-1 function with its signature (from the witx), as WAT.
const SIGNATURES: &[(&str, &str)] = &[
    ("args_get", "(param i32 i32) (result i32)"),
    ("args_sizes_get", "(param i32 i32) (result i32)"),
    ("environ_get", "(param i32 i32) (result i32)"),
    ("environ_sizes_get", "(param i32 i32) (result i32)"),
    ("clock_res_get", "(param i32 i32) (result i32)"),
    ("clock_time_get", "(param i32 i64 i32) (result i32)"),
    ("fd_advise", "(param i32 i64 i64 i32) (result i32)"),
    ("fd_allocate", "(param i32 i64 i64) (result i32)"),
    ("fd_close", "(param i32) (result i32)"),
    ("fd_datasync", "(param i32) (result i32)"),
    ("fd_fdstat_get", "(param i32 i32) (result i32)"),
    ("fd_fdstat_set_flags", "(param i32 i32) (result i32)"),
    ("fd_fdstat_set_rights", "(param i32 i64 i64) (result i32)"),
    ("fd_filestat_get", "(param i32 i32) (result i32)"),
    ("fd_filestat_set_size", "(param i32 i64) (result i32)"),
    (
        "fd_filestat_set_times",
        "(param i32 i64 i64 i32) (result i32)",
    ),
    ("fd_pread", "(param i32 i32 i32 i64 i32) (result i32)"),
    ("fd_prestat_get", "(param i32 i32) (result i32)"),
    ("fd_prestat_dir_name", "(param i32 i32 i32) (result i32)"),
    ("fd_pwrite", "(param i32 i32 i32 i64 i32) (result i32)"),
    ("fd_read", "(param i32 i32 i32 i32) (result i32)"),
    ("fd_readdir", "(param i32 i32 i32 i64 i32) (result i32)"),
    ("fd_renumber", "(param i32 i32) (result i32)"),
    ("fd_seek", "(param i32 i64 i32 i32) (result i32)"),
    ("fd_sync", "(param i32) (result i32)"),
    ("fd_tell", "(param i32 i32) (result i32)"),
    ("fd_write", "(param i32 i32 i32 i32) (result i32)"),
    ("path_create_directory", "(param i32 i32 i32) (result i32)"),
    (
        "path_filestat_get",
        "(param i32 i32 i32 i32 i32) (result i32)",
    ),
    (
        "path_filestat_set_times",
        "(param i32 i32 i32 i32 i64 i64 i32) (result i32)",
    ),
    (
        "path_link",
        "(param i32 i32 i32 i32 i32 i32 i32) (result i32)",
    ),
    (
        "path_open",
        "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)",
    ),
    (
        "path_readlink",
        "(param i32 i32 i32 i32 i32 i32) (result i32)",
    ),
    ("path_remove_directory", "(param i32 i32 i32) (result i32)"),
    (
        "path_rename",
        "(param i32 i32 i32 i32 i32 i32) (result i32)",
    ),
    ("path_symlink", "(param i32 i32 i32 i32 i32) (result i32)"),
    ("path_unlink_file", "(param i32 i32 i32) (result i32)"),
    ("poll_oneoff", "(param i32 i32 i32 i32) (result i32)"),
    ("proc_exit", "(param i32)"),
    ("proc_raise", "(param i32) (result i32)"),
    ("sched_yield", "(result i32)"),
    ("random_get", "(param i32 i32) (result i32)"),
    ("sock_accept", "(param i32 i32 i32) (result i32)"),
    ("sock_recv", "(param i32 i32 i32 i32 i32 i32) (result i32)"),
    ("sock_send", "(param i32 i32 i32 i32 i32) (result i32)"),
    ("sock_shutdown", "(param i32 i32) (result i32)"),
];

#[test]
fn every_preview1_function_is_listed() {
    let listed: BTreeSet<&str> = wasi::PREVIEW1_FUNCTIONS.iter().copied().collect();
    let expected: BTreeSet<&str> = SIGNATURES.iter().map(|(name, _)| *name).collect();
    assert_eq!(listed, expected);
    assert_eq!(wasi::PREVIEW1_FUNCTIONS.len(), 46);
}

/// A module importing all 46 functions with their witx signatures links against
/// `add_to_linker` (a missing function or a wrong signature would make it unlinkable).
#[test]
fn a_module_importing_every_preview1_function_links() {
    let mut wat = String::from("(module\n");
    for (name, sig) in SIGNATURES {
        wat.push_str(&format!(
            "  (import \"wasi_snapshot_preview1\" \"{name}\" (func {sig}))\n"
        ));
    }
    wat.push_str("  (memory (export \"memory\") 1)\n  (func (export \"_start\")))\n");
    let engine = Engine::default();
    let module = Module::new(&engine, &wat).expect("module parses");
    assert_eq!(module.imports().len(), 46);
    let mut store = Store::new(&engine, WasiCtx::builder().build());
    let mut linker = Linker::new(&engine);
    wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).expect("add WASI");
    linker
        .instantiate(&mut store, &module)
        .expect("every preview1 import is provided with the right type");
}

/// Every import of every compiled test program is a known preview-1 function.
#[test]
fn test_programs_import_only_preview1() {
    let engine = Engine::default();
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(WASI_PROGRAMS).expect("programs dir") {
        let path = entry.expect("entry").path();
        let module = Module::from_file(&engine, &path).expect("program loads");
        for import in module.imports() {
            assert_eq!(import.module(), wasi::MODULE, "{}", path.display());
            assert!(
                wasi::PREVIEW1_FUNCTIONS.contains(&import.name()),
                "{}: {}",
                path.display(),
                import.name()
            );
            seen.insert(import.name().to_string());
        }
    }
    assert!(
        seen.len() > 30,
        "the programs exercise {} functions",
        seen.len()
    );
}

// ---------------------------------------------------------------------------------------
// Embedding

/// Runs the `_start` of test program `name` with WASI context `ctx`, through the embedding API.
fn run_start(name: &str, ctx: WasiCtx) -> Result<(), Error> {
    let engine = Engine::default();
    let module = Module::from_file(&engine, program(name)).expect("load");
    let mut store = Store::new(&engine, ctx);
    let mut linker = Linker::new(&engine);
    wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).expect("add WASI");
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiate");
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .expect("_start");
    start.call(&mut store, ())
}

/// The builder API: arguments, environment, stdin from memory, stdout captured.
#[test]
fn embedding_with_captured_stdio() {
    let mut builder = WasiCtx::builder();
    builder.arg("stdio").stdin(&b"from memory"[..]);
    let stdout = builder.stdout_capture();
    let stderr = builder.stderr_capture();
    match run_start("stdio", builder.build()) {
        Ok(()) => {}
        Err(e) if e.downcast_ref::<I32Exit>() == Some(&I32Exit(0)) => {}
        Err(e) => panic!("{e}"),
    }
    assert_eq!(
        stdout.contents_string(),
        "poll: stdin-readable 1 stdout-writable 1\nisatty: 0 0 0\nseek stdout: ESPIPE\n\
         write to stdin: EBADF\nFROM MEMORY\nread 11 bytes from stdin\nclose stdin: OK\n\
         read closed stdin: EBADF\n"
    );
    assert_eq!(stderr.contents_string(), "this goes to stderr\n");
}

/// `proc_exit` reaches the embedder as an [`I32Exit`] inside [`Error::Host`], with the wasm
/// frames it left, and comes back out by value with `downcast`.
#[test]
fn embedding_sees_the_exit_status() {
    let mut builder = WasiCtx::builder();
    builder.args(["exit", "42"]);
    let stdout = builder.stdout_capture();
    let error = match run_start("exit", builder.build()) {
        Err(error) => error,
        Ok(()) => panic!("expected exit 42, got a return"),
    };
    assert_eq!(
        error.downcast_ref::<I32Exit>(),
        Some(&I32Exit(42)),
        "{error:?}"
    );
    match &error {
        Error::Host(host) => assert!(
            !host.backtrace().is_empty(),
            "the exit passed through wasm frames"
        ),
        other => panic!("expected a host error, got {other:?}"),
    }
    assert!(error.downcast_ref::<tierup_runtime::Trap>().is_none());
    assert_eq!(
        error.downcast::<I32Exit>().expect("an I32Exit"),
        I32Exit(42)
    );
    assert_eq!(stdout.contents_string(), "before exit\n");
}
