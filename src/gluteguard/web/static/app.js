/* gluteguard: small progressive enhancements. Every page works without this file; with it, plan items are
   marked done/skipped in place, slider values show as they move, and the self-test has a timer. */
(function () {
  "use strict";

  /** The page's CSRF token (from <meta name="csrf-token">). */
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /** POST a JSON body with the CSRF header; resolves to the parsed JSON answer, rejects with its detail. */
  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error((data && data.detail) || "Not saved (" + response.status + ")");
        }
        return data;
      });
    });
  }

  /** Say something to screen-reader users (the polite live region in base.html). */
  function announce(text) {
    var live = document.getElementById("live");
    if (live) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = text; }, 50);
    }
  }

  /* Done / skip: post as JSON and update the item in place; on failure the form posts normally. */
  function showOutcome(itemId, outcome) {
    document.querySelectorAll('[data-item="' + CSS.escape(itemId) + '"]').forEach(function (item) {
      item.setAttribute("data-outcome", outcome);
      var label = item.querySelector("[data-outcome-label]");
      if (label) label.textContent = outcome === "done" ? "✓ Done" : "Skipped";
      item.querySelectorAll("form[data-plan-log] button").forEach(function (button) {
        var pressed = (button.value === "done") === (outcome === "done");
        button.setAttribute("aria-pressed", pressed ? "true" : "false");
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-plan-log") || !window.fetch) return;
    var button = event.submitter;
    if (!button || !button.value) return;
    event.preventDefault();
    var itemId = form.elements.item_id.value;
    form.setAttribute("aria-busy", "true");
    postJSON(form.action, { item_id: itemId, outcome: button.value })
      .then(function (entry) {
        showOutcome(itemId, entry.outcome);
        var title = form.closest("[data-item]").querySelector(".item-title");
        announce((title ? title.textContent.trim() : itemId) + ": " + entry.outcome);
      })
      .catch(function (error) {
        announce(error.message);
        form.removeAttribute("data-plan-log");
        button.click(); // fall back to the plain form post, which shows the error on its own page
      })
      .finally(function () { form.removeAttribute("aria-busy"); });
  });

  /* Sliders: show the value beside each range input as it moves. */
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.type === "range" && input.dataset.output) {
      var output = document.getElementById(input.dataset.output);
      if (output) output.textContent = input.value;
    }
  });

  /* Check-in: the run questions only when the runner ran. */
  function syncRunPain() {
    var ran = document.querySelector('input[name="ran"][value="yes"]');
    var block = document.querySelector("[data-run-pain]");
    if (ran && block) block.hidden = !ran.checked;
  }
  document.addEventListener("change", function (event) {
    if (event.target instanceof HTMLInputElement && event.target.hasAttribute("data-ran")) syncRunPain();
  });

  /* The 30-second single-leg stance timer, one per side: Start, then "Pain started now" or 30 s. */
  function setupTimer(fieldset) {
    var timer = fieldset.querySelector("[data-timer]");
    var clock = fieldset.querySelector("[data-clock]");
    var start = fieldset.querySelector("[data-start]");
    var pain = fieldset.querySelector("[data-pain]");
    var note = fieldset.querySelector("[data-timer-note]");
    var seconds = fieldset.querySelector("[data-seconds]");
    var tested = fieldset.querySelector("[data-tested]");
    var limit = 30;
    var started = null;
    var tick = null;
    if (!timer || !start || !pain) return;
    timer.hidden = false;

    function stop(elapsed, painCame) {
      window.clearInterval(tick);
      tick = null;
      started = null;
      start.disabled = false;
      start.textContent = "Start again";
      pain.disabled = true;
      clock.textContent = elapsed.toFixed(1);
      tested.checked = true;
      if (painCame) {
        seconds.value = elapsed.toFixed(1);
        note.textContent = "Pain at " + elapsed.toFixed(1) + " s: now set how strong it was.";
      } else {
        seconds.value = "";
        note.textContent = "30 seconds without your familiar pain.";
      }
      announce(note.textContent);
    }

    start.addEventListener("click", function () {
      started = performance.now();
      start.disabled = true;
      pain.disabled = false;
      pain.focus();
      note.textContent = "Timing… press the red button as soon as the pain starts.";
      announce("Timer started");
      tick = window.setInterval(function () {
        var elapsed = (performance.now() - started) / 1000;
        if (elapsed >= limit) {
          stop(limit, false);
        } else {
          clock.textContent = elapsed.toFixed(1);
        }
      }, 100);
    });
    pain.addEventListener("click", function () {
      if (started !== null) stop((performance.now() - started) / 1000, true);
    });
  }

  /* Print: open every <details> so the printout holds the whole plan, then close them again. */
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      return true;
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });

  document.addEventListener("DOMContentLoaded", function () {
    syncRunPain();
    document.querySelectorAll("form[data-stance] fieldset[data-side]").forEach(setupTimer);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    var result = document.getElementById("result");
    if (result && window.location.hash === "#result") result.focus();
  });

  window.gluteguard = { postJSON: postJSON, csrfToken: csrfToken, announce: announce };
})();
