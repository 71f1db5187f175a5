/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The C half of the differential test: it executes an operation script
 * through libmmapfs so that test_differential.py can run the very same
 * script through Python's mmap and compare the two, line by line.
 *
 * The script (a file named on the command line, or stdin) holds one
 * operation per line: a name and blank-separated arguments. Integers are
 * decimal, "-" stands for an omitted optional argument (MMAPFS_UNSET),
 * and byte strings (data, needles, paths) are "x:" followed by hex. For
 * each line the driver prints one result line:
 *
 *	ok VALUE @POS		VALUE: a decimal integer, b:HEX bytes,
 *				true/false, or none
 *	err ERRNAME @POS	the errno name of the GError's code
 *
 * where POS is the position afterwards (mmapfs_region_tell()), or the
 * errno name with which tell failed. The driver also checks the GError
 * contract on every call: a failure must set an error in MMAPFS_ERROR
 * with a sentence, and a success must leave it unset; a breach is printed
 * as an error name of its own (NOERROR, SPURIOUS, FOREIGN, NOMESSAGE), so
 * it always shows up as a mismatch.
 *
 * One region is current at a time: `open` and `anon` replace it (the old
 * one is dropped by unref alone, which must unmap it); `tryopen` and
 * `tryanon` map and drop at once, for the error cases of creation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mmapfs/mmapfs.h>

typedef struct {
	MmapfsRegion *region; /* the current region, or NULL before the first open */
	guint line;	      /* script line being run, for messages */
} Driver;

/* A script line the driver cannot read is a bug in the harness: stop. */
static G_NORETURN void
die (Driver *d, const char *what)
{
	fprintf (stderr, "diff-driver: script line %u: %s\n", d->line, what);
	exit (2);
}

static gint64
arg_int (Driver *d, const char *text)
{
	gint64 value;
	g_autoptr (GError) error = NULL;

	if (strcmp (text, "-") == 0)
		return MMAPFS_UNSET;
	if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &value, &error))
		die (d, "bad integer");
	return value;
}

static GBytes *
arg_bytes (Driver *d, const char *text)
{
	gsize len = strlen (text);
	g_autofree guint8 *buf = NULL;

	if (len < 2 || text[0] != 'x' || text[1] != ':' || len % 2 != 0)
		die (d, "bad byte string");
	buf = g_malloc ((len - 2) / 2 + 1);
	for (gsize i = 2; i < len; i += 2) {
		int hi = g_ascii_xdigit_value (text[i]);
		int lo = g_ascii_xdigit_value (text[i + 1]);

		if (hi < 0 || lo < 0)
			die (d, "bad hex digit");
		buf[(i - 2) / 2] = (guint8)(hi << 4 | lo);
	}
	return g_bytes_new_take (g_steal_pointer (&buf), (len - 2) / 2);
}

/* The path argument as a NUL-terminated string. */
static char *
arg_path (Driver *d, const char *text)
{
	g_autoptr (GBytes) bytes = arg_bytes (d, text);
	gsize len;
	const char *data = g_bytes_get_data (bytes, &len);

	return g_strndup (data, len);
}

static void
append_hex (GString *out, const guint8 *data, gsize len)
{
	g_string_append (out, "b:");
	for (gsize i = 0; i < len; i++)
		g_string_append_printf (out, "%02x", data[i]);
}

/* MmapfsRegionBytesFunc for `dump`: hex after a "b:" already written. */
static void
append_hex_cb (const guint8 *bytes, gsize count, gpointer user_data)
{
	GString *out = user_data;

	for (gsize i = 0; i < count; i++)
		g_string_append_printf (out, "%02x", bytes[i]);
}

static void
append_gbytes (GString *out, GBytes *bytes)
{
	gsize len;
	const guint8 *data = g_bytes_get_data (bytes, &len);

	append_hex (out, data, len);
}

static MmapfsAccess
arg_access (Driver *d, const char *text)
{
	MmapfsAccess access;

	if (!mmapfs_access_from_string (text, &access, NULL))
		die (d, "bad access mode");
	return access;
}

