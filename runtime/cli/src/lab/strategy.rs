//! Strategies: what `tierup lab` compares. Owns the built-in presets, the parsing of
//! `--preset`, `--strategy NAME=FLAGS`, `--sweep FLAG=V1,V2,...` and `--engine NAME=TEMPLATE`,
//! and the command line of one run of a strategy on one corpus case.
//!
//! A strategy is either a set of `tierup run` options (run by this very binary, found with
//! `std::env::current_exe()`, so the lab measures exactly `tierup run`) or an external
//! engine's command template. Names are unique; the order is the order given (presets, then
//! `--strategy`, then sweeps, then engines), and it is the column order of every table.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::corpus::Case;

/// The built-in presets: name, `tierup run` options, and what it shows.
pub const PRESETS: &[(&str, &str, &str)] = &[
    ("interp", "--tier interp", "the interpreter only"),
    (
        "baseline",
        "--tier baseline",
        "every function compiled by the baseline JIT first",
    ),
    (
        "opt",
        "--tier opt",
        "every function compiled by Cranelift first",
    ),
    (
        "tiered",
        "",
        "the default: interpreter, baseline when warm, Cranelift when hot",
    ),
    (
        "cached",
        "--cache on",
        "tiered with the code cache (`tierup run`'s default): warm after the warm-up run",
    ),
    (
        "eager",
        "--baseline-after 1 --opt-after 100",
        "tiered with low thresholds",
    ),
    (
        "interp-opt",
        "--tiers interp,opt",
        "interpreter straight to Cranelift",
    ),
    (
        "baseline-opt",
        "--tiers baseline,opt",
        "baseline code first (eager), Cranelift when hot",
    ),
];

/// One point of a `--sweep`: the flag (without dashes) and the value this strategy sets.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    /// The swept `tierup run` option, without its leading `--` (e.g. `opt-after`).
    pub flag: String,
    /// The value, as given.
    pub value: String,
    /// The position of the value in its sweep (0 = first).
    pub position: usize,
}

/// How a strategy runs a module.
#[derive(Debug, Clone, PartialEq)]
pub enum StrategyKind {
    /// `tierup run FLAGS ...` with this binary.
    Tierup {
        /// The `tierup run` options.
        flags: Vec<String>,
    },
    /// An external engine: the words of its command template, with placeholders.
    External {
        /// The template, split into words (`{module}`, `{args}`, `{invoke}` are placeholders).
        template: Vec<String>,
    },
}

/// A named way of running every module of the corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    /// The name shown in tables and results (unique).
    pub name: String,
    /// What it runs.
    pub kind: StrategyKind,
    /// The sweep this strategy belongs to, if it came from `--sweep`.
    pub sweep: Option<SweepPoint>,
}

