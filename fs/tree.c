/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tree of the mount: the table of mappings, the inode numbering, the
 * modes and attributes of every node, the daemon's own permission checks,
 * and the directory operations (lookup, getattr, setattr, readdir, mkdir,
 * rmdir, rename, statfs).
 *
 * An inode number is (mapping id << 4) | node, so any request finds its
 * node in O(1) without per-inode state, and `forget` needs none. Mapping
 * ids start at 1 and are never reused while the daemon runs, so a stale
 * inode of an unmapped mapping can never name a newer one.
 *
 * The daemon enforces the node modes itself instead of relying on
 * `-o default_permissions`, so that the modes mean the same thing however
 * the tree is mounted (DESIGN §5).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "daemon-private.h"

/* The fixed nodes of every mapping directory, in listing order. */
static const struct {
	const char *name;
	NodeKind kind;
} mapping_nodes[] = {
	{ "data", NODE_DATA },	   { "size", NODE_SIZE }, { "advise", NODE_ADVISE },
	{ "flush", NODE_FLUSH },   { "move", NODE_MOVE }, { "lock", NODE_LOCK },
	{ "info", NODE_INFO },	   { "resident", NODE_RESIDENT },
};

/* The preferred I/O size of `data`: one FUSE request's worth (max_write),
 * so that cp and cat move a mapping in few round trips. */
#define DATA_BLKSIZE (1024 * 1024)

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

fuse_ino_t
node_ino (guint64 id, NodeKind kind)
{
	if (kind == NODE_ROOT)
		return INO_ROOT;
	if (kind == NODE_CONTROL)
		return INO_CONTROL;
	return (fuse_ino_t) ((id << INO_KIND_BITS) | (guint64) (kind - NODE_DIR));
}

NodeKind
node_kind (fuse_ino_t ino, guint64 *out_id)
{
	guint64 id = (guint64) ino >> INO_KIND_BITS;
	guint sub = (guint) (ino & ((1u << INO_KIND_BITS) - 1));

	*out_id = id;
	if (id == 0) {
		if (ino == INO_ROOT)
			return NODE_ROOT;
		if (ino == INO_CONTROL)
			return NODE_CONTROL;
		return NODE_INVALID;
	}
	if (sub > NODE_RESIDENT - NODE_DIR)
		return NODE_INVALID;
	return (NodeKind) (NODE_DIR + sub);
}

const char *
node_name (NodeKind kind)
{
	if (kind == NODE_CONTROL)
		return ".control";
	for (guint i = 0; i < G_N_ELEMENTS (mapping_nodes); i++) {
		if (mapping_nodes[i].kind == kind)
			return mapping_nodes[i].name;
	}
	return "";
}

