//! Weight bounds, applied by the one weight-update system ([`crate::update`]).
//!
//! Rules accumulate a potentiation `pos ≥ 0` and a depression `neg ≥ 0` per synapse; the bounds
//! decide how they change the weight (Inferno's `functional/bounding.py` names):
//!
//! | bounds | change of `w` | after the change |
//! |---|---|---|
//! | `Unbounded` | `+pos − neg` | — |
//! | `Hard(w_min, w_max)` | `+pos − neg` | clip to `[w_min, w_max]` (either side optional) |
//! | `Multiplicative(w_min, w_max)` | `+pos·(w_max − w) − neg·(w − w_min)` | — |
//! | `Power(w_min, w_max, mu)` | `+pos·(w_max − w)₊^μ − neg·(w − w_min)₊^μ` | — |
//!
//! | `Nest(w_max, mu_plus, mu_minus)` | `\|w\| ← min(\|w\| + pos·(1 − u)^μ₊, \|w_max\|)`, `\|w\| ← max(\|w\| − neg·u^μ₋, 0)`, `u = \|w\|/\|w_max\|` | keeps the sign of `w_max` |
//!
//! `Nest` is NEST's weight dependence (Gütig et al. 2003; `stdp_synapse`'s `mu_plus`/`mu_minus`,
//! and with μ = 0 the clipping of `stdp_triplet_synapse` and `vogels_sprekeler_synapse`): the
//! magnitude of the weight lives in `[0, |w_max|]` and the weight keeps the sign of `w_max`, so a
//! negative `w_max` makes an inhibitory projection whose potentiation makes the weight more
//! negative (stronger). Each change is clipped on its own (use it with
//! [`UpdateOrder::PotentiationFirst`], NEST's order).
//!
//! `(·)₊` is the positive part, so a weight beyond a limit is not pushed further out (Inferno's
//! power bound raises a `TypeError` in inferno-ai 0.0.5, and a negative base would give NaN).
//! Soft bounds do not clip, as Inferno's: a large single step can overshoot a limit.
//!
//! Limits are plain numbers on the weight axis, so they may be negative: an inhibitory
//! projection with weights in `[−1, 0]` uses `w_min = −1, w_max = 0`. Potentiation always moves
//! a weight up (towards `w_max`); to strengthen inhibition on causal pairings, use the
//! anti-Hebbian signs (see `docs/plasticity/bounds.md`).

use hebb_core::Real;
use hebb_core::error::ParamError;
use hebb_core::params::check;
use serde::{Deserialize, Serialize};

/// How potentiation and depression change a weight (scene syntax in parentheses).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Bounds {
    /// No limits (`Unbounded`), Inferno's default updater.
    #[default]
    Unbounded,
    /// Clip to `[w_min, w_max]` after each change (`Hard(w_min: 0.0, w_max: 1.0)`); either
    /// limit may be left out.
    Hard {
        /// Lower limit (none when absent).
        #[serde(default)]
        w_min: Option<f64>,
        /// Upper limit (none when absent).
        #[serde(default)]
        w_max: Option<f64>,
    },
    /// Soft bounds (`Multiplicative(w_min: 0.0, w_max: 1.0)`): `pos·(w_max − w)`,
    /// `neg·(w − w_min)`.
    Multiplicative {
        /// Lower limit.
        w_min: f64,
        /// Upper limit.
        w_max: f64,
    },
    /// Power-law soft bounds (`Power(w_min: 0.0, w_max: 1.0, mu: 0.5)`): `pos·(w_max − w)₊^μ`,
    /// `neg·(w − w_min)₊^μ`.
    Power {
        /// Lower limit.
        w_min: f64,
        /// Upper limit.
        w_max: f64,
        /// Exponent μ > 0 (μ = 1 is `Multiplicative`).
        mu: f64,
    },
    /// NEST's signed, clipped weight dependence (`Nest(w_max: 100.0, mu_plus: 0.0, mu_minus:
    /// 0.0)`): `|w|` stays in `[0, |w_max|]`, `w` has the sign of `w_max`; μ = 0 is additive,
    /// μ = 1 multiplicative.
    Nest {
        /// The limit of `|w|`; its sign is the sign of every weight.
        w_max: f64,
        /// μ₊ ≥ 0: potentiation scales with `(1 − |w|/|w_max|)^μ₊`. Default 0.
        #[serde(default)]
        mu_plus: f64,
        /// μ₋ ≥ 0: depression scales with `(|w|/|w_max|)^μ₋`. Default 0.
        #[serde(default)]
        mu_minus: f64,
    },
}

