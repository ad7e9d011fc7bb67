//! Helpers shared by the neuron models: a per-neuron spike flag buffer written by the
//! vectorized kernels, and the scan that turns it into the population's [`Spikes`].

use std::ops::Range;

use hebb_core::parallel::{Blocks, PerPartition};
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

/// Flags tested at once by [`write_spikes`]: blocks without a spike cost one OR-reduction.
const SCAN_BLOCK: usize = 64;

/// The eight flags of `bytes` as one little-endian word (byte `k` of the word is flag `k`).
#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(w)
}

/// Replace `spikes` by the neurons whose flag is set, in ascending order. Blocks of 64 flags
/// without a spike are skipped with one vectorized OR-reduction, so a quiet population costs
/// about one pass over `size / 64` blocks; in a block with spikes, the flags are read eight at
/// a time as one `u64` and each spike is found with `trailing_zeros`, so the cost per spike is a
/// few instructions rather than a scan of its neighbours.
pub fn write_spikes(flags: &[u8], spikes: &mut Spikes) {
    spikes.clear();
    for_each_flagged(flags, 0, |i| spikes.push(i));
}

/// Append `start + k` to `out` for every set `flags[k]`, ascending: the spikes of one
/// partition's block (`flags` is the block's part of the flags, `start` its first neuron),
/// found by the partition itself while its flags are in its core's cache. [`set_spikes`] joins
/// the partitions' lists.
pub fn collect_spikes(flags: &[u8], start: usize, out: &mut Vec<u32>) {
    for_each_flagged(flags, start, |i| out.push(i as u32));
}

/// Replace `spikes` by the concatenation of `lists` (the partitions' [`collect_spikes`], in
/// partition order, hence ascending).
pub fn set_spikes(spikes: &mut Spikes, lists: &[Vec<u32>]) {
    spikes.clear();
    for list in lists {
        spikes.extend_ascending(list);
    }
}

/// Per-partition spike lists of a neuron system's populations, kept from step to step (a
/// system's `Local`) so that no step allocates: population `k`'s lists are
/// `lists(populations, threads)[k]`, one per partition.
#[derive(Debug, Default)]
pub struct BlockSpikes(Vec<Vec<u32>>);

impl BlockSpikes {
    /// `threads` lists for each of `populations`, each cleared.
    pub fn lists(
        &mut self,
        populations: usize,
        threads: usize,
    ) -> std::slice::ChunksMut<'_, Vec<u32>> {
        self.0.resize_with(populations * threads, Vec::new);
        self.0.iter_mut().for_each(Vec::clear);
        self.0.chunks_mut(threads.max(1))
    }

    /// Population `k`'s lists after a region (see [`BlockSpikes::lists`]).
    pub fn of(&self, k: usize, threads: usize) -> &[Vec<u32>] {
        &self.0[k * threads..(k + 1) * threads]
    }
}

/// One population of a neuron system stepped by [`step_in_one_region`].
#[derive(Debug)]
pub struct RegionPopulation<'a, C, B> {
    /// What the kernel needs besides the arrays (its constants, per-neuron params).
    pub constants: C,
    /// Number of neurons.
    pub size: usize,
    /// Per-neuron arrays (each `size` entries), cut into the partitions' blocks.
    pub arrays: B,
    /// The spike flags (`size` entries), written by the kernel.
    pub flags: &'a mut [u8],
    /// The population's spikes, replaced by this step's.
    pub spikes: &'a mut Spikes,
}

