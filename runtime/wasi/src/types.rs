//! The types and constants of `wasi_snapshot_preview1` (from its witx), and the mapping from
//! host I/O errors to WASI error numbers.
//!
//! Only what the implementation needs is named here; the values are those of the witx
//! definition, which is frozen.

use std::io;

/// A WASI error number (`errno`). `Errno::SUCCESS` is 0; every host function returns one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub u16);

#[allow(missing_docs)]
impl Errno {
    pub const SUCCESS: Errno = Errno(0);
    /// Not a WASI errno: the store was asked to stop while the call waited (interrupt
    /// handle, `--timeout`, epoch deadline). The glue turns it into an `Interrupted` trap;
    /// the guest never sees it.
    pub const HOST_INTERRUPT: Errno = Errno(u16::MAX);
    pub const TOOBIG: Errno = Errno(1);
    pub const ACCES: Errno = Errno(2);
    pub const ADDRINUSE: Errno = Errno(3);
    pub const ADDRNOTAVAIL: Errno = Errno(4);
    pub const AFNOSUPPORT: Errno = Errno(5);
    pub const AGAIN: Errno = Errno(6);
    pub const ALREADY: Errno = Errno(7);
    pub const BADF: Errno = Errno(8);
    pub const BADMSG: Errno = Errno(9);
    pub const BUSY: Errno = Errno(10);
    pub const CANCELED: Errno = Errno(11);
    pub const CHILD: Errno = Errno(12);
    pub const CONNABORTED: Errno = Errno(13);
    pub const CONNREFUSED: Errno = Errno(14);
    pub const CONNRESET: Errno = Errno(15);
    pub const DEADLK: Errno = Errno(16);
    pub const DESTADDRREQ: Errno = Errno(17);
    pub const DOM: Errno = Errno(18);
    pub const DQUOT: Errno = Errno(19);
    pub const EXIST: Errno = Errno(20);
    pub const FAULT: Errno = Errno(21);
    pub const FBIG: Errno = Errno(22);
    pub const HOSTUNREACH: Errno = Errno(23);
    pub const IDRM: Errno = Errno(24);
    pub const ILSEQ: Errno = Errno(25);
    pub const INPROGRESS: Errno = Errno(26);
    pub const INTR: Errno = Errno(27);
    pub const INVAL: Errno = Errno(28);
    pub const IO: Errno = Errno(29);
    pub const ISCONN: Errno = Errno(30);
    pub const ISDIR: Errno = Errno(31);
    pub const LOOP: Errno = Errno(32);
    pub const MFILE: Errno = Errno(33);
    pub const MLINK: Errno = Errno(34);
    pub const MSGSIZE: Errno = Errno(35);
    pub const MULTIHOP: Errno = Errno(36);
    pub const NAMETOOLONG: Errno = Errno(37);
    pub const NETDOWN: Errno = Errno(38);
    pub const NETRESET: Errno = Errno(39);
    pub const NETUNREACH: Errno = Errno(40);
    pub const NFILE: Errno = Errno(41);
    pub const NOBUFS: Errno = Errno(42);
    pub const NODEV: Errno = Errno(43);
    pub const NOENT: Errno = Errno(44);
    pub const NOEXEC: Errno = Errno(45);
    pub const NOLCK: Errno = Errno(46);
    pub const NOLINK: Errno = Errno(47);
    pub const NOMEM: Errno = Errno(48);
    pub const NOMSG: Errno = Errno(49);
    pub const NOPROTOOPT: Errno = Errno(50);
    pub const NOSPC: Errno = Errno(51);
    pub const NOSYS: Errno = Errno(52);
    pub const NOTCONN: Errno = Errno(53);
    pub const NOTDIR: Errno = Errno(54);
    pub const NOTEMPTY: Errno = Errno(55);
    pub const NOTRECOVERABLE: Errno = Errno(56);
    pub const NOTSOCK: Errno = Errno(57);
    pub const NOTSUP: Errno = Errno(58);
    pub const NOTTY: Errno = Errno(59);
    pub const NXIO: Errno = Errno(60);
    pub const OVERFLOW: Errno = Errno(61);
    pub const OWNERDEAD: Errno = Errno(62);
    pub const PERM: Errno = Errno(63);
    pub const PIPE: Errno = Errno(64);
    pub const PROTO: Errno = Errno(65);
    pub const PROTONOSUPPORT: Errno = Errno(66);
    pub const PROTOTYPE: Errno = Errno(67);
    pub const RANGE: Errno = Errno(68);
    pub const ROFS: Errno = Errno(69);
    pub const SPIPE: Errno = Errno(70);
    pub const SRCH: Errno = Errno(71);
    pub const STALE: Errno = Errno(72);
    pub const TIMEDOUT: Errno = Errno(73);
    pub const TXTBSY: Errno = Errno(74);
    pub const XDEV: Errno = Errno(75);
    pub const NOTCAPABLE: Errno = Errno(76);
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Errno {
        if let Some(code) = e.raw_os_error() {
            return from_host_errno(code);
        }
        // Errors made up by std or cap-std (no OS error number). cap-std reports a path that
        // would leave the sandbox as `PermissionDenied` ("a path led outside of the
        // filesystem"), which Wasmtime reports as `EPERM` too.
        match e.kind() {
            io::ErrorKind::NotFound => Errno::NOENT,
            io::ErrorKind::PermissionDenied => Errno::PERM,
            io::ErrorKind::AlreadyExists => Errno::EXIST,
            io::ErrorKind::InvalidInput => Errno::INVAL,
            io::ErrorKind::InvalidData => Errno::ILSEQ,
            io::ErrorKind::WouldBlock => Errno::AGAIN,
            io::ErrorKind::Interrupted => Errno::INTR,
            io::ErrorKind::Unsupported => Errno::NOTSUP,
            io::ErrorKind::OutOfMemory => Errno::NOMEM,
            io::ErrorKind::BrokenPipe => Errno::PIPE,
            io::ErrorKind::NotADirectory => Errno::NOTDIR,
            io::ErrorKind::IsADirectory => Errno::ISDIR,
            io::ErrorKind::DirectoryNotEmpty => Errno::NOTEMPTY,
            io::ErrorKind::ReadOnlyFilesystem => Errno::ROFS,
            io::ErrorKind::StorageFull => Errno::NOSPC,
            io::ErrorKind::FileTooLarge => Errno::FBIG,
            io::ErrorKind::InvalidFilename => Errno::NAMETOOLONG,
            io::ErrorKind::CrossesDevices => Errno::XDEV,
            io::ErrorKind::TooManyLinks => Errno::MLINK,
            _ => Errno::IO,
        }
    }
}

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Errno {
        from_host_errno(e.raw_os_error())
    }
}

