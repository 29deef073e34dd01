/*
 * test_config.c - unit tests for the service's command line (config.c):
 * the address, MAC and MTU parsers, link URL classification and whole
 * command lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "service/config.h"
#include "common/underlay.h"

#define TEST_DIR "/tmp/netcon-unit-test"

/* Number of elements of a fixed array. */
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* setup() - fix the per-user defaults so the expected paths are known. */
static int setup(void **state)
{
	setenv("NETCON_DIR", TEST_DIR, 1);
	unsetenv("NETCON_SOCKET");
	return 0;
}

/* ip4() - a dotted quad as an in_addr, for comparisons. */
static struct in_addr ip4(const char *text)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, text, &a), 1);
	return a;
}

/* ip6() - a textual IPv6 address as an in6_addr, for comparisons. */
static struct in6_addr ip6(const char *text)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, text, &a), 1);
	return a;
}

/* IPv4 CIDR: good forms, the implied /24, and every kind of junk. */
static void test_ip4_cidr(void **state)
{
	static const char *const bad[] = {
		"", "/", "/16", "junk", "198.18.0.5/", "198.18.0.5/33", "198.18.0.5/-1",
		"198.18.0.5/+8", "198.18.0.5/16x", "198.18.0.5/16/8", "198.18.0.5x/16",
		"198.18.0.256/16", "198.18.0/16", "198.18.0.5 /16", "198.18.0.5/ 16",
		"198.18.0.5/99999999999999999999", "::1/64", "1.2.3.4.5/8",
		"123456789012345678901234567890/8",
	};
	struct in_addr a;
	unsigned prefix;
	size_t i;

	assert_int_equal(nc_parse_ip4_cidr("198.18.0.5/16", &a, &prefix), 0);
	assert_int_equal(a.s_addr, ip4("198.18.0.5").s_addr);
	assert_int_equal(prefix, 16);
	assert_int_equal(nc_parse_ip4_cidr("10.1.2.3", &a, &prefix), 0);
	assert_int_equal(a.s_addr, ip4("10.1.2.3").s_addr);
	assert_int_equal(prefix, 24);
	assert_int_equal(nc_parse_ip4_cidr("0.0.0.0/0", &a, &prefix), 0);
	assert_int_equal(prefix, 0);
	assert_int_equal(nc_parse_ip4_cidr("255.255.255.255/32", &a, &prefix), 0);
	assert_int_equal(prefix, 32);
	for (i = 0; i < N_OF(bad); i++) {
		prefix = 99;
		if (nc_parse_ip4_cidr(bad[i], &a, &prefix) != -1)
			fail_msg("accepted bad IPv4 CIDR '%s'", bad[i]);
	}
}

/* IPv6 CIDR: good forms, the implied /64, and junk. */
static void test_ip6_cidr(void **state)
{
	static const char *const bad[] = {
		"", "/", "/64", "junk", "fd00::1/", "fd00::1/129", "fd00::1/-1", "fd00::1/64x",
		"fd00::1/64/2", "fd00:::1/64", "fd00::g/64", "198.18.0.5/16", "fd00::1 /64",
		"fd00::1/+64", "fd00:0:0:0:0:0:0:0:1/64",
		"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:1/64",
	};
	struct in6_addr a, want;
	unsigned prefix;
	size_t i;

	assert_int_equal(nc_parse_ip6_cidr("fd00:6e63::5/48", &a, &prefix), 0);
	want = ip6("fd00:6e63::5");
	assert_memory_equal(&a, &want, sizeof(a));
	assert_int_equal(prefix, 48);
	assert_int_equal(nc_parse_ip6_cidr("2001:db8::1", &a, &prefix), 0);
	want = ip6("2001:db8::1");
	assert_memory_equal(&a, &want, sizeof(a));
	assert_int_equal(prefix, 64);
	assert_int_equal(nc_parse_ip6_cidr("::ffff:198.18.0.1/128", &a, &prefix), 0);
	assert_int_equal(prefix, 128);
	assert_int_equal(nc_parse_ip6_cidr("::/0", &a, &prefix), 0);
	assert_int_equal(prefix, 0);
	for (i = 0; i < N_OF(bad); i++) {
		if (nc_parse_ip6_cidr(bad[i], &a, &prefix) != -1)
			fail_msg("accepted bad IPv6 CIDR '%s'", bad[i]);
	}
}

