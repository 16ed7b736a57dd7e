// SPDX-License-Identifier: MIT
/*
 * cdict-reader.c - reads a cdict (docs/cdict.md). Opening checks the
 * header, trailer, index, metadata and string table; column chunks are
 * read, decompressed and decoded on demand, one row group at a time, so
 * only the selected columns (and what their predictors read) are touched.
 * Every bound is checked before use: a bad file gives an error naming the
 * file and the byte offset, never a crash or an allocation the file's size
 * cannot justify.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "cdict-local.h"
#include "pw-cdict.h"
#include "pw-file.h"
#include "pw-log.h"

struct pw_cd_chunk {
	uint64_t off;
	uint32_t size, raw;
};

struct pw_cd_rgroup {
	uint64_t first_row;
	uint32_t rows;
	uint64_t tmin, tmax;
	struct pw_cd_chunk ch[PW_COL__MAX];
};

/* What decoding needs, one per thread. */
struct pw_cd_work {
	ZSTD_DCtx *dctx;
	uint8_t *cbuf, *rbuf;		/* compressed / raw chunk scratch */
	size_t cbuf_cap, rbuf_cap;
	struct pw_cd_pred pred;
	int64_t *dec[PW_COL__MAX];	/* decoded columns of one group (max_rows) */
	uint64_t *predbuf;		/* predictions for one group (max_rows) */
	/* the event column of one group as stored (file event values, for
	 * the masks of sparse chunks), and which of them occur */
	uint16_t *evraw;		/* max_rows */
	uint32_t *sel;			/* rows of a sparse chunk's tokens (max_rows) */
	uint64_t sel_mask;		/* the event mask they are of, */
	uint32_t sel_group, sel_n;	/* in group sel_group - 1 (0: none); how many */
	uint32_t ev_group;		/* the group they are of, + 1; 0: none */
	uint64_t ev_present;		/* bit e: event e occurs (e < 64) */
	bool ev_high;			/* an event >= 64 occurs */
	/* the group's loaded event, cpu and next_pid columns, which the
	 * running predictor reads when they are loaded anyway; NULL: it
	 * reads the decoded ones (dec[]) */
	const uint8_t *run_ev;
	const int32_t *run_cpu, *run_npid;
	bool defer;			/* helper thread: keep the message, log later */
	int err;
	char msg[640];
};

struct pw_cdict {
	char *path;
	int fd;
	uint64_t size;
	unsigned int major, minor;
	struct pw_meta meta;
	uint64_t nrows;
	uint32_t ngroups;
	uint32_t max_rows;		/* largest group */
	struct pw_cd_rgroup *groups;
	uint8_t enc[PW_COL__MAX];	/* 0: column absent from the file */
	uint8_t *ev_map;		/* file event value -> enum pw_event */
	uint32_t nevents;
	char *str_blob;			/* the strings, NUL-terminated */
	size_t str_blob_len;
	const char **strs;		/* strs[0] = "" (unknown), strs[1..nr] */
	uint32_t nr_strings;
	struct pw_cd_work w;		/* the calling thread's */
	struct pw_cd_work *helpers;	/* other threads' for pw_cdict_load() */
	unsigned int nr_helpers;
};

static int cd_fail(const struct pw_cdict *cd, struct pw_cd_work *wk, int err, uint64_t off,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Reports @err at byte @off of the file. A helper thread's work (@wk with
 * defer set) keeps its first message for the calling thread to log.
 */
static int cd_fail(const struct pw_cdict *cd, struct pw_cd_work *wk, int err, uint64_t off,
		   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (wk && wk->defer) {
		if (!wk->err) {
			snprintf(wk->msg, sizeof(wk->msg), "%s: offset %" PRIu64 ": %s", cd->path,
				 off, msg);
			wk->err = err;
		}
		return err;
	}
	pw_err("%s: offset %" PRIu64 ": %s", cd->path, off, msg);
	return err;
}

static int grow(uint8_t **p, size_t *cap, size_t need)
{
	uint8_t *n;

	if (*cap >= need)
		return 0;
	n = realloc(*p, need);
	if (!n)
		return PW_ENOMEM;
	*p = n;
	*cap = need;
	return 0;
}

static int read_at(struct pw_cdict *cd, struct pw_cd_work *wk, void *dst, size_t len, uint64_t off,
		   const char *what)
{
	uint8_t *d = dst;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(cd->fd, d + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cd_fail(cd, wk, PW_EIO, off + done, "cannot read the %s: %s", what,
				       strerror(errno));
		if (n == 0)
			return cd_fail(cd, wk, PW_ETRUNCATED, off + done,
				       "the file ends inside the %s (was it truncated while open?)",
				       what);
		done += (size_t)n;
	}
	return 0;
}

/*
 * Reads the zstd frame [off, off + size) and decompresses it into wk->rbuf,
 * which must then hold exactly @raw bytes.
 */
