//! `florian`: the eight-panel comparison of STDP, MSTDP and MSTDPET (Florian 2007), laid out
//! as Inferno's `florian-stdp` example figure: presynaptic spikes, postsynaptic spikes, the two
//! spike traces (the postsynaptic one negated), the reward, the eligibility trace, and the
//! weight under STDP, MSTDP and MSTDPET, with Inferno's y ranges (widened if the data exceed
//! them) and colours.
//!
//! Needs: two spike files (presynaptic and postsynaptic population; told apart by name, e.g.
//! `pre`/`post`, `input`/`output`); the traces `trace_pre` and `trace_post` (also `x_pre`,
//! `x_post`, ...), taken from the MSTDP recording when several hold them; `reward` (or `r`);
//! the eligibility `elig` (or `eligibility`, `z`, or the pair `elig_post`/`elig_pre`, plotted
//! as their difference), preferably from the MSTDPET recording; and three weight recordings
//! whose names contain `stdp`, `mstdp` and `mstdpet` (columns `w[..]`).

use super::{Pick, read_picks, spike_files_pre_to_post};
use crate::data::CsvFile;
use crate::error::PlotError;
use crate::render::{Figure, Line, Panel, colors};
use crate::run_dir::RunDir;

const FIG: &str = "florian";

/// Accepted names of the presynaptic trace.
pub const TRACE_PRE_NAMES: [&str; 5] = ["trace_pre", "x_pre", "pre_trace", "presyn_trace", "apre"];
/// Accepted names of the postsynaptic trace.
pub const TRACE_POST_NAMES: [&str; 5] = [
    "trace_post",
    "x_post",
    "post_trace",
    "postsyn_trace",
    "apost",
];
/// Accepted names of the reward.
pub const REWARD_NAMES: [&str; 2] = ["reward", "r"];

/// Whether recording `f` belongs to rule `rule` (`stdp`, `mstdp` or `mstdpet`) by its name.
fn is_rule(f: &CsvFile, rule: &str) -> bool {
    let s = f.stem.to_ascii_lowercase();
    match rule {
        "mstdpet" => s.contains("mstdpet"),
        "mstdp" => s.contains("mstdp") && !s.contains("mstdpet"),
        _ => s.contains("stdp") && !s.contains("mstdp"),
    }
}

