/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What mmapfs-bench prints once the rounds are over: the medians of each
 * cell with their ratios to native, as a table or as JSON with every
 * sample, and the goals of the performance issue.
 */
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
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

/* A goal of the issue, evaluated over the medians. */
typedef struct {
	char *text;
	char *detail;
	double value; /* NAN when it could not be measured */
	double threshold;
	gboolean at_most; /* value <= threshold, else value >= threshold */
	gboolean met;
} Goal;

static void
goal_free (Goal *goal)
{
	g_free (goal->text);
	g_free (goal->detail);
	g_free (goal);
}

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

static char *
mode_detail (Bench *b, Metric m, gboolean ratio, double *out_min, double *out_max)
{
	GString *s = g_string_new (NULL);

	*out_min = NAN;
	*out_max = NAN;
	for (BenchTarget t = BENCH_TARGET_AUTO; t <= BENCH_TARGET_ALWAYS; t++) {
		double v = ratio ? cell_ratio (b, m, t) : cell_median (b, m, t);
		char text[32];

		if (ratio)
			g_snprintf (text, sizeof text, "%.3f", v);
		else
			format_value (text, sizeof text, metrics[m].unit, v);
		g_string_append_printf (s, "%s%s %s", s->len ? ", " : "", bench_target_name (t),
					isnan (v) ? "n/a" : text);
		if (isnan (v))
			continue;
		*out_min = isnan (*out_min) ? v : MIN (*out_min, v);
		*out_max = isnan (*out_max) ? v : MAX (*out_max, v);
	}
	return g_string_free (s, FALSE);
}

static void
add_goal (GPtrArray *goals, char *text, char *detail, double value, double threshold,
	  gboolean at_most)
{
	Goal *goal = g_new0 (Goal, 1);

	goal->text = text;
	goal->detail = detail;
	goal->value = value;
	goal->threshold = threshold;
	goal->at_most = at_most;
	goal->met = !isnan (value) && (at_most ? value <= threshold : value >= threshold);
	g_ptr_array_add (goals, goal);
}

/* A goal over every mmapfs mode: the worst mode decides, unless @best. */
static void
add_mode_goal (Bench *b, GPtrArray *goals, const char *text, Metric m, gboolean ratio,
	       double threshold, gboolean at_most, gboolean best)
{
	double lo, hi;
	char *detail = mode_detail (b, m, ratio, &lo, &hi);
	double value = best == at_most ? lo : hi;

	/* A mode that could not be measured fails an every-mode goal. */
	if (!best && (strstr (detail, "n/a") != NULL))
		value = NAN;
	add_goal (goals, g_strdup (text), detail, value, threshold, at_most);
}

