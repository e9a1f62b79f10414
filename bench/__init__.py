"""Benchmarks of the Backprop Playground engine (run ``python -m bench.bench_engine``)."""
