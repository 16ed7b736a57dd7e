// SPDX-License-Identifier: MIT
/* convert.c - input detection, naming, and the cdict/CSV outputs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pw-convert.h"
#include "pw-csv.h"
#include "pw-legacy.h"
#include "pw-log.h"
#include "pw-namemap.h"
#include "pw-reader.h"

enum pw_input_kind pw_input_kind_of(const void *head, size_t n)
{
	if (n >= 8 && !memcmp(head, "PERFILE2", 8))
		return PW_INPUT_PERFDATA;
	if (n >= 8 && !memcmp(head, "2ELIFREP", 8))
		return PW_INPUT_PERFDATA;	/* big-endian: the reader says more */
	if (n >= 8 && !memcmp(head, "PERFFILE", 8))
		return PW_INPUT_PERFDATA;	/* version 1: the reader says more */
	if (n >= 8 && !memcmp(head, "\x89PWCDICT", 8))
		return PW_INPUT_CDICT;
	if (pw_legacy_probe(head, n))
		return PW_INPUT_LEGACY;
	return PW_INPUT_UNKNOWN;
}

const char *pw_input_kind_name(enum pw_input_kind kind)
{
	switch (kind) {
	case PW_INPUT_PERFDATA:
		return "perf.data";
	case PW_INPUT_CDICT:
		return "cdict";
	case PW_INPUT_LEGACY:
		return "original-format cdict";
	default:
		return "unknown";
	}
}

struct sink {
	const struct pw_convert *c;
	struct pw_namemap *map;
	struct pw_cdict_writer *cdict;
	struct pw_csv *csv;
	struct pw_reader *reader;
	struct pw_row *room;	/* sink_cdict(): where the reader builds rows */
	uint64_t rows;
};

/* Every 4096 rows: a stop asked for, and every 65536 the progress. */
static __attribute__((noinline)) int sink_tick(struct sink *s)
{
	if (s->c->stop && *s->c->stop)
		return PW_ESTOPPED;
	if (s->c->progress && s->reader && !(s->rows & 0xffff)) {
		uint64_t done, total;

		pw_reader_progress(s->reader, &done, &total);
		s->c->progress(done, total, s->c->progress_ctx);
	}
	return 0;
}

static int sink_row(const struct pw_row *in, void *ctx)
{
	struct sink *s = ctx;
	struct pw_row mapped;
	const struct pw_row *row = in;
	int err;

	if (!(++s->rows & 0xfff) && (err = sink_tick(s)))
		return err;
	if (s->map) {
		mapped = *in;
		pw_namemap_apply(s->map, &mapped);
		row = &mapped;
	}
	if (s->c->tap && (err = s->c->tap(row, s->c->tap_ctx)))
		return err;
	if (s->cdict && (err = pw_cdict_writer_add(s->cdict, row)))
		return err;
	if (s->csv && (err = pw_csv_row(row, s->csv)))
		return err;
	return 0;
}

/*
 * sink_row() when the rows go to a cdict only, unnamed and untapped: the
 * reader builds the rows in the writer's room (a batch of 4096 slots from
 * s->room on), where they stay; they are added a room at a time.
 */
static int sink_cdict(struct pw_row *upto, struct pw_row **room, struct pw_row **end, void *ctx)
{
	struct sink *s = ctx;
	int err;

	s->rows += (uint64_t)(upto - s->room);
	if ((err = sink_tick(s)))
		return err;
	err = pw_cdict_writer_add_room(s->cdict, upto, room, end);
	s->room = *room;
	return err;
}

/* The kind of a named input: by content for files, perf.data for streams. */
static int input_kind(const struct pw_convert *c, enum pw_input_kind *kind)
{
	unsigned char head[64];
	struct stat st;
	ssize_t n;
	int fd;

	*kind = PW_INPUT_PERFDATA;
	if (c->input_fd >= 0 || !strcmp(c->input, "-"))
		return 0;
	fd = open(c->input, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pw_err("%s: cannot open: %s", c->input, strerror(errno));
		return errno == ENOENT ? PW_ENOENT : PW_EIO;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;	/* a FIFO or device: read as a perf.data stream */
	}
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n < 0) {
		pw_err("%s: cannot read: %s", c->input, strerror(errno));
		return PW_EIO;
	}
	*kind = pw_input_kind_of(head, (size_t)n);
	if (*kind == PW_INPUT_UNKNOWN) {
		pw_err("%s: offset 0: %s: not a perf.data file, a cdict or an original-format "
		       "cdict", c->input, n ? "unknown content" : "empty file");
		return PW_EFORMAT;
	}
	return 0;
}

