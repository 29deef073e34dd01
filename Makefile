# netcon - Network Containers: a userspace TCP/IP stack service and the
# LD_PRELOAD library that moves unmodified programs' TCP onto it.
#
#   make deps      install build/test dependencies (Debian packages) and lwIP's source
#   make           build everything (service, library, launcher, test programs)
#   make test      unit, integration and sanitizer tests
#   make demo      two programs on two services talking over the virtual switch
#   make bench     benchmarks against the kernel's loopback (QUICK=1 for a short run)
#   make install   PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
LWIP_SRC ?= $(CURDIR)/.deps/lwip
B       ?= build
SAN     ?=

CC      ?= cc
VERSION := 0.1
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -D_GNU_SOURCE -fno-strict-aliasing -DNETCON_VERSION=\"$(VERSION)\"
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -DNETCON_SANITIZE
SERVICE_LDFLAGS := -Wl,--export-dynamic-symbol=dlopen
# lwIP builds timestamps with "byte << 24" on an int: undefined, harmless, not ours to patch.
LWIP_SANFLAGS := -fno-sanitize=shift
LDFLAGS += -fsanitize=address,undefined
endif

LWIP_INC := -Isrc/service -I$(LWIP_SRC)/src/include
LWIP_CORE := init def inet_chksum ip mem memp netif pbuf raw stats sys tcp tcp_in tcp_out \
	timeouts
# core/ipv4/ip4.c, core/ipv6/ip6.c and core/udp.c are not in the list:
# src/service/lwip/ip4.c, ip6.c and udp.c compile them (#include them) with a
# macro redefined, so that all of 127.0.0.0/8 is the loopback interface's, as
# on Linux (src/service/lwip/lo8.h), and a TCP segment on a tap with TSO is
# not fragmented (src/service/lwip/tso.h). They are built as lwIP is, into $(B)/lwip/netcon/,
# in every build (normal, SAN=1, fuzz).
LWIP_FILES := $(addprefix core/,$(LWIP_CORE)) \
	$(addprefix core/ipv4/,etharp icmp igmp ip4_addr ip4_frag) \
	$(addprefix core/ipv6/,ethip6 icmp6 inet6 ip6_addr ip6_frag mld6 nd6) \
	netif/ethernet
LWIP_WRAPPED := ip4 ip6 udp
LWIP_OBJ := $(addprefix $(B)/lwip/,$(addsuffix .o,$(LWIP_FILES))) \
	$(addprefix $(B)/lwip/netcon/,$(addsuffix .o,$(LWIP_WRAPPED)))

