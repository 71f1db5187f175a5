/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The directories of the tree: their listings.
 */
#include "daemon-private.h"

static void
dir_entry_free (DirEntry *entry)
{
	g_free (entry->name);
	g_free (entry);
}

GPtrArray *
dir_entries_new (void)
{
	return g_ptr_array_new_with_free_func ((GDestroyNotify) dir_entry_free);
}

void
dir_entries_add (GPtrArray *entries, const char *name, fuse_ino_t ino, mode_t mode)
{
	DirEntry *entry = g_new0 (DirEntry, 1);

	entry->name = g_strdup (name);
	entry->ino = ino;
	entry->mode = mode;
	g_ptr_array_add (entries, entry);
}
