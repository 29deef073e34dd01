/*
 * fuzz_rpc.c - libFuzzer harness for the RPC decoder: the three checks every
 * message passes before any of its fields is trusted (src/common/rpc.c).
 *
 * The first byte of an input chooses what the rest is: a request as the
 * service receives it, a reply as libnetcon receives it, or an accept record
 * as libnetcon reads it from a listening socket. The message is copied into
 * a buffer of exactly its length, aligned as a received message is, so that
 * AddressSanitizer sees any read past its end. Only the check functions are
 * called, so the harness follows the protocol as it changes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the harness read, kept where the compiler cannot drop the reads. */
volatile unsigned fuzz_rpc_sink;

/*
 * touch() - read what a successful check says may be read, the way the
 * receiver does next, so that a check passing a message it should not have
 * shows up as an over-read here.
 */
static unsigned touch(const uint8_t *msg, size_t len)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += msg[i];
	return sum;
}

/*
 * LLVMFuzzerTestOneInput() - one input: selector byte, then the message.
 * For a reply, the request it answers takes its op and sequence number
 * from the reply itself when the selector's top bit is set (so the fuzzer
 * reaches the checks past the match), else from the selector.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	struct nc_request req;
	uint8_t *msg;
	size_t len;
	int r = -1;

	if (size < 1)
		return 0;
	len = size - 1;
	msg = malloc(len ? len : 1);
	if (!msg)
		return 0;
	memcpy(msg, data + 1, len);
	switch (data[0] % 3) {
	case 0:
		r = nc_rpc_check_request(msg, len, &why);
		if (!r)
			fuzz_rpc_sink += nc_rpc_op_name(((const struct nc_request *)msg)->op)[0];
		break;
	case 1:
		nc_rpc_init_request(&req, (enum nc_op)((data[0] >> 2) % NC_OP_MAX_), 0);
		if ((data[0] & 0x80) && len >= 8) {
			req.op = msg[3];
			memcpy(&req.seq, msg + 4, sizeof(req.seq));
		}
		r = nc_rpc_check_reply(msg, len, &req, &why);
		break;
	case 2:
		r = nc_rpc_check_accept(msg, len, &why);
		break;
	}
	if (r)
		fuzz_rpc_sink += why ? (unsigned)why[0] : 0u;	/* a refusal always says why */
	else
		fuzz_rpc_sink += touch(msg, len);
	if (r && !why)
		abort();
	free(msg);
	return 0;
}
