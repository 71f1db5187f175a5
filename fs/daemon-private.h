/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the files of the mmapfs daemon share: the daemon's state, the
 * mapping table, the node kinds and their operations, the open-file
 * handles, and the entry points each file gives the FUSE operation table
 * in main.c.
 *
 * The daemon is FUSE glue only. Every operation on a region goes through
 * libmmapfs; this side decides names, inodes, modes, caching and which
 * errno and sentence a client sees. Helpers return 0 or -errno (or a byte
 * count); only the operation handlers reply, exactly once per request,
 * except the read hooks of NodeOps, which reply themselves (data replies
 * from inside the region's lock).
 *
 * The files are layered; each may call only what the sections of the
 * files below it declare, so that no two files call each other:
 *
 *   main.c        logging, the FUSE operation table, life cycle
 *   options.c     the command line, and the mappings it asks for
 *   dir.c         directory operations: lookup, getattr, setattr, access,
 *                 mkdir, rmdir, rename, opendir, readdir, statfs
 *   handle.c      open files: handles, open, read, write, flush, release
 *   kinds.c       the table of node kinds (node_ops), and what every node
 *                 has whatever its kind: its mode, its attributes, the
 *                 kind and mapping its inode names
 *   tree.c        the directory kinds: root, mapping directory
 *   data.c        the data kind
 *   nodes.c       the text nodes' texts and commands
 *   control.c     the `.control` kind, and the commands that change the
 *                 set of mappings (also for options.c and mkdir)
 *   text.c        serving text, seq_file style
 *   fail.c        the end of a failed request: log level, last_error
 *   inode.c       inode numbers, fixed node names, permission checks
 *   mappings.c    the table of mappings
 *   inval.c       kernel cache invalidation
 *
 * A file of one line may use those of every line below it. The handlers
 * reach a kind only through its NodeOps, so a new family of nodes (say, a
 * `.proc/PID/` tree) is new kinds, their inode numbers and their tables.
 */
#pragma once

#include <fuse_lowlevel.h>
#include <mmapfs/mmapfs.h>
#include <sys/stat.h>

G_BEGIN_DECLS

/* How the kernel may cache `data` (DESIGN §2.3). */
typedef enum {
	CACHE_AUTO,
	CACHE_NEVER,
	CACHE_ALWAYS,
} CacheMode;

/*
 * The kinds of node in the tree. Inode numbers encode the kind so that
 * any request finds its node without a table: root is 1, `.control` 2,
 * and a mapping's nodes are (id << 4) | (kind - NODE_DIR).
 */
typedef enum {
	NODE_INVALID = 0,
	NODE_ROOT,
	NODE_CONTROL,
	NODE_DIR,
	NODE_DATA,
	NODE_SIZE,
	NODE_ADVISE,
	NODE_FLUSH,
	NODE_MOVE,
	NODE_LOCK,
	NODE_INFO,
	NODE_RESIDENT,
} NodeKind;

#define INO_ROOT FUSE_ROOT_ID
#define INO_CONTROL ((fuse_ino_t) 2)
#define INO_KIND_BITS 4

/* One mapping: a name in the root directory and the region behind it. */
typedef struct {
	gint ref_count;        /* atomic */
	guint64 id;            /* fixed; never reused while the daemon runs */
	char *name;            /* tree lock */
	MmapfsRegion *region;  /* fixed; the mapping's own reference */
	struct timespec birth; /* fixed: the times every node of it reports */
	gint64 data_opened;    /* atomic: when data was last opened, monotonic µs (cache=auto) */
} Mapping;

/* An inode-invalidation worker (inval.c). */
typedef struct _Inval Inval;

typedef struct {
	/* Fixed once the daemon starts serving. */
	struct fuse_session *session;
	CacheMode cache;
	MmapfsAdviceFlags advice_flags;
	uid_t uid;
	gid_t gid;
	struct timespec birth;
	Inval *inval;          /* NULL until mounted, and again after */
	gint64 inval_wait;     /* how long a request waits for its invalidation, in µs */

	/*
	 * The mapping table. `lock` guards the two tables, `next_id` and every
	 * Mapping's name, and is held only while they are read or changed;
	 * `ops_lock` serialises the operations that add, remove or rename
	 * mappings so that each is atomic as a whole (it is taken first).
	 */
	GRWLock lock;
	GMutex ops_lock;
	GHashTable *by_id;     /* lock: guint64 * -> Mapping * (one reference) */
	GHashTable *by_name;   /* lock: name -> Mapping * (borrowed from by_id) */
	guint64 next_id;       /* lock */
} Daemon;

typedef struct _NodeOps NodeOps;

/*
 * The state of one open file or directory, in fi->fh. Text nodes keep
 * the text produced by a read at offset 0, so that reads at later offsets
 * of the same open see one consistent text (as seq_file does).
 */
typedef struct {
	NodeKind kind;
	const NodeOps *ops;    /* fixed: node_ops (kind) */
	Mapping *mapping;      /* reference, or NULL for root and `.control` */
	gint64 opened;         /* fixed: when it was opened, monotonic µs (data under cache=auto) */
	GMutex lock;           /* guards the fields below */
	GString *text;         /* lock: text served to reads, or NULL */
	GPtrArray *entries;    /* lock: directory listing (DirEntry *) */

	/* `.control` only (freed by its release hook) */
	GString *pending;      /* lock: the unterminated last line written */
	gboolean has_outcome;  /* lock: a write happened; reads return its outcome */
	gsize outcome_pos;     /* lock: bytes of the outcome already read */
	char *outcome;         /* lock: "ok\n" or "error: ENAME: sentence\n" */
} Handle;

typedef struct {
	char *name;
	fuse_ino_t ino;
	mode_t mode;
} DirEntry;

static inline Handle *
handle_get (struct fuse_file_info *fi)
{
	return (Handle *) (uintptr_t) fi->fh;
}

/* Timeouts for entries and attributes; every change mmapfs makes itself
 * is invalidated explicitly, so these only bound how stale a name or a
 * size can look after an invalidation could not be delivered. */
#define ENTRY_TIMEOUT 1.0
#define ATTR_TIMEOUT 1.0

/* inval.c: kernel cache invalidation, from a thread of its own */
Inval *inval_new (struct fuse_session *session, GError **error);
void inval_free (Inval *inval);
void inval_inode (Daemon *d, fuse_ino_t ino, off_t off, off_t len, gboolean wait);
void inval_entry (Daemon *d, fuse_ino_t parent, const char *name, gboolean wait);

/* mappings.c: the table of mappings */
Mapping *mapping_ref (Mapping *mapping);
void mapping_unref (Mapping *mapping);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Mapping, mapping_unref)
char *mapping_dup_name (Daemon *d, Mapping *mapping);
void tree_init (Daemon *d);
void tree_clear (Daemon *d);
Mapping *tree_lookup_id (Daemon *d, guint64 id);
Mapping *tree_lookup_name (Daemon *d, const char *name);
GPtrArray *tree_list (Daemon *d);
guint tree_count (Daemon *d);
int tree_add (Daemon *d, const char *name, MmapfsRegion *region, Mapping **out_mapping,
	      GError **error);
