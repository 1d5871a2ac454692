# Every target installs what it needs first, so a fresh Debian machine needs
# nothing but Node.js 20, npm and this repository.

SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.package-lock.json

.PHONY: all deps system-deps build test gameday bench bench-service bench-slo bench-backup \
	bench-incident clean

all: build

$(NODE_MODULES_STAMP): package.json package-lock.json
	# Native addons (better-sqlite3, zstd-napi) compile here with node-gyp
	# instead of downloading prebuilt binaries.
	npm_config_build_from_source=true npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_MODULES_STAMP) system-deps

system-deps:
	scripts/install-system-deps.sh

build: $(NODE_MODULES_STAMP)
	npm run build

test: deps
	npm test

gameday: deps build
	node dist/src/bin.js gameday

# Every benchmark. Without -j they run one after the other and do not share CPUs.
# `make -k bench` still runs the others when one fails its check.
bench: bench-service bench-slo bench-backup bench-incident

bench-service: deps build
	node dist/bench/service/run.js

bench-slo: deps build
	node dist/bench/slo/run.js

# The backup benchmark runs restic, borg and zstd side by side, so it
# installs them first.
bench-backup: deps build
	scripts/install-system-deps.sh bench
	node dist/bench/backup/run.js

bench-incident: deps build
	node dist/bench/incident/run.js

clean:
	rm -rf dist .srekit
