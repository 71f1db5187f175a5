/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The part of MmapfsRegion that mirrors Python's mmap object method by
 * method: the file-like methods that use the region's own position (read,
 * readline, write, seek, ...), find/rfind and regex search with Python's
 * bound rules, and indexing and slices. Each follows CPython 3.11's order
 * of checks, so the same bad call fails the same way.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region-private.h"

/*
 * One byte-string search, run under the SIGBUS guard: the haystack is
 * mapped memory that a truncation of the backing file could take away.
 */
typedef struct {
	const guint8 *hay;
	gsize hay_len;
	const guint8 *needle;
	gsize needle_len;
	gboolean reverse;
	gssize found; /* out: index in hay, or -1 */
} Search;

/**
 * mmapfs_memrmem:
 * @hay: (array length=hay_len): bytes to search
 * @hay_len: their length
 * @needle: (array length=needle_len): bytes to look for
 * @needle_len: their length
 *
 * The reverse of memmem(3): finds the last occurrence of @needle in @hay.
 * As Python's rfind() does, an empty @needle is found at the end of
 * @hay. It touches only the bytes given, so callers that search mapped
 * memory may run it under their own fault handling.
 *
 * Returns: (transfer none) (nullable): the start of the last occurrence,
 *   @hay + @hay_len for an empty @needle, or %NULL when @needle is absent
 */
const void *
mmapfs_memrmem (const void *hay, gsize hay_len, const void *needle, gsize needle_len)
{
	const guint8 *h = hay;
	const guint8 *n = needle;
	gsize limit;

	g_return_val_if_fail (hay != NULL || hay_len == 0, NULL);
	g_return_val_if_fail (needle != NULL || needle_len == 0, NULL);

	if (needle_len == 0)
		return h + hay_len;
	if (hay_len < needle_len)
		return NULL;
	/* Candidates are the first bytes of the needle, taken from the end. */
	limit = hay_len - needle_len + 1;
	while (limit > 0) {
		const guint8 *p = memrchr (h, n[0], limit);

		if (p == NULL)
			return NULL;
		if (memcmp (p, n, needle_len) == 0)
			return p;
		limit = (gsize) (p - h);
	}
	return NULL;
}

static void
search_func (gpointer data)
{
	Search *search = data;
	const guint8 *hit;

	if (search->reverse)
		hit = mmapfs_memrmem (search->hay, search->hay_len, search->needle,
				      search->needle_len);
	else
		hit = memmem (search->hay, search->hay_len, search->needle, search->needle_len);
	search->found = hit != NULL ? hit - search->hay : -1;
}

/* ---------------------------------------------------------------------- */
/* The file-like surface                                                  */
/* ---------------------------------------------------------------------- */

/**
 * mmapfs_region_read:
 * @self: a region
 * @n: bytes to read; negative (or more than remain) reads to the end
 * @error: return location for an error
 *
 * Reads from the position and advances it, like Python's `read([n])`.
 * At or past the end it returns empty bytes.
 *
 * Returns: (transfer full): the bytes, or %NULL with EBADF (closed) or EIO
 *   (the backing file was truncated under them)
 */
GBytes *
mmapfs_region_read (MmapfsRegion *self, gint64 n, GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;
	gsize remaining;
	GBytes *bytes;

	g_return_val_if_fail (self != NULL, NULL);
	locker = g_rw_lock_writer_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return NULL;

	remaining = self->pos < self->length ? self->length - self->pos : 0;
	if (n < 0 || (guint64) n > remaining)
		n = (gint64) remaining;
	bytes = region_copy_out (self, self->pos, (gsize) n, error);
	if (bytes != NULL)
		self->pos += (gsize) n;
	return bytes;
}

/**
 * mmapfs_region_read_byte:
 * @self: a region
 * @error: return location for an error
 *
 * Reads one byte at the position and advances it, like `read_byte()`.
 *
 * Returns: the byte (0–255), or -1 with EINVAL (at or past the end),
 *   EBADF or EIO
 */
gint
mmapfs_region_read_byte (MmapfsRegion *self, GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;
	guint8 byte;

	g_return_val_if_fail (self != NULL, -1);
	locker = g_rw_lock_writer_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return -1;
	if (self->pos >= self->length) {
		region_fail (self, error, EINVAL, "read_byte at position %zu is past the end (%zu)",
			     self->pos, self->length);
		return -1;
	}
	if (!mmapfs_guard_copy (&byte, self->data + self->pos, 1, FALSE)) {
		region_fail_truncated (self, error);
		return -1;
	}
	region_stat_add (&self->stats.reads, 1);
	region_stat_add (&self->stats.bytes_read, 1);
	self->pos++;
	return byte;
}

