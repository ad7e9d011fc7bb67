//! # `IafPscAlpha` — current-based LIF with alpha PSCs, exact integration (NEST `iaf_psc_alpha`)
//!
//! With V measured from E_L, each synaptic channel (ex, in) an alpha-shaped current `I` with
//! derivative state `dI` (pA, pA/ms), fed by `Receptor` projections (positive weights to ex,
//! negative to in; a weight w gives a PSC that peaks at w pA, τs after its arrival), and
//! `I_0` = `SynapticInput.current` held over the step:
//!
//! ```text
//! C dV/dt = −C·V/τm + I_ex + I_in + I_e + I_0
//! dI/dt = dI − I/τs      d(dI)/dt = −dI/τs      (per channel; an arrival adds e/τs·w to dI)
//! ```
//!
//! is integrated exactly over each step h, in NEST's order:
//!
//! ```text
//! if not refractory: V ← P30·(I_0 + I_e) + Σ_ch (P31·dI + P32·I) + expm1(−h/τm)·V + V + J;  V ← max(V, V_min)
//! else r ← r − 1
//! per channel: I ← h·P11·dI + P11·I;  dI ← P11·dI + e/τs·Σ(arriving weights of the channel)
//! if V >= V_th − E_L: spike, V ← V_reset − E_L, r ← t_ref/h
//! P11 = e^(−h/τs)   P30 = −τm/C·expm1(−h/τm)   (P31, P32) = NEST's IAFPropagatorAlpha
//! ```
//!
//! `J` = `SynapticInput.voltage_jump` (mV: `Delta(target: Voltage)` projections, `PoissonInput`
//! onto the voltage, Brian2's `on_pre='v_post += w'`) is added as NEST's `iaf_psc_delta` adds
//! its spikes: before the threshold test, and dropped while the neuron is refractory.
//!
//! A spike arriving in step k acts on V from step k+1; the currents keep evolving while the
//! neuron is refractory. Arithmetic in `f64`, state stored as [`Real`]. Timing of currents and
//! spikes against NEST: as `IafPscExp` (see [`crate::iaf_psc_exp`]).
//!
//! Recordable variables: `v` (mV), `i_syn_ex`, `i_syn_in` (pA; `i_syn_in` ≤ 0).
//!
//! ## Parameters
//! | name | unit | default | NEST | meaning |
//! |---|---|---|---|---|
//! | `c_m_pf` | pF | 250 | `C_m` | membrane capacitance |
//! | `tau_m_ms` | ms | 10 | `tau_m` | membrane time constant |
//! | `tau_syn_ex_ms` | ms | 2 | `tau_syn_ex` | excitatory PSC rise time (peak) |
//! | `tau_syn_in_ms` | ms | 2 | `tau_syn_in` | inhibitory PSC rise time (peak) |
//! | `t_ref_ms` | ms | 2 | `t_ref` | refractory period (whole steps) |
//! | `e_l_mv` | mV | −70 | `E_L` | resting potential |
//! | `v_th_mv` | mV | −55 | `V_th` | threshold (`V >= V_th`) |
//! | `v_reset_mv` | mV | −70 | `V_reset` | reset potential |
//! | `i_e_pa` | pA | 0 | `I_e` | constant input current |
//! | `v_init_mv` | mV | −70 | `V_m` | initial membrane potential |
//! | `v_min_mv` | mV | none (−∞) | `V_min` | lower bound of V |
//!
//! Reference: NEST 3.10 `models/iaf_psc_alpha.cpp`, `libnestutil/iaf_propagator.cpp`; Rotter &
//! Diesmann (1999), Biol. Cybern. 81:381–402.

use hebb_core::initial::NeuronParams;
use hebb_core::per_neuron::{Columns, ConstantsAt, Layout, Shared};
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::iaf_psc_exp::{IAF_PARAMS, validate_iaf};
use crate::propagator;
use crate::spiking::{SpikeFlags, whole_steps, write_spikes};

