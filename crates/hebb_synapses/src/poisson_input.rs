//! # `PoissonInput` — summed Poisson input without input neurons (Brian2 `PoissonInput`)
//!
//! `n_sources` independent Poisson sources at `rate_hz` each, connected with weight `weight` to
//! every driven neuron, without creating the sources: in each step every driven neuron receives
//! the number of its sources that spike,
//!
//! ```text
//! count(neuron, step) ~ Binomial(n_sources, p),    p = rate_hz · dt / 1000   (p <= 1)
//! ```
//!
//! (each source spikes with probability `p` per step, as in a `Poisson` population), and adds
//! `count · weight` to its target:
//!
//! | `target` | effect (like one spike of weight `count·weight` through …) | `weight` unit |
//! |---|---|---|
//! | `Voltage` (default) | `V += count·w` this step (`Delta(target: Voltage)`; Brian2 `PoissonInput(G, 'v', N, rate, w)`) | mV |
//! | `Current` | `I += count·w/dt` for this step (`Delta(target: Current)`, a charge `w` per spike) | input·ms |
//! | `Projection("name")` | `g += count·w` on that projection's synapses (its `Exponential` or `Conductance` output; Brian2 `PoissonInput(G, 'ge', …)`) | the projection's weight unit |
//!
//! Counts are drawn by inversion of the binomial distribution function, tabulated once at
//! build time (entries below 10⁻¹⁸ of probability mass at the tails are dropped, far below the
//! 2⁻⁵³ resolution of the uniform): the count of `neuron` at `step` is a pure function of the
//! uniform in block `step` of stream `neuron` of the stimulus's `"poisson_input"` streams, one
//! Philox block per neuron and step. The counts do not depend on how the neurons are split over
//! threads or ranks, and cost O(driven neurons) per step, like Brian2's per-step
//! `binomial(N, p)` draw per target.
//!
//! Timing: the count of step `k` acts in step `k` (an input population's spike of step `k`
//! also acts at step `k`); Brian2 applies `PoissonInput` in its `synapses` slot after the
//! state update, i.e. one step later, which leaves the statistics unchanged (counts are
//! independent across steps).
//!
//! ## Time-varying rate (`timed`)
//!
//! Instead of `rate_hz`, `timed` gives a piecewise-constant rate of every source, written in
//! the scene or read from a CSV/NPY file, in the same forms as `Poisson(timed: …)`
//! ([`TimedRates`]): section `s` starts at step `start_s = times_ms[s]/dt` (whole steps, the
//! first at 0) and lasts until the next one starts (the last one forever). The count of step
//! `k` is drawn from the binomial of the section in force at step `k` (the last with
//! `start_s <= k`), `p_s = rates_hz[s]·dt/1000`, from the same uniform as always, so a step's
//! count is exactly the count a constant `rate_hz = rates_hz[s]` gives at that step.
//!
//! Brian2 2.11's `PoissonInput` takes only a constant rate; a time-varying one is written there
//! as `PoissonGroup(N, rates='stimulus(t)')` with one synapse per source (statistically the
//! same sum). A `TimedArray(values, dt=dt_arr)` is read at the step's time `t = k·dt` as
//! `values[⌊t/dt_arr⌋]` (rounded against float error; the last value after the end): the
//! table with first column `i·dt_arr` gives the same rate at every step. NEST: an
//! `inhomogeneous_poisson_generator` connected to every neuron. The rate is shared by every
//! driven neuron (`PerNeuron` rates, or a file with one rate column per neuron, are refused:
//! use a `Poisson` population for per-neuron rates).
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `n_sources` | — | 1 | sources per driven neuron (Brian2 `N`) |
//! | `rate_hz` | Hz | 10 | rate of each source (Brian2 `rate`) |
//! | `timed` | — | none | a rate that changes over time instead of `rate_hz` (see above) |
//! | `weight` | see above | 0 | effect of one source spike (Brian2 `weight`) |
//! | `target` | — | `Voltage` | `Voltage`, `Current` or `Projection("name")` |
//! | `neurons` | — | all | the neurons driven |
//!
//! Reference: Brian2 `brian2/input/poissoninput.py` (2.11).

