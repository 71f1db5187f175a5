/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The advice table: every madvise(2) advice that Linux and glibc define,
 * by name, and the names Python's mmap module lists that Linux lacks.
 */
#pragma once

#if !defined(MMAPFS_INSIDE) && !defined(MMAPFS_COMPILATION)
#error "Only <mmapfs/mmapfs.h> can be included directly."
#endif

#include "mmapfs-types.h"

G_BEGIN_DECLS

/**
 * MmapfsAdviceFlags:
 * @MMAPFS_ADVICE_NONE: no flags
 * @MMAPFS_ADVICE_ALLOW_HWPOISON: accept `hwpoison` and `soft_offline`,
 *   which inject memory failures; without it they are refused with EPERM
 *   and left out of the menu
 */
typedef enum {
	MMAPFS_ADVICE_NONE = 0,
	MMAPFS_ADVICE_ALLOW_HWPOISON = 1 << 0,
} MmapfsAdviceFlags;

MMAPFS_EXPORT gboolean mmapfs_advice_from_string (const char *name, gsize len,
						  MmapfsAdviceFlags flags, int *out_advice,
						  GError **error);
MMAPFS_EXPORT const char *mmapfs_advice_to_string (int advice);
MMAPFS_EXPORT gboolean mmapfs_advice_is_pattern (int advice);
MMAPFS_EXPORT gboolean mmapfs_advice_discards (int advice);
MMAPFS_EXPORT char *mmapfs_advice_menu (int pattern, MmapfsAdviceFlags flags);

G_END_DECLS
