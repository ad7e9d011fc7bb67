//! `hebb list` (alias `hebb models`): every registered model, grouped by kind, with its
//! parameters, their units, defaults and meaning, straight from the model registry; then the
//! connectivities, weight initialisers and recorder kinds a scene can use. `hebb list NAME`
//! shows one model.

use hebb_core::registry::{ModelEntry, ModelKind};
use serde_json::Value;

use crate::plugins::Plugins;

const KINDS: [ModelKind; 7] = [
    ModelKind::Neuron,
    ModelKind::Input,
    ModelKind::Stimulus,
    ModelKind::Synapse,
    ModelKind::ShortTermPlasticity,
    ModelKind::Plasticity,
    ModelKind::Reward,
];

/// Print every built-in model, grouped by kind.
pub fn list() {
    print!("{}", listing());
}

/// The text `hebb list` prints for the built-in models.
pub fn listing() -> String {
    listing_with(&Plugins::builtin())
}

/// The text `hebb list` prints for the models of `plugins`.
pub fn listing_with(plugins: &Plugins) -> String {
    let registry = plugins.registry();
    let mut out = String::new();
    for kind in KINDS {
        let entries: Vec<_> = registry.entries().filter(|e| e.kind == kind).collect();
        if entries.is_empty() {
            continue;
        }
        out.push_str(&format!("{} models:\n", kind.label()));
        for entry in entries {
            describe(entry, &mut out);
        }
        out.push('\n');
    }
    out.push_str(SCENE_PARTS);
    out
}

/// The text `hebb list NAME` prints: the model `name` of `plugins`, or an error listing the
/// registered names.
pub fn model_listing_with(plugins: &Plugins, name: &str) -> Result<String, String> {
    let registry = plugins.registry();
    let Some(entry) = registry.entries().find(|e| e.name == name) else {
        let names: Vec<&str> = registry.entries().map(|e| e.name).collect();
        return Err(format!(
            "no model named `{name}`; registered models: {}",
            names.join(", ")
        ));
    };
    let mut out = format!("{} model:\n", entry.kind.label());
    describe(entry, &mut out);
    Ok(out)
}

/// The scene parts that are not registry models: connectivities, weight initialisers and
/// recorder kinds (from `hebb_core::connectivity` and `hebb_core::record`).
const SCENE_PARTS: &str = "\
connectivities (projection `connectivity:`):
  AllToAll                                   every pre to every post (stored dense)
  OneToOne                                   pre i to post i (same sizes)
  FixedProbability(p: 0.02, autapses: true)  each pair with probability p
  FixedIndegree(k: 80, autapses: true)       exactly k distinct partners per post neuron
  List([(0, 1), (2, 0)])                     explicit (pre, post) pairs

weight initialisers (projection `weights:`):
  Constant(0.5)                              one value
  Uniform(low: 0.0, high: 0.01)              uniform in [low, high)
  Normal(mean: 1.0, std: 0.1, min: 0.0, max: 2.0)   normal, clipped to [min, max]
  Values([0.1, 0.2])                         one value per synapse (List order for List)

