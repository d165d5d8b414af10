//! Snapshot tests of the machine code the baseline compiler produces, disassembled with
//! capstone, so that a reviewer sees every change to code generation as a diff.
//!
//! The inputs are the interpreter's snapshot cases (`interp/tests/snapshots/NAME.wat`, whose
//! bytecode listings sit beside them); the expected listings are
//! `baseline/tests/snapshots/NAME.txt`. Trap sites and OSR entries are annotated, and the
//! constant pool after the code is listed as data. The code is generated for a CPU with
//! SSE4.2 whatever the machine, so the listings do not depend on it. Run with
//! `TIERUP_BLESS=1` to rewrite the listings after an intended change, then review the diff.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use capstone::prelude::*;
use tierup_abi::{BoundsChecks, Features, ModuleInfo};
use tierup_baseline::{CompileEnv, CpuFeatures, compile};
use tierup_interp::InterpModule;

/// An x86-64 disassembler with Intel syntax, for the listings.
fn disassembler() -> Capstone {
    Capstone::new()
        .x86()
        .mode(arch::x86::ArchMode::Mode64)
        .syntax(arch::x86::ArchSyntax::Intel)
        .build()
        .expect("capstone")
}

/// Each instruction of `code` as `mnemonic operands` (Intel syntax).
fn instructions(code: &[u8]) -> Vec<String> {
    let cs = disassembler();
    let insns = cs.disasm_all(code, 0).expect("disassembles");
    insns
        .as_ref()
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                i.mnemonic().unwrap_or(""),
                i.op_str().unwrap_or("")
            )
        })
        .collect()
}

