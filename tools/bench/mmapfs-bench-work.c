/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The workloads of mmapfs-bench: each function times one run of one
 * workload on one target and returns its number. They are written so that
 * the native file, memcpy, Python's mmap and mmapfs do the same work:
 * the same file, 1 MiB blocks for sequential I/O, 4 KiB preads at the
 * same random page order for random I/O.
 *
 * "Cold" means the FUSE side's page cache is empty while the backing
 * file's stays warm: POSIX_FADV_DONTNEED on the `data` file drops only
 * the FUSE inode's pages, and a mincore(2) over a mapping of `data`
 * checks that it did (where the mode allows mapping it; with
 * cache=never there is no FUSE page cache to drop).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmapfs-bench-private.h"

static gboolean
errno_error (GError **error, const char *what, const char *path)
{
	int errsv = errno;

	mmapfs_set_error (error, errsv, "%s %s: %s", what, path, g_strerror (errsv));
	return FALSE;
}

static int
open_file (const char *path, int flags, GError **error)
{
	int fd;

	do
		fd = open (path, flags | O_CLOEXEC);
	while (fd < 0 && errno == EINTR && bench_stop == 0);
	if (fd < 0)
		errno_error (error, "opening", path);
	return fd;
}

/* close(2) of a FUSE file returns the daemon's answer to FLUSH: check it. */
static gboolean
close_file (int fd, const char *path, GError **error)
{
	if (close (fd) != 0 && errno != EINTR)
		return errno_error (error, "closing", path);
	return TRUE;
}

/*
 * Drops the kernel's page cache of @fd's file and checks, where the file
 * can be mapped, that at most 1% of it stayed.
 */
gboolean
drop_cache (int fd, guint64 size, GError **error)
{
	gsize pages = (size + BENCH_PAGE - 1) / BENCH_PAGE;
	g_autofree guint8 *vec = NULL;
	gsize i, resident = 0;
	void *map;
	int r;

	r = posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED);
	if (r != 0) {
		mmapfs_set_error (error, r, "posix_fadvise(DONTNEED): %s", g_strerror (r));
		return FALSE;
	}
	map = mmap (NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return TRUE; /* direct I/O: the kernel keeps no pages of it */
	vec = g_malloc (pages);
	r = mincore (map, size, vec);
	munmap (map, size);
	if (r != 0) {
		mmapfs_set_error (error, errno, "mincore: %s", g_strerror (errno));
		return FALSE;
	}
	for (i = 0; i < pages; i++)
		resident += vec[i] & 1;
	if (resident * 100 > pages) {
		mmapfs_set_error (error, EBUSY,
				  "the FUSE page cache kept %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
				  " pages after POSIX_FADV_DONTNEED",
				  resident, pages);
		return FALSE;
	}
	return TRUE;
}

/* Reads the whole file from offset 0 in 1 MiB blocks; returns the byte count or -1. */
static gint64
read_pass (Bench *b, int fd, const char *path, GError **error)
{
	guint64 off = 0;

	for (;;) {
		ssize_t n = pread (fd, b->buf, BENCH_BLOCK, off);

		if (n < 0 && errno == EINTR && bench_stop == 0)
			continue;
		if (n < 0) {
			errno_error (error, "reading", path);
			return -1;
		}
		if (n == 0)
			return off;
		off += n;
		if (!bench_check_stop (error))
			return -1;
	}
}

static gboolean
check_bytes (Bench *b, guint64 got, const char *path, GError **error)
{
	if (got == b->size)
		return TRUE;
	mmapfs_set_error (error, EIO,
			  "%s: read %" G_GUINT64_FORMAT " bytes, expected %" G_GUINT64_FORMAT, path,
			  got, b->size);
	return FALSE;
}

/*
 * Sequential read of @path. Cold: on mmapfs, the FUSE page cache is
 * dropped first. Warm: two untimed passes first, then the timed one, all
 * on the same open file (so cache=auto, which drops the cache at each
 * open, is measured warm too). Two, because the second access of a page
 * moves it to the active LRU list, a cost the native file's long-cached
 * pages no longer pay: the timed pass then compares steady states. CPU
 * time is the reader thread's plus, for mmapfs, the daemon's whole
 * process, per GiB read.
 */
