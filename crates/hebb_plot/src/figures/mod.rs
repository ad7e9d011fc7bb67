//! The reference figures, laid out like the upstream packages' own figures. A figure name
//! selects the layout; columns are found by variable name in whichever recording holds them.

mod florian;
mod song2000;
mod stp;

use std::path::{Path, PathBuf};

use crate::error::PlotError;
use crate::render::{Format, render};
use crate::run_dir::RunDir;

/// The figure names understood by [`crate::plot_dir`].
pub const FIGURES: [&str; 4] = ["stp_ngclearn", "stp_norse", "florian", "song2000"];

/// Check that `name` is a known figure.
pub fn check_figure(name: &str) -> Result<(), PlotError> {
    if FIGURES.contains(&name) {
        Ok(())
    } else {
        Err(PlotError::UnknownFigure {
            name: name.to_owned(),
        })
    }
}

/// What reference figure `name` cannot be drawn without, so a scene can be checked before
/// it runs: the number of spike recordings, and the recorded variables, each given as its
/// accepted names (any one will do; matched ignoring case; a `Weights` recorder provides `w`).
/// Optional panels are not listed. `None` for an unknown figure.
pub fn requirements(name: &str) -> Option<FigureNeeds> {
    const FLORIAN: &[&[&str]] = &[
        &florian::TRACE_PRE_NAMES,
        &florian::TRACE_POST_NAMES,
        &florian::REWARD_NAMES,
        &["w"],
    ];
    let (spike_recordings, variables): (usize, &'static [&'static [&'static str]]) = match name {
        "stp_ngclearn" => (0, &[&["u"], &["x"], &stp::EFFICACY_NAMES]),
        "stp_norse" => (0, &[&["x"], &["u"], &stp::CURRENT_NAMES]),
        "florian" => (2, FLORIAN),
        "song2000" => (0, &[&["w"]]),
        _ => return None,
    };
    Some(FigureNeeds {
        spike_recordings,
        variables,
    })
}

/// The recordings a reference figure needs (see [`requirements`]).
#[derive(Debug, Clone, Copy)]
pub struct FigureNeeds {
    /// At least this many spike recordings.
    pub spike_recordings: usize,
    /// Each entry: one of these variable names must be recorded.
    pub variables: &'static [&'static [&'static str]],
}

impl FigureNeeds {
    /// What is missing given the recorded variable names and the number of spike recordings,
    /// in words; empty when the figure can be drawn.
    pub fn missing<'a>(
        &self,
        recorded: impl Iterator<Item = &'a str> + Clone,
        spike_recordings: usize,
    ) -> Vec<String> {
        let mut missing = Vec::new();
        if spike_recordings < self.spike_recordings {
            missing.push(format!(
                "{} spike recordings (found {spike_recordings})",
                self.spike_recordings
            ));
        }
        for names in self.variables {
            let found = recorded
                .clone()
                .any(|r| names.iter().any(|n| n.eq_ignore_ascii_case(r)));
            if !found {
                missing.push(format!("a recording of `{}`", names.join("` or `")));
            }
        }
        missing
    }
}

/// Draw reference figure `name` of `run` into `out_dir/<name>.<ext>`.
pub fn plot_figure(
    run: &RunDir,
    name: &str,
    out_dir: &Path,
    formats: &[Format],
) -> Result<Vec<PathBuf>, PlotError> {
    let fig = match name {
        "stp_ngclearn" => stp::ngclearn(run)?,
        "stp_norse" => stp::norse(run)?,
        "florian" => florian::figure(run)?,
        "song2000" => song2000::figure(run)?,
        _ => {
            return Err(PlotError::UnknownFigure {
                name: name.to_owned(),
            });
        }
    };
    render(&fig, out_dir, name, formats)
}

/// A column of a recording.
type Pick<'a> = (&'a crate::data::CsvFile, usize);

/// Read the `(t, value)` series of `picks`, scanning each file once.
fn read_picks(picks: &[Pick<'_>]) -> Result<Vec<Vec<(f64, f64)>>, PlotError> {
    let mut out = vec![Vec::new(); picks.len()];
    let mut done = vec![false; picks.len()];
    for i in 0..picks.len() {
        if done[i] {
            continue;
        }
        let file = picks[i].0;
        let same: Vec<usize> = (i..picks.len())
            .filter(|&j| !done[j] && picks[j].0.path == file.path)
            .collect();
        let cols: Vec<usize> = same.iter().map(|&j| picks[j].1).collect();
        let series = file.read_series(&cols, crate::data::MAX_LINE_POINTS)?;
        for (&j, s) in same.iter().zip(series) {
            out[j] = s;
            done[j] = true;
        }
    }
    Ok(out)
}

/// Variable `names` in the file of `near` if it has it, else anywhere.
fn find_near<'a>(
    run: &'a RunDir,
    figure: &str,
    names: &[&str],
    near: &crate::data::CsvFile,
) -> Result<Pick<'a>, PlotError> {
    run.find_variable(figure, names, |f| f.path == near.path)
        .or_else(|_| run.find_variable(figure, names, |_| true))
}

/// Spike files ordered presynaptic first, postsynaptic last: by the projections listed in
/// `summary.json` (a population that only sends comes first, one that only receives last), else
/// by name (`input`, `pre`, `poisson`, ... before `post`, `out`, `lif`, ...).
fn spike_files_pre_to_post(run: &RunDir) -> Vec<&crate::data::CsvFile> {
    const PRE: [&str; 10] = [
        "in", "input", "inputs", "pre", "presyn", "poisson", "source", "src", "stim", "z0",
    ];
    const POST: [&str; 9] = [
        "out", "output", "post", "postsyn", "lif", "neuron", "target", "dst", "z1",
    ];
    let score = |f: &crate::data::CsvFile| {
        let name = f.spikes_population().unwrap_or_default();
        if let Some(summary) = &run.summary
            && let Some((sends, receives)) = summary.projection_roles(name)
            && sends != receives
        {
            return if sends { 0 } else { 2 };
        }
        let pop = name.to_ascii_lowercase();
        let tokens: Vec<&str> = pop.split(['_', '-', '.']).collect();
        if tokens.iter().any(|t| PRE.contains(t)) {
            0
        } else if tokens.iter().any(|t| POST.contains(t)) {
            2
        } else {
            1
        }
    };
    let mut files: Vec<_> = run.spike_files().collect();
    files.sort_by_key(|f| score(f));
    files
}
