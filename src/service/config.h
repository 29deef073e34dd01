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

enum nc_link_kind {
	NC_LINK_DEFAULT_SWITCH,	/* no --net: the per-user local switch */
	NC_LINK_SWITCH,		/* switch://PATH or vde://PATH: host it or join it */
	NC_LINK_TAP,		/* tap://NAME */
	NC_LINK_OTHER,		/* any other vdeplug URL, used as given */
};

struct nc_config {
	char net[256];			/* --net URL as given ("" for the default) */
	enum nc_link_kind link_kind;
	char switch_dir[200];		/* for NC_LINK_*SWITCH: the switch's folder */
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
	int verbosity;			/* -1 quiet, 0 normal, 1+ debug */
	bool status;			/* `netcon-service status` */
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
enum nc_link_kind nc_classify_link(const char *url, char *switch_dir, size_t len);
/*
 * Parse argv into @cfg (defaults filled in first). Returns 0, or -1 with a
 * message in @err. Parsing stops at the first non-option: the program to run.
 */
int nc_parse_config(int argc, char **argv, struct nc_config *cfg, char *err, size_t errlen);
const char *nc_usage_text(void);

#endif
