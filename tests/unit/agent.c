/*
 * agent.c - unit tests for the OCI seccomp agent (src/seccomp/agent.c):
 * the container process state as runc 1.1.5 and crun 1.8.1 write it is
 * read, every proper beginning of it asks for more, malformed states are
 * refused with a reason, random bytes never crash the reader; and over a
 * real socket, a client that does what runc does (one stream connection,
 * the JSON with a real seccomp listener as SCM_RIGHTS) hands its listener
 * over, while wrong descriptors, too many, late ones, a stalled or a
 * vanished client are refused with nothing left open.
 *
 * agent.c is compiled into this test (the unit rule links the service's
 * objects, not the supervisor's).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp/agent.c"

#define FUZZ_ROUNDS 200000

/* What runc 1.1.5 sends (Go's encoding/json: compact, <>& escaped), for a Docker container. */
static const char RUNC[] =
	"{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":4242,\"metadata\":\"name=web\","
	"\"state\":{\"ociVersion\":\"1.0.2-dev\",\"id\":"
	"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"status\":\"creating\","
	"\"pid\":4242,\"bundle\":\"/run/containerd/io.containerd.runtime.v2.task/moby/0123\","
	"\"annotations\":{\"a\\u003cb\":\"x\\u0026y \\u00e9\\ud83d\\ude00\",\"org.opencontainers.image.stopSignal\":\"15\"}}}";

/* What crun 1.8.1 sends (yajl, beautified, ociVersion 0.2.0), here without an id. */
static const char CRUN[] =
	"{\n    \"ociVersion\": \"0.2.0\",\n    \"fds\": [\n        \"seccompFd\"\n    ],\n"
	"    \"pid\": 77,\n    \"state\": {\n        \"ociVersion\": \"0.2.0\",\n"
	"        \"status\": \"creating\",\n        \"pid\": 77,\n        \"bundle\": \"/b\",\n"
	"        \"annotations\": {\n            \"k\": \"v\"\n        }\n    }\n}\n";

/* parse() - nc_agent_parse_state() on a C string. */
static int parse(const char *s, struct nc_agent_state *st, char *why, size_t why_size)
{
	return nc_agent_parse_state(s, strlen(s), st, why, why_size);
}

/* test_runc_state() - runc's message: every field read, the name from listenerMetadata. */
static void test_runc_state(void **state)
{
	struct nc_agent_state st;
	char why[256], name[NC_AGENT_NAME_MAX];

	assert_int_equal(parse(RUNC, &st, why, sizeof(why)), 0);
	assert_string_equal(st.oci_version, "1.0.2-dev");
	assert_string_equal(st.status, "creating");
	assert_string_equal(st.metadata, "name=web");
	assert_int_equal(st.pid, 4242);
	assert_int_equal(st.nfds, 1);
	assert_int_equal(st.seccomp_index, 0);
	assert_int_equal(strlen(st.id), 64);
	assert_int_equal(nc_agent_state_name(&st, name, sizeof(name), why, sizeof(why)), 0);
	assert_string_equal(name, "web");
	/* Without metadata: Docker's long id, shortened as `docker ps` shows it. */
	st.has_metadata = 0;
	assert_int_equal(nc_agent_state_name(&st, name, sizeof(name), why, sizeof(why)), 0);
	assert_string_equal(name, "0123456789ab");
}

/* test_crun_state() - crun's pretty-printed message without an id: named by its pid. */
static void test_crun_state(void **state)
{
	struct nc_agent_state st;
	char why[256], name[NC_AGENT_NAME_MAX];

	assert_int_equal(parse(CRUN, &st, why, sizeof(why)), 0);
	assert_string_equal(st.oci_version, "0.2.0");
	assert_string_equal(st.id, "");
	assert_int_equal(st.has_metadata, 0);
	assert_int_equal(nc_agent_state_name(&st, name, sizeof(name), why, sizeof(why)), 0);
	assert_string_equal(name, "pid-77");
}

