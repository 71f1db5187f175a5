/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the node protocol end to end: the first byte picks a node, the
 * rest is one write(2) to it, taken by mmapfs_node_write() on a fresh
 * anonymous region. A success must report a change that fits the region
 * and the node; a refusal must carry an allowed errno and a clean
 * sentence. Then every readable node is rendered and parsed back with the
 * inverse parsers, which must accept it; and the same bytes are fed to
 * the inverse parsers as they are, which must never crash and must give
 * EINVAL for anything they refuse.
 */
#include <errno.h>
#include <sys/mman.h>

#include "fuzz-common.h"

/* Pages of the region each input starts from. */
#define PAGES 4

/* Sizes the harness lets through, so that advice cannot populate gigabytes. */
#define SIZE_MAX_PAGES 64

/* The parsers' errnos, and what the kernel may say about small, sane ranges. */
static const int write_errors[] = {
	EINVAL, EOVERFLOW, EOPNOTSUPP, EPERM, EACCES, ENOMEM, EAGAIN, EBUSY, 0,
};
static const int read_only_errors[] = { EBADF, 0 };
static const int parse_errors[] = { EINVAL, 0 };

static void
check_change (MmapfsNode node, const MmapfsNodeChange *change, gsize old_len, gsize new_len)
{
	switch (node) {
	case MMAPFS_NODE_SIZE:
		g_assert_true (change->forget && change->resized);
		g_assert_cmpuint (change->start, ==, 0);
		g_assert_cmpuint (change->length, ==, 0);
		break;
	case MMAPFS_NODE_ADVISE:
	case MMAPFS_NODE_MOVE:
		g_assert_false (change->resized);
		g_assert_cmpuint (new_len, ==, old_len);
		if (change->forget) {
			g_assert_cmpuint (change->start, <, old_len);
			g_assert_cmpuint (change->length, <=, old_len - change->start);
		}
		if (node == MMAPFS_NODE_MOVE && change->forget)
			g_assert_cmpuint (change->length, >, 0);
		break;
	default:
		g_assert_false (change->forget || change->resized);
		g_assert_cmpuint (new_len, ==, old_len);
		break;
	}
}

/* Renders every readable node and parses the text back. */
static void
check_render (MmapfsRegion *region, gsize len)
{
	g_autofree char *info = mmapfs_node_render (region, MMAPFS_NODE_INFO, "fuzz", 0, NULL);
	g_autofree char *resident = mmapfs_node_render (region, MMAPFS_NODE_RESIDENT, NULL, 0, NULL);
	g_autofree char *menu = mmapfs_node_render (region, MMAPFS_NODE_ADVISE, NULL, 0, NULL);
	g_autoptr (MmapfsNodeInfo) parsed = NULL;
	guint64 length = 0;
	guint64 total = 0;

	g_assert_nonnull (info);
	parsed = mmapfs_node_info_parse (info, strlen (info), NULL);
	g_assert_nonnull (parsed);
	g_assert_true (mmapfs_node_info_get_uint64 (parsed, "length", &length, NULL));
	g_assert_cmpuint (length, ==, len);

	g_assert_nonnull (resident);
	g_assert_true (mmapfs_node_parse_resident (resident, strlen (resident), NULL, &total, NULL,
						   NULL));
	g_assert_cmpuint (total, ==, (len + mmapfs_region_page_size () - 1) /
					     mmapfs_region_page_size ());

	g_assert_nonnull (menu);
	g_assert_true (mmapfs_node_parse_advise_menu (menu, strlen (menu), NULL, NULL, NULL));
}

static void
fuzz_write (MmapfsNode node, const char *buf, gsize len)
{
	g_autoptr (MmapfsRegion) region = NULL;
	MmapfsNodeChange change;
	GError *error = NULL;
	gsize page = mmapfs_region_page_size ();
	gssize old_len, new_len;
	guint64 size;

	/* Keep resizes small: a region is real memory once advice populates it. */
	if (node == MMAPFS_NODE_SIZE && mmapfs_parse_size_line (buf, len, &size, NULL) &&
	    size > SIZE_MAX_PAGES * page)
		return;

	region = mmapfs_region_new_anonymous (PAGES * page, NULL);
	g_assert_nonnull (region);
	old_len = mmapfs_region_len (region, NULL);
	if (mmapfs_node_write (region, node, buf, len, MMAPFS_ADVICE_NONE, &change, &error)) {
		new_len = mmapfs_region_len (region, NULL);
		check_change (node, &change, (gsize) old_len, (gsize) new_len);
	} else {
		g_assert_false (change.forget || change.resized);
		fuzz_check_error (error, node == MMAPFS_NODE_INFO || node == MMAPFS_NODE_RESIDENT
						 ? read_only_errors
						 : write_errors);
		g_assert_cmpint (mmapfs_region_len (region, NULL), ==, old_len);
	}
	check_render (region, (gsize) mmapfs_region_len (region, NULL));
}

/* The inverse parsers on arbitrary bytes: no crash, EINVAL for a refusal. */
static void
fuzz_parsers (const char *buf, gsize len)
{
	g_autoptr (MmapfsNodeInfo) info = NULL;
	g_autoptr (GArray) runs = NULL;
	g_auto (GStrv) names = NULL;
	g_autofree char *pattern = NULL;
	GError *error = NULL;
	guint64 resident = 0, total = 0;

	info = mmapfs_node_info_parse (buf, len, &error);
	if (info == NULL) {
		fuzz_check_error (g_steal_pointer (&error), parse_errors);
	} else {
		const char *const *keys = mmapfs_node_info_get_keys (info);

		for (guint i = 0; keys[i] != NULL; i++)
			g_assert_nonnull (mmapfs_node_info_get (info, keys[i]));
	}

	if (mmapfs_node_parse_resident (buf, len, &resident, &total, &runs, &error)) {
		guint64 counted = 0;

		for (guint i = 0; i < runs->len; i++) {
			const MmapfsResidentRun *run = &g_array_index (runs, MmapfsResidentRun, i);

			g_assert_cmpuint (run->first, <=, run->last);
			g_assert_cmpuint (run->last, <, total);
			counted += run->last - run->first + 1;
		}
		g_assert_cmpuint (counted, ==, resident);
	} else {
		fuzz_check_error (g_steal_pointer (&error), parse_errors);
	}

	if (mmapfs_node_parse_advise_menu (buf, len, &pattern, &names, &error))
		g_assert_true (g_strv_contains ((const char *const *) names, pattern));
	else
		fuzz_check_error (g_steal_pointer (&error), parse_errors);

	/* An outcome carries the daemon's errno and sentence, which may be any bytes. */
	if (!mmapfs_node_parse_outcome (buf, len, &error)) {
		g_autofree char *again = NULL;
		GError *reparsed = NULL;

		g_assert_nonnull (error);
		g_assert_true (error->domain == MMAPFS_ERROR && error->code > 0);
		again = mmapfs_node_format_outcome (error);
		g_assert_false (mmapfs_node_parse_outcome (again, strlen (again), &reparsed));
		g_assert_true (reparsed->domain == MMAPFS_ERROR);
		if (error->code != EINVAL)
			g_assert_cmpint (reparsed->code, ==, error->code);
		g_error_free (reparsed);
		g_error_free (error);
	}
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	const char *buf = (const char *) data + 1;
	gsize len;

	if (size == 0)
		return 0;
	len = size - 1;
	fuzz_write ((MmapfsNode) (data[0] % (MMAPFS_NODE_RESIDENT + 1)), buf, len);
	fuzz_parsers (buf, len);
	return 0;
}
