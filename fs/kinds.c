/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every node has whatever its kind: its mode and its attributes.
 */
#include <string.h>

#include "daemon-private.h"

/* The preferred I/O size of `data`: one FUSE request's worth (max_write),
 * so that cp and cat move a mapping in few round trips. */
#define DATA_BLKSIZE (1024 * 1024)

mode_t
node_mode (NodeKind kind, Mapping *mapping)
{
	switch (kind) {
	case NODE_ROOT:
	case NODE_DIR:
		return S_IFDIR | 0755;
	case NODE_CONTROL:
		return S_IFREG | 0600;
	case NODE_DATA:
		if (mapping != NULL &&
		    mmapfs_region_get_access (mapping->region) == MMAPFS_ACCESS_READ)
			return S_IFREG | 0444;
		return S_IFREG | 0644;
	case NODE_SIZE:
	case NODE_ADVISE:
	case NODE_LOCK:
		return S_IFREG | 0644;
	case NODE_FLUSH:
	case NODE_MOVE:
		return S_IFREG | 0200;
	case NODE_INFO:
	case NODE_RESIDENT:
		return S_IFREG | 0444;
	case NODE_INVALID:
	default:
		return 0;
	}
}

void
fill_attr (Daemon *d, NodeKind kind, Mapping *mapping, struct stat *st)
{
	guint64 id = mapping != NULL ? mapping->id : 0;
	struct timespec when = mapping != NULL ? mapping->birth : d->birth;

	memset (st, 0, sizeof *st);
	st->st_ino = node_ino (id, kind);
	st->st_mode = node_mode (kind, mapping);
	st->st_nlink = S_ISDIR (st->st_mode) ? 2 : 1;
	st->st_uid = d->uid;
	st->st_gid = d->gid;
	st->st_blksize = (blksize_t) mmapfs_region_page_size ();
	st->st_atim = when;
	st->st_mtim = when;
	st->st_ctim = when;

	if (kind == NODE_ROOT) {
		g_autoptr (GRWLockReaderLocker) locker G_GNUC_UNUSED = g_rw_lock_reader_locker_new (&d->lock);

		/* Each mapping directory's ".." links to the root. */
		st->st_nlink = 2 + g_hash_table_size (d->by_id);
	} else if (kind == NODE_DATA) {
		gssize len = mmapfs_region_len (mapping->region, NULL);

		st->st_size = len > 0 ? len : 0;
		st->st_blocks = (st->st_size + 511) / 512;
		st->st_blksize = DATA_BLKSIZE;
	}
}
