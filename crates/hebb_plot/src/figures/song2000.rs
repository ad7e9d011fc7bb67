//! `song2000`: Song, Miller & Abbott (2000), laid out like Brian 2's `synapses/STDP` example
//! figure (final weight / w_max per synapse, its histogram, two synapses over time) with the
//! output rate over time added below.
//!
//! Needs a weight recording (columns `w[<pre>,<post>]`; the one with the most synapses is
//! used) and, for the rate panel, the spike recording of the output population (the target of
//! the largest projection in `summary.json`, else the recorded population with the fewest
//! neurons). `w_max` is read from `summary.json` (`w_max`, `gmax`,
//! `g_max` or `wmax`, at the top level or one object down), else from the `w_max:` of the scene
//! file that `summary.json` names (when it can be read and gives one value); without it weights
//! are divided by the largest final weight.

use crate::data::{Decimator, MAX_LINE_POINTS, count_lines};
use crate::error::PlotError;
use crate::generic::histogram;
use crate::render::{Content, Figure, Line, Panel, colors};
use crate::run_dir::{RunDir, nice_bin};

const FIG: &str = "song2000";

/// Keys of `summary.json` that may hold the weight bound.
pub const W_MAX_KEYS: [&str; 4] = ["w_max", "gmax", "g_max", "wmax"];

/// The figure.
pub fn figure(run: &RunDir) -> Result<Figure, PlotError> {
    let file = run
        .recordings()
        .filter(|f| f.is_weights())
        .max_by_key(|f| f.variable_columns("w").len())
        .ok_or_else(|| PlotError::MissingData {
            dir: run.dir.clone(),
            figure: FIG.into(),
            what: format!(
                "a weight recording (columns `w[<pre>,<post>]`); recordings: {}",
                run.recordings()
                    .map(|f| f.stem.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
    let cols = file.variable_columns("w");
    let rows = count_lines(&file.path)?;
    let traced = cols.len().min(2);
    let mut traces: Vec<Decimator> = (0..traced)
        .map(|_| Decimator::new(rows, MAX_LINE_POINTS))
        .collect();
    let mut last: Vec<f64> = Vec::new();
    let n_rows = file.scan(&cols, |t, values| {
        for (d, &v) in traces.iter_mut().zip(values) {
            d.push(t, v);
        }
        last.clear();
        last.extend_from_slice(values);
    })?;
    // The end of the run, when a weight table has it (the last row may be earlier).
    let mut at = String::new();
    if let Some((t, end)) = run.final_weights(file, &cols)? {
        last = end;
        at = format!(" at t = {t} ms");
    }
    let summary_w_max = run
        .summary
        .as_ref()
        .and_then(|s| s.find_number(&W_MAX_KEYS))
        .or_else(|| w_max_from_scene(run))
        .filter(|w| *w > 0.0);
    let (w_max, w_label) = match summary_w_max {
        Some(w) => (w, "w / w_max"),
        None => (
            last.iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(0.0f64, f64::max)
                .max(f64::MIN_POSITIVE),
            "w / max(w)",
        ),
    };
    let scaled: Vec<f64> = last.iter().map(|w| w / w_max).collect();

    let per_synapse = Panel::new(
        w_label,
        Content::Points {
            points: scaled
                .iter()
                .enumerate()
                .map(|(i, &w)| (i as f64, w))
                .collect(),
            color: colors::INK,
        },
    )
    .x_label("synapse index")
    .title(format!("final weights ({} synapses){at}", scaled.len()))
    .y_range_at_least(0.0, 1.0)
    .height(220);
    let hist = Panel::new(
        "synapses",
        Content::Histogram {
            bins: histogram(&scaled, 20, Some((0.0, 1.0))),
            color: colors::BLUE,
        },
    )
    .x_label(w_label)
    .title("final weight distribution")
    .height(230);
    let mut panels = vec![per_synapse, hist];

    if n_rows > 1 {
        let lines = traces
            .into_iter()
            .enumerate()
            .map(|(k, d)| Line {
                label: Some(format!("synapse {k}")),
                color: if k == 0 { colors::BLUE } else { colors::ORANGE },
                points: d
                    .finish()
                    .into_iter()
                    .map(|(t, w)| (t, w / w_max))
                    .collect(),
            })
            .collect();
        let mut p = Panel::lines(w_label, lines).title("weights over time");
        if let Some(r) = run.time_range() {
            p.x_range = Some(r);
        }
        panels.push(p);
    }

    // The output population: the target of the largest projection when the summary lists
    // projections, else the recorded population with the fewest neurons.
    let main_target = run.summary.as_ref().and_then(|s| s.main_target());
    let mut outputs = Vec::new();
    for f in run.spike_files() {
        let size = f.spikes_population().and_then(|p| run.population_size(p));
        outputs.push((size, f));
    }
    let output = outputs
        .into_iter()
        .min_by_key(|(size, f)| {
            let is_target = f.spikes_population().is_some() && f.spikes_population() == main_target;
            (!is_target, size.unwrap_or(u32::MAX), f.stem.clone())
        })
        .map(|(_, f)| f);
    if let Some(f) = output {
        let span = run.duration_ms().unwrap_or(1000.0).max(1e-9);
        let dt = run
            .summary
            .as_ref()
            .and_then(|s| s.number("dt_ms"))
            .unwrap_or(0.1);
        let bin = nice_bin(span, 50.0, dt);
        let data = run.spikes(f, bin)?;
        let n = run.spike_population_size(f, &data);
        let pop = f.spikes_population().unwrap_or(&f.stem);
        let rate = data.rate(n, Some(span));
        let mut p = Panel::lines(
            "rate (Hz)",
            vec![Line {
                label: None,
                color: colors::GREEN,
                points: rate,
            }],
        )
        .title(format!(
            "output rate of `{pop}` ({} spikes, {} bins)",
            data.total,
            crate::generic::duration_label(bin)
        ))
        .y_range_at_least(0.0, 0.0);
        p.x_range = Some((0.0, span));
        panels.push(p);
    }
    Ok(Figure::new(
        format!(
            "{}: STDP, Song, Miller & Abbott (2000) (Brian 2 layout)",
            run.name()
        ),
        panels,
    ))
}

/// The `w_max: <number>` of the scene file named in `summary.json` (looked up as given, then
/// relative to the run directory and its parent), when it gives exactly one value.
fn w_max_from_scene(run: &RunDir) -> Option<f64> {
    let scene = run.summary.as_ref()?.scene()?;
    let mut candidates = vec![std::path::PathBuf::from(scene), run.dir.join(scene)];
    if let Some(parent) = run.dir.parent() {
        candidates.push(parent.join(scene));
    }
    let text = candidates
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())?;
    let mut values: Vec<f64> = text
        .match_indices("w_max")
        .filter_map(|(i, _)| {
            let rest = text[i + "w_max".len()..].trim_start().strip_prefix(':')?;
            let number: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
                .collect();
            number.parse().ok()
        })
        .collect();
    values.dedup();
    match values.as_slice() {
        [w] => Some(*w),
        _ => None,
    }
}
