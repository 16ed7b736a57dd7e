// SPDX-License-Identifier: MIT
/*
 * cdict-writer.c - writes a cdict (docs/cdict.md) in one pass: rows are
 * encoded into per-column token buffers, each full row group goes out as
 * one zstd frame per column, and the string table, metadata, index and
 * trailer follow at the end. Memory: one row group of tokens, the distinct
 * strings, and one index entry per group.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_compressSequences(): literals only */
#include <zstd.h>
/* that call and its block delimiters, as zstd 1.5 has them */
#define PW_CD_LITERALS (ZSTD_VERSION_NUMBER >= 10500)
#include <zstd_errors.h>

#include "cdict-local.h"
#include "intern.h"
#include "pw-cdict.h"
#include "pw-file.h"
#include "pw-log.h"

struct pw_cd_buf {
	uint8_t *p;
	size_t len, cap;
};

struct pw_cd_entry {
	uint64_t off;
	uint32_t size, raw;
};

struct pw_cd_group {
	uint64_t first_row;
	uint32_t rows;
	uint64_t tmin, tmax;
	struct pw_cd_entry ch[PW_COL__MAX];
};

/*
 * The encoder takes the caller's rows (struct pw_row) as they are, copied
 * whole: their strings are the caller's (stable strings, which the encoder
 * looks up) or their ids (wrow_id()).
 */
static const int str_cols[4] = {
	PW_COL_TASK, PW_COL_NEXT_TASK, PW_COL_PREV_STATE, PW_COL_EXIT_REASON,
};
static const size_t str_off[4] = {
	offsetof(struct pw_row, task), offsetof(struct pw_row, next_task),
	offsetof(struct pw_row, prev_state), offsetof(struct pw_row, exit_reason),
};

/* String @k (in str_cols order) of row @r. */
static inline const char *wrow_str(const struct pw_row *r, int k)
{
	const char *s;

	memcpy(&s, (const char *)r + str_off[k], sizeof(s));
	return s;
}

/* Its id, where the caller's side put ids in place of the strings. */
static inline uint32_t wrow_id(const struct pw_row *r, int k)
{
	return (uint32_t)(uintptr_t)wrow_str(r, k);
}

static inline void wrow_set_id(struct pw_row *r, int k, uint32_t id)
{
	const char *s = (const char *)(uintptr_t)id;

	memcpy((char *)r + str_off[k], &s, sizeof(s));
}

/*
 * *@d = *@s in six 16-byte moves and one of 8: gcc makes the plain
 * assignment a rep movs, slow to start, once a row.
 */
static inline void wrow_copy(struct pw_row *d, const struct pw_row *s)
{
	typedef uint64_t w2 __attribute__((vector_size(16), aligned(8), may_alias));
	typedef uint64_t w1 __attribute__((aligned(8), may_alias));
	const w2 *a = (const w2 *)s;
	w2 *b = (w2 *)d, x0 = a[0], x1 = a[1], x2 = a[2], x3 = a[3], x4 = a[4], x5 = a[5];
	w1 x6 = ((const w1 *)s)[12];

	_Static_assert(sizeof(*s) == 6 * sizeof(w2) + sizeof(w1), "struct pw_row is 13 words");
	b[0] = x0;
	b[1] = x1;
	b[2] = x2;
	b[3] = x3;
	b[4] = x4;
	b[5] = x5;
	((w1 *)d)[12] = x6;
}

/*
 * The pid slot of the task a cpu runs, a shortcut past the map's look-up for
 * the rows of that task on that cpu: the next switch's prev, a vCPU's exits
 * and entries. Kept from a switch's next_pid, and from a kvm row's pid.
 */
struct pw_cd_last {
	int64_t pid;		/* p's key (PW_NONE with p NULL) */
	struct pw_cd_slot *p;
	uint32_t moves;		/* the pid map's moves when kept; 0: none kept */
};

struct pw_cdict_writer {
	char *path;			/* final name */
	char *tmp;			/* temporary file beside it */
	int fd;
	bool created;			/* tmp exists and is ours to remove */
	int err;			/* sticky: first failure */
	uint32_t group_rows_max;
	int level;
	bool level_default;		/* no level asked for: fast_min_match applies */
	int zmm;			/* cctx holds those of this minimum match */
	ZSTD_CCtx *cctx;
	struct pw_intern *strings;
	/*
	 * Per string column, recently seen strings by address: producers
	 * usually hand the same few pointers again and again. A hit is still
	 * checked by content, so reused buffers are safe, unless the caller
	 * promised stable strings.
	 */
	bool stable;
	struct {
		const char *ptr;
		const char *str;	/* the interned copy */
		uint32_t id;
	} seen[4][PW_CD_SEEN];		/* by string column, in str_cols order */
	/* the caller's side: a batch of rows being filled, counts */
	struct pw_row *ring;
	struct pw_row *buf[PW_CD_NBUF];	/* a ring of batches of PW_CD_BATCH rows */
	unsigned int cur;		/* the one being filled */
	uint32_t rows;			/* rows in it */
	uint64_t nrows;
	char pad_caller[64];		/* the two sides never share a cache line */

	/*
	 * The encoder's side (a thread of its own once a first group is full,
	 * so encoding and compression overlap with the caller's work): tokens,
	 * compression, the file's data and the index entries.
	 */
	struct pw_cd_buf col[PW_COL__MAX];	/* tokens of the group being encoded */
	struct pw_cd_buf tlo;		/* time_ns: low bytes of the deltas */
	/*
	 * While a group is encoded, the end of each column's tokens (and of
	 * tlo's bytes): one load and one store a token. Their lengths are
	 * set from these when the group is written (sync_lens()).
	 */
	uint8_t *at[PW_COL__MAX];
	uint8_t *tlo_at;
	/*
	 * Sparse columns: the events whose rows hold a token in the group's
	 * chunk. An event joins with its first known value; rows of it before
	 * that (all unknown) then get their tokens inserted.
	 */
	uint64_t g_mask[PW_COL__MAX];
	uint32_t g_cols[PW_EV__MAX];	/* the same by event: bit c for column c */
	uint8_t *g_ev;			/* the events of the group's rows */
	uint32_t g_evrows[PW_EV__MAX];	/* rows of each event so far */
	struct pw_cd_buf spread;	/* the insertion's scratch */
	struct pw_cd_buf zbuf;
	/*
	 * Chunks of literals only (write_frame()): whether each column's are,
	 * and its chunks until both ways are tried again; the second output
	 * and the two parts of time_ns joined, for them.
	 */
	bool lit_ok;			/* the zstd at hand has that call as built */
	bool lit[PW_COL__MAX];
	uint8_t lit_wait[PW_COL__MAX];
	struct pw_cd_buf zbuf2, joined;
#if PW_CD_LITERALS
	ZSTD_Sequence *seqs;
#endif
	size_t seqs_cap;
	struct pw_cd_pred pred;
	struct pw_cd_slot cpu_slots[PW_CD_DIRECT_CPUS];	/* pred's cpus below 256 */
	struct pw_cd_last last[PW_CD_DIRECT_CPUS];	/* by cpu: the pid slot of its task */
	uint32_t g_rows;		/* rows of the group being encoded */
	uint64_t g_prev, g_tmin, g_tmax;	/* its last, smallest and largest time */
	uint64_t first_ns, last_ns;	/* of the groups written: for the metadata */
	uint64_t stored[PW_EV__MAX];
	uint64_t enc_rows;		/* rows of the groups written */
	uint64_t off;			/* bytes written so far */
	struct pw_cd_group *groups;
	uint32_t ngroups, groups_cap;
	char pad_encoder[64];

