"""Every `.npy` file `hebb run --format npy` writes loads with a plain `numpy.load` (numpy refuses
headers over 10 000 bytes by default), and holds the same numbers as the CSV of the same run:
state and weight recorders as one sub-array field per variable with the column names in
`<recorder>.columns.json`, spikes and rates as plain fields."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from conftest import read_spikes_csv, read_state_csv, run_cli

# Every neuron's v (100 columns), every weight of a 4000-synapse projection (a structured
# dtype with one field per column would need a ~100 kB header), spikes and a rate.
RECORDERS = (
    'recorders=[Spikes(population: "neurons"), '
    'State(name: "v_all", target: "neurons", variables: ["v"], stride: 10), '
    'Weights(name: "w_all", projection: "exc_to_neurons", stride: 500), '
    'PopulationRate(name: "rate", population: "neurons[0:50]", bin_ms: 10.0), '
    'WeightTable(name: "w_table", projection: "exc_to_neurons", at_ms: [100.0])]'
)


def run(cli: Path, out: Path, fmt: str) -> None:
    run_cli(cli, "run", "scenes/poisson_lif_conductance.ron", "--quiet", "--duration-ms", "200",
            "--set", RECORDERS, "--format", fmt, "--out", str(out))


def test_npy_files_load_with_plain_numpy_and_match_the_csv(hebb_cli: Path, tmp_path: Path) -> None:
    run(hebb_cli, tmp_path / "npy", "npy")
    run(hebb_cli, tmp_path / "csv", "csv")
    npy, csv = tmp_path / "npy", tmp_path / "csv"
    files = sorted(npy.glob("*.npy"))
    assert [f.name for f in files] == ["rate.npy", "spikes_neurons.npy", "v_all.npy", "w_all.npy", "w_table.npy"]
    for f in files:
        np.load(f)  # default allow_pickle=False and max_header_size

    for name, variable in [("v_all", "v"), ("w_all", "w")]:
        data = np.load(npy / f"{name}.npy")
        columns = json.loads((npy / f"{name}.columns.json").read_text())[variable]
        header, t, cells = read_state_csv(csv / f"{name}.csv")
        assert columns == header
        assert data[variable].shape == (len(t), len(columns))
        np.testing.assert_array_equal(data["t_ms"], t)
        want = np.array([[float(c) for c in row] for row in cells], dtype=np.float32)
        np.testing.assert_array_equal(data[variable], want)
    assert np.load(npy / "w_all.npy")["w"].shape[1] > 3000

    spikes = np.load(npy / "spikes_neurons.npy")
    t, i = read_spikes_csv(csv / "spikes_neurons.csv")
    np.testing.assert_array_equal(spikes["t_ms"], t)
    np.testing.assert_array_equal(spikes["neuron"], i)

    rate = np.load(npy / "rate.npy")
    assert rate.dtype.names == ("t_ms", "rate_hz")
    np.testing.assert_array_equal(rate["t_ms"], np.arange(20) * 10.0)
    # The rate of neurons 0..49 in 10 ms bins, from the spikes.
    counts = np.array([np.sum((i < 50) & (t >= 10.0 * b) & (t < 10.0 * (b + 1)) ) for b in range(20)])
    np.testing.assert_allclose(rate["rate_hz"], counts / (50 * 0.010), rtol=1e-6)

    # The weight table: one row per synapse at 100 ms and at the end (199.9 ms), as in the CSV.
    table = np.load(npy / "w_table.npy")
    assert table.dtype.names == ("t_ms", "pre", "post", "w")
    rows = np.loadtxt(csv / "w_table.csv", delimiter=",", skiprows=1, ndmin=2)
    np.testing.assert_array_equal(table["t_ms"], rows[:, 0])
    np.testing.assert_array_equal(table["pre"], rows[:, 1])
    np.testing.assert_array_equal(table["post"], rows[:, 2])
    np.testing.assert_array_equal(table["w"], rows[:, 3].astype(np.float32))
    assert sorted(set(table["t_ms"])) == [100.0, 199.9]
    n = len(table) // 2
    assert n == np.load(npy / "w_all.npy")["w"].shape[1]
