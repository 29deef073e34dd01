/*
 * agent.c - the OCI seccomp agent: the other end of a container profile's
 * linux.seccomp.listenerPath.
 *
 * What runtimes send (runtime-spec config-linux.md, "listenerPath" and "The
 * Container Process State"; checked against runc 1.1.5's
 * libcontainer/process_linux.go sendContainerProcessState() and crun
 * 1.8.1's get_seccomp_receiver_fd_payload()/send_fd_to_socket_with_payload()):
 *
 *  - one AF_UNIX SOCK_STREAM connection per container process whose filter
 *    has a SCMP_ACT_NOTIFY rule (the container's init at create, and every
 *    `runc exec`/`docker exec` process);
 *  - one JSON object, the "container process state": "ociVersion", "fds"
 *    (the names of the descriptors sent, in SCM_RIGHTS order: ["seccompFd"]),
 *    "pid" (the process as the runtime sees it), "metadata" (the profile's
 *    listenerMetadata, omitted when empty) and "state" (the container's
 *    runtime state: "ociVersion", "id", "status" — "creating" at create,
 *    "running" for an exec —, "pid", "bundle", "annotations"). runc sends it
 *    compact from Go's encoding/json (<, >, & as \u003c...), crun
 *    pretty-printed by yajl with ociVersion "0.2.0" and without "id" when it
 *    has none;
 *  - the descriptors as SCM_RIGHTS on the first sendmsg() (both send
 *    everything in one call; the spec allows more calls, descriptors only
 *    in the first);
 *  - no answer is read. runc 1.1.5 does not even close its end (it is left
 *    to Go's garbage collector, or to runc's exit: a `runc exec` in the
 *    foreground keeps it open for as long as the process runs), so the end
 *    of the state is found by parsing, never by waiting for end-of-file.
 *
 * Everything received crosses a process boundary and is checked: the JSON
 * strictly (RFC 8259: UTF-8, escapes, numbers, nesting, nothing after the
 * object), with bounded sizes and a deadline; the descriptors against the
 * names in "fds"; the listener by what the kernel calls it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4, struct ucred, strchrnul */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "../common/log.h"

/* ------------------------------------------------------------------------
 * A strict JSON reader for the container process state.
 */

enum { JP_OK = 0, JP_MORE = NC_AGENT_MORE, JP_BAD = -1 };

#define JP_MAX_DEPTH 32		/* objects and arrays inside one another */
#define JP_MAX_KEY 256		/* bytes of a member name */
#define JP_MAX_NUMBER 64	/* characters of a number */

struct jp {
	const char *s;
	size_t len, pos;
	int depth;
	char *why;
	size_t why_size;
};

/* Propagate anything but JP_OK. */
#define JP_TRY(expr) do { int jp_r_ = (expr); if (jp_r_ != JP_OK) return jp_r_; } while (0)