/* test_prefixes() - every proper beginning of a valid state asks for more, never fails. */
static void test_prefixes(void **state)
{
	const char *docs[] = { RUNC, CRUN };
	struct nc_agent_state st;
	char why[256];
	size_t d, n;

	for (d = 0; d < 2; d++) {
		size_t len = strlen(docs[d]);

		for (n = 0; n < len; n++) {
			int r = nc_agent_parse_state(docs[d], n, &st, why, sizeof(why));

			/* crun's ends with a newline: the object is whole one byte early. */
			if (d == 1 && n == len - 1) {
				assert_int_equal(r, 0);
				continue;
			}
			if (r != NC_AGENT_MORE)
				fail_msg("doc %zu, %zu of %zu bytes: %d (%s)", d, n, len, r, why);
		}
	}
}

/* test_malformed() - each is refused with a reason. */
static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"[]",
		"\"x\"",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{}} x",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{}}{}",
		"{\"ociVersion\":\"1\",\"ociVersion\":\"2\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\",\"seccompFd\"],\"pid\":1,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"other\"],\"pid\":1,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[],\"pid\":1,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"pid\":1,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":\"seccompFd\",\"pid\":1,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[3],\"pid\":1,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":\"1\",\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":-1,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1.5,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1e3,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":2147483648,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":01,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1}",
		"{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{}}",
		"{\"ociVersion\":\"\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":[]}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":1}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"a\",\"id\":\"b\"}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"annotations\":{\"k\":1}}}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"metadata\":7}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":tru}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":nul}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":[1,]}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":\"\\x\"}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":\"\\udc00\"}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":\"\\ud800x\"}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":\"\\u12g4\"}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":\"a\tb\"}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":\"\xc0\x80\"}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":\"\xed\xa0\x80\"}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":\"\xf4\x90\x80\x80\"}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":\"\xff\"}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":-}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":1.}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":+1}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":'a'}",
		"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"metadata\":\"a\\u0000b\"}",
		"{ociVersion:\"1\"}",
		"\xef\xbb\xbf{}",
	};
	struct nc_agent_state st;
	char why[256], doc[4096];
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		r = parse(bad[i], &st, why, sizeof(why));
		if (r != -EPROTO || !why[0])
			fail_msg("accepted or unexplained (%d): %s", r, bad[i]);
	}
	/* Too deep, too many descriptor names, strings too long for their field. */
	strcpy(doc, "{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{},\"x\":");
	for (i = 0; i < 40; i++)
		strcat(doc, "[");
	assert_int_equal(parse(doc, &st, why, sizeof(why)), -EPROTO);
	assert_non_null(strstr(why, "nested"));
	strcpy(doc, "{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"");
	for (i = 0; i < NC_AGENT_MAX_FDS; i++)
		strcat(doc, ",\"x\"");
	strcat(doc, "],\"pid\":1,\"state\":{}}");
	assert_int_equal(parse(doc, &st, why, sizeof(why)), -EPROTO);
	assert_non_null(strstr(why, "descriptor names"));
	strcpy(doc, "{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"");
	for (i = 0; i < 300; i++)
		strcat(doc, "a");
	strcat(doc, "\"}}");
	assert_int_equal(parse(doc, &st, why, sizeof(why)), -EPROTO);
	assert_non_null(strstr(why, "longer than"));
}

/* test_accepted_shapes() - what JSON allows and a runtime might do: nulls, unknown members, escapes. */
static void test_accepted_shapes(void **state)
{
	struct nc_agent_state st;
	char why[256];

	assert_int_equal(parse(" {\"pid\":0,\"x\":{\"y\":[true,false,null,-1.5e+3,0,\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]},"
			       "\"metadata\":null,\"fds\":[\"other\",\"seccompFd\"],\"ociVersion\":\"1.1.0\","
			       "\"state\":{\"annotations\":null,\"future\":{},\"id\":\"a+b.c_d-e\"}}\r\n",
			       &st, why, sizeof(why)), 0);
	assert_int_equal(st.nfds, 2);
	assert_int_equal(st.seccomp_index, 1);
	assert_int_equal(st.has_metadata, 0);
	assert_string_equal(st.id, "a+b.c_d-e");
	assert_int_equal(parse("{\"ociVersion\":\"\\u0031\",\"fds\":[\"seccompFd\"],\"pid\":2147483647,\"state\":{}}",
			       &st, why, sizeof(why)), 0);
	assert_string_equal(st.oci_version, "1");
	assert_int_equal(st.pid, 2147483647);
}

/* listenerMetadata a name must refuse: given twice, no value, no key, empty, a space, a path. */
static const char *const bad_names[] = { "name=a;name=b", "name", "=x", "name=", "name=a b", "name=../x\n" };
/* ...and a network: a parent folder, a path, given twice, empty. */
static const char *const bad_networks[] = { "network=..", "network=a/b", "network=a;network=b", "network=" };
/* test_names() - listenerMetadata's name=, the id's checks, truncation. */
static void test_names(void **state)
{
	struct nc_agent_state st;
	char why[256], name[NC_AGENT_NAME_MAX], small[5];

	memset(&st, 0, sizeof(st));
	st.has_metadata = 1;
	strcpy(st.id, "abc");
	strcpy(st.metadata, "net=x;name=db-1");
	assert_int_equal(nc_agent_state_name(&st, name, sizeof(name), why, sizeof(why)), 0);
	assert_string_equal(name, "db-1");
	strcpy(st.metadata, "net=x");
	assert_int_equal(nc_agent_state_name(&st, name, sizeof(name), why, sizeof(why)), 0);
	assert_string_equal(name, "abc");
	strcpy(st.metadata, "");
	assert_int_equal(nc_agent_state_name(&st, name, sizeof(name), why, sizeof(why)), 0);
	assert_string_equal(name, "abc");
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		strcpy(st.metadata, bad_names[i]);
		why[0] = '\0';
		assert_int_equal(nc_agent_state_name(&st, name, sizeof(name), why, sizeof(why)), -EPROTO);
		assert_non_null(strstr(why, "listenerMetadata"));
	}
	st.has_metadata = 0;
	strcpy(st.id, "bad/id");
	assert_int_equal(nc_agent_state_name(&st, name, sizeof(name), why, sizeof(why)), -EPROTO);
	strcpy(st.id, "0123456789abcdef");
	assert_int_equal(nc_agent_state_name(&st, small, sizeof(small), why, sizeof(why)), 0);
	assert_string_equal(small, "0123");
}

