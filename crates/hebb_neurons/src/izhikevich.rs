//! # `Izhikevich` — Izhikevich (2003) neuron (NEST `izhikevich`)
//!
//! With `I = I_e + I_stim` (`I_stim` = `SynapticInput.current`, held over the step) and `J` =
//! `SynapticInput.voltage_jump` (mV, e.g. from `Delta(target: Voltage)` projections: NEST's spike
//! input adds the weight to v):
//!
//! ```text
//! dv/dt = 0.04·v² + 5·v + 140 − u + I        du/dt = a·(b·v − u)
//! if v >= V_th: v ← c, u ← u + d
//! ```
//!
//! NEST's two integration schemes, step h:
//!
//! ```text
//! Consistent (NEST's default, consistent_integration = true): forward Euler from the old state
//!   v' = v + h·(0.04v² + 5v + 140 − u + I) + J        u' = u + h·a·(b·v − u)
//! Published (consistent_integration = false, the 2003 paper's code): two half steps of v, then u
//!   from the new v
//!   v ← v + h/2·(0.04v² + 5v + 140 − u + I + J)  (twice)        u ← u + h·a·(b·v − u)
//! then v ← max(v, V_min); if v >= V_th: spike, v ← c, u ← u + d
//! ```
//!
//! (The published scheme adds the jump inside both half steps, so it acts as `h·J`: NEST's
//! code, kept as is.) The state is kept and integrated in `f64`, as in NEST: the model is an
//! oscillator whose spike phase drifts when the state is rounded to f32 every step (the
//! fast-spiking set then loses NEST's spike steps after ~100 ms). [`Membrane`]`.v` and `u` are
//! f32 ([`Real`]) copies for recorders and synapses; a value written into `Membrane.v` from
//! outside (an initial condition) is picked up. A spike is recorded in the step it crosses; the recorded v is after the reset.
//! NEST's `I_stim` is the current that arrived in the previous step: a NEST `dc_generator`
//! acting from step k is a hebb `StepCurrent` section starting at step k.
//!
//! Recordable variables: `v` (mV, [`Membrane`]), `u`.
//!
//! ## Parameters
//! | name | unit | default | NEST | meaning |
//! |---|---|---|---|---|
//! | `a` | 1/ms | 0.02 | `a` | recovery time scale |
//! | `b` | 1/ms | 0.2 | `b` | recovery sensitivity to v |
//! | `c_mv` | mV | −65 | `c` | reset of v |
//! | `d` | mV/ms | 8 | `d` | increment of u at a spike |
//! | `v_th_mv` | mV | 30 | `V_th` | spike cut-off (`v >= V_th`) |
//! | `v_min_mv` | mV | none (−∞) | `V_min` | lower bound of v |
//! | `i_e` | mV/ms | 0 | `I_e` | constant input (NEST calls its unit pA) |
//! | `v_init_mv` | mV | −65 | `V_m` | initial v |
//! | `u_init` | mV/ms | none: `b·v_init` | `U_m` | initial u (NEST's default is −13 whatever b) |
//! | `integration` | — | `Consistent` | `consistent_integration` | `Consistent` or `Published` |
//!
//! Parameter sets of Izhikevich (2003): regular spiking a=0.02 b=0.2 c=−65 d=8; fast spiking
//! a=0.1 b=0.2 c=−65 d=2; chattering a=0.02 b=0.2 c=−50 d=2; intrinsically bursting a=0.02
//! b=0.2 c=−55 d=4.
//!
//! Reference: NEST 3.10 `models/izhikevich.cpp`; Izhikevich (2003), IEEE Trans. Neural Netw.
//! 14:1569–1572.

use hebb_core::initial::NeuronParams;
use hebb_core::per_neuron::{Columns, ConstantsAt, Layout, Shared};
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::spiking::{SpikeFlags, write_spikes};

/// NEST's two integration schemes of `izhikevich`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum IzhikevichIntegration {
    /// Forward Euler from the old state (NEST `consistent_integration: true`, its default).
    #[default]
    Consistent,
    /// The 2003 paper's scheme: two half steps of v, then u from the new v.
    Published,
}

