/* Generated from config/config-schema.json by make-schema-js.sh: do not edit. */
window.BATAGG_SCHEMA = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://batagg.invalid/config-schema.json",
  "title": "batagg config.json",
  "description": "Configuration of batagg, the Venus OS battery aggregator. Every key is optional; a missing file means all defaults. Also valid for the Python BatteryAggregator's configs. Rules that relate keys (a service both excluded and primary, a service listed twice) are checked by 'batagg --check-config' only.",
  "type": "object",
  "additionalProperties": false,
  "$defs": {
    "batteryService": {
      "description": "A battery service's bus name, valid as D-Bus checks it: elements of A-Z, a-z, 0-9, '_' and '-', none empty or starting with a digit, at most 255 characters.",
      "type": "string",
      "pattern": "^com\\.victronenergy\\.battery\\.[A-Za-z_-][A-Za-z0-9_-]*(\\.[A-Za-z_-][A-Za-z0-9_-]*)*$",
      "maxLength": 255
    },
    "customName": {
      "description": "\"name:<custom name>\": the battery service whose /CustomName is that.",
      "type": "string",
      "pattern": "^name:.+$"
    },
    "matchName": {
      "description": "A service to match: a battery service name, or \"name:<custom name>\" for the service whose /CustomName is that. Any other text (the Python daemon took any) can never match a service, as no battery service has that name: it matches nothing, and batagg warns. \"name:\" alone is refused.",
      "type": "string",
      "not": { "const": "name:" }
    },
    "memberName": {
      "description": "A virtual battery's member: a service to match, or a hook.",
      "anyOf": [
        { "$ref": "#/$defs/hookId" },
        { "$ref": "#/$defs/matchName", "not": { "pattern": "^class:" } }
      ]
    },
    "moduleName": {
      "description": "A series battery's module: a battery service name, or \"name:<custom name>\". One no battery service can have (\"com.victronenergy.battery.lynx.1\": an element starts with a digit) matches nothing, and batagg warns.",
      "anyOf": [
        { "type": "string", "pattern": "^com\\.victronenergy\\.battery\\." },
        { "$ref": "#/$defs/customName" }
      ]
    },
    "hookId": {
      "description": "A hook, optionally with a #suffix of A-Z, a-z, 0-9, '_' and '-' to tell two of a kind apart.",
      "type": "string",
      "pattern": "^class:hooks\\.(FixedValueHook|CustomChargingHook|TemperatureChargingHook)(#[A-Za-z0-9_-]*)?$"
    },
    "optionValue": {
      "description": "An option's value (of a hook or a strategy): a number, a string, a boolean (read as 1 or 0) or an object of options.",
      "type": ["number", "string", "boolean", "object"],
      "additionalProperties": { "$ref": "#/$defs/optionValue" }
    },
    "options": {
      "description": "A strategy's or a hook's options: names -> numbers, strings, booleans (read as 1 or 0) or objects of options (flattened to \"outer/inner\" names); arrays and null are refused.",
      "type": "object",
      "additionalProperties": { "$ref": "#/$defs/optionValue" }
    },
    "irOptions": {
      "description": "Options of the ir current ratio method, the internal-resistance estimator.",
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "maxPercentageError": { "type": "number", "exclusiveMinimum": 0, "default": 0.1 },
        "minVoltageChange": { "type": "number", "minimum": 0, "default": 0.02 }
      }
    },
    "noOptions": {
      "description": "Options of a built-in strategy that takes none: only {} is allowed.",
      "type": "object",
      "additionalProperties": false
    },
    "path": {
      "type": "string",
      "pattern": "^/"
    },
    "paths": {
      "description": "D-Bus paths; an empty array means all battery paths.",
      "type": "array",
      "items": { "$ref": "#/$defs/path" }
    },
    "strategyName": {
      "type": "string",
      "pattern": "^[A-Za-z0-9_.]+$"
    },
    "services": {
      "description": "An array of service names (all paths each; a name listed twice counts once, with a warning), or an object: service name -> array of paths.",
      "oneOf": [
        {
          "type": "array",
          "items": { "$ref": "#/$defs/matchName" }
        },
        {
          "type": "object",
          "propertyNames": { "$ref": "#/$defs/matchName" },
          "additionalProperties": { "$ref": "#/$defs/paths" }
        }
      ]
    },
    "members": {
      "oneOf": [
        {
          "type": "array",
          "items": { "$ref": "#/$defs/memberName" }
        },
        {
          "type": "object",
          "propertyNames": { "$ref": "#/$defs/memberName" },
          "additionalProperties": { "$ref": "#/$defs/paths" }
        }
      ]
    }
  },
  "properties": {
    "serviceName": {
      "description": "Bus name of the aggregate.",
      "$ref": "#/$defs/batteryService",
      "default": "com.victronenergy.battery.aggregator"
    },
    "excludedServices": {
      "description": "Battery services never aggregated (matched exactly).",
      "type": "array",
      "items": { "$ref": "#/$defs/matchName" },
      "default": []
    },
    "primaryServices": {
      "description": "Their valid values replace the aggregated ones (first listed first).",
      "$ref": "#/$defs/services"
    },
    "auxiliaryServices": {
      "description": "Their values fill in where aggregation has none.",
      "$ref": "#/$defs/services"
    },
    "capacity": {
      "description": "Installed capacity of the bank, Ah (0: not set).",
      "type": ["number", "null"],
      "minimum": 0
    },
    "virtualBatteries": {
      "description": "Further battery services, each merging its members by precedence.",
      "type": "object",
      "propertyNames": {
        "allOf": [
          { "$ref": "#/$defs/batteryService" },
          { "not": { "const": "com.victronenergy.battery.aggregator" } }
        ]
      },
      "additionalProperties": { "$ref": "#/$defs/members" }
    },
    "classes": {
      "description": "Options of hooks, by hook id without \"class:\".",
      "type": "object",
      "additionalProperties": { "$ref": "#/$defs/options" }
    },
    "currentRatioMethod": {
      "description": "ir, capacity, count, or a plugin's name.",
      "$ref": "#/$defs/strategyName",
      "default": "ir"
    },
    "cclMode": {
      "enum": ["battery+dvcc", "battery", "dvcc"],
      "default": "battery+dvcc"
    },
    "cvlMode": {
      "description": "max_when_balancing, min_when_balancing, max_always, max_when_floating, bulk_until_all_float, dvcc, or a plugin's name.",
      "$ref": "#/$defs/strategyName",
      "default": "max_when_balancing"
    },
    "limiters": {
      "description": "Limiters (plugin SDK 3), by name, each once: each can only lower a battery's CCL, DCL or CVL (README \"Protection from cells and temperatures\"); their options under strategyOptions.",
      "type": "array",
      "items": {"$ref": "#/$defs/strategyName"},
      "uniqueItems": true,
      "default": []
    },
    "maxChargeCurrent": {
      "description": "A cap on the bank's published CCL in A, for busbars, fuses and cables; 0: none.",
      "type": "number",
      "minimum": 0,
      "maximum": 1000000,
      "default": 0
    },
    "maxDischargeCurrent": {
      "description": "A cap on the bank's published DCL in A, for busbars, fuses and cables; 0: none.",
      "type": "number",
      "minimum": 0,
      "maximum": 1000000,
      "default": 0
    },
    "strategyOptions": {
      "description": "Options of strategies (current ratio methods, CVL modes, merge policies) by strategy name, e.g. {\"ir\": {\"maxPercentageError\": 0.05}}. Of the built-in strategies ir and the limiters cell_voltage and temperature take options (the others take none: {} only); a plugin's strategy takes those it documents (batagg --list-strategies). A name that names no strategy is an error. Hooks take theirs from classes.",
      "type": "object",
      "propertyNames": {
        "allOf": [
          { "$ref": "#/$defs/strategyName" },
          { "not": { "enum": ["hooks.FixedValueHook", "hooks.CustomChargingHook", "hooks.TemperatureChargingHook"] } }
        ]
      },
      "properties": {
        "ir": { "$ref": "#/$defs/irOptions" },
        "capacity": { "$ref": "#/$defs/noOptions" },
        "count": { "$ref": "#/$defs/noOptions" },
        "dvcc": { "$ref": "#/$defs/noOptions" },
        "max_always": { "$ref": "#/$defs/noOptions" },
        "max_when_balancing": { "$ref": "#/$defs/noOptions" },
        "max_when_floating": { "$ref": "#/$defs/noOptions" },
        "min_when_balancing": { "$ref": "#/$defs/noOptions" },
        "alarm": { "$ref": "#/$defs/noOptions" },
        "any": { "$ref": "#/$defs/noOptions" },
        "capacity_weighted_mean": { "$ref": "#/$defs/noOptions" },
        "charge_mode": { "$ref": "#/$defs/noOptions" },
        "first": { "$ref": "#/$defs/noOptions" },
        "max": { "$ref": "#/$defs/noOptions" },
        "max_label": { "$ref": "#/$defs/noOptions" },
        "mean": { "$ref": "#/$defs/noOptions" },
        "min": { "$ref": "#/$defs/noOptions" },
        "min_label": { "$ref": "#/$defs/noOptions" },
        "sum": { "$ref": "#/$defs/noOptions" },
        "sum_or_zero": { "$ref": "#/$defs/noOptions" }
      },
      "additionalProperties": { "$ref": "#/$defs/options" }
    },
    "ir": {
      "description": "Options of the ir method, as earlier configs give them: the same as strategyOptions.ir (give them in one of the two).",
      "$ref": "#/$defs/irOptions"
    },
    "reconnectTimeout": { "type": "integer", "minimum": 0, "default": 0 },
    "startupBatteryWait": { "type": "integer", "minimum": 1, "default": 30 },
    "publishInterval": {
      "description": "Seconds between the aggregate's publications (0: every change at once); a falling limit, a rising alarm, an allow flag going to 0 and a member joining or leaving go out at once.",
      "type": "number",
      "minimum": 0,
      "maximum": 60,
      "default": 1
    },
    "expectedBatteries": {
      "description": "How many members there should be: a number for the aggregate, or service name (serviceName, a virtual or series battery) -> number. While fewer are there, /Alarms/BmsCable is 2.",
      "oneOf": [
        { "type": "integer", "minimum": 1 },
        {
          "type": "object",
          "propertyNames": { "$ref": "#/$defs/batteryService" },
          "additionalProperties": { "type": "integer", "minimum": 1 }
        }
      ]
    },
    "publishPropertiesChanged": {
      "description": "Also send a PropertiesChanged per changed path (no Venus OS program needs it).",
      "type": "boolean",
      "default": false
    },
    "logLevel": {
      "enum": ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "NOTSET"],
      "default": "INFO"
    },
    "pluginDirectory": {
      "description": "A directory of third-party strategy plugins (absolute).",
      "type": "string",
      "pattern": "^/"
    },
    "stateFile": {
      "description": "Where what batagg learned about each battery (the ir method's resistances) is kept across restarts: an absolute path, or false for nowhere. Default: beside the config, <config>.state.",
      "oneOf": [
        { "type": "string", "pattern": "^/.*[^/]$" },
        { "type": "boolean", "const": false }
      ]
    },
    "mergePolicies": {
      "description": "Merge policy per aggregated path, e.g. {\"/Soc\": \"capacity_weighted_mean\"}.",
      "type": "object",
      "propertyNames": { "$ref": "#/$defs/path" },
      "additionalProperties": { "$ref": "#/$defs/strategyName" }
    },
    "seriesBatteries": {
      "description": "Series batteries (strings): service name -> its modules from the negative end, each listed once. A module is in one string and nothing else; a string is a member of the aggregate only.",
      "type": "object",
      "propertyNames": {
        "allOf": [
          { "$ref": "#/$defs/batteryService" },
          { "not": { "const": "com.victronenergy.battery.aggregator" } }
        ]
      },
      "additionalProperties": {
        "type": "array",
        "minItems": 1,
        "uniqueItems": true,
        "items": { "$ref": "#/$defs/moduleName" }
      }
    },
    "seriesMergePolicies": {
      "description": "Merge policy per path for every series battery (the limits too), e.g. {\"/Soc\": \"mean\"}.",
      "type": "object",
      "propertyNames": { "$ref": "#/$defs/path" },
      "additionalProperties": { "$ref": "#/$defs/strategyName" }
    }
  }
}
;
