//! `tierup-interp`: the register-based interpreter, the tier every function starts in.
//!
//! Pipeline: [`translate`](mod@translate) turns a function's wasm stack code into register bytecode
//! ([`instr::Instr`]) on its first call; [`exec`] runs it in a `loop { match }` dispatch loop.
//! Frames are windows of the store's slot stack (DESIGN.md §2): parameters, then locals, then
//! temporaries, at offsets fixed at translation. A call places the callee's frame right after
//! the caller's live slots, so arguments are never copied. Interpreted calls do not recurse on
//! the native stack; the interpreter keeps its own frame records.
//!
//! Every memory and table access is bounds-checked explicitly: a fault in Rust code cannot be
//! recovered (DESIGN.md §6). Hotness counters are decremented at function entry and at loop
//! back-edges; the interrupt flag is checked at every function entry and, at back-edges,
//! wherever the counter crosses zero (at least every 2^16 ticks), so every loop and every
//! call tree can be interrupted.

pub mod exec;
pub mod instr;
mod simd;
pub mod translate;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, OnceLock};

use tierup_abi::{DefinedFuncIdx, ModuleInfo};

pub use exec::invoke;
pub use instr::{Instr, Slot};
pub use translate::{CompiledFunc, LoopHeader, TranslateError, translate, translate_with_offsets};

/// The outcome of translating one function, cached per function.
type TranslateResult = Result<Box<CompiledFunc>, TranslateError>;

/// What a call reads of a translated callee: its bytecode and its first instruction, both
/// null until it is translated (one entry per defined function, see
/// [`InterpModule::callees`]).
///
/// The first instruction has its own field so that a call reaches the callee's code in one
/// load from this table: the interpreter's next instruction depends on it, while the
/// function record (frame size, locals) only feeds checks that run alongside.
#[derive(Debug)]
pub(crate) struct Callee {
    /// The function's bytecode, published last (release): once it is non-null, `entry` is set.
    pub(crate) func: AtomicPtr<CompiledFunc>,
    /// `func.code.as_ptr()`.
    pub(crate) entry: AtomicPtr<Instr>,
}

/// The interpreter's per-module state: lazily translated bytecode of every defined function.
///
/// Shared by all instances of the module (bytecode does not depend on the instance).
#[derive(Debug)]
pub struct InterpModule {
    /// The module.
    pub info: Arc<ModuleInfo>,
    funcs: Box<[OnceLock<TranslateResult>]>,
    /// Per function, its bytecode and first instruction once translated, else null: what a
    /// call reads (one load and a null test, where the `OnceLock` and the `Result` take
    /// three loads and tests). Each points into the box in `funcs`, which never moves nor
    /// changes once set.
    callees: Box<[Callee]>,
}

impl InterpModule {
    /// State for `info`, with nothing translated yet.
    pub fn new(info: Arc<ModuleInfo>) -> InterpModule {
        let funcs = (0..info.num_defined_funcs())
            .map(|_| OnceLock::new())
            .collect();
        let callees = (0..info.num_defined_funcs())
            .map(|_| Callee {
                func: AtomicPtr::new(std::ptr::null_mut()),
                entry: AtomicPtr::new(std::ptr::null_mut()),
            })
            .collect();
        InterpModule {
            info,
            funcs,
            callees,
        }
    }

    /// The bytecode of defined function `func`, translating it on first use.
    ///
    /// # Errors
    /// If the function cannot be translated (see [`translate()`]).
    pub fn compiled(&self, func: DefinedFuncIdx) -> Result<&CompiledFunc, &TranslateError> {
        let compiled = self.funcs[func.index()]
            .get_or_init(|| {
                let start = std::time::Instant::now();
                translate(&self.info, func).map(|mut func| {
                    func.translate_time = start.elapsed();
                    func.translated_at = std::time::Instant::now();
                    Box::new(func)
                })
            })
            .as_deref();
        if let Ok(f) = compiled {
            // Every caller stores the same pointers (the `OnceLock` holds one box); the
            // entry first, so that a reader seeing the function also sees its entry.
            let callee = &self.callees[func.index()];
            if callee.func.load(Ordering::Relaxed).is_null() {
                callee
                    .entry
                    .store(f.code.as_ptr().cast_mut(), Ordering::Relaxed);
                callee
                    .func
                    .store(std::ptr::from_ref(f).cast_mut(), Ordering::Release);
            }
        }
        compiled
    }

