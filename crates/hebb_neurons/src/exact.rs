//! # `Exact` — spikes imposed from outside
//!
//! A population whose spikes are dictated, like Inferno's `ExactNeuron` with its `override`
//! argument: each step, neuron `i` spikes if
//!
//! - the params' schedule lists the step for it (`steps[i]` as step indices and/or
//!   `times_ms[i]` as times on the dt grid), or
//! - the program imposed it for this step with `Simulation::impose_spikes(population, &[i])`
//!   (called between steps; the [`ImposedSpikes`] list is consumed by the next step).
//!
//! Both sources are merged (a neuron spikes once even if both name it). `Exact` is an input
//! model: its spikes are emitted in [`Stage::InputSpikes`] and reach a projection with delay d
//! d steps later. It is meant as the postsynaptic side of plasticity experiments with
//! dictated post spikes (Inferno's Florian example), so it may receive projections: their input
//! has no effect and is cleared every step. It has no membrane (Inferno's displayed voltage,
//! `thresh_v` on a spike and `rest_v` otherwise, carries no information); a `Conductance`
//! synapse onto it therefore needs `fixed_driving_force_mv`.
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `steps` | step | `[]` | `steps[i]`: the steps at which neuron `i` spikes |
//! | `times_ms` | ms | `[]` | `times_ms[i]`: spike times of neuron `i` (on the dt grid) |
//!
//! A neuron listed twice for one step (within or across the two lists) is a build error.
//!
//! Reference: Inferno `inferno/extra/neural.py::ExactNeuron`.

use hebb_core::clock::Clock;
use hebb_core::population::ImposedSpikes;
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::schedule::{ScheduleBuilder, ScheduledSpikes};

/// Exact (imposed-spike) params (scene name `Exact`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Exact {
    /// `steps[i]`: spike steps of neuron `i`. Default `[]`.
    pub steps: Vec<Vec<u64>>,
    /// `times_ms[i]`: spike times of neuron `i` in ms, on the dt grid. Default `[]`.
    pub times_ms: Vec<Vec<f64>>,
}

/// Marks an `Exact` population.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct ExactMarker;

impl Model for Exact {
    const NAME: &'static str = "Exact";
    const KIND: ModelKind = ModelKind::Input;
    const SUMMARY: &'static str =
        "spikes imposed from outside: a schedule and/or Simulation::impose_spikes";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "steps",
            unit: "step",
            doc: "one list of spike steps per neuron",
        },
        ParamDoc {
            name: "times_ms",
            unit: "ms",
            doc: "one list of spike times per neuron (on the dt grid)",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        for (i, times) in self.times_ms.iter().enumerate() {
            for &t in times {
                check::non_negative(&format!("times_ms[{i}]"), t)?;
            }
        }
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        let owner = format!("population `{}`", ctx.name);
        let mut builder = ScheduleBuilder::new(size);
        let schedule = builder
            .add_steps("steps", &self.steps)
            .and_then(|()| builder.add_times("times_ms", &self.times_ms, ctx.dt_ms))
            .and_then(|()| builder.build())
            .map_err(|e| BuildError::param(owner, e))?;
        ctx.entity_mut().insert((schedule, ExactMarker));
        Ok(())
    }
}

/// Write the union of `scheduled` and `imposed` (consumed) into `spikes`, ascending.
pub fn exact_spikes(
    scheduled: impl Iterator<Item = u32>,
    imposed: &mut Vec<u32>,
    spikes: &mut Spikes,
) {
    spikes.clear();
    imposed.extend(scheduled);
    imposed.sort_unstable();
    imposed.dedup();
    for &i in imposed.iter() {
        spikes.push(i as usize);
    }
    imposed.clear();
}

/// [`Stage::InputSpikes`]: emit the scheduled and imposed spikes of this step, and clear the
/// (unused) synaptic input.
pub fn exact_system(
    clock: Clock,
    mut populations: Query<
        (
            &ScheduledSpikes,
            &mut ImposedSpikes,
            &mut Spikes,
            &mut SynapticInput,
        ),
        With<ExactMarker>,
    >,
) {
    for (schedule, mut imposed, mut spikes, mut input) in &mut populations {
        exact_spikes(schedule.at(clock.step), &mut imposed.next, &mut spikes);
        input.current.fill(0.0);
        input.voltage_jump.fill(0.0);
    }
}

/// Registers the `Exact` model and its system.
pub struct ExactPlugin;

impl Plugin for ExactPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Exact>();
        sim.add_model_systems::<Exact, _>(Stage::InputSpikes, exact_system);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_is_sorted_deduplicated_and_consumed() {
        let mut spikes = Spikes::new(6);
        let mut imposed = vec![5, 1, 3];
        exact_spikes([0, 3].into_iter(), &mut imposed, &mut spikes);
        assert_eq!(spikes.indices(), &[0, 1, 3, 5]);
        assert!(imposed.is_empty());
        exact_spikes(std::iter::empty(), &mut imposed, &mut spikes);
        assert_eq!(spikes.count(), 0);
    }
}
