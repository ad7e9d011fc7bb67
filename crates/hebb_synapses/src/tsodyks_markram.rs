//! # `TsodyksMarkram` — short-term plasticity (facilitation and depression) of a projection
//!
//! The Tsodyks–Markram model: each release site has a utilisation `u` (the fraction of the
//! available resources that a spike releases) and available resources `x`. A spike raises `u`
//! (facilitation) and consumes `u·x` of the resources (depression); between spikes `u` relaxes
//! to 0 with `tau_f` and `x` recovers to 1 with `tau_d`:
//!
//! ```text
//! du/dt = −u/τ_f + U·(1 − u⁻)·Σδ(t − t_spike)
//! dx/dt = (1 − x)/τ_d − u⁺·x⁻·Σδ(t − t_spike)
//! released = u⁺·x⁻                      (on a spike, 0 otherwise)
//! ```
//!
//! The synapse output (Delta, Exponential, Conductance) transmits `w · released` for each
//! arriving spike: STP sets the projection's [`TransmissionScale`] in
//! [`Stage::SynapticStp`] and never changes the stored weight, so a long-term rule can share
//! the projection.
//!
//! ## Integrations (`integration:`)
//! `s ∈ {0, 1}` is the arrival of a presynaptic spike this step, `dt` the time step.
//!
//! - `Euler` — the form of Norse's `stp_step` and ngc-learn's `STPDenseSynapse` (both use the
//!   OLD `u` in the jump, the NEW `u` and the OLD `x` in the depletion):
//!   ```text
//!   u' = u − (dt/τ_f)·u + U·(1 − u)·s
//!   released = u'·x·s
//!   x' = x + (dt/τ_d)·(1 − x) − released
//!   ```
//!   Requires `dt ≤ τ` for every non-zero time constant (otherwise the decay overshoots).
//!   ngc-learn ignores `dt` (its decay is `u/τ_f` per step): the two agree at dt = 1 ms.
//! - `Exact` (default) — exponential relaxation over the step, then the jump at the spike
//!   (the spike of step k happens at t = k·dt, just before the state is read); correct for any
//!   `dt`, the same recursion as NEST's `tsodyks2_synapse`:
//!   ```text
//!   u⁻ = u·e^(−dt/τ_f);  x⁻ = 1 − (1 − x)·e^(−dt/τ_d)
//!   u' = u⁻ + U·(1 − u⁻)·s;  released = u'·x⁻·s;  x' = x⁻ − released
//!   ```
//! - `BrainPy` — BrainPy's `bp.dyn.STP`: the `Exact` dynamics, but the transmitted value is
//!   computed with the POST-release resources, `released = u'·x'·s`.
//!
//! Special time constants (ngc-learn's semantics): `tau_f_ms = 0` means no facilitation,
//! `u ≡ U` at every step (`u_init` is ignored); `tau_d_ms = 0` means no depression, `x` stays at
//! `x_init` forever.
//!
//! ## Where the state lives
//! With one `u_base` per projection, `u`, `x` and `released` are per presynaptic neuron (the
//! scale is [`TransmissionScale::PerPre`]); with `u_base_per_synapse` they are per synapse
//! ([`TransmissionScale::PerSynapse`]). `Wdyn` (ngc-learn's held efficacy) is per synapse:
//! `w·released` on a spike, held between spikes. Recordable variables: `u`, `x`, `released`,
//! `Wdyn`.
//!
//! The update is event-driven: between spikes both integrations are geometric sequences
//! (`u·q_u^n`, `1 − (1 − x)·q_x^n` with `q = 1 − dt/τ` for Euler, `e^(−dt/τ)` for Exact), so a
//! unit is only touched when a spike arrives, relaxed over the gap in closed form (one `exp` per
//! arriving presynaptic neuron), then given the spike step. The cost per step is proportional to
//! the synapses of the arriving spikes. The recordable `u` and `x` are brought up to date only
//! on the steps a recorder samples them (from the anchors, so recording never changes the
//! dynamics); [`TsodyksMarkramState::values_after`] gives them at any time.
//!
//! ## Parameters
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `u_base` | 1 | 0.45 | U, the utilisation increment, in [0, 1] |
//! | `u_base_per_synapse` | 1 | `None` | U per synapse (one value per synapse, synapse order); overrides `u_base` |
//! | `tau_f_ms` | ms | 50 | facilitation time constant (0: u ≡ U) |
//! | `tau_d_ms` | ms | 750 | depression (recovery) time constant (0: no depression) |
//! | `integration` | — | `Exact` | `Euler`, `Exact` or `BrainPy` |
//! | `u_init` | 1 | 0 | initial u |
//! | `x_init` | 1 | 1 | initial x |
//!
//! Defaults are Norse's `TsodyksMakramParameters()` (a depressing synapse). Norse's API takes
//! inverse time constants in 1/s: `tau_f_ms = 1000 / tau_f_inv`, `tau_d_ms = 1000 / tau_d_inv`.
//!
//! References: Tsodyks & Markram 1997 (PNAS 94:719), Tsodyks, Pawelzik & Markram 1998 (Neural
//! Comput. 10:821); Norse `functional/tsodyks_makram.py::stp_step`; ngc-learn
//! `components/synapses/STPDenseSynapse.py`; BrainPy `dyn/synapses/abstract_models.py::STP`.
//! See `docs/stp.md`.

use hebb_core::clock::Clock;
use hebb_core::connectivity::Connectivity;
use hebb_core::prelude::*;
use hebb_core::snapshot::RestoreCheck;
use serde::{Deserialize, Serialize};

/// How u and x are advanced over one step (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StpIntegration {
    /// Forward Euler with the jump on the old u: Norse's and ngc-learn's form.
    Euler,
    /// Exact exponential relaxation, then the jump: correct for any dt.
    #[default]
    Exact,
    /// BrainPy's `STP`: the exact dynamics, transmitting `u⁺·x⁺` (post-release resources).
    BrainPy,
}

/// Tsodyks–Markram short-term plasticity params (scene name `TsodyksMarkram`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TsodyksMarkram {
    /// U, the utilisation increment per spike, in [0, 1]. Default 0.45.
    pub u_base: f64,
    /// U per synapse, in synapse order (row-major by presynaptic neuron); overrides `u_base`
    /// and makes the state per synapse. Default `None`.
    pub u_base_per_synapse: Option<Vec<f64>>,
    /// Facilitation time constant in ms; 0 means u ≡ U. Default 50.
    pub tau_f_ms: f64,
    /// Depression (recovery) time constant in ms; 0 means no depression. Default 750.
    pub tau_d_ms: f64,
    /// Integration scheme. Default `Exact`.
    pub integration: StpIntegration,
    /// Initial utilisation u, in [0, 1]. Default 0.
    pub u_init: f64,
    /// Initial resources x, in [0, 1]. Default 1.
    pub x_init: f64,
}

