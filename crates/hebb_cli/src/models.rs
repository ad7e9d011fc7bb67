//! `hebb models`: the registered models, their parameters and defaults.

use hebb::DefaultPlugins;
use hebb_core::registry::ModelKind;
use hebb_scene::{ModelSpec, registry_of};

const KINDS: [ModelKind; 7] = [
    ModelKind::Neuron,
    ModelKind::Input,
    ModelKind::Stimulus,
    ModelKind::Synapse,
    ModelKind::ShortTermPlasticity,
    ModelKind::Plasticity,
    ModelKind::Reward,
];

/// Print every registered model, grouped by kind.
pub fn list() {
    let registry = registry_of(DefaultPlugins);
    for kind in KINDS {
        let entries: Vec<_> = registry.entries().filter(|e| e.kind == kind).collect();
        if entries.is_empty() {
            continue;
        }
        println!("{} models:", kind.label());
        for entry in entries {
            println!("  {} — {}", entry.name, entry.summary);
            let defaults = ModelSpec {
                params: (entry.defaults)(),
                span: None,
            };
            if let Ok(text) = defaults.to_ron() {
                println!("    default: {text}");
            }
            for p in entry.params {
                println!("    {} ({}): {}", p.name, p.unit, p.doc);
            }
        }
    }
}
