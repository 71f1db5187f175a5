/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mmapfs daemon: logging, the FUSE operation table and the life
 * cycle (DESIGN §5).
 *
 * Options are parsed in two passes: first ours (options.c), then
 * libfuse's own with fuse_parse_cmdline(), so that `--map X` is never
 * mistaken for the mount point. Every mapping of the
 * command line is created before anything is mounted: if one fails, the
 * daemon prints its sentence and exits 1 with nothing mounted.
 *
 * Logging is GLib's, through one writer: stderr while starting and with
 * -f or -d, syslog once daemonised. libfuse's messages are routed into it.
 * The session loop ends on unmount, SIGINT or SIGTERM; then every shared
 * writable mapping is flushed and the daemon exits 0.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon-private.h"

/* -------------------------------------------------------------------- */
/* Logging                                                              */
/* -------------------------------------------------------------------- */

static gboolean log_to_syslog;      /* set once, after daemonising */
static gboolean serving;            /* atomic: the session loop runs */

static int
syslog_priority (GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return LOG_CRIT;
	if (level & G_LOG_LEVEL_CRITICAL)
		return LOG_ERR;
	if (level & G_LOG_LEVEL_WARNING)
		return LOG_WARNING;
	if (level & G_LOG_LEVEL_MESSAGE)
		return LOG_NOTICE;
	if (level & G_LOG_LEVEL_INFO)
		return LOG_INFO;
	return LOG_DEBUG;
}

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	const char *domain = NULL;
	const char *message = "";

	(void) user_data;
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (strcmp (fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	/* Debug output only with -d or G_MESSAGES_DEBUG, as GLib's own writer. */
	if (g_log_writer_default_would_drop (level, domain))
		return G_LOG_WRITER_HANDLED;

	if (log_to_syslog) {
		syslog (syslog_priority (level), "%s", message);
	} else {
		g_autofree char *line = g_log_writer_format_fields (level, fields, n_fields, FALSE);

		fprintf (stderr, "%s\n", line);
		fflush (stderr);
	}
	return G_LOG_WRITER_HANDLED;
}

/*
 * libfuse's errors before the loop runs are about the command line or the
 * mount point, the caller's doing; once serving, an error from libfuse is
 * an unexpected external failure.
 */
static void
free_line (gpointer data)
{
	g_string_free (data, TRUE);
}

/* libfuse may build one line from several calls: each thread gathers its own. */
static GPrivate fuse_line = G_PRIVATE_INIT (free_line);

static void G_GNUC_PRINTF (2, 0)
log_from_fuse (enum fuse_log_level level, const char *format, va_list args)
{
	GString *line = g_private_get (&fuse_line);
	GLogLevelFlags glevel;
	char *nl;

	if (line == NULL) {
		line = g_string_new (NULL);
		g_private_set (&fuse_line, line);
	}
	g_string_append_vprintf (line, format, args);
	nl = strchr (line->str, '\n');
	if (nl == NULL)
		return;

	if (level <= FUSE_LOG_ERR)
		glevel = g_atomic_int_get (&serving) ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE;
	else if (level <= FUSE_LOG_NOTICE)
		glevel = G_LOG_LEVEL_MESSAGE;
	else if (level == FUSE_LOG_INFO)
		glevel = G_LOG_LEVEL_INFO;
	else
		glevel = G_LOG_LEVEL_DEBUG;
	while (nl != NULL) {
		*nl = '\0';
		if (line->str[0] != '\0')
			g_log (G_LOG_DOMAIN, glevel, "%s", line->str);
		g_string_erase (line, 0, nl - line->str + 1);
		nl = strchr (line->str, '\n');
	}
}

/* -------------------------------------------------------------------- */
/* Requests                                                             */
/* -------------------------------------------------------------------- */

/* Readahead of a mount, in KiB: one READ request's worth (max_write). */
#define READAHEAD_KB 1024

static void
op_init (void *userdata, struct fuse_conn_info *conn)
{
	(void) userdata;
	/* Large requests: one round trip per MiB of data read or written. */
	conn->max_write = 1024 * 1024;
	conn->max_readahead = READAHEAD_KB * 1024;
	/* O_TRUNC on open is ignored instead of becoming a truncate (§2.3). */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/*
	 * No writeback cache: a write must reach the mapping (and the
	 * backing file's page cache) before write(2) returns, so that a
	 * killed daemon loses nothing acknowledged.
	 */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

static void
refuse_node (fuse_req_t req, const char *what, const char *name)
{
	g_message ("%s %s refused: the tree is fixed", what, name);
	fuse_reply_err (req, EPERM);
}

static void
op_mknod (fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void) parent;
	(void) mode;
	(void) rdev;
	refuse_node (req, "creating", name);
}

static void
op_create (fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	   struct fuse_file_info *fi)
{
	(void) parent;
	(void) mode;
	(void) fi;
	refuse_node (req, "creating", name);
}

static void
op_unlink (fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void) parent;
	refuse_node (req, "removing", name);
}

