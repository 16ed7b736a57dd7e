// SPDX-License-Identifier: MIT
/*
 * pwfixture.c - write perf.data files holding chosen tracepoint samples.
 *
 * Some events cannot be produced on a test machine (kvm_exit/kvm_entry
 * without a guest, sched_stat_* without schedstats), so tests describe the
 * samples they need in a small text "spec" and this tool writes the
 * perf.data file `perf record -a -e <tracepoints>` would have written for
 * them: file layout or pipe layout, little- or big-endian, with the real
 * tracing data (tracepoint formats) so that `perf script` and libtraceevent
 * decode the samples. The spec language is documented in
 * tests/tools/README.md and in --help.
 *
 * References: tools/perf/Documentation/perf.data-file-format.txt and, in
 * the perf sources, util/header.c (file header, features),
 * util/trace-event-info.c (tracing data as perf writes it) and
 * util/trace-event-read.c (what perf accepts).
 *
 * Byte order: every value is first built in a native struct or integer and
 * then stored in the chosen byte order field by field, the way a machine of
 * that byte order lays it out. The one oddity is the bitfield word of
 * perf_event_attr: a big-endian compiler allocates bitfields from the most
 * significant bit, which perf undoes by reversing the bits of each byte.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/perf_event.h>
#include <perf/event.h>

/*
 * Feature bits of the perf.data header (perf's util/header.h, documented in
 * perf.data-file-format.txt); libperf does not export them.
 */
enum fx_feat {
	FEAT_TRACING_DATA = 1,
	FEAT_HOSTNAME = 3,
	FEAT_OSRELEASE = 4,
	FEAT_VERSION = 5,
	FEAT_ARCH = 6,
	FEAT_NRCPUS = 7,
	FEAT_CPUID = 9,
	FEAT_CMDLINE = 11,
	FEAT_EVENT_DESC = 12,
	FEAT_SAMPLE_TIME = 21,
	/* HEADER_LAST_FEATURE of perf 6.1: the end-of-features mark of a pipe */
	FEAT_LAST_MARK = 32,
};
#define FEAT_BITS 256
#define NAME_ALIGN 64		/* perf pads feature strings to this */
#define PERF_MAGIC2 0x32454c4946524550ULL	/* "PERFILE2" read as a LE u64 */
#define FILE_HEADER_SIZE 104	/* struct perf_file_header */
#define TRACE_PAGE_SIZE 4096
#define TRACE_LONG_SIZE 8

/* What `perf record -a -e tracepoint` asks for. */
#define SAMPLE_TYPE (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | \
		     PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | \
		     PERF_SAMPLE_RAW)

/* Fixed texts of the metadata features, so that output is reproducible. */
#define META_HOSTNAME "fixture-host"
#define META_OSRELEASE "6.1.0-fixture"
#define META_VERSION "6.1"
#define META_ARCH "x86_64"
#define DEFAULT_CPUID "GenuineIntel,6,85,7"

/* The kernel's events/header_page and events/header_event (x86_64). */
static const char header_page_text[] =
	"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	"\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	"\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n";
static const char header_event_text[] =
	"# compressed entry header\n"
	"\ttype_len    :    5 bits\n"
	"\ttime_delta  :   27 bits\n"
	"\tarray       :   32 bits\n"
	"\n"
	"\tpadding     : type == 29\n"
	"\ttime_extend : type == 30\n"
	"\ttime_stamp : type == 31\n"
	"\tdata max type_len  == 28\n";

/* ---- errors ------------------------------------------------------------ */

static const char *prog = "pwfixture";
static const char *spec_name;	/* for messages: the spec file */
static unsigned spec_lineno;	/* line being processed, 0 when none */

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	if (spec_lineno)
		fprintf(stderr, "%s:%u: ", spec_name, spec_lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		spec_lineno = 0;
		die("out of memory");
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xrealloc(NULL, n), s, n);
}

/* ---- byte buffers in the output byte order ------------------------------ */

static bool out_be;		/* write big-endian */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static uint8_t *buf_grow(struct buf *b, size_t n)
{
	uint8_t *at;

	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	at = b->p + b->len;
	memset(at, 0, n);
	b->len += n;
	return at;
}

static void buf_put(struct buf *b, const void *d, size_t n)
{
	if (n)
		memcpy(buf_grow(b, n), d, n);
}

static void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* store_int - write the low @size bytes of @v at @dst in the output order */
static void store_int(void *dst, uint64_t v, unsigned size)
{
	uint8_t *p = dst;

	for (unsigned i = 0; i < size; i++)
		p[i] = v >> (8 * (out_be ? size - 1 - i : i));
}

static uint64_t load_native(const void *src, unsigned size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1: memcpy(&u8, src, 1); return u8;
	case 2: memcpy(&u16, src, 2); return u16;
	case 4: memcpy(&u32, src, 4); return u32;
	default: memcpy(&u64, src, 8); return u64;
	}
}

static void put_u16(struct buf *b, uint64_t v) { store_int(buf_grow(b, 2), v, 2); }
static void put_u32(struct buf *b, uint64_t v) { store_int(buf_grow(b, 4), v, 4); }
static void put_u64(struct buf *b, uint64_t v) { store_int(buf_grow(b, 8), v, 8); }

static void put_header(struct buf *b, uint32_t type, uint16_t misc, size_t size)
{
	if (size > UINT16_MAX)
		die("record of %zu bytes is larger than a perf record can be", size);
	put_u32(b, type);
	put_u16(b, misc);
	put_u16(b, size);
}

/*
 * A numeric member of a libperf record struct: where it is and how wide.
 * put_struct() copies a native struct and rewrites these members in the
 * output byte order, so the layout comes from perf/event.h, not from here.
 */
struct member {
	unsigned short off, size;
};
#define MEMBER(T, m) { offsetof(T, m), sizeof(((T *)0)->m) }
#define HEADER_MEMBERS(T) \
	MEMBER(T, header.type), MEMBER(T, header.misc), MEMBER(T, header.size)

static void put_struct(struct buf *b, const void *s, size_t len,
		       const struct member *m, size_t nr)
{
	uint8_t *dst = buf_grow(b, len);

	memcpy(dst, s, len);
	for (size_t i = 0; i < nr; i++)
		store_int(dst + m[i].off, load_native((const uint8_t *)s + m[i].off,
						      m[i].size), m[i].size);
}

static uint8_t revbyte(uint8_t x)
{
	x = (x & 0xf0) >> 4 | (x & 0x0f) << 4;
	x = (x & 0xcc) >> 2 | (x & 0x33) << 2;
	return (x & 0xaa) >> 1 | (x & 0x55) << 1;
}

/* Numeric members of perf_event_attr up to PERF_ATTR_SIZE_VER7. */
static const struct member attr_members[] = {
	MEMBER(struct perf_event_attr, type),
	MEMBER(struct perf_event_attr, size),
	MEMBER(struct perf_event_attr, config),
	MEMBER(struct perf_event_attr, sample_period),
	MEMBER(struct perf_event_attr, sample_type),
	MEMBER(struct perf_event_attr, read_format),
	MEMBER(struct perf_event_attr, wakeup_events),
	MEMBER(struct perf_event_attr, bp_type),
	MEMBER(struct perf_event_attr, config1),
	MEMBER(struct perf_event_attr, config2),
	MEMBER(struct perf_event_attr, branch_sample_type),
	MEMBER(struct perf_event_attr, sample_regs_user),
	MEMBER(struct perf_event_attr, sample_stack_user),
	MEMBER(struct perf_event_attr, clockid),
	MEMBER(struct perf_event_attr, sample_regs_intr),
	MEMBER(struct perf_event_attr, aux_watermark),
	MEMBER(struct perf_event_attr, sample_max_stack),
	MEMBER(struct perf_event_attr, __reserved_2),
	MEMBER(struct perf_event_attr, aux_sample_size),
	MEMBER(struct perf_event_attr, __reserved_3),
	MEMBER(struct perf_event_attr, sig_data),
};
#define ATTR_VER7 128
_Static_assert(sizeof(struct perf_event_attr) >= ATTR_VER7,
	       "linux/perf_event.h older than PERF_ATTR_SIZE_VER7");