recorder kinds (`recorders:`):
  Spikes(population: \"exc\")                 every spike: spikes_<population>.csv (t_ms, neuron)
  State(name: \"v\", target: \"exc\", variables: [\"v\"], indices: [0, 1], stride: 1)
                                             variables of a population or projection every stride steps
  Weights(name: \"w\", projection: \"in\", synapses: [(0, 0)], stride: 10)
                                             weights every stride steps
";

fn describe(entry: &ModelEntry, out: &mut String) {
    out.push_str(&format!("  {} — {}\n", entry.name, entry.summary));
    let defaults = serde_json::to_value(&*(entry.defaults)()).unwrap_or(Value::Null);
    let fields = defaults.as_object();
    if entry.params.is_empty() && fields.is_none_or(|f| f.is_empty()) {
        out.push_str("    (no parameters)\n");
        return;
    }
    let width = entry
        .params
        .iter()
        .map(|p| p.name.len())
        .chain(fields.into_iter().flat_map(|f| f.keys().map(String::len)))
        .max()
        .unwrap_or(0);
    for p in entry.params {
        let default = fields
            .and_then(|f| f.get(p.name))
            .map_or_else(|| "-".to_owned(), ron_text);
        out.push_str(&format!(
            "    {:<width$}  default {:<14} [{}]  {}\n",
            p.name, default, p.unit, p.doc
        ));
    }
    // Fields without a doc entry, so that every parameter shows up.
    if let Some(fields) = fields {
        for (name, value) in fields {
            if !entry.params.iter().any(|p| p.name == name) {
                out.push_str(&format!(
                    "    {name:<width$}  default {:<14}\n",
                    ron_text(value)
                ));
            }
        }
    }
}

/// A default value as it is written in a scene: numbers and strings as such, `None` for null,
/// enum variants as `Name(…)`.
fn ron_text(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.1}"),
            _ => n.to_string(),
        },
        Value::String(s) => {
            // Unit enum variants serialize as strings; write them bare like in scenes.
            if s.chars().next().is_some_and(char::is_uppercase)
                && s.chars().all(char::is_alphanumeric)
            {
                s.clone()
            } else {
                format!("{s:?}")
            }
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(ron_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(o) if o.len() == 1 => {
            let (name, inner) = o.iter().next().map_or(("", &Value::Null), |(k, v)| (k, v));
            match inner {
                Value::Array(items) => format!(
                    "{name}({})",
                    items.iter().map(ron_text).collect::<Vec<_>>().join(", ")
                ),
                Value::Object(_) => format!("{name}{}", struct_text(inner)),
                other => format!("{name}({})", ron_text(other)),
            }
        }
        Value::Object(_) => struct_text(v),
    }
}

fn struct_text(v: &Value) -> String {
    let Some(o) = v.as_object() else {
        return ron_text(v);
    };
    format!(
        "({})",
        o.iter()
            .map(|(k, v)| format!("{k}: {}", ron_text(v)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_written_like_scene_values() {
        assert_eq!(ron_text(&serde_json::json!(20.0)), "20.0");
        assert_eq!(ron_text(&serde_json::json!(3)), "3");
        assert_eq!(ron_text(&serde_json::json!(null)), "None");
        assert_eq!(ron_text(&serde_json::json!("Brian2")), "Brian2");
        assert_eq!(
            ron_text(&serde_json::json!({"Hard": [0.0, 0.01]})),
            "Hard(0.0, 0.01)"
        );
    }

    #[test]
    fn one_model_and_unknown_names() {
        let plugins = Plugins::builtin();
        let lif = model_listing_with(&plugins, "Lif").unwrap();
        assert!(lif.starts_with("neuron model:\n  Lif — "), "{lif}");
        assert!(
            lif.contains("tau_theta_ms") && !lif.contains("LifRef"),
            "{lif}"
        );
        let err = model_listing_with(&plugins, "Lyf").unwrap_err();
        assert!(
            err.starts_with("no model named `Lyf`; registered models: ") && err.contains("LifRef")
        );
    }

    #[test]
    fn listing_ends_with_connectivities_initialisers_and_recorders() {
        let text = listing();
        for part in [
            "FixedIndegree(k: 80",
            "Normal(mean:",
            "Weights(name:",
            "recorder kinds",
        ] {
            assert!(text.contains(part), "{part}");
        }
    }

    #[test]
    fn listing_has_every_kind_and_lif_with_its_defaults() {
        let text = listing();
        for kind in KINDS {
            assert!(
                text.contains(&format!("{} models:", kind.label())),
                "{kind:?}"
            );
        }
        let lif = text
            .lines()
            .skip_while(|l| !l.starts_with("  Lif "))
            .nth(1)
            .expect("Lif is listed with parameters");
        assert!(lif.contains("default") && lif.contains('['), "{lif}");
    }
}
