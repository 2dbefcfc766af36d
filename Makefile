# SPDX-License-Identifier: Apache-2.0
# The two commands of the README: `make run` and `make test`. Both install what is missing first:
# `make run` only what building the binary needs (scripts/install-deps.sh build), `make test` the
# tests' tools and peers as well (install-deps.sh test). Nothing is enabled or started.
BUILD ?= build
JOBS ?= $(shell nproc)
# What a target installs first (a profile of scripts/install-deps.sh; target-specific, so it
# reaches the `deps` and `configure` steps below it) and whether the eBPF tracer must be built
# (AUTO: when clang-16 and bpftool are there, else without it and cmake says so).
PROFILE ?= all
BPF ?= ON
# RelWithDebInfo (-O2 -g) for tests, packages and benchmarks; `make run` builds Release at -O2
# without debug info (CMake's Release would be -O3), the same code without the DWARF that cost
# a quarter of the build's CPU (measured: see the run target).
BUILD_TYPE ?= RelWithDebInfo
RELEASE_FLAGS = -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG"
# Debian's build flags when dpkg-buildflags is there (every profile of install-deps.sh but
# windows installs dpkg-dev), so `make run`'s binary and the .deb's have them: hardening (fortify,
# stack protector, relro, bindnow; PIE is gcc's default). Read when configuring, after `deps`
# installed what was missing.
export DEB_BUILD_MAINT_OPTIONS = hardening=+all

.PHONY: deps configure build run test fuzz bench format clean deb dist

deps:
	@bash scripts/install-deps.sh $(PROFILE)

configure: deps
	@if command -v dpkg-buildflags >/dev/null; then \
	  cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(RELEASE_FLAGS) -DTIMEWAIT_BPF=$(BPF) \
	    -DCMAKE_CXX_FLAGS="$$(dpkg-buildflags --get CPPFLAGS) $$(dpkg-buildflags --get CXXFLAGS)" \
	    -DCMAKE_EXE_LINKER_FLAGS="$$(dpkg-buildflags --get LDFLAGS)" >/dev/null; \
	else \
	  cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(RELEASE_FLAGS) -DTIMEWAIT_BPF=$(BPF) \
	    >/dev/null; \
	fi

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# Builds the binary alone (not the tests) before running it. Installs the compiler, CMake and the
# libraries the binary links, as root; the eBPF tracer when clang-16 is already there. Release
# without debug info (where dpkg-buildflags is installed its -g is stripped too, hardening kept):
# RelWithDebInfo cost 26 % more CPU and a 133 MB binary instead of 4.3 MB. Each part of the
# library and the binary compile as one unity file (CMakeLists.txt, TIMEWAIT_UNITY): a clean
# `timewait` without ccache took 148 CPU seconds instead of 427 file by file, ~2 min on 2 idle
# cores (measured with BPF off as on a fresh machine, on a loaded 2-core one; README's first
# screen has the whole run's numbers).
run: PROFILE = build
run: BPF = AUTO
run: BUILD_TYPE = Release
run: export DEB_CXXFLAGS_MAINT_STRIP = -g
run: configure
	@cmake --build $(BUILD) --target timewait -j$(JOBS)
	$(BUILD)/timewait census

# Tests share the kernel's namespaces and time-based measurements: run them one at a time.
build test bench: PROFILE = test
test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 900

# The libFuzzer targets (the importers, the exporter's request path), each run for
# TIMEWAIT_FUZZ_SECONDS (default 60); a crash fails.
fuzz: PROFILE = fuzz
fuzz: deps
	@cmake -S . -B $(BUILD)-fuzz -DCMAKE_CXX_COMPILER=clang++-16 -DTIMEWAIT_FUZZ=ON >/dev/null
	@cmake --build $(BUILD)-fuzz --target import_fuzz request_fuzz -j$(JOBS)
	ctest --test-dir $(BUILD)-fuzz -R 'fuzz\.(import|request)' --output-on-failure

# timewait_<version>_amd64.deb in $(BUILD): the binary, man pages, completions, docs, deploy/,
# the exporter's unit (disabled) and /etc/default/timewait-exporter; built with Debian's flags.
# Configuring again picks up a new commit's version; only what the package holds is built.
deb dist: PROFILE = package
deb: configure
	@cmake --build $(BUILD) --target timewait timewait_usage_files -j$(JOBS)
	rm -f $(BUILD)/timewait_*.deb
	cd $(BUILD) && cpack -G DEB

# A release for machines without a compiler, in $(BUILD)/dist: the .deb, and
# timewait-<version>-linux-amd64.tar.gz (binary, man pages, completions, deploy/, LICENSE,
# README), with SHA256SUMS.
dist: deb
	@bash scripts/dist.sh $(BUILD)

bench: configure
	@python3 bench/run.py $(BUILD)
	@bash bench/exporter_soak.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD)

# Windows: timewait.exe cross-compiled with mingw-w64 (cmake/mingw-w64.cmake) and the release zip
# with docs/WINDOWS.md; windows-test runs the Windows build's tests under wine.
WINBUILD ?= build-windows
.PHONY: windows windows-zip windows-test
windows windows-zip windows-test: PROFILE = windows
windows: deps
	@cmake -S . -B $(WINBUILD) -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(WINBUILD) --target windows_zip -j$(JOBS)
	@echo "$(WINBUILD)/timewait-windows-x86_64.zip"

windows-zip: windows

windows-test: windows
	@cmake --build $(WINBUILD) -j$(JOBS)
	bash scripts/wine-ctest.sh $(WINBUILD)
