/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vmtouch workflows: resident, touch, evict and lock, each on
 * mappings of a mount (through their resident, advise and lock nodes) or
 * directly on plain files, which are mapped read-only for the moment
 * through libmmapfs, as vmtouch maps them itself.
 *
 * Paths expand as vmtouch's do: a mount stands for all its mappings, a
 * directory for the regular files below it (symbolic links are not
 * followed, and other filesystems are not entered).
 *
 * Residency is counted in pages and kept as runs of resident pages, the
 * form of the resident node (DESIGN §2.5), so a terabyte file costs a
 * few runs, not a byte per page.
 *
 * Loading and evicting:
 *  - touch is MADV_POPULATE_READ, which loads a whole range (willneed
 *    stops at the kernel's readahead window);
 *  - evict is MADV_PAGEOUT. pageout reclaims only pages that the calling
 *    mapping has in its page tables, and a fresh mapping has none, so
 *    the resident runs are first populated (they are in memory already:
 *    no I/O) and then paged out; what pageout could not take is then
 *    dropped with posix_fadvise(DONTNEED) on the backing file (see
 *    drop_leftovers()). Pages that other processes map, or that hold
 *    changes not yet written back, stay.
 * Work on large ranges is done in chunks, with a progress bar when
 * standard error is a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmapctl-private.h"

/* Work is done, and progress drawn, this many bytes at a time. */
#define WORK_CHUNK (16 * 1024 * 1024)
/* Below this much work, a progress bar would only flicker. */
#define PROGRESS_MIN (64 * 1024 * 1024)
/* Characters in a residency bar, as vmtouch draws it. */
#define BAR_WIDTH 60

typedef struct {
	guint64 first;
	guint64 last;
} Run;

typedef struct {
	char *shown;
	gboolean is_mapping;
	char *backing;       /* the file the pages belong to; NULL for anonymous memory */
	guint64 file_offset; /* where the mapping starts in it */
	guint64 page_size;
	guint64 first_page;  /* of the range looked at */
	guint64 n_pages;     /* in the range */
	guint64 length;      /* bytes of the whole file or mapping */
	guint64 resident;    /* resident pages in the range */
	GArray *runs;        /* Run: resident pages by absolute index, ascending */
} Residency;

static void
residency_free (Residency *r)
{
	if (r == NULL)
		return;
	g_free (r->shown);
	g_free (r->backing);
	if (r->runs != NULL)
		g_array_unref (r->runs);
	g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Residency, residency_free)

/* ---------------------------------------------------------------------- */
/* Progress                                                               */
/* ---------------------------------------------------------------------- */

typedef struct {
	gboolean enabled;
	gboolean drawn;
	const char *verb;
	guint64 total;
	gint64 last_draw;
} Progress;

static void
progress_init (Progress *p, const CtlOptions *opts, const char *verb, guint64 total)
{
	*p = (Progress) {
		.enabled = !opts->quiet && total >= PROGRESS_MIN && isatty (STDERR_FILENO),
		.verb = verb,
		.total = total,
	};
}

static guint
terminal_width (void)
{
	struct winsize ws;

	if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

static void
progress_update (Progress *p, guint64 done)
{
	static const char hashes[] = "################################################"
				     "################################################";
	gint64 now = g_get_monotonic_time ();
	g_autofree char *done_text = NULL;
	g_autofree char *total_text = NULL;
	guint width, fill;

	if (!p->enabled)
		return;
	/* Ten frames a second is smooth enough and costs nothing. */
	if (p->drawn && done < p->total && now - p->last_draw < G_USEC_PER_SEC / 10)
		return;
	done_text = format_size (done);
	total_text = format_size (p->total);
	width = terminal_width () - strlen (p->verb) - strlen (done_text) - strlen (total_text) -
		12;
	width = CLAMP (width, 10u, sizeof hashes - 1);
	fill = (guint) (p->total > 0 ? done * width / p->total : width);
	g_printerr ("\r%s [%.*s%*s] %3u%% %s/%s", p->verb, (int) fill, hashes,
		    (int) (width - fill), "", (guint) (p->total > 0 ? done * 100 / p->total : 100),
		    done_text, total_text);
	p->drawn = TRUE;
	p->last_draw = now;
}

static void
progress_finish (Progress *p)
{
	/* Leave the terminal line as it was: the summary follows on stdout. */
	if (p->drawn)
		g_printerr ("\r\033[K");
	p->drawn = FALSE;
}

/* ---------------------------------------------------------------------- */
/* Expanding paths                                                        */
/* ---------------------------------------------------------------------- */

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
walk_dir (const char *path, const char *shown, dev_t dev, GPtrArray *items, gboolean *failed)
{
	g_autoptr (GDir) dir = NULL;
	g_autoptr (GError) local_error = NULL;
	g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
	const char *entry;

	dir = g_dir_open (path, 0, &local_error);
	if (dir == NULL) {
		g_autoptr (GError) shown_error = NULL;

		ctl_set_error (&shown_error, EIO, "%s", local_error->message);
		report_error (shown_error, failed);
		return;
	}
	while ((entry = g_dir_read_name (dir)) != NULL)
		g_ptr_array_add (names, g_strdup (entry));
	g_ptr_array_sort (names, compare_strings);

	for (guint i = 0; i < names->len; i++) {
		g_autofree char *child = g_build_filename (path, names->pdata[i], NULL);
		g_autofree char *child_shown = g_build_filename (shown, names->pdata[i], NULL);
		struct stat st;

		if (lstat (child, &st) != 0)
			continue;
		if (S_ISDIR (st.st_mode) && st.st_dev == dev)
			walk_dir (child, child_shown, dev, items, failed);
		else if (S_ISREG (st.st_mode))
			g_ptr_array_add (items, ctl_target_new_file (child_shown, child));
	}
}

/*
 * Expands the paths of the command line into mappings and files. A path
 * that cannot be used is reported and skipped, as vmtouch does, and
 * makes the exit status 1.
 */
static GPtrArray *
expand_targets (char **args, guint n_args, gboolean *failed)
{
	GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_target_free);

	for (guint i = 0; i < n_args; i++) {
		g_autoptr (GError) local_error = NULL;
		g_autoptr (CtlTarget) target = ctl_target_resolve (args[i], &local_error);
		g_autoptr (GPtrArray) names = NULL;
		struct stat st;

		if (target == NULL) {
			report_error (local_error, failed);
			continue;
		}
		switch (target->kind) {
		case CTL_TARGET_MOUNT:
			names = ctl_mount_list_mappings (target, &local_error);
			if (names == NULL) {
				report_error (local_error, failed);
				break;
			}
			for (guint j = 0; j < names->len; j++)
				g_ptr_array_add (items,
						 ctl_mount_mapping_target (target, names->pdata[j]));
			break;
		case CTL_TARGET_DIR:
			if (stat (target->path, &st) == 0)
				walk_dir (target->path, target->shown, st.st_dev, items, failed);
			break;
		case CTL_TARGET_MAPPING:
		case CTL_TARGET_FILE:
		default:
			g_ptr_array_add (items, g_steal_pointer (&target));
			break;
		}
	}
	return items;
}

/* ---------------------------------------------------------------------- */
/* Ranges and residency                                                   */
/* ---------------------------------------------------------------------- */

/*
 * The pages a range covers in an object of @length bytes: START rounds
 * down to a page, the end up, and a LENGTH past the end is clipped (as
 * the advise node does). START at or past the end is an error.
 */
static gboolean
range_pages (const Range *range, guint64 length, guint64 page_size, const char *shown,
	     guint64 *out_first, guint64 *out_count, GError **error)
{
	guint64 start = 0;
	guint64 end = length;

	if (range->given) {
		if (range->start >= length) {
			ctl_set_error (error, EINVAL,
				       "%s: the range starts at byte %" G_GUINT64_FORMAT
				       ", at or past the end (%" G_GUINT64_FORMAT " bytes)",
				       shown, range->start, length);
			return FALSE;
		}
		start = range->start;
		if (range->has_length && range->length < length - start)
			end = start + range->length;
	}
	*out_first = start / page_size;
	*out_count = (end + page_size - 1) / page_size - *out_first;
	return TRUE;
}

/* Parses "A-B" (or "A") lines of the resident node into runs. */
static gboolean
parse_resident_runs (const char *text, GArray *runs)
{
	g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

	for (guint i = 1; lines[i] != NULL; i++) {
		char *dash;
		Run run;

		if (lines[i][0] == '\0')
			continue;
		dash = strchr (lines[i], '-');
		if (dash != NULL)
			*dash = '\0';
		if (!g_ascii_string_to_unsigned (lines[i], 10, 0, G_MAXUINT64, &run.first, NULL))
			return FALSE;
		run.last = run.first;
		if (dash != NULL &&
		    !g_ascii_string_to_unsigned (dash + 1, 10, run.first, G_MAXUINT64, &run.last,
						 NULL))
			return FALSE;
		g_array_append_val (runs, run);
	}
	return TRUE;
}

/* Keeps the part of @runs inside [first, first + count) and counts it. */
static GArray *
clip_runs (GArray *runs, guint64 first, guint64 count, guint64 *out_resident)
{
	GArray *clipped = g_array_new (FALSE, FALSE, sizeof (Run));
	guint64 end = first + count;

	*out_resident = 0;
	for (guint i = 0; i < runs->len; i++) {
		Run run = g_array_index (runs, Run, i);

		if (run.last < first || run.first >= end)
			continue;
		run.first = MAX (run.first, first);
		run.last = MIN (run.last, end - 1);
		*out_resident += run.last - run.first + 1;
		g_array_append_val (clipped, run);
	}
	return clipped;
}

static Residency *
mapping_residency (const CtlTarget *mapping, const Range *range, GError **error)
{
	g_autoptr (Residency) r = g_new0 (Residency, 1);
	g_autoptr (Info) info = NULL;
	g_autofree char *text = NULL;
	g_autoptr (GArray) runs = g_array_new (FALSE, FALSE, sizeof (Run));
	guint64 length, page_size;
	const char *path;

	info = mapping_read_info (mapping, error);
	if (info == NULL)
		return NULL;
	if (!info_get_u64 (info, "length", &length) ||
	    !info_get_u64 (info, "page_size", &page_size) || page_size == 0) {
		ctl_set_error (error, EIO, "%s/info: no length or page_size", mapping->shown);
		return NULL;
	}
	text = mapping_read_node (mapping, "resident", error);
	if (text == NULL)
		return NULL;
	if (!parse_resident_runs (text, runs)) {
		ctl_set_error (error, EIO, "%s/resident: unexpected text", mapping->shown);
		return NULL;
	}

	r->shown = g_strdup (mapping->shown);
	r->is_mapping = TRUE;
	r->page_size = page_size;
	r->length = length;
	path = info_get (info, "path");
	if (path != NULL && strcmp (path, "anonymous") != 0 &&
	    info_get_u64 (info, "offset", &r->file_offset))
		r->backing = mmapfs_path_unescape (path, strlen (path), NULL);
	if (!range_pages (range, length, page_size, mapping->shown, &r->first_page, &r->n_pages,
			  error))
		return NULL;
	r->runs = clip_runs (runs, r->first_page, r->n_pages, &r->resident);
	return g_steal_pointer (&r);
}

/*
 * Maps the pages of @range of a plain file read-only through libmmapfs.
 * *out_region stays NULL for an empty file, which has no pages at all.
 */
static gboolean
file_map_range (const CtlTarget *file, const Range *range, MmapfsRegion **out_region,
		guint64 *out_first, guint64 *out_count, guint64 *out_length, GError **error)
{
	guint64 page_size = mmapfs_region_page_size ();
	g_autoptr (GError) local_error = NULL;
	struct stat st;
	int fd;

	*out_region = NULL;
	fd = open (file->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat (fd, &st) != 0) {
		int err = errno;

		if (fd >= 0)
			close (fd);
		ctl_set_error (error, err, "%s: %s", file->shown, g_strerror (err));
		return FALSE;
	}
	*out_length = (guint64) st.st_size;
	if (st.st_size == 0 && !range->given) {
		close (fd);
		*out_first = 0;
		*out_count = 0;
		return TRUE;
	}
	if (!range_pages (range, (guint64) st.st_size, page_size, file->shown, out_first,
			  out_count, error)) {
		close (fd);
		return FALSE;
	}
	/* The mapping's length stops at the end of the file, not of its page. */
	*out_region = mmapfs_region_new_from_fd (
		fd, MMAPFS_ACCESS_READ, *out_first * page_size,
		MIN (*out_count * page_size, (guint64) st.st_size - *out_first * page_size),
		&local_error);
	close (fd);
	if (*out_region == NULL) {
		ctl_set_error (error, local_error->code, "%s: %s", file->shown,
			       local_error->message);
		return FALSE;
	}
	return TRUE;
}

/* Runs of resident pages from a mincore(2) vector, offset by @first. */
static GArray *
runs_from_vector (GBytes *vector, guint64 first, guint64 *out_resident)
{
	GArray *runs = g_array_new (FALSE, FALSE, sizeof (Run));
	gsize n;
	const guint8 *vec = g_bytes_get_data (vector, &n);

	*out_resident = 0;
	for (gsize i = 0; i < n;) {
		gsize j;

		if (!(vec[i] & 1)) {
			i++;
			continue;
		}
		for (j = i; j < n && (vec[j] & 1); j++)
			;
		g_array_append_val (runs, ((Run) { first + i, first + j - 1 }));
		*out_resident += j - i;
		i = j;
	}
	return runs;
}

static Residency *
file_residency (const CtlTarget *file, const Range *range, GError **error)
{
	g_autoptr (Residency) r = g_new0 (Residency, 1);
	g_autoptr (MmapfsRegion) region = NULL;
	g_autoptr (GBytes) vector = NULL;
	g_autoptr (GError) local_error = NULL;

	r->shown = g_strdup (file->shown);
	r->backing = g_strdup (file->path);
	r->page_size = mmapfs_region_page_size ();
	if (!file_map_range (file, range, &region, &r->first_page, &r->n_pages, &r->length, error))
		return NULL;
	if (region == NULL) {
		r->runs = g_array_new (FALSE, FALSE, sizeof (Run));
		return g_steal_pointer (&r);
	}
	vector = mmapfs_region_mincore (region, &local_error);
	if (vector == NULL) {
		ctl_set_error (error, local_error->code, "%s: %s", file->shown,
			       local_error->message);
		return NULL;
	}
	r->runs = runs_from_vector (vector, r->first_page, &r->resident);
	return g_steal_pointer (&r);
}

static Residency *
ctl_target_residency (const CtlTarget *target, const Range *range, GError **error)
{
	if (target->kind == CTL_TARGET_MAPPING)
		return mapping_residency (target, range, error);
	return file_residency (target, range, error);
}

/* ---------------------------------------------------------------------- */
/* Output                                                                 */
/* ---------------------------------------------------------------------- */

static char *
format_percent (guint64 part, guint64 whole)
{
	double percent = whole > 0 ? 100.0 * (double) part / (double) whole : 0.0;

	/* Exactly 0 and 100 read better without a decimal. */
	if (part == 0 || part == whole)
		return g_strdup_printf ("%.0f%%", percent);
	return g_strdup_printf ("%.1f%%", percent);
}

static void
print_residency_line (const char *label, guint64 resident, guint64 total, guint64 page_size)
{
	g_autofree char *percent = format_percent (resident, total);
	g_autofree char *resident_size = format_size (resident * page_size);
	g_autofree char *total_size = format_size (total * page_size);

	g_print ("%s: %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " pages resident (%s), %s of %s\n",
		 label, resident, total, percent, resident_size, total_size);
}

/*
 * vmtouch's picture of a file: each character stands for an equal share
 * of the pages, 'O' when all of them are resident, 'o' when some are,
 * ' ' when none is.
 */
static char *
format_bar (const Residency *r)
{
	guint width = (guint) MIN ((guint64) BAR_WIDTH, r->n_pages);
	GString *bar = g_string_new ("[");
	guint run = 0;

	for (guint b = 0; b < width; b++) {
		guint64 lo = r->first_page + r->n_pages * b / width;
		guint64 hi = r->first_page + r->n_pages * (b + 1) / width;
		guint64 count = 0;

		while (run < r->runs->len && g_array_index (r->runs, Run, run).last < lo)
			run++;
		for (guint k = run; k < r->runs->len; k++) {
			const Run *x = &g_array_index (r->runs, Run, k);

			if (x->first >= hi)
				break;
			count += MIN (hi, x->last + 1) - MAX (lo, x->first);
		}
		g_string_append_c (bar, count == 0 ? ' ' : count == hi - lo ? 'O' : 'o');
	}
	g_string_append_printf (bar, "] %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, r->resident,
				r->n_pages);
	return g_string_free (bar, FALSE);
}

static void
json_add_residency (JsonBuilder *builder, const Residency *r)
{
	g_autofree char *path = json_path_string (r->shown);
	guint64 start = r->first_page * r->page_size;
	guint64 end = MIN ((r->first_page + r->n_pages) * r->page_size, r->length);

	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "path");
	json_builder_add_string_value (builder, path);
	json_builder_set_member_name (builder, "kind");
	json_builder_add_string_value (builder, r->is_mapping ? "mapping" : "file");
	json_builder_set_member_name (builder, "page_size");
	json_builder_add_int_value (builder, (gint64) r->page_size);
	json_builder_set_member_name (builder, "start");
	json_builder_add_int_value (builder, (gint64) start);
	json_builder_set_member_name (builder, "length");
	json_builder_add_int_value (builder, (gint64) (end > start ? end - start : 0));
	json_builder_set_member_name (builder, "first_page");
	json_builder_add_int_value (builder, (gint64) r->first_page);
	json_builder_set_member_name (builder, "resident_pages");
	json_builder_add_int_value (builder, (gint64) r->resident);
	json_builder_set_member_name (builder, "total_pages");
	json_builder_add_int_value (builder, (gint64) r->n_pages);
	json_builder_set_member_name (builder, "runs");
	json_builder_begin_array (builder);
	for (guint i = 0; i < r->runs->len; i++) {
		const Run *run = &g_array_index (r->runs, Run, i);

		json_builder_begin_array (builder);
		json_builder_add_int_value (builder, (gint64) run->first);
		json_builder_add_int_value (builder, (gint64) run->last);
		json_builder_end_array (builder);
	}
	json_builder_end_array (builder);
	json_builder_end_object (builder);
}

