// SPDX-License-Identifier: MIT
/* test-u64map.c - the u64 -> u64 hash map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pw-u64map.h"

static void test_put_get_grow(void **state)
{
	struct pw_u64map m;
	uint64_t v;

	(void)state;
	pw_u64map_init(&m);
	assert_false(pw_u64map_get(&m, 0, &v));	/* empty, no storage */
	for (uint64_t k = 0; k < 100000; k++)
		assert_int_equal(pw_u64map_put(&m, k * 0x9e3779b97f4a7c15ULL, k + 1), 0);
	assert_int_equal(m.count, 100000);
	for (uint64_t k = 0; k < 100000; k++) {
		assert_true(pw_u64map_get(&m, k * 0x9e3779b97f4a7c15ULL, &v));
		assert_int_equal(v, k + 1);
	}
	assert_false(pw_u64map_get(&m, 3, &v));
	/* replace keeps the count */
	assert_int_equal(pw_u64map_put(&m, 0, 42), 0);
	assert_int_equal(m.count, 100000);
	assert_true(pw_u64map_get(&m, 0, &v));
	assert_int_equal(v, 42);
	/* extreme keys */
	assert_int_equal(pw_u64map_put(&m, UINT64_MAX, 7), 0);
	assert_true(pw_u64map_get(&m, UINT64_MAX, &v));
	assert_int_equal(v, 7);
	pw_u64map_release(&m);
	assert_false(pw_u64map_get(&m, UINT64_MAX, &v));
	pw_u64map_release(&m);	/* twice is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_put_get_grow) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
