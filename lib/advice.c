/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The advice table: every madvise(2) advice that Linux and glibc define,
 * by its lower-case name, plus the names Python's mmap module lists for
 * other systems, so that `nosync` is told apart from a typo. The advise
 * node and mmapctl both parse names here, and the node's menu is printed
 * from the same table, so what is accepted and what is listed never drift.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "mmapfs-private.h"

/*
 * glibc's <sys/mman.h> lags behind the kernel (Debian 12's lacks
 * MADV_COLLAPSE and MADV_SOFT_OFFLINE), and <linux/mman.h> cannot be
 * included beside it without clashing definitions. The values below are
 * the kernel's ABI, fixed forever once released; a kernel older than the
 * advice answers EINVAL, which reaches the client unchanged (DESIGN §2.4).
 */
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef MADV_REMOVE
#define MADV_REMOVE 9
#endif
#ifndef MADV_DONTFORK
#define MADV_DONTFORK 10
#endif
#ifndef MADV_DOFORK
#define MADV_DOFORK 11
#endif
#ifndef MADV_MERGEABLE
#define MADV_MERGEABLE 12
#endif
#ifndef MADV_UNMERGEABLE
#define MADV_UNMERGEABLE 13
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif
#ifndef MADV_DONTDUMP
#define MADV_DONTDUMP 16
#endif
#ifndef MADV_DODUMP
#define MADV_DODUMP 17
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_KEEPONFORK
#define MADV_KEEPONFORK 19
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif

typedef struct {
	const char *name;
	int advice;
	/*
	 * Whether the advice changes what the range's bytes read back as (a
	 * private or anonymous range zeroed, a hole punched, a page poisoned)
	 * or evicts them, so that a cached copy of them is stale afterwards.
	 */
	gboolean discards;
} AdviceName;

/*
 * Every advice accepted without a flag, in the order of the menu: the
 * three access patterns first (the menu brackets one of them), then the
 * rest by value, which is the order of the kernel's header.
 *
 * MADV_GUARD_INSTALL and MADV_GUARD_REMOVE (Linux 6.13) are left out on
 * purpose: a guard region faults with SIGSEGV on any access, and the
 * daemon reads and writes every byte of its regions itself, so one
 * client's advice could take it down (DESIGN §3 forbids that).
 */
static const AdviceName advice_table[] = {
	{ "normal", MADV_NORMAL, FALSE },
	{ "random", MADV_RANDOM, FALSE },
	{ "sequential", MADV_SEQUENTIAL, FALSE },
	{ "willneed", MADV_WILLNEED, FALSE },
	{ "dontneed", MADV_DONTNEED, TRUE },
	{ "free", MADV_FREE, TRUE },
	{ "remove", MADV_REMOVE, TRUE },
	{ "dontfork", MADV_DONTFORK, FALSE },
	{ "dofork", MADV_DOFORK, FALSE },
	{ "mergeable", MADV_MERGEABLE, FALSE },
	{ "unmergeable", MADV_UNMERGEABLE, FALSE },
	{ "hugepage", MADV_HUGEPAGE, FALSE },
	{ "nohugepage", MADV_NOHUGEPAGE, FALSE },
	{ "dontdump", MADV_DONTDUMP, FALSE },
	{ "dodump", MADV_DODUMP, FALSE },
	{ "wipeonfork", MADV_WIPEONFORK, FALSE },
	{ "keeponfork", MADV_KEEPONFORK, FALSE },
	{ "cold", MADV_COLD, FALSE },
	{ "pageout", MADV_PAGEOUT, TRUE },
	{ "populate_read", MADV_POPULATE_READ, FALSE },
	{ "populate_write", MADV_POPULATE_WRITE, FALSE },
	{ "dontneed_locked", MADV_DONTNEED_LOCKED, FALSE },
	{ "collapse", MADV_COLLAPSE, FALSE },
};

/* Memory-failure injection: only with MMAPFS_ADVICE_ALLOW_HWPOISON. */
static const AdviceName hwpoison_table[] = {
	{ "hwpoison", MADV_HWPOISON, TRUE },
	{ "soft_offline", MADV_SOFT_OFFLINE, TRUE },
};