use std::ops::Range;

use hebb_core::clock::Clock;
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use hebb_core::table::DataDir;
use hebb_neurons::noise::{ascending, listed_in};
use hebb_neurons::rate_schedule::TimedRates;

use crate::exponential::SynapseState;

/// Where a [`PoissonInput`] adds its counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoissonInputTarget {
    /// `V += count·weight` (mV).
    #[default]
    Voltage,
    /// `I += count·weight/dt` for one step.
    Current,
    /// `g += count·weight` on the named projection's synapse output (its postsynaptic
    /// population must be the driven one).
    Projection(String),
}

/// Summed Poisson input params (scene name `PoissonInput`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoissonInput {
    /// Number of sources per driven neuron. Default 1.
    pub n_sources: u64,
    /// Rate of each source in Hz. Default 10.
    pub rate_hz: f64,
    /// A rate that changes over time, instead of `rate_hz`: sections in the scene or a CSV/NPY
    /// file (Brian2 `TimedArray`). Default none.
    pub timed: Option<TimedRates>,
    /// Effect of one source spike (mV, input·ms or the projection's weight unit). Default 0.
    pub weight: f64,
    /// Where the counts go. Default `Voltage`.
    pub target: PoissonInputTarget,
    /// The neurons driven (all when `None`). Default `None`.
    pub neurons: Option<Vec<u32>>,
}

impl Default for PoissonInput {
    fn default() -> Self {
        Self {
            n_sources: 1,
            rate_hz: 10.0,
            timed: None,
            weight: 0.0,
            target: PoissonInputTarget::Voltage,
            neurons: None,
        }
    }
}

/// Largest variance `n·p·(1 − p)` of a count (the count table has about 24 standard
/// deviations of entries: 240 000 at this bound).
pub const MAX_COUNT_VARIANCE: f64 = 1e8;