/*
 * put_attr - a perf_event_attr in the output byte order
 *
 * The 64 one-bit flags after read_format: bit i of the little-endian word
 * is the i-th bitfield; a big-endian machine puts the i-th bitfield at bit
 * 7 - i%8 of byte i/8 (perf reverses the bits of each byte when it reads
 * such a file). Members newer than VER7 are written as u64 words.
 */
static void put_attr(struct buf *b, const struct perf_event_attr *a)
{
	size_t flags_off = offsetof(struct perf_event_attr, read_format) + 8;
	const uint8_t *src = (const void *)a;
	uint8_t *dst;
	uint64_t flags;

	put_struct(b, a, sizeof(*a), attr_members,
		   sizeof(attr_members) / sizeof(attr_members[0]));
	dst = b->p + b->len - sizeof(*a);

	memcpy(&flags, src + flags_off, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	{	/* native big-endian bitfields: the first one is bit 63 */
		uint64_t r = 0;

		for (int i = 0; i < 64; i++)
			r |= ((flags >> i) & 1) << (63 - i);
		flags = r;
	}
#endif
	for (int k = 0; k < 8; k++) {
		uint8_t byte = flags >> (8 * k);

		dst[flags_off + k] = out_be ? revbyte(byte) : byte;
	}
	for (size_t off = ATTR_VER7; off + 8 <= sizeof(*a); off += 8)
		store_int(dst + off, load_native(src + off, 8), 8);
}

/*
 * put_attr_sized - @a in @n bytes, its attr.size: cut after the first @n
 * bytes (an older ABI) or followed by zeros (a newer one)
 */
static void put_attr_sized(struct buf *b, const struct perf_event_attr *a, size_t n)
{
	size_t at = b->len;

	put_attr(b, a);
	if (n < sizeof(*a))
		b->len = at + n;
	else
		buf_grow(b, n - sizeof(*a));
}

/* A feature string: u32 length (padded to NAME_ALIGN, with the NUL), text. */
static void put_string(struct buf *b, const char *s)
{
	size_t len = strlen(s) + 1;
	size_t padded = (len + NAME_ALIGN - 1) / NAME_ALIGN * NAME_ALIGN;

	put_u32(b, padded);
	memcpy(buf_grow(b, padded), s, len);
}

/* ---- tracepoint formats ------------------------------------------------- */

enum field_kind {
	FIELD_INT,		/* 1, 2, 4 or 8 byte integer */
	FIELD_STR,		/* char name[N] */
	FIELD_DATALOC,		/* __data_loc char[] name: u32 (len << 16 | offset) */
	FIELD_OTHER,		/* anything else: cannot be set from a spec */
};

struct field {
	char *name;
	unsigned offset, size;
	bool is_signed;
	enum field_kind kind;
};

/* One event used by the spec: its format and its perf_event_attr. */
struct event {
	char *name;		/* kvm_exit */
	char *system;		/* kvm */
	char *path;		/* the .format file */
	uint64_t tp_id;		/* ID: line, = attr.config = common_type */
	char *text;		/* the format file, verbatim */
	size_t text_len;
	struct field *fields;
	size_t nr_fields;
	unsigned fixed_size;	/* end of the last fixed field */
	bool *given;		/* per field, reset for each sample */
};

static struct event *events;
static size_t nr_events;

static const char *formats_dir;
static const char *kvm_exit_format;	/* --kvm-exit-format */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = { 0 };
	size_t n;

	if (!f)
		return NULL;
	do {
		buf_grow(&b, 4096);
		b.len -= 4096;
		n = fread(b.p + b.len, 1, 4096, f);
		b.len += n;
		if (b.len > (1u << 20)) {
			fclose(f);
			die("%s: larger than 1 MiB, not a format file", path);
		}
	} while (n == 4096);
	if (ferror(f)) {
		int err = errno;

		fclose(f);
		die("%s: %s", path, strerror(err));
	}
	fclose(f);
	buf_grow(&b, 1);	/* NUL for parsing; not part of len */
	*len = b.len - 1;
	return (char *)b.p;
}

static bool parse_uint(const char *s, uint64_t *v);

/* field_attr - the number after "KEY:" in the rest of a field line */
static bool field_attr(const char *rest, const char *key, uint64_t *v)
{
	const char *p = strstr(rest, key);
	char num[32];
	size_t n;

	if (!p)
		return false;
	p += strlen(key);
	n = strcspn(p, ";");
	if (!p[n] || n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, p, n);
	num[n] = '\0';
	return parse_uint(num, v);
}

/*
 * parse_field_line - one "field:DECL;\toffset:N;\tsize:N;\tsigned:N;" line
 *
 * DECL is "TYPE NAME", "TYPE NAME[N]" or "__data_loc TYPE[] NAME".
 */
static bool parse_field_line(char *line, struct field *f)
{
	char *decl = line + strlen("field:");
	char *semi = strchr(decl, ';');
	char *p, *name;
	uint64_t off, size, sign;
	bool array;

	if (!semi)
		return false;
	*semi = '\0';
	if (!field_attr(semi + 1, "offset:", &off) || off > 0xffff ||
	    !field_attr(semi + 1, "size:", &size) || size > 0xffff ||
	    !field_attr(semi + 1, "signed:", &sign) || sign > 1)
		return false;
	while (*decl == ' ')
		decl++;
	p = decl + strlen(decl);
	while (p > decl && p[-1] == ' ')
		*--p = '\0';
	array = p > decl && p[-1] == ']';
	if (array) {
		char *bracket = strrchr(decl, '[');

		if (!bracket)
			return false;
		*bracket = '\0';
	}
	name = strrchr(decl, ' ');
	if (!name || !name[1])
		return false;
	*name++ = '\0';

	f->name = xstrdup(name);
	f->offset = off;
	f->size = size;
	f->is_signed = sign;
	if (!strncmp(decl, "__data_loc", 10))
		f->kind = size == 4 ? FIELD_DATALOC : FIELD_OTHER;
	else if (array)
		f->kind = !strcmp(decl, "char") || !strcmp(decl, "unsigned char") ?
			  FIELD_STR : FIELD_OTHER;
	else
		f->kind = size == 1 || size == 2 || size == 4 || size == 8 ?
			  FIELD_INT : FIELD_OTHER;
	return true;
}

/* load_format - read and check a .format file into @ev */
static void load_format(struct event *ev, const char *path)
{
	char *copy, *line, *save;
	bool have_name = false, have_id = false;
	unsigned lineno = 0;

	ev->path = xstrdup(path);
	ev->text = read_file(path, &ev->text_len);
	if (!ev->text)
		die("cannot read the format of %s: %s: %s (see --formats)",
		    ev->name, path, strerror(errno));

	copy = xstrdup(ev->text);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *l = line;

		lineno++;
		while (*l == ' ' || *l == '\t')
			l++;
		if (!strncmp(l, "name:", 5)) {
			l += 5;
			while (*l == ' ')
				l++;
			if (strcmp(l, ev->name))
				die("%s: names event '%s', expected '%s'", path, l, ev->name);
			have_name = true;
		} else if (!strncmp(l, "ID:", 3)) {
			l += 3;
			while (*l == ' ')
				l++;
			if (!parse_uint(l, &ev->tp_id))
				die("%s:%u: bad ID '%s'", path, lineno, l);
			have_id = true;
		} else if (!strncmp(l, "field:", 6)) {
			struct field f = { 0 };

			if (!parse_field_line(l, &f))
				die("%s:%u: cannot parse this field line", path, lineno);
			ev->fields = xrealloc(ev->fields, (ev->nr_fields + 1) * sizeof(f));
			ev->fields[ev->nr_fields++] = f;
			if (f.offset + f.size > ev->fixed_size)
				ev->fixed_size = f.offset + f.size;
		}
	}
	free(copy);
	if (!have_name || !have_id || !ev->nr_fields)
		die("%s: not a tracepoint format (needs name:, ID: and field: lines)", path);
	ev->given = xrealloc(NULL, ev->nr_fields * sizeof(*ev->given));
}

