//! NPY sink: one `.npy` file per recorder, a 1-D structured array that a plain `numpy.load`
//! reads (the header stays small whatever the number of recorded values: numpy refuses headers
//! over 10 000 bytes by default).
//!
//! - spikes: `[('t_ms', '<f8'), ('neuron', '<u4')]`
//! - weight tables: `[('t_ms', '<f8'), ('pre', '<u4'), ('post', '<u4'), ('w', '<f4')]`, one
//!   row per synapse and time
//! - state, weight and rate recorders: `t_ms` and one field per variable, holding that
//!   variable's recorded elements as a sub-array: `[('t_ms', '<f8'), ('v', '<f4', (3,))]`, so
//!   `np.load("v_exc.npy")["v"]` is a (rows × 3) array (`'<f8'` with hebb_core's `f64`
//!   feature). A variable recorded as one plain value (a rate recorder's `rate_hz`) is a plain
//!   field. Which element each sub-array column is goes into the sidecar
//!   `<recorder>.columns.json`: `{"v": ["v[0]", "v[5]", "v[9]"]}` (the CSV column names).
//!
//! The row count in the header is rewritten at every flush (the header keeps a fixed length,
//! padded with spaces as the format allows), so the file is a valid array after each flush.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use hebb_core::Real;
use hebb_core::record::{
    Recorders, RecordingSink, SpikeRecording, StateRecording, WeightTableRecording,
};

use crate::rowfile::{RowFile, with_path};
use crate::{OutputFormat, clean_time, recorder_path, spikes_path, time_ms};

const MAGIC: &[u8] = b"\x93NUMPY";
/// Room left in the header for the row count to grow.
const SHAPE_ROOM: usize = 24;

/// NumPy dtype of `Real`.
pub const REAL_DESCR: &str = if std::mem::size_of::<Real>() == 4 {
    "<f4"
} else {
    "<f8"
};

/// One open `.npy` file.
struct NpyFile {
    name: String,
    writer: RowFile,
    descr: String,
    header_total: usize,
}

/// The Python dict literal of a header.
fn header_dict(descr: &str, rows: u64) -> String {
    format!("{{'descr': {descr}, 'fortran_order': False, 'shape': ({rows},), }}")
}

/// Escape a field name for a Python string literal.
fn py_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `[('t_ms', '<f8'), (name, kind), …]`.
pub fn structured_descr(fields: &[(&str, &str)]) -> String {
    let inner: Vec<String> = fields
        .iter()
        .map(|(n, k)| format!("({}, '{k}')", py_str(n)))
        .collect();
    format!("[{}]", inner.join(", "))
}

/// The fields of a state recorder's file: per variable, its name and its columns (in file
/// order). Columns are grouped by variable as recorders lay them out (`v[0], v[1], u[0], u[1]`).
pub fn variable_fields(rec: &StateRecording) -> Vec<(&str, &[String])> {
    let per = rec.columns.len() / rec.variables.len().max(1);
    rec.variables
        .iter()
        .enumerate()
        .map(|(k, v)| (v.as_str(), &rec.columns[k * per..(k + 1) * per]))
        .collect()
}

/// The dtype of a state recorder's file (see the module docs).
pub fn state_descr(rec: &StateRecording) -> String {
    let mut inner = vec!["('t_ms', '<f8')".to_owned()];
    for (variable, columns) in variable_fields(rec) {
        if columns.len() == 1 && columns[0] == variable {
            inner.push(format!("({}, '{REAL_DESCR}')", py_str(variable)));
        } else {
            inner.push(format!(
                "({}, '{REAL_DESCR}', ({},))",
                py_str(variable),
                columns.len()
            ));
        }
    }
    format!("[{}]", inner.join(", "))
}

/// The sidecar naming the columns of each variable of a state recorder's `.npy` file.
pub fn columns_path(dir: &Path, name: &str) -> std::path::PathBuf {
    dir.join(format!("{name}.columns.json"))
}

/// The sidecar's text: `{"v": ["v[0]", …], …}`.
fn columns_json(rec: &StateRecording) -> String {
    let map: serde_json::Map<String, serde_json::Value> = variable_fields(rec)
        .into_iter()
        .map(|(v, cols)| (v.to_owned(), serde_json::json!(cols)))
        .collect();
    let mut text = serde_json::Value::Object(map).to_string();
    text.push('\n');
    text
}

