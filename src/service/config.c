/*
 * config.c - the service's options. Each value is checked here, once, so the
 * rest of the service can trust it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "../common/underlay.h"
#include "../common/paths.h"

static const char usage[] =
"usage: netcon-service [options] [program [args...]]\n"
"       netcon-service status [--socket PATH]\n"
"       netcon-service publish|unpublish SPEC [--socket PATH]; netcon-service ports\n"
"\n"
"Runs a userspace TCP/IP stack that intercepted programs use instead of the\n"
"kernel's. With a program, runs it through the service and exits with its status.\n"
"\n"
"  --net URL         the virtual network (vdeplug URL): switch://DIR or vde://DIR\n"
"                    (a local switch: the first service hosts it, others join),\n"
"                    tap://NAME, vxvde://..., agno://KEY{...}, vlan://N{...}, slirp://\n"
"                    default: the per-user switch in /tmp/netcon-UID/switch\n"
"  --ip ADDR/PREFIX  IPv4 address (default: a free one in 198.18.0.0/16)\n"
"  --ip6 ADDR/PREFIX IPv6 address (default: fd00:6e63::/64 plus the MAC)\n"
"  --gateway ADDR    default gateway (IPv4 or IPv6; may be given twice)\n"
"  --mtu N           link MTU (default 65000 on a local switch, the underlay's less\n"
"                    VXLAN's 50 on vxvde://, 1500 elsewhere)\n"
"  --uplink URL      attach the local switch to other hosts: vxvde://GROUP, uml://PATH\n"
"                    (tinc's DeviceType = uml socket), any vdeplug URL; carried by\n"
"                    whichever service hosts the switch\n"
"  --mac XX:XX:...   link MAC address (default: netcon's prefix 02:6e:63, then random;\n"
"                    on a local switch, frames from such MACs skip checksum checks)\n"
"  --loss PERCENT    drop this share of frames in and out (testing: 0..50, e.g. 1 or 0.5)\n"
"  --socket PATH     RPC socket (default: $NETCON_SOCKET or /tmp/netcon-UID/service.sock)\n"
"  --group NAME      let members of group NAME use the service (socket mode 0660)\n"
"  --name NAME       the service's name, answered as NAME and NAME.local by multicast\n"
"                    DNS on the virtual link (default: the host name)\n"
"  --no-shortcut     bytes between two connections of this service go through lwIP\n"
"                    (by default they move between the two socketpairs directly)\n"
"  --nat             a gateway out: connections and datagrams to the host's network\n"
"                    and beyond leave through the host's own sockets (libslirp), and\n"
"                    the gateway relays DNS to the host's resolvers; it takes the\n"
"                    subnet's first two addresses (198.18.0.1, .2; fd00:6e63::1, ::2)\n"
"  --allow-host-loopback  with --nat: the gateway's address reaches the host's\n"
"                    loopback (127.0.0.1, ::1); refused otherwise\n"
"  --publish SPEC    [HOSTADDR:]HOSTPORT:[VIRTADDR:]PORT[/tcp|/udp] (repeatable): the\n"
"                    host's HOSTPORT reaches PORT on this service's address; the server\n"
"                    sees the client's own address (the gateway's for a host loopback one)\n"
"  --socket-mode MODE the RPC socket's mode (octal, e.g. 0666 for containers run as\n"
"                    any user; default 0600, 0660 with --group)\n"
"  --dns ADDR        a DNS server on the virtual network (IPv4 or IPv6; up to 4) for\n"
"                    names that are not the services'; programs' names are resolved\n"
"                    by the service, which also answers DNS on port 53 of its addresses\n"
"  -v, -q            more or less logging\n"
"  --help, --version\n";

const char *nc_usage_text(void)
{
	return usage;
}

/* parse_prefix() - a decimal prefix length in [0, max] after a '/'. */
static int parse_prefix(const char *text, unsigned max, unsigned *prefix)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*prefix = (unsigned)v;
	return 0;
}