/* Prints what the residencies say: a line each (and a bar with --bar),
 * then a total when there is more than one; or the JSON document. */
static void
print_residencies (const CtlOptions *opts, GPtrArray *list)
{
	guint64 resident = 0, total = 0;
	guint64 page_size = mmapfs_region_page_size ();

	for (guint i = 0; i < list->len; i++) {
		const Residency *r = list->pdata[i];

		resident += r->resident;
		total += r->n_pages;
	}

	if (opts->json) {
		g_autoptr (JsonBuilder) builder = json_builder_new ();

		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "page_size");
		json_builder_add_int_value (builder, (gint64) page_size);
		json_builder_set_member_name (builder, "resident_pages");
		json_builder_add_int_value (builder, (gint64) resident);
		json_builder_set_member_name (builder, "total_pages");
		json_builder_add_int_value (builder, (gint64) total);
		json_builder_set_member_name (builder, "targets");
		json_builder_begin_array (builder);
		for (guint i = 0; i < list->len; i++)
			json_add_residency (builder, list->pdata[i]);
		json_builder_end_array (builder);
		json_builder_end_object (builder);
		json_print (builder);
		return;
	}
	if (opts->quiet)
		return;
	for (guint i = 0; i < list->len; i++) {
		const Residency *r = list->pdata[i];

		print_residency_line (r->shown, r->resident, r->n_pages, r->page_size);
		if (opts->bar) {
			g_autofree char *bar = format_bar (r);

			g_print ("%s\n", bar);
		}
	}
	if (list->len > 1)
		print_residency_line ("total", resident, total, page_size);
}

