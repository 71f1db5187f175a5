/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The subcommands that are one request to a mount: map, anon and unmap
 * (lines for `.control`), list and stat (the `info` nodes), resize,
 * advise, flush and move (one line to a mapping's node), and save and
 * restore (a mount's `.control` listing, written back line by line).
 *
 * Words that the daemon understands (advice names, sizes, access modes)
 * are passed on as they are, so the daemon's rules and sentences apply;
 * mmapctl only makes sure each stays one word. Ranges are mmapctl's own
 * syntax (START:LENGTH) and are parsed here, with libmmapfs's number
 * grammar.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mmapctl-private.h"

/*
 * An absolute form of a file path for `.control`, which takes no relative
 * paths. A relative path is joined to the working directory and tidied
 * ("." and ".." resolved by name, as realpath -s does) so the mapping's
 * path reads well; an absolute one is kept exactly, since a path such as
 * /proc/PID/fd/N must reach the kernel as it is.
 */
static char *
path_for_control (const char *path)
{
	if (g_path_is_absolute (path))
		return g_strdup (path);
	return g_canonicalize_filename (path, NULL);
}

/* Adds "word=value" to a `.control` line, when the option was given. */
static gboolean
append_option (GString *line, const char *option, const char *key, const char *value,
	       GError **error)
{
	if (value == NULL)
		return TRUE;
	if (!check_one_word (option, value, error))
		return FALSE;
	g_string_append_printf (line, " %s=%s", key, value);
	return TRUE;
}

/*
 * Applies one `.control` line for @target's mount; a failure is prefixed
 * with @target as the user wrote it.
 */
static gboolean
control_one_line (const CtlTarget *target, const char *line, GError **error)
{
	const char *lines[1] = { line };

	if (!ctl_mount_control (target, lines, 1, NULL, error)) {
		g_prefix_error (error, "%s: ", target->shown);
		return FALSE;
	}
	return TRUE;
}

gboolean
cmd_map (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autofree char *file = path_for_control (args[1]);
	g_autofree char *fallback = g_path_get_basename (file);
	g_autofree char *escaped = NULL;
	g_autoptr (CtlTarget) target = NULL;
	g_autoptr (GString) line = NULL;

	(void) n_args;
	target = ctl_target_resolve_new_mapping (args[0], fallback, error);
	if (target == NULL)
		return FALSE;
	if (!check_one_word ("the mapping's NAME", target->name, error))
		return FALSE;

	escaped = mmapfs_path_escape (file);
	line = g_string_new (NULL);
	g_string_append_printf (line, "map %s %s", target->name, escaped);
	if (!append_option (line, "--access", "access", opts->access, error) ||
	    !append_option (line, "--offset", "offset", opts->offset, error) ||
	    !append_option (line, "--length", "length", opts->length, error))
		return FALSE;

	return control_one_line (target, line->str, error);
}

gboolean
cmd_anon (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autoptr (CtlTarget) target = NULL;
	g_autofree char *line = NULL;

	(void) opts;
	(void) n_args;
	target = ctl_target_resolve_new_mapping (args[0], NULL, error);
	if (target == NULL)
		return FALSE;
	if (!check_one_word ("the mapping's NAME", target->name, error) ||
	    !check_one_word ("SIZE", args[1], error))
		return FALSE;

	line = g_strdup_printf ("anon %s %s", target->name, args[1]);
	return control_one_line (target, line, error);
}

/* Like rm(1): every name is tried and each failure reported as it comes. */
gboolean
cmd_unmap (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	gboolean failed = FALSE;

	(void) opts;
	for (guint i = 0; i < n_args; i++) {
		g_autoptr (GError) local_error = NULL;
		g_autoptr (CtlTarget) target = NULL;
		g_autofree char *line = NULL;

		target = ctl_target_resolve_new_mapping (args[i], NULL, &local_error);
		if (target != NULL &&
		    check_one_word ("the mapping's NAME", target->name, &local_error)) {
			line = g_strdup_printf ("unmap %s", target->name);
			control_one_line (target, line, &local_error);
		}
		if (local_error != NULL)
			report_error (local_error, &failed);
	}
	if (failed) {
		g_set_error_literal (error, REPORTED_ERROR, 1, "");
		return FALSE;
	}
	return TRUE;
}

static const char *
info_or (const MmapfsNodeInfo *info, const char *key, const char *fallback)
{
	const char *value = mmapfs_node_info_get (info, key);

	return value != NULL ? value : fallback;
}

gboolean
cmd_list (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autoptr (CtlTarget) mount = NULL;
	g_autoptr (GPtrArray) names = NULL;
	g_autoptr (GPtrArray) infos =
		g_ptr_array_new_with_free_func ((GDestroyNotify) mmapfs_node_info_free);
	g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
	static const char *const header[] = { "NAME", "ACCESS", "LENGTH", "RESIDENT",
					      "ADVICE", "LOCKED", "PATH" };
	guint widths[G_N_ELEMENTS (header)];
	char **row;

	(void) n_args;
	mount = ctl_target_resolve_mount (args[0], error);
	if (mount == NULL)
		return FALSE;
	names = ctl_mount_list_mappings (mount, error);
	if (names == NULL)
		return FALSE;

	for (guint i = 0; i < names->len; i++) {
		g_autoptr (CtlTarget) mapping = ctl_mount_mapping_target (mount, names->pdata[i]);
		g_autoptr (GError) local_error = NULL;
		MmapfsNodeInfo *info = mapping_read_info (mapping, &local_error);

		/* A mapping unmapped since the directory was read is simply gone. */
		if (info == NULL && g_error_matches (local_error, MMAPFS_ERROR, ENOENT))
			continue;
		if (info == NULL) {
			g_propagate_error (error, g_steal_pointer (&local_error));
			return FALSE;
		}
		g_ptr_array_add (infos, info);
	}

	if (opts->json) {
		g_autoptr (JsonBuilder) builder = json_builder_new ();
		g_autofree char *mount_path = json_path_string (mount->mount);

		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "mount");
		json_builder_add_string_value (builder, mount_path);
		json_builder_set_member_name (builder, "mappings");
		json_builder_begin_array (builder);
		for (guint i = 0; i < infos->len; i++) {
			json_builder_begin_object (builder);
			json_add_info (builder, infos->pdata[i]);
			json_builder_end_object (builder);
		}
		json_builder_end_array (builder);
		json_builder_end_object (builder);
		json_print (builder);
		return TRUE;
	}

	if (infos->len == 0)
		return TRUE;
	for (guint c = 0; c < G_N_ELEMENTS (header); c++)
		widths[c] = strlen (header[c]);
	for (guint i = 0; i < infos->len; i++) {
		const MmapfsNodeInfo *info = infos->pdata[i];
		guint64 length = 0;

		row = g_new0 (char *, G_N_ELEMENTS (header) + 1);
		mmapfs_node_info_get_uint64 (info, "length", &length, NULL);
		row[0] = g_strdup (info_or (info, "name", "?"));
		row[1] = g_strdup (info_or (info, "access", "?"));
		row[2] = format_size (length);
		row[3] = g_strdup_printf ("%s/%s", info_or (info, "resident_pages", "?"),
					  info_or (info, "total_pages", "?"));
		row[4] = g_strdup (info_or (info, "advice", "?"));
		row[5] = g_strdup (
			g_strcmp0 (mmapfs_node_info_get (info, "locked"), "1") == 0 ? "yes" : "no");
		row[6] = g_strdup (info_or (info, "path", "?"));
		for (guint c = 0; c < G_N_ELEMENTS (header); c++)
			widths[c] = MAX (widths[c], (guint) g_utf8_strlen (row[c], -1));
		g_ptr_array_add (rows, row);
	}
	row = g_new0 (char *, G_N_ELEMENTS (header) + 1);
	for (guint c = 0; c < G_N_ELEMENTS (header); c++)
		row[c] = g_strdup (header[c]);
	g_ptr_array_insert (rows, 0, row);
	for (guint i = 0; i < rows->len; i++) {
		row = rows->pdata[i];

		/* The last column (the path) is not padded. */
		for (guint c = 0; c + 1 < G_N_ELEMENTS (header); c++)
			g_print ("%s%*s  ", row[c], (int) (widths[c] - g_utf8_strlen (row[c], -1)),
				 "");
		g_print ("%s\n", row[G_N_ELEMENTS (header) - 1]);
	}
	return TRUE;
}

gboolean
cmd_stat (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autoptr (CtlTarget) mapping = NULL;
	g_autoptr (MmapfsNodeInfo) info = NULL;
	const char *const *keys;
	guint width = 0;

	(void) n_args;
	mapping = ctl_target_resolve_mapping (args[0], error);
	if (mapping == NULL)
		return FALSE;
	info = mapping_read_info (mapping, error);
	if (info == NULL)
		return FALSE;

	if (opts->json) {
		g_autoptr (JsonBuilder) builder = json_builder_new ();

		json_builder_begin_object (builder);
		json_add_info (builder, info);
		json_builder_end_object (builder);
		json_print (builder);
		return TRUE;
	}

	keys = mmapfs_node_info_get_keys (info);
	for (guint i = 0; keys[i] != NULL; i++)
		width = MAX (width, strlen (keys[i]));
	for (guint i = 0; keys[i] != NULL; i++) {
		const char *key = keys[i];
		const char *value = mmapfs_node_info_get (info, key);
		guint64 bytes;

		/* Sizes also in a unit a person reads at a glance. */
		if ((strcmp (key, "length") == 0 || strcmp (key, "file_size") == 0 ||
		     g_str_has_prefix (key, "bytes_")) &&
		    mmapfs_node_info_get_uint64 (info, key, &bytes, NULL) && bytes >= 1024) {
			g_autofree char *human = format_size (bytes);

			g_print ("%s:%*s %s (%s)\n", key, (int) (width - strlen (key)), "", value,
				 human);
		} else {
			g_print ("%s:%*s %s\n", key, (int) (width - strlen (key)), "", value);
		}
	}
	return TRUE;
}

gboolean
cmd_resize (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autoptr (CtlTarget) mapping = NULL;
	g_autofree char *line = NULL;

	(void) opts;
	(void) n_args;
	if (!check_one_word ("SIZE", args[1], error))
		return FALSE;
	mapping = ctl_target_resolve_mapping (args[0], error);
	if (mapping == NULL)
		return FALSE;
	line = g_strdup_printf ("%s\n", args[1]);
	return mapping_write_node (mapping, "size", line, error);
}

/* The range of a subcommand: a positional START:LENGTH or --range, not both. */
static gboolean
get_range (CtlOptions *opts, char **args, guint n_args, guint index, Range *out_range,
	   GError **error)
{
	const char *text = NULL;

	*out_range = (Range) { 0 };
	if (n_args > index)
		text = args[index];
	if (opts->range != NULL) {
		if (text != NULL) {
			g_set_error (error, USAGE_ERROR, EINVAL,
				     "give the range either as an argument or with --range, "
				     "not both");
			return FALSE;
		}
		text = opts->range;
	}
	if (text == NULL)
		return TRUE;
	return parse_range_arg (text, out_range, error);
}

static gboolean
print_advice_menu (CtlOptions *opts, const CtlTarget *mapping, GError **error)
{
	g_autofree char *menu = mapping_read_node (mapping, "advise", error);
	g_autoptr (GError) local_error = NULL;
	g_autoptr (JsonBuilder) builder = NULL;
	g_autofree char *pattern = NULL;
	g_auto (GStrv) names = NULL;

	if (menu == NULL)
		return FALSE;
	if (!opts->json) {
		g_print ("%s", menu);
		return TRUE;
	}

	/* The access pattern in effect is the one in brackets. */
	if (!mmapfs_node_parse_advise_menu (menu, strlen (menu), &pattern, &names, &local_error)) {
		mmapfs_set_error (error, local_error->code, "%s/advise: %s", mapping->shown,
				  local_error->message);
		return FALSE;
	}
	builder = json_builder_new ();
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "advice");
	json_builder_begin_array (builder);
	for (guint i = 0; names[i] != NULL; i++)
		json_builder_add_string_value (builder, names[i]);
	json_builder_end_array (builder);
	json_builder_set_member_name (builder, "pattern");
	if (pattern != NULL)
		json_builder_add_string_value (builder, pattern);
	else
		json_builder_add_null_value (builder);
	json_builder_end_object (builder);
	json_print (builder);
	return TRUE;
}

