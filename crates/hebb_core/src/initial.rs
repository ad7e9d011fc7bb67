//! Per-neuron values: a constant, a list, or a distribution, drawn per neuron from
//! counter-based streams; used to set any settable state variable of a population by name
//! (scene `initial: {"v": Uniform(low: -60.0, high: -50.0)}`), whatever its neuron model, and
//! the params a model accepts per neuron (scene `per_neuron: {"v_threshold_mv": …}`, stored in
//! [`NeuronParams`]; the model turns them into per-neuron constants, see [`crate::per_neuron`]).
//!
//! The value of neuron `i` is drawn from stream `i` of the population's `"initial.<variable>"`
//! family ([`crate::rng`]), so it does not depend on the population's split over threads or
//! ranks, nor on the other variables or populations. A model makes a variable settable by
//! implementing [`StateVariables::variable_mut`](crate::record::StateVariables::variable_mut)
//! (every built-in neuron model does for its membrane `v` and its state variables).

use rand::RngExt;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use bevy_ecs::component::Component;

use crate::Real;
use crate::error::{BuildError, ParamError};
use crate::population::Population;
use crate::record::VariableReaders;
use crate::registry::ModelParams;
use crate::rng::Streams;
use crate::simulation::Simulation;

/// Values for the neurons of a population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum NeuronValues {
    /// The same value for every neuron (`Constant(-65.0)`).
    Constant(f64),
    /// One value per neuron, in neuron order (`Values([-65.0, -60.0])`).
    Values(Vec<f64>),
    /// Uniform in `[low, high)` (`Uniform(low: -60.0, high: -50.0)`).
    Uniform {
        /// Lower bound (inclusive).
        low: f64,
        /// Upper bound (exclusive).
        high: f64,
    },
    /// Normal, redrawn until within `[min, max]` (a truncated normal; `Normal(mean: -55.0,
    /// std: 2.0, min: -60.0, max: -50.0)`; the bounds default to ±∞).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (≥ 0).
        std: f64,
        /// Lower bound.
        #[serde(default = "neg_inf", skip_serializing_if = "is_neg_inf")]
        min: f64,
        /// Upper bound.
        #[serde(default = "pos_inf", skip_serializing_if = "is_pos_inf")]
        max: f64,
    },
}

fn neg_inf() -> f64 {
    f64::NEG_INFINITY
}
fn pos_inf() -> f64 {
    f64::INFINITY
}
fn is_neg_inf(x: &f64) -> bool {
    *x == f64::NEG_INFINITY
}
fn is_pos_inf(x: &f64) -> bool {
    *x == f64::INFINITY
}

/// Redraws of a truncated normal before giving up (the bounds must keep a fair share of the
/// mass: validation asks for at least 1 %).
const MAX_REDRAWS: usize = 10_000;

impl NeuronValues {
    /// Check the parameters; errors name `field` (e.g. `initial.v`) and its parts.
    pub fn validate(&self, field: &str) -> Result<(), ParamError> {
        use crate::params::check;
        match self {
            Self::Constant(v) => check::finite_real(field, *v),
            Self::Values(values) => {
                for (i, &v) in values.iter().enumerate() {
                    check::finite_real(&format!("{field}[{i}]"), v)?;
                }
                Ok(())
            }
            Self::Uniform { low, high } => {
                check::finite_real(&format!("{field}.low"), *low)?;
                check::finite_real(&format!("{field}.high"), *high)?;
                check::less_than(
                    &format!("{field}.low"),
                    *low,
                    &format!("{field}.high"),
                    *high,
                )
            }
            Self::Normal {
                mean,
                std,
                min,
                max,
            } => {
                check::finite_real(&format!("{field}.mean"), *mean)?;
                check::non_negative(&format!("{field}.std"), *std)?;
                if min.is_nan() || max.is_nan() || min > max {
                    return Err(ParamError::new(
                        format!("{field}.max"),
                        format!("must be >= min ({min}), got {max}"),
                    ));
                }
                // The share of the mass inside [min, max] must allow redrawing.
                let inside = normal_mass(*mean, *std, *min, *max);
                if inside < 0.01 {
                    return Err(ParamError::new(
                        format!("{field}.min"),
                        format!(
                            "[{min}, {max}] holds {:.2e} of the normal's mass (at least 1 % is \
                             needed to redraw into it)",
                            inside
                        ),
                    ));
                }
                Ok(())
            }
        }
    }

    /// The values of `n` neurons, neuron `i`'s from `streams.stream(i)`.
    pub fn values(
        &self,
        n: usize,
        streams: &Streams,
        field: &str,
    ) -> Result<Vec<Real>, ParamError> {
        Ok(self
            .values_f64(n, streams, field)?
            .into_iter()
            .map(|v| v as Real)
            .collect())
    }

