/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the parsers of client text share (DESIGN §2.1, §2.4): the quoting
 * of client bytes in an error sentence, and the splitting of a line into
 * blank-separated words. The parsers themselves live one topic per file:
 * numbers (parse-number.c), mapping names and escaped paths
 * (parse-name.c), `.control` commands and the `--map`/`--anon` option
 * values (parse-command.c), and the one-line writes to the size, lock,
 * advise, flush and move nodes (parse-node.c).
 *
 * All input is a byte buffer with an explicit length that may hold any
 * byte, NUL included, and may come straight from a hostile write(2): the
 * parsers never read past it, never trust it to be NUL-terminated, and
 * name it in their error sentences only after escaping and truncating it.
 * Outputs are written only once the whole input has been accepted, so a
 * failed parse leaves the caller's structure as it was.
 */
#include <errno.h>
#include <string.h>

#include "parse-private.h"

/* Bytes of client text quoted in a sentence before it is cut short. */
#define QUOTE_MAX 64

/*
 * mmapfs_quote:
 * @text: (array length=len): client bytes, any values
 * @len: number of bytes at @text
 *
 * Renders client text for an error sentence: in double quotes, with
 * quotes, backslashes, control bytes and non-ASCII bytes escaped as C
 * does (`\n`, `\t`, `\r`, `\"`, `\\`, else `\ooo`), and cut after
 * QUOTE_MAX bytes with `...` after the closing quote. The escaping keeps
 * a log line one line and keeps terminal control sequences out of it.
 *
 * Returns: (transfer full): the quoted text
 */
char *
mmapfs_quote (const char *text, gsize len)
{
	gsize shown = MIN (len, QUOTE_MAX);
	GString *out = g_string_sized_new (shown + 8);

	g_string_append_c (out, '"');
	for (gsize i = 0; i < shown; i++) {
		guchar c = (guchar) text[i];

		switch (c) {
		case '"':
			g_string_append (out, "\\\"");
			break;
		case '\\':
			g_string_append (out, "\\\\");
			break;
		case '\n':
			g_string_append (out, "\\n");
			break;
		case '\t':
			g_string_append (out, "\\t");
			break;
		case '\r':
			g_string_append (out, "\\r");
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				g_string_append_c (out, (char) c);
			else
				g_string_append_printf (out, "\\%03o", c);
			break;
		}
	}
	g_string_append_c (out, '"');
	if (len > shown)
		g_string_append (out, "...");
	return g_string_free (out, FALSE);
}

/* Words are separated by blanks, as in /proc/mounts: spaces and tabs. */
gboolean
is_blank (char c)
{
	return c == ' ' || c == '\t';
}

gboolean
word_equal (const Word *word, const char *literal)
{
	return word->len == strlen (literal) && memcmp (word->text, literal, word->len) == 0;
}

/*
 * Splits @len bytes at @text into blank-separated words, storing at most
 * @max of them. Returns the number of words there are, which may exceed
 * @max: callers reject such lines before looking at the words.
 */
gsize
split_words (const char *text, gsize len, Word *words, gsize max)
{
	gsize n = 0;
	gsize i = 0;

	while (i < len) {
		gsize start;

		while (i < len && is_blank (text[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_blank (text[i]))
			i++;
		if (n < max) {
			words[n].text = text + start;
			words[n].len = i - start;
		}
		n++;
	}
	return n;
}
