//! # `Lif` — leaky integrate-and-fire neuron (ngc-learn's `LIFCell`)
//!
//! ngc-learn's LIF cell, step for step (docs/upstream-models.md §2.3). With `J = R·I·m` the gated input
//! current (`I` = `SynapticInput.current`, `R` = `resistance`, `m` the refractory mask):
//!
//! ```text
//! m      = [rfr >= refractory]                       (input is gated off while refractory)
//! f(v)   = ((v_rest − v)·g_L + J) / τ_m
//! Euler: v' = v + dt·f(v)
//! Rk2:   v' = v + dt·f(v + dt/2·f(v))                 (midpoint)
//! v'    += m·jump                                     (SynapticInput.voltage_jump, mV)
//! s      = [v' > v_threshold + θ]                     (strict; θ of the previous step)
//! v'     = s ? v_reset : v'
//! rfr'   = (rfr + dt)·(1 − s)
//! θ'     = θ·e^(−dt/τ_θ) + s·θ_plus                   (only when τ_θ > 0)
//! v'     = max(v', v_min)                              (only when v_min is set)
//! ```
//!
//! The leak always acts, also while refractory. Initial state: `v = v_init` (default
//! `v_rest`), `θ = 0`, `rfr = refractory` (not refractory). With `refractory_ms` = 5 and dt = 1
//! the input is masked for the 5 steps after a spike. The refractory comparison is made
//! against `(n − ½)·dt` with `n = ⌈refractory/dt⌉`, the same test as ngc-learn's in exact
//! arithmetic but immune to the rounding of the summed `rfr` (ngc-learn compares the float sum
//! `rfr + dt + …` with `refract_time` and can miss by one step when dt is not a power of two).
//!
//! Recordable variables: `v` (mV, after reset), `theta` (mV), `rfr` (ms since the last spike).
//!
//! ## Parameters
//! | name | unit | default | ngc-learn | meaning |
//! |---|---|---|---|---|
//! | `tau_m_ms` | ms | 20 | `tau_m` (required upstream) | membrane time constant |
//! | `resistance` | mV per input unit | 1 | `resist_m` | scales the input current |
//! | `v_rest_mv` | mV | −65 | `v_rest` | resting potential |
//! | `v_reset_mv` | mV | −60 | `v_reset` | reset potential (< threshold) |
//! | `v_threshold_mv` | mV | −52 | `thr` | base threshold |
//! | `conductance_leak` | 1 | 1 | `conduct_leak` | leak conductance g_L |
//! | `tau_theta_ms` | ms | 0 (ngc-learn: 1e7) | `tau_theta` | adaptive-threshold decay (0: no adaptation) |
//! | `theta_plus_mv` | mV | 0.05 | `theta_plus` | threshold increment per spike (when `tau_theta_ms` > 0) |
//! | `refractory_ms` | ms | 5 | `refract_time` | input-gating period after a spike (a whole number of steps) |
//! | `integration` | — | `Euler` | `integration_type` | `Euler` or `Rk2` (midpoint) |
//! | `v_min_mv` | mV | `None` | `v_min` | lower clamp of v |
//! | `v_init_mv` | mV | `None` (= v_rest) | — | initial potential |
//!
//! `tau_m` has no default in ngc-learn; 20 ms is the value of its tutorials. The adaptive
//! threshold is off by default (`tau_theta_ms: 0`), so `Lif` with defaults is a plain LIF;
//! ngc-learn's LIFCell adapts by default (`tau_theta = 1e7`, `theta_plus = 0.05`): write
//! `tau_theta_ms: 1e7` to get it. Not implemented:
//! `one_spike`/`max_one_spike` (winner-take-all options) and the surrogate gradient.
//!
//! Reference: ngc-learn `ngclearn/components/neurons/spiking/LIFCell.py` (v3.2.0), its test
//! `tests/components/neurons/spiking/test_LIFCell.py`.

use hebb_core::initial::NeuronParams;
use hebb_core::per_neuron::{Columns, ConstantsAt, Layout, Shared};
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::spiking::{SpikeFlags, flush_denormal, whole_steps, write_spikes};

