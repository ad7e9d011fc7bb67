//! Which rank owns which neurons, and how often ranks must talk.
//!
//! ## Ownership rule
//! Every population is cut into `K` contiguous blocks, one per rank, in rank order: with `N`
//! neurons, rank `r` owns neurons `⌊r·N/K⌋ .. ⌊(r+1)·N/K⌋`. A rank owns the incoming synapses
//! of its neurons (their delivery, synapse state and plasticity state) and their recorder
//! columns. A population smaller than `K` leaves some ranks without neurons of it, which is
//! allowed; a run with more ranks than the largest population is refused (some rank would own
//! nothing at all).
//!
//! ## Communication interval
//! A neuron's spike at step `k` acts at step `k + 1 + d` (projection delay `d` steps), so the
//! spikes emitted during `d_min + 1` consecutive steps are not needed anywhere before those
//! steps are over: ranks exchange once every `d_min + 1` steps, where `d_min` is the smallest
//! delay of the projections whose presynaptic population is a neuron population. A delay of 0
//! gives an exchange every step; there is no lower limit on delays. Input populations (Poisson,
//! spike sources) are not exchanged: every rank generates them in full from the same
//! counter-based streams, so an input's spike at step `k` acts at `k + d` exactly as in one
//! process, delay 0 included.

use std::ops::Range;

use hebb_core::parallel::block_range;

use crate::error::DistError;

/// The neurons of one population owned by one rank: `⌊r·N/K⌋ .. ⌊(r+1)·N/K⌋`, the thread
/// partitions' block rule ([`block_range`]), so that a rank's threads split exactly its block.
pub fn owned_range(size: usize, rank: usize, ranks: usize) -> Range<usize> {
    debug_assert!(rank < ranks);
    block_range(size, rank, ranks)
}

/// The rank owning neuron `i` of a population of `size` neurons.
pub fn owner_of(i: usize, size: usize, ranks: usize) -> usize {
    debug_assert!(i < size);
    // The largest r with ⌊r·N/K⌋ ≤ i.
    let guess = ((i as u128 * ranks as u128) / size as u128) as usize;
    let mut r = guess.min(ranks - 1);
    while owned_range(size, r, ranks).start > i {
        r -= 1;
    }
    while owned_range(size, r, ranks).end <= i {
        r += 1;
    }
    r
}

/// Check that `ranks` ranks can share populations of these sizes.
pub fn check_ranks(ranks: usize, population_sizes: &[usize]) -> Result<(), DistError> {
    let largest = population_sizes.iter().copied().max().unwrap_or(0);
    if ranks == 0 {
        return Err(DistError::Layout("a run needs at least one rank".into()));
    }
    if ranks > largest {
        return Err(DistError::Layout(format!(
            "{ranks} ranks but the largest population has {largest} neuron(s): every rank must \
             own at least one neuron (neurons are split into one contiguous block per rank); \
             start at most {largest} ranks"
        )));
    }
    Ok(())
}

/// Steps between two spike exchanges: `d_min + 1`, with `d_min` the smallest delay in steps of
/// the projections from neuron (not input) populations; `None` when no projection leaves a
/// neuron population (nothing needs exchanging during the run).
pub fn communication_interval(
    neuron_projection_delays: impl IntoIterator<Item = u32>,
) -> Option<u32> {
    neuron_projection_delays.into_iter().min().map(|d| d + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_every_neuron_once_in_order() {
        for size in [1usize, 2, 3, 7, 10, 4000] {
            for ranks in 1..=5 {
                let mut next = 0;
                for r in 0..ranks {
                    let range = owned_range(size, r, ranks);
                    assert_eq!(range.start, next);
                    next = range.end;
                    for i in range {
                        assert_eq!(owner_of(i, size, ranks), r, "size {size} ranks {ranks}");
                    }
                }
                assert_eq!(next, size);
            }
        }
        assert_eq!(owned_range(10, 1, 3), 3..6);
        assert_eq!(owned_range(2, 0, 3), 0..0);
    }

    #[test]
    fn too_many_ranks_is_a_clear_error() {
        assert!(check_ranks(3, &[3, 1]).is_ok());
        let err = check_ranks(4, &[3, 1]).unwrap_err().to_string();
        assert!(
            err.contains("4 ranks") && err.contains("3 neuron(s)"),
            "{err}"
        );
    }

    #[test]
    fn interval_is_smallest_delay_plus_one() {
        assert_eq!(communication_interval([15, 0, 7]), Some(1));
        assert_eq!(communication_interval([15, 7]), Some(8));
        assert_eq!(communication_interval([]), None);
    }
}
