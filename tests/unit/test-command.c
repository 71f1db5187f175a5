/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the `.control` command parser and its canonical form
 * (lib/parse-command.c), and of the --map/--anon option values, which
 * must give the same commands. Tables of good and bad lines check each
 * rule of DESIGN §2.1 and its errno; round trips check that every command
 * and every byte of a path survive format-then-parse.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <mmapfs/mmapfs.h>

#include "test-util.h"

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

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

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

	return g_test_run ();
}
