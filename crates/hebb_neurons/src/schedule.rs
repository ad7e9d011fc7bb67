//! Explicit spike schedules shared by `SpikeSource` and `Exact`: per-neuron spike times or
//! steps, checked and converted once into one list of (step, neuron) sorted by step, then
//! neuron. Each step emits its slice of the list, found by binary search on the clock's step,
//! so the schedule has no running state.

use hebb_core::prelude::*;

/// A checked spike schedule.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct ScheduledSpikes {
    /// (step, neuron), sorted, no duplicates.
    pub events: Vec<(u64, u32)>,
}

impl ScheduledSpikes {
    /// The neurons that spike at `step`, ascending.
    pub fn at(&self, step: u64) -> impl Iterator<Item = u32> + '_ {
        let start = self.events.partition_point(|&(s, _)| s < step);
        let end = self.events.partition_point(|&(s, _)| s <= step);
        self.events[start..end].iter().map(|&(_, i)| i)
    }
}

/// Builds a schedule from per-neuron lists, reporting errors against the scene's field names.
pub struct ScheduleBuilder {
    size: usize,
    events: Vec<(u64, u32)>,
    /// Where each event came from, for messages: (field, original value as written).
    origin: Vec<(String, String)>,
}

impl ScheduleBuilder {
    /// An empty schedule for `size` neurons.
    pub fn new(size: usize) -> Self {
        Self {
            size,
            events: Vec::new(),
            origin: Vec::new(),
        }
    }

    fn check_lists(&self, field: &str, lists: usize) -> Result<(), ParamError> {
        if lists > self.size {
            return Err(ParamError::new(
                field,
                format!(
                    "has {lists} neuron lists but the population has {} neurons",
                    self.size
                ),
            ));
        }
        Ok(())
    }

    /// Add `times_ms[i]` = the spike times of neuron `i` in ms (each on the dt grid).
    pub fn add_times(
        &mut self,
        field: &str,
        times_ms: &[Vec<f64>],
        dt_ms: f64,
    ) -> Result<(), ParamError> {
        self.check_lists(field, times_ms.len())?;
        for (i, times) in times_ms.iter().enumerate() {
            for &t in times {
                let at = format!("{field}[{i}]");
                let step = hebb_core::clock::steps_on_grid(t, dt_ms).ok_or_else(|| {
                    ParamError::new(
                        at.clone(),
                        format!(
                            "(neuron {i}): spike time {t} ms is not a time step (a multiple of \
                             dt = {dt_ms} ms, >= 0)"
                        ),
                    )
                })?;
                self.events.push((step, i as u32));
                self.origin.push((at, format!("spike time {t} ms")));
            }
        }
        Ok(())
    }

    /// Add `steps[i]` = the spike steps of neuron `i`.
    pub fn add_steps(&mut self, field: &str, steps: &[Vec<u64>]) -> Result<(), ParamError> {
        self.check_lists(field, steps.len())?;
        for (i, list) in steps.iter().enumerate() {
            for &s in list {
                self.events.push((s, i as u32));
                self.origin
                    .push((format!("{field}[{i}]"), format!("spike step {s}")));
            }
        }
        Ok(())
    }

    /// Sort and check for repeated spikes of one neuron in one step.
    pub fn build(self) -> Result<ScheduledSpikes, ParamError> {
        let mut order: Vec<usize> = (0..self.events.len()).collect();
        order.sort_by_key(|&k| (self.events[k], k));
        for w in order.windows(2) {
            if self.events[w[0]] == self.events[w[1]] {
                let (first, second) = (&self.origin[w[0]], &self.origin[w[1]]);
                let (step, neuron) = self.events[w[1]];
                return Err(ParamError::new(
                    second.0.clone(),
                    format!(
                        "(neuron {neuron}): {} repeats {} (step {step}); a neuron spikes at \
                         most once per step",
                        second.1, first.1
                    ),
                ));
            }
        }
        let events = order.iter().map(|&k| self.events[k]).collect();
        Ok(ScheduledSpikes { events })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_sorted_and_sliced_by_step() {
        let mut b = ScheduleBuilder::new(3);
        b.add_times("times_ms", &[vec![0.5, 0.0], vec![], vec![0.5]], 0.5)
            .unwrap();
        b.add_steps("steps", &[vec![], vec![1]]).unwrap();
        let s = b.build().unwrap();
        assert_eq!(s.events, vec![(0, 0), (1, 0), (1, 1), (1, 2)]);
        assert_eq!(s.at(1).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(s.at(2).count(), 0);
    }

    #[test]
    fn errors_name_neuron_and_time() {
        let mut b = ScheduleBuilder::new(3);
        let e = b
            .add_times("times_ms", &[vec![], vec![1.0, 0.25]], 0.1)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "times_ms[1] (neuron 1): spike time 0.25 ms is not a time step (a multiple of dt = \
             0.1 ms, >= 0)"
        );
        let mut b = ScheduleBuilder::new(3);
        b.add_times("times_ms", &[vec![2.0, 1.0, 2.0]], 1.0)
            .unwrap();
        let e = b.build().unwrap_err().to_string();
        assert!(
            e.starts_with("times_ms[0] (neuron 0): spike time 2 ms repeats spike time 2 ms"),
            "{e}"
        );
        let b = ScheduleBuilder::new(1);
        let e = b.check_lists("times_ms", 2).unwrap_err().to_string();
        assert!(
            e.contains("2 neuron lists") && e.contains("1 neurons"),
            "{e}"
        );
    }
}
