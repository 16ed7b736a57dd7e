// SPDX-License-Identifier: MIT
/*
 * legacy.c - the original perfwhiz cdict (zlib + msgpack) read into rows.
 *
 * The msgpack data is walked in place: container headers are read here,
 * with every declared count checked against the bytes left before anything
 * is trusted, and each scalar is decoded by msgpack-c. A first pass checks
 * the whole map and records where each column's array starts; the second
 * pass advances one cursor per column to assemble rows, so no per-row or
 * per-value memory is allocated beyond the inflated buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <msgpack.h>
#include <traceevent/event-parse.h>
#include <traceevent/trace-seq.h>
#include <zlib.h>

#include "pw-file.h"
#include "pw-legacy.h"
#include "pw-log.h"

#ifndef PW_DATADIR
#define PW_DATADIR "/usr/local/share/perfwhiz"
#endif

/* The columns of the original format, in the order it wrote them. */
#define LG_COLUMNS(_)                     \
	_(EVENT, "event")                 \
	_(CPU, "cpu")                     \
	_(USECS, "usecs")                 \
	_(PID, "pid")                     \
	_(TASK, "task_name")              \
	_(DURATION, "duration")           \
	_(NEXT_PID, "next_pid")           \
	_(NEXT_COMM, "next_comm")

enum lg_col {
#define LG_COL_ENUM(id, name) LC_##id,
	LG_COLUMNS(LG_COL_ENUM)
#undef LG_COL_ENUM
	LC__MAX
};

static const char *const lg_col_names[LC__MAX] = {
#define LG_COL_NAME(id, name) name,
	LG_COLUMNS(LG_COL_NAME)
#undef LG_COL_NAME
};

/* Distinct kvm_exit reasons whose names are kept (more are named per row). */
#define LG_REASON_CACHE 4096
/* Largest kvm_exit format description and fake record we accept. */
#define LG_FORMAT_MAX (1 << 20)
#define LG_RECORD_MAX 4096

#define LG_NOTE                                                                 \
	"converted from the original perfwhiz cdict format (zlib + msgpack), "  \
	"which lacks: absolute timestamps (times are microseconds since the "   \
	"first stored event, stored here as ns = us * 1000), nanosecond "       \
	"precision, tgid, prev_state, next_wait_ns, target_cpu, and all "       \
	"capture metadata (host, kernel, perf version, command line, lost "     \
	"events, events dropped at capture); sched_switch durations are the "   \
	"run time reported by sched_stat_runtime since the previous switch on " \
	"that CPU, truncated to the microsecond"

/* One decoded msgpack scalar. */
struct lg_val {
	enum { V_NIL, V_UINT, V_INT, V_FLOAT, V_STR, V_OTHER } kind;
	uint64_t u;		/* V_UINT */
	int64_t i;		/* V_INT (negative) */
	double f;		/* V_FLOAT */
	const char *s;		/* V_STR (str or bin), not NUL-terminated */
	size_t len;
	const char *type;	/* msgpack type name, for messages */
};

/* kvm_exit reason numbers to names, through libtraceevent. */
struct lg_reasons {
	bool tried, ok;
	char *path;
	struct tep_handle *tep;
	struct tep_event *ev;
	struct tep_format_field *f_type, *f_reason, *f_isa;
	unsigned int isa;
	unsigned char *rec;
	int rec_size;
	struct trace_seq seq;
	bool seq_init;
	uint64_t *keys;		/* cache, open addressing, LG_REASON_CACHE * 2 slots */
	char **names;
	unsigned int ncached;
	char scratch[256];	/* a name not cached, or a number */
};

struct lg {
	const char *name;		/* file name, for messages */
	bool nomem;			/* a row's string could not be copied */
	const unsigned char *d;		/* inflated msgpack data */
	size_t n;
	msgpack_unpacked up;
	size_t col_off[LC__MAX];	/* offset of each column's first value */
	bool col_seen[LC__MAX];
	uint64_t nrows;
	bool has_kvm_exit;
	/* event names: the last one seen and its classification */
	char ev_name[64];
	size_t ev_len;
	int ev_id;
	char drop_name[80];
	/* NUL-terminated copies of a row's strings */
	char *str[LC__MAX];
	size_t str_cap[LC__MAX];
	char num[LC__MAX][24];
	struct lg_reasons reasons;
};

/* ---- msgpack walking ---------------------------------------------------- */

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * If the value at *@off is an array or a map, read its header: set *@is_map
 * and *@count (entries; twice that many values for a map) and advance *@off.
 * Returns 1 for a container, 0 for a scalar, or PW_ETRUNCATED / PW_EFORMAT
 * (logged) when the header or the declared count cannot fit in the data.
 */
