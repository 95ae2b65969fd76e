/* The orders screen's search field: what it holds is selected, so the next scan or typing replaces it. */
(function () {
  "use strict";
  var search = document.getElementById("q");
  if (search && search.value) search.select();
})();

/* Forms that undo something for good (revoking a device) ask first; without this file they post at once. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();

/* The door without page loads: the scan form is posted with fetch and the answer painted in place, a tone
   per result, the scan field kept focused, and the counts refreshed now and then. Without this file the
   plain form works the same, one page per scan. */
(function () {
  "use strict";

  var TONES = {
    ok: [[880, 0.12, "sine"], [1320, 0.12, "sine"]],
    refused: [[220, 0.22, "square"], [0, 0.06], [220, 0.22, "square"]],
    unknown: [[330, 0.14, "square"], [196, 0.3, "square"]],
    ambiguous: [[440, 0.1, "square"], [330, 0.1, "square"], [440, 0.1, "square"]],
    incomplete: [[660, 0.12, "triangle"], [0, 0.06], [660, 0.12, "triangle"]],
    error: [[150, 0.4, "sawtooth"]]
  };
  var audio = null;

  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume();
  }

  function play(kind) {
    var steps = TONES[kind];
    if (!steps) return;
    try {
      unlockAudio();
      if (!audio) return;
      var t = audio.currentTime + 0.02;
      steps.forEach(function (step) {
        if (step[0] > 0) {
          var osc = audio.createOscillator();
          var gain = audio.createGain();
          osc.type = step[2];
          osc.frequency.value = step[0];
          gain.gain.setValueAtTime(0.25, t);
          gain.gain.exponentialRampToValueAtTime(0.001, t + step[1]);
          osc.connect(gain).connect(audio.destination);
          osc.start(t);
          osc.stop(t + step[1]);
        }
        t += step[1];
      });
    } catch (e) { /* no sound, the screen still tells */ }
  }

  var form = document.getElementById("scan-form");
  if (!form) return;
  var input = document.getElementById("scan");

  function focusScan() {
    if (document.activeElement !== input) input.focus();
  }
  document.addEventListener("click", function () { setTimeout(focusScan, 0); });
  document.addEventListener("keydown", unlockAudio);
  input.addEventListener("blur", function (event) {
    if (!event.relatedTarget) setTimeout(focusScan, 0);
  });
  window.addEventListener("focus", focusScan);

  var first = document.getElementById("result");
  if (first && first.getAttribute("data-fresh")) play(first.getAttribute("data-result"));

  function swap(doc, id) {
    var fresh = doc.getElementById(id);
    var old = document.getElementById(id);
    if (fresh && old) old.replaceWith(document.importNode(fresh, true));
  }

  function showError(text) {
    var panel = document.getElementById("result");
    var section = document.createElement("section");
    section.id = "result";
    section.className = "result result-error";
    section.setAttribute("data-result", "error");
    section.setAttribute("role", "status");
    section.innerHTML = '<div class="result-icon" aria-hidden="true">\u2715</div>' +
      '<div class="result-body"><h1 class="result-headline"></h1><p class="result-detail"></p></div>';
    section.querySelector(".result-headline").textContent = form.getAttribute("data-not-checked") || "Not checked";
    section.querySelector(".result-detail").textContent = text;
    panel.replaceWith(section);
    play("error");
  }

  var queue = [];
  var busy = false;

  function pump() {
    if (busy || !queue.length) return;
    busy = true;
    var data = new FormData(form);
    data.set("code", queue.shift());
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Door-Answer-Only": "1" }
    })
      .then(function (response) {
        return response.text().then(function (text) { return { response: response, text: text }; });
      })
      .then(function (got) {
        var doc = new DOMParser().parseFromString(got.text, "text/html");
        var result = doc.getElementById("result");
        var nonce = doc.querySelector("#scan-form input[name=nonce]");
        if (got.response.redirected) {
          // Signed out: the server sent the sign-in page.
          window.location.assign(got.response.url);
          return;
        }
        if (!got.response.ok || !result || !nonce) {
          // Not allowed, or an error page: show what the server said.
          document.open();
          document.write(got.text);
          document.close();
          return;
        }
        form.elements.nonce.value = nonce.value;
        swap(doc, "result");
        play(result.getAttribute("data-result"));
        refreshCounts();
      })
      .catch(function () {
        showError(form.getAttribute("data-no-answer") ||
          "No answer from the server: this scan may not have counted. Scan it again.");
      })
      .then(function () {
        busy = false;
        focusScan();
        pump();
      });
  }

  form.addEventListener("submit", function (event) {
    if (!window.fetch || !window.DOMParser || !window.FormData) return;
    event.preventDefault();
    var code = input.value.trim();
    input.value = "";
    focusScan();
    if (!code) return;
    queue.push(code);
    pump();
  });

  // The counts come in a request of their own, after each answer is painted (counting takes longer than
  // checking a ticket in), and now and then, since they change with every other door too.
  function refreshCounts() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (text) {
        if (text) swap(new DOMParser().parseFromString(text, "text/html"), "counts");
      })
      .catch(function () { /* the next scan tells */ });
  }

  setInterval(function () {
    if (busy || document.hidden) return;
    refreshCounts();
  }, 15000);
})();
