/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An example of libmmapfs from an ordinary C program, built through
 * pkg-config:
 *
 *   cc mmapfs-count.c -o mmapfs-count $(pkg-config --cflags --libs mmapfs)
 *   ./mmapfs-count FILE WORD
 *
 * It does with libmmapfs what this Python does with mmap:
 *
 *   with open(FILE, "rb") as f:
 *       m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
 *       m.madvise(mmap.MADV_SEQUENTIAL)
 *       count, pos = 0, m.find(WORD)
 *       while pos >= 0:
 *           count += 1
 *           pos = m.find(WORD, pos + len(WORD))
 *       first, last = m.find(WORD), m.rfind(WORD)
 *
 * and prints one line, `FILE: LENGTH bytes, WORD: COUNT times, first at
 * FIRST, last at LAST, PAGES pages resident`, so a test can compare it
 * with Python's answer.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <mmapfs/mmapfs.h>

static gsize
count_resident (MmapfsRegion *region, GError **error)
{
	g_autoptr (GBytes) vector = mmapfs_region_mincore (region, error);
	const guint8 *pages;
	gsize n, resident = 0;

	if (vector == NULL)
		return 0;
	pages = g_bytes_get_data (vector, &n);
	for (gsize i = 0; i < n; i++)
		resident += pages[i] & 1;
	return resident;
}

int
main (int argc, char **argv)
{
	g_autoptr (MmapfsRegion) region = NULL;
	g_autoptr (GError) error = NULL;
	const char *word;
	gsize word_len, resident;
	gssize length, first = -1, last = -1, index = -1;
	guint count = 0;

	if (argc != 3) {
		fprintf (stderr, "usage: %s FILE WORD\n", argv[0]);
		return 2;
	}
	word = argv[2];
	word_len = strlen (word);

	/* Errors are GErrors whose code is the errno and whose message is a sentence. */
	region = mmapfs_region_new_from_path (argv[1], MMAPFS_ACCESS_READ, 0, 0, &error);
	if (region == NULL) {
		fprintf (stderr, "%s: %s (%s)\n", argv[1], error->message,
			 mmapfs_errno_name (error->code));
		return 1;
	}
	length = mmapfs_region_len (region, &error);

	/* MMAPFS_UNSET stands for an argument Python would let you leave out. */
	if (length < 0 || !mmapfs_region_madvise (region, MADV_SEQUENTIAL, 0, MMAPFS_UNSET, &error))
		goto fail;

	if (!mmapfs_region_find (region, word, word_len, 0, MMAPFS_UNSET, &index, &error))
		goto fail;
	first = index;
	while (index >= 0) {
		count++;
		if (!mmapfs_region_find (region, word, word_len, index + (gssize) word_len,
					 MMAPFS_UNSET, &index, &error))
			goto fail;
	}
	if (!mmapfs_region_rfind (region, word, word_len, 0, MMAPFS_UNSET, &last, &error))
		goto fail;
	resident = count_resident (region, &error);
	if (error != NULL)
		goto fail;

	printf ("%s: %zd bytes, %s: %u times, first at %zd, last at %zd, %zu pages resident\n",
		argv[1], length, word, count, first, last, resident);
	return mmapfs_region_close (region, &error) ? 0 : 1;

fail:
	fprintf (stderr, "%s: %s\n", argv[1], error->message);
	return 1;
}
