/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of MmapfsRegion's positionless server API and whole-region
 * operations: move, resize and its undo, flush, madvise, lock, residency,
 * info, a closed region, the SIGBUS guard on a truncated backing file,
 * and a threaded test of readers and writers racing a resizer.
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
collect (const guint8 *bytes, gsize count, gpointer user_data)
{
	g_byte_array_append (user_data, bytes != NULL ? bytes : (const guint8 *) "", (guint) count);
}

static void
test_positionless (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_WRITE, 0, 0,
								  &error);
	g_autoptr (GByteArray) got = g_byte_array_new ();
	MmapfsRegionStats stats;
	char buf[16];

	/* pwrite crossing the end stores what fits; at the end ENOSPC */
	g_assert_cmpint (mmapfs_region_pwrite (r, "0123456789", 10, f->size - 4, &error), ==, 4);
	g_assert_cmpint (mmapfs_region_pwrite (r, "x", 1, f->size, &error), ==, -1);
	assert_errno (error, ENOSPC);
	g_assert_cmpint (mmapfs_region_pwrite (r, "x", 0, f->size + 5, &error), ==, 0);

	g_assert_cmpint (mmapfs_region_pread (r, buf, sizeof buf, f->size - 4, &error), ==, 4);
	g_assert_cmpmem (buf, 4, "0123", 4);
	g_assert_cmpint (mmapfs_region_pread (r, buf, sizeof buf, f->size, &error), ==, 0);
	g_assert_cmpint (mmapfs_region_pread (r, buf, sizeof buf, G_MAXUINT64, &error), ==, 0);

	g_assert_cmpint (mmapfs_region_read_at (r, 1, 3, collect, got, &error), ==, 3);
	g_assert_cmpmem (got->data, got->len, "bcd", 3);
	g_assert_cmpint (mmapfs_region_read_at (r, f->size, 3, collect, got, &error), ==, 0);
	g_assert_cmpuint (got->len, ==, 3);
	/* the position is never used nor moved */
	g_assert_cmpint (mmapfs_region_tell (r, NULL), ==, 0);

	mmapfs_region_get_stats (r, &stats);
	g_assert_cmpuint (stats.writes, ==, 1);
	g_assert_cmpuint (stats.bytes_written, ==, 4);
	g_assert_cmpuint (stats.reads, ==, 5);
	g_assert_cmpuint (stats.bytes_read, ==, 4 + 3);
}

