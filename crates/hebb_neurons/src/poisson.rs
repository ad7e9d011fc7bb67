//! # `Poisson` — independent Bernoulli spike trains (Poisson process on the time grid)
//!
//! Each neuron spikes in each step independently with probability
//!
//! ```text
//! p = rate_hz · dt_ms / 1000          (p <= 1 required)
//! ```
//!
//! which is ngc-learn's `PoissonCell` (`s = [U[0,1) < p]`, with a clamped input of 1) and
//! Brian2's `PoissonGroup`. Only the spikes that happen are drawn: the number of silent steps
//! of a neuron before its next spike is Geometric(p), `⌊ln U / ln(1 − p)⌋` with `U ∈ (0, 1]`,
//! so the process has exactly the Bernoulli distribution while each step costs O(spikes)
//! instead of O(neurons). Each neuron's next spike step waits in a timing wheel (a ring of
//! per-step buckets), so a step visits only the neurons due in it (plus, rarely, neurons whose
//! next spike is more than one turn of the wheel away).
//!
//! The `n`-th gap of neuron `i` is drawn from block `n` of stream `i` of the population's
//! `"poisson"` streams ([`hebb_core::rng`]): a pure function of (seed, population, neuron,
//! n), so the spike trains do not depend on how the population is split over threads or
//! processes.
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `rate_hz` | Hz | 10 | firing rate of every neuron |
//! | `rates_hz` | Hz | `None` | one rate per neuron (overrides `rate_hz`) |
//! | `timed` | — | `None` | piecewise-constant rates over time, per population or per neuron, in the scene or from a CSV/NPY file ([`TimedRates`]; overrides `rate_hz`) |
//!
//! With `timed`, the rates change at the section starts and the same skip sampling runs on the
//! summed per-step hazard ([`crate::rate_schedule`]); a one-section schedule gives exactly the
//! spike trains of the constant rate.
//!
//! References: ngc-learn `ngclearn/components/input_encoders/poissonCell.py`; Brian2
//! `brian2/input/poissongroup.py`.

use hebb_core::clock::Clock;
use hebb_core::prelude::*;
use hebb_core::table::DataDir;
use serde::{Deserialize, Serialize};

use crate::rate_schedule::{RateSchedule, TimedRates};

/// Poisson input params (scene name `Poisson`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Poisson {
    /// Firing rate of every neuron in Hz. Default 10.
    pub rate_hz: f64,
    /// One rate per neuron in Hz; overrides `rate_hz`. Default `None`.
    pub rates_hz: Option<Vec<f64>>,
    /// Piecewise-constant rates over time (overrides `rate_hz`; not with `rates_hz`).
    /// Default `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timed: Option<TimedRates>,
}

impl Default for Poisson {
    fn default() -> Self {
        Self {
            rate_hz: 10.0,
            rates_hz: None,
            timed: None,
        }
    }
}

impl Model for Poisson {
    const NAME: &'static str = "Poisson";
    const KIND: ModelKind = ModelKind::Input;
    const SUMMARY: &'static str =
        "Poisson (per-step Bernoulli) spike trains, p = rate·dt, skip-sampled";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "rate_hz",
            unit: "Hz",
            doc: "firing rate of every neuron",
        },
        ParamDoc {
            name: "rates_hz",
            unit: "Hz",
            doc: "optional rate per neuron (overrides rate_hz)",
        },
        ParamDoc {
            name: "timed",
            unit: "ms, Hz",
            doc: "rates over time: Sections(times_ms, rates_hz), PerNeuron(times_ms, rates_hz: [[..]]) or File(\"rates.csv\"/.npy)",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::non_negative("rate_hz", self.rate_hz)?;
        if let Some(rates) = &self.rates_hz {
            for (i, &r) in rates.iter().enumerate() {
                check::non_negative(&format!("rates_hz[{i}]"), r)?;
            }
        }
        if let Some(timed) = &self.timed {
            if self.rates_hz.is_some() {
                return Err(ParamError::new(
                    "timed",
                    "give either rates_hz (constant per neuron) or timed, not both",
                ));
            }
            timed.validate()?;
        }
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        let owner = format!("population `{}`", ctx.name);
        let dt = ctx.dt_ms;
        let probability = |field: String, rate: f64| -> Result<f64, BuildError> {
            let p = rate * dt / 1000.0;
            if p > 1.0 {
                return Err(BuildError::param(
                    owner.as_str(),
                    ParamError::new(
                        field,
                        format!(
                            "gives a spike probability per step of {p} (> 1) at dt = {dt} ms; \
                             must be <= {} Hz, got {rate}",
                            1000.0 / dt
                        ),
                    ),
                ));
            }
            Ok(p)
        };
        let probabilities = match &self.rates_hz {
            Some(rates) => {
                if rates.len() != size {
                    return Err(BuildError::param(
                        owner.as_str(),
                        ParamError::new(
                            "rates_hz",
                            format!(
                                "must have one rate per neuron ({size}), got {}",
                                rates.len()
                            ),
                        ),
                    ));
                }
                rates
                    .iter()
                    .enumerate()
                    .map(|(i, &r)| probability(format!("rates_hz[{i}]"), r))
                    .collect::<Result<Vec<f64>, _>>()?
            }
            None => vec![probability("rate_hz".into(), self.rate_hz)?],
        };
        let start = ctx
            .world
            .resource::<hebb_core::clock::SharedClock>()
            .get()
            .step;
        if let Some(timed) = &self.timed {
            let schedule = timed
                .schedule(size, dt, ctx.world.get_resource::<DataDir>())
                .map_err(|e| BuildError::param(owner.as_str(), e))?;
            let sampler = PoissonSampler::with_schedule(
                schedule.first_probabilities(),
                size,
                start,
                ctx.streams("poisson"),
                Some(&schedule),
            );
            ctx.entity_mut().insert((PoissonState(sampler), schedule));
            return Ok(());
        }
        let sampler = PoissonSampler::new(&probabilities, size, start, ctx.streams("poisson"));
        ctx.entity_mut().insert(PoissonState(sampler));
        Ok(())
    }
}

