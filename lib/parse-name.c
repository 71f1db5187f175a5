/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mapping names and the /proc/mounts-style escaping of paths in
 * `.control` lines.
 */
#include <errno.h>
#include <string.h>

#include "parse-private.h"

/**
 * mmapfs_name_validate:
 * @name: (array length=len): a proposed mapping name; need not be
 *   NUL-terminated
 * @len: number of bytes at @name
 * @error: return location for an error
 *
 * Checks a mapping name against DESIGN §2: 1 to %MMAPFS_NAME_MAX bytes of
 * `[A-Za-z0-9._-]`, not starting with `.` (which keeps `.control`, `.`
 * and `..` out of the namespace of mappings).
 *
 * Returns: %TRUE if the name is valid. On failure, %FALSE with
 *   ENAMETOOLONG for more than %MMAPFS_NAME_MAX bytes, EINVAL otherwise.
 */
gboolean
mmapfs_name_validate (const char *name, gsize len, GError **error)
{
	g_autofree char *quoted = NULL;

	g_return_val_if_fail (name != NULL || len == 0, FALSE);

	if (len == 0) {
		mmapfs_set_error (error, EINVAL, "a mapping name cannot be empty");
		return FALSE;
	}
	if (len > MMAPFS_NAME_MAX) {
		quoted = mmapfs_quote (name, len);
		mmapfs_set_error (error, ENAMETOOLONG,
				  "mapping name %s is too long: it has %" G_GSIZE_FORMAT
				  " bytes, at most %d are allowed",
				  quoted, len, MMAPFS_NAME_MAX);
		return FALSE;
	}
	if (name[0] == '.') {
		quoted = mmapfs_quote (name, len);
		mmapfs_set_error (error, EINVAL, "mapping name %s cannot start with \".\"", quoted);
		return FALSE;
	}
	for (gsize i = 0; i < len; i++) {
		char c = name[i];

		if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-') {
			quoted = mmapfs_quote (name, len);
			mmapfs_set_error (error, EINVAL,
					  "mapping name %s may hold only letters, digits, \".\", "
					  "\"_\" and \"-\"",
					  quoted);
			return FALSE;
		}
	}
	return TRUE;
}

/* The bytes that would split or break a line of `.control`. */
static gboolean
needs_escape (guchar c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\\';
}

/**
 * mmapfs_path_escape:
 * @path: a path, raw bytes (UTF-8 or not), NUL-terminated
 *
 * Escapes a path for a `.control` line or an `info` value, the way
 * /proc/mounts does: a blank, tab, newline or backslash becomes `\ooo`
 * (three octal digits: `\040`, `\011`, `\012`, `\134`); every other byte
 * is copied unchanged. mmapfs_path_unescape() reverses it.
 *
 * Returns: (transfer full): the escaped path
 */
char *
mmapfs_path_escape (const char *path)
{
	GString *out;

	g_return_val_if_fail (path != NULL, NULL);

	out = g_string_sized_new (strlen (path));
	for (const char *p = path; *p != '\0'; p++) {
		guchar c = (guchar) *p;

		if (needs_escape (c))
			g_string_append_printf (out, "\\%03o", c);
		else
			g_string_append_c (out, (char) c);
	}
	return g_string_free (out, FALSE);
}

static gboolean
is_octal (char c)
{
	return c >= '0' && c <= '7';
}

/**
 * mmapfs_path_unescape:
 * @text: (array length=len): an escaped path; need not be NUL-terminated
 * @len: number of bytes at @text
 * @error: return location for an error
 *
 * Reverses mmapfs_path_escape(). A backslash must start `\ooo` with
 * exactly three octal digits whose value is 1 to 255; any byte may be
 * written that way, not only the four the escaper produces. Other bytes
 * are copied unchanged.
 *
 * Returns: (transfer full) (nullable): the raw path, NUL-terminated, or
 *   %NULL with EINVAL for any other use of a backslash, or when the result
 *   would hold a NUL byte (a raw one, or `\000`), which no path can.
 */
char *
mmapfs_path_unescape (const char *text, gsize len, GError **error)
{
	g_autoptr(GString) out = NULL;
	g_autofree char *quoted = NULL;

	g_return_val_if_fail (text != NULL || len == 0, NULL);

	out = g_string_sized_new (len);
	for (gsize i = 0; i < len; i++) {
		guint value;

		if (text[i] == '\0') {
			quoted = mmapfs_quote (text, len);
			mmapfs_set_error (error, EINVAL, "path %s holds a NUL byte", quoted);
			return NULL;
		}
		if (text[i] != '\\') {
			g_string_append_c (out, text[i]);
			continue;
		}
		if (len - i < 4 || !is_octal (text[i + 1]) || !is_octal (text[i + 2]) ||
		    !is_octal (text[i + 3])) {
			quoted = mmapfs_quote (text, len);
			mmapfs_set_error (error, EINVAL,
					  "path %s has a backslash that does not start a \\ooo "
					  "escape of three octal digits",
					  quoted);
			return NULL;
		}
		value = (guint) (text[i + 1] - '0') * 64 + (guint) (text[i + 2] - '0') * 8 +
			(guint) (text[i + 3] - '0');
		if (value == 0 || value > 255) {
			quoted = mmapfs_quote (text, len);
			mmapfs_set_error (error, EINVAL,
					  "path %s has an escape outside \\001 to \\377", quoted);
			return NULL;
		}
		g_string_append_c (out, (char) value);
		i += 3;
	}
	return g_string_free (g_steal_pointer (&out), FALSE);
}
