# ClusterLab — two commands: `make serve` and `make test`.
# Each installs whatever is missing first (from crates.io, npm and Debian only).

SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER := /usr/bin/chromedriver

.PHONY: serve test tools tools-test build check native-test browser-test e2e bench clean

## Serve the app on http://127.0.0.1:8080/ (release build, rebuilt on change).
serve: tools
	trunk serve --release

## Every test: format, lints, native tests, browser tests, release build, end-to-end.
test: tools-test check native-test browser-test build e2e
	@echo "make test: all stages passed"

tools:
	@scripts/ensure-tools.sh serve

tools-test:
	@scripts/ensure-tools.sh test

check:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --bins --target wasm32-unknown-unknown -- -D warnings

native-test:
	cargo test --all-targets

browser-test:
	wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver --mode no-install -- --test browser

build: tools
	trunk build --release

e2e:
	node e2e/run.mjs

## Benchmarks: every budget of budgets.md beside its anchor, one table (figures printed, never asserted).
bench: tools
	CLUSTERLAB_BENCH_JSON=$(CURDIR)/target/bench-native.json cargo bench --bench kernel
	trunk build --release
	cd bench/anchors/yew-counter && trunk build --release
	node bench/run.mjs

clean:
	cargo clean
	rm -rf dist e2e/artifacts
