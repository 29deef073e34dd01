/* config.h - the service's command line, parsed into one structure. */
#ifndef NETCON_CONFIG_H
#define NETCON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define NC_DEFAULT_NET4		"198.18.0.0"	/* RFC 2544 benchmarking range */
#define NC_DEFAULT_PREFIX4	16
#define NC_DEFAULT_NET6		"fd00:6e63::"	/* ULA, "nc" */
#define NC_DEFAULT_PREFIX6	64

#define NC_DNS_MAX		4	/* --dns servers at most */
#define NC_PUBLISH_MAX		32	/* --publish at most (more at run time: gateway.c) */

enum nc_link_kind {
	NC_LINK_DEFAULT_SWITCH,	/* no --net: the per-user local switch */
	NC_LINK_SWITCH,		/* switch://PATH or vde://PATH: host it or join it */
	NC_LINK_TAP,		/* tap://NAME */
	NC_LINK_OTHER,		/* any other vdeplug URL, used as given */
};

/*
 * A published port: HOSTADDR:HOSTPORT on the host's network reaches
 * VIRTADDR:PORT, one of the service's own addresses (--publish).
 */
struct nc_publish {
	int family;			/* AF_INET or AF_INET6 */
	bool udp;
	bool host_any;			/* no HOSTADDR: the family's wildcard */
	bool virt_own;			/* no VIRTADDR: the service's address of the family */
	uint8_t host_addr[16];		/* network order; IPv4 in the first 4 bytes */
	uint8_t virt_addr[16];
	uint16_t host_port, port;	/* host order */
};

/* What the command line asks of netcon-service. */
enum nc_command {
	NC_CMD_SERVE,			/* run a service (and a program in it) */
	NC_CMD_STATUS,			/* `status`: ask the running one */
	NC_CMD_PUBLISH,			/* `publish SPEC`, `unpublish SPEC`, `ports` */
	NC_CMD_UNPUBLISH,
	NC_CMD_PORTS,
};

struct nc_config {
	char net[256];			/* --net URL as given ("" for the default) */
	enum nc_link_kind link_kind;
	char switch_dir[200];		/* for NC_LINK_*SWITCH: the switch's folder */
	char uplink[256];		/* --uplink URL: the local switch's way to other hosts */
	char socket_path[200];		/* --socket */
	char group[64];			/* --group */
	bool have_ip4, have_ip6, have_gw4, have_gw6, have_mac;
	struct in_addr ip4, gw4;
	unsigned prefix4;
	struct in6_addr ip6, gw6;
	unsigned prefix6;
	unsigned mtu;			/* 0: 9000 on a switch, 1500 elsewhere */
	unsigned loss_ppm;		/* --loss: frames dropped per million, each way */
	uint8_t mac[6];
	char name[64];			/* --name (default: the host name), answered by mDNS */
	unsigned n_dns;			/* --dns servers, in the order given */
	struct nc_dns_server {
		int family;		/* AF_INET or AF_INET6 */
		uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
	} dns[NC_DNS_MAX];
	/*
	 * The gateway (gateway.c): NAT out to the host's network with --nat,
	 * published ports in with --publish; either runs it.
	 */
	bool nat, allow_host_loopback;
	bool no_shortcut;		/* --no-shortcut: local connections' bytes through lwIP too */
	unsigned n_publish;
	struct nc_publish publish[NC_PUBLISH_MAX];
	/* Filled by nc_config_gateway() once the addresses are known. */
	struct in_addr gw_host4, gw_dns4;	/* the gateway and its DNS relay */
	struct in6_addr gw_host6, gw_dns6;
	struct in_addr net4, mask4;		/* the IPv4 subnet, the IPv6 prefix */
	struct in6_addr net6;
	unsigned socket_mode;		/* --socket-mode, 0: 0600 (0660 with --group) */
	int verbosity;			/* -1 quiet, 0 normal, 1+ debug */
	enum nc_command command;
	bool status;			/* command == NC_CMD_STATUS */
	char command_arg[128];		/* publish/unpublish: the SPEC */
	bool help, version;
	char **app_argv;		/* a program to run in the service, or NULL */
};

int nc_parse_ip4_cidr(const char *text, struct in_addr *addr, unsigned *prefix);
int nc_parse_ip6_cidr(const char *text, struct in6_addr *addr, unsigned *prefix);
int nc_parse_mac(const char *text, uint8_t mac[6]);
int nc_parse_mtu(const char *text, unsigned *mtu);
int nc_parse_loss(const char *text, unsigned *ppm);
/* A host name for --name: 1..63 characters, dot-separated labels of letters, digits, '-', '_'. */
int nc_parse_name(const char *text, char *name, size_t len);
/*
 * "[HOSTADDR:]HOSTPORT:[VIRTADDR:]PORT[/tcp|/udp]", IPv6 addresses in
 * brackets. Without either address the family is AF_UNSPEC: the caller
 * publishes on both. 0, or -1 with the reason in @why.
 */
int nc_parse_publish(const char *text, struct nc_publish *p, const char **why);
/* A published port as text, in the form nc_parse_publish() reads. */
void nc_format_publish(const struct nc_publish *p, char *out, size_t len);
/* Is the gateway on (--nat or --publish)? */
static inline bool nc_config_gateway_on(const struct nc_config *cfg)
{
	return cfg->nat || cfg->n_publish;
}
/*
 * Once the service's addresses are chosen: the gateway's own (the subnet's
 * first address unless --gateway names one, and the next for its DNS
 * relay), the default routes through it, and its relay as the DNS server
 * when no --dns is given. -1 with a reason if an address is taken.
 */
int nc_config_gateway(struct nc_config *cfg, char *err, size_t errlen);
enum nc_link_kind nc_classify_link(const char *url, char *switch_dir, size_t len);
/*
 * Parse argv into @cfg (defaults filled in first). Returns 0, or -1 with a
 * message in @err. Parsing stops at the first non-option: the program to run.
 */
int nc_parse_config(int argc, char **argv, struct nc_config *cfg, char *err, size_t errlen);
const char *nc_usage_text(void);

#endif
