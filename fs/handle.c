/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Open files: the per-open handle kept in fi->fh, the permission check at
 * open, and the dispatch of open, read, write, flush, fsync and release
 * through the NodeOps of the handle's kind.
 *
 * A handle holds a reference on its mapping, so that a file opened before
 * the mapping was unmapped keeps working until it is closed, as an
 * unlinked file does. Kinds without an open hook (the text nodes and
 * `.control`) are served with direct I/O, so each read reaches the daemon.
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
	handle->ops = node_ops (kind);
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
	if (handle->ops != NULL && handle->ops->release != NULL)
		handle->ops->release (handle);
	if (handle->text != NULL)
		g_string_free (handle->text, TRUE);
	g_clear_pointer (&handle->entries, g_ptr_array_unref);
	g_clear_pointer (&handle->mapping, mapping_unref);
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

/*
 * Replies to an open or opendir with @handle in fi->fh. An interrupted
 * open never reaches the client, and no release will come: the handle
 * goes at once.
 */
void
handle_reply_open (fuse_req_t req, Handle *handle, struct fuse_file_info *fi)
{
	fi->fh = (uintptr_t) handle;
	if (fuse_reply_open (req, fi) == -ENOENT)
		handle_free (handle);
}

static int
open_denied (fuse_req_t req, Daemon *d, NodeKind kind, Mapping *mapping, int want)
{
	const NodeOps *ops = node_ops (kind);
	g_autoptr (GError) error = NULL;
	g_autofree char *name = mapping != NULL ? mapping_dup_name (d, mapping) : NULL;
	mode_t mode = node_mode (kind, mapping);

	/* A kind may have words of its own for a refusal. */
	if (ops->open_refused != NULL && ops->open_refused (d, mapping, want, &error))
		return daemon_fail (d, mapping, node_name (kind), error);
	if (((want & R_OK) && !(mode & 0444)) || ((want & W_OK) && !(mode & 0222)))
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
	g_autoptr (Mapping) mapping = NULL;
	const NodeOps *ops;
	NodeKind kind;
	Handle *handle;
	int want;

	if (node_resolve (d, ino, NULL, &kind, &mapping) < 0)
		return (void) fuse_reply_err (req, ENOENT);
	ops = node_ops (kind);
	if (ops->list != NULL)
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
	if (ops->open != NULL)
		ops->open (d, handle, fi);
	else
		fi->direct_io = 1;
	/*
	 * Only a kind with work to do at close(2) (`.control`: its
	 * unterminated last line) takes FLUSH; the others spare the kernel
	 * the round trip.
	 */
	fi->noflush = ops->flush == NULL;
	handle_reply_open (req, handle, fi);
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
	/* Write-only nodes have no read: open refuses them for reading. */
	if (handle->ops->read == NULL)
		return (void) fuse_reply_err (req, EBADF);
	handle->ops->read (req, d, handle, size, off);
}

void
op_write (fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
	  struct fuse_file_info *fi)
{
	Daemon *d = fuse_req_userdata (req);
	Handle *handle = handle_get (fi);
	g_autoptr (Mapping) hold G_GNUC_UNUSED =
		handle->mapping != NULL ? mapping_ref (handle->mapping) : NULL;
	gssize r = -EBADF;

	(void) ino;
	if (handle->ops->write != NULL)
		r = handle->ops->write (d, handle, buf, size, off);
	if (r < 0)
		fuse_reply_err (req, (int) -r);
	else
		fuse_reply_write (req, (size_t) r);
}

/* close(2): `.control` applies its unterminated last line here. */
void
op_flush (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	Handle *handle = handle_get (fi);

	(void) ino;
	if (handle->ops->flush != NULL)
		fuse_reply_err (req, -handle->ops->flush (fuse_req_userdata (req), handle));
	else
		fuse_reply_err (req, 0);
}

/* Also releasedir: a directory's handle is freed the same way. */
void
op_release (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void) ino;
	handle_free (handle_get (fi));
	fuse_reply_err (req, 0);
}

/* Also fsyncdir: directories, like text nodes, have nothing to sync. */
void
op_fsync (fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	Handle *handle = handle_get (fi);

	(void) ino;
	(void) datasync;
	if (handle->ops->fsync != NULL)
		fuse_reply_err (req, -handle->ops->fsync (fuse_req_userdata (req), handle));
	else
		fuse_reply_err (req, 0);
}
