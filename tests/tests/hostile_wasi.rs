//! Hostile guests through the embedding API (`tierup_runtime` + `tierup_wasi`): modules that
//! hand WASI counts and lengths chosen to make the host allocate in proportion to them, run in
//! every tier row of [`TIER_ROWS`]. Each must get a clean errno (or succeed with a bounded
//! transfer), and the peak RSS of this process must grow by less than [`RSS_BOUND_KIB`]
//! during the call (the peak is reset before it through `/proc/self/clear_refs` and read
//! from `VmHWM` after it; the tests of this file run one at a time so that none sees
//! another's allocations).
//!
//! The modules are `tests/fixtures/hostile/*.wat` (also run through `tierup run` by
//! `runtime/cli/tests/wasi.rs`, which measures the child's maximum RSS); the smaller checks
//! of every call's order of checks (`EINVAL` for a count that cannot fit in memory, `EFAULT`
//! for an array out of bounds, `ENAMETOOLONG` for a path longer than 4096 bytes) are
//! [`EDGES_WAT`]'s exports. Linux only (`/proc/self/status`, `/proc/self/clear_refs`).

#![cfg(target_os = "linux")]

use std::sync::{Mutex, MutexGuard};

use tierup_runtime::{Engine, Error, Instance, Linker, Module, Store, TypedFunc};
use tierup_tests::{ScratchDir, TIER_ROWS, TierRow, fixture, scratch_dir};
use tierup_wasi::{self as wasi, I32Exit, WasiCtx};

/// The most one hostile call may add to this process's peak RSS: 16 MiB (the guest's own
/// memory writes included). Before the WASI calls were bounded, the same calls aborted the
/// process (failed allocations of 128 GiB to 511 GiB) or grew it by 500 MiB to 1 GiB.
const RSS_BOUND_KIB: u64 = 16 * 1024;

/// The size of `data.bin` in the preopened directory.
const DATA_LEN: usize = 256 * 1024;

/// Serialises the tests of this file (see the module doc).
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Resets the peak RSS (`VmHWM`) to the current RSS.
fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM through clear_refs");
}

/// A scratch directory with `data.bin` ([`DATA_LEN`] bytes of 7), to preopen as `/sandbox`
/// (removed when the returned guard is dropped).
fn sandbox() -> ScratchDir {
    let dir = scratch_dir();
    std::fs::write(dir.join("data.bin"), vec![7u8; DATA_LEN]).expect("write data.bin");
    dir
}

/// A store over `module`'s instance with WASI: `/sandbox` (fd 3) is `dir`.
fn instantiate(
    engine: &Engine,
    module: &Module,
    dir: &std::path::Path,
) -> (Store<WasiCtx>, Instance) {
    let mut builder = WasiCtx::builder();
    builder
        .arg("hostile")
        .preopened_dir(dir, "/sandbox")
        .expect("preopen");
    let mut store = Store::new(engine, builder.build());
    tierup_tests::fill_fuel(&mut store);
    let mut linker = Linker::new(engine);
    wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).expect("add WASI");
    let instance = linker.instantiate(&mut store, module).expect("instantiate");
    (store, instance)
}

/// The `u32` at `addr` in the instance's memory.
fn read_u32(store: &mut Store<WasiCtx>, instance: &Instance, addr: usize) -> u32 {
    let memory = instance.get_memory(&mut *store, "memory").expect("memory");
    let mut bytes = [0u8; 4];
    memory.read(&*store, addr, &mut bytes).expect("in bounds");
    u32::from_le_bytes(bytes)
}

/// One hostile module: its `_start` exits with the errno of its hostile call.
struct Case {
    /// `tests/fixtures/hostile/<name>.wat`.
    name: &'static str,
    /// The errno it must get.
    errno: i32,
    /// Where the call's count is, and what it must be (success cases).
    result: Option<(usize, u32)>,
}

/// Runs `case` in `row`; returns the growth of the peak RSS over the call, in KiB.
fn run_case(row: &TierRow, case: &Case, dir: &std::path::Path) -> u64 {
    let engine = Engine::new(&row.config()).expect("engine");
    let path = fixture(&format!("hostile/{}.wat", case.name));
    let text = std::fs::read_to_string(&path).expect("read the module");
    let module = Module::new(&engine, &text).expect("compile the module");
    let (mut store, instance) = instantiate(&engine, &module, dir);
    let start: TypedFunc<(), ()> = instance
        .get_typed_func(&mut store, "_start")
        .expect("_start");
    reset_peak_rss();
    let before = status_kib("VmHWM");
    let result = start.call(&mut store, ());
    let after = status_kib("VmHWM");
    let growth = after.saturating_sub(before);
    let errno = match result {
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => *code,
            None => panic!("{} in {}: {e:?}", case.name, row.name),
        },
        Ok(()) => panic!("{} in {}: returned without proc_exit", case.name, row.name),
    };
    eprintln!(
        "{:>18} {:<24} errno {errno:>2}, peak RSS +{growth} KiB",
        row.name, case.name
    );
    assert_eq!(errno, case.errno, "{} in {}: errno", case.name, row.name);
    if let Some((addr, expected)) = case.result {
        assert_eq!(
            read_u32(&mut store, &instance, addr),
            expected,
            "{} in {}: the count at {addr:#x}",
            case.name,
            row.name
        );
    }
    growth
}

