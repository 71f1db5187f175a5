/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The environment of mmapfs-bench: the temporary tree on a real disk
 * folder (a tmpfs or ramfs one is refused: its "native" numbers would be
 * memory speed on both sides and the FUSE numbers meaningless), the
 * backing file and its warm page cache, the mmapfs daemons it mounts,
 * and the counters it reads from /proc.
 *
 * Every daemon started here is recorded in one list, and every exit path
 * of the program ends in bench_mounts_stop_all(): a failure, a SIGINT or a
 * SIGTERM unmounts (fusermount3 -u, then -z -u) and kills what was
 * started. The daemons run in their own process group so that a Ctrl-C on
 * the terminal reaches the bench only, which then tears down in order,
 * instead of racing the daemons' own SIGINT handling.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmapfs-bench-private.h"

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

extern char **environ;

volatile sig_atomic_t bench_stop;

/* Every daemon started, in order; owned here. */
static GPtrArray *all_mounts;

static void
on_signal (int signo)
{
	bench_stop = signo;
}

/*
 * No SA_RESTART: a wait or a blocking FUSE request returns EINTR, and the
 * loops that see it check bench_stop and wind down.
 */
void
bench_install_signals (void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_signal;
	sigemptyset (&sa.sa_mask);
	sigaction (SIGINT, &sa, NULL);
	sigaction (SIGTERM, &sa, NULL);
	sigaction (SIGHUP, &sa, NULL);
}

gboolean
bench_check_stop (GError **error)
{
	if (bench_stop == 0)
		return TRUE;
	mmapfs_set_error (error, EINTR, "interrupted by signal %d", (int)bench_stop);
	return FALSE;
}

