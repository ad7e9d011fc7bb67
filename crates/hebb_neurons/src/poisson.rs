//! # `Poisson` — independent Bernoulli spike trains (Poisson process on the time grid)
//!
//! Each neuron spikes in each step independently with probability
//!
//! ```text
//! p = rate_hz · dt_ms / 1000          (p <= 1 required)
//! ```
//!
//! which is ngc-learn's `PoissonCell` (`s = [U[0,1) < p]`, with a clamped input of 1) and
//! Brian2's `PoissonGroup`. Only the spikes that happen are drawn: the number of silent
//! (neuron, step) pairs before the next spike is Geometric(p), `⌊ln U / ln(1 − p)⌋` with
//! `U ∈ (0, 1]`, so the process has exactly the Bernoulli distribution while each step costs
//! O(spikes) instead of O(neurons). With one rate the gap runs over the flattened sequence
//! (step, neuron); with per-neuron rates each neuron's next spike step waits in a min-heap
//! (O(spikes · log N) per step).
//!
//! The random numbers come from the population's own stream ([`RngStream`]), derived from the
//! scene seed and the population name.
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `rate_hz` | Hz | 10 | firing rate of every neuron |
//! | `rates_hz` | Hz | `None` | one rate per neuron (overrides `rate_hz`) |
//!
//! References: ngc-learn `ngclearn/components/input_encoders/poissonCell.py`; Brian2
//! `brian2/input/poissongroup.py`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use hebb_core::clock::Clock;
use hebb_core::prelude::*;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Poisson input params (scene name `Poisson`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Poisson {
    /// Firing rate of every neuron in Hz. Default 10.
    pub rate_hz: f64,
    /// One rate per neuron in Hz; overrides `rate_hz`. Default `None`.
    pub rates_hz: Option<Vec<f64>>,
}

impl Default for Poisson {
    fn default() -> Self {
        Self {
            rate_hz: 10.0,
            rates_hz: None,
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
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::non_negative("rate_hz", self.rate_hz)?;
        if let Some(rates) = &self.rates_hz {
            for (i, &r) in rates.iter().enumerate() {
                check::non_negative(&format!("rates_hz[{i}]"), r)?;
            }
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
        let start = ctx.world.resource::<Clock>().step;
        let mut rng = ctx.world.get_mut::<RngStream>(ctx.entity).ok_or_else(|| {
            BuildError::Invalid(format!("{owner}: Poisson needs the population's RngStream"))
        })?;
        let sampler = PoissonSampler::new(&probabilities, size, start, &mut rng.0);
        ctx.entity_mut().insert(PoissonState(sampler));
        Ok(())
    }
}

/// `ln(1 − p)`, the parameter of the gap sampler (−∞ for p = 1).
fn log_q(p: f64) -> f64 {
    (-p).ln_1p()
}

/// The number of failures before the next success of a Bernoulli(p) sequence, with
/// `log_q = ln(1 − p)` and `p > 0`: Geometric(p) on {0, 1, 2, …}.
#[inline]
pub fn geometric_gap(rng: &mut ChaCha8Rng, log_q: f64) -> u64 {
    if log_q == f64::NEG_INFINITY {
        return 0;
    }
    let u: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    // `as` saturates: astronomically long gaps become u64::MAX (never).
    (u.ln() / log_q).floor() as u64
}

/// The skip-sampling state of a Poisson population.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum PoissonSampler {
    /// Nobody ever spikes (rate 0).
    Silent,
    /// One probability for all: `next` is the flattened index `step·n + neuron` of the next
    /// spike.
    Uniform {
        /// Population size.
        n: u64,
        /// `ln(1 − p)`.
        log_q: f64,
        /// Flattened index of the next spike.
        next: u64,
    },
    /// One probability per neuron: the next spike step of every neuron with p > 0, in a
    /// min-heap of (step, neuron).
    PerNeuron {
        /// `ln(1 − p_i)` per neuron.
        log_q: Vec<f64>,
        /// Next spike (step, neuron), smallest first.
        due: BinaryHeap<Reverse<(u64, u32)>>,
    },
}

impl PoissonSampler {
    /// A sampler whose first step is `start`; `probabilities` has one entry (shared) or one
    /// per neuron.
    pub fn new(probabilities: &[f64], size: usize, start: u64, rng: &mut ChaCha8Rng) -> Self {
        let shared = probabilities.windows(2).all(|w| w[0] == w[1]);
        if shared {
            let p = probabilities.first().copied().unwrap_or(0.0);
            if p <= 0.0 {
                return Self::Silent;
            }
            let (n, log_q) = (size as u64, log_q(p));
            let next = (start * n).saturating_add(geometric_gap(rng, log_q));
            return Self::Uniform { n, log_q, next };
        }
        let log_q: Vec<f64> = probabilities.iter().map(|&p| log_q(p)).collect();
        let due = log_q
            .iter()
            .enumerate()
            .filter(|&(_, &lq)| lq < 0.0)
            .map(|(i, &lq)| Reverse((start.saturating_add(geometric_gap(rng, lq)), i as u32)))
            .collect();
        Self::PerNeuron { log_q, due }
    }

    /// Write the spikes of `step` into `spikes` (cleared first), ascending.
    pub fn step(&mut self, step: u64, rng: &mut ChaCha8Rng, spikes: &mut Spikes) {
        spikes.clear();
        match self {
            Self::Silent => {}
            Self::Uniform { n, log_q, next } => {
                let base = step * *n;
                let end = base + *n;
                while *next < end {
                    if *next >= base {
                        spikes.push((*next - base) as usize);
                    }
                    *next = next
                        .saturating_add(1)
                        .saturating_add(geometric_gap(rng, *log_q));
                }
            }
            Self::PerNeuron { log_q, due } => {
                while let Some(&Reverse((s, i))) = due.peek() {
                    if s > step {
                        break;
                    }
                    due.pop();
                    if s == step {
                        spikes.push(i as usize);
                    }
                    let gap = geometric_gap(rng, log_q[i as usize]);
                    due.push(Reverse((step.saturating_add(1).saturating_add(gap), i)));
                }
            }
        }
    }
}

/// State of a `Poisson` population.
#[derive(Component, Debug, Clone, Serialize, Deserialize)]
pub struct PoissonState(pub PoissonSampler);

/// [`Stage::InputSpikes`]: emit this step's spikes of every Poisson population.
pub fn poisson_system(
    clock: Res<Clock>,
    mut populations: Query<(&mut PoissonState, &mut RngStream, &mut Spikes)>,
) {
    for (mut state, mut rng, mut spikes) in &mut populations {
        state.0.step(clock.step, &mut rng.0, &mut spikes);
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
    use rand::SeedableRng;

    fn counts(probabilities: &[f64], size: usize, steps: u64, seed: u64) -> (Vec<u64>, u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut sampler = PoissonSampler::new(probabilities, size, 0, &mut rng);
        let mut spikes = Spikes::new(size);
        let mut per_neuron = vec![0u64; size];
        let mut total = 0;
        for k in 0..steps {
            sampler.step(k, &mut rng, &mut spikes);
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
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let p: f64 = 0.05;
        let n = 200_000;
        let gaps: Vec<f64> = (0..n)
            .map(|_| geometric_gap(&mut rng, log_q(p)) as f64)
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
}
