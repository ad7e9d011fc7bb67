//! Python exceptions: `hebb.HebbError` and its subclasses `SceneError` (a scene that cannot be
//! read or is invalid) and `BuildError` (a valid scene whose network cannot be built), carrying
//! hebb's message and, when known, `path`, `line`, `column` and `element` attributes.

use hebb_scene::SceneError as RustSceneError;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

create_exception!(hebb, HebbError, PyException, "Base class of hebb's errors.");
create_exception!(
    hebb,
    SceneError,
    HebbError,
    "A scene that cannot be read or is invalid; the message names file:line:column, the scene element and the value. Attributes: path, line, column, element, message."
);
create_exception!(
    hebb,
    BuildError,
    HebbError,
    "A valid scene whose network cannot be built (e.g. a recorder naming an unknown variable). Attributes: path, line, column, element, message."
);

/// A Python exception of type `E` from a scene error, with its parts as attributes.
fn with_parts<E: pyo3::PyTypeInfo>(py: Python<'_>, e: &RustSceneError) -> PyErr {
    let err = PyErr::new::<E, _>(e.to_string());
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail in practice; if it did, the
    // message still says everything.
    let _ = value.setattr("path", e.path.as_str());
    let _ = value.setattr("line", e.position.map(|p| p.line));
    let _ = value.setattr("column", e.position.map(|p| p.column));
    let _ = value.setattr("element", e.element.as_deref());
    let _ = value.setattr("message", e.message.as_str());
    err
}

/// `hebb.SceneError` for an error reading or validating a scene.
pub(crate) fn scene_error(py: Python<'_>, e: &RustSceneError) -> PyErr {
    with_parts::<SceneError>(py, e)
}

/// `hebb.BuildError` for an error building a validated scene.
pub(crate) fn build_error(py: Python<'_>, e: &RustSceneError) -> PyErr {
    with_parts::<BuildError>(py, e)
}

/// `ValueError` with `message`.
pub(crate) fn value_error(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}
