//! `hebb check` says what a rule's parameters select: the sign mode of `Stdp`, in both the
//! magnitude form and Inferno's signed form; a reward-modulated rule without a reward source
//! is a clean scene error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FLORIAN: &str = "scenes/florian_stdp_mstdp_mstdpet.ron";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch_scene(name: &str, from: &str, to: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hebb_cli_check_modes");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(repo().join(FLORIAN)).unwrap();
    assert!(text.contains(from), "{from}");
    let path = dir.join(name);
    std::fs::write(&path, text.replace(from, to)).unwrap();
    path
}

fn check(scene: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hebb"))
        .arg("check")
        .arg(scene)
        .current_dir(repo())
        .output()
        .expect("the hebb binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const STDP: &str = "plasticity: Stdp(lr_post: 0.2, lr_pre: -0.2,";

#[test]
fn check_prints_the_stdp_mode_of_each_form() {
    let signed = stdout(&check(&repo().join(FLORIAN)));
    let want = "    Stdp: Hebbian: causal pairs (post spike) +0.2·x_pre, acausal pairs (pre arrival) −0.2·x_post";
    assert!(signed.lines().any(|l| l == want), "{signed}");

    let magnitudes = scratch_scene(
        "magnitudes.ron",
        STDP,
        "plasticity: Stdp(a_plus: 0.2, a_minus: 0.2,",
    );
    let out = stdout(&check(&magnitudes));
    assert!(out.lines().any(|l| l == want), "{out}");

    let potentiative = scratch_scene(
        "potentiative.ron",
        STDP,
        "plasticity: Stdp(lr_post: 0.2, lr_pre: 0.2,",
    );
    let result = check(&potentiative);
    let out = stdout(&result);
    assert!(
        out.contains("    Stdp: potentiation-only: causal pairs (post spike) +0.2·x_pre, acausal pairs (pre arrival) +0.2·x_post"),
        "{out}"
    );
    // … and a warning on stderr that names the magnitude form.
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("Stdp(a_plus: 0.2, a_minus: 0.2)"),
        "{stderr}"
    );
}

#[test]
fn a_reward_rule_without_reward_source_is_a_scene_error() {
    let scene = scratch_scene(
        "no_reward.ron",
        "reward: RewardSchedule(initial: 1.0, changes: [(at_ms: 101.0, value: -1.0)]),",
        "",
    );
    let out = check(&scene);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("projections[1] (`mstdp`): plasticity `Mstdp` is modulated by reward, but the scene has no `reward:` source"),
        "{stderr}"
    );
}
