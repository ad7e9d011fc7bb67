//! What the stepping loop checks between chunks of steps, besides stop signals:
//!
//! - **Flush by wall time.** Recordings are handed to the files at least every
//!   [`FLUSH_INTERVAL`] (as well as whenever [`crate::run::FLUSH_THRESHOLD`] values are
//!   buffered), so a run killed by SIGKILL or a power cut loses at most the last seconds and
//!   leaves files that parse (CSV in whole rows, NPY headers counting the rows on disk).
//! - **Failed writes.** The first failed write (a full disk) stops the run at once; the error
//!   names the file. The writers have already cut every file back to its last complete row.
//!
//! A [`Watch`] that finds a problem records it and tells the loop to stop; the run then writes
//! what it can and reports the failure.

use std::time::{Duration, Instant};

use hebb_core::simulation::Simulation;

use crate::error::CliError;

/// Longest wall time between two flushes of the recordings to their files.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(2);

/// Checks run between chunks of steps.
#[derive(Debug)]
pub struct Watch {
    last_flush: Instant,
    flush_interval: Duration,
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
            failure: None,
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
