/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a region can tell about itself: page residency from mincore(2),
 * the page-cache counts of cachestat(2), request statistics, the last
 * error, and the text of the daemon's `resident` and `info` nodes.
 */
#include <errno.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "region-private.h"

/* One byte per page from mincore(2); the caller holds the lock and checked the region is open. */
static GBytes *
residency_locked (MmapfsRegion *self, GError **error)
{
	gsize pages = region_pages (self->length);
	g_autofree guint8 *vec = g_malloc0 (MAX (pages, 1));

	if (mincore (self->data, self->length, vec) < 0) {
		int errsv = errno;
		region_fail (self, error, errsv, "mincore failed: %s", g_strerror (errsv));
		return NULL;
	}
	return g_bytes_new_take (g_steal_pointer (&vec), pages);
}

/* ---------------------------------------------------------------------- */
/* Residency                                                              */
/* ---------------------------------------------------------------------- */

/**
 * mmapfs_region_mincore:
 * @self: a region
 * @error: return location for an error
 *
 * Asks mincore(2) which pages of the mapping are resident in memory.
 *
 * Returns: (transfer full): one byte per page, bit 0 set when resident,
 *   or %NULL with EBADF or the errno of mincore(2)
 */
GBytes *
mmapfs_region_mincore (MmapfsRegion *self, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, NULL);
	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return NULL;
	return residency_locked (self, error);
}

/**
 * mmapfs_mincore_runs:
 * @vector: a mincore(2) vector, one byte per page (bit 0 set when
 *   resident), as mmapfs_region_mincore() gives
 * @first_page: the index of the vector's first page, added to every run
 * @out_resident: (out) (optional): how many pages are resident
 *
 * Turns a residency vector into runs of resident pages, the form of the
 * `resident` node: a terabyte mapping costs a few runs, not a byte per
 * page.
 *
 * Returns: (transfer full) (element-type MmapfsResidentRun): the runs,
 *   ascending, each from @first_page + its first index in @vector to
 *   @first_page + its last, inclusive
 */
GArray *
mmapfs_mincore_runs (GBytes *vector, guint64 first_page, guint64 *out_resident)
{
	GArray *runs;
	const guint8 *vec;
	guint64 resident = 0;
	gsize pages;

	g_return_val_if_fail (vector != NULL, NULL);

	runs = g_array_new (FALSE, FALSE, sizeof (MmapfsResidentRun));
	vec = g_bytes_get_data (vector, &pages);
	for (gsize i = 0; i < pages;) {
		MmapfsResidentRun run;
		gsize first;

		if (!(vec[i] & 1)) {
			i++;
			continue;
		}
		first = i;
		while (i < pages && (vec[i] & 1))
			i++;
		resident += i - first;
		run.first = first_page + first;
		run.last = first_page + i - 1;
		g_array_append_val (runs, run);
	}
	if (out_resident != NULL)
		*out_resident = resident;
	return runs;
}

/**
 * mmapfs_region_format_resident:
 * @self: a region
 * @error: return location for an error
 *
 * Renders residency as the `resident` node shows it: a first line
 * `R/T pages resident`, then one `FIRST-LAST` line (page indices,
 * inclusive) per run of resident pages, ascending.
 *
 * Returns: (transfer full): the text, newline-terminated, or %NULL with
 *   the errors of mmapfs_region_mincore()
 */
char *
mmapfs_region_format_resident (MmapfsRegion *self, GError **error)
{
	g_autoptr (GBytes) bytes = mmapfs_region_mincore (self, error);
	g_autoptr (GArray) runs = NULL;
	g_autoptr (GString) text = NULL;
	guint64 resident;

	if (bytes == NULL)
		return NULL;
	runs = mmapfs_mincore_runs (bytes, 0, &resident);
	text = g_string_new (NULL);
	g_string_append_printf (text, "%" G_GUINT64_FORMAT "/%zu pages resident\n", resident,
				g_bytes_get_size (bytes));
	for (guint i = 0; i < runs->len; i++) {
		const MmapfsResidentRun *run = &g_array_index (runs, MmapfsResidentRun, i);

		g_string_append_printf (text, "%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "\n",
					run->first, run->last);
	}
	return g_string_free (g_steal_pointer (&text), FALSE);
}

/* ---------------------------------------------------------------------- */
/* Statistics, last error, info                                           */
/* ---------------------------------------------------------------------- */

/**
 * mmapfs_region_get_stats:
 * @self: a region
 * @out_stats: (out caller-allocates): the counters
 *
 * Reads the request counters. Each counter is exact; the set is not a
 * snapshot taken at one instant.
 */
void
mmapfs_region_get_stats (MmapfsRegion *self, MmapfsRegionStats *out_stats)
{
	g_return_if_fail (self != NULL);
	g_return_if_fail (out_stats != NULL);
	out_stats->reads = __atomic_load_n (&self->stats.reads, __ATOMIC_RELAXED);
	out_stats->writes = __atomic_load_n (&self->stats.writes, __ATOMIC_RELAXED);
	out_stats->bytes_read = __atomic_load_n (&self->stats.bytes_read, __ATOMIC_RELAXED);
	out_stats->bytes_written = __atomic_load_n (&self->stats.bytes_written, __ATOMIC_RELAXED);
	out_stats->flushes = __atomic_load_n (&self->stats.flushes, __ATOMIC_RELAXED);
}

/**
 * mmapfs_region_dup_last_error:
 * @self: a region
 *
 * Returns: (transfer full) (nullable): the sentence of the last failure,
 *   or %NULL when nothing failed yet
 */
