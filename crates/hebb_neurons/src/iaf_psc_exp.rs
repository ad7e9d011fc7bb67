//! # `IafPscExp` — current-based LIF with exponential PSCs, exact integration (NEST `iaf_psc_exp`)
//!
//! With V measured from E_L, synaptic currents `I_ex ≥ 0`, `I_in ≤ 0` (pA) fed by `Receptor`
//! projections (a positive weight w makes `I_ex` jump by w pA, a negative one `I_in`), and
//! `I_0` = `SynapticInput.current` (step currents, other synapse outputs; held over the step):
//!
//! ```text
//! C dV/dt = −C·V/τm + I_ex + I_in + I_e + I_0          dI_ex/dt = −I_ex/τ_ex   dI_in/dt = −I_in/τ_in
//! ```
//!
//! is integrated exactly over each step h, in NEST's order:
//!
//! ```text
//! if not refractory: V ← V·P22 + I_ex·P21ex + I_in·P21in + (I_e + I_0)·P20 + J    else: r ← r − 1
//! I_ex ← I_ex·P11ex + Σ(positive weights arriving)    I_in ← I_in·P11in + Σ(negative weights)
//! if V >= V_th − E_L: spike, V ← V_reset − E_L, r ← t_ref/h
//! P11 = e^(−h/τs)   P22 = e^(−h/τm)   P20 = τm/C·(1 − P22)   P21 = NEST's IAFPropagatorExp
//! ```
//!
//! `J` = `SynapticInput.voltage_jump` (mV: `Delta(target: Voltage)` projections, `PoissonInput`
//! onto the voltage, Brian2's `on_pre='v_post += w'`) is added as NEST's `iaf_psc_delta` adds
//! its spikes: before the threshold test, and dropped while the neuron is refractory.
//!
//! so a spike arriving in step k acts on V from step k+1, and the refractory hold lasts
//! `t_ref/h` steps during which the currents keep evolving. The arithmetic runs in `f64` (the
//! propagators of [`crate::propagator`]); only the stored state is rounded to [`Real`].
//!
//! Timing against NEST: hebb's step k is NEST's step k (NEST stamps the spike (k+1)·h, hebb
//! records it at step k). NEST's `I_0` is the current that arrived in the previous step; in hebb a
//! `StepCurrent` section starting at step k is used in step k, so NEST's `dc_generator` with
//! `start` t_on, delay d acts in hebb as a section starting at `t_on + d`.
//!
//! Recordable variables: `v` (mV, [`Membrane`]), `i_syn_ex`, `i_syn_in` (pA).
//!
//! ## Parameters
//! | name | unit | default | NEST | meaning |
//! |---|---|---|---|---|
//! | `c_m_pf` | pF | 250 | `C_m` | membrane capacitance |
//! | `tau_m_ms` | ms | 10 | `tau_m` | membrane time constant |
//! | `tau_syn_ex_ms` | ms | 2 | `tau_syn_ex` | excitatory PSC decay |
//! | `tau_syn_in_ms` | ms | 2 | `tau_syn_in` | inhibitory PSC decay |
//! | `t_ref_ms` | ms | 2 | `t_ref` | refractory period (whole steps) |
//! | `e_l_mv` | mV | −70 | `E_L` | resting potential |
//! | `v_th_mv` | mV | −55 | `V_th` | threshold (`V >= V_th`) |
//! | `v_reset_mv` | mV | −70 | `V_reset` | reset potential |
//! | `i_e_pa` | pA | 0 | `I_e` | constant input current |
//! | `v_init_mv` | mV | −70 | `V_m` | initial membrane potential |
//!
//! Not implemented: NEST's stochastic threshold (`delta`, `rho`) and the filtered current
//! receptor 1 (`I_1`).
//!
//! Reference: NEST 3.10 `models/iaf_psc_exp.cpp`, `libnestutil/iaf_propagator.cpp`; Rotter &
//! Diesmann (1999), Biol. Cybern. 81:381–402.

use hebb_core::initial::NeuronParams;
use hebb_core::per_neuron::{Columns, ConstantsAt, Layout, Shared};
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::propagator;
use crate::spiking::{SpikeFlags, whole_steps, write_spikes};

/// `IafPscExp` params (scene name `IafPscExp`), NEST's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IafPscExp {
    /// Membrane capacitance in pF. Default 250.
    pub c_m_pf: f64,
    /// Membrane time constant in ms. Default 10.
    pub tau_m_ms: f64,
    /// Excitatory PSC time constant in ms. Default 2.
    pub tau_syn_ex_ms: f64,
    /// Inhibitory PSC time constant in ms. Default 2.
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
}

