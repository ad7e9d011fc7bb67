//! The model registry seen from Python: the table `hebb.models` is generated from, and the
//! check-and-render step that turns `hebb.models.Stdp(lr_post=0.01)` into scene text.

use hebb_scene::ModelSpec;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::value_error;
use crate::registry;

/// Every registered model as a list of dicts: `name`, `kind`, `summary`, `params` (a list of
/// `(name, unit, doc)`) and `defaults` (the default params as JSON text, every field included).
#[pyfunction]
pub(crate) fn model_table(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for entry in registry().entries() {
        let d = PyDict::new(py);
        d.set_item("name", entry.name)?;
        d.set_item("kind", entry.kind.label())?;
        d.set_item("summary", entry.summary)?;
        let params: Vec<(&str, &str, &str)> = entry
            .params
            .iter()
            .map(|p| (p.name, p.unit, p.doc))
            .collect();
        d.set_item("params", params)?;
        let defaults = serde_json::to_string(&*(entry.defaults)())
            .map_err(|e| value_error(format!("{}: defaults: {e}", entry.name)))?;
        d.set_item("defaults", defaults)?;
        list.append(d)?;
    }
    Ok(list)
}

/// Check the params of model `name` given as JSON text (an object; omitted fields take their
/// defaults) and return the model as scene text, `Name(field: value, …)`.
///
/// Raises `ValueError` naming the field for unknown fields, wrong types and invalid values.
#[pyfunction]
pub(crate) fn model_ron(name: &str, params_json: &str) -> PyResult<String> {
    let entry = registry().get(name).ok_or_else(|| {
        let known: Vec<&str> = registry().entries().map(|e| e.name).collect();
        value_error(format!(
            "unknown model `{name}`; registered models: {}",
            known.join(", ")
        ))
    })?;
    let mut json = serde_json::Deserializer::from_str(params_json);
    let mut erased = <dyn erased_serde::Deserializer>::erase(&mut json);
    let params =
        (entry.deserialize)(&mut erased).map_err(|e| value_error(format!("{name}: {e}")))?;
    params
        .validate()
        .map_err(|e| value_error(format!("{name}: {e}")))?;
    ModelSpec { params, span: None }
        .to_ron()
        .map_err(|e| value_error(format!("{name}: {e}")))
}
