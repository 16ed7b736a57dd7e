/* SPDX-License-Identifier: MIT */
/*
 * pw-sha256.h - SHA-256 (FIPS 180-4), to fingerprint the inputs a capture
 * was made with (the name map's digest in the cdict metadata).
 *
 * The context is a plain struct so it can live on the stack; it owns no
 * memory and needs no free.
 */
#ifndef PW_SHA256_H
#define PW_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define PW_SHA256_LEN 32			/* digest bytes */
#define PW_SHA256_HEX_LEN (2 * PW_SHA256_LEN + 1)	/* hex digits + NUL */

struct pw_sha256 {
	uint32_t h[8];
	uint64_t nbytes;		/* message bytes hashed so far */
	unsigned char block[64];	/* partial block */
	size_t fill;			/* bytes used in @block */
};

/**
 * pw_sha256_init - start a new digest
 * @c: context to (re)initialise
 */
void pw_sha256_init(struct pw_sha256 *c);

/**
 * pw_sha256_update - hash @n more bytes
 * @c: context from pw_sha256_init()
 * @data: bytes (may be NULL when @n is 0)
 * @n: byte count
 */
void pw_sha256_update(struct pw_sha256 *c, const void *data, size_t n);

/**
 * pw_sha256_final - finish the digest
 * @c: context; must be re-initialised before it is used again
 * @out: receives the 32-byte digest
 */
void pw_sha256_final(struct pw_sha256 *c, unsigned char out[PW_SHA256_LEN]);

/**
 * pw_sha256 - digest of one buffer in a single call
 * @data: bytes (may be NULL when @n is 0)
 * @n: byte count
 * @out: receives the 32-byte digest
 */
void pw_sha256(const void *data, size_t n, unsigned char out[PW_SHA256_LEN]);

/**
 * pw_sha256_hex - digest of one buffer as 64 lowercase hex digits
 * @data: bytes (may be NULL when @n is 0)
 * @n: byte count
 * @hex: receives the NUL-terminated hex string (65 bytes)
 */
void pw_sha256_hex(const void *data, size_t n, char hex[PW_SHA256_HEX_LEN]);

#endif