char *
mmapfs_region_dup_last_error (MmapfsRegion *self)
{
	g_autoptr (GMutexLocker) locker = NULL;

	g_return_val_if_fail (self != NULL, NULL);
	locker = g_mutex_locker_new (&self->error_lock);
	return g_strdup (self->last_error);
}

/**
 * mmapfs_region_set_last_error:
 * @self: a region
 * @message: (nullable): a sentence, or %NULL to clear
 *
 * Records a failure that happened outside the region (for example a
 * request the daemon refused before calling it), so that the region's
 * info shows it. The region records its own failures itself.
 */
void
mmapfs_region_set_last_error (MmapfsRegion *self, const char *message)
{
	g_autoptr (GMutexLocker) locker = NULL;

	g_return_if_fail (self != NULL);
	locker = g_mutex_locker_new (&self->error_lock);
	g_free (self->last_error);
	self->last_error = g_strdup (message);
}

#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

struct cachestat_range {
	guint64 off;
	guint64 len;
};

struct cachestat_counts {
	guint64 nr_cache;
	guint64 nr_dirty;
	guint64 nr_writeback;
	guint64 nr_evicted;
	guint64 nr_recently_evicted;
};

/* Appends the page-cache counts of the mapped file range, where the kernel has cachestat(2). */
static void
append_cachestat (MmapfsRegion *self, GString *out)
{
	struct cachestat_range range = { self->offset, self->length };
	struct cachestat_counts cs = { 0 };

	if (self->anonymous || syscall (__NR_cachestat, self->fd, &range, &cs, 0) < 0)
		return;
	g_string_append_printf (out,
				"cache_pages: %" G_GUINT64_FORMAT "\n"
				"cache_dirty: %" G_GUINT64_FORMAT "\n"
				"cache_writeback: %" G_GUINT64_FORMAT "\n"
				"cache_evicted: %" G_GUINT64_FORMAT "\n"
				"cache_recently_evicted: %" G_GUINT64_FORMAT "\n",
				cs.nr_cache, cs.nr_dirty, cs.nr_writeback, cs.nr_evicted,
				cs.nr_recently_evicted);
}

/**
 * mmapfs_region_format_info:
 * @self: a region
 * @name: the mapping's name in the tree
 * @error: return location for an error
 *
 * Renders the `info` node: one `key: value` line per key, in a stable
 * order (name, path, access, offset, length, file_size, page_size,
 * advice, locked, resident_pages, total_pages, reads, writes, bytes_read,
 * bytes_written, flushes, last_error, then the cache_* counts where the
 * kernel has cachestat(2)). The path is escaped as in `.control`.
 *
 * Returns: (transfer full): the text, or %NULL with EBADF or the errno of
 *   mincore(2)
 */
char *
mmapfs_region_format_info (MmapfsRegion *self, const char *name, GError **error)
{
	g_autoptr (GRWLockReaderLocker) locker = NULL;
	g_autoptr (GString) out = NULL;
	g_autoptr (GBytes) residency = NULL;
	const guint8 *vec;
	g_autofree char *path = NULL;
	g_autofree char *last_error = NULL;
	g_autofree char *file_size = NULL;
	const char *pattern;
	MmapfsRegionStats stats;
	gsize pages;
	gsize resident = 0;
	struct stat st;

	g_return_val_if_fail (self != NULL, NULL);
	g_return_val_if_fail (name != NULL, NULL);

	locker = g_rw_lock_reader_locker_new (&self->lock);
	if (!region_check_open (self, error))
		return NULL;

	residency = residency_locked (self, error);
	if (residency == NULL)
		return NULL;
	vec = g_bytes_get_data (residency, &pages);
	for (gsize i = 0; i < pages; i++)
		resident += vec[i] & 1;

	if (self->anonymous)
		file_size = g_strdup ("none");
	else if (fstat (self->fd, &st) == 0)
		file_size = g_strdup_printf ("%jd", (intmax_t) st.st_size);
	else
		file_size = g_strdup ("unknown");

	path = self->path != NULL ? mmapfs_path_escape (self->path)
				  : g_strdup (self->anonymous ? "anonymous" : "fd");
	pattern = mmapfs_advice_to_string (g_atomic_int_get (&self->pattern));
	last_error = mmapfs_region_dup_last_error (self);
	mmapfs_region_get_stats (self, &stats);

	out = g_string_new (NULL);
	g_string_append_printf (out,
				"name: %s\n"
				"path: %s\n"
				"access: %s\n"
				"offset: %" G_GUINT64_FORMAT "\n"
				"length: %zu\n"
				"file_size: %s\n"
				"page_size: %zu\n"
				"advice: %s\n"
				"locked: %d\n"
				"resident_pages: %zu\n"
				"total_pages: %zu\n"
				"reads: %" G_GUINT64_FORMAT "\n"
				"writes: %" G_GUINT64_FORMAT "\n"
				"bytes_read: %" G_GUINT64_FORMAT "\n"
				"bytes_written: %" G_GUINT64_FORMAT "\n"
				"flushes: %" G_GUINT64_FORMAT "\n"
				"last_error: %s\n",
				name, path, mmapfs_access_to_string (self->access), self->offset,
				self->length, file_size, mmapfs_region_page_size (),
				pattern != NULL ? pattern : "normal", self->locked ? 1 : 0, resident,
				pages, stats.reads, stats.writes, stats.bytes_read,
				stats.bytes_written, stats.flushes,
				last_error != NULL ? last_error : "none");
	append_cachestat (self, out);
	return g_string_free (g_steal_pointer (&out), FALSE);
}
