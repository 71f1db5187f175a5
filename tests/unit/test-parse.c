/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the text parsers (lib/parse.c): numbers, names, escaped
 * paths, `.control` lines and their canonical form, the --map/--anon
 * option values and the node lines. Tables of good and bad inputs check
 * each rule of DESIGN §2.1 and §2.4 and each errno; round trips check
 * that every byte survives escaping and every command survives
 * format-then-parse. Inputs go in as buffers with explicit lengths, NUL
 * bytes included, as a write(2) delivers them.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <mmapfs/mmapfs.h>

#include "test-util.h"

/* A buffer with an explicit length, so tables can hold NUL bytes. */
typedef struct {
	const char *text;
	gsize len;
} Buf;

#define S(s) { s, sizeof (s) - 1 }

/* Numbers --------------------------------------------------------------- */

typedef struct {
	const char *text;
	guint64 value;
} NumberCase;

static void
check_numbers (const NumberCase *cases, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GError) error = NULL;
		guint64 value = 0xdeadbeef;

		g_test_message ("number %s", cases[i].text);
		g_assert_true (mmapfs_parse_number (cases[i].text, strlen (cases[i].text), &value,
						    &error));
		g_assert_no_error (error);
		g_assert_cmpuint (value, ==, cases[i].value);
	}
}

#define CHECK_NUMBERS(table) check_numbers ((table), G_N_ELEMENTS (table))

static void
test_number_decimal (void)
{
	static const NumberCase cases[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "010", 10 },
		{ "0000", 0 },
		{ "4096", 4096 },
		{ "18446744073709551615", G_MAXUINT64 },
		{ "000000000000000000000000018446744073709551615", G_MAXUINT64 },
		{ "00000000000000000000000000000001", 1 },
	};

	CHECK_NUMBERS (cases);
}

static void
test_number_hex (void)
{
	static const NumberCase cases[] = {
		{ "0x0", 0 },
		{ "0X0", 0 },
		{ "0x10", 16 },
		{ "0X1f", 31 },
		{ "0x1F", 31 },
		{ "0xabcdef", 0xabcdef },
		{ "0xABCDEF", 0xabcdef },
		{ "0x1b", 27 },
		{ "0xFFFFFFFFFFFFFFFF", G_MAXUINT64 },
		{ "0x0000000000000000000000000001", 1 },
		{ "0x000000000000000000FFFFFFFFFFFFFFFF", G_MAXUINT64 },
		{ "0x8000000000000000", G_GUINT64_CONSTANT (0x8000000000000000) },
	};

	CHECK_NUMBERS (cases);
}

static void
test_number_suffix (void)
{
	static const NumberCase cases[] = {
		{ "8k", 8192 },
		{ "8K", 8192 },
		{ "1kib", 1024 },
		{ "1KiB", 1024 },
		{ "1KIB", 1024 },
		{ "1kIb", 1024 },
		{ "0K", 0 },
		{ "2m", 2 << 20 },
		{ "2M", 2 << 20 },
		{ "2MiB", 2 << 20 },
		{ "2mib", 2 << 20 },
		{ "3g", G_GUINT64_CONSTANT (3) << 30 },
		{ "1GiB", G_GUINT64_CONSTANT (1) << 30 },
		{ "1t", G_GUINT64_CONSTANT (1) << 40 },
		{ "1TiB", G_GUINT64_CONSTANT (1) << 40 },
		{ "010k", 10240 },
		/* The largest multiples that still fit in 64 bits. */
		{ "16777215T", G_GUINT64_CONSTANT (16777215) << 40 },
		{ "17179869183G", G_GUINT64_CONSTANT (17179869183) << 30 },
		{ "18014398509481983K", G_GUINT64_CONSTANT (18014398509481983) << 10 },
	};

	CHECK_NUMBERS (cases);
}

