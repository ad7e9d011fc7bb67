//! Inferno's Florian example (refs README §C): STDP, MSTDP and MSTDPET on one synapse each,
//! compared with the upstream run (inferno-ai 0.0.5, float32) at every step: the three weights,
//! both traces of each rule, MSTDPET's two eligibility traces and their difference, and the
//! reward. The network is built in code and from `scenes/florian_stdp_mstdp_mstdpet.ron`.
//!
//! Inferno's index 0 is the initial state and index s the state after its step s (s = 1…200);
//! hebb's step 0 carries no spike, so hebb's step s is Inferno's step s.

use std::path::PathBuf;

mod common;

use common::{column, series, steps};
use hebb::prelude::*;
use hebb::scene::load_and_build;
use serde_json::Value;

/// Absolute tolerance: the reference is float32 and every value is below 1.
const TOL: f64 = 1e-5;

fn fixture() -> Value {
    common::fixture("plasticity/inferno_florian.json")
}

/// Compare hebb's values after steps `from..=200` with the reference at the same indices.
fn assert_matches(what: &str, hebb: &[f64], reference: &[f64], from: usize) -> f64 {
    assert_eq!(hebb.len(), 201, "{what}: one row per step 0..=200");
    let mut worst: f64 = 0.0;
    for s in from..=200 {
        let err = (hebb[s] - reference[s]).abs();
        assert!(
            err <= TOL,
            "{what} at step {s}: hebb {} vs Inferno {}",
            hebb[s],
            reference[s]
        );
        worst = worst.max(err);
    }
    worst
}

/// The three rules' recorded values against the fixture (as recorded by the scene's recorders).
fn check_against_reference(sim: &Simulation, fix: &Value) {
    let rec_pre = sim.recorders().spikes_of("pre").unwrap();
    let rec_post = sim.recorders().spikes_of("post").unwrap();
    assert_eq!(rec_pre.steps, steps(fix, "pre_steps"));
    assert_eq!(rec_post.steps, steps(fix, "post_steps"));
    let mut worst: f64 = 0.0;
    for rule in ["stdp", "mstdp", "mstdpet"] {
        worst = worst.max(assert_matches(
            &format!("w_{rule}"),
            &column(sim, &format!("w_{rule}"), "w[0,0]"),
            &series(fix, &format!("w_{rule}")),
            0,
        ));
        for side in ["pre", "post"] {
            worst = worst.max(assert_matches(
                &format!("{rule} trace_{side}"),
                &column(sim, &format!("traces_{rule}"), &format!("trace_{side}[0]")),
                &series(fix, &format!("{rule}_trace_{side}")),
                0,
            ));
        }
    }
    for (column_name, reference) in [
        ("elig_post[0]", "elig_post"),
        ("elig_pre[0]", "elig_pre"),
        ("eligibility[0]", "elig_trace"),
    ] {
        worst = worst.max(assert_matches(
            reference,
            &column(sim, "eligibility", column_name),
            &series(fix, reference),
            0,
        ));
    }
    // Inferno's index 0 is the initial state (reward 0), not a step: compare steps 1..=200.
    assert_matches(
        "reward",
        &column(sim, "reward", "reward[0]"),
        &series(fix, "reward"),
        1,
    );
    // The final weights quoted in the refs README.
    let last = |r: &str| column(sim, r, "w[0,0]")[200];
    assert!((last("w_stdp") - 0.26904).abs() < 1e-5);
    assert!((last("w_mstdp") - 0.20330).abs() < 1e-5);
    assert!((last("w_mstdpet") - 0.33420).abs() < 1e-5);
    eprintln!("largest deviation from Inferno: {worst:.2e}");
}

