/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Operations on a region as a whole: move (memmove within it), resize,
 * flush (msync), madvise with the access pattern that survives resize,
 * and mlock. Each validates everything before it acts, and undoes its
 * own earlier steps when a later one fails, so a failure changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region-private.h"

/* ---------------------------------------------------------------------- */
/* Whole-region operations                                                */
/* ---------------------------------------------------------------------- */

/**
 * mmapfs_region_move:
 * @self: a region
 * @dest: destination index
 * @src: source index
 * @count: bytes to move
 * @error: return location for an error
 *
 * Python's `move(dest, src, count)`: memmove within the mapping, overlap
 * allowed.
 *
 * Returns: %TRUE, or %FALSE with EACCES (read mapping), EINVAL (either
 *   range runs past the end; nothing moves), EBADF or EIO
 */
gboolean
mmapfs_region_move (MmapfsRegion *self, guint64 dest, guint64 src, guint64 count, GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, FALSE);
	locker = g_rw_lock_writer_locker_new (&self->lock);
	return region_check_open (self, error) && region_move_locked (self, dest, src, count, error);
}

/* mmapfs_region_move() with the lock held exclusively and the region open. */
gboolean
region_move_locked (MmapfsRegion *self, guint64 dest, guint64 src, guint64 count, GError **error)
{
	if (!region_check_writable (self, error))
		return FALSE;
	if (dest > self->length || src > self->length || count > self->length - dest ||
	    count > self->length - src) {
		region_fail (self, error, EINVAL,
			     "moving %" G_GUINT64_FORMAT " bytes from %" G_GUINT64_FORMAT
			     " to %" G_GUINT64_FORMAT " runs past the end of the mapping (%zu)",
			     count, src, dest, self->length);
		return FALSE;
	}
	if (!mmapfs_guard_copy (self->data + dest, self->data + src, count, TRUE)) {
		region_fail_truncated (self, error);
		return FALSE;
	}
	return TRUE;
}

/*
 * Puts the backing file back to the size it had, after a later step of a
 * resize failed. Growing it was what changed it, so cutting it back loses
 * only the zeros that were added.
 */
static void
restore_file_size (MmapfsRegion *self, guint64 size)
{
	if (ftruncate (self->fd, (off_t) size) < 0) {
		/* The file keeps the larger size; the mapping is still the old one. */
	}
}

/*
 * Makes the backing file (or memfd) exactly @size bytes long. On a grow,
 * the new blocks are also allocated, so that running out of space is
 * reported here as ENOSPC rather than later as a lost write-back; a file
 * system that cannot preallocate gets a sparse grow, as Python does.
 * Returns 0 or -errno, with the file as it was on failure.
 */
static int
set_file_size (MmapfsRegion *self, guint64 old_size, guint64 size)
{
	if (ftruncate (self->fd, (off_t) size) < 0)
		return -errno;
	if (size > old_size && !self->anonymous &&
	    fallocate (self->fd, 0, (off_t) old_size, (off_t) (size - old_size)) < 0 &&
	    errno != EOPNOTSUPP) {
		int errsv = errno;
		restore_file_size (self, old_size);
		return -errsv;
	}
	return 0;
}

static void
fail_file_size (MmapfsRegion *self, GError **error, guint64 size, int errnum)
{
	region_fail (self, error, errnum,
		     "cannot resize the backing file to %" G_GUINT64_FORMAT " bytes: %s", size,
		     g_strerror (errnum));
}

static void
fail_lock (MmapfsRegion *self, GError **error, guint64 length, int errnum)
{
	region_fail (self, error, errnum,
		     "cannot keep %" G_GUINT64_FORMAT " bytes locked in memory: %s", length,
		     g_strerror (errnum));
}

/**
 * mmapfs_region_resize:
 * @self: a region
 * @new_length: the new length in bytes, not 0
 * @error: return location for an error
 *
 * Python's `resize(n)`: a file-backed mapping sets its file to offset + n
 * bytes and maps that; anonymous memory grows or shrinks. New bytes are
 * zero. Unlike Python, every check is made first and each step is undone
 * if a later one fails, so a failed resize leaves the mapping and the file
 * as they were. The access pattern (normal, random, sequential) and the
 * lock are applied again to the new mapping; other advice is not kept.
 * The position does not move, even if it is now past the end.
 *
 * Returns: %TRUE, or %FALSE with EPERM (read or copy mapping), EINVAL
 *   (@new_length 0 or beyond any file), ENOSPC (no room to grow the
 *   file), EBADF, or the errno of ftruncate(2), mmap(2) or mlock(2)
 */
