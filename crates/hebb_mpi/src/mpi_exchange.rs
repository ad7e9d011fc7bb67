//! [`MpiExchange`]: the ranks of `mpirun` over `MPI_COMM_WORLD` (rsmpi).
//!
//! [`Exchange::all_gather_u32`] (the spike exchange, once per communication interval) is one
//! `MPI_Allgather` of a fixed-size block per rank — its word count, then its words — as NEST
//! does: a rank whose words do not fit sends the rest in a second, `MPI_Allgatherv` round, and
//! every rank then enlarges the block to the largest count seen (all ranks see the same
//! counts, so they agree on the new size without talking). Once the block has grown to the
//! run's busiest interval, an exchange is a single collective. [`Exchange::all_gather_u8`]
//! (outputs, once per run) is an `MPI_Allgather` of the counts and an `MPI_Allgatherv`.
//! MPI is initialized once per process (single-threaded level:
//! only the thread that created the `MpiExchange` calls MPI) and finalized when the value is
//! dropped.

use mpi::Count;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives, Equivalence};

use crate::error::DistError;
use crate::exchange::Exchange;

/// Initial words per rank of the fixed-size exchange round (grows to the busiest interval).
const INITIAL_BLOCK_WORDS: usize = 16;

/// The MPI world of this process.
pub struct MpiExchange {
    world: SimpleCommunicator,
    counts: Vec<Count>,
    displs: Vec<Count>,
    /// Words per rank in the fixed-size round of the spike exchange (count word included).
    block: usize,
    send_block: Vec<u32>,
    received_blocks: Vec<u32>,
    // Dropped last: finalizes MPI.
    _universe: Universe,
}

impl std::fmt::Debug for MpiExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MpiExchange")
            .field("rank", &self.rank())
            .field("ranks", &self.ranks())
            .finish()
    }
}

impl MpiExchange {
    /// Initialize MPI (once per process) and join `MPI_COMM_WORLD`. A program started without
    /// `mpirun` is a world of one rank.
    pub fn init() -> Result<Self, DistError> {
        let universe = mpi::initialize()
            .ok_or_else(|| DistError::Exchange("MPI was already initialized".into()))?;
        let world = universe.world();
        let ranks = world.size() as usize;
        Ok(Self {
            world,
            counts: vec![0; ranks],
            displs: vec![0; ranks],
            block: INITIAL_BLOCK_WORDS,
            send_block: Vec::new(),
            received_blocks: Vec::new(),
            _universe: universe,
        })
    }

    /// The spike exchange: one fixed-size round, a second round only for what did not fit.
    fn gather_blocks(
        &mut self,
        local: &[u32],
        out: &mut Vec<u32>,
    ) -> Result<Vec<usize>, DistError> {
        let ranks = self.counts.len();
        let block = self.block;
        let len = u32::try_from(local.len()).map_err(|_| {
            DistError::Exchange(format!("{} words exceed the exchange's range", local.len()))
        })?;
        let first = local.len().min(block - 1);
        self.send_block.clear();
        self.send_block.push(len);
        self.send_block.extend_from_slice(&local[..first]);
        self.send_block.resize(block, 0);
        self.received_blocks.resize(ranks * block, 0);
        self.world
            .all_gather_into(&self.send_block[..], &mut self.received_blocks[..]);
        let lens: Vec<usize> = (0..ranks)
            .map(|r| self.received_blocks[r * block] as usize)
            .collect();
        out.clear();
        let overflow = lens.iter().any(|&n| n > block - 1);
        if !overflow {
            for (r, &n) in lens.iter().enumerate() {
                out.extend_from_slice(&self.received_blocks[r * block + 1..r * block + 1 + n]);
            }
            return Ok(lens);
        }
        // Second round: the words beyond each rank's block, then grow the block for next time.
        let mut rest = Vec::new();
        let rest_counts = self.gather(&local[first..], &mut rest)?;
        let mut start = 0;
        for (r, &n) in lens.iter().enumerate() {
            let in_block = n.min(block - 1);
            out.extend_from_slice(&self.received_blocks[r * block + 1..r * block + 1 + in_block]);
            out.extend_from_slice(&rest[start..start + rest_counts[r]]);
            start += rest_counts[r];
        }
        let largest = lens.iter().copied().max().unwrap_or(0);
        self.block = (largest + 1).next_power_of_two();
        Ok(lens)
    }

    fn gather<T: Equivalence + Copy + Default>(
        &mut self,
        local: &[T],
        out: &mut Vec<T>,
    ) -> Result<Vec<usize>, DistError> {
        let count = Count::try_from(local.len()).map_err(|_| {
            DistError::Exchange(format!("{} words exceed MPI's count range", local.len()))
        })?;
        self.world.all_gather_into(&count, &mut self.counts[..]);
        let mut total: i64 = 0;
        for (d, &c) in self.displs.iter_mut().zip(&self.counts) {
            *d = Count::try_from(total).map_err(|_| {
                DistError::Exchange(format!("{total} words exceed MPI's count range"))
            })?;
            total += i64::from(c);
        }
        out.clear();
        out.resize(total as usize, T::default());
        let mut partition = PartitionMut::new(&mut out[..], &self.counts[..], &self.displs[..]);
        self.world.all_gather_varcount_into(local, &mut partition);
        Ok(self.counts.iter().map(|&c| c as usize).collect())
    }
}

impl Exchange for MpiExchange {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }
    fn ranks(&self) -> usize {
        self.world.size() as usize
    }
    fn all_gather_u32(
        &mut self,
        local: &[u32],
        out: &mut Vec<u32>,
    ) -> Result<Vec<usize>, DistError> {
        self.gather_blocks(local, out)
    }
    fn all_gather_u8(&mut self, local: &[u8], out: &mut Vec<u8>) -> Result<Vec<usize>, DistError> {
        self.gather(local, out)
    }
}
