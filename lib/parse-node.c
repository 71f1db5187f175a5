/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one-line writes to the size, lock, advise, flush and move nodes.
 */
#include <errno.h>
#include <string.h>

#include "parse-private.h"

/*
 * The common first step of every node parser: checks that the buffer of
 * one write(2) is a single line of text, trims the blanks around it and
 * one trailing newline, and splits it into at most @max words (more is
 * EINVAL, with @usage as the sentence's advice). @node names the node for
 * the sentences.
 */
static gboolean
node_words (const char *node, const char *usage, const char *buf, gsize len, Word *words,
	    gsize max, gsize *out_n, GError **error)
{
	gsize start = 0;
	gsize n;

	g_return_val_if_fail (buf != NULL || len == 0, FALSE);

	if (buf == NULL)
		buf = "";
	if (len > MMAPFS_LINE_MAX) {
		mmapfs_set_error (error, EINVAL,
				  "the write to the %s node is too long: it has %" G_GSIZE_FORMAT
				  " bytes, at most %d are allowed",
				  node, len, MMAPFS_LINE_MAX);
		return FALSE;
	}
	if (memchr (buf, '\0', len) != NULL) {
		g_autofree char *quoted = mmapfs_quote (buf, len);

		mmapfs_set_error (error, EINVAL, "%s holds a NUL byte: the %s node takes text",
				  quoted, node);
		return FALSE;
	}

	while (len > 0 && is_blank (buf[len - 1]))
		len--;
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	while (len > 0 && is_blank (buf[len - 1]))
		len--;
	while (start < len && is_blank (buf[start]))
		start++;
	buf += start;
	len -= start;

	if (memchr (buf, '\n', len) != NULL) {
		g_autofree char *quoted = mmapfs_quote (buf, len);

		mmapfs_set_error (error, EINVAL,
				  "%s holds more than one line: write one line to the %s node",
				  quoted, node);
		return FALSE;
	}

	n = split_words (buf, len, words, max);
	if (n > max) {
		g_autofree char *quoted = mmapfs_quote (buf, len);

		mmapfs_set_error (error, EINVAL, "%s has too many words for the %s node: %s",
				  quoted, node, usage);
		return FALSE;
	}
	*out_n = n;
	return TRUE;
}

/* A node line that holds exactly one number; empty lines and extra words are EINVAL. */
static gboolean
node_number (const char *node, const char *usage, const char *buf, gsize len, guint64 *out_value,
	     GError **error)
{
	Word words[1];
	gsize n;

	if (!node_words (node, usage, buf, len, words, G_N_ELEMENTS (words), &n, error))
		return FALSE;
	if (n == 0) {
		mmapfs_set_error (error, EINVAL, "the %s node got an empty line: %s", node, usage);
		return FALSE;
	}
	return mmapfs_parse_number (words[0].text, words[0].len, out_value, error);
}

/**
 * mmapfs_parse_size_line:
 * @buf: (array length=len): what one write(2) to the size node held
 * @len: number of bytes at @buf
 * @out_size: (out): the new length of the mapping
 * @error: return location for an error
 *
 * Parses a write to the size node: one number (DESIGN §2.4), with
 * surrounding blanks and one trailing newline ignored.
 *
 * Returns: %TRUE on success. On failure, %FALSE with EINVAL for anything
 *   but one well-formed number, and for 0; EOVERFLOW for a number beyond
 *   64 bits.
 */
gboolean
mmapfs_parse_size_line (const char *buf, gsize len, guint64 *out_size, GError **error)
{
	guint64 size;

	g_return_val_if_fail (out_size != NULL, FALSE);

	if (!node_number ("size", "write one size, such as 8M or 0x1000", buf, len, &size, error))
		return FALSE;
	if (size == 0) {
		mmapfs_set_error (error, EINVAL, "a mapping cannot be resized to 0 bytes");
		return FALSE;
	}
	*out_size = size;
	return TRUE;
}

