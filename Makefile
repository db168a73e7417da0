# Development commands. Everything is set up from nothing by devenv/setup.sh.
.PHONY: setup run test

setup:
	bash devenv/setup.sh

run: setup
	bash devenv/run.sh

test: setup
	bash devenv/test.sh
