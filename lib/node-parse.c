/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The inverse parsers of the node texts: `info`, `resident`, the advise
 * menu and the `.control` outcome, read back exactly as the library
 * renders them (region-info.c, advice.c, node.c).
 *
 * They are strict on purpose. A client that reads a node and finds text
 * it cannot account for is talking to something other than the daemon it
 * was built for, and saying so beats guessing: every departure from the
 * rendered form is EINVAL, with a sentence that quotes the offending line.
 */
#include <errno.h>
#include <string.h>

#include "mmapfs-private.h"

/* The largest errno the kernel hands out (its MAX_ERRNO). */
#define ERRNO_MAX 4095

/*
 * Checks what every node text shares: it is not empty, holds no NUL byte
 * (the values come back as C strings) and ends in a newline.
 */
static gboolean
check_text (const char *what, const char *text, gsize len, GError **error)
{
	if (len == 0) {
		mmapfs_set_error (error, EINVAL, "the %s text is empty", what);
		return FALSE;
	}
	if (memchr (text, '\0', len) != NULL) {
		mmapfs_set_error (error, EINVAL, "the %s text holds a NUL byte", what);
		return FALSE;
	}
	if (text[len - 1] != '\n') {
		mmapfs_set_error (error, EINVAL, "the %s text does not end in a newline", what);
		return FALSE;
	}
	return TRUE;
}

/*
 * Fails on line @line_no (from 1) of a node text, quoting it inside the
 * sentence: a long line is cut with "...", which must not end it.
 */
static void
fail_line (GError **error, const char *what, guint line_no, const char *line, gsize len,
	   const char *expected)
{
	g_autofree char *quoted = mmapfs_quote (line, len);

	mmapfs_set_error (error, EINVAL, "line %u of the %s text, %s, is not %s", line_no, what,
			  quoted, expected);
}

/*
 * Reads a decimal number as the renderers print it (`%zu`): one or more
 * digits, nothing else, no overflow. Advances @p past it.
 */
static gboolean
read_decimal (const char **p, const char *end, guint64 *out_value)
{
	guint64 value = 0;
	const char *q = *p;

	if (q == end || !g_ascii_isdigit (*q))
		return FALSE;
	for (; q < end && g_ascii_isdigit (*q); q++) {
		guint digit = (guint) (*q - '0');

		if (value > (G_MAXUINT64 - digit) / 10)
			return FALSE;
		value = value * 10 + digit;
	}
	*p = q;
	*out_value = value;
	return TRUE;
}

/* Whether @len bytes at @text are all decimal digits, and some. */
static gboolean
read_whole_decimal (const char *text, gsize len, guint64 *out_value)
{
	const char *p = text;

	return read_decimal (&p, text + len, out_value) && p == text + len;
}

/* Whether @c may appear in an info key or an advice name. */
static gboolean
is_name_char (char c)
{
	return g_ascii_islower (c) || g_ascii_isdigit (c) || c == '_';
}

static gboolean
is_name (const char *text, gsize len)
{
	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!is_name_char (text[i]))
			return FALSE;
	}
	return TRUE;
}

/* ---------------------------------------------------------------------- */
/* info                                                                   */
/* ---------------------------------------------------------------------- */

struct _MmapfsNodeInfo {
	GPtrArray *keys;    /* the keys in order, owned, NULL-terminated */
	GHashTable *values; /* key (borrowed from @keys) -> value (owned) */
};

/**
 * mmapfs_node_info_free:
 * @info: (nullable) (transfer full): parsed info
 *
 * Frees @info and everything it holds.
 */
void
mmapfs_node_info_free (MmapfsNodeInfo *info)
{
	if (info == NULL)
		return;
	g_hash_table_unref (info->values);
	g_ptr_array_unref (info->keys);
	g_free (info);
}

/**
 * mmapfs_node_info_parse:
 * @text: (array length=len): the text of an `info` node; need not be
 *   NUL-terminated
 * @len: number of bytes at @text
 * @error: return location for an error
 *
 * Parses the `key: value` lines that mmapfs_region_format_info() renders
 * (DESIGN §2.6): each line is a key of lower-case letters, digits and
 * underscores, a colon and one space, and the value, which runs to the
 * end of the line and may be empty. Keys the parser does not know are
 * kept like the others, since new keys may be added.
 *
 * Returns: (transfer full): the keys and values, or %NULL with EINVAL
 *   (empty text, a NUL byte, no final newline, a line of another form,
 *   or a key given twice)
 */
