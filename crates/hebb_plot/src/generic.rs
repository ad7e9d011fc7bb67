//! Plots drawn for every run directory:
//!
//! - `raster_<population>`: spike raster and population rate, from `spikes_<population>.csv`;
//! - `state_<recorder>`: one panel per recorded variable, a few indices each;
//! - `weights_<recorder>`: a few synapses over time, the mean weight over time and the
//!   histogram of the final weights, from the `w[<pre>,<post>]` columns.

use std::path::{Path, PathBuf};

use crate::data::{CsvFile, Decimator, MAX_LINE_POINTS, count_lines, index_part};
use crate::error::PlotError;
use crate::render::{Bin, Content, Figure, Format, Line, Panel, colors, render};
use crate::run_dir::{RunDir, cycle, nice_bin};

/// Lines per panel in the generic state and weight plots.
pub const MAX_TRACES: usize = 5;
/// Synapses drawn over time in a weight plot.
pub const MAX_WEIGHT_TRACES: usize = 8;
/// Variables (panels) per state plot.
pub const MAX_VARIABLES: usize = 8;
/// Bars of a weight histogram.
pub const HISTOGRAM_BINS: usize = 20;

/// Draw all generic plots of `run` into `out_dir`.
pub fn plot_generic(
    run: &RunDir,
    out_dir: &Path,
    formats: &[Format],
) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = Vec::new();
    for file in run.spike_files() {
        let fig = raster_figure(run, file)?;
        let name = format!("raster_{}", file.spikes_population().unwrap_or(&file.stem));
        written.extend(render(&fig, out_dir, &name, formats)?);
    }
    for file in run.recordings() {
        let (fig, name) = if file.is_weights() {
            (weights_figure(run, file)?, format!("weights_{}", file.stem))
        } else {
            (state_figure(run, file)?, format!("state_{}", file.stem))
        };
        written.extend(render(&fig, out_dir, &name, formats)?);
    }
    Ok(written)
}

/// Spike raster and population rate of one spike file.
pub fn raster_figure(run: &RunDir, file: &CsvFile) -> Result<Figure, PlotError> {
    let population = file.spikes_population().unwrap_or(&file.stem).to_owned();
    let span = match run.duration_ms() {
        Some(d) if d > 0.0 => d,
        _ => last_time(file)?.unwrap_or(1.0),
    };
    let dt = run
        .summary
        .as_ref()
        .and_then(|s| s.number("dt_ms"))
        .unwrap_or(0.1);
    let bin = nice_bin(span, 100.0, dt);
    let data = run.spikes(file, bin)?;
    let n = run.spike_population_size(file, &data);
    let mean_rate = data.total as f64 / f64::from(n) / (span / 1000.0);
    let raster_label = if data.neuron_stride > 1 {
        format!("neuron (every {}th)", data.neuron_stride)
    } else {
        "neuron".to_owned()
    };
    let mut raster = Panel::new(
        raster_label,
        Content::Raster {
            times: data.times.clone(),
            neurons: data.neurons.clone(),
        },
    )
    .y_range_at_least(-0.5, f64::from(n) - 0.5)
    .height(320);
    if data.spike_stride > 1 {
        raster = raster.title(format!(
            "every {}th spike of the shown neurons",
            data.spike_stride
        ));
    }
    let rate = Panel::lines(
        format!("rate (Hz), {} bins", duration_label(bin)),
        vec![Line {
            label: None,
            color: colors::BLUE,
            points: data.rate(n, Some(span)),
        }],
    )
    .y_range_at_least(0.0, 0.0)
    .height(200);
    let mut fig = Figure::new(
        format!(
            "{}: spikes of `{population}` ({} neurons, {} spikes, {:.3} Hz mean)",
            run.name(),
            n,
            data.total,
            mean_rate
        ),
        vec![raster, rate],
    );
    for p in &mut fig.panels {
        p.x_range = Some((0.0, span));
    }
    Ok(fig)
}

/// One panel per variable of a state recording, up to [`MAX_TRACES`] indices each.
pub fn state_figure(run: &RunDir, file: &CsvFile) -> Result<Figure, PlotError> {
    let variables = file.variables();
    let mut chosen: Vec<(String, Vec<usize>)> = Vec::new();
    for var in variables.iter().take(MAX_VARIABLES) {
        let cols = spread(&file.variable_columns(var), MAX_TRACES);
        chosen.push((var.clone(), cols));
    }
    let all: Vec<usize> = chosen.iter().flat_map(|(_, c)| c.iter().copied()).collect();
    let series = file.read_series(&all, MAX_LINE_POINTS)?;
    let mut series = series.into_iter();
    let mut panels = Vec::new();
    for (var, cols) in &chosen {
        let lines = cols
            .iter()
            .enumerate()
            .map(|(i, &c)| Line {
                label: Some(file.columns[c].clone()),
                color: cycle(i),
                points: series.next().unwrap_or_default(),
            })
            .collect();
        panels.push(Panel::lines(var.clone(), lines));
    }
    if panels.is_empty() {
        panels.push(Panel::lines("value", Vec::new()));
    }
    let mut title = format!("{}: recorder `{}`", run.name(), file.stem);
    if variables.len() > MAX_VARIABLES {
        title.push_str(&format!(
            " (first {MAX_VARIABLES} of {} variables)",
            variables.len()
        ));
    }
    if panels.len() <= 2 {
        for p in &mut panels {
            p.height = p.height.max(280);
        }
    }
    let mut fig = Figure::new(title, panels);
    fig.share_x();
    if let Some(r) = run.time_range() {
        fig.panels.iter_mut().for_each(|p| p.x_range = Some(r));
    }
    Ok(fig)
}

