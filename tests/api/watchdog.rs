//! The bound on every test, and on the processes tests start.
//!
//! Each wait in a test has its own bound and fails naming what it waited
//! for; this is the backstop for a wait someone forgot. A test holds a
//! [`Watchdog`] (every `TestData` has one); if the test is still running
//! when its limit passes, the watchdog names the test, kills every process
//! the tests started ([`adopt`]), and ends the test binary with a failure,
//! so `cargo test` can never hang and never leaves a server or a browser
//! behind.

use std::collections::HashMap;
use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

/// Longer than any test needs on a busy 2-core machine (the slowest take
/// under a minute there), short enough that a hung run ends.
pub const LIMIT: Duration = Duration::from_secs(300);

/// Processes started by tests and not yet reaped: pid, and whether it leads
/// a process group of its own (killed whole: a browser's helpers with it).
static CHILDREN: Mutex<Option<HashMap<u32, bool>>> = Mutex::new(None);

/// Registers a child process, so the watchdog kills it if a test hangs.
pub fn adopt(pid: u32, group: bool) {
    let mut children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    children.get_or_insert_with(HashMap::new).insert(pid, group);
}

/// Kills a child the tests started (its whole group if it leads one) and
/// reaps it. Signals only a child not yet reaped, so never a stranger that
/// was given its pid.
pub fn kill(child: &mut std::process::Child) {
    let group = CHILDREN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()
        .and_then(|c| c.remove(&child.id()))
        .unwrap_or(false);
    if let Ok(None) = child.try_wait() {
        signal(child.id(), group);
    } else if group {
        // The leader is gone; what it started may not be.
        signal(child.id(), true);
    }
    let _ = child.wait();
}

fn signal(pid: u32, group: bool) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) with a pid (or a negated process-group id) and
    // SIGKILL touches no memory of ours.
    unsafe {
        libc::kill(if group { -pid } else { pid }, libc::SIGKILL);
    }
}

/// Held by a running test; dropping it (the test ended, passed or not)
/// stands the watchdog down.
pub struct Watchdog {
    _done: mpsc::Sender<()>,
}

impl Watchdog {
    /// Watches the calling test (named by its thread, as libtest names it).
    pub fn start() -> Watchdog {
        let test = std::thread::current()
            .name()
            .unwrap_or("an unnamed test")
            .to_owned();
        let (done, stood_down) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = stood_down.recv_timeout(LIMIT) {
                let _ = writeln!(
                    std::io::stderr(),
                    "\nWATCHDOG: test `{test}` still running after {LIMIT:?}: a wait in it has \
                     no bound (a defect). Killing the processes the tests started and failing \
                     the run."
                );
                let children = CHILDREN
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .unwrap_or_default();
                for (pid, group) in children {
                    signal(pid, group);
                }
                std::process::exit(101);
            }
        });
        Watchdog { _done: done }
    }
}