static struct field *find_field(struct event *ev, const char *name)
{
	for (size_t i = 0; i < ev->nr_fields; i++)
		if (!strcmp(ev->fields[i].name, name))
			return &ev->fields[i];
	return NULL;
}

static struct event *find_event(const char *name)
{
	for (size_t i = 0; i < nr_events; i++)
		if (!strcmp(events[i].name, name))
			return &events[i];
	return NULL;
}

/*
 * use_event - the event @spelled (NAME or SYSTEM:NAME), loading its format
 * on first use. Events are numbered in order of first use; that order is
 * the order of the attrs.
 */
static struct event *use_event(const char *spelled)
{
	const char *colon = strchr(spelled, ':');
	const char *name = colon ? colon + 1 : spelled;
	struct event *ev = find_event(name);
	char path[PATH_MAX];
	size_t syslen;

	if (!*name || strchr(name, '/') || name[0] == '.')
		die("bad event name '%s'", spelled);
	if (!ev) {
		nr_events++;
		events = xrealloc(events, nr_events * sizeof(*events));
		ev = &events[nr_events - 1];
		*ev = (struct event){ .name = xstrdup(name) };
		syslen = strcspn(name, "_");
		ev->system = xstrdup(name);
		ev->system[syslen] = '\0';

		if (!strcmp(name, "kvm_exit") && kvm_exit_format) {
			/* a name in the formats directory, else a path */
			snprintf(path, sizeof(path), "%s/%s", formats_dir, kvm_exit_format);
			if (strchr(kvm_exit_format, '/') || access(path, F_OK) != 0)
				snprintf(path, sizeof(path), "%s", kvm_exit_format);
		} else {
			snprintf(path, sizeof(path), "%s/%s.format", formats_dir, name);
		}
		load_format(ev, path);
		for (size_t i = 0; i + 1 < nr_events; i++)
			if (events[i].tp_id == ev->tp_id)
				die("%s and %s have the same ID %" PRIu64,
				    events[i].path, ev->path, ev->tp_id);
	}
	if (colon && (strncmp(spelled, ev->system, colon - spelled) ||
		      strlen(ev->system) != (size_t)(colon - spelled)))
		die("event '%s': the system of %s is '%s'", spelled, name, ev->system);
	return ev;
}

/* ---- the spec ----------------------------------------------------------- */

struct line {
	unsigned no;
	int ntok;
	char **tok;		/* point into text */
	char *text;
};

static struct line *lines;
static size_t nr_lines;

/*
 * tokenize - split @s at blanks; "double quotes" group (with \" and \\
 * inside); a '#' that starts a token starts a comment. Tokens are written
 * back into @s.
 */
static int tokenize(char *s, char ***tokv)
{
	char **tok = NULL;
	int n = 0;
	char *r = s, *w = s;

	for (;;) {
		bool quoted = false;
		char *start;

		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (!*r || *r == '#')
			break;
		start = w;
		while (*r && (quoted || !(*r == ' ' || *r == '\t' || *r == '\r' ||
					  *r == '\n'))) {
			if (*r == '"') {
				quoted = !quoted;
				r++;
				continue;
			}
			if (quoted && *r == '\\' && (r[1] == '"' || r[1] == '\\'))
				r++;
			*w++ = *r++;
		}
		if (quoted)
			die("unterminated \"quote\"");
		if (*r)
			r++;
		*w++ = '\0';
		tok = xrealloc(tok, (n + 1) * sizeof(*tok));
		tok[n++] = start;
	}
	*tokv = tok;
	return n;
}

static void read_spec(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *text = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned no = 0;

	spec_name = strcmp(path, "-") ? path : "<stdin>";
	if (!f)
		die("%s: %s", path, strerror(errno));
	while ((n = getline(&text, &cap, f)) >= 0) {
		struct line l = { .no = ++no };

		spec_lineno = no;
		if (memchr(text, '\0', n))
			die("NUL byte in the spec");
		l.ntok = tokenize(text, &l.tok);
		if (l.ntok) {
			/* tokens point into text: keep one copy per line */
			char *keep = xrealloc(NULL, n + 1);

			memcpy(keep, text, n + 1);
			for (int i = 0; i < l.ntok; i++)
				l.tok[i] = keep + (l.tok[i] - text);
			l.text = keep;
			lines = xrealloc(lines, (nr_lines + 1) * sizeof(*lines));
			lines[nr_lines++] = l;
		}
	}
	spec_lineno = 0;
	if (ferror(f))
		die("%s: %s", spec_name, strerror(errno));
	free(text);
	if (f != stdin)
		fclose(f);
}

/* parse_uint - decimal or 0x hex (never octal: "010" is ten), nothing else */
static bool parse_uint(const char *s, uint64_t *v)
{
	int base = 10;
	char *end;

	if (!s)
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!isxdigit((unsigned char)*s) || (base == 10 && !isdigit((unsigned char)*s)))
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return !errno && !*end;
}

static uint64_t want_uint(const char *s, const char *what, uint64_t max)
{
	uint64_t v;

	if (!parse_uint(s, &v) || v > max)
		die("%s: '%s' is not a number from 0 to %" PRIu64, what, s, max);
	return v;
}

/* A pid or tid: 0..2^32-1, or -1 as perf writes for "none". */
static uint32_t want_pid(const char *s, const char *what)
{
	if (!strcmp(s, "-1"))
		return UINT32_MAX;
	return want_uint(s, what, UINT32_MAX);
}

/* TIME: nanoseconds, or seconds with up to 9 decimals as perf script --ns prints it. */
static uint64_t want_time(const char *s)
{
	const char *dot = strchr(s, '.');
	uint64_t sec, ns = 0;
	char ipart[32];
	size_t ilen, flen;

	if (!dot)
		return want_uint(s, "TIME_NS", UINT64_MAX);
	ilen = dot - s;
	flen = strlen(dot + 1);
	if (ilen == 0 || ilen >= sizeof(ipart) || flen == 0 || flen > 9 ||
	    strspn(dot + 1, "0123456789") != flen)
		die("time '%s': give nanoseconds, or seconds with 1 to 9 decimals", s);
	memcpy(ipart, s, ilen);
	ipart[ilen] = '\0';
	if (strspn(ipart, "0123456789") != ilen || !parse_uint(ipart, &sec) ||
	    sec > UINT64_MAX / 1000000000ull)
		die("time '%s': bad seconds", s);
	for (size_t i = 0; i < 9; i++)
		ns = ns * 10 + (i < flen ? (uint64_t)(dot[1 + i] - '0') : 0);
	if (sec * 1000000000ull > UINT64_MAX - ns)
		die("time '%s' does not fit in 64 bits of nanoseconds", s);
	return sec * 1000000000ull + ns;
}

/*
 * field_value - the bits of an integer field: 0x hex or decimal; negative
 * values in two's complement. Any value that fits @size bytes as either
 * signed or unsigned is accepted (a bit pattern is what the spec sets).
 */
