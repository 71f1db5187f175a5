/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the node text protocol (lib/node.c, lib/node-parse.c):
 * the text each node renders, every rule of a node write with its errno,
 * its exact sentence and the MmapfsNodeChange it reports, the outcome
 * line, and the inverse parsers of `info`, `resident`, the advise menu
 * and the outcome, which take back exactly what the library renders and
 * refuse every other text with EINVAL and a sentence.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <mmapfs/mmapfs.h>

#include "test-util.h"

#define PAGES 3

static gsize page;

/* An anonymous region of PAGES pages. */
static MmapfsRegion *
anon_region (void)
{
	g_autoptr (GError) error = NULL;
	MmapfsRegion *region = mmapfs_region_new_anonymous (PAGES * page, &error);

	g_assert_no_error (error);
	return region;
}

/* A region of PAGES pages of a temporary file, mapped with @access. */
static MmapfsRegion *
file_region (MmapfsAccess access)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *path = NULL;
	g_autofree char *zeros = g_malloc0 (PAGES * page);
	MmapfsRegion *region;
	int fd = g_file_open_tmp ("mmapfs-node-XXXXXX", &path, &error);

	g_assert_no_error (error);
	close (fd);
	g_assert_true (g_file_set_contents (path, zeros, (gssize) (PAGES * page), NULL));
	region = mmapfs_region_new_from_path (path, access, 0, 0, &error);
	g_assert_no_error (error);
	g_unlink (path);
	return region;
}

static char *
render_ok (MmapfsRegion *region, MmapfsNode node, MmapfsAdviceFlags flags)
{
	g_autoptr (GError) error = NULL;
	char *text = mmapfs_node_render (region, node, "m", flags, &error);

	g_assert_no_error (error);
	g_assert_nonnull (text);
	return text;
}

/* Writes @line to @node, expecting success, and returns the change. */
static MmapfsNodeChange
write_ok (MmapfsRegion *region, MmapfsNode node, const char *line)
{
	g_autoptr (GError) error = NULL;
	MmapfsNodeChange change;

	memset (&change, 0xff, sizeof change);
	g_assert_true (mmapfs_node_write (region, node, line, strlen (line), MMAPFS_ADVICE_NONE,
					  &change, &error));
	g_assert_no_error (error);
	return change;
}

/* Writes @line to @node, expecting @code, exactly @sentence, and no change. */
static void
write_fails (MmapfsRegion *region, MmapfsNode node, const char *line, int code,
	     const char *sentence)
{
	g_autoptr (GError) error = NULL;
	MmapfsNodeChange change;

	memset (&change, 0xff, sizeof change);
	g_assert_false (mmapfs_node_write (region, node, line, strlen (line), MMAPFS_ADVICE_NONE,
					   &change, &error));
	g_assert_error (error, MMAPFS_ERROR, code);
	check_sentence (error);
	g_assert_cmpstr (error->message, ==, sentence);
	g_assert_false (change.forget);
	g_assert_false (change.resized);
	g_assert_cmpuint (change.start, ==, 0);
	g_assert_cmpuint (change.length, ==, 0);
}

static void
assert_change (MmapfsNodeChange change, gboolean forget, gboolean resized, guint64 start,
	       guint64 length)
{
	g_assert_cmpint (change.forget, ==, forget);
	g_assert_cmpint (change.resized, ==, resized);
	g_assert_cmpuint (change.start, ==, start);
	g_assert_cmpuint (change.length, ==, length);
}

static void
test_names (void)
{
	static const char *const names[] = {
		"size", "advise", "flush", "move", "lock", "info", "resident",
	};
	g_autoptr (GError) error = NULL;
	MmapfsNode node;

	for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
		g_assert_cmpstr (mmapfs_node_to_string ((MmapfsNode) i), ==, names[i]);
		g_assert_true (mmapfs_node_from_string (names[i], &node, &error));
		g_assert_no_error (error);
		g_assert_cmpint (node, ==, i);
	}
	g_assert_false (mmapfs_node_from_string ("data", &node, &error));
	g_assert_cmpstr (error->message, ==, "a mapping has no node named \"data\"");
	assert_errno (error, ENOENT);
	g_assert_false (mmapfs_node_from_string ("Size", &node, NULL));
	g_assert_false (mmapfs_node_from_string ("", &node, NULL));
}

