// SPDX-License-Identifier: MIT
/*
 * test-sha256.c - SHA-256 against published vectors (FIPS 180-4 examples,
 * NIST CAVS "one million a") and against Python's hashlib for lengths
 * around the padding boundaries (python3 -c 'import hashlib; ...', the
 * message being bytes(i * 7 % 251 for i in range(n))).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pw-sha256.h"

static void hex_of(const unsigned char d[PW_SHA256_LEN], char hex[PW_SHA256_HEX_LEN])
{
	for (int i = 0; i < PW_SHA256_LEN; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
}

static void test_published_vectors(void **state)
{
	static const struct {
		const char *msg;
		const char *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
		  "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	char hex[PW_SHA256_HEX_LEN];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		pw_sha256_hex(v[i].msg, strlen(v[i].msg), hex);
		assert_string_equal(hex, v[i].hex);
	}
	pw_sha256_hex(NULL, 0, hex);
	assert_string_equal(hex, v[0].hex);
}

static void test_million_a(void **state)
{
	struct pw_sha256 c;
	unsigned char d[PW_SHA256_LEN];
	char hex[PW_SHA256_HEX_LEN];
	char chunk[1000];

	memset(chunk, 'a', sizeof(chunk));
	pw_sha256_init(&c);
	for (int i = 0; i < 1000; i++)
		pw_sha256_update(&c, chunk, sizeof(chunk));
	pw_sha256_final(&c, d);
	hex_of(d, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static const struct {
	size_t n;
	const char *hex;
} boundary[] = {
	{ 55, "8af594de0e003fdee5c8bb088216c824349b4137070f559574f4a4bddd27b714" },
	{ 56, "db81bc2bfd43620591df192139062da77d4c376f1888ea3d2190bd07c8d901f9" },
	{ 57, "4d95ad65f5ec430c9a97ae9243b87d4d6fa0c474288c93cecfbfe9257e711780" },
	{ 63, "bd535b38bf0d0d1a09d370b7e34b2696cea3767801a45d5611a4aaa6954e8527" },
	{ 64, "292be91abe8c0909fe3d26575af5755eee74d23816dc68c3ba41765136967654" },
	{ 65, "ba65aedf7884642499a59ae124894611d986cf429e69f569488048af3a99e25a" },
	{ 119, "d367ab298e74477421127b0b448667c37c006c636f5738f081c39388756e5fad" },
	{ 120, "be7beb9c82089eb08da8fe6eb30c13b9d56869014e228a8c3eb0fdfe832efab2" },
	{ 127, "770cba7b80c7615a327db5812ccd3f80895d801b587448fcd0b2c1a10f5c88a3" },
	{ 128, "cb5311e1d7aa8e11d6af7081f3ffc3e4efa008c7483a1a791fe170bf37546ba7" },
	{ 129, "b9e17b1020711e1a6f25633f677a750b3d54399773eb191acac2cb8c7c8b2541" },
};

static void test_padding_boundaries(void **state)
{
	unsigned char msg[129];
	char hex[PW_SHA256_HEX_LEN];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 7 % 251);
	for (size_t i = 0; i < sizeof(boundary) / sizeof(boundary[0]); i++) {
		pw_sha256_hex(msg, boundary[i].n, hex);
		assert_string_equal(hex, boundary[i].hex);
	}
}

/* Feeding the same bytes in pieces of every size gives the same digest. */
static void test_streaming_pieces(void **state)
{
	unsigned char msg[129], d[PW_SHA256_LEN];
	char hex[PW_SHA256_HEX_LEN];
	struct pw_sha256 c;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 7 % 251);
	for (size_t piece = 1; piece <= sizeof(msg); piece++) {
		pw_sha256_init(&c);
		for (size_t off = 0; off < sizeof(msg); off += piece) {
			size_t n = sizeof(msg) - off < piece ? sizeof(msg) - off : piece;

			pw_sha256_update(&c, msg + off, n);
			pw_sha256_update(&c, NULL, 0);
		}
		pw_sha256_final(&c, d);
		hex_of(d, hex);
		assert_string_equal(hex, boundary[10].hex);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_vectors),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_padding_boundaries),
		cmocka_unit_test(test_streaming_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
