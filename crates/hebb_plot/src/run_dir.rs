//! A `hebb run` output directory: `summary.json` and the headers of every CSV recording, with
//! look-ups by variable name that the figures share.

use std::path::{Path, PathBuf};

use crate::data::{CsvFile, MAX_RASTER_POINTS, SpikeData, read_spikes};
use crate::error::PlotError;
use crate::render::{Content, Panel, colors};
use crate::summary::Summary;

/// The contents of a run directory (headers only; rows are streamed by each plot).
#[derive(Debug, Clone)]
pub struct RunDir {
    /// The directory.
    pub dir: PathBuf,
    /// `summary.json`, if present.
    pub summary: Option<Summary>,
    /// Every `*.csv` file, sorted by name.
    pub files: Vec<CsvFile>,
}

impl RunDir {
    /// Read `summary.json` and the CSV headers of `dir`.
    pub fn open(dir: &Path) -> Result<Self, PlotError> {
        let io = |source| PlotError::Io {
            path: dir.to_owned(),
            source,
        };
        let mut paths = std::fs::read_dir(dir)
            .map_err(io)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?;
        let npy = paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "npy"))
            .count();
        paths.retain(|p| p.is_file() && p.extension().is_some_and(|e| e == "csv"));
        if paths.is_empty() && npy > 0 {
            return Err(PlotError::NpyOnly {
                dir: dir.to_owned(),
            });
        }
        paths.sort();
        let files = paths
            .iter()
            .map(|p| CsvFile::open(p))
            .collect::<Result<Vec<_>, _>>()?;
        let summary = Summary::load(dir)?;
        if summary.is_none() && files.is_empty() {
            return Err(PlotError::NotRunOutput {
                dir: dir.to_owned(),
            });
        }
        Ok(Self {
            dir: dir.to_owned(),
            summary,
            files,
        })
    }

    /// The spike recordings (`spikes_<population>.csv`).
    pub fn spike_files(&self) -> impl Iterator<Item = &CsvFile> {
        self.files
            .iter()
            .filter(|f| f.spikes_population().is_some())
    }

    /// The state and weight recordings (not the weight tables).
    pub fn recordings(&self) -> impl Iterator<Item = &CsvFile> {
        self.files
            .iter()
            .filter(|f| f.spikes_population().is_none() && !f.is_weight_table())
    }

    /// The weights at the end of the run of the synapses of weight recording `file`, in its
    /// column order (`w_cols`), with their time: from the last table of a weight table
    /// (`final_weights_<projection>.csv` or a `WeightTable` recorder) that holds every one of
    /// them. `None` when no table does (then the recording's last row is the latest there is).
    pub fn final_weights(
        &self,
        file: &CsvFile,
        w_cols: &[usize],
    ) -> Result<Option<(f64, Vec<f64>)>, PlotError> {
        let pairs: Option<Vec<(u32, u32)>> = w_cols
            .iter()
            .map(|&c| {
                let (pre, post) = crate::data::index_part(&file.columns[c]).split_once(',')?;
                Some((pre.trim().parse().ok()?, post.trim().parse().ok()?))
            })
            .collect();
        let Some(pairs) = pairs else {
            return Ok(None);
        };
        for table in self.files.iter().filter(|f| f.is_weight_table()) {
            let Some((t, weights)) = table.last_table()? else {
                continue;
            };
            let values: Option<Vec<f64>> = pairs.iter().map(|p| weights.get(p).copied()).collect();
            if let Some(values) = values {
                return Ok(Some((t, values)));
            }
        }
        Ok(None)
    }

    /// Run length (ms) from the summary.
    pub fn duration_ms(&self) -> Option<f64> {
        self.summary.as_ref().and_then(Summary::duration_ms)
    }

    /// The time range of the run, `[0, duration]`, when the summary gives it.
    pub fn time_range(&self) -> Option<(f64, f64)> {
        self.duration_ms().filter(|d| *d > 0.0).map(|d| (0.0, d))
    }

    /// A short name for titles: the scene's file stem, or the directory name.
    pub fn name(&self) -> String {
        let from_scene = self
            .summary
            .as_ref()
            .and_then(Summary::scene)
            .and_then(|s| Path::new(s).file_stem())
            .map(|s| s.to_string_lossy().into_owned());
        from_scene
            .or_else(|| {
                self.dir
                    .canonicalize()
                    .ok()?
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "run".into())
    }

    /// Number of neurons of `population`, from the summary.
    pub fn population_size(&self, population: &str) -> Option<u32> {
        self.summary.as_ref()?.population_size(population)
    }

    /// Read a spike file with rate bins of `bin_ms`.
    pub fn spikes(&self, file: &CsvFile, bin_ms: f64) -> Result<SpikeData, PlotError> {
        let size = file
            .spikes_population()
            .and_then(|p| self.population_size(p));
        read_spikes(file, size, bin_ms, MAX_RASTER_POINTS)
    }

    /// Neurons of the population of spike file `file` (summary, else highest index + 1).
    pub fn spike_population_size(&self, file: &CsvFile, data: &SpikeData) -> u32 {
        file.spikes_population()
            .and_then(|p| self.population_size(p))
            .or(data.max_neuron.map(|m| m + 1))
            .unwrap_or(1)
    }

    /// The first recording column holding variable `names[k]` (tried in order, exact names
    /// first, then ignoring case) in a file accepted by `accept`. The error names the figure,
    /// the variable and the files searched with their columns.
    pub fn find_variable(
        &self,
        figure: &str,
        names: &[&str],
        accept: impl Fn(&CsvFile) -> bool,
    ) -> Result<(&CsvFile, usize), PlotError> {
        let candidates = self.recordings().filter(|f| accept(f)).collect::<Vec<_>>();
        for exact in [true, false] {
            for name in names {
                for f in &candidates {
                    let col = f.columns.iter().position(|c| {
                        let b = crate::data::base_name(c);
                        c != crate::data::TIME_COLUMN
                            && if exact {
                                b == *name
                            } else {
                                b.eq_ignore_ascii_case(name)
                            }
                    });
                    if let Some(col) = col {
                        return Ok((f, col));
                    }
                }
            }
        }
        Err(self.missing(figure, names, &candidates))
    }

    /// The error for variable `names` missing from `searched`.
    pub fn missing(&self, figure: &str, names: &[&str], searched: &[&CsvFile]) -> PlotError {
        let files = if searched.is_empty() {
            "no matching CSV recording in the directory".to_owned()
        } else {
            searched
                .iter()
                .map(|f| {
                    format!(
                        "{} ({})",
                        f.path
                            .file_name()
                            .map(|s| s.to_string_lossy())
                            .unwrap_or_default(),
                        f.columns.join(", ")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        PlotError::MissingData {
            dir: self.dir.clone(),
            figure: figure.to_owned(),
            what: format!(
                "a column `{}[...]` (looked in: {files})",
                names.join("[...]` or `")
            ),
        }
    }

    /// A panel showing the spikes of `file`: vertical ticks for a one-neuron population, a
    /// raster otherwise.
    pub fn spike_panel(
        &self,
        file: &CsvFile,
        color: plotters::style::RGBColor,
        y_label: &str,
    ) -> Result<(Panel, SpikeData), PlotError> {
        let data = self.spikes(file, 1.0)?;
        let n = self.spike_population_size(file, &data);
        let panel = if n <= 1 {
            Panel::new(
                y_label,
                Content::Events {
                    times: data.times.clone(),
                    color,
                },
            )
            .y_range_at_least(0.0, 1.0)
            .y_ticks(2)
            .height(110)
        } else {
            Panel::new(
                y_label,
                Content::Raster {
                    times: data.times.clone(),
                    neurons: data.neurons.clone(),
                },
            )
            .y_range_at_least(-0.5, f64::from(n) - 0.5)
            .height(170)
        };
        Ok((panel, data))
    }
}

/// A round bin width close to `span / n` (1, 2 or 5 times a power of ten), at least `min`.
pub fn nice_bin(span: f64, n: f64, min: f64) -> f64 {
    let raw = (span / n).max(min).max(1e-9);
    let p = 10f64.powf(raw.log10().floor());
    let bin = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|b| *b >= raw * 0.999)
        .unwrap_or(10.0 * p);
    bin.max(min)
}

/// The default line colour of the `i`-th line.
pub fn cycle(i: usize) -> plotters::style::RGBColor {
    colors::CYCLE[i % colors::CYCLE.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_round() {
        assert_eq!(nice_bin(1000.0, 100.0, 0.1), 10.0);
        assert_eq!(nice_bin(3000.0, 100.0, 0.1), 50.0);
        assert_eq!(nice_bin(100_000.0, 100.0, 0.1), 1000.0);
        assert_eq!(nice_bin(5.0, 100.0, 0.1), 0.1);
    }
}