gboolean
cmd_advise (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autoptr (CtlTarget) mapping = NULL;
	g_autoptr (GString) line = NULL;
	Range range;

	if (n_args == 1 && opts->range != NULL) {
		g_set_error (error, USAGE_ERROR, EINVAL, "--range needs an ADVICE");
		return FALSE;
	}
	if (n_args > 1 && opts->json) {
		g_set_error (error, USAGE_ERROR, EINVAL,
			     "--json applies to reading the advice menu, without ADVICE");
		return FALSE;
	}
	if (n_args > 1 && !check_one_word ("ADVICE", args[1], error))
		return FALSE;
	if (!get_range (opts, args, n_args, 2, &range, error))
		return FALSE;
	mapping = ctl_target_resolve_mapping (args[0], error);
	if (mapping == NULL)
		return FALSE;
	if (n_args == 1)
		return print_advice_menu (opts, mapping, error);

	line = g_string_new (args[1]);
	if (range.given)
		g_string_append_printf (line, " %" G_GUINT64_FORMAT, range.start);
	if (range.has_length)
		g_string_append_printf (line, " %" G_GUINT64_FORMAT, range.length);
	g_string_append_c (line, '\n');
	return mapping_write_node (mapping, "advise", line->str, error);
}

gboolean
cmd_flush (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autoptr (CtlTarget) mapping = NULL;
	g_autoptr (GString) line = g_string_new (NULL);
	const char *mode = NULL;
	Range range;

	if (opts->async && opts->invalidate) {
		g_set_error (error, USAGE_ERROR, EINVAL, "--async and --invalidate exclude each other");
		return FALSE;
	}
	if (opts->async)
		mode = "async";
	else if (opts->invalidate)
		mode = "invalidate";
	if (!get_range (opts, args, n_args, 1, &range, error))
		return FALSE;
	mapping = ctl_target_resolve_mapping (args[0], error);
	if (mapping == NULL)
		return FALSE;

	/*
	 * The node's line is [OFFSET [SIZE [async|invalidate]]]: the mode is
	 * the third word, so with a mode the size must be spelled out, as
	 * the rest of the mapping from the start of the range.
	 */
	if (mode != NULL && !range.has_length) {
		guint64 size;

		if (!mapping_read_u64 (mapping, "size", &size, error))
			return FALSE;
		range.length = size > range.start ? size - range.start : 0;
		range.has_length = TRUE;
		range.given = TRUE;
	}
	if (range.given)
		g_string_append_printf (line, "%" G_GUINT64_FORMAT, range.start);
	if (range.has_length)
		g_string_append_printf (line, " %" G_GUINT64_FORMAT, range.length);
	if (mode != NULL)
		g_string_append_printf (line, " %s", mode);
	g_string_append_c (line, '\n');
	return mapping_write_node (mapping, "flush", line->str, error);
}

