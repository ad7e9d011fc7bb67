//! `hebb run` / `hebb resume` over several processes: `mpirun -n K hebb run SCENE --out DIR`
//! with a `hebb` built with `--features mpi`.
//!
//! Every rank parses and builds the scene; [`hebb_mpi::distributed::RankRun`] makes each rank
//! keep its own neurons' spikes and trade them with the others every communication interval.
//! Only rank 0 touches the output directory: it checks it before the run (all ranks stop if it
//! is refused), gathers every rank's recordings and spike counts after the run and writes the
//! files and `summary.json` exactly as one process would. Progress is shown by rank 0 only.
//! Ctrl-C is agreed on collectively every [`STOP_CHECK_STEPS`] steps, so all ranks stop at the
//! same step and the files are complete.
//!
//! Without the `mpi` feature (or when started without `mpirun`) this is a world of one rank
//! and the run is the ordinary single-process one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use hebb_core::simulation::Simulation;
use hebb_mpi::distributed::RankRun;
use hebb_mpi::exchange::Exchange;

use crate::error::CliError;
use crate::progress::{LoopResult, ProgressMode, Reporter};

/// Steps between two collective checks for Ctrl-C / SIGTERM (rounded up to whole communication
/// intervals): one small collective per 64 steps, and soon enough that every rank has stopped
/// and rank 0 has written the files before `mpirun` (which turns Ctrl-C into SIGTERM for the
/// ranks) kills them.
pub const STOP_CHECK_STEPS: u64 = 64;

/// The ranks of this process's run: MPI's world with the `mpi` feature, else one rank.
pub fn connect() -> Result<Box<dyn Exchange>, CliError> {
    #[cfg(feature = "mpi")]
    {
        let world = hebb_mpi::mpi_exchange::MpiExchange::init()
            .map_err(|e| CliError::Refused(e.to_string()))?;
        Ok(Box::new(world))
    }
    #[cfg(not(feature = "mpi"))]
    {
        if let Some(size) = launcher_world_size(|name| std::env::var(name).ok()) {
            return Err(CliError::Refused(format!(
                "this hebb was built without MPI support but was started as one of {size} \
                 processes (mpirun): each would run the whole network on its own. Build it with \
                 `cargo build --release -p hebb_cli --features mpi` (docs/mpi.md), or run it \
                 without mpirun (`--threads N` for several cores)"
            )));
        }
        Ok(Box::new(hebb_mpi::exchange::LocalExchange))
    }
}

/// The number of processes an MPI launcher started, from the variables OpenMPI, MPICH and
/// Slurm set in every process (`None` when not started by one, or for a world of one).
#[cfg(any(not(feature = "mpi"), test))]
fn launcher_world_size(var: impl Fn(&str) -> Option<String>) -> Option<u64> {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"]
        .iter()
        .find_map(|name| var(name)?.trim().parse::<u64>().ok())
        .filter(|&size| size > 1)
}

/// A distribution error as a CLI error.
pub fn refused(e: hebb_mpi::error::DistError) -> CliError {
    CliError::Refused(e.to_string())
}

/// What a [`RankPause`] does: collective, called on every rank at the same step.
pub type RankPauseAction<'a> =
    Box<dyn FnMut(&mut Simulation, &mut RankRun, &mut dyn Exchange) -> Result<(), CliError> + 'a>;

/// Something every rank does together after a given number of steps (e.g. a snapshot).
pub struct RankPause<'a> {
    /// Steps after which to run `action`.
    pub after_steps: u64,
    /// Every rank stops with an error if the action fails on any of them.
    pub action: RankPauseAction<'a>,
}

/// Step `steps` steps on every rank, exchanging spikes, with Ctrl-C agreed between ranks, and
/// `pause`'s action after its step.
pub fn rank_loop(
    sim: &mut Simulation,
    run: &mut RankRun,
    exchange: &mut dyn Exchange,
    steps: u64,
    stop: &AtomicBool,
    mode: ProgressMode,
    mut pause: Option<RankPause<'_>>,
) -> Result<LoopResult, CliError> {
    let dt = sim.dt_ms();
    let start_ms = sim.clock().time_ms();
    let mode = if run.rank() == 0 {
        mode
    } else {
        ProgressMode::Off
    };
    let mut report = Reporter::new(mode, steps, start_ms, start_ms + steps as f64 * dt, dt);
    let chunk = STOP_CHECK_STEPS.div_ceil(run.interval()) * run.interval();
    let (mut done, mut wall, mut interrupted) = (0u64, 0.0f64, false);
    loop {
        if pause.as_ref().is_some_and(|p| p.after_steps == done)
            && let Some(mut p) = pause.take()
        {
            let result = (p.action)(sim, run, exchange);
            if run.any(exchange, result.is_err()).map_err(refused)? {
                return Err(result.err().unwrap_or_else(|| {
                    CliError::Refused("another rank failed at the pause (see its message)".into())
                }));
            }
        }
        if done >= steps {
            break;
        }
        if run
            .any(exchange, stop.load(Ordering::Relaxed))
            .map_err(refused)?
        {
            interrupted = true;
            break;
        }
        // Up to the pause, if one is still to come.
        let until = pause
            .as_ref()
            .map(|p| p.after_steps)
            .filter(|&at| at > done && at < steps)
            .unwrap_or(steps);
        let n = chunk.min(until - done);
        let t0 = Instant::now();
        run.run_steps(sim, exchange, n).map_err(refused)?;
        wall += t0.elapsed().as_secs_f64();
        done += n;
        report.update(done, wall);
    }
    report.finish(done, interrupted);
    Ok(LoopResult {
        steps_run: done,
        wall_seconds: wall,
        interrupted,
    })
}

#[cfg(test)]
mod tests {
    use super::launcher_world_size;

    #[test]
    fn a_launcher_world_of_several_processes_is_seen() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            launcher_world_size(env(&[("OMPI_COMM_WORLD_SIZE", "2")])),
            Some(2)
        );
        assert_eq!(launcher_world_size(env(&[("PMI_SIZE", "3")])), Some(3));
        assert_eq!(
            launcher_world_size(env(&[("OMPI_COMM_WORLD_SIZE", "1")])),
            None
        );
        assert_eq!(launcher_world_size(env(&[])), None);
        assert_eq!(launcher_world_size(env(&[("PMI_SIZE", "x")])), None);
    }
}
