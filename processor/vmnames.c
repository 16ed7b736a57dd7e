// SPDX-License-Identifier: MIT
/* vmnames.c - names of qemu threads from /proc (pw-vmnames.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pw-cdict.h"
#include "pw-log.h"
#include "pw-u64map.h"
#include "pw-vmnames.h"

struct pw_vmnames {
	char **names;		/* names[i] of tids[i] */
	int64_t *tids;
	size_t n, cap;
	struct pw_u64map idx;	/* tid -> i */
};

void pw_vmnames_free(struct pw_vmnames *vm)
{
	if (!vm)
		return;
	for (size_t i = 0; i < vm->n; i++)
		free(vm->names[i]);
	free(vm->names);
	free(vm->tids);
	pw_u64map_release(&vm->idx);
	free(vm);
}

size_t pw_vmnames_count(const struct pw_vmnames *vm)
{
	return vm ? vm->n : 0;
}

const char *pw_vmnames_lookup(const struct pw_vmnames *vm, int64_t tid)
{
	uint64_t i;

	if (!vm || tid == PW_NONE || !pw_u64map_get(&vm->idx, (uint64_t)tid, &i))
		return NULL;
	return vm->names[i];
}

/* Takes @name. */
static int vm_add(struct pw_vmnames *vm, int64_t tid, char *name)
{
	if (vm->n == vm->cap) {
		size_t cap = vm->cap ? vm->cap * 2 : 32;
		char **names = realloc(vm->names, cap * sizeof(*names));
		int64_t *tids;

		if (!names)
			goto nomem;
		vm->names = names;
		tids = realloc(vm->tids, cap * sizeof(*tids));
		if (!tids)
			goto nomem;
		vm->tids = tids;
		vm->cap = cap;
	}
	if (pw_u64map_put(&vm->idx, (uint64_t)tid, vm->n))
		goto nomem;
	vm->names[vm->n] = name;
	vm->tids[vm->n++] = tid;
	return 0;
nomem:
	free(name);
	return PW_ENOMEM;
}

/* Whole small file, NUL-terminated (NULs inside kept); NULL if unreadable. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *p;
	ssize_t r;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= (1u << 20) || !(p = realloc(buf, cap * 2)))
				break;
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static bool is_role(const char *s, size_t n)
{
	size_t k;

	if (n == 8 && !memcmp(s, "emulator", 8))
		return true;
	if (n > 4 && !memcmp(s, "vcpu", 4))
		k = 4;
	else if (n > 8 && !memcmp(s, "iothread", 8))
		k = 8;
	else
		return false;
	for (; k < n; k++)
		if (!isdigit((unsigned char)s[k]))
			return false;
	return true;
}

/* systemd's \xHH escapes undone, into a new string. */
static char *unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *q = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned int c;

		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    isxdigit((unsigned char)s[i + 2]) && isxdigit((unsigned char)s[i + 3]) &&
		    sscanf(s + i + 2, "%2x", &c) == 1) {
			*q++ = (char)c;
			i += 3;
		} else {
			*q++ = s[i];
		}
	}
	*q = 0;
	return out;
}

/* The instance in one path component, or NULL (also when out of memory). */
static char *component_instance(const char *c, size_t n)
{
	static const char v1[] = ".libvirt-qemu", v2[] = "machine-qemu", scope[] = ".scope";
	char *u, *p, *out;

	if (n > sizeof(v1) - 1 && !memcmp(c + n - (sizeof(v1) - 1), v1, sizeof(v1) - 1))
		return strndup(c, n - (sizeof(v1) - 1));
	if (n <= sizeof(v2) - 1 + sizeof(scope) - 1 || memcmp(c, v2, sizeof(v2) - 1) ||
	    memcmp(c + n - (sizeof(scope) - 1), scope, sizeof(scope) - 1))
		return NULL;
	/* machine-qemu\x2d3\x2dNAME.scope: "qemu-3-NAME" is libvirt's machine name */
	u = unescape(c + sizeof(v2) - 1, n - (sizeof(v2) - 1) - (sizeof(scope) - 1));
	if (!u)
		return NULL;
	p = u;
	if (*p == '-')
		p++;
	while (isdigit((unsigned char)*p))
		p++;
	if (p == u || *p != '-' || !p[1]) {
		free(u);
		return NULL;
	}
	out = strdup(p + 1);
	free(u);
	return out;
}

