//! Per-synapse delays: one delay per synapse instead of one per projection.
//!
//! A scene gives them with `synapse_delays_ms:` (instead of `delay_ms:`), written like the
//! `weights:` initialisers, every value in ms and on the time grid:
//!
//! | form | meaning |
//! |---|---|
//! | `Constant(1.5)` | every synapse 1.5 ms (the same as `delay_ms: 1.5`) |
//! | `Uniform(low: 0.5, high: 2.0)` | each synapse one of the grid values `low, low + dt, …, high` with equal probability (both ends included) |
//! | `Normal(mean: 1.5, std: 0.5, min: 0.1, max: 3.0)` | a normal draw, redrawn until it lies in `[min, max]` (default `min` 0, `max` unbounded), then taken to the nearest step: the distribution is defined on the grid, no value written in the scene is rounded |
//! | `Values([0.5, 1.0, …])` | one value per synapse, in synapse order (or in the order of a `List` connectivity) |
//!
//! Bounds and values must be whole numbers of steps (`0.25` ms with `dt = 0.1` ms is an error,
//! as for `delay_ms`). Random delays of the synapses onto postsynaptic neuron `j` come from
//! stream `j` of the projection's `"delays"` family, one draw per incoming synapse in ascending
//! presynaptic order (as weights), so they do not depend on how the network is split.
//!
//! ## Storage and delivery
//! When every synapse has the same delay, the projection is an ordinary one-delay projection
//! (nothing below exists for it). Otherwise the projection's [`crate::projection::Projection`]
//! delay is the *shortest* delay `d_min` (its [`crate::projection::DelayLine`] hands on the
//! presynaptic spikes at `d_min`, which is also what the MPI exchange uses), and
//! [`SynapseDelays`] stores each synapse's extra delay `d − d_min` in one byte (two when the
//! delays span more than 255 steps). When a presynaptic neuron's spikes reach `d_min`, its row
//! is walked once: synapses with no extra delay arrive now, the others are queued by synapse
//! index in the [`SynapseQueue`] slot of the step they arrive at. The synapse outputs then read
//! [`crate::projection::Arrivals::synapses`], in canonical order: by emission step, then
//! presynaptic neuron, then postsynaptic neuron (the order of a one-delay projection when all
//! delays are equal), whichever partition reads them.
//!
//! Short-term and long-term plasticity keep their presynaptic state per presynaptic neuron and
//! act on presynaptic arrivals, so a projection with per-synapse delays refuses them (build
//! error naming the projection).

use bevy_ecs::component::Component;
use rand::RngExt;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::clock::steps_on_grid;
use crate::connectivity::{BuiltConnectivity, Connectivity};
use crate::error::ParamError;
use crate::rng::Streams;
use crate::snapshot::RestoreCheck;

/// The scene field, used in error messages.
pub const FIELD: &str = "synapse_delays_ms";

/// The widest span `d_max − d_min` of one projection's delays, in steps (two-byte offsets).
pub const MAX_SPAN_STEPS: u32 = u16::MAX as u32;

/// Redraws of a truncated normal before giving up.
const MAX_REDRAWS: usize = 10_000;

/// Per-synapse delays of a projection, in ms (scene syntax in parentheses; see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DelayInit {
    /// The same delay everywhere (`Constant(1.0)`).
    Constant(f64),
    /// Equally likely grid values from `low` to `high`, both included
    /// (`Uniform(low: 0.5, high: 2.0)`).
    Uniform {
        /// Shortest delay, ms (on the grid).
        low: f64,
        /// Longest delay, ms (on the grid, ≥ `low`).
        high: f64,
    },
    /// A normal draw redrawn into `[min, max]`, then taken to the nearest step
    /// (`Normal(mean: 1.5, std: 0.5, min: 0.5, max: 3.0)`).
    Normal {
        /// Mean, ms.
        mean: f64,
        /// Standard deviation, ms (≥ 0).
        std: f64,
        /// Lower bound, ms (on the grid; default 0).
        #[serde(default)]
        min: f64,
        /// Upper bound, ms (on the grid; default unbounded).
        #[serde(default = "pos_inf", skip_serializing_if = "is_pos_inf")]
        max: f64,
    },
    /// One delay per synapse, ms (`Values([0.5, 1.0])`), in synapse order, or, for an explicit
    /// `List` connectivity, in the order of that list.
    Values(Vec<f64>),
}

fn pos_inf() -> f64 {
    f64::INFINITY
}
fn is_pos_inf(x: &f64) -> bool {
    *x == f64::INFINITY
}