static uint64_t field_value(const struct field *f, const char *s)
{
	uint64_t umax = f->size == 8 ? UINT64_MAX : (1ull << (8 * f->size)) - 1;
	uint64_t v;

	if (s[0] == '-') {
		uint64_t mag, limit = 1ull << (8 * f->size - 1);	/* |smin| */

		if (!parse_uint(s + 1, &mag) || mag > limit)
			die("field %s: '%s' does not fit %u signed bytes", f->name, s, f->size);
		return (0 - mag) & umax;
	}
	if (!parse_uint(s, &v) || v > umax)
		die("field %s: '%s' is not a number that fits %u bytes", f->name, s, f->size);
	return v;
}

/* ---- state built from the spec ------------------------------------------ */

static uint32_t nr_cpus = 1;		/* highest CPU in the spec + 1 */
static uint64_t first_time = UINT64_MAX, last_time;	/* of samples */
static struct buf cmdlines;		/* saved_cmdlines: "tid comm\n" */
static bool no_rounds;
static const char *cpuid = DEFAULT_CPUID;
static const char *tracing_version = "0.6";
static struct buf data;			/* the data section / stream */

/* ids of an event: one per CPU, as perf record -a opens one per CPU */
static uint64_t event_id(const struct event *ev, uint32_t cpu)
{
	return (uint64_t)(ev - events) * nr_cpus + cpu + 1;
}

/*
 * Layout options, for every event or one (--attr-size [EVENT=]N,
 * --no-identifier[=EVENT], --no-sample-id-all[=EVENT]); the last one that
 * names an event, or names none, wins.
 */
struct evopt {
	const char *event;	/* without its system; NULL: every event */
	unsigned long v;
};
#define MAX_EVOPTS 64
static struct evopt attr_size_opts[MAX_EVOPTS], no_ident_opts[MAX_EVOPTS],
		    no_sid_opts[MAX_EVOPTS];
static size_t nr_attr_size_opts, nr_no_ident_opts, nr_no_sid_opts;

static void add_evopt(struct evopt *o, size_t *n, const char *event, unsigned long v)
{
	const char *colon = event ? strchr(event, ':') : NULL;

	if (*n == MAX_EVOPTS)
		die("more than %d layout options of one kind", MAX_EVOPTS);
	o[(*n)++] = (struct evopt){ colon ? colon + 1 : event, v };
}

static unsigned long evopt(const struct evopt *o, size_t n, const struct event *ev,
			   unsigned long dflt)
{
	for (size_t i = 0; i < n; i++)
		if (!o[i].event || !strcmp(o[i].event, ev->name))
			dflt = o[i].v;
	return dflt;
}

/* the size of @ev's perf_event_attr in the file: its attr.size */
static size_t attr_size_of(const struct event *ev)
{
	return evopt(attr_size_opts, nr_attr_size_opts, ev, sizeof(struct perf_event_attr));
}

/* IDENTIFIER (first in samples, last in trailers), or else ID after TIME */
static bool has_identifier(const struct event *ev)
{
	return !evopt(no_ident_opts, nr_no_ident_opts, ev, 0);
}

static bool has_sample_id_all(const struct event *ev)
{
	return !evopt(no_sid_opts, nr_no_sid_opts, ev, 0);
}

static void need_args(const struct line *l, int min, int max, const char *usage)
{
	if (l->ntok < min || l->ntok > max)
		die("expected: %s", usage);
}

static uint32_t want_cpu(const char *s)
{
	/* a bound that keeps ids and the id lists small */
	return want_uint(s, "CPU", 65535);
}

/* saved_cmdlines as the kernel prints them: "TID COMM" lines */
static void add_cmdline(uint32_t tid, const char *comm)
{
	char num[16];

	snprintf(num, sizeof(num), "%" PRIu32 " ", tid);
	buf_put(&cmdlines, num, strlen(num));
	buf_put(&cmdlines, comm, strlen(comm));
	buf_put(&cmdlines, "\n", 1);
}

/* Pass 1: which events, how many CPUs, the saved cmdlines, sample times. */
static void scan_spec(void)
{
	for (size_t i = 0; i < nr_lines; i++) {
		const struct line *l = &lines[i];
		const char *kw = l->tok[0];
		int cpu_tok = -1;

		spec_lineno = l->no;
		if (!strcmp(kw, "sample")) {
			uint64_t t;

			need_args(l, 6, INT_MAX,
				  "sample TIME_NS CPU PID TID EVENT [field=value ...]");
			t = want_time(l->tok[1]);
			if (t < first_time)
				first_time = t;
			if (t > last_time)
				last_time = t;
			cpu_tok = 2;
			use_event(l->tok[5]);
		} else if (!strcmp(kw, "event")) {
			need_args(l, 2, 2, "event EVENT");
			use_event(l->tok[1]);
		} else if (!strcmp(kw, "comm")) {
			need_args(l, 4, 6, "comm PID TID NAME [TIME_NS CPU]");
			if (l->ntok == 5)
				die("comm: give both TIME_NS and CPU, or neither");
			if (l->ntok == 6)
				cpu_tok = 5;
			if (strlen(l->tok[3]) > 15)
				die("comm '%s' is longer than the kernel's 15 characters",
				    l->tok[3]);
			if (strchr(l->tok[3], '\n'))
				die("comm with a newline");
			add_cmdline(want_pid(l->tok[2], "TID"), l->tok[3]);
		} else if (!strcmp(kw, "fork") || !strcmp(kw, "exit")) {
			need_args(l, 6, 7, "fork|exit PID PPID TID PTID TIME_NS [CPU]");
			if (l->ntok == 7)
				cpu_tok = 6;
		} else if (!strcmp(kw, "lost") || !strcmp(kw, "lost_samples")) {
			if (!strcmp(kw, "lost"))
				need_args(l, 3, 5, "lost ID|EVENT COUNT [TIME_NS CPU]");
			else
				need_args(l, 3, 5, "lost_samples ID|EVENT COUNT [TIME_NS CPU]");
			if (l->ntok == 4)
				die("%s: give both TIME_NS and CPU, or neither", kw);
			if (l->ntok == 5)
				cpu_tok = 4;
			if (!parse_uint(l->tok[1], &(uint64_t){ 0 }))
				use_event(l->tok[1]);	/* an event name, not an id */
		} else if (!strcmp(kw, "round")) {
			need_args(l, 1, 1, "round");
		} else {
			die("unknown line '%s' (sample, event, comm, fork, exit, lost, "
			    "lost_samples, round)", kw);
		}
		if (cpu_tok >= 0) {
			uint32_t cpu = want_cpu(l->tok[cpu_tok]);

			if (cpu + 1 > nr_cpus)
				nr_cpus = cpu + 1;
		}
	}
	spec_lineno = 0;
	if (!nr_events)
		die("%s: no sample or event line: a perf.data file needs at least one event",
		    spec_name);
	if (first_time == UINT64_MAX)
		first_time = 0;
}

/*
 * The sample_id_all trailer of a record @ev's buffer carries, for
 * TID|TIME|CPU and IDENTIFIER (pid, tid, time, cpu, id) or ID (pid, tid,
 * time, id, cpu); nothing when @ev has no sample_id_all.
 */
static void put_id_trailer(struct buf *b, const struct event *ev, uint32_t pid,
			   uint32_t tid, uint64_t time, uint32_t cpu, uint64_t id)
{
	if (!has_sample_id_all(ev))
		return;
	put_u32(b, pid);
	put_u32(b, tid);
	put_u64(b, time);
	if (!has_identifier(ev))
		put_u64(b, id);
	put_u32(b, cpu);
	put_u32(b, 0);
	if (has_identifier(ev))
		put_u64(b, id);
}

