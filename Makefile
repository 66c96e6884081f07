# NETCAP build. `make` builds every binary of app/ into build/.
# `make test` and `make run` first install what is missing (as root, on
# Debian 12), then build; see README.md.

BUILD   ?= build
GEN     := $(BUILD)/gen
OBJ     := $(BUILD)/obj
CC      ?= cc

# Loops start on 32-byte boundaries: a tight loop that straddles one runs
# slower (the entropy byte count took 14% more decoding time after an edit
# elsewhere moved it; docs/performance.md), so unrelated changes would move
# the benchmark figures.
CFLAGS  ?= -O2 -g -falign-loops=32
LDFLAGS ?= -g
override CFLAGS += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	-Ilib -I$(GEN) -MMD -MP
# DPDK's flags (include paths, rte_config.h, -march) apply to every object so
# the engine's inline helpers compile the same everywhere.
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null)
DPDK_LIBS   := $(shell pkg-config --libs libdpdk 2>/dev/null)
BASE_LIBS   := $(shell pkg-config --libs libprotobuf-c libdeflate nettle 2>/dev/null) -lm
PCAP_LIBS   := $(shell pkg-config --libs libpcap 2>/dev/null)
SODIUM_LIBS := $(shell pkg-config --libs libsodium 2>/dev/null)
TEST_LIBS   := $(shell pkg-config --libs criterion 2>/dev/null)
# eve.json alerts (lib/label/alerts.c)
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null)
# NATS JetStream beyond one collector (lib/collect/nats.c)
NATS_LIBS := $(shell pkg-config --libs libnats 2>/dev/null || echo -lnats)

