/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes mmapfs_parse_number(). Plain decimal and plain 0x-hex words are
 * checked against GLib's own converter; every accepted value must
 * reparse from its decimal form; failures must be EINVAL or EOVERFLOW.
 */
#include <errno.h>

#include "fuzz-common.h"

static const int allowed[] = { EINVAL, EOVERFLOW, 0 };

/* Whether @len bytes at @text are all digits of @base (and at least one). */
static gboolean
all_digits (const char *text, gsize len, guint base)
{
	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (base == 10 ? !g_ascii_isdigit (text[i]) : !g_ascii_isxdigit (text[i]))
			return FALSE;
	}
	return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	const char *text = (const char *) data;
	GError *error = NULL;
	guint64 value = 0;
	gboolean ok = mmapfs_parse_number (text, size, &value, &error);
	const char *digits = NULL;
	gsize digits_len = 0;
	guint base = 0;

	if (!ok)
		g_assert_nonnull (error);

	/* An oracle for the suffix-free forms. */
	if (all_digits (text, size, 10)) {
		digits = text;
		digits_len = size;
		base = 10;
	} else if (size > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
		   all_digits (text + 2, size - 2, 16)) {
		digits = text + 2;
		digits_len = size - 2;
		base = 16;
	}
	if (base != 0) {
		g_autofree char *copy = g_strndup (digits, digits_len);
		guint64 expected = 0;
		g_autoptr(GError) oracle_error = NULL;

		if (g_ascii_string_to_unsigned (copy, base, 0, G_MAXUINT64, &expected,
						&oracle_error)) {
			g_assert_true (ok);
			g_assert_cmpuint (value, ==, expected);
		} else {
			/* Only overflow can stop GLib on a string of digits. */
			g_assert_false (ok);
			g_assert_error (error, MMAPFS_ERROR, EOVERFLOW);
		}
	}

	if (ok) {
		g_autofree char *decimal = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
		guint64 again = 0;

		g_assert_no_error (error);
		g_assert_null (memchr (text, ' ', size));
		g_assert_true (mmapfs_parse_number (decimal, strlen (decimal), &again, NULL));
		g_assert_cmpuint (again, ==, value);
	} else {
		fuzz_check_error (error, allowed);
	}
	return 0;
}