/**
 * mmapfs_region_readline:
 * @self: a region
 * @error: return location for an error
 *
 * Reads from the position up to and including the next newline (or to
 * the end), and advances the position, like `readline()`.
 *
 * Returns: (transfer full): the line, empty at the end, or %NULL with
 *   EBADF or EIO
 */
GBytes *
mmapfs_region_readline (MmapfsRegion *self, GError **error)
{
	Search search = { .needle = (const guint8 *) "\n", .needle_len = 1 };
	g_autoptr (GRWLockWriterLocker) locker = NULL;
	gsize remaining;
	gsize n;
	GBytes *bytes;

	g_return_val_if_fail (self != NULL, NULL);
	locker = g_rw_lock_writer_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return NULL;

	remaining = self->pos < self->length ? self->length - self->pos : 0;
	search.hay = self->data + self->pos;
	search.hay_len = remaining;
	if (!mmapfs_guard_run (search_func, &search)) {
		region_fail_truncated (self, error);
		return NULL;
	}
	n = search.found >= 0 ? (gsize) search.found + 1 : remaining;
	bytes = region_copy_out (self, self->pos, n, error);
	if (bytes != NULL)
		self->pos += n;
	return bytes;
}

/**
 * mmapfs_region_write:
 * @self: a region
 * @data: (array length=count): bytes to write
 * @count: how many
 * @error: return location for an error
 *
 * Writes at the position and advances it, like Python's `write()`: all
 * or nothing, never past the end.
 *
 * Returns: @count, or -1 with EACCES (read mapping), EINVAL (the bytes
 *   would run past the end; nothing is written, the position stays),
 *   EBADF or EIO
 */
gssize
mmapfs_region_write (MmapfsRegion *self, const void *data, gsize count, GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, -1);
	g_return_val_if_fail (data != NULL || count == 0, -1);
	locker = g_rw_lock_writer_locker_new (&self->lock);
	if (!region_check_open (self, error) || !region_check_writable (self, error))
		return -1;
	if (self->pos > self->length || self->length - self->pos < count) {
		region_fail (self, error, EINVAL,
			     "writing %zu bytes at position %zu runs past the end of the mapping (%zu)",
			     count, self->pos, self->length);
		return -1;
	}
	if (!region_copy_in (self, self->pos, data, count, error))
		return -1;
	self->pos += count;
	return (gssize) count;
}

/**
 * mmapfs_region_write_byte:
 * @self: a region
 * @byte: the byte
 * @error: return location for an error
 *
 * Writes one byte at the position and advances it, like `write_byte()`.
 *
 * Returns: %TRUE, or %FALSE with EACCES, EINVAL (at or past the end),
 *   EBADF or EIO
 */
gboolean
mmapfs_region_write_byte (MmapfsRegion *self, guint8 byte, GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, FALSE);
	locker = g_rw_lock_writer_locker_new (&self->lock);
	if (!region_check_open (self, error) || !region_check_writable (self, error))
		return FALSE;
	if (self->pos >= self->length) {
		region_fail (self, error, EINVAL, "write_byte at position %zu is past the end (%zu)",
			     self->pos, self->length);
		return FALSE;
	}
	if (!region_copy_in (self, self->pos, &byte, 1, error))
		return FALSE;
	self->pos++;
	return TRUE;
}

/**
 * mmapfs_region_seek:
 * @self: a region
 * @pos: the offset
 * @whence: 0 (from the start), 1 (from the position) or 2 (from the end)
 * @error: return location for an error
 *
 * Moves the position, like Python's `seek()`. The target must lie within
 * 0..length, the end included.
 *
 * Returns: %TRUE, or %FALSE with EINVAL (unknown @whence, or a target
 *   outside the mapping; the position stays) or EBADF
 */
gboolean
mmapfs_region_seek (MmapfsRegion *self, gint64 pos, int whence, GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker = NULL;
	gint64 base;
	gint64 where;

	g_return_val_if_fail (self != NULL, FALSE);
	locker = g_rw_lock_writer_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return FALSE;

	switch (whence) {
	case 0:
		base = 0;
		break;
	case 1:
		base = (gint64) self->pos;
		break;
	case 2:
		base = (gint64) self->length;
		break;
	default:
		region_fail (self, error, EINVAL, "unknown seek whence %d: use 0, 1 or 2", whence);
		return FALSE;
	}
	if (__builtin_add_overflow (base, pos, &where) || where < 0 ||
	    (guint64) where > self->length) {
		region_fail (self, error, EINVAL, "seek target is outside the mapping (0..%zu)",
			     self->length);
		return FALSE;
	}
	self->pos = (gsize) where;
	return TRUE;
}

