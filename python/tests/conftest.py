"""Shared helpers of the hebb Python tests: the repository root, the `hebb` command (built by
scripts/test-all; `HEBB_CLI` overrides), and reading the CLI's CSV output."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pytest

ROOT = Path(os.environ.get("HEBB_REPO", Path(__file__).resolve().parents[2]))
SCENES = ROOT / "scenes"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def cli_path() -> Path:
    return Path(os.environ.get("HEBB_CLI", ROOT / "target" / "release" / "hebb"))


@pytest.fixture(scope="session")
def hebb_cli() -> Path:
    path = cli_path()
    if not path.exists():
        pytest.fail(f"the hebb command is not built at {path}: run `cargo build --release -p hebb_cli` (scripts/test-all does)")
    return path


def run_cli(cli: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(cli), *args], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise AssertionError(f"hebb {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def read_spikes_csv(path: Path) -> Tuple[np.ndarray, np.ndarray]:
    """`t_ms,neuron` rows as (float64, int64) arrays, parsed exactly as written."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["t_ms", "neuron"], rows[0]
    t = np.array([float(r[0]) for r in rows[1:]], dtype=np.float64)
    i = np.array([int(r[1]) for r in rows[1:]], dtype=np.int64)
    return t, i


def read_state_csv(path: Path) -> Tuple[List[str], np.ndarray, List[List[str]]]:
    """Header columns (after t_ms), times, and the value cells as text."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "t_ms"
    t = np.array([float(r[0]) for r in rows[1:]], dtype=np.float64)
    return rows[0][1:], t, [r[1:] for r in rows[1:]]


def python_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


PY = sys.executable
