//! `hebb check`: validate a scene, build it, and print its network and step schedule.

use std::path::Path;

use hebb_core::record::RecorderSpec;
use hebb_scene::Scene;

use crate::error::CliError;
use crate::plugins::Plugins;
use crate::run::{populations, projections};

/// `hebb check` with the built-in models.
pub fn check(path: &Path) -> Result<(), CliError> {
    check_with(path, &Plugins::builtin())
}

/// `hebb check` with the models of `plugins`.
pub fn check_with(path: &Path, plugins: &Plugins) -> Result<(), CliError> {
    check_with_options(path, plugins, false)
}

/// `hebb check [--ignore-memory-estimate]`: as [`check_with`]; a network whose memory
/// estimate exceeds the available memory is refused before it is built unless
/// `ignore_memory_estimate`.
pub fn check_with_options(
    path: &Path,
    plugins: &Plugins,
    ignore_memory_estimate: bool,
) -> Result<(), CliError> {
    check_with_sets(path, plugins, ignore_memory_estimate, &[])
}

/// `hebb check [--ignore-memory-estimate] [--set PATH=VALUE]…`: as [`check_with_options`],
/// with the `--set` changes applied to the scene first (errors name the `--set` argument).
pub fn check_with_sets(
    path: &Path,
    plugins: &Plugins,
    ignore_memory_estimate: bool,
    sets: &[String],
) -> Result<(), CliError> {
    let (scene, applied) = Scene::load_with_sets(path, &plugins.registry(), sets)?;
    crate::run::check_figure(&scene)?;
    let steps = scene.steps()?;
    crate::memory::check_fits(&scene, ignore_memory_estimate)?;
    let (bytes, synapses) = crate::memory::estimate(&scene);
    let mut sim = scene
        .build(plugins.clone())
        .map_err(|e| applied.relabel(e))?;
    let schedule = sim.schedule_summary().map_err(|e| {
        CliError::Scene(hebb_scene::SceneError::new(
            hebb_scene::SceneErrorKind::Invalid,
            scene.path(),
            e.to_string(),
        ))
    })?;
    println!("{}: ok", path.display());
    for arg in &applied.args {
        println!("--set {arg}");
    }
    println!(
        "dt {} ms, duration {} ms ({steps} steps), seed {}",
        scene.dt_ms, scene.duration_ms, scene.seed
    );
    println!(
        "memory: about {} ({synapses:.0} synapses expected)",
        crate::memory::human(bytes)
    );
    println!("populations:");
    for p in populations(&sim, scene.duration_ms) {
        println!("  {:<16} {:>8} neurons  {}", p.name, p.size, p.model);
    }
    if !scene.projections.is_empty() {
        println!("projections:");
    }
    for (p, def) in projections(&sim).iter().zip(&scene.projections) {
        let mut extra = String::new();
        if let Some(stp) = &def.stp {
            extra.push_str(&format!(", stp {}", stp.name()));
        }
        if let Some(rule) = &def.plasticity {
            extra.push_str(&format!(", plasticity {}", rule.name()));
        }
        let delay = match &def.synapse_delays_ms {
            // Per-synapse delays: the projection's own delay is the shortest of them.
            Some(init) => format!(
                "delays per synapse {init:?} (shortest {} steps)",
                p.delay_steps
            ),
            None => format!("delay {} ms ({} steps)", def.delay_ms, p.delay_steps),
        };
        println!(
            "  {:<16} {} -> {}: {} synapses ({}), {}, {delay}{extra}",
            p.name,
            p.from,
            p.to,
            p.synapses,
            p.storage,
            def.synapse.name(),
        );
        print_resolved(&sim, def);
        // What the models' parameters select (e.g. the sign mode of an STDP rule).
        for model in std::iter::once(&def.synapse)
            .chain(&def.stp)
            .chain(&def.plasticity)
        {
            if let Some(description) = model.params.describe() {
                println!("    {}: {description}", model.name());
            }
        }
    }
    if !scene.inputs.is_empty() {
        println!("inputs:");
    }
    for input in &scene.inputs {
        println!("  {} on {}", input.model.name(), input.population);
        if let Some(description) = input.model.params.describe() {
            println!("    {description}");
        }
    }
    if let Some(figure) = &scene.figure {
        println!("figure: {figure}");
    }
    if let Some(reward) = &scene.reward {
        println!("reward: {}", reward.name());
    }
    if !scene.recorders.is_empty() {
        println!("recorders:");
    }
    for rec in &scene.recorders {
        match &rec.value {
            RecorderSpec::Spikes {
                population,
                name,
                from_ms,
                to_ms,
            } => {
                let named = name.as_ref().map(|n| format!("{n}: ")).unwrap_or_default();
                let window = match (from_ms, to_ms) {
                    (None, None) => String::new(),
                    (from, to) => format!(
                        " from {} ms to {}",
                        from.unwrap_or(0.0),
                        to.map_or("the end".to_owned(), |t| format!("{t} ms"))
                    ),
                };
                println!("  {named}spikes of {population}{window}");
            }
            RecorderSpec::PopulationRate {
                name,
                population,
                bin_ms,
            } => println!("  {name}: rate of {population} in bins of {bin_ms} ms"),
            RecorderSpec::WeightTable {
                name,
                projection,
                at_ms,
            } => {
                let synapses = sim
                    .recorders()
                    .tables
                    .iter()
                    .find(|t| t.name == *name)
                    .map_or(0, |t| t.pre.len());
                println!(
                    "  {name}: table of the {synapses} weights of {projection} at {at_ms:?} ms and at the end"
                );
            }
            RecorderSpec::State {
                name,
                target,
                stride,
                ..
            } => {
                let columns = sim.recorders().state(name).map_or(0, |s| s.columns.len());
                println!("  {name}: {columns} values of {target} {}", every(*stride));
            }
            RecorderSpec::Weights {
                name,
                projection,
                stride,
                ..
            } => {
                let columns = sim.recorders().state(name).map_or(0, |s| s.columns.len());
                println!(
                    "  {name}: {columns} weights of {projection} {}",
                    every(*stride)
                );
            }
        }
    }
    println!("schedule of one step:");
    for line in schedule.lines() {
        println!("  {line}");
    }
    Ok(())
}

fn every(stride: u32) -> String {
    if stride == 1 {
        "every step".to_owned()
    } else {
        format!("every {stride} steps")
    }
}

/// Compact one-line RON of a model with every param resolved (defaults included).
fn one_line(spec: &hebb_scene::ModelSpec) -> String {
    spec.to_ron()
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|e| format!("{} (not printable: {e})", spec.name()))
}

/// The resolved synapse and plasticity params of a projection, and whether its weights are
/// kept >= 0 (conductances, see `hebb_core::checks`).
fn print_resolved(sim: &hebb_core::simulation::Simulation, def: &hebb_scene::ProjectionDef) {
    println!("      synapse {}", one_line(&def.synapse));
    if let Some(stp) = &def.stp {
        println!("      stp {}", one_line(stp));
    }
    if let Some(rule) = &def.plasticity {
        println!("      plasticity {}", one_line(rule));
    }
    let sign = sim
        .index()
        .projection(&def.name)
        .and_then(|e| sim.world.get::<hebb_core::checks::NonNegativeWeights>(e));
    if let Some(need) = sign {
        println!(
            "      weights must stay >= 0 ({}; checked: initial weights and plasticity bounds)",
            need.synapse
        );
    }
}
