/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How mmapctl talks to a mount: classifying the paths of the command
 * line, reading and writing the small nodes of a mapping, and `.control`
 * transactions. The text of the nodes is read by libmmapfs's inverse
 * parsers (mmapfs-node.h), never by hand; the JSON helpers are in
 * mmapctl-info.c, the number and range grammar in mmapctl-args.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "mmapctl-private.h"

void
ctl_target_free (CtlTarget *target)
{
	if (target == NULL)
		return;
	g_free (target->shown);
	g_free (target->path);
	g_free (target->mount);
	g_free (target->name);
	g_free (target->dir);
	g_free (target);
}

/*
 * A directory is the root of an mmapfs mount when it holds a regular
 * `.control` and lives on a FUSE filesystem. The second check keeps an
 * ordinary directory that happens to contain a file of that name from
 * being taken for a mount. Returns 1 or 0, or -ENOTCONN for a mount whose
 * daemon has gone.
 */
static int
probe_mount_root (const char *dir)
{
	g_autofree char *control = g_build_filename (dir, ".control", NULL);
	struct stat st;
	struct statfs sfs;

	if (stat (control, &st) != 0)
		return errno == ENOTCONN ? -ENOTCONN : 0;
	if (!S_ISREG (st.st_mode))
		return 0;
	if (statfs (dir, &sfs) != 0)
		return errno == ENOTCONN ? -ENOTCONN : 0;
	return sfs.f_type == FUSE_SUPER_MAGIC;
}

gboolean
is_mount_root (const char *dir)
{
	return probe_mount_root (dir) > 0;
}

static CtlTarget *
ctl_target_new (CtlTargetKind kind, const char *shown, const char *path)
{
	CtlTarget *target = g_new0 (CtlTarget, 1);

	target->kind = kind;
	target->shown = g_strdup (shown);
	target->path = g_strdup (path);
	return target;
}

CtlTarget *
ctl_target_new_file (const char *shown, const char *path)
{
	return ctl_target_new (CTL_TARGET_FILE, shown, path);
}

static CtlTarget *
ctl_target_new_mapping (const char *shown, const char *mount, const char *name)
{
	CtlTarget *target = ctl_target_new (CTL_TARGET_MAPPING, shown, NULL);

	target->mount = g_strdup (mount);
	target->name = g_strdup (name);
	target->dir = g_build_filename (mount, name, NULL);
	target->path = g_strdup (target->dir);
	return target;
}

/**
 * ctl_target_resolve:
 * @arg: a path from the command line
 * @error: return location for an error
 *
 * Classifies @arg as a mount root, a mapping (its directory, or its
 * `data` file), a plain file or a plain directory. A missing name inside
 * a mount is reported as "no mapping named", since that is what the user
 * most likely meant.
 *
 * Returns: (transfer full) (nullable): the target, or %NULL with @error set
 */
CtlTarget *
ctl_target_resolve (const char *arg, GError **error)
{
	g_autofree char *path = g_canonicalize_filename (arg, NULL);
	g_autofree char *parent = g_path_get_dirname (path);
	g_autofree char *base = g_path_get_basename (path);
	struct stat st;

	/* Kernel caches can answer for a dead mount; its .control cannot. */
	if (probe_mount_root (path) == -ENOTCONN || probe_mount_root (parent) == -ENOTCONN) {
		mmapfs_set_error (
			error, ENOTCONN,
			"%s: %s: the mmapfs daemon has gone (unmount it with fusermount3 -u)", arg,
			g_strerror (ENOTCONN));
		return NULL;
	}
	if (stat (path, &st) != 0) {
		int err = errno;

		if (err == ENOENT && is_mount_root (parent)) {
			mmapfs_set_error (error, ENOENT, "%s: no mapping named \"%s\" in %s", arg,
					  base, parent);
			return NULL;
		}
		mmapfs_set_error (error, err, "%s: %s", arg, g_strerror (err));
		return NULL;
	}

	if (S_ISDIR (st.st_mode)) {
		if (is_mount_root (path)) {
			CtlTarget *target = ctl_target_new (CTL_TARGET_MOUNT, arg, path);

			target->mount = g_strdup (path);
			return target;
		}
		if (base[0] != '.' && is_mount_root (parent))
			return ctl_target_new_mapping (arg, parent, base);
		return ctl_target_new (CTL_TARGET_DIR, arg, path);
	}

	if (S_ISREG (st.st_mode)) {
		/* MOUNT/NAME/data stands for the mapping itself. */
		if (strcmp (base, "data") == 0) {
			g_autofree char *mount = g_path_get_dirname (parent);
			g_autofree char *name = g_path_get_basename (parent);

			if (name[0] != '.' && is_mount_root (mount))
				return ctl_target_new_mapping (arg, mount, name);
		}
		return ctl_target_new (CTL_TARGET_FILE, arg, path);
	}

	mmapfs_set_error (error, EINVAL, "%s: neither a regular file nor a directory", arg);
	return NULL;
}