static int parse_path(const char *path, size_t len, char **instance, char **role)
{
	const char *c = path, *end = path + len;

	*instance = *role = NULL;
	while (c < end) {
		const char *slash = memchr(c, '/', (size_t)(end - c));
		size_t n = (size_t)((slash ? slash : end) - c);
		char *inst;

		if (n) {
			if (!*instance && (inst = component_instance(c, n)))
				*instance = inst;
			else if (*instance && is_role(c, n)) {
				free(*role);
				if (!(*role = strndup(c, n)))
					return PW_ENOMEM;
			}
		}
		c += n + 1;
	}
	return *instance ? 1 : 0;
}

int pw_vmnames_parse_cgroup(const char *text, char **instance, char **role)
{
	const char *line = text, *best = NULL, *v2 = NULL;
	size_t best_len = 0, v2_len = 0;
	int ret;

	*instance = *role = NULL;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		const char *c1 = memchr(line, ':', n), *c2;

		if (c1 && (c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line)))) {
			size_t cl = (size_t)(c2 - c1 - 1);
			const char *ctl = c1 + 1;

			/* controllers: a comma list that may hold "cpuset" */
			for (const char *w = ctl; w < c2;) {
				const char *comma = memchr(w, ',', (size_t)(c2 - w));
				size_t wl = (size_t)((comma ? comma : c2) - w);

				if (wl == 6 && !memcmp(w, "cpuset", 6) && !best) {
					best = c2 + 1;
					best_len = n - (size_t)(c2 + 1 - line);
				}
				w += wl + 1;
			}
			if (!cl && !v2) {
				v2 = c2 + 1;
				v2_len = n - (size_t)(c2 + 1 - line);
			}
		}
		line += n + (nl ? 1 : 0);
	}
	if (best) {
		ret = parse_path(best, best_len, instance, role);
		if (ret)
			return ret;
		free(*instance);
		free(*role);
		*instance = *role = NULL;
	}
	if (v2) {
		ret = parse_path(v2, v2_len, instance, role);
		if (ret <= 0) {
			free(*instance);
			free(*role);
			*instance = *role = NULL;
		}
		return ret;
	}
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* qemu's -name: "guest=NAME,debug-threads=on" or "NAME"; NULL if absent. */
static char *cmdline_name(const char *cmd, size_t len)
{
	const char *arg = cmd, *end = cmd + len;

	while (arg < end) {
		size_t n = strnlen(arg, (size_t)(end - arg));
		const char *next = arg + n + 1;

		if ((!strcmp(arg, "-name") || !strcmp(arg, "--name")) && next < end) {
			const char *v = next, *comma;

			if (!strncmp(v, "guest=", 6))
				v += 6;
			comma = strchr(v, ',');
			return strndup(v, comma ? (size_t)(comma - v) : strlen(v));
		}
		arg = next;
	}
	return NULL;
}

static bool is_qemu(const char *comm, const char *cmd)
{
	const char *base = strrchr(cmd, '/');

	base = base ? base + 1 : cmd;
	return !strncmp(comm, "qemu", 4) || !strncmp(base, "qemu", 4);
}

