//! [`Executor`]: runs one closure per partition, on the simulation's own thread pool.
//!
//! With one thread there is no team and no per-step cost: the closure runs inline. With `P`
//! threads the simulation owns a [`ForkJoin`] team of `P − 1` spinning workers; partition 0
//! runs on the calling thread while partitions `1..P` run on the workers, and the call returns
//! when all are done. Which thread runs which partition never changes a result: each partition
//! writes only what it owns.
//!
//! A process that is one rank of several (MPI) runs only its own partitions: with `R` ranks of
//! `P` threads the network has `R·P` partitions, and rank `r` owns partitions `r·P .. (r+1)·P`,
//! which together are the block [`block_range`]`(n, r, R)` of every population. Systems ask the
//! executor for their blocks ([`Executor::split_mut`], [`Executor::block`]) and so never touch
//! the neurons of another rank.

use std::cell::UnsafeCell;
use std::ops::Range;
use std::sync::Arc;

use bevy_ecs::resource::Resource;

use super::fork_join::ForkJoin;
use super::partition::{SplitBlocks, block_range, split_some_blocks_mut};

/// Networks with fewer (non-input) neurons than this run on one thread by default (measured on
/// the project's 2-core VM, `docs/parallel.md`).
pub const AUTO_MIN_NEURONS: usize = 100_000;

/// The most threads the automatic choice uses.
pub const AUTO_MAX_THREADS: usize = 8;

/// The default thread count for a network of `neurons` non-input neurons: 1 below
/// [`AUTO_MIN_NEURONS`], else the available cores, at most [`AUTO_MAX_THREADS`].
pub fn auto_threads(neurons: usize) -> usize {
    if neurons < AUTO_MIN_NEURONS {
        return 1;
    }
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, AUTO_MAX_THREADS)
}

/// `threads` must be at least 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThreadsError {
    /// Zero threads asked for.
    #[error("threads must be at least 1, got 0")]
    Zero,
    /// A rank outside `0..ranks`.
    #[error("rank {rank} of {ranks} does not exist")]
    Rank {
        /// The rank asked for.
        rank: usize,
        /// The number of ranks.
        ranks: usize,
    },
    /// The operating system refused to start the worker threads.
    #[error("could not start {threads} threads: {message}")]
    Spawn {
        /// Threads asked for.
        threads: usize,
        /// The system's message.
        message: String,
    },
}

/// The partitions this process runs (its threads, within its rank) and the pool that runs them.
#[derive(Resource, Clone)]
pub struct Executor {
    /// Workers for partitions `1..P`; `None` with one thread.
    pool: Option<Arc<ForkJoin>>,
    /// This process's rank.
    rank: usize,
    /// Number of ranks (processes) the network is spread over.
    ranks: usize,
}

impl Default for Executor {
    fn default() -> Self {
        Self {
            pool: None,
            rank: 0,
            ranks: 1,
        }
    }
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("threads", &self.threads())
            .field("rank", &self.rank)
            .field("ranks", &self.ranks)
            .finish()
    }
}

impl Executor {
    /// An executor with `threads` partitions (1 = inline, no pool).
    pub fn new(threads: usize) -> Result<Self, ThreadsError> {
        match threads {
            0 => Err(ThreadsError::Zero),
            1 => Ok(Self::default()),
            n => ForkJoin::new(n)
                .map(|pool| Self {
                    pool: Some(Arc::new(pool)),
                    ..Self::default()
                })
                .map_err(|e| ThreadsError::Spawn {
                    threads: n,
                    message: e.to_string(),
                }),
        }
    }

    /// The number of threads, which is also the number of partitions.
    #[inline]
    pub fn threads(&self) -> usize {
        self.pool.as_ref().map_or(1, |pool| pool.threads())
    }

    /// The same threads, as rank `rank` of `ranks`: from now on this process runs only its
    /// own partitions.
    pub fn with_rank(self, rank: usize, ranks: usize) -> Result<Self, ThreadsError> {
        if rank >= ranks {
            return Err(ThreadsError::Rank { rank, ranks });
        }
        Ok(Self {
            rank,
            ranks,
            ..self
        })
    }

    /// One thread and one rank: a system may skip splitting and run its kernel on whole arrays
    /// (the per-step cost of a tiny population then stays what it was without threads).
    #[inline]
    pub fn is_single(&self) -> bool {
        self.pool.is_none() && self.ranks == 1
    }

    /// This process's rank (0 without MPI).
    #[inline]
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of ranks (1 without MPI).
    #[inline]
    pub fn ranks(&self) -> usize {
        self.ranks
    }

    /// The neurons this process owns in a population of `size`: [`block_range`]`(size, rank,
    /// ranks)` (every neuron with one rank).
    #[inline]
    pub fn owned(&self, size: usize) -> Range<usize> {
        block_range(size, self.rank, self.ranks)
    }

    /// The neurons of this process's partition `p` (`0..threads`) in a population of `size`.
    #[inline]
    pub fn block(&self, size: usize, p: usize) -> Range<usize> {
        let threads = self.threads();
        block_range(size, self.rank * threads + p, self.ranks * threads)
    }

