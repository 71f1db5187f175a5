/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Basic types shared by every libmmapfs header: the export macro, the
 * access modes (numbered as Python's mmap.ACCESS_*), and the sentinel that
 * stands for an omitted optional argument, the way Python's mmap methods
 * let callers leave out start, end, size or length.
 */
#pragma once

#if !defined(MMAPFS_INSIDE) && !defined(MMAPFS_COMPILATION)
#error "Only <mmapfs/mmapfs.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

#define MMAPFS_EXPORT __attribute__((visibility("default"))) extern

/**
 * MmapfsAccess:
 * @MMAPFS_ACCESS_DEFAULT: MAP_SHARED, read and write (Python's ACCESS_DEFAULT)
 * @MMAPFS_ACCESS_READ: MAP_SHARED, read only
 * @MMAPFS_ACCESS_WRITE: MAP_SHARED, read and write; writes reach the file
 * @MMAPFS_ACCESS_COPY: MAP_PRIVATE, read and write; writes never reach the file
 *
 * How a region maps its file. The values equal Python's constants.
 */
typedef enum {
	MMAPFS_ACCESS_DEFAULT = 0,
	MMAPFS_ACCESS_READ = 1,
	MMAPFS_ACCESS_WRITE = 2,
	MMAPFS_ACCESS_COPY = 3,
} MmapfsAccess;

/**
 * MMAPFS_UNSET:
 *
 * Passed for an optional position or length argument that the caller
 * leaves out, like an omitted argument of Python's mmap methods: the
 * method then uses Python's default (the current position for find's
 * start, the end of the region for lengths).
 */
#define MMAPFS_UNSET G_MININT64

/**
 * MmapfsFlushFlags:
 * @MMAPFS_FLUSH_SYNC: msync(MS_SYNC), the default
 * @MMAPFS_FLUSH_ASYNC: msync(MS_ASYNC)
 * @MMAPFS_FLUSH_INVALIDATE: msync(MS_INVALIDATE)
 */
typedef enum {
	MMAPFS_FLUSH_SYNC = 0,
	MMAPFS_FLUSH_ASYNC = 1,
	MMAPFS_FLUSH_INVALIDATE = 2,
} MmapfsFlushFlags;

MMAPFS_EXPORT const char *mmapfs_access_to_string (MmapfsAccess access);
MMAPFS_EXPORT gboolean mmapfs_access_from_string (const char *text, MmapfsAccess *out_access,
						  GError **error);

G_END_DECLS
