//! `hebb run` and `hebb resume`: build a scene (or restore a snapshot), step it to the scene's
//! duration, stream the recordings into the output directory and write `summary.json`.
//!
//! Recordings go to the files while the run goes (the recorders hand their buffers to the CSV
//! or NPY writer whenever [`FLUSH_THRESHOLD`] values are buffered), so memory stays bounded
//! however long the run. Ctrl-C stops between chunks of steps; what was recorded up to then is
//! written and `summary.json` says `"interrupted": true` and `"stopped_at_ms"`.
//!
//! A resumed run's recordings start at the snapshot's time T (their first row is the step
//! after T − dt, i.e. `t_ms = T`); concatenating the rows of the run that wrote the snapshot
//! (up to T) and of the resumed run gives the rows of one straight run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hebb_core::clock::steps_on_grid;
use hebb_core::connectivity::Connectivity;
use hebb_core::population::{Population, SpikeCount};
use hebb_core::projection::Projection;
use hebb_core::record::{RecorderSpec, Recorders, SharedSink};
use hebb_core::simulation::Simulation;
use hebb_io::{CsvSink, NpySink, OutputFormat};
use hebb_mpi::distributed::RankRun;
use hebb_scene::{Scene, load_snapshot, save_snapshot, save_snapshot_state};
use serde::Serialize;

use crate::error::CliError;
use crate::outdir::{OutputDir, SUMMARY};
use crate::plugins::Plugins;
use crate::progress::{Pause, ProgressMode, step_loop};
use crate::watch::{Watch, write_failure};
use crate::{Format, ImageFormat, Outcome, OutputArgs, ResumeArgs, RunArgs};

/// Buffered recorded values above which recorders hand their data to the file writers while
/// running: 1 Mi values (4 MB of f32, plus their times), so a run's recordings take a few MB
/// of memory however long it is, and the writers get large sequential blocks. Measured
/// (release, Brette 2007 COBA, `v` of all 4000 neurons every step, NPY): max RSS 17.7 MB for
/// 1 s, 8 s and 30 s of simulated time (0.15, 1.3 and 4.6 GB of files; 4.8 GB if kept in RAM).
pub const FLUSH_THRESHOLD: usize = 1 << 20;

/// The content of `summary.json`.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The scene file as given.
    pub scene: String,
    /// hebb's version.
    pub hebb_version: &'static str,
    /// Master seed.
    pub seed: u64,
    /// Time step, ms.
    pub dt_ms: f64,
    /// Steps run.
    pub steps: u64,
    /// Simulated time, ms.
    pub duration_ms: f64,
    /// Reference figure of the scene (`hebb plot` draws it), or null.
    pub figure: Option<String>,
    /// Whether the run stopped before the scene's duration (a stop signal, or the error
    /// below).
    pub interrupted: bool,
    /// The signal that stopped the run (`SIGINT`, `SIGTERM`, `SIGHUP`), or null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    /// The error that stopped the run (e.g. a failed write naming its file), or null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Simulated time at which an interrupted run stopped, ms (null when it completed).
    pub stopped_at_ms: Option<f64>,
    /// For `hebb resume`: the snapshot's time, where this run's recordings start, ms.
    pub resumed_from_ms: Option<f64>,
    /// Snapshot written by `--snapshot-at` (relative to the output directory), or null.
    pub snapshot: Option<String>,
    /// Wall-clock seconds of the stepping loop only (not building, not progress display, not
    /// writing files at the end; recordings streamed while running are included).
    pub wall_seconds: f64,
    /// Wall-clock seconds spent writing the recordings after the loop.
    pub write_seconds: f64,
    /// Threads the run used (results do not depend on it).
    pub threads: usize,
    /// Number of processes (MPI ranks) the run was spread over.
    pub ranks: usize,
    /// The `--set PATH=VALUE` changes applied to the scene file, in order (see
    /// `scene_as_run.ron` for the scene that ran).
    pub set: Vec<String>,
    /// Per population: spike count and mean rate.
    pub populations: Vec<PopulationSummary>,
    /// Per projection: synapse count, resolved synapse, STP and plasticity params.
    pub projections: Vec<ProjectionSummary>,
    /// Stimuli: `{"population": name, "model": name, "params": {…}}` each.
    pub inputs: Vec<serde_json::Value>,
    /// The reward source `{"model": name, "params": {…}}`, or null.
    pub reward: Option<serde_json::Value>,
    /// Numbers the reference figures read (e.g. `w_max`, the upper weight bound of the first
    /// plastic projection with hard bounds).
    pub figure_params: serde_json::Map<String, serde_json::Value>,
    /// Files written, relative to the output directory.
    pub files: Vec<String>,
}