impl Model for PoissonInput {
    const NAME: &'static str = "PoissonInput";
    const KIND: ModelKind = ModelKind::Stimulus;
    const SUMMARY: &'static str =
        "N Poisson sources summed into each neuron without input neurons (Brian2 PoissonInput)";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "n_sources",
            unit: "1",
            doc: "sources per driven neuron (Brian2 N)",
        },
        ParamDoc {
            name: "rate_hz",
            unit: "Hz",
            doc: "rate of each source",
        },
        ParamDoc {
            name: "timed",
            unit: "Hz",
            doc: "time-varying rate instead of rate_hz: Sections(times_ms, rates_hz) or File(\"rates.csv\") (Brian2 TimedArray)",
        },
        ParamDoc {
            name: "weight",
            unit: "mV | input*ms | weight",
            doc: "effect of one source spike (Voltage: mV; Current: charge; Projection: its weight unit)",
        },
        ParamDoc {
            name: "target",
            unit: "-",
            doc: "Voltage, Current or Projection(\"name\") (an Exponential or Conductance projection)",
        },
        ParamDoc {
            name: "neurons",
            unit: "-",
            doc: "optional subset of neurons (all by default)",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::non_negative("rate_hz", self.rate_hz)?;
        check::finite_real("weight", self.weight)?;
        if let Some(timed) = &self.timed {
            if self.rate_hz != Self::default().rate_hz {
                return Err(ParamError::new(
                    "timed",
                    "give either rate_hz (a constant rate) or timed, not both",
                ));
            }
            if let TimedRates::PerNeuron { .. } = timed {
                return Err(ParamError::new("timed", SHARED_RATE));
            }
            timed.validate()?;
        }
        if let PoissonInputTarget::Projection(name) = &self.target
            && name.is_empty()
        {
            return Err(ParamError::new(
                "target",
                "Projection needs a projection name",
            ));
        }
        Ok(())
    }

    fn describe(&self) -> Option<String> {
        let rate = match &self.timed {
            None => format!("{} Hz", self.rate_hz),
            Some(TimedRates::Sections { times_ms, rates_hz }) => {
                let mut parts: Vec<String> = times_ms
                    .iter()
                    .zip(rates_hz)
                    .take(4)
                    .map(|(t, r)| format!("{r} Hz from {t} ms"))
                    .collect();
                if times_ms.len() > 4 {
                    parts.push(format!("… ({} sections)", times_ms.len()));
                }
                parts.join(", ")
            }
            Some(TimedRates::PerNeuron { .. }) => "per-neuron rates".into(),
            Some(TimedRates::File(path)) => format!("the rate of `{path}`"),
        };
        let target = match &self.target {
            PoissonInputTarget::Voltage => "v".to_owned(),
            PoissonInputTarget::Current => "the input current".to_owned(),
            PoissonInputTarget::Projection(name) => format!("the synapses of `{name}`"),
        };
        let neurons = self
            .neurons
            .as_ref()
            .map(|n| format!(" ({} neurons)", n.len()))
            .unwrap_or_default();
        Some(format!(
            "{} sources at {rate}, weight {} onto {target}{neurons}",
            self.n_sources, self.weight
        ))
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let Target::Stimulus { population, size } = ctx.target else {
            return Err(BuildError::Invalid(format!(
                "`{}` is a stimulus: attach it to a population with add_stimulus, not to `{}`",
                Self::NAME,
                ctx.name
            )));
        };
        let owner = format!("stimulus `{}`", ctx.name);
        let (pop_name, is_input) = ctx
            .world
            .get::<Population>(population)
            .map_or((String::new(), false), |p| (p.name.clone(), p.is_input));
        if is_input {
            return Err(BuildError::Invalid(format!(
                "{owner}: PoissonInput drives a neuron population, but `{pop_name}` is an input \
                 population"
            )));
        }
        let counts = match &self.timed {
            None => {
                let p = self.rate_hz * ctx.dt_ms / 1000.0;
                if p > 1.0 {
                    return Err(BuildError::param(
                        owner,
                        ParamError::new(
                            "rate_hz",
                            format!(
                                "gives a spike probability per step of {p} (> 1) at dt = {} ms; \
                                 must be <= {} Hz, got {}",
                                ctx.dt_ms,
                                1000.0 / ctx.dt_ms,
                                self.rate_hz
                            ),
                        ),
                    ));
                }
                SectionCounts::constant(self.n_sources, p)
                    .map_err(|e| BuildError::param(owner.as_str(), e))?
            }
            Some(timed) => {
                // One rate column: the rate is shared by the driven neurons.
                let schedule = timed
                    .schedule(1, ctx.dt_ms, ctx.world.get_resource::<DataDir>())
                    .map_err(|e| BuildError::param(owner.as_str(), e))?;
                SectionCounts::new(self.n_sources, &schedule.starts, &schedule.probabilities)
                    .map_err(|e| BuildError::param(owner.as_str(), e))?
            }
        };
        if let Some(neurons) = &self.neurons {
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
        }
        let (sink, factor) = match &self.target {
            PoissonInputTarget::Voltage => (Sink::Voltage, self.weight),
            PoissonInputTarget::Current => (Sink::Current, self.weight / ctx.dt_ms),
            PoissonInputTarget::Projection(name) => {
                let index = ctx.world.resource::<hebb_core::simulation::NetworkIndex>();
                let Some(entity) = index.projection(name) else {
                    let known: Vec<&str> =
                        index.projections.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(BuildError::param(
                        owner,
                        ParamError::new(
                            "target",
                            format!(
                                "no projection named `{name}` (projections: {})",
                                known.join(", ")
                            ),
                        ),
                    ));
                };
                let post = ctx.world.get::<Projection>(entity).map(|p| p.post);
                if post != Some(population) {
                    return Err(BuildError::param(
                        owner,
                        ParamError::new(
                            "target",
                            format!(
                                "projection `{name}` does not end on `{pop_name}`: PoissonInput \
                                 adds to the synapses of the population it drives"
                            ),
                        ),
                    ));
                }
                if ctx.world.get::<SynapseState>(entity).is_none() {
                    return Err(BuildError::param(
                        owner,
                        ParamError::new(
                            "target",
                            format!(
                                "projection `{name}` has no Exponential or Conductance synapse \
                                 output to add to"
                            ),
                        ),
                    ));
                }
                (Sink::Projection(entity), self.weight)
            }
        };
        let streams = ctx.streams("poisson_input");
        ctx.entity_mut().insert(PoissonInputState {
            population,
            sink,
            weight: factor as Real,
            counts,
            streams,
            neurons: self.neurons.as_deref().map(ascending),
        });
        Ok(())
    }
}