double
now_seconds (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

guint64
thread_cpu_ns (void)
{
	struct rusage ru;

	getrusage (RUSAGE_THREAD, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * G_GUINT64_CONSTANT (1000000000) +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * G_GUINT64_CONSTANT (1000);
}

/*
 * utime + stime of a whole process, dead threads included: the daemon's
 * worker threads come and go, so per-thread counters would miss some.
 * Fields 14 and 15 of /proc/PID/stat, counted from after the command
 * name's closing parenthesis (the name itself may hold blanks).
 */
gboolean
proc_cpu_ns (pid_t pid, guint64 *out_ns, GError **error)
{
	g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	g_autoptr (GError) local_error = NULL;
	g_auto (GStrv) fields = NULL;
	const char *rest;
	long ticks = sysconf (_SC_CLK_TCK);

	if (!g_file_get_contents (path, &text, NULL, &local_error)) {
		mmapfs_set_error (error, ESRCH, "cannot read %s: %s", path, local_error->message);
		return FALSE;
	}
	rest = strrchr (text, ')');
	if (rest == NULL)
		goto bad;
	fields = g_strsplit (rest + 2, " ", 0);
	/* fields[0] is field 3 (state), so utime (14) is fields[11]. */
	if (g_strv_length (fields) < 13 || ticks <= 0)
		goto bad;
	*out_ns = (g_ascii_strtoull (fields[11], NULL, 10) +
		   g_ascii_strtoull (fields[12], NULL, 10)) *
		  (G_GUINT64_CONSTANT (1000000000) / (guint64)ticks);
	return TRUE;
bad:
	mmapfs_set_error (error, EPROTO, "cannot parse %s", path);
	return FALSE;
}

static const char *
fs_type_name (long type)
{
	switch (type) {
	case EXT4_SUPER_MAGIC:
		return "ext2/ext3/ext4";
	case XFS_SUPER_MAGIC:
		return "xfs";
	case BTRFS_SUPER_MAGIC:
		return "btrfs";
	case OVERLAYFS_SUPER_MAGIC:
		return "overlayfs";
	case F2FS_SUPER_MAGIC:
		return "f2fs";
	case NFS_SUPER_MAGIC:
		return "nfs";
	default:
		return NULL;
	}
}

static guint64
mem_available (void)
{
	g_autofree char *text = NULL;
	const char *line;

	if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
		return G_MAXUINT64;
	line = strstr (text, "MemAvailable:");
	if (line == NULL)
		return G_MAXUINT64;
	return g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10) * 1024;
}

/*
 * Picks the folder for the temporary tree (the one given, else /var/tmp,
 * which Debian keeps on disk even where /tmp is a tmpfs), refuses memory
 * filesystems, checks the free space, and creates mmapfs-bench-XXXXXX in
 * it.
 */
gboolean
bench_prepare_dir (Bench *b, GError **error)
{
	const char *base = b->dir != NULL ? b->dir : "/var/tmp";
	g_autofree char *template = NULL;
	struct statfs sfs;
	struct statvfs svfs;
	guint64 free_bytes, need, avail;
	const char *name;

	if (statfs (base, &sfs) != 0 || statvfs (base, &svfs) != 0) {
		int errsv = errno;

		mmapfs_set_error (error, errsv, "%s: %s", base, g_strerror (errsv));
		return FALSE;
	}
	if (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC) {
		mmapfs_set_error (error, EINVAL,
				  "%s is on a %s: the backing file must live on a disk "
				  "filesystem (give one with --dir)",
				  base, sfs.f_type == TMPFS_MAGIC ? "tmpfs" : "ramfs");
		return FALSE;
	}
	name = fs_type_name (sfs.f_type);
	b->fstype = name != NULL ? g_strdup (name) : g_strdup_printf ("0x%lx", (long)sfs.f_type);

	free_bytes = (guint64)svfs.f_bavail * svfs.f_frsize;
	need = b->size + BENCH_SMALL_SIZE + 64 * 1024 * 1024;
	if (free_bytes < need) {
		mmapfs_set_error (error, ENOSPC,
				  "%s has %" G_GUINT64_FORMAT
				  " MiB free; the run needs %" G_GUINT64_FORMAT
				  " MiB (try a smaller --size)",
				  base, free_bytes >> 20, need >> 20);
		return FALSE;
	}
	/*
	 * The backing file, one FUSE page cache and the kernel's own headroom
	 * must fit, or "warm" rounds would measure eviction.
	 */
	avail = mem_available ();
	if (avail < 3 * b->size)
		g_printerr ("mmapfs-bench: warning: only %" G_GUINT64_FORMAT
			    " MiB of memory available for a %" G_GUINT64_FORMAT
			    " MiB file; caches may not stay warm\n",
			    avail >> 20, b->size >> 20);

	template = g_build_filename (base, "mmapfs-bench-XXXXXX", NULL);
	if (g_mkdtemp (template) == NULL) {
		int errsv = errno;

		mmapfs_set_error (error, errsv, "cannot create a folder in %s: %s", base,
				  g_strerror (errsv));
		return FALSE;
	}
	b->workdir = g_steal_pointer (&template);
	return TRUE;
}

static gboolean
write_all (int fd, const guint8 *buf, gsize len, const char *path, GError **error)
{
	while (len > 0) {
		ssize_t n = write (fd, buf, len);

		if (n < 0 && errno == EINTR && bench_stop == 0)
			continue;
		if (n < 0) {
			int errsv = errno;

			mmapfs_set_error (error, errsv, "writing %s: %s", path, g_strerror (errsv));
			return FALSE;
		}
		buf += n;
		len -= n;
	}
	return TRUE;
}

/* Creates a file of @size bytes of varied content, synced so that no writeback is pending. */
static gboolean
make_file (const char *path, guint64 size, guint8 *block, GError **error)
{
	int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	guint64 done;

	if (fd < 0) {
		int errsv = errno;

		mmapfs_set_error (error, errsv, "creating %s: %s", path, g_strerror (errsv));
		return FALSE;
	}
	for (done = 0; done < size; done += BENCH_BLOCK) {
		gsize n = MIN ((guint64)BENCH_BLOCK, size - done);

		/* A distinct stamp per block, so no two blocks are alike. */
		memcpy (block, &done, sizeof done);
		if (!bench_check_stop (error) || !write_all (fd, block, n, path, error)) {
			close (fd);
			return FALSE;
		}
	}
	if (fsync (fd) != 0 || close (fd) != 0) {
		int errsv = errno;

		mmapfs_set_error (error, errsv, "syncing %s: %s", path, g_strerror (errsv));
		return FALSE;
	}
	return TRUE;
}

gboolean
bench_make_files (Bench *b, GError **error)
{
	g_autoptr (GRand) rand = g_rand_new_with_seed (0x6d6d6170);
	void *map;
	gsize i;

	for (i = 0; i < BENCH_BLOCK / sizeof (guint32); i++)
		((guint32 *)b->wbuf)[i] = g_rand_int (rand);

	b->backing = g_build_filename (b->workdir, "backing", NULL);
	b->small = g_build_filename (b->workdir, "small", NULL);
	if (!make_file (b->backing, b->size, b->wbuf, error) ||
	    !make_file (b->small, BENCH_SMALL_SIZE, b->wbuf, error))
		return FALSE;

	b->backing_fd = open (b->backing, O_RDWR | O_CLOEXEC);
	if (b->backing_fd < 0) {
		int errsv = errno;

		mmapfs_set_error (error, errsv, "opening %s: %s", b->backing, g_strerror (errsv));
		return FALSE;
	}
	map = mmap (NULL, b->size, PROT_READ, MAP_SHARED | MAP_POPULATE, b->backing_fd, 0);
	if (map == MAP_FAILED) {
		int errsv = errno;

		mmapfs_set_error (error, errsv, "mapping %s: %s", b->backing, g_strerror (errsv));
		return FALSE;
	}
	b->backing_map = map;
	return TRUE;
}

/*
 * Reports how much of the backing file is in the page cache (mincore on
 * the bench's own mapping of it) and reads it through if any is missing,
 * so that every round starts with the backing side warm.
 */
gboolean
bench_warm_backing (Bench *b, double *out_resident, GError **error)
{
	g_autofree guint8 *vec = g_malloc (b->pages);
	gsize i, resident = 0;

	if (mincore (b->backing_map, b->size, vec) != 0) {
		int errsv = errno;

		mmapfs_set_error (error, errsv, "mincore on %s: %s", b->backing,
				  g_strerror (errsv));
		return FALSE;
	}
	for (i = 0; i < b->pages; i++)
		resident += vec[i] & 1;
	*out_resident = (double)resident / b->pages;
	if (resident == b->pages)
		return TRUE;
	for (guint64 off = 0; off < b->size; off += BENCH_BLOCK) {
		if (pread (b->backing_fd, b->buf, BENCH_BLOCK, off) < 0) {
			int errsv = errno;

			mmapfs_set_error (error, errsv, "reading %s: %s", b->backing,
					  g_strerror (errsv));
			return FALSE;
		}
	}
	return TRUE;
}

/*
 * Removes what bench_make_files() and the mounts created, by name only:
 * never a recursive removal, so a mount that could not be undone keeps
 * its folder and nothing behind it is touched.
 */
void
bench_remove_files (Bench *b)
{
	if (b->backing_map != NULL)
		munmap (b->backing_map, b->size);
	b->backing_map = NULL;
	if (b->backing_fd >= 0)
		close (b->backing_fd);
	b->backing_fd = -1;
	if (b->workdir == NULL)
		return;
	if (b->backing != NULL)
		unlink (b->backing);
	if (b->small != NULL)
		unlink (b->small);
	if (rmdir (b->workdir) != 0)
		g_printerr ("mmapfs-bench: could not remove %s: %s\n", b->workdir,
			    g_strerror (errno));
}

/* The last lines of a daemon's log, for error messages. */
static char *
log_tail (BenchMount *mount)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	const char *start;

	if (!g_file_get_contents (mount->log_path, &text, &len, NULL) || len == 0)
		return g_strdup ("(no output)");
	start = len > 1200 ? text + len - 1200 : text;
	return g_strstrip (g_strdup (start));
}