impl Default for TsodyksMarkram {
    fn default() -> Self {
        Self {
            u_base: 0.45,
            u_base_per_synapse: None,
            tau_f_ms: 50.0,
            tau_d_ms: 750.0,
            integration: StpIntegration::Exact,
            u_init: 0.0,
            x_init: 1.0,
        }
    }
}

impl Model for TsodyksMarkram {
    const NAME: &'static str = "TsodyksMarkram";
    const KIND: ModelKind = ModelKind::ShortTermPlasticity;
    const SUMMARY: &'static str =
        "Tsodyks–Markram short-term facilitation and depression (Norse, ngc-learn, BrainPy)";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "u_base",
            unit: "1",
            doc: "U, utilisation increment per spike, in [0, 1]",
        },
        ParamDoc {
            name: "u_base_per_synapse",
            unit: "1",
            doc: "optional U per synapse (synapse order); overrides u_base",
        },
        ParamDoc {
            name: "tau_f_ms",
            unit: "ms",
            doc: "facilitation time constant; 0 means u is always U",
        },
        ParamDoc {
            name: "tau_d_ms",
            unit: "ms",
            doc: "depression (recovery) time constant; 0 means no depression",
        },
        ParamDoc {
            name: "integration",
            unit: "-",
            doc: "Euler (Norse, ngc-learn), Exact (any dt) or BrainPy (transmits u+·x+)",
        },
        ParamDoc {
            name: "u_init",
            unit: "1",
            doc: "initial utilisation u, in [0, 1]",
        },
        ParamDoc {
            name: "x_init",
            unit: "1",
            doc: "initial resources x, in [0, 1]",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::in_range("u_base", self.u_base, 0.0, 1.0)?;
        if let Some(per_synapse) = &self.u_base_per_synapse {
            for (s, &u) in per_synapse.iter().enumerate() {
                check::in_range(&format!("u_base_per_synapse[{s}]"), u, 0.0, 1.0)?;
            }
        }
        check::non_negative("tau_f_ms", self.tau_f_ms)?;
        check::non_negative("tau_d_ms", self.tau_d_ms)?;
        check::in_range("u_init", self.u_init, 0.0, 1.0)?;
        check::in_range("x_init", self.x_init, 0.0, 1.0)?;
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let shape = ctx.projection(Self::NAME)?;
        let owner = format!("projection `{}`", ctx.name);
        let propagators = StpPropagators::new(self, ctx.dt_ms)
            .map_err(|e| BuildError::param(owner.as_str(), e))?;
        let (u_base, per_synapse): (Vec<Real>, bool) = match &self.u_base_per_synapse {
            Some(values) => {
                if values.len() != shape.n_synapses {
                    return Err(BuildError::param(
                        owner,
                        ParamError::new(
                            "u_base_per_synapse",
                            format!(
                                "must have one value per synapse ({}), got {}",
                                shape.n_synapses,
                                values.len()
                            ),
                        ),
                    ));
                }
                (values.iter().map(|&u| u as Real).collect(), true)
            }
            None => (vec![self.u_base as Real; shape.n_pre], false),
        };
        let n_units = u_base.len();
        let u = if propagators.facilitation {
            vec![self.u_init as Real; n_units]
        } else {
            u_base.clone()
        };
        let x = vec![self.x_init as Real; n_units];
        let connectivity = ctx
            .world
            .get::<Connectivity>(ctx.entity)
            .ok_or_else(|| BuildError::Invalid(format!("{owner} has no connectivity")))?;
        let mut rows = Vec::with_capacity(shape.n_pre + 1);
        rows.push(0u32);
        for i in 0..shape.n_pre {
            let mut count = 0u32;
            connectivity.for_each_outgoing(i, |_, _| count += 1);
            rows.push(rows[i] + count);
        }
        let state = TsodyksMarkramState {
            u_anchor: u.clone(),
            x_anchor: x.clone(),
            u,
            x,
            released: vec![0.0; n_units],
            wdyn: vec![0.0; shape.n_synapses],
            u_base,
            next_step: vec![0; shape.n_pre],
            rows,
            previous_arrivals: Vec::new(),
            per_synapse,
            propagators,
        };
        let scale = if per_synapse {
            TransmissionScale::PerSynapse(vec![0.0; n_units])
        } else {
            TransmissionScale::PerPre(vec![0.0; n_units])
        };
        ctx.entity_mut().insert((state, scale));
        Ok(())
    }
}

/// Per-step constants computed once from the params and dt.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StpPropagators {
    /// The integration scheme.
    pub integration: StpIntegration,
    /// `tau_f > 0`: u relaxes and jumps; otherwise u ≡ U.
    pub facilitation: bool,
    /// `tau_d > 0`: x recovers and is depleted; otherwise x is constant.
    pub depression: bool,
    /// Euler: `dt/τ_f`, the fraction of u lost in the Euler update of a spike step (0 when
    /// exact: the relaxation factor covers the whole step).
    pub u_factor: Real,
    /// Euler: `dt/τ_d`, the fraction of `1 − x` recovered in the Euler update of a spike step.
    pub x_factor: Real,
    /// ln of the factor one spike-free step keeps of u: Euler `ln(1 − dt/τ_f)`, exact
    /// `−dt/τ_f` (0 without facilitation).
    pub ln_keep_u: f64,
    /// ln of the factor one spike-free step keeps of `1 − x`: Euler `ln(1 − dt/τ_d)`, exact
    /// `−dt/τ_d` (0 without depression).
    pub ln_keep_x: f64,
}

