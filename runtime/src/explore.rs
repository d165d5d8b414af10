//! [`Module::explore`]: one function as each tier sees it (`tierup explore`, like
//! `wasmtime explore` for all three tiers). Needs the `explore` feature (it brings the
//! `wasmprinter` text printer and the `capstone` disassembler).
//!
//! An [`Exploration`] holds, for one defined function:
//! - the wasm, as text (`wasmprinter`'s lines of that function, each with its module offset);
//! - the interpreter's register bytecode, each instruction with the offset of the wasm
//!   operator it was emitted for (`tierup_interp::translate_with_offsets`);
//! - the baseline tier's machine code, disassembled, each instruction with the bytecode
//!   instruction (and so the wasm offset) whose code it belongs to
//!   (`tierup_baseline::BaselineCode::instr_offsets`);
//! - the optimizing tier's CLIF (after translation, each instruction prefixed by its operator's
//!   offset, `@00a3`) and its machine code, disassembled, each instruction with the wasm offset
//!   Cranelift carried to it (`MachSrcLoc`);
//! - sizes and compile times of each tier.
//!
//! Everything is compiled on the calling thread, each tier from scratch, and nothing is
//! installed: the module's code table, counters and statistics are untouched. The compile
//! environment is the module's (its engine's bounds-check mode and instrumentation, this CPU's
//! features) with two differences in optimized code: the address of the runtime's raise
//! routine is the placeholder [`RAISE_PLACEHOLDER`], and direct calls go through the code
//! table (as in a function optimized before its callees). Machine code therefore matches what
//! the tiers install byte for byte except for those constants and call sequences.
//!
//! The text form is [`Exploration`]'s `Display`: one section per tier, then a summary.
//! Durations are printed by [`std::fmt::Debug`] of [`Duration`] (`12.3µs`).

use std::fmt::{self, Write as _};
use std::time::{Duration, Instant};

use capstone::prelude::*;
use tierup_abi::{FuncIdx, ModuleInfo};

use crate::error::Error;
use crate::module::Module;

/// The address given to optimized code as the runtime's raise routine in an exploration (a
/// fixed value, so that listings do not depend on where the runtime's stubs are).
pub const RAISE_PLACEHOLDER: usize = 0x1000;

/// One function as each tier sees it (see the module docs).
#[derive(Debug, Clone)]
pub struct Exploration {
    /// The function's index (in the function index space, imports first).
    pub func_index: u32,
    /// Its name from the name section, if any.
    pub name: Option<String>,
    /// Its signature, as `[i32 i32] -> [i32]`.
    pub signature: String,
    /// The wasm.
    pub wasm: WasmListing,
    /// The interpreter's bytecode.
    pub interp: BytecodeListing,
    /// The baseline tier's machine code, or why it could not be compiled.
    pub baseline: Result<MachineListing, String>,
    /// The optimizing tier's CLIF and machine code, or why it could not be compiled.
    pub optimized: Result<OptimizedListing, String>,
}

/// A line of text standing for the wasm operator at a module offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The module offset of the wasm operator (or function header) the line stands for.
    pub wasm_offset: Option<u32>,
    /// The text.
    pub text: String,
}

/// The function's wasm.
#[derive(Debug, Clone)]
pub struct WasmListing {
    /// Where the body (locals and code) is in the module: `start..end`.
    pub body: std::ops::Range<u32>,
    /// The text format of the function (the first line is the `(func` header), one line per
    /// operator.
    pub lines: Vec<Line>,
}

/// The interpreter's bytecode of the function.
#[derive(Debug, Clone)]
pub struct BytecodeListing {
    /// The listing's header: frame layout (`params=.. locals=.. frame=..`).
    pub header: String,
    /// The instructions, in order (an instruction's index is its position).
    pub instrs: Vec<BytecodeInstr>,
    /// Bytes the instructions take.
    pub code_bytes: usize,
    /// How long translation from wasm took.
    pub translate_time: Duration,
}

/// One bytecode instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BytecodeInstr {
    /// Module offset of the wasm operator it was emitted for.
    pub wasm_offset: u32,
    /// The instruction, as the interpreter's listing shows it.
    pub text: String,
}

