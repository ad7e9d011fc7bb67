//! Stimuli on a `neurons` list (`WhiteNoise`, `OrnsteinUhlenbeck`, `PoissonInput`) split over
//! threads: each partition drives the listed neurons of its own block, and every membrane and
//! OU value has the same bits on 1, 2 and 3 threads, for ascending and unordered lists and
//! for lists that fall in one partition only; the neurons not listed get nothing.

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};

fn scene(list: &str) -> Scene {
    let text = format!(
        "(version: 1, dt_ms: 0.1, duration_ms: 20.0, seed: 5,
          populations: [
            (name: \"w\", size: 101, model: LifRef(tau_ms: 10.0, v_rest_mv: 0.0, v_reset_mv: 10.0, v_threshold_mv: 20.0, tau_ref_ms: 2.0, bias_current: 18.0)),
            (name: \"o\", size: 101, model: LifRef(tau_ms: 10.0, v_rest_mv: 0.0, v_reset_mv: 10.0, v_threshold_mv: 20.0, tau_ref_ms: 2.0, bias_current: 18.0)),
            (name: \"p\", size: 101, model: LifRef(tau_ms: 10.0, v_rest_mv: 0.0, v_reset_mv: 10.0, v_threshold_mv: 20.0, tau_ref_ms: 2.0))],
          inputs: [
            (population: \"w\", model: WhiteNoise(density_sqrt_ms: 12.6, neurons: Some({list}))),
            (population: \"o\", model: OrnsteinUhlenbeck(mean: 18.0, std: 4.9, tau_ms: 5.0, neurons: Some({list}))),
            (population: \"p\", model: PoissonInput(n_sources: 500, rate_hz: 9.0, weight: 0.4, neurons: Some({list})))])"
    );
    Scene::parse(&text, "lists.ron", &registry_of(DefaultPlugins)).unwrap()
}

/// Every membrane's bits and the OU values' bits after 200 steps on `threads` threads.
fn state(scene: &Scene, threads: usize) -> (Vec<Vec<u32>>, Vec<u32>) {
    let mut sim = scene.build(DefaultPlugins).unwrap();
    sim.set_threads(threads).unwrap();
    sim.run_steps(200);
    let v = ["w", "o", "p"]
        .iter()
        .map(|name| {
            let pop = sim.index().population(name).unwrap();
            let v = &sim.world.get::<Membrane>(pop).unwrap().v;
            v.iter().map(|x| x.to_bits()).collect()
        })
        .collect();
    let ou = sim
        .world
        .query::<&hebb::neurons::noise::OuCurrent>()
        .iter(&sim.world)
        .flat_map(|c| c.i.iter().map(|x| x.to_bits()))
        .collect();
    (v, ou)
}

#[test]
fn listed_neurons_get_the_same_bits_on_one_two_and_three_threads() {
    for list in [
        "[0, 1, 2, 40, 50, 51, 66, 67, 99, 100]",
        "[100, 3, 50, 34, 33, 67, 0, 68]",
        "[5, 6, 7]",
        "[97, 98, 99, 100]",
    ] {
        let scene = scene(list);
        let one = state(&scene, 1);
        assert_eq!(one, state(&scene, 2), "{list}");
        assert_eq!(one, state(&scene, 3), "{list}");
        // Listed neurons move away from their start; the others relax alike (from the same
        // start, without noise they all hold the same value).
        let listed: Vec<usize> = list
            .trim_matches(['[', ']'])
            .split(", ")
            .map(|x| x.parse().unwrap())
            .collect();
        for v in &one.0 {
            let quiet: Vec<u32> = (0..101)
                .filter(|i| !listed.contains(i))
                .map(|i| v[i])
                .collect();
            assert!(quiet.windows(2).all(|w| w[0] == w[1]), "{list}");
            assert!(listed.iter().any(|&i| v[i] != quiet[0]), "{list}");
        }
    }
}
