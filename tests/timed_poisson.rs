//! Time-varying Poisson rates (`Poisson(timed: …)`): a one-section schedule is exactly the
//! constant-rate `Poisson`; section counts follow the rates; per-neuron schedules, CSV and NPY
//! files (resolved against the scene's directory) give the same trains as the same schedule in
//! the scene; errors name file, line and field; snapshots resume across a section boundary.

use std::path::PathBuf;

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};

fn scene_text(size: usize, model: &str, duration_ms: f64) -> String {
    format!(
        "(version: 1, dt_ms: 0.1, duration_ms: {duration_ms}, seed: 9,
          populations: [(name: \"in\", size: {size}, model: {model})],
          recorders: [Spikes(population: \"in\")])"
    )
}

/// (step, neuron) of every spike of "in" over the scene's duration.
fn raster_of(scene: &Scene) -> Vec<(u64, u32)> {
    let mut sim = scene.build(DefaultPlugins).unwrap();
    sim.run_steps(scene.steps().unwrap());
    let rec = sim.recorders().spikes_of("in").unwrap();
    rec.steps
        .iter()
        .copied()
        .zip(rec.neurons.iter().copied())
        .collect()
}

fn raster(size: usize, model: &str, duration_ms: f64) -> Vec<(u64, u32)> {
    let text = scene_text(size, model, duration_ms);
    raster_of(&Scene::parse(&text, "timed.ron", &registry_of(DefaultPlugins)).unwrap())
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("timed_poisson_{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn one_section_is_exactly_the_constant_rate() {
    let constant = raster(200, "Poisson(rate_hz: 30.0)", 500.0);
    assert!(constant.len() > 2000);
    let timed = raster(
        200,
        "Poisson(timed: Sections(times_ms: [0.0], rates_hz: [30.0]))",
        500.0,
    );
    assert_eq!(constant, timed);
}

#[test]
fn section_counts_follow_the_rates() {
    // 1000 neurons; 0-200 ms at 5 Hz, 200-300 ms at 80 Hz, 300-400 ms silent, 400-1000 ms 20 Hz.
    let spikes = raster(
        1000,
        "Poisson(timed: Sections(times_ms: [0.0, 200.0, 300.0, 400.0], rates_hz: [5.0, 80.0, 0.0, 20.0]))",
        1000.0,
    );
    for (from, to, rate) in [
        (0u64, 2000u64, 5.0),
        (2000, 3000, 80.0),
        (3000, 4000, 0.0),
        (4000, 10_000, 20.0),
    ] {
        let count = spikes
            .iter()
            .filter(|(k, _)| (from..to).contains(k))
            .count() as f64;
        let p = rate * 0.1 / 1000.0;
        let trials = 1000.0 * (to - from) as f64;
        let (mean, sd) = (trials * p, (trials * p * (1.0 - p)).sqrt());
        assert!(
            (count - mean).abs() <= 5.0 * sd,
            "steps {from}..{to}: {count} spikes, expected {mean} ± {sd}"
        );
    }
}

#[test]
fn per_neuron_schedules_from_the_scene_csv_and_npy_are_the_same_trains() {
    // Three neurons: neuron 0 at 50 Hz then silent, neuron 1 silent then 200 Hz, neuron 2 at
    // 100 Hz throughout.
    let in_scene = "Poisson(timed: PerNeuron(times_ms: [0.0, 250.0], rates_hz: [[50.0, 0.0, 100.0], [0.0, 200.0, 100.0]]))";
    let expected = raster(3, in_scene, 500.0);
    assert!(
        expected
            .iter()
            .all(|&(k, i)| (i != 0 || k < 2500) && (i != 1 || k >= 2500))
    );
    assert!(expected.iter().filter(|s| s.1 == 1).count() > 20);
    let dir = scratch("files");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(
        dir.join("data/rates.csv"),
        "t_ms,r0,r1,r2\n0,50,0,100\n250,0,200,100\n",
    )
    .unwrap();
    // numpy.save(np.array([[0, 50, 0, 100], [250, 0, 200, 100]], dtype=float))
    let mut header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 4), }".to_owned();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend((header.len() as u16).to_le_bytes());
    npy.extend(header.as_bytes());
    for x in [0.0f64, 50.0, 0.0, 100.0, 250.0, 0.0, 200.0, 100.0] {
        npy.extend(x.to_le_bytes());
    }
    std::fs::write(dir.join("data/rates.npy"), npy).unwrap();
    let registry = registry_of(DefaultPlugins);
    for file in ["data/rates.csv", "data/rates.npy"] {
        let path = dir.join("scene.ron");
        std::fs::write(
            &path,
            scene_text(3, &format!("Poisson(timed: File(\"{file}\"))"), 500.0),
        )
        .unwrap();
        // Loaded by its path: the file name is resolved against the scene's directory.
        let scene = Scene::load(&path, &registry).unwrap();
        assert_eq!(raster_of(&scene), expected, "{file}");
    }
}

#[test]
fn timed_errors_name_file_line_and_field() {
    let registry = registry_of(DefaultPlugins);
    let dir = scratch("errors");
    let path = dir.join("scene.ron");
    let write_scene = |model: &str| {
        std::fs::write(&path, scene_text(3, model, 10.0)).unwrap();
    };
    write_scene("Poisson(timed: File(\"missing.csv\"))");
    let scene = Scene::load(&path, &registry).unwrap();
    let e = scene.build(DefaultPlugins).err().unwrap().to_string();
    assert!(e.contains("scene.ron:2:") && e.contains("timed"), "{e}");
    assert!(
        e.contains("missing.csv") && e.contains("cannot read"),
        "{e}"
    );
    std::fs::write(dir.join("bad.csv"), "0,5\n100,oops\n").unwrap();
    write_scene("Poisson(timed: File(\"bad.csv\"))");
    let e = Scene::load(&path, &registry)
        .unwrap()
        .build(DefaultPlugins)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("line 2: `oops` is not a number"), "{e}");
    std::fs::write(dir.join("cols.csv"), "0,5,6\n").unwrap();
    write_scene("Poisson(timed: File(\"cols.csv\"))");
    let e = Scene::load(&path, &registry)
        .unwrap()
        .build(DefaultPlugins)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("1 or 3 (one per neuron) rate columns"), "{e}");
    write_scene(
        "Poisson(rates_hz: [1.0, 2.0, 3.0], timed: Sections(times_ms: [0.0], rates_hz: [1.0]))",
    );
    let e = Scene::load(&path, &registry).unwrap_err().to_string();
    assert!(e.contains("scene.ron:2:") && e.contains("timed"), "{e}");
    write_scene("Poisson(timed: Sections(times_ms: [0.0, 0.05], rates_hz: [1.0, 2.0]))");
    let e = Scene::load(&path, &registry)
        .unwrap()
        .build(DefaultPlugins)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("timed.times_ms[1]") && e.contains("whole number"),
        "{e}"
    );
}

#[test]
fn a_snapshot_resumes_across_a_section_boundary() {
    let text = scene_text(
        50,
        "Poisson(timed: Sections(times_ms: [0.0, 15.0, 25.0], rates_hz: [20.0, 300.0, 0.5]))",
        40.0,
    );
    let scene = Scene::parse(&text, "timed.ron", &registry_of(DefaultPlugins)).unwrap();
    let straight = raster_of(&scene);
    let mut first = scene.build(DefaultPlugins).unwrap();
    first.run_steps(100);
    let state = first.save_state().unwrap();
    let mut resumed = scene.build(DefaultPlugins).unwrap();
    resumed.restore_state(&state).unwrap();
    resumed.run_steps(300);
    let rec = resumed.recorders().spikes_of("in").unwrap();
    let got: Vec<(u64, u32)> = rec
        .steps
        .iter()
        .copied()
        .zip(rec.neurons.iter().copied())
        .collect();
    assert_eq!(got, straight);
}