static void
test_render (void)
{
	g_autoptr (MmapfsRegion) region = anon_region ();
	g_autoptr (GError) error = NULL;
	g_autofree char *size = render_ok (region, MMAPFS_NODE_SIZE, 0);
	g_autofree char *expected_size = g_strdup_printf ("%zu\n", PAGES * page);
	g_autofree char *advise = render_ok (region, MMAPFS_NODE_ADVISE, 0);
	g_autofree char *menu = mmapfs_advice_menu (MADV_NORMAL, MMAPFS_ADVICE_NONE);
	g_autofree char *expected_advise = g_strdup_printf ("%s\n", menu);
	g_autofree char *hw_advise = render_ok (region, MMAPFS_NODE_ADVISE,
						MMAPFS_ADVICE_ALLOW_HWPOISON);
	g_autofree char *lock = render_ok (region, MMAPFS_NODE_LOCK, 0);
	g_autofree char *info = render_ok (region, MMAPFS_NODE_INFO, 0);
	g_autofree char *resident = render_ok (region, MMAPFS_NODE_RESIDENT, 0);
	g_autofree char *expected_resident = NULL;

	g_assert_cmpstr (size, ==, expected_size);
	g_assert_cmpstr (advise, ==, expected_advise);
	g_assert_true (g_str_has_prefix (advise, "[normal] random sequential willneed "));
	g_assert_true (g_str_has_suffix (hw_advise, " hwpoison soft_offline\n"));
	g_assert_cmpstr (lock, ==, "0\n");
	g_assert_true (g_str_has_prefix (info, "name: m\npath: anonymous\naccess: default\n"));
	g_assert_nonnull (strstr (info, "\nlast_error: none\n"));
	expected_resident = mmapfs_region_format_resident (region, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (resident, ==, expected_resident);

	/* Flush and move are write-only. */
	g_assert_null (mmapfs_node_render (region, MMAPFS_NODE_FLUSH, "m", 0, &error));
	g_assert_cmpstr (error->message, ==, "the flush node is write-only");
	assert_errno (error, EBADF);
	g_assert_null (mmapfs_node_render (region, MMAPFS_NODE_MOVE, "m", 0, &error));
	assert_errno (error, EBADF);
}

/* The advise menu follows the access pattern; the lock node, the lock. */
static void
test_render_follows_state (void)
{
	g_autoptr (MmapfsRegion) region = anon_region ();
	g_autoptr (GError) error = NULL;
	g_autofree char *advise = NULL;
	g_autofree char *lock = NULL;

	write_ok (region, MMAPFS_NODE_ADVISE, "sequential\n");
	advise = render_ok (region, MMAPFS_NODE_ADVISE, 0);
	g_assert_true (g_str_has_prefix (advise, "normal random [sequential] willneed "));

	if (!mmapfs_node_write (region, MMAPFS_NODE_LOCK, "1\n", 2, 0, NULL, &error)) {
		/* RLIMIT_MEMLOCK may forbid even three pages. */
		g_assert_true (g_error_matches (error, MMAPFS_ERROR, ENOMEM) ||
			       g_error_matches (error, MMAPFS_ERROR, EPERM));
		return;
	}
	lock = render_ok (region, MMAPFS_NODE_LOCK, 0);
	g_assert_cmpstr (lock, ==, "1\n");
	write_ok (region, MMAPFS_NODE_LOCK, "0");
	g_free (lock);
	lock = render_ok (region, MMAPFS_NODE_LOCK, 0);
	g_assert_cmpstr (lock, ==, "0\n");
}

static void
test_render_closed (void)
{
	g_autoptr (MmapfsRegion) region = anon_region ();
	g_autoptr (GError) error = NULL;
	g_autofree char *advise = NULL;
	g_autofree char *lock = NULL;

	g_assert_true (mmapfs_region_close (region, &error));
	g_assert_null (mmapfs_node_render (region, MMAPFS_NODE_SIZE, "m", 0, &error));
	g_assert_cmpstr (error->message, ==, "the region is closed");
	assert_errno (error, EBADF);
	g_assert_null (mmapfs_node_render (region, MMAPFS_NODE_INFO, "m", 0, &error));
	assert_errno (error, EBADF);
	g_assert_null (mmapfs_node_render (region, MMAPFS_NODE_RESIDENT, "m", 0, &error));
	assert_errno (error, EBADF);
	/* The menu and the lock state need no mapping. */
	advise = render_ok (region, MMAPFS_NODE_ADVISE, 0);
	lock = render_ok (region, MMAPFS_NODE_LOCK, 0);
	g_assert_cmpstr (lock, ==, "0\n");

	write_fails (region, MMAPFS_NODE_SIZE, "8192", EBADF, "the region is closed");
	write_fails (region, MMAPFS_NODE_ADVISE, "willneed", EBADF, "the region is closed");
	write_fails (region, MMAPFS_NODE_FLUSH, "", EBADF, "the region is closed");
	write_fails (region, MMAPFS_NODE_MOVE, "0 0 0", EBADF, "the region is closed");
	write_fails (region, MMAPFS_NODE_LOCK, "0", EBADF, "the region is closed");
}

static void
test_write_size (void)
{
	g_autoptr (MmapfsRegion) region = anon_region ();
	g_autoptr (MmapfsRegion) read_only = file_region (MMAPFS_ACCESS_READ);
	g_autoptr (MmapfsRegion) copy = file_region (MMAPFS_ACCESS_COPY);
	g_autofree char *size = NULL;

	assert_change (write_ok (region, MMAPFS_NODE_SIZE, "8K\n"), TRUE, TRUE, 0, 0);
	g_assert_cmpint (mmapfs_region_len (region, NULL), ==, 8192);
	size = render_ok (region, MMAPFS_NODE_SIZE, 0);
	g_assert_cmpstr (size, ==, "8192\n");
	/* The same length again still counts as a resize. */
	assert_change (write_ok (region, MMAPFS_NODE_SIZE, "8192"), TRUE, TRUE, 0, 0);

	write_fails (region, MMAPFS_NODE_SIZE, "0", EINVAL,
		     "a mapping cannot be resized to 0 bytes");
	write_fails (region, MMAPFS_NODE_SIZE, "", EINVAL,
		     "the size node got an empty line: write one size, such as 8M or 0x1000");
	write_fails (region, MMAPFS_NODE_SIZE, "0x10000000000000000", EOVERFLOW,
		     "\"0x10000000000000000\" does not fit in 64 bits");
	write_fails (region, MMAPFS_NODE_SIZE, "9223372036854775808", EINVAL,
		     "9223372036854775808 bytes is beyond any file size");
	write_fails (read_only, MMAPFS_NODE_SIZE, "4096", EPERM,
		     "a mapping with access=read cannot be resized");
	write_fails (copy, MMAPFS_NODE_SIZE, "4096", EPERM,
		     "a mapping with access=copy cannot be resized");
	g_assert_cmpint (mmapfs_region_len (region, NULL), ==, 8192);
}

static void
test_write_advise (void)
{
	g_autoptr (MmapfsRegion) region = anon_region ();
	g_autoptr (GError) error = NULL;
	g_autofree char *outside = g_strdup_printf (
		"advice start %zu is outside the mapping (0..%zu)", PAGES * page, PAGES * page);
	g_autofree char *huge = g_strdup_printf (
		"advice start 18446744073709551615 is outside the mapping (0..%zu)", PAGES * page);
	g_autofree char *line = NULL;
	g_autofree char *unaligned = g_strdup_printf (
		"madvise(willneed) of 1+%zu failed: Invalid argument", PAGES * page - 1);
	g_autofree char *last = NULL;

	/* Advice that keeps the bytes changes nothing a cache holds. */
	assert_change (write_ok (region, MMAPFS_NODE_ADVISE, "willneed"), FALSE, FALSE, 0, 0);
	assert_change (write_ok (region, MMAPFS_NODE_ADVISE, "MADV_RANDOM 0 1M"), FALSE, FALSE, 0,
		       0);
	g_assert_cmpint (mmapfs_region_get_access_pattern (region), ==, MADV_RANDOM);

	/* Discarding advice: to the end without LENGTH, else the clipped LENGTH. */
	line = g_strdup_printf ("dontneed %zu", page);
	assert_change (write_ok (region, MMAPFS_NODE_ADVISE, line), TRUE, FALSE, page, 0);
	g_free (line);
	line = g_strdup_printf ("dontneed %zu %zu", page, page);
	assert_change (write_ok (region, MMAPFS_NODE_ADVISE, line), TRUE, FALSE, page, page);
	g_free (line);
	line = g_strdup_printf ("pageout %zu 1G", page);
	assert_change (write_ok (region, MMAPFS_NODE_ADVISE, line), TRUE, FALSE, page,
		       (PAGES - 1) * page);
	g_free (line);
	line = g_strdup_printf ("dontneed %zu 0xffffffffffffffff", page);
	assert_change (write_ok (region, MMAPFS_NODE_ADVISE, line), TRUE, FALSE, page,
		       (PAGES - 1) * page);
	/* An explicit LENGTH of 0 advises nothing and forgets to the end, as the daemon did. */
	assert_change (write_ok (region, MMAPFS_NODE_ADVISE, "free 0 0"), TRUE, FALSE, 0, 0);

	g_free (line);
	line = g_strdup_printf ("willneed %zu", PAGES * page);
	write_fails (region, MMAPFS_NODE_ADVISE, line, EINVAL, outside);
	last = mmapfs_region_dup_last_error (region);
	g_assert_cmpstr (last, ==, outside);
	write_fails (region, MMAPFS_NODE_ADVISE, "willneed 0xffffffffffffffff", EINVAL, huge);
	write_fails (region, MMAPFS_NODE_ADVISE, "willneed 1", EINVAL, unaligned);
	write_fails (region, MMAPFS_NODE_ADVISE, "wontneed", EINVAL,
		     "unknown advice \"wontneed\": use a name such as willneed or MADV_DONTNEED");
	write_fails (region, MMAPFS_NODE_ADVISE, "nosync", EOPNOTSUPP,
		     "advice \"nosync\" exists in Python's mmap on other systems but not on "
		     "Linux");
	write_fails (region, MMAPFS_NODE_ADVISE, "hwpoison", EPERM,
		     "advice \"hwpoison\" injects memory failures and is refused unless "
		     "allow_hwpoison is set");
	write_fails (region, MMAPFS_NODE_ADVISE, "", EINVAL,
		     "the advise node got an empty line: write ADVICE [START [LENGTH]], such "
		     "as willneed or \"dontneed 0 1M\"");
	/* A failed advice leaves the access pattern as it was. */
	g_assert_cmpint (mmapfs_region_get_access_pattern (region), ==, MADV_RANDOM);

	/* The flag reaches the advice parser. */
	g_assert_false (mmapfs_node_write (region, MMAPFS_NODE_ADVISE, "soft_offline x", 14,
					   MMAPFS_ADVICE_ALLOW_HWPOISON, NULL, &error));
	assert_errno (error, EINVAL);
}

static void
test_write_flush (void)
{
	g_autoptr (MmapfsRegion) region = file_region (MMAPFS_ACCESS_WRITE);
	g_autoptr (MmapfsRegion) read_only = file_region (MMAPFS_ACCESS_READ);
	g_autofree char *past = g_strdup_printf (
		"flush range %zu+0 is outside the mapping (%zu bytes)", PAGES * page + 1,
		PAGES * page);
	g_autofree char *long_range = g_strdup_printf (
		"flush range 0+%zu is outside the mapping (%zu bytes)", PAGES * page + 1,
		PAGES * page);
	g_autofree char *huge = g_strdup_printf (
		"flush range 18446744073709551615+0 is outside the mapping (%zu bytes)",
		PAGES * page);
	g_autofree char *unaligned =
		g_strdup_printf ("flush offset 1 is not a multiple of the page size %zu", page);
	g_autofree char *line = NULL;
	MmapfsRegionStats stats;

	/* A flush changes no byte: nothing to forget. */
	assert_change (write_ok (region, MMAPFS_NODE_FLUSH, "\n"), FALSE, FALSE, 0, 0);
	line = g_strdup_printf ("%zu", page);
	assert_change (write_ok (region, MMAPFS_NODE_FLUSH, line), FALSE, FALSE, 0, 0);
	g_free (line);
	/* OFFSET alone runs to the end, even from the very end. */
	line = g_strdup_printf ("%zu", PAGES * page);
	write_ok (region, MMAPFS_NODE_FLUSH, line);
	g_free (line);
	line = g_strdup_printf ("%zu %zu async", page, page);
	write_ok (region, MMAPFS_NODE_FLUSH, line);
	write_ok (region, MMAPFS_NODE_FLUSH, "0 0 invalidate");
	mmapfs_region_get_stats (region, &stats);
	g_assert_cmpuint (stats.flushes, ==, 5);

	g_free (line);
	line = g_strdup_printf ("%zu", PAGES * page + 1);
	write_fails (region, MMAPFS_NODE_FLUSH, line, EINVAL, past);
	g_free (line);
	line = g_strdup_printf ("0 %zu", PAGES * page + 1);
	write_fails (region, MMAPFS_NODE_FLUSH, line, EINVAL, long_range);
	write_fails (region, MMAPFS_NODE_FLUSH, "0xffffffffffffffff", EINVAL, huge);
	/* A range outside the mapping is refused before it counts as a flush. */
	mmapfs_region_get_stats (region, &stats);
	g_assert_cmpuint (stats.flushes, ==, 5);
	write_fails (region, MMAPFS_NODE_FLUSH, "1 10", EINVAL, unaligned);
	write_fails (region, MMAPFS_NODE_FLUSH, "0 1 later", EINVAL,
		     "\"later\" is not a flush mode: use sync, async or invalidate");

	/* A read mapping checks the range, not the alignment, and does nothing. */
	write_ok (read_only, MMAPFS_NODE_FLUSH, "1 10");
	write_fails (read_only, MMAPFS_NODE_FLUSH, line, EINVAL, long_range);
}

static void
test_write_move (void)
{
	g_autoptr (MmapfsRegion) region = anon_region ();
	g_autoptr (MmapfsRegion) read_only = file_region (MMAPFS_ACCESS_READ);
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) moved = NULL;
	g_autofree char *line = g_strdup_printf ("%zu 0 1", PAGES * page);
	g_autofree char *past = g_strdup_printf (
		"moving 1 bytes from 0 to %zu runs past the end of the mapping (%zu)",
		PAGES * page, PAGES * page);

	g_assert_true (mmapfs_region_set_slice (region, 0, 3, "abc", 3, &error));
	assert_change (write_ok (region, MMAPFS_NODE_MOVE, "1 0 3\n"), TRUE, FALSE, 1, 3);
	moved = mmapfs_region_get_slice (region, 0, 4, &error);
	g_assert_no_error (error);
	g_assert_cmpmem (g_bytes_get_data (moved, NULL), 4, "aabc", 4);
	/* Moving nothing changes nothing. */
	assert_change (write_ok (region, MMAPFS_NODE_MOVE, "5 0 0"), FALSE, FALSE, 0, 0);

	write_fails (region, MMAPFS_NODE_MOVE, line, EINVAL, past);
	write_fails (region, MMAPFS_NODE_MOVE, "1 2", EINVAL,
		     "\"1 2\" has too few words for the move node: write three numbers, DEST "
		     "SRC COUNT");
	write_fails (read_only, MMAPFS_NODE_MOVE, "1 0 1", EACCES,
		     "the mapping is read-only (access=read)");
}

