//! The fd table and the operations on an open fd (`fd_*`): reading, writing, seeking,
//! metadata, synchronisation and directory listing.
//!
//! Every entry carries its WASI rights; each operation checks the right it needs first
//! (`ENOTCAPABLE` otherwise) and then does the host call on the entry's own host fd, so an fd
//! can never reach anything but the file or directory it was opened for.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::{FileExt, MetadataExt};

use cap_std::fs::Dir;
use rustix::event::{PollFd, PollFlags};
use rustix::fs::{OFlags, Timespec, Timestamps, UTIME_NOW, UTIME_OMIT};

use super::ctx::OutputCapture;
use super::types::{
    Errno, Fdstat, Filestat, WasiResult, advice, fdflags, filetype, fstflags, rights, timestamp,
    whence,
};

/// What a standard input reads from.
#[derive(Debug)]
pub(crate) enum Input {
    /// This process's stdin.
    Inherit,
    /// Fixed bytes, then end of file.
    Bytes(io::Cursor<Vec<u8>>),
}

/// Where a standard output or error stream goes.
#[derive(Debug)]
pub(crate) enum Output {
    /// Discarded.
    Null,
    /// This process's stdout.
    Stdout,
    /// This process's stderr.
    Stderr,
    /// Memory, readable through the handle.
    Capture(OutputCapture),
}

/// What an fd refers to.
#[derive(Debug)]
pub(crate) enum FdKind {
    /// A regular file (or another non-directory the host opened).
    File(File),
    /// A directory.
    Dir(Dir),
    /// A standard input.
    Stdin(Input),
    /// A standard output or error stream.
    Output(Output),
}

/// One open fd.
#[derive(Debug)]
pub(crate) struct FdEntry {
    pub kind: FdKind,
    pub rights_base: u64,
    pub rights_inheriting: u64,
    /// The guest path, for preopened directories.
    pub preopen: Option<String>,
}

impl FdEntry {
    pub fn new(kind: FdKind, rights_base: u64, rights_inheriting: u64) -> FdEntry {
        FdEntry {
            kind,
            rights_base,
            rights_inheriting,
            preopen: None,
        }
    }

    /// `Ok` if this fd has all of `needed`, `ENOTCAPABLE` otherwise.
    pub fn check(&self, needed: u64) -> WasiResult<()> {
        if self.rights_base & needed == needed {
            Ok(())
        } else {
            Err(Errno::NOTCAPABLE)
        }
    }

    /// The directory, if this fd is one (`ENOTDIR` otherwise), after checking `needed`.
    pub fn dir(&self, needed: u64) -> WasiResult<&Dir> {
        match &self.kind {
            FdKind::Dir(dir) => {
                self.check(needed)?;
                Ok(dir)
            }
            _ => Err(Errno::NOTDIR),
        }
    }

    /// The host fd (for the host calls that work on any kind), if there is one.
    fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.kind {
            FdKind::File(f) => Some(f.as_fd()),
            FdKind::Dir(d) => Some(d.as_fd()),
            FdKind::Stdin(Input::Inherit) => Some(std_fd(0)),
            FdKind::Output(Output::Stdout) => Some(std_fd(1)),
            FdKind::Output(Output::Stderr) => Some(std_fd(2)),
            _ => None,
        }
    }

    fn file(&self, needed: u64) -> WasiResult<&File> {
        self.check(needed)?;
        match &self.kind {
            FdKind::File(f) => Ok(f),
            FdKind::Dir(_) => Err(Errno::ISDIR),
            _ => Err(Errno::SPIPE),
        }
    }
}

/// This process's standard stream `fd` (0, 1 or 2).
pub(crate) fn std_fd(fd: i32) -> BorrowedFd<'static> {
    match fd {
        0 => rustix::stdio::stdin(),
        1 => rustix::stdio::stdout(),
        _ => rustix::stdio::stderr(),
    }
}

/// The fds of one program, indexed by number; closed ones are `None`.
#[derive(Debug, Default)]
pub(crate) struct FdTable {
    entries: Vec<Option<FdEntry>>,
}

