/* SPDX-License-Identifier: MIT */
/*
 * pw-namemap.h - task-name annotation: a mapping file that renames tids.
 *
 * A mapping file is CSV, one task per line, seven fields:
 *
 *   <tid>,<libvirt-instance>,<task-system-type>,<uuid>,<group-type>,<group-id>,<task-name>
 *
 * The instance, uuid and group-type fields are ignored and may be empty
 * (the "simplified" form: 19236,,vcpu0,,,5,Firewall). A row renames every
 * row whose tid matches to
 *
 *   <task-name>.<group-id, at least two digits>.<task-system-type>
 *
 * e.g. Firewall.05.vcpu0. When the task-system-type is empty the name is
 * <task-name>.<group-id> (Firewall.05), without a trailing dot.
 *
 * Blank lines and lines whose first non-blank character is '#' are
 * ignored; a UTF-8 byte order mark and CRLF line ends are accepted.
 * Everything else that is not a valid row is an error naming the file and
 * line: a field count other than 7, a tid that is not a decimal number in
 * 1..2147483647, a group-id that is not a decimal number in 0..2147483647,
 * an empty task-name, invalid UTF-8 or control characters in the name or
 * type, a NUL byte, a line longer than PW_NAMEMAP_MAX_LINE bytes, a tid
 * listed twice.
 */
#ifndef PW_NAMEMAP_H
#define PW_NAMEMAP_H

#include <stddef.h>
#include <stdint.h>

#include "pw-meta.h"
#include "pw-row.h"

/* Longest accepted line, in bytes, without its line end. */
#define PW_NAMEMAP_MAX_LINE 4096
/* Largest accepted mapping file, in bytes. */
#define PW_NAMEMAP_MAX_FILE (64u << 20)

struct pw_namemap;

/**
 * pw_namemap_load - read and check a mapping file
 * @path: the CSV file; also the name used in messages and by
 *        pw_namemap_file()
 * @err: set to 0 or a negative PW_E* code (may be NULL)
 *
 * Every problem is logged through pw_err() as "PATH:LINE: what", and the
 * whole file is rejected (PW_EFORMAT). PW_EIO or PW_ENOENT when it cannot
 * be read, PW_ENOMEM.
 *
 * Returns a map to free with pw_namemap_free(), or NULL on error.
 */
struct pw_namemap *pw_namemap_load(const char *path, int *err);

/**
 * pw_namemap_load_mem - the same from a buffer (tests, fuzzing)
 * @buf: the file's bytes (need not be NUL-terminated; may be NULL if @n is 0)
 * @n: byte count
 * @name: file name for messages and pw_namemap_file()
 * @err: as for pw_namemap_load()
 *
 * Returns a map to free with pw_namemap_free(), or NULL on error.
 */
struct pw_namemap *pw_namemap_load_mem(const void *buf, size_t n, const char *name,
				       int *err);

/**
 * pw_namemap_free - release @m and every name it owns (NULL ok)
 */
void pw_namemap_free(struct pw_namemap *m);

/**
 * pw_namemap_lookup - the annotated name of @tid
 * @m: a map (NULL: no map, nothing matches)
 * @tid: a thread id (PW_NONE matches nothing)
 *
 * Returns the name, owned by @m and valid until pw_namemap_free(), or NULL
 * when @tid is not in the map. Constant time.
 */
const char *pw_namemap_lookup(const struct pw_namemap *m, int64_t tid);

/**
 * pw_namemap_apply - rename the tasks of one row in place
 * @m: a map (NULL: nothing renamed)
 * @row: its task is renamed when its pid is mapped, its next_task when its
 *       next_pid is; the new strings are owned by @m
 *
 * Returns how many of the two names were replaced (0, 1 or 2).
 */
int pw_namemap_apply(const struct pw_namemap *m, struct pw_row *row);

/**
 * pw_namemap_count - number of tids in @m (0 for NULL)
 */
size_t pw_namemap_count(const struct pw_namemap *m);

/**
 * pw_namemap_file - the file name @m was loaded as; owned by @m
 */
const char *pw_namemap_file(const struct pw_namemap *m);

/**
 * pw_namemap_digest - SHA-256 of the file's bytes, 64 lowercase hex digits;
 * owned by @m
 */
const char *pw_namemap_digest(const struct pw_namemap *m);

/**
 * pw_namemap_to_meta - record the map in capture metadata
 * @m: the map applied
 * @meta: its map_file and map_digest are replaced by copies
 *
 * Returns 0, PW_EINVAL when either is NULL, or PW_ENOMEM (then @meta is
 * unchanged).
 */
int pw_namemap_to_meta(const struct pw_namemap *m, struct pw_meta *meta);

#endif