static int container(struct lg *lg, size_t *off, bool *is_map, uint64_t *count)
{
	size_t o = *off, left;
	unsigned char c;
	int len = 0;

	if (o >= lg->n) {
		pw_err("%s: msgpack data ends at offset %zu where a value was expected "
		       "(truncated file?)", lg->name, o);
		return PW_ETRUNCATED;
	}
	c = lg->d[o];
	if (c >= 0x80 && c <= 0x9f) {
		*is_map = c < 0x90;
		*count = c & 0x0f;
	} else if (c >= 0xdc && c <= 0xdf) {
		*is_map = c >= 0xde;
		len = c & 1 ? 4 : 2;
		if (lg->n - o - 1 < (size_t)len) {
			pw_err("%s: msgpack data ends inside a header at offset %zu "
			       "(truncated file?)", lg->name, o);
			return PW_ETRUNCATED;
		}
		*count = be(lg->d + o + 1, len);
	} else {
		return 0;
	}
	o += 1 + (size_t)len;
	/* every value takes at least one byte */
	left = lg->n - o;
	if (*count > left || (*is_map && *count > left / 2)) {
		pw_err("%s: msgpack %s at offset %zu declares %llu entries, more than "
		       "the %zu bytes left could hold (corrupt or truncated file)",
		       lg->name, *is_map ? "map" : "array", *off,
		       (unsigned long long)*count, left);
		return PW_EFORMAT;
	}
	*off = o;
	return 1;
}

/* Decode the scalar at *@off with msgpack-c and advance *@off. */
static int scalar(struct lg *lg, size_t *off, struct lg_val *v)
{
	size_t o = *off;
	msgpack_object *ob;
	int r;

	r = msgpack_unpack_next(&lg->up, (const char *)lg->d, lg->n, &o);
	if (r == MSGPACK_UNPACK_CONTINUE) {
		pw_err("%s: msgpack data ends inside the value at offset %zu "
		       "(truncated file?)", lg->name, *off);
		return PW_ETRUNCATED;
	}
	if (r == MSGPACK_UNPACK_NOMEM_ERROR)
		return PW_ENOMEM;
	if (r < 0) {
		pw_err("%s: invalid msgpack byte 0x%02x at offset %zu", lg->name,
		       lg->d[*off], *off);
		return PW_EFORMAT;
	}
	ob = &lg->up.data;
	memset(v, 0, sizeof(*v));
	switch (ob->type) {
	case MSGPACK_OBJECT_NIL:
		v->kind = V_NIL;
		v->type = "nil";
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		v->kind = V_UINT;
		v->u = ob->via.u64;
		v->type = "an integer";
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v->kind = V_INT;
		v->i = ob->via.i64;
		v->type = "a negative integer";
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		v->kind = V_FLOAT;
		v->f = ob->via.f64;
		v->type = "a float";
		break;
	case MSGPACK_OBJECT_STR:
		v->kind = V_STR;
		v->s = ob->via.str.ptr;
		v->len = ob->via.str.size;
		v->type = "a string";
		break;
	case MSGPACK_OBJECT_BIN:
		v->kind = V_STR;
		v->s = ob->via.bin.ptr;
		v->len = ob->via.bin.size;
		v->type = "a string";
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		v->kind = V_OTHER;
		v->type = "a boolean";
		break;
	default:
		v->kind = V_OTHER;
		v->type = "an extension value";
		break;
	}
	*off = o;
	return 0;
}

/* Skip one value of any shape, without recursion. */
static int skip_value(struct lg *lg, size_t *off)
{
	uint64_t pending = 1, count;
	struct lg_val v;
	bool is_map;
	int r;

	while (pending--) {
		r = container(lg, off, &is_map, &count);
		if (r < 0)
			return r;
		if (r) {
			/* bounded by the bytes left: container() checked */
			pending += is_map ? 2 * count : count;
			continue;
		}
		r = scalar(lg, off, &v);
		if (r)
			return r;
	}
	return 0;
}

/* ---- events ------------------------------------------------------------- */

/*
 * The kept event an original event name stands for ("sched__sched_switch",
 * "kvm_exit", "kvm__kvm_entry"), or -1; a dropped event's tracepoint name
 * ("sched:sched_waking") is left in lg->drop_name.
 */
