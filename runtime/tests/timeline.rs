//! The statistics' tier timeline (`ModuleStats::timeline`, `stats.timeline` in the JSON): a
//! tiered run at the lowest thresholds (a hot loop in a function called once, so its activation
//! moves by OSR, calling hot functions), forced tiers with their eager compiles, and failed
//! compiles as events. The JSON must parse and carry exactly the fields `docs/stats-schema.md`
//! documents.

#[path = "support/stats_schema.rs"]
mod stats_schema;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use tierup_runtime::stats::{
    CompileInterval, CompileKind, CompileOutcome, ModuleStats, SCHEMA_VERSION, Timeline,
};
use tierup_runtime::{Config, Engine, Linker, Module, Store, Tier, TierMode};

const SCHEMA_DOC: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../docs/stats-schema.md"
));

/// `main` runs one long loop (called once per instance: its activation tiers up by OSR) that
/// calls `add`, which calls `sq`; `cold` is never called.
const HOT_LOOP: &str = r#"(module
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $add (param i64 i32) (result i64)
    (i64.add (local.get 0) (i64.extend_i32_u (call $sq (local.get 1)))))
  (func $cold (result i32) (i32.const 7))
  (func $main (export "main") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (loop $l
      (local.set $acc (call $add (local.get $acc) (i32.and (local.get $i) (i32.const 1023))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))"#;

/// What `main(n)` returns.
fn expected_main(n: u64) -> i64 {
    (0..n).map(|i| (i & 1023) * (i & 1023)).sum::<u64>() as i64
}

/// The module offsets of every `loop` operator in `wasm`.
fn loop_offsets(wasm: &[u8]) -> BTreeSet<u32> {
    let mut offsets = BTreeSet::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                let (op, offset) = ops.read_with_offset().unwrap();
                if matches!(op, wasmparser::Operator::Loop { .. }) {
                    offsets.insert(offset as u32);
                }
            }
        }
    }
    offsets
}

fn rank(tier: Tier) -> u8 {
    match tier {
        Tier::Interp => 0,
        Tier::Baseline => 1,
        Tier::Optimized => 2,
    }
}

/// Checks what holds for every timeline: lists in time order, tiers entered in order with
/// contiguous intervals, compile intervals ordered and within the statistics' time, failures
/// matching failed compiles; and the JSON against the schema document.
fn check_common(stats: &ModuleStats) {
    let t = &stats.timeline;
    let context = || stats.to_json();
    assert!(
        t.osr.windows(2).all(|w| w[0].at <= w[1].at),
        "{}",
        context()
    );
    assert!(
        t.failures.windows(2).all(|w| w[0].at <= w[1].at),
        "{}",
        context()
    );
    assert!(
        t.compiles
            .windows(2)
            .all(|w| w[0].enqueued <= w[1].enqueued),
        "{}",
        context()
    );
    assert!(
        t.functions
            .windows(2)
            .all(|w| w[0].func_index < w[1].func_index)
    );
    assert!(
        stats.events.windows(2).all(|w| w[0].at <= w[1].at),
        "{}",
        context()
    );
    for f in &t.functions {
        assert!(!f.tiers.is_empty());
        for w in f.tiers.windows(2) {
            assert!(rank(w[0].tier) < rank(w[1].tier), "{f:?}");
            assert!(w[0].entered <= w[1].entered, "{f:?}");
            assert_eq!(w[0].left, Some(w[1].entered), "{f:?}");
        }
        let last = f.tiers.last().unwrap();
        assert_eq!(last.left, None, "{f:?}");
        assert!(last.entered <= t.taken_at, "{f:?}");
        // The tiers entered are those the events name, at the same times.
        let events: Vec<(Tier, Duration)> = stats
            .events
            .iter()
            .filter(|e| e.func_index == f.func_index)
            .map(|e| (e.tier, e.at))
            .collect();
        let spans: Vec<(Tier, Duration)> = f.tiers.iter().map(|s| (s.tier, s.entered)).collect();
        assert_eq!(events, spans, "{f:?}");
    }
    for c in &t.compiles {
        check_interval(c, t);
    }
    let failed: Vec<_> = t
        .compiles
        .iter()
        .filter(|c| matches!(c.outcome, CompileOutcome::Failed(_)))
        .collect();
    assert_eq!(failed.len(), t.failures.len(), "{}", context());
    for f in &t.failures {
        assert!(
            failed.iter().any(|c| c.func_index == f.func_index
                && c.tier == f.tier
                && c.kind == f.kind
                && c.end == Some(f.at)
                && c.outcome.reason() == Some(f.reason.as_str())),
            "{f:?} has no failed compile"
        );
    }
    assert_eq!(t.dropped, 0);
    check_json(stats);
}

