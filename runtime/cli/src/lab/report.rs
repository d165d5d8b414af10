//! `report.html`: one self-contained HTML file (inline CSS, inline SVG, no scripts, no
//! external resources) with the lab's tables and its plots, drawn with `plotters`' SVG
//! backend:
//! 1. per-module median wall time ÷ the baseline strategy's, one bar per strategy, with the
//!    geometric mean as a last group;
//! 2. compile time against run time (tierup strategies, medians from `--stats-json`);
//! 3. one sweep curve per `--sweep` flag (value → median wall time, one line per module);
//! 4. one tier timeline per module that has tier events (the `timeline` of `--stats-json`
//!    when it has one, else its events): each function's compiles over time, coloured by tier.
//!
//! Every plot is one `<svg` element (plotters' text is SVG `<text>`, so no font files are
//! read); the tests count them. Axis labels of categories are drawn at pixel positions taken
//! from the chart, so they sit under their bars whatever the axis ticks are.

use std::error::Error;
use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::results::{LabResults, Record, Status};
use super::stats::{TIERS, TierEvent, TierSpans, timeline_events, timeline_spans};

/// Width and height of every plot, in pixels.
const SIZE: (u32, u32) = (960, 440);
/// The most events one timeline draws.
const MAX_TIMELINE_EVENTS: usize = 4000;

type DrawResult = Result<(), Box<dyn Error>>;

