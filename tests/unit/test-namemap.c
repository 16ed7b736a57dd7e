// SPDX-License-Identifier: MIT
/*
 * test-namemap.c - the task-name mapping file: accepted forms, the exact
 * annotated names, and every kind of bad line rejected with a message that
 * names the file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "pw-log.h"
#include "pw-meta.h"
#include "pw-namemap.h"
#include "pw-sha256.h"

#include "test-log.h"

static int setup(void **state)
{
	pw_log_set(capture);
	log_reset();
	return 0;
}

static struct pw_namemap *load(const char *text, int *err)
{
	return pw_namemap_load_mem(text, strlen(text), "map.csv", err);
}

/* The text must be rejected with PW_EFORMAT and @msg among the messages. */
static void assert_rejected(const char *text, const char *msg)
{
	struct pw_namemap *m;
	int err = 0;

	setup(NULL);
	m = load(text, &err);
	if (m || err != PW_EFORMAT || !strstr(logbuf, msg))
		fail_msg("input:\n%s\nexpected error '%s', got err=%d map=%p log:\n%s",
			 text, msg, err, (void *)m, logbuf);
	pw_namemap_free(m);
}

/* The examples of the mapping-file documentation, both forms. */
static void test_full_and_simplified_forms(void **state)
{
	static const char *const texts[] = {
		"19236,instance-000019f4,vcpu0,8f81e3a1-3ebd-4015-bbee-e291f0672d02,FULL,5,Firewall\n"
		"453,instance-00001892,emulator,4a81e3cc-4de0-5030-cbfd-f3c43213c34b,FULL,2,Router\n",
		"19236,,vcpu0,,,5,Firewall\n"
		"453,,emulator,,,2,Router\n",
	};

	for (int i = 0; i < 2; i++) {
		int err = -1;
		struct pw_namemap *m = load(texts[i], &err);

		assert_non_null(m);
		assert_int_equal(err, 0);
		assert_int_equal(pw_namemap_count(m), 2);
		assert_string_equal(pw_namemap_lookup(m, 19236), "Firewall.05.vcpu0");
		assert_string_equal(pw_namemap_lookup(m, 453), "Router.02.emulator");
		assert_null(pw_namemap_lookup(m, 454));
		assert_null(pw_namemap_lookup(m, PW_NONE));
		assert_string_equal(pw_namemap_file(m), "map.csv");
		pw_namemap_free(m);
	}
	assert_int_equal(nerrors, 0);
	assert_int_equal(nwarnings, 0);
}

static void test_group_id_digits(void **state)
{
	struct pw_namemap *m = load("1,,vcpu0,,,0,A\n"
				    "2,,vcpu1,,,7,A\n"
				    "3,,vcpu2,,,42,A\n"
				    "4,,vcpu3,,,123,A\n"
				    "5,,vcpu4,,,007,A\n"
				    "6,,vcpu5,,,2147483647,A\n", NULL);

	assert_non_null(m);
	assert_string_equal(pw_namemap_lookup(m, 1), "A.00.vcpu0");
	assert_string_equal(pw_namemap_lookup(m, 2), "A.07.vcpu1");
	assert_string_equal(pw_namemap_lookup(m, 3), "A.42.vcpu2");
	assert_string_equal(pw_namemap_lookup(m, 4), "A.123.vcpu3");
	assert_string_equal(pw_namemap_lookup(m, 5), "A.07.vcpu4");
	assert_string_equal(pw_namemap_lookup(m, 6), "A.2147483647.vcpu5");
	pw_namemap_free(m);
}

/* Documented choice: no type, no trailing dot. */
static void test_empty_type(void **state)
{
	struct pw_namemap *m = load("19236,,,,,5,Firewall\n", NULL);

	assert_non_null(m);
	assert_string_equal(pw_namemap_lookup(m, 19236), "Firewall.05");
	pw_namemap_free(m);
}