static gboolean
get_range_option (const CtlOptions *opts, Range *out_range, GError **error)
{
	*out_range = (Range) { 0 };
	return opts->range == NULL || parse_range_arg (opts->range, out_range, error);
}

/* Measures every target again, after work, and prints the result. */
static gboolean
report_after (const CtlOptions *opts, GPtrArray *targets, const Range *range, gboolean failed,
	      GError **error)
{
	g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) residency_free);

	for (guint i = 0; i < targets->len; i++) {
		g_autoptr (GError) local_error = NULL;
		Residency *r = ctl_target_residency (targets->pdata[i], range, &local_error);

		if (r == NULL)
			report_error (local_error, &failed);
		else
			g_ptr_array_add (list, r);
	}
	print_residencies (opts, list);
	if (failed) {
		g_set_error_literal (error, REPORTED_ERROR, 1, "");
		return FALSE;
	}
	return TRUE;
}

gboolean
cmd_resident (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autoptr (GPtrArray) targets = NULL;
	gboolean failed = FALSE;
	Range range;

	if (!get_range_option (opts, &range, error))
		return FALSE;
	targets = expand_targets (args, n_args, &failed);
	return report_after (opts, targets, &range, failed, error);
}

/* ---------------------------------------------------------------------- */
/* touch and evict                                                        */
/* ---------------------------------------------------------------------- */

