# One entry point for routine work on the template; the rendered project has the same targets.
# uv never downloads an interpreter here: point UV_PYTHON at one when none is found.
export UV_PYTHON_DOWNLOADS ?= never
# Installed packages get their .pyc once, at install: every render and worker then imports
# copier without compiling it again (2 s of a render where PYTHONDONTWRITEBYTECODE is set).
export UV_COMPILE_BYTECODE ?= 1

PYTEST := uv run --frozen pytest
# The whole suite's report, where `make bench` reads the meta suite's minutes by phase.
JUNIT := --junitxml=bench/results/meta-junit.xml
COMBO ?= async-auth-github

.PHONY: setup test test-fast test-one lint fmt bench

setup:  ## Build this repo's tool environment from uv.lock.
	uv sync --frozen

# worksteal: a rendered suite takes a minute or more, so an idle worker takes queued ones over.
test: setup  ## The whole meta suite: every combination rendered, built, linted and tested.
	$(PYTEST) -n 2 --dist worksteal $(JUNIT) $(PYTEST_ARGS)

test-fast: setup  ## Everything except building and running the rendered suites.
	$(PYTEST) -n 2 --dist worksteal -m "not slow"

test-one: setup  ## One combination, every check: make test-one COMBO=sync-noauth-none
	$(PYTEST) --combination=$(COMBO)

# The template's own CI splits the suite: one job per combination (test-one), and the tests bound
# to no combination in two more. Together they run every test once.
.PHONY: matrix test-rest test-rest-slow

matrix:  ## Print the combination table from copier.yml as JSON, for the CI matrix.
	@uv run --frozen python -m tests.matrix --github-matrix

test-rest: setup  ## The fast tests bound to no combination: questions, template shape, own CI.
	$(PYTEST) -n 2 --dist worksteal --combination=none -m "not slow"

test-rest-slow: setup  ## The slow tests bound to no combination: the planted bugs.
	$(PYTEST) -n 2 --dist worksteal --combination=none -m slow

lint: setup  ## Ruff on the meta suite, the hook and the benchmarks.
	uv run --frozen ruff check tests hooks bench
	uv run --frozen ruff format --check tests hooks bench

fmt: setup  ## Fix what ruff can fix, then format.
	uv run --frozen ruff check --fix tests hooks bench
	uv run --frozen ruff format tests hooks bench

bench: setup  ## Print the figures of issue 10 against their targets: make bench [BENCH_ARGS="--runs 5 --baseline ../main"]
	uv run --frozen python -m bench.run $(BENCH_ARGS)