static void test_ignored_lines_and_line_ends(void **state)
{
	struct pw_namemap *m = load("\xef\xbb\xbf# tid,instance,type,uuid,group-type,group-id,name\r\n"
				    "\r\n"
				    "   \t \n"
				    "  # an indented comment, 1,2,3\n"
				    "#\n"
				    "10,,vcpu0,,,1,Router\r\n"
				    "\n"
				    "11,,vcpu1,,,1,Router", NULL);

	assert_non_null(m);
	assert_int_equal(pw_namemap_count(m), 2);
	assert_string_equal(pw_namemap_lookup(m, 10), "Router.01.vcpu0");
	assert_string_equal(pw_namemap_lookup(m, 11), "Router.01.vcpu1");
	assert_int_equal(nerrors, 0);
	pw_namemap_free(m);
}

static void test_spaces_quotes_utf8(void **state)
{
	struct pw_namemap *m = load(" 19236 , x , vcpu0 ,,, 5 ,\tFirewall \n"
				    "20,\"inst,ance\",\"vcpu1\",,,\"3\",\"Fire, wall\"\n"
				    "21,,vcpu0,,,1,Pare-feu \xc3\xa9t\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x94\xa5\n"
				    "22,,emulator,,,1,\"say \"\"hi\"\"\"\n", NULL);

	assert_non_null(m);
	assert_string_equal(pw_namemap_lookup(m, 19236), "Firewall.05.vcpu0");
	assert_string_equal(pw_namemap_lookup(m, 20), "Fire, wall.03.vcpu1");
	assert_string_equal(pw_namemap_lookup(m, 21),
			    "Pare-feu \xc3\xa9t\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x94\xa5.01.vcpu0");
	assert_string_equal(pw_namemap_lookup(m, 22), "say \"hi\".01.emulator");
	pw_namemap_free(m);
}

static void test_field_counts(void **state)
{
	assert_rejected("1,,vcpu0,,,1,A\n2,,vcpu0,,1,B\n",
			"map.csv:2: expected 7 comma-separated fields");
	assert_rejected("1,,vcpu0,,,1,A\n2,,vcpu0,,1,B\n", "found 6");
	assert_rejected("# c\n\n2,,vcpu0,,,,1,B\n", "map.csv:3: expected 7");
	assert_rejected("# c\n\n2,,vcpu0,,,,1,B\n", "found 8");
	assert_rejected("19236\n", "map.csv:1: expected 7 comma-separated fields");
	assert_rejected("19236;;vcpu0;;;5;Firewall\n", "found 1");
}

static void test_bad_numbers(void **state)
{
	assert_rejected("abc,,vcpu0,,,1,A\n", "map.csv:1: tid 'abc' is not a decimal number");
	assert_rejected(",,vcpu0,,,1,A\n", "map.csv:1: tid '' is not a decimal number");
	assert_rejected("-5,,vcpu0,,,1,A\n", "map.csv:1: tid '-5' is not a decimal number");
	assert_rejected("+5,,vcpu0,,,1,A\n", "tid '+5' is not a decimal number");
	assert_rejected("0x10,,vcpu0,,,1,A\n", "tid '0x10' is not a decimal number");
	assert_rejected("12 34,,vcpu0,,,1,A\n", "tid '12 34' is not a decimal number");
	assert_rejected("0,,vcpu0,,,1,A\n", "map.csv:1: tid 0 out of range (1..2147483647)");
	assert_rejected("2147483648,,vcpu0,,,1,A\n", "tid 2147483648 out of range");
	assert_rejected("99999999999999999999999999,,vcpu0,,,1,A\n",
			"tid 99999999999999999999999999 out of range");
	assert_rejected("1,,vcpu0,,,x,A\n", "map.csv:1: group-id 'x' is not a decimal number");
	assert_rejected("1,,vcpu0,,,,A\n", "map.csv:1: group-id '' is not a decimal number");
	assert_rejected("1,,vcpu0,,,-1,A\n", "group-id '-1' is not a decimal number");
	assert_rejected("1,,vcpu0,,,1.5,A\n", "group-id '1.5' is not a decimal number");
	assert_rejected("1,,vcpu0,,,2147483648,A\n", "group-id 2147483648 out of range");
	/* what is quoted of a bad field is bounded and printable */
	assert_rejected("\"\x01\xff""aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",,v,,,1,A\n",
			"tid '??aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is not a decimal number");
}