    /// [`NeuronValues::values`] in `f64` (model params are `f64`: a value given per neuron
    /// must equal the same value given to the whole population).
    pub fn values_f64(
        &self,
        n: usize,
        streams: &Streams,
        field: &str,
    ) -> Result<Vec<f64>, ParamError> {
        Ok(match self {
            Self::Constant(v) => vec![*v; n],
            Self::Values(values) => {
                if values.len() != n {
                    return Err(ParamError::new(
                        field,
                        format!("must have one value per neuron ({n}), got {}", values.len()),
                    ));
                }
                values.clone()
            }
            Self::Uniform { low, high } => (0..n)
                .map(|i| streams.stream(i as u64).random_range(*low..*high))
                .collect(),
            Self::Normal {
                mean,
                std,
                min,
                max,
            } => {
                let normal = Normal::new(*mean, *std)
                    .map_err(|e| ParamError::new(format!("{field}.std"), e.to_string()))?;
                (0..n)
                    .map(|i| {
                        let mut rng = streams.stream(i as u64);
                        for _ in 0..MAX_REDRAWS {
                            let x: f64 = normal.sample(&mut rng);
                            if (*min..=*max).contains(&x) {
                                return Ok(x);
                            }
                        }
                        Err(ParamError::new(
                            format!("{field}.min"),
                            "no draw fell inside [min, max]",
                        ))
                    })
                    .collect::<Result<_, _>>()?
            }
        })
    }
}

/// The share of a normal(`mean`, `std`) distribution's mass inside `[min, max]`.
pub(crate) fn normal_mass(mean: f64, std: f64, min: f64, max: f64) -> f64 {
    if std == 0.0 {
        if (min..=max).contains(&mean) {
            1.0
        } else {
            0.0
        }
    } else {
        normal_cdf((max - mean) / std) - normal_cdf((min - mean) / std)
    }
}

/// The standard normal distribution function (Abramowitz–Stegun 7.1.26 erf, error < 1.5e-7;
/// only used to check that bounds keep enough mass).
fn normal_cdf(z: f64) -> f64 {
    if z.is_infinite() {
        return if z > 0.0 { 1.0 } else { 0.0 };
    }
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    0.5 * (1.0 + if z >= 0.0 { erf } else { -erf })
}

/// The per-neuron values of a population's model params (scene `per_neuron`), by param name.
/// Fixed at build time (not part of snapshots: rebuilt from the scene).
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct NeuronParams {
    /// `(param, one value per neuron)`.
    pub values: Vec<(String, Vec<f64>)>,
}

impl NeuronParams {
    /// The values of `param`, if given per neuron.
    #[inline]
    pub fn get(&self, param: &str) -> Option<&[f64]> {
        self.values
            .iter()
            .find(|(name, _)| name == param)
            .map(|(_, v)| v.as_slice())
    }
}

impl Simulation {
    /// Give model params of `population` one value per neuron: each `(param, values)` is
    /// drawn with the population's `"per_neuron.<param>"` streams (neuron `i` from stream
    /// `i`). `model` is the population's model params: it must list every `param` in
    /// [`Model::PER_NEURON`](crate::registry::Model::PER_NEURON), and its
    /// [`attach_per_neuron`](crate::registry::Model::attach_per_neuron) then checks each
    /// neuron's params as a whole and attaches the per-neuron constants. Call it once per
    /// population, after `add_population`, with all its per-neuron params. Errors name
    /// `per_neuron.<param>` (and the neuron when one neuron's params are refused).
    pub fn set_per_neuron(
        &mut self,
        population: &str,
        model: &dyn ModelParams,
        params: &[(&str, &NeuronValues)],
    ) -> Result<(), BuildError> {
        let entity = self.index().population_or_err(population)?;
        let owner = format!("population `{population}`");
        let supported = model.per_neuron();
        let size = self.world.get::<Population>(entity).map_or(0, |p| p.size);
        let mut drawn_params = NeuronParams::default();
        for &(param, values) in params {
            let field = format!("per_neuron.{param}");
            if !supported.contains(&param) {
                return Err(BuildError::param(
                    owner,
                    ParamError::new(
                        "per_neuron",
                        format!(
                            "`{}` does not take `{param}` per neuron (it takes: {})",
                            model.model_name(),
                            if supported.is_empty() {
                                "none".to_owned()
                            } else {
                                supported.join(", ")
                            }
                        ),
                    ),
                ));
            }
            values
                .validate(&field)
                .map_err(|e| BuildError::param(owner.as_str(), e))?;
            let streams = self
                .world
                .resource::<crate::rng::SimRng>()
                .streams(population, &field);
            let drawn = values
                .values_f64(size, &streams, &field)
                .map_err(|e| BuildError::param(owner.as_str(), e))?;
            drawn_params.values.retain(|(name, _)| name != param);
            drawn_params.values.push((param.to_owned(), drawn));
        }
        if drawn_params.values.is_empty() {
            return Ok(());
        }
        let dt_ms = self.dt_ms();
        let mut ctx = crate::registry::AttachContext {
            world: &mut self.world,
            entity,
            name: population.to_owned(),
            dt_ms,
            target: crate::registry::Target::Population { size },
            system_tags: Vec::new(),
            kind_systems: true,
        };
        model.attach_per_neuron(&mut ctx, &drawn_params)?;
        self.world.entity_mut(entity).insert(drawn_params);
        Ok(())
    }