mode_t
node_mode (NodeKind kind, Mapping *mapping)
{
	switch (kind) {
	case NODE_ROOT:
	case NODE_DIR:
		return S_IFDIR | 0755;
	case NODE_CONTROL:
		return S_IFREG | 0600;
	case NODE_DATA:
		if (mapping != NULL &&
		    mmapfs_region_get_access (mapping->region) == MMAPFS_ACCESS_READ)
			return S_IFREG | 0444;
		return S_IFREG | 0644;
	case NODE_SIZE:
	case NODE_ADVISE:
	case NODE_LOCK:
		return S_IFREG | 0644;
	case NODE_FLUSH:
	case NODE_MOVE:
		return S_IFREG | 0200;
	case NODE_INFO:
	case NODE_RESIDENT:
		return S_IFREG | 0444;
	case NODE_INVALID:
	default:
		return 0;
	}
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

static gboolean
caller_in_group (fuse_req_t req, gid_t gid)
{
	const struct fuse_ctx *ctx = fuse_req_ctx (req);
	gid_t groups[64];
	int n;

	if (ctx->gid == gid)
		return TRUE;
	n = fuse_req_getgroups (req, G_N_ELEMENTS (groups), groups);
	for (int i = 0; i < MIN (n, (int) G_N_ELEMENTS (groups)); i++) {
		if (groups[i] == gid)
			return TRUE;
	}
	return FALSE;
}

/*
 * Checks @want (R_OK, W_OK, X_OK) against a node's @mode for the caller.
 * What no bit of the mode allows is refused to everyone, root included,
 * as sysfs refuses to open a read-only attribute for writing; otherwise
 * root passes and others get the owner, group or other bits.
 * Returns 0 or -EACCES.
 */
int
check_access (fuse_req_t req, Daemon *d, mode_t mode, int want)
{
	const struct fuse_ctx *ctx = fuse_req_ctx (req);
	mode_t bits;

	if ((want & R_OK) && !(mode & 0444))
		return -EACCES;
	if ((want & W_OK) && !(mode & 0222))
		return -EACCES;
	if ((want & X_OK) && !(mode & 0111))
		return -EACCES;
	if (ctx->uid == 0)
		return 0;
	if (ctx->uid == d->uid)
		bits = (mode >> 6) & 7;
	else if (caller_in_group (req, d->gid))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	return ((mode_t) want & bits) == (mode_t) want ? 0 : -EACCES;
}

void
fill_attr (Daemon *d, NodeKind kind, Mapping *mapping, struct stat *st)
{
	guint64 id = mapping != NULL ? mapping->id : 0;
	struct timespec when = mapping != NULL ? mapping->birth : d->birth;

	memset (st, 0, sizeof *st);
	st->st_ino = node_ino (id, kind);
	st->st_mode = node_mode (kind, mapping);
	st->st_nlink = S_ISDIR (st->st_mode) ? 2 : 1;
	st->st_uid = d->uid;
	st->st_gid = d->gid;
	st->st_blksize = (blksize_t) mmapfs_region_page_size ();
	st->st_atim = when;
	st->st_mtim = when;
	st->st_ctim = when;

	if (kind == NODE_ROOT) {
		g_autoptr (GRWLockReaderLocker) locker G_GNUC_UNUSED = g_rw_lock_reader_locker_new (&d->lock);

		/* Each mapping directory's ".." links to the root. */
		st->st_nlink = 2 + g_hash_table_size (d->by_id);
	} else if (kind == NODE_DATA) {
		gssize len = mmapfs_region_len (mapping->region, NULL);

		st->st_size = len > 0 ? len : 0;
		st->st_blocks = (st->st_size + 511) / 512;
		st->st_blksize = DATA_BLKSIZE;
	}
}

static void
reply_entry (fuse_req_t req, Daemon *d, NodeKind kind, Mapping *mapping)
{
	struct fuse_entry_param e;

	memset (&e, 0, sizeof e);
	fill_attr (d, kind, mapping, &e.attr);
	e.ino = e.attr.st_ino;
	e.generation = 1;
	e.attr_timeout = ATTR_TIMEOUT;
	e.entry_timeout = ENTRY_TIMEOUT;
	fuse_reply_entry (req, &e);
}

void
op_lookup (fuse_req_t req, fuse_ino_t parent, const char *name)
{
	Daemon *d = fuse_req_userdata (req);
	guint64 id;
	NodeKind kind = node_kind (parent, &id);

	if (kind == NODE_ROOT) {
		g_autoptr (Mapping) mapping = NULL;

		if (strcmp (name, ".control") == 0)
			return reply_entry (req, d, NODE_CONTROL, NULL);
		mapping = tree_lookup_name (d, name);
		if (mapping != NULL)
			return reply_entry (req, d, NODE_DIR, mapping);
	} else if (kind == NODE_DIR) {
		g_autoptr (Mapping) mapping = tree_lookup_id (d, id);

		for (guint i = 0; mapping != NULL && i < G_N_ELEMENTS (mapping_nodes); i++) {
			if (strcmp (name, mapping_nodes[i].name) == 0)
				return reply_entry (req, d, mapping_nodes[i].kind, mapping);
		}
	} else {
		fuse_reply_err (req, ENOTDIR);
		return;
	}
	g_debug ("lookup of %s in inode %" G_GUINT64_FORMAT ": no such node", name,
		 (guint64) parent);
	fuse_reply_err (req, ENOENT);
}

void
op_getattr (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	Daemon *d = fuse_req_userdata (req);
	NodeKind kind;
	g_autoptr (Mapping) mapping = handle_or_lookup (d, ino, fi, &kind);
	struct stat st;

	if (kind == NODE_INVALID || (kind >= NODE_DIR && mapping == NULL)) {
		fuse_reply_err (req, ENOENT);
		return;
	}
	fill_attr (d, kind, mapping, &st);
	fuse_reply_attr (req, &st, ATTR_TIMEOUT);
}

/*
 * chmod and chown are refused; a change of times is accepted and does
 * nothing (the times are the mapping's birth), so that touch(1) works; a
 * size change is truncate(2), which only `data` and text nodes take.
 */
static int
setattr_check (fuse_req_t req, Daemon *d, NodeKind kind, Mapping *mapping, struct stat *attr,
	       int to_set)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *name = NULL;
	int r;

	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		g_message ("chmod or chown of inode %" G_GUINT64_FORMAT
			   " refused: the modes and owners of the tree are fixed",
			   (guint64) node_ino (mapping != NULL ? mapping->id : 0, kind));
		return -EPERM;
	}
	if (!(to_set & FUSE_SET_ATTR_SIZE))
		return 0;

	if (S_ISDIR (node_mode (kind, mapping)))
		return -EISDIR;
	r = check_access (req, d, node_mode (kind, mapping), W_OK);
	if (kind == NODE_DATA) {
		/* A read mapping refuses everyone, with a sentence of its own. */
		if (r < 0 && mmapfs_region_get_access (mapping->region) != MMAPFS_ACCESS_READ)
			return r;
		return data_truncate (d, mapping, (guint64) attr->st_size);
	}
	if (r < 0)
		return r;
	/* A text node holds no bytes: truncating it to 0 does nothing, as in sysfs. */
	if (attr->st_size == 0)
		return 0;
	name = mapping != NULL ? mapping_dup_name (d, mapping) : g_strdup ("");
	g_set_error (&error, MMAPFS_ERROR, EINVAL, "%s%s%s holds no bytes and cannot be resized",
		     name, *name ? "/" : "", node_name (kind));
	return daemon_fail (d, mapping, node_name (kind), error);
}

