// Sortable tables: click a column heading to sort by it, click again to reverse.
// Numbers sort as numbers ("1,234", "45.6%", "–" for missing, which sorts last).
(function () {
  "use strict";

  function cellValue(row, index) {
    var text = row.cells[index].textContent.trim();
    var number = parseFloat(text.replace(/,/g, "").replace(/%$/, ""));
    return { text: text, number: isNaN(number) || text === "–" ? null : number };
  }

  function sortBy(table, index, heading) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = heading.getAttribute("aria-sort") !== "ascending";
    var numeric = rows.every(function (row) {
      var value = cellValue(row, index);
      return value.number !== null || value.text === "–" || value.text === "";
    });
    rows.sort(function (a, b) {
      var x = cellValue(a, index);
      var y = cellValue(b, index);
      var order;
      if (numeric) {
        if (x.number === null) return 1;
        if (y.number === null) return -1;
        order = x.number - y.number;
      } else {
        order = x.text.localeCompare(y.text);
      }
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  Array.prototype.forEach.call(
    document.querySelectorAll("table.sortable"),
    function (table) {
      if (!table.tHead || !table.tBodies.length) return;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell, index) {
        cell.tabIndex = 0;
        cell.title = "Sort by this column";
        cell.addEventListener("click", function () { sortBy(table, index, cell); });
        cell.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            sortBy(table, index, cell);
          }
        });
      });
    }
  );
})();
