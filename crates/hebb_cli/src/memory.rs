//! Memory estimate of a scene, before anything is allocated: `hebb check` prints it, and
//! `hebb check`, `run` and `resume` refuse a scene whose estimate exceeds the memory available
//! (`MemAvailable` of `/proc/meminfo`) with a clear message instead of being aborted by the
//! allocator halfway through building (`--ignore-memory-estimate` goes ahead regardless).
//!
//! The estimate counts what grows with the network: per neuron ~[`BYTES_PER_NEURON`] (state
//! arrays, spikes, inputs, traces), per synapse ~[`BYTES_PER_SYNAPSE`] (weight, CSR index and
//! its transposed index, STP and plasticity state), and per projection its delay line. The
//! synapse count is the expected one (`p·N_pre·N_post` for `FixedProbability`). It is an
//! order of magnitude, good for telling a laptop-sized network from a 17 GB one, not an exact
//! figure.

use hebb_core::connectivity::ConnectivitySpec;
use hebb_scene::Scene;

use crate::error::CliError;

/// Estimated bytes per neuron.
pub const BYTES_PER_NEURON: f64 = 96.0;
/// Estimated bytes per synapse.
pub const BYTES_PER_SYNAPSE: f64 = 32.0;

/// The estimate for `scene`, in bytes, and the expected number of synapses.
pub fn estimate(scene: &Scene) -> (f64, f64) {
    let size = |name: &str| {
        scene
            .populations
            .iter()
            .find(|p| p.name == name)
            .map_or(0.0, |p| p.size as f64)
    };
    let neurons: f64 = scene.populations.iter().map(|p| p.size as f64).sum();
    let mut synapses = 0.0;
    let mut delay_bytes = 0.0;
    for proj in &scene.projections {
        let (pre, post) = (size(&proj.from), size(&proj.to));
        synapses += match &proj.connectivity {
            ConnectivitySpec::AllToAll => pre * post,
            ConnectivitySpec::OneToOne => pre.min(post),
            ConnectivitySpec::FixedProbability { p, .. } => p * pre * post,
            ConnectivitySpec::FixedIndegree { k, .. } => *k as f64 * post,
            ConnectivitySpec::List(pairs) => pairs.len() as f64,
        };
        // One slot (a list of spikes, a few words) per step of delay.
        delay_bytes += 32.0 * (proj.delay_ms / scene.dt_ms).max(0.0) + 4.0 * pre;
    }
    (
        neurons * BYTES_PER_NEURON + synapses * BYTES_PER_SYNAPSE + delay_bytes,
        synapses,
    )
}

/// Bytes of memory available now (Linux `MemAvailable`), when known.
pub fn available() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// `bytes` as `1.2 GB`.
pub fn human(bytes: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = bytes;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", units[u])
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// Refuse `scene` when its estimate exceeds the available memory (unless `ignore`).
pub fn check_fits(scene: &Scene, ignore: bool) -> Result<(), CliError> {
    let (bytes, synapses) = estimate(scene);
    let Some(free) = available() else {
        return Ok(());
    };
    if bytes > free && !ignore {
        return Err(CliError::Refused(format!(
            "{}: the network needs about {} of memory ({synapses:.3e} synapses), more than the {} available; make it smaller (sizes, connection probability), or pass --ignore-memory-estimate to try anyway",
            scene.path(),
            human(bytes),
            human(free)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_65k_all_to_all_network_is_estimated_in_the_hundreds_of_gb() {
        let text = r#"(version: 1, duration_ms: 1.0,
            populations: [(name: "a", size: 65000, model: Poisson(rate_hz: 1.0))],
            projections: [(name: "aa", from: "a", to: "a", connectivity: AllToAll,
                           weights: Constant(0.1), synapse: Delta)])"#;
        let scene = Scene::parse(
            text,
            "big.ron",
            &hebb_scene::registry_of(hebb::DefaultPlugins),
        )
        .unwrap();
        let (bytes, synapses) = estimate(&scene);
        assert_eq!(synapses, 65000.0 * 65000.0);
        assert!(bytes > 1e11, "{bytes}");
        assert!(human(bytes).ends_with("GB") || human(bytes).ends_with("TB"));
        let e = check_fits(&scene, false).unwrap_err().to_string();
        assert!(e.contains("--ignore-memory-estimate"), "{e}");
        assert!(check_fits(&scene, true).is_ok());
    }
}
