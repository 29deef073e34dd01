/*
 * main.c - netcon-service: options, set-up, the event loop, and the two
 * front ends (`netcon-service status`, `netcon-service ./app`).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "lwip/init.h"

#include "config.h"
#include "dns.h"
#include "gateway.h"
#include "link.h"
#include "loop.h"
#include "server.h"
#include "sock.h"
#include "stack.h"
#include "timewait.h"
#include "../common/fdpass.h"
#include "../common/log.h"
#include "../common/proc.h"
#include "../common/paths.h"
#include "../common/rpc.h"

#ifndef NETCON_VERSION
#define NETCON_VERSION "0.1"
#endif

static struct {
	pid_t child;
	int child_status;
	bool child_done;
	struct nc_loop_handler child_h, signal_h;
	int sigpipe[2];
	struct rlimit fd_limit;	/* as we started, for the program we run */
	bool fd_limit_saved;
} app;

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(app.sigpipe[1], &c, 1) < 0) {
		/* Nothing to do: the loop is already being woken. */
	}
	errno = saved;
}

static void signal_event(struct nc_loop_handler *h, uint32_t events)
{
	char buf[16];
	ssize_t n, i;

	(void)events;
	n = read(h->fd, buf, sizeof(buf));
	for (i = 0; i < n; i++) {
		if (buf[i] == SIGINT || buf[i] == SIGTERM) {
			nc_info("signal %d: shutting down", buf[i]);
			if (app.child > 0 && !app.child_done)
				kill(app.child, buf[i]);
			nc_loop_stop();
		}
	}
}

static void child_event(struct nc_loop_handler *h, uint32_t events)
{
	(void)events;
	if (waitpid(app.child, &app.child_status, WNOHANG) == app.child) {
		app.child_done = true;
		nc_loop_del(h);
		nc_loop_stop();
	}
}

/* libnetcon_path() - libnetcon.so beside our binary (build tree or installed). */
static int libnetcon_path(char *buf, size_t len)
{
	char exe[PATH_MAX];
	const char *env = getenv("NETCON_LIB");
	const char *candidates[] = { "/../lib/netcon/libnetcon.so", "/libnetcon.so" };
	size_t i;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return 0;
	}
	if (nc_exe_dir(exe, sizeof(exe)))
		return -1;
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		snprintf(buf, len, "%s%s", exe, candidates[i]);
		if (access(buf, R_OK) == 0)
			return 0;
	}
	return -1;
}

/* start_app() - run the program with libnetcon preloaded, pointed at us. */
static int start_app(const struct nc_config *cfg)
{
	char lib[PATH_MAX], preload[PATH_MAX * 2];
	const char *old = getenv("LD_PRELOAD");
	int pidfd;

	if (libnetcon_path(lib, sizeof(lib))) {
		nc_err("cannot find libnetcon.so (set NETCON_LIB)");
		return -1;
	}
	snprintf(preload, sizeof(preload), "%s%s%s", lib, old && *old ? " " : "",
		 old ? old : "");
	app.child = fork();
	if (app.child < 0)
		return -1;
	if (app.child == 0) {
		if (app.fd_limit_saved)	/* the program gets the usual limit */
			setrlimit(RLIMIT_NOFILE, &app.fd_limit);
		setenv("LD_PRELOAD", preload, 1);
		setenv("NETCON_SOCKET", cfg->socket_path, 1);
		signal(SIGPIPE, SIG_DFL);
		execvp(cfg->app_argv[0], cfg->app_argv);
		fprintf(stderr, "netcon-service: cannot run %s: %s\n", cfg->app_argv[0],
			strerror(errno));
		_exit(127);
	}
	pidfd = (int)syscall(SYS_pidfd_open, app.child, 0);
	if (pidfd < 0)
		return -1;
	return nc_loop_add(&app.child_h, pidfd, EPOLLIN, child_event);
}

/*
 * ask_service() - one request to the running service, as a command line
 * tool: connect, check who answers (as libnetcon does: nothing goes to a
 * service run by another user), send, take the validated reply. -1 with a
 * message on stderr.
 */