static void
test_move (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_anonymous (10, &error);
	g_autoptr (GBytes) bytes = NULL;

	g_assert_cmpint (mmapfs_region_write (r, "0123456789", 10, &error), ==, 10);
	g_assert_true (mmapfs_region_move (r, 2, 0, 5, &error)); /* overlapping */
	bytes = mmapfs_region_get_slice (r, 0, 10, &error);
	g_assert_cmpmem (g_bytes_get_data (bytes, NULL), 10, "0101234789", 10);
	g_assert_true (mmapfs_region_move (r, 10, 0, 0, &error));
	g_assert_false (mmapfs_region_move (r, 6, 0, 5, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_region_move (r, 0, 11, 0, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_region_move (r, 0, 0, G_MAXUINT64, &error));
	g_assert_error (error, MMAPFS_ERROR, EINVAL);
	(void) f;
}

static void
test_resize_file (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_WRITE, page,
								  0, &error);
	char byte = 0;

	g_assert_true (mmapfs_region_madvise (r, MADV_SEQUENTIAL, 0, (gint64) page, &error));
	g_assert_true (mmapfs_region_resize (r, 5 * page, &error));
	g_assert_no_error (error);
	g_assert_cmpint (mmapfs_region_len (r, NULL), ==, 5 * page);
	/* the file is offset + length long; new bytes are zero; old ones kept */
	g_assert_cmpint (file_size (f->path), ==, 6 * page);
	g_assert_cmpint (mmapfs_region_pread (r, &byte, 1, 5 * page - 1, NULL), ==, 1);
	g_assert_cmpint (byte, ==, 0);
	g_assert_cmpint (mmapfs_region_pread (r, &byte, 1, 0, NULL), ==, 1);
	g_assert_cmpint (byte, ==, 'a' + page % 26);
	/* the access pattern survives, even though advice split the mapping */
	g_assert_cmpint (mmapfs_region_get_access_pattern (r), ==, MADV_SEQUENTIAL);

	g_assert_true (mmapfs_region_resize (r, 10, &error));
	g_assert_cmpint (file_size (f->path), ==, page + 10);

	/* refused before anything is touched */
	g_assert_false (mmapfs_region_resize (r, 0, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_region_resize (r, G_MAXUINT64, &error));
	assert_errno (error, EINVAL);
	g_assert_cmpint (file_size (f->path), ==, page + 10);
	g_assert_cmpint (mmapfs_region_len (r, NULL), ==, 10);
}

static void
test_resize_anonymous (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_anonymous (page, &error);
	char buf[4];

	g_assert_true (mmapfs_region_is_anonymous (r));
	g_assert_cmpint (mmapfs_region_file_size (r, &error), ==, -1);
	assert_errno (error, EBADF);
	g_assert_cmpint (mmapfs_region_pwrite (r, "keep", 4, 0, &error), ==, 4);
	g_assert_true (mmapfs_region_resize (r, 3 * page, &error));
	g_assert_true (mmapfs_region_resize (r, 4, &error));
	g_assert_cmpint (mmapfs_region_pread (r, buf, 4, 0, &error), ==, 4);
	g_assert_cmpmem (buf, 4, "keep", 4);
	g_assert_null (mmapfs_region_new_anonymous (0, &error));
	g_assert_error (error, MMAPFS_ERROR, EINVAL);
}

static void
test_flush (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_WRITE, 0, 0,
								  &error);
	MmapfsRegionStats stats;

	g_assert_true (mmapfs_region_flush (r, 0, MMAPFS_UNSET, MMAPFS_FLUSH_SYNC, &error));
	g_assert_true (mmapfs_region_flush (r, (gint64) page, 10, MMAPFS_FLUSH_ASYNC, &error));
	g_assert_true (mmapfs_region_flush (r, 0, 0, MMAPFS_FLUSH_INVALIDATE, &error));
	g_assert_no_error (error);
	/* Python's default size is the whole length: a nonzero offset overruns */
	g_assert_false (mmapfs_region_flush (r, (gint64) page, MMAPFS_UNSET, MMAPFS_FLUSH_SYNC,
					     &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_region_flush (r, 1, 10, MMAPFS_FLUSH_SYNC, &error));
	g_assert_error (error, MMAPFS_ERROR, EINVAL);
	g_assert_nonnull (strstr (error->message, "page size"));
	g_clear_error (&error);
	g_assert_false (mmapfs_region_flush (r, -1, 1, MMAPFS_FLUSH_SYNC, &error));
	assert_errno (error, EINVAL);
	mmapfs_region_get_stats (r, &stats);
	g_assert_cmpuint (stats.flushes, ==, 6);
}

static void
test_madvise (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_WRITE, 0, 0,
								  &error);

	g_assert_true (mmapfs_region_madvise (r, MADV_RANDOM, MMAPFS_UNSET, MMAPFS_UNSET, &error));
	g_assert_cmpint (mmapfs_region_get_access_pattern (r), ==, MADV_RANDOM);
	g_assert_true (mmapfs_region_madvise (r, MADV_WILLNEED, 0, G_MAXINT64, &error));
	g_assert_cmpint (mmapfs_region_get_access_pattern (r), ==, MADV_RANDOM);
	/* a length past the end is clipped */
	g_assert_true (mmapfs_region_madvise (r, MADV_NORMAL, (gint64) page, 100 * (gint64) page,
					      &error));
	g_assert_cmpint (mmapfs_region_get_access_pattern (r), ==, MADV_NORMAL);
	g_assert_no_error (error);

	const struct {
		gint64 start;
		gint64 length;
		int errnum;
	} bad[] = {
		{ (gint64) f->size, MMAPFS_UNSET, EINVAL },
		{ -1, MMAPFS_UNSET, EINVAL },
		{ 0, -1, EINVAL },
		{ (gint64) page, G_MAXINT64, EOVERFLOW },
		{ 1, 10, EINVAL }, /* the kernel's answer for an unaligned start */
	};
	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_assert_false (mmapfs_region_madvise (r, MADV_SEQUENTIAL, bad[i].start, bad[i].length,
						       &error));
		g_assert_error (error, MMAPFS_ERROR, bad[i].errnum);
		g_clear_error (&error);
	}
	g_assert_cmpint (mmapfs_region_get_access_pattern (r), ==, MADV_NORMAL);
}

