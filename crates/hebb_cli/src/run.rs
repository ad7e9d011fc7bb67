//! `hebb run`: build a scene, step it for its duration, write the recordings and
//! `summary.json`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hebb::DefaultPlugins;
use hebb_core::connectivity::Connectivity;
use hebb_core::population::{Population, SpikeCount};
use hebb_core::projection::Projection;
use hebb_core::record::{Recorders, SharedSink};
use hebb_core::simulation::Simulation;
use hebb_io::{CsvSink, NpySink, OutputFormat};
use hebb_scene::{Scene, registry_of};
use serde::Serialize;

use crate::error::CliError;
use crate::{Format, RunArgs};

/// Buffered recorded values above which recorders hand their data to the file writers while
/// running (about 16 MB of f32 values): small runs write everything after the timed loop,
/// long ones stay within bounded memory.
const FLUSH_THRESHOLD: usize = 4 << 20;

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
    /// Wall-clock seconds of the stepping loop only (not building, not writing files at the
    /// end).
    pub wall_seconds: f64,
    /// Wall-clock seconds spent writing the recordings after the loop.
    pub write_seconds: f64,
    /// Per population: spike count and mean rate.
    pub populations: Vec<PopulationSummary>,
    /// Per projection: synapse count.
    pub projections: Vec<ProjectionSummary>,
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
    /// Spikes emitted during the run.
    pub spikes: u64,
    /// Mean rate per neuron, Hz.
    pub rate_hz: f64,
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
    /// Delay in steps.
    pub delay_steps: u32,
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
            Some(ProjectionSummary {
                name: p.name.clone(),
                from: p.pre_name.clone(),
                to: p.post_name.clone(),
                synapses: c.n_synapses(),
                storage: match c {
                    Connectivity::Dense { .. } => "dense",
                    Connectivity::Sparse(_) => "sparse",
                },
                delay_steps: p.delay_steps,
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
    files.push(dir.join("summary.json"));
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

/// Create `dir`, or check that it is empty (or that `force` was given).
fn prepare_dir(dir: &Path, force: bool) -> Result<(), CliError> {
    if dir.exists() {
        if !dir.is_dir() {
            return Err(CliError::Refused(format!(
                "{} exists and is not a directory",
                dir.display()
            )));
        }
        let entries = std::fs::read_dir(dir)
            .map_err(|e| CliError::output(dir, e))?
            .count();
        if entries > 0 && !force {
            return Err(CliError::Refused(format!(
                "{} is not empty ({entries} entries); use --force to write into it (hebb overwrites only the files it writes)",
                dir.display()
            )));
        }
        Ok(())
    } else {
        std::fs::create_dir_all(dir).map_err(|e| CliError::output(dir, e))
    }
}

/// `hebb run`.
pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let scene = Scene::load(&args.scene, &registry_of(DefaultPlugins))?;
    let steps = scene.steps()?;
    let mut sim = scene.build(DefaultPlugins)?;
    let dir = args.out.as_path();
    let files = planned_files(sim.recorders(), dir, args.format)?;
    prepare_dir(dir, args.force)?;

    let sink: SharedSink = match args.format {
        Format::Csv => Arc::new(Mutex::new(
            CsvSink::create(dir, sim.recorders(), false).map_err(|e| CliError::output(dir, e))?,
        )),
        Format::Npy => Arc::new(Mutex::new(
            NpySink::create(dir, sim.recorders(), false).map_err(|e| CliError::output(dir, e))?,
        )),
    };
    sim.world
        .resource_mut::<Recorders>()
        .set_sink(sink, FLUSH_THRESHOLD);

    let started = Instant::now();
    sim.run_steps(steps);
    let wall_seconds = started.elapsed().as_secs_f64();

    let writing = Instant::now();
    sim.flush_recorders().map_err(|e| {
        CliError::Refused(format!("writing recordings into {}: {e}", dir.display()))
    })?;
    let write_seconds = writing.elapsed().as_secs_f64();

    let summary = Summary {
        scene: args.scene.display().to_string(),
        hebb_version: env!("CARGO_PKG_VERSION"),
        seed: scene.seed,
        dt_ms: scene.dt_ms,
        steps,
        duration_ms: scene.duration_ms,
        wall_seconds,
        write_seconds,
        populations: populations(&sim, scene.duration_ms),
        projections: projections(&sim),
        files: files
            .iter()
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect(),
    };
    let path = dir.join("summary.json");
    let mut json = serde_json::to_string_pretty(&summary)
        .map_err(|e| CliError::Refused(format!("summary.json: {e}")))?;
    json.push('\n');
    std::fs::write(&path, json).map_err(|e| CliError::output(&path, e))?;

    println!(
        "{}: {steps} steps ({} ms) in {wall_seconds:.3} s",
        summary.scene, summary.duration_ms
    );
    for p in &summary.populations {
        println!(
            "  {:<16} {:>8} neurons {:>10} spikes {:>9.2} Hz",
            p.name, p.size, p.spikes, p.rate_hz
        );
    }
    println!("wrote {} files to {}", summary.files.len(), dir.display());
    Ok(())
}
