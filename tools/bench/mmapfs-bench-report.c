/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What mmapfs-bench prints once the rounds are over: the medians of each
 * cell with their ratios to native, as a table or as JSON with every
 * sample. It reports figures only; the goals they are judged against are
 * a table in README.md ("Performance"), not part of the program.
 */
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "mmapfs-bench-private.h"

static const struct {
	const char *key;
	const char *label;
	Unit unit;
} metrics[N_METRICS] = {
	[METRIC_SEQ_READ_COLD] = { "seq-read-cold", "seq read, FUSE cache cold", UNIT_BYTES_PER_S },
	[METRIC_SEQ_READ_WARM] = { "seq-read-warm", "seq read, FUSE cache warm", UNIT_BYTES_PER_S },
	[METRIC_SEQ_WRITE] = { "seq-write", "seq write", UNIT_BYTES_PER_S },
	[METRIC_RAND_1] = { "rand-read-1", "4 KiB random pread, 1 job", UNIT_OPS_PER_S },
	[METRIC_RAND_2] = { "rand-read-2", "4 KiB random pread, 2 jobs", UNIT_OPS_PER_S },
	[METRIC_CPU_READ] = { "cpu-read", "CPU per GiB, seq read cold", UNIT_MS_PER_GIB },
	[METRIC_CTL_ADVISE] = { "ctl-advise", "advise open-write-close", UNIT_OPS_PER_S },
	[METRIC_CTL_FLUSH] = { "ctl-flush", "flush open-write-close", UNIT_OPS_PER_S },
	[METRIC_CTL_SIZE] = { "ctl-size", "size open-write-close", UNIT_OPS_PER_S },
	[METRIC_CTL_INFO] = { "ctl-info", "info open-read-close", UNIT_OPS_PER_S },
	[METRIC_MAPS_DATA_1] = { "maps-data-1", "data open-pread-close, 1 mapping",
				 UNIT_US_PER_OP },
	[METRIC_MAPS_DATA_N] = { "maps-data-n", "data open-pread-close, N mappings",
				 UNIT_US_PER_OP },
	[METRIC_MAPS_INFO_1] = { "maps-info-1", "info open-read-close, 1 mapping", UNIT_US_PER_OP },
	[METRIC_MAPS_INFO_N] = { "maps-info-n", "info open-read-close, N mappings",
				 UNIT_US_PER_OP },
};

static const char *const unit_names[] = {
	[UNIT_BYTES_PER_S] = "B/s",
	[UNIT_OPS_PER_S] = "op/s",
	[UNIT_MS_PER_GIB] = "ms/GiB",
	[UNIT_US_PER_OP] = "us/op",
};

