//! Fuzz target `wasi`: every WASI preview 1 function called with hostile arguments (fuzzer-
//! chosen pointers, lengths, counts, iovec arrays, paths and flags) by a small guest whose one
//! page of memory the fuzzer fills, with a scratch directory preopened as `/sandbox` (fd 3).
//!
//! The guest ([`guest_wat`]) imports each function and exports a wrapper that forwards its
//! parameters, so the calls cross the real wasm → host boundary of the chosen tier
//! (interpreter, baseline or optimizer). Every call must return an errno (`0..=76`) or end
//! the run cleanly (`proc_exit`); never crash. Run with `-malloc_limit_mb=64` so that any host
//! allocation in proportion to a guest-chosen size fails the run (`runtime/wasi/src/limits.rs`
//! bounds one call to 72 KiB of host buffers).
//!
//! The harness clamps the lengths of `fd_allocate` to 1 MiB, which reserves *disk* space
//! (not host memory) and would otherwise fill the disk of the machine running the fuzzer.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tierup_runtime::{Config, Engine, Linker, Module, Store, TierMode, Val};
use tierup_wasi::{self as wasi, I32Exit, WasiCtx};

/// Every WASI function with its parameter types (`I` = i32, `L` = i64); all return an errno.
const FUNCS: &[(&str, &str)] = &[
    ("args_get", "II"),
    ("args_sizes_get", "II"),
    ("environ_get", "II"),
    ("environ_sizes_get", "II"),
    ("clock_res_get", "II"),
    ("clock_time_get", "ILI"),
    ("random_get", "II"),
    ("sched_yield", ""),
    ("poll_oneoff", "IIII"),
    ("proc_raise", "I"),
    ("fd_advise", "ILLI"),
    ("fd_allocate", "ILL"),
    ("fd_close", "I"),
    ("fd_datasync", "I"),
    ("fd_sync", "I"),
    ("fd_fdstat_get", "II"),
    ("fd_fdstat_set_flags", "II"),
    ("fd_fdstat_set_rights", "ILL"),
    ("fd_filestat_get", "II"),
    ("fd_filestat_set_size", "IL"),
    ("fd_filestat_set_times", "ILLI"),
    ("fd_read", "IIII"),
    ("fd_pread", "IIILI"),
    ("fd_write", "IIII"),
    ("fd_pwrite", "IIILI"),
    ("fd_seek", "ILII"),
    ("fd_tell", "II"),
    ("fd_renumber", "II"),
    ("fd_prestat_get", "II"),
    ("fd_prestat_dir_name", "III"),
    ("fd_readdir", "IIILI"),
    ("path_create_directory", "III"),
    ("path_remove_directory", "III"),
    ("path_unlink_file", "III"),
    ("path_filestat_get", "IIIII"),
    ("path_filestat_set_times", "IIIILLI"),
    ("path_link", "IIIIIII"),
    ("path_open", "IIIIILLII"),
    ("path_rename", "IIIIII"),
    ("path_symlink", "IIIII"),
    ("path_readlink", "IIIIII"),
    ("sock_accept", "III"),
    ("sock_recv", "IIIIII"),
    ("sock_send", "IIIII"),
    ("sock_shutdown", "II"),
];

/// The largest errno of WASI preview 1 (`ENOTCAPABLE`).
const MAX_ERRNO: i32 = 76;

/// The guest: imports every function of [`FUNCS`] and `proc_exit`, exports a forwarding
/// wrapper for each under the same name, and one page of memory (`memory`, fixed size).
fn guest_wat() -> String {
    let wasm_ty = |c: char| if c == 'L' { "i64" } else { "i32" };
    let mut imports = String::new();
    let mut wrappers = String::new();
    for (name, params) in FUNCS {
        let params: String = params.chars().map(|c| format!(" {}", wasm_ty(c))).collect();
        imports.push_str(&format!(
            "  (import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} (param{params}) (result i32)))\n"
        ));
        let gets: String = (0..params.split_whitespace().count())
            .map(|i| format!(" local.get {i}"))
            .collect();
        wrappers.push_str(&format!(
            "  (func (export \"{name}\") (param{params}) (result i32){gets} call ${name})\n"
        ));
    }
    format!(
        "(module\n{imports}  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n\
         (memory (export \"memory\") 1 1)\n{wrappers}  (func (export \"proc_exit\") (param i32) local.get 0 call $proc_exit))\n"
    )
}

