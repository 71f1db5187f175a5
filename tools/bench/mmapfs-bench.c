/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mmapfs-bench: side-by-side throughput and latency of mmapfs and of what
 * it is measured against, in one run, on one machine.
 *
 * It makes a temporary tree on a disk folder (a backing file, default
 * 1 GiB, kept warm in the page cache), mounts it with the mmapfs daemon
 * once per cache mode (auto, never, always), and in each of several
 * rounds, interleaved and in rotating order, measures each target that is
 * on the machine: native file I/O on the backing file, memcpy from a
 * mapping of it, Python's mmap over it, and mmapfs's `data` in each mode.
 * Workloads: sequential read with the FUSE cache cold and warm, sequential
 * write, 4 KiB random pread with 1 and 2 jobs, CPU time per GiB read
 * (daemon and reader, from /proc and getrusage), open-write-close loops
 * on the control nodes, and the per-operation cost of reading `data` and
 * `info` with 1 and with 10,000 mappings mounted (two more daemons).
 *
 * It prints the medians with their ratios to native, and `--json` the
 * same with every sample (mmapfs-bench-report.c): figures only, no
 * verdicts; the goals they are judged against are in README.md
 * ("Performance"). Exit status: 0 when everything available was
 * measured, 1 when a measurement failed, 2 for a usage error, 128+N on
 * signal N.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmapfs-bench-private.h"

#ifndef BENCH_MMAPFS
#define BENCH_MMAPFS ""
#endif
#ifndef BENCH_PYTHON_SCRIPT
#define BENCH_PYTHON_SCRIPT ""
#endif

/* What each control node is written in its loop: cheap, valid, and changing nothing. */
static const struct {
	Metric metric;
	const char *node;
	const char *text; /* NULL: a read loop */
} control_loops[] = {
	{ METRIC_CTL_ADVISE, "small/advise", "normal\n" },
	{ METRIC_CTL_FLUSH, "small/flush", "0 4096\n" },
	{ METRIC_CTL_SIZE, "small/size", G_STRINGIFY (BENCH_SMALL_SIZE) "\n" },
	{ METRIC_CTL_INFO, "small/info", NULL },
};

const char *
bench_target_name (BenchTarget target)
{
	switch (target) {
	case BENCH_TARGET_NATIVE:
		return "native";
	case BENCH_TARGET_MEMCPY:
		return "memcpy";
	case BENCH_TARGET_PYTHON:
		return "python";
	case BENCH_TARGET_AUTO:
		return "auto";
	case BENCH_TARGET_NEVER:
		return "never";
	case BENCH_TARGET_ALWAYS:
		return "always";
	default:
		g_assert_not_reached ();
	}
}

static void
record (Bench *b, Metric m, BenchTarget t, gboolean ok, double value, GError *error)
{
	if (ok) {
		if (b->samples[m][t] == NULL)
			b->samples[m][t] = g_array_new (FALSE, FALSE, sizeof (double));
		g_array_append_val (b->samples[m][t], value);
	} else if (b->errors[m][t] == NULL && error != NULL && error->code != EINTR) {
		b->errors[m][t] = g_strdup (error->message);
	}
}

gboolean
bench_target_available (Bench *b, BenchTarget t)
{
	return b->skip[t] == NULL;
}

/* Runs one workload on one target for one round, recording its sample(s). */
static void
measure (Bench *b, Metric m, BenchTarget t)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *data = NULL;
	BenchMount *mount = b->mounts[t];
	const char *path = b->backing;
	pid_t daemon = 0;
	double value = 0, cpu = 0;
	gboolean ok;

	if (!bench_target_available (b, t) || bench_stop != 0)
		return;
	if (mount != NULL) {
		if (!bench_mount_alive (mount, &error)) {
			record (b, m, t, FALSE, 0, error);
			if (m == METRIC_SEQ_READ_COLD)
				record (b, METRIC_CPU_READ, t, FALSE, 0, error);
			return;
		}
		data = bench_mount_path (mount, "bench/data");
		path = data;
		daemon = mount->pid;
	}
	switch (m) {
	case METRIC_SEQ_READ_COLD:
		if (t == BENCH_TARGET_MEMCPY)
			ok = work_memcpy (b, &value, &cpu, &error);
		else if (t == BENCH_TARGET_PYTHON)
			ok = work_python (b, &value, &error);
		else
			ok = work_seq_read (b, path, daemon, FALSE, &value, &cpu, &error);
		record (b, m, t, ok, value, error);
		if (t != BENCH_TARGET_PYTHON)
			record (b, METRIC_CPU_READ, t, ok, cpu, error);
		break;
	case METRIC_SEQ_READ_WARM:
		ok = work_seq_read (b, path, daemon, TRUE, &value, &cpu, &error);
		record (b, m, t, ok, value, error);
		break;
	case METRIC_SEQ_WRITE:
		ok = work_seq_write (b, path, &value, &error);
		record (b, m, t, ok, value, error);
		break;
	case METRIC_RAND_1:
	case METRIC_RAND_2:
		ok = work_random (b, path, m == METRIC_RAND_1 ? 1 : 2, &value, &error);
		record (b, m, t, ok, value, error);
		break;
	default:
		g_assert_not_reached ();
	}
}

