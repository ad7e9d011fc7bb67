//! Each sparse row's split positions at the partition boundaries, kept per partition layout, so
//! that a partition finds its part of an arriving row with one load instead of a search.
//!
//! A partition owns the synapses of its postsynaptic block, which is one contiguous slice of
//! every CSR row (rows are sorted by postsynaptic neuron). Delivery on several threads used to
//! find that slice at every arrival by searching the row near its expected position
//! ([`RowLocator`]): on COBA 64k with 2 threads that was ≈ 80 k instructions per step, ≈ 12 % of
//! a step, paid twice (both partitions visit every arriving row). The positions depend only on
//! the row and the boundary, so they are computed once, when the partition layout changes
//! ([`crate::simulation::Simulation::set_threads`], `set_rank`, or when a projection is added
//! to a simulation on several threads), and kept in the [`crate::connectivity::Csr`].
//!
//! **Memory.** One offset within the row per row and inner boundary: 2 bytes per row and
//! boundary while every row holds at most 65 535 synapses (4 bytes otherwise), nothing for the
//! first and last boundary (0 and the row's length) and nothing at all on one thread. On 2
//! threads that is 2 bytes per presynaptic neuron (COBA 64k: 128 kB beside 41 MB of synapses).

use std::ops::Range;

use super::partition::RowLocator;

/// How a partition finds its part of a row: the positions of the row's synapses onto its
/// postsynaptic block. Implemented by the kept splits ([`BlockOffsets`], one load per row) and by
/// the search ([`RowLocator`]); both give exactly [`super::row_block`]'s result.
pub trait FindRowPart {
    /// [`FindRowPart::near`] is the part itself (no search needed): a caller that prefetches
    /// ahead can keep the parts it computed for the prefetch.
    const EXACT: bool;

    /// The positions within row `row` (whose postsynaptic indices, sorted, are `posts`) of the
    /// block's synapses.
    fn part(&self, row: usize, posts: &[u32]) -> Range<usize>;

    /// Positions within row `row` (of `len` synapses) to prefetch before [`FindRowPart::part`]:
    /// the part itself, or a guess around it.
    fn near(&self, row: usize, len: usize) -> Range<usize>;
}

/// Synapses prefetched on either side of [`RowLocator`]'s guess (a row's part of a block lies
/// within a few entries of its expected position).
const GUESS_SLACK: usize = 8;

impl FindRowPart for RowLocator {
    const EXACT: bool = false;

    #[inline]
    fn part(&self, _row: usize, posts: &[u32]) -> Range<usize> {
        self.locate(posts)
    }

    #[inline]
    fn near(&self, _row: usize, len: usize) -> Range<usize> {
        let guess = self.guess(len);
        guess.start.saturating_sub(GUESS_SLACK)..(guess.end + GUESS_SLACK).min(len)
    }
}

/// The kept split positions of a CSR's rows at some postsynaptic boundaries (see the module
/// docs). Built by [`crate::connectivity::Csr::split_rows_at`].
#[derive(Debug, Clone)]
pub struct RowSplits {
    /// The boundaries (postsynaptic neurons), ascending, each strictly inside `1..n_post`.
    bounds: Vec<usize>,
    /// The postsynaptic population's size.
    n_post: usize,
    /// Boundary-major: entry `k·n_pre + i` is the first position in row `i` whose neuron is at
    /// least `bounds[k]`.
    offsets: Offsets,
}

