//! # `LifRef` — leaky integrate-and-fire with a refractory period (BrainPy's `LifRef`)
//!
//! BrainPy's `bp.dyn.LifRef` in non-training mode (docs/upstream-models.md §4), integrated exactly for an
//! input that is constant over the step (`exp_auto`). With `I` = `SynapticInput.current` (the
//! sum of external and synaptic currents, conductance currents computed with the previous V):
//!
//! ```text
//! V' = V_rest + R·I + (V − V_rest − R·I)·e^(−dt/τ) + jump     (jump: SynapticInput.voltage_jump)
//! V' = refractory ? V : V'                                   (held while refractory)
//! s  = [V' >= V_th]                                          (inclusive)
//! V' = s ? V_reset : V'                                      (reset in the same step)
//! ```
//!
//! Refractoriness is counted in whole steps: a neuron that spikes at step k is held at steps
//! k+1 … k+n with `n = ⌊tau_ref/dt⌋`. BrainPy tests `t − t_last <= tau_ref` on float times,
//! which is the same in exact arithmetic but can lose the last step when `t − t_last` rounds
//! above `tau_ref` (e.g. tau_ref 0.3 ms at dt 0.1 ms: BrainPy may hold 2 steps, hebb holds 3).
//! `tau_ref_ms = 0` (the default) means no refractory period. A `tau_ref_ms` that is not a whole
//! number of steps is a build error, as a delay off the grid is.
//!
//! Recordable variable: `v` (mV, after reset).
//!
//! ## Parameters
//! | name | unit | default | BrainPy | meaning |
//! |---|---|---|---|---|
//! | `tau_ms` | ms | 10 | `tau` | membrane time constant |
//! | `resistance` | mV per input unit | 1 | `R` | membrane resistance |
//! | `v_rest_mv` | mV | 0 | `V_rest` | resting potential |
//! | `v_reset_mv` | mV | −5 | `V_reset` | reset potential (< threshold) |
//! | `v_threshold_mv` | mV | 20 | `V_th` | threshold (`V >= V_th`) |
//! | `tau_ref_ms` | ms | 0 | `tau_ref` | refractory period (a whole number of steps) |
//! | `v_init_mv` | mV | 0 | `V_initializer` (ZeroInit) | initial potential |
//! | `v_init_uniform_mv` | mV | none | `V_initializer` (Uniform) | `(low, high)`: initial potentials uniform per neuron |
//! | `bias_current` | input | 0 | `x_ext` (constant) | constant input added every step (V_rest + R·bias is the resting steady state) |
//!
//! Not implemented: TrainingMode's surrogate spike and soft reset.
//!
//! Reference: BrainPy `brainpy/dyn/neurons/lif.py::LifRef` (v2.8.2).

use hebb_core::initial::NeuronParams;
use hebb_core::per_neuron::{Columns, ConstantsAt, Layout, Shared, Sliced};
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use hebb_core::parallel::PerPartition;

use crate::spiking::{
    BlockSpikes, SpikeFlags, collect_spikes, flush_denormal, set_spikes, whole_steps, write_spikes,
};

/// `LifRef` params (scene name `LifRef`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LifRef {
    /// Membrane time constant in ms. Default 10.
    pub tau_ms: f64,
    /// Membrane resistance. Default 1.
    pub resistance: f64,
    /// Resting potential in mV. Default 0.
    pub v_rest_mv: f64,
    /// Reset potential in mV. Default −5.
    pub v_reset_mv: f64,
    /// Threshold in mV (spike when `V >= V_th`). Default 20.
    pub v_threshold_mv: f64,
    /// Refractory period in ms. Default 0.
    pub tau_ref_ms: f64,
    /// Initial potential in mV. Default 0.
    pub v_init_mv: f64,
    /// Initial potentials drawn uniformly per neuron in `[low, high)` mV from the population's
    /// `"v_init"` streams, one per neuron (Brian2's `v = 'Vr + rand() * (Vt - Vr)'`); overrides
    /// `v_init_mv`.
    /// Default none.
    pub v_init_uniform_mv: Option<(f64, f64)>,
    /// A constant input current added every step (BrainPy's `x_ext`, Brian2's bias `I` term
    /// in mV with R = 1). Default 0.
    pub bias_current: f64,
}

impl Default for LifRef {
    fn default() -> Self {
        Self {
            tau_ms: 10.0,
            resistance: 1.0,
            v_rest_mv: 0.0,
            v_reset_mv: -5.0,
            v_threshold_mv: 20.0,
            tau_ref_ms: 0.0,
            v_init_mv: 0.0,
            v_init_uniform_mv: None,
            bias_current: 0.0,
        }
    }
}

