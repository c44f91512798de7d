// Small conveniences that need JavaScript; the page works without them (CSP: no inline code).
// - Copy buttons ([data-copy] names a read-only field): shown only here, they copy the field and
//   say "Copied" in the field's status span ([data-copied]).
// - Read-only fields to copy ([data-select-all]) select their whole value when focused.
// - A status message's Dismiss link ([data-dismiss]) empties its region instead of reloading.
// - A policy editor's line numbers ([data-gutter] names them) follow its text as you type and
//   scroll, and mark the lines the findings as you type name (li[data-line]).
// - A box that scrolls on its own ([data-keep-scroll], with an id) keeps its place when htmx
//   swaps it for a new copy (the dashboard's grid refreshing every 5 seconds); the form or link
//   that asked stays where it was on screen (the console is swapped whole, and the page moved
//   thousands of pixels); the keyboard stays on the control it was on, or goes to the status.
// - An htmx request the server refused (htmx swaps no 4xx or 5xx) or could not reach says so
//   in the page's status region, instead of nothing happening.
(function () {
  "use strict";

  function reveal(root) {
    root.querySelectorAll("[data-copy][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function say(id, words) {
    var said = document.querySelector('[data-copied="' + id + '"]');
    if (said) {
      said.textContent = "";
      window.setTimeout(function () { said.textContent = words; }, 50);
    }
  }

  function copy(button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { say(button.dataset.copy, "Copied"); },
        function () { say(button.dataset.copy, "Selected: press Ctrl+C (⌘C) to copy"); }
      );
    } else {
      var done = false;
      try { done = document.execCommand("copy"); } catch (error) { done = false; }
      say(button.dataset.copy, done ? "Copied" : "Selected: press Ctrl+C (⌘C) to copy");
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var button = target.closest("[data-copy]");
    if (button) {
      copy(button);
      return;
    }
    var dismiss = target.closest("[data-dismiss]");
    var region = dismiss && dismiss.closest(".status");
    if (region) {
      event.preventDefault();
      region.replaceChildren();
      var main = document.getElementById("main");
      if (main) main.focus({ preventScroll: true });
    }
  });

  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field instanceof HTMLInputElement && field.hasAttribute("data-select-all")) field.select();
  });

  function gutterOf(textarea) {
    return textarea.dataset.gutter ? document.getElementById(textarea.dataset.gutter) : null;
  }

  function number(textarea) {
    var gutter = gutterOf(textarea);
    if (!gutter) return;
    var wanted = Math.max(textarea.value.split("\n").length, textarea.rows);
    while (gutter.children.length < wanted) {
      var item = document.createElement("li");
      item.textContent = String(gutter.children.length + 1);
      gutter.appendChild(item);
    }
    while (gutter.children.length > wanted && !gutter.lastElementChild.className) {
      gutter.removeChild(gutter.lastElementChild);
    }
    gutter.scrollTop = textarea.scrollTop;
  }

  function mark(findings) {
    var textarea = document.querySelector('[aria-describedby~="' + findings.id + '"][data-gutter]');
    var gutter = textarea && gutterOf(textarea);
    if (!gutter) return;
    number(textarea);
    var worst = {};
    findings.querySelectorAll("li[data-line]").forEach(function (finding) {
      var kind = ["error", "security_warning", "warning"].find(function (type) {
        return finding.classList.contains("finding--" + type);
      });
      var line = finding.dataset.line;
      if (kind && (!worst[line] || kind === "error")) worst[line] = kind;
    });
    Array.prototype.forEach.call(gutter.children, function (item, index) {
      var kind = worst[String(index + 1)];
      item.className = kind ? "policy-gutter__" + kind : "";
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target instanceof HTMLTextAreaElement) number(event.target);
  });
  document.addEventListener("scroll", function (event) {
    if (event.target instanceof HTMLTextAreaElement) number(event.target);
  }, true);
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll('.findings[id^="findings-"]').forEach(mark);
  });

  // Before a swap: the scroll of [data-keep-scroll] boxes; where the form or link that asked
  // sits on screen (by its nearest id, which the new copy has too), so the page can be put
  // back under it; and which control had the keyboard, by that id and its name and value
  // (htmx puts focus back only on a control with an id of its own).
  var scrolled = {};
  var anchor = null;
  var focused = null;

  function placeOf(element) {
    var holder = element && element.closest("[id]");
    return holder ? { id: holder.id, top: holder.getBoundingClientRect().top } : null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    scrolled = {};
    document.querySelectorAll("[data-keep-scroll][id]").forEach(function (box) {
      scrolled[box.id] = [box.scrollLeft, box.scrollTop];
    });
    anchor = placeOf(event.detail.requestConfig && event.detail.requestConfig.elt);
    var active = document.activeElement;
    focused = null;
    if (active && active !== document.body && !active.id && active.name) {
      var holder = active.closest("[id]");
      if (holder) {
        focused = { id: holder.id, tag: active.tagName, name: active.name, value: active.value || "" };
      }
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    Object.keys(scrolled).forEach(function (id) {
      var box = document.getElementById(id);
      if (box) {
        box.scrollLeft = scrolled[id][0];
        box.scrollTop = scrolled[id][1];
      }
    });
    if (anchor) {
      var again = document.getElementById(anchor.id);
      if (again) window.scrollBy(0, again.getBoundingClientRect().top - anchor.top);
      anchor = null;
    }
    if (focused && document.activeElement === document.body) {
      var holder = document.getElementById(focused.id);
      var control = holder && Array.prototype.find.call(
        holder.querySelectorAll(focused.tag + '[name="' + focused.name + '"]'),
        function (each) { return (each.value || "") === focused.value; }
      );
      var status = document.querySelector("#status, #dash-status");
      (control || status || document.body).focus({ preventScroll: true });
      focused = null;
    }
  });

  // Words for a request that did not go through, by the server's status (0: no answer).
  function trouble(status) {
    if (status === 0) {
      return "The server could not be reached, so nothing was done. Check the connection and try again.";
    }
    if (status === 403) {
      return "That was not done: this page is out of date (you may have signed in, joined or left " +
        "in another tab, or the page was open a long time). Copy anything you typed, reload the " +
        "page and try again.";
    }
    if (status === 429) {
      return "That was not done: too many requests from this network just now. Wait a minute and try again.";
    }
    return "That was not done: the server answered with an error (HTTP " + status + "). " +
      "Reload the page and try again.";
  }

  function tell(words) {
    var region = document.querySelector("#status, #dash-status");
    var main = document.getElementById("main");
    if (!region && main) {
      region = document.createElement("div");
      region.className = "status";
      region.setAttribute("role", "status");
      region.id = "status";
      main.insertBefore(region, main.firstChild);
    }
    if (!region) return;
    var box = document.createElement("div");
    box.className = "status__message status__message--problem";
    var text = document.createElement("p");
    text.className = "status__text";
    var icon = document.createElement("span");
    icon.className = "status__icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = "⚠";
    text.append(icon, " " + words);
    box.appendChild(text);
    region.replaceChildren(box);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var request = event.detail && event.detail.xhr;
    tell(trouble(request ? request.status : 0));
  });
  document.addEventListener("htmx:sendError", function () { tell(trouble(0)); });

  if (window.htmx) {
    window.htmx.onLoad(reveal);
  } else {
    document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  }
})();
