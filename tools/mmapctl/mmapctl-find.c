/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * find and rfind: search a mapping's bytes (by reading its `data` node,
 * as any client may) or a plain file's, with the start/end rules of
 * Python's mmap.find() and mmap.rfind(): negative bounds count from the
 * end, bounds are then clipped to 0..len, and an empty needle is found
 * at start (find) or at end (rfind), even when end < start, as CPython
 * 3.11 does.
 *
 * Plain needles are searched in chunks with an overlap of len-1 bytes,
 * so memory stays small whatever the mapping's size. A regular
 * expression (GRegex, raw bytes) needs its text in one piece, so the
 * range is read whole; `rfind --regex` reports the last of the
 * non-overlapping matches that a left-to-right search finds (what
 * Python's re.finditer() would give last).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmapctl-private.h"

#define SEARCH_CHUNK (1024 * 1024)

/* pread(2) until @count bytes or end of file; short only at end of file. */
static gssize
pread_full (int fd, guint8 *buf, gsize count, guint64 offset, GError **error)
{
	gsize done = 0;

	while (done < count) {
		ssize_t n = pread (fd, buf + done, count - done, (off_t) (offset + done));

		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			mmapfs_set_error (error, err, "%s", g_strerror (err));
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	return (gssize) done;
}

/* Searches [start, end) forward; -1 when absent, -2 on error. */
static gint64
search_forward (int fd, guint64 start, guint64 end, const guint8 *needle, gsize needle_len,
		GError **error)
{
	gsize overlap = needle_len - 1;
	g_autofree guint8 *buf = g_malloc (SEARCH_CHUNK + overlap);
	guint64 pos = start;

	while (end - pos >= needle_len) {
		gsize want = (gsize) MIN ((guint64) SEARCH_CHUNK + overlap, end - pos);
		gssize got = pread_full (fd, buf, want, pos, error);
		const guint8 *hit;

		if (got < 0)
			return -2;
		hit = memmem (buf, got, needle, needle_len);
		if (hit != NULL)
			return (gint64) (pos + (hit - buf));
		/* Short: the mapping ended early (it may have been resized). */
		if ((gsize) got < want || (gsize) got < needle_len)
			return -1;
		pos += got - overlap;
	}
	return -1;
}

/* Searches [start, end) backward; -1 when absent, -2 on error. */
static gint64
search_backward (int fd, guint64 start, guint64 end, const guint8 *needle, gsize needle_len,
		 GError **error)
{
	gsize overlap = needle_len - 1;
	g_autofree guint8 *buf = g_malloc (SEARCH_CHUNK + overlap);
	guint64 hi = end;

	while (hi - start >= needle_len) {
		guint64 lo = hi - start > (guint64) SEARCH_CHUNK + overlap ?
				     hi - SEARCH_CHUNK - overlap :
				     start;
		gssize got = pread_full (fd, buf, hi - lo, lo, error);
		const guint8 *hit;

		if (got < 0)
			return -2;
		hit = mmapfs_memrmem (buf, got, needle, needle_len);
		if (hit != NULL)
			return (gint64) (lo + (hit - buf));
		if (lo == start)
			return -1;
		/* The next window ends where a match across the edge would. */
		hi = lo + overlap;
	}
	return -1;
}

/* A hex needle: pairs of hex digits, optionally separated by blanks or colons. */
static GBytes *
parse_hex_needle (const char *text, GError **error)
{
	g_autoptr (GByteArray) bytes = g_byte_array_new ();
	const char *p = text;

	while (*p != '\0') {
		int hi, lo;
		guint8 byte;

		if (*p == ' ' || *p == ':') {
			p++;
			continue;
		}
		hi = g_ascii_xdigit_value (p[0]);
		lo = hi >= 0 ? g_ascii_xdigit_value (p[1]) : -1;
		if (hi < 0 || lo < 0) {
			g_set_error (error, USAGE_ERROR, EINVAL,
				     "--hex: \"%s\" is not pairs of hexadecimal digits", text);
			return NULL;
		}
		byte = (guint8) (hi * 16 + lo);
		g_byte_array_append (bytes, &byte, 1);
		p += 2;
	}
	return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

/* A bound of Python's find(): an optional minus sign, then a §2.4 number. */
static gboolean
parse_bound (const char *option, const char *text, gint64 *out_value, GError **error)
{
	gboolean negative = text[0] == '-';
	guint64 magnitude;

	if (!parse_number_arg (option, negative ? text + 1 : text, &magnitude, error))
		return FALSE;
	if (magnitude > (guint64) G_MAXINT64) {
		g_set_error (error, USAGE_ERROR, EOVERFLOW, "%s: %s is out of range", option, text);
		return FALSE;
	}
	*out_value = negative ? -(gint64) magnitude : (gint64) magnitude;
	return TRUE;
}

static gboolean
search_regex (int fd, guint64 start, guint64 end, GRegex *regex, gboolean reverse,
	      gint64 *out_index, gint64 *out_end, GError **error)
{
	gsize len = end > start ? (gsize) (end - start) : 0;
	g_autofree guint8 *buf = g_try_malloc (len + 1);
	g_autoptr (GMatchInfo) match = NULL;
	g_autoptr (GError) local_error = NULL;
	gssize got = 0;
	int match_start, match_end;

	*out_index = -1;
	*out_end = -1;
	if (buf == NULL) {
		mmapfs_set_error (error, ENOMEM,
				  "--regex: %zu bytes do not fit in memory; narrow the search with "
				  "--start and --end",
				  len);
		return FALSE;
	}
	if (len > 0) {
		got = pread_full (fd, buf, len, start, error);
		if (got < 0)
			return FALSE;
	}
	buf[got] = '\0';
	g_regex_match_full (regex, (const char *) buf, got, 0, 0, &match, &local_error);
	while (local_error == NULL && g_match_info_matches (match)) {
		g_match_info_fetch_pos (match, 0, &match_start, &match_end);
		*out_index = (gint64) start + match_start;
		*out_end = (gint64) start + match_end;
		if (!reverse)
			break;
		g_match_info_next (match, &local_error);
	}
	if (local_error != NULL) {
		mmapfs_set_error (error, EINVAL, "--regex: %s", local_error->message);
		return FALSE;
	}
	return TRUE;
}

static gboolean
search (CtlOptions *opts, char **args, gboolean reverse, GError **error)
{
	g_autoptr (CtlTarget) target = NULL;
	g_autoptr (GBytes) needle = NULL;
	g_autoptr (GRegex) regex = NULL;
	g_autofree char *data_path = NULL;
	gint64 start_bound = 0;
	gint64 end_bound = G_MAXINT64;
	guint64 len, start, end;
	gint64 index = -1, match_end = -1;
	gsize needle_len;
	struct stat st;
	int fd;

	if (opts->hex && opts->regex) {
		g_set_error (error, USAGE_ERROR, EINVAL, "--hex and --regex exclude each other");
		return FALSE;
	}
	if (opts->start != NULL && !parse_bound ("--start", opts->start, &start_bound, error))
		return FALSE;
	if (opts->end != NULL && !parse_bound ("--end", opts->end, &end_bound, error))
		return FALSE;
	if (opts->hex) {
		needle = parse_hex_needle (args[1], error);
		if (needle == NULL)
			return FALSE;
	} else if (opts->regex) {
		g_autoptr (GError) local_error = NULL;

		regex = g_regex_new (args[1], G_REGEX_RAW, 0, &local_error);
		if (regex == NULL) {
			g_set_error (error, USAGE_ERROR, EINVAL, "--regex: %s",
				     local_error->message);
			return FALSE;
		}
	} else {
		needle = g_bytes_new (args[1], strlen (args[1]));
	}

	target = ctl_target_resolve (args[0], error);
	if (target == NULL)
		return FALSE;
	if (target->kind == CTL_TARGET_MAPPING) {
		data_path = g_build_filename (target->dir, "data", NULL);
	} else if (target->kind == CTL_TARGET_FILE) {
		data_path = g_strdup (target->path);
	} else {
		mmapfs_set_error (error, EINVAL, "%s: neither a mapping nor a regular file",
				  target->shown);
		return FALSE;
	}

	fd = open (data_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		mmapfs_set_error (error, err, "%s: %s", target->shown, g_strerror (err));
		return FALSE;
	}
	/* A mapping's length is its size node, read afresh; a file's, fstat's. */
	if (target->kind == CTL_TARGET_MAPPING) {
		if (!mapping_read_u64 (target, "size", &len, error)) {
			close (fd);
			return FALSE;
		}
	} else if (fstat (fd, &st) == 0) {
		len = (guint64) st.st_size;
	} else {
		int err = errno;

		close (fd);
		mmapfs_set_error (error, err, "%s: %s", target->shown, g_strerror (err));
		return FALSE;
	}
	mmapfs_find_bounds (start_bound, end_bound, len, &start, &end);

	if (regex != NULL) {
		gboolean ok = search_regex (fd, start, end, regex, reverse, &index, &match_end,
					    error);

		close (fd);
		if (!ok) {
			g_prefix_error (error, "%s: ", target->shown);
			return FALSE;
		}
	} else {
		const guint8 *bytes = g_bytes_get_data (needle, &needle_len);

		if (needle_len == 0)
			index = (gint64) (reverse ? end : start);
		else if (end > start && end - start >= needle_len)
			index = reverse ? search_backward (fd, start, end, bytes, needle_len, error) :
					  search_forward (fd, start, end, bytes, needle_len, error);
		close (fd);
		if (index == -2) {
			g_prefix_error (error, "%s: ", target->shown);
			return FALSE;
		}
		if (index >= 0)
			match_end = index + (gint64) needle_len;
	}

	if (opts->json) {
		g_autoptr (JsonBuilder) builder = json_builder_new ();

		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "index");
		json_builder_add_int_value (builder, index);
		json_builder_set_member_name (builder, "end");
		if (index >= 0)
			json_builder_add_int_value (builder, match_end);
		else
			json_builder_add_null_value (builder);
		json_builder_end_object (builder);
		json_print (builder);
	} else {
		g_print ("%" G_GINT64_FORMAT "\n", index);
	}
	return TRUE;
}

gboolean
cmd_find (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	(void) n_args;
	return search (opts, args, FALSE, error);
}

gboolean
cmd_rfind (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	(void) n_args;
	return search (opts, args, TRUE, error);
}