/// `Izhikevich` params (scene name `Izhikevich`), NEST's defaults (regular spiking).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Izhikevich {
    /// Recovery time scale, 1/ms. Default 0.02.
    pub a: f64,
    /// Recovery sensitivity, 1/ms. Default 0.2.
    pub b: f64,
    /// Reset of v in mV. Default −65.
    pub c_mv: f64,
    /// Increment of u at a spike. Default 8.
    pub d: f64,
    /// Spike cut-off in mV. Default 30.
    pub v_th_mv: f64,
    /// Lower bound of v in mV. Default none.
    pub v_min_mv: Option<f64>,
    /// Constant input. Default 0.
    pub i_e: f64,
    /// Initial v in mV. Default −65.
    pub v_init_mv: f64,
    /// Initial u. Default none: `b · v_init_mv`.
    pub u_init: Option<f64>,
    /// Integration scheme. Default `Consistent`.
    pub integration: IzhikevichIntegration,
}

impl Default for Izhikevich {
    fn default() -> Self {
        Self {
            a: 0.02,
            b: 0.2,
            c_mv: -65.0,
            d: 8.0,
            v_th_mv: 30.0,
            v_min_mv: None,
            i_e: 0.0,
            v_init_mv: -65.0,
            u_init: None,
            integration: IzhikevichIntegration::Consistent,
        }
    }
}

impl Model for Izhikevich {
    const NAME: &'static str = "Izhikevich";
    const KIND: ModelKind = ModelKind::Neuron;
    const SUMMARY: &'static str = "Izhikevich (2003) neuron, NEST izhikevich (both schemes)";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "a",
            unit: "1/ms",
            doc: "recovery time scale",
        },
        ParamDoc {
            name: "b",
            unit: "1/ms",
            doc: "recovery sensitivity to v",
        },
        ParamDoc {
            name: "c_mv",
            unit: "mV",
            doc: "reset of v",
        },
        ParamDoc {
            name: "d",
            unit: "mV/ms",
            doc: "increment of u at a spike",
        },
        ParamDoc {
            name: "v_th_mv",
            unit: "mV",
            doc: "spike cut-off, spike when v >= V_th",
        },
        ParamDoc {
            name: "v_min_mv",
            unit: "mV",
            doc: "optional lower bound of v (default none)",
        },
        ParamDoc {
            name: "i_e",
            unit: "mV/ms",
            doc: "constant input current (NEST I_e)",
        },
        ParamDoc {
            name: "v_init_mv",
            unit: "mV",
            doc: "initial v",
        },
        ParamDoc {
            name: "u_init",
            unit: "mV/ms",
            doc: "initial u (default b·v_init; NEST keeps -13 whatever b)",
        },
        ParamDoc {
            name: "integration",
            unit: "-",
            doc: "Consistent (forward Euler, NEST default) or Published (2003 half steps)",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::finite("a", self.a)?;
        check::finite("b", self.b)?;
        check::finite("c_mv", self.c_mv)?;
        check::finite("d", self.d)?;
        check::finite("v_th_mv", self.v_th_mv)?;
        check::less_than("c_mv", self.c_mv, "v_th_mv", self.v_th_mv)?;
        if let Some(v_min) = self.v_min_mv {
            check::finite("v_min_mv", v_min)?;
            check::less_than("v_min_mv", v_min, "v_th_mv", self.v_th_mv)?;
        }
        check::finite("i_e", self.i_e)?;
        check::finite("v_init_mv", self.v_init_mv)?;
        if let Some(u) = self.u_init {
            check::finite("u_init", u)?;
        }
        Ok(())
    }

    hebb_core::per_neuron_fields!(a, b, c_mv, d, v_th_mv, i_e);

    /// Per-neuron constants; without `u_init`, each neuron's u starts at its own `b·v_init_mv`.
    fn attach_per_neuron(
        &self,
        ctx: &mut AttachContext<'_>,
        per_neuron: &NeuronParams,
    ) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        let owner = format!("population `{}`", ctx.name);
        let dt_ms = ctx.dt_ms;
        let each = per_neuron.each_neuron(self, size, &owner, |_, p| {
            let u0 = p.u_init.unwrap_or(p.b * p.v_init_mv);
            Ok((IzhikevichConstants::new(p, dt_ms), u0))
        })?;
        let constants: Vec<IzhikevichConstants> = each.iter().map(|e| e.0).collect();
        let mut entity = ctx.entity_mut();
        if let Some(mut state) = entity.get_mut::<IzhikevichState>() {
            let state = &mut *state;
            for ((u, u_f64), e) in state.u.iter_mut().zip(&mut state.u_f64).zip(&each) {
                (*u, *u_f64) = (e.1 as Real, e.1);
            }
        }
        entity.insert(IzhikevichConstants::gather(&constants));
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        let u = self.u_init.unwrap_or(self.b * self.v_init_mv);
        let constants = IzhikevichConstants::new(self, ctx.dt_ms);
        ctx.entity_mut().insert((
            constants,
            IzhikevichState {
                u: vec![u as Real; size],
                v_f64: vec![self.v_init_mv; size],
                u_f64: vec![u; size],
            },
            Membrane {
                v: vec![self.v_init_mv as Real; size],
            },
            SpikeFlags::new(size),
        ));
        Ok(())
    }
}