/* test_networks() - listenerMetadata network=NET: a folder's name, given once. */
static void test_networks(void **state)
{
	struct nc_agent_state st;
	char why[256], net[64], name[NC_AGENT_NAME_MAX];

	(void)state;
	memset(&st, 0, sizeof(st));
	st.has_metadata = 1;
	strcpy(st.metadata, "name=web;network=blue-1");
	assert_int_equal(nc_agent_state_network(&st, net, sizeof(net), why, sizeof(why)), 0);
	assert_string_equal(net, "blue-1");
	assert_int_equal(nc_agent_state_name(&st, name, sizeof(name), why, sizeof(why)), 0);
	assert_string_equal(name, "web");
	strcpy(st.metadata, "name=web");
	assert_int_equal(nc_agent_state_network(&st, net, sizeof(net), why, sizeof(why)), 0);
	assert_string_equal(net, "");
	for (size_t i = 0; i < sizeof(bad_networks) / sizeof(bad_networks[0]); i++) {
		strcpy(st.metadata, bad_networks[i]);
		why[0] = '\0';
		assert_int_equal(nc_agent_state_network(&st, net, sizeof(net), why, sizeof(why)), -EPROTO);
		assert_non_null(strstr(why, "network="));
	}
	st.has_metadata = 0;
	assert_int_equal(nc_agent_state_network(&st, net, sizeof(net), why, sizeof(why)), 0);
	assert_string_equal(net, "");
}