/* jp_bad() - record why the input is refused (with its offset); returns JP_BAD. */
__attribute__((format(printf, 2, 3))) static int jp_bad(struct jp *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->why || !p->why_size)
		return JP_BAD;
	n = snprintf(p->why, p->why_size, "at byte %zu: ", p->pos);
	if (n >= 0 && (size_t)n < p->why_size) {
		va_start(ap, fmt);
		vsnprintf(p->why + n, p->why_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return JP_BAD;
}

/* jp_ws() - skip JSON white space (space, tab, newline, carriage return only). */
static void jp_ws(struct jp *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

/* jp_peek() - the next byte after white space, or JP_MORE at the end of the input. */
static int jp_peek(struct jp *p, char *c)
{
	jp_ws(p);
	if (p->pos >= p->len)
		return JP_MORE;
	*c = p->s[p->pos];
	return JP_OK;
}

/* jp_expect() - the next byte (after white space) must be @c; it is consumed. */
static int jp_expect(struct jp *p, char c, const char *what)
{
	char got;

	JP_TRY(jp_peek(p, &got));
	if (got != c)
		return jp_bad(p, "expected %s", what);
	p->pos++;
	return JP_OK;
}

/* jp_hex4() - four hexadecimal digits at the position (consumed) into *@v. */
static int jp_hex4(struct jp *p, unsigned *v)
{
	unsigned i, d;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c;

		if (p->pos >= p->len)
			return JP_MORE;
		c = p->s[p->pos];
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return jp_bad(p, "bad \\u escape");
		*v = *v << 4 | d;
		p->pos++;
	}
	return JP_OK;
}

/* jp_put() - append @n bytes to a decoded string (when it is kept); bounded. */
static int jp_put(struct jp *p, char *out, size_t out_size, size_t *olen, const char *b, size_t n)
{
	if (!out)
		return JP_OK;
	if (*olen + n >= out_size)
		return jp_bad(p, "string longer than %zu bytes", out_size - 1);
	memcpy(out + *olen, b, n);
	*olen += n;
	out[*olen] = '\0';
	return JP_OK;
}

/* jp_utf8() - one raw multi-byte UTF-8 sequence at the position (consumed, copied): well-formed only. */
static int jp_utf8(struct jp *p, char *out, size_t out_size, size_t *olen)
{
	const unsigned char *u = (const unsigned char *)p->s + p->pos;
	unsigned char c = u[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;		/* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f;		/* no UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;		/* nothing above U+10FFFF */
	} else
		return jp_bad(p, "invalid UTF-8");
	for (i = 1; i < n; i++) {
		if (p->pos + i >= p->len)
			return JP_MORE;
		if (u[i] < (i == 1 ? lo : 0x80) || u[i] > (i == 1 ? hi : 0xbf))
			return jp_bad(p, "invalid UTF-8");
	}
	JP_TRY(jp_put(p, out, out_size, olen, (const char *)u, n));
	p->pos += n;
	return JP_OK;
}

/* jp_escape() - one escape after a backslash (the position is on the backslash), decoded. */
static int jp_escape(struct jp *p, char *out, size_t out_size, size_t *olen)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	unsigned cp, lo;
	char b[4];
	size_t n;

	if (p->pos + 1 >= p->len)
		return JP_MORE;
	p->pos++;
	if (p->s[p->pos] != 'u') {
		e = p->s[p->pos] ? strchr(from, p->s[p->pos]) : NULL;
		if (!e)
			return jp_bad(p, "bad escape");
		p->pos++;
		return jp_put(p, out, out_size, olen, &to[e - from], 1);
	}
	p->pos++;
	JP_TRY(jp_hex4(p, &cp));
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return jp_bad(p, "a lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->pos + 2 > p->len)
			return JP_MORE;
		if (p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return jp_bad(p, "a high surrogate without its low half");
		p->pos += 2;
		JP_TRY(jp_hex4(p, &lo));
		if (lo < 0xdc00 || lo > 0xdfff)
			return jp_bad(p, "a high surrogate without its low half");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0 && out)
		return jp_bad(p, "a NUL character (\\u0000) in a string");
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return jp_put(p, out, out_size, olen, b, n);
}

/*
 * jp_string() - a string at the position (after white space). Decoded into
 * @out (NUL-terminated, at most @out_size - 1 bytes, no NUL inside) when
 * @out is given; only checked otherwise.
 */
static int jp_string(struct jp *p, char *out, size_t out_size)
{
	size_t olen = 0;

	JP_TRY(jp_expect(p, '"', "a string"));
	if (out)
		out[0] = '\0';
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len)
			return JP_MORE;
		c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			return JP_OK;
		}
		if (c < 0x20)
			return jp_bad(p, "a control character in a string");
		if (c == '\\')
			JP_TRY(jp_escape(p, out, out_size, &olen));
		else if (c >= 0x80)
			JP_TRY(jp_utf8(p, out, out_size, &olen));
		else {
			JP_TRY(jp_put(p, out, out_size, &olen, (const char *)&c, 1));
			p->pos++;
		}
	}
}

/*
 * jp_number() - a number at the position (after white space), RFC 8259's
 * grammar. With @ival: it must be a non-negative integer no larger than
 * INT_MAX (no fraction, no exponent), stored there.
 */
