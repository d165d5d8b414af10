//! WASI preview 1 through the embedding API (`tierup-wasi`): every
//! `wasi_snapshot_preview1` import links, the test programs (`tests/wasi/*.c`, compiled to
//! `wasm32-wasi` by this package's `build.rs`) import only preview-1 functions, and the
//! builder with captured stdio and the exit status work for an embedder. The same programs
//! run end to end through the `tierup` command line in `runtime/cli/tests/wasi.rs`.

use std::collections::BTreeSet;

use tierup_runtime::{Config, Engine, Error, Linker, Module, Store};
use tierup_tests::{TIER_ROWS, WASI_PROGRAMS, wasi_program as program};
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
    tierup_tests::fill_fuel(&mut store);
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
    run_start_with(&Config::new(), name, ctx)
}

/// [`run_start`] in an engine made with `config`.
fn run_start_with(config: &Config, name: &str, ctx: WasiCtx) -> Result<(), Error> {
    let engine = Engine::new(config).expect("engine");
    let module = Module::from_file(&engine, program(name)).expect("load");
    let mut store = Store::new(&engine, ctx);
    tierup_tests::fill_fuel(&mut store);
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

// ---------------------------------------------------------------------------------------
// SIMD programs

/// What `simd_intrinsics.c` prints; taken from V8 (node 20's WASI) running the same binary.
const SIMD_INTRINSICS_STDOUT: &str = "\
dot product: -22.968929 (bits c1b7c05e)
dot product f64: -22.968904609745
histogram: 245 276 234 262 262 264 247 255 251 266 242 266 280 233 256 257
base64: TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsuIFNJTUQgaW4gZXZlcnkgdGllciwgYml0IGZvciBiaXQh
pixels: 24 36 49 6b 90 b5 c7 25 38 4a 6e 93 b6 c9 27 39
scaled u8 sat: 21 90 ff ff ff ff ff 2a 99 ff ff ff ff ff 33 a2
scaled i8 sat: 21 7f 7f 7f 7f 7f 7f 2a 7f 7f 7f 7f 7f 7f 33 7f
extmul: 18 7f ff ff 80 cd fd ff e8 1b fc ff 50 6a fa ff
dot i16x8: 39 a8 00 00 5d 2c 04 00 91 b2 0a 00 d5 a5 00 00
q15mulr: ff 7f 01 80 00 20 00 e0 fe 7f 00 00 00 00 7b dd
f32 min: 00 00 00 80 00 00 20 c0 00 00 c0 7f 00 00 80 ff
f32 max: 00 00 00 00 00 00 c0 3f 00 00 c0 7f 00 00 e0 40
f32 pmin: 00 00 00 80 00 00 20 c0 00 00 c0 7f 00 00 80 ff
f32 pmax: 00 00 00 80 00 00 c0 3f 00 00 c0 7f 00 00 e0 40
nearest: 00 00 00 40 00 00 00 c0 00 00 80 40 00 00 00 80
ceil: 00 00 40 40 00 00 00 c0 00 00 80 40 00 00 00 80
floor: 00 00 00 40 00 00 40 c0 00 00 40 40 00 00 80 bf
trunc: 00 00 00 40 00 00 00 c0 00 00 40 40 00 00 00 80
sqrt: f3 04 b5 3f 00 00 00 00 00 00 c0 ff a9 5f 63 58
trunc_sat i32: ff ff ff 7f 00 00 00 80 00 00 00 00 ff ff ff ff
trunc_sat u32: 00 5e d0 b2 00 00 00 00 00 00 00 00 00 00 00 00
trunc_sat f64: 00 00 00 80 2a 00 00 00 00 00 00 00 00 00 00 00
convert u32: 00 00 80 4f 00 00 00 00 00 00 80 4b 00 00 e0 40
demote: 00 00 80 7f cd cc cc 3d 00 00 00 00 00 00 00 00
f64 div: 55 55 55 55 55 55 d5 3f 00 00 00 00 00 00 f8 7f
f32 lt: 00 00 00 00 00 00 00 00 00 00 00 00 ff ff ff ff
f32 ne: 00 00 00 00 00 00 00 00 ff ff ff ff 00 00 00 00
load8 splat: 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c 1c
load32 zero: 2e 37 40 49 00 00 00 00 00 00 00 00 00 00 00 00
load16 lane: 01 0a 13 1c 25 2e 37 40 49 52 5b 64 40 49 7f 88
load16x4 s: 52 5b 00 00 64 6d 00 00 76 7f 00 00 88 91 ff ff
load8x8 u: 9a 00 a3 00 ac 00 b5 00 be 00 c7 00 d0 00 d9 00
after lane stores: 01 6d 76 7f 88 2e 37 40 49 52 5b 64 6d 76 7f 88
second half: 91 9a a3 ac b5 be c7 d0 d9 e2 eb f4 fd 06 88 18
bitmask i8 aa49 i16 f2 i32 d i64 2
all_true 0 1 any_true 1 0
popcnt: 08 00 01 01 07 02 07 00 02 07 02 07 03 04 01 02
abs: 01 00 01 80 7f 05 05 00 09 09 03 03 64 64 40 40
shl 9: 00 fe 00 02 00 fe 00 f6 00 12 00 06 00 c8 00 80
shr_s 33: 7f 80 00 c0 bf 82 7d 00 84 fb 81 fe 32 4e 20 e0
shr_u 63: 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00
i64 mul: 03 fd fc 7f 81 ef 0e fd d1 d2 f0 cf b8 07 54 d4
i64 gt: ff ff ff ff ff ff ff ff 00 00 00 00 00 00 00 00
u8 min: 0a 00 01 0a 0a 05 0a 00 09 0a 03 0a 0a 0a 0a 0a
i16 max: ff 00 0a 00 7f 05 fb 00 0a 00 0a 00 0a 00 0a 00
u32 gt: ff ff ff ff 00 00 00 00 ff ff ff ff ff ff ff ff
andnot: f0 00 00 80 70 00 f0 00 00 f0 00 f0 60 90 40 c0
replace: ff 00 01 80 7f 05 fb 00 fe ff ff ff ff ff ff ff
shuffle: c0 01 40 0a 9c 13 64 1c ff 88 00 7f 01 76 80 6d
all vector results match the scalar ones
";

/// What `simd_autovec.c` prints; the same C compiled natively for x86-64 prints the same.
const SIMD_AUTOVEC_STDOUT: &str = "\
saxpy: 45ffff00
abs sum: 3935072.000
sum i32: 23528673673
max i32: 2146391373
count below 'a': 6833
to upper: c3d1ea8c LN/2X@)XYCJV`5\"]<LBIM;#6IMI`:.UZ<VQXD]D\"
widen: c0aab281
clamp: 7d454fd3
matmul: be3f556b trace -334.4375
strlen 66, memchr 'z' at 37
";