/*
 * Names Python's mmap module exports on other systems (the BSDs and
 * macOS). They are real advice there, so a user who writes one deserves
 * EOPNOTSUPP ("not here"), not the EINVAL of a misspelling.
 */
static const char *const python_only_names[] = {
	"nosync", "autosync", "nocore", "core", "protect", "free_reusable", "free_reuse",
};

/* Whether @len bytes at @text spell @name, ignoring ASCII case. */
static gboolean
name_equal (const char *name, const char *text, gsize len)
{
	/* A NUL byte in @text stops g_ascii_strncasecmp() with a difference. */
	return strlen (name) == len && g_ascii_strncasecmp (name, text, len) == 0;
}

static const AdviceName *
lookup (const AdviceName *table, gsize n_entries, const char *text, gsize len)
{
	for (gsize i = 0; i < n_entries; i++) {
		if (name_equal (table[i].name, text, len))
			return &table[i];
	}
	return NULL;
}

/* The table entry of an advice value, or NULL. */
static const AdviceName *
lookup_value (int advice)
{
	for (gsize i = 0; i < G_N_ELEMENTS (advice_table); i++) {
		if (advice_table[i].advice == advice)
			return &advice_table[i];
	}
	for (gsize i = 0; i < G_N_ELEMENTS (hwpoison_table); i++) {
		if (hwpoison_table[i].advice == advice)
			return &hwpoison_table[i];
	}
	return NULL;
}

/**
 * mmapfs_advice_from_string:
 * @name: (array length=len): the advice as a client wrote it; need not be
 *   NUL-terminated
 * @len: number of bytes at @name
 * @flags: %MMAPFS_ADVICE_ALLOW_HWPOISON to accept the failure injectors
 * @out_advice: (out): the MADV_* value
 * @error: return location for an error
 *
 * Looks up an advice by name. The match ignores ASCII case, and the name
 * may carry the prefix `MADV_` or `mmap.MADV_` (in any case), so
 * `willneed`, `MADV_WILLNEED` and `mmap.MADV_WILLNEED` are the same.
 *
 * Returns: %TRUE on success. On failure, %FALSE with:
 *   EINVAL for a name no system defines;
 *   EOPNOTSUPP for a name Python's mmap lists but Linux lacks (`nosync`,
 *   `autosync`, `nocore`, `core`, `protect`, `free_reusable`, `free_reuse`);
 *   EPERM for `hwpoison` and `soft_offline` without
 *   %MMAPFS_ADVICE_ALLOW_HWPOISON.
 */
gboolean
mmapfs_advice_from_string (const char *name, gsize len, MmapfsAdviceFlags flags, int *out_advice,
			   GError **error)
{
	const char *bare = name;
	gsize bare_len = len;
	const AdviceName *entry;
	g_autofree char *quoted = NULL;

	g_return_val_if_fail (name != NULL || len == 0, FALSE);
	g_return_val_if_fail (out_advice != NULL, FALSE);

	/* The long prefix first: "mmap.MADV_" does not start with "MADV_". */
	if (len >= 10 && g_ascii_strncasecmp (name, "mmap.madv_", 10) == 0) {
		bare = name + 10;
		bare_len = len - 10;
	} else if (len >= 5 && g_ascii_strncasecmp (name, "madv_", 5) == 0) {
		bare = name + 5;
		bare_len = len - 5;
	}

	entry = lookup (advice_table, G_N_ELEMENTS (advice_table), bare, bare_len);
	if (entry != NULL) {
		*out_advice = entry->advice;
		return TRUE;
	}

	quoted = mmapfs_quote (name, len);

	entry = lookup (hwpoison_table, G_N_ELEMENTS (hwpoison_table), bare, bare_len);
	if (entry != NULL) {
		if (!(flags & MMAPFS_ADVICE_ALLOW_HWPOISON)) {
			mmapfs_set_error (error, EPERM,
					  "advice %s injects memory failures and is refused "
					  "unless allow_hwpoison is set",
					  quoted);
			return FALSE;
		}
		*out_advice = entry->advice;
		return TRUE;
	}

	for (gsize i = 0; i < G_N_ELEMENTS (python_only_names); i++) {
		if (name_equal (python_only_names[i], bare, bare_len)) {
			mmapfs_set_error (error, EOPNOTSUPP,
					  "advice %s exists in Python's mmap on other systems "
					  "but not on Linux",
					  quoted);
			return FALSE;
		}
	}

	mmapfs_set_error (error, EINVAL,
			  "unknown advice %s: use a name such as willneed or MADV_DONTNEED",
			  quoted);
	return FALSE;
}