fn listing(wat_path: &Path) -> String {
    let wasm = wat::parse_file(wat_path).expect("snapshot WAT parses");
    // Every feature tierup supports, SIMD and multi-memory included.
    let features = Features::SUPPORTED;
    let info = Arc::new(ModuleInfo::parse_with(wasm, features).expect("snapshot module validates"));
    let module = InterpModule::new(info.clone());
    let env = CompileEnv::for_module(&info, BoundsChecks::Guard, CpuFeatures { sse42: true });
    let cs = disassembler();
    let mut out = String::new();
    for defined in info.defined_funcs() {
        let func = module
            .compiled(defined)
            .expect("snapshot function translates");
        let code = compile(func, &env).expect("snapshot function compiles");
        let index = info.func_of(defined);
        let name = info.func_name(index).unwrap_or("?");
        let _ = writeln!(out, ";; func[{index}] {name}: {} bytes", code.code.len());
        let data = code.data_offset as usize;
        let insns = cs.disasm_all(&code.code[..data], 0).expect("disassembles");
        for insn in insns.as_ref() {
            let at = insn.address() as u32;
            if code.ref_entry() == Some(at) {
                let _ = writeln!(out, "      ; entry through references");
            }
            if code.native_entry == Some(at) {
                let _ = writeln!(out, "      ; native entry");
            }
            for (pc, offset) in &code.osr_entries {
                if *offset == at {
                    let _ = writeln!(
                        out,
                        "      ; OSR entry for the loop header at bytecode {pc}"
                    );
                }
            }
            let mut line = format!(
                "{at:5x}: {} {}",
                insn.mnemonic().unwrap_or("?"),
                insn.op_str().unwrap_or("")
            );
            if let Some((_, trap)) = code.traps.iter().find(|(o, _)| *o == at) {
                match trap {
                    Some(code) => {
                        let _ = write!(line, "    ; trap: {code:?}");
                    }
                    None => line.push_str("    ; trap: status in eax"),
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        // The pool: 16-byte constants from the first aligned offset after the code.
        for at in (data.next_multiple_of(16)..code.code.len()).step_by(16) {
            let value = u128::from_le_bytes(code.code[at..at + 16].try_into().unwrap());
            let _ = writeln!(out, "{at:5x}: constant 0x{value:032x}");
        }
    }
    out
}

/// A module parsed from `wat`, translated for the interpreter, and the default compile
/// environment (guard-page bounds checks, SSE4.2).
fn setup(wat: &str) -> (Arc<ModuleInfo>, InterpModule, CompileEnv) {
    let wasm = wat::parse_str(wat).expect("parses");
    let info = Arc::new(ModuleInfo::parse_with(wasm, Features::SUPPORTED).expect("validates"));
    let module = InterpModule::new(info.clone());
    let env = CompileEnv::for_module(&info, BoundsChecks::Guard, CpuFeatures { sse42: true });
    (info, module, env)
}

#[test]
fn machine_code_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let inputs = root.join("../interp/tests/snapshots");
    let outputs = root.join("tests/snapshots");
    let bless = std::env::var_os("TIERUP_BLESS").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(&inputs)
        .expect("snapshot dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wat"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "expected at least five snapshot cases");
    let mut mismatches = Vec::new();
    for case in cases {
        let actual = listing(&case);
        let expected_path = outputs
            .join(case.file_name().unwrap())
            .with_extension("txt");
        if bless {
            std::fs::write(&expected_path, &actual).expect("write snapshot");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            mismatches.push(format!(
                "{}:\n--- expected\n{expected}\n+++ actual\n{actual}",
                expected_path.display()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "machine code changed (rerun with TIERUP_BLESS=1 if intended):\n{}",
        mismatches.join("\n")
    );
}

/// A function with a native entry has an entry for calls through references just before it:
/// a two-byte `jmp` to it, at an offset whose bits 2–3 are the function's defined index
/// modulo 4 (`BaselineCode::ref_entry`); a function without one has neither.
#[test]
fn entries_through_references_jump_to_the_native_entry_from_the_functions_own_class() {
    let (info, module, env) = setup(
        r#"(module
            (table 8 funcref)
            (elem (i32.const 0) 0 1 2 3 4 5 6)
            (func (param i32 i32) (result i32 i32) local.get 1 local.get 0)
            (func (param i32) (result i32) local.get 0 i32.const 1 i32.add)
            (func (param i64) (result i64) local.get 0 i64.const 3 i64.mul)
            (func (param f64) (result f64) local.get 0 f64.sqrt)
            (func (param i32) (result i32) local.get 0 i32.eqz)
            (func (param i32) (result i32)
              (loop (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
              local.get 0)
            (func (param i32) (result i32) local.get 0 i32.popcnt))"#,
    );
    let mut with_entries = 0;
    for defined in info.defined_funcs() {
        let code = compile(module.compiled(defined).unwrap(), &env).unwrap();
        match (code.native_entry, code.ref_entry()) {
            (Some(native), Some(through_refs)) => {
                with_entries += 1;
                assert_eq!(through_refs + 2, native, "func {defined:?}");
                let at = through_refs as usize;
                assert_eq!(code.code[at..at + 2], [0xeb, 0x00], "func {defined:?}");
                assert_eq!(
                    through_refs % 16 / 4,
                    defined.as_u32() % 4,
                    "func {defined:?}"
                );
            }
            (None, None) => assert_eq!(defined.as_u32(), 5, "only the loop has no native entry"),
            entries => panic!("func {defined:?}: entries {entries:?}"),
        }
    }
    assert_eq!(with_entries, 6);
}

/// An explicitly checked store inside a loop region that pins all five registers, with the
/// countdown in its register too, leaves three of the cache's registers: the value's, and two
/// for the check. The check took three besides the value's, and the register allocator went
/// round its order forever (a fuzzed module hung the compiling thread in tiered mode with
/// `--bounds-checks explicit`). Every width and an offset beyond a displacement's range.
#[test]
fn explicit_bounds_checks_fit_in_a_fully_pinned_loop() {
    for (store, offset) in [
        ("i32.store", 100),
        ("i32.store8", 0),
        ("i64.store", 0x8000_0000u32),
        ("i32.store16", 0xffff_fff0),
    ] {
        let value = if store.starts_with("i64") {
            "(i64.extend_i32_u (i32.mul (local.get $a) (local.get $b)))"
        } else {
            "(i32.mul (local.get $a) (local.get $b))"
        };
        let wat = format!(
            r#"(module
              (memory 1)
              (func (param $n i32) (result i32)
                (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32)
                (local $i i32)
                (loop $l
                  (local.set $a (i32.add (local.get $a) (local.get $i)))
                  (local.set $b (i32.xor (local.get $b) (local.get $a)))
                  (local.set $c (i32.add (local.get $c) (local.get $b)))
                  (local.set $d (i32.sub (local.get $d) (local.get $c)))
                  (local.set $e (i32.add (local.get $e) (local.get $d)))
                  ({store} offset={offset} (i32.and (local.get $e) (i32.const 0xff)) {value})
                  (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                    (local.get $n))))
                (i32.add (local.get $a) (local.get $e))))"#
        );
        let (info, module, mut env) = setup(&wat);
        env.bounds_checks = BoundsChecks::Explicit;
        env.tier_up = true;
        let defined = info.defined_funcs().next().unwrap();
        compile(module.compiled(defined).unwrap(), &env).expect("compiles");
    }
}

/// A compiler panic (here: an environment that does not describe the module) comes back as a
/// compile error, which the runtime reports, instead of unwinding into the tier-up libcall.
#[test]
fn a_panicking_compile_is_a_compile_error() {
    let (info, module, mut env) = setup("(module (func (param i32) (result i32) local.get 0))");
    env.funcs.clear();
    let defined = info.defined_funcs().next().unwrap();
    let error = compile(module.compiled(defined).unwrap(), &env).expect_err("panics");
    assert!(error.0.starts_with("internal error: "), "{error}");
}

/// The innermost loop's header is reported (for the runtime to align it), and only with a loop.
#[test]
fn the_innermost_loop_header_is_an_instruction_boundary_of_the_inner_loop() {
    let (info, module, env) = setup(
        r#"(module
          (func (param i32) (result i32) (local i32 i32)
            (loop $outer
              (local.set 2 (i32.const 0))
              (loop $inner
                (local.set 1 (i32.add (local.get 1) (local.get 2)))
                (br_if $inner (i32.lt_u (local.tee 2 (i32.add (local.get 2) (i32.const 1)))
                                        (i32.const 10))))
              (br_if $outer (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
            (local.get 1))
          (func (result i32) (i32.const 7)))"#,
    );
    let mut defined = info.defined_funcs();
    let looping = compile(module.compiled(defined.next().unwrap()).unwrap(), &env).unwrap();
    let header = looping.hot_loop.expect("a loop");
    assert!(looping.instr_offsets.contains(&header));
    // The outer loop's header is the first instruction; the inner one's comes later.
    assert!(header > looping.instr_offsets[0]);
    let straight = compile(module.compiled(defined.next().unwrap()).unwrap(), &env).unwrap();
    assert_eq!(straight.hot_loop, None);
}

/// Which functions get a native entry: those whose type fits the registers of the native
/// convention and that have no loop.
#[test]
fn native_entries_for_loop_free_functions_whose_type_fits_registers() {
    let (info, module, env) = setup(
        r#"(module
          (func (param i32 i64 f32 f64) (result i64 f64) (local.get 1) (local.get 3))
          (func (param i32 i32 i32 i32 i32) (result i32) (local.get 4))
          (func (param f64 f64 f64 f64 f64 f64 f64 f64) (result f32 f32) (f32.const 1) (f32.const 2))
          (func (result i32 i32 i32) (i32.const 1) (i32.const 2) (i32.const 3))
          (func (param v128 f32 v128) (result v128 i32) (local.get 2) (i32.const 0))
          (func (result v128 v128 v128) (v128.const i64x2 0 0) (v128.const i64x2 0 0) (v128.const i64x2 0 0))
          (func (param i32) (result i32)
            (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
            (local.get 0)))"#,
    );
    let has_native: Vec<bool> = info
        .defined_funcs()
        .map(|f| {
            let code = compile(module.compiled(f).unwrap(), &env).unwrap();
            if let Some(at) = code.native_entry {
                assert!((at as usize) < code.data_offset as usize);
            }
            code.native_entry.is_some()
        })
        .collect();
    assert_eq!(has_native, [true, false, true, false, true, false, false]);
}

/// `env` for an engine with nothing to tier up to (`--tier baseline`): no countdowns.
fn without_tier_up(env: &CompileEnv) -> CompileEnv {
    CompileEnv {
        tier_up: false,
        ..env.clone()
    }
}

/// Without a tier-up to count towards (`CompileEnv::tier_up`), a function without loops has
/// no hotness countdown, and a loop's back-edge only tests the interrupt flag.
#[test]
fn no_entry_countdown_without_tier_up() {
    let (info, module, counting) = setup(
        r#"(module
          (func (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
          (func (param i32) (result i32)
            (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
            (local.get 0)))"#,
    );
    let quiet = without_tier_up(&counting);
    let mut funcs = info.defined_funcs();
    let leaf = module.compiled(funcs.next().unwrap()).unwrap();
    let with = compile(leaf, &counting).unwrap();
    let without = compile(leaf, &quiet).unwrap();
    assert!(without.body_end < with.body_end, "the entry tick is gone");
    let looping = module.compiled(funcs.next().unwrap()).unwrap();
    let with = compile(looping, &counting).unwrap();
    let without = compile(looping, &quiet).unwrap();
    assert!(
        without.body_end < with.body_end,
        "the back-edge countdown is gone"
    );
}

/// Without a countdown and without epochs, a loop's back-edge polls: one load of the poll
/// byte (`r12`), an `Interrupted` trap site, with no branch and no call; with epochs it tests
/// the interrupt flag and calls out of line when it is set.
#[test]
fn back_edges_poll_without_countdown_or_epochs() {
    let (info, module, counting) = setup(
        r#"(module
          (func (param i32) (result i32)
            (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
            (local.get 0)))"#,
    );
    let quiet = without_tier_up(&counting);
    let epochs = CompileEnv {
        epoch_interruption: true,
        ..quiet.clone()
    };
    let func = module
        .compiled(info.defined_funcs().next().unwrap())
        .unwrap();
    let code = compile(func, &quiet).unwrap();
    let text = instructions(&code.code[..code.body_end as usize]);
    let poll = format!(
        "mov r12, qword ptr [rax + {:#x}]",
        tierup_abi::vmctx::offsets::STORE_INTERRUPT_POLL
    );
    assert!(text.contains(&poll), "{text:?}");
    let at = text
        .iter()
        .position(|t| t == "cmp byte ptr [r12], 0")
        .expect("a poll");
    assert!(!text[at + 1].starts_with("jne"), "{text:?}");
    assert!(
        code.traps
            .iter()
            .any(|&(_, trap)| trap == Some(tierup_abi::TrapCode::Interrupted)),
        "the poll is a trap site"
    );
    let code = compile(func, &epochs).unwrap();
    let text = instructions(&code.code[..code.body_end as usize]);
    assert!(!text.contains(&poll), "{text:?}");
    let at = text
        .iter()
        .position(|t| t == "cmp byte ptr [r12], 0")
        .expect("a flag test");
    assert!(text[at + 1].starts_with("jne"), "{text:?}");
}

/// The headers of innermost loops start a cache line of the code (the innermost loop's one,
/// `hot_loop`, among them); an outer loop's header does not need to.
#[test]
fn innermost_loop_headers_start_cache_lines() {
    let (info, module, env) = setup(
        r#"(module
          (func (param i32) (result i32) (local i32 i32)
            (loop $outer
              (local.set 1 (i32.const 0))
              (loop $a (br_if $a (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (i32.const 9))))
              (loop $b (br_if $b (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 3))) (i32.const 99))))
              (br_if $outer (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
            (local.get 1)))"#,
    );
    let func = module
        .compiled(info.defined_funcs().next().unwrap())
        .unwrap();
    let code = compile(func, &env).unwrap();
    let back_edges: Vec<(usize, usize)> = func
        .code
        .iter()
        .enumerate()
        .filter_map(|(i, instr)| {
            let offset = instr.branch_offset().filter(|&o| o <= 0)?;
            Some(((i as i64 + i64::from(offset)) as usize, i))
        })
        .collect();
    assert_eq!(back_edges.len(), 3, "{:?}", func.code);
    let innermost: Vec<usize> = back_edges
        .iter()
        .filter(|&&(h, end)| !back_edges.iter().any(|&(o, _)| o > h && o <= end))
        .map(|&(h, _)| h)
        .collect();
    assert_eq!(innermost.len(), 2);
    for h in innermost {
        assert_eq!(code.instr_offsets[h] % 64, 0, "loop header {h}");
    }
    assert_eq!(code.hot_loop.unwrap() % 64, 0);
}

/// The body's instructions (out-of-line code left out) of `wat`'s first function, compiled
/// in the default environment.
fn first_body(wat: &str) -> Vec<String> {
    let (info, module, env) = setup(wat);
    let func = module
        .compiled(info.defined_funcs().next().unwrap())
        .unwrap();
    let code = compile(func, &env).unwrap();
    instructions(&code.code[..code.body_end as usize])
}

/// A shift by up to 3 whose only reader is the addition right after it (the interpreter's
/// `I32ShlImmAdd` pair) is one `lea`, and the shifted value is written to no slot; an
/// addition into another register than its operand's is a `lea` too.
#[test]
fn shift_add_pairs_are_one_lea() {
    let text = first_body(
        r#"(module
          (memory 1)
          (func (param i32 i32) (result i32)
            (i32.load (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2))))))"#,
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("lea ") && t.contains("*4]")),
        "{text:?}"
    );
    assert!(!text.iter().any(|t| t.starts_with("shl")), "{text:?}");
}

/// A `v128` shift by a constant shifts by an immediate, and the constant, read by nothing
/// else, is never written to its slot.
#[test]
fn constant_shift_counts_are_immediates() {
    let text = first_body(
        r#"(module
          (func (param v128) (result v128) (i16x8.shr_u (local.get 0) (i32.const 4))))"#,
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("psrlw") && t.ends_with(", 4")),
        "{text:?}"
    );
    assert!(
        !text
            .iter()
            .any(|t| t.starts_with("mov qword ptr [rbx") && t.ends_with(", 4")),
        "{text:?}"
    );
}

/// A tick whose countdown does not cross zero falls through: the tier-up call and what it
/// stores and reloads are out of line, after the body, so a counting loop's body calls
/// nothing.
#[test]
fn tier_up_calls_are_out_of_line() {
    let (info, module, env) = setup(
        r#"(module
          (func (param i32) (result i32) (local i32)
            (loop $l
              (local.set 1 (i32.add (local.get 1) (local.get 0)))
              (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
            (local.get 1)))"#,
    );
    let func = module
        .compiled(info.defined_funcs().next().unwrap())
        .unwrap();
    let code = compile(func, &env).unwrap();
    let cs = disassembler();
    let body = &code.code[code.instr_offsets[0] as usize..code.body_end as usize];
    let insns = cs.disasm_all(body, 0).expect("disassembles");
    let mnemonics: Vec<&str> = insns
        .as_ref()
        .iter()
        .map(|i| i.mnemonic().unwrap_or(""))
        .collect();
    assert!(!mnemonics.contains(&"call"), "{mnemonics:?}");
    assert!(mnemonics.contains(&"js"), "{mnemonics:?}");
}

/// A loop-invariant `v128` pinned in a loop with a call is never stored in the loop (its
/// pin is read-only: the frame holds its value throughout).
#[test]
fn read_only_pins_are_not_stored_around_calls() {
    let (info, module, env) = setup(
        r#"(module
          (memory 1)
          (func $f (param v128) (result v128) (local.get 0))
          (func (param i32) (result i32) (local v128)
            (local.set 1 (v128.const i64x2 1 2))
            (loop $l
              (v128.store (local.get 0) (call $f (local.get 1)))
              (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 16)))))
            (local.get 0)))"#,
    );
    let func = module
        .compiled(info.defined_funcs().nth(1).unwrap())
        .unwrap();
    let code = compile(func, &env).unwrap();
    let header = code.hot_loop.expect("a loop") as usize;
    let text = instructions(&code.code[header..code.body_end as usize]);
    // Local 1 (the `v128`) is slots 1 and 2: `[rbx + 8]`.
    assert!(
        !text
            .iter()
            .any(|t| t.starts_with("movdqu xmmword ptr [rbx + 8]")),
        "{text:?}"
    );
}