gboolean
mmapfs_region_resize (MmapfsRegion *self, guint64 new_length, GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, FALSE);
	locker = g_rw_lock_writer_locker_new (&self->lock);
	return region_check_open (self, error) && region_resize_locked (self, new_length, error);
}

/* mmapfs_region_resize() with the lock held exclusively and the region open. */
gboolean
region_resize_locked (MmapfsRegion *self, guint64 new_length, GError **error)
{
	struct stat st;
	guint64 old_size;
	guint8 *data;
	int r;

	if (!mmapfs_region_is_resizable (self)) {
		region_fail (self, error, EPERM, "a mapping with access=%s cannot be resized",
			     mmapfs_access_to_string (self->access));
		return FALSE;
	}
	if (new_length == 0) {
		region_fail (self, error, EINVAL, "a mapping cannot be resized to 0 bytes");
		return FALSE;
	}
	if (new_length > G_MAXSSIZE || new_length > (guint64) G_MAXINT64 - self->offset) {
		region_fail (self, error, EINVAL,
			     "%" G_GUINT64_FORMAT " bytes is beyond any file size", new_length);
		return FALSE;
	}
	/* The file may be longer than the mapping: undo restores what it was. */
	old_size = fstat (self->fd, &st) == 0 ? (guint64) st.st_size : self->offset + self->length;

	if (new_length == self->length) {
		/* As Python: the file is still set to offset + length; nothing to remap. */
		r = set_file_size (self, old_size, self->offset + new_length);
		if (r < 0) {
			fail_file_size (self, error, self->offset + new_length, -r);
			return FALSE;
		}
		return TRUE;
	}

	/*
	 * Build the new mapping before touching the old one: a fresh mmap
	 * of the same file works whatever madvise did to the old range
	 * (mremap refuses a range split into several kernel mappings).
	 */
	data = mmap (NULL, new_length, self->prot, self->flags, self->fd, (off_t) self->offset);
	if (data == MAP_FAILED) {
		int errsv = errno;
		region_fail (self, error, errsv, "cannot map %" G_GUINT64_FORMAT " bytes: %s",
			     new_length, g_strerror (errsv));
		return FALSE;
	}

	/*
	 * Lock the new pages only where the file backs them: before cutting
	 * the file when shrinking (so a failure has lost nothing), after
	 * growing it when growing (so mlock does not fault past the end).
	 */
	if (new_length < self->length && self->locked && mlock (data, new_length) < 0) {
		int errsv = errno;
		munmap (data, new_length);
		fail_lock (self, error, new_length, errsv);
		return FALSE;
	}
	r = set_file_size (self, old_size, self->offset + new_length);
	if (r < 0) {
		munmap (data, new_length);
		fail_file_size (self, error, self->offset + new_length, -r);
		return FALSE;
	}
	if (new_length > self->length && self->locked && mlock (data, new_length) < 0) {
		int errsv = errno;
		munmap (data, new_length);
		restore_file_size (self, old_size);
		fail_lock (self, error, new_length, errsv);
		return FALSE;
	}

	munmap (self->data, self->length);
	self->data = data;
	self->length = new_length;
	if (g_atomic_int_get (&self->pattern) != MADV_NORMAL)
		madvise (self->data, self->length, g_atomic_int_get (&self->pattern));
	return TRUE;
}

/*
 * The one sentence of a flush range outside the mapping. The numbers come
 * as text because the C API's may be negative and a node's may exceed
 * G_MAXINT64, and each is shown as its caller got it.
 */
static void
fail_flush_range (MmapfsRegion *self, GError **error, const char *offset, const char *size)
{
	region_fail (self, error, EINVAL, "flush range %s+%s is outside the mapping (%zu bytes)",
		     offset, size, self->length);
}

/* Checks that [@offset, @offset + @size) lies inside the mapping; lock held, region open. */
gboolean
region_check_flush_range (MmapfsRegion *self, guint64 offset, guint64 size, GError **error)
{
	char offset_text[24];
	char size_text[24];

	if (offset <= self->length && size <= self->length - offset)
		return TRUE;
	g_snprintf (offset_text, sizeof offset_text, "%" G_GUINT64_FORMAT, offset);
	g_snprintf (size_text, sizeof size_text, "%" G_GUINT64_FORMAT, size);
	fail_flush_range (self, error, offset_text, size_text);
	return FALSE;
}

