//! [`ModelSpec`]: a model written in a scene as its registered name followed by its params
//! (`Lif(tau_m_ms: 20.0)`, `Exact`, `Exact()`), looked up in the [`Registry`] while parsing.
//!
//! The name is read from the raw text of the field; the params that follow are deserialized by
//! the registry entry's own `deserialize` fn (the params type's serde impl, which rejects unknown
//! fields), so errors inside the params carry their true line and column. A name without params
//! takes the params' defaults.

use std::marker::PhantomData;
use std::ops::Range;

use hebb_core::registry::{DeserializeFn, ModelKind, ModelParams};
use ron::value::RawValue;
use serde::de::{DeserializeSeed, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::context::{self, fail, no_context, parse_nested, raw_text, skip_blank};

/// A model with its params, as written in a scene.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    /// The params (their registered name is `params.model_name()`).
    pub params: Box<dyn ModelParams>,
    /// Byte range of the model text in the scene (`None` when made in code).
    pub span: Option<Range<usize>>,
}

impl ModelSpec {
    /// A model made in code.
    pub fn new(params: impl ModelParams) -> Self {
        Self {
            params: Box::new(params),
            span: None,
        }
    }

    /// The registered model name.
    pub fn name(&self) -> &'static str {
        self.params.model_name()
    }

    /// The model as scene text: `Name(field: value, …)`.
    pub fn to_ron(&self) -> Result<String, ron::Error> {
        let config = ron::ser::PrettyConfig::new()
            .compact_structs(true)
            .compact_arrays(true)
            .compact_maps(true)
            .new_line(" ")
            .indentor("");
        let params = ron::Options::default().to_string_pretty(&*self.params, config)?;
        let params = params.trim();
        // A unit params type (e.g. `Exact`) serializes as `()`: write the bare name.
        if params == "()" {
            Ok(self.name().to_owned())
        } else {
            Ok(format!("{}{params}", self.name()))
        }
    }
}

impl<T: ModelParams> From<T> for ModelSpec {
    fn from(params: T) -> Self {
        Self::new(params)
    }
}

impl Serialize for ModelSpec {
    /// Writes `Name(params…)` as raw RON (scenes are RON files; other formats get the same
    /// text as a string).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.to_ron().map_err(serde::ser::Error::custom)?;
        let raw = RawValue::from_boxed_ron(text.into_boxed_str())
            .map_err(|e| serde::ser::Error::custom(e.to_string()))?;
        raw.serialize(serializer)
    }
}

/// Where a model field sits in a scene: which kinds it takes and how to call it in messages.
pub(crate) trait Role {
    /// The model kinds this field accepts.
    const KINDS: &'static [ModelKind];
}

macro_rules! role {
    ($name:ident, $($kind:ident),+) => {
        pub(crate) struct $name;
        impl Role for $name {
            const KINDS: &'static [ModelKind] = &[$(ModelKind::$kind),+];
        }
    };
}
role!(PopulationRole, Neuron, Input);
role!(StimulusRole, Stimulus);
role!(SynapseRole, Synapse);
role!(StpRole, ShortTermPlasticity);
role!(PlasticityRole, Plasticity);
role!(RewardRole, Reward);

/// Deserializes a [`ModelSpec`] whose kind must be one of `R::KINDS`.
pub(crate) struct Kinded<R>(pub ModelSpec, PhantomData<R>);

impl<'de, R: Role> Deserialize<'de> for Kinded<R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (text, offset) = raw_text(deserializer)?;
        let spec = parse_model(text, offset, R::KINDS)?;
        Ok(Self(spec, PhantomData))
    }
}

struct ParamsSeed(DeserializeFn);

impl<'de> DeserializeSeed<'de> for ParamsSeed {
    type Value = Box<dyn ModelParams>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let mut erased = <dyn erased_serde::Deserializer>::erase(deserializer);
        (self.0)(&mut erased).map_err(D::Error::custom)
    }
}

