# hakeep: top-level build. GNU make, C++20, g++ 12 (Debian 12).
#
#   make            build common/, the four binaries and the unit tests
#   make deps       apt-get every build, test and demo dependency
#   make check      deps, build, then every suite (netns, uml, demo, package, asan, unit)
#   make demo       the main job: two directors, backends and a client in the
#                   UML lab; VRRP failover and a backend out and back
#   make asan       the unit tests under AddressSanitizer + UBSan
#   make install    honours DESTDIR and PREFIX
#   make clean

VERSION    ?= 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
# systemd-modules-load reads /usr/lib/ and /usr/local/lib/modules-load.d/ too.
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d

CXX       ?= g++
BUILD     ?= build
# Compilers that `make check` and `make demo` run at once (plain `make` runs
# one unless given -j).
JOBS      ?= $(shell nproc)
PKGS      := protobuf-lite libseccomp libcap libnl-3.0 libnl-genl-3.0 libnl-route-3.0 openssl libpcre2-8

WARNINGS  := -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wformat=2 -Wconversion -Wno-sign-conversion
HARDENING := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection \
             -fcf-protection -fPIE
LDHARDEN  := -pie -Wl,-z,relro,-z,now -Wl,--as-needed
OPT       ?= -O2 -g
SANITIZE  ?=

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CPPFLAGS  += -I. -isystem $(BUILD)/gen -DHAKEEP_VERSION='"$(VERSION)"'
CXXFLAGS  += -std=c++20 $(OPT) $(WARNINGS) $(HARDENING) $(SANITIZE) $(PKG_CFLAGS) -MMD -MP
LDFLAGS   += $(LDHARDEN) $(SANITIZE)
LDLIBS    += $(PKG_LIBS)

PROTO_SRC := common/proto/hakeep.proto
PROTO_CC  := $(BUILD)/gen/common/proto/hakeep.pb.cc
PROTO_H   := $(BUILD)/gen/common/proto/hakeep.pb.h

