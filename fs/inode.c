/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inodes: the numbering of the nodes of the tree, their names, and the
 * daemon's own permission checks against a node's mode.
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