/// Parse `Name`, `Name()` or `Name(params…)` from `text` (at byte `offset` in the source).
fn parse_model<E: serde::de::Error>(
    text: &str,
    offset: Option<usize>,
    kinds: &[ModelKind],
) -> Result<ModelSpec, E> {
    let at = |part: &str| offset.map(|o| o + (part.as_ptr() as usize - text.as_ptr() as usize));
    let body = skip_blank(text);
    let name_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let name = &body[..name_len];
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    // Look the name up while holding the context; report errors after releasing it.
    let found = context::with_registry(|registry| {
        let registry = registry.ok_or(None)?;
        if !starts_with_letter {
            let labels = kinds.iter().map(|k| k.label()).collect::<Vec<_>>();
            let names = registry.names(kinds);
            return Err(Some(format!(
                "expected a {} model: its name followed by its params, e.g. `{}(…)`; registered: {}",
                labels.join(" or "),
                names.first().copied().unwrap_or("Name"),
                names.join(", ")
            )));
        }
        match registry.get(name) {
            Some(entry) if kinds.contains(&entry.kind) => Ok((entry.deserialize, entry.defaults)),
            Some(entry) => {
                let wanted = kinds
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join(" or ");
                Err(Some(format!(
                    "`{name}` is {} {} model, but a {wanted} model is needed here; {wanted} models: {}",
                    article(entry.kind.label()),
                    entry.kind.label(),
                    registry.names(kinds).join(", ")
                )))
            }
            None => Err(Some(
                registry
                    .lookup(name, kinds)
                    .err()
                    .map_or_else(String::new, |e| e.to_string()),
            )),
        }
    });
    let (entry_deserialize, defaults) = match found {
        Ok(found) => found,
        Err(None) => return Err(no_context()),
        Err(Some(message)) => return Err(fail(at(body), message)),
    };
    let rest = skip_blank(&body[name_len..]);
    let params = if rest.is_empty() {
        defaults()
    } else {
        parse_nested(
            &body[name_len..],
            Some(&format!("`{name}` params")),
            ParamsSeed(entry_deserialize),
        )?
    };
    Ok(ModelSpec {
        params,
        span: offset.map(|o| o..o + text.len()),
    })
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// `deserialize_with` helpers for the model fields of scene elements.
pub(crate) mod field {
    use super::*;

    fn required<'de, D: Deserializer<'de>, R: Role>(d: D) -> Result<ModelSpec, D::Error> {
        Kinded::<R>::deserialize(d).map(|k| k.0)
    }

    fn optional<'de, D: Deserializer<'de>, R: Role>(d: D) -> Result<Option<ModelSpec>, D::Error> {
        Option::<Kinded<R>>::deserialize(d).map(|k| k.map(|k| k.0))
    }

    /// A population's neuron or input model.
    pub fn population<'de, D: Deserializer<'de>>(d: D) -> Result<ModelSpec, D::Error> {
        required::<D, PopulationRole>(d)
    }
    /// A stimulus model.
    pub fn stimulus<'de, D: Deserializer<'de>>(d: D) -> Result<ModelSpec, D::Error> {
        required::<D, StimulusRole>(d)
    }
    /// A projection's synapse output.
    pub fn synapse<'de, D: Deserializer<'de>>(d: D) -> Result<ModelSpec, D::Error> {
        required::<D, SynapseRole>(d)
    }
    /// A projection's optional short-term plasticity.
    pub fn stp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ModelSpec>, D::Error> {
        optional::<D, StpRole>(d)
    }
    /// A projection's optional plasticity rule.
    pub fn plasticity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ModelSpec>, D::Error> {
        optional::<D, PlasticityRole>(d)
    }
    /// The scene's optional reward source.
    pub fn reward<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ModelSpec>, D::Error> {
        optional::<D, RewardRole>(d)
    }
}
