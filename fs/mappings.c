/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The table of mappings: each Mapping's reference count, its name, and
 * adding, looking up, listing, unmapping and flushing them.
 *
 * Mapping ids start at 1 and are never reused while the daemon runs, so a
 * stale inode of an unmapped mapping can never name a newer one.
 */
#include <errno.h>
#include <string.h>

#include "daemon-private.h"

Mapping *
mapping_ref (Mapping *mapping)
{
	g_atomic_int_inc (&mapping->ref_count);
	return mapping;
}

void
mapping_unref (Mapping *mapping)
{
	if (!g_atomic_int_dec_and_test (&mapping->ref_count))
		return;
	/* The region's last reference flushes and unmaps it. */
	mmapfs_region_unref (mapping->region);
	g_free (mapping->name);
	g_free (mapping);
}

char *
mapping_dup_name (Daemon *d, Mapping *mapping)
{
	g_autoptr (GRWLockReaderLocker) locker G_GNUC_UNUSED = g_rw_lock_reader_locker_new (&d->lock);

	return g_strdup (mapping->name);
}

void
tree_init (Daemon *d)
{
	g_rw_lock_init (&d->lock);
	g_mutex_init (&d->ops_lock);
	d->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
					  (GDestroyNotify) mapping_unref);
	d->by_name = g_hash_table_new (g_str_hash, g_str_equal);
	d->next_id = 1;
}

void
tree_clear (Daemon *d)
{
	g_clear_pointer (&d->by_name, g_hash_table_unref);
	g_clear_pointer (&d->by_id, g_hash_table_unref);
	g_mutex_clear (&d->ops_lock);
	g_rw_lock_clear (&d->lock);
}

Mapping *
tree_lookup_id (Daemon *d, guint64 id)
{
	g_autoptr (GRWLockReaderLocker) locker G_GNUC_UNUSED = g_rw_lock_reader_locker_new (&d->lock);
	Mapping *mapping = g_hash_table_lookup (d->by_id, &id);

	return mapping != NULL ? mapping_ref (mapping) : NULL;
}

Mapping *
tree_lookup_name (Daemon *d, const char *name)
{
	g_autoptr (GRWLockReaderLocker) locker G_GNUC_UNUSED = g_rw_lock_reader_locker_new (&d->lock);
	Mapping *mapping = g_hash_table_lookup (d->by_name, name);

	return mapping != NULL ? mapping_ref (mapping) : NULL;
}

static gint
compare_by_id (gconstpointer a, gconstpointer b)
{
	const Mapping *ma = *(Mapping *const *) a;
	const Mapping *mb = *(Mapping *const *) b;

	return ma->id < mb->id ? -1 : ma->id > mb->id;
}

/* Returns (transfer full) references to every mapping, in order of creation. */
GPtrArray *
tree_list (Daemon *d)
{
	GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) mapping_unref);
	GHashTableIter iter;
	gpointer value;

	{
		g_autoptr (GRWLockReaderLocker) locker G_GNUC_UNUSED = g_rw_lock_reader_locker_new (&d->lock);

		g_hash_table_iter_init (&iter, d->by_id);
		while (g_hash_table_iter_next (&iter, NULL, &value))
			g_ptr_array_add (list, mapping_ref (value));
	}
	g_ptr_array_sort (list, compare_by_id);
	return list;
}

/* How many mappings there are. */
guint
tree_count (Daemon *d)
{
	g_autoptr (GRWLockReaderLocker) locker G_GNUC_UNUSED = g_rw_lock_reader_locker_new (&d->lock);

	return g_hash_table_size (d->by_id);
}

/*
 * Adds a mapping named @name for @region (taking a reference of its own).
 * The caller holds ops_lock. Returns 0 or -EEXIST with @error set.
 */