/// Disassembled machine code.
#[derive(Debug, Clone)]
pub struct MachineListing {
    /// The instructions (and, after them, any constant pool as `.const` lines).
    pub instrs: Vec<MachineInstr>,
    /// Bytes of code (constant pool included).
    pub code_bytes: usize,
    /// How long compilation took (the baseline tier's: from bytecode, translation excluded;
    /// the optimizer's: from wasm, translation to CLIF included).
    pub compile_time: Duration,
}

/// One disassembled machine instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineInstr {
    /// Its offset from the function's entry.
    pub offset: u32,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Mnemonic and operands (Intel syntax).
    pub text: String,
    /// The module offset of the wasm operator it was generated for, when known.
    pub wasm_offset: Option<u32>,
    /// Baseline code: the bytecode instruction it was generated for (`None` in the prologue,
    /// the epilogue and out-of-line code).
    pub bytecode_index: Option<u32>,
    /// A note: the trap the instruction may raise, or an OSR entry.
    pub note: Option<String>,
}

/// The optimizing tier's view.
#[derive(Debug, Clone)]
pub struct OptimizedListing {
    /// Whether this is the function's native entry (arguments and results in registers)
    /// rather than its slot-ABI entry (every function has a native entry now).
    pub native_entry: bool,
    /// The CLIF after translation, before Cranelift's optimizations.
    pub clif: Vec<Line>,
    /// The machine code.
    pub machine: MachineListing,
}

impl Module {
    /// Shows defined function `func_index` as each tier sees it: its wasm, interpreter
    /// bytecode, baseline machine code, optimized CLIF and machine code, with where each came
    /// from in the wasm, and what each cost. See [`crate::explore`].
    ///
    /// Compiles on the calling thread in every tier, whatever the engine's tier choice, and
    /// installs nothing. A tier that cannot compile the function shows the error in its place.
    ///
    /// # Errors
    /// If `func_index` is not a function defined by the module, or the interpreter cannot
    /// translate it (every tier starts from that), or the wasm cannot be printed.
    pub fn explore(&self, func_index: u32) -> Result<Exploration, Error> {
        let info = &self.inner.info;
        let defined = info
            .defined_func(FuncIdx(func_index))
            .filter(|d| d.as_u32() < info.num_defined_funcs())
            .ok_or_else(|| {
                Error::msg(format!(
                    "function {func_index} is not defined by this module"
                ))
            })?;
        let wasm = wasm_listing(info, defined.index())?;

        let start = Instant::now();
        let (func, offsets) = tierup_interp::translate_with_offsets(info, defined)
            .map_err(|e| Error::msg(format!("interpreter: {e}")))?;
        let translate_time = start.elapsed();
        let interp = BytecodeListing {
            header: format!(
                "params={} locals={} frame={}",
                func.num_params, func.num_locals, func.frame_size
            ),
            instrs: func
                .code
                .iter()
                .zip(offsets.iter())
                .map(|(instr, &wasm_offset)| BytecodeInstr {
                    wasm_offset,
                    text: format!("{instr:?}"),
                })
                .collect(),
            code_bytes: std::mem::size_of_val(&*func.code),
            translate_time,
        };

        let cs = disassembler().map_err(Error::msg)?;
        let bounds_checks = self.inner.engine.config().bounds_checks;
        let baseline = baseline_listing(
            &cs,
            info,
            &func,
            &interp,
            bounds_checks,
            &self.inner.type_ids,
        );
        let config = self.inner.engine.config();
        let loops = config.opt_loops;
        let optimized = optimized_listing(
            &cs,
            info,
            defined,
            bounds_checks,
            loops,
            &self.inner.type_ids,
        );
        Ok(Exploration {
            func_index,
            name: info.func_name(FuncIdx(func_index)).map(str::to_owned),
            signature: info.func_type(FuncIdx(func_index)).to_string(),
            wasm,
            interp,
            baseline,
            optimized,
        })
    }

    /// The index of the function called `name`: an export of that name, else a function of
    /// that name in the name section (with or without a leading `$`).
    pub fn func_index_by_name(&self, name: &str) -> Option<u32> {
        if let Some(index) = self.exported_func_index(name) {
            return Some(index);
        }
        let bare = name.strip_prefix('$').unwrap_or(name);
        let mut found: Vec<u32> = self
            .inner
            .info
            .func_names
            .iter()
            .filter(|(_, n)| n.as_str() == bare)
            .map(|(&i, _)| i)
            .collect();
        found.sort_unstable();
        found.first().copied()
    }
}