static void
test_number_not_terminated (void)
{
	g_autoptr(GError) error = NULL;
	guint64 value = 0;

	g_assert_true (mmapfs_parse_number ("123456", 3, &value, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (value, ==, 123);
	g_assert_true (mmapfs_parse_number ("8kXX", 2, &value, &error));
	g_assert_cmpuint (value, ==, 8192);
	g_assert_true (mmapfs_parse_number ("0x10zz", 4, &value, &error));
	g_assert_cmpuint (value, ==, 16);
}

static void
test_number_invalid (void)
{
	static const Buf bad[] = {
		S (""),	      S ("8KB"),    S ("8kb"),	   S ("8Kb"),	    S ("8MB"),
		S ("8GB"),    S ("8TB"),    S ("8Ki"),	   S ("8ki"),	    S ("8Mi"),
		S ("8k i"),   S ("8 K"),    S (" 8"),	   S ("8 "),	    S ("\t8"),
		S ("8\n"),    S ("+1"),	    S ("-1"),	   S ("-0"),	    S ("+0x1"),
		S ("0x"),     S ("0X"),	    S ("0x10K"),   S ("0x1M"),	    S ("0x1kib"),
		S ("0x1G"),   S ("0xg"),    S ("0xK"),	   S ("0x 1"),	    S ("0x-1"),
		S ("0x1.0"),  S ("abc"),    S ("K"),	   S ("KiB"),	    S ("1.5"),
		S ("1.5M"),   S ("1e3"),    S ("8B"),	   S ("8b"),	    S ("8KiBB"),
		S ("8kk"),    S ("8k8"),    S ("8P"),	   S ("8E"),	    S ("8PiB"),
		S ("8\0"),    S ("\0"),	    S ("\0" "8"),  S ("0b101"),	    S ("0o7"),
		S ("1_000"),  S ("1,000"),  S ("\xd9\xa1"), S ("00x10"),    S ("x10"),
		S ("0xx10"),  S ("8KiB "),  S ("1\r"),	   S ("inf"),	    S ("nan"),
		S ("99999999999999999999999KB"),	   S ("0x1FFFFFFFFFFFFFFFFFk"),
	};

	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		guint64 value = 77;

		g_test_message ("bad number #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_parse_number (bad[i].text, bad[i].len, &value, &error));
		g_assert_cmpuint (value, ==, 77);
		assert_errno (error, EINVAL);
	}
}

static void
test_number_overflow (void)
{
	static const char *const big[] = {
		"18446744073709551616",
		"18446744073709551620",
		"99999999999999999999999999",
		"0x10000000000000000",
		"0x1FFFFFFFFFFFFFFFF",
		"0X00010000000000000000",
		"16777216T",
		"16777216TiB",
		"17179869184G",
		"18014398509481984K",
		"18014398509481984kib",
		"18446744073709551615K",
		"1000000000000000000000000000000000000000000000000000M",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (big); i++) {
		g_autoptr(GError) error = NULL;
		guint64 value = 77;

		g_test_message ("overflowing number %s", big[i]);
		g_assert_false (mmapfs_parse_number (big[i], strlen (big[i]), &value, &error));
		g_assert_cmpuint (value, ==, 77);
		g_assert_error (error, MMAPFS_ERROR, EOVERFLOW);
		g_assert_nonnull (strstr (error->message, "64 bits"));
		assert_errno (error, EOVERFLOW);
	}
}

static void
test_number_message (void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *long_text = NULL;
	g_autofree char *expected_prefix = NULL;
	guint64 value;

	g_assert_false (mmapfs_parse_number ("8KB", 3, &value, &error));
	g_assert_error (error, MMAPFS_ERROR, EINVAL);
	g_assert_cmpstr (error->message, ==,
			 "\"8KB\" is not a number: use a binary suffix such as K, M, KiB or MiB");
	g_clear_error (&error);

	g_assert_false (mmapfs_parse_number ("0x10K", 5, &value, &error));
	g_assert_nonnull (strstr (error->message, "\"0x10K\""));
	g_assert_nonnull (strstr (error->message, "hexadecimal"));
	g_clear_error (&error);

	g_assert_false (mmapfs_parse_number ("-5", 2, &value, &error));
	g_assert_nonnull (strstr (error->message, "sign"));
	g_clear_error (&error);

	/* Non-printable bytes are escaped, quotes and backslashes too. */
	g_assert_false (mmapfs_parse_number ("\x01\"\\\xff", 4, &value, &error));
	g_assert_true (g_str_has_prefix (error->message, "\"\\001\\\"\\\\\\377\" is not"));
	g_clear_error (&error);

	/* Long input is cut after 64 bytes. */
	long_text = g_strnfill (200, '7');
	long_text[199] = 'x';
	g_assert_false (mmapfs_parse_number (long_text, 200, &value, &error));
	g_assert_error (error, MMAPFS_ERROR, EINVAL);
	expected_prefix = g_strdup_printf ("\"%.64s\"... is not a number", long_text);
	g_assert_true (g_str_has_prefix (error->message, expected_prefix));
	g_assert_cmpuint (strlen (error->message), <, 200);
}

/* Names ----------------------------------------------------------------- */

static void
test_name_valid (void)
{
	static const char *const good[] = {
		"a", "Z", "0", "-", "_", "a.b", "x.", "a..b", "A-Z_a.z-09", "data", "a.",
		"_.-", "control", "CON",
	};
	g_autofree char *longest = g_strnfill (MMAPFS_NAME_MAX, 'n');

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;

		g_test_message ("good name %s", good[i]);
		g_assert_true (mmapfs_name_validate (good[i], strlen (good[i]), &error));
		g_assert_no_error (error);
	}
	g_assert_true (mmapfs_name_validate (longest, MMAPFS_NAME_MAX, NULL));
	/* Only len bytes count. */
	g_assert_true (mmapfs_name_validate ("ab/c", 2, NULL));
}

static void
test_name_invalid (void)
{
	static const Buf bad[] = {
		S (""),	     S ("."),	  S (".."),    S (".control"), S (".a"),  S ("a/b"),
		S ("/"),     S ("a b"),	  S ("a\tb"),  S ("a\nb"),     S ("a\0b"), S ("\0"),
		S ("\xc3\xa9"), S ("a:b"), S ("a=b"),  S ("a,b"),      S ("a\\b"), S ("a*"),
		S ("a~"),    S ("a+b"),	  S ("\x7f"),  S ("a\""),
	};

	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;

		g_test_message ("bad name #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_name_validate (bad[i].text, bad[i].len, &error));
		assert_errno (error, EINVAL);
	}
}

static void
test_name_too_long (void)
{
	static const gsize lengths[] = { MMAPFS_NAME_MAX + 1, 1000, 10000 };

	for (gsize i = 0; i < G_N_ELEMENTS (lengths); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *name = g_strnfill (lengths[i], 'x');

		g_assert_false (mmapfs_name_validate (name, lengths[i], &error));
		g_assert_error (error, MMAPFS_ERROR, ENAMETOOLONG);
		/* The sentence quotes a bounded prefix, not the whole name. */
		g_assert_cmpuint (strlen (error->message), <, 200);
		assert_errno (error, ENAMETOOLONG);

		/* Too long wins over a bad byte or a leading dot. */
		name[0] = '.';
		name[5] = '/';
		g_assert_false (mmapfs_name_validate (name, lengths[i], &error));
		assert_errno (error, ENAMETOOLONG);
	}
}

/* Paths ----------------------------------------------------------------- */

static void
test_path_escape (void)
{
	static const struct {
		const char *raw;
		const char *escaped;
	} cases[] = {
		{ "", "" },
		{ "/", "/" },
		{ "/tmp/plain", "/tmp/plain" },
		{ "/a b", "/a\\040b" },
		{ "/a\tb", "/a\\011b" },
		{ "/a\nb", "/a\\012b" },
		{ "/a\\b", "/a\\134b" },
		{ " \t\n\\", "\\040\\011\\012\\134" },
		{ "/\\040", "/\\134040" },
		{ "/caf\xc3\xa9", "/caf\xc3\xa9" },
		{ "/\xff\xfe\x01\r#=,", "/\xff\xfe\x01\r#=," },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *escaped = mmapfs_path_escape (cases[i].raw);

		g_assert_cmpstr (escaped, ==, cases[i].escaped);
	}
}

static void
test_path_unescape (void)
{
	static const struct {
		Buf text;
		const char *raw;
	} cases[] = {
		{ S (""), "" },
		{ S ("/plain"), "/plain" },
		{ S ("\\101"), "A" },
		{ S ("\\001"), "\001" },
		{ S ("\\377"), "\377" },
		{ S ("/a\\040b"), "/a b" },
		{ S ("\\0401"), " 1" },
		{ S ("\\134\\134"), "\\\\" },
		{ S ("\\134040"), "\\040" },
		{ S ("/tab\\011nl\\012"), "/tab\tnl\n" },
		{ S ("/\xff\xfe"), "/\xff\xfe" },
		{ S ("/raw\rcr"), "/raw\rcr" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *raw = mmapfs_path_unescape (cases[i].text.text,
							     cases[i].text.len, &error);

		g_assert_no_error (error);
		g_assert_cmpstr (raw, ==, cases[i].raw);
	}
}

static void
test_path_unescape_invalid (void)
{
	static const Buf bad[] = {
		S ("\\"),     S ("/a\\"),   S ("\\0"),	  S ("\\04"),	S ("\\08"),
		S ("\\080"),  S ("\\400"),  S ("\\777"),  S ("\\000"),	S ("/a\\000b"),
		S ("a\\x41"), S ("\\n"),    S ("\\\\"),	  S ("\\ 40"),	S ("\0"),
		S ("/a\0b"),  S ("\\12"),   S ("\\1a2"),  S ("\\-12"),
	};

	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *raw = NULL;

		g_test_message ("bad escaped path #%" G_GSIZE_FORMAT, i);
		raw = mmapfs_path_unescape (bad[i].text, bad[i].len, &error);
		g_assert_null (raw);
		assert_errno (error, EINVAL);
	}

	/* Only len bytes count: the cut escape is an error. */
	{
		g_autoptr(GError) error = NULL;
		g_autofree char *raw = mmapfs_path_unescape ("/a\\040", 5, &error);

		g_assert_null (raw);
		assert_errno (error, EINVAL);
	}
}

static void
test_path_round_trip_bytes (void)
{
	char all[256];

	for (guint b = 1; b <= 255; b++) {
		char raw[] = { '/', 'x', (char) b, 'y', '\0' };
		g_autofree char *escaped = mmapfs_path_escape (raw);
		g_autofree char *back = NULL;
		g_autofree char *octal = g_strdup_printf ("\\%03o", b);
		g_autofree char *single = NULL;
		g_autoptr(GError) error = NULL;

		/* Escaped text never holds a separator or a NUL. */
		g_assert_null (strpbrk (escaped, " \t\n"));
		back = mmapfs_path_unescape (escaped, strlen (escaped), &error);
		g_assert_no_error (error);
		g_assert_cmpstr (back, ==, raw);

		/* And any byte may be written as \ooo, not only the four. */
		single = mmapfs_path_unescape (octal, 4, &error);
		g_assert_no_error (error);
		g_assert_cmpuint (strlen (single), ==, 1);
		g_assert_cmpuint ((guchar) single[0], ==, b);

		all[b - 1] = (char) b;
	}
	all[255] = '\0';

	{
		g_autofree char *escaped = mmapfs_path_escape (all);
		g_autofree char *back = mmapfs_path_unescape (escaped, strlen (escaped), NULL);

		g_assert_cmpuint (strlen (escaped), ==, 255 + 4 * 3);
		g_assert_cmpmem (back, strlen (back), all, 255);
	}
}

/* Commands -------------------------------------------------------------- */

static void
parse_command_ok (const char *line, gsize len, MmapfsCommand *cmd)
{
	g_autoptr(GError) error = NULL;

	g_assert_true (mmapfs_command_parse (line, len, cmd, &error));
	g_assert_no_error (error);
}

static void
assert_command (const MmapfsCommand *cmd, MmapfsCommandKind kind, const char *name,
		const char *path, MmapfsAccess access, guint64 offset, guint64 length)
{
	g_assert_cmpint (cmd->kind, ==, kind);
	g_assert_cmpstr (cmd->name, ==, name);
	g_assert_cmpstr (cmd->path, ==, path);
	g_assert_cmpint (cmd->access, ==, access);
	g_assert_cmpuint (cmd->offset, ==, offset);
	g_assert_cmpuint (cmd->length, ==, length);
}

static void
test_command_none (void)
{
	static const Buf lines[] = {
		S (""),	     S (" "),	   S ("\t"),	   S ("   \t "),  S ("#"),
		S ("# comment"),
		S ("   # x"), S ("\t#map a"), S ("\n"),	   S ("\r\n"),	 S (" \t \n"), S ("#\r\n"),
		S ("#map a /x bogus=1"), S ("# \xff\x01"), S ("\r"),
	};

	for (gsize i = 0; i < G_N_ELEMENTS (lines); i++) {
		g_auto(MmapfsCommand) cmd = { 0 };

		g_test_message ("blank line #%" G_GSIZE_FORMAT, i);
		parse_command_ok (lines[i].text, lines[i].len, &cmd);
		assert_command (&cmd, MMAPFS_COMMAND_NONE, NULL, NULL, 0, 0, 0);
	}
}

static void
test_command_map_minimal (void)
{
	{
		g_auto(MmapfsCommand) cmd = { 0 };

		parse_command_ok ("map a /x", 8, &cmd);
		assert_command (&cmd, MMAPFS_COMMAND_MAP, "a", "/x", MMAPFS_ACCESS_WRITE, 0, 0);
		mmapfs_command_clear (&cmd);
		assert_command (&cmd, MMAPFS_COMMAND_NONE, NULL, NULL, 0, 0, 0);
		/* Clearing twice is harmless, and so is the g_auto() cleanup after it. */
		mmapfs_command_clear (&cmd);
	}
	{
		g_auto(MmapfsCommand) cmd = { 0 };

		parse_command_ok ("  map\tlog.1   /var/log/x\\040y \t", 31, &cmd);
		assert_command (&cmd, MMAPFS_COMMAND_MAP, "log.1", "/var/log/x y",
				MMAPFS_ACCESS_WRITE, 0, 0);
	}
	{
		g_auto(MmapfsCommand) cmd = { 0 };

		/* `\057` is "/": the path is absolute once unescaped, which is what counts. */
		parse_command_ok ("map a \\057x", 11, &cmd);
		assert_command (&cmd, MMAPFS_COMMAND_MAP, "a", "/x", MMAPFS_ACCESS_WRITE, 0, 0);
	}
}

static void
test_command_map_options (void)
{
	static const char *const orders[] = {
		"map m /f access=copy offset=0x2000 length=8K",
		"map m /f access=copy length=8K offset=0x2000",
		"map m /f offset=0x2000 access=copy length=8K",
		"map m /f offset=8192 length=0x2000 access=copy",
		"map m /f length=8KiB access=copy offset=8k\n",
		"map m /f length=8192 offset=8K access=copy\r\n",
	};
	static const struct {
		const char *line;
		MmapfsAccess access;
		guint64 offset;
		guint64 length;
	} single[] = {
		{ "map m /f access=read", MMAPFS_ACCESS_READ, 0, 0 },
		{ "map m /f access=write", MMAPFS_ACCESS_WRITE, 0, 0 },
		{ "map m /f access=copy", MMAPFS_ACCESS_COPY, 0, 0 },
		{ "map m /f access=default", MMAPFS_ACCESS_DEFAULT, 0, 0 },
		{ "map m /f offset=4096", MMAPFS_ACCESS_WRITE, 4096, 0 },
		{ "map m /f length=1", MMAPFS_ACCESS_WRITE, 0, 1 },
		{ "map m /f offset=1T length=18446744073709551615", MMAPFS_ACCESS_WRITE,
		  G_GUINT64_CONSTANT (1) << 40, G_MAXUINT64 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (orders); i++) {
		g_auto(MmapfsCommand) cmd = { 0 };

		g_test_message ("%s", orders[i]);
		parse_command_ok (orders[i], strlen (orders[i]), &cmd);
		assert_command (&cmd, MMAPFS_COMMAND_MAP, "m", "/f", MMAPFS_ACCESS_COPY, 8192,
				8192);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (single); i++) {
		g_auto(MmapfsCommand) cmd = { 0 };

		g_test_message ("%s", single[i].line);
		parse_command_ok (single[i].line, strlen (single[i].line), &cmd);
		assert_command (&cmd, MMAPFS_COMMAND_MAP, "m", "/f", single[i].access,
				single[i].offset, single[i].length);
	}
}

typedef struct {
	Buf line;
	int code;
	const char *fragment; /* expected in the sentence, or NULL */
} BadLine;

static void
check_bad_commands (const BadLine *bad, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GError) error = NULL;
		MmapfsCommand cmd = { MMAPFS_COMMAND_UNMAP, (char *) "keep", NULL, 3, 7, 9 };

		g_test_message ("bad command #%" G_GSIZE_FORMAT ": %.*s", i, (int) bad[i].line.len,
				bad[i].line.text);
		g_assert_false (mmapfs_command_parse (bad[i].line.text, bad[i].line.len, &cmd,
						      &error));
		/* A failed parse leaves the caller's command alone. */
		assert_command (&cmd, MMAPFS_COMMAND_UNMAP, "keep", NULL, 3, 7, 9);
		g_assert_error (error, MMAPFS_ERROR, bad[i].code);
		if (bad[i].fragment != NULL)
			g_assert_nonnull (strstr (error->message, bad[i].fragment));
		assert_errno (error, bad[i].code);
	}
}