    /// Set state variable `variable` (e.g. `"v"`, `"w"`, `"u"`) of every neuron of
    /// `population` from `values`, drawn per neuron from the population's
    /// `"initial.<variable>"` streams. Errors name `initial.<variable>`; an unknown or
    /// unsettable variable lists the population's settable ones.
    pub fn set_initial(
        &mut self,
        population: &str,
        variable: &str,
        values: &NeuronValues,
    ) -> Result<(), BuildError> {
        let entity = self.index().population_or_err(population)?;
        let owner = format!("population `{population}`");
        let field = format!("initial.{variable}");
        values
            .validate(&field)
            .map_err(|e| BuildError::param(owner.as_str(), e))?;
        let size = self.world.get::<Population>(entity).map_or(0, |p| p.size);
        let streams = self
            .world
            .resource::<crate::rng::SimRng>()
            .streams(population, &field);
        let drawn = values
            .values(size, &streams, &field)
            .map_err(|e| BuildError::param(owner.as_str(), e))?;
        let writers = self.world.resource::<VariableReaders>().clone();
        let mut write = |target: &mut [Real]| {
            let n = target.len().min(drawn.len());
            target[..n].copy_from_slice(&drawn[..n]);
        };
        if writers.write(&mut self.world, entity, variable, &mut write) {
            return Ok(());
        }
        let settable: Vec<&str> = writers
            .available(&self.world, entity)
            .into_iter()
            .filter(|name| {
                let mut probe = |_: &mut [Real]| {};
                // Probing writes nothing: the closure leaves the values alone.
                writers.write(&mut self.world, entity, name, &mut probe)
            })
            .collect();
        Err(BuildError::param(
            owner,
            ParamError::new(
                "initial",
                format!(
                    "`{variable}` is not a settable variable of this population (settable: {})",
                    if settable.is_empty() {
                        "none".to_owned()
                    } else {
                        settable.join(", ")
                    }
                ),
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    #[test]
    fn draws_are_per_neuron_and_within_bounds() {
        let s = SimRng { seed: 1 }.streams("exc", "initial.v");
        let spec = NeuronValues::Normal {
            mean: -55.0,
            std: 5.0,
            min: -60.0,
            max: -52.0,
        };
        spec.validate("initial.v").unwrap();
        let many = spec.values(1000, &s, "initial.v").unwrap();
        let few = spec.values(10, &s, "initial.v").unwrap();
        assert_eq!(&many[..10], few.as_slice());
        assert!(many.iter().all(|&v| (-60.0..=-52.0).contains(&v)));
        let u = NeuronValues::Uniform {
            low: 1.0,
            high: 2.0,
        }
        .values(1000, &s, "x")
        .unwrap();
        assert!(u.iter().all(|&v| (1.0..2.0).contains(&v)));
        let mean = u.iter().map(|&v| f64::from(v)).sum::<f64>() / 1000.0;
        // s.e. of the mean of U(1, 2) over 1000: 0.0091; 5 s.e.
        assert!((mean - 1.5).abs() < 0.046, "{mean}");
    }

    #[test]
    fn errors_name_the_field() {
        let e = |v: NeuronValues| v.validate("initial.v").unwrap_err().to_string();
        assert_eq!(
            e(NeuronValues::Uniform {
                low: 2.0,
                high: 1.0
            }),
            "initial.v.high must be greater than initial.v.low (2), got 1"
        );
        assert!(
            e(NeuronValues::Normal {
                mean: 0.0,
                std: 1.0,
                min: 5.0,
                max: 6.0
            })
            .starts_with("initial.v.min [5, 6] holds")
        );
        let s = SimRng { seed: 1 }.streams("exc", "initial.v");
        assert_eq!(
            NeuronValues::Values(vec![1.0])
                .values(2, &s, "initial.v")
                .unwrap_err()
                .to_string(),
            "initial.v must have one value per neuron (2), got 1"
        );
        assert!((normal_cdf(1.0) - 0.841_344_7).abs() < 1e-6);
    }
}
