//! Snapshot tests of the register bytecode the translator produces for small functions, so
//! that a reviewer sees every change to code generation as a diff.
//!
//! Each case is a WAT module in `tests/snapshots/NAME.wat`; the expected listing of all its
//! functions is `tests/snapshots/NAME.txt`. Run with `TIERUP_BLESS=1` to rewrite the listings
//! after an intended change, then review the diff.

use std::path::Path;
use std::sync::Arc;

use tierup_abi::{Features, ModuleInfo};
use tierup_interp::{InterpModule, disassemble};

fn listing(wat_path: &Path) -> String {
    let wasm = wat::parse_file(wat_path).expect("snapshot WAT parses");
    // Every feature tierup supports, SIMD and multi-memory included.
    let features = Features::SUPPORTED;
    let info = Arc::new(ModuleInfo::parse_with(wasm, features).expect("snapshot module validates"));
    let module = InterpModule::new(info.clone());
    let mut out = String::new();
    for defined in info.defined_funcs() {
        let func = module
            .compiled(defined)
            .expect("snapshot function translates");
        if let Some(name) = info.func_name(info.func_of(defined)) {
            out.push_str(&format!(";; {name}\n"));
        }
        out.push_str(&disassemble(func));
    }
    out
}

#[test]
fn bytecode_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let bless = std::env::var_os("TIERUP_BLESS").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("snapshot dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wat"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "expected at least five snapshot cases");
    let mut mismatches = Vec::new();
    for case in cases {
        let actual = listing(&case);
        let expected_path = case.with_extension("txt");
        if bless {
            std::fs::write(&expected_path, &actual).expect("write snapshot");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            mismatches.push(format!(
                "{}:\n--- expected\n{expected}\n+++ actual\n{actual}",
                case.display()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "bytecode changed (rerun with TIERUP_BLESS=1 if intended):\n{}",
        mismatches.join("\n")
    );
}
