//! Traps from machine code (DESIGN.md §6): entering JIT code through a trampoline that leaves
//! a landing pad, and a signal handler that turns a fault in registered JIT code into a jump to
//! that landing pad.
//!
//! Entering: [`call_jit`] links an [`EntryRecord`] into this thread's chain of entries (entries
//! nest: host → wasm → host → wasm) and calls the entry trampoline, which saves the
//! callee-saved registers, stores its stack pointer and landing-pad address in the record,
//! loads the fixed registers (`r15` = vmctx, `rbx` = frame pointer) and calls the code with
//! the slot ABI `extern "sysv64" fn(vmctx, fp)`. A normal return yields status 0.
//!
//! Trapping: the handler for SIGSEGV, SIGBUS, SIGILL and SIGFPE runs on a per-thread
//! alternate stack. If the faulting program counter is a registered trap site of JIT code
//! ([`crate::jit::registry`]) and the thread is inside an entry, it records the trap in the
//! innermost record and rewrites the interrupted context so that the thread resumes at the
//! landing pad, with the stack pointer the trampoline saved and the trap's status in `rax`; the
//! trampoline then restores the registers and returns the status. Otherwise the signal is not
//! ours and goes to the previously installed handler (or the default action).
//!
//! Invariant that keeps this sound: no Rust frame ever sits between an entry trampoline and a
//! faulting JIT instruction, so abandoning those frames skips no destructor. Rust code called
//! from JIT code returns a status instead of faulting.
//!
//! Registries are made visible to the handler with [`register_code`]; lookups are lock-free.
//! A module's registry is freed only after [`unregister_code`] has waited out every reader
//! that may have found it (an epoch count the readers keep with two atomic increments), so a
//! trap on one thread never reads the registry of a module another thread is dropping.

use std::cell::Cell;
use std::ffi::c_void;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use dynasmrt::x64::X64Relocation;
use dynasmrt::{DynasmApi, DynasmLabelApi, VecAssembler, dynasm};
#[cfg(test)]
use tierup_abi::TrapCode;
use tierup_abi::{RawTrap, VmCtx, WasmFrame};

use crate::jit::arena::{CodeArena, CodeBudget};
use crate::jit::registry::{CodeInfo, CodeRegistry};

/// The record an entry trampoline leaves for the signal handler. `#[repr(C)]`: the trampoline
/// writes `sp` and `landing` at fixed offsets.
#[repr(C)]
#[derive(Debug)]
pub struct EntryRecord {
    /// The enclosing entry of this thread (null for the outermost).
    pub prev: *mut EntryRecord,
    /// The trampoline's stack pointer after its prologue (offset 8).
    pub sp: usize,
    /// The trampoline's landing pad (offset 16).
    pub landing: usize,
    /// The faulting program counter, when a trap was taken.
    pub trap_pc: usize,
    /// The trap's status (`TrapCode::status`), when a trap was taken.
    pub status: u32,
    /// How many frames the signal handler collected into this thread's [`TRAP_FRAMES`] for
    /// the trap this entry took.
    pub nframes: usize,
}

/// The most JIT frames a trap's backtrace records per entry (deeper frames are dropped).
pub const MAX_TRAP_FRAMES: usize = 256;

const RECORD_SP: i32 = 8;
const RECORD_LANDING: i32 = 16;
const _: () = assert!(std::mem::offset_of!(EntryRecord, sp) == RECORD_SP as usize);
const _: () = assert!(std::mem::offset_of!(EntryRecord, landing) == RECORD_LANDING as usize);

