/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the library's own files and never installed: the one
 * way to set an error, a cleanup type for file descriptors (GLib 2.74 has
 * no g_autofd), and the SIGBUS guard that turns a fault on a truncated
 * file into EIO.
 */
#pragma once

#include <setjmp.h>
#include <unistd.h>
#include "mmapfs/mmapfs.h"

G_BEGIN_DECLS

void mmapfs_set_error (GError **error, int errnum, const char *format, ...) G_GNUC_PRINTF (3, 4);

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
 * The SIGBUS guard. A thread that is about to touch mapped bytes which a
 * truncation of the backing file could have taken away arms a jump buffer;
 * the handler jumps back to it instead of killing the process:
 *
 *	MmapfsGuard guard;
 *	mmapfs_guard_push (&guard);
 *	if (sigsetjmp (guard.env, 0) != 0) {
 *		mmapfs_guard_leave (&guard);
 *		-> the access faulted: report EIO
 *	}
 *	... touch the mapping ...
 *	mmapfs_guard_leave (&guard);
 *
 * sigsetjmp must be called in the frame that later continues, so it
 * cannot hide in a helper function.
 */
typedef struct {
	sigjmp_buf env;
	void *previous;
} MmapfsGuard;

void mmapfs_guard_install (void);
void mmapfs_guard_push (MmapfsGuard *guard);
void mmapfs_guard_leave (MmapfsGuard *guard);

G_END_DECLS
