"""Progress lines for long build steps, on stderr so that stdout stays machine-readable."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


@contextmanager
def step(label: str, *, stream: TextIO | None = None, enabled: bool = True) -> Iterator[None]:
    """Print '→ label …' before and the elapsed time after; on a terminal the line is rewritten in place."""
    out = stream or sys.stderr
    if not enabled:
        yield
        return
    tty = out.isatty()
    out.write(f"→ {label} …" + ("" if tty else "\n"))
    out.flush()
    start = time.perf_counter()
    yield
    took = time.perf_counter() - start
    out.write((f"\r✓ {label} ({took:.1f} s)\n") if tty else f"✓ {label} ({took:.1f} s)\n")
    out.flush()