/// `ln(1 − p)`, the parameter of the gap sampler (−∞ for p = 1).
fn log_q(p: f64) -> f64 {
    (-p).ln_1p()
}

/// The number of failures before the next success of a Bernoulli(p) sequence, with
/// `log_q = ln(1 − p)` and `p > 0`, for `u` uniform in (0, 1]: Geometric(p) on {0, 1, 2, …}.
#[inline]
pub fn geometric_gap(u: f64, log_q: f64) -> u64 {
    if log_q == f64::NEG_INFINITY {
        return 0;
    }
    // `as` saturates: astronomically long gaps become u64::MAX (never).
    (u.ln() / log_q).floor() as u64
}

/// Marks a neuron that never spikes (p = 0) in [`PoissonSampler::next`].
const NEVER: u64 = u64::MAX;

/// The skip-sampling state of a Poisson population: every neuron's next spike step, how many
/// gaps it has drawn, and a timing wheel of the neurons by next spike step.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "SavedSampler", from = "SavedSampler")]
pub struct PoissonSampler {
    /// The population's `"poisson"` streams.
    streams: Streams,
    /// `ln(1 − p)`: one shared value, or one per neuron.
    log_q: Vec<f64>,
    /// Next spike step of each neuron ([`NEVER`] for p = 0).
    next: Vec<u64>,
    /// Gaps drawn so far by each neuron (the block counter of its stream).
    drawn: Vec<u64>,
    /// `wheel[s % len]` holds the neurons whose next spike step is `≡ s` (mod len).
    wheel: Vec<Vec<u32>>,
    /// Scratch: this step's spikes before sorting and the bucket being visited.
    #[serde(skip)]
    scratch: (Vec<u32>, Vec<u32>),
}

/// What a snapshot keeps of a [`PoissonSampler`]: the timing wheel is derived state (every
/// scheduled neuron sits in bucket `next % wheel_len`), so it is rebuilt on restore instead of
/// saved; its buckets' lengths change as the run goes, and a snapshot holds only arrays whose
/// lengths the network fixes at build time.
#[derive(Serialize, Deserialize)]
struct SavedSampler {
    streams: Streams,
    log_q: Vec<f64>,
    next: Vec<u64>,
    drawn: Vec<u64>,
    wheel_len: u64,
}

impl From<PoissonSampler> for SavedSampler {
    fn from(s: PoissonSampler) -> Self {
        Self {
            streams: s.streams,
            log_q: s.log_q,
            next: s.next,
            drawn: s.drawn,
            wheel_len: s.wheel.len() as u64,
        }
    }
}

impl From<SavedSampler> for PoissonSampler {
    fn from(s: SavedSampler) -> Self {
        // At least one bucket, whatever a damaged snapshot says (its lengths are checked
        // against the network's after decoding).
        let len = usize::try_from(s.wheel_len).unwrap_or(1).clamp(1, 4096);
        let mut wheel = vec![Vec::new(); len];
        for (i, &next) in s.next.iter().enumerate() {
            if next != NEVER {
                wheel[(next % len as u64) as usize].push(i as u32);
            }
        }
        Self {
            streams: s.streams,
            log_q: s.log_q,
            next: s.next,
            drawn: s.drawn,
            wheel,
            scratch: Default::default(),
        }
    }
}