/**
 * mmapfs_region_tell:
 * @self: a region
 * @error: return location for an error
 *
 * Returns: the position, or -1 with EBADF
 */
gssize
mmapfs_region_tell (MmapfsRegion *self, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, -1);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return -1;
	return (gssize) self->pos;
}

/* ---------------------------------------------------------------------- */
/* Searching                                                              */
/* ---------------------------------------------------------------------- */

/* Python's rule for one bound: negative counts from the end, then clip to 0..@length. */
static guint64
clip_bound (gint64 bound, guint64 length)
{
	if (bound < 0) {
		/* -bound, written so that G_MININT64 does not overflow. */
		guint64 back = (guint64) (-(bound + 1)) + 1;

		return back >= length ? 0 : length - back;
	}
	return MIN ((guint64) bound, length);
}

/**
 * mmapfs_find_bounds:
 * @start: first index of the slice, negative to count from the end, or
 *   %MMAPFS_UNSET for 0
 * @end: index after the slice, negative to count from the end, or
 *   %MMAPFS_UNSET for @length
 * @length: length of what is searched
 * @out_start: (out): @start, resolved and clipped to 0..@length
 * @out_end: (out): @end, resolved and clipped to 0..@length
 *
 * The bound rules of Python's find() and rfind() (and of the regex
 * search), for any object of @length bytes: a negative bound counts from
 * the end, then both are clipped to 0..@length. @out_end may come out
 * below @out_start; Python then still finds an empty needle (at the
 * start for find, at the end for rfind) and nothing else.
 * mmapfs_region_find() and its siblings use it after putting the
 * region's position for an unset start.
 */
void
mmapfs_find_bounds (gint64 start, gint64 end, guint64 length, guint64 *out_start,
		    guint64 *out_end)
{
	g_return_if_fail (out_start != NULL);
	g_return_if_fail (out_end != NULL);

	*out_start = start == MMAPFS_UNSET ? 0 : clip_bound (start, length);
	*out_end = end == MMAPFS_UNSET ? length : clip_bound (end, length);
}

/* Python's bounds for a search of the region: an omitted start is the position. */
static void
search_bounds (MmapfsRegion *self, gint64 start, gint64 end, gsize *out_start, gsize *out_end)
{
	guint64 from, to;

	if (start == MMAPFS_UNSET)
		start = (gint64) self->pos;
	mmapfs_find_bounds (start, end, self->length, &from, &to);
	*out_start = (gsize) from;
	*out_end = (gsize) to;
}

static gboolean
region_search (MmapfsRegion *self, gboolean reverse, const void *needle, gsize needle_len,
	       gint64 start, gint64 end, gssize *out_index, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	Search search = { .needle = needle, .needle_len = needle_len, .reverse = reverse };
	gsize from;
	gsize to;

	g_return_val_if_fail (self != NULL, FALSE);
	g_return_val_if_fail (needle != NULL || needle_len == 0, FALSE);
	g_return_val_if_fail (out_index != NULL, FALSE);

	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return FALSE;
	search_bounds (self, start, end, &from, &to);

	/*
	 * Python's quirk, kept: an empty needle is found at the start
	 * (find) or at the end (rfind) of the slice, even when the end lies
	 * before the start.
	 */
	if (needle_len == 0) {
		*out_index = (gssize) (reverse ? to : from);
		return TRUE;
	}
	if (to <= from || to - from < needle_len) {
		*out_index = -1;
		return TRUE;
	}

	search.hay = self->data + from;
	search.hay_len = to - from;
	if (!mmapfs_guard_run (search_func, &search)) {
		region_fail_truncated (self, error);
		return FALSE;
	}
	*out_index = search.found >= 0 ? search.found + (gssize) from : -1;
	return TRUE;
}

/**
 * mmapfs_region_find:
 * @self: a region
 * @needle: (array length=needle_len): bytes to look for
 * @needle_len: their length
 * @start: first index of the slice searched, or %MMAPFS_UNSET for the position
 * @end: index after the slice, or %MMAPFS_UNSET for the length
 * @out_index: (out): the lowest index where @needle is found, or -1
 * @error: return location for an error
 *
 * Python's `find(sub[, start[, end]])`: negative bounds count from the
 * end, bounds are clipped, the position does not move, and an empty
 * @needle is found at the (clipped) start.
 *
 * Returns: %TRUE (found or not), or %FALSE with EBADF or EIO
 */
