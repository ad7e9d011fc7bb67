//! The partition rule: contiguous blocks of each population's neurons.
//!
//! Partition `p` of `P` owns neurons `⌊n·p/P⌋ .. ⌊n·(p+1)/P⌋` of every population of size `n`
//! (so each block differs in size by at most one neuron, blocks are in order and cover every
//! neuron once). Synapses belong to the partition of their **postsynaptic** neuron; because
//! every CSR row is sorted by postsynaptic neuron, a partition's synapses of one presynaptic
//! neuron are one contiguous sub-range of the row ([`row_block`]).
//!
//! An MPI rank is a set of consecutive partitions under the same rule (see `docs/parallel.md`).

use std::ops::Range;

/// The neurons `[start, end)` that block `part` of `parts` owns in a population of `size`
/// neurons: `start = ⌊size · part / parts⌋`.
#[inline]
pub fn block_range(size: usize, part: usize, parts: usize) -> Range<usize> {
    let bound = |p: usize| ((size as u128 * p as u128) / parts.max(1) as u128) as usize;
    bound(part)..bound(part + 1)
}

/// `slice` cut into the `parts` blocks of [`block_range`] (`slice.len()` is the population
/// size), in order, without allocating. Zip several of these to hand each partition its block
/// of every array.
pub fn split_blocks_mut<T>(slice: &mut [T], parts: usize) -> SplitBlocks<'_, T> {
    split_some_blocks_mut(slice, 0..parts.max(1), parts.max(1))
}

/// The blocks `mine` (a range of partition numbers) of `slice` cut into `parts` blocks by
/// [`block_range`], in order: what one process of several owns (an MPI rank owns consecutive
/// partitions). The other blocks are left out.
pub fn split_some_blocks_mut<T>(
    slice: &mut [T],
    mine: Range<usize>,
    parts: usize,
) -> SplitBlocks<'_, T> {
    let size = slice.len();
    let parts = parts.max(1);
    let mine = mine.start.min(parts)..mine.end.min(parts);
    let start = block_range(size, mine.start, parts).start;
    SplitBlocks {
        size,
        rest: &mut slice[start..],
        part: mine.start,
        end: mine.end,
        parts,
    }
}

/// The iterator of [`split_blocks_mut`] and [`split_some_blocks_mut`].
#[derive(Debug)]
pub struct SplitBlocks<'a, T> {
    size: usize,
    /// The slice from the start of block `part` on.
    rest: &'a mut [T],
    part: usize,
    end: usize,
    parts: usize,
}

impl<'a, T> Iterator for SplitBlocks<'a, T> {
    type Item = &'a mut [T];

    fn next(&mut self) -> Option<&'a mut [T]> {
        if self.part >= self.end {
            return None;
        }
        let len = block_range(self.size, self.part, self.parts).len();
        self.part += 1;
        let (head, tail) = std::mem::take(&mut self.rest).split_at_mut(len);
        self.rest = tail;
        Some(head)
    }
}

/// The positions in a row of postsynaptic indices sorted ascending (`posts`) whose neuron lies
/// in `block`: two binary searches.
#[inline]
pub fn row_block(posts: &[u32], block: &Range<usize>) -> Range<usize> {
    let lo = posts.partition_point(|&j| (j as usize) < block.start);
    let hi = lo + posts[lo..].partition_point(|&j| (j as usize) < block.end);
    lo..hi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_every_neuron_once_in_order() {
        for size in [0, 1, 2, 7, 64_000] {
            for parts in 1..6 {
                let mut next = 0;
                for p in 0..parts {
                    let r = block_range(size, p, parts);
                    assert_eq!(r.start, next);
                    assert!(r.len() <= size / parts + 1);
                    next = r.end;
                }
                assert_eq!(next, size);
                let mut v: Vec<usize> = (0..size).collect();
                let blocks: Vec<_> = split_blocks_mut(&mut v, parts).collect();
                assert_eq!(blocks.len(), parts);
                for (p, b) in blocks.iter().enumerate() {
                    assert_eq!(
                        b.first().copied(),
                        Some(block_range(size, p, parts).start).filter(|_| !b.is_empty())
                    );
                }
            }
        }
        assert_eq!(block_range(10, 1, 3), 3..6);
    }

    #[test]
    fn some_blocks_are_the_same_blocks_as_all_of_them() {
        for size in [0, 5, 1001] {
            let mut all: Vec<usize> = (0..size).collect();
            let whole: Vec<Vec<usize>> =
                split_blocks_mut(&mut all, 6).map(|b| b.to_vec()).collect();
            for mine in [0..2, 2..4, 4..6, 0..6, 3..3] {
                let mut v: Vec<usize> = (0..size).collect();
                let some: Vec<Vec<usize>> = split_some_blocks_mut(&mut v, mine.clone(), 6)
                    .map(|b| b.to_vec())
                    .collect();
                assert_eq!(some, whole[mine].to_vec());
            }
        }
    }

    #[test]
    fn row_blocks_select_the_posts_in_the_block() {
        let row = [0u32, 2, 3, 3, 7, 9];
        assert_eq!(row_block(&row, &(0..3)), 0..2);
        assert_eq!(row_block(&row, &(3..8)), 2..5);
        assert_eq!(row_block(&row, &(8..10)), 5..6);
        assert_eq!(row_block(&row, &(4..7)), 4..4);
        assert_eq!(row_block(&[], &(0..7)), 0..0);
    }
}
