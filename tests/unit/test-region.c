/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of MmapfsRegion's life cycle and Python surface: opening,
 * the read and write families, access modes, seek, find, regex, items
 * and slices, with their edge cases and errnos. test-region-ops.c tests
 * the server API and the whole-region operations. The differential test
 * in tests/diff compares the same methods against Python's mmap at
 * random; these tests pin down the cases by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <mmapfs/mmapfs.h>

#include "test-util.h"
#include "test-region-fixture.h"

/* ---------------------------------------------------------------------- */

static void
test_open_defaults (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_WRITE, 0, 0,
								  &error);

	g_assert_no_error (error);
	g_assert_cmpint (mmapfs_region_len (r, NULL), ==, f->size);
	g_assert_cmpint (mmapfs_region_file_size (r, NULL), ==, f->size);
	g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, 0);
	g_assert_cmpstr (mmapfs_region_get_path (r), ==, f->path);
	g_assert_false (mmapfs_region_is_anonymous (r));
	g_assert_true (mmapfs_region_is_writable (r));
	g_assert_true (mmapfs_region_is_resizable (r));
	g_assert_false (mmapfs_region_closed (r));
	g_assert_cmpint (mmapfs_region_get_access_pattern (r), ==, MADV_NORMAL);
}

static void
test_open_offset_length (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = NULL;
	g_autoptr (GBytes) bytes = NULL;

	r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_READ, page, 10, &error);
	g_assert_no_error (error);
	g_assert_cmpint (mmapfs_region_len (r, NULL), ==, 10);
	bytes = mmapfs_region_read (r, -1, &error);
	g_assert_no_error (error);
	/* byte `page` of the file is 'a' + page % 26 */
	g_assert_cmpint (((const char *) g_bytes_get_data (bytes, NULL))[0], ==, 'a' + page % 26);
	g_clear_pointer (&r, mmapfs_region_unref);

	/* length 0 maps to the end of the file */
	r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_READ, 2 * page, 0, &error);
	g_assert_no_error (error);
	g_assert_cmpint (mmapfs_region_len (r, NULL), ==, f->size - 2 * page);
	g_assert_cmpint (mmapfs_region_get_offset (r), ==, 2 * page);

	/* offset + length exactly at the end is fine */
	g_clear_pointer (&r, mmapfs_region_unref);
	r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_READ, page, f->size - page, &error);
	g_assert_no_error (error);
}

static void
test_open_errors (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autofree char *missing = g_build_filename (f->dir, "missing", NULL);
	g_autofree char *empty = g_build_filename (f->dir, "empty", NULL);
	g_autofree char *fifo = g_build_filename (f->dir, "fifo", NULL);
	struct {
		const char *path;
		MmapfsAccess access;
		guint64 offset;
		guint64 length;
		int errnum;
	} cases[] = {
		{ missing, MMAPFS_ACCESS_WRITE, 0, 0, ENOENT },
		{ f->dir, MMAPFS_ACCESS_WRITE, 0, 0, EINVAL },
		{ f->dir, MMAPFS_ACCESS_READ, 0, 0, EINVAL },
		{ fifo, MMAPFS_ACCESS_READ, 0, 0, EINVAL },
		{ "/dev/null", MMAPFS_ACCESS_READ, 0, 0, EINVAL },
		{ empty, MMAPFS_ACCESS_WRITE, 0, 0, EINVAL },
		{ f->path, MMAPFS_ACCESS_WRITE, 1, 0, EINVAL },
		{ f->path, MMAPFS_ACCESS_WRITE, 100, 10, EINVAL },
		{ f->path, MMAPFS_ACCESS_WRITE, 4 * page, 0, EINVAL },
		{ f->path, MMAPFS_ACCESS_WRITE, 4 * page, 1, EINVAL },
		{ f->path, MMAPFS_ACCESS_WRITE, 0, f->size + 1, EINVAL },
		{ f->path, MMAPFS_ACCESS_WRITE, page, f->size - page + 1, EINVAL },
		{ f->path, MMAPFS_ACCESS_WRITE, 0, G_MAXUINT64, EINVAL },
	};

	g_assert_true (g_file_set_contents (empty, "", 0, NULL));
	g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (GError) error = NULL;
		g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (
			cases[i].path, cases[i].access, cases[i].offset, cases[i].length, &error);

		g_test_message ("case %u: %s", i, cases[i].path);
		g_assert_null (r);
		g_assert_error (error, MMAPFS_ERROR, cases[i].errnum);
		g_assert_nonnull (strstr (error->message, " "));
	}
	/* a refused map leaves the file alone */
	g_assert_cmpint (file_size (f->path), ==, f->size);
}