int
tree_add (Daemon *d, const char *name, MmapfsRegion *region, Mapping **out_mapping, GError **error)
{
	g_autoptr (GRWLockWriterLocker) locker G_GNUC_UNUSED = g_rw_lock_writer_locker_new (&d->lock);
	Mapping *mapping;

	if (g_hash_table_contains (d->by_name, name)) {
		g_set_error (error, MMAPFS_ERROR, EEXIST, "a mapping named %s already exists",
			     name);
		return -EEXIST;
	}
	mapping = g_new0 (Mapping, 1);
	mapping->ref_count = 1;
	mapping->id = d->next_id++;
	mapping->name = g_strdup (name);
	mapping->region = mmapfs_region_ref (region);
	clock_gettime (CLOCK_REALTIME, &mapping->birth);
	g_hash_table_insert (d->by_id, &mapping->id, mapping);
	g_hash_table_insert (d->by_name, mapping->name, mapping);
	if (out_mapping != NULL)
		*out_mapping = mapping_ref (mapping);
	return 0;
}

/*
 * Unmaps @name: flushes it, then takes it out of the tree and drops the
 * tree's reference. Files still open on it keep theirs, so they work until
 * closed (like an unlinked file). A failed flush unmaps nothing. The
 * caller holds ops_lock and tells the kernel about the vanished name.
 */
int
tree_unmap (Daemon *d, const char *name, GError **error)
{
	g_autoptr (Mapping) mapping = tree_lookup_name (d, name);

	if (mapping == NULL) {
		g_set_error (error, MMAPFS_ERROR, ENOENT, "there is no mapping named %s", name);
		return -ENOENT;
	}
	if (!mmapfs_region_flush (mapping->region, 0, MMAPFS_UNSET, MMAPFS_FLUSH_SYNC, error))
		return -(*error)->code;

	{
		g_autoptr (GRWLockWriterLocker) locker G_GNUC_UNUSED = g_rw_lock_writer_locker_new (&d->lock);

		g_hash_table_remove (d->by_name, mapping->name);
		/* Drops the table's reference; ours goes when this returns. */
		g_hash_table_remove (d->by_id, &mapping->id);
	}
	return 0;
}

/*
 * Renames the mapping @name to @newname, which must be free: a rename
 * never replaces. The caller holds ops_lock. Returns 0 or -errno with
 * @error set.
 */
int
tree_rename (Daemon *d, const char *name, const char *newname, GError **error)
{
	g_autoptr (Mapping) mapping = tree_lookup_name (d, name);
	g_autoptr (GRWLockWriterLocker) locker G_GNUC_UNUSED = NULL;

	if (mapping == NULL) {
		g_set_error (error, MMAPFS_ERROR, ENOENT, "there is no mapping named %s", name);
		return -ENOENT;
	}
	if (!mmapfs_name_validate (newname, strlen (newname), error))
		return -(*error)->code;

	locker = g_rw_lock_writer_locker_new (&d->lock);
	if (g_hash_table_contains (d->by_name, newname)) {
		g_set_error (error, MMAPFS_ERROR, EEXIST,
			     "a mapping named %s already exists; nothing is replaced by a rename",
			     newname);
		return -EEXIST;
	}
	g_hash_table_remove (d->by_name, mapping->name);
	g_free (mapping->name);
	mapping->name = g_strdup (newname);
	g_hash_table_insert (d->by_name, mapping->name, mapping);
	return 0;
}

/*
 * Flushes every shared writable mapping, at exit. Returns the number of
 * mappings that could not be flushed.
 */
int
tree_flush_all (Daemon *d)
{
	g_autoptr (GPtrArray) list = tree_list (d);
	int failures = 0;

	for (guint i = 0; i < list->len; i++) {
		Mapping *mapping = g_ptr_array_index (list, i);
		g_autoptr (GError) error = NULL;

		if (!mmapfs_region_flush (mapping->region, 0, MMAPFS_UNSET, MMAPFS_FLUSH_SYNC,
					  &error)) {
			g_warning ("%s: could not flush the mapping at exit: %s", mapping->name,
				   error->message);
			failures++;
		}
	}
	return failures;
}