/// Runs `case` in every tier row and checks the RSS bound.
fn hostile(case: Case) {
    let _serial = serial();
    let dir = sandbox();
    for row in TIER_ROWS {
        let growth = run_case(row, &case, &dir);
        assert!(
            growth <= RSS_BOUND_KIB,
            "{} in {}: the peak RSS grew by {growth} KiB (bound {RSS_BOUND_KIB} KiB)",
            case.name,
            row.name
        );
    }
}

#[test]
fn poll_oneoff_with_a_count_that_cannot_fit_is_einval() {
    hostile(Case {
        name: "poll_oneoff_huge_count",
        errno: 28,
        result: None,
    });
}

#[test]
fn poll_oneoff_with_memory_full_of_subscriptions_allocates_nothing_per_subscription() {
    hostile(Case {
        name: "poll_oneoff_many",
        errno: 0,
        result: Some((0x3f_fff8, 52428)),
    });
}

#[test]
fn fd_read_with_overlapping_iovecs_reads_the_file_through_a_bounded_buffer() {
    hostile(Case {
        name: "fd_read_overlapping",
        errno: 0,
        result: Some((0x1f_f000, DATA_LEN as u32)),
    });
}

#[test]
fn fd_pread_with_overlapping_iovecs_reads_the_file_through_a_bounded_buffer() {
    hostile(Case {
        name: "fd_pread_overlapping",
        errno: 0,
        result: Some((0x1f_f000, DATA_LEN as u32)),
    });
}

#[test]
fn fd_write_with_overlapping_iovecs_is_streamed() {
    hostile(Case {
        name: "fd_write_overlapping",
        errno: 0,
        // At most 1024 iovecs per call: 1024 * 128 KiB.
        result: Some((0x1_fff8, 1024 * 0x2_0000)),
    });
}

#[test]
fn fd_pwrite_with_overlapping_iovecs_is_streamed() {
    let _serial = serial();
    for row in TIER_ROWS {
        let dir = sandbox();
        let case = Case {
            name: "fd_pwrite_overlapping",
            errno: 0,
            result: Some((0xfff8, 1024 * 0x1000)),
        };
        let growth = run_case(row, &case, &dir);
        assert!(growth <= RSS_BOUND_KIB, "{} grew by {growth} KiB", row.name);
        let written = std::fs::read(dir.join("out.bin")).expect("out.bin");
        assert_eq!(written.len(), 1024 * 0x1000, "{}", row.name);
    }
}

#[test]
fn path_open_with_a_path_of_a_gigabyte_is_enametoolong_without_copying_it() {
    hostile(Case {
        name: "path_open_long",
        errno: 37,
        result: None,
    });
}

// ---------------------------------------------------------------------------------------
// The order of checks, call by call

