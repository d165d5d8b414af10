//! WASI preview 1 end to end: C programs (`tests/wasi/*.c`, compiled to `wasm32-wasi` by the
//! build script of `tierup-tests`) run through the `tierup run` command line in every
//! available tier mode, each checked for its exact stdout and exit code, with scratch
//! directories as preopens; sandbox escapes are checked to leave the host untouched. (The
//! import list and the embedding API are tested in `tests/tests/wasi.rs`.)

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tierup_tests::{CLI_TIME_LIMIT, ScratchDir, TIER_ROWS, scratch_dir, wasi_program as program};

/// The CLI tier names to run every program in: the spec suite's rows that are CLI tier names,
/// and at least `interp` and `tiered`.
fn tiers() -> Vec<&'static str> {
    let mut tiers: Vec<&'static str> = vec!["interp", "tiered"];
    for row in TIER_ROWS {
        if ["interp", "baseline", "opt", "tiered"].contains(&row.name) && !tiers.contains(&row.name)
        {
            tiers.push(row.name);
        }
    }
    tiers
}

/// What one run of the CLI produced.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `tierup` with `args`, feeding `stdin`, in directory `cwd`, with extra environment
/// variables `env`, under a wall-clock limit.
fn tierup_with(args: &[&OsStr], stdin: &[u8], cwd: Option<&Path>, env: &[(&str, &str)]) -> Run {
    let bin = env!("CARGO_BIN_EXE_tierup");
    let mut cmd = Command::new(bin);
    // A code cache of its own: every run starts cold.
    let cache = tierup_tests::scratch_dir();
    cmd.env("TIERUP_CACHE_DIR", cache.path());
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(cwd) = cwd {
        cmd.current_dir(cwd);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start tierup");
    let mut input = child.stdin.take().expect("stdin pipe");
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout pipe")));
    let err = drain(Box::new(child.stderr.take().expect("stderr pipe")));
    let start = Instant::now();
    let status = loop {
        match child.try_wait().expect("wait for tierup") {
            Some(status) => break status,
            None if start.elapsed() > CLI_TIME_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("tierup {args:?} did not finish within {CLI_TIME_LIMIT:?}");
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let _ = feeder.join();
    Run {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn os<'a>(args: &[&'a str]) -> Vec<&'a OsStr> {
    args.iter().map(|a| OsStr::new(*a)).collect()
}

/// `tierup run --tier TIER <options...>` with no stdin.
fn run(tier: &str, args: &[&str]) -> Run {
    let mut all = vec!["run", "--tier", tier];
    all.extend_from_slice(args);
    tierup_with(&os(&all), b"", None, &[])
}

#[track_caller]
fn expect(run: &Run, tier: &str, code: i32, stdout: &str) {
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(code), stdout),
        "tier {tier}; stderr:\n{}",
        run.stderr
    );
}

/// `--dir <host>::/sandbox` for a fresh scratch directory; returns (scratch root, the dir).
/// The root (and the dir in it) is removed when the root is dropped: keep it while the dir
/// is used.
fn sandbox() -> (ScratchDir, PathBuf) {
    let root = scratch_dir();
    let dir = root.join("box");
    std::fs::create_dir(&dir).expect("create sandbox");
    (root, dir)
}

fn dir_arg(host: &Path, guest: &str) -> String {
    format!("{}::{guest}", host.display())
}

// ---------------------------------------------------------------------------------------
// The acceptance program

const COPY_STDOUT: &str = "\
argv[0] = PROGRAM
argv[1] = /from
argv[2] = /to
argv[3] = --extra
GREETING = hello there
HOME = (unset)
copied 1000 bytes
entry: .
entry: ..
entry: input.txt
entry: nested
";

