//! `hebb run --set PATH=VALUE` and `hebb check --set`: the value changes the run exactly as the
//! same text in the file would, errors name the `--set` argument, and the run directory
//! records the changes and every model's resolved parameters.

use std::path::Path;
use std::process::Output;

mod common;
use common::{hebb, scratch};

const DEMO: &str = "scenes/poisson_lif_conductance.ron";

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn run(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        DEMO,
        "--quiet",
        "--duration-ms",
        "200",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    hebb(&args)
}

#[test]
fn set_changes_the_run_like_the_file_would() {
    let dir = scratch("set_same_as_file");
    // The same change once by --set, once in a copy of the file.
    let by_set = dir.join("by_set");
    ok(&run(
        &by_set,
        &[
            "--set",
            "populations.neurons.model.tau_m_ms=12.5",
            "--set",
            "projections.inh_to_neurons.weights=Constant(0.25)",
        ],
    ));
    let text = std::fs::read_to_string(common::repo().join(DEMO)).unwrap();
    let edited = text
        .replace("tau_m_ms: 20.0,", "tau_m_ms: 12.5,")
        .replace("weights: Constant(0.5),", "weights: Constant(0.25),");
    assert_ne!(edited, text);
    let scene = dir.join("edited.ron");
    std::fs::write(&scene, edited).unwrap();
    let by_file = dir.join("by_file");
    ok(&hebb(&[
        "run",
        scene.to_str().unwrap(),
        "--quiet",
        "--duration-ms",
        "200",
        "--out",
        by_file.to_str().unwrap(),
    ]));
    let plain = dir.join("plain");
    ok(&run(&plain, &[]));
    let spikes = |d: &Path| std::fs::read_to_string(d.join("spikes_neurons.csv")).unwrap();
    assert_eq!(spikes(&by_set), spikes(&by_file));
    assert_ne!(
        spikes(&by_set),
        spikes(&plain),
        "the change must change the run"
    );

    let s = summary(&by_set);
    assert_eq!(
        s["set"],
        serde_json::json!([
            "populations.neurons.model.tau_m_ms=12.5",
            "projections.inh_to_neurons.weights=Constant(0.25)"
        ])
    );
    assert_eq!(summary(&plain)["set"], serde_json::json!([]));
    // Every model's resolved params, the threads and the seed.
    assert_eq!(s["threads"], 1);
    assert_eq!(s["seed"], 42);
    let neurons = &s["populations"][2];
    assert_eq!(neurons["name"], "neurons");
    assert_eq!(neurons["params"]["tau_m_ms"], 12.5);
    // A default the file does not write, resolved.
    assert!(neurons["params"]["tau_theta_ms"].is_number(), "{neurons}");
    assert_eq!(s["populations"][0]["params"]["rate_hz"], 10.0);
    let inh = &s["projections"][1];
    assert_eq!(inh["synapse"]["model"], "Conductance");
    assert_eq!(inh["synapse"]["params"]["e_rev_mv"], -80.0);
    assert_eq!(inh["weights"]["Constant"], 0.25);
    assert_eq!(inh["delay_ms"], 1.0);
    assert!(
        inh["connectivity"]["FixedProbability"]["p"].is_number(),
        "{inh}"
    );
    // The scene as run holds the change.
    let as_run = std::fs::read_to_string(by_set.join("scene_as_run.ron")).unwrap();
    assert!(as_run.contains("tau_m_ms: 12.5"), "{as_run}");
}