/// Step several populations of one neuron model on several partitions in **one** region: each
/// partition runs `step(constants, block, arrays, flags)` on its block of every population in
/// turn and lists its block's spikes while its flags are in its core's cache; afterwards each
/// population's [`Spikes`] are the partitions' lists joined in order. One region per system
/// instead of one per population: one hand-off and one wait per step. With one thread a
/// system calls its kernel directly instead (no gathering, no allocation).
pub fn step_in_one_region<C: Sync, B: Blocks>(
    executor: &Executor,
    found: &mut BlockSpikes,
    populations: Vec<RegionPopulation<'_, C, B>>,
    step: impl Fn(&C, Range<usize>, B, &mut [u8]) + Sync,
) {
    if populations.is_empty() {
        return;
    }
    let threads = executor.threads();
    let count = populations.len();
    let mut constants = Vec::with_capacity(count);
    let mut spikes = Vec::with_capacity(count);
    let mut items = Vec::with_capacity(count);
    for (population, lists) in populations.into_iter().zip(found.lists(count, threads)) {
        constants.push(population.constants);
        spikes.push(population.spikes);
        let arrays = (population.arrays, population.flags, PerPartition(lists));
        items.push((population.size, arrays));
    }
    executor.for_each_block_in_each(items, |k, block, (arrays, flags, mut list)| {
        step(&constants[k], block.clone(), arrays, &mut *flags);
        collect_spikes(flags, block.start, list.get());
    });
    for (k, spikes) in spikes.into_iter().enumerate() {
        set_spikes(spikes, found.of(k, threads));
    }
}

/// Call `push(base + k)` for every non-zero `flags[k]`, ascending.
#[inline]
fn for_each_flagged(flags: &[u8], base: usize, mut push: impl FnMut(usize)) {
    let mut blocks = flags.chunks_exact(SCAN_BLOCK);
    for (b, block) in (&mut blocks).enumerate() {
        let any = block.iter().fold(0u8, |a, &f| a | f);
        if any != 0 {
            push_flagged(block, base + b * SCAN_BLOCK, &mut push);
        }
    }
    let tail = blocks.remainder();
    push_flagged(tail, base + flags.len() - tail.len(), &mut push);
}

/// Call `push(base + k)` for every non-zero `flags[k]`, ascending.
#[inline]
fn push_flagged(flags: &[u8], base: usize, push: &mut impl FnMut(usize)) {
    let mut words = flags.chunks_exact(8);
    let mut start = base;
    for w in &mut words {
        let mut bits = word(w);
        while bits != 0 {
            let byte = bits.trailing_zeros() / 8;
            push(start + byte as usize);
            bits &= !(0xff << (byte * 8));
        }
        start += 8;
    }
    for (k, &f) in words.remainder().iter().enumerate() {
        if f != 0 {
            push(start + k);
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
    fn partition_lists_join_into_the_same_spikes_as_one_scan() {
        let flags: Vec<u8> = (0..300u32)
            .map(|i| u8::from(i % 7 == 3 || i == 299))
            .collect();
        let mut whole = Spikes::new(300);
        write_spikes(&flags, &mut whole);
        for parts in 1..5 {
            let mut store = BlockSpikes::default();
            for (p, list) in store.lists(1, parts).next().unwrap().iter_mut().enumerate() {
                let block = hebb_core::parallel::block_range(300, p, parts);
                collect_spikes(&flags[block.clone()], block.start, list);
            }
            let mut joined = Spikes::new(300);
            joined.push(5);
            set_spikes(&mut joined, store.of(0, parts));
            assert_eq!(joined, whole, "{parts} parts");
        }
    }

    #[test]
    fn every_flag_pattern_gives_the_flagged_neurons() {
        // Sizes with and without a partial block and a partial word; dense and sparse patterns,
        // every byte value a flag may hold that is not 0.
        for size in [1, 7, 8, 63, 64, 65, 130, 203, 256, 257, 520, 777] {
            for pattern in 0..6u32 {
                let flags: Vec<u8> = (0..size as u32)
                    .map(|i| match pattern {
                        0 => 1,
                        1 => u8::from(i % 3 == 0),
                        2 => u8::from(i * 7 % 11 == 2) * 255,
                        3 => u8::from(i + 1 == size as u32),
                        4 => u8::from(i % 8 == 7 || i % 8 == 0) * (1 + (i % 200) as u8),
                        _ => 0,
                    })
                    .collect();
                let expected: Vec<u32> = (0..size as u32)
                    .filter(|&i| flags[i as usize] != 0)
                    .collect();
                let mut spikes = Spikes::new(size);
                write_spikes(&flags, &mut spikes);
                assert_eq!(
                    spikes.indices(),
                    expected.as_slice(),
                    "size {size} pattern {pattern}"
                );
                for (i, &f) in flags.iter().enumerate() {
                    assert_eq!(spikes.contains(i), f != 0);
                }
            }
        }
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
