//! Population views: part of a population, written where a population name is accepted
//! (recorders' `population` / `target`, stimuli's `population`).
//!
//! | written | selects |
//! |---|---|
//! | `"exc"` | the whole population |
//! | `"exc[0:100]"` | neurons 0 to 99 (a half-open range, as in Python) |
//! | `"exc[7]"` | neuron 7 |
//! | `"exc[0:10, 50, 90:100]"` | ranges and single neurons, in the order written |
//!
//! A range `a:b` needs `a < b <= size`; a single index `i < size`; no neuron may be selected
//! twice. Open ends (`exc[:100]`, `exc[100:]`) mean the population's start and end.

use std::fmt;

/// One part of a view's selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Neurons `start..end` (`end` = the population's size when `None`).
    Range {
        /// First neuron.
        start: u32,
        /// One past the last neuron; `None` for the population's end.
        end: Option<u32>,
    },
    /// One neuron.
    Index(u32),
}

/// A population name with an optional selection of its neurons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationView {
    /// The population.
    pub population: String,
    /// The selected parts; `None` selects the whole population.
    pub parts: Option<Vec<Part>>,
}

/// Why a view is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{view}`: {message}")]
pub struct ViewError {
    /// The view as written.
    pub view: String,
    /// What is wrong.
    pub message: String,
}

impl PopulationView {
    /// Parse `name` or `name[selection]`.
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        let error = |message: String| ViewError {
            view: text.to_owned(),
            message,
        };
        let Some(open) = text.find('[') else {
            return Ok(Self {
                population: text.to_owned(),
                parts: None,
            });
        };
        let population = text[..open].trim().to_owned();
        let inner = text[open + 1..].strip_suffix(']').ok_or_else(|| {
            error("a view is `population[start:end]`, `population[i]` or a comma-separated list of those; the `]` is missing at the end".into())
        })?;
        if population.is_empty() {
            return Err(error("the population name before `[` is empty".into()));
        }
        let number = |s: &str, what: &str| -> Result<u32, ViewError> {
            s.trim().parse::<u32>().map_err(|_| {
                error(format!(
                    "{what} `{}` is not a neuron index (a whole number >= 0)",
                    s.trim()
                ))
            })
        };
        let mut parts = Vec::new();
        for piece in inner.split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                return Err(error("an empty item in the selection".into()));
            }
            parts.push(match piece.split_once(':') {
                Some((a, b)) => {
                    let start = if a.trim().is_empty() {
                        0
                    } else {
                        number(a, "start")?
                    };
                    let end = if b.trim().is_empty() {
                        None
                    } else {
                        Some(number(b, "end")?)
                    };
                    if let Some(end) = end
                        && end <= start
                    {
                        return Err(error(format!(
                            "the range {start}:{end} is empty (the end is exclusive and must be > the start)"
                        )));
                    }
                    Part::Range { start, end }
                }
                None => Part::Index(number(piece, "index")?),
            });
        }
        Ok(Self {
            population,
            parts: Some(parts),
        })
    }

    /// Whether the view selects part of the population (a selection is written).
    pub fn is_partial(&self) -> bool {
        self.parts.is_some()
    }

    /// The selected neurons of a population of `size`, in the order written; `None` for the
    /// whole population. Errors name the part out of range or selected twice.
    pub fn neurons(&self, size: usize) -> Result<Option<Vec<u32>>, ViewError> {
        let Some(parts) = &self.parts else {
            return Ok(None);
        };
        let error = |message: String| ViewError {
            view: self.to_string(),
            message,
        };
        let mut seen = vec![false; size];
        let mut out = Vec::new();
        for part in parts {
            let (start, end) = match *part {
                Part::Range { start, end } => (start as usize, end.map_or(size, |e| e as usize)),
                Part::Index(i) => (i as usize, i as usize + 1),
            };
            if end > size || start >= end {
                return Err(error(format!(
                    "{} is out of range for `{}` of size {size} (neurons 0 to {})",
                    part_text(part),
                    self.population,
                    size.saturating_sub(1)
                )));
            }
            for (i, seen) in seen.iter_mut().enumerate().take(end).skip(start) {
                if std::mem::replace(seen, true) {
                    return Err(error(format!("neuron {i} is selected twice")));
                }
                out.push(i as u32);
            }
        }
        Ok(Some(out))
    }
}

fn part_text(part: &Part) -> String {
    match part {
        Part::Range {
            start,
            end: Some(e),
        } => format!("{start}:{e}"),
        Part::Range { start, end: None } => format!("{start}:"),
        Part::Index(i) => format!("index {i}"),
    }
}

impl fmt::Display for PopulationView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.population)?;
        if let Some(parts) = &self.parts {
            let items: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    Part::Index(i) => i.to_string(),
                    other => part_text(other),
                })
                .collect();
            write!(f, "[{}]", items.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_parse_and_resolve() {
        let v = PopulationView::parse("exc").unwrap();
        assert_eq!((v.population.as_str(), v.is_partial()), ("exc", false));
        assert_eq!(v.neurons(5).unwrap(), None);
        let v = PopulationView::parse("exc[1:3, 7,:1]").unwrap();
        assert_eq!(v.population, "exc");
        assert_eq!(v.neurons(8).unwrap(), Some(vec![1, 2, 7, 0]));
        assert_eq!(v.to_string(), "exc[1:3, 7, 0:1]");
        let v = PopulationView::parse("exc[6:]").unwrap();
        assert_eq!(v.neurons(8).unwrap(), Some(vec![6, 7]));
    }

    #[test]
    fn bad_views_say_why() {
        let msg = |t: &str| PopulationView::parse(t).unwrap_err().to_string();
        assert!(msg("exc[0:100").contains("`]` is missing"));
        assert!(msg("[0:3]").contains("name before `[` is empty"));
        assert!(msg("exc[3:3]").contains("range 3:3 is empty"));
        assert!(msg("exc[a]").contains("index `a` is not a neuron index"));
        assert!(msg("exc[-1:4]").contains("start `-1`"));
        assert!(msg("exc[1,,2]").contains("empty item"));
        let range = |t: &str, size| {
            PopulationView::parse(t)
                .unwrap()
                .neurons(size)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            range("exc[0:100]", 80),
            "`exc[0:100]`: 0:100 is out of range for `exc` of size 80 (neurons 0 to 79)"
        );
        assert!(range("exc[80]", 80).contains("index 80 is out of range"));
        assert!(range("exc[80:]", 80).contains("80: is out of range"));
        assert!(range("exc[0:4, 3]", 80).contains("neuron 3 is selected twice"));
    }
}