static void
test_write_lock (void)
{
	g_autoptr (MmapfsRegion) region = anon_region ();

	write_fails (region, MMAPFS_NODE_LOCK, "2", EINVAL,
		     "the lock node does not take 2: write 1 to lock the mapping or 0 to "
		     "unlock it");
	assert_change (write_ok (region, MMAPFS_NODE_LOCK, "0"), FALSE, FALSE, 0, 0);
	g_assert_false (mmapfs_region_is_locked (region));
}

static void
test_write_read_only_nodes (void)
{
	g_autoptr (MmapfsRegion) region = anon_region ();

	write_fails (region, MMAPFS_NODE_INFO, "x", EBADF, "the info node is read-only");
	write_fails (region, MMAPFS_NODE_RESIDENT, "x", EBADF, "the resident node is read-only");
}

static void
test_outcome_format (void)
{
	g_autoptr (GError) error = g_error_new_literal (MMAPFS_ERROR, ENOENT,
							"no mapping\nnamed\r\"a\"");
	g_autoptr (GError) parsed = NULL;
	g_autofree char *ok = mmapfs_node_format_outcome (NULL);
	g_autofree char *failed = mmapfs_node_format_outcome (error);

	g_assert_cmpstr (ok, ==, "ok\n");
	/* One line, whatever the sentence held. */
	g_assert_cmpstr (failed, ==, "error: ENOENT: no mapping named \"a\"\n");

	g_assert_true (mmapfs_node_parse_outcome (ok, strlen (ok), &parsed));
	g_assert_false (mmapfs_node_parse_outcome (failed, strlen (failed), &parsed));
	g_assert_error (parsed, MMAPFS_ERROR, ENOENT);
	g_assert_cmpstr (parsed->message, ==, "no mapping named \"a\"");
}

