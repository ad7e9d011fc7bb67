//! # `AdEx` — adaptive exponential integrate-and-fire (NEST `aeif_cond_exp`, `aeif_psc_exp`)
//!
//! Brette & Gerstner (2005). With `I_stim` = `SynapticInput.current` (pA, held over the step)
//! and the neuron's own exponential synapses fed by `Receptor` projections:
//!
//! ```text
//! C dV/dt = −g_L(V − E_L) + g_L·Δ_T·exp((V − V_th)/Δ_T) − I_syn − w + I_e + I_stim
//! τ_w dw/dt = a(V − E_L) − w
//! synapses: Conductance (aeif_cond_exp)  I_syn = g_ex(V − E_ex) + g_in(V − E_in)   (nS)
//!           Current     (aeif_psc_exp)   I_syn = −(I_ex + I_in)                     (pA)
//! d(g or I)_ex/dt = −(g or I)_ex/τ_ex,  d(g or I)_in/dt = −(g or I)_in/τ_in
//! if V >= V_peak: V ← V_reset, w ← w + b, refractory for t_ref (V held at V_reset)
//! ```
//!
//! As in NEST, the right-hand side uses `min(V, V_peak)` (and V_reset while refractory, where
//! dV/dt = 0), so the exponential cannot overflow; with `Δ_T = 0` the exponential term is
//! dropped and the spike condition is `V >= V_th`.
//!
//! A positive weight arriving through `Receptor` adds to the excitatory channel (g_ex += w nS,
//! or I_ex += w pA), a negative one to the inhibitory channel (g_in += |w|, or I_in += w).
//! Arrivals are added at the end of the step, after the membrane update, as in NEST: they act
//! from the next step on.
//!
//! `SynapticInput.voltage_jump` (mV: `Delta(target: Voltage)` projections, `PoissonInput` onto
//! the voltage, Brian2's `on_pre='v_post += w'`) is added to V at the end of the step, after
//! the spike test, as NEST's `aeif_psc_delta` adds its delta spikes: a jump across V_peak fires
//! in the next step. Jumps arriving while the neuron is refractory are dropped (NEST's default,
//! `refractory_input = false`).
//!
//! ## Integration (`integration`)
//!
//! - `Rkf45` (default): NEST's scheme, a port of GSL's (1.15, old `gsl_odeiv`) `rkf45` stepper
//!   with the standard step-size control `gsl_odeiv_control_yp_new(tol, tol)` and
//!   `gsl_odeiv_evolve_apply`, run until the end of each step: an embedded Runge–Kutta–Fehlberg
//!   4(5) step of size h from the step's start; the error estimate
//!   `r = max_i |err_i| / (tol·h·|dy_i/dt| + tol)` decides: r > 1.1 retries with
//!   `h·max(0.9·r^(−1/5), 0.2)`, r < 0.5 grows the next h by `clamp(0.9·r^(−1/6), 1, 5)`; h is
//!   cut to end exactly on the step's end and carried over to the next step (per neuron). After
//!   every accepted sub-step the spike condition is tested and the neuron reset, and the
//!   integration goes on to the end of the step (NEST's order). Arithmetic in `f64`.
//! - `Euler`: one forward-Euler step of all variables (Brian2 `method='euler'`), then the
//!   spike test. Cheapest.
//! - `Rk4`: one classical Runge–Kutta step (Brian2 `method='rk4'`), then the spike test.
//!
//! With `Euler` and `Rk4`, reset happens once per step, at its end (Brian2's order), and
//! several spikes in one step are impossible. The state is stored as [`Real`]; the carried
//! RKF45 step size as `f64`, capped at dt (a proposal above dt gives the same next step).
//!
//! ### Speed, and what it costs in accuracy (nothing)
//!
//! The right-hand side is branch-free and its exponential is [`exp_f64::exp`] (within 1 ulp of
//! the C library's, 90 % the same bits), so the loops over neurons vectorize (4 `f64` lanes
//! with AVX2). `Euler` and `Rk4` are one such loop. `Rkf45` runs in two passes: a vectorized
//! pass does, for every neuron, GSL's first attempt over the whole step; a neuron whose carried
//! step is at least dt and whose attempt the control accepts is finished by it (exactly what
//! GSL does for it); the others (a fresh synaptic kick, the spike upswing: about a third of the
//! neurons in the 4000-neuron benchmark network) are then integrated by the scalar GSL loop
//! from the step's start. NEST's operations are kept in NEST's order, so the only difference
//! from the previous scalar port is the last bit of some exponentials: the NEST comparison
//! (`tests/neurons_nest.rs`) gives the same errors (V within 0.035 mV of NEST at every step).
//! Cost per step relative to `LifRef`: docs/performance.md.
//!
//! Recordable variables: `v` (mV, [`Membrane`]), `w` (pA), `syn_ex`, `syn_in` (nS for
//! `Conductance`, pA for `Current`; `syn_in` ≥ 0 for conductances, ≤ 0 for currents).
//!
//! ## Parameters
//! | name | unit | default | NEST | meaning |
//! |---|---|---|---|---|
//! | `c_m_pf` | pF | 281 | `C_m` | membrane capacitance |
//! | `g_l_ns` | nS | 30 | `g_L` | leak conductance |
//! | `e_l_mv` | mV | −70.6 | `E_L` | leak reversal potential |
//! | `v_th_mv` | mV | −50.4 | `V_th` | spike initiation threshold |
//! | `delta_t_mv` | mV | 2 | `Delta_T` | slope factor (0: plain LIF with threshold V_th) |
//! | `v_peak_mv` | mV | 0 | `V_peak` | spike detection (`V >= V_peak`) |
//! | `v_reset_mv` | mV | −60 | `V_reset` | reset potential |
//! | `t_ref_ms` | ms | 0 | `t_ref` | refractory period (whole steps) |
//! | `a_ns` | nS | 4 | `a` | subthreshold adaptation |
//! | `b_pa` | pA | 80.5 | `b` | spike-triggered adaptation |
//! | `tau_w_ms` | ms | 144 | `tau_w` | adaptation time constant |
//! | `e_ex_mv` | mV | 0 | `E_ex` | excitatory reversal potential (Conductance) |
//! | `e_in_mv` | mV | −85 | `E_in` | inhibitory reversal potential (Conductance) |
//! | `tau_syn_ex_ms` | ms | 0.2 | `tau_syn_ex` | excitatory synaptic time constant |
//! | `tau_syn_in_ms` | ms | 2 | `tau_syn_in` | inhibitory synaptic time constant |
//! | `i_e_pa` | pA | 0 | `I_e` | constant input current |
//! | `v_init_mv` | mV | none: `e_l_mv` | `V_m` | initial V (NEST: −70.6 whatever E_L) |
//! | `w_init_pa` | pA | 0 | `w` | initial w |
//! | `synapses` | — | `Conductance` | model | `Conductance` (aeif_cond_exp) or `Current` (aeif_psc_exp) |
//! | `integration` | — | `Rkf45` | — | `Rkf45` (NEST), `Euler` or `Rk4` (Brian2) |
//! | `error_tolerance` | — | 1e-6 | `gsl_error_tol` | RKF45 absolute and relative tolerance |
//!
//! References: NEST 3.10 `models/aeif_cond_exp.cpp`, `models/aeif_psc_exp.cpp`; GSL 1.15
//! `ode-initval/rkf45.c`, `cstd.c`, `evolve.c`; Brette & Gerstner (2005), J. Neurophysiol.
//! 94:3637–3642; Naud et al. (2008), Biol. Cybern. 99:335–347.