/* split_cidr() - copy the address part of "ADDR[/PREFIX]"; point at the prefix. */
static int split_cidr(const char *text, char *addr, size_t len, const char **prefix)
{
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);

	if (n == 0 || n >= len)
		return -1;
	memcpy(addr, text, n);
	addr[n] = '\0';
	*prefix = slash ? slash + 1 : NULL;
	return 0;
}

/* nc_parse_ip4_cidr() - "a.b.c.d[/n]"; without a prefix, /24 is assumed. */
int nc_parse_ip4_cidr(const char *text, struct in_addr *addr, unsigned *prefix)
{
	char buf[INET_ADDRSTRLEN];
	const char *p;

	if (split_cidr(text, buf, sizeof(buf), &p) || inet_pton(AF_INET, buf, addr) != 1)
		return -1;
	if (!p) {
		*prefix = 24;
		return 0;
	}
	return parse_prefix(p, 32, prefix);
}

/* nc_parse_ip6_cidr() - "x:y::z[/n]"; without a prefix, /64 is assumed. */
int nc_parse_ip6_cidr(const char *text, struct in6_addr *addr, unsigned *prefix)
{
	char buf[INET6_ADDRSTRLEN];
	const char *p;

	if (split_cidr(text, buf, sizeof(buf), &p) || inet_pton(AF_INET6, buf, addr) != 1)
		return -1;
	if (!p) {
		*prefix = 64;
		return 0;
	}
	return parse_prefix(p, 128, prefix);
}

/* nc_parse_mac() - six hex octets separated by ':'; no multicast address. */
int nc_parse_mac(const char *text, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	int i;

	if (strlen(text) != 17)
		return -1;
	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &tail) != 6)
		return -1;
	if (!(v[0] | v[1] | v[2] | v[3] | v[4] | v[5]))
		return -1;	/* all zeroes is no address */
	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)text[i * 3]) || !isxdigit((unsigned char)text[i * 3 + 1]))
			return -1;
		if (i < 5 && text[i * 3 + 2] != ':')
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return (mac[0] & 1) ? -1 : 0;
}

/* nc_parse_mtu() - an MTU that IPv6 accepts and a link's largest frame can carry. */
int nc_parse_mtu(const char *text, unsigned *mtu)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v < 1280 || v > NC_SWITCH_MTU)
		return -1;
	*mtu = (unsigned)v;
	return 0;
}

/* nc_parse_loss() - a percentage with up to 4 decimals, 0..50, in parts per million. */
int nc_parse_loss(const char *text, unsigned *ppm)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	v = strtod(text, &end);
	if (errno || *end || v < 0 || v > 50)
		return -1;
	*ppm = (unsigned)(v * 10000.0 + 0.5);
	return 0;
}

/*
 * nc_parse_name() - a service name as DNS and mDNS carry it: 1..63
 * characters in all, labels of 1..63 letters, digits, '-' and '_' separated
 * by single dots, no dot or '-' at either end. Anything else could not be
 * answered (or would be a different name on the wire).
 */
int nc_parse_name(const char *text, char *name, size_t len)
{
	size_t n = strlen(text), i, label = 0;

	if (n == 0 || n > 63 || n >= len || text[0] == '.' || text[n - 1] == '.' ||
	    text[0] == '-' || text[n - 1] == '-')
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '.') {
			if (label == 0)
				return -1;	/* an empty label */
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return -1;
		label++;
	}
	memcpy(name, text, n + 1);
	return 0;
}

/*
 * nc_classify_link() - what kind of link a --net URL asks for. For a switch,
 * @switch_dir receives its folder (which must be absolute: vdeplug falls back
 * to a system path for an empty one).
 */
enum nc_link_kind nc_classify_link(const char *url, char *switch_dir, size_t len)
{
	const char *dir = NULL;