impl StpPropagators {
    /// The constants of `params` at time step `dt_ms`. Euler with `dt > τ` is an error.
    pub fn new(params: &TsodyksMarkram, dt_ms: f64) -> Result<Self, ParamError> {
        let facilitation = params.tau_f_ms > 0.0;
        let depression = params.tau_d_ms > 0.0;
        let euler = params.integration == StpIntegration::Euler;
        if euler {
            for (field, tau) in [("tau_f_ms", params.tau_f_ms), ("tau_d_ms", params.tau_d_ms)] {
                if tau > 0.0 && tau < dt_ms {
                    return Err(ParamError::new(
                        field,
                        format!(
                            "must be 0 or >= dt ({dt_ms} ms) with integration Euler, got {tau}; \
                             use integration: Exact for time constants shorter than a step"
                        ),
                    ));
                }
            }
        }
        // Per spike-free step, Euler keeps 1 − dt/τ of u (and of 1 − x), exact e^(−dt/τ).
        let ln_keep = |tau: f64| {
            if tau <= 0.0 {
                0.0
            } else if euler {
                (-dt_ms / tau).ln_1p()
            } else {
                -dt_ms / tau
            }
        };
        let euler_fraction = |tau: f64| {
            if euler && tau > 0.0 {
                (dt_ms / tau) as Real
            } else {
                0.0
            }
        };
        Ok(Self {
            integration: params.integration,
            facilitation,
            depression,
            u_factor: euler_fraction(params.tau_f_ms),
            x_factor: euler_fraction(params.tau_d_ms),
            ln_keep_u: ln_keep(params.tau_f_ms),
            ln_keep_x: ln_keep(params.tau_d_ms),
        })
    }

    /// The factors `(f_u, f_x)` that `gap` spike-free steps apply: `u ← u·f_u`,
    /// `1 − x ← (1 − x)·f_x`. Computed in f64 from the closed form, so long gaps cost one `exp`
    /// and accumulate no per-step rounding.
    pub fn relaxation(&self, gap: u64) -> (Real, Real) {
        let keep = |ln_keep: f64| {
            if gap == 0 || ln_keep == 0.0 {
                1.0
            } else {
                (ln_keep * gap as f64).exp() as Real
            }
        };
        (keep(self.ln_keep_u), keep(self.ln_keep_x))
    }
}

/// The release state of a projection with Tsodyks–Markram STP. Units are presynaptic neurons,
/// or synapses when U is given per synapse.
///
/// The model is event-driven: a unit's state is computed only when a spike arrives, from the
/// state after its previous spike (`u_anchor`, `x_anchor`) and the closed-form relaxation over
/// the steps in between. `u` and `x` are brought up to date at every step that a state recorder
/// samples this projection; otherwise they hold the values of the last such step (use
/// [`TsodyksMarkramState::values_after`] for the current values). `released` and `Wdyn` are
/// always current.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TsodyksMarkramState {
    /// Utilisation u per unit after the step (see above).
    pub u: Vec<Real>,
    /// Available resources x per unit after the step (see above).
    pub x: Vec<Real>,
    /// Released fraction per unit this step (0 without a spike).
    pub released: Vec<Real>,
    /// Held efficacy per synapse: `w·released` at the last spike (ngc-learn's `Wdyn`).
    pub wdyn: Vec<Real>,
    /// U per unit.
    pub u_base: Vec<Real>,
    /// u per unit after its last spike step (or the initial u).
    pub u_anchor: Vec<Real>,
    /// x per unit after its last spike step (or the initial x).
    pub x_anchor: Vec<Real>,
    /// Per presynaptic neuron: the first step not yet applied to the anchors of its units.
    pub next_step: Vec<u64>,
    /// `rows[i]..rows[i + 1]`: the synapses of presynaptic neuron `i` (synapse order).
    rows: Vec<u32>,
    /// The presynaptic neurons whose spikes arrived in the previous step.
    previous_arrivals: Vec<u32>,
    /// Units are synapses (true) or presynaptic neurons (false).
    pub per_synapse: bool,
    /// Per-step constants.
    pub propagators: StpPropagators,
}

impl TsodyksMarkramState {
    /// The units of presynaptic neuron `i`.
    #[inline]
    fn units(&self, i: usize) -> std::ops::Range<usize> {
        if self.per_synapse {
            self.synapses(i)
        } else {
            i..i + 1
        }
    }

    /// The synapses of presynaptic neuron `i`.
    #[inline]
    fn synapses(&self, i: usize) -> std::ops::Range<usize> {
        self.rows[i] as usize..self.rows[i + 1] as usize
    }

    /// `(u, x)` of every unit after step `step`, computed from the anchors (for steps no earlier
    /// than the last step simulated).
    pub fn values_after(&self, step: u64) -> (Vec<Real>, Vec<Real>) {
        let mut u = self.u_anchor.clone();
        let mut x = self.x_anchor.clone();
        for (i, &next) in self.next_step.iter().enumerate() {
            let units = self.units(i);
            relax_units(
                &self.propagators,
                (step + 1).saturating_sub(next),
                &mut u[units.clone()],
                &mut x[units],
            );
        }
        (u, x)
    }

    /// Bring `u` and `x` up to date after step `step`.
    fn refresh_views(&mut self, step: u64) {
        self.u.copy_from_slice(&self.u_anchor);
        self.x.copy_from_slice(&self.x_anchor);
        for i in 0..self.next_step.len() {
            let units = self.units(i);
            let gap = (step + 1).saturating_sub(self.next_step[i]);
            if gap > 0 {
                relax_units(
                    &self.propagators,
                    gap,
                    &mut self.u[units.clone()],
                    &mut self.x[units],
                );
            }
        }
    }
}

/// The row offsets, the unit layout and the propagators are derived from the connectivity and
/// the params: a saved state must hold the network's own; the previous step's arrivals must be
/// presynaptic neurons of the projection.
impl RestoreCheck for TsodyksMarkramState {
    fn check_restored(fresh: &Self, saved: &Self) -> Result<(), String> {
        if saved.rows != fresh.rows || saved.per_synapse != fresh.per_synapse {
            return Err("its synapse rows differ from the projection's connectivity".into());
        }
        if saved.propagators != fresh.propagators {
            return Err("its propagators differ from the ones of the params and dt".into());
        }
        let n_pre = fresh.next_step.len();
        if saved.previous_arrivals.iter().any(|&i| i as usize >= n_pre) {
            return Err(format!(
                "a previous arrival is not a presynaptic neuron (0..{n_pre})"
            ));
        }
        Ok(())
    }
}

impl StateVariables for TsodyksMarkramState {
    const VARIABLES: &'static [&'static str] = &["u", "x", "released", "Wdyn"];

    fn variable(&self, name: &str) -> Option<&[Real]> {
        match name {
            "u" => Some(&self.u),
            "x" => Some(&self.x),
            "released" => Some(&self.released),
            "Wdyn" => Some(&self.wdyn),
            _ => None,
        }
    }
}

