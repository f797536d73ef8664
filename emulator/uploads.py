"""Routes that change members: /users (add, remove), /usersreplace and /sessions.

Replace sessions follow graph-api.md, "Replace sessions": batch_seq 1 must be accepted
first, one replace at a time per audience, no /users while it runs, and at most 90
minutes after its first batch. A replace that runs out of time ends with the rows it
received; the client sends the rest with /users, as Meta's guide says.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from emulator import errors
from emulator.auth import authenticate, require_scope
from emulator.errors import invalid_parameter, replace_error
from emulator.forms import GraphRequest
from emulator.paging import page
from emulator.payload import Upload, read_upload
from emulator.reply import Reply
from emulator.state import Audience, ReplaceRun, SessionRecord

if TYPE_CHECKING:
    from emulator.core import Emulator

REPLACE_LIMIT_SECONDS = 90 * 60
MAX_REPLACE_MEMBERS = 100_000_000


def post_users(emulator: Emulator, request: GraphRequest, audience_id: str):
    """POST adds; POST with `method=DELETE` removes, as Meta's method override."""
    removing = (request.param("method") or "").upper() == "DELETE"
    return _change_users(emulator, request, audience_id, not removing)


def delete_users(emulator: Emulator, request: GraphRequest, audience_id: str):
    return _change_users(emulator, request, audience_id, False)


def _change_users(emulator, request, audience_id, present: bool) -> Reply:
    audience = writable_audience(emulator, request, audience_id)
    upload = read_upload(request, _new_session_id())
    now = emulator.clock.now()
    with audience.lock:
        end_overdue_replace(audience, now)
        if audience.replace is not None:
            raise replace_error(
                errors.REPLACE_BUSY, "a replace session is running on this audience"
            )
        change = audience.members.add if present else audience.members.remove
        change(upload.keys)
        audience.time_content_updated = int(now)
        _record_session(audience, upload, "add" if present else "remove", now)
    return Reply(
        body=upload.answer(audience_id),
        account_id=audience.account_id,
        delay=emulator.delay_seconds,
    )


def replace_users(emulator: Emulator, request: GraphRequest, audience_id: str):
    audience = writable_audience(emulator, request, audience_id)
    if "session" not in request.form:
        raise invalid_parameter("session is required for usersreplace")
    upload = read_upload(request, 0)
    now = emulator.clock.now()
    with audience.lock:
        end_overdue_replace(audience, now)
        run = _replace_run(audience, upload, now)
        run.members.add(upload.keys)
        _record_session(audience, upload, "replace", now)
        if upload.session.last_batch_flag:
            _end_replace(audience, "finished", now)
    return Reply(
        body=upload.answer(audience_id),
        account_id=audience.account_id,
        delay=emulator.delay_seconds,
    )


def list_sessions(emulator: Emulator, request: GraphRequest, audience_id: str):
    token = authenticate(emulator.registry, request)
    require_scope(token)
    audience = emulator.registry.audience(audience_id)
    with audience.lock:
        end_overdue_replace(audience, emulator.clock.now())
        records = sorted(
            audience.sessions.values(), key=lambda r: r.start_time, reverse=True
        )
        items = [record.view() for record in records]
    body = page(items, request, emulator.base_url)
    return Reply(body=body, account_id=audience.account_id)


def writable_audience(emulator, request: GraphRequest, audience_id: str) -> Audience:
    """The audience, once the token, terms and flags allow uploads to it."""
    token = authenticate(emulator.registry, request)
    require_scope(token)
    audience = emulator.registry.audience(audience_id)
    if not emulator.registry.account(audience.account_id).tos_accepted:
        raise errors.terms_not_accepted()
    if audience.flagged:
        raise errors.audience_flagged()
    return audience


def end_overdue_replace(audience: Audience, now: float) -> None:
    run = audience.replace
    if run is not None and now - run.started_at >= REPLACE_LIMIT_SECONDS:
        _end_replace(audience, "timed_out", now)


def fail_replace(audience: Audience, now: float) -> None:
    """End the running replace as failed: members stay as they were (status 415)."""
    run = audience.replace
    if run is None:
        return
    audience.replace = None
    audience.replace_failed = True
    audience.ended_replaces[run.session_id] = "failed"
    _mark_session(audience, run.session_id, "failed", now)


def _replace_run(audience: Audience, upload: Upload, now: float) -> ReplaceRun:
    session_id = upload.session.session_id
    _refuse_ended(audience.ended_replaces.get(session_id))
    run = audience.replace
    if run is None:
        return _start_replace(audience, upload, now)
    if run.session_id != session_id:
        raise replace_error(
            errors.REPLACE_BUSY, "another replace session is running on this audience"
        )
    if upload.schema != run.schema:
        raise invalid_parameter("the schema must not change within a replace session")
    return run


def _refuse_ended(outcome: str | None) -> None:
    if outcome == "timed_out":
        raise replace_error(
            errors.REPLACE_TIMED_OUT,
            "the replace session passed its 90 minutes; send the remaining rows "
            "with /users",
        )
    if outcome == "finished":
        raise replace_error(
            errors.REPLACE_FINISHED, "the replace session has already finished"
        )
    if outcome == "failed":
        raise replace_error(errors.REPLACE_GENERIC, "the replace session failed")


def _start_replace(audience: Audience, upload: Upload, now: float) -> ReplaceRun:
    if upload.session.batch_seq != 1:
        raise replace_error(
            errors.REPLACE_FIRST_BATCH_MISSING,
            "batch_seq 1 must be accepted before any other batch of a replace session",
        )
    if len(audience.members) >= MAX_REPLACE_MEMBERS:
        raise replace_error(
            errors.REPLACE_TOO_LARGE, "the audience is too large to replace"
        )
    audience.replace = ReplaceRun(upload.session.session_id, now, upload.schema)
    audience.replace_failed = False
    return audience.replace


def _end_replace(audience: Audience, outcome: str, now: float) -> None:
    run = audience.replace
    audience.members = run.members
    audience.replace = None
    audience.ended_replaces[run.session_id] = outcome
    audience.time_content_updated = int(now)
    _mark_session(audience, run.session_id, outcome, now)


def _record_session(audience: Audience, upload: Upload, kind: str, now: float):
    session = upload.session
    record = audience.sessions.get(session.session_id)
    if record is None:
        record = SessionRecord(session.session_id, kind, int(now))
        audience.sessions[session.session_id] = record
    if record.stage != "uploading":
        record.batches_after_last += 1
    record.batches += 1
    record.num_received += upload.num_received
    record.num_matched += len(upload.keys)
    record.num_invalid_entries += len(upload.invalid_rows)
    if session.last_batch_flag and kind != "replace":
        record.stage, record.end_time = "finished", int(now)


def _mark_session(audience: Audience, session_id: int, stage: str, now: float):
    record = audience.sessions.get(session_id)
    if record is not None:
        record.stage, record.end_time = stage, int(now)


def _new_session_id() -> int:
    return random.getrandbits(62)
