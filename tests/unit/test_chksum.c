/*
 * test_chksum.c - unit tests for netcon_chksum() (chksum.c): every length
 * and start offset against RFC 1071's definition summed byte pair by byte
 * pair, carries that wrap many times, and known packets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "service/chksum.h"

/*
 * reference_sum() - RFC 1071 as written: 16-bit words in memory order, read
 * in host byte order (what lwIP expects), odd byte padded, carries folded.
 */
static unsigned short reference_sum(const unsigned char *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		uint16_t w;

		memcpy(&w, p + i, 2);
		sum += w;
	}
	if (len & 1) {
		unsigned char pair[2] = { p[len - 1], 0 };
		uint16_t w;

		memcpy(&w, pair, 2);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned short)sum;
}

/* Random bytes, every length up to 300 and every start offset up to 15. */
static void test_matches_reference(void **state)
{
	unsigned char buf[320];
	size_t len, off;
	int round;

	(void)state;
	srand(12345);
	for (round = 0; round < 20; round++) {
		for (len = 0; len < sizeof(buf); len++)
			buf[len] = (unsigned char)rand();
		for (off = 0; off < 16; off++)
			for (len = 0; len + off <= 300; len++)
				assert_int_equal(netcon_chksum(buf + off, (int)len),
						 reference_sum(buf + off, len));
	}
}

/* All ones for 64 KiB: the sum carries out of every width many times. */
static void test_carries(void **state)
{
	static unsigned char buf[65536];
	size_t len;

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	for (len = 65520; len <= sizeof(buf); len++)
		assert_int_equal(netcon_chksum(buf, (int)len), reference_sum(buf, len));
	buf[100] = 0xfe;
	assert_int_equal(netcon_chksum(buf + 1, 65535), reference_sum(buf + 1, 65535));
}

/*
 * A real IPv4 header (RFC 1071's example style): summed with its checksum
 * field in place, the inverted sum is zero; with the field zeroed, the
 * inverted sum is the field.
 */
static void test_ipv4_header(void **state)
{
	unsigned char hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				  0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	(void)state;
	assert_int_equal((unsigned short)~netcon_chksum(hdr, 20), 0);
	hdr[10] = hdr[11] = 0;
	{
		unsigned short c = (unsigned short)~netcon_chksum(hdr, 20);
		unsigned char *b = (unsigned char *)&c;

		assert_int_equal(b[0], 0xb8);
		assert_int_equal(b[1], 0x61);
	}
}

/* Zero and negative lengths sum nothing. */
static void test_empty(void **state)
{
	unsigned char b = 0xab;

	(void)state;
	assert_int_equal(netcon_chksum(&b, 0), 0);
	assert_int_equal(netcon_chksum(&b, -1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_reference),
		cmocka_unit_test(test_carries),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests_name("chksum", tests, NULL, NULL);
}
