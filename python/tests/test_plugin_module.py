"""The recipe for a Python module with a user's own Rust model (python/README.md, "Your own Rust
models"; the example crate python/examples/triplet_module): build the extension `hebb_triplet`
with pip (maturin) into a separate directory, import `hebb` with HEBB_EXTENSION=hebb_triplet, and
run a scene with the out-of-tree rule `MinimalTriplet` (examples/triplet_stdp) from Python; its
weights equal the plugin's own command line's bit for bit.

The build shares target/python with the `hebb` package's build (scripts/test-all), so only the
triplet crates and the module itself compile (a minute or two on a cold cache of those).
HEBB_SKIP_PLUGIN_MODULE=1 skips it."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import PY, ROOT, python_env, read_state_csv

MODULE = ROOT / "python" / "examples" / "triplet_module"
SCENE = ROOT / "examples" / "triplet_stdp" / "scenes" / "triplet_pairing_20hz.ron"
TRIPLET_CLI = ROOT / "target" / "release" / "triplet_stdp"


@pytest.fixture(scope="module")
def triplet_site(tmp_path_factory) -> Path:
    if os.environ.get("HEBB_SKIP_PLUGIN_MODULE"):
        pytest.skip("HEBB_SKIP_PLUGIN_MODULE is set")
    site = tmp_path_factory.mktemp("triplet_site")
    env = python_env()
    env.setdefault("CARGO_TARGET_DIR", str(ROOT / "target" / "python"))
    result = subprocess.run(
        [PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-build-isolation",
         "--no-deps", "--target", str(site), str(MODULE)],
        capture_output=True, text=True, env=env, timeout=3600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return site


def test_the_module_has_the_triplet_rule_and_runs_its_scene(triplet_site: Path, tmp_path: Path):
    script = textwrap.dedent(
        f"""
        import numpy as np, hebb
        assert hebb._hebb.__name__ == "hebb_triplet", hebb._hebb
        assert hebb._hebb.__file__.startswith({str(triplet_site)!r}), hebb._hebb.__file__
        # The plugin's rule next to every built-in one.
        assert "MinimalTriplet" in hebb.models.names("plasticity")
        assert "Stdp" in hebb.models.names("plasticity")
        print(hebb.models.MinimalTriplet(a3_plus=0.0065))
        try:
            hebb.models.MinimalTriplet(a4_plus=1.0)
        except TypeError as e:
            print("refused:", e)
        net = hebb.load({str(SCENE)!r})
        assert "MinimalTriplet" in net.to_scene()
        net.run()
        np.save({str(tmp_path / "w.npy")!r}, net.weights("pre_post")[2])
        np.save({str(tmp_path / "w_rec.npy")!r}, net.state("w")[1])
        """
    )
    env = python_env()
    env["PYTHONPATH"] = str(triplet_site)
    env["HEBB_EXTENSION"] = "hebb_triplet"
    result = subprocess.run([PY, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("MinimalTriplet(") and "a3_plus" in lines[0], lines
    assert lines[1].startswith("refused:") and "a4_plus" in lines[1], lines
    w = np.load(tmp_path / "w.npy")
    w_rec = np.load(tmp_path / "w_rec.npy")
    # The scene's documented result: from 0.5 to about 0.728 after 60 pairings at 20 Hz.
    assert w.shape == (1,) and 0.70 < float(w[0]) < 0.75
    if not TRIPLET_CLI.exists():
        pytest.skip(f"{TRIPLET_CLI} is not built (cargo build --release -p triplet_stdp)")
    out = tmp_path / "cli"
    subprocess.run([str(TRIPLET_CLI), "run", str(SCENE), "--out", str(out)], check=True, capture_output=True)
    columns, _, cells = read_state_csv(out / "w.csv")
    assert columns == ["w[0,0]"] and len(cells) == len(w_rec) > 100
    np.testing.assert_array_equal(w_rec, np.array(cells, dtype=np.float64).astype(w_rec.dtype))