	/*
	 * Hand-over between the two: batches buf[q_head], ... (q_len of them,
	 * around the ring) are queued for the encoder; the caller fills the
	 * next one. Each side sleeps only when it must, and is woken only
	 * when the other has got well ahead (half the ring), so that a wake-up
	 * (an interrupt to the other CPU, slow on a VM) covers many batches.
	 */
	pthread_t thread;
	bool threaded, no_thread;
	pthread_mutex_t mu;
	pthread_cond_t cv_enc;		/* the encoder waits for batches */
	pthread_cond_t cv_caller;	/* the caller waits for a free one */
	unsigned int q_head, q_len;
	bool enc_waits, caller_waits;
	bool quit;
	uint32_t job_rows[PW_CD_NBUF];
	int enc_err;			/* the encoder's first failure (its own) ... */
	char wmsg[640];			/* ... and its message, for the caller to log */
	int werr;			/* enc_err, handed over under mu */
};

/* Set in the encoder thread: its messages wait for the caller to log them. */
static __thread bool in_encoder;

static int buf_reserve(struct pw_cd_buf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->cap - b->len >= more)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2)
			return PW_ENOMEM;
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p)
		return PW_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int buf_put(struct pw_cd_buf *b, const void *src, size_t len)
{
	if (buf_reserve(b, len))
		return PW_ENOMEM;
	memcpy(b->p + b->len, src, len);
	b->len += len;
	return 0;
}

static int buf_varint(struct pw_cd_buf *b, uint64_t v)
{
	if (buf_reserve(b, PW_CD_VARINT_MAX))
		return PW_ENOMEM;
	b->len += pw_cd_put_varint(b->p + b->len, v);
	return 0;
}

static int buf_string(struct pw_cd_buf *b, const char *s, size_t len)
{
	return buf_varint(b, len) ?: buf_put(b, s, len);
}

/* Records the first failure and logs it naming the final and temporary file. */
static int wfail(struct pw_cdict_writer *w, int err, const char *what)
{
	int *first = in_encoder ? &w->enc_err : &w->err;
	char msg[sizeof(w->wmsg)];

	if (*first)
		return *first;
	if (err == PW_ENOMEM)
		snprintf(msg, sizeof(msg), "%s: %s while writing (temporary file %s)", w->path,
			 pw_strerror(err), w->tmp);
	else
		snprintf(msg, sizeof(msg), "%s: %s (temporary file %s): %s", w->path, what,
			 w->tmp, pw_strerror(err));
	if (in_encoder)
		memcpy(w->wmsg, msg, sizeof(msg));
	else
		pw_err("%s", msg);
	*first = err;
	return err;
}

static int write_all(struct pw_cdict_writer *w, const void *p, size_t len)
{
	const uint8_t *c = p;

	while (len) {
		ssize_t n = write(w->fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return wfail(w, n < 0 ? -errno : -ENOSPC, "cannot write");
		c += n;
		len -= (size_t)n;
		w->off += (uint64_t)n;
	}
	return 0;
}

/*
 * When no level is asked for, some columns are compressed at level 1 (the
 * fast strategy) with a minimum match of their own (0: the default level).
 * Columns of a few short tokens repeated (cpus, string ids) with matches
 * of 7 bytes or more: on the benchmark's (b), 20 instructions an event
 * fewer and a file 1% smaller; on (a), 0.1% smaller. time_ns too, whose
 * frame holds two parts that zstd compresses best apart (write_frame()):
 * with matches of 7, its chunks are 10% smaller on (b) and 3% on (a) than
 * as one part with matches of 4, in 40% and 35% fewer instructions.
 */
#define PW_CD_FAST_LEVEL 1
static const uint8_t fast_min_match[PW_COL__MAX] = {
	[PW_COL_TIME_NS] = 7,
	[PW_COL_CPU] = 7,
	[PW_COL_TASK] = 7,
	[PW_COL_NEXT_TASK] = 7,
	[PW_COL_PREV_STATE] = 7,
	[PW_COL_EXIT_REASON] = 7,
	[PW_COL_TARGET_CPU] = 7,
};

/* Compresses all of @in, flushed (@end: ZSTD_e_flush or ZSTD_e_end); 0 or
 * a zstd error (also when @o is full: it never is, with the room below). */
static size_t stream_part(ZSTD_CCtx *c, ZSTD_outBuffer *o, ZSTD_inBuffer *in,
			  ZSTD_EndDirective end)
{
	size_t n;

	do
		n = ZSTD_compressStream2(c, o, in, end);
	while (!ZSTD_isError(n) && n && o->pos < o->size);
	return ZSTD_isError(n) || !n ? n : (size_t)-ZSTD_error_dstSize_tooSmall;
}

/*
 * Compresses the @len bytes at @src, then the @len2 at @src2 (none when 0),
 * into one zstd frame at @dst (room for @cap bytes); @col: the column they
 * are (the parameters depend on it), or -1. Two parts end a zstd block
 * between them, so that each has its own entropy tables: time_ns's low
 * bytes, nearly random, and its high varints, made mostly of a few small
 * values. Apart, the two compress 5-10% smaller than mixed in the same
 * block. Returns the frame's size or a zstd error.
 */
static size_t frame_matches(struct pw_cdict_writer *w, int col, void *dst, size_t cap,
			    const void *src, size_t len, const void *src2, size_t len2)
{
	int mm = w->level_default && col >= 0 ? fast_min_match[col] : 0;
	ZSTD_outBuffer o = { dst, cap, 0 };
	ZSTD_inBuffer a = { src, len, 0 }, b = { src2, len2, 0 };
	size_t n;

	/* a level leaves the parameters set by hand: minMatch 0 is its own */
	if (mm != w->zmm) {
		n = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel,
					   mm ? PW_CD_FAST_LEVEL : w->level);
		if (!ZSTD_isError(n))
			n = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_minMatch, mm);
		if (ZSTD_isError(n))
			return n;
		w->zmm = mm;
	}
	if (!len2)
		return ZSTD_compress2(w->cctx, dst, cap, src, len);
	/* the frame declares the size of both, as a single call's does */
	n = ZSTD_CCtx_setPledgedSrcSize(w->cctx, len + len2);
	if (!ZSTD_isError(n))
		n = stream_part(w->cctx, &o, &a, ZSTD_e_flush);
	if (!ZSTD_isError(n))
		n = stream_part(w->cctx, &o, &b, ZSTD_e_end);
	if (!ZSTD_isError(n))
		return o.pos;
	ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
	return n;
}

