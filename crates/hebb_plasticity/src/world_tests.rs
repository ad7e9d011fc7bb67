//! Whole-`Simulation` tests of the plugin wiring with two test-only models: a scripted input and
//! a synapse that transmits nothing (the upstream-matching runs are in the repository's
//! `tests/plasticity_*.rs`).

use bevy_ecs::prelude::*;
use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bounds::UpdateOrder;
use crate::prelude::*;

/// A test input: `(step, neuron)` spikes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Scripted {
    spikes: Vec<(u64, u32)>,
}

#[derive(Component)]
struct ScriptedState(Vec<(u64, u32)>);

impl Model for Scripted {
    const NAME: &'static str = "Scripted";
    const KIND: ModelKind = ModelKind::Input;
    const SUMMARY: &'static str = "test input";
    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        ctx.entity_mut().insert(ScriptedState(self.spikes.clone()));
        Ok(())
    }
}

fn scripted(clock: Clock, mut q: Query<(&ScriptedState, &mut Spikes)>) {
    for (state, mut spikes) in &mut q {
        spikes.clear();
        for &(s, i) in &state.0 {
            if s == clock.step {
                spikes.push(i as usize);
            }
        }
    }
}

/// A synapse output that transmits nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Silent;

impl Model for Silent {
    const NAME: &'static str = "Silent";
    const KIND: ModelKind = ModelKind::Synapse;
    const SUMMARY: &'static str = "test synapse";
    fn attach(&self, _ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        Ok(())
    }
}

fn test_models(sim: &mut Simulation) {
    sim.register_model::<Scripted>().register_model::<Silent>();
    sim.add_systems(Stage::InputSpikes, scripted);
}

/// `pre` → `post` (1 → 1) with `rule`, both populations scripted, dt 1 ms.
fn network(rule: impl ModelParams, pre: &[u64], post: &[u64], w0: f64) -> Simulation {
    let mut sim = Simulation::new(1.0, 7).unwrap();
    sim.add_plugins((test_models, PlasticityPlugin));
    for (name, steps) in [("pre", pre), ("post", post)] {
        sim.add_population(PopulationSpec {
            name: name.into(),
            size: 1,
            model: Box::new(Scripted {
                spikes: steps.iter().map(|&s| (s, 0)).collect(),
            }),
        })
        .unwrap();
    }
    let mut spec = ProjectionSpec::new(
        "p",
        "pre",
        "post",
        ConnectivitySpec::OneToOne,
        WeightInit::Constant(w0),
        Silent,
    );
    spec.plasticity = Some(Box::new(rule));
    sim.add_projection(spec).unwrap();
    sim
}

fn weight(sim: &Simulation) -> Real {
    let e = sim.index().projection("p").unwrap();
    sim.world.get::<Weights>(e).unwrap().w[0]
}

fn decay(steps: f64) -> Real {
    (-steps / 20.0).exp() as Real
}

#[test]
fn stdp_in_a_simulation_and_schedule_order() {
    let mut sim = network(
        Stdp {
            lr_post: 0.2,
            lr_pre: -0.2,
            ..Stdp::default()
        },
        &[10],
        &[15],
        0.5,
    );
    let summary = sim.schedule_summary().unwrap();
    let at = |name: &str| {
        summary
            .find(name)
            .unwrap_or_else(|| panic!("{name}: {summary}"))
    };
    assert!(at("Plasticity:") < at("stdp_step"));
    assert!(at("stdp_step") < at("RewardBroadcast:"));
    // Systems of rules and reward sources this network does not use are not scheduled, nor
    // the shared weight update: `stdp_step` applies its own changes.
    assert!(!summary.contains("song2000") && !summary.contains("broadcast_scheduled_reward"));
    assert!(!summary.contains("apply_weight_updates"), "{summary}");
    sim.run_steps(15);
    assert_eq!(weight(&sim), 0.5);
    sim.step();
    assert!((weight(&sim) - (0.5 + 0.2 * decay(5.0))).abs() < 1e-6);
}