/// A capstone instance for x86-64 in Intel syntax (as the baseline snapshot tests use).
fn disassembler() -> Result<Capstone, String> {
    Capstone::new()
        .x86()
        .mode(arch::x86::ArchMode::Mode64)
        .syntax(arch::x86::ArchSyntax::Intel)
        .build()
        .map_err(|e| format!("capstone: {e}"))
}

/// The text of defined function `defined` (index into `info.bodies`), from `wasmprinter`.
fn wasm_listing(info: &ModuleInfo, defined: usize) -> Result<WasmListing, Error> {
    let range = info.bodies[defined].clone();
    let (start, end) = (range.start as u64, range.end as u64);
    let mut storage = String::new();
    let lines = wasmprinter::Config::new()
        .offsets_and_lines(&info.wasm, &mut storage)
        .map_err(|e| Error::msg(format!("printing the wasm: {e}")))?;
    let mut out: Vec<Line> = Vec::new();
    let mut inside = false;
    for (offset, text) in lines {
        match offset {
            Some(o) if o == start => inside = true,
            Some(o) if !(start..end).contains(&o) => inside = false,
            _ => {}
        }
        if inside {
            out.push(Line {
                wasm_offset: offset.map(|o| o as u32),
                text: text.trim_end().to_owned(),
            });
        }
    }
    // Drop the module's indentation.
    let indent = out
        .first()
        .map_or(0, |l| l.text.len() - l.text.trim_start().len());
    for line in &mut out {
        let strip = indent.min(line.text.len() - line.text.trim_start().len());
        line.text.drain(..strip);
    }
    if out.is_empty() {
        return Err(Error::msg(
            "printing the wasm: the function's body was not found",
        ));
    }
    Ok(WasmListing {
        body: range.start as u32..range.end as u32,
        lines: out,
    })
}

/// Disassembles `code[..end]` (instructions only).
fn disassemble(cs: &Capstone, code: &[u8]) -> Result<Vec<MachineInstr>, String> {
    let insns = cs
        .disasm_all(code, 0)
        .map_err(|e| format!("disassembling: {e}"))?;
    Ok(insns
        .as_ref()
        .iter()
        .map(|insn| MachineInstr {
            offset: insn.address() as u32,
            bytes: insn.bytes().to_vec(),
            text: format!(
                "{} {}",
                insn.mnemonic().unwrap_or("?"),
                insn.op_str().unwrap_or("")
            )
            .trim_end()
            .to_owned(),
            wasm_offset: None,
            bytecode_index: None,
            note: None,
        })
        .collect())
}

/// A trap site's note.
fn trap_note(trap: Option<tierup_abi::TrapCode>) -> String {
    match trap {
        Some(code) => format!("trap: {code:?}"),
        None => "trap: status in eax".to_owned(),
    }
}

fn baseline_listing(
    cs: &Capstone,
    info: &ModuleInfo,
    func: &tierup_interp::CompiledFunc,
    interp: &BytecodeListing,
    bounds_checks: tierup_abi::BoundsChecks,
    type_ids: &[u32],
) -> Result<MachineListing, String> {
    let mut env = tierup_baseline::CompileEnv::for_module(
        info,
        bounds_checks,
        tierup_baseline::CpuFeatures::detect(),
    );
    env.type_ids = type_ids.to_vec();
    let start = Instant::now();
    let code = tierup_baseline::compile(func, &env).map_err(|e| e.to_string())?;
    let compile_time = start.elapsed();
    let data = code.data_offset as usize;
    let mut instrs = disassemble(cs, &code.code[..data])?;
    for instr in &mut instrs {
        let at = instr.offset;
        // The last bytecode instruction whose code starts at or before `at` (several may
        // start at the same offset when the first ones emit nothing).
        if at < code.body_end {
            let index = code.instr_offsets.partition_point(|&o| o <= at);
            if index > 0 {
                let index = index - 1;
                instr.bytecode_index = Some(index as u32);
                instr.wasm_offset = interp.instrs.get(index).map(|i| i.wasm_offset);
            }
        }
        if let Some((_, trap)) = code.traps.iter().find(|(o, _)| *o == at) {
            instr.note = Some(trap_note(*trap));
        }
        if let Some((pc, _)) = code.osr_entries.iter().find(|(_, o)| *o == at) {
            instr.note = Some(format!("OSR entry for the loop header at bytecode {pc}"));
        }
        if code.native_entry == Some(at) {
            instr.note = Some("native entry (register arguments and results)".to_string());
        }
        if code.ref_entry() == Some(at) {
            instr.note = Some("entry for calls through function references".to_string());
        }
    }
    for at in (data.next_multiple_of(16)..code.code.len()).step_by(16) {
        let bytes = &code.code[at..(at + 16).min(code.code.len())];
        let mut value = [0u8; 16];
        value[..bytes.len()].copy_from_slice(bytes);
        instrs.push(MachineInstr {
            offset: at as u32,
            bytes: bytes.to_vec(),
            text: format!(".const 0x{:032x}", u128::from_le_bytes(value)),
            wasm_offset: None,
            bytecode_index: None,
            note: None,
        });
    }
    Ok(MachineListing {
        instrs,
        code_bytes: code.code.len(),
        compile_time,
    })
}

