//! `perf` integration: with `TIERUP_PERF_MAP=1`, every piece of published code is appended
//! to `/tmp/perf-<pid>.map` (`START SIZE NAME`, the format `perf report` reads for JIT code),
//! so profiles name wasm functions and say which tier's code ran: names are
//! `wasm[<index>] <name> [<kind>]` (one line per piece of code of the function: `baseline`,
//! `opt`, `opt OSR`) or `tierup <kind>` for code that is not a wasm function's body (`slot
//! wrapper`, `stubs`). `perf report --sort sym` then splits a function's time by tier.

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

/// What a piece of published code is (its label in the map).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CodeKind {
    /// A function's baseline code.
    Baseline,
    /// A function's optimized code (its native entry, or its slot entry).
    Optimized,
    /// A function's optimized on-stack-replacement entry, with its dispatch stubs.
    OptimizedOsr,
    /// The slot-ABI wrapper of an optimized native entry.
    SlotWrapper,
    /// The module's interpreter-entry stubs and runtime routines.
    Stubs,
    /// Jumps through native-entry cells for optimized code's direct calls (`stubs::cell_veneers`).
    Veneers,
}

impl CodeKind {
    fn label(self) -> &'static str {
        match self {
            CodeKind::Baseline => "baseline",
            CodeKind::Optimized => "opt",
            CodeKind::OptimizedOsr => "opt OSR",
            CodeKind::SlotWrapper => "slot wrapper",
            CodeKind::Stubs => "stubs",
            CodeKind::Veneers => "veneers",
        }
    }
}

/// Appends `range` (when the map is on).
pub(crate) fn record(range: CodeRange, func: Option<FuncIdx>, kind: CodeKind, info: &ModuleInfo) {
    let Some(file) = file() else { return };
    let name = match func {
        Some(f) => format!(
            "wasm[{f}] {} [{}]",
            info.func_name(f).unwrap_or(""),
            kind.label()
        ),
        None => format!("tierup {}", kind.label()),
    };
    let _ = writeln!(file.lock(), "{:x} {:x} {name}", range.start, range.len);
}
