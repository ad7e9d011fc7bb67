//! The weight-sign check: a projection whose synapse needs non-negative weights (a
//! [`NonNegativeWeights`] projection, e.g. `Conductance`) is refused when its plasticity rule's
//! bounds let a weight go below zero, or when an initial weight is negative. Registered by
//! [`crate::WeightUpdatePlugin`] with
//! [`Simulation::add_projection_check`](hebb_core::simulation::Simulation::add_projection_check).
//!
//! Soft bounds (`Multiplicative`, `Power`) count as bounded by their `w_min`; `Hard` needs a
//! `w_min`; `Nest` keeps `w` at the sign of its `w_max` (so a positive `w_max` keeps `w >= 0`);
//! `Unbounded` has no lower limit. The synapse's opt-out (e.g. `Conductance`'s
//! `allow_negative_weights: true`, for BrainPy's shunting `STDP_Song2000` example) removes the
//! marker, and with it the check.

use hebb_core::prelude::*;

use crate::bounds::Bounds;
use crate::update::WeightBounding;

/// The lowest weight `bounds` allow, `None` when unbounded below.
pub fn lower_limit(bounds: &Bounds) -> Option<f64> {
    match *bounds {
        Bounds::Unbounded => None,
        Bounds::Hard { w_min, .. } => w_min,
        Bounds::Multiplicative { w_min, .. } | Bounds::Power { w_min, .. } => Some(w_min),
        // |w| in [0, |w_max|] with the sign of w_max.
        Bounds::Nest { w_max, .. } => Some(w_max.min(0.0)),
    }
}

/// The [`hebb_core::checks::ProjectionCheck`] for weight signs.
pub fn check_weight_sign(world: &World, entity: Entity) -> Result<(), BuildError> {
    let Some(need) = world.get::<NonNegativeWeights>(entity) else {
        return Ok(());
    };
    let fix = format!(
        "a negative weight would be a negative conductance; set `{}: true` on the synapse to \
         allow it",
        need.opt_out
    );
    if let Some(weights) = world.get::<Weights>(entity)
        && let Some((k, &w)) = weights.w.iter().enumerate().find(|(_, w)| **w < 0.0)
    {
        return Err(BuildError::Invalid(format!(
            "synapse `{}` needs weights >= 0, but synapse {k} starts at {w} ({fix})",
            need.synapse
        )));
    }
    if let Some(bounding) = world.get::<WeightBounding>(entity) {
        let bounds = match lower_limit(&bounding.bounds) {
            Some(lo) if lo >= 0.0 => return Ok(()),
            Some(lo) => format!("bounds with w_min {lo}"),
            None if bounding.bounds == Bounds::Unbounded => "bounds `Unbounded`".to_owned(),
            None => "`Hard` bounds without w_min".to_owned(),
        };
        return Err(BuildError::Invalid(format!(
            "synapse `{}` needs weights >= 0, but the plasticity rule's {bounds} let them go \
             below 0: bound them, e.g. `bounds: Hard(w_min: 0.0, w_max: …)` ({fix})",
            need.synapse
        )));
    }
    Ok(())
}