use hebb_core::initial::NeuronParams;
use hebb_core::per_neuron::{Columns, ConstantsAt, Layout, Shared};
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::exp_f64;
use crate::spiking::{SpikeFlags, whole_steps, write_spikes};

/// The synapses built into the neuron.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdExSynapses {
    /// Exponential conductances in nS with reversal potentials (NEST `aeif_cond_exp`).
    #[default]
    Conductance,
    /// Exponential currents in pA (NEST `aeif_psc_exp`).
    Current,
}

/// How one step is integrated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdExIntegration {
    /// GSL's adaptive RKF45 with NEST's settings (NEST-exact).
    #[default]
    Rkf45,
    /// Forward Euler (Brian2 `euler`).
    Euler,
    /// Classical Runge–Kutta 4 (Brian2 `rk4`).
    Rk4,
}

/// `AdEx` params (scene name `AdEx`), NEST's `aeif_cond_exp` defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdEx {
    /// Membrane capacitance in pF. Default 281.
    pub c_m_pf: f64,
    /// Leak conductance in nS. Default 30.
    pub g_l_ns: f64,
    /// Leak reversal potential in mV. Default −70.6.
    pub e_l_mv: f64,
    /// Spike initiation threshold in mV. Default −50.4.
    pub v_th_mv: f64,
    /// Slope factor in mV. Default 2.
    pub delta_t_mv: f64,
    /// Spike detection potential in mV. Default 0.
    pub v_peak_mv: f64,
    /// Reset potential in mV. Default −60.
    pub v_reset_mv: f64,
    /// Refractory period in ms (whole steps). Default 0.
    pub t_ref_ms: f64,
    /// Subthreshold adaptation in nS. Default 4.
    pub a_ns: f64,
    /// Spike-triggered adaptation in pA. Default 80.5.
    pub b_pa: f64,
    /// Adaptation time constant in ms. Default 144.
    pub tau_w_ms: f64,
    /// Excitatory reversal potential in mV. Default 0.
    pub e_ex_mv: f64,
    /// Inhibitory reversal potential in mV. Default −85.
    pub e_in_mv: f64,
    /// Excitatory synaptic time constant in ms. Default 0.2.
    pub tau_syn_ex_ms: f64,
    /// Inhibitory synaptic time constant in ms. Default 2.
    pub tau_syn_in_ms: f64,
    /// Constant input current in pA. Default 0.
    pub i_e_pa: f64,
    /// Initial V in mV. Default none: `e_l_mv`.
    pub v_init_mv: Option<f64>,
    /// Initial w in pA. Default 0.
    pub w_init_pa: f64,
    /// Built-in synapses. Default `Conductance`.
    pub synapses: AdExSynapses,
    /// Integration scheme. Default `Rkf45`.
    pub integration: AdExIntegration,
    /// RKF45 absolute and relative error tolerance. Default 1e-6.
    pub error_tolerance: f64,
}

impl Default for AdEx {
    fn default() -> Self {
        Self {
            c_m_pf: 281.0,
            g_l_ns: 30.0,
            e_l_mv: -70.6,
            v_th_mv: -50.4,
            delta_t_mv: 2.0,
            v_peak_mv: 0.0,
            v_reset_mv: -60.0,
            t_ref_ms: 0.0,
            a_ns: 4.0,
            b_pa: 80.5,
            tau_w_ms: 144.0,
            e_ex_mv: 0.0,
            e_in_mv: -85.0,
            tau_syn_ex_ms: 0.2,
            tau_syn_in_ms: 2.0,
            i_e_pa: 0.0,
            v_init_mv: None,
            w_init_pa: 0.0,
            synapses: AdExSynapses::Conductance,
            integration: AdExIntegration::Rkf45,
            error_tolerance: 1e-6,
        }
    }
}

const fn doc(name: &'static str, unit: &'static str, doc: &'static str) -> ParamDoc {
    ParamDoc { name, unit, doc }
}

