//! [`Scene`]: the RON description of a network and its run (time step, duration, seed,
//! populations, projections, stimuli, reward, recorders), read, validated and written back.

use std::path::Path;
use std::sync::Arc;

use hebb_core::clock::steps_on_grid;
use hebb_core::connectivity::{ConnectivitySpec, WeightInit};
use hebb_core::error::ParamError;
use hebb_core::plugin::PluginGroup;
use hebb_core::record::RecorderSpec;
use hebb_core::registry::Registry;
use hebb_core::simulation::{Simulation, Storage};
use serde::{Deserialize, Deserializer, Serialize};

use crate::context::{self, Spanned, find_field, scene_options};
use crate::error::{Position, SceneError, SceneErrorKind};
use crate::model::{ModelSpec, field};
use crate::set::{AppliedSets, SceneSet, apply_sets};

/// The scene format version this crate reads and writes.
pub const SCENE_VERSION: u32 = 1;

/// Longest recorder name (it becomes a file name, with an extension, under the usual
/// 255-byte limit).
pub const MAX_RECORDER_NAME: usize = 200;

/// Largest time step, ms.
pub const MAX_DT_MS: f64 = 1000.0;

/// Largest scene file read (64 MiB).
pub const MAX_SCENE_BYTES: u64 = 64 << 20;

/// Most time steps in one scene: 2^53, where f64 step times stop being exact.
pub const MAX_STEPS: f64 = 9_007_199_254_740_992.0;

/// The default time step in ms.
pub const DEFAULT_DT_MS: f64 = 0.1;

/// A network and its run, as written in a `.ron` scene file.
///
/// ```ron
/// (
///     version: 1,
///     dt_ms: 0.1,            // default 0.1
///     duration_ms: 1000.0,
///     seed: 42,              // default 0
///     populations: [(name: "exc", size: 400, model: Lif(tau_m_ms: 20.0),
///                    initial: {"v": Uniform(low: -70.0, high: -55.0)})],   // default {}
///     projections: [],       // default []
///     inputs: [],            // stimuli, default []
///     reward: None,          // optional reward model
///     recorders: [Spikes(population: "exc")],   // default []
/// )
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "scene")]
pub struct Scene {
    /// Format version; must be [`SCENE_VERSION`].
    #[serde(deserialize_with = "version")]
    pub version: u32,
    /// Time step in ms (default 0.1).
    #[serde(default = "default_dt")]
    pub dt_ms: f64,
    /// Run length in ms, a whole number of steps.
    pub duration_ms: f64,
    /// Master seed of every random stream (default 0).
    #[serde(default)]
    pub seed: u64,
    /// Populations, created in this order.
    pub populations: Vec<Spanned<PopulationDef>>,
    /// Projections, created in this order after the populations.
    #[serde(default)]
    pub projections: Vec<Spanned<ProjectionDef>>,
    /// Stimuli attached to populations (e.g. `StepCurrent`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Spanned<InputDef>>,
    /// Optional reward (neuromodulator) source, a reward-kind model.
    #[serde(
        default,
        deserialize_with = "field::reward",
        skip_serializing_if = "Option::is_none"
    )]
    pub reward: Option<ModelSpec>,
    /// What to record.
    #[serde(default)]
    pub recorders: Vec<Spanned<RecorderSpec>>,
    /// Reference figure that `hebb plot` draws for this scene's output (e.g. `"song2000"`);
    /// copied into `summary.json`. The `hebb` command checks the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figure: Option<String>,
    /// Where the scene was read from (for error messages); `None` for scenes made in code.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

/// The file a scene was read from and its text.
#[derive(Debug, Clone)]
pub struct Origin {
    /// Path (or name) as given to [`Scene::load`] or [`Scene::parse`].
    pub path: String,
    /// The full text.
    pub text: Arc<str>,
}

