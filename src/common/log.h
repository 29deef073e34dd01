/* log.h - levelled log lines on stderr, shared by the service and the tools. */
#ifndef NETCON_LOG_H
#define NETCON_LOG_H

enum nc_log_level { NC_LOG_ERROR, NC_LOG_WARN, NC_LOG_INFO, NC_LOG_DEBUG };

extern int nc_log_level;
extern const char *nc_log_prefix;

void nc_log(enum nc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define nc_err(...)	nc_log(NC_LOG_ERROR, __VA_ARGS__)
#define nc_warn(...)	nc_log(NC_LOG_WARN, __VA_ARGS__)
#define nc_info(...)	nc_log(NC_LOG_INFO, __VA_ARGS__)
#define nc_debug(...)	do { if (nc_log_level >= NC_LOG_DEBUG) nc_log(NC_LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