/* What the node renders, the inverse parser takes back. */
static void
test_render_round_trip (void)
{
	g_autoptr (MmapfsRegion) region = anon_region ();
	g_autoptr (GError) error = NULL;
	g_autofree char *info = NULL;
	g_autofree char *resident = NULL;
	g_autofree char *advise = NULL;
	g_autofree char *pattern = NULL;
	g_autoptr (MmapfsNodeInfo) parsed = NULL;
	g_autoptr (GArray) runs = NULL;
	guint64 length = 0, total = 0;

	write_ok (region, MMAPFS_NODE_ADVISE, "random");
	info = render_ok (region, MMAPFS_NODE_INFO, 0);
	parsed = mmapfs_node_info_parse (info, strlen (info), &error);
	g_assert_no_error (error);
	g_assert_true (mmapfs_node_info_get_uint64 (parsed, "length", &length, &error));
	g_assert_cmpuint (length, ==, PAGES * page);
	g_assert_cmpstr (mmapfs_node_info_get (parsed, "advice"), ==, "random");

	resident = render_ok (region, MMAPFS_NODE_RESIDENT, 0);
	g_assert_true (mmapfs_node_parse_resident (resident, strlen (resident), NULL, &total, &runs,
						   &error));
	g_assert_no_error (error);
	g_assert_cmpuint (total, ==, PAGES);

	advise = render_ok (region, MMAPFS_NODE_ADVISE, MMAPFS_ADVICE_ALLOW_HWPOISON);
	g_assert_true (mmapfs_node_parse_advise_menu (advise, strlen (advise), &pattern, NULL,
						      &error));
	g_assert_no_error (error);
	g_assert_cmpstr (pattern, ==, "random");
}

