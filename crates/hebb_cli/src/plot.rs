//! `hebb plot`: draw the plots of a run directory with `hebb_plot`.

use std::path::{Path, PathBuf};

use crate::error::CliError;
use crate::{ImageFormat, PlotArgs};

/// `hebb plot DIR [--figure NAME] [--format png,svg]`.
pub fn plot(args: &PlotArgs) -> Result<Vec<PathBuf>, CliError> {
    let files = plot_into(&args.dir, args.figure.as_deref(), &args.format)?;
    for f in &files {
        println!("{}", f.display());
    }
    Ok(files)
}

/// Plot run directory `dir` into `dir/plots/`; `figure` overrides the one in `summary.json`.
pub fn plot_into(
    dir: &Path,
    figure: Option<&str>,
    formats: &[ImageFormat],
) -> Result<Vec<PathBuf>, CliError> {
    let formats: Vec<hebb_plot::Format> = formats
        .iter()
        .map(|f| match f {
            ImageFormat::Png => hebb_plot::Format::Png,
            ImageFormat::Svg => hebb_plot::Format::Svg,
        })
        .collect();
    tracing::info!(dir = %dir.display(), ?figure, "plotting");
    Ok(hebb_plot::plot_dir(dir, figure, &formats)?)
}