impl Model for AdEx {
    const NAME: &'static str = "AdEx";
    const KIND: ModelKind = ModelKind::Neuron;
    const SUMMARY: &'static str = "adaptive exponential integrate-and-fire, NEST aeif_cond_exp / \
         aeif_psc_exp (GSL RKF45; or Euler, RK4)";
    const PARAMS: &'static [ParamDoc] = &[
        doc("c_m_pf", "pF", "membrane capacitance (C_m)"),
        doc("g_l_ns", "nS", "leak conductance (g_L)"),
        doc("e_l_mv", "mV", "leak reversal potential (E_L)"),
        doc("v_th_mv", "mV", "spike initiation threshold (V_th)"),
        doc(
            "delta_t_mv",
            "mV",
            "slope factor (Delta_T; 0: no exponential term)",
        ),
        doc("v_peak_mv", "mV", "spike detection, V >= V_peak (V_peak)"),
        doc("v_reset_mv", "mV", "reset potential (V_reset)"),
        doc(
            "t_ref_ms",
            "ms",
            "refractory period, V held at V_reset (t_ref; whole steps)",
        ),
        doc("a_ns", "nS", "subthreshold adaptation (a)"),
        doc("b_pa", "pA", "spike-triggered adaptation (b)"),
        doc("tau_w_ms", "ms", "adaptation time constant (tau_w)"),
        doc(
            "e_ex_mv",
            "mV",
            "excitatory reversal potential (E_ex; Conductance)",
        ),
        doc(
            "e_in_mv",
            "mV",
            "inhibitory reversal potential (E_in; Conductance)",
        ),
        doc(
            "tau_syn_ex_ms",
            "ms",
            "excitatory synaptic time constant (tau_syn_ex)",
        ),
        doc(
            "tau_syn_in_ms",
            "ms",
            "inhibitory synaptic time constant (tau_syn_in)",
        ),
        doc("i_e_pa", "pA", "constant input current (I_e)"),
        doc("v_init_mv", "mV", "initial V (default E_L)"),
        doc("w_init_pa", "pA", "initial w"),
        doc(
            "synapses",
            "-",
            "Conductance (aeif_cond_exp, nS) or Current (aeif_psc_exp, pA)",
        ),
        doc(
            "integration",
            "-",
            "Rkf45 (NEST, GSL adaptive), Euler or Rk4 (Brian2)",
        ),
        doc(
            "error_tolerance",
            "-",
            "RKF45 absolute and relative tolerance (gsl_error_tol)",
        ),
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::positive("c_m_pf", self.c_m_pf)?;
        check::non_negative("g_l_ns", self.g_l_ns)?;
        check::finite("e_l_mv", self.e_l_mv)?;
        check::finite("v_th_mv", self.v_th_mv)?;
        check::non_negative("delta_t_mv", self.delta_t_mv)?;
        check::finite("v_peak_mv", self.v_peak_mv)?;
        if self.v_peak_mv < self.v_th_mv {
            return Err(ParamError::new(
                "v_peak_mv",
                format!(
                    "must be >= v_th_mv ({}), got {}",
                    self.v_th_mv, self.v_peak_mv
                ),
            ));
        }
        if self.delta_t_mv > 0.0 && (self.v_peak_mv - self.v_th_mv) / self.delta_t_mv >= 700.0 {
            return Err(ParamError::new(
                "delta_t_mv",
                format!(
                    "is too small: exp((v_peak_mv − v_th_mv)/delta_t_mv) overflows, got {}",
                    self.delta_t_mv
                ),
            ));
        }
        check::less_than("v_reset_mv", self.v_reset_mv, "v_peak_mv", self.v_peak_mv)?;
        check::non_negative("t_ref_ms", self.t_ref_ms)?;
        check::finite("a_ns", self.a_ns)?;
        check::finite("b_pa", self.b_pa)?;
        check::positive("tau_w_ms", self.tau_w_ms)?;
        check::finite("e_ex_mv", self.e_ex_mv)?;
        check::finite("e_in_mv", self.e_in_mv)?;
        check::positive("tau_syn_ex_ms", self.tau_syn_ex_ms)?;
        check::positive("tau_syn_in_ms", self.tau_syn_in_ms)?;
        check::finite("i_e_pa", self.i_e_pa)?;
        if let Some(v) = self.v_init_mv {
            check::finite("v_init_mv", v)?;
        }
        check::finite("w_init_pa", self.w_init_pa)?;
        check::positive("error_tolerance", self.error_tolerance)
    }

    hebb_core::per_neuron_fields!(
        c_m_pf,
        g_l_ns,
        e_l_mv,
        v_th_mv,
        delta_t_mv,
        v_peak_mv,
        v_reset_mv,
        t_ref_ms,
        a_ns,
        b_pa,
        tau_w_ms,
        e_ex_mv,
        e_in_mv,
        tau_syn_ex_ms,
        tau_syn_in_ms,
        i_e_pa
    );

    /// Per-neuron constants; each neuron starts at its own `e_l_mv` unless `v_init_mv` is set.
    fn attach_per_neuron(
        &self,
        ctx: &mut AttachContext<'_>,
        per_neuron: &NeuronParams,
    ) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        let owner = format!("population `{}`", ctx.name);
        let dt_ms = ctx.dt_ms;
        let each = per_neuron.each_neuron(self, size, &owner, |_, p| {
            let v0 = p.v_init_mv.unwrap_or(p.e_l_mv) as Real;
            Ok((AdExConstants::new(p, dt_ms)?, v0))
        })?;
        let constants: Vec<AdExConstants> = each.iter().map(|e| e.0).collect();
        let mut entity = ctx.entity_mut();
        if let Some(mut membrane) = entity.get_mut::<Membrane>() {
            for (v, e) in membrane.v.iter_mut().zip(&each) {
                *v = e.1;
            }
        }
        entity.insert(AdExConstants::gather(&constants));
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        let constants = AdExConstants::new(self, ctx.dt_ms)
            .map_err(|e| BuildError::param(format!("population `{}`", ctx.name), e))?;
        ctx.entity_mut().insert((
            constants,
            AdExState {
                w: vec![self.w_init_pa as Real; size],
                syn_ex: vec![0.0; size],
                syn_in: vec![0.0; size],
                step_ms: vec![constants.h; size],
                refractory_left: vec![0; size],
            },
            Membrane {
                v: vec![self.v_init_mv.unwrap_or(self.e_l_mv) as Real; size],
            },
            ReceptorInput::new(size),
            SpikeFlags::new(size),
        ));
        Ok(())
    }
}

/// The constants of an `AdEx` population, in `f64`: one value each (`AdExConstants`), or, for a
/// population with per-neuron params, one value or one per neuron each
/// (`AdExConstants<Columns>`, see [`hebb_core::per_neuron`]).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct AdExConstants<L: Layout = Shared> {
    /// Step, ms.
    pub h: f64,
    /// See [`AdEx`] (units as there).
    pub c_m: L::Of<f64>,
    /// See [`AdEx`].
    pub g_l: L::Of<f64>,
    /// See [`AdEx`].
    pub e_l: L::Of<f64>,
    /// See [`AdEx`].
    pub v_th: L::Of<f64>,
    /// See [`AdEx`].
    pub delta_t: L::Of<f64>,
    /// `V_peak`: the clamp of V inside the right-hand side.
    pub v_peak: L::Of<f64>,
    /// The spike condition `V >= v_spike`: V_peak, or V_th when Δ_T = 0 (NEST).
    pub v_spike: L::Of<f64>,
    /// See [`AdEx`].
    pub v_reset: L::Of<f64>,
    /// See [`AdEx`].
    pub a: L::Of<f64>,
    /// See [`AdEx`].
    pub b: L::Of<f64>,
    /// See [`AdEx`].
    pub tau_w: L::Of<f64>,
    /// See [`AdEx`].
    pub e_ex: L::Of<f64>,
    /// See [`AdEx`].
    pub e_in: L::Of<f64>,
    /// See [`AdEx`].
    pub tau_ex: L::Of<f64>,
    /// See [`AdEx`].
    pub tau_in: L::Of<f64>,
    /// See [`AdEx`].
    pub i_e: L::Of<f64>,
    /// RKF45 tolerance.
    pub tol: f64,
    /// `t_ref/h`.
    pub refractory_steps: L::Of<u32>,
    /// `g_L·Δ_T`, the factor of the exponential term (0 when Δ_T = 0).
    pub spike_gain: L::Of<f64>,
    /// `Δ_T`, the divisor inside the exponential (+∞ when Δ_T = 0: the term is then
    /// `0·e^0 = 0`, without a branch).
    pub exp_divisor: L::Of<f64>,
    /// The refractory counter set at a spike: `t_ref/h + 1` (counted down at the end of the
    /// step), or 0 without a refractory period.
    pub refractory_after_spike: L::Of<u32>,
    /// Built-in synapses.
    pub synapses: AdExSynapses,
    /// Scheme.
    pub integration: AdExIntegration,
}

