//! `perf` integration: with `TIERUP_PERF_MAP=1`, every piece of published code is appended
//! to `/tmp/perf-<pid>.map` (`START SIZE NAME`, the format `perf report` reads for JIT code),
//! so profiles name wasm functions. Names are `wasm[<index>] <name>` (one line per tier's
//! code of the function) or `tierup stubs` for code that is not a wasm function.

use std::io::Write;
use std::sync::OnceLock;

use parking_lot::Mutex;
use tierup_abi::{FuncIdx, ModuleInfo};

use crate::jit::arena::CodeRange;

fn file() -> Option<&'static Mutex<std::fs::File>> {
    static FILE: OnceLock<Option<Mutex<std::fs::File>>> = OnceLock::new();
    FILE.get_or_init(|| {
        if std::env::var_os("TIERUP_PERF_MAP").is_none_or(|v| v == "0") {
            return None;
        }
        let path = format!("/tmp/perf-{}.map", std::process::id());
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
            .map(Mutex::new)
    })
    .as_ref()
}

/// Whether the map is on (`TIERUP_PERF_MAP` set and not `0`).
pub(crate) fn enabled() -> bool {
    file().is_some()
}

/// Appends `range` (when the map is on).
pub(crate) fn record(range: CodeRange, func: Option<FuncIdx>, info: &ModuleInfo) {
    let Some(file) = file() else { return };
    let name = match func {
        Some(f) => format!("wasm[{f}] {}", info.func_name(f).unwrap_or("")),
        None => "tierup stubs".to_string(),
    };
    let _ = writeln!(file.lock(), "{:x} {:x} {name}", range.start, range.len);
}