#[test]
fn recording_traces_never_changes_results() {
    let rule = Stdp {
        lr_post: 0.2,
        lr_pre: -0.2,
        bounds: Bounds::Multiplicative {
            w_min: 0.0,
            w_max: 1.0,
        },
        ..Stdp::default()
    };
    let pre: Vec<u64> = (0..200).filter(|s| s % 7 == 3).collect();
    let post: Vec<u64> = (0..200).filter(|s| s % 11 == 5).collect();
    let mut plain = network(rule.clone(), &pre, &post, 0.5);
    let mut recorded = network(rule, &pre, &post, 0.5);
    recorded
        .add_recorder(&RecorderSpec::State {
            name: "traces".into(),
            target: "p".into(),
            variables: vec!["trace_pre".into(), "trace_post".into()],
            indices: None,
            stride: 3,
        })
        .unwrap();
    plain.run_steps(200);
    recorded.run_steps(200);
    assert_eq!(weight(&plain).to_bits(), weight(&recorded).to_bits());
    // The recorded trace is the step-by-step trace: check a few rows against a direct sum.
    let rec = recorded.recorders().state("traces").unwrap();
    for (row, &t) in rec.times_ms.iter().enumerate() {
        let s = t as u64;
        let expected: f64 = pre
            .iter()
            .filter(|&&k| k <= s)
            .map(|&k| 0.2 * (-((s - k) as f64) / 20.0).exp())
            .sum();
        let got = f64::from(rec.row(row)[0]);
        assert!(
            (got - expected).abs() < 1e-6,
            "step {s}: {got} vs {expected}"
        );
    }
    assert_eq!(rec.times_ms.len(), 67);
}

#[test]
fn reward_schedule_user_api_and_plugin_sources() {
    // MSTDP with Inferno timing: a causal pair at (10, 15) changes w by r(15)·d.
    let rule = Mstdp {
        lr_post: 0.2,
        lr_pre: -0.2,
        ..Mstdp::default()
    };
    let d = 0.2 * decay(5.0);
    // A schedule: +1 until 14 ms, −2 from 15 ms.
    let mut sim = network(rule.clone(), &[10], &[15], 0.5);
    sim.add_network_model(
        "reward",
        &RewardSchedule {
            initial: 1.0,
            changes: vec![RewardChange {
                at_ms: 15.0,
                value: -2.0,
            }],
        },
    )
    .unwrap();
    sim.add_recorder(&RecorderSpec::State {
        name: "r".into(),
        target: "p".into(),
        variables: vec!["reward".into()],
        indices: None,
        stride: 1,
    })
    .unwrap();
    sim.run_steps(20);
    assert!((weight(&sim) - (0.5 - 2.0 * d)).abs() < 1e-6);
    let r = sim
        .recorders()
        .state("r")
        .unwrap()
        .column("reward[0]")
        .unwrap();
    assert_eq!(&r[13..17], &[1.0, 1.0, -2.0, -2.0]);
    assert_eq!(
        r[0], 1.0,
        "the first step uses the schedule's value at step 0"
    );

    // User code: the value set between steps is the next step's reward.
    let mut sim = network(rule.clone(), &[10], &[15], 0.5);
    sim.run_steps(15);
    sim.set_reward(3.0);
    assert_eq!(sim.reward(), 3.0);
    sim.step();
    assert!((weight(&sim) - (0.5 + 3.0 * d)).abs() < 1e-6);

    // A plugin's source: the reward of the next step is 0.5 per postsynaptic spike this step;
    // post spikes at 15 and 16, pre at 10 → the pair at 16 sees r(16) = 0.5.
    let mut sim = network(rule, &[10], &[15, 16], 0.5);
    sim.add_systems(
        Stage::RewardBroadcast,
        |pops: Query<(&Population, &Spikes)>, mut reward: ResMut<Reward>| {
            for (p, s) in &pops {
                if p.name == "post" {
                    reward.set(0.5 * s.count() as Real);
                }
            }
        },
    );
    sim.run_steps(17);
    // r(15) = 0 (no post spike at 14), r(16) = 0.5.
    assert!((weight(&sim) - (0.5 + 0.5 * 0.2 * decay(6.0))).abs() < 1e-6);
}

#[test]
fn snapshots_resume_bit_for_bit() {
    let rule = Mstdpet {
        lr_post: 0.2,
        lr_pre: -0.2,
        ..Mstdpet::default()
    };
    let pre: Vec<u64> = (0..300).filter(|s| s % 13 == 3).collect();
    let post: Vec<u64> = (0..300).filter(|s| s % 17 == 5).collect();
    let reward = RewardSchedule {
        initial: 1.0,
        changes: vec![RewardChange {
            at_ms: 150.0,
            value: -1.0,
        }],
    };
    let mut full = network(rule.clone(), &pre, &post, 0.2);
    full.add_network_model("reward", &reward).unwrap();
    full.run_steps(300);
    let mut first = network(rule.clone(), &pre, &post, 0.2);
    first.add_network_model("reward", &reward).unwrap();
    first.run_steps(120);
    let snapshot = first.save_state().unwrap();
    let mut resumed = network(rule, &pre, &post, 0.2);
    resumed.add_network_model("reward", &reward).unwrap();
    resumed.restore_state(&snapshot).unwrap();
    resumed.run_steps(180);
    assert_eq!(weight(&full).to_bits(), weight(&resumed).to_bits());
    assert_ne!(weight(&full), 0.2);
}

