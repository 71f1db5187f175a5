/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the files of mmapfs-bench share: the targets and metrics it
 * measures, the run's options and state, the temporary tree and the
 * daemons it mounts (mmapfs-bench-mount.c), and the workloads that time
 * one target once (mmapfs-bench-work.c). mmapfs-bench.c runs the rounds;
 * mmapfs-bench-report.c prints the table and the JSON.
 *
 * Every number is a ratio to native file I/O on the same backing file in
 * the same run, so the workloads are built to be comparable: the same
 * block size, the same file, the backing page cache kept warm, and the
 * FUSE side's cache dropped where a workload says "cold".
 */
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <mmapfs/mmapfs.h>

G_BEGIN_DECLS

/* Size of each read(2)/write(2) of the sequential workloads. */
#define BENCH_BLOCK (1024 * 1024)
/* Size of each pread(2) of the random workloads. */
#define BENCH_PAGE 4096
/* Size of the small mapping the control nodes work on. */
#define BENCH_SMALL_SIZE 65536

typedef enum {
	BENCH_TARGET_NATIVE,
	BENCH_TARGET_MEMCPY,
	BENCH_TARGET_PYTHON,
	BENCH_TARGET_AUTO,
	BENCH_TARGET_NEVER,
	BENCH_TARGET_ALWAYS,
	N_TARGETS
} BenchTarget;

#define BENCH_TARGET_IS_MMAPFS(t) ((t) >= BENCH_TARGET_AUTO)

typedef enum {
	METRIC_SEQ_READ_COLD,
	METRIC_SEQ_READ_WARM,
	METRIC_SEQ_WRITE,
	METRIC_RAND_1,
	METRIC_RAND_2,
	METRIC_CPU_READ,
	METRIC_CTL_ADVISE,
	METRIC_CTL_FLUSH,
	METRIC_CTL_SIZE,
	METRIC_CTL_INFO,
	METRIC_MAPS_DATA_1,
	METRIC_MAPS_DATA_N,
	METRIC_MAPS_INFO_1,
	METRIC_MAPS_INFO_N,
	N_METRICS
} Metric;

typedef enum {
	UNIT_BYTES_PER_S,
	UNIT_OPS_PER_S,
	UNIT_MS_PER_GIB,
	UNIT_US_PER_OP,
} Unit;

/* One mmapfs daemon and its mountpoint. */
typedef struct {
	char *label; /* "auto", "never", "always", "maps-1", ... */
	char *mountpoint;
	char *log_path;	  /* the daemon's stdout and stderr */
	pid_t pid;	  /* 0 once reaped */
	int status;	  /* wait status, once reaped */
	gboolean mounted; /* until unmounted */
	gboolean told;	  /* its exit has been reported with its log once */
} BenchMount;

typedef struct {
	/* Options */
	guint64 size;
	guint rounds;
	char *dir;
	char *mmapfs;
	char *python;
	char *python_script;
	guint mappings;
	gboolean json;
	gboolean quick;
	double rand_seconds; /* cap on each random-read run */
	double ctl_seconds;  /* length of each control-node loop */

	/* The temporary tree: all of it under workdir, removed at the end */
	char *workdir;
	char *backing;
	char *small;
	char *fstype;
	int backing_fd;	     /* kept open for fdatasync and residency checks */
	guint8 *backing_map; /* MAP_SHARED, read-only: memcpy and mincore */
	double min_warm;     /* lowest backing-file residency seen before a round */
	char *load_start;    /* /proc/loadavg before and after the rounds: other */
	char *load_end;	     /* work on the machine shows in every number */

	/* Buffers and the random order of pages (one pass, as fio's random map) */
	guint8 *buf;
	guint8 *wbuf;
	guint32 *perm;
	gsize pages;

	/* Targets: a reason when absent, the mount when an mmapfs mode */
	char *skip[N_TARGETS];
	BenchMount *mounts[N_TARGETS];
	BenchMount *maps_one;
	BenchMount *maps_many;
	char *maps_skip;

	/*
	 * N / 1 per-op cost ratios of back-to-back slices (data, info): each
	 * pair ran within milliseconds, so load from elsewhere cancels out.
	 */
	GArray *maps_pairs[2];

	/* Results: doubles per round, and the first error of each cell */
	GArray *samples[N_METRICS][N_TARGETS];
	char *errors[N_METRICS][N_TARGETS];
} Bench;

/* mmapfs-bench.c */
const char *bench_target_name (BenchTarget target);
gboolean bench_target_available (Bench *b, BenchTarget t);

/* mmapfs-bench-report.c: the table and the JSON */
void bench_print_table (Bench *b, const char *daemon);
void bench_print_json (Bench *b, const char *daemon);

/* mmapfs-bench-mount.c: signals, the temporary tree, daemons, /proc */
extern volatile sig_atomic_t bench_stop;
void bench_install_signals (void);
gboolean bench_check_stop (GError **error);
gboolean bench_prepare_dir (Bench *b, GError **error);
gboolean bench_make_files (Bench *b, GError **error);
gboolean bench_warm_backing (Bench *b, double *out_resident, GError **error);
void bench_remove_files (Bench *b);
BenchMount *bench_mount_start (const char *daemon, const char *workdir, const char *label,
			       const char *const *args, GError **error);
gboolean bench_mount_alive (BenchMount *mount, GError **error);
gboolean bench_mount_control (BenchMount *mount, const char *text, gsize len, GError **error);
char *bench_mount_path (BenchMount *mount, const char *node);
void bench_mount_stop (BenchMount *mount);
void bench_mounts_stop_all (void);
gboolean proc_cpu_ns (pid_t pid, guint64 *out_ns, GError **error);
guint64 thread_cpu_ns (void);
double now_seconds (void);

/* mmapfs-bench-work.c: one timed run of one workload on one target */
gboolean work_seq_read (Bench *b, const char *path, pid_t daemon, gboolean warm, double *out_bps,
			double *out_cpu_ms_gib, GError **error);
gboolean work_memcpy (Bench *b, double *out_bps, double *out_cpu_ms_gib, GError **error);
gboolean work_python (Bench *b, double *out_bps, GError **error);
gboolean work_seq_write (Bench *b, const char *path, double *out_bps, GError **error);
gboolean work_random (Bench *b, const char *path, guint jobs, double *out_iops, GError **error);
gboolean work_node_write (const char *path, const char *text, double seconds, double *out_ops,
			  GError **error);
gboolean work_node_read (const char *path, double seconds, double *out_ops, GError **error);
gboolean work_open_read (const char *path, double seconds, double *out_us_per_op, GError **error);
gboolean drop_cache (int fd, guint64 size, GError **error);

G_END_DECLS
