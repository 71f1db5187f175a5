/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MmapfsRegion: one memory mapping, with the whole surface of Python's
 * mmap object and Python's edge-case semantics.
 *
 * A region is opaque and atomically reference counted. Its bytes may be
 * read and written by many threads at once (pread/pwrite/read_at take a
 * shared lock); resize, move and close take the lock exclusively, so no
 * caller ever touches a stale address. The Python-style methods that use
 * the region's own position (read, write, seek, find with a default start,
 * ...) serialise with each other.
 *
 * Every fallible function takes a GError last and reports failure by
 * returning FALSE, NULL or -1, with a MMAPFS_ERROR whose code is the errno
 * (see mmapfs-error.h). A failed call changes nothing.
 *
 * Bytes of a file-backed region whose backing file was truncated
 * underneath are reported as EIO instead of raising SIGBUS: the library
 * installs a SIGBUS handler (chaining to any previous one) the first time a
 * region is created.
 */
#pragma once

#if !defined(MMAPFS_INSIDE) && !defined(MMAPFS_COMPILATION)
#error "Only <mmapfs/mmapfs.h> can be included directly."
#endif

#include <sys/types.h>
#include "mmapfs-types.h"

G_BEGIN_DECLS

typedef struct _MmapfsRegion MmapfsRegion;

/**
 * MmapfsRegionBytesFunc:
 * @bytes: (array length=count): bytes of the mapping, valid only during the call
 * @count: number of bytes at @bytes
 * @user_data: the caller's data
 *
 * Called by mmapfs_region_read_at() with a pointer straight into the
 * mapping, while the region is held against resize, move and close.
 */
typedef void (*MmapfsRegionBytesFunc) (const guint8 *bytes, gsize count, gpointer user_data);

/* Life cycle */
MMAPFS_EXPORT MmapfsRegion *mmapfs_region_new_from_fd (int fd, MmapfsAccess access, guint64 offset,
						       guint64 length, GError **error);
MMAPFS_EXPORT MmapfsRegion *mmapfs_region_new_from_path (const char *path, MmapfsAccess access,
							 guint64 offset, guint64 length,
							 GError **error);
MMAPFS_EXPORT MmapfsRegion *mmapfs_region_new_anonymous (guint64 length, GError **error);
MMAPFS_EXPORT MmapfsRegion *mmapfs_region_ref (MmapfsRegion *self);
MMAPFS_EXPORT void mmapfs_region_unref (MmapfsRegion *self);
MMAPFS_EXPORT gboolean mmapfs_region_close (MmapfsRegion *self, GError **error);
MMAPFS_EXPORT gboolean mmapfs_region_closed (MmapfsRegion *self);

/* Properties (fixed at creation; no lock needed) */
MMAPFS_EXPORT MmapfsAccess mmapfs_region_get_access (MmapfsRegion *self);
MMAPFS_EXPORT guint64 mmapfs_region_get_offset (MmapfsRegion *self);
MMAPFS_EXPORT const char *mmapfs_region_get_path (MmapfsRegion *self);
MMAPFS_EXPORT gboolean mmapfs_region_is_anonymous (MmapfsRegion *self);
MMAPFS_EXPORT gboolean mmapfs_region_is_writable (MmapfsRegion *self);
MMAPFS_EXPORT gboolean mmapfs_region_is_resizable (MmapfsRegion *self);
MMAPFS_EXPORT gsize mmapfs_region_page_size (void);

/* Sizes */
MMAPFS_EXPORT gssize mmapfs_region_len (MmapfsRegion *self, GError **error);
MMAPFS_EXPORT gint64 mmapfs_region_file_size (MmapfsRegion *self, GError **error);

/* The Python file-like surface, using the region's position */
MMAPFS_EXPORT GBytes *mmapfs_region_read (MmapfsRegion *self, gint64 n, GError **error);
MMAPFS_EXPORT gint mmapfs_region_read_byte (MmapfsRegion *self, GError **error);
MMAPFS_EXPORT GBytes *mmapfs_region_readline (MmapfsRegion *self, GError **error);
MMAPFS_EXPORT gssize mmapfs_region_write (MmapfsRegion *self, const void *data, gsize count,
					  GError **error);
MMAPFS_EXPORT gboolean mmapfs_region_write_byte (MmapfsRegion *self, guint8 byte, GError **error);
MMAPFS_EXPORT gboolean mmapfs_region_seek (MmapfsRegion *self, gint64 pos, int whence,
					   GError **error);
MMAPFS_EXPORT gssize mmapfs_region_tell (MmapfsRegion *self, GError **error);