static void
add_single_goal (Bench *b, GPtrArray *goals, const char *text, Metric m, BenchTarget t,
		 double threshold)
{
	double v = cell_ratio (b, m, t);

	add_goal (goals, g_strdup (text), g_strdup_printf ("%s %.3f", bench_target_name (t), v), v,
		  threshold, FALSE);
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

static void
add_maps_goal (Bench *b, GPtrArray *goals, const char *node, Metric one, Metric many)
{
	double v1 = cell_median (b, one, BENCH_TARGET_AUTO);
	double vn = cell_median (b, many, BENCH_TARGET_AUTO);

	char t1[32], tn[32];

	format_value (t1, sizeof t1, UNIT_US_PER_OP, v1);
	format_value (tn, sizeof tn, UNIT_US_PER_OP, vn);
	add_goal (goals,
		  g_strdup_printf ("%s per-op cost, %u mappings / 1 mapping <= 1.15", node,
				   b->mappings),
		  g_strdup_printf ("1: %s us, %u: %s us (medians); paired slices: %.3f", t1,
				   b->mappings, tn, maps_ratio (b, one, many)),
		  maps_ratio (b, one, many), 1.15, TRUE);
}

/*
 * The goals of the performance issue. "Every mode" goals are decided by
 * the worst mode; the "in the best cache mode" one by the best.
 * "The same" per-op cost is read as within 15%, the spread of repeated
 * runs of these loops on an idle machine.
 */
GPtrArray *
bench_evaluate_goals (Bench *b)
{
	GPtrArray *goals = g_ptr_array_new_with_free_func ((GDestroyNotify)goal_free);
	static const struct {
		Metric metric;
		const char *text;
	} controls[] = {
		{ METRIC_CTL_ADVISE, "advise open-write-close >= 20000 op/s, every mode" },
		{ METRIC_CTL_FLUSH, "flush open-write-close >= 20000 op/s, every mode" },
		{ METRIC_CTL_SIZE, "size open-write-close >= 20000 op/s, every mode" },
		{ METRIC_CTL_INFO, "info open-read-close >= 20000 op/s, every mode" },
	};

	add_mode_goal (b, goals, "seq read, FUSE cache cold, best mode >= 0.55",
		       METRIC_SEQ_READ_COLD, TRUE, 0.55, FALSE, TRUE);
	add_mode_goal (b, goals, "seq read, FUSE cache cold, every mode >= 0.40",
		       METRIC_SEQ_READ_COLD, TRUE, 0.40, FALSE, FALSE);
	add_single_goal (b, goals, "seq read, kernel cache warm, cache=always >= 0.90",
			 METRIC_SEQ_READ_WARM, BENCH_TARGET_ALWAYS, 0.90);
	add_single_goal (b, goals, "seq read, warm within one open, cache=auto >= 0.90",
			 METRIC_SEQ_READ_WARM, BENCH_TARGET_AUTO, 0.90);
	add_mode_goal (b, goals, "seq write >= 0.50, every mode", METRIC_SEQ_WRITE, TRUE, 0.50,
		       FALSE, FALSE);
	add_mode_goal (b, goals, "4 KiB random pread, 1 job >= 0.11, every mode", METRIC_RAND_1,
		       TRUE, 0.11, FALSE, FALSE);
	add_mode_goal (b, goals, "4 KiB random pread, 2 jobs >= 0.11, every mode", METRIC_RAND_2,
		       TRUE, 0.11, FALSE, FALSE);
	add_mode_goal (b, goals, "CPU per GiB read (daemon + reader) <= 400 ms, every mode",
		       METRIC_CPU_READ, FALSE, 400, TRUE, FALSE);
	for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
		add_mode_goal (b, goals, controls[i].text, controls[i].metric, FALSE, 20000, FALSE,
			       FALSE);
	add_maps_goal (b, goals, "data", METRIC_MAPS_DATA_1, METRIC_MAPS_DATA_N);
	add_maps_goal (b, goals, "info", METRIC_MAPS_INFO_1, METRIC_MAPS_INFO_N);
	return goals;
}

static gboolean
has_native (Metric m)
{
	return m <= METRIC_CPU_READ;
}

void
bench_print_table (Bench *b, const char *daemon, GPtrArray *goals)
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

	g_print ("\ngoals\n");
	for (guint i = 0; i < goals->len; i++) {
		Goal *goal = goals->pdata[i];

		g_print ("  [%s] %s\n         %s\n", goal->met ? " met  " : "NOT MET", goal->text,
			 goal->detail);
	}

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
bench_print_json (Bench *b, const char *daemon, GPtrArray *goals)
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

	json_builder_set_member_name (jb, "goals");
	json_builder_begin_array (jb);
	for (guint i = 0; i < goals->len; i++) {
		Goal *goal = goals->pdata[i];

		json_builder_begin_object (jb);
		json_add_string (jb, "goal", goal->text);
		json_add_number (jb, "value", goal->value);
		json_add_number (jb, "threshold", goal->threshold);
		json_add_string (jb, "comparison", goal->at_most ? "<=" : ">=");
		json_builder_set_member_name (jb, "met");
		json_builder_add_boolean_value (jb, goal->met);
		json_add_string (jb, "detail", goal->detail);
		json_builder_end_object (jb);
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
