//! Short-term plasticity figures.
//!
//! - `stp_ngclearn` (ngc-learn lecture 4E, `STPDenseSynapse`): `u` ("STF dynamics", red),
//!   `x` ("STD dynamics", blue) and the dynamic efficacy `Wdyn` ("Syn. Weight", purple) over
//!   time; then `v` and the spikes when recorded. Needs columns `u[..]`, `x[..]`, `Wdyn[..]`;
//!   `v[..]` and `spikes_*.csv` are optional.
//! - `stp_norse` (Norse `tsodyks_makram` example): `x`, `u`, the released fraction when
//!   recorded, and the filtered synaptic current. Needs `x[..]`, `u[..]` and a current column
//!   (`current`, `i_syn`, `isyn`, `i`, `syn_current`, `i_exp`, or `g`, the conductance
//!   of an `Exponential` synapse output used as the filter); `released[..]` and `spikes_*.csv`
//!   are optional.

use plotters::style::RGBColor;

use super::{Pick, find_near, read_picks, spike_files_pre_to_post};
use crate::error::PlotError;
use crate::render::{Figure, Line, Panel, colors};
use crate::run_dir::RunDir;

/// Names accepted for the dynamic efficacy of the ngc-learn example.
pub const EFFICACY_NAMES: [&str; 3] = ["Wdyn", "w_dyn", "efficacy"];

/// Names accepted for the filtered current of the Norse example.
pub const CURRENT_NAMES: [&str; 7] = ["current", "i_syn", "isyn", "i", "syn_current", "i_exp", "g"];

fn line_panel(label: &str, color: RGBColor, points: Vec<(f64, f64)>) -> Panel {
    Panel::lines(
        label,
        vec![Line {
            label: None,
            color,
            points,
        }],
    )
}

/// The spike panels (presynaptic-looking population first), and the name and spike count of
/// the last population.
struct SpikePanels {
    panels: Vec<Panel>,
    last: Option<(String, u64)>,
}

fn spike_panels(run: &RunDir) -> Result<SpikePanels, PlotError> {
    let files = spike_files_pre_to_post(run);
    let mut panels = Vec::new();
    let mut last = None;
    for (i, f) in files.iter().enumerate() {
        let pop = f.spikes_population().unwrap_or(&f.stem);
        let color = if i + 1 == files.len() && files.len() > 1 {
            colors::ORANGE
        } else {
            colors::PURPLE
        };
        let (panel, data) = run.spike_panel(f, color, &format!("spikes {pop}"))?;
        last = Some((pop.to_owned(), data.total));
        panels.push(panel);
    }
    Ok(SpikePanels { panels, last })
}

/// The ngc-learn layout.
pub fn ngclearn(run: &RunDir) -> Result<Figure, PlotError> {
    const FIG: &str = "stp_ngclearn";
    let u = run.find_variable(FIG, &["u"], |_| true)?;
    let x = find_near(run, FIG, &["x"], u.0)?;
    let w = find_near(run, FIG, &EFFICACY_NAMES, u.0)?;
    let v = run.find_variable(FIG, &["v"], |_| true).ok();
    let mut picks: Vec<Pick<'_>> = vec![u, x, w];
    picks.extend(v);
    let mut series = read_picks(&picks)?.into_iter();
    let mut next = || series.next().unwrap_or_default();
    let SpikePanels {
        panels: spikes,
        last: post,
    } = spike_panels(run)?;
    let weight_title = match &post {
        Some((pop, n)) if spikes.len() > 1 => format!("Syn. weight ({n} spikes of `{pop}`)"),
        _ => "Syn. weight".to_owned(),
    };
    let mut panels = vec![
        line_panel("u", colors::RED, next()).title("STF dynamics"),
        line_panel("x", colors::BLUE, next()).title("STD dynamics"),
        line_panel("Syn. Weight (Wdyn)", colors::PURPLE, next()).title(weight_title),
    ];
    if v.is_some() {
        panels.push(line_panel("v (mV)", colors::GREEN, next()).title("membrane potential"));
    }
    panels.extend(spikes);
    let mut fig = Figure::new(
        format!("{}: short-term plasticity (ngc-learn layout)", run.name()),
        panels,
    );
    fig.share_x();
    if let Some(r) = run.time_range() {
        fig.panels.iter_mut().for_each(|p| p.x_range = Some(r));
    }
    Ok(fig)
}

/// The Norse layout.
pub fn norse(run: &RunDir) -> Result<Figure, PlotError> {
    const FIG: &str = "stp_norse";
    let x = run.find_variable(FIG, &["x"], |_| true)?;
    let u = find_near(run, FIG, &["u"], x.0)?;
    let current = run.find_variable(FIG, &CURRENT_NAMES, |_| true)?;
    let released = find_near(run, FIG, &["released", "stp_out"], x.0).ok();
    let mut picks: Vec<Pick<'_>> = vec![x, u, current];
    picks.extend(released);
    let mut series = read_picks(&picks)?.into_iter();
    let mut next = || series.next().unwrap_or_default();
    let mut panels = spike_panels(run)?.panels;
    panels.push(line_panel("x", colors::BLUE, next()).title("available resources x"));
    panels.push(line_panel("u", colors::RED, next()).title("utilisation u"));
    let current_panel = line_panel("current", colors::GREEN, next()).title("synaptic current");
    if released.is_some() {
        panels
            .push(line_panel("released", colors::PURPLE, next()).title("released fraction u·x·s"));
    }
    panels.push(current_panel);
    let mut fig = Figure::new(
        format!("{}: Tsodyks–Markram STP (Norse layout)", run.name()),
        panels,
    );
    fig.share_x();
    if let Some(r) = run.time_range() {
        fig.panels.iter_mut().for_each(|p| p.x_range = Some(r));
    }
    Ok(fig)
}