/// Per-step constants of an `Izhikevich` population: one value each (`IzhikevichConstants`),
/// or, for a population with per-neuron params, one value or one per neuron each
/// (`IzhikevichConstants<Columns>`, see [`hebb_core::per_neuron`]).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct IzhikevichConstants<L: Layout = Shared> {
    /// Step h, ms.
    pub h: f64,
    /// See [`Izhikevich`].
    pub a: L::Of<f64>,
    /// See [`Izhikevich`].
    pub b: L::Of<f64>,
    /// Reset of v.
    pub c: L::Of<f64>,
    /// Increment of u.
    pub d: L::Of<f64>,
    /// Cut-off.
    pub v_th: L::Of<f64>,
    /// Lower bound (−∞ without one).
    pub v_min: f64,
    /// Constant input.
    pub i_e: L::Of<f64>,
    /// Scheme.
    pub integration: IzhikevichIntegration,
}

impl Copy for IzhikevichConstants {}

hebb_core::per_neuron_constants!(IzhikevichConstants {
    varying: [a, b, c, d, v_th, i_e],
    shared: [h, v_min, integration],
});

impl IzhikevichConstants {
    /// The constants of `p` at step `h_ms`.
    pub fn new(p: &Izhikevich, h_ms: f64) -> Self {
        Self {
            h: h_ms,
            a: p.a,
            b: p.b,
            c: p.c_mv,
            d: p.d,
            v_th: p.v_th_mv,
            v_min: p.v_min_mv.unwrap_or(f64::NEG_INFINITY),
            i_e: p.i_e,
            integration: p.integration,
        }
    }
}

/// State of an `Izhikevich` population beside its [`Membrane`].
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IzhikevichState {
    /// Recovery variable u (the f32 copy that recorders read; a value changed from outside,
    /// e.g. by `initial`, is taken over).
    pub u: Vec<Real>,
    /// Membrane potential, the integrated `f64` state (`Membrane.v` is its copy).
    pub v_f64: Vec<f64>,
    /// Recovery variable, the integrated `f64` state.
    pub u_f64: Vec<f64>,
}

impl StateVariables for IzhikevichState {
    const VARIABLES: &'static [&'static str] = &["u"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        (name == "u").then_some(self.u.as_slice())
    }
    fn variable_mut(&mut self, name: &str) -> Option<&mut [Real]> {
        (name == "u").then_some(self.u.as_mut_slice())
    }
}

/// The arrays one `Izhikevich` step reads and writes, one value per neuron of a block (all of
/// the same length).
pub struct IzhikevichSlices<'a> {
    /// Membrane potential v, mV (f32 copy; a value changed from outside is taken over).
    pub v: &'a mut [Real],
    /// Recovery variable u (f32 copy; a value changed from outside is taken over).
    pub u: &'a mut [Real],
    /// The integrated v in `f64`.
    pub v_f64: &'a mut [f64],
    /// The integrated u in `f64`.
    pub u_f64: &'a mut [f64],
    /// Input current (consumed: zeroed).
    pub current: &'a mut [Real],
    /// Voltage jumps in mV (consumed).
    pub voltage_jump: &'a mut [Real],
    /// Output: 1 where the neuron spiked.
    pub flags: &'a mut [u8],
}

/// One step of every neuron of the slices (the pure kernel), NEST's `izhikevich::update`.
pub fn izhikevich_step(c: &IzhikevichConstants, s: IzhikevichSlices<'_>) {
    izhikevich_step_with(c, c.integration, s);
}

