//! [`Executor::for_each_block`]: run a kernel on this process's partition blocks of several
//! per-neuron arrays at once, with the one-partition case as a plain call.
//!
//! A partitioned system used to zip one [`Executor::split_mut`] per array into nested tuples and
//! repeat the same call without splitting for one thread and one rank (so a tiny population
//! pays nothing per step). With this helper it names its arrays once, as a tuple:
//!
//! ```
//! # use hebb_core::parallel::Executor;
//! # let executor = Executor::new(2).unwrap();
//! let (mut v, mut current) = (vec![1.0f32; 10], vec![0.5f32; 10]);
//! let thresholds = vec![1.2f32; 10];
//! executor.for_each_block(
//!     10,
//!     (&mut v[..], &mut current[..], &thresholds[..]),
//!     |block, (v, current, thresholds)| {
//!         // `block`: the neurons of this partition; every slice holds exactly those.
//!         assert_eq!(v.len(), block.len());
//!         for ((v, c), th) in v.iter_mut().zip(current.iter_mut()).zip(thresholds) {
//!             *v += std::mem::take(c) - th;
//!         }
//!     },
//! );
//! assert_eq!(current, vec![0.0; 10]);
//! ```
//!
//! Every array must have one entry per neuron of the same population (`n`); `&mut [T]` is cut
//! into the partition's block, `&[T]` too (read-only, e.g. the postsynaptic membrane or
//! per-neuron parameters), `Option<A>` stays `None` in every partition, and tuples (up to 8,
//! nested for more) are cut element by element. Only the public [`Executor`] API is used, so the
//! helper does not depend on how the executor runs the partitions.

use std::ops::Range;

use super::executor::Executor;
use super::partition::{SplitBlocks, block_range};

/// Arrays with one entry per neuron that [`Executor::for_each_block`] cuts into partition
/// blocks: `&mut [T]`, `&[T]`, `Option` of those, and tuples of them.
pub trait Blocks: Sized + Send {
    /// One item per partition of this process, in order.
    type Parts: Iterator<Item = Self>;

    /// Cut into this process's partition blocks ([`Executor::block`] of every partition).
    fn blocks(self, executor: &Executor) -> Self::Parts;

    /// Whether every array has `n` entries (`None` arrays always match).
    fn has_len(&self, n: usize) -> bool;
}

impl<'a, T: Send> Blocks for &'a mut [T] {
    type Parts = SplitBlocks<'a, T>;

    #[inline]
    fn blocks(self, executor: &Executor) -> Self::Parts {
        executor.split_mut(self)
    }

    fn has_len(&self, n: usize) -> bool {
        self.len() == n
    }
}

impl<'a, T: Sync> Blocks for &'a [T] {
    type Parts = SharedBlocks<'a, T>;

    #[inline]
    fn blocks(self, executor: &Executor) -> Self::Parts {
        let threads = executor.threads();
        let first = executor.rank() * threads;
        SharedBlocks {
            slice: self,
            part: first,
            end: first + threads,
            parts: executor.ranks() * threads,
        }
    }

    fn has_len(&self, n: usize) -> bool {
        self.len() == n
    }
}

/// The blocks of a read-only slice (see [`Blocks`]).
#[derive(Debug)]
pub struct SharedBlocks<'a, T> {
    slice: &'a [T],
    part: usize,
    end: usize,
    parts: usize,
}

impl<'a, T> Iterator for SharedBlocks<'a, T> {
    type Item = &'a [T];

    fn next(&mut self) -> Option<&'a [T]> {
        if self.part >= self.end {
            return None;
        }
        let block = block_range(self.slice.len(), self.part, self.parts);
        self.part += 1;
        Some(&self.slice[block])
    }
}

impl<A: Blocks> Blocks for Option<A> {
    type Parts = OptionBlocks<A::Parts>;

    #[inline]
    fn blocks(self, executor: &Executor) -> Self::Parts {
        match self {
            Some(a) => OptionBlocks::Some(a.blocks(executor)),
            None => OptionBlocks::None(executor.threads()),
        }
    }

    fn has_len(&self, n: usize) -> bool {
        self.as_ref().is_none_or(|a| a.has_len(n))
    }
}

/// The blocks of an optional array: the array's blocks, or `None` once per partition.
#[derive(Debug)]
pub enum OptionBlocks<I> {
    /// The array's blocks.
    Some(I),
    /// No array: this many partitions left.
    None(usize),
}

