//! # `Receptor` — hand the arriving weights to the postsynaptic neuron model's own synapses
//!
//! For neuron models that integrate their synaptic currents or conductances themselves
//! (`IafPscExp`, `IafPscAlpha`, `AdEx`, like NEST's `iaf_psc_exp`, `iaf_psc_alpha`,
//! `aeif_cond_exp`): each arriving spike adds `w · scale` (scale: the STP release fraction, 1
//! without STP) into the postsynaptic [`ReceptorInput`], into its excitatory channel when the
//! transmitted weight is positive and its inhibitory channel otherwise (NEST's convention), and
//! the neuron model adds the channels to its synaptic state at the end of its step:
//!
//! ```text
//! x = w·scale      x > 0: excitatory[post] += x      else: inhibitory[post] += x
//! ```
//!
//! The weight's unit is the neuron model's: pA for the current-based models (`IafPscExp`: the
//! current jumps by w; `IafPscAlpha`: the PSC peaks at w), nS for `AdEx`'s conductances. A
//! population whose model has no synapses of its own is refused at build time.
//!
//! No parameters. NEST: `nest.Connect(pre, post, syn_spec={"weight": w, "delay": d})` onto
//! receptor 0 of these models.

use std::ops::Range;

use hebb_core::prelude::*;
use hebb_core::projection::{
    for_each_synapse_transmission, for_each_transmission, for_each_transmission_in,
};
use serde::{Deserialize, Serialize};

use crate::deliver::Incoming;

/// Receptor synapse output params (scene name `Receptor`); no parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receptor {}

/// Marks a projection whose arrivals go to the postsynaptic [`ReceptorInput`].
#[derive(Component, Debug, Clone, Copy, Default, PartialEq)]
pub struct ReceptorOutput;

impl Model for Receptor {
    const NAME: &'static str = "Receptor";
    const KIND: ModelKind = ModelKind::Synapse;
    const SUMMARY: &'static str = "the weight goes to the neuron model's own synapses \
         (positive: excitatory, negative: inhibitory; IafPscExp, IafPscAlpha, AdEx)";

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let shape = ctx.projection(Self::NAME)?;
        if ctx.world.get::<ReceptorInput>(shape.post).is_none() {
            let (name, model) = ctx
                .world
                .get::<Population>(shape.post)
                .map_or(("?", "?"), |p| (p.name.as_str(), p.model.as_str()));
            return Err(BuildError::Invalid(format!(
                "projection `{}`: Receptor needs a postsynaptic model with synapses of its own \
                 (IafPscExp, IafPscAlpha, AdEx), but `{name}` has model `{model}`; use \
                 Exponential, Conductance or Delta",
                ctx.name
            )));
        }
        ctx.entity_mut().insert(ReceptorOutput);
        Ok(())
    }
}

/// Add every transmitted weight of `arrivals` into `input`, by sign (the pure kernel).
pub fn deliver_by_sign(
    connectivity: &Connectivity,
    weights: &[Real],
    arrivals: &Arrivals,
    scale: Option<&TransmissionScale>,
    input: &mut ReceptorInput,
) {
    for_each_transmission(connectivity, weights, arrivals, scale, |j, x| {
        input.add(j, x);
    });
}

/// [`deliver_by_sign`] restricted to the postsynaptic neurons in `block` (one partition's):
/// `excitatory` and `inhibitory` hold those neurons only (`[j − block.start]`). Each neuron
/// receives the same additions in the same order as with the whole delivery.
pub fn deliver_by_sign_block(
    connectivity: &Connectivity,
    weights: &[Real],
    arrivals: &Arrivals,
    scale: Option<&TransmissionScale>,
    block: &Range<usize>,
    excitatory: &mut [Real],
    inhibitory: &mut [Real],
) {
    let start = block.start;
    let mut add = |j: usize, x: Real| {
        if x > 0.0 {
            excitatory[j - start] += x;
        } else {
            inhibitory[j - start] += x;
        }
    };
    for_each_transmission_in(connectivity, weights, &arrivals.pre, scale, block, &mut add);
    // Per-synapse delays: the arriving synapses, after the arriving neurons (canonical order).
    for_each_synapse_transmission(connectivity, weights, &arrivals.synapses, scale, |j, x| {
        if block.contains(&j) {
            add(j, x);
        }
    });
}

/// [`Stage::CurrentIntegration`]: deliver this step's arrivals of every receptor projection,
/// each partition into its own postsynaptic block.
pub fn receptor_step(
    executor: &Executor,
    projections: Query<Incoming, With<ReceptorOutput>>,
    mut inputs: Query<&mut ReceptorInput>,
) {
    for (projection, connectivity, weights, arrivals, scale) in &projections {
        if arrivals.is_empty() {
            continue;
        }
        let Ok(mut input) = inputs.get_mut(projection.post) else {
            continue;
        };
        let input = &mut *input;
        let n = input.excitatory.len();
        let arrays = (&mut input.excitatory[..], &mut input.inhibitory[..]);
        executor.for_each_block(n, arrays, |block, (excitatory, inhibitory)| {
            deliver_by_sign_block(
                connectivity,
                &weights.w,
                arrivals,
                scale,
                &block,
                excitatory,
                inhibitory,
            );
        });
    }
}

/// Registers the `Receptor` synapse output and its system.
pub struct ReceptorPlugin;

impl Plugin for ReceptorPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Receptor>();
        sim.add_model_systems::<Receptor, _>(Stage::CurrentIntegration, receptor_step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_split_by_sign_and_sum() {
        // 3 pre × 2 post, dense; pre 0 and 2 arrive.
        let conn = Connectivity::Dense {
            n_pre: 3,
            n_post: 2,
        };
        let w = [400.0, -400.0, 1.0, 2.0, -3.0, 5.0];
        let mut input = ReceptorInput::new(2);
        deliver_by_sign(&conn, &w, &Arrivals::of_pre(vec![0, 2]), None, &mut input);
        assert_eq!(input.excitatory, vec![400.0, 5.0]);
        assert_eq!(input.inhibitory, vec![-3.0, -400.0]);
        let mut sparse = ReceptorInput::new(2);
        deliver_by_sign(
            &conn.to_sparse(),
            &w,
            &Arrivals::of_pre(vec![0, 2]),
            None,
            &mut sparse,
        );
        assert_eq!(sparse, input);
        for conn in [conn.clone(), conn.to_sparse()] {
            let mut split = ReceptorInput::new(2);
            for block in [0..1, 1..2] {
                deliver_by_sign_block(
                    &conn,
                    &w,
                    &Arrivals::of_pre(vec![0, 2]),
                    None,
                    &block,
                    &mut split.excitatory[block.clone()],
                    &mut split.inhibitory[block.clone()],
                );
            }
            assert_eq!(split, input);
        }
    }
}
