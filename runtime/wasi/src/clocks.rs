//! Clocks (`clock_res_get`, `clock_time_get`), randomness (`random_get`) and waiting
//! (`poll_oneoff`).

use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use rustix::time::{ClockId, Timespec};

pub(crate) use super::fdtable::PollTarget;
use super::fdtable::std_fd;
use super::types::{
    EVENT_FD_READWRITE_HANGUP, Errno, SUBSCRIPTION_CLOCK_ABSTIME, WasiResult, clockid, eventtype,
};

fn host_clock(id: u32) -> WasiResult<ClockId> {
    Ok(match id {
        clockid::REALTIME => ClockId::Realtime,
        clockid::MONOTONIC => ClockId::Monotonic,
        clockid::PROCESS_CPUTIME_ID => ClockId::ProcessCPUTime,
        clockid::THREAD_CPUTIME_ID => ClockId::ThreadCPUTime,
        _ => return Err(Errno::INVAL),
    })
}

fn nanos(t: Timespec) -> u64 {
    super::types::timestamp(t.tv_sec, t.tv_nsec)
}

/// `clock_res_get`: the resolution of clock `id`, in nanoseconds.
pub(crate) fn resolution(id: u32) -> WasiResult<u64> {
    Ok(nanos(rustix::time::clock_getres(host_clock(id)?)).max(1))
}

/// `clock_time_get`: the time of clock `id`, in nanoseconds.
pub(crate) fn now(id: u32) -> WasiResult<u64> {
    Ok(nanos(rustix::time::clock_gettime(host_clock(id)?)))
}

/// `random_get`: fills `buf` from the host's secure random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> WasiResult<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match rustix::rand::getrandom(&mut buf[filled..], rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => filled += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// One subscription of `poll_oneoff` (48 bytes in guest memory), decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subscription {
    /// Wait until clock `id` reaches `timeout` (absolute) or for `timeout` nanoseconds.
    Clock {
        userdata: u64,
        id: u32,
        timeout: u64,
        absolute: bool,
    },
    /// Wait until `fd` can be read (`write == false`) or written.
    Fd { userdata: u64, fd: u32, write: bool },
}

impl Subscription {
    /// Decodes the guest layout; `EINVAL` for an unknown tag.
    pub fn decode(b: &[u8; 48]) -> WasiResult<Subscription> {
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let userdata = u64_at(0);
        match b[8] {
            eventtype::CLOCK => Ok(Subscription::Clock {
                userdata,
                id: u32_at(16),
                timeout: u64_at(24),
                absolute: u16::from_le_bytes([b[40], b[41]]) & SUBSCRIPTION_CLOCK_ABSTIME != 0,
            }),
            t @ (eventtype::FD_READ | eventtype::FD_WRITE) => Ok(Subscription::Fd {
                userdata,
                fd: u32_at(16),
                write: t == eventtype::FD_WRITE,
            }),
            _ => Err(Errno::INVAL),
        }
    }
}

/// One event of `poll_oneoff` (32 bytes in guest memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Event {
    pub userdata: u64,
    pub error: Errno,
    pub kind: u8,
    pub nbytes: u64,
    pub flags: u16,
}

impl Event {
    /// The guest layout.
    pub fn to_bytes(self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&self.error.0.to_le_bytes());
        b[10] = self.kind;
        b[16..24].copy_from_slice(&self.nbytes.to_le_bytes());
        b[24..26].copy_from_slice(&self.flags.to_le_bytes());
        b
    }
}

/// What `poll_oneoff` needs from the guest and its context: the subscriptions (read from
/// guest memory each time they are needed, never copied as a whole), what an fd
/// subscription waits for, and where the events go (straight into guest memory).
pub(crate) trait PollGuest {
    /// Subscription `i` (`EINVAL` for an unknown tag).
    fn subscription(&mut self, i: u32) -> WasiResult<Subscription>;
    /// How `fd` is waited for.
    fn target(&mut self, fd: u32, write: bool) -> WasiResult<PollTarget>;
    /// Writes event number `i`.
    fn event(&mut self, i: u32, event: Event) -> WasiResult<()>;
    /// Whether the store was asked to stop (the wait then ends with
    /// [`Errno::HOST_INTERRUPT`]).
    fn interrupted(&self) -> bool;
}

