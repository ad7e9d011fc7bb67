//! Run options that change the scene as loaded: `hebb run … --seed N --duration-ms T`. They are
//! applied to the parsed scene and checked like the scene's own values (a duration off the dt
//! grid gives the scene's error). A snapshot stores the scene as run, so `hebb resume` continues
//! with the overridden values; `summary.json` shows the seed and duration that ran, and
//! `DIR/scene_as_run.ron` the whole scene as run with every model's resolved params.

use hebb_scene::Scene;

use crate::error::CliError;
use crate::outdir::OutputDir;

/// The copy of the scene as run in every output directory.
pub const SCENE_AS_RUN: &str = "scene_as_run.ron";

/// Write the scene as run (its seed and duration after the options, every model with all its
/// params, defaults included) to `DIR/scene_as_run.ron`; `hebb run` accepts the file as is.
pub fn write_scene_as_run(dir: &OutputDir, scene: &Scene) -> Result<(), CliError> {
    let text = scene.to_ron()?;
    dir.write_atomic(
        SCENE_AS_RUN,
        format!(
            "// The scene as run by hebb {}.\n{text}",
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes(),
    )
}

/// Set the scene's seed and/or duration, then validate the scene again.
pub fn apply(
    scene: &mut Scene,
    seed: Option<u64>,
    duration_ms: Option<f64>,
) -> Result<(), CliError> {
    if let Some(seed) = seed {
        scene.seed = seed;
    }
    if let Some(duration_ms) = duration_ms {
        scene.duration_ms = duration_ms;
        scene.steps().map_err(|e| {
            CliError::Refused(format!(
                "--duration-ms {duration_ms}: {}",
                e.to_string().rsplit(": ").next().unwrap_or_default()
            ))
        })?;
    }
    Ok(())
}