impl<I: Iterator> Iterator for OptionBlocks<I> {
    type Item = Option<I::Item>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Some(parts) => parts.next().map(Some),
            Self::None(0) => None,
            Self::None(left) => {
                *left -= 1;
                Some(None)
            }
        }
    }
}

/// No arrays (an item that only needs its block, e.g. a projection without state of its own):
/// `()` once per partition.
impl Blocks for () {
    type Parts = std::iter::RepeatN<()>;

    #[inline]
    fn blocks(self, executor: &Executor) -> Self::Parts {
        std::iter::repeat_n((), executor.threads())
    }

    fn has_len(&self, _n: usize) -> bool {
        true
    }
}

/// The blocks of a tuple of arrays: one tuple of blocks per partition.
#[derive(Debug)]
pub struct TupleBlocks<I>(I);

macro_rules! tuple_blocks {
    ($($name:ident $index:tt),+) => {
        impl<$($name: Blocks),+> Blocks for ($($name,)+) {
            type Parts = TupleBlocks<($($name::Parts,)+)>;

            #[inline]
            fn blocks(self, executor: &Executor) -> Self::Parts {
                TupleBlocks(($(self.$index.blocks(executor),)+))
            }

            fn has_len(&self, n: usize) -> bool {
                $(self.$index.has_len(n))&&+
            }
        }

        impl<$($name: Iterator),+> Iterator for TupleBlocks<($($name,)+)> {
            type Item = ($($name::Item,)+);

            #[inline]
            fn next(&mut self) -> Option<Self::Item> {
                Some(($(self.0.$index.next()?,)+))
            }
        }
    };
}

tuple_blocks!(A 0);
tuple_blocks!(A 0, B 1);
tuple_blocks!(A 0, B 1, C 2);
tuple_blocks!(A 0, B 1, C 2, D 3);
tuple_blocks!(A 0, B 1, C 2, D 3, E 4);
tuple_blocks!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_blocks!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_blocks!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// One value per partition of this process (not per neuron), e.g. a partition's scratch
/// buffer: [`Blocks`] hands partition `p` a `PerPartition` of the slice's entry `p` alone. The
/// slice must have [`Executor::threads`] entries; inside `f` the partition's value is
/// [`PerPartition::get`].
#[derive(Debug)]
pub struct PerPartition<'a, T>(pub &'a mut [T]);

impl<T> PerPartition<'_, T> {
    /// This partition's value.
    #[inline]
    pub fn get(&mut self) -> &mut T {
        &mut self.0[0]
    }
}

impl<'a, T: Send> Blocks for PerPartition<'a, T> {
    type Parts = std::iter::Map<std::slice::ChunksMut<'a, T>, fn(&'a mut [T]) -> Self>;

    #[inline]
    fn blocks(self, executor: &Executor) -> Self::Parts {
        debug_assert_eq!(self.0.len(), executor.threads(), "one value per partition");
        self.0.chunks_mut(1).map(PerPartition)
    }

    fn has_len(&self, _n: usize) -> bool {
        !self.0.is_empty()
    }
}

impl Executor {
    /// Run `f(block, arrays_of_block)` once per partition of this process, in parallel: `block`
    /// is the partition's neurons in a population of `n` (its [`Executor::block`]) and the
    /// arrays (see [`Blocks`]; each with `n` entries) are cut to that block. With one thread and
    /// one rank ([`Executor::is_single`]) this is the plain call `f(0..n, arrays)`: no
    /// splitting, no per-step cost.
    ///
    /// `f` must write only into the arrays it is given (and values of its block's neurons), and
    /// compute each neuron's values the same way whatever the block: then the results are bit
    /// for bit those of one thread.
    #[inline]
    pub fn for_each_block<B: Blocks>(
        &self,
        n: usize,
        arrays: B,
        f: impl Fn(Range<usize>, B) + Sync,
    ) {
        debug_assert!(
            arrays.has_len(n),
            "for_each_block: every array needs {n} entries"
        );
        if self.is_single() {
            f(0..n, arrays);
        } else {
            self.for_each_part(arrays.blocks(self), |p, part| f(self.block(n, p), part));
        }
    }