#[test]
fn set_errors_name_the_argument() {
    let dir = scratch("set_errors");
    let cases: &[(&str, &str)] = &[
        // A parameter out of range: the scene's own message, attributed to the --set.
        (
            "populations.neurons.model.tau_m_ms=-1",
            "error: --set populations.neurons.model.tau_m_ms=-1: populations[2] (`neurons`): model `Lif`: tau_m_ms",
        ),
        // A parameter the model does not have (added, then refused by the parser).
        (
            "populations.neurons.model.tau_typo=1",
            "error: --set populations.neurons.model.tau_typo=1: ",
        ),
        // A value of the wrong type.
        (
            "projections.exc_to_neurons.delay_ms=\"one\"",
            "error: --set projections.exc_to_neurons.delay_ms=\"one\": ",
        ),
        // A delay off the grid (a validation error, not a parse error).
        (
            "projections.exc_to_neurons.delay_ms=0.15",
            "error: --set projections.exc_to_neurons.delay_ms=0.15: projections[0] (`exc_to_neurons`): delay_ms must be >= 0 and a whole number of time steps",
        ),
        // A path that is not in the scene.
        (
            "populations.nope.size=3",
            "error: --set populations.nope.size=3: `populations` has no element `nope`",
        ),
        ("seed", "error: --set seed: expected PATH=VALUE"),
    ];
    for (arg, expected) in cases {
        let out = run(&dir.join("out"), &["--set", arg]);
        assert_eq!(out.status.code(), Some(1), "{arg}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with(expected),
            "--set {arg}:\n{}\nexpected to start with:\n{expected}",
            stderr(&out)
        );
        assert!(!dir.join("out").join("summary.json").exists());
        // `hebb check` says the same.
        let check = hebb(&["check", DEMO, "--set", arg]);
        assert_eq!(check.status.code(), Some(1));
        assert_eq!(stderr(&check), stderr(&out), "check --set {arg}");
    }
    // An error elsewhere in the file keeps its file position.
    let scene = dir.join("bad.ron");
    let text = std::fs::read_to_string(common::repo().join(DEMO)).unwrap();
    std::fs::write(
        &scene,
        text.replace("size: 100, model: Poisson", "size: 0, model: Poisson"),
    )
    .unwrap();
    let out = hebb(&[
        "check",
        scene.to_str().unwrap(),
        "--set",
        "populations.neurons.model.tau_m_ms=12",
    ]);
    assert!(
        stderr(&out).contains("bad.ron:21:") && stderr(&out).contains("size must be >= 1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_shows_the_changed_scene() {
    let out = hebb(&["check", DEMO, "--set", "populations.neurons.size=7"]);
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--set populations.neurons.size=7"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().take(3).eq(["neurons", "7", "neurons"])),
        "{text}"
    );
}

/// Rows of a weight table: `(t_ms, pre, post, w)`.
fn table(path: &Path) -> Vec<(f64, u32, u32, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("t_ms,pre,post,w"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn weights_at_the_end_of_the_run_are_a_sparse_table_the_plots_use() {
    let dir = scratch("final_weights");
    let out = dir.join("out");
    ok(&hebb(&[
        "run",
        "scenes/song2000_stdp.ron",
        "--quiet",
        "--duration-ms",
        "2000",
        "--out",
        out.to_str().unwrap(),
        "--set",
        "recorders=[Spikes(population: \"neuron\"), \
         Weights(name: \"w\", projection: \"input_to_neuron\", stride: 10000), \
         WeightTable(name: \"w_table\", projection: \"input_to_neuron\", at_ms: [1000.0])]",
    ]));
    // The scene's own table (at 1000 ms and at the end) replaces the automatic one.
    assert!(!out.join("final_weights_input_to_neuron.csv").exists());
    let rows = table(&out.join("w_table.csv"));
    assert_eq!(rows.len(), 2 * 1000);
    assert!(rows[..1000].iter().all(|r| r.0 == 1000.0));
    // The state after the last step (t = 2000 - dt), as other recorders label it.
    assert!(rows[1000..].iter().all(|r| r.0 == 1999.9));
    assert_eq!((rows[1000].1, rows[1000].2), (0, 0));
    // The table at 1000 ms equals the wide recording's row at 1000 ms.
    let wide = std::fs::read_to_string(out.join("w.csv")).unwrap();
    let row_1000: Vec<f64> = wide
        .lines()
        .find(|l| l.starts_with("1000,"))
        .unwrap()
        .split(',')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    let table_1000: Vec<f64> = rows[..1000].iter().map(|r| r.3).collect();
    assert_eq!(row_1000, table_1000);
    let end: Vec<f64> = rows[1000..].iter().map(|r| r.3).collect();
    assert_ne!(
        end, table_1000,
        "STDP changed the weights in the last second"
    );

    // The plots' "final weights" are the end of the run, not the last recorded row.
    let run = hebb_plot::RunDir::open(&out).unwrap();
    let w = run.recordings().find(|f| f.stem == "w").unwrap();
    assert!(run.recordings().all(|f| f.stem != "w_table"));
    let cols = w.variable_columns("w");
    let (t, values) = run.final_weights(w, &cols).unwrap().unwrap();
    assert_eq!(t, 1999.9);
    assert_eq!(values, end);

    // Without a WeightTable recorder, every plastic projection gets one at the end.
    let plain = dir.join("plain");
    ok(&hebb(&[
        "run",
        "scenes/song2000_stdp.ron",
        "--quiet",
        "--duration-ms",
        "2000",
        "--out",
        plain.to_str().unwrap(),
    ]));
    let rows = table(&plain.join("final_weights_input_to_neuron.csv"));
    assert_eq!(rows.len(), 1000);
    assert_eq!(rows.iter().map(|r| r.3).collect::<Vec<_>>(), end);
    let files = summary(&plain)["files"].to_string();
    assert!(
        files.contains("final_weights_input_to_neuron.csv"),
        "{files}"
    );
}

#[test]
fn weight_table_times_off_the_grid_are_refused() {
    let out = hebb(&[
        "check",
        "scenes/song2000_stdp.ron",
        "--set",
        "recorders=[WeightTable(name: \"t\", projection: \"input_to_neuron\", at_ms: [0.05])]",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("at_ms must be >= 0 and whole numbers of time steps (dt = 0.1 ms), got 0.05"),
        "{}",
        stderr(&out)
    );
}

/// Per-synapse delays are described as such: `summary.json` gives the scene's
/// `synapse_delays_ms` (and no single `delay_ms`), `hebb check` prints them, with the shortest
/// delay in steps. Before, both said `delay 0 ms` for a projection whose delays are 0.5–1.5 ms.
#[test]
fn per_synapse_delays_are_reported_as_such() {
    let dir = scratch("synapse_delays_summary");
    let scene = "scenes/brette2007_coba_synapse_delays.ron";
    let out = dir.join("out");
    let args = ["run", scene, "--quiet", "--duration-ms", "1", "--out"];
    let mut args = args.to_vec();
    args.push(out.to_str().unwrap());
    ok(&hebb(&args));
    let s = summary(&out);
    let ee = &s["projections"][0];
    assert_eq!(ee["delay_ms"], serde_json::Value::Null, "{ee}");
    assert_eq!(
        ee["synapse_delays_ms"],
        serde_json::json!({"Uniform": {"low": 0.5, "high": 1.5}})
    );
    assert_eq!(ee["delay_steps"], 5);
    let check = hebb(&["check", scene]);
    ok(&check);
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("delays per synapse Uniform { low: 0.5, high: 1.5 } (shortest 5 steps)"),
        "{text}"
    );
    assert!(!text.contains("delay 0 ms"), "{text}");
}
