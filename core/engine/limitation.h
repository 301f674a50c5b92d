/* SPDX-License-Identifier: MIT */
/*
 * The limitation texts (/Info/ChargeLimitation, /Info/DischargeLimitation,
 * /Info/ChargeVoltageLimitation): why the published CCL, DCL and CVL are
 * what they are, in one short line a user reads in the GUI.  Pure
 * formatting; README "Limits users can read" lists every form.
 */
#ifndef BATAGG_LIMITATION_H
#define BATAGG_LIMITATION_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/limits.h"

typedef struct {
	bool discharge;
	BataggNum result;          /* the published limit */
	const LimitWhy *why;       /* what limits_current() said */
	const char *const *labels; /* each member's name, as indexed in why */
	bool user;                 /* the DVCC user limit is the published one
	                            * (or, invalid, the one cclMode dvcc asks) */
	size_t present, expected;  /* members; expectedBatteries (0: none) */
	bool primary;              /* a primary service's value replaced it */
	/* The bank's allow flag is 0, so the limit is 0 where the members'
	 * limits gave more (systemcalc heeds only the limit). */
	bool refused;
	/* Per member, as labels: the limiter whose cap is its limit, and what
	 * decided it ("3.58 V"), or NULL (both may be NULL: no limiters). */
	const char *const *capped_by;
	const char *const *cap_why;
	/* A limiter's bank cap is the limit: its name and what it said. */
	const char *bank_by, *bank_why;
} CurrentLimitation;

/* "Rack B 100 A × 2.66 (ir)", "Rack B 52 A cap (cell_voltage: 3.58 V) ×
 * 2.00 (count)", "Rack A refuses; Rack B 50 A × 1.00
 * (count)", "DVCC limit 150 A", "AllowToCharge 0 (Rack A refuses)", "all
 * batteries refuse charge", "no battery reports a limit", "primary service
 * 80 A", each after "2 of 3 batteries; " while some are missing.  Returns
 * (transfer full) the text. */
char *limitation_current(const CurrentLimitation *l);

typedef struct {
	BataggNum result;          /* the published CVL */
	const BataggNum *cvl;      /* the members' CVLs */
	const char *const *labels; /* their names */
	size_t n;
	const char *mode;    /* the CVL mode's name */
	BataggNum balancing; /* the bank's /Balancing */
	bool user;           /* the DVCC user cap is the published CVL */
	size_t expected;     /* expectedBatteries (0: none) */
	bool primary;        /* a primary service's value replaced it */
	/* As CurrentLimitation's. */
	const char *const *capped_by, *const *cap_why;
	const char *bank_by, *bank_why;
} VoltageLimitation;

/* "Rack C 55.20 V (max_when_balancing, not balancing)", "DVCC limit
 * 54.00 V", "55.10 V (fixed)" when no member has it, "no battery reports a
 * charge voltage"; after "2 of 3 batteries; " as above. */
char *limitation_voltage(const VoltageLimitation *l);

/* What a text was made of, kept so that it is made again only when that
 * changed: formatting costs more than comparing. */
#define LIMITATION_KEY_MAX 512
typedef struct {
	size_t len;
	bool valid; /* false: no text made yet, or its key did not fit */
	unsigned char bytes[LIMITATION_KEY_MAX];
} LimitationKey;

/* Whether the text of l would differ from the one made when *key was
 * kept (exactly: every input the text reads is in the key); *key becomes
 * l's.  A key that does not fit always differs. */
bool limitation_current_changed(const CurrentLimitation *l, LimitationKey *key);
bool limitation_voltage_changed(const VoltageLimitation *l, LimitationKey *key);

#endif