static void
op_symlink (fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void) link;
	(void) parent;
	refuse_node (req, "creating the link", name);
}

static void
op_link (fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void) ino;
	(void) newparent;
	refuse_node (req, "creating the link", newname);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.access = op_access,
	.mknod = op_mknod,
	.create = op_create,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.link = op_link,
	.rename = op_rename,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.fsync = op_fsync,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_release,
	.fsyncdir = op_fsync,
	.statfs = op_statfs,
};

/* -------------------------------------------------------------------- */
/* Life cycle                                                           */
/* -------------------------------------------------------------------- */

static int
run_loop (struct fuse_session *se, const struct fuse_cmdline_opts *cmdline)
{
	struct fuse_loop_config *config;
	int ret;

	if (cmdline->singlethread)
		return fuse_session_loop (se);
	config = fuse_loop_cfg_create ();
	fuse_loop_cfg_set_clone_fd (config, (unsigned int) cmdline->clone_fd);
	if (cmdline->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads (config, cmdline->max_idle_threads);
	fuse_loop_cfg_set_max_threads (config, cmdline->max_threads);
	ret = fuse_session_loop_mt (se, config);
	fuse_loop_cfg_destroy (config);
	return ret;
}

/*
 * The kernel offers a FUSE mount only its default 128 KiB of readahead at
 * INIT, and a file system may lower that but not raise it; yet `data`
 * serves 1 MiB requests. The mount's backing device info is tunable in
 * sysfs, named after the connection's device number, which
 * /proc/self/mountinfo gives without sending a request to this very
 * daemon (a stat of the mount point would wait for INIT, which nobody
 * serves yet). Best effort: without the right to write there (not root),
 * the kernel's default stays.
 */
static void
raise_readahead (const char *mountpoint, guint kb)
{
	g_autofree char *real = realpath (mountpoint, NULL);
	g_autofree char *mountinfo = NULL;
	g_autofree char *device = NULL;
	g_auto (GStrv) lines = NULL;

	if (real == NULL || !g_file_get_contents ("/proc/self/mountinfo", &mountinfo, NULL, NULL))
		return;
	lines = g_strsplit (mountinfo, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto (GStrv) fields = g_strsplit (lines[i], " ", 0);
		const char *fstype = NULL;

		if (g_strv_length (fields) < 5 || strcmp (fields[4], real) != 0)
			continue;
		/* The file system type follows the " - " separator. */
		for (guint j = 5; fields[j] != NULL; j++) {
			if (strcmp (fields[j], "-") == 0) {
				fstype = fields[j + 1];
				break;
			}
		}
		/* The last match is the newest mount on that point: ours. */
		if (fstype != NULL && g_str_has_prefix (fstype, "fuse")) {
			g_free (device);
			device = g_strdup (fields[2]);
		}
	}
	if (device != NULL) {
		g_autofree char *path = g_strdup_printf ("/sys/class/bdi/%s/read_ahead_kb", device);
		g_autofree char *value = g_strdup_printf ("%u\n", kb);
		/* Written in place: g_file_set_contents() would rename a temporary file. */
		int fd = open (path, O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write (fd, value, strlen (value)) < 0)
			g_debug ("cannot raise readahead through %s: %s", path, g_strerror (errno));
		if (fd >= 0)
			close (fd);
	}
}

/* Mounts, serves until unmounted or signalled, unmounts. Returns the exit status. */
static int
serve (Daemon *d, struct fuse_args *args, const struct fuse_cmdline_opts *cmdline)
{
	g_autoptr (GError) error = NULL;
	struct fuse_session *se;
	int ret;

	se = fuse_session_new (args, &ops, sizeof ops, d);
	if (se == NULL)
		return 1;
	/*
	 * libfuse leaves a signal alone when it is ignored, and a shell
	 * starts background jobs with SIGINT ignored; but SIGINT and SIGTERM
	 * are how a user asks mmapfs to flush and exit (DESIGN §5).
	 */
	signal (SIGINT, SIG_DFL);
	signal (SIGTERM, SIG_DFL);
	if (fuse_set_signal_handlers (se) != 0) {
		fuse_session_destroy (se);
		return 1;
	}
	if (fuse_session_mount (se, cmdline->mountpoint) != 0) {
		fuse_remove_signal_handlers (se);
		fuse_session_destroy (se);
		return 1;
	}
	raise_readahead (cmdline->mountpoint, READAHEAD_KB);
	fuse_daemonize (cmdline->foreground);
	if (!cmdline->foreground) {
		openlog ("mmapfs", LOG_PID, LOG_DAEMON);
		log_to_syslog = TRUE;
	}

	/* After fuse_daemonize(): a fork keeps no thread but the caller. */
	d->session = se;
	d->inval_wait = cmdline->singlethread ? 20 * 1000 : G_USEC_PER_SEC;
	d->inval = inval_new (se, &error);
	if (d->inval == NULL) {
		g_critical ("cannot start the invalidation thread: %s", error->message);
		ret = 1;
	} else {
		g_message ("serving %s", cmdline->mountpoint);
		g_atomic_int_set (&serving, TRUE);
		ret = run_loop (se, cmdline);
		g_atomic_int_set (&serving, FALSE);
		/* The loop returns the number of the signal that ended it. */
		if (ret > 0)
			g_message ("signal %d: unmounting %s", ret, cmdline->mountpoint);
		else if (ret == 0)
			g_message ("%s unmounted", cmdline->mountpoint);
		ret = ret >= 0 ? 0 : 1;
		g_clear_pointer (&d->inval, inval_free);
	}
	fuse_session_unmount (se);
	fuse_remove_signal_handlers (se);
	fuse_session_destroy (se);
	d->session = NULL;
	return ret;
}

/*
 * Gets ready for the limits a client can drive the daemon to. Every file
 * mapping holds a descriptor (an anonymous one, its memfd), so the soft
 * RLIMIT_NOFILE is raised to the hard one. And libfuse ends its worker
 * threads with pthread_cancel(), for which glibc loads libgcc_s the first
 * time: with the descriptor table full at unmount, that load would fail
 * and abort the daemon before its final flush, so it is loaded now.
 */
static void
prepare_for_limits (void)
{
	struct rlimit limit;

	if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit (RLIMIT_NOFILE, &limit);
	}
	if (dlopen ("libgcc_s.so.1", RTLD_NOW | RTLD_NODELETE) == NULL)
		g_debug ("cannot preload libgcc_s: %s", dlerror ());
}