/// The WASI error for a host (Linux/Unix) `errno` value.
fn from_host_errno(code: i32) -> Errno {
    use libc::*;
    match code {
        E2BIG => Errno::TOOBIG,
        EACCES => Errno::ACCES,
        EADDRINUSE => Errno::ADDRINUSE,
        EADDRNOTAVAIL => Errno::ADDRNOTAVAIL,
        EAFNOSUPPORT => Errno::AFNOSUPPORT,
        EAGAIN => Errno::AGAIN,
        EALREADY => Errno::ALREADY,
        EBADF => Errno::BADF,
        EBADMSG => Errno::BADMSG,
        EBUSY => Errno::BUSY,
        ECANCELED => Errno::CANCELED,
        ECHILD => Errno::CHILD,
        ECONNABORTED => Errno::CONNABORTED,
        ECONNREFUSED => Errno::CONNREFUSED,
        ECONNRESET => Errno::CONNRESET,
        EDEADLK => Errno::DEADLK,
        EDESTADDRREQ => Errno::DESTADDRREQ,
        EDOM => Errno::DOM,
        EDQUOT => Errno::DQUOT,
        EEXIST => Errno::EXIST,
        EFAULT => Errno::FAULT,
        EFBIG => Errno::FBIG,
        EHOSTUNREACH => Errno::HOSTUNREACH,
        EIDRM => Errno::IDRM,
        EILSEQ => Errno::ILSEQ,
        EINPROGRESS => Errno::INPROGRESS,
        EINTR => Errno::INTR,
        EINVAL => Errno::INVAL,
        EIO => Errno::IO,
        EISCONN => Errno::ISCONN,
        EISDIR => Errno::ISDIR,
        ELOOP => Errno::LOOP,
        EMFILE => Errno::MFILE,
        EMLINK => Errno::MLINK,
        EMSGSIZE => Errno::MSGSIZE,
        EMULTIHOP => Errno::MULTIHOP,
        ENAMETOOLONG => Errno::NAMETOOLONG,
        ENETDOWN => Errno::NETDOWN,
        ENETRESET => Errno::NETRESET,
        ENETUNREACH => Errno::NETUNREACH,
        ENFILE => Errno::NFILE,
        ENOBUFS => Errno::NOBUFS,
        ENODEV => Errno::NODEV,
        ENOENT => Errno::NOENT,
        ENOEXEC => Errno::NOEXEC,
        ENOLCK => Errno::NOLCK,
        ENOLINK => Errno::NOLINK,
        ENOMEM => Errno::NOMEM,
        ENOMSG => Errno::NOMSG,
        ENOPROTOOPT => Errno::NOPROTOOPT,
        ENOSPC => Errno::NOSPC,
        ENOSYS => Errno::NOSYS,
        ENOTCONN => Errno::NOTCONN,
        ENOTDIR => Errno::NOTDIR,
        ENOTEMPTY => Errno::NOTEMPTY,
        ENOTRECOVERABLE => Errno::NOTRECOVERABLE,
        ENOTSOCK => Errno::NOTSOCK,
        ENOTSUP => Errno::NOTSUP,
        ENOTTY => Errno::NOTTY,
        ENXIO => Errno::NXIO,
        EOVERFLOW => Errno::OVERFLOW,
        EOWNERDEAD => Errno::OWNERDEAD,
        EPERM => Errno::PERM,
        EPIPE => Errno::PIPE,
        EPROTO => Errno::PROTO,
        EPROTONOSUPPORT => Errno::PROTONOSUPPORT,
        EPROTOTYPE => Errno::PROTOTYPE,
        ERANGE => Errno::RANGE,
        EROFS => Errno::ROFS,
        ESPIPE => Errno::SPIPE,
        ESRCH => Errno::SRCH,
        ESTALE => Errno::STALE,
        ETIMEDOUT => Errno::TIMEDOUT,
        ETXTBSY => Errno::TXTBSY,
        // openat2(RESOLVE_BENEATH) reports an escape as EXDEV; cap-std normally turns it
        // into its own error first, but be safe.
        EXDEV => Errno::XDEV,
        _ => Errno::IO,
    }
}

