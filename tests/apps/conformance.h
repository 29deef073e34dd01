/*
 * conformance.h - the harness tests/apps/conformance.c (TCP),
 * conformance_udp.c (UDP) and conformance_tcp_matrix.c (TCP states x calls)
 * share: how a case runs (its own child, a watchdog, one output line), the
 * program's main (options, case selection), how results, errno names,
 * addresses and readiness print so that a kernel run and a netcon run diff
 * equal, and the small socket helpers all use. Included once, after the
 * system headers and BASE_PORT (and PORTS_PER_CASE or CASE_TIMEOUT when a
 * program wants other values), by each program (the helpers are static: each
 * program is one file).
 */
#ifndef NETCON_TESTS_CONFORMANCE_H
#define NETCON_TESTS_CONFORMANCE_H

#ifndef CASE_TIMEOUT
#define CASE_TIMEOUT 20     /* s, watchdog inside a case's child */
#endif

#ifndef __GLIBC__
/* sigabbrev_np() is glibc's (2.32); the same names with another C library (musl). */
static const char *conf_sigabbrev(int sig)
{
    static const struct { int sig; const char *name; } names[] = {
        { SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" }, { SIGILL, "ILL" },
        { SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" }, { SIGBUS, "BUS" }, { SIGFPE, "FPE" },
        { SIGKILL, "KILL" }, { SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" }, { SIGUSR2, "USR2" },
        { SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" }, { SIGCHLD, "CHLD" },
        { SIGCONT, "CONT" }, { SIGSTOP, "STOP" }, { SIGTSTP, "TSTP" }, { SIGURG, "URG" },
        { SIGXCPU, "XCPU" }, { SIGXFSZ, "XFSZ" }, { SIGIO, "IO" }, { SIGSYS, "SYS" },
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].sig == sig)
            return names[i].name;
    return NULL;
}
#define sigabbrev_np conf_sigabbrev
#endif
#define WAIT_MS      2000   /* the longest any single wait may take */
#define QUIET_MS     200    /* how long "nothing happens" is watched for */
#ifndef PORTS_PER_CASE
#define PORTS_PER_CASE 2    /* fixed ports a case may use: its port .. port+N-1 */
#endif

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
    X(EDOM) X(EPROTO)
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
}

/* ------------------------------------------------------------------ */
/* Readiness                                                           */

static const char *pev(int re)
{
    static const struct { int bit; const char *n; } bits[] = {
        { POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" }, { POLLERR, "ERR" },
        { POLLHUP, "HUP" }, { POLLNVAL, "NVAL" }, { POLLRDHUP, "RDHUP" },
    };
    char *s = sb();
    s[0] = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (re & bits[i].bit)
            snprintf(s + strlen(s), 160 - strlen(s), "%s%s", s[0] ? "|" : "", bits[i].n);
    return s[0] ? s : "none";
}

static const char *eev(uint32_t re)
{
    static const struct { uint32_t bit; const char *n; } bits[] = {
        { EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" }, { EPOLLERR, "ERR" },
        { EPOLLHUP, "HUP" }, { EPOLLRDHUP, "RDHUP" },
    };
    char *s = sb();
    s[0] = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (re & bits[i].bit)
            snprintf(s + strlen(s), 160 - strlen(s), "%s%s", s[0] ? "|" : "", bits[i].n);
    return s[0] ? s : "none";
}

/* poll one fd; revents, 0 on timeout, -1 on error. */
static int wait_fd(int fd, short ev, int ms)
{
    struct pollfd p = { .fd = fd, .events = ev };
    int n;
    do n = poll(&p, 1, ms); while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : n == 0 ? 0 : p.revents;
}

static const char *poll_str(int fd, short ev, int ms)
{
    int r = wait_fd(fd, ev, ms);
    return r < 0 ? rvs(-1, errno) : pev(r);
}

/* Setup: fd must become ready for ev within 2 s (else ETIMEDOUT). */
static void need_ready(int fd, short ev)
{
    int r = wait_fd(fd, ev, WAIT_MS);
    if (r <= 0)
        setup_fail("wait_ready", r == 0 ? ETIMEDOUT : errno);
}

/* ------------------------------------------------------------------ */
/* The case runner                                                     */

/* A case: its name and its body, which gets the first of its fixed ports
 * (BASE_PORT + PORTS_PER_CASE * its index in the table). */
struct kase {
    const char *name;
    void (*fn)(int port);
    unsigned timeout;       /* s, the case's watchdog; 0: CASE_TIMEOUT */
};

static void run_body(const struct kase *k, size_t i)
{
    linelen = 0;
    line[0] = 0;
    if (setjmp(case_jb) == 0)
        k->fn(BASE_PORT + PORTS_PER_CASE * (int)i);
}

static void run_case(const struct kase *k, size_t i)
{
    const char *name = k->name;
    unsigned limit = k->timeout ? k->timeout : CASE_TIMEOUT;
    if (inproc) {
        run_body(k, i);
        printf("%s: %s\n", name, line);
        fflush(stdout);
        return;
    }
    int p[2];
    if (pipe(p) < 0) { perror("pipe"); exit(1); }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(1); }
    if (pid == 0) {
        close(p[0]);
        result_fd = p[1];
        alarm(limit);
        run_body(k, i);
        char buf[sizeof line + 128];
        int n = snprintf(buf, sizeof buf, "%s: %s\n", name, line);
        _exit(write(p[1], buf, (size_t)n) == n ? 0 : 1);
    }
    close(p[1]);
    char buf[sizeof line + 128];
    size_t got = 0;
    int killed = 0;
    for (;;) {
        struct pollfd pf = { .fd = p[0], .events = POLLIN };
        int n = poll(&pf, 1, (int)(limit + 10) * 1000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {   /* the child ignored its watchdog */
            kill(pid, SIGKILL);
            killed = 1;
            break;
        }
        ssize_t r = read(p[0], buf + got, sizeof buf - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got == sizeof buf - 1)
            break;
    }
    close(p[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    buf[got] = 0;
    if (got && buf[got - 1] == '\n') {
        fputs(buf, stdout);
    } else if (killed || (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)) {
        printf("%s: TIMEOUT\n", name);
    } else if (WIFSIGNALED(st)) {
        const char *sn = sigabbrev_np(WTERMSIG(st));
        printf("%s: CRASH(SIG%s)\n", name, sn ? sn : "?");
    } else {
        printf("%s: EXIT(%d)\n", name, WEXITSTATUS(st));
    }
    fflush(stdout);
}

/* The program's main: options, case selection, one run_case per selected
 * case in table order. extra_opts (getopt letters, may be NULL) are a
 * program's own options; extra_opt(letter, optarg) handles one and returns 0,
 * or -1 for a usage error; extra_usage is appended to the usage line. */
static int conformance_main(int argc, char **argv, const struct kase *cases, size_t ncases,
                            const char *extra_opts, int (*extra_opt)(int c, const char *arg),
                            const char *extra_usage)
{
    const char *a4 = "127.0.0.1", *a6 = "::1";
    int opt, list = 0;
    char optstring[64];
    snprintf(optstring, sizeof optstring, "a:A:kl%s", extra_opts ? extra_opts : "");
    while ((opt = getopt(argc, argv, optstring)) != -1) {
        switch (opt) {
        case 'a': a4 = optarg; break;
        case 'A': a6 = optarg; break;
        case 'k': inproc = 1; break;
        case 'l': list = 1; break;
        default:
            if (opt != '?' && extra_opt && extra_opt(opt, optarg) == 0)
                break;
            fprintf(stderr, "usage: %s [-a ADDR4] [-A ADDR6] [-k] [-l]%s [CASE...]\n", argv[0],
                    extra_usage ? extra_usage : "");
            return 2;
        }
    }
    addr4 = ip4(a4);
    addr6 = ip6(a6);
    if (list) {
        for (size_t i = 0; i < ncases; i++)
            printf("%s\n", cases[i].name);
        return 0;
    }
    for (int j = optind; j < argc; j++) {
        size_t i = 0;
        while (i < ncases && strcmp(cases[i].name, argv[j]) != 0)
            i++;
        if (i == ncases) {
            fprintf(stderr, "%s: unknown case %s (-l lists them)\n", argv[0], argv[j]);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < ncases; i++) {
        int selected = optind == argc;
        for (int j = optind; j < argc && !selected; j++)
            selected = strcmp(cases[i].name, argv[j]) == 0;
        if (selected)
            run_case(&cases[i], i);
    }
    return 0;
}

#endif