MmapfsNodeInfo *
mmapfs_node_info_parse (const char *text, gsize len, GError **error)
{
	g_autoptr (MmapfsNodeInfo) info = NULL;
	const char *end = text + len;
	guint line_no = 0;

	g_return_val_if_fail (text != NULL || len == 0, NULL);

	if (!check_text ("info", text, len, error))
		return NULL;

	info = g_new0 (MmapfsNodeInfo, 1);
	info->keys = g_ptr_array_new_with_free_func (g_free);
	info->values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

	for (const char *line = text; line < end;) {
		const char *nl = memchr (line, '\n', (gsize) (end - line));
		gsize line_len = (gsize) (nl - line);
		const char *sep = g_strstr_len (line, (gssize) line_len, ": ");
		char *key;

		line_no++;
		if (sep == NULL || !is_name (line, (gsize) (sep - line))) {
			fail_line (error, "info", line_no, line, line_len, "a \"key: value\" line");
			return NULL;
		}
		key = g_strndup (line, (gsize) (sep - line));
		if (g_hash_table_contains (info->values, key)) {
			mmapfs_set_error (error, EINVAL, "key %s appears twice in the info text",
					  key);
			g_free (key);
			return NULL;
		}
		g_ptr_array_add (info->keys, key);
		g_hash_table_insert (info->values, key, g_strndup (sep + 2, (gsize) (nl - sep - 2)));
		line = nl + 1;
	}
	/* The key list doubles as a NULL-terminated array for the caller. */
	g_ptr_array_add (info->keys, NULL);
	return g_steal_pointer (&info);
}

/**
 * mmapfs_node_info_get_keys:
 * @info: parsed info
 *
 * Returns: (transfer none) (array zero-terminated=1): the keys, in the
 *   order of the text
 */
const char *const *
mmapfs_node_info_get_keys (const MmapfsNodeInfo *info)
{
	g_return_val_if_fail (info != NULL, NULL);
	return (const char *const *) info->keys->pdata;
}

/**
 * mmapfs_node_info_get:
 * @info: parsed info
 * @key: a key, such as "length"
 *
 * Returns: (transfer none) (nullable): the value of @key, or %NULL when
 *   the text has no such key
 */
const char *
mmapfs_node_info_get (const MmapfsNodeInfo *info, const char *key)
{
	g_return_val_if_fail (info != NULL, NULL);
	g_return_val_if_fail (key != NULL, NULL);
	return g_hash_table_lookup (info->values, key);
}

/**
 * mmapfs_node_info_get_uint64:
 * @info: parsed info
 * @key: a key whose value is a count or a size, such as "length"
 * @out_value: (out): the value
 * @error: return location for an error
 *
 * Reads a numeric value as the `info` node prints it: decimal digits only.
 *
 * Returns: %TRUE, or %FALSE with ENOENT (no such key) or EINVAL (the value
 *   is not a decimal number of 64 bits, such as `none`)
 */
gboolean
mmapfs_node_info_get_uint64 (const MmapfsNodeInfo *info, const char *key, guint64 *out_value,
			     GError **error)
{
	const char *value;

	g_return_val_if_fail (info != NULL, FALSE);
	g_return_val_if_fail (key != NULL, FALSE);
	g_return_val_if_fail (out_value != NULL, FALSE);

	value = mmapfs_node_info_get (info, key);
	if (value == NULL) {
		mmapfs_set_error (error, ENOENT, "the info text has no key %s", key);
		return FALSE;
	}
	if (!read_whole_decimal (value, strlen (value), out_value)) {
		g_autofree char *quoted = mmapfs_quote (value, strlen (value));

		mmapfs_set_error (error, EINVAL, "info key %s is %s, not a number", key, quoted);
		return FALSE;
	}
	return TRUE;
}

/* ---------------------------------------------------------------------- */
/* resident                                                               */
/* ---------------------------------------------------------------------- */

/* Reads one `FIRST-LAST` or `N` line into @run. */
static gboolean
read_run (const char *line, gsize len, MmapfsResidentRun *run)
{
	const char *p = line;
	const char *end = line + len;

	if (!read_decimal (&p, end, &run->first))
		return FALSE;
	run->last = run->first;
	if (p == end)
		return TRUE;
	if (*p != '-')
		return FALSE;
	p++;
	return read_decimal (&p, end, &run->last) && p == end;
}

/**
 * mmapfs_node_parse_resident:
 * @text: (array length=len): the text of a `resident` node
 * @len: number of bytes at @text
 * @out_resident: (out) (optional): R, the number of resident pages
 * @out_total: (out) (optional): T, the number of pages of the mapping
 * @out_runs: (out) (optional) (transfer full) (element-type MmapfsResidentRun):
 *   the runs of resident pages, ascending
 * @error: return location for an error
 *
 * Parses what mmapfs_region_format_resident() renders (DESIGN §2.5): a
 * first line `R/T pages resident`, then one `FIRST-LAST` line of page
 * indices, inclusive, per run of resident pages; a lone `N` is taken as
 * the run `N-N`. The runs must ascend without overlapping, lie inside
 * the T pages and add up to R.
 *
 * Returns: %TRUE, or %FALSE with EINVAL for any other text
 */
