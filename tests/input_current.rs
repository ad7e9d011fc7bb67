//! `i_syn`, the input current a neuron integrated in a step, is recordable for every neuron
//! model: it equals the sum of the current stimuli and the synapse outputs' currents of that
//! step, and recording it changes nothing else.

use hebb::DefaultPlugins;
use hebb::scene::{Scene, registry_of};

fn scene_text(model: &str) -> String {
    format!(
        r#"(
    version: 1,
    dt_ms: 0.1,
    duration_ms: 20.0,
    seed: 3,
    populations: [
        (name: "src", size: 1, model: SpikeSource(times_ms: [[2.0, 7.5]])),
        (name: "cells", size: 3, model: {model}),
    ],
    projections: [
        (name: "syn", from: "src", to: "cells", connectivity: AllToAll, weights: Constant(1.5),
         synapse: Exponential(tau_ms: 2.0)),
    ],
    inputs: [(population: "cells", model: StepCurrent(values: [0.0, 2.5, 0.0], durations_ms: [5.0, 10.0, 5.0]))],
    recorders: [
        State(name: "i", target: "cells", variables: ["i_syn"]),
        State(name: "g", target: "syn", variables: ["g"]),
        State(name: "v", target: "cells", variables: ["v"]),
    ],
)"#
    )
}

#[test]
fn every_neuron_model_records_its_input_current() {
    let registry = registry_of(DefaultPlugins);
    for model in [
        "LifRef()",
        "Lif()",
        "IafPscExp()",
        "IafPscAlpha()",
        "Izhikevich()",
        "AdEx()",
    ] {
        let scene = Scene::parse(&scene_text(model), "i_syn.ron", &registry)
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        let mut sim = scene.build(DefaultPlugins).unwrap();
        sim.run_steps(scene.steps().unwrap());
        let rec = sim.recorders();
        let i = rec.state("i").unwrap();
        let g = rec.state("g").unwrap().column("g[0]").unwrap();
        for n in 0..3 {
            let column = i.column(&format!("i_syn[{n}]")).unwrap();
            assert_eq!(column.len(), 200, "{model}");
            for (k, (&x, &gk)) in column.iter().zip(&g).enumerate() {
                let stim = if (50..150).contains(&k) { 2.5 } else { 0.0 };
                assert!(
                    (x - (stim + gk)).abs() <= 1e-5,
                    "{model}, neuron {n}, step {k}: i_syn {x}, expected {stim} + {gk}"
                );
            }
            assert!(
                column.iter().any(|&x| x > 2.5),
                "{model}: the synapse shows"
            );
        }
        // Recording i_syn changes no other number.
        let plain = scene_text(model).replace(
            r#"State(name: "i", target: "cells", variables: ["i_syn"]),"#,
            "",
        );
        let plain = Scene::parse(&plain, "plain.ron", &registry).unwrap();
        let mut other = plain.build(DefaultPlugins).unwrap();
        other.run_steps(plain.steps().unwrap());
        assert_eq!(
            other.recorders().state("v").unwrap().values,
            rec.state("v").unwrap().values,
            "{model}"
        );
    }
}
