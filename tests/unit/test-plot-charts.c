// SPDX-License-Identifier: MIT
/* test-plot-charts.c - chart data files, scripts, rendering and the report. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "charts.h"
#include "dashboard.h"
#include "gnuplot.h"
#include "pw-log.h"
#include "report.h"
#include "test-plot-fixture.h"

static struct fx fx;
static struct pm_run run;
static struct pm_agg *agg;
static char dir[] = "/tmp/test-plot-charts-XXXXXX";

static int setup(void **state)
{
	struct pm_run *runs[1] = { &run };
	struct pm_select *s;
	int err;

	fx_build(&fx, fx_basic, sizeof(fx_basic) / sizeof(fx_basic[0]));
	if (pm_run_index(&run, "basic.cdict", &fx.c, NULL, NULL) || pm_runs_name(runs, 1) ||
	    pm_runs_window(runs, 1, 0, -1))
		return -1;
	s = pm_select_parse("*", &err);
	pm_run_select(&run, s);
	pm_select_free(s);
	if (!mkdtemp(dir))
		return -1;
	return pm_agg_build(&run, 10, &agg);
}

static int teardown(void **state)
{
	char cmd[256];

	pm_agg_free(agg);
	pm_run_release(&run);
	fx_release(&fx);
	if (getenv("PM_TEST_KEEP"))
		return 0;	/* to look at the images */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

/* The lines of @name in the output dir that are not comments, joined. */
static char *data_lines(const char *name)
{
	char path[512], line[4096];
	char *buf = NULL;
	size_t len = 0;
	FILE *in, *out;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	in = fopen(path, "r");
	assert_non_null(in);
	out = open_memstream(&buf, &len);
	while (fgets(line, sizeof(line), in))
		if (line[0] != '#')
			fputs(line, out);
	fclose(in);
	fclose(out);
	return buf;
}

static void test_formats(void **state)
{
	unsigned int m;
	char buf[64];

	assert_int_equal(pm_formats_parse("png,svg,pdf,eps,tex", &m), 0);
	assert_int_equal(m, 31);
	assert_int_equal(pm_formats_parse("png,gif", &m), PW_EINVAL);
	pm_format_file("coremap", PM_FMT_TEX, buf, sizeof(buf));
	assert_string_equal(buf, "coremap-tex.tex");
	assert_string_equal(pm_gp_quote("a\"b\\c", buf, sizeof(buf)), "\"a\\\"b\\\\c\"");
	assert_string_equal(pm_gp_text("5%", buf, sizeof(buf)), "L(\"5%\")");
	assert_string_equal(pm_gp_tic("x\"", buf, sizeof(buf)), "T(\"x\\\"\")");
	/* Fixed colours per reason, the same on every call. */
	assert_string_equal(pm_reason_color("HLT"), pm_colors[1]);
	assert_string_equal(pm_reason_color("SOME_NEW_REASON"), pm_reason_color("SOME_NEW_REASON"));
	pm_safe_name("heatmap-kworker/u8:2", buf, sizeof(buf));
	assert_string_equal(buf, "heatmap-kworker_u8_2");
}