/// How the membrane equation is integrated over one step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LifIntegration {
    /// Forward Euler (ngc-learn `"euler"`).
    #[default]
    Euler,
    /// Second-order Runge–Kutta, midpoint (ngc-learn `"midpoint"` / `"rk2"`).
    #[serde(alias = "Midpoint")]
    Rk2,
}

/// LIF params (scene name `Lif`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lif {
    /// Membrane time constant in ms. Default 20.
    pub tau_m_ms: f64,
    /// Membrane resistance: the input current is multiplied by it. Default 1.
    pub resistance: f64,
    /// Resting potential in mV. Default −65.
    pub v_rest_mv: f64,
    /// Reset potential in mV. Default −60.
    pub v_reset_mv: f64,
    /// Base threshold in mV (a spike needs `v > threshold + θ`). Default −52.
    pub v_threshold_mv: f64,
    /// Leak conductance g_L (dimensionless). Default 1.
    pub conductance_leak: f64,
    /// Adaptive-threshold time constant in ms; 0 disables adaptation. Default 0 (a plain LIF;
    /// ngc-learn's LIFCell default is 1e7, write it to get its adaptation).
    pub tau_theta_ms: f64,
    /// Threshold increment per spike in mV. Default 0.05.
    pub theta_plus_mv: f64,
    /// Refractory (input-gating) period in ms. Default 5.
    pub refractory_ms: f64,
    /// Integration scheme. Default `Euler`.
    pub integration: LifIntegration,
    /// Lower clamp of the potential in mV. Default `None`.
    pub v_min_mv: Option<f64>,
    /// Initial potential in mV. Default `None` (= `v_rest_mv`).
    pub v_init_mv: Option<f64>,
}

impl Default for Lif {
    fn default() -> Self {
        Self {
            tau_m_ms: 20.0,
            resistance: 1.0,
            v_rest_mv: -65.0,
            v_reset_mv: -60.0,
            v_threshold_mv: -52.0,
            conductance_leak: 1.0,
            tau_theta_ms: 0.0,
            theta_plus_mv: 0.05,
            refractory_ms: 5.0,
            integration: LifIntegration::Euler,
            v_min_mv: None,
            v_init_mv: None,
        }
    }
}

