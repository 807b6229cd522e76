/* gluteguard check-in: small enhancements on top of app.js (which shows slider values and hides the run sliders
   on a no-run day). The pages work without this file. */
(function () {
  "use strict";

  /* Three pain sliders on the first screen: on a run day "at rest" and "at night" move under "More about today",
     on other days they come back beside "this morning". */
  function placeRestPain(form) {
    var ran = form.querySelector('input[name="ran"][value="yes"]');
    var block = form.querySelector("[data-rest-pain]");
    var home = form.querySelector("[data-rest-home]");
    var fold = form.querySelector("[data-rest-fold]");
    if (!ran || !block || !home || !fold) return;
    var target = ran.checked ? fold : home;
    if (block.parentNode !== target) target.appendChild(block);
  }

  /* A slider nobody moved and nobody could see (folded, or a run slider on a no-run day) is not an answer:
     it is left out rather than sent as 0, so it never reads as "no pain". */
  function dropUnseenSliders(form) {
    form.querySelectorAll("input[type=range][data-unset]").forEach(function (input) {
      var unseen = input.closest("details:not([open]), [hidden]") || input.getClientRects().length === 0;
      if (unseen) input.disabled = true;
    });
  }

  /* The warning-sign page's button says what it will save: "None of these" or how many are ticked. */
  function syncFlagButton(form) {
    var button = form.querySelector("[data-flags-submit]");
    if (!button) return;
    var ticked = form.querySelectorAll('input[name="red_flags"]:checked').length;
    button.textContent = ticked === 0 ? "None of these: save" : "Save: " + ticked + " ticked";
  }

  document.addEventListener("input", function (event) {
    if (event.target instanceof HTMLInputElement && event.target.type === "range") {
      event.target.removeAttribute("data-unset");
    }
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement)) return;
    var form = input.form;
    if (!form) return;
    if (input.hasAttribute("data-ran") && form.hasAttribute("data-checkin")) placeRestPain(form);
    if (input.name === "red_flags" && form.hasAttribute("data-flags")) syncFlagButton(form);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-checkin")) dropUnseenSliders(form);
  });

  /* Back to the page from the browser's cache: the sliders left out at the last submit are usable again. */
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-checkin] input[type=range]:disabled").forEach(function (input) {
      input.disabled = false;
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-checkin]").forEach(placeRestPain);
    document.querySelectorAll("form[data-flags]").forEach(syncFlagButton);
  });
})();
