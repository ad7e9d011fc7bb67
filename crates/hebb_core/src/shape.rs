//! The shape of a serializable value: its sequence and map lengths, option and enum variants,
//! in traversal order, without the values. A snapshot's state is checked against the freshly
//! built network it is restored into ([`crate::snapshot::SnapshotRegistry`]) with [`fits`]:
//! every array the network sized at build time (a neuron's `v`, a projection's weights, a
//! delay line's slots) must have the same length and every enum the same variant; arrays that
//! are empty at build time (this step's spikes, queued arrivals) may hold anything.

use serde::Serialize;
use serde::ser::{self, Serializer};

/// One token of a shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// A sequence or map of `len` entries whose tokens take the next `size` places.
    Seq {
        /// Entries.
        len: u64,
        /// Tokens of the entries.
        size: usize,
    },
    /// An enum variant index.
    Variant(u32),
    /// `None`.
    None,
    /// `Some`, whose value's tokens take the next `size` places.
    Some {
        /// Tokens of the value.
        size: usize,
    },
}

/// The shape of `value`.
pub fn shape_of<T: Serialize + ?Sized>(value: &T) -> Vec<Token> {
    let mut shape = Shape::default();
    // The shape serializer never fails.
    let _ = value.serialize(&mut shape);
    shape.tokens
}

/// Whether a value of shape `restored` fits where a value of shape `fresh` (built by the
/// network) is: same lengths of non-empty sequences, same variants, anything inside sequences
/// and options that are empty in `fresh`.
pub fn fits(fresh: &[Token], restored: &[Token]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < fresh.len() {
        let Some(&r) = restored.get(j) else {
            return false;
        };
        match (fresh[i], r) {
            (Token::Seq { len: 0, .. }, Token::Seq { size, .. }) => {
                i += 1;
                j += 1 + size;
            }
            (Token::Seq { len: a, .. }, Token::Seq { len: b, .. }) if a == b => {
                i += 1;
                j += 1;
            }
            (Token::None, Token::None) | (Token::Some { .. }, Token::Some { .. }) => {
                i += 1;
                j += 1;
            }
            (Token::None, Token::Some { size }) => {
                i += 1;
                j += 1 + size;
            }
            (Token::Variant(a), Token::Variant(b)) if a == b => {
                i += 1;
                j += 1;
            }
            _ => return false,
        }
    }
    j == restored.len()
}

#[derive(Default)]
struct Shape {
    tokens: Vec<Token>,
    open: Vec<usize>,
}

impl Shape {
    fn open_seq(&mut self, len: Option<usize>) {
        self.open.push(self.tokens.len());
        self.tokens.push(Token::Seq {
            len: len.map_or(u64::MAX, |n| n as u64),
            size: 0,
        });
    }
    fn close_seq(&mut self) {
        if let Some(at) = self.open.pop() {
            let n = self.tokens.len() - at - 1;
            if let Token::Seq { size, .. } = &mut self.tokens[at] {
                *size = n;
            }
        }
    }
}

/// Never produced: the shape serializer cannot fail.
#[derive(Debug)]
pub struct Never;

impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("shape")
    }
}
impl std::error::Error for Never {}
impl ser::Error for Never {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Self
    }
}

macro_rules! leaf {
    ($($name:ident: $t:ty),* $(,)?) => {
        $(fn $name(self, _: $t) -> Result<(), Never> { Ok(()) })*
    };
}

impl Serializer for &mut Shape {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    leaf!(
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_f32: f32,
        serialize_f64: f64, serialize_char: char, serialize_str: &str,
    );

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Never> {
        self.open_seq(Some(v.len()));
        self.close_seq();
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Never> {
        self.tokens.push(Token::None);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Never> {
        let at = self.tokens.len();
        self.tokens.push(Token::Some { size: 0 });
        let _ = v.serialize(&mut *self);
        let n = self.tokens.len() - at - 1;
        self.tokens[at] = Token::Some { size: n };
        Ok(())
    }
    fn serialize_unit(self) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, i: u32, _: &'static str) -> Result<(), Never> {
        self.tokens.push(Token::Variant(i));
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Never> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        i: u32,
        _: &'static str,
        v: &T,
    ) -> Result<(), Never> {
        self.tokens.push(Token::Variant(i));
        v.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self, Never> {
        self.open_seq(len);
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        i: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Never> {
        self.tokens.push(Token::Variant(i));
        Ok(self)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self, Never> {
        self.open_seq(len);
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        i: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Never> {
        self.tokens.push(Token::Variant(i));
        Ok(self)
    }
}

macro_rules! compound {
    ($trait:ident, $method:ident $(, $key:ident)?) => {
        impl ser::$trait for &mut Shape {
            type Ok = ();
            type Error = Never;
            fn $method<T: Serialize + ?Sized>(&mut self, $($key: &'static str,)? v: &T) -> Result<(), Never> {
                $(let _ = $key;)?
                v.serialize(&mut **self)
            }
            fn end(self) -> Result<(), Never> {
                Ok(())
            }
        }
    };
}

impl ser::SerializeSeq for &mut Shape {
    type Ok = ();
    type Error = Never;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Never> {
        v.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Never> {
        self.close_seq();
        Ok(())
    }
}
compound!(SerializeTuple, serialize_element);
compound!(SerializeTupleStruct, serialize_field);
compound!(SerializeTupleVariant, serialize_field);
compound!(SerializeStruct, serialize_field, key);
compound!(SerializeStructVariant, serialize_field, key);

impl ser::SerializeMap for &mut Shape {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Never> {
        k.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Never> {
        v.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Never> {
        self.close_seq();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    enum Kind {
        A,
        B(Vec<u8>),
    }

    #[derive(Serialize)]
    struct State {
        v: Vec<f32>,
        idx: Vec<u32>,
        head: usize,
        kind: Kind,
        opt: Option<Vec<f64>>,
    }

    fn fit(a: &State, b: &State) -> bool {
        fits(&shape_of(a), &shape_of(b))
    }

    #[test]
    fn same_lengths_fit_whatever_the_values() {
        let a = State {
            v: vec![1.0, 2.0],
            idx: vec![],
            head: 7,
            kind: Kind::A,
            opt: None,
        };
        let b = State {
            v: vec![9.0, -1.0],
            idx: vec![0, 4, 5],
            head: 0,
            kind: Kind::A,
            opt: Some(vec![1.0]),
        };
        // `idx` and `opt` are empty in the fresh value: anything fits.
        assert!(fit(&a, &b));
        let longer = State {
            v: vec![1.0, 2.0, 3.0],
            idx: vec![],
            head: 0,
            kind: Kind::A,
            opt: None,
        };
        assert!(!fit(&a, &longer));
        assert!(!fit(&longer, &a));
        let other_variant = State {
            v: vec![1.0, 2.0],
            idx: vec![],
            head: 7,
            kind: Kind::B(vec![]),
            opt: None,
        };
        assert!(!fit(&a, &other_variant));
        // A non-empty fresh sequence keeps its length.
        assert!(!fit(&b, &a));
    }
}
