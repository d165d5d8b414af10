//! Reading what `tierup run --stats-json FILE` wrote, defensively: every field is optional,
//! unknown fields are ignored, and a `timeline` (added by a later `--stats-json`) is kept as
//! it is. Owns the mapping from that JSON to the lab's per-run measures (phases, compile time,
//! code bytes and functions per tier, OSR counts, hot → installed latency) and to the tier
//! events the report's timeline plot draws.
//!
//! The JSON today: `{"phases":{"load_us","instantiate_us","run_us"},"stats":{"module":{...,
//! "osr_entries","opt_osr_entries","opt_pending","opt_failures"},"events":[{"func","name",
//! "tier","wasm_bytes","code_bytes","compile_us","queue_wait_us","at_us"}]}}`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::results::round3;

/// The tiers, as `--stats-json` names them, in order.
pub const TIERS: &[&str] = &["interp", "baseline", "opt"];

/// One function reaching one tier (for the timeline plot).
#[derive(Debug, Clone, Serialize)]
pub struct TierEvent {
    /// When it happened, in ms since the module was loaded (the JSON's `at_us`).
    pub at_ms: f64,
    /// The tier it reached.
    pub tier: String,
    /// The function index.
    pub func: u64,
    /// How long the compile took, in ms.
    pub compile_ms: f64,
}

/// What one run's `--stats-json` file says.
#[derive(Debug, Default, Clone)]
pub struct RunStats {
    /// Numeric measures, by name (see [`parse`]).
    pub measures: BTreeMap<String, f64>,
    /// Tier events, in file order.
    pub events: Vec<TierEvent>,
    /// The `timeline` field, when the JSON has one (at the top or inside `stats`).
    pub timeline: Option<Value>,
}

fn num(v: &Value, path: &[&str]) -> Option<f64> {
    let mut v = v;
    for key in path {
        v = v.get(key)?;
    }
    match v {
        Value::Number(n) => n.as_f64(),
        // `opt_failures` may become a list.
        Value::Array(a) => Some(a.len() as f64),
        _ => None,
    }
}

/// Parses the text of a `--stats-json` file. Measures (each only when the JSON has it):
/// `load_ms`, `instantiate_ms`, `run_ms`; `compile_ms` (all tiers) and, per tier T,
/// `compile_ms_T`, `code_bytes_T`, `funcs_T` (distinct functions that reached T);
/// `osr_entries`, `opt_osr_entries`, `opt_pending`, `opt_failures`; `hot_to_installed_mean_ms`
/// and `hot_to_installed_max_ms` (queue wait plus compile time of each optimized function).
///
/// # Errors
/// The text is not JSON.
pub fn parse(text: &str) -> Result<RunStats, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| format!("--stats-json: {e}"))?;
    let mut out = RunStats::default();
    let m = &mut out.measures;
    for (key, name) in [
        ("load_us", "load_ms"),
        ("instantiate_us", "instantiate_ms"),
        ("run_us", "run_ms"),
    ] {
        if let Some(us) = num(&json, &["phases", key]) {
            m.insert(name.into(), us / 1e3);
        }
    }
    let stats = json.get("stats").unwrap_or(&Value::Null);
    for key in [
        "osr_entries",
        "opt_osr_entries",
        "opt_pending",
        "opt_failures",
    ] {
        if let Some(n) = num(stats, &["module", key]) {
            m.insert(key.into(), n);
        }
    }
    if let Some(events) = stats.get("events").and_then(Value::as_array) {
        let mut funcs: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
        let mut compile: BTreeMap<&str, f64> = BTreeMap::new();
        let mut code: BTreeMap<&str, f64> = BTreeMap::new();
        let mut latencies = Vec::new();
        for e in events {
            let Some(tier) = e.get("tier").and_then(Value::as_str) else {
                continue;
            };
            let Some(tier) = TIERS.iter().copied().find(|t| *t == tier) else {
                continue;
            };
            let func = e.get("func").and_then(Value::as_u64).unwrap_or(u64::MAX);
            let compile_us = num(e, &["compile_us"]).unwrap_or(0.0);
            funcs.entry(tier).or_default().insert(func);
            *compile.entry(tier).or_default() += compile_us / 1e3;
            *code.entry(tier).or_default() += num(e, &["code_bytes"]).unwrap_or(0.0);
            if tier == "opt" {
                latencies.push((num(e, &["queue_wait_us"]).unwrap_or(0.0) + compile_us) / 1e3);
            }
            if let Some(at_us) = num(e, &["at_us"]) {
                out.events.push(TierEvent {
                    at_ms: round3(at_us / 1e3),
                    tier: tier.into(),
                    func,
                    compile_ms: round3(compile_us / 1e3),
                });
            }
        }
        let mut total = 0.0;
        for tier in TIERS {
            let ms = compile.get(tier).copied().unwrap_or(0.0);
            total += ms;
            m.insert(format!("compile_ms_{tier}"), ms);
            m.insert(
                format!("code_bytes_{tier}"),
                code.get(tier).copied().unwrap_or(0.0),
            );
            m.insert(
                format!("funcs_{tier}"),
                funcs.get(tier).map_or(0, BTreeSet::len) as f64,
            );
        }
        m.insert("compile_ms".into(), total);
        if !latencies.is_empty() {
            let mean = latencies.iter().sum::<f64>() / latencies.len() as f64;
            let max = latencies.iter().copied().fold(0.0, f64::max);
            m.insert("hot_to_installed_mean_ms".into(), mean);
            m.insert("hot_to_installed_max_ms".into(), max);
        }
    }
    out.timeline = json
        .get("timeline")
        .or_else(|| stats.get("timeline"))
        .filter(|t| !t.is_null())
        .cloned();
    Ok(out)
}

