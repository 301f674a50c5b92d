/* SPDX-License-Identifier: MIT */
/*
 * The table of battery paths (SPEC.md 5.1-5.3): what batagg reads from every
 * member, which values are sane, and how it publishes them.  How they merge
 * by default is defaults.c's.
 */
#include "base/paths.h"

#include <glib.h>
#include <math.h>
#include <string.h>

/* One row per path reads best as a table. */
/* clang-format off */
#define NUM(p, u) { p, u, PUB_DOUBLE, DOMAIN_ANY, 0 }
#define LIMIT(p, u, d) { p, u, PUB_DOUBLE, d, 0 }
#define INT(p) { p, UNIT_NONE, PUB_INT, DOMAIN_ANY, 0 }
#define ALARM(p) INT(p)
#define TEXT(p, k) { p, UNIT_NONE, PUB_TEXT, DOMAIN_ANY, k }

const BatteryPath battery_paths[N_MEMBER_PATHS] = {
	[P_CURRENT] = NUM("/Dc/0/Current", UNIT_AMP),
	[P_VOLTAGE] = NUM("/Dc/0/Voltage", UNIT_VOLT),
	[P_POWER] = NUM("/Dc/0/Power", UNIT_WATT),
	[P_TEMPERATURE] = NUM("/Dc/0/Temperature", UNIT_NONE),
	[P_SOC] = NUM("/Soc", UNIT_PERCENT),
	[P_TIME_TO_GO] = NUM("/TimeToGo", UNIT_NONE),
	[P_CAPACITY] = NUM("/Capacity", UNIT_AH),
	[P_INSTALLED_CAPACITY] =
		{ "/InstalledCapacity", UNIT_AH, PUB_DOUBLE, DOMAIN_ABOVE_0, 0 },
	[P_CONSUMED_AH] = NUM("/ConsumedAmphours", UNIT_AH),
	[P_BALANCING] = INT("/Balancing"),
	[P_BATTERY_LOW_VOLTAGE] = NUM("/Info/BatteryLowVoltage", UNIT_VOLT),
	[P_ALLOW_TO_CHARGE] = INT("/Io/AllowToCharge"),
	[P_ALLOW_TO_DISCHARGE] = INT("/Io/AllowToDischarge"),
	[P_ALLOW_TO_BALANCE] = INT("/Io/AllowToBalance"),
	[P_MIN_CELL_TEMPERATURE] = NUM("/System/MinCellTemperature", UNIT_NONE),
	[P_MIN_TEMPERATURE_CELL_ID] =
		TEXT("/System/MinTemperatureCellId", P_MIN_CELL_TEMPERATURE),
	[P_MIN_CELL_VOLTAGE] = NUM("/System/MinCellVoltage", UNIT_VOLT),
	[P_MIN_VOLTAGE_CELL_ID] =
		TEXT("/System/MinVoltageCellId", P_MIN_CELL_VOLTAGE),
	[P_MAX_CELL_TEMPERATURE] = NUM("/System/MaxCellTemperature", UNIT_NONE),
	[P_MAX_TEMPERATURE_CELL_ID] =
		TEXT("/System/MaxTemperatureCellId", P_MAX_CELL_TEMPERATURE),
	[P_MAX_CELL_VOLTAGE] = NUM("/System/MaxCellVoltage", UNIT_VOLT),
	[P_MAX_VOLTAGE_CELL_ID] =
		TEXT("/System/MaxVoltageCellId", P_MAX_CELL_VOLTAGE),
	[P_MODULES_BLOCKING_CHARGE] = INT("/System/NrOfModulesBlockingCharge"),
	[P_MODULES_BLOCKING_DISCHARGE] =
		INT("/System/NrOfModulesBlockingDischarge"),
	[P_MODULES_ONLINE] = INT("/System/NrOfModulesOnline"),
	[P_MODULES_OFFLINE] = INT("/System/NrOfModulesOffline"),
	[P_ALARM_CELL_IMBALANCE] = ALARM("/Alarms/CellImbalance"),
	[P_ALARM_LOW_SOC] = ALARM("/Alarms/LowSoc"),
	[P_ALARM_HIGH_DISCHARGE_CURRENT] = ALARM("/Alarms/HighDischargeCurrent"),
	[P_ALARM_LOW_VOLTAGE] = ALARM("/Alarms/LowVoltage"),
	[P_ALARM_HIGH_VOLTAGE] = ALARM("/Alarms/HighVoltage"),
	[P_ALARM_LOW_CELL_VOLTAGE] = ALARM("/Alarms/LowCellVoltage"),
	[P_ALARM_HIGH_CELL_VOLTAGE] = ALARM("/Alarms/HighCellVoltage"),
	[P_ALARM_LOW_TEMPERATURE] = ALARM("/Alarms/LowTemperature"),
	[P_ALARM_HIGH_TEMPERATURE] = ALARM("/Alarms/HighTemperature"),
	[P_ALARM_LOW_CHARGE_TEMPERATURE] = ALARM("/Alarms/LowChargeTemperature"),
	[P_ALARM_HIGH_CHARGE_TEMPERATURE] = ALARM("/Alarms/HighChargeTemperature"),
	[P_ALARM_BMS_CABLE] = ALARM("/Alarms/BmsCable"),
	[P_ALARM_INTERNAL_FAILURE] = ALARM("/Alarms/InternalFailure"),
	[P_CHARGE_MODE] = TEXT("/Info/ChargeMode", 0),
	[P_CCL] = LIMIT("/Info/MaxChargeCurrent", UNIT_AMP, DOMAIN_CURRENT),
	[P_DCL] = LIMIT("/Info/MaxDischargeCurrent", UNIT_AMP, DOMAIN_CURRENT),
	[P_CVL] = LIMIT("/Info/MaxChargeVoltage", UNIT_VOLT, DOMAIN_VOLTAGE),
	[P_CUSTOM_NAME] = TEXT(PATH_CUSTOM_NAME, 0),
	[P_MEMBER_SERIES] = INT(PATH_BATTERIES_SERIES),
	[P_SERIAL] = TEXT(PATH_SERIAL, 0),
};
/* clang-format on */