impl Model for Lif {
    const NAME: &'static str = "Lif";
    const KIND: ModelKind = ModelKind::Neuron;
    const SUMMARY: &'static str =
        "leaky integrate-and-fire, ngc-learn LIFCell (Euler/RK2, adaptive threshold, input gating)";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "tau_m_ms",
            unit: "ms",
            doc: "membrane time constant",
        },
        ParamDoc {
            name: "resistance",
            unit: "mV/input",
            doc: "membrane resistance, multiplies the input current (ngc-learn resist_m)",
        },
        ParamDoc {
            name: "v_rest_mv",
            unit: "mV",
            doc: "resting potential",
        },
        ParamDoc {
            name: "v_reset_mv",
            unit: "mV",
            doc: "reset potential",
        },
        ParamDoc {
            name: "v_threshold_mv",
            unit: "mV",
            doc: "base threshold; spike when v > threshold + theta",
        },
        ParamDoc {
            name: "conductance_leak",
            unit: "1",
            doc: "leak conductance g_L",
        },
        ParamDoc {
            name: "tau_theta_ms",
            unit: "ms",
            doc: "adaptive-threshold decay time constant (0, the default: no adaptation; ngc-learn 1e7)",
        },
        ParamDoc {
            name: "theta_plus_mv",
            unit: "mV",
            doc: "threshold increment per spike",
        },
        ParamDoc {
            name: "refractory_ms",
            unit: "ms",
            doc: "input-gating period after a spike",
        },
        ParamDoc {
            name: "integration",
            unit: "-",
            doc: "Euler or Rk2 (midpoint)",
        },
        ParamDoc {
            name: "v_min_mv",
            unit: "mV",
            doc: "optional lower clamp of v",
        },
        ParamDoc {
            name: "v_init_mv",
            unit: "mV",
            doc: "initial potential (default v_rest_mv)",
        },
    ];

    hebb_core::per_neuron_fields!(
        tau_m_ms,
        resistance,
        v_rest_mv,
        v_reset_mv,
        v_threshold_mv,
        conductance_leak,
        tau_theta_ms,
        theta_plus_mv,
        refractory_ms
    );

    /// Per-neuron constants; each neuron starts at its own `v_rest_mv` (unless `v_init_mv`
    /// is set) and not refractory (`rfr` = its own `refractory_ms`).
    fn attach_per_neuron(
        &self,
        ctx: &mut AttachContext<'_>,
        per_neuron: &NeuronParams,
    ) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        let owner = format!("population `{}`", ctx.name);
        let dt_ms = ctx.dt_ms;
        let each = per_neuron.each_neuron(self, size, &owner, |_, p| {
            whole_steps("refractory_ms", p.refractory_ms, dt_ms)?;
            let v0 = p.v_init_mv.unwrap_or(p.v_rest_mv) as Real;
            Ok((LifConstants::new(p, dt_ms), v0, p.refractory_ms as Real))
        })?;
        let constants: Vec<LifConstants> = each.iter().map(|e| e.0).collect();
        let mut entity = ctx.entity_mut();
        if let Some(mut membrane) = entity.get_mut::<Membrane>() {
            for (v, e) in membrane.v.iter_mut().zip(&each) {
                *v = e.1;
            }
        }
        if let Some(mut state) = entity.get_mut::<LifState>() {
            for (rfr, e) in state.rfr.iter_mut().zip(&each) {
                *rfr = e.2;
            }
        }
        entity.insert(LifConstants::gather(&constants));
        Ok(())
    }

    fn validate(&self) -> Result<(), ParamError> {
        check::positive("tau_m_ms", self.tau_m_ms)?;
        check::finite("resistance", self.resistance)?;
        check::finite("v_rest_mv", self.v_rest_mv)?;
        check::finite("v_reset_mv", self.v_reset_mv)?;
        check::finite("v_threshold_mv", self.v_threshold_mv)?;
        check::less_than(
            "v_reset_mv",
            self.v_reset_mv,
            "v_threshold_mv",
            self.v_threshold_mv,
        )?;
        check::non_negative("conductance_leak", self.conductance_leak)?;
        check::non_negative("tau_theta_ms", self.tau_theta_ms)?;
        check::finite("theta_plus_mv", self.theta_plus_mv)?;
        check::non_negative("refractory_ms", self.refractory_ms)?;
        if let Some(v) = self.v_min_mv {
            check::finite("v_min_mv", v)?;
        }
        if let Some(v) = self.v_init_mv {
            check::finite("v_init_mv", v)?;
        }
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        // Like a delay, the refractory period must lie on the time grid (never silently
        // rounded).
        whole_steps("refractory_ms", self.refractory_ms, ctx.dt_ms)
            .map_err(|e| BuildError::param(format!("population `{}`", ctx.name), e))?;
        let constants = LifConstants::new(self, ctx.dt_ms);
        let state = LifState {
            theta: vec![0.0; size],
            rfr: vec![self.refractory_ms as Real; size],
        };
        let v0 = self.v_init_mv.unwrap_or(self.v_rest_mv) as Real;
        ctx.entity_mut().insert((
            constants,
            state,
            Membrane { v: vec![v0; size] },
            SpikeFlags::new(size),
        ));
        Ok(())
    }
}

/// Per-step constants of a `Lif` population, computed once from the params and dt: one value
/// each (`LifConstants`), or, for a population with per-neuron params, one value or one per
/// neuron each (`LifConstants<Columns>`, see [`hebb_core::per_neuron`]).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct LifConstants<L: Layout = Shared> {
    /// Time step in ms.
    pub dt: Real,
    /// `1/τ_m` in 1/ms.
    pub inv_tau_m: L::Of<Real>,
    /// Membrane resistance.
    pub resistance: L::Of<Real>,
    /// Resting potential, mV.
    pub v_rest: L::Of<Real>,
    /// Reset potential, mV.
    pub v_reset: L::Of<Real>,
    /// Base threshold, mV.
    pub v_threshold: L::Of<Real>,
    /// Leak conductance.
    pub g_leak: L::Of<Real>,
    /// `e^(−dt/τ_θ)`, or 1 without adaptation.
    pub theta_decay: L::Of<Real>,
    /// θ increment per spike, or 0 without adaptation.
    pub theta_plus: L::Of<Real>,
    /// Input is open when `rfr >= rfr_open` (`(⌈refractory/dt⌉ − ½)·dt`).
    pub rfr_open: L::Of<Real>,
    /// Lower clamp of v (−∞ when unset).
    pub v_min: Real,
    /// Integration scheme.
    pub integration: LifIntegration,
}

