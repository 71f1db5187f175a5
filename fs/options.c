/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's command line: ours parsed first (scalar -o keys through an
 * offsetof table; the repeatable map=, anon=, mapfile=, --map and --anon
 * through the callback, in order, into one list; fstab-only keywords
 * dropped), then libfuse's own in main.c, so that `--map X` is never
 * mistaken for the mount point. Then the mappings asked for are made.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon-private.h"

enum {
	KEY_MAP,
	KEY_ANON,
	KEY_MAPFILE,
	KEY_LONG_MAP,
	KEY_LONG_ANON,
	KEY_DISCARD,
};

#define OPTION(t, field, v) { t, offsetof (Options, field), v }

const struct fuse_opt option_spec[] = {
	OPTION ("cache=%s", cache, 0),
	OPTION ("allow_hwpoison", allow_hwpoison, 1),
	FUSE_OPT_KEY ("map=", KEY_MAP),
	FUSE_OPT_KEY ("anon=", KEY_ANON),
	FUSE_OPT_KEY ("mapfile=", KEY_MAPFILE),
	/* "--map X" and "--map=X" (and "--mapX") */
	FUSE_OPT_KEY ("--map ", KEY_LONG_MAP),
	FUSE_OPT_KEY ("--anon ", KEY_LONG_ANON),
	/* Words mount(8) and fstab pass on that mean nothing to a FUSE session. */
	FUSE_OPT_KEY ("auto", KEY_DISCARD),
	FUSE_OPT_KEY ("noauto", KEY_DISCARD),
	FUSE_OPT_KEY ("nofail", KEY_DISCARD),
	FUSE_OPT_KEY ("_netdev", KEY_DISCARD),
	FUSE_OPT_KEY ("user", KEY_DISCARD),
	FUSE_OPT_KEY ("users", KEY_DISCARD),
	FUSE_OPT_KEY ("nouser", KEY_DISCARD),
	FUSE_OPT_KEY ("defaults", KEY_DISCARD),
	FUSE_OPT_END,
};

void
spec_free (Spec *spec)
{
	g_free (spec->text);
	g_free (spec);
}

static void
add_spec (Options *options, SpecKind kind, const char *text)
{
	Spec *spec = g_new0 (Spec, 1);

	spec->kind = kind;
	spec->text = g_strdup (text);
	g_ptr_array_add (options->specs, spec);
}

/* Strips "--map" and an optional "=" from a long option. */
static const char *
long_option_value (const char *arg, const char *option)
{
	const char *value = arg + strlen (option);

	return *value == '=' ? value + 1 : value;
}

int
option_proc (void *data, const char *arg, int key, struct fuse_args *outargs)
{
	Options *options = data;

	(void) outargs;
	switch (key) {
	case KEY_MAP:
		add_spec (options, SPEC_MAP, arg + strlen ("map="));
		return 0;
	case KEY_ANON:
		add_spec (options, SPEC_ANON, arg + strlen ("anon="));
		return 0;
	case KEY_MAPFILE:
		add_spec (options, SPEC_MAPFILE, arg + strlen ("mapfile="));
		return 0;
	case KEY_LONG_MAP:
		add_spec (options, SPEC_MAP, long_option_value (arg, "--map"));
		return 0;
	case KEY_LONG_ANON:
		add_spec (options, SPEC_ANON, long_option_value (arg, "--anon"));
		return 0;
	case KEY_DISCARD:
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		/* Sorted out once all are known: see take_mountpoint(). */
		g_ptr_array_add (options->words, g_strdup (arg));
		return 0;
	case FUSE_OPT_KEY_OPT:
		/* fstab's x-systemd.*, x-gvfs-* and comment= are for other readers. */
		if (g_str_has_prefix (arg, "x-") || g_str_has_prefix (arg, "comment="))
			return 0;
		return 1;
	default:
		return 1;
	}
}

