//! The on-disk cache of optimized code (`Config::code_cache`): a function the optimizer
//! compiled once is loaded, not compiled, the next time the same module runs with the same
//! engine settings, in this process or a later one (Wasmtime's compilation cache, but per
//! function and filled as functions get hot, so a tiered run caches only what it optimized).
//!
//! Layout: one file per module, `<root>/<module key>`. The module key is a SHA-256 over
//! everything that decides what the optimizer emits for the module: the format version, the
//! build of the running program (its executable's size and modification time, so a rebuilt
//! tierup never reads an older build's code), the compiler's fingerprint (target, Cranelift
//! and ISA flags: the host's CPU features), the engine's settings that reach code generation
//! (bounds checks, loop polls, fuel and epochs, features, eager or tiered), the engine's type
//! ids of the module's types, and the module's bytes. The file holds named entries, one per
//! compile: `n12` (the native body of defined function 12), `s12` (its slot-ABI body), `w12`
//! (its slot-ABI wrapper), `o12-<hash of the loop offsets>` (its on-stack-replacement entry).
//! An entry holds a magic number, the format version, the code and its tables, and a SHA-256
//! of all that. The code's absolute addresses are listed ([`tierup_optimizer::Symbol`]) and
//! patched on load.
//!
//! I/O: the file is read once, by the first optimizer job of the module (the warm start, or
//! the first compile); what is compiled is added in memory, and the file is written again
//! ([`ModuleCache::save`]) when the optimizer's queue runs empty and when the module is
//! dropped, merged with what another process may have written meanwhile. So a run does a
//! read and a few writes, not a file per function (a file system's cost per file creation
//! was a tenth of SQLite's CPU time when every compile had its own).
//!
//! Invariants:
//! - an entry is used only under the key it was written with, and only if its checksum
//!   holds and every offset and index in it is in range: a damaged or truncated file is a
//!   miss (the function is compiled, and the entry written again), never a crash;
//! - code is used only once every native entry it calls without a check
//!   ([`tierup_optimizer::OptCode::published_callees`]: published when it was compiled) is
//!   published in this module too (the caller checks, `ModuleJit`); otherwise it is a miss;
//! - a file is written to a temporary name and renamed into place, so a reader never sees
//!   half a file and processes can share a directory (when two write at once, the last
//!   rename wins, and what the other added is compiled again in a later run);
//! - the cache never fails a run: every I/O error is a miss or a skipped write.
//!
//! The directory is trusted as the program is (Wasmtime's is too): a file forged with a
//! valid checksum is machine code that runs.
//!
//! Eviction: reading a module's file sets its modification time, so a file's time is when a
//! run last used it. Once per process and directory, after its first write of a file, the
//! least recently used files are removed until the directory holds at most
//! `Config::code_cache_max_size` bytes ([`prune`]; the file just written is kept, and so is
//! anything that is not a cache file). `tierup cache` lists, prunes and clears a directory
//! with the same functions ([`list`], [`prune`], [`clear`]).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use sha2::{Digest, Sha256};
use tierup_abi::{DefinedFuncIdx, ModuleInfo, TrapCode};
use tierup_optimizer::{LoopSettings, OptCode, Symbol};

/// The file format's version (part of every key and of every file's header).
const FORMAT_VERSION: u32 = 3;

/// The first bytes of every cache file.
const MAGIC: &[u8; 4] = b"TUPC";

/// One compile of a function: what a cache file holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CacheEntry<'a> {
    /// Its body: `native` entry or slot-ABI entry.
    Body {
        /// The function.
        func: DefinedFuncIdx,
        /// Whether it is the native entry.
        native: bool,
    },
    /// The slot-ABI wrapper of its native entry.
    Wrapper(DefinedFuncIdx),
    /// Its on-stack-replacement entry for the loops at these module offsets.
    Osr(DefinedFuncIdx, &'a [u32]),
}

impl CacheEntry<'_> {
    fn file_name(&self) -> String {
        match *self {
            CacheEntry::Body { func, native } => {
                format!("{}{}", if native { 'n' } else { 's' }, func.as_u32())
            }
            CacheEntry::Wrapper(func) => format!("w{}", func.as_u32()),
            CacheEntry::Osr(func, loops) => {
                let mut hash = Sha256::new();
                for offset in loops {
                    hash.update(offset.to_le_bytes());
                }
                format!("o{}-{}", func.as_u32(), hex(&hash.finalize()[..8]))
            }
        }
    }
}

