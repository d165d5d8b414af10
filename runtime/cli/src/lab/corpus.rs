//! The corpus of `tierup lab`: which modules to run, how, and what each must print. Owns the
//! two ways of giving one (a directory of WASI commands, or a `lab.toml` manifest) and
//! [`Case`], one module call with its expected output.
//!
//! **Directory**: every `*.wasm` / `*.wat` file in the directory (sorted by name) is a WASI
//! command, run with the directory as its working directory and granted to it as `.`
//! (`--dir .::.`), so inputs are read by relative path. `NAME.stdout` or `NAME.expected` next
//! to it holds the stdout it must print, `NAME.stderr` its stderr; without them every strategy
//! must print what the baseline strategy prints. A directory holding `lab.toml` is read as
//! that manifest instead; a single module file is a corpus of one.
//!
//! **Manifest** (`lab.toml`; paths relative to the manifest's directory):
//! ```toml
//! [[module]]
//! name = "fib"            # default: the file's stem, then `.EXPORT` with `invoke`
//! file = "fib.wat"
//! invoke = "fib"          # call this export (`--invoke`) instead of `_start`
//! args = ["25"]
//! env = { LANG = "C" }
//! dir = "."               # the working directory (default: the manifest's directory)
//! dirs = [".::."]         # granted directories, `HOST[::GUEST]`, HOST relative to `dir`
//! stdout = "75025\n"      # or stdout_file = "fib.out"
//! stderr = ""             # or stderr_file = "..."
//! exit_code = 0
//! ```

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The manifest's file name.
pub const MANIFEST: &str = "lab.toml";

/// One module call: what to run, where, and what it must print.
#[derive(Debug, Clone)]
pub struct Case {
    /// The name in tables and results (unique in the corpus).
    pub name: String,
    /// The module file (absolute).
    pub module: PathBuf,
    /// The working directory of every run (absolute).
    pub run_dir: PathBuf,
    /// The program's arguments (`argv[1..]`), or the invoked export's.
    pub args: Vec<String>,
    /// Environment variables granted to the guest.
    pub env: Vec<(String, String)>,
    /// Directories granted to the guest, as `--dir` values relative to `run_dir`.
    pub dirs: Vec<String>,
    /// The export to call instead of `_start`.
    pub invoke: Option<String>,
    /// The exact stdout it must print, if known.
    pub expected_stdout: Option<Vec<u8>>,
    /// The exact stderr it must print, if known.
    pub expected_stderr: Option<Vec<u8>>,
    /// The exit code it must end with.
    pub exit_code: i32,
}

impl Case {
    /// The module as passed on the command line: relative to the run directory when it is
    /// inside it (so `argv[0]` is short and the same in every engine), else absolute.
    pub fn module_arg(&self) -> OsString {
        match self.module.strip_prefix(&self.run_dir) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.as_os_str().to_owned(),
            _ => self.module.as_os_str().to_owned(),
        }
    }
}

/// One `[[module]]` table of the manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestModule {
    file: PathBuf,
    name: Option<String>,
    invoke: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    dir: Option<PathBuf>,
    dirs: Option<Vec<String>>,
    stdout: Option<String>,
    stdout_file: Option<PathBuf>,
    stderr: Option<String>,
    stderr_file: Option<PathBuf>,
    #[serde(default)]
    exit_code: i32,
}

/// The whole manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    module: Vec<ManifestModule>,
}

/// Reads the corpus at `path`: a directory (its `lab.toml` if it has one, else its modules),
/// a manifest file, or a single module.
///
/// # Errors
/// A missing path, an unreadable or malformed manifest, an empty corpus, or two cases with
/// the same name.
pub fn load(path: &Path) -> Result<Vec<Case>, String> {
    let path = std::path::absolute(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
    let cases = if path.is_dir() {
        let manifest = path.join(MANIFEST);
        if manifest.is_file() {
            load_manifest(&manifest)?
        } else {
            load_dir(&path)?
        }
    } else if path.extension().is_some_and(|e| e == "toml") {
        load_manifest(&path)?
    } else if path.is_file() {
        vec![dir_case(&path)?]
    } else {
        return Err(format!("corpus `{}` not found", path.display()));
    };
    if cases.is_empty() {
        return Err(format!(
            "corpus `{}` has no modules (*.wasm, *.wat, or [[module]] in {MANIFEST})",
            path.display()
        ));
    }
    for (i, case) in cases.iter().enumerate() {
        if cases[..i].iter().any(|c| c.name == case.name) {
            return Err(format!("two corpus cases are named `{}`", case.name));
        }
    }
    Ok(cases)
}

fn is_module(path: &Path) -> bool {
    path.is_file() && path.extension().is_some_and(|e| e == "wasm" || e == "wat")
}

fn load_dir(dir: &Path) -> Result<Vec<Case>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("`{}`: {e}", dir.display()))?;
    let mut modules: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_module(p))
        .collect();
    modules.sort();
    modules.iter().map(|m| dir_case(m)).collect()
}

/// A module of a corpus directory: a WASI command run in its own directory.
fn dir_case(module: &Path) -> Result<Case, String> {
    let dir = module.parent().unwrap_or(Path::new("/")).to_path_buf();
    let stem = module
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let read = |ext: &str| -> Result<Option<Vec<u8>>, String> {
        let path = dir.join(format!("{stem}.{ext}"));
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("`{}`: {e}", path.display())),
        }
    };
    let expected_stdout = match read("stdout")? {
        Some(bytes) => Some(bytes),
        None => read("expected")?,
    };
    let expected_stderr = read("stderr")?;
    Ok(Case {
        name: stem,
        module: module.to_path_buf(),
        run_dir: dir,
        args: Vec::new(),
        env: Vec::new(),
        dirs: vec![".::.".into()],
        invoke: None,
        expected_stdout,
        expected_stderr,
        exit_code: 0,
    })
}

fn load_manifest(path: &Path) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
    let manifest: Manifest =
        toml::from_str(&text).map_err(|e| format!("`{}`: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("/"));
    let expected = |inline: Option<String>, file: Option<PathBuf>, what: &str| match (inline, file)
    {
        (Some(_), Some(_)) => Err(format!(
            "`{}`: give {what} or {what}_file, not both",
            path.display()
        )),
        (Some(text), None) => Ok(Some(text.into_bytes())),
        (None, Some(file)) => std::fs::read(base.join(&file))
            .map(Some)
            .map_err(|e| format!("`{}`: {e}", base.join(&file).display())),
        (None, None) => Ok(None),
    };
    manifest
        .module
        .into_iter()
        .map(|m| {
            let module = base.join(&m.file);
            if !module.is_file() {
                return Err(format!(
                    "`{}`: module `{}` not found",
                    path.display(),
                    module.display()
                ));
            }
            let stem = module
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = m.name.unwrap_or_else(|| match &m.invoke {
                Some(export) => format!("{stem}.{export}"),
                None => stem,
            });
            Ok(Case {
                name,
                run_dir: m.dir.map_or_else(|| base.to_path_buf(), |d| base.join(d)),
                module,
                args: m.args,
                env: m.env.into_iter().collect(),
                dirs: m.dirs.unwrap_or_else(|| vec![".::.".into()]),
                invoke: m.invoke,
                expected_stdout: expected(m.stdout, m.stdout_file, "stdout")?,
                expected_stderr: expected(m.stderr, m.stderr_file, "stderr")?,
                exit_code: m.exit_code,
            })
        })
        .collect()
}
