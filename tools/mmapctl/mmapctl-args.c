/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The number and range grammar of mmapctl's command line (DESIGN §2.4,
 * through libmmapfs's own parser so that mmapctl and the daemon agree on
 * every number), and the checks on words passed on to the daemon.
 */
#include <errno.h>
#include <string.h>

#include "mmapctl-private.h"

/**
 * parse_number_arg:
 * @what: what the number is, for the message ("START", "--offset")
 * @text: the word from the command line
 * @out_value: (out): the value
 * @error: return location for a usage error
 *
 * Parses with the grammar of DESIGN §2.4 (libmmapfs's parser, so the
 * rules are exactly the daemon's).
 *
 * Returns: %TRUE on success
 */
gboolean
parse_number_arg (const char *what, const char *text, guint64 *out_value, GError **error)
{
	g_autoptr (GError) local_error = NULL;

	if (!mmapfs_parse_number (text, strlen (text), out_value, &local_error)) {
		g_set_error (error, USAGE_ERROR, local_error->code, "%s: %s", what,
			     local_error->message);
		return FALSE;
	}
	return TRUE;
}

/**
 * parse_range_arg:
 * @text: `START:LENGTH`, `START:` or `START`
 * @out_range: (out): the range
 * @error: return location for a usage error
 *
 * A missing LENGTH means "to the end", as for the advise and flush nodes.
 *
 * Returns: %TRUE on success
 */
gboolean
parse_range_arg (const char *text, Range *out_range, GError **error)
{
	const char *colon = strchr (text, ':');
	g_autofree char *start = g_strndup (text, colon != NULL ? (gsize) (colon - text)
							    : strlen (text));
	Range range = { .given = TRUE };

	if (!parse_number_arg ("START of the range", start, &range.start, error))
		return FALSE;
	if (colon != NULL && colon[1] != '\0') {
		if (!parse_number_arg ("LENGTH of the range", colon + 1, &range.length, error))
			return FALSE;
		if (range.length == 0) {
			g_set_error (error, USAGE_ERROR, EINVAL,
				     "range \"%s\": LENGTH must not be 0", text);
			return FALSE;
		}
		range.has_length = TRUE;
	}
	*out_range = range;
	return TRUE;
}

/**
 * check_one_word:
 * @what: what the word is, for the message
 * @text: a word mmapctl passes on to the daemon as it is
 * @error: return location for a usage error
 *
 * Words mmapctl forwards into a node's line must stay one word, or they
 * would change the line's meaning.
 *
 * Returns: %TRUE when @text is one word without control characters
 */
gboolean
check_one_word (const char *what, const char *text, GError **error)
{
	if (*text == '\0') {
		g_set_error (error, USAGE_ERROR, EINVAL, "%s must not be empty", what);
		return FALSE;
	}
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == ' ' || g_ascii_iscntrl (*p)) {
			g_autofree char *shown = g_strescape (text, NULL);

			g_set_error (error, USAGE_ERROR, EINVAL,
				     "%s must be one word without blanks, not \"%s\"", what, shown);
			return FALSE;
		}
	}
	return TRUE;
}

char *
format_size (guint64 bytes)
{
	return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}