impl Default for IafPscExp {
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
        }
    }
}

/// The parameter table shared by `IafPscExp` and `IafPscAlpha`.
pub(crate) const IAF_PARAMS: [ParamDoc; 10] = [
    ParamDoc {
        name: "c_m_pf",
        unit: "pF",
        doc: "membrane capacitance (NEST C_m)",
    },
    ParamDoc {
        name: "tau_m_ms",
        unit: "ms",
        doc: "membrane time constant (tau_m)",
    },
    ParamDoc {
        name: "tau_syn_ex_ms",
        unit: "ms",
        doc: "excitatory PSC time constant (tau_syn_ex)",
    },
    ParamDoc {
        name: "tau_syn_in_ms",
        unit: "ms",
        doc: "inhibitory PSC time constant (tau_syn_in)",
    },
    ParamDoc {
        name: "t_ref_ms",
        unit: "ms",
        doc: "refractory period, V held (t_ref; whole steps)",
    },
    ParamDoc {
        name: "e_l_mv",
        unit: "mV",
        doc: "resting potential (E_L)",
    },
    ParamDoc {
        name: "v_th_mv",
        unit: "mV",
        doc: "threshold, spike when V >= V_th (V_th)",
    },
    ParamDoc {
        name: "v_reset_mv",
        unit: "mV",
        doc: "reset potential (V_reset)",
    },
    ParamDoc {
        name: "i_e_pa",
        unit: "pA",
        doc: "constant input current (I_e)",
    },
    ParamDoc {
        name: "v_init_mv",
        unit: "mV",
        doc: "initial membrane potential (V_m)",
    },
];

/// Checks shared by `IafPscExp` and `IafPscAlpha`.
#[expect(clippy::too_many_arguments, reason = "one argument per NEST parameter")]
pub(crate) fn validate_iaf(
    c_m: f64,
    tau_m: f64,
    tau_ex: f64,
    tau_in: f64,
    t_ref: f64,
    e_l: f64,
    v_th: f64,
    v_reset: f64,
    i_e: f64,
    v_init: f64,
) -> Result<(), ParamError> {
    check::positive("c_m_pf", c_m)?;
    check::positive("tau_m_ms", tau_m)?;
    check::positive("tau_syn_ex_ms", tau_ex)?;
    check::positive("tau_syn_in_ms", tau_in)?;
    check::non_negative("t_ref_ms", t_ref)?;
    check::finite("e_l_mv", e_l)?;
    check::finite("v_th_mv", v_th)?;
    check::finite("v_reset_mv", v_reset)?;
    check::less_than("v_reset_mv", v_reset, "v_th_mv", v_th)?;
    check::finite("i_e_pa", i_e)?;
    check::finite("v_init_mv", v_init)
}