static void
test_open_fd (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = NULL;
	int fd = open (f->path, O_RDONLY);

	g_assert_cmpint (fd, >=, 0);
	/* a read-only descriptor cannot back a shared writable mapping */
	r = mmapfs_region_new_from_fd (fd, MMAPFS_ACCESS_WRITE, 0, 0, &error);
	g_assert_null (r);
	assert_errno (error, EACCES);

	/* but can back a copy-on-write one; the region keeps its own descriptor */
	r = mmapfs_region_new_from_fd (fd, MMAPFS_ACCESS_COPY, 0, 0, &error);
	g_assert_no_error (error);
	close (fd);
	g_assert_cmpint (mmapfs_region_file_size (r, &error), ==, f->size);
	g_assert_null (mmapfs_region_get_path (r));

	r = (mmapfs_region_unref (r), NULL);
	r = mmapfs_region_new_from_fd (1000, MMAPFS_ACCESS_READ, 0, 0, &error);
	g_assert_null (r);
	g_assert_error (error, MMAPFS_ERROR, EBADF);
}

/* ---------------------------------------------------------------------- */

static void
test_read_family (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = NULL;
	g_autoptr (GBytes) bytes = NULL;
	g_autofree char *text = g_build_filename (f->dir, "text", NULL);

	g_assert_true (g_file_set_contents (text, "one\ntwo\nthree", -1, NULL));
	r = mmapfs_region_new_from_path (text, MMAPFS_ACCESS_READ, 0, 0, &error);
	g_assert_no_error (error);

	bytes = mmapfs_region_readline (r, &error);
	g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "one\n", 4);
	g_clear_pointer (&bytes, g_bytes_unref);
	g_assert_cmpint (mmapfs_region_read_byte (r, &error), ==, 't');
	bytes = mmapfs_region_read (r, 2, &error);
	g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "wo", 2);
	g_clear_pointer (&bytes, g_bytes_unref);
	bytes = mmapfs_region_readline (r, &error);
	g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "\n", 1);
	g_clear_pointer (&bytes, g_bytes_unref);
	/* the last line has no newline: read to the end */
	bytes = mmapfs_region_readline (r, &error);
	g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "three", 5);
	g_clear_pointer (&bytes, g_bytes_unref);
	g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, 13);

	/* at the end: empty reads, read_byte fails and the position stays */
	bytes = mmapfs_region_read (r, -1, &error);
	g_assert_cmpuint (g_bytes_get_size (bytes), ==, 0);
	g_clear_pointer (&bytes, g_bytes_unref);
	bytes = mmapfs_region_readline (r, &error);
	g_assert_cmpuint (g_bytes_get_size (bytes), ==, 0);
	g_clear_pointer (&bytes, g_bytes_unref);
	g_assert_no_error (error);
	g_assert_cmpint (mmapfs_region_read_byte (r, &error), ==, -1);
	assert_errno (error, EINVAL);
	g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, 13);

	/* read(n) with n larger than what remains, and read(-1) */
	g_assert_true (mmapfs_region_seek (r, 10, 0, NULL));
	bytes = mmapfs_region_read (r, 100, &error);
	g_assert_cmpuint (g_bytes_get_size (bytes), ==, 3);
	g_clear_pointer (&bytes, g_bytes_unref);
	g_assert_true (mmapfs_region_seek (r, 0, 0, NULL));
	bytes = mmapfs_region_read (r, -1, &error);
	g_assert_cmpuint (g_bytes_get_size (bytes), ==, 13);
}