/// Relax units over `gap` spike-free steps: `u ← u·f_u`, `x ← 1 − (1 − x)·f_x`.
pub fn relax_units(p: &StpPropagators, gap: u64, u: &mut [Real], x: &mut [Real]) {
    let (f_u, f_x) = p.relaxation(gap);
    for u in u.iter_mut() {
        *u *= f_u;
    }
    for x in x.iter_mut() {
        *x = 1.0 - (1.0 - *x) * f_x;
    }
}

/// The units one presynaptic spike updates: their U, their anchors (updated in place to the
/// state after the spike step) and their released fraction.
pub struct StpUnits<'a> {
    /// U per unit.
    pub u_base: &'a [Real],
    /// u after the unit's previous spike step; after the call, after this spike step.
    pub u: &'a mut [Real],
    /// x after the unit's previous spike step; after the call, after this spike step.
    pub x: &'a mut [Real],
    /// The released fraction of this spike.
    pub released: &'a mut [Real],
}

/// The pure kernel: units whose last update was `gap` spike-free steps before this step
/// receive a spike in this step. Relaxes them over the gap (closed form), then applies the
/// spike step of the chosen integration. The scheme and the `tau = 0` cases are chosen once,
/// outside the (vectorizable) loop over the units.
pub fn stp_spike(p: &StpPropagators, gap: u64, units: StpUnits<'_>) {
    match p.integration {
        StpIntegration::Euler => {
            let (f_u, f_x) = p.relaxation(gap);
            let (a, b) = (p.u_factor, p.x_factor);
            match (p.facilitation, p.depression) {
                (true, true) => euler::<true, true>(f_u, f_x, a, b, units),
                (true, false) => euler::<true, false>(f_u, f_x, a, b, units),
                (false, true) => euler::<false, true>(f_u, f_x, a, b, units),
                (false, false) => euler::<false, false>(f_u, f_x, a, b, units),
            }
        }
        StpIntegration::Exact | StpIntegration::BrainPy => {
            // The exact relaxation covers the spike step too; the jump comes at its end.
            let (f_u, f_x) = p.relaxation(gap + 1);
            let post = p.integration == StpIntegration::BrainPy;
            match (p.facilitation, p.depression, post) {
                (true, true, false) => exact::<true, true, false>(f_u, f_x, units),
                (true, false, false) => exact::<true, false, false>(f_u, f_x, units),
                (false, true, false) => exact::<false, true, false>(f_u, f_x, units),
                (false, false, false) => exact::<false, false, false>(f_u, f_x, units),
                (true, true, true) => exact::<true, true, true>(f_u, f_x, units),
                (true, false, true) => exact::<true, false, true>(f_u, f_x, units),
                (false, true, true) => exact::<false, true, true>(f_u, f_x, units),
                (false, false, true) => exact::<false, false, true>(f_u, f_x, units),
            }
        }
    }
}

/// Apply `f(U, u, x) -> (u', x', released)` to every unit.
#[inline(always)]
fn map_units(units: StpUnits<'_>, f: impl Fn(Real, Real, Real) -> (Real, Real, Real)) {
    let StpUnits {
        u_base,
        u,
        x,
        released,
    } = units;
    let n = u.len();
    let (u_base, x, released) = (&u_base[..n], &mut x[..n], &mut released[..n]);
    for k in 0..n {
        let (u1, x1, r) = f(u_base[k], u[k], x[k]);
        u[k] = u1;
        x[k] = x1;
        released[k] = r;
    }
}

/// Norse / ngc-learn: relax over the gap, then the Euler update of the spike step (the jump
/// uses the old u; the depletion the new u and the old x). `F`: facilitation, `D`: depression.
fn euler<const F: bool, const D: bool>(
    f_u: Real,
    f_x: Real,
    dt_tau_f: Real,
    dt_tau_d: Real,
    units: StpUnits<'_>,
) {
    map_units(units, |ub, u, x| {
        let u = u * f_u;
        let x = 1.0 - (1.0 - x) * f_x;
        let u1 = if F {
            u - dt_tau_f * u + ub * (1.0 - u)
        } else {
            ub
        };
        let r = u1 * x;
        let x1 = if D { x + dt_tau_d * (1.0 - x) - r } else { x };
        (u1, x1, r)
    })
}

/// Exact: relax up to the spike, then the jump. `POST`: transmit with the post-release x
/// (BrainPy).
fn exact<const F: bool, const D: bool, const POST: bool>(
    f_u: Real,
    f_x: Real,
    units: StpUnits<'_>,
) {
    map_units(units, |ub, u, x| {
        let u1 = if F {
            let u_minus = u * f_u;
            u_minus + ub * (1.0 - u_minus)
        } else {
            ub
        };
        let x_minus = 1.0 - (1.0 - x) * f_x;
        let depleted = u1 * x_minus;
        let x1 = if D { x_minus - depleted } else { x_minus };
        let r = if POST { u1 * x1 } else { depleted };
        (u1, x1, r)
    })
}

/// [`Stage::SynapticStp`]: update the units of the arriving presynaptic neurons (event-driven),
/// set their transmission scale and held efficacy, and bring `u` and `x` up to date when a
/// recorder samples them this step.
pub fn tsodyks_markram_step(
    clock: Clock,
    recorders: Res<Recorders>,
    mut projections: Query<(
        Entity,
        &Weights,
        &Arrivals,
        &mut TsodyksMarkramState,
        &mut TransmissionScale,
    )>,
) {
    let step = clock.step;
    for (entity, weights, arrivals, mut state, mut scale) in &mut projections {
        let state = &mut *state;
        // Last step's releases are over.
        for k in 0..state.previous_arrivals.len() {
            let units = state.units(state.previous_arrivals[k] as usize);
            state.released[units].fill(0.0);
        }
        let (TransmissionScale::PerPre(factors) | TransmissionScale::PerSynapse(factors)) =
            &mut *scale;
        for &i in &arrivals.pre {
            let i = i as usize;
            let units = state.units(i);
            let gap = step.saturating_sub(state.next_step[i]);
            state.next_step[i] = step + 1;
            stp_spike(
                &state.propagators,
                gap,
                StpUnits {
                    u_base: &state.u_base[units.clone()],
                    u: &mut state.u_anchor[units.clone()],
                    x: &mut state.x_anchor[units.clone()],
                    released: &mut state.released[units.clone()],
                },
            );
            factors[units.clone()].copy_from_slice(&state.released[units.clone()]);
            let synapses = state.synapses(i);
            let w = &weights.w[synapses.clone()];
            let wdyn = &mut state.wdyn[synapses];
            if state.per_synapse {
                for ((h, &w), &r) in wdyn.iter_mut().zip(w).zip(&state.released[units]) {
                    *h = w * r;
                }
            } else {
                let r = state.released[i];
                for (h, &w) in wdyn.iter_mut().zip(w) {
                    *h = w * r;
                }
            }
        }
        state.previous_arrivals.clear();
        state.previous_arrivals.extend_from_slice(&arrivals.pre);
        let recorded = recorders.states.iter().any(|r| {
            r.entity == entity
                && step.is_multiple_of(u64::from(r.stride))
                && r.variables.iter().any(|v| v == "u" || v == "x")
        });
        if recorded {
            state.refresh_views(step);
        }
    }
}