static int read_frame(struct pw_cdict *cd, struct pw_cd_work *wk, uint64_t off, uint32_t size,
		      uint32_t raw, const char *what)
{
	unsigned long long content;
	size_t n;
	int err;

	if (grow(&wk->cbuf, &wk->cbuf_cap, size) || grow(&wk->rbuf, &wk->rbuf_cap, raw ? raw : 1))
		return cd_fail(cd, wk, PW_ENOMEM, off, "%s: no memory for the %s", pw_strerror(PW_ENOMEM),
			       what);
	err = read_at(cd, wk, wk->cbuf, size, off, what);
	if (err)
		return err;
	n = ZSTD_findFrameCompressedSize(wk->cbuf, size);
	if (ZSTD_isError(n) || n != size)
		return cd_fail(cd, wk, PW_ECOMPRESS, off,
			       "the %s is not one zstd frame of %" PRIu32 " bytes (%s)", what,
			       size, ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size differs");
	content = ZSTD_getFrameContentSize(wk->cbuf, size);
	if (content != raw)
		return cd_fail(cd, wk, PW_ECOMPRESS, off,
			       "the %s's zstd frame does not declare its size of %" PRIu32 " bytes",
			       what, raw);
	n = ZSTD_decompressDCtx(wk->dctx, wk->rbuf, raw, wk->cbuf, size);
	if (ZSTD_isError(n) || n != raw)
		return cd_fail(cd, wk, PW_ECOMPRESS, off, "corrupt compressed %s: %s", what,
			       ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size");
	return 0;
}

/* A string at [*pp, end): varint length then bytes, no NUL inside. */
static bool get_string(const uint8_t **pp, const uint8_t *end, const uint8_t **s, size_t *len)
{
	uint64_t l;
	unsigned int hi;

	if (!pw_cd_get_varint(pp, end, &l, &hi) || hi || l > (uint64_t)(end - *pp) ||
	    memchr(*pp, 0, l))
		return false;
	*s = *pp;
	*len = (size_t)l;
	*pp += l;
	return true;
}

/* Known metadata keys and the field each fills. */
enum meta_key {
	MK_EVENTS, MK_HOSTNAME, MK_OS_RELEASE, MK_ARCH, MK_PERF_VERSION, MK_CMDLINE,
	MK_NR_CPUS, MK_FIRST_NS, MK_LAST_NS, MK_STORED, MK_DROPPED, MK_LOST,
	MK_LOST_SAMPLES, MK_UNKNOWN_RECORDS, MK_UNKNOWN_IDS, MK_OUT_OF_ORDER,
	MK_UNDECODABLE, MK_PARTIAL, MK_SOURCE, MK_LEGACY_NOTE, MK_MAP_FILE, MK_MAP_DIGEST,
	MK__MAX
};

static const struct {
	const char *name;
	uint8_t type;
} meta_keys[MK__MAX] = {
	[MK_EVENTS] = { "events", PW_CD_MT_STRLIST },
	[MK_HOSTNAME] = { "hostname", PW_CD_MT_STRING },
	[MK_OS_RELEASE] = { "os_release", PW_CD_MT_STRING },
	[MK_ARCH] = { "arch", PW_CD_MT_STRING },
	[MK_PERF_VERSION] = { "perf_version", PW_CD_MT_STRING },
	[MK_CMDLINE] = { "cmdline", PW_CD_MT_STRING },
	[MK_NR_CPUS] = { "nr_cpus", PW_CD_MT_INT },
	[MK_FIRST_NS] = { "first_ns", PW_CD_MT_UINT },
	[MK_LAST_NS] = { "last_ns", PW_CD_MT_UINT },
	[MK_STORED] = { "stored", PW_CD_MT_COUNTS },
	[MK_DROPPED] = { "dropped", PW_CD_MT_COUNTS },
	[MK_LOST] = { "lost", PW_CD_MT_UINT },
	[MK_LOST_SAMPLES] = { "lost_samples", PW_CD_MT_UINT },
	[MK_UNKNOWN_RECORDS] = { "unknown_records", PW_CD_MT_UINT },
	[MK_UNKNOWN_IDS] = { "unknown_ids", PW_CD_MT_UINT },
	[MK_OUT_OF_ORDER] = { "out_of_order", PW_CD_MT_UINT },
	[MK_UNDECODABLE] = { "undecodable", PW_CD_MT_UINT },
	[MK_PARTIAL] = { "partial", PW_CD_MT_BOOL },
	[MK_SOURCE] = { "source", PW_CD_MT_STRING },
	[MK_LEGACY_NOTE] = { "legacy_note", PW_CD_MT_STRING },
	[MK_MAP_FILE] = { "map_file", PW_CD_MT_STRING },
	[MK_MAP_DIGEST] = { "map_digest", PW_CD_MT_STRING },
};

static char **meta_str_field(struct pw_meta *m, int k)
{
	switch (k) {
	case MK_HOSTNAME: return &m->hostname;
	case MK_OS_RELEASE: return &m->os_release;
	case MK_ARCH: return &m->arch;
	case MK_PERF_VERSION: return &m->perf_version;
	case MK_CMDLINE: return &m->cmdline;
	case MK_SOURCE: return &m->source;
	case MK_LEGACY_NOTE: return &m->legacy_note;
	case MK_MAP_FILE: return &m->map_file;
	case MK_MAP_DIGEST: return &m->map_digest;
	default: return NULL;
	}
}

static uint64_t *meta_uint_field(struct pw_meta *m, int k)
{
	switch (k) {
	case MK_FIRST_NS: return &m->first_ns;
	case MK_LAST_NS: return &m->last_ns;
	case MK_LOST: return &m->lost;
	case MK_LOST_SAMPLES: return &m->lost_samples;
	case MK_UNKNOWN_RECORDS: return &m->unknown_records;
	case MK_UNKNOWN_IDS: return &m->unknown_ids;
	case MK_OUT_OF_ORDER: return &m->out_of_order;
	case MK_UNDECODABLE: return &m->undecodable;
	default: return NULL;
	}
}

/* Parses one known record's value [v, end); returns false when malformed. */
static bool meta_value(struct pw_cdict *cd, int k, const uint8_t *v, const uint8_t *end, int *err)
{
	struct pw_meta *m = &cd->meta;
	const uint8_t *s;
	uint64_t n, cnt;
	unsigned int hi;
	size_t len;
	char **sp;

	switch (meta_keys[k].type) {
	case PW_CD_MT_STRING:
		if (memchr(v, 0, (size_t)(end - v)))
			return false;
		sp = meta_str_field(m, k);
		free(*sp);
		*sp = strndup((const char *)v, (size_t)(end - v));
		if (!*sp)
			*err = PW_ENOMEM;
		return true;
	case PW_CD_MT_UINT:
		if (!pw_cd_get_varint(&v, end, &n, &hi) || hi || v != end)
			return false;
		*meta_uint_field(m, k) = n;
		return true;
	case PW_CD_MT_INT:
		if (!pw_cd_get_varint(&v, end, &n, &hi) || hi || v != end)
			return false;
		m->nr_cpus = (int64_t)pw_cd_unzz(n);
		return true;
	case PW_CD_MT_BOOL:
		if (end - v != 1 || *v > 1)
			return false;
		m->partial = *v;
		return true;
	case PW_CD_MT_COUNTS:
		if (!pw_cd_get_varint(&v, end, &n, &hi) || hi || n > (uint64_t)(end - v))
			return false;
		if (k == MK_STORED)
			memset(m->stored, 0, sizeof(m->stored));
		for (uint64_t i = 0; i < n; i++) {
			char name[256];
			int ev;

			if (!get_string(&v, end, &s, &len) ||
			    !pw_cd_get_varint(&v, end, &cnt, &hi) || hi)
				return false;
			if (k == MK_STORED) {
				/* names this reader does not know are skipped */
				if (len >= sizeof(name))
					continue;
				memcpy(name, s, len);
				name[len] = '\0';
				ev = pw_event_from_name(name);
				if (ev >= 0)
					m->stored[ev] = cnt;
			} else {
				char *d = strndup((const char *)s, len);

				*err = d ? pw_meta_add_dropped(m, d, cnt) : PW_ENOMEM;
				free(d);
				if (*err)
					return true;
			}
		}
		return v == end;
	case PW_CD_MT_STRLIST:	/* the events list */
		if (!pw_cd_get_varint(&v, end, &n, &hi) || hi || n > (uint64_t)(end - v) ||
		    n > 65536)
			return false;
		free(cd->ev_map);
		cd->ev_map = malloc(n ? n : 1);
		if (!cd->ev_map) {
			*err = PW_ENOMEM;
			return true;
		}
		cd->nevents = (uint32_t)n;
		for (uint64_t i = 0; i < n; i++) {
			char name[256];
			int ev = -1;

			if (!get_string(&v, end, &s, &len))
				return false;
			if (len < sizeof(name)) {
				memcpy(name, s, len);
				name[len] = '\0';
				ev = pw_event_from_name(name);
			}
			cd->ev_map[i] = ev >= 0 ? (uint8_t)ev : PW_EV__MAX;
		}
		return v == end;
	}
	return false;
}

static int parse_meta(struct pw_cdict *cd, uint64_t off, uint32_t raw)
{
	const uint8_t *p = cd->w.rbuf, *end = cd->w.rbuf + raw;
	bool seen_events = false;

	while (p < end) {
		const uint8_t *rec = p, *key, *val;
		uint64_t vlen;
		unsigned int hi;
		size_t klen;
		uint8_t type;
		int k, err = 0;

		if (!get_string(&p, end, &key, &klen) || p >= end)
			goto bad;
		type = *p++;
		if (!pw_cd_get_varint(&p, end, &vlen, &hi) || hi || vlen > (uint64_t)(end - p))
			goto bad;
		val = p;
		p += vlen;
		for (k = 0; k < MK__MAX; k++)
			if (strlen(meta_keys[k].name) == klen && !memcmp(meta_keys[k].name, key, klen))
				break;
		if (k == MK__MAX || type < PW_CD_MT_STRING || type > PW_CD_MT_STRLIST)
			continue;	/* a key or type of a later version */
		if (type != meta_keys[k].type)
			return cd_fail(cd, NULL, PW_EFORMAT, off,
				       "metadata key \"%s\" has type %u, expected %u (byte %td of the metadata)",
				       meta_keys[k].name, type, meta_keys[k].type, rec - cd->w.rbuf);
		if (!meta_value(cd, k, val, p, &err))
			return cd_fail(cd, NULL, PW_EFORMAT, off,
				       "malformed value of metadata key \"%s\" (byte %td of the metadata)",
				       meta_keys[k].name, val - cd->w.rbuf);
		if (err)
			return cd_fail(cd, NULL, err, off, "%s", pw_strerror(err));
		if (k == MK_EVENTS)
			seen_events = true;
		continue;
bad:
		return cd_fail(cd, NULL, PW_EFORMAT, off, "malformed metadata record at byte %td of %" PRIu32,
			       rec - cd->w.rbuf, raw);
	}
	if (!seen_events)
		return cd_fail(cd, NULL, PW_EFORMAT, off, "the metadata lacks the required \"events\" list");
	return 0;
}

static int parse_strings(struct pw_cdict *cd, uint64_t off, uint32_t raw)
{
	const uint8_t *p = cd->w.rbuf, *end = cd->w.rbuf + raw, *s;
	size_t len, at = 0;

	/* each entry takes at least its length byte: raw + nr_strings bounds both */
	cd->str_blob = malloc((size_t)raw + cd->nr_strings + 1);
	cd->strs = malloc(((size_t)cd->nr_strings + 1) * sizeof(*cd->strs));
	if (!cd->str_blob || !cd->strs)
		return cd_fail(cd, NULL, PW_ENOMEM, off, "%s: no memory for the string table",
			       pw_strerror(PW_ENOMEM));
	cd->str_blob[at++] = '\0';
	cd->strs[0] = cd->str_blob;
	for (uint32_t i = 1; i <= cd->nr_strings; i++) {
		const uint8_t *e = p;

		if (!get_string(&p, end, &s, &len))
			return cd_fail(cd, NULL, PW_EFORMAT, off,
				       "string table entry %" PRIu32 " at byte %td is malformed", i,
				       e - cd->w.rbuf);
		memcpy(cd->str_blob + at, s, len);
		cd->strs[i] = cd->str_blob + at;
		at += len;
		cd->str_blob[at++] = '\0';
	}
	if (p != end)
		return cd_fail(cd, NULL, PW_EFORMAT, off,
			       "string table holds %td bytes after its %" PRIu32 " entries", end - p,
			       cd->nr_strings);
	cd->str_blob_len = at;
	return 0;
}

/*
 * Whether column @col may use encoding @enc. A predictor reads columns
 * decoded before the one it predicts (decode_group()'s order): pid's
 * (running) reads event, cpu and next_pid; tgid's (thread) pid; duration
 * and wait all five of PW_CD_PRED_DEPS, so no column they read may use them.
 */
static bool enc_fits(int col, int enc)
{
	if (enc & PW_CD_ENC_SPARSE) {
		if (col == PW_COL_TIME_NS || col == PW_COL_EVENT)
			return false;		/* never unknown */
		enc &= ~PW_CD_ENC_SPARSE;
	}
	switch (col) {
	case PW_COL_TIME_NS:
		return enc == PW_CD_ENC_DELTA;
	case PW_COL_TASK:
	case PW_COL_NEXT_TASK:
	case PW_COL_PREV_STATE:
	case PW_COL_EXIT_REASON:
		return enc == PW_CD_ENC_STRING;
	case PW_COL_EVENT:
	case PW_COL_CPU:
	case PW_COL_NEXT_PID:
		return enc == PW_CD_ENC_INT;
	case PW_COL_PID:
		return enc == PW_CD_ENC_INT || enc == PW_CD_ENC_RUNNING;
	default:
		return enc == PW_CD_ENC_INT || enc == PW_CD_ENC_DURATION ||
		       enc == PW_CD_ENC_WAIT || enc == PW_CD_ENC_THREAD;
	}
}

/* Checks that [off, off + size) lies between the header and the index. */
static bool in_data(uint64_t off, uint64_t size, uint64_t lo, uint64_t hi)
{
	return off >= lo && off <= hi && size <= hi - off;
}

static int parse_index(struct pw_cdict *cd, const uint8_t *ix, uint64_t ix_off, uint64_t ix_size,
		       uint32_t hdr_size)
{
	uint32_t hsz, ncols, dsz, gsz, esz;
	uint64_t need, stride, sum = 0;
	int16_t slot[PW_COL__MAX];
	const uint8_t *p;

	if (ix_size < PW_CD_INDEX_HDR_SIZE || memcmp(ix, PW_CD_INDEX_MAGIC, 4))
		return cd_fail(cd, NULL, PW_EFORMAT, ix_off, "no index here (bad index magic)");
	hsz = pw_cd_get32(ix + 4);
	ncols = pw_cd_get32(ix + 8);
	dsz = pw_cd_get32(ix + 12);
	cd->ngroups = pw_cd_get32(ix + 16);
	gsz = pw_cd_get32(ix + 20);
	esz = pw_cd_get32(ix + 24);
	cd->nr_strings = pw_cd_get32(ix + 28);
	cd->nrows = pw_cd_get64(ix + 32);
	if (hsz < PW_CD_INDEX_HDR_SIZE || dsz < PW_CD_COLDESC_SIZE ||
	    gsz < PW_CD_GROUP_HDR_SIZE || esz < PW_CD_ENTRY_SIZE || ncols > 65536)
		return cd_fail(cd, NULL, PW_EFORMAT, ix_off + 4,
			       "index record sizes out of range (header %" PRIu32 ", column %" PRIu32
			       ", group %" PRIu32 ", entry %" PRIu32 ", %" PRIu32 " columns)",
			       hsz, dsz, gsz, esz, ncols);
	stride = gsz + (uint64_t)ncols * esz;
	need = hsz + (uint64_t)ncols * dsz + (uint64_t)cd->ngroups * stride;
	if (need != ix_size)
		return cd_fail(cd, NULL, PW_EFORMAT, ix_off,
			       "index size %" PRIu64 " does not match its %" PRIu32 " columns and %"
			       PRIu32 " row groups (%" PRIu64 " bytes)", ix_size, ncols,
			       cd->ngroups, need);
	for (int c = 0; c < PW_COL__MAX; c++)
		slot[c] = -1;
	p = ix + hsz;
	for (uint32_t i = 0; i < ncols; i++, p += dsz) {
		uint16_t id = pw_cd_get16(p);

		if (id >= PW_COL__MAX)
			continue;	/* a column of a later version */
		if (slot[id] >= 0)
			return cd_fail(cd, NULL, PW_EFORMAT, ix_off + (uint64_t)(p - ix),
				       "column %u (%s) is described twice", id, pw_column_name(id));
		slot[id] = (int16_t)i;
		cd->enc[id] = p[2];
	}
	if (slot[PW_COL_TIME_NS] < 0 || slot[PW_COL_EVENT] < 0)
		return cd_fail(cd, NULL, PW_EFORMAT, ix_off + hsz,
			       "the required columns time_ns and event are not both present");
	for (int c = 0; c < PW_COL__MAX; c++)
		if (slot[c] >= 0 && !enc_fits(c, cd->enc[c]) &&
		    (c == PW_COL_TIME_NS || c == PW_COL_EVENT))
			return cd_fail(cd, NULL, PW_EUNSUPPORTED, ix_off + hsz + (uint64_t)slot[c] * dsz,
				       "column %s uses encoding %u, unknown to this reader (file format %u.%u)",
				       pw_column_name(c), cd->enc[c], cd->major, cd->minor);

	cd->groups = calloc(cd->ngroups ? cd->ngroups : 1, sizeof(*cd->groups));
	if (!cd->groups)
		return cd_fail(cd, NULL, PW_ENOMEM, ix_off, "%s", pw_strerror(PW_ENOMEM));
	p = ix + hsz + (uint64_t)ncols * dsz;
	for (uint32_t g = 0; g < cd->ngroups; g++, p += stride) {
		struct pw_cd_rgroup *gr = &cd->groups[g];
		uint64_t goff = ix_off + (uint64_t)(p - ix);

		gr->first_row = pw_cd_get64(p);
		gr->rows = pw_cd_get32(p + 8);
		gr->tmin = pw_cd_get64(p + 16);
		gr->tmax = pw_cd_get64(p + 24);
		if (gr->rows < 1 || gr->rows > PW_CD_MAX_GROUP_ROWS || gr->first_row != sum ||
		    gr->tmin > gr->tmax)
			return cd_fail(cd, NULL, PW_EFORMAT, goff,
				       "row group %" PRIu32 " header is inconsistent (first row %" PRIu64
				       ", expected %" PRIu64 "; %" PRIu32 " rows, 1 to %u allowed)",
				       g, gr->first_row, sum, gr->rows, PW_CD_MAX_GROUP_ROWS);
		sum += gr->rows;
		if (gr->rows > cd->max_rows)
			cd->max_rows = gr->rows;
		for (int c = 0; c < PW_COL__MAX; c++) {
			const uint8_t *e;
			struct pw_cd_chunk *ch = &gr->ch[c];

			if (slot[c] < 0)
				continue;
			e = p + gsz + (uint64_t)slot[c] * esz;
			ch->off = pw_cd_get64(e);
			ch->size = pw_cd_get32(e + 8);
			ch->raw = pw_cd_get32(e + 12);
			/* a sparse chunk: the mask, then 0 to rows tokens; an
			 * encoding this reader does not know is never decoded */
			bool sparse = cd->enc[c] & PW_CD_ENC_SPARSE, known = enc_fits(c, cd->enc[c]);
			uint32_t least = sparse || !known ? 1 : gr->rows;
			uint64_t most = ((uint64_t)gr->rows + (sparse || !known)) * PW_CD_VARINT_MAX;

			if (!ch->size || !in_data(ch->off, ch->size, hdr_size, ix_off) ||
			    ch->raw < least || ch->raw > most ||
			    ch->raw > (uint64_t)ch->size * PW_CD_MAX_EXPANSION)
				return cd_fail(cd, NULL, PW_EFORMAT, ix_off + (uint64_t)(e - ix),
					       "chunk entry of column %s in row group %" PRIu32
					       " is out of bounds (offset %" PRIu64 ", %" PRIu32
					       " bytes, %" PRIu32 " raw, %" PRIu32 " rows)",
					       pw_column_name(c), g, ch->off, ch->size, ch->raw, gr->rows);
		}
	}
	if (sum != cd->nrows)
		return cd_fail(cd, NULL, PW_EFORMAT, ix_off + 32,
			       "the index says %" PRIu64 " rows but its row groups hold %" PRIu64,
			       cd->nrows, sum);
	return 0;
}

static void work_release(struct pw_cd_work *wk)
{
	ZSTD_freeDCtx(wk->dctx);
	free(wk->cbuf);
	free(wk->rbuf);
	pw_cd_pred_release(&wk->pred);
	for (int c = 0; c < PW_COL__MAX; c++)
		free(wk->dec[c]);
	free(wk->predbuf);
	free(wk->evraw);
	free(wk->sel);
	memset(wk, 0, sizeof(*wk));
}

static void cd_free(struct pw_cdict *cd)
{
	if (cd->fd >= 0)
		close(cd->fd);
	pw_meta_release(&cd->meta);
	free(cd->groups);
	free(cd->ev_map);
	free(cd->str_blob);
	free(cd->strs);
	work_release(&cd->w);
	for (unsigned int i = 0; i < cd->nr_helpers; i++)
		work_release(&cd->helpers[i]);
	free(cd->helpers);
	free(cd->path);
	free(cd);
}

struct pw_cdict *pw_cdict_open(const char *path, int *errp)
{
	uint8_t hdr[PW_CD_HEADER_SIZE], tr[PW_CD_TRAILER_SIZE], *ix = NULL;
	uint64_t ix_off, ix_size, tr_off, off, size, raw;
	struct pw_cdict *cd;
	uint32_t hdr_size;
	struct stat st;
	int err = PW_ENOMEM;

	cd = calloc(1, sizeof(*cd));
	if (!cd || !(cd->path = strdup(path))) {
		pw_err("%s: %s", path, pw_strerror(PW_ENOMEM));
		free(cd);
		cd = NULL;
		goto out;
	}
	cd->fd = -1;
	pw_meta_init(&cd->meta);
	cd->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (cd->fd < 0) {
		err = errno == ENOENT ? PW_ENOENT : -errno;
		pw_err("%s: cannot open: %s", path, strerror(errno));
		goto err;
	}
	if (fstat(cd->fd, &st) || !S_ISREG(st.st_mode)) {
		err = PW_EINVAL;
		pw_err("%s: not a regular file: a cdict is read with random access", path);
		goto err;
	}
	cd->size = (uint64_t)st.st_size;
	if (cd->size < PW_CD_HEADER_SIZE) {
		err = cd_fail(cd, NULL, PW_ETRUNCATED, cd->size,
			      "truncated: %" PRIu64 " bytes, not even a cdict header", cd->size);
		goto err;
	}
	err = read_at(cd, NULL, hdr, sizeof(hdr), 0, "header");
	if (err)
		goto err;
	if (memcmp(hdr, PW_CD_MAGIC, PW_CD_MAGIC_LEN)) {
		err = cd_fail(cd, NULL, PW_EFORMAT, 0, "not a cdict (bad magic)");
		goto err;
	}
	cd->major = pw_cd_get16(hdr + 8);
	cd->minor = pw_cd_get16(hdr + 10);
	hdr_size = pw_cd_get32(hdr + 12);
	if (cd->major < PW_CDICT_VERSION_OLDEST || cd->major > PW_CD_MAJOR) {
		err = cd_fail(cd, NULL, PW_EVERSION, 8,
			      "cdict format version %u.%u; this perfwhiz reads versions %u.x to %u.x%s",
			      cd->major, cd->minor, PW_CDICT_VERSION_OLDEST, PW_CD_MAJOR,
			      cd->major > PW_CD_MAJOR ? ": use a newer perfwhiz" : "");
		goto err;
	}
	if (hdr_size < PW_CD_HEADER_SIZE) {
		err = cd_fail(cd, NULL, PW_EFORMAT, 12, "header size %" PRIu32 " is below %u", hdr_size,
			      PW_CD_HEADER_SIZE);
		goto err;
	}
	if (cd->size < (uint64_t)hdr_size + PW_CD_TRAILER_SIZE) {
		err = cd_fail(cd, NULL, PW_ETRUNCATED, cd->size,
			      "truncated: %" PRIu64 " bytes, no room for a trailer after the header: "
			      "the file was not completely written", cd->size);
		goto err;
	}
	tr_off = cd->size - PW_CD_TRAILER_SIZE;
	err = read_at(cd, NULL, tr, sizeof(tr), tr_off, "trailer");
	if (err)
		goto err;
	if (memcmp(tr + 24, PW_CD_END_MAGIC, PW_CD_MAGIC_LEN)) {
		err = cd_fail(cd, NULL, PW_ETRUNCATED, tr_off + 24,
			      "no end marker: the file is truncated or was not completely written");
		goto err;
	}
	if (pw_cd_get32(tr + 20) != (uint32_t)crc32(0, tr, 20)) {
		err = cd_fail(cd, NULL, PW_EFORMAT, tr_off, "trailer checksum mismatch: corrupt file");
		goto err;
	}
	ix_off = pw_cd_get64(tr);
	ix_size = pw_cd_get64(tr + 8);
	if (ix_off < hdr_size || ix_off > tr_off || ix_size != tr_off - ix_off) {
		err = cd_fail(cd, NULL, PW_EFORMAT, tr_off,
			      "the trailer's index (offset %" PRIu64 ", %" PRIu64
			      " bytes) does not end at the trailer: corrupt or truncated file",
			      ix_off, ix_size);
		goto err;
	}
	ix = malloc(ix_size ? ix_size : 1);
	if (!ix) {
		err = cd_fail(cd, NULL, PW_ENOMEM, ix_off, "%s", pw_strerror(PW_ENOMEM));
		goto err;
	}
	err = read_at(cd, NULL, ix, ix_size, ix_off, "index");
	if (err)
		goto err;
	if (pw_cd_get32(tr + 16) != (uint32_t)crc32(0, ix, (uInt)ix_size)) {
		err = cd_fail(cd, NULL, PW_EFORMAT, ix_off, "index checksum mismatch: corrupt file");
		goto err;
	}
	err = parse_index(cd, ix, ix_off, ix_size, hdr_size);
	if (err)
		goto err;
	cd->w.dctx = ZSTD_createDCtx();
	if (!cd->w.dctx) {
		err = cd_fail(cd, NULL, PW_ENOMEM, 0, "%s", pw_strerror(PW_ENOMEM));
		goto err;
	}
	/* metadata */
	off = pw_cd_get64(ix + 64);
	size = pw_cd_get64(ix + 72);
	raw = pw_cd_get64(ix + 80);
	if (!size || size > UINT32_MAX || raw > UINT32_MAX || !in_data(off, size, hdr_size, ix_off) ||
	    raw > size * PW_CD_MAX_EXPANSION) {
		err = cd_fail(cd, NULL, PW_EFORMAT, ix_off + 64,
			      "metadata section out of bounds (offset %" PRIu64 ", %" PRIu64
			      " bytes, %" PRIu64 " raw)", off, size, raw);
		goto err;
	}
	err = read_frame(cd, &cd->w, off, (uint32_t)size, (uint32_t)raw, "metadata");
	err = err ?: parse_meta(cd, off, (uint32_t)raw);
	if (err)
		goto err;
	/* string table */
	off = pw_cd_get64(ix + 40);
	size = pw_cd_get64(ix + 48);
	raw = pw_cd_get64(ix + 56);
	if (cd->nr_strings ? (!size || size > UINT32_MAX || raw > UINT32_MAX ||
			      !in_data(off, size, hdr_size, ix_off) || raw < cd->nr_strings ||
			      raw > size * PW_CD_MAX_EXPANSION)
			   : size != 0) {
		err = cd_fail(cd, NULL, PW_EFORMAT, ix_off + 40,
			      "string table out of bounds (offset %" PRIu64 ", %" PRIu64
			      " bytes, %" PRIu64 " raw, %" PRIu32 " strings)", off, size, raw,
			      cd->nr_strings);
		goto err;
	}
	if (cd->nr_strings) {
		err = read_frame(cd, &cd->w, off, (uint32_t)size, (uint32_t)raw, "string table");
		err = err ?: parse_strings(cd, off, (uint32_t)raw);
	} else {
		cd->str_blob = calloc(1, 1);
		cd->strs = malloc(sizeof(*cd->strs));
		if (!cd->str_blob || !cd->strs)
			err = cd_fail(cd, NULL, PW_ENOMEM, off, "%s", pw_strerror(PW_ENOMEM));
		else
			cd->strs[0] = cd->str_blob;
		cd->str_blob_len = 1;
	}
	if (err)
		goto err;
	free(ix);
	if (errp)
		*errp = 0;
	return cd;
err:
	free(ix);
	cd_free(cd);
	cd = NULL;
out:
	if (errp)
		*errp = err;
	return NULL;
}

void pw_cdict_close(struct pw_cdict *cd)
{
	if (cd)
		cd_free(cd);
}

const struct pw_meta *pw_cdict_meta(const struct pw_cdict *cd)
{
	return &cd->meta;
}

uint64_t pw_cdict_nrows(const struct pw_cdict *cd)
{
	return cd->nrows;
}

bool pw_cdict_time_range(const struct pw_cdict *cd, uint64_t *tmin, uint64_t *tmax)
{
	*tmin = UINT64_MAX;
	*tmax = 0;
	for (uint32_t g = 0; g < cd->ngroups; g++) {
		if (cd->groups[g].tmin < *tmin)
			*tmin = cd->groups[g].tmin;
		if (cd->groups[g].tmax > *tmax)
			*tmax = cd->groups[g].tmax;
	}
	return cd->ngroups > 0;
}

const char *const *pw_cdict_strings(const struct pw_cdict *cd, uint32_t *n)
{
	*n = cd->nr_strings + 1;
	return cd->strs;
}

void pw_cdict_version(const struct pw_cdict *cd, unsigned int *major, unsigned int *minor)
{
	*major = cd->major;
	*minor = cd->minor;
}

/* Value tokens of the int, duration and wait encodings (docs/cdict.md). */
#define BAD_TOKEN(msg) do { why = msg; goto bad; } while (0)

/*
 * Stores value @v of row @i of column @c into @dst, an array of @width-byte
 * elements: 8 (int64_t, the decoding scratch and 64-bit columns), 4 (int32_t
 * with PW_NONE32, or uint32_t string ids) or 1 (uint8_t events). Returns
 * false when @v does not fit.
 */
static inline bool store(void *dst, int width, uint32_t i, int64_t v, bool str)
{
	switch (width) {
	case 8:
		((int64_t *)dst)[i] = v;
		return true;
	case 4:
		if (str) {
			((uint32_t *)dst)[i] = (uint32_t)v;
		} else if (v == PW_NONE) {
			((int32_t *)dst)[i] = PW_NONE32;
		} else {
			if (v <= INT32_MIN || v > INT32_MAX)
				return false;
			((int32_t *)dst)[i] = (int32_t)v;
		}
		return true;
	default:
		((uint8_t *)dst)[i] = (uint8_t)v;
		return true;
	}
}

/* One varint token at *@pp; the single-byte case inline. */
#define GET_TOKEN(v, hi)                                                         \
	do {                                                                     \
		tok = p;                                                         \
		if (p < end && *p < 0x80) {                                      \
			(v) = *p++;                                              \
			(hi) = 0;                                                \
		} else if (!pw_cd_get_varint(&p, end, &(v), &(hi))) {            \
			BAD_TOKEN(p >= end ? "the chunk ends early" : "bad token"); \
		}                                                                \
	} while (0)

/* Every one of @rows values in @dst unknown (see store()). */
static void fill_unknown(void *dst, int width, bool str, uint32_t rows)
{
	if (str || width == 1)		/* string id 0; an 8-bit PW_NONE is 0 */
		memset(dst, 0, (size_t)rows * (size_t)width);
	else if (width == 8)
		for (uint32_t i = 0; i < rows; i++)
			((int64_t *)dst)[i] = PW_NONE;
	else
		for (uint32_t i = 0; i < rows; i++)
			((int32_t *)dst)[i] = PW_NONE32;
}

/*
 * The rows of a sparse chunk that hold a token (their event @ev[i] is in
 * @mask), in order, into @sel. Without a branch on the event: the events
 * of a group alternate at random. Returns how many rows hold a token.
 */
static uint32_t select_rows(const uint16_t *ev, uint64_t mask, uint32_t rows, uint32_t *sel)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < rows; i++) {
		sel[k] = i;
		k += (ev[i] < 64) & (uint32_t)(mask >> (ev[i] & 63));
	}
	return k;
}