/// `IafPscAlpha` params (scene name `IafPscAlpha`), NEST's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IafPscAlpha {
    /// Membrane capacitance in pF. Default 250.
    pub c_m_pf: f64,
    /// Membrane time constant in ms. Default 10.
    pub tau_m_ms: f64,
    /// Excitatory PSC rise time in ms. Default 2.
    pub tau_syn_ex_ms: f64,
    /// Inhibitory PSC rise time in ms. Default 2.
    pub tau_syn_in_ms: f64,
    /// Refractory period in ms, whole steps. Default 2.
    pub t_ref_ms: f64,
    /// Resting potential in mV. Default −70.
    pub e_l_mv: f64,
    /// Threshold in mV. Default −55.
    pub v_th_mv: f64,
    /// Reset potential in mV. Default −70.
    pub v_reset_mv: f64,
    /// Constant input current in pA. Default 0.
    pub i_e_pa: f64,
    /// Initial membrane potential in mV. Default −70.
    pub v_init_mv: f64,
    /// Lower bound of V in mV. Default none (no bound).
    pub v_min_mv: Option<f64>,
}

impl Default for IafPscAlpha {
    fn default() -> Self {
        Self {
            c_m_pf: 250.0,
            tau_m_ms: 10.0,
            tau_syn_ex_ms: 2.0,
            tau_syn_in_ms: 2.0,
            t_ref_ms: 2.0,
            e_l_mv: -70.0,
            v_th_mv: -55.0,
            v_reset_mv: -70.0,
            i_e_pa: 0.0,
            v_init_mv: -70.0,
            v_min_mv: None,
        }
    }
}

const ALPHA_PARAMS: [ParamDoc; 11] = {
    let mut docs = [ParamDoc {
        name: "v_min_mv",
        unit: "mV",
        doc: "optional lower bound of V (V_min; default none = -inf)",
    }; 11];
    let mut k = 0;
    while k < 10 {
        docs[k] = IAF_PARAMS[k];
        k += 1;
    }
    docs
};

impl Model for IafPscAlpha {
    const NAME: &'static str = "IafPscAlpha";
    const KIND: ModelKind = ModelKind::Neuron;
    const SUMMARY: &'static str =
        "current-based LIF, alpha PSCs, exact integration (NEST iaf_psc_alpha)";
    const PARAMS: &'static [ParamDoc] = &ALPHA_PARAMS;

    fn validate(&self) -> Result<(), ParamError> {
        validate_iaf(
            self.c_m_pf,
            self.tau_m_ms,
            self.tau_syn_ex_ms,
            self.tau_syn_in_ms,
            self.t_ref_ms,
            self.e_l_mv,
            self.v_th_mv,
            self.v_reset_mv,
            self.i_e_pa,
            self.v_init_mv,
        )?;
        if let Some(v_min) = self.v_min_mv {
            check::finite("v_min_mv", v_min)?;
            if v_min > self.v_reset_mv {
                return Err(ParamError::new(
                    "v_min_mv",
                    format!("must be <= v_reset_mv ({}), got {v_min}", self.v_reset_mv),
                ));
            }
        }
        Ok(())
    }

    hebb_core::per_neuron_fields!(
        c_m_pf,
        tau_m_ms,
        tau_syn_ex_ms,
        tau_syn_in_ms,
        t_ref_ms,
        e_l_mv,
        v_th_mv,
        v_reset_mv,
        i_e_pa
    );

    fn attach_per_neuron(
        &self,
        ctx: &mut AttachContext<'_>,
        per_neuron: &NeuronParams,
    ) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        let owner = format!("population `{}`", ctx.name);
        let dt_ms = ctx.dt_ms;
        let each = per_neuron.each_neuron(self, size, &owner, |_, p| {
            IafPscAlphaConstants::new(p, dt_ms)
        })?;
        ctx.entity_mut().insert(IafPscAlphaConstants::gather(&each));
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        let constants = IafPscAlphaConstants::new(self, ctx.dt_ms)
            .map_err(|e| BuildError::param(format!("population `{}`", ctx.name), e))?;
        ctx.entity_mut().insert((
            constants,
            IafPscAlphaState {
                i_syn_ex: vec![0.0; size],
                di_syn_ex: vec![0.0; size],
                i_syn_in: vec![0.0; size],
                di_syn_in: vec![0.0; size],
                refractory_left: vec![0; size],
            },
            Membrane {
                v: vec![self.v_init_mv as Real; size],
            },
            ReceptorInput::new(size),
            SpikeFlags::new(size),
        ));
        Ok(())
    }
}