/*
 * Resolves @arg and keeps it only when it is of kind @want, a mount root
 * or a mapping; otherwise the message says what @arg is instead.
 */
static CtlTarget *
target_resolve_kind (const char *arg, CtlTargetKind want, GError **error)
{
	g_autoptr (CtlTarget) target = ctl_target_resolve (arg, error);

	if (target == NULL)
		return NULL;
	if (target->kind == want)
		return g_steal_pointer (&target);
	if (want == CTL_TARGET_MOUNT && target->kind == CTL_TARGET_MAPPING)
		mmapfs_set_error (error, EINVAL,
				  "%s: this is a mapping; give the root of its mount, %s", arg,
				  target->mount);
	else if (want == CTL_TARGET_MOUNT)
		mmapfs_set_error (error, EINVAL, "%s: not an mmapfs mount", arg);
	else if (target->kind == CTL_TARGET_MOUNT)
		mmapfs_set_error (error, EINVAL,
				  "%s: this is the root of an mmapfs mount; name a mapping in it, "
				  "as MOUNT/NAME",
				  arg);
	else
		mmapfs_set_error (error, EINVAL, "%s: not a mapping of an mmapfs mount", arg);
	return NULL;
}

/**
 * ctl_target_resolve_mount:
 * @arg: a path from the command line
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the mount whose root is @arg
 */
CtlTarget *
ctl_target_resolve_mount (const char *arg, GError **error)
{
	return target_resolve_kind (arg, CTL_TARGET_MOUNT, error);
}

/**
 * ctl_target_resolve_mapping:
 * @arg: a path from the command line, MOUNT/NAME
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the mapping @arg names
 */
CtlTarget *
ctl_target_resolve_mapping (const char *arg, GError **error)
{
	return target_resolve_kind (arg, CTL_TARGET_MAPPING, error);
}

/**
 * ctl_target_resolve_new_mapping:
 * @arg: MOUNT/NAME for a mapping to create, or MOUNT alone
 * @fallback_name: (nullable): the name to use when @arg is MOUNT alone
 * @error: return location for an error
 *
 * Resolves the place of a mapping that does not exist yet: the parent of
 * @arg must be a mount. The name itself is left for the daemon to judge.
 *
 * Returns: (transfer full) (nullable): a mapping target
 */