impl PoissonSampler {
    /// A sampler whose first step is `start`; `probabilities` has one entry (shared) or one
    /// per neuron; gaps come from `streams`.
    pub fn new(probabilities: &[f64], size: usize, start: u64, streams: Streams) -> Self {
        Self::with_schedule(probabilities, size, start, streams, None)
    }

    /// [`Self::new`] for rates that follow `schedule` (then `probabilities`, the first
    /// section's, only size the timing wheel).
    pub fn with_schedule(
        probabilities: &[f64],
        size: usize,
        start: u64,
        streams: Streams,
        schedule: Option<&RateSchedule>,
    ) -> Self {
        let shared = probabilities.windows(2).all(|w| w[0] == w[1]);
        let log_q: Vec<f64> = if shared {
            vec![log_q(probabilities.first().copied().unwrap_or(0.0))]
        } else {
            probabilities.iter().map(|&p| log_q(p)).collect()
        };
        // Wheel length: a power of two near twice the mean gap, so a neuron is visited about
        // once per spike, within [1, 4096] buckets.
        let active: Vec<f64> = probabilities.iter().copied().filter(|&p| p > 0.0).collect();
        let mean_p = active.iter().sum::<f64>() / active.len().max(1) as f64;
        let len = if mean_p > 0.0 {
            ((2.0 / mean_p).ceil() as usize)
                .next_power_of_two()
                .clamp(1, 4096)
        } else {
            1
        };
        let mut sampler = Self {
            streams,
            log_q,
            next: vec![NEVER; size],
            drawn: vec![0; size],
            wheel: vec![Vec::new(); len],
            scratch: Default::default(),
        };
        for i in 0..size {
            sampler.schedule(i, start, schedule);
        }
        sampler
    }

    /// `ln(1 − p)` of neuron `i`.
    #[inline]
    fn log_q_of(&self, i: usize) -> f64 {
        if self.log_q.len() == 1 {
            self.log_q[0]
        } else {
            self.log_q[i]
        }
    }

    /// Draw neuron `i`'s next gap and put it on the wheel at `from + gap` (nothing for p = 0).
    /// With a `schedule`, the gap follows its piecewise rates.
    #[inline]
    fn schedule(&mut self, i: usize, from: u64, schedule: Option<&RateSchedule>) {
        let next = if let Some(schedule) = schedule {
            let u = self.streams.uniform(i as u64, self.drawn[i]);
            self.drawn[i] += 1;
            schedule.next_spike(i, from, -u.ln())
        } else {
            let log_q = self.log_q_of(i);
            if log_q >= 0.0 || log_q.is_nan() {
                self.next[i] = NEVER;
                return;
            }
            let u = self.streams.uniform(i as u64, self.drawn[i]);
            self.drawn[i] += 1;
            from.saturating_add(geometric_gap(u, log_q))
        };
        self.next[i] = next;
        if next != NEVER {
            let slot = (next % self.wheel.len() as u64) as usize;
            self.wheel[slot].push(i as u32);
        }
    }

    /// Gaps drawn so far, over all neurons (one Philox block each).
    pub fn draws(&self) -> u64 {
        self.drawn.iter().sum()
    }

    /// Write the spikes of `step` into `spikes` (cleared first), ascending.
    pub fn step(&mut self, step: u64, spikes: &mut Spikes) {
        self.step_with(step, spikes, None);
    }

    /// [`Self::step`] for rates that follow `schedule` (the one the sampler was made with).
    pub fn step_with(&mut self, step: u64, spikes: &mut Spikes, schedule: Option<&RateSchedule>) {
        spikes.clear();
        let slot = (step % self.wheel.len() as u64) as usize;
        let (mut fired, mut bucket) = std::mem::take(&mut self.scratch);
        fired.clear();
        std::mem::swap(&mut bucket, &mut self.wheel[slot]);
        for &i in &bucket {
            if self.next[i as usize] == step {
                fired.push(i);
            } else {
                // Due in a later turn of the wheel.
                self.wheel[slot].push(i);
            }
        }
        fired.sort_unstable();
        for &i in &fired {
            spikes.push(i as usize);
            self.schedule(i as usize, step.saturating_add(1), schedule);
        }
        bucket.clear();
        self.scratch = (fired, bucket);
    }
}

/// State of a `Poisson` population.
#[derive(Component, Debug, Clone, Serialize, Deserialize)]
pub struct PoissonState(pub PoissonSampler);