/* test_fuzz() - random bytes and mutated states: no crash, only the three results. */
static void test_fuzz(void **state)
{
	static const char alphabet[] = "{}[]\":,\\ tfn0123456789-.eEu\x80\xc3\xed\xf0 abc";
	struct nc_agent_state st;
	char why[256], buf[sizeof(RUNC) + 64];
	unsigned round;

	srandom(1234);
	for (round = 0; round < FUZZ_ROUNDS; round++) {
		size_t len, i, k;
		int r;

		if (round % 2) {
			len = (size_t)random() % 64;
			for (i = 0; i < len; i++)
				buf[i] = alphabet[(size_t)random() % (sizeof(alphabet) - 1)];
		} else {
			len = sizeof(RUNC) - 1;
			memcpy(buf, RUNC, len);
			for (k = 0; k < 1 + (size_t)random() % 4; k++)
				buf[(size_t)random() % len] = (char)random();
			if (random() % 4 == 0)
				len = (size_t)random() % len;
		}
		r = nc_agent_parse_state(buf, len, &st, why, sizeof(why));
		assert_true(r == 0 || r == NC_AGENT_MORE || r == -EPROTO);
		if (r == 0)
			assert_true(st.seccomp_index >= 0 && (unsigned)st.seccomp_index < st.nfds);
	}
}

/* ------------------------------------------------------------------------
 * Over a socket.
 */

static char dir[64], path[128];

/* open_fds() - how many descriptors this process has (to see nothing leaks). */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3;	/* ., .. and the directory's own */
}

/* make_listener() - a real seccomp listener: this process's filter notifies getpriority(), nothing else. */
static int make_listener(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpriority, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

enum client_kind {
	C_RUNC,			/* runc's way: one sendmsg, the listener */
	C_SPLIT,		/* the state in three sendmsg calls, descriptors on the first */
	C_PIPE,			/* a pipe instead of a listener */
	C_NONE,			/* no descriptor */
	C_TWO,			/* two descriptors for one name */
	C_LATE,			/* a descriptor on the second message */
	C_STALL,		/* half the state, then nothing (connection kept) */
	C_VANISH,		/* half the state, then closed */
	C_MANY,			/* 20 descriptors */
};

/* send_part() - one sendmsg of @len bytes with @n descriptors. */
static void send_part(int s, const char *b, size_t len, const int *fds, int n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 32)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)b, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (n) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)n);
	}
	if (sendmsg(s, &msg, MSG_NOSIGNAL) != (ssize_t)len)
		_exit(10);
}

/* client() - a child that connects to the agent and sends as @kind says; its pid. */
static pid_t client(enum client_kind kind)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t pid = fork();
	size_t len = sizeof(RUNC) - 1;
	int s, fds[32], p[2], i;

	assert_true(pid >= 0);
	if (pid)
		return pid;
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		_exit(11);
	if (pipe(p) < 0)
		_exit(12);
	fds[0] = kind == C_PIPE ? p[0] : make_listener();
	if (fds[0] < 0)
		_exit(13);
	for (i = 1; i < 32; i++)
		fds[i] = p[1];
	switch (kind) {
	case C_RUNC:
	case C_PIPE:
		send_part(s, RUNC, len, fds, 1);
		break;
	case C_SPLIT:
		send_part(s, RUNC, 10, fds, 1);
		usleep(50000);
		send_part(s, RUNC + 10, 100, NULL, 0);
		usleep(50000);
		send_part(s, RUNC + 110, len - 110, NULL, 0);
		break;
	case C_NONE:
		send_part(s, RUNC, len, NULL, 0);
		break;
	case C_TWO:
		send_part(s, RUNC, len, fds, 2);
		break;
	case C_LATE:
		send_part(s, RUNC, 10, NULL, 0);
		usleep(50000);
		send_part(s, RUNC + 10, len - 10, fds, 1);
		break;
	case C_STALL:
		send_part(s, RUNC, len / 2, fds, 1);
		pause();	/* killed by the test */
		break;
	case C_VANISH:
		send_part(s, RUNC, len / 2, fds, 1);
		break;
	case C_MANY:
		send_part(s, RUNC, len, fds, 20);
		break;
	}
	/* runc leaves its end open for a while: the agent must not wait for its close. */
	usleep(kind == C_VANISH ? 0 : 300000);
	_exit(0);
}

