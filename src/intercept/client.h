/*
 * client.h - libnetcon's side of the RPC channel: one connection per thread,
 * opened on first use, reopened after fork or if the program closed it.
 */
#ifndef NETCON_CLIENT_H
#define NETCON_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/rpc.h"

struct nc_client_config {
	char socket_path[108];
	bool fallback_kernel;	/* NETCON_FALLBACK=kernel */
	int rpc_timeout_ms;	/* NETCON_RPC_TIMEOUT (seconds): longest wait for a reply */
	char service_uid[16];	/* NETCON_SERVICE_UID: a service uid to trust besides ours and root */
	bool debug;		/* NETCON_DEBUG=1 */
};

extern struct nc_client_config nc_client_cfg;

void nc_client_init(void);
/* Connect now (at start), so a program that drops privileges keeps its channel. */
void nc_client_connect_early(void);
/*
 * One request and its reply. @send_fd, the socket @req names (its proof of
 * possession), rides along when >= 0; a descriptor on
 * the reply lands in *@recv_fd (opened with @cloexec). Returns the reply's
 * result (>= 0 or -errno), or -ENETDOWN when no service answers.
 */
int nc_call(struct nc_request *req, struct nc_reply *rep, int send_fd, int *recv_fd,
	    bool cloexec);
/* The program closed or replaced descriptor @fd: forget it if it was ours. */
void nc_client_fd_closed(int fd);
void nc_client_fds_closed(unsigned first, unsigned last);
/*
 * Spare sockets: a CONNECT reply may carry a new socket of the same family,
 * kept here (one per family and process) for the next socket() call.
 * take: the spare as the lowest free descriptor (*id names it), -EMFILE when
 * no descriptor is free (the spare stays), or -1 when there is none to take.
 */
int nc_client_take_spare(int domain, bool cloexec, uint64_t *id);
bool nc_client_wants_spare(int domain);
void nc_client_keep_spare(int domain, int fd, uint64_t id);
/* Say once per process that no service is reachable. */
void nc_client_complain(void);

#endif
