// SPDX-License-Identifier: MIT
/* namemap.c - task-name annotation from a CSV mapping file (libcsv). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "pw-file.h"
#include "pw-log.h"
#include "pw-namemap.h"
#include "pw-sha256.h"

#define NM_FIELDS 7
enum { F_TID, F_INSTANCE, F_TYPE, F_UUID, F_GROUP_TYPE, F_GROUP_ID, F_NAME };

/* Bad lines reported before giving up on a file. */
#define NM_MAX_ERRORS 10

struct nm_entry {
	int64_t tid;
	char *name;
	unsigned int line;
};

struct pw_namemap {
	char *file;
	char digest[PW_SHA256_HEX_LEN];
	struct nm_entry *ents;
	size_t n, cap;
	uint32_t *slots;	/* open addressing: index into ents + 1, 0 = empty */
	size_t mask;		/* number of slots - 1 */
};

/* One line's fields as libcsv delivers them. */
struct nm_line {
	char *f[NM_FIELDS];
	size_t len[NM_FIELDS];
	size_t nfields;
	unsigned int rows;
	bool nomem;
};

static size_t slot_of(int64_t tid, size_t mask)
{
	uint64_t x = (uint64_t)tid;

	/* splitmix64 finaliser: consecutive tids spread over the table */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (size_t)x & mask;
}

static const struct nm_entry *find(const struct pw_namemap *m, int64_t tid)
{
	if (!m || !m->slots)
		return NULL;
	for (size_t i = slot_of(tid, m->mask);; i = (i + 1) & m->mask) {
		uint32_t s = m->slots[i];

		if (!s)
			return NULL;
		if (m->ents[s - 1].tid == tid)
			return &m->ents[s - 1];
	}
}

/* Keep the table at most half full. */
static int grow_slots(struct pw_namemap *m)
{
	size_t nslots = m->slots ? 2 * (m->mask + 1) : 64;
	uint32_t *s;

	if (m->slots && 2 * (m->n + 1) <= m->mask + 1)
		return 0;
	s = calloc(nslots, sizeof(*s));
	if (!s)
		return PW_ENOMEM;
	free(m->slots);
	m->slots = s;
	m->mask = nslots - 1;
	for (size_t e = 0; e < m->n; e++) {
		size_t i = slot_of(m->ents[e].tid, m->mask);

		while (s[i])
			i = (i + 1) & m->mask;
		s[i] = (uint32_t)(e + 1);
	}
	return 0;
}

static int add_entry(struct pw_namemap *m, int64_t tid, char *name, unsigned int line)
{
	size_t i;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct nm_entry *e = realloc(m->ents, cap * sizeof(*e));

		if (!e)
			return PW_ENOMEM;
		m->ents = e;
		m->cap = cap;
	}
	if (grow_slots(m))
		return PW_ENOMEM;
	m->ents[m->n] = (struct nm_entry){ .tid = tid, .name = name, .line = line };
	for (i = slot_of(tid, m->mask); m->slots[i]; i = (i + 1) & m->mask)
		;
	m->slots[i] = (uint32_t)++m->n;
	return 0;
}

static void on_field(void *s, size_t len, void *data)
{
	struct nm_line *l = data;

	if (l->nfields < NM_FIELDS) {
		l->f[l->nfields] = malloc(len + 1);
		if (!l->f[l->nfields]) {
			l->nomem = true;
		} else {
			memcpy(l->f[l->nfields], s, len);
			l->f[l->nfields][len] = '\0';
			l->len[l->nfields] = len;
		}
	}
	l->nfields++;
}

static void on_row(int c, void *data)
{
	((struct nm_line *)data)->rows++;
}

static void line_reset(struct nm_line *l)
{
	for (size_t i = 0; i < NM_FIELDS; i++)
		free(l->f[i]);
	memset(l, 0, sizeof(*l));
}

/* Parse a decimal number in [min, INT32_MAX]; false if not one. */
static bool parse_uint(const char *s, int64_t min, int64_t *out, bool *range)
{
	int64_t v = 0;

	*range = false;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v <= INT32_MAX)
			v = v * 10 + (*s - '0');
	}
	if (v < min || v > INT32_MAX) {
		*range = true;
		return false;
	}
	*out = v;
	return true;
}

