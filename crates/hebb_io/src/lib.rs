//! # hebb_io — streaming writers for recordings
//!
//! [`RecordingSink`](hebb_core::record::RecordingSink)s that write recorders to disk while a run
//! goes, so a recording of any length runs in a small, flat amount of memory:
//!
//! - [`CsvSink`]: `spikes_<population>.csv` (`t_ms,neuron`), `<recorder>.csv` (`t_ms`, then
//!   one column per recorded value, named `<var>[<i>]` or `w[<pre>,<post>]`), and weight
//!   tables `<recorder>.csv` (`t_ms,pre,post,w`, one row per synapse and time).
//! - [`NpySink`]: the same content as NumPy `.npy` files that a plain `numpy.load` reads:
//!   structured arrays with `t_ms` and one field per variable (`np.load("v.npy")["v"]` is
//!   rows × recorded neurons), the column names in `<recorder>.columns.json` (see [`npy`]).
//!
//! Files are created when the sink is created (an empty recording still gives a file with a
//! header) and are readable after every [`flush`](hebb_core::record::RecordingSink::flush), so
//! an interrupted run leaves valid files.

pub mod csv;
pub mod npy;
pub mod rowfile;

pub use crate::csv::CsvSink;
pub use crate::npy::NpySink;

use std::path::{Path, PathBuf};

use hebb_core::record::Recorders;

/// Output file format of recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Comma-separated text.
    #[default]
    Csv,
    /// NumPy `.npy` (structured arrays).
    Npy,
}

impl OutputFormat {
    /// File extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Npy => "npy",
        }
    }
}

/// The file that holds spike recorder `population`'s spikes.
pub fn spikes_path(dir: &Path, population: &str, format: OutputFormat) -> PathBuf {
    dir.join(format!("spikes_{population}.{}", format.extension()))
}

/// The file that holds state or weight recorder `name`.
pub fn recorder_path(dir: &Path, name: &str, format: OutputFormat) -> PathBuf {
    dir.join(format!("{name}.{}", format.extension()))
}

/// Every file the recorders will write into `dir`, in recorder order (with NPY, each state
/// recorder's `.columns.json` sidecar follows its file).
pub fn planned_files(recorders: &Recorders, dir: &Path, format: OutputFormat) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = recorders
        .spikes
        .iter()
        .map(|s| spikes_path(dir, &s.name, format))
        .collect();
    for s in &recorders.states {
        files.push(recorder_path(dir, &s.name, format));
        if format == OutputFormat::Npy {
            files.push(npy::columns_path(dir, &s.name));
        }
    }
    for t in &recorders.tables {
        files.push(recorder_path(dir, &t.name, format));
    }
    files
}

/// A time stamp `step · dt` printed without binary noise (`0.3`, not `0.30000000000000004`):
/// rounded to 1e-9 ms, which is far below any usable dt.
pub fn time_ms(step: u64, dt_ms: f64) -> f64 {
    ((step as f64 * dt_ms) * 1e9).round() / 1e9
}

/// Round a recorded time to 1e-9 ms (see [`time_ms`]).
pub fn clean_time(t_ms: f64) -> f64 {
    (t_ms * 1e9).round() / 1e9
}
