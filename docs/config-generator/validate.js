/* SPDX-License-Identifier: MIT */
/*
 * A JSON Schema (draft 2020-12) validator for exactly the keywords that
 * config/config-schema.json uses, over the trees of json.js.  A keyword it
 * does not implement is not skipped quietly: unsupportedKeywords() lists it,
 * the page shows a banner, and the browser tests fail.
 *
 * validate(schema, tree, labels) returns [{path, key, keyword, message}]:
 * path is the instance location (an array of keys and indices); key is true
 * when the problem is the object key at path, not its value.  labels maps a
 * $defs name to words for messages ("a battery service ...").
 */
(function () {
  "use strict";

  /* What each keyword is: "annotation" (no effect on validity), "schema" (a
   * subschema), "schemas" (an array of them), "map" (name -> subschema) or
   * "check" (a constraint on the instance). */
  var KEYWORDS = {
    $schema: "annotation",
    $id: "annotation",
    $comment: "annotation",
    title: "annotation",
    description: "annotation",
    default: "annotation",
    examples: "annotation",
    $defs: "map",
    properties: "map",
    $ref: "check",
    type: "check",
    enum: "check",
    const: "check",
    pattern: "check",
    maxLength: "check",
    minimum: "check",
    maximum: "check",
    exclusiveMinimum: "check",
    minItems: "check",
    uniqueItems: "check",
    additionalProperties: "schema",
    propertyNames: "schema",
    items: "schema",
    not: "schema",
    oneOf: "schemas",
    anyOf: "schemas",
    allOf: "schemas"
  };
  var DIALECT = "https://json-schema.org/draft/2020-12/schema";

  /* Every keyword of the schema this validator would not honour, as
   * "keyword 'x' at #/pointer"; an empty list means it can check it all. */
  function unsupportedKeywords(schema) {
    var out = [];
    function walk(s, where) {
      if (s === true || s === false) return;
      if (!s || typeof s !== "object" || Array.isArray(s)) {
        out.push("not a schema at " + where);
        return;
      }
      Object.keys(s).forEach(function (k) {
        var kind = Object.prototype.hasOwnProperty.call(KEYWORDS, k) ? KEYWORDS[k] : null;
        var at = where + "/" + k;
        if (!kind) {
          out.push("keyword '" + k + "' at " + where);
        } else if (kind === "schema") {
          walk(s[k], at);
        } else if (kind === "schemas") {
          if (!Array.isArray(s[k])) out.push("keyword '" + k + "' at " + where + " is not an array");
          else s[k].forEach(function (x, i) { walk(x, at + "/" + i); });
        } else if (kind === "map") {
          Object.keys(s[k]).forEach(function (name) { walk(s[k][name], at + "/" + name); });
        } else if (k === "$ref" && !/^#(\/|$)/.test(s[k])) {
          out.push("keyword '$ref' at " + where + ": only references inside the schema (#/...) are supported");
        } else if (k === "$schema" && s[k] !== DIALECT) {
          out.push("keyword '$schema' at " + where + ": only " + DIALECT + " is supported");
        }
      });
    }
    walk(schema, "#");
    return out;
  }

  function resolve(root, ref) {
    var s = root;
    ref.slice(1).split("/").slice(1).forEach(function (part) {
      part = decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~");
      s = s !== null && typeof s === "object" && Object.prototype.hasOwnProperty.call(s, part) ? s[part] : undefined;
    });
    if (s === undefined) throw new Error("schema: unresolvable $ref " + ref);
    return s;
  }

  var TYPE_WORDS = {
    object: "an object",
    array: "an array",
    string: "a string",
    number: "a number",
    integer: "a whole number",
    boolean: "a boolean",
    null: "null"
  };

  function typeOf(n) {
    return n.t === "bool" ? "boolean" : n.t;
  }

  function hasType(n, type) {
    if (type === "integer") return n.t === "number" && Number.isInteger(n.v);
    return typeOf(n) === type;
  }

  function equal(a, b) {
    if (a.t !== b.t) return false;
    if (a.t === "array") {
      return a.items.length === b.items.length && a.items.every(function (x, i) { return equal(x, b.items[i]); });
    }
    if (a.t === "object") {
      if (a.keys.length !== b.keys.length) return false;
      return a.keys.every(function (k, i) {
        var j = b.keys.indexOf(k);
        return j >= 0 && equal(a.vals[i], b.vals[j]);
      });
    }
    return a.t === "null" || a.v === b.v;
  }

  /* A JSON value (from the schema) as a tree node, for enum and const. */
  function node(x) {
    return window.BataggJSON.fromPlain(x);
  }

  function show(n) {
    var text = window.BataggJSON.stringify(n);
    return text.length > 60 ? text.slice(0, 57) + "..." : text;
  }

  /* Case-blind edit distance, for "did you mean". */
  function distance(a, b) {
    a = a.toLowerCase();
    b = b.toLowerCase();
    var row = [];
    for (var j = 0; j <= b.length; j++) row[j] = j;
    for (var i = 1; i <= a.length; i++) {
      var diag = row[0];
      row[0] = i;
      for (j = 1; j <= b.length; j++) {
        var up = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
        diag = up;
      }
    }
    return row[b.length];
  }

  function validate(root, tree, labels) {
    labels = labels || {};

    /* The types a subschema admits at its top, or null for any. */
    function types(s) {
      if (s === true) return null;
      if (s === false) return [];
      if (s.type !== undefined) return [].concat(s.type);
      if (s.$ref) return types(resolve(root, s.$ref));
      if (s.allOf) {
        var found = null;
        s.allOf.forEach(function (x) { found = found || types(x); });
        return found;
      }
      return null;
    }

    function admits(s, n) {
      var t = types(s);
      return t === null || t.some(function (x) { return hasType(n, x) || (x === "number" && n.t === "number"); });
    }

    function label(s, def) {
      if (s.$ref) {
        var name = s.$ref.split("/").pop();
        return labelOf(name) || name;
      }
      return labelOf(def);
    }

    function labelOf(name) {
      return typeof name === "string" && Object.prototype.hasOwnProperty.call(labels, name) ? labels[name] : null;
    }

    function err(path, isKey, keyword, message) {
      return [{ path: path, key: !!isKey, keyword: keyword, message: message }];
    }

    /* Problems of n (at path) against s; def is the $defs entry we are in. */
    function check(s, n, path, isKey, def) {
      if (s === true) return [];
      if (s === false) return err(path, isKey, "false", "is not allowed here");
      var out = [];
      if (s.$ref) {
        var name = s.$ref.split("/").pop();
        out = out.concat(check(resolve(root, s.$ref), n, path, isKey, name));
      }
      if (s.type !== undefined) {
        var ts = [].concat(s.type);
        if (!ts.some(function (t) { return hasType(n, t); })) {
          var got = n.t === "number" && ts.indexOf("integer") >= 0 ? window.BataggJSON.numText(n) : TYPE_WORDS[typeOf(n)];
          return out.concat(err(path, isKey, "type", "expected " + ts.map(function (t) { return TYPE_WORDS[t]; }).join(" or ") + ", got " + got));
        }
      }
      if (s.enum) {
        if (!s.enum.some(function (x) { return equal(node(x), n); })) {
          out = out.concat(err(path, isKey, "enum", "unknown value " + show(n) + "; allowed: " + s.enum.map(function (x) { return JSON.stringify(x); }).join(", ")));
        }
      }
      if (s.const !== undefined && !equal(node(s.const), n)) {
        out = out.concat(err(path, isKey, "const", "must be " + JSON.stringify(s.const)));
      }
      if (s.pattern !== undefined && n.t === "string" && !new RegExp(s.pattern, "u").test(n.v)) {
        var what = labelOf(def);
        out = out.concat(err(path, isKey, "pattern", JSON.stringify(n.v) + (what ? " is not " + what : " does not match " + s.pattern)));
      }
      /* Characters are code points, as JSON Schema counts them. */
      if (s.maxLength !== undefined && n.t === "string" && Array.from(n.v).length > s.maxLength) {
        out = out.concat(err(path, isKey, "maxLength", "is longer than " + s.maxLength + " characters"));
      }
      if (n.t === "number") {
        var raw = window.BataggJSON.numText(n);
        if (s.minimum !== undefined && !(n.v >= s.minimum)) {
          out = out.concat(err(path, isKey, "minimum", "must be >= " + s.minimum + ", got " + raw));
        }
        if (s.maximum !== undefined && !(n.v <= s.maximum)) {
          out = out.concat(err(path, isKey, "maximum", "must be <= " + s.maximum + ", got " + raw));
        }
        if (s.exclusiveMinimum !== undefined && !(n.v > s.exclusiveMinimum)) {
          out = out.concat(err(path, isKey, "exclusiveMinimum", "must be > " + s.exclusiveMinimum + ", got " + raw));
        }
      }
      if (n.t === "object") {
        var props = s.properties || {};
        n.keys.forEach(function (k, i) {
          var p = path.concat([k]);
          if (s.propertyNames !== undefined) {
            out = out.concat(check(s.propertyNames, { t: "string", v: k }, p, true, def));
          }
          if (Object.prototype.hasOwnProperty.call(props, k)) {
            out = out.concat(check(props[k], n.vals[i], p, false, def));
          } else if (s.additionalProperties === false) {
            var near = Object.keys(props).filter(function (known) { return distance(k, known) <= 2; });
            out = out.concat(err(p, true, "additionalProperties", "unknown key '" + k + "'" + (near.length ? " (did you mean '" + near[0] + "'?)" : "")));
          } else if (s.additionalProperties !== undefined) {
            out = out.concat(check(s.additionalProperties, n.vals[i], p, false, def));
          }
        });
      }
      if (n.t === "array") {
        if (s.minItems !== undefined && n.items.length < s.minItems) {
          out = out.concat(err(path, isKey, "minItems", "must list at least " + s.minItems + (s.minItems === 1 ? " item" : " items")));
        }
        if (s.items !== undefined) {
          n.items.forEach(function (x, i) { out = out.concat(check(s.items, x, path.concat([i]), false, def)); });
        }
        if (s.uniqueItems) {
          n.items.forEach(function (x, i) {
            for (var j = 0; j < i; j++) {
              if (equal(n.items[j], x)) {
                out = out.concat(err(path.concat([i]), false, "uniqueItems", show(x) + " is listed twice"));
                break;
              }
            }
          });
        }
      }
      if (s.allOf) {
        s.allOf.forEach(function (x) { out = out.concat(check(x, n, path, isKey, def)); });
      }
      if (s.not !== undefined && !check(s.not, n, path, isKey, def).length) {
        out = out.concat(err(path, isKey, "not", s.not.const !== undefined ? "must not be " + JSON.stringify(s.not.const) : "is not allowed here"));
      }
      ["anyOf", "oneOf"].forEach(function (kw) {
        if (!s[kw]) return;
        var results = s[kw].map(function (x) { return check(x, n, path, isKey, def); });
        var passing = results.filter(function (r) { return !r.length; }).length;
        if (passing === 1 || (kw === "anyOf" && passing > 1)) return;
        if (passing > 1) {
          out = out.concat(err(path, isKey, kw, "matches more than one of the allowed forms"));
          return;
        }
        var fitting = [];
        s[kw].forEach(function (x, i) { if (admits(x, n)) fitting.push(i); });
        if (fitting.length === 0) {
          var all = [];
          s[kw].forEach(function (x) {
            (types(x) || []).forEach(function (t) { if (all.indexOf(t) < 0) all.push(t); });
          });
          out = out.concat(err(path, isKey, "type", "expected " + all.map(function (t) { return TYPE_WORDS[t]; }).join(" or ") + ", got " + TYPE_WORDS[typeOf(n)]));
          return;
        }
        if (fitting.length === 1) {
          out = out.concat(results[fitting[0]]);
          return;
        }
        /* Several forms of the right type: a string matching none of
         * the patterns reads best as "is not X or Y". */
        var words = fitting.map(function (i) { return label(s[kw][i], def); });
        if (n.t === "string" && words.every(Boolean)) {
          out = out.concat(err(path, isKey, kw, JSON.stringify(n.v) + " is not " + words.join(" or ")));
          return;
        }
        var best = fitting[0];
        fitting.forEach(function (i) { if (results[i].length < results[best].length) best = i; });
        out = out.concat(results[best]);
      });
      return out;
    }

    return check(root, tree, [], false, null);
  }

  window.BataggSchema = {
    validate: validate,
    unsupportedKeywords: unsupportedKeywords,
    KEYWORDS: Object.keys(KEYWORDS)
  };
})();
