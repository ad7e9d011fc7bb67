//! # `WhiteNoise` and `OrnsteinUhlenbeck` — per-neuron noise currents (stimuli)
//!
//! Two stimuli that add an independent random current to every driven neuron's
//! `SynapticInput.current` in [`Stage::InputSpikes`], in the neuron model's input units (like
//! [`StepCurrent`](crate::StepCurrent): `LifRef`/`Lif` multiply it by `resistance`, the NEST
//! models read pA). Any neuron model receives them; input models (`Poisson`, …) are refused.
//!
//! ## `WhiteNoise` (NEST `noise_generator`, Brian2 `xi`)
//!
//! The current is redrawn every `interval_ms` (default: every step) and held in between:
//!
//! ```text
//! I_k = mean + s · z(neuron, ⌊k / h⌋)      z ~ N(0, 1), h = interval_ms / dt (whole steps)
//! s   = std                                 (NEST noise_generator: std per draw)
//! s   = density_sqrt_ms / √interval_ms      (white noise of density D: I(t) = mean + D·ξ(t))
//! ```
//!
//! Give one of `std` (NEST semantics: the standard deviation of the current itself, so the
//! membrane's fluctuations shrink as `dt` shrinks) or `density_sqrt_ms` (Brian2 semantics,
//! independent of `dt`: `ξ` is Gaussian white noise of unit density, `⟨ξ(t)ξ(t')⟩ = δ(t−t')`,
//! unit ms^-½, so `D` is in input units·√ms).
//!
//! *Mapping from Brian2.* A Brian2 term `… + sigma*sqrt(tau)*xi` in `tau*dv/dt = -(v - El) + …`
//! (`dv/dt = … + sigma*xi/sqrt(tau)`) is `WhiteNoise(density_sqrt_ms: sigma·√tau_ms / R)` on a
//! neuron of resistance `R` (1 for `LifRef`/`Lif` by default); `… + sigma*sqrt(2/tau)*xi` in
//! `dv/dt` is `density_sqrt_ms: sigma·√(2·tau_ms) / R`. Brian2 integrates `xi` with
//! Euler–Maruyama: `v += sigma/√tau · √dt · z`; here the neuron integrates the held current
//! `D/√dt · z` exactly, `v += R·(1 − e^(−dt/τ))·D/√dt · z`, equal to first order in `dt/τ`.
//! The free membrane's stationary variance is `σ²/2` in the limit (for `sigma*sqrt(tau)*xi`);
//! with exact integration it is `R²s²(1 − a)/(1 + a)`, `a = e^(−dt/τ)` (tested).
//!
//! *Mapping from NEST.* `noise_generator(mean, std, dt)` is `WhiteNoise(mean: …, std: …,
//! interval_ms: dt)` on a NEST model (`IafPscExp`, `IafPscAlpha`, `AdEx`, `Izhikevich`, pA).
//! NEST draws the current for the interval ending at each multiple of `dt` and delivers it one
//! step later (devices connect with the minimal delay); hebb's current acts in the step it is
//! drawn for. NEST's sinusoidal modulation (`std_mod`, `frequency`, `phase`) is not implemented.
//!
//! ## `OrnsteinUhlenbeck` (coloured noise)
//!
//! `τ dI/dt = (mean − I) + std·√(2τ)·ξ(t)`: stationary mean `mean`, standard deviation `std`,
//! correlation time `tau_ms`. It is advanced exactly (Gillespie 1996), so the statistics do not
//! depend on `dt`:
//!
//! ```text
//! I_0 = mean + std · z(neuron, 0)                       (stationary start; `mean` with start_at_mean)
//! I_k = mean + (I_(k−1) − mean)·c + std·√(1 − c²) · z(neuron, k),   c = e^(−dt/τ)
//! ```
//!
//! Brian2: `dI/dt = (mu - I)/tau + sigma*sqrt(2/tau)*xi` (Euler–Maruyama there, exact here).
//! A free `LifRef` membrane (`a = e^(−dt/τ_m)`, `b = R(1 − a)`) driven by it has the stationary
//! variance `b²·std²·(1 + a·c) / ((1 − a²)(1 − a·c))` (tested), which tends to
//! `R²·std²·τ/(τ + τ_m)` for small `dt`.
//!
//! ## Random numbers and determinism
//!
//! `z(neuron, k)` is block `k` of stream `neuron` of the stimulus's `"noise"` family
//! ([`Streams::normal`], keyed by the seed and the stimulus name `<population>.stimulus<n>`).
//! Each neuron's current is a pure function of (seed, stimulus, neuron, step) — plus, for the
//! OU current, its own previous value — so it does not depend on how neurons are split over
//! threads or ranks (the kernels take a neuron range; tested by computing blocks alone).
//!
//! ## Parameters
//! `WhiteNoise`:
//!
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `mean` | input | 0 | mean current |
//! | `std` | input | 0 | standard deviation of each draw (NEST `std`) |
//! | `density_sqrt_ms` | input·√ms | none | white-noise density `D` (Brian2 `xi` coefficient) |
//! | `interval_ms` | ms | `dt` | how long each draw is held (NEST `dt`; whole steps) |
//! | `neurons` | — | all | the neurons driven |
//!
//! `OrnsteinUhlenbeck`:
//!
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `mean` | input | 0 | stationary mean |
//! | `std` | input | 1 | stationary standard deviation |
//! | `tau_ms` | ms | 10 | correlation time |
//! | `start_at_mean` | — | false | start every neuron at `mean` instead of a stationary draw |
//! | `neurons` | — | all | the neurons driven |
//!
//! References: NEST `noise_generator` (models/noise_generator.cpp, 3.10); Brian2 `xi`
//! (docs "Models and neuron groups: noise"); Gillespie, Phys. Rev. E 54, 2084 (1996).

