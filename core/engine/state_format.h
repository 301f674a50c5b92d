/* SPDX-License-Identifier: MIT */
/*
 * The state file's format: its records, and their JSON text both ways.
 * One record per member service name, with the /Serial it had ("" for
 * none) and one opaque text per strategy name.  On disk:
 *
 *	{"format": "batagg-state", "version": 1,
 *	 "members": [{"service": "com.victronenergy.battery.ttyS1",
 *	              "serial": "HQ2203ABCDE",
 *	              "strategies": {"ir": "ir 1 r=0.0081 ..."}}]}
 *
 * A text that is not that, whole (not JSON, cut short, another format or
 * version, a malformed record), is refused whole.  What the records mean,
 * and the file they are kept in, are state_file.c's.  Pure: no D-Bus, no
 * files, no logging.
 */
#ifndef BATAGG_STATE_FORMAT_H
#define BATAGG_STATE_FORMAT_H

#include <glib.h>

#define STATE_FILE_FORMAT "batagg-state"
#define STATE_FILE_VERSION 1

#define BATAGG_STATE_ERROR (state_format_error_quark())
GQuark state_format_error_quark(void);

typedef enum {
	BATAGG_STATE_ERROR_CORRUPT, /* not JSON, cut short, or a malformed record */
	BATAGG_STATE_ERROR_FOREIGN, /* JSON, but not a state file of batagg's */
	BATAGG_STATE_ERROR_VERSION, /* a state file of another version */
} BataggStateError;

/* One strategy's text. */
typedef struct {
	char *strategy;
	char *text;
} StateSaved;

/* One member's record. */
typedef struct {
	char *service;
	char *serial;
	GArray *saved; /* StateSaved, in the order first saved */
} StateRecord;

/* Returns (transfer full) a record with nothing saved; free with
 * state_format_record_free() (a GDestroyNotify). */
StateRecord *state_format_record_new(const char *service, const char *serial);
void state_format_record_free(gpointer record);

/* Returns (transfer full) the records in len bytes of text, in its order,
 * as a GPtrArray of StateRecord * that frees them; NULL with error set
 * (a BATAGG_STATE_ERROR whose message starts with origin, or the JSON
 * parser's first problem) when the text is not a state file this batagg
 * reads. */
GPtrArray *state_format_parse(const char *text, size_t len, const char *origin, GError **error);

/* Returns (transfer full) the text of a state file holding records
 * (StateRecord *). */
char *state_format_text(const GPtrArray *records);

#endif