/// What decides the optimizer's output for a module, besides the module (see the module
/// docs).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodegenSettings<'a> {
    /// The compiler's fingerprint ([`tierup_optimizer::Compiler::fingerprint`]).
    pub(crate) compiler: &'a str,
    /// How memory accesses are checked.
    pub(crate) bounds_checks: tierup_abi::BoundsChecks,
    /// Loop polls.
    pub(crate) loops: LoopSettings,
    /// Eager (`--tier opt`: direct calls linked in one batch) or tiered.
    pub(crate) eager: bool,
    /// The engine's id of each of the module's types.
    pub(crate) type_ids: &'a [u32],
}

/// One module's file in the cache, and what this process has read from it and added to it.
#[derive(Debug)]
pub(crate) struct ModuleCache {
    path: PathBuf,
    /// The most bytes the directory may hold (`Config::code_cache_max_size`).
    max_size: u64,
    /// How many defined functions the module has (indices in entries are checked against it).
    defined: u32,
    entries: Mutex<Entries>,
}

/// A module's entries: each encoded compile by entry name.
#[derive(Debug, Default)]
struct Entries {
    /// Whether the file was read.
    read: bool,
    by_name: HashMap<String, Vec<u8>>,
    /// The names of the entries this process compiled (a save writes them over the file's:
    /// what it loaded it leaves as the file has it now, which another process may have
    /// replaced).
    stored: HashSet<String>,
    /// Entries added since the file was last written.
    unsaved: usize,
    /// When the file was last written by [`ModuleCache::save_soon`].
    saved_at: Option<std::time::Instant>,
}

/// How often [`ModuleCache::save_soon`] writes the file at most: each write is the whole
/// file (SQLite's is 0.9 MB), and a cold run's compiles come in bursts.
const SAVE_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

impl ModuleCache {
    /// The cache of `info` compiled with `settings`, under `root`, which may hold at most
    /// `max_size` bytes.
    pub(crate) fn new(
        root: &Path,
        max_size: u64,
        info: &ModuleInfo,
        settings: CodegenSettings<'_>,
    ) -> Self {
        let mut key = Sha256::new();
        key.update(MAGIC);
        key.update(FORMAT_VERSION.to_le_bytes());
        key.update(build_id().unwrap_or_default().as_bytes());
        key.update(settings.compiler.as_bytes());
        key.update(
            format!(
                "{:?} {:?} {:?} {:?} eager={}",
                settings.bounds_checks,
                settings.loops,
                info.instrumentation,
                info.features,
                settings.eager
            )
            .as_bytes(),
        );
        for id in settings.type_ids {
            key.update(id.to_le_bytes());
        }
        key.update((info.wasm.len() as u64).to_le_bytes());
        key.update(&info.wasm);
        ModuleCache {
            path: root.join(hex(&key.finalize())),
            max_size,
            defined: info.num_defined_funcs(),
            entries: Mutex::new(Entries::default()),
        }
    }