fn optimized_listing(
    cs: &Capstone,
    info: &ModuleInfo,
    defined: tierup_abi::DefinedFuncIdx,
    bounds_checks: tierup_abi::BoundsChecks,
    loops: tierup_optimizer::LoopSettings,
    type_ids: &[u32],
) -> Result<OptimizedListing, String> {
    let env = tierup_optimizer::OptEnv {
        module: info,
        bounds_checks,
        raise: RAISE_PLACEHOLDER,
        attention: RAISE_PLACEHOLDER + 0x1000,
        native: None,
        eager: false,
        type_ids: Some(type_ids),
        loops,
        assume_published: true,
        optimized: None,
    };
    let mut compiler = tierup_optimizer::Compiler::new().map_err(|e| e.to_string())?;
    let start = Instant::now();
    let listing = compiler
        .compile_listing(&env, defined)
        .map_err(|e| e.to_string())?;
    let compile_time = start.elapsed();
    let mut instrs = disassemble(cs, &listing.code.code)?;
    for instr in &mut instrs {
        let at = instr.offset;
        let i = listing.srclocs.partition_point(|&(s, _, _)| s <= at);
        if i > 0 {
            let (_, end, offset) = listing.srclocs[i - 1];
            if at < end {
                instr.wasm_offset = Some(offset);
            }
        }
        if let Some((_, trap)) = listing.code.traps.iter().find(|(o, _)| *o == at) {
            instr.note = Some(trap_note(*trap));
        }
    }
    Ok(OptimizedListing {
        native_entry: listing.native,
        clif: listing.clif.lines().map(clif_line).collect(),
        machine: MachineListing {
            instrs,
            code_bytes: listing.code.code.len(),
            compile_time,
        },
    })
}

/// A CLIF line with its source location (`@00a3` at the start of the line, hexadecimal).
fn clif_line(text: &str) -> Line {
    let trimmed = text.trim_start();
    let wasm_offset = trimmed.strip_prefix('@').and_then(|rest| {
        let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        u32::from_str_radix(&hex, 16).ok()
    });
    Line {
        wasm_offset,
        text: text.to_owned(),
    }
}

impl Exploration {
    /// The wasm text line of the operator at module offset `offset`, if any.
    pub fn wasm_text_at(&self, offset: u32) -> Option<&str> {
        self.wasm
            .lines
            .iter()
            .find(|l| l.wasm_offset == Some(offset))
            .map(|l| l.text.trim())
    }