static void
test_lock (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_WRITE, 0, 0,
								  &error);

	g_assert_false (mmapfs_region_is_locked (r));
	if (!mmapfs_region_lock (r, TRUE, &error)) {
		/* Without CAP_IPC_LOCK a small RLIMIT_MEMLOCK may refuse it. */
		g_assert_true (g_error_matches (error, MMAPFS_ERROR, ENOMEM) ||
			       g_error_matches (error, MMAPFS_ERROR, EPERM));
		g_assert_false (mmapfs_region_is_locked (r));
		return;
	}
	g_assert_true (mmapfs_region_is_locked (r));
	g_assert_true (mmapfs_region_resize (r, 2 * page, &error));
	g_assert_true (mmapfs_region_is_locked (r));
	g_assert_true (mmapfs_region_lock (r, FALSE, &error));
	g_assert_false (mmapfs_region_is_locked (r));
}

static void
test_resident (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_anonymous (8 * page, &error);
	g_autofree char *text = NULL;
	g_autoptr (GBytes) vec = NULL;

	/* touch pages 1, 2 and 5 */
	g_assert_cmpint (mmapfs_region_pwrite (r, "x", 1, page, &error), ==, 1);
	g_assert_cmpint (mmapfs_region_pwrite (r, "x", 1, 2 * page, &error), ==, 1);
	g_assert_cmpint (mmapfs_region_pwrite (r, "x", 1, 5 * page, &error), ==, 1);
	vec = mmapfs_region_mincore (r, &error);
	g_assert_cmpuint (g_bytes_get_size (vec), ==, 8);
	text = mmapfs_region_format_resident (r, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (text, ==, "3/8 pages resident\n1-2\n5-5\n");
	(void) f;
}

static void
test_info (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_READ, 0, 0,
								  &error);
	g_autofree char *text = NULL;
	g_auto (GStrv) lines = NULL;
	const char *keys[] = { "name", "path", "access", "offset", "length", "file_size",
			       "page_size", "advice", "locked", "resident_pages", "total_pages",
			       "reads", "writes", "bytes_read", "bytes_written", "flushes",
			       "last_error" };

	g_assert_cmpint (mmapfs_region_pwrite (r, "x", 1, 0, &error), ==, -1);
	g_clear_error (&error);
	text = mmapfs_region_format_info (r, "demo", &error);
	g_assert_no_error (error);
	lines = g_strsplit (text, "\n", -1);
	for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
		g_autofree char *prefix = g_strdup_printf ("%s: ", keys[i]);
		g_assert_true (g_str_has_prefix (lines[i], prefix));
	}
	g_assert_cmpstr (lines[0], ==, "name: demo");
	g_assert_cmpstr (lines[2], ==, "access: read");
	g_assert_true (g_str_has_prefix (lines[16], "last_error: the mapping is read-only"));
	g_assert_true (g_str_has_suffix (text, "\n"));
}

static void
test_closed (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_WRITE, 0, 0,
								  &error);
	gssize at;
	char byte;

	g_assert_cmpint (mmapfs_region_pwrite (r, "Z", 1, 0, NULL), ==, 1);
	g_assert_true (mmapfs_region_close (r, &error));
	g_assert_true (mmapfs_region_close (r, &error));
	g_assert_true (mmapfs_region_closed (r));
	g_assert_no_error (error);
	/* closing flushed the write */
	{
		g_autofree char *contents = file_contents (f->path, NULL);
		g_assert_cmpint (contents[0], ==, 'Z');
	}

