/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel cache invalidation, from one thread of its own.
 *
 * fuse_lowlevel_notify_inval_inode() and _entry() make the kernel lock
 * the inode, its pages or its parent directory. Called from a thread that
 * serves a request holding one of those (a write to `data`, a mkdir in
 * the root), they deadlock; in single-threaded mode any pending request
 * can be the one holding the lock. So request threads only queue
 * invalidations here, and one thread delivers them in order.
 *
 * A request that must not be answered before the kernel has forgotten
 * the old state (a resize, so that the next stat(2) shows the new size)
 * waits for its invalidation, but never for long: if the kernel is itself
 * waiting for a request that cannot be served meanwhile, the wait gives
 * up and the cache timeouts bound the staleness instead. Single-threaded
 * (-s), that happens whenever another request is queued behind this one
 * (a read holding the pages, a lookup holding the directory), so the
 * bound there is a few milliseconds: enough for an idle kernel to answer.
 */
#include <errno.h>
#include <string.h>

#include "daemon-private.h"


typedef enum {
	INVAL_INODE,
	INVAL_ENTRY,
	INVAL_STOP,
} InvalKind;

/* Shared by a waiting request thread and the invalidation thread. */
typedef struct {
	gint ref_count;        /* atomic */
	GMutex lock;
	GCond cond;
	gboolean done;         /* lock */
} Waiter;

typedef struct {
	InvalKind kind;
	fuse_ino_t ino;        /* the inode, or the parent of an entry */
	off_t off;
	off_t len;
	char *name;            /* entry name */
	Waiter *waiter;        /* reference, or NULL when nobody waits */
} InvalItem;

struct _Inval {
	struct fuse_session *session;
	GAsyncQueue *queue;    /* InvalItem *, owned by the queue until popped */
	GThread *thread;
};

static Waiter *
waiter_new (void)
{
	Waiter *waiter = g_new0 (Waiter, 1);

	waiter->ref_count = 1;
	g_mutex_init (&waiter->lock);
	g_cond_init (&waiter->cond);
	return waiter;
}

static Waiter *
waiter_ref (Waiter *waiter)
{
	g_atomic_int_inc (&waiter->ref_count);
	return waiter;
}

static void
waiter_unref (Waiter *waiter)
{
	if (!g_atomic_int_dec_and_test (&waiter->ref_count))
		return;
	g_mutex_clear (&waiter->lock);
	g_cond_clear (&waiter->cond);
	g_free (waiter);
}

static void
waiter_signal (Waiter *waiter)
{
	g_mutex_lock (&waiter->lock);
	waiter->done = TRUE;
	g_cond_signal (&waiter->cond);
	g_mutex_unlock (&waiter->lock);
}

/* Returns whether the invalidation was delivered within @usec. */
static gboolean
waiter_wait (Waiter *waiter, gint64 usec)
{
	gint64 deadline = g_get_monotonic_time () + usec;
	gboolean done;

	g_mutex_lock (&waiter->lock);
	while (!waiter->done && g_cond_wait_until (&waiter->cond, &waiter->lock, deadline))
		;
	done = waiter->done;
	g_mutex_unlock (&waiter->lock);
	return done;
}

static void
item_free (InvalItem *item)
{
	if (item->waiter != NULL) {
		/* Whoever waits must never wait in vain for an item dropped at exit. */
		waiter_signal (item->waiter);
		waiter_unref (item->waiter);
	}
	g_free (item->name);
	g_free (item);
}

static void
deliver (Inval *inval, InvalItem *item)
{
	int r;

	if (item->kind == INVAL_INODE)
		r = fuse_lowlevel_notify_inval_inode (inval->session, item->ino, item->off,
						      item->len);
	else
		r = fuse_lowlevel_notify_inval_entry (inval->session, item->ino, item->name,
						      strlen (item->name));
	/*
	 * ENOENT: the kernel holds nothing for that inode or name, so there is
	 * nothing to forget. ENOTCONN, EBADF: unmounting, nothing to forget
	 * either.
	 */
	if (r < 0 && r != -ENOENT && r != -ENOTCONN && r != -EBADF)
		g_message ("invalidating the kernel's cache of inode %" G_GUINT64_FORMAT
			   " failed: %s",
			   (guint64) item->ino, g_strerror (-r));
}

static gpointer
inval_thread (gpointer data)
{
	Inval *inval = data;

	for (;;) {
		InvalItem *item = g_async_queue_pop (inval->queue);
		gboolean stop = item->kind == INVAL_STOP;

		if (!stop)
			deliver (inval, item);
		item_free (item);
		if (stop)
			return NULL;
	}
}

Inval *
inval_new (struct fuse_session *session, GError **error)
{
	Inval *inval = g_new0 (Inval, 1);

	inval->session = session;
	inval->queue = g_async_queue_new ();
	inval->thread = g_thread_try_new ("mmapfs-inval", inval_thread, inval, error);
	if (inval->thread == NULL) {
		g_async_queue_unref (inval->queue);
		g_free (inval);
		return NULL;
	}
	return inval;
}

/* Delivers what is queued, stops the thread and frees everything. */
void
inval_free (Inval *inval)
{
	InvalItem *stop = g_new0 (InvalItem, 1);
	InvalItem *item;

	if (inval == NULL)
		return;
	stop->kind = INVAL_STOP;
	g_async_queue_push (inval->queue, stop);
	g_thread_join (inval->thread);
	while ((item = g_async_queue_try_pop (inval->queue)) != NULL)
		item_free (item);
	g_async_queue_unref (inval->queue);
	g_free (inval);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Waiter, waiter_unref)

static void
queue (Daemon *d, InvalItem *item, gboolean wait)
{
	g_autoptr (Waiter) waiter = NULL;
	guint64 ino = item->ino;

	if (wait) {
		waiter = waiter_new ();
		item->waiter = waiter_ref (waiter);
	}
	/* From here on the item belongs to the invalidation thread. */
	g_async_queue_push (d->inval->queue, item);
	if (waiter != NULL && !waiter_wait (waiter, d->inval_wait))
		g_debug ("invalidation of inode %" G_GUINT64_FORMAT " still pending after %d ms",
			 ino, (int) (d->inval_wait / 1000));
}

/*
 * Makes the kernel forget the attributes of @ino and, when @off >= 0, its
 * cached pages from @off for @len bytes (0: to the end). With @wait, it
 * returns once that is done (or after a short bound).
 */
void
inval_inode (Daemon *d, fuse_ino_t ino, off_t off, off_t len, gboolean wait)
{
	InvalItem *item;

	if (d->inval == NULL)
		return;
	item = g_new0 (InvalItem, 1);
	item->kind = INVAL_INODE;
	item->ino = ino;
	item->off = off;
	item->len = len;
	queue (d, item, wait);
}

/* Makes the kernel forget the name @name in directory @parent. */
void
inval_entry (Daemon *d, fuse_ino_t parent, const char *name, gboolean wait)
{
	InvalItem *item;

	if (d->inval == NULL)
		return;
	item = g_new0 (InvalItem, 1);
	item->kind = INVAL_ENTRY;
	item->ino = parent;
	item->name = g_strdup (name);
	queue (d, item, wait);
}
