// A click on a chart's bar opens what it counts, as the same figure's link in the table does.
document.addEventListener("click", (event) => {
  const bar = event.target.closest("svg.chart [data-href]");
  if (bar) window.location.assign(bar.dataset.href);
});