/// A leaf (no loops, no calls) checks only the slot stack on entry; a function that calls
/// checks the native stack too (`cmp rsp, ..`: also the entry's interrupt check).
#[test]
fn leaves_skip_the_native_stack_check() {
    let (info, module, env) = setup(
        r#"(module
          (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func (param i32) (result i32) (call $leaf (local.get 0))))"#,
    );
    let cs = disassembler();
    let checks_rsp: Vec<bool> = info
        .defined_funcs()
        .map(|f| {
            let code = compile(module.compiled(f).unwrap(), &env).unwrap();
            let insns = cs
                .disasm_all(&code.code[..code.data_offset as usize], 0)
                .expect("disassembles");
            insns.as_ref().iter().any(|i| {
                i.mnemonic() == Some("cmp") && i.op_str().is_some_and(|o| o.starts_with("rsp"))
            })
        })
        .collect();
    assert_eq!(checks_rsp, [false, true]);
}

/// With the engine's type ids known, `call_indirect` compares the callee's id with an
/// immediate instead of loading the expected one through the vmctx.
#[test]
fn known_type_ids_are_immediates_in_indirect_calls() {
    let (info, module, loaded) = setup(
        r#"(module (table 1 funcref) (type $t (func (param i32) (result i32)))
          (func (param i32) (result i32)
            (call_indirect (type $t) (local.get 0) (local.get 0))))"#,
    );
    let constant = CompileEnv {
        type_ids: vec![12345],
        ..loaded.clone()
    };
    let func = module
        .compiled(info.defined_funcs().next().unwrap())
        .unwrap();
    let text = |env: &CompileEnv| -> String {
        let code = compile(func, env).unwrap();
        instructions(&code.code[..code.data_offset as usize]).join("\n")
    };
    let type_ids = format!("[r15 + {:#x}]", tierup_abi::vmctx::offsets::TYPE_IDS);
    let (loaded, constant) = (text(&loaded), text(&constant));
    assert!(loaded.contains(&type_ids), "{loaded}");
    assert!(!constant.contains(&type_ids), "{constant}");
    assert!(constant.contains("cmp eax, 0x3039"), "{constant}");
}