static int classify(struct lg *lg, const char *s, size_t len)
{
	const char *ev = s;
	size_t evlen = len, syslen = 0;
	char buf[64];

	if (len == lg->ev_len && len < sizeof(lg->ev_name) && !memcmp(s, lg->ev_name, len))
		return lg->ev_id;
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] == '_' && s[i + 1] == '_') {
			syslen = i;
			ev = s + i + 2;
			evlen = len - i - 2;
			break;
		}
		if (s[i] == ':') {
			syslen = i;
			ev = s + i + 1;
			evlen = len - i - 1;
			break;
		}
	}
	lg->ev_id = -1;
	if (evlen < sizeof(buf) && !memchr(ev, '\0', evlen)) {
		memcpy(buf, ev, evlen);
		buf[evlen] = '\0';
		lg->ev_id = pw_event_from_name(buf);
	}
	if (lg->ev_id < 0) {
		if (syslen)
			snprintf(lg->drop_name, sizeof(lg->drop_name), "%.*s:%.*s",
				 (int)(syslen < 32 ? syslen : 32), s,
				 (int)(evlen < 40 ? evlen : 40), ev);
		else
			snprintf(lg->drop_name, sizeof(lg->drop_name), "%.*s",
				 (int)(len < 72 ? len : 72), s);
		/* names come from the file: keep them printable */
		for (char *p = lg->drop_name; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	if (len < sizeof(lg->ev_name)) {
		memcpy(lg->ev_name, s, len);
		lg->ev_len = len;
	} else {
		lg->ev_len = SIZE_MAX;
	}
	return lg->ev_id;
}

/* ---- kvm_exit reason names ---------------------------------------------- */

static bool exists(const char *path)
{
	return access(path, R_OK) == 0;
}

char *pw_legacy_find_datafile(const char *name)
{
	/* build/prog, build/tests/prog, build/san/tests/prog */
	static const char *const up[] = { "/..", "/../..", "/../../.." };
	const char *env = getenv("PERFWHIZ_DATADIR");
	char exe[PATH_MAX], *path = NULL, *slash;
	ssize_t len;

	if (env && *env) {
		if (asprintf(&path, "%s/%s", env, name) < 0)
			return NULL;
		if (exists(path))
			return path;
		free(path);
	}
	if (asprintf(&path, "%s/%s", PW_DATADIR, name) < 0)
		return NULL;
	if (exists(path))
		return path;
	free(path);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		if (asprintf(&path, "%s%s/data/%s", exe, up[i], name) < 0)
			return NULL;
		if (exists(path))
			return path;
		free(path);
	}
	return NULL;
}

static void put_field(unsigned char *rec, const struct tep_format_field *f, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	/* the record is in host byte order (the tep handle is set up so) */
	switch (f->size) {
	case 1:
		memcpy(rec + f->offset, &u8, 1);
		break;
	case 2:
		memcpy(rec + f->offset, &u16, 2);
		break;
	case 4:
		memcpy(rec + f->offset, &u32, 4);
		break;
	case 8:
		memcpy(rec + f->offset, &v, 8);
		break;
	}
}

static bool field_ok(const struct tep_format_field *f)
{
	return f && f->offset >= 0 && (f->size == 1 || f->size == 2 || f->size == 4 ||
				       f->size == 8) && f->offset + f->size <= LG_RECORD_MAX;
}

/* Print the format for @reason; put the text after "reason " up to " rip" in @out. */
static bool print_reason(struct lg_reasons *rs, uint64_t reason, char *out, size_t size)
{
	struct tep_record record = { 0 };
	const char *text, *start, *end;

	memset(rs->rec, 0, (size_t)rs->rec_size);
	put_field(rs->rec, rs->f_type, (uint64_t)rs->ev->id);
	put_field(rs->rec, rs->f_reason, reason);
	if (rs->f_isa)
		put_field(rs->rec, rs->f_isa, rs->isa);
	record.data = rs->rec;
	record.size = rs->rec_size;
	trace_seq_reset(&rs->seq);
	tep_print_event(rs->tep, &rs->seq, &record, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&rs->seq);
	text = rs->seq.buffer;
	if (!text || rs->seq.state != TRACE_SEQ__GOOD)
		return false;
	start = strstr(text, "reason ");
	if (!start)
		return false;
	start += strlen("reason ");
	end = strstr(start, " rip");
	if (!end || end == start || (size_t)(end - start) >= size)
		return false;
	memcpy(out, start, (size_t)(end - start));
	out[end - start] = '\0';
	return true;
}

