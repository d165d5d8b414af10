//! Clocks (`clock_res_get`, `clock_time_get`), randomness (`random_get`) and waiting
//! (`poll_oneoff`).

use std::time::Duration;

use rustix::event::{PollFd, PollFlags};
use rustix::time::{ClockId, Timespec};

use super::fdtable::{FdTable, PollTarget};
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

/// `poll_oneoff`: waits until at least one subscription is satisfied and returns the events.
pub(crate) fn poll(fds: &FdTable, subs: &[Subscription]) -> WasiResult<Vec<Event>> {
    if subs.is_empty() {
        return Err(Errno::INVAL);
    }
    let mut events = Vec::new();
    // Deadlines on the monotonic clock, in nanoseconds.
    let mut clocks: Vec<(u64, u64)> = Vec::new();
    let mut host: Vec<(u64, bool, PollFd<'_>)> = Vec::new();
    let start = now(clockid::MONOTONIC)?;
    for sub in subs {
        match *sub {
            Subscription::Clock {
                userdata,
                id,
                timeout,
                absolute,
            } => {
                let deadline = match (host_clock(id), absolute) {
                    (Err(e), _) => {
                        events.push(Event {
                            userdata,
                            error: e,
                            kind: eventtype::CLOCK,
                            nbytes: 0,
                            flags: 0,
                        });
                        continue;
                    }
                    (Ok(_), false) => start.saturating_add(timeout),
                    (Ok(_), true) => {
                        // An absolute time of that clock, converted to a monotonic deadline.
                        let clock_now = now(id)?;
                        start.saturating_add(timeout.saturating_sub(clock_now))
                    }
                };
                clocks.push((userdata, deadline));
            }
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
                match fds.poll_target(fd, write) {
                    Ok(PollTarget::Ready(nbytes)) => events.push(Event {
                        userdata,
                        error: Errno::SUCCESS,
                        kind,
                        nbytes,
                        flags: 0,
                    }),
                    Ok(PollTarget::Host(host_fd)) => {
                        let flags = if write { PollFlags::OUT } else { PollFlags::IN };
                        host.push((userdata, write, PollFd::from_borrowed_fd(host_fd, flags)));
                    }
                    Err(error) => events.push(Event {
                        userdata,
                        error,
                        kind,
                        nbytes: 0,
                        flags: 0,
                    }),
                }
            }
        }
    }

    // Wait for the host fds, at most until the first deadline (not at all if something is
    // ready already).
    let first_deadline = clocks.iter().map(|&(_, d)| d).min();
    let wait = if !events.is_empty() {
        Some(Duration::ZERO)
    } else {
        first_deadline.map(|d| Duration::from_nanos(d.saturating_sub(start)))
    };
    if !host.is_empty() {
        let mut pollfds: Vec<PollFd<'_>> = host.iter().map(|(_, _, p)| p.clone()).collect();
        let timeout = wait.map(|w| Timespec {
            tv_sec: w.as_secs() as i64,
            tv_nsec: w.subsec_nanos() as _,
        });
        loop {
            match rustix::event::poll(&mut pollfds, timeout.as_ref()) {
                Err(rustix::io::Errno::INTR) => continue,
                other => {
                    other?;
                    break;
                }
            }
        }
        for ((userdata, write, _), p) in host.iter().zip(&pollfds) {
            let revents = p.revents();
            if revents.is_empty() {
                continue;
            }
            let kind = if *write {
                eventtype::FD_WRITE
            } else {
                eventtype::FD_READ
            };
            let (error, flags) = if revents.contains(PollFlags::NVAL) {
                (Errno::BADF, 0)
            } else if revents.contains(PollFlags::HUP) {
                (Errno::SUCCESS, EVENT_FD_READWRITE_HANGUP)
            } else if revents.contains(PollFlags::ERR) {
                (Errno::IO, 0)
            } else {
                (Errno::SUCCESS, 0)
            };
            events.push(Event {
                userdata: *userdata,
                error,
                kind,
                nbytes: if flags == 0 && error == Errno::SUCCESS {
                    1
                } else {
                    0
                },
                flags,
            });
        }
    } else if events.is_empty()
        && let Some(wait) = wait
    {
        std::thread::sleep(wait);
    }

    let after = now(clockid::MONOTONIC)?;
    for (userdata, deadline) in clocks {
        if deadline <= after || (events.is_empty() && Some(deadline) == first_deadline) {
            events.push(Event {
                userdata,
                error: Errno::SUCCESS,
                kind: eventtype::CLOCK,
                nbytes: 0,
                flags: 0,
            });
        }
    }
    Ok(events)
}
