/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vmtouch workflows that change residency: touch, evict and lock,
 * each on mappings of a mount (through their advise and lock nodes) or
 * directly on plain files, which are mapped read-only for the moment
 * through libmmapfs, as vmtouch maps them itself. What is resident is
 * measured and printed by mmapctl-resident.c.
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
#include <unistd.h>

#include "mmapctl-private.h"

/* Work is done, and progress drawn, this many bytes at a time. */
#define WORK_CHUNK (16 * 1024 * 1024)
/* Below this much work, a progress bar would only flicker. */
#define PROGRESS_MIN (64 * 1024 * 1024)

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
			mmapfs_set_error (error, EOPNOTSUPP,
					  "%s: this build knows no populate_read advice",
					  target->shown);
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
		const MmapfsResidentRun *run = &g_array_index (r->runs, MmapfsResidentRun, i);

		posix_fadvise (fd, (off_t) (r->file_offset + run->first * r->page_size),
			       (off_t) ((run->last - run->first + 1) * r->page_size),
			       POSIX_FADV_DONTNEED);
	}
	close (fd);
}

/*
 * What the daemon's mapping still holds after one round: pages pageout
 * could not isolate because they sat in another CPU's batch. The fadvise
 * of drop_leftovers drained every batch, so one more pageout of what is
 * still resident takes them; its failure changes nothing already done.
 */
static void
page_out_again (const CtlTarget *target, const Range *range)
{
	g_autoptr (Residency) r = ctl_target_residency (target, range, NULL);

	if (r == NULL || r->resident == 0)
		return;
	for (guint i = 0; i < r->runs->len; i++) {
		const MmapfsResidentRun *run = &g_array_index (r->runs, MmapfsResidentRun, i);

		if (!mapping_advise_span (target, "pageout", run->first * r->page_size,
					  span_bytes (r, run->first, run->last - run->first + 1),
					  NULL, NULL, NULL))
			return;
	}
	drop_leftovers (target, range);
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
			mmapfs_set_error (error, EOPNOTSUPP,
					  "%s: this build knows no pageout advice", target->shown);
			return FALSE;
		}
		if (!file_map_range (target, range, &region, &first, &count, &length, error))
			return FALSE;
		if (region == NULL)
			return TRUE;
	}

	for (guint i = 0; i < r->runs->len; i++) {
		const MmapfsResidentRun *run = &g_array_index (r->runs, MmapfsResidentRun, i);

		bytes += span_bytes (r, run->first, run->last - run->first + 1);
	}
	progress_init (&progress, opts, "evict", bytes);
	progress_update (&progress, 0);

	for (guint i = 0; ok && i < r->runs->len; i++) {
		const MmapfsResidentRun *run = &g_array_index (r->runs, MmapfsResidentRun, i);
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
	if (ok && target->kind == CTL_TARGET_MAPPING)
		page_out_again (target, range);
	return ok;
}

gboolean
cmd_touch (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	return run_on_targets (opts, args, n_args, touch_one, error);
}

gboolean
cmd_evict (CtlOptions *opts, char **args, guint n_args, GError **error)
{
	return run_on_targets (opts, args, n_args, evict_one, error);
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
				mmapfs_set_error (
					&local_error, EINVAL,
					"%s: a mapping is locked whole; --range applies to "
					"files",
					target->shown);
			} else {
				mapping_write_node (target, "lock", opts->unlock ? "0\n" : "1\n",
						    &local_error);
			}
		} else if (opts->unlock) {
			mmapfs_set_error (&local_error, EINVAL,
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