/* MAC: unicast accepted in either case; multicast, short, long, junk refused. */
static void test_mac(void **state)
{
	static const char *const bad[] = {
		"", "junk", "02:00:00:00:00", "02:00:00:00:00:01:02", "02:00:00:00:00:0",
		"02:00:00:00:00:011", "02-00-00-00-00-01", "02:00:00:00:00:0g", "0x:00:00:00:00:01",
		" 2:00:00:00:00:01", "02:00:00:00:00: 1", "02:00:00:00:00:+1", "02::00:00:00:00:1",
		"0200:00:00:00:0001", "01:00:5e:00:00:01", "33:33:00:00:00:01", "ff:ff:ff:ff:ff:ff",
		"03:00:00:00:00:01",
	};
	static const uint8_t want[6] = { 0x02, 0xab, 0xcd, 0xef, 0x00, 0x9f };
	uint8_t mac[6];
	size_t i;

	assert_int_equal(nc_parse_mac("02:ab:cd:ef:00:9f", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(nc_parse_mac("02:AB:CD:EF:00:9F", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(nc_parse_mac("00:16:3e:00:00:01", mac), 0);
	for (i = 0; i < N_OF(bad); i++) {
		if (nc_parse_mac(bad[i], mac) != -1)
			fail_msg("accepted bad MAC '%s'", bad[i]);
	}
}

/* MTU: the bounds 1280 and 65000 are inclusive; anything else is refused. */
static void test_mtu(void **state)
{
	static const char *const bad[] = {
		"", "junk", "1279", "65001", "65536", "0", "-1500", "+1500", " 1500", "1500 ", "1500x",
		"1e3", "0x500", "99999999999999999999999",
	};
	unsigned mtu;
	size_t i;

	assert_int_equal(nc_parse_mtu("1280", &mtu), 0);
	assert_int_equal(mtu, 1280);
	assert_int_equal(nc_parse_mtu("9000", &mtu), 0);
	assert_int_equal(mtu, 9000);
	assert_int_equal(nc_parse_mtu("65000", &mtu), 0);
	assert_int_equal(mtu, 65000);
	assert_int_equal(nc_parse_mtu("1500", &mtu), 0);
	assert_int_equal(mtu, 1500);
	for (i = 0; i < N_OF(bad); i++) {
		mtu = 4242;
		if (nc_parse_mtu(bad[i], &mtu) != -1)
			fail_msg("accepted bad MTU '%s'", bad[i]);
		assert_int_equal(mtu, 4242);
	}
}

/* Link URLs: which are switches (and their folder), taps, or passed through. */
static void test_classify_link(void **state)
{
	char dir[200];
	char tiny[8];

	memset(dir, 0, sizeof(dir));
	assert_int_equal(nc_classify_link("", dir, sizeof(dir)), NC_LINK_DEFAULT_SWITCH);
	assert_string_equal(dir, TEST_DIR "/switch");
	assert_int_equal(nc_classify_link(NULL, dir, sizeof(dir)), NC_LINK_DEFAULT_SWITCH);
	assert_int_equal(nc_classify_link("switch:///tmp/sw", dir, sizeof(dir)), NC_LINK_SWITCH);
	assert_string_equal(dir, "/tmp/sw");
	assert_int_equal(nc_classify_link("vde:///var/run/vde.ctl", dir, sizeof(dir)),
			 NC_LINK_SWITCH);
	assert_string_equal(dir, "/var/run/vde.ctl");
	assert_int_equal(nc_classify_link("vde://relative", dir, sizeof(dir)), NC_LINK_OTHER);
	assert_int_equal(nc_classify_link("switch://relative/dir", dir, sizeof(dir)),
			 NC_LINK_OTHER);
	assert_int_equal(nc_classify_link("vde://", dir, sizeof(dir)), NC_LINK_OTHER);
	assert_int_equal(nc_classify_link("vde:///tmp/sw[port=3]", dir, sizeof(dir)),
			 NC_LINK_OTHER);
	assert_int_equal(nc_classify_link("switch:///a/long/folder", tiny, sizeof(tiny)),
			 NC_LINK_OTHER);
	assert_int_equal(nc_classify_link("tap://tap0", dir, sizeof(dir)), NC_LINK_TAP);
	assert_int_equal(nc_classify_link("vxvde://239.1.2.3", dir, sizeof(dir)), NC_LINK_OTHER);
	assert_int_equal(nc_classify_link("slirp://", dir, sizeof(dir)), NC_LINK_OTHER);
	assert_int_equal(nc_classify_link("/tmp/sw", dir, sizeof(dir)), NC_LINK_OTHER);
}

/* parse() - run nc_parse_config on a NULL-terminated argument list. */
static int parse(struct nc_config *cfg, char *err, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	err[0] = '\0';
	return nc_parse_config(argc, argv, cfg, err, 256);
}

/* The defaults: the per-user switch, its socket, MTU 65000, nothing set. */
static void test_config_defaults(void **state)
{
	char *argv[] = { "netcon-service", NULL };
	struct nc_config cfg;
	char err[256];

	assert_int_equal(parse(&cfg, err, argv), 0);
	assert_int_equal(cfg.link_kind, NC_LINK_DEFAULT_SWITCH);
	assert_string_equal(cfg.net, "");
	assert_string_equal(cfg.switch_dir, TEST_DIR "/switch");
	assert_string_equal(cfg.socket_path, TEST_DIR "/service.sock");
	assert_string_equal(cfg.group, "");
	assert_int_equal(cfg.mtu, NC_SWITCH_MTU);
	assert_false(cfg.have_ip4 || cfg.have_ip6 || cfg.have_gw4 || cfg.have_gw6 ||
		     cfg.have_mac);
	assert_int_equal(cfg.verbosity, 0);
	assert_false(cfg.status || cfg.help || cfg.version);
	assert_null(cfg.app_argv);

	setenv("NETCON_SOCKET", "/tmp/elsewhere.sock", 1);
	assert_int_equal(parse(&cfg, err, argv), 0);
	assert_string_equal(cfg.socket_path, "/tmp/elsewhere.sock");
	unsetenv("NETCON_SOCKET");
}

/* Every option at once, each value landing in its field. */
static void test_config_full(void **state)
{
	char *argv[] = {
		"netcon-service", "--net", "switch:///tmp/sw", "--ip", "198.18.0.5/16",
		"--ip6", "fd00:6e63::5/64", "--gateway", "198.18.0.1", "--gateway", "fd00:6e63::1",
		"--mtu", "4000", "--mac", "02:00:00:00:00:05", "--socket", "/tmp/x.sock",
		"--group", "netcon", "-v", "-v", NULL,
	};
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 5 };
	struct in6_addr want6;
	struct nc_config cfg;
	char err[256];

	assert_int_equal(parse(&cfg, err, argv), 0);
	assert_string_equal(cfg.net, "switch:///tmp/sw");
	assert_int_equal(cfg.link_kind, NC_LINK_SWITCH);
	assert_string_equal(cfg.switch_dir, "/tmp/sw");
	assert_true(cfg.have_ip4);
	assert_int_equal(cfg.ip4.s_addr, ip4("198.18.0.5").s_addr);
	assert_int_equal(cfg.prefix4, 16);
	assert_true(cfg.have_ip6);
	want6 = ip6("fd00:6e63::5");
	assert_memory_equal(&cfg.ip6, &want6, 16);
	assert_int_equal(cfg.prefix6, 64);
	assert_true(cfg.have_gw4);
	assert_int_equal(cfg.gw4.s_addr, ip4("198.18.0.1").s_addr);
	assert_true(cfg.have_gw6);
	want6 = ip6("fd00:6e63::1");
	assert_memory_equal(&cfg.gw6, &want6, 16);
	assert_int_equal(cfg.mtu, 4000);
	assert_true(cfg.have_mac);
	assert_memory_equal(cfg.mac, mac, 6);
	assert_string_equal(cfg.socket_path, "/tmp/x.sock");
	assert_string_equal(cfg.group, "netcon");
	assert_int_equal(cfg.verbosity, 2);
	assert_null(cfg.app_argv);
}

/* nc_underlay_mtu(): what each encapsulating link leaves, and nothing for the others. */
static void test_underlay_mtu(void **state)
{
	char why[160];
	FILE *f = fopen("/sys/class/net/lo/mtu", "r");
	unsigned lo = 0;

	(void)state;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%u", &lo), 1);
	fclose(f);
	assert_true(lo > 9070);	/* lo's 65536: capped at what a vdeplug frame carries */
	assert_int_equal(nc_underlay_mtu("vxvde://239.1.2.3/if=lo", why, sizeof(why)), NC_FRAME_MTU_MAX);
	assert_non_null(strstr(why, "lo's MTU"));
	assert_int_equal(nc_underlay_mtu("vxvde://ff05::7/v6/port=5000/if=lo", why, sizeof(why)), NC_FRAME_MTU_MAX);
	assert_int_equal(nc_underlay_mtu("vxvde:///if=no-such-if0", why, sizeof(why)) >= 1280, 1);
	assert_int_equal(nc_underlay_mtu("uml:///tmp/tinc/uml.sock", NULL, 0), NC_UML_MTU);
	assert_int_equal(nc_underlay_mtu("tap://tap0", why, sizeof(why)), 0);
	assert_int_equal(nc_underlay_mtu("vde:///tmp/sw", why, sizeof(why)), 0);
}

/* --uplink: a URL, for a local switch only. */
static void test_config_uplink(void **state)
{
	char *ok[] = { "netcon-service", "--uplink", "vxvde://239.1.2.3", NULL };
	char *sw[] = { "netcon-service", "--net", "switch:///tmp/sw", "--uplink", "uml:///tmp/t/uml.sock", NULL };
	char *bad[] = { "netcon-service", "--uplink", "/tmp/x", NULL };
	char *tap[] = { "netcon-service", "--net", "tap://tap0", "--uplink", "vxvde://239.1.2.3", NULL };
	struct nc_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, ok), 0);
	assert_string_equal(cfg.uplink, "vxvde://239.1.2.3");
	assert_int_equal(parse(&cfg, err, sw), 0);
	assert_string_equal(cfg.uplink, "uml:///tmp/t/uml.sock");
	assert_int_not_equal(parse(&cfg, err, bad), 0);
	assert_non_null(strstr(err, "--uplink"));
	assert_int_not_equal(parse(&cfg, err, tap), 0);
	assert_non_null(strstr(err, "local switch"));
}

/* The default MTU follows the link: 65000 on switches, 1500 elsewhere. */
static void test_config_mtu_default(void **state)
{
	char *sw[] = { "netcon-service", "--net", "vde:///tmp/sw", NULL };
	char *tap[] = { "netcon-service", "--net", "tap://tap0", NULL };
	char *vx[] = { "netcon-service", "--net", "vxvde://239.1.2.3/if=lo", NULL };
	char *tap_mtu[] = { "netcon-service", "--net", "tap://tap0", "--mtu", "9000", NULL };
	struct nc_config cfg;
	char err[256];

	assert_int_equal(parse(&cfg, err, sw), 0);
	assert_int_equal(cfg.link_kind, NC_LINK_SWITCH);
	assert_int_equal(cfg.mtu, NC_SWITCH_MTU);
	assert_int_equal(parse(&cfg, err, tap), 0);
	assert_int_equal(cfg.link_kind, NC_LINK_TAP);
	assert_int_equal(cfg.mtu, 1500);
	assert_int_equal(parse(&cfg, err, vx), 0);
	assert_int_equal(cfg.link_kind, NC_LINK_OTHER);
	assert_string_equal(cfg.net, "vxvde://239.1.2.3/if=lo");
	assert_int_equal(cfg.mtu, 9000);	/* lo's 65536 less VXLAN's, as far as vdeplug carries */
	assert_int_equal(parse(&cfg, err, tap_mtu), 0);
	assert_int_equal(cfg.mtu, 9000);
}

/* -q, --help, --version and `status` with its socket. */
static void test_config_flags(void **state)
{
	char *quiet[] = { "netcon-service", "-v", "-q", NULL };
	char *help[] = { "netcon-service", "--help", NULL };
	char *version[] = { "netcon-service", "--version", NULL };
	char *status[] = { "netcon-service", "status", "--socket", "/tmp/s.sock", NULL };
	char *status_app[] = { "netcon-service", "status", "./app", NULL };
	char *no_shortcut[] = { "netcon-service", "--no-shortcut", "./app", NULL };
	struct nc_config cfg;
	char err[256];

	assert_int_equal(parse(&cfg, err, quiet), 0);
	assert_int_equal(cfg.verbosity, -1);
	assert_false(cfg.no_shortcut);
	assert_int_equal(parse(&cfg, err, no_shortcut), 0);
	assert_true(cfg.no_shortcut);
	assert_string_equal(cfg.app_argv[0], "./app");
	assert_int_equal(parse(&cfg, err, help), 0);
	assert_true(cfg.help);
	assert_int_equal(parse(&cfg, err, version), 0);
	assert_true(cfg.version);
	assert_int_equal(parse(&cfg, err, status), 0);
	assert_true(cfg.status);
	assert_string_equal(cfg.socket_path, "/tmp/s.sock");
	assert_null(cfg.app_argv);
	assert_int_equal(parse(&cfg, err, status_app), -1);
	assert_non_null(strstr(err, "takes no program"));
	assert_non_null(nc_usage_text());
}

/* --publish SPECs: every form, families, protocols; bad ones refused with a reason. */
static void test_config_publish(void **state)
{
	static const struct {
		const char *spec, *canon;
		int family;
	} good[] = {
		{ "8080:80", "8080:80/tcp", AF_UNSPEC },
		{ "8080:80/udp", "8080:80/udp", AF_UNSPEC },
		{ "127.0.0.1:8080:80", "127.0.0.1:8080:80/tcp", AF_INET },
		{ "8080:198.18.0.9:80", "8080:198.18.0.9:80/tcp", AF_INET },
		{ "0.0.0.0:8080:198.18.0.9:80/tcp", "8080:198.18.0.9:80/tcp", AF_INET },
		{ "[::1]:8080:80", "[::1]:8080:80/tcp", AF_INET6 },
		{ "[2001:db8::1]:8080:[fd00::5]:80/udp", "[2001:db8::1]:8080:[fd00::5]:80/udp", AF_INET6 },
		{ "8080:[fd00::5]:80", "[::]:8080:[fd00::5]:80/tcp", AF_INET6 },
	};
	static const char *const bad[] = {
		"", "80", "0:80", "8080:0", "8080:65536", "a:80", "8080:80/sctp", "1.2.3.4:8080:[::1]:80",
		"[::1:8080:80", "8080:80:", "1:2:3:4:5", "8080:0.0.0.0:80", "300.1.1.1:8080:80",
	};
	struct nc_publish p;
	const char *why;
	char out[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (nc_parse_publish(good[i].spec, &p, &why))
			fail_msg("refused %s: %s", good[i].spec, why);
		assert_int_equal(p.family, good[i].family);
		nc_format_publish(&p, out, sizeof(out));
		assert_string_equal(out, good[i].canon);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (!nc_parse_publish(bad[i], &p, &why))
			fail_msg("accepted %s", bad[i]);
		assert_non_null(why);
	}
}

/* The gateway takes the subnet's first two addresses, routes and DNS follow. */
static void test_config_gateway(void **state)
{
	char *nat[] = { "netcon-service", "--nat", "--ip", "198.18.5.5/16", NULL };
	char *clash[] = { "netcon-service", "--nat", "--ip", "198.18.0.2/16", NULL };
	char *lo_alone[] = { "netcon-service", "--allow-host-loopback", NULL };
	char *mode[] = { "netcon-service", "--socket-mode", "0666", NULL };
	char *bad_mode[] = { "netcon-service", "--socket-mode", "0755", NULL };
	struct nc_config cfg;
	char err[256], a[INET6_ADDRSTRLEN];

	(void)state;
	assert_int_equal(parse(&cfg, err, nat), 0);
	inet_pton(AF_INET6, "fd00:6e63::99", &cfg.ip6);
	cfg.prefix6 = 64;
	assert_int_equal(nc_config_gateway(&cfg, err, sizeof(err)), 0);
	assert_string_equal(inet_ntoa(cfg.gw4), "198.18.0.1");
	assert_string_equal(inet_ntoa(cfg.gw_dns4), "198.18.0.2");
	assert_true(cfg.have_gw4 && cfg.have_gw6);
	inet_ntop(AF_INET6, &cfg.gw_host6, a, sizeof(a));
	assert_string_equal(a, "fd00:6e63::1");
	assert_int_equal(cfg.n_dns, 1);
	assert_int_equal(parse(&cfg, err, clash), 0);
	assert_int_equal(nc_config_gateway(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "gateway"));
	assert_int_equal(parse(&cfg, err, lo_alone), -1);
	assert_int_equal(parse(&cfg, err, mode), 0);
	assert_int_equal(cfg.socket_mode, 0666);
	assert_int_equal(parse(&cfg, err, bad_mode), -1);
}

/* A trailing program keeps its own arguments, options included. */
static void test_config_app(void **state)
{
	char *argv[] = { "netcon-service", "--ip", "198.18.0.5/16", "./app", "-x", "--mtu",
			 "junk", NULL };
	char *dashdash[] = { "netcon-service", "-q", "--", "-app", "--ip", NULL };
	char *only[] = { "netcon-service", "./app", NULL };
	struct nc_config cfg;
	char err[256];

	assert_int_equal(parse(&cfg, err, argv), 0);
	assert_true(cfg.have_ip4);
	assert_int_equal(cfg.mtu, NC_SWITCH_MTU);
	assert_non_null(cfg.app_argv);
	assert_string_equal(cfg.app_argv[0], "./app");
	assert_string_equal(cfg.app_argv[1], "-x");
	assert_string_equal(cfg.app_argv[2], "--mtu");
	assert_string_equal(cfg.app_argv[3], "junk");
	assert_null(cfg.app_argv[4]);

	assert_int_equal(parse(&cfg, err, dashdash), 0);
	assert_int_equal(cfg.verbosity, -1);
	assert_non_null(cfg.app_argv);
	assert_string_equal(cfg.app_argv[0], "-app");
	assert_string_equal(cfg.app_argv[1], "--ip");

	assert_int_equal(parse(&cfg, err, only), 0);
	assert_string_equal(cfg.app_argv[0], "./app");
}

/* Bad command lines fail with a message naming the problem. */
static void test_config_errors(void **state)
{
	static const struct {
		const char *args[4];
		const char *msg;	/* expected in the error text */
	} cases[] = {
		{ { "--bogus", "value" }, "unknown option" },
		{ { "-x", "-v" }, "unknown option" },
		{ { "--bogus" }, "unknown option" },
		{ { "-" }, "'-'" },
		{ { "--ip" }, "needs a value" },
		{ { "--net" }, "needs a value" },
		{ { "-v", "--mtu" }, "needs a value" },
		{ { "--net", "" }, "--net" },
		{ { "--socket", "" }, "--socket" },
		{ { "--group", "" }, "--group" },
		{ { "--ip", "junk" }, "--ip" },
		{ { "--ip", "198.18.0.5/0" }, "--ip" },
		{ { "--ip", "198.18.0.5/31" }, "--ip" },
		{ { "--ip", "198.18.0.5/33" }, "--ip" },
		{ { "--ip", "198.18.0.5/16x" }, "--ip" },
		{ { "--ip", "127.0.0.1/8" }, "--ip" },
		{ { "--ip", "0.0.0.0/16" }, "--ip" },
		{ { "--ip", "224.0.0.1/16" }, "--ip" },
		{ { "--ip", "198.18.0.0/16" }, "--ip" },
		{ { "--ip", "198.18.255.255/16" }, "--ip" },
		{ { "--ip6", "::/64" }, "--ip6" },
		{ { "--ip6", "::1/64" }, "--ip6" },
		{ { "--gateway", "224.0.0.1" }, "--gateway" },
		{ { "--mac", "00:00:00:00:00:00" }, "--mac" },
		{ { "--ip6", "junk" }, "--ip6" },
		{ { "--ip6", "fd00::1/0" }, "--ip6" },
		{ { "--ip6", "fd00::1/129" }, "--ip6" },
		{ { "--ip6", "ff02::1/64" }, "--ip6" },
		{ { "--gateway", "junk" }, "--gateway" },
		{ { "--gateway", "198.18.0.1/16" }, "--gateway" },
		{ { "--mtu", "1279" }, "--mtu" },
		{ { "--mtu", "65001" }, "--mtu" },
		{ { "--mtu", "" }, "--mtu" },
		{ { "--mac", "01:00:00:00:00:01" }, "--mac" },
		{ { "--mac", "02:00:00:00:00" }, "--mac" },
	};
	char long_value[400];
	struct nc_config cfg;
	char err[256];
	size_t i, j;

	for (i = 0; i < N_OF(cases); i++) {
		char *argv[6] = { "netcon-service" };

		for (j = 0; j < 4 && cases[i].args[j]; j++)
			argv[j + 1] = (char *)cases[i].args[j];
		if (parse(&cfg, err, argv) != -1)
			fail_msg("accepted bad command line, case %zu (%s)", i, cases[i].args[0]);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: error '%s' lacks '%s'", i, err, cases[i].msg);
	}

	/* Values too long for their fields are refused, not truncated. */
	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[0] = '/';
	long_value[sizeof(long_value) - 1] = '\0';
	{
		char *net[] = { "netcon-service", "--net", long_value, NULL };
		char *sock[] = { "netcon-service", "--socket", long_value, NULL };
		char *group[] = { "netcon-service", "--group", long_value, NULL };

		assert_int_equal(parse(&cfg, err, net), -1);
		assert_int_equal(parse(&cfg, err, sock), -1);
		assert_int_equal(parse(&cfg, err, group), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4_cidr),
		cmocka_unit_test(test_ip6_cidr),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_mtu),
		cmocka_unit_test(test_classify_link),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_full),
		cmocka_unit_test(test_config_mtu_default),
		cmocka_unit_test(test_underlay_mtu),
		cmocka_unit_test(test_config_uplink),
		cmocka_unit_test(test_config_flags),
		cmocka_unit_test(test_config_publish),
		cmocka_unit_test(test_config_gateway),
		cmocka_unit_test(test_config_app),
		cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests_name("config", tests, setup, NULL);
}
