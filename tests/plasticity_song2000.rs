//! Song, Miller & Abbott (2000) as in Brian2 2.11's example (`scenes/song2000_stdp.ron`): after
//! 100 s of 1000 Poisson inputs at 15 Hz, additive STDP with clipping has split the weights into
//! two groups near 0 and near gmax, and the neuron fires at a moderate rate. The statistics of
//! several seeds are compared with those of Brian2 over several seeds, never with one stream:
//! the test holds whatever the random streams are. Runs the full 10⁶ steps per seed, so it runs
//! in release builds only (CI runs `cargo test --release`).

use std::path::PathBuf;
use std::time::Instant;

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};

const GMAX: f64 = 0.01;
const SEEDS: [u64; 12] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/// Brian2 2.11 running `examples/synapses/STDP.py` (cpp_standalone, `method='euler'`, `v = vr`
/// at start, 100 s) with seeds 1–12: the mean over the seeds and the standard deviation of one
/// seed of mean w/gmax, the weights in the lowest and highest twentieth of [0, gmax], the output
/// rate over the 100 s and over the first 5 s.
const BRIAN2: Stats = Stats {
    mean_w: 0.4724,
    low: 146.42,
    high: 117.75,
    rate_hz: 25.56,
    first5_hz: 41.30,
};
/// Brian2's spread over those seeds (sample standard deviation of one seed), same order.
const BRIAN2_SD: Stats = Stats {
    mean_w: 0.0015,
    low: 9.36,
    high: 9.11,
    rate_hz: 1.44,
    first5_hz: 5.87,
};
const BRIAN2_SEEDS: f64 = 12.0;

/// What one 100 s run ends with.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    mean_w: f64,
    low: f64,
    high: f64,
    rate_hz: f64,
    first5_hz: f64,
}

impl Stats {
    fn fields(&self) -> [f64; 5] {
        [
            self.mean_w,
            self.low,
            self.high,
            self.rate_hz,
            self.first5_hz,
        ]
    }

    fn from_fields(f: [f64; 5]) -> Stats {
        Stats {
            mean_w: f[0],
            low: f[1],
            high: f[2],
            rate_hz: f[3],
            first5_hz: f[4],
        }
    }

    /// The mean over runs, field by field.
    fn mean(all: &[Stats]) -> Stats {
        let n = all.len() as f64;
        Stats::from_fields(std::array::from_fn(|k| {
            all.iter().map(|s| s.fields()[k]).sum::<f64>() / n
        }))
    }

    /// The sample standard deviation over runs, field by field.
    fn sd(all: &[Stats]) -> Stats {
        let n = all.len() as f64;
        let mean = Stats::mean(all).fields();
        Stats::from_fields(std::array::from_fn(|k| {
            let ss: f64 = all.iter().map(|s| (s.fields()[k] - mean[k]).powi(2)).sum();
            (ss / (n - 1.0)).sqrt()
        }))
    }
}

fn scene_text() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes/song2000_stdp.ron");
    std::fs::read_to_string(path).unwrap()
}

/// The scene with Brian2's pre-2020 fixed driving force `ge·(Ee − vr)` (60 mV).
fn fixed_driving_force(text: &str) -> String {
    let from =
        "synapse: Conductance(tau_ms: 5.0, e_rev_mv: 0.0, decay: Euler, input_timing: NextStep),";
    assert!(text.contains(from), "the scene's synapse line changed");
    text.replace(
        from,
        "synapse: Conductance(tau_ms: 5.0, e_rev_mv: 0.0, decay: Euler, input_timing: NextStep, fixed_driving_force_mv: 60.0),",
    )
}

