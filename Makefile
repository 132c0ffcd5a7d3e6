# The README's two commands: `make demo` (quickstart against the local DRS emulator) and `make test`.
# Each does its own set-up on a fresh machine: virtualenv, package, Pulumi engine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup engine demo test lint bench bench-quick

help:
	@echo "make demo   - preview and deploy the quickstart stack against the local DRS emulator"
	@echo "make test   - the whole test suite (unit, emulator over HTTP, gRPC provider, real engine)"
	@echo "make lint   - ruff and mypy --strict"
	@echo "make bench  - benchmarks (bench/run.py --quick for the short run)"

setup:
	@scripts/setup-venv >/dev/null

engine:
	@scripts/install-pulumi >/dev/null

demo: setup engine
	@scripts/quickstart

test: setup engine
	.venv/bin/python -m pytest tests

lint: setup
	.venv/bin/ruff check pulumi_drs tests bench examples
	.venv/bin/mypy

bench-quick: setup engine
	.venv/bin/python bench/run.py --quick

bench: setup engine
	.venv/bin/python bench/run.py