static void test_bad_names(void **state)
{
	assert_rejected("1,,vcpu0,,,1,\n", "map.csv:1: empty task-name");
	assert_rejected("1,,vcpu0,,,1,   \n", "map.csv:1: empty task-name");
	assert_rejected("1,,vcpu0,,,1,\"  \"\n", "map.csv:1: empty task-name");
	assert_rejected("1,,vcpu0,,,1,A\n2,,vcpu0,,,1,Fire\xffwall\n",
			"map.csv:2: task-name is not valid UTF-8");
	assert_rejected("1,,vcpu0,,,1,\xc0\xaf\n", "task-name is not valid UTF-8");	/* overlong */
	assert_rejected("1,,vcpu0,,,1,A\xe2\x82\n", "task-name is not valid UTF-8");	/* cut */
	assert_rejected("1,,vcpu0,,,1,\xed\xa0\x80\n", "task-name is not valid UTF-8");	/* surrogate */
	assert_rejected("1,,vcpu0,,,1,\xf4\x90\x80\x80\n", "task-name is not valid UTF-8");
	assert_rejected("1,,vcpu\x80,,,1,A\n", "map.csv:1: task-system-type is not valid UTF-8");
	assert_rejected("1,,vcpu0,,,1,\"Fire\twall\"\n", "map.csv:1: control character in task-name");
	assert_rejected("1,,vcpu0,,,1,\"Fire\x1b[31mwall\"\n", "control character in task-name");
	assert_rejected("1,,\"vc\x7fpu\",,,1,A\n", "control character in task-system-type");
	/* a quoted line end would put a newline in the name: unterminated quote */
	assert_rejected("1,,vcpu0,,,1,\"Fire\nwall\"\n", "map.csv:1: CSV syntax error");
	assert_rejected("1,,vcpu0,,,1,Fi\"re\n", "map.csv:1: CSV syntax error");
	assert_rejected("1,,vcpu0,,,1,Fire\rwall\n", "map.csv:1: carriage return inside the line");
}

static void test_duplicate_tid(void **state)
{
	assert_rejected("# header\n19236,,vcpu0,,,5,Firewall\n20,,vcpu0,,,5,Router\n"
			"19236,,vcpu1,,,5,Firewall\n",
			"map.csv:4: tid 19236 listed twice (first on line 2)");
	/* the same tid spelled differently is still the same tid */
	assert_rejected("7,,vcpu0,,,5,A\n007,,vcpu1,,,5,B\n",
			"map.csv:2: tid 7 listed twice (first on line 1)");
}

static void test_huge_and_binary_lines(void **state)
{
	size_t n = PW_NAMEMAP_MAX_LINE + 100;
	char *text = malloc(n + 64);
	char *p;

	assert_non_null(text);
	/* a line of exactly the limit is fine */
	p = text + sprintf(text, "1,,vcpu0,,,1,");
	memset(p, 'x', PW_NAMEMAP_MAX_LINE - (size_t)(p - text));
	strcpy(text + PW_NAMEMAP_MAX_LINE, "\n");
	setup(NULL);
	{
		struct pw_namemap *m = load(text, NULL);

		assert_non_null(m);
		assert_int_equal(strlen(pw_namemap_lookup(m, 1)),
				 PW_NAMEMAP_MAX_LINE - strlen("1,,vcpu0,,,1,") + strlen(".01.vcpu0"));
		pw_namemap_free(m);
	}
	/* one more byte is not */
	strcpy(text + PW_NAMEMAP_MAX_LINE, "y\n");
	assert_rejected(text, "map.csv:1: line longer than 4096 bytes");
	/* nor is a megabyte without a line end */
	free(text);
	n = 1 << 20;
	text = malloc(n + 1);
	assert_non_null(text);
	memset(text, '9', n);
	text[n] = '\0';
	memcpy(text, "3,,v,,,1,A\n", 11);
	assert_rejected(text, "map.csv:2: line longer than 4096 bytes");
	free(text);

	{
		static const char bin[] = "1,,vcpu0,,,1,A\n2,,vc\0pu0,,,1,B\n";
		int err = 0;

		setup(NULL);
		assert_null(pw_namemap_load_mem(bin, sizeof(bin) - 1, "bin.csv", &err));
		assert_int_equal(err, PW_EFORMAT);
		assert_non_null(strstr(logbuf, "bin.csv:2: NUL byte in the line"));
	}
}

