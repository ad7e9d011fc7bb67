//! Unit tests with tiny test-only models (the built-in models live in other crates and are
//! exercised by the integration tests in the repository's `tests/`).

use hebb_core::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{Scene, SceneErrorKind, registry_of};

/// Input: neuron `step % size` spikes every `every` steps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Ticker {
    every: u32,
}
impl Default for Ticker {
    fn default() -> Self {
        Self { every: 1 }
    }
}
#[derive(Component)]
struct TickerState {
    every: u64,
}
impl Model for Ticker {
    const NAME: &'static str = "Ticker";
    const KIND: ModelKind = ModelKind::Input;
    const SUMMARY: &'static str = "test input";
    fn validate(&self) -> Result<(), ParamError> {
        check::positive("every", f64::from(self.every))
    }
    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let every = u64::from(self.every);
        ctx.entity_mut().insert(TickerState { every });
        Ok(())
    }
}
fn ticker(clock: Clock, mut q: Query<(&TickerState, &mut Spikes)>) {
    for (t, mut s) in &mut q {
        s.clear();
        if clock.step.is_multiple_of(t.every) {
            let i = (clock.step as usize / t.every as usize) % s.size();
            s.push(i);
        }
    }
}

/// Input with no params (written `Silent` or `Silent()`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Silent;
impl Model for Silent {
    const NAME: &'static str = "Silent";
    const KIND: ModelKind = ModelKind::Input;
    const SUMMARY: &'static str = "never spikes";
    fn attach(&self, _ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        Ok(())
    }
}

/// Neuron: integrates its input, spikes above `threshold` and resets to 0.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Integrator {
    tau_ms: f64,
    threshold: f64,
}
impl Default for Integrator {
    fn default() -> Self {
        Self {
            tau_ms: 10.0,
            threshold: 1.0,
        }
    }
}
#[derive(Component)]
struct IntegratorState {
    decay: Real,
    threshold: Real,
}
impl Model for Integrator {
    const NAME: &'static str = "Integrator";
    const KIND: ModelKind = ModelKind::Neuron;
    const SUMMARY: &'static str = "test neuron";
    fn validate(&self) -> Result<(), ParamError> {
        check::positive("tau_ms", self.tau_ms)?;
        check::finite("threshold", self.threshold)
    }
    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let n = ctx.population_size(Self::NAME)?;
        let decay = (-ctx.dt_ms / self.tau_ms).exp() as Real;
        let threshold = self.threshold as Real;
        ctx.entity_mut().insert((
            IntegratorState { decay, threshold },
            Membrane { v: vec![0.0; n] },
        ));
        Ok(())
    }
}
fn integrate(
    mut q: Query<(
        &IntegratorState,
        &mut Membrane,
        &mut SynapticInput,
        &mut Spikes,
    )>,
) {
    for (p, mut m, mut input, mut spikes) in &mut q {
        spikes.clear();
        for i in 0..m.v.len() {
            m.v[i] = m.v[i] * p.decay + input.current[i];
            input.current[i] = 0.0;
            if m.v[i] > p.threshold {
                m.v[i] = 0.0;
                spikes.push(i);
            }
        }
    }
}

/// Synapse: adds the weight of every arriving spike to the postsynaptic current.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Kick {
    gain: f64,
}
#[derive(Component)]
struct KickTag;
impl Model for Kick {
    const NAME: &'static str = "Kick";
    const KIND: ModelKind = ModelKind::Synapse;
    const SUMMARY: &'static str = "test synapse";
    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        ctx.entity_mut().insert(KickTag);
        Ok(())
    }
}
fn kick(
    q: Query<(&Projection, &Connectivity, &Weights, &Arrivals), With<KickTag>>,
    mut inputs: Query<&mut SynapticInput>,
) {
    for (p, c, w, a) in &q {
        if let Ok(mut input) = inputs.get_mut(p.post) {
            hebb_core::projection::for_each_transmission(c, &w.w, a, None, |j, x| {
                input.current[j] += x;
            });
        }
    }
}

fn plugins(sim: &mut Simulation) {
    sim.register_model::<Ticker>()
        .register_model::<Silent>()
        .register_model::<Integrator>()
        .register_model::<Kick>();
    sim.add_systems(Stage::InputSpikes, ticker);
    sim.add_systems(Stage::CurrentIntegration, kick);
    sim.add_systems(Stage::NeuronStep, integrate);
}