    /// The entries, the file read first if it was not yet.
    fn entries(&self) -> parking_lot::MutexGuard<'_, Entries> {
        let mut entries = self.entries.lock();
        if !entries.read {
            entries.read = true;
            if let Ok(file) = std::fs::read(&self.path) {
                for (name, bytes) in parse_file(&file) {
                    entries.by_name.entry(name).or_insert(bytes);
                }
                // Used now: the last to be evicted (a read-only directory keeps its times).
                let now = std::time::SystemTime::now();
                if let Ok(file) = std::fs::File::options().append(true).open(&self.path) {
                    let _ = file.set_modified(now);
                }
            }
        }
        entries
    }

    /// The functions whose body (`(func, native)`) is in the cache, in index order.
    pub(crate) fn cached_bodies(&self) -> Vec<(DefinedFuncIdx, bool)> {
        let mut bodies: Vec<_> = self
            .entries()
            .by_name
            .keys()
            .filter_map(|name| {
                let native = match name.as_bytes().first()? {
                    b'n' => true,
                    b's' => false,
                    _ => return None,
                };
                let func: u32 = name[1..].parse().ok()?;
                (func < self.defined).then_some((DefinedFuncIdx(func), native))
            })
            .collect();
        bodies.sort_by_key(|&(f, _)| f.as_u32());
        bodies
    }

    /// The cached code of `entry`, its symbols still holding the writer's addresses (the
    /// caller relocates it); `None` if there is none or it fails a check.
    pub(crate) fn load(&self, entry: CacheEntry<'_>) -> Option<OptCode> {
        let entries = self.entries();
        decode(entries.by_name.get(&entry.file_name())?, self.defined)
    }

    /// Adds `code` (as compiled, before any relocation for a load) for `entry`, replacing
    /// what the cache held for it; [`ModuleCache::save`] writes it.
    pub(crate) fn store(&self, entry: CacheEntry<'_>, code: &OptCode) {
        let mut entries = self.entries();
        let name = entry.file_name();
        entries.by_name.insert(name.clone(), encode(code));
        entries.stored.insert(name);
        entries.unsaved += 1;
    }

    /// [`ModuleCache::save`], unless the file was written less than [`SAVE_INTERVAL`] ago
    /// (when the optimizer's queue runs empty; the module's drop saves what is left).
    pub(crate) fn save_soon(&self) {
        let mut entries = self.entries.lock();
        if entries.unsaved == 0
            || entries
                .saved_at
                .is_some_and(|t| t.elapsed() < SAVE_INTERVAL)
        {
            return;
        }
        entries.saved_at = Some(std::time::Instant::now());
        drop(entries);
        self.save();
    }

    /// Keeps the directory within its size ([`prune`]), once per process and directory, after
    /// its first write (the scan reads the metadata of every file in the directory).
    fn prune_once(&self) {
        static PRUNED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
        let Some(root) = self.path.parent() else {
            return;
        };
        {
            let mut pruned = PRUNED.lock();
            if pruned.iter().any(|p| p == root) {
                return;
            }
            pruned.push(root.to_path_buf());
        }
        let _ = prune_keeping(root, self.max_size, Some(&self.path));
    }

    /// Writes the module's file if entries were added since it was last written: what it
    /// holds now (another process may have added or replaced entries meanwhile) with the
    /// entries this process compiled written over it, to a temporary file renamed over it. Errors are ignored: the cache is an
    /// optimization (the entries stay unsaved, for the next try).
    pub(crate) fn save(&self) {
        let mut entries = self.entries.lock();
        if entries.unsaved == 0 {
            return;
        }
        let mut merged: HashMap<String, Vec<u8>> = std::fs::read(&self.path)
            .map(|file| parse_file(&file).into_iter().collect())
            .unwrap_or_default();
        for name in &entries.stored {
            merged.insert(name.clone(), entries.by_name[name].clone());
        }
        if self.try_write(&merged).is_ok() {
            entries.unsaved = 0;
            drop(entries);
            self.prune_once();
        }
    }

    fn try_write(&self, by_name: &HashMap<String, Vec<u8>>) -> std::io::Result<()> {
        if let Some(root) = self.path.parent() {
            std::fs::create_dir_all(root)?;
        }
        let mut names: Vec<&String> = by_name.keys().collect();
        names.sort();
        let mut out = Vec::with_capacity(8 + by_name.values().map(|b| b.len() + 16).sum::<usize>());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        for name in names {
            let bytes = &by_name[name];
            out.extend_from_slice(&(name.len() as u32).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        let temp = self.path.with_extension(format!(
            "{}.{:?}.tmp",
            std::process::id(),
            std::thread::current().id()
        ));
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(&out)?;
        drop(file);
        std::fs::rename(&temp, &self.path).inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })
    }
}

/// The `(name, encoded entry)` records of a module's file, up to the first that is cut off
/// (each entry is checked when it is used).
fn parse_file(file: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut r = Reader(file);
    let mut records = Vec::new();
    if r.take(4) != Some(MAGIC.as_slice()) || r.u32() != Some(FORMAT_VERSION) {
        return records;
    }
    while !r.0.is_empty() {
        let Some(record) = (|| {
            let name_len = r.u32()? as usize;
            let name = std::str::from_utf8(r.take(name_len)?).ok()?.to_owned();
            let len = r.u32()? as usize;
            Some((name, r.take(len)?.to_vec()))
        })() else {
            break;
        };
        records.push(record);
    }
    records
}

/// The cache directory used when none is configured: `$TIERUP_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/tierup`, else `$HOME/.cache/tierup`; `None` if none of them is set.
pub fn default_dir() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("TIERUP_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("tierup"));
    }
    var("HOME").map(|home| PathBuf::from(home).join(".cache").join("tierup"))
}

