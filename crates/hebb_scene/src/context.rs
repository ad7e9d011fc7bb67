//! The parse context: how parts of a scene are parsed on their own and still report positions
//! in the whole file.
//!
//! [`crate::Scene::parse`] installs a context (the model registry, the ron options, the address
//! of the source text) in a thread-local for the duration of the parse. Scene elements
//! ([`Spanned`]) and model fields ([`crate::ModelSpec`]) are first captured as raw RON text
//! (ron's `RawValue`, which borrows from the source, so its address gives its byte offset), then
//! parsed with a nested ron deserializer. A nested error is translated back to a byte offset of
//! the whole file and kept as the *pending* error: the innermost error wins, and the outer
//! parse reports it instead of its own less precise one.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut, Range};

use hebb_core::registry::Registry;
use ron::extensions::Extensions;
use ron::value::RawValue;
use serde::de::{DeserializeOwned, DeserializeSeed};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The ron options of scene files: `implicit_some` on, so `Some(x)` may be written `x`.
pub fn scene_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// An error found inside a nested parse: byte offset in the source and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    pub offset: usize,
    pub message: String,
}

struct ParseContext {
    registry: Registry,
    source_addr: usize,
    source_len: usize,
    pending: Option<Pending>,
}

thread_local! {
    static CONTEXT: RefCell<Vec<ParseContext>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with a parse context over `source`; returns `f`'s result and the pending error.
pub(crate) fn with_context<R>(
    registry: &Registry,
    source: &str,
    f: impl FnOnce() -> R,
) -> (R, Option<Pending>) {
    CONTEXT.with_borrow_mut(|stack| {
        stack.push(ParseContext {
            registry: registry.clone(),
            source_addr: source.as_ptr() as usize,
            source_len: source.len(),
            pending: None,
        });
    });
    // Pop the context even when `f` panics, so a later parse on this thread starts clean.
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            CONTEXT.with_borrow_mut(|stack| stack.pop());
        }
    }
    let pop = Pop;
    let result = f();
    let pending = CONTEXT.with_borrow_mut(|stack| stack.last_mut().and_then(|c| c.pending.take()));
    drop(pop);
    (result, pending)
}

/// Call `f` with the registry of the current parse, or `None` outside [`with_context`].
pub(crate) fn with_registry<R>(f: impl FnOnce(Option<&Registry>) -> R) -> R {
    CONTEXT.with_borrow(|stack| f(stack.last().map(|c| &c.registry)))
}

/// The byte offset of `part` in the source being parsed, if `part` borrows from it.
pub(crate) fn offset_of(part: &str) -> Option<usize> {
    CONTEXT.with_borrow(|stack| {
        let c = stack.last()?;
        let addr = part.as_ptr() as usize;
        (addr >= c.source_addr && addr + part.len() <= c.source_addr + c.source_len)
            .then(|| addr - c.source_addr)
    })
}

/// Record `message` at `offset` as the pending error (unless an inner one is already there) and
/// return it as a deserializer error for the outer parse.
pub(crate) fn fail<E: serde::de::Error>(offset: Option<usize>, message: String) -> E {
    if let Some(offset) = offset {
        CONTEXT.with_borrow_mut(|stack| {
            if let Some(c) = stack.last_mut()
                && c.pending.is_none()
            {
                c.pending = Some(Pending {
                    offset,
                    message: message.clone(),
                });
            }
        });
    }
    E::custom(message)
}

/// The byte offset in `text` of a ron position (1-based line, column in characters).
pub(crate) fn offset_in(text: &str, position: ron::error::Position) -> usize {
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if n + 1 == position.line {
            let col = position.col.saturating_sub(1);
            return offset + line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
        }
        offset += line.len();
    }
    text.len()
}

/// Parse `text` (a part of the source) with `seed`, translating errors to the whole file;
/// `what` (e.g. "`Lif` params") prefixes error messages.
pub(crate) fn parse_nested<'de, S, E>(
    text: &'de str,
    what: Option<&str>,
    seed: S,
) -> Result<S::Value, E>
where
    S: DeserializeSeed<'de>,
    E: serde::de::Error,
{
    scene_options().from_str_seed(text, seed).map_err(|e| {
        let base = offset_of(text);
        let offset = base.map(|b| b + skip_to_token(text, offset_in(text, e.span.start)));
        let message = match what {
            Some(what) => format!("{what}: {}", ron_message(&e.code)),
            None => ron_message(&e.code),
        };
        fail(offset, message)
    })
}