/* Maps a file as `open`/`tryopen` ask: PATH ACCESS OFFSET LENGTH path|fd|fdro. */
static MmapfsRegion *
open_region (Driver *d, char **argv, GError **error)
{
	g_autofree char *path = arg_path (d, argv[0]);
	MmapfsAccess access = arg_access (d, argv[1]);
	gint64 offset = arg_int (d, argv[2]);
	gint64 length = arg_int (d, argv[3]);
	MmapfsRegion *region;
	int flags, fd;

	if (strcmp (argv[4], "path") == 0)
		return mmapfs_region_new_from_path (path, access, offset, length, error);
	if (strcmp (argv[4], "fd") != 0 && strcmp (argv[4], "fdro") != 0)
		die (d, "open: expected path, fd or fdro");

	/* As a Python caller would: open the file for what the access needs (fd), or read-only. */
	flags = (access == MMAPFS_ACCESS_READ || access == MMAPFS_ACCESS_COPY) ? O_RDONLY : O_RDWR;
	if (strcmp (argv[4], "fdro") == 0)
		flags = O_RDONLY;
	fd = open (path, flags | O_CLOEXEC);
	if (fd < 0) {
		/* Not the library's error, but the harness compares it like Python's os.open. */
		g_set_error_literal (error, MMAPFS_ERROR, errno, "open failed in the driver");
		return NULL;
	}
	region = mmapfs_region_new_from_fd (fd, access, offset, length, error);
	/* The region keeps its own duplicate, as Python's mmap does: prove it. */
	close (fd);
	return region;
}

static void
need (Driver *d, guint argc, guint min, guint max)
{
	if (argc < min || argc > max)
		die (d, "wrong number of arguments");
}

static int
advice_from_name (Driver *d, const char *name)
{
	static const struct {
		const char *name;
		int advice;
	} table[] = {
		{ "normal", MADV_NORMAL },	   { "random", MADV_RANDOM },
		{ "sequential", MADV_SEQUENTIAL }, { "willneed", MADV_WILLNEED },
		{ "dontneed", MADV_DONTNEED },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (table); i++) {
		if (strcmp (name, table[i].name) == 0)
			return table[i].advice;
	}
	die (d, "unknown advice");
}

/*
 * Runs one operation. Returns whether it succeeded; on success the value
 * is appended to @value. Handlers return the library's own verdict, so
 * that run_line() can check it against @error.
 */
