//! The host functions of `wasi_snapshot_preview1`: they decode the guest's arguments from
//! its linear memory, call the operation on the [`WasiCtx`], and write the results back.
//!
//! Every count, buffer and pointer is checked against guest memory before anything else
//! (`EINVAL` for an array that cannot fit in memory at all, `EFAULT` for one out of bounds);
//! data moves through at most one bounded host buffer per call. The bound of each function
//! is listed in [`crate::limits`].
//!
//! Every failure the spec describes is returned to the guest as an errno; only `proc_exit`
//! (with an [`I32Exit`]) and a module without a `memory` export end the call with an
//! [`Error`].

use tierup_runtime::{Caller, Error, FuncType, Linker, Memory, Trap, TrapCode, Val, ValType};

use crate::clocks::{self, Event, PollGuest, PollTarget, Subscription};
use crate::fs::OpenRequest;
use crate::limits::{IO_CHUNK, IOV_MAX, MAX_TRANSFER, PATH_MAX};
use crate::types::{Errno, WasiResult};
use crate::{I32Exit, WasiCtx};

/// The import module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Access to the calling instance's memory and to its [`WasiCtx`] for one host call.
struct Guest<'a, 'b, T> {
    caller: &'a mut Caller<'b, T>,
    memory: Memory,
    get: fn(&mut T) -> &mut WasiCtx,
}

impl<'a, 'b, T> Guest<'a, 'b, T> {
    fn new(caller: &'a mut Caller<'b, T>, get: fn(&mut T) -> &mut WasiCtx) -> Result<Self, Error> {
        let memory = caller
            .get_export("memory")
            .and_then(|e| e.into_memory())
            .ok_or_else(|| {
                Error::msg("WASI: the module must export its linear memory as `memory`")
            })?;
        Ok(Guest {
            caller,
            memory,
            get,
        })
    }

    fn ctx(&mut self) -> &mut WasiCtx {
        (self.get)(self.caller.data_mut())
    }

    /// The guest memory's length in bytes.
    fn mem_len(&self) -> usize {
        self.memory.data_size(&*self.caller)
    }

    /// `EFAULT` unless `ptr..ptr + len` is inside guest memory.
    fn check(&self, ptr: u32, len: usize) -> WasiResult<()> {
        let end = (ptr as usize).checked_add(len).ok_or(Errno::FAULT)?;
        if end <= self.mem_len() {
            Ok(())
        } else {
            Err(Errno::FAULT)
        }
    }

    /// Checks an array of `count` structures of `size` bytes at `ptr`: `EINVAL` if they could
    /// not fit in guest memory at all (`count * size > memory length`), `EFAULT` if they are
    /// not inside it at `ptr`. Returns the array's length in bytes.
    fn check_array(&self, ptr: u32, count: u32, size: usize) -> WasiResult<usize> {
        let bytes = u64::from(count) * size as u64;
        if bytes > self.mem_len() as u64 {
            return Err(Errno::INVAL);
        }
        self.check(ptr, bytes as usize)?;
        Ok(bytes as usize)
    }

    fn bytes(&self, ptr: u32, len: usize) -> WasiResult<&[u8]> {
        let start = ptr as usize;
        let end = start.checked_add(len).ok_or(Errno::FAULT)?;
        self.memory
            .data(&*self.caller)
            .get(start..end)
            .ok_or(Errno::FAULT)
    }

    fn bytes_mut(&mut self, ptr: u32, len: usize) -> WasiResult<&mut [u8]> {
        let start = ptr as usize;
        let end = start.checked_add(len).ok_or(Errno::FAULT)?;
        self.memory
            .data_mut(&mut *self.caller)
            .get_mut(start..end)
            .ok_or(Errno::FAULT)
    }

    /// A path argument: inside memory (`EFAULT`), at most [`PATH_MAX`] bytes
    /// (`ENAMETOOLONG`, checked before anything is copied), copied out.
    fn path(&self, ptr: u32, len: u32) -> WasiResult<Vec<u8>> {
        self.check(ptr, len as usize)?;
        if len as usize > PATH_MAX {
            return Err(Errno::NAMETOOLONG);
        }
        Ok(self.bytes(ptr, len as usize)?.to_vec())
    }

