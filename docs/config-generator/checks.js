/* SPDX-License-Identifier: MIT */
/*
 * What batagg --check-config refuses beyond the JSON Schema (the keys and
 * their relations in core/config/keys.c and core/config/relations.c, values in core/config/values.c,
 * strategies and hooks in core/strategies/strategies.c), so that the page's verdict is
 * batagg's:
 *   - a virtual battery or a series battery (string) with the aggregate's
 *     own (configured) name, one that lists itself or the aggregate, and
 *     virtual batteries that list each other in a loop;
 *   - a string's modules: none (an empty array), or one listed twice; a
 *     module in two strings, or in a string and a virtual battery; a
 *     string that lists, or is listed by, a virtual battery or string; a
 *     name both a virtual battery and a string;
 *   - a duplicate key the form produced (two rows with one name);
 *   - whole numbers written with a fraction or exponent ("30.0"), or too big;
 *   - a name in expectedBatteries that is no service batagg publishes (the
 *     aggregate's name, a virtual or series battery it keeps);
 *   - a capacity, or a number in options, too big to be a number (1e999);
 *   - options a hook refuses, for the hooks virtual batteries use.
 *   - a strategy name (CVL mode, current ratio method, merge policy, a name
 *     in strategyOptions, a series merge policy) that no built-in plugin
 *     provides, when pluginDirectory is not set;
 *   - an array or null anywhere in a strategy's options (in batagg's words;
 *     the schema says it too, but not inside options it refuses whole);
 *   - ir's options given both in "ir" and in strategyOptions.
 *   - a limiter listed twice in limiters, or one no built-in plugin
 *     provides (without pluginDirectory);
 *   - options the built-in limiters (cell_voltage, temperature) refuse, as
 *     their create() refuses them (the first, at the option it names, in
 *     its words: plugins/cell_voltage/cell_voltage.c,
 *     plugins/temperature/temperature.c), whether listed in limiters or
 *     not (batagg creates every strategy strategyOptions names).
 * And warnings, which do not change the verdict.  batagg's (keyword
 * "batagg"; it accepts the config and warns):
 *   - a name no battery service can have (not a bus name after
 *     "com.victronenergy.battery.", or, in the Python daemon's keys, any
 *     other text), in a list of services to match: excludedServices,
 *     primaryServices, auxiliaryServices, a virtual battery's members, a
 *     string's modules.  It can never match a service, and matches nothing;
 *   - a name listed twice in primaryServices, auxiliaryServices or a
 *     virtual battery's members (the first counts);
 *   - a service both excluded and primary, auxiliary, a virtual member or
 *     a string's module;
 *   - a path batagg does not merge, in a list of paths (of primaryServices,
 *     auxiliaryServices, virtualBatteries) or as a key of mergePolicies or
 *     seriesMergePolicies, and a merge policy for a limit (in mergePolicies):
 *     ignored, so the schema's problems with its value do not count either.
 * The page's own notes (keyword "note"): such strategy names when
 * pluginDirectory is set (they need a plugin from there, which the page
 * cannot see), options of a hook no virtual battery uses.
 *
 * check(tree) returns {errors: [...], warnings: [...]} in validate.js's form,
 * and ignored: the instance paths batagg ignores (its problems are none).
 */
