// SPDX-License-Identifier: MIT
/* log.c - error messages and the logging hook. */
#include <stdio.h>
#include <string.h>

#include "pw-log.h"

static pw_log_fn log_fn;

static const char *const pw_messages[] = {
#define PW_ERR_MSG(id, msg) msg,
	PW_ERRORS(PW_ERR_MSG)
#undef PW_ERR_MSG
};

const char *pw_strerror(int err)
{
	if (err > __PW_ERRNO_START && err < __PW_ERRNO_END)
		return pw_messages[err - __PW_ERRNO_START - 1];
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}

void pw_log_set(pw_log_fn fn)
{
	log_fn = fn;
}

void pw_log(enum pw_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	log_fn(level, fmt, ap);
	va_end(ap);
}

static const char *stderr_prog = "perfwhiz";
static const int *stderr_verbosity;

PW_LOG_FN static void stderr_log(enum pw_log_level level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "" };
	int v = stderr_verbosity ? *stderr_verbosity : 1;

	if ((level == PW_LOG_INFO && v < 1) || (level == PW_LOG_DEBUG && v < 2))
		return;
	fprintf(stderr, "%s: %s", stderr_prog, prefix[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pw_log_to_stderr(const char *prog, const int *verbosity)
{
	stderr_prog = prog;
	stderr_verbosity = verbosity;
	pw_log_set(stderr_log);
}
