//! Song, Miller & Abbott (2000) as in Brian2's example (`scenes/song2000_stdp.ron`): after 100 s
//! of 1000 Poisson inputs at 15 Hz, additive STDP with clipping has split the weights into two
//! groups near 0 and near gmax, and the neuron fires at a moderate rate. Runs the full 10⁶ steps,
//! so it runs in release builds only (CI runs `cargo test --release`).

use std::path::PathBuf;
use std::time::Instant;

use hebb::prelude::*;
use hebb::scene::load_and_build;

const GMAX: f64 = 0.01;

#[test]
#[cfg_attr(debug_assertions, ignore = "10^6 steps: run with --release")]
fn song2000_weights_become_bimodal() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes/song2000_stdp.ron");
    let (scene, mut sim) =
        load_and_build(&path, || DefaultPlugins).unwrap_or_else(|e| panic!("{e}"));
    let steps = scene.steps().unwrap();
    assert_eq!(steps, 1_000_000);
    let start = Instant::now();
    sim.run_steps(steps);
    let elapsed = start.elapsed();

    let projection = sim.index().projection("input_to_neuron").unwrap();
    let w: Vec<f64> = sim
        .world
        .get::<Weights>(projection)
        .unwrap()
        .w
        .iter()
        .map(|&x| f64::from(x))
        .collect();
    assert_eq!(w.len(), 1000);
    assert!(
        w.iter().all(|&x| (0.0..=GMAX).contains(&x)),
        "hard bounds hold"
    );
    let low = w.iter().filter(|&&x| x < 0.1 * GMAX).count();
    let high = w.iter().filter(|&&x| x > 0.9 * GMAX).count();
    let middle = w.len() - low - high;
    let mut histogram = [0usize; 10];
    for &x in &w {
        histogram[((x / GMAX * 10.0) as usize).min(9)] += 1;
    }

    // Output rate over the last 10 s, and over the first second.
    let spikes = &sim.recorders().spikes_of("neuron").unwrap().steps;
    let rate = |from_s: f64, to_s: f64| {
        let n = spikes
            .iter()
            .filter(|&&s| {
                let t = s as f64 * 1e-4;
                t >= from_s && t < to_s
            })
            .count();
        n as f64 / (to_s - from_s)
    };
    let (first, last) = (rate(0.0, 1.0), rate(90.0, 100.0));
    eprintln!(
        "Song 2000: {elapsed:.2?} for 100 s; weights per tenth of gmax {histogram:?}; \
         rate {first:.1} Hz in the first second, {last:.1} Hz in the last 10 s"
    );

    // Bimodal (a U-shaped histogram; the initial one is flat, 100 per tenth): both end tenths
    // outnumber every interior tenth, the outer fifths hold the majority and the central six
    // tenths are depleted. An independent NumPy re-implementation of Brian's example gives
    // [275, 100, 92, 54, 60, 49, 57, 59, 86, 168] and [279, 116, 59, 63, 49, 57, 59, 68, 91,
    // 159] after 100 s (two seeds): about 45 % of the weights in the end tenths, not yet "most"
    // (that takes longer: 52 % after 300 s), see docs/plasticity/song2000.md.
    let interior_max = *histogram[1..9].iter().max().unwrap();
    assert!(
        histogram[0] > interior_max && histogram[9] > interior_max,
        "{histogram:?}"
    );
    let outer_fifths = histogram[0] + histogram[1] + histogram[8] + histogram[9];
    assert!(outer_fifths >= 550, "{histogram:?}");
    assert!(
        low + high >= 350,
        "low {low}, high {high}, middle {middle}: {histogram:?}"
    );
    assert!(histogram[2..8].iter().sum::<usize>() < 420, "{histogram:?}");
    // The initial weights (mean gmax/2) drive the neuron hard; competition brings the rate down
    // to a moderate value.
    assert!(first > last, "rate fell: {first} → {last}");
    assert!(
        (2.0..=40.0).contains(&last),
        "plausible output rate: {last} Hz"
    );
}

/// Wall time of the Song 2000 scene with and without its pieces (release build, 100 s each):
/// `cargo test --release --test plasticity_song2000 -- --ignored --nocapture`. Set
/// `HEBB_SONG_VARIANT` to `full`, `frozen` (the rule removed, plasticity plugins present) or
/// `bare` (no plasticity plugins) to run one variant only (e.g. under `perf stat`).
#[test]
#[ignore = "timing report"]
fn song2000_timing() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes/song2000_stdp.ron");
    let text = std::fs::read_to_string(path).unwrap();
    let frozen = {
        let start = text.find("            plasticity: Song2000(").unwrap();
        let end = start + text[start..].find("),\n").unwrap() + 3;
        format!("{}{}", &text[..start], &text[end..])
    };
    let only = std::env::var("HEBB_SONG_VARIANT").ok();
    for label in ["full", "frozen", "bare"] {
        if only.as_deref().is_some_and(|o| o != label) {
            continue;
        }
        let scene_text = if label == "full" { &text } else { &frozen };
        let registry = hebb::scene::registry_of(DefaultPlugins);
        let scene = hebb::scene::Scene::parse(scene_text, label, &registry).unwrap();
        let mut sim = if label == "bare" {
            scene
                .build((hebb::neurons::NeuronsPlugin, hebb::synapses::SynapsesPlugin))
                .unwrap()
        } else {
            scene.build(DefaultPlugins).unwrap()
        };
        let start = Instant::now();
        sim.run_steps(scene.steps().unwrap());
        eprintln!("{label}: {:.3?}", start.elapsed());
    }
}