/// One population in `summary.json`.
#[derive(Debug, Serialize)]
pub struct PopulationSummary {
    /// Name.
    pub name: String,
    /// Model name.
    pub model: String,
    /// Number of neurons.
    pub size: usize,
    /// Spikes emitted from t = 0 to the end of the run (a resumed run counts those before
    /// the snapshot too).
    pub spikes: u64,
    /// Mean rate per neuron from t = 0 to the end of the run, Hz.
    pub rate_hz: f64,
    /// The model's params, every one resolved (defaults written out), or null when unknown.
    pub params: Option<serde_json::Value>,
    /// The params given per neuron (scene `per_neuron`): the drawn values' min, mean and max
    /// per param (omitted when none).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub per_neuron: std::collections::BTreeMap<String, PerNeuronSummary>,
}

/// One projection in `summary.json`.
#[derive(Debug, Serialize)]
pub struct ProjectionSummary {
    /// Name.
    pub name: String,
    /// Presynaptic population.
    pub from: String,
    /// Postsynaptic population.
    pub to: String,
    /// Number of synapses.
    pub synapses: usize,
    /// `dense` or `sparse`.
    pub storage: &'static str,
    /// Delay in steps (with per-synapse delays: the shortest).
    pub delay_steps: u32,
    /// Delay in ms, as in the scene (null when unknown or per synapse).
    pub delay_ms: Option<f64>,
    /// Per-synapse delays as in the scene (`synapse_delays_ms`), or null.
    pub synapse_delays_ms: Option<serde_json::Value>,
    /// The connectivity rule as in the scene, or null.
    pub connectivity: Option<serde_json::Value>,
    /// The weight initialiser as in the scene, or null.
    pub weights: Option<serde_json::Value>,
    /// Synapse output: `{"model": name, "params": {…}}`, or null when unknown.
    pub synapse: Option<serde_json::Value>,
    /// Short-term plasticity: `{"model": name, "params": {…}}`, or null.
    pub stp: Option<serde_json::Value>,
    /// Long-term plasticity rule: `{"model": name, "params": {…}}` (e.g. its weight bounds),
    /// or null.
    pub plasticity: Option<serde_json::Value>,
}

/// The values one param took over a population's neurons (`summary.json`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PerNeuronSummary {
    /// Smallest value.
    pub min: f64,
    /// Mean over the neurons.
    pub mean: f64,
    /// Largest value.
    pub max: f64,
}

