// SPDX-License-Identifier: MIT
/* csv.c - rows as CSV, buffered, with minimal RFC 4180 quoting. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pw-atomic.h"
#include "pw-csv.h"
#include "pw-log.h"

#define BUF_SIZE (1u << 20)

struct pw_csv {
	struct pw_atomic out;	/* fd, and the names when writing a file */
	bool is_file;
	char *buf;
	size_t len;
	const char *name;
	int err;
	volatile int *stop;	/* set by a signal handler: give up */
};

void pw_csv_set_stop(struct pw_csv *c, volatile int *stop)
{
	c->stop = stop;
}

static int flush(struct pw_csv *c)
{
	size_t done = 0;

	while (done < c->len) {
		ssize_t n;

		if (c->stop && *c->stop) {
			c->err = PW_ESTOPPED;
			return c->err;
		}
		n = write(c->out.fd, c->buf + done, c->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (!c->err)
				pw_err("%s: cannot write: %s", c->name, strerror(errno));
			c->err = PW_EWRITE;
			return c->err;
		}
		done += (size_t)n;
	}
	c->len = 0;
	return 0;
}

static inline void put_str(struct pw_csv *c, const char *s)
{
	size_t n;

	if (!s)
		return;
	n = strcspn(s, ",\"\r\n");
	if (!s[n] && n < 4096) {
		memcpy(c->buf + c->len, s, n);
		c->len += n;
		return;
	}
	c->buf[c->len++] = '"';
	for (; *s; s++) {
		if (c->len + 4 > BUF_SIZE)
			flush(c);
		if (*s == '"')
			c->buf[c->len++] = '"';
		c->buf[c->len++] = *s;
	}
	c->buf[c->len++] = '"';
}

static inline void put_digits(struct pw_csv *c, uint64_t u, bool neg)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		tmp[--i] = '-';
	memcpy(c->buf + c->len, tmp + i, sizeof(tmp) - (size_t)i);
	c->len += sizeof(tmp) - (size_t)i;
}

static inline void put_int(struct pw_csv *c, int64_t v)
{
	if (v != PW_NONE)
		put_digits(c, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

int pw_csv_row(const struct pw_row *row, void *ctx)
{
	struct pw_csv *c = ctx;

	if (c->len + 4 * 4096 > BUF_SIZE && flush(c))
		return c->err;
	put_digits(c, row->time_ns, false);
	c->buf[c->len++] = ',';
	put_int(c, row->cpu);
	c->buf[c->len++] = ',';
	put_str(c, pw_event_name(row->event));
	c->buf[c->len++] = ',';
	put_int(c, row->pid);
	c->buf[c->len++] = ',';
	put_int(c, row->tgid);
	c->buf[c->len++] = ',';
	put_str(c, row->task);
	c->buf[c->len++] = ',';
	put_int(c, row->duration_ns);
	c->buf[c->len++] = ',';
	put_int(c, row->next_pid);
	c->buf[c->len++] = ',';
	put_str(c, row->next_task);
	c->buf[c->len++] = ',';
	put_str(c, row->prev_state);
	c->buf[c->len++] = ',';
	put_int(c, row->next_wait_ns);
	c->buf[c->len++] = ',';
	put_str(c, row->exit_reason);
	c->buf[c->len++] = ',';
	put_int(c, row->target_cpu);
	c->buf[c->len++] = '\n';
	return c->err;
}

struct pw_csv *pw_csv_open(const char *path, int *errp)
{
	struct pw_csv *c = calloc(1, sizeof(*c));
	int err = PW_ENOMEM;

	if (!c || !(c->buf = malloc(BUF_SIZE)))
		goto fail;
	if (!strcmp(path, "-")) {
		c->out.fd = STDOUT_FILENO;
		c->name = "<stdout>";
	} else {
		err = pw_atomic_open(&c->out, path);
		if (err)
			goto fail;
		c->is_file = true;
		c->name = c->out.path;
	}
	for (int i = 0; i < PW_COL__MAX; i++) {
		if (i)
			c->buf[c->len++] = ',';
		put_str(c, pw_column_name(i));
	}
	c->buf[c->len++] = '\n';
	if (errp)
		*errp = 0;
	return c;
fail:
	if (c)
		free(c->buf);
	free(c);
	if (errp)
		*errp = err;
	return NULL;
}

int pw_csv_sync(struct pw_csv *c)
{
	int err = flush(c);

	if (!err && c->is_file && fsync(c->out.fd) && errno != EINVAL) {
		pw_err("%s: cannot write: %s", c->name, strerror(errno));
		err = c->err = PW_EWRITE;
	}
	return err;
}

int pw_csv_close(struct pw_csv *c)
{
	int err = flush(c);

	if (c->is_file) {
		if (err)
			pw_atomic_abort(&c->out);
		else
			err = pw_atomic_commit(&c->out);
	}
	free(c->buf);
	free(c);
	return err;
}

void pw_csv_abort(struct pw_csv *c)
{
	if (!c)
		return;
	if (c->is_file)
		pw_atomic_abort(&c->out);
	else
		flush(c);
	free(c->buf);
	free(c);
}