impl Copy for AdExConstants {}

hebb_core::per_neuron_constants!(AdExConstants {
    varying: [
        c_m,
        g_l,
        e_l,
        v_th,
        delta_t,
        v_peak,
        v_spike,
        v_reset,
        a,
        b,
        tau_w,
        e_ex,
        e_in,
        tau_ex,
        tau_in,
        i_e,
        refractory_steps,
        spike_gain,
        exp_divisor,
        refractory_after_spike
    ],
    shared: [h, tol, synapses, integration],
});

impl AdExConstants {
    /// The constants of `p` at step `h_ms`; the refractory period must lie on the grid.
    pub fn new(p: &AdEx, h_ms: f64) -> Result<Self, ParamError> {
        let refractory = whole_steps("t_ref_ms", p.t_ref_ms, h_ms)?;
        Ok(Self {
            h: h_ms,
            c_m: p.c_m_pf,
            g_l: p.g_l_ns,
            e_l: p.e_l_mv,
            v_th: p.v_th_mv,
            delta_t: p.delta_t_mv,
            v_peak: p.v_peak_mv,
            v_spike: if p.delta_t_mv > 0.0 {
                p.v_peak_mv
            } else {
                p.v_th_mv
            },
            v_reset: p.v_reset_mv,
            a: p.a_ns,
            b: p.b_pa,
            tau_w: p.tau_w_ms,
            e_ex: p.e_ex_mv,
            e_in: p.e_in_mv,
            tau_ex: p.tau_syn_ex_ms,
            tau_in: p.tau_syn_in_ms,
            i_e: p.i_e_pa,
            tol: p.error_tolerance,
            refractory_steps: u32::try_from(refractory).unwrap_or(u32::MAX),
            spike_gain: p.g_l_ns * p.delta_t_mv,
            exp_divisor: if p.delta_t_mv > 0.0 {
                p.delta_t_mv
            } else {
                f64::INFINITY
            },
            refractory_after_spike: match u32::try_from(refractory) {
                Ok(0) => 0,
                Ok(steps) => steps.saturating_add(1),
                Err(_) => u32::MAX,
            },
            synapses: p.synapses,
            integration: p.integration,
        })
    }
}

/// State of an `AdEx` population beside its [`Membrane`].
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdExState {
    /// Adaptation current w, pA.
    pub w: Vec<Real>,
    /// Excitatory synaptic conductance (nS) or current (pA).
    pub syn_ex: Vec<Real>,
    /// Inhibitory synaptic conductance (nS, ≥ 0) or current (pA, ≤ 0).
    pub syn_in: Vec<Real>,
    /// The RKF45 step size carried to the next step, ms (NEST's `IntegrationStep_`).
    pub step_ms: Vec<f64>,
    /// Steps each neuron is still held.
    pub refractory_left: Vec<u32>,
}

impl StateVariables for AdExState {
    const VARIABLES: &'static [&'static str] = &["w", "syn_ex", "syn_in"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        match name {
            "w" => Some(&self.w),
            "syn_ex" => Some(&self.syn_ex),
            "syn_in" => Some(&self.syn_in),
            _ => None,
        }
    }
    fn variable_mut(&mut self, name: &str) -> Option<&mut [Real]> {
        match name {
            "w" => Some(&mut self.w),
            "syn_ex" => Some(&mut self.syn_ex),
            "syn_in" => Some(&mut self.syn_in),
            _ => None,
        }
    }
}

/// The state vector of one neuron: (V, syn_ex, syn_in, w).
pub type AdExY = [f64; 4];

/// The right-hand side (NEST's `aeif_cond_exp_dynamics` / `aeif_psc_exp_dynamics`), written
/// without branches (selects only) so that loops over neurons vectorize; NEST's operations in
/// NEST's order, with [`exp_f64::exp`] for the exponential.
#[inline(always)]
pub fn adex_rhs<const CONDUCTANCE: bool>(
    c: &AdExConstants,
    refractory: bool,
    i_stim: f64,
    y: &AdExY,
) -> AdExY {
    let clamped = if c.v_peak < y[0] { c.v_peak } else { y[0] };
    let v = if refractory { c.v_reset } else { clamped };
    let (ex, inh, w) = (y[1], y[2], y[3]);
    let (i_syn_exc, i_syn_inh) = if CONDUCTANCE {
        (ex * (v - c.e_ex), inh * (v - c.e_in))
    } else {
        (-ex, -inh)
    };
    // g_L·Δ_T·exp((V − V_th)/Δ_T); exactly 0 when Δ_T = 0 (gain 0, exponent 0).
    let i_spike = c.spike_gain * exp_f64::exp((v - c.v_th) / c.exp_divisor);
    let dv = (-c.g_l * (v - c.e_l) + i_spike - i_syn_exc - i_syn_inh - w + c.i_e + i_stim) / c.c_m;
    [
        if refractory { 0.0 } else { dv },
        -ex / c.tau_ex,
        -inh / c.tau_in,
        (c.a * (v - c.e_l) - w) / c.tau_w,
    ]
}

