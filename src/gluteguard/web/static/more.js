/* gluteguard: uploads with progress (import, stride), drag-and-drop, stride job polling, sitting break reminders.
   Vanilla JavaScript, no build step. Every feature also works without it: forms post normally, the job page
   refreshes itself, and reminders are what `gluteguard remind` does in a terminal. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0) + " MB";
  }

  /* --- drag-and-drop onto a labelled file input ----------------------------------------------------------- */

  function describeChoice(zone, input) {
    var out = zone.querySelector("[data-chosen]");
    if (!out) return;
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) { out.textContent = ""; return; }
    var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
    var names = files.slice(0, 5).map(function (f) { return f.name; }).join(", ");
    out.textContent = files.length + (files.length === 1 ? " file: " : " files: ") + names +
      (files.length > 5 ? "…" : "") + " (" + megabytes(total) + ")";
  }

  function initDropZone(zone) {
    var input = zone.querySelector('input[type="file"]');
    if (!input) return;
    input.addEventListener("change", function () { describeChoice(zone, input); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("more-drop-over");
      });
    });
    ["dragleave", "dragend", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("more-drop-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var dropped = event.dataTransfer && event.dataTransfer.files;
      if (!dropped || !dropped.length) return;
      if (!input.multiple && dropped.length > 1) {
        var only = new DataTransfer();
        only.items.add(dropped[0]);
        dropped = only.files;
      }
      input.files = dropped;
      describeChoice(zone, input);
    });
  }

  /* --- uploads with a progress bar -------------------------------------------------------------------------- */

  function showProgress(form, percent, label, text) {
    var box = form.querySelector("[data-progress]");
    if (!box) return;
    box.hidden = false;
    var bar = box.querySelector("progress");
    if (percent === null) bar.removeAttribute("value"); else bar.value = percent;
    box.querySelector("[data-progress-label]").textContent = label;
    box.querySelector("[data-progress-text]").textContent = text || "";
  }

  /* A refused file: a plain alert above the button, read out at once, not small print beside a progress bar. */
  function showError(form, text) {
    var box = form.querySelector("[data-progress]");
    if (box) box.hidden = true;
    var alert = form.querySelector("[data-upload-error]");
    if (!alert) {
      alert = document.createElement("p");
      alert.className = "more-alert";
      alert.setAttribute("role", "alert");
      alert.setAttribute("data-upload-error", "");
      alert.tabIndex = -1;
      var submit = form.querySelector(".more-submit");
      form.insertBefore(alert, submit || null);
    }
    alert.textContent = "Not analysed: " + text;
    alert.focus();
  }

  function replaceImportResult(form, html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("import-result");
    var here = document.getElementById("import-result");
    if (fresh && here) {
      here.innerHTML = fresh.innerHTML;
      Array.prototype.forEach.call(here.querySelectorAll("[data-job]"), initJob); // an import on the workers
      var heading = here.querySelector("h2, [role=alert]");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    } else {
      document.open(); document.write(html); document.close();
    }
  }

  function initUpload(form) {
    var kind = form.getAttribute("data-upload");
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) return; // the plain form post still works
      event.preventDefault();
      var button = form.querySelector('button[type="submit"]');
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      if (kind === "stride") xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          showProgress(form, Math.round(100 * e.loaded / e.total), "Uploading…",
            megabytes(e.loaded) + " of " + megabytes(e.total));
        }
      });
      xhr.upload.addEventListener("load", function () {
        showProgress(form, null, kind === "import" ? "Importing…" : "Starting the analysis…",
          kind === "import" ? "reading and storing each file" : "");
      });
      xhr.addEventListener("load", function () {
        if (button) button.disabled = false;
        if (kind === "stride") {
          var answer = {};
          try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = {}; }
          if (xhr.status === 202 && answer.page_url) { window.location.assign(answer.page_url); return; }
          showError(form, answer.detail || ("the server answered " + xhr.status));
          return;
        }
        showProgress(form, 100, "Done", "");
        replaceImportResult(form, xhr.responseText);
      });
      xhr.addEventListener("error", function () {
        if (button) button.disabled = false;
        showProgress(form, 0, "Upload failed", "the connection to gluteguard was lost: is it still running?");
      });
      if (button) button.disabled = true;
      showProgress(form, 0, "Uploading…", "");
      xhr.send(new FormData(form));
    });
  }

  /* --- background job (a stride analysis, a Strava sync): poll until it ends, then show the page again ---------- */

  /* Frames per second over the last few seconds of polls: "48 frames/s" (one decimal under 10). */
  function frameRate(samples, done) {
    var now = Date.now() / 1000;
    samples.push({ done: done, at: now });
    while (samples.length > 2 && now - samples[0].at > 5) { samples.shift(); }
    var first = samples[0];
    if (now - first.at < 0.5 || done <= first.done) { return ""; }
    var rate = (done - first.done) / (now - first.at);
    return " · " + (rate >= 10 ? Math.round(rate) : rate.toFixed(1)) + " frames/s";
  }

  function initJob(box) {
    var url = box.getAttribute("data-job");
    var unit = box.getAttribute("data-job-unit") || "frames"; // what done/total count
    var doneUrl = box.getAttribute("data-job-done"); // where the result is (a page answered to a POST)
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-job-text]");
    var samples = [];
    function poll() {
      fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
        return response.json();
      }).then(function (job) {
        if (job.status === "done" || job.status === "failed") {
          if (doneUrl) { window.location.assign(doneUrl); } else { window.location.reload(); }
          return;
        }
        // The stride page's own jobs say "fraction"; the API's jobs say "progress" (0 until the total is known).
        var fraction = job.fraction !== undefined ? job.fraction : (job.total ? job.progress : null);
        if (fraction !== null && fraction !== undefined) {
          bar.value = Math.round(100 * fraction);
          text.textContent = job.done + " of " + job.total + " " + unit +
            (unit === "frames" ? frameRate(samples, job.done) : "") + " (" + Math.round(job.elapsed_s) + " s)";
        } else {
          bar.removeAttribute("value");
          text.textContent = "Working… " + Math.round(job.elapsed_s || 0) + " s";
        }
        window.setTimeout(poll, 700);
      }).catch(function () { window.setTimeout(poll, 2000); });
    }
    poll();
  }

  /* --- sitting: break reminders while the page is open ------------------------------------------------------- */

  var STORE_KEY = "gluteguard.reminders";
  var CHECK_MS = 60000; // look again at least every minute: a sleeping laptop or a changed clock is noticed

  function loadSettings() {
    try { return JSON.parse(window.localStorage.getItem(STORE_KEY)) || {}; } catch (err) { return {}; }
  }
  function saveSettings(settings) {
    try { window.localStorage.setItem(STORE_KEY, JSON.stringify(settings)); } catch (err) { /* private mode */ }
  }

  function initReminders(section) {
    var toggle = section.querySelector("[data-reminder-toggle]");
    var status = section.querySelector("[data-reminder-status]");
    var panel = section.querySelector("[data-reminder-panel]");
    var timer = null;
    var current = null; // the message awaiting an answer
    var settings = loadSettings();

    function render() {
      toggle.setAttribute("aria-pressed", settings.on ? "true" : "false");
      toggle.textContent = "Reminders: " + (settings.on ? "on" : "off");
    }

    function clock(iso) {
      return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    }

    function prompt(info) {
      current = info.message;
      settings.lastPrompt = info.now;
      saveSettings(settings);
      panel.querySelector("[data-reminder-title]").textContent = info.message.title;
      panel.querySelector("[data-reminder-body]").textContent = info.message.body;
      panel.hidden = false;
      if ("Notification" in window && Notification.permission === "granted") {
        try {
          var note = new Notification(info.message.title, { body: info.message.body, tag: "gluteguard-break" });
          note.onclick = function () { window.focus(); note.close(); };
        } catch (err) { /* some browsers only notify from a service worker: the panel is shown anyway */ }
      }
    }

    function schedule() {
      window.clearTimeout(timer);
      if (!settings.on) { status.textContent = ""; return; }
      var query = "?since=" + encodeURIComponent(settings.since || "") +
        "&last_prompt=" + encodeURIComponent(settings.lastPrompt || "");
      fetch("/sitting/next-reminder" + query, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (info) {
          if (info.due_now) prompt(info);
          var wait = CHECK_MS;
          if (!info.due_at) {
            status.textContent = "No work hours ahead in your profile: nothing will be due.";
          } else if (info.due_now) {
            status.textContent = "A break is due now.";
          } else {
            status.textContent = "Next reminder at " + clock(info.due_at) +
              (info.in_work_hours ? "." : " (outside work hours now).");
            wait = Math.min(CHECK_MS, Math.max(1000, new Date(info.due_at) - new Date(info.now)));
          }
          timer = window.setTimeout(schedule, wait);
        })
        .catch(function () {
          status.textContent = "Cannot reach gluteguard; trying again in a minute.";
          timer = window.setTimeout(schedule, CHECK_MS);
        });
    }

    toggle.addEventListener("click", function () {
      settings.on = !settings.on;
      if (settings.on) {
        settings.since = new Date().toISOString(); // the timer starts now, not at the start of the work day
        settings.lastPrompt = "";
        if ("Notification" in window && Notification.permission === "default") {
          Notification.requestPermission().then(function (answer) {
            if (answer !== "granted") status.textContent = "Notifications are blocked: reminders show on this page only.";
          });
        }
      }
      saveSettings(settings);
      render();
      schedule();
    });

    Array.prototype.forEach.call(section.querySelectorAll("[data-reminder-answer]"), function (button) {
      button.addEventListener("click", function () {
        var body = new FormData();
        body.append("outcome", button.getAttribute("data-reminder-answer"));
        body.append("move_id", current ? current.move_id : "");
        body.append("csrf_token", csrfToken());
        fetch("/sitting/break", { method: "POST", body: body, headers: { Accept: "application/json" } })
          .then(function (response) {
            if (!response.ok) throw new Error(String(response.status));
            return response.json();
          })
          .then(function (entry) {
            panel.hidden = true;
            current = null;
            settings.lastPrompt = "";
            saveSettings(settings);
            status.textContent = entry.outcome === "done" ? "Break logged: it counts for today." : "Snoozed.";
            schedule();
          })
          .catch(function () { status.textContent = "Could not log the answer: reload the page and try again."; });
      });
    });

    render();
    schedule();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-drop]"), initDropZone);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), initUpload);
    Array.prototype.forEach.call(document.querySelectorAll("[data-job]"), initJob);
    Array.prototype.forEach.call(document.querySelectorAll("[data-reminders]"), initReminders);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