/// Exports that each make one WASI call with hostile arguments and return its errno. Memory:
/// 2 pages (128 KiB); the path calls use a path of `a`s at 0x100 (5000 bytes, or a prefix);
/// fd 3 is the preopen. A range must be inside memory even when it is empty.
const EDGES_WAT: &str = r#"
(module
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread" (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pwrite" (func $fd_pwrite (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_readlink" (func $path_readlink (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $path_rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; Writes the path of `a`s again (other calls may have overwritten it).
  (func $fill_path
    (memory.fill (i32.const 0x100) (i32.const 0x61) (i32.const 5000)))

  ;; A count of iovecs whose array (8 bytes each) cannot fit in memory: EINVAL.
  (func (export "fd_read_count") (result i32)
    (call $fd_read (i32.const 0) (i32.const 0) (i32.const 0x4000_0000) (i32.const 0)))
  (func (export "fd_write_count") (result i32)
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x4000_0000) (i32.const 0)))
  (func (export "fd_pread_count") (result i32)
    (call $fd_pread (i32.const 3) (i32.const 0) (i32.const -1) (i64.const 0) (i32.const 0)))
  (func (export "fd_pwrite_count") (result i32)
    (call $fd_pwrite (i32.const 3) (i32.const 0) (i32.const -1) (i64.const 0) (i32.const 0)))
  (func (export "sock_recv_count") (result i32)
    (call $sock_recv (i32.const 0) (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 0) (i32.const 4)))
  (func (export "sock_send_count") (result i32)
    (call $sock_send (i32.const 1) (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 0)))
  ;; A count that could fit, but not at this address: EFAULT.
  (func (export "fd_write_array_out_of_bounds") (result i32)
    (call $fd_write (i32.const 1) (i32.const 0x1_fff0) (i32.const 4) (i32.const 0)))
  ;; An iovec pointing past the end of memory: EFAULT.
  (func (export "fd_write_iovec_out_of_bounds") (result i32)
    (i32.store (i32.const 0x2000) (i32.const 0x1_ff00))
    (i32.store (i32.const 0x2004) (i32.const 0x1000))
    (call $fd_write (i32.const 1) (i32.const 0x2000) (i32.const 1) (i32.const 0x2010)))
  (func (export "fd_read_iovec_out_of_bounds") (result i32)
    (i32.store (i32.const 0x2000) (i32.const -16))
    (i32.store (i32.const 0x2004) (i32.const 32))
    (call $fd_read (i32.const 0) (i32.const 0x2000) (i32.const 1) (i32.const 0x2010)))
  ;; nwritten/nread out of bounds: EFAULT.
  (func (export "fd_write_result_out_of_bounds") (result i32)
    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0x1_fffe)))
  ;; Buffers past the end of memory.
  (func (export "random_get_out_of_bounds") (result i32)
    (call $random_get (i32.const 0x1_0000) (i32.const 0x1_0001)))
  (func (export "random_get_all_of_memory") (result i32)
    (call $random_get (i32.const 0) (i32.const 0x2_0000)))
  (func (export "fd_readdir_out_of_bounds") (result i32)
    (call $fd_readdir (i32.const 3) (i32.const 0x1_0000) (i32.const 0x1_0001) (i64.const 0) (i32.const 0)))
  (func (export "fd_readdir_all_of_memory") (result i32)
    (call $fd_readdir (i32.const 3) (i32.const 0) (i32.const 0x1_fff0) (i64.const 0) (i32.const 0x1_fff8)))
  (func (export "prestat_dir_name_out_of_bounds") (result i32)
    (call $fd_prestat_dir_name (i32.const 3) (i32.const 0x1_fffe) (i32.const 8)))
  (func (export "args_get_out_of_bounds") (result i32)
    (call $args_get (i32.const 0x1_fffe) (i32.const 0)))
  (func (export "args_buf_out_of_bounds") (result i32)
    (call $args_get (i32.const 0) (i32.const 0x1_fffe)))
  (func (export "environ_get_out_of_bounds") (result i32)
    (call $environ_get (i32.const -4) (i32.const 0)))
  (func (export "args_sizes_get_out_of_bounds") (result i32)
    (call $args_sizes_get (i32.const 0) (i32.const 0x2_0000)))
  ;; poll_oneoff: no subscriptions, output out of bounds, input out of bounds.
  (func (export "poll_oneoff_zero") (result i32)
    (call $poll_oneoff (i32.const 0) (i32.const 0x1000) (i32.const 0) (i32.const 0x2000)))
  (func (export "poll_oneoff_output_out_of_bounds") (result i32)
    (call $poll_oneoff (i32.const 0) (i32.const 0x1_ffe0) (i32.const 2) (i32.const 0x2000)))
  (func (export "poll_oneoff_input_out_of_bounds") (result i32)
    (call $poll_oneoff (i32.const 0x1_ffd0) (i32.const 0) (i32.const 2) (i32.const 0x2000)))
  ;; Paths: longer than 4096 bytes (ENAMETOOLONG), out of bounds (EFAULT).
  (func (export "path_too_long") (result i32)
    (call $fill_path)
    (call $path_create_directory (i32.const 3) (i32.const 0x100) (i32.const 5000)))
  (func (export "path_filestat_too_long") (result i32)
    (call $fill_path)
    (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 0x100) (i32.const 5000) (i32.const 0x4000)))
  (func (export "path_rename_too_long") (result i32)
    (call $fill_path)
    (call $path_rename (i32.const 3) (i32.const 0x100) (i32.const 4) (i32.const 3) (i32.const 0x100) (i32.const 5000)))
  (func (export "symlink_target_too_long") (result i32)
    (call $fill_path)
    (call $path_symlink (i32.const 0x100) (i32.const 5000) (i32.const 3) (i32.const 0x100) (i32.const 4)))
  (func (export "path_out_of_bounds") (result i32)
    (call $path_create_directory (i32.const 3) (i32.const 0x1_fff0) (i32.const 0x20)))
  (func (export "path_of_4096_bytes_is_a_host_error") (result i32)
    (call $fill_path)
    (call $path_create_directory (i32.const 3) (i32.const 0x100) (i32.const 4096)))
  (func (export "readlink_buffer_out_of_bounds") (result i32)
    (call $fill_path)
    (call $path_readlink (i32.const 3) (i32.const 0x100) (i32.const 4) (i32.const 0x1_fff0) (i32.const 0x20) (i32.const 0x4000)))
  ;; Sockets: no fd is one.
  (func (export "sock_recv_on_stdin") (result i32)
    (i32.store (i32.const 0x2000) (i32.const 0x3000))
    (i32.store (i32.const 0x2004) (i32.const 16))
    (call $sock_recv (i32.const 0) (i32.const 0x2000) (i32.const 1) (i32.const 0) (i32.const 0x2010) (i32.const 0x2014)))
  (func (export "sock_send_on_stdout") (result i32)
    (i32.store (i32.const 0x2000) (i32.const 0x3000))
    (i32.store (i32.const 0x2004) (i32.const 16))
    (call $sock_send (i32.const 1) (i32.const 0x2000) (i32.const 1) (i32.const 0) (i32.const 0x2010)))
  (func (export "sock_accept_on_a_directory") (result i32)
    (call $sock_accept (i32.const 3) (i32.const 0) (i32.const 0x2010)))
  (func (export "sock_shutdown_on_stderr") (result i32)
    (call $sock_shutdown (i32.const 2) (i32.const 2)))
  (func (export "sock_shutdown_on_a_closed_fd") (result i32)
    (call $sock_shutdown (i32.const 99) (i32.const 2)))
)
"#;

