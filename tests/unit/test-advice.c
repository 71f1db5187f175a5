/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the advice table (lib/advice.c): every name Linux defines
 * parses in every spelling DESIGN §2.4 allows, the names Python lists for
 * other systems give EOPNOTSUPP, the failure injectors need their flag,
 * and the menu lists exactly what is accepted.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <mmapfs/mmapfs.h>

#include "test-util.h"

/*
 * The advice Linux defines, with the kernel's values (fixed ABI), in the
 * order the menu lists them. Written out here rather than taken from the
 * library so that a missing or renumbered entry fails.
 */
static const struct {
	const char *name;
	int value;
} linux_advice[] = {
	{ "normal", 0 },	    { "random", 1 },	       { "sequential", 2 },
	{ "willneed", 3 },	    { "dontneed", 4 },	       { "free", 8 },
	{ "remove", 9 },	    { "dontfork", 10 },	       { "dofork", 11 },
	{ "mergeable", 12 },	    { "unmergeable", 13 },     { "hugepage", 14 },
	{ "nohugepage", 15 },	    { "dontdump", 16 },	       { "dodump", 17 },
	{ "wipeonfork", 18 },	    { "keeponfork", 19 },      { "cold", 20 },
	{ "pageout", 21 },	    { "populate_read", 22 },   { "populate_write", 23 },
	{ "dontneed_locked", 24 }, { "collapse", 25 },
};

static const char *const python_only[] = {
	"nosync", "autosync", "nocore", "core", "protect", "free_reusable", "free_reuse",
};

static int
parse_ok (const char *text, MmapfsAdviceFlags flags)
{
	g_autoptr(GError) error = NULL;
	int advice = -1;

	g_assert_true (mmapfs_advice_from_string (text, strlen (text), flags, &advice, &error));
	g_assert_no_error (error);
	return advice;
}

static void
test_values_match_headers (void)
{
	/* Where the system headers know a value, the table must agree. */
	g_assert_cmpint (parse_ok ("normal", 0), ==, MADV_NORMAL);
	g_assert_cmpint (parse_ok ("random", 0), ==, MADV_RANDOM);
	g_assert_cmpint (parse_ok ("sequential", 0), ==, MADV_SEQUENTIAL);
	g_assert_cmpint (parse_ok ("willneed", 0), ==, MADV_WILLNEED);
	g_assert_cmpint (parse_ok ("dontneed", 0), ==, MADV_DONTNEED);
#ifdef MADV_FREE
	g_assert_cmpint (parse_ok ("free", 0), ==, MADV_FREE);
#endif
#ifdef MADV_REMOVE
	g_assert_cmpint (parse_ok ("remove", 0), ==, MADV_REMOVE);
#endif
#ifdef MADV_COLD
	g_assert_cmpint (parse_ok ("cold", 0), ==, MADV_COLD);
#endif
#ifdef MADV_PAGEOUT
	g_assert_cmpint (parse_ok ("pageout", 0), ==, MADV_PAGEOUT);
#endif
#ifdef MADV_POPULATE_READ
	g_assert_cmpint (parse_ok ("populate_read", 0), ==, MADV_POPULATE_READ);
#endif
#ifdef MADV_POPULATE_WRITE
	g_assert_cmpint (parse_ok ("populate_write", 0), ==, MADV_POPULATE_WRITE);
#endif
#ifdef MADV_COLLAPSE
	g_assert_cmpint (parse_ok ("collapse", 0), ==, MADV_COLLAPSE);
#endif
#ifdef MADV_HWPOISON
	g_assert_cmpint (parse_ok ("hwpoison", MMAPFS_ADVICE_ALLOW_HWPOISON), ==, MADV_HWPOISON);
#endif
#ifdef MADV_SOFT_OFFLINE
	g_assert_cmpint (parse_ok ("soft_offline", MMAPFS_ADVICE_ALLOW_HWPOISON), ==,
			 MADV_SOFT_OFFLINE);
#endif
}

