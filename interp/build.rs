//! Chooses the interpreter's dispatch backend; it reads no source.
//!
//! The threaded backend needs the compiler to turn each handler's final call into a jump
//! (sibling-call optimization); LLVM does that reliably only when optimizing, so it is enabled
//! for `opt-level` 2, 3, `s` and `z` on x86-64 without debug assertions (as wasmi 2.0 does; the
//! assertions' checks on pointer operations defeat it), and can be turned off with
//! `TIERUP_LOOP_DISPATCH=1`. Everything else uses the `loop { match }` backend. Both backends
//! are generated from the same instruction semantics by the `executor!` macro in `src/exec.rs`.

use std::env;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tierup_tail_dispatch)");
    println!("cargo::rerun-if-env-changed=TIERUP_LOOP_DISPATCH");
    println!("cargo::rerun-if-env-changed=CARGO_CFG_DEBUG_ASSERTIONS");
    let opt = env::var("OPT_LEVEL").unwrap_or_default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let forced_loop = env::var_os("TIERUP_LOOP_DISPATCH").is_some_and(|v| v != "0");
    let threaded =
        matches!(opt.as_str(), "2" | "3" | "s" | "z") && arch == "x86_64" && !forced_loop;
    if threaded {
        println!("cargo::rustc-cfg=tierup_tail_dispatch");
    }
}
