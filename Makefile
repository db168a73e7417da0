# Development commands. Everything is set up from nothing by devenv/setup.sh.
.PHONY: setup run test bench screenshots lint pot wheel

setup:
	bash devenv/setup.sh

run: setup
	bash devenv/run.sh

test: setup
	bash devenv/test.sh

screenshots: setup
	bash devenv/screenshots.sh

bench: setup
	.venv/bin/python bench/bench_key_auth.py

lint:
	bash devenv/lint.sh

pot: setup
	bash devenv/export_pot.sh

wheel:
	bash devenv/build_wheel.sh