/*
 * The same frame made of literals only: zstd looks for no matches and
 * codes the bytes with Huffman tables alone, a block of their own for each
 * part (and each 128 KiB of it). On columns where matches are short and
 * few, such as tokens drawn almost at random from a few values, that is
 * both smaller and a third of the instructions. Returns the frame's size,
 * a zstd error, or 0 without memory.
 */
static size_t frame_literals(struct pw_cdict_writer *w, void *dst, size_t cap,
			     const void *src, size_t len, const void *src2, size_t len2)
{
#if !PW_CD_LITERALS
	(void)w, (void)dst, (void)cap, (void)src, (void)len, (void)src2, (void)len2;
	return (size_t)-ZSTD_error_GENERIC;	/* never called: lit_ok is false */
#else
	size_t part[2] = { len, len2 }, ns = 0, n;
	size_t need = len / ZSTD_BLOCKSIZE_MAX + len2 / ZSTD_BLOCKSIZE_MAX + 2;

	if (need > w->seqs_cap) {
		ZSTD_Sequence *s = reallocarray(w->seqs, need, sizeof(*s));

		if (!s)
			return 0;
		w->seqs = s;
		w->seqs_cap = need;
	}
	if (len2) {
		/* one input: the two parts joined */
		w->joined.len = 0;
		if (buf_put(&w->joined, src, len) || buf_put(&w->joined, src2, len2))
			return 0;
		src = w->joined.p;
	}
	/* a sequence without a match nor an offset ends a block after its literals */
	for (int i = 0; i < 2; i++)
		for (size_t left = part[i]; left;) {
			size_t k = left < ZSTD_BLOCKSIZE_MAX ? left : ZSTD_BLOCKSIZE_MAX;

			w->seqs[ns++] = (ZSTD_Sequence){ .litLength = (unsigned int)k };
			left -= k;
		}
	n = ZSTD_compressSequences(w->cctx, dst, cap, w->seqs, ns, src, len + len2);
	/* it leaves the context mid-frame, where frame_matches() could not
	 * declare a size */
	ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
	return n;
#endif
}

/*
 * Writes the frame of column @col's chunk (frame_matches(); -1: not a
 * column's). A column's first chunk is compressed both ways, with matches
 * and with literals only, and the smaller is written; the next
 * PW_CD_LIT_PROBE - 1 go the way that won, then both are tried again.
 * Literals are not tried where matches make the chunk 8 times smaller; a
 * failure of theirs (no memory for the joined parts) goes back to matches.
 */
static int write_frame(struct pw_cdict_writer *w, int col, const void *src, size_t len,
		       const void *src2, size_t len2, struct pw_cd_entry *e)
{
	/* each part's bound: a frame's worth of headers for each, room enough */
	size_t bound = ZSTD_compressBound(len) + (len2 ? ZSTD_compressBound(len2) : 0), n;
	bool choose = col >= 0 && w->lit_ok && len + len2;
	const uint8_t *out;

	if (len + len2 > UINT32_MAX || bound > UINT32_MAX)
		return wfail(w, PW_EINVAL, "section too large");
	if (buf_reserve(&w->zbuf, bound) || (choose && buf_reserve(&w->zbuf2, bound)))
		return wfail(w, PW_ENOMEM, NULL);
	out = w->zbuf.p;
	if (choose && !w->lit_wait[col]) {
		size_t m = frame_matches(w, col, w->zbuf.p, w->zbuf.cap, src, len, src2, len2);

		/*
		 * Huffman codes take a bit a byte or more: at 8 bytes to 1
		 * (on (a) every column but time_ns) literals cannot win,
		 * unless all the bytes are one, where both are tiny.
		 */
		if (ZSTD_isError(m) || m <= (len + len2) / 8) {
			n = m;
			w->lit[col] = false;
		} else {
			/* a failure (no memory) is a loss: matches are kept */
			n = frame_literals(w, w->zbuf2.p, w->zbuf2.cap, src, len, src2, len2);
			w->lit[col] = !ZSTD_isError(n) && n && n <= m;
			if (w->lit[col])
				out = w->zbuf2.p;
			else
				n = m;
		}
		w->lit_wait[col] = PW_CD_LIT_PROBE - 1;
	} else if (choose && w->lit[col]) {
		w->lit_wait[col]--;
		n = frame_literals(w, w->zbuf.p, w->zbuf.cap, src, len, src2, len2);
		if (ZSTD_isError(n) || !n) {
			/* matches, until the next try */
			w->lit[col] = false;
			n = frame_matches(w, col, w->zbuf.p, w->zbuf.cap, src, len, src2, len2);
		}
	} else {
		if (choose)
			w->lit_wait[col]--;
		n = frame_matches(w, col, w->zbuf.p, w->zbuf.cap, src, len, src2, len2);
	}
	if (ZSTD_isError(n))
		return wfail(w, PW_ECOMPRESS, "zstd compression failed");
	e->off = w->off;
	e->size = (uint32_t)n;
	e->raw = (uint32_t)(len + len2);
	return write_all(w, out, n);
}

/* The group's token lengths, from the ends the encoder keeps. */
static void sync_lens(struct pw_cdict_writer *w)
{
	for (int c = 0; c < PW_COL__MAX; c++)
		w->col[c].len = (size_t)(w->at[c] - w->col[c].p);
	w->tlo.len = (size_t)(w->tlo_at - w->tlo.p);
}

/* Compresses and writes the encoded group of @rows rows; records it in the index. */
static int flush_group(struct pw_cdict_writer *w, uint32_t rows, uint64_t tmin, uint64_t tmax)
{
	struct pw_cd_group *g;

	if (w->ngroups == w->groups_cap) {
		uint32_t cap = w->groups_cap ? w->groups_cap * 2 : 16;
		struct pw_cd_group *ng;

		if (cap <= w->groups_cap || !(ng = realloc(w->groups, (size_t)cap * sizeof(*ng))))
			return wfail(w, PW_ENOMEM, NULL);
		w->groups = ng;
		w->groups_cap = cap;
	}
	g = &w->groups[w->ngroups];
	g->first_row = w->enc_rows;
	g->rows = rows;
	g->tmin = tmin;
	g->tmax = tmax;
	if (!w->ngroups || tmin < w->first_ns)
		w->first_ns = tmin;
	if (!w->ngroups || tmax > w->last_ns)
		w->last_ns = tmax;
	for (int e = 0; e < PW_EV__MAX; e++)
		w->stored[e] += w->g_evrows[e];
	sync_lens(w);
	for (int c = 0; c < PW_COL__MAX; c++) {
		struct pw_cd_buf *b = &w->col[c];
		int err;

		if (c == PW_COL_TIME_NS) {
			/* the delta encoding: all low bytes, then the high varints */
			err = write_frame(w, c, w->tlo.p, w->tlo.len, b->p, b->len, &g->ch[c]);
		} else if (pw_cd_column_encoding(c) & PW_CD_ENC_SPARSE) {
			/* the mask goes right before the tokens, in the room kept */
			uint8_t m[PW_CD_VARINT_MAX];
			size_t n = pw_cd_put_varint(m, w->g_mask[c]);

			memcpy(b->p + PW_CD_MASK_ROOM - n, m, n);
			err = write_frame(w, c, b->p + PW_CD_MASK_ROOM - n, b->len - PW_CD_MASK_ROOM + n,
					  NULL, 0, &g->ch[c]);
		} else {
			err = write_frame(w, c, b->p, b->len, NULL, 0, &g->ch[c]);
		}
		if (err)
			return err;
	}
	w->ngroups++;
	w->enc_rows += rows;
	return 0;
}

