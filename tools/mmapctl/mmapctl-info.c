/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The JSON helpers shared by the read-only subcommands: paths as JSON
 * strings, a mapping's `info` (parsed by libmmapfs) as typed members, and
 * printing the document.
 */
#include <stdio.h>
#include <string.h>

#include "mmapctl-private.h"

/**
 * json_path_string:
 * @path: a path, raw bytes
 *
 * JSON strings are UTF-8, paths are bytes. A path that is valid UTF-8 is
 * given as it is; any other is given with each backslash and each byte
 * that is not part of valid UTF-8 written as a `\ooo` octal escape, the
 * escape `.control` uses, so no byte is lost or made up.
 *
 * Returns: (transfer full): a valid UTF-8 string
 */
char *
json_path_string (const char *path)
{
	GString *out;
	const char *p = path;
	const char *end = path + strlen (path);

	if (g_utf8_validate (path, -1, NULL))
		return g_strdup (path);

	out = g_string_new (NULL);
	while (p < end) {
		const char *valid_end;

		g_utf8_validate (p, end - p, &valid_end);
		for (const char *q = p; q < valid_end; q++) {
			if (*q == '\\')
				g_string_append (out, "\\134");
			else
				g_string_append_c (out, *q);
		}
		p = valid_end;
		if (p < end) {
			g_string_append_printf (out, "\\%03o", (guint) (guint8) *p);
			p++;
		}
	}
	return g_string_free (out, FALSE);
}

static gboolean
all_digits (const char *text)
{
	if (*text == '\0')
		return FALSE;
	for (const char *p = text; *p != '\0'; p++) {
		if (!g_ascii_isdigit (*p))
			return FALSE;
	}
	return TRUE;
}

/**
 * json_add_info:
 * @builder: a builder inside an object
 * @info: a mapping's info
 *
 * Adds the info keys as members with JSON types: counts as numbers,
 * `locked` as a boolean, `none` (and the path `anonymous`) as null, and
 * an `anonymous` boolean. Keys the daemon adds later come through too.
 */
void
json_add_info (JsonBuilder *builder, const MmapfsNodeInfo *info)
{
	const char *path = mmapfs_node_info_get (info, "path");
	gboolean anonymous = path != NULL && strcmp (path, "anonymous") == 0;

	const char *const *keys = mmapfs_node_info_get_keys (info);

	for (guint i = 0; keys[i] != NULL; i++) {
		const char *key = keys[i];
		const char *value = mmapfs_node_info_get (info, key);
		guint64 number;

		json_builder_set_member_name (builder, key);
		if (strcmp (key, "path") == 0) {
			g_autofree char *raw = NULL;
			g_autofree char *shown = NULL;

			if (anonymous) {
				json_builder_add_null_value (builder);
				continue;
			}
			raw = mmapfs_path_unescape (value, strlen (value), NULL);
			shown = json_path_string (raw != NULL ? raw : value);
			json_builder_add_string_value (builder, shown);
		} else if (strcmp (key, "locked") == 0) {
			json_builder_add_boolean_value (builder, strcmp (value, "1") == 0);
		} else if (strcmp (key, "name") != 0 && strcmp (value, "none") == 0) {
			json_builder_add_null_value (builder);
		} else if (strcmp (key, "name") != 0 && all_digits (value) &&
			   g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, &number, NULL)) {
			json_builder_add_int_value (builder, (gint64) number);
		} else {
			g_autofree char *valid = g_utf8_make_valid (value, -1);

			json_builder_add_string_value (builder, valid);
		}
	}
	json_builder_set_member_name (builder, "anonymous");
	json_builder_add_boolean_value (builder, anonymous);
}

/**
 * json_print:
 * @builder: a builder holding one complete value
 *
 * Prints the value on standard output, indented, with a final newline.
 */
void
json_print (JsonBuilder *builder)
{
	g_autoptr (JsonGenerator) generator = json_generator_new ();
	g_autoptr (JsonNode) root = json_builder_get_root (builder);
	g_autofree char *text = NULL;

	json_generator_set_pretty (generator, TRUE);
	json_generator_set_indent (generator, 2);
	json_generator_set_root (generator, root);
	text = json_generator_to_data (generator, NULL);
	fputs (text, stdout);
	fputc ('\n', stdout);
}
