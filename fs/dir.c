/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The operations on names and attributes: lookup, getattr, setattr,
 * access, opendir, readdir and statfs, which reach each node through the
 * NodeOps of its kind; and mkdir, rmdir and rename, which change the set
 * of mappings in the root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "daemon-private.h"

static void
reply_entry (fuse_req_t req, Daemon *d, NodeKind kind, Mapping *mapping)
{
	struct fuse_entry_param e;

	memset (&e, 0, sizeof e);
	fill_attr (d, kind, mapping, &e.attr);
	e.ino = e.attr.st_ino;
	e.generation = 1;
	e.attr_timeout = ATTR_TIMEOUT;
	e.entry_timeout = ENTRY_TIMEOUT;
	fuse_reply_entry (req, &e);
}

void
op_lookup (fuse_req_t req, fuse_ino_t parent, const char *name)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (Mapping) dir = NULL;
	g_autoptr (Mapping) mapping = NULL;
	NodeKind kind;
	NodeKind child;
	int r = node_resolve (d, parent, NULL, &kind, &dir);
	const NodeOps *ops = node_ops (kind);

	if (ops == NULL || ops->lookup == NULL)
		return (void) fuse_reply_err (req, ENOTDIR);
	if (r == 0)
		r = ops->lookup (d, dir, name, &child, &mapping);
	if (r == 0)
		return reply_entry (req, d, child, mapping);
	g_debug ("lookup of %s in inode %" G_GUINT64_FORMAT ": no such node", name,
		 (guint64) parent);
	fuse_reply_err (req, ENOENT);
}

static void
reply_attr (fuse_req_t req, Daemon *d, NodeKind kind, Mapping *mapping)
{
	struct stat st;

	fill_attr (d, kind, mapping, &st);
	fuse_reply_attr (req, &st, ATTR_TIMEOUT);
}

void
op_getattr (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (Mapping) mapping = NULL;
	NodeKind kind;

	if (node_resolve (d, ino, fi, &kind, &mapping) < 0)
		return (void) fuse_reply_err (req, ENOENT);
	reply_attr (req, d, kind, mapping);
}

/*
 * chmod and chown are refused; a change of times is accepted and does
 * nothing (the times are the mapping's birth), so that touch(1) works; a
 * size change is truncate(2), which only files take: a kind's own
 * set_size hook (data), else the rule of text nodes.
 */
static int
setattr_check (fuse_req_t req, Daemon *d, NodeKind kind, Mapping *mapping, struct stat *attr,
	       int to_set)
{
	const NodeOps *ops = node_ops (kind);
	g_autoptr (GError) error = NULL;
	g_autofree char *name = NULL;
	int r;

	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		g_message ("chmod or chown of inode %" G_GUINT64_FORMAT
			   " refused: the modes and owners of the tree are fixed",
			   (guint64) node_ino (mapping != NULL ? mapping->id : 0, kind));
		return -EPERM;
	}
	if (!(to_set & FUSE_SET_ATTR_SIZE))
		return 0;

	if (S_ISDIR (node_mode (kind, mapping)))
		return -EISDIR;
	if (ops->set_size != NULL)
		return ops->set_size (req, d, mapping, (guint64) attr->st_size);
	r = check_access (req, d, node_mode (kind, mapping), W_OK);
	if (r < 0)
		return r;
	/* A text node holds no bytes: truncating it to 0 does nothing, as in sysfs. */
	if (attr->st_size == 0)
		return 0;
	name = mapping != NULL ? mapping_dup_name (d, mapping) : g_strdup ("");
	g_set_error (&error, MMAPFS_ERROR, EINVAL, "%s%s%s holds no bytes and cannot be resized",
		     name, *name ? "/" : "", node_name (kind));
	return daemon_fail (d, mapping, node_name (kind), error);
}

void
op_setattr (fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
	    struct fuse_file_info *fi)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (Mapping) mapping = NULL;
	NodeKind kind;
	int r;

	if (node_resolve (d, ino, fi, &kind, &mapping) < 0)
		return (void) fuse_reply_err (req, ENOENT);
	r = setattr_check (req, d, kind, mapping, attr, to_set);
	if (r < 0)
		return (void) fuse_reply_err (req, -r);
	reply_attr (req, d, kind, mapping);
}

void
op_access (fuse_req_t req, fuse_ino_t ino, int mask)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (Mapping) mapping = NULL;
	NodeKind kind;

	if (node_resolve (d, ino, NULL, &kind, &mapping) < 0)
		return (void) fuse_reply_err (req, ENOENT);
	if (mask == F_OK)
		return (void) fuse_reply_err (req, 0);
	fuse_reply_err (req, -check_access (req, d, node_mode (kind, mapping), mask));
}

/* Only the owner (or root) changes the set of mappings: the root is 0755. */
static int
check_root_write (fuse_req_t req, Daemon *d, const char *what, const char *name)
{
	if (check_access (req, d, node_mode (NODE_ROOT, NULL), W_OK) == 0)
		return 0;
	g_message ("%s %s: permission denied to uid %u: only the owner of the mount may "
		   "change its mappings",
		   what, name, (guint) fuse_req_ctx (req)->uid);
	return -EACCES;
}

