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
    if parts <= 1 {
        // One partition (the usual case): no division on the per-step path.
        return if part == 0 { 0..size } else { size..size };
    }
    let bound = |p: usize| {
        let p = p.min(parts);
        // size · p fits in 64 bits for any population hebb can hold (< 2^32 neurons) and any
        // partition count below 2^32; u128 keeps it exact beyond.
        match (size as u64).checked_mul(p as u64) {
            Some(product) => (product / parts as u64) as usize,
            None => ((size as u128 * p as u128) / parts as u128) as usize,
        }
    };
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

/// Finds one partition's part of many rows (as [`row_block`] does) while touching only the
/// memory near that part.
///
/// A row of `len` postsynaptic indices sorted ascending, drawn from a population of `n_post`,
/// has the part of block `[s, e)` near positions `len·s/n_post .. len·e/n_post`. Two binary
/// searches over the whole row would read cache lines all over it, so every partition would
/// pull every row of every arriving spike into its cache, and delivery, which is bound by
/// memory, would not get faster with threads. This guesses the bounds by that proportion and
/// then gallops from the guess: the result is exactly [`row_block`]'s, and a partition reads
/// only its own part of each row (plus a line or two), which [`RowLocator::guess`] also tells
/// the prefetcher.
#[derive(Debug, Clone)]
pub struct RowLocator {
    block: Range<usize>,
    /// `block.start / n_post` and `block.end / n_post` in 32.32 fixed point.
    start_fraction: u64,
    end_fraction: u64,
    /// The block starts at the first neuron / ends at the last: that bound needs no search.
    from_first: bool,
    to_last: bool,
}

impl RowLocator {
    /// For the rows of a projection onto `n_post` neurons, and one partition's `block`.
    pub fn new(block: Range<usize>, n_post: usize) -> Self {
        let fraction = |x: usize| {
            if n_post == 0 {
                0
            } else {
                ((x.min(n_post) as u128) << 32).div_euclid(n_post as u128) as u64
            }
        };
        Self {
            start_fraction: fraction(block.start),
            end_fraction: fraction(block.end),
            from_first: block.start == 0,
            to_last: block.end >= n_post,
            block,
        }
    }

    /// The expected positions of the block's part of a row of `len`: where to prefetch.
    #[inline]
    pub fn guess(&self, len: usize) -> Range<usize> {
        let at = |fraction: u64| ((len as u64 * fraction) >> 32) as usize;
        at(self.start_fraction)..at(self.end_fraction).max(at(self.start_fraction))
    }

    /// The positions of `posts` (sorted ascending) whose neuron lies in the block: exactly
    /// [`row_block`]`(posts, block)`.
    #[inline]
    pub fn locate(&self, posts: &[u32]) -> Range<usize> {
        let guess = self.guess(posts.len());
        let lo = if self.from_first {
            0
        } else {
            lower_bound_near(posts, self.block.start, guess.start)
        };
        let hi = if self.to_last {
            posts.len()
        } else {
            lo + lower_bound_near(&posts[lo..], self.block.end, guess.end.saturating_sub(lo))
        };
        lo..hi
    }
}

/// The first position of sorted `posts` whose value is at least `bound` (the
/// `partition_point` of `< bound`), searched outwards from `guess` by doubling steps.
#[inline]
fn lower_bound_near(posts: &[u32], bound: usize, guess: usize) -> usize {
    let n = posts.len();
    let below = |i: usize| (posts[i] as usize) < bound;
    let guess = guess.min(n);
    if guess < n && below(guess) {
        // The answer lies after `guess`: gallop right.
        let mut lo = guess + 1;
        let mut step = 1;
        loop {
            let probe = lo + step - 1;
            if probe >= n || !below(probe) {
                let hi = probe.min(n);
                return lo + posts[lo..hi].partition_point(|&j| (j as usize) < bound);
            }
            lo = probe + 1;
            step *= 2;
        }
    }
    // The answer is at most `guess`: gallop left.
    let mut hi = guess;
    let mut step = 1;
    loop {
        if hi == 0 {
            return 0;
        }
        let probe = hi.saturating_sub(step);
        if below(probe) {
            return probe + 1 + posts[probe + 1..hi].partition_point(|&j| (j as usize) < bound);
        }
        hi = probe;
        step *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_locator_finds_exactly_what_the_binary_searches_find() {
        use rand::RngExt;
        let mut rng = crate::rng::SimRng { seed: 7 }
            .streams("rows", "test")
            .stream(0);
        for n_post in [1usize, 2, 5, 100, 64_000] {
            for _ in 0..200 {
                // Sorted rows of any length, with repeats (multapses), skewed or uniform.
                let len = rng.random_range(0..300);
                let top = if rng.random_bool(0.3) {
                    n_post.min(7)
                } else {
                    n_post
                };
                let mut posts: Vec<u32> =
                    (0..len).map(|_| rng.random_range(0..top) as u32).collect();
                posts.sort_unstable();
                for parts in 1..5 {
                    for p in 0..parts {
                        let block = block_range(n_post, p, parts);
                        let locator = RowLocator::new(block.clone(), n_post);
                        assert_eq!(
                            locator.locate(&posts),
                            row_block(&posts, &block),
                            "row {posts:?}, block {block:?}"
                        );
                    }
                }
            }
        }
    }

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
