# The two commands of the README, and the figures.
#   make test   set up what is missing, then run every check and test
#   make demo   set up, build the package, serve the demo and the mock server on 127.0.0.1:8080
#               (REDIS=1: the families in a Redis of its own; REDIS_URL=redis://…: in that one)
#   make size   build the package and print its size, raw and gzip -9
#   make bench  build the package and print the speed figures (fetch overhead, single flight)
#   make functions  build the package and print the wasm's largest functions (where its size is)
#   make pkg    build the npm package into pkg/
#   make soak   the long runs: 200,000,000+ simulated steps, 1,000,000 decoder cases per property
#   make example  build examples/leptos-app (optimized) and serve it with the mock server on 127.0.0.1:8081
#   make mock-server  the mock servers `wasm-pack test --headless --chrome` looks for (127.0.0.1:18080-18083)

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: setup test demo example size functions bench pkg soak mock-server

setup:
	@scripts/setup.sh

test: setup
	@scripts/test.sh

pkg: setup
	@scripts/build-pkg.sh

size: pkg
	@scripts/size.sh

functions: pkg
	@scripts/functions.sh

bench: pkg
	@scripts/bench.sh

demo: pkg
	@scripts/demo.sh

soak: setup
	@scripts/soak.sh

example: setup
	@scripts/example.sh

mock-server: setup
	@scripts/mock-servers.sh