use std::ops::Range;

use hebb_core::clock::Clock;
use hebb_core::parallel::PerPartition;
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::spiking::whole_steps;

/// White-noise current params (scene name `WhiteNoise`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WhiteNoise {
    /// Mean current, input units. Default 0.
    pub mean: f64,
    /// Standard deviation of each draw, input units (NEST semantics). Default 0.
    pub std: f64,
    /// Density of the white noise, input units·√ms (Brian2 `xi` semantics). Default none.
    pub density_sqrt_ms: Option<f64>,
    /// How long each draw is held, ms (whole steps; NEST's `dt`). Default: one step.
    pub interval_ms: Option<f64>,
    /// The neurons driven (all when `None`). Default `None`.
    pub neurons: Option<Vec<u32>>,
}

/// Ornstein–Uhlenbeck current params (scene name `OrnsteinUhlenbeck`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrnsteinUhlenbeck {
    /// Stationary mean, input units. Default 0.
    pub mean: f64,
    /// Stationary standard deviation, input units. Default 1.
    pub std: f64,
    /// Correlation time in ms. Default 10.
    pub tau_ms: f64,
    /// Start every neuron at `mean` (otherwise at a draw from the stationary distribution).
    /// Default false.
    pub start_at_mean: bool,
    /// The neurons driven (all when `None`). Default `None`.
    pub neurons: Option<Vec<u32>>,
}

impl Default for OrnsteinUhlenbeck {
    fn default() -> Self {
        Self {
            mean: 0.0,
            std: 1.0,
            tau_ms: 10.0,
            start_at_mean: false,
            neurons: None,
        }
    }
}

const NEURONS_DOC: ParamDoc = ParamDoc {
    name: "neurons",
    unit: "-",
    doc: "optional subset of neurons (all by default)",
};