#[derive(Debug, Clone)]
enum Offsets {
    /// Every row holds at most `u16::MAX` synapses.
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl RowSplits {
    /// The split positions of the rows `row_ptr` / `post` (each row sorted ascending) of a
    /// projection onto `n_post` neurons at `bounds`; boundaries at 0 or from `n_post` on need
    /// none and are left out. `None` when no boundary is left.
    pub(crate) fn new(
        n_post: usize,
        row_ptr: &[u32],
        post: &[u32],
        bounds: &[usize],
    ) -> Option<Self> {
        let mut bounds: Vec<usize> = bounds
            .iter()
            .copied()
            .filter(|&b| b > 0 && b < n_post)
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        if bounds.is_empty() {
            return None;
        }
        let rows = row_ptr
            .windows(2)
            .map(|r| &post[r[0] as usize..r[1] as usize]);
        let widest = rows.clone().map(<[u32]>::len).max().unwrap_or(0);
        let positions = bounds.iter().flat_map(|&b| {
            rows.clone()
                .map(move |posts| posts.partition_point(|&j| (j as usize) < b))
        });
        let offsets = if widest <= usize::from(u16::MAX) {
            Offsets::Narrow(positions.map(|x| x as u16).collect())
        } else {
            Offsets::Wide(positions.map(|x| x as u32).collect())
        };
        Some(Self {
            bounds,
            n_post,
            offsets,
        })
    }

    /// The boundaries kept, ascending.
    pub fn bounds(&self) -> &[usize] {
        &self.bounds
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        8 * self.bounds.len()
            + match &self.offsets {
                Offsets::Narrow(o) => 2 * o.len(),
                Offsets::Wide(o) => 4 * o.len(),
            }
    }

    /// The parts of every row for the postsynaptic `block`, if its bounds are kept (or need
    /// none: 0 and `n_post`).
    pub fn block(&self, block: &Range<usize>) -> Option<RowParts<'_>> {
        let n_pre = match &self.offsets {
            Offsets::Narrow(o) => o.len(),
            Offsets::Wide(o) => o.len(),
        } / self.bounds.len();
        let side = |b: usize| -> Option<Side<Range<usize>>> {
            Some(if b == 0 {
                Side::RowStart
            } else if b >= self.n_post {
                Side::RowEnd
            } else {
                let k = self.bounds.binary_search(&b).ok()?;
                Side::At(k * n_pre..(k + 1) * n_pre)
            })
        };
        let (start, end) = (side(block.start)?, side(block.end)?);
        Some(match &self.offsets {
            Offsets::Narrow(o) => RowParts::Narrow(BlockOffsets::of(o, start, end)),
            Offsets::Wide(o) => RowParts::Wide(BlockOffsets::of(o, start, end)),
        })
    }
}

/// One postsynaptic block's part of every row of a CSR, from its kept [`RowSplits`]: offsets
/// of `u16` or `u32` (see [`BlockOffsets`]).
#[derive(Debug, Clone, Copy)]
pub enum RowParts<'a> {
    /// Rows of at most `u16::MAX` synapses.
    Narrow(BlockOffsets<'a, u16>),
    /// Longer rows.
    Wide(BlockOffsets<'a, u32>),
}

/// A block's part of every row: from its start bound to its end bound, each the row's first
/// position (block bound 0), its end (bound `n_post`) or a kept offset per row.
#[derive(Debug, Clone, Copy)]
pub struct BlockOffsets<'a, T> {
    start: Side<&'a [T]>,
    end: Side<&'a [T]>,
}

/// Where one bound of a block lies in each row.
#[derive(Debug, Clone, Copy)]
enum Side<T> {
    RowStart,
    RowEnd,
    /// Row `i`'s position is entry `i`.
    At(T),
}

impl<'a, T> BlockOffsets<'a, T> {
    fn of(offsets: &'a [T], start: Side<Range<usize>>, end: Side<Range<usize>>) -> Self {
        let side = |s: Side<Range<usize>>| match s {
            Side::RowStart => Side::RowStart,
            Side::RowEnd => Side::RowEnd,
            Side::At(r) => Side::At(&offsets[r]),
        };
        Self {
            start: side(start),
            end: side(end),
        }
    }
}

macro_rules! find_in_offsets {
    ($t:ty) => {
        impl FindRowPart for BlockOffsets<'_, $t> {
            const EXACT: bool = true;

            #[inline]
            fn part(&self, row: usize, posts: &[u32]) -> Range<usize> {
                self.near(row, posts.len())
            }

            #[inline]
            fn near(&self, row: usize, len: usize) -> Range<usize> {
                let at = |side: Side<&[$t]>| match side {
                    Side::RowStart => 0,
                    Side::RowEnd => len,
                    Side::At(offsets) => offsets[row] as usize,
                };
                at(self.start)..at(self.end)
            }
        }
    };
}

