/*
 * test_addr.c - unit tests for socket address conversion (addr.c): both
 * families, the kernel's errors for wrong families and lengths, and
 * IPv4-mapped IPv6 addresses on AF_INET6 sockets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "service/addr.h"

/* sin_of() - an IPv4 socket address from text and a host-order port. */
static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	return sin;
}

/* sin6_of() - an IPv6 socket address from text and a host-order port. */
static struct sockaddr_in6 sin6_of(const char *ip, uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	return sin6;
}

/* IPv4 on an AF_INET socket: address and port survive the round trip. */
static void test_ipv4_round_trip(void **state)
{
	struct sockaddr_in in = sin_of("198.18.0.5", 7777), out;
	struct sockaddr_in6 big;
	ip_addr_t ip;
	uint16_t port = 0;
	bool mapped = true;

	assert_int_equal(nc_addr_from_sockaddr(&in, sizeof(in), AF_INET, &ip, &port, &mapped), 0);
	assert_true(IP_IS_V4(&ip));
	assert_false(mapped);
	assert_int_equal(port, 7777);
	assert_int_equal(ip4_addr_get_u32(ip_2_ip4(&ip)), in.sin_addr.s_addr);
	assert_string_equal(nc_addr_str(&ip, port), "198.18.0.5:7777");

	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(nc_addr_to_sockaddr(&ip, port, AF_INET, &out), sizeof(out));
	assert_int_equal(out.sin_family, AF_INET);
	assert_int_equal(out.sin_port, in.sin_port);
	assert_int_equal(out.sin_addr.s_addr, in.sin_addr.s_addr);
	assert_memory_equal(&out, &in, sizeof(in));	/* sin_zero cleared too */

	/* A longer buffer than a sockaddr_in is fine, as with the kernel. */
	memset(&big, 0, sizeof(big));
	memcpy(&big, &in, sizeof(in));
	assert_int_equal(nc_addr_from_sockaddr(&big, sizeof(big), AF_INET, &ip, &port, &mapped),
			 0);
	assert_int_equal(port, 7777);
}

/* IPv6 on an AF_INET6 socket: address and port survive; no zone is kept. */
static void test_ipv6_round_trip(void **state)
{
	struct sockaddr_in6 in = sin6_of("fd00:6e63::5", 443), out;
	ip_addr_t ip;
	uint16_t port = 0;
	bool mapped = true;

	in.sin6_scope_id = 3;
	assert_int_equal(nc_addr_from_sockaddr(&in, sizeof(in), AF_INET6, &ip, &port, &mapped), 0);
	assert_true(IP_IS_V6(&ip));
	assert_false(mapped);
	assert_int_equal(port, 443);
	assert_memory_equal(ip_2_ip6(&ip)->addr, &in.sin6_addr, 16);
	assert_string_equal(nc_addr_str(&ip, port), "[fd00:6e63::5]:443");

	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(nc_addr_to_sockaddr(&ip, port, AF_INET6, &out), sizeof(out));
	assert_int_equal(out.sin6_family, AF_INET6);
	assert_int_equal(out.sin6_port, in.sin6_port);
	assert_memory_equal(&out.sin6_addr, &in.sin6_addr, 16);
	assert_int_equal(out.sin6_flowinfo, 0);
	assert_int_equal(out.sin6_scope_id, 0);
}

/* Ports keep their value through the host-order lwIP side, at the extremes too. */
static void test_ports(void **state)
{
	const uint16_t ports[] = { 0, 1, 255, 256, 0x1234, 0x8000, 65535 };
	size_t i;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct sockaddr_in in = sin_of("10.0.0.1", ports[i]), out;
		struct sockaddr_in6 in6 = sin6_of("::1", ports[i]), out6;
		ip_addr_t ip;
		uint16_t port;
		bool mapped;

		assert_int_equal(nc_addr_from_sockaddr(&in, sizeof(in), AF_INET, &ip, &port,
						       &mapped), 0);
		assert_int_equal(port, ports[i]);
		nc_addr_to_sockaddr(&ip, port, AF_INET, &out);
		assert_int_equal(out.sin_port, in.sin_port);

		assert_int_equal(nc_addr_from_sockaddr(&in6, sizeof(in6), AF_INET6, &ip, &port,
						       &mapped), 0);
		assert_int_equal(port, ports[i]);
		nc_addr_to_sockaddr(&ip, port, AF_INET6, &out6);
		assert_int_equal(out6.sin6_port, in6.sin6_port);
	}
}