/// `ms` as whole steps, or an error naming `field`.
fn on_grid(field: &str, ms: f64, dt_ms: f64) -> Result<u32, ParamError> {
    let steps = steps_on_grid(ms, dt_ms).ok_or_else(|| {
        ParamError::new(
            field,
            format!("must be >= 0 and a whole number of time steps (dt = {dt_ms} ms), got {ms}"),
        )
    })?;
    if steps > crate::simulation::MAX_DELAY_STEPS {
        return Err(ParamError::new(
            field,
            format!(
                "must be at most {} ms ({} steps of {dt_ms} ms), got {ms}",
                crate::simulation::MAX_DELAY_STEPS as f64 * dt_ms,
                crate::simulation::MAX_DELAY_STEPS
            ),
        ));
    }
    Ok(steps as u32)
}

impl DelayInit {
    /// Check the values against the time grid `dt_ms`; errors name the scene field
    /// (`synapse_delays_ms.low`, `synapse_delays_ms[3]`, …).
    pub fn validate(&self, dt_ms: f64) -> Result<(), ParamError> {
        match self {
            Self::Constant(ms) => on_grid(FIELD, *ms, dt_ms).map(|_| ()),
            Self::Uniform { low, high } => {
                let lo = on_grid(&format!("{FIELD}.low"), *low, dt_ms)?;
                let hi = on_grid(&format!("{FIELD}.high"), *high, dt_ms)?;
                if hi < lo {
                    return Err(ParamError::new(
                        format!("{FIELD}.high"),
                        format!("must be >= low ({low}), got {high}"),
                    ));
                }
                check_span(hi - lo)
            }
            Self::Normal {
                mean,
                std,
                min,
                max,
            } => {
                crate::params::check::finite(&format!("{FIELD}.mean"), *mean)?;
                crate::params::check::finite(&format!("{FIELD}.std"), *std)?;
                crate::params::check::non_negative(&format!("{FIELD}.std"), *std)?;
                let lo = on_grid(&format!("{FIELD}.min"), *min, dt_ms)?;
                if max.is_finite() {
                    let hi = on_grid(&format!("{FIELD}.max"), *max, dt_ms)?;
                    if hi < lo {
                        return Err(ParamError::new(
                            format!("{FIELD}.max"),
                            format!("must be >= min ({min}), got {max}"),
                        ));
                    }
                    check_span(hi - lo)?;
                } else if max.is_nan() || *max < 0.0 {
                    return Err(ParamError::new(
                        format!("{FIELD}.max"),
                        format!("must be a number of ms >= min or left out, got {max}"),
                    ));
                }
                let inside = crate::initial::normal_mass(*mean, *std, *min, *max);
                if inside < 0.01 {
                    return Err(ParamError::new(
                        format!("{FIELD}.min"),
                        format!(
                            "[{min}, {max}] holds {inside:.2e} of the normal's mass (at least 1 % is needed to redraw into it)"
                        ),
                    ));
                }
                Ok(())
            }
            Self::Values(values) => {
                let mut range = (u32::MAX, 0);
                for (n, &ms) in values.iter().enumerate() {
                    let d = on_grid(&format!("{FIELD}[{n}]"), ms, dt_ms)?;
                    range = (range.0.min(d), range.1.max(d));
                }
                if values.is_empty() {
                    return Ok(());
                }
                check_span(range.1 - range.0)
            }
        }
    }

    /// Every synapse's delay in steps, in synapse order. Random delays are drawn per
    /// postsynaptic neuron `j` from `streams.stream(j)`, one draw per incoming synapse in
    /// ascending presynaptic order.
    pub fn generate(
        &self,
        built: &BuiltConnectivity,
        streams: &Streams,
        dt_ms: f64,
    ) -> Result<Vec<u32>, ParamError> {
        self.validate(dt_ms)?;
        let connectivity = &built.connectivity;
        let n = connectivity.n_synapses();
        match self {
            Self::Constant(ms) => Ok(vec![on_grid(FIELD, *ms, dt_ms)?; n]),
            Self::Values(values) => {
                if values.len() != n {
                    return Err(ParamError::new(
                        FIELD,
                        format!(
                            "Values needs one delay per synapse ({n}), got {}",
                            values.len()
                        ),
                    ));
                }
                let steps = |k: usize| on_grid(&format!("{FIELD}[{k}]"), values[k], dt_ms);
                match &built.list_index {
                    Some(order) => order.iter().map(|&k| steps(k)).collect(),
                    None => (0..n).map(steps).collect(),
                }
            }
            Self::Uniform { .. } | Self::Normal { .. } => {
                let mut d = vec![0u32; n];
                let mut synapses = Vec::new();
                for j in 0..connectivity.n_post() {
                    synapses.clear();
                    connectivity.for_each_incoming(j, |s, _| synapses.push(s));
                    let mut rng = streams.stream(j as u64);
                    for &s in &synapses {
                        d[s] = self.draw(&mut rng, dt_ms)?;
                    }
                }
                Ok(d)
            }
        }
    }