static int cmp_tid(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Names every thread of the qemu process @pid. */
static int scan_process(struct pw_vmnames *vm, const char *root, long pid)
{
	char path[512], *comm, *cmd, *vmname = NULL;
	long *tids = NULL;
	size_t ntids = 0, cap = 0, cmdlen = 0;
	unsigned int emulators = 0;
	struct dirent *de;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%ld/comm", root, pid);
	comm = slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/%ld/cmdline", root, pid);
	cmd = slurp(path, &cmdlen);
	if (!comm || !cmd || !is_qemu(comm, cmd))
		goto out;
	vmname = cmdline_name(cmd, cmdlen);
	if (!vmname && asprintf(&vmname, "qemu-%ld", pid) < 0) {
		vmname = NULL;
		err = PW_ENOMEM;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%ld/task", root, pid);
	d = opendir(path);
	if (!d)
		goto out;
	while ((de = readdir(d))) {
		if (!all_digits(de->d_name))
			continue;
		if (ntids == cap) {
			long *t = realloc(tids, (cap = cap ? cap * 2 : 64) * sizeof(*t));

			if (!t) {
				err = PW_ENOMEM;
				break;
			}
			tids = t;
		}
		tids[ntids++] = strtol(de->d_name, NULL, 10);
	}
	closedir(d);
	if (err)
		goto out;
	qsort(tids, ntids, sizeof(*tids), cmp_tid);
	for (size_t i = 0; i < ntids && !err; i++) {
		char *tcomm, *cg, *inst = NULL, *role = NULL, *name = NULL;
		unsigned int cpu;
		int r;

		snprintf(path, sizeof(path), "%s/%ld/task/%ld/cgroup", root, pid, tids[i]);
		cg = slurp(path, NULL);
		snprintf(path, sizeof(path), "%s/%ld/task/%ld/comm", root, pid, tids[i]);
		tcomm = slurp(path, NULL);
		if (tcomm)
			tcomm[strcspn(tcomm, "\n")] = 0;
		r = cg ? pw_vmnames_parse_cgroup(cg, &inst, &role) : 0;
		if (r < 0)
			err = r;
		if (!err && (!role || !strcmp(role, "emulator"))) {
			free(role);
			role = NULL;
			if (tcomm && sscanf(tcomm, "CPU %u/KVM", &cpu) == 1) {
				if (asprintf(&role, "vcpu%u", cpu) < 0)
					role = NULL;
			} else if (asprintf(&role, "emulator%u", emulators++) < 0) {
				role = NULL;
			}
			if (!role)
				err = PW_ENOMEM;
		}
		if (!err && asprintf(&name, "%s.%s", inst ? inst : vmname, role) < 0)
			err = PW_ENOMEM;
		if (!err)
			err = vm_add(vm, tids[i], name);
		free(inst);
		free(role);
		free(cg);
		free(tcomm);
	}
out:
	free(tids);
	free(vmname);
	free(comm);
	free(cmd);
	return err;
}

struct pw_vmnames *pw_vmnames_scan(const char *proc_root, int *err)
{
	const char *root = proc_root ? proc_root : "/proc";
	struct pw_vmnames *vm;
	struct dirent *de;
	DIR *d;
	int e = 0;

	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		e = PW_ENOMEM;
		goto out;
	}
	pw_u64map_init(&vm->idx);
	d = opendir(root);
	if (!d) {
		pw_err("%s: cannot list processes: %s", root, strerror(errno));
		e = PW_EIO;
		goto out;
	}
	while (!e && (de = readdir(d)))
		if (all_digits(de->d_name))
			e = scan_process(vm, root, strtol(de->d_name, NULL, 10));
	closedir(d);
out:
	if (e) {
		pw_vmnames_free(vm);
		vm = NULL;
	}
	if (err)
		*err = e;
	return vm;
}

int pw_vmnames_apply(const struct pw_vmnames *vm, const struct pw_namemap *user,
		     struct pw_row *row)
{
	const char *name;
	int n = 0;

	if (!vm || !vm->n)
		return 0;
	if (!pw_namemap_lookup(user, row->pid) && (name = pw_vmnames_lookup(vm, row->pid))) {
		row->task = name;
		n++;
	}
	if (!pw_namemap_lookup(user, row->next_pid) &&
	    (name = pw_vmnames_lookup(vm, row->next_pid))) {
		row->next_task = name;
		n++;
	}
	return n;
}

struct rewrite {
	const struct pw_vmnames *vm;
	const struct pw_namemap *user;
	struct pw_cdict_writer *w;
};

static int rewrite_row(const struct pw_row *in, void *ctx)
{
	struct rewrite *rw = ctx;
	struct pw_row row = *in;

	pw_vmnames_apply(rw->vm, rw->user, &row);
	return pw_cdict_writer_add(rw->w, &row);
}

int pw_vmnames_rewrite(const struct pw_vmnames *vm, const struct pw_namemap *user,
		       const char *path)
{
	struct rewrite rw = { .vm = vm, .user = user };
	struct pw_cdict *cd;
	int err = 0;

	cd = pw_cdict_open(path, &err);
	if (!cd)
		return err ? err : PW_EIO;
	rw.w = pw_cdict_writer_open(path, NULL, &err);
	if (!rw.w)
		goto out;
	err = pw_cdict_foreach(cd, rewrite_row, &rw);
	if (err) {
		pw_cdict_writer_abort(rw.w);
		goto out;
	}
	err = pw_cdict_writer_close(rw.w, pw_cdict_meta(cd));
out:
	pw_cdict_close(cd);
	return err;
}
