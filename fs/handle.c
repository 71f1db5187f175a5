/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Open files: the per-open handle kept in fi->fh, the permission check at
 * open, and the dispatch of open, read, write, flush, fsync and release to
 * the file that serves each kind of node (data.c, nodes.c, control.c).
 *
 * A handle holds a reference on its mapping, so that a file opened before
 * the mapping was unmapped keeps working until it is closed, as an
 * unlinked file does. Text nodes are served with direct I/O: each read at
 * offset 0 produces the text afresh and keeps it in the handle, and reads
 * at later offsets of the same open continue that text, as seq_file does.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "daemon-private.h"

/*
 * Every handle not yet released. A daemon stopped by a signal while
 * clients hold files open gets no release for them; at exit their
 * references must still be dropped, so that every region is flushed and
 * unmapped.
 */
static GMutex open_lock;
static GHashTable *open_handles; /* open_lock: Handle * set */

Handle *
handle_new (NodeKind kind, Mapping *mapping)
{
	Handle *handle = g_new0 (Handle, 1);

	handle->kind = kind;
	handle->mapping = mapping != NULL ? mapping_ref (mapping) : NULL;
	g_mutex_init (&handle->lock);

	g_mutex_lock (&open_lock);
	if (open_handles == NULL)
		open_handles = g_hash_table_new (NULL, NULL);
	g_hash_table_add (open_handles, handle);
	g_mutex_unlock (&open_lock);
	return handle;
}

static void
handle_destroy (Handle *handle)
{
	if (handle->text != NULL)
		g_string_free (handle->text, TRUE);
	if (handle->pending != NULL)
		g_string_free (handle->pending, TRUE);
	g_clear_pointer (&handle->entries, g_ptr_array_unref);
	g_clear_pointer (&handle->mapping, mapping_unref);
	g_free (handle->outcome);
	g_mutex_clear (&handle->lock);
	g_free (handle);
}

void
handle_free (Handle *handle)
{
	if (handle == NULL)
		return;
	g_mutex_lock (&open_lock);
	g_hash_table_remove (open_handles, handle);
	g_mutex_unlock (&open_lock);
	handle_destroy (handle);
}

/* At exit, once no request can run: frees the handles never released. */
void
handle_free_all (void)
{
	GHashTable *handles;
	GHashTableIter iter;
	gpointer handle;

	g_mutex_lock (&open_lock);
	handles = g_steal_pointer (&open_handles);
	g_mutex_unlock (&open_lock);
	if (handles == NULL)
		return;
	if (g_hash_table_size (handles) > 0)
		g_message ("releasing %u files still open at exit", g_hash_table_size (handles));
	g_hash_table_iter_init (&iter, handles);
	while (g_hash_table_iter_next (&iter, &handle, NULL))
		handle_destroy (handle);
	g_hash_table_unref (handles);
}

Handle *
handle_get (struct fuse_file_info *fi)
{
	return (Handle *) (uintptr_t) fi->fh;
}

/*
 * Finds the mapping of a mapping node: through the open file when the
 * kernel names one (fstat and ftruncate of a file whose mapping was
 * unmapped must still work), else through the table. Returns a reference,
 * or NULL for root, `.control`, and nodes of unmapped mappings.
 */
Mapping *
handle_or_lookup (Daemon *d, fuse_ino_t ino, struct fuse_file_info *fi, NodeKind *out_kind)
{
	guint64 id;
	NodeKind kind = node_kind (ino, &id);

	*out_kind = kind;
	if (kind < NODE_DIR)
		return NULL;
	if (fi != NULL && fi->fh != 0) {
		Handle *handle = handle_get (fi);

		if (handle->mapping != NULL && handle->mapping->id == id)
			return mapping_ref (handle->mapping);
	}
	return tree_lookup_id (d, id);
}

static int
open_denied (fuse_req_t req, Daemon *d, NodeKind kind, Mapping *mapping, int want)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *name = mapping != NULL ? mapping_dup_name (d, mapping) : NULL;
	mode_t mode = node_mode (kind, mapping);

	if (kind == NODE_DATA && (want & W_OK) &&
	    mmapfs_region_get_access (mapping->region) == MMAPFS_ACCESS_READ)
		g_set_error (&error, MMAPFS_ERROR, EACCES,
			     "%s is a read-only mapping: its data cannot be opened for writing",
			     name);
	else if (((want & R_OK) && !(mode & 0444)) || ((want & W_OK) && !(mode & 0222)))
		g_set_error (&error, MMAPFS_ERROR, EACCES, "%s%s%s is %s-only", name ? name : "",
			     name ? "/" : "", node_name (kind),
			     (mode & 0444) ? "read" : "write");
	else
		g_set_error (&error, MMAPFS_ERROR, EACCES,
			     "%s%s%s: permission denied to uid %u (mode %04o, owner uid %u)",
			     name ? name : "", name ? "/" : "", node_name (kind),
			     (guint) fuse_req_ctx (req)->uid, (guint) (mode & 07777),
			     (guint) d->uid);
	return daemon_fail (d, mapping, node_name (kind), error);
}