struct pw_cdict_writer *pw_cdict_writer_open(const char *path,
					     const struct pw_cdict_writer_opts *opts,
					     int *err)
{
	struct pw_cdict_writer *w;
	const char *slash;
	uint8_t hdr[PW_CD_HEADER_SIZE];
	size_t nbuf;
	int e = PW_ENOMEM;

	w = calloc(1, sizeof(*w));
	if (!w) {
		pw_err("%s: %s", path, pw_strerror(PW_ENOMEM));
		goto out;
	}
	w->fd = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv_enc, NULL);
	pthread_cond_init(&w->cv_caller, NULL);
	w->group_rows_max = opts && opts->rows_per_chunk ? opts->rows_per_chunk
							 : PW_CD_DEFAULT_GROUP_ROWS;
	w->level = opts && opts->zstd_level ? opts->zstd_level : PW_CDICT_DEFAULT_LEVEL;
	w->level_default = !(opts && opts->zstd_level);
	w->no_thread = (opts && opts->single_thread) || pw_usable_cpus() < 2;
	w->stable = opts && opts->stable_strings;
	if (w->group_rows_max > PW_CD_MAX_GROUP_ROWS || w->level < ZSTD_minCLevel() ||
	    w->level > ZSTD_maxCLevel()) {
		pw_err("%s: invalid writer options (rows per chunk %u, at most %u; zstd level %d)",
		       path, w->group_rows_max, PW_CD_MAX_GROUP_ROWS, w->level);
		e = PW_EINVAL;
		goto err;
	}
	{
		struct stat st;

		/* Never rename over a device or FIFO (-o /dev/null as root). */
		if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
			pw_err("%s: not a regular file: a cdict is written to a file", path);
			e = PW_EINVAL;
			goto err;
		}
	}
	w->path = strdup(path);
	slash = strrchr(path, '/');
	if (!w->path || asprintf(&w->tmp, "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0,
				 path, slash ? slash + 1 : path) < 0) {
		w->tmp = NULL;
		pw_err("%s: %s", path, pw_strerror(PW_ENOMEM));
		goto err;
	}
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		e = -errno;
		pw_err("%s: cannot create a temporary file beside it (%s): %s", path, w->tmp,
		       pw_strerror(e));
		goto err;
	}
	w->created = true;
	w->cctx = ZSTD_createCCtx();
	w->strings = pw_intern_new();
	/*
	 * Room for a whole group up front (at most 10 bytes per token), so
	 * adding a row never checks or grows a buffer; pages are only touched
	 * as tokens fill them.
	 */
	/* the ring in one block, on huge pages where the system allows: a
	 * few faults instead of one per 4 KiB, paid by the caller's thread */
	nbuf = w->no_thread ? 1 : PW_CD_NBUF;
	w->ring = pw_column_alloc(nbuf * PW_CD_BATCH * sizeof(*w->ring));
	e = w->ring ? 0 : PW_ENOMEM;
	for (unsigned int i = 0; w->ring && i < nbuf; i++)
		w->buf[i] = w->ring + (size_t)i * PW_CD_BATCH;
	e = e ?: buf_reserve(&w->tlo, w->group_rows_max);
	for (int c = 0; c < PW_COL__MAX; c++)
		e = e ?: buf_reserve(&w->col[c], (size_t)w->group_rows_max * PW_CD_VARINT_MAX +
						 PW_CD_MASK_ROOM);
	e = e ?: buf_reserve(&w->spread, (size_t)w->group_rows_max * PW_CD_VARINT_MAX);
	w->g_ev = malloc(w->group_rows_max);
	if (e || !w->cctx || !w->strings || !w->g_ev) {
		e = wfail(w, PW_ENOMEM, NULL);
		goto err;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1))) {
		e = wfail(w, PW_EINVAL, "cannot set compression parameters");
		goto err;
	}
	/*
	 * ZSTD_compressSequences() is in zstd's experimental API: used only
	 * with the major and minor version it was built with (1.5 and later).
	 */
#if PW_CD_LITERALS
	w->lit_ok = ZSTD_versionNumber() / 100 == ZSTD_VERSION_NUMBER / 100;
	if (w->lit_ok && ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_blockDelimiters,
							     ZSTD_sf_explicitBlockDelimiters))) {
		e = wfail(w, PW_EINVAL, "cannot set compression parameters");
		goto err;
	}
#endif
	memcpy(hdr, PW_CD_MAGIC, PW_CD_MAGIC_LEN);
	pw_cd_put16(hdr + 8, PW_CD_MAJOR);
	pw_cd_put16(hdr + 10, PW_CD_MINOR);
	pw_cd_put32(hdr + 12, PW_CD_HEADER_SIZE);
	e = write_all(w, hdr, sizeof(hdr));
	if (e)
		goto err;
	if (err)
		*err = 0;
	return w;
err:
	pw_cdict_writer_abort(w);
out:
	if (err)
		*err = e;
	return NULL;
}

/* Appends the token of @v (predicted @pred) to int column @c (room reserved). */
static inline void put_int(struct pw_cdict_writer *w, int c, int64_t v, uint64_t pred)
{
	w->at[c] += pw_cd_put_itoken(w->at[c], v, pred);
}

/*
 * Event @ev joins the mask of sparse column @c: its earlier rows in the
 * group, all unknown, get their token 0 among the tokens of the others.
 */
static __attribute__((noinline)) void spread(struct pw_cdict_writer *w, int c, int ev)
{
	struct pw_cd_buf *b = &w->col[c];
	const uint8_t *src = b->p + PW_CD_MASK_ROOM;
	uint8_t *dst = w->spread.p;
	uint64_t mask = w->g_mask[c];
	size_t len;

	w->g_mask[c] |= 1ull << ev;
	w->g_cols[ev] |= 1u << c;
	if (!w->g_evrows[ev])
		return;		/* its first row: nothing to insert */
	for (uint32_t j = 0; j < w->g_rows; j++) {
		int e = w->g_ev[j];

		if (mask >> e & 1) {
			do
				*dst++ = *src;
			while (*src++ & 0x80);
		} else if (e == ev) {
			*dst++ = 0;
		}
	}
	len = (size_t)(dst - w->spread.p);
	memcpy(b->p + PW_CD_MASK_ROOM, w->spread.p, len);
	w->at[c] = b->p + PW_CD_MASK_ROOM + len;
}

