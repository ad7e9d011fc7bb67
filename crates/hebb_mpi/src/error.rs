//! Errors of distributed runs.

/// What can go wrong when a run is spread over ranks.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    /// The communication layer failed.
    #[error("exchange between ranks failed: {0}")]
    Exchange(String),
    /// The run cannot be split this way.
    #[error("{0}")]
    Layout(String),
}
