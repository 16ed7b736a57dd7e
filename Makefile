# perfwhiz - top-level build.
#
#   make                 build the library and the programs
#   make test            install missing deps, build, run the tests
#                        T='pattern' runs only matching tests
#   make demo            install missing deps, build, convert a bundled capture
#   make bench           speed and memory against perf script and cat
#                        (scripts/bench.sh; results in docs/benchmarks.md)
#   make memcheck        valgrind memcheck on an end-to-end run of each program
#   make install         PREFIX=/usr/local DESTDIR=
#   make deps            install build dependencies (Debian packages, libperf)
#   V=1                  show full command lines
#   make fuzz            run each libFuzzer harness FUZZ_SECONDS (60) seconds
#   SANITIZE=1           build with address + undefined behaviour sanitizers
#   SANITIZE=clang       the same with clang (in build/san-clang)
#   SANITIZE=thread      build with the thread sanitizer (in build/tsan)
#   make tsan            the threaded code's tests under the thread sanitizer
#   PGO=0                build the library without its profile (see below):
#                        quicker to rebuild while editing it

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
LIBDIR    ?= $(PREFIX)/lib
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share
DESTDIR   ?=
CC        ?= cc
PKG_CONFIG ?= pkg-config

B         := build
DEPS      := $(B)/deps
DEPS_STAMP := $(DEPS)/lib/libperf.a

ifeq ($(V),1)
Q :=
else
Q := @
endif

PKGS      := libtraceevent libtracefs libzstd msgpack zlib
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lcsv

WARN      := -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter \
             -Wmissing-prototypes -Wstrict-prototypes -Wvla
OPT       ?= -O2 -g
CFLAGS    ?= $(OPT)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -fPIC -D_GNU_SOURCE \
             -DPW_VERSION='"$(VERSION)"' -DPW_DATADIR='"$(DATADIR)/perfwhiz"' -Iprocessor -I$(DEPS)/include $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS)
LIBS       = $(PKG_LIBS) -lm

ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ALL_LDFLAGS += -fsanitize=address,undefined
B := build/san
endif
# The same with clang, whose UBSan checks more (arithmetic on a null
# pointer, say). The runtime is a shared library, as perf must load it
# before the plugin.
ifeq ($(SANITIZE),clang)
CC := clang
ASAN_RT_DIR := $(shell clang -print-resource-dir 2>/dev/null)/lib/linux
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ALL_LDFLAGS += -fsanitize=address,undefined -shared-libasan -Wl,-rpath,$(ASAN_RT_DIR)
B := build/san-clang
endif
ifeq ($(SANITIZE),thread)
ALL_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
ALL_LDFLAGS += -fsanitize=thread
B := build/tsan
endif

