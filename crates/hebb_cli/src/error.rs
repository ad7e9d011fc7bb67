//! Errors of the `hebb` command.

use std::path::PathBuf;

use hebb_scene::SceneError;
use thiserror::Error;

/// Why a command failed.
#[derive(Debug, Error)]
pub enum CliError {
    /// The scene cannot be read, validated or built.
    #[error("{0}")]
    Scene(#[from] SceneError),
    /// An output file or directory cannot be written.
    #[error("{}: {source}", path.display())]
    Output {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Plotting a run directory failed.
    #[error("{0}")]
    Plot(#[from] hebb_plot::PlotError),
    /// The output directory is not usable as asked.
    #[error("{0}")]
    Refused(String),
}

impl CliError {
    /// An I/O error on `path`.
    pub fn output(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Output {
            path: path.into(),
            source,
        }
    }
}
