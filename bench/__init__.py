"""zonesync's benchmarks: zonesync and octoDNS side by side on the bundled Cloudflare API emulator.

`python -m bench` (or `make bench`) runs the scenarios of the performance issue, prints a table and writes
JSON to bench/results/. A benchmark is a measurement, not a test: CI runs only tests/test_bench_smoke.py.
"""