/* Parses @text as info, expecting success. */
static MmapfsNodeInfo *
info_ok (const char *text)
{
	g_autoptr (GError) error = NULL;
	MmapfsNodeInfo *info = mmapfs_node_info_parse (text, strlen (text), &error);

	g_assert_no_error (error);
	g_assert_nonnull (info);
	return info;
}

static void
info_bad (const char *text)
{
	g_autoptr (GError) error = NULL;

	g_assert_null (mmapfs_node_info_parse (text, strlen (text), &error));
	assert_errno (error, EINVAL);
}

static void
test_info_parse (void)
{
	g_autoptr (MmapfsNodeInfo) info =
		info_ok ("name: a\npath: /tmp/x: y\nlength: 8192\nlast_error: \nfile_size: none\n");
	g_autoptr (GError) error = NULL;
	const char *const *keys = mmapfs_node_info_get_keys (info);
	guint64 value = 0;

	g_assert_cmpuint (g_strv_length ((GStrv) keys), ==, 5);
	g_assert_cmpstr (keys[0], ==, "name");
	g_assert_cmpstr (keys[1], ==, "path");
	g_assert_cmpstr (keys[4], ==, "file_size");
	/* The value runs to the end of the line, ": " included. */
	g_assert_cmpstr (mmapfs_node_info_get (info, "path"), ==, "/tmp/x: y");
	g_assert_cmpstr (mmapfs_node_info_get (info, "last_error"), ==, "");
	g_assert_null (mmapfs_node_info_get (info, "nope"));

	g_assert_true (mmapfs_node_info_get_uint64 (info, "length", &value, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (value, ==, 8192);
	g_assert_false (mmapfs_node_info_get_uint64 (info, "file_size", &value, &error));
	g_assert_cmpstr (error->message, ==, "info key file_size is \"none\", not a number");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_info_get_uint64 (info, "nope", &value, &error));
	g_assert_cmpstr (error->message, ==, "the info text has no key nope");
	assert_errno (error, ENOENT);
	g_assert_cmpuint (value, ==, 8192);
}

static void
test_info_malformed (void)
{
	g_autoptr (GError) error = NULL;

	info_bad ("");
	info_bad ("name: a");
	info_bad ("name: a\n\n");
	info_bad ("name:a\n");
	info_bad ("name:\n");
	info_bad (": a\n");
	info_bad ("Name: a\n");
	info_bad ("na me: a\n");
	info_bad ("name: a\nname: b\n");
	/* A line cut short in the sentence still leaves no final period. */
	info_bad ("this line runs past the sixty-four bytes that a sentence quotes of it.\n");
	g_assert_null (mmapfs_node_info_parse ("name: a\0b\n", 10, &error));
	assert_errno (error, EINVAL);

	g_assert_null (mmapfs_node_info_parse ("name: a\nbroken\n", 15, &error));
	g_assert_cmpstr (error->message, ==,
			 "line 2 of the info text, \"broken\", is not a \"key: value\" line");
	assert_errno (error, EINVAL);
	g_assert_null (mmapfs_node_info_parse ("a: 1\na: 2\n", 10, &error));
	g_assert_cmpstr (error->message, ==, "key a appears twice in the info text");
	assert_errno (error, EINVAL);
	g_assert_null (mmapfs_node_info_parse ("a: 1", 4, &error));
	g_assert_cmpstr (error->message, ==, "the info text does not end in a newline");
	assert_errno (error, EINVAL);
}

/* What a region renders, mmapfs_node_info_parse() takes back value for value. */
static void
test_info_round_trip (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) region = mmapfs_region_new_anonymous (5 * 4096, &error);
	g_autofree char *text = NULL;
	g_autoptr (MmapfsNodeInfo) info = NULL;
	g_auto (GStrv) lines = NULL;
	const char *const *keys;
	guint64 length = 0;

	g_assert_no_error (error);
	mmapfs_region_set_last_error (region, "a sentence: with a colon");
	text = mmapfs_region_format_info (region, "anon-1", &error);
	g_assert_no_error (error);
	info = info_ok (text);
	keys = mmapfs_node_info_get_keys (info);
	lines = g_strsplit (text, "\n", -1);
	for (guint i = 0; keys[i] != NULL; i++) {
		g_autofree char *line =
			g_strdup_printf ("%s: %s", keys[i], mmapfs_node_info_get (info, keys[i]));

		g_assert_cmpstr (line, ==, lines[i]);
	}
	g_assert_cmpuint (g_strv_length ((GStrv) keys) + 1, ==, g_strv_length (lines));
	g_assert_cmpstr (mmapfs_node_info_get (info, "name"), ==, "anon-1");
	g_assert_cmpstr (mmapfs_node_info_get (info, "path"), ==, "anonymous");
	g_assert_cmpstr (mmapfs_node_info_get (info, "last_error"), ==, "a sentence: with a colon");
	g_assert_true (mmapfs_node_info_get_uint64 (info, "length", &length, &error));
	g_assert_cmpuint (length, ==, 5 * 4096);
}