    /// The bytecode of defined function `func` if it was translated (without translating).
    #[inline(always)]
    pub fn compiled_if_translated(&self, func: DefinedFuncIdx) -> Option<&CompiledFunc> {
        let f = self.callees.get(func.index())?.func.load(Ordering::Acquire);
        // SAFETY: a non-null entry points to the function's bytecode in `funcs`, which lives
        // (unchanged, boxed) as long as `self`.
        unsafe { f.cast_const().as_ref() }
    }

    /// The call table: one [`Callee`] per defined function, in order (what the interpreter's
    /// call path indexes without a bounds check, the callee being a defined function).
    #[inline(always)]
    pub(crate) fn callees(&self) -> *const Callee {
        self.callees.as_ptr()
    }

    /// Every function translated so far (in function-index order).
    pub fn translated(&self) -> impl Iterator<Item = &CompiledFunc> {
        self.funcs
            .iter()
            .filter_map(|f| f.get().and_then(|r| r.as_deref().ok()))
    }

    /// How many functions have been translated so far.
    pub fn translated_count(&self) -> usize {
        self.funcs.iter().filter(|f| f.get().is_some()).count()
    }
}

/// A readable listing of a function's bytecode, one instruction per line (used by the
/// snapshot tests and `tierup` diagnostics).
pub fn disassemble(func: &CompiledFunc) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "func[{}] params={} locals={} frame={}",
        func.func_index, func.num_params, func.num_locals, func.frame_size
    );
    for (i, instr) in func.code.iter().enumerate() {
        let _ = writeln!(out, "{i:4}: {instr:?}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tierup_abi::Features;

    /// A call reads the callee's bytecode and first instruction from the call table: both
    /// are null until the function is translated, then point at its translation.
    #[test]
    fn the_call_table_publishes_each_translation() {
        let wasm = wat::parse_str(
            r#"(module
                 (import "env" "f" (func))
                 (func $a (result i32) (i32.const 1))
                 (func $b (param i32) (result i32) (i32.add (local.get 0) (call $a))))"#,
        )
        .expect("module parses");
        let info = Arc::new(ModuleInfo::parse_with(wasm, Features::SUPPORTED).expect("validates"));
        let module = InterpModule::new(info.clone());
        let table = module.callees();
        let [a, b]: [DefinedFuncIdx; 2] = info
            .defined_funcs()
            .collect::<Vec<_>>()
            .try_into()
            .expect("two defined functions");
        // SAFETY: the table has one entry per defined function.
        let entry_of = |f: DefinedFuncIdx| unsafe { &*table.add(f.index()) };
        for f in [a, b] {
            assert!(entry_of(f).func.load(Ordering::Acquire).is_null());
            assert!(entry_of(f).entry.load(Ordering::Acquire).is_null());
            assert!(module.compiled_if_translated(f).is_none());
        }
        let compiled_b = module.compiled(b).expect("translates");
        assert!(std::ptr::eq(
            entry_of(b).func.load(Ordering::Acquire),
            compiled_b
        ));
        assert_eq!(
            entry_of(b).entry.load(Ordering::Acquire).cast_const(),
            compiled_b.code.as_ptr()
        );
        assert!(entry_of(a).func.load(Ordering::Acquire).is_null());
        assert!(std::ptr::eq(
            module.compiled_if_translated(b).expect("translated"),
            compiled_b
        ));
    }
}
