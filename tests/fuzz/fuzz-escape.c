/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the path escaping of `.control` and `info`. An input that
 * unescapes must give a NUL-free path that escapes to separator-free text
 * and unescapes back to itself; and any NUL-free input, taken as a raw
 * path, must survive escape then unescape.
 */
#include <errno.h>

#include "fuzz-common.h"

static const int allowed[] = { EINVAL, 0 };

/* escape(raw) holds no separator, and unescapes to raw. */
static void
check_round_trip (const char *raw)
{
	g_autofree char *escaped = mmapfs_path_escape (raw);
	g_autofree char *back = NULL;
	GError *error = NULL;

	g_assert_nonnull (escaped);
	g_assert_null (strpbrk (escaped, " \t\n"));
	back = mmapfs_path_unescape (escaped, strlen (escaped), &error);
	g_assert_no_error (error);
	g_assert_cmpstr (back, ==, raw);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	const char *text = (const char *) data;
	g_autofree char *raw = NULL;
	g_autofree char *as_path = NULL;
	GError *error = NULL;

	raw = mmapfs_path_unescape (text, size, &error);
	if (raw != NULL) {
		g_assert_no_error (error);
		/* Unescaping never grows the text, and never yields a NUL. */
		g_assert_cmpuint (strlen (raw), <=, size);
		g_assert_null (memchr (text, '\0', size));
		check_round_trip (raw);
	} else {
		fuzz_check_error (error, allowed);
	}

	as_path = g_strndup (text, size);
	check_round_trip (as_path);
	return 0;
}
