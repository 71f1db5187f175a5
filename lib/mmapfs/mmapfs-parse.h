/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers for the text that clients write into a mount: numbers with hex
 * and binary suffixes, mapping names, escaped paths, `.control` command
 * lines, the `--map`/`--anon` option values, and the lines written to the
 * size, advise, flush, move and lock nodes (DESIGN §2).
 *
 * All of them are pure functions over a byte buffer of explicit length
 * (which need not be NUL-terminated and may contain NUL bytes): they touch
 * no region and no file, so they can be unit-tested and fuzzed alone.
 * Errors are MMAPFS_ERROR with the errno and sentence of DESIGN §3.
 */
#pragma once

#if !defined(MMAPFS_INSIDE) && !defined(MMAPFS_COMPILATION)
#error "Only <mmapfs/mmapfs.h> can be included directly."
#endif

#include "mmapfs-types.h"
#include "mmapfs-advice.h"

G_BEGIN_DECLS

/*
 * The longest line a `.control` or node write may hold: room for a
 * PATH_MAX path whose every byte needs a four-byte `\ooo` escape, plus the
 * verb, the name and the options.
 */
#define MMAPFS_LINE_MAX 20480

/* Longest mapping name, as NAME_MAX. */
#define MMAPFS_NAME_MAX 255

MMAPFS_EXPORT gboolean mmapfs_parse_number (const char *text, gsize len, guint64 *out_value,
					    GError **error);
MMAPFS_EXPORT gboolean mmapfs_name_validate (const char *name, gsize len, GError **error);
MMAPFS_EXPORT char *mmapfs_path_escape (const char *path);
MMAPFS_EXPORT char *mmapfs_path_unescape (const char *text, gsize len, GError **error);

/**
 * MmapfsCommandKind:
 * @MMAPFS_COMMAND_NONE: a blank or comment line: nothing to do
 * @MMAPFS_COMMAND_MAP: `map NAME PATH [access=...] [offset=N] [length=N]`
 * @MMAPFS_COMMAND_ANON: `anon NAME SIZE`
 * @MMAPFS_COMMAND_UNMAP: `unmap NAME`
 */
typedef enum {
	MMAPFS_COMMAND_NONE,
	MMAPFS_COMMAND_MAP,
	MMAPFS_COMMAND_ANON,
	MMAPFS_COMMAND_UNMAP,
} MmapfsCommandKind;

/**
 * MmapfsCommand:
 * @kind: what the line asks for
 * @name: (nullable): the mapping's name (validated)
 * @path: (nullable): for map, the unescaped path (raw bytes, NUL-terminated)
 * @access: for map, the access mode (default %MMAPFS_ACCESS_WRITE)
 * @offset: for map, the file offset (checked later against the page size)
 * @length: for map, the length (0 = to the end of the file); for anon, the size
 *
 * One parsed `.control` line. Clear with mmapfs_command_clear(), or
 * declare it `g_auto (MmapfsCommand) cmd = { 0 };` to have it cleared at
 * the end of its scope.
 */
typedef struct {
	MmapfsCommandKind kind;
	char *name;
	char *path;
	MmapfsAccess access;
	guint64 offset;
	guint64 length;
} MmapfsCommand;

MMAPFS_EXPORT gboolean mmapfs_command_parse (const char *line, gsize len, MmapfsCommand *out_cmd,
					     GError **error);
MMAPFS_EXPORT gboolean mmapfs_command_parse_option (MmapfsCommandKind kind, const char *spec,
						    MmapfsCommand *out_cmd, GError **error);
MMAPFS_EXPORT char *mmapfs_command_format (const MmapfsCommand *cmd);
MMAPFS_EXPORT void mmapfs_command_clear (MmapfsCommand *cmd);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MmapfsCommand, mmapfs_command_clear)

/**
 * MmapfsAdviseRequest:
 * @advice: the MADV_* value
 * @start: first byte (default 0)
 * @length: number of bytes, when @has_length
 * @has_length: whether LENGTH was given (otherwise: to the end)
 *
 * A parsed `ADVICE [START [LENGTH]]` line.
 */
typedef struct {
	int advice;
	guint64 start;
	guint64 length;
	gboolean has_length;
} MmapfsAdviseRequest;

/**
 * MmapfsFlushRequest:
 * @offset: first byte (0 for an empty line)
 * @size: number of bytes, when @has_size
 * @has_size: whether SIZE was given (otherwise: to the end)
 * @flags: sync, async or invalidate
 *
 * A parsed `[OFFSET [SIZE [async|invalidate]]]` line.
 */
typedef struct {
	guint64 offset;
	guint64 size;
	gboolean has_size;
	MmapfsFlushFlags flags;
} MmapfsFlushRequest;

/**
 * MmapfsMoveRequest:
 * @dest: destination offset
 * @src: source offset
 * @count: bytes to move
 *
 * A parsed `DEST SRC COUNT` line.
 */
typedef struct {
	guint64 dest;
	guint64 src;
	guint64 count;
} MmapfsMoveRequest;

MMAPFS_EXPORT gboolean mmapfs_parse_size_line (const char *buf, gsize len, guint64 *out_size,
					       GError **error);
MMAPFS_EXPORT gboolean mmapfs_parse_lock_line (const char *buf, gsize len, gboolean *out_lock,
					       GError **error);
MMAPFS_EXPORT gboolean mmapfs_parse_advise_line (const char *buf, gsize len,
						 MmapfsAdviceFlags flags,
						 MmapfsAdviseRequest *out_request, GError **error);
MMAPFS_EXPORT gboolean mmapfs_parse_flush_line (const char *buf, gsize len,
						MmapfsFlushRequest *out_request, GError **error);
MMAPFS_EXPORT gboolean mmapfs_parse_move_line (const char *buf, gsize len,
					       MmapfsMoveRequest *out_request, GError **error);

G_END_DECLS