static void
test_write_family (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_WRITE, 0, 0,
								  &error);
	g_autofree char *contents = NULL;

	g_assert_cmpint (mmapfs_region_write (r, "XYZ", 3, &error), ==, 3);
	g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, 3);
	g_assert_true (mmapfs_region_write_byte (r, '!', &error));
	g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, 4);

	/* all or nothing at the end: nothing written, position kept */
	g_assert_true (mmapfs_region_seek (r, -2, 2, NULL));
	g_assert_cmpint (mmapfs_region_write (r, "123", 3, &error), ==, -1);
	assert_errno (error, EINVAL);
	g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, f->size - 2);
	g_assert_cmpint (mmapfs_region_write (r, "12", 2, &error), ==, 2);
	g_assert_false (mmapfs_region_write_byte (r, '3', &error));
	assert_errno (error, EINVAL);
	g_assert_cmpint (mmapfs_region_write (r, "", 0, &error), ==, 0);

	g_assert_true (mmapfs_region_flush (r, 0, MMAPFS_UNSET, MMAPFS_FLUSH_SYNC, &error));
	contents = file_contents (f->path, NULL);
	g_assert_cmpmem (contents, 4, "XYZ!", 4);
	g_assert_cmpmem (contents + f->size - 2, 2, "12", 2);
}

static void
test_read_only (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_READ, 0, 0,
								  &error);

	g_assert_false (mmapfs_region_is_writable (r));
	g_assert_cmpint (mmapfs_region_write (r, "x", 1, &error), ==, -1);
	assert_errno (error, EACCES);
	g_assert_false (mmapfs_region_write_byte (r, 'x', &error));
	assert_errno (error, EACCES);
	g_assert_cmpint (mmapfs_region_pwrite (r, "x", 1, 0, &error), ==, -1);
	assert_errno (error, EACCES);
	g_assert_false (mmapfs_region_set_slice (r, 0, 1, "x", 1, &error));
	assert_errno (error, EACCES);
	g_assert_false (mmapfs_region_move (r, 0, 1, 1, &error));
	assert_errno (error, EACCES);
	g_assert_false (mmapfs_region_resize (r, page, &error));
	assert_errno (error, EPERM);
	/* flush of a read mapping checks the range but not the alignment */
	g_assert_true (mmapfs_region_flush (r, 1, 10, MMAPFS_FLUSH_SYNC, &error));
	g_assert_false (mmapfs_region_flush (r, 0, (gint64) f->size + 1, MMAPFS_FLUSH_SYNC,
					     &error));
	g_assert_error (error, MMAPFS_ERROR, EINVAL);
	g_assert_cmpint (file_size (f->path), ==, f->size);
}

static void
test_copy_mode (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_COPY, 0, 0,
								  &error);
	g_autofree char *contents = NULL;
	char byte;

	g_assert_cmpint (mmapfs_region_pwrite (r, "COPY", 4, 0, &error), ==, 4);
	g_assert_true (mmapfs_region_flush (r, 0, MMAPFS_UNSET, MMAPFS_FLUSH_SYNC, &error));
	g_assert_cmpint (mmapfs_region_pread (r, &byte, 1, 0, &error), ==, 1);
	g_assert_cmpint (byte, ==, 'C');
	g_assert_false (mmapfs_region_resize (r, page, &error));
	g_assert_error (error, MMAPFS_ERROR, EPERM);
	g_clear_pointer (&r, mmapfs_region_unref);
	contents = file_contents (f->path, NULL);
	g_assert_cmpmem (contents, 4, "abcd", 4);
}