impl Bounds {
    /// Check the limits; `field` is the owner's field name (e.g. `bounds`).
    pub fn validate(&self, field: &str) -> Result<(), ParamError> {
        let limits = |lo: f64, hi: f64| -> Result<(), ParamError> {
            check::finite(&format!("{field}.w_min"), lo)?;
            check::finite(&format!("{field}.w_max"), hi)?;
            check::less_than(&format!("{field}.w_min"), lo, &format!("{field}.w_max"), hi)
        };
        match *self {
            Self::Unbounded => Ok(()),
            Self::Hard { w_min, w_max } => match (w_min, w_max) {
                (Some(lo), Some(hi)) => {
                    check::finite(&format!("{field}.w_min"), lo)?;
                    check::finite(&format!("{field}.w_max"), hi)?;
                    if lo > hi {
                        return Err(ParamError::new(
                            format!("{field}.w_max"),
                            format!("must be >= {field}.w_min ({lo}), got {hi}"),
                        ));
                    }
                    Ok(())
                }
                (Some(lo), None) => check::finite(&format!("{field}.w_min"), lo),
                (None, Some(hi)) => check::finite(&format!("{field}.w_max"), hi),
                (None, None) => Ok(()),
            },
            Self::Multiplicative { w_min, w_max } => limits(w_min, w_max),
            Self::Power { w_min, w_max, mu } => {
                limits(w_min, w_max)?;
                check::positive(&format!("{field}.mu"), mu)
            }
            Self::Nest {
                w_max,
                mu_plus,
                mu_minus,
            } => {
                check::finite(&format!("{field}.w_max"), w_max)?;
                if w_max == 0.0 {
                    return Err(ParamError::new(
                        format!("{field}.w_max"),
                        "must not be 0 (its sign is the sign of the weights), got 0".to_string(),
                    ));
                }
                check::non_negative(&format!("{field}.mu_plus"), mu_plus)?;
                check::non_negative(&format!("{field}.mu_minus"), mu_minus)
            }
        }
    }

    /// The kernel form (limits in `Real`).
    pub fn kernel(&self) -> BoundKernel {
        match *self {
            Self::Unbounded => BoundKernel::Unbounded,
            Self::Hard { w_min, w_max } => BoundKernel::Hard {
                lo: w_min.map_or(Real::NEG_INFINITY, |x| x as Real),
                hi: w_max.map_or(Real::INFINITY, |x| x as Real),
            },
            Self::Multiplicative { w_min, w_max } => BoundKernel::Multiplicative {
                lo: w_min as Real,
                hi: w_max as Real,
            },
            Self::Power { w_min, w_max, mu } => BoundKernel::Power {
                lo: w_min as Real,
                hi: w_max as Real,
                mu: mu as Real,
            },
            Self::Nest {
                w_max,
                mu_plus,
                mu_minus,
            } => BoundKernel::Nest {
                sign: if w_max < 0.0 { -1.0 } else { 1.0 },
                max: w_max.abs() as Real,
                mu_plus: mu_plus as Real,
                mu_minus: mu_minus as Real,
            },
        }
    }
}

/// [`Bounds`] with `Real` limits, as the weight-update kernel uses them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BoundKernel {
    /// No limits.
    Unbounded,
    /// Clip to `[lo, hi]` (±∞ for an absent limit).
    Hard {
        /// Lower limit.
        lo: Real,
        /// Upper limit.
        hi: Real,
    },
    /// `pos·(hi − w)`, `neg·(w − lo)`.
    Multiplicative {
        /// Lower limit.
        lo: Real,
        /// Upper limit.
        hi: Real,
    },
    /// `pos·(hi − w)₊^mu`, `neg·(w − lo)₊^mu`.
    Power {
        /// Lower limit.
        lo: Real,
        /// Upper limit.
        hi: Real,
        /// Exponent.
        mu: Real,
    },
    /// `|w| ∈ [0, max]` with the sign `sign`, NEST's weight dependence.
    Nest {
        /// The sign of every weight (±1).
        sign: Real,
        /// `|w_max|`.
        max: Real,
        /// μ₊.
        mu_plus: Real,
        /// μ₋.
        mu_minus: Real,
    },
}

/// `x^mu` for `x ≥ 0`, with the common exponents 0 and 1 exact and free (`0^0 = 1`, as C's `pow`).
#[inline]
fn power(x: Real, mu: Real) -> Real {
    if mu == 0.0 {
        1.0
    } else if mu == 1.0 {
        x
    } else {
        x.powf(mu)
    }
}

