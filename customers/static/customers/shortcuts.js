// Alt+<letter> activates the element with that accesskey. Browsers differ in the modifier they
// use for accesskey (Alt, Alt+Shift, Ctrl+Option) and synthetic key events skip it, so the
// customer screens handle the shortcuts they advertise themselves.
document.addEventListener("keydown", (event) => {
  if (!event.altKey || event.ctrlKey || event.metaKey || !event.code.startsWith("Key")) return;
  const target = document.querySelector(`[accesskey="${event.code.slice(3).toLowerCase()}"]`);
  if (!target) return;
  event.preventDefault();
  if (target.matches("input, select, textarea")) target.focus();
  else target.click();
});