CtlTarget *
ctl_target_resolve_new_mapping (const char *arg, const char *fallback_name, GError **error)
{
	g_autofree char *path = g_canonicalize_filename (arg, NULL);
	g_autofree char *parent = NULL;
	g_autofree char *base = NULL;
	g_autofree char *shown = NULL;

	if (is_mount_root (path)) {
		if (fallback_name == NULL) {
			mmapfs_set_error (error, EINVAL,
					  "%s: this is the root of an mmapfs mount; give the new "
					  "mapping's path, as MOUNT/NAME",
					  arg);
			return NULL;
		}
		shown = g_build_filename (arg, fallback_name, NULL);
		return ctl_target_new_mapping (shown, path, fallback_name);
	}

	parent = g_path_get_dirname (path);
	base = g_path_get_basename (path);
	if (!is_mount_root (parent)) {
		struct stat st;

		if (stat (parent, &st) != 0) {
			int err = errno;

			mmapfs_set_error (error, err, "%s: %s", parent, g_strerror (err));
			return NULL;
		}
		mmapfs_set_error (error, EINVAL, "%s: %s is not an mmapfs mount", arg, parent);
		return NULL;
	}
	return ctl_target_new_mapping (arg, parent, base);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/**
 * read_dir_names:
 * @path: a directory
 * @shown: what messages call it
 * @error: return location for an error
 *
 * Reads a directory with opendir(2) rather than g_dir_open(), whose
 * GFileError codes cannot be turned back into the errno.
 *
 * Returns: (transfer full) (element-type filename): the names in it but
 *   "." and "..", sorted; or %NULL with the errno of opendir(2)
 */
GPtrArray *
read_dir_names (const char *path, const char *shown, GError **error)
{
	g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	struct dirent *entry;
	DIR *dir;

	dir = opendir (path);
	if (dir == NULL) {
		int err = errno;

		mmapfs_set_error (error, err, "%s: %s", shown, g_strerror (err));
		return NULL;
	}
	while ((entry = readdir (dir)) != NULL) {
		if (strcmp (entry->d_name, ".") != 0 && strcmp (entry->d_name, "..") != 0)
			g_ptr_array_add (names, g_strdup (entry->d_name));
	}
	closedir (dir);
	g_ptr_array_sort (names, compare_names);
	return g_steal_pointer (&names);
}

/**
 * ctl_mount_list_mappings:
 * @mount: a mount target
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type utf8): the mapping names in the
 *   mount, sorted, so that output does not depend on the daemon's order
 */
GPtrArray *
ctl_mount_list_mappings (const CtlTarget *mount, GError **error)
{
	g_autoptr (GPtrArray) entries = read_dir_names (mount->mount, mount->shown, error);
	g_autoptr (GPtrArray) names = NULL;

	if (entries == NULL)
		return NULL;
	names = g_ptr_array_new_with_free_func (g_free);
	/* .control is the only dot name besides "." and "..". */
	for (guint i = 0; i < entries->len; i++) {
		const char *entry = entries->pdata[i];
		g_autofree char *child = NULL;

		if (entry[0] == '.')
			continue;
		child = g_build_filename (mount->mount, entry, NULL);
		if (g_file_test (child, G_FILE_TEST_IS_DIR))
			g_ptr_array_add (names, g_strdup (entry));
	}
	return g_steal_pointer (&names);
}

/**
 * ctl_mount_mapping_target:
 * @mount: a mount target
 * @name: a mapping's name in it
 *
 * Returns: (transfer full): the mapping as a target, shown under the
 *   mount's name as the user gave it
 */
CtlTarget *
ctl_mount_mapping_target (const CtlTarget *mount, const char *name)
{
	g_autofree char *shown = g_build_filename (mount->shown, name, NULL);

	return ctl_target_new_mapping (shown, mount->mount, name);
}

/**
 * read_fd_all:
 * @fd: an open descriptor
 * @out_len: (out) (optional): the number of bytes read
 * @error: return location for an error
 *
 * Reads until end of file. The small nodes report st_size 0 (as procfs
 * does), so their size is only known by reading.
 *
 * Returns: (transfer full) (nullable): the bytes, NUL-terminated
 */
char *
read_fd_all (int fd, gsize *out_len, GError **error)
{
	g_autoptr (GString) text = g_string_sized_new (4096);
	char buf[16384];

	for (;;) {
		ssize_t n = read (fd, buf, sizeof buf);

		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			mmapfs_set_error (error, err, "%s", g_strerror (err));
			return NULL;
		}
		if (n == 0)
			break;
		g_string_append_len (text, buf, n);
	}
	if (out_len != NULL)
		*out_len = text->len;
	return g_string_free (g_steal_pointer (&text), FALSE);
}

/*
 * Opens one node of a mapping, @flags as for open(2). A mapping that has
 * gone is reported as such rather than as a missing node.
 */