/// Full header bytes (magic, version, length, dict, padding, newline) of `total` bytes, or of
/// the natural size (rounded up to 64, with room for the row count) when `total` is `None`.
fn header_bytes(descr: &str, rows: u64, total: Option<usize>) -> Vec<u8> {
    let dict = header_dict(descr, rows);
    let long = dict.len() + SHAPE_ROOM + 12 > 65_535;
    let prefix = if long { 12 } else { 10 };
    let total = total.unwrap_or_else(|| (prefix + dict.len() + SHAPE_ROOM + 1).div_ceil(64) * 64);
    let header_len = total - prefix;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    if long {
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    } else {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// Parse the header of an existing `.npy` file: `(header bytes, rows)`.
pub fn read_header(file: &mut File) -> std::io::Result<(usize, String, u64)> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let mut start = [0u8; 12];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut start[..10])?;
    if &start[..6] != MAGIC {
        return Err(bad("not an .npy file"));
    }
    let (prefix, len) = match start[6] {
        1 => (10, usize::from(u16::from_le_bytes([start[8], start[9]]))),
        2 => {
            file.read_exact(&mut start[10..12])?;
            (
                12,
                u32::from_le_bytes([start[8], start[9], start[10], start[11]]) as usize,
            )
        }
        v => return Err(bad(&format!("unsupported .npy version {v}"))),
    };
    let mut dict = vec![0u8; len];
    file.read_exact(&mut dict)?;
    let dict = String::from_utf8(dict).map_err(|_| bad("header is not text"))?;
    let shape = dict
        .find("'shape': (")
        .ok_or_else(|| bad("header has no shape"))?
        + 10;
    let end = dict[shape..].find(',').ok_or_else(|| bad("bad shape"))? + shape;
    let rows = dict[shape..end]
        .trim()
        .parse()
        .map_err(|_| bad("bad row count"))?;
    let descr_start = dict
        .find("'descr': ")
        .ok_or_else(|| bad("header has no descr"))?
        + 9;
    let descr_end = dict
        .find(", 'fortran_order'")
        .ok_or_else(|| bad("bad descr"))?;
    Ok((prefix + len, dict[descr_start..descr_end].to_owned(), rows))
}

impl NpyFile {
    fn open(
        path: &Path,
        name: &str,
        descr: String,
        row_bytes: u64,
        append: bool,
    ) -> std::io::Result<Self> {
        if append && path.exists() {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(|e| with_path(path, e))?;
            let (header_total, existing, rows) =
                read_header(&mut file).map_err(|e| with_path(path, e))?;
            if existing != descr {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: columns differ from the recorder's", path.display()),
                ));
            }
            // Drop whatever follows the rows the header counts (a run killed between writing
            // data and updating the header).
            let end = header_total as u64 + rows * row_bytes;
            file.set_len(end).map_err(|e| with_path(path, e))?;
            return Ok(Self {
                name: name.to_owned(),
                writer: RowFile::new(path, file, end, rows)?,
                descr,
                header_total,
            });
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| with_path(path, e))?;
        let header = header_bytes(&descr, 0, None);
        file.write_all(&header).map_err(|e| with_path(path, e))?;
        Ok(Self {
            name: name.to_owned(),
            writer: RowFile::new(path, file, header.len() as u64, 0)?,
            descr,
            header_total: header.len(),
        })
    }

    /// `rows` rows were appended to the writer's buffer; on a failed write, the header is
    /// fixed to the rows on disk before the error is returned.
    fn rows_done(&mut self, rows: u64) -> std::io::Result<()> {
        let result = self.writer.rows_done(rows);
        if result.is_err() {
            let _ = self.write_header();
        }
        result
    }

    /// Rewrite the header with the row count on disk.
    fn write_header(&mut self) -> std::io::Result<()> {
        let header = header_bytes(
            &self.descr,
            self.writer.committed_rows(),
            Some(self.header_total),
        );
        let path = self.writer.path().to_owned();
        let file = self.writer.file_mut();
        let end = file.stream_position()?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header).map_err(|e| with_path(&path, e))?;
        file.seek(SeekFrom::Start(end))?;
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let written = self.writer.write_out();
        let header = self.write_header();
        written.and(header)
    }
}

/// Writes every recorder to its `.npy` file as data arrives.
pub struct NpySink {
    spikes: Vec<NpyFile>,
    states: Vec<NpyFile>,
    tables: Vec<NpyFile>,
}

impl NpySink {
    /// Create (or, resuming with `append`, reopen) one file per recorder in `dir`.
    pub fn create(dir: &Path, recorders: &Recorders, append: bool) -> std::io::Result<Self> {
        let mut spikes = Vec::new();
        for rec in &recorders.spikes {
            let descr = structured_descr(&[("t_ms", "<f8"), ("neuron", "<u4")]);
            let path = spikes_path(dir, &rec.name, OutputFormat::Npy);
            spikes.push(NpyFile::open(&path, &rec.name, descr, 12, append)?);
        }
        let mut states = Vec::new();
        for rec in &recorders.states {
            let path = recorder_path(dir, &rec.name, OutputFormat::Npy);
            let row_bytes = 8 + (rec.columns.len() * std::mem::size_of::<Real>()) as u64;
            states.push(NpyFile::open(
                &path,
                &rec.name,
                state_descr(rec),
                row_bytes,
                append,
            )?);
            let sidecar = columns_path(dir, &rec.name);
            std::fs::write(&sidecar, columns_json(rec)).map_err(|e| with_path(&sidecar, e))?;
        }
        let mut tables = Vec::new();
        for rec in &recorders.tables {
            let descr = structured_descr(&[
                ("t_ms", "<f8"),
                ("pre", "<u4"),
                ("post", "<u4"),
                ("w", REAL_DESCR),
            ]);
            let path = recorder_path(dir, &rec.name, OutputFormat::Npy);
            let row_bytes = 16 + std::mem::size_of::<Real>() as u64;
            tables.push(NpyFile::open(&path, &rec.name, descr, row_bytes, append)?);
        }
        let mut sink = Self {
            spikes,
            states,
            tables,
        };
        sink.flush()?;
        Ok(sink)
    }
}