gboolean
mmapfs_node_parse_resident (const char *text, gsize len, guint64 *out_resident,
			    guint64 *out_total, GArray **out_runs, GError **error)
{
	static const char header_tail[] = " pages resident\n";
	g_autoptr (GArray) runs = NULL;
	const char *end = text + len;
	const char *p = text;
	guint64 resident, total, counted = 0;
	guint line_no = 1;

	g_return_val_if_fail (text != NULL || len == 0, FALSE);

	if (!check_text ("resident", text, len, error))
		return FALSE;
	if (!read_decimal (&p, end, &resident) || p == end || *p++ != '/' ||
	    !read_decimal (&p, end, &total) || (gsize) (end - p) < strlen (header_tail) ||
	    memcmp (p, header_tail, strlen (header_tail)) != 0 || resident > total) {
		const char *nl = memchr (text, '\n', len);

		fail_line (error, "resident", 1, text, (gsize) (nl - text),
			   "an \"R/T pages resident\" line with R at most T");
		return FALSE;
	}
	p += strlen (header_tail);

	runs = g_array_new (FALSE, FALSE, sizeof (MmapfsResidentRun));
	while (p < end) {
		const char *nl = memchr (p, '\n', (gsize) (end - p));
		gsize line_len = (gsize) (nl - p);
		MmapfsResidentRun run;

		line_no++;
		/* Each run starts after the last page of the one before it. */
		if (!read_run (p, line_len, &run) || run.last < run.first || run.last >= total ||
		    (runs->len > 0 &&
		     run.first <= g_array_index (runs, MmapfsResidentRun, runs->len - 1).last)) {
			fail_line (error, "resident", line_no, p, line_len,
				   "a FIRST-LAST run of pages after the previous run and "
				   "inside the mapping");
			return FALSE;
		}
		counted += run.last - run.first + 1;
		g_array_append_val (runs, run);
		p = nl + 1;
	}
	if (counted != resident) {
		mmapfs_set_error (error, EINVAL,
				  "the resident text counts %" G_GUINT64_FORMAT
				  " resident pages but its runs hold %" G_GUINT64_FORMAT,
				  resident, counted);
		return FALSE;
	}

	if (out_resident != NULL)
		*out_resident = resident;
	if (out_total != NULL)
		*out_total = total;
	if (out_runs != NULL)
		*out_runs = g_steal_pointer (&runs);
	return TRUE;
}

/* ---------------------------------------------------------------------- */
/* The advise menu                                                        */
/* ---------------------------------------------------------------------- */

/**
 * mmapfs_node_parse_advise_menu:
 * @text: (array length=len): the text of an advise node
 * @len: number of bytes at @text
 * @out_pattern: (out) (optional) (transfer full): the access pattern in
 *   effect, the name in brackets, such as "normal"
 * @out_names: (out) (optional) (transfer full): every advice of the menu,
 *   in its order, the bracketed one included without its brackets
 * @error: return location for an error
 *
 * Parses the line that mmapfs_advice_menu() renders and the advise node
 * serves (DESIGN §2.4): lower-case advice names separated by single
 * spaces, exactly one of them, an access pattern, in brackets, and a
 * final newline.
 *
 * Returns: %TRUE, or %FALSE with EINVAL for any other text
 */
