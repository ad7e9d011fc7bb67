//! Nothing lost, nothing silently wrong (issue 13, see docs/reliability.md): SIGTERM and SIGHUP
//! stop a run like Ctrl-C; SIGKILL leaves parseable files (flushed by wall time); a `--force`
//! rerun that dies leaves no stale summary; a second run into a locked directory fails at once;
//! a full disk stops the run at the first failed write with every file consistent.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{hebb, repo, scratch};

const DEMO: &str = "scenes/poisson_lif_conductance.ron";

/// The demo scene (3 recorded voltages every step) with another duration, written into `dir`.
fn demo_with_duration(dir: &Path, duration_ms: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join(DEMO)).unwrap();
    assert!(text.contains("duration_ms: 1000.0,"));
    let text = text.replace(
        "duration_ms: 1000.0,",
        &format!("duration_ms: {duration_ms},"),
    );
    let path = dir.join("scene.ron");
    std::fs::write(&path, text).unwrap();
    path
}

fn spawn_run(scene: &Path, out_dir: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_hebb"))
        .arg("run")
        .arg(scene)
        .arg("--out")
        .arg(out_dir)
        .arg("--quiet")
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no {path:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
fn send(child: &Child, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: signals our own child process, not yet waited for (its pid cannot be reused).
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(sent, 0, "kill({signal}) failed");
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Rows of a CSV file with `columns` fields each, every one a number; panics on a cut row.
fn complete_csv_rows(path: &Path, header: &str, columns: usize) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{path:?} ends in a cut row"
    );
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header), "{path:?}");
    let mut rows = 0;
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), columns, "{path:?}: {line}");
        for f in fields {
            f.parse::<f64>()
                .unwrap_or_else(|_| panic!("{path:?}: {line}"));
        }
        rows += 1;
    }
    rows
}

/// Rows an NPY file's header counts; asserts that exactly that many complete rows follow.
fn consistent_npy_rows(path: &Path, row_bytes: u64) -> u64 {
    let mut file = std::fs::File::open(path).unwrap();
    let (header, _, rows) = hebb_io::npy::read_header(&mut file).unwrap();
    let len = std::fs::metadata(path).unwrap().len();
    assert!(
        len >= header as u64 + rows * row_bytes,
        "{path:?}: the header counts {rows} rows but only {len} bytes are there"
    );
    rows
}

#[cfg(unix)]
fn signal_stops_like_ctrl_c(name: &str, signal: libc::c_int, code: i32) {
    let dir = scratch(name);
    let scene = demo_with_duration(&dir, "100000000.0");
    let out_dir = dir.join("out");
    let child = spawn_run(&scene, &out_dir, &[]);
    wait_for(&out_dir.join("v_neurons.csv"));
    std::thread::sleep(Duration::from_millis(500));
    send(&child, signal);
    let waited = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(waited.elapsed() < Duration::from_secs(20));
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out_dir);
    assert_eq!(s["interrupted"], true);
    assert_eq!(s["stop_signal"], name);
    let steps = s["steps"].as_u64().unwrap();
    assert!(steps > 0);
    let rows = complete_csv_rows(&out_dir.join("v_neurons.csv"), "t_ms,v[0],v[1],v[2]", 4);
    assert_eq!(rows as u64, steps);
    complete_csv_rows(&out_dir.join("spikes_neurons.csv"), "t_ms,neuron", 2);
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_run_like_ctrl_c() {
    signal_stops_like_ctrl_c("SIGTERM", libc::SIGTERM, 143);
}

#[cfg(unix)]
#[test]
fn sighup_stops_the_run_like_ctrl_c() {
    signal_stops_like_ctrl_c("SIGHUP", libc::SIGHUP, 129);
}

