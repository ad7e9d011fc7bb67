//! # `SpikeSource` — explicit spike times
//!
//! Neuron `i` spikes at the times listed in `times_ms[i]` (Brian2's `SpikeGeneratorGroup`,
//! NEST's `spike_generator`). A time `t` is emitted in step `k = t/dt`, so every time must lie
//! on the dt grid; a time off the grid, negative, or repeated for one neuron is a build error
//! naming the neuron and the time. Lists may be unsorted; neurons past the last list never
//! spike. As an input population, a spike of step k reaches a projection with delay d at step
//! k + d.
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `times_ms` | ms | `[]` | `times_ms[i]`: the spike times of neuron `i` |
//!
//! Scene example: `SpikeSource(times_ms: [[1.0, 5.0], [], [2.5]])`.
//!
//! References: Brian2 `brian2/input/spikegeneratorgroup.py`; NEST `spike_generator`.

use hebb_core::clock::Clock;
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::schedule::{ScheduleBuilder, ScheduledSpikes};

/// Spike source params (scene name `SpikeSource`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpikeSource {
    /// `times_ms[i]`: spike times of neuron `i` in ms, on the dt grid. Default `[]`.
    pub times_ms: Vec<Vec<f64>>,
}

/// Marks a `SpikeSource` population.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct SpikeSourceMarker;

impl Model for SpikeSource {
    const NAME: &'static str = "SpikeSource";
    const KIND: ModelKind = ModelKind::Input;
    const SUMMARY: &'static str = "explicit spike times per neuron (on the dt grid)";
    const PARAMS: &'static [ParamDoc] = &[ParamDoc {
        name: "times_ms",
        unit: "ms",
        doc: "one list of spike times per neuron",
    }];

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
            .add_times("times_ms", &self.times_ms, ctx.dt_ms)
            .and_then(|()| builder.build())
            .map_err(|e| BuildError::param(owner, e))?;
        ctx.entity_mut().insert((schedule, SpikeSourceMarker));
        Ok(())
    }
}

/// [`Stage::InputSpikes`]: emit the scheduled spikes of this step (O(spikes)). Synaptic input
/// onto a spike source has no effect (its accumulators are never read).
pub fn spike_source_system(
    clock: Clock,
    mut populations: Query<(&ScheduledSpikes, &mut Spikes), With<SpikeSourceMarker>>,
) {
    for (schedule, mut spikes) in &mut populations {
        spikes.clear();
        for i in schedule.at(clock.step) {
            spikes.push(i as usize);
        }
    }
}

/// Registers the `SpikeSource` model and its system.
pub struct SpikeSourcePlugin;

impl Plugin for SpikeSourcePlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<SpikeSource>();
        sim.add_model_systems::<SpikeSource, _>(Stage::InputSpikes, spike_source_system);
    }
}
