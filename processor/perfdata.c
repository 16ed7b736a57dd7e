// SPDX-License-Identifier: MIT
/*
 * perfdata.c - the perf.data reader: file and pipe layouts, attributes and
 * sample ids, feature sections, records (compressed ones included), and the
 * dispatch of samples and thread records into time ordering.
 *
 * The layout is documented in perf's perf.data-file-format.txt; record
 * definitions come from libperf (perf/event.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/perf_event.h>
#include <perf/event.h>
#include <zstd.h>

#include "pw-log.h"
#include "pw-reader.h"
#include "reader-local.h"
#include "tracedata-decode.h"

#define PERF_MAGIC2 0x32454c4946524550ULL	/* "PERFILE2" */
#define PERF_MAGIC1 0x454c494646524550ULL	/* "PERFFILE" (version 1) */
#define FILE_HEADER_SIZE 104			/* struct perf_file_header */
#define FILE_HEADER_SIZE_V0 72			/* before the feature bitmap */
#define PIPE_HEADER_SIZE 16
#define NR_FEATURES 256
#define MAX_ATTRS 65536
#define MAX_TRACING_DATA (256u << 20)
/* Records decompressed from one PERF_RECORD_COMPRESSED (at most 64 KiB of
 * zstd data: zstd_compress() in perf's builtin-record.c), with a record cut
 * short before it: 64 MiB is a ratio of 1000:1, beyond what perf's records
 * compress to. */
#define MAX_DECOMPRESSED (64u << 20)
/* Input read in pieces this big: the copy out of the page cache stays in
 * the L2 cache (1 MB pieces cost 8% more CPU on a 600 MB input). */
#define INPUT_BUF (128u << 10)

enum {	/* feature bits (perf's HEADER_*) */
	FEAT_TRACING_DATA = 1, FEAT_HOSTNAME = 3, FEAT_OSRELEASE = 4, FEAT_VERSION = 5,
	FEAT_ARCH = 6, FEAT_NRCPUS = 7, FEAT_CMDLINE = 11, FEAT_EVENT_DESC = 12,
	FEAT_COMPRESSED = 27,
	FEAT_LAST_KNOWN = 32,	/* HEADER_LAST_FEATURE, perf 6.1's pipe end marker */
};

struct rattr {
	struct perf_event_attr a;	/* zero-extended from the file's size */
	char *name;			/* from EVENT_DESC, if any */
	int tp;				/* index into r->tps, -1 not resolved */
	/* Where a sample's fields are when none of variable size comes
	 * before RAW (fixed): byte offsets in the record, -1 when absent,
	 * and the bytes a sample needs up to the raw data. */
	bool fixed;
	int16_t o_id, o_tid, o_time, o_cpu, o_raw;
	uint16_t min_size;
};

#define ID_CACHE 64	/* sample ids remembered with their attr */

struct sample {
	uint64_t id, time;
	uint32_t pid, tid, cpu;
	const uint8_t *raw;
	uint32_t raw_size;
	bool has_id;
};

struct pw_reader {
	char *name;
	int fd;
	bool own_fd;
	bool pipe;		/* pipe layout */
	uint64_t file_size;	/* 0 when unknown (pipe) */
	uint64_t data_off, data_end;

	struct pw_input in;
	struct rattr *attrs;
	unsigned int nr_attrs;
	struct pw_u64map ids;	/* sample id -> attr index */
	struct {
		uint64_t id;
		unsigned int ai1;	/* attr index + 1; 0: empty */
	} idc[ID_CACHE];	/* recent ids of r->ids, by their low bits */
	uint64_t drop_attrs;	/* bit i: attr i (below 64) is a tracepoint not kept */
	struct pw_u64map idcpu;	/* sample id -> CPU, from ID_INDEX */
	bool all_identifier;	/* every attr has PERF_SAMPLE_IDENTIFIER */
	int id_pos;		/* u64 index of PERF_SAMPLE_ID in samples, -1 none */

	struct pw_tracedata td;
	struct pw_tp *tps;
	unsigned int nr_tps;
	struct pw_u64map tpmap;	/* tracepoint id -> index into tps */

	struct pw_intern *strs;
	struct pw_order order;
	struct pw_derive derive;
	struct pw_meta meta;

	ZSTD_DStream *zstd;
	uint8_t *dbuf;		/* decompressed records not yet used */
	size_t dlen, dcap, dmax;
	uint64_t comp_mmap_len;

	uint64_t *abuf;		/* an 8-aligned copy of a record that is not */
	uint64_t bad_records;
	bool done;		/* the records have been read */
	bool swapped;		/* the input's byte order is not this machine's */
	bool no_system_formats;
	bool warned_order_fallback;

	/* pw_reader_load_threads(): samples are only counted, thread records
	 * kept in time order for pw_reader_feed() */
	bool threads_only;
	uint64_t nr_samples;
	struct pw_qev *thr;
	size_t nr_thr, cap_thr, next_thr;
};

/* ---- small helpers ---- */

static int fail(struct pw_reader *r, uint64_t off, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct pw_reader *r, uint64_t off, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pw_err("%s: offset %llu: %s", r->name, (unsigned long long)off, msg);
	return err;
}

/*
 * The byte order of the input being read: set from the reader at each entry
 * point, so the loads below read a big-endian capture on a little-endian
 * machine (and the reverse) without passing the reader everywhere.
 */
static __thread bool file_swapped;

/*
 * The loads in the byte order @sw. The ones without it read file_swapped
 * again each time (a store through any char pointer could have changed
 * it): hot paths read it once and pass it.
 */
static inline uint64_t ld64x(const uint8_t *p, bool sw)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return sw ? __builtin_bswap64(v) : v;
}

static inline uint32_t ld32x(const uint8_t *p, bool sw)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return sw ? __builtin_bswap32(v) : v;
}

static inline uint16_t ld16x(const uint8_t *p, bool sw)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return sw ? __builtin_bswap16(v) : v;
}

static inline uint64_t ld64(const uint8_t *p)
{
	return ld64x(p, file_swapped);
}

static inline uint32_t ld32(const uint8_t *p)
{
	return ld32x(p, file_swapped);
}

static inline uint16_t ld16(const uint8_t *p)
{
	return ld16x(p, file_swapped);
}

/* perf_event_header fields of the record at @p */
static inline uint32_t rec_type(const uint8_t *p)
{
	return ld32(p);
}

static inline uint16_t rec_size(const uint8_t *p)
{
	return ld16(p + 6);
}