#define ASSERT_EBADF(call)                                          \
	do {                                                        \
		g_assert_false ((call) > 0);                        \
		g_assert_error (error, MMAPFS_ERROR, EBADF);        \
		g_clear_error (&error);                             \
	} while (0)
	ASSERT_EBADF (mmapfs_region_len (r, &error));
	ASSERT_EBADF (mmapfs_region_file_size (r, &error));
	ASSERT_EBADF (mmapfs_region_read (r, 1, &error) != NULL);
	ASSERT_EBADF (mmapfs_region_read_byte (r, &error));
	ASSERT_EBADF (mmapfs_region_readline (r, &error) != NULL);
	ASSERT_EBADF (mmapfs_region_write (r, "x", 1, &error));
	ASSERT_EBADF (mmapfs_region_write_byte (r, 'x', &error));
	ASSERT_EBADF (mmapfs_region_seek (r, 0, 0, &error));
	ASSERT_EBADF (mmapfs_region_tell (r, &error));
	ASSERT_EBADF (mmapfs_region_find (r, "x", 1, 0, 1, &at, &error));
	ASSERT_EBADF (mmapfs_region_rfind (r, "x", 1, 0, 1, &at, &error));
	ASSERT_EBADF (mmapfs_region_get_item (r, 0, &error));
	ASSERT_EBADF (mmapfs_region_set_item (r, 0, 1, &error));
	ASSERT_EBADF (mmapfs_region_get_slice (r, 0, 1, &error) != NULL);
	ASSERT_EBADF (mmapfs_region_set_slice (r, 0, 1, "x", 1, &error));
	ASSERT_EBADF (mmapfs_region_pread (r, &byte, 1, 0, &error));
	ASSERT_EBADF (mmapfs_region_pwrite (r, "x", 1, 0, &error));
	ASSERT_EBADF (mmapfs_region_read_at (r, 0, 1, collect, NULL, &error));
	ASSERT_EBADF (mmapfs_region_move (r, 0, 0, 1, &error));
	ASSERT_EBADF (mmapfs_region_resize (r, 10, &error));
	ASSERT_EBADF (mmapfs_region_flush (r, 0, MMAPFS_UNSET, MMAPFS_FLUSH_SYNC, &error));
	ASSERT_EBADF (mmapfs_region_madvise (r, MADV_NORMAL, 0, 1, &error));
	ASSERT_EBADF (mmapfs_region_lock (r, TRUE, &error));
	ASSERT_EBADF (mmapfs_region_mincore (r, &error) != NULL);
	ASSERT_EBADF (mmapfs_region_format_info (r, "x", &error) != NULL);
#undef ASSERT_EBADF
}

/* A backing file cut short under the mapping: EIO, never SIGBUS. */
static void
test_truncated_backing_file (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_WRITE, 0, 0,
								  &error);
	g_autoptr (GByteArray) got = g_byte_array_new ();
	g_autoptr (GBytes) bytes = NULL;
	char buf[8];
	gssize at;

	g_assert_cmpint (truncate (f->path, 10), ==, 0);

	/* the first page is still backed */
	g_assert_cmpint (mmapfs_region_pread (r, buf, 8, 0, &error), ==, 8);
	g_assert_cmpint (mmapfs_region_pread (r, buf, 8, 2 * page, &error), ==, -1);
	assert_errno (error, EIO);
	g_assert_cmpint (mmapfs_region_pwrite (r, "x", 1, 2 * page, &error), ==, -1);
	assert_errno (error, EIO);
	g_assert_cmpint (mmapfs_region_read_at (r, 2 * page, 8, collect, got, &error), ==, -1);
	assert_errno (error, EIO);
	/* a loan is whole or nothing: one reaching past the file fails as a whole */
	g_assert_cmpint (mmapfs_region_read_at (r, page - 4, 100, collect, got, &error), ==, -1);
	assert_errno (error, EIO);
	g_assert_cmpint (mmapfs_region_read_at (r, page - 4, 4, collect, got, &error), ==, 4);
	g_assert_false (mmapfs_region_find (r, "zz", 2, 0, MMAPFS_UNSET, &at, &error));
	assert_errno (error, EIO);
	g_assert_true (mmapfs_region_seek (r, (gint64) page, 0, NULL));
	bytes = mmapfs_region_read (r, -1, &error);
	g_assert_null (bytes);
	assert_errno (error, EIO);
	/* and the region still works where the file still is */
	g_assert_cmpint (mmapfs_region_pwrite (r, "ok", 2, 0, &error), ==, 2);
	g_assert_no_error (error);
}