/// [`Stage::InputSpikes`]: emit this step's spikes of every Poisson population.
pub fn poisson_system(
    clock: Clock,
    mut populations: Query<(&mut PoissonState, &mut Spikes, Option<&RateSchedule>)>,
) {
    for (mut state, mut spikes, schedule) in &mut populations {
        state.0.step_with(clock.step, &mut spikes, schedule);
    }
}

/// Registers the `Poisson` model and its system.
pub struct PoissonPlugin;

impl Plugin for PoissonPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Poisson>();
        sim.register_snapshot::<PoissonState>();
        sim.add_model_systems::<Poisson, _>(Stage::InputSpikes, poisson_system);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streams(seed: u64) -> Streams {
        SimRng { seed }.streams("input", "poisson")
    }

    fn counts(probabilities: &[f64], size: usize, steps: u64, seed: u64) -> (Vec<u64>, u64) {
        let mut sampler = PoissonSampler::new(probabilities, size, 0, streams(seed));
        let mut spikes = Spikes::new(size);
        let mut per_neuron = vec![0u64; size];
        let mut total = 0;
        for k in 0..steps {
            sampler.step(k, &mut spikes);
            assert!(spikes.indices().windows(2).all(|w| w[0] < w[1]));
            for &i in spikes.indices() {
                per_neuron[i as usize] += 1;
            }
            total += spikes.count() as u64;
        }
        (per_neuron, total)
    }

    #[test]
    fn geometric_gap_has_the_geometric_mean_and_variance() {
        let s = streams(3);
        let p: f64 = 0.05;
        let n = 200_000;
        let gaps: Vec<f64> = (0..n)
            .map(|k| geometric_gap(s.uniform(k % 7, k / 7), log_q(p)) as f64)
            .collect();
        let mean = gaps.iter().sum::<f64>() / n as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / n as f64;
        let (m, v) = ((1.0 - p) / p, (1.0 - p) / (p * p));
        // Standard error of the mean: sqrt(v/n).
        assert!(
            (mean - m).abs() < 5.0 * (v / n as f64).sqrt(),
            "{mean} vs {m}"
        );
        assert!((var - v).abs() / v < 0.05, "{var} vs {v}");
        // P(gap = 0) = p.
        let zeros = gaps.iter().filter(|&&g| g == 0.0).count() as f64 / n as f64;
        assert!((zeros - p).abs() < 5.0 * (p * (1.0 - p) / n as f64).sqrt());
    }

    #[test]
    fn probability_one_and_zero() {
        let (c, total) = counts(&[1.0], 5, 10, 1);
        assert_eq!(total, 50);
        assert!(c.iter().all(|&x| x == 10));
        assert_eq!(counts(&[0.0], 5, 100, 1).1, 0);
        let (c, _) = counts(&[0.0, 1.0, 0.0], 3, 7, 1);
        assert_eq!(c, vec![0, 7, 0]);
    }

    #[test]
    fn per_neuron_rates_follow_their_probabilities() {
        let probs = [0.01, 0.1, 0.3, 0.0];
        let steps = 50_000;
        let (c, _) = counts(&probs, 4, steps, 11);
        for (i, &p) in probs.iter().enumerate() {
            let mean = p * steps as f64;
            let sd = (steps as f64 * p * (1.0 - p)).sqrt();
            assert!(
                (c[i] as f64 - mean).abs() <= 5.0 * sd.max(1e-9),
                "neuron {i}: {} vs {mean}",
                c[i]
            );
        }
    }

    #[test]
    fn a_neurons_train_does_not_depend_on_the_others() {
        // Neuron i's gaps are blocks of its own stream: the first 5 neurons of a population of
        // 5 and of 50 (at other rates for the rest) spike at the same steps, and each spike
        // costs exactly one draw (plus the first gap of every active neuron).
        let train = |probabilities: &[f64], size: usize| {
            let mut sampler = PoissonSampler::new(probabilities, size, 0, streams(4));
            let mut spikes = Spikes::new(size);
            let mut out = vec![];
            let mut total = 0;
            for k in 0..20_000 {
                sampler.step(k, &mut spikes);
                total += spikes.count() as u64;
                out.extend(spikes.indices().iter().filter(|&&i| i < 5).map(|&i| (k, i)));
            }
            let active = probabilities.iter().filter(|&&p| p > 0.0).count().max(
                if probabilities.len() == 1 && probabilities[0] > 0.0 {
                    size
                } else {
                    0
                },
            ) as u64;
            assert_eq!(sampler.draws(), total + active);
            out
        };
        let small = train(&[0.01], 5);
        assert!(small.len() > 500);
        let mut rates = vec![0.01; 5];
        rates.extend((0..45).map(|k| 0.001 * k as f64));
        assert_eq!(small, train(&rates, 50));
    }
}
