"""The response pipeline: errors, conditional answers, streaming, CORS, security
headers, assets, page language and publisher sign-in.

:func:`init_app` adds every after-request hook of the app, in one list.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add the app's after-request hooks, which every response Flask makes
    meets in this order:

    1. :func:`.conditional.finish_response`: entity tag, Cache-Control and
       Date of an answer made in memory, and its 304 or 412; first, so those
       answers get the headers below too;
    2. flask-cors (:func:`.cors.cors_hook`): ``Access-Control-*`` on the
       resources of the CORS table;
    3. with listed origins only, :func:`.cors.vary_hook`: ``Vary: Origin`` on
       every resource of that table;
    4. :func:`.security.add_headers`: ``nosniff``, ``frame-ancestors``,
       ``private`` for publishers; last, as it has the last word on CORS.

    The WSGI fast paths for media bytes (:mod:`player.library.files`) and
    progress reports (:mod:`player.progress.views`) answer before Flask: the
    first adds its CORS headers itself, the second replays answers that went
    through these hooks.

    :raises ConfigError: when ``EMBED_ORIGINS`` holds something that is not an origin.
    """
    from . import conditional, cors, security

    security.init_app(app)
    pipeline = [
        conditional.finish_response,
        cors.cors_hook(app),
        cors.vary_hook(app),
        security.add_headers,
    ]
    # Flask runs after-request hooks last-registered first.
    for hook in reversed(pipeline):
        if hook is not None:
            app.after_request(hook)