impl Model for LifRef {
    const NAME: &'static str = "LifRef";
    const KIND: ModelKind = ModelKind::Neuron;
    const SUMMARY: &'static str =
        "leaky integrate-and-fire with refractory period, BrainPy LifRef (exact integration)";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "tau_ms",
            unit: "ms",
            doc: "membrane time constant",
        },
        ParamDoc {
            name: "resistance",
            unit: "mV/input",
            doc: "membrane resistance R",
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
            doc: "threshold; spike when V >= threshold",
        },
        ParamDoc {
            name: "tau_ref_ms",
            unit: "ms",
            doc: "refractory period (V held), whole steps floor(tau_ref/dt)",
        },
        ParamDoc {
            name: "v_init_mv",
            unit: "mV",
            doc: "initial potential",
        },
        ParamDoc {
            name: "v_init_uniform_mv",
            unit: "mV",
            doc: "optional (low, high): initial potentials uniform per neuron, overrides v_init_mv",
        },
        ParamDoc {
            name: "bias_current",
            unit: "input",
            doc: "constant input current added every step",
        },
    ];

    hebb_core::per_neuron_fields!(
        tau_ms,
        resistance,
        v_rest_mv,
        v_reset_mv,
        v_threshold_mv,
        tau_ref_ms,
        bias_current
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
            whole_steps("tau_ref_ms", p.tau_ref_ms, dt_ms)?;
            Ok(LifRefConstants::new(p, dt_ms))
        })?;
        ctx.entity_mut().insert(LifRefConstants::gather(&each));
        Ok(())
    }

    fn validate(&self) -> Result<(), ParamError> {
        check::positive("tau_ms", self.tau_ms)?;
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
        check::non_negative("tau_ref_ms", self.tau_ref_ms)?;
        check::finite("v_init_mv", self.v_init_mv)?;
        if let Some((low, high)) = self.v_init_uniform_mv {
            check::finite("v_init_uniform_mv.0", low)?;
            check::less_than("v_init_uniform_mv.0", low, "v_init_uniform_mv.1", high)?;
        }
        check::finite("bias_current", self.bias_current)?;
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let size = ctx.population_size(Self::NAME)?;
        // Like a delay, the refractory period must lie on the time grid (never silently
        // rounded).
        whole_steps("tau_ref_ms", self.tau_ref_ms, ctx.dt_ms)
            .map_err(|e| BuildError::param(format!("population `{}`", ctx.name), e))?;
        let constants = LifRefConstants::new(self, ctx.dt_ms);
        let v: Vec<Real> = match self.v_init_uniform_mv {
            Some((low, high)) => {
                use rand::RngExt;
                let streams = ctx.streams("v_init");
                (0..size)
                    .map(|i| streams.stream(i as u64).random_range(low..high) as Real)
                    .collect()
            }
            None => vec![self.v_init_mv as Real; size],
        };
        ctx.entity_mut().insert((
            constants,
            LifRefState {
                refractory_left: vec![0; size],
            },
            Membrane { v },
            SpikeFlags::new(size),
        ));
        Ok(())
    }
}

/// Per-step constants of a `LifRef` population: one value each (`LifRefConstants`, the
/// default [`Shared`] layout), or, for a population with per-neuron params, one value or one
/// per neuron each (`LifRefConstants<Columns>`, see [`hebb_core::per_neuron`]).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct LifRefConstants<L: Layout = Shared> {
    /// `e^(−dt/τ)`.
    pub decay: L::Of<Real>,
    /// Membrane resistance.
    pub resistance: L::Of<Real>,
    /// Resting potential plus `R · bias_current`, mV: the steady state without synaptic input.
    pub v_rest: L::Of<Real>,
    /// Reset potential, mV.
    pub v_reset: L::Of<Real>,
    /// Threshold, mV.
    pub v_threshold: L::Of<Real>,
    /// Steps held after a spike, `⌊tau_ref/dt⌋`.
    pub refractory_steps: L::Of<u32>,
}

impl Copy for LifRefConstants {}

hebb_core::per_neuron_constants!(LifRefConstants {
    varying: [
        decay,
        resistance,
        v_rest,
        v_reset,
        v_threshold,
        refractory_steps
    ]
});

