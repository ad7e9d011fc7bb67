//! Neuron-model constants that may differ from neuron to neuron (scene `per_neuron`).
//!
//! A neuron model computes its per-step constants (thresholds, propagators such as
//! `e^(−dt/τ)`, refractory steps, …) once from its params. When a population gives some params
//! per neuron ([`NeuronParams`]), the model computes them for every neuron from that neuron's
//! params and keeps, for each constant, one value when all neurons share it and one value per
//! neuron otherwise ([`Column`]): a per-neuron threshold makes the threshold a per-neuron array
//! but leaves the propagators single values; a per-neuron `tau_m` makes its propagators
//! per-neuron arrays, precomputed (never recomputed per step).
//!
//! The constants struct is written once, generic over a [`Layout`]:
//!
//! - `XConstants` (= `XConstants<Shared>`): one value per field, the homogeneous case;
//! - `XConstants<Columns>`: the stored form of a heterogeneous population (a component);
//! - `XConstants<Sliced<'_>>`: a block of it, borrowed for one partition's neurons.
//!
//! The kernel is generic over [`ConstantsAt`] and reads neuron `i`'s constants with
//! `consts.at(i)`: for the homogeneous case that is the struct itself (the same code as a
//! kernel that takes the struct), for a block it gathers each field's value of neuron `i`.
//! [`per_neuron_constants!`](crate::per_neuron_constants) writes the conversions between the
//! three forms.
//!
//! Which params a model takes per neuron it lists in
//! [`Model::PER_NEURON`] and gives access to with
//! [`Model::per_neuron_field`]; each neuron's params
//! (the population's with that neuron's values substituted) are validated with the model's own
//! `validate`, and errors name the param and the neuron ([`NeuronParams::each_neuron`]).

use std::fmt::Debug;
use std::ops::Range;

use crate::error::{BuildError, ParamError};
use crate::initial::NeuronParams;
use crate::registry::Model;

/// A value type a constant may have (`f32`, `f64`, `u32`).
pub trait Scalar: Copy + Debug + PartialEq + Send + Sync + 'static {
    /// The bits, to decide whether all neurons share a value (`-0.0` and `0.0` differ).
    fn bits(self) -> u64;
}

impl Scalar for f32 {
    #[inline]
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
}

impl Scalar for f64 {
    #[inline]
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

impl Scalar for u32 {
    #[inline]
    fn bits(self) -> u64 {
        u64::from(self)
    }
}

/// How a constants struct holds the fields that may vary per neuron.
pub trait Layout: Clone + Debug + PartialEq {
    /// The type of a field whose value type is `T`.
    type Of<T: Scalar>: Clone + Debug + PartialEq + Send + Sync;
}

/// One value per field: the homogeneous constants (the default layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shared;

impl Layout for Shared {
    type Of<T: Scalar> = T;
}

/// One [`Column`] per field: the stored constants of a heterogeneous population.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Columns;

impl Layout for Columns {
    type Of<T: Scalar> = Column<T>;
}

/// One [`Varying`] per field: the constants of one block of neurons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sliced<'a>(std::marker::PhantomData<&'a ()>);

impl<'a> Layout for Sliced<'a> {
    type Of<T: Scalar> = Varying<'a, T>;
}

/// A constant of a population: the same for all neurons, or one value per neuron.
#[derive(Debug, Clone, PartialEq)]
pub enum Column<T> {
    /// Every neuron's value.
    Same(T),
    /// Neuron `i`'s value is entry `i`.
    Each(Vec<T>),
}

impl<T: Scalar> Column<T> {
    /// The values `field` picks from each neuron's constants: [`Column::Same`] when all have
    /// the same bits, else [`Column::Each`].
    pub fn gather<C>(each: &[C], field: impl Fn(&C) -> T) -> Self {
        let first = each.first().map(&field);
        match first {
            Some(first) if each.iter().all(|c| field(c).bits() == first.bits()) => {
                Self::Same(first)
            }
            Some(_) => Self::Each(each.iter().map(field).collect()),
            None => Self::Each(Vec::new()),
        }
    }

    /// The values of the neurons in `range`.
    #[inline]
    pub fn view(&self, range: Range<usize>) -> Varying<'_, T> {
        match self {
            Self::Same(value) => Varying::Same(*value),
            Self::Each(values) => Varying::Each(&values[range]),
        }
    }
}

/// A constant of a block of neurons: the same for all, or one value per neuron of the block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Varying<'a, T> {
    /// Every neuron's value.
    Same(T),
    /// Neuron `i`'s value (of the block) is entry `i`.
    Each(&'a [T]),
}

impl<T: Copy> Varying<'_, T> {
    /// Neuron `i`'s value (`i` counted from the block's first neuron).
    #[inline(always)]
    pub fn at(self, i: usize) -> T {
        match self {
            Self::Same(value) => value,
            Self::Each(values) => values[i],
        }
    }
}

/// The constants of neuron `i` of a block, as the model's homogeneous struct `C`. Implemented
/// by `C` itself (every neuron gets the struct: the homogeneous kernel) and by `C`'s
/// [`Sliced`] form (by [`per_neuron_constants!`](crate::per_neuron_constants)).
pub trait ConstantsAt<C> {
    /// Neuron `i`'s constants (`i` counted from the block's first neuron).
    fn at(&self, i: usize) -> C;
}

impl<C: Copy> ConstantsAt<C> for C {
    #[inline(always)]
    fn at(&self, _i: usize) -> C {
        *self
    }
}