/// A population: `(name: "exc", size: 400, model: Lif(tau_m_ms: 20.0))`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "population")]
pub struct PopulationDef {
    /// Unique name: letters, digits, `_`, `-`, `.` (it names output files).
    pub name: String,
    /// Number of neurons (≥ 1).
    pub size: usize,
    /// A neuron or input model.
    #[serde(deserialize_with = "field::population")]
    pub model: ModelSpec,
    /// Initial values of state variables by name, per neuron: a constant, a list or a
    /// distribution (`initial: {"v": Uniform(low: -60.0, high: -50.0)}`), applied after the
    /// model's own initialization, for any neuron model. Default none.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub initial: std::collections::BTreeMap<String, hebb_core::initial::NeuronValues>,
    /// Model params given per neuron (`per_neuron: {"v_threshold_mv": Normal(mean: -50.0,
    /// std: 1.0)}`), for the params the model lists as per-neuron. Default none.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub per_neuron: std::collections::BTreeMap<String, hebb_core::initial::NeuronValues>,
}

/// A projection from one population to another.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "projection")]
pub struct ProjectionDef {
    /// Unique name: letters, digits, `_`, `-`, `.`.
    pub name: String,
    /// Presynaptic population.
    pub from: String,
    /// Postsynaptic population.
    pub to: String,
    /// `AllToAll`, `OneToOne`, `FixedProbability(p:, autapses:)`, `FixedIndegree(k:, autapses:)`
    /// or `List([(pre, post), …])`.
    pub connectivity: ConnectivitySpec,
    /// `Constant(x)`, `Uniform(low:, high:)`, `Normal(mean:, std:, min:, max:)` or
    /// `Values([…])`.
    pub weights: WeightInit,
    /// The synapse output model (`Delta`, `Exponential`, `Conductance`, …).
    #[serde(deserialize_with = "field::synapse")]
    pub synapse: ModelSpec,
    /// Delay in ms, ≥ 0 and a whole number of steps (default 0).
    #[serde(default)]
    pub delay_ms: f64,
    /// Per-synapse delays in ms instead of `delay_ms`, written like `weights`:
    /// `Constant(x)`, `Uniform(low:, high:)` (equally likely grid values, both ends included),
    /// `Normal(mean:, std:, min:, max:)` (redrawn into the bounds, nearest step) or
    /// `Values([…])`; every bound and value a whole number of steps (`hebb_core::delays`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synapse_delays_ms: Option<hebb_core::delays::DelayInit>,
    /// Optional short-term plasticity model.
    #[serde(
        default,
        deserialize_with = "field::stp",
        skip_serializing_if = "Option::is_none"
    )]
    pub stp: Option<ModelSpec>,
    /// Optional long-term plasticity rule.
    #[serde(
        default,
        deserialize_with = "field::plasticity",
        skip_serializing_if = "Option::is_none"
    )]
    pub plasticity: Option<ModelSpec>,
    /// `Auto` (dense for `AllToAll`, CSR otherwise; default) or `Sparse`.
    #[serde(default)]
    pub storage: Storage,
}

/// A stimulus on a population: `(population: "exc", model: StepCurrent(…))`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "input")]
pub struct InputDef {
    /// The driven population.
    pub population: String,
    /// A stimulus model.
    #[serde(deserialize_with = "field::stimulus")]
    pub model: ModelSpec,
}

fn default_dt() -> f64 {
    DEFAULT_DT_MS
}

fn version<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = u32::deserialize(d)?;
    if v == SCENE_VERSION {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "version must be {SCENE_VERSION}, got {v} (this hebb reads scene format version {SCENE_VERSION})"
        )))
    }
}

/// The registry of every model `plugins` register (to parse scenes that use them).
pub fn registry_of(plugins: impl PluginGroup) -> Registry {
    let mut sim = Simulation::new(DEFAULT_DT_MS, 0).expect("the default dt is valid");
    sim.add_plugins(plugins);
    sim.registry().clone()
}

/// Which element of a scene an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Element {
    Top,
    Population(usize),
    Projection(usize),
    Input(usize),
    Reward,
    Recorder(usize),
}

