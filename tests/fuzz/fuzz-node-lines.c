/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the parsers of the size, lock, advise, flush and move nodes with
 * the same bytes, as one write(2) would bring them. Each accepted request
 * must survive being written back out in canonical form and reparsed; each
 * refusal must carry an allowed errno and a clean sentence.
 */
#include <errno.h>

#include "fuzz-common.h"

static const int number_errors[] = { EINVAL, EOVERFLOW, 0 };
static const int lock_errors[] = { EINVAL, 0 };
static const int advise_errors[] = { EINVAL, EOVERFLOW, EOPNOTSUPP, EPERM, 0 };

static void
fuzz_size (const char *buf, gsize len)
{
	GError *error = NULL;
	guint64 size = 0;

	if (mmapfs_parse_size_line (buf, len, &size, &error)) {
		g_autofree char *line = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", size);
		guint64 again = 0;

		g_assert_cmpuint (size, >, 0);
		g_assert_true (mmapfs_parse_size_line (line, strlen (line), &again, NULL));
		g_assert_cmpuint (again, ==, size);
	} else {
		fuzz_check_error (error, number_errors);
	}
}

static void
fuzz_lock (const char *buf, gsize len)
{
	GError *error = NULL;
	gboolean lock = 2;

	if (mmapfs_parse_lock_line (buf, len, &lock, &error))
		g_assert_true (lock == TRUE || lock == FALSE);
	else
		fuzz_check_error (error, lock_errors);
}

static void
fuzz_advise (const char *buf, gsize len, MmapfsAdviceFlags flags)
{
	GError *error = NULL;
	MmapfsAdviseRequest request = { 0 };

	if (mmapfs_parse_advise_line (buf, len, flags, &request, &error)) {
		const char *name = mmapfs_advice_to_string (request.advice);
		g_autofree char *line = NULL;
		MmapfsAdviseRequest again = { 0 };

		g_assert_nonnull (name);
		if (request.has_length)
			line = g_strdup_printf ("MADV_%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
						name, request.start, request.length);
		else
			line = g_strdup_printf ("%s %" G_GUINT64_FORMAT, name, request.start);
		g_assert_true (mmapfs_parse_advise_line (line, strlen (line), flags, &again, NULL));
		g_assert_cmpint (again.advice, ==, request.advice);
		g_assert_cmpuint (again.start, ==, request.start);
		g_assert_cmpint (again.has_length, ==, request.has_length);
		g_assert_cmpuint (again.length, ==, request.length);
	} else {
		fuzz_check_error (error, advise_errors);
	}
}

static void
fuzz_flush (const char *buf, gsize len)
{
	static const char *const modes[] = { "sync", "async", "invalidate" };
	GError *error = NULL;
	MmapfsFlushRequest request = { 0 };

	if (mmapfs_parse_flush_line (buf, len, &request, &error)) {
		g_autofree char *line = NULL;
		MmapfsFlushRequest again = { 0 };

		g_assert_cmpuint (request.flags, <, G_N_ELEMENTS (modes));
		if (!request.has_size)
			g_assert_cmpint (request.flags, ==, MMAPFS_FLUSH_SYNC);
		if (request.has_size)
			line = g_strdup_printf ("%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %s\n",
						request.offset, request.size,
						modes[request.flags]);
		else
			line = g_strdup_printf ("%" G_GUINT64_FORMAT, request.offset);
		g_assert_true (mmapfs_parse_flush_line (line, strlen (line), &again, NULL));
		g_assert_cmpuint (again.offset, ==, request.offset);
		g_assert_cmpint (again.has_size, ==, request.has_size);
		g_assert_cmpuint (again.size, ==, request.size);
		g_assert_cmpint (again.flags, ==, request.flags);
	} else {
		fuzz_check_error (error, number_errors);
	}
}

static void
fuzz_move (const char *buf, gsize len)
{
	GError *error = NULL;
	MmapfsMoveRequest request = { 0 };

	if (mmapfs_parse_move_line (buf, len, &request, &error)) {
		g_autofree char *line = g_strdup_printf (
			"0x%" G_GINT64_MODIFIER "x %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
			request.dest, request.src, request.count);
		MmapfsMoveRequest again = { 0 };

		g_assert_true (mmapfs_parse_move_line (line, strlen (line), &again, NULL));
		g_assert_cmpuint (again.dest, ==, request.dest);
		g_assert_cmpuint (again.src, ==, request.src);
		g_assert_cmpuint (again.count, ==, request.count);
	} else {
		fuzz_check_error (error, number_errors);
	}
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	const char *buf = (const char *) data;

	fuzz_size (buf, size);
	fuzz_lock (buf, size);
	fuzz_advise (buf, size, MMAPFS_ADVICE_NONE);
	fuzz_advise (buf, size, MMAPFS_ADVICE_ALLOW_HWPOISON);
	fuzz_flush (buf, size);
	fuzz_move (buf, size);
	return 0;
}