impl Model for IafPscExp {
    const NAME: &'static str = "IafPscExp";
    const KIND: ModelKind = ModelKind::Neuron;
    const SUMMARY: &'static str =
        "current-based LIF, exponential PSCs, exact integration (NEST iaf_psc_exp)";
    const PARAMS: &'static [ParamDoc] = &IAF_PARAMS;

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
        )
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
        let each =
            per_neuron.each_neuron(self, size, &owner, |_, p| IafPscExpConstants::new(p, dt_ms))?;
        ctx.entity_mut().insert(IafPscExpConstants::gather(&each));
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        let constants = IafPscExpConstants::new(self, ctx.dt_ms)
            .map_err(|e| BuildError::param(format!("population `{}`", ctx.name), e))?;
        ctx.entity_mut().insert((
            constants,
            IafPscExpState {
                i_syn_ex: vec![0.0; size],
                i_syn_in: vec![0.0; size],
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

/// Propagators and thresholds of an `IafPscExp` population (V relative to E_L): one value
/// each (`IafPscExpConstants`), or, for a population with per-neuron params, one value or one
/// per neuron each (`IafPscExpConstants<Columns>`, see [`hebb_core::per_neuron`]).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct IafPscExpConstants<L: Layout = Shared> {
    /// `e^(−h/τ_ex)`, `e^(−h/τ_in)`.
    pub p11_ex: L::Of<f64>,
    /// See `p11_ex`.
    pub p11_in: L::Of<f64>,
    /// `e^(−h/τm)`.
    pub p22: L::Of<f64>,
    /// Current → V propagators (mV/pA).
    pub p21_ex: L::Of<f64>,
    /// See `p21_ex`.
    pub p21_in: L::Of<f64>,
    /// `τm/C·(1 − P22)` (mV/pA).
    pub p20: L::Of<f64>,
    /// E_L, mV.
    pub e_l: L::Of<f64>,
    /// `V_th − E_L`, mV.
    pub theta: L::Of<f64>,
    /// `V_reset − E_L`, mV.
    pub v_reset: L::Of<f64>,
    /// I_e, pA.
    pub i_e: L::Of<f64>,
    /// Steps held after a spike.
    pub refractory_steps: L::Of<u32>,
}

impl Copy for IafPscExpConstants {}

hebb_core::per_neuron_constants!(IafPscExpConstants {
    varying: [
        p11_ex,
        p11_in,
        p22,
        p21_ex,
        p21_in,
        p20,
        e_l,
        theta,
        v_reset,
        i_e,
        refractory_steps
    ]
});

impl IafPscExpConstants {
    /// The constants of `p` at step `h_ms`; the refractory period must lie on the grid.
    pub fn new(p: &IafPscExp, h_ms: f64) -> Result<Self, ParamError> {
        let refractory = whole_steps("t_ref_ms", p.t_ref_ms, h_ms)?;
        let p22 = (-h_ms / p.tau_m_ms).exp();
        Ok(Self {
            p11_ex: (-h_ms / p.tau_syn_ex_ms).exp(),
            p11_in: (-h_ms / p.tau_syn_in_ms).exp(),
            p22,
            p21_ex: propagator::exp_psc(p.tau_syn_ex_ms, p.tau_m_ms, p.c_m_pf, h_ms),
            p21_in: propagator::exp_psc(p.tau_syn_in_ms, p.tau_m_ms, p.c_m_pf, h_ms),
            p20: p.tau_m_ms / p.c_m_pf * (1.0 - p22),
            e_l: p.e_l_mv,
            theta: p.v_th_mv - p.e_l_mv,
            v_reset: p.v_reset_mv - p.e_l_mv,
            i_e: p.i_e_pa,
            refractory_steps: u32::try_from(refractory).unwrap_or(u32::MAX),
        })
    }
}

/// State of an `IafPscExp` population beside its [`Membrane`].
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IafPscExpState {
    /// Excitatory synaptic current, pA.
    pub i_syn_ex: Vec<Real>,
    /// Inhibitory synaptic current, pA (≤ 0).
    pub i_syn_in: Vec<Real>,
    /// Steps each neuron is still held.
    pub refractory_left: Vec<u32>,
}

impl StateVariables for IafPscExpState {
    const VARIABLES: &'static [&'static str] = &["i_syn_ex", "i_syn_in"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        match name {
            "i_syn_ex" => Some(&self.i_syn_ex),
            "i_syn_in" => Some(&self.i_syn_in),
            _ => None,
        }
    }
    fn variable_mut(&mut self, name: &str) -> Option<&mut [Real]> {
        match name {
            "i_syn_ex" => Some(&mut self.i_syn_ex),
            "i_syn_in" => Some(&mut self.i_syn_in),
            _ => None,
        }
    }
}

/// The arrays one `IafPscExp` step reads and writes; all have the population's size.
pub struct IafPscExpSlices<'a> {
    /// Membrane potential, mV.
    pub v: &'a mut [Real],
    /// Excitatory current, pA.
    pub i_syn_ex: &'a mut [Real],
    /// Inhibitory current, pA.
    pub i_syn_in: &'a mut [Real],
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

/// One step of every neuron (the pure kernel), NEST's `iaf_psc_exp::update`.
pub fn iaf_psc_exp_step(c: &IafPscExpConstants, s: IafPscExpSlices<'_>) {
    iaf_psc_exp_step_with(c, s);
}

/// [`iaf_psc_exp_step`] with the constants of each neuron of the slices from `constants`: the
/// homogeneous [`IafPscExpConstants`] or a block of a heterogeneous population's.
#[inline]
pub fn iaf_psc_exp_step_with<C: ConstantsAt<IafPscExpConstants>>(
    constants: &C,
    s: IafPscExpSlices<'_>,
) {
    let n = s.v.len();
    let (ex, inh, left) = (
        &mut s.i_syn_ex[..n],
        &mut s.i_syn_in[..n],
        &mut s.refractory_left[..n],
    );
    let (current, jump, arr_ex, arr_in) = (
        &mut s.current[..n],
        &mut s.voltage_jump[..n],
        &mut s.excitatory[..n],
        &mut s.inhibitory[..n],
    );
    let flags = &mut s.flags[..n];
    for i in 0..n {
        let c = constants.at(i);
        let mut v = f64::from(s.v[i]) - c.e_l;
        let (mut i_ex, mut i_in) = (f64::from(ex[i]), f64::from(inh[i]));
        if left[i] == 0 {
            v = v * c.p22
                + i_ex * c.p21_ex
                + i_in * c.p21_in
                + (c.i_e + f64::from(current[i])) * c.p20
                + f64::from(jump[i]);
        } else {
            left[i] -= 1;
        }
        i_ex = i_ex * c.p11_ex + f64::from(arr_ex[i]);
        i_in = i_in * c.p11_in + f64::from(arr_in[i]);
        let spike = v >= c.theta;
        if spike {
            left[i] = c.refractory_steps;
            v = c.v_reset;
        }
        flags[i] = u8::from(spike);
        s.v[i] = (v + c.e_l) as Real;
        ex[i] = i_ex as Real;
        inh[i] = i_in as Real;
        current[i] = 0.0;
        jump[i] = 0.0;
        arr_ex[i] = 0.0;
        arr_in[i] = 0.0;
    }
}

/// What [`iaf_psc_exp_system`] reads and writes of each `IafPscExp` population.
type IafPscExpPopulation<'a> = (
    &'a IafPscExpConstants,
    &'a mut IafPscExpState,
    &'a mut Membrane,
    &'a mut SynapticInput,
    &'a mut ReceptorInput,
    &'a mut SpikeFlags,
    &'a mut Spikes,
    Option<&'a IafPscExpConstants<Columns>>,
);

