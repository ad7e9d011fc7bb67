//! `hebb_triplet`: hebb's Python extension with the triplet STDP rule (examples/triplet_stdp)
//! added to the built-in models. With `HEBB_EXTENSION=hebb_triplet`, `import hebb` uses it:
//! `hebb.models.TripletStdp` exists and scenes using `TripletStdp` load, run and snapshot.

use pyo3::prelude::*;

/// Your plugins first, then hebb's (the order `hebb_cli::main_with` uses).
fn plugins(sim: &mut hebb::core::simulation::Simulation) {
    sim.add_plugins((triplet_stdp::TripletStdpPlugin, hebb::DefaultPlugins));
}

#[pymodule]
fn hebb_triplet(m: &Bound<'_, PyModule>) -> PyResult<()> {
    hebb_python::init_module(m, plugins)
}
