/* SPDX-License-Identifier: MIT */
/*
 * test-log.h - a pw_log_fn for the unit tests that keeps every message the
 * library logs, one per line, and counts errors and warnings.
 */
#ifndef TEST_LOG_H
#define TEST_LOG_H

#include <stdarg.h>
#include <stdio.h>

#include "pw-log.h"

static char logbuf[1 << 16];
static size_t loglen;
static unsigned int nerrors, nwarnings;

PW_LOG_FN static void capture(enum pw_log_level level, const char *fmt, va_list ap)
{
	int n;

	if (level == PW_LOG_ERROR)
		nerrors++;
	if (level == PW_LOG_WARN)
		nwarnings++;
	if (loglen >= sizeof(logbuf) - 2)
		return;
	n = vsnprintf(logbuf + loglen, sizeof(logbuf) - 1 - loglen, fmt, ap);
	if (n > 0)
		loglen += (size_t)n < sizeof(logbuf) - 1 - loglen ? (size_t)n :
			  sizeof(logbuf) - 2 - loglen;
	logbuf[loglen++] = '\n';
	logbuf[loglen] = '\0';
}

/* Forgets what was logged; the next test starts from nothing. */
static inline void log_reset(void)
{
	loglen = 0;
	logbuf[0] = '\0';
	nerrors = nwarnings = 0;
}

#endif