static void
measure_controls (Bench *b, BenchTarget t)
{
	BenchMount *mount = b->mounts[t];

	if (!bench_target_available (b, t))
		return;
	for (guint i = 0; i < G_N_ELEMENTS (control_loops) && bench_stop == 0; i++) {
		g_autoptr (GError) error = NULL;
		g_autofree char *path = bench_mount_path (mount, control_loops[i].node);
		double ops = 0;
		gboolean ok;

		if (control_loops[i].text != NULL)
			ok = work_node_write (path, control_loops[i].text, b->ctl_seconds, &ops,
					      &error);
		else
			ok = work_node_read (path, b->ctl_seconds, &ops, &error);
		record (b, control_loops[i].metric, t, ok, ops, error);
	}
}

/*
 * The per-op costs on the mount with one mapping and on the one with
 * many. The two are compared, so they run in short back-to-back slices,
 * in alternating order: each pair of slices gives one N / 1 ratio, and a
 * drift of the machine (another job starting, the CPU clock) weighs on
 * both halves of a pair alike instead of on whichever ran second.
 */
static void
measure_mappings (Bench *b, guint round)
{
	enum { SLICES = 10 };
	static const struct {
		const char *node;
		Metric metric[2];
	} nodes[] = {
		{ "probe/data", { METRIC_MAPS_DATA_1, METRIC_MAPS_DATA_N } },
		{ "probe/info", { METRIC_MAPS_INFO_1, METRIC_MAPS_INFO_N } },
	};
	BenchMount *mounts[2] = { b->maps_one, b->maps_many };

	for (guint i = 0; i < G_N_ELEMENTS (nodes) && bench_stop == 0; i++) {
		g_autoptr (GError) error = NULL;
		double sum[2] = { 0, 0 };
		gboolean ok = TRUE;

		if (b->maps_pairs[i] == NULL)
			b->maps_pairs[i] = g_array_new (FALSE, FALSE, sizeof (double));
		for (guint slice = 0; ok && slice < SLICES; slice++) {
			double us[2] = { 0, 0 };

			for (guint k = 0; ok && k < 2; k++) {
				guint which = (k + slice + round) % 2;
				g_autofree char *path =
					bench_mount_path (mounts[which], nodes[i].node);

				ok = bench_mount_alive (mounts[which], &error) &&
				     work_open_read (path, b->ctl_seconds / SLICES, &us[which],
						     &error);
				if (!ok)
					record (b, nodes[i].metric[which], BENCH_TARGET_AUTO, FALSE,
						0, error);
			}
			if (ok) {
				double ratio = us[1] / us[0];

				g_array_append_val (b->maps_pairs[i], ratio);
				sum[0] += us[0];
				sum[1] += us[1];
			}
		}
		for (guint k = 0; ok && k < 2; k++)
			record (b, nodes[i].metric[k], BENCH_TARGET_AUTO, TRUE, sum[k] / SLICES,
				NULL);
	}
}

/* Runs @m on @targets in an order that rotates with @round. */
static void
measure_rotating (Bench *b, Metric m, const BenchTarget *targets, guint n, guint round)
{
	for (guint i = 0; i < n && bench_stop == 0; i++)
		measure (b, m, targets[(i + round) % n]);
}

