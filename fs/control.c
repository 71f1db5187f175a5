/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The `.control` node: map, anon and unmap commands, one per line, and
 * the listing that recreates the tree (DESIGN §2.1).
 *
 * Each open has its own line buffer, because a line may span write calls
 * (`cat big-file > .control` splits wherever the pipe did). A line is
 * applied when its newline arrives, atomically and in order; the first
 * failing line fails that write with its errno, the lines before it stay
 * applied and the rest of the write is discarded. An unterminated last
 * line is applied at close(2), in the flush operation, which returns its
 * error. Like nfsd's transaction files, a read on an open that has
 * written returns the outcome of its last write, `ok` or
 * `error: ENAME: sentence`; a read on a fresh open lists the mappings.
 *
 * control_apply() is also how the command line creates its mappings.
 */
#include <errno.h>
#include <string.h>

#include "daemon-private.h"

static gboolean
check_name_free (Daemon *d, const char *name, GError **error)
{
	g_autoptr (Mapping) existing = tree_lookup_name (d, name);

	if (existing == NULL)
		return TRUE;
	g_set_error (error, MMAPFS_ERROR, EEXIST, "a mapping named %s already exists", name);
	return FALSE;
}

/* Creates the region of a map or anon command and adds it; ops_lock is held. */
static gboolean
add_mapping (Daemon *d, const MmapfsCommand *cmd, GError **error)
{
	g_autoptr (MmapfsRegion) region = NULL;

	if (!check_name_free (d, cmd->name, error))
		return FALSE;
	if (cmd->kind == MMAPFS_COMMAND_MAP)
		region = mmapfs_region_new_from_path (cmd->path, cmd->access, cmd->offset,
						      cmd->length, error);
	else
		region = mmapfs_region_new_anonymous (cmd->length, error);
	return region != NULL && tree_add (d, cmd->name, region, NULL, error) == 0;
}

/*
 * Applies one parsed command. Returns FALSE with @error (an MMAPFS_ERROR
 * whose code is the errno) when it fails, having changed nothing.
 */
gboolean
control_apply (Daemon *d, const MmapfsCommand *cmd, GError **error)
{
	g_autofree char *line = NULL;
	gboolean ok;

	if (cmd->kind == MMAPFS_COMMAND_NONE)
		return TRUE;

	g_mutex_lock (&d->ops_lock);
	if (cmd->kind == MMAPFS_COMMAND_UNMAP)
		ok = tree_unmap (d, cmd->name, error) == 0;
	else
		ok = add_mapping (d, cmd, error);
	g_mutex_unlock (&d->ops_lock);
	if (!ok)
		return FALSE;

	line = mmapfs_command_format (cmd);
	g_message ("applied: %s", line);
	/*
	 * The directory of an unmapped mapping must vanish from the kernel's
	 * dentry cache before the client hears "done"; the root's link count
	 * may lag. Neither is needed before mounting (no inval thread yet).
	 */
	if (cmd->kind == MMAPFS_COMMAND_UNMAP)
		inval_entry (d, INO_ROOT, cmd->name, TRUE);
	inval_inode (d, INO_ROOT, -1, 0, FALSE);
	return TRUE;
}

/*
 * Appends one command line per mapping, in order of creation, in the
 * format `.control` takes, so that `cat .control > saved` and later
 * `cat saved > .control` recreate the same tree.
 */
int
control_list (Daemon *d, GString *out)
{
	g_autoptr (GPtrArray) list = tree_list (d);

	for (guint i = 0; i < list->len; i++) {
		Mapping *mapping = g_ptr_array_index (list, i);
		g_autofree char *name = mapping_dup_name (d, mapping);
		g_autofree char *line = NULL;
		MmapfsCommand cmd = { 0 };
		gssize len = mmapfs_region_len (mapping->region, NULL);

		if (len <= 0)
			continue;
		cmd.name = name;
		cmd.length = (guint64) len;
		if (mmapfs_region_is_anonymous (mapping->region)) {
			cmd.kind = MMAPFS_COMMAND_ANON;
		} else {
			cmd.kind = MMAPFS_COMMAND_MAP;
			cmd.path = (char *) mmapfs_region_get_path (mapping->region);
			cmd.access = mmapfs_region_get_access (mapping->region);
			cmd.offset = mmapfs_region_get_offset (mapping->region);
			if (cmd.path == NULL)
				continue;
		}
		line = mmapfs_command_format (&cmd);
		g_string_append_printf (out, "%s\n", line);
	}
	return 0;
}