/// [`izhikevich_step`] with the constants of each neuron of the slices from `constants`: the
/// homogeneous [`IzhikevichConstants`] or a block of a heterogeneous population's.
pub fn izhikevich_step_with<C: ConstantsAt<IzhikevichConstants>>(
    constants: &C,
    integration: IzhikevichIntegration,
    s: IzhikevichSlices<'_>,
) {
    match integration {
        IzhikevichIntegration::Consistent => izhikevich_kernel::<true, C>(constants, s),
        IzhikevichIntegration::Published => izhikevich_kernel::<false, C>(constants, s),
    }
}

fn izhikevich_kernel<const CONSISTENT: bool, C: ConstantsAt<IzhikevichConstants>>(
    constants: &C,
    s: IzhikevichSlices<'_>,
) {
    let n = s.v.len();
    let (u, v64, u64) = (&mut s.u[..n], &mut s.v_f64[..n], &mut s.u_f64[..n]);
    let (current, jump, flags) = (
        &mut s.current[..n],
        &mut s.voltage_jump[..n],
        &mut s.flags[..n],
    );
    let mut any_jump = 0u32;
    for i in 0..n {
        let c = constants.at(i);
        let h = c.h;
        // The f64 state, unless V was changed from outside since the last step.
        let mut v = if s.v[i] == v64[i] as Real {
            v64[i]
        } else {
            f64::from(s.v[i])
        };
        let mut ui = if u[i] == u64[i] as Real {
            u64[i]
        } else {
            f64::from(u[i])
        };
        let (i_stim, i_e) = (f64::from(current[i]), c.i_e);
        any_jump |= jump[i].to_bits();
        let j = f64::from(jump[i]);
        if CONSISTENT {
            let (v_old, u_old) = (v, ui);
            v += h * (0.04 * v_old * v_old + 5.0 * v_old + 140.0 - u_old + i_stim + i_e) + j;
            ui += h * c.a * (c.b * v_old - u_old);
        } else {
            v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - ui + i_stim + i_e + j);
            v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - ui + i_stim + i_e + j);
            ui += h * c.a * (c.b * v - ui);
        }
        v = if v < c.v_min { c.v_min } else { v };
        let spike = v >= c.v_th;
        if spike {
            v = c.c;
            ui += c.d;
        }
        flags[i] = u8::from(spike);
        (v64[i], u64[i]) = (v, ui);
        s.v[i] = v as Real;
        u[i] = ui as Real;
        current[i] = 0.0;
    }
    if any_jump != 0 {
        jump.fill(0.0);
    }
}

/// The `Izhikevich` populations, as [`izhikevich_system`] reads and writes them.
type IzhikevichPopulation<'a> = (
    &'a IzhikevichConstants,
    &'a mut IzhikevichState,
    &'a mut Membrane,
    &'a mut SynapticInput,
    &'a mut SpikeFlags,
    &'a mut Spikes,
    Option<&'a IzhikevichConstants<Columns>>,
);

/// [`Stage::NeuronStep`]: step every `Izhikevich` population and write its spikes; each
/// partition of the [`Executor`] steps its block of neurons (one block with one thread).
pub fn izhikevich_system(executor: &Executor, mut populations: Query<IzhikevichPopulation<'_>>) {
    for (c, mut state, mut membrane, mut input, mut flags, mut spikes, per_neuron) in
        &mut populations
    {
        let (st, input) = (&mut *state, &mut *input);
        let n = membrane.v.len();
        let step = |p: usize, (((v, u), (v_f64, u_f64)), ((current, voltage_jump), flags))| {
            let s = IzhikevichSlices {
                v,
                u,
                v_f64,
                u_f64,
                current,
                voltage_jump,
                flags,
            };
            match per_neuron {
                None => izhikevich_step(c, s),
                Some(columns) => {
                    izhikevich_step_with(&columns.block(executor.block(n, p)), c.integration, s);
                }
            }
        };
        if executor.is_single() {
            step(
                0,
                (
                    (
                        (&mut membrane.v[..], &mut st.u[..n]),
                        (&mut st.v_f64[..n], &mut st.u_f64[..n]),
                    ),
                    (
                        (&mut input.current[..n], &mut input.voltage_jump[..n]),
                        &mut flags.0[..n],
                    ),
                ),
            );
        } else {
            let work = executor
                .split_mut(&mut membrane.v)
                .zip(executor.split_mut(&mut st.u[..n]))
                .zip(
                    executor
                        .split_mut(&mut st.v_f64[..n])
                        .zip(executor.split_mut(&mut st.u_f64[..n])),
                )
                .zip(
                    executor
                        .split_mut(&mut input.current[..n])
                        .zip(executor.split_mut(&mut input.voltage_jump[..n]))
                        .zip(executor.split_mut(&mut flags.0[..n])),
                );
            executor.for_each_part(work, step);
        }
        write_spikes(&flags.0, &mut spikes);
    }
}