/// `enqueued ≤ dequeued ≤ start ≤ end ≤ taken_at` as far as they are known, and the fields that
/// go with each outcome.
fn check_interval(c: &CompileInterval, t: &Timeline) {
    let steps = [
        Some(c.enqueued),
        c.dequeued,
        c.start,
        c.end,
        Some(t.taken_at),
    ];
    let known: Vec<Duration> = steps.iter().flatten().copied().collect();
    assert!(known.windows(2).all(|w| w[0] <= w[1]), "{c:?}");
    assert!(matches!(c.tier, Tier::Baseline | Tier::Optimized), "{c:?}");
    match &c.outcome {
        CompileOutcome::Installed | CompileOutcome::Failed(_) => {
            assert!(
                c.dequeued.is_some() && c.start.is_some() && c.end.is_some(),
                "{c:?}"
            );
            assert!(c.thread.is_some(), "{c:?}");
        }
        CompileOutcome::Pending => assert!(c.end.is_none(), "{c:?}"),
        CompileOutcome::Skipped(_) => assert!(c.dequeued.is_some() && c.end.is_none()),
    }
    match c.kind {
        CompileKind::Background | CompileKind::Osr | CompileKind::WarmStart => {
            assert_eq!(c.tier, Tier::Optimized, "{c:?}");
            if let Some(worker) = c.worker {
                assert_eq!(
                    c.thread.as_deref(),
                    Some(format!("tierup-opt-{worker}").as_str())
                );
            } else {
                assert!(c.dequeued.is_none(), "{c:?}");
            }
        }
        CompileKind::Sync => {
            assert_eq!(c.tier, Tier::Baseline, "{c:?}");
            assert_eq!(c.worker, None);
            assert_eq!(Some(c.enqueued), c.start, "{c:?}");
            assert_eq!(c.dequeued, c.start, "{c:?}");
        }
        CompileKind::Eager => {
            assert_eq!(c.worker, None);
            assert_eq!(c.dequeued, c.start, "{c:?}");
        }
    }
}

/// The JSON parses, names its schema version, and has exactly the documented fields.
fn check_json(stats: &ModuleStats) -> BTreeSet<String> {
    let text = stats.to_json();
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("stats JSON does not parse: {e}\n{text}"));
    assert_eq!(json["schema_version"], SCHEMA_VERSION);
    let doc = stats_schema::documented_fields(SCHEMA_DOC);
    let visited = stats_schema::check(&json, "stats", &doc);
    // Every tier span, OSR event, compile and failure is in the JSON, with its numbers.
    let timeline = &json["timeline"];
    let t = &stats.timeline;
    let len = |key: &str| timeline[key].as_array().unwrap().len();
    assert_eq!(len("functions"), t.functions.len());
    assert_eq!(len("osr"), t.osr.len());
    assert_eq!(len("compiles"), t.compiles.len());
    assert_eq!(len("failures"), t.failures.len());
    for (j, e) in timeline["osr"].as_array().unwrap().iter().zip(&t.osr) {
        assert_eq!(j["func"], e.func_index);
        assert_eq!(j["loop_offset"], e.loop_offset);
        assert_eq!(j["from"], e.from.as_str());
        assert_eq!(j["to"], e.to.as_str());
        let at = j["at_us"].as_f64().unwrap();
        assert!((at - e.at.as_secs_f64() * 1e6).abs() <= 0.06, "{j}");
    }
    for (j, c) in timeline["compiles"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&t.compiles)
    {
        assert_eq!(j["kind"], c.kind.as_str());
        assert_eq!(j["outcome"], c.outcome.as_str());
        assert_eq!(j["worker"].as_u64(), c.worker.map(u64::from));
        let us = |key: &str| j[key].as_f64();
        assert_eq!(us("end_us").is_some(), c.end.is_some(), "{j}");
        if let (Some(start), Some(end)) = (us("start_us"), us("end_us")) {
            assert!(start <= end, "{j}");
        }
    }
    visited
}

