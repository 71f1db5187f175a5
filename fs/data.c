/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The `data` node: the mapped bytes themselves (DESIGN §2.3).
 *
 * Reads are answered straight from the mapping, without a copy: the
 * library lends the mapped bytes to a callback under the region's shared
 * lock and the reply is written to /dev/fuse from there. Writes are one
 * copy, from the request buffer into the mapping's pages (through the
 * backing file, which shares them: see mmapfs_region_pwrite). The region
 * lock is held only while the bytes move. A write never grows the
 * mapping, truncate(2) never changes it, and the cache mode decides what
 * the kernel may keep.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "daemon-private.h"

/* The preferred I/O size of `data`: one FUSE request's worth (max_write),
 * so that cp and cat move a mapping in few round trips. */
#define DATA_BLKSIZE (1024 * 1024)

/* Node modes reflect the access: data of a read mapping is 0444 (§2.2). */
static mode_t
data_mode (Mapping *mapping)
{
	if (mapping != NULL && mmapfs_region_get_access (mapping->region) == MMAPFS_ACCESS_READ)
		return S_IFREG | 0444;
	return S_IFREG | 0644;
}

static void
data_getattr (Daemon *d, Mapping *mapping, struct stat *st)
{
	gssize len = mmapfs_region_len (mapping->region, NULL);

	(void) d;
	st->st_size = len > 0 ? len : 0;
	st->st_blocks = (st->st_size + 511) / 512;
	st->st_blksize = DATA_BLKSIZE;
}

/* A read mapping's data refuses writers, root included, in words of its own. */
static gboolean
data_open_refused (Daemon *d, Mapping *mapping, int want, GError **error)
{
	g_autofree char *name = NULL;

	if (!(want & W_OK) || mmapfs_region_get_access (mapping->region) != MMAPFS_ACCESS_READ)
		return FALSE;
	name = mapping_dup_name (d, mapping);
	g_set_error (error, MMAPFS_ERROR, EACCES,
		     "%s is a read-only mapping: its data cannot be opened for writing", name);
	return TRUE;
}

static void
data_open (Daemon *d, Handle *handle, struct fuse_file_info *fi)
{
	/*
	 * A write-only descriptor cannot be mmapped nor read, so the kernel's
	 * cache does nothing for it but cost a copy per write: its writes go
	 * straight to the daemon (the kernel then drops the pages they
	 * overwrite from its cache, so other readers and client mappings
	 * stay coherent), and they cannot race with an open, below.
	 */
	if ((fi->flags & O_ACCMODE) == O_WRONLY)
		fi->direct_io = 1;
	switch (d->cache) {
	case CACHE_NEVER:
		/* Every read and write reaches the region; clients cannot mmap. */
		fi->direct_io = 1;
		break;
	case CACHE_ALWAYS:
		fi->keep_cache = 1;
		break;
	case CACHE_AUTO:
	default:
		/*
		 * Close-to-open: the kernel drops its copy at each open, so an
		 * open sees what other processes wrote to the backing file.
		 */
		fi->keep_cache = 0;
		handle->opened = g_get_monotonic_time ();
		__atomic_store_n (&handle->mapping->data_opened, handle->opened, __ATOMIC_RELAXED);
		break;
	}
}

/*
 * A read or write of the bytes failed. EIO there means a truncation of
 * the backing file took them (DESIGN §3): another process's doing, which
 * the contract answers, not a failure of the storage; it is logged as a
 * refused request, like every other errno a read or write can get.
 */
static int
fail_bytes (Daemon *d, Mapping *mapping, GError *error)
{
	return daemon_fail_at (d, mapping, "data", error, G_LOG_LEVEL_MESSAGE);
}

/* Replies to a READ straight from the mapping: the reply is written to /dev/fuse from there. */
static void
reply_from_mapping (const guint8 *bytes, gsize count, gpointer user_data)
{
	fuse_reply_buf (user_data, (const char *) bytes, count);
}

/*
 * The region lends all it holds of the range or fails: bytes a truncation
 * of the backing file took make the whole READ EIO, never a short reply,
 * which FUSE would take for the end of the file.
 */
static void
data_read (fuse_req_t req, Daemon *d, Handle *handle, size_t size, off_t off)
{
	g_autoptr (GError) error = NULL;

	if (mmapfs_region_read_at (handle->mapping->region, (guint64) off, size, reply_from_mapping,
				   req, &error) < 0)
		fuse_reply_err (req, -fail_bytes (d, handle->mapping, error));
}