static gboolean
reap (BenchMount *mount, gboolean block)
{
	int status;
	pid_t r;

	if (mount->pid == 0)
		return TRUE;
	do
		r = waitpid (mount->pid, &status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == mount->pid || (r < 0 && errno == ECHILD)) {
		mount->status = r == mount->pid ? status : 0;
		mount->pid = 0;
		return TRUE;
	}
	return FALSE;
}

static gboolean
wait_exit (BenchMount *mount, double seconds)
{
	double deadline = now_seconds () + seconds;

	while (!reap (mount, FALSE)) {
		if (now_seconds () > deadline)
			return FALSE;
		g_usleep (10000);
	}
	return TRUE;
}

gboolean
bench_mount_alive (BenchMount *mount, GError **error)
{
	g_autofree char *tail = NULL;

	if (!reap (mount, FALSE))
		return TRUE;
	/* The log goes with the first report only; later cells just name the cause. */
	tail = mount->told ? g_strdup ("(its log is shown above)") : log_tail (mount);
	mount->told = TRUE;
	if (WIFSIGNALED (mount->status))
		mmapfs_set_error (error, ENOTCONN, "the %s daemon was killed by signal %d: %s",
				  mount->label, WTERMSIG (mount->status), tail);
	else
		mmapfs_set_error (error, ENOTCONN, "the %s daemon exited with status %d: %s",
				  mount->label, WEXITSTATUS (mount->status), tail);
	return FALSE;
}