/// Why a `timed` rate must be one for all driven neurons.
const SHARED_RATE: &str = "PoissonInput takes one rate per section for every driven neuron \
    (Sections, or a file with one rate column, as Brian2's scalar rate); for one rate per neuron \
    use a Poisson population";

/// Largest number of entries of all count tables of one stimulus (8 bytes each).
pub const MAX_TABLE_ENTRIES: usize = 1 << 24;

/// The count distributions of a [`PoissonInput`] over time: section `s` starts at step
/// `starts[s]` (the first at 0) and draws from `tables[table_of[s]]` (sections with the same
/// probability share a table).
#[derive(Debug, Clone, PartialEq)]
pub struct SectionCounts {
    starts: Vec<u64>,
    table_of: Vec<u32>,
    tables: Vec<CountTable>,
}

impl SectionCounts {
    /// One section at probability `p` from step 0 (a constant `rate_hz`).
    pub fn constant(n_sources: u64, p: f64) -> Result<Self, ParamError> {
        Self::new(n_sources, &[0], &[p])
    }

    /// Sections starting at `starts` (increasing, the first 0) with the spike probabilities
    /// per step `probabilities` (one per section, each in [0, 1]).
    pub fn new(n_sources: u64, starts: &[u64], probabilities: &[f64]) -> Result<Self, ParamError> {
        let mut tables: Vec<CountTable> = Vec::new();
        let mut known: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
        let mut entries = 0;
        let mut table_of = Vec::with_capacity(probabilities.len());
        for (s, &p) in probabilities.iter().enumerate() {
            if let Some(&t) = known.get(&p.to_bits()) {
                table_of.push(t);
                continue;
            }
            let variance = n_sources as f64 * p * (1.0 - p);
            if variance > MAX_COUNT_VARIANCE {
                let section = if probabilities.len() > 1 {
                    format!(" (section {s})")
                } else {
                    String::new()
                };
                return Err(ParamError::new(
                    "n_sources",
                    format!(
                        "{n_sources} sources at p = {p} per step{section} give a count variance \
                         of {variance:e}, above the {MAX_COUNT_VARIANCE:e} hebb tabulates; use \
                         fewer sources with a larger weight"
                    ),
                ));
            }
            let table = CountTable::binomial(n_sources, p);
            entries += table.cdf.len();
            if entries > MAX_TABLE_ENTRIES {
                return Err(ParamError::new(
                    "timed",
                    format!(
                        "the {} distinct rates up to section {s} need more than \
                         {MAX_TABLE_ENTRIES} count-table entries; use fewer distinct rates or \
                         fewer sources with a larger weight",
                        tables.len() + 1
                    ),
                ));
            }
            let t = tables.len() as u32;
            known.insert(p.to_bits(), t);
            table_of.push(t);
            tables.push(table);
        }
        Ok(Self {
            starts: starts.to_vec(),
            table_of,
            tables,
        })
    }

    /// The count distribution of step `step`: the last section whose start is `<= step`.
    #[inline]
    pub fn at(&self, step: u64) -> &CountTable {
        let s = self.starts.partition_point(|&start| start <= step) - 1;
        &self.tables[self.table_of[s] as usize]
    }
}

