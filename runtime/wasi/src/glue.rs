//! The host functions of `wasi_snapshot_preview1`: they decode the guest's arguments from
//! its linear memory (every access bounds-checked: `EFAULT` when out of range), call the
//! operation on the [`WasiCtx`], and write the results back.
//!
//! Every failure the spec describes is returned to the guest as an errno; only `proc_exit`
//! (with an [`I32Exit`]) and a module without a `memory` export end the call with an
//! [`Error`].

use tierup_runtime::{Caller, Error, FuncType, Linker, Memory, Val, ValType};

use crate::clocks::{self, Subscription};
use crate::fs::OpenRequest;
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

    fn bytes(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::FAULT)?;
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

    fn read_vec(&self, ptr: u32, len: u32) -> WasiResult<Vec<u8>> {
        Ok(self.bytes(ptr, len)?.to_vec())
    }

    fn read_array<const N: usize>(&self, ptr: u32) -> WasiResult<[u8; N]> {
        Ok(self
            .bytes(ptr, N as u32)?
            .try_into()
            .expect("slice of length N"))
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

    /// The `(buf, len)` pairs of an iovec array, each checked to be inside memory.
    fn iovecs(&self, ptr: u32, count: u32) -> WasiResult<Vec<(u32, u32)>> {
        let raw = self.bytes(ptr, count.checked_mul(8).ok_or(Errno::FAULT)?)?;
        let iovs: Vec<(u32, u32)> = raw
            .chunks_exact(8)
            .map(|c| {
                (
                    u32::from_le_bytes(c[0..4].try_into().expect("4 bytes")),
                    u32::from_le_bytes(c[4..8].try_into().expect("4 bytes")),
                )
            })
            .collect();
        for &(buf, len) in &iovs {
            self.bytes(buf, len)?;
        }
        Ok(iovs)
    }

    /// The concatenated contents of a ciovec array.
    fn gather(&self, ptr: u32, count: u32) -> WasiResult<Vec<u8>> {
        let mut data = Vec::new();
        for (buf, len) in self.iovecs(ptr, count)? {
            data.extend_from_slice(self.bytes(buf, len)?);
        }
        Ok(data)
    }

    /// Spreads `data` over the (already checked) iovecs.
    fn scatter(&mut self, iovs: &[(u32, u32)], mut data: &[u8]) -> WasiResult<()> {
        for &(buf, len) in iovs {
            if data.is_empty() {
                break;
            }
            let n = (len as usize).min(data.len());
            self.write(buf, &data[..n])?;
            data = &data[n..];
        }
        Ok(())
    }

    /// Writes a list of NUL-terminated strings (`args_get`, `environ_get`).
    fn write_strings(&mut self, list: &[Vec<u8>], ptrs: u32, buf: u32) -> WasiResult<()> {
        let mut offset = buf;
        for (i, s) in list.iter().enumerate() {
            self.write_u32(ptrs.checked_add(4 * i as u32).ok_or(Errno::FAULT)?, offset)?;
            self.write(offset, s)?;
            let nul = offset.checked_add(s.len() as u32).ok_or(Errno::FAULT)?;
            self.write(nul, &[0])?;
            offset = nul + 1;
        }
        Ok(())
    }
}

/// The errno a result becomes.
fn code(result: WasiResult<()>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => i32::from(e.0),
    }
}