impl RecordingSink for NpySink {
    fn write_spikes(
        &mut self,
        recorder: &SpikeRecording,
        dt_ms: f64,
        steps: &[u64],
        neurons: &[u32],
    ) -> std::io::Result<()> {
        let Some(f) = self.spikes.iter_mut().find(|f| f.name == recorder.name) else {
            return Ok(());
        };
        for (&s, &n) in steps.iter().zip(neurons) {
            let row = f.writer.buffer();
            row.extend_from_slice(&time_ms(s, dt_ms).to_le_bytes());
            row.extend_from_slice(&n.to_le_bytes());
            f.rows_done(1)?;
        }
        Ok(())
    }

    fn write_rows(
        &mut self,
        recorder: &StateRecording,
        times_ms: &[f64],
        values: &[Real],
    ) -> std::io::Result<()> {
        let Some(f) = self.states.iter_mut().find(|f| f.name == recorder.name) else {
            return Ok(());
        };
        let n = recorder.columns.len();
        for (r, &t) in times_ms.iter().enumerate() {
            let row = f.writer.buffer();
            row.extend_from_slice(&clean_time(t).to_le_bytes());
            for v in &values[r * n..(r + 1) * n] {
                row.extend_from_slice(&v.to_le_bytes());
            }
            f.rows_done(1)?;
        }
        Ok(())
    }

    fn write_table(
        &mut self,
        recorder: &WeightTableRecording,
        times_ms: &[f64],
        values: &[Real],
    ) -> std::io::Result<()> {
        let Some(f) = self.tables.iter_mut().find(|f| f.name == recorder.name) else {
            return Ok(());
        };
        let n = recorder.pre.len();
        for (r, &t) in times_ms.iter().enumerate() {
            let t = clean_time(t).to_le_bytes();
            for (k, v) in values[r * n..(r + 1) * n].iter().enumerate() {
                let row = f.writer.buffer();
                row.extend_from_slice(&t);
                row.extend_from_slice(&recorder.pre[k].to_le_bytes());
                row.extend_from_slice(&recorder.post[k].to_le_bytes());
                row.extend_from_slice(&v.to_le_bytes());
                f.rows_done(1)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut first = Ok(());
        for f in self
            .spikes
            .iter_mut()
            .chain(self.states.iter_mut())
            .chain(self.tables.iter_mut())
        {
            let result = f.flush();
            if first.is_ok() {
                first = result;
            }
        }
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_parsable() {
        let descr = structured_descr(&[("t_ms", "<f8"), ("w[0,1]", "<f4")]);
        let h = header_bytes(&descr, 0, None);
        assert_eq!(h.len() % 64, 0);
        assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
        assert_eq!(*h.last().unwrap(), b'\n');
        let grown = header_bytes(&descr, 123_456_789_012, Some(h.len()));
        assert_eq!(grown.len(), h.len());
        let dir = std::env::temp_dir().join(format!("hebb_npy_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("h.npy");
        std::fs::write(&path, &grown).unwrap();
        let (len, parsed_descr, rows) = read_header(&mut File::open(&path).unwrap()).unwrap();
        assert_eq!((len, rows), (h.len(), 123_456_789_012));
        assert_eq!(parsed_descr, descr);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn many_columns_keep_the_header_small() {
        // 64k neurons of two variables: numpy's default header limit is 10 000 bytes.
        let columns: Vec<String> = ["v", "u"]
            .iter()
            .flat_map(|v| (0..65_536).map(move |i| format!("{v}[{i}]")))
            .collect();
        let rec = StateRecording {
            name: "all".into(),
            entity: bevy_ecs::entity::Entity::PLACEHOLDER,
            columns,
            variables: vec!["v".into(), "u".into()],
            sources: Vec::new(),
            stride: 1,
            times_ms: Vec::new(),
            values: Vec::new(),
            rate: None,
        };
        let descr = state_descr(&rec);
        assert_eq!(
            descr,
            format!(
                "[('t_ms', '<f8'), ('v', '{REAL_DESCR}', (65536,)), ('u', '{REAL_DESCR}', (65536,))]"
            )
        );
        let h = header_bytes(&descr, 0, None);
        assert!(h.len() <= 256, "{}", h.len());
        assert_eq!(&h[6..8], &[1, 0]);
        let json: serde_json::Value = serde_json::from_str(&columns_json(&rec)).unwrap();
        assert_eq!(json["u"][3], "u[3]");
        assert_eq!(json["v"].as_array().unwrap().len(), 65_536);
    }

    #[test]
    fn long_headers_switch_to_version_2() {
        let names: Vec<String> = (0..8000).map(|i| format!("v[{i}]")).collect();
        let fields: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "<f4")).collect();
        let h = header_bytes(&structured_descr(&fields), 0, None);
        assert_eq!(&h[6..8], &[2, 0]);
        assert_eq!(h.len() % 64, 0);
    }
}
