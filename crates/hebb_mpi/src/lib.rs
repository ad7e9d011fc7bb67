//! # hebb_mpi — one network over several processes
//!
//! The pieces a run spread over `K` processes (ranks) needs, each in its own module:
//!
//! - [`layout`]: which rank owns which neurons (contiguous blocks per population) and how often
//!   ranks must exchange spikes (the communication interval);
//! - [`exchange`]: the [`Exchange`](exchange::Exchange) trait (one collective primitive,
//!   all-gather), its implementations ([`LocalExchange`](exchange::LocalExchange) for one
//!   process, [`InProcessExchange`](exchange::InProcessExchange) for ranks as threads in tests,
//!   and `MpiExchange` with the `mpi` feature), and the canonically sorted
//!   [`SpikeExchange`](exchange::SpikeExchange);
//! - [`distributed`]: a simulation run as one rank ([`RankRun`](distributed::RankRun)): the
//!   exchange every interval and the gathering of outputs on rank 0;
//! - [`snapshot`]: snapshots of a run over several ranks, merged on rank 0 into the state one
//!   process would have saved.
//!
//! The `mpi` feature needs an MPI library at build time (Debian: `libopenmpi-dev openmpi-bin
//! libclang-dev`); without it the crate builds anywhere and runs with one rank.

pub mod distributed;
pub mod error;
pub mod exchange;
pub mod layout;
#[cfg(feature = "mpi")]
pub mod mpi_exchange;
pub mod snapshot;

/// The types most users need.
pub mod prelude {
    pub use crate::distributed::RankRun;
    pub use crate::error::DistError;
    pub use crate::exchange::{
        Exchange, InProcessExchange, LocalExchange, SpikeEvent, SpikeExchange,
    };
    pub use crate::layout::{communication_interval, owned_range, owner_of};
    #[cfg(feature = "mpi")]
    pub use crate::mpi_exchange::MpiExchange;
}