static void test_basic_data(void **state)
{
	struct pm_charts cs;
	char *d;

	assert_int_equal(pm_charts_init(&cs, dir, PM_FMT_DEFAULT), 0);
	assert_int_equal(pm_charts_basic(&cs, "", NULL, &agg, 1), 0);
	assert_int_equal(cs.n, 3);
	assert_string_equal(cs.v[0].name, "cpu-usage");
	assert_string_equal(cs.v[1].name, "kvm-exits");
	assert_string_equal(cs.v[2].name, "coremap");

	/* Window 9001 ns: A and B ran 7000 ns, swapper/0 4000 ns. */
	d = data_lines("cpu-usage.dat");
	assert_string_equal(d,
		"A\t77.769\t7000\t1\t1\n"
		"B\t77.769\t7000\t0\t1\n"
		"swapper/0\t44.440\t4000\t0\t2\n"
		"swapper/1\t0.000\t0\t0\t1\n");
	free(d);
	d = data_lines("kvm-exits.dat");
	assert_string_equal(d, "task\tEXTERNAL_INTERRUPT\tHLT\ttotal\nA\t1\t2\t3\n");
	free(d);
	assert_non_null(cs.v[1].html);
	assert_non_null(strstr(cs.v[1].html, "<td>A</td><td>1</td><td>2</td><td>3</td>"));
	d = data_lines("coremap.dat");
	assert_string_equal(d,
		"0\t4\tA\t0\t55.549\t5000\t1\n"
		"1\t4\tA\t1\t22.220\t2000\t1\n"
		"2\t4\tA\tall\t38.885\t7000\t2\n"
		"0\t3\tB\t0\t0.000\t0\t0\n"
		"1\t3\tB\t1\t77.769\t7000\t1\n"
		"2\t3\tB\tall\t38.885\t7000\t1\n"
		"0\t2\tswapper/0\t0\t44.440\t4000\t2\n"
		"1\t2\tswapper/0\t1\t0.000\t0\t0\n"
		"2\t2\tswapper/0\tall\t22.220\t4000\t2\n"
		"0\t1\tswapper/1\t0\t0.000\t0\t0\n"
		"1\t1\tswapper/1\t1\t0.000\t0\t1\n"
		"2\t1\tswapper/1\tall\t0.000\t0\t1\n"
		"0\t0\tall tasks\t0\t99.989\t9000\t3\n"
		"1\t0\tall tasks\t1\t99.989\t9000\t3\n"
		"2\t0\tall tasks\tall\t99.989\t18000\t6\n");
	free(d);
	pm_charts_release(&cs);
}

static void test_heatmap_data(void **state)
{
	struct pm_charts cs;
	char path[512], line[512];
	unsigned int nonzero = 0, lines = 0;
	FILE *f;

	assert_int_equal(pm_charts_init(&cs, dir, PM_FMT_DEFAULT), 0);
	assert_int_equal(pm_charts_heatmaps(&cs, "", NULL, &agg, 1), 0);
	/* A: sched + kvm + tcoremap; B: sched + tcoremap; swapper/0: sched +
	 * tcoremap; swapper/1: nothing (no duration known, no run time). */
	assert_int_equal(cs.n, 7);
	assert_string_equal(cs.v[0].name, "heatmap-A");
	assert_string_equal(cs.v[1].name, "kvm-heatmap-A");
	assert_string_equal(cs.v[2].name, "tcoremap-A");

	/* heatmap-A: run and wait series, every cell written, two events each. */
	snprintf(path, sizeof(path), "%s/heatmap-A.dat", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned int db, tb, count;
		unsigned long long ts, lo;
		double x;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%lf\t%u\t%u\t%llu\t%llu\t%u", &x, &db, &tb, &ts, &lo,
					&count), 6);
		lines++;
		if (count)
			nonzero++;
		if (tb == 2 && db == 1 && lines <= 10 * PM_DBINS)
			assert_int_equal(count, 1);	/* run: 2000 ns at 3000 */
	}
	fclose(f);
	assert_int_equal(lines, 2 * 10 * PM_DBINS);
	assert_int_equal(nonzero, 3);	/* run x2, wait x1 */
	pm_charts_release(&cs);
}

static bool file_starts(const char *name, const char *magic, size_t n, off_t min_size)
{
	char path[512], buf[16] = { 0 };
	struct stat st;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return false;
	ok = fread(buf, 1, n, f) == n && !memcmp(buf, magic, n) && !fstat(fileno(f), &st) &&
	     st.st_size >= min_size;
	fclose(f);
	return ok;
}

