/*
 * Auto-scroll while dragging a board card (issue 15).
 *
 * streamlit-dnd 0.2.0 drags with native HTML5 drag and drop (mouse) and with its own touch
 * fallback, whose touchmove handler calls preventDefault() so the page cannot scroll under the
 * finger. Neither scrolls anything, so on a wide board (columns in one horizontally scrolling
 * row) or a phone a card cannot reach a column that is off screen. This script runs once in the
 * page's document and, while a drag is in progress (streamlit-dnd marks the dragged item with
 * .stdnd-dragging), scrolls the scroller under the pointer when the pointer is near its edge:
 * the board row sideways, the page up and down. Speed grows as the pointer nears the edge.
 */
(function () {
  const doc = window.parent && window.parent !== window ? window.parent.document : document;
  const win = doc.defaultView;
  if (win.__clientcrewAutoScroll) return;
  win.__clientcrewAutoScroll = true;

  const EDGE = 64;      // px from an edge where scrolling starts
  const MAX_STEP = 22;  // px per frame at the very edge
  const ROWS = ".st-key-board-row";  // the board's sideways-scrolling row of columns
  let point = null;     // last pointer position during a drag
  let running = false;

  function dragging() {
    return !!doc.querySelector(".stdnd-dragging, .stdnd-touch-clone");
  }

  function canScroll(el, axis) {
    const style = win.getComputedStyle(el);
    const overflow = axis === "x" ? style.overflowX : style.overflowY;
    if (overflow !== "auto" && overflow !== "scroll") return false;
    return axis === "x" ? el.scrollWidth > el.clientWidth + 1 : el.scrollHeight > el.clientHeight + 1;
  }

  /** Scrollers around the point, innermost first, plus the page's own scroller. A board row
   * counts when the point is level with it, also beside it: on a phone the finger rests at the
   * screen's edge, in the page's margin, just outside the row. */
  function scrollersAt(x, y) {
    const found = [];
    for (const row of doc.querySelectorAll(ROWS)) {
      const box = row.getBoundingClientRect();
      if (y >= box.top && y <= box.bottom && canScroll(row, "x")) found.push(row);
    }
    let el = doc.elementFromPoint(x, y);
    while (el && el !== doc.documentElement) {
      if (el.nodeType === 1 && !found.includes(el) && (canScroll(el, "x") || canScroll(el, "y"))) found.push(el);
      el = el.parentElement;
    }
    found.push(doc.scrollingElement || doc.documentElement);
    return found;
  }

  /** How fast to scroll along one axis: negative towards the start, 0 outside the edge bands. */
  function speed(pos, start, end) {
    const low = Math.max(start, 0), high = end;
    if (pos < low + EDGE) return -Math.ceil(MAX_STEP * (1 - Math.max(0, pos - low) / EDGE));
    if (pos > high - EDGE) return Math.ceil(MAX_STEP * (1 - Math.max(0, high - pos) / EDGE));
    return 0;
  }

  function step() {
    if (!point || !dragging()) {
      running = false;
      point = null;
      return;
    }
    const { x, y } = point;
    let movedX = false, movedY = false;
    for (const el of scrollersAt(x, y)) {
      const page = el === doc.scrollingElement || el === doc.documentElement;
      const box = page ? { left: 0, right: win.innerWidth, top: 0, bottom: win.innerHeight } : el.getBoundingClientRect();
      const right = Math.min(box.right, win.innerWidth), bottom = Math.min(box.bottom, win.innerHeight);
      if (!movedX && (page ? el.scrollWidth > win.innerWidth : canScroll(el, "x"))) {
        const dx = speed(x, box.left, right);
        const before = el.scrollLeft;
        if (dx) el.scrollLeft += dx;
        movedX = el.scrollLeft !== before;
      }
      if (!movedY && (page ? el.scrollHeight > win.innerHeight : canScroll(el, "y"))) {
        const dy = speed(y, box.top, bottom);
        const before = el.scrollTop;
        if (dy) el.scrollTop += dy;
        movedY = el.scrollTop !== before;
      }
    }
    win.requestAnimationFrame(step);
  }

  function track(x, y) {
    point = { x, y };
    if (!running) {
      running = true;
      win.requestAnimationFrame(step);
    }
  }

  doc.addEventListener("dragover", (e) => track(e.clientX, e.clientY), true);
  doc.addEventListener("touchmove", (e) => {
    if (e.touches.length === 1 && dragging()) track(e.touches[0].clientX, e.touches[0].clientY);
  }, { capture: true, passive: true });
  const stop = () => { point = null; };
  for (const name of ["drop", "dragend", "touchend", "touchcancel"]) doc.addEventListener(name, stop, true);
})();
