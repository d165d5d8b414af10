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
//! back-edges, and the interrupt flag is checked at the same places, so every loop and every
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

/// The interpreter's per-module state: lazily translated bytecode of every defined function.
///
/// Shared by all instances of the module (bytecode does not depend on the instance).
#[derive(Debug)]
pub struct InterpModule {
    /// The module.
    pub info: Arc<ModuleInfo>,
    funcs: Box<[OnceLock<TranslateResult>]>,
    /// Per function, its bytecode once translated, else null: what a call reads (one load
    /// and a null test, where the `OnceLock` and the `Result` take three loads and tests).
    /// Each points into the box in `funcs`, which never moves nor changes once set.
    translated: Box<[AtomicPtr<CompiledFunc>]>,
}

impl InterpModule {
    /// State for `info`, with nothing translated yet.
    pub fn new(info: Arc<ModuleInfo>) -> InterpModule {
        let funcs = (0..info.num_defined_funcs())
            .map(|_| OnceLock::new())
            .collect();
        let translated = (0..info.num_defined_funcs())
            .map(|_| AtomicPtr::new(std::ptr::null_mut()))
            .collect();
        InterpModule {
            info,
            funcs,
            translated,
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
            // Every caller stores the same pointer (the `OnceLock` holds one box).
            let entry = &self.translated[func.index()];
            if entry.load(Ordering::Relaxed).is_null() {
                entry.store(std::ptr::from_ref(f).cast_mut(), Ordering::Release);
            }
        }
        compiled
    }

    /// The bytecode of defined function `func` if it was translated (without translating).
    #[inline(always)]
    pub fn compiled_if_translated(&self, func: DefinedFuncIdx) -> Option<&CompiledFunc> {
        let f = self.translated.get(func.index())?.load(Ordering::Acquire);
        // SAFETY: a non-null entry points to the function's bytecode in `funcs`, which lives
        // (unchanged, boxed) as long as `self`.
        unsafe { f.cast_const().as_ref() }
    }

    /// [`InterpModule::compiled_if_translated`] without the bounds check on `func` (for the
    /// interpreter's call path).
    ///
    /// # Safety
    /// `func` is a defined function of this module.
    #[inline(always)]
    pub(crate) unsafe fn compiled_if_translated_unchecked(
        &self,
        func: DefinedFuncIdx,
    ) -> Option<&CompiledFunc> {
        // SAFETY: the caller's contract bounds the index; a non-null entry points to the
        // function's bytecode in `funcs`, which lives (unchanged, boxed) as long as `self`.
        unsafe {
            let f = self
                .translated
                .get_unchecked(func.index())
                .load(Ordering::Acquire);
            f.cast_const().as_ref()
        }
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
