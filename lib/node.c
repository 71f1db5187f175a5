/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The nodes of a mapping directory as text (DESIGN §2.4–2.6): their
 * names, the text each one reads back, and what a write to each one does.
 *
 * A write is one command. The whole buffer is parsed by the line parsers
 * (parse.c); then the node's range rule and the region's own checks run,
 * and the region acts, under one acquisition of the region's lock, so
 * that no resize can slip in between a check and the act it allowed. The
 * checks themselves are the region's (region-ops.c): a node only says
 * how a range it was given is read, for example that `flush OFFSET`
 * means "to the end" where Python's flush(offset) would mean "len bytes".
 *
 * The outcome line of `.control` lives here too, as the node protocol's
 * way of writing an error down; node-parse.c reads it back.
 */
#include <errno.h>
#include <string.h>

#include "region-private.h"

static const char *const node_names[] = {
	[MMAPFS_NODE_SIZE] = "size",
	[MMAPFS_NODE_ADVISE] = "advise",
	[MMAPFS_NODE_FLUSH] = "flush",
	[MMAPFS_NODE_MOVE] = "move",
	[MMAPFS_NODE_LOCK] = "lock",
	[MMAPFS_NODE_INFO] = "info",
	[MMAPFS_NODE_RESIDENT] = "resident",
};

/**
 * mmapfs_node_to_string:
 * @node: a node
 *
 * Returns: (transfer none): the node's file name in a mapping directory,
 *   such as "advise"
 */
const char *
mmapfs_node_to_string (MmapfsNode node)
{
	g_return_val_if_fail ((guint) node < G_N_ELEMENTS (node_names), NULL);
	return node_names[node];
}

/**
 * mmapfs_node_from_string:
 * @name: a file name in a mapping directory, such as "advise"
 * @out_node: (out): the node
 * @error: (nullable): return location for an error
 *
 * Looks a node up by its file name, exactly (the tree's names are case
 * sensitive). `data` is not a text node and is not found. Passing a %NULL
 * @error makes a miss cost no allocation, for lookups that expect many.
 *
 * Returns: %TRUE, or %FALSE with ENOENT for any other name
 */
gboolean
mmapfs_node_from_string (const char *name, MmapfsNode *out_node, GError **error)
{
	g_return_val_if_fail (name != NULL, FALSE);
	g_return_val_if_fail (out_node != NULL, FALSE);

	for (guint i = 0; i < G_N_ELEMENTS (node_names); i++) {
		if (strcmp (name, node_names[i]) == 0) {
			*out_node = (MmapfsNode) i;
			return TRUE;
		}
	}
	if (error != NULL) {
		g_autofree char *quoted = mmapfs_quote (name, strlen (name));

		mmapfs_set_error (error, ENOENT, "a mapping has no node named %s", quoted);
	}
	return FALSE;
}

/**
 * mmapfs_node_render:
 * @region: a region
 * @node: a node that can be read (any but flush and move)
 * @name: (nullable): the mapping's name, which `info` shows; needed only
 *   for %MMAPFS_NODE_INFO
 * @flags: the advice flags of the server, which decide what the advise
 *   menu lists
 * @error: return location for an error
 *
 * Renders the text a read of @node returns, newline-terminated: `size`
 * is `N`, the length in bytes; `advise` the menu of mmapfs_advice_menu()
 * with the access pattern in effect in brackets; `lock` is `0` or `1`;
 * `info` is mmapfs_region_format_info() and `resident`
 * mmapfs_region_format_resident().
 *
 * Returns: (transfer full): the text, or %NULL with EBADF (the region is
 *   closed, for size, info and resident; or @node is write-only) or the
 *   errno of mincore(2)
 */
