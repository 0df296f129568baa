// Small global helpers.
// "/" focuses the page's own search box when it has one, else the search box in the header.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.target.matches("input, textarea, select")) return;
  const search = document.querySelector("[data-search]") || document.querySelector("[data-header-search]");
  if (search) { event.preventDefault(); search.focus(); search.select(); }
});

// The header search's suggestions: arrow keys walk the hits, Enter opens the one selected
// (a focused link), Escape closes the list. Enter with nothing selected submits the form: the
// full results page, which opens the record at once when a number was typed.
document.addEventListener("keydown", (event) => {
  const input = document.querySelector("[data-header-search]");
  const box = document.getElementById("header-search-results");
  if (!input || !box) return;
  const inSearch = event.target === input || box.contains(event.target);
  if (!inSearch) return;
  const hits = Array.from(box.querySelectorAll("[data-search-hit]"));
  const at = hits.indexOf(document.activeElement);
  if (event.key === "ArrowDown" && hits.length) {
    event.preventDefault();
    hits[Math.min(at + 1, hits.length - 1)].focus();
  } else if (event.key === "ArrowUp" && hits.length) {
    event.preventDefault();
    if (at <= 0) input.focus(); else hits[at - 1].focus();
  } else if (event.key === "Escape") {
    box.innerHTML = "";
    input.focus();
  }
});

// A click outside the header search closes its suggestions.
document.addEventListener("click", (event) => {
  const form = document.getElementById("header-search");
  const box = document.getElementById("header-search-results");
  if (form && box && !form.contains(event.target)) box.innerHTML = "";
});

// Behaviour the templates ask for with data attributes, because the Content-Security-Policy
// allows no inline script (no onclick=, no hx-on, no <script> blocks):
//   data-print                  a click prints the page;
//   data-confirm="question"     a click goes on only when the user confirms;
//   data-check-all="selector"   a click ticks every checkbox the selector finds;
//   data-htmx-submit-only       a form htmx submits as you type is not also submitted by Enter;
//   data-reset-after-request    an htmx form is emptied, its first field focused, after each request.
document.addEventListener("click", (event) => {
  const element = event.target.closest("[data-print], [data-confirm], [data-check-all]");
  if (!element) return;
  if (element.hasAttribute("data-confirm") && !window.confirm(element.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (element.hasAttribute("data-print")) window.print();
  if (element.hasAttribute("data-check-all")) {
    document.querySelectorAll(element.dataset.checkAll).forEach((box) => { box.checked = true; });
  }
});

document.addEventListener("submit", (event) => {
  if (window.htmx && event.target.matches("[data-htmx-submit-only]")) event.preventDefault();
});

document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.target.closest && event.target.closest("[data-reset-after-request]");
  if (!form) return;
  form.reset();
  const field = form.querySelector("input:not([type=hidden])");
  if (field) field.focus();
});