const GOOD: &str = r#"// A test scene.
(
    version: 1,
    dt_ms: 0.5,
    duration_ms: 10.0,
    seed: 7,
    populations: [
        (name: "in", size: 4, model: Ticker(every: 2)),
        (name: "quiet", size: 2, model: Silent),
        (name: "out", size: 4, model: Integrator(
            tau_ms: 5.0, // leak
            threshold: 0.5,
        )),
    ],
    projections: [
        (
            name: "in_to_out", from: "in", to: "out",
            connectivity: OneToOne,
            weights: Constant(1.0),
            synapse: Kick,
            delay_ms: 1.0,
        ),
        (
            name: "quiet_to_out", from: "quiet", to: "out",
            connectivity: List([(0, 1), (1, 0)]),
            weights: Values([0.25, 0.5]),
            synapse: Kick(gain: 2.0),
            storage: Sparse,
        ),
    ],
    recorders: [
        Spikes(population: "out"),
        State(name: "v_out", target: "out", variables: ["v"], indices: [0, 3]),
        Weights(name: "w", projection: "quiet_to_out", synapses: Some([(1, 0)]), stride: 2),
    ],
)
"#;

fn parse(text: &str) -> Result<Scene, crate::SceneError> {
    Scene::parse(text, "test.ron", &registry_of(plugins))
}

fn error(text: &str) -> String {
    parse(text)
        .and_then(|s| s.build(plugins).map(|_| s))
        .expect_err("the scene should be rejected")
        .to_string()
}

#[test]
fn good_scene_parses_builds_and_runs() {
    let scene = parse(GOOD).unwrap();
    assert_eq!(scene.populations.len(), 3);
    assert_eq!(scene.populations[1].model.name(), "Silent");
    assert_eq!(scene.steps().unwrap(), 20);
    let ticker = scene.populations[0]
        .model
        .params
        .as_any()
        .downcast_ref::<Ticker>()
        .unwrap();
    assert_eq!(ticker.every, 2);
    let integrator = scene.populations[2]
        .model
        .params
        .as_any()
        .downcast_ref::<Integrator>()
        .unwrap();
    assert_eq!((integrator.tau_ms, integrator.threshold), (5.0, 0.5));
    let mut sim = scene.build(plugins).unwrap();
    sim.run_steps(scene.steps().unwrap());
    // Input neuron k spikes at step 2k (k < 4); with 1 ms = 2 steps of delay it reaches `out`
    // at step 2k + 2, which integrates it and spikes in that step (input 1.0 > 0.5).
    let out = sim.recorders().spikes_of("out").unwrap();
    let first: Vec<(u64, u32)> = out
        .steps
        .iter()
        .copied()
        .zip(out.neurons.iter().copied())
        .take(4)
        .collect();
    assert_eq!(first, vec![(2, 0), (4, 1), (6, 2), (8, 3)]);
    let v = sim.recorders().state("v_out").unwrap();
    assert_eq!(v.columns, vec!["v[0]", "v[3]"]);
    assert_eq!(sim.recorders().state("w").unwrap().columns, vec!["w[1,0]"]);
}

#[test]
fn unit_models_take_defaults_with_or_without_parentheses() {
    for model in ["Silent", "Silent()", "Silent /* c */", "Ticker", "Ticker()"] {
        let text = format!(
            "(version: 1, duration_ms: 1.0, populations: [(name: \"a\", size: 1, model: {model})])"
        );
        let scene = parse(&text).unwrap_or_else(|e| panic!("{model}: {e}"));
        let spec = &scene.populations[0].model;
        assert!(model.starts_with(spec.name()), "{model}");
        if let Some(t) = spec.params.as_any().downcast_ref::<Ticker>() {
            assert_eq!(t.every, 1, "{model} takes the default");
        }
        // The span covers the model text as written (trailing comments included).
        let span = spec.span.clone().unwrap();
        assert_eq!(text[span].trim_end(), model);
    }
}

#[test]
fn save_then_load_gives_the_same_network() {
    let scene = parse(GOOD).unwrap();
    let text = scene.to_ron().unwrap();
    let again = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(again.to_ron().unwrap(), text);
    assert!(
        text.contains("model: Integrator(tau_ms: 5.0, threshold: 0.5)"),
        "{text}"
    );
    assert!(
        text.contains("model: Silent,") || text.contains("model: Silent)"),
        "{text}"
    );
    let run = |scene: &Scene| {
        let mut sim = scene.build(plugins).unwrap();
        sim.run_steps(scene.steps().unwrap());
        let s = sim.recorders().spikes_of("out").unwrap().clone();
        let v = sim.recorders().state("v_out").unwrap().values.clone();
        (s.steps, s.neurons, v)
    };
    assert_eq!(run(&scene), run(&again));
}

#[test]
fn syntax_errors_have_line_and_column() {
    let text = GOOD.replace("seed: 7,", "seed: 7");
    let e = error(&text);
    assert!(e.starts_with("test.ron:7:5: "), "{e}");
}

