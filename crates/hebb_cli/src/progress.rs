//! The stepping loop of `hebb run` / `hebb resume`: steps in chunks, checks for Ctrl-C between
//! chunks, and reports progress (a bar on a terminal, a line every 10 % or 10 s otherwise).
//!
//! Progress is updated once per chunk, never per step, and the time spent drawing it is not
//! part of the measured stepping time. Chunks grow until one takes about
//! [`TARGET_CHUNK_SECONDS`], so the per-chunk cost (a clock read, an atomic load, a bar update)
//! is negligible and Ctrl-C still stops within a fraction of a second.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hebb_core::simulation::Simulation;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::CliError;
use crate::watch::Watch;

/// Wall time one chunk of steps aims at.
pub const TARGET_CHUNK_SECONDS: f64 = 0.02;
/// Largest chunk, in steps.
pub const MAX_CHUNK_STEPS: u64 = 1 << 16;
/// Without a terminal: a progress line at least this often.
pub const LINE_INTERVAL: Duration = Duration::from_secs(10);

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar on stderr (stderr is a terminal).
    Bar,
    /// Plain lines on stderr, every 10 % of the run or every [`LINE_INTERVAL`].
    Lines,
    /// Nothing.
    Off,
}

impl ProgressMode {
    /// A bar on a terminal, lines otherwise, nothing when `quiet`.
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Self::Off
        } else if std::io::stderr().is_terminal() {
            Self::Bar
        } else {
            Self::Lines
        }
    }
}

/// What the loop did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoopResult {
    /// Steps run.
    pub steps_run: u64,
    /// Wall-clock seconds inside `Simulation::run_steps` only.
    pub wall_seconds: f64,
    /// Whether Ctrl-C stopped the loop early.
    pub interrupted: bool,
}

/// What a [`Pause`] does with the simulation.
pub type PauseAction<'a> = Box<dyn FnMut(&mut Simulation) -> Result<(), CliError> + 'a>;

/// A step at which the loop pauses to call back (e.g. to write a snapshot), counted from the
/// loop's start.
pub struct Pause<'a> {
    /// Steps after the loop's start.
    pub after_steps: u64,
    /// Called with the simulation when that many steps have run.
    pub action: PauseAction<'a>,
}

/// Run `steps` steps of `sim` (whose clock is at `start_ms`), checking `stop` and `watch`
/// between chunks (a failed watch check stops the loop like `stop`, with the reason in
/// `watch.failure`).
pub fn step_loop(
    sim: &mut Simulation,
    steps: u64,
    stop: &AtomicBool,
    watch: &mut Watch,
    mode: ProgressMode,
    mut pause: Option<Pause<'_>>,
) -> Result<LoopResult, CliError> {
    let dt = sim.dt_ms();
    let start_ms = sim.clock().time_ms();
    let end_ms = start_ms + steps as f64 * dt;
    let mut report = Reporter::new(mode, steps, start_ms, end_ms, dt);
    let mut done = 0u64;
    let mut chunk = 16u64;
    let mut wall = 0.0f64;
    let mut interrupted = false;
    while done < steps {
        if let Some(p) = &mut pause
            && p.after_steps == done
        {
            report.suspend(|| (p.action)(sim))?;
            pause = None;
        }
        if stop.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        let mut n = chunk.min(steps - done);
        if let Some(p) = &pause
            && p.after_steps > done
        {
            n = n.min(p.after_steps - done);
        }
        let t0 = Instant::now();
        sim.run_steps(n);
        let took = t0.elapsed().as_secs_f64();
        wall += took;
        done += n;
        if n == chunk && took < TARGET_CHUNK_SECONDS / 2.0 && chunk < MAX_CHUNK_STEPS {
            chunk *= 2;
        }
        report.update(done, wall);
        if !watch.after_chunk(sim) {
            interrupted = true;
            break;
        }
    }
    if let Some(p) = &mut pause
        && p.after_steps == done
        && !interrupted
    {
        report.suspend(|| (p.action)(sim))?;
    }
    report.finish(done, interrupted);
    tracing::debug!(
        steps = done,
        wall_seconds = wall,
        final_chunk = chunk,
        "stepping done"
    );
    Ok(LoopResult {
        steps_run: done,
        wall_seconds: wall,
        interrupted,
    })
}

/// Draws progress.
pub(crate) struct Reporter {
    mode: ProgressMode,
    bar: Option<ProgressBar>,
    steps: u64,
    start_ms: f64,
    end_ms: f64,
    dt: f64,
    next_tenth: u64,
    last_line: Instant,
}

impl Reporter {
    pub(crate) fn new(mode: ProgressMode, steps: u64, start_ms: f64, end_ms: f64, dt: f64) -> Self {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{bar:20.cyan/blue} {percent:>3}% {msg}  {per_sec}  ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style.with_key(
                "per_sec",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} steps/s", s.per_sec());
                },
            ));
            bar.set_message(format!("{start_ms:.1}/{end_ms:.1} ms"));
            bar
        });
        Self {
            mode,
            bar,
            steps,
            start_ms,
            end_ms,
            dt,
            next_tenth: 1,
            last_line: Instant::now(),
        }
    }

    pub(crate) fn update(&mut self, done: u64, wall: f64) {
        let t_ms = self.start_ms + done as f64 * self.dt;
        match self.mode {
            ProgressMode::Off => {}
            ProgressMode::Bar => {
                if let Some(bar) = &self.bar {
                    bar.set_position(done);
                    bar.set_message(format!("{t_ms:.1}/{:.1} ms", self.end_ms));
                }
            }
            ProgressMode::Lines => {
                let tenth = done * 10 / self.steps.max(1);
                let due = tenth >= self.next_tenth || self.last_line.elapsed() >= LINE_INTERVAL;
                if due && done < self.steps {
                    self.next_tenth = tenth + 1;
                    self.last_line = Instant::now();
                    let rate = done as f64 / wall.max(1e-9);
                    let eta = (self.steps - done) as f64 / rate.max(1e-9);
                    eprintln!(
                        "hebb: {:>3}% {t_ms:.1} / {:.1} ms, {rate:.0} steps/s, ETA {eta:.0} s",
                        done * 100 / self.steps.max(1),
                        self.end_ms
                    );
                }
            }
        }
    }

    /// Run `f` with the bar hidden (so messages printed meanwhile stay readable).
    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    pub(crate) fn finish(&mut self, done: u64, interrupted: bool) {
        if let Some(bar) = self.bar.take() {
            if interrupted {
                bar.abandon_with_message(format!(
                    "interrupted at {:.1} ms",
                    self.start_ms + done as f64 * self.dt
                ));
            } else {
                bar.finish_and_clear();
            }
        }
    }
}
