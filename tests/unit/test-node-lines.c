/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the parsers of the one-line writes to the size, lock,
 * advise, flush and move nodes (lib/parse-node.c): each rule of DESIGN
 * §2.4 and its errno, with inputs as a write(2) delivers them.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <mmapfs/mmapfs.h>

#include "test-util.h"

static void
test_size_line (void)
{
	static const struct {
		Buf buf;
		guint64 size;
	} good[] = {
		{ S ("4096"), 4096 },	{ S ("4096\n"), 4096 },	 { S ("  8M \n"), 8 << 20 },
		{ S ("\t0x1000\t"), 4096 }, { S ("1\r\n"), 1 }, { S ("1 \n "), 1 },
		{ S ("18446744073709551615"), G_MAXUINT64 },
	};
	static const struct {
		Buf buf;
		int code;
	} bad[] = {
		{ S (""), EINVAL },	   { S ("\n"), EINVAL },	 { S ("  \n"), EINVAL },
		{ S ("0"), EINVAL },	   { S ("0\n"), EINVAL },	 { S ("0x0"), EINVAL },
		{ S ("8 M"), EINVAL },	   { S ("1 2"), EINVAL },	 { S ("1\n\n"), EINVAL },
		{ S ("1\n2"), EINVAL },	   { S ("\n1"), EINVAL },	 { S ("1\0"), EINVAL },
		{ S ("\0"), EINVAL },	   { S ("abc"), EINVAL },	 { S ("-1"), EINVAL },
		{ S ("8KB\n"), EINVAL },   { S ("1\r"), EINVAL },
		{ S ("18446744073709551616\n"), EOVERFLOW },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		guint64 size = 0;

		g_assert_true (mmapfs_parse_size_line (good[i].buf.text, good[i].buf.len, &size,
						       &error));
		g_assert_no_error (error);
		g_assert_cmpuint (size, ==, good[i].size);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		guint64 size = 99;

		g_test_message ("bad size line #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_parse_size_line (bad[i].buf.text, bad[i].buf.len, &size,
							&error));
		g_assert_cmpuint (size, ==, 99);
		assert_errno (error, bad[i].code);
	}
}