char *
mmapfs_node_render (MmapfsRegion *region, MmapfsNode node, const char *name,
		    MmapfsAdviceFlags flags, GError **error)
{
	g_autofree char *menu = NULL;
	gssize len;

	g_return_val_if_fail (region != NULL, NULL);
	g_return_val_if_fail ((guint) node < G_N_ELEMENTS (node_names), NULL);
	g_return_val_if_fail (node != MMAPFS_NODE_INFO || name != NULL, NULL);

	switch (node) {
	case MMAPFS_NODE_SIZE:
		len = mmapfs_region_len (region, error);
		return len >= 0 ? g_strdup_printf ("%zd\n", len) : NULL;
	case MMAPFS_NODE_ADVISE:
		/* The menu and the lock state read fine from a closed region, as before. */
		menu = mmapfs_advice_menu (mmapfs_region_get_access_pattern (region), flags);
		return g_strdup_printf ("%s\n", menu);
	case MMAPFS_NODE_LOCK:
		return g_strdup (mmapfs_region_is_locked (region) ? "1\n" : "0\n");
	case MMAPFS_NODE_INFO:
		return mmapfs_region_format_info (region, name, error);
	case MMAPFS_NODE_RESIDENT:
		return mmapfs_region_format_resident (region, error);
	case MMAPFS_NODE_FLUSH:
	case MMAPFS_NODE_MOVE:
		break;
	}
	mmapfs_set_error (error, EBADF, "the %s node is write-only", node_names[node]);
	return NULL;
}

/* `N`: resize to N bytes; the cache must forget everything. */
static gboolean
write_size (MmapfsRegion *region, const char *buf, gsize len, MmapfsNodeChange *change,
	    GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;
	guint64 length;

	if (!mmapfs_parse_size_line (buf, len, &length, error))
		return FALSE;
	locker = g_rw_lock_writer_locker_new (&region->lock);
	if (!region_check_open (region, error) || !region_resize_locked (region, length, error))
		return FALSE;
	/* Attributes (the size) and pages: a shrink cut them, a grow added zeros. */
	change->forget = TRUE;
	change->resized = TRUE;
	return TRUE;
}

/*
 * `ADVICE [START [LENGTH]]`: START outside the mapping is EINVAL; LENGTH,
 * by default the rest of the mapping, is clipped to the end, as Python
 * does. Advice that discards makes the cache forget the advised range.
 */
static gboolean
write_advise (MmapfsRegion *region, const char *buf, gsize len, MmapfsAdviceFlags flags,
	      MmapfsNodeChange *change, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	MmapfsAdviseRequest request;
	guint64 advised;

	if (!mmapfs_parse_advise_line (buf, len, flags, &request, error))
		return FALSE;
	locker = g_rw_lock_reader_locker_new (&region->lock);
	if (!region_check_open (region, error) ||
	    !region_madvise_locked (region, request.advice, request.start,
				    request.has_length ? request.length : G_MAXUINT64, &advised,
				    error))
		return FALSE;
	if (mmapfs_advice_discards (request.advice)) {
		change->forget = TRUE;
		change->start = request.start;
		/* Without LENGTH, to the end; an explicit 0 also reaches the end, as before. */
		change->length = request.has_length ? advised : 0;
	}
	return TRUE;
}

/*
 * `[OFFSET [SIZE [async|invalidate]]]`: OFFSET alone flushes from OFFSET
 * to the end (Python's flush(offset) would flush len bytes and fail), a
 * range outside the mapping is EINVAL. Only a request in range counts as
 * a flush in the region's statistics.
 */
static gboolean
write_flush (MmapfsRegion *region, const char *buf, gsize len, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	MmapfsFlushRequest request;
	guint64 count;

	if (!mmapfs_parse_flush_line (buf, len, &request, error))
		return FALSE;
	locker = g_rw_lock_reader_locker_new (&region->lock);
	if (!region_check_open (region, error))
		return FALSE;
	if (request.has_size)
		count = request.size;
	else
		count = request.offset <= region->length ? region->length - request.offset : 0;
	if (!region_check_flush_range (region, request.offset, count, error))
		return FALSE;
	region_stat_add (&region->stats.flushes, 1);
	return region_flush_locked (region, request.offset, count, request.flags, error);
}

/* `DEST SRC COUNT`: memmove; the cache must forget the destination. */
static gboolean
write_move (MmapfsRegion *region, const char *buf, gsize len, MmapfsNodeChange *change,
	    GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;
	MmapfsMoveRequest request;

	if (!mmapfs_parse_move_line (buf, len, &request, error))
		return FALSE;
	locker = g_rw_lock_writer_locker_new (&region->lock);
	if (!region_check_open (region, error) ||
	    !region_move_locked (region, request.dest, request.src, request.count, error))
		return FALSE;
	if (request.count > 0) {
		change->forget = TRUE;
		change->start = request.dest;
		change->length = request.count;
	}
	return TRUE;
}