impl Model for WhiteNoise {
    const NAME: &'static str = "WhiteNoise";
    const KIND: ModelKind = ModelKind::Stimulus;
    const SUMMARY: &'static str =
        "Gaussian white-noise current per neuron (NEST noise_generator, Brian2 xi)";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "mean",
            unit: "input",
            doc: "mean current",
        },
        ParamDoc {
            name: "std",
            unit: "input",
            doc: "standard deviation of each draw (NEST std); 0 when density_sqrt_ms is given",
        },
        ParamDoc {
            name: "density_sqrt_ms",
            unit: "input*sqrt(ms)",
            doc: "white-noise density D, I = mean + D*xi (Brian2); per-draw std D/sqrt(interval)",
        },
        ParamDoc {
            name: "interval_ms",
            unit: "ms",
            doc: "how long each draw is held (NEST dt; whole steps; default one step)",
        },
        NEURONS_DOC,
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::finite_real("mean", self.mean)?;
        check::non_negative("std", self.std)?;
        if let Some(d) = self.density_sqrt_ms {
            check::non_negative("density_sqrt_ms", d)?;
            if self.std != 0.0 {
                return Err(ParamError::new(
                    "density_sqrt_ms",
                    "give either std (NEST: per draw) or density_sqrt_ms (Brian2 xi), not both",
                ));
            }
        }
        if let Some(h) = self.interval_ms {
            check::positive("interval_ms", h)?;
        }
        Ok(())
    }

    fn describe(&self) -> Option<String> {
        self.density_sqrt_ms
            .map(|d| format!("white noise of density {d} input*sqrt(ms) (Brian2 xi)"))
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let (population, size, owner) = noise_target(ctx, Self::NAME)?;
        let hold = match self.interval_ms {
            None => 1,
            Some(h) => whole_steps("interval_ms", h, ctx.dt_ms)
                .map_err(|e| BuildError::param(owner.as_str(), e))?,
        };
        if hold == 0 {
            return Err(BuildError::param(
                owner,
                ParamError::new("interval_ms", "must be at least one time step"),
            ));
        }
        check_neurons(&owner, self.neurons.as_deref(), size)?;
        let std = match self.density_sqrt_ms {
            None => self.std,
            Some(d) => d / (hold as f64 * ctx.dt_ms).sqrt(),
        };
        let streams = ctx.streams("noise");
        ctx.entity_mut().insert(WhiteNoiseState {
            population,
            streams,
            mean: self.mean,
            std,
            hold_steps: hold,
            neurons: self.neurons.as_deref().map(ascending),
        });
        Ok(())
    }
}

impl Model for OrnsteinUhlenbeck {
    const NAME: &'static str = "OrnsteinUhlenbeck";
    const KIND: ModelKind = ModelKind::Stimulus;
    const SUMMARY: &'static str =
        "Ornstein-Uhlenbeck (coloured) noise current per neuron, exact update";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "mean",
            unit: "input",
            doc: "stationary mean",
        },
        ParamDoc {
            name: "std",
            unit: "input",
            doc: "stationary standard deviation",
        },
        ParamDoc {
            name: "tau_ms",
            unit: "ms",
            doc: "correlation time",
        },
        ParamDoc {
            name: "start_at_mean",
            unit: "-",
            doc: "start at mean instead of a stationary draw",
        },
        NEURONS_DOC,
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::finite_real("mean", self.mean)?;
        check::non_negative("std", self.std)?;
        check::positive("tau_ms", self.tau_ms)?;
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let (population, size, owner) = noise_target(ctx, Self::NAME)?;
        check_neurons(&owner, self.neurons.as_deref(), size)?;
        let streams = ctx.streams("noise");
        let decay = (-ctx.dt_ms / self.tau_ms).exp();
        let process = OuProcess {
            mean: self.mean,
            std: self.std,
            decay,
            kick: self.std * (1.0 - decay * decay).sqrt(),
        };
        let mut current = vec![0.0; self.neurons.as_ref().map_or(size, Vec::len)];
        match &self.neurons {
            None => ou_start(
                &streams,
                &process,
                0..size,
                self.start_at_mean,
                &mut current,
            ),
            Some(list) => {
                for (x, &i) in current.iter_mut().zip(list) {
                    ou_start(
                        &streams,
                        &process,
                        i as usize..i as usize + 1,
                        self.start_at_mean,
                        std::slice::from_mut(x),
                    );
                }
            }
        }
        ctx.entity_mut().insert((
            OuTarget {
                population,
                streams,
                process,
                ascending: self.neurons.as_ref().is_none_or(|list| list.is_sorted()),
                neurons: self.neurons.clone(),
            },
            OuCurrent { i: current },
        ));
        Ok(())
    }
}