	if (!url || !*url) {
		if (nc_default_switch(switch_dir, len))
			return NC_LINK_OTHER;
		return NC_LINK_DEFAULT_SWITCH;
	}
	if (!strncmp(url, "switch://", 9))
		dir = url + 9;
	else if (!strncmp(url, "vde://", 6))
		dir = url + 6;
	if (dir) {
		if (*dir != '/' || strlen(dir) >= len || strchr(dir, '['))
			return NC_LINK_OTHER;
		snprintf(switch_dir, len, "%s", dir);
		return NC_LINK_SWITCH;
	}
	if (!strncmp(url, "tap://", 6))
		return NC_LINK_TAP;
	return NC_LINK_OTHER;
}

/* is_value_option() - the options that take a value. */
static bool is_value_option(const char *opt)
{
	static const char *const names[] = { "--net", "--socket", "--group", "--ip", "--ip6",
					      "--gateway", "--mtu", "--mac", "--loss", "--name",
					      "--dns", "--publish", "--socket-mode", "--uplink" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(opt, names[i]))
			return true;
	return false;
}

/*
 * ip4_host_ok() - an address a host may hold on its subnet: not 0/8,
 * loopback, multicast or reserved, nor the subnet's network or broadcast.
 */
static bool ip4_host_ok(struct in_addr addr, unsigned prefix)
{
	uint32_t a = ntohl(addr.s_addr), host_mask = prefix >= 32 ? 0 : 0xffffffffu >> prefix;
	unsigned first = a >> 24;

	if (first == 0 || first == 127 || first >= 224)
		return false;
	if (prefix >= 31)
		return true;	/* a single address, or a point-to-point pair */
	return (a & host_mask) != 0 && (a & host_mask) != host_mask;
}

static int fail(char *err, size_t errlen, const char *what, const char *value)
{
	snprintf(err, errlen, "%s: '%s'", what, value ? value : "");
	return -1;
}