/*
 * One token of the int-like encodings at *@pp (its single byte inline):
 * NULL and *@z = token - 1 (2^64 - 1 for the token 2^64), *@none when it
 * is 0 (unknown); or why it is bad.
 */
static inline __attribute__((always_inline)) const char *
get_itoken(const uint8_t **pp, const uint8_t *end, uint64_t *z, bool *none)
{
	const uint8_t *p = *pp;
	unsigned int hi = 0;
	uint64_t v;

	if (p < end && *p < 0x80) {
		*pp = p + 1;
		*none = !*p;
		*z = *p - 1ull;
		return NULL;
	}
	if (!pw_cd_get_varint(&p, end, &v, &hi)) {
		*pp = p;
		return p >= end ? "the chunk ends early" : "bad token";
	}
	*pp = p;
	if (hi && v)
		return "token above 2^64";
	*none = !hi && !v;
	*z = v - 1;
	return NULL;
}

/*
 * The tokens of an int, duration or wait chunk into @dst (see store()),
 * adding the predictions @pred (or nothing). With @sel (a sparse chunk),
 * token j is row @sel[j]'s, and @rows counts the tokens. The event column
 * (@evout) also gives its values as stored. On a bad token returns why,
 * with *@pp at the token and *@ip its row; NULL when all decoded.
 */
