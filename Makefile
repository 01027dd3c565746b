# Gongjian: `make run` to try it, `make test` to prove it.
VENV   ?= .venv
PYTHON ?= python3.11
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
HTMX   := static/vendor/htmx.min.js

.PHONY: run install assets translations messages db seed test test-fast test-pg test-e2e test-hostile lint format browser clean prod-check page-quality

run: install assets translations db seed
	$(FLASK) run --host 127.0.0.1 --port 5000

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# htmx from the npm registry, pinned in package-lock.json; copied, never committed.
$(HTMX): package.json package-lock.json
	npm ci --omit=dev --no-audit --no-fund --silent
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $(HTMX)

assets: $(HTMX)

translations: install
	$(BIN)/pybabel compile -d translations --statistics 2>&1 | grep -v '^$$' || true

# Re-extract msgids after changing code or templates, then translate the new zh_Hans entries.
messages: install
	flock translations/.lock $(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --ignore-dirs ".* node_modules" -o translations/messages.pot --no-location --sort-output .
	flock translations/.lock $(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

db: install
	$(FLASK) db upgrade

seed: install
	$(FLASK) seed-demo --if-empty

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser:
	@test -x /usr/bin/chromium || { echo "installing chromium (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

# Suites run on every core (pytest-xdist, at most 4 workers; JOBS=0 runs them in one process):
# each test file goes whole to one worker (tests/hostile all to one, see tests/conftest.py), and
# each worker has its own database (SQLite: a file in its own tmp dir; PostgreSQL:
# TEST_DATABASE_URL's database name plus _gw0, _gw1, …, created when missing).
JOBS  ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n < 4 ? n : 4 )))
XDIST := -n $(JOBS) --dist loadfile

# The whole suite on the embedded database: lint, unit and view tests, then the browser tests in
# real Chromium. Tests that need the PostgreSQL and Redis servers run in `make test-pg`.
LOCAL := not e2e and not postgres and not redis
test: install assets translations lint browser
	$(BIN)/pytest -m "$(LOCAL)" $(XDIST)
	$(BIN)/pytest -m e2e tests/e2e $(XDIST)

test-fast: install assets translations
	$(BIN)/pytest -m "$(LOCAL)" -x $(XDIST)

# The same suite against PostgreSQL (TEST_DATABASE_URL, default: the local server's `test` db),
# with the tests of concurrency on PostgreSQL and of the Redis rate-limit store.
test-pg: install assets translations
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest -m "not e2e" $(XDIST)

test-e2e: install assets translations browser
	$(BIN)/pytest -m e2e tests/e2e $(XDIST)

# Hostile input at full strength: 1,000 generated inputs per form, query string and the API
# (`make test` runs tests/hostile with 20 each). HOSTILE_EXAMPLES=… to change.
test-hostile: install assets translations
	HOSTILE_EXAMPLES=$${HOSTILE_EXAMPLES:-1000} $(BIN)/pytest tests/hostile -q

# Production setup checked locally: gunicorn (deploy/gunicorn.conf.py) on PostgreSQL with Redis,
# its own database gongjian_prodcheck, a smoke test, then backup and restore compared.
prod-check: install assets translations
	$(BIN)/python deploy/prod_check.py

# Lighthouse (mobile) on every resident page and the Nu HTML checker on every page of the demo.
# Lighthouse is a devDependency (package.json), installed here only: `make assets` omits it.
# Chinese text is laid out with a CJK font, as on residents' phones (without one Chromium draws
# empty boxes, and layout costs less than it does for them): Debian's Noto CJK.
page-quality: install assets translations browser
	@fc-list :lang=zh | grep -q . || { echo "installing fonts-noto-cjk (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk) >/dev/null; }
	test -x node_modules/.bin/lighthouse || npm install --no-audit --no-fund --silent
	$(BIN)/python tools/page_quality.py

clean:
	rm -rf $(VENV) node_modules static/vendor instance/*.db