#[test]
fn rules_attach_only_to_projections() {
    let mut sim = Simulation::new(1.0, 1).unwrap();
    sim.add_plugins((test_models, PlasticityPlugin));
    // A plasticity model used as a population model is refused by kind.
    let e = sim
        .add_population(PopulationSpec {
            name: "x".into(),
            size: 1,
            model: Box::new(Stdp::default()),
        })
        .unwrap_err()
        .to_string();
    assert!(e.contains("plasticity"), "{e}");
    // Bad parameters name the field.
    sim.add_population(PopulationSpec {
        name: "a".into(),
        size: 2,
        model: Box::new(Scripted::default()),
    })
    .unwrap();
    let mut spec = ProjectionSpec::new(
        "p",
        "a",
        "a",
        ConnectivitySpec::AllToAll,
        WeightInit::Constant(0.1),
        Silent,
    );
    spec.plasticity = Some(Box::new(Song2000 {
        tau_post_ms: -1.0,
        ..Song2000::default()
    }));
    let e = sim.add_projection(spec).unwrap_err().to_string();
    assert!(e.contains("tau_post_ms must be > 0, got -1"), "{e}");
    let e = sim
        .add_network_model(
            "reward",
            &RewardSchedule {
                initial: 0.0,
                changes: vec![RewardChange {
                    at_ms: 0.5,
                    value: 1.0,
                }],
            },
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("changes[0].at_ms") && e.contains("0.5"), "{e}");
}

/// A third-party rule written as a full system that only accumulates: +0.1 on every synapse of
/// every arrival, applied by the shared `apply_weight_updates`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct AccumulateOnly;

#[derive(Component)]
struct AccumulateOnlyRule;

impl Model for AccumulateOnly {
    const NAME: &'static str = "AccumulateOnly";
    const KIND: ModelKind = ModelKind::Plasticity;
    const SUMMARY: &'static str = "test rule";
    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let n = ctx.projection(Self::NAME)?.n_synapses;
        ctx.entity_mut().insert((
            AccumulateOnlyRule,
            WeightUpdate::new(n),
            WeightBounding::new(Bounds::Unbounded, UpdateOrder::Combined),
        ));
        Ok(())
    }
}

fn accumulate_only(mut q: Query<(&Arrivals, &mut WeightUpdate), With<AccumulateOnlyRule>>) {
    for (arrivals, mut update) in &mut q {
        for &i in &arrivals.pre {
            update.potentiate(i as usize, 0.1);
        }
    }
}

#[test]
fn a_rule_that_only_accumulates_gets_the_shared_weight_update_in_the_same_step() {
    let mut sim = Simulation::new(1.0, 7).unwrap();
    let rule_plugin = |sim: &mut Simulation| {
        sim.register_model::<AccumulateOnly>();
        sim.add_model_systems::<AccumulateOnly, _>(Stage::Plasticity, accumulate_only);
    };
    sim.add_plugins((test_models, rule_plugin, PlasticityPlugin));
    for name in ["pre", "post"] {
        sim.add_population(PopulationSpec {
            name: name.into(),
            size: 1,
            model: Box::new(Scripted {
                spikes: vec![(3, 0)],
            }),
        })
        .unwrap();
    }
    let mut spec = ProjectionSpec::new(
        "p",
        "pre",
        "post",
        ConnectivitySpec::OneToOne,
        WeightInit::Constant(0.5),
        Silent,
    );
    spec.plasticity = Some(Box::new(AccumulateOnly));
    sim.add_projection(spec).unwrap();
    let summary = sim.schedule_summary().unwrap();
    let at = |name: &str| {
        summary
            .find(name)
            .unwrap_or_else(|| panic!("{name}: {summary}"))
    };
    assert!(at("accumulate_only") < at("apply_weight_updates"));
    sim.run_steps(3);
    assert_eq!(weight(&sim), 0.5);
    sim.step();
    assert!((weight(&sim) - 0.6).abs() < 1e-6, "{}", weight(&sim));
}