/**
 * mmapfs_region_flush:
 * @self: a region
 * @offset: first byte, a multiple of the page size for write mappings, or
 *   %MMAPFS_UNSET for 0
 * @size: bytes to flush, or %MMAPFS_UNSET for Python's default, the whole
 *   length (so that, as in Python, a nonzero @offset with the default
 *   size is out of range)
 * @flags: sync, async or invalidate
 * @error: return location for an error
 *
 * Python's `flush([offset[, size]])`: msync(2) of a range of a shared
 * writable mapping. On read and copy mappings the range is checked and
 * nothing is done.
 *
 * Returns: %TRUE, or %FALSE with EINVAL (range outside the mapping, or
 *   @offset not page-aligned), EBADF, or the errno of msync(2)
 */
gboolean
mmapfs_region_flush (MmapfsRegion *self, gint64 offset, gint64 size, MmapfsFlushFlags flags,
		     GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, FALSE);
	g_return_val_if_fail ((guint) flags <= MMAPFS_FLUSH_INVALIDATE, FALSE);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return FALSE;
	/* Every request that reaches an open region counts, even one out of range. */
	region_stat_add (&self->stats.flushes, 1);

	if (offset == MMAPFS_UNSET)
		offset = 0;
	if (size == MMAPFS_UNSET)
		size = (gint64) self->length;
	if (size < 0 || offset < 0) {
		char offset_text[24];
		char size_text[24];

		g_snprintf (offset_text, sizeof offset_text, "%" G_GINT64_FORMAT, offset);
		g_snprintf (size_text, sizeof size_text, "%" G_GINT64_FORMAT, size);
		fail_flush_range (self, error, offset_text, size_text);
		return FALSE;
	}
	return region_check_flush_range (self, (guint64) offset, (guint64) size, error) &&
	       region_flush_locked (self, (guint64) offset, (guint64) size, flags, error);
}

/*
 * The msync(2) of mmapfs_region_flush(), for a range that
 * region_check_flush_range() accepted; the lock is held (shared will do).
 * Read and copy mappings have nothing to write back, and their offset
 * need not be aligned, as in Python.
 */
gboolean
region_flush_locked (MmapfsRegion *self, guint64 offset, guint64 size, MmapfsFlushFlags flags,
		     GError **error)
{
	static const int msync_flags[] = {
		[MMAPFS_FLUSH_SYNC] = MS_SYNC,
		[MMAPFS_FLUSH_ASYNC] = MS_ASYNC,
		[MMAPFS_FLUSH_INVALIDATE] = MS_INVALIDATE,
	};

	g_return_val_if_fail ((guint) flags < G_N_ELEMENTS (msync_flags), FALSE);
	if (self->access == MMAPFS_ACCESS_READ || self->access == MMAPFS_ACCESS_COPY)
		return TRUE;
	if (offset % mmapfs_region_page_size () != 0) {
		region_fail (self, error, EINVAL,
			     "flush offset %" G_GUINT64_FORMAT " is not a multiple of the page size %zu",
			     offset, mmapfs_region_page_size ());
		return FALSE;
	}
	if (msync (self->data + offset, (gsize) size, msync_flags[flags]) < 0) {
		int errsv = errno;
		region_fail (self, error, errsv, "msync failed: %s", g_strerror (errsv));
		return FALSE;
	}
	return TRUE;
}

/* The one sentence of an advice start outside the mapping; see fail_flush_range(). */
static void
fail_advice_start (MmapfsRegion *self, GError **error, const char *start)
{
	region_fail (self, error, EINVAL, "advice start %s is outside the mapping (0..%zu)", start,
		     self->length);
}

/* Advice needs a start inside the mapping (as Python): lock held, region open. */
static gboolean
check_advice_start (MmapfsRegion *self, guint64 start, GError **error)
{
	char start_text[24];

	if (start < self->length)
		return TRUE;
	g_snprintf (start_text, sizeof start_text, "%" G_GUINT64_FORMAT, start);
	fail_advice_start (self, error, start_text);
	return FALSE;
}

/**
 * mmapfs_region_madvise:
 * @self: a region
 * @advice: an MADV_* value (see mmapfs_advice_from_string())
 * @start: first byte, default (%MMAPFS_UNSET) 0; the kernel wants it
 *   page-aligned
 * @length: bytes, default (%MMAPFS_UNSET) to the end; a length that runs
 *   past the end is clipped to it
 * @error: return location for an error
 *
 * Python's `madvise(option[, start[, length]])`. Normal, random and
 * sequential advice also become the region's access pattern, which
 * resize applies again.
 *
 * Returns: %TRUE, or %FALSE with EINVAL (@start outside the mapping,
 *   @length negative), EOVERFLOW (@start + @length overflows), EBADF, or
 *   the errno of madvise(2) unchanged (EINVAL for an unaligned @start)
 */