static gboolean
run_op (Driver *d, const char *op, char **argv, guint argc, GString *value, GError **error)
{
	MmapfsRegion *r = d->region;

#define NEED(min, max) need (d, argc, min, max)
#define ARG(i)	       (argc > (i) ? arg_int (d, argv[i]) : MMAPFS_UNSET)

	if (strcmp (op, "open") == 0 || strcmp (op, "anon") == 0) {
		MmapfsRegion *fresh;

		if (op[0] == 'o') {
			NEED (5, 5);
			fresh = open_region (d, argv, error);
		} else {
			NEED (1, 1);
			fresh = mmapfs_region_new_anonymous (arg_int (d, argv[0]), error);
		}
		g_clear_pointer (&d->region, mmapfs_region_unref);
		d->region = fresh;
		g_string_append (value, "none");
		return fresh != NULL;
	}
	if (strcmp (op, "tryopen") == 0 || strcmp (op, "tryanon") == 0) {
		g_autoptr (MmapfsRegion) fresh = NULL;

		if (op[3] == 'o') {
			NEED (5, 5);
			fresh = open_region (d, argv, error);
		} else {
			NEED (1, 1);
			fresh = mmapfs_region_new_anonymous (arg_int (d, argv[0]), error);
		}
		if (fresh != NULL)
			g_string_append_printf (value, "%" G_GSSIZE_FORMAT,
						mmapfs_region_len (fresh, NULL));
		return fresh != NULL;
	}

	if (r == NULL)
		die (d, "no region is open");

	if (strcmp (op, "close") == 0) {
		NEED (0, 0);
		g_string_append (value, "none");
		return mmapfs_region_close (r, error);
	}
	if (strcmp (op, "closed") == 0) {
		NEED (0, 0);
		g_string_append (value, mmapfs_region_closed (r) ? "true" : "false");
		return TRUE;
	}
	if (strcmp (op, "len") == 0 || strcmp (op, "tell") == 0) {
		gssize n;

		NEED (0, 0);
		n = op[0] == 'l' ? mmapfs_region_len (r, error) : mmapfs_region_tell (r, error);
		g_string_append_printf (value, "%" G_GSSIZE_FORMAT, n);
		return n >= 0;
	}
	if (strcmp (op, "size") == 0) {
		gint64 n;

		NEED (0, 0);
		n = mmapfs_region_file_size (r, error);
		g_string_append_printf (value, "%" G_GINT64_FORMAT, n);
		return n >= 0;
	}
	if (strcmp (op, "read") == 0 || strcmp (op, "readline") == 0 ||
	    strcmp (op, "getslice") == 0) {
		g_autoptr (GBytes) bytes = NULL;

		if (op[0] == 'g') {
			NEED (2, 2);
			bytes = mmapfs_region_get_slice (r, ARG (0), ARG (1), error);
		} else if (strcmp (op, "read") == 0) {
			NEED (0, 1);
			bytes = mmapfs_region_read (r, ARG (0), error);
		} else {
			NEED (0, 0);
			bytes = mmapfs_region_readline (r, error);
		}
		if (bytes != NULL)
			append_gbytes (value, bytes);
		return bytes != NULL;
	}
	if (strcmp (op, "read_byte") == 0 || strcmp (op, "getitem") == 0) {
		gint byte;

		NEED (op[0] == 'g', op[0] == 'g');
		byte = op[0] == 'g' ? mmapfs_region_get_item (r, ARG (0), error)
				    : mmapfs_region_read_byte (r, error);
		if (byte > 255)
			die (d, "a byte above 255");
		g_string_append_printf (value, "%d", byte);
		return byte >= 0;
	}
	if (strcmp (op, "write") == 0) {
		g_autoptr (GBytes) data = NULL;
		gsize len;
		const void *buf;
		gssize n;

		NEED (1, 1);
		data = arg_bytes (d, argv[0]);
		buf = g_bytes_get_data (data, &len);
		n = mmapfs_region_write (r, buf, len, error);
		g_string_append_printf (value, "%" G_GSSIZE_FORMAT, n);
		return n >= 0;
	}
	if (strcmp (op, "write_byte") == 0) {
		NEED (1, 1);
		g_string_append (value, "none");
		return mmapfs_region_write_byte (r, (guint8)ARG (0), error);
	}
	if (strcmp (op, "seek") == 0) {
		gint64 whence;

		NEED (1, 2);
		whence = ARG (1);
		if (whence == MMAPFS_UNSET)
			whence = SEEK_SET; /* Python's default */
		g_string_append (value, "none");
		return mmapfs_region_seek (r, ARG (0), (int)whence, error);
	}
	if (strcmp (op, "find") == 0 || strcmp (op, "rfind") == 0) {
		g_autoptr (GBytes) needle = NULL;
		gssize index = G_MINSSIZE;
		const void *buf;
		gsize len;
		gboolean ok;

		NEED (1, 3);
		needle = arg_bytes (d, argv[0]);
		buf = g_bytes_get_data (needle, &len);
		if (op[0] == 'f')
			ok = mmapfs_region_find (r, buf, len, ARG (1), ARG (2), &index, error);
		else
			ok = mmapfs_region_rfind (r, buf, len, ARG (1), ARG (2), &index, error);
		if (ok && index < -1)
			die (d, "find succeeded without an index");
		g_string_append_printf (value, "%" G_GSSIZE_FORMAT, index);
		return ok;
	}
	if (strcmp (op, "setitem") == 0) {
		NEED (2, 2);
		g_string_append (value, "none");
		return mmapfs_region_set_item (r, ARG (0), (guint8)ARG (1), error);
	}
	if (strcmp (op, "setslice") == 0) {
		g_autoptr (GBytes) data = NULL;
		const void *buf;
		gsize len;

		NEED (3, 3);
		data = arg_bytes (d, argv[2]);
		buf = g_bytes_get_data (data, &len);
		g_string_append (value, "none");
		return mmapfs_region_set_slice (r, ARG (0), ARG (1), buf, len, error);
	}
	if (strcmp (op, "move") == 0) {
		NEED (3, 3);
		g_string_append (value, "none");
		/* Negative Python arguments arrive as huge unsigned values. */
		return mmapfs_region_move (r, (guint64)ARG (0), (guint64)ARG (1), (guint64)ARG (2),
					   error);
	}
	if (strcmp (op, "resize") == 0) {
		NEED (1, 1);
		g_string_append (value, "none");
		return mmapfs_region_resize (r, (guint64)ARG (0), error);
	}
	if (strcmp (op, "flush") == 0) {
		NEED (0, 2);
		g_string_append (value, "none");
		return mmapfs_region_flush (r, ARG (0), ARG (1), MMAPFS_FLUSH_SYNC, error);
	}
	if (strcmp (op, "madvise") == 0) {
		NEED (1, 3);
		g_string_append (value, "none");
		return mmapfs_region_madvise (r, advice_from_name (d, argv[0]), ARG (1), ARG (2),
					      error);
	}
	if (strcmp (op, "dump") == 0) {
		gssize len;

		NEED (0, 0);
		/* The whole region, through the positionless path the daemon uses. */
		len = mmapfs_region_len (r, error);
		if (len < 0)
			return FALSE;
		g_string_append (value, "b:");
		return mmapfs_region_read_at (r, 0, len, append_hex_cb, value, error) == len;
	}
	die (d, "unknown operation");
#undef NEED
#undef ARG
}