gboolean
cmd_move (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autoptr (CtlTarget) mapping = NULL;
	g_autofree char *line = NULL;

	(void) opts;
	(void) n_args;
	if (!check_one_word ("DEST", args[1], error) || !check_one_word ("SRC", args[2], error) ||
	    !check_one_word ("COUNT", args[3], error))
		return FALSE;
	mapping = ctl_target_resolve_mapping (args[0], error);
	if (mapping == NULL)
		return FALSE;
	line = g_strdup_printf ("%s %s %s\n", args[1], args[2], args[3]);
	return mapping_write_node (mapping, "move", line, error);
}

/* One `.control` line as a JSON object (schema in mmapctl(1)). */
static void
json_add_command (JsonBuilder *builder, const MmapfsCommand *cmd)
{
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "kind");
	json_builder_add_string_value (builder, cmd->kind == MMAPFS_COMMAND_MAP ? "map" : "anon");
	json_builder_set_member_name (builder, "name");
	json_builder_add_string_value (builder, cmd->name);
	if (cmd->kind == MMAPFS_COMMAND_MAP) {
		g_autofree char *path = json_path_string (cmd->path);

		json_builder_set_member_name (builder, "path");
		json_builder_add_string_value (builder, path);
		json_builder_set_member_name (builder, "access");
		json_builder_add_string_value (builder, mmapfs_access_to_string (cmd->access));
		json_builder_set_member_name (builder, "offset");
		json_builder_add_int_value (builder, (gint64) cmd->offset);
		json_builder_set_member_name (builder, "length");
		json_builder_add_int_value (builder, (gint64) cmd->length);
	} else {
		json_builder_set_member_name (builder, "size");
		json_builder_add_int_value (builder, (gint64) cmd->length);
	}
	json_builder_end_object (builder);
}