/**
 * mmapfs_parse_lock_line:
 * @buf: (array length=len): what one write(2) to the lock node held
 * @len: number of bytes at @buf
 * @out_lock: (out): %TRUE for `1` (mlock), %FALSE for `0` (munlock)
 * @error: return location for an error
 *
 * Parses a write to the lock node: one number, 0 or 1, in the number
 * grammar (so `0x1` locks), with surrounding blanks and one trailing
 * newline ignored.
 *
 * Returns: %TRUE on success; %FALSE with EOVERFLOW for a number beyond 64
 *   bits, EINVAL for anything else
 */
gboolean
mmapfs_parse_lock_line (const char *buf, gsize len, gboolean *out_lock, GError **error)
{
	static const char usage[] = "write 1 to lock the mapping or 0 to unlock it";
	guint64 value;

	g_return_val_if_fail (out_lock != NULL, FALSE);

	if (!node_number ("lock", usage, buf, len, &value, error))
		return FALSE;
	if (value > 1) {
		mmapfs_set_error (error, EINVAL,
				  "the lock node does not take %" G_GUINT64_FORMAT ": %s", value, usage);
		return FALSE;
	}
	*out_lock = value == 1;
	return TRUE;
}

/**
 * mmapfs_parse_advise_line:
 * @buf: (array length=len): what one write(2) to the advise node held
 * @len: number of bytes at @buf
 * @flags: passed to mmapfs_advice_from_string()
 * @out_request: (out caller-allocates): the request
 * @error: return location for an error
 *
 * Parses `ADVICE [START [LENGTH]]` (DESIGN §2.4): an advice name as
 * mmapfs_advice_from_string() takes it, then up to two numbers. START
 * defaults to 0; without LENGTH, @has_length is %FALSE and the advice
 * runs to the end. Whether the range fits the mapping is not checked here.
 *
 * Returns: %TRUE on success. On failure, %FALSE with EINVAL for an empty
 *   line, more than three words, a malformed number or an unknown advice;
 *   EOVERFLOW for a number beyond 64 bits; EOPNOTSUPP or EPERM from the
 *   advice name.
 */
gboolean
mmapfs_parse_advise_line (const char *buf, gsize len, MmapfsAdviceFlags flags,
			  MmapfsAdviseRequest *out_request, GError **error)
{
	static const char usage[] = "write ADVICE [START [LENGTH]], such as willneed or "
				    "\"dontneed 0 1M\"";
	MmapfsAdviseRequest request = { 0 };
	Word words[3];
	gsize n;

	g_return_val_if_fail (out_request != NULL, FALSE);

	if (!node_words ("advise", usage, buf, len, words, G_N_ELEMENTS (words), &n, error))
		return FALSE;
	if (n == 0) {
		mmapfs_set_error (error, EINVAL, "the advise node got an empty line: %s", usage);
		return FALSE;
	}
	if (!mmapfs_advice_from_string (words[0].text, words[0].len, flags, &request.advice, error))
		return FALSE;
	if (n >= 2 && !mmapfs_parse_number (words[1].text, words[1].len, &request.start, error))
		return FALSE;
	if (n == 3) {
		if (!mmapfs_parse_number (words[2].text, words[2].len, &request.length, error))
			return FALSE;
		request.has_length = TRUE;
	}
	*out_request = request;
	return TRUE;
}

/**
 * mmapfs_parse_flush_line:
 * @buf: (array length=len): what one write(2) to the flush node held
 * @len: number of bytes at @buf
 * @out_request: (out caller-allocates): the request
 * @error: return location for an error
 *
 * Parses `[OFFSET [SIZE [MODE]]]` (DESIGN §2.4). An empty line flushes
 * everything from offset 0; without SIZE, @has_size is %FALSE and the
 * flush runs to the end. MODE is `sync` (the default), `async` or
 * `invalidate`, in any case. The range is not checked here.
 *
 * Returns: %TRUE on success. On failure, %FALSE with EINVAL for more than
 *   three words, a malformed number or an unknown mode; EOVERFLOW for a
 *   number beyond 64 bits.
 */