/* put_int() for a sparse column, row of event @ev whose columns with
 * tokens are *@cols (g_cols[ev]): nothing while the event's values are
 * unknown. */
static inline void put_sparse(struct pw_cdict_writer *w, int c, int ev, uint32_t *cols,
			      int64_t v, uint64_t pred)
{
	if (!(*cols >> c & 1)) {
		if (v == PW_NONE)
			return;
		spread(w, c, ev);
		*cols = w->g_cols[ev];
	}
	put_int(w, c, v, pred);
}

/* The same for a string id (0: unknown). */
static inline void put_sparse_str(struct pw_cdict_writer *w, int c, int ev, uint32_t *cols,
				  uint32_t id)
{
	if (!(*cols >> c & 1)) {
		if (!id)
			return;
		spread(w, c, ev);
		*cols = w->g_cols[ev];
	}
	w->at[c] += pw_cd_put_varint(w->at[c], id);
}

/* string_id() of a string not remembered at @slot: interned, then remembered. */
static __attribute__((noinline)) int64_t string_id_slow(struct pw_cdict_writer *w, int k,
							 unsigned int slot, const char *s)
{
	int64_t id = pw_intern_add(w->strings, s, strlen(s));

	if (id < 0)
		return id;
	w->seen[k][slot].ptr = s;
	w->seen[k][slot].str = pw_intern_str(w->strings, (uint32_t)id, NULL);
	w->seen[k][slot].id = (uint32_t)id;
	return id;
}

/* The string id of @s in string column str_cols[@k]: 0 for NULL, or a PW_E* code. */
static inline int64_t string_id(struct pw_cdict_writer *w, int k, const char *s)
{
	unsigned int slot;

	if (!s)
		return 0;
	/* strings of an interning table are packed: hash the whole address */
	slot = (unsigned int)(((uintptr_t)s * 0x9e3779b97f4a7c15ULL) >> 32) % PW_CD_SEEN;
	/* glibc's strcmp reads a word at a time: 2x fewer instructions than
	 * a byte loop on task names */
	if (w->seen[k][slot].ptr == s && (w->stable || !strcmp(w->seen[k][slot].str, s)))
		return w->seen[k][slot].id;
	return string_id_slow(w, k, slot, s);
}

/* Row @row's event is none of enum pw_event: in either thread (wfail()). */
static __attribute__((noinline, cold)) int bad_event(struct pw_cdict_writer *w, uint64_t row,
						     int event)
{
	char what[64];

	snprintf(what, sizeof(what), "row %" PRIu64 " has an invalid event %d", row, event);
	return wfail(w, PW_EINVAL, what);
}

struct row_preds {
	uint64_t running, thread, duration, wait;
};

/*
 * The four predictions of row @r (event @ev), in one look-up of its cpu
 * (in @cpu_slots below PW_CD_DIRECT_CPUS, the map of @pr above) and one of
 * its pid: what pw_cd_pred_running(), pw_cd_pred_thread(),
 * pw_cd_pred_duration() and pw_cd_pred_wait() give called in that order
 * (the reader's way; test_predictions_agree checks it). A slot created
 * empty changes no prediction. Returns 0 or PW_ENOMEM.
 */
static inline int predict_row(struct pw_cd_pred *pr, struct pw_cd_slot *cpu_slots,
			      struct pw_cd_last *last, const struct pw_row *r, int ev,
			      struct row_preds *o)
{
	struct pw_cd_last *l = NULL;
	bool sw = ev == PW_EV_SCHED_SWITCH;
	struct pw_cd_slot *c = NULL, *p = NULL, *q;
	uint64_t t = r->time_ns;
	int err = 0;

	o->running = o->thread = o->duration = o->wait = 0;
	/* a slot of the array empty (has 0) predicts as one absent from the map */
	if ((uint64_t)r->cpu < PW_CD_DIRECT_CPUS) {
		c = &cpu_slots[r->cpu];
		l = &last[r->cpu];
		if ((c->has & PW_CD_HAS_IN) && c->in_pid != PW_NONE)
			o->running = (uint64_t)c->in_pid;
	} else if (r->cpu != PW_NONE) {
		c = pw_cd_map_get(&pr->cpus, r->cpu, sw, &err);
		if (c && (c->has & PW_CD_HAS_IN) && c->in_pid != PW_NONE)
			o->running = (uint64_t)c->in_pid;
	}
	/* the running task's slot kept for this cpu, if pid is that task */
	if (l && l->pid == r->pid && l->moves == pr->pids.moves)
		p = l->p;
	/* next_pid's slot before creating pid's, which may move the others */
	if (sw && r->next_pid != PW_NONE) {
		q = pw_cd_map_get(&pr->pids, r->next_pid, false, &err);
		if (q && (q->has & PW_CD_HAS_REF))
			o->wait = t - q->ref_time;
		if (l) {
			l->pid = q ? q->key : PW_NONE;
			l->p = q;
			l->moves = pr->pids.moves;
		}
	}
	if (!p && r->pid != PW_NONE) {
		p = pw_cd_map_get(&pr->pids, r->pid, true, &err);
		if (!p)
			return err;
		if (l && (ev == PW_EV_KVM_EXIT || ev == PW_EV_KVM_ENTRY)) {
			l->pid = r->pid;
			l->p = p;
			l->moves = pr->pids.moves;
		}
	}
	if (r->tgid != PW_NONE && p) {
		o->thread = p->has & PW_CD_HAS_TGID ? (uint64_t)p->tgid : (uint64_t)r->pid;
		p->tgid = r->tgid;
		p->has |= PW_CD_HAS_TGID;
	}
	switch (ev) {
	case PW_EV_SCHED_SWITCH:
		if (c) {
			if (p && (c->has & PW_CD_HAS_IN) && c->in_pid == r->pid)
				o->duration = t - c->in_time;
			c->in_pid = r->next_pid;
			c->in_time = t;
			c->has |= PW_CD_HAS_IN;
		}
		if (p) {
			p->out_time = t;
			p->ref_time = t;
			p->has |= PW_CD_HAS_OUT | PW_CD_HAS_REF;
		}
		break;
	case PW_EV_SCHED_WAKEUP:
	case PW_EV_SCHED_WAKEUP_NEW:
		if (p) {
			p->ref_time = t;
			p->has |= PW_CD_HAS_REF;
		}
		break;
	case PW_EV_KVM_EXIT:
	case PW_EV_KVM_ENTRY:
		if (p) {
			if (p->has & PW_CD_HAS_KVM)
				o->duration = t - p->kvm_time;
			p->kvm_time = t;
			p->has |= PW_CD_HAS_KVM;
		}
		break;
	case PW_EV_SCHED_STAT_SLEEP:
	case PW_EV_SCHED_STAT_IOWAIT:
		if (p && (p->has & PW_CD_HAS_OUT))
			o->duration = t - p->out_time;
		break;
	default:
		break;
	}
	return err;
}

