//! The simulation clock.

use bevy_ecs::resource::Resource;

/// Time step and step index. Step `k` covers the time `[k·dt, (k+1)·dt)`; values recorded after
/// step `k` carry the time stamp `t_ms = k·dt`.
#[derive(Resource, Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Clock {
    /// Time step in ms.
    pub dt_ms: f64,
    /// Index of the step being computed (during a step) or of the next step (between steps).
    pub step: u64,
}

impl Clock {
    /// A clock at step 0.
    pub fn new(dt_ms: f64) -> Self {
        Self { dt_ms, step: 0 }
    }

    /// `step · dt` in ms.
    pub fn time_ms(&self) -> f64 {
        self.step as f64 * self.dt_ms
    }

    /// The number of whole steps in `ms`, or `None` when `ms` is negative or not on the dt grid
    /// (relative tolerance 1e-9).
    pub fn steps_in(&self, ms: f64) -> Option<u64> {
        steps_on_grid(ms, self.dt_ms)
    }
}

/// `ms / dt_ms` as a whole number of steps, or `None` when negative, not finite or off the grid.
pub fn steps_on_grid(ms: f64, dt_ms: f64) -> Option<u64> {
    if !ms.is_finite() || ms < 0.0 || dt_ms <= 0.0 {
        return None;
    }
    let n = ms / dt_ms;
    let rounded = n.round();
    if (n - rounded).abs() <= 1e-9 * rounded.max(1.0) {
        Some(rounded as u64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_detection() {
        assert_eq!(steps_on_grid(1.0, 0.1), Some(10));
        assert_eq!(steps_on_grid(0.0, 0.1), Some(0));
        assert_eq!(steps_on_grid(0.15, 0.1), None);
        assert_eq!(steps_on_grid(-1.0, 0.1), None);
        assert_eq!(steps_on_grid(300.0, 0.1), Some(3000));
    }
}