/// One directory entry as `fd_readdir` reports it.
pub(crate) struct DirEntryInfo {
    pub ino: u64,
    pub filetype: u8,
    pub name: Vec<u8>,
}

/// A directory's entries for `fd_readdir` (see [`FdTable::readdir`]).
pub(crate) struct DirListing {
    self_ino: u64,
    /// How many of `.` and `..` were listed.
    dots: u8,
    entries: cap_std::fs::ReadDir,
}

impl Iterator for DirListing {
    type Item = WasiResult<DirEntryInfo>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.dots < 2 {
            self.dots += 1;
            return Some(Ok(DirEntryInfo {
                ino: self.self_ino,
                filetype: filetype::DIRECTORY,
                name: vec![b'.'; self.dots as usize],
            }));
        }
        let item = match self.entries.next()? {
            Ok(item) => item,
            Err(e) => return Some(Err(e.into())),
        };
        use std::os::unix::ffi::OsStrExt;
        let filetype = item
            .file_type()
            .map(|t| filetype_of_cap(&t))
            .unwrap_or(filetype::UNKNOWN);
        Some(Ok(DirEntryInfo {
            ino: std::os::unix::fs::DirEntryExt::ino(&item),
            filetype,
            name: item.file_name().as_bytes().to_vec(),
        }))
    }
}

impl FdTable {
    /// Adds `entry` at the lowest free number and returns that number.
    pub fn insert(&mut self, entry: FdEntry) -> u32 {
        match self.entries.iter().position(Option::is_none) {
            Some(i) => {
                self.entries[i] = Some(entry);
                i as u32
            }
            None => {
                self.entries.push(Some(entry));
                (self.entries.len() - 1) as u32
            }
        }
    }

    /// The entry of `fd`, or `EBADF`.
    pub fn get(&self, fd: u32) -> WasiResult<&FdEntry> {
        self.entries
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(Errno::BADF)
    }