static inline __attribute__((always_inline)) const char *
decode_ints(const struct pw_cdict *cd, const uint8_t **pp, const uint8_t *end, uint32_t rows,
	    uint32_t *ip, const uint64_t *pred, const uint32_t *sel, uint16_t *evout, void *dst,
	    int width)
{
	const uint8_t *p = *pp;
	bool event = evout;

	for (uint32_t j = 0; j < rows; j++) {
		uint32_t i = sel ? sel[j] : j;
		const char *why;
		uint64_t z;
		int64_t val;
		bool none;

		*pp = p;
		*ip = i;
		if ((why = get_itoken(&p, end, &z, &none)))
			return why;
		if (none) {
			if (event)
				return "unknown event";
			store(dst, width, i, PW_NONE, false);
			continue;
		}
		val = (int64_t)(pw_cd_unzz(z) + (pred ? pred[i] : 0));
		if (val == PW_NONE)
			return "value is the reserved unknown marker";
		if (event) {
			if (val < 0 || (uint64_t)val >= cd->nevents)
				return "event beyond the metadata's events list";
			evout[i] = (uint16_t)val;
			val = cd->ev_map[val];
		}
		if (!store(dst, width, i, val, false))
			return "value does not fit the 32-bit loaded column";
	}
	*pp = p;
	*ip = sel && rows ? sel[rows - 1] + 1 : rows;
	return NULL;
}

