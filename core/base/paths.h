/* SPDX-License-Identifier: MIT */
/*
 * The battery paths batagg reads from members and publishes, with each one's
 * unit, published type and sane values (SPEC.md 3, 5.1-5.3).  The
 * index of a path in battery_paths[] is its PathId everywhere in the core.
 */
#ifndef BATAGG_PATHS_H
#define BATAGG_PATHS_H

#include <glib.h>

#include "base/value.h"

/* Paths of a battery service's identity, read and published outside the
 * table. */
#define PATH_CUSTOM_NAME "/CustomName"
#define PATH_DEVICE_INSTANCE "/DeviceInstance"
/* Published by every battery service batagg makes, and read from members
 * (a series battery's module count). */
#define PATH_BATTERIES_SERIES "/System/BatteriesSeries"
/* Read from members: a member gets the state saved for it only when it
 * comes back with the serial it had (state_file.h). */
#define PATH_SERIAL "/Serial"

typedef enum {

	P_CURRENT = 0,
	P_VOLTAGE,
	P_POWER,
	P_TEMPERATURE,
	P_SOC,
	P_TIME_TO_GO,
	P_CAPACITY,
	P_INSTALLED_CAPACITY,
	P_CONSUMED_AH,
	P_BALANCING,
	P_BATTERY_LOW_VOLTAGE,
	P_ALLOW_TO_CHARGE,
	P_ALLOW_TO_DISCHARGE,
	P_ALLOW_TO_BALANCE,
	P_MIN_CELL_TEMPERATURE,
	P_MIN_TEMPERATURE_CELL_ID,
	P_MIN_CELL_VOLTAGE,
	P_MIN_VOLTAGE_CELL_ID,
	P_MAX_CELL_TEMPERATURE,
	P_MAX_TEMPERATURE_CELL_ID,
	P_MAX_CELL_VOLTAGE,
	P_MAX_VOLTAGE_CELL_ID,
	P_MODULES_BLOCKING_CHARGE,
	P_MODULES_BLOCKING_DISCHARGE,
	P_MODULES_ONLINE,
	P_MODULES_OFFLINE,
	P_ALARM_CELL_IMBALANCE,
	P_ALARM_LOW_SOC,
	P_ALARM_HIGH_DISCHARGE_CURRENT,
	P_ALARM_LOW_VOLTAGE,
	P_ALARM_HIGH_VOLTAGE,
	P_ALARM_LOW_CELL_VOLTAGE,
	P_ALARM_HIGH_CELL_VOLTAGE,
	P_ALARM_LOW_TEMPERATURE,
	P_ALARM_HIGH_TEMPERATURE,
	P_ALARM_LOW_CHARGE_TEMPERATURE,
	P_ALARM_HIGH_CHARGE_TEMPERATURE,
	P_ALARM_BMS_CABLE,        /* also raised for a series battery's missing module */
	P_ALARM_INTERNAL_FAILURE, /* also raised by a config problem (startup.h) */
	P_CHARGE_MODE,
	P_CCL,
	P_DCL,
	P_CVL,
	N_BATTERY_PATHS,                 /* the merged battery paths end here */
	P_CUSTOM_NAME = N_BATTERY_PATHS, /* read from members for labels only */
	P_MEMBER_SERIES,                 /* a member's PATH_BATTERIES_SERIES */
	P_SERIAL,                        /* a member's PATH_SERIAL */
	N_MEMBER_PATHS,
} PathId;

typedef enum {
	PUB_DOUBLE = 0, /* published as "d" */
	PUB_INT,        /* published as "i" */
	PUB_TEXT,       /* published as "s" */
} PubType;

/* No limit is taken or published above these: a battery that reports more
 * reports nonsense, and the products limit_i * r_i must stay finite. */
#define LIMIT_MAX_AMPS 1.0e6
#define LIMIT_MAX_VOLTS 1.0e4

/* What values of a path are sane (SPEC 3, "Values from the bus"). */
typedef enum {
	DOMAIN_ANY = 0, /* every finite number */
	DOMAIN_CURRENT, /* a current limit: below 0 counts as 0 (it refuses), above
	                 * LIMIT_MAX_AMPS as LIMIT_MAX_AMPS */
	DOMAIN_VOLTAGE, /* a voltage limit: invalid unless in (0, LIMIT_MAX_VOLTS] */
	DOMAIN_ABOVE_0, /* a capacity: 0 or less is invalid */
} Domain;

typedef struct {
	const char *path;
	Unit unit;
	PubType type;
	Domain domain;
	/* For the extreme-cell ids: the path whose extreme picks the member. */
	PathId key;
} BatteryPath;

extern const BatteryPath battery_paths[N_MEMBER_PATHS];

/* The PathId of a member path, or -1. */
int paths_find(const char *path);

/* *out becomes the sane value of v for the path, as paths_sanitize()
 * makes it, without copying or freeing anything: text in *out is v's
 * (borrowed).  Returns FALSE when v was a non-finite number. */
gboolean paths_sane(PathId id, const Value *v, Value *out);

/* Makes v a sane value of the path: a non-finite number, or text on a path
 * of numbers, becomes invalid (like an empty value), and the path's domain
 * rule applies.  Returns FALSE when v was a non-finite number. */

gboolean paths_sanitize(PathId id, Value *v);

/* v converted to the path's published type (an int path gets a rounded
 * integer, a double path a double; text stays text; a number on a text path
 * or text on a number path becomes invalid).  Frees nothing: v's text may
 * be borrowed (text that goes is not freed). */
void paths_coerce(PathId id, Value *v);

#endif
