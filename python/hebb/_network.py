"""``hebb.Network``: a network read from a scene file (``hebb.load``), resumed from a snapshot
(``hebb.resume``) or built in code, its runs and its recordings as numpy arrays."""

from __future__ import annotations

import math
import os
from typing import Any, Callable, List as TList, Optional, Sequence, Tuple, Union

import numpy as np

from ._ext import _hebb
from ._models import Model
from ._progress import Progress

HebbError = _hebb.HebbError

PathLike = Union[str, "os.PathLike[str]"]


def _num(x: Any, what: str) -> str:
    """A finite number as RON text (Python's repr round-trips exactly)."""
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be finite, got {v}")
    return repr(v)


def _string(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


# ----- connectivity and initial weights ---------------------------------------------------------


class Connectivity:
    """How a projection's synapses are drawn (scene field ``connectivity``)."""

    def to_ron(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"hebb.{self.to_ron()}"


class AllToAll(Connectivity):
    """Every presynaptic neuron to every postsynaptic neuron (stored dense)."""

    def to_ron(self) -> str:
        return "AllToAll"


class OneToOne(Connectivity):
    """Pre ``i`` to post ``i``; both populations must have the same size."""

    def to_ron(self) -> str:
        return "OneToOne"


class FixedProbability(Connectivity):
    """Each pair independently with probability ``p``; ``autapses=False`` excludes ``i → i``
    within one population."""

    def __init__(self, p: float, autapses: bool = True) -> None:
        self.p = float(p)
        self.autapses = bool(autapses)
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"FixedProbability: p must be in [0, 1], got {p}")

    def to_ron(self) -> str:
        return f"FixedProbability(p: {_num(self.p, 'p')}, autapses: {str(self.autapses).lower()})"


class FixedIndegree(Connectivity):
    """Each postsynaptic neuron gets exactly ``k`` distinct presynaptic partners."""

    def __init__(self, k: int, autapses: bool = True) -> None:
        if int(k) < 0:
            raise ValueError(f"FixedIndegree: k must be >= 0, got {k}")
        self.k = int(k)
        self.autapses = bool(autapses)

    def to_ron(self) -> str:
        return f"FixedIndegree(k: {self.k}, autapses: {str(self.autapses).lower()})"


class List(Connectivity):
    """An explicit list of ``(pre, post)`` pairs."""

    def __init__(self, pairs: Sequence[Tuple[int, int]]) -> None:
        self.pairs = [(int(a), int(b)) for a, b in pairs]
        if any(a < 0 or b < 0 for a, b in self.pairs):
            raise ValueError("List: neuron indices must be >= 0")

    def to_ron(self) -> str:
        return "List([" + ", ".join(f"({a}, {b})" for a, b in self.pairs) + "])"


class Weights:
    """Initial weights (scene field ``weights``)."""

    def to_ron(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"hebb.{self.to_ron()}"


class Constant(Weights):
    """The same weight everywhere."""

    def __init__(self, value: float) -> None:
        self.value = float(value)
        _num(self.value, "Constant")

    def to_ron(self) -> str:
        return f"Constant({_num(self.value, 'Constant')})"


class Uniform(Weights):
    """Uniform in ``[low, high)``."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = float(low), float(high)

    def to_ron(self) -> str:
        return f"Uniform(low: {_num(self.low, 'low')}, high: {_num(self.high, 'high')})"


class Normal(Weights):
    """Normal(mean, std), clipped to ``[min, max]`` when given."""

    def __init__(self, mean: float, std: float, min: Optional[float] = None, max: Optional[float] = None) -> None:
        self.mean, self.std, self.min, self.max = float(mean), float(std), min, max

    def to_ron(self) -> str:
        parts = [f"mean: {_num(self.mean, 'mean')}", f"std: {_num(self.std, 'std')}"]
        if self.min is not None:
            parts.append(f"min: {_num(self.min, 'min')}")
        if self.max is not None:
            parts.append(f"max: {_num(self.max, 'max')}")
        return f"Normal({', '.join(parts)})"


class Values(Weights):
    """One weight per synapse, in synapse order (or in the order of a ``List``)."""

    def __init__(self, values: Sequence[float]) -> None:
        self.values = np.asarray(values, dtype=np.float64).ravel()
        if not np.all(np.isfinite(self.values)):
            raise ValueError("Values: weights must be finite")

    def to_ron(self) -> str:
        return "Values([" + ", ".join(repr(float(v)) for v in self.values) + "])"


def _model_text(model: Any, what: str) -> str:
    if isinstance(model, Model):
        return model.to_ron()
    if isinstance(model, type) and issubclass(model, Model):
        return model().to_ron()
    if isinstance(model, str):
        return model
    raise TypeError(f"{what}: expected a hebb.models model (e.g. hebb.models.Lif()), got {model!r}")


def _weights_text(w: Any) -> str:
    if isinstance(w, Weights):
        return w.to_ron()
    if isinstance(w, (int, float)):
        return Constant(w).to_ron()
    return Values(w).to_ron()


class PopulationRef(str):
    """A population's name (what ``Network.population`` returns); ``.size`` is its size."""

    size: int

    def __new__(cls, name: str, size: int) -> "PopulationRef":
        obj = super().__new__(cls, name)
        obj.size = size
        return obj


# ----- the network ------------------------------------------------------------------------------


class Network:
    """A spiking network: built in code, read from a scene (``hebb.load``) or resumed from a
    snapshot (``hebb.resume``).

    Built in code, it collects populations, projections, stimuli, a reward source and recorders,
    and is built (exactly as ``hebb run`` builds the same scene) the first time it runs or is
    read; after that its structure is fixed. ``to_scene()`` gives the RON text of the scene.
    """

    def __init__(self, dt_ms: float = 0.1, seed: int = 0, duration_ms: float = 1000.0) -> None:
        self.dt_ms_ = float(dt_ms)
        self._seed = int(seed)
        self.duration_ms_ = float(duration_ms)
        self._populations: TList[str] = []
        self._projections: TList[str] = []
        self._inputs: TList[str] = []
        self._reward: Optional[str] = None
        self._recorders: TList[str] = []
        self._sim: Optional[Any] = None

    @classmethod
    def _wrap(cls, sim: Any) -> "Network":
        net = cls.__new__(cls)
        net._sim = sim
        return net

    # ----- building ---------------------------------------------------------------------------

    def _editable(self) -> None:
        if self._sim is not None:
            raise HebbError(
                "this network is already built (it was read from a scene or has run); "
                "its populations, projections and recorders are fixed"
            )

    def population(self, name: str, size: int, model: Any) -> PopulationRef:
        """Add a population of ``size`` neurons of a neuron or input ``model``."""
        self._editable()
        if int(size) != size or size < 1:
            raise ValueError(f"population `{name}`: size must be a whole number >= 1, got {size}")
        text = _model_text(model, f"population `{name}`")
        self._populations.append(f"(name: {_string(name)}, size: {int(size)}, model: {text})")
        return PopulationRef(str(name), int(size))

    def projection(
        self,
        name: str,
        pre: str,
        post: str,
        *,
        synapse: Any,
        connectivity: Connectivity = AllToAll(),
        weights: Any = 1.0,
        delay_ms: float = 0.0,
        stp: Any = None,
        plasticity: Any = None,
        storage: Optional[str] = None,
    ) -> str:
        """Add a projection from population ``pre`` to ``post``."""
        self._editable()
        parts = [
            f"name: {_string(name)}",
            f"from: {_string(pre)}",
            f"to: {_string(post)}",
            f"connectivity: {connectivity.to_ron()}",
            f"weights: {_weights_text(weights)}",
            f"synapse: {_model_text(synapse, f'projection `{name}` synapse')}",
            f"delay_ms: {_num(delay_ms, 'delay_ms')}",
        ]
        if stp is not None:
            parts.append(f"stp: {_model_text(stp, f'projection `{name}` stp')}")
        if plasticity is not None:
            parts.append(f"plasticity: {_model_text(plasticity, f'projection `{name}` plasticity')}")
        if storage is not None:
            parts.append(f"storage: {storage}")
        self._projections.append("(" + ", ".join(parts) + ")")
        return str(name)

    def stimulus(self, population: str, model: Any) -> None:
        """Attach a stimulus model (e.g. ``hebb.models.StepCurrent``) to ``population``."""
        self._editable()
        text = _model_text(model, f"stimulus on `{population}`")
        self._inputs.append(f"(population: {_string(population)}, model: {text})")

    def reward(self, model: Any) -> None:
        """Set the network's reward source (a reward model, e.g. ``hebb.models.RewardSchedule``)."""
        self._editable()
        self._reward = _model_text(model, "reward")

    def record_spikes(self, population: str) -> None:
        """Record every spike of ``population`` (read with ``spikes``)."""
        self._editable()
        self._recorders.append(f"Spikes(population: {_string(population)})")

    def record_state(
        self,
        name: str,
        target: str,
        variables: Sequence[str],
        indices: Optional[Sequence[int]] = None,
        stride: int = 1,
    ) -> None:
        """Record ``variables`` of population or projection ``target`` (elements ``indices``,
        all when None) every ``stride`` steps, as recorder ``name`` (read with ``state``)."""
        self._editable()
        if isinstance(variables, str):
            variables = [variables]
        parts = [
            f"name: {_string(name)}",
            f"target: {_string(target)}",
            "variables: [" + ", ".join(_string(v) for v in variables) + "]",
        ]
        if indices is not None:
            parts.append("indices: [" + ", ".join(str(int(i)) for i in indices) + "]")
        parts.append(f"stride: {int(stride)}")
        self._recorders.append("State(" + ", ".join(parts) + ")")

    def record_weights(
        self,
        name: str,
        projection: str,
        synapses: Optional[Sequence[Tuple[int, int]]] = None,
        stride: int = 1,
    ) -> None:
        """Record the weights of ``projection`` (the ``(pre, post)`` pairs ``synapses``, all when
        None) every ``stride`` steps, as recorder ``name`` (read with ``state``)."""
        self._editable()
        parts = [f"name: {_string(name)}", f"projection: {_string(projection)}"]
        if synapses is not None:
            parts.append("synapses: [" + ", ".join(f"({int(a)}, {int(b)})" for a, b in synapses) + "]")
        parts.append(f"stride: {int(stride)}")
        self._recorders.append("Weights(" + ", ".join(parts) + ")")

    def _scene_text(self, duration_ms: Optional[float] = None) -> str:
        duration = self.duration_ms_ if duration_ms is None else float(duration_ms)
        lines = [
            "// Built in Python with hebb.Network.",
            "(",
            "    version: 1,",
            f"    dt_ms: {_num(self.dt_ms_, 'dt_ms')},",
            f"    duration_ms: {_num(duration, 'duration_ms')},",
            f"    seed: {self._seed},",
            "    populations: [",
            *(f"        {p}," for p in self._populations),
            "    ],",
            "    projections: [",
            *(f"        {p}," for p in self._projections),
            "    ],",
        ]
        if self._inputs:
            lines += ["    inputs: [", *(f"        {i}," for i in self._inputs), "    ],"]
        if self._reward is not None:
            lines.append(f"    reward: {self._reward},")
        lines += ["    recorders: [", *(f"        {r}," for r in self._recorders), "    ],", ")", ""]
        return "\n".join(lines)

    def to_scene(self, duration_ms: Optional[float] = None) -> str:
        """The network as RON scene text that ``hebb run`` accepts (with ``duration_ms``, default
        the network's)."""
        if self._sim is not None:
            text = self._sim.scene_ron()
            if duration_ms is None:
                return text
            raise HebbError("to_scene(duration_ms=…) is only for networks built in code")
        return _hebb.canonical_scene(self._scene_text(duration_ms), "<network>")

    def build(self) -> "Network":
        """Build the network now (otherwise done by the first run or read). Raises
        ``hebb.SceneError`` / ``hebb.BuildError`` with hebb's messages."""
        if self._sim is None:
            self._sim = _hebb.parse_scene(self._scene_text(), "<network>")
            threads = getattr(self, "_threads", None)
            if threads is not None:
                self._sim.set_threads(threads)
        return self

    @property
    def _built(self) -> Any:
        return self.build()._sim

    # ----- running ----------------------------------------------------------------------------

    def run(
        self,
        ms: Optional[float] = None,
        every_ms: Optional[float] = None,
        callback: Optional[Callable[["Network"], Any]] = None,
        progress: Optional[bool] = None,
    ) -> "Network":
        """Run for ``ms`` milliseconds (default: up to the scene's ``duration_ms``).

        The simulation runs in Rust with the GIL released. With ``every_ms`` and ``callback``,
        ``callback(net)`` is called after every ``every_ms`` of simulated time (closed loop:
        read spikes, ``set_reward``, ``set_weights``, ``impose_spikes`` …). ``progress``: a
        progress bar (default: on a terminal or in a notebook when the run takes over a second).
        Ctrl-C stops after a whole step and raises ``KeyboardInterrupt``; the network stays
        usable (``net.t_ms`` says where it stopped).
        """
        sim = self._built
        if ms is None:
            ms = max(0.0, sim.duration_ms - sim.t_ms)
            steps = max(0, sim.steps_in(sim.duration_ms) - sim.step)
        else:
            steps = sim.steps_in(ms)
        every = None
        cb = None
        if callback is not None or every_ms is not None:
            if callback is None or every_ms is None:
                raise ValueError("give both every_ms and callback, or neither")
            every = sim.steps_in(every_ms)
            if every == 0:
                raise ValueError("every_ms must be > 0")

            def cb() -> None:
                callback(self)

        bar = Progress(steps, sim.dt_ms, progress)
        try:
            sim.run_steps(steps, every, cb, bar if bar.enabled else None)
        finally:
            bar.close()
        return self

    # ----- reading and changing state ---------------------------------------------------------

    @property
    def t_ms(self) -> float:
        """Simulated time so far, ms."""
        return self._built.t_ms

    @property
    def step(self) -> int:
        """Steps run so far."""
        return self._built.step

    @property
    def dt_ms(self) -> float:
        """Time step, ms."""
        return self._sim.dt_ms if self._sim is not None else self.dt_ms_

    @property
    def threads(self) -> int:
        """Threads the network steps on (as ``hebb run --threads``; by default the count
        ``hebb run`` picks). Results are bit-identical for every count; set it at any time."""
        if self._sim is not None:
            return int(self._sim.threads)
        threads = getattr(self, "_threads", None)
        return 1 if threads is None else threads

    @threads.setter
    def threads(self, threads: int) -> None:
        if isinstance(threads, bool) or int(threads) != threads or threads < 1:
            raise ValueError(f"threads must be a whole number of at least 1, got {threads!r}")
        self._threads = int(threads)
        if self._sim is not None:
            self._sim.set_threads(self._threads)

    @property
    def seed(self) -> int:
        """Master seed."""
        return self._sim.seed if self._sim is not None else self._seed

    @property
    def duration_ms(self) -> float:
        """The scene's ``duration_ms`` (what ``run()`` without arguments runs to)."""
        return self._sim.duration_ms if self._sim is not None else self.duration_ms_

    @property
    def populations(self) -> TList[Tuple[str, int, str]]:
        """``(name, size, model)`` of each population."""
        return self._built.populations()

    @property
    def projections(self) -> TList[Tuple[str, str, str, int]]:
        """``(name, from, to, synapses)`` of each projection."""
        return self._built.projections()

    def spikes(self, population: str) -> Tuple[np.ndarray, np.ndarray]:
        """Recorded spikes of ``population``: ``(times_ms, neurons)`` (float64, int64), in time
        order (within a step, by neuron)."""
        return self._built.spikes(str(population))

    def state(self, recorder: str) -> Tuple[np.ndarray, np.ndarray]:
        """A State or Weights recorder: ``(times_ms (T,), values (T, N))``; the column names are
        ``state_columns(recorder)``."""
        return self._built.state(str(recorder))

    def state_columns(self, recorder: str) -> TList[str]:
        """Column names of a state recorder (``v[3]``, ``w[0,1]``), as in the CSV header."""
        return self._built.state_columns(str(recorder))

    def weights(self, projection: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Current weights of ``projection``: ``(pre, post, w)``, copies, one entry per
        synapse in synapse order."""
        return self._built.weights(str(projection))

    def set_weights(self, projection: str, w: Any) -> None:
        """Replace the weights of ``projection``: one finite value per synapse, in the order of
        ``weights(projection)``. ``ValueError`` on a wrong shape or a non-finite value."""
        arr = np.asarray(w, dtype=np.float64)
        sim = self._built
        n = next((p[3] for p in sim.projections() if p[0] == str(projection)), None)
        if arr.ndim != 1:
            raise ValueError(
                f"set_weights(`{projection}`): expected a 1-D array of {n} weights, got shape {arr.shape}"
            )
        sim.set_weights(str(projection), np.ascontiguousarray(arr))

    def set_reward(self, value: float) -> None:
        """Set the reward (neuromodulator) that reward-modulated plasticity uses from the next
        step on. The value holds until it is set again (or until a ``RewardSchedule`` of the
        scene reaches its next change); a ``RewardConstant`` source only sets the start value."""
        self._built.set_reward(float(value))

    @property
    def reward_value(self) -> float:
        """The reward the next step will use (the held value)."""
        return self._built.reward()

    def impose_spikes(self, population: str, neurons: Sequence[int]) -> None:
        """Make ``neurons`` of an ``Exact`` input population spike in the next step."""
        idx = np.asarray(neurons).ravel()
        if idx.size and not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"impose_spikes: neuron indices must be integers, got {idx.dtype}")
        self._built.impose_spikes(str(population), [int(i) for i in idx])

    def save_snapshot(self, path: PathLike) -> None:
        """Write the scene and the whole state (recordings included) to ``path``; continue it
        with ``hebb.resume(path)`` (or ``hebb resume``), bit for bit."""
        self._built.save_snapshot(os.fspath(path))

    def __repr__(self) -> str:
        if self._sim is None:
            return f"<hebb.Network (not built): {len(self._populations)} populations, {len(self._projections)} projections>"
        pops = ", ".join(f"{n}[{s}]" for n, s, _ in self._sim.populations())
        return f"<hebb.Network {self._sim.path}: t = {self._sim.t_ms} ms; {pops}>"


def load(path: PathLike, seed: Optional[int] = None, threads: Optional[int] = None) -> Network:
    """Read the scene file at ``path`` and build its network (``seed`` replaces the scene's;
    ``threads``, as ``hebb run --threads``, sets the thread count, see ``Network.threads``).

    Raises ``hebb.SceneError`` (file:line:column, element, value) for a bad scene and
    ``hebb.BuildError`` when a valid scene's network cannot be built.
    """
    net = Network._wrap(_hebb.load_scene(os.fspath(path), None if seed is None else int(seed)))
    if threads is not None:
        net.threads = threads
    return net


def loads(text: str, name: str = "<scene>", seed: Optional[int] = None) -> Network:
    """Parse scene ``text`` (``name`` stands for the file in error messages) and build it, like
    ``load``."""
    return Network._wrap(_hebb.parse_scene(str(text), str(name), None if seed is None else int(seed)))


def resume(path: PathLike) -> Network:
    """Rebuild the network saved by ``save_snapshot`` (or ``hebb run --snapshot-at``) with its
    state and recordings; running it on continues exactly where it stopped."""
    return Network._wrap(_hebb.resume_snapshot(os.fspath(path)))