/*
 * The tokens of a thread chunk (tgid) into @dst (see store()): a value's
 * prediction is the tgid of the row's pid (@pid, decoded) in its last row
 * with one in the group, else the pid. As decode_ints() otherwise; sets
 * *@err on a failure that is not the file's.
 */
static const char *decode_thread(struct pw_cd_work *wk, const uint8_t **pp, const uint8_t *end,
				 uint32_t rows, uint32_t *ip, const uint32_t *sel,
				 const int64_t *pid, void *dst, int width, int *err)
{
	const uint8_t *p = *pp;

	pw_cd_pred_reset(&wk->pred);
	for (uint32_t j = 0; j < rows; j++) {
		uint32_t i = sel ? sel[j] : j;
		struct pw_cd_slot *s;
		const char *why;
		uint64_t z, pred;
		int64_t val;
		bool none;

		*pp = p;
		*ip = i;
		if ((why = get_itoken(&p, end, &z, &none)))
			return why;
		if (none) {
			store(dst, width, i, PW_NONE, false);
			continue;
		}
		pred = pw_cd_pred_thread(&wk->pred, pid[i], &s, err);
		if (*err)
			return NULL;
		val = (int64_t)(pw_cd_unzz(z) + pred);
		if (val == PW_NONE)
			return "value is the reserved unknown marker";
		if (!store(dst, width, i, val, false))
			return "value does not fit the 32-bit loaded column";
		pw_cd_thread_seen(s, val);
	}
	*pp = p;
	*ip = sel && rows ? sel[rows - 1] + 1 : rows;
	return NULL;
}

/*
 * Decodes column @c of row group @g into @dst (@width-byte elements, see
 * store()). Predicted columns read the int64 scratch columns their
 * predictor needs, which must be decoded already.
 */
