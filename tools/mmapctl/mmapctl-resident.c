/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * resident, and what the other vmtouch workflows (mmapctl-vm.c) share
 * with it: expanding the paths of the command line, measuring residency
 * of mappings (their info and resident nodes) and of plain files (mapped
 * read-only through libmmapfs, mincore(2)), and printing it.
 *
 * Paths expand as vmtouch's do: a mount stands for all its mappings, a
 * directory for the regular files below it (symbolic links are not
 * followed, and other filesystems are not entered).
 *
 * Residency is counted in pages and kept as runs of resident pages, the
 * form of the resident node (DESIGN §2.5), so a terabyte file costs a
 * few runs, not a byte per page.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmapctl-private.h"

/* Characters in a residency bar, as vmtouch draws it. */
#define BAR_WIDTH 60

void
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
/* ---------------------------------------------------------------------- */
/* Expanding paths                                                        */
/* ---------------------------------------------------------------------- */

static void
walk_dir (const char *path, const char *shown, dev_t dev, GPtrArray *items, gboolean *failed)
{
	g_autoptr (GError) local_error = NULL;
	g_autoptr (GPtrArray) names = read_dir_names (path, shown, &local_error);

	if (names == NULL) {
		report_error (local_error, failed);
		return;
	}
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
GPtrArray *
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
				g_ptr_array_add (
					items, ctl_mount_mapping_target (target, names->pdata[j]));
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
			mmapfs_set_error (error, EINVAL,
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

/* Keeps the part of @runs inside [first, first + count) and counts it. */
static GArray *
clip_runs (GArray *runs, guint64 first, guint64 count, guint64 *out_resident)
{
	GArray *clipped = g_array_new (FALSE, FALSE, sizeof (MmapfsResidentRun));
	guint64 end = first + count;

	*out_resident = 0;
	for (guint i = 0; i < runs->len; i++) {
		MmapfsResidentRun run = g_array_index (runs, MmapfsResidentRun, i);

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
	g_autoptr (MmapfsNodeInfo) info = NULL;
	g_autoptr (GError) local_error = NULL;
	g_autofree char *text = NULL;
	g_autoptr (GArray) runs = NULL;
	guint64 length, page_size;
	const char *path;

	info = mapping_read_info (mapping, error);
	if (info == NULL)
		return NULL;
	if (!mmapfs_node_info_get_uint64 (info, "length", &length, NULL) ||
	    !mmapfs_node_info_get_uint64 (info, "page_size", &page_size, NULL) || page_size == 0) {
		mmapfs_set_error (error, EIO, "%s/info: no length or page_size", mapping->shown);
		return NULL;
	}
	text = mapping_read_node (mapping, "resident", error);
	if (text == NULL)
		return NULL;
	if (!mmapfs_node_parse_resident (text, strlen (text), NULL, NULL, &runs, &local_error)) {
		mmapfs_set_error (error, local_error->code, "%s/resident: %s", mapping->shown,
				  local_error->message);
		return NULL;
	}

	r->shown = g_strdup (mapping->shown);
	r->is_mapping = TRUE;
	r->page_size = page_size;
	r->length = length;
	path = mmapfs_node_info_get (info, "path");
	if (path != NULL && strcmp (path, "anonymous") != 0 &&
	    mmapfs_node_info_get_uint64 (info, "offset", &r->file_offset, NULL))
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
gboolean
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
		mmapfs_set_error (error, err, "%s: %s", file->shown, g_strerror (err));
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
		mmapfs_set_error (error, local_error->code, "%s: %s", file->shown,
				  local_error->message);
		return FALSE;
	}
	return TRUE;
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
		r->runs = g_array_new (FALSE, FALSE, sizeof (MmapfsResidentRun));
		return g_steal_pointer (&r);
	}
	vector = mmapfs_region_mincore (region, &local_error);
	if (vector == NULL) {
		mmapfs_set_error (error, local_error->code, "%s: %s", file->shown,
				  local_error->message);
		return NULL;
	}
	r->runs = mmapfs_mincore_runs (vector, r->first_page, &r->resident);
	return g_steal_pointer (&r);
}

Residency *
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

		while (run < r->runs->len &&
		       g_array_index (r->runs, MmapfsResidentRun, run).last < lo)
			run++;
		for (guint k = run; k < r->runs->len; k++) {
			const MmapfsResidentRun *x = &g_array_index (r->runs, MmapfsResidentRun, k);

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
		const MmapfsResidentRun *run = &g_array_index (r->runs, MmapfsResidentRun, i);

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
void
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

gboolean
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

/**
 * run_on_targets:
 * @opts: the options (--range, --quiet, --json, --bar)
 * @args: (array length=n_args): the paths of the command line
 * @n_args: how many
 * @work: (nullable): what to do to each target, or %NULL to only measure
 * @error: return location for an error
 *
 * Expands the paths, runs @work on each target (a target it fails on is
 * reported and left out), then measures and prints what is resident.
 *
 * Returns: %TRUE when every path and every target succeeded
 */
gboolean
run_on_targets (CtlOptions *opts, char **args, guint n_args, WorkFunc work, GError **error)
{
	g_autoptr (GPtrArray) targets = NULL;
	gboolean failed = FALSE;
	Range range;

	if (!get_range_option (opts, &range, error))
		return FALSE;
	targets = expand_targets (args, n_args, &failed);
	for (guint i = 0; work != NULL && i < targets->len; i++) {
		g_autoptr (GError) local_error = NULL;

		if (!work (opts, targets->pdata[i], &range, &local_error)) {
			report_error (local_error, &failed);
			g_ptr_array_remove_index (targets, i--);
		}
	}
	return report_after (opts, targets, &range, failed, error);
}

gboolean
cmd_resident (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	return run_on_targets (opts, args, n_args, NULL, error);
}