/// The running program's build: its executable's path, size and modification time (read
/// once per process).
/// `None` when it cannot be read: then there is no cache (an unknown build could be another
/// build whose code has other offsets in it).
pub(crate) fn build_id() -> Option<&'static str> {
    static ID: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let exe = std::env::current_exe().ok()?;
        let meta = std::fs::metadata(&exe).ok()?;
        let modified = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Some(format!(
            "{} {} {} {}",
            env!("CARGO_PKG_VERSION"),
            exe.display(),
            meta.len(),
            modified.as_nanos()
        ))
    })
    .as_deref()
}

/// The default most bytes a code cache directory holds (`Config::code_cache_max_size`), as
/// Wasmtime's cache's default soft limit.
pub const DEFAULT_MAX_SIZE: u64 = 1 << 30;

/// A module's file in a code cache directory ([`list`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheFile {
    /// Its path.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// When a run last wrote or read it.
    pub last_used: std::time::SystemTime,
}

/// What [`prune`] or [`clear`] removed, and what is left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Files removed.
    pub removed_files: usize,
    /// Their bytes.
    pub removed_bytes: u64,
    /// Cache files left.
    pub kept_files: usize,
    /// Their bytes.
    pub kept_bytes: u64,
}

impl Pruned {
    /// Removes `file` if `remove` (and it can be), and counts it as removed or kept;
    /// returns whether it was removed.
    fn remove_if(&mut self, file: &CacheFile, remove: bool) -> bool {
        let removed = remove && std::fs::remove_file(&file.path).is_ok();
        if removed {
            self.removed_files += 1;
            self.removed_bytes += file.bytes;
        } else {
            self.kept_files += 1;
            self.kept_bytes += file.bytes;
        }
        removed
    }
}

/// How long a temporary file may stay before [`prune`] takes it for a writer's leftover (a
/// process that exited while writing): far longer than any write takes.
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(3600);

/// Whether `name` is a module file's name (64 hex digits: a key) or, with `temp`, a
/// temporary file's (`<key>.<pid>.<thread>.tmp`).
fn is_cache_name(name: &str, temp: bool) -> bool {
    let (key, rest) = name.split_at(name.len().min(64));
    let key_ok = key.len() == 64
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    key_ok
        && if temp {
            rest.starts_with('.') && rest.ends_with(".tmp")
        } else {
            rest.is_empty()
        }
}

/// The cache's files in `dir` and its temporary files (each with its metadata); nothing
/// else in the directory is looked at, so a directory shared with other files is safe.
fn scan(dir: &Path) -> std::io::Result<(Vec<CacheFile>, Vec<CacheFile>)> {
    let (mut files, mut temps) = (Vec::new(), Vec::new());
    for item in std::fs::read_dir(dir)? {
        let Ok(item) = item else { continue };
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        let temp = is_cache_name(name, true);
        if !temp && !is_cache_name(name, false) {
            continue;
        }
        let Ok(meta) = item.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let file = CacheFile {
            path: item.path(),
            bytes: meta.len(),
            last_used: meta.modified().unwrap_or(std::time::UNIX_EPOCH),
        };
        // A module file starts with the magic number (a file merely named like one is not
        // the cache's).
        let ours = temp || {
            let mut magic = [0u8; 4];
            std::fs::File::open(&file.path)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
                .is_ok_and(|()| &magic == MAGIC)
        };
        if ours {
            if temp {
                temps.push(file)
            } else {
                files.push(file)
            }
        }
    }
    Ok((files, temps))
}

/// [`scan`], where a directory that does not exist holds nothing.
fn scan_existing(dir: &Path) -> std::io::Result<(Vec<CacheFile>, Vec<CacheFile>)> {
    match scan(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Vec::new(), Vec::new())),
        found => found,
    }
}

/// The module files of the code cache in `dir`, most recently used first. A directory that
/// does not exist holds none.
///
/// # Errors
/// When `dir` exists but cannot be read.
pub fn list(dir: &Path) -> std::io::Result<Vec<CacheFile>> {
    let (mut files, _) = scan_existing(dir)?;
    files.sort_by(|a, b| b.last_used.cmp(&a.last_used).then(a.path.cmp(&b.path)));
    Ok(files)
}