/// Every export of [`EDGES_WAT`] with the errno it must return.
const EDGES: &[(&str, i32)] = &[
    ("fd_read_count", 28),
    ("fd_write_count", 28),
    ("fd_pread_count", 28),
    ("fd_pwrite_count", 28),
    ("sock_recv_count", 28),
    ("sock_send_count", 28),
    ("fd_write_array_out_of_bounds", 21),
    ("fd_write_iovec_out_of_bounds", 21),
    ("fd_read_iovec_out_of_bounds", 21),
    ("fd_write_result_out_of_bounds", 21),
    ("random_get_out_of_bounds", 21),
    ("random_get_all_of_memory", 0),
    ("fd_readdir_out_of_bounds", 21),
    ("fd_readdir_all_of_memory", 0),
    ("prestat_dir_name_out_of_bounds", 21),
    ("args_get_out_of_bounds", 21),
    ("args_buf_out_of_bounds", 21),
    ("environ_get_out_of_bounds", 21),
    ("args_sizes_get_out_of_bounds", 21),
    ("poll_oneoff_zero", 28),
    ("poll_oneoff_output_out_of_bounds", 21),
    ("poll_oneoff_input_out_of_bounds", 21),
    ("path_too_long", 37),
    ("path_filestat_too_long", 37),
    ("path_rename_too_long", 37),
    ("symlink_target_too_long", 37),
    ("path_out_of_bounds", 21),
    ("path_of_4096_bytes_is_a_host_error", 37),
    ("readlink_buffer_out_of_bounds", 21),
    ("sock_recv_on_stdin", 57),
    ("sock_send_on_stdout", 57),
    ("sock_accept_on_a_directory", 57),
    ("sock_shutdown_on_stderr", 57),
    ("sock_shutdown_on_a_closed_fd", 8),
];