/* `1` or `0`: mlock(2) or munlock(2) the whole mapping. */
static gboolean
write_lock (MmapfsRegion *region, const char *buf, gsize len, GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;
	gboolean lock;

	if (!mmapfs_parse_lock_line (buf, len, &lock, error))
		return FALSE;
	locker = g_rw_lock_writer_locker_new (&region->lock);
	return region_check_open (region, error) && region_lock_locked (region, lock, error);
}

/**
 * mmapfs_node_write:
 * @region: a region
 * @node: a node that can be written (size, advise, flush, move or lock)
 * @buf: (array length=len): the bytes of one write(2), one line; need not
 *   be NUL-terminated
 * @len: number of bytes at @buf
 * @flags: the advice flags of the server (%MMAPFS_ADVICE_ALLOW_HWPOISON)
 * @out_change: (out caller-allocates) (optional): what a cache of the
 *   region's bytes must forget; nothing when the write fails
 * @error: return location for an error
 *
 * Applies a write to a node, as DESIGN §2.4 says: `size` resizes, `advise`
 * advises (START outside the mapping is EINVAL, a LENGTH past the end is
 * clipped), `flush` flushes (`OFFSET` alone to the end; a range outside
 * the mapping is EINVAL), `move` moves and `lock` locks or unlocks. The
 * check of the range and the act happen under one acquisition of the
 * region's lock. A failed write changes nothing.
 *
 * Returns: %TRUE, or %FALSE with the errors of the line's parser
 *   (mmapfs_parse_size_line() and the others), of the region method it
 *   calls (mmapfs_region_resize(), mmapfs_region_madvise(),
 *   mmapfs_region_flush(), mmapfs_region_move(), mmapfs_region_lock()),
 *   EINVAL for a range the node's rule refuses, or EBADF when @node is
 *   read-only
 */
gboolean
mmapfs_node_write (MmapfsRegion *region, MmapfsNode node, const char *buf, gsize len,
		   MmapfsAdviceFlags flags, MmapfsNodeChange *out_change, GError **error)
{
	MmapfsNodeChange change = { 0 };
	gboolean ok = FALSE;

	g_return_val_if_fail (region != NULL, FALSE);
	g_return_val_if_fail (buf != NULL || len == 0, FALSE);
	g_return_val_if_fail ((guint) node < G_N_ELEMENTS (node_names), FALSE);

	switch (node) {
	case MMAPFS_NODE_SIZE:
		ok = write_size (region, buf, len, &change, error);
		break;
	case MMAPFS_NODE_ADVISE:
		ok = write_advise (region, buf, len, flags, &change, error);
		break;
	case MMAPFS_NODE_FLUSH:
		ok = write_flush (region, buf, len, error);
		break;
	case MMAPFS_NODE_MOVE:
		ok = write_move (region, buf, len, &change, error);
		break;
	case MMAPFS_NODE_LOCK:
		ok = write_lock (region, buf, len, error);
		break;
	case MMAPFS_NODE_INFO:
	case MMAPFS_NODE_RESIDENT:
		mmapfs_set_error (error, EBADF, "the %s node is read-only", node_names[node]);
		break;
	}
	if (out_change != NULL)
		*out_change = ok ? change : (MmapfsNodeChange) { 0 };
	return ok;
}

/**
 * mmapfs_node_format_outcome:
 * @error: (nullable): the failure of a `.control` write, or %NULL
 *
 * Renders the outcome that a read of `.control` returns after a write on
 * the same open (DESIGN §2.1): `ok` for success, else `error: ENAME:
 * sentence`, with the errno's symbolic name (see mmapfs_errno_name()) and
 * the sentence on one line, whatever it held. mmapfs_node_parse_outcome()
 * reads it back.
 *
 * Returns: (transfer full): the outcome, newline-terminated
 */
char *
mmapfs_node_format_outcome (const GError *error)
{
	g_autofree char *sentence = NULL;

	if (error == NULL)
		return g_strdup ("ok\n");
	sentence = g_strdup (error->message);
	g_strdelimit (sentence, "\n\r", ' ');
	return g_strdup_printf ("error: %s: %s\n", mmapfs_errno_name (error->code), sentence);
}