static void
test_seek (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_READ, 0, 0,
								  &error);

	g_assert_true (mmapfs_region_seek (r, (gint64) f->size, 0, &error));
	g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, f->size);
	g_assert_true (mmapfs_region_seek (r, -10, 1, &error));
	g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, f->size - 10);
	g_assert_true (mmapfs_region_seek (r, -(gint64) f->size, 2, &error));
	g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, 0);

	const struct {
		gint64 pos;
		int whence;
	} bad[] = {
		{ -1, 0 }, { (gint64) f->size + 1, 0 }, { -1, 1 }, { 1, 2 },
		{ G_MAXINT64, 2 }, { G_MININT64, 1 }, { 0, 3 }, { 0, -1 },
	};
	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_assert_false (mmapfs_region_seek (r, bad[i].pos, bad[i].whence, &error));
		assert_errno (error, EINVAL);
		g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, 0);
	}
}

static void
test_find (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_anonymous (100, &error);
	gssize at = 0;

	for (int i = 0; i < 50; i++)
		g_assert_cmpint (mmapfs_region_write (r, "ab", 2, NULL), ==, 2);

	const struct {
		gboolean reverse;
		const char *needle;
		gint64 start;
		gint64 end;
		gssize expect;
	} cases[] = {
		/* the position (100, after the writes) is the default start */
		{ FALSE, "a", MMAPFS_UNSET, MMAPFS_UNSET, -1 },
		{ FALSE, "", MMAPFS_UNSET, MMAPFS_UNSET, 100 },
		{ FALSE, "ab", 0, MMAPFS_UNSET, 0 },
		{ FALSE, "ba", 0, MMAPFS_UNSET, 1 },
		{ TRUE, "ab", 0, MMAPFS_UNSET, 98 },
		{ TRUE, "a", 0, -3, 96 },
		{ FALSE, "ab", 98, MMAPFS_UNSET, 98 },
		{ FALSE, "ab", 97, 99, -1 },
		{ FALSE, "b", -5, MMAPFS_UNSET, 95 },
		{ FALSE, "a", -500, MMAPFS_UNSET, 0 },
		{ FALSE, "a", 50, 10, -1 },
		{ TRUE, "a", 50, 10, -1 },
		{ FALSE, "", 50, 10, 50 },
		{ TRUE, "", 50, 10, 10 },
		{ FALSE, "", 500, MMAPFS_UNSET, 100 },
		{ TRUE, "", -500, -400, 0 },
		{ FALSE, "abc", 0, MMAPFS_UNSET, -1 },
	};
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		gboolean ok = cases[i].reverse
				      ? mmapfs_region_rfind (r, cases[i].needle, strlen (cases[i].needle),
							     cases[i].start, cases[i].end, &at, &error)
				      : mmapfs_region_find (r, cases[i].needle, strlen (cases[i].needle),
							    cases[i].start, cases[i].end, &at, &error);
		g_test_message ("case %u", i);
		g_assert_no_error (error);
		g_assert_true (ok);
		g_assert_cmpint (at, ==, cases[i].expect);
	}
	/* the default start follows the position, which find does not move */
	g_assert_true (mmapfs_region_seek (r, 5, 0, NULL));
	g_assert_true (mmapfs_region_rfind (r, "a", 1, MMAPFS_UNSET, MMAPFS_UNSET, &at, NULL));
	g_assert_cmpint (at, ==, 98);
	g_assert_true (mmapfs_region_find (r, "a", 1, MMAPFS_UNSET, MMAPFS_UNSET, &at, NULL));
	g_assert_cmpint (at, ==, 6);
	g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, 5);
	(void) f;
}

static void
test_regex (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_READ, 0, 0,
								  &error);
	g_autoptr (GRegex) regex = g_regex_new ("x[y]z", G_REGEX_RAW, 0, &error);
	g_autoptr (GRegex) binary = g_regex_new ("\\xff\\x00", G_REGEX_RAW, 0, &error);
	gssize start = 0;
	gssize end = 0;

	g_assert_no_error (error);
	g_assert_true (mmapfs_region_search_regex (r, regex, 0, MMAPFS_UNSET, &start, &end, &error));
	g_assert_cmpint (start, ==, 23);
	g_assert_cmpint (end, ==, 26);
	/* start past the first hit finds the next one, 26 bytes on */
	g_assert_true (mmapfs_region_search_regex (r, regex, 24, MMAPFS_UNSET, &start, &end, &error));
	g_assert_cmpint (start, ==, 49);
	/* the end bound hides a match that would cross it */
	g_assert_true (mmapfs_region_search_regex (r, regex, 0, 25, &start, &end, &error));
	g_assert_cmpint (start, ==, -1);
	g_assert_true (mmapfs_region_search_regex (r, binary, 0, MMAPFS_UNSET, &start, NULL, &error));
	g_assert_cmpint (start, ==, -1);
}