static double
median (GArray *samples)
{
	g_autofree double *v = NULL;
	guint n;

	if (samples == NULL || samples->len == 0)
		return NAN;
	n = samples->len;
	v = g_memdup2 (samples->data, n * sizeof (double));
	for (guint i = 1; i < n; i++)
		for (guint j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A cell with a failed run has no median: its other runs are not the same work. */
static double
cell_median (Bench *b, Metric m, BenchTarget t)
{
	if (b->errors[m][t] != NULL)
		return NAN;
	return median (b->samples[m][t]);
}

/* Median of @t over median of native, for the metrics native has. */
static double
cell_ratio (Bench *b, Metric m, BenchTarget t)
{
	return cell_median (b, m, t) / cell_median (b, m, BENCH_TARGET_NATIVE);
}

static void
format_value (char *out, gsize size, Unit unit, double v)
{
	if (isnan (v))
		g_strlcpy (out, "-", size);
	else if (unit == UNIT_BYTES_PER_S)
		g_snprintf (out, size, "%.2f", v / 1e9);
	else if (unit == UNIT_OPS_PER_S && v >= 1e6)
		g_snprintf (out, size, "%.2fM", v / 1e6);
	else if (unit == UNIT_OPS_PER_S && v >= 1e3)
		g_snprintf (out, size, "%.1fk", v / 1e3);
	else if (unit == UNIT_US_PER_OP)
		g_snprintf (out, size, "%.1f", v);
	else
		g_snprintf (out, size, "%.0f", v);
}

static const char *
shown_unit (Unit unit)
{
	return unit == UNIT_BYTES_PER_S ? "GB/s" : unit_names[unit];
}

/* One cell of the table: the median, or why there is none. */
static void
format_cell (Bench *b, Metric m, BenchTarget t, char *out, gsize size)
{
	if (b->errors[m][t] != NULL)
		g_strlcpy (out, "error", size);
	else if (b->samples[m][t] != NULL)
		format_value (out, size, metrics[m].unit, cell_median (b, m, t));
	else if (!bench_target_available (b, t) &&
		 (BENCH_TARGET_IS_MMAPFS (t) || t == BENCH_TARGET_PYTHON))
		g_strlcpy (out, "n/a", size);
	else
		g_strlcpy (out, "-", size);
}

/* The N / 1 ratio of per-op costs: the median of the paired slices. */
static double
maps_ratio (Bench *b, Metric one, Metric many)
{
	guint i = one == METRIC_MAPS_DATA_1 ? 0 : 1;

	if (b->errors[one][BENCH_TARGET_AUTO] != NULL || b->errors[many][BENCH_TARGET_AUTO] != NULL)
		return NAN;
	return median (b->maps_pairs[i]);
}

static gboolean
has_native (Metric m)
{
	return m <= METRIC_CPU_READ;
}

void
bench_print_table (Bench *b, const char *daemon)
{
	struct utsname un;
	char cell[32];

	uname (&un);
	g_print ("mmapfs-bench: %.2f GiB file on %s, %u rounds interleaved, medians\n",
		 b->size / (1024.0 * 1024 * 1024), b->fstype, b->rounds);
	g_print ("machine: %u CPUs, %s %s; mmapfs: %s\n", g_get_num_processors (), un.sysname,
		 un.release, daemon != NULL ? daemon : "not found");
	g_print ("load average: %s before the rounds, %s after\n", b->load_start, b->load_end);
	g_print ("backing file at least %.0f%% in the page cache before each round; "
		 "ratio = median / native's median\n\n",
		 b->min_warm * 100);

	g_print ("%-32s %-6s", "", "");
	for (BenchTarget t = 0; t < N_TARGETS; t++)
		g_print (" %9s", bench_target_name (t));
	g_print ("\n");
	for (Metric m = 0; m < METRIC_MAPS_DATA_1; m++) {
		g_print ("%-32s %-6s", metrics[m].label, shown_unit (metrics[m].unit));
		for (BenchTarget t = 0; t < N_TARGETS; t++) {
			format_cell (b, m, t, cell, sizeof cell);
			g_print (" %9s", cell);
		}
		g_print ("\n");
		if (!has_native (m))
			continue;
		g_print ("%-32s %-6s", "", "ratio");
		for (BenchTarget t = 0; t < N_TARGETS; t++) {
			double r = cell_ratio (b, m, t);

			if (isnan (r) || b->errors[m][t] != NULL)
				g_strlcpy (cell, "-", sizeof cell);
			else
				g_snprintf (cell, sizeof cell, "%.2f", r);
			g_print (" %9s", cell);
		}
		g_print ("\n");
	}

	g_print ("\nper-op cost, cache=auto, open + 4 KiB read + close (us/op)\n");
	g_print ("%-32s %10s %10s %8s\n", "", "1 mapping", "N mappings", "N / 1");
	for (Metric m = METRIC_MAPS_DATA_1; m < N_METRICS; m += 2) {
		char one[32], many[32], ratio[32] = "-";
		double r = maps_ratio (b, m, m + 1);

		format_cell (b, m, BENCH_TARGET_AUTO, one, sizeof one);
		format_cell (b, m + 1, BENCH_TARGET_AUTO, many, sizeof many);
		if (!isnan (r))
			g_snprintf (ratio, sizeof ratio, "%.2f", r);
		g_print ("%-32s %10s %10s %8s\n", m == METRIC_MAPS_DATA_1 ? "data" : "info", one,
			 many, ratio);
	}
	g_print ("(N = %u; N / 1 is the median over back-to-back pairs of slices)\n", b->mappings);

	for (BenchTarget t = 0; t < N_TARGETS; t++)
		if (b->skip[t] != NULL)
			g_print ("\n%s: not measured: %s", bench_target_name (t), b->skip[t]);
	if (b->maps_skip != NULL)
		g_print ("\n1 vs N mappings: not measured: %s", b->maps_skip);
	for (Metric m = 0; m < N_METRICS; m++)
		for (BenchTarget t = 0; t < N_TARGETS; t++)
			if (b->errors[m][t] != NULL)
				g_print ("\n%s, %s: %s", metrics[m].key, bench_target_name (t),
					 b->errors[m][t]);
	g_print ("\n");
}

static void
json_add_number (JsonBuilder *jb, const char *name, double v)
{
	json_builder_set_member_name (jb, name);
	if (isnan (v) || isinf (v))
		json_builder_add_null_value (jb);
	else
		json_builder_add_double_value (jb, v);
}

static void
json_add_string (JsonBuilder *jb, const char *name, const char *value)
{
	json_builder_set_member_name (jb, name);
	if (value == NULL)
		json_builder_add_null_value (jb);
	else
		json_builder_add_string_value (jb, value);
}

void
bench_print_json (Bench *b, const char *daemon)
{
	g_autoptr (JsonBuilder) jb = json_builder_new ();
	g_autoptr (JsonGenerator) gen = json_generator_new ();
	g_autoptr (JsonNode) root = NULL;
	g_autofree char *text = NULL;
	struct utsname un;

	uname (&un);
	json_builder_begin_object (jb);
	json_add_string (jb, "tool", "mmapfs-bench");
	json_add_string (jb, "version", MMAPFS_VERSION);

	json_builder_set_member_name (jb, "config");
	json_builder_begin_object (jb);
	json_builder_set_member_name (jb, "size");
	json_builder_add_int_value (jb, b->size);
	json_builder_set_member_name (jb, "rounds");
	json_builder_add_int_value (jb, b->rounds);
	json_builder_set_member_name (jb, "block_size");
	json_builder_add_int_value (jb, BENCH_BLOCK);
	json_builder_set_member_name (jb, "random_size");
	json_builder_add_int_value (jb, BENCH_PAGE);
	json_builder_set_member_name (jb, "mappings");
	json_builder_add_int_value (jb, b->mappings);
	json_add_number (jb, "random_seconds", b->rand_seconds);
	json_add_number (jb, "control_seconds", b->ctl_seconds);
	json_builder_set_member_name (jb, "quick");
	json_builder_add_boolean_value (jb, b->quick);
	json_add_string (jb, "fstype", b->fstype);
	json_add_string (jb, "mmapfs", daemon);
	json_builder_end_object (jb);

	json_builder_set_member_name (jb, "machine");
	json_builder_begin_object (jb);
	json_builder_set_member_name (jb, "cpus");
	json_builder_add_int_value (jb, g_get_num_processors ());
	json_add_string (jb, "kernel", un.release);
	json_add_number (jb, "backing_min_resident", b->min_warm);
	json_add_string (jb, "loadavg_start", b->load_start);
	json_add_string (jb, "loadavg_end", b->load_end);
	json_builder_end_object (jb);

	json_builder_set_member_name (jb, "targets");
	json_builder_begin_object (jb);
	for (BenchTarget t = 0; t < N_TARGETS; t++) {
		json_builder_set_member_name (jb, bench_target_name (t));
		json_builder_begin_object (jb);
		json_builder_set_member_name (jb, "available");
		json_builder_add_boolean_value (jb, bench_target_available (b, t));
		json_add_string (jb, "reason", b->skip[t]);
		json_builder_end_object (jb);
	}
	json_builder_end_object (jb);

	json_builder_set_member_name (jb, "results");
	json_builder_begin_array (jb);
	for (Metric m = 0; m < N_METRICS; m++) {
		for (BenchTarget t = 0; t < N_TARGETS; t++) {
			GArray *s = b->samples[m][t];

			if (s == NULL && b->errors[m][t] == NULL)
				continue;
			json_builder_begin_object (jb);
			json_add_string (jb, "metric", metrics[m].key);
			json_add_string (jb, "target", bench_target_name (t));
			json_add_string (jb, "unit", unit_names[metrics[m].unit]);
			json_builder_set_member_name (jb, "samples");
			json_builder_begin_array (jb);
			for (guint i = 0; s != NULL && i < s->len; i++)
				json_builder_add_double_value (jb, g_array_index (s, double, i));
			json_builder_end_array (jb);
			json_add_number (jb, "median", cell_median (b, m, t));
			json_add_number (jb, "ratio", has_native (m) ? cell_ratio (b, m, t) : NAN);
			json_add_string (jb, "error", b->errors[m][t]);
			json_builder_end_object (jb);
		}
	}
	json_builder_end_array (jb);

	json_builder_set_member_name (jb, "mappings_pair_ratios");
	json_builder_begin_object (jb);
	for (guint i = 0; i < G_N_ELEMENTS (b->maps_pairs); i++) {
		GArray *s = b->maps_pairs[i];

		json_builder_set_member_name (jb, i == 0 ? "data" : "info");
		json_builder_begin_array (jb);
		for (guint k = 0; s != NULL && k < s->len; k++)
			json_builder_add_double_value (jb, g_array_index (s, double, k));
		json_builder_end_array (jb);
	}
	json_builder_end_object (jb);
	json_add_string (jb, "mappings_error", b->maps_skip);
	json_builder_end_object (jb);

	root = json_builder_get_root (jb);
	json_generator_set_root (gen, root);
	json_generator_set_pretty (gen, TRUE);
	json_generator_set_indent (gen, 2);
	text = json_generator_to_data (gen, NULL);
	g_print ("%s\n", text);
}