impl Copy for LifConstants {}

hebb_core::per_neuron_constants!(LifConstants {
    varying: [
        inv_tau_m,
        resistance,
        v_rest,
        v_reset,
        v_threshold,
        g_leak,
        theta_decay,
        theta_plus,
        rfr_open
    ],
    shared: [dt, v_min, integration],
});

impl LifConstants {
    /// The constants of `params` at time step `dt_ms`.
    pub fn new(params: &Lif, dt_ms: f64) -> Self {
        let adaptive = params.tau_theta_ms > 0.0;
        let refractory_steps = (params.refractory_ms / dt_ms - 1e-9).ceil().max(0.0);
        Self {
            dt: dt_ms as Real,
            inv_tau_m: (1.0 / params.tau_m_ms) as Real,
            resistance: params.resistance as Real,
            v_rest: params.v_rest_mv as Real,
            v_reset: params.v_reset_mv as Real,
            v_threshold: params.v_threshold_mv as Real,
            g_leak: params.conductance_leak as Real,
            theta_decay: if adaptive {
                (-dt_ms / params.tau_theta_ms).exp() as Real
            } else {
                1.0
            },
            theta_plus: if adaptive {
                params.theta_plus_mv as Real
            } else {
                0.0
            },
            rfr_open: ((refractory_steps - 0.5) * dt_ms) as Real,
            v_min: params.v_min_mv.map_or(Real::NEG_INFINITY, |v| v as Real),
            integration: params.integration,
        }
    }
}

/// State of a `Lif` population beside its [`Membrane`].
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifState {
    /// Adaptive threshold θ per neuron, mV.
    pub theta: Vec<Real>,
    /// Time since the last spike per neuron (ngc-learn's `rfr`), ms.
    pub rfr: Vec<Real>,
}

impl StateVariables for LifState {
    const VARIABLES: &'static [&'static str] = &["theta", "rfr"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        match name {
            "theta" => Some(&self.theta),
            "rfr" => Some(&self.rfr),
            _ => None,
        }
    }
    fn variable_mut(&mut self, name: &str) -> Option<&mut [Real]> {
        (name == "theta").then_some(self.theta.as_mut_slice())
    }
}

/// The arrays one `Lif` step reads and writes; all have the population's size.
pub struct LifSlices<'a> {
    /// Membrane potential, mV.
    pub v: &'a mut [Real],
    /// Adaptive threshold, mV.
    pub theta: &'a mut [Real],
    /// Time since the last spike, ms.
    pub rfr: &'a mut [Real],
    /// Input current (consumed: zeroed).
    pub current: &'a mut [Real],
    /// Voltage jumps in mV (consumed: zeroed).
    pub voltage_jump: &'a mut [Real],
    /// Output: 1 where the neuron spiked.
    pub flags: &'a mut [u8],
}

/// One step of every neuron (the pure kernel): integrate, threshold, reset, adapt.
pub fn lif_step(c: &LifConstants, s: LifSlices<'_>) {
    lif_step_with(c, c.integration, s);
}

/// [`lif_step`] with the constants of each neuron of the slices from `constants`: the
/// homogeneous [`LifConstants`] or a block of a heterogeneous population's
/// (`LifConstants<Sliced>`).
pub fn lif_step_with<C: ConstantsAt<LifConstants>>(
    constants: &C,
    integration: LifIntegration,
    s: LifSlices<'_>,
) {
    match integration {
        LifIntegration::Euler => lif_kernel::<false, C>(constants, s),
        LifIntegration::Rk2 => lif_kernel::<true, C>(constants, s),
    }
}

