/* The sell screen without page loads: the form is sent with fetch (with the button pressed) and the page
   swapped in place; a countdown of the cart's hold; the change shown as the cash given is typed. Without this
   file each button posts the form and the server answers with the page. */
(function () {
  "use strict";

  var form = document.getElementById("sell-form");
  if (!form) return;
  var busy = false;
  var timer = null;

  // The page's words for what this script writes, in the page's language.
  function said(name, english) {
    var current = document.getElementById("sell-form");
    return (current && current.getAttribute("data-" + name)) || english;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function startCountdown() {
    if (timer) clearInterval(timer);
    var hold = document.getElementById("hold");
    if (!hold) return;
    // The server's clock decides; count from the difference it sent, not from this device's clock.
    var left = (Date.parse(hold.getAttribute("data-expires")) - Date.parse(hold.getAttribute("data-now"))) / 1000;
    var end = Date.now() + left * 1000;
    function tick() {
      var seconds = Math.max(0, Math.round((end - Date.now()) / 1000));
      var shown = document.getElementById("countdown");
      if (!shown) return;
      shown.textContent = Math.floor(seconds / 60) + ":" + pad(seconds % 60);
      hold.classList.toggle("is-short", seconds > 0 && seconds <= 120);
      hold.classList.toggle("is-over", seconds === 0);
      if (seconds === 0) {
        hold.firstChild.textContent = said("hold-over", "Hold ran out") + " ";
        clearInterval(timer);
      }
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  function cents(text) {
    var cleaned = (text || "").trim().replace(",", ".");
    if (!/^\d+(\.\d{0,2})?$/.test(cleaned)) return null;
    return Math.round(parseFloat(cleaned) * 100);
  }

  function showChange() {
    var given = document.getElementById("given");
    var total = document.getElementById("total");
    var change = document.getElementById("change");
    var amount = document.getElementById("change-amount");
    if (!given || !total || !change || !amount) return;
    var due = cents(total.getAttribute("data-total"));
    var paid = cents(given.value);
    if (paid === null || due === null || !given.value.trim()) {
      change.hidden = true;
      return;
    }
    change.hidden = false;
    var diff = paid - due;
    change.classList.toggle("is-short", diff < 0);
    change.firstChild.textContent = diff < 0 ? said("not-enough", "Not enough") : said("change", "Change");
    var abs = Math.abs(diff);
    amount.textContent = (diff < 0 ? "−" : "") + Math.floor(abs / 100) + "." + pad(abs % 100);
  }

  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "given") showChange();
  });

  function replace(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("sell-form");
    if (!fresh) {
      // Another page (not allowed, an error): show the page the server answered, as the browser would have.
      document.open();
      document.write(html);
      document.close();
      form = null;
      return;
    }
    var scroll = document.querySelector(".products").scrollTop;
    var cartScroll = document.querySelector(".lines").scrollTop;
    document.querySelectorAll("main > .notice").forEach(function (n) { n.remove(); });
    var main = document.querySelector("main");
    doc.querySelectorAll("main > .notice").forEach(function (n) {
      main.insertBefore(document.importNode(n, true), main.firstChild);
    });
    form.replaceWith(document.importNode(fresh, true));
    form = document.getElementById("sell-form");
    bind();
    document.querySelector(".products").scrollTop = scroll;
    document.querySelector(".lines").scrollTop = cartScroll;
    startCountdown();
    showChange();
  }

  function onSubmit(event) {
    if (!window.fetch || !window.DOMParser || !window.FormData) return;
    var submitter = event.submitter;
    if (!submitter) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    form.classList.add("is-busy");
    var data = new FormData(form);
    if (submitter.name) data.append(submitter.name, submitter.value);
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        var path = new URL(response.url).pathname;
        if (response.redirected && path !== new URL(form.action, window.location.href).pathname) {
          // Sold (or signed out): go to that page.
          window.location.assign(response.url);
          return null;
        }
        return response.text().then(replace);
      })
      .catch(function () {
        window.alert(said("no-answer", "No answer from the server. Nothing may have changed: look at the cart, then try again."));
      })
      .then(function () {
        busy = false;
        if (form) form.classList.remove("is-busy");
      });
  }

  function bind() {
    form.addEventListener("submit", onSubmit);
  }

  bind();
  startCountdown();
  showChange();
})();