impl Strategy {
    /// `"tierup"` or `"external"`, as recorded in results.json.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            StrategyKind::Tierup { .. } => "tierup",
            StrategyKind::External { .. } => "external",
        }
    }

    /// Whether this strategy runs `tierup run` (and so reports `--stats-json`).
    pub fn is_tierup(&self) -> bool {
        matches!(self.kind, StrategyKind::Tierup { .. })
    }

    /// The options or the template, as one line for tables and results.
    pub fn describe(&self) -> String {
        match &self.kind {
            StrategyKind::Tierup { flags } if flags.is_empty() => "tierup run".into(),
            StrategyKind::Tierup { flags } => format!(
                "tierup run {}",
                shlex::try_join(flags.iter().map(String::as_str))
                    .unwrap_or_else(|_| flags.join(" "))
            ),
            StrategyKind::External { template } => template.join(" "),
        }
    }

    /// The command of one run of `case`, to be started in `case.run_dir`. `tierup` is this
    /// binary; `stats_json` is where a tierup run writes its `--stats-json` file.
    ///
    /// # Errors
    /// An external template that cannot express the case (an `--invoke` call with no
    /// `{module}` placeholder to put `--invoke NAME` before).
    pub fn command(
        &self,
        tierup: &Path,
        case: &Case,
        stats_json: Option<&Path>,
    ) -> Result<Command, String> {
        let module = case.module_arg();
        match &self.kind {
            StrategyKind::Tierup { flags } => {
                let mut cmd = Command::new(tierup);
                cmd.arg("run");
                // Every run compiles (a strategy is measured, not the cache the warm-up run
                // would fill), unless the strategy sets `--cache` itself.
                if !flags
                    .iter()
                    .any(|f| f == "--cache" || f.starts_with("--cache="))
                {
                    cmd.args(["--cache", "off"]);
                }
                cmd.args(flags);
                if let Some(path) = stats_json {
                    cmd.arg("--stats-json").arg(path);
                }
                for dir in &case.dirs {
                    cmd.arg("--dir").arg(dir);
                }
                for (name, value) in &case.env {
                    cmd.arg("--env").arg(format!("{name}={value}"));
                }
                if let Some(export) = &case.invoke {
                    cmd.arg("--invoke").arg(export);
                }
                cmd.arg(&module).args(&case.args);
                Ok(cmd)
            }
            StrategyKind::External { template } => {
                let words = expand_template(template, &module, case)?;
                let (program, rest) = words.split_first().ok_or("empty engine template")?;
                let mut cmd = Command::new(program);
                cmd.args(rest);
                // The guest's variables: engines differ in how they pass them, so the
                // template spells them out; the process gets them too.
                for (name, value) in &case.env {
                    cmd.env(name, value);
                }
                Ok(cmd)
            }
        }
    }
}

/// The words of an external engine's command for `case`: `{module}` becomes the module's
/// path, a word `{args}` becomes the program's arguments (appended at the end when the
/// template has no `{args}`), `{invoke}` the export to call; with an `--invoke` call and no
/// `{invoke}` placeholder, `--invoke NAME` goes right before the module (as `wasmtime run` and
/// `wasmi run` spell it).
fn expand_template(
    template: &[String],
    module: &OsString,
    case: &Case,
) -> Result<Vec<OsString>, String> {
    let module_text = module.to_string_lossy();
    let has_args = template.iter().any(|w| w == "{args}");
    let has_invoke = template.iter().any(|w| w.contains("{invoke}"));
    let mut out: Vec<OsString> = Vec::new();
    let mut placed_module = false;
    for word in template {
        if word == "{args}" {
            out.extend(case.args.iter().map(OsString::from));
            continue;
        }
        if word.contains("{module}") {
            if let (Some(export), false) = (&case.invoke, has_invoke) {
                out.push("--invoke".into());
                out.push(export.into());
            }
            placed_module = true;
        }
        let mut text = word.replace("{module}", &module_text);
        if let Some(export) = &case.invoke {
            text = text.replace("{invoke}", export);
        }
        out.push(text.into());
    }
    if case.invoke.is_some() && !has_invoke && !placed_module {
        return Err("the engine template has no {module} placeholder".into());
    }
    if !placed_module {
        out.push(module.clone());
    }
    if !has_args {
        out.extend(case.args.iter().map(OsString::from));
    }
    Ok(out)
}

/// The strategies selected by the command line, and notes to print (skipped engines).
#[derive(Debug, Default)]
pub struct Selection {
    /// The strategies, in table order.
    pub strategies: Vec<Strategy>,
    /// One line per skipped external engine.
    pub notes: Vec<String>,
}

