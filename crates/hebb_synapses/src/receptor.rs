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

use hebb_core::prelude::*;
use hebb_core::projection::for_each_transmission;
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

/// [`Stage::CurrentIntegration`]: deliver this step's arrivals of every receptor projection.
pub fn receptor_step(
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
        deliver_by_sign(connectivity, &weights.w, arrivals, scale, &mut input);
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
    }
}