static void
resident_bad (const char *text)
{
	g_autoptr (GError) error = NULL;

	g_assert_false (mmapfs_node_parse_resident (text, strlen (text), NULL, NULL, NULL, &error));
	assert_errno (error, EINVAL);
}

static void
test_resident_parse (void)
{
	static const char text[] = "6/10 pages resident\n0-2\n4\n7-8\n";
	g_autoptr (GError) error = NULL;
	g_autoptr (GArray) runs = NULL;
	guint64 resident = 0, total = 0;

	g_assert_true (mmapfs_node_parse_resident (text, strlen (text), &resident, &total, &runs,
						   &error));
	g_assert_no_error (error);
	g_assert_cmpuint (resident, ==, 6);
	g_assert_cmpuint (total, ==, 10);
	g_assert_cmpuint (runs->len, ==, 3);
	g_assert_cmpuint (g_array_index (runs, MmapfsResidentRun, 0).first, ==, 0);
	g_assert_cmpuint (g_array_index (runs, MmapfsResidentRun, 0).last, ==, 2);
	g_assert_cmpuint (g_array_index (runs, MmapfsResidentRun, 1).first, ==, 4);
	g_assert_cmpuint (g_array_index (runs, MmapfsResidentRun, 1).last, ==, 4);
	g_assert_cmpuint (g_array_index (runs, MmapfsResidentRun, 2).last, ==, 8);

	/* Every output is optional. */
	g_assert_true (mmapfs_node_parse_resident ("0/0 pages resident\n", 19, NULL, NULL, NULL,
						   &error));
	g_assert_no_error (error);
}

