//! Snapshot fuzzing (issue 13): damaged snapshot files of a network with every built-in model
//! (`tests/fixtures/every_model.ron`) are an error, never a panic, never a silently different
//! run.
//!
//! Each case mutates a valid snapshot (flip a bit, overwrite a byte, truncate, insert bytes,
//! delete a range), loads it, and when it loads, resumes it to the end and compares the final
//! state with the undamaged resume. Two modes:
//!
//! - **file**: the damaged file as it is. The checksum must reject every change: 0 panics,
//!   0 accepted changes.
//! - **edited**: the checksum recomputed after the change (a deliberate edit, or damage the
//!   checksum cannot see). Every structural change must still be refused by decoding and the
//!   checks against the rebuilt network, and nothing may panic: not loading, checking or
//!   restoring, and not stepping the restored state to the end (models that keep derived
//!   structure in their state, like Tsodyks–Markram's CSR row offsets, check it on restore).
//!   Changed values (a weight, a voltage) are valid states and resume differently; they are
//!   counted and printed, not failures.
//! - **values**: structure-aware edits. The body is decoded, one saved state component,
//!   resource or recorder array is changed inside (a bit, a byte, a varint, or an f32 set to
//!   NaN, ±inf, 0, −1, 1e30, …; its length kept), and the file re-encoded with a correct
//!   checksum: the edits a person (or a bug) makes to a valid snapshot. Most pass decoding
//!   and the shape checks, so this mode exercises restoring *and stepping* arbitrary values:
//!   0 panics anywhere (loading, restoring, stepping to the end). Edited values resume
//!   differently (counted: these are the "silent changes" a recomputed checksum allows).
//!
//! `HEBB_FUZZ_CASES` sets the number of cases per mode (default 300, a few seconds);
//! `HEBB_FUZZ_SEED` the first case's seed. The 1-million-case run reported in
//! docs/reliability.md is `HEBB_FUZZ_CASES=1000000 cargo test --release --test snapshot_fuzz
//! -- --nocapture`.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, Once};

use hebb::DefaultPlugins;
use hebb::core::snapshot::StateSnapshot;
use hebb::scene::{Scene, parse_snapshot, registry_of, save_snapshot};

const SCENE: &str = include_str!("fixtures/every_model.ron");
/// Bytes before the body: magic, format, CRC-32.
const PREFIX: usize = 16;

/// The snapshot file's body (`hebb_scene::snapshot`, postcard: fields in this order).
#[derive(serde::Serialize, serde::Deserialize)]
struct Body {
    scene_ron: String,
    scene_path: String,
    hebb_version: String,
    state: StateSnapshot,
}

/// Where panics happened (`file:line`, count), for the report: the panic hook records the
/// location instead of printing a message per case.
static PANICS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

thread_local! {
    /// Inside a fuzz case: panics are counted, not printed.
    static IN_CASE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn quiet_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_CASE.get() {
                return default(info);
            }
            let at = info
                .location()
                .map_or_else(|| "?".to_owned(), |l| format!("{}:{}", l.file(), l.line()));
            *PANICS.lock().unwrap().entry(at).or_default() += 1;
        }));
    });
}

/// `f()` with its panics counted quietly.
fn in_case<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    IN_CASE.set(true);
    let result = catch_unwind(AssertUnwindSafe(f));
    IN_CASE.set(false);
    result
}

/// f32 values worth writing into state: the edge cases of arithmetic and indexing.
const SPECIAL_F32: [f32; 10] = [
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    0.0,
    -1.0,
    1e30,
    -1e30,
    f32::MIN_POSITIVE,
    4.0e9,
    0.5,
];

