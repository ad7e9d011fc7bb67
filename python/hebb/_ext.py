"""Which compiled extension backs the package: ``hebb._hebb`` (hebb's built-in models), or the
module named by the environment variable ``HEBB_EXTENSION`` — an extension built with your own
Rust models compiled in (``hebb_python::init_module``; see python/README.md, "Your own Rust
models"). Read once, when ``hebb`` is first imported."""

from __future__ import annotations

import importlib
import os

EXTENSION = os.environ.get("HEBB_EXTENSION") or "hebb._hebb"

try:
    _hebb = importlib.import_module(EXTENSION)
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"hebb: cannot import the extension module {EXTENSION!r}"
        + (" named by HEBB_EXTENSION" if EXTENSION != "hebb._hebb" else "")
        + f": {e}"
    ) from e