/* Well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static bool has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

static bool is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* A field as it may be quoted in a message: printable ASCII, bounded. */
static const char *shown(const char *s, char out[40])
{
	size_t i;

	for (i = 0; s[i] && i < 32; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* Check a row's fields; build the annotated name. Returns 0 or PW_E*. */
static int check_row(struct pw_namemap *m, const char *file, unsigned int lineno,
		     struct nm_line *l, int64_t *tid, char **name)
{
	char buf[40];
	int64_t group;
	bool range;
	const struct nm_entry *dup;
	const char *type = l->f[F_TYPE], *task = l->f[F_NAME];
	int len;

	if (l->nomem)
		return PW_ENOMEM;
	if (l->rows != 1) {
		pw_err("%s:%u: carriage return inside the line", file, lineno);
		return PW_EFORMAT;
	}
	if (l->nfields != NM_FIELDS) {
		pw_err("%s:%u: expected %d comma-separated fields "
		       "(tid,libvirt-instance,task-system-type,uuid,group-type,group-id,task-name), found %zu",
		       file, lineno, NM_FIELDS, l->nfields);
		return PW_EFORMAT;
	}
	if (!parse_uint(l->f[F_TID], 1, tid, &range)) {
		if (range)
			pw_err("%s:%u: tid %s out of range (1..2147483647)", file, lineno,
			       shown(l->f[F_TID], buf));
		else
			pw_err("%s:%u: tid '%s' is not a decimal number", file, lineno,
			       shown(l->f[F_TID], buf));
		return PW_EFORMAT;
	}
	if (!parse_uint(l->f[F_GROUP_ID], 0, &group, &range)) {
		if (range)
			pw_err("%s:%u: group-id %s out of range (0..2147483647)", file, lineno,
			       shown(l->f[F_GROUP_ID], buf));
		else
			pw_err("%s:%u: group-id '%s' is not a decimal number", file, lineno,
			       shown(l->f[F_GROUP_ID], buf));
		return PW_EFORMAT;
	}
	if (is_blank(task, l->len[F_NAME])) {
		pw_err("%s:%u: empty task-name (the 7th field)", file, lineno);
		return PW_EFORMAT;
	}
	if (!utf8_valid((const unsigned char *)task, l->len[F_NAME]) ||
	    !utf8_valid((const unsigned char *)type, l->len[F_TYPE])) {
		pw_err("%s:%u: %s is not valid UTF-8", file, lineno,
		       utf8_valid((const unsigned char *)task, l->len[F_NAME]) ?
		       "task-system-type" : "task-name");
		return PW_EFORMAT;
	}
	if (has_control(task, l->len[F_NAME]) || has_control(type, l->len[F_TYPE])) {
		pw_err("%s:%u: control character in %s", file, lineno,
		       has_control(task, l->len[F_NAME]) ? "task-name" : "task-system-type");
		return PW_EFORMAT;
	}
	dup = find(m, *tid);
	if (dup) {
		pw_err("%s:%u: tid %lld listed twice (first on line %u)", file, lineno,
		       (long long)*tid, dup->line);
		return PW_EFORMAT;
	}
	if (*type)
		len = asprintf(name, "%s.%02u.%s", task, (unsigned int)group, type);
	else
		len = asprintf(name, "%s.%02u", task, (unsigned int)group);
	return len < 0 ? PW_ENOMEM : 0;
}

/* Parse one non-blank, non-comment line into @m. Returns 0 or PW_E*. */
static int parse_line(struct pw_namemap *m, struct csv_parser *p, struct nm_line *l,
		      const char *s, size_t len, const char *file, unsigned int lineno)
{
	int64_t tid;
	char *name = NULL;
	int r;

	if (len > PW_NAMEMAP_MAX_LINE) {
		pw_err("%s:%u: line longer than %d bytes", file, lineno, PW_NAMEMAP_MAX_LINE);
		return PW_EFORMAT;
	}
	if (memchr(s, '\0', len)) {
		pw_err("%s:%u: NUL byte in the line (not a text file?)", file, lineno);
		return PW_EFORMAT;
	}
	/* csv_fini() ends the row and leaves the parser ready for the next. */
	if (csv_parse(p, s, len, on_field, on_row, l) != len ||
	    csv_fini(p, on_field, on_row, l)) {
		r = csv_error(p);
		/* after a strict-mode error the parser state is undefined */
		csv_free(p);
		if (csv_init(p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) ||
		    r == CSV_ENOMEM)
			return PW_ENOMEM;
		pw_err("%s:%u: CSV syntax error: a quote inside an unquoted field, or a "
		       "quoted field not closed on its line", file, lineno);
		return PW_EFORMAT;
	}
	r = check_row(m, file, lineno, l, &tid, &name);
	if (!r) {
		r = add_entry(m, tid, name, lineno);
		if (r)
			free(name);
	}
	return r;
}

/* Parse every line of @buf into @m. Returns 0 or a negative PW_E* code. */
static int parse(struct pw_namemap *m, const char *buf, size_t n, const char *file)
{
	struct csv_parser p;
	struct nm_line l = { 0 };
	const char *pos = buf, *end = buf + n;
	unsigned int lineno = 0, nerr = 0;
	int ret = 0;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL))
		return PW_ENOMEM;
	/* A UTF-8 byte order mark, as some spreadsheets write. */
	if (n >= 3 && !memcmp(pos, "\xef\xbb\xbf", 3))
		pos += 3;
	while (pos < end) {
		const char *nl = memchr(pos, '\n', (size_t)(end - pos));
		size_t len = (size_t)((nl ? nl : end) - pos), skip;
		int r;

		lineno++;
		if (len && pos[len - 1] == '\r')
			len--;
		for (skip = 0; skip < len && (pos[skip] == ' ' || pos[skip] == '\t'); skip++)
			;
		if (skip < len && pos[skip] != '#') {
			r = parse_line(m, &p, &l, pos, len, file, lineno);
			line_reset(&l);
			if (r == PW_ENOMEM) {
				ret = r;
				break;
			}
			if (r) {
				ret = r;
				if (++nerr == NM_MAX_ERRORS && nl && nl + 1 < end) {
					pw_err("%s: too many errors, stopped after line %u",
					       file, lineno);
					break;
				}
			}
		}
		pos = nl ? nl + 1 : end;
	}
	csv_free(&p);
	return ret;
}