/// The driven population, its size and the owner label for messages; refuses input models.
fn noise_target(
    ctx: &AttachContext<'_>,
    model: &str,
) -> Result<(Entity, usize, String), BuildError> {
    let Target::Stimulus { population, size } = ctx.target else {
        return Err(BuildError::Invalid(format!(
            "`{model}` is a stimulus: attach it to a population with add_stimulus, not to `{}`",
            ctx.name
        )));
    };
    let owner = format!("stimulus `{}`", ctx.name);
    if let Some(p) = ctx.world.get::<Population>(population)
        && p.is_input
    {
        return Err(BuildError::Invalid(format!(
            "{owner}: {model} drives a neuron population, but `{}` uses the input model `{}`, \
             which ignores currents",
            p.name, p.model
        )));
    }
    Ok((population, size, owner))
}

/// Every listed neuron is in range and listed once.
fn check_neurons(owner: &str, neurons: Option<&[u32]>, size: usize) -> Result<(), BuildError> {
    let Some(neurons) = neurons else {
        return Ok(());
    };
    let mut seen = vec![false; size];
    for (n, &i) in neurons.iter().enumerate() {
        let field = format!("neurons[{n}]");
        if i as usize >= size {
            return Err(BuildError::param(
                owner,
                ParamError::new(
                    field,
                    format!("must be < the population size {size}, got {i}"),
                ),
            ));
        }
        if std::mem::replace(&mut seen[i as usize], true) {
            return Err(BuildError::param(
                owner,
                ParamError::new(field, format!("repeats neuron {i}")),
            ));
        }
    }
    Ok(())
}

/// `list` in ascending order (a stimulus's `neurons`, each listed once: the order in which
/// they are driven changes no sum).
pub fn ascending(list: &[u32]) -> Vec<u32> {
    let mut sorted = list.to_vec();
    sorted.sort_unstable();
    sorted
}

/// The part of the ascending list `sorted` inside `block`: the listed neurons a partition owns.
#[inline]
pub fn listed_in(sorted: &[u32], block: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    let lo = sorted.partition_point(|&i| (i as usize) < block.start);
    let hi = lo + sorted[lo..].partition_point(|&i| (i as usize) < block.end);
    lo..hi
}

/// An attached white-noise current.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct WhiteNoiseState {
    /// The driven population.
    pub population: Entity,
    /// The stimulus's `"noise"` streams (one per neuron).
    pub streams: Streams,
    /// Mean current.
    pub mean: f64,
    /// Standard deviation of each draw (`density / √interval` for a density).
    pub std: f64,
    /// Steps each draw is held (≥ 1).
    pub hold_steps: u64,
    /// The driven neurons in ascending order (all when `None`).
    pub neurons: Option<Vec<u32>>,
}

/// The white-noise current of `neuron` for draw `draw`: `mean + std·z(neuron, draw)`.
#[inline]
pub fn white_noise_sample(
    streams: &Streams,
    neuron: usize,
    draw: u64,
    mean: f64,
    std: f64,
) -> Real {
    (mean + std * streams.normal(neuron as u64, draw)) as Real
}

/// Kernel: add the white-noise current of draw `draw` to the neurons `neurons`;
/// `current[j]` is neuron `neurons.start + j`. A pure function of its arguments, so any split
/// of a population into ranges gives the same numbers.
pub fn white_noise_add(
    streams: &Streams,
    neurons: Range<usize>,
    draw: u64,
    mean: f64,
    std: f64,
    current: &mut [Real],
) {
    for (c, i) in current.iter_mut().zip(neurons) {
        *c += white_noise_sample(streams, i, draw, mean, std);
    }
}

/// The exact one-step update of an Ornstein–Uhlenbeck current.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OuProcess {
    /// Stationary mean.
    pub mean: f64,
    /// Stationary standard deviation.
    pub std: f64,
    /// `c = e^(−dt/τ)`.
    pub decay: f64,
    /// `std·√(1 − c²)`.
    pub kick: f64,
}

/// Kernel: the starting values of neurons `neurons` (`x[j]` is neuron `neurons.start + j`):
/// `mean + std·z(neuron, 0)`, or `mean`.
pub fn ou_start(
    streams: &Streams,
    p: &OuProcess,
    neurons: Range<usize>,
    at_mean: bool,
    x: &mut [Real],
) {
    for (x, i) in x.iter_mut().zip(neurons) {
        *x = if at_mean {
            p.mean as Real
        } else {
            (p.mean + p.std * streams.normal(i as u64, 0)) as Real
        };
    }
}