static void test_render_and_report(void **state)
{
	struct pm_charts cs;
	struct pm_run *runs[1] = { &run };
	struct pm_report_info info = { .label = "fixture <1>", .tasks = "*", .date = "today" };
	char *html;

	if (system("command -v gnuplot >/dev/null 2>&1")) {
		skip();
		return;
	}
	assert_int_equal(pm_charts_init(&cs, dir, PM_FMT_DEFAULT | (1u << PM_FMT_PDF)), 0);
	assert_int_equal(pm_charts_basic(&cs, "", NULL, &agg, 1), 0);
	assert_int_equal(pm_charts_render(&cs, "gnuplot", 2), 0);
	assert_true(file_starts("cpu-usage.png", "\x89PNG\r\n\x1a\n", 8, 2000));
	assert_true(file_starts("coremap.png", "\x89PNG\r\n\x1a\n", 8, 2000));
	assert_true(file_starts("kvm-exits.pdf", "%PDF-", 5, 1000));
	assert_true(file_starts("kvm-exits.svg", "<?xml", 5, 1000));
	assert_int_equal(access("coremap.log", F_OK), -1);	/* removed on success */
	assert_int_equal(pw_meta_add_dropped(&run.meta, "sched_waking", 7), 0);
	run.meta.lost = 3;
	run.meta.partial = true;
	assert_int_equal(pm_report_write(&cs, &info, runs, 1), 0);
	html = data_lines("index.html");
	assert_non_null(strstr(html, "<title>fixture &lt;1&gt;</title>"));
	assert_non_null(strstr(html, "<img src=\"cpu-usage.png\""));
	assert_non_null(strstr(html, "href=\"kvm-exits.pdf\""));
	assert_non_null(strstr(html, "href=\"coremap.gp\""));
	assert_non_null(strstr(html, "href=\"coremap.dat\""));
	assert_null(strstr(html, "http"));
	assert_non_null(strstr(html, "<th>not kept</th><td>sched_waking: 7</td>"));
	assert_non_null(strstr(html, "<th>lost</th><td>3 lost events, 0 lost samples</td>"));
	assert_non_null(strstr(html, "<th>partial</th><td>yes: the capture was cut short</td>"));
	assert_non_null(strstr(html, "Made by perfmap " PW_VERSION " on today."));
	assert_non_null(strstr(html, "<table class=\"counts\">"));
	free(html);
	pm_charts_release(&cs);

	/* gnuplot missing: an error naming it, the script kept. */
	assert_int_equal(pm_charts_init(&cs, dir, PM_FMT_DEFAULT), 0);
	assert_int_equal(pm_charts_basic(&cs, "x-", NULL, &agg, 1), 0);
	assert_int_equal(pm_charts_render(&cs, "/nonexistent/gnuplot", 1), PW_ENOENT);
	assert_int_equal(cs.v[0].status, PW_ENOENT);
	assert_non_null(cs.v[0].message);
	assert_non_null(strstr(cs.v[0].message, "No such file"));
	assert_true(file_starts("x-cpu-usage.gp", "# x-cpu-usage.gp", 16, 100));
	pm_charts_release(&cs);

	/* A failing script: gnuplot's own message comes back. */
	assert_int_equal(pm_charts_init(&cs, dir, PM_FMT_DEFAULT), 0);
	assert_int_equal(pm_charts_basic(&cs, "y-", NULL, &agg, 1), 0);
	{
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/y-cpu-usage.gp", dir);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("plot nosuchfunction(x)\n", f);
		fclose(f);
	}
	assert_int_equal(pm_charts_render(&cs, "gnuplot", 2), PW_EIO);
	assert_int_equal(cs.v[0].status, PW_EIO);
	assert_non_null(strstr(cs.v[0].message, "undefined function"));
	assert_int_equal(cs.v[1].status, 0);
	pm_charts_release(&cs);
}

