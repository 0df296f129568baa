// Purchasing screens (the shortcuts are oms.js's data-shortcut, like every screen's).

// The reorder queue: a supplier's checkbox ticks all of that supplier's requests.
document.addEventListener("change", (event) => {
  const box = event.target.closest("[data-select-group]");
  if (!box) return;
  document
    .querySelectorAll(`tbody[data-group="${box.dataset.selectGroup}"] input[name=request]`)
    .forEach((request) => { request.checked = box.checked; });
});

// Goods receipt: Enter in the scan box counts the item on the page, without a round trip, so a
// scanner that reads the next item at once loses nothing. (Without JavaScript the hidden first
// submit button sends the scan to the server, which counts it the same way.)
document.addEventListener("keydown", (event) => {
  const box = event.target.closest("[data-scan]");
  if (!box || event.key !== "Enter") return;
  event.preventDefault();
  const code = box.value.trim().toUpperCase();
  box.value = "";
  if (!code) return;
  const status = document.getElementById("scan-status");
  const row = [...document.querySelectorAll("[data-codes]")].find((r) => r.dataset.codes.split(" ").includes(code));
  if (!row) {
    status.textContent = status.dataset.unknown.replace("%(code)s", code);
    status.className = "badge text-bg-danger fs-6";
    return;
  }
  const input = row.querySelector("input[data-line]");
  input.value = (parseInt(input.value || "0", 10) || 0) + 1;
  status.textContent = `${row.dataset.sku}: ${input.value}`;
  status.className = "badge text-bg-success fs-6";
});