    /// The bounds of this process's partitions in a population of `size`: the first neuron of
    /// each partition, then the end of the last (`threads + 1` values, ascending). Sparse rows
    /// keep their split positions at these ([`crate::connectivity::Csr::split_rows_at`]).
    pub fn partition_bounds(&self, size: usize) -> Vec<usize> {
        let threads = self.threads();
        let first = self.rank * threads;
        (first..=first + threads)
            .map(|g| block_range(size, g, self.ranks * threads).start)
            .collect()
    }

    /// `slice` (one value per neuron of a population) cut into this process's partitions'
    /// blocks, in order: item `p` is `&mut slice[self.block(slice.len(), p)]`. Zip several and
    /// hand them to [`Executor::for_each_part`].
    #[inline]
    pub fn split_mut<'a, T>(&self, slice: &'a mut [T]) -> SplitBlocks<'a, T> {
        let threads = self.threads();
        let first = self.rank * threads;
        split_some_blocks_mut(slice, first..first + threads, self.ranks * threads)
    }

    /// Run `f(p, item)` for the `p`-th item of `work` (one item per partition, usually zipped
    /// [`split_blocks_mut`](super::split_blocks_mut) iterators), in parallel, and return when
    /// all are done. With one thread it runs inline, in order, and allocates nothing. Items
    /// beyond the thread count (there are none when `work` comes from [`Executor::split_mut`])
    /// run on partition `p % threads`, in order.
    pub fn for_each_part<T: Send>(
        &self,
        work: impl IntoIterator<Item = T>,
        f: impl Fn(usize, T) + Sync,
    ) {
        match &self.pool {
            Some(pool) => {
                let slots = Slots(work.into_iter().map(|t| UnsafeCell::new(Some(t))).collect());
                let threads = pool.threads();
                pool.run(&|w| {
                    for p in (w..slots.len()).step_by(threads) {
                        // SAFETY: partition `w` is the only one to take slot `p` (p % threads == w).
                        if let Some(item) = unsafe { slots.take(p) } {
                            f(p, item);
                        }
                    }
                });
            }
            None => {
                for (p, item) in work.into_iter().enumerate() {
                    f(p, item);
                }
            }
        }
    }
}

/// One region's work items, each taken by exactly one partition.
struct Slots<T>(Vec<UnsafeCell<Option<T>>>);

// SAFETY: slot `p` is only ever accessed by the partition that runs `p`, and the items are
// `Send`; `ForkJoin::run` returns only after every partition is done.
unsafe impl<T: Send> Sync for Slots<T> {}

impl<T> Slots<T> {
    fn len(&self) -> usize {
        self.0.len()
    }

    /// Item `p`, once.
    ///
    /// # Safety
    /// No other thread may access slot `p` during the call.
    unsafe fn take(&self, p: usize) -> Option<T> {
        // SAFETY: the caller guarantees exclusive access to slot `p`.
        unsafe { (*self.0[p].get()).take() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::split_blocks_mut;

    #[test]
    fn every_partition_runs_once_on_its_block() {
        for threads in 1..4 {
            let exec = Executor::new(threads).unwrap();
            assert_eq!(exec.threads(), threads);
            let mut v = vec![0usize; 1001];
            let blocks = split_blocks_mut(&mut v, threads);
            exec.for_each_part(blocks, |p, block| {
                for x in block {
                    *x += p + 1;
                }
            });
            let expected: Vec<usize> = (0..1001)
                .map(|i| {
                    (0..threads)
                        .find(|&p| crate::parallel::block_range(1001, p, threads).contains(&i))
                        .unwrap()
                        + 1
                })
                .collect();
            assert_eq!(v, expected);
        }
        assert_eq!(Executor::new(0).unwrap_err(), ThreadsError::Zero);
    }

    #[test]
    fn a_rank_runs_only_its_own_blocks() {
        let n = 1001;
        let mut seen = vec![0usize; n];
        for ranks in 1..4 {
            for threads in 1..3 {
                seen.iter_mut().for_each(|x| *x = 0);
                for rank in 0..ranks {
                    let exec = Executor::new(threads)
                        .unwrap()
                        .with_rank(rank, ranks)
                        .unwrap();
                    let mut v = vec![0usize; n];
                    exec.for_each_part(exec.split_mut(&mut v), |p, block| {
                        block.fill(p + 1);
                    });
                    let owned = exec.owned(n);
                    assert_eq!(owned, crate::parallel::block_range(n, rank, ranks));
                    for (i, &x) in v.iter().enumerate() {
                        if owned.contains(&i) {
                            assert!((1..=threads).contains(&x));
                            assert!(exec.block(n, x - 1).contains(&i));
                            seen[i] += 1;
                        } else {
                            assert_eq!(x, 0, "neuron {i} is not rank {rank}'s");
                        }
                    }
                }
                assert!(seen.iter().all(|&c| c == 1), "every neuron once");
            }
        }
        assert!(Executor::default().with_rank(2, 2).is_err());
    }

    #[test]
    fn partition_bounds_are_the_blocks_of_the_process() {
        for ranks in 1..4 {
            for threads in 1..4 {
                for rank in 0..ranks {
                    let exec = Executor::new(threads)
                        .unwrap()
                        .with_rank(rank, ranks)
                        .unwrap();
                    let bounds = exec.partition_bounds(1001);
                    let mut expected: Vec<usize> =
                        (0..threads).map(|p| exec.block(1001, p).start).collect();
                    expected.push(exec.owned(1001).end);
                    assert_eq!(bounds, expected);
                }
            }
        }
    }
}
