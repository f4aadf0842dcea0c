// Material wraps wide tables in a scrolling box; make it focusable so it scrolls from the
// keyboard too (axe-core: scrollable-region-focusable). document$ emits on every page load.
document$.subscribe(() => {
  for (const box of document.querySelectorAll(".md-typeset__scrollwrap")) {
    box.tabIndex = 0;
  }
});