int tree_unmap (Daemon *d, const char *name, GError **error);
int tree_rename (Daemon *d, const char *name, const char *newname, GError **error);
int tree_flush_all (Daemon *d);

/* inode.c: inode numbers, node names, permissions */
typedef struct {
	const char *name;
	NodeKind kind;
} MappingNode;

/* The fixed nodes of every mapping directory, in listing order. */
#define N_MAPPING_NODES 8
extern const MappingNode mapping_nodes[N_MAPPING_NODES];

fuse_ino_t node_ino (guint64 id, NodeKind kind);
NodeKind node_kind (fuse_ino_t ino, guint64 *out_id);
const char *node_name (NodeKind kind);
int check_access (fuse_req_t req, Daemon *d, mode_t mode, int want);

/* fail.c: the end of a failed request */
int daemon_fail (Daemon *d, Mapping *mapping, const char *node, GError *error);
int daemon_fail_at (Daemon *d, Mapping *mapping, const char *node, GError *error,
		    GLogLevelFlags level);

/* text.c: serving text nodes */
typedef int (*TextFunc) (Daemon *d, Handle *handle, GString *out);
void reply_text (fuse_req_t req, Daemon *d, Handle *handle, size_t size, off_t off,
		 TextFunc text);

/*
 * What a kind of node does: one const table per kind, found by
 * node_ops(). A NULL hook is the answer the comment gives.
 */
struct _NodeOps {
	mode_t mode;           /* type and permission bits */
	gboolean in_mapping;   /* belongs to a mapping: its inode carries the id */

	/* Every node. */
	mode_t (*get_mode) (Mapping *mapping);  /* NULL: mode */
	void (*getattr) (Daemon *d, Mapping *mapping, struct stat *st); /* NULL: nothing to add */
	/* truncate(2) to @length. NULL: a text node's rule (only to 0, a no-op). */
	int (*set_size) (fuse_req_t req, Daemon *d, Mapping *mapping, guint64 length);