/// splitmix64: a small deterministic generator for the mutations.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One random change of `bytes` at or after `from`.
    fn mutate(&mut self, bytes: &mut Vec<u8>, from: usize) {
        let span = bytes.len() - from;
        let at = from + self.below(span);
        match self.below(5) {
            0 => bytes[at] ^= 1 << self.below(8),
            1 => bytes[at] = self.next() as u8,
            2 => bytes.truncate(at),
            3 => {
                let n = 1 + self.below(8);
                for _ in 0..n {
                    let b = self.next() as u8;
                    bytes.insert(at, b);
                }
            }
            _ => {
                let end = (at + 1 + self.below(16)).min(bytes.len());
                bytes.drain(at..end);
            }
        }
    }

    /// One change of the values in `bytes` (a postcard-encoded value), its length kept: a
    /// flipped bit, a random byte, a varint made large (an index or a count), or four bytes
    /// replaced by a special f32.
    fn edit_value(&mut self, bytes: &mut [u8]) {
        if bytes.is_empty() {
            return;
        }
        let at = self.below(bytes.len());
        match self.below(5) {
            0 => bytes[at] ^= 1 << self.below(8),
            1 => bytes[at] = self.next() as u8,
            2 => {
                // A one-byte varint (a small index, count or step) becomes another small one.
                bytes[at] = (self.next() as u8) & 0x7F;
            }
            3 => {
                // Most saved numbers are f32 (4 little-endian bytes, at any offset).
                let v = SPECIAL_F32[self.below(SPECIAL_F32.len())].to_le_bytes();
                for (k, b) in v.into_iter().enumerate() {
                    if let Some(dst) = bytes.get_mut(at + k) {
                        *dst = b;
                    }
                }
            }
            _ => {
                // u32/u64 varints: a continuation byte run makes a large index or step.
                let n = 1 + self.below(4);
                for k in 0..n {
                    if let Some(dst) = bytes.get_mut(at + k) {
                        *dst = 0x80 | (self.next() as u8);
                    }
                }
                if let Some(dst) = bytes.get_mut(at + n) {
                    *dst = (self.next() as u8) & 0x0F;
                }
            }
        }
    }

    /// A structure-aware edit of a snapshot `body`: one saved component, resource or recorder
    /// array changed inside, lengths kept.
    fn edit_body(&mut self, body: &mut Body) {
        let state = &mut body.state;
        match self.below(10) {
            0..=6 => {
                let blobs: Vec<(usize, usize)> = state
                    .entities
                    .iter()
                    .enumerate()
                    .flat_map(|(e, s)| (0..s.components.len()).map(move |c| (e, c)))
                    .collect();
                let (e, c) = blobs[self.below(blobs.len())];
                self.edit_value(&mut state.entities[e].components[c].1);
            }
            7 => {
                if !state.resources.is_empty() {
                    let r = self.below(state.resources.len());
                    self.edit_value(&mut state.resources[r].1);
                }
            }
            8 => {
                if let Some(rec) = state.recorded.spikes.first_mut()
                    && !rec.1.is_empty()
                {
                    let k = self.below(rec.1.len());
                    if self.below(2) == 0 {
                        rec.1[k] = self.next() % 1000;
                    } else {
                        rec.2[k] = (self.next() % 64) as u32;
                    }
                }
            }
            _ => {
                state.clock.step = match self.below(3) {
                    0 => self.next() % 400,
                    1 => u64::MAX - self.next() % 4,
                    _ => state.clock.step ^ (1 << self.below(64)),
                };
            }
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    cases: u64,
    unchanged: u64,
    rejected: u64,
    resumed_same: u64,
    resumed_different: u64,
    /// Panics while loading, checking or restoring.
    panics: u64,
    /// Panics while stepping a restored network (edited mode only: values that pass every
    /// check but break a model's invariant, e.g. an edited CSR offset inside a model's state).
    panics_stepping: u64,
    /// Where the panics happened.
    panic_sites: BTreeMap<String, u64>,
}

struct Fixture {
    registry: hebb::core::registry::Registry,
    snapshot: Vec<u8>,
    /// Final state of the undamaged resume.
    expected: StateSnapshot,
    remaining: u64,
}

fn fixture() -> Fixture {
    let registry = registry_of(DefaultPlugins);
    let scene = Scene::parse(SCENE, "every_model.ron", &registry).unwrap();
    let steps = scene.steps().unwrap();
    let mut sim = scene.build(DefaultPlugins).unwrap();
    sim.run_steps(steps / 2);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("snapshot_fuzz");
    std::fs::create_dir_all(&dir).unwrap();
    // One file per call: the tests of this file run at the same time in one process.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!(
        "every_model_{}_{call}.hebbsnap",
        std::process::id()
    ));
    save_snapshot(&path, &scene, &sim).unwrap();
    let snapshot = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let remaining = steps - steps / 2;
    let expected = resume(&snapshot, &registry, remaining).expect("the intact snapshot resumes");
    sim.run_steps(remaining);
    assert_eq!(
        expected,
        sim.save_state().unwrap(),
        "resume of the intact snapshot must equal the straight run"
    );
    Fixture {
        registry,
        snapshot,
        expected,
        remaining,
    }
}