struct pw_namemap *pw_namemap_load_mem(const void *buf, size_t n, const char *name,
				       int *err)
{
	struct pw_namemap *m;
	int ret = PW_ENOMEM;

	if (!name)
		name = "(mapping file)";
	if (!buf) {
		buf = "";
		n = 0;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		goto err;
	m->file = strdup(name);
	if (!m->file)
		goto err;
	pw_sha256_hex(buf, n, m->digest);
	if (n > PW_NAMEMAP_MAX_FILE) {
		pw_err("%s: larger than %u MiB, not a mapping file", name,
		       PW_NAMEMAP_MAX_FILE >> 20);
		ret = PW_EFORMAT;
		goto err;
	}
	ret = parse(m, buf, n, name);
	if (ret) {
		if (ret == PW_EFORMAT)
			pw_err("%s: mapping file rejected; expected lines such as "
			       "'19236,instance-000019f4,vcpu0,<uuid>,FULL,5,Firewall' "
			       "or '19236,,vcpu0,,,5,Firewall'", name);
		goto err;
	}
	if (!m->n)
		pw_warn("%s: no mapping rows, no task will be renamed", name);
	if (err)
		*err = 0;
	return m;
err:
	if (ret == PW_ENOMEM)
		pw_err("%s: out of memory reading the mapping file", name);
	pw_namemap_free(m);
	if (err)
		*err = ret;
	return NULL;
}

struct pw_namemap *pw_namemap_load(const char *path, int *err)
{
	struct pw_namemap *m = NULL;
	char *buf;
	size_t n;
	int ret;

	/* Read to the end (a pipe or process substitution works too). */
	ret = pw_read_file(path, PW_NAMEMAP_MAX_FILE, "the mapping file", &buf, &n);
	if (!ret) {
		m = pw_namemap_load_mem(buf, n, path, &ret);
		free(buf);
	} else if (ret == PW_EFORMAT) {
		pw_err("%s: not a mapping file", path);
	}
	if (err)
		*err = m ? 0 : ret;
	return m;
}

void pw_namemap_free(struct pw_namemap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->ents[i].name);
	free(m->ents);
	free(m->slots);
	free(m->file);
	free(m);
}

const char *pw_namemap_lookup(const struct pw_namemap *m, int64_t tid)
{
	const struct nm_entry *e;

	if (tid == PW_NONE)
		return NULL;
	e = find(m, tid);
	return e ? e->name : NULL;
}

int pw_namemap_apply(const struct pw_namemap *m, struct pw_row *row)
{
	const char *name;
	int n = 0;

	if (!m || !m->n)
		return 0;
	name = pw_namemap_lookup(m, row->pid);
	if (name) {
		row->task = name;
		n++;
	}
	name = pw_namemap_lookup(m, row->next_pid);
	if (name) {
		row->next_task = name;
		n++;
	}
	return n;
}

size_t pw_namemap_count(const struct pw_namemap *m)
{
	return m ? m->n : 0;
}

const char *pw_namemap_file(const struct pw_namemap *m)
{
	return m ? m->file : NULL;
}

const char *pw_namemap_digest(const struct pw_namemap *m)
{
	return m ? m->digest : NULL;
}

int pw_namemap_to_meta(const struct pw_namemap *m, struct pw_meta *meta)
{
	char *file, *digest;

	if (!m || !meta)
		return PW_EINVAL;
	file = strdup(m->file);
	digest = strdup(m->digest);
	if (!file || !digest) {
		free(file);
		free(digest);
		return PW_ENOMEM;
	}
	free(meta->map_file);
	free(meta->map_digest);
	meta->map_file = file;
	meta->map_digest = digest;
	return 0;
}
