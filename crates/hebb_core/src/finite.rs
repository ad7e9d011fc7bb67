//! Non-finite state detection: [`Simulation::find_nonfinite`] scans every named state array
//! (each population's and projection's recordable variables, e.g. `v`, `g`, traces) and every
//! projection's weights for the first NaN or ±infinity.
//!
//! A network whose state turned NaN or infinite (weights of 1e37, an unstable integration with
//! dt far above a time constant, huge currents) otherwise keeps running, records NaN voltages
//! and counts no spikes: a wrong result that looks like a quiet network. The `hebb` command
//! calls this between chunks of steps (at least once a second of wall time, and at the end)
//! and stops with an error naming the population or projection, the variable, the element and
//! the time. The scan reads each array once (a few ms for millions of synapses).

use std::fmt;

use crate::Real;
use crate::projection::Weights;
use crate::record::VariableReaders;
use crate::simulation::{NetworkIndex, Simulation};

/// The first non-finite value found.
#[derive(Debug, Clone, PartialEq)]
pub struct NonFinite {
    /// `population` or `projection`.
    pub kind: &'static str,
    /// Its name.
    pub owner: String,
    /// The variable (`v`, `g`, `w`, …).
    pub variable: String,
    /// Index in the array (neuron, or synapse for per-synapse arrays).
    pub index: usize,
    /// The value (NaN, inf or -inf).
    pub value: Real,
    /// Simulated time of the check, ms.
    pub time_ms: f64,
}

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} `{}`: {}[{}] is {} at t = {} ms",
            self.kind, self.owner, self.variable, self.index, self.value, self.time_ms
        )
    }
}

/// The first non-finite value of `values`, with its index.
fn first_nonfinite(values: &[Real]) -> Option<(usize, Real)> {
    // The sum of a finite array is finite or overflows to inf; a NaN or inf anywhere makes it
    // non-finite. Check the (vectorisable) sum first, then look for the element only when
    // the sum says something is there.
    let mut sum = 0.0 as Real;
    for &v in values {
        sum += v * 0.0;
    }
    if sum.is_finite() {
        return None;
    }
    values
        .iter()
        .position(|v| !v.is_finite())
        .map(|i| (i, values[i]))
}

impl Simulation {
    /// The first NaN or ±infinity in the network's state (populations in creation order, then
    /// projections; variables in registration order), or `None` when everything is finite.
    pub fn find_nonfinite(&self) -> Option<NonFinite> {
        let index = self.world.resource::<NetworkIndex>();
        let readers = self.world.resource::<VariableReaders>();
        let time_ms = self.clock().time_ms();
        let owners = index
            .populations
            .iter()
            .map(|(n, e)| ("population", n, *e))
            .chain(index.projections.iter().map(|(n, e)| ("projection", n, *e)));
        for (kind, name, entity) in owners {
            let found = |variable: &str, values: &[Real]| {
                first_nonfinite(values).map(|(i, value)| NonFinite {
                    kind,
                    owner: name.clone(),
                    variable: variable.to_owned(),
                    index: i,
                    value,
                    time_ms,
                })
            };
            for variable in readers.available(&self.world, entity) {
                let Some(reader) = readers.find(&self.world, entity, variable) else {
                    continue;
                };
                if let Some(values) = reader(&self.world, entity, variable)
                    && let Some(bad) = found(variable, values)
                {
                    return Some(bad);
                }
            }
            if let Some(w) = self.world.get::<Weights>(entity)
                && let Some(bad) = found("w", &w.w)
            {
                return Some(bad);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nan_and_infinities_and_nothing_else() {
        assert_eq!(first_nonfinite(&[1.0, -2.0, Real::MAX, 0.0]), None);
        assert_eq!(first_nonfinite(&[]), None);
        let (i, v) = first_nonfinite(&[1.0, Real::NAN, 3.0]).unwrap();
        assert_eq!(i, 1);
        assert!(v.is_nan());
        assert_eq!(
            first_nonfinite(&[0.0, 0.0, Real::NEG_INFINITY]),
            Some((2, Real::NEG_INFINITY))
        );
        assert_eq!(
            first_nonfinite(&[Real::INFINITY]),
            Some((0, Real::INFINITY))
        );
    }
}
