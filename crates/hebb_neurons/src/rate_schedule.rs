//! Time-varying Poisson rates (`Poisson(timed: …)`): piecewise-constant rates per population
//! or per neuron, written in the scene or read from a CSV/NPY file (Brian2's `TimedArray`
//! driving a `PoissonGroup`, NEST's `inhomogeneous_poisson_generator`).
//!
//! Section `s` starts at step `start_s = times_ms[s]/dt` (the first at 0) and lasts until the
//! next; the last lasts forever. In each step of section `s` neuron `i` spikes with
//! probability `p_s,i = rate_s,i · dt / 1000`, independently, exactly as `Poisson` does with a
//! constant rate.
//!
//! Only the spikes are drawn (O(spikes + sections crossed)): with the hazard
//! `h = −ln(1 − p)` of each step, the probability of no spike in steps `a … b` is
//! `exp(−Σ h_k)`, so neuron `i`'s next spike after step `a` is the first step at which the
//! summed hazard reaches `E = −ln U` (`U` from its `"poisson"` stream, one draw per spike as for
//! `Poisson`). Within a section that is `a + ⌊E/h⌋`, the same formula `Poisson` uses, so a
//! one-section schedule gives exactly `Poisson`'s spike trains (tested); at a section boundary
//! the hazard spent is subtracted from `E` (the exponential distribution is memoryless).
//!
//! Scene forms:
//!
//! ```ron
//! Poisson(timed: Sections(times_ms: [0.0, 200.0, 700.0], rates_hz: [5.0, 40.0, 5.0]))
//! Poisson(timed: PerNeuron(times_ms: [0.0, 100.0], rates_hz: [[5.0, 10.0, 0.0], [40.0, 0.0, 10.0]]))
//! Poisson(timed: File("rates.csv"))   // relative to the scene's directory; or "rates.npy"
//! ```
//!
//! A file is a table (CSV or NPY, [`hebb_core::table`]) whose first column is the section start
//! in ms and whose other columns are the rates in Hz: one column (every neuron) or one per
//! neuron. A Brian2 `TimedArray(values, dt=…)` of shape (times, neurons) is the table with the
//! column `k·dt` in front.

use hebb_core::table::{DataDir, Table, read_table, resolve};
use serde::{Deserialize, Serialize};

use crate::spiking::whole_steps;
use hebb_core::prelude::*;

/// How a `Poisson` population's rates change over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum TimedRates {
    /// One rate per section for every neuron.
    Sections {
        /// Start of each section in ms: the first 0, increasing, whole steps.
        times_ms: Vec<f64>,
        /// The rate of each section in Hz.
        rates_hz: Vec<f64>,
    },
    /// One rate per section and neuron (`rates_hz[section][neuron]`).
    PerNeuron {
        /// Start of each section in ms: the first 0, increasing, whole steps.
        times_ms: Vec<f64>,
        /// The rates of each section in Hz, one per neuron.
        rates_hz: Vec<Vec<f64>>,
    },
    /// A CSV or NPY table: section start (ms), then one rate column or one per neuron.
    File(String),
}

impl TimedRates {
    /// Checks that need no file and no `dt` (the field is `timed`).
    pub fn validate(&self) -> Result<(), ParamError> {
        match self {
            Self::Sections { times_ms, rates_hz } => {
                check_times(times_ms)?;
                if rates_hz.len() != times_ms.len() {
                    return Err(ParamError::new(
                        "timed.rates_hz",
                        format!(
                            "must have one rate per section ({}), got {}",
                            times_ms.len(),
                            rates_hz.len()
                        ),
                    ));
                }
                for (s, &r) in rates_hz.iter().enumerate() {
                    check::non_negative(&format!("timed.rates_hz[{s}]"), r)?;
                }
            }
            Self::PerNeuron { times_ms, rates_hz } => {
                check_times(times_ms)?;
                if rates_hz.len() != times_ms.len() {
                    return Err(ParamError::new(
                        "timed.rates_hz",
                        format!(
                            "must have one row of rates per section ({}), got {}",
                            times_ms.len(),
                            rates_hz.len()
                        ),
                    ));
                }
                for (s, row) in rates_hz.iter().enumerate() {
                    for (i, &r) in row.iter().enumerate() {
                        check::non_negative(&format!("timed.rates_hz[{s}][{i}]"), r)?;
                    }
                }
            }
            Self::File(path) => {
                if path.trim().is_empty() {
                    return Err(ParamError::new("timed", "File needs a file name"));
                }
            }
        }
        Ok(())
    }