#[test]
fn unknown_field_in_params_points_at_the_field() {
    let text = GOOD.replace("threshold: 0.5,", "thresold: 0.5,");
    let e = error(&text);
    assert!(
        e.starts_with("test.ron:12:13: ") && e.contains("thresold"),
        "{e}"
    );
}

#[test]
fn unknown_model_lists_registered_names_of_its_kind() {
    let text = GOOD.replace("model: Silent", "model: Silence");
    let e = error(&text);
    assert_eq!(
        e,
        "test.ron:9:41: unknown neuron or input model `Silence`; registered: Integrator, Silent, Ticker"
    );
    let text = GOOD.replace("synapse: Kick,", "synapse: Silent,");
    assert_eq!(
        error(&text),
        "test.ron:20:22: `Silent` is an input model, but a synapse model is needed here; synapse models: Kick"
    );
}

#[test]
fn invalid_params_name_element_field_and_value() {
    let text = GOOD.replace("tau_ms: 5.0", "tau_ms: -3.0");
    assert_eq!(
        error(&text),
        "test.ron:11:13: populations[2] (`out`): model `Integrator`: tau_ms must be > 0, got -3"
    );
}

#[test]
fn params_beyond_f32_are_refused_at_their_field() {
    // Finite in f64, infinite in the f32 state: refused for every model, not only weights.
    let text = GOOD.replace("threshold: 0.5,", "threshold: 1e300,");
    assert_eq!(
        error(&text),
        "test.ron:12:13: populations[2] (`out`): model `Integrator`: threshold must fit the simulation's 32-bit floats (magnitude at most 3.4028235e38), got 1e300"
    );
    let text = GOOD.replace("tau_ms: 5.0", "tau_ms: 4e38");
    assert!(
        error(&text).starts_with(
            "test.ron:11:13: populations[2] (`out`): model `Integrator`: tau_ms must fit"
        ),
        "{}",
        error(&text)
    );
    let text = GOOD.replace("synapse: Kick(gain: 2.0)", "synapse: Kick(gain: -1e39)");
    assert!(error(&text).contains("gain must fit"), "{}", error(&text));
}

#[test]
fn tuple_form_struct_values_get_a_plain_message() {
    let text = GOOD.replace("threshold: 0.5,", "threshold: 0.5, extra: (1.0, 2.0),");
    let e = error(&text);
    assert!(!e.contains("r#"), "{e}");
    let text = GOOD.replace(
        "model: Ticker(every: 2)",
        "model: Ticker(every: 2, nested: [(50.0, 1.0)])",
    );
    let e = error(&text);
    assert!(!e.contains("r#"), "{e}");
}

#[test]
fn off_grid_delay_and_duration_are_rejected() {
    let text = GOOD.replace("delay_ms: 1.0", "delay_ms: 0.75");
    assert_eq!(
        error(&text),
        "test.ron:21:13: projections[0] (`in_to_out`): delay_ms must be >= 0 and a whole number of time steps (dt = 0.5 ms), got 0.75"
    );
    let text = GOOD.replace("duration_ms: 10.0", "duration_ms: 10.2");
    assert!(
        error(&text).starts_with("test.ron:5:5: duration_ms must be >= 0 and a whole number"),
        "{}",
        error(&text)
    );
}

#[test]
fn engine_errors_name_the_element() {
    let text = GOOD.replace("indices: [0, 3]", "indices: [0, 4]");
    assert_eq!(
        error(&text),
        "test.ron:33:63: recorders[1]: recorder `v_out`: index 4 is out of range for `v` of `out` (length 4)"
    );
    let text = GOOD.replace("variables: [\"v\"]", "variables: [\"u\"]");
    assert!(error(&text).contains("recorders[1]: recorder `v_out`: `out` has no variable `u`"));
}

#[test]
fn wrong_version_and_unknown_top_level_field() {
    let e = error(&GOOD.replace("version: 1", "version: 2"));
    assert!(
        e.starts_with("test.ron:3:") && e.contains("version must be 1, got 2"),
        "{e}"
    );
    assert_eq!(
        parse(&GOOD.replace("version: 1", "version: 2"))
            .unwrap_err()
            .kind,
        SceneErrorKind::Syntax
    );
    let e = error(&GOOD.replace("seed: 7,", "seed: 7, sed: 8,"));
    assert!(
        e.starts_with("test.ron:6:14: Unexpected field named `sed`"),
        "{e}"
    );
}

#[test]
fn the_context_is_gone_after_a_parse() {
    let _ = parse(GOOD).unwrap();
    let e: Result<crate::PopulationDef, _> =
        crate::scene_options().from_str("(name: \"a\", size: 1, model: Ticker)");
    assert!(e.unwrap_err().to_string().contains("Scene::parse"));
}
