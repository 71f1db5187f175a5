/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes mmapfs_advice_from_string(). An accepted name must have a
 * lower-case name that parses back to the same value and is listed in the
 * menu of the same flags; a refusal must be EINVAL, EOPNOTSUPP or (only
 * without the flag) EPERM.
 */
#include <errno.h>

#include "fuzz-common.h"

static const int allowed_strict[] = { EINVAL, EOPNOTSUPP, EPERM, 0 };
static const int allowed_hwpoison[] = { EINVAL, EOPNOTSUPP, 0 };

static void
fuzz_flags (const char *name, gsize len, MmapfsAdviceFlags flags)
{
	GError *error = NULL;
	int advice = -1;

	if (mmapfs_advice_from_string (name, len, flags, &advice, &error)) {
		const char *canonical = mmapfs_advice_to_string (advice);
		g_autofree char *menu = mmapfs_advice_menu (0, flags);
		g_autofree char *padded = g_strdup_printf (" %s ", menu);
		g_autofree char *word = NULL;
		int again = -1;

		g_assert_nonnull (canonical);
		g_assert_true (mmapfs_advice_from_string (canonical, strlen (canonical), flags,
							  &again, NULL));
		g_assert_cmpint (again, ==, advice);
		word = advice == 0 ? g_strdup (" [normal] ") : g_strdup_printf (" %s ", canonical);
		g_assert_nonnull (strstr (padded, word));
	} else {
		fuzz_check_error (error, flags & MMAPFS_ADVICE_ALLOW_HWPOISON ? allowed_hwpoison
									      : allowed_strict);
	}
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	fuzz_flags ((const char *) data, size, MMAPFS_ADVICE_NONE);
	fuzz_flags ((const char *) data, size, MMAPFS_ADVICE_ALLOW_HWPOISON);
	return 0;
}