/// Registers the `Izhikevich` model, its variable `u` and its system.
pub struct IzhikevichPlugin;

impl Plugin for IzhikevichPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<Izhikevich>();
        sim.register_variables::<IzhikevichState>();
        sim.register_snapshot::<IzhikevichState>();
        sim.add_model_systems::<Izhikevich, _>(Stage::NeuronStep, izhikevich_system);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p: &Izhikevich, steps: usize) -> (Vec<(f64, f64)>, Vec<usize>) {
        let c = IzhikevichConstants::new(p, 0.1);
        let u0 = p.u_init.unwrap_or(p.b * p.v_init_mv);
        let (mut v, mut flags) = ([p.v_init_mv as Real], [0u8]);
        let mut state = IzhikevichState {
            u: vec![u0 as Real],
            v_f64: vec![p.v_init_mv],
            u_f64: vec![u0],
        };
        let mut trace = Vec::new();
        let mut spikes = Vec::new();
        for k in 0..steps {
            izhikevich_step(
                &c,
                IzhikevichSlices {
                    v: &mut v,
                    u: &mut state.u,
                    v_f64: &mut state.v_f64,
                    u_f64: &mut state.u_f64,
                    current: &mut [0.0],
                    voltage_jump: &mut [0.0],
                    flags: &mut flags,
                },
            );
            trace.push((f64::from(v[0]), f64::from(state.u[0])));
            if flags[0] == 1 {
                spikes.push(k);
            }
        }
        (trace, spikes)
    }

    #[test]
    fn first_euler_step_by_hand() {
        let p = Izhikevich {
            i_e: 10.0,
            ..Izhikevich::default()
        };
        let (trace, _) = run(&p, 1);
        // v = −65 + 0.1·(0.04·4225 − 325 + 140 + 13 + 10) = −65 + 0.1·7 = −64.3; u unchanged
        // (b·v − u = 0).
        assert!((trace[0].0 + 64.3).abs() < 1e-5, "{}", trace[0].0);
        assert!((trace[0].1 + 13.0).abs() < 1e-6);
    }

    #[test]
    fn spikes_reset_v_and_increment_u() {
        let p = Izhikevich {
            i_e: 10.0,
            ..Izhikevich::default()
        };
        let (trace, spikes) = run(&p, 1000);
        assert!(!spikes.is_empty());
        let k = spikes[0];
        assert_eq!(trace[k].0, -65.0);
        assert!(trace[k].1 - trace[k - 1].1 > 7.9);
        let quiet = run(&Izhikevich::default(), 1000).1;
        assert!(quiet.is_empty(), "no input, no spikes");
    }

    #[test]
    fn a_membrane_value_set_from_outside_is_taken_over() {
        let c = IzhikevichConstants::new(&Izhikevich::default(), 0.1);
        let mut state = IzhikevichState {
            u: vec![-13.0; 2],
            v_f64: vec![-65.0; 2],
            u_f64: vec![-13.0; 2],
        };
        let mut v = [-65.0, -50.0];
        izhikevich_step(
            &c,
            IzhikevichSlices {
                v: &mut v,
                u: &mut state.u,
                v_f64: &mut state.v_f64,
                u_f64: &mut state.u_f64,
                current: &mut [0.0; 2],
                voltage_jump: &mut [0.0; 2],
                flags: &mut [0; 2],
            },
        );
        // Neuron 0 from −65 (the f64 state), neuron 1 from −50 (set from outside).
        // dv = 0.1·(0.04·4225 − 325 + 140 + 13) = −0.3
        assert!((state.v_f64[0] + 65.3).abs() < 1e-9, "{}", state.v_f64[0]);
        let dv = 0.1 * (0.04 * 2500.0 - 250.0 + 140.0 + 13.0);
        assert!(
            (state.v_f64[1] - (-50.0 + dv)).abs() < 1e-9,
            "{}",
            state.v_f64[1]
        );
        assert_eq!(v[1], state.v_f64[1] as Real);
    }

    #[test]
    fn validation() {
        let e = Model::validate(&Izhikevich {
            c_mv: 40.0,
            ..Izhikevich::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("c_mv"), "{e}");
    }
}
