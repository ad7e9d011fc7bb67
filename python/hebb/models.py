"""Every model of hebb's registry as a class: ``hebb.models.<Name>(**params)``.

The classes are generated from the registry of the compiled module (built-in models and any
compiled-in plugins); ``help(hebb.models.Stdp)`` shows a model's parameters with their units,
meanings and defaults. ``hebb.models.names()`` lists them, ``names("neuron")`` by kind.
"""

from ._models import MODELS as _MODELS
from ._models import Model, model_names as names

globals().update(_MODELS)

__all__ = sorted(_MODELS) + ["Model", "names"]