/// The report for `results`.
pub fn html(results: &LabResults) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>tierup lab report</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}\ntable{border-collapse:collapse;margin:1em 0;font-size:13px}\nth,td{border:1px solid #ccc;padding:3px 8px}\ntd.n{text-align:right;font-variant-numeric:tabular-nums}\ntr.bad td{background:#fde8e8}\nfigure{margin:2em 0}\nfigcaption{font-size:13px;color:#555}\ncode{background:#f4f4f4;padding:0 3px}\n</style>\n</head>\n<body>\n<h1>tierup lab</h1>\n");
    let _ = writeln!(
        out,
        "<p>Corpus <code>{}</code>: {} module(s) × {} strategies, {} measured run(s) each after {} warm-up run(s), shuffled with seed {}. Times are medians in ms; ratios are median wall time ÷ <code>{}</code>'s.</p>",
        esc(&results.corpus),
        results.modules.len(),
        results.strategies.len(),
        results.runs,
        results.warmup,
        results.seed,
        esc(&results.baseline_strategy)
    );
    out.push_str("<h2>Strategies</h2>\n<table>\n<tr><th>strategy</th><th>command</th><th>geomean ÷ baseline</th><th>modules</th></tr>\n");
    for (s, g) in results.strategies.iter().zip(&results.geomean) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&s.name),
            esc(&s.command),
            num(g.ratio),
            g.modules
        );
    }
    out.push_str("</table>\n<h2>Results</h2>\n<table>\n<tr><th>module</th><th>strategy</th><th>status</th><th>wall ms</th><th>min</th><th>max</th><th>ratio</th><th>cpu ms</th><th>max RSS KiB</th><th>first byte ms</th><th>compile ms</th><th>run ms</th></tr>\n");
    for r in &results.results {
        let wall = r.measures.get("wall_ms");
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td title=\"{}\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            if r.status == Status::Ok {
                ""
            } else {
                " class=\"bad\""
            },
            esc(&r.module),
            esc(&r.strategy),
            esc(r.message.as_deref().unwrap_or("")),
            r.status.as_str(),
            num(wall.map(|s| s.median)),
            num(wall.map(|s| s.min)),
            num(wall.map(|s| s.max)),
            num(r.ratio_to_baseline),
            num(r.median("cpu_ms")),
            num(r.median("max_rss_kib")),
            num(r.median("first_byte_ms")),
            num(r.median("compile_ms")),
            num(r.median("run_ms")),
        );
    }
    out.push_str("</table>\n<h2>Plots</h2>\n");
    for plot in plots(results) {
        let _ = writeln!(
            out,
            "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
            plot.id,
            plot.svg,
            esc(&plot.caption)
        );
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// One plot of the report.
pub struct Plot {
    /// The `id` of its `<figure>`.
    pub id: String,
    /// Its `<svg>` element.
    pub svg: String,
    /// What it shows.
    pub caption: String,
}

/// Every plot of the report, in order: normalized times, compile vs run, one per sweep flag,
/// one per module with tier events.
pub fn plots(results: &LabResults) -> Vec<Plot> {
    let mut plots = vec![
        Plot {
            id: "plot-normalized".into(),
            svg: svg(|root| normalized(root, results)),
            caption: format!(
                "Median wall time of each module ÷ the `{}` strategy's (lower is faster), and the geometric mean over the modules.",
                results.baseline_strategy
            ),
        },
        Plot {
            id: "plot-compile-run".into(),
            svg: svg(|root| compile_vs_run(root, results)),
            caption: "Compile time (all tiers, from --stats-json) against the run phase, medians per module and tierup strategy.".into(),
        },
    ];
    for flag in sweep_flags(results) {
        plots.push(Plot {
            id: format!("plot-sweep-{}", slug(&flag)),
            svg: svg(|root| sweep(root, results, &flag)),
            caption: format!("Sweep of --{flag}: median wall time per module at each value."),
        });
    }
    for module in &results.modules {
        if let Some((record, spans)) = spans_source(results, module) {
            plots.push(Plot {
                id: format!("plot-timeline-{}", slug(module)),
                svg: svg(|root| tier_spans(root, module, record, &spans)),
                caption: format!(
                    "Tier timeline of {module} under `{}` (first measured run): one row per function, coloured by the tier its calls entered over time; a dot where code was installed, a triangle where a running loop moved up by on-stack replacement.",
                    record.strategy
                ),
            });
        } else if let Some((record, events)) = timeline_source(results, module) {
            plots.push(Plot {
                id: format!("plot-timeline-{}", slug(module)),
                svg: svg(|root| timeline(root, module, record, &events)),
                caption: format!(
                    "Tier timeline of {module} under `{}` (first measured run): each bar is a compile, ending when the code was installed; each row is a function.",
                    record.strategy
                ),
            });
        }
    }
    plots
}

/// The swept flags, in the order their first strategy appears.
pub fn sweep_flags(results: &LabResults) -> Vec<String> {
    let mut flags: Vec<String> = Vec::new();
    for s in &results.strategies {
        if let Some(sw) = &s.sweep
            && !flags.contains(&sw.flag)
        {
            flags.push(sw.flag.clone());
        }
    }
    flags
}

/// The record and schema-2 timeline a module's tier timeline is drawn from: the baseline
/// strategy's when it has one, else the first strategy's that has one.
pub fn spans_source<'a>(results: &'a LabResults, module: &str) -> Option<(&'a Record, TierSpans)> {
    let baseline = results.record(module, &results.baseline_strategy);
    baseline
        .into_iter()
        .chain(results.results.iter().filter(|r| r.module == module))
        .find_map(|r| r.timeline.as_ref().and_then(timeline_spans).map(|s| (r, s)))
}

/// The record and events a module's timeline is drawn from: the baseline strategy's when it
/// has events, else the first strategy's that has some.
pub fn timeline_source<'a>(
    results: &'a LabResults,
    module: &str,
) -> Option<(&'a Record, Vec<TierEvent>)> {
    let events_of = |r: &Record| -> Option<Vec<TierEvent>> {
        r.timeline
            .as_ref()
            .and_then(timeline_events)
            .or_else(|| (!r.events.is_empty()).then(|| r.events.clone()))
    };
    let baseline = results.record(module, &results.baseline_strategy);
    baseline
        .into_iter()
        .chain(results.results.iter().filter(|r| r.module == module))
        .find_map(|r| events_of(r).map(|e| (r, e)))
}

/// Draws with `draw` into a fresh SVG and returns its text from `<svg` on.
fn svg(draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult) -> String {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root));
        if let Err(e) = drawn {
            let _ = root.draw(&Text::new(
                format!("plot failed: {e}"),
                (20, 20),
                ("sans-serif", 14).into_font(),
            ));
        }
        let _ = root.present();
    }
    match text.find("<svg") {
        Some(at) => text[at..].to_string(),
        None => text,
    }
}