static gboolean
print_control_json (const CtlTarget *mount, const char *listing, GError **error)
{
	g_autoptr (JsonBuilder) builder = json_builder_new ();
	g_auto (GStrv) lines = g_strsplit (listing, "\n", -1);
	g_autofree char *mount_path = json_path_string (mount->mount);

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "mount");
	json_builder_add_string_value (builder, mount_path);
	json_builder_set_member_name (builder, "mappings");
	json_builder_begin_array (builder);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto (MmapfsCommand) cmd = { 0 };
		g_autoptr (GError) local_error = NULL;

		if (!mmapfs_command_parse (lines[i], strlen (lines[i]), &cmd, &local_error)) {
			mmapfs_set_error (error, EIO, "%s/.control: unexpected line %u: %s",
					  mount->shown, i + 1, local_error->message);
			return FALSE;
		}
		if (cmd.kind == MMAPFS_COMMAND_MAP || cmd.kind == MMAPFS_COMMAND_ANON)
			json_add_command (builder, &cmd);
	}
	json_builder_end_array (builder);
	json_builder_end_object (builder);
	json_print (builder);
	return TRUE;
}

/*
 * Writes @text to @file atomically, so an interrupted save never leaves
 * half a tree behind: a new file beside it (mode 0666 less the umask),
 * synced when @file exists already (a crash then leaves the old listing
 * or the new one), then renamed over it. Each failure keeps the errno of
 * the call that failed, which GLib's g_file_set_contents() would not.
 */
