// The counter's keyboard shortcuts work wherever the cursor is (the scan field included) and in
// every browser: Alt+<key> clicks the counter's element with that accesskey (PIN, cash,
// complete), so a sale never needs the mouse.
document.addEventListener("keydown", (event) => {
  if (!event.altKey || event.ctrlKey || event.metaKey || event.key.length !== 1) return;
  const target = document.querySelector(`#counter-sale [accesskey="${event.key.toLowerCase()}"]`);
  if (!target || target.disabled) return;
  event.preventDefault();
  target.click();
});