/* Every bad line is reported (up to a limit), not only the first. */
static void test_all_errors_reported(void **state)
{
	char text[2048] = "";
	int err = 0;

	assert_rejected("x,,v,,,1,A\n1,,v,,,1,B\n1,,v,,,1,C\n2,,v,,,1,\n",
			"map.csv:1: tid 'x'");
	assert_non_null(strstr(logbuf, "map.csv:3: tid 1 listed twice (first on line 2)"));
	assert_non_null(strstr(logbuf, "map.csv:4: empty task-name"));
	assert_non_null(strstr(logbuf, "map.csv: mapping file rejected"));

	for (int i = 0; i < 30; i++)
		strcat(text, "bad\n");
	setup(NULL);
	assert_null(load(text, &err));
	assert_int_equal(err, PW_EFORMAT);
	assert_non_null(strstr(logbuf, "map.csv:10: expected 7"));
	assert_null(strstr(logbuf, "map.csv:11:"));
	assert_non_null(strstr(logbuf, "map.csv: too many errors, stopped after line 10"));
}

static void test_lookup_and_apply(void **state)
{
	struct pw_namemap *m = load("100,,vcpu0,,,1,Router\n200,,vcpu1,,,2,Firewall\n", NULL);
	struct pw_row row = {
		.pid = 100, .task = "qemu-kvm", .next_pid = 200, .next_task = "qemu-kvm",
		.tgid = 99,
	};
	struct pw_row other = {
		.pid = 101, .task = "kworker/0:1", .next_pid = PW_NONE, .next_task = NULL,
	};
	struct pw_row half = {
		.pid = 5, .task = "bash", .next_pid = 100, .next_task = "CPU 0/KVM",
	};

	assert_non_null(m);
	assert_int_equal(pw_namemap_apply(m, &row), 2);
	assert_string_equal(row.task, "Router.01.vcpu0");
	assert_string_equal(row.next_task, "Firewall.02.vcpu1");
	assert_ptr_equal(row.task, pw_namemap_lookup(m, 100));
	assert_int_equal(row.pid, 100);
	assert_int_equal(row.tgid, 99);

	assert_int_equal(pw_namemap_apply(m, &other), 0);
	assert_string_equal(other.task, "kworker/0:1");
	assert_null(other.next_task);

	assert_int_equal(pw_namemap_apply(m, &half), 1);
	assert_string_equal(half.task, "bash");
	assert_string_equal(half.next_task, "Router.01.vcpu0");

	/* no map: nothing changes */
	other.pid = 100;
	assert_int_equal(pw_namemap_apply(NULL, &other), 0);
	assert_string_equal(other.task, "kworker/0:1");
	assert_null(pw_namemap_lookup(NULL, 100));
	assert_int_equal(pw_namemap_count(NULL), 0);
	pw_namemap_free(m);
	pw_namemap_free(NULL);
}

/* Enough tids to grow the hash table several times; ids clustered and spread. */
static void test_many_tids(void **state)
{
	size_t cap = 20000 * 40, len = 0;
	char *text = malloc(cap), want[64];
	struct pw_namemap *m;

	assert_non_null(text);
	for (int i = 0; i < 20000; i++) {
		int tid = i < 10000 ? i + 1 : 4194304 - i * 97;

		len += (size_t)snprintf(text + len, cap - len, "%d,,vcpu%d,,,%d,T\n",
					tid, i % 8, i % 100);
	}
	m = load(text, NULL);
	assert_non_null(m);
	assert_int_equal(pw_namemap_count(m), 20000);
	for (int i = 0; i < 20000; i++) {
		int tid = i < 10000 ? i + 1 : 4194304 - i * 97;

		snprintf(want, sizeof(want), "T.%02d.vcpu%d", i % 100, i % 8);
		assert_string_equal(pw_namemap_lookup(m, tid), want);
	}
	assert_null(pw_namemap_lookup(m, 10001));
	assert_null(pw_namemap_lookup(m, -1));
	pw_namemap_free(m);
	free(text);
}