/// GSL's `rkf45` stepper (`ode-initval/rkf45.c`) and the standard step control
/// (`cstd.c`, `a_y = 0`, `a_dydt = 1`): one step of size `h` from `y` with `k1 = f(y)`;
/// returns the new state and the error ratio `max_i |err_i| / (tol·h·|f_i(y_new)| + tol)`.
#[inline(always)]
fn rkf45_attempt(
    f: &impl Fn(&AdExY) -> AdExY,
    tol: f64,
    y: &AdExY,
    k1: &AdExY,
    h: f64,
) -> (AdExY, f64) {
    const AH: [f64; 5] = [1.0 / 4.0, 3.0 / 8.0, 12.0 / 13.0, 1.0, 1.0 / 2.0];
    const B3: [f64; 2] = [3.0 / 32.0, 9.0 / 32.0];
    const B4: [f64; 3] = [1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0];
    const B5: [f64; 4] = [
        8341.0 / 4104.0,
        -32832.0 / 4104.0,
        29440.0 / 4104.0,
        -845.0 / 4104.0,
    ];
    const B6: [f64; 5] = [
        -6080.0 / 20520.0,
        41040.0 / 20520.0,
        -28352.0 / 20520.0,
        9295.0 / 20520.0,
        -5643.0 / 20520.0,
    ];
    const C1: f64 = 902880.0 / 7618050.0;
    const C3: f64 = 3953664.0 / 7618050.0;
    const C4: f64 = 3855735.0 / 7618050.0;
    const C5: f64 = -1371249.0 / 7618050.0;
    const C6: f64 = 277020.0 / 7618050.0;
    const EC: [f64; 7] = [
        0.0,
        1.0 / 360.0,
        0.0,
        -128.0 / 4275.0,
        -2197.0 / 75240.0,
        1.0 / 50.0,
        2.0 / 55.0,
    ];
    let map = |g: &dyn Fn(usize) -> f64| -> AdExY { [g(0), g(1), g(2), g(3)] };
    let ytmp = map(&|i| y[i] + AH[0] * h * k1[i]);
    let k2 = f(&ytmp);
    let ytmp = map(&|i| y[i] + h * (B3[0] * k1[i] + B3[1] * k2[i]));
    let k3 = f(&ytmp);
    let ytmp = map(&|i| y[i] + h * (B4[0] * k1[i] + B4[1] * k2[i] + B4[2] * k3[i]));
    let k4 = f(&ytmp);
    let ytmp = map(&|i| y[i] + h * (B5[0] * k1[i] + B5[1] * k2[i] + B5[2] * k3[i] + B5[3] * k4[i]));
    let k5 = f(&ytmp);
    let ytmp = map(&|i| {
        y[i] + h * (B6[0] * k1[i] + B6[1] * k2[i] + B6[2] * k3[i] + B6[3] * k4[i] + B6[4] * k5[i])
    });
    let k6 = f(&ytmp);
    let y_new = map(&|i| {
        let d = C1 * k1[i] + C3 * k3[i] + C4 * k4[i] + C5 * k5[i] + C6 * k6[i];
        y[i] + h * d
    });
    let dydt_out = f(&y_new);
    let mut rmax = f64::MIN_POSITIVE;
    for i in 0..4 {
        let yerr =
            h * (EC[1] * k1[i] + EC[3] * k3[i] + EC[4] * k4[i] + EC[5] * k5[i] + EC[6] * k6[i]);
        let d0 = tol * (h * dydt_out[i].abs()) + tol;
        rmax = rmax.max(yerr.abs() / d0.abs());
    }
    (y_new, rmax)
}

/// One call of GSL's `gsl_odeiv_evolve_apply` with the `rkf45` stepper and the standard
/// control `yp_new(tol, tol)`: from `t` toward `t1` with the proposed step `h`; returns the new
/// time and the step proposed for the next call, and advances `y`.
#[inline(always)]
pub fn evolve_apply(
    f: impl Fn(&AdExY) -> AdExY,
    tol: f64,
    t: f64,
    t1: f64,
    h: f64,
    y: &mut AdExY,
) -> (f64, f64) {
    let y0 = *y;
    let k1 = f(&y0);
    let dt = t1 - t;
    let mut h0 = h;
    loop {
        let final_step = h0 > dt;
        if final_step {
            h0 = dt;
        }
        let (y_new, rmax) = rkf45_attempt(&f, tol, &y0, &k1, h0);
        let t_new = if final_step { t1 } else { t + h0 };
        // gsl_odeiv_control_hadjust with std_control_hadjust (order 5).
        let h_old = h0;
        if rmax > 1.1 {
            let r = (0.9 / rmax.powf(1.0 / 5.0)).max(0.2);
            let h_new = r * h_old;
            if h_new.abs() < h_old.abs() && t_new + h_new != t_new {
                h0 = h_new;
                continue;
            }
            h0 = h_old;
        } else if rmax < 0.5 {
            let r = (0.9 / rmax.powf(1.0 / 6.0)).clamp(1.0, 5.0);
            h0 = r * h_old;
        }
        *y = y_new;
        return (t_new, h0);
    }
}

/// After a (sub-)step: hold V at V_reset while refractory `r > 0`, else detect a spike
/// (`V >= v_spike`: reset, `w += b`, start the refractory count). Returns the new count and
/// whether the neuron spiked. Branch-free.
#[inline(always)]
fn settle(c: &AdExConstants, y: &mut AdExY, r: u32) -> (u32, bool) {
    let spiked = r == 0 && y[0] >= c.v_spike;
    y[0] = if r > 0 || spiked { c.v_reset } else { y[0] };
    y[3] = if spiked { y[3] + c.b } else { y[3] };
    (if spiked { c.refractory_after_spike } else { r }, spiked)
}

/// The arrays one `AdEx` step reads and writes, one value per neuron of a block (all of the
/// same length).
pub struct AdExSlices<'a> {
    /// Membrane potential, mV.
    pub v: &'a mut [Real],
    /// Adaptation current w, pA.
    pub w: &'a mut [Real],
    /// Excitatory synaptic conductance or current.
    pub syn_ex: &'a mut [Real],
    /// Inhibitory synaptic conductance or current.
    pub syn_in: &'a mut [Real],
    /// The RKF45 step carried to the next step, ms.
    pub step_ms: &'a mut [f64],
    /// Refractory steps left.
    pub refractory_left: &'a mut [u32],
    /// Input current I_stim, pA (consumed: zeroed).
    pub current: &'a mut [Real],
    /// Voltage jumps, mV (consumed: zeroed): added to V after the step, unless refractory.
    pub voltage_jump: &'a mut [Real],
    /// Arriving excitatory weights (consumed).
    pub arriving_ex: &'a mut [Real],
    /// Arriving inhibitory weights, |w| (consumed).
    pub arriving_in: &'a mut [Real],
    /// Output: 1 where the neuron spiked (at least once) in this step.
    pub flags: &'a mut [u8],
}

