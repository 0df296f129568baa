// The matching screen's keys (outside form fields): j / k walk the bank lines, a accepts the
// focused line's first suggestion, p lands it on its provider settlement (a payout), s and b open its split and book forms. After a line is done
// (htmx swapped in its matched row) the next one is focused, so a run of good suggestions is
// one key each.
(() => {
  const lines = () => Array.from(document.querySelectorAll("[data-bank-line]"));
  const current = () => document.activeElement && document.activeElement.closest("[data-bank-line]");
  const focus = (line) => { if (line) { line.focus(); line.scrollIntoView({ block: "nearest" }); } };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.matches("input, textarea, select")) return;
    const all = lines();
    if (!all.length) return;
    const line = current();
    const at = line ? all.indexOf(line) : -1;
    if (event.key === "j") { event.preventDefault(); focus(all[Math.min(at + 1, all.length - 1)]); }
    else if (event.key === "k") { event.preventDefault(); focus(all[Math.max(at - 1, 0)]); }
    else if (line && (event.key === "a" || event.key === "p")) {
      const accept = line.querySelector(event.key === "a" ? "[data-accept]" : "[data-payout]");
      if (accept) { event.preventDefault(); accept.click(); }
    } else if (line && (event.key === "s" || event.key === "b")) {
      const box = line.querySelector(event.key === "s" ? "[data-split]" : "[data-book]");
      if (box) { event.preventDefault(); box.open = true; const input = box.querySelector("input, select"); if (input) input.focus(); }
    }
  });

  document.body.addEventListener("bank-line-done", (event) => {
    const done = event.target.closest ? event.target.closest("[data-bank-line]") : null;
    const all = lines();
    const at = done ? all.indexOf(done) : -1;
    const next = all.slice(at + 1).find((l) => !l.querySelector("[data-testid=bank-line-done]"));
    focus(next);
  });

  if (!current()) focus(lines().find((l) => !l.querySelector("[data-testid=bank-line-done]")));
})();