gboolean
work_seq_read (Bench *b, const char *path, pid_t daemon, gboolean warm, double *out_bps,
	       double *out_cpu_ms_gib, GError **error)
{
	guint64 daemon0 = 0, daemon1 = 0, self0, self1;
	double t0, t1;
	gint64 got;
	int fd = open_file (path, O_RDONLY, error);

	if (fd < 0)
		return FALSE;
	if (daemon != 0 && !warm && !drop_cache (fd, b->size, error))
		goto fail;
	for (int i = 0; warm && i < 2; i++)
		if (read_pass (b, fd, path, error) < 0)
			goto fail;

	if (daemon != 0 && !proc_cpu_ns (daemon, &daemon0, error))
		goto fail;
	self0 = thread_cpu_ns ();
	t0 = now_seconds ();
	got = read_pass (b, fd, path, error);
	t1 = now_seconds ();
	self1 = thread_cpu_ns ();
	if (got < 0 || (daemon != 0 && !proc_cpu_ns (daemon, &daemon1, error)))
		goto fail;
	if (!check_bytes (b, got, path, error))
		goto fail;
	/* Leave no FUSE cache behind: memory for the next target's run. */
	if (daemon != 0)
		posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED);
	if (!close_file (fd, path, error))
		return FALSE;

	*out_bps = got / (t1 - t0);
	*out_cpu_ms_gib = ((self1 - self0) + (daemon1 - daemon0)) / 1e6 /
			  ((double)got / (1024.0 * 1024 * 1024));
	return TRUE;
fail:
	close (fd);
	return FALSE;
}

/* Copies the (populated, page-cache-backed) mapping of the backing file into a 1 MiB buffer. */
gboolean
work_memcpy (Bench *b, double *out_bps, double *out_cpu_ms_gib, GError **error)
{
	guint64 self0, self1, off;
	double t0, t1;

	self0 = thread_cpu_ns ();
	t0 = now_seconds ();
	for (off = 0; off < b->size; off += BENCH_BLOCK) {
		memcpy (b->buf, b->backing_map + off, MIN ((guint64)BENCH_BLOCK, b->size - off));
		/* The copies are the work: keep the compiler from dropping any. */
		__asm__ volatile("" : : "r"(b->buf) : "memory");
	}
	t1 = now_seconds ();
	self1 = thread_cpu_ns ();
	if (!bench_check_stop (error))
		return FALSE;
	*out_bps = b->size / (t1 - t0);
	*out_cpu_ms_gib = (self1 - self0) / 1e6 / ((double)b->size / (1024.0 * 1024 * 1024));
	return TRUE;
}

/*
 * Runs the Python target: tools/bench/bench-python.py maps the backing
 * file with Python's mmap and times 1 MiB slices over it; it prints
 * "BYTES SECONDS BYTES_PER_SECOND".
 */
gboolean
work_python (Bench *b, double *out_bps, GError **error)
{
	g_autofree char *chunk = g_strdup_printf ("%d", BENCH_BLOCK);
	const char *argv[] = { b->python, b->python_script, b->backing, chunk, NULL };
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr (GError) local_error = NULL;
	g_auto (GStrv) words = NULL;
	int status;

	if (!g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
			   &status, &local_error)) {
		mmapfs_set_error (error, ENOEXEC, "%s: %s", b->python, local_error->message);
		return FALSE;
	}
	if (!bench_check_stop (error))
		return FALSE;
	if (!g_spawn_check_wait_status (status, NULL)) {
		mmapfs_set_error (error, EIO, "%s %s failed: %s", b->python, b->python_script,
				  g_strstrip (err));
		return FALSE;
	}
	words = g_strsplit (g_strstrip (out), " ", 0);
	if (g_strv_length (words) != 3 || g_ascii_strtoull (words[0], NULL, 10) != b->size) {
		mmapfs_set_error (error, EPROTO, "unexpected output from %s: %s", b->python_script,
				  out);
		return FALSE;
	}
	*out_bps = g_ascii_strtod (words[2], NULL);
	return *out_bps > 0;
}