/* Set up @rs from the kvm_exit format file. Returns false (with why in @why). */
static bool reasons_load(struct lg_reasons *rs, const struct pw_legacy_opts *opts,
			 const char **why)
{
	uint16_t one = 1;
	char *text, probe[64];
	size_t len = 0;
	int size = 0;

	rs->isa = opts && opts->isa ? opts->isa : PW_LEGACY_ISA_VMX;
	if (opts && opts->kvm_exit_format)
		rs->path = strdup(opts->kvm_exit_format);
	else
		rs->path = pw_legacy_find_datafile(PW_LEGACY_KVM_EXIT_FORMAT);
	if (!rs->path) {
		*why = "no " PW_LEGACY_KVM_EXIT_FORMAT " found (set PERFWHIZ_DATADIR to "
		       "the folder holding it)";
		return false;
	}
	if (pw_read_file(rs->path, LG_FORMAT_MAX, NULL, &text, &len)) {
		*why = "it cannot be read";
		return false;
	}
	rs->tep = tep_alloc();
	if (!rs->tep) {
		free(text);
		*why = "out of memory";
		return false;
	}
	tep_set_file_bigendian(rs->tep, *(uint8_t *)&one ? TEP_LITTLE_ENDIAN : TEP_BIG_ENDIAN);
	tep_set_local_bigendian(rs->tep, *(uint8_t *)&one ? TEP_LITTLE_ENDIAN : TEP_BIG_ENDIAN);
	tep_set_long_size(rs->tep, (int)sizeof(long));
	if (tep_parse_format(rs->tep, &rs->ev, text, len, "kvm") || !rs->ev) {
		free(text);
		*why = "libtraceevent cannot parse it";
		return false;
	}
	free(text);
	if (!rs->ev->name || strcmp(rs->ev->name, "kvm_exit")) {
		*why = "it does not describe the kvm_exit event";
		return false;
	}
	rs->f_type = tep_find_common_field(rs->ev, "common_type");
	rs->f_reason = tep_find_field(rs->ev, "exit_reason");
	rs->f_isa = tep_find_field(rs->ev, "isa");
	if (!field_ok(rs->f_type) || !field_ok(rs->f_reason) ||
	    (rs->f_isa && !field_ok(rs->f_isa))) {
		*why = "it has no usable common_type and exit_reason fields";
		return false;
	}
	for (struct tep_format_field *f = rs->ev->format.common_fields; f; f = f->next)
		if (f->offset >= 0 && f->size >= 0 && f->offset + f->size > size)
			size = f->offset + f->size;
	for (struct tep_format_field *f = rs->ev->format.fields; f; f = f->next)
		if (f->offset >= 0 && f->size >= 0 && f->offset + f->size > size)
			size = f->offset + f->size;
	if (size > LG_RECORD_MAX) {
		*why = "its fields are implausibly large";
		return false;
	}
	rs->rec_size = size;
	rs->rec = calloc(1, (size_t)size);
	rs->keys = calloc(2 * LG_REASON_CACHE, sizeof(*rs->keys));
	rs->names = calloc(2 * LG_REASON_CACHE, sizeof(*rs->names));
	if (!rs->rec || !rs->keys || !rs->names) {
		*why = "out of memory";
		return false;
	}
	trace_seq_init(&rs->seq);
	rs->seq_init = true;
	/* the print format must yield "... reason NAME rip ..." */
	if (!print_reason(rs, 0, probe, sizeof(probe))) {
		*why = "its print format does not print \"reason NAME rip\"";
		return false;
	}
	return true;
}

static void reasons_release(struct lg_reasons *rs)
{
	if (rs->names)
		for (size_t i = 0; i < 2 * LG_REASON_CACHE; i++)
			free(rs->names[i]);
	free(rs->names);
	free(rs->keys);
	free(rs->rec);
	if (rs->seq_init)
		trace_seq_destroy(&rs->seq);
	if (rs->tep)
		tep_free(rs->tep);
	free(rs->path);
	memset(rs, 0, sizeof(*rs));
}

/*
 * The name of exit reason @reason. Returns a string owned by @lg (valid
 * until the next call) or NULL when out of memory.
 */
static const char *reason_name(struct lg *lg, uint64_t reason)
{
	struct lg_reasons *rs = &lg->reasons;
	size_t mask = 2 * LG_REASON_CACHE - 1, i;

	if (!rs->ok) {
		snprintf(rs->scratch, sizeof(rs->scratch), "%llu", (unsigned long long)reason);
		return rs->scratch;
	}
	for (i = (size_t)(reason * 0x9e3779b97f4a7c15ull >> 40) & mask; rs->names[i];
	     i = (i + 1) & mask)
		if (rs->keys[i] == reason)
			return rs->names[i];
	if (!print_reason(rs, reason, rs->scratch, sizeof(rs->scratch)))
		snprintf(rs->scratch, sizeof(rs->scratch), "%llu", (unsigned long long)reason);
	if (rs->ncached < LG_REASON_CACHE) {
		rs->names[i] = strdup(rs->scratch);
		if (!rs->names[i]) {
			lg->nomem = true;
			return NULL;
		}
		rs->keys[i] = reason;
		rs->ncached++;
		return rs->names[i];
	}
	return rs->scratch;
}

/* ---- columns ------------------------------------------------------------ */

