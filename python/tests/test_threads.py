"""Threads from Python: the same spikes and weights on 1 and 2 threads (as `hebb run
--threads`), a thread count set before or after building, and bad counts refused."""

import numpy as np
import pytest

import hebb

from conftest import SCENES


def _run(path, threads):
    net = hebb.load(path, threads=threads)
    assert net.threads == threads
    net.run(100.0)
    return net


def test_spikes_are_identical_on_one_and_two_threads():
    path = SCENES / "brette2007_coba.ron"
    one, two = _run(path, 1), _run(path, 2)
    for population in ("exc", "inh"):
        t1, i1 = one.spikes(population)
        t2, i2 = two.spikes(population)
        assert len(t1) > 100
        np.testing.assert_array_equal(t1, t2)
        np.testing.assert_array_equal(i1, i2)


def test_weights_are_identical_when_threads_change_mid_run():
    path = SCENES / "poisson_lif_conductance.ron"
    straight = hebb.load(path, threads=1)
    straight.run(200.0)
    switched = hebb.load(path, threads=2)
    switched.run(100.0)
    switched.threads = 1
    switched.run(100.0)
    for name, *_ in straight.projections:
        np.testing.assert_array_equal(straight.weights(name)[2], switched.weights(name)[2])


def test_bad_thread_counts_are_refused():
    net = hebb.load(SCENES / "brette2007_coba.ron")
    assert net.threads >= 1
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="threads"):
            net.threads = bad
