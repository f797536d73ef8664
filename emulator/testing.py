"""A small Graph API client for the emulator's own tests and for quick checks.

It sends the token in the `Authorization` header and `appsecret_proof` in the body
(or the query for GET), and uploads as multipart form data, as the product does.
"""

from __future__ import annotations

import hashlib
import json

import requests

from emulator.auth import appsecret_proof


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class GraphClient:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        app_secret: str | None = None,
        version: str = "v26.0",
    ) -> None:
        self.root = f"{base_url}/{version}" if version else base_url
        self.token = token
        self.app_secret = app_secret
        self.session = requests.Session()

    def __repr__(self) -> str:
        return f"GraphClient(root={self.root!r})"

    def _auth(self) -> tuple[dict, dict]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        fields = {}
        if self.token and self.app_secret:
            fields["appsecret_proof"] = appsecret_proof(self.token, self.app_secret)
        return headers, fields

    def get(self, path: str, **params) -> requests.Response:
        headers, fields = self._auth()
        return self.session.get(
            self.root + path, params={**fields, **params}, headers=headers, timeout=30
        )

    def post(self, path: str, multipart: bool = True, **form) -> requests.Response:
        headers, fields = self._auth()
        body = {**fields, **form}
        if multipart:
            files = {name: (None, str(value)) for name, value in body.items()}
            return self.session.post(
                self.root + path, files=files, headers=headers, timeout=60
            )
        return self.session.post(
            self.root + path, data=body, headers=headers, timeout=60
        )

    def delete(self, path: str, **form) -> requests.Response:
        headers, fields = self._auth()
        files = {name: (None, str(value)) for name, value in {**fields, **form}.items()}
        return self.session.delete(
            self.root + path, files=files, headers=headers, timeout=60
        )

    def create_audience(self, account: str = "act_123", name: str = "segment") -> str:
        answer = self.post(
            f"/{account}/customaudiences",
            name=name,
            subtype="CUSTOM",
            customer_file_source="USER_PROVIDED_ONLY",
        )
        answer.raise_for_status()
        return answer.json()["id"]

    def upload(
        self,
        audience_id: str,
        schema: list[str],
        rows: list[list],
        session: dict | None = None,
        edge: str = "users",
        method: str = "POST",
    ) -> requests.Response:
        form = {"payload": json.dumps(upload_payload(schema, rows))}
        if session is not None:
            form["session"] = json.dumps(session)
        if method == "DELETE":
            return self.delete(f"/{audience_id}/{edge}", **form)
        return self.post(f"/{audience_id}/{edge}", **form)


def upload_payload(schema: list[str], rows: list[list]) -> dict:
    payload: dict = {"schema": schema, "data": rows}
    if len(schema) > 1:
        payload["is_raw"] = True
    return payload


def session(session_id: int, batch_seq: int = 1, last: bool = True) -> dict:
    return {"session_id": session_id, "batch_seq": batch_seq, "last_batch_flag": last}
