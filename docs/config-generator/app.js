/* SPDX-License-Identifier: MIT */
/*
 * The config generator: a form with one card per config key, the JSON it
 * makes (shown live, validated live against the shipped schema and batagg's
 * other rules), import of an existing config.json, Copy and Download.
 *
 * Every card holds the state of its key ("on": written to the file or not)
 * and its DOM; each change rebuilds the JSON tree from the states, and while
 * doing so each input registers where its errors go (by instance path).
 * A value the form cannot show (a wrong type, an unknown key inside "ir",
 * ...) is kept as JSON text in the card ("Edit as JSON"), so an import always
 * exports unchanged.
 */
(function () {
  "use strict";

  var J = window.BataggJSON;
  var V = window.BataggSchema;
  var C = window.BataggChecks;
  var SCHEMA = window.BATAGG_SCHEMA;

  var LABELS = {
    batteryService: "a battery service name: \"com.victronenergy.battery.\" and more, a valid D-Bus name (A-Z, a-z, 0-9, '_', '-' and '.'; no part empty or starting with a digit)",
    customName: "\"name:<custom name>\"",
    matchName: "a battery service (com.victronenergy.battery.…) or \"name:<custom name>\"",
    moduleName: "a battery service (com.victronenergy.battery.…)",
    hookId: "a hook (class:hooks.FixedValueHook, class:hooks.CustomChargingHook or class:hooks.TemperatureChargingHook, with an optional #suffix of A-Z, a-z, 0-9, '_' and '-')",
    path: "a D-Bus path (it starts with \"/\")",
    strategyName: "a strategy name (letters, digits, \"_\" and \".\")"
  };
  var HOOK_TEXT = {
    "hooks.FixedValueHook": "FixedValueHook (fixed value)",
    "hooks.CustomChargingHook": "CustomChargingHook (by voltage)",
    "hooks.TemperatureChargingHook": "TemperatureChargingHook (by temp.)"
  };
  var HOOK_ID = /^class:(hooks\.(?:FixedValueHook|CustomChargingHook|TemperatureChargingHook))(?:#(.*))?$/;

  /* ---- small DOM helpers ------------------------------------------------ */

  var uid = 0;
  var pendingFocus = null; /* the input of a row just added, focused after rendering */
  function nextId(prefix) {
    uid += 1;
    return prefix + "-" + uid;
  }

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k.slice(0, 2) === "on" && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else if (k === "value" || k === "checked" || k === "hidden" || k === "disabled" || k === "selected") el[k] = v;
      else el.setAttribute(k, v === true ? "" : v);
    });
    [].concat(children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return el;
  }

  function errSlot() {
    return h("div", { class: "field-errors", "aria-live": "polite" });
  }

  /* A text input with a label (visible or for screen readers) and an error
   * slot; onInput(value) on every keystroke. */
  function textInput(o) {
    var id = nextId("in");
    var input = h("input", {
      id: id,
      type: "text",
      value: o.value || "",
      placeholder: o.placeholder,
      list: o.list,
      inputmode: o.inputmode,
      spellcheck: "false",
      autocomplete: "off",
      "data-role": o.role,
      "aria-label": o.hideLabel ? o.label : null,
      oninput: function () { o.onInput(input.value); }
    });
    var slot = errSlot();
    if (o.item && o.item.fresh) {
      pendingFocus = input;
      delete o.item.fresh;
    }
    var label = o.hideLabel ? null : h("label", { for: id, text: o.label });
    var wrap = h("div", { class: "field " + (o.cls || "") }, [label, input, o.help ? h("div", { class: "field-help", text: o.help }) : null, slot]);
    return { wrap: wrap, input: input, slot: slot };
  }

  function button(text, role, onClick, extra) {
    var attrs = { type: "button", "data-role": role, onclick: onClick };
    Object.keys(extra || {}).forEach(function (k) { attrs[k] = extra[k]; });
    return h("button", attrs, text);
  }

  /* A radio group; options [[value, text]]. */
  function radios(label, options, current, onChange) {
    var name = nextId("radio");
    return h("fieldset", { class: "radios" }, [h("legend", { text: label })].concat(options.map(function (o) {
      return h("label", {}, [
        h("input", { type: "radio", name: name, value: o[0], checked: current === o[0], onchange: function () { onChange(o[0]); } }),
        " " + o[1]
      ]);
    })));
  }

  function numberNode(text) {
    var t = text.trim();
    return J.isNumberText(t) ? { t: "number", v: Number(t), raw: t } : { t: "string", v: text };
  }

  /* An empty number field writes nothing (no "" string): its key is left
   * out, and the field says to enter a number. */
  function numberOrProblem(text, path, problems) {
    if (text.trim() !== "") return numberNode(text);
    problems.push({ path: path, key: false, keyword: "required", message: "enter a number" });
    return null;
  }

  function strings(node) {
    return node.t === "array" && node.items.every(function (x) { return x.t === "string"; });
  }

  function pathsOf(node) {
    return strings(node) ? node.items.map(function (x) { return { text: x.v }; }) : null;
  }

  function pathListNode(paths, path, reg) {
    return {
      t: "array",
      items: paths.map(function (p, j) {
        reg(path.concat([j]), p.slot, false);
        return { t: "string", v: p.text };
      })
    };
  }

  /* ---- the editors, one per kind of key ------------------------------- */

  /* Each: init() -> state; fromNode(node) -> state or null (does not fit);
   * render(state, ui) -> element; toNode(state, path, reg) -> node. ui has
   * changed() (a value changed) and rerender() (rows added or removed). */

  function scalarText(o) {
    return {
      init: function () { return { text: "" }; },
      fromNode: function (n) {
        if (o.number) return n.t === "number" ? { text: J.numText(n) } : null;
        return n.t === "string" ? { text: n.v } : null;
      },
      render: function (s, ui) {
        var f = textInput({
          label: o.label, placeholder: o.placeholder, value: s.text, role: "value", list: o.list,
          inputmode: o.number ? (o.integer ? "numeric" : "decimal") : null, cls: o.number ? "num" : "",
          onInput: function (v) { s.text = v; ui.changed(); }
        });
        s.slot = f.slot;
        return f.wrap;
      },
      toNode: function (s, path, reg, problems) {
        reg(path, s.slot, false);
        if (!o.number) return { t: "string", v: s.text };
        return numberOrProblem(s.text, path, problems);
      }
    };
  }

  function enumSelect(values, def) {
    return {
      init: function () { return { value: def }; },
      fromNode: function (n) { return n.t === "string" && C.has(values, n.v) ? { value: n.v } : null; },
      render: function (s, ui) {
        var id = nextId("sel");
        var explain = h("div", { class: "field-help", text: values[s.value] });
        var select = h("select", {
          id: id, "data-role": "value",
          onchange: function () { s.value = select.value; explain.textContent = values[s.value]; ui.changed(); }
        }, Object.keys(values).map(function (v) {
          return h("option", { value: v, selected: v === s.value, text: v + (v === def ? " (default)" : "") });
        }));
        s.slot = errSlot();
        var list = h("dl", { class: "values" }, [].concat.apply([], Object.keys(values).map(function (v) {
          return [h("dt", {}, h("code", { text: v })), h("dd", { text: values[v] })];
        })));
        return h("div", { class: "field" }, [h("label", { for: id, text: "Value" }), select, explain, s.slot, h("details", { class: "all-values" }, [h("summary", { text: "What each value does" }), list])]);
      },
      toNode: function (s, path, reg) {
        reg(path, s.slot, false);
        return { t: "string", v: s.value };
      }
    };
  }

  /* true or false, from a select as enumSelect's (texts: "true"/"false" ->
   * what each does). */
  function boolSelect(texts, def) {
    var e = enumSelect(texts, String(def));
    return {
      init: e.init,
      fromNode: function (n) { return n.t === "bool" ? { value: String(n.v) } : null; },
      render: e.render,
      toNode: function (s, path, reg) {
        reg(path, s.slot, false);
        return { t: "bool", v: s.value === "true" };
      }
    };
  }

  /* stateFile: a file of its own (an absolute path), or false: none. */
  var stateFile = {
    init: function () { return { off: false, text: "" }; },
    fromNode: function (n) {
      if (n.t === "bool" && n.v === false) return { off: true, text: "" };
      return n.t === "string" ? { off: false, text: n.v } : null;
    },
    render: function (s, ui) {
      var id = nextId("sel");
      var texts = {
        file: "a file of its own, at this absolute path",
        "false": "false: nothing learned is kept; every restart learns afresh"
      };
      var explain = h("div", { class: "field-help" });
      var file = textInput({
        label: "File", value: s.text, role: "value", placeholder: "/data/batagg/learned.state",
        onInput: function (v) { s.text = v; ui.changed(); }
      });
      function show() {
        explain.textContent = texts[s.off ? "false" : "file"];
        file.wrap.hidden = s.off;
      }
      var select = h("select", {
        id: id, "data-role": "choice",
        onchange: function () { s.off = select.value === "false"; show(); ui.changed(); }
      }, Object.keys(texts).map(function (v) {
        return h("option", { value: v, selected: (v === "false") === s.off, text: v === "file" ? "a file" : "false" });
      }));
      s.slot = file.slot;
      s.selectSlot = errSlot();
      show();
      return h("div", {}, [
        h("div", { class: "field" }, [h("label", { for: id, text: "Where" }), select, explain, s.selectSlot]),
        file.wrap
      ]);
    },
    toNode: function (s, path, reg) {
      reg(path, s.off ? s.selectSlot : s.slot, false);
      return s.off ? { t: "bool", v: false } : { t: "string", v: s.text };
    }
  };

  /* expectedBatteries: how many members there should be, a number for the
   * aggregate, or per service batagg publishes (the aggregate, a virtual or
   * series battery) -> a number. */
  var expected = {
    init: function () { return { form: "number", text: "", items: [] }; },
    fromNode: function (n) {
      if (n.t === "number") return { form: "number", text: J.numText(n), items: [] };
      if (n.t !== "object" || !n.vals.every(function (v) { return v.t === "number"; })) return null;
      return {
        form: "services", text: "",
        items: n.keys.map(function (k, i) { return { name: k, count: J.numText(n.vals[i]) }; })
      };
    },
    render: function (s, ui) {
      var body;
      if (s.form === "number") {
        var f = textInput({
          label: "Members of the aggregate", value: s.text, role: "value", placeholder: "3", inputmode: "numeric", cls: "num",
          onInput: function (v) { s.text = v; ui.changed(); }
        });
        s.slot = f.slot;
        body = f.wrap;
      } else {
        var rows = s.items.map(function (item, i) {
          var name = textInput({
            label: "Service " + (i + 1), hideLabel: true, value: item.name, role: "name", list: "published-services", item: item,
            placeholder: C.DEFAULT_SERVICE,
            onInput: function (v) { item.name = v; ui.changed(); }
          });
          var count = textInput({
            label: "Members of service " + (i + 1), hideLabel: true, value: item.count, role: "count", placeholder: "2",
            inputmode: "numeric", cls: "num short",
            onInput: function (v) { item.count = v; ui.changed(); }
          });
          item.slot = name.slot;
          item.countSlot = count.slot;
          return h("div", { class: "row", "data-role": "item" }, [name.wrap, count.wrap,
            button("✕", "remove", function () { s.items.splice(i, 1); ui.rerender(); }, { title: "Remove", "aria-label": "Remove service " + (i + 1) })]);
        });
        body = h("div", {}, [
          h("div", { class: "field-help", text: "Each a service batagg publishes: serviceName (the aggregate), or a virtual or series battery above; " +
            "and how many members it should have (a series battery's: its modules)." }),
          h("div", { class: "rows" }, rows.concat([button("+ Add a service", "add", function () {
            s.items.push({ name: "", count: "", fresh: true });
            ui.rerender();
          })]))
        ]);
      }
      return h("div", {}, [
        radios("Form", [["number", "a number: the aggregate's members"], ["services", "per service: the aggregate, virtual and series batteries"]], s.form,
          function (v) { s.form = v; ui.rerender(); }),
        body
      ]);
    },
    toNode: function (s, path, reg, problems) {
      if (s.form === "number") {
        reg(path, s.slot, false);
        return numberOrProblem(s.text, path, problems);
      }
      var o = { t: "object", keys: [], vals: [] };
      s.items.forEach(function (item) {
        var p = path.concat([item.name]);
        reg(p, item.slot, true);
        reg(p, item.countSlot, false);
        var n = numberOrProblem(item.count, p, problems);
        if (!n) return;
        o.keys.push(item.name);
        o.vals.push(n);
      });
      return o;
    }
  };

  /* A built-in strategy, or a plugin's by name. */
  function strategy(builtins, def) {
    var PLUGIN = "(plugin)";
    return {
      init: function () { return { choice: def, plugin: "" }; },
      fromNode: function (n) {
        if (n.t !== "string") return null;
        return C.has(builtins, n.v) ? { choice: n.v, plugin: "" } : { choice: PLUGIN, plugin: n.v };
      },
      render: function (s, ui) {
        var id = nextId("sel");
        var explain = h("div", { class: "field-help" });
        var plugin = textInput({
          label: "Plugin's strategy name", value: s.plugin, role: "plugin", placeholder: "my_strategy",
          onInput: function (v) { s.plugin = v; ui.changed(); }
        });
        function show() {
          explain.textContent = s.choice === PLUGIN ? "a strategy from a plugin in pluginDirectory, by its name" : builtins[s.choice];
          plugin.wrap.hidden = s.choice !== PLUGIN;
        }
        var select = h("select", {
          id: id, "data-role": "choice",
          onchange: function () { s.choice = select.value; show(); ui.changed(); }
        }, Object.keys(builtins).map(function (v) {
          return h("option", { value: v, selected: v === s.choice, text: v + (v === def ? " (default)" : "") });
        }).concat([h("option", { value: PLUGIN, selected: s.choice === PLUGIN, text: "another, from a plugin…" })]));
        s.slot = plugin.slot;
        s.selectSlot = errSlot();
        show();
        var list = h("dl", { class: "values" }, [].concat.apply([], Object.keys(builtins).map(function (v) {
          return [h("dt", {}, h("code", { text: v })), h("dd", { text: builtins[v] })];
        })));
        /* The chosen strategy's options, which live in strategyOptions (or,
         * for ir, in the ir card): where they are, or a button to add them. */
        s.optionsEl = h("div", { class: "quick", "data-role": "strategy-options-of" });
        s.optionsEl.refresh = function () {
          var name = s.choice === PLUGIN ? s.plugin : s.choice;
          var el = s.optionsEl;
          el.textContent = "";
          el.hidden = name === "" || !/^[A-Za-z0-9_.]+$/.test(name);
          if (el.hidden) return;
          if (C.has(builtins, name) && !C.has(C.STRATEGY_OPTIONS, name)) {
            el.appendChild(document.createTextNode(name + " takes no options."));
          } else if (ui.optionsAt(name)) {
            el.appendChild(document.createTextNode("The options of " + name + " are in " + ui.optionsAt(name) + ", below."));
          } else {
            el.appendChild(document.createTextNode("Options of " + name + ": none given" + (C.has(builtins, name) ? " (its defaults)" : "") + ". "));
            el.appendChild(button("+ Options for " + name, "add-options-for", function () { ui.addOptionsFor(name); }));
          }
        };
        return h("div", {}, [
          h("div", { class: "field" }, [h("label", { for: id, text: "Value" }), select, explain, s.selectSlot]),
          plugin.wrap,
          s.optionsEl,
          h("details", { class: "all-values" }, [h("summary", { text: "What each value does" }), list])
        ]);
      },
      toNode: function (s, path, reg) {
        reg(path, s.choice === PLUGIN ? s.slot : s.selectSlot, false);
        return { t: "string", v: s.choice === PLUGIN ? s.plugin : s.choice };
      }
    };
  }

  /* A list of strings, each a row with a remove button. */
  function rowsOfText(items, ui, o) {
    var rows = items.map(function (item, i) {
      var f = textInput({
        label: o.label + " " + (i + 1), hideLabel: true, value: item.text, role: o.role, list: o.list, placeholder: o.placeholder, item: item,
        onInput: function (v) { item.text = v; ui.changed(); }
      });
      item.slot = f.slot;
      return h("div", { class: "row", "data-role": o.itemRole || "item" }, [f.wrap, button("✕", "remove", function () {
        items.splice(i, 1);
        ui.rerender();
      }, { title: "Remove", "aria-label": "Remove " + (item.text || o.label) })]);
    });
    var add = button(o.addText, o.addRole || "add", function () {
      items.push({ text: o.initial || "", fresh: true });
      ui.rerender();
    });
    return h("div", { class: "rows" }, rows.concat([add]));
  }

  var serviceList = {
    init: function () { return { items: [] }; },
    fromNode: function (n) {
      return strings(n) ? { items: n.items.map(function (x) { return { text: x.v }; }) } : null;
    },
    render: function (s, ui) {
      return rowsOfText(s.items, ui, {
        label: "Service", role: "name", list: "battery-names", addText: "+ Add a service",
        placeholder: "com.victronenergy.battery.ttyS3 or name:My Shunt", initial: ""
      });
    },
    toNode: function (s, path, reg) {
      return {
        t: "array",
        items: s.items.map(function (item, i) {
          reg(path.concat([i]), item.slot, false);
          return { t: "string", v: item.text };
        })
      };
    }
  };

  /* The path list of one service or member, in the "per-service paths" form. */
  function pathRows(entry, ui) {
    var rows = rowsOfText(entry.paths, ui, {
      label: "Path", role: "path", itemRole: "path-item", list: "battery-paths", addText: "+ Path", addRole: "add-path", placeholder: "/Soc"
    });
    entry.pathsSlot = errSlot();
    return h("div", { class: "paths" }, [
      h("div", { class: "paths-note", text: entry.paths.length ? "Paths taken from it:" : "No paths listed: all battery paths." }),
      rows, entry.pathsSlot
    ]);
  }

  /* primaryServices, auxiliaryServices: a list, or service -> paths. */
  var services = {
    init: function () { return { form: "list", items: [] }; },
    fromNode: function (n) {
      if (strings(n)) return { form: "list", items: n.items.map(function (x) { return { name: x.v, paths: [] }; }) };
      if (n.t !== "object" || !n.vals.every(strings)) return null;
      return { form: "paths", items: n.keys.map(function (k, i) { return { name: k, paths: pathsOf(n.vals[i]) }; }) };
    },
    render: function (s, ui) {
      var rows = s.items.map(function (item, i) {
        var f = textInput({
          label: "Service " + (i + 1), hideLabel: true, value: item.name, role: "name", list: "battery-names", item: item,
          placeholder: "com.victronenergy.battery.ttyUSB0 or name:SmartShunt",
          onInput: function (v) { item.name = v; ui.changed(); }
        });
        item.slot = f.slot;
        return h("div", { class: "entry", "data-role": "item" }, [
          h("div", { class: "row" }, [f.wrap, button("✕", "remove", function () { s.items.splice(i, 1); ui.rerender(); }, { title: "Remove", "aria-label": "Remove service " + (i + 1) })]),
          s.form === "paths" ? pathRows(item, ui) : null
        ]);
      });
      return h("div", {}, [
        radios("Form", [["list", "a list of services (all paths each)"], ["paths", "paths per service"]], s.form, function (v) { s.form = v; ui.rerender(); }),
        h("div", { class: "rows" }, rows.concat([button("+ Add a service", "add", function () {
          s.items.push({ name: "", paths: [], fresh: true });
          ui.rerender();
        })]))
      ]);
    },
    toNode: function (s, path, reg) {
      if (s.form === "list") {
        return {
          t: "array",
          items: s.items.map(function (item, i) {
            reg(path.concat([i]), item.slot, false);
            return { t: "string", v: item.name };
          })
        };
      }
      return {
        t: "object",
        keys: s.items.map(function (item) { return item.name; }),
        vals: s.items.map(function (item) {
          var p = path.concat([item.name]);
          reg(p, item.slot, true);
          reg(p, item.pathsSlot, false);
          return pathListNode(item.paths, p, reg);
        })
      };
    }
  };

  /* A virtual battery's member: a battery, or a hook with an optional suffix.
   * hash: an imported "#" with an empty suffix, kept until the suffix is
   * edited (an empty suffix field otherwise writes no "#"). */
  function memberFrom(name, paths) {
    var m = HOOK_ID.exec(name);
    return m ? { kind: "hook", hook: m[1], suffix: m[2] || "", hash: m[2] === "", text: "", paths: paths || [] }
      : { kind: "battery", hook: C.HOOKS[0], suffix: "", hash: false, text: name, paths: paths || [] };
  }

  function memberName(m) {
    return m.kind === "hook" ? "class:" + m.hook + (m.suffix || m.hash ? "#" + m.suffix : "") : m.text;
  }

  function membersFit(n) {
    return strings(n) || (n.t === "object" && n.vals.every(strings));
  }

  var virtuals = {
    init: function () { return { items: [] }; },
    fromNode: function (n) {
      if (n.t !== "object" || !n.vals.every(membersFit)) return null;
      return {
        items: n.keys.map(function (k, i) {
          var m = n.vals[i];
          return {
            name: k,
            form: m.t === "array" ? "list" : "paths",
            members: m.t === "array" ? m.items.map(function (x) { return memberFrom(x.v); })
              : m.keys.map(function (mk, j) { return memberFrom(mk, pathsOf(m.vals[j])); })
          };
        })
      };
    },
    render: function (s, ui) {
      var blocks = s.items.map(function (vb, vi) {
        var name = textInput({
          label: "Virtual battery's service name", value: vb.name, role: "virtual-name", list: "battery-names", item: vb,
          placeholder: "com.victronenergy.battery.virtual1",
          onInput: function (v) { vb.name = v; ui.changed(); }
        });
        vb.slot = name.slot;
        var members = vb.members.map(function (m, mi) {
          var kind = h("select", {
            "data-role": "member-kind", "aria-label": "Member " + (mi + 1) + " kind",
            onchange: function () { m.kind = kind.value; ui.rerender(); }
          }, [h("option", { value: "battery", selected: m.kind === "battery", text: "battery" }), h("option", { value: "hook", selected: m.kind === "hook", text: "hook" })]);
          m.slot = errSlot();
          var what;
          if (m.kind === "hook") {
            var cls = h("select", {
              "data-role": "hook-class", "aria-label": "Member " + (mi + 1) + " hook",
              onchange: function () { m.hook = cls.value; ui.changed(); }
            }, C.HOOKS.map(function (x) { return h("option", { value: x, selected: x === m.hook, text: HOOK_TEXT[x] }); }));
            var suffix = h("input", {
              type: "text", value: m.suffix, placeholder: "suffix (optional)", "data-role": "hook-suffix",
              "aria-label": "Member " + (mi + 1) + " hook suffix, to tell two of a kind apart", spellcheck: "false",
              oninput: function () { m.suffix = suffix.value; m.hash = false; ui.changed(); }
            });
            what = h("div", { class: "field hook-id" }, [cls, h("span", { class: "hash", text: "#" }), suffix, m.slot]);
          } else {
            var input = h("input", {
              type: "text", value: m.text, list: "battery-names", "data-role": "name", spellcheck: "false", autocomplete: "off",
              placeholder: "com.victronenergy.battery.bms or name:My BMS", "aria-label": "Member " + (mi + 1),
              oninput: function () { m.text = input.value; ui.changed(); }
            });
            what = h("div", { class: "field" }, [input, m.slot]);
            if (m.fresh) {
              pendingFocus = input;
              delete m.fresh;
            }
          }
          return h("div", { class: "entry member", "data-role": "member" }, [
            h("div", { class: "row" }, [
              h("span", { class: "order", text: String(mi + 1) }), kind, what,
              button("↑", "move-up", function () {
                if (mi > 0) {
                  vb.members.splice(mi - 1, 0, vb.members.splice(mi, 1)[0]);
                  ui.rerender();
                }
              }, { title: "Earlier (takes precedence)", "aria-label": "Move member " + (mi + 1) + " up", disabled: mi === 0 }),
              button("✕", "remove", function () { vb.members.splice(mi, 1); ui.rerender(); }, { title: "Remove", "aria-label": "Remove member " + (mi + 1) })
            ]),
            vb.form === "paths" ? pathRows(m, ui) : null
          ]);
        });
        return h("fieldset", { class: "virtual", "data-role": "virtual" }, [
          h("legend", { text: "Virtual battery " + (vi + 1) }),
          h("div", { class: "row" }, [name.wrap, button("Remove this virtual battery", "remove-virtual", function () { s.items.splice(vi, 1); ui.rerender(); })]),
          radios("Members", [["list", "a list (all paths each)"], ["paths", "paths per member"]], vb.form, function (v) { vb.form = v; ui.rerender(); }),
          h("div", { class: "field-help", text: "In precedence order: for each path, the first member that has a value gives it. " +
            "A hook gives values of its own: FixedValueHook one path's fixed value, CustomChargingHook the CCL/DCL by the merged voltage, " +
            "TemperatureChargingHook by the merged temperature (their options: classes, below)." }),
          h("div", { class: "rows" }, members.concat([button("+ Add a member", "add-member", function () {
            var fresh = memberFrom("");
            fresh.fresh = true;
            vb.members.push(fresh);
            ui.rerender();
          })]))
        ]);
      });
      return h("div", { class: "rows" }, blocks.concat([button("+ Add a virtual battery", "add-virtual", function () {
        s.items.push({ name: "", form: "list", members: [], fresh: true });
        ui.rerender();
      })]));
    },
    toNode: function (s, path, reg) {
      return {
        t: "object",
        keys: s.items.map(function (vb) { return vb.name; }),
        vals: s.items.map(function (vb) {
          var p = path.concat([vb.name]);
          reg(p, vb.slot, true);
          reg(p, vb.slot, false);
          if (vb.form === "list") {
            return {
              t: "array",
              items: vb.members.map(function (m, i) {
                reg(p.concat([i]), m.slot, false);
                return { t: "string", v: memberName(m) };
              })
            };
          }
          return {
            t: "object",
            keys: vb.members.map(memberName),
            vals: vb.members.map(function (m) {
              var mp = p.concat([memberName(m)]);
              reg(mp, m.slot, true);
              reg(mp, m.pathsSlot, false);
              return pathListNode(m.paths, mp, reg);
            })
          };
        })
      };
    }
  };

  /* seriesBatteries: a string's service name -> its modules, in order
   * from the negative end. */
  var series = {
    init: function () { return { items: [] }; },
    fromNode: function (n) {
      if (n.t !== "object" || !n.vals.every(strings)) return null;
      return {
        items: n.keys.map(function (k, i) {
          return { name: k, modules: n.vals[i].items.map(function (x) { return { text: x.v }; }) };
        })
      };
    },
    render: function (s, ui) {
      var blocks = s.items.map(function (sb, si) {
        var name = textInput({
          label: "Series battery's service name", value: sb.name, role: "series-name", list: "battery-names", item: sb,
          placeholder: "com.victronenergy.battery.string1",
          onInput: function (v) { sb.name = v; ui.changed(); }
        });
        sb.slot = name.slot;
        var modules = sb.modules.map(function (m, mi) {
          var f = textInput({
            label: "Module " + (mi + 1), hideLabel: true, value: m.text, role: "name", list: "battery-names", item: m,
            placeholder: "com.victronenergy.battery.ttyUSB0 or name:Module 1",
            onInput: function (v) { m.text = v; ui.changed(); }
          });
          m.slot = f.slot;
          return h("div", { class: "row", "data-role": "module" }, [
            h("span", { class: "order", text: String(mi + 1) }), f.wrap,
            button("↑", "move-up", function () {
              if (mi > 0) {
                sb.modules.splice(mi - 1, 0, sb.modules.splice(mi, 1)[0]);
                ui.rerender();
              }
            }, { title: "Nearer the negative end", "aria-label": "Move module " + (mi + 1) + " up", disabled: mi === 0 }),
            button("✕", "remove", function () { sb.modules.splice(mi, 1); ui.rerender(); }, { title: "Remove", "aria-label": "Remove module " + (mi + 1) })
          ]);
        });
        return h("fieldset", { class: "virtual", "data-role": "series" }, [
          h("legend", { text: "Series battery " + (si + 1) }),
          h("div", { class: "row" }, [name.wrap, button("Remove this series battery", "remove-series", function () { s.items.splice(si, 1); ui.rerender(); })]),
          h("div", { class: "field-help", text: "Its modules as they are wired, from the negative end, each once: batagg expects that many. " +
            "A module is a battery, in this string only (not in a virtual battery, not in another string)." }),
          h("div", { class: "rows" }, modules.concat([button("+ Add a module", "add-module", function () {
            sb.modules.push({ text: "", fresh: true });
            ui.rerender();
          })]))
        ]);
      });
      return h("div", { class: "rows" }, blocks.concat([button("+ Add a series battery", "add-series", function () {
        s.items.push({ name: "", modules: [], fresh: true });
        ui.rerender();
      })]));
    },
    toNode: function (s, path, reg) {
      return {
        t: "object",
        keys: s.items.map(function (sb) { return sb.name; }),
        vals: s.items.map(function (sb) {
          var p = path.concat([sb.name]);
          reg(p, sb.slot, true);
          reg(p, sb.slot, false);
          return {
            t: "array",
            items: sb.modules.map(function (m, i) {
              reg(p.concat([i]), m.slot, false);
              return { t: "string", v: m.text };
            })
          };
        })
      };
    }
  };

  /* classes: options per hook id; a form for the known hooks. */
  function hookKind(id) {
    var cls = id.split("#")[0];
    if (cls === "hooks.FixedValueHook") return "fixed";
    if (cls === "hooks.CustomChargingHook" || cls === "hooks.TemperatureChargingHook") return "charging";
    return "other";
  }

  function stepsFit(n) {
    return n.t === "object" && n.keys.length > 0 && n.vals.every(function (x) { return x.t === "number"; });
  }

  function optionsFit(id, n) {
    if (n.t !== "object") return false;
    var kind = hookKind(id);
    if (kind === "fixed") {
      return n.keys.every(function (k, i) {
        var v = n.vals[i];
        /* An empty field leaves its key out: "" stays JSON text. */
        if (k === "path") return v.t === "string" && v.v !== "";
        if (k === "value") return v.t === "number" || (v.t === "string" && v.v !== "" && !J.isNumberText(v.v.trim()));
        return false;
      });
    }
    if (kind === "charging") {
      return n.keys.every(function (k, i) { return (k === "ccls" || k === "dcls") && stepsFit(n.vals[i]); });
    }
    return false;
  }

  function newHookOptions(id) {
    return { id: id, raw: null, otherRaw: "{}", path: "", value: "", ccls: [], dcls: [] };
  }

  var classes = {
    init: function () { return { items: [] }; },
    fromNode: function (n) {
      if (n.t !== "object") return null;
      return {
        items: n.keys.map(function (id, i) {
          var o = n.vals[i];
          var e = newHookOptions(id);
          if (!optionsFit(id, o)) {
            e.raw = J.stringify(o);
            return e;
          }
          o.keys.forEach(function (k, j) {
            var v = o.vals[j];
            if (k === "path") e.path = v.v;
            else if (k === "value") e.value = v.t === "number" ? J.numText(v) : v.v;
            else e[k] = v.keys.map(function (t, s) { return { t: t, l: J.numText(v.vals[s]) }; });
          });
          return e;
        })
      };
    },
    render: function (s, ui) {
      var entries = s.items.map(function (e, i) {
        var kind = hookKind(e.id);
        var id = textInput({
          label: "Hook id (without \"class:\")", value: e.id, role: "hook-id", list: "hook-ids", item: e.fresh === true ? e : null,
          placeholder: "hooks.CustomChargingHook",
          onInput: function (v) {
            var before = hookKind(e.id);
            e.id = v;
            if (hookKind(v) !== before) ui.rerender({ role: "hook-id", index: i });
            else ui.changed();
          }
        });
        e.slot = id.slot;
        e.optsSlot = errSlot();
        var body;
        if (e.raw !== null || kind === "other") {
          var ta = h("textarea", {
            "data-role": "hook-raw", rows: 4, spellcheck: "false", "aria-label": "Options as JSON",
            oninput: function () {
              if (e.raw !== null) e.raw = ta.value;
              else e.otherRaw = ta.value;
              ui.changed();
            }
          });
          ta.value = e.raw !== null ? e.raw : e.otherRaw;
          body = h("div", { class: "field" }, [
            h("div", { class: "field-help", text: kind === "other" ? "Not a known hook: its options as JSON." : "These options do not fit the form; as JSON:" }),
            ta,
            kind !== "other" ? button("Use the form", "hook-form", function () {
              var n;
              try { n = J.parse(e.raw); } catch (err) { return; }
              if (!optionsFit(e.id, n)) return;
              var fresh = classes.fromNode({ t: "object", keys: [e.id], vals: [n] }).items[0];
              s.items[i] = fresh;
              ui.rerender();
            }) : null
          ]);
        } else if (kind === "fixed") {
          var p = textInput({
            label: "path — the path that always has this value", value: e.path, role: "fixed-path", list: "battery-paths", placeholder: "/Info/MaxChargeVoltage", item: e.fresh === "options" ? e : null,
            onInput: function (v) { e.path = v; ui.changed(); }
          });
          var v = textInput({
            label: "value — a number (or text)", value: e.value, role: "fixed-value", placeholder: "55.6", cls: "num",
            onInput: function (x) { e.value = x; ui.changed(); }
          });
          e.pathSlot = p.slot;
          e.valueSlot = v.slot;
          body = h("div", { class: "pair" }, [p.wrap, v.wrap]);
        } else {
          var unit = e.id.indexOf("Temperature") >= 0 ? "°C" : "V";
          var source = unit === "V" ? "merged /Dc/0/Voltage" : "merged /Dc/0/Temperature";
          body = h("div", {}, ["ccls", "dcls"].map(function (table) {
            var steps = e[table];
            var rows = steps.map(function (step, si) {
              var t = textInput({
                label: "from " + unit, value: step.t, role: "threshold", placeholder: unit === "V" ? "55.2" : "5", cls: "short", item: step,
                onInput: function (x) { step.t = x; ui.changed(); }
              });
              var l = textInput({
                label: "limit A", value: step.l, role: "limit", placeholder: "100", cls: "short",
                onInput: function (x) { step.l = x; ui.changed(); }
              });
              step.tSlot = t.slot;
              step.lSlot = l.slot;
              return h("div", { class: "row step", "data-role": "step" }, [t.wrap, l.wrap, button("✕", "remove", function () { steps.splice(si, 1); ui.rerender(); }, { title: "Remove", "aria-label": "Remove step " + (si + 1) })]);
            });
            e[table + "Slot"] = errSlot();
            return h("fieldset", { class: "table", "data-role": "table", "data-table": table }, [
              h("legend", { text: (table === "ccls" ? "ccls — charge current limit" : "dcls — discharge current limit") + " by " + source }),
              h("div", { class: "field-help", text: "With the " + source + " at or above a threshold (" + unit + "), the limit of the last such threshold in this order applies." }),
              h("div", { class: "rows" }, rows.concat([button("+ Step", "add-step", function () { steps.push({ t: "", l: "", fresh: true }); ui.rerender(); })])),
              e[table + "Slot"]
            ]);
          }));
        }
        return h("fieldset", { class: "hook-options", "data-role": "hook-options" }, [
          h("legend", { text: "Options of " + (e.id || "a hook") }),
          h("div", { class: "row" }, [id.wrap, button("Remove", "remove", function () { s.items.splice(i, 1); ui.rerender(); }, { "aria-label": "Remove the options of " + (e.id || "this hook") })]),
          body, e.optsSlot
        ]);
      });
      s.quickEl = h("div", { class: "quick" });
      s.quickEl.refresh = function () {
        var missing = ui.usedHooks().filter(function (id) {
          return !s.items.some(function (e) { return e.id === id; });
        });
        s.quickEl.textContent = "";
        s.quickEl.hidden = !missing.length;
        if (!missing.length) return;
        s.quickEl.appendChild(document.createTextNode("Hooks in your virtual batteries without options: "));
        missing.forEach(function (id) {
          s.quickEl.appendChild(button("+ " + id, "add-used-hook", function () {
            var fresh = newHookOptions(id);
            fresh.fresh = hookKind(id) === "fixed" ? "options" : undefined;
            s.items.push(fresh);
            ui.rerender();
          }));
        });
      };
      return h("div", { class: "rows" }, entries.concat([s.quickEl, button("+ Add hook options", "add-hook-options", function () {
        var fresh = newHookOptions("");
        fresh.fresh = true;
        s.items.push(fresh);
        ui.rerender();
      })]));
    },
    toNode: function (s, path, reg, problems) {
      return {
        t: "object",
        keys: s.items.map(function (e) { return e.id; }),
        vals: s.items.map(function (e) {
          var p = path.concat([e.id]);
          reg(p, e.slot, true);
          reg(p, e.optsSlot, false);
          if (e.raw !== null || hookKind(e.id) === "other") {
            try {
              return J.parse(e.raw !== null ? e.raw : e.otherRaw);
            } catch (err) {
              problems.push({ path: p, key: false, keyword: "json", message: "the options are not valid JSON: " + err });
              return { t: "object", keys: [], vals: [] };
            }
          }
          if (hookKind(e.id) === "fixed") {
            var o = { t: "object", keys: [], vals: [] };
            if (e.path !== "") {
              o.keys.push("path");
              o.vals.push({ t: "string", v: e.path });
              reg(p.concat(["path"]), e.pathSlot, false);
            }
            if (e.value !== "") {
              o.keys.push("value");
              o.vals.push(numberNode(e.value));
              reg(p.concat(["value"]), e.valueSlot, false);
            }
            return o;
          }
          var c = { t: "object", keys: [], vals: [] };
          ["ccls", "dcls"].forEach(function (table) {
            if (!e[table].length) return;
            var tp = p.concat([table]);
            reg(tp, e[table + "Slot"], false);
            reg(tp, e[table + "Slot"], true);
            var steps = { t: "object", keys: [], vals: [] };
            e[table].forEach(function (step) {
              reg(tp.concat([step.t]), step.tSlot, true);
              reg(tp.concat([step.t]), step.lSlot, false);
              var limit = numberOrProblem(step.l, tp.concat([step.t]), problems);
              if (!limit) return;
              steps.keys.push(step.t);
              steps.vals.push(limit);
            });
            c.keys.push(table);
            c.vals.push(steps);
          });
          return c;
        })
      };
    }
  };

  var irEditor = {
    init: function () { return { mpe: "", mvc: "" }; },
    fromNode: function (n) {
      if (n.t !== "object") return null;
      var s = { mpe: "", mvc: "" };
      var ok = n.keys.every(function (k, i) {
        var v = n.vals[i];
        if (v.t !== "number") return false;
        if (k === "maxPercentageError") s.mpe = J.numText(v);
        else if (k === "minVoltageChange") s.mvc = J.numText(v);
        else return false;
        return true;
      });
      return ok ? s : null;
    },
    render: function (s, ui) {
      var a = textInput({
        label: "maxPercentageError", value: s.mpe, role: "mpe", placeholder: "0.1", inputmode: "decimal", cls: "num",
        help: "Largest relative error of a fit that is accepted (> 0; default 0.1, i.e. 10 %).",
        onInput: function (v) { s.mpe = v; ui.changed(); }
      });
      var b = textInput({
        label: "minVoltageChange", value: s.mvc, role: "mvc", placeholder: "0.02", inputmode: "decimal", cls: "num",
        help: "Volts a voltage sample must differ from the last kept one to count (>= 0; default 0.02).",
        onInput: function (v) { s.mvc = v; ui.changed(); }
      });
      s.mpeSlot = a.slot;
      s.mvcSlot = b.slot;
      return h("div", {}, [h("div", { class: "pair" }, [a.wrap, b.wrap]), h("div", { class: "field-help", text: "Leave one empty for its default." })]);
    },
    toNode: function (s, path, reg) {
      var o = { t: "object", keys: [], vals: [] };
      if (s.mpe.trim() !== "") {
        o.keys.push("maxPercentageError");
        o.vals.push(numberNode(s.mpe));
        reg(path.concat(["maxPercentageError"]), s.mpeSlot, false);
      }
      if (s.mvc.trim() !== "") {
        o.keys.push("minVoltageChange");
        o.vals.push(numberNode(s.mvc));
        reg(path.concat(["minVoltageChange"]), s.mvcSlot, false);
      }
      return o;
    }
  };

  /* ---- limiters (SDK 3) ------------------------------------------------- */

  /* The built-in limiters' options, for their cards: each option with its
   * default (the plugin's help and defaults()), the tables as rows, and
   * presets.  The checks are checks.js's, in the plugins' words. */
  var LIMITER_FORMS = {
    cell_voltage: {
      help: "Caps each battery's CCL and DCL by its highest and lowest cell, and its CVL while a cell runs above cellMax; every threshold in volts per cell. " +
        "The defaults are for LFP. A table you write replaces the default table whole.",
      scalars: [
        { key: "hysteresis", label: "hysteresis — V per cell, 0 to 0.5", def: "0.02", help: "A cap rises again only once its cell has come back by this." },
        { key: "riseRate", label: "riseRate — A/s, above 0", def: "5", help: "How fast a cap rises again." },
        { key: "cellMax", label: "cellMax — V per cell, 1.5 to 5", def: "3.60", help: "Above it the battery's CVL is cut by the highest cell's excess; it must be above chargeTable's first point." },
        { key: "cvlMargin", label: "cvlMargin — V (the battery's), 0 or more", def: "1.0", help: "The cut CVL stays at least the battery's voltage less this." },
        { key: "balanceAssist", label: "balanceAssist", bool: true, def: "false", help: "Hold the bank's CCL at 0 while a battery that refuses charge balances." },
        { key: "balanceSpread", label: "balanceSpread — V per cell, above 0 to 1", def: "0.05", help: "The cell spread that makes a refusal a balancing." },
        { key: "balanceHold", label: "balanceHold — s, above 0 to 86400", def: "600", help: "How long balance assist holds the bank's CCL at 0." }
      ],
      tables: [
        { key: "chargeTable", what: "chargeTable — CCL by the highest cell", from: "cell V", value: "fraction", def: [["3.45", "1"], ["3.55", "0.1"], ["3.60", "0"]],
          help: "Cell volts (1.5 to 5, increasing) → fraction of the battery's own CCL (0 to 1, not increasing, starting at 1), interpolated; 2 to 16 points." },
        { key: "dischargeTable", what: "dischargeTable — DCL by the lowest cell", from: "cell V", value: "fraction", def: [["2.90", "0"], ["3.05", "1"]],
          help: "Cell volts (1.5 to 5, increasing) → fraction of the battery's own DCL (0 to 1, not decreasing, ending at 1), interpolated; 2 to 16 points. Full current must come at or below where chargeTable starts." }
      ],
      presets: [
        ["LFP (the defaults)", {}],
        ["NMC (4.20 V full)", { chargeTable: [["4.10", "1"], ["4.15", "0.1"], ["4.20", "0"]], dischargeTable: [["3.0", "0"], ["3.2", "1"]], cellMax: "4.20" }]
      ]
    },
    temperature: {
      help: "Caps each battery's CCL and DCL by its coldest and hottest cell (else its /Dc/0/Temperature): each cap is the lower of the table's value at the two. " +
        "The defaults are LFP datasheet limits (charge 0 to 55 °C, discharge -20 to 60 °C). A table you write replaces the default table whole.",
      scalars: [
        { key: "unit", label: "unit — of the tables' values", choices: { C: "C-rates, times the battery's /InstalledCapacity", A: "amps" }, def: "C",
          help: "The default tables are C-rates whatever this says." },
        { key: "hysteresis", label: "hysteresis — °C, 0 to 20", def: "2", help: "A cap rises again only once the temperature has come back by this." },
        { key: "riseRate", label: "riseRate — A/s, above 0", def: "5", help: "How fast a cap rises again." }
      ],
      tables: [
        { key: "chargeTable", what: "chargeTable — CCL cap by temperature", from: "°C", value: "cap", none: true, def: [["0", "0.1"], ["5", "none"], ["50", "0.5"], ["55", "0"]],
          help: "°C (-50 to 100, increasing) → the cap (0 or more, in the unit; at most 10 as C-rates), or none: no cap; interpolated, a step next to none, 0 outside the table." },
        { key: "dischargeTable", what: "dischargeTable — DCL cap by temperature", from: "°C", value: "cap", none: true, def: [["-20", "none"], ["60", "none"]],
          help: "As chargeTable, for the DCL." }
      ],
      presets: []
    }
  };

  function limiterForm(name) {
    return C.has(LIMITER_FORMS, name) ? LIMITER_FORMS[name] : null;
  }

  /* A limiter's options: {vals: option -> text ("" none given), tables:
   * option -> null (the default) or rows [{t, v}], order: the options in
   * the order written (an import keeps its order: the limiter reads them
   * so)}. */
  function limiterEditor(name) {
    var form = LIMITER_FORMS[name];
    function scalar(key) {
      return form.scalars.filter(function (x) { return x.key === key; })[0];
    }
    function table(key) {
      return form.tables.filter(function (x) { return x.key === key; })[0];
    }
    function init() {
      var s = { vals: {}, tables: {}, order: [] };
      form.scalars.forEach(function (x) { s.vals[x.key] = ""; });
      form.tables.forEach(function (x) { s.tables[x.key] = null; });
      return s;
    }
    function touch(s, key) {
      if (s.order.indexOf(key) < 0) s.order.push(key);
    }
    return {
      init: init,
      fromNode: function (n) {
        if (n.t !== "object") return null;
        var s = init();
        var ok = n.keys.every(function (k, i) {
          var v = n.vals[i];
          var x = scalar(k);
          if (x) {
            if (x.bool) s.vals[k] = v.t === "bool" ? String(v.v) : null;
            else if (x.choices) s.vals[k] = v.t === "string" && C.has(x.choices, v.v) ? v.v : null;
            else s.vals[k] = v.t === "number" ? J.numText(v) : null;
            return s.vals[k] !== null;
          }
          var t = table(k);
          if (!t || v.t !== "object") return false;
          var rows = [];
          var fits = v.vals.every(function (y, j) {
            if (y.t === "number") rows.push({ t: v.keys[j], v: J.numText(y) });
            else if (t.none && y.t === "string" && y.v === "none") rows.push({ t: v.keys[j], v: "none" });
            else return false;
            return true;
          });
          s.tables[k] = rows;
          return fits;
        });
        if (!ok) return null;
        s.order = n.keys.slice();
        return s;
      },
      render: function (s, ui) {
        var fields = form.scalars.map(function (x) {
          if (x.bool || x.choices) {
            var id = nextId("sel");
            var choices = x.bool ? { "true": "true", "false": "false" } : x.choices;
            var select = h("select", {
              id: id, "data-role": "limiter-option", "data-option": x.key,
              onchange: function () { s.vals[x.key] = select.value; touch(s, x.key); ui.changed(); }
            }, [h("option", { value: "", selected: s.vals[x.key] === "", text: "(default: " + x.def + ")" })].concat(Object.keys(choices).map(function (c) {
              return h("option", { value: c, selected: s.vals[x.key] === c, text: x.bool ? c : c + ": " + choices[c] });
            })));
            s["slot:" + x.key] = errSlot();
            return h("div", { class: "field" }, [h("label", { for: id, text: x.label }), select,
              h("div", { class: "field-help", text: x.help + " Default: " + x.def + "." }), s["slot:" + x.key]]);
          }
          var f = textInput({
            label: x.label, value: s.vals[x.key], role: "limiter-option", placeholder: x.def, inputmode: "decimal", cls: "num",
            help: x.help + " Default: " + x.def + ".",
            onInput: function (v) { s.vals[x.key] = v; touch(s, x.key); ui.changed(); }
          });
          f.input.setAttribute("data-option", x.key);
          s["slot:" + x.key] = f.slot;
          return f.wrap;
        });
        var tables = form.tables.map(function (t) {
          var rows = s.tables[t.key];
          var body;
          s["slot:" + t.key] = errSlot();
          if (rows === null) {
            body = h("div", { class: "rows" }, [
              h("div", { class: "field-help", text: "The default: " + t.def.map(function (p) { return p[0] + " " + t.from + ": " + p[1]; }).join(", ") + "." }),
              button("Write a table (from the default)", "write-table", function () {
                s.tables[t.key] = t.def.map(function (p) { return { t: p[0], v: p[1] }; });
                touch(s, t.key);
                ui.rerender();
              })
            ]);
          } else {
            body = h("div", { class: "rows" }, rows.map(function (row, ri) {
              var a = textInput({
                label: t.from, value: row.t, role: "point-key", placeholder: t.def[0][0], cls: "short", item: row,
                onInput: function (v) { row.t = v; ui.changed(); }
              });
              var b = textInput({
                label: t.value + (t.none ? " (or none)" : ""), value: row.v, role: "point-value", placeholder: t.def[0][1], cls: "short",
                onInput: function (v) { row.v = v; ui.changed(); }
              });
              row.tSlot = a.slot;
              row.vSlot = b.slot;
              return h("div", { class: "row step", "data-role": "point" }, [a.wrap, b.wrap,
                button("✕", "remove", function () { rows.splice(ri, 1); ui.rerender(); }, { title: "Remove", "aria-label": "Remove point " + (ri + 1) })]);
            }).concat([
              button("+ Point", "add-point", function () { rows.push({ t: "", v: "", fresh: true }); ui.rerender(); }),
              button("Use the default table", "default-table", function () { s.tables[t.key] = null; ui.rerender(); })
            ]));
          }
          return h("fieldset", { class: "table", "data-role": "limiter-table", "data-table": t.key }, [
            h("legend", { text: t.what }),
            h("div", { class: "field-help", text: t.help }),
            body, s["slot:" + t.key]
          ]);
        });
        var presets = form.presets.length ? h("div", { class: "quick" }, ["Presets: "].concat(form.presets.map(function (p) {
          return button(p[0], "preset", function () {
            var fresh = init();
            Object.keys(p[1]).forEach(function (k) {
              if (C.has(fresh.tables, k)) fresh.tables[k] = p[1][k].map(function (q) { return { t: q[0], v: q[1] }; });
              else fresh.vals[k] = p[1][k];
              fresh.order.push(k);
            });
            /* In place: the card and strategyOptions hold this object. */
            s.vals = fresh.vals;
            s.tables = fresh.tables;
            s.order = fresh.order;
            ui.rerender();
          }, { "data-preset": p[0] });
        }))) : null;
        return h("div", {}, [presets, h("div", { class: "pair limiter-fields" }, fields)].concat(tables));
      },
      toNode: function (s, path, reg, problems) {
        var o = { t: "object", keys: [], vals: [] };
        var keys = s.order.concat(form.scalars.map(function (x) { return x.key; }), form.tables.map(function (t) { return t.key; }));
        keys.forEach(function (k) {
          if (o.keys.indexOf(k) >= 0) return;
          var p = path.concat([k]);
          if (C.has(s.tables, k)) {
            var rows = s.tables[k];
            if (rows === null) return;
            reg(p, s["slot:" + k], false);
            reg(p, s["slot:" + k], true);
            var points = { t: "object", keys: [], vals: [] };
            rows.forEach(function (row) {
              reg(p.concat([row.t]), row.tSlot, true);
              reg(p.concat([row.t]), row.vSlot, false);
              var v = table(k).none && row.v.trim() === "none" ? { t: "string", v: "none" } : numberOrProblem(row.v, p.concat([row.t]), problems);
              if (!v) return;
              points.keys.push(row.t);
              points.vals.push(v);
            });
            o.keys.push(k);
            o.vals.push(points);
            return;
          }
          var x = scalar(k);
          if (!x || s.vals[k].trim() === "") return;
          reg(p, s["slot:" + k], false);
          o.keys.push(k);
          o.vals.push(x.bool ? { t: "bool", v: s.vals[k] === "true" } : x.choices ? { t: "string", v: s.vals[k] } : numberNode(s.vals[k]));
        });
        return o;
      }
    };
  }
  var LIMITER_EDITORS = {};
  Object.keys(LIMITER_FORMS).forEach(function (name) { LIMITER_EDITORS[name] = limiterEditor(name); });

  /* limiters: the names, in order; a built-in from a select, a plugin's
   * typed. */
  var limitersEditor = (function () {
    var PLUGIN = "(plugin)";
    function item(name) {
      return C.has(C.LIMITERS, name) ? { choice: name, plugin: "" } : { choice: PLUGIN, plugin: name };
    }
    return {
      init: function () { return { items: [] }; },
      fromNode: function (n) {
        return strings(n) ? { items: n.items.map(function (x) { return item(x.v); }) } : null;
      },
      render: function (s, ui) {
        var rows = s.items.map(function (it, i) {
          var select = h("select", {
            "data-role": "limiter", "aria-label": "Limiter " + (i + 1),
            onchange: function () { it.choice = select.value; ui.rerender(); }
          }, Object.keys(C.LIMITERS).map(function (v) {
            return h("option", { value: v, selected: v === it.choice, text: v });
          }).concat([h("option", { value: PLUGIN, selected: it.choice === PLUGIN, text: "another, from a plugin…" })]));
          it.slot = errSlot();
          var plugin = null;
          if (it.choice === PLUGIN) {
            var f = textInput({
              label: "Limiter " + (i + 1) + " (a plugin's name)", hideLabel: true, value: it.plugin, role: "plugin", placeholder: "my_limiter", item: it,
              onInput: function (v) { it.plugin = v; ui.changed(); }
            });
            it.slot = f.slot;
            plugin = f.wrap;
          }
          return h("div", { class: "entry", "data-role": "limiter-item" }, [
            h("div", { class: "row" }, [
              h("span", { class: "order", text: String(i + 1) }), select, plugin,
              button("↑", "move-up", function () {
                if (i > 0) {
                  s.items.splice(i - 1, 0, s.items.splice(i, 1)[0]);
                  ui.rerender();
                }
              }, { title: "Earlier", "aria-label": "Move limiter " + (i + 1) + " up", disabled: i === 0 }),
              button("✕", "remove", function () { s.items.splice(i, 1); ui.rerender(); }, { title: "Remove", "aria-label": "Remove limiter " + (i + 1) })
            ]),
            it.choice === PLUGIN ? null : h("div", { class: "field-help", text: C.LIMITERS[it.choice] + " (its options: the card below)." }),
            plugin ? null : it.slot
          ]);
        });
        var adds = Object.keys(C.LIMITERS).filter(function (name) {
          return !s.items.some(function (it) { return it.choice === name; });
        }).map(function (name) {
          return button("+ " + name, "add-limiter", function () { s.items.push(item(name)); ui.rerender(); }, { "data-name": name });
        }).concat([button("+ a plugin's limiter", "add-limiter", function () {
          s.items.push({ choice: PLUGIN, plugin: "", fresh: true });
          ui.rerender();
        }, { "data-name": PLUGIN })]);
        return h("div", { class: "rows" }, rows.concat([h("div", { class: "quick" }, adds)]));
      },
      toNode: function (s, path, reg) {
        return {
          t: "array",
          items: s.items.map(function (it, i) {
            reg(path.concat([i]), it.slot, false);
            return { t: "string", v: it.choice === PLUGIN ? it.plugin : it.choice };
          })
        };
      }
    };
  })();

  /* strategyOptions: options per strategy name.  ir's in fields as in the
   * ir card, a built-in limiter's in its card (above); any other
   * strategy's (a plugin's: the page cannot know them) as a JSON object.
   * An entry is {name, raw, ir, lim}: raw is the JSON text, or null while
   * the options are in the fields (ir's in ir, a limiter's in lim). */
  function formOf(name) {
    if (name === "ir") return irEditor;
    return C.has(LIMITER_EDITORS, name) ? LIMITER_EDITORS[name] : null;
  }

  function formFits(name, n) {
    var form = formOf(name);
    return !!form && n.t === "object" && form.fromNode(n) !== null;
  }

  function formState(e) {
    return e.name === "ir" ? e.ir : e.lim;
  }

  function setFormState(e, st) {
    if (e.name === "ir") e.ir = st;
    else e.lim = st;
  }

  function newStrategyOptions(name) {
    var form = formOf(name);
    return { name: name, raw: form ? null : "{}", ir: irEditor.init(), lim: form && name !== "ir" ? form.init() : null };
  }

  /* The strategyOptions entry of a strategy shown in the form, or null. */
  function optionsEntry(name) {
    var card = cards.strategyOptions;
    if (!card.on || card.raw !== null) return null;
    return card.state.items.filter(function (e) { return e.name === name; })[0] || null;
  }

  var strategyOptions = {
    init: function () { return { items: [] }; },
    fromNode: function (n) {
      if (n.t !== "object") return null;
      return {
        items: n.keys.map(function (name, i) {
          var e = newStrategyOptions(name);
          if (formFits(name, n.vals[i])) {
            setFormState(e, formOf(name).fromNode(n.vals[i]));
            e.raw = null;
          } else {
            e.raw = J.stringify(n.vals[i]);
          }
          return e;
        })
      };
    },
    render: function (s, ui) {
      var entries = s.items.map(function (e, i) {
        var id = textInput({
          label: "Strategy name", value: e.name, role: "strategy-name", list: "strategy-names", item: e.fresh === true ? e : null,
          placeholder: "ir, cell_voltage, or a plugin's strategy",
          onInput: function (v) {
            var wasForm = e.raw === null;
            if (wasForm) e.raw = J.stringify(formOf(e.name).toNode(formState(e), [], function () {}, []));
            e.name = v;
            if (formOf(v)) {
              var n;
              try { n = J.parse(e.raw); } catch (err) { n = null; }
              if (n && formFits(v, n)) {
                setFormState(e, formOf(v).fromNode(n));
                e.raw = null;
              }
            }
            if (wasForm || e.raw === null) ui.rerender({ role: "strategy-name", index: i });
            else ui.changed();
          }
        });
        e.slot = id.slot;
        e.optsSlot = errSlot();
        var kind = C.strategyKind(e.name);
        var body;
        if (e.raw === null && e.name === "ir") {
          body = irEditor.render(e.ir, ui);
        } else if (e.raw === null) {
          body = h("div", { class: "field-help" }, [
            "Its options are in the card \u201cOptions of the " + e.name + " limiter\u201d, above. ",
            button("Go to its card", "go-limiter-card", function () { ui.showLimiterCard(e.name); })
          ]);
        } else {
          var ta = h("textarea", {
            "data-role": "strategy-raw", rows: 3, spellcheck: "false", "aria-label": "Options of " + (e.name || "the strategy") + " as JSON",
            oninput: function () { e.raw = ta.value; ui.changed(); }
          });
          ta.value = e.raw;
          var says = formOf(e.name) ? "These options do not fit the form; as JSON:"
            : kind ? "A built-in " + kind + " that takes no options: {} only."
              : C.HOOKS.indexOf(e.name) >= 0 ? "A hook: its options go in classes, by its id."
              : "Its options as a JSON object, as its plugin documents them (batagg --list-strategies lists them): numbers, strings, booleans, or objects of them; no arrays, no null.";
          body = h("div", { class: "field" }, [
            h("div", { class: "field-help", text: says }),
            ta,
            formOf(e.name) ? button("Use the form", "strategy-form", function () {
              var n;
              try { n = J.parse(e.raw); } catch (err) { return; }
              if (!formFits(e.name, n)) return;
              setFormState(e, formOf(e.name).fromNode(n));
              e.raw = null;
              ui.rerender();
            }) : null
          ]);
        }
        return h("fieldset", { class: "strategy-options", "data-role": "strategy-options", "data-name": e.name }, [
          h("legend", { text: "Options of " + (e.name || "a strategy") }),
          h("div", { class: "row" }, [id.wrap, button("Remove", "remove", function () { s.items.splice(i, 1); ui.rerender(); }, { "aria-label": "Remove the options of " + (e.name || "this strategy") })]),
          body, e.optsSlot
        ]);
      });
      return h("div", { class: "rows" }, entries.concat([button("+ Add strategy options", "add-strategy-options", function () {
        var fresh = newStrategyOptions("");
        fresh.fresh = true;
        s.items.push(fresh);
        ui.rerender();
      })]));
    },
    toNode: function (s, path, reg, problems) {
      return {
        t: "object",
        keys: s.items.map(function (e) { return e.name; }),
        vals: s.items.map(function (e) {
          var p = path.concat([e.name]);
          reg(p, e.slot, true);
          reg(p, e.optsSlot, false);
          if (e.raw === null) return formOf(e.name).toNode(formState(e), p, reg, problems);
          try {
            return J.parse(e.raw);
          } catch (err) {
            problems.push({ path: p, key: false, keyword: "json", message: "the options are not valid JSON: " + err });
            return { t: "object", keys: [], vals: [] };
          }
        })
      };
    }
  };

  /* mergePolicies, seriesMergePolicies: path -> policy; paths: the
   * datalist of the paths offered. */
  function policyEditor(paths) {
    return {
      init: function () { return { items: [] }; },
      fromNode: function (n) {
        if (n.t !== "object" || !n.vals.every(function (v) { return v.t === "string"; })) return null;
        return { items: n.keys.map(function (k, i) { return { path: k, policy: n.vals[i].v }; }) };
      },
      render: function (s, ui) {
        var rows = s.items.map(function (item, i) {
          var p = textInput({
            label: "Path", value: item.path, role: "path", list: paths, placeholder: "/Soc", item: item,
            onInput: function (v) { item.path = v; ui.changed(); }
          });
          var q = textInput({
            label: "Policy", value: item.policy, role: "policy", list: "merge-policies", placeholder: "capacity_weighted_mean",
            onInput: function (v) { item.policy = v; ui.changed(); }
          });
          item.pathSlot = p.slot;
          item.policySlot = q.slot;
          return h("div", { class: "row", "data-role": "item" }, [p.wrap, q.wrap, button("✕", "remove", function () { s.items.splice(i, 1); ui.rerender(); }, { title: "Remove", "aria-label": "Remove policy " + (i + 1) })]);
        });
        var list = h("dl", { class: "values" }, [].concat.apply([], Object.keys(C.MERGE_POLICIES).map(function (v) {
          return [h("dt", {}, h("code", { text: v })), h("dd", { text: C.MERGE_POLICIES[v] })];
        })));
        return h("div", {}, [
          h("div", { class: "rows" }, rows.concat([button("+ Add a policy", "add", function () { s.items.push({ path: "", policy: "", fresh: true }); ui.rerender(); })])),
          h("details", { class: "all-values" }, [h("summary", { text: "The built-in policies" }), list])
        ]);
      },
      toNode: function (s, path, reg) {
        return {
          t: "object",
          keys: s.items.map(function (item) { return item.path; }),
          vals: s.items.map(function (item) {
            reg(path.concat([item.path]), item.pathSlot, true);
            reg(path.concat([item.path]), item.policySlot, false);
            return { t: "string", v: item.policy };
          })
        };
      }
    };
  }

  /* ---- the keys, in SPEC §3's order ------------------------------------ */

  var KEYS = [
    { key: "serviceName", title: "Service name", def: C.DEFAULT_SERVICE,
      help: "The D-Bus name of the aggregate battery. Change it only to run a second batagg (multi-level aggregation); it must start with com.victronenergy.battery.",
      editor: scalarText({ label: "Service name", placeholder: C.DEFAULT_SERVICE }) },
    { key: "excludedServices", title: "Excluded services", def: "[] (none)",
      help: "Battery services never aggregated, e.g. a shunt that measures the whole bank. Names match exactly; \"name:My Shunt\" names a battery by its custom name.",
      editor: serviceList },
    { key: "primaryServices", title: "Primary services", def: "none",
      help: "After merging: for each listed path, the first listed service with a valid value replaces the aggregated value. Listed services are never members.",
      editor: services },
    { key: "auxiliaryServices", title: "Auxiliary services", def: "none",
      help: "Before merging: their values are used only where the batteries have no value for that path (e.g. a temperature). Listed services are never members.",
      editor: services },
    { key: "capacity", title: "Bank capacity (Ah)", def: "none: from the batteries",
      help: "Installed capacity of the whole bank. When set, /InstalledCapacity is this number and the batteries' own capacities are not read; 0 means not set.",
      editor: scalarText({ label: "Capacity in Ah", placeholder: "560", number: true }) },
    { key: "virtualBatteries", title: "Virtual batteries", def: "none",
      help: "Further battery services, each merging its members by precedence (e.g. a BMS and a shunt in series). Their members leave the aggregate; the virtual battery joins it.",
      editor: virtuals },
    { key: "seriesBatteries", title: "Series batteries (strings)", def: "none",
      help: "Further battery services, each a string of modules in series: its voltage is their sum, its current their mean, its SoC, capacity and current limits its weakest module's (seriesMergePolicies changes how). A missing module stops charging. Its modules leave the aggregate; the string joins it.",
      editor: series },
    { key: "classes", title: "Hook options (classes)", def: "none",
      help: "Options of the hooks (class:…) used as members of virtual batteries, by hook id without \"class:\".",
      editor: classes },
    { key: "currentRatioMethod", title: "Current ratio method", def: "ir",
      help: "How each battery's share of the bank current is estimated; the bank's CCL (DCL) is where the first battery reaches its own limit.",
      editor: strategy(C.RATIO_METHODS, "ir") },
    { key: "cclMode", title: "CCL mode", def: "battery+dvcc",
      help: "Where the bank's charge current limit (CCL) comes from.",
      editor: enumSelect({
        "battery+dvcc": "the batteries' limit, capped by your DVCC charge current limit when DVCC is on",
        battery: "the batteries' limit alone; the DVCC limit is ignored",
        dvcc: "your DVCC charge current limit alone (-1, no limit, when DVCC is off)"
      }, "battery+dvcc") },
    { key: "cvlMode", title: "CVL mode", def: "max_when_balancing",
      help: "How the bank's charge voltage limit (CVL) is chosen from the batteries' (those still charging, when some are not in float). Your DVCC voltage caps every mode.",
      editor: strategy(C.CVL_MODES, "max_when_balancing") },
    { key: "maxChargeCurrent", title: "Bank charge current cap (A)", def: "0: none",
      help: "A cap on the bank's published CCL in amps, for what the batteries' limits do not know: busbars, fuses, cables. 0 to 1,000,000; 0: no cap. " +
        "Together with maxDischargeCurrent, the bank caps.",
      editor: scalarText({ label: "Amps", placeholder: "0", number: true }) },
    { key: "maxDischargeCurrent", title: "Bank discharge current cap (A)", def: "0: none",
      help: "A cap on the bank's published DCL in amps, for busbars, fuses and cables. 0 to 1,000,000; 0: no cap. Together with maxChargeCurrent, the bank caps.",
      editor: scalarText({ label: "Amps", placeholder: "0", number: true }) },
    { key: "limiters", title: "Limiters (protection from cells and temperatures)", def: "[] (none)",
      help: "Limiters, in order, each once: each may lower (never raise) each battery's CCL, DCL or CVL from what the battery reports, before the ratio method shares the bank current. " +
        "A second line of defence behind each battery's BMS, never a replacement. Their options go in strategyOptions: a built-in limiter's card appears below when it is listed.",
      editor: limitersEditor },
    { key: "strategyOptions", title: "Strategy options", def: "none: each strategy's defaults",
      help: "Options of strategies (current ratio methods, CVL modes, merge policies, limiters), by strategy name: of the built-in ones ir and the limiters cell_voltage and temperature take options " +
        "(the limiters' in their cards, above); a plugin's strategy takes those it documents. Hooks take theirs from classes.",
      editor: strategyOptions },
    { key: "ir", title: "Internal-resistance estimator", def: "maxPercentageError 0.1, minVoltageChange 0.02",
      help: "Tuning of the estimator behind the ir method (it always runs: its results are published for diagnosis). The same as strategyOptions.ir, as earlier configs write it: give them in one of the two.",
      editor: irEditor },
    { key: "reconnectTimeout", title: "Reconnect timeout (s)", def: "0",
      help: "Seconds a vanished battery keeps its last values; back within that time, it stays a member without interruption. 0: dropped at once.",
      editor: scalarText({ label: "Seconds", placeholder: "0", number: true, integer: true }) },
    { key: "startupBatteryWait", title: "Start-up battery wait", def: "30",
      help: "At start, checks (one a second) for a battery with a voltage; after this many the daemon exits and the supervisor restarts it. At least 1.",
      editor: scalarText({ label: "Checks", placeholder: "30", number: true, integer: true }) },
    { key: "publishInterval", title: "Publish interval (s)", def: "1",
      help: "Seconds between the aggregate's (and virtual batteries') publications, 0 to 60; 0: every change at once. A falling limit, a rising alarm, an allow flag going to 0 and a member joining or leaving go out at once.",
      editor: scalarText({ label: "Seconds", placeholder: "1", number: true }) },
    { key: "publishPropertiesChanged", title: "PropertiesChanged per path", def: "false",
      help: "Also send a PropertiesChanged signal per changed path, besides the one ItemsChanged per publication; only for an old consumer that reads nothing else.",
      editor: boolSelect({
        "false": "one ItemsChanged per publication, which every Venus OS program reads",
        "true": "also a PropertiesChanged per changed path (each consumer then processes every change twice)"
      }, false) },
    { key: "logLevel", title: "Log level", def: "INFO",
      help: "How much batagg logs (also changeable at run time through /LogLevel on D-Bus).",
      editor: enumSelect({
        DEBUG: "everything, for diagnosis",
        INFO: "start-up, batteries joining and leaving, and problems",
        WARNING: "problems only",
        ERROR: "errors only",
        CRITICAL: "only what stops the daemon",
        NOTSET: "everything, like DEBUG (the Python daemon's lowest level)"
      }, "INFO") },
    { key: "pluginDirectory", title: "Plugin directory", def: "none",
      help: "An absolute directory of third-party strategy plugins (.so files), loaded at start after the built-in ones.",
      editor: scalarText({ label: "Directory", placeholder: "/data/batagg-plugins" }) },
    { key: "stateFile", title: "State file", def: "beside the config: <config>.state",
      help: "Where batagg keeps what it learned about each battery (the ir method's internal resistances and correction factors), so that a restart keeps the bank's CCL: an absolute path, or false to keep nothing. By default beside the config, e.g. /data/setupOptions/BatteryAggregator/config.json.state.",
      editor: stateFile },
    { key: "expectedBatteries", title: "Expected batteries", def: "none: no count is expected",
      help: "How many members there should be: a number for the aggregate, or per service (the aggregate, a virtual or series battery). " +
        "While fewer are there (a member counts until reconnectTimeout after it vanished), that service raises /Alarms/BmsCable to 2 (alarm) " +
        "and publishes the count as /System/NrOfBatteriesExpected; the limits come from the members there are.",
      editor: expected },
    { key: "mergePolicies", title: "Merge policies", def: "SPEC §5.1's rule per path",
      help: "How the batteries' values of a path combine, replacing the default rule of that path, e.g. /Soc by capacity_weighted_mean.",
      editor: policyEditor("merged-paths") },
    { key: "seriesMergePolicies", title: "Series merge policies", def: "the series rule per path",
      help: "How the modules' values of a path combine in every series battery, replacing the series rule of that path (voltages and CVL sum, current mean, SoC, capacity, time to go and CCL/DCL min, consumed Ah max, allow flags all, alarms the highest). The limits take a policy here too.",
      editor: policyEditor("battery-paths") }
  ];

  /* ---- the page -------------------------------------------------------- */

  var cards = Object.create(null); /* key -> {spec, state, on, raw, el, body, include, ...} */
  var extras = []; /* unknown keys: {name, raw} */
  var extrasCard = null;
  var slots = new Map();
  var currentText = "";
  var formVerdict = { errors: 0, warnings: 0 };
  var importFailure = null; /* why the last import failed, until the form changes */

  function slotKey(path, isKey) {
    return (isKey ? "k" : "v") + JSON.stringify(path);
  }

  function reg(path, slot, isKey) {
    if (slot) slots.set(slotKey(path, isKey), slot);
  }

  function usedHooks() {
    var out = [];
    var vcard = cards.virtualBatteries;
    if (!vcard.on || vcard.raw !== null) return out;
    vcard.state.items.forEach(function (vb) {
      vb.members.forEach(function (m) {
        var id = memberName(m).slice(6);
        if (m.kind === "hook" && out.indexOf(id) < 0) out.push(id);
      });
    });
    return out;
  }

  function makeUi(card) {
    return {
      changed: function () { setOn(card, true); update(); },
      rerender: function (focusRole) {
        setOn(card, true);
        pendingFocus = null;
        renderBody(card);
        update();
        if (pendingFocus) {
          pendingFocus.focus();
          pendingFocus = null;
        } else if (focusRole) {
          /* The new row's input, or the one being typed in (by index). */
          var role = focusRole.role || focusRole;
          var all = card.body.querySelectorAll("[data-role='" + role + "']");
          var el = all[focusRole.index !== undefined ? focusRole.index : all.length - 1];
          if (el) {
            el.focus();
            if (el.setSelectionRange) el.setSelectionRange(el.value.length, el.value.length);
          }
        }
      },
      usedHooks: usedHooks,
      optionsAt: optionsAt,
      addOptionsFor: addOptionsFor,
      showLimiterCard: showLimiterCard
    };
  }

  /* ---- the built-in limiters' cards -------------------------------------
   * Each shows one limiter's options, which live in strategyOptions (its
   * entry there holds the state; the card renders it): shown while the
   * limiter is listed in limiters or has options.  Typing in a field adds
   * the entry; unticking the card removes it (its defaults again). */
  var limiterCards = Object.create(null);
  var quietLimiterCards = false;

  function entryOf(name) {
    var so = cards.strategyOptions;
    if (!so || so.raw !== null) return null;
    return so.state.items.filter(function (e) { return e.name === name; })[0] || null;
  }

  function ensureEntry(lc) {
    var so = cards.strategyOptions;
    if (so.raw !== null) return;
    if (!entryOf(lc.name)) {
      var e = newStrategyOptions(lc.name);
      e.lim = lc.pending;
      lc.pending = LIMITER_EDITORS[lc.name].init();
      so.state.items.push(e);
      quietLimiterCards = true;
      renderBody(so);
      quietLimiterCards = false;
    }
    if (!so.on) setOn(so, true);
  }

  function renderLimiterCard(lc) {
    var so = cards.strategyOptions;
    var e = entryOf(lc.name);
    lc.body.textContent = "";
    if (so.raw !== null) {
      lc.body.appendChild(h("div", { class: "field-help", text: "strategyOptions is edited as JSON (its card, below): the options of " + lc.name + " are there." }));
    } else if (e && e.raw !== null) {
      lc.body.appendChild(h("div", { class: "field-help", text: "These options do not fit the form: they are JSON in the strategyOptions card, below, with what is wrong beside them." }));
    } else {
      lc.body.appendChild(LIMITER_EDITORS[lc.name].render(e ? e.lim : lc.pending, lc.ui));
    }
  }

  function renderLimiterCards() {
    if (quietLimiterCards) return;
    Object.keys(limiterCards).forEach(function (name) { renderLimiterCard(limiterCards[name]); });
  }

  function showLimiterCard(name) {
    var lc = limiterCards[name];
    if (!lc) return;
    lc.el.scrollIntoView();
    var first = lc.body.querySelector("input, select");
    if (first) first.focus();
  }

  function buildLimiterCard(name) {
    var lc = { name: name, pending: LIMITER_EDITORS[name].init() };
    var id = nextId("inc");
    lc.include = h("input", {
      type: "checkbox", id: id, "data-role": "include",
      onchange: function () {
        var so = cards.strategyOptions;
        if (lc.include.checked) {
          ensureEntry(lc);
        } else {
          so.state.items = so.state.items.filter(function (e) { return e.name !== name; });
          if (!so.state.items.length) setOn(so, false);
          lc.pending = LIMITER_EDITORS[name].init();
          renderBody(so);
        }
        renderLimiterCard(lc);
        update();
      }
    });
    lc.ui = {
      changed: function () { ensureEntry(lc); update(); },
      rerender: function () {
        ensureEntry(lc);
        pendingFocus = null;
        renderLimiterCard(lc);
        update();
        if (pendingFocus) {
          pendingFocus.focus();
          pendingFocus = null;
        }
      }
    };
    lc.body = h("div", { class: "card-body" });
    var who = name === "cell_voltage" ? "plugins/cell_voltage/cell_voltage.c" : "plugins/temperature/temperature.c";
    lc.el = h("section", { class: "card limiter-card off", "data-limiter": name, id: "limiter-" + name, hidden: true }, [
      h("div", { class: "card-head" }, [
        h("label", { for: id, class: "include" }, [lc.include, " ", h("code", { text: "strategyOptions." + name })]),
        h("span", { class: "title", text: "Options of the " + name + " limiter" })
      ]),
      h("p", { class: "help" }, [LIMITER_FORMS[name].help, " ", h("span", { class: "default", text: "Default: every option's default, as shown; an empty field writes nothing." })]),
      h("p", { class: "help checks", "data-role": "checks-note", text: "The page checks these options as " + name + " does when batagg creates it (" + who +
        "): ranges, a table's order and monotony, its number of points, thresholds against each other, unknown options; a problem is shown beside its field in " + name +
        "'s words. Leave the final word to batagg --check-config on the GX: a batagg without the " + name + " limiter refuses its name." }),
      lc.body
    ]);
    renderLimiterCard(lc);
    return lc;
  }

  /* Where the options of strategy name are given: "strategyOptions", "ir",
   * or null (none given). */
  function optionsAt(name) {
    var so = cards.strategyOptions;
    if (so.on && so.raw !== null) {
      var n = null;
      try { n = J.parse(so.raw); } catch (e) { n = null; }
      if (n && n.t === "object" && n.keys.indexOf(name) >= 0) return "strategyOptions";
    }
    if (optionsEntry(name)) return "strategyOptions";
    if (name === "ir" && cards.ir.on) return "ir";
    return null;
  }

  /* Adds (or finds) the entry of strategy name in strategyOptions and puts
   * the cursor in its first field. */
  function addOptionsFor(name) {
    var card = cards.strategyOptions;
    if (card.raw !== null) {
      card.el.scrollIntoView();
      return;
    }
    var items = card.state.items;
    var i = items.map(function (e) { return e.name; }).indexOf(name);
    if (i < 0) {
      items.push(newStrategyOptions(name));
      i = items.length - 1;
    }
    card.ui.rerender();
    var entry = card.body.querySelectorAll("[data-role=strategy-options]")[i];
    var first = entry && entry.querySelector("[data-role=mpe], [data-role=strategy-raw]");
    if (first) first.focus();
  }

  function setOn(card, on) {
    card.on = on;
    card.include.checked = on;
    card.el.classList.toggle("off", !on);
  }

  function renderBody(card) {
    card.body.textContent = "";
    if (card.raw !== null) {
      var ta = h("textarea", {
        "data-role": "raw", rows: Math.min(14, card.raw.split("\n").length + 1), spellcheck: "false",
        "aria-label": card.spec.key + " as JSON",
        oninput: function () { card.raw = ta.value; setOn(card, true); update(); }
      });
      ta.value = card.raw;
      card.rawSlot = errSlot();
      card.body.appendChild(h("div", { class: "field" }, [
        h("div", { class: "field-help", text: "This value is shown as JSON (it does not fit the form, or you chose so)." }),
        ta, card.rawSlot
      ]));
      card.toggle.textContent = "Use the form";
    } else {
      card.body.appendChild(card.spec.editor.render(card.state, card.ui));
      card.toggle.textContent = "Edit as JSON";
    }
    card.toggle.hidden = false;
    if (card.spec.key === "strategyOptions") renderLimiterCards();
  }

  function toggleRaw(card) {
    card.note.textContent = "";
    if (card.raw === null) {
      /* No slots to register: update() below registers them afresh. */
      var node = card.spec.editor.toNode(card.state, [card.spec.key], function () {}, []);
      card.raw = node ? J.stringify(node) : ""; /* an empty number field: empty text */
      setOn(card, true);
    } else if (card.raw.trim() === "") {
      card.state = card.spec.editor.init(); /* nothing entered: the empty form */
      card.raw = null;
    } else {
      var n;
      try {
        n = J.parse(card.raw);
      } catch (e) {
        card.note.textContent = "Fix the JSON first: " + e;
        return;
      }
      var st = card.spec.editor.fromNode(n);
      if (!st) {
        card.note.textContent = "This value does not fit the form (see the problems below); fix it as JSON.";
        return;
      }
      card.state = st;
      card.raw = null;
    }
    renderBody(card);
    update();
  }

  function buildCard(spec) {
    var card = { spec: spec, state: spec.editor.init(), on: false, raw: null };
    card.ui = makeUi(card);
    var id = nextId("inc");
    card.include = h("input", {
      type: "checkbox", id: id, "data-role": "include",
      onchange: function () { setOn(card, card.include.checked); update(); }
    });
    card.toggle = button("Edit as JSON", "raw-toggle", function () { toggleRaw(card); }, { class: "link" });
    card.note = h("div", { class: "note" });
    card.body = h("div", { class: "card-body" });
    card.slot = errSlot();
    card.el = h("section", { class: "card off", "data-key": spec.key, id: "key-" + spec.key }, [
      h("div", { class: "card-head" }, [
        h("label", { for: id, class: "include" }, [card.include, " ", h("code", { text: spec.key })]),
        h("span", { class: "title", text: spec.title }),
        card.toggle
      ]),
      h("p", { class: "help" }, [spec.help, " ", h("span", { class: "default", text: "Default: " + spec.def + "." })]),
      card.body, card.note, card.slot
    ]);
    renderBody(card);
    return card;
  }

  function renderExtras() {
    extrasCard.body.textContent = "";
    extrasCard.el.hidden = !extras.length;
    extras.forEach(function (x, i) {
      var ta = h("textarea", {
        "data-role": "raw", rows: 2, spellcheck: "false", "aria-label": x.name + " as JSON",
        oninput: function () { x.raw = ta.value; update(); }
      });
      ta.value = x.raw;
      x.slot = errSlot();
      extrasCard.body.appendChild(h("div", { class: "entry", "data-role": "extra", "data-name": x.name }, [
        h("div", { class: "row" }, [h("code", { text: x.name }), button("Remove", "remove", function () { extras.splice(i, 1); renderExtras(); update(); })]),
        ta, x.slot
      ]));
    });
  }

  /* The JSON tree of the form, with every input registered for errors. */
  function buildTree(problems) {
    var tree = { t: "object", keys: [], vals: [] };
    KEYS.forEach(function (spec) {
      var card = cards[spec.key];
      var path = [spec.key];
      reg(path, card.slot, false);
      reg(path, card.slot, true);
      if (!card.on) return;
      var node;
      if (card.raw !== null) {
        reg(path, card.rawSlot, false);
        if (card.raw.trim() === "") {
          problems.push({ path: path, key: false, keyword: "json", message: "enter a JSON value (or untick the key)" });
          return;
        }
        try {
          node = J.parse(card.raw);
        } catch (e) {
          problems.push({ path: path, key: false, keyword: "json", message: "not valid JSON: " + e });
          return;
        }
      } else {
        node = spec.editor.toNode(card.state, path, reg, problems);
        if (node === null) return; /* nothing to write yet: a problem says why */
      }
      tree.keys.push(spec.key);
      tree.vals.push(node);
    });
    extras.forEach(function (x) {
      reg([x.name], x.slot, true);
      reg([x.name], x.slot, false);
      try {
        tree.vals.push(J.parse(x.raw));
        tree.keys.push(x.name);
      } catch (e) {
        problems.push({ path: [x.name], key: false, keyword: "json", message: "not valid JSON: " + e });
      }
    });
    return tree;
  }

  function findSlot(p) {
    var path = p.path;
    if (p.key && slots.has(slotKey(path, true))) return slots.get(slotKey(path, true));
    for (var len = path.length; len >= 0; len--) {
      var q = path.slice(0, len);
      if (slots.has(slotKey(q, false))) return slots.get(slotKey(q, false));
      if (len < path.length && slots.has(slotKey(q, true))) return slots.get(slotKey(q, true));
    }
    return null;
  }

  function where(path) {
    return path.length ? path.join(" › ") : "the file";
  }

  /* A few schema messages read better in batagg's words. */
  function reword(p, tree) {
    var top = p.path[0];
    var value = p.key ? p.path[p.path.length - 1] : valueAt(tree, p.path);
    var kind = top === "virtualBatteries" ? "virtual battery" : top === "seriesBatteries" ? "series battery" : null;
    if (p.keyword === "not" && kind && p.key) {
      p.message = kind + " \"" + p.path[1] + "\" has the aggregate's own name";
    } else if (kind && p.key && p.path.length === 2 && /^name:/.test(value)) {
      /* core/config/values.c's values_battery_name() refuses "name:" first. */
      p.message = value === "name:" ? "\"name:\" is not a battery service (" + C.PREFIX + "…) or \"name:<custom name>\""
        : "a " + kind + " needs a service name, not \"" + value + "\"";
    } else if (value === "name:" && (top === "excludedServices" || top === "primaryServices" || top === "auxiliaryServices" || kind)) {
      /* An entry of a list of services to match: values_match_name() leaves
       * "name:" alone to values_battery_name(). */
      p.message = "\"name:\" is not a battery service (" + C.PREFIX + "…) or \"name:<custom name>\"" +
        (top === "virtualBatteries" ? " or a hook \"class:…\"" : "");
    } else if (top === "virtualBatteries" && p.path.length === 3 && typeof value === "string" && /^class:/.test(value) && C.hookProblem(value)) {
      p.message = C.hookProblem(value);
    } else if (p.keyword === "enum" && p.path.length === 1 && typeof value === "string" && SCHEMA.properties[top] && SCHEMA.properties[top].enum) {
      /* cclMode, logLevel: core/config/values.c's values_one_of, with its
       * did-you-mean, the value as written. */
      var allowed = SCHEMA.properties[top].enum;
      var near = C.suggest(value, allowed);
      p.message = "unknown value \"" + value + "\"" + (near ? " (did you mean \"" + near + "\"?)" : "") +
        "; allowed: " + allowed.map(function (x) { return JSON.stringify(x); }).join(", ");
    } else if (top === "publishInterval" && p.path.length === 1 && (p.keyword === "minimum" || p.keyword === "maximum")) {
      /* core/config/keys.c's publish_interval(), after values_number(). */
      var n = nodeAt(tree, p.path);
      var range = SCHEMA.properties.publishInterval;
      p.message = !isFinite(n.v) ? J.numText(n) + " is too large a number"
        : "expected seconds from " + range.minimum + " to " + range.maximum + ", got " + J.numText(n);
    } else if ((top === "maxChargeCurrent" || top === "maxDischargeCurrent") && p.path.length === 1 && (p.keyword === "minimum" || p.keyword === "maximum")) {
      /* core/config/keys.c's bank_cap(), after values_number(). */
      var cap = nodeAt(tree, p.path);
      p.message = !isFinite(cap.v) ? J.numText(cap) + " is too large a number"
        : "expected amps from 0 (no cap) to " + C.gText(SCHEMA.properties[top].maximum) + ", got " + J.numText(cap);
    } else if (top === "pluginDirectory" && p.keyword === "pattern") {
      p.message = JSON.stringify(value) + " is not an absolute path";
    } else if (top === "stateFile" && p.path.length === 1) {
      /* core/config/keys.c's state_file(). */
      if (p.keyword === "pattern") {
        p.message = JSON.stringify(value) + (/^\//.test(value) ? " names a directory, not a file" : " is not an absolute path");
      } else if (p.keyword === "const" || p.keyword === "type") {
        var got = p.keyword === "const" ? "true" : p.message.replace(/^.*, got /, "");
        p.message = "expected an absolute path, or false for no state file, got " + got;
      }
    } else if (top === "expectedBatteries" && !p.key && p.path.length <= 2) {
      /* core/config/keys.c's expected(): a number, else an object; in the
       * object, numbers (core/config/values.c's values_integer()). */
      var x = nodeAt(tree, p.path);
      if (x && x.t === "number") p.message = "expected a whole number >= 1, got " + J.numText(x);
      else if (p.keyword === "type") p.message = "expected " + (p.path.length === 1 ? "an object" : "a number") + ", got " + p.message.replace(/^.*, got /, "");
    } else if (top === "strategyOptions" && p.keyword === "not" && p.key && p.path.length === 2) {
      p.message = "no strategy is named \"" + value + "\": a hook takes its options from classes";
    } else if (top === "strategyOptions" && p.keyword === "additionalProperties" && p.path.length === 3 && !C.has(C.STRATEGY_OPTIONS, p.path[1]) && C.strategyKind(p.path[1])) {
      p.message = C.strategyKind(p.path[1]) + " '" + p.path[1] + "' takes no options";
    } else if (p.keyword === "type" && /^expected a number or a string or a boolean or an object, got /.test(p.message)) {
      /* An option's value ($defs/optionValue), in batagg's words. */
      p.message = p.message.replace(/^expected a number or a string or a boolean or an object/, "expected a number, a string, a boolean or an object");
    }
    return p;
  }

  function nodeAt(tree, path) {
    var n = tree;
    for (var i = 0; n && i < path.length; i++) {
      if (n.t === "object") n = n.vals[n.keys.lastIndexOf(path[i])];
      else if (n.t === "array") n = n.items[path[i]];
      else n = undefined;
    }
    return n;
  }

  function valueAt(tree, path) {
    var n = nodeAt(tree, path);
    return n && n.t === "string" ? n.v : undefined;
  }

  function update() {
    slots = new Map();
    var problems = [];
    var tree = buildTree(problems);
    currentText = J.stringify(tree) + "\n";
    document.getElementById("output").textContent = currentText;

    var checked = C.check(tree);
    /* What batagg ignores (with a warning) it does not check either.  A
     * string's modules listed twice, or none: checks.js says it in batagg's
     * words (a repeat of a name batagg refuses is that name's error only). */
    var schemaProblems = V.validate(SCHEMA, tree, LABELS).filter(function (p) {
      if (p.path[0] === "seriesBatteries" && (p.keyword === "minItems" || p.keyword === "uniqueItems")) return false;
      /* A limiter listed twice: checks.js says it as batagg does. */
      if (p.path[0] === "limiters" && p.keyword === "uniqueItems") return false;
      /* A name in expectedBatteries: checks.js says it as batagg does, once
       * its count is one batagg takes. */
      if (p.path[0] === "expectedBatteries" && p.key && p.path.length === 2) return false;
      return !checked.ignored.some(function (q) {
        return p.path.length >= q.length && !(p.key && p.path.length === q.length) &&
          q.every(function (x, i) { return p.path[i] === x; });
      });
    });
    var errors = problems.concat(schemaProblems.map(function (p) { return reword(p, tree); }), checked.errors);
    var seen = Object.create(null);
    errors = errors.filter(function (e) {
      var k = slotKey(e.path, e.key) + e.message;
      if (seen[k]) return false;
      seen[k] = true;
      return true;
    });

    document.querySelectorAll(".field-errors").forEach(function (s) { s.textContent = ""; });
    document.querySelectorAll(".has-error").forEach(function (s) { s.classList.remove("has-error"); });
    var list = document.getElementById("problems");
    list.textContent = "";
    function show(p, kind) {
      var slot = findSlot(p);
      /* batagg's own warnings, and the page's notes on what it cannot see. */
      var text = (kind === "warning" ? (p.keyword === "batagg" ? "Warning: " : "Note: ") : "") + p.message;
      if (slot) {
        slot.appendChild(h("div", { class: kind, "data-path": JSON.stringify(p.path), text: text }));
        if (kind === "error" && slot.parentNode) slot.parentNode.classList.add("has-error");
      }
      list.appendChild(h("li", { class: kind }, [
        h("a", {
          href: "#", text: where(p.path),
          onclick: function (ev) {
            ev.preventDefault();
            var target = slot && slot.parentNode && slot.parentNode.querySelector("input, select, textarea");
            if (target) target.focus();
            else if (slot) slot.scrollIntoView();
          }
        }),
        ": " + text
      ]));
    }
    errors.forEach(function (p) { show(p, "error"); });
    checked.warnings.forEach(function (p) { show(p, "warning"); });

    formVerdict = {
      /* An error also shown at the other place it names counts once. */
      errors: errors.filter(function (e) { return !e.also; }).length,
      warnings: checked.warnings.filter(function (w) { return w.keyword === "batagg" && !w.also; }).length,
      notes: checked.warnings.filter(function (w) { return w.keyword !== "batagg"; }).length
    };
    importFailure = null; /* the form was edited, or an import worked */
    showVerdict();
    var ids = document.getElementById("hook-ids");
    ids.textContent = "";
    var listed = Object.create(null);
    usedHooks().concat(C.HOOKS).forEach(function (id) {
      if (!listed[id]) ids.appendChild(h("option", { value: id }));
      listed[id] = true;
    });
    /* The services batagg publishes, for expectedBatteries. */
    var published = document.getElementById("published-services");
    published.textContent = "";
    C.publishedServices(tree).forEach(function (name) { published.appendChild(h("option", { value: name })); });
    var classesState = cards.classes.state;
    if (cards.classes.raw === null && classesState.quickEl) classesState.quickEl.refresh();
    ["currentRatioMethod", "cvlMode"].forEach(function (key) {
      var card = cards[key];
      if (card.raw === null && card.state.optionsEl) card.state.optionsEl.refresh();
    });
    /* The built-in limiters' cards: shown while listed or given options. */
    var listed = nodeAt(tree, ["limiters"]);
    listed = listed && listed.t === "array" ? listed.items.map(function (x) { return x.t === "string" ? x.v : null; }) : [];
    Object.keys(limiterCards).forEach(function (name) {
      var lc = limiterCards[name];
      var e = entryOf(name);
      lc.el.hidden = listed.indexOf(name) < 0 && !e;
      lc.include.checked = !!e && cards.strategyOptions.on;
      lc.include.disabled = cards.strategyOptions.raw !== null;
      lc.el.classList.toggle("off", !lc.include.checked);
    });
  }

  /* The verdict on the form's JSON; while the last import failed, on the
   * text that failed (the form still holds the config before it). */
  function showVerdict() {
    var verdict = document.getElementById("verdict");
    var n = formVerdict.errors;
    var w = formVerdict.warnings;
    verdict.dataset.verdict = importFailure || n ? "invalid" : "valid";
    verdict.dataset.warnings = importFailure ? "" : String(w);
    var notes = formVerdict.notes ? " (see the notes)" : "";
    if (importFailure) {
      verdict.textContent = "✗ " + importFailure + " (the form below still holds the config from before)";
    } else if (n) {
      verdict.textContent = "✗ " + n + (n === 1 ? " problem" : " problems") + ": batagg would refuse this config";
    } else if (w) {
      /* batagg --check-config: "OK, with 2 warnings". */
      verdict.textContent = "✓ Valid, with " + w + (w === 1 ? " warning" : " warnings") +
        ": batagg accepts this config, and warns as shown beside the fields" + notes;
    } else {
      verdict.textContent = "✓ Valid: it passes the schema and batagg's other checks" + notes;
    }
  }

  function resetAll() {
    KEYS.forEach(function (spec) {
      var card = cards[spec.key];
      card.state = spec.editor.init();
      card.raw = null;
      card.note.textContent = "";
      setOn(card, false);
      renderBody(card);
    });
    extras = [];
    renderExtras();
    Object.keys(limiterCards).forEach(function (name) {
      limiterCards[name].pending = LIMITER_EDITORS[name].init();
      renderLimiterCard(limiterCards[name]);
    });
  }

  var imports = 0;
  var PASTED = "the pasted text";
  function importStatus(state, text) {
    var el = document.getElementById("import-status");
    if (state) el.dataset.imports = String(++imports); /* lets tests wait for this import */
    el.dataset.state = state;
    el.textContent = text;
  }

  /* Fills the form from config text; a syntax error (or a duplicate key)
   * leaves the form as it was. */
  function importFailed(origin, why) {
    importFailure = (origin === PASTED ? "The pasted text" : origin) + " is not valid: " + why;
    showVerdict();
    importStatus("failed", "Cannot import " + origin + ": " + why);
  }

  function importText(text, origin) {
    var tree;
    try {
      tree = J.parse(text);
    } catch (e) {
      if (!(e instanceof J.SyntaxProblem)) throw e;
      importFailed(origin, String(e));
      return;
    }
    if (tree.t !== "object") {
      importFailed(origin, "the config must be a JSON object ({ ... })");
      return;
    }
    resetAll();
    tree.keys.forEach(function (k, i) {
      var n = tree.vals[i];
      var card = cards[k];
      if (!card) {
        extras.push({ name: k, raw: J.stringify(n) });
        return;
      }
      var st = card.spec.editor.fromNode(n);
      if (st) card.state = st;
      else card.raw = J.stringify(n);
      setOn(card, true);
      renderBody(card);
    });
    renderExtras();
    update();
    var verdict = document.getElementById("verdict").dataset.verdict;
    importStatus("ok", "Imported " + origin + " (" + tree.keys.length + (tree.keys.length === 1 ? " key" : " keys") + ")" +
      (verdict !== "valid" ? ": it has problems, shown beside the fields and under the JSON." :
        formVerdict.warnings ? ": batagg accepts it, with warnings, shown beside the fields and under the JSON." : "."));
  }

  function download() {
    var blob = new Blob([currentText], { type: "application/json" });
    var a = h("a", { href: URL.createObjectURL(blob), download: "config.json" });
    document.body.appendChild(a);
    a.click();
    setTimeout(function () {
      URL.revokeObjectURL(a.href);
      a.remove();
    }, 1000);
  }

  function copy() {
    var status = document.getElementById("copy-status");
    function fallback() {
      var ta = h("textarea", { class: "offscreen" });
      ta.value = currentText;
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      ta.remove();
      status.textContent = ok ? "Copied." : "Copy failed: select the text and copy it by hand.";
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(currentText).then(function () { status.textContent = "Copied."; }, fallback);
    } else {
      fallback();
    }
  }

  function datalist(id, values) {
    return h("datalist", { id: id }, values.map(function (v) { return h("option", { value: v }); }));
  }

  function start() {
    var unsupported = V.unsupportedKeywords(SCHEMA);
    if (unsupported.length) {
      var banner = document.getElementById("schema-banner");
      banner.hidden = false;
      banner.textContent = "The validator does not implement everything config-schema.json uses, so its verdict cannot be trusted: " + unsupported.join("; ");
    }
    document.body.appendChild(datalist("battery-paths", C.MERGED_PATHS.concat(C.LIMIT_PATHS)));
    document.body.appendChild(datalist("merged-paths", C.MERGED_PATHS));
    document.body.appendChild(datalist("merge-policies", Object.keys(C.MERGE_POLICIES)));
    document.body.appendChild(datalist("strategy-names", Object.keys(C.STRATEGY_OPTIONS)));
    document.body.appendChild(datalist("battery-names", [C.PREFIX, "name:"]));
    document.body.appendChild(h("datalist", { id: "hook-ids" }));
    document.body.appendChild(h("datalist", { id: "published-services" }));

    var form = document.getElementById("cards");
    KEYS.forEach(function (spec) {
      cards[spec.key] = buildCard(spec);
      form.appendChild(cards[spec.key].el);
    });
    var after = cards.limiters.el;
    Object.keys(LIMITER_FORMS).forEach(function (name) {
      limiterCards[name] = buildLimiterCard(name);
      after.after(limiterCards[name].el);
      after = limiterCards[name].el;
    });
    extrasCard = { body: h("div", { class: "card-body" }) };
    extrasCard.el = h("section", { class: "card", "data-key": "(unknown)", hidden: true }, [
      h("div", { class: "card-head" }, [h("span", { class: "title", text: "Keys batagg does not know" })]),
      h("p", { class: "help", text: "batagg refuses unknown keys: remove them, or fix their names (check the spelling)." }),
      extrasCard.body
    ]);
    form.appendChild(extrasCard.el);

    document.getElementById("import-button").addEventListener("click", function () {
      importText(document.getElementById("import-text").value, PASTED);
    });
    document.getElementById("import-file").addEventListener("change", function (ev) {
      var file = ev.target.files[0];
      if (!file) return;
      var reader = new FileReader();
      reader.onload = function () {
        document.getElementById("import-text").value = reader.result;
        importText(reader.result, file.name);
        ev.target.value = "";
      };
      reader.onerror = function () {
        importFailure = "Cannot read " + file.name;
        showVerdict();
        importStatus("failed", "Cannot read " + file.name);
      };
      reader.readAsText(file);
    });
    document.getElementById("reset").addEventListener("click", function () {
      resetAll();
      update();
      importStatus("", "");
    });
    document.getElementById("copy").addEventListener("click", copy);
    document.getElementById("download").addEventListener("click", download);
    update();
  }

  window.BataggPage = { start: start };
})();