impl Scene {
    /// Parse scene `text`; `path` names it in error messages. Models are looked up in
    /// `registry` (see [`registry_of`]). The scene is validated ([`Scene::validate`]).
    pub fn parse(text: &str, path: &str, registry: &Registry) -> Result<Self, SceneError> {
        let (result, pending) =
            context::with_context(registry, text, || scene_options().from_str::<Scene>(text));
        let mut scene = match result {
            Ok(scene) => scene,
            Err(e) => {
                let (offset, message) = match pending {
                    Some(p) => (p.offset, p.message),
                    None => (
                        context::skip_to_token(text, context::offset_in(text, e.span.start)),
                        context::ron_message(&e.code),
                    ),
                };
                return Err(SceneError::new(SceneErrorKind::Syntax, path, message)
                    .at(Some(Position::of_offset(text, offset))));
            }
        };
        scene.origin = Some(Origin {
            path: path.to_owned(),
            text: Arc::from(text),
        });
        scene.validate()?;
        Ok(scene)
    }

    /// Read and parse the scene file at `path`. Files larger than 64 MiB (or
    /// endless ones like `/dev/zero`) are refused after reading that much; a UTF-8 byte-order
    /// mark is skipped; bytes that are not UTF-8 are an error with their line and column.
    pub fn load(path: impl AsRef<Path>, registry: &Registry) -> Result<Self, SceneError> {
        let path = path.as_ref();
        let text = Self::read_text(path)?;
        Self::parse(&text, &path.display().to_string(), registry)
    }

    /// Read and parse the scene file at `path` with `--set PATH=VALUE` changes applied before
    /// parsing (see [`crate::set`]). Errors about a set value name its argument; the returned
    /// [`AppliedSets`] relabels later (build) errors the same way.
    pub fn load_with_sets(
        path: impl AsRef<Path>,
        registry: &Registry,
        sets: &[String],
    ) -> Result<(Self, AppliedSets), SceneError> {
        let path = path.as_ref();
        let text = Self::read_text(path)?;
        let sets = sets
            .iter()
            .map(|s| SceneSet::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        let (text, applied) = apply_sets(&text, &sets)?;
        let scene = Self::parse(&text, &path.display().to_string(), registry)
            .map_err(|e| applied.relabel(e))?;
        Ok((scene, applied))
    }

    /// The text of the scene file at `path` (see [`Scene::load`] for the checks).
    fn read_text(path: &Path) -> Result<String, SceneError> {
        use std::io::Read;
        let shown = path.display().to_string();
        let io = |e: std::io::Error| {
            SceneError::new(SceneErrorKind::Io, &shown, format!("cannot read: {e}"))
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(MAX_SCENE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > MAX_SCENE_BYTES {
            return Err(SceneError::new(
                SceneErrorKind::Io,
                &shown,
                format!(
                    "is larger than {} MiB; a scene is a text file (is this the right file?)",
                    MAX_SCENE_BYTES >> 20
                ),
            ));
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let good = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let before = String::from_utf8_lossy(&bytes[..good]);
                return Err(SceneError::new(
                    SceneErrorKind::Syntax,
                    &shown,
                    format!(
                        "byte 0x{:02x} is not UTF-8 text (save the file as UTF-8)",
                        bytes[good]
                    ),
                )
                .at(Some(Position::of_offset(&before, before.len()))));
            }
        };
        Ok(match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        })
    }

    /// The scene as RON text (readable back with [`Scene::parse`] to the same network).
    pub fn to_ron(&self) -> Result<String, SceneError> {
        let config = ron::ser::PrettyConfig::new()
            .depth_limit(3)
            .struct_names(false)
            .compact_arrays(false);
        let mut text = ron::Options::default()
            .to_string_pretty(self, config)
            .map_err(|e| SceneError::new(SceneErrorKind::Invalid, self.path(), e.to_string()))?;
        text.push('\n');
        Ok(text)
    }

    /// Write the scene to `path` as RON.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SceneError> {
        let path = path.as_ref();
        let text = self.to_ron()?;
        std::fs::write(path, text).map_err(|e| {
            SceneError::new(
                SceneErrorKind::Io,
                path.display().to_string(),
                format!("cannot write: {e}"),
            )
        })
    }

    /// The path (or name) the scene came from, `<scene>` for scenes made in code.
    pub fn path(&self) -> &str {
        self.origin.as_ref().map_or("<scene>", |o| o.path.as_str())
    }