static gboolean
is_fuse_mount (const char *path)
{
	struct statfs sfs;

	return statfs (path, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC;
}

/*
 * Starts `DAEMON -f ARGS... MOUNTPOINT` with its output in a log file and
 * waits until the mount appears, failing early (with the daemon's own
 * words) if it exits first.
 */
BenchMount *
bench_mount_start (const char *daemon, const char *workdir, const char *label,
		   const char *const *args, GError **error)
{
	g_autoptr (GPtrArray) argv = g_ptr_array_new ();
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	BenchMount *mount;
	double deadline;
	int r;

	if (all_mounts == NULL)
		all_mounts = g_ptr_array_new ();
	mount = g_new0 (BenchMount, 1);
	mount->label = g_strdup (label);
	mount->mountpoint = g_strdup_printf ("%s/mnt-%s", workdir, label);
	mount->log_path = g_strdup_printf ("%s/%s.log", workdir, label);
	g_ptr_array_add (all_mounts, mount);

	if (mkdir (mount->mountpoint, 0700) != 0) {
		int errsv = errno;

		mmapfs_set_error (error, errsv, "creating %s: %s", mount->mountpoint,
				  g_strerror (errsv));
		return NULL;
	}

	g_ptr_array_add (argv, (char *)daemon);
	g_ptr_array_add (argv, (char *)"-f");
	for (; args != NULL && *args != NULL; args++)
		g_ptr_array_add (argv, (char *)*args);
	g_ptr_array_add (argv, mount->mountpoint);
	g_ptr_array_add (argv, NULL);

	posix_spawn_file_actions_init (&actions);
	posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen (&actions, 1, mount->log_path,
					  O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2 (&actions, 1, 2);
	posix_spawnattr_init (&attr);
	posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup (&attr, 0);
	r = posix_spawn (&mount->pid, daemon, &actions, &attr, (char **)argv->pdata, environ);
	posix_spawnattr_destroy (&attr);
	posix_spawn_file_actions_destroy (&actions);
	if (r != 0) {
		mount->pid = 0;
		mmapfs_set_error (error, r, "cannot start %s: %s", daemon, g_strerror (r));
		return NULL;
	}

	deadline = now_seconds () + 20.0;
	while (!is_fuse_mount (mount->mountpoint)) {
		if (!bench_mount_alive (mount, error) || !bench_check_stop (error))
			return NULL;
		if (now_seconds () > deadline) {
			g_autofree char *tail = log_tail (mount);

			mmapfs_set_error (error, ETIMEDOUT,
					  "the %s daemon did not mount in 20 s: %s", label, tail);
			return NULL;
		}
		g_usleep (5000);
	}
	mount->mounted = TRUE;
	return mount;
}

char *
bench_mount_path (BenchMount *mount, const char *node)
{
	return g_build_filename (mount->mountpoint, node, NULL);
}

/*
 * Writes command lines to `.control`. On failure the same descriptor is
 * read for the daemon's sentence (the transaction read of DESIGN §2.1).
 */
gboolean
bench_mount_control (BenchMount *mount, const char *text, gsize len, GError **error)
{
	g_autofree char *path = bench_mount_path (mount, ".control");
	int fd = open (path, O_RDWR | O_CLOEXEC);
	gsize done = 0;

	if (fd < 0) {
		int errsv = errno;

		mmapfs_set_error (error, errsv, "opening %s: %s", path, g_strerror (errsv));
		return FALSE;
	}
	while (done < len) {
		ssize_t n = write (fd, text + done, len - done);

		if (n < 0 && errno == EINTR && bench_stop == 0)
			continue;
		if (n < 0) {
			int errsv = errno;
			char outcome[1024];
			ssize_t got = pread (fd, outcome, sizeof outcome - 1, 0);

			outcome[MAX (got, 0)] = '\0';
			mmapfs_set_error (error, errsv, "%s: %s (%s)", path, g_strerror (errsv),
					  g_strstrip (outcome));
			close (fd);
			return FALSE;
		}
		done += n;
	}
	if (close (fd) != 0) {
		int errsv = errno;

		mmapfs_set_error (error, errsv, "closing %s: %s", path, g_strerror (errsv));
		return FALSE;
	}
	return TRUE;
}

static gboolean
fusermount (const char *const *argv)
{
	int status = 0;

	if (!g_spawn_sync (NULL, (char **)argv, NULL,
			   G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
				   G_SPAWN_STDERR_TO_DEV_NULL,
			   NULL, NULL, NULL, NULL, &status, NULL))
		return FALSE;
	return g_spawn_check_wait_status (status, NULL);
}

/*
 * Unmounts (lazily if it is busy), waits for the daemon to leave as it
 * does after an unmount, then terminates and kills it if it lingers.
 * Idempotent.
 */
void
bench_mount_stop (BenchMount *mount)
{
	if (mount->mounted || is_fuse_mount (mount->mountpoint)) {
		const char *const plain[] = { "fusermount3", "-u", mount->mountpoint, NULL };
		const char *const lazy[] = { "fusermount3", "-z", "-u", mount->mountpoint, NULL };

		if (!fusermount (plain) && !fusermount (lazy))
			g_printerr ("mmapfs-bench: could not unmount %s\n", mount->mountpoint);
		mount->mounted = FALSE;
	}
	if (mount->pid != 0 && !wait_exit (mount, 5.0)) {
		kill (mount->pid, SIGTERM);
		if (!wait_exit (mount, 3.0)) {
			kill (mount->pid, SIGKILL);
			reap (mount, TRUE);
		}
	}
	if (!is_fuse_mount (mount->mountpoint))
		rmdir (mount->mountpoint);
	unlink (mount->log_path);
}

void
bench_mounts_stop_all (void)
{
	if (all_mounts == NULL)
		return;
	for (guint i = 0; i < all_mounts->len; i++) {
		BenchMount *mount = all_mounts->pdata[i];

		bench_mount_stop (mount);
		g_free (mount->label);
		g_free (mount->mountpoint);
		g_free (mount->log_path);
		g_free (mount);
	}
	g_ptr_array_free (all_mounts, TRUE);
	all_mounts = NULL;
}
