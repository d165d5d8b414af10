//! The `path_*` calls: everything that names a file by a path relative to a directory fd.
//!
//! Every path is resolved by `cap-std` relative to the directory fd's own host handle, so
//! `..`, absolute paths and symbolic links can never lead outside the preopened directory the
//! fd came from: such a path fails with `EPERM` (what Wasmtime reports; cap-std calls it an
//! escape attempt) and nothing on the host is touched.

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt,
    SystemTimeSpec,
};
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};

use super::fdtable::{FdEntry, FdKind, FdTable, filestat_of_cap};
use super::types::{
    Errno, Filestat, LOOKUP_SYMLINK_FOLLOW, WasiResult, fdflags, fstflags, oflags, rights,
};

/// The arguments of `path_open` beyond the directory and the path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenRequest {
    pub lookup_flags: u32,
    pub oflags: u16,
    pub rights_base: u64,
    pub rights_inheriting: u64,
    pub fdflags: u16,
}

/// A guest path as a host path: UTF-8 (`EILSEQ` otherwise), not empty (`ENOENT`).
fn guest_path(path: &[u8]) -> WasiResult<&str> {
    let path = std::str::from_utf8(path).map_err(|_| Errno::ILSEQ)?;
    if path.is_empty() {
        return Err(Errno::NOENT);
    }
    if path.contains('\0') {
        return Err(Errno::ILSEQ);
    }
    Ok(path)
}

fn follow(lookup_flags: u32) -> bool {
    lookup_flags & LOOKUP_SYMLINK_FOLLOW != 0
}

impl FdTable {
    /// `path_open`: returns the new fd.
    pub fn path_open(&mut self, fd: u32, path: &[u8], req: OpenRequest) -> WasiResult<u32> {
        let parent = self.get(fd)?;
        let mut needed = rights::PATH_OPEN;
        if req.oflags & oflags::CREAT != 0 {
            needed |= rights::PATH_CREATE_FILE;
        }
        if req.oflags & oflags::TRUNC != 0 {
            needed |= rights::PATH_FILESTAT_SET_SIZE;
        }
        let dir = parent.dir(needed)?;
        let path = guest_path(path)?;
        // The new fd's rights: what was asked for, within what the directory passes on.
        let base = req.rights_base & parent.rights_inheriting;
        let inheriting = req.rights_inheriting & parent.rights_inheriting;
        let follow_links = if follow(req.lookup_flags) {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        };

        let kind = if req.oflags & oflags::DIRECTORY != 0 {
            if req.oflags & (oflags::CREAT | oflags::EXCL | oflags::TRUNC) != 0 {
                return Err(Errno::INVAL);
            }
            let opened = match follow_links {
                FollowSymlinks::Yes => dir.open_dir(path)?,
                FollowSymlinks::No => dir.open_dir_nofollow(path)?,
            };
            FdKind::Dir(opened)
        } else {
            let read = base & (rights::FD_READ | rights::FD_READDIR) != 0;
            let mut write = base
                & (rights::FD_DATASYNC
                    | rights::FD_WRITE
                    | rights::FD_ALLOCATE
                    | rights::FD_FILESTAT_SET_SIZE)
                != 0;
            let append = req.fdflags & fdflags::APPEND != 0;
            let creat = req.oflags & oflags::CREAT != 0;
            let trunc = req.oflags & oflags::TRUNC != 0;
            // The host cannot create or truncate through a read-only handle.
            if creat || trunc {
                write = true;
            }
            // `O_APPEND` goes to the host as a flag of its own, so that it combines with
            // anything: with `O_TRUNC` (which std's and cap-std's option checks refuse next to
            // `append`), and with a read-only handle (append only matters to writes; the fd
            // still reports the flag).
            let mut custom = 0;
            if append {
                custom |= libc::O_APPEND;
            }
            let mut options = OpenOptions::new();
            options
                .read(read || !write)
                .write(write)
                .create(creat)
                .create_new(creat && req.oflags & oflags::EXCL != 0)
                .truncate(trunc)
                .custom_flags(custom)
                .follow(follow_links)
                .maybe_dir(!write)
                .sync(req.fdflags & fdflags::SYNC != 0)
                .dsync(req.fdflags & fdflags::DSYNC != 0)
                .rsync(req.fdflags & fdflags::RSYNC != 0)
                .nonblock(req.fdflags & fdflags::NONBLOCK != 0);
            match dir.open_with(path, &options) {
                Ok(file) if file.metadata()?.is_dir() => {
                    FdKind::Dir(Dir::from_std_file(file.into_std()))
                }
                Ok(file) => FdKind::File(file.into_std()),
                // A directory opened with rights that include writing ones (the rights a
                // directory fd is granted have `fd_datasync`): the host refuses a writable
                // handle, but a directory was asked for as much as a file was, so it is opened
                // as one and gets the directory rights among those asked for. Not when the
                // request is to create or truncate, or has no reading right at all (a
                // write-only open, `O_WRONLY`, of a directory is `EISDIR`, as in POSIX).
                Err(e) if e.raw_os_error() == Some(libc::EISDIR) && read && !creat && !trunc => {
                    FdKind::Dir(match follow_links {
                        FollowSymlinks::Yes => dir.open_dir(path)?,
                        FollowSymlinks::No => dir.open_dir_nofollow(path)?,
                    })
                }
                Err(e) => return Err(e.into()),
            }
        };
        let base = match kind {
            FdKind::Dir(_) => base & rights::DIR,
            _ => base & rights::FILE,
        };
        Ok(self.insert(FdEntry::new(kind, base, inheriting)))
    }