#[test]
fn copy_between_preopens_lists_and_exits_3() {
    for tier in tiers() {
        let root = scratch_dir();
        let (from, to) = (root.join("from"), root.join("to"));
        std::fs::create_dir_all(from.join("nested")).expect("mkdir");
        std::fs::create_dir(&to).expect("mkdir");
        let input: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(from.join("input.txt"), &input).expect("write input");
        let prog = program("copy");
        let prog = prog.to_str().expect("utf-8 path");
        let out = run(
            tier,
            &[
                "--dir",
                &dir_arg(&from, "/from"),
                "--dir",
                &dir_arg(&to, "/to"),
                "--env",
                "GREETING=hello there",
                prog,
                "/from",
                "/to",
                "--extra",
            ],
        );
        expect(&out, tier, 3, &COPY_STDOUT.replace("PROGRAM", prog));
        assert_eq!(std::fs::read(to.join("copy.txt")).expect("copied"), input);
    }
}

// ---------------------------------------------------------------------------------------
// Arguments, environment, exit codes, stdio

#[test]
fn args_and_env_are_exactly_what_was_granted() {
    for tier in tiers() {
        let prog = program("args_env");
        let mut args = os(&[
            "run",
            "--tier",
            tier,
            "--env",
            "A=1",
            "--env",
            "B=two words",
            "--env",
            "PASS_ME",
            "--env",
            "NOT_SET_ANYWHERE",
        ]);
        args.push(prog.as_os_str());
        args.extend(os(&["-x", "--dir", "a b", "--"]));
        let out = tierup_with(&args, b"", None, &[("PASS_ME", "passed")]);
        let expected = format!(
            "argc = 5\nargv[0] = [{}]\nargv[1] = [-x]\nargv[2] = [--dir]\nargv[3] = [a b]\n\
             argv[4] = [--]\nenv: A=1\nenv: B=two words\nenv: PASS_ME=passed\n\
             environ count = 3\nPATH is unset\n",
            prog.display()
        );
        expect(&out, tier, 0, &expected);
    }
}

#[test]
fn double_dash_ends_the_options() {
    let prog = program("args_env");
    let prog = prog.to_str().expect("utf-8");
    let out = run("interp", &["--", prog, "--env", "X=1"]);
    expect(
        &out,
        "interp",
        0,
        &format!(
            "argc = 3\nargv[0] = [{prog}]\nargv[1] = [--env]\nargv[2] = [X=1]\n\
             environ count = 0\nPATH is unset\n"
        ),
    );
}

