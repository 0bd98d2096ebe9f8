# remora: developer entry points.  `make test` is what CI runs (.ci/run).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-done
# The browser test's driver: npm's playwright-core (pinned in its package-lock.json),
# driving Debian's chromium.
BROWSER := host_tests/browser/node_modules/.setup-done

PORT ?= 8080
RUNTIME ?= micropython
BOARD ?= esp32
# The MicroPython source tree the firmware is built from (v1.28.0): MICROPY_SRC=DIR
# (relative to this folder) names it; unset, ../shared/micropython beside this folder,
# or beside the repository this one was cloned from (remora_tools.firmware.source_dir).
export MICROPY_SRC

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: setup sysdeps firmware-sim firmware speedups test run sim bench mpy clean fleet

# Idempotent: system packages are checked every time (cheap), the venv is rebuilt only when
# requirements-dev.txt or pyproject.toml change, the simulated board's firmware only when
# lib/remora, firmware/ or its recipe change (a content hash names the binary).
setup: sysdeps $(STAMP) $(BROWSER) firmware-sim speedups

sysdeps:
	@missing=(); \
	command -v chronyd >/dev/null || [ -x /usr/sbin/chronyd ] || missing+=(chrony); \
	command -v curl >/dev/null || missing+=(curl); \
	command -v openssl >/dev/null || missing+=(openssl); \
	command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto); \
	command -v chromium >/dev/null || missing+=(chromium); \
	command -v npm >/dev/null || missing+=(nodejs npm); \
	command -v gcc >/dev/null || missing+=(gcc libc6-dev); \
	echo 'int main(void) { return 0; }' | gcc -m32 -x c - -o /dev/null 2>/dev/null || missing+=(gcc-multilib); \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv); \
	if (( $${#missing[@]} )); then \
		echo "setup: installing $${missing[*]}"; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends "$${missing[@]}"; \
	fi

$(STAMP): requirements-dev.txt pyproject.toml
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt -e .
	touch $@

$(BROWSER): host_tests/browser/package.json host_tests/browser/package-lock.json
	cd host_tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The simulated board's firmware: MicroPython's unix port, 32-bit, remora frozen in
# (tools/remora_tools/firmware.py; about 50 s on 2 cores the first time, seconds after).
firmware-sim: sysdeps $(STAMP)
	$(PY) -m remora_tools.firmware unix >/dev/null

# The optional CPython speedups (the HTTP core compiled with mypyc, uvloop) in
# build/speedups/HASH, outside the venv: only what puts them on its path uses them (the
# differential test, the bench).  tools/remora_tools/speedups.py; seconds, once per change.
speedups: sysdeps $(STAMP)
	$(PY) -m remora_tools.speedups >/dev/null

# A board's firmware with remora frozen in: BOARD=esp32|esp32s3|picow where that port's
# toolchain is installed (a one-line message says what is missing), BOARD=unix: the
# simulated board's.
firmware: sysdeps $(STAMP)
	$(PY) -m remora_tools.firmware $(BOARD)

test: setup
	$(PY) -m pytest -q host_tests

# DEV=1: development mode (error details in the browser).
run: setup
	$(VENV)/bin/remora serve examples/demo --port $(PORT) --runtime $(RUNTIME) --board $(BOARD) \
		$(if $(filter 1,$(DEV)),--dev)

# The MQTT fleet: mosquitto, 20 simulated ESP32 boards and the gateway's dashboard on PORT.
fleet: setup
	$(PY) examples/fleet/run.py --port $(PORT)

# A simulated board (remora sim): the board's firmware and heap, its flash build/sim/BOARD,
# its console on the pseudo-terminal it prints, for mpremote and `remora deploy --port`.
sim: setup
	$(VENV)/bin/remora sim --board $(BOARD)

# Every part of bench/ into bench/results.md (bench/README.md; one part alone:
# `.venv/bin/python -m bench.NAME`).  Its MicroPython rows run on a firmware of its own
# (remora and microdot frozen), built under bench/build the first time (about a minute).
# The bench's own tools (wrk; the peers in bench/requirements.txt) are installed here only:
# `make setup` and `make test` do not need them.
bench: setup
	@command -v wrk >/dev/null || { \
		echo "bench: installing wrk"; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends wrk; \
	}
	$(PY) -m pip install -q --disable-pip-version-check -r bench/requirements.txt
	$(PY) -m bench --out bench/results.md

mpy: setup
	$(PY) -m remora_tools.mpy lib/remora build/mpy/lib/remora

clean:
	rm -rf build .pytest_cache .mypy_cache *.egg-info
	find . -path ./.venv -prune -o \( -name __pycache__ -o -name '*.mpy' \) -prune -print0 | xargs -0 rm -rf