static int jp_number(struct jp *p, int *ival)
{
	size_t start;
	long long v = 0;
	bool frac = false;
	char c;

	JP_TRY(jp_peek(p, &c));
	start = p->pos;
	if (c == '-') {
		if (ival)
			return jp_bad(p, "a negative number where a process id was expected");
		p->pos++;
	}
#define JP_CH() (p->pos < p->len ? p->s[p->pos] : '\0')
#define JP_NEED() do { if (p->pos >= p->len) return JP_MORE; } while (0)
	JP_NEED();
	if (JP_CH() == '0') {
		p->pos++;
	} else if (JP_CH() >= '1' && JP_CH() <= '9') {
		while (p->pos < p->len && JP_CH() >= '0' && JP_CH() <= '9') {
			if (ival) {
				v = v * 10 + (JP_CH() - '0');
				if (v > INT_MAX)
					return jp_bad(p, "a number too large for a process id");
			}
			p->pos++;
		}
	} else
		return jp_bad(p, "a bad number");
	JP_NEED();
	if (JP_CH() == '.') {
		frac = true;
		p->pos++;
		JP_NEED();
		if (!(JP_CH() >= '0' && JP_CH() <= '9'))
			return jp_bad(p, "a bad number (no digit after the point)");
		while (p->pos < p->len && JP_CH() >= '0' && JP_CH() <= '9')
			p->pos++;
		JP_NEED();
	}
	if (JP_CH() == 'e' || JP_CH() == 'E') {
		frac = true;
		p->pos++;
		JP_NEED();
		if (JP_CH() == '+' || JP_CH() == '-')
			p->pos++;
		JP_NEED();
		if (!(JP_CH() >= '0' && JP_CH() <= '9'))
			return jp_bad(p, "a bad number (no digit in the exponent)");
		while (p->pos < p->len && JP_CH() >= '0' && JP_CH() <= '9')
			p->pos++;
		JP_NEED();	/* the object goes on after a number: its end is never the input's */
	}
#undef JP_CH
#undef JP_NEED
	if (p->pos - start > JP_MAX_NUMBER)
		return jp_bad(p, "a number of more than %d characters", JP_MAX_NUMBER);
	if (ival) {
		if (frac)
			return jp_bad(p, "a fraction where a process id was expected");
		*ival = (int)v;
	}
	return JP_OK;
}

/* jp_literal() - the word @w (true, false, null) at the position. */
static int jp_literal(struct jp *p, const char *w)
{
	size_t i, n = strlen(w);

	for (i = 0; i < n; i++) {
		if (p->pos + i >= p->len)
			return JP_MORE;
		if (p->s[p->pos + i] != w[i])
			return jp_bad(p, "an unknown word (not true, false or null)");
	}
	p->pos += n;
	return JP_OK;
}

/* jp_is_null() - whether the next value is null (then consumed). */
static int jp_is_null(struct jp *p, bool *null)
{
	char c;

	JP_TRY(jp_peek(p, &c));
	*null = c == 'n';
	return *null ? jp_literal(p, "null") : JP_OK;
}

typedef int (*jp_member_fn)(struct jp *p, const char *key, void *arg);
static int jp_value(struct jp *p);

/*
 * jp_object() - an object at the position: for each member, @member(key)
 * parses its value. Member names longer than JP_MAX_KEY are refused.
 */
static int jp_object(struct jp *p, jp_member_fn member, void *arg)
{
	char key[JP_MAX_KEY + 1], c;

	JP_TRY(jp_expect(p, '{', "an object"));
	if (++p->depth > JP_MAX_DEPTH)
		return jp_bad(p, "nested more than %d deep", JP_MAX_DEPTH);
	JP_TRY(jp_peek(p, &c));
	if (c == '}') {
		p->pos++;
		p->depth--;
		return JP_OK;
	}
	for (;;) {
		JP_TRY(jp_peek(p, &c));
		if (c != '"')
			return jp_bad(p, "expected a member name");
		JP_TRY(jp_string(p, key, sizeof(key)));
		JP_TRY(jp_expect(p, ':', "':' after a member name"));
		JP_TRY(member(p, key, arg));
		JP_TRY(jp_peek(p, &c));
		p->pos++;
		if (c == '}')
			break;
		if (c != ',') {
			p->pos--;
			return jp_bad(p, "expected ',' or '}' in an object");
		}
	}
	p->depth--;
	return JP_OK;
}