    fn read_array<const N: usize>(&self, ptr: u32) -> WasiResult<[u8; N]> {
        Ok(self.bytes(ptr, N)?.try_into().expect("slice of length N"))
    }

    fn write(&mut self, ptr: u32, data: &[u8]) -> WasiResult<()> {
        self.bytes_mut(ptr, data.len())?.copy_from_slice(data);
        Ok(())
    }

    fn write_u32(&mut self, ptr: u32, v: u32) -> WasiResult<()> {
        self.write(ptr, &v.to_le_bytes())
    }

    fn write_u64(&mut self, ptr: u32, v: u64) -> WasiResult<()> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// The `(buf, len)` pairs of an iovec array of `count` entries. The array is checked as a
    /// whole first (`EINVAL`/`EFAULT`), then every iovec is checked to be inside memory
    /// (`EFAULT`); only the first [`IOV_MAX`] are returned (a call moves data through those
    /// alone), so the list is at most 8 KiB whatever `count` is.
    fn iovecs(&self, ptr: u32, count: u32) -> WasiResult<Vec<(u32, u32)>> {
        let len = self.check_array(ptr, count, 8)?;
        let raw = self.bytes(ptr, len)?;
        let mut iovs = Vec::with_capacity((count as usize).min(IOV_MAX));
        for c in raw.chunks_exact(8) {
            let buf = u32::from_le_bytes(c[0..4].try_into().expect("4 bytes"));
            let len = u32::from_le_bytes(c[4..8].try_into().expect("4 bytes"));
            self.check(buf, len as usize)?;
            if iovs.len() < IOV_MAX {
                iovs.push((buf, len));
            }
        }
        Ok(iovs)
    }

    /// Reads into the (checked) iovecs through one host buffer of at most [`IO_CHUNK`]
    /// bytes: `read(ctx, chunk, done)` reads at most `chunk.len()` bytes (`done` bytes were
    /// read before it in this call) and returns how many it read. With `whole` (regular files,
    /// in-memory input) chunks are read until the iovecs are full, the source ends or
    /// [`MAX_TRANSFER`] bytes are read; otherwise (streams, which could block) one read is
    /// made. An error after some bytes were read ends the call with those bytes.
    fn read_iovecs(
        &mut self,
        iovs: &[(u32, u32)],
        whole: bool,
        mut read: impl FnMut(&mut WasiCtx, &mut [u8], usize) -> WasiResult<usize>,
    ) -> WasiResult<usize> {
        let total = transfer_len(iovs);
        let mut buf = vec![0u8; total.min(IO_CHUNK)];
        let mut cursor = IovCursor::new(iovs);
        let mut done = 0;
        loop {
            let want = (total - done).min(IO_CHUNK);
            let n = match read(self.ctx(), &mut buf[..want], done) {
                Ok(n) => n.min(want),
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            // Spread the chunk over the iovecs, from where the last one stopped.
            let mut chunk = &buf[..n];
            while !chunk.is_empty() {
                let (ptr, len) = cursor.next(chunk.len()).expect("the iovecs hold `total`");
                self.write(ptr, &chunk[..len])?;
                chunk = &chunk[len..];
            }
            done += n;
            if n < want || done >= total || !whole {
                break;
            }
        }
        Ok(done)
    }

    /// Writes the (checked) ciovecs through one host buffer of at most [`IO_CHUNK`] bytes:
    /// each chunk is gathered from guest memory and given to `write(ctx, chunk, done)`, which
    /// returns how many bytes it wrote; a short write ends the call. At most
    /// [`MAX_TRANSFER`] bytes are written; an error after some bytes were written ends the
    /// call with those bytes.
    fn write_iovecs(
        &mut self,
        iovs: &[(u32, u32)],
        mut write: impl FnMut(&mut WasiCtx, &[u8], usize) -> WasiResult<usize>,
    ) -> WasiResult<usize> {
        let total = transfer_len(iovs);
        let mut buf = Vec::with_capacity(total.min(IO_CHUNK));
        let mut cursor = IovCursor::new(iovs);
        let mut done = 0;
        loop {
            let want = (total - done).min(IO_CHUNK);
            buf.clear();
            while buf.len() < want {
                let (ptr, len) = cursor
                    .next(want - buf.len())
                    .expect("the iovecs hold `total`");
                buf.extend_from_slice(self.bytes(ptr, len)?);
            }
            let n = match write(self.ctx(), &buf, done) {
                Ok(n) => n.min(want),
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            done += n;
            if n < want || done >= total {
                break;
            }
        }
        Ok(done)
    }

    /// Writes a list of NUL-terminated strings (`args_get`, `environ_get`): the pointer array
    /// and the buffer are checked first (`EFAULT`), so nothing is written unless all fits.
    fn write_strings(&mut self, list: &[Vec<u8>], ptrs: u32, buf: u32) -> WasiResult<()> {
        let (count, size) = sizes(list);
        self.check(ptrs, count as usize * 4)?;
        self.check(buf, size as usize)?;
        let mut offset = buf;
        for (i, s) in list.iter().enumerate() {
            self.write_u32(ptrs + 4 * i as u32, offset)?;
            self.write(offset, s)?;
            let nul = offset + s.len() as u32;
            self.write(nul, &[0])?;
            offset = nul + 1;
        }
        Ok(())
    }

    /// `args_get` and `environ_get`: the list is taken out of the context for the call (no
    /// copy), written, and put back.
    fn write_list(
        &mut self,
        list: fn(&mut WasiCtx) -> &mut Vec<Vec<u8>>,
        ptrs: u32,
        buf: u32,
    ) -> WasiResult<()> {
        let strings = std::mem::take(list(self.ctx()));
        let result = self.write_strings(&strings, ptrs, buf);
        *list(self.ctx()) = strings;
        result
    }
}

/// Walks through an iovec list piece by piece (`read_iovecs`, `write_iovecs`).
struct IovCursor<'a> {
    iovs: &'a [(u32, u32)],
    /// The iovec the next piece starts in, and how far into it.
    index: usize,
    offset: u32,
}

impl<'a> IovCursor<'a> {
    fn new(iovs: &'a [(u32, u32)]) -> Self {
        IovCursor {
            iovs,
            index: 0,
            offset: 0,
        }
    }