/* ---------------------------------------------------------------------- */
/* Threads: disjoint readers and writers racing a resizer                 */
/* ---------------------------------------------------------------------- */

#define WORKERS 4
#define SLOT 512
#define ROUNDS 3000

typedef struct {
	MmapfsRegion *region;
	guint index;
	gint *failures;
} Worker;

static gpointer
worker_main (gpointer data)
{
	Worker *w = data;
	guint8 out[SLOT];
	guint8 in[SLOT];

	for (guint round = 0; round < ROUNDS; round++) {
		g_autoptr (GError) error = NULL;

		memset (out, (int) (w->index * 31 + round) & 0xff, SLOT);
		if (mmapfs_region_pwrite (w->region, out, SLOT, (guint64) w->index * SLOT, &error) !=
			    SLOT ||
		    mmapfs_region_pread (w->region, in, SLOT, (guint64) w->index * SLOT, &error) !=
			    SLOT ||
		    memcmp (in, out, SLOT) != 0)
			g_atomic_int_inc (w->failures);
	}
	return NULL;
}

static gpointer
resizer_main (gpointer data)
{
	Worker *w = data;

	for (guint round = 0; round < ROUNDS / 10; round++) {
		gsize len = WORKERS * SLOT + (round % 7) * page;

		if (!mmapfs_region_resize (w->region, len, NULL))
			g_atomic_int_inc (w->failures);
	}
	return NULL;
}

static void
test_threads (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (MmapfsRegion) r = mmapfs_region_new_from_path (f->path, MMAPFS_ACCESS_WRITE, 0, 0,
								  &error);
	Worker workers[WORKERS + 1];
	GThread *threads[WORKERS + 1];
	gint failures = 0;
	guint8 in[SLOT];

	for (guint i = 0; i <= WORKERS; i++) {
		workers[i] = (Worker) { r, i, &failures };
		threads[i] = g_thread_new ("worker", i < WORKERS ? worker_main : resizer_main,
					   &workers[i]);
	}
	for (guint i = 0; i <= WORKERS; i++)
		g_thread_join (threads[i]);
	g_assert_cmpint (failures, ==, 0);

	/* each slot holds its worker's last pattern, in the file too */
	g_assert_true (mmapfs_region_flush (r, 0, MMAPFS_UNSET, MMAPFS_FLUSH_SYNC, &error));
	for (guint i = 0; i < WORKERS; i++) {
		guint8 expect = (guint8) ((i * 31 + ROUNDS - 1) & 0xff);

		g_assert_cmpint (mmapfs_region_pread (r, in, SLOT, (guint64) i * SLOT, &error), ==,
				 SLOT);
		for (guint j = 0; j < SLOT; j++)
			g_assert_cmpuint (in[j], ==, expect);
	}
}

int
main (int argc, char **argv)
{
	page = (gsize) sysconf (_SC_PAGESIZE);
	g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
	g_test_add ("/region/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD ("positionless", test_positionless);
	ADD ("move", test_move);
	ADD ("resize/file", test_resize_file);
	ADD ("flush", test_flush);
	ADD ("madvise", test_madvise);
	ADD ("lock", test_lock);
	ADD ("resident", test_resident);
	ADD ("info", test_info);
	ADD ("closed", test_closed);
	ADD ("truncated-backing-file", test_truncated_backing_file);
	ADD ("threads", test_threads);
#undef ADD
	g_test_add_func ("/region/resize/anonymous", test_resize_anonymous);
	return g_test_run ();
}