    /// Writes `listing` with a comment line wherever the wasm operator (and, for baseline
    /// code, the bytecode instruction) changes.
    /// Code of no wasm operator is labelled `before` until the first that has one, then
    /// `after`.
    fn write_machine(
        &self,
        f: &mut fmt::Formatter<'_>,
        listing: &MachineListing,
        (before, after): (&str, &str),
    ) -> fmt::Result {
        let mut last: Option<(Option<u32>, Option<u32>)> = None;
        let mut in_pool = false;
        let mut seen_operator = false;
        for instr in &listing.instrs {
            let is_const = instr.text.starts_with(".const");
            let key = (instr.bytecode_index, instr.wasm_offset);
            if is_const && !in_pool {
                in_pool = true;
                writeln!(f, "        ; constant pool")?;
            } else if !is_const && last != Some(key) {
                match key {
                    (Some(index), _) => {
                        let bytecode = self.interp.instrs.get(index as usize);
                        let wasm = bytecode.and_then(|b| self.wasm_text_at(b.wasm_offset));
                        write!(f, "        ; bytecode {index}")?;
                        if let Some(b) = bytecode {
                            write!(f, " @{:#x}", b.wasm_offset)?;
                        }
                        if let Some(wasm) = wasm {
                            write!(f, " {wasm}")?;
                        }
                        if let Some(b) = bytecode {
                            write!(f, ": {}", b.text)?;
                        }
                        writeln!(f)?;
                    }
                    (None, Some(offset)) => match self.wasm_text_at(offset) {
                        Some(wasm) => writeln!(f, "        ; @{offset:#x} {wasm}")?,
                        None => writeln!(f, "        ; @{offset:#x}")?,
                    },
                    (None, None) => {
                        let label = if seen_operator { after } else { before };
                        writeln!(f, "        ; {label}")?;
                    }
                }
            }
            seen_operator |= key != (None, None);
            last = Some(key);
            write!(f, "{:6x}: {}", instr.offset, instr.text)?;
            if let Some(note) = &instr.note {
                write!(f, "    ; {note}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Formats a duration as the listings do.
fn time(d: Duration) -> String {
    let mut s = String::new();
    let _ = write!(s, "{d:.1?}");
    s
}

impl fmt::Display for Exploration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ";; func[{}]", self.func_index)?;
        if let Some(name) = &self.name {
            write!(f, " ${name}")?;
        }
        writeln!(
            f,
            " {}: wasm body at {:#x}..{:#x}",
            self.signature, self.wasm.body.start, self.wasm.body.end
        )?;

        writeln!(f, "\n== wasm ==")?;
        for line in &self.wasm.lines {
            match line.wasm_offset {
                Some(o) => write!(f, "{o:#8x}  ")?,
                None => f.write_str("          ")?,
            }
            writeln!(f, "{}", line.text)?;
        }

        writeln!(f, "\n== interpreter bytecode ({}) ==", self.interp.header)?;
        for (i, instr) in self.interp.instrs.iter().enumerate() {
            writeln!(f, "{i:4}  @{:#x}  {}", instr.wasm_offset, instr.text)?;
        }

        writeln!(f, "\n== baseline machine code ==")?;
        match &self.baseline {
            Ok(listing) => {
                self.write_machine(f, listing, ("prologue", "epilogue and out-of-line code"))?
            }
            Err(e) => writeln!(f, "error: {e}")?,
        }

        match &self.optimized {
            Ok(opt) => {
                let entry = if opt.native_entry {
                    "native"
                } else {
                    "slot-ABI"
                };
                writeln!(f, "\n== optimized CLIF ({entry} entry) ==")?;
                for line in &opt.clif {
                    writeln!(f, "{}", line.text)?;
                }
                writeln!(f, "\n== optimized machine code ==")?;
                self.write_machine(f, &opt.machine, ("prologue", "(no wasm operator)"))?;
            }
            Err(e) => {
                writeln!(f, "\n== optimized CLIF ==\nerror: {e}")?;
                writeln!(f, "\n== optimized machine code ==\nerror: {e}")?;
            }
        }

        writeln!(f, "\n== summary ==")?;
        let wasm_bytes = self.wasm.body.end - self.wasm.body.start;
        writeln!(f, "wasm          {wasm_bytes:6} bytes")?;
        writeln!(
            f,
            "interpreter   {:6} bytes  {:5} instructions  translated in {}",
            self.interp.code_bytes,
            self.interp.instrs.len(),
            time(self.interp.translate_time)
        )?;
        let machine = |f: &mut fmt::Formatter<'_>,
                       tier: &str,
                       l: &Result<&MachineListing, &String>| {
            match l {
                Ok(l) => writeln!(
                    f,
                    "{tier:<13} {:6} bytes  {:5} instructions  compiled in {}",
                    l.code_bytes,
                    l.instrs
                        .iter()
                        .filter(|i| !i.text.starts_with(".const"))
                        .count(),
                    time(l.compile_time)
                ),
                Err(e) => writeln!(f, "{tier:<13} error: {e}"),
            }
        };
        machine(f, "baseline", &self.baseline.as_ref())?;
        machine(f, "optimized", &self.optimized.as_ref().map(|o| &o.machine))
    }
}