gboolean
mmapfs_region_find (MmapfsRegion *self, const void *needle, gsize needle_len, gint64 start,
		    gint64 end, gssize *out_index, GError **error)
{
	return region_search (self, FALSE, needle, needle_len, start, end, out_index, error);
}

/**
 * mmapfs_region_rfind:
 * @self: a region
 * @needle: (array length=needle_len): bytes to look for
 * @needle_len: their length
 * @start: first index of the slice searched, or %MMAPFS_UNSET for the position
 * @end: index after the slice, or %MMAPFS_UNSET for the length
 * @out_index: (out): the highest index where @needle is found, or -1
 * @error: return location for an error
 *
 * Python's `rfind(sub[, start[, end]])`, with the rules of
 * mmapfs_region_find(); an empty @needle is found at the clipped end.
 *
 * Returns: %TRUE (found or not), or %FALSE with EBADF or EIO
 */
gboolean
mmapfs_region_rfind (MmapfsRegion *self, const void *needle, gsize needle_len, gint64 start,
		     gint64 end, gssize *out_index, GError **error)
{
	return region_search (self, TRUE, needle, needle_len, start, end, out_index, error);
}

/*
 * A regex search in mapped memory, run under the SIGBUS guard. A fault
 * abandons the engine's match data: a small leak on a path that only a
 * truncation of the backing file can take.
 */
typedef struct {
	GRegex *regex;
	const char *subject;
	gssize subject_len;
	gint from;
	gboolean matched;  /* out */
	gint match_start;  /* out */
	gint match_end;    /* out */
	GError *error;     /* out */
} RegexSearch;

static void
regex_func (gpointer data)
{
	RegexSearch *search = data;
	GMatchInfo *match = NULL;

	search->matched = g_regex_match_full (search->regex, search->subject, search->subject_len,
					      search->from, 0, &match, &search->error);
	if (search->matched)
		g_match_info_fetch_pos (match, 0, &search->match_start, &search->match_end);
	g_match_info_free (match);
}

/**
 * mmapfs_region_search_regex:
 * @self: a region
 * @regex: a pattern, compiled with %G_REGEX_RAW so that it matches bytes
 *   rather than UTF-8 characters
 * @start: where to start, or %MMAPFS_UNSET for the position (find's rules)
 * @end: where the searched bytes end, or %MMAPFS_UNSET for the length
 * @out_start: (out): index of the first byte of the first match, or -1
 * @out_end: (out) (optional): index after the match, or -1
 * @error: return location for an error
 *
 * Searches the slice for the first match, reading the mapped bytes in
 * place. The position does not move.
 *
 * Returns: %TRUE (matched or not), or %FALSE with EBADF, EIO, or EINVAL
 *   when the regex engine gives up (for example on its backtracking limit)
 */
