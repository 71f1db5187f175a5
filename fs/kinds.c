/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The table of node kinds: for each NodeKind the NodeOps that serve it,
 * and what every node has whatever its kind (its mode, its attributes,
 * the mapping an inode names), answered through that table.
 *
 * The kinds that have a file of their own define their NodeOps there
 * (tree.c, control.c, data.c). The text nodes of a mapping directory are
 * served by nodes.c's node_text() and node_write(), which take the kind;
 * their tables, here, adapt those two to the hooks.
 */
#include <errno.h>
#include <string.h>

#include "daemon-private.h"

static int
text_of_node (Daemon *d, Handle *handle, GString *out)
{
	return node_text (d, handle->kind, handle->mapping, out);
}

static void
text_read (fuse_req_t req, Daemon *d, Handle *handle, size_t size, off_t off)
{
	reply_text (req, d, handle, size, off, text_of_node);
}

/* Each write(2) on a text node is one whole command, wherever it lands. */
static gssize
text_write (Daemon *d, Handle *handle, const char *buf, size_t size, off_t off)
{
	int r = node_write (d, handle->kind, handle->mapping, buf, size);

	(void) off;
	return r < 0 ? r : (gssize) size;
}

/* size, advise, lock: read the state, write a command. */
static const NodeOps text_rw_ops = {
	.mode = S_IFREG | 0644,
	.in_mapping = TRUE,
	.read = text_read,
	.write = text_write,
};

/* flush, move: commands only. */
static const NodeOps text_wo_ops = {
	.mode = S_IFREG | 0200,
	.in_mapping = TRUE,
	.write = text_write,
};

/* info, resident: reports only. */
static const NodeOps text_ro_ops = {
	.mode = S_IFREG | 0444,
	.in_mapping = TRUE,
	.read = text_read,
};

static const NodeOps *const kinds[] = {
	[NODE_ROOT] = &root_ops,
	[NODE_CONTROL] = &control_ops,
	[NODE_DIR] = &mapping_dir_ops,
	[NODE_DATA] = &data_ops,
	[NODE_SIZE] = &text_rw_ops,
	[NODE_ADVISE] = &text_rw_ops,
	[NODE_FLUSH] = &text_wo_ops,
	[NODE_MOVE] = &text_wo_ops,
	[NODE_LOCK] = &text_rw_ops,
	[NODE_INFO] = &text_ro_ops,
	[NODE_RESIDENT] = &text_ro_ops,
};

/* Returns the table of @kind, or NULL for NODE_INVALID. */
const NodeOps *
node_ops (NodeKind kind)
{
	if ((guint) kind >= G_N_ELEMENTS (kinds))
		return NULL;
	return kinds[kind];
}

mode_t
node_mode (NodeKind kind, Mapping *mapping)
{
	const NodeOps *ops = node_ops (kind);

	if (ops == NULL)
		return 0;
	return ops->get_mode != NULL ? ops->get_mode (mapping) : ops->mode;
}

void
fill_attr (Daemon *d, NodeKind kind, Mapping *mapping, struct stat *st)
{
	const NodeOps *ops = node_ops (kind);
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
	if (ops != NULL && ops->getattr != NULL)
		ops->getattr (d, mapping, st);
}

/*
 * Finds the node @ino names: its kind and, for a node of a mapping, a
 * reference to the mapping in *@out_mapping (else NULL). The mapping is
 * found through the open file when the kernel names one (fstat and
 * ftruncate of a file whose mapping was unmapped must still work), else
 * through the table. Returns 0, or -ENOENT when @ino names no node, or a
 * node of a mapping that is gone; *@out_kind is set either way.
 */
int
node_resolve (Daemon *d, fuse_ino_t ino, struct fuse_file_info *fi, NodeKind *out_kind,
	      Mapping **out_mapping)
{
	guint64 id;
	NodeKind kind = node_kind (ino, &id);
	const NodeOps *ops = node_ops (kind);
	Mapping *mapping = NULL;

	*out_kind = kind;
	*out_mapping = NULL;
	if (ops == NULL)
		return -ENOENT;
	if (!ops->in_mapping)
		return 0;
	if (fi != NULL && fi->fh != 0) {
		Handle *handle = handle_get (fi);

		if (handle->mapping != NULL && handle->mapping->id == id)
			mapping = mapping_ref (handle->mapping);
	}
	if (mapping == NULL)
		mapping = tree_lookup_id (d, id);
	*out_mapping = mapping;
	return mapping != NULL ? 0 : -ENOENT;
}