static size_t id_trailer_size(const struct event *ev)
{
	return has_sample_id_all(ev) ? 32 : 0;
}

/*
 * "ID|EVENT": a number is written as is (it may match no attr, on purpose);
 * *@ev is the event whose buffer the record is in (the first for a number).
 */
static uint64_t want_id(const char *s, uint32_t cpu, const struct event **ev)
{
	uint64_t v;

	*ev = &events[0];
	if (parse_uint(s, &v))
		return v;
	*ev = use_event(s);
	return event_id(*ev, cpu);
}

static void emit_sample(const struct line *l)
{
	static struct buf payload;	/* reused: no allocation per sample */
	uint64_t time = want_time(l->tok[1]);
	uint32_t cpu = want_cpu(l->tok[2]);
	uint32_t pid = want_pid(l->tok[3], "PID");
	uint32_t tid = want_pid(l->tok[4], "TID");
	struct event *ev = use_event(l->tok[5]);
	struct field *f;
	size_t raw_size, size;

	payload.len = 0;
	buf_grow(&payload, ev->fixed_size);
	memset(ev->given, 0, ev->nr_fields * sizeof(*ev->given));
	if ((f = find_field(ev, "common_type")) && f->kind == FIELD_INT)
		store_int(payload.p + f->offset, ev->tp_id, f->size);
	if ((f = find_field(ev, "common_pid")) && f->kind == FIELD_INT)
		store_int(payload.p + f->offset, tid, f->size);

	for (int i = 6; i < l->ntok; i++) {
		char *eq = strchr(l->tok[i], '=');
		bool optional;
		const char *val;
		size_t len;

		if (!eq || eq == l->tok[i])
			die("'%s': expected field=value", l->tok[i]);
		/* field?=value: only if the format has the field (layouts differ) */
		optional = eq[-1] == '?';
		eq[-optional] = '\0';
		val = eq + 1;
		f = find_field(ev, l->tok[i]);
		if (!f && optional) {
			eq[-optional] = optional ? '?' : '=';
			continue;
		}
		if (!f)
			die("%s has no field '%s' (see %s)", ev->name, l->tok[i], ev->path);
		if (ev->given[f - ev->fields])
			die("field %s given twice", f->name);
		ev->given[f - ev->fields] = true;
		switch (f->kind) {
		case FIELD_INT:
			store_int(payload.p + f->offset, field_value(f, val), f->size);
			break;
		case FIELD_STR:
			len = strlen(val);
			if (len >= f->size)
				die("field %s: '%s' is longer than %u characters",
				    f->name, val, f->size - 1);
			memcpy(payload.p + f->offset, val, len);
			break;
		case FIELD_DATALOC:
			len = strlen(val) + 1;
			if (payload.len + len > 0xffff)
				die("field %s: string too long", f->name);
			store_int(payload.p + f->offset, len << 16 | payload.len, 4);
			buf_put(&payload, val, len);
			break;
		case FIELD_OTHER:
			die("field %s: only integers, char arrays and __data_loc strings can be set",
			    f->name);
		}
		eq[-optional] = optional ? '?' : '=';
	}
	/* __data_loc fields not given: an empty string, as the kernel would store */
	for (size_t i = 0; i < ev->nr_fields; i++) {
		f = &ev->fields[i];
		if (f->kind == FIELD_DATALOC && !ev->given[i]) {
			store_int(payload.p + f->offset, 1u << 16 | payload.len, 4);
			buf_grow(&payload, 1);
		}
	}

	/* the kernel pads u32 size + raw data to a multiple of 8 */
	raw_size = align8(4 + payload.len) - 4;
	size = sizeof(struct perf_event_header) + 8 * 6 + 4 + raw_size;
	put_header(&data, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL, size);
	if (has_identifier(ev))
		put_u64(&data, event_id(ev, cpu));	/* IDENTIFIER */
	put_u64(&data, 0);			/* IP */
	put_u32(&data, pid);			/* TID */
	put_u32(&data, tid);
	put_u64(&data, time);			/* TIME */
	if (!has_identifier(ev))
		put_u64(&data, event_id(ev, cpu));	/* ID */
	put_u32(&data, cpu);			/* CPU */
	put_u32(&data, 0);
	put_u64(&data, 1);			/* PERIOD */
	put_u32(&data, raw_size);		/* RAW */
	buf_put(&data, payload.p, payload.len);
	buf_grow(&data, raw_size - payload.len);
}

static void emit_comm(const struct line *l)
{
	static const struct member m[] = {
		HEADER_MEMBERS(struct perf_record_comm),
		MEMBER(struct perf_record_comm, pid),
		MEMBER(struct perf_record_comm, tid),
	};
	const char *name = l->tok[3];
	size_t name_size = align8(strlen(name) + 1);	/* as the kernel pads it */
	size_t fixed = offsetof(struct perf_record_comm, comm);
	uint64_t time = l->ntok > 4 ? want_time(l->tok[4]) : 0;
	uint32_t cpu = l->ntok > 5 ? want_cpu(l->tok[5]) : 0;
	struct perf_record_comm c = {
		.header = { .type = PERF_RECORD_COMM,
			    .size = fixed + name_size + id_trailer_size(&events[0]) },
		.pid = want_pid(l->tok[1], "PID"),
		.tid = want_pid(l->tok[2], "TID"),
	};

	put_struct(&data, &c, fixed, m, sizeof(m) / sizeof(m[0]));
	memcpy(buf_grow(&data, name_size), name, strlen(name));
	put_id_trailer(&data, &events[0], c.pid, c.tid, time, cpu, event_id(&events[0], cpu));
}

/* fork: the trailer names the parent (the task running); exit: the task */
static void emit_fork_exit(const struct line *l, uint32_t type)
{
	static const struct member m[] = {
		HEADER_MEMBERS(struct perf_record_fork),
		MEMBER(struct perf_record_fork, pid),
		MEMBER(struct perf_record_fork, ppid),
		MEMBER(struct perf_record_fork, tid),
		MEMBER(struct perf_record_fork, ptid),
		MEMBER(struct perf_record_fork, time),
	};
	uint32_t cpu = l->ntok > 6 ? want_cpu(l->tok[6]) : 0;
	struct perf_record_fork r = {
		.header = { .type = type,
			    .size = sizeof(r) + id_trailer_size(&events[0]) },
		.pid = want_pid(l->tok[1], "PID"),
		.ppid = want_pid(l->tok[2], "PPID"),
		.tid = want_pid(l->tok[3], "TID"),
		.ptid = want_pid(l->tok[4], "PTID"),
		.time = want_time(l->tok[5]),
	};

	put_struct(&data, &r, sizeof(r), m, sizeof(m) / sizeof(m[0]));
	if (type == PERF_RECORD_FORK)
		put_id_trailer(&data, &events[0], r.ppid, r.ptid, r.time, cpu,
			       event_id(&events[0], cpu));
	else
		put_id_trailer(&data, &events[0], r.pid, r.tid, r.time, cpu,
			       event_id(&events[0], cpu));
}

static void emit_lost(const struct line *l)
{
	static const struct member m[] = {
		HEADER_MEMBERS(struct perf_record_lost),
		MEMBER(struct perf_record_lost, id),
		MEMBER(struct perf_record_lost, lost),
	};
	uint64_t time = l->ntok > 3 ? want_time(l->tok[3]) : 0;
	uint32_t cpu = l->ntok > 4 ? want_cpu(l->tok[4]) : 0;
	const struct event *ev;
	uint64_t id = want_id(l->tok[1], cpu, &ev);
	struct perf_record_lost r = {
		.header = { .type = PERF_RECORD_LOST,
			    .size = sizeof(r) + id_trailer_size(ev) },
		.id = id,
		.lost = want_uint(l->tok[2], "COUNT", UINT64_MAX),
	};

	put_struct(&data, &r, sizeof(r), m, sizeof(m) / sizeof(m[0]));
	put_id_trailer(&data, ev, UINT32_MAX, UINT32_MAX, time, cpu, r.id);
}