void
op_setattr (fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
	    struct fuse_file_info *fi)
{
	Daemon *d = fuse_req_userdata (req);
	NodeKind kind;
	g_autoptr (Mapping) mapping = handle_or_lookup (d, ino, fi, &kind);
	struct stat st;
	int r;

	if (kind == NODE_INVALID || (kind >= NODE_DIR && mapping == NULL)) {
		fuse_reply_err (req, ENOENT);
		return;
	}
	r = setattr_check (req, d, kind, mapping, attr, to_set);
	if (r < 0) {
		fuse_reply_err (req, -r);
		return;
	}
	fill_attr (d, kind, mapping, &st);
	fuse_reply_attr (req, &st, ATTR_TIMEOUT);
}

void
op_access (fuse_req_t req, fuse_ino_t ino, int mask)
{
	Daemon *d = fuse_req_userdata (req);
	guint64 id;
	NodeKind kind = node_kind (ino, &id);
	g_autoptr (Mapping) mapping = NULL;

	if (kind >= NODE_DIR)
		mapping = tree_lookup_id (d, id);
	if (kind == NODE_INVALID || (kind >= NODE_DIR && mapping == NULL)) {
		fuse_reply_err (req, ENOENT);
		return;
	}
	if (mask == F_OK) {
		fuse_reply_err (req, 0);
		return;
	}
	fuse_reply_err (req, -check_access (req, d, node_mode (kind, mapping), mask));
}

/* Only the owner (or root) changes the set of mappings: the root is 0755. */
static int
check_root_write (fuse_req_t req, Daemon *d, const char *what, const char *name)
{
	if (check_access (req, d, node_mode (NODE_ROOT, NULL), W_OK) == 0)
		return 0;
	g_message ("%s %s: permission denied to uid %u: only the owner of the mount may "
		   "change its mappings",
		   what, name, (guint) fuse_req_ctx (req)->uid);
	return -EACCES;
}