static int decode_chunk(struct pw_cdict *cd, struct pw_cd_work *wk, uint32_t g, int c, void *dst,
			int width)
{
	const struct pw_cd_rgroup *gr = &cd->groups[g];
	const struct pw_cd_chunk *ch = &gr->ch[c];
	const uint8_t *p, *end, *tok;
	bool str = enc_fits(c, PW_CD_ENC_STRING);
	const char *why = NULL;
	char what[64];
	uint32_t rows = gr->rows, i = 0;
	unsigned int hi;
	uint64_t v, mask = 0;
	uint32_t *sel = NULL;		/* sparse, and not every row holds a token */
	uint32_t ntok = rows;		/* tokens to decode */
	int err, enc = cd->enc[c];

	if (!enc) {	/* absent: every value unknown */
		fill_unknown(dst, width, str, rows);
		return 0;
	}
	if (!enc_fits(c, enc))
		return cd_fail(cd, wk, PW_EUNSUPPORTED, ch->off,
			       "column %s uses encoding %u, unknown to this reader (file format %u.%u)",
			       pw_column_name(c), enc, cd->major, cd->minor);
	snprintf(what, sizeof(what), "%s chunk of row group %" PRIu32, pw_column_name(c), g);
	err = read_frame(cd, wk, ch->off, ch->size, ch->raw, what);
	if (err)
		return err;
	p = tok = wk->rbuf;
	end = wk->rbuf + ch->raw;
	if (enc & PW_CD_ENC_SPARSE) {
		if (wk->ev_group != g + 1)	/* decode_group() decodes events first */
			return cd_fail(cd, wk, PW_EINVAL, ch->off, "%s: events not decoded", what);
		GET_TOKEN(mask, hi);
		if (hi)
			BAD_TOKEN("event mask above 2^64");
		if (cd->nevents < 64 && mask >> cd->nevents)
			BAD_TOKEN("event mask names events beyond the events list");
		if (wk->ev_high || (wk->ev_present & ~mask)) {
			if (!wk->sel && !(wk->sel = malloc((size_t)cd->max_rows * sizeof(*wk->sel))))
				return cd_fail(cd, wk, PW_ENOMEM, ch->off, "%s",
					       pw_strerror(PW_ENOMEM));
			sel = wk->sel;
			/* the sparse columns of a group mostly share a few masks */
			if (wk->sel_group != g + 1 || wk->sel_mask != mask) {
				wk->sel_n = select_rows(wk->evraw, mask, rows, sel);
				wk->sel_mask = mask;
				wk->sel_group = g + 1;
			}
			ntok = wk->sel_n;
			fill_unknown(dst, width, str, rows);	/* rows without a token */
		}
		enc &= ~PW_CD_ENC_SPARSE;
	}
	if (c == PW_COL_EVENT) {
		wk->ev_group = 0;
		wk->sel_group = 0;
		if (!wk->evraw && !(wk->evraw = malloc((size_t)cd->max_rows * sizeof(*wk->evraw))))
			return cd_fail(cd, wk, PW_ENOMEM, ch->off, "%s", pw_strerror(PW_ENOMEM));
	}

	switch (enc) {
	case PW_CD_ENC_DELTA: {
		/* low bytes of the deltas, then the varints of their high bits */
		const uint8_t *lo = wk->rbuf;
		uint64_t *out = dst, prev = 0, tmin = UINT64_MAX, tmax = 0;

		if (ch->raw < 2 * (uint64_t)rows) {
			p = end;
			BAD_TOKEN("too short for its rows");
		}
		p += rows;
		for (; i < rows; i++) {
			GET_TOKEN(v, hi);
			if (hi || v >> 56)
				BAD_TOKEN("delta above 2^64");
			prev += v << 8 | lo[i];
			out[i] = prev;
			if (prev < tmin)
				tmin = prev;
			if (prev > tmax)
				tmax = prev;
		}
		if (tmin != gr->tmin || tmax != gr->tmax) {
			tok = end;
			BAD_TOKEN("times differ from the index's range of the group");
		}
		break;
	}
	case PW_CD_ENC_STRING:
		for (uint32_t j = 0; j < ntok; j++) {
			i = sel ? sel[j] : j;
			GET_TOKEN(v, hi);
			if (hi || v > cd->nr_strings)
				BAD_TOKEN("string id beyond the string table");
			store(dst, width, i, (int64_t)v, true);
		}
		break;
	case PW_CD_ENC_THREAD: {
		int perr = 0;

		why = decode_thread(wk, &p, end, ntok, &i, sel, wk->dec[PW_COL_PID], dst, width,
				    &perr);
		if (perr)
			return cd_fail(cd, wk, perr, ch->off, "%s", pw_strerror(perr));
		if (why) {
			tok = p;
			goto bad;
		}
		break;
	}
	default: {	/* int, duration, wait, running */
		const uint64_t *pred = NULL;

		if (enc != PW_CD_ENC_INT) {
			int perr = enc == PW_CD_ENC_RUNNING && wk->run_ev ?
				   pw_cd_pred_running32(&wk->pred, rows, wk->run_ev, wk->run_cpu,
							wk->run_npid, wk->predbuf) :
				   pw_cd_pred_group(&wk->pred, enc, rows, wk->dec[PW_COL_TIME_NS],
						    wk->dec[PW_COL_EVENT], wk->dec[PW_COL_CPU],
						    wk->dec[PW_COL_PID], wk->dec[PW_COL_NEXT_PID],
						    wk->predbuf);

			if (perr)
				return cd_fail(cd, wk, perr, ch->off, "%s", pw_strerror(perr));
			pred = wk->predbuf;
		}
		/* constant arguments: each call is a loop specialised by the compiler */
		if (pred && sel && width == 4)
			why = decode_ints(cd, &p, end, ntok, &i, pred, sel, NULL, dst, 4);
		else if (pred && sel)
			why = decode_ints(cd, &p, end, ntok, &i, pred, sel, NULL, dst, 8);
		else if (pred && width == 4)
			why = decode_ints(cd, &p, end, rows, &i, pred, NULL, NULL, dst, 4);
		else if (pred)
			why = decode_ints(cd, &p, end, rows, &i, pred, NULL, NULL, dst, 8);
		else if (c == PW_COL_EVENT && width == 1)
			why = decode_ints(cd, &p, end, rows, &i, NULL, NULL, wk->evraw, dst, 1);
		else if (c == PW_COL_EVENT)
			why = decode_ints(cd, &p, end, rows, &i, NULL, NULL, wk->evraw, dst, 8);
		else if (width == 4 && sel)
			why = decode_ints(cd, &p, end, ntok, &i, NULL, sel, NULL, dst, 4);
		else if (width == 4)
			why = decode_ints(cd, &p, end, rows, &i, NULL, NULL, NULL, dst, 4);
		else if (sel)
			why = decode_ints(cd, &p, end, ntok, &i, NULL, sel, NULL, dst, 8);
		else
			why = decode_ints(cd, &p, end, rows, &i, NULL, NULL, NULL, dst, 8);
		if (why) {
			tok = p;
			goto bad;
		}
		break;
	}
	}
	if (p != end) {
		tok = p;
		i = rows;
		BAD_TOKEN("bytes left after the group's last row");
	}
	if (c == PW_COL_EVENT) {
		uint64_t present = 0;
		bool high = false;

		for (i = 0; i < rows; i++) {
			if (wk->evraw[i] < 64)
				present |= 1ull << wk->evraw[i];
			else
				high = true;
		}
		wk->ev_present = present;
		wk->ev_high = high;
		wk->ev_group = g + 1;
	}
	return 0;
bad:
	return cd_fail(cd, wk, PW_EFORMAT, ch->off,
		       "%s, row %" PRIu64 " (byte %td of %" PRIu32 " decompressed): %s", what,
		       gr->first_row + i, tok - wk->rbuf, ch->raw, why);
}

/* Where pw_cdict_load() puts column @col, and its element size. */
static void **col_array(struct pw_columns *o, int col, int *width)
{
	switch (col) {
	case PW_COL_TIME_NS: *width = 8; return (void **)&o->time_ns;
	case PW_COL_CPU: *width = 4; return (void **)&o->cpu;
	case PW_COL_EVENT: *width = 1; return (void **)&o->event;
	case PW_COL_PID: *width = 4; return (void **)&o->pid;
	case PW_COL_TGID: *width = 4; return (void **)&o->tgid;
	case PW_COL_TASK: *width = 4; return (void **)&o->task;
	case PW_COL_DURATION_NS: *width = 8; return (void **)&o->duration_ns;
	case PW_COL_NEXT_PID: *width = 4; return (void **)&o->next_pid;
	case PW_COL_NEXT_TASK: *width = 4; return (void **)&o->next_task;
	case PW_COL_PREV_STATE: *width = 4; return (void **)&o->prev_state;
	case PW_COL_NEXT_WAIT_NS: *width = 8; return (void **)&o->next_wait_ns;
	case PW_COL_EXIT_REASON: *width = 4; return (void **)&o->exit_reason;
	default: *width = 4; return (void **)&o->target_cpu;
	}
}

/*
 * Copies @n decoded values into a loaded column (see store()); returns @n,
 * or the row of a value that does not fit.
 */
static uint32_t copy_out(void *dst, int width, bool str, const int64_t *src, uint32_t n)
{
	uint32_t i = 0;

	if (width == 8) {
		memcpy(dst, src, (size_t)n * 8);
	} else if (width == 1) {
		for (; i < n; i++)
			((uint8_t *)dst)[i] = (uint8_t)src[i];
	} else if (str) {
		for (; i < n; i++)
			((uint32_t *)dst)[i] = (uint32_t)src[i];
	} else {
		for (; i < n && store(dst, 4, i, src[i], false); i++)
			;
		return i;
	}
	return n;
}

/* The columns column @c's predictor reads (@enc: its encoding), which
 * decode_group() decodes into the scratch before it. */
static unsigned int pred_reads(int enc, int c)
{
	if (!enc_fits(c, enc))
		return 0;		/* refused when decoded */
	switch (enc & ~PW_CD_ENC_SPARSE) {
	case PW_CD_ENC_DURATION:
	case PW_CD_ENC_WAIT:
		return PW_CD_PRED_DEPS;
	case PW_CD_ENC_RUNNING:
		return PW_COLMASK(PW_COL_EVENT) | PW_COLMASK(PW_COL_CPU) |
		       PW_COLMASK(PW_COL_NEXT_PID);
	case PW_CD_ENC_THREAD:
		return PW_COLMASK(PW_COL_PID);
	default:
		return 0;
	}
}

/*
 * Decodes the columns of @mask for row group @g: into the columns of @out,
 * whose row 0 is row @base of the file, when @out is given, else into the
 * int64 scratch wk->dec. Columns a predictor reads always go through the
 * scratch.
 */
static int decode_group(struct pw_cdict *cd, struct pw_cd_work *wk, uint32_t g, unsigned int mask,
			struct pw_columns *out, uint64_t base)
{
	static const int order[PW_COL__MAX] = {
		PW_COL_TIME_NS, PW_COL_EVENT, PW_COL_CPU, PW_COL_NEXT_PID, PW_COL_PID,
		PW_COL_TGID, PW_COL_TASK, PW_COL_DURATION_NS, PW_COL_NEXT_TASK,
		PW_COL_PREV_STATE, PW_COL_NEXT_WAIT_NS, PW_COL_EXIT_REASON, PW_COL_TARGET_CPU,
	};
	const struct pw_cd_rgroup *gr = &cd->groups[g];
	unsigned int scratch = out ? 0 : mask, need = mask;
	const unsigned int run_deps = pred_reads(PW_CD_ENC_RUNNING, PW_COL_PID);
	bool preds = false;