thread_local! {
    /// The innermost entry of this thread (null outside JIT code).
    static CURRENT_ENTRY: Cell<*mut EntryRecord> = const { Cell::new(std::ptr::null_mut()) };
    /// Return addresses (and the faulting pc) of the wasm frames between a trap and its
    /// innermost entry, innermost first, collected by the signal handler. One buffer per thread,
    /// not one per entry: only the innermost entry traps, and [`call_jit`] reads the frames
    /// before any other code can fault. (Per entry it cost 2 KiB of native stack each time the
    /// interpreter called machine code, which a recursion alternating between them pays at
    /// every other level.)
    static TRAP_FRAMES: Cell<[usize; MAX_TRAP_FRAMES]> = const { Cell::new([0; MAX_TRAP_FRAMES]) };
    /// Whether this thread has an alternate signal stack of ours (or a big enough one).
    static ALT_STACK_READY: Cell<bool> = const { Cell::new(false) };
}

/// Registries the signal handler searches (one per module with machine code; slots are
/// reused when freed).
static REGISTRIES: [AtomicPtr<CodeRegistry>; 4096] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; 4096];

/// Readers of [`REGISTRIES`] in each of the two epochs (see [`RegistryReader`]).
static READERS: [AtomicUsize; 2] = [const { AtomicUsize::new(0) }; 2];

/// The current reader epoch; [`unregister_code`] advances it.
static EPOCH: AtomicUsize = AtomicUsize::new(0);