# The core library: every processor/*.c that is not a program's main.
PROGS_SRC := processor/perfwhiz-proc.c processor/perfcap.c
LIB_SRC   := $(filter-out $(PROGS_SRC),$(wildcard processor/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o)
LIB       := $(B)/libperfwhiz.a

# Profile-guided optimisation, with gcc, of the plain build: the library is
# first built instrumented (in $(B)/pgo), converts a generated trace of a KVM
# host and two of the bundled captures and lists the result; then it is
# built with that profile. Conversions take about 6% fewer instructions and
# 8-10% less CPU time (docs/benchmarks.md). The sanitizer builds do without.
PGO ?= 1
ifneq ($(SANITIZE),)
PGO := 0
endif
ifneq ($(PGO),0)
ifeq ($(shell $(CC) -v 2>&1 | grep -c '^gcc version'),1)
G := $(B)/pgo
endif
endif

PLOT_SRC  := $(wildcard plot/*.c)
PLOT_OBJ  := $(PLOT_SRC:%.c=$(B)/%.o)

PROGS     := $(B)/perfwhiz-proc $(B)/perfcap $(if $(PLOT_SRC),$(B)/perfmap)
TEST_SRC  := $(wildcard tests/unit/test-*.c)
TESTS     := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
TEST_HDR  := $(wildcard tests/unit/*.h)
TOOLS_SRC := $(wildcard tests/tools/*.c)
TOOLS     := $(TOOLS_SRC:tests/tools/%.c=$(B)/tests/%)
# the fuzz harnesses, built normally to replay kept inputs (tests/data/bad)
REPLAYS   := $(patsubst tests/fuzz/fuzz-%.c,$(B)/tests/replay-%,$(wildcard tests/fuzz/fuzz-*.c))

# The perf dlfilter (plugin/): built when perf's header is installed.
PLUGIN    := $(if $(shell echo '\#include <perf/perf_dlfilter.h>' | \
		$(CC) -E -x c - >/dev/null 2>&1 && echo y),$(B)/perfwhiz.so)

.PHONY: all deps test check demo bench memcheck tsan install clean distclean
all: $(PROGS) $(PLUGIN)

# `make test` and `make demo` first install what is missing (cheap when
# nothing is), then build in a fresh make that sees the installed packages.
deps:
	$(Q)scripts/deps.sh $(abspath $(DEPS))

$(DEPS_STAMP): scripts/deps.sh
	$(Q)scripts/deps.sh $(abspath $(DEPS))
	$(Q)touch $(DEPS_STAMP)

$(B)/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJ)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

ifneq ($(G),)
G_LIB_OBJ := $(LIB_SRC:%.c=$(G)/%.o)
$(G)/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $< (instrumented)")
	$(Q)$(CC) $(ALL_CFLAGS) -fprofile-generate -fprofile-update=prefer-atomic -MMD -MP -c -o $@ $< \
		-dumpdir $(B)/$(dir $*) -dumpbase $(notdir $*)

$(G)/libperfwhiz.a: $(G_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(G)/perfwhiz-proc: $(G)/processor/perfwhiz-proc.o $(G)/libperfwhiz.a
	$(Q)$(CC) $(ALL_LDFLAGS) -fprofile-generate -o $@ $^ $(LIBS)

$(G)/perfmap: $(PLOT_OBJ) $(G)/libperfwhiz.a
	$(Q)$(CC) $(ALL_LDFLAGS) -fprofile-generate -o $@ $^ $(LIBS)

# the fixture writer uses nothing of the library
$(G)/pwfixture: tests/tools/pwfixture.c $(DEPS_STAMP)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

# The training: the runs below count into $(B)/processor/X.gcda, beside the
# object built with them, whose name the counts of its static functions
# depend on (hence -dumpdir and -dumpbase above).
$(G)/profile: $(G)/perfwhiz-proc $(G)/perfmap $(G)/pwfixture scripts/bench-spec.py
	$(if $(Q),@echo "  PROFILE $(G)")
	$(Q)rm -f $(B)/processor/*.gcda $@
	$(Q)python3 scripts/bench-spec.py --events 300000 >$(G)/train.spec
	$(Q)$(G)/pwfixture -o $(G)/train.data $(G)/train.spec
	$(Q)for f in tests/data/captures/several.data tests/data/captures/zstd.data \
		$(G)/train.data; do \
		$(G)/perfwhiz-proc -q -i $$f -o $(G)/train.cdict || exit 1; done
	$(Q)$(G)/perfmap --list $(G)/train.cdict >/dev/null
	$(Q)rm -f $(G)/train.spec $(G)/train.data $(G)/train.cdict
	$(Q)touch $@

$(LIB_OBJ) $(B)/processor/perfwhiz-proc.o: $(G)/profile
endif

# The library's objects are built again when PGO changes: this file's
# content is the mode, rewritten (so newer) only when it changes.
PGO_MODE := $(B)/pgo-mode
$(shell mkdir -p $(B) && [ "$$(cat $(PGO_MODE) 2>/dev/null)" = "$(if $(G),1,0)" ] || \
	echo $(if $(G),1,0) >$(PGO_MODE))
$(LIB_OBJ) $(B)/processor/perfwhiz-proc.o: $(PGO_MODE)
ifneq ($(G),)
$(LIB_OBJ) $(B)/processor/perfwhiz-proc.o: private ALL_CFLAGS += -fprofile-use \
	-fprofile-partial-training -Wno-missing-profile
endif

$(B)/perfwhiz-proc: $(B)/processor/perfwhiz-proc.o $(LIB)
	$(if $(Q),@echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/perfcap: $(B)/processor/perfcap.o $(LIB)
	$(if $(Q),@echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/perfmap: $(PLOT_OBJ) $(LIB)
	$(if $(Q),@echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# perf exports the functions of its own, older libtraceevent: the plugin
# takes libtraceevent and libtracefs in statically, and a version script
# exports perf's entry points only, so that nothing binds to perf's copy.
PLUGIN_LIBS = $(foreach l,libtracefs libtraceevent,\
		$(shell $(PKG_CONFIG) --variable=libdir $(l))/$(l).a) \
	      $(filter-out -ltracefs -ltraceevent,$(LIBS))
$(B)/plugin/perfwhiz-dlfilter.o: ALL_CFLAGS += -fvisibility=hidden
$(B)/perfwhiz.so: $(B)/plugin/perfwhiz-dlfilter.o $(LIB) plugin/perfwhiz.map
	$(if $(Q),@echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -shared -o $@ $< $(LIB) $(PLUGIN_LIBS) \
		-Wl,--version-script=plugin/perfwhiz.map -Wl,--as-needed -Wl,-z,defs

$(B)/tests/%: tests/unit/%.c $(LIB) $(TEST_HDR) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) -Itests -o $@ $< $(LIB) \
		$(ALL_LDFLAGS) $(LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

# test-cdict makes the writer's frames of literals only fail (test_literal_fallback).
$(B)/tests/test-cdict: ALL_LDFLAGS += -Wl,--wrap=ZSTD_compressSequences

# perfmap's modules are tested on their own: everything in plot/ but its main.
PLOT_LIB_OBJ := $(filter-out $(B)/plot/perfmap.o,$(PLOT_OBJ))
$(B)/tests/test-plot-%: tests/unit/test-plot-%.c $(PLOT_LIB_OBJ) $(LIB) $(TEST_HDR) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) -Itests -Iplot -o $@ $< \
		$(PLOT_LIB_OBJ) $(LIB) $(ALL_LDFLAGS) $(LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

$(B)/tests/%: tests/tools/%.c $(LIB) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIB) $(ALL_LDFLAGS) $(LIBS)

test: deps
	$(Q)$(MAKE) --no-print-directory check

$(B)/tests/replay-%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c $(LIB) $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ tests/fuzz/replay.c $< $(LIB) \
		$(ALL_LDFLAGS) $(LIBS) -lpthread

check: $(PROGS) $(PLUGIN) $(TESTS) $(TOOLS) $(REPLAYS)
	$(Q)tests/run.sh $(abspath $(B)) '$(or $(T),*)'

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh $(abspath $(B))

# Not part of `make test`: it takes minutes and makes GBs of input.
bench: $(PROGS) $(TOOLS)
	$(Q)scripts/bench.sh $(abspath $(B))

# The thread sanitizer on what runs threads: the cdict writer's encoder
# thread (its unit test, and a conversion) and the cdict reader's decoders.
tsan: deps
	$(Q)$(MAKE) --no-print-directory SANITIZE=thread build/tsan/tests/test-cdict \
		build/tsan/tests/test-plot-load build/tsan/perfwhiz-proc build/tsan/tests/pwfixture
	$(Q)for t in test-cdict test-plot-load; do \
		(cd build/tsan/tests && TSAN_OPTIONS=halt_on_error=1:exitcode=66 ./$$t) \
			>build/tsan/$$t.log 2>&1 || { cat build/tsan/$$t.log; exit 1; }; done
	$(Q)python3 scripts/bench-spec.py --events 20000 >build/tsan/kvm.spec
	$(Q)build/tsan/tests/pwfixture -o build/tsan/kvm.data build/tsan/kvm.spec
	$(Q)TSAN_OPTIONS=halt_on_error=1:exitcode=66 build/tsan/perfwhiz-proc -q \
		-i build/tsan/kvm.data -o build/tsan/kvm.cdict
	$(Q)echo "tsan: no data race found"

# valgrind memcheck, each program end to end (scripts/memcheck.sh)
memcheck: $(PROGS) $(PLUGIN) $(TOOLS)
	$(Q)scripts/memcheck.sh $(abspath $(B))

install: $(PROGS) $(PLUGIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/perfwhiz
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)/
	$(if $(PLUGIN),install -d $(DESTDIR)$(LIBDIR)/perfwhiz)
	$(if $(PLUGIN),install -m 0644 $(PLUGIN) $(DESTDIR)$(LIBDIR)/perfwhiz/)
	install -m 0644 $(wildcard docs/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(wildcard data/*) $(DESTDIR)$(DATADIR)/perfwhiz/
	install -m 0755 scripts/create-vm-csv.sh scripts/openstack-map $(DESTDIR)$(DATADIR)/perfwhiz/

# Fuzzing (clang's libFuzzer): make fuzz [FUZZ_SECONDS=60] [FUZZERS=...]
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_B       := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   = $(filter-out -fPIC,$(ALL_CFLAGS)) -O1 -g $(FUZZ_SAN) -Wno-missing-prototypes
FUZZ_ALL     := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZERS      ?= $(FUZZ_ALL)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_B)/%.o)

$(FUZZ_B)/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_B)/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_LIB_OBJ)
	$(if $(Q),@echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(LIBS) -lpthread

.SECONDARY: $(FUZZ_LIB_OBJ)
.PHONY: fuzz fuzz-run
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-run

fuzz-run: $(FUZZERS:%=$(FUZZ_B)/%) $(PROGS) $(TOOLS)
	$(Q)scripts/fuzz.sh $(abspath $(FUZZ_B)) $(FUZZ_SECONDS) $(FUZZERS)

clean:
	rm -rf build/*.a build/processor build/tests build/perfwhiz-* build/san build/san-clang
	rm -rf build/pgo
	rm -rf build/plugin build/perfwhiz.so

distclean:
	rm -rf build

-include $(shell find $(B) -name '*.d' 2>/dev/null)