fn resume(
    bytes: &[u8],
    registry: &hebb::core::registry::Registry,
    steps: u64,
) -> Option<StateSnapshot> {
    let sim = restore(bytes, registry)?;
    step(sim, steps)
}

fn restore(
    bytes: &[u8],
    registry: &hebb::core::registry::Registry,
) -> Option<(hebb::core::simulation::Simulation, u64)> {
    let snapshot = parse_snapshot(bytes, "fuzz.hebbsnap", registry).ok()?;
    let sim = snapshot.build(DefaultPlugins).ok()?;
    let left = snapshot.scene.steps().ok()?.checked_sub(sim.clock().step)?;
    Some((sim, left))
}

fn step(
    (mut sim, left): (hebb::core::simulation::Simulation, u64),
    steps: u64,
) -> Option<StateSnapshot> {
    // A valid edit may change the duration: run what the intact snapshot runs, at most.
    sim.run_steps(left.min(steps));
    sim.save_state().ok()
}

/// How a case damages the snapshot.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Random byte changes anywhere in the file.
    File,
    /// Random byte changes in the body, checksum recomputed.
    Edited,
    /// Structure-aware value edits, re-encoded with a correct checksum.
    Values,
}

fn with_checksum(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.len() >= PREFIX {
        let crc = crc32fast::hash(&bytes[PREFIX..]);
        bytes[12..16].copy_from_slice(&crc.to_le_bytes());
    }
    bytes
}

fn run_mode(fx: &Fixture, mode: Mode, cases: u64, seed: u64) -> Tally {
    quiet_panics();
    let mut tally = Tally::default();
    let mut m = Mutator(seed);
    let body: Body = postcard::from_bytes(&fx.snapshot[PREFIX..]).expect("the snapshot decodes");
    for case in 0..cases {
        if case > 0 && case % 50_000 == 0 {
            // Long campaigns: the tally so far (panic sites are collected at the end).
            eprintln!("  after {case} cases: {tally:?}");
        }
        let bytes = match mode {
            Mode::File | Mode::Edited => {
                let mut bytes = fx.snapshot.clone();
                m.mutate(&mut bytes, if mode == Mode::Edited { PREFIX } else { 0 });
                if mode == Mode::Edited {
                    with_checksum(bytes)
                } else {
                    bytes
                }
            }
            Mode::Values => {
                let mut edited = Body {
                    scene_ron: body.scene_ron.clone(),
                    scene_path: body.scene_path.clone(),
                    hebb_version: body.hebb_version.clone(),
                    state: body.state.clone(),
                };
                m.edit_body(&mut edited);
                let mut bytes = fx.snapshot[..PREFIX].to_vec();
                bytes.extend(postcard::to_allocvec(&edited).expect("encodes"));
                with_checksum(bytes)
            }
        };
        tally.cases += 1;
        if bytes == fx.snapshot {
            tally.unchanged += 1;
            continue;
        }
        let restored = match in_case(|| restore(&bytes, &fx.registry)) {
            Err(_) => {
                tally.panics += 1;
                continue;
            }
            Ok(None) => {
                tally.rejected += 1;
                continue;
            }
            Ok(Some(restored)) => restored,
        };
        match in_case(|| step(restored, fx.remaining)) {
            Err(_) => tally.panics_stepping += 1,
            Ok(None) => tally.rejected += 1,
            Ok(Some(state)) if state == fx.expected => tally.resumed_same += 1,
            Ok(Some(_)) => tally.resumed_different += 1,
        }
    }
    tally.panic_sites = std::mem::take(&mut *PANICS.lock().unwrap());
    tally
}

