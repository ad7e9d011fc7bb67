"""hebb: a fast, deterministic spiking neural network simulator with synaptic plasticity.

The simulation runs in Rust (with the GIL released); networks come from RON scene files
(``hebb.load``) or are built in code (``hebb.Network``); recordings come back as numpy arrays.

>>> import hebb
>>> net = hebb.load("scenes/song2000_stdp.ron", seed=3)      # doctest: +SKIP
>>> net.run(1000.0)                                          # doctest: +SKIP
>>> t, i = net.spikes("neuron")                              # doctest: +SKIP

The same scene and seed give bit-identical results from the ``hebb`` command, Rust and Python.
"""

from ._ext import EXTENSION as _EXTENSION
from ._ext import _hebb

BuildError = _hebb.BuildError
HebbError = _hebb.HebbError
SceneError = _hebb.SceneError
from ._network import (
    AllToAll,
    Constant,
    FixedIndegree,
    FixedProbability,
    List,
    Network,
    Normal,
    OneToOne,
    Uniform,
    Values,
    load,
    loads,
    resume,
)
from ._models import Model, ParameterError
from . import models

__version__ = _hebb.__version__

__all__ = [
    "AllToAll",
    "BuildError",
    "Constant",
    "FixedIndegree",
    "FixedProbability",
    "HebbError",
    "List",
    "Model",
    "Network",
    "Normal",
    "OneToOne",
    "ParameterError",
    "SceneError",
    "Uniform",
    "Values",
    "load",
    "loads",
    "models",
    "resume",
]
