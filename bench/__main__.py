"""`python -m bench`: run the benchmarks, print the table, write JSON to bench/results/."""

from bench.cli import main

main()
