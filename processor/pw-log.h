/* SPDX-License-Identifier: MIT */
/*
 * pw-log.h - error codes and the one logging hook of the core library.
 *
 * Library code never prints and never exits: it returns 0 or a negative
 * PW_E* code, and reports the details (file, offset, what to do) through
 * the hook the program installs with pw_log_set().
 */
#ifndef PW_LOG_H
#define PW_LOG_H

#include <stdarg.h>

/* Each error once, with its text; expanded into the enum and the messages. */
#define PW_ERRORS(_)                                                     \
	_(NOMEM, "out of memory")                                        \
	_(IO, "input/output error")                                      \
	_(FORMAT, "malformed input")                                     \
	_(TRUNCATED, "truncated input")                                  \
	_(UNSUPPORTED, "unsupported input")                              \
	_(NOTRACING, "no tracing data (tracepoint formats) in the input") \
	_(EVENTFMT, "a needed tracepoint format could not be parsed")    \
	_(COMPRESS, "corrupt compressed data")                           \
	_(VERSION, "unsupported format version")                         \
	_(INVAL, "invalid argument")                                     \
	_(NOENT, "no such file or entry")                                \
	_(STOPPED, "stopped by the consumer")                            \
	_(WRITE, "write error")

enum pw_errno {
	PW_OK = 0,
	__PW_ERRNO_START = -100000,
#define PW_ERR_ENUM(id, msg) PW_E##id,
	PW_ERRORS(PW_ERR_ENUM)
#undef PW_ERR_ENUM
	__PW_ERRNO_END
};

/**
 * pw_strerror - the message of a PW_E* code (or a negative errno value)
 * @err: a negative error code
 *
 * Returns a static string; never NULL.
 */
const char *pw_strerror(int err);

enum pw_log_level { PW_LOG_ERROR, PW_LOG_WARN, PW_LOG_INFO, PW_LOG_DEBUG };

typedef void (*pw_log_fn)(enum pw_log_level level, const char *fmt, va_list ap);
/* Marks the definition of a pw_log_fn, so that its vprintf of fmt is
 * checked as a printf's of the caller's arguments. */
#define PW_LOG_FN __attribute__((format(printf, 2, 0)))

/**
 * pw_log_set - install the logging hook
 * @fn: called for every message; NULL silences the library
 *
 * Messages carry no trailing newline.
 */
void pw_log_set(pw_log_fn fn);

/**
 * pw_log - report a message through the installed hook
 */
void pw_log(enum pw_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * pw_log_to_stderr - install the hook programs use: "PROG: error: ..." on
 * standard error; info messages only when *@verbosity >= 1, debug when >= 2
 * @prog: kept, not copied
 * @verbosity: read at each message, so options may change it later
 */
void pw_log_to_stderr(const char *prog, const int *verbosity);

#define pw_err(...) pw_log(PW_LOG_ERROR, __VA_ARGS__)
#define pw_warn(...) pw_log(PW_LOG_WARN, __VA_ARGS__)
#define pw_info(...) pw_log(PW_LOG_INFO, __VA_ARGS__)
#define pw_debug(...) pw_log(PW_LOG_DEBUG, __VA_ARGS__)

#endif
