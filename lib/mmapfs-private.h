/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the library's own files and never installed: a
 * cleanup type for file descriptors (GLib 2.74 has no g_autofd), and the SIGBUS guard that turns a fault on a truncated
 * file into EIO.
 */
#pragma once

#include <unistd.h>
#include "mmapfs/mmapfs.h"

G_BEGIN_DECLS

/*
 * The sentence of a resize to 0 bytes, refused both by the size node's
 * parser (parse-node.c) and by the region itself (region-ops.c).
 */
#define MMAPFS_RESIZE_ZERO_SENTENCE "a mapping cannot be resized to 0 bytes"

/* Client text for an error sentence: quoted, escaped, cut after 64 bytes (parse.c). */
char *mmapfs_quote (const char *text, gsize len);

/* A file descriptor closed when it goes out of scope; -1 means none. */
typedef int MmapfsFd;
static inline void
mmapfs_fd_close (MmapfsFd *fd)
{
	if (*fd >= 0)
		close (*fd);
	*fd = -1;
}
#define mmapfs_autofd __attribute__((cleanup(mmapfs_fd_close))) MmapfsFd

static inline int
mmapfs_steal_fd (MmapfsFd *fd)
{
	int ret = *fd;
	*fd = -1;
	return ret;
}

/*
 * The SIGBUS guard (guard.c). Code that touches mapped bytes which a
 * truncation of the backing file could take away runs them through
 * mmapfs_guard_run(): a fault inside @func returns FALSE instead of
 * killing the process, and the caller reports EIO. @func must not hold
 * resources that a jump out of it would leak.
 */
typedef void (*MmapfsGuardFunc) (gpointer data);

void mmapfs_guard_install (void);
gboolean mmapfs_guard_run (MmapfsGuardFunc func, gpointer data);
gboolean mmapfs_guard_copy (void *dest, const void *src, gsize n, gboolean overlap);

G_END_DECLS
