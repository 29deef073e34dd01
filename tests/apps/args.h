/* args.h - command-line helpers shared by the test programs (each is one C file). */
#ifndef NETCON_TEST_ARGS_H
#define NETCON_TEST_ARGS_H

#include <errno.h>
#include <stdlib.h>

/* parse_number() - a decimal number no larger than @max. */
static int parse_number(const char *text, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* parse_size() - a byte count with an optional K, M or G (binary) suffix. */
static int parse_size(const char *text, unsigned long long *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	}
	if (*end || (shift && v > (~0ull >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}

#endif
