"""Benchmarks of pulumi-drs on the DRS emulator; run them with `python bench/run.py [--quick]`."""