fn lif_kernel<const RK2: bool, C: ConstantsAt<LifConstants>>(constants: &C, s: LifSlices<'_>) {
    let n = s.v.len();
    let (theta, rfr) = (&mut s.theta[..n], &mut s.rfr[..n]);
    let (current, jump, flags) = (
        &mut s.current[..n],
        &mut s.voltage_jump[..n],
        &mut s.flags[..n],
    );
    for i in 0..n {
        let c = constants.at(i);
        let half_dt = c.dt * 0.5;
        let open: Real = if rfr[i] >= c.rfr_open { 1.0 } else { 0.0 };
        let j = current[i] * c.resistance * open;
        let f = |v: Real| ((c.v_rest - v) * c.g_leak + j) * c.inv_tau_m;
        let v = s.v[i];
        let mut v_new = if RK2 {
            v + c.dt * f(v + half_dt * f(v))
        } else {
            v + c.dt * f(v)
        };
        v_new += jump[i] * open;
        let spike = v_new > c.v_threshold + theta[i];
        flags[i] = u8::from(spike);
        let v_new = if spike { c.v_reset } else { v_new };
        s.v[i] = flush_denormal(v_new.max(c.v_min));
        rfr[i] = if spike { 0.0 } else { rfr[i] + c.dt };
        theta[i] =
            flush_denormal(theta[i] * c.theta_decay + if spike { c.theta_plus } else { 0.0 });
        current[i] = 0.0;
        jump[i] = 0.0;
    }
}

/// What [`lif_system`] reads and writes of each `Lif` population.
type LifPopulation<'a> = (
    &'a LifConstants,
    &'a mut LifState,
    &'a mut Membrane,
    &'a mut SynapticInput,
    &'a mut SpikeFlags,
    &'a mut Spikes,
    Option<&'a LifConstants<Columns>>,
);

/// [`Stage::NeuronStep`]: step every `Lif` population and write its spikes.
pub fn lif_system(executor: &Executor, mut populations: Query<LifPopulation<'_>>) {
    for (c, mut state, mut membrane, mut input, mut flags, mut spikes, per_neuron) in
        &mut populations
    {
        let (state, input) = (&mut *state, &mut *input);
        let n = membrane.v.len();
        let arrays = (
            &mut membrane.v[..],
            &mut state.theta[..],
            &mut state.rfr[..],
            &mut input.current[..n],
            &mut input.voltage_jump[..n],
            &mut flags.0[..n],
        );
        executor.for_each_block(
            n,
            arrays,
            |block, (v, theta, rfr, current, voltage_jump, flags)| {
                let s = LifSlices {
                    v,
                    theta,
                    rfr,
                    current,
                    voltage_jump,
                    flags,
                };
                match per_neuron {
                    None => lif_step(c, s),
                    Some(columns) => lif_step_with(&columns.block(block), c.integration, s),
                }
            },
        );
        write_spikes(&flags.0, &mut spikes);
    }
}

/// Registers the `Lif` model, its recordable state and its system.
pub struct LifPlugin;

