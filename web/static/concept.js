// Drafts of a task's long text fields: saved on the server while the mediator types
// (web.casework.save_draft, with the form's CSRF token), one second after the last key.
// When a save fails because the session ended, the text is kept in this browser's
// localStorage under the user's id and the task, for at most 8 hours, and sent as soon as
// the same user opens the task again after signing in; it is never shown to another user.
(function () {
  "use strict";
  var form = document.querySelector("form[data-concept-url]");
  if (!form) { return; }
  var url = form.getAttribute("data-concept-url");
  var key = "klachten-concept:" + form.getAttribute("data-concept-sleutel");
  var status = form.querySelector(".concept-status");
  var token = form.querySelector("input[name=csrf_token]");
  var fields = Array.prototype.filter.call(form.querySelectorAll("textarea[name]"),
    function (field) { return field.name.indexOf(".") === -1; });
  var KEEP_MS = 8 * 3600 * 1000;
  var DELAY_MS = 1000;
  var timers = {};

  function say(template, values) {
    if (!status || !template) { return; }
    status.textContent = template.replace(/\{(\w+)\}/g, function (_, name) {
      return values && values[name] !== undefined ? values[name] : "";
    });
    status.hidden = false;
  }

  function pending() {
    try {
      var kept = JSON.parse(window.localStorage.getItem(key) || "null");
      if (kept && Date.now() - kept.at < KEEP_MS) { return kept; }
      window.localStorage.removeItem(key);
    } catch (e) { /* storage refused or damaged: nothing pending */ }
    return { at: Date.now(), texts: {} };
  }

  function keep(name, text) {
    var kept = pending();
    kept.texts[name] = text;
    kept.at = Date.now();
    try { window.localStorage.setItem(key, JSON.stringify(kept)); } catch (e) { /* full */ }
  }

  function saved(name) {
    var kept = pending();
    delete kept.texts[name];
    try {
      if (Object.keys(kept.texts).length) { window.localStorage.setItem(key, JSON.stringify(kept)); }
      else { window.localStorage.removeItem(key); }
    } catch (e) { /* nothing to clean */ }
  }

  function save(field) {
    var body = new URLSearchParams();
    body.set("csrf_token", token ? token.value : "");
    body.set("veld", field.name);
    body.set("tekst", field.value);
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { "Accept": "application/json", "X-CSRFToken": token ? token.value : "" }
    }).then(function (response) {
      if (response.ok) {
        saved(field.name);
        say(status.getAttribute("data-bewaard"),
            { time: new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) });
        return true;
      }
      if (response.status === 400) {
        return response.json().then(function (problem) {
          var reasons = problem && problem.fouten ? Object.values(problem.fouten) : [];
          if (!reasons.length) { throw new Error("verlopen"); }  // a refused CSRF token
          say(status.getAttribute("data-fout"), { reason: reasons.join("; ") });
          return false;
        });
      }
      throw new Error("verlopen");
    }).catch(function () {
      keep(field.name, field.value);
      say(status.getAttribute("data-verlopen"));
      return false;
    });
  }

  fields.forEach(function (field) {
    field.addEventListener("input", function () {
      window.clearTimeout(timers[field.name]);
      timers[field.name] = window.setTimeout(function () { save(field); }, DELAY_MS);
    });
  });

  // Back after a new sign-in: what could not be saved is put back and saved now.
  var kept = pending();
  fields.forEach(function (field) {
    var text = kept.texts[field.name];
    if (text === undefined) { return; }
    if (text !== field.value) {
      field.value = text;
      save(field).then(function (ok) { if (ok) { say(status.getAttribute("data-teruggezet")); } });
    } else {
      saved(field.name);
    }
  });
})();