/// In what order a synapse's accumulated potentiation and depression are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdateOrder {
    /// `w ← bound(w + bind(w, pos, neg))` in one go (Inferno's updater).
    #[default]
    Combined,
    /// Depression first, bounded, then potentiation, bounded: BrainPy's `STDP_Song2000`
    /// (LTD, clip, LTP, clip) and Brian2's example (pre pathway before post pathway).
    DepressionFirst,
    /// Potentiation first, bounded, then depression, bounded: NEST's synapses (the post spikes
    /// since the last pre spike facilitate, then the pre spike depresses).
    PotentiationFirst,
}

impl BoundKernel {
    /// The weight after potentiation `pos` alone.
    #[inline]
    pub fn potentiate(self, w: Real, pos: Real) -> Real {
        match self {
            Self::Unbounded => w + pos,
            Self::Hard { lo, hi } => (w + pos).clamp(lo, hi),
            Self::Multiplicative { hi, .. } => w + pos * (hi - w),
            Self::Power { hi, mu, .. } => w + pos * (hi - w).max(0.0).powf(mu),
            Self::Nest {
                sign, max, mu_plus, ..
            } => {
                let a = w * sign;
                sign * (a + pos * power((1.0 - a / max).max(0.0), mu_plus)).min(max)
            }
        }
    }

    /// The weight after depression `neg` alone.
    #[inline]
    pub fn depress(self, w: Real, neg: Real) -> Real {
        match self {
            Self::Unbounded => w - neg,
            Self::Hard { lo, hi } => (w - neg).clamp(lo, hi),
            Self::Multiplicative { lo, .. } => w - neg * (w - lo),
            Self::Power { lo, mu, .. } => w - neg * (w - lo).max(0.0).powf(mu),
            Self::Nest {
                sign,
                max,
                mu_minus,
                ..
            } => {
                let a = w * sign;
                sign * (a - neg * power((a / max).max(0.0), mu_minus)).max(0.0)
            }
        }
    }

    /// The weight after both, in one go.
    #[inline]
    fn combined(self, w: Real, pos: Real, neg: Real) -> Real {
        match self {
            Self::Unbounded => w + (pos - neg),
            Self::Hard { lo, hi } => (w + (pos - neg)).clamp(lo, hi),
            Self::Multiplicative { lo, hi } => w + (pos * (hi - w) - neg * (w - lo)),
            Self::Power { lo, hi, mu } => {
                w + (pos * (hi - w).max(0.0).powf(mu) - neg * (w - lo).max(0.0).powf(mu))
            }
            Self::Nest { .. } => self.depress(self.potentiate(w, pos), neg),
        }
    }

    /// The new weight of a synapse with accumulated `pos` and `neg`.
    #[inline]
    pub fn apply(self, order: UpdateOrder, w: Real, pos: Real, neg: Real) -> Real {
        match order {
            UpdateOrder::Combined => self.combined(w, pos, neg),
            UpdateOrder::DepressionFirst => self.potentiate(self.depress(w, neg), pos),
            UpdateOrder::PotentiationFirst => self.depress(self.potentiate(w, pos), neg),
        }
    }
}

/// NEST's additive weight dependence (`Nest` with μ₊ = μ₋ = 0, the bounds of NEST's
/// `stdp_synapse` defaults, `stdp_triplet_synapse` and `vogels_sprekeler_synapse`) applied
/// potentiation first: [`BoundKernel::apply`]'s result bit for bit, as a few inline
/// instructions instead of an out-of-line call that dispatches on the kernel and the order and
/// computes the unused `(1 − u)^0` factors (`pos·1` is exactly `pos`, so dropping the factor
/// changes no bit). The rule API's hooks use it for every synapse event of such a rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NestAdditive {
    sign: Real,
    max: Real,
}

impl NestAdditive {
    /// The fast form of `kernel` applied in `order`, when there is one: `Nest` bounds with
    /// μ₊ = μ₋ = 0, potentiation first (or combined, which is the same for `Nest`).
    #[inline]
    pub fn of(kernel: BoundKernel, order: UpdateOrder) -> Option<Self> {
        match (kernel, order) {
            (_, UpdateOrder::DepressionFirst) => None,
            (
                BoundKernel::Nest {
                    sign,
                    max,
                    mu_plus,
                    mu_minus,
                },
                _,
            ) if mu_plus == 0.0 && mu_minus == 0.0 => Some(Self { sign, max }),
            _ => None,
        }
    }