static void
test_items_slices (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_WRITE, 0, 0,
								  &error);
	g_autoptr (GBytes) bytes = NULL;

	g_assert_cmpint (mmapfs_region_get_item (r, 0, &error), ==, 'a');
	g_assert_cmpint (mmapfs_region_get_item (r, -1, &error), ==, 'a' + (f->size - 1) % 26);
	g_assert_cmpint (mmapfs_region_get_item (r, (gint64) f->size, &error), ==, -1);
	assert_errno (error, EINVAL);
	g_assert_cmpint (mmapfs_region_get_item (r, -(gint64) f->size - 1, &error), ==, -1);
	assert_errno (error, EINVAL);
	g_assert_true (mmapfs_region_set_item (r, -1, '#', &error));
	g_assert_cmpint (mmapfs_region_get_item (r, (gint64) f->size - 1, &error), ==, '#');

	bytes = mmapfs_region_get_slice (r, 2, 5, &error);
	g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "cde", 3);
	g_clear_pointer (&bytes, g_bytes_unref);
	bytes = mmapfs_region_get_slice (r, 5, 2, &error);
	g_assert_cmpuint (g_bytes_get_size (bytes), ==, 0);
	g_clear_pointer (&bytes, g_bytes_unref);
	bytes = mmapfs_region_get_slice (r, -500000, 3, &error);
	g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "abc", 3);
	g_clear_pointer (&bytes, g_bytes_unref);

	g_assert_true (mmapfs_region_set_slice (r, 0, 3, "XYZ", 3, &error));
	g_assert_true (mmapfs_region_set_slice (r, 5, 2, "", 0, &error));
	g_assert_false (mmapfs_region_set_slice (r, 0, 3, "XY", 2, &error));
	assert_errno (error, EINVAL);
	bytes = mmapfs_region_get_slice (r, MMAPFS_UNSET, 4, &error);
	g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "XYZd", 4);
	g_assert_cmpint (mmapfs_region_len (r, NULL), ==, f->size);
}

/* Python's find() bounds, on any length: mmapfs_find_bounds(). */
static void
test_find_bounds (void)
{
	static const struct {
		gint64 start, end;
		guint64 length;
		guint64 want_start, want_end;
	} cases[] = {
		{ 0, 10, 10, 0, 10 },
		{ 3, 7, 10, 3, 7 },
		{ -3, -1, 10, 7, 9 },		    /* negative: from the end */
		{ -30, 100, 10, 0, 10 },	    /* then clipped */
		{ 8, 2, 10, 8, 2 },		    /* end below start stays so */
		{ MMAPFS_UNSET, MMAPFS_UNSET, 10, 0, 10 },
		{ G_MININT64 + 1, G_MAXINT64, 10, 0, 10 },
		{ -1, -1, 0, 0, 0 },		    /* nothing to search */
		{ 5, MMAPFS_UNSET, 3, 3, 3 },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		guint64 start = 99, end = 99;

		mmapfs_find_bounds (cases[i].start, cases[i].end, cases[i].length, &start, &end);
		g_assert_cmpuint (start, ==, cases[i].want_start);
		g_assert_cmpuint (end, ==, cases[i].want_end);
	}
}