static int
mapping_open_node (const CtlTarget *mapping, const char *node, int flags, GError **error)
{
	g_autofree char *path = g_build_filename (mapping->dir, node, NULL);
	int fd = open (path, flags | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;

		if (err == ENOENT && !g_file_test (mapping->dir, G_FILE_TEST_EXISTS))
			mmapfs_set_error (error, ENOENT, "%s: no mapping named \"%s\" in %s",
					  mapping->shown, mapping->name, mapping->mount);
		else
			mmapfs_set_error (error, err, "%s/%s: %s", mapping->shown, node,
					  g_strerror (err));
	}
	return fd;
}

/**
 * mapping_read_node:
 * @mapping: a mapping target
 * @node: "info", "size", "advise", "resident", ...
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the node's text, as read afresh
 */
char *
mapping_read_node (const CtlTarget *mapping, const char *node, GError **error)
{
	g_autoptr (GError) local_error = NULL;
	char *text;
	int fd;

	fd = mapping_open_node (mapping, node, O_RDONLY, error);
	if (fd < 0)
		return NULL;
	text = read_fd_all (fd, NULL, &local_error);
	close (fd);
	if (text == NULL)
		mmapfs_set_error (error, local_error->code, "%s/%s: %s", mapping->shown, node,
				  local_error->message);
	return text;
}

/*
 * The sentence for a write the daemon refused: the daemon keeps it as the
 * mapping's last_error (DESIGN §3). NULL when there is none to give.
 */
static char *
mapping_last_error (const CtlTarget *mapping)
{
	g_autoptr (MmapfsNodeInfo) info = mapping_read_info (mapping, NULL);
	const char *sentence;

	if (info == NULL)
		return NULL;
	sentence = mmapfs_node_info_get (info, "last_error");
	if (sentence == NULL || *sentence == '\0' || strcmp (sentence, "none") == 0)
		return NULL;
	return g_strdup (sentence);
}

static void
set_write_error (GError **error, const CtlTarget *mapping, const char *node, int err)
{
	g_autofree char *sentence = mapping_last_error (mapping);

	if (sentence != NULL)
		mmapfs_set_error (error, err, "%s: %s", mapping->shown, sentence);
	else
		mmapfs_set_error (error, err, "%s/%s: %s", mapping->shown, node, g_strerror (err));
}

/**
 * mapping_write_node:
 * @mapping: a mapping target
 * @node: "size", "advise", "flush", "move" or "lock"
 * @text: one line, with its newline
 * @error: return location for an error
 *
 * Writes @text in one write(2), as `echo TEXT > NODE` would. When the
 * daemon refuses it, the error carries the errno of the write and the
 * daemon's sentence from the mapping's `last_error`.
 *
 * Returns: %TRUE when the daemon accepted the line
 */
gboolean
mapping_write_node (const CtlTarget *mapping, const char *node, const char *text, GError **error)
{
	gsize len = strlen (text);
	ssize_t n;
	int fd;

	fd = mapping_open_node (mapping, node, O_WRONLY, error);
	if (fd < 0)
		return FALSE;
	do
		n = write (fd, text, len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = errno;

		close (fd);
		set_write_error (error, mapping, node, err);
		return FALSE;
	}
	if ((gsize) n != len) {
		close (fd);
		mmapfs_set_error (error, EIO, "%s/%s: the daemon took %zd of %zu bytes",
				  mapping->shown, node, n, len);
		return FALSE;
	}
	if (close (fd) != 0) {
		set_write_error (error, mapping, node, errno);
		return FALSE;
	}
	return TRUE;
}

/**
 * mapping_read_info:
 * @mapping: a mapping target
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the parsed `info` node
 */
MmapfsNodeInfo *
mapping_read_info (const CtlTarget *mapping, GError **error)
{
	g_autofree char *text = mapping_read_node (mapping, "info", error);
	g_autoptr (GError) local_error = NULL;
	MmapfsNodeInfo *info;

	if (text == NULL)
		return NULL;
	info = mmapfs_node_info_parse (text, strlen (text), &local_error);
	if (info == NULL)
		mmapfs_set_error (error, local_error->code, "%s/info: %s", mapping->shown,
				  local_error->message);
	return info;
}