    /// `kernel.apply(order, w, pos, neg)` for the kernel and order this was made from.
    #[inline(always)]
    pub fn apply(self, w: Real, pos: Real, neg: Real) -> Real {
        let Self { sign, max } = self;
        let potentiated = sign * (w * sign + pos).min(max);
        sign * (potentiated * sign - neg).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Real, b: Real) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn each_bound_type() {
        let c = UpdateOrder::Combined;
        assert!(close(BoundKernel::Unbounded.apply(c, 0.5, 0.2, 0.1), 0.6));
        let hard = Bounds::Hard {
            w_min: Some(0.0),
            w_max: Some(1.0),
        }
        .kernel();
        assert_eq!(hard.apply(c, 0.9, 0.5, 0.0), 1.0);
        assert_eq!(hard.apply(c, 0.1, 0.0, 0.5), 0.0);
        assert!(close(hard.apply(c, 0.5, 0.1, 0.3), 0.3));
        let upper_only = Bounds::Hard {
            w_min: None,
            w_max: Some(1.0),
        }
        .kernel();
        assert!(close(upper_only.apply(c, 0.1, 0.0, 5.0), -4.9));
        let mult = Bounds::Multiplicative {
            w_min: 0.0,
            w_max: 2.0,
        }
        .kernel();
        // 0.5 + 0.1·(2 − 0.5) − 0.2·(0.5 − 0) = 0.55
        assert!(close(mult.apply(c, 0.5, 0.1, 0.2), 0.55));
        let pow = Bounds::Power {
            w_min: 0.0,
            w_max: 1.0,
            mu: 2.0,
        }
        .kernel();
        // 0.5 + 0.4·0.25 − 0.2·0.25 = 0.55
        assert!(close(pow.apply(c, 0.5, 0.4, 0.2), 0.55));
        // Beyond the upper limit no further potentiation, and no NaN.
        assert!(close(pow.apply(c, 1.5, 1.0, 0.0), 1.5));
        let sqrt = Bounds::Power {
            w_min: 0.0,
            w_max: 1.0,
            mu: 0.5,
        }
        .kernel();
        assert!(close(sqrt.apply(c, 0.75, 0.2, 0.0), 0.85));
    }

    #[test]
    fn depression_first_reproduces_brainpy_clipping() {
        // docs/upstream-models.md §4(d): w0 = 0.5, same-step LTD 0.53 and LTP 0.96 with [0, 1]:
        // 0.5 − 0.53 → clip 0 → + 0.96 = 0.96, while a combined update gives 0.93.
        let hard = Bounds::Hard {
            w_min: Some(0.0),
            w_max: Some(1.0),
        }
        .kernel();
        assert!(close(
            hard.apply(UpdateOrder::DepressionFirst, 0.5, 0.96, 0.53),
            0.96
        ));
        assert!(close(
            hard.apply(UpdateOrder::Combined, 0.5, 0.96, 0.53),
            0.93
        ));
        assert!(close(
            BoundKernel::Unbounded.apply(UpdateOrder::DepressionFirst, 0.5, 0.96, 0.53),
            0.93
        ));
    }

    #[test]
    fn signed_limits_for_inhibitory_weights() {
        // Weights in [−1, 0]: potentiation moves towards 0, depression towards −1.
        let hard = Bounds::Hard {
            w_min: Some(-1.0),
            w_max: Some(0.0),
        }
        .kernel();
        assert_eq!(hard.apply(UpdateOrder::Combined, -0.1, 0.5, 0.0), 0.0);
        assert_eq!(hard.apply(UpdateOrder::Combined, -0.9, 0.0, 0.5), -1.0);
        let mult = Bounds::Multiplicative {
            w_min: -1.0,
            w_max: 0.0,
        }
        .kernel();
        // −0.5 + 0.2·(0 − (−0.5)) = −0.4 ;  −0.5 − 0.2·(−0.5 − (−1)) = −0.6
        assert!(close(
            mult.apply(UpdateOrder::Combined, -0.5, 0.2, 0.0),
            -0.4
        ));
        assert!(close(
            mult.apply(UpdateOrder::Combined, -0.5, 0.0, 0.2),
            -0.6
        ));
        // Repeated depression approaches −1 without crossing it.
        let mut w = -0.5;
        for _ in 0..200 {
            w = mult.apply(UpdateOrder::Combined, w, 0.0, 0.1);
        }
        assert!(w > -1.0 && w < -0.999, "{w}");
    }