/// How long one wait lasts at most before the store's stop request is looked at again: a
/// `--timeout` or interrupt ends a guest blocked in `poll_oneoff` (or reading its standard
/// input) within about this long.
pub(crate) const WAIT_SLICE: Duration = Duration::from_millis(10);

/// `poll`s `fds` until one is ready, `until` passes, or `interrupted` says so
/// ([`Errno::HOST_INTERRUPT`]), looking at `interrupted` every [`WAIT_SLICE`].
pub(crate) fn wait_for_fds(
    fds: &mut [PollFd<'_>],
    until: Option<Instant>,
    interrupted: &dyn Fn() -> bool,
) -> WasiResult<()> {
    loop {
        let left = until.map(|u| u.saturating_duration_since(Instant::now()));
        let slice = left.map_or(WAIT_SLICE, |l| l.min(WAIT_SLICE));
        let timeout = Timespec {
            tv_sec: slice.as_secs() as i64,
            tv_nsec: slice.subsec_nanos() as _,
        };
        match rustix::event::poll(fds, Some(&timeout)) {
            Err(rustix::io::Errno::INTR) | Ok(0) => {}
            Err(e) => return Err(e.into()),
            Ok(_) => return Ok(()),
        }
        if left.is_some_and(|l| l <= slice) {
            return Ok(());
        }
        if interrupted() {
            return Err(Errno::HOST_INTERRUPT);
        }
    }
}

/// The standard streams a guest can wait for on the host, each for reading or writing: the
/// whole host `poll` set (a fixed 6 entries, however many subscriptions name them).
const HOST_SLOTS: usize = 6;

fn host_slot(fd: i32, write: bool) -> usize {
    fd as usize * 2 + usize::from(write)
}

/// Deadlines on the monotonic clock, from one start time and one reading of each clock, so
/// that the two passes of [`poll`] compute the same deadline for a subscription.
struct Deadlines {
    start: u64,
    clock_now: [Option<u64>; 4],
}

impl Deadlines {
    /// The deadline of a clock subscription, or the error its event reports (an unknown
    /// clock). `Err(Ok(e))`: that event error; `Err(Err(e))`: the call fails.
    fn of(&mut self, id: u32, timeout: u64, absolute: bool) -> Result<u64, WasiResult<Errno>> {
        if let Err(e) = host_clock(id) {
            return Err(Ok(e));
        }
        if !absolute {
            return Ok(self.start.saturating_add(timeout));
        }
        // An absolute time of that clock, converted to a monotonic deadline.
        let slot = &mut self.clock_now[id as usize];
        let clock_now = match *slot {
            Some(t) => t,
            None => {
                let t = now(id).map_err(Err)?;
                *slot = Some(t);
                t
            }
        };
        Ok(self.start.saturating_add(timeout.saturating_sub(clock_now)))
    }
}

/// `poll_oneoff` over `n` subscriptions: waits until at least one is satisfied, writes the
/// events and returns how many there are. Two passes over the subscriptions, in guest
/// memory: the first finds what is ready now, the first deadline and the standard streams
/// to wait for; then one host `poll` (or a sleep); the second writes the events (fds first,
/// then clocks). No host memory depends on `n`.
pub(crate) fn poll(guest: &mut impl PollGuest, n: u32) -> WasiResult<u32> {
    if n == 0 {
        return Err(Errno::INVAL);
    }
    let mut deadlines = Deadlines {
        start: now(clockid::MONOTONIC)?,
        clock_now: [None; 4],
    };
    let mut ready_now = false;
    let mut first_deadline: Option<u64> = None;
    let mut wanted = [false; HOST_SLOTS];
    for i in 0..n {
        match guest.subscription(i)? {
            Subscription::Clock {
                id,
                timeout,
                absolute,
                ..
            } => match deadlines.of(id, timeout, absolute) {
                Ok(deadline) => {
                    first_deadline = Some(first_deadline.map_or(deadline, |d| d.min(deadline)));
                }
                Err(Ok(_)) => ready_now = true,
                Err(Err(e)) => return Err(e),
            },
            Subscription::Fd { fd, write, .. } => match guest.target(fd, write) {
                Ok(PollTarget::Host(host)) => wanted[host_slot(host, write)] = true,
                Ok(PollTarget::Ready(_)) | Err(_) => ready_now = true,
            },
        }
    }

    // Wait for the host fds, at most until the first deadline (not at all if something is
    // ready already).
    let wait = if ready_now {
        Some(Duration::ZERO)
    } else {
        first_deadline.map(|d| Duration::from_nanos(d.saturating_sub(deadlines.start)))
    };
    let mut revents = [PollFlags::empty(); HOST_SLOTS];
    if wanted.contains(&true) {
        let mut pollfds = Vec::with_capacity(HOST_SLOTS);
        let mut slots = Vec::with_capacity(HOST_SLOTS);
        for (slot, _) in wanted.iter().enumerate().filter(|(_, w)| **w) {
            let flags = if slot % 2 == 1 {
                PollFlags::OUT
            } else {
                PollFlags::IN
            };
            pollfds.push(PollFd::from_borrowed_fd(std_fd(slot as i32 / 2), flags));
            slots.push(slot);
        }
        let until = wait.map(|w| Instant::now() + w);
        wait_for_fds(&mut pollfds, until, &|| guest.interrupted())?;
        for (slot, p) in slots.iter().zip(&pollfds) {
            revents[*slot] = p.revents();
        }
    } else if !ready_now && let Some(wait) = wait {
        // A sleep, in slices, so that a stop request ends it.
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(WAIT_SLICE));
            if guest.interrupted() {
                return Err(Errno::HOST_INTERRUPT);
            }
        }
    }

    // The events: fds (and unknown clocks) first, then the clocks that are due.
    let mut count = 0u32;
    for i in 0..n {
        let event =
            match guest.subscription(i)? {
                Subscription::Clock {
                    userdata,
                    id,
                    timeout,
                    absolute,
                } => match deadlines.of(id, timeout, absolute) {
                    Err(Ok(error)) => Some(Event {
                        userdata,
                        error,
                        kind: eventtype::CLOCK,
                        nbytes: 0,
                        flags: 0,
                    }),
                    Err(Err(e)) => return Err(e),
                    Ok(_) => None,
                },
                Subscription::Fd {
                    userdata,
                    fd,
                    write,
                } => {
                    let kind = if write {
                        eventtype::FD_WRITE
                    } else {
                        eventtype::FD_READ
                    };
                    match guest.target(fd, write) {
                        Ok(PollTarget::Ready(nbytes)) => Some(Event {
                            userdata,
                            error: Errno::SUCCESS,
                            kind,
                            nbytes,
                            flags: 0,
                        }),
                        Ok(PollTarget::Host(host)) => host_event(revents[host_slot(host, write)])
                            .map(|(error, nbytes, flags)| Event {
                                userdata,
                                error,
                                kind,
                                nbytes,
                                flags,
                            }),
                        Err(error) => Some(Event {
                            userdata,
                            error,
                            kind,
                            nbytes: 0,
                            flags: 0,
                        }),
                    }
                }
            };
        if let Some(event) = event {
            guest.event(count, event)?;
            count += 1;
        }
    }
    let after = now(clockid::MONOTONIC)?;
    let fd_events = count;
    for i in 0..n {
        if let Subscription::Clock {
            userdata,
            id,
            timeout,
            absolute,
        } = guest.subscription(i)?
            && let Ok(deadline) = deadlines.of(id, timeout, absolute)
            && (deadline <= after || (fd_events == 0 && Some(deadline) == first_deadline))
        {
            let event = Event {
                userdata,
                error: Errno::SUCCESS,
                kind: eventtype::CLOCK,
                nbytes: 0,
                flags: 0,
            };
            guest.event(count, event)?;
            count += 1;
        }
    }
    Ok(count)
}

/// The event for a standard stream the host polled: `(error, nbytes, flags)`, or `None` if
/// it is not ready.
fn host_event(revents: PollFlags) -> Option<(Errno, u64, u16)> {
    if revents.is_empty() {
        None
    } else if revents.contains(PollFlags::NVAL) {
        Some((Errno::BADF, 0, 0))
    } else if revents.contains(PollFlags::HUP) {
        Some((Errno::SUCCESS, 0, EVENT_FD_READWRITE_HANGUP))
    } else if revents.contains(PollFlags::ERR) {
        Some((Errno::IO, 0, 0))
    } else {
        Some((Errno::SUCCESS, 1, 0))
    }
}
