/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SIGBUS guard.
 *
 * A shared file mapping outlives the file's length: when another process
 * truncates the backing file, touching the lost pages raises SIGBUS, which
 * by default kills the process. A server that maps other people's files
 * cannot allow that, so every access to mapped bytes that a truncation
 * could take away runs inside a guard: a per-thread jump buffer that the
 * SIGBUS handler returns to, and the caller reports EIO.
 *
 * The handler is installed once per process and chains to whatever
 * handler was there before for faults that happen outside a guard, so a
 * program's own SIGBUS handling (or the default crash) is unchanged.
 */
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "mmapfs-private.h"

typedef struct _Guard Guard;
struct _Guard {
	sigjmp_buf env;
	Guard *previous;
};

/* The innermost armed guard of this thread; NULL outside any guard. */
static __thread Guard *current_guard;

static struct sigaction previous_action;

static void
guard_handler (int signum, siginfo_t *info, void *context)
{
	Guard *guard = current_guard;

	if (guard != NULL) {
		/*
		 * Pop before jumping, so a fault in the caller's recovery
		 * path is not mistaken for one inside the guard.
		 */
		current_guard = guard->previous;
		siglongjmp (guard->env, 1);
	}

	/* Not ours: behave as if this handler had never been installed. */
	if (previous_action.sa_flags & SA_SIGINFO) {
		previous_action.sa_sigaction (signum, info, context);
		return;
	}
	if (previous_action.sa_handler == SIG_IGN)
		return;
	if (previous_action.sa_handler != SIG_DFL) {
		previous_action.sa_handler (signum);
		return;
	}
	signal (signum, SIG_DFL);
	raise (signum);
}

static gpointer
install_once (gpointer data G_GNUC_UNUSED)
{
	struct sigaction action;

	memset (&action, 0, sizeof action);
	action.sa_sigaction = guard_handler;
	sigemptyset (&action.sa_mask);
	/*
	 * SA_NODEFER: siglongjmp with savemask 0 does not restore the signal
	 * mask, so SIGBUS must not be blocked while the handler runs, or the
	 * next fault on this thread would kill the process.
	 */
	action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigaction (SIGBUS, &action, &previous_action);
	return NULL;
}

/*
 * mmapfs_guard_install:
 *
 * Installs the SIGBUS handler, once per process. Called when the first
 * region is created.
 */
void
mmapfs_guard_install (void)
{
	static GOnce once = G_ONCE_INIT;

	g_once (&once, install_once, NULL);
}

/*
 * mmapfs_guard_run:
 * @func: touches mapped bytes
 * @data: passed to @func
 *
 * Runs @func with a SIGBUS recovery point armed. sigsetjmp() lives here,
 * in the frame that continues after a fault, and nothing in this frame
 * changes between the jump buffer being set and the jump, so no local can
 * be clobbered.
 *
 * Returns: %TRUE when @func returned, %FALSE when it faulted
 */
gboolean
mmapfs_guard_run (MmapfsGuardFunc func, gpointer data)
{
	Guard guard;

	guard.previous = current_guard;
	current_guard = &guard;
	if (sigsetjmp (guard.env, 0) != 0)
		return FALSE; /* the handler already popped the guard */
	func (data);
	current_guard = guard.previous;
	return TRUE;
}

typedef struct {
	void *dest;
	const void *src;
	gsize n;
	gboolean overlap;
} CopyArgs;

static void
copy_func (gpointer data)
{
	CopyArgs *args = data;

	if (args->overlap)
		memmove (args->dest, args->src, args->n);
	else
		memcpy (args->dest, args->src, args->n);
}

/*
 * mmapfs_guard_copy:
 * @dest: where to copy to
 * @src: where to copy from
 * @n: bytes
 * @overlap: whether the ranges may overlap (memmove)
 *
 * memcpy or memmove under the guard.
 *
 * Returns: %TRUE, or %FALSE when either side faulted
 */
gboolean
mmapfs_guard_copy (void *dest, const void *src, gsize n, gboolean overlap)
{
	CopyArgs args = { dest, src, n, overlap };

	return mmapfs_guard_run (copy_func, &args);
}