COMMON_SRC := $(wildcard common/*.cc)
COMMON_OBJ := $(COMMON_SRC:%.cc=$(BUILD)/%.o) $(BUILD)/gen/common/proto/hakeep.pb.o
COMMON_LIB := $(BUILD)/libhakeep-common.a

DAEMONS  := vrrpd ipvsd checkd
BINARIES := $(DAEMONS) hactl
define binary_objs
$(patsubst %.cc,$(BUILD)/%.o,$(wildcard $(1)/*.cc))
endef

UNIT_SRC := $(wildcard tests/unit/*.cc)
# Unit tests link every daemon's code except its main.cc, so that pure parts
# (packet parsers, state machines, seccomp lists) are tested where they live.
DAEMON_LIB_OBJ := $(foreach d,$(BINARIES),$(filter-out $(BUILD)/$(d)/main.o,$(call binary_objs,$(d))))
UNIT_BIN := $(BUILD)/tests/unit/unit_tests
# Small programs the lab tests run (tests/uml/*.cc), linked like the unit tests.
LAB_TOOLS := $(patsubst %.cc,$(BUILD)/%,$(wildcard tests/uml/*.cc))

.PHONY: all deps check check-unit check-netns check-uml check-demo demo asan asan-build install clean bench
.PHONY: deb check-package

all: $(addprefix $(BUILD)/bin/,$(BINARIES)) $(UNIT_BIN) $(LAB_TOOLS)

$(PROTO_CC) $(PROTO_H): $(PROTO_SRC)
	@mkdir -p $(BUILD)/gen
	protoc --cpp_out=$(BUILD)/gen $<

# Everything that includes the generated header waits for it, and is built
# again when it changes: -MMD leaves it out of the .d files (-isystem).
$(COMMON_OBJ) $(DAEMON_LIB_OBJ) $(foreach b,$(BINARIES),$(call binary_objs,$(b))) \
  $(UNIT_SRC:%.cc=$(BUILD)/%.o) $(LAB_TOOLS:%=%.o): $(PROTO_H)

# Generated code is not ours to fix; it still gets the hardening flags.
$(BUILD)/gen/%.o: $(BUILD)/gen/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) -std=c++20 $(OPT) $(HARDENING) $(SANITIZE) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(COMMON_LIB): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

.SECONDEXPANSION:
$(BUILD)/bin/%: $$(call binary_objs,%) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -o $@ $(call binary_objs,$*) $(COMMON_LIB) $(LDLIBS)

$(UNIT_BIN): $(UNIT_SRC:%.cc=$(BUILD)/%.o) $(DAEMON_LIB_OBJ) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

$(LAB_TOOLS): $(BUILD)/%: $(BUILD)/%.o $(DAEMON_LIB_OBJ) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---------------------------------------------------------------- deps
DEB_PACKAGES := g++ make pkg-config protobuf-compiler libprotobuf-dev \
  libseccomp-dev libcap-dev libnl-3-dev libnl-genl-3-dev libnl-route-3-dev \
  libssl-dev libpcre2-dev libcriterion-dev iproute2 keepalived ipvsadm user-mode-linux kmod \
  tshark python3 procps iputils-ping busybox mandoc passwd curl \
  python3-jsonschema
# hactl metrics is checked by promtool (Prometheus text format) and by the
# OpenMetrics parser of prometheus_client (tests/netns, tests/uml).
DEB_PACKAGES += prometheus python3-prometheus-client
# Installing starts nothing: a policy-rc.d (only while apt-get runs, and only
# if the host has none) keeps prometheus.service and keepalived.service from
# starting on a host run by systemd; the tests start what they need.
# Packaging (make deb, make check-package): Debian's build tools, lintian,
# debootstrap for the install test, systemd-analyze, getfacl, and the SELinux
# policy tool chain (selinux-policy-dev builds, setools' sesearch queries).
DEB_PACKAGES += dpkg-dev debhelper lintian debootstrap systemd acl ccache \
  selinux-policy-dev checkpolicy semodule-utils setools

deps:
	@if dpkg-query -W -f='$${Status}\n' $(DEB_PACKAGES) 2>/dev/null | grep -qv 'install ok installed' \
	   || [ $$(dpkg-query -W -f='$${Status}\n' $(DEB_PACKAGES) 2>/dev/null | wc -l) -ne $(words $(DEB_PACKAGES)) ]; then \
	  echo "deps: installing $(DEB_PACKAGES)"; \
	  guard=; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && guard=1; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_PACKAGES); \
	  rc=$$?; [ -z "$$guard" ] || rm -f /usr/sbin/policy-rc.d; exit $$rc; \
	else echo "deps: all present"; fi

# ---------------------------------------------------------------- tests
# tests/run-all: the build with JOBS compilers, then the labs (netns, UML,
# demo) while the ASan build, the package and the package suite's Debian root
# are made beside them at idle priority; then the package suite, ASan, and
# the unit tests last, so that the run ends with Criterion's summary. It
# prints each suite's result and time.
check: deps
	JOBS=$(JOBS) MAKE="$(MAKE)" tests/run-all

check-unit: $(UNIT_BIN)
	$(UNIT_BIN) --jobs 2

check-netns: all
	tests/netns/run $(BUILD)/bin

check-uml: all
	tests/uml/run $(BUILD)/bin

# asan-build alone is what `make check` builds beside the labs.
asan-build:
	$(MAKE) BUILD=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
	  SANITIZE='-fsanitize=address,undefined -fno-sanitize-recover=all' build-asan/tests/unit/unit_tests

asan: asan-build
	# The seccomp suite is left to check-unit: the sanitizer runtime makes
	# syscalls of its own (pipe2, ptrace for leak checks) that the daemons'
	# allow-lists forbid by design, so under ASan it would test ASan.
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  build-asan/tests/unit/unit_tests --jobs 2 --filter '!(sandbox/*)'

bench: all
	@for b in tests/bench/*.sh; do [ -x "$$b" ] && "$$b" $(BUILD)/bin; done; true

# ---------------------------------------------------------------- package
# hakeep_VERSION_ARCH.deb in build/deb/, built by dpkg-buildpackage from a
# copy of the tree (debian/ says how); tests/package/run checks it. The copy
# is always at the same path, so ccache (build/ccache) makes a rebuild of
# unchanged sources take seconds instead of minutes.
DEB_DIR := build/deb
DEB_CCACHE := $(if $(wildcard /usr/lib/ccache/g++),PATH="/usr/lib/ccache:$$PATH" CCACHE_DIR="$(CURDIR)/build/ccache")
deb: deps
	@test "$$(dpkg-parsechangelog -l debian/changelog -SVersion)" = "$(VERSION)" || \
	  { echo "deb: debian/changelog is not at version $(VERSION) (Makefile VERSION)" >&2; exit 2; }
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/hakeep-$(VERSION)
	tar -c --exclude=./.git --exclude=./build --exclude=./build-asan --exclude=./build-deb \
	  --exclude=./selinux/tmp --exclude=./selinux/hakeep.pp . | tar -x -C $(DEB_DIR)/hakeep-$(VERSION)
	cd $(DEB_DIR)/hakeep-$(VERSION) && $(DEB_CCACHE) DEB_BUILD_OPTIONS="parallel=$$(nproc)" \
	  dpkg-buildpackage -b -us -uc >../build.log 2>&1 || { tail -n 40 ../build.log; exit 1; }
	rm -rf $(DEB_DIR)/hakeep-$(VERSION)
	@ls $(DEB_DIR)/*.deb

check-package: deps
	tests/package/run

# ---------------------------------------------------------------- demo
# tests/demo/run boots the UML lab (no root needed for it; deps may need it).
demo: deps
	$(MAKE) -j$(JOBS) all
	tests/demo/run $(BUILD)/bin

# The demo as a test: its exit status and the lines it prints once each
# expectation (failover, backend out and back, no failed request) is met.
check-demo: all
	tests/demo/check $(BUILD)/bin

# ---------------------------------------------------------------- install
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/hakeep $(DESTDIR)$(MODULESLOADDIR)
	install -m 0755 $(addprefix $(BUILD)/bin/,$(BINARIES)) $(DESTDIR)$(SBINDIR)/
	for p in man/*.[578]; do install -m 0644 $$p $(DESTDIR)$(MANDIR)/man$${p##*.}/; done
	for c in conf/*.conf; do [ -e $(DESTDIR)$(SYSCONFDIR)/hakeep/$${c##*/} ] || \
	  install -m 0640 $$c $(DESTDIR)$(SYSCONFDIR)/hakeep/; done
	install -m 0644 conf/modules-load.d/hakeep.conf $(DESTDIR)$(MODULESLOADDIR)/
	# hactl --json's schemas (hactl(8), JSON OUTPUT).
	install -d $(DESTDIR)$(PREFIX)/share/hakeep/schema
	install -m 0644 hactl/schema/*.schema.json $(DESTDIR)$(PREFIX)/share/hakeep/schema/

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) build-asan -type f -name '*.d' 2>/dev/null)
