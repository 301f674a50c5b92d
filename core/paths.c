/* SPDX-License-Identifier: MIT */
/*
 * The table of battery paths (SPEC.md 5.1-5.3): what batagg reads from every
 * member, how it merges them by default and how it publishes the result.
 */
#include "paths.h"

#include <glib.h>
#include <math.h>

/* One row per path reads best as a table. */
/* clang-format off */
#define NUM(p, u, pol) { p, u, PUB_DOUBLE, pol, 0 }
#define INT(p, pol) { p, UNIT_NONE, PUB_INT, pol, 0 }
#define ALARM(p) INT(p, "alarm")
#define LABEL(p, pol, k) { p, UNIT_NONE, PUB_TEXT, pol, k }

const BatteryPath battery_paths[N_MEMBER_PATHS] = {
	[P_CURRENT] = NUM("/Dc/0/Current", UNIT_AMP, "sum"),
	[P_VOLTAGE] = NUM("/Dc/0/Voltage", UNIT_VOLT, "mean"),
	[P_POWER] = NUM("/Dc/0/Power", UNIT_WATT, "sum"),
	[P_TEMPERATURE] = NUM("/Dc/0/Temperature", UNIT_NONE, "max"),
	[P_SOC] = NUM("/Soc", UNIT_PERCENT, "mean"),
	[P_TIME_TO_GO] = NUM("/TimeToGo", UNIT_NONE, "mean"),
	[P_CAPACITY] = NUM("/Capacity", UNIT_AH, "sum"),
	[P_INSTALLED_CAPACITY] = NUM("/InstalledCapacity", UNIT_AH, "sum"),
	[P_CONSUMED_AH] = NUM("/ConsumedAmphours", UNIT_AH, "sum"),
	[P_BALANCING] = INT("/Balancing", "any"),
	[P_BATTERY_LOW_VOLTAGE] = NUM("/Info/BatteryLowVoltage", UNIT_VOLT, "max"),
	[P_ALLOW_TO_CHARGE] = INT("/Io/AllowToCharge", "any"),
	[P_ALLOW_TO_DISCHARGE] = INT("/Io/AllowToDischarge", "any"),
	[P_ALLOW_TO_BALANCE] = INT("/Io/AllowToBalance", "any"),
	[P_MIN_CELL_TEMPERATURE] = NUM("/System/MinCellTemperature", UNIT_NONE, "min"),
	[P_MIN_TEMPERATURE_CELL_ID] =
		LABEL("/System/MinTemperatureCellId", "min_label", P_MIN_CELL_TEMPERATURE),
	[P_MIN_CELL_VOLTAGE] = NUM("/System/MinCellVoltage", UNIT_VOLT, "min"),
	[P_MIN_VOLTAGE_CELL_ID] =
		LABEL("/System/MinVoltageCellId", "min_label", P_MIN_CELL_VOLTAGE),
	[P_MAX_CELL_TEMPERATURE] = NUM("/System/MaxCellTemperature", UNIT_NONE, "max"),
	[P_MAX_TEMPERATURE_CELL_ID] =
		LABEL("/System/MaxTemperatureCellId", "max_label", P_MAX_CELL_TEMPERATURE),
	[P_MAX_CELL_VOLTAGE] = NUM("/System/MaxCellVoltage", UNIT_VOLT, "max"),
	[P_MAX_VOLTAGE_CELL_ID] =
		LABEL("/System/MaxVoltageCellId", "max_label", P_MAX_CELL_VOLTAGE),
	[P_MODULES_BLOCKING_CHARGE] = INT("/System/NrOfModulesBlockingCharge", "sum_or_zero"),
	[P_MODULES_BLOCKING_DISCHARGE] =
		INT("/System/NrOfModulesBlockingDischarge", "sum_or_zero"),
	[P_MODULES_ONLINE] = INT("/System/NrOfModulesOnline", "sum_or_zero"),
	[P_MODULES_OFFLINE] = INT("/System/NrOfModulesOffline", "sum_or_zero"),
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
	[P_CHARGE_MODE] = { "/Info/ChargeMode", UNIT_NONE, PUB_TEXT, "charge_mode", 0 },
	[P_CCL] = NUM("/Info/MaxChargeCurrent", UNIT_AMP, NULL),
	[P_DCL] = NUM("/Info/MaxDischargeCurrent", UNIT_AMP, NULL),
	[P_CVL] = NUM("/Info/MaxChargeVoltage", UNIT_VOLT, NULL),
	[P_CUSTOM_NAME] = { "/CustomName", UNIT_NONE, PUB_TEXT, NULL, 0 },
};
/* clang-format on */

/* Every incoming value is looked up here, so use a hash table built once. */
static GHashTable *build_index(void)
{
	GHashTable *index = g_hash_table_new(g_str_hash, g_str_equal);

	for (int i = 0; i < N_MEMBER_PATHS; i++)
		g_hash_table_insert(index, (gpointer)battery_paths[i].path, GINT_TO_POINTER(i + 1));
	return index;
}

int paths_find(const char *path)
{
	static gsize once;
	static GHashTable *index;

	if (g_once_init_enter(&once)) {
		index = build_index();
		g_once_init_leave(&once, 1);
	}
	return GPOINTER_TO_INT(g_hash_table_lookup(index, path)) - 1;
}

void paths_coerce(PathId id, Value *v)
{
	double x;

	switch (battery_paths[id].type) {
	case PUB_TEXT:
		if (v->type != VALUE_TEXT)
			value_clear(v);
		break;
	case PUB_INT:
		if (!value_number(v, &x) || !isfinite(x) || fabs(x) > 9.0e15)
			value_clear(v);
		else
			*v = value_int((int64_t)llround(x));
		break;
	case PUB_DOUBLE:
		if (!value_number(v, &x) || !isfinite(x))
			value_clear(v);
		else
			*v = value_double(x);
		break;
	}
}