/// Propagators of one alpha channel.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AlphaChannel {
    /// `e^(−h/τs)`.
    p11: f64,
    /// `h·e^(−h/τs)`.
    p21: f64,
    /// dI → V.
    p31: f64,
    /// I → V.
    p32: f64,
    /// `e/τs`: dI per unit weight, so that the PSC peaks at the weight.
    initial: f64,
}

impl AlphaChannel {
    fn new(tau_syn: f64, tau_m: f64, c_m: f64, h: f64) -> Self {
        let p11 = (-h / tau_syn).exp();
        let (p31, p32) = propagator::alpha_psc(tau_syn, tau_m, c_m, h);
        Self {
            p11,
            p21: h * p11,
            p31,
            p32,
            initial: std::f64::consts::E / tau_syn,
        }
    }
}

/// Propagators and thresholds of an `IafPscAlpha` population (V relative to E_L): one value
/// each (`IafPscAlphaConstants`), or, for a population with per-neuron params, one value or
/// one per neuron each (`IafPscAlphaConstants<Columns>`, see [`hebb_core::per_neuron`]).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct IafPscAlphaConstants<L: Layout = Shared> {
    /// Excitatory channel: `e^(−h/τs)`.
    pub p11_ex: L::Of<f64>,
    /// Excitatory channel: `h·e^(−h/τs)`.
    pub p21_ex: L::Of<f64>,
    /// Excitatory channel: dI → V.
    pub p31_ex: L::Of<f64>,
    /// Excitatory channel: I → V.
    pub p32_ex: L::Of<f64>,
    /// Excitatory channel: `e/τs`, dI per unit weight (the PSC peaks at the weight).
    pub initial_ex: L::Of<f64>,
    /// Inhibitory channel: `e^(−h/τs)`.
    pub p11_in: L::Of<f64>,
    /// Inhibitory channel: `h·e^(−h/τs)`.
    pub p21_in: L::Of<f64>,
    /// Inhibitory channel: dI → V.
    pub p31_in: L::Of<f64>,
    /// Inhibitory channel: I → V.
    pub p32_in: L::Of<f64>,
    /// Inhibitory channel: `e/τs`.
    pub initial_in: L::Of<f64>,
    /// `expm1(−h/τm)`.
    pub expm1_tau_m: L::Of<f64>,
    /// `−τm/C·expm1(−h/τm)`.
    pub p30: L::Of<f64>,
    /// E_L, mV.
    pub e_l: L::Of<f64>,
    /// `V_th − E_L`.
    pub theta: L::Of<f64>,
    /// `V_reset − E_L`.
    pub v_reset: L::Of<f64>,
    /// `V_min − E_L` (−∞ without a bound).
    pub lower_bound: L::Of<f64>,
    /// I_e, pA.
    pub i_e: L::Of<f64>,
    /// Steps held after a spike.
    pub refractory_steps: L::Of<u32>,
}

impl Copy for IafPscAlphaConstants {}

hebb_core::per_neuron_constants!(IafPscAlphaConstants {
    varying: [
        p11_ex,
        p21_ex,
        p31_ex,
        p32_ex,
        initial_ex,
        p11_in,
        p21_in,
        p31_in,
        p32_in,
        initial_in,
        expm1_tau_m,
        p30,
        e_l,
        theta,
        v_reset,
        lower_bound,
        i_e,
        refractory_steps
    ]
});

impl IafPscAlphaConstants {
    /// The constants of `p` at step `h_ms`; the refractory period must lie on the grid.
    pub fn new(p: &IafPscAlpha, h_ms: f64) -> Result<Self, ParamError> {
        let refractory = whole_steps("t_ref_ms", p.t_ref_ms, h_ms)?;
        let expm1_tau_m = (-h_ms / p.tau_m_ms).exp_m1();
        let ex = AlphaChannel::new(p.tau_syn_ex_ms, p.tau_m_ms, p.c_m_pf, h_ms);
        let inh = AlphaChannel::new(p.tau_syn_in_ms, p.tau_m_ms, p.c_m_pf, h_ms);
        Ok(Self {
            p11_ex: ex.p11,
            p21_ex: ex.p21,
            p31_ex: ex.p31,
            p32_ex: ex.p32,
            initial_ex: ex.initial,
            p11_in: inh.p11,
            p21_in: inh.p21,
            p31_in: inh.p31,
            p32_in: inh.p32,
            initial_in: inh.initial,
            expm1_tau_m,
            p30: -p.tau_m_ms / p.c_m_pf * expm1_tau_m,
            e_l: p.e_l_mv,
            theta: p.v_th_mv - p.e_l_mv,
            v_reset: p.v_reset_mv - p.e_l_mv,
            lower_bound: p.v_min_mv.map_or(f64::NEG_INFINITY, |v| v - p.e_l_mv),
            i_e: p.i_e_pa,
            refractory_steps: u32::try_from(refractory).unwrap_or(u32::MAX),
        })
    }
}