/*
 * Sequential overwrite of @path in 1 MiB blocks, close included (a
 * client's write is done when close returns). The dirty pages of the
 * backing file are then written out untimed, so that no target pays for
 * the writeback of the one before it.
 */
gboolean
work_seq_write (Bench *b, const char *path, double *out_bps, GError **error)
{
	guint64 off = 0;
	double t0, t1;
	int fd = open_file (path, O_WRONLY, error);

	if (fd < 0)
		return FALSE;
	t0 = now_seconds ();
	while (off < b->size) {
		ssize_t n = pwrite (fd, b->wbuf, MIN ((guint64)BENCH_BLOCK, b->size - off), off);

		if (n < 0 && errno == EINTR && bench_stop == 0)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			errno_error (error, "writing", path);
			close (fd);
			return FALSE;
		}
		off += n;
		if (!bench_check_stop (error)) {
			close (fd);
			return FALSE;
		}
	}
	if (!close_file (fd, path, error))
		return FALSE;
	t1 = now_seconds ();
	if (fdatasync (b->backing_fd) != 0)
		return errno_error (error, "syncing", b->backing);
	*out_bps = off / (t1 - t0);
	return TRUE;
}

typedef struct {
	GMutex lock;
	GCond cond;
	guint ready; /* lock */
	gboolean go; /* lock */
	double start;
	double cap;
} RandomStart;

typedef struct {
	Bench *b;
	const char *path;
	RandomStart *start;
	int fd;
	guint index;
	guint jobs;
	guint64 ops;
	double end;
	GError *error;
} RandomJob;

/*
 * One job of the random workload: the pages i ≡ index (mod jobs) of one
 * shared random order, so two jobs never read the same page and no page
 * is read twice (as fio's random map), until done or the time cap.
 */
static gpointer
random_job (gpointer data)
{
	RandomJob *job = data;
	RandomStart *start = job->start;
	guint8 page[BENCH_PAGE] __attribute__ ((aligned (BENCH_PAGE)));
	double deadline;

	g_mutex_lock (&start->lock);
	start->ready++;
	g_cond_broadcast (&start->cond);
	while (!start->go)
		g_cond_wait (&start->cond, &start->lock);
	g_mutex_unlock (&start->lock);

	deadline = start->start + start->cap;
	for (gsize i = job->index; i < job->b->pages; i += job->jobs) {
		off_t off = (off_t)job->b->perm[i] * BENCH_PAGE;
		ssize_t n = pread (job->fd, page, BENCH_PAGE, off);

		if (n < 0 && errno == EINTR && bench_stop == 0)
			n = pread (job->fd, page, BENCH_PAGE, off);
		if (n != BENCH_PAGE) {
			if (n >= 0)
				errno = EIO;
			errno_error (&job->error, "random pread of", job->path);
			break;
		}
		job->ops++;
		if ((job->ops & 63) == 0 && (now_seconds () > deadline || bench_stop != 0))
			break;
	}
	job->end = now_seconds ();
	return NULL;
}

/*
 * Random 4 KiB preads by @jobs threads, each with its own open file as
 * fio's jobs have, POSIX_FADV_RANDOM on each (fio's default fadvise_hint)
 * so that readahead does not turn one 4 KiB read into many. On mmapfs the
 * FUSE page cache is dropped first, so every read reaches the daemon.
 */