static int ask_service(const struct nc_config *cfg, struct nc_request *req, struct nc_reply *rep)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *bad;
	char why[512] = "";
	struct ucred cred = { 0 };
	socklen_t credlen = sizeof(cred);
	int fd, stray;
	ssize_t n;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", cfg->socket_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int err = errno;

		fprintf(stderr, "netcon-service: %s at %s: %s%s\n",
			err == EACCES ? "not allowed to use the service" : "no service",
			cfg->socket_path, strerror(err),
			err == EACCES ? " (its owner can open it to a group with --group)" :
			err == ENOENT || err == ECONNREFUSED ? " (start netcon-service)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) ||
	    !nc_peer_trusted((unsigned)cred.uid, getenv("NETCON_SERVICE_UID"), why, sizeof(why),
			     cfg->socket_path)) {
		fprintf(stderr, "netcon-service: %s (pid %d answered)\n", why, (int)cred.pid);
		close(fd);
		return -1;
	}
	req->seq = 1;
	if (send(fd, req, sizeof(*req), MSG_NOSIGNAL) != sizeof(*req) ||
	    (n = nc_recv_fd(fd, rep, sizeof(*rep), &stray, 0)) < 0 ||
	    nc_rpc_check_reply(rep, (size_t)n, req, &bad)) {
		fprintf(stderr, "netcon-service: bad reply from %s\n", cfg->socket_path);
		close(fd);
		return -1;
	}
	if (stray >= 0)
		close(stray);
	close(fd);
	return 0;
}

/* ports_command() - `publish SPEC`, `unpublish SPEC`, `ports`. */
static int ports_command(const struct nc_config *cfg)
{
	struct nc_request req;
	struct nc_reply rep;
	int i, count = 1;

	if (cfg->command != NC_CMD_PORTS) {
		nc_rpc_init_request(&req, NC_OP_PORTS, 0);
		req.arg[0] = cfg->command == NC_CMD_PUBLISH ? NC_PORTS_PUBLISH : NC_PORTS_UNPUBLISH;
		req.optlen = (uint32_t)strlen(cfg->command_arg) + 1;
		memcpy(req.opt, cfg->command_arg, req.optlen);
		if (ask_service(cfg, &req, &rep))
			return 1;
		if (rep.result < 0) {
			fprintf(stderr, "netcon-service: cannot %s %s: %s%s\n",
				cfg->command == NC_CMD_PUBLISH ? "publish" : "unpublish",
				cfg->command_arg, strerror(-rep.result),
				rep.result == -ENOTSUP ? " (the service has no gateway: start it with --nat or --publish)" :
				rep.result == -EADDRNOTAVAIL ? " (VIRTADDR is not the service's)" :
				rep.result == -EPERM ? " (only the service's own user may)" : "");
			return 1;
		}
		return 0;
	}
	for (i = 0; i < count && i < NC_GATEWAY_PORTS_MAX; i++) {
		nc_rpc_init_request(&req, NC_OP_PORTS, 0);
		req.arg[0] = NC_PORTS_LIST;
		req.arg[1] = i;
		if (ask_service(cfg, &req, &rep))
			return 1;
		count = rep.result;
		if (i < count && rep.optlen > 0 && rep.optlen <= NC_OPT_MAX) {
			rep.opt[rep.optlen - 1] = '\0';
			printf("%s\n", (char *)rep.opt);
		}
	}
	return 0;
}

/* print_status() - `netcon-service status`: ask the running service. */
static int print_status(const struct nc_config *cfg)
{
	struct nc_request req;
	struct nc_reply rep;
	struct nc_status st;
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];

	nc_rpc_init_request(&req, NC_OP_STATUS, 0);
	if (ask_service(cfg, &req, &rep))
		return 1;
	if (rep.optlen != sizeof(st)) {
		fprintf(stderr, "netcon-service: bad status reply from %s\n", cfg->socket_path);
		return 1;
	}
	memcpy(&st, rep.opt, sizeof(st));
	inet_ntop(AF_INET, &st.ip4, a4, sizeof(a4));
	inet_ntop(AF_INET6, st.ip6, a6, sizeof(a6));
	printf("service     pid %u, up %us, socket %s\n", st.pid, st.uptime_s, cfg->socket_path);
	printf("link        %.*s%s\n", (int)sizeof(st.link), st.link,
	       st.switch_host ? " (hosting the switch)" : "");
	printf("mac         %02x:%02x:%02x:%02x:%02x:%02x  mtu %u\n", st.mac[0], st.mac[1],
	       st.mac[2], st.mac[3], st.mac[4], st.mac[5], st.mtu);
	if (st.uplink[0])
		printf("uplink      %.*s%s%s\n", (int)sizeof(st.uplink), st.uplink,
		       strnlen(st.uplink, sizeof(st.uplink)) == sizeof(st.uplink) - 1 ? "..." : "",
		       st.uplink_pid ? " (carried here: netcon-uplink)" : " (carried by the switch's host)");
	printf("ipv4        %s/%u\n", a4, st.ip4_prefix);
	printf("ipv6        %s/%u\n", a6, st.ip6_prefix);
	if (st.gw_ip4) {
		inet_ntop(AF_INET, &st.gw_ip4, a4, sizeof(a4));
		printf("gateway     %s (%s), %u published ports, frames in %llu, out %llu\n", a4,
		       !(st.gw_flags & NC_STATUS_GW_NAT) ? "published ports only" :
		       (st.gw_flags & NC_STATUS_GW_HOST_LOOPBACK) ? "NAT, host loopback allowed" : "NAT",
		       st.gw_ports, (unsigned long long)st.gw_frames_in,
		       (unsigned long long)st.gw_frames_out);
	}
	printf("sockets     %u (%u connections, %u listening), %u clients\n", st.sockets,
	       st.connections, st.listeners, st.clients);
	printf("link frames in %llu (%llu bytes), out %llu (%llu bytes)\n",
	       (unsigned long long)st.frames_in, (unsigned long long)st.bytes_in,
	       (unsigned long long)st.frames_out, (unsigned long long)st.bytes_out);
	printf("udp dropped %llu for full sockets, %llu unsendable\n",
	       (unsigned long long)st.udp_dropped_in, (unsigned long long)st.udp_dropped_out);
	return 0;
}

