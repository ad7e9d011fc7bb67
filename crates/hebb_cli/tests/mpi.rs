//! `mpirun -n K hebb run …` for K = 1, 2, 3 writes output directories byte-identical to the
//! single-process run's (all files; `summary.json` apart from its timing fields and `ranks`):
//! Brette 2007 COBA (shortened), a plastic network (STDP, Tsodyks-Markram STP, delays 0, 0.5
//! and 1.5 ms; also with population rates and weight tables), a network of the other
//! partitioned models and the triplet plugin's network (its own binary). A snapshot of one
//! process resumes on 2 ranks to the same files as on one; a snapshot taken on 2 ranks resumes
//! on one process, on threads and on 2 ranks to the files of the one-process snapshot's resume. Run by `scripts/test-mpi`, which builds the
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
fn partitioned_models_on_one_two_and_three_ranks_write_the_files_of_one_process() {
    let scene = root().join("crates/hebb_mpi/tests/fixtures/partitioned_models.ron");
    check_scene(&hebb(), &scene, "partitioned_models");
}

/// The plastic network with population rates (of a population and of a view) and a weight
/// table taken during the run.
fn plastic_with_rates_and_tables(dir: &Path) -> PathBuf {
    let text =
        std::fs::read_to_string(root().join("crates/hebb_mpi/tests/fixtures/plastic_network.ron"))
            .unwrap();
    let last = "        Weights(name: \"w_in\", projection: \"input_exc\", stride: 100),\n";
    assert!(text.contains(last));
    let scene = dir.join("plastic_rates_tables.ron");
    std::fs::write(
        &scene,
        text.replace(
            last,
            &format!(
                "{last}        PopulationRate(name: \"rate_exc\", population: \"exc\", bin_ms: 5.0),\n\
                 PopulationRate(name: \"rate_inh_part\", population: \"inh[2:9]\", bin_ms: 2.0),\n\
                 WeightTable(name: \"table_in\", projection: \"input_exc\", at_ms: [0.0, 100.0, 250.0]),\n"
            ),
        ),
    )
    .unwrap();
    scene
}

#[test]
fn population_rates_and_weight_tables_on_several_ranks_are_those_of_one_process() {
    let dir = scratch("rates_tables_scene");
    let scene = plastic_with_rates_and_tables(&dir);
    let reference = check_scene(&hebb(), &scene, "rates_tables");
    for file in ["rate_exc.csv", "rate_inh_part.csv", "table_in.csv"] {
        let text = std::fs::read_to_string(reference.join(file)).unwrap();
        assert!(text.lines().count() > 3, "{file}: {text:.200}");
    }
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

/// Every file of `a` equals `b`'s except snapshot files (which differ in how they hold the
/// spikes not yet delivered) and `summary.json`'s timing fields.
fn assert_same_outputs(a: &Path, b: &Path) {
    let dir = scratch(&format!(
        "outputs_{}",
        a.file_name().unwrap().to_string_lossy()
    ));
    for (from, to) in [(a, dir.join("a")), (b, dir.join("b"))] {
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "hebbsnap") {
                continue;
            }
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
    assert_same_dir(&dir.join("a"), &dir.join("b"));
}

#[test]
fn snapshot_of_two_ranks_resumes_on_one_process_and_on_two_ranks_like_one_process_snapshot() {
    let dir = scratch("ranks_snapshot");
    let scene = plastic_with_rates_and_tables(&dir);
    let scene = scene.to_str().unwrap();
    let at = "150";
    let snap = "snapshot_150ms.hebbsnap";
    let (single, ranked) = (dir.join("single"), dir.join("ranked"));
    for (out, ranks) in [(&single, 0), (&ranked, 2)] {
        run(
            &hebb(),
            ranks,
            &[
                "run",
                scene,
                "--out",
                out.to_str().unwrap(),
                "--snapshot-at",
                at,
            ],
        );
        assert!(out.join(snap).exists());
    }
    // The run that took the snapshot on 2 ranks wrote what one process writes.
    assert_same_outputs(&single, &ranked);
    // Both snapshots are resumed from the same path (summary.json names it).
    let resumed_from = dir.join(snap);
    std::fs::copy(single.join(snap), &resumed_from).unwrap();
    let reference = dir.join("resumed_from_single");
    run(
        &hebb(),
        0,
        &[
            "resume",
            resumed_from.to_str().unwrap(),
            "--out",
            reference.to_str().unwrap(),
        ],
    );
    std::fs::copy(ranked.join(snap), &resumed_from).unwrap();
    let spikes = std::fs::read_to_string(reference.join("spikes_exc.csv")).unwrap();
    assert!(spikes.lines().count() > 10, "the test needs spikes after T");
    // Saved on 2 ranks, resumed on 1 process, on 1 process with 2 threads and on 2 ranks: the
    // files of the resume of the one-process snapshot.
    for (name, ranks, threads) in [("one", 0, "1"), ("threads", 0, "2"), ("two", 2, "1")] {
        let out = dir.join(format!("resumed_{name}"));
        run(
            &hebb(),
            ranks,
            &[
                "resume",
                resumed_from.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--threads",
                threads,
            ],
        );
        assert_same_dir(&reference, &out);
    }
}

#[test]
fn too_many_ranks_are_refused_plainly() {
    let dir = scratch("refused");
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