static gboolean
write_file_atomically (const char *file, const char *text, GError **error)
{
	g_autofree char *tmp = g_strconcat (file, ".XXXXXX", NULL);
	gboolean existed = g_file_test (file, G_FILE_TEST_EXISTS);
	gsize len = strlen (text);
	gsize done = 0;
	int fd, err;

	fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0666);
	if (fd < 0) {
		err = errno;
		mmapfs_set_error (error, err, "%s: %s", file, g_strerror (err));
		return FALSE;
	}
	while (done < len) {
		ssize_t n = write (fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (gsize) n;
	}
	if (existed && fsync (fd) != 0)
		goto fail;
	err = close (fd);
	fd = -1;
	if (err != 0 || rename (tmp, file) != 0)
		goto fail;
	return TRUE;

fail:
	err = errno;
	if (fd >= 0)
		close (fd);
	unlink (tmp);
	mmapfs_set_error (error, err, "%s: %s", file, g_strerror (err));
	return FALSE;
}

/* A whole file's bytes, the errno of open(2) or read(2) on failure. */
static char *
read_file (const char *file, GError **error)
{
	char *text;
	int fd;

	fd = open (file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		mmapfs_set_error (error, err, "%s", g_strerror (err));
		return NULL;
	}
	text = read_fd_all (fd, NULL, error);
	close (fd);
	return text;
}

