//! The `hebb` binary end to end: `run` writes the files the README promises, refuses non-empty
//! directories without `--force`, reports errors cleanly; `check` and `models` print.

use std::path::Path;
use std::process::Output;

mod common;
use common::{hebb, scratch};

const DEMO: &str = "scenes/poisson_lif_conductance.ron";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A failed command: exit code 1, one clean `error: …` message, no panic or Debug dump.
fn assert_clean_failure(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !stderr.contains("Error {") && !stderr.contains("Os {"),
        "{stderr}"
    );
    stderr
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn run_writes_summary_spikes_and_state_files() {
    let dir = scratch("run_demo");
    let out_dir = dir.join("out");
    let out = hebb(&["run", DEMO, "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["scene"], DEMO);
    assert_eq!(summary["seed"], 42);
    assert_eq!(summary["dt_ms"], 0.1);
    assert_eq!(summary["steps"], 10_000);
    assert_eq!(summary["duration_ms"], 1000.0);
    assert_eq!(summary["hebb_version"], env!("CARGO_PKG_VERSION"));
    let wall = summary["wall_seconds"].as_f64().unwrap();
    assert!(wall > 0.0 && wall < 60.0, "{wall}");

    // Every recorded spike is in its file, and the summary's counts and rates agree with it.
    let populations = summary["populations"].as_array().unwrap();
    let neurons = populations
        .iter()
        .find(|p| p["name"] == "neurons")
        .expect("the demo has a `neurons` population");
    let spikes = lines(&out_dir.join("spikes_neurons.csv"));
    assert_eq!(spikes[0], "t_ms,neuron");
    let count = neurons["spikes"].as_u64().unwrap();
    assert_eq!(spikes.len() as u64 - 1, count);
    assert!(count > 0, "the demo neurons fire");
    let size = neurons["size"].as_f64().unwrap();
    let rate = neurons["rate_hz"].as_f64().unwrap();
    assert!((rate - count as f64 / size).abs() < 1e-9, "{rate}");
    for row in &spikes[1..] {
        let (t, i) = row.split_once(',').unwrap();
        let t: f64 = t.parse().unwrap();
        let i: usize = i.parse().unwrap();
        assert!((0.0..1000.0).contains(&t) && i < size as usize, "{row}");
        let k = t / 0.1;
        assert!((k - k.round()).abs() < 1e-6, "t_ms {t} is on the dt grid");
    }

    // The voltage recorder: a t_ms column, then one column per recorded neuron, every step.
    let v = lines(&out_dir.join("v_neurons.csv"));
    assert_eq!(v[0], "t_ms,v[0],v[1],v[2]");
    assert_eq!(v.len(), 1 + 10_000);
    assert_eq!(v[1].split(',').next().unwrap(), "0");
    assert_eq!(v[10_000].split(',').next().unwrap(), "999.9");
    let files: Vec<String> = summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    for f in &files {
        assert!(out_dir.join(f).is_file(), "{f}");
    }
    assert!(files.contains(&"summary.json".to_owned()));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("neurons") && stdout.contains("Hz"),
        "{stdout}"
    );
}

#[test]
fn weight_recorders_name_columns_by_synapse() {
    let dir = scratch("weights");
    let scene = dir.join("w.ron");
    std::fs::write(
        &scene,
        r#"// Two Poisson inputs onto two LIF neurons, all to all; records two weights.
(
    version: 1,
    dt_ms: 0.5,
    duration_ms: 10.0,
    populations: [
        (name: "in", size: 2, model: Poisson(rate_hz: 50.0)),
        (name: "out", size: 2, model: Lif),
    ],
    projections: [(
        name: "in_to_out", from: "in", to: "out",
        connectivity: AllToAll, weights: Values([1.0, 2.0, 3.0, 4.0]), synapse: Delta,
    )],
    recorders: [Weights(name: "w", projection: "in_to_out", synapses: [(0, 1), (1, 0)], stride: 4)],
)
"#,
    )
    .unwrap();
    let out_dir = dir.join("out");
    let out = hebb(&[
        "run",
        scene.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let w = lines(&out_dir.join("w.csv"));
    // Dense synapse (i, j) holds value i·2 + j: (0, 1) → 2.0, (1, 0) → 3.0; 20 steps / 4.
    assert_eq!(w[0], "t_ms,\"w[0,1]\",\"w[1,0]\"");
    assert_eq!(w[1..], ["0,2,3", "2,2,3", "4,2,3", "6,2,3", "8,2,3"]);
}

#[test]
fn run_refuses_a_non_empty_directory_unless_forced() {
    let dir = scratch("refuse");
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("notes.txt"), "mine").unwrap();
    let out = hebb(&["run", DEMO, "--out", out_dir.to_str().unwrap()]);
    let stderr = assert_clean_failure(&out);
    assert!(
        stderr.contains("is not empty") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(!out_dir.join("summary.json").exists());

    let out = hebb(&["run", DEMO, "--out", out_dir.to_str().unwrap(), "--force"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out_dir.join("summary.json").is_file());
    assert_eq!(
        std::fs::read_to_string(out_dir.join("notes.txt")).unwrap(),
        "mine",
        "files hebb did not write are left alone"
    );
    // A second forced run overwrites its own files (same seed: same spikes).
    let first = std::fs::read_to_string(out_dir.join("spikes_neurons.csv")).unwrap();
    let out = hebb(&["run", DEMO, "--out", out_dir.to_str().unwrap(), "--force"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let second = std::fs::read_to_string(out_dir.join("spikes_neurons.csv")).unwrap();
    assert_eq!(first, second);
}

#[test]
fn scene_errors_are_reported_cleanly() {
    let dir = scratch("errors");
    let scene = dir.join("bad.ron");
    std::fs::write(
        &scene,
        "// bad\n(\n    version: 1,\n    duration_ms: 1.0,\n    populations: [(name: \"a\", size: 1, model: Lif(tau_m_ms: -3.0))],\n)\n",
    )
    .unwrap();
    let path = scene.to_str().unwrap();
    let out_dir = dir.join("out");
    let out = hebb(&["run", path, "--out", out_dir.to_str().unwrap()]);
    let stderr = assert_clean_failure(&out);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: {path}:5:51: populations[0] (`a`): model `Lif`: tau_m_ms must be > 0, got -3"
        )
    );
    assert!(!out_dir.exists(), "nothing is written for a bad scene");

    let out = hebb(&["check", path]);
    assert_clean_failure(&out);

    let missing = dir.join("missing.ron");
    let out = hebb(&["check", missing.to_str().unwrap()]);
    let stderr = assert_clean_failure(&out);
    assert!(stderr.contains("missing.ron: cannot read"), "{stderr}");
}

#[test]
fn check_prints_network_and_schedule() {
    let out = hebb(&["check", DEMO]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with(&format!("{DEMO}: ok")), "{stdout}");
    assert!(stdout.contains("(10000 steps)"), "{stdout}");
    assert!(stdout.contains("synapses"), "{stdout}");
    for stage in [
        "InputSpikes:",
        "CurrentIntegration:",
        "NeuronStep:",
        "Record:",
    ] {
        assert!(stdout.contains(stage), "{stage} in {stdout}");
    }
}

#[test]
fn models_lists_the_built_in_models() {
    let out = hebb(&["models"]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    for name in ["Lif", "Poisson", "Conductance", "TsodyksMarkram"] {
        assert!(
            stdout.contains(&format!("  {name} — ")),
            "{name} in {stdout}"
        );
    }
}

#[test]
fn npy_format_writes_numpy_files() {
    let dir = scratch("npy");
    let out_dir = dir.join("out");
    let out = hebb(&[
        "run",
        DEMO,
        "--out",
        out_dir.to_str().unwrap(),
        "--format",
        "npy",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(out_dir.join("spikes_neurons.npy")).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    assert!(out_dir.join("v_neurons.npy").is_file());
    assert!(out_dir.join("summary.json").is_file());
}
