# crashfwd: build, test and demo entry points. Every target that needs the Debian
# packages runs `setup` first, so a fresh Debian 12 machine needs nothing else.

SWIFT ?= swift
BUILD_FLAGS ?=
RELEASE_FLAGS = -c release --static-swift-stdlib
# Seconds each fuzz target runs in `make fuzz`.
FUZZ_SECONDS ?= 60

.PHONY: all setup build release test check-unit demo bench deb format lint clean fuzz fuzz-smoke

all: build

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build $(BUILD_FLAGS)

release: setup
	$(SWIFT) build $(RELEASE_FLAGS)

test: setup check-unit
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build $(BUILD_FLAGS)

# systemd-analyze verify and the security rating of packaging/systemd/crashfwd.service.
check-unit: build
	@BINARY=.build/debug/crashfwd scripts/check-unit.sh

# The Debian package, from the release binary with the Swift runtime linked statically.
deb: release
	@scripts/build-deb.sh --binary .build/release/crashfwd --output .

demo: build
	@scripts/demo.sh

bench: release
	@bench/run.sh

# libFuzzer with AddressSanitizer over the config parser, templates, detector, queue
# records and server responses; see docs/security.md.
fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh

fuzz-smoke: setup
	FUZZ_SECONDS=10 Fuzz/run.sh

format:
	$(SWIFT) format --in-place --configuration .swift-format --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --configuration .swift-format --recursive Sources Tests Package.swift

clean:
	rm -rf .build demo/work
