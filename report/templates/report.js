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

// The live filter of the saved-queries section: the same criteria, arithmetic
// and order as the Python query model (movielens_hail.query), applied to the
// data embedded in the page, so the table equals `movielens-hail query`. The
// data holds either every rating or, for large data sets, the number of
// ratings of each value per movie, sex and age group (see
// movielens_hail.query.filter_data); the page then offers only the criteria
// those counts answer exactly.
(function () {
  "use strict";

  var form = document.getElementById("live-filter");
  var source = document.getElementById("filter-data");
  if (!form || !source) return;
  var data = JSON.parse(source.textContent);
  var status = document.getElementById("filter-status");
  var exact = data.ratings !== null;

  var raterOf = null;
  if (exact) {
    raterOf = new Int32Array(data.ratings.packed.length);
    var position = 0;
    data.ratings.per_user.forEach(function (count, user) {
      for (var i = 0; i < count; i += 1) raterOf[position + i] = user;
      position += count;
    });
  }

  function field(name) { return form.elements[name]; }

  function fillSelect(name, values, labels) {
    var select = field(name);
    values.forEach(function (value, index) {
      var option = document.createElement("option");
      option.value = String(value);
      option.textContent = labels ? labels[index] : String(value);
      select.appendChild(option);
    });
  }

  fillSelect("genres_any", data.genres);
  fillSelect("genres_all", data.genres);
  if (exact) {
    fillSelect("occupations", data.occupations);
    fillSelect("states", data.states);
  } else {
    fillSelect("age_groups", data.aggregates.age_groups);
  }

  // A control the page does not offer reads as unset.
  function chosen(name) {
    if (!field(name)) return [];
    return Array.prototype.filter.call(field(name).options, function (option) {
      return option.selected;
    }).map(function (option) { return option.value; });
  }

  function text(name) {
    return field(name) ? field(name).value.trim() : "";
  }

  function whole(name) {
    var value = text(name);
    return value === "" ? null : Number(value);
  }

  function criteria() {
    return {
      genresAny: chosen("genres_any"),
      genresAll: chosen("genres_all"),
      sex: text("sex") || null,
      ageMin: whole("age_min"),
      ageMax: whole("age_max"),
      ageGroups: chosen("age_groups"),
      occupations: chosen("occupations"),
      states: chosen("states"),
      zipPrefix: text("zip_prefix"),
      yearMin: whole("year_min"),
      yearMax: whole("year_max"),
      title: text("title").toLowerCase(),
      ratingMin: whole("rating_min"),
      ratingMax: whole("rating_max"),
      minCount: whole("min_count"),
      minMean: whole("min_mean"),
      sort: text("sort"),
      limit: whole("limit")
    };
  }

  function problems(c) {
    var found = [];
    function range(label, low, high) {
      if (low !== null && high !== null && low > high) {
        found.push(label + " range " + low + "-" + high + " is empty");
      }
    }
    range("age", c.ageMin, c.ageMax);
    range("release year", c.yearMin, c.yearMax);
    range("rating", c.ratingMin, c.ratingMax);
    if (c.minCount !== null && c.minCount < 1) {
      found.push("minimum count must be at least 1");
    }
    if (c.limit !== null && c.limit < 1) found.push("limit must be at least 1");
    return found;
  }

  function mask(names) {
    return names.reduce(function (bits, name) {
      return bits | (1 << data.genres.indexOf(name));
    }, 0);
  }

  function usersMatching(c) {
    var users = data.users;
    var occupations = c.occupations.map(function (name) {
      return data.occupations.indexOf(name);
    });
    return users.id.map(function (id, i) {
      return (c.sex === null || users.sex[i] === c.sex) &&
        (c.ageMin === null || users.age[i] >= c.ageMin) &&
        (c.ageMax === null || users.age[i] <= c.ageMax) &&
        (!occupations.length || occupations.indexOf(users.occupation[i]) >= 0) &&
        (!c.states.length || c.states.indexOf(users.state[i]) >= 0) &&
        (c.zipPrefix === "" || users.zipcode[i].indexOf(c.zipPrefix) === 0);
    });
  }

  function moviesMatching(c) {
    var movies = data.movies;
    var any = mask(c.genresAny);
    var all = mask(c.genresAll);
    var yearBound = c.yearMin !== null || c.yearMax !== null;
    return movies.id.map(function (id, i) {
      var year = movies.year[i];
      return (!any || (movies.genres[i] & any) !== 0) &&
        (movies.genres[i] & all) === all &&
        (!yearBound || (year !== null &&
          (c.yearMin === null || year >= c.yearMin) &&
          (c.yearMax === null || year <= c.yearMax))) &&
        (c.title === "" || movies.title[i].toLowerCase().indexOf(c.title) >= 0);
    });
  }

  var ORDER = {
    mean: ["mean", "n"],
    count: ["n", "mean"],
    damped_mean: ["damped", "n"]
  };

  // Matching ratings per movie, counted from the ratings themselves.
  function ratingTotals(c, movieOk, total) {
    var userOk = usersMatching(c);
    var low = c.ratingMin === null ? 1 : c.ratingMin;
    var high = c.ratingMax === null ? 5 : c.ratingMax;
    data.ratings.packed.forEach(function (packed, i) {
      var movie = packed >> 3;
      var rating = packed & 7;
      if (userOk[raterOf[i]] && movieOk[movie] && rating >= low && rating <= high) {
        total.count[movie] += 1;
        total.sum[movie] += rating;
      }
    });
  }

  // Matching ratings per movie, summed from the counts per sex and age group.
  function groupTotals(c, movieOk, total) {
    var counts = data.aggregates;
    var nRatings = counts.ratings.length;
    var perMovie = counts.sexes.length * counts.age_groups.length * nRatings;
    var cells = [];
    counts.sexes.forEach(function (sex, s) {
      counts.age_groups.forEach(function (group, a) {
        if ((c.sex === null || sex === c.sex) &&
            (!c.ageGroups.length || c.ageGroups.indexOf(group) >= 0)) {
          counts.ratings.forEach(function (rating, r) {
            if ((c.ratingMin === null || rating >= c.ratingMin) &&
                (c.ratingMax === null || rating <= c.ratingMax)) {
              cells.push({
                offset: (s * counts.age_groups.length + a) * nRatings + r,
                rating: rating
              });
            }
          });
        }
      });
    });
    for (var movie = 0; movie < movieOk.length; movie += 1) {
      if (!movieOk[movie]) continue;
      cells.forEach(function (cell) {
        var n = counts.counts[movie * perMovie + cell.offset];
        total.count[movie] += n;
        total.sum[movie] += n * cell.rating;
      });
    }
  }

  function answer(c) {
    var movieOk = moviesMatching(c);
    var count = new Int32Array(data.movies.id.length);
    var sum = new Float64Array(data.movies.id.length);
    (exact ? ratingTotals : groupTotals)(c, movieOk, { count: count, sum: sum });
    var rows = [];
    var minCount = c.minCount === null ? 1 : c.minCount;
    for (var movie = 0; movie < count.length; movie += 1) {
      if (count[movie] < minCount) continue;
      var mean = sum[movie] / count[movie];
      if (c.minMean !== null && mean < c.minMean) continue;
      rows.push({
        movie: movie,
        n: count[movie],
        mean: mean,
        damped: (sum[movie] + data.prior_weight * data.global_mean) /
          (count[movie] + data.prior_weight)
      });
    }
    var keys = ORDER[c.sort];
    rows.sort(function (a, b) {
      return (b[keys[0]] - a[keys[0]]) || (b[keys[1]] - a[keys[1]]) ||
        (data.movies.id[a.movie] - data.movies.id[b.movie]);
    });
    return rows;
  }

  function cell(row, text, value) {
    var td = document.createElement("td");
    td.textContent = text;
    if (value !== undefined) {
      td.className = "num";
      td.setAttribute("data-value", String(value));
    }
    row.appendChild(td);
  }

  function genreNames(bits) {
    return data.genres.filter(function (name, i) { return bits & (1 << i); });
  }

  function update() {
    var c = criteria();
    var body = document.getElementById("filter-results").tBodies[0];
    body.textContent = "";
    var found = problems(c);
    if (found.length) {
      status.textContent = "No results: " + found.join("; ") + ".";
      return;
    }
    var rows = answer(c);
    var limit = c.limit === null ? 20 : c.limit;
    rows.slice(0, limit).forEach(function (result, index) {
      var movies = data.movies;
      var tr = document.createElement("tr");
      tr.setAttribute("data-movie-id", String(movies.id[result.movie]));
      cell(tr, String(index + 1), index + 1);
      cell(tr, movies.title[result.movie]);
      var year = movies.year[result.movie];
      cell(tr, year === null ? "–" : String(year), year === null ? "" : year);
      cell(tr, genreNames(movies.genres[result.movie]).join(", "));
      cell(tr, result.n.toLocaleString("en"), result.n);
      cell(tr, result.mean.toFixed(3), result.mean);
      cell(tr, result.damped.toFixed(3), result.damped);
      body.appendChild(tr);
    });
    status.textContent = rows.length.toLocaleString("en") + " movies match; " +
      "showing " + Math.min(limit, rows.length).toLocaleString("en") + ".";
  }

  // Enter in a text box would submit the form, which the page's policy forbids.
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("reset", function () { window.setTimeout(update, 0); });
  update();
})();
