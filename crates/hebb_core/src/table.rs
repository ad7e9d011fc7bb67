//! Numeric tables read from files that model params name (e.g. a rate schedule): CSV or NPY.
//!
//! A relative path is resolved against the [`DataDir`] resource, which the scene loader sets to
//! the scene file's directory, so a scene and its data files move together. Without it (models
//! built in code), relative paths are relative to the working directory.
//!
//! | format | what is read |
//! |---|---|
//! | `.csv` (any other extension) | rows of comma-separated numbers, all of the same length; blank lines and lines starting with `#` are skipped; a first line that is not all numbers is a header |
//! | `.npy` | a 1-D (one column) or 2-D C-order array of little-endian `f8`, `f4`, `i8` or `i4` (what `numpy.save` writes) |

use std::path::{Path, PathBuf};

use bevy_ecs::resource::Resource;

/// The directory relative file names in params are resolved against (the scene's directory).
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub struct DataDir(pub PathBuf);

/// A table of numbers, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Columns per row (≥ 1).
    pub columns: usize,
    /// `rows × columns` values, row after row.
    pub values: Vec<f64>,
}

impl Table {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.len() / self.columns.max(1)
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> &[f64] {
        &self.values[r * self.columns..(r + 1) * self.columns]
    }
}

/// `path` resolved against `dir` when relative.
pub fn resolve(path: &str, dir: Option<&DataDir>) -> PathBuf {
    let p = Path::new(path);
    match dir {
        Some(DataDir(d)) if p.is_relative() => d.join(p),
        _ => p.to_path_buf(),
    }
}

/// Read a numeric table (`.npy` by extension, CSV otherwise). Errors say which file, and for
/// CSV which line.
pub fn read_table(path: &Path) -> Result<Table, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let table = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
    {
        parse_npy(&bytes)
    } else {
        std::str::from_utf8(&bytes)
            .map_err(|_| "is not UTF-8 text (CSV expected)".to_owned())
            .and_then(parse_csv)
    };
    let table = table.map_err(|e| format!("`{shown}`: {e}"))?;
    if table.values.is_empty() {
        return Err(format!("`{shown}` holds no numbers"));
    }
    Ok(table)
}

/// Parse CSV text into a table.
pub fn parse_csv(text: &str) -> Result<Table, String> {
    let mut columns = 0;
    let mut values = Vec::new();
    let mut first = true;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed: Result<Vec<f64>, _> = fields.iter().map(|f| f.parse::<f64>()).collect();
        let row = match parsed {
            Ok(row) => row,
            Err(_) if first => {
                first = false;
                continue;
            }
            Err(_) => {
                let bad = fields
                    .iter()
                    .find(|f| f.parse::<f64>().is_err())
                    .copied()
                    .unwrap_or_default();
                return Err(format!("line {}: `{bad}` is not a number", n + 1));
            }
        };
        first = false;
        if columns == 0 {
            columns = row.len();
        } else if row.len() != columns {
            return Err(format!(
                "line {}: {} values, but the first row has {columns}",
                n + 1,
                row.len()
            ));
        }
        values.extend(row);
    }
    Ok(Table {
        columns: columns.max(1),
        values,
    })
}

/// Parse an NPY file (format versions 1–3).
pub fn parse_npy(bytes: &[u8]) -> Result<Table, String> {
    let bad = |m: &str| Err(format!("not a readable NPY file: {m}"));
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return bad("no NPY magic");
    }
    let (header_len, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return bad(&format!("format version {v}")),
    };
    let Some(header) = bytes.get(start..start + header_len) else {
        return bad("truncated header");
    };
    let header = String::from_utf8_lossy(header);
    let field = |key: &str| -> Option<String> {
        let at = header.find(&format!("'{key}'"))? + key.len() + 2;
        let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
        Some(rest.to_owned())
    };
    let descr = field("descr").unwrap_or_default();
    let descr = descr
        .trim_start_matches(['\'', '"'])
        .split(['\'', '"'])
        .next()
        .unwrap_or_default()
        .to_owned();
    if field("fortran_order").is_some_and(|f| f.starts_with("True")) {
        return bad("Fortran order (save a C-order array)");
    }
    let shape_text = field("shape").unwrap_or_default();
    let shape_text = shape_text
        .trim_start_matches('(')
        .split(')')
        .next()
        .unwrap_or_default();
    let Ok(shape) = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<Result<Vec<usize>, _>>()
    else {
        return bad("unreadable shape");
    };
    let (rows, columns) = match shape.as_slice() {
        [r] => (*r, 1),
        [r, c] => (*r, *c),
        _ => return bad(&format!("shape {shape:?}: a 1-D or 2-D array is needed")),
    };
    let data = &bytes[start + header_len..];
    let count = rows.saturating_mul(columns);
    let (width, read): (usize, fn(&[u8]) -> f64) = match descr.as_str() {
        "<f8" => (8, |b| f64::from_le_bytes(b.try_into().unwrap_or_default())),
        "<f4" => (4, |b| {
            f64::from(f32::from_le_bytes(b.try_into().unwrap_or_default()))
        }),
        "<i8" => (8, |b| {
            i64::from_le_bytes(b.try_into().unwrap_or_default()) as f64
        }),
        "<i4" => (4, |b| {
            f64::from(i32::from_le_bytes(b.try_into().unwrap_or_default()))
        }),
        other => {
            return bad(&format!(
                "dtype `{other}`: little-endian f8, f4, i8 or i4 is needed"
            ));
        }
    };
    if data.len() < count.saturating_mul(width) {
        return bad("truncated data");
    }
    Ok(Table {
        columns: columns.max(1),
        values: data.chunks_exact(width).take(count).map(read).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while !(10 + header.len() + 1).is_multiple_of(64) {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn csv_with_header_comments_and_errors() {
        let t = parse_csv("# rates\nt_ms, rate_hz\n0, 5\n\n100.5, 40\n").unwrap();
        assert_eq!(t.columns, 2);
        assert_eq!(t.values, vec![0.0, 5.0, 100.5, 40.0]);
        assert_eq!(t.row(1), &[100.5, 40.0]);
        assert_eq!(
            parse_csv("0,1\n1,2,3\n").unwrap_err(),
            "line 2: 3 values, but the first row has 2"
        );
        assert_eq!(
            parse_csv("t,r\n0,1\n1,x\n").unwrap_err(),
            "line 3: `x` is not a number"
        );
    }

    #[test]
    fn npy_f8_f4_and_shapes() {
        let data: Vec<u8> = [0.0f64, 5.0, 100.0, 40.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let t = parse_npy(&npy("<f8", "(2, 2)", &data)).unwrap();
        assert_eq!((t.columns, t.rows()), (2, 2));
        assert_eq!(t.values, vec![0.0, 5.0, 100.0, 40.0]);
        let data: Vec<u8> = [1.5f32, 2.5, 3.5]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let t = parse_npy(&npy("<f4", "(3,)", &data)).unwrap();
        assert_eq!((t.columns, t.values), (1, vec![1.5, 2.5, 3.5]));
        assert!(
            parse_npy(&npy("<f8", "(3, 2)", &[0; 8]))
                .unwrap_err()
                .contains("truncated")
        );
        assert!(
            parse_npy(&npy(">f8", "(1,)", &[0; 8]))
                .unwrap_err()
                .contains("dtype `>f8`")
        );
        assert!(parse_npy(b"not npy at all").is_err());
    }
}