/*
 * Encodes @n rows into column tokens; each group that fills is compressed
 * and written. Groups go on from one batch to the next.
 */
static int encode_rows(struct pw_cdict_writer *w, const struct pw_row *rows, uint32_t n)
{
	int err = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct pw_row *r = &rows[i];
		struct row_preds pp;
		uint64_t d;
		uint32_t cols;
		int ev;

		/* checked here, not when added, for a caller with stable strings */
		if ((unsigned int)r->event >= PW_EV__MAX)
			return bad_event(w, w->enc_rows + w->g_rows, r->event);
		if (!w->g_rows) {
			pw_cd_pred_reset(&w->pred);
			memset(w->cpu_slots, 0, sizeof(w->cpu_slots));
			memset(w->last, 0, sizeof(w->last));
			w->g_prev = 0;
			w->g_tmin = UINT64_MAX;
			w->g_tmax = 0;
			for (int c = 0; c < PW_COL__MAX; c++) {
				w->g_mask[c] = 0;
				w->at[c] = w->col[c].p;
				if (pw_cd_column_encoding(c) & PW_CD_ENC_SPARSE)
					w->at[c] += PW_CD_MASK_ROOM;
			}
			w->tlo_at = w->tlo.p;
			memset(w->g_evrows, 0, sizeof(w->g_evrows));
			memset(w->g_cols, 0, sizeof(w->g_cols));
		}
		d = r->time_ns - w->g_prev;
		*w->tlo_at++ = (uint8_t)d;
		w->at[PW_COL_TIME_NS] += pw_cd_put_varint(w->at[PW_COL_TIME_NS], d >> 8);
		w->g_prev = r->time_ns;
		if (r->time_ns < w->g_tmin)
			w->g_tmin = r->time_ns;
		if (r->time_ns > w->g_tmax)
			w->g_tmax = r->time_ns;
		ev = r->event;
		cols = w->g_cols[ev];
		/* pw_cd_put_itoken(ev, 0) of an event (0..PW_EV__MAX - 1): one byte */
		_Static_assert(2 * PW_EV__MAX < 0x80, "an event's token is one byte");
		*w->at[PW_COL_EVENT]++ = (uint8_t)(2 * ev + 1);
		put_sparse(w, PW_COL_CPU, ev, &cols, r->cpu, 0);
		err = predict_row(&w->pred, w->cpu_slots, w->last, r, ev, &pp);
		if (err)
			return wfail(w, err, NULL);
		put_sparse(w, PW_COL_PID, ev, &cols, r->pid, pp.running);
		put_sparse(w, PW_COL_TGID, ev, &cols, r->tgid, pp.thread);
		put_sparse(w, PW_COL_NEXT_PID, ev, &cols, r->next_pid, 0);
		put_sparse(w, PW_COL_TARGET_CPU, ev, &cols, r->target_cpu, 0);
		put_sparse(w, PW_COL_DURATION_NS, ev, &cols, r->duration_ns, pp.duration);
		put_sparse(w, PW_COL_NEXT_WAIT_NS, ev, &cols, r->next_wait_ns, pp.wait);
		/* unrolled, each column's cache and buffer are at fixed offsets */
		if (w->stable) {
#pragma GCC unroll 4
			for (int k = 0; k < 4; k++) {
				int64_t id = string_id(w, k, wrow_str(r, k));

				if (id < 0)
					return wfail(w, (int)id, "cannot keep a string");
				put_sparse_str(w, str_cols[k], ev, &cols, (uint32_t)id);
			}
		} else {
#pragma GCC unroll 4
			for (int k = 0; k < 4; k++)
				put_sparse_str(w, str_cols[k], ev, &cols, wrow_id(r, k));
		}
		w->g_ev[w->g_rows] = (uint8_t)ev;
		w->g_evrows[ev]++;
		if (++w->g_rows == w->group_rows_max) {
			err = flush_group(w, w->g_rows, w->g_tmin, w->g_tmax);
			w->g_rows = 0;
			if (err)
				return err;
		}
	}
	return 0;
}