/*
 * How recent an open of data must be to have raced with a write. The
 * window that matters is microseconds long (between the kernel copying a
 * write into its cache and sending it here); a second is generous.
 */
#define OPEN_RACE_WINDOW G_USEC_PER_SEC

/*
 * cache=auto drops the kernel's copy of data at every open. The kernel
 * puts a write into its cache before sending it here, so an open by
 * another process in between can drop those pages, and a read can bring
 * the older bytes back from the mapping before the write reaches it: the
 * writer would then read back what it overwrote. So after a write that an
 * open may have raced with, the written range is dropped again. Not by
 * this thread, and without waiting: the kernel may hold some of those
 * pages locked until this very request is answered. The invalidation
 * thread takes it at once, which leaves a window of microseconds instead
 * of one that lasts until the next open (see README, Cache modes).
 */
static void
drop_raced_pages (Daemon *d, Mapping *mapping, off_t off, gsize n)
{
	inval_inode (d, node_ino (mapping->id, NODE_DATA), off, (off_t) n, FALSE);
}

/* Returns the bytes written, or -errno. */
static gssize
data_write (Daemon *d, Handle *handle, const char *buf, size_t size, off_t off)
{
	Mapping *mapping = handle->mapping;
	g_autoptr (GError) error = NULL;
	gssize n = mmapfs_region_pwrite (mapping->region, buf, size, (guint64) off, &error);
	gint64 opened;

	if (n < 0)
		return fail_bytes (d, mapping, error);

	/*
	 * Only an open after the writer's own can have raced with its write
	 * (the writer's own open dropped the cache before it wrote), and only
	 * a recent one.
	 */
	opened = __atomic_load_n (&mapping->data_opened, __ATOMIC_RELAXED);
	if (d->cache == CACHE_AUTO && n > 0 && opened > handle->opened &&
	    g_get_monotonic_time () - opened < OPEN_RACE_WINDOW)
		drop_raced_pages (d, mapping, off, (gsize) n);
	return n;
}

/* fsync(2) and fdatasync(2) are msync(MS_SYNC) of the whole mapping. */
static int
data_fsync (Daemon *d, Handle *handle)
{
	g_autoptr (GError) error = NULL;

	if (!mmapfs_region_flush (handle->mapping->region, 0, MMAPFS_UNSET, MMAPFS_FLUSH_SYNC,
				  &error))
		return daemon_fail (d, handle->mapping, "data", error);
	return 0;
}

/*
 * truncate(2) of data: to the current length it succeeds and does
 * nothing; anything else would shrink or grow the backing file behind the
 * user's back (`dd seek=N` without conv=notrunc), so it is refused and the
 * size node named instead. Returns 0 or -errno.
 */
static int
data_truncate (Daemon *d, Mapping *mapping, guint64 length)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *name = mapping_dup_name (d, mapping);
	gssize len;

	if (mmapfs_region_get_access (mapping->region) == MMAPFS_ACCESS_READ) {
		g_set_error (&error, MMAPFS_ERROR, EACCES,
			     "%s is a read-only mapping: its data cannot be truncated", name);
		return daemon_fail (d, mapping, "data", error);
	}
	len = mmapfs_region_len (mapping->region, &error);
	if (len < 0)
		return daemon_fail (d, mapping, "data", error);
	if ((guint64) len == length)
		return 0;
	g_set_error (&error, MMAPFS_ERROR, EINVAL,
		     "cannot truncate %s/data from %zd to %" G_GUINT64_FORMAT
		     " bytes: resize a mapping through its size node",
		     name, len, length);
	return daemon_fail (d, mapping, "data", error);
}

static int
data_set_size (fuse_req_t req, Daemon *d, Mapping *mapping, guint64 length)
{
	int r = check_access (req, d, data_mode (mapping), W_OK);

	/* A read mapping refuses everyone, with a sentence of its own. */
	if (r < 0 && mmapfs_region_get_access (mapping->region) != MMAPFS_ACCESS_READ)
		return r;
	return data_truncate (d, mapping, length);
}

const NodeOps data_ops = {
	.mode = S_IFREG | 0644,
	.in_mapping = TRUE,
	.get_mode = data_mode,
	.getattr = data_getattr,
	.set_size = data_set_size,
	.open_refused = data_open_refused,
	.open = data_open,
	.read = data_read,
	.write = data_write,
	.fsync = data_fsync,
};