gboolean
work_random (Bench *b, const char *path, guint jobs, double *out_iops, GError **error)
{
	RandomStart start = { 0 };
	RandomJob job[8];
	GThread *thread[8];
	guint64 ops = 0;
	double end = 0;
	gboolean ok = TRUE;
	guint i, opened = 0;

	g_return_val_if_fail (jobs >= 1 && jobs <= G_N_ELEMENTS (job), FALSE);
	memset (job, 0, sizeof job);
	for (opened = 0; opened < jobs; opened++) {
		job[opened].fd = open_file (path, O_RDONLY, error);
		if (job[opened].fd < 0) {
			ok = FALSE;
			goto out;
		}
		posix_fadvise (job[opened].fd, 0, 0, POSIX_FADV_RANDOM);
	}
	if (g_strcmp0 (path, b->backing) != 0 && !drop_cache (job[0].fd, b->size, error)) {
		ok = FALSE;
		goto out;
	}

	g_mutex_init (&start.lock);
	g_cond_init (&start.cond);
	start.cap = b->rand_seconds;
	for (i = 0; i < jobs; i++) {
		job[i].b = b;
		job[i].path = path;
		job[i].start = &start;
		job[i].index = i;
		job[i].jobs = jobs;
		thread[i] = g_thread_new ("random", random_job, &job[i]);
	}
	g_mutex_lock (&start.lock);
	while (start.ready < jobs)
		g_cond_wait (&start.cond, &start.lock);
	start.start = now_seconds ();
	start.go = TRUE;
	g_cond_broadcast (&start.cond);
	g_mutex_unlock (&start.lock);

	for (i = 0; i < jobs; i++) {
		g_thread_join (thread[i]);
		ops += job[i].ops;
		end = MAX (end, job[i].end);
		if (job[i].error != NULL && ok) {
			g_propagate_error (error, g_steal_pointer (&job[i].error));
			ok = FALSE;
		}
		g_clear_error (&job[i].error);
	}
	g_mutex_clear (&start.lock);
	g_cond_clear (&start.cond);
	if (ok && !bench_check_stop (error))
		ok = FALSE;
	if (ok)
		*out_iops = ops / (end - start.start);
	if (ok && g_strcmp0 (path, b->backing) != 0)
		posix_fadvise (job[0].fd, 0, 0, POSIX_FADV_DONTNEED);
out:
	for (i = 0; i < opened; i++)
		close (job[i].fd);
	return ok;
}

/*
 * The client loops on small nodes. Each iteration is what a shell or a
 * tool does: open, one write (or read), close; the close is checked, as
 * it carries the daemon's answer to FLUSH. A few untimed iterations first
 * fill the kernel's dentry cache, as any steady client would have it.
 */
typedef gboolean (*NodeOp) (const char *path, const char *text, GError **error);

static gboolean
node_write_once (const char *path, const char *text, GError **error)
{
	gsize len = strlen (text);
	int fd = open_file (path, O_WRONLY, error);
	ssize_t n;

	if (fd < 0)
		return FALSE;
	n = write (fd, text, len);
	if (n != (ssize_t)len) {
		if (n >= 0)
			errno = EIO;
		errno_error (error, "writing", path);
		close (fd);
		return FALSE;
	}
	return close_file (fd, path, error);
}

static gboolean
node_read_once (const char *path, const char *text, GError **error)
{
	char buf[BENCH_PAGE];
	int fd = open_file (path, O_RDONLY, error);
	ssize_t n;

	(void)text;
	if (fd < 0)
		return FALSE;
	n = pread (fd, buf, sizeof buf, 0);
	if (n <= 0) {
		if (n == 0)
			errno = ENODATA;
		errno_error (error, "reading", path);
		close (fd);
		return FALSE;
	}
	return close_file (fd, path, error);
}

static gboolean
node_loop (NodeOp op, const char *path, const char *text, double seconds, double *out_ops,
	   double *out_us, GError **error)
{
	guint64 ops = 0;
	double t0, t1;

	for (int i = 0; i < 16; i++)
		if (!op (path, text, error))
			return FALSE;
	t0 = now_seconds ();
	do {
		if (!op (path, text, error) || !bench_check_stop (error))
			return FALSE;
		ops++;
		t1 = now_seconds ();
	} while (t1 - t0 < seconds);
	if (out_ops != NULL)
		*out_ops = ops / (t1 - t0);
	if (out_us != NULL)
		*out_us = (t1 - t0) * 1e6 / ops;
	return TRUE;
}

gboolean
work_node_write (const char *path, const char *text, double seconds, double *out_ops,
		 GError **error)
{
	return node_loop (node_write_once, path, text, seconds, out_ops, NULL, error);
}

gboolean
work_node_read (const char *path, double seconds, double *out_ops, GError **error)
{
	return node_loop (node_read_once, path, NULL, seconds, out_ops, NULL, error);
}

/* Cost of one open, 4 KiB pread at offset 0 and close, in microseconds. */
gboolean
work_open_read (const char *path, double seconds, double *out_us_per_op, GError **error)
{
	return node_loop (node_read_once, path, NULL, seconds, NULL, out_us_per_op, error);
}