static void test_digest_and_meta(void **state)
{
	static const char text[] = "19236,,vcpu0,,,5,Firewall\n";
	char hex[PW_SHA256_HEX_LEN];
	struct pw_namemap *m = load(text, NULL);
	struct pw_meta meta;

	assert_non_null(m);
	pw_sha256_hex(text, strlen(text), hex);
	assert_string_equal(pw_namemap_digest(m), hex);
	/* sha256sum of the same bytes (printf '19236,,vcpu0,,,5,Firewall\n' | sha256sum) */
	assert_string_equal(pw_namemap_digest(m),
			    "2e93a60482d1ca5fec836c1c4faf55a0bfcc06aff59e41b6d78b3a50166f207c");

	pw_meta_init(&meta);
	assert_int_equal(pw_namemap_to_meta(m, &meta), 0);
	assert_string_equal(meta.map_file, "map.csv");
	assert_string_equal(meta.map_digest, hex);
	assert_int_equal(pw_namemap_to_meta(NULL, &meta), PW_EINVAL);
	assert_string_equal(meta.map_file, "map.csv");
	/* replacing an earlier map frees it */
	assert_int_equal(pw_namemap_to_meta(m, &meta), 0);
	pw_meta_release(&meta);
	pw_namemap_free(m);
}

static void test_empty_file(void **state)
{
	int err = -1;
	struct pw_namemap *m = pw_namemap_load_mem(NULL, 0, "empty.csv", &err);

	assert_non_null(m);
	assert_int_equal(err, 0);
	assert_int_equal(pw_namemap_count(m), 0);
	assert_non_null(strstr(logbuf, "empty.csv: no mapping rows"));
	assert_string_equal(pw_namemap_digest(m),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	pw_namemap_free(m);

	m = load("# only a comment\n\n", &err);
	assert_non_null(m);
	assert_int_equal(pw_namemap_count(m), 0);
	pw_namemap_free(m);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/pw-namemap-XXXXXX";
	static const char text[] = "# run 1\n453,,emulator,,,2,Router\n19236,,vcpu0,,,5,Firewall\n";
	char hex[PW_SHA256_HEX_LEN];
	struct pw_namemap *m;
	int fd, err = -1;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);

	m = pw_namemap_load(path, &err);
	assert_non_null(m);
	assert_int_equal(err, 0);
	assert_string_equal(pw_namemap_file(m), path);
	pw_sha256_hex(text, strlen(text), hex);
	assert_string_equal(pw_namemap_digest(m), hex);
	assert_string_equal(pw_namemap_lookup(m, 453), "Router.02.emulator");
	assert_string_equal(pw_namemap_lookup(m, 19236), "Firewall.05.vcpu0");
	pw_namemap_free(m);

	/* errors from a file carry its path and the line */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "19236,,vcpu1,,,5,Firewall\n", 26), 26);
	close(fd);
	setup(NULL);
	assert_null(pw_namemap_load(path, &err));
	assert_int_equal(err, PW_EFORMAT);
	{
		char want[128];

		snprintf(want, sizeof(want), "%s:4: tid 19236 listed twice (first on line 3)", path);
		assert_non_null(strstr(logbuf, want));
	}
	unlink(path);

	setup(NULL);
	assert_null(pw_namemap_load(path, &err));
	assert_int_equal(err, PW_ENOENT);
	assert_non_null(strstr(logbuf, path));
	assert_non_null(strstr(logbuf, "No such file"));

	setup(NULL);
	assert_null(pw_namemap_load("/", &err));
	assert_int_equal(err, PW_EIO);
	assert_non_null(strstr(logbuf, "/: read error"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_full_and_simplified_forms, setup),
		cmocka_unit_test_setup(test_group_id_digits, setup),
		cmocka_unit_test_setup(test_empty_type, setup),
		cmocka_unit_test_setup(test_ignored_lines_and_line_ends, setup),
		cmocka_unit_test_setup(test_spaces_quotes_utf8, setup),
		cmocka_unit_test_setup(test_field_counts, setup),
		cmocka_unit_test_setup(test_bad_numbers, setup),
		cmocka_unit_test_setup(test_bad_names, setup),
		cmocka_unit_test_setup(test_duplicate_tid, setup),
		cmocka_unit_test_setup(test_huge_and_binary_lines, setup),
		cmocka_unit_test_setup(test_all_errors_reported, setup),
		cmocka_unit_test_setup(test_lookup_and_apply, setup),
		cmocka_unit_test_setup(test_many_tids, setup),
		cmocka_unit_test_setup(test_digest_and_meta, setup),
		cmocka_unit_test_setup(test_empty_file, setup),
		cmocka_unit_test_setup(test_load_file, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
