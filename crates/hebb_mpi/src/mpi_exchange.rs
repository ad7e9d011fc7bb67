//! [`MpiExchange`]: the ranks of `mpirun` over `MPI_COMM_WORLD` (rsmpi).
//!
//! [`Exchange::all_gather_u32`] is one `MPI_Allgather` of the counts followed by one
//! `MPI_Allgatherv` of the words. MPI is initialized once per process (single-threaded level:
//! only the thread that created the `MpiExchange` calls MPI) and finalized when the value is
//! dropped.

use mpi::Count;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives, Equivalence};

use crate::error::DistError;
use crate::exchange::Exchange;

/// The MPI world of this process.
pub struct MpiExchange {
    world: SimpleCommunicator,
    counts: Vec<Count>,
    displs: Vec<Count>,
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
            _universe: universe,
        })
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
        self.gather(local, out)
    }
    fn all_gather_u8(&mut self, local: &[u8], out: &mut Vec<u8>) -> Result<Vec<usize>, DistError> {
        self.gather(local, out)
    }
}
