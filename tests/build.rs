//! Compiles the C programs of the WASI tests (`wasi/*.c`; `simd_*.c` with `-O3 -msimd128`) to
//! `wasm32-wasi` modules in `OUT_DIR/wasi/`, which the WASI tests (here and in
//! `runtime/cli/tests/`) find through `TIERUP_WASI_PROGRAMS` (`tierup_tests::WASI_PROGRAMS`).
//!
//! Needs clang with the wasm32 target, lld, wasi-libc and the wasm32 compiler runtime; on
//! Debian/Ubuntu: `apt-get install clang lld wasi-libc libclang-rt-dev-wasm32`. The compiler
//! can be chosen with `WASI_CC` (default `clang`), the sysroot with `WASI_SYSROOT` (default
//! `/usr/share/wasi-sysroot` when it exists, else the compiler's built-in search paths, where
//! Debian's `wasi-libc` installs itself).

use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGES: &str = "clang lld wasi-libc libclang-rt-dev-wasm32";

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let sources = manifest.join("wasi");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("wasi");
    std::fs::create_dir_all(&out).expect("create OUT_DIR/wasi");
    println!("cargo:rerun-if-changed={}", sources.display());
    println!("cargo:rerun-if-env-changed=WASI_CC");
    println!("cargo:rerun-if-env-changed=WASI_SYSROOT");
    println!("cargo:rustc-env=TIERUP_WASI_PROGRAMS={}", out.display());

    let cc = std::env::var("WASI_CC").unwrap_or_else(|_| "clang".into());
    let sysroot = std::env::var_os("WASI_SYSROOT")
        .map(PathBuf::from)
        .or_else(|| {
            let default = Path::new("/usr/share/wasi-sysroot");
            default.is_dir().then(|| default.to_path_buf())
        });

    let mut c_files: Vec<PathBuf> = std::fs::read_dir(&sources)
        .expect("read tests/wasi")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    c_files.sort();
    // A program whose source is gone (or renamed) must not linger among the test programs.
    for entry in std::fs::read_dir(&out).expect("read OUT_DIR/wasi") {
        let path = entry.expect("directory entry").path();
        let stem = path.file_stem().map(|s| s.to_owned());
        let has_source = stem.is_some_and(|stem| {
            c_files
                .iter()
                .any(|c| c.file_stem() == Some(stem.as_os_str()))
        });
        if !has_source {
            std::fs::remove_file(&path).expect("remove a stale test program");
        }
    }
    for source in c_files {
        println!("cargo:rerun-if-changed={}", source.display());
        let stem = source.file_stem().expect("file name").to_string_lossy();
        let wasm = out.join(format!("{stem}.wasm"));
        let mut cmd = Command::new(&cc);
        cmd.arg("--target=wasm32-wasi").arg("-Wall");
        // The SIMD programs are built the way vectorised code ships: -O3 -msimd128.
        if stem.starts_with("simd_") {
            cmd.arg("-O3").arg("-msimd128");
        } else {
            cmd.arg("-O2");
        }
        if let Some(sysroot) = &sysroot {
            cmd.arg(format!("--sysroot={}", sysroot.display()));
        }
        cmd.arg(&source).arg("-o").arg(&wasm);
        let output = cmd.output().unwrap_or_else(|e| {
            panic!(
                "cannot run `{cc}` to compile the WASI test programs ({e}).\n\
                 Install the wasm32-wasi C toolchain: apt-get install {PACKAGES}"
            )
        });
        if !output.status.success() {
            panic!(
                "`{cc} --target=wasm32-wasi` failed on {}:\n{}\n\
                 If headers, libc or libclang_rt.builtins-wasm32 are missing, install the \
                 wasm32-wasi C toolchain: apt-get install {PACKAGES}",
                source.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}
