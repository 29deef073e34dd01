/* log.c - levelled log lines on stderr; errno is preserved. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

int nc_log_level = NC_LOG_INFO;
const char *nc_log_prefix = "netcon";

/* nc_log() - one line: time, prefix, pid, level, message. */
void nc_log(enum nc_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	int saved_errno = errno;
	char line[1024];
	struct timespec ts;
	va_list ap;
	int n;

	if ((int)level > nc_log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(line, sizeof(line), "%ld.%03ld %s[%d] %s: ", (long)ts.tv_sec % 100000,
		     ts.tv_nsec / 1000000, nc_log_prefix, (int)getpid(), names[level]);
	va_start(ap, fmt);
	if (n > 0 && n < (int)sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
	errno = saved_errno;
}