gboolean
mmapfs_parse_flush_line (const char *buf, gsize len, MmapfsFlushRequest *out_request,
			 GError **error)
{
	static const char usage[] = "write [OFFSET [SIZE [sync|async|invalidate]]]";
	MmapfsFlushRequest request = { 0 };
	Word words[3];
	gsize n;

	g_return_val_if_fail (out_request != NULL, FALSE);

	if (!node_words ("flush", usage, buf, len, words, G_N_ELEMENTS (words), &n, error))
		return FALSE;
	if (n >= 1 && !mmapfs_parse_number (words[0].text, words[0].len, &request.offset, error))
		return FALSE;
	if (n >= 2) {
		if (!mmapfs_parse_number (words[1].text, words[1].len, &request.size, error))
			return FALSE;
		request.has_size = TRUE;
	}
	if (n == 3) {
		const Word *mode = &words[2];

		if (mode->len == 4 && g_ascii_strncasecmp (mode->text, "sync", 4) == 0) {
			request.flags = MMAPFS_FLUSH_SYNC;
		} else if (mode->len == 5 && g_ascii_strncasecmp (mode->text, "async", 5) == 0) {
			request.flags = MMAPFS_FLUSH_ASYNC;
		} else if (mode->len == 10 &&
			   g_ascii_strncasecmp (mode->text, "invalidate", 10) == 0) {
			request.flags = MMAPFS_FLUSH_INVALIDATE;
		} else {
			g_autofree char *quoted = mmapfs_quote (mode->text, mode->len);

			mmapfs_set_error (error, EINVAL,
					  "%s is not a flush mode: use sync, async or invalidate",
					  quoted);
			return FALSE;
		}
	}
	*out_request = request;
	return TRUE;
}

/**
 * mmapfs_parse_move_line:
 * @buf: (array length=len): what one write(2) to the move node held
 * @len: number of bytes at @buf
 * @out_request: (out caller-allocates): the request
 * @error: return location for an error
 *
 * Parses `DEST SRC COUNT` (DESIGN §2.4): exactly three numbers. The
 * ranges are not checked here.
 *
 * Returns: %TRUE on success. On failure, %FALSE with EINVAL for any other
 *   number of words or a malformed number; EOVERFLOW for a number beyond
 *   64 bits.
 */
gboolean
mmapfs_parse_move_line (const char *buf, gsize len, MmapfsMoveRequest *out_request,
			GError **error)
{
	static const char usage[] = "write three numbers, DEST SRC COUNT";
	MmapfsMoveRequest request = { 0 };
	Word words[3];
	gsize n;

	g_return_val_if_fail (out_request != NULL, FALSE);

	if (!node_words ("move", usage, buf, len, words, G_N_ELEMENTS (words), &n, error))
		return FALSE;
	if (n < 3) {
		g_autofree char *quoted = NULL;

		if (n == 0) {
			mmapfs_set_error (error, EINVAL, "the move node got an empty line: %s",
					  usage);
		} else {
			/* Quote from the first word to the end of the last one. */
			quoted = mmapfs_quote (words[0].text, (gsize) (words[n - 1].text +
								       words[n - 1].len -
								       words[0].text));
			mmapfs_set_error (error, EINVAL,
					  "%s has too few words for the move node: %s", quoted,
					  usage);
		}
		return FALSE;
	}
	if (!mmapfs_parse_number (words[0].text, words[0].len, &request.dest, error) ||
	    !mmapfs_parse_number (words[1].text, words[1].len, &request.src, error) ||
	    !mmapfs_parse_number (words[2].text, words[2].len, &request.count, error))
		return FALSE;
	*out_request = request;
	return TRUE;
}