COMMON_SRC := $(wildcard src/common/*.c)
SERVICE_SRC := $(wildcard src/service/*.c)
INTERCEPT_SRC := $(wildcard src/intercept/*.c)
COMMON_OBJ := $(patsubst src/%.c,$(B)/%.o,$(COMMON_SRC))
COMMON_PIC := $(patsubst src/%.c,$(B)/pic/%.o,$(COMMON_SRC))
SERVICE_OBJ := $(patsubst src/%.c,$(B)/%.o,$(SERVICE_SRC))
INTERCEPT_OBJ := $(patsubst src/%.c,$(B)/pic/%.o,$(INTERCEPT_SRC))
TEST_APPS := $(patsubst tests/apps/%.c,$(B)/tests/%,$(wildcard tests/apps/*.c))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/unit_%,$(wildcard tests/unit/*.c))

SERVICE_BIN := $(B)/bin/netcon-service
INTERCEPT_BIN := $(B)/bin/intercept
LIBNETCON := $(B)/lib/netcon/libnetcon.so
LAUNCH_BIN := $(B)/bin/netcon $(B)/bin/netcon-runtime $(B)/libexec/netcon/netcon-oci

# netcon-supervise (src/seccomp/): the seccomp path. It does each call with
# libnetcon's own operations, client and datagram path (not its wrappers).
SECCOMP_SRC := $(wildcard src/seccomp/*.c)
SECCOMP_OBJ := $(patsubst src/%.c,$(B)/%.o,$(SECCOMP_SRC))
SUPERVISE_OPS := $(addprefix $(B)/pic/intercept/,ops.o client.o dgram.o libc.o)
SUPERVISE_BIN := $(B)/bin/netcon-supervise
# The test programs built static, for the seccomp suite (no sanitizers: no static runtime).
# netcon-uplink (src/uplink/): the local switch's port to other hosts, run by the switch's host.
UPLINK_SRC := $(wildcard src/uplink/*.c)
UPLINK_OBJ := $(patsubst src/%.c,$(B)/%.o,$(UPLINK_SRC))
UPLINK_BIN := $(B)/bin/netcon-uplink
STATIC_APPS := conformance conformance_udp conformance_tcp_matrix test_tx test_rx connloop
STATIC_TESTS := $(addprefix $(B)/tests/static/,$(STATIC_APPS))
STATIC_CFLAGS := -O2 -g -std=gnu11 -D_GNU_SOURCE -fno-strict-aliasing

# musl-gcc (musl-tools) present: `all` also builds the musl libnetcon (see musl: below).
MUSL_CC ?= musl-gcc
MUSL_FOUND := $(shell command -v $(MUSL_CC) 2>/dev/null)

.PHONY: all lib service tests deps test demo bench compat install clean lwip-check musl
all: service lib tests $(if $(MUSL_FOUND),musl)

service: $(SERVICE_BIN) $(UPLINK_BIN)
lib: $(LIBNETCON) $(INTERCEPT_BIN) $(LAUNCH_BIN) $(SUPERVISE_BIN)
tests: $(TEST_APPS) $(UNIT_TESTS) $(STATIC_TESTS)

deps:
	scripts/deps.sh all

lwip-check:
	@test -f $(LWIP_SRC)/src/core/tcp.c || { echo "lwIP sources not found in $(LWIP_SRC): run 'make deps' (or set LWIP_SRC)"; exit 1; }

$(B)/lwip/%.o: $(LWIP_SRC)/src/%.c src/service/lwipopts.h | lwip-check
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LWIP_SANFLAGS) -fvisibility=hidden -w $(LWIP_INC) -c $< -o $@

$(B)/lwip/netcon/%.o: src/service/lwip/%.c src/service/lwip/*.h src/service/lwipopts.h | lwip-check
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LWIP_SANFLAGS) -fvisibility=hidden -w $(LWIP_INC) -I$(LWIP_SRC)/src -c $< -o $@

$(B)/common/%.o: src/common/%.c src/common/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -c $< -o $@

$(B)/pic/common/%.o: src/common/%.c src/common/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/service/%.o: src/service/%.c src/service/*.h src/common/*.h | lwip-check
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fvisibility=hidden $(LWIP_INC) -c $< -o $@

$(SERVICE_BIN): $(SERVICE_OBJ) $(COMMON_OBJ) $(LWIP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(SERVICE_LDFLAGS) -o $@ $^ -lvdeplug -lslirp -lpthread -ldl

$(B)/uplink/%.o: src/uplink/%.c src/uplink/*.h src/common/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -c $< -o $@

# sanitize.o: in SAN=1 builds, the dlopen() that lets vdeplug load its plugins under ASan (empty otherwise).
$(UPLINK_BIN): $(UPLINK_OBJ) $(B)/common/log.o $(B)/common/proc.o $(B)/service/sanitize.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(SERVICE_LDFLAGS) -o $@ $^ -lvdeplug -ldl

$(B)/pic/intercept/%.o: src/intercept/%.c src/intercept/*.h src/common/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -c $< -o $@

$(LIBNETCON): $(INTERCEPT_OBJ) $(COMMON_PIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-z,defs -o $@ $^ -ldl -lpthread

# libnetcon for musl-based images (Alpine...): the same sources built with
# musl-gcc (Debian's musl-tools) into $(B)/lib/netcon/musl/libnetcon.so; part
# of `all` where musl-gcc is found. Sanitizer flags stay out (no musl runtime).
# The musl test programs (tests/suites/musl.sh) also want the kernel's own
# headers, which musl's include folder lacks (Alpine's linux-headers):
# Debian's are linked into $(B)/musl/include.
MUSL_CFLAGS ?= -O2 -g
MUSL_ALL_CFLAGS = $(MUSL_CFLAGS) -std=gnu11 -D_GNU_SOURCE -fno-strict-aliasing -DNETCON_VERSION=\"$(VERSION)\"
MUSL_OBJ := $(patsubst src/%.c,$(B)/musl/pic/%.o,$(INTERCEPT_SRC) $(COMMON_SRC))
MUSL_LIB := $(B)/lib/netcon/musl/libnetcon.so
MUSL_APPS := test_tx test_rx connloop conformance conformance_udp conformance_tcp_matrix
MUSL_TESTS := $(addprefix $(B)/musl/tests/,$(MUSL_APPS))
KERNEL_INC := $(firstword $(wildcard /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)/asm) /usr/include/asm)

musl: $(MUSL_LIB) $(MUSL_TESTS)

# busybox (Alpine's userland) from Debian's source package, built with
# musl-gcc for the musl suite, which builds it itself when it can.
.PHONY: musl-busybox
musl-busybox:
	scripts/musl-busybox.sh $(B)/musl/busybox

$(B)/musl/pic/%.o: src/%.c src/intercept/*.h src/common/*.h
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_ALL_CFLAGS) $(WARN) -fPIC -fvisibility=hidden -c $< -o $@

$(MUSL_LIB): $(MUSL_OBJ)
	@mkdir -p $(dir $@)
	$(MUSL_CC) -shared -Wl,-z,defs -o $@ $^

$(B)/musl/include/linux:
	@mkdir -p $(dir $@)
	ln -sfn /usr/include/linux $(B)/musl/include/linux
	ln -sfn /usr/include/asm-generic $(B)/musl/include/asm-generic
	ln -sfn $(KERNEL_INC) $(B)/musl/include/asm

$(B)/musl/tests/%: tests/apps/%.c tests/apps/stream.h tests/apps/args.h tests/apps/conformance.h tests/apps/conformance_tcp.h src/common/*.h | $(B)/musl/include/linux
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_ALL_CFLAGS) $(WARN) -idirafter $(B)/musl/include -o $@ $< -lpthread

$(B)/seccomp/%.o: src/seccomp/%.c src/seccomp/*.h src/intercept/*.h src/common/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -c $< -o $@

$(SUPERVISE_BIN): $(SECCOMP_OBJ) $(SUPERVISE_OPS) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -ldl -lpthread

$(B)/tests/static/%: tests/apps/%.c tests/apps/stream.h tests/apps/args.h tests/apps/conformance.h tests/apps/conformance_tcp.h src/common/*.h
	@mkdir -p $(dir $@)
	$(CC) $(STATIC_CFLAGS) $(WARN) -static -o $@ $< -lpthread 2>$@.log || { cat $@.log; exit 1; }
	@grep -v 'statically linked applications requires at runtime' $@.log >&2; rm -f $@.log

$(INTERCEPT_BIN): src/intercept/intercept.sh
	@mkdir -p $(dir $@)
	cp $< $@
	chmod +x $@

# Containers: netcon run/serve, the Docker runtime wrapper, the OCI config editor.
$(B)/bin/netcon: src/launch/netcon.sh
	@mkdir -p $(dir $@)
	cp $< $@
	chmod +x $@

$(B)/bin/netcon-runtime: src/launch/netcon-runtime
	@mkdir -p $(dir $@)
	cp $< $@
	chmod +x $@

$(B)/libexec/netcon/netcon-oci: src/launch/netcon-oci
	@mkdir -p $(dir $@)
	cp $< $@
	chmod +x $@

$(B)/tests/%: tests/apps/%.c tests/apps/stream.h tests/apps/args.h tests/apps/conformance.h tests/apps/conformance_tcp.h src/common/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -o $@ $< -lpthread

$(B)/tests/unit_%: tests/unit/%.c $(filter-out $(B)/service/main.o,$(SERVICE_OBJ)) $(COMMON_OBJ) $(LWIP_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -Wno-shadow $(LWIP_INC) -Isrc -o $@ $^ -lcmocka -lvdeplug -lslirp -lpthread

# libFuzzer harnesses (tests/fuzz/, run by tests/suites/fuzz.sh): clang with
# ASan and UBSan, lwIP and the service's objects rebuilt with coverage in
# their own folder. fuzz_frame is the service less its RPC endpoint and main.
FUZZ_B  ?= build-fuzz
FUZZ_CC ?= clang-14
FUZZ_WARN := $(filter-out -Wno-format-truncation,$(WARN))
FUZZ_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -fno-strict-aliasing -DNETCON_VERSION=\"$(VERSION)\" \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_LWIP_OBJ := $(addprefix $(FUZZ_B)/lwip/,$(addsuffix .o,$(LWIP_FILES))) \
	$(addprefix $(FUZZ_B)/lwip/netcon/,$(addsuffix .o,$(LWIP_WRAPPED)))
FUZZ_SERVICE_OBJ := $(patsubst src/%.c,$(FUZZ_B)/%.o,$(filter-out src/service/main.c src/service/server.c,$(SERVICE_SRC)))
FUZZ_COMMON_OBJ := $(patsubst src/%.c,$(FUZZ_B)/%.o,$(COMMON_SRC))
.PHONY: fuzz
fuzz: $(FUZZ_B)/fuzz_rpc $(FUZZ_B)/fuzz_frame $(FUZZ_B)/fuzz_agent

$(FUZZ_B)/lwip/%.o: $(LWIP_SRC)/src/%.c src/service/lwipopts.h | lwip-check
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fno-sanitize=shift -fvisibility=hidden -w $(LWIP_INC) -c $< -o $@

$(FUZZ_B)/lwip/netcon/%.o: src/service/lwip/%.c src/service/lwip/*.h src/service/lwipopts.h | lwip-check
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fno-sanitize=shift -fvisibility=hidden -w $(LWIP_INC) -I$(LWIP_SRC)/src -c $< -o $@

$(FUZZ_B)/common/%.o: src/common/%.c src/common/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) -c $< -o $@

$(FUZZ_B)/service/%.o: src/service/%.c src/service/*.h src/common/*.h | lwip-check
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) -fvisibility=hidden $(LWIP_INC) -c $< -o $@

$(FUZZ_B)/seccomp/%.o: src/seccomp/%.c src/seccomp/*.h src/common/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) -c $< -o $@

# The OCI agent's reader of a runtime's state (src/seccomp/agent.c).
$(FUZZ_B)/fuzz_agent: tests/fuzz/fuzz_agent.c $(FUZZ_B)/seccomp/agent.o $(FUZZ_COMMON_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_WARN) -Isrc -o $@ $^

$(FUZZ_B)/fuzz_rpc: tests/fuzz/fuzz_rpc.c $(FUZZ_COMMON_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_WARN) -Isrc -o $@ $^

$(FUZZ_B)/fuzz_frame: tests/fuzz/fuzz_frame.c $(FUZZ_SERVICE_OBJ) $(FUZZ_COMMON_OBJ) $(FUZZ_LWIP_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_WARN) $(LWIP_INC) -Isrc -o $@ $^ -lvdeplug -lslirp -lpthread -ldl

# The three entry points prepare a fresh machine themselves: dependencies,
# lwIP's source, the build.
# The build behind test, demo, bench and compat: one line, the log's tail on failure.
QUIET_BUILD = mkdir -p $(B) && echo "netcon: building (log in $(B)/build.log)" && \
	{ $(MAKE) --no-print-directory all >$(B)/build.log 2>&1 || \
	  { tail -n 30 $(B)/build.log; echo "netcon: build failed (see $(B)/build.log)"; exit 1; }; }

test:
	@scripts/deps.sh all
	@$(QUIET_BUILD)
	tests/run.sh

compat:
	@scripts/deps.sh all
	@$(QUIET_BUILD)
	tests/run.sh compat

demo:
	@scripts/deps.sh all
	@$(QUIET_BUILD)
	tests/demo.sh

bench:
	@scripts/deps.sh all
	@$(QUIET_BUILD)
	bench/run.sh $(if $(QUICK),--quick)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/netcon
	install -m 755 $(SERVICE_BIN) $(DESTDIR)$(PREFIX)/bin/netcon-service
	install -m 755 $(UPLINK_BIN) $(DESTDIR)$(PREFIX)/bin/netcon-uplink
	install -m 755 $(INTERCEPT_BIN) $(DESTDIR)$(PREFIX)/bin/intercept
	install -m 755 $(SUPERVISE_BIN) $(DESTDIR)$(PREFIX)/bin/netcon-supervise
	install -m 644 $(LIBNETCON) $(DESTDIR)$(PREFIX)/lib/netcon/libnetcon.so
	install -d $(DESTDIR)$(PREFIX)/libexec/netcon $(DESTDIR)$(PREFIX)/share/containers/oci/hooks.d
	install -m 755 $(B)/bin/netcon $(DESTDIR)$(PREFIX)/bin/netcon
	install -m 755 $(B)/bin/netcon-runtime $(DESTDIR)$(PREFIX)/bin/netcon-runtime
	install -m 755 $(B)/libexec/netcon/netcon-oci $(DESTDIR)$(PREFIX)/libexec/netcon/netcon-oci
	sed 's|/usr/local/|$(PREFIX)/|' contrib/podman/netcon.json >$(DESTDIR)$(PREFIX)/share/containers/oci/hooks.d/netcon.json
	$(if $(MUSL_FOUND),install -d $(DESTDIR)$(PREFIX)/lib/netcon/musl)
	$(if $(MUSL_FOUND),install -m 644 $(MUSL_LIB) $(DESTDIR)$(PREFIX)/lib/netcon/musl/libnetcon.so)

clean:
	rm -rf $(B) build-san