    /// One random delay in steps (for `Uniform` and `Normal`).
    fn draw(&self, rng: &mut crate::rng::Stream, dt_ms: f64) -> Result<u32, ParamError> {
        match self {
            Self::Uniform { low, high } => {
                let lo = on_grid(FIELD, *low, dt_ms)?;
                let hi = on_grid(FIELD, *high, dt_ms)?;
                Ok(rng.random_range(lo..=hi))
            }
            Self::Normal {
                mean,
                std,
                min,
                max,
            } => {
                let normal = Normal::new(*mean, *std)
                    .map_err(|e| ParamError::new(format!("{FIELD}.std"), e.to_string()))?;
                for _ in 0..MAX_REDRAWS {
                    let x: f64 = normal.sample(rng);
                    if (*min..=*max).contains(&x) {
                        // The nearest step of a value inside [min, max] stays inside: both
                        // bounds are on the grid.
                        let steps = (x / dt_ms).round();
                        if steps > crate::simulation::MAX_DELAY_STEPS as f64 {
                            break;
                        }
                        return Ok(steps as u32);
                    }
                }
                Err(ParamError::new(
                    format!("{FIELD}.max"),
                    "no draw fell inside [min, max] and within the longest delay",
                ))
            }
            Self::Constant(_) | Self::Values(_) => Ok(0),
        }
    }
}

fn check_span(span: u32) -> Result<(), ParamError> {
    if span > MAX_SPAN_STEPS {
        return Err(ParamError::new(
            FIELD,
            format!(
                "the delays of one projection must span at most {MAX_SPAN_STEPS} steps (longest − shortest), got {span}"
            ),
        ));
    }
    Ok(())
}

/// Each synapse's delay beyond the projection's shortest, compactly.
#[derive(Debug, Clone, PartialEq)]
enum Offsets {
    /// Spans up to 255 steps.
    U8(Vec<u8>),
    /// Spans up to 65535 steps.
    U16(Vec<u16>),
}

/// The per-synapse delays of a projection whose synapses do not all have the same delay
/// (fixed at build time; rebuilt from the scene on resume).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct SynapseDelays {
    min_steps: u32,
    max_steps: u32,
    offsets: Offsets,
}

impl SynapseDelays {
    /// From every synapse's delay in steps: `None` when they are all equal (an ordinary
    /// one-delay projection), else the compact form. The span must be at most
    /// [`MAX_SPAN_STEPS`].
    pub fn from_steps(steps: &[u32]) -> Result<Option<Self>, ParamError> {
        let (Some(&min_steps), Some(&max_steps)) = (steps.iter().min(), steps.iter().max()) else {
            return Ok(None);
        };
        if min_steps == max_steps {
            return Ok(None);
        }
        check_span(max_steps - min_steps)?;
        let offsets = if max_steps - min_steps <= u32::from(u8::MAX) {
            Offsets::U8(steps.iter().map(|&d| (d - min_steps) as u8).collect())
        } else {
            Offsets::U16(steps.iter().map(|&d| (d - min_steps) as u16).collect())
        };
        Ok(Some(Self {
            min_steps,
            max_steps,
            offsets,
        }))
    }

    /// The shortest delay, in steps (the projection's own delay).
    pub fn min_steps(&self) -> u32 {
        self.min_steps
    }

    /// The longest delay, in steps.
    pub fn max_steps(&self) -> u32 {
        self.max_steps
    }

    /// Synapse `s`'s delay in steps.
    pub fn steps(&self, s: usize) -> u32 {
        self.min_steps
            + match &self.offsets {
                Offsets::U8(o) => u32::from(o[s]),
                Offsets::U16(o) => u32::from(o[s]),
            }
    }

    /// Bytes per synapse of the stored delays.
    pub fn bytes_per_synapse(&self) -> usize {
        match self.offsets {
            Offsets::U8(_) => 1,
            Offsets::U16(_) => 2,
        }
    }

