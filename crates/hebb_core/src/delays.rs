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
//! presynaptic spikes at `d_min`, which is also what the MPI exchange uses).
//! [`SynapseDelays`] groups each presynaptic row's synapses by their extra delay `d − d_min`
//! (positions within the row: one byte per synapse when no row has more than 255 synapses, two
//! up to 65535, four beyond; plus `span + 1` group starts per presynaptic neuron), and [`SynapseQueue`]
//! keeps the presynaptic neurons that reached `d_min` in each of the last `span + 1` steps.
//! At step `t` the synapses due are, for each extra delay `e`, the group `e` of the neurons
//! that reached `d_min` at `t − e`: each is copied (as synapse indices) into
//! [`crate::projection::Arrivals::synapses`], in canonical order (by emission step, then
//! presynaptic neuron, then postsynaptic neuron, the order of a one-delay projection when all
//! delays are equal), which the synapse outputs read whichever partition they run.
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
                let sampler = self.sampler(dt_ms)?;
                let mut d = vec![0u32; n];
                let mut synapses = Vec::new();
                for j in 0..connectivity.n_post() {
                    synapses.clear();
                    connectivity.for_each_incoming(j, |s, _| synapses.push(s));
                    let mut rng = streams.stream(j as u64);
                    for &s in &synapses {
                        d[s] = sampler.draw(&mut rng)?;
                    }
                }
                Ok(d)
            }
        }
    }

    /// The distribution of a random form (`Uniform`, `Normal`), ready to draw.
    fn sampler(&self, dt_ms: f64) -> Result<Sampler, ParamError> {
        match self {
            Self::Uniform { low, high } => Ok(Sampler::Uniform(
                on_grid(FIELD, *low, dt_ms)?,
                on_grid(FIELD, *high, dt_ms)?,
            )),
            Self::Normal {
                mean,
                std,
                min,
                max,
            } => Ok(Sampler::Normal {
                normal: Normal::new(*mean, *std)
                    .map_err(|e| ParamError::new(format!("{FIELD}.std"), e.to_string()))?,
                min: *min,
                max: *max,
                dt_ms,
            }),
            Self::Constant(ms) => {
                let d = on_grid(FIELD, *ms, dt_ms)?;
                Ok(Sampler::Uniform(d, d))
            }
            Self::Values(_) => Err(ParamError::new(FIELD, "Values are not drawn")),
        }
    }
}

/// A random delay distribution on the grid.
enum Sampler {
    /// Steps `lo..=hi`, equally likely.
    Uniform(u32, u32),
    /// Redrawn into `[min, max]` ms, then the nearest step.
    Normal {
        normal: Normal<f64>,
        min: f64,
        max: f64,
        dt_ms: f64,
    },
}