/// Each call of [`EDGES_WAT`] returns its errno in every tier row, and the guest memory
/// outside the buffers it names is left alone.
#[test]
fn every_call_checks_counts_and_buffers_against_guest_memory_first() {
    let _serial = serial();
    let dir = sandbox();
    for row in TIER_ROWS {
        let engine = Engine::new(&row.config()).expect("engine");
        let module = Module::new(&engine, EDGES_WAT).expect("compile");
        let (mut store, instance) = instantiate(&engine, &module, &dir);
        for &(name, errno) in EDGES {
            let func: TypedFunc<(), i32> = instance
                .get_typed_func(&mut store, name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let got = func
                .call(&mut store, ())
                .unwrap_or_else(|e: Error| panic!("{name} in {}: {e:?}", row.name));
            assert_eq!(got, errno, "{name} in {}", row.name);
        }
        // fd_readdir over all of memory: `.`, `..` and data.bin, 24 bytes of header each.
        let used = read_u32(&mut store, &instance, 0x1_fff8);
        assert_eq!(
            used,
            3 * 24 + 1 + 2 + 8,
            "fd_readdir's bufused in {}",
            row.name
        );
    }
}

// ---------------------------------------------------------------------------------------
// Streaming moves exactly the bytes asked for

/// `run` writes 192 KiB from 0x10000 (filled by the test) to a new file through three
/// iovecs (100000 bytes, an empty one, the rest), reads it back with `fd_pread` into
/// 0x40000 through iovecs that cut the 64 KiB chunks off-center (65537, 7, the rest), then
/// with `fd_seek` + `fd_read` into 0x80000 through one iovec 10 bytes longer than the file.
/// It returns the first errno, or 0; the counts are at 0x90 (written), 0x94 (pread), 0x98
/// (read).
const CHUNKS_WAT: &str = r#"
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread" (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (memory (export "memory") 12)
  (data (i32.const 0x40) "chunks.bin")
  (func $iov (param $at i32) (param $buf i32) (param $len i32)
    (i32.store (local.get $at) (local.get $buf))
    (i32.store offset=4 (local.get $at) (local.get $len)))
  (func (export "run") (result i32)
    (local $e i32) (local $fd i32)
    ;; O_CREAT | O_TRUNC, rights fd_read | fd_seek | fd_write; fd at 0x80.
    (local.set $e (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x40) (i32.const 10)
      (i32.const 9) (i64.const 0x46) (i64.const 0) (i32.const 0) (i32.const 0x80)))
    (if (local.get $e) (then (return (local.get $e))))
    (local.set $fd (i32.load (i32.const 0x80)))
    (call $iov (i32.const 0x100) (i32.const 0x10000) (i32.const 100000))
    (call $iov (i32.const 0x108) (i32.const 0x10000) (i32.const 0))
    (call $iov (i32.const 0x110) (i32.const 165536) (i32.const 96608))
    (local.set $e (call $fd_write (local.get $fd) (i32.const 0x100) (i32.const 3) (i32.const 0x90)))
    (if (local.get $e) (then (return (local.get $e))))
    (call $iov (i32.const 0x200) (i32.const 0x40000) (i32.const 65537))
    (call $iov (i32.const 0x208) (i32.const 327681) (i32.const 7))
    (call $iov (i32.const 0x210) (i32.const 327688) (i32.const 131064))
    (local.set $e (call $fd_pread (local.get $fd) (i32.const 0x200) (i32.const 3) (i64.const 0)
      (i32.const 0x94)))
    (if (local.get $e) (then (return (local.get $e))))
    (local.set $e (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 0) (i32.const 0xa0)))
    (if (local.get $e) (then (return (local.get $e))))
    (call $iov (i32.const 0x300) (i32.const 0x80000) (i32.const 196618))
    (call $fd_read (local.get $fd) (i32.const 0x300) (i32.const 1) (i32.const 0x98))))
"#;

#[test]
fn chunked_transfers_move_exactly_the_bytes_asked_for() {
    const LEN: usize = 192 * 1024;
    let _serial = serial();
    let pattern: Vec<u8> = (0..LEN as u32).map(|i| (i * 31 + i / 251) as u8).collect();
    for row in TIER_ROWS {
        let dir = sandbox();
        let engine = Engine::new(&row.config()).expect("engine");
        let module = Module::new(&engine, CHUNKS_WAT).expect("compile");
        let (mut store, instance) = instantiate(&engine, &module, &dir);
        let memory = instance.get_memory(&mut store, "memory").expect("memory");
        memory
            .write(&mut store, 0x1_0000, &pattern)
            .expect("fill the source");
        let run: TypedFunc<(), i32> = instance.get_typed_func(&mut store, "run").expect("run");
        assert_eq!(run.call(&mut store, ()).expect("run"), 0, "{}", row.name);
        for (addr, what) in [(0x90, "written"), (0x94, "pread"), (0x98, "read")] {
            assert_eq!(
                read_u32(&mut store, &instance, addr) as usize,
                LEN,
                "{what} in {}",
                row.name
            );
        }
        let file = std::fs::read(dir.join("chunks.bin")).expect("chunks.bin");
        assert!(file == pattern, "the file's bytes in {}", row.name);
        let mut back = vec![0u8; LEN];
        for at in [0x4_0000, 0x8_0000] {
            memory.read(&store, at, &mut back).expect("in bounds");
            assert!(
                back == pattern,
                "the bytes read back at {at:#x} in {}",
                row.name
            );
        }
    }
}
