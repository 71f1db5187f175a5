/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The text protocol of a mapping directory's nodes (DESIGN §2.4–2.6) and
 * of the `.control` transaction read (§2.1), in both directions.
 *
 * A server renders a node's text with mmapfs_node_render() and takes a
 * write with mmapfs_node_write(), which parses the line, applies the
 * node's range rule and acts on the region under one acquisition of its
 * lock; MmapfsNodeChange then says which bytes of `data` a cache must
 * forget. The errors are the errnos and sentences of DESIGN §2.4 and §3.
 *
 * The inverse parsers read what the daemon serves: the `info` lines, the
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
#include "mmapfs-advice.h"
#include "mmapfs-region.h"

G_BEGIN_DECLS

/**
 * MmapfsNode:
 * @MMAPFS_NODE_SIZE: `size`: the length; write N to resize
 * @MMAPFS_NODE_ADVISE: `advise`: the advice menu; write an advice
 * @MMAPFS_NODE_FLUSH: `flush` (write-only): msync(2) a range
 * @MMAPFS_NODE_MOVE: `move` (write-only): memmove within the mapping
 * @MMAPFS_NODE_LOCK: `lock`: 0 or 1; write 1 or 0 to mlock(2) or munlock(2)
 * @MMAPFS_NODE_INFO: `info` (read-only): `key: value` lines
 * @MMAPFS_NODE_RESIDENT: `resident` (read-only): page residency
 *
 * The text nodes of a mapping directory, all but `data`.
 */
typedef enum {
	MMAPFS_NODE_SIZE,
	MMAPFS_NODE_ADVISE,
	MMAPFS_NODE_FLUSH,
	MMAPFS_NODE_MOVE,
	MMAPFS_NODE_LOCK,
	MMAPFS_NODE_INFO,
	MMAPFS_NODE_RESIDENT,
} MmapfsNode;

/**
 * MmapfsNodeChange:
 * @forget: whether a cache of the region's bytes must forget
 *   [@start, @start + @length)
 * @resized: whether the length changed (then @forget covers everything)
 * @start: the first byte to forget
 * @length: the number of bytes to forget from @start; 0 means to the end
 *
 * What a successful mmapfs_node_write() changed behind the back of a
 * cache of `data`: everything after a resize, the advised range after
 * advice that discards (see mmapfs_advice_discards()), the destination
 * after a move of at least one byte, and nothing otherwise.
 */
typedef struct {
	gboolean forget;
	gboolean resized;
	guint64 start;
	guint64 length;
} MmapfsNodeChange;

MMAPFS_EXPORT const char *mmapfs_node_to_string (MmapfsNode node);
MMAPFS_EXPORT gboolean mmapfs_node_from_string (const char *name, MmapfsNode *out_node,
						GError **error);
MMAPFS_EXPORT char *mmapfs_node_render (MmapfsRegion *region, MmapfsNode node, const char *name,
					MmapfsAdviceFlags flags, GError **error);
MMAPFS_EXPORT gboolean mmapfs_node_write (MmapfsRegion *region, MmapfsNode node, const char *buf,
					  gsize len, MmapfsAdviceFlags flags,
					  MmapfsNodeChange *out_change, GError **error);
MMAPFS_EXPORT char *mmapfs_node_format_outcome (const GError *error);

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