gboolean
mmapfs_node_parse_advise_menu (const char *text, gsize len, char **out_pattern, GStrv *out_names,
			       GError **error)
{
	g_autoptr (GPtrArray) names = NULL;
	g_autofree char *pattern = NULL;
	const char *end;

	g_return_val_if_fail (text != NULL || len == 0, FALSE);

	if (!check_text ("advise menu", text, len, error))
		return FALSE;
	end = text + len - 1;
	if (memchr (text, '\n', (gsize) (end - text)) != NULL) {
		mmapfs_set_error (error, EINVAL, "the advise menu text is more than one line");
		return FALSE;
	}

	names = g_ptr_array_new_with_free_func (g_free);
	for (const char *word = text; word <= end;) {
		const char *stop = memchr (word, ' ', (gsize) (end - word));
		gsize word_len;
		gboolean bracketed;

		if (stop == NULL)
			stop = end;
		word_len = (gsize) (stop - word);
		bracketed = word_len >= 2 && word[0] == '[' && word[word_len - 1] == ']';
		if (bracketed) {
			word++;
			word_len -= 2;
		}
		if (!is_name (word, word_len)) {
			g_autofree char *quoted =
				mmapfs_quote (bracketed ? word - 1 : word,
					      bracketed ? word_len + 2 : word_len);

			mmapfs_set_error (error, EINVAL,
					  "the advise menu holds %s, which is not an advice name",
					  quoted);
			return FALSE;
		}
		g_ptr_array_add (names, g_strndup (word, word_len));
		if (bracketed) {
			int advice;

			if (pattern != NULL) {
				mmapfs_set_error (error, EINVAL,
						  "the advise menu brackets more than one advice");
				return FALSE;
			}
			pattern = g_strndup (word, word_len);
			if (!mmapfs_advice_from_string (pattern, word_len, MMAPFS_ADVICE_NONE,
							&advice, NULL) ||
			    !mmapfs_advice_is_pattern (advice)) {
				mmapfs_set_error (error, EINVAL,
						  "the advise menu brackets %s, which is not an "
						  "access pattern",
						  pattern);
				return FALSE;
			}
		}
		/* One space between words: an empty word fails above. */
		word = stop + 1;
	}
	if (pattern == NULL) {
		mmapfs_set_error (error, EINVAL, "the advise menu brackets no access pattern");
		return FALSE;
	}

	if (out_pattern != NULL)
		*out_pattern = g_steal_pointer (&pattern);
	if (out_names != NULL) {
		g_ptr_array_add (names, NULL);
		*out_names = (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
	}
	return TRUE;
}

/* ---------------------------------------------------------------------- */
/* The `.control` outcome                                                 */
/* ---------------------------------------------------------------------- */

/* The errno that mmapfs_errno_name() names @len bytes at @name, or 0. */
static int
errno_from_name (const char *name, gsize len)
{
	for (int errnum = 1; errnum <= ERRNO_MAX; errnum++) {
		const char *known = strerrorname_np (errnum);

		if (known != NULL && strlen (known) == len && memcmp (known, name, len) == 0)
			return errnum;
	}
	return 0;
}

/**
 * mmapfs_node_parse_outcome:
 * @text: (array length=len): what a read of `.control` returned after a
 *   write on the same open
 * @len: number of bytes at @text
 * @error: return location for an error: the daemon's, or EINVAL
 *
 * Reads the outcome that mmapfs_node_format_outcome() renders (DESIGN
 * §2.1): `ok` for success, or `error: ENAME: sentence` for a failure,
 * then a newline. A failure becomes a MMAPFS_ERROR whose code is the
 * errno ENAME names and whose message is the sentence, so that a client
 * reports exactly what the daemon said.
 *
 * Returns: %TRUE for `ok`; %FALSE with the daemon's errno and sentence
 *   for an `error:` line, or with EINVAL for text of any other form or an
 *   ENAME that names no errno
 */
gboolean
mmapfs_node_parse_outcome (const char *text, gsize len, GError **error)
{
	static const char prefix[] = "error: ";
	const char *body;
	const char *sep;
	gsize body_len;
	int errnum;

	g_return_val_if_fail (text != NULL || len == 0, FALSE);

	if (!check_text ("outcome", text, len, error))
		return FALSE;
	if (len == 3 && memcmp (text, "ok\n", 3) == 0)
		return TRUE;

	body = text + strlen (prefix);
	body_len = len - 1 - strlen (prefix);
	sep = len > strlen (prefix) && memcmp (text, prefix, strlen (prefix)) == 0
		      ? g_strstr_len (body, (gssize) body_len, ": ")
		      : NULL;
	/* One line, with a name and a sentence that are not empty. */
	if (memchr (text, '\n', len - 1) != NULL || sep == NULL || sep == body ||
	    (gsize) (sep + 2 - body) >= body_len) {
		g_autofree char *quoted = mmapfs_quote (text, len - 1);

		mmapfs_set_error (error, EINVAL,
				  "the outcome %s is neither \"ok\" nor \"error: ENAME: sentence\"",
				  quoted);
		return FALSE;
	}
	errnum = errno_from_name (body, (gsize) (sep - body));
	if (errnum == 0) {
		g_autofree char *quoted = mmapfs_quote (body, (gsize) (sep - body));

		mmapfs_set_error (error, EINVAL, "the outcome names %s, which is not an errno",
				  quoted);
		return FALSE;
	}
	mmapfs_set_error (error, errnum, "%.*s", (int) (body_len - (gsize) (sep + 2 - body)),
			  sep + 2);
	return FALSE;
}
