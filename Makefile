# Thin wrapper around CMake. `make demo` and `make test` do all set-up on a
# fresh Debian machine (they install missing packages through
# scripts/install-deps first).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build demo test test-fast asan fuzz fuzz-smoke clean

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j$(JOBS)

demo: build
	scripts/demo.sh

# Everything: normal build + ctest, ASan+UBSan build + ctest, fuzz smoke.
test: deps
	scripts/run-tests

# Normal build + ctest only.
test-fast: build
	cd build && ctest --output-on-failure -j$(JOBS)

asan: deps
	cmake -S . -B build-asan -DMAMORI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-asan -j$(JOBS)

fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DMAMORI_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-fuzz -j$(JOBS)

fuzz-smoke: fuzz
	scripts/fuzz-smoke build-fuzz

clean:
	rm -rf build build-asan build-fuzz