/* Searching */
MMAPFS_EXPORT gboolean mmapfs_region_find (MmapfsRegion *self, const void *needle, gsize needle_len,
					   gint64 start, gint64 end, gssize *out_index,
					   GError **error);
MMAPFS_EXPORT gboolean mmapfs_region_rfind (MmapfsRegion *self, const void *needle,
					    gsize needle_len, gint64 start, gint64 end,
					    gssize *out_index, GError **error);
MMAPFS_EXPORT void mmapfs_find_bounds (gint64 start, gint64 end, guint64 length, guint64 *out_start,
				       guint64 *out_end);
MMAPFS_EXPORT const void *mmapfs_memrmem (const void *hay, gsize hay_len, const void *needle,
					  gsize needle_len);
MMAPFS_EXPORT gboolean mmapfs_region_search_regex (MmapfsRegion *self, GRegex *regex, gint64 start,
						   gint64 end, gssize *out_start, gssize *out_end,
						   GError **error);

/* Indexing and slices (Python's m[i], m[i:j], m[i:j] = data) */
MMAPFS_EXPORT gint mmapfs_region_get_item (MmapfsRegion *self, gint64 index, GError **error);
MMAPFS_EXPORT gboolean mmapfs_region_set_item (MmapfsRegion *self, gint64 index, guint8 value,
					       GError **error);
MMAPFS_EXPORT GBytes *mmapfs_region_get_slice (MmapfsRegion *self, gint64 start, gint64 stop,
					       GError **error);
MMAPFS_EXPORT gboolean mmapfs_region_set_slice (MmapfsRegion *self, gint64 start, gint64 stop,
						const void *data, gsize count, GError **error);

/* Positionless byte access, for servers (the FUSE daemon) */
MMAPFS_EXPORT gssize mmapfs_region_pread (MmapfsRegion *self, void *buf, gsize count,
					  guint64 offset, GError **error);
MMAPFS_EXPORT gssize mmapfs_region_pwrite (MmapfsRegion *self, const void *buf, gsize count,
					   guint64 offset, GError **error);
MMAPFS_EXPORT gssize mmapfs_region_read_at (MmapfsRegion *self, guint64 offset, gsize count,
					    MmapfsRegionBytesFunc func, gpointer user_data,
					    GError **error);

/* Whole-region operations */
MMAPFS_EXPORT gboolean mmapfs_region_move (MmapfsRegion *self, guint64 dest, guint64 src,
					   guint64 count, GError **error);
MMAPFS_EXPORT gboolean mmapfs_region_resize (MmapfsRegion *self, guint64 new_length,
					     GError **error);
MMAPFS_EXPORT gboolean mmapfs_region_flush (MmapfsRegion *self, gint64 offset, gint64 size,
					    MmapfsFlushFlags flags, GError **error);
MMAPFS_EXPORT gboolean mmapfs_region_madvise (MmapfsRegion *self, int advice, gint64 start,
					      gint64 length, GError **error);
MMAPFS_EXPORT int mmapfs_region_get_access_pattern (MmapfsRegion *self);
MMAPFS_EXPORT gboolean mmapfs_region_lock (MmapfsRegion *self, gboolean lock, GError **error);
MMAPFS_EXPORT gboolean mmapfs_region_is_locked (MmapfsRegion *self);

/* Residency (runs are MmapfsResidentRun, of mmapfs-node.h) */
MMAPFS_EXPORT GBytes *mmapfs_region_mincore (MmapfsRegion *self, GError **error);
MMAPFS_EXPORT GArray *mmapfs_mincore_runs (GBytes *vector, guint64 first_page,
					   guint64 *out_resident);
MMAPFS_EXPORT char *mmapfs_region_format_resident (MmapfsRegion *self, GError **error);

/* Statistics and text for the daemon's info node */

/**
 * MmapfsRegionStats:
 * @reads: read requests served (pread, read_at, read, ...)
 * @writes: write requests served
 * @bytes_read: bytes returned by those reads
 * @bytes_written: bytes stored by those writes
 * @flushes: flush requests
 */
typedef struct {
	guint64 reads;
	guint64 writes;
	guint64 bytes_read;
	guint64 bytes_written;
	guint64 flushes;
} MmapfsRegionStats;

MMAPFS_EXPORT void mmapfs_region_get_stats (MmapfsRegion *self, MmapfsRegionStats *out_stats);
MMAPFS_EXPORT char *mmapfs_region_dup_last_error (MmapfsRegion *self);
MMAPFS_EXPORT void mmapfs_region_set_last_error (MmapfsRegion *self, const char *message);
MMAPFS_EXPORT char *mmapfs_region_format_info (MmapfsRegion *self, const char *name,
					       GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MmapfsRegion, mmapfs_region_unref)

G_END_DECLS
