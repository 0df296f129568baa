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

// The field the server names gets the cursor once its answer has settled (HX-Trigger-After-Settle
// {"oms:focus": {"target": "body", "field": "#id"}}): a row deleted by the answer took the
// focused button with it, and the server knows which row stands in its place.
document.addEventListener("oms:focus", (event) => {
  const field = event.detail && event.detail.field && document.querySelector(event.detail.field);
  if (field) field.focus();
});

// data-scan-queue="<field>" on a form: Enter in that field queues what was typed and empties
// the field at once, so a scanner (a code and Enter in a few milliseconds) can read the next item
// while the server answers. The page sends the codes one at a time, in order, with the form's
// method (the form as it is then, so a cart kept in the form carries every earlier scan), and
// swaps each answer into the element data-scan-target names (the server's partial for an
// HX-Request). When that element holds the form itself (the counter), the code being typed and
// the cursor move into the new form. Without JavaScript the form submits as usual.
(function () {
  "use strict";
  const queues = new Map();

  function live(form) {
    return (form.id && document.getElementById(form.id)) || form;
  }

  function send(form, code) {
    const body = new FormData(form);
    body.set(form.dataset.scanQueue, code);
    const init = { headers: { "HX-Request": "true" }, credentials: "same-origin" };
    if ((form.getAttribute("method") || "get").toLowerCase() === "post") {
      return fetch(form.action, { ...init, method: "POST", body });
    }
    const url = new URL(form.action, window.location.href);
    url.search = new URLSearchParams(body).toString();
    return fetch(url, init);
  }

  function swap(form, html, replaceUrl) {
    const target = document.querySelector(form.dataset.scanTarget);
    if (!target) return;
    const field = form.elements[form.dataset.scanQueue];
    const typing = field && document.activeElement === field ? field.value : null;
    target.outerHTML = html;
    const swapped = document.querySelector(form.dataset.scanTarget);
    if (swapped && window.htmx) window.htmx.process(swapped);
    if (replaceUrl) window.history.replaceState(window.history.state, "", replaceUrl);
    const now = live(form);
    const newField = now.elements && now.elements[now.dataset.scanQueue];
    if (typing !== null && newField && newField !== field) {
      newField.value = typing;
      newField.focus();
    }
  }

  async function drain(key) {
    const state = queues.get(key);
    if (state.busy) return;
    state.busy = true;
    while (state.codes.length) {
      const code = state.codes.shift();
      const form = live(state.form);
      form.setAttribute("aria-busy", "true");
      form.dataset.queued = String(state.codes.length);
      try {
        const response = await send(form, code);
        const html = await response.text();
        if (response.ok) swap(form, html, response.headers.get("HX-Replace-Url"));
      } catch (error) {
        state.codes.unshift(code);  // the network dropped: keep the scan and try again shortly
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    const form = live(state.form);
    delete form.dataset.queued;
    form.removeAttribute("aria-busy");
    state.busy = false;
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !event.target.closest) return;
    const form = event.target.closest("form[data-scan-queue]");
    if (!form || event.target.name !== form.dataset.scanQueue) return;
    event.preventDefault();
    const code = event.target.value.trim();
    event.target.value = "";
    if (!code) return;
    const key = form.id || form;
    if (!queues.has(key)) queues.set(key, { form, codes: [], busy: false });
    const state = queues.get(key);
    state.form = form;
    state.codes.push(code);
    drain(key);
  }, true);
})();

// data-follows-form="#form" on an export (CSV) link: its query is the form's current filters and
// sort, rewritten whenever they change on the page (typed, chosen, or swapped in by htmx, such as
// the sort a column header sets) and again on the click, so the download is the rows on screen.
(function () {
  "use strict";
  function follow(link) {
    const form = document.querySelector(link.dataset.followsForm);
    if (!form) return;
    const params = new URLSearchParams();
    new FormData(form).forEach((value, name) => {
      if (typeof value === "string" && value !== "" && name !== "csrfmiddlewaretoken" && name !== "page") {
        params.append(name, value);
      }
    });
    const url = new URL(link.getAttribute("href"), window.location.href);
    url.search = params.toString();
    link.setAttribute("href", url.pathname + url.search);
  }
  function followAll() {
    document.querySelectorAll("a[data-follows-form]").forEach(follow);
  }
  ["input", "change", "htmx:afterSettle", "htmx:oobAfterSwap", "DOMContentLoaded"].forEach((name) => {
    document.addEventListener(name, followAll);
  });
  window.addEventListener("pageshow", followAll);
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-follows-form]");
    if (link) follow(link);
  }, true);
})();

// data-back on a link: back to the page before (the error pages), or to its href when there is none.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-back]");
  if (!link || window.history.length <= 1) return;
  event.preventDefault();
  window.history.back();
});

// Keyboard shortcuts, one mechanism for every screen: Alt+<letter or digit> activates the
// element with data-shortcut="<key>" (a field gets the cursor, anything else is clicked). Not the
// browser's accesskey: browsers differ in its modifier (Alt, Alt+Shift, Ctrl+Option) and
// synthetic key events skip it. The key is read from event.code, so a keyboard layout or the
// Mac's Option characters do not change it. Every screen lists its shortcuts in the base
// layout's [data-shortcut-list], kept current as htmx swaps parts of the page.
(function () {
  "use strict";

  function keyOf(event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || !event.code) return null;
    if (event.code.startsWith("Key")) return event.code.slice(3).toLowerCase();
    if (event.code.startsWith("Digit")) return event.code.slice(5);
    return null;
  }

  function usable(element) {
    return !element.disabled && !element.closest("[hidden], [inert]") && element.getClientRects().length > 0;
  }

  function shortcuts() {
    const seen = new Map();
    document.querySelectorAll("[data-shortcut]").forEach((element) => {
      const key = element.dataset.shortcut.toLowerCase();
      if (usable(element) && !seen.has(key)) seen.set(key, element);
    });
    return seen;
  }

  function labelOf(element) {
    if (element.dataset.shortcutLabel) return element.dataset.shortcutLabel;
    const source = (element.labels && element.labels[0]) || element;
    const copy = source.cloneNode(true);
    copy.querySelectorAll("kbd, .visually-hidden, [data-shortcut-skip]").forEach((node) => node.remove());
    return (copy.textContent || element.getAttribute("aria-label") || element.getAttribute("placeholder") || "")
      .replace(/\s+/g, " ").trim();
  }

  function list() {
    const box = document.querySelector("[data-shortcut-list]");
    const found = shortcuts();
    found.forEach((element, key) => element.setAttribute("aria-keyshortcuts", `Alt+${key.toUpperCase()}`));
    if (!box) return;
    const items = Array.from(found.entries()).map(([key, element]) => {
      const item = document.createElement("span");
      item.className = "me-3 text-nowrap";
      item.dataset.testid = `shortcut-${key}`;
      const kbd = document.createElement("kbd");
      kbd.textContent = `Alt+${key.toUpperCase()}`;
      item.append(kbd, " ", labelOf(element));
      return item;
    });
    box.querySelector("[data-shortcut-items]").replaceChildren(...items);
    box.hidden = items.length === 0;
  }

  document.addEventListener("keydown", (event) => {
    const key = keyOf(event);
    if (!key) return;
    const target = shortcuts().get(key);
    if (!target) return;
    event.preventDefault();
    if (target.matches("input, select, textarea")) {
      target.focus();
      if (target.select && !target.matches("select")) target.select();
    } else {
      target.click();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", list);
  document.addEventListener("htmx:afterSettle", list);
})();