impl Plugin for LifPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Lif>();
        sim.register_variables::<LifState>();
        sim.register_snapshot::<LifState>();
        sim.add_model_systems::<Lif, _>(Stage::NeuronStep, lif_system);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One neuron driven by `inputs` (current per step); returns (v, spike, theta, rfr) per step.
    fn run(params: &Lif, dt: f64, inputs: &[f64]) -> Vec<(f64, bool, f64, f64)> {
        let c = LifConstants::new(params, dt);
        let mut v = [params.v_init_mv.unwrap_or(params.v_rest_mv) as Real];
        let (mut theta, mut rfr) = ([0.0], [params.refractory_ms as Real]);
        let mut flags = [0u8];
        inputs
            .iter()
            .map(|&x| {
                let (mut cur, mut jump) = ([x as Real], [0.0]);
                lif_step(
                    &c,
                    LifSlices {
                        v: &mut v,
                        theta: &mut theta,
                        rfr: &mut rfr,
                        current: &mut cur,
                        voltage_jump: &mut jump,
                        flags: &mut flags,
                    },
                );
                assert_eq!(cur[0], 0.0);
                (
                    f64::from(v[0]),
                    flags[0] == 1,
                    f64::from(theta[0]),
                    f64::from(rfr[0]),
                )
            })
            .collect()
    }

    /// An independent f64 transcription of ngc-learn's `LIFCell.advance_state` (Euler).
    fn reference(p: &Lif, dt: f64, inputs: &[f64]) -> Vec<(f64, bool, f64)> {
        let (mut v, mut theta, mut rfr) = (p.v_rest_mv, 0.0, p.refractory_ms);
        let mut out = Vec::new();
        for &x in inputs {
            let j = x * p.resistance;
            let vthr = p.v_threshold_mv + theta;
            let mask = if rfr >= p.refractory_ms { 1.0 } else { 0.0 };
            v += dt / p.tau_m_ms * ((p.v_rest_mv - v) * p.conductance_leak + j * mask);
            let s = v > vthr;
            rfr = (rfr + dt) * if s { 0.0 } else { 1.0 };
            if s {
                v = p.v_reset_mv;
            }
            if p.tau_theta_ms > 0.0 {
                theta =
                    theta * (-dt / p.tau_theta_ms).exp() + if s { p.theta_plus_mv } else { 0.0 };
            }
            out.push((v, s, theta));
        }
        out
    }

    #[test]
    fn ngclearn_upstream_test_spikes_at_steps_2_and_10() {
        // ngc-learn's LIFCell defaults, adaptive threshold included (tau_theta 1e7).
        let p = Lif {
            tau_m_ms: 5.0,
            resistance: 30.0,
            tau_theta_ms: 1e7,
            ..Lif::default()
        };
        let x = [1., 1., 1., 1., 1., 0., 0., 1., 1., 1., 1., 1., 1., 0.];
        let out = run(&p, 1.0, &x);
        let spikes: Vec<usize> = (0..x.len()).filter(|&k| out[k].1).collect();
        assert_eq!(spikes, vec![2, 10]);
        // Hand computation: v0 = −65, v1 = −65 + (0 + 30)/5 = −59, v2 = −59 + (−6 + 30)/5.
        assert!((out[0].0 + 59.0).abs() < 1e-5);
        assert!((out[1].0 + 54.2).abs() < 1e-5);
        assert_eq!(out[2].0, -60.0);
        // Refractory: input gated for 5 steps (3..=7); the leak pulls v toward −65.
        assert!((out[3].0 + 61.0).abs() < 1e-5 && (out[7].0 + 63.3616).abs() < 1e-4);
        let r = reference(&p, 1.0, &x);
        for (k, (a, b)) in out.iter().zip(&r).enumerate() {
            assert_eq!(a.1, b.1, "step {k}");
            assert!((a.0 - b.0).abs() < 1e-4, "step {k}: {} vs {}", a.0, b.0);
            assert!(
                (a.2 - b.2).abs() < 1e-6,
                "step {k}: theta {} vs {}",
                a.2,
                b.2
            );
        }
    }

    #[test]
    fn defaults_are_a_plain_lif_without_adaptation() {
        let p = Lif {
            tau_m_ms: 5.0,
            resistance: 30.0,
            ..Lif::default()
        };
        assert_eq!(p.tau_theta_ms, 0.0);
        let x = [1.0; 40];
        let out = run(&p, 1.0, &x);
        assert!(out.iter().filter(|o| o.1).count() >= 3);
        assert!(out.iter().all(|o| o.2 == 0.0), "the threshold never moves");
    }

    #[test]
    fn matches_reference_with_adaptation_and_fractional_dt() {
        let p = Lif {
            tau_m_ms: 10.0,
            resistance: 2.0,
            tau_theta_ms: 50.0,
            theta_plus_mv: 2.0,
            refractory_ms: 1.5,
            ..Lif::default()
        };
        let dt = 0.5;
        let x: Vec<f64> = (0..400).map(|k| 10.0 + (k % 7) as f64).collect();
        let out = run(&p, dt, &x);
        let r = reference(&p, dt, &x);
        let n_spikes = out.iter().filter(|o| o.1).count();
        assert!(n_spikes > 5, "{n_spikes}");
        for (k, (a, b)) in out.iter().zip(&r).enumerate() {
            assert_eq!(a.1, b.1, "step {k}");
            assert!((a.0 - b.0).abs() < 1e-3, "step {k}: {} vs {}", a.0, b.0);
            assert!(
                (a.2 - b.2).abs() < 1e-4,
                "step {k}: theta {} vs {}",
                a.2,
                b.2
            );
        }
        // The threshold rises by theta_plus per spike and decays in between.
        let first = out.iter().position(|o| o.1).unwrap();
        assert!((out[first].2 - 2.0).abs() < 1e-6);
        assert!((out[first + 1].2 - 2.0 * (-0.01f64).exp()).abs() < 1e-5);
    }

    #[test]
    fn rk2_is_the_midpoint_rule() {
        let p = Lif {
            integration: LifIntegration::Rk2,
            tau_m_ms: 4.0,
            refractory_ms: 0.0,
            ..Lif::default()
        };
        let out = run(&p, 1.0, &[8.0, 8.0]);
        let f = |v: f64| (-65.0 - v + 8.0) / 4.0;
        let mut v = -65.0;
        for o in &out {
            v += f(v + 0.5 * f(v));
            assert!((o.0 - v).abs() < 1e-5, "{} vs {v}", o.0);
        }
    }

    #[test]
    fn refractory_mask_gates_jumps_and_rfr_counts_time() {
        let p = Lif {
            refractory_ms: 2.0,
            tau_theta_ms: 0.0,
            ..Lif::default()
        };
        let c = LifConstants::new(&p, 1.0);
        let (mut v, mut theta, mut rfr, mut flags) = ([-65.0], [0.0], [2.0], [0u8]);
        let mut step = |jump: Real| {
            let (mut cur, mut j) = ([0.0], [jump]);
            lif_step(
                &c,
                LifSlices {
                    v: &mut v,
                    theta: &mut theta,
                    rfr: &mut rfr,
                    current: &mut cur,
                    voltage_jump: &mut j,
                    flags: &mut flags,
                },
            );
            (v[0], flags[0], rfr[0], j[0])
        };
        // A 20 mV jump from rest crosses −52: spike, reset to −60, rfr = 0.
        assert_eq!(step(20.0), (-60.0, 1, 0.0, 0.0));
        // Two gated steps: the jump is ignored, the leak acts: −60 + (−5)/20.
        let (v1, s1, r1, _) = step(20.0);
        assert!((v1 + 60.25).abs() < 1e-5 && s1 == 0 && r1 == 1.0);
        let (_, s2, r2, _) = step(20.0);
        assert!(s2 == 0 && r2 == 2.0);
        // Open again: the jump acts.
        assert_eq!(step(20.0).1, 1);
        assert_eq!(theta[0], 0.0, "tau_theta 0 disables adaptation");
    }

    #[test]
    fn v_min_clamps_after_reset() {
        let p = Lif {
            v_min_mv: Some(-66.0),
            refractory_ms: 0.0,
            ..Lif::default()
        };
        let out = run(&p, 1.0, &[-400.0, -400.0]);
        assert_eq!(out[0].0, -66.0);
        assert_eq!(out[1].0, -66.0);
    }

    #[test]
    fn validation_names_field_and_value() {
        let bad = |p: Lif| Model::validate(&p).unwrap_err().to_string();
        assert_eq!(
            bad(Lif {
                tau_m_ms: -3.0,
                ..Lif::default()
            }),
            "tau_m_ms must be > 0, got -3"
        );
        assert_eq!(
            bad(Lif {
                v_reset_mv: -40.0,
                ..Lif::default()
            }),
            "v_threshold_mv must be greater than v_reset_mv (-40), got -52"
        );
        assert!(
            bad(Lif {
                refractory_ms: -1.0,
                ..Lif::default()
            })
            .starts_with("refractory_ms must be >= 0")
        );
    }
}
