//! Safe defaults, end to end with the `hebb` binary: the scene of docs/getting-started.md §5
//! runs and gives physical output (moderate rates, conductances within their bounds), and
//! `hebb check` refuses a conductance projection whose plasticity could make it negative.

mod common;
use common::{hebb, repo, scratch};

/// The RON block of docs/getting-started.md §5.
fn getting_started_scene() -> String {
    let doc = std::fs::read_to_string(repo().join("docs/getting-started.md")).unwrap();
    let section = &doc[doc.find("## 5. Write a scene").expect("§5 exists")..];
    let start = section.find("```ron\n").expect("a ron block") + 7;
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_owned()
}

#[test]
fn the_getting_started_scene_gives_physical_output() {
    let dir = scratch("getting_started");
    let scene = dir.join("mine.ron");
    std::fs::write(&scene, getting_started_scene()).unwrap();
    let out_dir = dir.join("out");
    let out = hebb(&[
        "run",
        scene.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    let rate = summary["populations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "out")
        .map(|p| p["rate_hz"].as_f64().unwrap())
        .expect("the out population in the summary");
    // The documented ≈ 30 Hz: a plain LIF (no adaptive threshold running away), far from the
    // 115 Hz the adaptive, unbounded version gave.
    assert!((15.0..=50.0).contains(&rate), "rate {rate} Hz");
    // Every recorded conductance stays within the STDP bounds [0, 0.03].
    let w = std::fs::read_to_string(out_dir.join("w.csv")).unwrap();
    let mut n = 0;
    for line in w.lines().skip(1) {
        for x in line.split(',').skip(1) {
            let x: f64 = x.parse().unwrap();
            assert!((0.0..=0.03 + 1e-9).contains(&x), "weight {x}");
            n += 1;
        }
    }
    assert!(n >= 2000, "{n} weights read");
    // The potential never exceeds the threshold (−52 mV) by more than one step's rise.
    let v = std::fs::read_to_string(out_dir.join("v_out.csv")).unwrap();
    for line in v.lines().skip(1) {
        for x in line.split(',').skip(1) {
            let x: f64 = x.parse().unwrap();
            assert!((-80.0..=-51.0).contains(&x), "v {x}");
        }
    }
}

#[test]
fn check_refuses_unbounded_plasticity_on_a_conductance() {
    let dir = scratch("unbounded");
    let text = getting_started_scene().replace(
        "plasticity: Stdp(lr_post: 0.0002, lr_pre: -0.00021, bounds: Hard(w_min: 0.0, w_max: 0.03)),",
        "plasticity: Stdp(lr_post: 0.0002, lr_pre: -0.00021),",
    );
    assert!(!text.contains("Hard("), "the replacement applied");
    let scene = dir.join("unbounded.ron");
    std::fs::write(&scene, &text).unwrap();
    let out = hebb(&["check", scene.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("projections[0] (`input_to_out`)")
            && err.contains("needs weights >= 0")
            && err.contains("bounds `Unbounded`")
            && err.contains("allow_negative_weights: true"),
        "{err}"
    );
    // The explicit opt-out is accepted, and visible in what check prints.
    let allowed = text.replace(
        "synapse: Conductance(tau_ms: 5.0, e_rev_mv: 0.0),",
        "synapse: Conductance(tau_ms: 5.0, e_rev_mv: 0.0, allow_negative_weights: true),",
    );
    std::fs::write(&scene, allowed).unwrap();
    let out = hebb(&["check", scene.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("allow_negative_weights"), "{printed}");
}

#[test]
fn seed_and_duration_options_override_the_scene_and_are_recorded() {
    let dir = scratch("overrides");
    let scene = dir.join("mine.ron");
    std::fs::write(&scene, getting_started_scene()).unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out_dir = dir.join(name);
        let mut args = vec![
            "run",
            scene.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "-q",
        ];
        args.extend_from_slice(extra);
        let out = hebb(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
                .unwrap();
        let spikes = std::fs::read_to_string(out_dir.join("spikes_out.csv")).unwrap();
        (summary, spikes)
    };
    let (a, spikes_a) = run("a", &["--seed", "7", "--duration-ms", "200"]);
    assert_eq!(a["seed"], 7);
    assert_eq!(a["duration_ms"], 200.0);
    assert_eq!(a["steps"], 2000);
    let (b, spikes_b) = run("b", &["--seed", "7", "--duration-ms", "200"]);
    assert_eq!(spikes_a, spikes_b, "same seed, same spikes");
    assert_eq!(b["seed"], 7);
    let (c, spikes_c) = run("c", &["--seed", "8", "--duration-ms", "200"]);
    assert_eq!(c["seed"], 8);
    assert_ne!(spikes_a, spikes_c, "another seed, other spikes");
    // The run directory holds the scene as run, with the overrides and every resolved param,
    // and it runs again to the same spikes.
    let as_run = std::fs::read_to_string(dir.join("a/scene_as_run.ron")).unwrap();
    assert!(
        as_run.contains("seed: 7") && as_run.contains("duration_ms: 200.0"),
        "{as_run}"
    );
    assert!(
        as_run.contains("tau_theta_ms: 0.0") && as_run.contains("allow_negative_weights: false"),
        "{as_run}"
    );
    let again = dir.join("again");
    let out = hebb(&[
        "run",
        dir.join("a/scene_as_run.ron").to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(again.join("spikes_out.csv")).unwrap(),
        spikes_a
    );
    // A duration off the grid is refused like in a scene.
    let out = hebb(&[
        "run",
        scene.to_str().unwrap(),
        "--out",
        dir.join("d").to_str().unwrap(),
        "--duration-ms",
        "0.05",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--duration-ms 0.05: duration_ms must be >= 0 and a whole number of time steps (dt = 0.1 ms), got 0.05"),
        "{err}"
    );
}

#[test]
fn list_shows_one_model_and_the_scene_parts() {
    let out = hebb(&["list", "Conductance"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("synapse model:\n  Conductance — "),
        "{text}"
    );
    assert!(
        text.contains("allow_negative_weights") && !text.contains("LifRef"),
        "{text}"
    );
    let out = hebb(&["list", "Nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no model named `Nope`"));
    let out = hebb(&["list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for part in [
        "connectivities",
        "FixedProbability(p:",
        "weight initialisers",
        "Uniform(low:",
        "recorder kinds",
        "Spikes(population:",
    ] {
        assert!(text.contains(part), "{part}");
    }
}