/// The guest compiled in each forced tier, once per process.
fn modules() -> &'static [(Engine, Module)] {
    static MODULES: OnceLock<Vec<(Engine, Module)>> = OnceLock::new();
    MODULES.get_or_init(|| {
        let wat = guest_wat();
        [TierMode::Interp, TierMode::Baseline, TierMode::Optimized]
            .into_iter()
            .map(|mode| {
                let mut config = Config::new();
                config.tier(mode).compile_threads(1);
                let engine = Engine::new(&config).expect("a forced-tier engine");
                let module = Module::new(&engine, &wat).expect("the guest compiles");
                (engine, module)
            })
            .collect()
    })
}

/// The sandbox directory of this process (under the system temp dir), emptied and refilled
/// with a small file and a subdirectory before every input.
fn fresh_sandbox() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        std::env::temp_dir().join(format!("tierup-fuzz-wasi-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("sub")).expect("create the sandbox");
    std::fs::write(dir.join("data.bin"), [7u8; 1000]).expect("write data.bin");
    dir.clone()
}

/// One call: which function, and raw argument material.
#[derive(Debug, Arbitrary)]
struct Call {
    func: u8,
    args: [u64; 9],
}

/// One input: the tier, the guest's memory contents (copied to address 0), stdin, and the
/// calls, in order, in one instance.
#[derive(Debug, Arbitrary)]
struct Input {
    tier: u8,
    memory: Vec<u8>,
    stdin: Vec<u8>,
    calls: Vec<Call>,
}

/// An argument from raw material: mostly small (inside or just past the one page of memory,
/// small fds, counts and flags), sometimes any bits.
fn argument(raw: u64) -> u64 {
    match raw & 3 {
        0 => (raw >> 2) % 16,
        1 | 2 => (raw >> 2) % 0x1_0010,
        _ => raw >> 2,
    }
}

fuzz_target!(|input: Input| {
    let (engine, module) = &modules()[usize::from(input.tier) % 3];
    let dir = fresh_sandbox();
    let mut builder = WasiCtx::builder();
    builder
        .arg("fuzz")
        .env("K", "V")
        .stdin(input.stdin)
        .preopened_dir(&dir, "/sandbox")
        .expect("preopen the sandbox");
    let _stdout = builder.stdout_capture();
    let _stderr = builder.stderr_capture();
    let mut store = Store::new(engine, builder.build());
    let mut linker = Linker::new(engine);
    wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).expect("add WASI");
    let instance = linker.instantiate(&mut store, module).expect("instantiate");
    let memory = instance.get_memory(&mut store, "memory").expect("memory");
    let data = memory.data_mut(&mut store);
    let n = input.memory.len().min(data.len());
    data[..n].copy_from_slice(&input.memory[..n]);
    for call in input.calls.iter().take(32) {
        let (name, params) = FUNCS[usize::from(call.func) % FUNCS.len()];
        let mut args: Vec<Val> = params
            .chars()
            .zip(call.args)
            .map(|(ty, raw)| {
                let value = argument(raw);
                if ty == 'L' {
                    Val::I64(value as i64)
                } else {
                    Val::I32(value as u32 as i32)
                }
            })
            .collect();
        if name == "fd_allocate" {
            // Offset and length reserve disk space: keep them small (see the module doc).
            for arg in &mut args[1..] {
                if let Val::I64(x) = arg {
                    *x = x.rem_euclid(1 << 20);
                }
            }
        }
        let func = instance.get_func(&mut store, name).expect("the wrapper");
        let mut results = [Val::I32(0)];
        match func.call(&mut store, &args, &mut results) {
            Ok(()) => match results[0] {
                Val::I32(errno) => assert!(
                    (0..=MAX_ERRNO).contains(&errno),
                    "{name}{args:?} returned {errno}, not an errno"
                ),
                ref other => panic!("{name} returned {other:?}"),
            },
            Err(e) => panic!("{name}{args:?} failed with an error instead of an errno: {e}"),
        }
    }
    if input.calls.len() > 32 {
        let exit = instance
            .get_func(&mut store, "proc_exit")
            .expect("proc_exit");
        let err = exit
            .call(&mut store, &[Val::I32(3)], &mut [])
            .expect_err("proc_exit ends the run");
        assert_eq!(err.downcast_ref::<I32Exit>().map(|e| e.0), Some(3));
    }
});
