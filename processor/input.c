// SPDX-License-Identifier: MIT
/* input.c - buffered reading of a file or pipe, with offsets for messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pw-log.h"
#include "reader-local.h"

int pw_input_init(struct pw_input *in, int fd, const char *name, size_t cap)
{
	memset(in, 0, sizeof(*in));
	in->fd = fd;
	in->name = name;
	in->limit = UINT64_MAX;
	in->cap = cap;
	in->buf = malloc(cap);
	return in->buf ? 0 : PW_ENOMEM;
}

void pw_input_release(struct pw_input *in)
{
	free(in->buf);
	in->buf = NULL;
}

size_t pw_input_fill(struct pw_input *in, size_t n)
{
	size_t have = in->end - in->start;

	if (have >= n || in->eof)
		return have < n ? have : n;
	if (n > in->cap) {
		size_t ncap = in->cap;
		uint8_t *nb;

		while (ncap < n)
			ncap *= 2;
		nb = malloc(ncap);
		if (!nb) {
			in->err = ENOMEM;
			return have;
		}
		memcpy(nb, in->buf + in->start, have);
		free(in->buf);
		in->buf = nb;
		in->cap = ncap;
	} else if (in->start) {
		memmove(in->buf, in->buf + in->start, have);
	}
	in->start = 0;
	in->end = have;
	while (in->end < n) {
		uint64_t pos = in->off + in->end;
		size_t want = in->cap - in->end;
		ssize_t got;

		if (in->limit != UINT64_MAX) {
			if (pos >= in->limit) {
				in->eof = true;
				break;
			}
			if (want > in->limit - pos)
				want = (size_t)(in->limit - pos);
		}
		got = read(in->fd, in->buf + in->end, want);
		if (got < 0) {
			if (errno == EINTR && !(in->stop && *in->stop))
				continue;
			in->err = errno;
			in->eof = true;
			break;
		}
		if (got == 0) {
			in->eof = true;
			break;
		}
		in->end += (size_t)got;
	}
	have = in->end - in->start;
	return have < n ? have : n;
}

uint64_t pw_input_skip(struct pw_input *in, uint64_t n)
{
	uint64_t done = 0;

	while (done < n) {
		size_t chunk = n - done > in->cap ? in->cap : (size_t)(n - done);
		size_t got = pw_input_need(in, chunk);

		pw_input_consume(in, got);
		done += got;
		if (got < chunk)
			break;
	}
	return done;
}

int pw_input_seek(struct pw_input *in, uint64_t off, uint64_t limit)
{
	if (lseek(in->fd, (off_t)off, SEEK_SET) == (off_t)-1)
		return -errno;
	in->start = in->end = 0;
	in->off = off;
	in->limit = limit;
	in->eof = false;
	return 0;
}