    /// A queue for these delays.
    pub fn queue(&self, n_synapses: usize) -> SynapseQueue {
        SynapseQueue {
            n_synapses: n_synapses as u64,
            slots: vec![Vec::new(); (self.max_steps - self.min_steps) as usize + 1],
            base: Vec::new(),
        }
    }
}

/// Synapse arrivals waiting beyond the shortest delay: slot `t mod (span + 1)` holds the
/// synapses that receive their spike at step `t`, in canonical order. Part of snapshots.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynapseQueue {
    n_synapses: u64,
    slots: Vec<Vec<u32>>,
    /// Scratch: the presynaptic neurons reaching the shortest delay this step.
    #[serde(skip)]
    base: Vec<u32>,
}

impl SynapseQueue {
    /// The presynaptic neurons reaching the shortest delay this step, to be filled by the
    /// projection's delay line before [`SynapseQueue::advance`].
    pub fn base_mut(&mut self) -> &mut Vec<u32> {
        &mut self.base
    }

    /// The queued synapses, by slot (for tests and checks).
    pub fn slots(&self) -> &[Vec<u32>] {
        &self.slots
    }

    /// Step `step`: put the synapses due now into `arrivals` (those queued earlier, then those
    /// of the presynaptic neurons in the base list whose delay is the shortest) and queue the
    /// other synapses of those neurons at their arrival step. Allocation-free once the slots
    /// have reached their working size.
    pub fn advance(
        &mut self,
        step: u64,
        connectivity: &Connectivity,
        delays: &SynapseDelays,
        arrivals: &mut Vec<u32>,
    ) {
        let n = self.slots.len();
        let now = (step % n as u64) as usize;
        arrivals.clear();
        std::mem::swap(arrivals, &mut self.slots[now]);
        if self.base.is_empty() {
            return;
        }
        match &delays.offsets {
            Offsets::U8(o) => {
                queue_rows(&self.base, connectivity, o, now, &mut self.slots, arrivals)
            }
            Offsets::U16(o) => {
                queue_rows(&self.base, connectivity, o, now, &mut self.slots, arrivals)
            }
        }
    }
}

/// Walk the rows of `base` once: offset 0 goes to `arrivals`, offset `e` to slot `now + e`
/// (mod the slot count).
#[inline]
fn queue_rows<T: Copy + Into<u32>>(
    base: &[u32],
    connectivity: &Connectivity,
    offsets: &[T],
    now: usize,
    slots: &mut [Vec<u32>],
    arrivals: &mut Vec<u32>,
) {
    let n = slots.len();
    for &i in base {
        connectivity.for_each_outgoing(i as usize, |s, _| {
            let e = offsets[s].into() as usize;
            if e == 0 {
                arrivals.push(s as u32);
            } else {
                let mut slot = now + e;
                if slot >= n {
                    slot -= n;
                }
                slots[slot].push(s as u32);
            }
        });
    }
}

