// Keeps a publisher page's background jobs current (templates/publish/_jobs.html).
//
// Every few seconds it asks GET /api/jobs/<id> (the page's session signs the
// request) about each job still waiting or running, moves its progress bar
// and rewrites its status line, a polite live region, only when the state or
// the message changes, so a screen reader hears each step once and not
// every percent. Without this script the page shows the jobs as they were
// when it was loaded.

const POLL_MS = 2000;
const ACTIVE = new Set(["queued", "running"]);
const WORDS = { queued: "Waiting", running: "Running", done: "Done", failed: "Failed" };

// The same sentence the server writes (player.jobs.views.job_status).
function statusText(job) {
  const words = WORDS[job.state] || job.state;
  let message = (job.message || "").trim();
  if (job.state === "queued" && !message) {
    message = "It runs when a background worker takes it.";
  }
  return message ? `${words}: ${message}` : `${words}.`;
}

async function refresh(box) {
  const response = await fetch(box.dataset.jobUrl, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!response.ok) {
    // Signed out, or the job is gone: the page stays as it is.
    box.dataset.jobState = "unknown";
    return;
  }
  const job = await response.json();
  const percent = Math.round(job.progress * 100);
  const bar = box.querySelector("progress");
  bar.value = percent;
  bar.textContent = `${percent} %`;
  const status = box.querySelector("[data-job-status]");
  const text = statusText(job);
  if (status.textContent !== text) {
    status.textContent = text;
  }
  box.dataset.jobState = job.state;
  if (job.state !== "queued") {
    // A worker took a job: the notice that none runs is out of date.
    document.querySelector("[data-jobs-no-worker]")?.remove();
  }
}

function watch(section) {
  const tick = async () => {
    const active = [...section.querySelectorAll("[data-job-url]")]
      .filter((box) => ACTIVE.has(box.dataset.jobState));
    if (!active.length) {
      return;
    }
    await Promise.all(active.map((box) => refresh(box).catch(() => {
      box.dataset.jobState = "unknown";
    })));
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
}

for (const section of document.querySelectorAll("[data-jobs]")) {
  watch(section);
}