static void
test_names_all_spellings (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (linux_advice); i++) {
		const char *name = linux_advice[i].name;
		g_autofree char *upper = g_ascii_strup (name, -1);
		g_autofree char *madv = g_strconcat ("MADV_", upper, NULL);
		g_autofree char *madv_lower = g_strconcat ("madv_", name, NULL);
		g_autofree char *python = g_strconcat ("mmap.MADV_", upper, NULL);
		g_autofree char *python_odd = g_strconcat ("MMAP.madv_", name, NULL);
		g_autofree char *mixed = g_strdup (name);

		/* Alternate the case of every other letter. */
		for (char *p = mixed; *p != '\0'; p += 2) {
			*p = g_ascii_toupper (*p);
			if (p[1] == '\0')
				break;
		}

		g_assert_cmpint (parse_ok (name, 0), ==, linux_advice[i].value);
		g_assert_cmpint (parse_ok (upper, 0), ==, linux_advice[i].value);
		g_assert_cmpint (parse_ok (madv, 0), ==, linux_advice[i].value);
		g_assert_cmpint (parse_ok (madv_lower, 0), ==, linux_advice[i].value);
		g_assert_cmpint (parse_ok (python, 0), ==, linux_advice[i].value);
		g_assert_cmpint (parse_ok (python_odd, 0), ==, linux_advice[i].value);
		g_assert_cmpint (parse_ok (mixed, 0), ==, linux_advice[i].value);
		g_assert_cmpstr (mmapfs_advice_to_string (linux_advice[i].value), ==, name);
	}
}

static void
test_not_terminated (void)
{
	g_autoptr(GError) error = NULL;
	const char buf[] = "willneedXYZ";
	int advice = -1;

	/* Only len bytes count; the rest of the buffer is not looked at. */
	g_assert_true (mmapfs_advice_from_string (buf, 8, 0, &advice, &error));
	g_assert_no_error (error);
	g_assert_cmpint (advice, ==, MADV_WILLNEED);

	g_assert_false (mmapfs_advice_from_string (buf, 9, 0, &advice, &error));
	assert_errno (error, EINVAL);
	g_assert_cmpint (advice, ==, MADV_WILLNEED);
}

static void
test_unknown (void)
{
	static const struct {
		const char *text;
		gsize len;
	} bad[] = {
#define S(s) { s, sizeof (s) - 1 }
		S (""),
		S ("madv_"),
		S ("MADV_"),
		S ("mmap.MADV_"),
		S ("mmap."),
		S ("mmap.willneed"),
		S ("madvwillneed"),
		S ("MADV_MADV_WILLNEED"),
		S ("madv_mmap.madv_willneed"),
		S ("will need"),
		S (" willneed"),
		S ("willneed "),
		S ("willneed\n"),
		S ("willneed\0"),
		S ("will\0need"),
		S ("populate-read"),
		S ("populateread"),
		S ("soft-offline"),
		S ("hwpoisons"),
		S ("normall"),
		S ("guard_install"),
		S ("\x01\x02"),
		S ("\xff"),
		S ("nosyn"),
#undef S
	};

	for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		int advice = 12345;

		g_test_message ("bad advice #%" G_GSIZE_FORMAT, i);
		g_assert_false (mmapfs_advice_from_string (bad[i].text, bad[i].len,
							   MMAPFS_ADVICE_ALLOW_HWPOISON, &advice,
							   &error));
		g_assert_cmpint (advice, ==, 12345);
		assert_errno (error, EINVAL);
	}
}

static void
test_unknown_message (void)
{
	g_autoptr(GError) error = NULL;
	int advice;

	g_assert_false (mmapfs_advice_from_string ("bogus", 5, 0, &advice, &error));
	g_assert_error (error, MMAPFS_ERROR, EINVAL);
	g_assert_nonnull (strstr (error->message, "\"bogus\""));
	g_clear_error (&error);

	/* Control bytes are escaped, so the sentence stays one clean line. */
	g_assert_false (mmapfs_advice_from_string ("a\nb\033", 4, 0, &advice, &error));
	g_assert_error (error, MMAPFS_ERROR, EINVAL);
	g_assert_nonnull (strstr (error->message, "\"a\\nb\\033\""));
	check_sentence (error);
}