/* What column @c accepts, for messages. */
static const char *const lg_expect[LC__MAX] = {
	[LC_EVENT] = "an event name",
	[LC_CPU] = "a CPU number (0..2147483647) or nil",
	[LC_USECS] = "a time in microseconds (a non-negative number)",
	[LC_PID] = "a pid (0..2147483647) or nil",
	[LC_TASK] = "a task name or nil",
	[LC_DURATION] = "a duration in microseconds or nil",
	[LC_NEXT_PID] = "a pid (0..2147483647) or nil",
	[LC_NEXT_COMM] = "a task name, an exit reason number or nil",
};

/* Microseconds to nanoseconds, when representable. */
static bool us_to_ns(const struct lg_val *v, bool allow_negative, int64_t *ns)
{
	switch (v->kind) {
	case V_UINT:
		if (v->u > (uint64_t)INT64_MAX / 1000)
			return false;
		*ns = (int64_t)v->u * 1000;
		return true;
	case V_INT:
		if (!allow_negative || v->i < INT64_MIN / 1000 + 1)
			return false;
		*ns = v->i * 1000;
		return true;
	case V_FLOAT:
		if (!isfinite(v->f) || (!allow_negative && v->f < 0) ||
		    fabs(v->f) >= (double)INT64_MAX / 1000)
			return false;
		*ns = llround(v->f * 1000);
		return true;
	default:
		return false;
	}
}

static bool small_int(const struct lg_val *v, int64_t *out)
{
	if (v->kind == V_NIL) {
		*out = PW_NONE;
		return true;
	}
	if (v->kind != V_UINT || v->u > INT32_MAX)
		return false;
	*out = (int64_t)v->u;
	return true;
}

/* Whether @v is acceptable in column @c. */
static bool value_ok(enum lg_col c, const struct lg_val *v)
{
	int64_t x;

	switch (c) {
	case LC_EVENT:
		return v->kind == V_STR && v->len;
	case LC_CPU:
	case LC_PID:
	case LC_NEXT_PID:
		return small_int(v, &x);
	case LC_USECS:
		return us_to_ns(v, false, &x);
	case LC_DURATION:
		return v->kind == V_NIL || us_to_ns(v, true, &x);
	case LC_TASK:
		return v->kind == V_STR || v->kind == V_NIL;
	case LC_NEXT_COMM:
		return v->kind == V_STR || v->kind == V_NIL || v->kind == V_UINT;
	default:
		return false;
	}
}

static int bad_value(struct lg *lg, enum lg_col c, uint64_t row, size_t off,
		     const struct lg_val *v)
{
	char what[64];

	if (v->kind == V_UINT)
		snprintf(what, sizeof(what), "%llu", (unsigned long long)v->u);
	else if (v->kind == V_INT)
		snprintf(what, sizeof(what), "%lld", (long long)v->i);
	else if (v->kind == V_FLOAT)
		snprintf(what, sizeof(what), "%g", v->f);
	else if (v->kind == V_STR && !v->len)
		snprintf(what, sizeof(what), "an empty string");
	else
		snprintf(what, sizeof(what), "%s", v->type);
	pw_err("%s: column '%s', row %llu (offset %zu of the inflated data): expected %s, "
	       "found %s", lg->name, lg_col_names[c], (unsigned long long)row, off,
	       lg_expect[c], what);
	return PW_EFORMAT;
}

/* A NUL-terminated copy of string value @v in column @c's buffer. */
static const char *cstr(struct lg *lg, enum lg_col c, const struct lg_val *v)
{
	if (v->kind == V_NIL)
		return NULL;
	if (v->kind == V_UINT) {
		snprintf(lg->num[c], sizeof(lg->num[c]), "%llu", (unsigned long long)v->u);
		return lg->num[c];
	}
	if (v->len + 1 > lg->str_cap[c]) {
		size_t cap = v->len + 1 < 64 ? 64 : v->len + 1;
		char *s = realloc(lg->str[c], cap);

		if (!s) {
			lg->nomem = true;
			return NULL;
		}
		lg->str[c] = s;
		lg->str_cap[c] = cap;
	}
	if (v->len)
		memcpy(lg->str[c], v->s, v->len);
	lg->str[c][v->len] = '\0';
	return lg->str[c];
}

/* ---- the two passes ----------------------------------------------------- */

