# leakscope: the two commands a new machine needs.
#   make demo   sets everything up, builds, and records the bundled demo
#   make test   sets everything up, builds, and runs every test (+ sanitizer build)
# Everything installs from Debian packages (apt-get); the only other download is the HTML
# report's two browser libraries, pinned in src/report/web/package-lock.json (npm ci).

BUILD        ?= build
BUILD_SAN    ?= build-asan
JOBS         ?= $(shell nproc)
CMAKE_FLAGS  ?=
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

DEB_PACKAGES := build-essential cmake pkg-config libsqlite3-dev sqlite3 libfmt-dev \
  nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libdw-dev \
  libelf-dev libunwind-dev libzstd-dev libtomlplusplus-dev clang libclang-rt-14-dev valgrind \
  protobuf-compiler golang-github-google-pprof-dev
# jemalloc: the heap tests run programs under another allocator too.
DEB_PACKAGES += libjemalloc2

# The HTML report: headless Chromium for its browser test; node and npm to embed its pinned
# libraries (installed only when `node` is missing, so a NodeSource node is left alone).
DEB_PACKAGES += chromium
NODE_PACKAGES := nodejs npm

.PHONY: all setup build demo test unit e2e test-asan fuzz-smoke bench clean

all: build

# Installs only what is missing, so a prepared machine does not touch apt at all.
setup:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null && command -v npm >/dev/null || missing="$$missing $(NODE_PACKAGES)"; \
	if [ -n "$$missing" ]; then \
	  echo "make setup: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEAKSCOPE_WERROR=ON $(CMAKE_FLAGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@./examples/run_demo.sh $(BUILD)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L 'unit|fuzz'

e2e: build
	cd $(BUILD) && ctest --output-on-failure -L e2e

# The unit tests and parser fuzz replays again under ASan+UBSan.
test-asan: setup
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DLEAKSCOPE_WERROR=ON \
	  -DLEAKSCOPE_SANITIZE=address,undefined $(CMAKE_FLAGS)
	cmake --build $(BUILD_SAN) -j $(JOBS) --target leakscope_unit_tests $$(ls tests/fuzz/*_fuzz.cc 2>/dev/null | xargs -rn1 basename | sed 's/\.cc$$//')
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|fuzz'

# libFuzzer on every parser for a few seconds each (clang).
fuzz-smoke: setup
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEAKSCOPE_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS) --target $$(ls tests/fuzz/*_fuzz.cc | xargs -n1 basename | sed 's/\.cc$$//')
	@for f in build-fuzz/fuzz/*_fuzz; do \
	  echo "fuzzing $$f"; mkdir -p build-fuzz/corpus/$$(basename $$f); \
	  seeds=tests/fixtures/$$(basename $$f _fuzz); [ -d $$seeds ] || seeds=tests/fixtures/proc; \
	  $$f -max_total_time=$${FUZZ_SECONDS:-10} -max_len=65536 build-fuzz/corpus/$$(basename $$f) $$seeds >/dev/null 2>build-fuzz/$$(basename $$f).log \
	    || { tail -40 build-fuzz/$$(basename $$f).log; exit 1; }; \
	done

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) test-asan
	$(MAKE) fuzz-smoke

bench: build
	@for b in $(BUILD)/bench/*; do [ -x "$$b" ] && [ -f "$$b" ] && "$$b"; done; true

clean:
	rm -rf $(BUILD) $(BUILD_SAN) build-fuzz
