// The workspace's terminal, at the keyboard: Enter runs the command (Shift+Enter, or Enter
// inside an unfinished heredoc, starts a new line); ↑ and ↓ bring back the place's earlier
// commands; Ctrl+L runs `clear`. The log keeps its last 200 lines and stays scrolled to its
// end, and the command line keeps the focus after a run. Without this file the terminal still
// works: Run posts the form, and the page comes back with the output.
(function () {
  "use strict";

  var MAX_LINES = 200; // as many as the server keeps (simulator.terminal)
  var MAX_ROWS = 12;
  var browsing = null; // while ↑/↓ walk the history: {index, typed}
  var ranHere = false; // the request in flight is the terminal's own

  function form() {
    return document.getElementById("terminal-form");
  }

  function input() {
    return document.getElementById("terminal-command");
  }

  function history() {
    var found = form();
    try {
      return JSON.parse((found && found.dataset.history) || "[]");
    } catch (error) {
      return [];
    }
  }

  // `cat > p.json <<'EOF'` on the first line and no line `EOF` yet: Enter continues it.
  function heredocOpen(text) {
    var lines = text.split("\n");
    var opened = /<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(lines[0]);
    if (!opened) {
      return false;
    }
    return !lines.slice(1).some(function (line) {
      return line.replace(/^\t+/, "") === opened[2];
    });
  }

  function fit(box) {
    box.rows = Math.min(Math.max(box.value.split("\n").length, 1), MAX_ROWS);
  }

  function run() {
    var found = form();
    if (!found) {
      return;
    }
    if (found.requestSubmit) {
      found.requestSubmit();
    } else {
      found.querySelector("button[type=submit]").click();
    }
  }

  function recall(box, step) {
    var commands = history();
    if (browsing === null) {
      browsing = { index: commands.length, typed: box.value };
    }
    var next = browsing.index + step;
    if (next < 0 || next > commands.length) {
      return;
    }
    browsing.index = next;
    box.value = next === commands.length ? browsing.typed : commands[next];
    fit(box);
    box.setSelectionRange(box.value.length, box.value.length);
  }

  function onKey(event) {
    var box = event.target;
    if (box.id !== "terminal-command" || event.isComposing) {
      return;
    }
    var before = box.value.slice(0, box.selectionStart);
    var after = box.value.slice(box.selectionEnd);
    if (event.key === "Enter" && !event.shiftKey && !event.altKey) {
      if (!heredocOpen(box.value)) {
        event.preventDefault();
        run();
      }
    } else if (event.key === "ArrowUp" && before.indexOf("\n") === -1) {
      event.preventDefault();
      recall(box, -1);
    } else if (event.key === "ArrowDown" && after.indexOf("\n") === -1) {
      event.preventDefault();
      recall(box, 1);
    } else if ((event.key === "l" || event.key === "L") && event.ctrlKey && !event.altKey) {
      event.preventDefault();
      box.value = "clear";
      run();
    }
  }

  // The log: its last MAX_LINES lines, scrolled to the newest.
  function tidy() {
    var log = document.getElementById("terminal-lines");
    if (log) {
      var lines = log.querySelectorAll(".term-line");
      for (var i = 0; i < lines.length - MAX_LINES; i++) {
        var chunk = lines[i].parentNode;
        chunk.removeChild(lines[i]);
        if (!chunk.querySelector(".term-line")) {
          chunk.remove();
        }
      }
      log.scrollTop = log.scrollHeight;
    }
    var hints = document.querySelectorAll(".term-form__js");
    for (var j = 0; j < hints.length; j++) {
      hints[j].hidden = false;
    }
    var box = input();
    if (box) {
      fit(box);
    }
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("input", function (event) {
    if (event.target.id === "terminal-command") {
      browsing = null;
      fit(event.target);
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    ranHere = event.detail.elt === form();
  });
  document.addEventListener("htmx:afterSettle", function () {
    tidy();
    browsing = null;
    if (ranHere) {
      ranHere = false;
      var box = input();
      if (box) {
        box.focus();
      }
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    tidy();
    if (window.location.hash === "#terminal" && input()) {
      input().focus();
    }
  });
})();
