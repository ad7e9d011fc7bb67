//! The out-of-tree triplet rule is partition-safe: its scenes give the same bits (every
//! component, weights, traces, recordings) on 1, 2 and 3 threads.

use std::path::PathBuf;

use hebb::prelude::*;
use hebb::scene::{BuildOptions, Scene, registry_of};
use triplet_stdp::TripletStdpPlugin;

#[test]
fn triplet_scenes_give_the_same_bits_on_1_2_and_3_threads() {
    let registry = registry_of((TripletStdpPlugin, DefaultPlugins));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes");
    for name in ["triplet_network.ron", "triplet_pairing_20hz.ron"] {
        let scene = Scene::load(dir.join(name), &registry).unwrap_or_else(|e| panic!("{e}"));
        let steps = scene.steps().unwrap().min(5000);
        let state = |threads: usize| {
            let mut sim = scene
                .build_with(
                    (TripletStdpPlugin, DefaultPlugins),
                    BuildOptions {
                        threads: Some(threads),
                    },
                )
                .unwrap_or_else(|e| panic!("{e}"));
            sim.run_steps(steps);
            sim.save_state().unwrap().to_bytes().unwrap()
        };
        let one = state(1);
        assert!(state(2) == one, "{name}: 2 threads");
        assert!(state(3) == one, "{name}: 3 threads");
    }
}