static int
advice_value (const char *name)
{
	int advice = -1;

	/* The table knows the kernel's number even where the headers do not. */
	if (!mmapfs_advice_from_string (name, strlen (name), MMAPFS_ADVICE_NONE, &advice, NULL))
		return -1;
	return advice;
}

/* Sends ADVICE for [start, start + length) to a mapping, chunk by chunk. */
static gboolean
mapping_advise_span (const CtlTarget *mapping, const char *advice, guint64 start, guint64 length,
		     Progress *progress, guint64 *done, GError **error)
{
	for (guint64 off = 0; off < length; off += WORK_CHUNK) {
		guint64 n = MIN ((guint64) WORK_CHUNK, length - off);
		g_autofree char *line = g_strdup_printf ("%s %" G_GUINT64_FORMAT
							 " %" G_GUINT64_FORMAT "\n",
							 advice, start + off, n);

		if (!mapping_write_node (mapping, "advise", line, error))
			return FALSE;
		if (done != NULL) {
			*done += n;
			progress_update (progress, *done);
		}
	}
	return TRUE;
}

static gboolean
region_advise_span (MmapfsRegion *region, int advice, guint64 start, guint64 length,
		    Progress *progress, guint64 *done, GError **error)
{
	for (guint64 off = 0; off < length; off += WORK_CHUNK) {
		guint64 n = MIN ((guint64) WORK_CHUNK, length - off);

		if (!mmapfs_region_madvise (region, advice, (gint64) (start + off), (gint64) n,
					    error))
			return FALSE;
		if (done != NULL) {
			*done += n;
			progress_update (progress, *done);
		}
	}
	return TRUE;
}