/// A neuron whose step the vectorized first pass of [`adex_step`] left to the second.
const PENDING: u8 = 2;

/// One step of every neuron of the slices (the pure kernel), NEST's `aeif_cond_exp::update`
/// for `Rkf45`.
pub fn adex_step(c: &AdExConstants, s: AdExSlices<'_>) {
    adex_step_with(c, (c.synapses, c.integration), s);
}

/// [`adex_step`] with the constants of each neuron of the slices from `constants`: the
/// homogeneous [`AdExConstants`] or a block of a heterogeneous population's; `scheme` is the
/// population's synapses and integration.
pub fn adex_step_with<C: ConstantsAt<AdExConstants>>(
    c: &C,
    scheme: (AdExSynapses, AdExIntegration),
    s: AdExSlices<'_>,
) {
    match scheme {
        (AdExSynapses::Conductance, AdExIntegration::Rkf45) => rkf45_kernel::<true, C>(c, s),
        (AdExSynapses::Current, AdExIntegration::Rkf45) => rkf45_kernel::<false, C>(c, s),
        (AdExSynapses::Conductance, AdExIntegration::Euler) => {
            fixed_kernel::<true, false, C>(c, s);
        }
        (AdExSynapses::Current, AdExIntegration::Euler) => fixed_kernel::<false, false, C>(c, s),
        (AdExSynapses::Conductance, AdExIntegration::Rk4) => fixed_kernel::<true, true, C>(c, s),
        (AdExSynapses::Current, AdExIntegration::Rk4) => fixed_kernel::<false, true, C>(c, s),
    }
}

/// Neuron `i`'s state in `f64`.
#[inline(always)]
fn load(s: &AdExSlices<'_>, i: usize) -> AdExY {
    [
        f64::from(s.v[i]),
        f64::from(s.syn_ex[i]),
        f64::from(s.syn_in[i]),
        f64::from(s.w[i]),
    ]
}

/// The voltage jump added to V after a step that leaves `r` refractory steps (before the
/// decrement): none while the neuron stays refractory (NEST's `aeif_psc_delta` drops them).
#[inline(always)]
fn jump_after(r: u32, jump: Real) -> f64 {
    if r.saturating_sub(1) == 0 {
        f64::from(jump)
    } else {
        0.0
    }
}

/// Adds this step's arrivals (after the update, as NEST does), stores neuron `i`'s state and
/// consumes its inputs.
#[inline(always)]
fn store<const CONDUCTANCE: bool>(s: &mut AdExSlices<'_>, i: usize, mut y: AdExY, r: u32) {
    y[0] += jump_after(r, s.voltage_jump[i]);
    y[1] += f64::from(s.arriving_ex[i]);
    if CONDUCTANCE {
        y[2] -= f64::from(s.arriving_in[i]);
    } else {
        y[2] += f64::from(s.arriving_in[i]);
    }
    s.v[i] = y[0] as Real;
    s.syn_ex[i] = y[1] as Real;
    s.syn_in[i] = y[2] as Real;
    s.w[i] = y[3] as Real;
    s.refractory_left[i] = r.saturating_sub(1);
    s.current[i] = 0.0;
    s.voltage_jump[i] = 0.0;
    s.arriving_ex[i] = 0.0;
    s.arriving_in[i] = 0.0;
}

/// `Euler` (`RK4 = false`) and `Rk4`: one fixed step, then the spike test; every neuron does the
/// same work, so the loop vectorizes.
fn fixed_kernel<const CONDUCTANCE: bool, const RK4: bool, C: ConstantsAt<AdExConstants>>(
    constants: &C,
    mut s: AdExSlices<'_>,
) {
    let n = s.v.len();
    for i in 0..n {
        let c = &constants.at(i);
        let mut y = load(&s, i);
        let r = s.refractory_left[i];
        let i_stim = f64::from(s.current[i]);
        let f = |y: &AdExY| adex_rhs::<CONDUCTANCE>(c, r > 0, i_stim, y);
        if RK4 {
            let shift = |k: &AdExY, by: f64| -> AdExY {
                [
                    y[0] + by * k[0],
                    y[1] + by * k[1],
                    y[2] + by * k[2],
                    y[3] + by * k[3],
                ]
            };
            let k1 = f(&y);
            let k2 = f(&shift(&k1, c.h / 2.0));
            let k3 = f(&shift(&k2, c.h / 2.0));
            let k4 = f(&shift(&k3, c.h));
            for j in 0..4 {
                y[j] += c.h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
            }
        } else {
            let k = f(&y);
            for j in 0..4 {
                y[j] += c.h * k[j];
            }
        }
        let (r, spiked) = settle(c, &mut y, r);
        s.flags[i] = u8::from(spiked);
        store::<CONDUCTANCE>(&mut s, i, y, r);
    }
}

