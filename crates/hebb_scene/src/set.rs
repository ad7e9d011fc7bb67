//! `--set PATH=VALUE`: change one value of a scene before it is parsed, as if the file said so.
//!
//! A path names a value by the scene's own field names, separated by `.`; list elements are
//! picked by their `name` (populations, projections, recorders with a name) or by their index
//! (`inputs.0`, `recorders[2]`):
//!
//! ```text
//! seed=3                                      a top-level field (added when the file omits it)
//! populations.exc.model.tau_m_ms=15           a model parameter (added when omitted)
//! projections.ee.weights=Constant(0.5)        a whole value, written in scene syntax
//! projections[1].delay_ms=2.0                 by index
//! ```
//!
//! The value is spliced into the scene text and the whole text is parsed and validated as
//! usual, so a `--set` gets exactly the errors the same value would get in the file; an error
//! about the spliced value names the `--set` argument instead of a file position
//! ([`AppliedSets::relabel`]). Comments and layout of the file are kept, so errors elsewhere
//! keep their line numbers.

use std::ops::Range;

use crate::error::{Position, SceneError, SceneErrorKind};

/// One `PATH=VALUE` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SceneSet {
    /// The argument as given (for messages and `summary.json`).
    pub arg: String,
    /// Path segments (`["populations", "exc", "model", "tau_m_ms"]`).
    pub path: Vec<String>,
    /// The value, in scene (RON) syntax.
    pub value: String,
}

impl SceneSet {
    /// Parse `PATH=VALUE`.
    pub fn parse(arg: &str) -> Result<Self, SceneError> {
        let error = |m: &str| SceneError::new(SceneErrorKind::Syntax, format!("--set {arg}"), m);
        let (path, value) = arg
            .split_once('=')
            .ok_or_else(|| error("expected PATH=VALUE, e.g. populations.exc.model.tau_m_ms=15"))?;
        let value = value.trim();
        if value.is_empty() {
            return Err(error("the value after `=` is empty"));
        }
        if value.contains('\n') {
            return Err(error("the value must be on one line"));
        }
        let mut segments = Vec::new();
        for part in path.trim().split('.') {
            // `name[3]` is `name`, `3`.
            let mut rest = part;
            let head = match rest.find('[') {
                Some(i) => {
                    let head = &rest[..i];
                    rest = &rest[i..];
                    head
                }
                None => std::mem::take(&mut rest),
            };
            if !head.is_empty() {
                segments.push(head.to_owned());
            }
            while let Some(r) = rest.strip_prefix('[') {
                let close = r
                    .find(']')
                    .ok_or_else(|| error(&format!("`[` without `]` in path segment `{part}`")))?;
                segments.push(r[..close].trim().to_owned());
                rest = &r[close + 1..];
            }
            if !rest.is_empty() {
                return Err(error(&format!(
                    "unexpected `{rest}` in path segment `{part}`"
                )));
            }
            if head.is_empty() && !part.starts_with('[') {
                return Err(error(
                    "the path has an empty segment (`..` or a `.` at an end)",
                ));
            }
        }
        if segments.is_empty() || segments.iter().any(String::is_empty) {
            return Err(error(
                "the path is empty; e.g. populations.exc.model.tau_m_ms=15",
            ));
        }
        Ok(Self {
            arg: arg.to_owned(),
            path: segments,
            value: value.to_owned(),
        })
    }
}

/// Where the `--set` values went in the edited text, to relabel errors about them.
#[derive(Debug, Clone, Default)]
pub struct AppliedSets {
    /// The arguments, in the order given.
    pub args: Vec<String>,
    /// Per argument still visible in the text: its first and last position.
    regions: Vec<(Position, Position, String)>,
}

impl AppliedSets {
    /// `e` with the `--set` argument as its origin when it points into a spliced value
    /// (`--set populations.exc.model.tau_m_ms=-1: populations[0] (`exc`): …`); other errors
    /// unchanged.
    pub fn relabel(&self, mut e: SceneError) -> SceneError {
        let Some(p) = e.position else {
            return e;
        };
        if let Some((_, _, arg)) = self
            .regions
            .iter()
            .find(|(start, end, _)| *start <= p && p <= *end)
        {
            e.path = format!("--set {arg}");
            e.position = None;
        }
        e
    }
}