static void
test_command_map_invalid (void)
{
	static const BadLine bad[] = {
		{ S ("map"), EINVAL, "NAME" },
		{ S ("map "), EINVAL, NULL },
		{ S ("map a"), EINVAL, "PATH" },
		{ S ("map a x"), EINVAL, "absolute" },
		{ S ("map a ./x"), EINVAL, "absolute" },
		{ S ("map a ~/x"), EINVAL, "absolute" },
		{ S ("map .a /x"), EINVAL, "\".a\"" },
		{ S ("map a/b /x"), EINVAL, NULL },
		{ S ("map a /x foo=1"), EINVAL, "\"foo=1\"" },
		{ S ("map a /x access"), EINVAL, NULL },
		{ S ("map a /x Access=read"), EINVAL, NULL },
		{ S ("map a /x access=read access=read"), EINVAL, "twice" },
		{ S ("map a /x offset=1 offset=2"), EINVAL, "twice" },
		{ S ("map a /x length=1 length=1"), EINVAL, "twice" },
		{ S ("map a /x access=READ"), EINVAL, "\"access=READ\"" },
		{ S ("map a /x access="), EINVAL, NULL },
		{ S ("map a /x access=rw"), EINVAL, NULL },
		{ S ("map a /x offset="), EINVAL, NULL },
		{ S ("map a /x offset=8KB"), EINVAL, "\"8KB\"" },
		{ S ("map a /x length=-1"), EINVAL, NULL },
		{ S ("map a /x offset=1 2"), EINVAL, NULL },
		{ S ("map a /x extra"), EINVAL, "\"extra\"" },
		{ S ("map a /x access=read offset=0 length=0 extra"), EINVAL, "too many" },
		{ S ("map a /x access=read offset=0 length=0 a b c d"), EINVAL, "too many" },
		{ S ("map a /x\\"), EINVAL, NULL },
		{ S ("map a /x\\000"), EINVAL, NULL },
		{ S ("map a /x\\9"), EINVAL, NULL },
		{ S ("map a /x\\0401\\"), EINVAL, NULL },
		{ S ("map a\0 /x"), EINVAL, "NUL" },
		{ S ("map a /x\0"), EINVAL, "NUL" },
		{ S ("map a /x\nmap b /y"), EINVAL, "newline" },
		{ S ("map a /x\n\n"), EINVAL, NULL },
		{ S ("map a /x offset=99999999999999999999"), EOVERFLOW, NULL },
		{ S ("map a /x length=0x10000000000000000"), EOVERFLOW, NULL },
		{ S ("map a /x offset=16777216T"), EOVERFLOW, NULL },
	};
	g_autofree char *long_name = g_strnfill (MMAPFS_NAME_MAX + 1, 'n');
	g_autofree char *line = g_strdup_printf ("map %s /x", long_name);
	BadLine too_long = { { line, strlen (line) }, ENAMETOOLONG, NULL };

	check_bad_commands (bad, G_N_ELEMENTS (bad));
	check_bad_commands (&too_long, 1);
}

