"""Speed and memory benchmarks; each module with a ``main(argv)`` runs with `python -m bench` (or on its own)."""
