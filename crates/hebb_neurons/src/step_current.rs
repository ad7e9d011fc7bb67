//! # `StepCurrent` — piecewise-constant input current (a stimulus)
//!
//! Section `k` injects `values[k]` for `durations_ms[k]`, one section after the other from
//! t = 0, like BrainPy's `section_input(values, durations)`; after the last section the current
//! is 0. It is attached to a neuron population with `Simulation::add_stimulus` (scene
//! `inputs: [(population: "exc", model: StepCurrent(...))]`) and adds into the population's
//! `SynapticInput.current` in [`Stage::InputSpikes`], in the model's current units (the neuron
//! multiplies it by its resistance). It drives every neuron, or only `neurons` when given.
//!
//! Every duration must be a whole number of steps (BrainPy rounds up with `ceil`; hebb rejects
//! instead of silently changing the protocol): step `k` gets section `s` when
//! `start_s <= k < start_s + durations_ms[s]/dt`.
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `values` | input units | `[]` | the current of each section |
//! | `durations_ms` | ms | `[]` | the length of each section (whole steps) |
//! | `neurons` | — | `None` (all) | the neurons driven |
//!
//! Scene example: `StepCurrent(values: [0.0, 30.0, 0.0], durations_ms: [5.0, 15.0, 10.0])`.
//!
//! Reference: BrainPy `bp.inputs.section_input` (braintools `input.section`).

use hebb_core::clock::Clock;
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::spiking::whole_steps;

/// Step current params (scene name `StepCurrent`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StepCurrent {
    /// The current of each section. Default `[]`.
    pub values: Vec<f64>,
    /// The duration of each section in ms, whole steps. Default `[]`.
    pub durations_ms: Vec<f64>,
    /// The neurons driven (all when `None`). Default `None`.
    pub neurons: Option<Vec<u32>>,
}

impl Model for StepCurrent {
    const NAME: &'static str = "StepCurrent";
    const KIND: ModelKind = ModelKind::Stimulus;
    const SUMMARY: &'static str =
        "piecewise-constant current (BrainPy section_input) into a population";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "values",
            unit: "input",
            doc: "the current of each section",
        },
        ParamDoc {
            name: "durations_ms",
            unit: "ms",
            doc: "the duration of each section (whole steps)",
        },
        ParamDoc {
            name: "neurons",
            unit: "-",
            doc: "optional subset of neurons (all by default)",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        if self.values.len() != self.durations_ms.len() {
            return Err(ParamError::new(
                "durations_ms",
                format!(
                    "must have one duration per value ({}), got {}",
                    self.values.len(),
                    self.durations_ms.len()
                ),
            ));
        }
        for (k, &v) in self.values.iter().enumerate() {
            check::finite(&format!("values[{k}]"), v)?;
        }
        for (k, &d) in self.durations_ms.iter().enumerate() {
            check::non_negative(&format!("durations_ms[{k}]"), d)?;
        }
        Ok(())
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
        if let Some(p) = ctx.world.get::<Population>(population)
            && p.is_input
        {
            return Err(BuildError::Invalid(format!(
                "{owner}: StepCurrent drives a neuron population, but `{}` uses the input \
                 model `{}`, which ignores currents",
                p.name, p.model
            )));
        }
        let mut ends = Vec::with_capacity(self.durations_ms.len());
        let mut end = 0u64;
        for (k, &d) in self.durations_ms.iter().enumerate() {
            let steps = whole_steps(&format!("durations_ms[{k}]"), d, ctx.dt_ms)
                .map_err(|e| BuildError::param(owner.as_str(), e))?;
            end += steps;
            ends.push(end);
        }
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
        ctx.entity_mut().insert(StepCurrentState {
            population,
            ends,
            values: self.values.iter().map(|&v| v as Real).collect(),
            neurons: self.neurons.clone(),
        });
        Ok(())
    }
}

/// An attached step current.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct StepCurrentState {
    /// The driven population.
    pub population: Entity,
    /// The (exclusive) end step of each section, cumulative.
    pub ends: Vec<u64>,
    /// The current of each section.
    pub values: Vec<Real>,
    /// The driven neurons (all when `None`).
    pub neurons: Option<Vec<u32>>,
}

impl StepCurrentState {
    /// The current at `step` (0 after the last section).
    pub fn value_at(&self, step: u64) -> Real {
        let section = self.ends.partition_point(|&end| end <= step);
        self.values.get(section).copied().unwrap_or(0.0)
    }
}

/// [`Stage::InputSpikes`]: add every step current into its population's input.
pub fn step_current_system(
    clock: Clock,
    stimuli: Query<&StepCurrentState>,
    mut inputs: Query<&mut SynapticInput>,
) {
    for stimulus in &stimuli {
        let value = stimulus.value_at(clock.step);
        if value == 0.0 {
            continue;
        }
        let Ok(mut input) = inputs.get_mut(stimulus.population) else {
            continue;
        };
        match &stimulus.neurons {
            None => input.current.iter_mut().for_each(|c| *c += value),
            Some(neurons) => {
                for &i in neurons {
                    input.current[i as usize] += value;
                }
            }
        }
    }
}

/// Registers the `StepCurrent` stimulus and its system.
pub struct StepCurrentPlugin;

impl Plugin for StepCurrentPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<StepCurrent>();
        sim.add_model_systems::<StepCurrent, _>(Stage::InputSpikes, step_current_system);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_follow_each_other_then_zero() {
        let s = StepCurrentState {
            population: Entity::PLACEHOLDER,
            ends: vec![2, 2, 5],
            values: vec![1.0, 7.0, 3.0],
            neurons: None,
        };
        let got: Vec<Real> = (0..7).map(|k| s.value_at(k)).collect();
        // The zero-length section (7.0) never acts.
        assert_eq!(got, vec![1.0, 1.0, 3.0, 3.0, 3.0, 0.0, 0.0]);
    }

    #[test]
    fn validation() {
        let p = StepCurrent {
            values: vec![1.0, 2.0],
            durations_ms: vec![1.0],
            neurons: None,
        };
        assert_eq!(
            Model::validate(&p).unwrap_err().to_string(),
            "durations_ms must have one duration per value (2), got 1"
        );
        let p = StepCurrent {
            values: vec![1.0],
            durations_ms: vec![-1.0],
            neurons: None,
        };
        assert_eq!(
            Model::validate(&p).unwrap_err().to_string(),
            "durations_ms[0] must be >= 0, got -1"
        );
    }
}