fn color(i: usize) -> RGBColor {
    let c = Palette99::pick(i).to_rgba();
    RGBColor(c.0, c.1, c.2)
}

fn tier_color(tier: &str) -> RGBColor {
    match tier {
        "interp" => RGBColor(120, 120, 120),
        "baseline" => RGBColor(31, 119, 180),
        _ => RGBColor(214, 39, 40),
    }
}

/// Writes category labels under the plotting area, centred at the given x positions.
fn x_category_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    at: impl Iterator<Item = ((i32, i32), String)>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let style = TextStyle::from(("sans-serif", 12).into_font()).pos(
        plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        ),
    );
    for ((x, y), label) in at {
        root.draw(&Text::new(label, (x, y + 6), style.clone()))?;
    }
    Ok(())
}

/// Plot 1: bars of wall time ÷ baseline per module and strategy, and the geometric means.
fn normalized(root: &DrawingArea<SVGBackend<'_>, Shift>, results: &LabResults) -> DrawResult {
    let mut groups: Vec<(String, Vec<Option<f64>>)> = results
        .modules
        .iter()
        .map(|m| {
            let ratios = results
                .strategies
                .iter()
                .map(|s| results.record(m, &s.name).and_then(|r| r.ratio_to_baseline))
                .collect();
            (m.clone(), ratios)
        })
        .collect();
    groups.push((
        "geomean".into(),
        results.geomean.iter().map(|g| g.ratio).collect(),
    ));
    let ymax = groups
        .iter()
        .flat_map(|(_, r)| r.iter().flatten())
        .copied()
        .fold(1.0f64, f64::max)
        * 1.15;
    let n = groups.len() as f64;
    let k = results.strategies.len().max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("wall time ÷ {}", results.baseline_strategy),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(55)
        .build_cartesian_2d(0f64..n, 0f64..ymax)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("ratio")
        .draw()?;
    for (si, s) in results.strategies.iter().enumerate() {
        let width = 0.8 / k as f64;
        let bars = groups.iter().enumerate().filter_map(|(gi, (_, ratios))| {
            let ratio = ratios.get(si).copied().flatten()?;
            let x0 = gi as f64 + 0.1 + width * si as f64;
            Some(Rectangle::new(
                [(x0, 0.0), (x0 + width * 0.9, ratio)],
                color(si).filled(),
            ))
        });
        chart
            .draw_series(bars)?
            .label(s.name.clone())
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 10, y + 5)], color(si).filled())
            });
    }
    chart.draw_series(LineSeries::new(
        [(0.0, 1.0), (n, 1.0)],
        BLACK.mix(0.6).stroke_width(1),
    ))?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    let labels: Vec<((i32, i32), String)> = groups
        .iter()
        .enumerate()
        .map(|(gi, (name, _))| (chart.backend_coord(&(gi as f64 + 0.5, 0.0)), name.clone()))
        .collect();
    x_category_labels(root, labels.into_iter())
}

/// Plot 2: compile time against run time, one point per (module, tierup strategy).
fn compile_vs_run(root: &DrawingArea<SVGBackend<'_>, Shift>, results: &LabResults) -> DrawResult {
    let points: Vec<(usize, f64, f64)> = results
        .strategies
        .iter()
        .enumerate()
        .flat_map(|(si, s)| {
            results
                .results
                .iter()
                .filter(move |r| r.strategy == s.name)
                .filter_map(move |r| Some((si, r.median("compile_ms")?, r.median("run_ms")?)))
        })
        .collect();
    let xmax = points.iter().map(|p| p.1).fold(0.0, f64::max).max(0.001) * 1.15;
    let ymax = points.iter().map(|p| p.2).fold(0.0, f64::max).max(0.001) * 1.15;
    let mut chart = ChartBuilder::on(root)
        .caption("compile time vs run time", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..xmax, 0f64..ymax)?;
    chart
        .configure_mesh()
        .x_desc("compile ms (all tiers)")
        .y_desc("run phase ms")
        .draw()?;
    for (si, s) in results.strategies.iter().enumerate() {
        let mine: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.0 == si)
            .map(|p| (p.1, p.2))
            .collect();
        if mine.is_empty() {
            continue;
        }
        chart
            .draw_series(
                mine.into_iter()
                    .map(move |p| Circle::new(p, 5, color(si).filled())),
            )?
            .label(s.name.clone())
            .legend(move |(x, y)| Circle::new((x + 5, y), 5, color(si).filled()));
    }
    if points.is_empty() {
        root.draw(&Text::new(
            "no tierup strategy reported stats",
            (SIZE.0 as i32 / 2 - 120, SIZE.1 as i32 / 2),
            ("sans-serif", 14).into_font(),
        ))?;
    } else {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
    }
    Ok(())
}

