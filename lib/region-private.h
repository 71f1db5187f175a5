/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The inside of MmapfsRegion, shared by the files that implement it:
 * region.c (life cycle and byte access), region-python.c (the position-
 * based Python surface, searching, slices), region-ops.c (move, resize,
 * flush, madvise, lock) and region-info.c (residency, statistics, info).
 *
 * Locking. `lock` is a reader-writer lock over the mapping itself: the
 * address, the length and the closed flag. Byte traffic that does not use
 * the region's position (pread, pwrite, read_at, find, slices, mincore,
 * madvise, flush) takes it shared, so many threads move bytes at once.
 * Everything that changes the address or the length (resize, close),
 * memmove across the region (move), mlock, and the Python methods that
 * read or update the position take it exclusively. Statistics are relaxed
 * atomics; the last error has its own small mutex so that recording it
 * never waits for bytes to move.
 */
#pragma once

#include "mmapfs-private.h"

struct _MmapfsRegion {
	GRWLock lock;
	guint8 *data;     /* lock */
	gsize length;     /* lock */
	gsize pos;        /* lock, taken exclusively to change it */
	gboolean closed;  /* lock */
	gboolean locked;  /* lock */
	int pattern;      /* atomic: last of normal/random/sequential applied */

	/* Fixed at creation. */
	int fd;           /* the backing file, or the memfd of an anonymous region */
	gboolean anonymous;
	MmapfsAccess access;
	guint64 offset;
	char *path;       /* NULL when anonymous or made from a caller's fd */
	int prot;
	int flags;
	gboolean fd_stores; /* pwrite(2) on fd reaches the mapping's pages (shared, writable, no O_APPEND) */

	MmapfsRegionStats stats; /* atomic, relaxed */

	GMutex error_lock;
	char *last_error; /* error_lock */
};

void region_fail (MmapfsRegion *self, GError **error, int errnum, const char *format, ...)
	G_GNUC_PRINTF (4, 5);
gboolean region_check_open (MmapfsRegion *self, GError **error);
gboolean region_check_writable (MmapfsRegion *self, GError **error);
void region_fail_truncated (MmapfsRegion *self, GError **error);
GBytes *region_copy_out (MmapfsRegion *self, gsize start, gsize n, GError **error);
gboolean region_copy_in (MmapfsRegion *self, gsize start, const void *src, gsize n,
			 GError **error);

/*
 * The bodies of the whole-region operations (region-ops.c), for callers
 * that hold `lock` (exclusively for move, resize and lock; shared will do
 * for flush and madvise) and have checked that the region is open: the
 * public methods, and the node protocol (node.c), which applies a node's
 * range rule and acts under one acquisition. Each check and its sentence
 * live once, here, whichever of them calls.
 */
gboolean region_move_locked (MmapfsRegion *self, guint64 dest, guint64 src, guint64 count,
			     GError **error);
gboolean region_resize_locked (MmapfsRegion *self, guint64 new_length, GError **error);
gboolean region_check_flush_range (MmapfsRegion *self, guint64 offset, guint64 size,
				   GError **error);
gboolean region_flush_locked (MmapfsRegion *self, guint64 offset, guint64 size,
			      MmapfsFlushFlags flags, GError **error);
gboolean region_madvise_locked (MmapfsRegion *self, int advice, guint64 start, guint64 length,
				guint64 *out_length, GError **error);
gboolean region_lock_locked (MmapfsRegion *self, gboolean lock, GError **error);

static inline void
region_stat_add (guint64 *counter, guint64 amount)
{
	__atomic_fetch_add (counter, amount, __ATOMIC_RELAXED);
}

static inline gsize
region_pages (gsize length)
{
	return (length + mmapfs_region_page_size () - 1) / mmapfs_region_page_size ();
}