(function () {
  "use strict";

  var PREFIX = "com.victronenergy.battery.";
  var DEFAULT_SERVICE = PREFIX + "aggregator";
  var INT_MAX = 2147483647;

  /* The battery paths batagg merges (SPEC 5.1-5.3), in core/base/paths.c's
   * order (its battery_paths up to N_BATTERY_PATHS; "did you mean" takes the
   * first nearest in this order): merged by a policy (core/config/defaults.c), then
   * the limits, which have rules of their own.  The browser tests hold both
   * lists to those files. */
  var MERGED_PATHS = [
    "/Dc/0/Current", "/Dc/0/Voltage", "/Dc/0/Power", "/Dc/0/Temperature", "/Soc", "/TimeToGo",
    "/Capacity", "/InstalledCapacity", "/ConsumedAmphours", "/Balancing", "/Info/BatteryLowVoltage",
    "/Io/AllowToCharge", "/Io/AllowToDischarge", "/Io/AllowToBalance",
    "/System/MinCellTemperature", "/System/MinTemperatureCellId",
    "/System/MinCellVoltage", "/System/MinVoltageCellId",
    "/System/MaxCellTemperature", "/System/MaxTemperatureCellId",
    "/System/MaxCellVoltage", "/System/MaxVoltageCellId",
    "/System/NrOfModulesBlockingCharge", "/System/NrOfModulesBlockingDischarge",
    "/System/NrOfModulesOnline", "/System/NrOfModulesOffline",
    "/Alarms/CellImbalance", "/Alarms/LowSoc", "/Alarms/HighDischargeCurrent", "/Alarms/LowVoltage",
    "/Alarms/HighVoltage", "/Alarms/LowCellVoltage", "/Alarms/HighCellVoltage",
    "/Alarms/LowTemperature", "/Alarms/HighTemperature", "/Alarms/LowChargeTemperature",
    "/Alarms/HighChargeTemperature", "/Alarms/BmsCable", "/Alarms/InternalFailure", "/Info/ChargeMode"
  ];
  var LIMIT_PATHS = ["/Info/MaxChargeCurrent", "/Info/MaxDischargeCurrent", "/Info/MaxChargeVoltage"];

  /* The strategies of the built-in plugins, with what each does. */
  var RATIO_METHODS = {
    ir: "in proportion to each battery's estimated internal resistance (falls back to capacity, then count)",
    capacity: "in proportion to each battery's /InstalledCapacity (falls back to count)",
    count: "equal shares: the bank current divided by the number of batteries"
  };
  var CVL_MODES = {
    max_when_balancing: "the highest battery CVL while any battery balances, else the lowest",
    min_when_balancing: "always the lowest battery CVL",
    max_always: "always the highest battery CVL",
    max_when_floating: "the highest battery CVL while the bank floats, else the lowest",
    dvcc: "your DVCC charge voltage limit alone",
    bulk_until_all_float: "the lowest CVL of the batteries in bulk or absorption, until every battery floats; then the lowest of all"
  };
  /* The built-in limiters (README "Protection from cells and temperatures"). */
  var LIMITERS = {
    cell_voltage: "caps each battery's CCL, DCL and CVL by its highest and lowest cell voltage",
    temperature: "caps each battery's CCL and DCL by its coldest and hottest cell"
  };
  var MERGE_POLICIES = {
    sum: "sum of the valid values; invalid if none",
    sum_or_zero: "sum of the valid values; 0 if none (counts)",
    mean: "arithmetic mean of the valid values",
    capacity_weighted_mean: "mean weighted by /InstalledCapacity",
    available_mean: "mean of the batteries that allow discharge (of all when none does)",
    capacity_time_to_go: "the batteries' mean; when none has one, remaining Ah / discharge current",
    min: "smallest valid value",
    max: "largest valid value",
    any: "1 when any battery says 1 (flags); invalid if none",
    all: "0 when any battery says 0 (flags: every battery must allow); invalid if none",
    alarm: "highest alarm level (0 ok, 1 warning, 2 alarm); 0 if none",
    charge_mode: "Bulk/Absorption/Float, with Transition when batteries differ",
    min_label: "the battery with the lowest key value names the cell",
    max_label: "the battery with the highest key value names the cell",
    first: "the first valid value in precedence order"
  };
  var HOOKS = ["hooks.FixedValueHook", "hooks.CustomChargingHook", "hooks.TemperatureChargingHook"];
  /* The built-in strategies that take options (batagg --list-strategies):
   * option -> what it does.  The others take none. */
  var STRATEGY_OPTIONS = {
    ir: {
      maxPercentageError: "largest relative error of a fit that is accepted (> 0; default 0.1, i.e. 10 %)",
      minVoltageChange: "volts a voltage sample must differ from the last kept one to count (>= 0; default 0.02)"
    },
    /* plugins/cell_voltage/cell_voltage.c's help, and limiterProblem(). */
    cell_voltage: {
      chargeTable: "cell volts -> fraction of the battery's own CCL (0..1) at its highest cell, interpolated; volts increasing, fractions not increasing, starting at 1 (default 3.45: 1, 3.55: 0.1, 3.60: 0)",
      dischargeTable: "cell volts -> fraction of the battery's own DCL (0..1) at its lowest cell; volts increasing, fractions not decreasing, ending at 1 (default 2.90: 0, 3.05: 1)",
      hysteresis: "V per cell, 0 to 0.5: a cap rises again only once its cell has come back by this (default 0.02)",
      riseRate: "A/s above 0: how fast a cap rises again (default 5)",
      cellMax: "V per cell: above it the battery's CVL is cut by the highest cell's excess (default 3.60)",
      cvlMargin: "V, 0 or more: the cut CVL stays at least the battery's voltage less this (default 1.0)",
      balanceAssist: "hold the bank's CCL at 0 while a battery that refuses charge balances (default false)",
      balanceSpread: "V per cell, above 0 to 1: the cell spread that makes a refusal a balancing (default 0.05)",
      balanceHold: "s, above 0 to 86400: how long balance assist holds (default 600)"
    },
    /* plugins/temperature/temperature.c's help. */
    temperature: {
      unit: "\"C\": the tables' values are C-rates (times the battery's /InstalledCapacity); \"A\": amps (default \"C\")",
      chargeTable: "°C -> the CCL cap there, 0 or more, or \"none\"; temperatures -50..100 increasing; interpolated, 0 outside the table (default 0: 0.1, 5: \"none\", 50: 0.5, 55: 0)",
      dischargeTable: "°C -> the DCL cap there, as chargeTable (default -20: \"none\", 60: \"none\")",
      hysteresis: "°C, 0 to 20: a cap rises again only once the temperature has come back by this (default 2)",
      riseRate: "A/s above 0: how fast a cap rises again (default 5)"
    }
  };
  var MAX_STEPS = 32;      /* plugins/hooks/hooks.c */
  var FIXED_PATH_MAX = 128; /* bytes, with the terminating NUL */

  /* Whether a map of names (RATIO_METHODS, ...) has the name: its own
   * property, so that "toString" or "constructor" are no built-in names. */
  function has(map, name) {
    return Object.prototype.hasOwnProperty.call(map, name);
  }

  function get(obj, key) {
    if (!obj || obj.t !== "object") return undefined;
    var i = obj.keys.indexOf(key);
    return i < 0 ? undefined : obj.vals[i];
  }

  /* Names of a services value, either form: [{name, at: path, key}]; a
   * name listed again is left out, as batagg leaves it out (the first
   * counts: core/config/values.c's values_services). */
  function names(n, path) {
    var out = [];
    var seen = {};
    function add(name, at, key) {
      if (has(seen, name)) return;
      seen[name] = true;
      out.push({ name: name, path: at, key: key });
    }
    if (!n) return out;
    if (n.t === "array") {
      n.items.forEach(function (x, i) {
        if (x.t === "string") add(x.v, path.concat([i]), false);
      });
    } else if (n.t === "object") {
      n.keys.forEach(function (k) { add(k, path.concat([k]), true); });
    }
    return out;
  }

  /* Whether batagg takes name for a service it publishes (its
   * values_battery_name): a battery service or "name:<custom name>", as the
   * schema defines them (the page's errors for the others are the
   * schema's). */
  function batteryName(name) {
    var defs = window.BATAGG_SCHEMA.$defs;
    function fits(def) {
      return new RegExp(def.pattern).test(name) && (def.maxLength === undefined || name.length <= def.maxLength);
    }
    return fits(defs.batteryService) || fits(defs.customName);
  }

  /* Whether batagg keeps name in a list of services to match (its
   * values_match_name()): "name:<custom name>"; for a virtual battery's
   * members (hooks) a hook, as the schema defines them; for a string's
   * modules (series) a name that starts with the battery prefix; in the
   * Python daemon's keys any other text too.  Of those, one no battery
   * service can have is batagg's warning (serviceProblem()). */
  function matchName(name, hooks, series) {
    if (/^name:/.test(name)) return name !== "name:";
    if (hooks && /^class:/.test(name)) {
      var def = window.BATAGG_SCHEMA.$defs.hookId;
      return new RegExp(def.pattern).test(name);
    }
    return !series || name.indexOf(PREFIX) === 0;
  }

  /* Why no battery service can have the name (core/base/names.c's
   * names_battery_service_problem(), in its words), or null.  The bus
   * counts bytes: a name is its UTF-8. */
  function serviceProblem(name) {
    if (name.indexOf(PREFIX) !== 0) return "it must start with \"" + PREFIX + "\"";
    if (name === PREFIX) return "it has nothing after \"" + PREFIX + "\"";
    var bytes = Array.from(new TextEncoder().encode(name));
    if (bytes.length > 255) return "it has " + bytes.length + " bytes, more than the 255 a bus name may have";
    var elements = [[]];
    bytes.forEach(function (b) {
      if (b === 0x2e) elements.push([]);
      else elements[elements.length - 1].push(b);
    });
    for (var i = 0; i < elements.length; i++) {
      var e = elements[i];
      if (!e.length) return "it has an empty element (a '.' at the start or the end, or two in a row)";
      for (var k = 0; k < e.length; k++) {
        var b = e[k];
        var ok = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x2d;
        if (ok) continue;
        var what = b >= 0x20 && b < 0x7f ? "the character '" + String.fromCharCode(b) + "'"
          : "the byte 0x" + (b < 16 ? "0" : "") + b.toString(16);
        return "it has " + what + " (a bus name has only A-Z, a-z, 0-9, '_', '-' and '.')";
      }
      if (e[0] >= 0x30 && e[0] <= 0x39) return "element \"" + String.fromCharCode.apply(null, e) + "\" starts with a digit";
    }
    return null;
  }

  /* strtod() reading all of the text with no range error: how the hooks
   * read their numbers. */
  function cNumber(text) {
    var t = text.replace(/^[ \t\n\v\f\r]+/, "");
    if (/^[-+]?(inf|infinity|nan(\([0-9A-Za-z_]*\))?)$/i.test(t)) return true;
    if (/^[-+]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][-+]?\d+)?$/.test(t)) return true;
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return false;
    var x = Number(t);
    /* Overflow to infinity, or underflow to zero, is a range error. */
    return isFinite(x) && !(x === 0 && /[1-9]/.test(t.split(/[eE]/)[0]));
  }

  /* Options flattened as core/config/options.c flattens them: nested
   * objects give "outer/inner" keys; a number keeps its text, a boolean is
   * "1" or "0".
   * An array or null is no option (the schema's optionValue refuses it). */
  function flatten(n, prefix, path, out) {
    n.keys.forEach(function (k, i) {
      var v = n.vals[i];
      var key = prefix ? prefix + "/" + k : k;
      if (v.t === "object") {
        flatten(v, key, path.concat([k]), out);
        return;
      }
      if (v.t !== "number" && v.t !== "string" && v.t !== "bool") return;
      var text = v.t === "number" ? v.raw : v.t === "string" ? v.v : v.v ? "1" : "0";
      out.push({ key: key, value: text, type: v.t, path: path.concat([k]) });
    });
    return out;
  }

  /* printf's "%g" (6 significant digits, no trailing zeros), as the
   * plugins write numbers in their refusals. */
  function gText(x) {
    if (x !== x) return "nan";
    if (!isFinite(x)) return x > 0 ? "inf" : "-inf";
    if (x === 0) return 1 / x < 0 ? "-0" : "0";
    function strip(t) {
      return t.indexOf(".") < 0 ? t : t.replace(/0+$/, "").replace(/\.$/, "");
    }
    var e = x.toExponential(5);
    var exp = Number(e.split("e")[1]);
    if (exp < -4 || exp >= 6) {
      var a = Math.abs(exp);
      return strip(e.split("e")[0]) + "e" + (exp < 0 ? "-" : "+") + (a < 10 ? "0" : "") + a;
    }
    return strip(x.toFixed(5 - exp));
  }

  /* The value strtod() reads when it reads all of text (leading white
   * space allowed), else null: how the limiters read a table's keys. */
  function cValue(text) {
    var t = text.replace(/^[ \t\n\v\f\r]+/, "");
    var m = /^([-+]?)(inf|infinity)$/i.exec(t);
    if (m) return m[1] === "-" ? -Infinity : Infinity;
    if (/^[-+]?nan(\([0-9A-Za-z_]*\))?$/i.test(t)) return NaN;
    m = /^([-+]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([-+]?\d+))?$/.exec(t);
    if (m && (m[2] + m[3]).length) {
      var v = parseInt(m[2] + m[3], 16) / Math.pow(16, m[3].length) * Math.pow(2, Number(m[4] || 0));
      return m[1] === "-" ? -v : v;
    }
    return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : null;
  }

  /* What the built-in limiters' create() refuses, in their words: the
   * options (flattened, in the order written) -> {k: the option it names,
   * message} or null.  plugins/cell_voltage/cell_voltage.c: */
  function cellVoltageProblem(flat) {
    var CELL_MIN = 1.5, CELL_MAX = 5.0, MAX_POINTS = 16;
    var KNOWN = "chargeTable, dischargeTable, hysteresis, riseRate, cellMax, cvlMargin, balanceAssist, balanceSpread, balanceHold";
    /* option -> [min, min excluded, max, unit] (number_in()) */
    var RANGES = {
      hysteresis: [0, false, 0.5, "V per cell"], riseRate: [0, true, Infinity, "A/s"], cvlMargin: [0, false, Infinity, "V"],
      balanceSpread: [0, true, 1.0, "V per cell"], balanceHold: [0, true, 86400, "s"]
    };
    var tables = {
      chargeTable: { volts: [3.45, 3.55, 3.60], fraction: [1, 0.1, 0], at: -1 },
      dischargeTable: { volts: [2.90, 3.05], fraction: [0, 1], at: -1 }
    };
    var cellMax = 3.60, cellMaxAt = -1;
    function fail(k, message) { return { k: k, message: message }; }
    function isCell(v) { return isFinite(v) && v >= CELL_MIN && v <= CELL_MAX; }
    function noCell(k, what, v) {
      return fail(k, what + (what ? ": " : "") + gText(v) + " V is no cell voltage (" + gText(CELL_MIN) + " to " + gText(CELL_MAX) +
        " V; a pack's voltage given for a cell's?)");
    }
    for (var k = 0; k < flat.length; k++) {
      var o = flat[k];
      var num = o.type === "number" ? Number(o.value) : NaN;
      var point = /^(chargeTable|dischargeTable)\//.exec(o.key);
      if (point) {
        var name = point[1], charge = name === "chargeTable", t = tables[name];
        var voltsText = o.key.slice(name.length + 1);
        if (t.at < 0) { /* the first point written replaces the default table */
          t.volts = [];
          t.fraction = [];
          t.at = k;
        }
        var n = t.volts.length;
        var v = voltsText === "" ? null : cValue(voltsText);
        if (v === null || !isFinite(v)) return fail(k, name + ": '" + voltsText + "' is no cell voltage (volts, e.g. 3.45)");
        if (!isCell(v)) return noCell(k, name, v);
        if (o.type !== "number" || !(num >= 0 && num <= 1)) return fail(k, name + ": expected a fraction of the member's own limit, 0 to 1");
        if (n === MAX_POINTS) return fail(k, name + ": more than " + MAX_POINTS + " points");
        if (n > 0 && !(v > t.volts[n - 1])) {
          return fail(k, name + ": not monotonic: volts must increase (" + gText(v) + " V after " + gText(t.volts[n - 1]) + " V)");
        }
        if (n > 0 && (charge ? num > t.fraction[n - 1] : num < t.fraction[n - 1])) {
          return fail(k, name + ": not monotonic: fractions must not " + (charge ? "increase" : "decrease") +
            " as the cell voltage rises (" + gText(num) + " after " + gText(t.fraction[n - 1]) + ")");
        }
        t.volts.push(v);
        t.fraction.push(num);
      } else if (o.key === "chargeTable" || o.key === "dischargeTable") {
        return fail(k, "expected an object of cell volts to fractions, e.g. {\"3.45\": 1, \"3.55\": 0.1, \"3.60\": 0}");
      } else if (has(RANGES, o.key)) {
        var r = RANGES[o.key];
        if (o.type !== "number") return fail(k, "expected a number (" + r[3] + ")");
        if (r[1] ? !(num > r[0]) : !(num >= r[0])) return fail(k, "must be " + (r[1] ? "above" : "at least") + " " + gText(r[0]) + " " + r[3] + ", got " + o.value);
        if (!(num <= r[2])) return fail(k, "must be at most " + gText(r[2]) + " " + r[3] + ", got " + o.value);
      } else if (o.key === "cellMax") {
        if (o.type !== "number") return fail(k, "expected a number (V per cell)");
        if (!isCell(num)) return noCell(k, "", num);
        cellMax = num;
        cellMaxAt = k;
      } else if (o.key === "balanceAssist") {
        if (o.type !== "bool") return fail(k, "expected true or false");
      } else {
        return fail(k, "unknown option '" + o.key + "' (known: " + KNOWN + ")");
      }
    }
    /* check_table(), then check_order() */
    var tc = tables.chargeTable, td = tables.dischargeTable;
    if (tc.at >= 0 && tc.volts.length < 2) return fail(tc.at, "chargeTable: needs at least 2 points (cell volts: fraction)");
    if (tc.at >= 0 && tc.fraction[0] !== 1) return fail(tc.at, "chargeTable: must start at 1 (full current below its first point), not " + gText(tc.fraction[0]));
    if (td.at >= 0 && td.volts.length < 2) return fail(td.at, "dischargeTable: needs at least 2 points (cell volts: fraction)");
    if (td.at >= 0 && td.fraction[td.fraction.length - 1] !== 1) {
      return fail(td.at, "dischargeTable: must end at 1 (full current above its last point), not " + gText(td.fraction[td.fraction.length - 1]));
    }
    var full = td.volts[td.volts.length - 1], taper = tc.volts[0];
    if (full > taper) {
      return fail(Math.max(tc.at, td.at), "thresholds in the wrong order: dischargeTable reaches full current at " + gText(full) +
        " V, above where chargeTable starts to lower the CCL (" + gText(taper) + " V)");
    }
    if (!(cellMax > taper)) {
      return fail(Math.max(cellMaxAt, tc.at), "thresholds in the wrong order: cellMax (" + gText(cellMax) +
        " V) must be above where chargeTable starts to lower the CCL (" + gText(taper) + " V)");
    }
    return null;
  }

  /* plugins/temperature/temperature.c: */
  function temperatureProblem(flat) {
    var T_MIN = -50, T_MAX = 100, HYSTERESIS_MAX = 20, C_RATE_MAX = 10, AMPS_MAX = 1e6, MAX_POINTS = 16;
    var KNOWN = "unit, chargeTable, dischargeTable, hysteresis, riseRate";
    var tables = {
      chargeTable: { temp: [0, 5, 50, 55], value: [0.1, 0, 0.5, 0], none: [false, true, false, false], at: [-1, -1, -1, -1] },
      dischargeTable: { temp: [-20, 60], value: [0, 0], none: [true, true], at: [-1, -1] }
    };
    var unit = "C";
    function fail(k, message) { return { k: k, message: message }; }
    for (var k = 0; k < flat.length; k++) {
      var o = flat[k];
      var num = o.type === "number" ? Number(o.value) : NaN;
      var slash = o.key.indexOf("/");
      var prefix = slash < 0 ? o.key : o.key.slice(0, slash);
      if (prefix === "chargeTable" || prefix === "dischargeTable") {
        if (slash < 0) return fail(k, "expected an object {\"<°C>\": current, ...}");
        var t = tables[prefix], text = o.key.slice(slash + 1);
        if (t.temp.length && t.at[0] < 0) { /* the first point given replaces the default table */
          t.temp = [];
          t.value = [];
          t.none = [];
          t.at = [];
        }
        var n = t.temp.length;
        var x = cValue(text);
        if (x === null || !isFinite(x)) return fail(k, "'" + text + "' is no temperature: write {\"<°C>\": value, ...}");
        if (x < T_MIN || x > T_MAX) return fail(k, gText(x) + " °C is outside " + gText(T_MIN) + ".." + gText(T_MAX) + " °C");
        if (n > 0 && x <= t.temp[n - 1]) return fail(k, "temperatures must increase: " + gText(x) + " °C after " + gText(t.temp[n - 1]) + " °C");
        if (n === MAX_POINTS) return fail(k, "at most " + MAX_POINTS + " points");
        var none = o.type === "string" && o.value === "none";
        if (!none && o.type !== "number") return fail(k, "expected a current (0 or more) or \"none\"");
        if (!none && num < 0) return fail(k, "must be 0 or more, got " + o.value);
        t.temp.push(x);
        t.value.push(none ? 0 : num);
        t.none.push(none);
        t.at.push(k);
      } else if (o.key === "unit") {
        if (o.type !== "string" || (o.value !== "C" && o.value !== "A")) return fail(k, "expected \"C\" (C-rates) or \"A\" (amps)");
        unit = o.value;
      } else if (o.key === "hysteresis") {
        if (o.type !== "number") return fail(k, "expected a number (°C)");
        if (num < 0 || num > HYSTERESIS_MAX) return fail(k, "must be 0 to " + gText(HYSTERESIS_MAX) + " °C, got " + o.value);
      } else if (o.key === "riseRate") {
        if (o.type !== "number") return fail(k, "expected a number (A/s)");
        if (!(num > 0) || num > AMPS_MAX) return fail(k, "must be above 0 A/s (and at most " + gText(AMPS_MAX) + "), got " + o.value);
      } else {
        return fail(k, "unknown option '" + o.key + "' (known: " + KNOWN + ")");
      }
    }
    /* check_unit(): the values written, now that the unit is known */
    var tableNames = ["chargeTable", "dischargeTable"];
    for (var i = 0; i < tableNames.length; i++) {
      var tb = tables[tableNames[i]];
      if (!tb.temp.length || tb.at[0] < 0) continue;
      for (var j = 0; j < tb.temp.length; j++) {
        if (tb.none[j]) continue;
        if (unit !== "A" && tb.value[j] > C_RATE_MAX) {
          return fail(tb.at[j], gText(tb.value[j]) + " C is more than " + gText(C_RATE_MAX) + " C: are these amps? write \"unit\": \"A\"");
        }
        if (unit === "A" && tb.value[j] > AMPS_MAX) return fail(tb.at[j], gText(tb.value[j]) + " A is more than " + gText(AMPS_MAX) + " A");
      }
    }
    return null;
  }

  var LIMITER_PROBLEM = { cell_voltage: cellVoltageProblem, temperature: temperatureProblem };

  /* What kind of built-in strategy name is ("CVL mode"), or null. */
  function strategyKind(name) {
    if (has(RATIO_METHODS, name)) return "current ratio method";
    if (has(CVL_MODES, name)) return "CVL mode";
    if (has(MERGE_POLICIES, name)) return "merge policy";
    if (has(LIMITERS, name)) return "limiter";
    return null;
  }

  /* A string as core/base/suggest.c sees it: its UTF-8 bytes, A-Z as a-z (as
   * g_ascii_tolower and g_ascii_strcasecmp fold them, and nothing else). */
  function foldedBytes(s) {
    var bytes = Array.from(new TextEncoder().encode(s));
    return bytes.map(function (b) { return b >= 65 && b <= 90 ? b + 32 : b; });
  }

  /* Case-blind edits from a to b (folded bytes), a letter added, dropped or
   * changed, or two neighbours swapped, each counting 1 (optimal string
   * alignment): core/base/suggest.c's measure. */
  function edits(a, b) {
    var d = [];
    for (var i = 0; i <= a.length; i++) {
      d.push([i]);
      for (var j = 1; j <= b.length; j++) {
        if (i === 0) {
          d[i].push(j);
          continue;
        }
        var x = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) x = Math.min(x, d[i - 2][j - 2] + 1);
        d[i].push(x);
      }
    }
    return d[a.length][b.length];
  }

  /* batagg's "did you mean" (core/base/suggest.c): the first candidate that is
   * the word in another case, else the first nearest within a third of the
   * word's length in bytes (at least 1), never a change of all of either;
   * null when none is near. */
  function suggest(word, candidates) {
    var w = foldedBytes(word);
    var limit = Math.max(1, Math.floor(w.length / 3));
    var best = null;
    var bestDistance = limit + 1;
    for (var i = 0; i < candidates.length; i++) {
      var c = foldedBytes(candidates[i]);
      if (c.length === w.length && c.every(function (b, k) { return b === w[k]; })) return candidates[i];
      var d = edits(w, c);
      if (d < bestDistance && d < w.length && d < c.length) {
        best = candidates[i];
        bestDistance = d;
      }
    }
    return best;
  }

  /* batagg's words for a member "class:<hook>[#suffix]" that names no
   * built-in hook, or has a suffix it refuses (checked first); null when
   * neither. */
  function hookProblem(member) {
    var id = member.slice("class:".length);
    var hash = id.indexOf("#");
    var hook = hash < 0 ? id : id.slice(0, hash);
    if (hash >= 0 && !/^[A-Za-z0-9_-]*$/.test(id.slice(hash + 1))) {
      return "\"" + member + "\": a hook's suffix (after '#') has only A-Z, a-z, 0-9, '_' and '-'";
    }
    if (HOOKS.indexOf(hook) >= 0) return null;
    var known = HOOKS.slice().sort();
    var near = suggest(hook, known);
    return "unknown hook \"" + hook + "\"" + (near ? " (did you mean \"" + near + "\"?)" : "") +
      "; known: " + known.map(function (k) { return "\"" + k + "\""; }).join(", ");
  }

  function utf8Length(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0xd800 && c < 0xdc00) {
        n += 4;
        i++;
      } else {
        n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      }
    }
    return n;
  }

  /* The virtual batteries and series batteries (strings) batagg keeps,
   * as core/config/virtuals.c's virtuals_read() adds them to one list,
   * in the file's order of the two keys: a name it refuses, "name:...",
   * or a string whose modules are no array, it leaves out; of the members
   * (modules), those it takes, each once.
   * [{name, series, key, path, node, members: [{name, path, key}]}] */
  function batteries(tree) {
    var out = [];
    tree.keys.forEach(function (key, ki) {
      var n = tree.vals[ki];
      if ((key !== "virtualBatteries" && key !== "seriesBatteries") || tree.keys.indexOf(key) !== ki || n.t !== "object") return;
      var isSeries = key === "seriesBatteries";
      n.keys.forEach(function (name, i) {
        var m = n.vals[i];
        if (!batteryName(name) || /^name:/.test(name) || (isSeries && m.t !== "array")) return;
        out.push({
          name: name, series: isSeries, key: key, path: [key, name], node: m,
          members: names(m, [key, name]).filter(function (u) {
            return matchName(u.name, !isSeries, isSeries) && (!u.key || m.vals[m.keys.indexOf(u.name)].t === "array");
          })
        });
      });
    });
    return out;
  }

  /* The aggregate's name as batagg takes it: serviceName when it is a
   * battery service name, else the default. */
  function aggregateName(tree) {
    var service = get(tree, "serviceName");
    var def = window.BATAGG_SCHEMA.$defs.batteryService;
    var ok = service && service.t === "string" && new RegExp(def.pattern).test(service.v) &&
      (def.maxLength === undefined || service.v.length <= def.maxLength);
    return ok ? service.v : DEFAULT_SERVICE;
  }

  /* The services batagg publishes (expectedBatteries names them): the
   * aggregate, then each virtual and series battery, each once. */
  function publishedServices(tree) {
    var out = [aggregateName(tree)];
    if (tree.t !== "object") return out;
    batteries(tree).forEach(function (a) { if (out.indexOf(a.name) < 0) out.push(a.name); });
    return out;
  }

  function check(tree) {
    var errors = [];
    var warnings = [];
    /* also: the same error shown at another place it names. */
    function error(path, key, message, also) { errors.push({ path: path, key: key, keyword: "batagg", message: message, also: !!also }); }
    function warn(path, key, message) { warnings.push({ path: path, key: key, keyword: "note", message: message }); }
    /* What batagg --check-config warns about (it accepts the config);
     * also: the same warning said at another place, which batagg does not
     * count. */
    function bataggWarn(path, key, message, also) { warnings.push({ path: path, key: key, keyword: "batagg", message: message, also: !!also }); }
    /* Instance paths whose problems batagg never sees: it ignores them. */
    var ignored = [];

    /* Whether batagg merges the D-Bus path p (given at path, in key); if
     * not, its warning, with the nearest path it merges
     * (core/config/values.c's values_merged_path). */
    function mergedPath(path, isKey, key, p) {
      var all = MERGED_PATHS.concat(LIMIT_PATHS);
      if (all.indexOf(p) >= 0) return true;
      var near = suggest(p, all);
      bataggWarn(path, isKey, "batagg merges no path \"" + p + "\"" + (near ? " (did you mean \"" + near + "\"?)" : "") + ": ignored");
      return false;
    }

    /* Duplicate keys, anywhere (the form can make them: two rows, one name). */
    (function dups(n, path) {
      if (n.t === "object") {
        n.keys.forEach(function (k, i) {
          if (n.keys.indexOf(k) < i) error(path.concat([k]), true, "duplicate key '" + k + "'");
          dups(n.vals[i], path.concat([k]));
        });
      } else if (n.t === "array") {
        n.items.forEach(function (x, i) { dups(x, path.concat([i])); });
      }
    })(tree, []);

    if (tree.t !== "object") return { errors: errors, warnings: warnings, ignored: ignored };

    /* A name listed twice in a services value: the first counts, the
     * second means nothing (batagg's warning, at the second).  A name batagg
     * refuses is its error, not this. */
    function listedTwice(n, path, hooks) {
      if (!n || n.t !== "array") return; /* an object's keys: a duplicate key */
      var seen = {};
      n.items.forEach(function (x, i) {
        if (x.t !== "string" || !matchName(x.v, hooks, false)) return;
        if (has(seen, x.v)) bataggWarn(path.concat([i]), false, "\"" + x.v + "\" is listed twice: the first counts");
        seen[x.v] = true;
      });
    }
    listedTwice(get(tree, "primaryServices"), ["primaryServices"], false);
    listedTwice(get(tree, "auxiliaryServices"), ["auxiliaryServices"], false);
    var virtualsNode = get(tree, "virtualBatteries");

    /* The virtual batteries and strings batagg keeps. */
    var vlist = batteries(tree);
    function kindOf(a) { return a.series ? "series battery" : "virtual battery"; }
    /* The members of the virtual batteries and strings batagg keeps (it
     * reads no others): a repeat is its warning for a virtual battery, and
     * its error for a string, which expects each module once (at each
     * repeat). */
    vlist.forEach(function (a) {
      if (!a.series) {
        listedTwice(a.node, a.path, true);
        return;
      }
      var seen = {};
      a.node.items.forEach(function (x, i) {
        if (x.t !== "string" || !matchName(x.v, false, true)) return;
        if (has(seen, x.v)) error(a.path.concat([i]), false, "\"" + x.v + "\" is listed twice: a series battery expects each module once");
        seen[x.v] = true;
      });
    });
    /* The first of that name (core/config/relations.c's virtual_named()). */
    function named(name) {
      for (var i = 0; i < vlist.length; i++) if (vlist[i].name === name) return i;
      return -1;
    }

    /* A name no battery service can have, in a list of services to
     * match: it matches nothing, batagg's warning at each entry it keeps
     * (listed twice: twice), of the virtual batteries and strings it keeps
     * (core/config/values.c's values_match_name()). */
    function neverMatches(n, path, hooks, series) {
      if (!n) return;
      var entries = n.t === "array" ? n.items.map(function (x, i) { return x.t === "string" ? [x.v, i, false] : null; })
        : n.t === "object" ? n.keys.map(function (k) { return [k, k, true]; }) : [];
      entries.forEach(function (e) {
        if (!e || !matchName(e[0], hooks, series) || /^name:/.test(e[0]) || (hooks && /^class:/.test(e[0]))) return;
        var why = serviceProblem(e[0]);
        if (why) bataggWarn(path.concat([e[1]]), e[2], "\"" + e[0] + "\" can never match a service: " + why);
      });
    }
    var excludedNode = get(tree, "excludedServices");
    if (excludedNode && excludedNode.t === "array") neverMatches(excludedNode, ["excludedServices"], false, false);
    neverMatches(get(tree, "primaryServices"), ["primaryServices"], false, false);
    neverMatches(get(tree, "auxiliaryServices"), ["auxiliaryServices"], false, false);
    vlist.forEach(function (a) { neverMatches(a.node, a.path, !a.series, a.series); });

    /* Excluded and used in a role: batagg uses it in the role, never as a
     * member of the aggregate, and warns at the excluded entry (of the
     * roles, the first of primary, auxiliary, a virtual battery's members
     * or a string's modules, in the file's order); the page says it beside
     * the use too. */
    var excluded = get(tree, "excludedServices");
    if (excluded && excluded.t === "array") {
      var roles = [
        ["primaryServices", "a primary service", names(get(tree, "primaryServices"), ["primaryServices"])],
        ["auxiliaryServices", "an auxiliary service", names(get(tree, "auxiliaryServices"), ["auxiliaryServices"])]
      ].concat(vlist.map(function (a) {
        return [a.key, a.series ? "a module of its series battery" : "a member of its virtual battery", a.members];
      }));
      excluded.items.forEach(function (x, i) {
        if (x.t !== "string") return;
        roles.some(function (role) {
          var use = role[2].filter(function (u) { return u.name === x.v; })[0];
          if (!use) return false;
          var what = "batagg uses it as " + role[1] + ", never as a member of the aggregate";
          bataggWarn(["excludedServices", i], false, "\"" + x.v + "\" is in excludedServices and in " + role[0] + ": " + what);
          bataggWarn(use.path, use.key, "\"" + x.v + "\" is also in excludedServices: " + what, true);
          return true;
        });
      });
    }

    /* A virtual battery or string with the aggregate's configured name (the
     * schema knows only the default name), or that lists the aggregate, of
     * which it is a member.  None lists itself. */
    var aggregate = aggregateName(tree);
    vlist.forEach(function (a) {
      if (aggregate !== DEFAULT_SERVICE && a.name === aggregate) error(a.path, true, kindOf(a) + " \"" + a.name + "\" has the aggregate's own name");
      a.members.forEach(function (u) {
        if (u.name === a.name) error(u.path, u.key, kindOf(a) + " \"" + a.name + "\" lists itself");
        if (u.name === aggregate) {
          error(u.path, u.key, kindOf(a) + " \"" + a.name + "\" lists the aggregate \"" + aggregate +
            "\" (serviceName), which batagg does not read back: the " + kindOf(a) +
            " is a member of the aggregate (for values that replace the aggregate's, use primaryServices)");
        }
      });
    });

    /* A string lists at least one module (batagg's error for an empty
     * array only: a module it refuses is its own error). */
    vlist.forEach(function (a) {
      if (a.series && !a.node.items.length) error(a.path, false, "\"" + a.name + "\" lists no modules");
    });

    /* A string's modules are batteries, each in one string and in nothing
     * else batagg makes; a string is the aggregate's member only
     * (core/config/relations.c's strings()).  Each error is shown where
     * batagg says it, and beside the other battery it names. */
    vlist.forEach(function (a, v) {
      var same = vlist[named(a.name)];
      if (same !== a && same.key !== a.key) {
        var both = "\"" + a.name + "\" is both a " + kindOf(same) + " and a " + kindOf(a);
        error(a.path, false, both);
        error(same.path, false, both, true);
      }
      a.members.forEach(function (s) {
        var j = named(s.name);
        /* One that lists itself: that error alone (above). */
        if (j >= 0 && vlist[j] !== a && (a.series || vlist[j].series)) {
          var lists = kindOf(a) + " \"" + a.name + "\" lists " + kindOf(vlist[j]) + " \"" + vlist[j].name +
            "\": a series battery's modules are batteries, and a series battery is a member of the aggregate only";
          error(s.path, s.key, lists);
          error(vlist[j].path, false, lists, true);
        }
        if (!a.series) return;
        vlist.forEach(function (b, w) {
          if (w === v || (b.series && w < v)) return;
          var t = b.members.filter(function (x) { return x.name === s.name; })[0];
          if (!t) return;
          var twice = "\"" + s.name + "\" is a module of series battery \"" + a.name + "\" and " + (b.series ? "a module" : "a member") +
            " of " + kindOf(b) + " \"" + b.name + "\": a module belongs to one series battery only";
          error(s.path, s.key, twice);
          error(t.path, t.key, twice, true);
        });
      });
    });

    /* Virtual batteries may list each other, but not in a loop (each would
     * read its own values back).  As core/config/relations.c's loops(): a
     * loop is reported where it closes, found by a walk with its own stack
     * (the page shows it in the cards of the batteries in the loop).
     * Strings take no part: one that lists, or is listed by, another
     * battery batagg makes is an error of its own (above). */
    var state = vlist.map(function () { return 0; });
    var next = vlist.map(function () { return 0; });
    vlist.forEach(function (r, root) {
      /* A name twice in one key is the form's duplicate key, not batagg's. */
      if (state[root] || r.series || vlist.some(function (w, k) { return k < root && w.name === r.name && w.key === r.key; })) return;
      var stack = [root];
      state[root] = 1;
      while (stack.length) {
        var i = stack[stack.length - 1];
        if (next[i] === vlist[i].members.length) {
          state[i] = 2;
          stack.pop();
          continue;
        }
        var use = vlist[i].members[next[i]++];
        var j = named(use.name);
        if (j < 0 || j === i || vlist[j].series) continue;
        if (state[j] === 0) {
          state[j] = 1;
          stack.push(j);
        } else if (state[j] === 1) {
          var loop = stack.slice(stack.indexOf(j)).concat([j]);
          var text = loop.slice(0, -1).map(function (k, n) {
            return "\"" + vlist[k].name + "\" lists \"" + vlist[loop[n + 1]].name + "\"";
          }).join(", ");
          /* Beside the member that closes it, and where batagg says it:
           * at the battery it starts from. */
          error(use.path, use.key, "virtual batteries in a loop: " + text + " (each would read its own values back)");
          error(vlist[j].path, false, "virtual batteries in a loop: " + text + " (each would read its own values back)", true);
        }
      }
    });

    /* Whole numbers as batagg reads them (core/config/values.c's
     * values_integer()): digits only, within an int.  Whether n is one,
     * >= min; if the schema takes it (an integer, >= min) and batagg does
     * not, batagg's error at path. */
    function wholeNumber(n, min, path) {
      if (!n || n.t !== "number") return false;
      var raw = window.BataggJSON.numText(n);
      if (/^-?\d+$/.test(raw) && n.v >= min && n.v <= INT_MAX) return true;
      if (Number.isInteger(n.v) && n.v >= min) { /* else the schema says */
        error(path, false, "expected a whole number >= " + min + ", got " + raw + " (write it without a fraction or exponent, at most " + INT_MAX + ")");
      }
      return false;
    }
    [["reconnectTimeout", 0], ["startupBatteryWait", 1]].forEach(function (w) {
      wholeNumber(get(tree, w[0]), w[1], [w[0]]);
    });

    /* expectedBatteries: a count, or counts by a service batagg publishes
     * (core/config/keys.c's expected() and core/config/relations.c's expected_names(): a name is
     * checked once its count is).  The schema's own words on a name
     * (propertyNames) give way to these. */
    var expected = get(tree, "expectedBatteries");
    if (expected && expected.t === "number") wholeNumber(expected, 1, ["expectedBatteries"]);
    if (expected && expected.t === "object") {
      expected.keys.forEach(function (name, i) {
        var at = ["expectedBatteries", name];
        if (!wholeNumber(expected.vals[i], 1, at) || name === aggregate || named(name) >= 0) return;
        error(at, true, "\"" + name + "\" is not a service batagg publishes (serviceName, or a virtual or series battery)");
      });
    }
    var capacity = get(tree, "capacity");
    if (capacity && capacity.t === "number" && !isFinite(capacity.v)) {
      error(["capacity"], false, capacity.raw + " is too large a number");
    }
    /* The same for options, wherever batagg reads them (plugin.h promises
     * strategies and hooks finite numbers): each entry of classes and of
     * strategyOptions, and ir, when objects, and the objects inside. */
    function finiteOptions(n, path) {
      if (!n || n.t !== "object") return;
      n.keys.forEach(function (k, i) {
        var v = n.vals[i];
        if (v.t === "number" && !isFinite(v.v)) error(path.concat([k]), false, v.raw + " is too large a number");
        finiteOptions(v, path.concat([k]));
      });
    }
    ["classes", "strategyOptions"].forEach(function (key) {
      var n = get(tree, key);
      if (n && n.t === "object") n.keys.forEach(function (k, i) { finiteOptions(n.vals[i], [key, k]); });
    });
    finiteOptions(get(tree, "ir"), ["ir"]);

    /* A strategy name no built-in plugin provides: batagg refuses it unless
     * a plugin from pluginDirectory provides it, which the page cannot see.
     * Without pluginDirectory it is batagg's error, in its words (its
     * nearest name, and all it knows of the kind, sorted); with it, a note. */
    var plugins = get(tree, "pluginDirectory");
    function unknownStrategy(path, name, kind, builtins) {
      var known = builtins.slice().sort();
      var near = suggest(name, known);
      var mean = near ? " (did you mean \"" + near + "\"?)" : "";
      if (plugins && plugins.t === "string") {
        warn(path, false, "\"" + name + "\" is not a built-in " + kind + mean + ": it needs a plugin from pluginDirectory that provides it");
      } else {
        error(path, false, "unknown value \"" + name + "\"" + mean + "; known: " + known.map(function (k) { return "\"" + k + "\""; }).join(", "));
      }
    }

    /* Merge policies: for a path batagg does not merge, or a limit (which
     * has rules of its own), batagg warns and ignores the entry, value and
     * all. */
    var policies = get(tree, "mergePolicies");
    if (policies && policies.t === "object") {
      policies.keys.forEach(function (p, i) {
        if (p[0] !== "/") return; /* the schema says */
        if (!mergedPath(["mergePolicies", p], true, "mergePolicies", p)) {
          ignored.push(["mergePolicies", p]);
          return;
        }
        if (LIMIT_PATHS.indexOf(p) >= 0) {
          bataggWarn(["mergePolicies", p], true, "\"" + p + "\" is not merged by a policy (the limits have rules of their own): ignored");
          ignored.push(["mergePolicies", p]);
          return;
        }
        var v = policies.vals[i];
        if (v.t === "string" && /^[A-Za-z0-9_.]+$/.test(v.v) && !has(MERGE_POLICIES, v.v)) {
          unknownStrategy(["mergePolicies", p], v.v, "merge policy", Object.keys(MERGE_POLICIES));
        }
      });
    }

    /* Series merge policies: the same, but every path batagg merges has
     * one, the limits too.  batagg checks their names whether or not there
     * is a string. */
    var seriesPolicies = get(tree, "seriesMergePolicies");
    if (seriesPolicies && seriesPolicies.t === "object") {
      seriesPolicies.keys.forEach(function (p, i) {
        var at = ["seriesMergePolicies", p];
        if (p[0] !== "/") return; /* the schema says */
        if (!mergedPath(at, true, "seriesMergePolicies", p)) {
          ignored.push(at);
          return;
        }
        var v = seriesPolicies.vals[i];
        if (v.t === "string" && /^[A-Za-z0-9_.]+$/.test(v.v) && !has(MERGE_POLICIES, v.v)) {
          unknownStrategy(at, v.v, "merge policy", Object.keys(MERGE_POLICIES));
        }
      });
    }

    /* The paths of primary and auxiliary services and of virtual batteries'
     * members: one batagg does not merge stays in its list (a list of
     * unknown paths is no empty list, "all paths"), with a warning. */
    function pathLists(key, n, path) {
      if (!n || n.t !== "object") return;
      n.keys.forEach(function (name, i) {
        var list = n.vals[i];
        if (list.t !== "array") return;
        list.items.forEach(function (x, j) {
          if (x.t === "string" && x.v[0] === "/") mergedPath(path.concat([name, j]), false, key, x.v);
        });
      });
    }
    pathLists("primaryServices", get(tree, "primaryServices"), ["primaryServices"]);
    pathLists("auxiliaryServices", get(tree, "auxiliaryServices"), ["auxiliaryServices"]);
    if (virtualsNode && virtualsNode.t === "object") {
      virtualsNode.keys.forEach(function (v, i) {
        pathLists("virtualBatteries", virtualsNode.vals[i], ["virtualBatteries", v]);
      });
    }

    /* Strategy names no built-in provides. */
    [["currentRatioMethod", RATIO_METHODS, "current ratio method"], ["cvlMode", CVL_MODES, "CVL mode"]].forEach(function (w) {
      var n = get(tree, w[0]);
      if (n && n.t === "string" && /^[A-Za-z0-9_.]+$/.test(n.v) && !has(w[1], n.v)) {
        unknownStrategy([w[0]], n.v, w[2], Object.keys(w[1]));
      }
    });

    /* limiters: names of limiters, each once (core/config/keys.c's
     * limiters(); the schema's own words on a repeat give way to these),
     * each one a plugin provides (core/strategies/strategies.c's
     * setup_limiters()). */
    var limiterList = get(tree, "limiters");
    if (limiterList && limiterList.t === "array") {
      var listed = [];
      limiterList.items.forEach(function (x, i) {
        if (x.t !== "string" || !/^[A-Za-z0-9_.]+$/.test(x.v)) return; /* the schema says */
        if (listed.indexOf(x.v) >= 0) {
          error(["limiters", i], false, "\"" + x.v + "\" is listed twice");
          return;
        }
        listed.push(x.v);
        if (!has(LIMITERS, x.v)) unknownStrategy(["limiters", i], x.v, "limiter", Object.keys(LIMITERS));
      });
    }

    /* strategyOptions: by strategy name, any kind but a hook (the schema
     * refuses the built-in hooks' names and names that are no strategy
     * names; it knows which built-ins take which options). */
    var strategyOptions = get(tree, "strategyOptions");
    if (strategyOptions && strategyOptions.t === "object") {
      var builtins = [RATIO_METHODS, CVL_MODES, MERGE_POLICIES, LIMITERS].reduce(function (all, m) {
        return all.concat(Object.keys(m).sort());
      }, []);
      strategyOptions.keys.forEach(function (name, i) {
        var at = ["strategyOptions", name];
        (function arraysAndNull(n, path) {
          if (n.t !== "object") return;
          n.keys.forEach(function (k, j) {
            var v = n.vals[j];
            if (v.t === "array" || v.t === "null") {
              error(path.concat([k]), false, "expected a number, a string, a boolean or an object, got " + (v.t === "null" ? "null" : "an array"));
            }
            arraysAndNull(v, path.concat([k]));
          });
        })(strategyOptions.vals[i], at);
        if (!/^[A-Za-z0-9_.]+$/.test(name) || HOOKS.indexOf(name) >= 0 || strategyKind(name)) return;
        if (plugins && plugins.t === "string") {
          warn(at, true, "\"" + name + "\" is not a built-in strategy: it needs a plugin from pluginDirectory that provides it");
          return;
        }
        var near = suggest(name, builtins);
        error(at, true, "no strategy is named \"" + name + "\"" + (near ? " (did you mean \"" + near + "\"?)" : "") +
          " (or set pluginDirectory to a directory with a plugin that provides it)");
      });
      /* A built-in limiter's options: batagg creates it with them (listed
       * in limiters or not), and it refuses what its create() refuses, at
       * the option it names.  Numbers too large to be numbers are dropped
       * first (their own error, above). */
      strategyOptions.keys.forEach(function (name, i) {
        var opts = strategyOptions.vals[i];
        if (!has(LIMITER_PROBLEM, name) || opts.t !== "object") return;
        var flat = flatten(opts, "", ["strategyOptions", name], []).filter(function (o) {
          return o.type !== "number" || isFinite(Number(o.value));
        });
        var p = LIMITER_PROBLEM[name](flat);
        if (p) error(flat[p.k].path, false, "limiter '" + name + "': " + p.message);
      });
      if (get(strategyOptions, "ir") && get(tree, "ir")) {
        var twice = "options of 'ir' are given twice (in \"ir\" and in \"strategyOptions\"); keep one";
        error(["strategyOptions", "ir"], true, twice);
        error(["ir"], false, twice);
      }
    }

    /* Hook options.  The daemon at start, and --check-config, create every
     * hook a virtual battery uses, with the options of that exact id
     * flattened as core/config/options.c does ("ccls": {"52": 100} ->
     * "ccls/52" = "100"); the hook refuses what plugins/hooks/hooks.c
     * refuses.  Options of an id no virtual battery uses are never read. */
    var classes = get(tree, "classes");
    var used = [];
    if (virtualsNode && virtualsNode.t === "object") {
      virtualsNode.vals.forEach(function (m, v) {
        names(m, ["virtualBatteries", virtualsNode.keys[v]]).forEach(function (u) {
          if (u.name.indexOf("class:") === 0) used.push({ id: u.name.slice(6), path: u.path, key: u.key });
        });
      });
    }
    var usedIds = used.map(function (u) { return u.id; });
    used.forEach(function (u, i) {
      if (usedIds.indexOf(u.id) < i) return;
      var cls = u.id.split("#")[0];
      var opts = get(classes, u.id);
      var flat = opts && opts.t === "object" ? flatten(opts, "", ["classes", u.id], []) : [];
      /* core/strategies/instances.c's refused(): the hook's name, then its reason. */
      var refused = "hook '" + cls + "': ";
      if (cls === "hooks.FixedValueHook") {
        var unknown = flat.filter(function (o) { return o.key !== "path" && o.key !== "value"; })[0];
        var p = flat.filter(function (o) { return o.key === "path"; }).pop();
        if (unknown) {
          error(unknown.path, false, refused + "unknown option '" + unknown.key + "' (known: path, value)");
        } else if (!p || p.type !== "string" || p.value[0] !== "/" || utf8Length(p.value) >= FIXED_PATH_MAX) {
          var where = p ? p.path : opts ? ["classes", u.id] : u.path;
          error(where, !p && !opts ? u.key : false, refused + "option 'path' (a D-Bus path such as \"/Soc\") is required");
        }
      } else if (cls === "hooks.CustomChargingHook" || cls === "hooks.TemperatureChargingHook") {
        /* The hook stops at the first option it refuses. */
        var steps = { ccls: 0, dcls: 0 };
        flat.some(function (o) {
          var table = o.key.slice(0, 5) === "ccls/" ? "ccls" : o.key.slice(0, 5) === "dcls/" ? "dcls" : null;
          if (!table || ++steps[table] > MAX_STEPS || !cNumber(o.key.slice(5)) || o.type === "bool" || !cNumber(o.value)) {
            error(o.path, !table || !cNumber(o.key.slice(5)), refused + "expected \"ccls\" or \"dcls\", objects of threshold (text) -> limit (number), at most " + MAX_STEPS + " each");
            return true;
          }
          return false;
        });
      }
    });
    if (classes && classes.t === "object") {
      classes.keys.forEach(function (id) {
        if (usedIds.indexOf(id) < 0) warn(["classes", id], true, "no virtual battery uses the hook \"class:" + id + "\", so these options are not read");
      });
    }
    return { errors: errors, warnings: warnings, ignored: ignored };
  }


  window.BataggChecks = {
    check: check,
    publishedServices: publishedServices,
    has: has,
    MERGED_PATHS: MERGED_PATHS,
    LIMIT_PATHS: LIMIT_PATHS,
    RATIO_METHODS: RATIO_METHODS,
    CVL_MODES: CVL_MODES,
    LIMITERS: LIMITERS,
    gText: gText,
    MERGE_POLICIES: MERGE_POLICIES,
    HOOKS: HOOKS,
    STRATEGY_OPTIONS: STRATEGY_OPTIONS,
    strategyKind: strategyKind,
    suggest: suggest,
    hookProblem: hookProblem,
    PREFIX: PREFIX,
    DEFAULT_SERVICE: DEFAULT_SERVICE
  };
})();