/* Check the map, every column's values; note where each column starts. */
static int check(struct lg *lg)
{
	size_t off = 0, start;
	uint64_t nkeys, count;
	bool is_map, have_rows = false;
	enum lg_col first = LC__MAX;
	struct lg_val v;
	int r;

	r = container(lg, &off, &is_map, &nkeys);
	if (r < 0)
		return r;
	if (!r || !is_map) {
		pw_err("%s: the msgpack data is not a map of columns (first byte 0x%02x); "
		       "not a cdict of the original perfwhiz", lg->name, lg->d[0]);
		return PW_EFORMAT;
	}
	for (uint64_t k = 0; k < nkeys; k++) {
		enum lg_col c;

		start = off;
		r = container(lg, &off, &is_map, &count);
		if (r < 0)
			return r;
		if (!r) {
			r = scalar(lg, &off, &v);
			if (r)
				return r;
		}
		if (r || v.kind != V_STR) {
			pw_err("%s: map key at offset %zu is not a column name", lg->name, start);
			return PW_EFORMAT;
		}
		for (c = 0; c < LC__MAX; c++)
			if (strlen(lg_col_names[c]) == v.len &&
			    !memcmp(lg_col_names[c], v.s, v.len))
				break;
		if (c == LC__MAX) {
			pw_warn("%s: ignoring the unknown column '%.*s' at offset %zu",
				lg->name, (int)(v.len < 40 ? v.len : 40), v.s, start);
			r = skip_value(lg, &off);
			if (r)
				return r;
			continue;
		}
		if (lg->col_seen[c]) {
			pw_err("%s: column '%s' appears twice (offset %zu)", lg->name,
			       lg_col_names[c], start);
			return PW_EFORMAT;
		}
		start = off;
		r = container(lg, &off, &is_map, &count);
		if (r < 0)
			return r;
		if (!r || is_map) {
			pw_err("%s: column '%s' at offset %zu is not an array", lg->name,
			       lg_col_names[c], start);
			return PW_EFORMAT;
		}
		if (have_rows && count != lg->nrows) {
			pw_err("%s: columns of unequal length: '%s' has %llu values, '%s' has %llu",
			       lg->name, lg_col_names[first], (unsigned long long)lg->nrows,
			       lg_col_names[c], (unsigned long long)count);
			return PW_EFORMAT;
		}
		if (!have_rows) {
			have_rows = true;
			first = c;
			lg->nrows = count;
		}
		lg->col_seen[c] = true;
		lg->col_off[c] = off;
		for (uint64_t i = 0; i < count; i++) {
			bool dummy_map;
			uint64_t dummy_count;

			start = off;
			r = container(lg, &off, &dummy_map, &dummy_count);
			if (r < 0)
				return r;
			if (r) {
				pw_err("%s: column '%s', row %llu (offset %zu of the inflated "
				       "data): expected %s, found a nested %s", lg->name,
				       lg_col_names[c], (unsigned long long)i, start,
				       lg_expect[c], dummy_map ? "map" : "array");
				return PW_EFORMAT;
			}
			r = scalar(lg, &off, &v);
			if (r)
				return r;
			if (!value_ok(c, &v))
				return bad_value(lg, c, i, start, &v);
			if (c == LC_EVENT && classify(lg, v.s, v.len) == PW_EV_KVM_EXIT)
				lg->has_kvm_exit = true;
		}
	}
	for (enum lg_col c = 0; c < LC__MAX; c++) {
		if (!lg->col_seen[c]) {
			pw_err("%s: no '%s' column; not a cdict of the original perfwhiz",
			       lg->name, lg_col_names[c]);
			return PW_EFORMAT;
		}
	}
	if (off < lg->n)
		pw_warn("%s: %zu bytes after the msgpack map ignored", lg->name, lg->n - off);
	return 0;
}

/* Deliver every row. */
static int emit(struct lg *lg, pw_row_fn fn, void *ctx, struct pw_meta *meta)
{
	size_t cur[LC__MAX];
	struct lg_val v[LC__MAX];
	bool any = false;
	int r;

	memcpy(cur, lg->col_off, sizeof(cur));
	for (uint64_t i = 0; i < lg->nrows; i++) {
		struct pw_row row = {
			.tgid = PW_NONE, .next_pid = PW_NONE, .next_wait_ns = PW_NONE,
			.target_cpu = PW_NONE,
		};
		int64_t ns;
		int ev;

		for (enum lg_col c = 0; c < LC__MAX; c++) {
			size_t start = cur[c];

			r = scalar(lg, &cur[c], &v[c]);
			if (r)
				return r;
			if (!value_ok(c, &v[c]))
				return bad_value(lg, c, i, start, &v[c]);
		}
		ev = classify(lg, v[LC_EVENT].s, v[LC_EVENT].len);
		if (ev < 0) {
			r = pw_meta_add_dropped(meta, lg->drop_name, 1);
			if (r)
				return r;
			continue;
		}
		row.event = ev;
		us_to_ns(&v[LC_USECS], false, &ns);
		row.time_ns = (uint64_t)ns;
		small_int(&v[LC_CPU], &row.cpu);
		small_int(&v[LC_PID], &row.pid);
		row.task = cstr(lg, LC_TASK, &v[LC_TASK]);
		if (v[LC_DURATION].kind == V_NIL)
			row.duration_ns = PW_NONE;
		else
			us_to_ns(&v[LC_DURATION], true, &row.duration_ns);
		if (ev == PW_EV_SCHED_SWITCH) {
			small_int(&v[LC_NEXT_PID], &row.next_pid);
			row.next_task = cstr(lg, LC_NEXT_COMM, &v[LC_NEXT_COMM]);
		} else if (ev == PW_EV_KVM_EXIT) {
			const struct lg_val *nc = &v[LC_NEXT_COMM];
			char *end;

			if (nc->kind == V_UINT) {
				row.exit_reason = reason_name(lg, nc->u);
			} else if (nc->kind == V_STR) {
				/* a number written as text is still a number */
				const char *s = cstr(lg, LC_NEXT_COMM, nc);
				unsigned long long x;

				if (s && *s >= '0' && *s <= '9') {
					errno = 0;
					x = strtoull(s, &end, 10);
					if (!*end && !errno)
						s = reason_name(lg, x);
				}
				row.exit_reason = s;
			}
		}
		if (lg->nomem)
			return PW_ENOMEM;
		meta->stored[ev]++;
		if (!any || row.time_ns < meta->first_ns)
			meta->first_ns = row.time_ns;
		if (!any || row.time_ns > meta->last_ns)
			meta->last_ns = row.time_ns;
		any = true;
		r = fn(&row, ctx);
		if (r)
			return r < 0 ? r : PW_ESTOPPED;
	}
	return 0;
}