fn cases() -> u64 {
    std::env::var("HEBB_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
}

fn seed() -> u64 {
    std::env::var("HEBB_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_203)
}

#[test]
fn damaged_snapshot_files_are_always_refused() {
    let fx = fixture();
    let t = run_mode(&fx, Mode::File, cases(), seed());
    eprintln!("snapshot fuzz, file mode: {t:?}");
    assert_eq!(t.panics + t.panics_stepping, 0, "{t:?}");
    assert_eq!(t.resumed_same + t.resumed_different, 0, "{t:?}");
    assert_eq!(t.rejected + t.unchanged, t.cases);
}

#[test]
fn edited_snapshots_never_panic() {
    let fx = fixture();
    let t = run_mode(&fx, Mode::Edited, cases(), seed() ^ 0xED17);
    eprintln!("snapshot fuzz, edited mode (checksum recomputed): {t:?}");
    assert_eq!(t.panics + t.panics_stepping, 0, "{t:?}");
    assert_eq!(
        t.unchanged + t.rejected + t.resumed_same + t.resumed_different,
        t.cases
    );
    assert!(t.rejected > 0, "{t:?}");
}

#[test]
fn edited_values_never_panic_when_resumed_and_stepped() {
    let fx = fixture();
    let t = run_mode(&fx, Mode::Values, cases(), seed() ^ 0x7A1E);
    eprintln!("snapshot fuzz, values mode (structure-aware edits, checksum recomputed): {t:?}");
    assert_eq!(t.panics + t.panics_stepping, 0, "{t:?}");
    assert_eq!(
        t.unchanged + t.rejected + t.resumed_same + t.resumed_different,
        t.cases
    );
    // The edits reach the stepping: most pass every check and change the run.
    assert!(t.resumed_different > t.cases / 4, "{t:?}");
}

/// Every single-byte edit of the Tsodyks–Markram state (whose CSR row offsets and previous
/// arrivals index the synapses: edited ones panicked while stepping before the restore check)
/// is refused or resumes without a panic.
#[test]
fn every_byte_of_the_stp_state_can_be_edited_without_a_panic() {
    quiet_panics();
    let fx = fixture();
    let body: Body = postcard::from_bytes(&fx.snapshot[PREFIX..]).unwrap();
    let (e, c) = body
        .state
        .entities
        .iter()
        .enumerate()
        .find_map(|(e, s)| {
            let c = s
                .components
                .iter()
                .position(|(name, _)| name.ends_with("TsodyksMarkramState"))?;
            (s.key == "projection/p_lif").then_some((e, c))
        })
        .expect("the fixture has a Tsodyks–Markram projection");
    let blob = &body.state.entities[e].components[c].1;
    let mut tally = Tally::default();
    for at in 0..blob.len() {
        for edit in [0x01u8, 0x80, 0xFF] {
            let mut state = body.state.clone();
            state.entities[e].components[c].1[at] ^= edit;
            let edited = Body {
                scene_ron: body.scene_ron.clone(),
                scene_path: body.scene_path.clone(),
                hebb_version: body.hebb_version.clone(),
                state,
            };
            let mut bytes = fx.snapshot[..PREFIX].to_vec();
            bytes.extend(postcard::to_allocvec(&edited).unwrap());
            let bytes = with_checksum(bytes);
            tally.cases += 1;
            match in_case(|| restore(&bytes, &fx.registry)) {
                Err(_) => tally.panics += 1,
                Ok(None) => tally.rejected += 1,
                Ok(Some(restored)) => match in_case(|| step(restored, fx.remaining)) {
                    Err(_) => tally.panics_stepping += 1,
                    Ok(None) => tally.rejected += 1,
                    Ok(Some(s)) if s == fx.expected => tally.resumed_same += 1,
                    Ok(Some(_)) => tally.resumed_different += 1,
                },
            }
        }
    }
    eprintln!("every byte of the STP state: {tally:?}");
    assert_eq!(tally.panics + tally.panics_stepping, 0, "{tally:?}");
    assert!(
        tally.rejected > 0 && tally.resumed_different > 0,
        "{tally:?}"
    );
}
