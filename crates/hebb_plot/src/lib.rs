//! # hebb_plot — figures of `hebb run` output directories
//!
//! [`plot_dir`] reads a directory written by `hebb run SCENE --out DIR` (`summary.json`,
//! `spikes_<population>.csv`, `<recorder>.csv`) and writes PNG and/or SVG images into
//! `DIR/plots/`:
//!
//! - always, the generic plots ([`generic`]): `raster_<population>` (raster + population
//!   rate), `state_<recorder>` (one panel per variable, a few indices), `weights_<recorder>`
//!   (a few synapses over time, the mean weight, the final weight histogram);
//! - when a figure is selected (argument, or the `"figure"` field of `summary.json`), the
//!   reference figure `<figure>.png|svg`, laid out like the upstream package's own figure:
//!   `stp_ngclearn`, `stp_norse`, `florian`, `song2000` (see [`FIGURES`] and the `figures`
//!   module docs for the columns each needs).
//!
//! Columns are looked up by name; a missing column or file is an error naming the file and the
//! column. Recordings are streamed and long series decimated (min/max per bucket, at most
//! [`data::MAX_LINE_POINTS`] per line, about [`data::MAX_RASTER_POINTS`] raster dots), so a
//! long run does not load whole into memory. Text is drawn with an embedded DejaVu Sans: no
//! system font or fontconfig is needed.
//!
//! ```no_run
//! use hebb_plot::{Format, plot_dir};
//! let files = plot_dir("out".as_ref(), Some("florian"), &Format::ALL)?;
//! # Ok::<(), hebb_plot::PlotError>(())
//! ```

pub mod data;
pub mod error;
mod figures;
pub mod generic;
pub mod render;
pub mod run_dir;
pub mod summary;

use std::path::{Path, PathBuf};

pub use crate::error::PlotError;
pub use crate::figures::{FIGURES, FigureNeeds, requirements as figure_requirements};
pub use crate::render::Format;
pub use crate::run_dir::RunDir;

/// Name of the sub-directory of a run directory that receives the images.
pub const PLOTS_DIR: &str = "plots";

/// Plot run directory `dir` into `dir/plots/` (created if needed).
///
/// `figure` selects a reference figure (one of [`FIGURES`]); when `None`, the `"figure"` field
/// of `summary.json` (a string or `null`) is used; without either only the generic plots are
/// drawn. `formats` lists the image formats (at least one). Returns the files written, generic
/// plots first, the reference figure last.
pub fn plot_dir(
    dir: &Path,
    figure: Option<&str>,
    formats: &[Format],
) -> Result<Vec<PathBuf>, PlotError> {
    plot_dir_to(dir, &dir.join(PLOTS_DIR), figure, formats)
}

/// [`plot_dir`] writing the images into `out_dir` instead of `dir/plots/`.
pub fn plot_dir_to(
    dir: &Path,
    out_dir: &Path,
    figure: Option<&str>,
    formats: &[Format],
) -> Result<Vec<PathBuf>, PlotError> {
    if formats.is_empty() {
        return Err(PlotError::NoFormat);
    }
    let mut formats = formats.to_vec();
    formats.dedup();
    if let Some(name) = figure {
        figures::check_figure(name)?;
    }
    let run = RunDir::open(dir)?;
    let figure = match figure {
        Some(name) => Some(name.to_owned()),
        None => match &run.summary {
            Some(s) => s.figure()?.map(str::to_owned),
            None => None,
        },
    };
    if let Some(name) = &figure {
        figures::check_figure(name)?;
    }
    std::fs::create_dir_all(out_dir).map_err(|source| PlotError::Io {
        path: out_dir.to_owned(),
        source,
    })?;
    let mut written = generic::plot_generic(&run, out_dir, &formats)?;
    if let Some(name) = &figure {
        written.extend(figures::plot_figure(&run, name, out_dir, &formats)?);
    }
    Ok(written)
}