    /// The number of time steps in `duration_ms`.
    pub fn steps(&self) -> Result<u64, SceneError> {
        let n = self.duration_ms / self.dt_ms;
        if n.is_finite() && n > MAX_STEPS {
            return Err(self.error(
                Element::Top,
                Some("duration_ms"),
                format!(
                    "duration_ms {} is {} steps of dt = {} ms; at most {MAX_STEPS:e} steps",
                    short(self.duration_ms),
                    short(n),
                    short(self.dt_ms)
                ),
            ));
        }
        steps_on_grid(self.duration_ms, self.dt_ms).ok_or_else(|| {
            self.error(
                Element::Top,
                Some("duration_ms"),
                format!(
                    "duration_ms must be >= 0 and a whole number of time steps (dt = {} ms), got {}",
                    short(self.dt_ms),
                    short(self.duration_ms)
                ),
            )
        })
    }

    /// Check every value that can be checked without building: version, time step, duration,
    /// names, sizes, model params, connectivity, weights, delays, population references.
    /// Engine-level checks (e.g. recorder variables) happen in [`Scene::build`].
    pub fn validate(&self) -> Result<(), SceneError> {
        if self.version != SCENE_VERSION {
            return Err(self.error(
                Element::Top,
                Some("version"),
                format!("version must be {SCENE_VERSION}, got {}", self.version),
            ));
        }
        if !(self.dt_ms.is_finite() && self.dt_ms > 0.0 && self.dt_ms <= MAX_DT_MS) {
            return Err(self.error(
                Element::Top,
                Some("dt_ms"),
                format!(
                    "dt_ms must be > 0 and at most {MAX_DT_MS} ms, got {}",
                    short(self.dt_ms)
                ),
            ));
        }
        self.steps()?;
        let names: Vec<&str> = self.populations.iter().map(|p| p.name.as_str()).collect();
        for (i, pop) in self.populations.iter().enumerate() {
            let el = Element::Population(i);
            self.check_name(el, &pop.name)?;
            if names[..i].contains(&pop.name.as_str()) {
                return Err(self.error(
                    el,
                    Some("name"),
                    format!("duplicate population name `{}`", pop.name),
                ));
            }
            if pop.size == 0 {
                return Err(self.error(el, Some("size"), "size must be >= 1, got 0".into()));
            }
            self.check_model(el, "model", &pop.model)?;
            for (variable, values) in &pop.initial {
                values
                    .validate(&format!("initial.{variable}"))
                    .map_err(|e| self.param_error(el, None, e))?;
            }
            for (param, values) in &pop.per_neuron {
                values
                    .validate(&format!("per_neuron.{param}"))
                    .map_err(|e| self.param_error(el, None, e))?;
            }
        }
        let known = names.join(", ");
        let check_population = |el: Element, field: &str, name: &str| {
            if names.contains(&name) {
                Ok(())
            } else {
                Err(self.error(
                    el,
                    Some(field),
                    format!("{field}: unknown population `{name}`; known: {known}"),
                ))
            }
        };
        for (i, proj) in self.projections.iter().enumerate() {
            let el = Element::Projection(i);
            self.check_name(el, &proj.name)?;
            if self.projections[..i].iter().any(|p| p.name == proj.name) {
                return Err(self.error(
                    el,
                    Some("name"),
                    format!("duplicate projection name `{}`", proj.name),
                ));
            }
            check_population(el, "from", &proj.from)?;
            check_population(el, "to", &proj.to)?;
            proj.connectivity
                .validate()
                .map_err(|e| self.param_error(el, None, e.within("connectivity")))?;
            proj.weights
                .validate()
                .map_err(|e| self.param_error(el, None, e))?;
            if steps_on_grid(proj.delay_ms, self.dt_ms).is_none() {
                return Err(self.error(
                    el,
                    Some("delay_ms"),
                    format!(
                        "delay_ms must be >= 0 and a whole number of time steps (dt = {} ms), got {}",
                        self.dt_ms, proj.delay_ms
                    ),
                ));
            }
            if let Some(delays) = &proj.synapse_delays_ms {
                delays
                    .validate(self.dt_ms)
                    .map_err(|e| self.param_error(el, None, e))?;
                if proj.delay_ms != 0.0 {
                    return Err(self.error(
                        el,
                        Some("delay_ms"),
                        "give either delay_ms (one delay) or synapse_delays_ms (per synapse), not both".into(),
                    ));
                }
                if let Some(model) = [&proj.stp, &proj.plasticity].into_iter().flatten().next() {
                    return Err(self.error(
                        el,
                        Some("synapse_delays_ms"),
                        format!(
                            "per-synapse delays do not work with `{}` yet (short-term and long-term plasticity keep their presynaptic state per neuron, not per synapse); give the projection one delay_ms",
                            model.name()
                        ),
                    ));
                }
            }
            self.check_model(el, "synapse", &proj.synapse)?;
            if let Some(stp) = &proj.stp {
                self.check_model(el, "stp", stp)?;
            }
            if let Some(rule) = &proj.plasticity {
                self.check_model(el, "plasticity", rule)?;
            }
        }
        for (i, input) in self.inputs.iter().enumerate() {
            let el = Element::Input(i);
            check_population(el, "population", &input.population)?;
            self.check_model(el, "model", &input.model)?;
        }
        if let Some(reward) = &self.reward {
            self.check_model(Element::Reward, "reward", reward)?;
        }
        self.check_reward_source()?;
        for (i, recorder) in self.recorders.iter().enumerate() {
            self.check_recorder(Element::Recorder(i), recorder)?;
        }
        Ok(())
    }

