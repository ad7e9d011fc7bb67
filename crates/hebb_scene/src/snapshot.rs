//! Snapshot files: a scene plus the full state of its running simulation, in one file, so a
//! run can stop at time T and resume bit for bit (`hebb run --snapshot-at`, `hebb resume`).
//!
//! Layout: the 8 bytes `HEBBSNAP`, a little-endian `u32` format version, a little-endian `u32`
//! CRC-32 of everything after it, then a postcard body holding the scene as RON text, the path
//! it was loaded from, the hebb version that wrote it, and the [`StateSnapshot`] (every
//! registered state array, RNG stream states, the clock, the recorders' contents and
//! positions).
//!
//! Loading checks, in order: the magic, the format, the file's length and checksum (any flipped,
//! missing or inserted byte is caught here), the body's decoding (nothing may be left over),
//! the embedded scene (parsed and validated again), and then, on restore, the state against
//! the network rebuilt from that scene: the same entities, the same state components per
//! entity (the same models), every array of the same length, the same dt and seed, recorder
//! contents that fit ([`Simulation::restore_state`]). A snapshot that fails any check is an
//! error naming the file; nothing is restored from it. Files are written atomically (a
//! temporary file renamed over the target).

use std::path::Path;

use hebb_core::plugin::PluginGroup;
use hebb_core::registry::Registry;
use hebb_core::simulation::Simulation;
use hebb_core::snapshot::StateSnapshot;
use serde::{Deserialize, Serialize};

use crate::error::{SceneError, SceneErrorKind};
use crate::scene::Scene;

/// First bytes of every snapshot file.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"HEBBSNAP";
/// Format version written by this hebb (2: with a CRC-32 of the body).
pub const SNAPSHOT_FORMAT: u32 = 2;
/// Bytes before the body: magic, format, checksum.
const PREFIX: usize = 16;

#[derive(Serialize, Deserialize)]
struct Body {
    scene_ron: String,
    scene_path: String,
    hebb_version: String,
    state: StateSnapshot,
}

/// A loaded snapshot: the scene and the state to restore into a network built from it.
#[derive(Debug)]
pub struct Snapshot {
    /// The scene, parsed again from the text stored in the file.
    pub scene: Scene,
    /// The saved state.
    pub state: StateSnapshot,
    /// The hebb version that wrote the file.
    pub hebb_version: String,
}

impl Snapshot {
    /// Build the scene's network with `plugins` and restore the state into it.
    pub fn build(&self, plugins: impl PluginGroup) -> Result<Simulation, SceneError> {
        let mut sim = self.scene.build(plugins)?;
        sim.restore_state(&self.state).map_err(|e| {
            SceneError::new(
                SceneErrorKind::Invalid,
                self.scene.path(),
                format!("the saved state does not fit the network of the snapshot's scene: {e}"),
            )
        })?;
        Ok(sim)
    }

    /// Time at which the snapshot was taken, ms.
    pub fn time_ms(&self) -> f64 {
        self.state.clock.time_ms()
    }
}

/// Write `scene` and the current state of `sim` (built from it) to `path`.
pub fn save_snapshot(
    path: impl AsRef<Path>,
    scene: &Scene,
    sim: &Simulation,
) -> Result<(), SceneError> {
    let state = sim.save_state().map_err(|e| {
        SceneError::new(
            SceneErrorKind::Invalid,
            path.as_ref().display().to_string(),
            e.to_string(),
        )
    })?;
    save_snapshot_state(path, scene, state)
}

/// Write `scene` and `state` (the state of a network built from it, e.g. gathered from the
/// ranks of a distributed run) to `path`.
pub fn save_snapshot_state(
    path: impl AsRef<Path>,
    scene: &Scene,
    state: StateSnapshot,
) -> Result<(), SceneError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let invalid = |m: String| SceneError::new(SceneErrorKind::Invalid, shown.clone(), m);
    let body = Body {
        scene_ron: scene.to_ron()?,
        scene_path: scene.path().to_owned(),
        hebb_version: env!("CARGO_PKG_VERSION").to_owned(),
        state,
    };
    let encoded = postcard::to_allocvec(&body)
        .map_err(|e| invalid(format!("cannot encode snapshot: {e}")))?;
    let mut bytes = Vec::with_capacity(PREFIX + encoded.len());
    bytes.extend_from_slice(SNAPSHOT_MAGIC);
    bytes.extend_from_slice(&SNAPSHOT_FORMAT.to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&encoded).to_le_bytes());
    bytes.extend_from_slice(&encoded);
    write_atomic(path, &bytes).map_err(|e| {
        SceneError::new(
            SceneErrorKind::Io,
            shown.clone(),
            format!("cannot write snapshot: {e}"),
        )
    })
}

/// Write `bytes` into a temporary file beside `path`, sync it and rename it over `path`: the
/// snapshot is complete or absent, never half-written (e.g. on a full disk).
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".hebbsnap.")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // Temporary files are private (0600); the result is an ordinary file like any other.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Read the snapshot at `path`; model names in its scene are looked up in `registry`.
pub fn load_snapshot(path: impl AsRef<Path>, registry: &Registry) -> Result<Snapshot, SceneError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        SceneError::new(
            SceneErrorKind::Io,
            shown.clone(),
            format!("cannot read snapshot: {e}"),
        )
    })?;
    parse_snapshot(&bytes, &shown, registry)
}

/// Decode and check the snapshot file content `bytes`; `shown` names it in errors.
pub fn parse_snapshot(
    bytes: &[u8],
    shown: &str,
    registry: &Registry,
) -> Result<Snapshot, SceneError> {
    let shown = shown.to_owned();
    let invalid = |m: String| SceneError::new(SceneErrorKind::Invalid, shown.clone(), m);
    if bytes.len() < 12 || &bytes[..8] != SNAPSHOT_MAGIC {
        return Err(invalid(
            "not a hebb snapshot file (it does not start with HEBBSNAP)".into(),
        ));
    }
    let format = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if format != SNAPSHOT_FORMAT {
        return Err(invalid(format!(
            "snapshot format {format} is not supported (this hebb reads format {SNAPSHOT_FORMAT}; format 1 files from older hebb versions have no checksum: resume them with that version or run the scene again)"
        )));
    }
    if bytes.len() < PREFIX {
        return Err(invalid("snapshot is truncated (no checksum)".into()));
    }
    let stored = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let computed = crc32fast::hash(&bytes[PREFIX..]);
    if stored != computed {
        return Err(invalid(format!(
            "snapshot is damaged, truncated or was edited: its checksum does not match ({} bytes, CRC-32 {computed:08x}, written {stored:08x}); nothing was restored",
            bytes.len()
        )));
    }
    let (body, rest): (Body, &[u8]) = postcard::take_from_bytes(&bytes[PREFIX..])
        .map_err(|e| invalid(format!("snapshot is damaged or truncated: {e}")))?;
    if !rest.is_empty() {
        return Err(invalid(format!(
            "snapshot is damaged: {} bytes follow its content",
            rest.len()
        )));
    }
    let scene_name = format!("{shown} (scene {})", body.scene_path);
    let scene = Scene::parse(&body.scene_ron, &scene_name, registry)?;
    Ok(Snapshot {
        scene,
        state: body.state,
        hebb_version: body.hebb_version,
    })
}