/// The result type of the WASI operations.
pub type WasiResult<T> = Result<T, Errno>;

/// `rights` bits: what an fd may be used for.
#[allow(missing_docs)]
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;

    /// Every right.
    pub const ALL: u64 = (1 << 30) - 1;
    /// The rights that make sense on a regular file.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
    /// The rights that make sense on a directory (as an fd of its own).
    pub const DIR: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_DATASYNC
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;
    /// The rights of a standard input/output stream.
    pub const STDIO: u64 =
        FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;
}

/// `filetype` values.
#[allow(missing_docs)]
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `fdflags` bits.
#[allow(missing_docs)]
pub mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
}

/// `oflags` bits (for `path_open`).
#[allow(missing_docs)]
pub mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
}

/// `lookupflags`: follow a symbolic link at the end of the path.
pub const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `fstflags` bits (for the `*_set_times` calls).
#[allow(missing_docs)]
pub mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
}

/// `clockid` values.
#[allow(missing_docs)]
pub mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

/// `eventtype` values (for `poll_oneoff`).
#[allow(missing_docs)]
pub mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `subclockflags`: the timeout is an absolute time of the clock.
pub const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;

/// `eventrwflags`: the peer hung up.
pub const EVENT_FD_READWRITE_HANGUP: u16 = 1;

/// `whence` values (for `fd_seek`).
#[allow(missing_docs)]
pub mod whence {
    pub const SET: u8 = 0;
    pub const CUR: u8 = 1;
    pub const END: u8 = 2;
}

/// `advice` values (for `fd_advise`).
#[allow(missing_docs)]
pub mod advice {
    pub const NORMAL: u8 = 0;
    pub const SEQUENTIAL: u8 = 1;
    pub const RANDOM: u8 = 2;
    pub const WILLNEED: u8 = 3;
    pub const DONTNEED: u8 = 4;
    pub const NOREUSE: u8 = 5;
}

/// `fdstat`: what `fd_fdstat_get` writes (24 bytes in guest memory).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fdstat {
    /// The file type.
    pub filetype: u8,
    /// `fdflags`.
    pub flags: u16,
    /// The rights of this fd.
    pub rights_base: u64,
    /// The rights fds opened from this one may have.
    pub rights_inheriting: u64,
}

impl Fdstat {
    /// The guest-memory layout.
    pub fn to_bytes(&self) -> [u8; 24] {
        let mut b = [0u8; 24];
        b[0] = self.filetype;
        b[2..4].copy_from_slice(&self.flags.to_le_bytes());
        b[8..16].copy_from_slice(&self.rights_base.to_le_bytes());
        b[16..24].copy_from_slice(&self.rights_inheriting.to_le_bytes());
        b
    }
}

/// `filestat`: what the `*_filestat_get` calls write (64 bytes in guest memory).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filestat {
    /// Device id.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// The file type.
    pub filetype: u8,
    /// Number of hard links.
    pub nlink: u64,
    /// Size in bytes.
    pub size: u64,
    /// Last access, in nanoseconds since the epoch.
    pub atim: u64,
    /// Last modification, in nanoseconds since the epoch.
    pub mtim: u64,
    /// Last status change, in nanoseconds since the epoch.
    pub ctim: u64,
}

impl Filestat {
    /// The guest-memory layout.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16] = self.filetype;
        b[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        b[32..40].copy_from_slice(&self.size.to_le_bytes());
        b[40..48].copy_from_slice(&self.atim.to_le_bytes());
        b[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        b[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        b
    }
}

/// Nanoseconds since the epoch from seconds and nanoseconds (clamped to 0 before 1970).
pub fn timestamp(secs: i64, nsecs: i64) -> u64 {
    if secs < 0 {
        return 0;
    }
    (secs as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsecs.max(0) as u64)
}
