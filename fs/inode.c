/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inodes: the numbering of the nodes of the tree, their names, modes and
 * attributes, and the daemon's own permission checks.
 *
 * An inode number is (mapping id << 4) | node, so any request finds its
 * node in O(1) without per-inode state, and `forget` needs none.
 *
 * The daemon enforces the node modes itself instead of relying on
 * `-o default_permissions`, so that the modes mean the same thing however
 * the tree is mounted (DESIGN §5).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "daemon-private.h"

/* The fixed nodes of every mapping directory, in listing order. */
const MappingNode mapping_nodes[N_MAPPING_NODES] = {
	{ "data", NODE_DATA },	   { "size", NODE_SIZE }, { "advise", NODE_ADVISE },
	{ "flush", NODE_FLUSH },   { "move", NODE_MOVE }, { "lock", NODE_LOCK },
	{ "info", NODE_INFO },	   { "resident", NODE_RESIDENT },
};

/* The preferred I/O size of `data`: one FUSE request's worth (max_write),
 * so that cp and cat move a mapping in few round trips. */
#define DATA_BLKSIZE (1024 * 1024)

fuse_ino_t
node_ino (guint64 id, NodeKind kind)
{
	if (kind == NODE_ROOT)
		return INO_ROOT;
	if (kind == NODE_CONTROL)
		return INO_CONTROL;
	return (fuse_ino_t) ((id << INO_KIND_BITS) | (guint64) (kind - NODE_DIR));
}

NodeKind
node_kind (fuse_ino_t ino, guint64 *out_id)
{
	guint64 id = (guint64) ino >> INO_KIND_BITS;
	guint sub = (guint) (ino & ((1u << INO_KIND_BITS) - 1));

	*out_id = id;
	if (id == 0) {
		if (ino == INO_ROOT)
			return NODE_ROOT;
		if (ino == INO_CONTROL)
			return NODE_CONTROL;
		return NODE_INVALID;
	}
	if (sub > NODE_RESIDENT - NODE_DIR)
		return NODE_INVALID;
	return (NodeKind) (NODE_DIR + sub);
}

const char *
node_name (NodeKind kind)
{
	if (kind == NODE_CONTROL)
		return ".control";
	for (guint i = 0; i < G_N_ELEMENTS (mapping_nodes); i++) {
		if (mapping_nodes[i].kind == kind)
			return mapping_nodes[i].name;
	}
	return "";
}

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

static gboolean
caller_in_group (fuse_req_t req, gid_t gid)
{
	const struct fuse_ctx *ctx = fuse_req_ctx (req);
	gid_t groups[64];
	int n;

	if (ctx->gid == gid)
		return TRUE;
	n = fuse_req_getgroups (req, G_N_ELEMENTS (groups), groups);
	for (int i = 0; i < MIN (n, (int) G_N_ELEMENTS (groups)); i++) {
		if (groups[i] == gid)
			return TRUE;
	}
	return FALSE;
}

/*
 * Checks @want (R_OK, W_OK, X_OK) against a node's @mode for the caller.
 * What no bit of the mode allows is refused to everyone, root included,
 * as sysfs refuses to open a read-only attribute for writing; otherwise
 * root passes and others get the owner, group or other bits.
 * Returns 0 or -EACCES.
 */
int
check_access (fuse_req_t req, Daemon *d, mode_t mode, int want)
{
	const struct fuse_ctx *ctx = fuse_req_ctx (req);
	mode_t bits;

	if ((want & R_OK) && !(mode & 0444))
		return -EACCES;
	if ((want & W_OK) && !(mode & 0222))
		return -EACCES;
	if ((want & X_OK) && !(mode & 0111))
		return -EACCES;
	if (ctx->uid == 0)
		return 0;
	if (ctx->uid == d->uid)
		bits = (mode >> 6) & 7;
	else if (caller_in_group (req, d->gid))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	return ((mode_t) want & bits) == (mode_t) want ? 0 : -EACCES;
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