/// State of an `IafPscAlpha` population beside its [`Membrane`].
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IafPscAlphaState {
    /// Excitatory current, pA.
    pub i_syn_ex: Vec<Real>,
    /// Its derivative state, pA/ms.
    pub di_syn_ex: Vec<Real>,
    /// Inhibitory current, pA (≤ 0).
    pub i_syn_in: Vec<Real>,
    /// Its derivative state, pA/ms.
    pub di_syn_in: Vec<Real>,
    /// Steps each neuron is still held.
    pub refractory_left: Vec<u32>,
}

impl StateVariables for IafPscAlphaState {
    const VARIABLES: &'static [&'static str] = &["i_syn_ex", "i_syn_in"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        match name {
            "i_syn_ex" => Some(&self.i_syn_ex),
            "i_syn_in" => Some(&self.i_syn_in),
            _ => None,
        }
    }
}

/// The arrays one `IafPscAlpha` step reads and writes; all have the same length (the population,
/// or one partition's block of it).
pub struct IafPscAlphaSlices<'a> {
    /// Membrane potential, mV.
    pub v: &'a mut [Real],
    /// Excitatory current, pA.
    pub i_syn_ex: &'a mut [Real],
    /// Its derivative state, pA/ms.
    pub di_syn_ex: &'a mut [Real],
    /// Inhibitory current, pA.
    pub i_syn_in: &'a mut [Real],
    /// Its derivative state, pA/ms.
    pub di_syn_in: &'a mut [Real],
    /// Refractory steps left.
    pub refractory_left: &'a mut [u32],
    /// Input current I_0, pA (consumed: zeroed).
    pub current: &'a mut [Real],
    /// Voltage jumps J, mV (consumed: zeroed; dropped while refractory).
    pub voltage_jump: &'a mut [Real],
    /// Positive weights arriving, pA (consumed).
    pub excitatory: &'a mut [Real],
    /// Negative weights arriving, pA (consumed).
    pub inhibitory: &'a mut [Real],
    /// Output: 1 where the neuron spiked.
    pub flags: &'a mut [u8],
}

/// One step of every neuron (the pure kernel), NEST's `iaf_psc_alpha::update`.
pub fn iaf_psc_alpha_step(c: &IafPscAlphaConstants, s: IafPscAlphaSlices<'_>) {
    iaf_psc_alpha_step_with(c, s);
}

/// [`iaf_psc_alpha_step`] with the constants of each neuron of the slices from `constants`:
/// the homogeneous [`IafPscAlphaConstants`] or a block of a heterogeneous population's.
#[inline]
pub fn iaf_psc_alpha_step_with<C: ConstantsAt<IafPscAlphaConstants>>(
    constants: &C,
    s: IafPscAlphaSlices<'_>,
) {
    let n = s.v.len();
    let (ie, die, ii, dii) = (
        &mut s.i_syn_ex[..n],
        &mut s.di_syn_ex[..n],
        &mut s.i_syn_in[..n],
        &mut s.di_syn_in[..n],
    );
    let left = &mut s.refractory_left[..n];
    let (current, jump, arr_ex, arr_in) = (
        &mut s.current[..n],
        &mut s.voltage_jump[..n],
        &mut s.excitatory[..n],
        &mut s.inhibitory[..n],
    );
    let flags = &mut s.flags[..n];
    for i in 0..n {
        let c = constants.at(i);
        let mut y3 = f64::from(s.v[i]) - c.e_l;
        let (mut i_ex, mut di_ex) = (f64::from(ie[i]), f64::from(die[i]));
        let (mut i_in, mut di_in) = (f64::from(ii[i]), f64::from(dii[i]));
        if left[i] == 0 {
            y3 = c.p30 * (f64::from(current[i]) + c.i_e)
                + c.p31_ex * di_ex
                + c.p32_ex * i_ex
                + c.p31_in * di_in
                + c.p32_in * i_in
                + c.expm1_tau_m * y3
                + y3
                + f64::from(jump[i]);
            y3 = if y3 < c.lower_bound {
                c.lower_bound
            } else {
                y3
            };
        } else {
            left[i] -= 1;
        }
        i_ex = c.p21_ex * di_ex + c.p11_ex * i_ex;
        di_ex = di_ex * c.p11_ex + c.initial_ex * f64::from(arr_ex[i]);
        i_in = c.p21_in * di_in + c.p11_in * i_in;
        di_in = di_in * c.p11_in + c.initial_in * f64::from(arr_in[i]);
        let spike = y3 >= c.theta;
        if spike {
            left[i] = c.refractory_steps;
            y3 = c.v_reset;
        }
        flags[i] = u8::from(spike);
        s.v[i] = (y3 + c.e_l) as Real;
        (ie[i], die[i]) = (i_ex as Real, di_ex as Real);
        (ii[i], dii[i]) = (i_in as Real, di_in as Real);
        current[i] = 0.0;
        jump[i] = 0.0;
        arr_ex[i] = 0.0;
        arr_in[i] = 0.0;
    }
}