	/* pid's predictor reads the loaded columns when they are loaded anyway */
	wk->run_ev = NULL;
	if (out && (mask & (run_deps | PW_COLMASK(PW_COL_PID))) == (run_deps | PW_COLMASK(PW_COL_PID))) {
		size_t at = (size_t)(gr->first_row - base);

		wk->run_ev = out->event + at;
		wk->run_cpu = out->cpu + at;
		wk->run_npid = out->next_pid + at;
	}
	/* what the predictors read, and what those read in turn (tgid reads
	 * pid, which reads cpu, event and next_pid) */
	for (int round = 0; round < 3; round++)
		for (int c = 0; c < PW_COL__MAX; c++) {
			unsigned int deps;

			if (!(need & PW_COLMASK(c)))
				continue;
			deps = pred_reads(cd->enc[c], c);
			preds |= deps != 0;
			if (c == PW_COL_PID && wk->run_ev && !(scratch & PW_COLMASK(PW_COL_PID)))
				deps &= ~run_deps;	/* loaded: in out, decoded first */
			/* a sparse chunk's rows are found by their events */
			if ((cd->enc[c] & PW_CD_ENC_SPARSE) && !(need & PW_COLMASK(PW_COL_EVENT)))
				deps |= PW_COLMASK(PW_COL_EVENT);
			scratch |= deps;
			need |= deps;
		}
	/* pid decoded into the scratch after all (tgid, duration or wait read
	 * it): its predictor reads the scratch too */
	if (scratch & PW_COLMASK(PW_COL_PID) && wk->run_ev) {
		wk->run_ev = NULL;
		scratch |= run_deps;
	}
	if (preds && !wk->predbuf) {
		wk->predbuf = malloc((size_t)cd->max_rows * sizeof(*wk->predbuf));
		if (!wk->predbuf)
			return cd_fail(cd, wk, PW_ENOMEM, 0, "%s", pw_strerror(PW_ENOMEM));
	}
	for (int k = 0; k < PW_COL__MAX; k++) {
		int c = order[k], width, err;
		void **arr = out ? col_array(out, c, &width) : NULL;
		size_t at = (size_t)(gr->first_row - base);

		if (scratch & PW_COLMASK(c)) {
			if (!wk->dec[c]) {
				wk->dec[c] = malloc((size_t)cd->max_rows * sizeof(int64_t));
				if (!wk->dec[c])
					return cd_fail(cd, wk, PW_ENOMEM, gr->ch[c].off, "%s",
						       pw_strerror(PW_ENOMEM));
			}
			err = decode_chunk(cd, wk, g, c, wk->dec[c], 8);
			if (err)
				return err;
			if (!out || !(mask & PW_COLMASK(c)))
				continue;
			uint32_t i = copy_out((char *)*arr + at * (size_t)width, width,
					      enc_fits(c, PW_CD_ENC_STRING), wk->dec[c], gr->rows);

			if (i < gr->rows)
				return cd_fail(cd, wk, PW_EFORMAT, gr->ch[c].off,
					       "%s value %" PRId64 " in row %" PRIu64
					       " does not fit the 32-bit loaded column",
					       pw_column_name(c), wk->dec[c][i], gr->first_row + i);
		} else if (mask & PW_COLMASK(c)) {
			err = decode_chunk(cd, wk, g, c, (char *)*arr + at * (size_t)width, width);
			if (err)
				return err;
		}
	}
	return 0;
}

