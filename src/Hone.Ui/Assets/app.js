// hone ui: live refresh, keyboard shortcuts, theme switch, live word diff. Served by the app; no dependencies.
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem("hone-theme"); } catch (e) { /* storage off */ }
  if (saved === "dark" || saved === "light") root.setAttribute("data-theme", saved);

  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }

  function editing() {
    var a = document.activeElement, main = document.getElementById("main");
    return !!(a && main && main.contains(a) && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT"));
  }

  ready(function () {
    var theme = document.getElementById("theme");
    if (theme) theme.addEventListener("click", function () {
      var dark = root.getAttribute("data-theme") === "dark" ||
        (!root.getAttribute("data-theme") && window.matchMedia("(prefers-color-scheme: dark)").matches);
      var next = dark ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("hone-theme", next); } catch (e) { /* storage off */ }
    });

    // Live: poll the workspace version; when another process wrote, re-render the page body from the server. Held
    // while a form field in the body has the focus: re-rendering would drop what is being typed (the update follows
    // once the field is left).
    if (document.body.getAttribute("data-live") === "1") {
      var version = null, busy = false, status = document.getElementById("live");
      setInterval(function () {
        if (busy || document.hidden || editing()) return;
        busy = true;
        fetch("/api/version", { cache: "no-store" }).then(function (r) { return r.text(); }).then(function (v) {
          if (version !== null && v !== version) {
            return fetch(location.href, { headers: { "X-Partial": "1" }, cache: "no-store" }).then(function (r) { return r.text(); }).then(function (html) {
              var main = document.getElementById("main");
              var focusedId = document.activeElement && document.activeElement.id;
              main.innerHTML = html;  // server-rendered, every value encoded there
              if (focusedId && document.getElementById(focusedId)) document.getElementById(focusedId).focus();
              if (status) status.textContent = "live · updated " + new Date().toLocaleTimeString();
              version = v;
            });
          }
          version = v;
        }).catch(function () { if (status) status.textContent = "live · server unreachable"; })
          .then(function () { busy = false; });
      }, 1000);
    }

    // Keyboard: "/" search; j/k move between rows (or cases on the teach page); e edit; Ctrl+Enter preview/save.
    document.addEventListener("keydown", function (ev) {
      var t = ev.target, typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && t && t.id === "corrected") {
        ev.preventDefault();
        var save = document.getElementById("save"), preview = document.getElementById("preview");
        (save || preview).click();
        return;
      }
      if (typing || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      if (ev.key === "/") {
        var s = document.querySelector("[data-search]");
        if (s) { ev.preventDefault(); s.focus(); s.select(); }
      } else if (ev.key === "j" || ev.key === "k") {
        var link = document.getElementById(ev.key === "j" ? "next" : "prev");
        if (link) { location.href = link.href; return; }
        var rows = Array.prototype.slice.call(document.querySelectorAll("tr.case"));
        if (!rows.length) return;
        var i = rows.indexOf(document.activeElement);
        var n = i < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, i + (ev.key === "j" ? 1 : -1)));
        rows[n].focus();
        ev.preventDefault();
      } else if (ev.key === "e") {
        var c = document.getElementById("corrected");
        if (c) { ev.preventDefault(); c.focus(); }
      }
    });

    // Teach: a live word diff of the edit against the model's output (computed by the server, returned encoded).
    var corrected = document.getElementById("corrected"), original = document.getElementById("original"), diff = document.getElementById("diff");
    if (corrected && original && diff) {
      var timer = null;
      corrected.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var body = new URLSearchParams();
          body.set("old", original.textContent);
          body.set("new", corrected.value);
          fetch("/api/diff", { method: "POST", body: body }).then(function (r) { return r.text(); })
            .then(function (html) { diff.innerHTML = html; diff.setAttribute("data-for", corrected.value.length); });
          var save = document.getElementById("save");
          if (save) save.remove(); // the preview no longer matches: preview again before saving
        }, 150);
      });
    }
  });
})();
