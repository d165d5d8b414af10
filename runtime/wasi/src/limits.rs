//! What a guest can make the host allocate: the bounds of every WASI call.
//!
//! A guest chooses counts, pointers and lengths; none of them may make the host allocate in
//! proportion to it. Every call therefore checks what it is given against the guest's memory
//! **before** it allocates or does anything else:
//!
//! - an array of `count` structures of `size` bytes (iovecs, subscriptions, events) must fit
//!   in memory at all, `count * size <= memory length`, or the call fails with `EINVAL`; and it
//!   must be inside memory at its pointer, or the call fails with `EFAULT`;
//! - every buffer (`ptr`, `len`), and every result pointer, must be inside memory (`EFAULT`;
//!   an empty range past the end of memory is out of bounds too);
//! - a path longer than [`PATH_MAX`] bytes fails with `ENAMETOOLONG` without being copied.
//!
//! Data then moves between guest memory and the host in chunks of at most [`IO_CHUNK`] bytes
//! (one host buffer per call, of at most that size), at most [`IOV_MAX`] iovecs are taken per
//! call and at most [`MAX_TRANSFER`] bytes are moved by one call (the rest is a short count,
//! which POSIX allows and every caller of `read`/`write` handles); lists (directory entries,
//! subscriptions) are streamed one entry at a time.
//!
//! # The bound of each function
//!
//! "Fixed" means a few dozen bytes on the stack. Host-sized data (arguments, environment,
//! preopen names) is what the embedder configured, never chosen by the guest; host calls
//! (cap-std, the kernel) may allocate internally, bounded by the kernel's own limits (a path
//! or a link target is at most 4096 bytes, a file name at most 255).
//!
//! | function | guest-supplied sizes | host memory per call |
//! |---|---|---|
//! | `args_get`, `environ_get` | none (pointer array and buffer checked against the sizes `*_sizes_get` reports, `EFAULT`) | none: written from the context in place |
//! | `args_sizes_get`, `environ_sizes_get` | none | fixed |
//! | `clock_res_get`, `clock_time_get` | none | fixed |
//! | `fd_advise`, `fd_allocate`, `fd_filestat_set_size` | offsets and lengths go to the kernel (disk space, not memory) | fixed |
//! | `fd_close`, `fd_datasync`, `fd_sync`, `fd_renumber` | none | fixed |
//! | `fd_fdstat_get`, `fd_fdstat_set_flags`, `fd_fdstat_set_rights` | none | fixed |
//! | `fd_filestat_get`, `fd_filestat_set_times`, `fd_seek`, `fd_tell` | none | fixed |
//! | `fd_prestat_get` | none | fixed |
//! | `fd_prestat_dir_name` | buffer length (checked, `EFAULT`) | the preopen's name (host-sized) |
//! | `fd_read`, `fd_pread` | iovec count (`EINVAL`/`EFAULT`), each iovec (`EFAULT`) | [`IOV_MAX`] iovecs (8 KiB) + one buffer of at most [`IO_CHUNK`]; at most [`MAX_TRANSFER`] bytes per call |
//! | `fd_write`, `fd_pwrite` | the same | the same (a captured stdout/stderr keeps what was written: that is what capturing means) |
//! | `fd_readdir` | buffer length (`EFAULT`) | one entry at a time (24 bytes + a name of at most 255 bytes), written straight into the guest's buffer |
//! | `path_create_directory`, `path_remove_directory`, `path_unlink_file` | path length (`EFAULT`, `ENAMETOOLONG` over [`PATH_MAX`]) | one path of at most [`PATH_MAX`] |
//! | `path_filestat_get`, `path_filestat_set_times`, `path_open` | path length | one path of at most [`PATH_MAX`] |
//! | `path_link`, `path_rename`, `path_symlink` | two path lengths (a symlink's target too) | two paths of at most [`PATH_MAX`] |
//! | `path_readlink` | path length, buffer length (`EFAULT`) | one path + the link's target (at most 4096 bytes, the kernel's limit) |
//! | `poll_oneoff` | subscription count (48 bytes each, `EINVAL`/`EFAULT`), event array (32 bytes each, `EINVAL`/`EFAULT`) | fixed: subscriptions are read from guest memory twice (to wait, then to report) and events written straight into it; the host `poll` set has at most 6 entries (stdin/stdout/stderr, read/write) |
//! | `proc_exit`, `proc_raise`, `sched_yield` | none | fixed |
//! | `random_get` | buffer length (`EFAULT`) | none: the kernel fills guest memory directly |
//! | `sock_accept`, `sock_shutdown` | none (result pointer checked) | fixed; `ENOTSOCK` on anything but a socket |
//! | `sock_recv`, `sock_send` | iovec count and iovecs, as `fd_read` (checked first) | the iovec list ([`IOV_MAX`] entries, 8 KiB); `ENOTSOCK` on anything but a socket |
//!
//! # Host memory in flight
//!
//! So one WASI call holds at most [`MAX_CALL_BYTES`] of host buffers that depend on its
//! arguments: an I/O chunk ([`IO_CHUNK`], 64 KiB) and its iovec list (8 KiB), or up to two
//! paths (2 × 4 KiB). Calls on one store never overlap (a host call has the store to
//! itself), so that is also the most WASI holds in flight per store, whatever the guest asks
//! for: at most 72 KiB of host buffers per call, and per store.

/// The largest host buffer one call uses to move data between guest memory and a file or
/// stream: 64 KiB. Larger transfers are streamed chunk by chunk.
pub const IO_CHUNK: usize = 64 * 1024;

/// The most iovecs one `fd_read`/`fd_pread`/`fd_write`/`fd_pwrite` call takes (Linux's
/// `IOV_MAX`): the others are still checked, but a call moves data only through the first
/// 1024 (a short count).
pub const IOV_MAX: usize = 1024;

/// The most bytes one read or write call moves: `0x7fff_f000`, as Linux's `read`/`write`
/// (`MAX_RW_COUNT`); it also keeps the count within the `u32` the call reports.
pub const MAX_TRANSFER: usize = 0x7fff_f000;

/// The longest path a `path_*` call accepts: 4096 bytes (Linux's `PATH_MAX`); longer ones
/// fail with `ENAMETOOLONG` before they are copied out of guest memory.
pub const PATH_MAX: usize = 4096;

/// The most host memory one WASI call allocates because of its arguments: an I/O chunk and
/// its iovec list ([`IO_CHUNK`] + 8 × [`IOV_MAX`] = 72 KiB), which is more than two paths.
pub const MAX_CALL_BYTES: usize = IO_CHUNK + 8 * IOV_MAX;