#[test]
fn exit_codes_come_from_proc_exit() {
    let prog = program("exit");
    let prog = prog.to_str().expect("utf-8");
    for tier in tiers() {
        for (args, code) in [
            (&[][..], 0),
            (&["3"][..], 3),
            (&["125"][..], 125),
            (&["main", "7"][..], 7),
        ] {
            let mut all = vec![prog];
            all.extend_from_slice(args);
            let out = run(tier, &all);
            expect(&out, tier, code, "before exit\n");
        }
        // Statuses of 126 and above are reserved (as in Wasmtime): an error, exit code 1.
        let out = run(tier, &[prog, "200"]);
        expect(&out, tier, 1, "before exit\n");
        assert!(
            out.stderr.contains("invalid exit status 200"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_trap_exits_134_with_the_wasm_backtrace() {
    let prog = program("exit");
    for tier in tiers() {
        let out = run(tier, &[prog.to_str().expect("utf-8"), "trap"]);
        expect(&out, tier, 134, "before exit\n");
        assert!(
            out.stderr.contains("wasm trap: unreachable"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("wasm backtrace:"), "{}", out.stderr);
        assert!(out.stderr.contains("crash_here"), "{}", out.stderr);
    }
}

const STDIO_STDOUT: &str = "\
poll: stdin-readable 1 stdout-writable 1
isatty: 0 0 0
seek stdout: ESPIPE
write to stdin: EBADF
HELLO WASI
LINE TWO
read 19 bytes from stdin
close stdin: OK
read closed stdin: EBADF
";

#[test]
fn stdin_stdout_stderr_are_inherited() {
    for tier in tiers() {
        let prog = program("stdio");
        let args = [
            OsStr::new("run"),
            OsStr::new("--tier"),
            OsStr::new(tier),
            prog.as_os_str(),
        ];
        let out = tierup_with(&args, b"hello wasi\nline two", None, &[]);
        expect(&out, tier, 0, STDIO_STDOUT);
        assert_eq!(out.stderr, "this goes to stderr\n");
    }
}

// ---------------------------------------------------------------------------------------
// Files, directories, symbolic links, clocks

const FILES_STDOUT: &str = "\
create: OK
create again (O_EXCL): EEXIST
write: OK
writev: OK
tell: 22
seek end-3: 19
seek negative: EINVAL
pread: OK
pread: [world]
pwrite: OK
readv: OK
readv: [hel] [lo, WORLD
gathered
]read at eof: OK
fstat: OK
size 22, regular 1, nlink 1
ftruncate: OK
size after truncate: 5
posix_fallocate: OK
size after allocate: 4096
ftruncate back: OK
posix_fadvise: OK
fsync: OK
fdatasync: OK
futimens: OK
mtime: 1234567890.123456789 atime: 1000000000
utimensat: OK
stat: OK
mtime: 1500000000 atime: 1000000000
read closed fd: EBADF
open append: OK
append flag: 1
append write: OK
clear append: OK
append flag: 0
read write-only fd: EBADF
contents: [hello++]
write read-only fd: EBADF
open missing: ENOENT
open dir for writing: EISDIR
O_DIRECTORY on file: ENOTDIR
rename: OK
old name gone: ENOENT
link: OK
nlink after link: 2
unlink b: OK
unlink c: OK
unlink missing: ENOENT
unlink dir: EISDIR
size after O_TRUNC: 0
stdio: line 42
";

#[test]
fn files() {
    for tier in tiers() {
        let (_root, dir) = sandbox();
        let out = run(
            tier,
            &[
                "--dir",
                &dir_arg(&dir, "/sandbox"),
                program("files").to_str().expect("utf-8"),
            ],
        );
        expect(&out, tier, 0, FILES_STDOUT);
        let names: BTreeSet<String> = std::fs::read_dir(&dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, BTreeSet::from(["t.txt".to_string()]));
        assert_eq!(
            std::fs::read_to_string(dir.join("t.txt")).expect("t.txt"),
            "line 42\n"
        );
    }
}

const DIRS_STDOUT: &str = "\
mkdir: OK
mkdir again: EEXIST
mkdir nested missing: ENOENT
mkdir sub: OK
listing /sandbox/d:
  file.txt
  sub/
rmdir non-empty: ENOTEMPTY
rmdir file: ENOTDIR
rmdir sub: OK
rmdir missing: ENOENT
many: 300 entries
seekdir returns to the same entry: 1
after rewinddir: 302 entries (with . and ..)
d is a directory: 1
open dir: OK
fstat dir: OK
read dir fd: EBADF
openat relative: OK
unlink file: OK
rmdir d: OK
listing /sandbox:
  many/
";

#[test]
fn directories_and_readdir() {
    for tier in tiers() {
        let (_root, dir) = sandbox();
        let out = run(
            tier,
            &[
                "--dir",
                &dir_arg(&dir, "/sandbox"),
                program("dirs").to_str().expect("utf-8"),
            ],
        );
        expect(&out, tier, 0, DIRS_STDOUT);
        assert_eq!(
            std::fs::read_dir(dir.join("many")).expect("many").count(),
            300
        );
    }
}

const SYMLINKS_STDOUT: &str = "\
symlink: OK
symlink to ../: OK
symlink exists: EEXIST
readlink: 10 [target.txt]
readlink truncated: 4 [targ]
readlink of a file: EINVAL
lstat: link 1
stat: regular 1 size 17
open through ../ link: OK
read: through the link
O_NOFOLLOW on link: ELOOP
dangling symlink: OK
open dangling: ENOENT
loop a: OK
loop b: OK
open loop: ELOOP
unlink link: OK
target still there: OK
utimensat nofollow: OK
";

#[test]
fn symbolic_links() {
    for tier in tiers() {
        let (_root, dir) = sandbox();
        let out = run(
            tier,
            &[
                "--dir",
                &dir_arg(&dir, "/sandbox"),
                program("symlinks").to_str().expect("utf-8"),
            ],
        );
        expect(&out, tier, 0, SYMLINKS_STDOUT);
        assert_eq!(
            std::fs::read_link(dir.join("sub/up")).expect("link"),
            Path::new("../target.txt")
        );
    }
}

const CLOCKS_STDOUT: &str = "\
realtime: OK
realtime after 2020: 1
time() agrees: 1
realtime res: OK
monotonic res: OK
process cputime: OK
thread cputime: OK
nanosleep: OK
slept at least 20ms: 1
usleep: OK
usleep at least 10ms: 1
poll timeout: OK
poll waited at least 15ms: 1
clock_nanosleep absolute: OK
absolute deadline passed: 1
sched_yield: OK
getentropy: OK
getentropy again: OK
random differs: 1, not all zero: 1
getentropy too large: EIO
arc4random varies: 1
";

#[test]
fn clocks_sleep_and_random() {
    for tier in tiers() {
        let out = run(tier, &[program("clocks").to_str().expect("utf-8")]);
        expect(&out, tier, 0, CLOCKS_STDOUT);
    }
}

// ---------------------------------------------------------------------------------------
// Edge cases real programs hit

/// What `edge_cases.c` prints: a directory opened with the rights it was granted (which
/// include `fd_datasync`, and used to be `EISDIR`) is opened as a directory, a write-only
/// open of one is still `EISDIR`; `O_APPEND` opens for `pwrite`, with `O_TRUNC` too (used to
/// be `EINVAL`) and read-only; `sock_*` on anything that is not a socket is `ENOTSOCK` (used
/// to be `ENOTSUP`).
const EDGE_CASES_STDOUT: &str = "\
mkdir sub: OK
fdstat of the preopen: OK
open sub with the preopen's inheriting rights: OK
  fdstat: OK, directory 1, rights within the granted ones 1
  readdir: OK, . .. inner.txt
open sub with the preopen's own rights: OK
  fdstat: OK, directory 1, rights within the granted ones 1
  readdir: OK, . .. inner.txt
open sub with O_DIRECTORY and all rights: OK
  fdstat: OK, directory 1, rights within the granted ones 1
  readdir: OK, . .. inner.txt
open sub with fd_write only: EISDIR
open sub O_TRUNC: EISDIR
open(sub, O_RDONLY): OK
open(sub, O_RDWR): OK
open(O_WRONLY | O_CREAT | O_TRUNC | O_APPEND): OK
write: OK
pwrite at 0: OK
append flag: 1
path_open O_TRUNC + APPEND with the rights of pwrite: OK
fd_pwrite: OK 2
fd_write: OK 2
fdstat: OK, append 1
open(O_RDWR | O_APPEND): OK
pwrite(O_RDWR | O_APPEND): OK
open(O_RDONLY | O_APPEND): OK
append flag: 1
read: OK
log: [CD++EF]
write without the right: EBADF
sock_recv on stdin: ENOTSOCK
sock_send on stdout: ENOTSOCK
sock_accept on the preopen: ENOTSOCK
sock_shutdown on a file: ENOTSOCK
sock_shutdown on a closed fd: EBADF
shutdown(2) on stderr: ENOTSOCK
";

#[test]
fn directories_with_granted_rights_append_for_pwrite_and_enotsock() {
    for tier in tiers() {
        let (_root, dir) = sandbox();
        let out = run(
            tier,
            &[
                "--dir",
                &dir_arg(&dir, "/sandbox"),
                program("edge_cases").to_str().expect("utf-8"),
            ],
        );
        expect(&out, tier, 0, EDGE_CASES_STDOUT);
        assert_eq!(
            std::fs::read_to_string(dir.join("log.txt")).expect("log.txt"),
            "CD++EF"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The sandbox

const ESCAPE_STDOUT: &str = "\
open ../: EPERM
open sub/../../: EPERM
create ../: EPERM
truncate ../: EPERM
open absolute host path: ENOTCAPABLE
stat ../: EPERM
opendir ..: EPERM
mkdir ../: EPERM
unlink ../: EPERM
open planted link: EPERM
write through planted link: EPERM
stat planted link: EPERM
lstat planted link: OK
symlink to absolute: EPERM
symlink to ../: OK
open own link out: EPERM
readlink own link: OK
rename out: EPERM
rename in: EPERM
rename over outside: EPERM
link out: EPERM
link in: EPERM
link via planted: OK
inside still there: OK
openat ..: EPERM
openat ../outside.txt: EPERM
";

/// Every entry under `dir` (recursively, not following links) with its contents.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path).expect("lstat");
        if meta.is_dir() {
            out.push((path.clone(), b"<dir>".to_vec()));
            out.extend(snapshot(&path));
        } else if meta.is_symlink() {
            let target = std::fs::read_link(&path).expect("readlink");
            out.push((path, target.to_string_lossy().as_bytes().to_vec()));
        } else {
            out.push((path.clone(), std::fs::read(&path).expect("read")));
        }
    }
    out
}

#[test]
fn escapes_are_refused_and_the_host_is_untouched() {
    for tier in tiers() {
        let (root, dir) = sandbox();
        std::fs::create_dir(dir.join("sub")).expect("mkdir sub");
        std::fs::write(root.join("outside.txt"), "secret\n").expect("outside");
        std::os::unix::fs::symlink("../outside.txt", dir.join("planted")).expect("plant");
        let outside_before: Vec<_> = snapshot(&root)
            .into_iter()
            .filter(|(p, _)| !p.starts_with(&dir))
            .collect();

        let out = run(
            tier,
            &[
                "--dir",
                &dir_arg(&dir, "/sandbox"),
                program("escape").to_str().expect("utf-8"),
            ],
        );
        expect(&out, tier, 0, ESCAPE_STDOUT);

        let outside_after: Vec<_> = snapshot(&root)
            .into_iter()
            .filter(|(p, _)| !p.starts_with(&dir))
            .collect();
        assert_eq!(outside_after, outside_before, "the host outside changed");
        assert_eq!(
            std::fs::read_to_string(root.join("outside.txt")).expect("outside"),
            "secret\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("inside.txt")).expect("inside"),
            "inside"
        );
    }
}

#[test]
fn a_dot_preopen_keeps_relative_paths_inside() {
    for tier in tiers() {
        let (root, dir) = sandbox();
        std::fs::write(root.join("outside.txt"), "secret\n").expect("outside");
        let prog = program("relative");
        let args = os(&["run", "--tier", tier, "--dir", "."]);
        let mut args = args;
        args.push(prog.as_os_str());
        let out = tierup_with(&args, b"", Some(&dir), &[]);
        expect(
            &out,
            tier,
            0,
            "create relative: OK\nstat relative: OK\nopen ../outside.txt: EPERM\n\
             create ../new.txt: EPERM\nrename ../: EPERM\nopen ./here.txt: OK\n",
        );
        let mut names: Vec<_> = std::fs::read_dir(&root)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["box", "outside.txt"]);
        assert_eq!(
            std::fs::read(dir.join("here.txt")).expect("here"),
            b"here\n"
        );
    }
}

#[test]
fn without_dir_nothing_is_reachable() {
    let out = run(
        "interp",
        &[program("copy").to_str().expect("utf-8"), "/a", "/b"],
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("open:"), "{}", out.stderr);
}

#[test]
fn a_missing_dir_is_a_clear_error() {
    let out = run(
        "interp",
        &[
            "--dir",
            "/definitely/not/here",
            program("exit").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .contains("failed to open directory `/definitely/not/here`"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Hostile guests: the host's memory stays bounded

/// Linux only: `wait4`'s `struct rusage` layout and its maximum RSS in KiB are Linux's.
#[cfg(target_os = "linux")]
mod hostile {
    use super::*;

    /// The most a hostile module (`tests/fixtures/hostile/*.wat`) may add to the maximum RSS of
    /// `tierup run`, over the benign module of the same tier: 16 MiB. (Before the WASI calls
    /// were bounded, these modules made the process abort on a failed allocation of hundreds of
    /// GiB, or grow by 500 MB to 1 GiB.)
    const HOSTILE_RSS_BOUND_KIB: i64 = 16 * 1024;

    /// The part of `struct rusage` (Linux, 64-bit) that [`run_measured`] reads.
    #[repr(C)]
    #[derive(Default)]
    struct Rusage {
        _utime: [i64; 2],
        _stime: [i64; 2],
        /// Maximum resident set size, in KiB.
        maxrss: i64,
        _rest: [i64; 13],
    }

    unsafe extern "C" {
        /// `wait4(2)` from the C library: waits for one child and reports its resource usage.
        fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
    }

    /// How a measured child ended.
    #[derive(Debug)]
    struct Measured {
        /// The exit code, if it exited.
        code: Option<i32>,
        /// The signal that ended it, if one did.
        signal: Option<i32>,
        /// Its maximum RSS, in KiB.
        maxrss_kib: i64,
        stderr: String,
    }

    /// Runs `tierup` with `args` (stdout discarded, no stdin) and reaps it with `wait4`, which
    /// gives this child's own maximum RSS (`getrusage(RUSAGE_CHILDREN)` would mix in the other
    /// tests' children).
    #[expect(
        clippy::zombie_processes,
        reason = "the child is reaped with wait4, which reports its resource usage"
    )]
    fn run_measured(args: &[&str]) -> Measured {
        const WNOHANG: i32 = 1;
        // A code cache of its own: every run starts cold.
        let cache = scratch_dir();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tierup"))
            .args(args)
            .env("TIERUP_CACHE_DIR", cache.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tierup");
        let mut pipe = child.stderr.take().expect("stderr pipe");
        let drain = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        });
        let pid = child.id() as i32;
        let start = Instant::now();
        let mut status = 0i32;
        let mut usage = Rusage::default();
        loop {
            let options = if start.elapsed() > CLI_TIME_LIMIT {
                let _ = child.kill();
                0
            } else {
                WNOHANG
            };
            // SAFETY: `status` and `usage` are valid for writes and have the layout wait4 writes
            // (an int, and the 144-byte `struct rusage` of 64-bit Linux); `pid` is our own child,
            // which nothing else waits for (std's `Child` is never waited on here).
            let reaped = unsafe { wait4(pid, &mut status, options, &mut usage) };
            assert!(reaped >= 0, "wait4: {}", std::io::Error::last_os_error());
            if reaped == pid {
                break;
            }
            assert!(
                start.elapsed() <= CLI_TIME_LIMIT,
                "tierup {args:?} did not finish within {CLI_TIME_LIMIT:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let signal = status & 0x7f;
        Measured {
            code: (signal == 0).then_some((status >> 8) & 0xff),
            signal: (signal != 0).then_some(signal),
            maxrss_kib: usage.maxrss,
            stderr: drain.join().unwrap_or_default(),
        }
    }

    /// Each hostile module of `tests/fixtures/hostile/`, in every tier: the exit code is the
    /// expected errno (the module exits with the one it got), and the maximum RSS of the process
    /// stays within [`HOSTILE_RSS_BOUND_KIB`] of the benign module's in the same tier.
    #[test]
    fn hostile_guests_get_errnos_and_the_host_stays_small() {
        /// (module, expected errno)
        const CASES: &[(&str, i32)] = &[
            ("poll_oneoff_huge_count", 28), // EINVAL
            ("poll_oneoff_many", 0),
            ("fd_read_overlapping", 0),
            ("fd_pread_overlapping", 0),
            ("fd_write_overlapping", 0),
            ("fd_pwrite_overlapping", 0),
            ("path_open_long", 37), // ENAMETOOLONG
        ];
        let fixture = |name: &str| {
            tierup_tests::fixture(&format!("hostile/{name}.wat"))
                .to_str()
                .expect("utf-8 path")
                .to_string()
        };
        let mut failures = Vec::new();
        for tier in tiers() {
            let (_root, dir) = sandbox();
            std::fs::write(dir.join("data.bin"), vec![7u8; 256 * 1024]).expect("data.bin");
            let dir = dir_arg(&dir, "/sandbox");
            let run = |module: &str| {
                run_measured(&["run", "--tier", tier, "--dir", &dir, &fixture(module)])
            };
            let benign = run("benign");
            assert_eq!(benign.code, Some(0), "benign in {tier}: {benign:?}");
            for &(name, errno) in CASES {
                let got = run(name);
                let growth = got.maxrss_kib - benign.maxrss_kib;
                eprintln!(
                    "{tier:>8} {name:<24} exit {:?} signal {:?}: max RSS {} KiB ({growth:+} KiB over \
                     benign {} KiB)",
                    got.code, got.signal, got.maxrss_kib, benign.maxrss_kib
                );
                if got.code != Some(errno) || growth > HOSTILE_RSS_BOUND_KIB {
                    failures.push(format!(
                        "{name} in {tier}: expected exit {errno} and at most {HOSTILE_RSS_BOUND_KIB} \
                         KiB of RSS growth, got exit {:?}, signal {:?}, {growth:+} KiB; stderr: {}",
                        got.code,
                        got.signal,
                        got.stderr.lines().next().unwrap_or("")
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Guests that go after the host's other resources, in every tier: tables and memories
    /// (the store limits), the stacks (unbounded recursion), the CPU (an endless loop, a
    /// sleep in WASI, a fuel budget). Each must end with its clean error and the expected
    /// exit code, well within its time limit, with the process's maximum RSS under the
    /// stated bound.
    #[test]
    fn every_kind_of_hostile_guest_ends_cleanly_in_every_tier() {
        /// (what, arguments before the module, module, exit code, stderr must contain, max RSS
        /// in MiB)
        type Case = (
            &'static str,
            &'static [&'static str],
            &'static str,
            i32,
            &'static str,
            i64,
        );
        const CASES: &[Case] = &[
            // 1.6 GB of tables refused at instantiation by the default store total.
            ("tables", &[], "hostile/many_tables.wat", 1, "limit", 64),
            // Growth refused with -1 (memory at 4 GiB of untouched pages, tables at the 10M
            // element total: 80 MB of slots at most).
            ("growth", &[], "hostile/grow_everything.wat", 2, "", 160),
            // Unbounded recursion: the wasm stack's bound, in every tier.
            (
                "recursion",
                &["--max-wasm-stack", "1048576"],
                "hostile/recursion.wat",
                134,
                "call stack exhausted",
                128,
            ),
            (
                "spin",
                &["--timeout", "0.2"],
                "spin.wat",
                134,
                "interrupted",
                64,
            ),
            (
                "spin, epochs",
                &["--timeout", "0.2", "--epoch-interruption"],
                "spin.wat",
                134,
                "interrupted",
                64,
            ),
            (
                "sleep",
                &["--timeout", "0.2"],
                "sleep.wat",
                134,
                "interrupted",
                64,
            ),
            (
                "fuel",
                &["--fuel", "100000"],
                "fuel_print.wat",
                134,
                "all fuel consumed",
                64,
            ),
        ];
        let mut failures = Vec::new();
        for tier in tiers() {
            for &(what, flags, module, code, message, rss_mib) in CASES {
                let module = tierup_tests::fixture(module).display().to_string();
                let mut args = vec!["run", "--tier", tier];
                args.extend_from_slice(flags);
                args.push(&module);
                let started = Instant::now();
                let got = run_measured(&args);
                let took = started.elapsed();
                eprintln!(
                    "{tier:>8} {what:<14} exit {:?} signal {:?} in {took:?}: max RSS {} KiB",
                    got.code, got.signal, got.maxrss_kib
                );
                if got.code != Some(code)
                    || !got.stderr.contains(message)
                    || got.maxrss_kib > rss_mib * 1024
                    || took > Duration::from_secs(20)
                {
                    failures.push(format!(
                        "{what} in {tier}: expected exit {code} with `{message}` within \
                         {rss_mib} MiB, got exit {:?}, signal {:?}, {} KiB in {took:?}; \
                         stderr: {}",
                        got.code,
                        got.signal,
                        got.maxrss_kib,
                        got.stderr.lines().next().unwrap_or("")
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