static void
run_round (Bench *b, guint round)
{
	static const BenchTarget reads[] = { BENCH_TARGET_NATIVE, BENCH_TARGET_MEMCPY,
					     BENCH_TARGET_PYTHON, BENCH_TARGET_AUTO,
					     BENCH_TARGET_NEVER,  BENCH_TARGET_ALWAYS };
	static const BenchTarget files[] = { BENCH_TARGET_NATIVE, BENCH_TARGET_AUTO,
					     BENCH_TARGET_NEVER, BENCH_TARGET_ALWAYS };
	static const Metric file_metrics[] = { METRIC_SEQ_READ_WARM, METRIC_RAND_1, METRIC_RAND_2,
					       METRIC_SEQ_WRITE };

	measure_rotating (b, METRIC_SEQ_READ_COLD, reads, G_N_ELEMENTS (reads), round);
	for (guint i = 0; i < G_N_ELEMENTS (file_metrics); i++)
		measure_rotating (b, file_metrics[i], files, G_N_ELEMENTS (files), round);
	for (guint i = 0; i < 3 && bench_stop == 0; i++)
		measure_controls (b, BENCH_TARGET_AUTO + (i + round) % 3);
	if (b->maps_skip == NULL)
		measure_mappings (b, round);
}

/* Finds the daemon: --mmapfs, $MMAPFS, the one this build made, or PATH. */
static char *
find_daemon (Bench *b)
{
	const char *env = g_getenv ("MMAPFS");

	if (b->mmapfs != NULL)
		return g_find_program_in_path (b->mmapfs);
	if (env != NULL && *env != '\0')
		return g_find_program_in_path (env);
	if (*BENCH_MMAPFS != '\0' && g_file_test (BENCH_MMAPFS, G_FILE_TEST_IS_EXECUTABLE))
		return g_strdup (BENCH_MMAPFS);
	return g_find_program_in_path ("mmapfs");
}

static gboolean
start_mode_mount (Bench *b, const char *daemon, BenchTarget t, GError **error)
{
	g_autofree char *cache = g_strdup_printf ("cache=%s", bench_target_name (t));
	g_autofree char *bench_map = g_strdup_printf ("bench=%s", b->backing);
	g_autofree char *small_map = g_strdup_printf ("small=%s", b->small);
	const char *args[] = { "-o", cache, "--map", bench_map, "--map", small_map, NULL };

	b->mounts[t] = bench_mount_start (daemon, b->workdir, bench_target_name (t), args, error);
	return b->mounts[t] != NULL;
}

/*
 * The two mounts of the 1-vs-N comparison, both cache=auto. On the second
 * the probe mapping is created last, after the N-1 others, so that a
 * table scanned in creation order would find it last.
 */
static gboolean
start_maps_mounts (Bench *b, const char *daemon, GError **error)
{
	const char *args[] = { "-o", "cache=auto", NULL };
	g_autofree char *escaped = mmapfs_path_escape (b->small);
	g_autofree char *probe = g_strdup_printf ("map probe %s\n", escaped);
	g_autoptr (GString) lines = g_string_new (NULL);

	b->maps_one = bench_mount_start (daemon, b->workdir, "maps-1", args, error);
	if (b->maps_one == NULL || !bench_mount_control (b->maps_one, probe, strlen (probe), error))
		return FALSE;
	b->maps_many = bench_mount_start (daemon, b->workdir, "maps-n", args, error);
	if (b->maps_many == NULL)
		return FALSE;
	for (guint i = 1; i < b->mappings; i++)
		g_string_append_printf (lines, "anon m%05u 4096\n", i);
	g_string_append (lines, probe);
	return bench_mount_control (b->maps_many, lines->str, lines->len, error);
}