/* copy_opt() - copy an option's value, refusing one that does not fit. */
static int copy_opt(char *dst, size_t len, const char *value)
{
	if (strlen(value) >= len)
		return -1;
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

int nc_parse_config(int argc, char **argv, struct nc_config *cfg, char *err, size_t errlen)
{
	int i = 1;

	memset(cfg, 0, sizeof(*cfg));
	if (nc_default_socket(cfg->socket_path, sizeof(cfg->socket_path)))
		return fail(err, errlen, "socket path too long", "");
	if (argc > 1 && !strcmp(argv[1], "status")) {
		cfg->status = true;
		cfg->command = NC_CMD_STATUS;
		i = 2;
	} else if (argc > 1 && !strcmp(argv[1], "ports")) {
		cfg->command = NC_CMD_PORTS;
		i = 2;
	} else if (argc > 1 && (!strcmp(argv[1], "publish") || !strcmp(argv[1], "unpublish"))) {
		struct nc_publish p;
		const char *why;

		cfg->command = argv[1][0] == 'p' ? NC_CMD_PUBLISH : NC_CMD_UNPUBLISH;
		if (argc < 3 || nc_parse_publish(argv[2], &p, &why) ||
		    copy_opt(cfg->command_arg, sizeof(cfg->command_arg), argv[2]))
			return fail(err, errlen, argc < 3 ? "publish needs a SPEC" : "bad SPEC",
				    argc < 3 ? "" : argv[2]);
		i = 3;
	}
	for (; i < argc; i++) {
		const char *opt = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		int takes_value = 1;

		if (opt[0] != '-')
			break;
		if (!strcmp(opt, "--")) {
			i++;
			break;
		}
		if (!strcmp(opt, "-v") || !strcmp(opt, "--verbose")) {
			cfg->verbosity++;
			takes_value = 0;
		} else if (!strcmp(opt, "-q") || !strcmp(opt, "--quiet")) {
			cfg->verbosity = -1;
			takes_value = 0;
		} else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			cfg->help = true;
			takes_value = 0;
		} else if (!strcmp(opt, "--version")) {
			cfg->version = true;
			takes_value = 0;
		} else if (!strcmp(opt, "--nat")) {
			cfg->nat = true;
			takes_value = 0;
		} else if (!strcmp(opt, "--allow-host-loopback")) {
			cfg->allow_host_loopback = true;
			takes_value = 0;
		} else if (!strcmp(opt, "--no-shortcut")) {
			cfg->no_shortcut = true;
			takes_value = 0;
		} else if (!is_value_option(opt)) {
			return fail(err, errlen, "unknown option", opt);
		} else if (!val) {
			return fail(err, errlen, "option needs a value", opt);
		} else if (!strcmp(opt, "--net")) {
			if (copy_opt(cfg->net, sizeof(cfg->net), val) || !*val)
				return fail(err, errlen, "bad --net URL", val);
		} else if (!strcmp(opt, "--socket")) {
			if (copy_opt(cfg->socket_path, sizeof(cfg->socket_path), val) || !*val)
				return fail(err, errlen, "bad --socket path", val);
		} else if (!strcmp(opt, "--group")) {
			if (copy_opt(cfg->group, sizeof(cfg->group), val) || !*val)
				return fail(err, errlen, "bad --group", val);
		} else if (!strcmp(opt, "--ip")) {
			if (nc_parse_ip4_cidr(val, &cfg->ip4, &cfg->prefix4) || cfg->prefix4 < 1 ||
			    cfg->prefix4 > 30 || !ip4_host_ok(cfg->ip4, cfg->prefix4))
				return fail(err, errlen, "bad --ip (want A.B.C.D/PREFIX)", val);
			cfg->have_ip4 = true;
		} else if (!strcmp(opt, "--ip6")) {
			if (nc_parse_ip6_cidr(val, &cfg->ip6, &cfg->prefix6) || cfg->prefix6 < 1 ||
			    IN6_IS_ADDR_MULTICAST(&cfg->ip6) || IN6_IS_ADDR_UNSPECIFIED(&cfg->ip6) ||
			    IN6_IS_ADDR_LOOPBACK(&cfg->ip6) || IN6_IS_ADDR_V4MAPPED(&cfg->ip6))
				return fail(err, errlen, "bad --ip6 (want ADDR/PREFIX)", val);
			cfg->have_ip6 = true;
		} else if (!strcmp(opt, "--gateway")) {
			if (inet_pton(AF_INET, val, &cfg->gw4) == 1 && ip4_host_ok(cfg->gw4, 32))
				cfg->have_gw4 = true;
			else if (inet_pton(AF_INET6, val, &cfg->gw6) == 1 &&
				 !IN6_IS_ADDR_MULTICAST(&cfg->gw6) && !IN6_IS_ADDR_UNSPECIFIED(&cfg->gw6))
				cfg->have_gw6 = true;
			else
				return fail(err, errlen, "bad --gateway", val);
		} else if (!strcmp(opt, "--mtu")) {
			if (nc_parse_mtu(val, &cfg->mtu))
				return fail(err, errlen, "bad --mtu (1280..65000)", val);
		} else if (!strcmp(opt, "--uplink")) {
			if (!*val || strlen(val) >= sizeof(cfg->uplink) || !strstr(val, "://") ||
			    strpbrk(val, "\n\r"))
				return fail(err, errlen, "bad --uplink (a vdeplug URL, or uml://PATH)", val);
			snprintf(cfg->uplink, sizeof(cfg->uplink), "%s", val);
		} else if (!strcmp(opt, "--loss")) {
			if (nc_parse_loss(val, &cfg->loss_ppm))
				return fail(err, errlen, "bad --loss (percent, 0..50)", val);
		} else if (!strcmp(opt, "--name")) {
			if (nc_parse_name(val, cfg->name, sizeof(cfg->name)))
				return fail(err, errlen, "bad --name (letters, digits, '-', '_', dots; at most 63)", val);
		} else if (!strcmp(opt, "--dns")) {
			struct nc_dns_server *d = &cfg->dns[cfg->n_dns];

			if (cfg->n_dns >= NC_DNS_MAX)
				return fail(err, errlen, "too many --dns servers (at most 4)", val);
			memset(d, 0, sizeof(*d));
			if (inet_pton(AF_INET, val, d->addr) == 1 &&
			    ip4_host_ok(*(struct in_addr *)d->addr, 32))
				d->family = AF_INET;
			else if (inet_pton(AF_INET6, val, d->addr) == 1 &&
				 !IN6_IS_ADDR_MULTICAST((struct in6_addr *)d->addr) &&
				 !IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)d->addr) &&
				 !IN6_IS_ADDR_V4MAPPED((struct in6_addr *)d->addr))
				d->family = AF_INET6;
			else
				return fail(err, errlen, "bad --dns (an IPv4 or IPv6 address)", val);
			cfg->n_dns++;
		} else if (!strcmp(opt, "--publish")) {
			const char *why;

			if (cfg->n_publish >= NC_PUBLISH_MAX)
				return fail(err, errlen, "too many --publish (at most 32)", val);
			if (nc_parse_publish(val, &cfg->publish[cfg->n_publish], &why)) {
				snprintf(err, errlen, "bad --publish '%s': %s", val, why);
				return -1;
			}
			cfg->n_publish++;
		} else if (!strcmp(opt, "--socket-mode")) {
			char *end;
			unsigned long m = strtoul(val, &end, 8);

			/* Read and write for the owner at least; never executable or set-id. */
			if (!*val || *end || m > 0777 || (m & 0600) != 0600 || (m & 0111))
				return fail(err, errlen, "bad --socket-mode (octal, e.g. 0600, 0660, 0666)", val);
			cfg->socket_mode = (unsigned)m;
		} else if (!strcmp(opt, "--mac")) {
			if (nc_parse_mac(val, cfg->mac))
				return fail(err, errlen, "bad --mac (unicast XX:XX:XX:XX:XX:XX)", val);
			cfg->have_mac = true;
		} else {
			return fail(err, errlen, "unknown option", opt);
		}
		i += takes_value;
	}
	if (i < argc) {
		if (cfg->command != NC_CMD_SERVE)
			return fail(err, errlen, "this command takes no program", argv[i]);
		cfg->app_argv = &argv[i];
	}
	if (!cfg->name[0]) {
		char host[256] = "";

		/* The host's name, when it makes a valid one; else "netcon". */
		if (gethostname(host, sizeof(host) - 1) ||
		    nc_parse_name(host, cfg->name, sizeof(cfg->name)))
			strcpy(cfg->name, "netcon");
	}
	cfg->link_kind = nc_classify_link(cfg->net, cfg->switch_dir, sizeof(cfg->switch_dir));
	if (cfg->link_kind == NC_LINK_OTHER && !*cfg->net)
		return fail(err, errlen, "default switch path too long", "");
	if (cfg->allow_host_loopback && !cfg->nat)
		return fail(err, errlen, "--allow-host-loopback needs --nat", "");
	if (cfg->uplink[0] && cfg->link_kind != NC_LINK_DEFAULT_SWITCH &&
	    cfg->link_kind != NC_LINK_SWITCH)
		return fail(err, errlen, "--uplink belongs to a local switch (no --net, or switch://DIR)",
			    cfg->net);
	if (!cfg->mtu) {
		unsigned under = nc_underlay_mtu(cfg->net, NULL, 0);

		cfg->mtu = under ? under :
			   (cfg->link_kind == NC_LINK_DEFAULT_SWITCH ||
			    cfg->link_kind == NC_LINK_SWITCH) ? NC_SWITCH_MTU : 1500;
	}
	return 0;
}