void
op_mkdir (fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (GError) error = NULL;
	g_autoptr (Mapping) mapping = NULL;
	/* An anonymous mapping of one page, made as `anon NAME PAGE` would be. */
	MmapfsCommand cmd = {
		.kind = MMAPFS_COMMAND_ANON,
		.name = (char *) name,
		.length = mmapfs_region_page_size (),
	};
	int r;

	(void) mode;
	r = check_root_write (req, d, "mkdir", name);
	if (r < 0)
		return (void) fuse_reply_err (req, -r);
	if (parent != INO_ROOT) {
		g_message ("mkdir %s: mappings live only in the root of the mount", name);
		return (void) fuse_reply_err (req, EPERM);
	}
	if (!mmapfs_name_validate (name, strlen (name), &error))
		return (void) fuse_reply_err (req, -daemon_fail (d, NULL, "mkdir", error));

	if (!control_apply (d, &cmd, &mapping, &error))
		return (void) fuse_reply_err (req, -daemon_fail (d, NULL, "mkdir", error));
	reply_entry (req, d, NODE_DIR, mapping);
}

void
op_rmdir (fuse_req_t req, fuse_ino_t parent, const char *name)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (GError) error = NULL;
	int r;

	r = check_root_write (req, d, "rmdir", name);
	if (r < 0)
		return (void) fuse_reply_err (req, -r);
	if (parent != INO_ROOT)
		return (void) fuse_reply_err (req, EPERM);

	/*
	 * As in cgroupfs, the fixed nodes inside do not make the directory
	 * "not empty": rmdir is unmap. The kernel drops the dentry itself.
	 */
	g_mutex_lock (&d->ops_lock);
	r = tree_unmap (d, name, &error);
	g_mutex_unlock (&d->ops_lock);
	if (r < 0)
		return (void) fuse_reply_err (req, -daemon_fail (d, NULL, "rmdir", error));
	g_message ("%s: unmapped", name);
	fuse_reply_err (req, 0);
}

void
op_rename (fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
	   const char *newname, unsigned int flags)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (GError) error = NULL;
	guint64 target_id;
	int r;

	r = check_root_write (req, d, "rename", name);
	if (r < 0)
		return (void) fuse_reply_err (req, -r);
	if (flags & ~RENAME_NOREPLACE) {
		g_message ("rename %s: only plain renames are supported", name);
		return (void) fuse_reply_err (req, EINVAL);
	}
	/*
	 * `mv MOUNT/a MOUNT/b` with b an existing mapping: GNU mv, seeing a
	 * directory, asks to move a into b. Mappings live only in the root,
	 * so the honest answer to what the user asked is that b exists.
	 */
	if (parent == INO_ROOT && newparent != INO_ROOT &&
	    node_kind (newparent, &target_id) == NODE_DIR && strcmp (name, ".control") != 0) {
		g_message ("rename %s: the target is an existing mapping; nothing is replaced",
			   name);
		return (void) fuse_reply_err (req, EEXIST);
	}
	if (parent != INO_ROOT || newparent != INO_ROOT || strcmp (name, ".control") == 0) {
		g_message ("rename %s to %s: only a mapping directory may be renamed, within the "
			   "root",
			   name, newname);
		return (void) fuse_reply_err (req, EPERM);
	}

	/* A rename never replaces: RENAME_NOREPLACE semantics always. */
	g_mutex_lock (&d->ops_lock);
	r = tree_rename (d, name, newname, &error);
	g_mutex_unlock (&d->ops_lock);
	if (r < 0)
		return (void) fuse_reply_err (req, -daemon_fail (d, NULL, "rename", error));
	g_message ("%s: renamed to %s", name, newname);
	fuse_reply_err (req, 0);
}

/*
 * The listing is taken at opendir, so that readdir's offsets stay valid
 * while mappings come and go, as getdents(2) expects.
 */
void
op_opendir (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (Mapping) mapping = NULL;
	NodeKind kind;
	int r = node_resolve (d, ino, NULL, &kind, &mapping);
	const NodeOps *ops = node_ops (kind);
	GPtrArray *entries;
	Handle *handle;

	if (ops == NULL)
		return (void) fuse_reply_err (req, ENOENT);
	if (ops->list == NULL)
		return (void) fuse_reply_err (req, ENOTDIR);
	if (r < 0)
		return (void) fuse_reply_err (req, -r);

	entries = dir_entries_new ();
	dir_entries_add (entries, ".", ino, S_IFDIR);
	dir_entries_add (entries, "..", INO_ROOT, S_IFDIR);
	ops->list (d, mapping, entries);

	handle = handle_new (kind, mapping);
	handle->entries = entries;
	handle_reply_open (req, handle, fi);
}

void
op_readdir (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	Handle *handle = handle_get (fi);
	g_autofree char *buf = g_malloc (size);
	size_t used = 0;

	(void) ino;
	g_mutex_lock (&handle->lock);
	for (guint i = (guint) MAX (off, 0); i < handle->entries->len; i++) {
		DirEntry *entry = g_ptr_array_index (handle->entries, i);
		struct stat st = { .st_ino = entry->ino, .st_mode = entry->mode };
		size_t n = fuse_add_direntry (req, buf + used, size - used, entry->name, &st,
					      (off_t) i + 1);

		if (n > size - used)
			break;
		used += n;
	}
	g_mutex_unlock (&handle->lock);
	fuse_reply_buf (req, buf, used);
}

void
op_statfs (fuse_req_t req, fuse_ino_t ino)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (GPtrArray) list = tree_list (d);
	gsize page = mmapfs_region_page_size ();
	struct statvfs st;

	(void) ino;
	memset (&st, 0, sizeof st);
	st.f_bsize = page;
	st.f_frsize = page;
	for (guint i = 0; i < list->len; i++) {
		Mapping *m = g_ptr_array_index (list, i);
		gssize len = mmapfs_region_len (m->region, NULL);

		st.f_blocks += len > 0 ? ((gsize) len + page - 1) / page : 0;
	}
	st.f_files = 2 + list->len * (1 + N_MAPPING_NODES);
	st.f_namemax = MMAPFS_NAME_MAX;
	fuse_reply_statfs (req, &st);
}
