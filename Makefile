# Development commands. Everything is set up from nothing by devenv/setup.sh.
.PHONY: setup run test bench screenshots lint pot wheel

setup:
	bash devenv/setup.sh

run: setup
	bash devenv/run.sh

# Two legs: Odoo 11 on Python 3.11 (.venv), then on its own Python 3.6 (.venv36,
# devenv/test_py36.sh); the second runs even if the first fails, and either fails the target.
test: setup
	bash devenv/test.sh; status=$$?; bash devenv/test_py36.sh || status=$$?; exit $$status

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
