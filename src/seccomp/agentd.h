/*
 * agentd.h - netcon-supervise --agent: the OCI seccomp agent's process,
 * one supervisor per network.
 */
#ifndef NETCON_SECCOMP_AGENTD_H
#define NETCON_SECCOMP_AGENTD_H

/*
 * Serve the listeners runtimes bring to @path until stopped. A container
 * whose listenerMetadata says network=NET is served by a supervisor process
 * of its own for DIR/NET/service.sock (`netcon serve NET`'s), DIR being
 * @dir; one without network= by NETCON_SOCKET's service. Returns an exit status.
 */
int nc_agentd_run(const char *path, const char *dir);
/* A network's supervisor: listeners arrive on descriptor @chan from the agent. */
int nc_agentd_network(int chan);

#endif