static void emit_lost_samples(const struct line *l)
{
	static const struct member m[] = {
		HEADER_MEMBERS(struct perf_record_lost_samples),
		MEMBER(struct perf_record_lost_samples, lost),
	};
	uint64_t time = l->ntok > 3 ? want_time(l->tok[3]) : 0;
	uint32_t cpu = l->ntok > 4 ? want_cpu(l->tok[4]) : 0;
	const struct event *ev;
	uint64_t id = want_id(l->tok[1], cpu, &ev);
	struct perf_record_lost_samples r = {
		.header = { .type = PERF_RECORD_LOST_SAMPLES,
			    .size = sizeof(r) + id_trailer_size(ev) },
		.lost = want_uint(l->tok[2], "COUNT", UINT64_MAX),
	};

	put_struct(&data, &r, sizeof(r), m, sizeof(m) / sizeof(m[0]));
	put_id_trailer(&data, ev, UINT32_MAX, UINT32_MAX, time, cpu, id);
}

/* Pass 2: the records, in line order. */
static void emit_data(void)
{
	for (size_t i = 0; i < nr_lines; i++) {
		const struct line *l = &lines[i];
		const char *kw = l->tok[0];

		spec_lineno = l->no;
		if (!strcmp(kw, "sample"))
			emit_sample(l);
		else if (!strcmp(kw, "comm"))
			emit_comm(l);
		else if (!strcmp(kw, "fork"))
			emit_fork_exit(l, PERF_RECORD_FORK);
		else if (!strcmp(kw, "exit"))
			emit_fork_exit(l, PERF_RECORD_EXIT);
		else if (!strcmp(kw, "lost"))
			emit_lost(l);
		else if (!strcmp(kw, "lost_samples"))
			emit_lost_samples(l);
		else if (!strcmp(kw, "round") && !no_rounds)
			put_header(&data, PERF_RECORD_FINISHED_ROUND, 0,
				   sizeof(struct perf_event_header));
	}
	spec_lineno = 0;
}

/* ---- attrs, tracing data, features --------------------------------------- */

static struct perf_event_attr event_attr(const struct event *ev)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = attr_size_of(ev),
		.config = ev->tp_id,
		.sample_period = 1,
		.sample_type = has_identifier(ev) ? SAMPLE_TYPE :
			       (SAMPLE_TYPE & ~(uint64_t)PERF_SAMPLE_IDENTIFIER) | PERF_SAMPLE_ID,
		.read_format = PERF_FORMAT_ID | PERF_FORMAT_LOST,
		.disabled = 1,
		.inherit = 1,
		.sample_id_all = has_sample_id_all(ev),
		.exclude_guest = 1,
	};

	/* the first event also carries the task records, as perf did before dummy events */
	if (ev == &events[0]) {
		a.comm = 1;
		a.task = 1;
	}
	return a;
}

static void put_ids(struct buf *b, const struct event *ev)
{
	for (uint32_t cpu = 0; cpu < nr_cpus; cpu++)
		put_u64(b, event_id(ev, cpu));
}

/* The u64-sized-text blocks of the tracing data. */
static void put_sized_text(struct buf *b, const char *text, size_t len)
{
	put_u64(b, len);
	buf_put(b, text, len);
}

/*
 * build_tracing_data - HEADER_TRACING_DATA as perf's trace-event-info.c
 * writes it: magic "\027\010\104tracing", version, byte order, long size,
 * page size, header_page, header_event, ftrace event formats (none), event
 * systems with their formats, kallsyms (empty), printk formats (empty) and,
 * from version 0.6, saved cmdlines.
 */
static void build_tracing_data(struct buf *b)
{
	static const char magic[] = { 23, 8, 68, 't', 'r', 'a', 'c', 'i', 'n', 'g' };
	const char **systems = NULL;
	uint32_t nr_systems = 0;

	buf_put(b, magic, sizeof(magic));
	buf_put(b, tracing_version, strlen(tracing_version) + 1);
	buf_put(b, (uint8_t[]){ out_be }, 1);
	buf_put(b, (uint8_t[]){ TRACE_LONG_SIZE }, 1);
	put_u32(b, TRACE_PAGE_SIZE);

	buf_put(b, "header_page", 12);
	put_sized_text(b, header_page_text, strlen(header_page_text));
	buf_put(b, "header_event", 13);
	put_sized_text(b, header_event_text, strlen(header_event_text));

	put_u32(b, 0);		/* ftrace formats */

	/* systems in order of first use, then their events in order of first use */
	for (size_t i = 0; i < nr_events; i++) {
		bool seen = false;

		for (uint32_t s = 0; s < nr_systems; s++)
			seen |= !strcmp(systems[s], events[i].system);
		if (!seen) {
			systems = xrealloc(systems, (nr_systems + 1) * sizeof(*systems));
			systems[nr_systems++] = events[i].system;
		}
	}
	put_u32(b, nr_systems);
	for (uint32_t s = 0; s < nr_systems; s++) {
		uint32_t count = 0;

		buf_put(b, systems[s], strlen(systems[s]) + 1);
		for (size_t i = 0; i < nr_events; i++)
			count += !strcmp(events[i].system, systems[s]);
		put_u32(b, count);
		for (size_t i = 0; i < nr_events; i++)
			if (!strcmp(events[i].system, systems[s]))
				put_sized_text(b, events[i].text, events[i].text_len);
	}
	free(systems);

	put_u32(b, 0);		/* kallsyms: perf writes none any more */
	put_u32(b, 0);		/* printk formats */
	if (strcmp(tracing_version, "0.5"))
		put_sized_text(b, (const char *)cmdlines.p, cmdlines.len);
}

struct feature {
	enum fx_feat id;
	struct buf body;
};

static const char *cmdline_argv[4];
static int cmdline_argc;

/* The feature sections, in feature-bit order (the order perf writes them). */
static size_t build_features(struct feature *f, bool with_tracing_data)
{
	size_t n = 0;

	if (with_tracing_data) {
		f[n].id = FEAT_TRACING_DATA;
		build_tracing_data(&f[n++].body);
	}
	f[n].id = FEAT_HOSTNAME;
	put_string(&f[n++].body, META_HOSTNAME);
	f[n].id = FEAT_OSRELEASE;
	put_string(&f[n++].body, META_OSRELEASE);
	f[n].id = FEAT_VERSION;
	put_string(&f[n++].body, META_VERSION);
	f[n].id = FEAT_ARCH;
	put_string(&f[n++].body, META_ARCH);

	f[n].id = FEAT_NRCPUS;	/* nr_cpus_avail, nr_cpus_online */
	put_u32(&f[n].body, nr_cpus);
	put_u32(&f[n++].body, nr_cpus);

	f[n].id = FEAT_CPUID;
	put_string(&f[n++].body, cpuid);

	f[n].id = FEAT_CMDLINE;
	put_u32(&f[n].body, cmdline_argc);
	for (int i = 0; i < cmdline_argc; i++)
		put_string(&f[n].body, cmdline_argv[i]);
	n++;

	f[n].id = FEAT_EVENT_DESC;	/* nr, attr size, then attr, nr ids, name, ids */
	put_u32(&f[n].body, nr_events);
	put_u32(&f[n].body, sizeof(struct perf_event_attr));
	for (size_t i = 0; i < nr_events; i++) {
		struct perf_event_attr a = event_attr(&events[i]);
		char name[256];

		a.size = sizeof(a);	/* one attr size for every event here */
		snprintf(name, sizeof(name), "%s:%s", events[i].system, events[i].name);
		put_attr(&f[n].body, &a);
		put_u32(&f[n].body, nr_cpus);
		put_string(&f[n].body, name);
		put_ids(&f[n].body, &events[i]);
	}
	n++;

	f[n].id = FEAT_SAMPLE_TIME;
	put_u64(&f[n].body, first_time);
	put_u64(&f[n++].body, last_time);
	return n;
}
#define MAX_FEATURES 16

