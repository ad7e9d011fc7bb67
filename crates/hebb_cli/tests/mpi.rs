//! `mpirun -n K hebb run …` for K = 1, 2, 3 writes output directories byte-identical to the
//! single-process run's (all files; `summary.json` apart from its timing fields and `ranks`):
//! Brette 2007 COBA (shortened), a plastic network (STDP, Tsodyks-Markram STP, delays 0, 0.5
//! and 1.5 ms) and the triplet plugin's network (its own binary). A snapshot of one process
//! resumes on 2 ranks to the same files as on one. Run by `scripts/test-mpi`, which builds the
//! binaries with the `mpi` feature first.
#![cfg(feature = "mpi")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hebb() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hebb"))
}

/// The triplet plugin's binary, built next to `hebb` by `scripts/test-mpi`.
fn triplet() -> PathBuf {
    let bin = hebb().with_file_name("triplet_stdp");
    assert!(
        bin.exists(),
        "{} missing: build it with `cargo build --release -p triplet_stdp --features hebb_cli/mpi` (scripts/test-mpi does)",
        bin.display()
    );
    bin
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hebb_mpi_test_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `bin args…` directly (ranks = 0) or under `mpirun -n ranks`.
fn run(bin: &Path, ranks: usize, args: &[&str]) {
    let mut cmd = if ranks == 0 {
        Command::new(bin)
    } else {
        let mut c = Command::new("mpirun");
        c.args([
            "--allow-run-as-root",
            "--oversubscribe",
            "-n",
            &ranks.to_string(),
        ])
        .arg(bin);
        c
    };
    let out = cmd.args(args).arg("-q").output().unwrap();
    assert!(
        out.status.success(),
        "{} ranks, {args:?}: {}\n{}",
        ranks,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `summary.json` without what may differ between runs: timings and the rank count.
fn summary_without_timing(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let object = json.as_object_mut().unwrap();
    for key in ["wall_seconds", "write_seconds", "ranks", "threads"] {
        object.remove(key);
    }
    json
}

/// Every file of `a` equals `b`'s, byte for byte (summary.json: without its timing fields).
fn assert_same_dir(a: &Path, b: &Path) {
    let mut names: Vec<_> = std::fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    let mut other: Vec<_> = std::fs::read_dir(b)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    other.sort();
    assert_eq!(names, other, "{} vs {}", a.display(), b.display());
    assert!(names.len() >= 2);
    for name in names {
        if name == "summary.json" {
            assert_eq!(summary_without_timing(a), summary_without_timing(b));
        } else {
            let (x, y) = (
                std::fs::read(a.join(&name)).unwrap(),
                std::fs::read(b.join(&name)).unwrap(),
            );
            assert!(
                x == y,
                "{:?} differs between {} and {}",
                name,
                a.display(),
                b.display()
            );
        }
    }
}

/// One process, then 1, 2 and 3 ranks, and 2 ranks of 2 threads: identical directories;
/// returns the reference.
fn check_scene(bin: &Path, scene: &Path, name: &str) -> PathBuf {
    let dir = scratch(name);
    let reference = dir.join("single");
    run(
        bin,
        0,
        &[
            "run",
            scene.to_str().unwrap(),
            "--out",
            reference.to_str().unwrap(),
        ],
    );
    let spikes: usize = std::fs::read_dir(&reference)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("spikes_")
        })
        .map(|p| std::fs::read_to_string(p).unwrap().lines().count() - 1)
        .sum();
    assert!(spikes > 0, "{name}: the test needs spikes");
    for ranks in 1..=3 {
        let out = dir.join(format!("ranks{ranks}"));
        run(
            bin,
            ranks,
            &[
                "run",
                scene.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_same_dir(&reference, &out);
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["ranks"], ranks, "{name}");
    }
    // Ranks and threads together: 2 ranks of 2 threads are 4 partitions.
    let out = dir.join("ranks2_threads2");
    run(
        bin,
        2,
        &[
            "run",
            scene.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            "2",
        ],
    );
    assert_same_dir(&reference, &out);
    reference
}

#[test]
fn coba_on_one_two_and_three_ranks_writes_the_files_of_one_process() {
    let dir = scratch("coba_scene");
    let text = std::fs::read_to_string(root().join("scenes/brette2007_coba.ron")).unwrap();
    assert!(text.contains("duration_ms: 1000.0"));
    let scene = dir.join("coba_300ms.ron");
    std::fs::write(
        &scene,
        text.replace("duration_ms: 1000.0", "duration_ms: 300.0"),
    )
    .unwrap();
    check_scene(&hebb(), &scene, "coba");
}

#[test]
fn plastic_network_on_one_two_and_three_ranks_writes_the_files_of_one_process() {
    let scene = root().join("crates/hebb_mpi/tests/fixtures/plastic_network.ron");
    check_scene(&hebb(), &scene, "plastic");
}

#[test]
fn triplet_plugin_network_on_one_two_and_three_ranks_writes_the_files_of_one_process() {
    let scene = root().join("examples/triplet_stdp/scenes/triplet_network.ron");
    check_scene(&triplet(), &scene, "triplet");
}

#[test]
fn snapshot_of_one_process_resumes_on_two_ranks_as_on_one() {
    let scene = root().join("crates/hebb_mpi/tests/fixtures/plastic_network.ron");
    let dir = scratch("snapshot");
    let first = dir.join("first");
    run(
        &hebb(),
        0,
        &[
            "run",
            scene.to_str().unwrap(),
            "--out",
            first.to_str().unwrap(),
            "--snapshot-at",
            "150",
        ],
    );
    let snapshot = first.join("snapshot_150ms.hebbsnap");
    let (one, two) = (dir.join("resumed1"), dir.join("resumed2"));
    run(
        &hebb(),
        0,
        &[
            "resume",
            snapshot.to_str().unwrap(),
            "--out",
            one.to_str().unwrap(),
        ],
    );
    run(
        &hebb(),
        2,
        &[
            "resume",
            snapshot.to_str().unwrap(),
            "--out",
            two.to_str().unwrap(),
        ],
    );
    assert_same_dir(&one, &two);
}

#[test]
fn snapshot_with_several_ranks_and_too_many_ranks_are_refused_plainly() {
    let scene = root().join("crates/hebb_mpi/tests/fixtures/plastic_network.ron");
    let dir = scratch("refused");
    let out = Command::new("mpirun")
        .args(["--allow-run-as-root", "--oversubscribe", "-n", "2"])
        .arg(hebb())
        .args(["run", scene.to_str().unwrap(), "--out"])
        .arg(dir.join("a"))
        .args(["--snapshot-at", "100", "-q"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--snapshot-at with 2 ranks"), "{stderr}");
    // A tiny scene: two neurons, three ranks.
    let tiny = dir.join("tiny.ron");
    std::fs::write(
        &tiny,
        "(version: 1, duration_ms: 1.0, populations: [(name: \"a\", size: 2, model: Lif)], projections: [])",
    )
    .unwrap();
    let out = Command::new("mpirun")
        .args(["--allow-run-as-root", "--oversubscribe", "-n", "3"])
        .arg(hebb())
        .args(["run", tiny.to_str().unwrap(), "--out"])
        .arg(dir.join("b"))
        .arg("-q")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("3 ranks but the largest population has 2 neuron(s)"),
        "{stderr}"
    );
}