/**
 * mmapfs_advice_to_string:
 * @advice: a MADV_* value
 *
 * Names an advice the way the menu and `info` print it. The failure
 * injectors are named whatever the flags, since a region may report the
 * advice it was given.
 *
 * Returns: (transfer none) (nullable): the lower-case name without prefix,
 *   such as "willneed", or %NULL for a value not in the table
 */
const char *
mmapfs_advice_to_string (int advice)
{
	const AdviceName *entry = lookup_value (advice);

	return entry != NULL ? entry->name : NULL;
}

/**
 * mmapfs_advice_is_pattern:
 * @advice: a MADV_* value
 *
 * Tells whether @advice sets the access pattern (normal, random or
 * sequential): the one piece of advice a region remembers and re-applies
 * after a resize, and the one the menu shows in brackets.
 *
 * Returns: %TRUE for MADV_NORMAL, MADV_RANDOM and MADV_SEQUENTIAL
 */
gboolean
mmapfs_advice_is_pattern (int advice)
{
	return advice == MADV_NORMAL || advice == MADV_RANDOM || advice == MADV_SEQUENTIAL;
}

/**
 * mmapfs_advice_discards:
 * @advice: a MADV_* value
 *
 * Tells whether @advice discards what the range held, as far as a cache
 * of its bytes is concerned: it zeroes a private or anonymous range
 * (`dontneed`, `free`), punches a hole (`remove`), evicts the pages
 * (`pageout`) or poisons them (`hwpoison`, `soft_offline`). A server
 * that lets a kernel cache the bytes must drop that cache afterwards.
 *
 * Returns: %TRUE for those, %FALSE for other advice and unknown values
 */
gboolean
mmapfs_advice_discards (int advice)
{
	const AdviceName *entry = lookup_value (advice);

	return entry != NULL && entry->discards;
}

/**
 * mmapfs_advice_menu:
 * @pattern: the access pattern in effect (normal, random or sequential)
 * @flags: %MMAPFS_ADVICE_ALLOW_HWPOISON to list the failure injectors
 *
 * Builds the line the advise node reads back, in the manner of
 * /sys/block/DEV/queue/scheduler: every advice this build accepts with
 * @flags, in lower case, separated by single spaces, with @pattern in
 * brackets: `[normal] random sequential willneed dontneed ...`. The access
 * patterns come first, in that order.
 *
 * Returns: (transfer full): the line, without a trailing newline; %NULL
 *   if @pattern is not an access pattern (a programmer error)
 */
char *
mmapfs_advice_menu (int pattern, MmapfsAdviceFlags flags)
{
	GString *menu;

	g_return_val_if_fail (mmapfs_advice_is_pattern (pattern), NULL);

	menu = g_string_new (NULL);
	for (gsize i = 0; i < G_N_ELEMENTS (advice_table); i++) {
		if (i > 0)
			g_string_append_c (menu, ' ');
		if (advice_table[i].advice == pattern)
			g_string_append_printf (menu, "[%s]", advice_table[i].name);
		else
			g_string_append (menu, advice_table[i].name);
	}
	if (flags & MMAPFS_ADVICE_ALLOW_HWPOISON) {
		for (gsize i = 0; i < G_N_ELEMENTS (hwpoison_table); i++) {
			g_string_append_c (menu, ' ');
			g_string_append (menu, hwpoison_table[i].name);
		}
	}
	return g_string_free (menu, FALSE);
}