/// Apply `sets` in order to scene `text`; errors name the `--set` argument.
pub fn apply_sets(text: &str, sets: &[SceneSet]) -> Result<(String, AppliedSets), SceneError> {
    let mut text = text.to_owned();
    let mut spans: Vec<(Range<usize>, String)> = Vec::new();
    for set in sets {
        let edit = locate(&text, &set.path).map_err(|m| {
            SceneError::new(SceneErrorKind::Invalid, format!("--set {}", set.arg), m)
        })?;
        let inserted = edit.render(&set.value);
        let value_end = edit.range.start + inserted.len();
        let removed = edit.range.len();
        text.replace_range(edit.range.clone(), &inserted);
        let shift = inserted.len() as isize - removed as isize;
        spans.retain(|(r, _)| r.end <= edit.range.start || r.start >= edit.range.end);
        for (r, _) in &mut spans {
            if r.start >= edit.range.end {
                r.start = (r.start as isize + shift) as usize;
                r.end = (r.end as isize + shift) as usize;
            }
        }
        spans.push((
            edit.label_from.min(edit.range.start)..value_end,
            set.arg.clone(),
        ));
    }
    let regions = spans
        .into_iter()
        .map(|(r, arg)| {
            (
                Position::of_offset(&text, r.start),
                Position::of_offset(&text, r.end),
                arg,
            )
        })
        .collect();
    Ok((
        text,
        AppliedSets {
            args: sets.iter().map(|s| s.arg.clone()).collect(),
            regions,
        },
    ))
}

/// A change to make: replace `range` by the value, wrapped as `kind` says.
struct Edit {
    range: Range<usize>,
    kind: EditKind,
    /// Where errors start to count as the set's (a replaced field's name: errors about a
    /// parameter point at its name).
    label_from: usize,
}

enum EditKind {
    /// Replace a value.
    Replace,
    /// Add `field: value` into a parenthesised list; `comma` before it when the list has items.
    AddField { field: String, comma: bool },
    /// Turn a bare model name into `Name(field: value)` (range is empty, after the name).
    Open { field: String },
}

impl Edit {
    fn render(&self, value: &str) -> String {
        match &self.kind {
            EditKind::Replace => value.to_owned(),
            EditKind::AddField { field, comma } => {
                format!("{}{field}: {value}", if *comma { ", " } else { "" })
            }
            EditKind::Open { field } => format!("({field}: {value})"),
        }
    }
}

/// One item of a bracketed list: an optional `field:` name and the value's range.
struct Item {
    /// Where the item starts (its field name, if any).
    start: usize,
    field: Option<String>,
    value: Range<usize>,
}

/// A value's shape: `Name(…)` / `(…)` (parenthesised items), `[…]` (a list), or a bare word.
struct Value {
    /// The whole value.
    range: Range<usize>,
    /// Leading identifier (`Lif`, `Some`), if any.
    name: Option<String>,
    /// Bracket kind and items, for `(…)` and `[…]`; the range inside the brackets.
    body: Option<(u8, Range<usize>, Vec<Item>)>,
}

