# The two README commands: `make demo` and `make test`. Both install what they need
# into .venv first: exactly requirements-lock.txt (fast when already installed).
PY := .venv/bin/python
STAMP := .venv/.installed
PYTEST_ARGS ?= -m "not slow"

.PHONY: install demo test test-all

$(STAMP): requirements-lock.txt requirements.txt requirements-demo.txt setup.cfg setup.py \
          pyproject.toml scripts/install.sh scripts/check_lock.py
	bash scripts/install.sh
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(PY) tools/demo.py

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-all: $(STAMP)
	$(PY) -m pytest -q -m ""