/// The distribution function of Binomial(n, p), tabulated from `first`: `cdf[j]` is
/// P(count ≤ first + j). Mass below 10⁻¹⁸ at either tail is left out.
#[derive(Debug, Clone, PartialEq)]
pub struct CountTable {
    first: u64,
    cdf: Vec<f64>,
}

/// Tail mass left out of a [`CountTable`].
const TAIL: f64 = 1e-18;

impl CountTable {
    /// The table of Binomial(`n`, `p`).
    pub fn binomial(n: u64, p: f64) -> Self {
        if n == 0 || p <= 0.0 {
            return Self {
                first: 0,
                cdf: vec![1.0],
            };
        }
        if p >= 1.0 {
            return Self {
                first: n,
                cdf: vec![1.0],
            };
        }
        let nf = n as f64;
        let mean = nf * p;
        let sd = (mean * (1.0 - p)).sqrt();
        // Start far enough below the mean that the mass before is < TAIL (12 sd + 10 covers
        // the skewed small-mean cases too; entries below TAIL are trimmed afterwards), walk
        // the log-pmf by its recurrence and exponentiate.
        let lo = (mean - 12.0 * sd - 10.0).max(0.0).floor() as u64;
        let hi = ((mean + 12.0 * sd + 10.0).ceil() as u64).min(n);
        let ln_ratio = (p / (1.0 - p)).ln();
        let mut ln_pmf = ln_binomial_pmf(n, lo, p);
        let mut pmf = Vec::with_capacity((hi - lo + 1) as usize);
        for k in lo..=hi {
            pmf.push(ln_pmf.exp());
            ln_pmf += ((nf - k as f64) / (k as f64 + 1.0)).ln() + ln_ratio;
        }
        let first = pmf.iter().position(|&m| m >= TAIL).unwrap_or(0);
        let last = pmf
            .iter()
            .rposition(|&m| m >= TAIL)
            .unwrap_or(pmf.len() - 1);
        let mut total = 0.0;
        let cdf: Vec<f64> = pmf[first..=last]
            .iter()
            .map(|&m| {
                total += m;
                total
            })
            .collect();
        // Normalize the kept mass (it differs from 1 by less than 1e-15).
        let cdf = cdf.iter().map(|c| c / total).collect();
        Self {
            first: lo + first as u64,
            cdf,
        }
    }

    /// The count for a uniform `u` in (0, 1]: the smallest `k` with P(count ≤ k) ≥ u.
    #[inline]
    pub fn count(&self, u: f64) -> u64 {
        let j = self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1);
        self.first + j as u64
    }

    /// Whether every draw gives the same count (no randomness to draw).
    pub fn is_constant(&self) -> bool {
        self.cdf.len() == 1
    }
}

/// `ln P(X = k)` for X ~ Binomial(n, p). Only the start of the recurrence uses it, and the
/// table is normalized afterwards, so its accuracy matters only against under/overflow.
fn ln_binomial_pmf(n: u64, k: u64, p: f64) -> f64 {
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
        + k as f64 * p.ln()
        + (n - k) as f64 * (-p).ln_1p()
}

/// `ln k!`: a sum below 20, Stirling's series with three corrections above.
fn ln_factorial(k: u64) -> f64 {
    if k < 20 {
        return (2..=k).map(|j| (j as f64).ln()).sum();
    }
    let x = k as f64;
    let inv = 1.0 / x;
    x * x.ln() - x + 0.5 * (std::f64::consts::TAU * x).ln() + inv / 12.0 - inv.powi(3) / 360.0
        + inv.powi(5) / 1260.0
}

/// Where the counts of an attached [`PoissonInput`] go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// `SynapticInput.voltage_jump`.
    Voltage,
    /// `SynapticInput.current`.
    Current,
    /// The projection's `SynapseState.pending`.
    Projection(Entity),
}

