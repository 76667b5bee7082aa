// Intake availability (templates/intake/form.html): the week grid's drag selection and keys,
// "Copy Monday to weekdays" and "Clear", the zone search and the local time next to the grid.
// Without this script the grid is 168 plain checkboxes and the zone list a plain <select>.
(function () {
  "use strict";

  function ready(start) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else {
      start();
    }
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  // --- The week grid: rows are hours, columns are days; each cell a real checkbox ----------
  function weekGrid(table, fieldset) {
    var rows = Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      return Array.prototype.slice.call(row.querySelectorAll("input[type=checkbox]"));
    });
    var boxes = [].concat.apply([], rows);
    var total = fieldset.querySelector("[data-week-total]");
    var drag = null;
    var swallowClick = false;

    function place(box) {
      for (var r = 0; r < rows.length; r++) {
        var c = rows[r].indexOf(box);
        if (c >= 0) { return { r: r, c: c }; }
      }
      return null;
    }
    function boxIn(target) {
      var cell = target && target.closest ? target.closest("td") : null;
      return cell && table.contains(cell) ? cell.querySelector("input[type=checkbox]") : null;
    }
    function showTotal() {
      var hours = boxes.filter(function (box) { return box.checked; }).length;
      total.textContent = fill(total.dataset.template, { hours: hours });
    }
    // One Tab stop for the whole grid (a roving tabindex): arrows move inside it.
    function rove(box) {
      boxes.forEach(function (other) { other.tabIndex = other === box ? 0 : -1; });
    }
    function moveTo(box) { rove(box); box.focus(); }

    function paint(to) {
      var top = Math.min(drag.from.r, to.r), bottom = Math.max(drag.from.r, to.r);
      var left = Math.min(drag.from.c, to.c), right = Math.max(drag.from.c, to.c);
      rows.forEach(function (row, r) {
        row.forEach(function (box, c) {
          var inside = r >= top && r <= bottom && c >= left && c <= right;
          box.checked = inside ? drag.value : drag.before[r][c];
        });
      });
    }

    table.addEventListener("pointerdown", function (event) {
      var box = boxIn(event.target);
      // Touch keeps its taps and its scrolling; a mouse or a pen drags.
      if (!box || event.button !== 0 || event.pointerType === "touch") { return; }
      event.preventDefault();  // no text selection while dragging
      drag = { from: place(box), value: !box.checked,
               before: rows.map(function (row) { return row.map(function (b) { return b.checked; }); }) };
      paint(drag.from);
      moveTo(box);
    });
    function endDrag() {
      if (!drag) { return false; }
      drag = null;
      showTotal();
      return true;
    }
    document.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      // Released where this frame could not hear it (outside the LMS's iframe): the drag is
      // over, or the next move (even the browser's own, after a scroll) would paint again.
      if (!(event.buttons & 1)) { endDrag(); return; }
      var box = boxIn(document.elementFromPoint(event.clientX, event.clientY));
      if (box) { paint(place(box)); }
    });
    document.addEventListener("pointerup", function () {
      if (!endDrag()) { return; }
      // The click that follows a press and release on one checkbox would toggle it again
      // (only a release heard here is followed by one).
      swallowClick = true;
      setTimeout(function () { swallowClick = false; }, 0);
    });
    document.addEventListener("pointercancel", endDrag);
    table.addEventListener("click", function (event) {
      if (swallowClick) { event.preventDefault(); return; }
      // A tap beside the checkbox, in its cell, ticks it too (a bigger target on a phone).
      if (event.target.tagName === "TD") { boxIn(event.target).click(); }
    }, true);
    table.addEventListener("change", showTotal);

    var steps = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    table.addEventListener("keydown", function (event) {
      var box = boxIn(event.target), at = box && place(box);
      if (!at || event.altKey || event.ctrlKey || event.metaKey) { return; }
      var step = steps[event.key], to;
      if (step) {
        var sideways = getComputedStyle(table).direction === "rtl" ? -step[1] : step[1];
        to = { r: Math.max(0, Math.min(rows.length - 1, at.r + step[0])),
               c: Math.max(0, Math.min(rows[0].length - 1, at.c + sideways)) };
      } else if (event.key === "Home" || event.key === "End") {
        to = { r: at.r, c: event.key === "Home" ? 0 : rows[0].length - 1 };
      } else {
        return;  // Space toggles the checkbox itself
      }
      event.preventDefault();
      var next = rows[to.r][to.c];
      if (event.shiftKey && step) {  // extend: the next hour takes this one's state
        next.checked = box.checked;
        showTotal();
      }
      moveTo(next);
    });

    fieldset.querySelector("[data-copy-monday]").addEventListener("click", function () {
      rows.forEach(function (row) {
        for (var day = 1; day <= 4; day++) { row[day].checked = row[0].checked; }
      });
      showTotal();
    });
    fieldset.querySelector("[data-clear-week]").addEventListener("click", function () {
      boxes.forEach(function (box) { box.checked = false; });
      showTotal();
    });

    table.classList.add("enhanced");
    fieldset.querySelectorAll(".availability-tools, .availability-keys").forEach(function (el) {
      el.hidden = false;
    });
    rove(boxes.filter(function (box) { return box.checked; })[0] || boxes[0]);
    showTotal();
  }

  // --- The zone picker: a search over the grouped list, and the local time ----------------
  function zonePicker(picker, clock) {
    var select = picker.querySelector("select");
    var search = picker.querySelector("input[type=search]");
    var count = picker.querySelector("#zone-search-count");
    var options = Array.prototype.map.call(select.options, function (option) {
      var words = (option.text + " " + option.value.replace(/[_/]/g, " ")).toLowerCase();
      return { option: option, words: words };
    });

    function filter() {
      var terms = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = options.filter(function (entry) {
        var match = terms.every(function (term) { return entry.words.indexOf(term) >= 0; });
        entry.option.hidden = !match;
        return match;
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      count.textContent = terms.length ? fill(count.dataset.template, { count: shown.length }) : "";
      var chosen = select.options[select.selectedIndex];
      if (shown.length && (!chosen || chosen.hidden)) {
        select.value = shown[0].option.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); select.focus(); }  // not a submit
    });
    search.closest(".zone-search").hidden = false;

    // A first visit: pairwise.js chose the browser's zone if listed; an alias maps here.
    if (select.dataset.browserTimezone && select.dataset.zoneAliases && window.Intl) {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      var canonical = JSON.parse(select.dataset.zoneAliases)[zone];
      if (canonical && select.querySelector('option[value="' + canonical + '"]')) {
        select.value = canonical;
      }
    }

    function showTime() {
      var option = select.options[select.selectedIndex];
      if (!option || !window.Intl) { return; }
      var offset = (option.text.match(/\((UTC[^)]*)\)$/) || [])[1] || option.value;
      try {
        var now = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
          weekday: "long", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
          timeZone: option.value }).format(new Date());
        clock.textContent = fill(clock.dataset.template, { now: now, offset: offset });
      } catch (error) { /* a zone this browser does not know: keep the server's text */ }
    }
    select.addEventListener("change", showTime);
    showTime();
    setInterval(showTime, 30000);
  }

  ready(function () {
    var table = document.querySelector("table[data-week-grid]");
    if (table) { weekGrid(table, table.closest("fieldset")); }
    var picker = document.querySelector("[data-zone-picker]");
    var clock = document.getElementById("zone-now");
    if (picker && clock) { zonePicker(picker, clock); }
  });
})();