/* ---- the two layouts ----------------------------------------------------- */

/*
 * File layout: header, id lists, attrs (attr + ids section), data, then the
 * feature section table and the sections, as perf_session__write_header()
 * lays them out.
 */
static void build_file(struct buf *out)
{
	struct feature feat[MAX_FEATURES] = { 0 };
	size_t nr_feat = build_features(feat, true);
	size_t attr_size = 0;	/* the largest attr + its ids section; smaller ones padded */
	size_t ids_off = FILE_HEADER_SIZE;
	size_t ids_size = (size_t)nr_cpus * 8;
	size_t attrs_off = ids_off + nr_events * ids_size;
	size_t data_off;
	uint64_t bitmap[FEAT_BITS / 64] = { 0 };
	uint64_t sec_off;

	for (size_t i = 0; i < nr_events; i++)
		if (attr_size_of(&events[i]) + 16 > attr_size)
			attr_size = attr_size_of(&events[i]) + 16;
	data_off = attrs_off + nr_events * attr_size;
	put_u64(out, PERF_MAGIC2);
	put_u64(out, FILE_HEADER_SIZE);
	put_u64(out, attr_size);
	put_u64(out, attrs_off);		/* attrs */
	put_u64(out, nr_events * attr_size);
	put_u64(out, data_off);			/* data */
	put_u64(out, data.len);
	put_u64(out, 0);			/* event_types: unused */
	put_u64(out, 0);
	for (size_t i = 0; i < nr_feat; i++)
		bitmap[feat[i].id / 64] |= 1ull << (feat[i].id % 64);
	for (size_t i = 0; i < FEAT_BITS / 64; i++)
		put_u64(out, bitmap[i]);

	for (size_t i = 0; i < nr_events; i++)
		put_ids(out, &events[i]);
	for (size_t i = 0; i < nr_events; i++) {
		struct perf_event_attr a = event_attr(&events[i]);

		put_attr_sized(out, &a, a.size);
		buf_grow(out, attr_size - 16 - a.size);
		put_u64(out, ids_off + i * ids_size);
		put_u64(out, ids_size);
	}
	buf_put(out, data.p, data.len);

	sec_off = out->len + nr_feat * 16;
	for (size_t i = 0; i < nr_feat; i++) {
		put_u64(out, sec_off);
		put_u64(out, feat[i].body.len);
		sec_off += feat[i].body.len;
	}
	for (size_t i = 0; i < nr_feat; i++) {
		buf_put(out, feat[i].body.p, feat[i].body.len);
		buf_free(&feat[i].body);
	}
}

/*
 * Pipe layout, in the order perf record -o - writes it: 16-byte header,
 * HEADER_ATTR records, HEADER_FEATURE records and the end-of-features mark
 * (their sizes need not be multiples of 8: perf does not pad them), then
 * HEADER_TRACING_DATA followed by the tracing data padded to 8 bytes, then
 * the data.
 */
static void build_pipe(struct buf *out)
{
	static const struct member feat_m[] = {
		HEADER_MEMBERS(struct perf_record_header_feature),
		MEMBER(struct perf_record_header_feature, feat_id),
	};
	static const struct member td_m[] = {
		HEADER_MEMBERS(struct perf_record_header_tracing_data),
		MEMBER(struct perf_record_header_tracing_data, size),
	};
	struct feature feat[MAX_FEATURES] = { 0 };
	size_t nr_feat = build_features(feat, false);
	struct buf td = { 0 };
	struct perf_record_header_feature fh;
	struct perf_record_header_tracing_data th;

	put_u64(out, PERF_MAGIC2);
	put_u64(out, 16);

	for (size_t i = 0; i < nr_events; i++) {
		struct perf_event_attr a = event_attr(&events[i]);

		put_header(out, PERF_RECORD_HEADER_ATTR, 0,
			   offsetof(struct perf_record_header_attr, attr) + a.size +
			   (size_t)nr_cpus * 8);
		put_attr_sized(out, &a, a.size);
		put_ids(out, &events[i]);
	}

	for (size_t i = 0; i <= nr_feat; i++) {
		bool mark = i == nr_feat;
		size_t len = mark ? 0 : feat[i].body.len;

		fh = (struct perf_record_header_feature){
			.header = { .type = PERF_RECORD_HEADER_FEATURE,
				    .size = sizeof(fh) + len },
			.feat_id = mark ? FEAT_LAST_MARK : feat[i].id,
		};
		if (sizeof(fh) + len > UINT16_MAX)
			die("feature %d too large for a pipe record", feat[i].id);
		put_struct(out, &fh, sizeof(fh), feat_m, sizeof(feat_m) / sizeof(feat_m[0]));
		if (!mark) {
			buf_put(out, feat[i].body.p, len);
			buf_free(&feat[i].body);
		}
	}

	build_tracing_data(&td);
	th = (struct perf_record_header_tracing_data){
		.header = { .type = PERF_RECORD_HEADER_TRACING_DATA, .size = sizeof(th) },
		.size = align8(td.len),
	};
	put_struct(out, &th, sizeof(th), td_m, sizeof(td_m) / sizeof(td_m[0]));
	buf_put(out, td.p, td.len);
	buf_grow(out, align8(td.len) - td.len);
	buf_free(&td);

	buf_put(out, data.p, data.len);
}

/* ---- output ---------------------------------------------------------------- */

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= w;
	}
	return true;
}

/*
 * write_output - @b to stdout ("-"), straight into @path when that exists
 * and is not a regular file (/dev/null, a FIFO: never replace those), else
 * atomically: a temporary file next to @path renamed over it.
 */
