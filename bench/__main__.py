"""`python -m bench` (`make bench`): run every benchmark module of this package in turn; `python -m bench NAME [ARGS]`: one."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        module = importlib.import_module(f"bench.{argv[0]}")
        return int(module.main(argv[1:]) or 0)
    status = 0
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        run = getattr(module, "main", None)
        if callable(run):
            print(f"== bench.{info.name} ==", file=sys.stderr, flush=True)
            status |= int(run([]) or 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