void
print_help (const char *program)
{
	printf ("usage: %s [options] MOUNTPOINT\n\n", program);
	printf ("Shows memory mappings as directories of small files.\n\n"
		"mmapfs options:\n"
		"    --map NAME=PATH[,access=read|write|copy|default][,offset=N][,length=N]\n"
		"                           map the file PATH as NAME (repeatable)\n"
		"    --anon NAME=SIZE       map SIZE bytes of anonymous memory as NAME (repeatable)\n"
		"    -o map=NAME=PATH       map PATH as NAME with access=write (for fstab)\n"
		"    -o anon=NAME=SIZE      map anonymous memory (for fstab)\n"
		"    -o mapfile=FILE        apply the .control lines of FILE (map, anon, unmap)\n"
		"    -o cache=auto|never|always\n"
		"                           kernel caching of data: close-to-open (default),\n"
		"                           none (direct I/O), or kept across opens\n"
		"    -o allow_hwpoison      accept the hwpoison and soft_offline advice\n"
		"    --version              print the version\n\n");
	fuse_cmdline_help ();
	fuse_lowlevel_help ();
}

/*
 * mount(8) runs `mmapfs SOURCE MOUNTPOINT -o ...`, as for sshfs: with two
 * words, the first is the fstab source, which means nothing to mmapfs
 * ("none" by convention). The mount point goes back to libfuse's parser.
 */
gboolean
take_mountpoint (Options *options, struct fuse_args *args)
{
	if (options->words->len == 0)
		return TRUE;
	if (options->words->len > 2) {
		fprintf (stderr, "mmapfs: too many arguments: give [SOURCE] MOUNTPOINT\n");
		return FALSE;
	}
	return fuse_opt_add_arg (args, g_ptr_array_index (options->words,
							   options->words->len - 1)) == 0;
}

static char *
absolute_path (const char *path)
{
	g_autofree char *cwd = NULL;

	if (g_path_is_absolute (path))
		return g_strdup (path);
	cwd = g_get_current_dir ();
	return g_build_filename (cwd, path, NULL);
}

/*
 * Reads a whole mapfile. A failure keeps the errno of the call that
 * failed (ENOENT, EACCES, EISDIR for a directory, ...). Returns the text,
 * or NULL with @error set.
 */
static char *
read_mapfile (const char *path, gsize *out_length, GError **error)
{
	g_autoptr (GString) text = g_string_new (NULL);
	int fd = open (path, O_RDONLY | O_CLOEXEC);
	int errsv = fd < 0 ? errno : 0;

	while (fd >= 0) {
		char buf[8192];
		ssize_t n = read (fd, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			errsv = errno;
		if (n <= 0)
			break;
		g_string_append_len (text, buf, n);
	}
	if (fd >= 0)
		close (fd);
	if (errsv != 0) {
		g_set_error (error, MMAPFS_ERROR, errsv, "cannot read the mapfile: %s: %s", path,
			     g_strerror (errsv));
		return NULL;
	}
	*out_length = text->len;
	return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
apply_mapfile (Daemon *d, const char *file, GError **error)
{
	g_autofree char *path = absolute_path (file);
	g_autofree char *contents = NULL;
	g_autoptr (GError) local = NULL;
	gsize length;
	guint line_number;

	contents = read_mapfile (path, &length, error);
	if (contents == NULL)
		return FALSE;
	/* The lines `.control` takes, the last one even without its newline. */
	if (!control_apply_lines (d, contents, length, TRUE, NULL, &line_number, &local)) {
		g_set_error (error, MMAPFS_ERROR, local->code, "%s:%u: %s", path, line_number,
			     local->message);
		return FALSE;
	}
	return TRUE;
}

gboolean
apply_spec (Daemon *d, const Spec *spec, GError **error)
{
	g_auto (MmapfsCommand) cmd = { 0 };
	gboolean ok;

	if (spec->kind == SPEC_MAPFILE)
		return apply_mapfile (d, spec->text, error);

	ok = mmapfs_command_parse_option (spec->kind == SPEC_MAP ? MMAPFS_COMMAND_MAP
								 : MMAPFS_COMMAND_ANON,
					  spec->text, &cmd, error);
	if (ok && cmd.path != NULL && !g_path_is_absolute (cmd.path)) {
		/* Relative to where mmapfs was started: daemonising moves to /. */
		char *path = absolute_path (cmd.path);

		g_free (cmd.path);
		cmd.path = path;
	}
	return ok && control_apply (d, &cmd, NULL, error);
}

gboolean
parse_cache (const char *text, CacheMode *out_mode)
{
	if (text == NULL || strcmp (text, "auto") == 0)
		*out_mode = CACHE_AUTO;
	else if (strcmp (text, "never") == 0)
		*out_mode = CACHE_NEVER;
	else if (strcmp (text, "always") == 0)
		*out_mode = CACHE_ALWAYS;
	else
		return FALSE;
	return TRUE;
}