    /// A recorder's name fits a file name (so `run` does not fail after writing other
    /// files) and it lists each variable, index and synapse once (duplicate CSV columns and
    /// NPY fields are unreadable).
    fn check_recorder(&self, el: Element, recorder: &RecorderSpec) -> Result<(), SceneError> {
        fn first_repeat<T: PartialEq + std::fmt::Debug>(items: &[T]) -> Option<String> {
            items
                .iter()
                .enumerate()
                .find(|(k, x)| items[..*k].contains(x))
                .map(|(_, x)| format!("{x:?}"))
        }
        let (name, variables, indices, synapses) = match recorder {
            RecorderSpec::Spikes {
                population,
                name,
                from_ms,
                to_ms,
            } => {
                self.check_view(el, "population", population)?;
                let mut start = 0;
                for (field, ms) in [("from_ms", from_ms), ("to_ms", to_ms)] {
                    let Some(ms) = *ms else { continue };
                    let steps = steps_on_grid(ms, self.dt_ms).ok_or_else(|| {
                        self.error(
                            el,
                            Some(field),
                            format!(
                                "{field} must be >= 0 and a whole number of time steps (dt = {} ms), got {}",
                                short(self.dt_ms),
                                short(ms)
                            ),
                        )
                    })?;
                    if field == "to_ms" && steps <= start {
                        return Err(self.error(
                            el,
                            Some("to_ms"),
                            format!(
                                "to_ms must be > from_ms (the window is from_ms <= t < to_ms), got {} <= {}",
                                short(ms),
                                short(from_ms.unwrap_or(0.0))
                            ),
                        ));
                    }
                    start = steps;
                }
                match name {
                    Some(name) => (name, &[][..], None, None),
                    None => return Ok(()),
                }
            }
            RecorderSpec::PopulationRate {
                name,
                population,
                bin_ms,
            } => {
                self.check_view(el, "population", population)?;
                if steps_on_grid(*bin_ms, self.dt_ms).is_none_or(|b| b == 0) {
                    return Err(self.error(
                        el,
                        Some("bin_ms"),
                        format!(
                            "bin_ms must be a whole number (>= 1) of time steps (dt = {} ms), got {}",
                            short(self.dt_ms),
                            short(*bin_ms)
                        ),
                    ));
                }
                (name, &[][..], None, None)
            }
            RecorderSpec::WeightTable { name, at_ms, .. } => {
                if let Some(&bad) = at_ms
                    .iter()
                    .find(|&&ms| steps_on_grid(ms, self.dt_ms).is_none())
                {
                    return Err(self.error(
                        el,
                        Some("at_ms"),
                        format!(
                            "at_ms must be >= 0 and whole numbers of time steps (dt = {} ms), got {}",
                            short(self.dt_ms),
                            short(bad)
                        ),
                    ));
                }
                (name, &[][..], None, None)
            }
            RecorderSpec::State {
                name,
                target,
                variables,
                indices,
                ..
            } => {
                if target.contains('[') {
                    self.check_view(el, "target", target)?;
                    if indices.is_some() {
                        return Err(self.error(
                            el,
                            Some("indices"),
                            format!(
                                "the target `{target}` selects neurons and so does `indices`; give the neurons once"
                            ),
                        ));
                    }
                }
                (name, variables.as_slice(), indices.as_deref(), None)
            }
            RecorderSpec::Weights { name, synapses, .. } => {
                (name, &[][..], None, synapses.as_deref())
            }
        };
        self.check_name(el, name)?;
        if name.len() > MAX_RECORDER_NAME {
            return Err(self.error(
                el,
                Some("name"),
                format!(
                    "name is {} characters long; at most {MAX_RECORDER_NAME} (it names the output file)",
                    name.len()
                ),
            ));
        }
        if let Some(v) = first_repeat(variables) {
            return Err(self.error(
                el,
                Some("variables"),
                format!("variables: {v} is listed twice; list each variable once"),
            ));
        }
        if let Some(i) = indices.and_then(first_repeat) {
            return Err(self.error(
                el,
                Some("indices"),
                format!("indices: {i} is listed twice; list each index once"),
            ));
        }
        if let Some(s) = synapses.and_then(first_repeat) {
            return Err(self.error(
                el,
                Some("synapses"),
                format!("synapses: {s} is listed twice; list each synapse once"),
            ));
        }
        Ok(())
    }