/// Runs `main` once in a fresh module until the timeline shows an activation moving into baseline
/// and then optimized code at `main`'s loop and all three hot functions optimized.
#[test]
fn a_tiered_run_records_tier_intervals_osr_and_background_compiles() {
    let mut config = Config::new();
    config.tier(TierMode::Tiered).baseline_after(1).opt_after(2);
    let engine = Engine::new(&config).unwrap();
    let wasm = wat::parse_str(HOT_LOOP).unwrap();
    let loops = loop_offsets(&wasm);
    assert_eq!(loops.len(), 1);
    let deadline = Instant::now() + Duration::from_secs(120);
    let n = 10_000_000;
    // A fresh module each time: the background compiles must finish while its one call of
    // `main` runs, which a busy machine may not give the first time.
    let (module, stats) = loop {
        let module = Module::new(&engine, &wasm).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let main = instance
            .get_typed_func::<i32, i64>(&mut store, "main")
            .unwrap();
        assert_eq!(main.call(&mut store, n as i32).unwrap(), expected_main(n));
        let stats = module.stats();
        let into_opt = stats.timeline.osr.iter().any(|e| e.to == Tier::Optimized);
        let optimized = stats
            .timeline
            .functions
            .iter()
            .filter(|f| f.tiers.last().unwrap().tier == Tier::Optimized)
            .count();
        if into_opt && optimized == 3 && stats.opt_pending == 0 {
            break (module, stats);
        }
        assert!(
            Instant::now() < deadline,
            "no OSR into optimized code: {}",
            stats.to_json()
        );
    };
    let main_index = module.exported_func_index("main").unwrap();
    check_common(&stats);
    let t = &stats.timeline;
    let summary = stats.to_json();

    // Three functions ran (cold never did), each interp → baseline → opt.
    assert_eq!(t.functions.len(), 3, "{summary}");
    for f in &t.functions {
        let tiers: Vec<Tier> = f.tiers.iter().map(|s| s.tier).collect();
        assert_eq!(
            tiers,
            [Tier::Interp, Tier::Baseline, Tier::Optimized],
            "{f:?}"
        );
        assert_ne!(f.name.as_deref(), Some("cold"));
        // Hot → installed: from its background compile's request to its opt interval.
        let opt = f.tiers[2];
        let hot = f.hot_at.expect("turned hot");
        assert_eq!(f.hot_to_installed, Some(opt.entered - hot), "{f:?}");
        // Its optimized code came from one background compile, installed, with a queue and a
        // compile interval on a worker.
        let installed: Vec<&CompileInterval> = t
            .compiles
            .iter()
            .filter(|c| {
                c.func_index == f.func_index
                    && c.kind == CompileKind::Background
                    && c.outcome == CompileOutcome::Installed
            })
            .collect();
        assert_eq!(installed.len(), 1, "{f:?}: {summary}");
        let c = installed[0];
        assert_eq!(c.enqueued, hot);
        let (dequeued, start, end) = (c.dequeued.unwrap(), c.start.unwrap(), c.end.unwrap());
        assert!(
            c.enqueued <= dequeued && dequeued <= start && start <= end,
            "{c:?}"
        );
        assert!(
            start <= opt.entered && opt.entered <= end,
            "{c:?} vs {opt:?}"
        );
        assert!(c.worker.is_some(), "{c:?}");
        // And its baseline code from one compile on the program's thread.
        let sync: Vec<_> = t
            .compiles
            .iter()
            .filter(|c| c.func_index == f.func_index && c.kind == CompileKind::Sync)
            .collect();
        assert_eq!(sync.len(), 1, "{f:?}: {summary}");
        assert_eq!(sync[0].outcome, CompileOutcome::Installed);
        assert_eq!(
            sync[0].thread.as_deref(),
            std::thread::current().name(),
            "{summary}"
        );
        assert!(sync[0].end.unwrap() >= f.tiers[1].entered);
    }
    // OSR: main's loop, interpreter → baseline on the first run, then into optimized code.
    assert!(!t.osr.is_empty());
    for e in &t.osr {
        assert_eq!(e.func_index, main_index, "{e:?}");
        assert!(
            loops.contains(&e.loop_offset),
            "{e:?} not a loop of {loops:?}"
        );
        assert!(rank(e.from) < rank(e.to), "{e:?}");
    }
    assert_eq!(
        (t.osr[0].from, t.osr[0].to),
        (Tier::Interp, Tier::Baseline),
        "{summary}"
    );
    assert!(t.osr.len() as u64 == stats.osr_entries + stats.opt_osr_entries);
    // The OSR entry into optimized code was compiled on a worker before it was taken.
    let first_opt_osr = t.osr.iter().find(|e| e.to == Tier::Optimized).unwrap();
    assert!(
        t.compiles.iter().any(|c| c.kind == CompileKind::Osr
            && c.func_index == main_index
            && c.outcome == CompileOutcome::Installed
            && c.end.unwrap() <= first_opt_osr.at),
        "{summary}"
    );
    assert!(t.failures.is_empty(), "{summary}");
    assert!(t.taken_at >= t.osr.last().unwrap().at);

    let visited = check_json(&stats);
    for path in [
        "stats",
        "stats.module",
        "stats.events[]",
        "stats.timeline",
        "stats.timeline.functions[]",
        "stats.timeline.functions[].tiers[]",
        "stats.timeline.osr[]",
        "stats.timeline.compiles[]",
    ] {
        assert!(visited.contains(path), "{path} not in the JSON");
    }
}

