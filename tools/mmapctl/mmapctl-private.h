/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What mmapctl's files share: the parsed command-line options, the two
 * kinds of failure (a usage error, exit 2, and a refused or failed
 * request, exit 1), the way a path on the command line is classified
 * (an mmapfs mount, one of its mappings, a plain file or a directory),
 * and the helpers that talk to a mount through its files only.
 *
 * mmapctl never reaches into the daemon: everything goes through the
 * nodes of DESIGN §2 (`.control`, `size`, `advise`, ...), so it works on
 * any mount the user can see, and the sentence it prints on failure is
 * the daemon's own (the `.control` transaction read, or `last_error`
 * from `info`).
 */
#pragma once

#include <mmapfs/mmapfs.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Errors in this domain are the user's command line: exit status 2. */
#define USAGE_ERROR (usage_error_quark ())
GQuark usage_error_quark (void);

/*
 * An error in this domain has been printed already (subcommands that go
 * on after a failing path print each failure as it happens): exit status
 * 1 without a further message.
 */
#define REPORTED_ERROR (reported_error_quark ())
GQuark reported_error_quark (void);
void report_error (GError *error, gboolean *failed);

/* Every option of every subcommand; each subcommand accepts a subset. */
typedef struct {
	gboolean json;
	gboolean bar;
	gboolean quiet;
	gboolean unlock;
	gboolean async;
	gboolean invalidate;
	gboolean regex;
	gboolean hex;
	char *access;
	char *offset;
	char *length;
	char *range;
	char *start;
	char *end;
} CtlOptions;

/* A byte range given as START:LENGTH (LENGTH omitted: to the end). */
typedef struct {
	gboolean given;
	guint64 start;
	guint64 length;
	gboolean has_length;
} Range;

typedef enum {
	CTL_TARGET_MOUNT,
	CTL_TARGET_MAPPING,
	CTL_TARGET_FILE,
	CTL_TARGET_DIR,
} CtlTargetKind;

/*
 * A path from the command line, classified. For a mount, @mount is its
 * root; for a mapping, @mount is the root, @name the mapping's name and
 * @dir the mapping's directory. @shown is what error messages and plain
 * output call it (the path as the user wrote it).
 */
typedef struct {
	CtlTargetKind kind;
	char *shown;
	char *path;
	char *mount;
	char *name;
	char *dir;
} CtlTarget;

void ctl_target_free (CtlTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlTarget, ctl_target_free)

/* mmapctl-mount.c: paths, nodes, `.control` transactions */
gboolean is_mount_root (const char *dir);
CtlTarget *ctl_target_new_file (const char *shown, const char *path);
CtlTarget *ctl_target_resolve (const char *arg, GError **error);
CtlTarget *ctl_target_resolve_mount (const char *arg, GError **error);
CtlTarget *ctl_target_resolve_mapping (const char *arg, GError **error);
CtlTarget *ctl_target_resolve_new_mapping (const char *arg, const char *fallback_name,
					   GError **error);
GPtrArray *read_dir_names (const char *path, const char *shown, GError **error);
GPtrArray *ctl_mount_list_mappings (const CtlTarget *mount, GError **error);
CtlTarget *ctl_mount_mapping_target (const CtlTarget *mount, const char *name);
char *read_fd_all (int fd, gsize *out_len, GError **error);
char *mapping_read_node (const CtlTarget *mapping, const char *node, GError **error);
gboolean mapping_write_node (const CtlTarget *mapping, const char *node, const char *text,
			     GError **error);
MmapfsNodeInfo *mapping_read_info (const CtlTarget *mapping, GError **error);
gboolean mapping_read_u64 (const CtlTarget *mapping, const char *node, guint64 *out_value,
			   GError **error);
gboolean ctl_mount_control (const CtlTarget *mount, const char *const *lines, guint n_lines,
			    guint *out_failed, GError **error);
char *ctl_mount_read_control (const CtlTarget *mount, GError **error);

/* mmapctl-info.c: JSON output (schema in tools/mmapctl/mmapctl.rst) */
char *json_path_string (const char *path);
void json_add_info (JsonBuilder *builder, const MmapfsNodeInfo *info);
void json_print (JsonBuilder *builder);

/* mmapctl-args.c: numbers and ranges of the command line (DESIGN §2.4 grammar) */
gboolean parse_number_arg (const char *what, const char *text, guint64 *out_value, GError **error);
gboolean parse_range_arg (const char *text, Range *out_range, GError **error);
gboolean check_one_word (const char *what, const char *text, GError **error);
char *format_size (guint64 bytes);

/* mmapctl-commands.c: requests to a mount */
gboolean cmd_map (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_anon (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_unmap (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_list (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_stat (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_resize (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_advise (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_flush (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_move (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_save (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_restore (CtlOptions *opts, char **args, guint n_args, GError **error);

/* mmapctl-find.c: find and rfind over a mapping's data or a file */
gboolean cmd_find (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_rfind (CtlOptions *opts, char **args, guint n_args, GError **error);

/* What is resident of one mapping or file, in a range of its pages. */
typedef struct {
	char *shown;
	gboolean is_mapping;
	char *backing;	     /* the file the pages belong to; NULL for anonymous memory */
	guint64 file_offset; /* where the mapping starts in it */
	guint64 page_size;
	guint64 first_page; /* of the range looked at */
	guint64 n_pages;    /* in the range */
	guint64 length;	    /* bytes of the whole file or mapping */
	guint64 resident;   /* resident pages in the range */
	GArray *runs;	    /* MmapfsResidentRun: resident pages by absolute index, ascending */
} Residency;

void residency_free (Residency *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Residency, residency_free)

/* mmapctl-resident.c: expanding paths, measuring and printing residency */
GPtrArray *expand_targets (char **args, guint n_args, gboolean *failed);
gboolean file_map_range (const CtlTarget *file, const Range *range, MmapfsRegion **out_region,
			 guint64 *out_first, guint64 *out_count, guint64 *out_length,
			 GError **error);
Residency *ctl_target_residency (const CtlTarget *target, const Range *range, GError **error);
void print_residencies (const CtlOptions *opts, GPtrArray *list);
gboolean get_range_option (const CtlOptions *opts, Range *out_range, GError **error);
typedef gboolean (*WorkFunc) (const CtlOptions *opts, const CtlTarget *target, const Range *range,
			      GError **error);
gboolean run_on_targets (CtlOptions *opts, char **args, guint n_args, WorkFunc work,
			 GError **error);
gboolean cmd_resident (CtlOptions *opts, char **args, guint n_args, GError **error);

/* mmapctl-vm.c: touch, evict and lock */
gboolean cmd_touch (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_evict (CtlOptions *opts, char **args, guint n_args, GError **error);
gboolean cmd_lock (CtlOptions *opts, char **args, guint n_args, GError **error);

G_END_DECLS