gboolean
mmapfs_region_search_regex (MmapfsRegion *self, GRegex *regex, gint64 start, gint64 end,
			    gssize *out_start, gssize *out_end, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	RegexSearch search = { .regex = regex, .match_start = -1, .match_end = -1 };
	gsize from;
	gsize to;

	g_return_val_if_fail (self != NULL, FALSE);
	g_return_val_if_fail (regex != NULL, FALSE);
	g_return_val_if_fail (out_start != NULL, FALSE);

	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return FALSE;
	search_bounds (self, start, end, &from, &to);
	if (to > G_MAXINT) {
		region_fail (self, error, EINVAL,
			     "regex search is limited to the first 2 GiB of a mapping");
		return FALSE;
	}
	if (to < from)
		to = from;

	search.subject = (const char *) self->data;
	search.subject_len = (gssize) to;
	search.from = (gint) from;
	if (!mmapfs_guard_run (regex_func, &search)) {
		region_fail_truncated (self, error);
		return FALSE;
	}
	if (search.error != NULL) {
		region_fail (self, error, EINVAL, "regex search failed: %s", search.error->message);
		g_error_free (search.error);
		return FALSE;
	}
	*out_start = search.matched ? search.match_start : -1;
	if (out_end != NULL)
		*out_end = search.matched ? search.match_end : -1;
	return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Indexing and slices                                                    */
/* ---------------------------------------------------------------------- */

static gboolean
item_index (MmapfsRegion *self, gint64 index, gsize *out, GError **error)
{
	gint64 len = (gint64) self->length;

	if (index < 0)
		index += len;
	if (index < 0 || index >= len) {
		region_fail (self, error, EINVAL, "index is outside the mapping (0..%zu)",
			     self->length);
		return FALSE;
	}
	*out = (gsize) index;
	return TRUE;
}

/* Python's slice adjustment without a step: clip both ends, empty if reversed. */
static void
slice_bounds (MmapfsRegion *self, gint64 start, gint64 stop, gsize *out_start, gsize *out_len)
{
	gint64 len = (gint64) self->length;

	if (start == MMAPFS_UNSET)
		start = 0;
	if (stop == MMAPFS_UNSET)
		stop = len;
	if (start < 0)
		start += len;
	start = CLAMP (start, 0, len);
	if (stop < 0)
		stop += len;
	stop = CLAMP (stop, 0, len);
	*out_start = (gsize) start;
	*out_len = stop > start ? (gsize) (stop - start) : 0;
}

/**
 * mmapfs_region_get_item:
 * @self: a region
 * @index: a byte index; negative counts from the end
 * @error: return location for an error
 *
 * Python's `m[index]`.
 *
 * Returns: the byte, or -1 with EINVAL (out of range; Python's
 *   IndexError), EBADF or EIO
 */
gint
mmapfs_region_get_item (MmapfsRegion *self, gint64 index, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	gsize at;
	guint8 byte;

	g_return_val_if_fail (self != NULL, -1);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error) || !item_index (self, index, &at, error))
		return -1;
	if (!mmapfs_guard_copy (&byte, self->data + at, 1, FALSE)) {
		region_fail_truncated (self, error);
		return -1;
	}
	region_stat_add (&self->stats.reads, 1);
	region_stat_add (&self->stats.bytes_read, 1);
	return byte;
}

/**
 * mmapfs_region_set_item:
 * @self: a region
 * @index: a byte index; negative counts from the end
 * @value: the byte
 * @error: return location for an error
 *
 * Python's `m[index] = value`.
 *
 * Returns: %TRUE, or %FALSE with EACCES, EINVAL (out of range), EBADF or EIO
 */
gboolean
mmapfs_region_set_item (MmapfsRegion *self, gint64 index, guint8 value, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	gsize at;

	g_return_val_if_fail (self != NULL, FALSE);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error) || !region_check_writable (self, error) ||
	    !item_index (self, index, &at, error))
		return FALSE;
	return region_copy_in (self, at, &value, 1, error);
}

/**
 * mmapfs_region_get_slice:
 * @self: a region
 * @start: first index, or %MMAPFS_UNSET for 0; negative counts from the end
 * @stop: index after the last, or %MMAPFS_UNSET for the length
 * @error: return location for an error
 *
 * Python's `m[start:stop]`: bounds are clipped, a reversed slice is empty.
 *
 * Returns: (transfer full): the bytes, or %NULL with EBADF or EIO
 */
GBytes *
mmapfs_region_get_slice (MmapfsRegion *self, gint64 start, gint64 stop, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	gsize from;
	gsize n;

	g_return_val_if_fail (self != NULL, NULL);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return NULL;
	slice_bounds (self, start, stop, &from, &n);
	return region_copy_out (self, from, n, error);
}

/**
 * mmapfs_region_set_slice:
 * @self: a region
 * @start: first index, or %MMAPFS_UNSET for 0; negative counts from the end
 * @stop: index after the last, or %MMAPFS_UNSET for the length
 * @data: (array length=count): the new bytes
 * @count: their number, which must equal the slice's length
 * @error: return location for an error
 *
 * Python's `m[start:stop] = data`. The length of the mapping never changes.
 *
 * Returns: %TRUE, or %FALSE with EACCES, EINVAL (@count is not the slice's
 *   length; Python's IndexError), EBADF or EIO
 */
gboolean
mmapfs_region_set_slice (MmapfsRegion *self, gint64 start, gint64 stop, const void *data,
			 gsize count, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	gsize from;
	gsize n;

	g_return_val_if_fail (self != NULL, FALSE);
	g_return_val_if_fail (data != NULL || count == 0, FALSE);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error) || !region_check_writable (self, error))
		return FALSE;
	slice_bounds (self, start, stop, &from, &n);
	if (n != count) {
		region_fail (self, error, EINVAL,
			     "slice assignment of %zu bytes to a slice of %zu: the mapping cannot "
			     "change length this way",
			     count, n);
		return FALSE;
	}
	return region_copy_in (self, from, data, count, error);
}

