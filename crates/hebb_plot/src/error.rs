//! Errors of `hebb_plot`. Every message names the file (or directory) and, where one is at
//! fault, the column.

use std::path::PathBuf;

/// Why a directory could not be plotted.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}", path = .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file is malformed (bad quoting, a row with the wrong number of fields, ...).
    #[error("{path}: malformed CSV: {message}", path = .path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A column that a plot needs is not in the file.
    #[error("{path}: no column `{column}` (the file has: {available})", path = .path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column that was looked for.
        column: String,
        /// The columns the file has, comma-separated.
        available: String,
    },
    /// A field is not a number.
    #[error("{path}, line {line}, column `{column}`: `{value}` is not a number", path = .path.display())]
    BadNumber {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        column: String,
        /// The text found.
        value: String,
    },
    /// A figure needs data that no file of the directory holds.
    #[error("{dir}: the `{figure}` figure needs {what}", dir = .dir.display())]
    MissingData {
        /// The run directory.
        dir: PathBuf,
        /// Figure name.
        figure: String,
        /// What is missing and where it was looked for.
        what: String,
    },
    /// `summary.json` is not valid JSON or a field has the wrong type.
    #[error("{path}: {message}", path = .path.display())]
    Summary {
        /// The summary file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The figure name is not one of [`crate::FIGURES`].
    #[error("unknown figure `{name}` (known figures: {known})", known = crate::FIGURES.join(", "))]
    UnknownFigure {
        /// The name given.
        name: String,
    },
    /// An unknown output format name.
    #[error("unknown plot format `{name}` (known: png, svg)")]
    UnknownFormat {
        /// The name given.
        name: String,
    },
    /// No output format was requested.
    #[error("no plot format requested (give png, svg or both)")]
    NoFormat,
    /// The directory holds neither `summary.json` nor any CSV recording.
    #[error("{dir}: no summary.json and no CSV recording: not a `hebb run` output directory", dir = .dir.display())]
    NotRunOutput {
        /// The directory.
        dir: PathBuf,
    },
    /// The recordings are NPY files; plots read the CSV ones.
    #[error("{dir}: the recordings are .npy files; hebb_plot reads CSV recordings (run with the CSV format)", dir = .dir.display())]
    NpyOnly {
        /// The directory.
        dir: PathBuf,
    },
    /// The plotting backend failed.
    #[error("drawing {path} failed: {message}", path = .path.display())]
    Draw {
        /// The image being drawn.
        path: PathBuf,
        /// The backend's message.
        message: String,
    },
}