static void *encoder(void *arg)
{
	struct pw_cdict_writer *w = arg;

	in_encoder = true;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		unsigned int b;
		bool drop;

		while (!w->q_len && !w->quit) {
			w->enc_waits = true;
			pthread_cond_wait(&w->cv_enc, &w->mu);
		}
		w->enc_waits = false;
		if (!w->q_len)
			break;
		b = w->q_head;
		drop = w->quit;		/* aborted: what is queued is not wanted */
		pthread_mutex_unlock(&w->mu);
		if (!w->enc_err && !drop)
			encode_rows(w, w->buf[b], w->job_rows[b]);
		pthread_mutex_lock(&w->mu);
		w->werr = w->enc_err;
		w->q_head = (b + 1) % PW_CD_NBUF;
		w->q_len--;
		if (w->caller_waits && (w->q_len <= PW_CD_NBUF / 2 || w->werr))
			pthread_cond_signal(&w->cv_caller);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/*
 * Waits until at most @most batches are queued (0: until the encoder has
 * written all it was handed); takes the encoder's error over.
 */
static int wait_encoder(struct pw_cdict_writer *w, unsigned int most)
{
	int err;

	if (!w->threaded)
		return w->err;
	pthread_mutex_lock(&w->mu);
	while (w->q_len > most && !w->werr) {
		w->caller_waits = true;
		if (w->enc_waits)	/* the last batches of a file */
			pthread_cond_signal(&w->cv_enc);
		pthread_cond_wait(&w->cv_caller, &w->mu);
	}
	w->caller_waits = false;
	err = w->werr;
	pthread_mutex_unlock(&w->mu);
	if (err && !w->err) {
		pw_err("%s", w->wmsg);
		w->err = err;
	}
	return w->err;
}

/* Ends the encoder thread; batches still queued (an abort) are dropped. */
static void stop_encoder(struct pw_cdict_writer *w)
{
	if (!w->threaded)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_signal(&w->cv_enc);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	w->threaded = false;
}

/*
 * Queues the filled batch for the encoder thread (started with the first
 * full batch), or encodes it here when that is the last batch of a small
 * file or no thread can be had. Waits when every batch of the ring is
 * queued.
 */
static int submit(struct pw_cdict_writer *w, bool last)
{
	int err;

	if (!w->threaded && !w->no_thread && !last) {
		if (pw_thread_create(&w->thread, encoder, w))
			w->no_thread = true;
		else
			w->threaded = true;
	}
	if (!w->threaded) {
		err = encode_rows(w, w->buf[w->cur], w->rows);
		w->rows = 0;
		return err;
	}
	pthread_mutex_lock(&w->mu);
	w->job_rows[w->cur] = w->rows;
	w->q_len++;
	if (w->enc_waits && (w->q_len >= PW_CD_NBUF / 2 || last))
		pthread_cond_signal(&w->cv_enc);
	pthread_mutex_unlock(&w->mu);
	w->cur = (w->cur + 1) % PW_CD_NBUF;
	w->rows = 0;
	return wait_encoder(w, PW_CD_NBUF - 1);
}

/* The ids of row @o's strings in place of them (strings that may not
 * outlive the caller's call). */
static __attribute__((noinline)) int put_ids(struct pw_cdict_writer *w, struct pw_row *o)
{
	for (int k = 0; k < 4; k++) {
		int64_t id = string_id(w, k, wrow_str(o, k));

		if (id < 0)
			return wfail(w, (int)id, "cannot keep a string");
		wrow_set_id(o, k, (uint32_t)id);
	}
	return 0;
}

struct pw_row *pw_cdict_writer_room(struct pw_cdict_writer *w, struct pw_row **end)
{
	*end = &w->buf[w->cur][PW_CD_BATCH];
	return &w->buf[w->cur][w->rows];
}

int pw_cdict_writer_add_room(struct pw_cdict_writer *w, struct pw_row *upto, struct pw_row **next,
			     struct pw_row **end)
{
	struct pw_row *o = &w->buf[w->cur][w->rows];
	uint32_t n = 0;
	int err = w->err;

	if (!err && (upto < o || upto > &w->buf[w->cur][PW_CD_BATCH]))
		err = wfail(w, PW_EINVAL, "rows added beyond the room the writer gave");
	else if (!err)
		n = (uint32_t)(upto - o);
	/*
	 * Stable strings outlive the writer's batches: the encoder thread
	 * finds their ids, which takes a third of this thread's work off it,
	 * and checks the events (the first bad one fails the file, at a
	 * later call). Other rows are checked, and get their ids, here.
	 */
	for (uint32_t k = 0; k < n && !w->stable; k++) {
		if ((unsigned int)o[k].event >= PW_EV__MAX)
			err = bad_event(w, w->nrows + k, o[k].event);
		else
			err = put_ids(w, &o[k]);
		if (err) {
			n = k;	/* the rows before it are added */
			break;
		}
	}
	w->nrows += n;
	w->rows += n;
	if (!err && w->rows == PW_CD_BATCH)
		err = submit(w, false);
	*next = pw_cdict_writer_room(w, end);
	return err;
}

int pw_cdict_writer_add(struct pw_cdict_writer *w, const struct pw_row *r)
{
	struct pw_row *o, *end;

	if (w->err)
		return w->err;
	o = pw_cdict_writer_room(w, &end);
	wrow_copy(o, r);
	return pw_cdict_writer_add_room(w, o + 1, &o, &end);
}

/* Metadata records (docs/cdict.md, "Metadata"). */
static int meta_rec(struct pw_cd_buf *b, const char *key, int type, const struct pw_cd_buf *v)
{
	uint8_t t = (uint8_t)type;

	return buf_string(b, key, strlen(key)) ?: buf_put(b, &t, 1) ?:
	       buf_varint(b, v->len) ?: buf_put(b, v->p, v->len);
}

static int meta_str(struct pw_cd_buf *b, struct pw_cd_buf *v, const char *key, const char *s)
{
	if (!s)
		return 0;
	v->len = 0;
	return buf_put(v, s, strlen(s)) ?: meta_rec(b, key, PW_CD_MT_STRING, v);
}

static int meta_uint(struct pw_cd_buf *b, struct pw_cd_buf *v, const char *key, uint64_t n)
{
	v->len = 0;
	return buf_varint(v, n) ?: meta_rec(b, key, PW_CD_MT_UINT, v);
}

static int build_meta(struct pw_cdict_writer *w, const struct pw_meta *m, struct pw_cd_buf *b)
{
	struct pw_cd_buf v = { 0 };
	uint8_t one;
	int err;

	err = buf_varint(&v, PW_EV__MAX);
	for (int i = 0; !err && i < PW_EV__MAX; i++)
		err = buf_string(&v, pw_event_name(i), strlen(pw_event_name(i)));
	err = err ?: meta_rec(b, "events", PW_CD_MT_STRLIST, &v);
	err = err ?: meta_str(b, &v, "writer", "perfwhiz " PW_VERSION);
	err = err ?: meta_str(b, &v, "hostname", m->hostname);
	err = err ?: meta_str(b, &v, "os_release", m->os_release);
	err = err ?: meta_str(b, &v, "arch", m->arch);
	err = err ?: meta_str(b, &v, "perf_version", m->perf_version);
	err = err ?: meta_str(b, &v, "cmdline", m->cmdline);
	if (!err && m->nr_cpus != PW_NONE) {
		v.len = 0;
		err = buf_varint(&v, pw_cd_zz((uint64_t)m->nr_cpus)) ?:
		      meta_rec(b, "nr_cpus", PW_CD_MT_INT, &v);
	}
	if (w->nrows) {
		err = err ?: meta_uint(b, &v, "first_ns", w->first_ns);
		err = err ?: meta_uint(b, &v, "last_ns", w->last_ns);
	}
	if (!err) {
		v.len = 0;
		err = buf_varint(&v, PW_EV__MAX);
		for (int i = 0; !err && i < PW_EV__MAX; i++)
			err = buf_string(&v, pw_event_name(i), strlen(pw_event_name(i))) ?:
			      buf_varint(&v, w->stored[i]);
		err = err ?: meta_rec(b, "stored", PW_CD_MT_COUNTS, &v);
	}
	if (!err && m->nr_dropped) {
		v.len = 0;
		err = buf_varint(&v, m->nr_dropped);
		for (unsigned int i = 0; !err && i < m->nr_dropped; i++)
			err = buf_string(&v, m->dropped[i].name, strlen(m->dropped[i].name)) ?:
			      buf_varint(&v, m->dropped[i].count);
		err = err ?: meta_rec(b, "dropped", PW_CD_MT_COUNTS, &v);
	}
	err = err ?: meta_uint(b, &v, "lost", m->lost);
	err = err ?: meta_uint(b, &v, "lost_samples", m->lost_samples);
	err = err ?: meta_uint(b, &v, "unknown_records", m->unknown_records);
	err = err ?: meta_uint(b, &v, "unknown_ids", m->unknown_ids);
	err = err ?: meta_uint(b, &v, "out_of_order", m->out_of_order);
	err = err ?: meta_uint(b, &v, "undecodable", m->undecodable);
	if (!err) {
		one = m->partial;
		v.len = 0;
		err = buf_put(&v, &one, 1) ?: meta_rec(b, "partial", PW_CD_MT_BOOL, &v);
	}
	err = err ?: meta_str(b, &v, "source", m->source);
	err = err ?: meta_str(b, &v, "legacy_note", m->legacy_note);
	err = err ?: meta_str(b, &v, "map_file", m->map_file);
	err = err ?: meta_str(b, &v, "map_digest", m->map_digest);
	free(v.p);
	return err;
}

static int build_strings(struct pw_cdict_writer *w, struct pw_cd_buf *b)
{
	uint32_t n = pw_intern_count(w->strings);
	int err = 0;

	for (uint32_t id = 1; !err && id <= n; id++) {
		size_t len = 0;
		const char *s = pw_intern_str(w->strings, id, &len);

		err = buf_string(b, s, len);
	}
	return err;
}

static int build_index(struct pw_cdict_writer *w, const struct pw_cd_entry *strs,
		       const struct pw_cd_entry *meta, struct pw_cd_buf *b)
{
	size_t stride = PW_CD_GROUP_HDR_SIZE + PW_COL__MAX * PW_CD_ENTRY_SIZE;
	size_t size = PW_CD_INDEX_HDR_SIZE + PW_COL__MAX * PW_CD_COLDESC_SIZE +
		      (size_t)w->ngroups * stride;
	uint8_t *p;

	if (buf_reserve(b, size))
		return PW_ENOMEM;
	p = b->p;
	memset(p, 0, size);
	memcpy(p, PW_CD_INDEX_MAGIC, 4);
	pw_cd_put32(p + 4, PW_CD_INDEX_HDR_SIZE);
	pw_cd_put32(p + 8, PW_COL__MAX);
	pw_cd_put32(p + 12, PW_CD_COLDESC_SIZE);
	pw_cd_put32(p + 16, w->ngroups);
	pw_cd_put32(p + 20, PW_CD_GROUP_HDR_SIZE);
	pw_cd_put32(p + 24, PW_CD_ENTRY_SIZE);
	pw_cd_put32(p + 28, pw_intern_count(w->strings));
	pw_cd_put64(p + 32, w->nrows);
	pw_cd_put64(p + 40, strs->off);
	pw_cd_put64(p + 48, strs->size);
	pw_cd_put64(p + 56, strs->raw);
	pw_cd_put64(p + 64, meta->off);
	pw_cd_put64(p + 72, meta->size);
	pw_cd_put64(p + 80, meta->raw);
	pw_cd_put32(p + 88, w->group_rows_max);
	p += PW_CD_INDEX_HDR_SIZE;
	for (int c = 0; c < PW_COL__MAX; c++, p += PW_CD_COLDESC_SIZE) {
		pw_cd_put16(p, (uint16_t)c);
		p[2] = (uint8_t)pw_cd_column_encoding(c);
		memcpy(p + 8, pw_column_name(c), strlen(pw_column_name(c)));
	}
	for (uint32_t g = 0; g < w->ngroups; g++) {
		const struct pw_cd_group *gr = &w->groups[g];

		pw_cd_put64(p, gr->first_row);
		pw_cd_put32(p + 8, gr->rows);
		pw_cd_put64(p + 16, gr->tmin);
		pw_cd_put64(p + 24, gr->tmax);
		p += PW_CD_GROUP_HDR_SIZE;
		for (int c = 0; c < PW_COL__MAX; c++, p += PW_CD_ENTRY_SIZE) {
			pw_cd_put64(p, gr->ch[c].off);
			pw_cd_put32(p + 8, gr->ch[c].size);
			pw_cd_put32(p + 12, gr->ch[c].raw);
		}
	}
	b->len = size;
	return 0;
}

/* Makes the rename durable; a failure here is only worth a warning. */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path + 1)) : strdup(".");
	int fd;

	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) && errno != EINVAL)
			pw_warn("%s: cannot sync directory %s: %s", path, dir, strerror(errno));
		close(fd);
	}
	free(dir);
}

