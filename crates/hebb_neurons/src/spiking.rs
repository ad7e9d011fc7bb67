//! Helpers shared by the neuron models: a per-neuron spike flag buffer written by the
//! vectorized kernels, and the scan that turns it into the population's [`Spikes`].

use hebb_core::prelude::*;

/// Scratch flags, one byte per neuron (1 = spiked this step), written by a branch-free kernel.
/// Transient: rewritten every step, so it is not part of snapshots.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct SpikeFlags(pub Vec<u8>);

impl SpikeFlags {
    /// All zero, `size` neurons.
    pub fn new(size: usize) -> Self {
        Self(vec![0; size])
    }
}

/// Replace `spikes` by the neurons whose flag is set, in ascending order. Blocks of 64 flags
/// without a spike are skipped with one OR-reduction (vectorized), so a quiet population costs
/// about one pass over `size / 64` blocks.
pub fn write_spikes(flags: &[u8], spikes: &mut Spikes) {
    spikes.clear();
    for (b, block) in flags.chunks(64).enumerate() {
        if block.iter().fold(0u8, |a, &f| a | f) == 0 {
            continue;
        }
        for (k, &f) in block.iter().enumerate() {
            if f != 0 {
                spikes.push(b * 64 + k);
            }
        }
    }
}

/// Magnitudes below this are flushed to 0 by the kernels.
pub const DENORMAL_FLUSH: Real = 1e-30;

/// `x`, or 0 when `|x| < 1e-30`. Values that decay toward 0 (a membrane resting at 0 mV, an
/// adaptive threshold) would otherwise end in subnormal floats, on which x86 arithmetic is
/// about a hundred times slower; Brian2's generated code avoids them with `-ffast-math`
/// (flush-to-zero). Branch-free, so the kernels stay vectorized.
#[inline(always)]
pub fn flush_denormal(x: Real) -> Real {
    if x.abs() < DENORMAL_FLUSH { 0.0 } else { x }
}

/// The whole number of steps in `ms` (for durations that must lie on the grid), or an error
/// naming `field` and the value.
pub fn whole_steps(field: &str, ms: f64, dt_ms: f64) -> Result<u64, ParamError> {
    hebb_core::clock::steps_on_grid(ms, dt_ms).ok_or_else(|| {
        ParamError::new(
            field,
            format!("must be >= 0 and a whole number of time steps (dt = {dt_ms} ms), got {ms}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_sorted_spikes() {
        let mut flags = vec![0u8; 200];
        for i in [3, 64, 65, 127, 128, 199] {
            flags[i] = 1;
        }
        let mut spikes = Spikes::new(200);
        spikes.push(7);
        write_spikes(&flags, &mut spikes);
        assert_eq!(spikes.indices(), &[3, 64, 65, 127, 128, 199]);
        assert!(!spikes.contains(7));
        write_spikes(&[0; 200], &mut spikes);
        assert_eq!(spikes.count(), 0);
    }

    #[test]
    fn whole_steps_rejects_off_grid() {
        assert_eq!(whole_steps("d", 1.5, 0.5), Ok(3));
        let e = whole_steps("durations_ms[1]", 0.25, 0.1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "durations_ms[1] must be >= 0 and a whole number of time steps (dt = 0.1 ms), got 0.25"
        );
    }
}
