"""A small progress bar for ``Network.run``: on a terminal (stderr) or in a notebook, shown
only when a run takes more than a second; tqdm is used when installed, else a text line."""

from __future__ import annotations

import sys
import time
from typing import Optional


def _interactive() -> bool:
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """Called as ``progress(done_steps, total_steps)`` by the run loop (about every 50 ms)."""

    DELAY_S = 1.0

    def __init__(self, total: int, dt_ms: float, enabled: Optional[bool]) -> None:
        self.total = total
        self.dt_ms = dt_ms
        self.enabled = _interactive() if enabled is None else bool(enabled)
        self.start = time.monotonic()
        self.shown = False
        self._tqdm = None
        self._last = 0

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.start
        if not self.shown and elapsed < self.DELAY_S and done < total:
            return
        if not self.shown:
            self.shown = True
            try:
                from tqdm.auto import tqdm  # type: ignore[import-not-found]

                self._tqdm = tqdm(total=total, unit="step", unit_scale=True, leave=False)
            except ImportError:
                self._tqdm = None
        if self._tqdm is not None:
            self._tqdm.update(done - self._last)
            self._last = done
            return
        width = 30
        frac = done / total if total else 1.0
        bar = "#" * int(frac * width)
        sys.stderr.write(
            f"\r[{bar:<{width}}] {100 * frac:5.1f}%  {done * self.dt_ms:.1f}/{total * self.dt_ms:.1f} ms  {elapsed:.1f} s"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if not self.shown:
            return
        if self._tqdm is not None:
            self._tqdm.close()
        else:
            sys.stderr.write("\r" + " " * 72 + "\r")
            sys.stderr.flush()