/// Run `text` with `seed` for its 100 s and measure it.
fn run(text: &str, seed: u64) -> Stats {
    let mut scene = Scene::parse(text, "song2000_stdp.ron", &registry_of(DefaultPlugins))
        .unwrap_or_else(|e| panic!("{e}"));
    scene.seed = seed;
    let steps = scene.steps().unwrap();
    assert_eq!(steps, 1_000_000);
    let mut sim = scene
        .build(DefaultPlugins)
        .unwrap_or_else(|e| panic!("{e}"));
    sim.run_steps(steps);

    let projection = sim.index().projection("input_to_neuron").unwrap();
    let w: Vec<f64> = sim
        .world
        .get::<Weights>(projection)
        .unwrap()
        .w
        .iter()
        .map(|&x| f64::from(x) / GMAX)
        .collect();
    assert_eq!(w.len(), 1000);
    assert!(
        w.iter().all(|&x| (0.0..=1.0).contains(&x)),
        "hard bounds hold"
    );
    let spikes = &sim.recorders().spikes_of("neuron").unwrap().steps;
    let first5 = spikes.iter().filter(|&&s| s < 50_000).count();
    Stats {
        mean_w: w.iter().sum::<f64>() / w.len() as f64,
        low: w.iter().filter(|&&x| x < 0.05).count() as f64,
        high: w.iter().filter(|&&x| x > 0.95).count() as f64,
        rate_hz: spikes.len() as f64 / 100.0,
        first5_hz: first5 as f64 / 5.0,
    }
}

/// Run every seed, two at a time.
fn run_seeds(text: &str, seeds: &[u64]) -> Vec<Stats> {
    let mut all = vec![Stats::default(); seeds.len()];
    for (chunk, out) in seeds.chunks(2).zip(all.chunks_mut(2)) {
        std::thread::scope(|scope| {
            for (&seed, slot) in chunk.iter().zip(out.iter_mut()) {
                scope.spawn(move || *slot = run(text, seed));
            }
        });
    }
    all
}

#[test]
#[cfg_attr(debug_assertions, ignore = "10^6 steps per seed: run with --release")]
fn song2000_statistics_match_brian2_over_seeds() {
    let text = scene_text();
    let start = Instant::now();
    let runs = run_seeds(&text, &SEEDS);
    let ours = Stats::mean(&runs);
    let n = SEEDS.len() as f64;
    eprintln!(
        "Song 2000, {:.1?} for {} seeds: {runs:#?}\nmean {ours:?}",
        start.elapsed(),
        SEEDS.len()
    );

    // hebb's mean over its seeds against Brian2's over its seeds: the difference of two means
    // of independent runs, whose standard error comes from both spreads (Welch). Allow 5 of
    // them: a real difference of model (the fixed driving force below moves the mean weight by
    // 0.04, about 30 standard errors) fails, the choice of seeds or random streams does not.
    // (Measured: every statistic within 2 standard errors; hebb's mean weight sits ≈ 0.002
    // above Brian2's, see docs/plasticity/song2000.md.)
    let sd = Stats::sd(&runs);
    let names = [
        "mean w/gmax",
        "weights below gmax/20",
        "weights above 19 gmax/20",
        "rate over 100 s (Hz)",
        "rate over the first 5 s (Hz)",
    ];
    for (k, name) in names.iter().enumerate() {
        let (h, b) = (ours.fields()[k], BRIAN2.fields()[k]);
        let se = (sd.fields()[k].powi(2) / n + BRIAN2_SD.fields()[k].powi(2) / BRIAN2_SEEDS).sqrt();
        assert!(
            (h - b).abs() <= 5.0 * se,
            "{name}: hebb {h:.4} over {n} seeds, Brian2 {b:.4}: {:.1} standard errors apart",
            (h - b).abs() / se
        );
    }
    // Bimodal in every seed: both end twentieths hold several times the 50 of the flat start.
    for s in &runs {
        assert!(s.low > 90.0 && s.high > 70.0, "{s:?}");
    }
}

/// The pre-2020 form (`fixed_driving_force_mv: 60`) stays available and is a different model:
/// with the same seeds it fires faster early on and ends with lower weights, as the issue that
/// corrected the scene measured (Brian2: ~72 Hz in the first 5 s and mean w/gmax 0.433).
#[test]
#[cfg_attr(debug_assertions, ignore = "10^6 steps per seed: run with --release")]
fn song2000_fixed_driving_force_is_the_old_example() {
    let seeds = [1, 2];
    let current = Stats::mean(&run_seeds(&scene_text(), &seeds));
    let old = Stats::mean(&run_seeds(&fixed_driving_force(&scene_text()), &seeds));
    eprintln!("current {current:?}\nfixed driving force {old:?}");
    assert!(
        old.first5_hz > current.first5_hz + 10.0,
        "{old:?} vs {current:?}"
    );
    assert!((0.42..0.45).contains(&old.mean_w), "{old:?}");
    assert!(old.mean_w < current.mean_w - 0.02, "{old:?} vs {current:?}");
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
