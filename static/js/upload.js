// Upload forms with a progress bar, announced progress and a cancel button.
//
// Without this script the form is a plain multipart form and works the same;
// with it, the form is sent by XMLHttpRequest (fetch cannot report upload
// progress). The server answers exactly as it does for the plain form: a
// redirect to the new item on success, or the form page again with its error
// summary. XMLHttpRequest follows the redirect itself, so the page it got is
// shown as it is (loading it again would lose its one-time notice), and the
// address bar is set to where it came from.

const STEPS = [25, 50, 75, 100];

function parts(form) {
  return {
    box: form.querySelector("[data-upload-progress]"),
    bar: form.querySelector("[data-upload-bar]"),
    percent: form.querySelector("[data-upload-percent]"),
    cancel: form.querySelector("[data-upload-cancel]"),
    submit: form.querySelector("[data-upload-submit]"),
    status: form.querySelector("[data-upload-status]"),
  };
}

function announce(ui, text) {
  ui.status.textContent = text;
}

function showPercent(ui, value) {
  ui.bar.value = value;
  ui.percent.textContent = `${value}%`;
}

// Builds the same markup as the server's error summary macro.
function clientErrorSummary(form, fieldId, message) {
  const main = document.querySelector("main");
  main.querySelector("[data-error-summary]")?.remove();
  const summary = document.createElement("div");
  summary.className = "error-summary";
  summary.tabIndex = -1;
  summary.dataset.errorSummary = "";
  summary.setAttribute("aria-labelledby", "error-summary-title");
  const alert = document.createElement("div");
  alert.setAttribute("role", "alert");
  const heading = document.createElement("h2");
  heading.className = "error-summary-title";
  heading.id = "error-summary-title";
  heading.textContent = "There is a problem";
  const list = document.createElement("ul");
  list.className = "error-summary-list";
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `#${fieldId}`;
  link.textContent = message;
  item.append(link);
  list.append(item);
  alert.append(heading, list);
  summary.append(alert);
  main.prepend(summary);
  if (!document.title.startsWith("Error: ")) document.title = `Error: ${document.title}`;
  summary.focus();
}

function swapInPage(html, url) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  const next = doc.querySelector("main");
  const current = document.querySelector("main");
  if (!next || !current) return false;
  current.replaceWith(next);
  document.title = doc.title;
  if (url && url !== window.location.href) window.history.replaceState(null, "", url);
  const summary = next.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    return true;
  }
  const heading = next.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
  // A live region inserted with its text already inside is not announced, so
  // its messages are put back a moment later.
  const notices = next.querySelector('[role="status"]');
  if (notices && notices.textContent.trim()) {
    const messages = [...notices.childNodes];
    notices.replaceChildren();
    setTimeout(() => notices.replaceChildren(...messages), 100);
  }
  return true;
}

function finish(ui) {
  ui.box.hidden = true;
  ui.submit.disabled = false;
}

function send(form) {
  const ui = parts(form);
  const xhr = new XMLHttpRequest();
  let announced = 0;

  const progressTo = (value) => {
    showPercent(ui, value);
    const step = STEPS.filter((s) => value >= s).pop();
    if (step && step > announced) {
      announced = step;
      announce(ui, step === 100 ? "Upload 100% complete. Checking the file, please wait."
                                : `Upload ${step}% complete.`);
    }
  };

  xhr.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable && event.total > 0) {
      progressTo(Math.floor((event.loaded * 100) / event.total));
    }
  });
  xhr.upload.addEventListener("load", () => progressTo(100));
  xhr.addEventListener("load", () => {
    if (xhr.status < 400) {
      if (!swapInPage(xhr.responseText, xhr.responseURL)) {
        window.location.assign(xhr.responseURL || form.action);
      }
      return;
    }
    finish(ui);
    if (!swapInPage(xhr.responseText)) {
      clientErrorSummary(form, "file", `The upload failed (HTTP ${xhr.status}). Try again.`);
      return;
    }
    // The media file was kept for a corrected caption file: the address
    // becomes the kept upload's page, so reloading shows it again.
    const pending = document.querySelector("main [data-pending-url]");
    if (pending) window.history.replaceState(null, "", pending.dataset.pendingUrl);
  });
  xhr.addEventListener("error", () => {
    finish(ui);
    clientErrorSummary(form, "file",
      "The connection to the server was lost before the upload finished. Try again.");
  });
  xhr.addEventListener("abort", () => {
    finish(ui);
    showPercent(ui, 0);
    announce(ui, "Upload cancelled. Nothing was saved.");
    ui.submit.focus();
  });
  ui.cancel.onclick = () => xhr.abort();

  xhr.open("POST", form.action);
  showPercent(ui, 0);
  ui.box.hidden = false;
  ui.submit.disabled = true;
  ui.cancel.focus();
  announce(ui, "Upload started.");
  xhr.send(new FormData(form));
}

function tooLarge(form) {
  const limit = Number(form.dataset.maxBytes);
  const input = form.querySelector('input[type="file"][name="file"]');
  const file = input?.files?.[0];
  return Boolean(limit && file && file.size > limit);
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-upload]");
  if (!form || typeof XMLHttpRequest === "undefined") return;
  event.preventDefault();
  if (tooLarge(form)) {
    clientErrorSummary(form, "file", form.dataset.tooLargeMessage);
    return;
  }
  send(form);
});
