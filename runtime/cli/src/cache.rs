//! `tierup cache`: the code cache's directory, what it holds, and removing files from it
//! (through `tierup_runtime::code_cache`, which touches only the cache's own files).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use tierup_runtime::code_cache;

use crate::parse_size;

/// `tierup cache` arguments.
#[derive(clap::Args, Debug)]
pub(crate) struct CacheArgs {
    #[command(subcommand)]
    action: CacheAction,
    /// The code cache's directory (default `$TIERUP_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/tierup`, else `~/.cache/tierup`, as `tierup run`).
    #[arg(long, value_name = "DIR", global = true)]
    cache_dir: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
enum CacheAction {
    /// Print the directory.
    Dir,
    /// List the modules' files, most recently used first, with their sizes and the total.
    List,
    /// Remove the least recently used files until the rest take at most SIZE (what a run
    /// does by itself with `--cache-max-size`), and writers' leftover temporary files.
    Prune {
        /// The most the directory may keep, in bytes or with a suffix K, M, G (powers of
        /// 1024), e.g. `512M`.
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        max_size: u64,
    },
    /// Remove every file of the cache (nothing else in the directory).
    Clear,
}

/// `bytes` for people: `1.5 MiB`.
fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// How long ago `time` was: `3 s`, `5 min`, `2 h`, `4 d`.
fn age(time: SystemTime) -> String {
    let secs = SystemTime::now()
        .duration_since(time)
        .unwrap_or_default()
        .as_secs();
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86400 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86400),
    }
}

/// Runs `tierup cache`.
pub(crate) fn main(args: CacheArgs) -> ExitCode {
    let Some(dir) = args.cache_dir.or_else(code_cache::default_dir) else {
        eprintln!(
            "error: no code cache directory: set --cache-dir, $TIERUP_CACHE_DIR, \
             $XDG_CACHE_HOME or $HOME"
        );
        return ExitCode::from(1);
    };
    let fail = |what: &str, e: std::io::Error| {
        eprintln!("error: {what} {}: {e}", dir.display());
        ExitCode::from(1)
    };
    match args.action {
        CacheAction::Dir => println!("{}", dir.display()),
        CacheAction::List => {
            let files = match code_cache::list(&dir) {
                Ok(files) => files,
                Err(e) => return fail("cannot read", e),
            };
            println!("{:<16}  {:>10}  {:>9}", "module key", "size", "last used");
            for file in &files {
                let name = file.path.file_name().unwrap_or_default().to_string_lossy();
                let key: String = name.chars().take(16).collect();
                let ago = format!("{} ago", age(file.last_used));
                println!("{key:<16}  {:>10}  {ago:>9}", human(file.bytes));
            }
            let total: u64 = files.iter().map(|f| f.bytes).sum();
            println!(
                "{} file(s), {} in {}",
                files.len(),
                human(total),
                dir.display()
            );
        }
        CacheAction::Prune { max_size } => match code_cache::prune(&dir, max_size) {
            Ok(p) => println!(
                "removed {} file(s) ({}); kept {} ({}) in {}",
                p.removed_files,
                human(p.removed_bytes),
                p.kept_files,
                human(p.kept_bytes),
                dir.display()
            ),
            Err(e) => return fail("cannot prune", e),
        },
        CacheAction::Clear => match code_cache::clear(&dir) {
            Ok(p) => {
                println!(
                    "removed {} file(s) ({}) from {}",
                    p.removed_files,
                    human(p.removed_bytes),
                    dir.display()
                );
                if p.kept_files > 0 {
                    eprintln!("error: {} file(s) could not be removed", p.kept_files);
                    return ExitCode::from(1);
                }
            }
            Err(e) => return fail("cannot clear", e),
        },
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1k"), Ok(1024));
        assert!(parse_size("M").is_err());
        assert!(parse_size("3 parsecs").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn sizes_print_for_people() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(3 << 30), "3.0 GiB");
    }
}
