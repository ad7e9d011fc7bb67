//! Errors of the engine.

use thiserror::Error;

/// A parameter that fails validation: which field, what is wrong, what was given.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{field} {message}")]
pub struct ParamError {
    /// The field name as written in scenes (e.g. `tau_m_ms`).
    pub field: String,
    /// What is wrong, including the given value (e.g. `must be > 0, got -3`).
    pub message: String,
}

impl ParamError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Prefix the field with its owner, e.g. `populations[2].params`.
    pub fn within(mut self, owner: &str) -> Self {
        self.field = format!("{owner}.{}", self.field);
        self
    }
}

/// Errors while building a network.
#[derive(Debug, Error)]
pub enum BuildError {
    /// A parameter failed validation.
    #[error("invalid parameter in {owner}: {source}")]
    Param {
        /// The population, projection or input that owns the parameter.
        owner: String,
        /// The failed check.
        source: ParamError,
    },
    /// A model name that nothing registered.
    #[error("unknown {kind} model `{name}`; registered: {known}")]
    UnknownModel {
        /// What kind of model was looked up.
        kind: String,
        /// The name that was asked for.
        name: String,
        /// The registered names of that kind, comma separated.
        known: String,
    },
    /// A model registered under another kind than where it is used.
    #[error("model `{name}` is a {actual} model, but is used as a {expected} model")]
    WrongKind {
        /// The model name.
        name: String,
        /// The kind the usage needs.
        expected: String,
        /// The kind it was registered with.
        actual: String,
    },
    /// A name that is not a population or projection of the network.
    #[error("unknown {kind} `{name}`; known: {known}")]
    UnknownName {
        /// `population` or `projection`.
        kind: &'static str,
        /// The name asked for.
        name: String,
        /// The known names, comma separated.
        known: String,
    },
    /// Two populations or projections with the same name.
    #[error("duplicate {kind} name `{name}`")]
    Duplicate {
        /// `population` or `projection`.
        kind: &'static str,
        /// The repeated name.
        name: String,
    },
    /// Anything else that makes a network impossible, with a full sentence.
    #[error("{0}")]
    Invalid(String),
}

impl BuildError {
    /// A [`BuildError::Param`] for `owner`.
    pub fn param(owner: impl Into<String>, source: ParamError) -> Self {
        Self::Param {
            owner: owner.into(),
            source,
        }
    }
}
