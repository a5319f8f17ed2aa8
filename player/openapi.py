"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``.

Written by hand next to the views rather than generated from them, so it can
say what a person needs (limits, which status means what); the tests check it
against real responses and run schemathesis on it, which keeps it true.
"""

from __future__ import annotations

import re

from .captions import KINDS as CAPTION_KINDS
from .languages import LANGUAGE_TAG, WELL_FORMED_TAG
from .library.scan import TRACK_KINDS
from .progress.model import EVENTS, MAX_RANGES_PER_REPORT, MAX_RATE, MAX_SESSION_RANGES
from .publish.uploads import MAX_DESCRIPTION, MAX_LABEL, MAX_TITLE, accepted_formats

ID_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]{0,98}[a-z0-9])?$"
PENDING_ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


_STRING = {"type": "string"}
_URL = {"type": "string", "format": "uri"}
_SECONDS = {"type": "number", "minimum": 0}
_FILE = {"type": "string", "contentMediaType": "application/octet-stream"}
_LANGUAGE = {"type": "string", "pattern": f"^{LANGUAGE_TAG.pattern}$", "examples": ["en", "pt-BR"]}

_ITEM_ID = {"name": "item_id", "in": "path", "required": True,
            "description": "The item's id: the media file's name, made URL-safe.",
            "schema": {"type": "string", "pattern": ID_PATTERN}}
_VIEWER_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"}
def _any_case(pattern: str) -> str:
    """``pattern``, written in lower case and matched case-insensitively,
    spelled out for JSON Schema, whose regular expressions take no flags:
    ``[a-z]`` becomes ``[a-zA-Z]`` and a letter ``x`` outside a class ``[xX]``.

    >>> _any_case(r"(?:-x(?:-[a-wyz\\d]{1,8})+)")
    '(?:-[xX](?:-[a-wyz\\\\dA-WYZ]{1,8})+)'
    """
    out, at = [], 0
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            out.append(pattern[at:at + 2])
            at += 2
        elif char == "[":
            close = pattern.index("]", at)
            body = pattern[at + 1:close]
            upper = re.sub(r"\\.", "", body).upper()
            out.append("[" + body + "".join(c for c in upper if c.isalpha() or c == "-") + "]")
            at = close + 1
        elif char == "(" and pattern.startswith("(?:", at):
            out.append("(?:")
            at += 3
        elif char.isalpha() and char.islower():
            out.append(f"[{char}{char.upper()}]")
            at += 1
        else:
            out.append(char)
            at += 1
    return "".join(out)


#: :data:`player.languages.WELL_FORMED_TAG` as a JSON Schema pattern.
LANGUAGE_TAG_PATTERN = f"^(?:{_any_case(WELL_FORMED_TAG.pattern)})$"

_VIEWER_HEADERS = [
    {"name": "X-Player-Viewer", "in": "header", "required": False,
     "description": "The browser's anonymous viewer id. One of the two viewer headers is"
                    " needed.",
     "schema": _VIEWER_ID},
    {"name": "X-Player-Viewer-Token", "in": "header", "required": False,
     "description": "A viewer token signed by the host site with PLAYER_VIEWER_SECRET;"
                    " it decides alone when present.",
     "schema": {"type": "string"}},
]
_SECURED = [{"publisherToken": []}]
_WRITE_ERRORS = {
    "401": _error("No publisher token was sent."),
    "403": _error("The token is not valid or has been revoked."),
    "412": _error("An If-Match, If-None-Match or If-Unmodified-Since condition failed:"
                  " the resource changed since it was read."),
}

SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "examples": ["unsupported_media_type"]},
                "message": {"type": "string",
                            "description": "What went wrong and how to fix it, for a person."},
                "details": {"type": "object",
                            "description": "Facts for programs, such as `limit_bytes`,"
                                           " `accepted_formats`, `fields` or `problems`."},
            },
        }},
    },
    "Problem": {
        "type": "object",
        "description": "One finding in a caption file; lines and columns start at 1.",
        "required": ["line", "column", "severity", "code", "message"],
        "properties": {
            "line": {"type": "integer", "minimum": 1},
            "column": {"type": "integer", "minimum": 1},
            "severity": {"enum": ["error", "warning"]},
            "code": {"type": "string", "examples": ["end-before-start"]},
            "message": _STRING,
        },
    },
    "Track": {
        "type": "object",
        "required": ["url", "kind", "srclang", "label"],
        "properties": {
            "url": _URL, "kind": {"enum": list(TRACK_KINDS)}, "srclang": _STRING,
            "label": _STRING, "cues": {"type": "integer", "minimum": 0},
            "warnings": {"type": "integer", "minimum": 0,
                         "description": "Warnings the validator found; the track is offered."},
            "source": {"enum": ["author", "aligned", "automatic"],
                       "description": "Who made it: a person, or a draft by a job."},
            "approved": {"type": "boolean", "description": "A draft counts as captions"
                         " only once a publisher approves it; the author's always do."},
        },
    },
    "RejectedTrack": {
        "type": "object",
        "description": "A caption file in the folder that players are not offered, and why.",
        "required": ["kind", "srclang", "label", "errors"],
        "properties": {"kind": {"enum": list(TRACK_KINDS)}, "srclang": _STRING, "label": _STRING,
                       "errors": {"type": "array", "items": _ref("Problem")}},
    },
    "Item": {
        "type": "object",
        "required": ["id", "title", "description", "kind", "duration", "sources", "tracks",
                     "transcript", "watch_url", "embed_url"],
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "title": _STRING,
            "description": _STRING,
            "language": _STRING,
            "kind": {"enum": ["video", "audio"]},
            "duration": _nullable({"type": "number", "minimum": 0}),
            "width": _nullable({"type": "integer", "minimum": 0}),
            "height": _nullable({"type": "integer", "minimum": 0}),
            "sources": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["url", "type"],
                "properties": {"url": _URL, "type": {"type": "string",
                                                     "examples": ["video/mp4"]}}}},
            "renditions": {
                "type": "array",
                "description": "HLS video renditions, lowest first, once made (the master"
                               " playlist is then the first of `sources`).",
                "items": {"type": "object",
                          "required": ["height", "width", "bandwidth", "codecs"],
                          "properties": {
                              "height": {"type": "integer"}, "width": {"type": "integer"},
                              "bandwidth": {"type": "integer",
                                            "description": "Peak bits per second, audio"
                                                           " included."},
                              "average_bandwidth": {"type": "integer"},
                              "codecs": {"type": "string", "examples": ["avc1.64001e,mp4a.40.2"]},
                              "frame_rate": {"type": "number"}}}},
            "audio_only": _nullable({
                "type": "object", "required": ["url", "bandwidth"],
                "description": "The audio-only HLS rendition (a media playlist).",
                "properties": {"url": _URL, "type": _STRING, "bandwidth": {"type": "integer"},
                               "average_bandwidth": {"type": "integer"}, "codecs": _STRING}}),
            "tracks": {"type": "array", "items": _ref("Track")},
            "rejected_tracks": {"type": "array", "items": _ref("RejectedTrack")},
            "poster": _nullable({"type": "string", "format": "uri"}),
            "transcript": {"type": "object", "required": ["html", "txt", "json"],
                           "properties": {"html": _URL, "txt": _URL, "json": _URL}},
            "watch_url": _URL,
            "embed_url": _URL,
            "jobs": {"type": "array", "items": _ref("Job"),
                     "description": "Only for publishers (a token or a signed-in session):"
                                    " the item's latest background jobs, oldest first."},
        },
    },
    "Job": {
        "type": "object",
        "description": "A background job (a poster frame, say), run by `player worker`."
                       " With no worker running, jobs stay `queued`.",
        "required": ["id", "kind", "media_id", "state", "progress", "message", "attempts",
                     "created", "updated", "result"],
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "kind": {"type": "string", "examples": ["poster"]},
            "media_id": _nullable(_STRING),
            "state": {"enum": ["queued", "running", "done", "failed"]},
            "progress": {"type": "number", "minimum": 0, "maximum": 1},
            "message": {"type": "string", "description": "What it is doing, or why it"
                                                         " failed, for a person."},
            "attempts": {"type": "integer", "minimum": 0},
            "created": {"type": "string", "format": "date-time"},
            "updated": {"type": "string", "format": "date-time"},
            "result": _nullable({"type": "object", "description": "What a finished job"
                                                                  " made, by kind."}),
        },
    },
    "PendingUpload": {
        "type": "object",
        "description": "A media file kept, outside the library, while its caption file is"
                       " corrected: POST only the corrected caption file to `url` to finish"
                       " the upload, or DELETE `url` to discard it.",
        "required": ["id", "url", "expires_at"],
        "properties": {
            "id": {"type": "string", "pattern": PENDING_ID_PATTERN},
            "url": _URL,
            "expires_at": {"type": "string", "format": "date-time",
                           "description": "When the kept file is discarded, unless another"
                                          " attempt keeps it longer."},
        },
    },
    "CaptionsToFix": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "examples": ["unprocessable"]},
                "message": _STRING,
                "details": {"type": "object", "required": ["problems", "pending_upload"],
                            "properties": {
                                "problems": {"type": "array", "items": _ref("Problem")},
                                "fields": {"type": "object"},
                                "pending_upload": _ref("PendingUpload")}},
            },
        }},
    },
    "ItemList": {"type": "object", "required": ["items"],
                 "properties": {"items": {"type": "array", "items": _ref("Item")}}},
    "NewTrack": {
        "type": "object",
        "required": ["id", "url", "kind", "srclang", "label", "cues", "problems", "replaced"],
        "properties": {
            "id": {"type": "string", "examples": ["en.captions"]},
            "url": _URL, "kind": {"enum": list(TRACK_KINDS)}, "srclang": _STRING,
            "label": _STRING, "cues": {"type": "integer", "minimum": 0},
            "problems": {"type": "array", "items": _ref("Problem"),
                         "description": "Warnings only: a file with errors is refused."},
            "replaced": {"type": "boolean"},
        },
    },
    "TranscriptEntry": {
        "type": "object",
        "required": ["start", "end", "speaker", "text", "kind", "paragraph"],
        "properties": {"start": _SECONDS, "end": _SECONDS, "speaker": _nullable(_STRING),
                       "text": _STRING, "kind": {"enum": list(CAPTION_KINDS)},
                       "paragraph": {**_nullable({"type": "integer", "minimum": 0}),
                                     "description": "Entries with the same number are one"
                                     " paragraph; null for chapter headings."}},
    },
    "SearchResults": {
        "type": "object",
        "required": ["query", "total", "total_items", "complete", "results"],
        "properties": {
            "query": _STRING,
            "total": {"type": "integer", "minimum": 0},
            "total_items": {"type": "integer", "minimum": 0},
            "complete": {"type": "boolean", "description": "False when there were too many"
                         " matches to count: the totals are a lower bound."},
            "results": {"type": "array", "items": {
                "type": "object", "required": ["media_id", "title", "total", "exact", "hits"],
                "properties": {
                    "media_id": _STRING, "title": _STRING,
                    "total": {"type": "integer", "minimum": 0}, "watch_url": _URL,
                    "exact": {"type": "boolean", "description": "Whether `total` is this"
                              " item's exact number of matches."},
                    "hits": {"type": "array", "items": {
                        "type": "object", "required": ["start", "end", "text"],
                        "properties": {"start": _SECONDS, "end": _SECONDS, "text": _STRING,
                                       "html": _STRING, "kind": _STRING, "lang": _STRING,
                                       "url": _URL}}},
                }}},
        },
    },
    "ProgressReport": {
        "type": "object",
        "required": ["session", "position"],
        "properties": {
            "viewer": {**_VIEWER_ID, "description": "The anonymous viewer id; this or"
                                                    " `viewer_token` is needed."},
            "viewer_token": {"type": "string", "description": "A host-signed viewer token."},
            "session": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
            "position": _SECONDS,
            "duration": _nullable(_SECONDS),
            "rate": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_RATE},
            "captions": _nullable({"type": "string", "maxLength": 64,
                                   "pattern": LANGUAGE_TAG_PATTERN,
                                   "description": "A well-formed BCP 47 language tag"
                                                  " (any letter case).",
                                   "examples": ["en", "pt-BR"]}),
            "descriptions": {"type": "boolean"},
            "event": {"enum": sorted(EVENTS)},
            "seq": {"type": "integer", "minimum": 0},
            "played": {"type": "array", "maxItems": MAX_RANGES_PER_REPORT, "items": {
                "type": "array", "minItems": 2, "maxItems": 2, "items": _SECONDS}},
        },
    },
    "ResumePoint": {
        "type": "object",
        "required": ["media_id", "duration", "position", "offer", "resume_at", "tracking"],
        "properties": {
            "media_id": _STRING, "duration": _nullable(_SECONDS),
            "position": _nullable(_SECONDS), "updated_at": _nullable(_STRING),
            "offer": {"enum": ["resume", "watch_again", None],
                      "description": "What to offer on load: resume at `resume_at`, watch"
                                     " again from the start, or nothing."},
            "resume_at": _nullable(_SECONDS),
            "reason": _nullable(_STRING), "tracking": {"type": "boolean"},
        },
    },
    "OEmbed": {
        "type": "object",
        "required": ["type", "version", "title", "provider_name", "provider_url", "width",
                     "height", "html"],
        "properties": {
            "type": {"enum": ["video", "rich"], "description": "rich for audio"},
            "version": {"const": "1.0"}, "title": _STRING,
            "provider_name": _STRING, "provider_url": _URL,
            "width": {"type": "integer", "minimum": 1},
            "height": {"type": "integer", "minimum": 1},
            "html": {"type": "string", "description": "An <iframe> with a title."},
            "thumbnail_url": _URL,
            "thumbnail_width": {"type": "integer", "minimum": 1},
            "thumbnail_height": {"type": "integer", "minimum": 1},
        },
    },
    "Statistics": {
        "type": "object",
        "required": ["media_id", "title"],
        "properties": {"media_id": _STRING, "title": _STRING},
    },
}


def _operation(operation_id: str, summary: str, responses: dict, *, parameters=None,
               body=None, secured: bool = False, description: str | None = None) -> dict:
    operation = {"operationId": operation_id, "summary": summary, "responses": {
        **responses, "default": _error("Any other error, in the same shape.")}}
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = body
    if secured:
        operation["security"] = _SECURED
        operation["responses"].update({k: v for k, v in _WRITE_ERRORS.items()
                                       if k not in responses})
    return operation


def _multipart(properties: dict, required: list[str], encoding: list[str]) -> dict:
    return {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": required, "properties": properties},
        "encoding": {name: {"contentType": "application/octet-stream"} for name in encoding},
    }}}


def _item_links(id_pointer: str) -> dict:
    """Links from a response that names an item to what can be done with it next."""
    parameters = {"item_id": id_pointer}
    return {name: {"operationId": op, "parameters": parameters} for name, op in (
        ("GetMedia", "getMedia"), ("GetTranscript", "getTranscript"),
        ("AddTrack", "addTrack"), ("DeleteMedia", "deleteMedia"))}


def _paths(upload_limit: int, example_ids: list[str]) -> dict:
    formats = "; ".join(accepted_formats())
    item_id = {**_ITEM_ID, "examples": {i: {"value": i} for i in example_ids}} \
        if example_ids else _ITEM_ID
    item_param = [item_id]
    progress_body = {"required": True, "content": {
        "application/json": {"schema": _ref("ProgressReport")},
        "text/plain": {"schema": _ref("ProgressReport")},
    }}
    location = {"Location": {"schema": _URL, "description": "Where the new resource is."}}
    upload_body = _multipart({
        "file": {**_FILE, "description": "The audio or video file."},
        "title": {"type": "string", "maxLength": MAX_TITLE,
                  "description": "Defaults to the file name."},
        "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
        "language": {**_LANGUAGE, "default": "en"},
        "poster": {**_FILE, "description": "A JPEG, PNG or WebP image."},
        "captions": {**_FILE, "description": "WebVTT, SRT or SBV captions in `language`."},
    }, ["file"], ["file", "poster", "captions"])
    finish_body = _multipart({
        "captions": {**_FILE, "description": "The corrected WebVTT, SRT or SBV captions, in"
                                             " the language the upload gave."},
    }, ["captions"], ["captions"])
    pending_param = [{"name": "pending_id", "in": "path", "required": True,
                      "description": "The kept upload's id, from `details.pending_upload`.",
                      "schema": {"type": "string", "pattern": PENDING_ID_PATTERN}}]
    track_body = _multipart({
        "file": _FILE,
        "kind": {"enum": list(TRACK_KINDS), "default": "captions"},
        "srclang": {**_LANGUAGE, "description": "Defaults to the item's language."},
        "label": {"type": "string", "maxLength": MAX_LABEL},
    }, ["file"], ["file"])
    job_answer = {"type": "object", "required": ["job"], "properties": {"job": _ref("Job")}}
    created = _json(_ref("Item"), "The new item.", location)
    created["links"] = _item_links("$response.body#/id")
    new_track = _json(_ref("NewTrack"), "Added.", location)
    new_track["links"] = {"DeleteTrack": {"operationId": "deleteTrack", "parameters": {
        "item_id": "$request.path.item_id", "track": "$response.body#/id"}}}
    return {
        "/api/media": {
            "get": _operation("listMedia", "List the library",
                              {"200": _json(_ref("ItemList"), "Every item.")}),
            "post": _operation("uploadMedia", "Upload a media file", {
                "201": created,
                "400": _error("A field is missing or wrong; `details.fields` names each."),
                "411": _error("The body has no Content-Length and is not chunked."),
                "413": _error(f"The body is over the limit of {upload_limit} bytes"
                              " (`details.limit_bytes`), or a poster or caption file is"
                              " over 10 MiB."),
                "415": _error("The file is not media the player accepts (judged by its"
                              " content; `details.accepted_formats`), the poster is not an"
                              " image, or the body is not multipart/form-data."),
                "422": {"description": "The media cannot be read (`details.reason`), or the"
                                       " caption file has errors (`details.problems`, with"
                                       " line numbers).",
                        "content": {"application/json": {"schema": {"anyOf": [
                            _ref("CaptionsToFix"), _ref("Error")]}}}},
            }, secured=True, body=upload_body,
                description=f"Accepted formats: {formats}. The file is checked by its"
                            " content and moved into the library only once complete and"
                            " valid. When only the caption file has errors, the media file"
                            " (and poster) are kept as a pending upload"
                            " (`details.pending_upload`), so that only a corrected caption"
                            " file needs sending: POST it to `details.pending_upload.url`."),
        },
        "/api/uploads/{pending_id}": {
            "post": _operation("finishUpload", "Finish a kept upload with corrected captions", {
                "201": created,
                "400": _error("No caption file was sent (`details.fields`); the media file"
                              " stays kept (`details.pending_upload`)."),
                "404": _error("No kept upload has this id: it was finished, discarded, or"
                              " kept too long."),
                "413": _error("The caption file is over 10 MiB; the media file stays kept."),
                "415": _error("The body is not multipart/form-data."),
                "422": _json(_ref("CaptionsToFix"), "The caption file still has errors"
                             " (`details.problems`); the media file is kept again."),
            }, parameters=pending_param, secured=True, body=finish_body,
                description="Puts the kept media file into the library with the corrected"
                            " captions, as `uploadMedia` would have with the fields it was"
                            " sent with."),
            "delete": _operation("discardUpload", "Discard a kept upload", {
                "204": {"description": "Discarded."},
                "404": _error("No kept upload has this id."),
            }, parameters=pending_param, secured=True),
        },
        "/api/media/{item_id}": {
            "get": _operation("getMedia", "One item", {
                "200": _json(_ref("Item"), "The item."),
                "404": _error("No such item."),
            }, parameters=item_param),
            "delete": _operation("deleteMedia", "Delete an item", {
                "204": {"description": "Deleted, with its tracks, poster, metadata and"
                                       " viewers' progress."},
                "404": _error("No such item."),
            }, parameters=item_param, secured=True),
        },
        "/api/jobs/{job_id}": {
            "get": _operation("getJob", "A background job's state and progress", {
                "200": _json(_ref("Job"), "The job."),
                "404": _error("No job has this id."),
            }, parameters=[{"name": "job_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}], secured=True,
                description="For publishers: a bearer token, or the publisher pages' signed-in"
                            " session. An item's jobs are listed in its `jobs`."),
        },
        "/api/media/{item_id}/transcript": {
            "get": _operation("getTranscript", "The transcript, in reading order", {
                "200": _json({"type": "array", "items": _ref("TranscriptEntry")},
                             "Captions and descriptions merged, chapters as entries."),
                "404": _error("No such item, or no track in that language."),
            }, parameters=[item_id, {"name": "lang", "in": "query", "required": False,
                                     "schema": _STRING}]),
        },
        "/api/media/{item_id}/tracks": {
            "post": _operation("addTrack", "Add or replace a track", {
                "201": new_track,
                "200": _json(_ref("NewTrack"), "Replaced the track of the same language and"
                                               " kind, atomically.", location),
                "400": _error("A field is wrong; `details.fields` names each."),
                "404": _error("No such item."),
                "413": _error("The caption file is over 10 MiB."),
                "415": _error("The body is not multipart/form-data."),
                "422": _error("The file has errors (`details.problems`); nothing changed."),
            }, parameters=item_param, secured=True, body=track_body,
                description="WebVTT, SRT or SBV, told apart by content; SRT and SBV are"
                            " converted to WebVTT. Warnings are returned and the track kept."),
        },
        "/api/media/{item_id}/align": {
            "post": _operation("alignScript", "Time a script against the speech", {
                "202": _json(job_answer, "Queued (or the identical job already queued);"
                             " when done it adds the draft `LANG.KIND.aligned`.", location),
                "404": _error("No such item."),
                "422": _error("No script, a kind that is not speech, or a bad language code;"
                              " `details.field` names it."),
            }, parameters=item_param, secured=True, body=_multipart({
                "text": {"type": "string", "description": "The script: plain text, a file or"
                         " a field; `NAME:` starts a speaker's paragraph, blank lines"
                         " separate paragraphs."},
                "srclang": {**_LANGUAGE, "description": "Defaults to the item's language;"
                            " without a speech model for it, timing is rough."},
                "kind": {"enum": ["captions", "subtitles"], "default": "captions"},
            }, ["text"], []), description="The job's result reports paragraphs not found in"
                " the sound, words timed from their neighbours, and rough timing."),
        },
        "/api/media/{item_id}/transcribe": {
            "post": _operation("transcribeSpeech", "Draft captions from speech", {
                "202": _json(job_answer, "Queued; when done it adds the draft"
                             " `LANG.captions.automatic`, uncertain words as `<c.review>`.",
                             location),
                "404": _error("No such item."),
                "422": _error("A language other than the item's, or one no engine here has."),
            }, parameters=item_param, secured=True, body=_multipart({
                "srclang": {**_LANGUAGE, "description": "Must be the item's language."},
            }, [], [])),
        },
        "/api/media/{item_id}/tracks/{track}": {
            "delete": _operation("deleteTrack", "Delete a track", {
                "204": {"description": "Deleted."},
                "404": _error("No such item or track."),
            }, parameters=[item_id, {
                "name": "track", "in": "path", "required": True,
                "description": "`<srclang>.<kind>`, as in the NewTrack id; a draft's is"
                               " `<srclang>.<kind>.<source>`.",
                "schema": {"type": "string", "examples": ["en.captions"]}}], secured=True),
        },
        "/api/media/{item_id}/progress": {
            "get": _operation("getProgress", "Where this viewer should resume", {
                "200": _json(_ref("ResumePoint"), "The resume point and whether to offer it."),
                "400": _error("No usable viewer id or token."),
                "404": _error("No such item."),
            }, parameters=[item_id, *_VIEWER_HEADERS]),
            "put": _operation("putProgress", "Report playback progress", _progress_responses(),
                              parameters=[item_id, *_VIEWER_HEADERS], body=progress_body,
                              description=PROGRESS_DESCRIPTION),
            "post": _operation("postProgress", "Report playback progress (sendBeacon)",
                               _progress_responses(), parameters=[item_id, *_VIEWER_HEADERS],
                               body=progress_body, description=PROGRESS_DESCRIPTION),
        },
        "/api/media/{item_id}/stats": {
            "get": _operation("getStatistics", "Viewing statistics", {
                "200": _json(_ref("Statistics"), "Plays, watch time, retention."),
                "404": _error("No such item."),
            }, parameters=item_param, secured=True),
        },
        "/api/progress/validate": {
            "put": _operation("validateProgress", "Check a progress report without storing it",
                              _validate_responses(), body=progress_body),
            "post": _operation("validateProgressPost", "Check a progress report (sendBeacon)",
                               _validate_responses(), body=progress_body),
        },
        "/api/viewer/history": {
            "delete": _operation("eraseHistory", "Forget this viewer's history", {
                "200": _json({"type": "object", "required": ["erased"], "properties": {
                    "erased": {"type": "object", "properties": {
                        "sessions": {"type": "integer"}, "positions": {"type": "integer"}}}}},
                    "What was erased."),
                "400": _error("No usable viewer id or token."),
                "503": _error("Not erased just now; try again after Retry-After."),
            }, parameters=_VIEWER_HEADERS),
        },
        "/api/search": {
            "get": _operation("search", "Search every transcript", {
                "200": _json(_ref("SearchResults"), "Matching cues, grouped by item."),
                "400": _error("The query cannot be searched."),
            }, parameters=[{"name": "q", "in": "query", "required": False, "schema": _STRING}]),
        },
        "/oembed": {
            "get": _operation("oembed", "oEmbed 1.0 for a watch or embed URL", {
                "200": _json(_ref("OEmbed"), "An iframe to paste into another site."),
                "400": _error("'url' is missing, or a size is not a whole number of pixels."),
                "404": _error("The URL is not one of this site's media items (another site's,"
                              " not a URL, or no such item)."),
                "501": _error("A format other than json was asked for."),
            }, parameters=[
                {"name": "url", "in": "query", "required": True, "schema": _URL,
                 "description": "A watch (/watch/ID) or embed (/embed/ID) URL of this site;"
                                " its embed parameters carry over."},
                {"name": "maxwidth", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1}},
                {"name": "maxheight", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1}},
                {"name": "format", "in": "query", "required": False,
                 "schema": {"enum": ["json"], "default": "json"}},
            ]),
        },
        "/api/openapi.json": {
            "get": _operation("getOpenAPI", "This description",
                              {"200": _json({"type": "object"}, "OpenAPI 3.1.")}),
        },
    }


def _with_editor(paths: dict) -> dict:
    """``paths`` with the caption editor's operations on one track: its text
    (read, and replaced with If-Match), a check, its versions and revert."""
    track = {"name": "track", "in": "path", "required": True,
             "description": "`<srclang>.<kind>`, as in the NewTrack id.",
             "schema": {"type": "string", "examples": ["en.captions"]}}
    number = {"name": "number", "in": "path", "required": True,
              "description": "A version's number, from `listTrackVersions`.",
              "schema": {"type": "integer", "minimum": 0}}
    if_match = {"name": "If-Match", "in": "header", "required": True, "schema": _STRING,
                "description": "The track's entity tag, from the ETag of `getTrackText`."}
    etag_header = {"ETag": {"schema": _STRING, "description": "The track's entity tag now."}}
    vtt = {"text/vtt": {"schema": {"type": "string"}}}
    text_body = {"required": True, "content": vtt}
    saved = _json({"type": "object", "required": ["etag", "version", "problems"], "properties": {
        "etag": _STRING, "version": _nullable({"type": "integer"}),
        "problems": {"type": "array", "items": _ref("Problem")}}},
        "Saved; `version` is null when the text was the track's already.", etag_header)
    refusals = {
        "400": _error("The text is not UTF-8."),
        "404": _error("No such item, track or version."),
        "412": _error("Someone saved the track since the version If-Match names, or an"
                      " If-None-Match or If-Unmodified-Since condition fails; nothing was"
                      " written. After If-Match, `details.etag` is the track's entity tag now."),
        "413": _error("The text is over 10 MiB."),
        "415": _error("The body is sent as something other than WebVTT text (`text/vtt` or"
                      " `text/plain`)."),
        "422": _error("The text has errors; nothing was written. `details.problems` has each"
                      " (with its line), `details.messages` each as `file:line:col: error: ...`."),
        "428": _error("If-Match is missing; `details.etag` is the track's entity tag now."),
    }
    parameters = [_ITEM_ID, track]
    paths["/api/media/{item_id}/tracks/{track}"].update({
        "get": _operation("getTrackText", "A track's WebVTT text", {
            "200": {"description": "The text; ETag is what If-Match takes.",
                    "headers": etag_header, "content": vtt},
            "404": _error("No such item or track."),
        }, parameters=parameters, secured=True),
        "put": _operation("putTrackText", "Replace a track's text, keeping a version", {
            "200": saved, **refusals}, parameters=[*parameters, if_match], body=text_body,
            secured=True, description="The text is checked as an upload is; the text it"
            " replaces is kept as a version (see `listTrackVersions`)."),
    })
    paths["/api/media/{item_id}/tracks/{track}/check"] = {
        "post": _operation("checkTrackText", "Check a text as this track's, storing nothing", {
            "200": _json({"type": "object", "required": ["ok", "cues", "problems"],
                          "properties": {"ok": {"type": "boolean"},
                                         "cues": {"type": "integer", "minimum": 0},
                                         "problems": {"type": "array",
                                                      "items": _ref("Problem")}}},
                         "What the checker found."),
            "400": refusals["400"], "404": _error("No such item or track."),
            "413": refusals["413"],
        }, parameters=parameters, body=text_body, secured=True),
    }
    paths["/api/media/{item_id}/tracks/{track}/versions"] = {
        "get": _operation("listTrackVersions", "A track's versions, newest first", {
            "200": _json({"type": "object", "required": ["versions"], "properties": {
                "versions": {"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "at", "actor", "action", "etag", "size", "current"],
                    "properties": {
                        "id": {"type": "integer"}, "at": {"type": "string"},
                        "actor": _STRING, "action": {"enum": ["edit", "revert", "earlier"]},
                        "etag": _STRING, "size": {"type": "integer", "minimum": 0},
                        "current": {"type": "boolean"}}}}}},
                "Who saved each version and when (UTC)."),
            "404": _error("No such item or track."),
        }, parameters=parameters, secured=True),
    }
    paths["/api/media/{item_id}/tracks/{track}/versions/{number}"] = {
        "get": _operation("getTrackVersion", "The text of one version", {
            "200": {"description": "The version's WebVTT text.", "content": vtt},
            "404": _error("No such item, track or version."),
        }, parameters=[*parameters, number], secured=True),
    }
    paths["/api/media/{item_id}/tracks/{track}/versions/{number}/revert"] = {
        "post": _operation("revertTrack", "Make a version the track's text again", {
            "200": saved, **{k: v for k, v in refusals.items() if k not in ("400", "413", "415")},
        }, parameters=[*parameters, number, if_match], secured=True,
            description="Saved as a new version; checked as any save is."),
    }
    return paths


#: What a progress report's answer means, for PUT and POST alike.
PROGRESS_DESCRIPTION = (
    "The report is checked (its shape, the viewer, the flood limits, the item and whether"
    " positions lie past its end) and then queued: `202` means it is accepted and written"
    " within milliseconds. Reads by the same server process (the resume point, statistics,"
    " erasure) wait for what it accepted before them. A server that stops in an orderly"
    " way writes its queue first; one that is killed loses at most the reports of its last"
    f" few milliseconds. A play session holding more than {MAX_SESSION_RANGES} separate played"
    " ranges takes no further ranges; such a report is accepted but dropped when written."
)


def _progress_responses() -> dict:
    return {
        "200": _json({"type": "object", "required": ["stored", "reason"], "properties": {
            "stored": {"const": False}, "reason": _STRING}},
            "Not stored: tracking is off, the request asks not to be tracked, or the report"
            " would start a play session beyond the limits of its client address or item"
            " (`reason`: `too_many_new_sessions`)."),
        "202": _json({"type": "object", "required": ["stored"], "properties": {
            "stored": {"const": True}}}, "Accepted: queued, and written within milliseconds."),
        "400": _error("The report or the viewer is not valid; `details` names the field."),
        "404": _error("No such item."),
        "413": _error("The report is too large."),
        "415": _error("The body is not JSON."),
        "429": _error("Too many reports from this viewer or client address; see Retry-After."),
        "503": _error("Too many reports are waiting to be written; this one was not stored."
                      " See Retry-After."),
    }


def _validate_responses() -> dict:
    return {
        "200": _json({"type": "object", "required": ["valid"],
                      "properties": {"valid": {"const": True}}}, "The report is valid."),
        "400": _error("The report is not valid; `details.field` names the field."),
        "413": _error("The report is too large."),
        "415": _error("The body is not JSON."),
    }


def document(server_url: str, upload_limit: int, example_ids: list[str] | None = None) -> dict:
    """The whole OpenAPI document.

    :param server_url: the one server it names.
    :param upload_limit: ``MAX_UPLOAD_BYTES``, quoted where uploads are described.
    :param example_ids: ids of items in the library, given as examples.
    """
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Accessible Player API",
            "version": "1",
            "description": "Media items with captions, transcripts and descriptions; search;"
                           " playback progress; and publishing. Errors are"
                           " `{\"error\": {\"code\", \"message\", \"details\"}}`.",
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": _with_editor(_paths(upload_limit, example_ids or [])),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"publisherToken": {
                "type": "http", "scheme": "bearer",
                "description": "A token from `player create-publisher NAME`."}},
        },
    }
