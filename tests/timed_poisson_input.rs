//! Time-varying `PoissonInput` (`PoissonInput(timed: …)`, Brian2's `PoissonInput` with a
//! `TimedArray` rate): every step's counts are exactly those of the constant rate of the section
//! in force; a schedule equal to a constant gives the constant's bits, from the scene or a
//! CSV/NPY file; counts per section follow the binomial means; the same bits on 1, 2 and 3
//! threads and after a snapshot; errors name file, line and field.

use std::path::PathBuf;

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};

/// `size` counting neurons: a `LifRef` whose membrane never decays (τ = 10⁹ ms: the decay
/// factor is 1 in f32) and never fires, starting at 0, so with `weight: 1.0` on `Voltage` its
/// `v` is the running sum of its counts (whole numbers, exact in f32 below 2²⁴).
fn counter_scene(size: usize, stimulus: &str, duration_ms: f64) -> String {
    format!(
        "(version: 1, dt_ms: 0.1, duration_ms: {duration_ms}, seed: 21,
          populations: [(name: \"n\", size: {size}, model: LifRef(tau_ms: 1e9, v_rest_mv: 0.0,
              v_reset_mv: 0.0, v_threshold_mv: 1e9), initial: {{\"v\": Constant(0.0)}})],
          inputs: [(population: \"n\", model: {stimulus})])"
    )
}

/// A leaky `LifRef` (τ = 10 ms) driven by `stimulus`, firing now and then (Brian2's shot-noise
/// example of `scenes/noise_driven_lif.ron`).
fn leaky_scene(size: usize, stimulus: &str, duration_ms: f64) -> String {
    format!(
        "(version: 1, dt_ms: 0.1, duration_ms: {duration_ms}, seed: 21,
          populations: [(name: \"n\", size: {size}, model: LifRef(tau_ms: 10.0, v_rest_mv: 0.0,
              v_reset_mv: 10.0, v_threshold_mv: 20.0, tau_ref_ms: 2.0))],
          inputs: [(population: \"n\", model: {stimulus})],
          recorders: [Spikes(population: \"n\")])"
    )
}

fn scene(text: &str) -> Scene {
    Scene::parse(text, "timed_input.ron", &registry_of(DefaultPlugins)).unwrap()
}

fn membrane(sim: &Simulation) -> Vec<Real> {
    let pop = sim.index().population("n").unwrap();
    sim.world.get::<Membrane>(pop).unwrap().v.clone()
}

fn bits(v: &[Real]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Membrane bits after each of `checkpoints` (steps from the start), on `threads` threads.
fn trajectory(scene: &Scene, threads: usize, checkpoints: &[u64]) -> Vec<Vec<u32>> {
    let mut sim = scene.build(DefaultPlugins).unwrap();
    sim.set_threads(threads).unwrap();
    let mut done = 0;
    checkpoints
        .iter()
        .map(|&k| {
            sim.run_steps(k - done);
            done = k;
            bits(&membrane(&sim))
        })
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("timed_poisson_input_{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn each_section_draws_exactly_the_counts_of_its_constant_rate() {
    // Counting neurons: v after step k is the sum of the counts of steps 0..=k. Under the
    // schedule (40 Hz until 10 ms, then 250 Hz) the counts of steps 0..100 are those of a
    // constant 40 Hz, and those of steps 100..300 those of a constant 250 Hz, neuron by neuron.
    let stimulus = |rate: &str| format!("PoissonInput(n_sources: 50, weight: 1.0, {rate})");
    let timed = trajectory(
        &scene(&counter_scene(
            300,
            &stimulus("timed: Sections(times_ms: [0.0, 10.0], rates_hz: [40.0, 250.0])"),
            30.0,
        )),
        1,
        &[100, 300],
    );
    let slow = trajectory(
        &scene(&counter_scene(300, &stimulus("rate_hz: 40.0"), 30.0)),
        1,
        &[100, 300],
    );
    let fast = trajectory(
        &scene(&counter_scene(300, &stimulus("rate_hz: 250.0"), 30.0)),
        1,
        &[100, 300],
    );
    let value = |b: &[u32]| {
        b.iter()
            .map(|&x| f64::from(Real::from_bits(x)))
            .collect::<Vec<_>>()
    };
    assert_eq!(timed[0], slow[0]);
    let (t0, t1, f0, f1) = (
        value(&timed[0]),
        value(&timed[1]),
        value(&fast[0]),
        value(&fast[1]),
    );
    for i in 0..300 {
        assert_eq!(t1[i] - t0[i], f1[i] - f0[i], "neuron {i}");
    }
    // Not a vacuous comparison: the two rates give different counts.
    assert_ne!(timed[1], fast[1]);
    assert_ne!(timed[1], slow[1]);
}

#[test]
fn counts_per_section_follow_the_binomial_means() {
    // 500 neurons of 100 sources: 0-20 ms at 5 Hz, 20-30 ms at 80 Hz, 30-40 ms silent,
    // 40-100 ms at 20 Hz. The count of a section summed over neurons and steps is
    // Binomial(500·100·steps, p): within 5 standard deviations; the silent one is exactly 0.
    let text = counter_scene(
        500,
        "PoissonInput(n_sources: 100, weight: 1.0, timed: Sections(times_ms: [0.0, 20.0, 30.0, 40.0], rates_hz: [5.0, 80.0, 0.0, 20.0]))",
        100.0,
    );
    let sections = [
        (0u64, 200u64, 5.0),
        (200, 300, 80.0),
        (300, 400, 0.0),
        (400, 1000, 20.0),
    ];
    let marks: Vec<u64> = sections.iter().map(|s| s.1).collect();
    let trajectory = trajectory(&scene(&text), 1, &marks);
    let total = |b: &[u32]| {
        b.iter()
            .map(|&x| f64::from(Real::from_bits(x)))
            .sum::<f64>()
    };
    let mut before = 0.0;
    for (k, &(from, to, rate)) in sections.iter().enumerate() {
        let after = total(&trajectory[k]);
        let count = after - before;
        before = after;
        let p = rate * 0.1 / 1000.0;
        let trials = 500.0 * 100.0 * (to - from) as f64;
        let (mean, sd) = (trials * p, (trials * p * (1.0 - p)).sqrt());
        assert!(
            (count - mean).abs() <= 5.0 * sd,
            "steps {from}..{to}: {count} counts, expected {mean} ± {sd}"
        );
        if rate == 0.0 {
            assert_eq!(count, 0.0);
        } else {
            assert!(count > 0.0);
        }
    }
}

#[test]
fn a_schedule_equal_to_the_constant_gives_its_bits_from_the_scene_csv_and_npy() {
    let stimulus = |rate: &str| format!("PoissonInput(n_sources: 500, weight: 0.4, {rate})");
    let checkpoints = [250, 500, 1000];
    let constant = trajectory(
        &scene(&leaky_scene(200, &stimulus("rate_hz: 9.0"), 100.0)),
        1,
        &checkpoints,
    );
    let sections = trajectory(
        &scene(&leaky_scene(
            200,
            &stimulus("timed: Sections(times_ms: [0.0, 25.0, 60.0], rates_hz: [9.0, 9.0, 9.0])"),
            100.0,
        )),
        1,
        &checkpoints,
    );
    assert_eq!(constant, sections);
    // The same schedule from a CSV and an NPY file next to the scene.
    let dir = scratch("files");
    std::fs::write(dir.join("rates.csv"), "t_ms,rate_hz\n0,9\n25,9\n60.0,9\n").unwrap();
    // numpy.save(np.array([[0, 9], [25, 9], [60, 9]], dtype=float))
    let mut header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }".to_owned();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend((header.len() as u16).to_le_bytes());
    npy.extend(header.as_bytes());
    for x in [0.0f64, 9.0, 25.0, 9.0, 60.0, 9.0] {
        npy.extend(x.to_le_bytes());
    }
    std::fs::write(dir.join("rates.npy"), npy).unwrap();
    let registry = registry_of(DefaultPlugins);
    for file in ["rates.csv", "rates.npy"] {
        let path = dir.join("scene.ron");
        let text = leaky_scene(200, &stimulus(&format!("timed: File(\"{file}\")")), 100.0);
        std::fs::write(&path, text).unwrap();
        let scene = Scene::load(&path, &registry).unwrap();
        assert_eq!(trajectory(&scene, 1, &checkpoints), constant, "{file}");
    }
    // And a real change of rate changes the run.
    let changed = trajectory(
        &scene(&leaky_scene(
            200,
            &stimulus("timed: Sections(times_ms: [0.0, 25.0], rates_hz: [9.0, 12.0])"),
            100.0,
        )),
        1,
        &checkpoints,
    );
    assert_eq!(changed[0], constant[0]);
    assert_ne!(changed[1], constant[1]);
}

#[test]
fn the_same_bits_on_one_two_and_three_threads_and_after_a_snapshot() {
    for target in ["", ", neurons: [0, 5, 77, 3, 150, 199, 100]"] {
        let text = leaky_scene(
            200,
            &format!(
                "PoissonInput(n_sources: 500, weight: 0.4, timed: Sections(times_ms: [0.0, 20.0, 35.0], rates_hz: [9.0, 0.0, 15.0]){target})"
            ),
            50.0,
        );
        let scene = scene(&text);
        let one = trajectory(&scene, 1, &[150, 250, 500]);
        assert_eq!(one, trajectory(&scene, 2, &[150, 250, 500]), "{target}");
        assert_eq!(one, trajectory(&scene, 3, &[150, 250, 500]), "{target}");
        // Resumed at step 150 (in the first section) from a snapshot.
        let mut first = scene.build(DefaultPlugins).unwrap();
        first.run_steps(150);
        let state = first.save_state().unwrap();
        let mut resumed = scene.build(DefaultPlugins).unwrap();
        resumed.restore_state(&state).unwrap();
        resumed.run_steps(350);
        assert_eq!(bits(&membrane(&resumed)), one[2], "{target}");
    }
}

#[test]
fn timed_errors_name_file_line_and_field() {
    let registry = registry_of(DefaultPlugins);
    let dir = scratch("errors");
    let path = dir.join("scene.ron");
    let error = |stimulus: &str| -> String {
        std::fs::write(&path, counter_scene(3, stimulus, 10.0)).unwrap();
        match Scene::load(&path, &registry) {
            Err(e) => e.to_string(),
            Ok(scene) => scene.build(DefaultPlugins).err().unwrap().to_string(),
        }
    };
    // The stimulus is on line 4 of the scene.
    let e = error("PoissonInput(n_sources: 10, timed: File(\"missing.csv\"))");
    assert!(
        e.contains("scene.ron:4:") && e.contains("timed") && e.contains("missing.csv"),
        "{e}"
    );
    std::fs::write(dir.join("bad.csv"), "0,5\n100,oops\n").unwrap();
    let e = error("PoissonInput(n_sources: 10, timed: File(\"bad.csv\"))");
    assert!(
        e.contains("scene.ron:4:") && e.contains("line 2: `oops` is not a number"),
        "{e}"
    );
    std::fs::write(dir.join("wide.csv"), "0,5,6,7\n").unwrap();
    let e = error("PoissonInput(n_sources: 10, timed: File(\"wide.csv\"))");
    assert!(
        e.contains("scene.ron:4:") && e.contains("wide.csv") && e.contains("one rate column"),
        "{e}"
    );
    let e = error("PoissonInput(timed: PerNeuron(times_ms: [0.0], rates_hz: [[1.0, 2.0, 3.0]]))");
    assert!(
        e.contains("scene.ron:4:") && e.contains("Poisson population"),
        "{e}"
    );
    let e = error("PoissonInput(rate_hz: 5.0, timed: Sections(times_ms: [0.0], rates_hz: [1.0]))");
    assert!(e.contains("scene.ron:4:") && e.contains("not both"), "{e}");
    let e = error("PoissonInput(timed: Sections(times_ms: [0.0, 0.05], rates_hz: [1.0, 2.0]))");
    assert!(
        e.contains("timed.times_ms[1]") && e.contains("whole number"),
        "{e}"
    );
    let e = error("PoissonInput(timed: Sections(times_ms: [0.0, 1.0], rates_hz: [1.0, 20000.0]))");
    assert!(e.contains("section 1") && e.contains("(> 1)"), "{e}");
    let e = error("PoissonInput(timed: Sections(times_ms: [0.0, 1.0], rates_hz: [1.0]))");
    assert!(
        e.contains("timed.rates_hz") && e.contains("one rate per section"),
        "{e}"
    );
    let e = error(
        "PoissonInput(n_sources: 100000000000000, timed: Sections(times_ms: [0.0, 1.0], rates_hz: [0.0, 1000.0]))",
    );
    assert!(e.contains("n_sources") && e.contains("(section 1)"), "{e}");
}
