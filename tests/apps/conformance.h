/*
 * conformance.h - the harness tests/apps/conformance.c (TCP) and
 * conformance_udp.c (UDP) share: how a case runs (its own child, a watchdog,
 * one output line), how results, errno names, addresses and readiness print
 * so that a kernel run and a netcon run diff equal, and the small socket
 * helpers both use. Included once, after the system headers and BASE_PORT,
 * by each program (the helpers are static: each program is one file).
 */
#ifndef NETCON_TESTS_CONFORMANCE_H
#define NETCON_TESTS_CONFORMANCE_H

#define CASE_TIMEOUT 20     /* s, watchdog inside a case's child */
#define WAIT_MS      2000   /* the longest any single wait may take */
#define QUIET_MS     200    /* how long "nothing happens" is watched for */

static struct in_addr addr4;
static struct in6_addr addr6;
static int inproc;          /* -k */
static int result_fd = -1;  /* child -> parent pipe for the case's line */

/* ------------------------------------------------------------------ */
/* The case's output line                                              */

static char line[8192];
static size_t linelen;
static jmp_buf case_jb;

/* Append one space-separated token (printf format) to the line.
 * C leaves the order in which arguments are evaluated unspecified (gcc goes
 * right to left), so an out() call holds at most one call that acts on a
 * socket or observes something an earlier action changed; sequences are
 * written as consecutive out() calls. */
static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    va_list ap;
    if (linelen && linelen < sizeof line - 1)
        line[linelen++] = ' ';
    va_start(ap, fmt);
    int n = vsnprintf(line + linelen, sizeof line - linelen, fmt, ap);
    va_end(ap);
    if (n > 0)
        linelen += (size_t)n < sizeof line - linelen ? (size_t)n : sizeof line - linelen - 1;
}

/* Rotating scratch strings for the formatting helpers below. */
static char *sb(void)
{
    static char bufs[48][160];
    static unsigned i;
    return bufs[i++ % 48];
}

static const struct { int e; const char *n; } errnames[] = {
#define X(e) { e, #e },
    X(EAGAIN) X(EINPROGRESS) X(EALREADY) X(EISCONN) X(ENOTCONN) X(ECONNREFUSED)
    X(ECONNRESET) X(ECONNABORTED) X(EADDRINUSE) X(EADDRNOTAVAIL) X(EAFNOSUPPORT)
    X(EINVAL) X(ENETUNREACH) X(EHOSTUNREACH) X(ENETDOWN) X(EPIPE) X(ENOPROTOOPT)
    X(EBADF) X(ENOTSOCK) X(EOPNOTSUPP) X(ETIMEDOUT) X(EFAULT) X(EPERM) X(EACCES)
    X(EINTR) X(ENOENT) X(EMFILE) X(ENFILE) X(ENOBUFS) X(ENOMEM) X(EPROTONOSUPPORT)
    X(ESOCKTNOSUPPORT) X(EPROTOTYPE) X(EDESTADDRREQ) X(EMSGSIZE) X(ENOSYS)
    X(ESHUTDOWN) X(EIO) X(ENOTTY) X(ESRCH) X(ECHILD) X(EEXIST) X(ENODEV)
#undef X
};

static const char *ename(int e)
{
    for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
        if (errnames[i].e == e)
            return errnames[i].n;
    char *s = sb();
    snprintf(s, 160, "E%d", e);
    return s;
}

/* "N" for success, "-1/ENAME" for failure. */
static const char *rvs(long r, int e)
{
    char *s = sb();
    if (r < 0)
        snprintf(s, 160, "-1/%s", ename(e));
    else
        snprintf(s, 160, "%ld", r);
    return s;
}
#define RV(x) ({ long rv_r_ = (long)(x); int rv_e_ = errno; rvs(rv_r_, rv_e_); })

/* A setup step must succeed; if it does not, the case ends here. */
static void setup_fail(const char *what, int e)
{
    out("SETUP_FAILED(%s)=-1/%s", what, ename(e));
    longjmp(case_jb, 1);
}
#define REQ(x) ({ long rq_r_ = (long)(x); if (rq_r_ < 0) setup_fail(#x, errno); rq_r_; })

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

typedef struct { struct sockaddr_storage ss; socklen_t len; } sa_t;

static struct in_addr ip4(const char *s)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) { fprintf(stderr, "bad IPv4 address %s\n", s); exit(2); }
    return a;
}

static struct in6_addr ip6(const char *s)
{
    struct in6_addr a;
    if (inet_pton(AF_INET6, s, &a) != 1) { fprintf(stderr, "bad IPv6 address %s\n", s); exit(2); }
    return a;
}