/// Removes the least recently used module files of the code cache in `dir` until the rest
/// take at most `max_bytes`, and temporary files left by writers that exited (older than an
/// hour). Only the cache's own files are touched.
///
/// # Errors
/// When `dir` exists but cannot be read (a file that cannot be removed is counted as kept).
pub fn prune(dir: &Path, max_bytes: u64) -> std::io::Result<Pruned> {
    prune_keeping(dir, max_bytes, None)
}

/// [`prune`], never removing `keep` (the file a run just wrote).
fn prune_keeping(dir: &Path, max_bytes: u64, keep: Option<&Path>) -> std::io::Result<Pruned> {
    let (mut files, temps) = scan_existing(dir)?;
    let mut pruned = Pruned::default();
    let now = std::time::SystemTime::now();
    for temp in temps {
        let age = now.duration_since(temp.last_used).unwrap_or_default();
        // A temporary file that stays is no module's: not counted as kept.
        if age > STALE_TEMP && std::fs::remove_file(&temp.path).is_ok() {
            pruned.removed_files += 1;
            pruned.removed_bytes += temp.bytes;
        }
    }
    // Oldest first.
    files.sort_by(|a, b| a.last_used.cmp(&b.last_used).then(a.path.cmp(&b.path)));
    let mut total: u64 = files.iter().map(|f| f.bytes).sum();
    for file in files {
        let evict = total > max_bytes && keep != Some(file.path.as_path());
        if pruned.remove_if(&file, evict) {
            total -= file.bytes;
        }
    }
    Ok(pruned)
}