/// The example built with the Simulation API; `timing` and `reward_change_ms` vary the
/// reward-modulated rules. With `reward_change_ms = None` the post spikes and the reward are left
/// to the caller (`Simulation::impose_spikes`, `RewardExt::set_reward`).
fn build_in_code(timing: RewardTiming, reward_change_ms: Option<f64>) -> Simulation {
    let fix = fixture();
    let mut sim = Simulation::new(1.0, 0).unwrap();
    sim.add_plugins(DefaultPlugins);
    let ms = |v: Vec<u64>| v.into_iter().map(|s| s as f64).collect::<Vec<f64>>();
    sim.add_population(PopulationSpec {
        name: "pre".into(),
        size: 1,
        model: Box::new(SpikeSource {
            times_ms: vec![ms(steps(&fix, "pre_steps"))],
        }),
    })
    .unwrap();
    sim.add_population(PopulationSpec {
        name: "post".into(),
        size: 1,
        model: Box::new(Exact {
            steps: if reward_change_ms.is_some() {
                vec![steps(&fix, "post_steps")]
            } else {
                vec![]
            },
            times_ms: vec![],
        }),
    })
    .unwrap();
    let rules: [(&str, Box<dyn ModelParams>); 3] = [
        (
            "stdp",
            Box::new(Stdp {
                lr_post: 0.2,
                lr_pre: -0.2,
                tau_post_ms: 20.0,
                tau_pre_ms: 20.0,
                ..Stdp::default()
            }),
        ),
        (
            "mstdp",
            Box::new(Mstdp {
                lr_post: 0.2,
                lr_pre: -0.2,
                timing,
                ..Mstdp::default()
            }),
        ),
        (
            "mstdpet",
            Box::new(Mstdpet {
                lr_post: 0.2,
                lr_pre: -0.2,
                tau_eligibility_ms: 25.0,
                timing,
                ..Mstdpet::default()
            }),
        ),
    ];
    for (name, rule) in rules {
        let mut spec = ProjectionSpec::new(
            name,
            "pre",
            "post",
            ConnectivitySpec::OneToOne,
            WeightInit::Constant(0.2),
            Delta::default(),
        );
        spec.plasticity = Some(rule);
        sim.add_projection(spec).unwrap();
        sim.add_recorder(&RecorderSpec::Weights {
            name: format!("w_{name}"),
            projection: name.into(),
            synapses: None,
            stride: 1,
        })
        .unwrap();
        sim.add_recorder(&RecorderSpec::State {
            name: format!("traces_{name}"),
            target: name.into(),
            variables: vec!["trace_pre".into(), "trace_post".into()],
            indices: None,
            stride: 1,
        })
        .unwrap();
    }
    sim.add_recorder(&RecorderSpec::State {
        name: "eligibility".into(),
        target: "mstdpet".into(),
        variables: vec!["elig_post".into(), "elig_pre".into(), "eligibility".into()],
        indices: None,
        stride: 1,
    })
    .unwrap();
    sim.add_recorder(&RecorderSpec::State {
        name: "reward".into(),
        target: "mstdp".into(),
        variables: vec!["reward".into()],
        indices: None,
        stride: 1,
    })
    .unwrap();
    for population in ["pre", "post"] {
        sim.add_recorder(&RecorderSpec::spikes(population)).unwrap();
    }
    if let Some(at_ms) = reward_change_ms {
        sim.add_network_model(
            "reward",
            &RewardSchedule {
                initial: 1.0,
                changes: vec![RewardChange { at_ms, value: -1.0 }],
            },
        )
        .unwrap();
    }
    sim
}

#[test]
fn florian_example_built_in_code_matches_inferno() {
    let fix = fixture();
    let mut sim = build_in_code(RewardTiming::Inferno, Some(101.0));
    sim.run_steps(201);
    check_against_reference(&sim, &fix);
}

#[test]
fn florian_example_scene_matches_inferno() {
    let fix = fixture();
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes/florian_stdp_mstdp_mstdpet.ron");
    let (scene, mut sim) =
        load_and_build(&path, || DefaultPlugins).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scene.steps().unwrap(), 201);
    sim.run_steps(scene.steps().unwrap());
    check_against_reference(&sim, &fix);
}

#[test]
fn florian_timing_is_inferno_shifted_by_one_step() {
    // Florian's discrete rule pairs the signal of step s with the reward of step s + 1 and
    // applies it one step later (MSTDPET with the factor dt = 1 ms). With the reward schedule
    // shifted one step later (−1 from step 102), its weights after step s equal Inferno's after
    // step s − 1.
    let fix = fixture();
    let mut sim = build_in_code(RewardTiming::Florian, Some(102.0));
    sim.run_steps(201);
    for rule in ["mstdp", "mstdpet"] {
        let hebb = column(&sim, &format!("w_{rule}"), "w[0,0]");
        let reference = series(&fix, &format!("w_{rule}"));
        assert_eq!(hebb[0], 0.2f32 as f64);
        for s in 1..=200 {
            assert!(
                (hebb[s] - reference[s - 1]).abs() <= TOL,
                "{rule} at step {s}: hebb (Florian timing) {} vs Inferno at step {}: {}",
                hebb[s],
                s - 1,
                reference[s - 1]
            );
        }
    }
    // STDP does not read the reward: unchanged.
    let w = column(&sim, "w_stdp", "w[0,0]");
    assert!((w[200] - series(&fix, "w_stdp")[200]).abs() <= TOL);
}

#[test]
fn florian_example_driven_from_user_code_matches_inferno() {
    // The same run with the post spikes imposed through `Simulation::impose_spikes` and the
    // reward set through `RewardExt::set_reward` before each step, as a closed-loop program would.
    let fix = fixture();
    let post_steps = steps(&fix, "post_steps");
    let mut sim = build_in_code(RewardTiming::Inferno, None);
    for s in 0..=200u64 {
        if post_steps.contains(&s) {
            sim.impose_spikes("post", &[0]).unwrap();
        }
        sim.set_reward(if s <= 100 { 1.0 } else { -1.0 });
        sim.step();
    }
    check_against_reference(&sim, &fix);
}