static void
test_python_only (void)
{
	for (gsize i = 0; i < G_N_ELEMENTS (python_only); i++) {
		g_autofree char *upper = g_ascii_strup (python_only[i], -1);
		g_autofree char *madv = g_strconcat ("MADV_", upper, NULL);
		g_autofree char *python = g_strconcat ("mmap.MADV_", upper, NULL);
		const char *spellings[] = { python_only[i], upper, madv, python };

		for (gsize j = 0; j < G_N_ELEMENTS (spellings); j++) {
			g_autoptr(GError) error = NULL;
			int advice;

			g_assert_false (mmapfs_advice_from_string (spellings[j],
								   strlen (spellings[j]),
								   MMAPFS_ADVICE_ALLOW_HWPOISON,
								   &advice, &error));
			g_assert_error (error, MMAPFS_ERROR, EOPNOTSUPP);
			g_assert_nonnull (strstr (error->message, spellings[j]));
			assert_errno (error, EOPNOTSUPP);
		}
	}
}

static void
test_hwpoison (void)
{
	static const struct {
		const char *name;
		int value;
	} injectors[] = { { "hwpoison", 100 },
			  { "MADV_HWPOISON", 100 },
			  { "soft_offline", 101 },
			  { "mmap.MADV_SOFT_OFFLINE", 101 } };

	for (gsize i = 0; i < G_N_ELEMENTS (injectors); i++) {
		g_autoptr(GError) error = NULL;
		int advice = -1;

		g_assert_false (mmapfs_advice_from_string (injectors[i].name,
							   strlen (injectors[i].name),
							   MMAPFS_ADVICE_NONE, &advice, &error));
		g_assert_cmpint (advice, ==, -1);
		g_assert_error (error, MMAPFS_ERROR, EPERM);
		g_assert_nonnull (strstr (error->message, "allow_hwpoison"));
		assert_errno (error, EPERM);

		g_assert_cmpint (parse_ok (injectors[i].name, MMAPFS_ADVICE_ALLOW_HWPOISON), ==,
				 injectors[i].value);
	}
	g_assert_cmpstr (mmapfs_advice_to_string (100), ==, "hwpoison");
	g_assert_cmpstr (mmapfs_advice_to_string (101), ==, "soft_offline");
}

static void
test_to_string_unknown (void)
{
	static const int values[] = { -1, 5, 6, 7, 26, 99, 102, 103, 1000, G_MININT, G_MAXINT };

	for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
		g_assert_null (mmapfs_advice_to_string (values[i]));
}

static void
test_is_pattern (void)
{
	g_assert_true (mmapfs_advice_is_pattern (MADV_NORMAL));
	g_assert_true (mmapfs_advice_is_pattern (MADV_RANDOM));
	g_assert_true (mmapfs_advice_is_pattern (MADV_SEQUENTIAL));
	for (gsize i = 3; i < G_N_ELEMENTS (linux_advice); i++)
		g_assert_false (mmapfs_advice_is_pattern (linux_advice[i].value));
	g_assert_false (mmapfs_advice_is_pattern (100));
	g_assert_false (mmapfs_advice_is_pattern (-1));
}

/* Exactly the advice after which a cached copy of the bytes is stale. */
static void
test_discards (void)
{
	static const char *const discarding[] = {
		"dontneed", "free", "remove", "pageout",
	};
	static const int unknown[] = { -1, 5, 26, 99, 102, G_MININT, G_MAXINT };

	for (gsize i = 0; i < G_N_ELEMENTS (linux_advice); i++) {
		gboolean expected = g_strv_contains (discarding, linux_advice[i].name);

		g_assert_cmpint (mmapfs_advice_discards (linux_advice[i].value), ==, expected);
	}
	/* The failure injectors discard too, whatever the flags. */
	g_assert_true (mmapfs_advice_discards (100));
	g_assert_true (mmapfs_advice_discards (101));
	for (gsize i = 0; i < G_N_ELEMENTS (unknown); i++)
		g_assert_false (mmapfs_advice_discards (unknown[i]));
}

static void
test_menu_default (void)
{
	g_autofree char *menu = mmapfs_advice_menu (MADV_NORMAL, MMAPFS_ADVICE_NONE);

	g_assert_cmpstr (menu, ==,
			 "[normal] random sequential willneed dontneed free remove dontfork "
			 "dofork mergeable unmergeable hugepage nohugepage dontdump dodump "
			 "wipeonfork keeponfork cold pageout populate_read populate_write "
			 "dontneed_locked collapse");
}