impl LifRefConstants {
    /// The constants of `params` at time step `dt_ms`.
    pub fn new(params: &LifRef, dt_ms: f64) -> Self {
        let steps = (params.tau_ref_ms / dt_ms + 1e-9).floor();
        Self {
            decay: (-dt_ms / params.tau_ms).exp() as Real,
            resistance: params.resistance as Real,
            v_rest: (params.v_rest_mv + params.resistance * params.bias_current) as Real,
            v_reset: params.v_reset_mv as Real,
            v_threshold: params.v_threshold_mv as Real,
            refractory_steps: steps.min(f64::from(u32::MAX)) as u32,
        }
    }
}

/// State of a `LifRef` population beside its [`Membrane`].
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifRefState {
    /// Steps each neuron is still held (0: free).
    pub refractory_left: Vec<u32>,
}

/// The arrays one `LifRef` step reads and writes; all have the population's size.
pub struct LifRefSlices<'a> {
    /// Membrane potential, mV.
    pub v: &'a mut [Real],
    /// Refractory steps left.
    pub refractory_left: &'a mut [u32],
    /// Input current (consumed: zeroed).
    pub current: &'a mut [Real],
    /// Voltage jumps in mV (consumed: zeroed).
    pub voltage_jump: &'a mut [Real],
    /// Output: 1 where the neuron spiked.
    pub flags: &'a mut [u8],
}

/// One step of every neuron (the pure kernel).
pub fn lif_ref_step(c: &LifRefConstants, s: LifRefSlices<'_>) {
    lif_ref_step_with(c, s);
}

/// [`lif_ref_step`] with the constants of each neuron of the slices from `constants`: the
/// homogeneous [`LifRefConstants`] (then the same code as [`lif_ref_step`]) or a block of a
/// heterogeneous population's (`LifRefConstants<Sliced>`).
#[inline]
pub fn lif_ref_step_with<C: ConstantsAt<LifRefConstants>>(constants: &C, s: LifRefSlices<'_>) {
    let n = s.v.len();
    let (left, current) = (&mut s.refractory_left[..n], &mut s.current[..n]);
    let (jump, flags) = (&mut s.voltage_jump[..n], &mut s.flags[..n]);
    // Voltage jumps are rare (delta synapses onto V only): instead of storing a zero into every
    // entry each step, OR their bits together and clear the array only when one was set (-0.0
    // included), which leaves the same all-zero array and saves one store per neuron.
    let mut any_jump = 0u32;
    for i in 0..n {
        let c = constants.at(i);
        let v = s.v[i];
        let left_i = left[i];
        any_jump |= jump[i].to_bits();
        let v_inf = c.v_rest + c.resistance * current[i];
        let v_new = flush_denormal(v_inf + (v - v_inf) * c.decay + jump[i]);
        let v_new = if left_i > 0 { v } else { v_new };
        let spike = v_new >= c.v_threshold;
        flags[i] = u8::from(spike);
        s.v[i] = if spike { c.v_reset } else { v_new };
        left[i] = if spike {
            c.refractory_steps
        } else {
            left_i.saturating_sub(1)
        };
        current[i] = 0.0;
    }
    if any_jump != 0 {
        jump.fill(0.0);
    }
}

/// What [`lif_ref_system`] reads and writes of each `LifRef` population.
type LifRefPopulation<'a> = (
    &'a LifRefConstants,
    &'a mut LifRefState,
    &'a mut Membrane,
    &'a mut SynapticInput,
    &'a mut SpikeFlags,
    &'a mut Spikes,
    Option<&'a LifRefConstants<Columns>>,
);