/// Builds the strategies from `--preset` (`all` = every preset), `--strategy`, `--sweep` and
/// `--engine`. With no preset, strategy or sweep, every preset is used. External engines whose program is not
/// found are skipped with a note.
///
/// # Errors
/// An unknown preset, a malformed option, or two strategies with the same name.
pub fn select(
    presets: &[String],
    strategies: &[String],
    sweeps: &[String],
    engines: &[String],
) -> Result<Selection, String> {
    let mut out = Selection::default();
    let add = |s: Strategy, out: &mut Selection| -> Result<(), String> {
        if out.strategies.iter().any(|t| t.name == s.name) {
            return Err(format!("two strategies are named `{}`", s.name));
        }
        out.strategies.push(s);
        Ok(())
    };
    let no_choice = presets.is_empty() && strategies.is_empty() && sweeps.is_empty();
    let preset_names: Vec<&str> = if no_choice {
        PRESETS.iter().map(|p| p.0).collect()
    } else {
        presets
            .iter()
            .flat_map(|p| p.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    };
    for name in preset_names {
        if name == "all" {
            for (name, ..) in PRESETS {
                add(preset(name)?, &mut out)?;
            }
        } else {
            add(preset(name)?, &mut out)?;
        }
    }
    for spec in strategies {
        let (name, flags) = split_named(spec, "--strategy", "NAME=FLAGS")?;
        let flags =
            split_words(flags).ok_or_else(|| format!("--strategy {spec}: unbalanced quotes"))?;
        add(
            Strategy {
                name: name.into(),
                kind: StrategyKind::Tierup { flags },
                sweep: None,
            },
            &mut out,
        )?;
    }
    for spec in sweeps {
        for s in sweep(spec)? {
            add(s, &mut out)?;
        }
    }
    for spec in engines {
        let (name, template) = split_named(spec, "--engine", "NAME=TEMPLATE")?;
        let template =
            split_words(template).ok_or_else(|| format!("--engine {spec}: unbalanced quotes"))?;
        let Some(program) = template.first() else {
            return Err(format!("--engine {spec}: empty command template"));
        };
        if find_program(program).is_none() {
            out.notes.push(format!(
                "skipping engine `{name}`: program `{program}` not found"
            ));
            continue;
        }
        add(
            Strategy {
                name: name.into(),
                kind: StrategyKind::External { template },
                sweep: None,
            },
            &mut out,
        )?;
    }
    Ok(out)
}

/// The preset called `name`.
fn preset(name: &str) -> Result<Strategy, String> {
    let Some((_, flags, _)) = PRESETS.iter().find(|p| p.0 == name) else {
        let known: Vec<&str> = PRESETS.iter().map(|p| p.0).collect();
        return Err(format!(
            "unknown preset `{name}` (known: {})",
            known.join(", ")
        ));
    };
    Ok(Strategy {
        name: name.into(),
        kind: StrategyKind::Tierup {
            flags: flags.split_whitespace().map(String::from).collect(),
        },
        sweep: None,
    })
}

/// The strategies of one `--sweep FLAG=V1,V2,...`: one per value, named `FLAG=V`, each the
/// default tiered strategy plus `--FLAG V`.
fn sweep(spec: &str) -> Result<Vec<Strategy>, String> {
    let (flag, values) = split_named(spec, "--sweep", "FLAG=V1,V2,...")?;
    let flag = flag.trim_start_matches('-');
    if flag.is_empty() {
        return Err(format!("--sweep {spec}: expected FLAG=V1,V2,..."));
    }
    let values: Vec<&str> = values
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Err(format!("--sweep {spec}: no values"));
    }
    Ok(values
        .iter()
        .enumerate()
        .map(|(position, value)| Strategy {
            name: format!("{flag}={value}"),
            kind: StrategyKind::Tierup {
                flags: vec![format!("--{flag}"), (*value).to_string()],
            },
            sweep: Some(SweepPoint {
                flag: flag.to_string(),
                value: (*value).to_string(),
                position,
            }),
        })
        .collect())
}

/// `NAME=REST` → (`NAME`, `REST`), with a message naming `option` and `shape` otherwise.
fn split_named<'a>(spec: &'a str, option: &str, shape: &str) -> Result<(&'a str, &'a str), String> {
    match spec.split_once('=') {
        Some((name, rest)) if !name.trim().is_empty() => Ok((name.trim(), rest)),
        _ => Err(format!("{option} `{spec}`: expected {shape}")),
    }
}

/// Splits `text` into words as a POSIX shell would (quotes and backslashes; no expansions).
/// `None` when a quote is not closed.
pub fn split_words(text: &str) -> Option<Vec<String>> {
    shlex::split(text)
}

/// The path of `program`: as given when it names a path, else the first match on `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let path = PathBuf::from(program);
        return path.is_file().then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