    /// The next piece, `(ptr, len)` with `0 < len <= max`, or `None` at the end.
    fn next(&mut self, max: usize) -> Option<(u32, usize)> {
        loop {
            let &(buf, len) = self.iovs.get(self.index)?;
            let left = (len - self.offset) as usize;
            if left == 0 {
                self.index += 1;
                self.offset = 0;
                continue;
            }
            let n = left.min(max);
            let piece = (buf + self.offset, n);
            self.offset += n as u32;
            return Some(piece);
        }
    }
}

/// How many bytes one transfer over `iovs` may move: their total length, at most
/// [`MAX_TRANSFER`].
fn transfer_len(iovs: &[(u32, u32)]) -> usize {
    iovs.iter()
        .map(|&(_, len)| len as usize)
        .fold(0usize, |sum, len| sum.saturating_add(len))
        .min(MAX_TRANSFER)
}

/// `poll_oneoff` reads its subscriptions from, and writes its events to, guest memory
/// directly (both arrays checked before the call).
struct PollMemory<'g, 'a, 'b, T> {
    guest: &'g mut Guest<'a, 'b, T>,
    input: u32,
    output: u32,
}

impl<T> PollGuest for PollMemory<'_, '_, '_, T> {
    fn subscription(&mut self, i: u32) -> WasiResult<Subscription> {
        Subscription::decode(&self.guest.read_array::<48>(self.input + 48 * i)?)
    }

    fn target(&mut self, fd: u32, write: bool) -> WasiResult<PollTarget> {
        self.guest.ctx().fds.poll_target(fd, write)
    }

    fn event(&mut self, i: u32, event: Event) -> WasiResult<()> {
        self.guest.write(self.output + 32 * i, &event.to_bytes())
    }

    fn interrupted(&self) -> bool {
        self.guest.caller.interrupt_pending()
    }
}

/// The errno a result becomes.
fn code(result: WasiResult<()>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => i32::from(e.0),
    }
}

