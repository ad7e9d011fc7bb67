//! Stop signals: Ctrl-C (SIGINT), SIGTERM (`timeout`, batch schedulers at their time limit,
//! `kill`) and SIGHUP (a closed terminal or SSH session) all stop a run the same way: the
//! stepping loop stops after its current chunk, the recordings are written, `summary.json`
//! says `"interrupted": true`, and hebb exits with 128 + the signal number (130, 143, 129), as
//! shells report a process killed by that signal. A second stop signal exits at once with that
//! code (the files then hold what the last flush wrote, see `docs/reliability.md`).
//!
//! SIGKILL cannot be caught: what survives it is what the recorders flushed, at least every
//! [`crate::watch::FLUSH_INTERVAL`].

use std::sync::atomic::{AtomicI32, Ordering};

use crate::INTERRUPTED;

/// The first stop signal received (0 when none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The signals that stop a run.
#[cfg(unix)]
pub const STOP_SIGNALS: [i32; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];

/// Make SIGINT, SIGTERM and SIGHUP set [`INTERRUPTED`] (first signal) or exit at once with
/// 128 + the signal number (second signal).
#[cfg(unix)]
pub fn install() {
    for signal in STOP_SIGNALS {
        // SAFETY: the handler only touches atomics and calls `_exit`, all async-signal-safe.
        let result = unsafe {
            signal_hook::low_level::register(signal, move || {
                if INTERRUPTED.swap(true, Ordering::SeqCst) {
                    signal_hook::low_level::exit(128 + signal);
                }
                let _ = RECEIVED.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
            })
        };
        if let Err(e) = result {
            tracing::warn!("cannot install the handler of signal {signal}: {e}");
        }
    }
}

/// Ctrl-C only, where there are no POSIX signals.
#[cfg(not(unix))]
pub fn install() {
    let result = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(crate::EXIT_INTERRUPTED));
        }
    });
    if let Err(e) = result {
        tracing::warn!("cannot install the Ctrl-C handler: {e}");
    }
}

/// The first stop signal received, if any.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Name of a stop signal (`SIGTERM`), for messages and `summary.json`.
pub fn name(signal: i32) -> String {
    #[cfg(unix)]
    {
        match signal {
            signal_hook::consts::SIGINT => return "SIGINT".into(),
            signal_hook::consts::SIGTERM => return "SIGTERM".into(),
            signal_hook::consts::SIGHUP => return "SIGHUP".into(),
            _ => {}
        }
    }
    format!("signal {signal}")
}

/// Exit code of an interrupted run: 128 + the signal received, 130 (Ctrl-C) when the stop
/// came from elsewhere (e.g. a test setting [`INTERRUPTED`]).
pub fn exit_code() -> u8 {
    received()
        .and_then(|s| u8::try_from(128 + s).ok())
        .unwrap_or(crate::EXIT_INTERRUPTED)
}
