// Focus kept inside a part of the player while it holds the viewer.

/** Keep Tab and Shift+Tab cycling inside `box` (modal dialogs, full screen). */
export function wrapTab(e, box) {
  if (e.key != 'Tab') return;
  const stops = [...box.querySelectorAll('button,[href],input,select,textarea,[tabindex="0"]')]
    .filter((el) => !el.disabled && el.getClientRects().length && !el.closest('[inert],[hidden]'));
  const first = stops[0];
  const last = stops.at(-1);
  const here = document.activeElement;
  if (first && (!box.contains(here) || here == (e.shiftKey ? first : last) || (e.shiftKey && here == box))) {
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  }
}