static gboolean
parse_options (Bench *b, int *argc, char ***argv, GError **error)
{
	g_autofree char *size = NULL;
	gint rounds = -1, mappings = -1;
	GOptionEntry entries[] = {
		{ "size", 0, 0, G_OPTION_ARG_STRING, &size,
		  "Size of the backing file (default 1G; --quick: 256M)", "N" },
		{ "rounds", 0, 0, G_OPTION_ARG_INT, &rounds,
		  "Rounds; medians are reported (default 5; --quick: 3)", "N" },
		{ "dir", 0, 0, G_OPTION_ARG_FILENAME, &b->dir,
		  "Disk folder for the temporary tree (default /var/tmp)", "DIR" },
		{ "mmapfs", 0, 0, G_OPTION_ARG_FILENAME, &b->mmapfs,
		  "The mmapfs daemon (default: $MMAPFS, this build's, or PATH)", "PATH" },
		{ "python", 0, 0, G_OPTION_ARG_FILENAME, &b->python,
		  "Python for the mmap target (default /usr/bin/python3)", "PATH" },
		{ "mappings", 0, 0, G_OPTION_ARG_INT, &mappings,
		  "Mappings of the many-mappings mount (default 10000)", "N" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &b->json, "Print JSON instead of a table",
		  NULL },
		{ "quick", 0, 0, G_OPTION_ARG_NONE, &b->quick,
		  "A short run: smaller file, fewer rounds, shorter loops", NULL },
		{ NULL }
	};
	g_autoptr (GOptionContext) context = g_option_context_new ("");

	g_option_context_set_summary (context,
				      "Measures mmapfs against native file I/O, memcpy and "
				      "Python's mmap on the same backing file.");
	g_option_context_add_main_entries (context, entries, NULL);
	if (!g_option_context_parse (context, argc, argv, error))
		return FALSE;
	if (*argc > 1) {
		mmapfs_set_error (error, EINVAL, "unexpected argument %s", (*argv)[1]);
		return FALSE;
	}

	b->size = b->quick ? 256 * 1024 * 1024 : G_GUINT64_CONSTANT (1024) * 1024 * 1024;
	b->rounds = b->quick ? 3 : 5;
	b->rand_seconds = b->quick ? 0.3 : 1.0;
	b->ctl_seconds = b->quick ? 0.1 : 0.3;
	b->mappings = 10000;
	if (size != NULL && !mmapfs_parse_number (size, strlen (size), &b->size, error))
		return FALSE;
	if (b->size < 16 * BENCH_BLOCK || b->size % BENCH_PAGE != 0) {
		mmapfs_set_error (error, EINVAL,
				  "--size must be a multiple of 4 KiB, at least 16M");
		return FALSE;
	}
	if (rounds != -1 && rounds < 1) {
		mmapfs_set_error (error, EINVAL, "--rounds must be at least 1");
		return FALSE;
	}
	if (rounds != -1)
		b->rounds = rounds;
	if (mappings != -1 && (mappings < 2 || mappings > 60000)) {
		mmapfs_set_error (error, EINVAL, "--mappings must be between 2 and 60000");
		return FALSE;
	}
	if (mappings != -1)
		b->mappings = mappings;
	if (b->python == NULL)
		b->python = g_strdup ("/usr/bin/python3");
	return TRUE;
}

/* Finds what can be measured here, and records why the rest cannot. */
static char *
check_targets (Bench *b)
{
	char *daemon = find_daemon (b);

	b->python_script = g_strdup (BENCH_PYTHON_SCRIPT);
	if (!g_file_test (b->python, G_FILE_TEST_IS_EXECUTABLE))
		b->skip[BENCH_TARGET_PYTHON] = g_strdup_printf ("%s not found", b->python);
	else if (!g_file_test (b->python_script, G_FILE_TEST_IS_REGULAR))
		b->skip[BENCH_TARGET_PYTHON] =
			g_strdup_printf ("script %s not found", b->python_script);

	for (BenchTarget t = BENCH_TARGET_AUTO; t <= BENCH_TARGET_ALWAYS; t++) {
		if (daemon == NULL)
			b->skip[t] = g_strdup ("no mmapfs daemon (give one with --mmapfs)");
		else if (access ("/dev/fuse", R_OK | W_OK) != 0)
			b->skip[t] = g_strdup_printf ("/dev/fuse: %s", g_strerror (errno));
	}
	if (b->skip[BENCH_TARGET_AUTO] != NULL)
		b->maps_skip = g_strdup (b->skip[BENCH_TARGET_AUTO]);
	return daemon;
}

static void
bench_free (Bench *b)
{
	for (Metric m = 0; m < N_METRICS; m++)
		for (BenchTarget t = 0; t < N_TARGETS; t++) {
			if (b->samples[m][t] != NULL)
				g_array_free (b->samples[m][t], TRUE);
			g_free (b->errors[m][t]);
		}
	for (BenchTarget t = 0; t < N_TARGETS; t++)
		g_free (b->skip[t]);
	for (guint i = 0; i < G_N_ELEMENTS (b->maps_pairs); i++)
		if (b->maps_pairs[i] != NULL)
			g_array_free (b->maps_pairs[i], TRUE);
	g_free (b->maps_skip);
	g_free (b->dir);
	g_free (b->mmapfs);
	g_free (b->python);
	g_free (b->python_script);
	g_free (b->workdir);
	g_free (b->backing);
	g_free (b->small);
	g_free (b->fstype);
	g_free (b->load_start);
	g_free (b->load_end);
	free (b->buf);
	free (b->wbuf);
	g_free (b->perm);
}

/* The three load averages of /proc/loadavg. */
static char *
read_loadavg (void)
{
	g_autofree char *text = NULL;
	g_auto (GStrv) words = NULL;

	if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
		return g_strdup ("unknown");
	words = g_strsplit (text, " ", 4);
	if (g_strv_length (words) < 3)
		return g_strdup ("unknown");
	return g_strdup_printf ("%s %s %s", words[0], words[1], words[2]);
}