int pw_cdict_foreach(struct pw_cdict *cd, pw_row_fn fn, void *ctx)
{
	for (uint32_t g = 0; g < cd->ngroups; g++) {
		int64_t *const *d = cd->w.dec;
		int err = decode_group(cd, &cd->w, g, PW_COLMASK_ALL, NULL, 0);

		if (err)
			return err;
		for (uint32_t i = 0; i < cd->groups[g].rows; i++) {
			struct pw_row r = {
				.time_ns = (uint64_t)d[PW_COL_TIME_NS][i],
				.cpu = d[PW_COL_CPU][i],
				.event = (int)d[PW_COL_EVENT][i],
				.pid = d[PW_COL_PID][i],
				.tgid = d[PW_COL_TGID][i],
				.task = d[PW_COL_TASK][i] ? cd->strs[d[PW_COL_TASK][i]] : NULL,
				.duration_ns = d[PW_COL_DURATION_NS][i],
				.next_pid = d[PW_COL_NEXT_PID][i],
				.next_task = d[PW_COL_NEXT_TASK][i] ?
					     cd->strs[d[PW_COL_NEXT_TASK][i]] : NULL,
				.prev_state = d[PW_COL_PREV_STATE][i] ?
					      cd->strs[d[PW_COL_PREV_STATE][i]] : NULL,
				.next_wait_ns = d[PW_COL_NEXT_WAIT_NS][i],
				.exit_reason = d[PW_COL_EXIT_REASON][i] ?
					       cd->strs[d[PW_COL_EXIT_REASON][i]] : NULL,
				.target_cpu = d[PW_COL_TARGET_CPU][i],
			};

			err = fn(&r, ctx);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * Large loaded columns are aligned to huge pages and advised as such: a
 * load then takes a few page faults instead of one per 4 KiB.
 */
#define HUGE_PAGE (2u << 20)

void *pw_column_alloc(size_t size)
{
	void *p;

	if (size < HUGE_PAGE)
		return malloc(size ? size : 1);
	if (posix_memalign(&p, HUGE_PAGE, size))
		return NULL;
	madvise(p, size & ~(size_t)(HUGE_PAGE - 1), MADV_HUGEPAGE);
	return p;
}

void pw_columns_release(struct pw_columns *c)
{
	if (!c)
		return;
	for (int col = 0; col < PW_COL__MAX; col++) {
		int width;

		free(*col_array(c, col, &width));
	}
	free(c->strings);
	memset(c, 0, sizeof(*c));
}

static int copy_strings(struct pw_cdict *cd, struct pw_columns *o)
{
	size_t ptrs = ((size_t)cd->nr_strings + 1) * sizeof(char *);
	char *blob;

	o->strings = malloc(ptrs + cd->str_blob_len);
	if (!o->strings)
		return PW_ENOMEM;
	blob = (char *)o->strings + ptrs;
	memcpy(blob, cd->str_blob, cd->str_blob_len);
	for (uint32_t i = 0; i <= cd->nr_strings; i++)
		o->strings[i] = blob + (cd->strs[i] - cd->str_blob);
	o->nr_strings = cd->nr_strings + 1;
	return 0;
}

/*
 * Makes room for @n helper threads' work (kept for the next call); returns
 * how many there are, fewer when memory is short.
 */
static unsigned int more_helpers(struct pw_cdict *cd, unsigned int n)
{
	struct pw_cd_work *h;

	if (n <= cd->nr_helpers)
		return n;
	h = realloc(cd->helpers, n * sizeof(*h));
	if (!h)
		return cd->nr_helpers;
	memset(h + cd->nr_helpers, 0, (n - cd->nr_helpers) * sizeof(*h));
	cd->helpers = h;
	cd->nr_helpers = n;
	return n;
}

/* Row groups are decoded by several threads when there are enough rows. */
#define LOAD_MAX_THREADS 8
#define LOAD_MIN_ROWS 100000

struct load_job {
	struct pw_cdict *cd;
	struct pw_cd_work *wk;
	unsigned int mask;
	struct pw_columns *out;
	uint32_t *next;		/* shared: the next group to take */
	int *stop;		/* shared: set on the first error */
	uint32_t group;		/* where this job failed */
	int err;
};

static void *load_worker(void *arg)
{
	struct load_job *j = arg;

	while (!__atomic_load_n(j->stop, __ATOMIC_RELAXED)) {
		uint32_t g = __atomic_fetch_add(j->next, 1, __ATOMIC_RELAXED);

		if (g >= j->cd->ngroups)
			break;
		j->err = decode_group(j->cd, j->wk, g, j->mask, j->out, 0);
		if (j->err) {
			j->group = g;
			__atomic_store_n(j->stop, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	return NULL;
}

/*
 * Decodes every group into @out. Groups fill disjoint rows of the output
 * arrays, so threads need nothing shared but a counter; each has its own
 * decompression context and scratch, and keeps its error message for this
 * thread to log (the logging hook need not be thread-safe).
 */
static int load_groups(struct pw_cdict *cd, unsigned int mask, struct pw_columns *out)
{
	struct load_job jobs[LOAD_MAX_THREADS];
	pthread_t tid[LOAD_MAX_THREADS];
	unsigned int n = 1, started = 1;
	int ncpu = pw_usable_cpus();
	uint32_t next = 0;
	int stop = 0, best = -1;

	if (cd->nrows >= LOAD_MIN_ROWS && ncpu > 1) {
		n = ncpu < LOAD_MAX_THREADS ? (unsigned int)ncpu : LOAD_MAX_THREADS;
		if (n > cd->ngroups)
			n = cd->ngroups;
	}
	n = more_helpers(cd, n - 1) + 1;
	for (unsigned int i = 0; i < n; i++) {
		jobs[i] = (struct load_job){ cd, i ? &cd->helpers[i - 1] : &cd->w, mask, out,
					     &next, &stop, 0, 0 };
		jobs[i].wk->defer = n > 1;
		jobs[i].wk->err = 0;
	}
	for (unsigned int i = 1; i < n; i++) {
		if (!jobs[i].wk->dctx && !(jobs[i].wk->dctx = ZSTD_createDCtx()))
			break;
		if (pw_thread_create(&tid[i], load_worker, &jobs[i]))
			break;
		started++;
	}
	load_worker(&jobs[0]);
	for (unsigned int i = 1; i < started; i++)
		pthread_join(tid[i], NULL);
	/* report the failure earliest in the file */
	for (unsigned int i = 0; i < started; i++)
		if (jobs[i].err && (best < 0 || jobs[i].group < jobs[best].group))
			best = (int)i;
	cd->w.defer = false;
	if (best < 0)
		return 0;
	if (n > 1)
		pw_err("%s", jobs[best].wk->msg);
	return jobs[best].err;
}

int pw_cdict_load(struct pw_cdict *cd, unsigned int mask, struct pw_columns *out)
{
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (mask & ~PW_COLMASK_ALL) {
		pw_err("%s: invalid column mask 0x%x", cd->path, mask);
		return PW_EINVAL;
	}
	out->nrows = cd->nrows;
	for (int c = 0; c < PW_COL__MAX; c++) {
		int width;
		void **arr = col_array(out, c, &width);

		if (!(mask & PW_COLMASK(c)))
			continue;
		if (cd->nrows > SIZE_MAX / (size_t)width ||
		    !(*arr = pw_column_alloc((size_t)cd->nrows * (size_t)width))) {
			err = cd_fail(cd, NULL, PW_ENOMEM, 0, "%s: cannot load %" PRIu64 " rows of %s",
				      pw_strerror(PW_ENOMEM), cd->nrows, pw_column_name(c));
			goto err;
		}
	}
	if ((mask & (PW_COLMASK(PW_COL_TASK) | PW_COLMASK(PW_COL_NEXT_TASK) |
		     PW_COLMASK(PW_COL_PREV_STATE) | PW_COLMASK(PW_COL_EXIT_REASON))) &&
	    copy_strings(cd, out)) {
		err = cd_fail(cd, NULL, PW_ENOMEM, 0, "%s: cannot copy the string table",
			      pw_strerror(PW_ENOMEM));
		goto err;
	}
	err = load_groups(cd, mask, out);
	if (err)
		goto err;
	return 0;
err:
	pw_columns_release(out);
	return err;
}

/* ---- scanning: row groups in order, a few in memory at a time ---- */

#define SCAN_SLOTS_PER_THREAD 2

enum { SLOT_FREE, SLOT_READY };

struct scan_slot {
	struct pw_columns cols;	/* max_rows of the scanned columns */
	uint32_t group;		/* the group it holds when ready */
	int state;
	int err;		/* the decoder's error, its message in msg */
	char msg[sizeof(((struct pw_cd_work *)0)->msg)];
};

struct scan {
	struct pw_cdict *cd;
	unsigned int mask;
	struct scan_slot *slots;
	uint32_t nslots;
	pthread_mutex_t mu;
	pthread_cond_t ready, freed;
	uint32_t next;		/* the next group a decoder takes */
	uint32_t done;		/* groups the caller is through with */
	bool stop;
};

struct scan_job {
	struct scan *s;
	struct pw_cd_work *wk;
};

static void slot_release(struct scan_slot *sl)
{
	for (int c = 0; c < PW_COL__MAX; c++) {
		int width;

		free(*col_array(&sl->cols, c, &width));
	}
}

static int slot_init(struct pw_cdict *cd, struct scan_slot *sl, unsigned int mask)
{
	memset(sl, 0, sizeof(*sl));
	for (int c = 0; c < PW_COL__MAX; c++) {
		int width;
		void **arr = col_array(&sl->cols, c, &width);

		if (!(mask & PW_COLMASK(c)))
			continue;
		*arr = malloc((size_t)(cd->max_rows ? cd->max_rows : 1) * (size_t)width);
		if (!*arr) {
			slot_release(sl);
			return PW_ENOMEM;
		}
	}
	sl->cols.strings = cd->strs;
	sl->cols.nr_strings = cd->nr_strings + 1;
	return 0;
}

/*
 * A decoder takes the next group once the caller is through with the group
 * that last used its slot, decodes it there and marks the slot ready.
 */
static void *scan_worker(void *arg)
{
	struct scan_job *j = arg;
	struct scan *s = j->s;

	pthread_mutex_lock(&s->mu);
	while (!s->stop && s->next < s->cd->ngroups) {
		uint32_t g = s->next;
		struct scan_slot *sl = &s->slots[g % s->nslots];
		int err;

		if (g >= s->done + s->nslots) {
			pthread_cond_wait(&s->freed, &s->mu);
			continue;
		}
		s->next++;
		pthread_mutex_unlock(&s->mu);
		j->wk->err = 0;
		err = decode_group(s->cd, j->wk, g, s->mask, &sl->cols, s->cd->groups[g].first_row);
		pthread_mutex_lock(&s->mu);
		sl->group = g;
		sl->err = err;
		if (err)
			memcpy(sl->msg, j->wk->msg, sizeof(sl->msg));
		sl->state = SLOT_READY;
		pthread_cond_broadcast(&s->ready);
		if (err)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* The caller's side: each group in turn, as soon as a decoder has it. */
static int scan_consume(struct scan *s, pw_group_fn fn, void *ctx)
{
	struct pw_cdict *cd = s->cd;
	int err = 0;

	for (uint32_t g = 0; g < cd->ngroups && !err; g++) {
		struct scan_slot *sl = &s->slots[g % s->nslots];

		pthread_mutex_lock(&s->mu);
		while (sl->state != SLOT_READY || sl->group != g)
			pthread_cond_wait(&s->ready, &s->mu);
		pthread_mutex_unlock(&s->mu);
		if (sl->err) {
			pw_err("%s", sl->msg);
			return sl->err;
		}
		sl->cols.nrows = cd->groups[g].rows;
		err = fn(&sl->cols, cd->groups[g].first_row, ctx);
		pthread_mutex_lock(&s->mu);
		sl->state = SLOT_FREE;
		s->done = g + 1;
		pthread_cond_broadcast(&s->freed);
		pthread_mutex_unlock(&s->mu);
	}
	return err;
}

/* Few rows, or one CPU: the caller decodes each group itself. */
static int scan_alone(struct scan *s, pw_group_fn fn, void *ctx)
{
	struct pw_cdict *cd = s->cd;
	struct scan_slot *sl = &s->slots[0];

	for (uint32_t g = 0; g < cd->ngroups; g++) {
		int err = decode_group(cd, &cd->w, g, s->mask, &sl->cols, cd->groups[g].first_row);

		if (err)
			return err;
		sl->cols.nrows = cd->groups[g].rows;
		err = fn(&sl->cols, cd->groups[g].first_row, ctx);
		if (err)
			return err;
	}
	return 0;
}

int pw_cdict_scan(struct pw_cdict *cd, unsigned int mask, pw_group_fn fn, void *ctx)
{
	struct scan s = { .cd = cd, .mask = mask };
	struct scan_job jobs[LOAD_MAX_THREADS];
	pthread_t tid[LOAD_MAX_THREADS];
	unsigned int n = 0, started = 0;
	int ncpu = pw_usable_cpus(), err = 0;

	if (mask & ~PW_COLMASK_ALL) {
		pw_err("%s: invalid column mask 0x%x", cd->path, mask);
		return PW_EINVAL;
	}
	if (cd->nrows >= LOAD_MIN_ROWS && ncpu > 1 && cd->ngroups > 1) {
		n = ncpu < LOAD_MAX_THREADS ? (unsigned int)ncpu : LOAD_MAX_THREADS;
		n = more_helpers(cd, n);
	}
	s.nslots = n ? n * SCAN_SLOTS_PER_THREAD : 1;
	s.slots = calloc(s.nslots, sizeof(*s.slots));
	if (!s.slots)
		return cd_fail(cd, NULL, PW_ENOMEM, 0, "%s", pw_strerror(PW_ENOMEM));
	for (uint32_t i = 0; i < s.nslots; i++) {
		if (slot_init(cd, &s.slots[i], mask)) {
			for (uint32_t k = 0; k < i; k++)
				slot_release(&s.slots[k]);
			free(s.slots);
			return cd_fail(cd, NULL, PW_ENOMEM, 0, "%s", pw_strerror(PW_ENOMEM));
		}
	}
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.ready, NULL);
	pthread_cond_init(&s.freed, NULL);
	for (unsigned int i = 0; i < n; i++) {
		jobs[i] = (struct scan_job){ &s, &cd->helpers[i] };
		jobs[i].wk->defer = true;
		if (!jobs[i].wk->dctx && !(jobs[i].wk->dctx = ZSTD_createDCtx()))
			break;
		if (pw_thread_create(&tid[i], scan_worker, &jobs[i]))
			break;
		started++;
	}
	if (started)
		err = scan_consume(&s, fn, ctx);
	else
		err = scan_alone(&s, fn, ctx);
	pthread_mutex_lock(&s.mu);
	s.stop = true;
	pthread_cond_broadcast(&s.freed);
	pthread_mutex_unlock(&s.mu);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_cond_destroy(&s.freed);
	pthread_cond_destroy(&s.ready);
	pthread_mutex_destroy(&s.mu);
	for (uint32_t i = 0; i < s.nslots; i++)
		slot_release(&s.slots[i]);
	free(s.slots);
	return err;
}