/// [`Stage::NeuronStep`]: step every `LifRef` population and write its spikes.
///
/// With several partitions all populations step in one parallel region, and each partition
/// lists its own block's spikes while its flags are in its core's cache; the lists are joined
/// afterwards. With one thread each population is one plain call and one scan of its flags.
pub fn lif_ref_system(
    executor: &Executor,
    mut populations: Query<LifRefPopulation<'_>>,
    mut found: Local<BlockSpikes>,
) {
    if executor.is_single() {
        for (c, mut state, mut membrane, mut input, mut flags, mut spikes, per_neuron) in
            &mut populations
        {
            let n = membrane.v.len();
            let input = &mut *input;
            let s = LifRefSlices {
                v: &mut membrane.v,
                refractory_left: &mut state.refractory_left,
                current: &mut input.current[..n],
                voltage_jump: &mut input.voltage_jump[..n],
                flags: &mut flags.0[..n],
            };
            step(c, s, per_neuron.map(|p| p.block(0..n)));
            write_spikes(&flags.0, &mut spikes);
        }
        return;
    }
    let threads = executor.threads();
    let count = populations.iter().len();
    let mut constants = Vec::with_capacity(count);
    let mut items = Vec::with_capacity(count);
    for ((c, state, membrane, input, flags, _, per_neuron), lists) in
        populations.iter_mut().zip(found.lists(count, threads))
    {
        let (state, membrane) = (state.into_inner(), membrane.into_inner());
        let (input, flags) = (input.into_inner(), flags.into_inner());
        let n = membrane.v.len();
        let arrays = (
            &mut membrane.v[..],
            &mut state.refractory_left[..],
            &mut input.current[..n],
            &mut input.voltage_jump[..n],
            &mut flags.0[..n],
            PerPartition(lists),
        );
        constants.push((c, per_neuron));
        items.push((n, arrays));
    }
    executor.for_each_block_in_each(items, |k, block, arrays| {
        let (v, refractory_left, current, voltage_jump, flags, mut list) = arrays;
        let s = LifRefSlices {
            v,
            refractory_left,
            current,
            voltage_jump,
            flags,
        };
        let (c, per_neuron) = constants[k];
        step(c, s, per_neuron.map(|p| p.block(block.clone())));
        collect_spikes(flags, block.start, list.get());
    });
    for (k, (.., mut spikes, _)) in populations.iter_mut().enumerate() {
        set_spikes(&mut spikes, found.of(k, threads));
    }
}

/// One step of `s` with the population's constants, or with its block of per-neuron ones.
#[inline]
fn step(c: &LifRefConstants, s: LifRefSlices<'_>, per_neuron: Option<LifRefConstants<Sliced<'_>>>) {
    match per_neuron {
        None => lif_ref_step(c, s),
        Some(columns) => lif_ref_step_with(&columns, s),
    }
}

/// Registers the `LifRef` model and its system.
pub struct LifRefPlugin;

