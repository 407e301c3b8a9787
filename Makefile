# nasrepro: every target installs what it needs (npm ci) first.
#   make reproduce-nb201 [DATA=data] [FULL=1] [ONLY=a,b] [ARGS='...']   regenerate the NB201 tables into results/nb201/
#   make reproduce-nb101 [DATA=data] [FULL=1] [ONLY=a,b] [ARGS='...']   regenerate the NB101 tables into results/nb101/
#   make test [DATA=data]                        the test suite (CI: DATA=../shared/data)
#   make bench [DATA=data]                       speed and memory measurements
DATA ?= data
STORE_DIR ?= data
FULL ?=
# ONLY: a comma-separated subset of the experiments (--only); ARGS: any other option of the script (--help lists them).
ONLY ?=
ARGS ?=
NPM_STAMP := node_modules/.nasrepro-install-stamp
TSX := node --import tsx

.PHONY: install test typecheck bench reproduce-nb201 reproduce-nb101 clean-results help expected-ci

help:
	@sed -n '1,5p' Makefile

install: $(NPM_STAMP)

$(NPM_STAMP): package.json package-lock.json
	ONNXRUNTIME_NODE_INSTALL=$${ONNXRUNTIME_NODE_INSTALL:-skip} npm ci --no-fund --no-audit
	@touch $@

# VITEST_ARGS lets .ci/run add the JSON reporter without changing what `make test` runs.
test: $(NPM_STAMP)
	DATA=$(DATA) npx vitest run $(VITEST_ARGS)

typecheck: $(NPM_STAMP)
	npx tsc --noEmit -p .

bench: $(NPM_STAMP)
	DATA=$(DATA) $(TSX) bench/run-all.ts

reproduce-nb201: $(NPM_STAMP)
	$(TSX) experiments/reproduce-nb201.ts --data $(DATA) --store-dir $(STORE_DIR) $(if $(FULL),--full,) $(if $(ONLY),--only $(ONLY),) $(ARGS)

reproduce-nb101: $(NPM_STAMP)
	$(TSX) experiments/reproduce-nb101.ts --data $(DATA) --store-dir $(STORE_DIR) $(if $(FULL),--full,) $(if $(ONLY),--only $(ONLY),) $(ARGS)

clean-results:
	rm -rf results/nb201 results/nb101 results/cache

# Regenerate results/expected/nb201-naswot-ci/ (the table the suite's CI reproduction is checked
# against; see experiments/ci-expected.ts). Only after a deliberate change; say why in the commit.
expected-ci: $(NPM_STAMP)
	$(TSX) experiments/ci-expected.ts --data $(DATA)