gboolean
cmd_save (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autoptr (CtlTarget) mount = NULL;
	g_autofree char *listing = NULL;
	const char *file = n_args > 1 ? args[1] : "-";

	if (opts->json && strcmp (file, "-") != 0) {
		g_set_error (error, USAGE_ERROR, EINVAL,
			     "--json prints on standard output; give no FILE");
		return FALSE;
	}
	mount = ctl_target_resolve_mount (args[0], error);
	if (mount == NULL)
		return FALSE;
	listing = ctl_mount_read_control (mount, error);
	if (listing == NULL)
		return FALSE;
	if (opts->json)
		return print_control_json (mount, listing, error);
	if (strcmp (file, "-") == 0) {
		fputs (listing, stdout);
		return TRUE;
	}
	return write_file_atomically (file, listing, error);
}

gboolean
cmd_restore (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autoptr (CtlTarget) mount = NULL;
	g_autofree char *contents = NULL;
	g_auto (GStrv) lines = NULL;
	g_autoptr (GPtrArray) commands = g_ptr_array_new ();
	g_autoptr (GArray) line_numbers = g_array_new (FALSE, FALSE, sizeof (guint));
	g_autoptr (GError) local_error = NULL;
	const char *file = n_args > 1 ? args[1] : "-";
	const char *shown_file = strcmp (file, "-") == 0 ? "standard input" : file;
	g_autoptr (GError) apply_error = NULL;
	guint failed = G_MAXUINT;

	(void) opts;
	mount = ctl_target_resolve_mount (args[0], error);
	if (mount == NULL)
		return FALSE;
	if (strcmp (file, "-") == 0)
		contents = read_fd_all (STDIN_FILENO, NULL, &local_error);
	else
		contents = read_file (file, &local_error);
	if (contents == NULL) {
		mmapfs_set_error (error, local_error->code, "%s: %s", shown_file,
				  local_error->message);
		return FALSE;
	}

	/*
	 * Comments and blank lines cost the daemon nothing, but skipping them
	 * here keeps the line numbers of messages those of the file. Which
	 * lines they are is libmmapfs's call (MMAPFS_COMMAND_NONE); every
	 * other line, well-formed or not, goes to the daemon, whose sentence
	 * a refused one gets.
	 */
	lines = g_strsplit (contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto (MmapfsCommand) cmd = { 0 };
		gsize len = strlen (lines[i]);

		if (len > 0 && lines[i][len - 1] == '\r')
			lines[i][--len] = '\0';
		if (mmapfs_command_parse (lines[i], len, &cmd, NULL) &&
		    cmd.kind == MMAPFS_COMMAND_NONE)
			continue;
		g_ptr_array_add (commands, lines[i]);
		g_array_append_val (line_numbers, (guint) { i + 1 });
	}

	if (!ctl_mount_control (mount, (const char *const *) commands->pdata, commands->len,
				&failed, &apply_error)) {
		guint line_no;

		/* No line to blame when .control itself could not be opened. */
		if (failed == G_MAXUINT) {
			g_propagate_error (error, g_steal_pointer (&apply_error));
			return FALSE;
		}
		line_no = g_array_index (line_numbers, guint, failed);
		if (failed == 0)
			mmapfs_set_error (error, apply_error->code, "%s:%u: %s", shown_file,
					  line_no, apply_error->message);
		else
			mmapfs_set_error (error, apply_error->code,
					  "%s:%u: %s (the %u command%s before it stay%s applied)",
					  shown_file, line_no, apply_error->message, failed,
					  failed == 1 ? "" : "s", failed == 1 ? "s" : "");
		return FALSE;
	}
	return TRUE;
}