impl RestoreCheck for SynapseQueue {
    fn check_restored(fresh: &Self, saved: &Self) -> Result<(), String> {
        if saved.n_synapses != fresh.n_synapses || saved.slots.len() != fresh.slots.len() {
            return Err("its synapse count or delay span differs from the projection's".into());
        }
        if saved
            .slots
            .iter()
            .flatten()
            .any(|&s| u64::from(s) >= fresh.n_synapses)
        {
            return Err(format!(
                "a queued synapse is not a synapse of the projection (0..{})",
                fresh.n_synapses
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectivity::ConnectivitySpec;
    use crate::rng::SimRng;

    fn streams() -> Streams {
        SimRng { seed: 3 }.streams("p", "delays")
    }

    #[test]
    fn grid_and_bounds_are_checked_with_field_names() {
        let dt = 0.1;
        let e = DelayInit::Uniform {
            low: 0.25,
            high: 1.0,
        }
        .validate(dt)
        .unwrap_err();
        assert_eq!(e.field, "synapse_delays_ms.low");
        assert!(e.to_string().contains("whole number of time steps"), "{e}");
        let e = DelayInit::Values(vec![0.1, 0.2, 0.35])
            .validate(dt)
            .unwrap_err();
        assert_eq!(e.field, "synapse_delays_ms[2]");
        let e = DelayInit::Uniform {
            low: 1.0,
            high: 0.5,
        }
        .validate(dt)
        .unwrap_err();
        assert_eq!(e.field, "synapse_delays_ms.high");
        let e = DelayInit::Constant(-0.1).validate(dt).unwrap_err();
        assert_eq!(e.field, "synapse_delays_ms");
        let e = DelayInit::Normal {
            mean: 1.0,
            std: 0.1,
            min: 0.0,
            max: 0.55,
        }
        .validate(dt)
        .unwrap_err();
        assert_eq!(e.field, "synapse_delays_ms.max");
        assert!(
            DelayInit::Normal {
                mean: 1.0,
                std: 0.5,
                min: 0.0,
                max: f64::INFINITY
            }
            .validate(dt)
            .is_ok()
        );
    }

    #[test]
    fn uniform_draws_cover_the_grid_per_column() {
        let built = ConnectivitySpec::FixedProbability {
            p: 0.2,
            autapses: true,
        }
        .build(200, 100, false, &streams())
        .unwrap();
        let init = DelayInit::Uniform {
            low: 0.5,
            high: 0.8,
        };
        let d = init.generate(&built, &streams(), 0.1).unwrap();
        let mut seen = [0usize; 4];
        for &x in &d {
            seen[x as usize - 5] += 1;
        }
        let n = d.len();
        for (k, &c) in seen.iter().enumerate() {
            let share = c as f64 / n as f64;
            assert!((share - 0.25).abs() < 0.03, "value {k}: {share}");
        }
        // Column j's delays are a pure function of (streams, j): same draws as drawing that
        // column alone.
        let mut rng = streams().stream(7);
        let mut col = Vec::new();
        built.connectivity.for_each_incoming(7, |s, _| col.push(s));
        for s in col {
            assert_eq!(d[s], init.draw(&mut rng, 0.1).unwrap());
        }
    }

    #[test]
    fn normal_draws_stay_on_the_grid_inside_the_bounds() {
        let built = ConnectivitySpec::AllToAll
            .build(50, 40, false, &streams())
            .unwrap();
        let init = DelayInit::Normal {
            mean: 1.0,
            std: 0.5,
            min: 0.2,
            max: 1.5,
        };
        let d = init.generate(&built, &streams(), 0.1).unwrap();
        assert!(d.iter().all(|&x| (2..=15).contains(&x)));
        let mean = d.iter().map(|&x| f64::from(x)).sum::<f64>() / d.len() as f64;
        assert!((mean - 9.0).abs() < 0.5, "{mean}");
    }

    #[test]
    fn equal_delays_are_a_one_delay_projection_and_offsets_are_compact() {
        assert_eq!(SynapseDelays::from_steps(&[4, 4, 4]).unwrap(), None);
        let d = SynapseDelays::from_steps(&[4, 9, 4, 259]).unwrap().unwrap();
        assert_eq!((d.min_steps(), d.max_steps()), (4, 259));
        assert_eq!(d.bytes_per_synapse(), 1);
        assert_eq!(d.steps(3), 259);
        let wide = SynapseDelays::from_steps(&[1, 300]).unwrap().unwrap();
        assert_eq!(wide.bytes_per_synapse(), 2);
        assert_eq!(wide.steps(1), 300);
        assert!(SynapseDelays::from_steps(&[0, 70_000]).is_err());
    }

    #[test]
    fn the_queue_delivers_each_synapse_at_its_own_delay() {
        // 2 pre × 3 post, dense: synapse s = 3i + j.
        let conn = Connectivity::Dense {
            n_pre: 2,
            n_post: 3,
        };
        let steps = [2, 0, 5, 1, 2, 0];
        let delays = SynapseDelays::from_steps(&steps).unwrap().unwrap();
        let mut queue = delays.queue(6);
        let mut arrivals = Vec::new();
        let mut seen = Vec::new();
        for step in 0..12u64 {
            // Base arrivals (delay d_min = 0): pre 0 and 1 at step 1, pre 1 again at step 2.
            queue.base_mut().clear();
            match step {
                1 => queue.base_mut().extend([0, 1]),
                2 => queue.base_mut().push(1),
                _ => {}
            }
            queue.advance(step, &conn, &delays, &mut arrivals);
            for &s in &arrivals {
                seen.push((step, s));
            }
        }
        let mut expected = Vec::new();
        for (t0, pres) in [(1u64, vec![0u32, 1]), (2, vec![1])] {
            for i in pres {
                for j in 0..3 {
                    let s = 3 * i + j;
                    expected.push((t0 + u64::from(steps[s as usize]), s));
                }
            }
        }
        // Canonical order: by step, then emission step, then synapse.
        expected.sort_by_key(|&(t, s)| (t, t - u64::from(steps[s as usize]), s));
        assert_eq!(seen, expected);
    }
}