/* Records the outcome that the next read on this open returns; lock held. */
static void
set_outcome (Handle *handle, const GError *error)
{
	g_free (handle->outcome);
	handle->outcome = mmapfs_node_format_outcome (error);
	handle->has_outcome = TRUE;
	handle->outcome_pos = 0;
}

static gboolean
apply_line (Daemon *d, const char *line, gsize len, GError **error)
{
	MmapfsCommand cmd = { 0 };
	gboolean ok;

	ok = mmapfs_command_parse (line, len, &cmd, error) && control_apply (d, &cmd, error);
	mmapfs_command_clear (&cmd);
	return ok;
}

/* A failed line: nothing more of this write, nor any partial line, is kept. */
static int
fail_write (Daemon *d, Handle *handle, GError *error)
{
	g_string_truncate (handle->pending, 0);
	set_outcome (handle, error);
	return daemon_fail (d, NULL, ".control", error);
}

int
control_write (Daemon *d, Handle *handle, const char *buf, size_t size)
{
	g_autoptr (GMutexLocker) locker G_GNUC_UNUSED = g_mutex_locker_new (&handle->lock);
	g_autoptr (GError) error = NULL;
	gsize start = 0;
	const char *nl;

	if (handle->pending == NULL)
		handle->pending = g_string_new (NULL);
	g_string_append_len (handle->pending, buf, (gssize) size);

	while ((nl = memchr (handle->pending->str + start, '\n', handle->pending->len - start))) {
		gsize len = (gsize) (nl - (handle->pending->str + start));

		if (!apply_line (d, handle->pending->str + start, len, &error))
			return fail_write (d, handle, error);
		start += len + 1;
	}
	g_string_erase (handle->pending, 0, (gssize) start);

	/* Bound what a client can make the daemon hold while waiting for a newline. */
	if (handle->pending->len > MMAPFS_LINE_MAX) {
		g_set_error (&error, MMAPFS_ERROR, EINVAL,
			     "a command line is longer than %d bytes", MMAPFS_LINE_MAX);
		return fail_write (d, handle, error);
	}
	set_outcome (handle, NULL);
	return 0;
}

/* close(2): applies the unterminated last line, if any. Returns 0 or -errno. */
int
control_flush (Daemon *d, Handle *handle)
{
	g_autoptr (GMutexLocker) locker G_GNUC_UNUSED = g_mutex_locker_new (&handle->lock);
	g_autoptr (GError) error = NULL;

	if (handle->pending == NULL || handle->pending->len == 0)
		return 0;
	if (!apply_line (d, handle->pending->str, handle->pending->len, &error))
		return fail_write (d, handle, error);
	g_string_truncate (handle->pending, 0);
	set_outcome (handle, NULL);
	return 0;
}

void
control_read (fuse_req_t req, Handle *handle, size_t size, off_t off)
{
	g_autofree char *slice = NULL;
	gsize n;

	g_mutex_lock (&handle->lock);
	if (!handle->has_outcome) {
		g_mutex_unlock (&handle->lock);
		reply_text (req, handle, size, off);
		return;
	}
	/*
	 * The outcome is read as a stream from its start, whatever the file
	 * offset, so a client need not seek back after writing; then EOF
	 * until the next write. Sent after unlocking (see reply_text()).
	 */
	n = MIN (size, strlen (handle->outcome) - handle->outcome_pos);
	slice = g_memdup2 (handle->outcome + handle->outcome_pos, n);
	handle->outcome_pos += n;
	g_mutex_unlock (&handle->lock);
	fuse_reply_buf (req, slice, n);
}