void
op_mkdir (fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (GError) error = NULL;
	g_autoptr (Mapping) mapping = NULL;
	/* An anonymous mapping of one page, made as `anon NAME PAGE` would be. */
	MmapfsCommand cmd = {
		.kind = MMAPFS_COMMAND_ANON,
		.name = (char *) name,
		.length = mmapfs_region_page_size (),
	};
	int r;

	(void) mode;
	r = check_root_write (req, d, "mkdir", name);
	if (r < 0)
		return (void) fuse_reply_err (req, -r);
	if (parent != INO_ROOT) {
		g_message ("mkdir %s: mappings live only in the root of the mount", name);
		return (void) fuse_reply_err (req, EPERM);
	}
	if (!mmapfs_name_validate (name, strlen (name), &error))
		return (void) fuse_reply_err (req, -daemon_fail (d, NULL, "mkdir", error));

	if (!control_apply (d, &cmd, &mapping, &error))
		return (void) fuse_reply_err (req, -daemon_fail (d, NULL, "mkdir", error));
	reply_entry (req, d, NODE_DIR, mapping);
}

void
op_rmdir (fuse_req_t req, fuse_ino_t parent, const char *name)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (GError) error = NULL;
	int r;

	r = check_root_write (req, d, "rmdir", name);
	if (r < 0)
		return (void) fuse_reply_err (req, -r);
	if (parent != INO_ROOT)
		return (void) fuse_reply_err (req, EPERM);

	/*
	 * As in cgroupfs, the fixed nodes inside do not make the directory
	 * "not empty": rmdir is unmap. The kernel drops the dentry itself.
	 */
	g_mutex_lock (&d->ops_lock);
	r = tree_unmap (d, name, &error);
	g_mutex_unlock (&d->ops_lock);
	if (r < 0)
		return (void) fuse_reply_err (req, -daemon_fail (d, NULL, "rmdir", error));
	g_message ("%s: unmapped", name);
	fuse_reply_err (req, 0);
}

static int
rename_mapping (Daemon *d, const char *name, const char *newname, GError **error)
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

void
op_rename (fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
	   const char *newname, unsigned int flags)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (GError) error = NULL;
	guint64 target_id;
	int r;

	r = check_root_write (req, d, "rename", name);
	if (r < 0)
		return (void) fuse_reply_err (req, -r);
	if (flags & ~RENAME_NOREPLACE) {
		g_message ("rename %s: only plain renames are supported", name);
		return (void) fuse_reply_err (req, EINVAL);
	}
	/*
	 * `mv MOUNT/a MOUNT/b` with b an existing mapping: GNU mv, seeing a
	 * directory, asks to move a into b. Mappings live only in the root,
	 * so the honest answer to what the user asked is that b exists.
	 */
	if (parent == INO_ROOT && newparent != INO_ROOT &&
	    node_kind (newparent, &target_id) == NODE_DIR && strcmp (name, ".control") != 0) {
		g_message ("rename %s: the target is an existing mapping; nothing is replaced",
			   name);
		return (void) fuse_reply_err (req, EEXIST);
	}
	if (parent != INO_ROOT || newparent != INO_ROOT || strcmp (name, ".control") == 0) {
		g_message ("rename %s to %s: only a mapping directory may be renamed, within the "
			   "root",
			   name, newname);
		return (void) fuse_reply_err (req, EPERM);
	}

	/* A rename never replaces: RENAME_NOREPLACE semantics always. */
	g_mutex_lock (&d->ops_lock);
	r = rename_mapping (d, name, newname, &error);
	g_mutex_unlock (&d->ops_lock);
	if (r < 0)
		return (void) fuse_reply_err (req, -daemon_fail (d, NULL, "rename", error));
	g_message ("%s: renamed to %s", name, newname);
	fuse_reply_err (req, 0);
}

