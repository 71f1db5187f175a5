/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The text protocol of a mapping directory's nodes (DESIGN §2.4–2.6) and
 * of the `.control` transaction read (§2.1), in both directions.
 *
 * The parsers here read what the daemon serves: the `info` lines, the
 * `resident` listing, the advise menu and the outcome of a `.control`
 * write. Each is the exact inverse of the text the library renders, so a
 * client such as mmapctl never parses node text by hand. Like the other
 * parsers they take a buffer of explicit length and touch no region;
 * malformed text is EINVAL with one sentence that says what is wrong.
 */
#pragma once

#if !defined(MMAPFS_INSIDE) && !defined(MMAPFS_COMPILATION)
#error "Only <mmapfs/mmapfs.h> can be included directly."
#endif

#include "mmapfs-types.h"

G_BEGIN_DECLS

/* The `info` node: `key: value` lines */

/**
 * MmapfsNodeInfo:
 *
 * The parsed text of an `info` node: its keys in the order they came, and
 * the value of each. Opaque; free with mmapfs_node_info_free().
 */
typedef struct _MmapfsNodeInfo MmapfsNodeInfo;

MMAPFS_EXPORT MmapfsNodeInfo *mmapfs_node_info_parse (const char *text, gsize len,
						      GError **error);
MMAPFS_EXPORT void mmapfs_node_info_free (MmapfsNodeInfo *info);
MMAPFS_EXPORT const char *const *mmapfs_node_info_get_keys (const MmapfsNodeInfo *info);
MMAPFS_EXPORT const char *mmapfs_node_info_get (const MmapfsNodeInfo *info, const char *key);
MMAPFS_EXPORT gboolean mmapfs_node_info_get_uint64 (const MmapfsNodeInfo *info, const char *key,
						    guint64 *out_value, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MmapfsNodeInfo, mmapfs_node_info_free)

/* The `resident` node: `R/T pages resident`, then runs of pages */

/**
 * MmapfsResidentRun:
 * @first: index of the first resident page of the run
 * @last: index of the last one (inclusive; equal to @first for one page)
 *
 * One `FIRST-LAST` (or `N`) line of the `resident` node.
 */
typedef struct {
	guint64 first;
	guint64 last;
} MmapfsResidentRun;

MMAPFS_EXPORT gboolean mmapfs_node_parse_resident (const char *text, gsize len,
						   guint64 *out_resident, guint64 *out_total,
						   GArray **out_runs, GError **error);

/* The advise node's menu: `[normal] random sequential willneed ...` */

MMAPFS_EXPORT gboolean mmapfs_node_parse_advise_menu (const char *text, gsize len,
						      char **out_pattern, GStrv *out_names,
						      GError **error);

/* The `.control` outcome: `ok` or `error: ENAME: sentence` */

MMAPFS_EXPORT gboolean mmapfs_node_parse_outcome (const char *text, gsize len, GError **error);

G_END_DECLS
