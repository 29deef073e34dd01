/*
 * main.c - netcon-supervise: gives a program netcon's network through
 * seccomp user notification, whatever it is built with (static, Go, musl).
 *
 *   netcon-supervise [--socket PATH] [--] PROGRAM [ARGS...]
 *   netcon-supervise --agent PATH [--socket PATH] [--dir DIR]   an OCI seccomp agent
 *                                                   (agentd.c)
 *   netcon-supervise --check                        can a filter be installed here?
 *
 * Launching: this process stays the program's parent (its exit status is the
 * program's; signals sent to it are passed on). The program's process sets
 * PR_SET_NO_NEW_PRIVS, installs the filter (filter.c) and says the
 * listener's number through a pipe; we take the listener with pidfd_getfd()
 * (a call the filter does not trap, unlike sending it over a socket would
 * be) and give it to a second child, the supervisor, before the program is
 * let go to exec. The supervisor serves every process the program starts and
 * ends when the last of them has gone, so a daemon that leaves its parent
 * keeps its network.
 *
 * When no filter can be installed (one with a listener is already there:
 * EBUSY; a kernel without user notification), one line says so and, if the
 * caller named a libnetcon to fall back to (NETCON_FALLBACK_PRELOAD, which
 * `intercept` sets for dynamic programs), the program runs with it
 * preloaded; otherwise it is not run (a static program would have no
 * network at all, silently).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentd.h"
#include "filter.h"
#include "supervise.h"
#include "../common/log.h"

static pid_t program = -1;

static void usage(void)
{
	fprintf(stderr, "usage: netcon-supervise [--socket PATH] [--] PROGRAM [ARGS...]\n"
			"       netcon-supervise --agent PATH [--socket PATH] [--dir DIR]\n"
			"       netcon-supervise --check\n");
	exit(2);
}

/* pass_signal() - a signal someone sent us (not the terminal's, which the program got too). */
static void pass_signal(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (program > 0 && (si->si_code == SI_USER || si->si_code == SI_QUEUE))
		kill(program, sig);
}

/* write_all()/read_all() - the start-up pipes' few bytes. */
static int write_all(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

static int read_all(int fd, void *buf, size_t len)
{
	return read(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

/* run_supervisor() - the supervisor's process: serve @listener until nobody is under it. */
static void run_supervisor(int listener, const char *name)
{
	struct nc_sup *sup;

	signal(SIGINT, SIG_IGN);	/* the terminal's: the program decides, we keep serving it */
	signal(SIGQUIT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sup = nc_sup_new();
	if (!sup) {
		nc_err("cannot start the supervisor: %s", strerror(errno));
		_exit(1);
	}
	nc_sup_add_listener(sup, listener, name);
	_exit(nc_sup_run(sup) ? 1 : 0);
}

/*
 * child_start() - in the program's process: the filter, its listener's
 * number up the pipe, then wait for the word: 'g' go, 'p' go with the
 * fallback preload, anything else stop.
 */
static void child_start(int up, int down, char **argv)
{
	int listener = nc_filter_install(true);
	const char *fallback = getenv("NETCON_FALLBACK_PRELOAD");
	char word = 0;

	if (write_all(up, &listener, sizeof(listener)) || read_all(down, &word, 1))
		_exit(127);
	if (listener >= 0)
		close(listener);
	close(up);
	close(down);
	if (word == 'p' && fallback && *fallback) {
		const char *old = getenv("LD_PRELOAD");
		char *both;

		if (old && *old && asprintf(&both, "%s %s", fallback, old) > 0)
			setenv("LD_PRELOAD", both, 1);
		else
			setenv("LD_PRELOAD", fallback, 1);
	} else if (word != 'g') {
		_exit(126);
	}
	unsetenv("NETCON_FALLBACK_PRELOAD");
	execvp(argv[0], argv);
	fprintf(stderr, "netcon-supervise: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* why_no_filter() - one line for a filter the kernel refused. */
static const char *why_no_filter(int err)
{
	if (err == -EBUSY)
		return "a seccomp filter with a listener is already installed (a container runtime's, or another supervisor's)";
	if (err == -ENOSYS || err == -EINVAL)
		return "this kernel has no seccomp user notification (Linux 5.9 or later is needed)";
	return strerror(-err);
}

/* launch() - run @argv under the filter; returns its exit status. */
static int launch(char **argv)
{
	int up[2], down[2], listener = -1, number, pidfd, status;
	struct sigaction sa = { .sa_sigaction = pass_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	const int passed[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	pid_t sup;
	unsigned i;
	char word;

	if (pipe2(up, O_CLOEXEC) || pipe2(down, O_CLOEXEC)) {
		nc_err("pipe: %s", strerror(errno));
		return 1;
	}
	program = fork();
	if (program < 0) {
		nc_err("fork: %s", strerror(errno));
		return 1;
	}
	if (program == 0) {
		close(up[0]);
		close(down[1]);
		child_start(up[1], down[0], argv);
	}
	close(up[1]);
	close(down[0]);
	for (i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		sigaction(passed[i], &sa, NULL);
	if (read_all(up[0], &number, sizeof(number)))
		number = -EIO;
	if (number >= 0) {
		pidfd = (int)syscall(SYS_pidfd_open, program, 0);
		listener = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, number, 0);
		if (listener < 0)
			number = -errno;
		if (pidfd >= 0)
			close(pidfd);
	}
	if (number < 0) {
		const char *fallback = getenv("NETCON_FALLBACK_PRELOAD");

		if (fallback && *fallback) {
			nc_warn("no seccomp filter (%s): using LD_PRELOAD", why_no_filter(number));
			word = 'p';
		} else {
			nc_err("no seccomp filter (%s): %s would have no network; not started",
			       why_no_filter(number), argv[0]);
			word = 'x';
		}
	} else {
		sup = fork();
		if (sup == 0) {
			close(up[0]);
			close(down[1]);
			run_supervisor(listener, argv[0]);
		}
		close(listener);
		word = sup < 0 ? 'x' : 'g';
		if (sup < 0)
			nc_err("fork: %s", strerror(errno));
	}
	if (write_all(down[1], &word, 1))
		word = 'x';
	close(up[0]);
	close(down[1]);
	while (waitpid(program, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (word == 'x')
		return 126;
	if (WIFSIGNALED(status)) {
		/* Die of the same signal, as a shell's child would be seen to. */
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

/* check() - can a filter with a listener be installed here? Tried in a child. */
static int check(void)
{
	int status, r;
	pid_t pid = fork();

	if (pid == 0) {
		r = nc_filter_install(true);
		if (r < 0) {
			printf("no: %s\n", why_no_filter(r));
			fflush(stdout);
			_exit(1);
		}
		printf("yes\n");
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	const char *agent_path = NULL, *dir = NULL;
	int i;

	nc_log_prefix = "netcon-supervise";
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			setenv("NETCON_SOCKET", argv[++i], 1);
		} else if (!strcmp(argv[i], "--agent") && i + 1 < argc) {
			agent_path = argv[++i];
		} else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--network-fd") && i + 1 < argc) {
			return nc_agentd_network(atoi(argv[++i]));	/* agentd.c starts us so */
		} else if (!strcmp(argv[i], "--check")) {
			return check();
		} else {
			usage();
		}
	}
	if (agent_path)
		return i == argc ? nc_agentd_run(agent_path, dir) : (usage(), 2);
	if (i == argc)
		usage();
	return launch(argv + i);
}
