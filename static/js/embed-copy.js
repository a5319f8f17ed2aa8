// The watch page's "Copy the embed code" button (the page works without it).
const code = document.getElementById('embed-code');
const button = document.getElementById('embed-copy');
// The words come translated with the page, on the button.
const copied = button.dataset.copied;
const selected = button.dataset.selected;
const status = document.getElementById('embed-copied');
let timer;
function say(text) {
  // Emptied first, so a second copy is announced again.
  status.textContent = '';
  clearTimeout(timer);
  timer = setTimeout(() => { status.textContent = text; }, 100);
}
button.hidden = false;
button.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(code.value);
    say(copied);
  } catch {
    // No clipboard access (a page not served over HTTPS, or a denied
    // permission): select the code so one key press copies it.
    code.focus();
    code.select();
    say(selected);
  }
});