/// An attached summed Poisson input (fixed at build time; no state between steps).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct PoissonInputState {
    /// The driven population.
    pub population: Entity,
    /// Where the counts go.
    pub sink: Sink,
    /// What one count adds (`weight`, or `weight/dt` for a current).
    pub weight: Real,
    /// The count distribution of each section of time (one for a constant rate).
    pub counts: SectionCounts,
    /// The stimulus's `"poisson_input"` streams.
    pub streams: Streams,
    /// The driven neurons in ascending order (all when `None`).
    pub neurons: Option<Vec<u32>>,
}

/// Kernel: add `count(neuron, step)·weight` for the neurons `neurons` (`target[j]` is neuron
/// `neurons.start + j`). A pure function of its arguments, so any split of the population gives
/// the same numbers.
pub fn poisson_input_add(
    streams: &Streams,
    counts: &CountTable,
    neurons: Range<usize>,
    step: u64,
    weight: Real,
    target: &mut [Real],
) {
    if counts.is_constant() {
        let add = counts.count(1.0) as Real * weight;
        if add != 0.0 {
            target.iter_mut().for_each(|t| *t += add);
        }
        return;
    }
    for (t, i) in target.iter_mut().zip(neurons) {
        let k = counts.count(streams.uniform(i as u64, step));
        if k != 0 {
            *t += k as Real * weight;
        }
    }
}

/// [`Stage::InputSpikes`]: add every summed Poisson input into its target (a stimulus driving a
/// whole population: each partition its own block).
pub fn poisson_input_system(
    executor: &Executor,
    clock: Clock,
    stimuli: Query<&PoissonInputState>,
    mut inputs: Query<&mut SynapticInput>,
    mut synapses: Query<&mut SynapseState>,
) {
    for s in &stimuli {
        let counts = s.counts.at(clock.step);
        let mut input;
        let mut synapse;
        let target: &mut [Real] = match s.sink {
            Sink::Voltage | Sink::Current => {
                let Ok(found) = inputs.get_mut(s.population) else {
                    continue;
                };
                input = found;
                if s.sink == Sink::Voltage {
                    &mut input.voltage_jump
                } else {
                    &mut input.current
                }
            }
            Sink::Projection(e) => {
                let Ok(found) = synapses.get_mut(e) else {
                    continue;
                };
                synapse = found;
                &mut synapse.pending
            }
        };
        match &s.neurons {
            None => {
                // Each partition draws its own block's counts (a pure function of neuron and
                // step, so the split changes nothing).
                let n = target.len();
                executor.for_each_block(n, target, |block, target| {
                    poisson_input_add(&s.streams, counts, block, clock.step, s.weight, target);
                });
            }
            Some(list) => {
                // Each partition draws the listed neurons of its own block.
                let n = target.len();
                executor.for_each_block(n, target, |block, target| {
                    for &i in &list[listed_in(list, &block)] {
                        let (i, at) = (i as usize, i as usize - block.start);
                        poisson_input_add(
                            &s.streams,
                            counts,
                            i..i + 1,
                            clock.step,
                            s.weight,
                            &mut target[at..=at],
                        );
                    }
                });
            }
        }
    }
}

/// Registers `PoissonInput` and its system.
pub struct PoissonInputPlugin;