/* The bytes of a residency's pages, clipped to the end of the object. */
static guint64
span_bytes (const Residency *r, guint64 first_page, guint64 n_pages)
{
	guint64 start = first_page * r->page_size;
	guint64 end = MIN ((first_page + n_pages) * r->page_size, r->length);

	return end > start ? end - start : 0;
}

static gboolean
touch_one (const CtlOptions *opts, const CtlTarget *target, const Range *range, GError **error)
{
	g_autoptr (Residency) r = ctl_target_residency (target, range, error);
	g_autoptr (MmapfsRegion) region = NULL;
	guint64 first, count, length;
	guint64 bytes, done = 0;
	Progress progress;
	gboolean ok;

	if (r == NULL)
		return FALSE;
	bytes = span_bytes (r, r->first_page, r->n_pages);
	progress_init (&progress, opts, "touch", bytes);
	progress_update (&progress, 0);

	if (target->kind == CTL_TARGET_MAPPING) {
		ok = mapping_advise_span (target, "populate_read", r->first_page * r->page_size,
					  bytes, &progress, &done, error);
	} else {
		int advice = advice_value ("populate_read");

		if (advice < 0) {
			ctl_set_error (error, EOPNOTSUPP,
				       "%s: this build knows no populate_read advice", target->shown);
			return FALSE;
		}
		if (!file_map_range (target, range, &region, &first, &count, &length, error))
			return FALSE;
		ok = region == NULL ||
		     region_advise_span (region, advice, 0, bytes, &progress, &done, error);
		if (!ok)
			g_prefix_error (error, "%s: ", target->shown);
	}
	progress_finish (&progress);
	return ok;
}