/// `Rkf45` in two passes over the neurons.
///
/// 1. Vectorized, every neuron: the first attempt of GSL's `evolve_apply` over the whole step
///    (`h = dt`). A neuron whose carried step is at least `dt` and whose attempt the control
///    accepts (ratio ≤ 1.1) is done: that is all GSL does for it (the control then proposes a
///    step ≥ dt for the next call, which is cut to dt again), so its state, spike and reset are
///    stored. The others are marked [`PENDING`] and left untouched.
/// 2. Scalar, the pending neurons only: GSL's full loop of `evolve_apply` calls from the step's
///    start, with the carried step.
///
/// The carried step is stored as `min(h, dt)`: a proposal above dt gives the same next step.
fn rkf45_kernel<const CONDUCTANCE: bool, C: ConstantsAt<AdExConstants>>(
    constants: &C,
    mut s: AdExSlices<'_>,
) {
    let n = s.v.len();
    let mut pending = 0usize;
    for i in 0..n {
        let c = &constants.at(i);
        let y0 = load(&s, i);
        let r0 = s.refractory_left[i];
        let i_stim = f64::from(s.current[i]);
        let f = |y: &AdExY| adex_rhs::<CONDUCTANCE>(c, r0 > 0, i_stim, y);
        let k1 = f(&y0);
        let (mut y, rmax) = rkf45_attempt(&f, c.tol, &y0, &k1, c.h);
        let done = s.step_ms[i] >= c.h && rmax <= 1.1;
        let (r, spiked) = settle(c, &mut y, r0);
        pending += usize::from(!done);
        // Selects, so the loop stays branch-free; a pending neuron keeps its state and inputs.
        let keep = |new: Real, old: Real| if done { new } else { old };
        let mut arrived = y;
        arrived[0] += jump_after(r, s.voltage_jump[i]);
        arrived[1] += f64::from(s.arriving_ex[i]);
        if CONDUCTANCE {
            arrived[2] -= f64::from(s.arriving_in[i]);
        } else {
            arrived[2] += f64::from(s.arriving_in[i]);
        }
        s.v[i] = keep(arrived[0] as Real, s.v[i]);
        s.syn_ex[i] = keep(arrived[1] as Real, s.syn_ex[i]);
        s.syn_in[i] = keep(arrived[2] as Real, s.syn_in[i]);
        s.w[i] = keep(arrived[3] as Real, s.w[i]);
        s.current[i] = keep(0.0, s.current[i]);
        s.voltage_jump[i] = keep(0.0, s.voltage_jump[i]);
        s.arriving_ex[i] = keep(0.0, s.arriving_ex[i]);
        s.arriving_in[i] = keep(0.0, s.arriving_in[i]);
        s.refractory_left[i] = if done { r.saturating_sub(1) } else { r0 };
        s.step_ms[i] = if done { c.h } else { s.step_ms[i] };
        s.flags[i] = if done { u8::from(spiked) } else { PENDING };
    }
    if pending == 0 {
        return;
    }
    for i in 0..n {
        if s.flags[i] != PENDING {
            continue;
        }
        let c = &constants.at(i);
        let mut y = load(&s, i);
        let mut r = s.refractory_left[i];
        let i_stim = f64::from(s.current[i]);
        let mut spiked = false;
        let (mut t, mut h) = (0.0, s.step_ms[i]);
        while t < c.h {
            let refractory = r > 0;
            let f = |y: &AdExY| adex_rhs::<CONDUCTANCE>(c, refractory, i_stim, y);
            (t, h) = evolve_apply(f, c.tol, t, c.h, h, &mut y);
            let (r_new, spike) = settle(c, &mut y, r);
            r = r_new;
            spiked |= spike;
        }
        s.step_ms[i] = h.min(c.h);
        s.flags[i] = u8::from(spiked);
        store::<CONDUCTANCE>(&mut s, i, y, r);
    }
}

/// The `AdEx` populations, as [`adex_system`] reads and writes them.
type AdExPopulation<'a> = (
    &'a AdExConstants,
    &'a mut AdExState,
    &'a mut Membrane,
    &'a mut SynapticInput,
    &'a mut ReceptorInput,
    &'a mut SpikeFlags,
    &'a mut Spikes,
    Option<&'a AdExConstants<Columns>>,
);

/// [`Stage::NeuronStep`]: step every `AdEx` population and write its spikes; each partition of
/// the [`Executor`] steps its block of neurons (one block with one thread).
pub fn adex_system(executor: &Executor, mut populations: Query<AdExPopulation<'_>>) {
    for (c, mut state, mut membrane, mut input, mut receptor, mut flags, mut spikes, per_neuron) in
        &mut populations
    {
        let n = membrane.v.len();
        let st = &mut *state;
        let receptor = &mut *receptor;
        let input = &mut *input;
        let step = |p: usize,
                    (
            ((((v, w), (syn_ex, syn_in)), (step_ms, left)), ((current, jump), (ex, inh))),
            flags,
        )| {
            let s = AdExSlices {
                v,
                w,
                syn_ex,
                syn_in,
                step_ms,
                refractory_left: left,
                current,
                voltage_jump: jump,
                arriving_ex: ex,
                arriving_in: inh,
                flags,
            };
            match per_neuron {
                None => adex_step(c, s),
                Some(columns) => adex_step_with(
                    &columns.block(executor.block(n, p)),
                    (c.synapses, c.integration),
                    s,
                ),
            }
        };
        if executor.is_single() {
            step(
                0,
                (
                    (
                        (
                            (
                                (&mut membrane.v[..], &mut st.w[..n]),
                                (&mut st.syn_ex[..n], &mut st.syn_in[..n]),
                            ),
                            (&mut st.step_ms[..n], &mut st.refractory_left[..n]),
                        ),
                        (
                            (&mut input.current[..n], &mut input.voltage_jump[..n]),
                            (&mut receptor.excitatory[..n], &mut receptor.inhibitory[..n]),
                        ),
                    ),
                    &mut flags.0[..n],
                ),
            );
        } else {
            let split = |x| executor.split_mut(x);
            let work = executor
                .split_mut(&mut membrane.v)
                .zip(split(&mut st.w[..n]))
                .zip(split(&mut st.syn_ex[..n]).zip(split(&mut st.syn_in[..n])))
                .zip(
                    executor
                        .split_mut(&mut st.step_ms[..n])
                        .zip(executor.split_mut(&mut st.refractory_left[..n])),
                )
                .zip(
                    split(&mut input.current[..n])
                        .zip(split(&mut input.voltage_jump[..n]))
                        .zip(
                            split(&mut receptor.excitatory[..n])
                                .zip(split(&mut receptor.inhibitory[..n])),
                        ),
                )
                .zip(executor.split_mut(&mut flags.0[..n]));
            executor.for_each_part(work, step);
        }
        write_spikes(&flags.0, &mut spikes);
    }
}

/// Registers the `AdEx` model, its variables and its system.
pub struct AdExPlugin;