/// Find where `path` lives in `text`.
fn locate(text: &str, path: &[String]) -> Result<Edit, String> {
    let start = skip(text, 0);
    let mut value = read_value(text, start)?;
    let mut walked = String::new();
    for (k, segment) in path.iter().enumerate() {
        let last = k + 1 == path.len();
        // `Some(x)` is the same as `x` in scenes.
        while value.name.as_deref() == Some("Some") {
            match &value.body {
                Some((b'(', _, items)) if items.len() == 1 && items[0].field.is_none() => {
                    value = read_value(text, items[0].value.start)?;
                }
                _ => break,
            }
        }
        let here = if walked.is_empty() {
            "the scene".to_owned()
        } else {
            format!("`{walked}`")
        };
        match &value.body {
            Some((b'[', _, items)) => {
                let (index, used) = pick_element(text, items, &path[k..]).ok_or_else(|| {
                    let names: Vec<String> =
                        items.iter().filter_map(|i| element_name(text, i)).collect();
                    format!(
                        "{here} has no element `{segment}`; pick one by name ({}) or by index (0 to {})",
                        if names.is_empty() {
                            "none has a name".to_owned()
                        } else {
                            names.join(", ")
                        },
                        items.len().saturating_sub(1)
                    )
                })?;
                if used > 1 {
                    // A name with dots took several segments.
                    return locate_rest(text, path, k, used, items[index].value.clone(), walked);
                }
                walked = join(&walked, segment);
                if last {
                    return Ok(Edit {
                        range: items[index].value.clone(),
                        kind: EditKind::Replace,
                        label_from: items[index].value.start,
                    });
                }
                value = read_value(text, items[index].value.start)?;
            }
            Some((b'(', inner, items)) => {
                match items
                    .iter()
                    .find(|i| i.field.as_deref() == Some(segment.as_str()))
                {
                    Some(item) => {
                        walked = join(&walked, segment);
                        if last {
                            return Ok(Edit {
                                range: item.value.clone(),
                                kind: EditKind::Replace,
                                label_from: item.start,
                            });
                        }
                        value = read_value(text, item.value.start)?;
                    }
                    None if last && items.iter().all(|i| i.field.is_some()) => {
                        // Add the field after the last item (the parser then says whether the
                        // field exists).
                        let at = items.last().map_or(inner.start, |i| i.value.end);
                        return Ok(Edit {
                            range: at..at,
                            kind: EditKind::AddField {
                                field: segment.clone(),
                                comma: !items.is_empty(),
                            },
                            label_from: at,
                        });
                    }
                    None if last => {
                        return Err(format!(
                            "{here} has no named field `{segment}` (its values are positional); set the whole value, e.g. --set {walked}=…"
                        ));
                    }
                    None => {
                        return Err(format!(
                            "{here} has no field `{segment}` in the scene; set the whole value instead, e.g. --set {}=…",
                            join(&walked, segment)
                        ));
                    }
                }
            }
            Some(_) | None => match (&value.name, last) {
                (Some(_), true) => {
                    return Ok(Edit {
                        range: value.range.end..value.range.end,
                        kind: EditKind::Open {
                            field: segment.clone(),
                        },
                        label_from: value.range.end,
                    });
                }
                _ => {
                    return Err(format!(
                        "{here} is `{}`, which has no field `{segment}`",
                        &text[value.range.clone()]
                    ));
                }
            },
        }
    }
    Ok(Edit {
        label_from: value.range.start,
        range: value.range,
        kind: EditKind::Replace,
    })
}

/// Continue [`locate`] after a list element matched by a dotted name of `used` segments.
fn locate_rest(
    text: &str,
    path: &[String],
    k: usize,
    used: usize,
    element: Range<usize>,
    walked: String,
) -> Result<Edit, String> {
    let rest = &path[k + used..];
    if rest.is_empty() {
        return Ok(Edit {
            label_from: element.start,
            range: element,
            kind: EditKind::Replace,
        });
    }
    let sub = &text[..element.end];
    let mut edit = locate(&sub[element.start..], rest).map_err(|m| {
        let name = path[k..k + used].join(".");
        m.replace("the scene", &format!("`{}`", join(&walked, &name)))
    })?;
    edit.range = edit.range.start + element.start..edit.range.end + element.start;
    edit.label_from += element.start;
    Ok(edit)
}

fn join(walked: &str, segment: &str) -> String {
    if walked.is_empty() {
        segment.to_owned()
    } else {
        format!("{walked}.{segment}")
    }
}

/// The element of `items` that `path` starts with: by `name` (possibly spanning several
/// dotted segments, longest first) or by index. Returns the element and segments used.
fn pick_element(text: &str, items: &[Item], path: &[String]) -> Option<(usize, usize)> {
    for used in (1..=path.len()).rev() {
        let name = path[..used].join(".");
        if let Some(i) = items
            .iter()
            .position(|i| element_name(text, i).as_deref() == Some(name.as_str()))
        {
            return Some((i, used));
        }
    }
    let index: usize = path[0].parse().ok()?;
    (index < items.len()).then_some((index, 1))
}

/// The `name: "…"` of a list element, if it has one.
fn element_name(text: &str, item: &Item) -> Option<String> {
    let value = read_value(text, item.value.start).ok()?;
    let (_, _, items) = value.body?;
    let name = items.iter().find(|i| i.field.as_deref() == Some("name"))?;
    let raw = text[name.value.clone()].trim();
    ron::from_str::<String>(raw).ok()
}