static void write_output(const char *path, const struct buf *b)
{
	struct stat st;
	char *tmp;
	int fd, err;

	if (!strcmp(path, "-")) {
		if (!write_all(STDOUT_FILENO, b->p, b->len))
			die("writing to stdout: %s", strerror(errno));
		return;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		fd = open(path, O_WRONLY);
		if (fd < 0 || !write_all(fd, b->p, b->len))
			die("%s: %s", path, strerror(errno));
		if (close(fd))
			die("%s: %s", path, strerror(errno));
		return;
	}
	tmp = xrealloc(NULL, strlen(path) + 16);
	sprintf(tmp, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		die("%s: cannot create a temporary file next to it: %s", path, strerror(errno));
	if (!write_all(fd, b->p, b->len) || fchmod(fd, 0644) || fsync(fd)) {
		err = errno;
		close(fd);
		unlink(tmp);
		die("%s: %s", tmp, strerror(err));
	}
	if (close(fd) || rename(tmp, path)) {
		err = errno;
		unlink(tmp);
		die("%s: %s", path, strerror(err));
	}
	free(tmp);
}

/* ---- main ------------------------------------------------------------------- */

/* free_all - everything the spec and its formats allocated (for leak checkers) */
static void free_all(void)
{
	for (size_t i = 0; i < nr_events; i++) {
		struct event *ev = &events[i];

		for (size_t f = 0; f < ev->nr_fields; f++)
			free(ev->fields[f].name);
		free(ev->fields);
		free(ev->given);
		free(ev->name);
		free(ev->system);
		free(ev->path);
		free(ev->text);
	}
	free(events);
	for (size_t i = 0; i < nr_lines; i++) {
		free(lines[i].text);
		free(lines[i].tok);
	}
	free(lines);
	buf_free(&data);
	buf_free(&cmdlines);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * default_formats_dir - tests/data/formats of this repository: under
 * $PW_TOP, else found walking up from the binary (build/tests/pwfixture),
 * else relative to the current directory.
 */
static const char *default_formats_dir(void)
{
	static char path[PATH_MAX + 32];
	const char *top = getenv("PW_TOP");
	char exe[PATH_MAX];
	ssize_t n;

	if (top && *top) {
		snprintf(path, sizeof(path), "%s/tests/data/formats", top);
		if (is_dir(path))
			return path;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		for (int up = 0; up < 5; up++) {
			char *slash = strrchr(exe, '/');

			if (!slash)
				break;
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/tests/data/formats", exe);
			if (is_dir(path))
				return path;
		}
	}
	return "tests/data/formats";
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: pwfixture [--pipe] [--big-endian] [--formats DIR] [--kvm-exit-format FILE]\n"
"                 [--cpuid STR] [--no-rounds] [--tracing-version 0.5|0.6]\n"
"                 -o OUT|- SPEC|-\n"
"\n"
"Write a perf.data file holding the records a SPEC describes, as\n"
"`perf record -a -e <tracepoints>` would have written them.\n"
"\n"
"  -o, --output OUT        output file (written atomically), or - for stdout\n"
"  -p, --pipe              pipe layout (perf record -o -) instead of file layout\n"
"  -B, --big-endian        write everything big-endian, as a big-endian machine would\n"
"  -f, --formats DIR       tracepoint .format files (default: tests/data/formats of\n"
"                          this repository, found from $PW_TOP or the binary's path)\n"
"  -k, --kvm-exit-format FILE\n"
"                          format for kvm_exit (a path, or a name in DIR), e.g.\n"
"                          kvm_exit-linux4.format\n"
"  -c, --cpuid STR         CPUID feature (default " DEFAULT_CPUID "; perf kvm stat\n"
"                          picks VMX for Intel, SVM for AMD, e.g. AuthenticAMD,25,1,1)\n"
"  -n, --no-rounds         omit FINISHED_ROUND records even where the spec has `round`\n"
"  -t, --tracing-version V tracing data version 0.6 (default, with saved cmdlines) or 0.5\n"
"      --attr-size [EVENT=]N  perf_event_attr of N bytes (64, the first ABI, to 4096,\n"
"                          a multiple of 8: cut, or zero-extended), for every event\n"
"                          or for EVENT; the file layout pads each to the largest\n"
"      --no-identifier[=EVENT]  sample_type ID after TIME instead of IDENTIFIER\n"
"      --no-sample-id-all[=EVENT]  no sample_id_all: no trailer on the records of\n"
"                          that event's buffer (COMM/FORK/EXIT: the first event's)\n"
"  -h, --help              this text\n"
"\n"
"SPEC lines (# comments and blank lines are ignored; records are written in\n"
"line order; \"double quotes\" group words; TIME_NS is nanoseconds or\n"
"seconds.nanoseconds as perf script --ns prints it):\n"
"  sample TIME_NS CPU PID TID EVENT [field=value ...]\n"
"        a tracepoint sample of EVENT (a name with DIR/EVENT.format). Fields by\n"
"        name: integers (decimal, 0x hex, negative), char[N] and __data_loc\n"
"        strings. Unset fields are 0; common_type is the format's ID,\n"
"        common_pid is TID. field?=value sets the field only if the format\n"
"        has it (e.g. vcpu_id?=1 for both kvm_exit layouts).\n"
"  event EVENT                          declare an event without samples\n"
"  comm PID TID NAME [TIME_NS CPU]      PERF_RECORD_COMM\n"
"  fork PID PPID TID PTID TIME_NS [CPU] PERF_RECORD_FORK\n"
"  exit PID PPID TID PTID TIME_NS [CPU] PERF_RECORD_EXIT\n"
"  lost ID|EVENT COUNT [TIME_NS CPU]    PERF_RECORD_LOST (EVENT: its id on CPU)\n"
"  lost_samples ID|EVENT COUNT [TIME_NS CPU]  PERF_RECORD_LOST_SAMPLES\n"
"  round                                PERF_RECORD_FINISHED_ROUND\n"
"\n"
"One attr per event, in order of first use, sample_type\n"
"IDENTIFIER|IP|TID|TIME|CPU|PERIOD|RAW with sample_id_all; event number e\n"
"(from 0) has one id per CPU: e * NRCPUS + cpu + 1, NRCPUS being the highest\n"
"CPU in the spec + 1. See tests/tools/README.md.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "pipe", no_argument, NULL, 'p' },
		{ "big-endian", no_argument, NULL, 'B' },
		{ "formats", required_argument, NULL, 'f' },
		{ "kvm-exit-format", required_argument, NULL, 'k' },
		{ "cpuid", required_argument, NULL, 'c' },
		{ "no-rounds", no_argument, NULL, 'n' },
		{ "tracing-version", required_argument, NULL, 't' },
		{ "attr-size", required_argument, NULL, 256 },
		{ "no-identifier", optional_argument, NULL, 257 },
		{ "no-sample-id-all", optional_argument, NULL, 258 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *spec;
	bool pipe = false;
	struct buf file = { 0 };
	const char *base;
	int c;

	while ((c = getopt_long(argc, argv, "o:pBf:k:c:nt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'p': pipe = true; break;
		case 'B': out_be = true; break;
		case 'f': formats_dir = optarg; break;
		case 'k': kvm_exit_format = optarg; break;
		case 'c': cpuid = optarg; break;
		case 'n': no_rounds = true; break;
		case 't':
			if (strcmp(optarg, "0.5") && strcmp(optarg, "0.6"))
				die("--tracing-version: 0.5 or 0.6, not '%s'", optarg);
			tracing_version = optarg;
			break;
		case 256: {
			char *eq = strrchr(optarg, '='), *end;
			unsigned long n;

			errno = 0;
			n = strtoul(eq ? eq + 1 : optarg, &end, 10);
			if (errno || *end || end == (eq ? eq + 1 : optarg) || n < 64 || n > 4096 ||
			    n % 8) {
				fprintf(stderr, "%s: --attr-size: [EVENT=]N, N a multiple of 8 "
					"from 64 to 4096, not '%s'\n", prog, optarg);
				return 2;
			}
			if (eq)
				*eq = '\0';
			add_evopt(attr_size_opts, &nr_attr_size_opts, eq ? optarg : NULL, n);
			break;
		}
		case 257:
			add_evopt(no_ident_opts, &nr_no_ident_opts, optarg, 1);
			break;
		case 258:
			add_evopt(no_sid_opts, &nr_no_sid_opts, optarg, 1);
			break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "%s: see --help\n", prog);
			return 2;
		}
	}
	if (!out || optind != argc - 1) {
		fprintf(stderr, "%s: %s (see --help)\n", prog,
			!out ? "-o OUT is required" : "exactly one SPEC is required");
		return 2;
	}
	spec = argv[optind];
	if (!formats_dir)
		formats_dir = default_formats_dir();
	if (!is_dir(formats_dir))
		die("formats directory '%s' not found (use --formats DIR or set PW_TOP)",
		    formats_dir);

	base = strrchr(spec, '/');
	cmdline_argv[cmdline_argc++] = "pwfixture";
	cmdline_argv[cmdline_argc++] = base ? base + 1 : spec;

	read_spec(spec);
	scan_spec();
	emit_data();
	if (pipe)
		build_pipe(&file);
	else
		build_file(&file);
	write_output(out, &file);
	buf_free(&file);
	free_all();
	return 0;
}