/// The weight column of rule `rule`.
fn weight<'a>(run: &'a RunDir, rule: &str) -> Result<Pick<'a>, PlotError> {
    run.find_variable(FIG, &["w"], |f| is_rule(f, rule))
        .map_err(|_| PlotError::MissingData {
            dir: run.dir.clone(),
            figure: FIG.into(),
            what: format!(
                "a weight recording (columns `w[..]`) whose name contains `{rule}`; recordings: {}",
                run.recordings()
                    .map(|f| f.stem.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// Variable `names` preferably in a recording of `rule`, else anywhere.
fn prefer_rule<'a>(run: &'a RunDir, names: &[&str], rule: &str) -> Result<Pick<'a>, PlotError> {
    run.find_variable(FIG, names, |f| is_rule(f, rule))
        .or_else(|_| run.find_variable(FIG, names, |_| true))
}

fn single(label: &str, color: plotters::style::RGBColor, points: Vec<(f64, f64)>) -> Panel {
    Panel::lines(
        label,
        vec![Line {
            label: None,
            color,
            points,
        }],
    )
}

/// The figure.
pub fn figure(run: &RunDir) -> Result<Figure, PlotError> {
    let spikes = spike_files_pre_to_post(run);
    if spikes.len() < 2 {
        return Err(PlotError::MissingData {
            dir: run.dir.clone(),
            figure: FIG.into(),
            what: format!(
                "two spike recordings, presynaptic and postsynaptic (found {})",
                spikes.len()
            ),
        });
    }
    let pre_file = spikes[0];
    let post_file = spikes[spikes.len() - 1];
    let trace_pre = prefer_rule(run, &TRACE_PRE_NAMES, "mstdp")?;
    let trace_post = prefer_rule(run, &TRACE_POST_NAMES, "mstdp")?;
    let reward = run.find_variable(FIG, &REWARD_NAMES, |_| true)?;
    let elig_single = prefer_rule(run, &["elig", "eligibility", "z", "elig_trace"], "mstdpet");
    let elig_pair = match elig_single {
        Ok(_) => None,
        Err(_) => Some((
            prefer_rule(run, &["elig_post", "z_post"], "mstdpet")?,
            prefer_rule(run, &["elig_pre", "z_pre"], "mstdpet")?,
        )),
    };
    let w_stdp = weight(run, "stdp")?;
    let w_mstdp = weight(run, "mstdp")?;
    let w_mstdpet = weight(run, "mstdpet")?;

    let mut picks: Vec<Pick<'_>> = vec![trace_pre, trace_post, reward, w_stdp, w_mstdp, w_mstdpet];
    match (&elig_single, elig_pair) {
        (Ok(e), _) => picks.push(*e),
        (Err(_), Some((a, b))) => picks.extend([a, b]),
        (Err(_), None) => {}
    }
    let series = read_picks(&picks)?;
    let post_trace_negated: Vec<(f64, f64)> = series[1].iter().map(|&(t, v)| (t, -v)).collect();
    let elig = if picks.len() == 8 {
        difference(&series[6], &series[7])
    } else {
        series[6].clone()
    };

    let pre_pop = pre_file.spikes_population().unwrap_or_default();
    let post_pop = post_file.spikes_population().unwrap_or_default();
    let (pre_panel, _) = run.spike_panel(pre_file, colors::PURPLE, "s_pre")?;
    let (post_panel, _) = run.spike_panel(post_file, colors::ORANGE, "s_post")?;
    let h = 118;
    let panels = vec![
        pre_panel
            .title(format!("presynaptic spikes (`{pre_pop}`)"))
            .height(h),
        post_panel
            .title(format!("postsynaptic spikes (`{post_pop}`)"))
            .height(h),
        Panel::lines(
            "x_post, x_pre",
            vec![
                Line {
                    label: Some("x_pre".into()),
                    color: colors::PURPLE,
                    points: series[0].clone(),
                },
                Line {
                    label: Some("−x_post".into()),
                    color: colors::ORANGE,
                    points: post_trace_negated,
                },
            ],
        )
        .y_range_at_least(-0.4, 0.4),
        single("r", colors::GREEN, series[2].clone()).y_range_at_least(-1.5, 1.5),
        single("z", colors::RED, elig).y_range_at_least(-1e-2, 1e-2),
        single("W_STDP", colors::BLUE, series[3].clone()).y_range_at_least(0.0, 0.5),
        single("W_MSTDP", colors::BLUE, series[4].clone()).y_range_at_least(0.0, 0.5),
        single("W_MSTDPET", colors::BLUE, series[5].clone()).y_range_at_least(0.0, 0.5),
    ];
    let last = panels.len() - 1;
    let mut panels: Vec<Panel> = panels
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let p = if p.height > h { p.height(h + 8) } else { p };
            let p = p.y_ticks(5);
            if i == last {
                p.height(h + 34)
            } else {
                p.hide_x_ticks()
            }
        })
        .collect();
    for p in panels.iter_mut().take(2) {
        p.y_ticks = 2;
    }
    let mut fig = Figure::new(
        format!(
            "{}: STDP, MSTDP and MSTDPET (Florian 2007; Inferno layout)",
            run.name()
        ),
        panels,
    );
    fig.share_x();
    if let Some(r) = run.time_range() {
        fig.panels.iter_mut().for_each(|p| p.x_range = Some(r));
    }
    Ok(fig)
}

/// `a − b`, pointwise on the time stamps of `a` (values of `b` matched by time; the series
/// come from the same recorder stride, so their times coincide).
fn difference(a: &[(f64, f64)], b: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut j = 0;
    a.iter()
        .filter_map(|&(t, va)| {
            while j < b.len() && b[j].0 < t {
                j += 1;
            }
            (j < b.len() && b[j].0 == t).then(|| (t, va - b[j].1))
        })
        .collect()
}
