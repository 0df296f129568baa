// Business fields and the separate shipping address only show when they apply (fewer Tab stops).
document.addEventListener("change", (event) => {
  const form = event.target.closest("#customer-form");
  if (!form) return;
  if (event.target.name === "kind") form.querySelector("[data-b2b]").hidden = event.target.value !== "b2b";
  if (event.target.matches("[data-toggle-shipping]")) form.querySelector("[data-shipping]").hidden = !event.target.checked;
});
