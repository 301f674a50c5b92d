/* SPDX-License-Identifier: MIT */
/*
 * A small JSON parser and printer for the config generator.
 *
 * JSON.parse is not enough: batagg refuses duplicate keys, names the line and
 * column of a syntax error, and a hook's thresholds ("-40", "5", ...) must
 * keep the order they were written in (JavaScript objects put integer-like
 * keys first).  So documents are trees of nodes:
 *
 *   {t: "object", keys: [...], vals: [node...]}   keys in written order
 *   {t: "array", items: [node...]}
 *   {t: "string", v}  {t: "number", v, raw}  {t: "bool", v}  {t: "null"}
 *
 * Every node also has line and col (1-based) where it starts, when parsed.
 */
(function () {
  "use strict";

  function SyntaxProblem(message, line, col) {
    this.message = message;
    this.line = line;
    this.col = col;
  }
  SyntaxProblem.prototype.toString = function () {
    return "line " + this.line + ", column " + this.col + ": " + this.message;
  };

  /* core/base/json_tree.h JSON_MAX_DEPTH: batagg refuses deeper nesting. */
  var MAX_DEPTH = 32;

  var NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

  function describe(ch) {
    if (ch === undefined) return "the end of the text";
    if (ch === "\n") return "a line break";
    return "'" + ch + "'";
  }

  /* Parses text into a tree; throws a SyntaxProblem (with line and column)
   * for a syntax error or a duplicate key, as batagg refuses both. */
  function parse(text) {
    var i = 0;
    var line = 1;
    var lineStart = 0;

    function fail(message, at) {
      var l = 1;
      var start = 0;
      for (var k = 0; k < at && k < text.length; k++) {
        if (text[k] === "\n") {
          l++;
          start = k + 1;
        }
      }
      throw new SyntaxProblem(message, l, at - start + 1);
    }

    function skip() {
      for (;;) {
        var c = text[i];
        if (c === "\n") {
          line++;
          lineStart = i + 1;
        } else if (c !== " " && c !== "\t" && c !== "\r") {
          return;
        }
        i++;
      }
    }

    function mark(node, at) {
      node.line = line;
      node.col = at - lineStart + 1;
      return node;
    }

    function string() {
      var start = i;
      var out = "";
      i++; /* the opening quote */
      for (;;) {
        var c = text[i];
        if (c === undefined) fail("syntax error: a string is not closed (missing '\"')", start);
        if (c === '"') {
          i++;
          return out;
        }
        if (c < " ") fail("syntax error: a control character or line break inside a string", i);
        if (c === "\\") {
          var e = text[i + 1];
          var simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
          if (Object.prototype.hasOwnProperty.call(simple, e)) {
            out += simple[e];
            i += 2;
          } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.substr(i + 2, 4))) {
            out += String.fromCharCode(parseInt(text.substr(i + 2, 4), 16));
            i += 6;
          } else {
            fail("syntax error: invalid escape in a string", i);
          }
        } else {
          out += c;
          i++;
        }
      }
    }

    function value(depth) {
      skip();
      var at = i;
      var c = text[i];
      if ((c === "{" || c === "[") && depth >= MAX_DEPTH) {
        fail("nested too deeply: at most " + MAX_DEPTH + " levels of objects and arrays", at);
      }
      if (c === "{") {
        var obj = mark({ t: "object", keys: [], vals: [], keyPos: [] }, at);
        i++;
        skip();
        if (text[i] === "}") {
          i++;
          return obj;
        }
        for (;;) {
          skip();
          if (text[i] !== '"') fail("syntax error: expected a key in double quotes, found " + describe(text[i]), i);
          var keyAt = i;
          var keyLine = line;
          var keyCol = i - lineStart + 1;
          var key = string();
          if (obj.keys.indexOf(key) >= 0) fail("duplicate key '" + key + "'", keyAt);
          skip();
          if (text[i] !== ":") fail("syntax error: expected ':' after the key, found " + describe(text[i]), i);
          i++;
          obj.keys.push(key);
          obj.keyPos.push({ line: keyLine, col: keyCol });
          obj.vals.push(value(depth + 1));
          skip();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === "}") {
            i++;
            return obj;
          }
          fail("syntax error: expected ',' or '}', found " + describe(text[i]), i);
        }
      }
      if (c === "[") {
        var arr = mark({ t: "array", items: [] }, at);
        i++;
        skip();
        if (text[i] === "]") {
          i++;
          return arr;
        }
        for (;;) {
          arr.items.push(value(depth + 1));
          skip();
          if (text[i] === ",") {
            i++;
            continue;
          }
          if (text[i] === "]") {
            i++;
            return arr;
          }
          fail("syntax error: expected ',' or ']', found " + describe(text[i]), i);
        }
      }
      if (c === '"') return mark({ t: "string", v: string() }, at);
      if (c === "-" || (c >= "0" && c <= "9")) {
        NUMBER.lastIndex = i;
        var m = NUMBER.exec(text);
        if (!m) fail("syntax error: invalid number", at);
        i += m[0].length;
        return mark({ t: "number", v: Number(m[0]), raw: m[0] }, at);
      }
      var words = { true: { t: "bool", v: true }, false: { t: "bool", v: false }, null: { t: "null" } };
      for (var w in words) {
        if (text.substr(i, w.length) === w) {
          i += w.length;
          return mark(words[w], at);
        }
      }
      if (c === undefined) fail("syntax error: the text ends where a value should be (empty file?)", at);
      fail("syntax error: expected a value, found " + describe(c), at);
    }

    var root = value(0);
    skip();
    if (i < text.length) fail("syntax error: text after the end of the JSON value, found " + describe(text[i]), i);
    return root;
  }

  function isNumberText(s) {
    NUMBER.lastIndex = 0;
    var m = NUMBER.exec(s);
    return !!m && m[0] === s;
  }

  /* A tree from a plain JavaScript value (order as the object iterates). */
  function fromPlain(x) {
    if (x === null) return { t: "null" };
    if (Array.isArray(x)) return { t: "array", items: x.map(fromPlain) };
    if (typeof x === "object") {
      var keys = Object.keys(x);
      return { t: "object", keys: keys, vals: keys.map(function (k) { return fromPlain(x[k]); }) };
    }
    if (typeof x === "string") return { t: "string", v: x };
    if (typeof x === "number") return { t: "number", v: x, raw: JSON.stringify(x) };
    if (typeof x === "boolean") return { t: "bool", v: x };
    throw new Error("not JSON: " + typeof x);
  }

  /* A number node's text: as written, or (made by the page) its value. */
  function numText(n) {
    return n.raw || String(n.v);
  }

  function scalarText(n) {
    switch (n.t) {
      case "string": return JSON.stringify(n.v);
      case "number": return n.raw !== undefined && isNumberText(n.raw) ? n.raw : JSON.stringify(n.v);
      case "bool": return n.v ? "true" : "false";
      default: return "null";
    }
  }

  /* Pretty-prints a tree, two spaces a level; a short array or object of
   * plain values stays on one line, as in the README's examples. */
  function stringify(n, indent, lead) {
    indent = indent || "";
    lead = lead || 0;
    var inner = indent + "  ";
    if (n.t === "array" || n.t === "object") {
      var count = n.t === "array" ? n.items.length : n.keys.length;
      if (!count) return n.t === "array" ? "[]" : "{}";
      var children = n.t === "array" ? n.items : n.vals;
      var parts = children.map(function (c, i) {
        var k = n.t === "object" ? JSON.stringify(n.keys[i]) + ": " : "";
        return k + stringify(c, inner, k.length);
      });
      var flat = children.every(function (c) {
        return (c.t !== "array" && c.t !== "object") || (c.t === "array" ? !c.items.length : !c.keys.length);
      });
      var open = n.t === "array" ? "[" : "{";
      var close = n.t === "array" ? "]" : "}";
      var oneLine = open + parts.join(", ") + close;
      if (flat && indent.length + lead + oneLine.length <= 60) return oneLine;
      return open + "\n" + inner + parts.join(",\n" + inner) + "\n" + indent + close;
    }
    return scalarText(n);
  }

  window.BataggJSON = {
    parse: parse,
    stringify: stringify,
    fromPlain: fromPlain,
    numText: numText,
    isNumberText: isNumberText,
    SyntaxProblem: SyntaxProblem
  };
})();
