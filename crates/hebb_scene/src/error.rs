//! [`SceneError`]: what went wrong, in which file, where, in which scene element.

use std::fmt;

use thiserror::Error;

/// A 1-based line and column (in characters) in a scene file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text` (clamped to the text's end and to a character
    /// boundary).
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Self {
            line: 1 + before.matches('\n').count(),
            column: 1 + before[line_start..].chars().count(),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What kind of failure a [`SceneError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SceneErrorKind {
    /// The file could not be read or written.
    Io,
    /// The text is not a valid scene: RON syntax, unknown or missing fields, wrong types,
    /// unknown model names, wrong version.
    Syntax,
    /// The scene parses but a value is invalid (a parameter out of range, an unknown population
    /// name, a delay off the time grid, …) or the network cannot be built.
    Invalid,
}

/// An error while reading, validating, building or saving a scene.
///
/// Displays as `path:line:column: element: message`, e.g.
/// ``scenes/x.ron:14:13: projections[2] (`e_to_i`): delay_ms must be >= 0 and a whole number of
/// time steps (dt = 0.1 ms), got 0.15``; the position and element are left out when unknown.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}", self.render())]
pub struct SceneError {
    /// What kind of failure.
    pub kind: SceneErrorKind,
    /// The scene file (or the origin name given to [`crate::Scene::parse`]).
    pub path: String,
    /// Where in the file, when known.
    pub position: Option<Position>,
    /// The scene element, e.g. ``projections[2] (`e_to_i`)``, when the error belongs to one.
    pub element: Option<String>,
    /// What is wrong, with the given value.
    pub message: String,
}

impl SceneError {
    /// A new error without position or element.
    pub fn new(kind: SceneErrorKind, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            path: path.into(),
            position: None,
            element: None,
            message: message.into(),
        }
    }

    /// The same error at `position`.
    pub fn at(mut self, position: Option<Position>) -> Self {
        self.position = position;
        self
    }

    /// The same error attributed to `element`.
    pub fn in_element(mut self, element: impl Into<String>) -> Self {
        self.element = Some(element.into());
        self
    }

    fn render(&self) -> String {
        let mut out = self.path.clone();
        if let Some(p) = self.position {
            out.push_str(&format!(":{p}"));
        }
        out.push_str(": ");
        if let Some(e) = &self.element {
            out.push_str(e);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "ab\nμc\n";
        assert_eq!(Position::of_offset(text, 0).to_string(), "1:1");
        assert_eq!(Position::of_offset(text, 3).to_string(), "2:1");
        // `c` comes after the two-byte `μ`: byte 5, column 2.
        assert_eq!(Position::of_offset(text, 5).to_string(), "2:2");
        assert_eq!(Position::of_offset(text, 99).to_string(), "3:1");
    }

    #[test]
    fn display_has_path_position_element_message() {
        let e = SceneError::new(SceneErrorKind::Invalid, "x.ron", "size must be >= 1, got 0")
            .at(Some(Position { line: 4, column: 9 }))
            .in_element("populations[0] (`a`)");
        assert_eq!(
            e.to_string(),
            "x.ron:4:9: populations[0] (`a`): size must be >= 1, got 0"
        );
        let e = SceneError::new(SceneErrorKind::Io, "x.ron", "not found");
        assert_eq!(e.to_string(), "x.ron: not found");
    }
}
