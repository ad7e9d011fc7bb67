//! What the stepping loop checks between chunks of steps, besides stop signals:
//!
//! - **Flush by wall time.** Recordings are handed to the files at least every
//!   [`FLUSH_INTERVAL`] (as well as whenever [`crate::run::FLUSH_THRESHOLD`] values are
//!   buffered), so a run killed by SIGKILL or a power cut loses at most the last seconds and
//!   leaves files that parse (CSV in whole rows, NPY headers counting the rows on disk).
//! - **Failed writes.** The first failed write (a full disk) stops the run at once; the error
//!   names the file. The writers have already cut every file back to its last complete row.
//! - **Non-finite state.** At least every [`NONFINITE_INTERVAL`] of wall time (and at the end
//!   of the run) the network's state is scanned for NaN and ±infinity
//!   ([`Simulation::find_nonfinite`]); the first one stops the run with an error naming the
//!   population or projection, the variable, the element and the time, unless
//!   `--allow-nonfinite` was given.
//!
//! A [`Watch`] that finds a problem records it and tells the loop to stop; the run then writes
//! what it can and reports the failure.

use std::time::{Duration, Instant};

use hebb_core::simulation::Simulation;

use crate::error::CliError;

/// Longest wall time between two flushes of the recordings to their files.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(2);

/// Longest wall time between two scans for NaN and infinities.
pub const NONFINITE_INTERVAL: Duration = Duration::from_secs(1);

/// Checks run between chunks of steps.
#[derive(Debug)]
pub struct Watch {
    last_flush: Instant,
    flush_interval: Duration,
    last_scan: Instant,
    /// Scan for NaN and infinities.
    pub check_finite: bool,
    /// Why the loop was stopped, when a check failed.
    pub failure: Option<CliError>,
}

impl Default for Watch {
    fn default() -> Self {
        Self::new()
    }
}

impl Watch {
    /// Flush every [`FLUSH_INTERVAL`].
    pub fn new() -> Self {
        Self {
            last_flush: Instant::now(),
            flush_interval: FLUSH_INTERVAL,
            last_scan: Instant::now(),
            check_finite: true,
            failure: None,
        }
    }

    /// Scan the state for NaN and infinities now (when enabled); `false` when one was found.
    pub fn scan(&mut self, sim: &Simulation) -> bool {
        self.last_scan = Instant::now();
        if !self.check_finite {
            return true;
        }
        match sim.find_nonfinite() {
            None => true,
            Some(bad) => {
                self.failure = Some(CliError::Refused(format!(
                    "the simulation state is no longer finite: {bad} (found by the check every {} s of wall time; the value became non-finite after the previous check). Usual causes: weights or currents too large, dt too large for a time constant. Recordings up to here are written; --allow-nonfinite runs on regardless",
                    NONFINITE_INTERVAL.as_secs()
                )));
                false
            }
        }
    }

    /// Called after each chunk; `false` stops the loop (the reason is in [`Watch::failure`]).
    pub fn after_chunk(&mut self, sim: &mut Simulation) -> bool {
        if self.last_flush.elapsed() >= self.flush_interval {
            // An error is recorded in the recorders and reported just below.
            let _ = sim.flush_recorders();
            self.last_flush = Instant::now();
        }
        if let Some(e) = sim.recorders().error() {
            self.failure = Some(write_failure(e, sim));
            return false;
        }
        if self.last_scan.elapsed() >= NONFINITE_INTERVAL {
            return self.scan(sim);
        }
        true
    }
}

/// The error of a failed recording write, `e` naming the file.
pub fn write_failure(e: &str, sim: &Simulation) -> CliError {
    CliError::Refused(format!(
        "cannot write the recordings: {e}; stopped at {} ms (every recording file holds its complete rows up to the failure)",
        sim.clock().time_ms()
    ))
}