/// Serialises [`unregister_code`] (never taken by readers, so never by the signal handler).
static UNREGISTERING: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// Makes `registry` visible to the signal handler until [`unregister_code`].
///
/// # Errors
/// If too many registries are registered at once.
///
/// # Safety
/// `registry` must stay alive (and at the same address) until it is unregistered.
pub unsafe fn register_code(registry: *const CodeRegistry) -> Result<(), String> {
    for slot in &REGISTRIES {
        if slot
            .compare_exchange(
                std::ptr::null_mut(),
                registry as *mut CodeRegistry,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
        {
            return Ok(());
        }
    }
    Err("code memory: too many code registries".into())
}

/// Hides `registry` from the signal handler again, and returns once no reader can still be
/// looking at it, so that the caller may free it.
///
/// Readers are lock-free (the signal handler is one), so reclamation waits for them instead:
/// after the slot is cleared no new reader can find the registry, and advancing the epoch
/// then waiting until the old epoch has no readers left covers every reader that found it.
pub fn unregister_code(registry: *const CodeRegistry) {
    let _one_at_a_time = UNREGISTERING.lock();
    for slot in &REGISTRIES {
        let _ = slot.compare_exchange(
            registry as *mut CodeRegistry,
            std::ptr::null_mut(),
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }
    let old = EPOCH.fetch_add(1, Ordering::SeqCst);
    while READERS[old & 1].load(Ordering::SeqCst) != 0 {
        std::thread::yield_now();
    }
}

/// A read section over the registered registries: while it lives, none of the registries it
/// finds is freed (see [`unregister_code`]). Async-signal-safe: atomics only.
struct RegistryReader {
    epoch: usize,
}

impl RegistryReader {
    fn enter() -> RegistryReader {
        loop {
            let epoch = EPOCH.load(Ordering::SeqCst);
            READERS[epoch & 1].fetch_add(1, Ordering::SeqCst);
            // An unregistration that advanced the epoch before we were counted may not
            // have waited for us: count ourselves in the new epoch instead.
            if EPOCH.load(Ordering::SeqCst) == epoch {
                return RegistryReader { epoch };
            }
            READERS[epoch & 1].fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// The registered code containing `pc`, with its registry.
    fn code_at(&self, pc: usize) -> Option<(&CodeRegistry, &CodeInfo)> {
        REGISTRIES.iter().find_map(|slot| {
            let registry = slot.load(Ordering::Acquire);
            if registry.is_null() {
                return None;
            }
            // SAFETY: a registry found while this reader is counted stays alive until the
            // reader is dropped (`unregister_code` waits for it); the borrow ends with `self`.
            let registry: &CodeRegistry = unsafe { &*registry };
            registry.lookup(pc).map(|info| (registry, info))
        })
    }
}

impl Drop for RegistryReader {
    fn drop(&mut self) {
        READERS[self.epoch & 1].fetch_sub(1, Ordering::SeqCst);
    }
}

/// The wasm frames of the trap this thread's innermost entry just took (the first `n` of
/// [`TRAP_FRAMES`]). Out of line and reading in place, so the 2 KiB buffer never sits in
/// `call_jit`'s frame.
#[cold]
#[inline(never)]
fn trap_frames(n: usize) -> Vec<WasmFrame> {
    TRAP_FRAMES.with(|frames| {
        // SAFETY: the buffer is this thread's; the signal handler that wrote it has returned and
        // nothing writes it again before the next trap on this thread.
        let pcs = unsafe { &*frames.as_ptr() };
        frames_of(&pcs[..n.min(MAX_TRAP_FRAMES)])
    })
}

/// The wasm frames for the program counters a trap collected (innermost first).
fn frames_of(pcs: &[usize]) -> Vec<WasmFrame> {
    let reader = RegistryReader::enter();
    pcs.iter()
        .filter_map(|&pc| {
            let (registry, info) = reader.code_at(pc)?;
            Some(WasmFrame {
                module: registry.module()?.clone(),
                func_index: info.func_index?,
            })
        })
        .collect()
}

/// The process-wide entry trampoline (assembled and published once).
struct Trampoline {
    _arena: CodeArena,
    entry: usize,
}

fn trampoline() -> &'static Trampoline {
    static TRAMPOLINE: OnceLock<Trampoline> = OnceLock::new();
    TRAMPOLINE.get_or_init(|| {
        let code = assemble_trampoline();
        let arena = CodeArena::new(CodeBudget::unlimited());
        let entry = arena
            .publish(&[&code])
            .expect("publish the entry trampoline")[0]
            .start;
        Trampoline {
            _arena: arena,
            entry,
        }
    })
}

/// `extern "sysv64" fn(vmctx, fp, code, record) -> u32`: see the module docs.
fn assemble_trampoline() -> Vec<u8> {
    let mut ops: VecAssembler<X64Relocation> = VecAssembler::new(0);
    dynasm!(ops
        ; .arch x64
        ; push rbp
        ; mov rbp, rsp
        ; push rbx
        ; push r12
        ; push r13
        ; push r14
        ; push r15
        // Six pushes after the return address: one more slot keeps calls 16-byte aligned.
        ; sub rsp, 8
        ; mov [rcx + RECORD_SP], rsp
        ; lea rax, [->landing]
        ; mov [rcx + RECORD_LANDING], rax
        ; mov r15, rdi
        ; mov rbx, rsi
        ; call rdx
        ; xor eax, eax
        ; ->exit:
        ; add rsp, 8
        ; pop r15
        ; pop r14
        ; pop r13
        ; pop r12
        ; pop rbx
        ; pop rbp
        ; ret
        // The signal handler resumes here with rsp = record.sp and eax = the trap status.
        ; ->landing:
        ; jmp ->exit
    );
    ops.finalize().expect("the entry trampoline assembles")
}

/// Calls JIT code `code` (slot ABI) with `vmctx` and frame `fp` through the entry trampoline.
///
/// # Errors
/// The trap the code took, with its wasm backtrace: the frames of a trap that a Rust callee
/// reported (left in the store's `pending_trap`) come first, then the JIT frames of this entry.
///
/// # Safety
/// As [`call_jit_status`]; `vmctx` must also be a live instance context (its store's pending
/// trap is consumed).
pub unsafe fn call_jit(code: usize, vmctx: *mut VmCtx, fp: *mut u64) -> Result<(), Box<RawTrap>> {
    let mut record = new_record();
    // SAFETY: the caller's contract.
    let status = unsafe { enter(code, vmctx, fp, &mut record) };
    if status == 0 {
        return Ok(());
    }
    // SAFETY: `vmctx` and its store are live (the caller's contract).
    let mut trap = unsafe { (*(*vmctx).store).take_pending_trap(status) };
    trap.frames.extend(trap_frames(record.nframes));
    Err(trap)
}

fn new_record() -> EntryRecord {
    EntryRecord {
        prev: std::ptr::null_mut(),
        sp: 0,
        landing: 0,
        trap_pc: 0,
        status: 0,
        nframes: 0,
    }
}

/// Calls JIT code through the entry trampoline; returns 0 or the status of the trap it took
/// (without collecting the trap's frames into a [`RawTrap`]).
///
/// # Safety
/// `code` must be JIT code obeying the slot ABI whose faulting instructions are registered
/// (see [`register_code`]), and whose callees keep the invariant in the module docs; `vmctx`
/// and `fp` must be what that code expects.
#[cfg(test)]
pub unsafe fn call_jit_status(code: usize, vmctx: *mut VmCtx, fp: *mut u64) -> u32 {
    let mut record = new_record();
    // SAFETY: the caller's contract.
    unsafe { enter(code, vmctx, fp, &mut record) }
}

/// Links `record` and runs the trampoline.
///
/// # Safety
/// As [`call_jit_status`].
unsafe fn enter(code: usize, vmctx: *mut VmCtx, fp: *mut u64, record: &mut EntryRecord) -> u32 {
    install_signal_handlers();
    ensure_alt_stack();
    record.prev = CURRENT_ENTRY.with(Cell::get);
    CURRENT_ENTRY.with(|c| c.set(record));
    type Entry = unsafe extern "sysv64" fn(*mut VmCtx, *mut u64, usize, *mut EntryRecord) -> u32;
    // SAFETY: the trampoline is published code with exactly this signature.
    let entry: Entry = unsafe { std::mem::transmute::<usize, Entry>(trampoline().entry) };
    // SAFETY: the caller's contract; the record outlives the call.
    let status = unsafe { entry(vmctx, fp, code, record) };
    CURRENT_ENTRY.with(|c| c.set(record.prev));
    status
}

/// The handlers installed before ours, for chaining (set before ours are installed).
static PREVIOUS: OnceLock<[libc::sigaction; 4]> = OnceLock::new();
const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

fn install_signal_handlers() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // SAFETY: querying and installing signal actions with zero-initialized structs (a
        // valid bit pattern for `sigaction`); the previous actions are recorded before our
        // handler is installed, so it always finds them.
        unsafe {
            let mut previous: [libc::sigaction; 4] = std::mem::zeroed();
            for (old, &signal) in previous.iter_mut().zip(&SIGNALS) {
                libc::sigaction(signal, std::ptr::null(), old);
            }
            let _ = PREVIOUS.set(previous);
            for &signal in &SIGNALS {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handle_signal as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
                libc::sigemptyset(&mut action.sa_mask);
                if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                    panic!("cannot install the handler for signal {signal}");
                }
            }
        }
    });
}