/**
 * mapping_read_u64:
 * @mapping: a mapping target
 * @node: a node that reads as one decimal number ("size")
 * @out_value: (out): the number
 * @error: return location for an error
 *
 * Returns: %TRUE on success
 */
gboolean
mapping_read_u64 (const CtlTarget *mapping, const char *node, guint64 *out_value, GError **error)
{
	g_autofree char *text = mapping_read_node (mapping, node, error);

	if (text == NULL)
		return FALSE;
	g_strstrip (text);
	if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, out_value, NULL)) {
		mmapfs_set_error (error, EIO, "%s/%s: unexpected text \"%s\"", mapping->shown, node,
				  text);
		return FALSE;
	}
	return TRUE;
}

/**
 * ctl_mount_control:
 * @mount: a mount target
 * @lines: (array length=n_lines): commands, without newlines
 * @n_lines: how many
 * @out_failed: (out) (optional): index of the line that failed
 * @error: return location for an error
 *
 * Applies the lines through one open file description of `.control`,
 * one write(2) per line so that a failure is pinned to its line. On the
 * first failure the outcome is read back from the same descriptor (the
 * transaction read): that is the daemon's sentence for exactly this
 * write, whatever other clients do meanwhile. Earlier lines stay
 * applied, as they would with `cat FILE > .control`.
 *
 * Returns: %TRUE when every line was applied
 */
gboolean
ctl_mount_control (const CtlTarget *mount, const char *const *lines, guint n_lines,
		   guint *out_failed, GError **error)
{
	g_autofree char *path = g_build_filename (mount->mount, ".control", NULL);
	int fd;

	fd = open (path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		mmapfs_set_error (error, err, "%s/.control: %s", mount->shown, g_strerror (err));
		return FALSE;
	}
	for (guint i = 0; i < n_lines; i++) {
		g_autofree char *line = g_strconcat (lines[i], "\n", NULL);
		gsize len = strlen (line);
		ssize_t n;

		do
			n = write (fd, line, len);
		while (n < 0 && errno == EINTR);
		if (n < 0 || (gsize) n != len) {
			int err = n < 0 ? errno : EIO;
			g_autoptr (GError) outcome_error = NULL;
			g_autofree char *outcome = NULL;
			gsize outcome_len = 0;

			/* The daemon's sentence, libmmapfs reading `error: ENAME: sentence`. */
			outcome = read_fd_all (fd, &outcome_len, NULL);
			if (outcome != NULL)
				mmapfs_node_parse_outcome (outcome, outcome_len, &outcome_error);
			close (fd);
			if (out_failed != NULL)
				*out_failed = i;
			mmapfs_set_error (error, err, "%s",
					  outcome_error != NULL ? outcome_error->message
								: g_strerror (err));
			return FALSE;
		}
	}
	if (close (fd) != 0) {
		int err = errno;

		/* The last line of a write is applied at the latest on close. */
		if (out_failed != NULL && n_lines > 0)
			*out_failed = n_lines - 1;
		mmapfs_set_error (error, err, "%s/.control: %s", mount->shown, g_strerror (err));
		return FALSE;
	}
	return TRUE;
}

/**
 * ctl_mount_read_control:
 * @mount: a mount target
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the listing of a fresh `.control`
 *   open: one `map`/`anon` line per mapping
 */
char *
ctl_mount_read_control (const CtlTarget *mount, GError **error)
{
	g_autofree char *path = g_build_filename (mount->mount, ".control", NULL);
	g_autoptr (GError) local_error = NULL;
	char *text;
	int fd;

	fd = open (path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		mmapfs_set_error (error, err, "%s/.control: %s", mount->shown, g_strerror (err));
		return NULL;
	}
	text = read_fd_all (fd, NULL, &local_error);
	close (fd);
	if (text == NULL)
		mmapfs_set_error (error, local_error->code, "%s/.control: %s", mount->shown,
				  local_error->message);
	return text;
}