impl Sampler {
    /// One delay in steps.
    fn draw(&self, rng: &mut crate::rng::Stream) -> Result<u32, ParamError> {
        match self {
            Self::Uniform(lo, hi) => Ok(rng.random_range(*lo..=*hi)),
            Self::Normal {
                normal,
                min,
                max,
                dt_ms,
            } => {
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

/// A position inside a row (or a row length): `u8`, `u16` or `u32`, whichever fits the
/// projection's longest row.
trait Pos: Copy {
    fn from_usize(x: usize) -> Self;
    fn to_usize(self) -> usize;
}

macro_rules! pos {
    ($($t:ty),*) => {$(
        impl Pos for $t {
            #[inline(always)]
            fn from_usize(x: usize) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_usize(self) -> usize {
                self as usize
            }
        }
    )*};
}
pos!(u8, u16, u32);

/// Every row's synapses grouped by extra delay.
#[derive(Debug, Clone, PartialEq)]
struct Grouped<T> {
    /// Row `i`'s synapses sorted by (extra delay, synapse), as positions within the row:
    /// `order[row.start + k]`.
    order: Vec<T>,
    /// `starts[i·(span + 1) + e]`: where row `i`'s synapses with extra delay `e` begin in
    /// `order` (relative to the row's start); they end where `e + 1`'s begin (or at the row's
    /// end).
    starts: Vec<T>,
}

/// [`Grouped`] in the narrowest position type.
#[derive(Debug, Clone, PartialEq)]
enum Groups {
    U8(Grouped<u8>),
    U16(Grouped<u16>),
    U32(Grouped<u32>),
}

/// The synapse range of presynaptic neuron `i`.
#[inline(always)]
fn row_of(connectivity: &Connectivity, i: usize) -> std::ops::Range<usize> {
    match connectivity {
        Connectivity::Dense { n_post, .. } => i * n_post..(i + 1) * n_post,
        Connectivity::Sparse(csr) => csr.row(i),
    }
}

/// Group every row of `connectivity` by extra delay `steps[s] − min` (`m` values): a counting
/// sort per row, so synapses with the same delay keep their order (ascending postsynaptic
/// neuron).
fn group<T: Pos>(steps: &[u32], min: u32, m: usize, connectivity: &Connectivity) -> Grouped<T> {
    let n_pre = connectivity.n_pre();
    let mut order = vec![T::from_usize(0); steps.len()];
    let mut starts = Vec::with_capacity(n_pre * m);
    let mut next = vec![0usize; m];
    for i in 0..n_pre {
        let row = row_of(connectivity, i);
        next.fill(0);
        for s in row.clone() {
            next[(steps[s] - min) as usize] += 1;
        }
        let mut at = 0;
        for slot in next.iter_mut() {
            starts.push(T::from_usize(at));
            let count = *slot;
            *slot = at;
            at += count;
        }
        for s in row.clone() {
            let e = (steps[s] - min) as usize;
            order[row.start + next[e]] = T::from_usize(s - row.start);
            next[e] += 1;
        }
    }
    Grouped { order, starts }
}

/// The per-synapse delays of a projection whose synapses do not all have the same delay
/// (fixed at build time; rebuilt from the scene on resume): each row's synapses grouped by
/// their extra delay over the shortest, as positions within the row (one byte per synapse when
/// no row is longer than 255 synapses, two up to 65535, else four) plus `span + 1` group starts
/// per presynaptic neuron.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct SynapseDelays {
    min_steps: u32,
    max_steps: u32,
    groups: Groups,
}

impl SynapseDelays {
    /// From every synapse's delay in steps (in synapse order of `connectivity`): `None` when
    /// they are all equal (an ordinary one-delay projection). The span must be at most
    /// [`MAX_SPAN_STEPS`].
    pub fn from_steps(
        steps: &[u32],
        connectivity: &Connectivity,
    ) -> Result<Option<Self>, ParamError> {
        let (Some(&min_steps), Some(&max_steps)) = (steps.iter().min(), steps.iter().max()) else {
            return Ok(None);
        };
        if min_steps == max_steps {
            return Ok(None);
        }
        check_span(max_steps - min_steps)?;
        let m = (max_steps - min_steps) as usize + 1;
        let n_pre = connectivity.n_pre();
        if n_pre.saturating_mul(m) > u32::MAX as usize {
            return Err(ParamError::new(
                FIELD,
                format!(
                    "{n_pre} presynaptic neurons × {m} delay steps are too many delay groups; narrow the span of the delays"
                ),
            ));
        }
        let longest = (0..n_pre)
            .map(|i| row_of(connectivity, i).len())
            .max()
            .unwrap_or(0);
        let groups = if longest <= usize::from(u8::MAX) {
            Groups::U8(group(steps, min_steps, m, connectivity))
        } else if longest <= usize::from(u16::MAX) {
            Groups::U16(group(steps, min_steps, m, connectivity))
        } else {
            Groups::U32(group(steps, min_steps, m, connectivity))
        };
        Ok(Some(Self {
            min_steps,
            max_steps,
            groups,
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

    /// Bytes per synapse of the grouping (1, 2 or 4).
    pub fn bytes_per_synapse(&self) -> usize {
        match self.groups {
            Groups::U8(_) => 1,
            Groups::U16(_) => 2,
            Groups::U32(_) => 4,
        }
    }

    /// A queue for these delays on a projection of `n_pre` presynaptic neurons.
    pub fn queue(&self, n_pre: usize) -> SynapseQueue {
        SynapseQueue {
            n_pre: n_pre as u64,
            slots: vec![Vec::new(); (self.max_steps - self.min_steps) as usize + 1],
            base: Vec::new(),
        }
    }
}

/// The presynaptic neurons whose spikes reached the projection's shortest delay in each of the
/// last `span + 1` steps (slot `t mod (span + 1)` for step `t`): their synapses with an extra
/// delay `e` receive the spike `e` steps later. Part of snapshots.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynapseQueue {
    n_pre: u64,
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

    /// The recent presynaptic arrivals, by slot (for tests and checks).
    pub fn slots(&self) -> &[Vec<u32>] {
        &self.slots
    }

    /// Step `step`: keep the base list (the presynaptic neurons reaching the shortest delay
    /// now) and put the synapses due now into `arrivals`: for each extra delay `e`, from the
    /// longest to 0, the synapses with that extra delay of the neurons that reached the
    /// shortest delay `e` steps ago. So they come by emission step, then presynaptic neuron,
    /// then postsynaptic neuron. Allocation-free once the lists have reached their working size.
    pub fn advance(
        &mut self,
        step: u64,
        connectivity: &Connectivity,
        delays: &SynapseDelays,
        arrivals: &mut Vec<u32>,
    ) {
        let m = self.slots.len();
        let now = (step % m as u64) as usize;
        std::mem::swap(&mut self.slots[now], &mut self.base);
        self.base.clear();
        arrivals.clear();
        match &delays.groups {
            Groups::U8(g) => expand(g, &self.slots, now, connectivity, arrivals),
            Groups::U16(g) => expand(g, &self.slots, now, connectivity, arrivals),
            Groups::U32(g) => expand(g, &self.slots, now, connectivity, arrivals),
        }
    }
}

/// The synapses due at the step whose slot is `now` (see [`SynapseQueue::advance`]).
#[inline]
fn expand<T: Pos>(
    g: &Grouped<T>,
    slots: &[Vec<u32>],
    now: usize,
    connectivity: &Connectivity,
    arrivals: &mut Vec<u32>,
) {
    let m = slots.len();
    for e in (0..m).rev() {
        let slot = if now >= e { now - e } else { now + m - e };
        for &i in &slots[slot] {
            let i = i as usize;
            let row = row_of(connectivity, i);
            let lo = g.starts[i * m + e].to_usize();
            let hi = if e + 1 < m {
                g.starts[i * m + e + 1].to_usize()
            } else {
                row.len()
            };
            let start = row.start;
            arrivals.extend(
                g.order[start + lo..start + hi]
                    .iter()
                    .map(|&p| (start + p.to_usize()) as u32),
            );
        }
    }
}

impl RestoreCheck for SynapseQueue {
    fn check_restored(fresh: &Self, saved: &Self) -> Result<(), String> {
        if saved.n_pre != fresh.n_pre || saved.slots.len() != fresh.slots.len() {
            return Err("its presynaptic size or delay span differs from the projection's".into());
        }
        if saved
            .slots
            .iter()
            .flatten()
            .any(|&i| u64::from(i) >= fresh.n_pre)
        {
            return Err(format!(
                "a queued spike is not from a presynaptic neuron (0..{})",
                fresh.n_pre
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
            assert_eq!(d[s], init.sampler(0.1).unwrap().draw(&mut rng).unwrap());
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
    fn equal_delays_are_a_one_delay_projection_and_groups_are_compact() {
        let conn = Connectivity::Dense {
            n_pre: 1,
            n_post: 4,
        };
        assert_eq!(
            SynapseDelays::from_steps(&[4, 4, 4, 4], &conn).unwrap(),
            None
        );
        let d = SynapseDelays::from_steps(&[4, 9, 4, 259], &conn)
            .unwrap()
            .unwrap();
        assert_eq!((d.min_steps(), d.max_steps()), (4, 259));
        assert_eq!(d.bytes_per_synapse(), 1);
        let long_rows = Connectivity::Dense {
            n_pre: 1,
            n_post: 300,
        };
        let steps: Vec<u32> = (0..300).map(|k| k % 3).collect();
        let wide = SynapseDelays::from_steps(&steps, &long_rows)
            .unwrap()
            .unwrap();
        assert_eq!(wide.bytes_per_synapse(), 2);
        assert!(SynapseDelays::from_steps(&[0, 70_000, 0, 0], &conn).is_err());
    }

    #[test]
    fn the_queue_delivers_each_synapse_at_its_own_delay() {
        // 2 pre × 3 post, dense: synapse s = 3i + j.
        let conn = Connectivity::Dense {
            n_pre: 2,
            n_post: 3,
        };
        let steps = [2, 0, 5, 1, 2, 0];
        let delays = SynapseDelays::from_steps(&steps, &conn).unwrap().unwrap();
        let mut queue = delays.queue(2);
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