find_in_offsets!(u16);
find_in_offsets!(u32);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::{block_range, row_block};

    /// Rows (CSR arrays) of `lens` synapses each onto `n_post` neurons, sorted, with repeats.
    fn rows(n_post: usize, lens: &[usize], seed: u64) -> (Vec<u32>, Vec<u32>) {
        use rand::RngExt;
        let mut rng = crate::rng::SimRng { seed }
            .streams("rows", "test")
            .stream(0);
        let mut row_ptr = vec![0u32];
        let mut post = Vec::new();
        for &len in lens {
            let mut row: Vec<u32> = (0..len)
                .map(|_| rng.random_range(0..n_post as u32))
                .collect();
            row.sort_unstable();
            post.extend(row);
            row_ptr.push(post.len() as u32);
        }
        (row_ptr, post)
    }

    fn check(n_post: usize, row_ptr: &[u32], post: &[u32], parts: usize) {
        let bounds: Vec<usize> = (0..=parts)
            .map(|p| block_range(n_post, p, parts).start)
            .collect();
        let splits = RowSplits::new(n_post, row_ptr, post, &bounds);
        assert_eq!(splits.is_none(), parts == 1 || n_post <= 1);
        let Some(splits) = splits else { return };
        for p in 0..parts {
            let block = block_range(n_post, p, parts);
            let found = splits
                .block(&block)
                .expect("every block of the layout is kept");
            for (i, r) in row_ptr.windows(2).enumerate() {
                let posts = &post[r[0] as usize..r[1] as usize];
                let expected = row_block(posts, &block);
                let part = match found {
                    RowParts::Narrow(o) => (o.part(i, posts), o.near(i, posts.len())),
                    RowParts::Wide(o) => (o.part(i, posts), o.near(i, posts.len())),
                };
                assert_eq!(
                    part,
                    (expected.clone(), expected),
                    "row {i}, block {block:?}"
                );
            }
        }
    }

    #[test]
    fn kept_splits_give_exactly_what_the_binary_searches_give() {
        for n_post in [1usize, 2, 5, 100, 64_000] {
            let (row_ptr, post) = rows(n_post, &[0, 1, 3, 80, 0, 299, 2], n_post as u64);
            for parts in 1..6 {
                check(n_post, &row_ptr, &post, parts);
            }
        }
    }

    #[test]
    fn rows_longer_than_u16_get_wide_offsets() {
        let (row_ptr, post) = rows(1000, &[70_000, 5, 0], 3);
        let splits = RowSplits::new(1000, &row_ptr, &post, &[0, 500, 1000]).unwrap();
        assert!(matches!(splits.block(&(0..500)), Some(RowParts::Wide(_))));
        assert_eq!(splits.heap_bytes(), 8 + 4 * 3);
        check(1000, &row_ptr, &post, 2);
        check(1000, &row_ptr, &post, 3);
        let narrow = RowSplits::new(1000, &row_ptr[1..], &post, &[500]).unwrap();
        assert!(matches!(
            narrow.block(&(500..1000)),
            Some(RowParts::Narrow(_))
        ));
    }

    #[test]
    fn a_block_of_another_layout_is_not_found() {
        let (row_ptr, post) = rows(100, &[10, 20], 1);
        let splits = RowSplits::new(100, &row_ptr, &post, &[0, 50, 100]).unwrap();
        assert_eq!(splits.bounds(), &[50]);
        assert!(splits.block(&(0..33)).is_none());
        assert!(splits.block(&(33..66)).is_none());
        assert!(splits.block(&(50..100)).is_some());
        assert!(
            splits.block(&(0..100)).is_some(),
            "the whole row needs no split"
        );
        let Some(RowParts::Narrow(empty)) = splits.block(&(100..100)) else {
            panic!("an empty last block needs no split");
        };
        assert_eq!(empty.near(1, 20), 20..20);
        assert!(RowSplits::new(100, &row_ptr, &post, &[0, 100]).is_none());
    }
}
