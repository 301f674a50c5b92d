/* SPDX-License-Identifier: MIT */
/*
 * What batagg --check-config refuses beyond the JSON Schema (core/config.c,
 * core/strategies.c), so that the page's verdict is batagg's:
 *   - a service both excluded and primary, auxiliary or a virtual member;
 *   - a virtual battery with the aggregate's own (configured) name;
 *   - a duplicate key the form produced (two rows with one name);
 *   - whole numbers written with a fraction or exponent ("30.0"), or too big;
 *   - a capacity too big to be a number (1e999);
 *   - a merge policy for a path no policy merges (the limits, unknown paths).
 * And warnings, which do not change the verdict: strategy names that no
 * built-in plugin provides (they need a plugin), hook options the daemon
 * refuses when it starts (--check-config does not look at them).
 *
 * check(tree) returns {errors: [...], warnings: [...]} in validate.js's form.
 */
(function () {
  "use strict";

  var PREFIX = "com.victronenergy.battery.";
  var DEFAULT_SERVICE = PREFIX + "aggregator";
  var INT_MAX = 2147483647;

  /* The battery paths (SPEC 5.1-5.3): merged by a policy, then the limits,
   * which have rules of their own. */
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
    "/Alarms/HighChargeTemperature", "/Info/ChargeMode"
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
    dvcc: "your DVCC charge voltage limit alone"
  };
  var MERGE_POLICIES = {
    sum: "sum of the valid values; invalid if none",
    sum_or_zero: "sum of the valid values; 0 if none (counts)",
    mean: "arithmetic mean of the valid values",
    capacity_weighted_mean: "mean weighted by /InstalledCapacity",
    min: "smallest valid value",
    max: "largest valid value",
    any: "1 when any battery says 1 (flags); invalid if none",
    alarm: "highest alarm level (0 ok, 1 warning, 2 alarm); 0 if none",
    charge_mode: "Bulk/Absorption/Float, with Transition when batteries differ",
    min_label: "the battery with the lowest key value names the cell",
    max_label: "the battery with the highest key value names the cell",
    first: "the first valid value in precedence order"
  };
  var HOOKS = ["hooks.FixedValueHook", "hooks.CustomChargingHook", "hooks.TemperatureChargingHook"];
  var MAX_STEPS = 32;

  function get(obj, key) {
    if (!obj || obj.t !== "object") return undefined;
    var i = obj.keys.indexOf(key);
    return i < 0 ? undefined : obj.vals[i];
  }

  /* Names of a services value, either form: [{name, at: path, key}] */
  function names(n, path) {
    var out = [];
    if (!n) return out;
    if (n.t === "array") {
      n.items.forEach(function (x, i) {
        if (x.t === "string") out.push({ name: x.v, path: path.concat([i]), key: false });
      });
    } else if (n.t === "object") {
      n.keys.forEach(function (k) { out.push({ name: k, path: path.concat([k]), key: true }); });
    }
    return out;
  }

  function isNumeric(text) {
    return /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) || /^\s*[-+]?(inf|infinity|nan)$/i.test(text);
  }

  function check(tree) {
    var errors = [];
    var warnings = [];
    function error(path, key, message) { errors.push({ path: path, key: key, keyword: "batagg", message: message }); }
    function warn(path, key, message) { warnings.push({ path: path, key: key, keyword: "warning", message: message }); }

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

    if (tree.t !== "object") return { errors: errors, warnings: warnings };

    /* Excluded and used elsewhere. */
    var excluded = get(tree, "excludedServices");
    if (excluded && excluded.t === "array") {
      var elsewhere = [
        ["primaryServices", names(get(tree, "primaryServices"), ["primaryServices"])],
        ["auxiliaryServices", names(get(tree, "auxiliaryServices"), ["auxiliaryServices"])]
      ];
      var virtuals = get(tree, "virtualBatteries");
      if (virtuals && virtuals.t === "object") {
        virtuals.keys.forEach(function (v, i) {
          elsewhere.push(["virtualBatteries", names(virtuals.vals[i], ["virtualBatteries", v])]);
        });
      }
      excluded.items.forEach(function (x, i) {
        if (x.t !== "string") return;
        elsewhere.forEach(function (e) {
          e[1].forEach(function (use) {
            if (use.name !== x.v) return;
            error(["excludedServices", i], false, JSON.stringify(x.v) + " is in excludedServices and in " + e[0] + ": it cannot be both");
            error(use.path, use.key, JSON.stringify(x.v) + " is also in excludedServices: it cannot be both");
          });
        });
      });
    }

    /* A virtual battery with the aggregate's configured name (the schema
     * knows only the default name). */
    var service = get(tree, "serviceName");
    var virtualsNode = get(tree, "virtualBatteries");
    if (service && service.t === "string" && service.v !== DEFAULT_SERVICE && virtualsNode && virtualsNode.t === "object") {
      virtualsNode.keys.forEach(function (v) {
        if (v === service.v) error(["virtualBatteries", v], true, "virtual battery \"" + v + "\" has the aggregate's own name (serviceName)");
      });
    }

    /* Whole numbers as batagg reads them: digits only, within an int. */
    [["reconnectTimeout", 0], ["startupBatteryWait", 1]].forEach(function (w) {
      var n = get(tree, w[0]);
      if (!n || n.t !== "number" || !Number.isInteger(n.v) || n.v < w[1]) return; /* the schema says */
      var raw = n.raw || String(n.v);
      if (!/^-?\d+$/.test(raw) || n.v > INT_MAX) {
        error([w[0]], false, "expected a whole number >= " + w[1] + ", got " + raw + " (write it without a fraction or exponent, at most " + INT_MAX + ")");
      }
    });
    var capacity = get(tree, "capacity");
    if (capacity && capacity.t === "number" && !isFinite(capacity.v)) {
      error(["capacity"], false, "must be a positive number of Ah, got " + capacity.raw);
    }

    /* Merge policies: only for paths merged by a policy. */
    var policies = get(tree, "mergePolicies");
    if (policies && policies.t === "object") {
      policies.keys.forEach(function (p, i) {
        if (p[0] === "/" && MERGED_PATHS.indexOf(p) < 0) {
          error(["mergePolicies", p], true, "'" + p + "' is not a path merged by a policy" +
            (LIMIT_PATHS.indexOf(p) >= 0 ? " (the limits have rules of their own)" : ""));
        }
        var v = policies.vals[i];
        if (v.t === "string" && /^[A-Za-z0-9_.]+$/.test(v.v) && !MERGE_POLICIES[v.v] && HOOKS.indexOf(v.v) < 0) {
          warn(["mergePolicies", p], false, "\"" + v.v + "\" is not a built-in merge policy: it needs a plugin that provides it" + pluginHint(tree));
        }
      });
    }

    /* Strategy names no built-in provides. */
    [["currentRatioMethod", RATIO_METHODS, "current-ratio method"], ["cvlMode", CVL_MODES, "CVL mode"]].forEach(function (w) {
      var n = get(tree, w[0]);
      if (n && n.t === "string" && /^[A-Za-z0-9_.]+$/.test(n.v) && !w[1][n.v]) {
        warn([w[0]], false, "\"" + n.v + "\" is not a built-in " + w[2] + ": it needs a plugin that provides it" + pluginHint(tree));
      }
    });

    /* Hook options, as the hooks read them when the daemon starts. */
    var classes = get(tree, "classes");
    var used = [];
    if (virtualsNode && virtualsNode.t === "object") {
      virtualsNode.vals.forEach(function (m) {
        names(m, []).forEach(function (u) {
          if (u.name.indexOf("class:") === 0) used.push(u.name.slice(6));
        });
      });
    }
    if (classes && classes.t === "object") {
      classes.keys.forEach(function (id, i) {
        var opts = classes.vals[i];
        var cls = id.split("#")[0];
        var path = ["classes", id];
        if (used.indexOf(id) < 0) warn(path, true, "no virtual battery uses the hook \"class:" + id + "\"");
        if (opts.t !== "object") return;
        if (cls === "hooks.FixedValueHook") {
          var p = get(opts, "path");
          if (!p || p.t !== "string" || p.v[0] !== "/") {
            warn(path.concat(p ? ["path"] : []), false, "option 'path' (a D-Bus path such as \"/Soc\") is required: the daemon refuses this hook when it starts");
          }
        } else if (cls === "hooks.CustomChargingHook" || cls === "hooks.TemperatureChargingHook") {
          opts.keys.forEach(function (k, j) {
            var table = opts.vals[j];
            var bad = k !== "ccls" && k !== "dcls";
            if (!bad && table.t === "object") {
              if (table.keys.length > MAX_STEPS) bad = true;
              table.keys.forEach(function (t, s) {
                var limit = table.vals[s];
                if (!isNumeric(t) || limit.t !== "number") {
                  warn(path.concat([k, t]), !isNumeric(t), "a threshold must be a number as text and its limit a number: the daemon refuses this hook when it starts");
                }
              });
            } else if (!bad) {
              bad = true;
            }
            if (bad) {
              warn(path.concat([k]), k !== "ccls" && k !== "dcls", "expected \"ccls\" or \"dcls\", objects of threshold (text) -> limit (number), at most " + MAX_STEPS + " each: the daemon refuses this hook when it starts");
            }
          });
        }
      });
    }
    used.forEach(function (id) {
      var cls = id.split("#")[0];
      if (HOOKS.indexOf(cls) >= 0 && cls !== "hooks.TemperatureChargingHook" && cls !== "hooks.CustomChargingHook" && !get(classes, id)) {
        warn(["classes"], false, "the hook \"class:" + id + "\" has no options in classes: the daemon refuses a FixedValueHook without a 'path'");
      }
    });
    return { errors: errors, warnings: warnings };
  }

  function pluginHint(tree) {
    return get(tree, "pluginDirectory") ? " in pluginDirectory" : " (set pluginDirectory to where it is)";
  }

  window.BataggChecks = {
    check: check,
    MERGED_PATHS: MERGED_PATHS,
    LIMIT_PATHS: LIMIT_PATHS,
    RATIO_METHODS: RATIO_METHODS,
    CVL_MODES: CVL_MODES,
    MERGE_POLICIES: MERGE_POLICIES,
    HOOKS: HOOKS,
    PREFIX: PREFIX,
    DEFAULT_SERVICE: DEFAULT_SERVICE
  };
})();