/// Registers the Tsodyks–Markram model, its recordable state and its system.
pub struct TsodyksMarkramPlugin;

impl Plugin for TsodyksMarkramPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<TsodyksMarkram>();
        sim.register_variables::<TsodyksMarkramState>();
        sim.register_snapshot_checked::<TsodyksMarkramState>();
        sim.add_model_systems::<TsodyksMarkram, _>(Stage::SynapticStp, tsodyks_markram_step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One unit driven by `spikes` (one entry per step), as the system drives it: the kernel on
    /// spike steps, the closed-form relaxation to read the state; returns (u, x, released) after
    /// every step.
    fn run_one(params: &TsodyksMarkram, dt_ms: f64, spikes: &[bool]) -> Vec<(f64, f64, f64)> {
        let p = StpPropagators::new(params, dt_ms).unwrap();
        let ub = [params.u_base as Real];
        let mut u = [if p.facilitation {
            params.u_init as Real
        } else {
            ub[0]
        }];
        let mut x = [params.x_init as Real];
        let mut next = 0u64;
        let mut out = Vec::new();
        for (k, &spike) in spikes.iter().enumerate() {
            let k = k as u64;
            let mut r = [0.0];
            if spike {
                let units = StpUnits {
                    u_base: &ub,
                    u: &mut u,
                    x: &mut x,
                    released: &mut r,
                };
                stp_spike(&p, k - next, units);
                next = k + 1;
            }
            let (mut u_now, mut x_now) = (u, x);
            relax_units(&p, k + 1 - next, &mut u_now, &mut x_now);
            out.push((f64::from(u_now[0]), f64::from(x_now[0]), f64::from(r[0])));
        }
        out
    }

    fn params(u: f64, tau_f: f64, tau_d: f64, integration: StpIntegration) -> TsodyksMarkram {
        TsodyksMarkram {
            u_base: u,
            tau_f_ms: tau_f,
            tau_d_ms: tau_d,
            integration,
            ..TsodyksMarkram::default()
        }
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-12)
    }

    /// Closed form of the exact model for spikes at t = 0 and t = Δ from rest (u = 0, x = 1):
    /// (u, x) at time t ≥ Δ just after the second spike, and the two released fractions.
    fn pair_closed_form(u0: f64, tau_f: f64, tau_d: f64, delta: f64, t: f64) -> [f64; 4] {
        let r1 = u0;
        let x1 = 1.0 - u0;
        let u_minus = u0 * (-delta / tau_f).exp();
        let u2 = u_minus + u0 * (1.0 - u_minus);
        let x_minus = 1.0 - (1.0 - x1) * (-delta / tau_d).exp();
        let r2 = u2 * x_minus;
        let x2 = x_minus - r2;
        let after = t - delta;
        [
            u2 * (-after / tau_f).exp(),
            1.0 - (1.0 - x2) * (-after / tau_d).exp(),
            r1,
            r2,
        ]
    }

    #[test]
    fn exact_matches_the_closed_form_for_a_spike_pair_at_any_dt() {
        let (u0, tau_f, tau_d, delta, t_end): (f64, f64, f64, f64, f64) =
            (0.2, 120.0, 300.0, 40.0, 100.0);
        for dt in [0.01, 0.1, 0.25, 1.0, 2.5, 5.0, 10.0, 20.0] {
            let n = (t_end / dt).round() as usize + 1;
            let k2 = (delta / dt).round() as usize;
            let spikes: Vec<bool> = (0..n).map(|k| k == 0 || k == k2).collect();
            let out = run_one(
                &params(u0, tau_f, tau_d, StpIntegration::Exact),
                dt,
                &spikes,
            );
            let [u_end, x_end, r1, r2] = pair_closed_form(u0, tau_f, tau_d, delta, t_end);
            assert!(close(out[0].2, r1, 1e-6), "dt {dt}: r1 {}", out[0].2);
            assert!(
                close(out[k2].2, r2, 1e-5),
                "dt {dt}: r2 {} vs {r2}",
                out[k2].2
            );
            let (u, x, _) = out[n - 1];
            assert!(close(u, u_end, 2e-5), "dt {dt}: u {u} vs {u_end}");
            assert!(close(x, x_end, 2e-5), "dt {dt}: x {x} vs {x_end}");
            // Between the spikes the state follows the relaxation from the first spike.
            let mid = k2 / 2;
            let t_mid = mid as f64 * dt;
            assert!(close(out[mid].0, u0 * (-t_mid / tau_f).exp(), 2e-5));
            assert!(close(out[mid].1, 1.0 - u0 * (-t_mid / tau_d).exp(), 2e-5));
        }
    }

    #[test]
    fn euler_converges_to_exact_as_dt_shrinks() {
        let (u0, tau_f, tau_d, delta): (f64, f64, f64, f64) = (0.3, 50.0, 100.0, 20.0);
        let mut errors = Vec::new();
        for dt in [2.0, 0.5, 0.1, 0.02] {
            let k2 = (delta / dt).round() as usize;
            let spikes: Vec<bool> = (0..=k2).map(|k| k == 0 || k == k2).collect();
            let euler = run_one(
                &params(u0, tau_f, tau_d, StpIntegration::Euler),
                dt,
                &spikes,
            );
            let exact = run_one(
                &params(u0, tau_f, tau_d, StpIntegration::Exact),
                dt,
                &spikes,
            );
            let [_, _, _, r2] = pair_closed_form(u0, tau_f, tau_d, delta, delta);
            assert!(close(exact[k2].2, r2, 1e-5));
            errors.push((euler[k2].2 - exact[k2].2).abs());
        }
        for w in errors.windows(2) {
            assert!(w[1] < w[0] * 0.5, "not converging: {errors:?}");
        }
        assert!(errors[3] < 2e-4, "{errors:?}");
    }

    #[test]
    fn euler_reproduces_norse_first_amplitudes() {
        // docs/upstream-models.md §1 (derived amplitudes, depressing set; dt = 1 ms, spikes every 100 steps).
        let spikes: Vec<bool> = (0..500).map(|k| k > 0 && k % 100 == 0).collect();
        let out = run_one(
            &params(0.45, 50.0, 750.0, StpIntegration::Euler),
            1.0,
            &spikes,
        );
        let amplitudes: Vec<f64> = (1..5).map(|j| out[100 * j].2).collect();
        for (got, want) in amplitudes.iter().zip([0.45, 0.292105, 0.193338, 0.14767]) {
            assert!((got - want).abs() < 2e-6, "{amplitudes:?}");
        }
        let out = run_one(
            &params(0.15, 750.0, 50.0, StpIntegration::Euler),
            1.0,
            &spikes,
        );
        let amplitudes: Vec<f64> = (1..5).map(|j| out[100 * j].2).collect();
        for (got, want) in amplitudes.iter().zip([0.15, 0.256239, 0.331629, 0.385949]) {
            assert!((got - want).abs() < 2e-6, "{amplitudes:?}");
        }
    }

    #[test]
    fn zero_time_constants_disable_facilitation_and_depression() {
        let spikes = [true, false, true, true];
        let out = run_one(
            &params(0.3, 0.0, 100.0, StpIntegration::Euler),
            1.0,
            &spikes,
        );
        assert!(out.iter().all(|&(u, _, _)| close(u, 0.3, 1e-7)));
        assert!(close(out[0].2, 0.3, 1e-7));
        for integration in [StpIntegration::Euler, StpIntegration::Exact] {
            let out = run_one(&params(0.3, 50.0, 0.0, integration), 1.0, &spikes);
            assert!(out.iter().all(|&(_, x, _)| x == 1.0), "{out:?}");
            // No depression: the release is u' (x stays 1), facilitating from spike to spike.
            assert!(close(out[0].2, 0.3, 1e-7) && out[3].2 > out[2].2 && out[2].2 > 0.3);
        }
        let out = run_one(&params(0.3, 0.0, 0.0, StpIntegration::Exact), 1.0, &spikes);
        assert!(out.iter().all(|&(u, x, _)| close(u, 0.3, 1e-7) && x == 1.0));
        assert_eq!(out[1].2, 0.0);
    }

    #[test]
    fn brainpy_transmits_post_release_resources() {
        let spikes = [true, false, true];
        let exact = run_one(
            &params(0.5, 100.0, 100.0, StpIntegration::Exact),
            1.0,
            &spikes,
        );
        let bp = run_one(
            &params(0.5, 100.0, 100.0, StpIntegration::BrainPy),
            1.0,
            &spikes,
        );
        // Same dynamics, different transmitted value: u⁺·x⁺ = 0.5·0.5 on the first spike.
        for (a, b) in exact.iter().zip(&bp) {
            assert_eq!((a.0, a.1), (b.0, b.1));
        }
        assert!(close(exact[0].2, 0.5, 1e-7) && close(bp[0].2, 0.25, 1e-7));
        assert!(close(bp[2].2, bp[2].0 * bp[2].1, 1e-6));
    }

    #[test]
    fn validation_names_field_and_value() {
        let bad = |p: TsodyksMarkram| Model::validate(&p).unwrap_err().to_string();
        assert_eq!(
            bad(TsodyksMarkram {
                u_base: 1.5,
                ..Default::default()
            }),
            "u_base must be in [0, 1], got 1.5"
        );
        assert_eq!(
            bad(TsodyksMarkram {
                tau_f_ms: -3.0,
                ..Default::default()
            }),
            "tau_f_ms must be >= 0, got -3"
        );
        assert_eq!(
            bad(TsodyksMarkram {
                tau_d_ms: f64::NAN,
                ..Default::default()
            }),
            "tau_d_ms must be >= 0, got NaN"
        );
        assert_eq!(
            bad(TsodyksMarkram {
                u_base_per_synapse: Some(vec![0.1, -0.2]),
                ..Default::default()
            }),
            "u_base_per_synapse[1] must be in [0, 1], got -0.2"
        );
        assert!(
            bad(TsodyksMarkram {
                x_init: 2.0,
                ..Default::default()
            })
            .starts_with("x_init")
        );
        let e = StpPropagators::new(&params(0.5, 0.5, 100.0, StpIntegration::Euler), 1.0)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("tau_f_ms must be 0 or >= dt (1 ms)") && e.contains("0.5"),
            "{e}"
        );
        assert!(StpPropagators::new(&params(0.5, 0.5, 100.0, StpIntegration::Exact), 1.0).is_ok());
    }

    /// Systems-level tests: a test input whose neuron `i` spikes at the steps listed for it, and
    /// a probe synapse output that adds `w × scale` into the postsynaptic current.
    mod in_a_simulation {
        use super::*;
        use hebb_core::connectivity::{ConnectivitySpec, WeightInit};
        use hebb_core::projection::for_each_transmission;

        #[derive(Debug, Clone, Default, Serialize, Deserialize)]
        struct Pulses(Vec<Vec<u64>>);
        #[derive(Component)]
        struct PulsesState(Vec<Vec<u64>>);
        impl Model for Pulses {
            const NAME: &'static str = "Pulses";
            const KIND: ModelKind = ModelKind::Input;
            const SUMMARY: &'static str = "test input: neuron i spikes at the listed steps";
            fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
                ctx.entity_mut().insert(PulsesState(self.0.clone()));
                Ok(())
            }
        }
        fn pulses(clock: hebb_core::clock::Clock, mut q: Query<(&PulsesState, &mut Spikes)>) {
            for (p, mut s) in &mut q {
                s.clear();
                for (i, steps) in p.0.iter().enumerate() {
                    if steps.contains(&clock.step) {
                        s.push(i);
                    }
                }
            }
        }

        #[derive(Debug, Clone, Default, Serialize, Deserialize)]
        struct Probe;
        #[derive(Component)]
        struct ProbeTag;
        impl Model for Probe {
            const NAME: &'static str = "Probe";
            const KIND: ModelKind = ModelKind::Synapse;
            const SUMMARY: &'static str = "test synapse: adds w × scale to the post current";
            fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
                ctx.entity_mut().insert(ProbeTag);
                Ok(())
            }
        }
        type ProbeQuery<'w, 's> = Query<
            'w,
            's,
            (
                &'static Projection,
                &'static Connectivity,
                &'static Weights,
                &'static Arrivals,
                Option<&'static TransmissionScale>,
            ),
            With<ProbeTag>,
        >;
        fn probe(q: ProbeQuery, mut inputs: Query<&mut SynapticInput>) {
            for (p, c, w, a, scale) in &q {
                let mut input = inputs.get_mut(p.post).unwrap();
                for_each_transmission(c, &w.w, a, scale, |j, x| input.current[j] += x);
            }
        }

        fn network(
            pre_steps: Vec<Vec<u64>>,
            n_post: usize,
            connectivity: ConnectivitySpec,
            weights: WeightInit,
            stp: TsodyksMarkram,
            delay_ms: f64,
        ) -> Result<Simulation, BuildError> {
            let mut sim = Simulation::new(0.5, 3)?;
            sim.add_plugins(TsodyksMarkramPlugin);
            sim.add_plugins(|sim: &mut Simulation| {
                sim.register_model::<Pulses>().register_model::<Probe>();
                sim.add_systems(Stage::InputSpikes, pulses);
                sim.add_systems(Stage::CurrentIntegration, probe);
            });
            sim.add_population(PopulationSpec {
                name: "pre".into(),
                size: pre_steps.len(),
                model: Box::new(Pulses(pre_steps)),
            })?;
            sim.add_population(PopulationSpec {
                name: "post".into(),
                size: n_post,
                model: Box::new(Pulses(vec![vec![]; n_post])),
            })?;
            let mut spec = ProjectionSpec::new("syn", "pre", "post", connectivity, weights, Probe);
            spec.stp = Some(Box::new(stp));
            spec.delay_ms = delay_ms;
            sim.add_projection(spec)?;
            Ok(sim)
        }

        /// Step once; return the post current of that step (and zero it, as a neuron would).
        fn step_current(sim: &mut Simulation) -> Vec<Real> {
            sim.step();
            let post = sim.index().population("post").unwrap();
            let mut input = sim.world.get_mut::<SynapticInput>(post).unwrap();
            let current = input.current.clone();
            input.current.fill(0.0);
            current
        }

        #[test]
        fn per_presynaptic_state_scales_every_outgoing_synapse() {
            let trains = vec![vec![2, 5, 6], vec![], vec![1, 5, 9]];
            let stp = TsodyksMarkram {
                u_base: 0.3,
                tau_f_ms: 20.0,
                tau_d_ms: 40.0,
                integration: StpIntegration::Euler,
                ..Default::default()
            };
            let w = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
            let delay_steps = 2;
            let mut sim = network(
                trains.clone(),
                2,
                ConnectivitySpec::AllToAll,
                WeightInit::Values(w.clone()),
                stp.clone(),
                delay_steps as f64 * 0.5,
            )
            .unwrap();
            let n = 14;
            // Reference: each presynaptic neuron alone, its train shifted by the delay.
            let reference: Vec<Vec<(f64, f64, f64)>> = trains
                .iter()
                .map(|t| {
                    let spikes: Vec<bool> = (0..n)
                        .map(|k| k >= delay_steps && t.contains(&(k - delay_steps)))
                        .collect();
                    run_one(&stp, 0.5, &spikes)
                })
                .collect();
            let projection = sim.index().projection("syn").unwrap();
            let mut held = [0.0f64; 6];
            for k in 0..n as usize {
                let current = step_current(&mut sim);
                let state = sim.world.get::<TsodyksMarkramState>(projection).unwrap();
                let (su, sx) = state.values_after(k as u64);
                assert_eq!(su.len(), 3);
                let mut expected = [0.0f64; 2];
                for (i, r) in reference.iter().enumerate() {
                    let (u, x, rel) = r[k];
                    assert!(close(f64::from(su[i]), u, 1e-6), "step {k} pre {i}");
                    assert!(close(f64::from(sx[i]), x, 1e-6), "step {k} pre {i}");
                    assert!(
                        close(f64::from(state.released[i]), rel, 1e-6),
                        "step {k} pre {i}"
                    );
                    for j in 0..2 {
                        expected[j] += w[i * 2 + j] * rel;
                        if rel > 0.0 {
                            held[i * 2 + j] = w[i * 2 + j] * rel;
                        }
                    }
                }
                for j in 0..2 {
                    assert!(
                        close(f64::from(current[j]), expected[j], 1e-6),
                        "step {k}: {current:?} vs {expected:?}"
                    );
                }
                for (s, h) in held.iter().enumerate() {
                    assert!(
                        close(f64::from(state.wdyn[s]), *h, 1e-6),
                        "step {k} Wdyn[{s}]"
                    );
                }
            }
            // Something was actually transmitted, depressed and facilitated.
            assert!(held[0] > 0.0 && held[5] > 0.0 && held[2] == 0.0 && held[3] == 0.0);
            // The stored weights never change.
            let weights = sim.world.get::<Weights>(projection).unwrap();
            assert_eq!(weights.w, w.iter().map(|&x| x as Real).collect::<Vec<_>>());
        }

        #[test]
        fn per_synapse_u_on_sparse_connectivity() {
            // 3 × 4 with 5 synapses in synapse order (0,1) (0,3) (1,0) (2,1) (2,2).
            let pairs = vec![(0, 1), (0, 3), (1, 0), (2, 1), (2, 2)];
            let u_per_synapse = vec![0.1, 0.9, 0.5, 0.2, 0.7];
            let trains = vec![vec![0, 3, 4], vec![1, 2], vec![0, 4, 8]];
            let stp = TsodyksMarkram {
                u_base_per_synapse: Some(u_per_synapse.clone()),
                tau_f_ms: 10.0,
                tau_d_ms: 25.0,
                integration: StpIntegration::Exact,
                ..Default::default()
            };
            let w = WeightInit::Values(vec![1.0, 1.0, 2.0, 3.0, 0.5]);
            let mut sim = network(
                trains.clone(),
                4,
                ConnectivitySpec::List(pairs.clone()),
                w,
                stp.clone(),
                0.0,
            )
            .unwrap();
            let projection = sim.index().projection("syn").unwrap();
            assert!(matches!(
                sim.world.get::<TransmissionScale>(projection),
                Some(TransmissionScale::PerSynapse(f)) if f.len() == 5
            ));
            let n = 12;
            let reference: Vec<Vec<(f64, f64, f64)>> = pairs
                .iter()
                .zip(&u_per_synapse)
                .map(|(&(i, _), &ub)| {
                    let spikes: Vec<bool> =
                        (0..n).map(|k| trains[i as usize].contains(&k)).collect();
                    run_one(
                        &TsodyksMarkram {
                            u_base: ub,
                            ..stp.clone()
                        },
                        0.5,
                        &spikes,
                    )
                })
                .collect();
            let weights = [1.0, 1.0, 2.0, 3.0, 0.5];
            for k in 0..n as usize {
                let current = step_current(&mut sim);
                let state = sim.world.get::<TsodyksMarkramState>(projection).unwrap();
                let (su, sx) = state.values_after(k as u64);
                let mut expected = [0.0f64; 4];
                for (s, r) in reference.iter().enumerate() {
                    let (u, x, rel) = r[k];
                    assert!(close(f64::from(su[s]), u, 1e-6), "step {k} synapse {s}");
                    assert!(close(f64::from(sx[s]), x, 1e-6), "step {k} synapse {s}");
                    assert!(close(f64::from(state.released[s]), rel, 1e-6));
                    expected[pairs[s].1 as usize] += weights[s] * rel;
                }
                for j in 0..4 {
                    assert!(
                        close(f64::from(current[j]), expected[j], 1e-6),
                        "step {k}: {current:?} vs {expected:?}"
                    );
                }
            }
            // Two synapses of the same presynaptic neuron with different U diverge.
            let state = sim.world.get::<TsodyksMarkramState>(projection).unwrap();
            let (_, x) = state.values_after(n - 1);
            assert!(x[0] > x[1] + 0.05, "{x:?}");
        }

        #[test]
        fn recorders_read_u_x_released_and_wdyn() {
            let stp = TsodyksMarkram {
                integration: StpIntegration::Euler,
                ..Default::default()
            };
            let train = vec![1, 3, 9];
            let build = || {
                network(
                    vec![train.clone()],
                    1,
                    ConnectivitySpec::AllToAll,
                    WeightInit::Constant(2.0),
                    stp.clone(),
                    0.0,
                )
                .unwrap()
            };
            let mut sim = build();
            sim.add_recorder(&RecorderSpec::State {
                name: "stp".into(),
                target: "syn".into(),
                variables: vec!["u".into(), "x".into(), "released".into(), "Wdyn".into()],
                indices: None,
                stride: 1,
            })
            .unwrap();
            sim.add_recorder(&RecorderSpec::State {
                name: "x_every_4".into(),
                target: "syn".into(),
                variables: vec!["x".into()],
                indices: None,
                stride: 4,
            })
            .unwrap();
            sim.run_steps(14);
            let rec = sim.recorders().state("stp").unwrap();
            assert_eq!(rec.columns, ["u[0]", "x[0]", "released[0]", "Wdyn[0]"]);
            let released = rec.column("released[0]").unwrap();
            assert_eq!(released[0], 0.0);
            assert!(close(f64::from(released[1]), 0.45, 1e-6));
            assert_eq!(released[2], 0.0);
            let wdyn = rec.column("Wdyn[0]").unwrap();
            assert!(close(f64::from(wdyn[2]), 0.9, 1e-6), "{wdyn:?}");
            assert!(close(
                f64::from(wdyn[4]),
                2.0 * f64::from(released[3]),
                1e-6
            ));
            // u and x are current at every recorded step, between spikes too.
            let spikes: Vec<bool> = (0..14).map(|k| train.contains(&k)).collect();
            let reference = run_one(&stp, 0.5, &spikes);
            let (u, x) = (rec.column("u[0]").unwrap(), rec.column("x[0]").unwrap());
            for (k, &(ur, xr, _)) in reference.iter().enumerate() {
                assert!(
                    close(f64::from(u[k]), ur, 1e-6),
                    "step {k}: u {} vs {ur}",
                    u[k]
                );
                assert!(
                    close(f64::from(x[k]), xr, 1e-6),
                    "step {k}: x {} vs {xr}",
                    x[k]
                );
            }
            let every_4 = sim.recorders().state("x_every_4").unwrap();
            assert_eq!(every_4.times_ms, [0.0, 2.0, 4.0, 6.0]);
            for (r, k) in [0, 4, 8, 12].into_iter().enumerate() {
                assert!(close(f64::from(every_4.row(r)[0]), reference[k].1, 1e-6));
            }
            // Recording does not perturb the dynamics: the same anchors, releases and held
            // efficacies, bit for bit, without recorders.
            let mut quiet = build();
            quiet.run_steps(14);
            let e = sim.index().projection("syn").unwrap();
            let (a, b) = (
                sim.world.get::<TsodyksMarkramState>(e).unwrap(),
                quiet.world.get::<TsodyksMarkramState>(e).unwrap(),
            );
            assert_eq!(
                (&a.u_anchor, &a.x_anchor, &a.released, &a.wdyn, &a.next_step),
                (&b.u_anchor, &b.x_anchor, &b.released, &b.wdyn, &b.next_step)
            );
            assert_eq!(b.values_after(13), (a.u.clone(), a.x.clone()));
        }

        #[test]
        fn attach_errors_name_the_projection_and_field() {
            let stp = TsodyksMarkram {
                u_base_per_synapse: Some(vec![0.5; 3]),
                ..Default::default()
            };
            let e = network(
                vec![vec![]; 2],
                2,
                ConnectivitySpec::AllToAll,
                WeightInit::Constant(1.0),
                stp,
                0.0,
            )
            .err()
            .unwrap()
            .to_string();
            assert!(
                e.contains("`syn`")
                    && e.contains("u_base_per_synapse must have one value per synapse (4), got 3"),
                "{e}"
            );
            let stp = TsodyksMarkram {
                tau_d_ms: 0.2,
                integration: StpIntegration::Euler,
                ..Default::default()
            };
            let e = network(
                vec![vec![]],
                1,
                ConnectivitySpec::AllToAll,
                WeightInit::Constant(1.0),
                stp,
                0.0,
            )
            .err()
            .unwrap()
            .to_string();
            assert!(
                e.contains("`syn`") && e.contains("tau_d_ms must be 0 or >= dt (0.5 ms)"),
                "{e}"
            );
            let stp = TsodyksMarkram {
                u_base: -1.0,
                ..Default::default()
            };
            let e = network(
                vec![vec![]],
                1,
                ConnectivitySpec::AllToAll,
                WeightInit::Constant(1.0),
                stp,
                0.0,
            )
            .err()
            .unwrap()
            .to_string();
            assert!(e.contains("u_base must be in [0, 1], got -1"), "{e}");
        }
    }
}
