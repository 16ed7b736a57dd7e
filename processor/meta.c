// SPDX-License-Identifier: MIT
/* meta.c - capture metadata: init, copy, release. */
#include <stdlib.h>
#include <string.h>

#include "pw-log.h"
#include "pw-meta.h"

void pw_meta_init(struct pw_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->nr_cpus = PW_NONE;
}

void pw_meta_release(struct pw_meta *m)
{
	if (!m)
		return;
	free(m->hostname);
	free(m->os_release);
	free(m->arch);
	free(m->perf_version);
	free(m->cmdline);
	for (unsigned int i = 0; i < m->nr_dropped; i++)
		free(m->dropped[i].name);
	free(m->dropped);
	free(m->source);
	free(m->legacy_note);
	free(m->map_file);
	free(m->map_digest);
	pw_meta_init(m);
}

int pw_meta_add_dropped(struct pw_meta *m, const char *name, uint64_t n)
{
	struct pw_name_count *d;

	for (unsigned int i = 0; i < m->nr_dropped; i++) {
		if (!strcmp(m->dropped[i].name, name)) {
			m->dropped[i].count += n;
			return 0;
		}
	}
	d = realloc(m->dropped, (m->nr_dropped + 1) * sizeof(*d));
	if (!d)
		return PW_ENOMEM;
	m->dropped = d;
	d[m->nr_dropped].name = strdup(name);
	if (!d[m->nr_dropped].name)
		return PW_ENOMEM;
	d[m->nr_dropped++].count = n;
	return 0;
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : PW_ENOMEM;
}

int pw_meta_copy(struct pw_meta *dst, const struct pw_meta *src)
{
	int err = 0;

	*dst = *src;
	dst->dropped = NULL;
	dst->nr_dropped = 0;
	err |= dup_str(&dst->hostname, src->hostname);
	err |= dup_str(&dst->os_release, src->os_release);
	err |= dup_str(&dst->arch, src->arch);
	err |= dup_str(&dst->perf_version, src->perf_version);
	err |= dup_str(&dst->cmdline, src->cmdline);
	err |= dup_str(&dst->source, src->source);
	err |= dup_str(&dst->legacy_note, src->legacy_note);
	err |= dup_str(&dst->map_file, src->map_file);
	err |= dup_str(&dst->map_digest, src->map_digest);
	for (unsigned int i = 0; !err && i < src->nr_dropped; i++)
		err = pw_meta_add_dropped(dst, src->dropped[i].name, src->dropped[i].count);
	if (err) {
		pw_meta_release(dst);
		return PW_ENOMEM;
	}
	return 0;
}

void pw_meta_summary(FILE *f, const char *prog, const char *what, const struct pw_meta *m)
{
	uint64_t total = 0;

	for (int i = 0; i < PW_EV__MAX; i++)
		total += m->stored[i];
	fprintf(f, "%s: %s: %llu rows", prog, what, (unsigned long long)total);
	for (int i = 0, first = 1; i < PW_EV__MAX; i++) {
		if (!m->stored[i])
			continue;
		fprintf(f, "%s%s %llu", first ? " (" : ", ", pw_event_name(i),
			(unsigned long long)m->stored[i]);
		first = 0;
	}
	fprintf(f, "%s\n", total ? ")" : "");
	if (m->nr_dropped) {
		fprintf(f, "%s: dropped (not kept):", prog);
		for (unsigned int i = 0; i < m->nr_dropped; i++)
			fprintf(f, "%s %s %llu", i ? "," : "", m->dropped[i].name,
				(unsigned long long)m->dropped[i].count);
		fputc('\n', f);
	}
	if (m->lost || m->lost_samples)
		fprintf(f, "%s: lost: %llu events, %llu samples (perf could not keep up; "
			"try a larger -m or fewer events)\n", prog, (unsigned long long)m->lost,
			(unsigned long long)m->lost_samples);
	if (m->unknown_records || m->unknown_ids || m->out_of_order || m->undecodable)
		fprintf(f, "%s: skipped: %llu unknown records or features, %llu samples of "
			"unknown id, %llu out of order, %llu undecodable\n", prog,
			(unsigned long long)m->unknown_records, (unsigned long long)m->unknown_ids,
			(unsigned long long)m->out_of_order, (unsigned long long)m->undecodable);
}