static void
test_resident_malformed (void)
{
	g_autoptr (GError) error = NULL;

	resident_bad ("");
	resident_bad ("1/2 pages resident");
	resident_bad ("1/2 pages\n0\n");
	resident_bad ("3/2 pages resident\n0-2\n");
	resident_bad ("-1/2 pages resident\n");
	resident_bad ("1/2 pages resident\n1-0\n");
	resident_bad ("1/2 pages resident\n2\n");
	resident_bad ("2/4 pages resident\n2\n0\n");
	resident_bad ("2/4 pages resident\n1-2\n2-3\n");
	resident_bad ("1/2 pages resident\n0-\n");
	resident_bad ("1/2 pages resident\n 0\n");
	resident_bad ("1/2 pages resident\n\n");
	resident_bad ("1/99999999999999999999 pages resident\n0\n");
	resident_bad ("1/2 pages resident\n"
		      "0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0-0\n");

	g_assert_false (mmapfs_node_parse_resident ("2/4 pages resident\n0\n", 21, NULL, NULL,
						    NULL, &error));
	g_assert_cmpstr (error->message, ==,
			 "the resident text counts 2 resident pages but its runs hold 1");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_parse_resident ("1/4 pages resident\nx\n", 21, NULL, NULL,
						    NULL, &error));
	g_assert_cmpstr (error->message, ==,
			 "line 2 of the resident text, \"x\", is not a FIRST-LAST run of pages "
			 "after the previous run and inside the mapping");
	assert_errno (error, EINVAL);
}

static void
test_resident_round_trip (void)
{
	g_autoptr (GError) error = NULL;
	gsize page = mmapfs_region_page_size ();
	g_autoptr (MmapfsRegion) region = mmapfs_region_new_anonymous (8 * page, &error);
	g_autofree char *text = NULL;
	g_autoptr (GArray) runs = NULL;
	g_autoptr (GString) again = g_string_new (NULL);
	guint64 resident = 0, total = 0;

	g_assert_no_error (error);
	/* Touch pages 1, 2 and 5 so that there are runs to read back. */
	g_assert_true (mmapfs_region_set_item (region, (gint64) page, 1, &error));
	g_assert_true (mmapfs_region_set_item (region, (gint64) (2 * page), 1, &error));
	g_assert_true (mmapfs_region_set_item (region, (gint64) (5 * page), 1, &error));
	text = mmapfs_region_format_resident (region, &error);
	g_assert_no_error (error);
	g_assert_true (mmapfs_node_parse_resident (text, strlen (text), &resident, &total, &runs,
						   &error));
	g_assert_no_error (error);
	g_assert_cmpuint (total, ==, 8);
	g_assert_cmpuint (resident, >=, 3);
	g_string_append_printf (again, "%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
			        " pages resident\n", resident, total);
	for (guint i = 0; i < runs->len; i++) {
		MmapfsResidentRun *run = &g_array_index (runs, MmapfsResidentRun, i);

		g_string_append_printf (again, "%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "\n",
					run->first, run->last);
	}
	g_assert_cmpstr (again->str, ==, text);
}

static void
menu_bad (const char *text)
{
	g_autoptr (GError) error = NULL;

	g_assert_false (mmapfs_node_parse_advise_menu (text, strlen (text), NULL, NULL, &error));
	assert_errno (error, EINVAL);
}

static void
test_menu_parse (void)
{
	static const char text[] = "normal [random] sequential willneed populate_read\n";
	g_autoptr (GError) error = NULL;
	g_autofree char *pattern = NULL;
	g_auto (GStrv) names = NULL;

	g_assert_true (mmapfs_node_parse_advise_menu (text, strlen (text), &pattern, &names,
						      &error));
	g_assert_no_error (error);
	g_assert_cmpstr (pattern, ==, "random");
	g_assert_cmpuint (g_strv_length (names), ==, 5);
	g_assert_cmpstr (names[1], ==, "random");
	g_assert_cmpstr (names[4], ==, "populate_read");
}

static void
test_menu_malformed (void)
{
	g_autoptr (GError) error = NULL;

	menu_bad ("");
	menu_bad ("[normal] random");
	menu_bad ("[normal]  random\n");
	menu_bad (" [normal]\n");
	menu_bad ("[normal] \n");
	menu_bad ("[normal]\nrandom\n");
	menu_bad ("[] normal\n");
	menu_bad ("[Normal]\n");
	menu_bad ("[normal\n");

	g_assert_false (mmapfs_node_parse_advise_menu ("normal random\n", 14, NULL, NULL, &error));
	g_assert_cmpstr (error->message, ==, "the advise menu brackets no access pattern");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_parse_advise_menu ("[normal] [random]\n", 18, NULL, NULL,
						       &error));
	g_assert_cmpstr (error->message, ==, "the advise menu brackets more than one advice");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_parse_advise_menu ("[willneed] normal\n", 18, NULL, NULL,
						       &error));
	g_assert_cmpstr (error->message, ==,
			 "the advise menu brackets willneed, which is not an access pattern");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_parse_advise_menu ("[normal] will-need\n", 19, NULL, NULL,
						       &error));
	g_assert_cmpstr (error->message, ==,
			 "the advise menu holds \"will-need\", which is not an advice name");
	assert_errno (error, EINVAL);
}