static sa_t sa4(struct in_addr a, int port)
{
    sa_t r;
    memset(&r, 0, sizeof r);
    struct sockaddr_in *sin = (struct sockaddr_in *)&r.ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    sin->sin_addr = a;
    r.len = sizeof *sin;
    return r;
}

static sa_t sa6(struct in6_addr a, int port)
{
    sa_t r;
    memset(&r, 0, sizeof r);
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&r.ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    sin6->sin6_addr = a;
    r.len = sizeof *sin6;
    return r;
}

/* "This host" in the given family. */
static sa_t host(int fam, int port) { return fam == AF_INET6 ? sa6(addr6, port) : sa4(addr4, port); }
static sa_t any(int fam, int port) { return fam == AF_INET6 ? sa6(in6addr_any, port) : sa4(ip4("0.0.0.0"), port); }

static const char *fmt_port(unsigned p)
{
    char *s = sb();
    if (p >= 32768 && p <= 60999)
        return "ephemeral";
    snprintf(s, 160, "%u", p);
    return s;
}

static const char *fmt_sa(const void *sa, socklen_t len)
{
    const struct sockaddr *g = sa;
    char *s = sb(), a[INET6_ADDRSTRLEN];
    if (g->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *sin = sa;
        if (sin->sin_addr.s_addr == addr4.s_addr)
            strcpy(a, "ADDR4");
        else
            inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a);
        snprintf(s, 160, "%s:%s", a, fmt_port(ntohs(sin->sin_port)));
    } else if (g->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *sin6 = sa;
        if (IN6_ARE_ADDR_EQUAL(&sin6->sin6_addr, &addr6))
            strcpy(a, "ADDR6");
        else if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
                 memcmp(&sin6->sin6_addr.s6_addr[12], &addr4, 4) == 0)
            strcpy(a, "::ffff:ADDR4");
        else
            inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof a);
        snprintf(s, 160, "[%s]:%s", a, fmt_port(ntohs(sin6->sin6_port)));
    } else {
        snprintf(s, 160, "family%d/len%u", g->sa_family, (unsigned)len);
    }
    return s;
}

static const char *sockname(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return rvs(-1, errno);
    return fmt_sa(&ss, len);
}

static const char *peername(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return rvs(-1, errno);
    return fmt_sa(&ss, len);
}

/* The raw address, for exact comparisons. */
static sa_t rawname(int fd, int peer)
{
    sa_t r;
    memset(&r, 0, sizeof r);
    r.len = sizeof r.ss;
    int rc = peer ? getpeername(fd, (struct sockaddr *)&r.ss, &r.len)
                  : getsockname(fd, (struct sockaddr *)&r.ss, &r.len);
    if (rc < 0)
        r.len = 0;
    return r;
}

static int sa_eq(const sa_t *a, const sa_t *b)
{
    return a->len && a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

static const char *yesno(int b) { return b ? "yes" : "no"; }

/* ------------------------------------------------------------------ */
/* Socket helpers                                                      */

static int xbind(int fd, sa_t a) { return bind(fd, (struct sockaddr *)&a.ss, a.len); }
static int xconnect(int fd, sa_t a) { return connect(fd, (struct sockaddr *)&a.ss, a.len); }

static const char *gopt(int fd, int level, int opt)
{
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, opt, &v, &len) < 0)
        return rvs(-1, errno);
    return rvs(v, 0);
}

static const char *sopt(int fd, int level, int opt, int v)
{
    return RV(setsockopt(fd, level, opt, &v, sizeof v));
}

static int geti(int fd, int level, int opt)
{
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, opt, &v, &len) < 0)
        return -1000 - errno;
    return v;
}

static const char *so_error(int fd)
{
    int v = geti(fd, SOL_SOCKET, SO_ERROR);
    if (v <= -1000)
        return rvs(-1, -1000 - v);
    return v ? ename(v) : "0";
}

/* F_GETFL as access mode plus NONBLOCK (plus any other bit in hex). */
static const char *flfl(int fd)
{
    int f = fcntl(fd, F_GETFL);
    if (f < 0)
        return rvs(-1, errno);
    char *s = sb();
    const char *acc = (f & O_ACCMODE) == O_RDWR ? "RDWR" : (f & O_ACCMODE) == O_WRONLY ? "WRONLY" : "RDONLY";
    int rest = f & ~(O_ACCMODE | O_NONBLOCK);
    snprintf(s, 160, "%s%s", acc, (f & O_NONBLOCK) ? "|NONBLOCK" : "");
    if (rest)
        snprintf(s + strlen(s), 160 - strlen(s), "|0x%x", rest);
    return s;
}

static const char *fdfl(int fd)
{
    int f = fcntl(fd, F_GETFD);
    if (f < 0)
        return rvs(-1, errno);
    return f == FD_CLOEXEC ? "CLOEXEC" : f == 0 ? "0" : "other";

#endif