/*
 * raise_fd_limit() - the service holds one or two descriptors per socket of
 * every program, and the kernel bounds descriptors in flight (accepted
 * connections pushed to a listener) by the sender's RLIMIT_NOFILE: take the
 * hard limit.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &app.fd_limit))
		return;
	app.fd_limit_saved = true;
	rl = app.fd_limit;
	rl.rlim_cur = rl.rlim_max;
	if (rl.rlim_cur != app.fd_limit.rlim_cur && setrlimit(RLIMIT_NOFILE, &rl))
		nc_warn("cannot raise the descriptor limit to %llu: %m",
			(unsigned long long)rl.rlim_cur);
}

static void on_frame(const uint8_t *frame, size_t len)
{
	nc_stack_input(frame, len);
}

static int setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	if (pipe2(app.sigpipe, O_NONBLOCK | O_CLOEXEC))
		return -1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return nc_loop_add(&app.signal_h, app.sigpipe[0], EPOLLIN, signal_event);
}

int main(int argc, char **argv)
{
	struct nc_config cfg;
	char err[300];
	int timeout = 0;

	nc_log_prefix = "netcon-service";
	if (nc_parse_config(argc, argv, &cfg, err, sizeof(err))) {
		fprintf(stderr, "netcon-service: %s\n%s", err, nc_usage_text());
		return 2;
	}
	if (cfg.help) {
		fputs(nc_usage_text(), stdout);
		return 0;
	}
	if (cfg.version) {
		printf("netcon-service %s (lwIP %s)\n", NETCON_VERSION, LWIP_VERSION_STRING);
		return 0;
	}
	if (cfg.status)
		return print_status(&cfg);
	if (cfg.command != NC_CMD_SERVE)
		return ports_command(&cfg);
	/*
	 * Segments come and go as 64 KiB buffers: keep freed memory in the heap
	 * instead of returning it (and faulting it back in) every time.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	raise_fd_limit();
	nc_log_level = cfg.verbosity < 0 ? NC_LOG_WARN :
		       cfg.verbosity > 0 ? NC_LOG_DEBUG : NC_LOG_INFO;
	if (nc_loop_init() || setup_signals()) {
		nc_err("cannot set up the event loop: %m");
		return 1;
	}
	nc_sock_init();
	nc_splice_enable(!cfg.no_shortcut);
	/* The link first: probing for a free address needs it. */
	if (nc_server_prepare(&cfg) ||
	    nc_link_open(&cfg, on_frame, nc_stack_rx_buffer) || nc_stack_init(&cfg) ||
	    nc_gateway_open(&cfg, on_frame) || nc_server_open(&cfg) || nc_names_init(&cfg))
		return 1;
	if (nc_gateway_on()) {
		struct nc_names_addrs host = { 0 };
		bool has4, has6;

		nc_gateway_host_addrs(host.ip4[0], &has4, host.ip6[0], &has6);
		host.n4 = has4;
		host.n6 = has6;
		nc_names_set_alias(NC_GATEWAY_HOST_NAME, &host);
	}
	{
		char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET, &cfg.ip4, a4, sizeof(a4));
		inet_ntop(AF_INET6, &cfg.ip6, a6, sizeof(a6));
		nc_info("address %s/%u and %s/%u, mtu %u", a4, cfg.prefix4, a6, cfg.prefix6,
			nc_link_mtu());
	}
	if (cfg.app_argv && start_app(&cfg)) {
		nc_err("cannot start %s", cfg.app_argv[0]);
		nc_server_close();
		return 1;
	}
	nc_loop_run(timeout);
	nc_sock_shutdown_all();
	/* Let the resets and FINs leave before the link goes. */
	nc_stack_poll();
	nc_server_close();
	nc_gateway_close();
	nc_link_close();
	if (app.child > 0) {
		if (!app.child_done)
			waitpid(app.child, &app.child_status, 0);
		if (WIFEXITED(app.child_status))
			return WEXITSTATUS(app.child_status);
		return 128 + WTERMSIG(app.child_status);
	}
	return 0;
}