static void
test_line_too_long (void)
{
	g_autofree char *buf = g_malloc (MMAPFS_LINE_MAX + 1);
	g_autoptr(GError) error = NULL;
	guint64 size;
	gboolean lock;
	MmapfsAdviseRequest advise;
	MmapfsFlushRequest flush;
	MmapfsMoveRequest move;

	/* Blanks around a number are ignored, up to the line limit. */
	memset (buf, ' ', MMAPFS_LINE_MAX + 1);
	buf[0] = '1';
	g_assert_true (mmapfs_parse_size_line (buf, MMAPFS_LINE_MAX, &size, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (size, ==, 1);

	g_assert_false (mmapfs_parse_size_line (buf, MMAPFS_LINE_MAX + 1, &size, &error));
	g_assert_nonnull (strstr (error->message, "too long"));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_parse_lock_line (buf, MMAPFS_LINE_MAX + 1, &lock, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_parse_advise_line (buf, MMAPFS_LINE_MAX + 1, 0, &advise, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_parse_flush_line (buf, MMAPFS_LINE_MAX + 1, &flush, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_parse_move_line (buf, MMAPFS_LINE_MAX + 1, &move, &error));
	assert_errno (error, EINVAL);
}

static void
test_lock_line (void)
{
	static const struct {
		Buf buf;
		gboolean lock;
	} good[] = {
		{ S ("0"), FALSE }, { S ("1"), TRUE },	{ S ("1\n"), TRUE },
		{ S (" 0 \n"), FALSE }, { S ("\t1\t"), TRUE },
		/* the number grammar holds on every node */
		{ S ("01"), TRUE }, { S ("0x1"), TRUE }, { S ("0X0"), FALSE },
	};
	static const Buf bad[] = {
		S (""),	     S ("\n"),	 S ("2"),     S ("10"),	S ("true"),
		S ("1 1"),   S ("1\n\n"), S ("1\0"),   S ("-1"),	S ("on"),
		S ("1K"),    S ("\n1"),
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		gboolean lock = !good[i].lock;

		g_assert_true (mmapfs_parse_lock_line (good[i].buf.text, good[i].buf.len, &lock,
						       &error));
		g_assert_no_error (error);
		g_assert_cmpint (lock, ==, good[i].lock);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		gboolean lock = 42;

		g_test_message ("bad lock line #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_parse_lock_line (bad[i].text, bad[i].len, &lock, &error));
		g_assert_cmpint (lock, ==, 42);
		assert_errno (error, EINVAL);
	}
	{
		g_autoptr(GError) error = NULL;
		gboolean lock = 42;

		g_assert_false (mmapfs_parse_lock_line ("18446744073709551616\n", 21, &lock,
							&error));
		g_assert_cmpint (lock, ==, 42);
		assert_errno (error, EOVERFLOW);
	}
}

static void
test_advise_line (void)
{
	static const struct {
		Buf buf;
		int advice;
		guint64 start;
		guint64 length;
		gboolean has_length;
	} good[] = {
		{ S ("willneed"), MADV_WILLNEED, 0, 0, FALSE },
		{ S ("willneed\n"), MADV_WILLNEED, 0, 0, FALSE },
		{ S ("MADV_DONTNEED 4096"), MADV_DONTNEED, 4096, 0, FALSE },
		{ S ("random 0 1M"), MADV_RANDOM, 0, 1 << 20, TRUE },
		{ S ("random 0 0"), MADV_RANDOM, 0, 0, TRUE },
		{ S ("  mmap.MADV_SEQUENTIAL\t0x1000  8K \n"), MADV_SEQUENTIAL, 4096, 8192, TRUE },
		{ S ("Normal\r\n"), MADV_NORMAL, 0, 0, FALSE },
		{ S ("pageout 18446744073709551615 18446744073709551615"), 21, G_MAXUINT64,
		  G_MAXUINT64, TRUE },
	};
	static const struct {
		Buf buf;
		MmapfsAdviceFlags flags;
		int code;
	} bad[] = {
		{ S (""), 0, EINVAL },
		{ S ("\n"), 0, EINVAL },
		{ S ("bogus"), 0, EINVAL },
		{ S ("bogus 0 1"), 0, EINVAL },
		{ S ("nosync"), 0, EOPNOTSUPP },
		{ S ("MADV_PROTECT 0"), MMAPFS_ADVICE_ALLOW_HWPOISON, EOPNOTSUPP },
		{ S ("hwpoison"), 0, EPERM },
		{ S ("soft_offline 0 4096"), 0, EPERM },
		{ S ("willneed 0 1 2"), 0, EINVAL },
		{ S ("willneed x"), 0, EINVAL },
		{ S ("willneed 0 -1"), 0, EINVAL },
		{ S ("willneed 8KB"), 0, EINVAL },
		{ S ("willneed 0 99999999999999999999"), 0, EOVERFLOW },
		{ S ("willneed 0x10000000000000000"), 0, EOVERFLOW },
		{ S ("willneed\nrandom"), 0, EINVAL },
		{ S ("willneed\n\n"), 0, EINVAL },
		{ S ("willneed\0"), 0, EINVAL },
		{ S ("0 willneed"), 0, EINVAL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsAdviseRequest request = { -1, 1, 1, 7 };

		g_test_message ("advise line #%" G_GSIZE_FORMAT, i);
		g_assert_true (mmapfs_parse_advise_line (good[i].buf.text, good[i].buf.len, 0,
							 &request, &error));
		g_assert_no_error (error);
		g_assert_cmpint (request.advice, ==, good[i].advice);
		g_assert_cmpuint (request.start, ==, good[i].start);
		g_assert_cmpint (request.has_length, ==, good[i].has_length);
		if (good[i].has_length)
			g_assert_cmpuint (request.length, ==, good[i].length);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsAdviseRequest request = { -1, 1, 1, 7 };

		g_test_message ("bad advise line #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_parse_advise_line (bad[i].buf.text, bad[i].buf.len,
							  bad[i].flags, &request, &error));
		g_assert_cmpint (request.advice, ==, -1);
		g_assert_cmpint (request.has_length, ==, 7);
		assert_errno (error, bad[i].code);
	}

	{
		g_autoptr(GError) error = NULL;
		MmapfsAdviseRequest request;

		g_assert_true (mmapfs_parse_advise_line ("hwpoison 4096", 13,
							 MMAPFS_ADVICE_ALLOW_HWPOISON, &request,
							 &error));
		g_assert_no_error (error);
		g_assert_cmpint (request.advice, ==, 100);
		g_assert_cmpuint (request.start, ==, 4096);
	}
}

static void
test_flush_line (void)
{
	static const struct {
		Buf buf;
		guint64 offset;
		guint64 size;
		gboolean has_size;
		MmapfsFlushFlags flags;
	} good[] = {
		{ S (""), 0, 0, FALSE, MMAPFS_FLUSH_SYNC },
		{ S ("\n"), 0, 0, FALSE, MMAPFS_FLUSH_SYNC },
		{ S ("  \t\n"), 0, 0, FALSE, MMAPFS_FLUSH_SYNC },
		{ S ("4096"), 4096, 0, FALSE, MMAPFS_FLUSH_SYNC },
		{ S ("0 4096\n"), 0, 4096, TRUE, MMAPFS_FLUSH_SYNC },
		{ S ("0 4096 async"), 0, 4096, TRUE, MMAPFS_FLUSH_ASYNC },
		{ S ("0 4096 ASYNC\n"), 0, 4096, TRUE, MMAPFS_FLUSH_ASYNC },
		{ S ("8K 1M Invalidate"), 8192, 1 << 20, TRUE, MMAPFS_FLUSH_INVALIDATE },
		{ S ("0 0 sync"), 0, 0, TRUE, MMAPFS_FLUSH_SYNC },
		{ S ("0x1000 0 SYNC"), 4096, 0, TRUE, MMAPFS_FLUSH_SYNC },
	};
	static const struct {
		Buf buf;
		int code;
	} bad[] = {
		{ S ("0 4096 nosuch"), EINVAL },  { S ("async"), EINVAL },
		{ S ("0 async"), EINVAL },	  { S ("0 1 async x"), EINVAL },
		{ S ("0 1 sync\n\n"), EINVAL },	  { S ("0 1 asyn"), EINVAL },
		{ S ("0 1 async\0"), EINVAL },	  { S ("-1"), EINVAL },
		{ S ("1 2\n3"), EINVAL },	  { S ("0 1 ms_async"), EINVAL },
		{ S ("99999999999999999999"), EOVERFLOW },
		{ S ("0 99999999999999999999 async"), EOVERFLOW },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsFlushRequest request = { 9, 9, 7, 9 };

		g_test_message ("flush line #%" G_GSIZE_FORMAT, i);
		g_assert_true (mmapfs_parse_flush_line (good[i].buf.text, good[i].buf.len, &request,
							&error));
		g_assert_no_error (error);
		g_assert_cmpuint (request.offset, ==, good[i].offset);
		g_assert_cmpint (request.has_size, ==, good[i].has_size);
		if (good[i].has_size)
			g_assert_cmpuint (request.size, ==, good[i].size);
		g_assert_cmpint (request.flags, ==, good[i].flags);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsFlushRequest request = { 9, 9, 7, 9 };

		g_test_message ("bad flush line #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_parse_flush_line (bad[i].buf.text, bad[i].buf.len, &request,
							 &error));
		g_assert_cmpuint (request.offset, ==, 9);
		g_assert_cmpint (request.has_size, ==, 7);
		assert_errno (error, bad[i].code);
	}
}

static void
test_move_line (void)
{
	static const struct {
		Buf buf;
		guint64 dest;
		guint64 src;
		guint64 count;
	} good[] = {
		{ S ("0 4096 100"), 0, 4096, 100 },
		{ S ("1K 0x10 8\n"), 1024, 16, 8 },
		{ S ("\t0\t0\t0\t\n"), 0, 0, 0 },
		{ S ("18446744073709551615 18446744073709551615 18446744073709551615"), G_MAXUINT64,
		  G_MAXUINT64, G_MAXUINT64 },
	};
	static const struct {
		Buf buf;
		int code;
	} bad[] = {
		{ S (""), EINVAL },	     { S ("\n"), EINVAL },	{ S ("1"), EINVAL },
		{ S ("1 2"), EINVAL },	     { S ("1 2 3 4"), EINVAL }, { S ("a b c"), EINVAL },
		{ S ("1 2 3\n\n"), EINVAL }, { S ("1 2\n3"), EINVAL }, { S ("1 2 3\0"), EINVAL },
		{ S ("1 2 -3"), EINVAL },    { S ("1 2 3KB"), EINVAL },
		{ S ("1 2 99999999999999999999"), EOVERFLOW },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsMoveRequest request = { 9, 9, 9 };

		g_assert_true (mmapfs_parse_move_line (good[i].buf.text, good[i].buf.len, &request,
						       &error));
		g_assert_no_error (error);
		g_assert_cmpuint (request.dest, ==, good[i].dest);
		g_assert_cmpuint (request.src, ==, good[i].src);
		g_assert_cmpuint (request.count, ==, good[i].count);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsMoveRequest request = { 9, 9, 9 };

		g_test_message ("bad move line #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_parse_move_line (bad[i].buf.text, bad[i].buf.len, &request,
							&error));
		g_assert_cmpuint (request.dest, ==, 9);
		g_assert_cmpuint (request.count, ==, 9);
		assert_errno (error, bad[i].code);
	}
}

static void
test_line_messages (void)
{
	g_autoptr(GError) error = NULL;
	MmapfsMoveRequest move;
	MmapfsFlushRequest flush;
	gboolean lock;

	g_assert_false (mmapfs_parse_move_line ("1 2\n", 4, &move, &error));
	g_assert_nonnull (strstr (error->message, "\"1 2\""));
	g_assert_nonnull (strstr (error->message, "DEST SRC COUNT"));
	g_clear_error (&error);

	g_assert_false (mmapfs_parse_flush_line ("0 1 later", 9, &flush, &error));
	g_assert_cmpstr (error->message, ==,
			 "\"later\" is not a flush mode: use sync, async or invalidate");
	g_clear_error (&error);

	g_assert_false (mmapfs_parse_lock_line ("yes\n", 4, &lock, &error));
	g_assert_nonnull (strstr (error->message, "\"yes\""));
	g_clear_error (&error);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/parse/line/size", test_size_line);
	g_test_add_func ("/parse/line/too-long", test_line_too_long);
	g_test_add_func ("/parse/line/lock", test_lock_line);
	g_test_add_func ("/parse/line/advise", test_advise_line);
	g_test_add_func ("/parse/line/flush", test_flush_line);
	g_test_add_func ("/parse/line/move", test_move_line);
	g_test_add_func ("/parse/line/messages", test_line_messages);

	return g_test_run ();
}