static void
test_menu_pattern (void)
{
	static const struct {
		int pattern;
		const char *prefix;
	} cases[] = {
		{ MADV_NORMAL, "[normal] random sequential willneed " },
		{ MADV_RANDOM, "normal [random] sequential willneed " },
		{ MADV_SEQUENTIAL, "normal random [sequential] willneed " },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *menu = mmapfs_advice_menu (cases[i].pattern, 0);

		g_assert_true (g_str_has_prefix (menu, cases[i].prefix));
		/* Exactly one pair of brackets. */
		g_assert_null (strchr (strchr (menu, '[') + 1, '['));
		g_assert_null (strchr (strchr (menu, ']') + 1, ']'));
	}
}

static void
test_menu_hwpoison (void)
{
	g_autofree char *without = mmapfs_advice_menu (MADV_NORMAL, MMAPFS_ADVICE_NONE);
	g_autofree char *with = mmapfs_advice_menu (MADV_RANDOM, MMAPFS_ADVICE_ALLOW_HWPOISON);

	g_assert_null (strstr (without, "hwpoison"));
	g_assert_null (strstr (without, "soft_offline"));
	g_assert_true (g_str_has_suffix (with, " collapse hwpoison soft_offline"));
	g_assert_true (g_str_has_prefix (with, "normal [random] sequential "));
}

static void
test_menu_round_trip (void)
{
	static const MmapfsAdviceFlags flag_sets[] = { MMAPFS_ADVICE_NONE,
						       MMAPFS_ADVICE_ALLOW_HWPOISON };

	for (gsize f = 0; f < G_N_ELEMENTS (flag_sets); f++) {
		g_autofree char *menu = mmapfs_advice_menu (MADV_SEQUENTIAL, flag_sets[f]);
		g_auto(GStrv) words = g_strsplit (menu, " ", -1);
		gsize n = g_strv_length (words);

		g_assert_cmpuint (n, ==, G_N_ELEMENTS (linux_advice) + (f == 0 ? 0 : 2));
		g_assert_null (strstr (menu, "  "));
		g_assert_false (g_str_has_suffix (menu, " "));
		g_assert_null (strchr (menu, '\n'));

		for (gsize i = 0; i < n; i++) {
			const char *word = words[i];
			g_autofree char *bare = NULL;
			int advice;

			if (word[0] == '[') {
				g_assert_true (g_str_has_suffix (word, "]"));
				bare = g_strndup (word + 1, strlen (word) - 2);
			} else {
				bare = g_strdup (word);
			}
			/* Every listed advice is accepted, and names itself. */
			advice = parse_ok (bare, flag_sets[f]);
			g_assert_cmpstr (mmapfs_advice_to_string (advice), ==, bare);
			for (const char *p = bare; *p != '\0'; p++)
				g_assert_false (g_ascii_isupper (*p));
			if (i < G_N_ELEMENTS (linux_advice))
				g_assert_cmpstr (bare, ==, linux_advice[i].name);
		}
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/advice/from-string/headers", test_values_match_headers);
	g_test_add_func ("/advice/from-string/spellings", test_names_all_spellings);
	g_test_add_func ("/advice/from-string/not-terminated", test_not_terminated);
	g_test_add_func ("/advice/from-string/unknown", test_unknown);
	g_test_add_func ("/advice/from-string/unknown-message", test_unknown_message);
	g_test_add_func ("/advice/from-string/python-only", test_python_only);
	g_test_add_func ("/advice/from-string/hwpoison", test_hwpoison);
	g_test_add_func ("/advice/to-string/unknown", test_to_string_unknown);
	g_test_add_func ("/advice/is-pattern", test_is_pattern);
	g_test_add_func ("/advice/discards", test_discards);
	g_test_add_func ("/advice/menu/default", test_menu_default);
	g_test_add_func ("/advice/menu/pattern", test_menu_pattern);
	g_test_add_func ("/advice/menu/hwpoison", test_menu_hwpoison);
	g_test_add_func ("/advice/menu/round-trip", test_menu_round_trip);

	return g_test_run ();
}
