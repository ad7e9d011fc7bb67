//! Every model's parameters against the range of the state type: a parameter is read as
//! `f64` but most end up in [`Real`](crate::Real) (`f32`) state, where a finite value beyond
//! ±3.4e38 (`tau_ms: 1e300`, `bias_current: -1e39`) becomes ±infinity and the run silently
//! produces NaN. [`check_f32_range`] walks the parameters' serde form and refuses the first
//! such number, naming its field (`changes[2].value`, `bounds.w_max`). Every model's
//! `validate` gets it through the registry ([`crate::registry::ModelParams::validate`]), so a
//! new model is covered without writing anything.

use serde::Serialize;
use serde::ser::{self, Serializer};

use crate::error::ParamError;

/// The largest magnitude of a finite `f32`, as `f64`.
const F32_MAX: f64 = f32::MAX as f64;

/// `Ok` when every finite floating-point number in `params` fits an `f32`; otherwise a
/// [`ParamError`] naming the first one that does not (non-finite numbers are left to the
/// model's own checks).
pub fn check_f32_range<T: Serialize + ?Sized>(params: &T) -> Result<(), ParamError> {
    let mut walker = Walker::default();
    match params.serialize(&mut walker) {
        Err(Stop::Found(value)) => Err(ParamError::new(
            walker.path(),
            format!(
                "must fit the simulation's 32-bit floats (magnitude at most {:e}), got {value:e}",
                f32::MAX
            ),
        )),
        _ => Ok(()),
    }
}

/// A field path under construction.
#[derive(Default)]
struct Walker {
    path: Vec<Segment>,
}

enum Segment {
    Field(&'static str),
    Index(usize),
}

impl Walker {
    fn path(&self) -> String {
        let mut out = String::new();
        for s in &self.path {
            match s {
                Segment::Field(f) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(f);
                }
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    fn number(&self, value: f64) -> Result<(), Stop> {
        if value.is_finite() && value.abs() > F32_MAX {
            Err(Stop::Found(value))
        } else {
            Ok(())
        }
    }
}

/// Why the walk stopped.
#[derive(Debug)]
enum Stop {
    /// An out-of-range number (the path is in the walker).
    Found(f64),
    /// A serializer error of the params themselves (not ours to report).
    Other,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Found(v) => write!(f, "{v:e} is out of the f32 range"),
            Self::Other => f.write_str("cannot serialize"),
        }
    }
}
impl std::error::Error for Stop {}
impl ser::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Self::Other
    }
}

macro_rules! ok_leaf {
    ($($name:ident: $t:ty),* $(,)?) => {
        $(fn $name(self, _: $t) -> Result<(), Stop> { Ok(()) })*
    };
}

impl Serializer for &mut Walker {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    ok_leaf!(
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_f32: f32,
        serialize_char: char, serialize_str: &str, serialize_bytes: &[u8],
    );

    fn serialize_f64(self, v: f64) -> Result<(), Stop> {
        self.number(v)
    }
    fn serialize_none(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Stop> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Stop> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        v: &T,
    ) -> Result<(), Stop> {
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Stop> {
        Ok(self.open())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Stop> {
        Ok(self.open())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Stop> {
        Ok(self.open())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Stop> {
        Ok(self.open())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, Stop> {
        Ok(self.open())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Stop> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Stop> {
        Ok(self)
    }
}

impl Walker {
    /// A sequence starts: its elements go under an index that [`Self::element`] advances.
    fn open(&mut self) -> &mut Self {
        self.path.push(Segment::Index(usize::MAX));
        self
    }
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Stop> {
        if let Some(Segment::Index(i)) = self.path.last_mut() {
            *i = i.wrapping_add(1);
        }
        v.serialize(self)
    }
    fn close(&mut self) -> Result<(), Stop> {
        self.path.pop();
        Ok(())
    }
}

macro_rules! indexed {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for &mut Walker {
            type Ok = ();
            type Error = Stop;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Stop> {
                self.element(v)
            }
            fn end(self) -> Result<(), Stop> {
                self.close()
            }
        }
    };
}
indexed!(SerializeSeq, serialize_element);
indexed!(SerializeTuple, serialize_element);
indexed!(SerializeTupleStruct, serialize_field);
indexed!(SerializeTupleVariant, serialize_field);

impl ser::SerializeMap for &mut Walker {
    type Ok = ();
    type Error = Stop;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Stop> {
        self.element(v)
    }
    fn end(self) -> Result<(), Stop> {
        self.close()
    }
}

macro_rules! fields {
    ($trait:ident) => {
        impl ser::$trait for &mut Walker {
            type Ok = ();
            type Error = Stop;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                v: &T,
            ) -> Result<(), Stop> {
                self.path.push(Segment::Field(key));
                v.serialize(&mut **self)?;
                self.path.pop();
                Ok(())
            }
            fn end(self) -> Result<(), Stop> {
                Ok(())
            }
        }
    };
}
fields!(SerializeStruct);
fields!(SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Change {
        at_ms: f64,
        value: f64,
    }

    #[derive(Serialize)]
    enum Bounds {
        None,
        Hard { w_min: f64, w_max: f64 },
    }

    #[derive(Serialize)]
    struct Params {
        tau_ms: f64,
        v_init_mv: Option<f64>,
        changes: Vec<Change>,
        bounds: Bounds,
        steps: Vec<Vec<u64>>,
        rates: Option<Vec<f64>>,
    }

    fn params() -> Params {
        Params {
            tau_ms: 20.0,
            v_init_mv: Some(-70.0),
            changes: vec![
                Change {
                    at_ms: 1.0,
                    value: 2.0,
                },
                Change {
                    at_ms: 3.0,
                    value: -4.0,
                },
            ],
            bounds: Bounds::Hard {
                w_min: 0.0,
                w_max: 1.0,
            },
            steps: vec![vec![u64::MAX]],
            rates: Some(vec![1.0, f64::INFINITY]),
        }
    }

    fn field_of(p: &Params) -> Option<String> {
        check_f32_range(p).err().map(|e| e.field)
    }

    #[test]
    fn numbers_beyond_f32_are_refused_with_their_field() {
        // In range (integers and non-finite values are not this check's business).
        assert_eq!(field_of(&params()), None);
        let mut p = params();
        p.tau_ms = 1e300;
        assert_eq!(field_of(&p).as_deref(), Some("tau_ms"));
        let e = check_f32_range(&p).unwrap_err().to_string();
        assert!(e.contains("1e300") && e.contains("32-bit"), "{e}");
        let mut p = params();
        p.v_init_mv = Some(-3.5e38);
        assert_eq!(field_of(&p).as_deref(), Some("v_init_mv"));
        let mut p = params();
        p.changes[1].value = 1e39;
        assert_eq!(field_of(&p).as_deref(), Some("changes[1].value"));
        let mut p = params();
        p.bounds = Bounds::Hard {
            w_min: 0.0,
            w_max: 1e40,
        };
        assert_eq!(field_of(&p).as_deref(), Some("bounds.w_max"));
        let mut p = params();
        p.rates = Some(vec![1.0, -f64::MAX]);
        assert_eq!(field_of(&p).as_deref(), Some("rates[1]"));
        // The largest f32 itself fits.
        let mut p = params();
        p.tau_ms = f64::from(f32::MAX);
        p.bounds = Bounds::None;
        assert_eq!(field_of(&p), None);
    }
}