/// The SIMD programs (intrinsics from `wasm_simd128.h`, and loops clang auto-vectorised with
/// `-msimd128`) print exactly the expected text in every tier row of the spec suite: each
/// forced tier, both bounds-check strategies, tiered, and the stress rows that tier up mid-run.
#[test]
fn simd_programs_print_their_exact_output_in_every_tier_row() {
    for (name, expected) in [
        ("simd_intrinsics", SIMD_INTRINSICS_STDOUT),
        ("simd_autovec", SIMD_AUTOVEC_STDOUT),
    ] {
        for row in TIER_ROWS {
            let mut builder = WasiCtx::builder();
            builder.arg(name);
            let stdout = builder.stdout_capture();
            match run_start_with(&row.config(), name, builder.build()) {
                Ok(()) => {}
                Err(e) if e.downcast_ref::<I32Exit>() == Some(&I32Exit(0)) => {}
                Err(e) => panic!("{name} in {}: {e:?}", row.name),
            }
            assert_eq!(
                stdout.contents_string(),
                expected,
                "{name} in row {}",
                row.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Edge cases

/// What `edge_cases.c` prints (the CLI test `directories_with_granted_rights_...` checks the
/// same text through `tierup run`).
const EDGE_CASES_STDOUT: &str = "\
mkdir sub: OK
fdstat of the preopen: OK
open sub with the preopen's inheriting rights: OK
  fdstat: OK, directory 1, rights within the granted ones 1
  readdir: OK, . .. inner.txt
open sub with the preopen's own rights: OK
  fdstat: OK, directory 1, rights within the granted ones 1
  readdir: OK, . .. inner.txt
open sub with O_DIRECTORY and all rights: OK
  fdstat: OK, directory 1, rights within the granted ones 1
  readdir: OK, . .. inner.txt
open sub with fd_write only: EISDIR
open sub O_TRUNC: EISDIR
open(sub, O_RDONLY): OK
open(sub, O_RDWR): OK
open(O_WRONLY | O_CREAT | O_TRUNC | O_APPEND): OK
write: OK
pwrite at 0: OK
append flag: 1
path_open O_TRUNC + APPEND with the rights of pwrite: OK
fd_pwrite: OK 2
fd_write: OK 2
fdstat: OK, append 1
open(O_RDWR | O_APPEND): OK
pwrite(O_RDWR | O_APPEND): OK
open(O_RDONLY | O_APPEND): OK
append flag: 1
read: OK
log: [CD++EF]
write without the right: EBADF
sock_recv on stdin: ENOTSOCK
sock_send on stdout: ENOTSOCK
sock_accept on the preopen: ENOTSOCK
sock_shutdown on a file: ENOTSOCK
sock_shutdown on a closed fd: EBADF
shutdown(2) on stderr: ENOTSOCK
";

/// `path_open` of a directory with the rights the directory was granted opens it (it was
/// `EISDIR`); `O_APPEND` for `pwrite` opens, with `O_TRUNC` too (it was `EINVAL`); `sock_*`
/// on what is not a socket is `ENOTSOCK` (it was `ENOTSUP`): in every tier row.
#[test]
fn edge_cases_directories_append_and_sockets_in_every_tier_row() {
    for row in TIER_ROWS {
        let dir = tierup_tests::scratch_dir();
        let mut builder = WasiCtx::builder();
        builder
            .arg("edge_cases")
            .preopened_dir(&dir, "/sandbox")
            .expect("preopen");
        let stdout = builder.stdout_capture();
        match run_start_with(&row.config(), "edge_cases", builder.build()) {
            Ok(()) => {}
            Err(e) if e.downcast_ref::<I32Exit>() == Some(&I32Exit(0)) => {}
            Err(e) => panic!("edge_cases in {}: {e:?}", row.name),
        }
        assert_eq!(
            stdout.contents_string(),
            EDGE_CASES_STDOUT,
            "row {}",
            row.name
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("log.txt")).expect("log.txt"),
            "CD++EF",
            "row {}",
            row.name
        );
    }
}