/* Write an executable stand-in for gnuplot: a shell script. */
static void stand_in(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

/* Entries of the output dir whose name starts with @prefix. */
static int count_entries(const char *prefix)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

/*
 * gnuplot runs in a directory of its own, as "gnuplot -e "set loadpath
 * '..'" NAME.gp"; its images are moved out only when whole. A stand-in
 * that cuts one image short: PW_EWRITE, the chart says why, no image under
 * its name, nothing left behind. One that writes whole images: moved out.
 */
static void test_render_whole_only(void **state)
{
	struct pm_charts cs;
	char gp[512], png[512];

	snprintf(gp, sizeof(gp), "%s/stand-in-gnuplot", dir);
	assert_int_equal(pm_charts_init(&cs, dir, PM_FMT_DEFAULT), 0);
	assert_int_equal(pm_charts_basic(&cs, "w-", NULL, &agg, 1), 0);
	assert_true(cs.n >= 2);
	/* whole PNG and SVG endings, written where the script is run; the
	 * script and its data are found through the loadpath, and the script
	 * is told to send png and svg through cat */
	stand_in(gp, "[ \"$1\" = -e ] && [ \"$2\" = \"set loadpath '..'; via_cat = 1\" ] || exit 3\n"
		 "[ -f \"../$3\" ] && [ ! -e \"$3\" ] || exit 4\n"
		 "n=${3%.gp}; [ -f \"../$n.dat\" ] || exit 5\n"
		 "printf 'PNG\\0\\0\\0\\0IEND\\256B`\\202' >\"$n.png\"\n"
		 "printf '<svg>\\n</svg>\\n' >\"$n.svg\"\n");
	assert_int_equal(pm_charts_render(&cs, gp, 2), 0);
	for (unsigned int i = 0; i < cs.n; i++) {
		assert_int_equal(cs.v[i].status, 0);
		snprintf(png, sizeof(png), "%s.png", cs.v[i].name);
		assert_true(file_starts(png, "PNG", 3, 1));
	}
	assert_int_equal(count_entries(".w-"), 0);

	/* the SVG of the first chart cut short, as a full disk leaves it */
	stand_in(gp, "n=${3%.gp}\n"
		 "printf 'PNG\\0\\0\\0\\0IEND\\256B`\\202' >\"$n.png\"\n"
		 "case $n in w-cpu-usage) printf '<svg>\\n<g>' ;; *) printf '<svg></svg>' ;; esac >\"$n.svg\"\n");
	snprintf(png, sizeof(png), "%s/w-cpu-usage.png", dir);
	assert_int_equal(unlink(png), 0);
	assert_int_equal(pm_charts_render(&cs, gp, 1), PW_EWRITE);
	assert_int_equal(cs.v[0].status, PW_EWRITE);
	assert_string_equal(cs.v[0].name, "w-cpu-usage");
	assert_non_null(strstr(cs.v[0].message, "w-cpu-usage.svg was cut short"));
	assert_int_equal(count_entries("w-cpu-usage.png"), 0);	/* not even the whole PNG */
	assert_int_equal(count_entries("w-cpu-usage.svg"), 1);	/* the earlier whole one */
	assert_int_equal(cs.v[1].status, 0);
	assert_int_equal(count_entries(".w-"), 0);
	assert_int_equal(count_entries("w-cpu-usage.log"), 0);
	pm_charts_release(&cs);
}

static void count_pass(const struct pm_run *r, uint64_t done, uint64_t total, void *ctx)
{
	(void)r;
	if (done == total)
		(*(int *)ctx)++;
}

/* --group-by in one pass or in one pass a group: the same files. */
static void test_groups_in_passes(void **state)
{
	struct pm_run *runs[1] = { &run };
	int passes[2] = { 0, 0 };
	unsigned int n[2];
	char sub[2][300], cmd[700];

	for (int k = 0; k < 2; k++) {
		struct pm_pass_hooks hooks = { .progress = count_pass, .ctx = &passes[k] };
		struct pm_dashboard_opts o = { .heatmaps = true, .group_by = PM_GROUP_PROCESS,
					       .pass_bytes = k ? 1 : 0 };
		struct pm_charts cs;

		snprintf(sub[k], sizeof(sub[k]), "%s/passes-%d", dir, k);
		assert_int_equal(mkdir(sub[k], 0755), 0);
		assert_int_equal(pm_charts_init(&cs, sub[k], PM_FMT_DEFAULT), 0);
		run.hooks = &hooks;
		assert_int_equal(pm_dashboard_write(&cs, runs, 1, &o), 0);
		run.hooks = NULL;
		n[k] = cs.n;
		pm_charts_release(&cs);
	}
	/* processes 0 (swapper), 10 (A) and 20 (B): A's heatmap, KVM heatmap and
	 * temporal coremap, B's and swapper/0's heatmap and coremap */
	assert_int_equal(n[0], 7);
	assert_int_equal(n[1], 7);
	assert_int_equal(passes[0], 1);
	assert_int_equal(passes[1], 3);
	snprintf(cmd, sizeof(cmd), "diff -r %s %s >/dev/null", sub[0], sub[1]);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_basic_data),
		cmocka_unit_test(test_heatmap_data),
		cmocka_unit_test(test_render_and_report),
		cmocka_unit_test(test_render_whole_only),
		cmocka_unit_test(test_groups_in_passes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