    /// [`Executor::for_each_block`] for several groups of arrays in **one** region: item `k` is
    /// `(n_k, arrays_k)` (e.g. one population's arrays), and each partition runs
    /// `f(k, its block of n_k, its blocks of arrays_k)` for every item in order. One region
    /// instead of one per item means one hand-off and one wait per step instead of several, and
    /// the partitions' imbalances in the items can cancel out. With one thread and one rank this
    /// is the plain loop `f(k, 0..n_k, arrays_k)`.
    pub fn for_each_block_in_each<B: Blocks>(
        &self,
        items: Vec<(usize, B)>,
        f: impl Fn(usize, Range<usize>, B) + Sync,
    ) {
        if self.is_single() {
            for (k, (n, arrays)) in items.into_iter().enumerate() {
                debug_assert!(arrays.has_len(n), "every array needs {n} entries");
                f(k, 0..n, arrays);
            }
            return;
        }
        let sizes: Vec<usize> = items.iter().map(|(n, _)| *n).collect();
        let parts = transpose(self, items.into_iter().map(|(_, arrays)| arrays));
        self.for_each_part(parts, |p, blocks| {
            for (k, arrays) in blocks.into_iter().enumerate() {
                f(k, self.block(sizes[k], p), arrays);
            }
        });
    }

    /// Several projections onto several populations in **one** region. `targets` holds each
    /// postsynaptic population's arrays (`(n, arrays)`, e.g. its input current and membrane),
    /// `items` each projection's arrays with the index of its target in `targets` (its synapse
    /// state, one entry per postsynaptic neuron), in the canonical (creation) order. Each
    /// partition runs `f(k, block, its blocks of the target's arrays, its blocks of item `k`'s
    /// arrays)` for every item `k` in order, so every neuron still receives its projections in
    /// that order: the bits are those of one thread. With one thread and one rank it is the
    /// plain loop over the items on whole arrays.
    ///
    /// # Panics
    /// If an item names a target that does not exist.
    pub fn for_each_block_into<T: Blocks, B: Blocks>(
        &self,
        mut targets: Vec<(usize, T)>,
        items: Vec<(usize, B)>,
        f: impl Fn(usize, Range<usize>, &mut T, B) + Sync,
    ) {
        if self.is_single() {
            for (k, (t, arrays)) in items.into_iter().enumerate() {
                let (n, target) = &mut targets[t];
                debug_assert!(arrays.has_len(*n) && target.has_len(*n));
                f(k, 0..*n, target, arrays);
            }
            return;
        }
        let sizes: Vec<usize> = targets.iter().map(|(n, _)| *n).collect();
        let which: Vec<usize> = items.iter().map(|(t, _)| *t).collect();
        assert!(which.iter().all(|&t| t < sizes.len()), "no such target");
        let target_parts = transpose(self, targets.into_iter().map(|(_, arrays)| arrays));
        let item_parts = transpose(self, items.into_iter().map(|(_, arrays)| arrays));
        self.for_each_part(
            target_parts.into_iter().zip(item_parts),
            |p, (mut targets, items)| {
                for (k, (arrays, &t)) in items.into_iter().zip(&which).enumerate() {
                    f(k, self.block(sizes[t], p), &mut targets[t], arrays);
                }
            },
        );
    }
}

