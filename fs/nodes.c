/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The text nodes of a mapping directory: size, advise, flush, move, lock,
 * info and resident (DESIGN §2.4–2.6).
 *
 * Routing only: the library's node module renders each node's text and
 * takes each write (parsing it, applying the node's range rule and acting
 * under one acquisition of the region's lock). What remains here is the
 * kernel's side. When a write changes the bytes or the length behind the
 * kernel's back (resize, move, advice that discards), the library says
 * which bytes, and the kernel's cached copy of `data` is invalidated
 * before the write is answered, so the next stat(2) or read(2) sees the
 * change.
 */
#include <errno.h>

#include "daemon-private.h"

/* Fills @out with the text of a node. Returns 0 or -errno. */
int
node_text (Daemon *d, NodeKind kind, Mapping *mapping, GString *out)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *name = NULL;
	g_autofree char *text = NULL;
	MmapfsNode node;

	switch (kind) {
	case NODE_CONTROL:
		return control_list (d, out);
	case NODE_SIZE:
		node = MMAPFS_NODE_SIZE;
		break;
	case NODE_ADVISE:
		node = MMAPFS_NODE_ADVISE;
		break;
	case NODE_LOCK:
		node = MMAPFS_NODE_LOCK;
		break;
	case NODE_INFO:
		node = MMAPFS_NODE_INFO;
		name = mapping_dup_name (d, mapping);
		break;
	case NODE_RESIDENT:
		node = MMAPFS_NODE_RESIDENT;
		break;
	default:
		return -EBADF;
	}
	text = mmapfs_node_render (mapping->region, node, name, d->advice_flags, &error);
	if (text == NULL)
		return daemon_fail (d, mapping, node_name (kind), error);
	g_string_append (out, text);
	return 0;
}

/* The kernel's page offsets are off_t; clamp so a huge range means "to the end". */
static void
invalidate_data (Daemon *d, Mapping *mapping, guint64 start, guint64 count)
{
	if (start > G_MAXINT64)
		return;
	if (count > (guint64) G_MAXINT64 - start)
		count = 0;
	inval_inode (d, node_ino (mapping->id, NODE_DATA), (off_t) start, (off_t) count, TRUE);
}

/* Applies one write(2) to a text node. Returns 0 or -errno. */
int
node_write (Daemon *d, NodeKind kind, Mapping *mapping, const char *buf, size_t size)
{
	g_autoptr (GError) error = NULL;
	MmapfsNodeChange change;
	MmapfsNode node;

	switch (kind) {
	case NODE_SIZE:
		node = MMAPFS_NODE_SIZE;
		break;
	case NODE_ADVISE:
		node = MMAPFS_NODE_ADVISE;
		break;
	case NODE_FLUSH:
		node = MMAPFS_NODE_FLUSH;
		break;
	case NODE_MOVE:
		node = MMAPFS_NODE_MOVE;
		break;
	case NODE_LOCK:
		node = MMAPFS_NODE_LOCK;
		break;
	default:
		return -EBADF;
	}
	if (!mmapfs_node_write (mapping->region, node, buf, size, d->advice_flags, &change, &error))
		return daemon_fail (d, mapping, node_name (kind), error);
	/* A length of 0 is "to the end" for the library and the kernel alike. */
	if (change.forget)
		invalidate_data (d, mapping, change.start, change.length);
	if (change.resized)
		g_debug ("mapping %" G_GUINT64_FORMAT ": resized to %zd bytes", mapping->id,
			 mmapfs_region_len (mapping->region, NULL));
	return 0;
}