impl Plugin for LifRefPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<LifRef>();
        sim.register_snapshot::<LifRefState>();
        sim.add_model_systems::<LifRef, _>(Stage::NeuronStep, lif_ref_system);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One neuron; `inputs` are (current, jump) per step. Returns (v, spike) per step.
    fn run(p: &LifRef, dt: f64, inputs: &[(f64, f64)]) -> Vec<(f64, bool)> {
        let c = LifRefConstants::new(p, dt);
        let (mut v, mut left, mut flags) = ([p.v_init_mv as Real], [0u32], [0u8]);
        inputs
            .iter()
            .map(|&(i, j)| {
                let (mut cur, mut jump) = ([i as Real], [j as Real]);
                lif_ref_step(
                    &c,
                    LifRefSlices {
                        v: &mut v,
                        refractory_left: &mut left,
                        current: &mut cur,
                        voltage_jump: &mut jump,
                        flags: &mut flags,
                    },
                );
                assert_eq!((cur[0], jump[0]), (0.0, 0.0));
                (f64::from(v[0]), flags[0] == 1)
            })
            .collect()
    }

    #[test]
    fn exact_integration_reaches_the_closed_form() {
        // Constant I = 15 from V = 0: V(t) = 15·(1 − e^(−t/10)), below threshold 20 forever.
        let p = LifRef::default();
        let out = run(&p, 0.1, &[(15.0, 0.0); 500]);
        for (k, (v, s)) in out.iter().enumerate() {
            let t = (k + 1) as f64 * 0.1;
            let want = 15.0 * (1.0 - (-t / 10.0).exp());
            assert!(
                !s && (v - want).abs() < 2e-5 * want.max(1.0),
                "step {k}: {v} vs {want}"
            );
        }
    }

    #[test]
    fn threshold_is_inclusive_and_resets_in_the_same_step() {
        let p = LifRef::default();
        // A 20 mV jump from 0 with no current: V' = 0 + 20 = V_th exactly → spike.
        let out = run(&p, 0.1, &[(0.0, 20.0), (0.0, 0.0)]);
        assert_eq!(out[0], (-5.0, true));
        // Next step: relaxes toward 0 from −5.
        assert!((out[1].0 + 5.0 * (-0.01f64).exp()).abs() < 1e-6 && !out[1].1);
        let out = run(&p, 0.1, &[(0.0, 19.999)]);
        assert!(!out[0].1);
    }

    #[test]
    fn inputs_are_consumed_whether_or_not_a_jump_arrived() {
        let c = LifRefConstants::new(&LifRef::default(), 0.1);
        for jumps in [[0.0, 0.0, 0.0], [0.0, -0.0, 0.0], [0.0, 0.0, 1.5]] {
            let (mut v, mut left, mut flags) = ([0.0; 3], [0; 3], [0; 3]);
            let (mut current, mut jump) = ([1.0, 2.0, 3.0], jumps);
            lif_ref_step(
                &c,
                LifRefSlices {
                    v: &mut v,
                    refractory_left: &mut left,
                    current: &mut current,
                    voltage_jump: &mut jump,
                    flags: &mut flags,
                },
            );
            assert_eq!(current.map(Real::to_bits), [0; 3]);
            assert_eq!(jump.map(Real::to_bits), [0; 3], "{jumps:?}");
            assert!(v[2] > 1.5 * Real::from(u8::from(jumps[2] > 0.0)));
        }
    }

    #[test]
    fn refractory_holds_v_for_floor_tau_ref_over_dt_steps() {
        // tau_ref 0.3 ms at dt 0.1 ms: held 3 steps after the spike (BrainPy's float test
        // t − t_last <= 0.3 may give 2 here, see the module docs).
        let p = LifRef {
            tau_ref_ms: 0.3,
            ..LifRef::default()
        };
        let mut inputs = vec![(0.0, 25.0)];
        inputs.extend([(100_000.0, 0.0); 5]);
        let out = run(&p, 0.1, &inputs);
        assert_eq!(out[0], (-5.0, true));
        for (k, o) in out.iter().enumerate().take(4).skip(1) {
            assert_eq!(*o, (-5.0, false), "step {k} must be held");
        }
        // Free again at step 4: the huge current drives V over threshold immediately.
        assert!(out[4].1);
        // Jumps are ignored while held too.
        let out = run(&p, 0.1, &[(0.0, 25.0), (0.0, 30.0), (0.0, 0.0)]);
        assert_eq!(out[1], (-5.0, false));
    }

    #[test]
    fn hand_computed_sequence_with_spike() {
        // dt 1 ms, tau 10, R 2, I 12: V∞ = 24 ≥ 20, so the neuron spikes when V crosses 20.
        let p = LifRef {
            resistance: 2.0,
            ..LifRef::default()
        };
        let e = (-0.1f64).exp();
        let out = run(&p, 1.0, &[(12.0, 0.0); 60]);
        let mut v = 0.0;
        for (k, o) in out.iter().enumerate() {
            v = 24.0 + (v - 24.0) * e;
            let s = v >= 20.0;
            if s {
                v = -5.0;
            }
            assert_eq!(o.1, s, "step {k}");
            assert!((o.0 - v).abs() < 1e-4, "step {k}: {} vs {v}", o.0);
        }
        assert!(out.iter().filter(|o| o.1).count() >= 2);
    }

    #[test]
    fn decay_to_a_zero_rest_never_leaves_subnormal_floats() {
        let p = LifRef {
            v_init_mv: 1.0,
            ..LifRef::default()
        };
        let out = run(&p, 1.0, &[(0.0, 0.0); 2000]);
        assert!(out.iter().all(|&(v, _)| v == 0.0 || v.abs() >= 1e-30));
        assert_eq!(out[1999].0, 0.0);
        // The flush does not touch physiological values.
        assert!(out[100].0 > 0.0 && (out[100].0 - (-10.1f64).exp()).abs() < 1e-9);
    }

    #[test]
    fn validation() {
        let e = Model::validate(&LifRef {
            tau_ref_ms: -1.0,
            ..LifRef::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "tau_ref_ms must be >= 0, got -1");
        assert_eq!(
            LifRefConstants::new(
                &LifRef {
                    tau_ref_ms: 0.25,
                    ..LifRef::default()
                },
                0.1
            )
            .refractory_steps,
            2
        );
    }

    #[test]
    fn bias_current_shifts_the_steady_state() {
        let p = LifRef {
            bias_current: 12.0,
            v_threshold_mv: 100.0,
            ..LifRef::default()
        };
        let trace = run(&p, 0.1, &[(0.0, 0.0); 2000]);
        let expected = 12.0 * (1.0 - (-200.0f64 / 10.0).exp());
        assert!(
            (trace[1999].0 - expected).abs() < 1e-4,
            "{} vs {expected}",
            trace[1999].0
        );
        let bad = LifRef {
            v_init_uniform_mv: Some((1.0, 1.0)),
            ..LifRef::default()
        };
        assert!(
            Model::validate(&bad)
                .unwrap_err()
                .to_string()
                .contains("v_init_uniform_mv.1")
        );
    }
}
