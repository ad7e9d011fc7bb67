//! Tsodyks–Markram STP against Norse's example (`norse/torch/functional/test/
//! test_tsodyks_makram.py::example`, norse 1.1.0): the default, facilitating and depressing runs
//! match u, x, the released fraction (`stp_out`) and the example's current at every one of the
//! 1000 steps, float32 within 1e-5 relative. Each run is built twice: in code with the
//! Simulation API, and from its scene in `scenes/`.

use std::path::PathBuf;

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};
use hebb::synapses::tsodyks_markram::{StpIntegration, TsodyksMarkram};

/// A trimmed Norse reference run (`tests/fixtures/stp/norse_*.json`).
#[derive(Debug)]
struct NorseRun {
    /// Norse's `TsodyksMakramParameters`, inverse time constants in 1/s: `tau_f_inv`,
    /// `tau_s_inv`, `tau_d_inv`, `U`.
    params: serde_json::Value,
    dt_s: f64,
    n_steps: usize,
    input_spike_steps: Vec<u64>,
    u: Vec<f64>,
    x: Vec<f64>,
    stp_out: Vec<f64>,
    current: Vec<f64>,
}

impl NorseRun {
    fn param(&self, name: &str) -> f64 {
        self.params[name].as_f64().unwrap()
    }
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(case: &str) -> NorseRun {
    let path = root().join(format!("tests/fixtures/stp/norse_{case}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    NorseRun {
        params: v["params"].clone(),
        dt_s: v["dt_s"].as_f64().unwrap(),
        n_steps: v["n_steps"].as_u64().unwrap() as usize,
        input_spike_steps: floats(&v["input_spike_steps"])
            .iter()
            .map(|&k| k as u64)
            .collect(),
        u: floats(&v["u"]),
        x: floats(&v["x"]),
        stp_out: floats(&v["stp_out"]),
        current: floats(&v["current"]),
    }
}

/// The Norse example as a hebb network: spike source → STP → Exponential (Euler) current filter
/// with weight 1 onto a population that only receives.
fn build_in_code(run: &NorseRun) -> Simulation {
    let dt_ms = run.dt_s * 1000.0;
    let mut sim = Simulation::new(dt_ms, 0).unwrap();
    sim.add_plugins(DefaultPlugins);
    let times: Vec<f64> = run
        .input_spike_steps
        .iter()
        .map(|&k| k as f64 * dt_ms)
        .collect();
    sim.add_population(PopulationSpec {
        name: "pre".into(),
        size: 1,
        model: Box::new(SpikeSource {
            times_ms: vec![times],
        }),
    })
    .unwrap();
    sim.add_population(PopulationSpec {
        name: "post".into(),
        size: 1,
        model: Box::new(Exact::default()),
    })
    .unwrap();
    let mut spec = ProjectionSpec::new(
        "stp",
        "pre",
        "post",
        ConnectivitySpec::AllToAll,
        WeightInit::Constant(1.0),
        Exponential {
            tau_ms: 1000.0 / run.param("tau_s_inv"),
            decay: Decay::Euler,
            input_timing: InputTiming::AfterDecay,
        },
    );
    spec.stp = Some(Box::new(TsodyksMarkram {
        u_base: run.param("U"),
        tau_f_ms: 1000.0 / run.param("tau_f_inv"),
        tau_d_ms: 1000.0 / run.param("tau_d_inv"),
        integration: StpIntegration::Euler,
        ..TsodyksMarkram::default()
    }));
    sim.add_projection(spec).unwrap();
    sim.add_recorder(&RecorderSpec::State {
        name: "stp".into(),
        target: "stp".into(),
        variables: vec!["u".into(), "x".into(), "released".into(), "g".into()],
        indices: None,
        stride: 1,
    })
    .unwrap();
    sim
}

fn build_from_scene(case: &str) -> (Scene, Simulation) {
    let path = root().join(format!("scenes/stp_norse_10hz_{case}.ron"));
    let scene = Scene::load(&path, &registry_of(DefaultPlugins)).unwrap_or_else(|e| panic!("{e}"));
    let sim = scene
        .build(DefaultPlugins)
        .unwrap_or_else(|e| panic!("{e}"));
    (scene, sim)
}

/// |a − b| within 1e-5 of |b| (absolute 1e-12 near zero).
fn assert_close(what: &str, step: usize, got: f32, want: f64) {
    let got = f64::from(got);
    assert!(
        (got - want).abs() <= 1e-5 * want.abs().max(1e-7),
        "{what} at step {step}: hebb {got}, Norse {want}"
    );
}

fn compare(sim: &Simulation, run: &NorseRun, label: &str) {
    let rec = sim.recorders().state("stp").unwrap();
    assert_eq!(rec.times_ms.len(), run.n_steps, "{label}: recorded rows");
    let columns = [
        ("u[0]", &run.u),
        ("x[0]", &run.x),
        ("released[0]", &run.stp_out),
        ("g[0]", &run.current),
    ];
    for (column, want) in columns {
        let got = rec.column(column).unwrap();
        for (k, (&g, &w)) in got.iter().zip(want.iter()).enumerate() {
            assert_close(&format!("{label} {column}"), k, g, w);
        }
    }
}

fn check_case(case: &str) {
    let run = fixture(case);
    assert_eq!(
        run.input_spike_steps,
        (1..10).map(|k| 100 * k).collect::<Vec<u64>>()
    );

    let mut sim = build_in_code(&run);
    sim.run_steps(run.n_steps as u64);
    compare(&sim, &run, &format!("{case} (code)"));

    let (scene, mut sim) = build_from_scene(case);
    assert_eq!(scene.steps().unwrap(), run.n_steps as u64);
    sim.run_steps(scene.steps().unwrap());
    compare(&sim, &run, &format!("{case} (scene)"));
}

#[test]
fn norse_default_matches_every_step() {
    check_case("default");
}

#[test]
fn norse_facilitating_matches_every_step() {
    check_case("facilitating");
}

#[test]
fn norse_depressing_matches_every_step() {
    check_case("depressing");
}

#[test]
fn first_release_is_u_and_facilitation_grows_release() {
    // Independent of the fixtures: the first release equals U exactly (current[100] == U in
    // Norse), and the facilitating set releases more at each of its first spikes.
    let (_, mut sim) = build_from_scene("facilitating");
    sim.run_steps(1000);
    let released = sim
        .recorders()
        .state("stp")
        .unwrap()
        .column("released[0]")
        .unwrap();
    assert_eq!(released[100], 0.15);
    let amplitudes: Vec<f32> = (1..10).map(|k| released[100 * k]).collect();
    assert!(
        amplitudes.windows(2).take(4).all(|w| w[1] > w[0]),
        "{amplitudes:?}"
    );
    let (_, mut sim) = build_from_scene("depressing");
    sim.run_steps(1000);
    let released = sim
        .recorders()
        .state("stp")
        .unwrap()
        .column("released[0]")
        .unwrap();
    let amplitudes: Vec<f32> = (1..10).map(|k| released[100 * k]).collect();
    assert!(amplitudes.windows(2).all(|w| w[1] < w[0]), "{amplitudes:?}");
}
