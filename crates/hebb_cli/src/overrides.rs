//! Run options that change the scene as loaded: `hebb run … --seed N --duration-ms T`. They are
//! applied to the parsed scene and checked like the scene's own values (a duration off the dt
//! grid gives the scene's error). A snapshot stores the scene as run, so `hebb resume` continues
//! with the overridden values; `summary.json` shows the seed and duration that ran.

use hebb_scene::Scene;

use crate::error::CliError;

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
