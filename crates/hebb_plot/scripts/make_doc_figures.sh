#!/usr/bin/env bash
# Regenerate docs/figures/*.png from the reference scenes: run each scene with the hebb CLI and
# draw its reference figure with hebb_plot (examples/plot_dir.rs). Run from the repository root:
#   bash crates/hebb_plot/scripts/make_doc_figures.sh
# Scenes that are not present are skipped.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --release -q -p hebb_cli
cargo build --release -q -p hebb_plot --example plot_dir
target="${CARGO_TARGET_DIR:-$root/target}/release"
mkdir -p docs/figures
while read -r scene figure; do
    [ -f "scenes/$scene.ron" ] || { echo "skip $scene (no scene file)"; continue; }
    "$target/hebb" run "scenes/$scene.ron" --out "$work/$scene" --force > /dev/null
    "$target/examples/plot_dir" "$work/$scene" "$figure" "$work/$scene/plots" > /dev/null
    cp "$work/$scene/plots/$figure.png" "docs/figures/$scene.png"
    echo "docs/figures/$scene.png"
done <<'LIST'
stp_norse_10hz_default stp_norse
stp_norse_10hz_facilitating stp_norse
stp_norse_10hz_depressing stp_norse
stp_ngclearn_stf_2hz stp_ngclearn
stp_ngclearn_stf_20hz stp_ngclearn
stp_ngclearn_std_2hz stp_ngclearn
stp_ngclearn_std_20hz stp_ngclearn
florian_stdp_mstdp_mstdpet florian
song2000_stdp song2000
LIST