    /// The entry of `fd`, mutably, or `EBADF`.
    pub fn get_mut(&mut self, fd: u32) -> WasiResult<&mut FdEntry> {
        self.entries
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::BADF)
    }

    /// `fd_close`.
    pub fn close(&mut self, fd: u32) -> WasiResult<()> {
        let slot = self.entries.get_mut(fd as usize).ok_or(Errno::BADF)?;
        slot.take().ok_or(Errno::BADF)?;
        Ok(())
    }

    /// `fd_renumber`: `from` takes the place of `to` (which must be open), `from` is closed.
    pub fn renumber(&mut self, from: u32, to: u32) -> WasiResult<()> {
        self.get(from)?;
        self.get(to)?;
        if from == to {
            return Ok(());
        }
        let entry = self.entries[from as usize].take();
        self.entries[to as usize] = entry;
        Ok(())
    }

    /// `fd_read`: one read of at most `buf.len()` bytes into `buf`. A read of the inherited
    /// standard input first waits for it to be readable, ending early with
    /// [`Errno::HOST_INTERRUPT`] when `interrupted` says so.
    pub fn read(
        &mut self,
        fd: u32,
        buf: &mut [u8],
        interrupted: &dyn Fn() -> bool,
    ) -> WasiResult<usize> {
        let entry = self.get_mut(fd)?;
        entry.check(rights::FD_READ)?;
        Ok(match &mut entry.kind {
            FdKind::File(f) => f.read(buf)?,
            FdKind::Stdin(Input::Bytes(cursor)) => cursor.read(buf)?,
            FdKind::Stdin(Input::Inherit) => loop {
                let mut stdin = [PollFd::from_borrowed_fd(std_fd(0), PollFlags::IN)];
                crate::clocks::wait_for_fds(&mut stdin, None, interrupted)?;
                match rustix::io::read(std_fd(0), &mut *buf) {
                    Err(rustix::io::Errno::INTR) => continue,
                    other => break other?,
                }
            },
            FdKind::Dir(_) => return Err(Errno::ISDIR),
            FdKind::Output(_) => return Err(Errno::BADF),
        })
    }

    /// Whether one `fd_read` may read `fd` chunk after chunk until the guest's buffers are
    /// full: a regular file or in-memory input, which never block. A stream (a terminal, a
    /// pipe) gets one read per call, as a single `readv` would do.
    pub fn reads_whole(&self, fd: u32) -> bool {
        match self.get(fd).map(|e| &e.kind) {
            Ok(FdKind::File(f)) => f.metadata().is_ok_and(|m| m.is_file()),
            Ok(FdKind::Stdin(Input::Bytes(_))) => true,
            _ => false,
        }
    }

    /// `fd_pread`: one read of at most `buf.len()` bytes at `offset`.
    pub fn pread(&mut self, fd: u32, buf: &mut [u8], offset: u64) -> WasiResult<usize> {
        let file = self.get(fd)?.file(rights::FD_READ | rights::FD_SEEK)?;
        Ok(file.read_at(buf, offset)?)
    }

    /// `fd_write` of `data` (a chunk of the guest's iovecs): one write, which may be short.
    pub fn write(&mut self, fd: u32, data: &[u8]) -> WasiResult<usize> {
        let entry = self.get_mut(fd)?;
        entry.check(rights::FD_WRITE)?;
        Ok(match &mut entry.kind {
            FdKind::File(f) => f.write(data)?,
            FdKind::Output(Output::Null) => data.len(),
            FdKind::Output(Output::Capture(c)) => {
                c.append(data);
                data.len()
            }
            FdKind::Output(Output::Stdout) => write_host(1, data)?,
            FdKind::Output(Output::Stderr) => write_host(2, data)?,
            FdKind::Dir(_) => return Err(Errno::ISDIR),
            FdKind::Stdin(_) => return Err(Errno::BADF),
        })
    }

    /// `fd_pwrite`.
    pub fn pwrite(&mut self, fd: u32, data: &[u8], offset: u64) -> WasiResult<usize> {
        let file = self.get(fd)?.file(rights::FD_WRITE | rights::FD_SEEK)?;
        Ok(file.write_at(data, offset)?)
    }

    /// `fd_seek`; `fd_tell` is a seek by 0 from the current position.
    pub fn seek(&mut self, fd: u32, offset: i64, how: u8) -> WasiResult<u64> {
        let entry = self.get_mut(fd)?;
        let needed = if how == whence::CUR && offset == 0 {
            rights::FD_TELL
        } else {
            rights::FD_SEEK
        };
        entry.check(needed)?;
        let pos = match how {
            whence::SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::INVAL)?),
            whence::CUR => SeekFrom::Current(offset),
            whence::END => SeekFrom::End(offset),
            _ => return Err(Errno::INVAL),
        };
        match &mut entry.kind {
            FdKind::File(f) => Ok(f.seek(pos)?),
            FdKind::Dir(_) => Err(Errno::BADF),
            _ => Err(Errno::SPIPE),
        }
    }

    /// `fd_fdstat_get`.
    pub fn fdstat(&self, fd: u32) -> WasiResult<Fdstat> {
        let entry = self.get(fd)?;
        let filetype = match &entry.kind {
            FdKind::File(f) => filetype_of_std(&f.metadata()?.file_type()),
            FdKind::Dir(_) => filetype::DIRECTORY,
            FdKind::Stdin(Input::Inherit) => tty_filetype(0),
            FdKind::Output(Output::Stdout) => tty_filetype(1),
            FdKind::Output(Output::Stderr) => tty_filetype(2),
            _ => filetype::UNKNOWN,
        };
        let mut flags = 0;
        if let FdKind::File(f) = &entry.kind {
            let host = rustix::fs::fcntl_getfl(f)?;
            for (host_flag, wasi_flag) in [
                (OFlags::APPEND, fdflags::APPEND),
                (OFlags::NONBLOCK, fdflags::NONBLOCK),
                (OFlags::DSYNC, fdflags::DSYNC),
                (OFlags::RSYNC, fdflags::RSYNC),
            ] {
                if host.contains(host_flag) {
                    flags |= wasi_flag;
                }
            }
            // O_SYNC includes O_DSYNC's bit on Linux.
            if host.contains(OFlags::SYNC) {
                flags |= fdflags::SYNC;
            }
        }
        Ok(Fdstat {
            filetype,
            flags,
            rights_base: entry.rights_base,
            rights_inheriting: entry.rights_inheriting,
        })
    }

    /// `fd_fdstat_set_flags`: only `APPEND` and `NONBLOCK` can change after opening.
    pub fn set_flags(&mut self, fd: u32, flags: u16) -> WasiResult<()> {
        let entry = self.get(fd)?;
        entry.check(rights::FD_FDSTAT_SET_FLAGS)?;
        if flags & !(fdflags::APPEND | fdflags::NONBLOCK) != 0 {
            return Err(Errno::NOTSUP);
        }
        let host_fd = match &entry.kind {
            FdKind::File(f) => f.as_fd(),
            FdKind::Dir(d) => d.as_fd(),
            // Changing the flags of the shared standard streams would affect the host.
            _ if flags == 0 => return Ok(()),
            _ => return Err(Errno::NOTSUP),
        };
        let mut host = rustix::fs::fcntl_getfl(host_fd)?;
        host.set(OFlags::APPEND, flags & fdflags::APPEND != 0);
        host.set(OFlags::NONBLOCK, flags & fdflags::NONBLOCK != 0);
        rustix::fs::fcntl_setfl(host_fd, host)?;
        Ok(())
    }

    /// `fd_fdstat_set_rights`: rights can only be dropped.
    pub fn set_rights(&mut self, fd: u32, base: u64, inheriting: u64) -> WasiResult<()> {
        let entry = self.get_mut(fd)?;
        if base & !entry.rights_base != 0 || inheriting & !entry.rights_inheriting != 0 {
            return Err(Errno::NOTCAPABLE);
        }
        entry.rights_base = base;
        entry.rights_inheriting = inheriting;
        Ok(())
    }

    /// `fd_filestat_get`.
    pub fn filestat(&self, fd: u32) -> WasiResult<Filestat> {
        let entry = self.get(fd)?;
        entry.check(rights::FD_FILESTAT_GET)?;
        match &entry.kind {
            FdKind::File(f) => Ok(filestat_of_std(&f.metadata()?)),
            FdKind::Dir(d) => Ok(filestat_of_cap(&d.dir_metadata()?)),
            _ => Ok(Filestat {
                filetype: self.fdstat(fd)?.filetype,
                ..Filestat::default()
            }),
        }
    }

    /// `fd_filestat_set_size`.
    pub fn set_size(&mut self, fd: u32, size: u64) -> WasiResult<()> {
        let file = self.get(fd)?.file(rights::FD_FILESTAT_SET_SIZE)?;
        Ok(file.set_len(size)?)
    }

    /// `fd_filestat_set_times`.
    pub fn set_times(&mut self, fd: u32, atim: u64, mtim: u64, flags: u16) -> WasiResult<()> {
        let entry = self.get(fd)?;
        entry.check(rights::FD_FILESTAT_SET_TIMES)?;
        let times = timestamps(atim, mtim, flags)?;
        let host_fd = entry.host_fd().ok_or(Errno::BADF)?;
        Ok(rustix::fs::futimens(host_fd, &times)?)
    }

    /// `fd_sync` (`data_only`: `fd_datasync`).
    pub fn sync(&mut self, fd: u32, data_only: bool) -> WasiResult<()> {
        let entry = self.get(fd)?;
        entry.check(if data_only {
            rights::FD_DATASYNC
        } else {
            rights::FD_SYNC
        })?;
        let host_fd = match &entry.kind {
            FdKind::File(f) => f.as_fd(),
            FdKind::Dir(d) => d.as_fd(),
            _ => return Err(Errno::INVAL),
        };
        if data_only {
            rustix::fs::fdatasync(host_fd)?;
        } else {
            rustix::fs::fsync(host_fd)?;
        }
        Ok(())
    }

    /// `fd_advise`.
    pub fn advise(&mut self, fd: u32, offset: u64, len: u64, how: u8) -> WasiResult<()> {
        use rustix::fs::Advice;
        let file = self.get(fd)?.file(rights::FD_ADVISE)?;
        let how = match how {
            advice::NORMAL => Advice::Normal,
            advice::SEQUENTIAL => Advice::Sequential,
            advice::RANDOM => Advice::Random,
            advice::WILLNEED => Advice::WillNeed,
            advice::DONTNEED => Advice::DontNeed,
            advice::NOREUSE => Advice::NoReuse,
            _ => return Err(Errno::INVAL),
        };
        Ok(rustix::fs::fadvise(
            file,
            offset,
            std::num::NonZeroU64::new(len),
            how,
        )?)
    }

    /// `fd_allocate`: makes sure `offset..offset + len` is allocated (the file may grow).
    pub fn allocate(&mut self, fd: u32, offset: u64, len: u64) -> WasiResult<()> {
        let file = self.get(fd)?.file(rights::FD_ALLOCATE)?;
        if len == 0 {
            return Err(Errno::INVAL);
        }
        let end = offset.checked_add(len).ok_or(Errno::FBIG)?;
        match rustix::fs::fallocate(file, rustix::fs::FallocateFlags::empty(), offset, len) {
            Ok(()) => Ok(()),
            // Some file systems cannot preallocate; growing the file is what matters.
            Err(rustix::io::Errno::OPNOTSUPP) => {
                if file.metadata()?.len() < end {
                    file.set_len(end)?;
                }
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The listing of directory `fd` for `fd_readdir`: `.` and `..` first (as Wasmtime lists
    /// them), then the entries, one at a time. The listing owns its own host handle, so it
    /// borrows nothing of the table.
    pub fn readdir(&self, fd: u32) -> WasiResult<DirListing> {
        let entry = self.get(fd)?;
        let dir = match &entry.kind {
            FdKind::Dir(dir) => dir,
            _ => return Err(Errno::NOTDIR),
        };
        entry.check(rights::FD_READDIR)?;
        Ok(DirListing {
            self_ino: cap_std::fs::MetadataExt::ino(&dir.dir_metadata()?),
            dots: 0,
            entries: dir.entries()?,
        })
    }

    /// `sock_*`: nothing this table holds is a socket (`ENOTSOCK`), unless an inherited
    /// standard stream is one, which is not supported (`ENOTSUP`); `EBADF` for a closed fd.
    pub fn socket(&self, fd: u32) -> WasiResult<()> {
        let entry = self.get(fd)?;
        match entry.host_fd().map(rustix::fs::fstat) {
            Some(Ok(stat))
                if rustix::fs::FileType::from_raw_mode(stat.st_mode)
                    == rustix::fs::FileType::Socket =>
            {
                Err(Errno::NOTSUP)
            }
            _ => Err(Errno::NOTSOCK),
        }
    }

    /// How `poll_oneoff` treats `fd`: a host fd to poll, or ready at once with this many
    /// bytes available.
    pub fn poll_target(&self, fd: u32, write: bool) -> WasiResult<PollTarget> {
        let entry = self.get(fd)?;
        entry.check(rights::POLL_FD_READWRITE)?;
        Ok(match &entry.kind {
            FdKind::File(f) => {
                let available = if write {
                    0
                } else {
                    let len = f.metadata()?.len();
                    let pos = rustix::fs::seek(f, rustix::fs::SeekFrom::Current(0))?;
                    len.saturating_sub(pos)
                };
                PollTarget::Ready(available)
            }
            FdKind::Dir(_) => return Err(Errno::BADF),
            FdKind::Stdin(Input::Bytes(c)) if !write => {
                PollTarget::Ready((c.get_ref().len() as u64).saturating_sub(c.position()))
            }
            FdKind::Output(Output::Null | Output::Capture(_)) if write => PollTarget::Ready(0),
            FdKind::Stdin(Input::Inherit) => PollTarget::Host(0),
            FdKind::Output(Output::Stdout) => PollTarget::Host(1),
            FdKind::Output(Output::Stderr) => PollTarget::Host(2),
            _ => return Err(Errno::BADF),
        })
    }
}

/// What `poll_oneoff` does with an fd subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollTarget {
    /// Ready now, with this many bytes.
    Ready(u64),
    /// Ask the host about this process's standard stream 0, 1 or 2 (the only host fds a
    /// guest can wait for).
    Host(i32),
}

/// Writes to this process's stream `fd` directly (no buffering in this process, so the
/// guest's output interleaves with ours exactly as it was written).
fn write_host(fd: i32, data: &[u8]) -> io::Result<usize> {
    loop {
        match rustix::io::write(std_fd(fd), data) {
            Err(rustix::io::Errno::INTR) => continue,
            other => return other.map_err(io::Error::from),
        }
    }
}

/// A stream is a character device only if it is a terminal (what Wasmtime reports; it tells
/// wasi-libc's `isatty`).
fn tty_filetype(fd: i32) -> u8 {
    if rustix::termios::isatty(std_fd(fd)) {
        filetype::CHARACTER_DEVICE
    } else {
        filetype::UNKNOWN
    }
}

/// The `rustix` timestamps for a `*_set_times` call.
pub(crate) fn timestamps(atim: u64, mtim: u64, flags: u16) -> WasiResult<Timestamps> {
    let one = |time: u64, set: u16, now: u16| -> WasiResult<Timespec> {
        match (flags & set != 0, flags & now != 0) {
            (true, true) => Err(Errno::INVAL),
            (false, true) => Ok(Timespec {
                tv_sec: 0,
                tv_nsec: UTIME_NOW,
            }),
            (true, false) => Ok(Timespec {
                tv_sec: (time / 1_000_000_000) as i64,
                tv_nsec: (time % 1_000_000_000) as _,
            }),
            (false, false) => Ok(Timespec {
                tv_sec: 0,
                tv_nsec: UTIME_OMIT,
            }),
        }
    };
    Ok(Timestamps {
        last_access: one(atim, fstflags::ATIM, fstflags::ATIM_NOW)?,
        last_modification: one(mtim, fstflags::MTIM, fstflags::MTIM_NOW)?,
    })
}

/// The WASI file type of a `std` or `cap-std` `FileType`: the two have the same predicates
/// but no common trait, so one decision table serves both.
macro_rules! wasi_filetype {
    ($t:expr) => {{
        let t = $t;
        if t.is_file() {
            filetype::REGULAR_FILE
        } else if t.is_dir() {
            filetype::DIRECTORY
        } else if t.is_symlink() {
            filetype::SYMBOLIC_LINK
        } else if t.is_char_device() {
            filetype::CHARACTER_DEVICE
        } else if t.is_block_device() {
            filetype::BLOCK_DEVICE
        } else if t.is_socket() {
            filetype::SOCKET_STREAM
        } else {
            filetype::UNKNOWN
        }
    }};
}

fn filetype_of_std(t: &std::fs::FileType) -> u8 {
    use std::os::unix::fs::FileTypeExt;
    wasi_filetype!(t)
}

pub(crate) fn filetype_of_cap(t: &cap_std::fs::FileType) -> u8 {
    use cap_std::fs::FileTypeExt;
    wasi_filetype!(t)
}

fn filestat_of_std(m: &std::fs::Metadata) -> Filestat {
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: filetype_of_std(&m.file_type()),
        nlink: m.nlink(),
        size: m.size(),
        atim: timestamp(m.atime(), m.atime_nsec()),
        mtim: timestamp(m.mtime(), m.mtime_nsec()),
        ctim: timestamp(m.ctime(), m.ctime_nsec()),
    }
}

pub(crate) fn filestat_of_cap(m: &cap_std::fs::Metadata) -> Filestat {
    use cap_std::fs::MetadataExt as _;
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: filetype_of_cap(&m.file_type()),
        nlink: m.nlink(),
        size: m.size(),
        atim: timestamp(m.atime(), m.atime_nsec()),
        mtim: timestamp(m.mtime(), m.mtime_nsec()),
        ctim: timestamp(m.ctime(), m.ctime_nsec()),
    }
}