int pw_convert_run(const struct pw_convert *c, struct pw_meta *meta)
{
	struct sink s = { .c = c };
	enum pw_input_kind kind;
	struct pw_cdict *cd = NULL;
	bool cdict_only;
	int err, rerr = 0;

	pw_meta_init(meta);
	err = input_kind(c, &kind);
	if (err)
		return err;
	if (c->map) {
		s.map = pw_namemap_load(c->map, &err);
		if (!s.map)
			return err ? err : PW_EFORMAT;
	}
	/* Open the input first: a bad input must not create outputs. */
	if (kind == PW_INPUT_PERFDATA) {
		struct pw_reader_opts ro = { .reorder_max = c->reorder_max, .stop = c->stop };

		s.reader = c->input_fd >= 0 ? pw_reader_open_fd(c->input_fd, c->input, &ro, &err)
					    : pw_reader_open(c->input, &ro, &err);
		if (!s.reader)
			goto out;
	} else if (kind == PW_INPUT_CDICT) {
		cd = pw_cdict_open(c->input, &err);
		if (!cd)
			goto out;
	}
	if (c->source) {
		*c->source = (struct pw_convert_source){ .kind = kind };
		if (cd)
			pw_cdict_version(cd, &c->source->cdict_major, &c->source->cdict_minor);
	}
	if (c->cdict) {
		struct pw_cdict_writer_opts wo = { 0 };

		if (c->cdict_opts)
			wo = *c->cdict_opts;
		/* the reader's and the name map's strings live until the end */
		wo.stable_strings = kind == PW_INPUT_PERFDATA || kind == PW_INPUT_CDICT;
		s.cdict = pw_cdict_writer_open(c->cdict, &wo, &err);
		if (!s.cdict)
			goto out;
	}
	if (c->csv) {
		s.csv = pw_csv_open(c->csv, &err);
		if (!s.csv)
			goto out;
		pw_csv_set_stop(s.csv, c->stop);
	}
	cdict_only = s.cdict && !s.map && !c->tap && !s.csv;
	/* An output may replace the input (a cdict renamed with --map): the
	 * input stays open and readable until the new file is renamed over it. */
	switch (kind) {
	case PW_INPUT_PERFDATA:
		if (cdict_only) {
			struct pw_row *end;

			s.room = pw_cdict_writer_room(s.cdict, &end);
			rerr = pw_reader_run_rows(s.reader, s.room, end, sink_cdict, &s);
		} else {
			rerr = pw_reader_run(s.reader, sink_row, &s);
		}
		if (!rerr || rerr == PW_ETRUNCATED)
			err = pw_meta_copy(meta, pw_reader_meta(s.reader));
		break;
	case PW_INPUT_CDICT:
		rerr = pw_cdict_foreach(cd, sink_row, &s);
		if (!rerr)
			err = pw_meta_copy(meta, pw_cdict_meta(cd));
		break;
	case PW_INPUT_LEGACY:
		rerr = pw_legacy_read(c->input, NULL, sink_row, &s, meta);
		break;
	default:
		rerr = PW_EINVAL;
	}
	/* the sinks look for a stop every 4096 rows: one asked for since then
	 * stops the conversion too, before any output is in place */
	if (c->stop && *c->stop)
		rerr = PW_ESTOPPED;
	if (rerr && rerr != PW_ETRUNCATED) {
		err = rerr;
		goto out;
	}
	if (err)
		goto out;
	if (s.map && kind != PW_INPUT_PERFDATA && meta->map_file)
		pw_info("%s: names already mapped with %s are mapped again with %s", c->input,
			meta->map_file, c->map);
	if (s.map && (err = pw_namemap_to_meta(s.map, meta)))
		goto out;
	if (c->progress && s.reader) {
		uint64_t done, total;

		pw_reader_progress(s.reader, &done, &total);
		c->progress(done, total, c->progress_ctx);
	}
	/* Both outputs or neither: the CSV is on disk before the cdict goes
	 * into place, and renamed after it. */
	if (s.csv && (err = pw_csv_sync(s.csv)))
		goto out;
	if (s.cdict) {
		err = pw_cdict_writer_close(s.cdict, meta);
		s.cdict = NULL;
		if (err)
			goto out;
	}
	if (s.csv) {
		err = pw_csv_close(s.csv);
		s.csv = NULL;
		if (err)
			goto out;
	}
	err = rerr;
out:
	pw_cdict_writer_abort(s.cdict);
	pw_csv_abort(s.csv);
	pw_reader_close(s.reader);
	pw_cdict_close(cd);
	pw_namemap_free(s.map);
	return err;
}