impl Plugin for AdExPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<AdEx>();
        sim.register_variables::<AdExState>();
        sim.register_snapshot::<AdExState>();
        sim.add_model_systems::<AdEx, _>(Stage::NeuronStep, adex_system);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steps one neuron with a constant current; returns (V, w, spiked) per step.
    fn run(p: &AdEx, i_stim: f64, steps: usize) -> Vec<(f64, f64, bool)> {
        let c = AdExConstants::new(p, 0.1).unwrap();
        let mut v = [p.v_init_mv.unwrap_or(p.e_l_mv) as Real];
        let (mut w, mut step, mut left) = ([p.w_init_pa as Real], [0.1], [0]);
        let (mut ex, mut inh, mut flags) = ([0.0], [0.0], [0u8]);
        (0..steps)
            .map(|_| {
                adex_step(
                    &c,
                    AdExSlices {
                        v: &mut v,
                        w: &mut w,
                        syn_ex: &mut ex,
                        syn_in: &mut inh,
                        step_ms: &mut step,
                        refractory_left: &mut left,
                        current: &mut [i_stim as Real],
                        voltage_jump: &mut [0.0],
                        arriving_ex: &mut [0.0],
                        arriving_in: &mut [0.0],
                        flags: &mut flags,
                    },
                );
                (f64::from(v[0]), f64::from(w[0]), flags[0] == 1)
            })
            .collect()
    }

    /// A voltage jump is added after the step (tested for a spike in the next step, as NEST's
    /// `aeif_psc_delta`) and dropped while the neuron is refractory.
    #[test]
    fn voltage_jumps_add_after_the_step_and_are_dropped_while_refractory() {
        let p = AdEx {
            t_ref_ms: 2.0,
            ..AdEx::default()
        };
        let c = AdExConstants::new(&p, 0.1).unwrap();
        let fresh = || ([p.e_l_mv as Real], [0.0 as Real], [0.1], [0u32]);
        let step = |(v, w, h, left): &mut ([Real; 1], [Real; 1], [f64; 1], [u32; 1]),
                    jump: Real| {
            let (mut flags, mut j) = ([0u8], [jump]);
            adex_step(
                &c,
                AdExSlices {
                    v,
                    w,
                    syn_ex: &mut [0.0],
                    syn_in: &mut [0.0],
                    step_ms: h,
                    refractory_left: left,
                    current: &mut [0.0],
                    voltage_jump: &mut j,
                    arriving_ex: &mut [0.0],
                    arriving_in: &mut [0.0],
                    flags: &mut flags,
                },
            );
            assert_eq!(j[0], 0.0, "the jump is consumed");
            (f64::from(v[0]), flags[0] == 1)
        };
        // 5 mV: the same step as without the jump, plus 5 mV (stored in f32).
        let (mut a, mut b) = (fresh(), fresh());
        let (v_plain, _) = step(&mut a, 0.0);
        let (v_jump, spiked) = step(&mut b, 5.0);
        assert!(!spiked);
        assert!(
            (v_jump - v_plain - 5.0).abs() < 1e-5,
            "{v_jump} vs {v_plain}"
        );
        // 100 mV lifts V above V_peak (0 mV) without a spike in its own step; the next step
        // fires and resets.
        let mut n = fresh();
        let (v, spiked) = step(&mut n, 100.0);
        assert!(v > p.v_peak_mv && !spiked, "{v} {spiked}");
        assert_eq!(step(&mut n, 0.0), (p.v_reset_mv, true));
        // Refractory (2 ms): a jump is dropped, V stays at the reset.
        assert_eq!(step(&mut n, 10.0), (p.v_reset_mv, false));
    }

    #[test]
    fn rest_is_a_fixed_point_and_subthreshold_current_settles() {
        // At E_L without input only the tiny exponential term acts: dV/dt = g_L·Δ_T·e^(−10.1)/C.
        let out = run(&AdEx::default(), 0.0, 100);
        assert!(out.iter().all(|o| (o.0 + 70.6).abs() < 0.01 && !o.2));
        // 200 pA for 2 s: no spike; the three schemes agree closely on the steady state.
        let end: Vec<f64> = [
            AdExIntegration::Rkf45,
            AdExIntegration::Rk4,
            AdExIntegration::Euler,
        ]
        .into_iter()
        .map(|integration| {
            let p = AdEx {
                integration,
                ..AdEx::default()
            };
            let out = run(&p, 200.0, 20000);
            assert!(out.iter().all(|o| !o.2));
            out[19999].0
        })
        .collect();
        assert!(
            (end[0] - end[1]).abs() < 1e-4 && (end[0] - end[2]).abs() < 1e-3,
            "{end:?}"
        );
        // The steady state solves 0 = −g_L(V − E_L) + g_LΔ_T e^((V−V_th)/Δ_T) − a(V − E_L) + I.
        let v = end[0];
        let p = AdEx::default();
        let residual = -p.g_l_ns * (v - p.e_l_mv)
            + p.g_l_ns * p.delta_t_mv * ((v - p.v_th_mv) / p.delta_t_mv).exp()
            - p.a_ns * (v - p.e_l_mv)
            + 200.0;
        assert!(residual.abs() < 0.05, "{residual}");
    }

    #[test]
    fn spike_resets_and_adapts() {
        let out = run(&AdEx::default(), 800.0, 3000);
        let spikes: Vec<usize> = (0..out.len()).filter(|&k| out[k].2).collect();
        assert!(spikes.len() >= 3, "{spikes:?}");
        // w jumps by b at every spike; the ISIs lengthen (adaptation).
        let k = spikes[0];
        assert!(out[k].1 - out[k - 1].1 > 80.0);
        assert!(spikes[2] - spikes[1] > spikes[1] - spikes[0]);
        // NEST keeps integrating after the reset inside the step: V is near, not at, V_reset.
        assert!((out[k].0 + 60.0).abs() < 0.5 && out[k].0 != -60.0);
    }

    #[test]
    fn refractory_holds_v_at_reset() {
        let p = AdEx {
            t_ref_ms: 1.0,
            ..AdEx::default()
        };
        let out = run(&p, 2000.0, 2000);
        let k = (0..out.len()).find(|&k| out[k].2).unwrap();
        for o in &out[k..k + 10] {
            assert_eq!(o.0, -60.0);
        }
        assert!(out[k + 11].0 > -60.0);
    }

    #[test]
    fn step_control_shrinks_and_grows() {
        // A smooth decay: RKF45 grows the proposed step (up to 5x per call).
        let c = AdExConstants::new(&AdEx::default(), 0.1).unwrap();
        let f = |y: &AdExY| adex_rhs::<true>(&c, false, 0.0, y);
        let mut y = [-70.6, 0.0, 0.0, 0.0];
        let (t, h) = evolve_apply(f, 1e-6, 0.0, 0.1, 0.1, &mut y);
        assert_eq!(t, 0.1);
        assert!(h > 0.1 && h <= 0.5, "{h}");
        // A big conductance kick with τ 0.2 ms: the step is cut, not reaching t1.
        let mut y = [-70.6, 500.0, 0.0, 0.0];
        let (t, h) = evolve_apply(f, 1e-6, 0.0, 0.1, 0.1, &mut y);
        assert!(t < 0.1 && h < 0.1, "{t} {h}");
    }

    #[test]
    fn validation() {
        let e = Model::validate(&AdEx {
            v_peak_mv: -55.0,
            ..AdEx::default()
        })
        .unwrap_err();
        assert!(
            e.to_string().starts_with("v_peak_mv must be >= v_th_mv"),
            "{e}"
        );
        let e = AdExConstants::new(
            &AdEx {
                t_ref_ms: 0.05,
                ..AdEx::default()
            },
            0.1,
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("t_ref_ms must be"));
    }
}
