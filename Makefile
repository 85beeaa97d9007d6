# Two commands: `make run` and `make test`. Both are idempotent: the venv is rebuilt only when
# pyproject.toml changes (the stamp file is keyed on its hash).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
HASH := $(shell sha256sum pyproject.toml | cut -c1-16)
STAMP := $(VENV)/.stamp-$(HASH)
# Debian packages the tests use (installed when missing, with a message).
APT_TEST_PKGS := libportaudio2 xvfb jackd2 godot3-server
# Tests run headless; `make run` keeps the user's display.
test: export QT_QPA_PLATFORM ?= offscreen
test: export SDL_VIDEODRIVER ?= dummy
test: export SDL_AUDIODRIVER ?= dummy

.PHONY: run test venv lint apt-deps bench clean

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	@echo "Installing genie-studio into $(VENV) (torch pinned to the CPU wheel)..."
	@$(VENV)/bin/pip install -q --upgrade pip
	@$(VENV)/bin/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.stamp-*; touch $@

venv: $(STAMP)

apt-deps:
	@missing=""; for p in $(APT_TEST_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages needed by the tests:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	    || echo "warning: could not install$$missing; tests that need them will be skipped"; \
	fi

run: venv
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ "$$(uname)" = Linux ]; then \
	  echo "No display found: playing the first example sketch headless instead of opening the editor."; \
	  $(VENV)/bin/genie-studio play examples/sketches/sketch_01_256x256.png --actions 'right*24,noop*8' \
	    --scale 4 --out genie-run.gif && echo "Wrote genie-run.gif. On a desktop, make run opens the editor."; \
	else $(VENV)/bin/genie-studio; fi

lint: venv
	@$(VENV)/bin/ruff check genie_studio tests benchmarks plugins
	@$(VENV)/bin/lint-imports

# lint-imports runs once, inside pytest (tests/test_foundation.py::test_import_contracts_hold)
test: venv apt-deps
	@$(VENV)/bin/ruff check genie_studio tests benchmarks plugins
	@$(VENV)/bin/python -m pytest

bench: venv
	@$(VENV)/bin/genie-studio bench

clean:
	rm -rf $(VENV) build *.egg-info