/* jp_skip_member() - any member's value, checked and passed over. */
static int jp_skip_member(struct jp *p, const char *key, void *arg)
{
	return jp_value(p);
}

/* jp_array() - an array at the position: @element parses each value. */
static int jp_array(struct jp *p, int (*element)(struct jp *p, unsigned i, void *arg), void *arg)
{
	unsigned i = 0;
	char c;

	JP_TRY(jp_expect(p, '[', "an array"));
	if (++p->depth > JP_MAX_DEPTH)
		return jp_bad(p, "nested more than %d deep", JP_MAX_DEPTH);
	JP_TRY(jp_peek(p, &c));
	if (c == ']') {
		p->pos++;
		p->depth--;
		return JP_OK;
	}
	for (;; i++) {
		JP_TRY(element(p, i, arg));
		JP_TRY(jp_peek(p, &c));
		p->pos++;
		if (c == ']')
			break;
		if (c != ',') {
			p->pos--;
			return jp_bad(p, "expected ',' or ']' in an array");
		}
	}
	p->depth--;
	return JP_OK;
}

/* jp_skip_element() - any array element, checked and passed over. */
static int jp_skip_element(struct jp *p, unsigned i, void *arg)
{
	return jp_value(p);
}

/* jp_value() - any JSON value at the position, checked and passed over. */
static int jp_value(struct jp *p)
{
	char c;

	JP_TRY(jp_peek(p, &c));
	switch (c) {
	case '{':
		return jp_object(p, jp_skip_member, NULL);
	case '[':
		return jp_array(p, jp_skip_element, NULL);
	case '"':
		return jp_string(p, NULL, 0);
	case 't':
		return jp_literal(p, "true");
	case 'f':
		return jp_literal(p, "false");
	case 'n':
		return jp_literal(p, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return jp_number(p, NULL);
		return jp_bad(p, "expected a value");
	}
}

/* ------------------------------------------------------------------------
 * The container process state's members.
 */

enum {
	SEEN_VERSION = 1, SEEN_FDS = 2, SEEN_PID = 4, SEEN_METADATA = 8, SEEN_STATE = 16,
	/* inside "state" */
	SEEN_S_VERSION = 32, SEEN_S_ID = 64, SEEN_S_STATUS = 128, SEEN_S_PID = 256,
	SEEN_S_BUNDLE = 512, SEEN_S_ANNOTATIONS = 1024,
};

struct state_parse {
	struct nc_agent_state *st;
	unsigned seen;
};

/* once() - a known member may appear only once (a second one could say something else). */
static int once(struct jp *p, struct state_parse *sp, unsigned bit, const char *key)
{
	if (sp->seen & bit)
		return jp_bad(p, "member \"%s\" twice", key);
	sp->seen |= bit;
	return JP_OK;
}

/* expect_type() - the next value must begin with @c (its JSON type), for a clear message. */
static int expect_type(struct jp *p, const char *key, char c, const char *type)
{
	char got;

	JP_TRY(jp_peek(p, &got));
	if (c == '0' ? !(got == '-' || (got >= '0' && got <= '9')) : got != c)
		return jp_bad(p, "\"%s\" is not %s", key, type);
	return JP_OK;
}

/* fds_element() - one name in "fds": at most NC_AGENT_MAX_FDS, exactly one "seccompFd". */
static int fds_element(struct jp *p, unsigned i, void *arg)
{
	struct nc_agent_state *st = arg;
	char fdname[64];

	if (i >= NC_AGENT_MAX_FDS)
		return jp_bad(p, "more than %d descriptor names in \"fds\"", NC_AGENT_MAX_FDS);
	JP_TRY(expect_type(p, "fds", '"', "an array of strings"));
	JP_TRY(jp_string(p, fdname, sizeof(fdname)));
	if (strcmp(fdname, "seccompFd") == 0) {
		if (st->seccomp_index >= 0)
			return jp_bad(p, "\"seccompFd\" named twice in \"fds\"");
		st->seccomp_index = (int)i;
	}
	st->nfds = i + 1;
	return JP_OK;
}

/* annotation_member() - annotations are a map of strings (checked, not kept). */
static int annotation_member(struct jp *p, const char *key, void *arg)
{
	JP_TRY(expect_type(p, "annotations", '"', "a map of strings"));
	return jp_string(p, NULL, 0);
}

/* state_member() - a member of "state" (the container's runtime state). */
static int state_member(struct jp *p, const char *key, void *arg)
{
	struct state_parse *sp = arg;
	char version[64];
	bool null;
	int pid;

	if (strcmp(key, "ociVersion") == 0) {
		JP_TRY(once(p, sp, SEEN_S_VERSION, "state.ociVersion"));
		JP_TRY(expect_type(p, "state.ociVersion", '"', "a string"));
		return jp_string(p, version, sizeof(version));
	}
	if (strcmp(key, "id") == 0) {
		JP_TRY(once(p, sp, SEEN_S_ID, "state.id"));
		JP_TRY(expect_type(p, "state.id", '"', "a string"));
		return jp_string(p, sp->st->id, sizeof(sp->st->id));
	}
	if (strcmp(key, "status") == 0) {
		JP_TRY(once(p, sp, SEEN_S_STATUS, "state.status"));
		JP_TRY(expect_type(p, "state.status", '"', "a string"));
		return jp_string(p, sp->st->status, sizeof(sp->st->status));
	}
	if (strcmp(key, "pid") == 0) {
		JP_TRY(once(p, sp, SEEN_S_PID, "state.pid"));
		JP_TRY(expect_type(p, "state.pid", '0', "a number"));
		return jp_number(p, &pid);
	}
	if (strcmp(key, "bundle") == 0) {
		JP_TRY(once(p, sp, SEEN_S_BUNDLE, "state.bundle"));
		JP_TRY(expect_type(p, "state.bundle", '"', "a string"));
		return jp_string(p, NULL, 0);
	}
	if (strcmp(key, "annotations") == 0) {
		JP_TRY(once(p, sp, SEEN_S_ANNOTATIONS, "state.annotations"));
		JP_TRY(jp_is_null(p, &null));
		if (null)
			return JP_OK;
		JP_TRY(expect_type(p, "state.annotations", '{', "an object"));
		return jp_object(p, annotation_member, NULL);
	}
	return jp_value(p);	/* a later version's member: checked, passed over */
}

/* top_member() - a member of the container process state itself. */
static int top_member(struct jp *p, const char *key, void *arg)
{
	struct state_parse *sp = arg;
	struct nc_agent_state *st = sp->st;
	bool null;

	if (strcmp(key, "ociVersion") == 0) {
		JP_TRY(once(p, sp, SEEN_VERSION, key));
		JP_TRY(expect_type(p, key, '"', "a string"));
		return jp_string(p, st->oci_version, sizeof(st->oci_version));
	}
	if (strcmp(key, "fds") == 0) {
		JP_TRY(once(p, sp, SEEN_FDS, key));
		JP_TRY(jp_is_null(p, &null));
		if (null)
			return JP_OK;
		JP_TRY(expect_type(p, key, '[', "an array"));
		return jp_array(p, fds_element, st);
	}
	if (strcmp(key, "pid") == 0) {
		JP_TRY(once(p, sp, SEEN_PID, key));
		JP_TRY(expect_type(p, key, '0', "a number"));
		return jp_number(p, &st->pid);
	}
	if (strcmp(key, "metadata") == 0) {
		JP_TRY(once(p, sp, SEEN_METADATA, key));
		JP_TRY(jp_is_null(p, &null));
		if (null)
			return JP_OK;
		JP_TRY(expect_type(p, key, '"', "a string"));
		st->has_metadata = 1;
		return jp_string(p, st->metadata, sizeof(st->metadata));
	}
	if (strcmp(key, "state") == 0) {
		JP_TRY(once(p, sp, SEEN_STATE, key));
		JP_TRY(expect_type(p, key, '{', "an object"));
		return jp_object(p, state_member, sp);
	}
	return jp_value(p);
}

int nc_agent_parse_state(const char *buf, size_t len, struct nc_agent_state *st, char *why,
			 size_t why_size)
{
	struct jp p = { .s = buf, .len = len, .why = why, .why_size = why_size };
	struct state_parse sp = { .st = st };
	char c;
	int r;

	memset(st, 0, sizeof(*st));
	st->seccomp_index = -1;
	if (why && why_size)
		why[0] = '\0';
	r = jp_peek(&p, &c);
	if (r != JP_OK)
		return r;
	if (c != '{') {
		jp_bad(&p, "the state is not a JSON object");
		return -EPROTO;
	}
	r = jp_object(&p, top_member, &sp);
	if (r == JP_MORE)
		return NC_AGENT_MORE;
	if (r != JP_OK)
		return -EPROTO;
	jp_ws(&p);
	if (p.pos != p.len) {
		jp_bad(&p, "%zu bytes after the state's object", p.len - p.pos);
		return -EPROTO;
	}
	/* What the spec requires, and what netcon needs. */
	if (!(sp.seen & SEEN_VERSION) || !st->oci_version[0]) {
		jp_bad(&p, "no \"ociVersion\"");
		return -EPROTO;
	}
	if (!(sp.seen & SEEN_PID)) {
		jp_bad(&p, "no \"pid\"");
		return -EPROTO;
	}
	if (!(sp.seen & SEEN_STATE)) {
		jp_bad(&p, "no \"state\"");
		return -EPROTO;
	}
	if (st->seccomp_index < 0) {
		jp_bad(&p, "no \"seccompFd\" in \"fds\"");
		return -EPROTO;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Names.
 */

/* name_ok() - a name for log lines: 1 to 255 of [A-Za-z0-9_.+-] (runc's container id alphabet). */
static bool name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 255)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

/* is_long_hex_id() - Docker's and Podman's ids: 64 lower-case hexadecimal digits. */
static bool is_long_hex_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

int nc_agent_state_network(const struct nc_agent_state *st, char *net, size_t net_size, char *why,
			   size_t why_size)
{
	const char *item = st->metadata;
	bool found = false;

	if (!net || !net_size)
		return -EINVAL;
	net[0] = '\0';
	while (st->has_metadata && *item) {
		const char *end = strchrnul(item, ';'), *eq = memchr(item, '=', (size_t)(end - item));
		size_t len;

		if (eq && (size_t)(eq - item) == 7 && memcmp(item, "network", 7) == 0) {
			len = (size_t)(end - eq - 1);
			/* A network is a folder's name under the agent's --dir: no dots, no slashes. */
			if (found || !len || len >= net_size || len > 63 || !name_ok(eq + 1, len) ||
			    memchr(eq + 1, '.', len)) {
				snprintf(why, why_size, "listenerMetadata \"%.200s\": network= must be given once, "
					 "1 to 63 of A-Z a-z 0-9 _ + -", st->metadata);
				return -EPROTO;
			}
			snprintf(net, net_size, "%.*s", (int)len, eq + 1);
			found = true;
		}
		item = *end ? end + 1 : end;
	}
	return 0;
}

int nc_agent_state_name(const struct nc_agent_state *st, char *name, size_t name_size, char *why,
			size_t why_size)
{
	const char *item = st->metadata, *found = NULL;
	size_t found_len = 0;

	if (!name || !name_size)
		return -EINVAL;
	name[0] = '\0';
	/* listenerMetadata: KEY=VALUE items separated by ';' (netcon-oci seccomp-profile --metadata). */
	while (st->has_metadata && *item) {
		const char *end = strchrnul(item, ';'), *eq = memchr(item, '=', (size_t)(end - item));

		if (!eq || eq == item) {
			snprintf(why, why_size, "listenerMetadata \"%.200s\": an item is not KEY=VALUE", st->metadata);
			return -EPROTO;
		}
		if ((size_t)(eq - item) == 4 && memcmp(item, "name", 4) == 0) {
			if (found) {
				snprintf(why, why_size, "listenerMetadata \"%.200s\": name= twice", st->metadata);
				return -EPROTO;
			}
			found = eq + 1;
			found_len = (size_t)(end - found);
			if (!name_ok(found, found_len)) {
				snprintf(why, why_size,
					 "listenerMetadata \"%.200s\": the name is not 1 to 255 of A-Z a-z 0-9 _ . + -",
					 st->metadata);
				return -EPROTO;
			}
		} else if ((size_t)(eq - item) == 7 && memcmp(item, "network", 7) == 0) {
			/* nc_agent_state_network()'s */
		} else {
			nc_info("agent: listenerMetadata item \"%.*s\" ignored (netcon knows name= and network=)",
				(int)(end - item > 200 ? 200 : end - item), item);
		}
		item = *end ? end + 1 : end;
	}
	if (found) {
		snprintf(name, name_size, "%.*s", (int)found_len, found);
		return 0;
	}
	if (st->id[0]) {
		if (!name_ok(st->id, strlen(st->id))) {
			snprintf(why, why_size, "the container id \"%.200s\" is not 1 to 255 of A-Z a-z 0-9 _ . + -",
				 st->id);
			return -EPROTO;
		}
		snprintf(name, name_size, "%.*s", is_long_hex_id(st->id) ? 12 : 255, st->id);
		return 0;
	}
	snprintf(name, name_size, "pid-%d", st->pid);	/* crun without an id */
	return 0;
}

/* ------------------------------------------------------------------------
 * The socket.
 */

int nc_agent_listen(const char *path, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat stb;
	mode_t old;
	int fd, e;

	if (!path || !*path || (mode & ~(mode_t)0777))
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		nc_err("agent: socket path %s is longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &stb) == 0) {
		int probe;

		if (!S_ISSOCK(stb.st_mode)) {
			nc_err("agent: %s exists and is not a socket", path);
			return -EEXIST;
		}
		/* A socket left by an agent that is gone is replaced; a live agent's is not. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe < 0)
			return -errno;
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			nc_err("agent: another agent listens on %s", path);
			return -EADDRINUSE;
		}
		e = errno;
		close(probe);
		if (e != ECONNREFUSED) {
			nc_err("agent: %s: cannot tell whether an agent listens there: %s", path, strerror(e));
			return -e;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			e = errno;
			nc_err("agent: cannot remove the stale socket %s: %s", path, strerror(e));
			return -e;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Created with no permission at all, then given @mode: nobody gets in before. */
	old = umask(0777);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		umask(old);
		close(fd);
		nc_err("agent: cannot bind %s: %s", path, strerror(e));
		return -e;
	}
	umask(old);
	if (chmod(path, mode) < 0 || listen(fd, 128) < 0) {
		e = errno;
		unlink(path);
		close(fd);
		nc_err("agent: cannot set up %s: %s", path, strerror(e));
		return -e;
	}
	return fd;
}

/* ms_now() - a monotonic clock in milliseconds, for the deadline. */
static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* is_seccomp_listener() - whether @fd is a seccomp user-notification listener (by the kernel's name for it). */
static bool is_seccomp_listener(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return strcmp(link, "anon_inode:seccomp notify") == 0;
}

/* close_all() - close @n received descriptors. */
static void close_all(int *fds, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * take_rights() - the descriptors of one received message: kept in @fds
 * when @first and while there is room, closed otherwise. Returns false when
 * any had to be closed (too many, or after the first message).
 */
static bool take_rights(struct msghdr *msg, bool first, int *fds, unsigned *nfds)
{
	struct cmsghdr *cmsg;
	bool ok = true;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		size_t count, i;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (first && *nfds < NC_AGENT_MAX_FDS) {
				fds[(*nfds)++] = fd;
			} else {
				close(fd);
				ok = false;
			}
		}
	}
	return ok;
}

int nc_agent_accept(int lfd, char *name, size_t name_size, char *network, size_t network_size)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * NC_AGENT_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct nc_agent_state st;
	struct ucred cred = { .pid = 0 };
	socklen_t cl = sizeof(cred);
	int fds[NC_AGENT_MAX_FDS], conn, r = -EPROTO, listener = -1;
	unsigned nfds = 0;
	size_t len = 0;
	char why[256] = "", who[64];
	long long deadline;
	char *buf = NULL;
	bool more = true;

	if (!name || !name_size)
		return -EINVAL;
	name[0] = '\0';
	conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (conn < 0) {
		r = errno;
		if (r == EAGAIN || r == EWOULDBLOCK || r == EINTR || r == ECONNABORTED)
			return -EAGAIN;
		nc_err("agent: accept: %s", strerror(r));
		return -r;
	}
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
		snprintf(who, sizeof(who), "runtime pid %d uid %u", (int)cred.pid, (unsigned)cred.uid);
	else
		snprintf(who, sizeof(who), "a runtime");
	buf = malloc(NC_AGENT_MAX_STATE);
	if (!buf) {
		close(conn);
		nc_err("agent: %s: out of memory", who);
		return -ENOMEM;
	}
	deadline = ms_now() + NC_AGENT_TIMEOUT_MS;
	while (more) {
		struct iovec iov = { .iov_base = buf + len, .iov_len = NC_AGENT_MAX_STATE - len };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
		};
		struct pollfd pfd = { .fd = conn, .events = POLLIN };
		long long left = deadline - ms_now();
		ssize_t n;
		bool first = len == 0;

		if (len == NC_AGENT_MAX_STATE) {
			snprintf(why, sizeof(why), "its state is longer than %d bytes", NC_AGENT_MAX_STATE);
			r = -EMSGSIZE;
			goto fail;
		}
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			snprintf(why, sizeof(why), "its state was not complete after %d ms (%zu bytes)",
				 NC_AGENT_TIMEOUT_MS, len);
			r = -ETIMEDOUT;
			goto fail;
		}
		n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			r = -errno;
			snprintf(why, sizeof(why), "receive: %s", strerror(errno));
			goto fail;
		}
		if (!take_rights(&msg, first && n > 0, fds, &nfds)) {
			snprintf(why, sizeof(why), first ? "more than %d descriptors" :
				 "descriptors after the first message (the spec allows them only in the first)",
				 NC_AGENT_MAX_FDS);
			r = -EPROTO;
			goto fail;
		}
		if (msg.msg_flags & MSG_CTRUNC) {
			snprintf(why, sizeof(why), "more than %d descriptors (some were lost)", NC_AGENT_MAX_FDS);
			r = -EPROTO;
			goto fail;
		}
		if (n == 0 && len == 0 && nfds == 0) {
			/* Another agent's nc_agent_listen() probing: not a runtime. */
			nc_info("agent: a connection (%s) closed without sending anything", who);
			close(conn);
			free(buf);
			return -ENODATA;
		}
		if (n == 0) {
			snprintf(why, sizeof(why), "it closed the connection after %zu bytes, before its state's end", len);
			r = -EPROTO;
			goto fail;
		}
		len += (size_t)n;
		r = nc_agent_parse_state(buf, len, &st, why, sizeof(why));
		if (r < 0)
			goto fail;
		more = r == NC_AGENT_MORE;
	}
	if (nfds == 0) {
		snprintf(why, sizeof(why), "no descriptor came with its state");
		r = -EBADF;
		goto fail;
	}
	if (st.nfds != nfds) {
		snprintf(why, sizeof(why), "its state names %u descriptors in \"fds\" and %u came", st.nfds, nfds);
		r = -EPROTO;
		goto fail;
	}
	if (!is_seccomp_listener(fds[st.seccomp_index])) {
		snprintf(why, sizeof(why), "its \"seccompFd\" is not a seccomp listener");
		r = -EBADF;
		goto fail;
	}
	r = nc_agent_state_name(&st, name, name_size, why, sizeof(why));
	if (r == 0)
		r = nc_agent_state_network(&st, network, network_size, why, sizeof(why));
	if (r < 0)
		goto fail;
	listener = fds[st.seccomp_index];
	fds[st.seccomp_index] = -1;
	close_all(fds, nfds);
	close(conn);
	free(buf);
	nc_info("agent: container %s (%s, process %d, %s, OCI %s): seccomp listener received", name, who,
		st.pid, st.status[0] ? st.status : "no status", st.oci_version);
	return listener;
fail:
	close_all(fds, nfds);
	close(conn);
	free(buf);
	name[0] = '\0';
	nc_err("agent: refused %s: %s", who, why[0] ? why : strerror(-r));
	return r;
}