/* ---- zlib --------------------------------------------------------------- */

/* Inflate @in into a new buffer of at most @cap bytes. */
static int inflate_all(const char *name, const unsigned char *in, size_t n, size_t cap,
		       unsigned char **out, size_t *outn)
{
	z_stream zs = { 0 };
	unsigned char *buf = NULL;
	/* one byte over the cap tells "exactly at the cap" from "beyond it" */
	size_t limit = cap < SIZE_MAX ? cap + 1 : cap;
	size_t size = 0, used = 0, fed = 0;
	int zr = Z_OK, ret;

	if (inflateInit(&zs) != Z_OK)
		return PW_ENOMEM;
	while (zr != Z_STREAM_END) {
		if (used == size) {
			size_t want = size ? 2 * size : (n < limit / 8 ? 8 * n : limit);
			unsigned char *b;

			if (used > cap)
				break;
			if (want > limit || want < size)
				want = limit;
			if (want < 4096)
				want = limit < 4096 ? limit : 4096;
			b = realloc(buf, want);
			if (!b) {
				ret = PW_ENOMEM;
				goto err;
			}
			buf = b;
			size = want;
		}
		if (!zs.avail_in && fed < n) {
			size_t chunk = n - fed < UINT_MAX ? n - fed : UINT_MAX;

			zs.next_in = (unsigned char *)in + fed;
			zs.avail_in = (uInt)chunk;
			fed += chunk;
		}
		{
			size_t room = size - used < UINT_MAX ? size - used : UINT_MAX;

			zs.next_out = buf + used;
			zs.avail_out = (uInt)room;
			zr = inflate(&zs, Z_NO_FLUSH);
			used += room - zs.avail_out;
		}
		if (zr == Z_NEED_DICT || zr == Z_DATA_ERROR) {
			pw_err("%s: corrupt zlib data near byte %lu: %s", name, zs.total_in,
			       zs.msg ? zs.msg : "preset dictionary required");
			ret = PW_ECOMPRESS;
			goto err;
		}
		if (zr == Z_MEM_ERROR) {
			ret = PW_ENOMEM;
			goto err;
		}
		if (zr == Z_BUF_ERROR && !zs.avail_in && fed == n && used < size) {
			pw_err("%s: the zlib stream is cut short at byte %zu (truncated file)",
			       name, n);
			ret = PW_ECOMPRESS;
			goto err;
		}
	}
	if (used > cap) {
		pw_err("%s: the zlib data inflates to more than %zu bytes; refusing it as a "
		       "likely decompression bomb (the limit is %d times the file size, at "
		       "least %zu MiB)", name, cap, PW_LEGACY_INFLATE_RATIO,
		       PW_LEGACY_INFLATE_MIN >> 20);
		ret = PW_EFORMAT;
		goto err;
	}
	if (zs.total_in < n)
		pw_warn("%s: %zu bytes after the end of the zlib stream ignored", name,
			n - (size_t)zs.total_in);
	inflateEnd(&zs);
	*out = buf;
	*outn = used;
	return 0;
err:
	inflateEnd(&zs);
	free(buf);
	return ret;
}