    /// A population view (`exc`, `exc[0:100]`) names a population of the scene and selects
    /// neurons it has.
    fn check_view(&self, el: Element, field: &str, text: &str) -> Result<(), SceneError> {
        let view = hebb_core::view::PopulationView::parse(text)
            .map_err(|e| self.error(el, Some(field), format!("{field}: {e}")))?;
        let Some(pop) = self.populations.iter().find(|p| p.name == view.population) else {
            if view.is_partial() || field == "population" {
                let known: Vec<&str> = self.populations.iter().map(|p| p.name.as_str()).collect();
                return Err(self.error(
                    el,
                    Some(field),
                    format!(
                        "unknown population `{}`; known: {}",
                        view.population,
                        known.join(", ")
                    ),
                ));
            }
            // A State recorder's target may be a projection (checked when built).
            return Ok(());
        };
        view.neurons(pop.size)
            .map(|_| ())
            .map_err(|e| self.error(el, Some(field), format!("{field}: {e}")))
    }

    /// A rule modulated by reward needs a `reward:` source: without one the reward is 0 at
    /// every step and the rule silently never learns.
    fn check_reward_source(&self) -> Result<(), SceneError> {
        if self.reward.is_some() {
            return Ok(());
        }
        let rewarded = self.projections.iter().enumerate().find_map(|(i, p)| {
            p.plasticity
                .as_ref()
                .filter(|rule| rule.params.uses_reward())
                .map(|rule| (i, rule))
        });
        match rewarded {
            None => Ok(()),
            Some((i, rule)) => Err(self.error(
                Element::Projection(i),
                Some("plasticity"),
                format!(
                    "plasticity `{}` is modulated by reward, but the scene has no `reward:` source, so the reward would be 0 at every step and the weights would never change; add one, e.g. `reward: RewardConstant(value: 1.0)` or `reward: RewardSchedule(initial: 1.0, changes: [(at_ms: 500.0, value: -1.0)])`",
                    rule.name()
                ),
            )),
        }
    }

