/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fixture of the region tests (test-region.c, test-region-ops.c): a
 * temporary directory holding one file of a known pattern, and helpers
 * that look at that file from outside the region.
 */
#pragma once

#include <sys/stat.h>

#include <glib/gstdio.h>
#include <mmapfs/mmapfs.h>

typedef struct {
	char *dir;
	char *path; /* a file of `size` bytes: byte i is 'a' + i % 26 */
	gsize size;
} Fixture;

static gsize page;

static inline void
write_pattern (const char *path, gsize size)
{
	g_autofree char *buf = g_malloc (size + 1);

	for (gsize i = 0; i < size; i++)
		buf[i] = (char) ('a' + i % 26);
	g_assert_true (g_file_set_contents (path, buf, (gssize) size, NULL));
}

static inline void
fixture_setup (Fixture *f, gconstpointer data)
{
	f->size = data != NULL ? GPOINTER_TO_SIZE (data) : 3 * page + 100;
	f->dir = g_dir_make_tmp ("mmapfs-region-XXXXXX", NULL);
	g_assert_nonnull (f->dir);
	f->path = g_build_filename (f->dir, "file", NULL);
	write_pattern (f->path, f->size);
}

static inline void
fixture_teardown (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

	g_assert_cmpint (system (cmd), ==, 0);
	g_free (f->path);
	g_free (f->dir);
}

static inline char *
file_contents (const char *path, gsize *len)
{
	char *contents = NULL;

	g_assert_true (g_file_get_contents (path, &contents, len, NULL));
	return contents;
}

static inline gsize
file_size (const char *path)
{
	struct stat st;

	g_assert_cmpint (stat (path, &st), ==, 0);
	return (gsize) st.st_size;
}
