"""Type stubs of the compiled extension ``hebb._hebb`` (the Rust layer under ``hebb``)."""

from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt

__version__: str
REAL_DTYPE: str

class HebbError(Exception):
    """Base class of hebb's errors."""

class SceneError(HebbError):
    """A scene that cannot be read or is invalid (message: ``file:line:column: element: …``)."""

    path: str
    line: Optional[int]
    column: Optional[int]
    element: Optional[str]
    message: str

class BuildError(HebbError):
    """A valid scene whose network cannot be built."""

    path: str
    line: Optional[int]
    column: Optional[int]
    element: Optional[str]
    message: str

class Simulation:
    """A built network and its state (use ``hebb.Network``)."""

    step: int
    threads: int
    def set_threads(self, threads: int) -> None: ...
    t_ms: float
    dt_ms: float
    seed: int
    duration_ms: float
    path: str
    def run_steps(
        self,
        steps: int,
        every: Optional[int] = None,
        callback: Optional[Callable[[], Any]] = None,
        progress: Optional[Callable[[int, int], Any]] = None,
    ) -> int: ...
    def steps_in(self, ms: float) -> int: ...
    def scene_ron(self) -> str: ...
    def populations(self) -> List[Tuple[str, int, str]]: ...
    def projections(self) -> List[Tuple[str, str, str, int]]: ...
    def recorder_names(self) -> Tuple[List[str], List[str]]: ...
    def spikes(self, population: str) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
    def state(self, name: str) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.floating], List[str]]: ...
    def weights(
        self, projection: str
    ) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.floating]]: ...
    def set_weights(self, projection: str, w: npt.NDArray[np.float64]) -> None: ...
    def set_reward(self, value: float) -> None: ...
    def reward(self) -> float: ...
    def impose_spikes(self, population: str, neurons: List[int]) -> None: ...
    def save_snapshot(self, path: str) -> None: ...

def load_scene(path: str, seed: Optional[int] = None) -> Simulation: ...
def parse_scene(text: str, name: str = "<scene>", seed: Optional[int] = None) -> Simulation: ...
def canonical_scene(text: str, name: str = "<scene>") -> str: ...
def resume_snapshot(path: str) -> Simulation: ...
def model_table() -> List[Dict[str, Any]]: ...
def model_ron(name: str, params_json: str) -> str: ...