/* accept_one() - wait for a connection on @lfd, then nc_agent_accept(). */
static int accept_one(int lfd, char *name, size_t name_size)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, 5000), 1);
	char net[64];

	return nc_agent_accept(lfd, name, name_size, net, sizeof(net));
}

/* run_client() - one client of @kind against a fresh accept; the result, the client reaped. */
static int run_client(int lfd, enum client_kind kind, char *name, size_t name_size)
{
	pid_t pid = client(kind);
	int r = accept_one(lfd, name, name_size), status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return r;
}

/* test_socket() - listen, the mode, a second agent, a stale socket, no connection waiting. */
static void test_socket(void **state)
{
	char name[NC_AGENT_NAME_MAX], net[64];
	struct stat stb;
	int lfd, lfd2;

	strcpy(dir, "/tmp/netcon-agent-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/agent.sock", dir);
	lfd = nc_agent_listen(path, 0600);
	assert_true(lfd >= 0);
	assert_int_equal(stat(path, &stb), 0);
	assert_true(S_ISSOCK(stb.st_mode));
	assert_int_equal(stb.st_mode & 0777, 0600);
	assert_int_equal(nc_agent_listen(path, 0600), -EADDRINUSE);
	/* Its probe connection said nothing: not a runtime, and not an error. */
	assert_int_equal(accept_one(lfd, name, sizeof(name)), -ENODATA);
	assert_int_equal(nc_agent_accept(lfd, name, sizeof(name), net, sizeof(net)), -EAGAIN);
	close(lfd);
	/* The closed agent's socket file is stale now: replaced, with another mode. */
	lfd = nc_agent_listen(path, 0660);
	assert_true(lfd >= 0);
	assert_int_equal(stat(path, &stb), 0);
	assert_int_equal(stb.st_mode & 0777, 0660);
	close(lfd);
	unlink(path);
	/* Something else at the path is left alone. */
	close(open(path, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(nc_agent_listen(path, 0600), -EEXIST);
	unlink(path);
	assert_int_equal(nc_agent_listen("", 0600), -EINVAL);
	lfd2 = nc_agent_listen("/tmp/" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0600);
	assert_int_equal(lfd2, -ENAMETOOLONG);
}

/* test_runtime_clients() - runc's way works; each wrong way is refused with nothing left open. */
static void test_runtime_clients(void **state)
{
	char name[NC_AGENT_NAME_MAX];
	int lfd, fd, before;

	lfd = nc_agent_listen(path, 0600);
	assert_true(lfd >= 0);
	before = open_fds();

	fd = run_client(lfd, C_RUNC, name, sizeof(name));
	assert_true(fd >= 0);
	assert_true(is_seccomp_listener(fd));
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_string_equal(name, "web");
	close(fd);
	fd = run_client(lfd, C_SPLIT, name, sizeof(name));
	assert_true(fd >= 0);
	assert_true(is_seccomp_listener(fd));
	close(fd);
	assert_int_equal(open_fds(), before);

	assert_int_equal(run_client(lfd, C_PIPE, name, sizeof(name)), -EBADF);
	assert_string_equal(name, "");
	assert_int_equal(run_client(lfd, C_NONE, name, sizeof(name)), -EBADF);
	assert_int_equal(run_client(lfd, C_TWO, name, sizeof(name)), -EPROTO);
	assert_int_equal(run_client(lfd, C_LATE, name, sizeof(name)), -EPROTO);
	assert_int_equal(run_client(lfd, C_VANISH, name, sizeof(name)), -EPROTO);
	assert_int_equal(run_client(lfd, C_MANY, name, sizeof(name)), -EPROTO);
	assert_int_equal(run_client(lfd, C_STALL, name, sizeof(name)), -ETIMEDOUT);
	assert_int_equal(open_fds(), before);
	close(lfd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runc_state),
		cmocka_unit_test(test_crun_state),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_accepted_shapes),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_runtime_clients),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
