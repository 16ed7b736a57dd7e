// SPDX-License-Identifier: MIT
/* test-intern.c - string interning, and its char[16] fast path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "intern.h"

/* Ids in order of first use, the same string the same id. */
static void test_ids(void **state)
{
	struct pw_intern *in = pw_intern_new();
	size_t len;

	(void)state;
	assert_non_null(in);
	assert_int_equal(pw_intern_add(in, "sshd", 4), 1);
	assert_int_equal(pw_intern_add(in, "bash", 4), 2);
	assert_int_equal(pw_intern_add(in, "sshd-x", 4), 1);
	assert_string_equal(pw_intern_str(in, 2, &len), "bash");
	assert_int_equal(len, 4);
	assert_null(pw_intern_str(in, 3, NULL));
	assert_int_equal(pw_intern_count(in), 2);
	pw_intern_free(in);
}

/*
 * pw_intern_add16() gives what pw_intern_add() of the bytes before the
 * first NUL gives, whatever follows the NUL, a name of all 16 bytes
 * included, and also once its cache has seen the same bytes.
 */
static void test_add16(void **state)
{
	static const char f[][16] = {
		"swapper/0", "CPU 0/KVM", "CPU 0/KVM\0junk", "0123456789abcdef",
		"", "\0xxxxxxxxxxxxxx", "CPU 1/KVM",
	};
	struct pw_intern *a = pw_intern_new(), *b = pw_intern_new();

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			int64_t x = pw_intern_add16(a, f[i]);
			int64_t y = pw_intern_add(b, f[i], strnlen(f[i], 16));

			assert_int_equal(x, y);
		}
	}
	assert_int_equal(pw_intern_count(a), 5);
	assert_memory_equal(pw_intern_str(a, 3, NULL), "0123456789abcdef", 17);
	/* many distinct names: slots are reused, ids stay right */
	for (int i = 0; i < 5000; i++) {
		char n[16] = { 0 };

		snprintf(n, sizeof(n), "task-%d", i % 700);
		assert_int_equal(pw_intern_add16(a, n), pw_intern_add(b, n, strlen(n)));
	}
	pw_intern_free(a);
	pw_intern_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_add16),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