int
main (int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT (argc, argv);
	struct fuse_cmdline_opts cmdline;
	Options options = { 0 };
	Daemon daemon = { 0 };
	int ret = 0;

	g_log_set_writer_func (log_writer, NULL, NULL);
	fuse_set_log_func (log_from_fuse);
	prepare_for_limits ();

	memset (&cmdline, 0, sizeof cmdline);
	options.specs = g_ptr_array_new_with_free_func ((GDestroyNotify) spec_free);
	options.words = g_ptr_array_new_with_free_func (g_free);
	if (fuse_opt_parse (&args, &options, option_spec, option_proc) != 0 ||
	    !take_mountpoint (&options, &args) || fuse_parse_cmdline (&args, &cmdline) != 0) {
		ret = 2;
		goto out;
	}
	if (cmdline.show_help) {
		print_help (argv[0]);
		goto out;
	}
	if (cmdline.show_version) {
		printf ("mmapfs %s\n", MMAPFS_VERSION);
		/* Before libfuse runs fusermount3, which prints its version too. */
		fflush (stdout);
		fuse_lowlevel_version ();
		goto out;
	}
	if (cmdline.mountpoint == NULL) {
		fprintf (stderr, "usage: %s [options] MOUNTPOINT\n"
				 "       %s --help for the options\n",
			 argv[0], argv[0]);
		ret = 2;
		goto out;
	}
	if (!parse_cache (options.cache, &daemon.cache)) {
		fprintf (stderr, "mmapfs: cache must be auto, never or always, not \"%s\"\n",
			 options.cache);
		ret = 2;
		goto out;
	}
	if (cmdline.debug)
		g_log_set_debug_enabled (TRUE);

	daemon.advice_flags = options.allow_hwpoison ? MMAPFS_ADVICE_ALLOW_HWPOISON
						     : MMAPFS_ADVICE_NONE;
	daemon.uid = getuid ();
	daemon.gid = getgid ();
	clock_gettime (CLOCK_REALTIME, &daemon.birth);
	tree_init (&daemon);

	/* Every mapping exists before anything is mounted, or nothing is. */
	for (guint i = 0; i < options.specs->len; i++) {
		g_autoptr (GError) error = NULL;

		if (!apply_spec (&daemon, g_ptr_array_index (options.specs, i), &error)) {
			fprintf (stderr, "mmapfs: %s\n", error->message);
			ret = 1;
			break;
		}
	}
	if (ret == 0)
		ret = serve (&daemon, &args, &cmdline);

	handle_free_all ();
	if (tree_flush_all (&daemon) > 0 && ret == 0)
		ret = 1;
	tree_clear (&daemon);

out:
	g_clear_pointer (&options.specs, g_ptr_array_unref);
	g_clear_pointer (&options.words, g_ptr_array_unref);
	g_free (options.cache);
	free (cmdline.mountpoint);
	fuse_opt_free_args (&args);
	if (log_to_syslog)
		closelog ();
	return ret;
}