int pw_legacy_probe(const void *head, size_t n)
{
	const unsigned char *p = head;
	unsigned char out[1];
	z_stream zs = { 0 };
	int zr;

	if (!p || n < 2)
		return 0;
	/* RFC 1950: CM 8 (deflate), CINFO <= 7, no FDICT, FCHECK */
	if ((p[0] & 0x0f) != 8 || p[0] >> 4 > 7 || (p[1] & 0x20) ||
	    ((unsigned int)p[0] << 8 | p[1]) % 31)
		return 0;
	if (inflateInit(&zs) != Z_OK)
		return 1;
	zs.next_in = (unsigned char *)p;
	zs.avail_in = n < UINT_MAX ? (uInt)n : UINT_MAX;
	zs.next_out = out;
	zs.avail_out = sizeof(out);
	zr = inflate(&zs, Z_NO_FLUSH);
	inflateEnd(&zs);
	if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT)
		return 0;
	if (zs.avail_out)	/* not enough input to tell more */
		return zr != Z_STREAM_END;
	return (out[0] >= 0x80 && out[0] <= 0x8f) || out[0] == 0xde || out[0] == 0xdf;
}

/* ---- entry points ------------------------------------------------------- */

int pw_legacy_read_mem(const void *buf, size_t n, const char *name,
		       const struct pw_legacy_opts *opts, pw_row_fn fn, void *ctx,
		       struct pw_meta *meta)
{
	struct lg lg = { .name = name ? name : "(original cdict)" };
	unsigned char *data = NULL;
	size_t cap;
	const char *why = NULL;
	char *note = NULL;
	int ret;

	pw_meta_init(meta);
	msgpack_unpacked_init(&lg.up);
	if (!buf || !n) {
		pw_err("%s: empty file, not a cdict", lg.name);
		ret = PW_EFORMAT;
		goto out;
	}
	if (!pw_legacy_probe(buf, n < 2 ? n : 2)) {
		pw_err("%s: does not start with a zlib header; not a cdict of the "
		       "original perfwhiz", lg.name);
		ret = PW_EFORMAT;
		goto out;
	}
	cap = opts && opts->max_inflated ? opts->max_inflated :
	      n > PW_LEGACY_INFLATE_MIN / PW_LEGACY_INFLATE_RATIO ?
	      (n > SIZE_MAX / PW_LEGACY_INFLATE_RATIO ? SIZE_MAX : n * PW_LEGACY_INFLATE_RATIO) :
	      PW_LEGACY_INFLATE_MIN;
	ret = inflate_all(lg.name, buf, n, cap, &data, &lg.n);
	if (ret)
		goto out;
	if (!lg.n) {
		pw_err("%s: the zlib stream holds no data", lg.name);
		ret = PW_EFORMAT;
		goto out;
	}
	lg.d = data;
	ret = check(&lg);
	if (ret)
		goto out;
	if (lg.has_kvm_exit) {
		lg.reasons.ok = reasons_load(&lg.reasons, opts, &why);
		if (!lg.reasons.ok)
			pw_warn("%s: kvm_exit reasons are left as numbers: %s%s%s", lg.name,
				lg.reasons.path ? lg.reasons.path : "", lg.reasons.path ? ": " : "",
				why);
	}
	if (asprintf(&meta->source, "original perfwhiz cdict %s", lg.name) < 0) {
		meta->source = NULL;
		ret = PW_ENOMEM;
		goto out;
	}
	if (!lg.has_kvm_exit)
		ret = asprintf(&note, "%s", LG_NOTE);
	else if (lg.reasons.ok)
		ret = asprintf(&note, "%s; it stores kvm_exit reasons as numbers, named here "
			       "with %s assuming %s numbering", LG_NOTE, lg.reasons.path,
			       lg.reasons.isa == PW_LEGACY_ISA_SVM ? "AMD SVM" : "Intel VMX");
	else
		ret = asprintf(&note, "%s; it stores kvm_exit reasons as numbers, left as such "
			       "(no kvm_exit format description)", LG_NOTE);
	if (ret < 0) {
		ret = PW_ENOMEM;
		goto out;
	}
	meta->legacy_note = note;
	ret = emit(&lg, fn, ctx, meta);
out:
	if (ret) {
		if (ret == PW_ENOMEM)
			pw_err("%s: out of memory", lg.name);
		pw_meta_release(meta);
	}
	msgpack_unpacked_destroy(&lg.up);
	reasons_release(&lg.reasons);
	for (int c = 0; c < LC__MAX; c++)
		free(lg.str[c]);
	free(data);
	return ret;
}

int pw_legacy_read(const char *path, const struct pw_legacy_opts *opts,
		   pw_row_fn fn, void *ctx, struct pw_meta *meta)
{
	char *buf;
	size_t n;
	int ret;

	pw_meta_init(meta);
	ret = pw_read_file(path, 0, "", &buf, &n);
	if (ret)
		return ret;
	ret = pw_legacy_read_mem(buf, n, path, opts, fn, ctx, meta);
	free(buf);
	return ret;
}
