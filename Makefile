# Two commands: `make run` and `make test`. Both are idempotent: the venv is rebuilt only when
# pyproject.toml changes (the stamp file is keyed on its hash).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
HASH := $(shell sha256sum pyproject.toml | cut -c1-16)
STAMP := $(VENV)/.stamp-$(HASH)
# Debian packages the tests use (installed when missing, with a message).
APT_TEST_PKGS := libportaudio2 xvfb jackd2 godot3-server
export QT_QPA_PLATFORM ?= offscreen
export SDL_VIDEODRIVER ?= dummy
export SDL_AUDIODRIVER ?= dummy

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
	@$(VENV)/bin/genie-studio

lint: venv
	@$(VENV)/bin/ruff check genie_studio tests benchmarks plugins
	@$(VENV)/bin/lint-imports

test: venv apt-deps lint
	@$(VENV)/bin/python -m pytest

bench: venv
	@$(VENV)/bin/genie-studio bench

clean:
	rm -rf $(VENV) build *.egg-info