/// A function's stay in one tier (from `--stats-json` schema 2's `timeline.functions[].tiers`).
#[derive(Debug, Clone)]
pub struct TierSpan {
    /// The function index.
    pub func: u64,
    /// The tier (one of [`TIERS`]).
    pub tier: &'static str,
    /// When its code for the tier was installed, in ms since the module was created.
    pub from_ms: f64,
    /// When the next tier's code was installed (or the statistics were taken), in ms.
    pub to_ms: f64,
}

/// An on-stack replacement (`timeline.osr[]`).
#[derive(Debug, Clone)]
pub struct OsrMark {
    /// The function index.
    pub func: u64,
    /// When, in ms since the module was created.
    pub at_ms: f64,
    /// The tier the activation moved into.
    pub to: &'static str,
}

/// A module's tier timeline as schema 2 of `--stats-json` describes it (see
/// `docs/stats-schema.md`): per function, the intervals in each tier, and the OSR events.
#[derive(Debug, Clone, Default)]
pub struct TierSpans {
    /// Every interval, by function then time.
    pub spans: Vec<TierSpan>,
    /// Every on-stack replacement.
    pub osr: Vec<OsrMark>,
    /// When the statistics were taken (the end of the open intervals), in ms.
    pub end_ms: f64,
}

/// The schema-2 timeline in `timeline` (`functions[].tiers[]`, `osr[]`, `taken_us`), or `None`
/// when it has no interval.
pub fn timeline_spans(timeline: &Value) -> Option<TierSpans> {
    let tier_of = |v: Option<&Value>| -> Option<&'static str> {
        let name = v?.as_str()?;
        TIERS.iter().copied().find(|t| *t == name)
    };
    let end_us = num(timeline, &["taken_us"])?;
    let mut out = TierSpans {
        end_ms: round3(end_us / 1e3),
        ..TierSpans::default()
    };
    for function in timeline.get("functions")?.as_array()? {
        let Some(func) = function.get("func").and_then(Value::as_u64) else {
            continue;
        };
        for span in function
            .get("tiers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(tier), Some(from)) = (tier_of(span.get("tier")), num(span, &["entered_us"]))
            else {
                continue;
            };
            let to = num(span, &["left_us"]).unwrap_or(end_us);
            out.spans.push(TierSpan {
                func,
                tier,
                from_ms: round3(from / 1e3),
                to_ms: round3(to / 1e3),
            });
        }
    }
    for osr in timeline
        .get("osr")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(func), Some(at), Some(to)) = (
            osr.get("func").and_then(Value::as_u64),
            num(osr, &["at_us"]),
            tier_of(osr.get("to")),
        ) else {
            continue;
        };
        out.osr.push(OsrMark {
            func,
            at_ms: round3(at / 1e3),
            to,
        });
    }
    (!out.spans.is_empty()).then_some(out)
}

/// Tier events read from a `timeline` value, when its entries look like events (objects with
/// a time in `at_us`, `t_us` or `time_us` and a `tier` or `to` field); `None` otherwise.
pub fn timeline_events(timeline: &Value) -> Option<Vec<TierEvent>> {
    let entries = timeline
        .as_array()
        .or_else(|| timeline.get("events").and_then(Value::as_array))?;
    let events: Vec<TierEvent> = entries
        .iter()
        .filter_map(|e| {
            let at_us = ["at_us", "t_us", "time_us"]
                .iter()
                .find_map(|k| num(e, &[k]))?;
            let tier = ["tier", "to"]
                .iter()
                .find_map(|k| e.get(k).and_then(Value::as_str))?;
            let tier = TIERS.iter().find(|t| **t == tier)?;
            Some(TierEvent {
                at_ms: round3(at_us / 1e3),
                tier: (*tier).into(),
                func: e.get("func").and_then(Value::as_u64).unwrap_or(0),
                compile_ms: round3(num(e, &["compile_us"]).unwrap_or(0.0) / 1e3),
            })
        })
        .collect();
    (!events.is_empty()).then_some(events)
}