/// Makes sure this thread has an alternate signal stack big enough for the handler (Rust's
/// runtime installs a small one on its threads; a thread without one gets ours, leaked with
/// the thread).
fn ensure_alt_stack() {
    const MIN_ALT_STACK: usize = 64 << 10;
    if ALT_STACK_READY.with(Cell::get) {
        return;
    }
    // SAFETY: querying and installing a sigaltstack for the calling thread; the new stack is a
    // fresh mapping that is never unmapped while the thread may use it.
    unsafe {
        let mut current: libc::stack_t = std::mem::zeroed();
        if libc::sigaltstack(std::ptr::null(), &mut current) == 0
            && current.ss_flags & libc::SS_DISABLE == 0
            && current.ss_size >= MIN_ALT_STACK
        {
            ALT_STACK_READY.with(|c| c.set(true));
            return;
        }
        let stack = libc::mmap(
            std::ptr::null_mut(),
            MIN_ALT_STACK,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if stack == libc::MAP_FAILED {
            return;
        }
        let new = libc::stack_t {
            ss_sp: stack,
            ss_flags: 0,
            ss_size: MIN_ALT_STACK,
        };
        if libc::sigaltstack(&new, std::ptr::null_mut()) == 0 {
            ALT_STACK_READY.with(|c| c.set(true));
        }
    }
}

/// The handler (see the module docs). Async-signal-safe: it reads a thread-local pointer and
/// lock-free registries, and writes only the interrupted context and the entry record.
extern "C" fn handle_signal(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: the kernel passes a valid ucontext for SA_SIGINFO handlers; entry records are
    // live while they are linked (they live in `call_jit`'s frame, which the trampoline's
    // frames sit on top of).
    unsafe {
        let uc = context as *mut libc::ucontext_t;
        let gregs = &mut (*uc).uc_mcontext.gregs;
        let pc = gregs[libc::REG_RIP as usize] as usize;
        let record = CURRENT_ENTRY.with(Cell::get);
        let reader = RegistryReader::enter();
        if !record.is_null()
            && let Some((_, info)) = reader.code_at(pc)
            && let Some(site) = info.trap_at(pc)
        {
            let status = match site {
                Some(code) => code.status(),
                None => gregs[libc::REG_RAX as usize] as u32,
            };
            (*record).status = status;
            (*record).trap_pc = pc;
            let rbp = gregs[libc::REG_RBP as usize] as usize;
            let frames = TRAP_FRAMES.with(Cell::as_ptr);
            (*record).nframes =
                walk_frames(&reader, &mut *frames, pc, info.func_index.is_some(), rbp);
            gregs[libc::REG_RIP as usize] = (*record).landing as i64;
            gregs[libc::REG_RSP as usize] = (*record).sp as i64;
            gregs[libc::REG_RAX as usize] = i64::from(status);
            return;
        }
        drop(reader);
        if signal == libc::SIGSEGV
            && let Some((low, _)) = crate::vm::current_native_stack()
            && let addr = (*info).si_addr() as usize
            && addr < low
            && addr >= low.saturating_sub(GUARD_PAGE)
        {
            native_stack_overflow();
        }
        chain(signal, info, context);
    }
}

/// Collects the wasm frames of a trap at `pc` into `frames` and returns how many: the faulting
/// function (if `pc` is in one), then every return address along the `rbp` chain that lies in
/// registered code. JIT functions and stubs all keep `rbp` frames; the chain ends at the entry
/// trampoline, whose return address is not registered.
///
/// # Safety
/// Called from the signal handler for a fault in registered code, whose `rbp` chain up to the
/// innermost trampoline consists of valid frames.
unsafe fn walk_frames(
    reader: &RegistryReader,
    frames: &mut [usize; MAX_TRAP_FRAMES],
    pc: usize,
    in_function: bool,
    mut rbp: usize,
) -> usize {
    let mut n = 0;
    if in_function {
        frames[n] = pc;
        n += 1;
    }
    while n < MAX_TRAP_FRAMES && rbp != 0 && rbp.is_multiple_of(8) {
        // SAFETY: `rbp` points at a frame record (saved rbp, return address) of JIT code.
        let (next, ret) = unsafe { (*(rbp as *const usize), *((rbp + 8) as *const usize)) };
        let Some((_, info)) = reader.code_at(ret) else {
            break;
        };
        if info.func_index.is_some() {
            // A return address points after its call: back up into the call instruction.
            frames[n] = ret - 1;
            n += 1;
        }
        rbp = next;
    }
    n
}

/// The guard page below each native stack wasm runs on (`crate::vm::NativeStackMem`).
const GUARD_PAGE: usize = 4096;
// The message of `native_stack_overflow` names the margin.
const _: () = assert!(crate::vm::NATIVE_HOST_MARGIN == 1 << 20);

/// A fault in the guard page of the native stack wasm runs on, outside machine code: Rust code
/// (a host function, most likely) used more than the margin kept for it below the deepest wasm
/// frame. There is no way to continue; say so, as Rust does for its own stack overflows.
fn native_stack_overflow() -> ! {
    const MESSAGE: &[u8] = b"tierup: host code overflowed the native stack wasm runs on \
        (1 MiB is kept for host functions below the deepest wasm frame); aborting\n";
    // SAFETY: `write` and `abort` are async-signal-safe; the buffer is a static.
    unsafe {
        libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::abort()
    }
}

/// Passes a signal that is not ours to the handler that was installed before ours.
unsafe fn chain(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let (Some(i), Some(previous)) = (SIGNALS.iter().position(|&s| s == signal), PREVIOUS.get())
    else {
        // SAFETY: restoring the default action is always allowed.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
        return;
    };
    // SAFETY: calling the previously installed handler with the arguments it expects.
    unsafe {
        let previous = &previous[i];
        let handler = previous.sa_sigaction;
        if previous.sa_flags & libc::SA_SIGINFO != 0 {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void) =
                std::mem::transmute(handler);
            f(signal, info, context);
        } else if handler == libc::SIG_IGN {
            // Ignoring a synchronous fault would refault forever: take the default action.
            libc::signal(signal, libc::SIG_DFL);
        } else if handler == libc::SIG_DFL {
            // Returning re-executes the faulting instruction under the default action.
            libc::signal(signal, libc::SIG_DFL);
        } else {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(handler);
            f(signal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::registry::{CodeInfo, TrapSite};

    /// Assembles `body` as a slot-ABI function and registers its trap sites (offsets of the
    /// labels named in `sites`).
    struct Jit {
        arena: CodeArena,
        registry: Box<CodeRegistry>,
    }

    impl Jit {
        fn new() -> Jit {
            let registry = Box::new(CodeRegistry::new());
            // SAFETY: the registry is boxed and unregistered in `Drop` before it is freed.
            unsafe { register_code(&*registry).unwrap() };
            Jit {
                arena: CodeArena::new(CodeBudget::unlimited()),
                registry,
            }
        }

        fn add(&self, code: &[u8], traps: &[(usize, TrapCode)]) -> usize {
            let range = self.arena.publish(&[code]).unwrap()[0];
            self.registry
                .register(CodeInfo {
                    range,
                    traps: traps
                        .iter()
                        .map(|&(offset, code)| TrapSite {
                            offset: offset as u32,
                            code: Some(code),
                        })
                        .collect(),
                    func_index: None,
                })
                .unwrap();
            range.start
        }
    }

    impl Drop for Jit {
        fn drop(&mut self) {
            unregister_code(&*self.registry);
        }
    }

    /// `fp[0] = fp[0] / fp[1]` (unsigned 32-bit; `div` faults on zero).
    fn divide() -> (Vec<u8>, usize) {
        let mut ops: VecAssembler<X64Relocation> = VecAssembler::new(0);
        dynasm!(ops
            ; .arch x64
            ; mov eax, [rbx]
            ; xor edx, edx
            ; mov ecx, [rbx + 8]
        );
        let div = ops.offset().0;
        dynasm!(ops
            ; .arch x64
            ; div ecx
            ; mov [rbx], rax
            ; ret
        );
        (ops.finalize().unwrap(), div)
    }

    #[test]
    fn normal_calls_return_zero_and_results() {
        let jit = Jit::new();
        let (code, site) = divide();
        let f = jit.add(&code, &[(site, TrapCode::IntegerDivisionByZero)]);
        let mut frame = [84u64, 2];
        // SAFETY: `f` follows the slot ABI and reads/writes only fp[0..2].
        let status = unsafe { call_jit_status(f, std::ptr::null_mut(), frame.as_mut_ptr()) };
        assert_eq!(status, 0);
        assert_eq!(frame[0], 42);
    }

    #[test]
    fn faults_in_jit_code_become_traps_every_time() {
        let jit = Jit::new();
        let (code, site) = divide();
        let f = jit.add(&code, &[(site, TrapCode::IntegerDivisionByZero)]);
        let mut ud2: VecAssembler<X64Relocation> = VecAssembler::new(0);
        dynasm!(ud2 ; .arch x64 ; ud2);
        let trap = jit.add(&ud2.finalize().unwrap(), &[(0, TrapCode::Unreachable)]);
        // A load from a PROT_NONE page: the guard-region case.
        // SAFETY: an anonymous private mapping with no fixed address has no preconditions.
        let guard_page = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(guard_page, libc::MAP_FAILED);
        let mut load: VecAssembler<X64Relocation> = VecAssembler::new(0);
        dynasm!(load ; .arch x64 ; mov rax, [rbx] ; ret);
        let oob = jit.add(
            &load.finalize().unwrap(),
            &[(0, TrapCode::MemoryOutOfBounds)],
        );
        for i in 0..10_000u64 {
            let mut frame = [i, 0];
            // SAFETY: as above; the divisor is zero, so `div` faults at the registered site.
            let status = unsafe { call_jit_status(f, std::ptr::null_mut(), frame.as_mut_ptr()) };
            assert_eq!(status, TrapCode::IntegerDivisionByZero.status());
            // SAFETY: `trap` is a lone `ud2` at a registered site.
            let status = unsafe { call_jit_status(trap, std::ptr::null_mut(), frame.as_mut_ptr()) };
            assert_eq!(status, TrapCode::Unreachable.status());
            // SAFETY: `oob` reads fp[0], here an unmapped page at a registered site.
            let status =
                unsafe { call_jit_status(oob, std::ptr::null_mut(), guard_page as *mut u64) };
            assert_eq!(status, TrapCode::MemoryOutOfBounds.status());
        }
        // SAFETY: our own mapping, no longer used.
        unsafe { libc::munmap(guard_page, 4096) };
        // The thread is outside JIT code again.
        assert!(CURRENT_ENTRY.with(Cell::get).is_null());
    }

    #[test]
    fn traps_work_on_spawned_threads_and_nested_entries() {
        std::thread::spawn(|| {
            let jit = Jit::new();
            let (code, site) = divide();
            let f = jit.add(&code, &[(site, TrapCode::IntegerDivisionByZero)]);
            // An outer entry whose JIT code calls back into Rust, which enters again and
            // traps; the outer entry must be unaffected.
            extern "sysv64" fn host(_vmctx: *mut VmCtx, fp: *mut u64) {
                // SAFETY: fp points at the outer frame, whose slot 0 holds the function.
                let f = unsafe { *fp } as usize;
                let mut inner = [1u64, 0];
                // SAFETY: `f` is the registered division function.
                let status =
                    unsafe { call_jit_status(f, std::ptr::null_mut(), inner.as_mut_ptr()) };
                // SAFETY: fp points at the outer frame.
                unsafe { *fp.add(1) = u64::from(status) };
            }
            let mut outer: VecAssembler<X64Relocation> = VecAssembler::new(0);
            dynasm!(outer
                ; .arch x64
                ; sub rsp, 8
                ; mov rdi, r15
                ; mov rsi, rbx
                ; mov rax, QWORD host as *const () as i64
                ; call rax
                ; add rsp, 8
                ; ret
            );
            let g = jit.add(&outer.finalize().unwrap(), &[]);
            let mut frame = [f as u64, 0];
            // SAFETY: `g` calls `host` with the slot ABI and returns normally.
            let status = unsafe { call_jit_status(g, std::ptr::null_mut(), frame.as_mut_ptr()) };
            assert_eq!(status, 0);
            assert_eq!(
                frame[1],
                u64::from(TrapCode::IntegerDivisionByZero.status())
            );
        })
        .join()
        .unwrap();
    }
}
