/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the text parsers (lib/parse*.c): numbers, names and
 * escaped paths here; `.control` lines and the --map/--anon option values
 * in test-command.c, the node lines in test-node-lines.c. Tables of good and bad inputs check
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
	g_test_add_func ("/parse/null-empty", test_null_empty);

	return g_test_run ();
}