/// [`Stage::NeuronStep`]: step every `IafPscExp` population (each partition its own block) and
/// write its spikes.
pub fn iaf_psc_exp_system(executor: &Executor, mut populations: Query<IafPscExpPopulation<'_>>) {
    for (c, mut state, mut membrane, mut input, mut receptor, mut flags, mut spikes, per_neuron) in
        &mut populations
    {
        let (state, receptor) = (&mut *state, &mut *receptor);
        let input = &mut *input;
        let n = membrane.v.len();
        let arrays = (
            (&mut membrane.v[..], &mut flags.0[..n]),
            (&mut state.i_syn_ex[..], &mut state.i_syn_in[..]),
            &mut state.refractory_left[..],
            (&mut input.current[..n], &mut input.voltage_jump[..n]),
            (&mut receptor.excitatory[..], &mut receptor.inhibitory[..]),
        );
        executor.for_each_block(n, arrays, |block, arrays| {
            let ((v, flags), (i_syn_ex, i_syn_in), refractory_left, (current, jump), (ex, inh)) =
                arrays;
            let s = IafPscExpSlices {
                v,
                i_syn_ex,
                i_syn_in,
                refractory_left,
                current,
                voltage_jump: jump,
                excitatory: ex,
                inhibitory: inh,
                flags,
            };
            match per_neuron {
                None => iaf_psc_exp_step(c, s),
                Some(columns) => iaf_psc_exp_step_with(&columns.block(block), s),
            }
        });
        write_spikes(&flags.0, &mut spikes);
    }
}

/// Registers the `IafPscExp` model, its variables and its system.
pub struct IafPscExpPlugin;