/* Sets up the tree, the buffers and the mounts, then runs every round. */
static gboolean
run (Bench *b, const char *daemon, GError **error)
{
	g_autoptr (GRand) rand = g_rand_new_with_seed (4096);

	if (posix_memalign ((void **)&b->buf, BENCH_PAGE, BENCH_BLOCK) != 0 ||
	    posix_memalign ((void **)&b->wbuf, BENCH_PAGE, BENCH_BLOCK) != 0) {
		mmapfs_set_error (error, ENOMEM, "out of memory");
		return FALSE;
	}
	if (!bench_prepare_dir (b, error))
		return FALSE;
	g_printerr ("mmapfs-bench: writing a %" G_GUINT64_FORMAT " MiB backing file in %s\n",
		    b->size >> 20, b->workdir);
	b->pages = b->size / BENCH_PAGE;
	if (!bench_make_files (b, error))
		return FALSE;

	/* One random order of all pages (Fisher-Yates), the same for every target. */
	b->perm = g_new (guint32, b->pages);
	for (gsize i = 0; i < b->pages; i++)
		b->perm[i] = i;
	for (gsize i = b->pages - 1; i > 0; i--) {
		gsize j = g_rand_int_range (rand, 0, i + 1);
		guint32 t = b->perm[i];

		b->perm[i] = b->perm[j];
		b->perm[j] = t;
	}

	for (BenchTarget t = BENCH_TARGET_AUTO; t <= BENCH_TARGET_ALWAYS; t++) {
		g_autoptr (GError) local_error = NULL;

		if (bench_target_available (b, t) &&
		    !start_mode_mount (b, daemon, t, &local_error)) {
			if (local_error->code == EINTR) {
				g_propagate_error (error, g_steal_pointer (&local_error));
				return FALSE;
			}
			b->skip[t] = g_strdup_printf ("mount failed: %s", local_error->message);
			b->errors[METRIC_SEQ_READ_COLD][t] = g_strdup (b->skip[t]);
		}
	}
	if (b->maps_skip == NULL) {
		g_autoptr (GError) local_error = NULL;

		g_printerr ("mmapfs-bench: mounting 1 and %u mappings\n", b->mappings);
		if (!start_maps_mounts (b, daemon, &local_error)) {
			if (local_error->code == EINTR) {
				g_propagate_error (error, g_steal_pointer (&local_error));
				return FALSE;
			}
			b->maps_skip = g_strdup (local_error->message);
			b->errors[METRIC_MAPS_DATA_1][BENCH_TARGET_AUTO] = g_strdup (b->maps_skip);
		}
	}

	b->min_warm = 1.0;
	b->load_start = read_loadavg ();
	for (guint round = 0; round < b->rounds; round++) {
		double resident = 1.0;

		g_printerr ("mmapfs-bench: round %u of %u\n", round + 1, b->rounds);
		if (!bench_warm_backing (b, &resident, error))
			return FALSE;
		b->min_warm = MIN (b->min_warm, resident);
		run_round (b, round);
		if (!bench_check_stop (error))
			return FALSE;
	}
	b->load_end = read_loadavg ();
	return TRUE;
}

int
main (int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *daemon = NULL;
	Bench bench = { .backing_fd = -1 };
	Bench *b = &bench;
	gboolean ok, failed = FALSE;

	if (!parse_options (b, &argc, &argv, &error)) {
		g_printerr ("mmapfs-bench: %s\n", error->message);
		bench_free (b);
		return 2;
	}
	bench_install_signals ();
	daemon = check_targets (b);

	ok = run (b, daemon, &error);
	bench_mounts_stop_all ();
	bench_remove_files (b);

	if (bench_stop != 0) {
		int signo = bench_stop;

		g_printerr ("mmapfs-bench: interrupted; every mount undone\n");
		bench_free (b);
		return 128 + signo;
	}
	if (!ok) {
		g_printerr ("mmapfs-bench: %s\n", error->message);
		bench_free (b);
		return 1;
	}

	if (b->json)
		bench_print_json (b, daemon);
	else
		bench_print_table (b, daemon);

	for (Metric m = 0; m < N_METRICS; m++)
		for (BenchTarget t = 0; t < N_TARGETS; t++)
			failed |= b->errors[m][t] != NULL;
	bench_free (b);
	return failed ? 1 : 0;
}
