//! The exchange layer: how ranks share data.
//!
//! Everything the ranks of a run share goes through one primitive, an all-gather ([`Exchange::all_gather_u32`], [`Exchange::all_gather_u8`]):
//! every rank gives a buffer of words and receives every rank's buffer concatenated in rank
//! order (MPI's `Allgatherv`). Three implementations:
//!
//! - [`LocalExchange`]: one rank, a copy (the single-process run; costs nothing);
//! - [`InProcessExchange`]: K ranks as K threads of one process (tests of the distributed logic
//!   without MPI);
//! - `MpiExchange` (feature `mpi`): the ranks of `mpirun`, over `MPI_COMM_WORLD`.
//!
//! [`SpikeExchange`] builds the spike exchange on it: the engine hands it, once per
//! communication interval, the spikes its rank's neurons emitted in the steps of that interval
//! and gets back every rank's spikes **sorted canonically** by (step, population, neuron), so
//! what is delivered never depends on which rank sent what, or in which order it arrived.

use std::sync::{Arc, Barrier, Mutex};

use crate::error::DistError;

/// A word type the ranks exchange (`u32` for spikes, `u8` for serialized outputs).
pub trait Word: Copy + Send + Default + 'static {}
impl Word for u32 {}
impl Word for u8 {}

/// Collective communication between the ranks of one run. Every rank must call the same
/// methods in the same order (they are collective: each call returns once every rank made it).
pub trait Exchange {
    /// This process's rank, `0..ranks()`.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn ranks(&self) -> usize;
    /// Every rank's `local` words concatenated in rank order into `out` (cleared first), and
    /// the number of words each rank gave.
    fn all_gather_u32(
        &mut self,
        local: &[u32],
        out: &mut Vec<u32>,
    ) -> Result<Vec<usize>, DistError>;
    /// [`Exchange::all_gather_u32`] for bytes (serialized outputs).
    fn all_gather_u8(&mut self, local: &[u8], out: &mut Vec<u8>) -> Result<Vec<usize>, DistError>;

    /// Whether any rank passed `true` (e.g. Ctrl-C seen by one rank: all stop at the same step).
    fn any(&mut self, flag: bool) -> Result<bool, DistError> {
        let mut out = Vec::new();
        self.all_gather_u32(&[u32::from(flag)], &mut out)?;
        Ok(out.iter().any(|&f| f != 0))
    }

    /// Every rank's bytes, one `Vec` per rank in rank order.
    fn gather_bytes(&mut self, local: &[u8]) -> Result<Vec<Vec<u8>>, DistError> {
        let mut all = Vec::new();
        let counts = self.all_gather_u8(local, &mut all)?;
        let mut start = 0;
        Ok(counts
            .into_iter()
            .map(|n| {
                let part = all[start..start + n].to_vec();
                start += n;
                part
            })
            .collect())
    }
}

/// One rank: the single-process run.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalExchange;

impl Exchange for LocalExchange {
    fn rank(&self) -> usize {
        0
    }
    fn ranks(&self) -> usize {
        1
    }
    fn all_gather_u32(
        &mut self,
        local: &[u32],
        out: &mut Vec<u32>,
    ) -> Result<Vec<usize>, DistError> {
        out.clear();
        out.extend_from_slice(local);
        Ok(vec![local.len()])
    }
    fn all_gather_u8(&mut self, local: &[u8], out: &mut Vec<u8>) -> Result<Vec<usize>, DistError> {
        out.clear();
        out.extend_from_slice(local);
        Ok(vec![local.len()])
    }
}

/// The shared mailbox of the ranks of one [`InProcessExchange`] group.
#[derive(Debug)]
struct Mailbox {
    barrier: Barrier,
    words: Mutex<Vec<Vec<u32>>>,
    bytes: Mutex<Vec<Vec<u8>>>,
}

/// K ranks as K threads of one process: the distributed logic tested without MPI. Create the
/// group with [`InProcessExchange::group`] and move one member into each thread.
#[derive(Debug, Clone)]
pub struct InProcessExchange {
    rank: usize,
    ranks: usize,
    mailbox: Arc<Mailbox>,
}

impl InProcessExchange {
    /// `ranks` connected members, rank 0 first.
    pub fn group(ranks: usize) -> Vec<Self> {
        assert!(ranks >= 1, "a group has at least one rank");
        let mailbox = Arc::new(Mailbox {
            barrier: Barrier::new(ranks),
            words: Mutex::new(vec![Vec::new(); ranks]),
            bytes: Mutex::new(vec![Vec::new(); ranks]),
        });
        (0..ranks)
            .map(|rank| Self {
                rank,
                ranks,
                mailbox: Arc::clone(&mailbox),
            })
            .collect()
    }

    fn gather<T: Word>(
        &self,
        slots: &Mutex<Vec<Vec<T>>>,
        local: &[T],
        out: &mut Vec<T>,
    ) -> Result<Vec<usize>, DistError> {
        let poisoned = |_| DistError::Exchange("a rank thread panicked".into());
        slots.lock().map_err(poisoned)?[self.rank] = local.to_vec();
        self.mailbox.barrier.wait();
        out.clear();
        let counts = {
            let all = slots.lock().map_err(poisoned)?;
            for part in all.iter() {
                out.extend_from_slice(part);
            }
            all.iter().map(Vec::len).collect()
        };
        // Nobody overwrites a slot before every rank has read them all.
        self.mailbox.barrier.wait();
        Ok(counts)
    }
}