/// `n` small functions for the eager-compile and failure tests, and `run`, which calls each
/// once.
fn many_functions(n: usize) -> String {
    let mut wat = String::from("(module\n");
    for i in 0..n {
        let _ = writeln!(
            wat,
            "(func $f{i} (param i32) (result i32) (i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.const {i})))"
        );
    }
    wat.push_str("(func (export \"run\") (result i32) (local $acc i32)\n");
    for i in 0..n {
        let _ = writeln!(wat, "(local.set $acc (call $f{i} (local.get $acc)))");
    }
    wat.push_str("(local.get $acc)))");
    wat
}

/// Forced tiers report their eager compiles: every function queued when the batch started,
/// compiled on the calling thread or the named eager threads, installed together.
#[test]
fn forced_tiers_report_their_eager_compiles() {
    let n = 100;
    let wat = many_functions(n);
    for (tier, threads) in [
        (TierMode::Optimized, 1),
        (TierMode::Optimized, 2),
        (TierMode::Baseline, 1),
    ] {
        let mut config = Config::new();
        config.tier(tier).compile_threads(threads);
        let engine = Engine::new(&config).unwrap();
        let module = Module::new(&engine, &wat).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let run = instance
            .get_typed_func::<(), i32>(&mut store, "run")
            .unwrap();
        run.call(&mut store, ()).unwrap();
        let stats = module.stats();
        check_common(&stats);
        let t = &stats.timeline;
        let expected_tier = if tier == TierMode::Optimized {
            Tier::Optimized
        } else {
            Tier::Baseline
        };
        let mode = format!("{tier:?} with {threads} thread(s)");
        assert_eq!(t.compiles.len(), n + 1, "{mode}");
        assert_eq!(t.functions.len(), n + 1, "{mode}");
        let batch = t.compiles[0].enqueued;
        let mut threads_seen = BTreeSet::new();
        for c in &t.compiles {
            assert_eq!(c.kind, CompileKind::Eager, "{mode}: {c:?}");
            assert_eq!(c.tier, expected_tier, "{mode}: {c:?}");
            assert_eq!(c.outcome, CompileOutcome::Installed, "{mode}: {c:?}");
            assert_eq!(c.enqueued, batch, "{mode}: one batch");
            threads_seen.insert(c.thread.clone().unwrap());
            let f = t
                .functions
                .iter()
                .find(|f| f.func_index == c.func_index)
                .unwrap();
            assert!(c.end.unwrap() <= f.tiers[0].entered, "{mode}: {c:?} {f:?}");
        }
        for f in &t.functions {
            assert_eq!(f.tiers.len(), 1, "{mode}: {f:?}");
            assert_eq!(f.tiers[0].tier, expected_tier, "{mode}: {f:?}");
            assert_eq!(f.hot_at, None);
            assert_eq!(f.hot_to_installed, None);
        }
        let expected_threads: BTreeSet<String> = if threads == 1 {
            [std::thread::current().name().unwrap().to_owned()].into()
        } else {
            (0..threads).map(|t| format!("tierup-eager-{t}")).collect()
        };
        assert_eq!(threads_seen, expected_threads, "{mode}");
        assert!(t.osr.is_empty() && t.failures.is_empty(), "{mode}");
    }
}

/// Compiles that fail (here: the engine's code memory is full) are failure events and failed
/// compiles, and the functions stay in their tier.
#[test]
fn failed_compiles_are_events() {
    let n = 400;
    let wat = many_functions(n);
    let mut config = Config::new();
    config
        .tier(TierMode::Tiered)
        .baseline_after(1)
        .opt_after(1_000_000)
        .max_code_memory(64 << 10);
    let engine = Engine::new(&config).unwrap();
    let module = Module::new(&engine, &wat).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .unwrap();
    let first = run.call(&mut store, ()).unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), first);
    let stats = module.stats();
    check_common(&stats);
    let t = &stats.timeline;
    assert!(!t.failures.is_empty(), "{}", stats.summary());
    for f in &t.failures {
        assert_eq!(
            (f.tier, f.kind),
            (Tier::Baseline, CompileKind::Sync),
            "{f:?}"
        );
        assert!(f.reason.contains("code memory limit"), "{f:?}");
        let func = t
            .functions
            .iter()
            .find(|x| x.func_index == f.func_index)
            .unwrap();
        let tiers: Vec<Tier> = func.tiers.iter().map(|s| s.tier).collect();
        assert_eq!(tiers, [Tier::Interp], "{func:?}");
    }
    assert!(
        stats.summary().contains("baseline JIT failed on"),
        "{}",
        stats.summary()
    );
    let visited = check_json(&stats);
    assert!(visited.contains("stats.timeline.failures[]"));
}