/// A few synapses over time, the mean over all recorded synapses, and the final histogram.
pub fn weights_figure(run: &RunDir, file: &CsvFile) -> Result<Figure, PlotError> {
    let w_cols = file.variable_columns("w");
    let shown = spread(&w_cols, MAX_WEIGHT_TRACES);
    let shown_pos: Vec<usize> = shown
        .iter()
        .filter_map(|c| w_cols.iter().position(|w| w == c))
        .collect();
    let rows = count_lines(&file.path)?;
    let mut traces: Vec<Decimator> = shown
        .iter()
        .map(|_| Decimator::new(rows, MAX_LINE_POINTS))
        .collect();
    let mut mean = Decimator::new(rows, MAX_LINE_POINTS);
    let mut last: Vec<f64> = Vec::new();
    file.scan(&w_cols, |t, values| {
        for (d, &p) in traces.iter_mut().zip(&shown_pos) {
            d.push(t, values[p]);
        }
        let finite = values.iter().filter(|v| v.is_finite());
        let (sum, n) = finite.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        if n > 0 {
            mean.push(t, sum / n as f64);
        }
        last.clear();
        last.extend_from_slice(values);
    })?;
    let lines = shown
        .iter()
        .zip(traces)
        .enumerate()
        .map(|(i, (&c, d))| Line {
            label: Some(format!("w[{}]", index_part(&file.columns[c]))),
            color: cycle(i),
            points: d.finish(),
        })
        .collect();
    let evolution = Panel::lines("w", lines).title(match w_cols.len() {
        1 => "the recorded synapse".to_owned(),
        n if n > shown.len() => format!("{} of {n} recorded synapses", shown.len()),
        n => format!("{n} recorded synapses"),
    });
    let mean = Panel::lines(
        "mean w",
        vec![Line {
            label: None,
            color: colors::INK,
            points: mean.finish(),
        }],
    )
    .title(format!("mean over {} synapses", w_cols.len()));
    // The end of the run, when a weight table has it (the last row may be earlier).
    let mut at = String::new();
    if let Some((t, end)) = run.final_weights(file, &w_cols)? {
        last = end;
        at = format!(" at t = {t} ms");
    }
    let bins = histogram(&last, HISTOGRAM_BINS, None);
    let hist = Panel::new(
        "synapses",
        Content::Histogram {
            bins,
            color: colors::BLUE,
        },
    )
    .x_label("final weight w")
    .title(format!("final weight distribution{at}"))
    .height(230);
    // With one synapse the mean repeats the trace above it.
    let panels = if w_cols.len() > 1 {
        vec![evolution, mean, hist]
    } else {
        vec![evolution, hist]
    };
    let mut fig = Figure::new(format!("{}: weights `{}`", run.name(), file.stem), panels);
    fig.share_x();
    if let Some(r) = run.time_range() {
        for p in &mut fig.panels {
            if !matches!(p.content, Content::Histogram { .. }) {
                p.x_range = Some(r);
            }
        }
    }
    Ok(fig)
}

/// A bin width for labels: `20 ms`, `2 s`.
pub fn duration_label(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{} s", ms / 1000.0)
    } else {
        format!("{ms} ms")
    }
}

/// Up to `n` elements of `items`, evenly spread (first and last included).
pub fn spread(items: &[usize], n: usize) -> Vec<usize> {
    if items.len() <= n {
        return items.to_vec();
    }
    if n <= 1 {
        return items.iter().take(n).copied().collect();
    }
    let mut out: Vec<usize> = (0..n)
        .map(|k| items[k * (items.len() - 1) / (n - 1)])
        .collect();
    out.dedup();
    out
}

/// A histogram of the finite `values` in `bins` equal bins over `range` (default: the data's
/// min..max).
pub fn histogram(values: &[f64], bins: usize, range: Option<(f64, f64)>) -> Vec<Bin> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() || bins == 0 {
        return Vec::new();
    }
    let (mut lo, mut hi) = range.unwrap_or_else(|| {
        finite
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            })
    });
    if hi <= lo {
        let m = if lo == 0.0 { 0.5 } else { 0.05 * lo.abs() };
        lo -= m;
        hi += m;
    }
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0u64; bins];
    for v in finite {
        if v < lo || v > hi {
            continue;
        }
        let k = (((v - lo) / width) as usize).min(bins - 1);
        counts[k] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(k, &c)| Bin {
            lo: lo + k as f64 * width,
            hi: lo + (k + 1) as f64 * width,
            count: c as f64,
        })
        .collect()
}

/// The time of the last row of a file (`None` when it has no rows).
fn last_time(file: &CsvFile) -> Result<Option<f64>, PlotError> {
    Ok(file.last_row(&[])?.map(|(t, _)| t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_keeps_ends() {
        assert_eq!(spread(&[1, 2, 3], 5), vec![1, 2, 3]);
        assert_eq!(spread(&(0..100).collect::<Vec<_>>(), 3), vec![0, 49, 99]);
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let values = [0.0, 0.1, 0.5, 0.99, 1.0, f64::NAN];
        let bins = histogram(&values, 10, Some((0.0, 1.0)));
        assert_eq!(bins.len(), 10);
        assert_eq!(bins.iter().map(|b| b.count).sum::<f64>(), 5.0);
        assert_eq!(bins[0].count, 1.0);
        assert_eq!(bins[9].count, 2.0);
        assert_eq!(bins[5].count, 1.0);
    }
}
