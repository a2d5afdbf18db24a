# Scribe: a thin wrapper over CMake. The README's two commands are
# `make run` and `make test`; `make deps` installs the Debian packages a
# fresh machine lacks (only those), `make bench` runs the benchmarks.

BUILD   := build/release
PREFIX  ?= /usr/local
DEV     := build/dev
ASAN    := build/asan
ARGS    ?=
JOBS    ?= 2

# Debian packages the build and the tests need.
PACKAGES := cmake make pkg-config gcc clang libclang-rt-14-dev \
	libuv1-dev libsqlite3-dev sqlite3 libyaml-dev libcjson-dev \
	libmd4c-dev libmd4c-html0-dev \
	libwebsockets-dev libwebsockets-evlib-uv libcurl4-openssl-dev libssl-dev \
	libcmocka-dev time python3 curl jq libxml2-utils

# Synapse 1.67 (tests/integration/synapse_setup.sh) runs from the vendored
# archive on Debian's Python packages: these.
SYNAPSE_PACKAGES := python3-twisted python3-nacl python3-signedjson \
	python3-canonicaljson python3-unpaddedbase64 python3-jsonschema \
	python3-frozendict python3-bcrypt python3-pil python3-service-identity \
	python3-msgpack python3-phonenumbers python3-prometheus-client \
	python3-attr python3-netaddr python3-jinja2 python3-bleach \
	python3-typing-extensions python3-pymacaroons python3-treq python3-ijson \
	python3-yaml python3-sortedcontainers python3-pydantic python3-packaging \
	python3-pyasn1 python3-pyasn1-modules python3-openssl python3-cryptography \
	python3-idna python3-matrix-common

# Real servers and tools that only the tests labelled `heavy` use; `make test`
# installs them, `make run` never does.
# What `make deb` needs besides the build's packages.
DEB_PACKAGES := dpkg-dev file fakeroot

TEST_PACKAGES := postgresql mariadb-server chromium openssl $(SYNAPSE_PACKAGES) \
	systemd man-db bash-completion faketime $(DEB_PACKAGES)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test-deps build run install deb test bench format clean

# $(call install,PACKAGES): install those of PACKAGES that are missing.
install = @missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

deps:
	$(call install,$(PACKAGES))

test-deps: deps
	$(call install,$(TEST_PACKAGES))

# Quietly: `make run` shows Scribe's prompt, not a screen of the build
# (its log is in $(BUILD)/build.log, printed when the build fails).
build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@echo "building $(BUILD)/scribe (log: $(BUILD)/build.log)"
	@cmake --build $(BUILD) -j$(JOBS) --target scribe -- \
		--no-print-directory > $(BUILD)/build.log 2>&1 || \
		{ cat $(BUILD)/build.log; exit 1; }

run: build
	@$(BUILD)/scribe run $(ARGS)

# `make install [PREFIX=/usr/local] [DESTDIR=]`: the binary, the shipped
# playbooks, the docs, the man pages, the bash completion and the systemd
# unit, through CMake's install rules (packaging/CMakeLists.txt).
install: deps
	@cmake -S . -B build/install -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build build/install -j$(JOBS) --target scribe
	DESTDIR=$(DESTDIR) cmake --install build/install

# `make deb`: build/deb/scribe_<version>_<arch>.deb (CPack's DEB generator).
deb: deps
	$(call install,$(DEB_PACKAGES))
	@cmake -S . -B build/deb -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_INSTALL_PREFIX=/usr >/dev/null
	@cmake --build build/deb -j$(JOBS) --target scribe
	cd build/deb && cpack -G DEB
	@ls build/deb/*.deb

test: test-deps
	cmake -S . -B $(DEV) -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(DEV) -j$(JOBS)
	cd $(DEV) && ctest -j$(JOBS) --output-on-failure
	CC=clang cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DSCRIBE_SANITIZE=ON >/dev/null
	cmake --build $(ASAN) -j$(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest -j$(JOBS) --output-on-failure -LE heavy

bench: build
	cmake --build $(BUILD) -j$(JOBS) --target scribe bench_render bench_playbooks fake_slack fake_matrix
	bash tests/bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
