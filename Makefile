# Every target installs what it needs first, so a fresh Debian machine needs
# nothing but Node.js 20, npm and this repository.

SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.package-lock.json

# Program on PATH -> Debian package that provides it.
SYSTEM_PROGRAMS := prometheus:prometheus promtool:prometheus \
	prometheus-alertmanager:prometheus-alertmanager amtool:prometheus-alertmanager \
	prometheus-node-exporter:prometheus-node-exporter

.PHONY: all deps system-deps build test gameday bench clean

all: build

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_MODULES_STAMP) system-deps

system-deps:
	@missing=""; \
	for pair in $(SYSTEM_PROGRAMS); do \
	  program=$${pair%%:*}; package=$${pair##*:}; \
	  command -v $$program >/dev/null || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  packages=$$(echo $$missing | tr ' ' '\n' | sort -u | tr '\n' ' '); \
	  echo "installing Debian packages:$$packages"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$packages; \
	fi

build: $(NODE_MODULES_STAMP)
	npm run build

test: deps
	npm test

gameday: deps build
	node dist/src/bin.js gameday

bench: deps build
	node dist/bench/service/run.js

clean:
	rm -rf dist .srekit