/* IPv4-mapped on an AF_INET6 socket: IPv4 inside, the mapped form outside. */
static void test_mapped(void **state)
{
	struct sockaddr_in6 in = sin6_of("::ffff:198.18.0.1", 8080), out;
	struct sockaddr_in v4 = sin_of("198.18.0.1", 0);
	ip_addr_t ip;
	uint16_t port = 0;
	bool mapped = false;

	assert_int_equal(nc_addr_from_sockaddr(&in, sizeof(in), AF_INET6, &ip, &port, &mapped), 0);
	assert_true(mapped);
	assert_true(IP_IS_V4(&ip));
	assert_int_equal(ip4_addr_get_u32(ip_2_ip4(&ip)), v4.sin_addr.s_addr);
	assert_int_equal(port, 8080);

	assert_int_equal(nc_addr_to_sockaddr(&ip, port, AF_INET6, &out), sizeof(out));
	assert_int_equal(out.sin6_family, AF_INET6);
	assert_int_equal(out.sin6_port, in.sin6_port);
	assert_true(IN6_IS_ADDR_V4MAPPED(&out.sin6_addr));
	assert_memory_equal(&out.sin6_addr, &in.sin6_addr, 16);

	/* The same IPv4 address given to an AF_INET socket is not "mapped". */
	v4.sin_port = htons(8080);
	assert_int_equal(nc_addr_from_sockaddr(&v4, sizeof(v4), AF_INET, &ip, &port, &mapped), 0);
	assert_false(mapped);
	/* An IPv4 address read back on an AF_INET6 socket comes out mapped. */
	nc_addr_to_sockaddr(&ip, port, AF_INET6, &out);
	assert_memory_equal(&out.sin6_addr, &in.sin6_addr, 16);
}

/* The wildcard addresses: 0.0.0.0 and :: stay wildcards on each family. */
static void test_any(void **state)
{
	struct sockaddr_in any4 = sin_of("0.0.0.0", 80), out;
	struct sockaddr_in6 any6 = sin6_of("::", 80), out6;
	ip_addr_t ip;
	uint16_t port;
	bool mapped;

	assert_int_equal(nc_addr_from_sockaddr(&any4, sizeof(any4), AF_INET, &ip, &port, &mapped),
			 0);
	assert_true(ip_addr_isany(&ip));
	nc_addr_to_sockaddr(&ip, port, AF_INET, &out);
	assert_memory_equal(&out, &any4, sizeof(out));

	assert_int_equal(nc_addr_from_sockaddr(&any6, sizeof(any6), AF_INET6, &ip, &port,
					       &mapped), 0);
	assert_true(ip_addr_isany(&ip));
	assert_false(mapped);
	nc_addr_to_sockaddr(&ip, port, AF_INET6, &out6);
	assert_memory_equal(&out6, &any6, sizeof(out6));
}

/* Wrong families and short lengths give the kernel's errors. */
static void test_errors(void **state)
{
	struct sockaddr_in in = sin_of("198.18.0.5", 80);
	struct sockaddr_in6 in6 = sin6_of("fd00:6e63::5", 80);
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/tmp/x" };
	ip_addr_t ip;
	uint16_t port;
	bool mapped;

	/* An IPv6 address on an AF_INET socket. */
	assert_int_equal(nc_addr_from_sockaddr(&in6, sizeof(in6), AF_INET, &ip, &port, &mapped),
			 -EAFNOSUPPORT);
	assert_int_equal(nc_addr_from_sockaddr(&un, sizeof(un), AF_INET, &ip, &port, &mapped),
			 -EAFNOSUPPORT);

	/* Lengths too short for the family. */
	assert_int_equal(nc_addr_from_sockaddr(&in, 0, AF_INET, &ip, &port, &mapped), -EINVAL);
	assert_int_equal(nc_addr_from_sockaddr(&in, 1, AF_INET, &ip, &port, &mapped), -EINVAL);
	assert_int_equal(nc_addr_from_sockaddr(&in, sizeof(in) - 1, AF_INET, &ip, &port,
					       &mapped), -EINVAL);
	assert_int_equal(nc_addr_from_sockaddr(&in6, 0, AF_INET6, &ip, &port, &mapped), -EINVAL);
	assert_int_equal(nc_addr_from_sockaddr(&in6, 1, AF_INET6, &ip, &port, &mapped), -EINVAL);
	assert_int_equal(nc_addr_from_sockaddr(&in6, sizeof(struct sockaddr_in), AF_INET6, &ip,
					       &port, &mapped), -EINVAL);

	/* Whatever the error, *mapped is left false. */
	mapped = true;
	assert_int_not_equal(nc_addr_from_sockaddr(&in, 1, AF_INET6, &ip, &port, &mapped), 0);
	assert_false(mapped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_round_trip),
		cmocka_unit_test(test_ipv6_round_trip),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