int pw_cdict_writer_close(struct pw_cdict_writer *w, const struct pw_meta *meta)
{
	struct pw_cd_entry strs = { 0 }, me = { 0 };
	struct pw_cd_buf b = { 0 };
	struct pw_meta empty;
	uint8_t tr[PW_CD_TRAILER_SIZE];
	uint64_t index_off;
	int err;

	if (!w)
		return PW_EINVAL;
	if (!meta) {
		pw_meta_init(&empty);
		meta = &empty;
	}
	err = w->err ?: w->rows ? submit(w, true) : 0;
	err = wait_encoder(w, 0) ?: err;
	stop_encoder(w);
	if (!err && w->g_rows)
		err = flush_group(w, w->g_rows, w->g_tmin, w->g_tmax);
	if (!err && pw_intern_count(w->strings)) {
		err = build_strings(w, &b);
		err = err ? wfail(w, err, NULL) : write_frame(w, -1, b.p, b.len, NULL, 0, &strs);
	}
	b.len = 0;
	if (!err) {
		err = build_meta(w, meta, &b);
		err = err ? wfail(w, err, NULL) : write_frame(w, -1, b.p, b.len, NULL, 0, &me);
	}
	b.len = 0;
	if (!err) {
		index_off = w->off;
		err = build_index(w, &strs, &me, &b);
		err = err ? wfail(w, err, NULL) : write_all(w, b.p, b.len);
	}
	if (!err) {
		pw_cd_put64(tr, index_off);
		pw_cd_put64(tr + 8, b.len);
		pw_cd_put32(tr + 16, (uint32_t)crc32(0, b.p, (uInt)b.len));
		pw_cd_put32(tr + 20, (uint32_t)crc32(0, tr, 20));
		memcpy(tr + 24, PW_CD_END_MAGIC, PW_CD_MAGIC_LEN);
		err = write_all(w, tr, sizeof(tr));
	}
	free(b.p);
	if (!err && fsync(w->fd))
		err = wfail(w, -errno, "cannot sync");
	if (!err && fchmod(w->fd, 0644))
		err = wfail(w, -errno, "cannot set the mode");
	if (!err) {
		int fd = w->fd;

		w->fd = -1;
		if (close(fd))
			err = wfail(w, -errno, "cannot close");
	}
	if (!err && rename(w->tmp, w->path))
		err = wfail(w, -errno, "cannot rename the temporary file into place");
	if (err) {
		pw_cdict_writer_abort(w);
		return err;
	}
	sync_dir(w->path);
	w->created = false;
	pw_cdict_writer_abort(w);
	return 0;
}

void pw_cdict_writer_abort(struct pw_cdict_writer *w)
{
	if (!w)
		return;
	stop_encoder(w);
	if (w->fd >= 0)
		close(w->fd);
	if (w->created && unlink(w->tmp) && errno != ENOENT)
		pw_warn("%s: cannot remove temporary file %s: %s", w->path, w->tmp,
			strerror(errno));
	ZSTD_freeCCtx(w->cctx);
	pw_intern_free(w->strings);
	for (int c = 0; c < PW_COL__MAX; c++)
		free(w->col[c].p);
	free(w->spread.p);
	free(w->g_ev);
	free(w->tlo.p);
	free(w->zbuf.p);
	free(w->zbuf2.p);
	free(w->joined.p);
#if PW_CD_LITERALS
	free(w->seqs);
#endif
	pw_cd_pred_release(&w->pred);
	free(w->groups);
	free(w->ring);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv_enc);
	pthread_cond_destroy(&w->cv_caller);
	free(w->path);
	free(w->tmp);
	free(w);
}
