/*
 * fuzz_agent.c - libFuzzer harness for the OCI seccomp agent's reader of a
 * runtime's container process state (src/seccomp/agent.c): the JSON a
 * container runtime sends to netcon-supervise --agent, and the name made
 * from it. Any process that can reach the agent's socket can send it.
 *
 * The input is copied into a buffer of exactly its length (no terminating
 * NUL), as a received message is, so that AddressSanitizer sees any read
 * past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the harness read, kept where the compiler cannot drop the reads. */
volatile unsigned fuzz_agent_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nc_agent_state st;
	char why[256], name[NC_AGENT_NAME_MAX];
	char *buf = malloc(size ? size : 1);
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = nc_agent_parse_state(buf, size, &st, why, sizeof(why));
	fuzz_agent_sink += (unsigned)strlen(why);
	if (r == 0) {
		/* What a parsed state promises: terminated strings, an index inside "fds". */
		fuzz_agent_sink += (unsigned)(strlen(st.id) + strlen(st.status) + strlen(st.metadata) +
					      strlen(st.oci_version));
		if (st.seccomp_index < 0 || (unsigned)st.seccomp_index >= st.nfds)
			abort();
		if (nc_agent_state_name(&st, name, sizeof(name), why, sizeof(why)) == 0)
			fuzz_agent_sink += (unsigned)strlen(name);
		if (nc_agent_state_network(&st, name, 64, why, sizeof(why)) == 0)
			fuzz_agent_sink += (unsigned)strlen(name);
	}
	free(buf);
	return 0;
}