    /// The schedule for a population of `size` neurons at time step `dt_ms`, reading the file
    /// (relative to `dir`) if there is one.
    pub fn schedule(
        &self,
        size: usize,
        dt_ms: f64,
        dir: Option<&DataDir>,
    ) -> Result<RateSchedule, ParamError> {
        let (times, width, rates, field): (Vec<f64>, usize, Vec<f64>, String) = match self {
            Self::Sections { times_ms, rates_hz } => {
                (times_ms.clone(), 1, rates_hz.clone(), "timed".into())
            }
            Self::PerNeuron { times_ms, rates_hz } => {
                for (s, row) in rates_hz.iter().enumerate() {
                    if row.len() != size {
                        return Err(ParamError::new(
                            format!("timed.rates_hz[{s}]"),
                            format!("must have one rate per neuron ({size}), got {}", row.len()),
                        ));
                    }
                }
                (
                    times_ms.clone(),
                    size,
                    rates_hz.iter().flatten().copied().collect(),
                    "timed".into(),
                )
            }
            Self::File(path) => {
                let resolved = resolve(path, dir);
                let table = read_table(&resolved).map_err(|e| ParamError::new("timed", e))?;
                let (times, width, rates) = split_table(&table, size)
                    .map_err(|e| ParamError::new("timed", format!("`{path}`: {e}")))?;
                check_times(&times).map_err(|e| {
                    ParamError::new("timed", format!("`{path}`: the first column {e}"))
                })?;
                for (k, &r) in rates.iter().enumerate() {
                    if !(r.is_finite() && r >= 0.0) {
                        return Err(ParamError::new(
                            "timed",
                            format!(
                                "`{path}`: row {} column {}: a rate must be >= 0, got {r}",
                                k / width + 1,
                                k % width + 2
                            ),
                        ));
                    }
                }
                (times, width, rates, format!("timed (`{path}`)"))
            }
        };
        let mut starts = Vec::with_capacity(times.len());
        for (s, &t) in times.iter().enumerate() {
            let step = whole_steps(&format!("timed.times_ms[{s}]"), t, dt_ms)?;
            starts.push(step);
        }
        let mut hazard = Vec::with_capacity(rates.len());
        for (k, &rate) in rates.iter().enumerate() {
            let p = rate * dt_ms / 1000.0;
            if p > 1.0 {
                return Err(ParamError::new(
                    field.clone(),
                    format!(
                        "section {} gives a spike probability per step of {p} (> 1) at dt = \
                         {dt_ms} ms; rates must be <= {} Hz, got {rate}",
                        k / width,
                        1000.0 / dt_ms
                    ),
                ));
            }
            hazard.push(-(-p).ln_1p());
        }
        Ok(RateSchedule {
            starts,
            width,
            hazard,
            probabilities: rates.iter().map(|r| r * dt_ms / 1000.0).collect(),
        })
    }
}

/// A table's first column and its rate columns (1 or `size`).
fn split_table(table: &Table, size: usize) -> Result<(Vec<f64>, usize, Vec<f64>), String> {
    let width = table.columns - 1;
    if size == 1 && width != 1 {
        return Err(format!(
            "needs a time column and one rate column, got {} columns",
            table.columns
        ));
    }
    if width != 1 && width != size {
        return Err(format!(
            "needs a time column and 1 or {size} (one per neuron) rate columns, got {} columns",
            table.columns
        ));
    }
    let times = (0..table.rows()).map(|r| table.row(r)[0]).collect();
    let rates = (0..table.rows())
        .flat_map(|r| table.row(r)[1..].to_vec())
        .collect();
    Ok((times, width, rates))
}

/// The first section starts at 0, the others in increasing order.
fn check_times(times: &[f64]) -> Result<(), ParamError> {
    let field = "timed.times_ms";
    match times.first() {
        None => return Err(ParamError::new(field, "needs at least one section")),
        Some(&t) if t != 0.0 => {
            return Err(ParamError::new(
                format!("{field}[0]"),
                format!("the first section must start at 0, got {t}"),
            ));
        }
        _ => {}
    }
    for (s, w) in times.windows(2).enumerate() {
        if w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater) || !w[1].is_finite() {
            return Err(ParamError::new(
                format!("{field}[{}]", s + 1),
                format!(
                    "must be greater than the previous start {}, got {}",
                    w[0], w[1]
                ),
            ));
        }
    }
    Ok(())
}

/// Piecewise-constant spike hazards, fixed at build time (rebuilt from the scene on resume,
/// so not part of snapshots).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct RateSchedule {
    /// First step of each section (the first is 0), increasing.
    pub starts: Vec<u64>,
    /// Hazards per section: 1 (shared) or one per neuron.
    pub width: usize,
    /// `−ln(1 − p)` of each (section, neuron), section-major (∞ for p = 1).
    pub hazard: Vec<f64>,
    /// The spike probability per step `rate · dt / 1000` of each (section, neuron),
    /// section-major (the same layout as `hazard`; `PoissonInput` tabulates its counts from
    /// them).
    pub probabilities: Vec<f64>,
}

impl RateSchedule {
    /// The first section's probabilities (to size the sampler's timing wheel).
    pub fn first_probabilities(&self) -> &[f64] {
        &self.probabilities[..self.width]
    }