/// Removes every file of the code cache in `dir` (module files and temporary files; nothing
/// else, and not the directory itself).
///
/// # Errors
/// When `dir` exists but cannot be read (a file that cannot be removed is counted as kept).
pub fn clear(dir: &Path) -> std::io::Result<Pruned> {
    let (files, temps) = scan_existing(dir)?;
    let mut pruned = Pruned::default();
    for file in files.iter().chain(&temps) {
        pruned.remove_if(file, true);
    }
    Ok(pruned)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `code` as a cache file.
fn encode(code: &OptCode) -> Vec<u8> {
    let mut out = Vec::with_capacity(code.code.len() + 64 + 9 * code.traps.len());
    let u32 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    out.extend_from_slice(MAGIC);
    u32(&mut out, FORMAT_VERSION);
    u32(&mut out, code.code.len() as u32);
    out.extend_from_slice(&code.code);
    u32(&mut out, code.alignment);
    u32(&mut out, code.hot_loop.unwrap_or(u32::MAX));
    u32(&mut out, code.traps.len() as u32);
    for &(offset, trap) in &code.traps {
        u32(&mut out, offset);
        u32(&mut out, trap.map_or(0, TrapCode::status));
    }
    u32(&mut out, code.direct_calls.len() as u32);
    for &(offset, callee) in &code.direct_calls {
        u32(&mut out, offset);
        u32(&mut out, callee.as_u32());
    }
    u32(&mut out, code.symbols.len() as u32);
    for &(offset, symbol) in &code.symbols {
        let (kind, index) = match symbol {
            Symbol::Raise => (0, 0),
            Symbol::Attention => (1, 0),
            Symbol::NativeEntry(f) => (3, f.as_u32()),
        };
        u32(&mut out, offset);
        u32(&mut out, kind);
        u32(&mut out, index);
    }
    u32(&mut out, code.published_callees.len() as u32);
    for &callee in &code.published_callees {
        u32(&mut out, callee.as_u32());
    }
    let checksum = Sha256::digest(&out);
    out.extend_from_slice(&checksum);
    out
}

/// A cache file's code, if the file is whole and everything in it is in range for a module
/// of `defined` functions.
fn decode(bytes: &[u8], defined: u32) -> Option<OptCode> {
    let (body, checksum) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    if Sha256::digest(body)[..] != *checksum {
        return None;
    }
    let mut r = Reader(body);
    if r.take(4)? != MAGIC || r.u32()? != FORMAT_VERSION {
        return None;
    }
    let len = r.u32()?;
    let code = r.take(len as usize)?.to_vec();
    let alignment = r.u32()?;
    let hot_loop = match r.u32()? {
        u32::MAX => None,
        offset if offset < len => Some(offset),
        _ => return None,
    };
    if !alignment.is_power_of_two() || alignment > 4096 {
        return None;
    }
    let in_code = |offset: u32, size: u32| offset.checked_add(size).is_some_and(|end| end <= len);
    let mut traps = Vec::new();
    for _ in 0..r.u32()? {
        let (offset, status) = (r.u32()?, r.u32()?);
        let trap = match status {
            0 => None,
            s => Some(TrapCode::from_status(s)?),
        };
        if offset > len {
            return None;
        }
        traps.push((offset, trap));
    }
    let mut direct_calls = Vec::new();
    for _ in 0..r.u32()? {
        let (offset, callee) = (r.u32()?, r.u32()?);
        if !in_code(offset, 4) || callee >= defined {
            return None;
        }
        direct_calls.push((offset, DefinedFuncIdx(callee)));
    }
    let mut symbols = Vec::new();
    for _ in 0..r.u32()? {
        let (offset, kind, index) = (r.u32()?, r.u32()?, r.u32()?);
        let symbol = match (kind, index) {
            (0, 0) => Symbol::Raise,
            (1, 0) => Symbol::Attention,
            (3, f) if f < defined => Symbol::NativeEntry(DefinedFuncIdx(f)),
            _ => return None,
        };
        if !in_code(offset, 8) {
            return None;
        }
        symbols.push((offset, symbol));
    }
    let mut published_callees = Vec::new();
    for _ in 0..r.u32()? {
        let callee = r.u32()?;
        if callee >= defined {
            return None;
        }
        published_callees.push(DefinedFuncIdx(callee));
    }
    if !r.0.is_empty() {
        return None;
    }
    Some(OptCode {
        code,
        traps,
        hot_loop,
        alignment,
        direct_calls,
        symbols,
        published_callees,
    })
}

/// Reads a cache file front to back.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> OptCode {
        OptCode {
            code: (0..64).collect(),
            traps: vec![(3, Some(TrapCode::MemoryOutOfBounds)), (9, None)],
            hot_loop: Some(16),
            alignment: 16,
            direct_calls: vec![(20, DefinedFuncIdx(1))],
            symbols: vec![
                (30, Symbol::Raise),
                (40, Symbol::Attention),
                (50, Symbol::NativeEntry(DefinedFuncIdx(0))),
            ],
            published_callees: vec![DefinedFuncIdx(2)],
        }
    }

    /// The smallest modules: no function, and one function.
    fn module(with_func: bool) -> ModuleInfo {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        if with_func {
            // type () -> (); func 0: type 0; code: one empty body.
            wasm.extend_from_slice(&[1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0b]);
        }
        ModuleInfo::parse(wasm).expect("valid")
    }

    #[test]
    fn the_key_covers_the_module_the_settings_and_the_type_ids() {
        let settings = CodegenSettings {
            compiler: "c",
            bounds_checks: tierup_abi::BoundsChecks::Guard,
            loops: LoopSettings::default(),
            eager: false,
            type_ids: &[0],
        };
        let root = Path::new("/cache");
        let dir = |info: &ModuleInfo, settings| {
            ModuleCache::new(root, DEFAULT_MAX_SIZE, info, settings).path
        };
        let (empty, one) = (module(false), module(true));
        let base = dir(&one, settings);
        assert_eq!(base, dir(&one, settings), "a key is stable");
        assert_eq!(base.parent(), Some(root));
        let others = [
            dir(&empty, settings),
            dir(
                &one,
                CodegenSettings {
                    compiler: "d",
                    ..settings
                },
            ),
            dir(
                &one,
                CodegenSettings {
                    eager: true,
                    ..settings
                },
            ),
            dir(
                &one,
                CodegenSettings {
                    type_ids: &[1],
                    ..settings
                },
            ),
            dir(
                &one,
                CodegenSettings {
                    bounds_checks: tierup_abi::BoundsChecks::Explicit,
                    ..settings
                },
            ),
            dir(
                &one,
                CodegenSettings {
                    loops: LoopSettings {
                        poll_strip: 0,
                        ..LoopSettings::default()
                    },
                    ..settings
                },
            ),
        ];
        for (i, other) in others.iter().enumerate() {
            assert_ne!(&base, other, "setting {i}");
        }
    }

    #[test]
    fn a_file_decodes_to_the_code_it_was_encoded_from() {
        let code = sample();
        let decoded = decode(&encode(&code), 3).expect("decodes");
        assert_eq!(decoded.code, code.code);
        assert_eq!(decoded.traps, code.traps);
        assert_eq!(decoded.hot_loop, code.hot_loop);
        assert_eq!(decoded.alignment, code.alignment);
        assert_eq!(decoded.direct_calls, code.direct_calls);
        assert_eq!(decoded.symbols, code.symbols);
        assert_eq!(decoded.published_callees, code.published_callees);
    }

    #[test]
    fn a_damaged_truncated_or_out_of_range_file_is_a_miss() {
        let file = encode(&sample());
        for at in [0, 5, 12, 40, file.len() - 40, file.len() - 1] {
            let mut damaged = file.clone();
            damaged[at] ^= 0x40;
            assert!(decode(&damaged, 3).is_none(), "byte {at} flipped");
        }
        for len in [0, 10, file.len() - 33, file.len() - 1] {
            assert!(decode(&file[..len], 3).is_none(), "cut at {len}");
        }
        // Function 2's cell, in a module of two functions.
        assert!(decode(&file, 2).is_none());
        // A symbol past the end, with a valid checksum.
        let mut code = sample();
        code.symbols.push((60, Symbol::Attention));
        assert!(decode(&encode(&code), 3).is_none());
    }

    /// Pruning removes the least recently used module files first, down to the size, keeps
    /// the file a run just wrote, removes only stale temporary files, and never touches
    /// what is not the cache's; clearing removes every cache file and nothing else.
    #[test]
    fn pruning_evicts_the_least_recently_used_and_only_cache_files() {
        let dir = std::env::temp_dir().join(format!("tierup-prune-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let hour = std::time::Duration::from_secs(3600);
        let now = std::time::SystemTime::now();
        let write = |name: &str, bytes: usize, age_hours: u32, magic: bool| {
            let path = dir.join(name);
            let mut contents = if magic {
                MAGIC.to_vec()
            } else {
                b"XXXX".to_vec()
            };
            contents.resize(bytes, 0);
            std::fs::write(&path, contents).unwrap();
            let file = std::fs::File::options().append(true).open(&path).unwrap();
            file.set_modified(now - hour * age_hours).unwrap();
            path
        };
        let key = |c: char| std::iter::repeat_n(c, 64).collect::<String>();
        let oldest = write(&key('a'), 1000, 5, true);
        let older = write(&key('b'), 1000, 4, true);
        let kept = write(&key('c'), 1000, 3, true);
        let just_written = write(&key('d'), 1000, 6, true);
        let newest = write(&key('e'), 1000, 0, true);
        let stale_temp = write(&format!("{}.12.ThreadId(3).tmp", key('f')), 10, 2, false);
        let fresh_temp = write(&format!("{}.13.ThreadId(3).tmp", key('f')), 10, 0, false);
        let foreign = [
            write("notes.txt", 5000, 9, false),
            write(&key('9'), 5000, 9, false), // named like a module file, without the magic
            write(&key('A'), 5000, 9, true),  // upper case: not a key
        ];
        let listed: Vec<PathBuf> = list(&dir).unwrap().into_iter().map(|f| f.path).collect();
        assert_eq!(
            listed,
            [
                newest.clone(),
                kept.clone(),
                older.clone(),
                oldest.clone(),
                just_written.clone()
            ]
        );

        let pruned = prune_keeping(&dir, 3000, Some(&just_written)).unwrap();
        assert!(!oldest.exists() && !older.exists() && !stale_temp.exists());
        assert!(kept.exists() && newest.exists() && just_written.exists() && fresh_temp.exists());
        assert!(foreign.iter().all(|f| f.exists()));
        let expected = Pruned {
            removed_files: 3,
            removed_bytes: 2010,
            kept_files: 3,
            kept_bytes: 3000,
        };
        assert_eq!(pruned, expected);
        // Under the size, nothing goes.
        assert_eq!(prune(&dir, 3000).unwrap().removed_files, 0);

        let cleared = clear(&dir).unwrap();
        assert_eq!((cleared.removed_files, cleared.kept_files), (4, 0));
        assert!(list(&dir).unwrap().is_empty());
        assert!(foreign.iter().all(|f| f.exists()));
        // A directory that does not exist holds nothing.
        let missing = dir.join("missing");
        assert!(list(&missing).unwrap().is_empty());
        assert_eq!(prune(&missing, 0).unwrap(), Pruned::default());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