static int pread_full(struct pw_reader *r, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t got = pread(r->fd, (char *)buf + done, n - done, (off_t)(off + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return fail(r, off + done, PW_EIO, "read error: %s", strerror(errno));
		if (got == 0)
			return fail(r, off + done, PW_ETRUNCATED, "unexpected end of file");
		done += (size_t)got;
	}
	return 0;
}

/* Where the sample-type fields of @st put things, in u64 units. */
static int id_pos_of(uint64_t st)
{
	int pos = 0;

	if (st & PERF_SAMPLE_IDENTIFIER)
		return 0;
	if (!(st & PERF_SAMPLE_ID))
		return -1;
	pos += !!(st & PERF_SAMPLE_IP);
	pos += !!(st & PERF_SAMPLE_TID);
	pos += !!(st & PERF_SAMPLE_TIME);
	pos += !!(st & PERF_SAMPLE_ADDR);
	return pos;
}

/* ---- attributes ---- */

/* The sample layout of @ra (see struct rattr), as parse_sample() reads it. */
static void attr_layout(struct rattr *ra)
{
	uint64_t st = ra->a.sample_type, rf = ra->a.read_format;
	int off = sizeof(struct perf_event_header);

	ra->fixed = false;
	ra->o_id = ra->o_tid = ra->o_time = ra->o_cpu = ra->o_raw = -1;
	if (st & PERF_SAMPLE_IDENTIFIER)
		ra->o_id = off, off += 8;
	if (st & PERF_SAMPLE_IP)
		off += 8;
	if (st & PERF_SAMPLE_TID)
		ra->o_tid = off, off += 8;
	if (st & PERF_SAMPLE_TIME)
		ra->o_time = off, off += 8;
	if (st & PERF_SAMPLE_ADDR)
		off += 8;
	if (st & PERF_SAMPLE_ID)
		ra->o_id = off, off += 8;
	if (st & PERF_SAMPLE_STREAM_ID)
		off += 8;
	if (st & PERF_SAMPLE_CPU)
		ra->o_cpu = off, off += 8;
	if (st & PERF_SAMPLE_PERIOD)
		off += 8;
	if (st & PERF_SAMPLE_READ) {
		if (rf & PERF_FORMAT_GROUP)
			return;
		off += 8 * (1 + !!(rf & PERF_FORMAT_ID) + !!(rf & PERF_FORMAT_LOST) +
			    !!(rf & PERF_FORMAT_TOTAL_TIME_ENABLED) +
			    !!(rf & PERF_FORMAT_TOTAL_TIME_RUNNING));
	}
	if (st & PERF_SAMPLE_CALLCHAIN)
		return;
	if (st & PERF_SAMPLE_RAW)
		ra->o_raw = off, off += 4;
	ra->min_size = off;
	ra->fixed = true;
}

static int attr_add(struct pw_reader *r, const uint8_t *p, size_t avail, uint32_t attr_size,
		    uint64_t off, unsigned int *idx)
{
	struct rattr *na, *ra;
	uint32_t size = attr_size;

	if (size == 0)
		size = PERF_ATTR_SIZE_VER0;
	if (size < PERF_ATTR_SIZE_VER0)
		return fail(r, off, PW_EFORMAT, "attribute size %u is below the minimum %u",
			    size, PERF_ATTR_SIZE_VER0);
	if (size % 8)
		return fail(r, off, PW_EFORMAT, "attribute size %u is not a multiple of 8", size);
	if (size > avail)
		return fail(r, off, PW_EFORMAT, "attribute size %u is larger than the %zu bytes "
			    "that hold it", size, avail);
	if (r->nr_attrs >= MAX_ATTRS)
		return fail(r, off, PW_EFORMAT, "more than %d attributes", MAX_ATTRS);
	na = realloc(r->attrs, (r->nr_attrs + 1) * sizeof(*na));
	if (!na)
		return PW_ENOMEM;
	r->attrs = na;
	ra = &na[r->nr_attrs];
	memset(ra, 0, sizeof(*ra));
	memcpy(&ra->a, p, size < sizeof(ra->a) ? size : sizeof(ra->a));
	if (file_swapped) {
		/* the fields the reader uses; the flag bits are allocated from
		 * the other end of each byte on a big-endian machine */
		uint8_t *flags = (uint8_t *)&ra->a + 40;

		ra->a.type = ld32(p);
		ra->a.size = ld32(p + 4);
		ra->a.config = ld64(p + 8);
		ra->a.sample_period = ld64(p + 16);
		ra->a.sample_type = ld64(p + 24);
		ra->a.read_format = ld64(p + 32);
		for (int i = 0; i < 8; i++) {
			uint8_t b = p[40 + i], rev = 0;

			for (int k = 0; k < 8; k++)
				rev |= (uint8_t)(((b >> k) & 1) << (7 - k));
			flags[i] = rev;
		}
		ra->a.branch_sample_type = size >= 80 ? ld64(p + 72) : 0;
	}
	ra->tp = -1;
	attr_layout(ra);
	*idx = r->nr_attrs++;

	r->all_identifier = true;
	r->id_pos = id_pos_of(r->attrs[0].a.sample_type);
	for (unsigned int i = 0; i < r->nr_attrs; i++) {
		uint64_t st = r->attrs[i].a.sample_type;

		if (!(st & PERF_SAMPLE_IDENTIFIER))
			r->all_identifier = false;
		if (id_pos_of(st) != r->id_pos)
			r->id_pos = -1;
	}
	return 0;
}

static int id_add(struct pw_reader *r, uint64_t id, unsigned int idx)
{
	r->idc[id % ID_CACHE].ai1 = 0;
	return pw_u64map_put(&r->ids, id, idx);
}

/* ---- features ---- */

/* A perf_header_string at @p within @end; NULL when malformed. */
static char *feat_string(const uint8_t **p, const uint8_t *end)
{
	uint32_t len;
	char *s;

	if (end - *p < 4)
		return NULL;
	len = ld32(*p);
	if (len > (uint64_t)(end - *p - 4))
		return NULL;
	s = strndup((const char *)*p + 4, len);
	*p += 4 + len;
	return s;
}

static void set_str(char **dst, char *s)
{
	if (!s)
		return;
	free(*dst);
	*dst = s;
}

static int feature(struct pw_reader *r, int feat, const uint8_t *p, size_t size, uint64_t off)
{
	const uint8_t *end = p + size;

	switch (feat) {
	case FEAT_TRACING_DATA:
		return pw_tracedata_parse(&r->td, p, size, r->name, off);
	case FEAT_HOSTNAME:
		set_str(&r->meta.hostname, feat_string(&p, end));
		break;
	case FEAT_OSRELEASE:
		set_str(&r->meta.os_release, feat_string(&p, end));
		break;
	case FEAT_VERSION:
		set_str(&r->meta.perf_version, feat_string(&p, end));
		break;
	case FEAT_ARCH:
		set_str(&r->meta.arch, feat_string(&p, end));
		break;
	case FEAT_NRCPUS:
		if (size >= 8)
			r->meta.nr_cpus = ld32(p + 4);
		break;
	case FEAT_CMDLINE: {
		uint32_t nr;
		size_t len = 0;
		char *line = NULL;

		if (size < 4)
			break;
		nr = ld32(p);
		p += 4;
		for (uint32_t i = 0; i < nr && p < end; i++) {
			char *w = feat_string(&p, end), *nl;
			size_t wl;

			if (!w)
				break;
			wl = strlen(w);
			nl = realloc(line, len + wl + 2);
			if (!nl) {
				free(w);
				break;
			}
			line = nl;
			if (len)
				line[len++] = ' ';
			memcpy(line + len, w, wl + 1);
			len += wl;
			free(w);
		}
		set_str(&r->meta.cmdline, line);
		break;
	}
	case FEAT_EVENT_DESC: {
		uint32_t nr, asz;

		if (size < 8)
			break;
		nr = ld32(p);
		asz = ld32(p + 4);
		p += 8;
		for (uint32_t i = 0; i < nr; i++) {
			uint32_t nids;
			char *name;
			uint64_t v;

			if (asz > (size_t)(end - p) || end - p - asz < 4)
				break;
			p += asz;
			nids = ld32(p);
			p += 4;
			name = feat_string(&p, end);
			if (!name)
				break;
			if (nids > (size_t)(end - p) / 8) {
				free(name);
				break;
			}
			for (uint32_t j = 0; j < nids; j++) {
				if (pw_u64map_get(&r->ids, ld64(p + 8 * j), &v) && !r->attrs[v].name) {
					r->attrs[v].name = strdup(name);
					break;
				}
			}
			p += 8 * (size_t)nids;
			free(name);
		}
		break;
	}
	case FEAT_COMPRESSED:
		if (size >= 20)
			r->comp_mmap_len = ld32(p + 16);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- file layout header ---- */

static int read_file_header(struct pw_reader *r, const uint8_t *h, uint64_t hsize)
{
	uint64_t attr_size = ld64(h + 16), attrs_off = ld64(h + 24), attrs_size = ld64(h + 32);
	uint64_t flags[4] = { 0 };
	struct stat st;
	uint8_t *buf = NULL;
	int err = 0;

	if (fstat(r->fd, &st) || !S_ISREG(st.st_mode))
		return fail(r, 0, PW_EUNSUPPORTED,
			    "a perf.data file layout needs a regular file (record with -o - to pipe)");
	r->file_size = (uint64_t)st.st_size;
	r->data_off = ld64(h + 40);
	r->data_end = r->data_off + ld64(h + 48);
	if (hsize == FILE_HEADER_SIZE)
		for (int i = 0; i < 4; i++)
			flags[i] = ld64(h + 72 + 8 * i);

	if (attr_size < PERF_ATTR_SIZE_VER0 + 16)
		return fail(r, 16, PW_EFORMAT, "attribute size %llu is below the minimum %u",
			    (unsigned long long)attr_size, PERF_ATTR_SIZE_VER0 + 16);
	if (attrs_off > r->file_size || attrs_size > r->file_size - attrs_off)
		return fail(r, 24, PW_EFORMAT, "attribute section (%llu bytes at %llu) is past "
			    "the end of the file (%llu bytes)", (unsigned long long)attrs_size,
			    (unsigned long long)attrs_off, (unsigned long long)r->file_size);
	if (attrs_size % attr_size)
		return fail(r, 32, PW_EFORMAT, "attribute section size %llu is not a multiple "
			    "of the attribute size %llu", (unsigned long long)attrs_size,
			    (unsigned long long)attr_size);
	if (!attrs_size)
		return fail(r, 24, PW_EFORMAT, "no event attributes");
	if (r->data_off < hsize || r->data_off > r->file_size || r->data_end < r->data_off)
		return fail(r, 40, PW_EFORMAT, "data section offset %llu is outside the file",
			    (unsigned long long)r->data_off);

	buf = malloc(attrs_size);
	if (!buf)
		return PW_ENOMEM;
	err = pread_full(r, buf, attrs_size, attrs_off);
	for (uint64_t o = 0; !err && o < attrs_size; o += attr_size) {
		uint64_t ids_off = ld64(buf + o + attr_size - 16);
		uint64_t ids_size = ld64(buf + o + attr_size - 8);
		unsigned int idx;

		/* The slot holds the attr and its id section; the attr says
		 * its own size (0: the first ABI's), as perf's read_attr() reads it. */
		err = attr_add(r, buf + o, attr_size - 16, ld32(buf + o + 4), attrs_off + o, &idx);
		if (err)
			break;
		if (ids_off > r->file_size || ids_size > r->file_size - ids_off || ids_size % 8) {
			err = fail(r, attrs_off + o + attr_size - 16, PW_EFORMAT,
				   "id list of attribute %u is outside the file", idx);
			break;
		}
		if (ids_size) {
			uint8_t *ids = malloc(ids_size);

			if (!ids) {
				err = PW_ENOMEM;
				break;
			}
			err = pread_full(r, ids, ids_size, ids_off);
			for (uint64_t j = 0; !err && j < ids_size; j += 8)
				err = id_add(r, ld64(ids + j), idx);
			free(ids);
		}
	}
	free(buf);
	if (err)
		return err;

	if (r->data_end == r->data_off) {
		/* perf was killed before it wrote the final header. */
		r->meta.partial = true;
		r->data_end = r->file_size;
		pw_warn("%s: the header says the data size is 0 (perf was killed?): reading the "
			"records to the end of the file, without feature sections", r->name);
		return 0;
	}
	if (r->data_end > r->file_size) {
		r->meta.partial = true;
		pw_warn("%s: the data section ends at %llu but the file has %llu bytes: "
			"truncated, reading what is there", r->name,
			(unsigned long long)r->data_end, (unsigned long long)r->file_size);
		r->data_end = r->file_size;
		return 0;
	}

	/* Feature sections: a table of perf_file_section after the data. */
	{
		unsigned int nfeat = 0, k = 0;
		uint64_t toff = r->data_end;
		uint8_t *table;

		for (int b = 0; b < NR_FEATURES; b++)
			nfeat += (flags[b / 64] >> (b % 64)) & 1;
		if (!nfeat)
			return 0;
		if ((uint64_t)nfeat * 16 > r->file_size - toff) {
			pw_warn("%s: offset %llu: the feature table is past the end of the file: "
				"features ignored", r->name, (unsigned long long)toff);
			return 0;
		}
		table = malloc(nfeat * 16);
		if (!table)
			return PW_ENOMEM;
		err = pread_full(r, table, nfeat * 16, toff);
		for (int b = 0; !err && b < NR_FEATURES; b++) {
			uint64_t foff, fsize;
			uint8_t *fbuf;

			if (!((flags[b / 64] >> (b % 64)) & 1))
				continue;
			foff = ld64(table + 16 * k);
			fsize = ld64(table + 16 * k + 8);
			k++;
			if (foff > r->file_size || fsize > r->file_size - foff) {
				pw_warn("%s: offset %llu: feature %d lies outside the file: ignored",
					r->name, (unsigned long long)(toff + 16 * (k - 1)), b);
				continue;
			}
			if (b > FEAT_LAST_KNOWN)
				r->meta.unknown_records++;	/* skipped by its size */
			if (b != FEAT_TRACING_DATA && b != FEAT_HOSTNAME && b != FEAT_OSRELEASE &&
			    b != FEAT_VERSION && b != FEAT_ARCH && b != FEAT_NRCPUS &&
			    b != FEAT_CMDLINE && b != FEAT_EVENT_DESC && b != FEAT_COMPRESSED)
				continue;
			fbuf = malloc(fsize ? fsize : 1);
			if (!fbuf) {
				err = PW_ENOMEM;
				break;
			}
			err = pread_full(r, fbuf, fsize, foff);
			if (!err)
				err = feature(r, b, fbuf, fsize, foff);
			free(fbuf);
		}
		free(table);
	}
	return err;
}

/* ---- samples ---- */

static int parse_sample(const struct perf_event_attr *a, const uint8_t *p, size_t size,
			struct sample *s)
{
	const uint8_t *end = p + size;
	uint64_t st = a->sample_type;

	memset(s, 0, sizeof(*s));
	p += sizeof(struct perf_event_header);
#define NEED(n) do { if ((size_t)(end - p) < (size_t)(n)) return PW_EFORMAT; } while (0)
#define SKIP64() do { NEED(8); p += 8; } while (0)
	if (st & PERF_SAMPLE_IDENTIFIER) {
		NEED(8);
		s->id = ld64(p);
		s->has_id = true;
		p += 8;
	}
	if (st & PERF_SAMPLE_IP)
		SKIP64();
	if (st & PERF_SAMPLE_TID) {
		NEED(8);
		s->pid = ld32(p);
		s->tid = ld32(p + 4);
		p += 8;
	}
	if (st & PERF_SAMPLE_TIME) {
		NEED(8);
		s->time = ld64(p);
		p += 8;
	}
	if (st & PERF_SAMPLE_ADDR)
		SKIP64();
	if (st & PERF_SAMPLE_ID) {
		NEED(8);
		s->id = ld64(p);
		s->has_id = true;
		p += 8;
	}
	if (st & PERF_SAMPLE_STREAM_ID)
		SKIP64();
	if (st & PERF_SAMPLE_CPU) {
		NEED(8);
		s->cpu = ld32(p);
		p += 8;
	}
	if (st & PERF_SAMPLE_PERIOD)
		SKIP64();
	if (st & PERF_SAMPLE_READ) {
		uint64_t rf = a->read_format;
		uint64_t per = 1 + !!(rf & PERF_FORMAT_ID) + !!(rf & PERF_FORMAT_LOST);
		uint64_t fixed = !!(rf & PERF_FORMAT_TOTAL_TIME_ENABLED) +
				 !!(rf & PERF_FORMAT_TOTAL_TIME_RUNNING);

		if (rf & PERF_FORMAT_GROUP) {
			uint64_t nr;

			NEED(8);
			nr = ld64(p);
			p += 8;
			if (nr > (uint64_t)(end - p) / 8 / per)
				return PW_EFORMAT;
			NEED(8 * (fixed + nr * per));
			p += 8 * (fixed + nr * per);
		} else {
			NEED(8 * (per + fixed));
			p += 8 * (per + fixed);
		}
	}
	if (st & PERF_SAMPLE_CALLCHAIN) {
		uint64_t nr;

		NEED(8);
		nr = ld64(p);
		p += 8;
		if (nr > (uint64_t)(end - p) / 8)
			return PW_EFORMAT;
		p += 8 * nr;
	}
	if (st & PERF_SAMPLE_RAW) {
		NEED(4);
		s->raw_size = ld32(p);
		p += 4;
		NEED(s->raw_size);
		s->raw = p;
		p += s->raw_size;
	}
	/* Nothing after RAW is needed: the rest of the record is skipped by size. */
#undef SKIP64
#undef NEED
	return 0;
}

/* parse_sample() for an attr whose fields are at fixed offsets. */
static inline __attribute__((always_inline)) int parse_fixed(const struct rattr *ra,
							     const uint8_t *rec, size_t size,
							     struct sample *s, bool sw)
{
	if (size < ra->min_size)
		return PW_EFORMAT;
	s->has_id = ra->o_id >= 0;
	s->id = s->has_id ? ld64x(rec + ra->o_id, sw) : 0;
	s->pid = ra->o_tid >= 0 ? ld32x(rec + ra->o_tid, sw) : 0;
	s->tid = ra->o_tid >= 0 ? ld32x(rec + ra->o_tid + 4, sw) : 0;
	s->time = ra->o_time >= 0 ? ld64x(rec + ra->o_time, sw) : 0;
	s->cpu = ra->o_cpu >= 0 ? ld32x(rec + ra->o_cpu, sw) : 0;
	s->raw = NULL;
	s->raw_size = 0;
	if (ra->o_raw >= 0) {
		s->raw_size = ld32x(rec + ra->o_raw, sw);
		if (s->raw_size > size - ra->min_size)
			return PW_EFORMAT;
		s->raw = rec + ra->min_size;
	}
	return 0;
}

/*
 * The attr of a sample record, or -1 when its id matches none: also with a
 * single attr, whose samples need no id but are not its own when they carry
 * an id that is not in its list.
 */
static inline __attribute__((always_inline)) int sample_attr(struct pw_reader *r,
							     const uint8_t *rec, size_t size,
							     bool sw)
{
	uint64_t v, id;
	size_t pos;

	if (r->nr_attrs == 1 && (r->id_pos < 0 || !r->ids.count))
		return 0;
	if (r->all_identifier)
		pos = 8;
	else if (r->id_pos >= 0)
		pos = 8 + 8 * (size_t)r->id_pos;
	else
		return -1;
	if (pos + 8 > size)
		return -1;
	id = ld64x(rec + pos, sw);
	if (r->idc[id % ID_CACHE].ai1 && r->idc[id % ID_CACHE].id == id)
		return (int)r->idc[id % ID_CACHE].ai1 - 1;
	if (!pw_u64map_get(&r->ids, id, &v))
		return -1;
	r->idc[id % ID_CACHE].id = id;
	r->idc[id % ID_CACHE].ai1 = (unsigned int)v + 1;
	return (int)v;
}

/* The index in r->tps of tracepoint @id, resolved on first sight. */
static int tp_index(struct pw_reader *r, int id, const char *name, uint64_t *idx)
{
	struct pw_tp *nt;
	int err;

	if (pw_u64map_get(&r->tpmap, (uint64_t)id, idx))
		return 0;
	nt = realloc(r->tps, (r->nr_tps + 1) * sizeof(*nt));
	if (!nt)
		return PW_ENOMEM;
	r->tps = nt;
	err = pw_tp_resolve(&r->td, id, name, &nt[r->nr_tps], r->name);
	if (err) {
		pw_tp_release(&nt[r->nr_tps]);
		return err;
	}
	*idx = r->nr_tps++;
	return pw_u64map_put(&r->tpmap, (uint64_t)id, *idx);
}

/* attr_tp() of an attr not resolved yet. */
static __attribute__((noinline)) int attr_tp_slow(struct pw_reader *r, struct rattr *ra,
						  struct pw_tp **out)
{
	uint64_t idx;
	int err;

	if (ra->a.type != PERF_TYPE_TRACEPOINT) {
		*out = NULL;
		return 0;
	}
	if (!r->td.parsed) {
		if (r->meta.partial && !r->no_system_formats) {
			pw_warn("%s: no tracing data (the capture was cut short): decoding with "
				"this machine's tracepoint formats", r->name);
			err = pw_tracedata_from_system(&r->td, NULL);
			if (err)
				return fail(r, r->in.off, PW_ENOTRACING, "no tracing data in the input "
					    "and this machine's formats are not readable");
		} else {
			return fail(r, r->in.off, PW_ENOTRACING,
				    "a tracepoint sample before any tracing data: the input has no "
				    "tracepoint formats to decode it with");
		}
	}
	if ((err = tp_index(r, (int)ra->a.config, ra->name, &idx)))
		return err;
	ra->tp = (int)idx;
	*out = &r->tps[idx];
	return 0;
}

/* The tracepoint decoding state of attr @ai, resolved on first use. */
static inline int attr_tp(struct pw_reader *r, struct rattr *ra, struct pw_tp **out)
{
	if (ra->tp >= 0) {
		*out = &r->tps[ra->tp];
		return 0;
	}
	return attr_tp_slow(r, ra, out);
}

/* A sample record, of attr @ai (sample_attr()); inline in the hot loop. */
static inline __attribute__((always_inline)) int sample_body(struct pw_reader *r,
							     const uint8_t *rec, size_t size,
							     uint64_t off, int ai)
{
	struct sample s;
	struct pw_tp *tp = NULL;
	struct pw_qev tmp, *q;
	const bool sw = file_swapped;
	int err;

	if (ai < 0) {
		if (!r->meta.unknown_ids++ && r->nr_attrs > 1 && r->id_pos < 0 &&
		    !r->all_identifier)
			pw_warn("%s: offset %llu: the events' sample types do not put the sample id "
				"at one place (PERF_SAMPLE_IDENTIFIER on every event, or ID after "
				"the same fields): samples cannot be told apart and are counted as "
				"of unknown id", r->name, (unsigned long long)off);
		return 0;
	}
	/* an event that is not kept is only counted: no need to parse it */
	err = attr_tp(r, &r->attrs[ai], &tp);
	if (err)
		return err;
	if (!tp) {
		pw_meta_add_dropped(&r->meta, r->attrs[ai].name ? r->attrs[ai].name :
				    "(not a tracepoint)", 1);
		return 0;
	}
	if (tp->kind < 0) {
		if (ai < 64)
			r->drop_attrs |= 1ull << ai;
		tp->dropped++;
		return 0;
	}
	/* parse_fixed() in each byte order, so that neither tests it per field */
	if (r->attrs[ai].fixed ? (sw ? parse_fixed(&r->attrs[ai], rec, size, &s, true)
				     : parse_fixed(&r->attrs[ai], rec, size, &s, false))
			       : parse_sample(&r->attrs[ai].a, rec, size, &s)) {
		r->meta.undecodable++;
		if (r->meta.undecodable == 1)
			pw_warn("%s: offset %llu: a sample record too short for its sample type: "
				"skipped (and counted)", r->name, (unsigned long long)off);
		return 0;
	}
	if (!s.raw || s.raw_size < 8 || ld16x(s.raw, sw) != (uint16_t)tp->id) {
		r->meta.undecodable++;
		return 0;
	}
	/* Field by field: gcc turns an initializer of the rest into a rep stos,
	 * slow to start, once an event (a new field of the struct goes here). */
	_Static_assert(sizeof(*q) == 64, "every field of struct pw_qev is set below");
	q = pw_order_slot(&r->order, &tmp);
	q->time = s.time;
	q->seq = 0;
	q->kind = 0;
	q->a_pid = 0;
	q->a_comm = 0;
	q->b_pid = 0;
	q->b_comm = 0;
	q->str = 0;
	q->val = 0;
	q->cpu = (int32_t)s.cpu;
	if (!(r->attrs[ai].a.sample_type & PERF_SAMPLE_CPU)) {
		uint64_t cpu;

		q->cpu = s.has_id && pw_u64map_get(&r->idcpu, s.id, &cpu) ? (int32_t)cpu : PW_NONE32;
	}
	q->pid = (int32_t)s.pid;
	q->tid = (int32_t)s.tid;
	err = pw_tp_decode(&r->td, tp, s.raw, s.raw_size, r->strs, q);
	if (err == PW_EFORMAT) {
		r->meta.undecodable++;
		return 0;
	}
	if (err)
		return err;
	return pw_order_commit(&r->order, q, &tmp);
}

/* The same, out of line, for the records outside the hot loop. */
static __attribute__((noinline)) int do_sample(struct pw_reader *r, const uint8_t *rec,
					       size_t size, uint64_t off, int ai)
{
	return sample_body(r, rec, size, off, ai);
}

/*
 * A sample record: those of a tracepoint not kept (in a capture of
 * 'sched:*', about 40% of the records) only counted, without the sample
 * parser. @hot: the parser inline (read_records()'s loop of whole samples),
 * without a call's frame to save and restore a record.
 */
static inline __attribute__((always_inline)) int sample(struct pw_reader *r, const uint8_t *rec,
							size_t size, uint64_t off, bool hot)
{
	int ai = sample_attr(r, rec, size, file_swapped);

	if ((unsigned int)ai < 64 && (r->drop_attrs >> ai & 1)) {
		r->tps[r->attrs[ai].tp].dropped++;
		return 0;
	}
	return hot ? sample_body(r, rec, size, off, ai) : do_sample(r, rec, size, off, ai);
}

/* Time (and validity) from the sample_id_all trailer of a non-sample record. */
static bool trailer_time(struct pw_reader *r, const uint8_t *rec, size_t size, size_t fixed,
			 uint64_t *time)
{
	const uint8_t *p = rec + size;
	const struct perf_event_attr *a;
	uint64_t st, v;
	int ai = 0;

	if (!r->nr_attrs)
		return false;
	if (r->all_identifier && r->nr_attrs > 1) {
		if (size < fixed + 8 || !pw_u64map_get(&r->ids, ld64(p - 8), &v))
			return false;
		ai = (int)v;
	}
	a = &r->attrs[ai].a;
	st = a->sample_type;
	if (!a->sample_id_all || !(st & PERF_SAMPLE_TIME))
		return false;
	p -= 8 * (!!(st & PERF_SAMPLE_IDENTIFIER) + !!(st & PERF_SAMPLE_CPU) +
		  !!(st & PERF_SAMPLE_STREAM_ID) + !!(st & PERF_SAMPLE_ID) + 1);
	if (p < rec + fixed)
		return false;
	*time = ld64(p);
	return true;
}

static int do_thread(struct pw_reader *r, const union perf_event *ev, size_t size)
{
	struct pw_qev q;
	size_t fixed;

	memset(&q, 0, sizeof(q));
	q.cpu = PW_NONE32;
	const uint8_t *p = (const uint8_t *)ev;

	if (rec_type(p) == PERF_RECORD_COMM) {
		const char *comm = ev->comm.comm;
		size_t max;

		fixed = offsetof(struct perf_record_comm, comm);
		if (size < fixed + 1)
			return PW_EFORMAT;
		max = size - fixed;
		q.kind = PW_QK_COMM;
		q.pid = (int32_t)ld32(p + 8);
		q.tid = (int32_t)ld32(p + 12);
		q.a_comm = pw_intern_id(r->strs, comm, max);
		if (!q.a_comm)
			return PW_ENOMEM;
		fixed += (strnlen(comm, max) + 8) & ~(size_t)7;
	} else {
		fixed = sizeof(struct perf_record_fork);
		if (size < fixed)
			return PW_EFORMAT;
		q.kind = rec_type(p) == PERF_RECORD_FORK ? PW_QK_FORK : PW_QK_EXIT;
		q.pid = (int32_t)ld32(p + 8);		/* pid, ppid, tid, ptid */
		q.tid = (int32_t)ld32(p + 16);
		q.a_pid = (int32_t)ld32(p + 20);
	}
	if (!trailer_time(r, (const uint8_t *)ev, size, fixed, &q.time))
		return r->order.fn(&q, r->order.ctx);	/* no time: apply now, as perf does */
	return pw_order_push(&r->order, &q);
}

/* ---- records ---- */

static int do_record(struct pw_reader *r, const uint8_t *rec, size_t size, uint64_t off,
		     bool nested);

static const uint8_t *aligned(struct pw_reader *r, const uint8_t *rec, size_t size);

static int do_compressed(struct pw_reader *r, const uint8_t *rec, size_t size, uint64_t off)
{
	ZSTD_inBuffer zin = { rec + sizeof(struct perf_event_header),
			      size - sizeof(struct perf_event_header), 0 };
	size_t pos = 0;
	int err = 0;

	if (!r->zstd) {
		r->zstd = ZSTD_createDStream();
		if (!r->zstd)
			return PW_ENOMEM;
		ZSTD_initDStream(r->zstd);
		/* Each compressed record holds at most one mmap buffer of records.
		 * The length is the input's word: MAX_DECOMPRESSED bounds it. */
		r->dmax = 2 * (r->comp_mmap_len > (4u << 20) ? r->comp_mmap_len : (4u << 20)) +
			  65536;
		if (r->dmax > MAX_DECOMPRESSED)
			r->dmax = MAX_DECOMPRESSED;
	}
	while (zin.pos < zin.size) {
		ZSTD_outBuffer zout;
		size_t ret;

		if (r->dlen == r->dcap) {
			size_t ncap = r->dcap ? r->dcap * 2 : (1u << 20);
			uint8_t *nb;

			if (ncap > r->dmax)
				return fail(r, off, PW_ECOMPRESS, "compressed record decompresses to "
					    "more than %zu bytes: corrupt or hostile data", r->dmax);
			nb = realloc(r->dbuf, ncap);
			if (!nb)
				return PW_ENOMEM;
			r->dbuf = nb;
			r->dcap = ncap;
		}
		zout = (ZSTD_outBuffer){ r->dbuf, r->dcap, r->dlen };
		ret = ZSTD_decompressStream(r->zstd, &zout, &zin);
		if (ZSTD_isError(ret))
			return fail(r, off, PW_ECOMPRESS, "corrupt zstd data: %s",
				    ZSTD_getErrorName(ret));
		r->dlen = zout.pos;
	}
	/* Use every complete record; a record cut at the end continues in the
	 * next compressed record. */
	while (r->dlen - pos >= sizeof(struct perf_event_header)) {
		const struct perf_event_header *h = (const void *)(r->dbuf + pos);
		uint16_t hsize = rec_size(r->dbuf + pos);

		(void)h;
		if (hsize < sizeof(*h))
			return fail(r, off, PW_EFORMAT, "record of size %u inside compressed data",
				    hsize);
		if (r->dlen - pos < hsize)
			break;
		err = do_record(r, aligned(r, r->dbuf + pos, hsize), hsize, off, true);
		if (err)
			return err;
		pos += hsize;
	}
	memmove(r->dbuf, r->dbuf + pos, r->dlen - pos);
	r->dlen -= pos;
	return 0;
}

/* Records are read through their structs: give them 8-byte alignment. */
static const uint8_t *aligned(struct pw_reader *r, const uint8_t *rec, size_t size)
{
	if (!((uintptr_t)rec & 7))
		return rec;
	memcpy(r->abuf, rec, size);
	return (const uint8_t *)r->abuf;
}

/* Read a tracing data block of @size bytes that follows a record in the stream. */
static int tracing_data_record(struct pw_reader *r, uint64_t size, uint64_t off)
{
	uint8_t *buf = NULL;
	uint64_t got = 0;
	int err;

	if (size > MAX_TRACING_DATA)
		return fail(r, off, PW_EFORMAT, "tracing data of %llu bytes is beyond any real "
			    "capture's", (unsigned long long)size);
	while (got < size) {	/* grow as data arrives: a lying size costs nothing */
		size_t chunk = size - got > r->in.cap ? r->in.cap : (size_t)(size - got);
		uint8_t *nb = realloc(buf, got + chunk);
		size_t n;

		if (!nb) {
			free(buf);
			return PW_ENOMEM;
		}
		buf = nb;
		n = pw_input_need(&r->in, chunk);
		memcpy(buf + got, pw_input_ptr(&r->in), n);
		pw_input_consume(&r->in, n);
		got += n;
		if (n < chunk) {
			free(buf);
			return fail(r, r->in.off, PW_ETRUNCATED, "input ends inside the tracing data");
		}
	}
	err = pw_tracedata_parse(&r->td, buf, size, r->name, off);
	free(buf);
	return err;
}

static bool known_type(uint32_t type)
{
	return (type >= PERF_RECORD_MMAP && type <= PERF_RECORD_AUX_OUTPUT_HW_ID) ||
	       (type >= PERF_RECORD_USER_TYPE_START && type < PERF_RECORD_HEADER_MAX);
}

static int do_record(struct pw_reader *r, const uint8_t *rec, size_t size, uint64_t off,
		     bool nested)
{
	const union perf_event *ev = (const void *)rec;
	unsigned int idx;
	int err;

	switch (rec_type(rec)) {
	case PERF_RECORD_SAMPLE:
		if (!r->threads_only)
			return sample(r, rec, size, off, false);
		if (sample_attr(r, rec, size, file_swapped) < 0)
			r->meta.unknown_ids++;
		else
			r->nr_samples++;
		return 0;
	case PERF_RECORD_COMM:
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT:
		err = do_thread(r, ev, size);
		if (err == PW_EFORMAT) {
			r->bad_records++;
			return 0;
		}
		return err;
	case PERF_RECORD_LOST:
		if (size >= sizeof(struct perf_record_lost))
			r->meta.lost += ld64(rec + 16);	/* id, lost */
		return 0;
	case PERF_RECORD_LOST_SAMPLES:
		if (size >= sizeof(struct perf_record_lost_samples))
			r->meta.lost_samples += ld64(rec + 8);
		return 0;
	case PERF_RECORD_FINISHED_ROUND:
		return pw_order_round(&r->order);
	case PERF_RECORD_HEADER_ATTR: {
		uint32_t asz;

		if (size < 8 + PERF_ATTR_SIZE_VER0)
			return fail(r, off, PW_EFORMAT, "attribute record of %zu bytes is too short",
				    size);
		asz = ld32(rec + 8 + 4);
		if (!asz)
			asz = PERF_ATTR_SIZE_VER0;
		err = attr_add(r, rec + 8, size - 8, asz, off, &idx);
		if (err)
			return err;
		for (size_t o = 8 + asz; o + 8 <= size; o += 8)
			if ((err = id_add(r, ld64(rec + o), idx)))
				return err;
		return 0;
	}
	case PERF_RECORD_HEADER_TRACING_DATA:
		if (nested || size < sizeof(struct perf_record_header_tracing_data))
			return fail(r, off, PW_EFORMAT, "misplaced tracing data record");
		return 1;	/* the caller reads the data that follows */
	case PERF_RECORD_HEADER_FEATURE:
		if (size < sizeof(struct perf_record_header_feature))
			return 0;
		if (ld64(rec + 8) == FEAT_TRACING_DATA)
			return 0;	/* pipes carry it as its own record */
		if (ld64(rec + 8) > FEAT_LAST_KNOWN) {
			r->meta.unknown_records++;
			return 0;
		}
		return feature(r, (int)ld64(rec + 8), rec + 16, size - 16, off + 16);
	case PERF_RECORD_ID_INDEX: {
		/* id -> the CPU of its ring buffer (idx is a CPU-map index, not
		 * an attr): the CPU of samples that do not carry one. */
		uint64_t nr;

		if (size < 16)
			return 0;
		nr = ld64(rec + 8);
		for (uint64_t i = 0; i < nr && 16 + 32 * (i + 1) <= size; i++) {
			uint64_t cpu = ld64(rec + 32 + 32 * i);

			if (cpu != (uint64_t)-1 &&
			    (err = pw_u64map_put(&r->idcpu, ld64(rec + 16 + 32 * i), cpu)))
				return err;
		}
		return 0;
	}
	case PERF_RECORD_COMPRESSED:
		if (nested)
			return fail(r, off, PW_EFORMAT, "compressed record inside compressed data");
		return do_compressed(r, rec, size, off);
	default:
		if (!known_type(rec_type(rec)))
			r->meta.unknown_records++;
		return 0;
	}
}

/* ---- opening ---- */

static struct pw_reader *reader_new(int fd, const char *name, const struct pw_reader_opts *opts)
{
	struct pw_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = fd;
	r->id_pos = -1;
	pw_meta_init(&r->meta);
	pw_u64map_init(&r->ids);
	pw_u64map_init(&r->idcpu);
	pw_u64map_init(&r->tpmap);
	r->name = strdup(name);
	r->strs = pw_intern_new();
	r->abuf = malloc(65536);
	if (!r->name || !r->strs || !r->abuf || pw_input_init(&r->in, fd, r->name, INPUT_BUF)) {
		pw_reader_close(r);
		return NULL;
	}
	pw_order_init(&r->order, opts ? opts->reorder_max : 0, pw_derive_event, &r->derive);
	r->in.stop = opts ? opts->stop : NULL;
	r->no_system_formats = opts && opts->no_system_formats;
	pw_derive_init(&r->derive, r->strs, &r->meta, NULL, NULL);
	return r;
}

static int reader_start(struct pw_reader *r)
{
	const uint8_t *h;
	uint64_t magic, hsize;
	char src[600];
	int err;

	if (pw_input_need(&r->in, 16) < 16) {
		if (r->in.err)
			return fail(r, r->in.off, PW_EIO, "read error: %s", strerror(r->in.err));
		return fail(r, 0, r->in.end ? PW_ETRUNCATED : PW_EFORMAT, "%s",
			    r->in.end ? "too short for a perf.data header" : "empty input");
	}
	h = pw_input_ptr(&r->in);
	file_swapped = false;
	magic = ld64(h);
	if (magic == __builtin_bswap64(PERF_MAGIC2)) {
		r->swapped = file_swapped = true;	/* the other byte order */
		magic = PERF_MAGIC2;
	}
	hsize = ld64(h + 8);
	if (magic == PERF_MAGIC1)
		return fail(r, 0, PW_EUNSUPPORTED, "perf.data version 1 ('PERFFILE', before 2012): "
			    "not supported; convert it with a newer perf (perf inject)");
	if (magic != PERF_MAGIC2)
		return fail(r, 0, PW_EFORMAT, "not a perf.data file (bad magic)");
	if (hsize == PIPE_HEADER_SIZE) {
		r->pipe = true;
		pw_input_consume(&r->in, 16);
		snprintf(src, sizeof(src), "perf.data pipe layout: %s", r->name);
	} else if (hsize == FILE_HEADER_SIZE || hsize == FILE_HEADER_SIZE_V0) {
		uint8_t hdr[FILE_HEADER_SIZE];

		if (pw_input_need(&r->in, hsize) < hsize)
			return fail(r, r->in.off + (r->in.end - r->in.start), PW_ETRUNCATED,
				    "truncated perf.data header");
		memcpy(hdr, pw_input_ptr(&r->in), hsize);
		err = read_file_header(r, hdr, hsize);
		if (err)
			return err;
		err = pw_input_seek(&r->in, r->data_off, r->data_end);
		if (err)
			return fail(r, r->data_off, PW_EIO, "cannot seek: %s", strerror(-err));
		snprintf(src, sizeof(src), "perf.data file: %s", r->name);
	} else {
		return fail(r, 8, PW_EFORMAT, "unknown perf.data header size %llu",
			    (unsigned long long)hsize);
	}
	r->meta.source = strdup(src);
	return r->meta.source ? 0 : PW_ENOMEM;
}

struct pw_reader *pw_reader_open_fd(int fd, const char *name,
				    const struct pw_reader_opts *opts, int *errp)
{
	struct pw_reader *r = reader_new(fd, name, opts);
	int err = r ? reader_start(r) : PW_ENOMEM;

	if (err == PW_ETRUNCATED)
		err = PW_EFORMAT;	/* nothing to salvage before the records */
	if (err) {
		pw_reader_close(r);
		r = NULL;
	}
	if (errp)
		*errp = err;
	return r;
}

struct pw_reader *pw_reader_open(const char *path, const struct pw_reader_opts *opts, int *errp)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct pw_reader *r;

	if (fd < 0) {
		pw_err("%s: cannot open: %s", path, strerror(errno));
		if (errp)
			*errp = errno == ENOENT ? PW_ENOENT : PW_EIO;
		return NULL;
	}
	r = pw_reader_open_fd(fd, is_stdin ? "<stdin>" : path, opts, errp);
	if (r)
		r->own_fd = !is_stdin;
	else if (!is_stdin)
		close(fd);
	return r;
}

void pw_reader_close(struct pw_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	pw_input_release(&r->in);
	for (unsigned int i = 0; i < r->nr_attrs; i++)
		free(r->attrs[i].name);
	free(r->attrs);
	for (unsigned int i = 0; i < r->nr_tps; i++)
		pw_tp_release(&r->tps[i]);
	free(r->tps);
	pw_u64map_release(&r->ids);
	pw_u64map_release(&r->idcpu);
	pw_u64map_release(&r->tpmap);
	pw_tracedata_release(&r->td);
	pw_order_release(&r->order);
	pw_derive_release(&r->derive);
	pw_intern_free(r->strs);
	pw_meta_release(&r->meta);
	if (r->zstd)
		ZSTD_freeDStream(r->zstd);
	free(r->dbuf);
	free(r->abuf);
	free(r->thr);
	free(r->name);
	free(r);
}

const struct pw_meta *pw_reader_meta(const struct pw_reader *r)
{
	return &r->meta;
}

void pw_reader_progress(const struct pw_reader *r, uint64_t *done, uint64_t *total)
{
	*done = r->in.off;
	*total = r->pipe ? 0 : r->data_end;
}

/* ---- the record loop ---- */

static int finish(struct pw_reader *r, int err)
{
	int ferr = pw_order_flush_all(&r->order);

	if (!err)
		err = ferr;
	r->meta.out_of_order = r->order.late;
	for (unsigned int i = 0; i < r->nr_tps; i++)
		if (r->tps[i].kind < 0 && r->tps[i].dropped)
			pw_meta_add_dropped(&r->meta, r->tps[i].name, r->tps[i].dropped);
	if (r->dlen && !err)
		pw_warn("%s: %zu bytes of compressed data end inside a record: ignored", r->name,
			r->dlen);
	if (r->order.late)
		pw_warn("%s: %llu events arrived after later ones had been released and were "
			"dropped", r->name, (unsigned long long)r->order.late);
	if (!err && r->meta.partial)
		err = PW_ETRUNCATED;
	return err;
}

/* Stop at a record that cannot be read: keep what came before it. */
static int salvage(struct pw_reader *r, uint64_t off, const char *what)
{
	/* A read cut short by the caller's signal is a stop, not damage. */
	if (r->in.stop && *r->in.stop)
		return PW_ESTOPPED;
	pw_err("%s: offset %llu: %s: stopping here; every complete record before it was used",
	       r->name, (unsigned long long)off, what);
	r->meta.partial = true;
	return 0;
}

/*
 * Read records to the end of the input (or, with @until_formats, until the
 * tracing data has been read). Returns 0 or a fatal negative PW_E* code;
 * a damaged input ends the loop with the reader marked partial.
 */
static int read_records(struct pw_reader *r, bool until_formats)
{
	int err = 0;

	r->done = true;
	for (;;) {
		if (until_formats && r->td.parsed) {
			r->done = false;
			break;
		}
		struct perf_event_header h;
		uint64_t off = r->in.off;
		size_t got;
		const uint8_t *rec;

		/*
		 * Sample records already whole in the buffer, aligned and of a
		 * good size: parsed without the checks below, which the record
		 * that ends the run (of another type, cut by the buffer's end,
		 * or bad) then gets. The stop flag is seen at least once a
		 * buffer. Not while looking for the formats: a sample may load
		 * them (a capture without its tracing data).
		 */
		if (!until_formats && !r->threads_only) {
			for (;;) {
				const uint8_t *p = pw_input_ptr(&r->in);
				size_t avail = r->in.end - r->in.start;
				uint16_t size;

				if (avail < sizeof(h) || rec_type(p) != PERF_RECORD_SAMPLE ||
				    ((uintptr_t)p & 7))
					break;
				size = rec_size(p);
				if (size < sizeof(h) || (size & 7) || size > avail)
					break;
				off = r->in.off;
				err = sample(r, p, size, off, true);
				pw_input_consume(&r->in, size);
				if (err)
					goto check;
			}
			off = r->in.off;
		}
		got = pw_input_need(&r->in, sizeof(h));
		if (r->in.stop && *r->in.stop) {
			err = PW_ESTOPPED;
			break;
		}
		if (got == 0) {
			if (r->in.err)
				err = fail(r, off, PW_EIO, "read error: %s", strerror(r->in.err));
			else if (!r->pipe && r->data_end && off < r->data_end)
				err = salvage(r, off, "the file ends inside the data section");
			break;
		}
		if (got < sizeof(h)) {
			err = salvage(r, off, "the input ends inside a record header");
			break;
		}
		h.type = rec_type(pw_input_ptr(&r->in));
		h.size = rec_size(pw_input_ptr(&r->in));
		if (h.size < sizeof(h)) {
			err = salvage(r, off, h.size ? "record size below 8 bytes" : "record size 0");
			break;
		}
		if (h.type < PERF_RECORD_USER_TYPE_START && (h.size & 7)) {
			char msg[80];

			snprintf(msg, sizeof(msg), "kernel record of type %u with size %u, not a "
				 "multiple of 8", h.type, h.size);
			err = salvage(r, off, msg);
			break;
		}
		if (pw_input_need(&r->in, h.size) < h.size) {
			err = salvage(r, off, "the input ends inside a record");
			break;
		}
		rec = aligned(r, pw_input_ptr(&r->in), h.size);
		/* samples, nearly every record, without do_record()'s switch */
		if (h.type == PERF_RECORD_SAMPLE && !r->threads_only)
			err = sample(r, rec, h.size, off, false);
		else
			err = do_record(r, rec, h.size, off, false);
		if (err == 1) {
			uint64_t tsize = ld32(rec + 8);

			pw_input_consume(&r->in, h.size);
			err = tracing_data_record(r, tsize, r->in.off);
			if (err == PW_ETRUNCATED) {
				err = r->in.stop && *r->in.stop ? PW_ESTOPPED : 0;
				r->meta.partial = true;
				break;
			}
		} else {
			pw_input_consume(&r->in, h.size);
		}
check:
		if ((err == PW_EFORMAT || err == PW_ECOMPRESS) && r->order.seq) {
			/* Corrupt from here on; the events before are good. */
			r->meta.partial = true;
			pw_err("%s: stopping at offset %llu; every complete record before it "
			       "was used", r->name, (unsigned long long)off);
			err = 0;
			break;
		}
		if (err)
			break;
	}
	return err;
}

int pw_reader_run_rows(struct pw_reader *r, struct pw_row *room, struct pw_row *end,
		       pw_rows_fn fn, void *ctx)
{
	struct pw_derive *d = &r->derive;
	int err;

	file_swapped = r->swapped;
	d->out = d->room = room;
	d->out_end = end;
	d->consumer_err = 0;
	d->rows_fn = fn;
	d->ctx = ctx;
	err = finish(r, r->done ? 0 : read_records(r, false));
	if (!d->consumer_err && (!err || err == PW_ETRUNCATED)) {
		int ferr = pw_derive_hand_room(d);	/* the last room's rows */

		if (ferr)
			err = ferr;
	}
	d->out = &d->own;
	d->out_end = NULL;
	return err;
}

int pw_reader_run(struct pw_reader *r, pw_row_fn fn, void *ctx)
{
	file_swapped = r->swapped;
	r->derive.fn = fn;
	r->derive.ctx = ctx;
	r->derive.consumer_err = 0;
	return finish(r, r->done ? 0 : read_records(r, false));
}

int pw_reader_load_formats(struct pw_reader *r)
{
	file_swapped = r->swapped;
	int err;

	if (r->td.parsed || r->done)
		return r->td.parsed ? 0 : PW_ENOTRACING;
	if (!r->pipe)
		return PW_ENOTRACING;	/* the file layout's features were read */
	err = read_records(r, true);
	if (err)
		return err;
	return r->td.parsed ? 0 : PW_ENOTRACING;
}

int pw_reader_use_system_formats(struct pw_reader *r)
{
	int err = pw_tracedata_from_system(&r->td, NULL);

	if (err)
		pw_err("%s: no tracing data, and this machine's tracepoint formats cannot be "
		       "read (is tracefs mounted?)", r->name);
	else
		pw_warn("%s: no tracing data: decoding with this machine's tracepoint formats",
			r->name);
	return err;
}

/* The order queue's consumer while pw_reader_load_threads() reads. */
static int keep_thread(const struct pw_qev *q, void *ctx)
{
	struct pw_reader *r = ctx;

	if (r->nr_thr == r->cap_thr) {
		size_t ncap = r->cap_thr ? r->cap_thr * 2 : 1024;
		struct pw_qev *nt = realloc(r->thr, ncap * sizeof(*nt));

		if (!nt)
			return PW_ENOMEM;
		r->thr = nt;
		r->cap_thr = ncap;
	}
	r->thr[r->nr_thr++] = *q;
	return 0;
}

int pw_reader_load_threads(struct pw_reader *r, uint64_t *nr_samples)
{
	int err = 0, ferr;
	file_swapped = r->swapped;

	if (!r->done) {
		r->threads_only = true;
		r->order.fn = keep_thread;
		r->order.ctx = r;
		err = read_records(r, false);
		ferr = pw_order_flush_all(&r->order);
		if (!err)
			err = ferr;
		r->order.fn = pw_derive_event;
		r->order.ctx = &r->derive;
		r->threads_only = false;
	}
	if (nr_samples)
		*nr_samples = r->nr_samples;
	if (!err && r->meta.partial)
		err = PW_ETRUNCATED;
	return err;
}

int pw_reader_feed(struct pw_reader *r, const struct pw_feed_sample *fs, pw_row_fn fn,
		   void *ctx)
{
	struct pw_qev q = { .time = fs->time, .cpu = fs->cpu, .pid = fs->pid, .tid = fs->tid };
	uint64_t idx;
	struct pw_tp *tp;
	int err, id;

	/* no file_swapped here: a thread-local variable costs a call per
	 * access in the plugin, and only the event id is read below */
	r->derive.fn = fn;
	r->derive.ctx = ctx;
	/* Thread records up to this time, before the sample (on a tie too:
	 * the file order of a tie is not known here). */
	while (r->next_thr < r->nr_thr && r->thr[r->next_thr].time <= fs->time)
		if ((err = pw_derive_event(&r->thr[r->next_thr++], &r->derive)))
			return err;
	if (!fs->raw || fs->raw_size < 8) {
		return pw_meta_add_dropped(&r->meta, fs->event_name ? fs->event_name :
					   "(not a tracepoint)", 1);
	}
	if (!r->td.parsed)
		return PW_ENOTRACING;
	id = ld16x(fs->raw, r->swapped);
	if ((err = tp_index(r, id, fs->event_name, &idx)))
		return err;
	tp = &r->tps[idx];
	if (tp->kind < 0) {
		tp->dropped++;
		return 0;
	}
	if (fs->comm && !pw_derive_comm_known(&r->derive, fs->tid, fs->pid, fs->comm)) {
		/* perf's own name for the sampling thread, for rows whose
		 * payload carries none (kvm_exit, kvm_entry); mostly the
		 * name it had at its last sample, and then nothing to do */
		struct pw_qev c = { .time = fs->time, .kind = PW_QK_COMM, .pid = fs->pid,
				    .tid = fs->tid };

		c.a_comm = pw_intern_id(r->strs, fs->comm, 64);
		if (!c.a_comm)
			return PW_ENOMEM;
		if ((err = pw_derive_event(&c, &r->derive)))
			return err;
	}
	err = pw_tp_decode(&r->td, tp, fs->raw, fs->raw_size, r->strs, &q);
	if (err == PW_EFORMAT) {
		r->meta.undecodable++;
		return 0;
	}
	if (err)
		return err;
	/* perf delivers samples in time order: no reordering here */
	return pw_derive_event(&q, &r->derive);
}

int pw_reader_feed_end(struct pw_reader *r)
{
	file_swapped = r->swapped;
	r->done = true;
	return finish(r, 0);
}