impl Plugin for IafPscExpPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<IafPscExp>();
        sim.register_variables::<IafPscExpState>();
        sim.register_snapshot::<IafPscExpState>();
        sim.add_model_systems::<IafPscExp, _>(Stage::NeuronStep, iaf_psc_exp_system);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// V is stored as f32: half an ulp at 70 mV (3.8e-6) lost per step, decaying by e^(−h/τm)
    /// per step, adds up to at most 3.8e-6 / (1 − e^(−0.01)) = 3.8e-4 mV.
    const F32_STORAGE_BOUND_MV: f64 = 3.8e-4;

    /// One neuron; per step (I_0, arriving weight). Returns (V, spiked).
    fn run(p: &IafPscExp, inputs: &[(f64, f64)]) -> Vec<(f64, bool)> {
        let c = IafPscExpConstants::new(p, 0.1).unwrap();
        let (mut v, mut ex, mut inh, mut left, mut flags) =
            ([p.v_init_mv as Real], [0.0], [0.0], [0u32], [0u8]);
        inputs
            .iter()
            .map(|&(i0, w)| {
                let (mut cur, mut e, mut n) = ([i0 as Real], [0.0], [0.0]);
                if w > 0.0 {
                    e[0] = w as Real;
                } else {
                    n[0] = w as Real;
                }
                iaf_psc_exp_step(
                    &c,
                    IafPscExpSlices {
                        v: &mut v,
                        i_syn_ex: &mut ex,
                        i_syn_in: &mut inh,
                        refractory_left: &mut left,
                        current: &mut cur,
                        voltage_jump: &mut [0.0],
                        excitatory: &mut e,
                        inhibitory: &mut n,
                        flags: &mut flags,
                    },
                );
                assert_eq!((cur[0], e[0], n[0]), (0.0, 0.0, 0.0));
                (f64::from(v[0]), flags[0] == 1)
            })
            .collect()
    }

    /// A voltage jump acts as NEST's `iaf_psc_delta` spikes do: added to V in its step, before
    /// the threshold test; dropped while the neuron is refractory.
    #[test]
    fn voltage_jumps_add_to_v_before_the_threshold_and_are_dropped_while_refractory() {
        let p = IafPscExp::default();
        let c = IafPscExpConstants::new(&p, 0.1).unwrap();
        let (mut v, mut ex, mut inh, mut left, mut flags) =
            ([p.v_init_mv as Real], [0.0], [0.0], [0u32], [0u8]);
        let mut step = |jump: Real| {
            let mut j = [jump];
            iaf_psc_exp_step(
                &c,
                IafPscExpSlices {
                    v: &mut v,
                    i_syn_ex: &mut ex,
                    i_syn_in: &mut inh,
                    refractory_left: &mut left,
                    current: &mut [0.0],
                    voltage_jump: &mut j,
                    excitatory: &mut [0.0],
                    inhibitory: &mut [0.0],
                    flags: &mut flags,
                },
            );
            assert_eq!(j[0], 0.0, "the jump is consumed");
            (v[0], flags[0] == 1, left[0])
        };
        // At rest (V = E_L), a 5 mV jump lifts V by exactly 5 mV in its own step.
        assert_eq!(step(5.0), (-65.0, false, 0));
        // A jump across the threshold (−55 mV) fires in the same step.
        assert_eq!(step(20.0), (-70.0, true, 20));
        // Refractory (2 ms = 20 steps): the jump is dropped, V stays at the reset.
        assert_eq!(step(10.0), (-70.0, false, 19));
    }

    #[test]
    fn constant_current_relaxes_to_the_closed_form() {
        // I_e-like 100 pA: V∞ = E_L + I·τm/C = −70 + 4 mV, V(t) = −70 + 4(1 − e^(−t/τm)).
        let out = run(&IafPscExp::default(), &[(100.0, 0.0); 300]);
        for (k, (v, s)) in out.iter().enumerate() {
            let t = (k + 1) as f64 * 0.1;
            let want = -70.0 + 4.0 * (1.0 - (-t / 10.0).exp());
            assert!(
                !s && (v - want).abs() < F32_STORAGE_BOUND_MV,
                "step {k}: {v} vs {want}"
            );
        }
    }

    #[test]
    fn a_psc_acts_from_the_next_step_and_matches_the_closed_form() {
        // A 1000 pA jump in step 0: V is untouched in step 0, then follows
        // V(t) = w/C · τsτm/(τm − τs) · (e^(−t/τm) − e^(−t/τs)) with t from the end of step 0.
        let mut inputs = vec![(0.0, 1000.0)];
        inputs.extend([(0.0, 0.0); 100]);
        let out = run(&IafPscExp::default(), &inputs);
        assert_eq!(out[0].0, -70.0);
        for (k, (v, _)) in out.iter().enumerate().skip(1) {
            let t = k as f64 * 0.1;
            let want =
                -70.0 + 1000.0 / 250.0 * 2.0 * 10.0 / 8.0 * ((-t / 10.0).exp() - (-t / 2.0).exp());
            assert!(
                (v - want).abs() < F32_STORAGE_BOUND_MV,
                "step {k}: {v} vs {want}"
            );
        }
    }

    #[test]
    fn refractory_hold_and_reset() {
        // A huge current crosses threshold in step 0; V is held at V_reset for 20 steps.
        let mut inputs = vec![(1e6, 0.0)];
        inputs.extend([(1e6, 0.0); 21]);
        let out = run(&IafPscExp::default(), &inputs);
        assert_eq!(out[0], (-70.0, true));
        for o in &out[1..21] {
            assert_eq!(*o, (-70.0, false));
        }
        assert!(out[21].1, "free again after t_ref = 20 steps");
    }

    #[test]
    fn validation_refuses_off_grid_refractory_and_bad_values() {
        let e = IafPscExpConstants::new(
            &IafPscExp {
                t_ref_ms: 0.25,
                ..IafPscExp::default()
            },
            0.1,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t_ref_ms must be >= 0 and a whole number")
        );
        let e = Model::validate(&IafPscExp {
            v_reset_mv: -50.0,
            ..IafPscExp::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("v_reset_mv"), "{e}");
        let e = Model::validate(&IafPscExp {
            c_m_pf: 0.0,
            ..IafPscExp::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "c_m_pf must be > 0, got 0");
    }
}