/// Plot 3: one `--sweep` flag: value → median wall time, a line per module.
fn sweep(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    results: &LabResults,
    flag: &str,
) -> DrawResult {
    let mut points: Vec<(usize, String)> = results
        .strategies
        .iter()
        .filter_map(|s| {
            let sw = s.sweep.as_ref().filter(|sw| sw.flag == flag)?;
            Some((sw.position, s.name.clone()))
        })
        .collect();
    points.sort();
    let values: Vec<String> = points
        .iter()
        .map(|(_, name)| {
            name.split_once('=')
                .map_or(name.clone(), |(_, v)| v.to_string())
        })
        .collect();
    let ymax = results
        .results
        .iter()
        .filter(|r| points.iter().any(|(_, n)| *n == r.strategy))
        .filter_map(|r| r.median("wall_ms"))
        .fold(0.0, f64::max)
        .max(0.001)
        * 1.15;
    let n = points.len() as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(format!("--{flag} sweep"), ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..(n - 0.5), 0f64..ymax)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("median wall ms")
        .draw()?;
    for (mi, module) in results.modules.iter().enumerate() {
        let line: Vec<(f64, f64)> = points
            .iter()
            .enumerate()
            .filter_map(|(i, (_, name))| {
                Some((i as f64, results.record(module, name)?.median("wall_ms")?))
            })
            .collect();
        if line.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(line.clone(), color(mi).stroke_width(2)))?
            .label(module.clone())
            .legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 16, y)], color(mi).stroke_width(2))
            });
        chart.draw_series(
            line.into_iter()
                .map(move |p| Circle::new(p, 4, color(mi).filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    let labels: Vec<((i32, i32), String)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (chart.backend_coord(&(i as f64, 0.0)), v.clone()))
        .collect();
    x_category_labels(root, labels.into_iter())
}

/// The frame both timeline plots draw in: one row per function of `rows` (labelled `#index`,
/// top to bottom in order), time in ms over `x`, the axes described by `descs` (x, y).
fn timeline_frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: String,
    rows: &[u64],
    x: std::ops::Range<f64>,
    descs: (&str, &str),
) -> Result<
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    Box<dyn Error>,
> {
    let nrows = rows.len().max(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x, -0.5f64..(nrows - 0.5))?;
    let row_label = |y: &f64| {
        let row = y.round();
        if (y - row).abs() > 1e-6 || row < 0.0 {
            return String::new();
        }
        rows.get(row as usize)
            .map_or_else(String::new, |f| format!("#{f}"))
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(rows.len().min(24) + 1)
        .y_label_formatter(&row_label)
        .x_desc(descs.0)
        .y_desc(descs.1)
        .draw()?;
    Ok(chart)
}

/// Plot 4: one module's tier timeline: a row per function (in order of first event), a bar
/// per compile (from its start to the code being installed), a dot when installed.
fn timeline(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    module: &str,
    record: &Record,
    events: &[TierEvent],
) -> DrawResult {
    let events = &events[..events.len().min(MAX_TIMELINE_EVENTS)];
    let mut rows: Vec<u64> = Vec::new();
    let mut sorted: Vec<&TierEvent> = events.iter().collect();
    sorted.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    for e in &sorted {
        if !rows.contains(&e.func) {
            rows.push(e.func);
        }
    }
    let xmax = events
        .iter()
        .map(|e| e.at_ms)
        .fold(0.0, f64::max)
        .max(0.001)
        * 1.05;
    let xmin = events
        .iter()
        .map(|e| e.at_ms - e.compile_ms)
        .fold(0.0, f64::min);
    let mut chart = timeline_frame(
        root,
        format!("{module}: tier timeline ({})", record.strategy),
        &rows,
        xmin..xmax,
        ("ms since load", "function index (rows by first event)"),
    )?;
    for tier in TIERS {
        let mine: Vec<(f64, f64, f64)> = sorted
            .iter()
            .filter(|e| e.tier == *tier)
            .map(|e| {
                let row = rows.iter().position(|f| *f == e.func).unwrap_or(0) as f64;
                (e.at_ms - e.compile_ms, e.at_ms, row)
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        let c = tier_color(tier);
        chart.draw_series(mine.iter().map(move |&(start, end, row)| {
            Rectangle::new(
                [(start, row - 0.35), (end, row + 0.35)],
                c.mix(0.5).filled(),
            )
        }))?;
        chart
            .draw_series(
                mine.iter()
                    .map(move |&(_, end, row)| Circle::new((end, row), 3, c.filled())),
            )?
            .label(*tier)
            .legend(move |(x, y)| Circle::new((x + 5, y), 4, c.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    Ok(())
}

/// The most functions (rows) a tier timeline draws: the first to run.
const MAX_TIMELINE_ROWS: usize = 64;

/// Plot 4: one module's tier timeline from schema-2 spans: a row per function (in order of
/// first entry), a bar per tier interval coloured by tier, a dot where baseline or optimized
/// code was installed, a triangle at each on-stack replacement.
fn tier_spans(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    module: &str,
    record: &Record,
    spans: &TierSpans,
) -> DrawResult {
    let mut order: Vec<(f64, u64)> = Vec::new();
    for s in &spans.spans {
        match order.iter_mut().find(|(_, f)| *f == s.func) {
            Some(entry) => entry.0 = entry.0.min(s.from_ms),
            None => order.push((s.from_ms, s.func)),
        }
    }
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    order.truncate(MAX_TIMELINE_ROWS);
    let rows: Vec<u64> = order.iter().map(|&(_, f)| f).collect();
    let row_of = |func: u64| rows.iter().position(|f| *f == func).map(|r| r as f64);
    let xmax = spans.end_ms.max(0.001) * 1.02;
    let mut chart = timeline_frame(
        root,
        format!("{module}: tier timeline ({})", record.strategy),
        &rows,
        0f64..xmax,
        (
            "ms since the module was created",
            "function (rows by first call)",
        ),
    )?;
    for tier in TIERS {
        let c = tier_color(tier);
        let bars: Vec<(f64, f64, f64)> = spans
            .spans
            .iter()
            .filter(|s| s.tier == *tier)
            .filter_map(|s| Some((s.from_ms, s.to_ms.max(s.from_ms), row_of(s.func)?)))
            .collect();
        if bars.is_empty() {
            continue;
        }
        chart
            .draw_series(bars.iter().map(move |&(from, to, row)| {
                Rectangle::new([(from, row - 0.35), (to, row + 0.35)], c.mix(0.6).filled())
            }))?
            .label(*tier)
            .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], c.filled()));
        if *tier != "interp" {
            chart.draw_series(
                bars.iter()
                    .map(move |&(from, _, row)| Circle::new((from, row), 3, c.filled())),
            )?;
        }
    }
    let marks: Vec<(f64, f64, &str)> = spans
        .osr
        .iter()
        .filter_map(|o| Some((o.at_ms, row_of(o.func)?, o.to)))
        .collect();
    if !marks.is_empty() {
        chart
            .draw_series(
                marks.iter().map(|&(at, row, to)| {
                    TriangleMarker::new((at, row), 6, tier_color(to).filled())
                }),
            )?
            .label("OSR")
            .legend(|(x, y)| TriangleMarker::new((x + 5, y), 5, BLACK.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    Ok(())
}

/// HTML-escapes text.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A number as results.json holds it, or empty.
fn num(x: Option<f64>) -> String {
    x.map_or_else(String::new, |x| format!("{x}"))
}

/// An id-safe form of a name.
fn slug(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