void
op_open (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	Daemon *d = fuse_req_userdata (req);
	NodeKind kind;
	g_autoptr (Mapping) mapping = handle_or_lookup (d, ino, NULL, &kind);
	Handle *handle;
	int want;

	if (kind == NODE_INVALID || (kind >= NODE_DIR && mapping == NULL))
		return (void) fuse_reply_err (req, ENOENT);
	if (kind == NODE_ROOT || kind == NODE_DIR)
		return (void) fuse_reply_err (req, EISDIR);

	switch (fi->flags & O_ACCMODE) {
	case O_RDONLY:
		want = R_OK;
		break;
	case O_WRONLY:
		want = W_OK;
		break;
	default:
		want = R_OK | W_OK;
		break;
	}
	if (check_access (req, d, node_mode (kind, mapping), want) < 0)
		return (void) fuse_reply_err (req, -open_denied (req, d, kind, mapping, want));

	/*
	 * O_TRUNC is ignored: the daemon takes FUSE_CAP_ATOMIC_O_TRUNC, so the
	 * kernel sends no truncate, and `echo hi > data` overwrites in place.
	 */
	handle = handle_new (kind, mapping);
	if (kind == NODE_DATA)
		data_set_open_flags (d, handle, fi);
	else
		fi->direct_io = 1;
	/*
	 * Only `.control` has work to do at close(2) (its unterminated last
	 * line); every other node spares the kernel a FLUSH round trip.
	 */
	fi->noflush = kind != NODE_CONTROL;
	fi->fh = (uintptr_t) handle;
	if (fuse_reply_open (req, fi) == -ENOENT)
		handle_free (handle);
}

void
op_read (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	Daemon *d = fuse_req_userdata (req);
	Handle *handle = handle_get (fi);
	/*
	 * Held until the handler returns: a data read replies from inside the
	 * region's lock, and the release that may follow at once on another
	 * thread must not drop the last reference to the region under it.
	 */
	g_autoptr (Mapping) hold G_GNUC_UNUSED =
		handle->mapping != NULL ? mapping_ref (handle->mapping) : NULL;

	(void) ino;
	switch (handle->kind) {
	case NODE_DATA:
		data_read (req, d, handle, size, off);
		break;
	case NODE_CONTROL:
		control_read (req, d, handle, size, off);
		break;
	case NODE_SIZE:
	case NODE_ADVISE:
	case NODE_LOCK:
	case NODE_INFO:
	case NODE_RESIDENT:
		reply_text (req, d, handle, size, off);
		break;
	default:
		/* flush and move are write-only: open refuses them for reading. */
		fuse_reply_err (req, EBADF);
		break;
	}
}

void
op_write (fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
	  struct fuse_file_info *fi)
{
	Daemon *d = fuse_req_userdata (req);
	Handle *handle = handle_get (fi);
	g_autoptr (Mapping) hold G_GNUC_UNUSED =
		handle->mapping != NULL ? mapping_ref (handle->mapping) : NULL;
	int r;

	(void) ino;
	switch (handle->kind) {
	case NODE_DATA:
		data_write (req, d, handle, buf, size, off);
		return;
	case NODE_CONTROL:
		/* `.control` is a stream of lines: the offset does not matter. */
		r = control_write (d, handle, buf, size);
		break;
	case NODE_SIZE:
	case NODE_ADVISE:
	case NODE_FLUSH:
	case NODE_MOVE:
	case NODE_LOCK:
		/* Each write(2) on a text node is one whole command. */
		r = node_write (d, handle->kind, handle->mapping, buf, size);
		break;
	default:
		r = -EBADF;
		break;
	}
	if (r < 0)
		fuse_reply_err (req, -r);
	else
		fuse_reply_write (req, size);
}

/* close(2): `.control` applies its unterminated last line here. */
void
op_flush (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	Handle *handle = handle_get (fi);

	(void) ino;
	if (handle->kind == NODE_CONTROL)
		fuse_reply_err (req, -control_flush (fuse_req_userdata (req), handle));
	else
		fuse_reply_err (req, 0);
}

void
op_release (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void) ino;
	handle_free (handle_get (fi));
	fuse_reply_err (req, 0);
}

void
op_fsync (fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	Handle *handle = handle_get (fi);

	(void) ino;
	(void) datasync;
	if (handle->kind == NODE_DATA)
		data_fsync (req, fuse_req_userdata (req), handle);
	else
		fuse_reply_err (req, 0);
}