/// Kernel: advance neurons `neurons` to step `step` (≥ 1) and add their currents into
/// `current` (`x[j]`, `current[j]` are neuron `neurons.start + j`).
pub fn ou_advance_add(
    streams: &Streams,
    p: &OuProcess,
    neurons: Range<usize>,
    step: u64,
    x: &mut [Real],
    current: &mut [Real],
) {
    for ((x, c), i) in x.iter_mut().zip(current.iter_mut()).zip(neurons) {
        *x = ou_next(streams, p, i, step, *x);
        *c += *x;
    }
}

/// One neuron's OU value at `step` from its value at `step − 1`.
#[inline]
fn ou_next(streams: &Streams, p: &OuProcess, neuron: usize, step: u64, x: Real) -> Real {
    let z = streams.normal(neuron as u64, step);
    (p.mean + (f64::from(x) - p.mean) * p.decay + p.kick * z) as Real
}

/// What an OU stimulus drives (fixed at build time).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct OuTarget {
    /// The driven population.
    pub population: Entity,
    /// The stimulus's `"noise"` streams.
    pub streams: Streams,
    /// The update.
    pub process: OuProcess,
    /// The driven neurons (all when `None`), in the order of the scene (that of [`OuCurrent`]).
    pub neurons: Option<Vec<u32>>,
    /// Whether `neurons` is ascending (then each partition advances its own block's part of
    /// the list; otherwise the list runs on the calling thread).
    pub ascending: bool,
}

/// The OU currents (one per driven neuron, in the order of `neurons`), after the last step.
/// Part of snapshots. Recordable as `i_noise` on the stimulus.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OuCurrent {
    /// The current of each driven neuron.
    pub i: Vec<Real>,
}

impl StateVariables for OuCurrent {
    const VARIABLES: &'static [&'static str] = &["i_noise"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        (name == "i_noise").then_some(self.i.as_slice())
    }
}

/// [`Stage::InputSpikes`]: add every white-noise current into its population's input (a
/// stimulus driving a whole population: each partition its own block).
pub fn white_noise_system(
    executor: &Executor,
    clock: Clock,
    stimuli: Query<&WhiteNoiseState>,
    mut inputs: Query<&mut SynapticInput>,
) {
    for s in &stimuli {
        let Ok(mut input) = inputs.get_mut(s.population) else {
            continue;
        };
        let draw = clock.step / s.hold_steps;
        match &s.neurons {
            None => {
                let n = input.current.len();
                executor.for_each_block(n, &mut input.current[..], |block, current| {
                    white_noise_add(&s.streams, block, draw, s.mean, s.std, current);
                });
            }
            Some(list) => {
                // Each partition draws the listed neurons of its own block.
                let n = input.current.len();
                executor.for_each_block(n, &mut input.current[..], |block, current| {
                    for &i in &list[listed_in(list, &block)] {
                        current[i as usize - block.start] +=
                            white_noise_sample(&s.streams, i as usize, draw, s.mean, s.std);
                    }
                });
            }
        }
    }
}

/// [`Stage::InputSpikes`]: advance every OU current (from step 1 on; step 0 uses the start
/// values) and add it into its population's input (a stimulus driving a whole population: each
/// partition its own block).
pub fn ou_system(
    executor: &Executor,
    clock: Clock,
    mut stimuli: Query<(&OuTarget, &mut OuCurrent)>,
    mut inputs: Query<&mut SynapticInput>,
) {
    let step = clock.step;
    for (t, mut ou) in &mut stimuli {
        let Ok(mut input) = inputs.get_mut(t.population) else {
            continue;
        };
        let x = &mut ou.i;
        match &t.neurons {
            None => {
                let n = x.len();
                let arrays = (&mut x[..], &mut input.current[..n]);
                executor.for_each_block(n, arrays, |block, (x, current)| {
                    if step == 0 {
                        for (c, &x) in current.iter_mut().zip(x.iter()) {
                            *c += x;
                        }
                    } else {
                        ou_advance_add(&t.streams, &t.process, block, step, x, current);
                    }
                });
            }
            // With several ranks the listed values stay whole on every rank (a snapshot takes
            // a list-long stimulus array from rank 0).
            Some(list) if t.ascending && executor.ranks() == 1 => {
                // Each partition advances the listed neurons of its own block: their values
                // are the contiguous part `listed_in(list, block)` of `x`, cut at the same
                // places (the `PerPartition` pieces, one per partition).
                let n = input.current.len();
                let mut pieces = ou_pieces(executor, list, n, x);
                let pieces = PerPartition(&mut pieces[..]);
                executor.for_each_block(
                    n,
                    (&mut input.current[..], pieces),
                    |block, (current, mut piece)| {
                        let x = &mut **piece.get();
                        for (x, &i) in x.iter_mut().zip(&list[listed_in(list, &block)]) {
                            if step > 0 {
                                *x = ou_next(&t.streams, &t.process, i as usize, step, *x);
                            }
                            current[i as usize - block.start] += *x;
                        }
                    },
                );
            }
            Some(list) => {
                for (x, &i) in x.iter_mut().zip(list) {
                    if step > 0 {
                        *x = ou_next(&t.streams, &t.process, i as usize, step, *x);
                    }
                    input.current[i as usize] += *x;
                }
            }
        }
    }
}

