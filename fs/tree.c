/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The two kinds of directory of the tree (DESIGN §2): the root, which
 * holds `.control` and one directory per mapping, and a mapping's
 * directory, which holds its fixed nodes. Each is a NodeOps: its mode,
 * attributes, lookup and listing.
 */
#include <errno.h>
#include <string.h>

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

/* Each mapping directory's ".." links to the root. */
static void
root_getattr (Daemon *d, Mapping *mapping, struct stat *st)
{
	(void) mapping;
	st->st_nlink = 2 + tree_count (d);
}

static int
root_lookup (Daemon *d, Mapping *dir, const char *name, NodeKind *out_kind, Mapping **out_mapping)
{
	(void) dir;
	if (strcmp (name, ".control") == 0) {
		*out_kind = NODE_CONTROL;
		*out_mapping = NULL;
		return 0;
	}
	*out_kind = NODE_DIR;
	*out_mapping = tree_lookup_name (d, name);
	return *out_mapping != NULL ? 0 : -ENOENT;
}

static void
root_list (Daemon *d, Mapping *dir, GPtrArray *entries)
{
	g_autoptr (GPtrArray) list = tree_list (d);

	(void) dir;
	dir_entries_add (entries, ".control", INO_CONTROL, S_IFREG);
	for (guint i = 0; i < list->len; i++) {
		Mapping *m = g_ptr_array_index (list, i);
		g_autofree char *name = mapping_dup_name (d, m);

		dir_entries_add (entries, name, node_ino (m->id, NODE_DIR), S_IFDIR);
	}
}

const NodeOps root_ops = {
	.mode = S_IFDIR | 0755,
	.getattr = root_getattr,
	.lookup = root_lookup,
	.list = root_list,
};

static int
mapping_dir_lookup (Daemon *d, Mapping *dir, const char *name, NodeKind *out_kind,
		    Mapping **out_mapping)
{
	(void) d;
	for (guint i = 0; i < N_MAPPING_NODES; i++) {
		if (strcmp (name, mapping_nodes[i].name) == 0) {
			*out_kind = mapping_nodes[i].kind;
			*out_mapping = mapping_ref (dir);
			return 0;
		}
	}
	return -ENOENT;
}

static void
mapping_dir_list (Daemon *d, Mapping *dir, GPtrArray *entries)
{
	(void) d;
	for (guint i = 0; i < N_MAPPING_NODES; i++)
		dir_entries_add (entries, mapping_nodes[i].name,
				 node_ino (dir->id, mapping_nodes[i].kind), S_IFREG);
}

const NodeOps mapping_dir_ops = {
	.mode = S_IFDIR | 0755,
	.in_mapping = TRUE,
	.lookup = mapping_dir_lookup,
	.list = mapping_dir_list,
};