/// RON's message for `error`, in the scene's terms where RON's own would mislead: a value
/// where a field name belongs (`changes: [(50.0, 1.0)]` for `[(at_ms: 50.0, value: 1.0)]`)
/// makes RON suggest a "raw identifier `r#50.0`".
pub(crate) fn ron_message(error: &ron::error::Error) -> String {
    let tuple_hint = |found: &str| {
        format!(
            "found `{found}` where a field name was expected: write this value's fields by name, `(name: value, …)`, not as a tuple (`hebb list MODEL` shows the fields)"
        )
    };
    match error {
        ron::error::Error::SuggestRawIdentifier(found) => tuple_hint(found),
        ron::error::Error::ExpectedIdentifier => {
            "expected a field name: write this value's fields by name, `(name: value, …)` (`hebb list MODEL` shows the fields)".to_owned()
        }
        other => {
            // The same error passed up through a nested value arrives as its text.
            let text = other.to_string();
            match text
                .strip_prefix("Found invalid std identifier \"")
                .and_then(|rest| rest.split_once("\", try the raw identifier"))
            {
                Some((found, _)) => tuple_hint(found),
                None => text,
            }
        }
    }
}

/// `offset` moved past blanks and comments to the next token of `text` (ron reports some errors
/// at the blank before the offending value).
pub(crate) fn skip_to_token(text: &str, offset: usize) -> usize {
    match text.get(offset..) {
        Some(rest) if !skip_blank(rest).is_empty() => text.len() - skip_blank(rest).len(),
        _ => offset,
    }
}

/// The raw RON text of the next value and its byte offset in the source.
pub(crate) fn raw_text<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<(&'de str, Option<usize>), D::Error> {
    let raw = <&'de RawValue>::deserialize(deserializer)?;
    let text = raw.get_ron();
    Ok((text, offset_of(text)))
}

/// A scene element with the byte range it came from in the source (`None` when the element was
/// made in code).
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The element.
    pub value: T,
    /// Byte range in the scene text.
    pub span: Option<Range<usize>>,
}

impl<T> Spanned<T> {
    /// An element made in code (no source position).
    pub fn new(value: T) -> Self {
        Self { value, span: None }
    }
}

impl<T> From<T> for Spanned<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T> Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Spanned<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (text, offset) = raw_text(deserializer)?;
        let value = parse_nested(text, None, PhantomData::<T>)?;
        Ok(Self {
            value,
            span: offset.map(|o| o..o + text.len()),
        })
    }
}

/// Skip whitespace and RON comments (`// …` and nested `/* … */`); returns the rest.
pub(crate) fn skip_blank(mut s: &str) -> &str {
    loop {
        let t = s.trim_start();
        if let Some(rest) = t.strip_prefix("//") {
            s = rest.find('\n').map_or("", |i| &rest[i + 1..]);
        } else if t.starts_with("/*") {
            let mut depth = 0usize;
            let mut i = 0;
            let bytes = t.as_bytes();
            while i + 1 < bytes.len() {
                match (bytes[i], bytes[i + 1]) {
                    (b'/', b'*') => {
                        depth += 1;
                        i += 2;
                    }
                    (b'*', b'/') => {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => i += 1,
                }
            }
            if depth > 0 {
                return "";
            }
            s = &t[i..];
        } else {
            return t;
        }
    }
}

/// The byte offset in `text` of the field `field` written as `field:` (the last occurrence
/// outside strings is not tracked; the first identifier match followed by `:` wins).
pub(crate) fn find_field(text: &str, field: &str) -> Option<usize> {
    if field.is_empty() {
        return None;
    }
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = text[from..].find(field) {
        let start = from + i;
        let end = start + field.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !is_ident(c));
        let after = &text[end..];
        let after_ok =
            after.chars().next().is_none_or(|c| !is_ident(c)) && skip_blank(after).starts_with(':');
        if before_ok && after_ok {
            return Some(start);
        }
        from = end;
    }
    None
}

/// Reject a deserializer that is not inside a scene parse.
pub(crate) fn no_context<E: serde::de::Error>() -> E {
    E::custom("scene parts can only be read through hebb_scene::Scene::parse or Scene::load")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_and_comments_are_skipped() {
        assert_eq!(skip_blank("  // a\n /* b /* c */ d */ Lif"), "Lif");
        assert_eq!(skip_blank("/* open"), "");
        assert_eq!(skip_blank("x"), "x");
    }

    #[test]
    fn fields_are_found_as_identifiers() {
        let text = "(tau: 1.0, tau_m_ms /* c */ : -3.0, name: \"tau_m_ms\")";
        assert_eq!(find_field(text, "tau_m_ms"), Some(11));
        assert_eq!(find_field(text, "tau"), Some(1));
        assert_eq!(find_field(text, "ms"), None);
    }

    #[test]
    fn ron_positions_map_to_offsets() {
        let text = "ab\nμcd\n";
        let p = |line, col| ron::error::Position { line, col };
        assert_eq!(offset_in(text, p(1, 1)), 0);
        assert_eq!(offset_in(text, p(2, 2)), 5);
        assert_eq!(offset_in(text, p(9, 1)), text.len());
    }
}