/// Writes, for a constants struct `$name<L: Layout = Shared>` whose fields `$varying` have
/// the type `L::Of<T>` and whose fields `$shared` (optional) have one plain type:
///
/// - `$name::<Columns>::gather(&[$name])`: from each neuron's constants, the stored form;
/// - `$name::<Columns>::block(range)`: the [`Sliced`] form for the neurons in `range`;
/// - [`ConstantsAt<$name>`] for `$name<Sliced<'_>>`.
///
/// Shared fields are taken from the first neuron (they do not depend on per-neuron params).
#[macro_export]
macro_rules! per_neuron_constants {
    ($name:ident { varying: [$($v:ident),* $(,)?] $(, shared: [$($s:ident),* $(,)?])? $(,)? }) => {
        impl $name<$crate::per_neuron::Columns> {
            /// The stored form of every neuron's constants (`each` has one entry per neuron,
            /// at least one): one value for a field all neurons share, one per neuron
            /// otherwise.
            pub fn gather(each: &[$name]) -> Self {
                Self {
                    $($v: $crate::per_neuron::Column::gather(each, |c| c.$v),)*
                    $($($s: each[0].$s,)*)?
                }
            }

            /// The constants of the neurons in `range`.
            #[inline]
            pub fn block(
                &self,
                range: ::std::ops::Range<usize>,
            ) -> $name<$crate::per_neuron::Sliced<'_>> {
                $name {
                    $($v: self.$v.view(range.clone()),)*
                    $($($s: self.$s,)*)?
                }
            }
        }

        impl $crate::per_neuron::ConstantsAt<$name> for $name<$crate::per_neuron::Sliced<'_>> {
            #[inline(always)]
            fn at(&self, i: usize) -> $name {
                $name {
                    $($v: self.$v.at(i),)*
                    $($($s: self.$s,)*)?
                }
            }
        }
    };
}

/// Writes, inside `impl Model for X`, [`Model::PER_NEURON`] and [`Model::per_neuron_field`]
/// from one list of `f64` param fields, each taken per neuron under its own name:
/// `hebb_core::per_neuron_fields!(tau_ms, v_threshold_mv);`.
#[macro_export]
macro_rules! per_neuron_fields {
    ($($field:ident),+ $(,)?) => {
        const PER_NEURON: &'static [&'static str] = &[$(stringify!($field)),+];

        fn per_neuron_field(&mut self, param: &str) -> Option<&mut f64> {
            match param {
                $(stringify!($field) => Some(&mut self.$field),)+
                _ => None,
            }
        }
    };
}

impl NeuronParams {
    /// For every neuron `i` of a population of `size` with model params `base`: `base` with
    /// neuron `i`'s per-neuron values substituted, checked with the model's `validate`, then
    /// handed to `each(i, &params)` (which computes the neuron's constants and may refuse them
    /// too). Errors name the population (`owner`), the param and the neuron:
    /// `per_neuron.<param>[i]` when the failing field is given per neuron, else the field and
    /// `(neuron i)`.
    pub fn each_neuron<M: Model + Clone, C>(
        &self,
        base: &M,
        size: usize,
        owner: &str,
        mut each: impl FnMut(usize, &M) -> Result<C, ParamError>,
    ) -> Result<Vec<C>, BuildError> {
        let mut params = base.clone();
        let mut out = Vec::with_capacity(size);
        for i in 0..size {
            for (name, values) in &self.values {
                let field = params.per_neuron_field(name).ok_or_else(|| {
                    BuildError::param(
                        owner,
                        ParamError::new(
                            "per_neuron",
                            format!("`{}` does not take `{name}` per neuron", M::NAME),
                        ),
                    )
                })?;
                *field = values[i];
            }
            let checked = Model::validate(&params).and_then(|()| each(i, &params));
            match checked {
                Ok(c) => out.push(c),
                Err(e) => return Err(BuildError::param(owner, self.name_neuron(e, i))),
            }
        }
        Ok(out)
    }

    /// `e` (an error of neuron `i`'s params) with the neuron named.
    fn name_neuron(&self, e: ParamError, i: usize) -> ParamError {
        if self.get(&e.field).is_some() {
            ParamError::new(format!("per_neuron.{}[{i}]", e.field), e.message)
        } else {
            ParamError::new(
                e.field.clone(),
                format!("{} (neuron {i}, with its per_neuron values)", e.message),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Demo<L: Layout = Shared> {
        decay: L::Of<f64>,
        steps: L::Of<u32>,
        dt: f64,
    }
    impl Copy for Demo {}
    crate::per_neuron_constants!(Demo {
        varying: [decay, steps],
        shared: [dt]
    });

    #[test]
    fn only_fields_that_differ_become_per_neuron() {
        let each = [
            Demo {
                decay: 0.5,
                steps: 3,
                dt: 0.1,
            },
            Demo {
                decay: 0.25,
                steps: 3,
                dt: 0.1,
            },
            Demo {
                decay: 0.125,
                steps: 3,
                dt: 0.1,
            },
        ];
        let stored = Demo::gather(&each);
        assert_eq!(stored.decay, Column::Each(vec![0.5, 0.25, 0.125]));
        assert_eq!(stored.steps, Column::Same(3));
        let block = stored.block(1..3);
        assert_eq!(block.at(0), each[1]);
        assert_eq!(block.at(1), each[2]);
        // The homogeneous struct is its own constants for every neuron.
        assert_eq!(each[0].at(7), each[0]);
        // Zeros of both signs are different constants.
        assert!(matches!(
            Column::gather(&[0.0f32, -0.0], |&x| x),
            Column::Each(_)
        ));
    }
}