/// Lines on disk in a file being written (a cheap count while the run goes on; the checks of
/// whole rows come after the writer is gone).
fn lines_on_disk(path: &Path) -> usize {
    std::fs::read(path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

/// Rows the header of an NPY file being written counts (0 until the header is readable).
fn npy_rows_on_disk(path: &Path) -> u64 {
    std::fs::File::open(path)
        .ok()
        .and_then(|mut f| hebb_io::npy::read_header(&mut f).ok())
        .map_or(0, |(_, _, rows)| rows)
}

/// Wait until `rows()` exceeds `n` (the running process has flushed that much), for as long as
/// a loaded machine may need.
fn wait_for_rows(what: &str, n: u64, rows: impl Fn() -> u64) {
    let started = Instant::now();
    while rows() <= n {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "{what}: no more than {} rows reached the disk in 300 s",
            rows()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGKILL cannot be caught: the files hold what the last flush wrote, in whole rows, and a
/// `--force` rerun that dies leaves no summary of the previous run behind.
///
/// Robust on a loaded machine: instead of killing after a fixed wall time, it waits until
/// each run has flushed more than 500 rows to disk while running (the periodic flush at work:
/// the run is endless), then kills both and checks what survived.
#[cfg(unix)]
#[test]
fn sigkill_leaves_parseable_files_and_no_stale_summary() {
    let dir = scratch("sigkill");
    let short = demo_with_duration(&dir, "50.0");
    let out_csv = dir.join("csv");
    let out_npy = dir.join("npy");
    for out in [&out_csv, &out_npy] {
        let o = hebb(&[
            "run",
            short.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        assert!(o.status.success());
        assert!(out.join("summary.json").exists());
    }
    // The 50 ms runs wrote 500 rows each: wait for more than that from the new runs.
    let before_csv = lines_on_disk(&out_csv.join("v_neurons.csv"));
    assert_eq!(before_csv, 501);
    let long = demo_with_duration(&dir, "100000000.0");
    let csv = spawn_run(&long, &out_csv, &["--force"]);
    let npy = spawn_run(&long, &out_npy, &["--force", "--format", "npy"]);
    // The old summary goes before any recording is truncated: once a run's recording is
    // shorter than the old one (truncated), its old summary must be gone.
    let v_csv = out_csv.join("v_neurons.csv");
    let v_npy = out_npy.join("v_neurons.npy");
    wait_for_rows("csv truncated", 0, || {
        u64::from(lines_on_disk(&v_csv) < before_csv)
    });
    assert!(!out_csv.join("summary.json").exists());
    wait_for_rows("npy truncated", 0, || {
        u64::from(npy_rows_on_disk(&v_npy) < 500)
    });
    assert!(!out_npy.join("summary.json").exists());
    // The runs flush while running (they never end by themselves).
    wait_for_rows("csv", 500, || lines_on_disk(&v_csv) as u64);
    wait_for_rows("npy", 500, || npy_rows_on_disk(&v_npy));
    send(&csv, libc::SIGKILL);
    send(&npy, libc::SIGKILL);
    let (csv, npy) = (
        csv.wait_with_output().unwrap(),
        npy.wait_with_output().unwrap(),
    );
    assert_eq!(csv.status.code(), None);
    assert_eq!(npy.status.code(), None);

    assert!(!out_csv.join("summary.json").exists());
    assert!(!out_npy.join("summary.json").exists());
    let rows = complete_csv_rows(&v_csv, "t_ms,v[0],v[1],v[2]", 4);
    assert!(rows > 500, "only {rows} rows survived SIGKILL");
    let rows = consistent_npy_rows(&v_npy, 8 + 3 * 4);
    assert!(rows > 500, "only {rows} rows survived SIGKILL");
    consistent_npy_rows(&out_npy.join("spikes_neurons.npy"), 12);
}

#[cfg(unix)]
#[test]
fn a_second_run_into_a_busy_directory_fails_at_once() {
    let dir = scratch("lock");
    let scene = demo_with_duration(&dir, "100000000.0");
    let out_dir = dir.join("out");
    let first = spawn_run(&scene, &out_dir, &[]);
    wait_for(&out_dir.join("v_neurons.csv"));
    let started = Instant::now();
    let second = hebb(&[
        "run",
        scene.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--force",
        "--quiet",
    ]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("another hebb run is writing into"), "{err}");
    send(&first, libc::SIGINT);
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(130));
    // The first run's files are its own: every row complete, as many as it says.
    let steps = summary(&out_dir)["steps"].as_u64().unwrap();
    let rows = complete_csv_rows(&out_dir.join("v_neurons.csv"), "t_ms,v[0],v[1],v[2]", 4);
    assert_eq!(rows as u64, steps);
}

/// A small tmpfs fills up during the run: hebb stops at the first failed write, names the file,
/// and leaves every file consistent. Needs root (to mount); skipped with a message otherwise.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_stops_the_run_with_consistent_files() {
    let dir = scratch("full_disk");
    let scene = demo_with_duration(&dir, "100000.0");
    let mount_point = dir.join("small");
    std::fs::create_dir_all(&mount_point).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=512k", "tmpfs"])
        .arg(&mount_point)
        .output();
    if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!(
            "SKIPPED a_full_disk_stops_the_run_with_consistent_files: cannot mount a tmpfs (needs root): {:?}",
            mounted.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        );
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount_point.clone());
    for format in ["csv", "npy"] {
        let out_dir = mount_point.join(format);
        let started = Instant::now();
        let o = hebb(&[
            "run",
            scene.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--format",
            format,
            "--quiet",
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains("No space left on device") && err.contains(&format!(".{format}")),
            "{err}"
        );
        // Stopped at the failure, long before the 100 s of simulated time.
        assert!(started.elapsed() < Duration::from_secs(30));
        let stopped: f64 = err
            .split("stopped at ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{err}"));
        assert!(stopped < 100_000.0, "{err}");
        if format == "csv" {
            complete_csv_rows(&out_dir.join("v_neurons.csv"), "t_ms,v[0],v[1],v[2]", 4);
            complete_csv_rows(&out_dir.join("g_exc.csv"), "t_ms,g[0],g[1],g[2]", 4);
            complete_csv_rows(&out_dir.join("spikes_neurons.csv"), "t_ms,neuron", 2);
            complete_csv_rows(&out_dir.join("spikes_exc_input.csv"), "t_ms,neuron", 2);
        } else {
            // Every header counts exactly the complete rows on disk.
            for (name, row) in [
                ("v_neurons", 20),
                ("g_exc", 20),
                ("spikes_neurons", 12),
                ("spikes_exc_input", 12),
            ] {
                let path = out_dir.join(format!("{name}.npy"));
                let rows = consistent_npy_rows(&path, row);
                let mut file = std::fs::File::open(&path).unwrap();
                let (header, ..) = hebb_io::npy::read_header(&mut file).unwrap();
                let len = std::fs::metadata(&path).unwrap().len();
                assert_eq!(len, header as u64 + rows * row, "{path:?}");
            }
        }
        // No half-written summary: either none, or a complete one naming the error.
        if let Ok(text) = std::fs::read_to_string(out_dir.join("summary.json")) {
            let s: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(s["error"].as_str().unwrap().contains("No space left"));
        }
        std::fs::remove_dir_all(&out_dir).unwrap();
    }
}

/// `scene` with `from` replaced by `to` (which must occur), written into `dir/name`.
fn edited(dir: &Path, name: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join(DEMO)).unwrap();
    assert!(text.contains(from), "{from}");
    let path = dir.join(name);
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path
}

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Weights of 1e37 drive the conductances to infinity and the voltages to NaN: the run stops
/// with an error naming population or projection, variable, element and time, and exits 1;
/// `--allow-nonfinite` runs to the end.
#[test]
fn nonfinite_state_stops_the_run_with_where_and_when() {
    let dir = scratch("nonfinite");
    let scene = edited(
        &dir,
        "scene.ron",
        "weights: Uniform(low: 0.05, high: 0.25)",
        "weights: Constant(1e37)",
    );
    let out = dir.join("out");
    let o = hebb(&[
        "run",
        scene.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("no longer finite"), "{err}");
    assert!(
        err.contains("projection `exc_to_neurons`: g[") || err.contains("population `neurons`: v["),
        "{err}"
    );
    assert!(err.contains(" ms"), "{err}");
    let s = summary(&out);
    assert!(s["error"].as_str().unwrap().contains("no longer finite"));
    let o = hebb(&[
        "run",
        scene.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
        "--quiet",
        "--allow-nonfinite",
    ]);
    assert!(o.status.success(), "{}", stderr_of(&o));
}

/// Broken pipes end hebb quietly (SIGPIPE), never with a panic (exit 101).
#[cfg(unix)]
#[test]
fn a_closed_pipe_is_not_a_panic() {
    for args in [vec!["list"], vec!["check", DEMO]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hebb"))
            .args(&args)
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = stderr_of(&o);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(o.status.code(), Some(101), "{args:?}: {err}");
    }
}

/// Each bad input of issue 13 gets a message a user can act on, before anything runs.
#[cfg(unix)]
#[test]
fn bad_inputs_get_plain_early_errors() {
    let dir = scratch("messages");
    let d = |name: &str, from: &str, to: &str| edited(&dir, name, from, to);
    let bom = dir.join("bom.ron");
    let mut text = vec![0xef, 0xbb, 0xbf];
    text.extend(std::fs::read(repo().join(DEMO)).unwrap());
    std::fs::write(&bom, text).unwrap();
    let o = hebb(&["check", bom.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "a UTF-8 BOM is accepted: {}",
        stderr_of(&o)
    );

    let latin1 = dir.join("latin1.ron");
    std::fs::write(&latin1, b"(version: 1,\n  duration_ms: 1.0, // caf\xe9\n)").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["check".into(), "/dev/zero".into()],
            "is larger than 64 MiB",
        ),
        (
            vec!["check".into(), latin1.display().to_string()],
            "latin1.ron:2:27: byte 0xe9 is not UTF-8 text",
        ),
        (
            vec![
                "check".into(),
                d("long.ron", "duration_ms: 1000.0", "duration_ms: 1e19")
                    .display()
                    .to_string(),
            ],
            "duration_ms 1e19 is 1e20 steps",
        ),
        (
            vec![
                "check".into(),
                d("dt.ron", "dt_ms: 0.1", "dt_ms: 1e300")
                    .display()
                    .to_string(),
            ],
            "dt_ms must be > 0 and at most 1000 ms, got 1e300",
        ),
        (
            vec![
                "check".into(),
                d(
                    "w.ron",
                    "weights: Constant(0.5)",
                    "weights: Constant(1e300)",
                )
                .display()
                .to_string(),
            ],
            "weights must be within ±3.4028235e38",
        ),
        (
            vec![
                "check".into(),
                d("tau.ron", "tau_m_ms: 20.0,", "tau_m_ms: 1e300,")
                    .display()
                    .to_string(),
            ],
            "tau.ron:26:17: populations[2] (`neurons`): model `Lif`: tau_m_ms must fit the simulation's 32-bit floats (magnitude at most 3.4028235e38), got 1e300",
        ),
        (
            vec![
                "check".into(),
                d(
                    "reward_tuple.ron",
                    "    recorders: [",
                    "    reward: RewardSchedule(changes: [(50.0, 1.0)]),\n    recorders: [",
                )
                .display()
                .to_string(),
            ],
            "`RewardSchedule` params: found `50.0` where a field name was expected: write this value's fields by name, `(name: value, …)`",
        ),
        (
            vec![
                "check".into(),
                d(
                    "nan.ron",
                    "weights: Uniform(low: 0.05, high: 0.25)",
                    "weights: Normal(mean: 1.0, std: 0.1, min: NaN, max: NaN)",
                )
                .display()
                .to_string(),
            ],
            "weights.min must be a number",
        ),
        (
            vec![
                "check".into(),
                d(
                    "uniform.ron",
                    "weights: Uniform(low: 0.05, high: 0.25)",
                    "weights: Uniform(low: -1e308, high: 1e308)",
                )
                .display()
                .to_string(),
            ],
            "weights.low must be within",
        ),
        (
            vec![
                "check".into(),
                d(
                    "dup.ron",
                    r#"variables: ["v"], indices: [0, 1, 2]"#,
                    r#"variables: ["v", "v"], indices: [0, 1, 2]"#,
                )
                .display()
                .to_string(),
            ],
            r#"variables: "v" is listed twice"#,
        ),
        (
            vec![
                "check".into(),
                d(
                    "dupi.ron",
                    r#"variables: ["v"], indices: [0, 1, 2]"#,
                    r#"variables: ["v"], indices: [0, 1, 1]"#,
                )
                .display()
                .to_string(),
            ],
            "indices: 1 is listed twice",
        ),
        (
            vec![
                "check".into(),
                d(
                    "longname.ron",
                    r#"State(name: "v_neurons""#,
                    &format!(r#"State(name: "{}""#, "v".repeat(300)),
                )
                .display()
                .to_string(),
            ],
            "name is 300 characters long; at most 200",
        ),
        (
            vec![
                "run".into(),
                DEMO.into(),
                "--out".into(),
                dir.join("o1").display().to_string(),
                "--snapshot-at".into(),
                "-100".into(),
            ],
            "--snapshot-at -100: must be a multiple of dt",
        ),
        (
            vec![
                "run".into(),
                DEMO.into(),
                "--out".into(),
                dir.join("o2").display().to_string(),
                "--format".into(),
                "npy".into(),
                "--plot".into(),
            ],
            "--plot draws from CSV recordings",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = hebb(&args);
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // Errors before the run: nothing was written.
    assert!(!dir.join("o2").exists());
}

/// `hebb check` prints the memory estimate and refuses a network larger than the memory
/// available (65 000 Poisson neurons all-to-all onto themselves: 4.2e9 synapses) instead of
/// being aborted by the allocator.
#[test]
fn check_estimates_memory_and_refuses_huge_networks() {
    let o = hebb(&["check", DEMO]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("memory: about "), "{out}");
    let dir = scratch("memory");
    let text = r#"(version: 1, duration_ms: 1.0,
        populations: [(name: "a", size: 65000, model: Poisson(rate_hz: 1.0))],
        projections: [(name: "aa", from: "a", to: "a", connectivity: AllToAll,
                       weights: Constant(0.1), synapse: Delta)])"#;
    let scene = dir.join("huge.ron");
    std::fs::write(&scene, text).unwrap();
    for args in [
        vec!["check", scene.to_str().unwrap()],
        vec![
            "run",
            scene.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
        ],
    ] {
        let o = hebb(&args);
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains("the network needs about") && err.contains("--ignore-memory-estimate"),
            "{err}"
        );
    }
}