static void
test_command_anon (void)
{
	static const struct {
		const char *line;
		guint64 size;
	} good[] = {
		{ "anon a 4096", 4096 },
		{ "anon a 1", 1 },
		{ "anon a 8K", 8192 },
		{ "anon a 0x1000\n", 4096 },
		{ "\tanon  scratch-1\t1MiB  ", 1 << 20 },
	};
	static const BadLine bad[] = {
		{ S ("anon"), EINVAL, "NAME" },
		{ S ("anon a"), EINVAL, "SIZE" },
		{ S ("anon a 0"), EINVAL, "0" },
		{ S ("anon a 0x0"), EINVAL, NULL },
		{ S ("anon a 0K"), EINVAL, NULL },
		{ S ("anon a 1 2"), EINVAL, NULL },
		{ S ("anon a 1K extra"), EINVAL, NULL },
		{ S ("anon a /x"), EINVAL, NULL },
		{ S ("anon a 8KB"), EINVAL, "\"8KB\"" },
		{ S ("anon .a 1"), EINVAL, NULL },
		{ S ("anon a b 1"), EINVAL, NULL },
		{ S ("anon a 99999999999999999999"), EOVERFLOW, NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_auto(MmapfsCommand) cmd = { 0 };

		parse_command_ok (good[i].line, strlen (good[i].line), &cmd);
		g_assert_cmpint (cmd.kind, ==, MMAPFS_COMMAND_ANON);
		g_assert_cmpuint (cmd.length, ==, good[i].size);
		g_assert_null (cmd.path);
		g_assert_cmpuint (cmd.offset, ==, 0);
	}
	check_bad_commands (bad, G_N_ELEMENTS (bad));

	{
		g_autofree char *long_name = g_strnfill (300, 'n');
		g_autofree char *line = g_strdup_printf ("anon %s 1", long_name);
		BadLine too_long = { { line, strlen (line) }, ENAMETOOLONG, NULL };

		check_bad_commands (&too_long, 1);
	}
}

static void
test_command_unmap (void)
{
	static const BadLine bad[] = {
		{ S ("unmap"), EINVAL, "NAME" },
		{ S ("unmap a b"), EINVAL, NULL },
		{ S ("unmap ."), EINVAL, NULL },
		{ S ("unmap .control"), EINVAL, NULL },
		{ S ("unmap a*"), EINVAL, NULL },
	};
	g_auto(MmapfsCommand) cmd = { 0 };

	parse_command_ok ("unmap a", 7, &cmd);
	assert_command (&cmd, MMAPFS_COMMAND_UNMAP, "a", NULL, MMAPFS_ACCESS_WRITE, 0, 0);

	check_bad_commands (bad, G_N_ELEMENTS (bad));
	{
		g_autofree char *long_name = g_strnfill (256, 'n');
		g_autofree char *line = g_strdup_printf ("unmap %s", long_name);
		BadLine too_long = { { line, strlen (line) }, ENAMETOOLONG, NULL };

		check_bad_commands (&too_long, 1);
	}
}

static void
test_command_verb (void)
{
	static const BadLine bad[] = {
		{ S ("MAP a /x"), EINVAL, "\"MAP\"" },
		{ S ("Unmap a"), EINVAL, NULL },
		{ S ("mmap a /x"), EINVAL, "map, anon or unmap" },
		{ S ("unmapx a"), EINVAL, NULL },
		{ S ("foo"), EINVAL, "\"foo\"" },
		{ S ("map\0 a /x"), EINVAL, NULL },
		{ S ("\x1b[2J"), EINVAL, "\\033" },
		{ S ("a#b"), EINVAL, NULL },
	};

	check_bad_commands (bad, G_N_ELEMENTS (bad));
}

static void
test_command_newline (void)
{
	static const Buf good[] = {
		S ("unmap a"),	 S ("unmap a\n"),  S ("unmap a\r\n"),
		S ("unmap a\r"), S ("unmap a \n"),
	};
	static const BadLine bad[] = {
		{ S ("unmap a\n\n"), EINVAL, NULL },
		{ S ("unmap a\nunmap b"), EINVAL, NULL },
		{ S ("unmap a\r\r\n"), EINVAL, NULL },
		{ S ("\nunmap a"), EINVAL, NULL },
		{ S ("unmap\na"), EINVAL, NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_auto(MmapfsCommand) cmd = { 0 };

		parse_command_ok (good[i].text, good[i].len, &cmd);
		assert_command (&cmd, MMAPFS_COMMAND_UNMAP, "a", NULL, MMAPFS_ACCESS_WRITE, 0, 0);
	}
	check_bad_commands (bad, G_N_ELEMENTS (bad));
}

static void
test_command_too_long (void)
{
	g_autofree char *line = g_malloc (MMAPFS_LINE_MAX + 2);
	g_autoptr(GError) error = NULL;
	g_auto(MmapfsCommand) cmd = { 0 };

	/* A comment of exactly MMAPFS_LINE_MAX bytes is fine, newline or not. */
	memset (line, 'c', MMAPFS_LINE_MAX + 1);
	line[0] = '#';
	parse_command_ok (line, MMAPFS_LINE_MAX, &cmd);
	g_assert_cmpint (cmd.kind, ==, MMAPFS_COMMAND_NONE);
	line[MMAPFS_LINE_MAX] = '\n';
	parse_command_ok (line, MMAPFS_LINE_MAX + 1, &cmd);

	/* One byte more is not, even as a comment. */
	line[MMAPFS_LINE_MAX] = 'c';
	line[MMAPFS_LINE_MAX + 1] = '\n';
	g_assert_false (mmapfs_command_parse (line, MMAPFS_LINE_MAX + 1, &cmd, &error));
	g_assert_error (error, MMAPFS_ERROR, EINVAL);
	g_assert_nonnull (strstr (error->message, "too long"));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_command_parse (line, MMAPFS_LINE_MAX + 2, &cmd, &error));
	assert_errno (error, EINVAL);
}

static void
test_command_format (void)
{
	MmapfsCommand map = { MMAPFS_COMMAND_MAP, (char *) "n", (char *) "/a b\tc\nd\\e",
			      MMAPFS_ACCESS_READ, 4096, 123 };
	MmapfsCommand anon = { MMAPFS_COMMAND_ANON, (char *) "scratch", NULL, MMAPFS_ACCESS_WRITE,
			       0, 8192 };
	MmapfsCommand unmap = { MMAPFS_COMMAND_UNMAP, (char *) "old", NULL, 0, 0, 0 };
	MmapfsCommand none = { 0 };
	MmapfsCommand big = { MMAPFS_COMMAND_MAP, (char *) "b", (char *) "/x",
			      MMAPFS_ACCESS_DEFAULT, G_MAXUINT64, G_MAXUINT64 };
	g_autofree char *map_line = mmapfs_command_format (&map);
	g_autofree char *anon_line = mmapfs_command_format (&anon);
	g_autofree char *unmap_line = mmapfs_command_format (&unmap);
	g_autofree char *none_line = mmapfs_command_format (&none);
	g_autofree char *big_line = mmapfs_command_format (&big);

	g_assert_cmpstr (map_line, ==,
			 "map n /a\\040b\\011c\\012d\\134e access=read offset=4096 length=123");
	g_assert_cmpstr (anon_line, ==, "anon scratch 8192");
	g_assert_cmpstr (unmap_line, ==, "unmap old");
	g_assert_cmpstr (none_line, ==, "");
	g_assert_cmpstr (big_line, ==,
			 "map b /x access=default offset=18446744073709551615 "
			 "length=18446744073709551615");
}

static void
assert_commands_equal (const MmapfsCommand *a, const MmapfsCommand *b)
{
	assert_command (a, b->kind, b->name, b->path, b->access, b->offset, b->length);
}

static void
test_command_round_trip (void)
{
	static const char *const paths[] = {
		"/",
		"/plain/file",
		"/with space",
		"/  two  spaces  ",
		"/tab\there",
		"/new\nline",
		"/back\\slash",
		"/\\040 literal escape",
		"/trailing\\",
		"/latin1-\xe9\xff\xfe",
		"/utf8-caf\xc3\xa9",
		"/#hash",
		"/x access=read",
		"/a=b,access=copy,offset=1",
		"/\r\x01\x7f\x1b",
		"/ \t\n\\ \t\n\\",
	};
	static const MmapfsAccess accesses[] = { MMAPFS_ACCESS_DEFAULT, MMAPFS_ACCESS_READ,
						 MMAPFS_ACCESS_WRITE, MMAPFS_ACCESS_COPY };
	static const guint64 numbers[] = { 0, 1, 4096, G_MAXUINT64 };

	for (gsize p = 0; p < G_N_ELEMENTS (paths); p++) {
		for (gsize a = 0; a < G_N_ELEMENTS (accesses); a++) {
			for (gsize n = 0; n < G_N_ELEMENTS (numbers); n++) {
				MmapfsCommand orig = { MMAPFS_COMMAND_MAP, (char *) "m-1.x",
						       (char *) paths[p], accesses[a], numbers[n],
						       numbers[G_N_ELEMENTS (numbers) - 1 - n] };
				g_auto(MmapfsCommand) back = { 0 };
				g_autofree char *line = mmapfs_command_format (&orig);
				g_autofree char *again = NULL;

				g_assert_null (strchr (line, '\n'));
				parse_command_ok (line, strlen (line), &back);
				assert_commands_equal (&back, &orig);
				again = mmapfs_command_format (&back);
				g_assert_cmpstr (again, ==, line);
			}
		}
	}

	for (gsize n = 1; n < G_N_ELEMENTS (numbers); n++) {
		MmapfsCommand anon = { MMAPFS_COMMAND_ANON, (char *) "A", NULL, MMAPFS_ACCESS_WRITE,
				       0, numbers[n] };
		g_auto(MmapfsCommand) back = { 0 };
		g_autofree char *line = mmapfs_command_format (&anon);

		parse_command_ok (line, strlen (line), &back);
		assert_commands_equal (&back, &anon);
	}
	{
		MmapfsCommand unmap = { MMAPFS_COMMAND_UNMAP, (char *) "gone", NULL,
					MMAPFS_ACCESS_WRITE, 0, 0 };
		g_auto(MmapfsCommand) back = { 0 };
		g_autofree char *line = mmapfs_command_format (&unmap);

		parse_command_ok (line, strlen (line), &back);
		assert_commands_equal (&back, &unmap);
	}
}

static void
test_command_round_trip_bytes (void)
{
	/* Every byte value in a path survives format then parse. */
	for (guint b = 1; b <= 255; b++) {
		char path[] = { '/', (char) b, 'p', (char) b, '\0' };
		MmapfsCommand orig = { MMAPFS_COMMAND_MAP, (char *) "b", path, MMAPFS_ACCESS_WRITE,
				       0, 0 };
		g_auto(MmapfsCommand) back = { 0 };
		g_autofree char *line = mmapfs_command_format (&orig);

		parse_command_ok (line, strlen (line), &back);
		assert_commands_equal (&back, &orig);
	}
}

/* Command-line options -------------------------------------------------- */

static void
test_option_map (void)
{
	static const struct {
		const char *spec;
		const char *path;
		MmapfsAccess access;
		guint64 offset;
		guint64 length;
	} good[] = {
		{ "a=/x", "/x", MMAPFS_ACCESS_WRITE, 0, 0 },
		{ "a=rel/path", "rel/path", MMAPFS_ACCESS_WRITE, 0, 0 },
		{ "a=.", ".", MMAPFS_ACCESS_WRITE, 0, 0 },
		{ "a=/x,access=read,offset=4096,length=8K", "/x", MMAPFS_ACCESS_READ, 4096, 8192 },
		{ "a=/x,length=1,access=copy", "/x", MMAPFS_ACCESS_COPY, 0, 1 },
		{ "a=/x,offset=0x1000", "/x", MMAPFS_ACCESS_WRITE, 4096, 0 },
		{ "a=/x,access=default", "/x", MMAPFS_ACCESS_DEFAULT, 0, 0 },
		{ "a=/x,y,z", "/x,y,z", MMAPFS_ACCESS_WRITE, 0, 0 },
		{ "a=/x,y,access=copy", "/x,y", MMAPFS_ACCESS_COPY, 0, 0 },
		{ "a=/x,", "/x,", MMAPFS_ACCESS_WRITE, 0, 0 },
		{ "a=/x,access", "/x,access", MMAPFS_ACCESS_WRITE, 0, 0 },
		{ "a=/x,Access=read", "/x,Access=read", MMAPFS_ACCESS_WRITE, 0, 0 },
		{ "a=/x=y", "/x=y", MMAPFS_ACCESS_WRITE, 0, 0 },
		{ "a=/with space\tand\\back", "/with space\tand\\back", MMAPFS_ACCESS_WRITE, 0, 0 },
		{ "a=/x\\040", "/x\\040", MMAPFS_ACCESS_WRITE, 0, 0 },
		{ "a=/x,offset=1,access=read", "/x", MMAPFS_ACCESS_READ, 1, 0 },
	};
	static const struct {
		const char *spec;
		int code;
	} bad[] = {
		{ "a", EINVAL },
		{ "", EINVAL },
		{ "=/x", EINVAL },
		{ ".a=/x", EINVAL },
		{ "a b=/x", EINVAL },
		{ "a=", EINVAL },
		{ "a=,access=read", EINVAL },
		{ "a=/x,access=read,access=copy", EINVAL },
		{ "a=/x,access=bad", EINVAL },
		{ "a=/x,access=", EINVAL },
		{ "a=/x,offset=1,bogus=2", EINVAL },
		{ "a=/x,access=read,", EINVAL },
		{ "a=/x,access=read,,offset=0", EINVAL },
		{ "a=/x,offset=8KB", EINVAL },
		{ "a=/x,offset=", EINVAL },
		{ "a=/x,length=1 ", EINVAL },
		{ "a=/x,offset=99999999999999999999", EOVERFLOW },
		{ "a=/x,length=0x10000000000000000", EOVERFLOW },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		g_auto(MmapfsCommand) cmd = { 0 };

		g_test_message ("--map %s", good[i].spec);
		g_assert_true (mmapfs_command_parse_option (MMAPFS_COMMAND_MAP, good[i].spec, &cmd,
							    &error));
		g_assert_no_error (error);
		assert_command (&cmd, MMAPFS_COMMAND_MAP, "a", good[i].path, good[i].access,
				good[i].offset, good[i].length);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		g_auto(MmapfsCommand) cmd = { 0 };

		g_test_message ("bad --map %s", bad[i].spec);
		g_assert_false (mmapfs_command_parse_option (MMAPFS_COMMAND_MAP, bad[i].spec, &cmd,
							     &error));
		assert_command (&cmd, MMAPFS_COMMAND_NONE, NULL, NULL, 0, 0, 0);
		assert_errno (error, bad[i].code);
	}
	{
		g_autoptr(GError) error = NULL;
		g_autofree char *long_name = g_strnfill (256, 'n');
		g_autofree char *spec = g_strconcat (long_name, "=/x", NULL);
		g_auto(MmapfsCommand) cmd = { 0 };

		g_assert_false (mmapfs_command_parse_option (MMAPFS_COMMAND_MAP, spec, &cmd,
							     &error));
		assert_errno (error, ENAMETOOLONG);
	}
}

static void
test_option_anon (void)
{
	static const struct {
		const char *spec;
		guint64 size;
	} good[] = {
		{ "a=4096", 4096 },
		{ "a=1M", 1 << 20 },
		{ "x.y-z_=0x10", 16 },
	};
	static const struct {
		const char *spec;
		int code;
	} bad[] = {
		{ "a", EINVAL },	  { "a=", EINVAL },	  { "a=0", EINVAL },
		{ "=1", EINVAL },	  { "a=1,access=read", EINVAL }, { "a=-1", EINVAL },
		{ "a=1 ", EINVAL },	  { "a=8KB", EINVAL },	  { ".a=1", EINVAL },
		{ "a=/x", EINVAL },	  { "a=1=2", EINVAL },
		{ "a=18446744073709551616", EOVERFLOW },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		g_auto(MmapfsCommand) cmd = { 0 };

		g_assert_true (mmapfs_command_parse_option (MMAPFS_COMMAND_ANON, good[i].spec, &cmd,
							    &error));
		g_assert_no_error (error);
		g_assert_cmpint (cmd.kind, ==, MMAPFS_COMMAND_ANON);
		g_assert_cmpuint (cmd.length, ==, good[i].size);
		g_assert_null (cmd.path);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		g_auto(MmapfsCommand) cmd = { 0 };

		g_test_message ("bad --anon %s", bad[i].spec);
		g_assert_false (mmapfs_command_parse_option (MMAPFS_COMMAND_ANON, bad[i].spec, &cmd,
							     &error));
		assert_command (&cmd, MMAPFS_COMMAND_NONE, NULL, NULL, 0, 0, 0);
		assert_errno (error, bad[i].code);
	}
}

static void
test_option_matches_control (void)
{
	/* An option and the equivalent .control line give the same command. */
	g_auto(MmapfsCommand) from_option = { 0 };
	g_auto(MmapfsCommand) from_line = { 0 };
	const char *line = "map data /srv/d\\040x access=copy offset=8192 length=4096";

	g_assert_true (mmapfs_command_parse_option (
		MMAPFS_COMMAND_MAP, "data=/srv/d x,length=4K,access=copy,offset=8K", &from_option,
		NULL));
	parse_command_ok (line, strlen (line), &from_line);
	assert_commands_equal (&from_option, &from_line);
}

/* Node lines ------------------------------------------------------------ */

static void
test_size_line (void)
{
	static const struct {
		Buf buf;
		guint64 size;
	} good[] = {
		{ S ("4096"), 4096 },	{ S ("4096\n"), 4096 },	 { S ("  8M \n"), 8 << 20 },
		{ S ("\t0x1000\t"), 4096 }, { S ("1\r\n"), 1 }, { S ("1 \n "), 1 },
		{ S ("18446744073709551615"), G_MAXUINT64 },
	};
	static const struct {
		Buf buf;
		int code;
	} bad[] = {
		{ S (""), EINVAL },	   { S ("\n"), EINVAL },	 { S ("  \n"), EINVAL },
		{ S ("0"), EINVAL },	   { S ("0\n"), EINVAL },	 { S ("0x0"), EINVAL },
		{ S ("8 M"), EINVAL },	   { S ("1 2"), EINVAL },	 { S ("1\n\n"), EINVAL },
		{ S ("1\n2"), EINVAL },	   { S ("\n1"), EINVAL },	 { S ("1\0"), EINVAL },
		{ S ("\0"), EINVAL },	   { S ("abc"), EINVAL },	 { S ("-1"), EINVAL },
		{ S ("8KB\n"), EINVAL },   { S ("1\r"), EINVAL },
		{ S ("18446744073709551616\n"), EOVERFLOW },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		guint64 size = 0;

		g_assert_true (mmapfs_parse_size_line (good[i].buf.text, good[i].buf.len, &size,
						       &error));
		g_assert_no_error (error);
		g_assert_cmpuint (size, ==, good[i].size);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		guint64 size = 99;

		g_test_message ("bad size line #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_parse_size_line (bad[i].buf.text, bad[i].buf.len, &size,
							&error));
		g_assert_cmpuint (size, ==, 99);
		assert_errno (error, bad[i].code);
	}
}