/*
 * publish_fields() - split a publish SPEC at its colons, an IPv6 address in
 * brackets counting as one field (brackets stripped). Up to 4 fields.
 */
static int publish_fields(char *s, char *field[4])
{
	int n = 0;

	while (*s) {
		if (n == 4)
			return -1;
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (!close || (close[1] && close[1] != ':'))
				return -1;
			*close = '\0';
			field[n++] = s + 1;
			s = close + 1;
		} else {
			field[n++] = s;
			s += strcspn(s, ":");
		}
		if (*s == ':') {
			*s++ = '\0';
			if (!*s)
				return -1;	/* a trailing colon */
		}
	}
	return n;
}

/* publish_port() - a port number 1..65535. */
static int publish_port(const char *text, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*text))
		return -1;
	v = strtoul(text, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* publish_addr() - an IPv4 or IPv6 address; its family, or -1. */
static int publish_addr(const char *text, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, text, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, addr) == 1)
		return AF_INET6;
	return -1;
}

/* all_zero() - a wildcard address (the bytes need not be aligned for in6_addr). */
static bool all_zero(const uint8_t *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

int nc_parse_publish(const char *text, struct nc_publish *p, const char **why)
{
	char buf[128], *field[4], *proto;
	int n, host_family = AF_UNSPEC, virt_family = AF_UNSPEC;
	const char *host = NULL, *virt = NULL, *hport, *vport;

	memset(p, 0, sizeof(*p));
	*why = "too long";
	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	proto = strrchr(buf, '/');
	if (proto) {
		*proto++ = '\0';
		if (!strcmp(proto, "udp"))
			p->udp = true;
		else if (strcmp(proto, "tcp")) {
			*why = "the protocol is tcp or udp";
			return -1;
		}
	}
	*why = "want [HOSTADDR:]HOSTPORT:[VIRTADDR:]PORT[/tcp|/udp]";
	n = publish_fields(buf, field);
	if (n < 2)
		return -1;
	if (n == 2) {
		hport = field[0];
		vport = field[1];
	} else if (n == 3 && strspn(field[0], "0123456789") == strlen(field[0])) {
		hport = field[0];
		virt = field[1];
		vport = field[2];
	} else if (n == 3) {
		host = field[0];
		hport = field[1];
		vport = field[2];
	} else {
		host = field[0];
		hport = field[1];
		virt = field[2];
		vport = field[3];
	}
	if (publish_port(hport, &p->host_port) || publish_port(vport, &p->port)) {
		*why = "ports are 1..65535";
		return -1;
	}
	if (host && (host_family = publish_addr(host, p->host_addr)) < 0) {
		*why = "HOSTADDR is not an IPv4 or IPv6 address";
		return -1;
	}
	if (virt && (virt_family = publish_addr(virt, p->virt_addr)) < 0) {
		*why = "VIRTADDR is not an IPv4 or IPv6 address";
		return -1;
	}
	if (host_family != AF_UNSPEC && virt_family != AF_UNSPEC && host_family != virt_family) {
		*why = "HOSTADDR and VIRTADDR are of different families";
		return -1;
	}
	p->family = host_family != AF_UNSPEC ? host_family : virt_family;
	p->host_any = !host || all_zero(p->host_addr, host_family == AF_INET ? 4 : 16);
	p->virt_own = !virt;
	if (virt && all_zero(p->virt_addr, virt_family == AF_INET ? 4 : 16)) {
		*why = "VIRTADDR is one of the service's addresses, not a wildcard";
		return -1;
	}
	return 0;
}

void nc_format_publish(const struct nc_publish *p, char *out, size_t len)
{
	char h[INET6_ADDRSTRLEN + 2] = "", v[INET6_ADDRSTRLEN + 2] = "", a[INET6_ADDRSTRLEN];
	int fam = p->family == AF_UNSPEC ? AF_INET : p->family;

	if (!p->host_any || p->family == AF_INET6) {
		inet_ntop(fam, p->host_addr, a, sizeof(a));
		snprintf(h, sizeof(h), fam == AF_INET6 ? "[%s]:" : "%s:", a);
	}
	if (!p->virt_own) {
		inet_ntop(fam, p->virt_addr, a, sizeof(a));
		snprintf(v, sizeof(v), fam == AF_INET6 ? "[%s]:" : "%s:", a);
	}
	snprintf(out, len, "%s%u:%s%u/%s", h, p->host_port, v, p->port, p->udp ? "udp" : "tcp");
}

/* add_to_ip4() - @base plus @n, network order. */
static struct in_addr add_to_ip4(struct in_addr base, uint32_t n)
{
	struct in_addr a = { htonl(ntohl(base.s_addr) + n) };

	return a;
}

int nc_config_gateway(struct nc_config *cfg, char *err, size_t errlen)
{
	uint32_t mask = cfg->prefix4 ? 0xffffffffu << (32 - cfg->prefix4) : 0;
	struct in_addr net = { htonl(ntohl(cfg->ip4.s_addr) & mask) };
	unsigned i;

	if (!nc_config_gateway_on(cfg))
		return 0;
	cfg->gw_host4 = cfg->have_gw4 ? cfg->gw4 : add_to_ip4(net, 1);
	cfg->gw_dns4 = add_to_ip4(cfg->gw_host4, 1);
	if ((ntohl(cfg->gw_host4.s_addr) & mask) != ntohl(net.s_addr) ||
	    (ntohl(cfg->gw_dns4.s_addr) & mask) != ntohl(net.s_addr)) {
		snprintf(err, errlen, "the gateway must be on the subnet (--gateway)");
		return -1;
	}
	if (cfg->ip4.s_addr == cfg->gw_host4.s_addr || cfg->ip4.s_addr == cfg->gw_dns4.s_addr) {
		snprintf(err, errlen, "--ip %s is the gateway's (it takes the subnet's first two addresses): choose another",
			 inet_ntoa(cfg->ip4));
		return -1;
	}
	/* IPv6: the prefix's ::1 and ::2 (or --gateway and the next). */
	cfg->net4 = net;
	cfg->mask4.s_addr = htonl(mask);
	for (i = 0; i < 16; i++) {
		unsigned bits = cfg->prefix6 > i * 8 ? cfg->prefix6 - i * 8 : 0;

		cfg->net6.s6_addr[i] = cfg->ip6.s6_addr[i] &
				       (uint8_t)(bits >= 8 ? 0xff : (0xff00 >> bits) & 0xff);
	}
	if (cfg->have_gw6) {
		cfg->gw_host6 = cfg->gw6;
	} else {
		cfg->gw_host6 = cfg->net6;
		cfg->gw_host6.s6_addr[15] |= 1;
	}
	cfg->gw_dns6 = cfg->gw_host6;
	cfg->gw_dns6.s6_addr[15]++;
	if (!memcmp(&cfg->ip6, &cfg->gw_host6, 16) || !memcmp(&cfg->ip6, &cfg->gw_dns6, 16)) {
		snprintf(err, errlen, "--ip6 is the gateway's (the prefix's ::1 and ::2): choose another");
		return -1;
	}
	cfg->gw4 = cfg->gw_host4;
	cfg->gw6 = cfg->gw_host6;
	cfg->have_gw4 = cfg->have_gw6 = true;
	if (cfg->nat && cfg->n_dns == 0) {
		cfg->dns[0].family = AF_INET;
		memset(cfg->dns[0].addr, 0, sizeof(cfg->dns[0].addr));
		memcpy(cfg->dns[0].addr, &cfg->gw_dns4, 4);
		cfg->n_dns = 1;
	}
	return 0;
}
