// The phone-order screen, keyboard first.
//
// - A search box with data-listbox="#list" drives the options ([data-option]) htmx puts in that
//   list: ArrowDown/ArrowUp move, Enter picks, Escape closes. Enter before the results arrived
//   picks the first result as soon as they do (a barcode scanner types the code and Enter).
// - Picking a customer clicks its button (an htmx POST). Picking a product fills the hidden
//   product id and moves the cursor to the quantity; Enter there adds the line, and the new
//   form comes back with the cursor in the product search.
// - Alt+<letter> shortcuts ([data-shortcut]) are oms.js's, as on every screen.
// - The delivery options and pick-up points are radios: the arrow keys choose, the choice is
//   posted at once and the section comes back; the cursor stays on the chosen radio
//   ([data-focus-key]), also when the pick-up points arrive after the section.
// - data-copy="#field" on a button copies that field's value (the payment link to send).
(function () {
  "use strict";
  let focusKey = null;

  document.addEventListener("htmx:beforeSwap", () => {
    const active = document.activeElement;
    focusKey = active && active.dataset && active.dataset.focusKey ? active.dataset.focusKey : focusKey;
  });

  document.addEventListener("htmx:afterSettle", () => {
    if (!focusKey) return;
    const active = document.activeElement;
    if (active && active !== document.body && active.dataset && !active.dataset.focusKey) {
      focusKey = null; // the user moved on meanwhile
      return;
    }
    const target = document.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
    if (target) {
      target.focus();
      focusKey = null;
    }
  });

  document.addEventListener("focusin", (event) => {
    if (!(event.target.dataset && event.target.dataset.focusKey)) focusKey = null;
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    const field = document.querySelector(button.dataset.copy);
    if (!field) return;
    field.select();
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(() => document.execCommand("copy"));
    else document.execCommand("copy");
  });
})();

(function () {
  "use strict";
  const pending = new WeakSet();

  function listOf(input) {
    return document.querySelector(input.dataset.listbox);
  }

  function optionsOf(list) {
    return list ? Array.from(list.querySelectorAll("[data-option]")) : [];
  }

  function currentFor(input, list) {
    return list && list.dataset.query === input.value.trim();
  }

  function activate(list, index) {
    const options = optionsOf(list);
    options.forEach((option, i) => {
      const on = i === index;
      option.classList.toggle("active", on);
      option.setAttribute("aria-selected", on ? "true" : "false");
      if (on) option.scrollIntoView({ block: "nearest" });
    });
  }

  function activeIndex(list) {
    return optionsOf(list).findIndex((option) => option.classList.contains("active"));
  }

  function pick(input, option) {
    if (!option) return;
    if (option.dataset.productId) {
      const form = input.form;
      form.querySelector(input.dataset.productId).value = option.dataset.productId;
      input.value = option.dataset.sku;
      const list = listOf(input);
      list.replaceChildren();
      list.dataset.query = "";
      const quantity = form.querySelector(input.dataset.quantity);
      quantity.focus();
      quantity.select();
    } else {
      option.click();
    }
  }

  document.addEventListener("keydown", (event) => {
    const input = event.target.closest && event.target.closest("[data-listbox]");
    if (input) {
      const list = listOf(input);
      const options = optionsOf(list);
      const fresh = currentFor(input, list);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options.length) return;
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        const index = activeIndex(list);
        activate(list, Math.min(Math.max(index + step, 0), options.length - 1));
        return;
      }
      if (event.key === "Enter") {
        event.preventDefault();  // never submit the form with a half-typed search
        if (fresh && options.length) {
          pick(input, options[Math.max(activeIndex(list), 0)]);
        } else if (input.value.trim()) {
          pending.add(input);
          htmx.trigger(input, "search");
        }
        return;
      }
      if (event.key === "Escape" && options.length) {  // a second Escape leaves (below)
        list.replaceChildren();
        list.dataset.query = "";
        return;
      }
    }
    if (event.key === "Escape") {
      const escape = document.querySelector("[data-escape]");
      if (escape) { event.preventDefault(); escape.click(); return; }
    }
  }, true);

  // Typing again after a product was picked: the hidden id no longer belongs to the text.
  document.addEventListener("input", (event) => {
    const input = event.target.closest && event.target.closest("[data-listbox][data-product-id]");
    if (input) input.form.querySelector(input.dataset.productId).value = "";
  });

  // A click (mouse or touch) on an option picks it, like Enter.
  document.addEventListener("click", (event) => {
    const option = event.target.closest && event.target.closest("[data-option][data-product-id]");
    if (!option) return;
    const list = option.closest("[role=listbox]");
    const input = document.querySelector(`[data-listbox="#${list.id}"]`);
    if (input) pick(input, option);
  });

  // New results: highlight the first; if Enter was pressed while they were on their way and
  // they answer what is in the box now, pick it.
  document.addEventListener("htmx:afterSettle", (event) => {
    const list = event.detail.elt;
    if (!list || !list.id) return;
    const input = document.querySelector(`[data-listbox="#${list.id}"]`);
    if (!input) return;
    const options = optionsOf(list);
    if (options.length) activate(list, 0);
    if (pending.has(input) && currentFor(input, list)) {
      pending.delete(input);
      if (options.length) pick(input, options[0]);
    }
  });
})();
