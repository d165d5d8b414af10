//! `tierup explore FILE --func NAME|INDEX [--html OUT]`: one function as each tier sees it.
//!
//! A thin client of [`Module::explore`](tierup_runtime::Module::explore): it resolves
//! `--func` (an index, an export name, or a name from the name section), prints the
//! exploration's text form (one section per tier, then sizes and times) and, with `--html`,
//! writes one self-contained page with the listings side by side: every line carries the
//! wasm offset it came from (`data-w`), and hovering a line highlights that offset in every
//! column (clicking pins it and scrolls the other columns to it), with a few lines of inline
//! JavaScript and no external assets.
//!
//! Exit codes: 0 on success, 2 when the function does not exist (or is imported), 1 for any
//! other error (the file cannot be read or is not a valid module, the output cannot be
//! written).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use tierup_runtime::{Config, Engine, Exploration, Line, MachineListing, Module};

/// Arguments of `tierup explore`.
#[derive(clap::Args, Debug)]
pub(crate) struct ExploreArgs {
    /// The module (`.wasm` or `.wat`).
    file: PathBuf,
    /// The function: its index, its export name, or its name in the name section.
    #[arg(long, value_name = "NAME|INDEX")]
    func: String,
    /// Also write the listings side by side to this HTML file.
    #[arg(long, value_name = "OUT")]
    html: Option<PathBuf>,
}