/// The partition blocks of several groups of arrays, by partition: item `p` holds every
/// group's blocks for partition `p`, in the groups' order.
fn transpose<B: Blocks>(
    executor: &Executor,
    groups: impl ExactSizeIterator<Item = B>,
) -> Vec<Vec<B>> {
    let count = groups.len();
    let mut parts: Vec<Vec<B>> = (0..executor.threads())
        .map(|_| Vec::with_capacity(count))
        .collect();
    for arrays in groups {
        for (part, block) in parts.iter_mut().zip(arrays.blocks(executor)) {
            part.push(block);
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_array_is_cut_into_the_same_blocks_as_split_mut() {
        let n = 103;
        for ranks in 1..4 {
            for threads in 1..4 {
                for rank in 0..ranks {
                    let exec = Executor::new(threads)
                        .unwrap()
                        .with_rank(rank, ranks)
                        .unwrap();
                    let mut a = vec![0usize; n];
                    let mut b = vec![0u8; n];
                    let index: Vec<usize> = (0..n).collect();
                    exec.for_each_block(
                        n,
                        (&mut a[..], (&mut b[..], None::<&[u8]>), &index[..]),
                        |block, (a, (b, none), index)| {
                            assert!(none.is_none());
                            assert_eq!((a.len(), b.len()), (block.len(), block.len()));
                            assert_eq!(index.first().copied(), Some(block.start));
                            for (k, (a, b)) in a.iter_mut().zip(b.iter_mut()).enumerate() {
                                *a = index[k] + 1;
                                *b += 1;
                            }
                        },
                    );
                    let owned = exec.owned(n);
                    for i in 0..n {
                        let touched = owned.contains(&i);
                        assert_eq!(a[i], if touched { i + 1 } else { 0 }, "neuron {i}");
                        assert_eq!(b[i], u8::from(touched));
                    }
                }
            }
        }
    }

    #[test]
    fn one_region_for_many_items_writes_what_one_region_per_item_writes() {
        // Two targets of different sizes, three items in canonical order (two onto target 0):
        // each neuron must see its items in that order, whatever the split.
        let (n0, n1) = (37, 11);
        let executor = |ranks: usize, rank: usize, threads: usize| {
            Executor::new(threads)
                .unwrap()
                .with_rank(rank, ranks)
                .unwrap()
        };
        let reference = |ranks: usize, rank: usize, threads: usize| {
            let exec = executor(ranks, rank, threads);
            let mut t0 = vec![1.0f64; n0];
            let mut t1 = vec![1.0f64; n1];
            let mut items = [vec![0.0f64; n0], vec![0.0; n1], vec![0.0; n0]];
            for (k, item) in items.iter_mut().enumerate() {
                let target = if k == 1 { &mut t1 } else { &mut t0 };
                let n = target.len();
                exec.for_each_block(n, (&mut target[..], &mut item[..]), |block, (t, it)| {
                    for (j, (t, it)) in t.iter_mut().zip(it.iter_mut()).enumerate() {
                        *t = *t * 3.0 + (k + block.start + j) as f64;
                        *it = *t;
                    }
                });
            }
            (t0, t1, items)
        };
        for ranks in 1..3 {
            for rank in 0..ranks {
                for threads in 1..4 {
                    let exec = executor(ranks, rank, threads);
                    let mut t0 = vec![1.0f64; n0];
                    let mut t1 = vec![1.0f64; n1];
                    let mut items = [vec![0.0f64; n0], vec![0.0; n1], vec![0.0; n0]];
                    let [a, b, c] = &mut items;
                    let (k0, k1, k2) = (vec![0usize; n0], vec![1usize; n1], vec![2usize; n0]);
                    let calls = std::sync::atomic::AtomicUsize::new(0);
                    exec.for_each_block_into(
                        vec![(n0, (&mut t0[..],)), (n1, (&mut t1[..],))],
                        vec![
                            (0, (&mut a[..], &k0[..])),
                            (1, (&mut b[..], &k1[..])),
                            (0, (&mut c[..], &k2[..])),
                        ],
                        |_, block, (t,), (it, k)| {
                            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            for (j, (t, it)) in t.iter_mut().zip(it.iter_mut()).enumerate() {
                                *t = *t * 3.0 + (k[j] + block.start + j) as f64;
                                *it = *t;
                            }
                        },
                    );
                    assert_eq!((t0, t1, items), reference(ranks, rank, threads));
                    assert_eq!(calls.into_inner(), 3 * threads);
                }
            }
        }
    }

    #[test]
    fn each_item_of_one_region_gets_its_own_blocks_and_partition_values() {
        for threads in 1..4 {
            let exec = Executor::new(threads).unwrap();
            let mut a = vec![0usize; 10];
            let mut b = vec![0usize; 25];
            let mut scratch = vec![Vec::new(); 2 * threads];
            let (sa, sb) = scratch.split_at_mut(threads);
            exec.for_each_block_in_each(
                vec![
                    (10, (&mut a[..], PerPartition(sa))),
                    (25, (&mut b[..], PerPartition(sb))),
                ],
                |k, block, (v, mut seen)| {
                    assert_eq!(v.len(), block.len());
                    v.fill(k + 1);
                    seen.get().push(block);
                },
            );
            assert_eq!((a, b), (vec![1; 10], vec![2; 25]));
            for (k, n) in [(0, 10), (1, 25)] {
                let blocks: Vec<_> = scratch[k * threads..(k + 1) * threads].concat();
                let expected: Vec<_> = (0..threads).map(|p| exec.block(n, p)).collect();
                assert_eq!(blocks, expected);
            }
        }
    }

    #[test]
    fn one_partition_is_one_plain_call_on_the_whole_arrays() {
        let exec = Executor::default();
        let mut v = vec![1.0f32; 7];
        let calls = std::sync::atomic::AtomicUsize::new(0);
        exec.for_each_block(7, (&mut v[..],), |block, (v,)| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            assert_eq!(block, 0..7);
            v.fill(2.0);
        });
        assert_eq!(calls.into_inner(), 1);
        assert_eq!(v, vec![2.0; 7]);
    }
}