	/* Files. */
	/* Sets @error to the kind's own sentence for a refused open. NULL: none. */
	gboolean (*open_refused) (Daemon *d, Mapping *mapping, int want, GError **error);
	void (*open) (Daemon *d, Handle *handle, struct fuse_file_info *fi); /* NULL: direct I/O */
	/* Replies itself. NULL: EBADF (write-only). */
	void (*read) (fuse_req_t req, Daemon *d, Handle *handle, size_t size, off_t off);
	/* Returns the bytes taken or -errno. NULL: EBADF (read-only). */
	gssize (*write) (Daemon *d, Handle *handle, const char *buf, size_t size, off_t off);
	int (*flush) (Daemon *d, Handle *handle);  /* close(2). NULL: nothing (noflush) */
	int (*fsync) (Daemon *d, Handle *handle);  /* NULL: nothing to sync */
	void (*release) (Handle *handle);          /* frees the kind's fields. NULL: none */

	/* Directories (NULL for files). */
	/* Finds @name in the directory (@dir: its mapping, or NULL): 0 or -ENOENT. */
	int (*lookup) (Daemon *d, Mapping *dir, const char *name, NodeKind *out_kind,
		       Mapping **out_mapping);
	/* Appends the entries after "." and "..". */
	void (*list) (Daemon *d, Mapping *dir, GPtrArray *entries);
};

/* control.c: the `.control` node and the commands it takes */
extern const NodeOps control_ops;
gboolean control_apply (Daemon *d, const MmapfsCommand *cmd, Mapping **out_mapping,
			GError **error);
gboolean control_apply_lines (Daemon *d, const char *buf, gsize len, gboolean to_end,
			      gsize *out_used, guint *out_line, GError **error);
int control_list (Daemon *d, GString *out);

/* nodes.c: the texts and commands of size, advise, flush, move, lock, info, resident */
int node_text (Daemon *d, NodeKind kind, Mapping *mapping, GString *out);
int node_write (Daemon *d, NodeKind kind, Mapping *mapping, const char *buf, size_t size);

/* data.c: the data node */
extern const NodeOps data_ops;

/* tree.c: the root and the mapping directories */
extern const NodeOps root_ops;
extern const NodeOps mapping_dir_ops;
GPtrArray *dir_entries_new (void);
void dir_entries_add (GPtrArray *entries, const char *name, fuse_ino_t ino, mode_t mode);

/* kinds.c: the table of node kinds */
const NodeOps *node_ops (NodeKind kind);
mode_t node_mode (NodeKind kind, Mapping *mapping);
void fill_attr (Daemon *d, NodeKind kind, Mapping *mapping, struct stat *st);
int node_resolve (Daemon *d, fuse_ino_t ino, struct fuse_file_info *fi, NodeKind *out_kind,
		  Mapping **out_mapping);

/* handle.c: open files */
Handle *handle_new (NodeKind kind, Mapping *mapping);
void handle_free (Handle *handle);
void handle_free_all (void);
void handle_reply_open (fuse_req_t req, Handle *handle, struct fuse_file_info *fi);
void op_open (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_read (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void op_write (fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
	       struct fuse_file_info *fi);
void op_flush (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_release (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_fsync (fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);

/* dir.c: the directory operations */
void op_lookup (fuse_req_t req, fuse_ino_t parent, const char *name);
void op_getattr (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_setattr (fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		 struct fuse_file_info *fi);
void op_access (fuse_req_t req, fuse_ino_t ino, int mask);
void op_mkdir (fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void op_rmdir (fuse_req_t req, fuse_ino_t parent, const char *name);
void op_rename (fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		const char *newname, unsigned int flags);
void op_opendir (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_readdir (fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi);
void op_statfs (fuse_req_t req, fuse_ino_t ino);

/* options.c: the command line */
typedef enum {
	SPEC_MAP,
	SPEC_ANON,
	SPEC_MAPFILE,
} SpecKind;

/* One mapping asked for on the command line, in the order given. */
typedef struct {
	SpecKind kind;
	char *text;
} Spec;

typedef struct {
	char *cache;           /* -o cache= */
	int allow_hwpoison;    /* -o allow_hwpoison */
	GPtrArray *specs;      /* Spec * */
	GPtrArray *words;      /* the non-option arguments */
} Options;

extern const struct fuse_opt option_spec[];
int option_proc (void *data, const char *arg, int key, struct fuse_args *outargs);
void spec_free (Spec *spec);
void print_help (const char *program);
gboolean take_mountpoint (Options *options, struct fuse_args *args);
gboolean apply_spec (Daemon *d, const Spec *spec, GError **error);
gboolean parse_cache (const char *text, CacheMode *out_mode);

G_END_DECLS
