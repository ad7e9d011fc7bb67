//! Helpers shared by the integration tests that compare hebb with recorded upstream runs.

use std::path::PathBuf;

use hebb::prelude::*;
use serde_json::Value;

/// The JSON fixture at `tests/fixtures/<relative>`.
pub fn fixture(relative: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The array `arrays.<name>` of a fixture.
pub fn series(fix: &Value, name: &str) -> Vec<f64> {
    fix["arrays"][name]
        .as_array()
        .unwrap_or_else(|| panic!("fixture has no {name}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// The list of step indices `<name>` of a fixture.
pub fn steps(fix: &Value, name: &str) -> Vec<u64> {
    fix[name]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

/// Column `column` of state recorder `recorder`, as f64.
pub fn column(sim: &Simulation, recorder: &str, column: &str) -> Vec<f64> {
    sim.recorders()
        .state(recorder)
        .unwrap_or_else(|| panic!("no recorder {recorder}"))
        .column(column)
        .unwrap_or_else(|| panic!("{recorder} has no column {column}"))
        .into_iter()
        .map(f64::from)
        .collect()
}