gboolean
mmapfs_region_madvise (MmapfsRegion *self, int advice, gint64 start, gint64 length,
		       GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, FALSE);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return FALSE;

	if (start == MMAPFS_UNSET)
		start = 0;
	if (length == MMAPFS_UNSET)
		length = (gint64) self->length;
	if (start < 0) {
		char start_text[24];

		g_snprintf (start_text, sizeof start_text, "%" G_GINT64_FORMAT, start);
		fail_advice_start (self, error, start_text);
		return FALSE;
	}
	/* Python's checks, in Python's order: the start, then the length. */
	if (!check_advice_start (self, (guint64) start, error))
		return FALSE;
	if (length < 0) {
		region_fail (self, error, EINVAL, "advice length %" G_GINT64_FORMAT " is negative",
			     length);
		return FALSE;
	}
	if (G_MAXINT64 - start < length) {
		region_fail (self, error, EOVERFLOW,
			     "advice start %" G_GINT64_FORMAT " plus length %" G_GINT64_FORMAT
			     " overflows",
			     start, length);
		return FALSE;
	}
	return region_madvise_locked (self, advice, (guint64) start, (guint64) length, NULL, error);
}

/*
 * madvise(2) of @length bytes from @start, a @length that runs past the
 * end being clipped to it; the lock is held (shared will do) and the
 * region open. @out_length gets the length advised, after clipping.
 */
gboolean
region_madvise_locked (MmapfsRegion *self, int advice, guint64 start, guint64 length,
		       guint64 *out_length, GError **error)
{
	const char *name = mmapfs_advice_to_string (advice);

	if (!check_advice_start (self, start, error))
		return FALSE;
	length = MIN (length, self->length - start);
	if (madvise (self->data + start, (gsize) length, advice) < 0) {
		int errsv = errno;
		region_fail (self, error, errsv,
			     "madvise(%s) of %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT " failed: %s",
			     name != NULL ? name : "?", start, length, g_strerror (errsv));
		return FALSE;
	}
	if (mmapfs_advice_is_pattern (advice))
		g_atomic_int_set (&self->pattern, advice);
	if (out_length != NULL)
		*out_length = length;
	return TRUE;
}

/**
 * mmapfs_region_get_access_pattern:
 * @self: a region
 *
 * Returns: MADV_NORMAL, MADV_RANDOM or MADV_SEQUENTIAL: the last of them
 *   applied to any range (MADV_NORMAL at first)
 */
int
mmapfs_region_get_access_pattern (MmapfsRegion *self)
{
	g_return_val_if_fail (self != NULL, MADV_NORMAL);
	return g_atomic_int_get (&self->pattern);
}

/**
 * mmapfs_region_lock:
 * @self: a region
 * @lock: %TRUE to mlock(2) the whole mapping, %FALSE to munlock(2) it
 * @error: return location for an error
 *
 * Returns: %TRUE, or %FALSE with EBADF or the kernel's errno (ENOMEM over
 *   RLIMIT_MEMLOCK, EPERM); the lock state is then unchanged
 */
gboolean
mmapfs_region_lock (MmapfsRegion *self, gboolean lock, GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, FALSE);
	locker = g_rw_lock_writer_locker_new (&self->lock);
	return region_check_open (self, error) && region_lock_locked (self, lock, error);
}

/* mmapfs_region_lock() with the lock held exclusively and the region open. */
gboolean
region_lock_locked (MmapfsRegion *self, gboolean lock, GError **error)
{
	int r;

	r = lock ? mlock (self->data, self->length) : munlock (self->data, self->length);
	if (r < 0) {
		int errsv = errno;
		region_fail (self, error, errsv, "%s of %zu bytes failed: %s",
			     lock ? "mlock" : "munlock", self->length, g_strerror (errsv));
		return FALSE;
	}
	self->locked = lock;
	return TRUE;
}

/**
 * mmapfs_region_is_locked:
 * @self: a region
 *
 * Returns: whether the mapping is locked in memory by mmapfs_region_lock()
 */
gboolean
mmapfs_region_is_locked (MmapfsRegion *self)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, FALSE);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	return self->locked;
}