/*
 * pageout skips pages it cannot isolate: chiefly pages the kernel still
 * holds in another CPU's batch before its LRU lists (pages read a moment
 * ago by another process). Those are clean and unmapped, which is what
 * posix_fadvise(POSIX_FADV_DONTNEED) drops, draining every CPU's batch
 * first; vmtouch -e evicts that way. It is tried on the backing file for
 * whatever is still resident, and quietly given up when the file cannot
 * be opened (another user's, or anonymous memory).
 */
static void
drop_leftovers (const CtlTarget *target, const Range *range)
{
	g_autoptr (Residency) r = ctl_target_residency (target, range, NULL);
	int fd;

	if (r == NULL || r->resident == 0 || r->backing == NULL)
		return;
	fd = open (r->backing, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (guint i = 0; i < r->runs->len; i++) {
		const Run *run = &g_array_index (r->runs, Run, i);

		posix_fadvise (fd, (off_t) (r->file_offset + run->first * r->page_size),
			       (off_t) ((run->last - run->first + 1) * r->page_size),
			       POSIX_FADV_DONTNEED);
	}
	close (fd);
}

/*
 * Pages out the resident runs of one target: populate each (no I/O, they
 * are resident) so this mapping holds them, then pageout (see the top of
 * the file for why).
 */
static gboolean
evict_one (const CtlOptions *opts, const CtlTarget *target, const Range *range, GError **error)
{
	g_autoptr (Residency) r = ctl_target_residency (target, range, error);
	g_autoptr (MmapfsRegion) region = NULL;
	guint64 first = 0, count, length;
	guint64 bytes = 0, done = 0;
	int populate = -1, pageout = -1;
	Progress progress;
	gboolean ok = TRUE;

	if (r == NULL)
		return FALSE;
	if (target->kind == CTL_TARGET_FILE) {
		populate = advice_value ("populate_read");
		pageout = advice_value ("pageout");
		if (populate < 0 || pageout < 0) {
			ctl_set_error (error, EOPNOTSUPP,
				       "%s: this build knows no pageout advice", target->shown);
			return FALSE;
		}
		if (!file_map_range (target, range, &region, &first, &count, &length, error))
			return FALSE;
		if (region == NULL)
			return TRUE;
	}

	for (guint i = 0; i < r->runs->len; i++) {
		const Run *run = &g_array_index (r->runs, Run, i);

		bytes += span_bytes (r, run->first, run->last - run->first + 1);
	}
	progress_init (&progress, opts, "evict", bytes);
	progress_update (&progress, 0);

	for (guint i = 0; ok && i < r->runs->len; i++) {
		const Run *run = &g_array_index (r->runs, Run, i);
		guint64 n = span_bytes (r, run->first, run->last - run->first + 1);
		guint64 start = run->first * r->page_size;

		if (target->kind == CTL_TARGET_MAPPING) {
			ok = mapping_advise_span (target, "populate_read", start, n, NULL, NULL,
						  error) &&
			     mapping_advise_span (target, "pageout", start, n, &progress, &done,
						  error);
		} else {
			/* Offsets in the region count from its first page. */
			start -= first * r->page_size;
			ok = region_advise_span (region, populate, start, n, NULL, NULL, error) &&
			     region_advise_span (region, pageout, start, n, &progress, &done,
						 error);
			if (!ok)
				g_prefix_error (error, "%s: ", target->shown);
		}
	}
	progress_finish (&progress);
	/* Our own mapping would keep the leftovers mapped, out of fadvise's reach. */
	g_clear_pointer (&region, mmapfs_region_unref);
	if (ok)
		drop_leftovers (target, range);
	return ok;
}

typedef gboolean (*WorkFunc) (const CtlOptions *opts, const CtlTarget *target, const Range *range,
			      GError **error);

static gboolean
run_work (CtlOptions *opts, char **args, guint n_args, WorkFunc work, GError **error)
{
	g_autoptr (GPtrArray) targets = NULL;
	gboolean failed = FALSE;
	Range range;

	if (!get_range_option (opts, &range, error))
		return FALSE;
	targets = expand_targets (args, n_args, &failed);
	for (guint i = 0; i < targets->len; i++) {
		g_autoptr (GError) local_error = NULL;

		if (!work (opts, targets->pdata[i], &range, &local_error)) {
			report_error (local_error, &failed);
			g_ptr_array_remove_index (targets, i--);
		}
	}
	return report_after (opts, targets, &range, failed, error);
}

gboolean
cmd_touch (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	return run_work (opts, args, n_args, touch_one, error);
}

gboolean
cmd_evict (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	return run_work (opts, args, n_args, evict_one, error);
}

/* ---------------------------------------------------------------------- */
/* lock                                                                   */
/* ---------------------------------------------------------------------- */

static gboolean
quit_loop (gpointer user_data)
{
	g_main_loop_quit (user_data);
	return G_SOURCE_CONTINUE;
}

/*
 * Locks mappings through their lock node (the daemon holds the lock), and
 * plain files by mapping and mlock()ing them here: such a lock lasts as
 * long as this process, so mmapctl then waits, like `vmtouch -l`, until
 * SIGINT, SIGTERM or SIGHUP, and exits 0.
 */
gboolean
cmd_lock (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	g_autoptr (GPtrArray) targets = NULL;
	g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func (
		(GDestroyNotify) mmapfs_region_unref);
	g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) residency_free);
	g_autoptr (GMainLoop) loop = NULL;
	gboolean failed = FALSE;
	guint sources[3];
	Range range;

	if (!get_range_option (opts, &range, error))
		return FALSE;
	if (opts->unlock && opts->range != NULL) {
		g_set_error (error, USAGE_ERROR, EINVAL,
			     "--range does not apply to --unlock: a mapping is locked whole");
		return FALSE;
	}

	/* Before anything is locked, so a signal never finds the default action. */
	loop = g_main_loop_new (NULL, FALSE);
	sources[0] = g_unix_signal_add (SIGINT, quit_loop, loop);
	sources[1] = g_unix_signal_add (SIGTERM, quit_loop, loop);
	sources[2] = g_unix_signal_add (SIGHUP, quit_loop, loop);

	targets = expand_targets (args, n_args, &failed);

	for (guint i = 0; i < targets->len; i++) {
		const CtlTarget *target = targets->pdata[i];
		g_autoptr (GError) local_error = NULL;

		if (target->kind == CTL_TARGET_MAPPING) {
			/* The lock node takes the whole mapping (DESIGN §2.4). */
			if (range.given) {
				ctl_set_error (&local_error, EINVAL,
					       "%s: a mapping is locked whole; --range applies to "
					       "files",
					       target->shown);
			} else {
				mapping_write_node (target, "lock", opts->unlock ? "0\n" : "1\n",
						    &local_error);
			}
		} else if (opts->unlock) {
			ctl_set_error (&local_error, EINVAL,
				       "%s: a file stays locked only while its `mmapctl lock` "
				       "runs; stop that process to unlock it",
				       target->shown);
		} else {
			g_autoptr (MmapfsRegion) region = NULL;
			guint64 first, count, length;

			if (file_map_range (target, &range, &region, &first, &count, &length,
					    &local_error) &&
			    region != NULL && !mmapfs_region_lock (region, TRUE, &local_error))
				g_prefix_error (&local_error, "%s: ", target->shown);
			if (local_error == NULL && region != NULL)
				g_ptr_array_add (held, g_steal_pointer (&region));
		}
		if (local_error != NULL) {
			report_error (local_error, &failed);
			continue;
		}
		if (!opts->quiet) {
			Residency *r = ctl_target_residency (target, &range, &local_error);

			if (r == NULL)
				report_error (local_error, &failed);
			else
				g_ptr_array_add (list, r);
		}
	}
	print_residencies (opts, list);
	fflush (stdout);

	if (held->len > 0) {
		if (isatty (STDERR_FILENO))
			g_printerr ("mmapctl: holding %u file%s locked; press Ctrl-C to release\n",
				    held->len, held->len == 1 ? "" : "s");
		g_main_loop_run (loop);
	}
	for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
		g_source_remove (sources[i]);

	if (failed) {
		g_set_error_literal (error, REPORTED_ERROR, 1, "");
		return FALSE;
	}
	return TRUE;
}