/* Every menu the library renders parses back to the same words and pattern. */
static void
test_menu_round_trip (void)
{
	static const int patterns[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL };

	for (guint i = 0; i < G_N_ELEMENTS (patterns); i++) {
		for (guint flags = 0; flags <= MMAPFS_ADVICE_ALLOW_HWPOISON; flags++) {
			g_autofree char *menu = mmapfs_advice_menu (patterns[i], flags);
			g_autofree char *text = g_strdup_printf ("%s\n", menu);
			g_autoptr (GError) error = NULL;
			g_autofree char *pattern = NULL;
			g_autofree char *joined = NULL;
			g_autofree char *bracketed = NULL;
			g_auto (GStrv) names = NULL;

			g_assert_true (mmapfs_node_parse_advise_menu (text, strlen (text), &pattern,
								      &names, &error));
			g_assert_no_error (error);
			g_assert_cmpstr (pattern, ==, mmapfs_advice_to_string (patterns[i]));
			bracketed = g_strdup_printf ("[%s]", pattern);
			for (guint j = 0; names[j] != NULL; j++) {
				if (strcmp (names[j], pattern) == 0) {
					g_free (names[j]);
					names[j] = g_strdup (bracketed);
				}
			}
			joined = g_strjoinv (" ", names);
			g_assert_cmpstr (joined, ==, menu);
		}
	}
}

static void
outcome_bad (const char *text)
{
	g_autoptr (GError) error = NULL;

	g_assert_false (mmapfs_node_parse_outcome (text, strlen (text), &error));
	assert_errno (error, EINVAL);
}

static void
test_outcome_parse (void)
{
	g_autoptr (GError) error = NULL;
	static const char text[] = "error: ENOENT: no mapping named a: b\n";

	g_assert_true (mmapfs_node_parse_outcome ("ok\n", 3, &error));
	g_assert_no_error (error);

	g_assert_false (mmapfs_node_parse_outcome (text, strlen (text), &error));
	g_assert_error (error, MMAPFS_ERROR, ENOENT);
	g_assert_cmpstr (error->message, ==, "no mapping named a: b");
	g_clear_error (&error);

	g_assert_false (mmapfs_node_parse_outcome ("error: EOPNOTSUPP: x\n", 21, &error));
	g_assert_error (error, MMAPFS_ERROR, EOPNOTSUPP);
	g_clear_error (&error);
}

static void
test_outcome_malformed (void)
{
	g_autoptr (GError) error = NULL;

	outcome_bad ("");
	outcome_bad ("ok");
	outcome_bad ("ok\n\n");
	outcome_bad ("OK\n");
	outcome_bad ("error: EINVAL\n");
	outcome_bad ("error: EINVAL: \n");
	outcome_bad ("error: : sentence\n");
	outcome_bad ("error:EINVAL: sentence\n");
	outcome_bad ("error: EINVAL: two\nlines\n");
	outcome_bad ("error: EINVAL: sentence");

	g_assert_false (mmapfs_node_parse_outcome ("fine\n", 5, &error));
	g_assert_cmpstr (error->message, ==,
			 "the outcome \"fine\" is neither \"ok\" nor \"error: ENAME: sentence\"");
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_node_parse_outcome ("error: ENOPE: x\n", 16, &error));
	g_assert_cmpstr (error->message, ==, "the outcome names \"ENOPE\", which is not an errno");
	assert_errno (error, EINVAL);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	page = mmapfs_region_page_size ();

	g_test_add_func ("/node/names", test_names);
	g_test_add_func ("/node/render/every-node", test_render);
	g_test_add_func ("/node/render/follows-state", test_render_follows_state);
	g_test_add_func ("/node/render/closed", test_render_closed);
	g_test_add_func ("/node/render/round-trip", test_render_round_trip);
	g_test_add_func ("/node/write/size", test_write_size);
	g_test_add_func ("/node/write/advise", test_write_advise);
	g_test_add_func ("/node/write/flush", test_write_flush);
	g_test_add_func ("/node/write/move", test_write_move);
	g_test_add_func ("/node/write/lock", test_write_lock);
	g_test_add_func ("/node/write/read-only-nodes", test_write_read_only_nodes);
	g_test_add_func ("/node/outcome/format", test_outcome_format);

	g_test_add_func ("/node/info/parse", test_info_parse);
	g_test_add_func ("/node/info/malformed", test_info_malformed);
	g_test_add_func ("/node/info/round-trip", test_info_round_trip);
	g_test_add_func ("/node/resident/parse", test_resident_parse);
	g_test_add_func ("/node/resident/malformed", test_resident_malformed);
	g_test_add_func ("/node/resident/round-trip", test_resident_round_trip);
	g_test_add_func ("/node/advise-menu/parse", test_menu_parse);
	g_test_add_func ("/node/advise-menu/malformed", test_menu_malformed);
	g_test_add_func ("/node/advise-menu/round-trip", test_menu_round_trip);
	g_test_add_func ("/node/outcome/parse", test_outcome_parse);
	g_test_add_func ("/node/outcome/malformed", test_outcome_malformed);
	return g_test_run ();
}