/* Every incoming value is looked up here: by its length first (strnlen,
 * no hashing), then among the few paths of that length with memcmp. */
#define PATH_MAX_LEN 48

typedef struct {
	guint8 start[PATH_MAX_LEN + 2]; /* ids[start[n] .. start[n + 1]) have length n */
	guint8 ids[N_MEMBER_PATHS];
} PathIndex;

static void build_index(PathIndex *x)
{
	guint8 count[PATH_MAX_LEN + 2] = {0};
	guint8 at[PATH_MAX_LEN + 2];

	for (int i = 0; i < N_MEMBER_PATHS; i++) {
		size_t n = strlen(battery_paths[i].path);

		g_assert(n <= PATH_MAX_LEN);
		count[n + 1]++;
	}
	x->start[0] = 0;
	for (int n = 1; n <= PATH_MAX_LEN + 1; n++)
		x->start[n] = (guint8)(x->start[n - 1] + count[n]);
	memcpy(at, x->start, sizeof(at));
	for (int i = 0; i < N_MEMBER_PATHS; i++)
		x->ids[at[strlen(battery_paths[i].path)]++] = (guint8)i;
}

int paths_find(const char *path)
{
	static gsize once;
	static PathIndex index;
	size_t n = strnlen(path, PATH_MAX_LEN + 1);

	if (g_once_init_enter(&once)) {
		build_index(&index);
		g_once_init_leave(&once, 1);
	}
	if (n > PATH_MAX_LEN)
		return -1;
	for (guint8 k = index.start[n]; k < index.start[n + 1]; k++) {
		int id = index.ids[k];

		if (memcmp(path, battery_paths[id].path, n) == 0)
			return id;
	}
	return -1;
}

gboolean paths_sane(PathId id, const Value *v, Value *out)
{
	double x;

	*out = *v;
	/* Text where a number belongs is no number (cell ids may be numbers). */
	if (v->type == VALUE_TEXT && battery_paths[id].type != PUB_TEXT)
		*out = VALUE_INIT;
	if (!value_number(out, &x))
		return TRUE;

	if (!isfinite(x)) {
		*out = VALUE_INIT;
		return FALSE;
	}
	switch (battery_paths[id].domain) {
	case DOMAIN_CURRENT:
		if (x < 0 || x > LIMIT_MAX_AMPS)
			*out = value_double(x < 0 ? 0 : LIMIT_MAX_AMPS);
		break;
	case DOMAIN_VOLTAGE:
		if (x <= 0 || x > LIMIT_MAX_VOLTS)
			*out = VALUE_INIT;
		break;
	case DOMAIN_ABOVE_0:
		if (x <= 0)
			*out = VALUE_INIT;
		break;
	case DOMAIN_ANY:
		break;
	}
	return TRUE;
}

gboolean paths_sanitize(PathId id, Value *v)
{
	Value sane;
	gboolean finite = paths_sane(id, v, &sane);

	/* Text that stays is v's own; anything else replaces it. */
	if (sane.type != VALUE_TEXT) {
		value_clear(v);
		*v = sane;
	}
	return finite;
}

void paths_coerce(PathId id, Value *v)
{
	double x;

	switch (battery_paths[id].type) {
	case PUB_TEXT:
		if (v->type != VALUE_TEXT)
			*v = VALUE_INIT;
		break;
	case PUB_INT:
		if (!value_number(v, &x) || !isfinite(x) || fabs(x) > 9.0e15)
			*v = VALUE_INIT;
		else
			*v = value_int((int64_t)llround(x));
		break;
	case PUB_DOUBLE:
		if (!value_number(v, &x) || !isfinite(x))
			*v = VALUE_INIT;
		else
			*v = value_double(x);
		break;
	}
}