/// Runs `tierup explore`.
pub(crate) fn explore(args: ExploreArgs) -> ExitCode {
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

fn run(args: &ExploreArgs) -> Result<(), (u8, String)> {
    let failed = |e: tierup_runtime::Error| (1, e.to_string());
    let engine = Engine::new(&Config::default()).map_err(failed)?;
    let module = Module::from_file(&engine, &args.file)
        .map_err(|e| (1, format!("{}: {e}", args.file.display())))?;
    let index = match args.func.parse::<u32>() {
        Ok(index) => index,
        Err(_) => module.func_index_by_name(&args.func).ok_or_else(|| {
            (
                2,
                format!(
                    "no function named `{}` in {} (give an export name, a name-section name or an index)",
                    args.func,
                    args.file.display()
                ),
            )
        })?,
    };
    let exploration = module.explore(index).map_err(|e| {
        let message = e.to_string();
        let code = if message.contains("not defined") {
            2
        } else {
            1
        };
        (code, message)
    })?;
    print!("{exploration}");
    if let Some(out) = &args.html {
        std::fs::write(out, html(&exploration))
            .map_err(|e| (1, format!("writing {}: {e}", out.display())))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// One line of a column: its wasm offset (if any) as `data-w`, a dim prefix, the text.
fn line(out: &mut String, wasm_offset: Option<u32>, prefix: &str, text: &str) {
    match wasm_offset {
        Some(w) => {
            let _ = write!(out, "<div class=l data-w={w}>");
        }
        None => out.push_str("<div class=l>"),
    }
    // No newline between lines: in a `white-space: pre` column it would show as a blank line.
    let _ = write!(
        out,
        "<span class=p>{}</span>{}</div>",
        esc(prefix),
        esc(text)
    );
}

fn column(out: &mut String, id: &str, title: &str, body: &str) {
    let _ = writeln!(
        out,
        "<section class=col id={id}><h2>{}</h2><div class=code>{body}</div></section>",
        esc(title)
    );
}

fn machine_column(listing: &MachineListing) -> String {
    let mut body = String::new();
    for instr in &listing.instrs {
        let mut text = instr.text.clone();
        if let Some(note) = &instr.note {
            let _ = write!(text, "    ; {note}");
        }
        if let Some(index) = instr.bytecode_index {
            let _ = write!(text, "    ; bc {index}");
        }
        let prefix = format!("{:5x}  ", instr.offset);
        line(&mut body, instr.wasm_offset, &prefix, &text);
    }
    body
}

/// `strip`: how many leading columns to drop from lines that start with that many spaces or
/// with a source location (`@00a3`) and spaces: Cranelift prints source locations in a column
/// of their own, which the prefix shows already.
fn lines_column(lines: &[Line], strip: usize) -> String {
    let mut body = String::new();
    for l in lines {
        let prefix = match l.wasm_offset {
            Some(o) => format!("{o:#6x}  "),
            None => "        ".to_owned(),
        };
        let text = match l.text.get(..strip) {
            Some(head)
                if head
                    .trim_start_matches('@')
                    .trim_start_matches(|c: char| c.is_ascii_hexdigit())
                    .trim()
                    .is_empty() =>
            {
                &l.text[strip..]
            }
            _ => &l.text,
        };
        line(&mut body, l.wasm_offset, &prefix, text);
    }
    body
}

/// The width of the source-location column in Cranelift's CLIF listing.
const CLIF_SRCLOC_COLUMN: usize = 32;

/// The self-contained HTML page of `ex`.
fn html(ex: &Exploration) -> String {
    let title = match &ex.name {
        Some(name) => format!("func[{}] ${name} {}", ex.func_index, ex.signature),
        None => format!("func[{}] {}", ex.func_index, ex.signature),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>tierup explore: {}</title>\n<style>{STYLE}</style></head><body>",
        esc(&title)
    );
    let _ = writeln!(out, "<h1>tierup explore: {}</h1>", esc(&title));
    // Sizes and times.
    out.push_str("<table><tr><th>tier</th><th>bytes</th><th>instructions</th><th>time</th></tr>");
    let _ = write!(
        out,
        "<tr><td>wasm</td><td>{}</td><td>{}</td><td></td></tr>",
        ex.wasm.body.end - ex.wasm.body.start,
        // Operators: the lines after the header, declarations of locals excepted.
        ex.wasm
            .lines
            .iter()
            .skip(1)
            .filter(|l| l.wasm_offset.is_some() && !l.text.trim_start().starts_with("(local"))
            .count()
    );
    let _ = write!(
        out,
        "<tr><td>interpreter</td><td>{}</td><td>{}</td><td>{:.1?}</td></tr>",
        ex.interp.code_bytes,
        ex.interp.instrs.len(),
        ex.interp.translate_time
    );
    let mut row = |tier: &str, l: Result<&MachineListing, &String>| match l {
        Ok(l) => {
            let _ = write!(
                out,
                "<tr><td>{tier}</td><td>{}</td><td>{}</td><td>{:.1?}</td></tr>",
                l.code_bytes,
                l.instrs
                    .iter()
                    .filter(|i| !i.text.starts_with(".const"))
                    .count(),
                l.compile_time
            );
        }
        Err(e) => {
            let _ = write!(out, "<tr><td>{tier}</td><td colspan=3>{}</td></tr>", esc(e));
        }
    };
    row("baseline", ex.baseline.as_ref());
    row("optimized", ex.optimized.as_ref().map(|o| &o.machine));
    out.push_str("</table>\n<p class=hint>Hover a line to highlight its wasm operator in every column; click to pin.</p>\n<main>");

    column(&mut out, "wasm", "wasm", &lines_column(&ex.wasm.lines, 0));
    let mut bytecode = String::new();
    for (i, instr) in ex.interp.instrs.iter().enumerate() {
        line(
            &mut bytecode,
            Some(instr.wasm_offset),
            &format!("{i:4}  "),
            &instr.text,
        );
    }
    column(
        &mut out,
        "interp",
        &format!("interpreter bytecode ({})", ex.interp.header),
        &bytecode,
    );
    match &ex.baseline {
        Ok(l) => column(
            &mut out,
            "baseline",
            "baseline machine code",
            &machine_column(l),
        ),
        Err(e) => column(&mut out, "baseline", "baseline machine code", &esc(e)),
    }
    match &ex.optimized {
        Ok(opt) => {
            let entry = if opt.native_entry {
                "native"
            } else {
                "slot-ABI"
            };
            column(
                &mut out,
                "clif",
                &format!("optimized CLIF ({entry} entry)"),
                &lines_column(&opt.clif, CLIF_SRCLOC_COLUMN),
            );
            column(
                &mut out,
                "opt",
                "optimized machine code",
                &machine_column(&opt.machine),
            );
        }
        Err(e) => {
            column(&mut out, "clif", "optimized CLIF", &esc(e));
            column(&mut out, "opt", "optimized machine code", &esc(e));
        }
    }
    let _ = writeln!(out, "</main>\n<script>{SCRIPT}</script>\n</body></html>");
    out
}

const STYLE: &str = "
body{font:13px/1.35 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:12px;color:#222}
h1{font-size:16px;margin:0 0 8px}h2{font-size:13px;margin:0;padding:4px 6px;background:#eee;position:sticky;top:0}
table{border-collapse:collapse;margin-bottom:6px}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.hint{color:#777;margin:4px 0}
main{display:flex;gap:8px;align-items:flex-start}
.col{flex:1 1 0;min-width:0;border:1px solid #ccc;max-height:85vh;overflow:auto;position:relative}
.code{white-space:pre;padding:2px 0}.l{padding:0 6px;cursor:default}.l[data-w]:hover{background:#f3f3f3}
.p{color:#999}.l.hl{background:#fff2a8}.l.pin{background:#ffd84d}
";

const SCRIPT: &str = "
let pinned=null;
function mark(w,cls){document.querySelectorAll('.l.'+cls).forEach(e=>e.classList.remove(cls));
 if(w===null)return[];const m=document.querySelectorAll('.l[data-w=\"'+w+'\"]');m.forEach(e=>e.classList.add(cls));return m;}
document.querySelectorAll('.l[data-w]').forEach(e=>{
 e.addEventListener('mouseenter',()=>mark(e.dataset.w,'hl'));
 e.addEventListener('mouseleave',()=>mark(null,'hl'));
 e.addEventListener('click',()=>{pinned=pinned===e.dataset.w?null:e.dataset.w;const m=mark(pinned,'pin');
  const seen=new Set([e.closest('.col')]);m.forEach(x=>{const c=x.closest('.col');if(!seen.has(c)){seen.add(c);
  c.scrollTop=x.offsetTop-c.clientHeight/3;}});});
});
";