/// Defines one host function: `wasi!(linker, get, "name", |guest, a: i32, ...| body)`, where
/// `body` evaluates to `WasiResult<()>`.
macro_rules! wasi {
    ($linker:ident, $get:ident, $name:literal, |$g:ident $(, $arg:ident : $ty:ty)*| $body:expr) => {
        $linker.func_wrap(
            MODULE,
            $name,
            move |mut caller: Caller<'_, T>, $($arg: $ty),*| -> Result<i32, Error> {
                #[allow(unused_mut)]
                let mut $g = Guest::new(&mut caller, $get)?;
                // A closure, so that `?` in the body returns the errno.
                #[allow(clippy::redundant_closure_call)]
                let result: WasiResult<()> = (|| $body)();
                if result == Err(Errno::HOST_INTERRUPT) {
                    // The store was asked to stop while the call waited.
                    return Err(Error::Trap(Trap::new(TrapCode::Interrupted)));
                }
                Ok(code(result))
            },
        )?;
    };
}

/// Defines every `wasi_snapshot_preview1` function in `linker`. `get` finds the program's
/// [`WasiCtx`] in the store's data.
///
/// # Errors
/// If one of the names is already defined and shadowing is not allowed.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut WasiCtx,
) -> Result<(), Error> {
    // ---- arguments and environment ----
    wasi!(linker, get, "args_get", |g, argv: u32, buf: u32| {
        g.write_list(|ctx| &mut ctx.args, argv, buf)
    });
    wasi!(linker, get, "args_sizes_get", |g, count: u32, size: u32| {
        g.check(count, 4)?;
        g.check(size, 4)?;
        let (n, bytes) = sizes(&g.ctx().args);
        g.write_u32(count, n)?;
        g.write_u32(size, bytes)
    });
    wasi!(linker, get, "environ_get", |g, env: u32, buf: u32| {
        g.write_list(|ctx| &mut ctx.env, env, buf)
    });
    wasi!(
        linker,
        get,
        "environ_sizes_get",
        |g, count: u32, size: u32| {
            g.check(count, 4)?;
            g.check(size, 4)?;
            let (n, bytes) = sizes(&g.ctx().env);
            g.write_u32(count, n)?;
            g.write_u32(size, bytes)
        }
    );

    // ---- clocks, randomness, scheduling ----
    wasi!(linker, get, "clock_res_get", |g, id: u32, out: u32| {
        g.check(out, 8)?;
        g.write_u64(out, clocks::resolution(id)?)
    });
    wasi!(
        linker,
        get,
        "clock_time_get",
        |g, id: u32, _precision: u64, out: u32| {
            g.check(out, 8)?;
            g.write_u64(out, clocks::now(id)?)
        }
    );
    wasi!(linker, get, "random_get", |g, buf: u32, len: u32| {
        // The kernel fills guest memory directly: no host buffer.
        clocks::fill_random(g.bytes_mut(buf, len as usize)?)
    });
    wasi!(linker, get, "sched_yield", |g| {
        let _ = &mut g;
        std::thread::yield_now();
        Ok(())
    });
    wasi!(
        linker,
        get,
        "poll_oneoff",
        |g, input: u32, output: u32, n: u32, nevents: u32| {
            // Both arrays are checked before anything else: a count whose subscriptions (48
            // bytes each) or events (32 bytes each) cannot fit in memory is EINVAL.
            g.check_array(input, n, 48)?;
            g.check_array(output, n, 32)?;
            g.check(nevents, 4)?;
            let mut memory = PollMemory {
                guest: &mut g,
                input,
                output,
            };
            let count = clocks::poll(&mut memory, n)?;
            g.write_u32(nevents, count)
        }
    );

    // ---- process ----
    linker.func_wrap(MODULE, "proc_exit", |code: u32| -> Result<(), Error> {
        // As Wasmtime: statuses of 126 and above are reserved by shells.
        if code < 126 {
            Err(Error::new(I32Exit(code as i32)))
        } else {
            Err(Error::msg(format!(
                "exit with invalid exit status {code} outside of [0..126)"
            )))
        }
    })?;
    wasi!(linker, get, "proc_raise", |g, _signal: u32| {
        // Signals do not exist for a WASI program; the call fails.
        let _ = &mut g;
        Err(Errno::NOTSUP)
    });

    // ---- fds ----
    wasi!(
        linker,
        get,
        "fd_advise",
        |g, fd: u32, offset: u64, len: u64, advice: u32| {
            let advice = u8::try_from(advice).map_err(|_| Errno::INVAL)?;
            g.ctx().fds.advise(fd, offset, len, advice)
        }
    );
    wasi!(
        linker,
        get,
        "fd_allocate",
        |g, fd: u32, offset: u64, len: u64| { g.ctx().fds.allocate(fd, offset, len) }
    );
    wasi!(linker, get, "fd_close", |g, fd: u32| g.ctx().fds.close(fd));
    wasi!(linker, get, "fd_datasync", |g, fd: u32| g
        .ctx()
        .fds
        .sync(fd, true));
    wasi!(linker, get, "fd_sync", |g, fd: u32| g
        .ctx()
        .fds
        .sync(fd, false));
    wasi!(linker, get, "fd_fdstat_get", |g, fd: u32, out: u32| {
        g.check(out, 24)?;
        let stat = g.ctx().fds.fdstat(fd)?;
        g.write(out, &stat.to_bytes())
    });
    wasi!(
        linker,
        get,
        "fd_fdstat_set_flags",
        |g, fd: u32, flags: u32| {
            let flags = u16::try_from(flags).map_err(|_| Errno::INVAL)?;
            g.ctx().fds.set_flags(fd, flags)
        }
    );
    wasi!(
        linker,
        get,
        "fd_fdstat_set_rights",
        |g, fd: u32, base: u64, inheriting: u64| { g.ctx().fds.set_rights(fd, base, inheriting) }
    );
    wasi!(linker, get, "fd_filestat_get", |g, fd: u32, out: u32| {
        g.check(out, 64)?;
        let stat = g.ctx().fds.filestat(fd)?;
        g.write(out, &stat.to_bytes())
    });
    wasi!(
        linker,
        get,
        "fd_filestat_set_size",
        |g, fd: u32, size: u64| { g.ctx().fds.set_size(fd, size) }
    );
    wasi!(
        linker,
        get,
        "fd_filestat_set_times",
        |g, fd: u32, atim: u64, mtim: u64, flags: u32| {
            g.ctx().fds.set_times(fd, atim, mtim, flags as u16)
        }
    );
    wasi!(
        linker,
        get,
        "fd_read",
        |g, fd: u32, iovs: u32, n: u32, out: u32| {
            let iovs = g.iovecs(iovs, n)?;
            g.check(out, 4)?;
            let whole = g.ctx().fds.reads_whole(fd);
            let stop = g.caller.interrupt_handle();
            let read = g.read_iovecs(&iovs, whole, |ctx, buf, _| {
                ctx.fds.read(fd, buf, &|| stop.pending())
            })?;
            g.write_u32(out, read as u32)
        }
    );
    wasi!(
        linker,
        get,
        "fd_pread",
        |g, fd: u32, iovs: u32, n: u32, offset: u64, out: u32| {
            let iovs = g.iovecs(iovs, n)?;
            g.check(out, 4)?;
            let read = g.read_iovecs(&iovs, true, |ctx, buf, done| {
                let at = offset.checked_add(done as u64).ok_or(Errno::INVAL)?;
                ctx.fds.pread(fd, buf, at)
            })?;
            g.write_u32(out, read as u32)
        }
    );
    wasi!(
        linker,
        get,
        "fd_write",
        |g, fd: u32, iovs: u32, n: u32, out: u32| {
            let iovs = g.iovecs(iovs, n)?;
            g.check(out, 4)?;
            let written = g.write_iovecs(&iovs, |ctx, data, _| ctx.fds.write(fd, data))?;
            g.write_u32(out, written as u32)
        }
    );
    wasi!(
        linker,
        get,
        "fd_pwrite",
        |g, fd: u32, iovs: u32, n: u32, offset: u64, out: u32| {
            let iovs = g.iovecs(iovs, n)?;
            g.check(out, 4)?;
            let written = g.write_iovecs(&iovs, |ctx, data, done| {
                let at = offset.checked_add(done as u64).ok_or(Errno::INVAL)?;
                ctx.fds.pwrite(fd, data, at)
            })?;
            g.write_u32(out, written as u32)
        }
    );
    wasi!(
        linker,
        get,
        "fd_seek",
        |g, fd: u32, offset: i64, whence: u32, out: u32| {
            g.check(out, 8)?;
            let whence = u8::try_from(whence).map_err(|_| Errno::INVAL)?;
            let pos = g.ctx().fds.seek(fd, offset, whence)?;
            g.write_u64(out, pos)
        }
    );
    wasi!(linker, get, "fd_tell", |g, fd: u32, out: u32| {
        g.check(out, 8)?;
        let pos = g.ctx().fds.seek(fd, 0, crate::types::whence::CUR)?;
        g.write_u64(out, pos)
    });
    wasi!(linker, get, "fd_renumber", |g, fd: u32, to: u32| {
        g.ctx().fds.renumber(fd, to)
    });
    wasi!(linker, get, "fd_prestat_get", |g, fd: u32, out: u32| {
        g.check(out, 8)?;
        let entry = g.ctx().fds.get(fd)?;
        let len = entry.preopen.as_ref().ok_or(Errno::BADF)?.len() as u32;
        let mut prestat = [0u8; 8];
        prestat[4..8].copy_from_slice(&len.to_le_bytes());
        g.write(out, &prestat)
    });
    wasi!(
        linker,
        get,
        "fd_prestat_dir_name",
        |g, fd: u32, path: u32, len: u32| {
            g.check(path, len as usize)?;
            let entry = g.ctx().fds.get(fd)?;
            let name = entry.preopen.clone().ok_or(Errno::BADF)?;
            if name.len() > len as usize {
                return Err(Errno::NAMETOOLONG);
            }
            g.write(path, name.as_bytes())
        }
    );
    wasi!(
        linker,
        get,
        "fd_readdir",
        |g, fd: u32, buf: u32, len: u32, cookie: u64, out: u32| {
            g.check(buf, len as usize)?;
            g.check(out, 4)?;
            // The entries are streamed into the guest's buffer one at a time (the listing
            // is owned, it borrows nothing of the context).
            let entries = g.ctx().fds.readdir(fd)?;
            let len = len as usize;
            let mut used = 0usize;
            for (index, entry) in entries.enumerate() {
                if used >= len {
                    break;
                }
                if (index as u64) < cookie {
                    continue;
                }
                let entry = entry?;
                let mut dirent = [0u8; 24];
                dirent[0..8].copy_from_slice(&(index as u64 + 1).to_le_bytes());
                dirent[8..16].copy_from_slice(&entry.ino.to_le_bytes());
                dirent[16..20].copy_from_slice(&(entry.name.len() as u32).to_le_bytes());
                dirent[20] = entry.filetype;
                // A last entry that does not fit is cut: the guest sees a full buffer and
                // asks again from its cookie.
                for part in [&dirent[..], &entry.name[..]] {
                    let n = part.len().min(len - used);
                    g.write(buf + used as u32, &part[..n])?;
                    used += n;
                }
            }
            g.write_u32(out, used as u32)
        }
    );

    // ---- paths ----
    wasi!(
        linker,
        get,
        "path_create_directory",
        |g, fd: u32, path: u32, len: u32| {
            let path = g.path(path, len)?;
            g.ctx().fds.create_directory(fd, &path)
        }
    );
    wasi!(
        linker,
        get,
        "path_remove_directory",
        |g, fd: u32, path: u32, len: u32| {
            let path = g.path(path, len)?;
            g.ctx().fds.remove_directory(fd, &path)
        }
    );
    wasi!(
        linker,
        get,
        "path_unlink_file",
        |g, fd: u32, path: u32, len: u32| {
            let path = g.path(path, len)?;
            g.ctx().fds.unlink_file(fd, &path)
        }
    );
    wasi!(
        linker,
        get,
        "path_filestat_get",
        |g, fd: u32, flags: u32, path: u32, len: u32, out: u32| {
            let path = g.path(path, len)?;
            g.check(out, 64)?;
            let stat = g.ctx().fds.path_filestat(fd, flags, &path)?;
            g.write(out, &stat.to_bytes())
        }
    );
    wasi!(
        linker,
        get,
        "path_filestat_set_times",
        |g, fd: u32, flags: u32, path: u32, len: u32, atim: u64, mtim: u64, fst: u32| {
            let path = g.path(path, len)?;
            g.ctx()
                .fds
                .path_set_times(fd, flags, &path, atim, mtim, fst as u16)
        }
    );
    wasi!(
        linker,
        get,
        "path_link",
        |g, fd: u32, flags: u32, old: u32, old_len: u32, new_fd: u32, new: u32, new_len: u32| {
            let old = g.path(old, old_len)?;
            let new = g.path(new, new_len)?;
            g.ctx().fds.link(fd, flags, &old, new_fd, &new)
        }
    );
    wasi!(
        linker,
        get,
        "path_rename",
        |g, fd: u32, old: u32, old_len: u32, new_fd: u32, new: u32, new_len: u32| {
            let old = g.path(old, old_len)?;
            let new = g.path(new, new_len)?;
            g.ctx().fds.rename(fd, &old, new_fd, &new)
        }
    );
    wasi!(
        linker,
        get,
        "path_symlink",
        |g, old: u32, old_len: u32, fd: u32, new: u32, new_len: u32| {
            // The link's target is a path too (the kernel refuses targets over PATH_MAX).
            let old = g.path(old, old_len)?;
            let new = g.path(new, new_len)?;
            g.ctx().fds.symlink(&old, fd, &new)
        }
    );
    wasi!(
        linker,
        get,
        "path_readlink",
        |g, fd: u32, path: u32, len: u32, buf: u32, buf_len: u32, out: u32| {
            let path = g.path(path, len)?;
            g.check(buf, buf_len as usize)?;
            g.check(out, 4)?;
            let mut target = g.ctx().fds.readlink(fd, &path)?;
            target.truncate(buf_len as usize);
            g.write(buf, &target)?;
            g.write_u32(out, target.len() as u32)
        }
    );
    // `path_open` has nine parameters, more than `func_wrap` takes.
    let path_open_ty = FuncType::new(
        [
            ValType::I32,
            ValType::I32,
            ValType::I32,
            ValType::I32,
            ValType::I32,
            ValType::I64,
            ValType::I64,
            ValType::I32,
            ValType::I32,
        ],
        [ValType::I32],
    );
    linker.func_new(
        MODULE,
        "path_open",
        path_open_ty,
        move |mut caller: Caller<'_, T>, params: &[Val], results: &mut [Val]| {
            let i32_at = |i: usize| params[i].i32().unwrap_or(0) as u32;
            let i64_at = |i: usize| params[i].i64().unwrap_or(0) as u64;
            let mut g = Guest::new(&mut caller, get)?;
            let result = (|| {
                let path = g.path(i32_at(2), i32_at(3))?;
                let out = i32_at(8);
                g.check(out, 4)?;
                let req = OpenRequest {
                    lookup_flags: i32_at(1),
                    oflags: u16::try_from(i32_at(4)).map_err(|_| Errno::INVAL)?,
                    rights_base: i64_at(5),
                    rights_inheriting: i64_at(6),
                    fdflags: u16::try_from(i32_at(7)).map_err(|_| Errno::INVAL)?,
                };
                let fd = g.ctx().fds.path_open(i32_at(0), &path, req)?;
                g.write_u32(out, fd)
            })();
            results[0] = Val::I32(code(result));
            Ok(())
        },
    )?;

    // ---- sockets: none can be preopened, so every fd is ENOTSOCK (an inherited stream that
    // is a socket: ENOTSUP). The guest's arguments are checked first all the same. ----
    wasi!(
        linker,
        get,
        "sock_accept",
        |g, fd: u32, _flags: u32, out: u32| {
            g.check(out, 4)?;
            g.ctx().fds.socket(fd)
        }
    );
    wasi!(
        linker,
        get,
        "sock_recv",
        |g, fd: u32, data: u32, len: u32, _flags: u32, out: u32, out_flags: u32| {
            g.iovecs(data, len)?;
            g.check(out, 4)?;
            g.check(out_flags, 2)?;
            g.ctx().fds.socket(fd)
        }
    );
    wasi!(
        linker,
        get,
        "sock_send",
        |g, fd: u32, data: u32, len: u32, _flags: u32, out: u32| {
            g.iovecs(data, len)?;
            g.check(out, 4)?;
            g.ctx().fds.socket(fd)
        }
    );
    wasi!(linker, get, "sock_shutdown", |g, fd: u32, _how: u32| {
        g.ctx().fds.socket(fd)
    });
    Ok(())
}

/// The count and the total size (with NULs) of a list of strings.
fn sizes(list: &[Vec<u8>]) -> (u32, u32) {
    let bytes: usize = list.iter().map(|s| s.len() + 1).sum();
    (list.len() as u32, bytes as u32)
}
