//! Exact-integration propagators of the current-based LIF models (NEST's
//! `libnestutil/iaf_propagator.cpp`, v3.10), computed in `f64`.
//!
//! For a membrane `τm dV/dt = −V + R·I` (C = τm/R) driven by a synaptic current that decays with
//! `τs`, one step `h` of the linear system is a matrix product; the entries that couple the
//! current into V are:
//!
//! ```text
//! β = τs·τm/(τm − τs)      γ = β/C
//! P32 = γ·e^(−h/τs)·expm1(h/β)                 (exponential PSC, or the I → V entry of the alpha PSC)
//! P31 = γ·e^(−h/τs)·(β·expm1(h/β) − h)         (alpha PSC: dI → V)
//! ```
//!
//! When τm ≈ τs these lose all precision; NEST then uses the limits `P32 = h/C·e^(−h/τm)` and
//! `P31 = h²/(2C)·e^(−h/τm)`: P32 when the regular value is not a positive normal number, P31
//! when `h <= 1e-7·τm²/|τm − τs|`. Both rules are copied here.

/// NEST's `NUMERICAL_STABILITY_FACTOR_`.
const NUMERICAL_STABILITY_FACTOR: f64 = 1e-7;

/// `(P32, e^(−h/τs), expm1(h/β))`, with NEST's singular fallback for P32.
fn p32_parts(tau_syn: f64, tau_m: f64, c_m: f64, h: f64) -> (f64, f64, f64) {
    let beta = tau_syn * tau_m / (tau_m - tau_syn);
    let gamma = beta / c_m;
    let inv_beta = (tau_m - tau_syn) / (tau_syn * tau_m);
    let exp_h_tau_syn = (-h / tau_syn).exp();
    let expm1_h_tau = (h * inv_beta).exp_m1();
    let p32 = gamma * exp_h_tau_syn * expm1_h_tau;
    if p32.is_normal() && p32 > 0.0 {
        (p32, exp_h_tau_syn, expm1_h_tau)
    } else {
        ((h / c_m) * (-h / tau_m).exp(), exp_h_tau_syn, expm1_h_tau)
    }
}

/// NEST's `IAFPropagatorExp::evaluate`: the propagator of an exponential PSC into V (P21 of
/// `iaf_psc_exp`), in mV per pA.
pub fn exp_psc(tau_syn_ms: f64, tau_m_ms: f64, c_m_pf: f64, h_ms: f64) -> f64 {
    p32_parts(tau_syn_ms, tau_m_ms, c_m_pf, h_ms).0
}

/// NEST's `IAFPropagatorAlpha::evaluate`: `(P31, P32)` of an alpha PSC, the propagators of
/// `dI` and `I` into V.
pub fn alpha_psc(tau_syn_ms: f64, tau_m_ms: f64, c_m_pf: f64, h_ms: f64) -> (f64, f64) {
    let (p32, exp_h_tau_syn, expm1_h_tau) = p32_parts(tau_syn_ms, tau_m_ms, c_m_pf, h_ms);
    let h_min_regular =
        NUMERICAL_STABILITY_FACTOR * tau_m_ms * tau_m_ms / (tau_m_ms - tau_syn_ms).abs();
    if h_ms > h_min_regular {
        let beta = tau_syn_ms * tau_m_ms / (tau_m_ms - tau_syn_ms);
        let gamma = beta / c_m_pf;
        return (gamma * exp_h_tau_syn * (beta * expm1_h_tau - h_ms), p32);
    }
    let p31 = 0.5 * h_ms * h_ms / c_m_pf * (-h_ms / tau_m_ms).exp();
    (p31, p32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// V after one step from 0 with I(0) = 1 pA decaying with τs: the closed form
    /// ∫0^h e^(−(h−s)/τm)·e^(−s/τs) ds / C.
    #[test]
    fn exp_propagator_is_the_integral_of_the_decaying_current() {
        let (ts, tm, c, h) = (2.0f64, 10.0, 250.0, 0.1);
        let a = 1.0 / ts - 1.0 / tm;
        let want = (-h / tm).exp() * (1.0 - (-a * h).exp()) / a / c;
        assert!((exp_psc(ts, tm, c, h) - want).abs() < 1e-15 * want.abs().max(1e-3));
    }

    #[test]
    fn equal_time_constants_use_the_limits() {
        let (t, c, h) = (10.0f64, 250.0, 0.1);
        let p32 = exp_psc(t, t, c, h);
        assert!((p32 - h / c * (-h / t).exp()).abs() < 1e-18);
        let (p31, p32a) = alpha_psc(t, t, c, h);
        assert_eq!(p32a, p32);
        assert!((p31 - 0.5 * h * h / c * (-h / t).exp()).abs() < 1e-18);
        // Nearly equal: the regular formula stays close to the limit.
        let (p31n, _) = alpha_psc(t * (1.0 + 1e-6), t, c, h);
        assert!((p31n - p31).abs() < 1e-6 * p31);
    }
}