static void
test_line_too_long (void)
{
	g_autofree char *buf = g_malloc (MMAPFS_LINE_MAX + 1);
	g_autoptr(GError) error = NULL;
	guint64 size;
	gboolean lock;
	MmapfsAdviseRequest advise;
	MmapfsFlushRequest flush;
	MmapfsMoveRequest move;

	/* Blanks around a number are ignored, up to the line limit. */
	memset (buf, ' ', MMAPFS_LINE_MAX + 1);
	buf[0] = '1';
	g_assert_true (mmapfs_parse_size_line (buf, MMAPFS_LINE_MAX, &size, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (size, ==, 1);

	g_assert_false (mmapfs_parse_size_line (buf, MMAPFS_LINE_MAX + 1, &size, &error));
	g_assert_nonnull (strstr (error->message, "too long"));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_parse_lock_line (buf, MMAPFS_LINE_MAX + 1, &lock, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_parse_advise_line (buf, MMAPFS_LINE_MAX + 1, 0, &advise, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_parse_flush_line (buf, MMAPFS_LINE_MAX + 1, &flush, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_parse_move_line (buf, MMAPFS_LINE_MAX + 1, &move, &error));
	assert_errno (error, EINVAL);
}

static void
test_lock_line (void)
{
	static const struct {
		Buf buf;
		gboolean lock;
	} good[] = {
		{ S ("0"), FALSE }, { S ("1"), TRUE },	{ S ("1\n"), TRUE },
		{ S (" 0 \n"), FALSE }, { S ("\t1\t"), TRUE },
		/* the number grammar holds on every node */
		{ S ("01"), TRUE }, { S ("0x1"), TRUE }, { S ("0X0"), FALSE },
	};
	static const Buf bad[] = {
		S (""),	     S ("\n"),	 S ("2"),     S ("10"),	S ("true"),
		S ("1 1"),   S ("1\n\n"), S ("1\0"),   S ("-1"),	S ("on"),
		S ("1K"),    S ("\n1"),
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		gboolean lock = !good[i].lock;

		g_assert_true (mmapfs_parse_lock_line (good[i].buf.text, good[i].buf.len, &lock,
						       &error));
		g_assert_no_error (error);
		g_assert_cmpint (lock, ==, good[i].lock);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		gboolean lock = 42;

		g_test_message ("bad lock line #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_parse_lock_line (bad[i].text, bad[i].len, &lock, &error));
		g_assert_cmpint (lock, ==, 42);
		assert_errno (error, EINVAL);
	}
	{
		g_autoptr(GError) error = NULL;
		gboolean lock = 42;

		g_assert_false (mmapfs_parse_lock_line ("18446744073709551616\n", 21, &lock,
							&error));
		g_assert_cmpint (lock, ==, 42);
		assert_errno (error, EOVERFLOW);
	}
}

static void
test_advise_line (void)
{
	static const struct {
		Buf buf;
		int advice;
		guint64 start;
		guint64 length;
		gboolean has_length;
	} good[] = {
		{ S ("willneed"), MADV_WILLNEED, 0, 0, FALSE },
		{ S ("willneed\n"), MADV_WILLNEED, 0, 0, FALSE },
		{ S ("MADV_DONTNEED 4096"), MADV_DONTNEED, 4096, 0, FALSE },
		{ S ("random 0 1M"), MADV_RANDOM, 0, 1 << 20, TRUE },
		{ S ("random 0 0"), MADV_RANDOM, 0, 0, TRUE },
		{ S ("  mmap.MADV_SEQUENTIAL\t0x1000  8K \n"), MADV_SEQUENTIAL, 4096, 8192, TRUE },
		{ S ("Normal\r\n"), MADV_NORMAL, 0, 0, FALSE },
		{ S ("pageout 18446744073709551615 18446744073709551615"), 21, G_MAXUINT64,
		  G_MAXUINT64, TRUE },
	};
	static const struct {
		Buf buf;
		MmapfsAdviceFlags flags;
		int code;
	} bad[] = {
		{ S (""), 0, EINVAL },
		{ S ("\n"), 0, EINVAL },
		{ S ("bogus"), 0, EINVAL },
		{ S ("bogus 0 1"), 0, EINVAL },
		{ S ("nosync"), 0, EOPNOTSUPP },
		{ S ("MADV_PROTECT 0"), MMAPFS_ADVICE_ALLOW_HWPOISON, EOPNOTSUPP },
		{ S ("hwpoison"), 0, EPERM },
		{ S ("soft_offline 0 4096"), 0, EPERM },
		{ S ("willneed 0 1 2"), 0, EINVAL },
		{ S ("willneed x"), 0, EINVAL },
		{ S ("willneed 0 -1"), 0, EINVAL },
		{ S ("willneed 8KB"), 0, EINVAL },
		{ S ("willneed 0 99999999999999999999"), 0, EOVERFLOW },
		{ S ("willneed 0x10000000000000000"), 0, EOVERFLOW },
		{ S ("willneed\nrandom"), 0, EINVAL },
		{ S ("willneed\n\n"), 0, EINVAL },
		{ S ("willneed\0"), 0, EINVAL },
		{ S ("0 willneed"), 0, EINVAL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsAdviseRequest request = { -1, 1, 1, 7 };

		g_test_message ("advise line #%" G_GSIZE_FORMAT, i);
		g_assert_true (mmapfs_parse_advise_line (good[i].buf.text, good[i].buf.len, 0,
							 &request, &error));
		g_assert_no_error (error);
		g_assert_cmpint (request.advice, ==, good[i].advice);
		g_assert_cmpuint (request.start, ==, good[i].start);
		g_assert_cmpint (request.has_length, ==, good[i].has_length);
		if (good[i].has_length)
			g_assert_cmpuint (request.length, ==, good[i].length);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsAdviseRequest request = { -1, 1, 1, 7 };

		g_test_message ("bad advise line #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_parse_advise_line (bad[i].buf.text, bad[i].buf.len,
							  bad[i].flags, &request, &error));
		g_assert_cmpint (request.advice, ==, -1);
		g_assert_cmpint (request.has_length, ==, 7);
		assert_errno (error, bad[i].code);
	}

	{
		g_autoptr(GError) error = NULL;
		MmapfsAdviseRequest request;

		g_assert_true (mmapfs_parse_advise_line ("hwpoison 4096", 13,
							 MMAPFS_ADVICE_ALLOW_HWPOISON, &request,
							 &error));
		g_assert_no_error (error);
		g_assert_cmpint (request.advice, ==, 100);
		g_assert_cmpuint (request.start, ==, 4096);
	}
}

static void
test_flush_line (void)
{
	static const struct {
		Buf buf;
		guint64 offset;
		guint64 size;
		gboolean has_size;
		MmapfsFlushFlags flags;
	} good[] = {
		{ S (""), 0, 0, FALSE, MMAPFS_FLUSH_SYNC },
		{ S ("\n"), 0, 0, FALSE, MMAPFS_FLUSH_SYNC },
		{ S ("  \t\n"), 0, 0, FALSE, MMAPFS_FLUSH_SYNC },
		{ S ("4096"), 4096, 0, FALSE, MMAPFS_FLUSH_SYNC },
		{ S ("0 4096\n"), 0, 4096, TRUE, MMAPFS_FLUSH_SYNC },
		{ S ("0 4096 async"), 0, 4096, TRUE, MMAPFS_FLUSH_ASYNC },
		{ S ("0 4096 ASYNC\n"), 0, 4096, TRUE, MMAPFS_FLUSH_ASYNC },
		{ S ("8K 1M Invalidate"), 8192, 1 << 20, TRUE, MMAPFS_FLUSH_INVALIDATE },
		{ S ("0 0 sync"), 0, 0, TRUE, MMAPFS_FLUSH_SYNC },
		{ S ("0x1000 0 SYNC"), 4096, 0, TRUE, MMAPFS_FLUSH_SYNC },
	};
	static const struct {
		Buf buf;
		int code;
	} bad[] = {
		{ S ("0 4096 nosuch"), EINVAL },  { S ("async"), EINVAL },
		{ S ("0 async"), EINVAL },	  { S ("0 1 async x"), EINVAL },
		{ S ("0 1 sync\n\n"), EINVAL },	  { S ("0 1 asyn"), EINVAL },
		{ S ("0 1 async\0"), EINVAL },	  { S ("-1"), EINVAL },
		{ S ("1 2\n3"), EINVAL },	  { S ("0 1 ms_async"), EINVAL },
		{ S ("99999999999999999999"), EOVERFLOW },
		{ S ("0 99999999999999999999 async"), EOVERFLOW },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsFlushRequest request = { 9, 9, 7, 9 };

		g_test_message ("flush line #%" G_GSIZE_FORMAT, i);
		g_assert_true (mmapfs_parse_flush_line (good[i].buf.text, good[i].buf.len, &request,
							&error));
		g_assert_no_error (error);
		g_assert_cmpuint (request.offset, ==, good[i].offset);
		g_assert_cmpint (request.has_size, ==, good[i].has_size);
		if (good[i].has_size)
			g_assert_cmpuint (request.size, ==, good[i].size);
		g_assert_cmpint (request.flags, ==, good[i].flags);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsFlushRequest request = { 9, 9, 7, 9 };

		g_test_message ("bad flush line #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_parse_flush_line (bad[i].buf.text, bad[i].buf.len, &request,
							 &error));
		g_assert_cmpuint (request.offset, ==, 9);
		g_assert_cmpint (request.has_size, ==, 7);
		assert_errno (error, bad[i].code);
	}
}

static void
test_move_line (void)
{
	static const struct {
		Buf buf;
		guint64 dest;
		guint64 src;
		guint64 count;
	} good[] = {
		{ S ("0 4096 100"), 0, 4096, 100 },
		{ S ("1K 0x10 8\n"), 1024, 16, 8 },
		{ S ("\t0\t0\t0\t\n"), 0, 0, 0 },
		{ S ("18446744073709551615 18446744073709551615 18446744073709551615"), G_MAXUINT64,
		  G_MAXUINT64, G_MAXUINT64 },
	};
	static const struct {
		Buf buf;
		int code;
	} bad[] = {
		{ S (""), EINVAL },	     { S ("\n"), EINVAL },	{ S ("1"), EINVAL },
		{ S ("1 2"), EINVAL },	     { S ("1 2 3 4"), EINVAL }, { S ("a b c"), EINVAL },
		{ S ("1 2 3\n\n"), EINVAL }, { S ("1 2\n3"), EINVAL }, { S ("1 2 3\0"), EINVAL },
		{ S ("1 2 -3"), EINVAL },    { S ("1 2 3KB"), EINVAL },
		{ S ("1 2 99999999999999999999"), EOVERFLOW },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsMoveRequest request = { 9, 9, 9 };

		g_assert_true (mmapfs_parse_move_line (good[i].buf.text, good[i].buf.len, &request,
						       &error));
		g_assert_no_error (error);
		g_assert_cmpuint (request.dest, ==, good[i].dest);
		g_assert_cmpuint (request.src, ==, good[i].src);
		g_assert_cmpuint (request.count, ==, good[i].count);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		MmapfsMoveRequest request = { 9, 9, 9 };

		g_test_message ("bad move line #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_parse_move_line (bad[i].buf.text, bad[i].buf.len, &request,
							&error));
		g_assert_cmpuint (request.dest, ==, 9);
		g_assert_cmpuint (request.count, ==, 9);
		assert_errno (error, bad[i].code);
	}
}

static void
test_line_messages (void)
{
	g_autoptr(GError) error = NULL;
	MmapfsMoveRequest move;
	MmapfsFlushRequest flush;
	gboolean lock;

	g_assert_false (mmapfs_parse_move_line ("1 2\n", 4, &move, &error));
	g_assert_nonnull (strstr (error->message, "\"1 2\""));
	g_assert_nonnull (strstr (error->message, "DEST SRC COUNT"));
	g_clear_error (&error);

	g_assert_false (mmapfs_parse_flush_line ("0 1 later", 9, &flush, &error));
	g_assert_cmpstr (error->message, ==,
			 "\"later\" is not a flush mode: use sync, async or invalidate");
	g_clear_error (&error);

	g_assert_false (mmapfs_parse_lock_line ("yes\n", 4, &lock, &error));
	g_assert_nonnull (strstr (error->message, "\"yes\""));
	g_clear_error (&error);
}

static void
test_null_empty (void)
{
	/* A NULL buffer of length 0 is an empty input, not a programmer error. */
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	g_auto(MmapfsCommand) cmd = { MMAPFS_COMMAND_UNMAP, NULL, NULL, 0, 0, 0 };
	MmapfsFlushRequest flush = { 1, 1, TRUE, MMAPFS_FLUSH_ASYNC };
	MmapfsAdviseRequest advise;
	guint64 value;
	int advice;

	g_assert_false (mmapfs_parse_number (NULL, 0, &value, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_name_validate (NULL, 0, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_advice_from_string (NULL, 0, 0, &advice, &error));
	assert_errno (error, EINVAL);
	path = mmapfs_path_unescape (NULL, 0, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (path, ==, "");
	g_assert_true (mmapfs_command_parse (NULL, 0, &cmd, &error));
	g_assert_no_error (error);
	g_assert_cmpint (cmd.kind, ==, MMAPFS_COMMAND_NONE);
	g_assert_false (mmapfs_parse_size_line (NULL, 0, &value, &error));
	assert_errno (error, EINVAL);
	g_assert_false (mmapfs_parse_advise_line (NULL, 0, 0, &advise, &error));
	assert_errno (error, EINVAL);
	g_assert_true (mmapfs_parse_flush_line (NULL, 0, &flush, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (flush.offset, ==, 0);
	g_assert_false (flush.has_size);
	g_assert_cmpint (flush.flags, ==, MMAPFS_FLUSH_SYNC);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/parse/number/decimal", test_number_decimal);
	g_test_add_func ("/parse/number/hex", test_number_hex);
	g_test_add_func ("/parse/number/suffix", test_number_suffix);
	g_test_add_func ("/parse/number/not-terminated", test_number_not_terminated);
	g_test_add_func ("/parse/number/invalid", test_number_invalid);
	g_test_add_func ("/parse/number/overflow", test_number_overflow);
	g_test_add_func ("/parse/number/message", test_number_message);
	g_test_add_func ("/parse/name/valid", test_name_valid);
	g_test_add_func ("/parse/name/invalid", test_name_invalid);
	g_test_add_func ("/parse/name/too-long", test_name_too_long);
	g_test_add_func ("/parse/path/escape", test_path_escape);
	g_test_add_func ("/parse/path/unescape", test_path_unescape);
	g_test_add_func ("/parse/path/unescape-invalid", test_path_unescape_invalid);
	g_test_add_func ("/parse/path/round-trip-bytes", test_path_round_trip_bytes);
	g_test_add_func ("/parse/command/none", test_command_none);
	g_test_add_func ("/parse/command/map/minimal", test_command_map_minimal);
	g_test_add_func ("/parse/command/map/options", test_command_map_options);
	g_test_add_func ("/parse/command/map/invalid", test_command_map_invalid);
	g_test_add_func ("/parse/command/anon", test_command_anon);
	g_test_add_func ("/parse/command/unmap", test_command_unmap);
	g_test_add_func ("/parse/command/verb", test_command_verb);
	g_test_add_func ("/parse/command/newline", test_command_newline);
	g_test_add_func ("/parse/command/too-long", test_command_too_long);
	g_test_add_func ("/parse/command/format", test_command_format);
	g_test_add_func ("/parse/command/round-trip", test_command_round_trip);
	g_test_add_func ("/parse/command/round-trip-bytes", test_command_round_trip_bytes);
	g_test_add_func ("/parse/option/map", test_option_map);
	g_test_add_func ("/parse/option/anon", test_option_anon);
	g_test_add_func ("/parse/option/matches-control", test_option_matches_control);
	g_test_add_func ("/parse/line/size", test_size_line);
	g_test_add_func ("/parse/line/too-long", test_line_too_long);
	g_test_add_func ("/parse/line/lock", test_lock_line);
	g_test_add_func ("/parse/line/advise", test_advise_line);
	g_test_add_func ("/parse/line/flush", test_flush_line);
	g_test_add_func ("/parse/line/move", test_move_line);
	g_test_add_func ("/parse/line/messages", test_line_messages);
	g_test_add_func ("/parse/null-empty", test_null_empty);

	return g_test_run ();
}