/// Skip blanks and comments from `at`.
fn skip(text: &str, at: usize) -> usize {
    text.len() - crate::context::skip_blank(&text[at..]).len()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Read the value starting at `at` (after blanks).
fn read_value(text: &str, at: usize) -> Result<Value, String> {
    let bytes = text.as_bytes();
    let start = skip(text, at);
    let mut i = start;
    while i < bytes.len() && is_ident(bytes[i]) {
        i += 1;
    }
    let name = (i > start && !bytes[start].is_ascii_digit()).then(|| text[start..i].to_owned());
    let after_name = if name.is_some() { skip(text, i) } else { start };
    match bytes.get(after_name) {
        Some(&open @ (b'(' | b'[')) if name.is_none() || open == b'(' => {
            let close = matching(text, after_name)?;
            let inner = after_name + 1..close;
            let items = read_items(text, inner.clone())?;
            Ok(Value {
                range: start..close + 1,
                name,
                body: Some((open, inner, items)),
            })
        }
        _ => {
            let end = trim_end(text, start, value_end(text, start)?);
            Ok(Value {
                range: start..end,
                name,
                body: None,
            })
        }
    }
}

/// The items of a bracket body: `field: value` or plain values, separated by commas.
fn read_items(text: &str, inner: Range<usize>) -> Result<Vec<Item>, String> {
    let bytes = text.as_bytes();
    let mut items = Vec::new();
    let mut at = skip(text, inner.start);
    while at < inner.end {
        // `ident :` is a field name.
        let mut i = at;
        while i < inner.end && is_ident(bytes[i]) {
            i += 1;
        }
        let colon = skip(text, i);
        let (field, value_start) = if i > at
            && colon < inner.end
            && bytes[colon] == b':'
            && bytes.get(colon + 1) != Some(&b':')
        {
            (Some(text[at..i].to_owned()), skip(text, colon + 1))
        } else {
            (None, at)
        };
        let end = value_end(text, value_start)?.min(inner.end);
        items.push(Item {
            start: at,
            field,
            value: value_start..trim_end(text, value_start, end),
        });
        at = skip(text, end);
        if at < inner.end && bytes[at] == b',' {
            at = skip(text, at + 1);
        }
    }
    Ok(items)
}

/// `end` moved back over trailing blanks (not comments) to the value's last character.
fn trim_end(text: &str, start: usize, end: usize) -> usize {
    start + text[start..end].trim_end().len()
}

/// Where the value starting at `at` ends: the first `,` or closing bracket at depth 0.
fn value_end(text: &str, at: usize) -> Result<usize, String> {
    let bytes = text.as_bytes();
    let mut i = at;
    while i < bytes.len() {
        match bytes[i] {
            b',' | b')' | b']' | b'}' => return Ok(i),
            b'(' | b'[' | b'{' => i = matching(text, i)? + 1,
            b'"' => i = string_end(text, i)?,
            b'/' if matches!(bytes.get(i + 1), Some(b'/' | b'*')) => {
                // A comment ends the value (its text is not part of it).
                let rest = skip(text, i);
                if rest == i {
                    return Ok(i);
                }
                match bytes.get(rest) {
                    Some(b',' | b')' | b']' | b'}') | None => return Ok(i),
                    _ => i = rest,
                }
            }
            _ => i += 1,
        }
    }
    Ok(i)
}

/// The index of the bracket closing the one at `open`.
fn matching(text: &str, open: usize) -> Result<usize, String> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i);
                }
                i += 1;
            }
            b'"' => i = string_end(text, i)?,
            b'/' if matches!(bytes.get(i + 1), Some(b'/' | b'*')) => {
                let next = skip(text, i);
                i = if next == i { i + 1 } else { next };
            }
            _ => i += 1,
        }
    }
    Err(format!(
        "the scene has an unclosed `{}` at {}",
        bytes[open] as char,
        Position::of_offset(text, open)
    ))
}

