"""Model classes generated from hebb's model registry (``hebb.models.<Name>``).

Each registered model (neurons, inputs, stimuli, synapses, short-term plasticity, plasticity
rules, reward sources; built-in and compiled-in plugins alike) becomes a class whose keyword
arguments are the model's parameters, with the registry's units, meanings and defaults in its
docstring. Unknown parameters raise ``hebb.ParameterError`` at once; values are checked by the
model's own validation (``ValueError``) when the object is made.

Enum-valued parameters take the variant name as a string (``integration="Rk2"``) or, for
variants with values, a one-key dict (``bounds={"Hard": [0.0, 1.0]}``), exactly as
``json.dumps`` of the scene value.
"""

from __future__ import annotations

import inspect
import json
import keyword
import math
from typing import Any, Dict, List, Tuple

from ._ext import _hebb


class ParameterError(TypeError, ValueError):
    """An unknown model parameter (both a ``TypeError``, like any unexpected keyword
    argument, and a ``ValueError``)."""


def _check_json(value: Any, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: must be finite, got {value}")
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_json(v, where)
    if isinstance(value, dict):
        for v in value.values():
            _check_json(v, where)


def _plain(value: Any) -> Any:
    """numpy scalars and arrays to Python values json can write."""
    if hasattr(value, "tolist") and callable(value.tolist):
        return value.tolist()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Model:
    """A model with its parameters: one of the ``hebb.models`` classes.

    ``str(model)`` is its scene text, e.g. ``Stdp(lr_post: 0.01, …)``.
    """

    NAME: str = ""
    KIND: str = ""
    PARAMS: Tuple[Tuple[str, str, str], ...] = ()
    DEFAULTS: Dict[str, Any] = {}

    def __init__(self, **params: Any) -> None:
        # Parameters named like Python keywords (`lambda`) are also accepted with a trailing `_`.
        params = {
            (k[:-1] if k.endswith("_") and keyword.iskeyword(k[:-1]) and k[:-1] in self.DEFAULTS else k): v
            for k, v in params.items()
        }
        known = list(self.DEFAULTS)
        unknown = [k for k in params if k not in self.DEFAULTS]
        if unknown:
            raise ParameterError(
                f"{self.NAME}: unknown parameter{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(unknown)}; parameters: {', '.join(known) or '(none)'}"
            )
        values = {k: _plain(v) for k, v in params.items()}
        for k, v in values.items():
            _check_json(v, f"{self.NAME}.{k}")
        self._params = values
        self._ron = _hebb.model_ron(self.NAME, json.dumps(values))

    @property
    def params(self) -> Dict[str, Any]:
        """Every parameter's value (given or default)."""
        merged = dict(self.DEFAULTS)
        merged.update(self._params)
        return merged

    def to_ron(self) -> str:
        """The model as scene text."""
        return self._ron

    def __str__(self) -> str:
        return self._ron

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"hebb.models.{self.NAME}({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and other._ron == self._ron

    def __hash__(self) -> int:
        return hash(self._ron)


def _doc(entry: Dict[str, Any], defaults: Dict[str, Any]) -> str:
    lines = [f"{entry['name']} ({entry['kind']} model): {entry['summary']}.", "", "Parameters", "----------"]
    documented = {name for name, _, _ in entry["params"]}
    for name, unit, doc in entry["params"]:
        lines.append(f"{name} : [{unit}], default {defaults.get(name)!r}")
        lines.append(f"    {doc}")
    for name, value in defaults.items():
        if name not in documented:
            lines.append(f"{name} : default {value!r}")
    if not defaults:
        lines.append("(no parameters)")
    lines += ["", "Unknown parameters raise hebb.ParameterError; invalid values raise ValueError."]
    return "\n".join(lines)


def _generate() -> Dict[str, type]:
    classes: Dict[str, type] = {}
    for entry in _hebb.model_table():
        defaults = json.loads(entry["defaults"])
        if not isinstance(defaults, dict):
            defaults = {}
        cls = type(
            entry["name"],
            (Model,),
            {
                "NAME": entry["name"],
                "KIND": entry["kind"],
                "PARAMS": tuple(tuple(p) for p in entry["params"]),
                "DEFAULTS": defaults,
                "__doc__": _doc(entry, defaults),
                "__module__": "hebb.models",
            },
        )
        cls.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(k + "_" if keyword.iskeyword(k) else k, inspect.Parameter.KEYWORD_ONLY, default=v)
                for k, v in defaults.items()
                if (k + "_" if keyword.iskeyword(k) else k).isidentifier()
            ]
        )
        classes[entry["name"]] = cls
    return classes


MODELS: Dict[str, type] = _generate()


def model_names(kind: str | None = None) -> List[str]:
    """Registered model names, optionally of one kind (``"neuron"``, ``"plasticity"``, …)."""
    return [n for n, c in MODELS.items() if kind is None or c.KIND == kind]
