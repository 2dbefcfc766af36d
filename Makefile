# The two commands of the README: `make run` and `make test`. Both install what is missing first.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: deps configure build run test fuzz bench format clean deb

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIMEWAIT_BPF=ON >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# Builds the binary alone (not the tests) before running it.
run: configure
	@cmake --build $(BUILD) --target timewait -j$(JOBS)
	./$(BUILD)/timewait census

# Tests share the kernel's namespaces and time-based measurements: run them one at a time.
test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 900

# The libFuzzer targets (the importers, the exporter's request path), each run for
# TIMEWAIT_FUZZ_SECONDS (default 60); a crash fails.
fuzz: deps
	@cmake -S . -B $(BUILD)-fuzz -DCMAKE_CXX_COMPILER=clang++-16 -DTIMEWAIT_FUZZ=ON >/dev/null
	@cmake --build $(BUILD)-fuzz --target import_fuzz request_fuzz -j$(JOBS)
	ctest --test-dir $(BUILD)-fuzz -R 'fuzz\.(import|request)' --output-on-failure

# timewait_<version>_amd64.deb in $(BUILD): the binary, man pages, completions, docs, deploy/.
# Configuring again picks up a new commit's version; only what the package holds is built.
deb: configure
	@cmake --build $(BUILD) --target timewait timewait_usage_files -j$(JOBS)
	rm -f $(BUILD)/timewait_*.deb
	cd $(BUILD) && cpack -G DEB

bench: configure
	@bash bench/run.sh $(BUILD)
	@bash bench/exporter_soak.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD)

# Windows: timewait.exe cross-compiled with mingw-w64 (cmake/mingw-w64.cmake) and the release zip
# with docs/WINDOWS.md; windows-test runs the Windows build's tests under wine.
WINBUILD ?= build-windows
.PHONY: windows windows-zip windows-test
windows: deps
	@cmake -S . -B $(WINBUILD) -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(WINBUILD) --target windows_zip -j$(JOBS)
	@echo "$(WINBUILD)/timewait-windows-x86_64.zip"

windows-zip: windows

windows-test: windows
	@cmake --build $(WINBUILD) -j$(JOBS)
	bash scripts/wine-ctest.sh $(WINBUILD)
