# NemoClaw: the two commands a newcomer needs.
#   make demo   set up and run the end-to-end walk-through
#   make test   set up and run every test suite
# Both are safe to run repeatedly on a fresh machine.

CARGO ?= cargo

.PHONY: demo test setup build lint

setup:
	bash scripts/setup.sh

build: setup
	$(CARGO) build --workspace --release

demo: build
	bash scripts/demo.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test: setup
	$(CARGO) test --workspace