APPS     := $(notdir $(wildcard app/*))
BINS     := $(APPS:%=$(BUILD)/%)
LIB_SRC  := $(wildcard lib/*/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(OBJ)/%.o) $(OBJ)/gen/netcap.pb-c.o $(OBJ)/gen/ncap_descriptors.o
LIBNETCAP := $(BUILD)/libnetcap.a
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(OBJ)/%.o)
UNIT_BIN := $(BUILD)/tests/unit-tests
# Test helpers shared by the unit tests and the test tools; one tool binary
# build/tests/NAME per tests/tools/NAME.c.
SUPPORT_SRC := $(wildcard tests/support/*.c)
SUPPORT_OBJ := $(SUPPORT_SRC:%.c=$(OBJ)/%.o)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)

# Libraries per binary (a static libnetcap.a pulls in only what each uses).
LIBS_netcap-dump    := $(BASE_LIBS)
LIBS_netcap         := $(DPDK_LIBS) $(PCAP_LIBS) $(SODIUM_LIBS) $(BASE_LIBS) -lpthread
LIBS_netcap-label   := $(BASE_LIBS) $(JANSSON_LIBS) -lpthread
LIBS_netcap-collect := $(BASE_LIBS) $(SODIUM_LIBS) $(JANSSON_LIBS) $(NATS_LIBS) -lpthread
ALL_LIBS := $(DPDK_LIBS) $(PCAP_LIBS) $(SODIUM_LIBS) $(BASE_LIBS) $(JANSSON_LIBS) $(NATS_LIBS) -lpthread

.PHONY: all deps test test-sanitize check run bench bench-tools clean install uninstall man units
all: $(BINS) man units

deps:
	@scripts/install-deps.sh

# The README's commands: install, then build and act in a fresh make so that
# pkg-config sees the packages just installed.
test: deps
	@$(MAKE) --no-print-directory check

# The whole suite again, every binary and test built with AddressSanitizer
# and UndefinedBehaviorSanitizer into build-san/ (tests/run-tests.sh then
# fails a test when any process it ran left a sanitizer report). The fuzz
# targets are sanitizer builds in any case and ran in `make test`.
SAN_BUILD  ?= build-san
SAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
test-sanitize: deps
	@$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) CFLAGS="$(SAN_CFLAGS)" \
		LDFLAGS="-g -fsanitize=address,undefined" NETCAP_SANITIZED=1 EXCLUDE=fuzz check
run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-sample.sh
bench: deps
	@$(MAKE) --no-print-directory all bench-tools $(BUILD)/tests/split-by-flow
	@scripts/bench.sh
# netcap-label on ~1M records and 100,000 alerts, default jobs and --jobs 1
# (docs/performance.md, "Labeling"); not part of `bench`.
.PHONY: bench-label
bench-label: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench-label.sh
# The collector under 8 load generators at rising rates (docs/performance.md,
# "Collector"); also the last step of `bench` (BENCH_COLLECT=0 skips it there).
.PHONY: bench-collect
bench-collect: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/collect-load
	@scripts/bench-collect.sh

# Benchmark tools (not part of `all` or `check`): build/bench/NAME per
# bench/NAME.c, e.g. build/bench/rx-only, the pure-RX ceiling. See
# docs/performance.md.
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
bench-tools: $(BENCH_BINS)
# A bench tool that needs the library names it here (and its libraries).
BENCH_LIBS_collect-load := $(LIBNETCAP) $(SODIUM_LIBS) $(BASE_LIBS) -lpthread
$(BUILD)/bench/collect-load: $(LIBNETCAP) | $(GEN)/netcap.pb-c.h
BENCH_LIBS_rx-only := $(LIBNETCAP) $(SODIUM_LIBS) $(BASE_LIBS) -lpthread
$(BUILD)/bench/rx-only: $(LIBNETCAP) | $(GEN)/netcap.pb-c.h
# entropy-bench compiles lib/decode/entropy.c into itself (its static
# histogram functions).
BENCH_LIBS_entropy-bench := -lm
$(BUILD)/bench/entropy-bench: lib/decode/entropy.c | $(GEN)/netcap.pb-c.h
$(BENCH_BINS): $(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(DPDK_CFLAGS) -o $@ $< $(LDFLAGS) $(BENCH_LIBS_$*) $(DPDK_LIBS) $(PCAP_LIBS)

# libFuzzer targets (not part of `all`): $(BUILD)/fuzz/NAME per
# tests/fuzz/NAME.c, built with clang under ASan+UBSan and linked against
# libnetcap-fuzz.a: every library file that needs no running EAL (decoders,
# record files, emitter, flows, and the engine's pure helpers named below),
# compiled with -fsanitize=fuzzer-no-link. tests/e2e/test_fuzz.sh builds and
# runs every target; see tests/fuzz/ and docs/testing.md.
.PHONY: fuzz
FUZZ_CC     ?= clang-14
FUZZ_BUILD  := $(BUILD)/fuzz
FUZZ_SAN    := address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE -Wall -Wextra \
	-Ilib -I$(GEN) -MMD -MP $(DPDK_CFLAGS)
# Engine files a fuzz target may use: they call no EAL function.
FUZZ_PIPELINE := $(wildcard lib/pipeline/mbufchain.c lib/pipeline/config.c)
FUZZ_LIB_SRC  := $(wildcard lib/decode/*.c lib/defrag/*.c lib/stream/*.c lib/ncap/*.c lib/export/*.c lib/flow/*.c lib/label/*.c lib/metrics/*.c) \
	$(filter-out lib/collect/sender% lib/collect/nats%,$(wildcard lib/collect/*.c)) $(FUZZ_PIPELINE)
FUZZ_LIB_OBJ  := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_LIB_SRC)) \
	$(FUZZ_BUILD)/obj/gen/netcap.pb-c.o $(FUZZ_BUILD)/obj/gen/ncap_descriptors.o
FUZZ_LIB    := $(FUZZ_BUILD)/libnetcap-fuzz.a
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/*.c))
fuzz: $(FUZZ_BINS)
$(FUZZ_BUILD)/obj/gen/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c $< -o $@
$(FUZZ_BUILD)/obj/%.o: %.c | $(GEN)/netcap.pb-c.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c $< -o $@
$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(FUZZ_BINS): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o $(FUZZ_LIB)
	$(FUZZ_CC) -g -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_LIB) $(BASE_LIBS) $(SODIUM_LIBS) $(DPDK_LIBS) $(JANSSON_LIBS) $(NATS_LIBS)
-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_BINS:$(FUZZ_BUILD)/%=$(FUZZ_BUILD)/obj/tests/fuzz/%.d)

check: all $(UNIT_BIN) $(TOOL_BINS)
	@NETCAP_BUILD=$(abspath $(BUILD)) NETCAP_SANITIZED=$(NETCAP_SANITIZED) EXCLUDE=$(EXCLUDE) tests/run-tests.sh

# One protoc-c run makes both files (a grouped target: under -j a plain
# two-target rule would run it twice, racing).
$(GEN)/netcap.pb-c.c $(GEN)/netcap.pb-c.h &: proto/netcap.proto
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) -Iproto $<

# Every message descriptor, for code that walks the schema generically.
$(GEN)/ncap_descriptors.c: $(GEN)/netcap.pb-c.h
	@{ echo '#include "ncap/schema.h"'; \
	   echo 'const ProtobufCMessageDescriptor *const ncap_all_descriptors[] = {'; \
	   sed -n 's/^extern const ProtobufCMessageDescriptor \(.*\);$$/\t\&\1,/p' $<; \
	   echo '};'; \
	   echo 'const size_t ncap_all_descriptors_count = sizeof ncap_all_descriptors / sizeof *ncap_all_descriptors;'; \
	 } > $@

$(OBJ)/gen/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DPDK_CFLAGS) -c $< -o $@

$(OBJ)/%.o: %.c | $(GEN)/netcap.pb-c.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DPDK_CFLAGS) -c $< -o $@

$(LIBNETCAP): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# One binary per folder of app/, from its own sources and libnetcap.a.
define app_rule
$(BUILD)/$(1): $(patsubst %.c,$(OBJ)/%.o,$(wildcard app/$(1)/*.c)) $(LIBNETCAP)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIBNETCAP) $$(LIBS_$(1))
endef
$(foreach app,$(APPS),$(eval $(call app_rule,$(app))))

$(UNIT_BIN): $(UNIT_OBJ) $(SUPPORT_OBJ) $(LIBNETCAP)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(SUPPORT_OBJ) $(LIBNETCAP) $(TEST_LIBS) $(ALL_LIBS)

$(TOOL_BINS): $(BUILD)/tests/%: $(OBJ)/tests/tools/%.o $(SUPPORT_OBJ) $(LIBNETCAP)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBNETCAP) $(DPDK_LIBS) $(PCAP_LIBS) $(SODIUM_LIBS) $(BASE_LIBS) $(NATS_LIBS) -lpthread

clean:
	rm -rf $(BUILD)

# `make install` (as root; DESTDIR for a staging root, e.g. a package):
# the four programs in $(BINDIR), the configuration, the man pages and the
# systemd units (docs/deployment.md, "Install and services"). All four go
# to bin/, not sbin/, although netcap(8) and netcap-collect(8) are in
# section 8 (as tcpdump(8) is in /usr/bin): netcap replays files for any
# user, and netcap-label --pcap runs the netcap beside it or on PATH.
# A changed $(SYSCONFDIR)/netcap/netcap.conf is never overwritten: the new
# one is installed beside it as netcap.conf.new. The paths are substituted
# into the man pages and units at build time: give the same PREFIX (and
# others) to `make` and `make install`.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
MANDIR     ?= $(PREFIX)/share/man
# systemd's unit directory: /usr/lib/systemd/system for PREFIX=/usr, else
# under PREFIX (/usr/local/lib/systemd/system is on systemd's search path).
UNITDIR    ?= $(if $(filter /usr /usr/,$(PREFIX)),/usr/lib/systemd/system,$(PREFIX)/lib/systemd/system)
INSTALL    ?= install
INSTALL_SUBST := BINDIR=$(BINDIR) SYSCONFDIR=$(SYSCONFDIR) VERSION=$(shell sed -n 's/^\#define NCAP_VERSION "\(.*\)"/\1/p' lib/ncap/writer.h)

# Man pages from the programs' --help (and netcap's --help-man): see
# scripts/make-man.sh and man/*.in.
MAN_PAGES := netcap.8 netcap-dump.1 netcap-label.1 netcap-collect.8
MAN_OUT   := $(MAN_PAGES:%=$(BUILD)/man/%)
UNITS     := netcap@.service netcap-collect.service
UNIT_OUT  := $(UNITS:%=$(BUILD)/systemd/%)
man: $(MAN_OUT)
units: $(UNIT_OUT)
# Rewritten only when the paths change, so pages and units follow them.
$(BUILD)/install-paths: FORCE
	@mkdir -p $(@D)
	@echo '$(INSTALL_SUBST)' | cmp -s - $@ || echo '$(INSTALL_SUBST)' >$@
.PHONY: FORCE
FORCE:
define man_rule
$(BUILD)/man/$(1): man/$(1).in $(BUILD)/$(basename $(1)) scripts/make-man.sh $(BUILD)/install-paths
	scripts/make-man.sh $$< $(BUILD)/$(basename $(1)) $$@ $(INSTALL_SUBST)
endef
$(foreach page,$(MAN_PAGES),$(eval $(call man_rule,$(page))))
$(BUILD)/systemd/%: dist/systemd/%.in $(BUILD)/install-paths
	@mkdir -p $(@D)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@

CONF_DEST := $(DESTDIR)$(SYSCONFDIR)/netcap/netcap.conf
install: all
	$(INSTALL) -D -m 0755 -t $(DESTDIR)$(BINDIR) $(BINS)
	$(foreach p,$(MAN_PAGES),$(INSTALL) -D -m 0644 $(BUILD)/man/$(p) $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(p);)
	$(INSTALL) -D -m 0644 -t $(DESTDIR)$(UNITDIR) $(UNIT_OUT)
	@if [ -e $(CONF_DEST) ] && ! cmp -s config/netcap.conf $(CONF_DEST); then \
		$(INSTALL) -D -m 0644 config/netcap.conf $(CONF_DEST).new; \
		echo "install: $(CONF_DEST) was changed: kept; the new one is $(CONF_DEST).new"; \
	else \
		echo "$(INSTALL) -D -m 0644 config/netcap.conf $(CONF_DEST)"; \
		$(INSTALL) -D -m 0644 config/netcap.conf $(CONF_DEST); \
	fi
# Removes what install put, but not a netcap.conf that was changed.
uninstall:
	rm -f $(APPS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(foreach p,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(p))
	rm -f $(UNITS:%=$(DESTDIR)$(UNITDIR)/%) $(CONF_DEST).new
	@if cmp -s config/netcap.conf $(CONF_DEST); then \
		echo "rm -f $(CONF_DEST)"; rm -f $(CONF_DEST); \
	elif [ -e $(CONF_DEST) ]; then \
		echo "uninstall: $(CONF_DEST) was changed: kept"; \
	fi
	@rmdir $(DESTDIR)$(SYSCONFDIR)/netcap 2>/dev/null || true

-include $(LIB_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(SUPPORT_OBJ:.o=.d) $(TOOL_SRC:%.c=$(OBJ)/%.d) $(patsubst %.c,$(OBJ)/%.d,$(wildcard app/*/*.c))