impl PerNeuronSummary {
    fn of(values: &[f64]) -> Self {
        let (mut min, mut max, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for &v in values {
            (min, max, sum) = (min.min(v), max.max(v), sum + v);
        }
        Self {
            min,
            mean: sum / values.len().max(1) as f64,
            max,
        }
    }
}

/// Populations of `sim` in creation order with their spike counts.
pub fn populations(sim: &Simulation, duration_ms: f64) -> Vec<PopulationSummary> {
    sim.index()
        .populations
        .iter()
        .filter_map(|(_, e)| {
            let p = sim.world.get::<Population>(*e)?;
            let spikes = sim.world.get::<SpikeCount>(*e).map_or(0, |c| c.0);
            let seconds = duration_ms / 1000.0;
            let rate_hz = if seconds > 0.0 {
                spikes as f64 / (p.size as f64 * seconds)
            } else {
                0.0
            };
            Some(PopulationSummary {
                name: p.name.clone(),
                model: p.model.clone(),
                size: p.size,
                spikes,
                rate_hz,
                params: None,
                per_neuron: sim
                    .world
                    .get::<hebb_core::initial::NeuronParams>(*e)
                    .map(|params| {
                        params
                            .values
                            .iter()
                            .map(|(name, v)| (name.clone(), PerNeuronSummary::of(v)))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// Projections of `sim` in creation order with their synapse counts.
pub fn projections(sim: &Simulation) -> Vec<ProjectionSummary> {
    sim.index()
        .projections
        .iter()
        .filter_map(|(_, e)| {
            let p = sim.world.get::<Projection>(*e)?;
            let c = sim.world.get::<Connectivity>(*e)?;
            // A rank's share of a projection: the whole projection's count, summed over the
            // ranks when the outputs were gathered.
            let total = sim.owned_columns(*e).and_then(|share| share.total_synapses);
            Some(ProjectionSummary {
                name: p.name.clone(),
                from: p.pre_name.clone(),
                to: p.post_name.clone(),
                synapses: total.map_or(c.n_synapses(), |n| n as usize),
                storage: match c {
                    Connectivity::Dense { .. } => "dense",
                    Connectivity::Sparse(_) => "sparse",
                },
                delay_steps: p.delay_steps,
                delay_ms: None,
                synapse_delays_ms: None,
                connectivity: None,
                weights: None,
                synapse: None,
                stp: None,
                plasticity: None,
            })
        })
        .collect()
}

fn io_format(format: Format) -> OutputFormat {
    match format {
        Format::Csv => OutputFormat::Csv,
        Format::Npy => OutputFormat::Npy,
    }
}

/// The files this run will write into `dir`; two recorders writing one file is an error.
fn planned_files(
    recorders: &Recorders,
    dir: &Path,
    format: Format,
) -> Result<Vec<PathBuf>, CliError> {
    let mut files = hebb_io::planned_files(recorders, dir, io_format(format));
    files.push(dir.join(SUMMARY));
    let mut seen = BTreeSet::new();
    for f in &files {
        if !seen.insert(f) {
            return Err(CliError::Refused(format!(
                "two outputs would both be written to {}; rename a recorder",
                f.display()
            )));
        }
    }
    Ok(files)
}

/// Fill the scene's resolved models into the projections of `summary.json`.
pub fn resolve_params(scene: &Scene, projections: &mut [ProjectionSummary]) {
    for (p, def) in projections.iter_mut().zip(&scene.projections) {
        match &def.synapse_delays_ms {
            Some(init) => p.synapse_delays_ms = serde_json::to_value(init).ok(),
            None => p.delay_ms = Some(def.delay_ms),
        }
        p.connectivity = serde_json::to_value(&def.connectivity).ok();
        p.weights = serde_json::to_value(&def.weights).ok();
        p.synapse = model_json(&def.synapse);
        p.stp = def.stp.as_ref().and_then(model_json);
        p.plasticity = def.plasticity.as_ref().and_then(model_json);
    }
}

/// Model name and params of a scene model as JSON (`{"model": …, "params": {…}}`).
fn model_json(spec: &hebb_scene::ModelSpec) -> Option<serde_json::Value> {
    let params = serde_json::to_value(&*spec.params).ok()?;
    Some(serde_json::json!({ "model": spec.name(), "params": params }))
}

/// The upper bound of a hard weight bound in plasticity params: a `w_max`-like number field, or
/// the second number of a `Hard(low, high)` bound.
fn upper_bound(params: &serde_json::Value) -> Option<f64> {
    let object = params.as_object()?;
    for key in ["w_max", "wmax", "gmax", "g_max"] {
        if let Some(w) = object.get(key).and_then(serde_json::Value::as_f64) {
            return Some(w);
        }
    }
    object.values().find_map(|v| match v {
        serde_json::Value::Object(o) => o.get("Hard").and_then(|h| match h {
            serde_json::Value::Array(a) => a.get(1).and_then(serde_json::Value::as_f64),
            serde_json::Value::Object(o) => ["high", "w_max", "max"]
                .iter()
                .find_map(|k| o.get(*k).and_then(serde_json::Value::as_f64)),
            _ => None,
        }),
        _ => None,
    })
}

/// What differs between `run` and `resume`.
struct Job<'a> {
    scene: &'a Scene,
    /// The scene path as shown in `summary.json`.
    scene_label: String,
    sim: Simulation,
    output: &'a OutputArgs,
    /// Steps to run.
    steps: u64,
    /// `--snapshot-at`: steps after the start and the file name.
    snapshot: Option<(u64, String)>,
    resumed_from_ms: Option<f64>,
    /// `--set` arguments applied to the scene.
    sets: Vec<String>,
    /// The ranks of this run (MPI's world with the `mpi` feature, else one rank).
    exchange: Box<dyn hebb_mpi::exchange::Exchange>,
}

/// `hebb run` with the built-in models: build the scene, run it, write its files. Stops early
/// when `stop` is set.
pub fn run(args: &RunArgs, stop: &AtomicBool) -> Result<Outcome, CliError> {
    run_with(args, &Plugins::builtin(), stop)
}

/// `hebb run` with the models of `plugins`.
pub fn run_with(args: &RunArgs, plugins: &Plugins, stop: &AtomicBool) -> Result<Outcome, CliError> {
    let (mut scene, applied) = Scene::load_with_sets(&args.scene, &plugins.registry(), &args.set)?;
    crate::overrides::apply(&mut scene, args.seed, args.duration_ms)?;
    check_figure(&scene)?;
    let steps = scene.steps()?;
    let snapshot = match args.snapshot_at {
        None => None,
        Some(t_ms) => {
            let at = steps_on_grid(t_ms, scene.dt_ms)
                .filter(|&k| k <= steps && t_ms >= 0.0)
                .ok_or_else(|| {
                    CliError::Refused(format!(
                        "--snapshot-at {t_ms}: must be a multiple of dt ({} ms) between 0 and the duration ({} ms)",
                        scene.dt_ms, scene.duration_ms
                    ))
                })?;
            Some((at, format!("snapshot_{t_ms}ms.hebbsnap")))
        }
    };
    crate::preflight::before_build(&scene, &args.output)?;
    // Spread over the ranks of `mpirun` (one rank otherwise): each rank builds only its share
    // of the static synapses.
    let exchange = crate::ranks::connect()?;
    tracing::info!(scene = %args.scene.display(), steps, "building");
    let sim = scene
        .build_share(plugins.clone(), exchange.rank(), exchange.ranks())
        .map_err(|e| applied.relabel(e))?;
    execute(
        Job {
            scene: &scene,
            scene_label: args.scene.display().to_string(),
            sim,
            output: &args.output,
            steps,
            snapshot,
            resumed_from_ms: None,
            sets: applied.args,
            exchange,
        },
        stop,
    )
}

/// `hebb resume` with the built-in models: restore a snapshot and run from its time to its
/// scene's duration.
pub fn resume(args: &ResumeArgs, stop: &AtomicBool) -> Result<Outcome, CliError> {
    resume_with(args, &Plugins::builtin(), stop)
}

/// `hebb resume` with the models of `plugins`.
pub fn resume_with(
    args: &ResumeArgs,
    plugins: &Plugins,
    stop: &AtomicBool,
) -> Result<Outcome, CliError> {
    let snapshot = load_snapshot(&args.snapshot, &plugins.registry())?;
    let scene = &snapshot.scene;
    check_figure(scene)?;
    let total = scene.steps()?;
    let from = snapshot.state.clock.step;
    if from >= total {
        return Err(CliError::Refused(format!(
            "{}: the snapshot is at {} ms, the end of its scene ({} ms); nothing to resume",
            args.snapshot.display(),
            snapshot.time_ms(),
            scene.duration_ms
        )));
    }
    crate::preflight::before_build(scene, &args.output)?;
    let exchange = crate::ranks::connect()?;
    tracing::info!(snapshot = %args.snapshot.display(), from_step = from, "restoring");
    // Restored whole on every rank (the snapshot holds the whole network's weights).
    let mut sim = snapshot.build(plugins.clone())?;
    // The recordings of a resumed run start at the snapshot's time: drop anything recorded
    // before it that the snapshot may carry (`hebb run` flushes before saving, so usually
    // nothing).
    {
        let mut recorders = sim.world.resource_mut::<Recorders>();
        for r in &mut recorders.spikes {
            r.steps.clear();
            r.neurons.clear();
        }
        for r in &mut recorders.states {
            r.times_ms.clear();
            r.values.clear();
        }
    }
    execute(
        Job {
            scene,
            scene_label: scene.path().to_owned(),
            sim,
            output: &args.output,
            steps: total - from,
            snapshot: None,
            resumed_from_ms: Some(snapshot.time_ms()),
            sets: Vec::new(),
            exchange,
        },
        stop,
    )
}

/// The file stem of the end-of-run weight table of plastic projection `projection`.
pub fn final_weights_name(projection: &str) -> String {
    format!("final_weights_{projection}")
}

/// Every plastic projection without a `WeightTable` recorder gets one, so its weights at the
/// end of the run are always in the run directory (`final_weights_<projection>.csv`).
fn add_final_weight_tables(scene: &Scene, sim: &mut Simulation) -> Result<(), CliError> {
    for def in &scene.projections {
        if def.plasticity.is_none() {
            continue;
        }
        let has_table = scene.recorders.iter().any(|r| {
            matches!(&r.value, RecorderSpec::WeightTable { projection, .. } if *projection == def.name)
        });
        if has_table {
            continue;
        }
        sim.add_recorder(&RecorderSpec::WeightTable {
            name: final_weights_name(&def.name),
            projection: def.name.clone(),
            at_ms: Vec::new(),
        })
        .map_err(|e| {
            CliError::Refused(format!(
                "the end-of-run weight table of projection `{}`: {e} (a recorder of the scene already uses that name; rename it)",
                def.name
            ))
        })?;
    }
    Ok(())
}

/// The scene's `figure` must be one `hebb plot` knows.
pub fn check_figure(scene: &Scene) -> Result<(), CliError> {
    let Some(name) = &scene.figure else {
        return Ok(());
    };
    let invalid = |message: String| {
        CliError::Scene(hebb_scene::SceneError::new(
            hebb_scene::SceneErrorKind::Invalid,
            scene.path(),
            message,
        ))
    };
    let Some(needs) = hebb_plot::figure_requirements(name) else {
        return Err(invalid(format!(
            "figure: unknown figure \"{name}\"; known figures: {}",
            hebb_plot::FIGURES.join(", ")
        )));
    };
    // The variables the recorders write (a `Weights` recorder writes `w`), and the number of
    // spike recordings: a figure whose data would be missing is refused before the run.
    let recorded = scene.recorders.iter().flat_map(|r| match &r.value {
        RecorderSpec::State { variables, .. } => variables.iter().map(String::as_str).collect(),
        RecorderSpec::Weights { .. } => vec!["w"],
        RecorderSpec::Spikes { .. }
        | RecorderSpec::PopulationRate { .. }
        | RecorderSpec::WeightTable { .. } => Vec::new(),
    });
    let spike_recordings = scene
        .recorders
        .iter()
        .filter(|r| matches!(r.value, RecorderSpec::Spikes { .. }))
        .count();
    let missing = needs.missing(recorded, spike_recordings);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(invalid(format!(
            "figure: the \"{name}\" figure needs {}, which no recorder of the scene provides",
            missing.join(", ")
        )))
    }
}

fn execute(job: Job<'_>, stop: &AtomicBool) -> Result<Outcome, CliError> {
    let Job {
        scene,
        scene_label,
        mut sim,
        output,
        steps,
        snapshot,
        resumed_from_ms,
        sets,
        mut exchange,
    } = job;
    let dir = output.out.as_path();
    let threads = output.threads.unwrap_or_else(|| sim.auto_threads());
    sim.set_threads(threads)
        .map_err(|e| CliError::Refused(format!("--threads {threads}: {e}")))?;
    // Only rank 0 writes files.
    let exchange = exchange.as_mut();
    let (rank, ranks) = (exchange.rank(), exchange.ranks());
    // With several ranks too: rank 0 gathers every weight from its owner before the end-of-run
    // tables are taken (and the tables taken during the run, and the population rates' counts).
    add_final_weight_tables(scene, &mut sim)?;
    let mut ranked = RankRun::prepare(&mut sim, rank, ranks).map_err(crate::ranks::refused)?;
    let mut files = planned_files(sim.recorders(), dir, output.format)?;
    let prepared = if rank == 0 {
        OutputDir::prepare(dir, output.force).map(Some)
    } else {
        Ok(None)
    };
    if ranked
        .any(exchange, prepared.is_err())
        .map_err(crate::ranks::refused)?
    {
        return Err(prepared.err().unwrap_or_else(|| {
            CliError::Refused("rank 0 refused the output directory (see its message)".into())
        }));
    }
    // Rank 0 holds the output directory (and its lock); the other ranks write nothing.
    let out_dir = prepared?;
    // The scene as run: overrides applied, every model's params resolved (defaults written).
    if let Some(out) = &out_dir {
        crate::overrides::write_scene_as_run(out, scene)?;
        files.push(dir.join(crate::overrides::SCENE_AS_RUN));
    }

    let create_sink = |sim: &Simulation| -> Result<SharedSink, CliError> {
        Ok(match output.format {
            Format::Csv => Arc::new(Mutex::new(
                CsvSink::create(dir, sim.recorders(), false)
                    .map_err(|e| CliError::output(dir, e))?,
            )),
            Format::Npy => Arc::new(Mutex::new(
                NpySink::create(dir, sim.recorders(), false)
                    .map_err(|e| CliError::output(dir, e))?,
            )),
        })
    };
    if ranks == 1 {
        let sink = create_sink(&sim)?;
        sim.world
            .resource_mut::<Recorders>()
            .set_sink(sink, FLUSH_THRESHOLD);
    }

    let snapshot_name = snapshot.as_ref().map(|(_, name)| name.clone());
    if let Some(name) = &snapshot_name {
        files.push(dir.join(name));
    }
    let mode = ProgressMode::detect(output.quiet);
    let mut watch = Watch::new();
    watch.check_finite = !output.allow_nonfinite;
    let result = if ranks == 1 {
        let pause = snapshot.map(|(after_steps, name)| {
        let path = dir.join(name);
        Pause {
            after_steps,
            action: Box::new(move |sim: &mut Simulation| {
                // Everything recorded up to T goes to the files first, so the snapshot carries
                // no recordings and a resumed run writes only what comes after T.
                sim.flush_recorders().map_err(|e| {
                    CliError::Refused(format!("writing recordings into {}: {e}", dir.display()))
                })?;
                save_snapshot(&path, scene, sim)?;
                tracing::info!(path = %path.display(), t_ms = sim.clock().time_ms(), "snapshot written");
                Ok(())
            }),
        }
    });
        step_loop(&mut sim, steps, stop, &mut watch, mode, pause)?
    } else {
        // Rank 0's sink, created when a snapshot first writes the recordings so far.
        let mut rank_sink: Option<SharedSink> = None;
        let pause = snapshot.map(|(after_steps, name)| {
            let path = dir.join(name);
            let rank_sink = &mut rank_sink;
            let create_sink = &create_sink;
            crate::ranks::RankPause {
                after_steps,
                action: Box::new(
                    move |sim: &mut Simulation,
                          ranked: &mut RankRun,
                          exchange: &mut dyn hebb_mpi::exchange::Exchange| {
                        // Rank 0 writes everything recorded up to T (so the snapshot carries no
                        // recordings, as in one process), then the merged state of all ranks.
                        ranked
                            .gather_recordings(sim, exchange)
                            .map_err(crate::ranks::refused)?;
                        if rank == 0 {
                            let sink = match rank_sink {
                                Some(sink) => sink.clone(),
                                None => rank_sink.insert(create_sink(sim)?).clone(),
                            };
                            sim.world
                                .resource_mut::<Recorders>()
                                .set_sink(sink, FLUSH_THRESHOLD);
                            let flushed = sim.flush_recorders();
                            // Until the end, recordings stay in memory to be gathered.
                            sim.world.resource_mut::<Recorders>().sink = None;
                            flushed.map_err(|e| {
                                CliError::Refused(format!(
                                    "writing recordings into {}: {e}",
                                    dir.display()
                                ))
                            })?;
                        }
                        let state = ranked
                            .gather_state(sim, exchange)
                            .map_err(crate::ranks::refused)?;
                        if let Some(state) = state {
                            save_snapshot_state(&path, scene, state)?;
                            tracing::info!(path = %path.display(), t_ms = sim.clock().time_ms(), "snapshot written");
                        }
                        Ok(())
                    },
                ),
            }
        });
        let result =
            crate::ranks::rank_loop(&mut sim, &mut ranked, exchange, steps, stop, mode, pause)?;
        // The recordings stay in memory on every rank until the end; rank 0 then holds the
        // whole network's and writes them as one process would.
        ranked
            .gather_outputs(&mut sim, exchange)
            .map_err(crate::ranks::refused)?;
        if rank != 0 {
            return Ok(if result.interrupted {
                Outcome::Interrupted
            } else {
                Outcome::Completed
            });
        }
        let sink = match rank_sink {
            Some(sink) => sink,
            None => create_sink(&sim)?,
        };
        sim.world
            .resource_mut::<Recorders>()
            .set_sink(sink, FLUSH_THRESHOLD);
        result
    };
    if watch.failure.is_none() {
        // The end state too (a short run may never reach the periodic check).
        watch.scan(&sim);
    }
    // Every weight table at the end of the run (interrupted runs: where they stopped).
    sim.record_weight_tables();
    let wall_seconds = result.wall_seconds;

    let writing = Instant::now();
    let mut failure = watch.failure.take();
    if let Err(e) = sim.flush_recorders()
        && failure.is_none()
    {
        failure = Some(write_failure(&e, &sim));
    }
    let write_seconds = writing.elapsed().as_secs_f64();

    let end_ms = sim.clock().time_ms();
    let mut projections = projections(&sim);
    resolve_params(scene, &mut projections);
    let mut populations = populations(&sim, end_ms);
    for (p, def) in populations.iter_mut().zip(&scene.populations) {
        p.params = serde_json::to_value(&*def.model.params).ok();
    }
    let mut figure_params = serde_json::Map::new();
    if let Some(w_max) = projections
        .iter()
        .filter_map(|p| p.plasticity.as_ref())
        .find_map(|p| upper_bound(&p["params"]))
    {
        figure_params.insert("w_max".into(), w_max.into());
    }
    let summary = Summary {
        scene: scene_label,
        hebb_version: env!("CARGO_PKG_VERSION"),
        seed: scene.seed,
        dt_ms: scene.dt_ms,
        steps: result.steps_run,
        duration_ms: scene.duration_ms,
        figure: scene.figure.clone(),
        interrupted: result.interrupted,
        stop_signal: crate::signals::received()
            .filter(|_| result.interrupted)
            .map(crate::signals::name),
        error: failure.as_ref().map(ToString::to_string),
        stopped_at_ms: result.interrupted.then_some(end_ms),
        resumed_from_ms,
        snapshot: snapshot_name.filter(|_| files.last().is_some_and(|f| f.exists())),
        wall_seconds,
        write_seconds,
        threads: sim.threads(),
        ranks,
        set: sets,
        populations,
        projections,
        inputs: scene
            .inputs
            .iter()
            .map(|i| {
                let mut v = model_json(&i.model).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("population".into(), i.population.clone().into());
                }
                v
            })
            .collect(),
        reward: scene.reward.as_ref().and_then(model_json),
        figure_params,
        files: files
            .iter()
            .filter(|f| f.exists() || f.ends_with(SUMMARY))
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect(),
    };
    let mut json = serde_json::to_string_pretty(&summary)
        .map_err(|e| CliError::Refused(format!("summary.json: {e}")))?;
    json.push('\n');
    let written = match &out_dir {
        Some(out_dir) => out_dir.write_atomic(SUMMARY, json.as_bytes()),
        None => Ok(()),
    };
    if let Some(failure) = failure {
        return Err(failure);
    }
    written?;

    let what = match resumed_from_ms {
        Some(t) => format!("{} ms → {end_ms} ms", t),
        None => format!("{end_ms} ms"),
    };
    println!(
        "{}: {} steps ({what}) in {wall_seconds:.3} s{}",
        summary.scene,
        result.steps_run,
        if result.interrupted {
            ", interrupted"
        } else {
            ""
        }
    );
    for p in &summary.populations {
        println!(
            "  {:<16} {:>8} neurons {:>10} spikes {:>9.2} Hz",
            p.name, p.size, p.spikes, p.rate_hz
        );
    }
    println!("wrote {} files to {}", summary.files.len(), dir.display());

    if output.plot {
        if output.format == Format::Npy {
            return Err(CliError::Refused(
                "--plot reads CSV recordings; run with --format csv (the default)".into(),
            ));
        }
        let plots = crate::plot::plot_into(dir, None, &[ImageFormat::Png])?;
        println!(
            "wrote {} plots to {}",
            plots.len(),
            dir.join(hebb_plot::PLOTS_DIR).display()
        );
    }
    Ok(if result.interrupted {
        Outcome::Interrupted
    } else {
        Outcome::Completed
    })
}