static void
dir_entry_free (DirEntry *entry)
{
	g_free (entry->name);
	g_free (entry);
}

static void
add_entry (GPtrArray *entries, const char *name, fuse_ino_t ino, mode_t mode)
{
	DirEntry *entry = g_new0 (DirEntry, 1);

	entry->name = g_strdup (name);
	entry->ino = ino;
	entry->mode = mode;
	g_ptr_array_add (entries, entry);
}

/*
 * The listing is taken at opendir, so that readdir's offsets stay valid
 * while mappings come and go, as getdents(2) expects.
 */
void
op_opendir (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	Daemon *d = fuse_req_userdata (req);
	NodeKind kind;
	g_autoptr (Mapping) mapping = handle_or_lookup (d, ino, NULL, &kind);
	GPtrArray *entries;
	Handle *handle;

	if (kind != NODE_ROOT && kind != NODE_DIR) {
		fuse_reply_err (req, kind == NODE_INVALID ? ENOENT : ENOTDIR);
		return;
	}
	if (kind == NODE_DIR && mapping == NULL) {
		fuse_reply_err (req, ENOENT);
		return;
	}

	entries = g_ptr_array_new_with_free_func ((GDestroyNotify) dir_entry_free);
	add_entry (entries, ".", ino, S_IFDIR);
	add_entry (entries, "..", INO_ROOT, S_IFDIR);
	if (kind == NODE_ROOT) {
		g_autoptr (GPtrArray) list = tree_list (d);

		add_entry (entries, ".control", INO_CONTROL, S_IFREG);
		for (guint i = 0; i < list->len; i++) {
			Mapping *m = g_ptr_array_index (list, i);
			g_autofree char *name = mapping_dup_name (d, m);

			add_entry (entries, name, node_ino (m->id, NODE_DIR), S_IFDIR);
		}
	} else {
		for (guint i = 0; i < G_N_ELEMENTS (mapping_nodes); i++)
			add_entry (entries, mapping_nodes[i].name,
				   node_ino (mapping->id, mapping_nodes[i].kind), S_IFREG);
	}

	handle = handle_new (kind, mapping);
	handle->entries = entries;
	fi->fh = (uintptr_t) handle;
	if (fuse_reply_open (req, fi) == -ENOENT)
		handle_free (handle);
}

void
op_readdir (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	Handle *handle = handle_get (fi);
	g_autofree char *buf = g_malloc (size);
	size_t used = 0;

	(void) ino;
	g_mutex_lock (&handle->lock);
	for (guint i = (guint) MAX (off, 0); i < handle->entries->len; i++) {
		DirEntry *entry = g_ptr_array_index (handle->entries, i);
		struct stat st = { .st_ino = entry->ino, .st_mode = entry->mode };
		size_t n = fuse_add_direntry (req, buf + used, size - used, entry->name, &st,
					      (off_t) i + 1);

		if (n > size - used)
			break;
		used += n;
	}
	g_mutex_unlock (&handle->lock);
	fuse_reply_buf (req, buf, used);
}

void
op_releasedir (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void) ino;
	handle_free (handle_get (fi));
	fuse_reply_err (req, 0);
}

void
op_statfs (fuse_req_t req, fuse_ino_t ino)
{
	Daemon *d = fuse_req_userdata (req);
	g_autoptr (GPtrArray) list = tree_list (d);
	gsize page = mmapfs_region_page_size ();
	struct statvfs st;

	(void) ino;
	memset (&st, 0, sizeof st);
	st.f_bsize = page;
	st.f_frsize = page;
	for (guint i = 0; i < list->len; i++) {
		Mapping *m = g_ptr_array_index (list, i);
		gssize len = mmapfs_region_len (m->region, NULL);

		st.f_blocks += len > 0 ? ((gsize) len + page - 1) / page : 0;
	}
	st.f_files = 2 + list->len * (1 + G_N_ELEMENTS (mapping_nodes));
	st.f_namemax = MMAPFS_NAME_MAX;
	fuse_reply_statfs (req, &st);
}
