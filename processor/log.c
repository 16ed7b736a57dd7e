// SPDX-License-Identifier: MIT
/* log.c - error messages and the logging hook. */
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
