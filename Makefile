# The README's two commands: `make demo` (quickstart against the local DRS emulator) and `make test`.
# Each does its own set-up on a fresh machine: virtualenv, package, Pulumi engine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup engine demo test test-pythons lint bench bench-quick mutation sdks sweep

GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)

help:
	@echo "make demo   - preview and deploy the quickstart stack against the local DRS emulator"
	@echo "make test   - the whole test suite (unit, emulator over HTTP, gRPC provider, real engine)"
	@echo "make test-pythons - the fast tiers under each of Python 3.10 to 3.13 this machine has (.venvs/)"
	@echo "make lint   - ruff and mypy --strict (the package and scripts/), shellcheck (the shell scripts)"
	@echo "make bench  - benchmarks (bench/run.py --quick for the short run)"
	@echo "make sweep  - the whole crash-point sweep: every DRS request of a create, a repair and a destroy killed,"
	@echo "              both front doors (about 30 min; docs/reliability.md)"
	@echo "make sdks   - regenerate schema.json and, from it, the committed SDKs in sdk/ (nodejs, python, go;"
	@echo "              cmd/pulumi-gen-drs: needs Go, npm and the package registries)"
	@echo "make mutation - mutation testing of the modules that decide what happens to jobs (several hours for all 21;"
	@echo "                docs/test-strength.md); scripts/mutation 'pulumi_drs.plan.*' for part of it"

setup:
	@scripts/setup-venv >/dev/null

engine:
	@scripts/install-pulumi >/dev/null

demo: setup engine
	@scripts/quickstart

test: setup engine
	.venv/bin/python -m pytest tests

test-pythons:
	scripts/test-pythons

PY_SCRIPTS := scripts/quickstart.py scripts/mutation-first-pass
SH_SCRIPTS := scripts/install-pulumi scripts/mutation scripts/quickstart scripts/setup-venv scripts/test-pythons .ci/run

lint: setup
	.venv/bin/ruff check pulumi_drs tests bench examples $(PY_SCRIPTS)
	.venv/bin/mypy
	MYPYPATH=tests .venv/bin/mypy --strict $(PY_SCRIPTS)
	.venv/bin/shellcheck $(SH_SCRIPTS)

bench-quick: setup engine
	.venv/bin/python bench/run.py --quick

bench: setup engine
	.venv/bin/python bench/run.py

mutation: setup
	scripts/mutation

sdks: setup
	.venv/bin/python -m pulumi_drs.native.schema > schema.json.tmp || { rm -f schema.json.tmp; exit 1; }
	mv schema.json.tmp schema.json
	PATH="$(dir $(GO)):$$PATH" $(GO) -C cmd/pulumi-gen-drs run . $(CURDIR)/schema.json $(CURDIR)/sdk

sweep: setup engine
	.venv/bin/python tests/reliability/run_sweep.py