    fn check_name(&self, el: Element, name: &str) -> Result<(), SceneError> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if valid {
            Ok(())
        } else {
            Err(self.error(
                el,
                Some("name"),
                format!(
                    "name must be non-empty and use only letters, digits, `_`, `-`, `.`, got {name:?}"
                ),
            ))
        }
    }

    fn check_model(&self, el: Element, role: &str, model: &ModelSpec) -> Result<(), SceneError> {
        model.params.validate().map_err(|e| {
            let position = model
                .span
                .clone()
                .and_then(|span| self.position_of_field(span, &e.field))
                .or_else(|| self.position_of_span(model.span.as_ref()));
            let prefix = if role == "reward" {
                format!("`{}`", model.name())
            } else {
                format!("{role} `{}`", model.name())
            };
            self.error(el, None, format!("{prefix}: {e}"))
                .at(position.or_else(|| self.element_position(el, Some(role))))
        })
    }

    /// A message about element `el`, located at `field` inside it when found, else at the
    /// element's start.
    pub(crate) fn error(&self, el: Element, field: Option<&str>, message: String) -> SceneError {
        SceneError {
            kind: SceneErrorKind::Invalid,
            path: self.path().to_owned(),
            position: self.element_position(el, field),
            element: self.element_label(el),
            message,
        }
    }

    /// A [`ParamError`] of element `el` (located by its field name).
    pub(crate) fn param_error(
        &self,
        el: Element,
        prefix: Option<&str>,
        e: ParamError,
    ) -> SceneError {
        let message = match prefix {
            Some(p) => format!("{p}: {e}"),
            None => e.to_string(),
        };
        // The whole path: the position is found from its leaf, or from the quoted key of a
        // `per_neuron` param.
        self.error(el, Some(&e.field), message)
    }

    pub(crate) fn element_label(&self, el: Element) -> Option<String> {
        match el {
            Element::Top => None,
            Element::Population(i) => {
                Some(format!("populations[{i}] (`{}`)", self.populations[i].name))
            }
            Element::Projection(i) => {
                Some(format!("projections[{i}] (`{}`)", self.projections[i].name))
            }
            Element::Input(i) => Some(format!("inputs[{i}] (on `{}`)", self.inputs[i].population)),
            Element::Reward => Some("reward".to_owned()),
            Element::Recorder(i) => Some(format!("recorders[{i}]")),
        }
    }

    fn element_span(&self, el: Element) -> Option<std::ops::Range<usize>> {
        match el {
            Element::Top => self.origin.as_ref().map(|o| 0..o.text.len()),
            Element::Population(i) => self.populations[i].span.clone(),
            Element::Projection(i) => self.projections[i].span.clone(),
            Element::Input(i) => self.inputs[i].span.clone(),
            Element::Reward => self.reward.as_ref().and_then(|r| r.span.clone()),
            Element::Recorder(i) => self.recorders[i].span.clone(),
        }
    }

    fn element_position(&self, el: Element, field: Option<&str>) -> Option<Position> {
        let span = self.element_span(el)?;
        field
            .and_then(|f| self.position_of_field(span.clone(), f))
            .or_else(|| self.position_of_span(Some(&span)))
    }

    fn position_of_field(&self, span: std::ops::Range<usize>, field: &str) -> Option<Position> {
        let text = &self.origin.as_ref()?.text;
        let part = text.get(span.clone())?;
        // A param given per neuron is a quoted key of the `per_neuron` map.
        let quoted = field
            .strip_prefix("per_neuron.")
            .and_then(|param| part.find(&format!("\"{}\"", leaf_field(param))));
        let offset = quoted.or_else(|| find_field(part, leaf_field(field)))?;
        Some(Position::of_offset(text, span.start + offset))
    }

    fn position_of_span(&self, span: Option<&std::ops::Range<usize>>) -> Option<Position> {
        let text = &self.origin.as_ref()?.text;
        Some(Position::of_offset(text, span?.start))
    }
}

/// The last component of a field path, without an index (`weights.low` → `low`,
/// `connectivity[3]` → `connectivity`).
fn leaf_field(field: &str) -> &str {
    let leaf = field.rsplit('.').next().unwrap_or(field);
    leaf.split('[').next().unwrap_or(leaf)
}

/// A number for a message: plain when moderate (`0.1`, `2000`), in exponent form when huge or
/// tiny (`1e300`, not 300 digits).
pub(crate) fn short(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-6..1e12).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}