/// What [`iaf_psc_alpha_system`] reads and writes of each `IafPscAlpha` population.
type IafPscAlphaPopulation<'a> = (
    &'a IafPscAlphaConstants,
    &'a mut IafPscAlphaState,
    &'a mut Membrane,
    &'a mut SynapticInput,
    &'a mut ReceptorInput,
    &'a mut SpikeFlags,
    &'a mut Spikes,
    Option<&'a IafPscAlphaConstants<Columns>>,
);

/// [`Stage::NeuronStep`]: step every `IafPscAlpha` population (each partition its own block)
/// and write its spikes.
pub fn iaf_psc_alpha_system(
    executor: &Executor,
    mut populations: Query<IafPscAlphaPopulation<'_>>,
) {
    for (c, mut state, mut membrane, mut input, mut receptor, mut flags, mut spikes, per_neuron) in
        &mut populations
    {
        let (st, receptor) = (&mut *state, &mut *receptor);
        let input = &mut *input;
        let n = membrane.v.len();
        let arrays = (
            (&mut membrane.v[..], &mut flags.0[..n]),
            (&mut st.i_syn_ex[..], &mut st.di_syn_ex[..]),
            (&mut st.i_syn_in[..], &mut st.di_syn_in[..]),
            &mut st.refractory_left[..],
            (&mut input.current[..n], &mut input.voltage_jump[..n]),
            (&mut receptor.excitatory[..], &mut receptor.inhibitory[..]),
        );
        executor.for_each_block(n, arrays, |block, arrays| {
            let (
                (v, flags),
                (i_syn_ex, di_syn_ex),
                (i_syn_in, di_syn_in),
                left,
                (current, voltage_jump),
                ex_in,
            ) = arrays;
            let s = IafPscAlphaSlices {
                v,
                i_syn_ex,
                di_syn_ex,
                i_syn_in,
                di_syn_in,
                refractory_left: left,
                current,
                voltage_jump,
                excitatory: ex_in.0,
                inhibitory: ex_in.1,
                flags,
            };
            match per_neuron {
                None => iaf_psc_alpha_step(c, s),
                Some(columns) => iaf_psc_alpha_step_with(&columns.block(block), s),
            }
        });
        write_spikes(&flags.0, &mut spikes);
    }
}

/// Registers the `IafPscAlpha` model, its variables and its system.
pub struct IafPscAlphaPlugin;

