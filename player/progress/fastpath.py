"""The usual progress report, taken at the WSGI level, below Flask, and
answered exactly as the view would answer it."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable

from flask import Flask

from ..library.scan import is_valid_id
from .intake import client_address, decode_json, privacy_reason, viewer_claims, voter
from .limits import NOT_COUNTED
from .model import Report, check_within, parse_report, report_end
from .store import PendingReport
from .viewer import identify
from .views import bp, enqueue, maybe_fold, report_answer

#: Content types the fast path reads itself: what players and beacons send.
#: Other types the view accepts too are left to it, so it alone judges them.
_PLAIN_TYPE = re.compile(r"(?:application/json|text/plain)(?:; ?charset=[A-Za-z0-9_-]+)?",
                         re.IGNORECASE)
_LENGTH = re.compile(r"[0-9]{1,9}")
_PREFIX, _SUFFIX = "/api/media/", "/progress"
#: Answers a fast path keeps: one per answer, method and Origin header value,
#: so a client sending a new Origin each time cannot make it grow for ever.
ANSWERS_KEPT = 256
#: A WSGI answer: status line, headers, body.
_Answer = tuple[str, list[tuple[str, str]], bytes]


class ReportFastPath:
    """WSGI middleware that takes the usual progress report itself.

    At thousands of reports a second, Flask's share of each (contexts,
    routing, request and response objects, the after-request hooks) cost
    more than the report's own work. This takes a ``PUT`` or ``POST`` to
    :func:`.views.report_progress` whose checks all pass, does what the view does
    and answers as it would; everything else goes to the view, before
    anything has changed, so every refusal is the view's own answer: a body
    that is not a clean report, a viewer that is refused, an item whose
    duration is not in :class:`.store.Durations` just then, a request with a cookie
    (the session can change the headers), a chunked body, trusted hosts.

    Two refusals are found only once the flood limits have been asked, and
    both hand over as if this had not run: a viewer or an address out of
    tokens (a refused take spends none, so the view's own take decides
    afresh) and a full queue (the tokens are given back first). A report
    beyond the new-session limits is answered "not stored" here, as the view
    would.

    The answers are the view's: each kind, method and ``Origin`` value is
    built once by the view's response code, run through the app's
    after-request hooks (CORS, security headers) in a request context of the
    request that first needed it, and its status, headers and body kept.
    Should the app ever get before-request hooks for this view, every report
    goes to the view, so that they run.
    """

    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app = app
        self.wsgi_app = wsgi_app
        self._answers: dict[tuple, _Answer] = {}

    def __call__(self, environ: dict, start_response: Callable):
        path = environ.get("PATH_INFO", "")
        if (path.startswith(_PREFIX) and path.endswith(_SUFFIX)
                and environ.get("REQUEST_METHOD") in ("PUT", "POST")):
            answer = self._accept(environ, path[len(_PREFIX):-len(_SUFFIX)])
            if answer is not None:
                status, headers, body = answer
                start_response(status, list(headers))
                return [body]
        return self.wsgi_app(environ, start_response)

    def _accept(self, environ: dict, item_id: str) -> _Answer | None:
        """The answer, once the report is queued; None to hand over to the view."""
        try:
            checked = self._check(environ, item_id)
        except Exception:
            # A refusal, or something unforeseen: nothing has changed yet, so
            # the view meets it again and answers (or logs) it as it always does.
            return None
        if checked is None:
            return None
        if isinstance(checked, str):
            return self._answer(environ, {"stored": False, "reason": checked}, 200)
        key, report = checked
        limits = self.app.extensions["progress_limits"]
        address = client_address(environ)
        if limits.take(key, address, time.monotonic()):
            return None
        pending = PendingReport(item_id, key, report, time.time(),
                                voter(address, self.app.config["SECRET_KEY"]))
        queued = enqueue(self.app, pending, address)
        if queued is None:
            return self._answer(environ, {"stored": False, "reason": NOT_COUNTED}, 200)
        if not queued:
            limits.give_back(key, address)
            return None
        maybe_fold(self.app)
        return self._answer(environ, {"stored": True}, 202)

    def _check(self, environ: dict, item_id: str) -> tuple[str, Report] | str | None:
        """The viewer's key and the checked report; or why nothing is to be
        stored; or None to hand over to the view.

        :raises ValueError: or anything else the view would meet too.
        """
        config = self.app.config
        hooks = self.app.before_request_funcs
        length = environ.get("CONTENT_LENGTH", "")
        content_type = environ.get("CONTENT_TYPE")
        if (hooks.get(None) or hooks.get(bp.name) or not is_valid_id(item_id)
                or "HTTP_COOKIE" in environ
                or "HTTP_TRANSFER_ENCODING" in environ or config["TRUSTED_HOSTS"] is not None
                or not _LENGTH.fullmatch(length)
                or (content_type and not _PLAIN_TYPE.fullmatch(content_type))):
            return None
        size = int(length)
        most = config["MAX_CONTENT_LENGTH"]
        if size > int(config["PROGRESS_MAX_BODY"]) or (most is not None and size > most):
            return None
        raw = environ["wsgi.input"].read(size)
        # Handed over, the view reads the body again.
        environ["wsgi.input"] = io.BytesIO(raw)
        data = decode_json(raw)
        report = parse_report(data)
        reason = privacy_reason(config, environ)
        if reason:
            return reason
        viewer = identify(*viewer_claims(data, environ), secret=config.get("VIEWER_SECRET"),
                          pepper=config["SECRET_KEY"])
        durations = self.app.extensions["progress_durations"].fresh(item_id, time.monotonic())
        if durations is None:
            return None
        return viewer.key, check_within(report, report_end(report, *durations))

    def _answer(self, environ: dict, body: dict, status: int) -> _Answer:
        key = (status, tuple(body.items()), environ["REQUEST_METHOD"], environ.get("HTTP_ORIGIN"))
        answer = self._answers.get(key)
        if answer is None:
            with self.app.request_context(environ):
                response = self.app.process_response(report_answer(body, status))
            app_iter, status_line, headers = response.get_wsgi_response(environ)
            answer = status_line, headers, b"".join(app_iter)
            if len(self._answers) >= ANSWERS_KEPT:
                self._answers.clear()
            self._answers[key] = answer
        return answer