/* The last occurrence, memmem(3) from the end: mmapfs_memrmem(). */
static void
test_memrmem (void)
{
	static const char hay[] = "abcabcab";
	static const char aab[] = "aab";
	gsize len = strlen (hay);

	g_assert_true (mmapfs_memrmem (hay, len, "abc", 3) == hay + 3);
	g_assert_true (mmapfs_memrmem (hay, len, "ab", 2) == hay + 6);
	g_assert_true (mmapfs_memrmem (hay, len, "b", 1) == hay + 7);
	g_assert_true (mmapfs_memrmem (hay, len, "abcabcab", 8) == hay);
	g_assert_null (mmapfs_memrmem (hay, len, "abcabcabc", 9));
	g_assert_null (mmapfs_memrmem (hay, len, "cc", 2));
	/* A first byte that matches where the rest does not. */
	g_assert_true (mmapfs_memrmem (aab, 3, "ab", 2) == aab + 1);
	g_assert_null (mmapfs_memrmem ("aaa", 3, "ab", 2));
	/* Python's rule: an empty needle is found at the end. */
	g_assert_true (mmapfs_memrmem (hay, len, "", 0) == hay + len);
	g_assert_null (mmapfs_memrmem (NULL, 0, "a", 1));
}

/* A residency vector as runs of resident pages: mmapfs_mincore_runs(). */
static void
test_mincore_runs (void)
{
	static const guint8 vec[] = { 1, 1, 0, 0, 3, 0, 1, 1, 1 };
	g_autoptr (GBytes) vector = g_bytes_new_static (vec, sizeof vec);
	g_autoptr (GBytes) empty = g_bytes_new_static (vec, 0);
	g_autoptr (GArray) runs = NULL;
	g_autoptr (GArray) none = NULL;
	const MmapfsResidentRun *run;
	guint64 resident = 0;

	runs = mmapfs_mincore_runs (vector, 100, &resident);
	g_assert_cmpuint (resident, ==, 6);
	g_assert_cmpuint (runs->len, ==, 3);
	run = &g_array_index (runs, MmapfsResidentRun, 0);
	g_assert_cmpuint (run->first, ==, 100);
	g_assert_cmpuint (run->last, ==, 101);
	/* Bit 0 alone counts: 3 is resident. */
	run = &g_array_index (runs, MmapfsResidentRun, 1);
	g_assert_cmpuint (run->first, ==, 104);
	g_assert_cmpuint (run->last, ==, 104);
	run = &g_array_index (runs, MmapfsResidentRun, 2);
	g_assert_cmpuint (run->first, ==, 106);
	g_assert_cmpuint (run->last, ==, 108);

	none = mmapfs_mincore_runs (empty, 0, NULL);
	g_assert_cmpuint (none->len, ==, 0);
}

/* The one way to set an error in MMAPFS_ERROR: mmapfs_set_error(). */
static void
test_set_error (void)
{
	g_autoptr (GError) error = NULL;

	mmapfs_set_error (&error, ENOENT, "no mapping named \"%s\"", "db");
	g_assert_error (error, MMAPFS_ERROR, ENOENT);
	g_assert_cmpstr (error->message, ==, "no mapping named \"db\"");
	/* A NULL location is allowed, as with g_set_error(). */
	mmapfs_set_error (NULL, EIO, "ignored");
	assert_errno (error, ENOENT);
}

int
main (int argc, char **argv)
{
	page = (gsize) sysconf (_SC_PAGESIZE);
	g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
	g_test_add ("/region/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD ("open/defaults", test_open_defaults);
	ADD ("open/offset-length", test_open_offset_length);
	ADD ("open/errors", test_open_errors);
	ADD ("open/fd", test_open_fd);
	ADD ("read/family", test_read_family);
	ADD ("write/family", test_write_family);
	ADD ("access/read-only", test_read_only);
	ADD ("access/copy", test_copy_mode);
	ADD ("seek", test_seek);
	ADD ("find", test_find);
	ADD ("regex", test_regex);
	ADD ("items-slices", test_items_slices);
#undef ADD
	g_test_add_func ("/region/find-bounds", test_find_bounds);
	g_test_add_func ("/region/memrmem", test_memrmem);
	g_test_add_func ("/region/mincore-runs", test_mincore_runs);
	g_test_add_func ("/error/set-error", test_set_error);
	return g_test_run ();
}