impl Plugin for IafPscAlphaPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<IafPscAlpha>();
        sim.register_variables::<IafPscAlphaState>();
        sim.register_snapshot::<IafPscAlphaState>();
        sim.add_model_systems::<IafPscAlpha, _>(Stage::NeuronStep, iaf_psc_alpha_system);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A voltage jump acts as NEST's `iaf_psc_delta` spikes do: added to V in its step, before
    /// the threshold test; dropped while the neuron is refractory.
    #[test]
    fn voltage_jumps_add_to_v_before_the_threshold_and_are_dropped_while_refractory() {
        let p = IafPscAlpha::default();
        let c = IafPscAlphaConstants::new(&p, 0.1).unwrap();
        let mut state = IafPscAlphaState {
            i_syn_ex: vec![0.0],
            di_syn_ex: vec![0.0],
            i_syn_in: vec![0.0],
            di_syn_in: vec![0.0],
            refractory_left: vec![0],
        };
        let (mut v, mut flags) = ([p.v_init_mv as Real], [0u8]);
        let mut step = |jump: Real| {
            let mut j = [jump];
            iaf_psc_alpha_step(
                &c,
                IafPscAlphaSlices {
                    v: &mut v,
                    i_syn_ex: &mut state.i_syn_ex,
                    di_syn_ex: &mut state.di_syn_ex,
                    i_syn_in: &mut state.i_syn_in,
                    di_syn_in: &mut state.di_syn_in,
                    refractory_left: &mut state.refractory_left,
                    current: &mut [0.0],
                    voltage_jump: &mut j,
                    excitatory: &mut [0.0],
                    inhibitory: &mut [0.0],
                    flags: &mut flags,
                },
            );
            assert_eq!(j[0], 0.0, "the jump is consumed");
            (v[0], flags[0] == 1, state.refractory_left[0])
        };
        // At rest (V = E_L), a 5 mV jump lifts V by exactly 5 mV in its own step.
        assert_eq!(step(5.0), (-65.0, false, 0));
        // A jump across the threshold (−55 mV) fires in the same step.
        assert_eq!(step(20.0), (-70.0, true, 20));
        // Refractory (2 ms = 20 steps): the jump is dropped, V stays at the reset.
        assert_eq!(step(10.0), (-70.0, false, 19));
    }

    fn run(p: &IafPscAlpha, weights: &[f64]) -> Vec<(f64, f64, bool)> {
        let c = IafPscAlphaConstants::new(p, 0.1).unwrap();
        let mut state = IafPscAlphaState {
            i_syn_ex: vec![0.0],
            di_syn_ex: vec![0.0],
            i_syn_in: vec![0.0],
            di_syn_in: vec![0.0],
            refractory_left: vec![0],
        };
        let (mut v, mut flags) = ([p.v_init_mv as Real], [0u8]);
        weights
            .iter()
            .map(|&w| {
                let mut receptor = ReceptorInput::new(1);
                receptor.add(0, w as Real);
                iaf_psc_alpha_step(
                    &c,
                    IafPscAlphaSlices {
                        v: &mut v,
                        i_syn_ex: &mut state.i_syn_ex,
                        di_syn_ex: &mut state.di_syn_ex,
                        i_syn_in: &mut state.i_syn_in,
                        di_syn_in: &mut state.di_syn_in,
                        refractory_left: &mut state.refractory_left,
                        current: &mut [0.0],
                        voltage_jump: &mut [0.0],
                        excitatory: &mut receptor.excitatory,
                        inhibitory: &mut receptor.inhibitory,
                        flags: &mut flags,
                    },
                );
                (
                    f64::from(v[0]),
                    f64::from(state.i_syn_ex[0] + state.i_syn_in[0]),
                    flags[0] == 1,
                )
            })
            .collect()
    }

    #[test]
    fn psc_peaks_at_the_weight_tau_syn_after_arrival() {
        let mut w = vec![0.0; 100];
        w[0] = 400.0;
        let out = run(&IafPscAlpha::default(), &w);
        // I(t) = w·(t/τs)·e^(1 − t/τs), t from the end of the arrival step.
        for (k, o) in out.iter().enumerate() {
            let t = k as f64 * 0.1;
            let want = 400.0 * t / 2.0 * (1.0 - t / 2.0).exp();
            assert!((o.1 - want).abs() < 1e-3, "step {k}: {} vs {want}", o.1);
        }
        assert!((out[20].1 - 400.0).abs() < 1e-3);
        // V feels it from the next step on and rises.
        assert_eq!(out[0].0, -70.0);
        assert!(out[1].0 > -70.0 && out[30].0 > out[1].0);
    }

    #[test]
    fn lower_bound_holds_v() {
        let p = IafPscAlpha {
            v_min_mv: Some(-71.0),
            ..IafPscAlpha::default()
        };
        let mut w = vec![0.0; 200];
        w[0] = -4000.0;
        let out = run(&p, &w);
        assert!(out.iter().all(|o| o.0 >= -71.0));
        assert!(out.iter().any(|o| o.0 == -71.0));
        let free = run(&IafPscAlpha::default(), &w);
        assert!(free.iter().any(|o| o.0 < -72.0));
    }
}