/// Sum of the iovec lengths (how much one read may return).
fn total_len(iovs: &[(u32, u32)]) -> usize {
    iovs.iter().map(|&(_, len)| len as usize).sum()
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
        let args = g.ctx().args.clone();
        g.write_strings(&args, argv, buf)
    });
    wasi!(linker, get, "args_sizes_get", |g, count: u32, size: u32| {
        let ctx = g.ctx();
        let (n, bytes) = sizes(&ctx.args);
        g.write_u32(count, n)?;
        g.write_u32(size, bytes)
    });
    wasi!(linker, get, "environ_get", |g, env: u32, buf: u32| {
        let vars = g.ctx().env.clone();
        g.write_strings(&vars, env, buf)
    });
    wasi!(
        linker,
        get,
        "environ_sizes_get",
        |g, count: u32, size: u32| {
            let ctx = g.ctx();
            let (n, bytes) = sizes(&ctx.env);
            g.write_u32(count, n)?;
            g.write_u32(size, bytes)
        }
    );

    // ---- clocks, randomness, scheduling ----
    wasi!(linker, get, "clock_res_get", |g, id: u32, out: u32| {
        g.write_u64(out, clocks::resolution(id)?)
    });
    wasi!(
        linker,
        get,
        "clock_time_get",
        |g, id: u32, _precision: u64, out: u32| { g.write_u64(out, clocks::now(id)?) }
    );
    wasi!(linker, get, "random_get", |g, buf: u32, len: u32| {
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
            let mut subs = Vec::with_capacity(n as usize);
            for i in 0..n {
                let at = i
                    .checked_mul(48)
                    .and_then(|o| input.checked_add(o))
                    .ok_or(Errno::FAULT)?;
                subs.push(Subscription::decode(&g.read_array::<48>(at)?)?);
            }
            // The output must hold one event per subscription.
            g.bytes_mut(output, n as usize * 32)?;
            let events = clocks::poll(&g.ctx().fds, &subs)?;
            for (i, event) in events.iter().enumerate() {
                g.write(output + 32 * i as u32, &event.to_bytes())?;
            }
            g.write_u32(nevents, events.len() as u32)
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
            g.bytes_mut(out, 4)?;
            let data = g.ctx().fds.read(fd, total_len(&iovs))?;
            g.scatter(&iovs, &data)?;
            g.write_u32(out, data.len() as u32)
        }
    );
    wasi!(
        linker,
        get,
        "fd_pread",
        |g, fd: u32, iovs: u32, n: u32, offset: u64, out: u32| {
            let iovs = g.iovecs(iovs, n)?;
            g.bytes_mut(out, 4)?;
            let data = g.ctx().fds.pread(fd, total_len(&iovs), offset)?;
            g.scatter(&iovs, &data)?;
            g.write_u32(out, data.len() as u32)
        }
    );
    wasi!(
        linker,
        get,
        "fd_write",
        |g, fd: u32, iovs: u32, n: u32, out: u32| {
            let data = g.gather(iovs, n)?;
            g.bytes_mut(out, 4)?;
            let written = g.ctx().fds.write(fd, &data)?;
            g.write_u32(out, written as u32)
        }
    );
    wasi!(
        linker,
        get,
        "fd_pwrite",
        |g, fd: u32, iovs: u32, n: u32, offset: u64, out: u32| {
            let data = g.gather(iovs, n)?;
            g.bytes_mut(out, 4)?;
            let written = g.ctx().fds.pwrite(fd, &data, offset)?;
            g.write_u32(out, written as u32)
        }
    );
    wasi!(
        linker,
        get,
        "fd_seek",
        |g, fd: u32, offset: i64, whence: u32, out: u32| {
            let whence = u8::try_from(whence).map_err(|_| Errno::INVAL)?;
            g.bytes_mut(out, 8)?;
            let pos = g.ctx().fds.seek(fd, offset, whence)?;
            g.write_u64(out, pos)
        }
    );
    wasi!(linker, get, "fd_tell", |g, fd: u32, out: u32| {
        g.bytes_mut(out, 8)?;
        let pos = g.ctx().fds.seek(fd, 0, crate::types::whence::CUR)?;
        g.write_u64(out, pos)
    });
    wasi!(linker, get, "fd_renumber", |g, fd: u32, to: u32| {
        g.ctx().fds.renumber(fd, to)
    });
    wasi!(linker, get, "fd_prestat_get", |g, fd: u32, out: u32| {
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
            g.bytes_mut(buf, len as usize)?;
            g.bytes_mut(out, 4)?;
            let entries = g.ctx().fds.readdir(fd, cookie, len as usize)?;
            let mut bytes = Vec::new();
            for (i, e) in entries.iter().enumerate() {
                let mut dirent = [0u8; 24];
                dirent[0..8].copy_from_slice(&(cookie + i as u64 + 1).to_le_bytes());
                dirent[8..16].copy_from_slice(&e.ino.to_le_bytes());
                dirent[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
                dirent[20] = e.filetype;
                bytes.extend_from_slice(&dirent);
                bytes.extend_from_slice(&e.name);
            }
            // A last entry that does not fit is cut: the guest sees a full buffer and asks again.
            bytes.truncate(len as usize);
            g.write(buf, &bytes)?;
            g.write_u32(out, bytes.len() as u32)
        }
    );

    // ---- paths ----
    wasi!(
        linker,
        get,
        "path_create_directory",
        |g, fd: u32, path: u32, len: u32| {
            let path = g.read_vec(path, len)?;
            g.ctx().fds.create_directory(fd, &path)
        }
    );
    wasi!(
        linker,
        get,
        "path_remove_directory",
        |g, fd: u32, path: u32, len: u32| {
            let path = g.read_vec(path, len)?;
            g.ctx().fds.remove_directory(fd, &path)
        }
    );
    wasi!(
        linker,
        get,
        "path_unlink_file",
        |g, fd: u32, path: u32, len: u32| {
            let path = g.read_vec(path, len)?;
            g.ctx().fds.unlink_file(fd, &path)
        }
    );
    wasi!(
        linker,
        get,
        "path_filestat_get",
        |g, fd: u32, flags: u32, path: u32, len: u32, out: u32| {
            let path = g.read_vec(path, len)?;
            g.bytes_mut(out, 64)?;
            let stat = g.ctx().fds.path_filestat(fd, flags, &path)?;
            g.write(out, &stat.to_bytes())
        }
    );
    wasi!(
        linker,
        get,
        "path_filestat_set_times",
        |g, fd: u32, flags: u32, path: u32, len: u32, atim: u64, mtim: u64, fst: u32| {
            let path = g.read_vec(path, len)?;
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
            let old = g.read_vec(old, old_len)?;
            let new = g.read_vec(new, new_len)?;
            g.ctx().fds.link(fd, flags, &old, new_fd, &new)
        }
    );
    wasi!(
        linker,
        get,
        "path_rename",
        |g, fd: u32, old: u32, old_len: u32, new_fd: u32, new: u32, new_len: u32| {
            let old = g.read_vec(old, old_len)?;
            let new = g.read_vec(new, new_len)?;
            g.ctx().fds.rename(fd, &old, new_fd, &new)
        }
    );
    wasi!(
        linker,
        get,
        "path_symlink",
        |g, old: u32, old_len: u32, fd: u32, new: u32, new_len: u32| {
            let old = g.read_vec(old, old_len)?;
            let new = g.read_vec(new, new_len)?;
            g.ctx().fds.symlink(&old, fd, &new)
        }
    );
    wasi!(
        linker,
        get,
        "path_readlink",
        |g, fd: u32, path: u32, len: u32, buf: u32, buf_len: u32, out: u32| {
            let path = g.read_vec(path, len)?;
            g.bytes_mut(buf, buf_len as usize)?;
            g.bytes_mut(out, 4)?;
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
                let path = g.read_vec(i32_at(2), i32_at(3))?;
                let out = i32_at(8);
                g.bytes_mut(out, 4)?;
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

    // ---- sockets: no socket can be preopened yet, so every fd is "not supported" ----
    wasi!(
        linker,
        get,
        "sock_accept",
        |g, fd: u32, _flags: u32, _out: u32| {
            g.ctx().fds.get(fd)?;
            Err(Errno::NOTSUP)
        }
    );
    wasi!(
        linker,
        get,
        "sock_recv",
        |g, fd: u32, _data: u32, _len: u32, _flags: u32, _out: u32, _out_flags: u32| {
            g.ctx().fds.get(fd)?;
            Err(Errno::NOTSUP)
        }
    );
    wasi!(
        linker,
        get,
        "sock_send",
        |g, fd: u32, _data: u32, _len: u32, _flags: u32, _out: u32| {
            g.ctx().fds.get(fd)?;
            Err(Errno::NOTSUP)
        }
    );
    wasi!(linker, get, "sock_shutdown", |g, fd: u32, _how: u32| {
        g.ctx().fds.get(fd)?;
        Err(Errno::NOTSUP)
    });
    Ok(())
}

/// The count and the total size (with NULs) of a list of strings.
fn sizes(list: &[Vec<u8>]) -> (u32, u32) {
    let bytes: usize = list.iter().map(|s| s.len() + 1).sum();
    (list.len() as u32, bytes as u32)
}