/* Checks the GError contract and prints the result line of one operation. */
static void
run_line (Driver *d, char *line)
{
	g_auto (GStrv) words = NULL;
	g_autoptr (GString) value = g_string_new (NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (GError) tell_error = NULL;
	gboolean ok;
	guint argc;

	g_strstrip (line);
	words = g_strsplit_set (line, " \t", -1);
	argc = g_strv_length (words);
	if (argc == 0 || words[0][0] == '\0')
		die (d, "empty line");

	ok = run_op (d, words[0], words + 1, argc - 1, value, &error);
	if (ok && error != NULL)
		printf ("err SPURIOUS");
	else if (ok)
		printf ("ok %s", value->str);
	else if (error == NULL)
		printf ("err NOERROR");
	else if (error->domain != MMAPFS_ERROR)
		printf ("err FOREIGN");
	else if (error->message == NULL || error->message[0] == '\0')
		printf ("err NOMESSAGE");
	else
		printf ("err %s", mmapfs_errno_name (error->code));

	if (d->region == NULL) {
		printf (" @none\n");
	} else {
		gssize pos = mmapfs_region_tell (d->region, &tell_error);

		if (pos >= 0)
			printf (" @%" G_GSSIZE_FORMAT "\n", pos);
		else if (tell_error != NULL && tell_error->domain == MMAPFS_ERROR)
			printf (" @%s\n", mmapfs_errno_name (tell_error->code));
		else
			printf (" @NOERROR\n");
	}
}

int
main (int argc, char **argv)
{
	Driver d = { NULL, 0 };
	FILE *in = stdin;
	char *line = NULL;
	size_t cap = 0;

	if (argc > 2) {
		fprintf (stderr, "usage: %s [SCRIPT]\n", argv[0]);
		return 2;
	}
	if (argc == 2 && strcmp (argv[1], "-") != 0) {
		in = fopen (argv[1], "re");
		if (in == NULL) {
			perror (argv[1]);
			return 2;
		}
	}
	/* Line-buffered, so a crash still leaves every finished result behind. */
	setvbuf (stdout, NULL, _IOLBF, 0);

	while (getline (&line, &cap, in) >= 0) {
		d.line++;
		run_line (&d, line);
	}
	free (line);
	g_clear_pointer (&d.region, mmapfs_region_unref);
	if (in != stdin)
		fclose (in);
	return 0;
}
