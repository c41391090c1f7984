# The README's two commands: `make run` and `make test`. Everything else
# here is a building block for them.

BUILD       ?= build
ASAN_BUILD  ?= build-asan
RUN_BUILD   ?= build-release
PYTHON      ?= /usr/bin/python3
PYTEST_ARGS ?= -q

# Sanitizer runs must fail loudly, not just print.
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS  ?= detect_leaks=1:abort_on_error=0:exitcode=23

.PHONY: all deps run test check check-asan build build-asan unit e2e clean bench

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized -Dwerror=true

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Dwerror=true \
		-Db_sanitize=address,undefined -Db_lundef=false

$(RUN_BUILD)/build.ninja:
	meson setup $(RUN_BUILD) --buildtype=release

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# Release build, then ghpool in the foreground (config: $GHPOOL_CONFIG,
# ./config.toml, or GHPOOL_* environment variables).
run: deps $(RUN_BUILD)/build.ninja
	ninja -C $(RUN_BUILD)
	./$(RUN_BUILD)/ghpool

# Unit and end-to-end tests, then the whole suite again under ASan+UBSan.
test: deps
	$(MAKE) --no-print-directory check B=$(BUILD)
	$(MAKE) --no-print-directory check-asan

check-asan: $(ASAN_BUILD)/build.ninja
	$(MAKE) --no-print-directory check B=$(ASAN_BUILD)

check: $(B)/build.ninja
	ninja -C $(B)
	meson test -C $(B) --suite unit --print-errorlogs
	GHPOOL_E2E_REQUIRE_BINARY=1 GHPOOL_BUILD=$(abspath $(B)) $(PYTHON) -m pytest $(PYTEST_ARGS) tests/e2e

# On-demand benchmarks, never part of `make test` (see bench/README.md).
# BENCH_NAME: empty (everything), hit, miss, coalesce, memory or budget.
bench:
	bash bench/run.sh $(BENCH_NAME)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(RUN_BUILD)