    /// The section in force at `step`: the last whose start is `<= step`.
    #[inline]
    pub fn section_at(&self, step: u64) -> usize {
        self.starts.partition_point(|&start| start <= step) - 1
    }

    /// The step of neuron `neuron`'s next spike at or after step `from`, for the exponential
    /// variate `e = −ln U` (`u64::MAX`: never).
    pub fn next_spike(&self, neuron: usize, from: u64, mut e: f64) -> u64 {
        let mut s = self.section_at(from);
        let mut a = from;
        loop {
            let h = self.hazard[s * self.width + if self.width == 1 { 0 } else { neuron }];
            let end = self.starts.get(s + 1).copied();
            if h == f64::INFINITY {
                return a;
            }
            if h > 0.0 {
                let gap = (e / h).floor();
                match end {
                    None => return a.saturating_add(gap as u64),
                    Some(end) if gap < (end - a) as f64 => return a + gap as u64,
                    Some(end) => e = (e - h * (end - a) as f64).max(0.0),
                }
            }
            match end {
                None => return u64::MAX,
                Some(end) => {
                    a = end;
                    s += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(timed: TimedRates, size: usize) -> RateSchedule {
        timed.validate().unwrap();
        timed.schedule(size, 0.1, None).unwrap()
    }

    #[test]
    fn one_section_is_the_geometric_gap() {
        let s = schedule(
            TimedRates::Sections {
                times_ms: vec![0.0],
                rates_hz: vec![25.0],
            },
            3,
        );
        let log_q = (-0.0025f64).ln_1p();
        for u in [1.0, 0.5, 0.01, 1e-9] {
            let e = -f64::ln(u);
            assert_eq!(
                s.next_spike(1, 17, e),
                17 + crate::poisson::geometric_gap(u, log_q)
            );
        }
    }

    #[test]
    fn the_hazard_carries_over_sections_and_silence() {
        // Section 0: p = 0.5 (5000 Hz) until step 10; section 1 silent until 20; then p = 1.
        let s = schedule(
            TimedRates::Sections {
                times_ms: vec![0.0, 1.0, 2.0],
                rates_hz: vec![5000.0, 0.0, 10_000.0],
            },
            1,
        );
        let h = std::f64::consts::LN_2;
        assert_eq!(s.next_spike(0, 0, 0.0), 0);
        assert_eq!(s.next_spike(0, 3, 2.5 * h), 5);
        // E beyond the 7 steps left in section 0: silent section, then p = 1 spikes at once.
        assert_eq!(s.next_spike(0, 3, 7.5 * h), 20);
        assert_eq!(s.next_spike(0, 12, 100.0), 20);
        assert_eq!(s.next_spike(0, 25, 100.0), 25);
        let silent_end = schedule(
            TimedRates::Sections {
                times_ms: vec![0.0, 1.0],
                rates_hz: vec![10.0, 0.0],
            },
            1,
        );
        assert_eq!(silent_end.next_spike(0, 5, 1e6), u64::MAX);
    }

    #[test]
    fn errors_name_the_field() {
        let e = |t: TimedRates| t.validate().unwrap_err().to_string();
        assert_eq!(
            e(TimedRates::Sections {
                times_ms: vec![1.0],
                rates_hz: vec![1.0]
            }),
            "timed.times_ms[0] the first section must start at 0, got 1"
        );
        assert_eq!(
            e(TimedRates::Sections {
                times_ms: vec![0.0, 5.0, 5.0],
                rates_hz: vec![1.0; 3]
            }),
            "timed.times_ms[2] must be greater than the previous start 5, got 5"
        );
        assert_eq!(
            e(TimedRates::Sections {
                times_ms: vec![0.0],
                rates_hz: vec![-1.0]
            }),
            "timed.rates_hz[0] must be >= 0, got -1"
        );
        let per_neuron = TimedRates::PerNeuron {
            times_ms: vec![0.0, 1.0],
            rates_hz: vec![vec![1.0, 2.0], vec![1.0]],
        };
        per_neuron.validate().unwrap();
        assert_eq!(
            per_neuron.schedule(2, 0.1, None).unwrap_err().to_string(),
            "timed.rates_hz[1] must have one rate per neuron (2), got 1"
        );
        let off_grid = TimedRates::Sections {
            times_ms: vec![0.0, 0.25],
            rates_hz: vec![1.0, 1.0],
        };
        assert!(
            off_grid
                .schedule(1, 0.1, None)
                .unwrap_err()
                .to_string()
                .starts_with("timed.times_ms[1] must be >= 0 and a whole number of time steps")
        );
        let too_fast = TimedRates::Sections {
            times_ms: vec![0.0],
            rates_hz: vec![20_000.0],
        };
        assert!(
            too_fast
                .schedule(1, 0.1, None)
                .unwrap_err()
                .to_string()
                .contains("(> 1)")
        );
    }
}
