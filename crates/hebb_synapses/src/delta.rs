//! # `Delta` — memoryless synapse output: a charge or a voltage jump per spike
//!
//! Each arriving spike acts only in the step it arrives, with no state in the synapse:
//!
//! ```text
//! target: Current   I_post += w · scale / dt      (a charge w per spike, held for one step)
//! target: Voltage   V_post += w · scale            (mV, SynapticInput.voltage_jump)
//! ```
//!
//! `scale` is the release fraction set by short-term plasticity (1 without STP).
//!
//! - `Current` is Inferno's `DeltaCurrent` (`I = s·Q/dt`) and, with dt = 1 ms, exactly
//!   ngc-learn's wiring `W.outputs >> lif.j` (the synapse output is the input current of that
//!   step).
//! - `Voltage` is Brian2's `on_pre='v += w'` and BrainPy's delta inputs
//!   (`add_inp_fun(..., category='delta')`): the neuron model adds the jump to its membrane
//!   after integrating the step. It needs a postsynaptic population with a membrane.
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `target` | — | `Current` | `Current` (charge per spike) or `Voltage` (mV jump per spike) |
//!
//! References: Inferno `inferno/neural/synapses/current.py::DeltaCurrent`; ngc-learn
//! `DenseSynapse` wiring; Brian2 `Synapses(on_pre='v += w')`; BrainPy `bp.dyn` delta inputs.

use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::deliver::{Incoming, deliver_block};

/// Where a delta synapse delivers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeltaTarget {
    /// `I += w·scale/dt` for the arrival step: a charge `w` per spike.
    #[default]
    Current,
    /// `V += w·scale` mV: an instantaneous jump of the membrane potential.
    Voltage,
}

/// Delta synapse output params (scene name `Delta`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Delta {
    /// Current (charge per spike) or Voltage (jump in mV). Default `Current`.
    pub target: DeltaTarget,
}

/// The attached delta output of a projection.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct DeltaOutput {
    /// Where spikes are delivered.
    pub target: DeltaTarget,
    /// The factor applied to `w·scale`: `1/dt` for currents, 1 for voltage jumps.
    pub factor: Real,
}

impl Model for Delta {
    const NAME: &'static str = "Delta";
    const KIND: ModelKind = ModelKind::Synapse;
    const SUMMARY: &'static str =
        "delta synapse: a charge w per spike (I += w/dt) or a voltage jump (V += w)";
    const PARAMS: &'static [ParamDoc] = &[ParamDoc {
        name: "target",
        unit: "-",
        doc: "Current (I += w·scale/dt for one step) or Voltage (V += w·scale mV)",
    }];

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let shape = ctx.projection(Self::NAME)?;
        let factor = match self.target {
            DeltaTarget::Current => (1.0 / ctx.dt_ms) as Real,
            DeltaTarget::Voltage => {
                if ctx.world.get::<Membrane>(shape.post).is_none() {
                    return Err(crate::no_membrane_error(
                        ctx.world,
                        &ctx.name,
                        "Delta(target: Voltage)",
                        shape.post,
                    ));
                }
                1.0
            }
        };
        ctx.entity_mut().insert(DeltaOutput {
            target: self.target,
            factor,
        });
        Ok(())
    }
}

/// [`Stage::CurrentIntegration`]: deliver this step's arrivals of every delta projection.
pub fn delta_step(
    executor: &Executor,
    projections: Query<(Incoming, &DeltaOutput)>,
    mut inputs: Query<&mut SynapticInput>,
) {
    for ((projection, connectivity, weights, arrivals, scale), output) in &projections {
        if arrivals.is_empty() {
            continue;
        }
        let Ok(mut input) = inputs.get_mut(projection.post) else {
            continue;
        };
        let input = &mut *input;
        let target = match output.target {
            DeltaTarget::Current => &mut input.current,
            DeltaTarget::Voltage => &mut input.voltage_jump,
        };
        let n = connectivity.n_post();
        executor.for_each_block(n, &mut target[..n], |block, target| {
            deliver_block(
                connectivity,
                &weights.w,
                arrivals,
                scale,
                output.factor,
                &block,
                target,
            );
        });
    }
}

/// Registers the `Delta` synapse output and its system.
pub struct DeltaPlugin;

impl Plugin for DeltaPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Delta>();
        sim.add_model_systems::<Delta, _>(Stage::CurrentIntegration, delta_step);
    }
}