/// The index after the string literal starting at `at`.
fn string_end(text: &str, at: usize) -> Result<usize, String> {
    let bytes = text.as_bytes();
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(format!(
        "the scene has an unclosed string at {}",
        Position::of_offset(text, at)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENE: &str = r#"// A comment (with a bracket
(
    version: 1,
    duration_ms: 100.0, // trailing
    populations: [
        (name: "in", size: 2, model: Poisson(rate_hz: 10.0)),
        (name: "exc.a", size: 4, model: Lif /* all defaults */),
        (name: "inh", size: 4, model: LifRef()),
    ],
    projections: [(name: "p", from: "in", to: "exc.a", connectivity: AllToAll,
        weights: Constant(1.0), synapse: Delta)],
    recorders: [Spikes(population: "inh"), State(name: "v", target: "inh", variables: ["v"], indices: Some([0]))],
)
"#;

    fn set(text: &str, arg: &str) -> Result<String, String> {
        let set = SceneSet::parse(arg).map_err(|e| e.to_string())?;
        apply_sets(text, &[set])
            .map(|(t, _)| t)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn arguments_are_split_into_segments() {
        let s = SceneSet::parse("projections[1].weights = Constant(0.5)").unwrap();
        assert_eq!(s.path, ["projections", "1", "weights"]);
        assert_eq!(s.value, "Constant(0.5)");
        for bad in ["seed", "seed=", "a..b=1", ".a=1", "a[1=2", "=3"] {
            assert!(SceneSet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_replaced_or_added_in_place() {
        let t = set(SCENE, "populations.in.model.rate_hz=20.5").unwrap();
        assert!(t.contains("Poisson(rate_hz: 20.5)"), "{t}");
        let t = set(SCENE, "populations.inh.model.tau_ms=15").unwrap();
        assert!(t.contains("model: LifRef(tau_ms: 15)"), "{t}");
        // A bare model name opens its parameter list; a dotted population name is found.
        let t = set(SCENE, "populations.exc.a.model.tau_m_ms=15").unwrap();
        assert!(
            t.contains("model: Lif(tau_m_ms: 15) /* all defaults */"),
            "{t}"
        );
        let t = set(SCENE, "projections.p.weights=Uniform(low: 0.0, high: 1.0)").unwrap();
        assert!(
            t.contains("weights: Uniform(low: 0.0, high: 1.0), synapse"),
            "{t}"
        );
        let t = set(SCENE, "seed=7").unwrap();
        assert!(t.contains("indices: Some([0]))], seed: 7,\n)"), "{t}");
        let t = set(SCENE, "duration_ms=5").unwrap();
        assert!(t.contains("duration_ms: 5, // trailing"), "{t}");
        let t = set(SCENE, "recorders.v.indices=[1, 2]").unwrap();
        assert!(t.contains("indices: [1, 2])"), "{t}");
        let t = set(SCENE, "recorders[0].population=\"in\"").unwrap();
        assert!(t.contains("Spikes(population: \"in\")"), "{t}");
        let t = set(SCENE, "populations.1.size=8").unwrap();
        assert!(t.contains("(name: \"exc.a\", size: 8,"), "{t}");
    }

    #[test]
    fn missing_paths_are_named() {
        let e = set(SCENE, "populations.nope.size=3").unwrap_err();
        assert!(
            e.contains("--set populations.nope.size=3: `populations` has no element `nope`")
                && e.contains("in, exc.a, inh"),
            "{e}"
        );
        let e = set(SCENE, "projections.p.stp.u=0.5").unwrap_err();
        assert!(e.contains("has no field `stp` in the scene"), "{e}");
        let e = set(SCENE, "projections.p.weights.x=1").unwrap_err();
        assert!(e.contains("positional"), "{e}");
    }

    #[test]
    fn regions_follow_later_edits() {
        let sets = [
            SceneSet::parse("populations.in.size=3").unwrap(),
            SceneSet::parse("populations.in.model.rate_hz=123456.0").unwrap(),
        ];
        let (text, applied) = apply_sets(SCENE, &sets).unwrap();
        let size_at = text.find("size: 3").unwrap() + "size: ".len();
        let e = SceneError::new(SceneErrorKind::Invalid, "x.ron", "bad")
            .at(Some(Position::of_offset(&text, size_at)));
        assert_eq!(
            applied.relabel(e).to_string(),
            "--set populations.in.size=3: bad"
        );
        let rate_at = text.find("123456.0").unwrap();
        let e = SceneError::new(SceneErrorKind::Invalid, "x.ron", "bad")
            .at(Some(Position::of_offset(&text, rate_at)));
        assert_eq!(
            applied.relabel(e).to_string(),
            "--set populations.in.model.rate_hz=123456.0: bad"
        );
        let e = SceneError::new(SceneErrorKind::Invalid, "x.ron", "elsewhere")
            .at(Some(Position { line: 2, column: 1 }));
        assert_eq!(applied.relabel(e).to_string(), "x.ron:2:1: elsewhere");
    }
}
