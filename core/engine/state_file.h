/* SPDX-License-Identifier: MIT */
/*
 * The state file: what the strategies have learned about each member (a
 * ratio method's save_member() text), kept across restarts.  One record
 * per member service name, with the /Serial it had ("" for none) and one
 * opaque text per strategy name.  A member that comes back with another
 * serial gets nothing, and its new state replaces the record.  Records of
 * members that are not there stay as they were (a battery that is off while
 * batagg restarts keeps what it had).
 *
 * On disk, JSON (state_format.h).  A file that is not that, whole (not
 * JSON, cut short, another format or version, a malformed record), is
 * refused whole: nothing of it is used.  Writing is atomic: a temporary
 * file in the same directory, fsync, rename, then fsync of the directory.
 * Pure: no D-Bus, no logging.
 */
#ifndef BATAGG_STATE_FILE_H
#define BATAGG_STATE_FILE_H

#include <glib.h>

#include "engine/state_format.h"

/* A state file larger than this is no state file of batagg's. */
#define STATE_FILE_MAX_BYTES (1024 * 1024)

typedef struct StateFile StateFile;

/* Returns (transfer full) an empty state. */
StateFile *state_file_new(void);
void state_file_free(StateFile *sf);

/* The state in len bytes of text; NULL with error set (saying why) when
 * the text is not a state file this batagg reads. */
StateFile *state_file_parse(const char *text, size_t len, GError **error);

/* The state in the file at path: an empty state when there is no file;
 * NULL with error set (starting with the path) when it cannot be read or
 * is refused. */
StateFile *state_file_load(const char *path, GError **error);

/* Returns (transfer full) the state as its file holds it. */
char *state_file_text(const StateFile *sf);

/* Writes the state to path atomically; FALSE with error set when it
 * cannot (the file is then as it was). */
gboolean state_file_write(StateFile *sf, const char *path, GError **error);

/* Whether the state changed since it was loaded or last written. */
gboolean state_file_dirty(const StateFile *sf);

/* The text strategy saved for the member service with that serial (""
 * for none), or NULL: none, or saved for another serial. */
const char *state_file_get(const StateFile *sf, const char *service, const char *serial,
                           const char *strategy);

/* The serial the record of service was saved with, or NULL when there is
 * none. */
const char *state_file_serial(const StateFile *sf, const char *service);

/* Keeps text (valid UTF-8) as what strategy saved for the member service
 * with serial; NULL forgets it.  A record of another serial is replaced
 * whole.  Returns whether anything changed. */
gboolean state_file_set(StateFile *sf, const char *service, const char *serial,
                        const char *strategy, const char *text);

/* Forgets the record of service, or every record (NULL).  Returns whether
 * anything changed. */
gboolean state_file_forget(StateFile *sf, const char *service);

/* The number of records, and the service name of record i (for tests and
 * messages). */
guint state_file_len(const StateFile *sf);
const char *state_file_service(const StateFile *sf, guint i);

#endif
