//! `summary.json` of a run, read tolerantly: every field is optional except that a field that
//! is present must have the right type.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::PlotError;

/// The parsed `summary.json`.
#[derive(Debug, Clone)]
pub struct Summary {
    path: PathBuf,
    value: Value,
}

impl Summary {
    /// Read `dir/summary.json`; `Ok(None)` when there is none.
    pub fn load(dir: &Path) -> Result<Option<Self>, PlotError> {
        let path = dir.join("summary.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(PlotError::Io { path, source }),
        };
        let value = serde_json::from_str(&text).map_err(|e| PlotError::Summary {
            path: path.clone(),
            message: format!("not valid JSON: {e}"),
        })?;
        Ok(Some(Self { path, value }))
    }

    /// A summary from a JSON value (for tests).
    pub fn from_value(path: PathBuf, value: Value) -> Self {
        Self { path, value }
    }

    /// The `figure` field: a string, `null` or absent.
    pub fn figure(&self) -> Result<Option<&str>, PlotError> {
        match self.value.get("figure") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(PlotError::Summary {
                path: self.path.clone(),
                message: format!("`figure` must be a string or null, got {other}"),
            }),
        }
    }

    /// The `scene` field (a name or path), if it is a string.
    pub fn scene(&self) -> Option<&str> {
        self.value.get("scene").and_then(Value::as_str)
    }

    /// A number at the top level.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.value.get(key).and_then(Value::as_f64)
    }

    /// Run length in ms: `duration_ms`, or `steps · dt_ms`.
    pub fn duration_ms(&self) -> Option<f64> {
        self.number("duration_ms").or_else(|| {
            let steps = self.number("steps")?;
            let dt = self.number("dt_ms")?;
            Some(steps * dt)
        })
    }

    /// The entry of population `name` in `populations`, which may be an object keyed by name
    /// or an array of objects with a `name` field.
    fn population(&self, name: &str) -> Option<&Value> {
        match self.value.get("populations")? {
            Value::Object(map) => map.get(name),
            Value::Array(items) => items
                .iter()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name)),
            _ => None,
        }
    }

    /// Number of neurons of population `name` (`size`, `n` or `neurons`).
    pub fn population_size(&self, name: &str) -> Option<u32> {
        let p = self.population(name)?;
        ["size", "n", "neurons"]
            .iter()
            .find_map(|k| p.get(*k).and_then(Value::as_u64))
            .and_then(|n| u32::try_from(n).ok())
    }

    /// Whether population `name` sends and whether it receives a projection, from the
    /// `projections` array (`[{"from": .., "to": ..}, ..]`); `None` without projections.
    pub fn projection_roles(&self, name: &str) -> Option<(bool, bool)> {
        let projections = self.value.get("projections")?.as_array()?;
        if projections.is_empty() {
            return None;
        }
        let has = |key: &str| {
            projections
                .iter()
                .any(|p| p.get(key).and_then(Value::as_str) == Some(name))
        };
        Some((has("from"), has("to")))
    }

    /// The postsynaptic population of the projection with the most synapses (`synapses`).
    pub fn main_target(&self) -> Option<&str> {
        self.value
            .get("projections")?
            .as_array()?
            .iter()
            .max_by_key(|p| p.get("synapses").and_then(Value::as_u64).unwrap_or(0))?
            .get("to")?
            .as_str()
    }

    /// The first number found under any of `keys`, at the top level or inside a top-level
    /// object (e.g. `{"figure_params": {"w_max": 0.01}}`).
    pub fn find_number(&self, keys: &[&str]) -> Option<f64> {
        let top = self.value.as_object()?;
        for k in keys {
            if let Some(v) = top.get(*k).and_then(Value::as_f64) {
                return Some(v);
            }
        }
        top.values()
            .filter_map(Value::as_object)
            .find_map(|o| keys.iter().find_map(|k| o.get(*k).and_then(Value::as_f64)))
    }
}