impl Exchange for InProcessExchange {
    fn rank(&self) -> usize {
        self.rank
    }
    fn ranks(&self) -> usize {
        self.ranks
    }
    fn all_gather_u32(
        &mut self,
        local: &[u32],
        out: &mut Vec<u32>,
    ) -> Result<Vec<usize>, DistError> {
        let mailbox = Arc::clone(&self.mailbox);
        self.gather(&mailbox.words, local, out)
    }
    fn all_gather_u8(&mut self, local: &[u8], out: &mut Vec<u8>) -> Result<Vec<usize>, DistError> {
        let mailbox = Arc::clone(&self.mailbox);
        self.gather(&mailbox.bytes, local, out)
    }
}

/// One spike: the step it was emitted in, counted from the start of the communication
/// interval, its population (index in the network's creation order) and neuron index. The
/// derived order is the canonical order: step, then population, then neuron.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpikeEvent {
    /// Step within the interval (0 = its first step).
    pub step: u32,
    /// Population index.
    pub population: u32,
    /// Neuron index within the population.
    pub neuron: u32,
}

/// The spike exchange: collects the owned neurons' spikes over one communication interval and
/// trades them for every rank's, sorted canonically. Its buffers keep their capacity, so a
/// run allocates nothing per interval once they have grown.
#[derive(Debug, Default)]
pub struct SpikeExchange {
    local: Vec<u32>,
    received: Vec<u32>,
    all: Vec<SpikeEvent>,
    /// Intervals exchanged so far.
    pub intervals: u64,
    /// Spikes received (all ranks' together) so far.
    pub spikes_received: u64,
}

impl SpikeExchange {
    /// An empty exchange.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one spike of an owned neuron, emitted at `step` steps into the interval.
    #[inline]
    pub fn push(&mut self, step: u32, population: u32, neuron: u32) {
        self.local.extend_from_slice(&[step, population, neuron]);
    }

    /// Add the spikes `neurons` of `population` at `step` steps into the interval.
    pub fn push_all(&mut self, step: u32, population: u32, neurons: &[u32]) {
        self.local.reserve(3 * neurons.len());
        for &n in neurons {
            self.push(step, population, n);
        }
    }

    /// Number of spikes pushed since the last exchange.
    pub fn pending(&self) -> usize {
        self.local.len() / 3
    }

    /// Trade this rank's pushed spikes for every rank's (collective), sorted by (step,
    /// population, neuron), and start a new interval.
    pub fn exchange(&mut self, via: &mut dyn Exchange) -> Result<&[SpikeEvent], DistError> {
        via.all_gather_u32(&self.local, &mut self.received)?;
        self.local.clear();
        self.all.clear();
        self.all
            .extend(self.received.chunks_exact(3).map(|w| SpikeEvent {
                step: w[0],
                population: w[1],
                neuron: w[2],
            }));
        // Each rank's share is already sorted: a stable sort merges those runs in O(n log K).
        self.all.sort();
        self.intervals += 1;
        self.spikes_received += self.all.len() as u64;
        Ok(&self.all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_exchange_returns_its_own_spikes_sorted() {
        let mut x = SpikeExchange::new();
        x.push(1, 0, 5);
        x.push(0, 1, 2);
        x.push(0, 0, 9);
        let got = x.exchange(&mut LocalExchange).unwrap().to_vec();
        let keys: Vec<_> = got
            .iter()
            .map(|s| (s.step, s.population, s.neuron))
            .collect();
        assert_eq!(keys, [(0, 0, 9), (0, 1, 2), (1, 0, 5)]);
        assert_eq!(x.pending(), 0);
        assert!(x.exchange(&mut LocalExchange).unwrap().is_empty());
    }

    #[test]
    fn in_process_ranks_all_receive_the_same_canonical_list() {
        let group = InProcessExchange::group(3);
        let handles: Vec<_> = group
            .into_iter()
            .map(|mut ex| {
                std::thread::spawn(move || {
                    let r = ex.rank() as u32;
                    let mut x = SpikeExchange::new();
                    // Rank r owns neurons 10r..10r+10 of population 0 and 1; pushes in reverse.
                    x.push(1, 1, 10 * r + 3);
                    x.push(0, 0, 10 * r + 1);
                    let first = x.exchange(&mut ex).unwrap().to_vec();
                    let second = x.exchange(&mut ex).unwrap().to_vec();
                    let any = ex.any(r == 2).unwrap();
                    let bytes = ex.gather_bytes(&[r as u8; 2][..r as usize]).unwrap();
                    (first, second, any, bytes)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let expected: Vec<_> = [
            (0, 0, 1),
            (0, 0, 11),
            (0, 0, 21),
            (1, 1, 3),
            (1, 1, 13),
            (1, 1, 23),
        ]
        .iter()
        .map(|&(step, population, neuron)| SpikeEvent {
            step,
            population,
            neuron,
        })
        .collect();
        for (first, second, any, bytes) in results {
            assert_eq!(first, expected);
            assert!(second.is_empty());
            assert!(any);
            assert_eq!(bytes, vec![vec![], vec![1], vec![2, 2]]);
        }
    }
}