/// `x` (the OU values of the ascending `list`) cut into one piece per partition of this
/// executor: piece `p` holds the values of the listed neurons in partition `p`'s block of a
/// population of `n` (empty for the partitions of other ranks).
fn ou_pieces<'a>(
    executor: &Executor,
    list: &[u32],
    n: usize,
    x: &'a mut [Real],
) -> Vec<&'a mut [Real]> {
    let threads = executor.threads();
    let mut pieces = Vec::with_capacity(threads);
    let mut rest = x;
    let mut done = 0;
    for p in 0..threads {
        let r = listed_in(list, &executor.block(n, p));
        let (_, tail) = std::mem::take(&mut rest).split_at_mut(r.start - done);
        let (piece, tail) = tail.split_at_mut(r.len());
        pieces.push(piece);
        rest = tail;
        done = r.end;
    }
    pieces
}

/// Registers `WhiteNoise` and `OrnsteinUhlenbeck` and their systems.
pub struct NoisePlugin;

impl Plugin for NoisePlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<WhiteNoise>();
        sim.register_model::<OrnsteinUhlenbeck>();
        sim.register_variables::<OuCurrent>();
        sim.register_snapshot::<OuCurrent>();
        sim.add_model_systems::<WhiteNoise, _>(Stage::InputSpikes, white_noise_system);
        sim.add_model_systems::<OrnsteinUhlenbeck, _>(Stage::InputSpikes, ou_system);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streams() -> Streams {
        SimRng { seed: 5 }.streams("exc.stimulus0", "noise")
    }

    fn mean_var(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        (m, x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n)
    }

    #[test]
    fn white_noise_has_its_mean_and_variance() {
        let s = streams();
        let (n, steps) = (50, 4000);
        let mut all = Vec::with_capacity(n * steps);
        for k in 0..steps as u64 {
            let mut c = vec![0.0 as Real; n];
            white_noise_add(&s, 0..n, k, 1.5, 2.0, &mut c);
            all.extend(c.iter().map(|&x| f64::from(x)));
        }
        let (m, v) = mean_var(&all);
        let count = all.len() as f64;
        // Standard error of the mean: std/√n; of the variance: σ²·√(2/n). 5 s.e. each.
        assert!((m - 1.5).abs() < 5.0 * 2.0 / count.sqrt(), "{m}");
        assert!((v - 4.0).abs() < 5.0 * 4.0 * (2.0 / count).sqrt(), "{v}");
    }

    #[test]
    fn a_neuron_block_alone_gives_the_same_bits_as_the_whole_population() {
        let s = streams();
        let n = 1000;
        let p = OuProcess {
            mean: 0.3,
            std: 1.2,
            decay: (-0.1f64 / 5.0).exp(),
            kick: 1.2 * (1.0 - (-0.2f64 / 5.0).exp()).sqrt(),
        };
        let (mut x_all, mut c_all) = (vec![0.0; n], vec![0.0; n]);
        ou_start(&s, &p, 0..n, false, &mut x_all);
        // Each block: its neuron range, its OU values and its currents.
        type Block = (Range<usize>, Vec<Real>, Vec<Real>);
        let mut blocks: Vec<Block> = [0..317, 317..318, 318..n]
            .into_iter()
            .map(|r| {
                let mut x = vec![0.0; r.len()];
                ou_start(&s, &p, r.clone(), false, &mut x);
                (r.clone(), x, vec![0.0; r.len()])
            })
            .collect();
        for step in 1..200 {
            white_noise_add(&s, 0..n, step, 0.1, 0.7, &mut c_all);
            ou_advance_add(&s, &p, 0..n, step, &mut x_all, &mut c_all);
            for (r, x, c) in &mut blocks {
                white_noise_add(&s, r.clone(), step, 0.1, 0.7, c);
                ou_advance_add(&s, &p, r.clone(), step, x, c);
            }
        }
        let bits = |v: &[Real]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
        let x_blocks: Vec<Real> = blocks.iter().flat_map(|b| b.1.clone()).collect();
        let c_blocks: Vec<Real> = blocks.iter().flat_map(|b| b.2.clone()).collect();
        assert_eq!(bits(&x_blocks), bits(&x_all));
        assert_eq!(bits(&c_blocks), bits(&c_all));
        assert!(c_all.iter().any(|&c| c != 0.0));
    }

    #[test]
    fn ou_is_stationary_with_its_autocorrelation() {
        let s = streams();
        let (dt, tau, mean, std): (f64, f64, f64, f64) = (0.1, 4.0, -2.0, 3.0);
        let decay = (-dt / tau).exp();
        let p = OuProcess {
            mean,
            std,
            decay,
            kick: std * (1.0 - decay * decay).sqrt(),
        };
        let (n, steps) = (200, 2000);
        let mut x = vec![0.0; n];
        ou_start(&s, &p, 0..n, false, &mut x);
        let mut samples = Vec::new();
        let mut lagged = Vec::new();
        let lag = 40u64; // 4 ms = τ: correlation e^-1
        let mut history: Vec<Vec<Real>> = vec![x.clone()];
        for k in 1..=steps {
            let mut c = vec![0.0; n];
            ou_advance_add(&s, &p, 0..n, k, &mut x, &mut c);
            assert_eq!(c, x);
            history.push(x.clone());
        }
        for k in (0..=steps as usize).step_by(50) {
            samples.extend(history[k].iter().map(|&v| f64::from(v)));
            if k + lag as usize <= steps as usize {
                for (a, b) in history[k].iter().zip(&history[k + lag as usize]) {
                    lagged.push((f64::from(*a) - mean) * (f64::from(*b) - mean));
                }
            }
        }
        let (m, v) = mean_var(&samples);
        let count = samples.len() as f64;
        // Samples 5 τ apart are nearly independent (correlation e^-1.25 ≈ 0.29 at the 50-step
        // spacing; an effective sample size of about count/2 is used for the bounds).
        let eff = count / 2.0;
        assert!((m - mean).abs() < 5.0 * std / eff.sqrt(), "{m}");
        assert!(
            (v - std * std).abs() < 5.0 * std * std * (2.0 / eff).sqrt(),
            "{v}"
        );
        let cov = lagged.iter().sum::<f64>() / lagged.len() as f64;
        let expected = std * std * (-1.0f64).exp();
        assert!(
            (cov - expected).abs() < 5.0 * std * std * (2.0 / (lagged.len() as f64 / 2.0)).sqrt(),
            "{cov} vs {expected}"
        );
    }

    #[test]
    fn validation_names_the_field() {
        let e = |p: WhiteNoise| Model::validate(&p).unwrap_err().to_string();
        assert!(Model::validate(&WhiteNoise::default()).is_ok());
        assert!(
            e(WhiteNoise {
                std: 1.0,
                density_sqrt_ms: Some(1.0),
                ..WhiteNoise::default()
            })
            .starts_with("density_sqrt_ms give either")
        );
        assert_eq!(
            e(WhiteNoise {
                std: -1.0,
                ..WhiteNoise::default()
            }),
            "std must be >= 0, got -1"
        );
        let ou = OrnsteinUhlenbeck {
            tau_ms: 0.0,
            ..OrnsteinUhlenbeck::default()
        };
        assert_eq!(
            Model::validate(&ou).unwrap_err().to_string(),
            "tau_ms must be > 0, got 0"
        );
    }
}