    /// `path_create_directory`.
    pub fn create_directory(&mut self, fd: u32, path: &[u8]) -> WasiResult<()> {
        let dir = self.get(fd)?.dir(rights::PATH_CREATE_DIRECTORY)?;
        Ok(dir.create_dir(guest_path(path)?)?)
    }

    /// `path_remove_directory`.
    pub fn remove_directory(&mut self, fd: u32, path: &[u8]) -> WasiResult<()> {
        let dir = self.get(fd)?.dir(rights::PATH_REMOVE_DIRECTORY)?;
        Ok(dir.remove_dir(guest_path(path)?)?)
    }

    /// `path_unlink_file`.
    pub fn unlink_file(&mut self, fd: u32, path: &[u8]) -> WasiResult<()> {
        let dir = self.get(fd)?.dir(rights::PATH_UNLINK_FILE)?;
        Ok(dir.remove_file(guest_path(path)?)?)
    }

    /// `path_rename`.
    pub fn rename(&mut self, fd: u32, old: &[u8], new_fd: u32, new: &[u8]) -> WasiResult<()> {
        let old_dir = self.get(fd)?.dir(rights::PATH_RENAME_SOURCE)?;
        let new_dir = self.get(new_fd)?.dir(rights::PATH_RENAME_TARGET)?;
        Ok(old_dir.rename(guest_path(old)?, new_dir, guest_path(new)?)?)
    }

    /// `path_link`: a hard link. Following a symbolic link at the source is not supported
    /// (`EINVAL`, as in Wasmtime).
    pub fn link(
        &mut self,
        fd: u32,
        lookup_flags: u32,
        old: &[u8],
        new_fd: u32,
        new: &[u8],
    ) -> WasiResult<()> {
        if follow(lookup_flags) {
            return Err(Errno::INVAL);
        }
        let old_dir = self.get(fd)?.dir(rights::PATH_LINK_SOURCE)?;
        let new_dir = self.get(new_fd)?.dir(rights::PATH_LINK_TARGET)?;
        Ok(old_dir.hard_link(guest_path(old)?, new_dir, guest_path(new)?)?)
    }

    /// `path_symlink`: creates `new` (relative to `fd`) pointing to `target`. An absolute
    /// target is refused (`EPERM`): it could only ever point outside the sandbox.
    pub fn symlink(&mut self, target: &[u8], fd: u32, new: &[u8]) -> WasiResult<()> {
        let dir = self.get(fd)?.dir(rights::PATH_SYMLINK)?;
        let target = std::str::from_utf8(target).map_err(|_| Errno::ILSEQ)?;
        Ok(dir.symlink(target, guest_path(new)?)?)
    }

    /// `path_readlink`: the link's contents.
    pub fn readlink(&self, fd: u32, path: &[u8]) -> WasiResult<Vec<u8>> {
        use std::os::unix::ffi::OsStringExt;
        let dir = self.get(fd)?.dir(rights::PATH_READLINK)?;
        let target = dir.read_link(guest_path(path)?)?;
        Ok(target.into_os_string().into_vec())
    }

    /// `path_filestat_get`.
    pub fn path_filestat(&self, fd: u32, lookup_flags: u32, path: &[u8]) -> WasiResult<Filestat> {
        let dir = self.get(fd)?.dir(rights::PATH_FILESTAT_GET)?;
        let path = guest_path(path)?;
        let meta = if follow(lookup_flags) {
            dir.metadata(path)?
        } else {
            dir.symlink_metadata(path)?
        };
        Ok(filestat_of_cap(&meta))
    }

    /// `path_filestat_set_times`.
    pub fn path_set_times(
        &mut self,
        fd: u32,
        lookup_flags: u32,
        path: &[u8],
        atim: u64,
        mtim: u64,
        flags: u16,
    ) -> WasiResult<()> {
        let dir = self.get(fd)?.dir(rights::PATH_FILESTAT_SET_TIMES)?;
        let path = guest_path(path)?;
        let atime = time_spec(atim, flags, fstflags::ATIM, fstflags::ATIM_NOW)?;
        let mtime = time_spec(mtim, flags, fstflags::MTIM, fstflags::MTIM_NOW)?;
        if follow(lookup_flags) {
            dir.set_times(path, atime, mtime)?;
        } else {
            dir.set_symlink_times(path, atime, mtime)?;
        }
        Ok(())
    }
}

/// One time of a `path_filestat_set_times` call: `None` leaves it unchanged.
fn time_spec(time: u64, flags: u16, set: u16, now: u16) -> WasiResult<Option<SystemTimeSpec>> {
    match (flags & set != 0, flags & now != 0) {
        (true, true) => Err(Errno::INVAL),
        (false, true) => Ok(Some(SystemTimeSpec::SymbolicNow)),
        (true, false) => {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(time);
            Ok(Some(SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(t),
            )))
        }
        (false, false) => Ok(None),
    }
}
