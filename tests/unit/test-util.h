/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Assertions shared by the unit tests: a library error has the expected
 * errno, and its message is a sentence as DESIGN §3 wants it (one line,
 * not empty, no final period).
 */
#pragma once

#include <string.h>

#include <mmapfs/mmapfs.h>

/* A buffer with an explicit length, so tables can hold NUL bytes. */
typedef struct {
	const char *text;
	gsize len;
} Buf;

#define S(s) { s, sizeof (s) - 1 }

static inline void
check_sentence (const GError *error)
{
	gsize len = strlen (error->message);

	g_assert_cmpuint (len, >, 0);
	g_assert_null (strchr (error->message, '\n'));
	g_assert_cmpint (error->message[len - 1], !=, '.');
}

/* Checks @error's errno and sentence, then clears it for the next case. */
#define assert_errno(error, code)                                      \
	G_STMT_START                                                   \
	{                                                              \
		g_assert_error ((error), MMAPFS_ERROR, (code));        \
		check_sentence (error);                                \
		g_clear_error (&(error));                              \
	}                                                              \
	G_STMT_END
