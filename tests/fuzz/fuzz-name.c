/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes mmapfs_name_validate() against a straightforward reading of
 * DESIGN §2: 1-255 bytes of [A-Za-z0-9._-], not starting with a dot;
 * ENAMETOOLONG when longer, EINVAL for anything else.
 */
#include <errno.h>

#include "fuzz-common.h"

static const int allowed[] = { EINVAL, ENAMETOOLONG, 0 };

static int
expected_errno (const char *name, gsize len)
{
	if (len > 255)
		return ENAMETOOLONG;
	if (len == 0 || name[0] == '.')
		return EINVAL;
	for (gsize i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return EINVAL;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	const char *name = (const char *) data;
	GError *error = NULL;
	int expected = expected_errno (name, size);

	if (mmapfs_name_validate (name, size, &error)) {
		g_assert_cmpint (expected, ==, 0);
	} else {
		g_assert_cmpint (error->code, ==, expected);
		fuzz_check_error (error, allowed);
	}
	return 0;
}