impl Plugin for PoissonInputPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<PoissonInput>();
        sim.add_model_systems::<PoissonInput, _>(Stage::InputSpikes, poisson_input_system);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_the_binomial_distribution() {
        // Small case against exact probabilities: Binomial(4, 0.25).
        let t = CountTable::binomial(4, 0.25);
        let exact = [81.0, 108.0, 54.0, 12.0, 1.0].map(|x: f64| x / 256.0);
        let mut c = 0.0;
        for (k, &m) in exact.iter().enumerate() {
            c += m;
            assert!((t.cdf[k] - c).abs() < 1e-15, "{k}");
            assert_eq!(t.count(c), k as u64);
            assert_eq!(t.count(c + 1e-12), (k as u64 + 1).min(4));
        }
        assert_eq!(t.first, 0);
        assert!(CountTable::binomial(0, 0.5).is_constant());
        // Stirling's series against the exact sum.
        let exact: f64 = (2..=60u64).map(|j| (j as f64).ln()).sum();
        assert!((ln_factorial(60) - exact).abs() < 1e-12);
        assert_eq!(CountTable::binomial(7, 1.0).count(0.3), 7);
        assert_eq!(CountTable::binomial(7, 0.0).count(0.3), 0);
    }

    #[test]
    fn counts_have_the_binomial_mean_and_variance() {
        let s = SimRng { seed: 2 }.streams("exc.stimulus0", "poisson_input");
        for (n, p) in [
            (1000u64, 0.001),
            (8000, 0.0125),
            (3, 0.5),
            (1 << 30, 1e-7),
            (1 << 20, 0.3),
        ] {
            let t = CountTable::binomial(n, p);
            let (neurons, steps) = (100, 2000u64);
            let mut sum = 0.0;
            let mut sum2 = 0.0;
            for k in 0..steps {
                let mut out = vec![0.0 as Real; neurons];
                poisson_input_add(&s, &t, 0..neurons, k, 1.0, &mut out);
                for &x in &out {
                    sum += f64::from(x);
                    sum2 += f64::from(x) * f64::from(x);
                }
            }
            let m = (neurons as u64 * steps) as f64;
            let (mean, var) = (sum / m, sum2 / m - (sum / m).powi(2));
            let (em, ev) = (n as f64 * p, n as f64 * p * (1.0 - p));
            assert!(
                (mean - em).abs() < 5.0 * (ev / m).sqrt(),
                "{n} {p}: {mean} vs {em}"
            );
            assert!(
                (var - ev).abs() < 5.0 * ev * (2.0 / m).sqrt() + 1e-9,
                "{n} {p}: {var} vs {ev}"
            );
        }
    }

    #[test]
    fn a_block_alone_gives_the_same_bits() {
        let s = SimRng { seed: 4 }.streams("p.stimulus1", "poisson_input");
        let t = CountTable::binomial(800, 0.02);
        let n = 500;
        let mut whole = vec![0.5 as Real; n];
        let mut parts = vec![0.5 as Real; n];
        for step in 0..50 {
            poisson_input_add(&s, &t, 0..n, step, 0.37, &mut whole);
            for r in [0..1, 1..250, 250..499, 499..500] {
                let slice = &mut parts[r.clone()];
                poisson_input_add(&s, &t, r, step, 0.37, slice);
            }
        }
        let bits = |v: &[Real]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&whole), bits(&parts));
    }

    #[test]
    fn sections_pick_their_table_by_step_and_share_equal_ones() {
        let c = SectionCounts::new(100, &[0, 10, 25, 40], &[0.01, 0.2, 0.01, 0.0]).unwrap();
        assert_eq!(c.tables.len(), 3);
        assert_eq!(c.table_of, vec![0, 1, 0, 2]);
        let constant = |p| CountTable::binomial(100, p);
        for (step, p) in [
            (0, 0.01),
            (9, 0.01),
            (10, 0.2),
            (24, 0.2),
            (25, 0.01),
            (40, 0.0),
            (u64::MAX, 0.0),
        ] {
            assert_eq!(c.at(step), &constant(p), "step {step}");
        }
        assert_eq!(
            SectionCounts::constant(100, 0.2).unwrap().at(7),
            &constant(0.2)
        );
    }

    #[test]
    fn validation() {
        let e = |p: PoissonInput| Model::validate(&p).unwrap_err().to_string();
        assert_eq!(
            e(PoissonInput {
                rate_hz: -1.0,
                ..PoissonInput::default()
            }),
            "rate_hz must be >= 0, got -1"
        );
        assert_eq!(
            e(PoissonInput {
                target: PoissonInputTarget::Projection(String::new()),
                ..PoissonInput::default()
            }),
            "target Projection needs a projection name"
        );
    }
}
