// The projector page's only script: listen to the meeting's server-sent events and
// write each snapshot into the page. Every visible text comes from the server (already
// translated); this file holds no words of its own.
"use strict";

(function () {
  var screen = document.querySelector("[data-events]");
  if (!screen || !window.EventSource) {
    return;
  }

  function lookup(state, path) {
    var value = state;
    var parts = path.split(".");
    for (var i = 0; i < parts.length; i += 1) {
      if (value === null || value === undefined) {
        return "";
      }
      value = value[parts[i]];
    }
    return value === null || value === undefined ? "" : String(value);
  }

  function show(state) {
    screen.querySelectorAll("[data-field]").forEach(function (node) {
      node.textContent = lookup(state, node.getAttribute("data-field"));
    });
    screen.querySelectorAll("[data-section]").forEach(function (node) {
      node.hidden = !state[node.getAttribute("data-section")];
    });
    var quorum = screen.querySelector("[data-holds]");
    if (quorum) {
      quorum.setAttribute("data-holds", state.holds ? "yes" : "no");
      quorum.classList.toggle("holds", Boolean(state.holds));
    }
    screen.setAttribute("data-live", "yes");
  }

  var source = new EventSource(screen.getAttribute("data-events"));
  source.addEventListener("state", function (message) {
    show(JSON.parse(message.data));
  });
})();