    #[test]
    fn nest_weight_dependence_keeps_the_sign_and_clips_each_change() {
        let p = UpdateOrder::PotentiationFirst;
        let add = Bounds::Nest {
            w_max: 100.0,
            mu_plus: 0.0,
            mu_minus: 0.0,
        }
        .kernel();
        // Additive: clip at |w_max| after potentiation, then depress: 99 + 5 → 100 − 3 = 97
        // (a combined update would give 100).
        assert_eq!(add.apply(p, 99.0, 5.0, 3.0), 97.0);
        assert_eq!(add.apply(UpdateOrder::Combined, 99.0, 5.0, 3.0), 97.0);
        assert_eq!(add.apply(p, 1.0, 0.0, 3.0), 0.0);
        // Multiplicative (μ = 1): 50 + 10·(1 − 0.5) = 55; 55 − 10·0.55 = 49.5.
        let mult = Bounds::Nest {
            w_max: 100.0,
            mu_plus: 1.0,
            mu_minus: 1.0,
        }
        .kernel();
        assert!(close(mult.apply(p, 50.0, 10.0, 10.0), 49.5));
        // Negative w_max: potentiation makes the weight more negative, clipped at w_max.
        let inh = Bounds::Nest {
            w_max: -1.0,
            mu_plus: 0.0,
            mu_minus: 0.0,
        }
        .kernel();
        assert!(close(inh.apply(p, -0.5, 0.25, 0.0), -0.75));
        assert_eq!(inh.apply(p, -0.9, 0.5, 0.0), -1.0);
        assert_eq!(inh.apply(p, -0.1, 0.0, 0.5), 0.0);
        let e = Bounds::Nest {
            w_max: 0.0,
            mu_plus: 0.0,
            mu_minus: 0.0,
        }
        .validate("bounds")
        .unwrap_err();
        assert!(
            e.to_string().starts_with("bounds.w_max must not be 0"),
            "{e}"
        );
    }

    #[test]
    fn validation_names_the_field() {
        let e = Bounds::Hard {
            w_min: Some(1.0),
            w_max: Some(0.0),
        }
        .validate("bounds")
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "bounds.w_max must be >= bounds.w_min (1), got 0"
        );
        let e = Bounds::Multiplicative {
            w_min: 0.0,
            w_max: 0.0,
        }
        .validate("bounds")
        .unwrap_err();
        assert!(e.to_string().contains("bounds.w_max"), "{e}");
        let e = Bounds::Power {
            w_min: 0.0,
            w_max: 1.0,
            mu: -1.0,
        }
        .validate("bounds")
        .unwrap_err();
        assert_eq!(e.to_string(), "bounds.mu must be > 0, got -1");
        let e = Bounds::Hard {
            w_min: Some(f64::NAN),
            w_max: None,
        }
        .validate("bounds")
        .unwrap_err();
        assert!(e.to_string().contains("bounds.w_min"), "{e}");
        assert!(
            Bounds::Hard {
                w_min: None,
                w_max: Some(-0.5)
            }
            .validate("bounds")
            .is_ok()
        );
    }

    #[test]
    fn the_nest_additive_fast_path_gives_the_bits_of_the_kernel() {
        let values: [Real; 14] = [
            0.0, -0.0, 1e-30, 0.3, 0.5, 0.999_999, 1.0, 1.5, -0.25, -1.0, -3.0, 7e-5, 2.0, 1e30,
        ];
        let mut checked = 0;
        for w_max in [1.0, -1.0, 3.24, -18.0] {
            let kernel = Bounds::Nest {
                w_max,
                mu_plus: 0.0,
                mu_minus: 0.0,
            }
            .kernel();
            for order in [UpdateOrder::PotentiationFirst, UpdateOrder::Combined] {
                let fast = NestAdditive::of(kernel, order).unwrap();
                for &w in &values {
                    for &pos in &values[..9] {
                        for &neg in &values[..9] {
                            let (pos, neg) = (pos.abs(), neg.abs());
                            let expected = kernel.apply(order, w, pos, neg);
                            let got = fast.apply(w, pos, neg);
                            assert_eq!(got.to_bits(), expected.to_bits(), "{w} {pos} {neg}");
                            checked += 1;
                        }
                    }
                }
            }
            assert!(NestAdditive::of(kernel, UpdateOrder::DepressionFirst).is_none());
        }
        assert!(checked > 5000);
        let multiplicative = Bounds::Nest {
            w_max: 1.0,
            mu_plus: 1.0,
            mu_minus: 0.0,
        }
        .kernel();
        assert!(NestAdditive::of(multiplicative, UpdateOrder::PotentiationFirst).is_none());
        assert!(NestAdditive::of(BoundKernel::Unbounded, UpdateOrder::Combined).is_none());
    }
}
