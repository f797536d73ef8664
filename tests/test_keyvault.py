"""SecretStore with the real SecretClient against the local Key Vault fake.

The credential is static and the vault listens on 127.0.0.1 over HTTPS with a
certificate made for the test: no login service, managed-identity endpoint or
metadata address is asked for anything.
"""

from __future__ import annotations

import pytest
from keyvault_fake import KeyVaultFake, StaticCredential

from shared import clock, destinations, settings
from shared.errors import InvalidInput, RetryLater, SettingError, StopRun
from shared.secrets import APP_SECRET_NAME, CACHE_SECONDS, SecretStore
from tools.services import free_port

DOCUMENT = {
    "display_name": "Shop newsletter",
    "ad_account": "act_1000000001",
    "audience": {"name": "Newsletter"},
    "key_identifier": "email",
    "mapping": {"EMAIL": "EMail"},
    "segments": ["shop/customers.csv"],
    "consent": {"given_by": "dpo@example.com", "given_at": "2026-12-01T09:00:00Z"},
}


class FakeClock(clock.Clock):
    def __init__(self, start: float = 1_800_000_000.0):
        self.now_value = start

    def time(self) -> float:
        return self.now_value

    def sleep(self, seconds: float) -> None:
        self.now_value += max(seconds, 0.0)


@pytest.fixture
def fake_clock():
    installed = FakeClock()
    previous = clock.use(installed)
    yield installed
    clock.use(previous)


def vault_store(vault: KeyVaultFake, **overrides) -> SecretStore:
    loaded = settings.load({"KEY_VAULT_URL": vault.url})
    return SecretStore(
        loaded,
        credential=overrides.pop("credential", StaticCredential()),
        client_kwargs={**vault.client_kwargs(), **overrides},
    )


def destination(token_secret: str | None = None, destination_id: str = "shop"):
    document = dict(
        DOCUMENT, **({"token_secret": token_secret} if token_secret else {})
    )
    return destinations.parse(destination_id, document)


def test_token_is_read_with_the_real_client_after_the_vault_challenge(vault):
    vault.put("fb-token-shop-1", "token-value-1")
    store = vault_store(vault)

    token = store.access_token(destination("fb-token-shop-1"))

    assert token == "token-value-1"
    assert [status for _, _, status in vault.requests] == [401, 200]


def test_app_secret_comes_from_the_vault(vault):
    vault.put(APP_SECRET_NAME, "app-secret-value")

    assert vault_store(vault).app_secret() == "app-secret-value"


@pytest.mark.parametrize(
    ("elapsed", "reads"),
    [(0, 1), (CACHE_SECONDS - 1, 1), (CACHE_SECONDS, 2), (3600, 2)],
    ids=["same-moment", "just-inside", "at-the-bound", "an-hour-later"],
)
def test_cache_is_bounded_in_time(vault, fake_clock, elapsed, reads):
    vault.put("fb-token-shop-1", "token-value-1")
    store = vault_store(vault)
    store.access_token(destination("fb-token-shop-1"))

    fake_clock.sleep(elapsed)
    store.access_token(destination("fb-token-shop-1"))

    assert vault.reads("fb-token-shop-1") == reads


def test_forget_rereads_a_token_renewed_in_the_vault(vault, fake_clock):
    vault.put("fb-token-shop-1", "old-token")
    store = vault_store(vault)
    shop = destination("fb-token-shop-1")
    store.access_token(shop)
    vault.put("fb-token-shop-1", "renewed-token")

    store.forget(shop)

    assert store.access_token(shop) == "renewed-token"


def test_a_destination_never_connected_stops_with_the_instruction_to_connect(vault):
    store = vault_store(vault)

    with pytest.raises(StopRun, match="connect the Facebook account"):
        store.access_token(destination())


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, "fb-token-shop-1"),
        ("fb-token-shop-1", "fb-token-shop-2"),
        ("fb-token-shop-41", "fb-token-shop-42"),
        ("hand-made-name", "fb-token-shop-1"),
    ],
    ids=["first-connection", "second", "forty-second", "named-by-hand"],
)
def test_each_connection_writes_a_new_secret_name(vault, current, expected):
    store = vault_store(vault)

    name = store.write_token(destination(current), "fresh-token")

    assert name == expected
    assert vault.value(expected) == "fresh-token"


def test_names_held_by_deleted_secrets_are_skipped(vault):
    store = vault_store(vault)
    for name in ("fb-token-shop-1", "fb-token-shop-2"):
        vault.put(name, "old")
        store.delete_secret(name)

    name = store.write_token(destination(None), "fresh-token")

    assert name == "fb-token-shop-3"
    assert set(vault.deleted) == {"fb-token-shop-1", "fb-token-shop-2"}


def test_a_written_token_is_read_without_asking_the_vault(vault):
    store = vault_store(vault)
    name = store.write_token(destination(None), "fresh-token")

    token = store.access_token(destination(name))

    assert token == "fresh-token"
    assert vault.reads(name) == 0


def test_delete_is_a_soft_delete_and_reports_a_missing_secret(vault):
    vault.put("fb-token-shop-1", "old")
    store = vault_store(vault)

    first = store.delete_secret("fb-token-shop-1")
    second = store.delete_secret("fb-token-shop-1")

    assert (first, second) == (True, False)
    assert vault.live_names() == []
    assert "fb-token-shop-1" in vault.deleted


def test_the_app_secret_is_never_deleted_as_a_token(vault):
    vault.put(APP_SECRET_NAME, "app-secret-value")

    with pytest.raises(InvalidInput):
        vault_store(vault).delete_secret(APP_SECRET_NAME)

    assert vault.value(APP_SECRET_NAME) == "app-secret-value"


@pytest.mark.parametrize(
    "action",
    [
        lambda store: store.write_token(destination(), "fresh-token"),
        lambda store: store.delete_secret("fb-token-shop-1"),
    ],
    ids=["write", "delete"],
)
def test_without_a_vault_nothing_is_stored_and_the_setting_is_named(action):
    store = SecretStore(settings.load({"FACEBOOK_ACCESS_TOKEN": "local-token"}))

    with pytest.raises(SettingError) as refused:
        action(store)

    assert "KEY_VAULT_URL" in str(refused.value)
    assert "FACEBOOK_ACCESS_TOKEN" in str(refused.value)


def test_local_development_reads_the_token_from_settings():
    store = SecretStore(settings.load({"FACEBOOK_ACCESS_TOKEN": "local-token"}))

    assert store.access_token(destination()) == "local-token"
    assert "local-token" not in repr(store)


def test_a_refused_credential_stops_without_naming_the_vault_address(vault):
    store = vault_store(vault, credential=StaticCredential("not-the-vault-token"))

    with pytest.raises(StopRun) as refused:
        store.access_token(destination("fb-token-shop-1"))

    assert "Secrets Officer" in str(refused.value)
    assert vault.url not in str(refused.value)


def test_an_unreachable_vault_is_retried_later():
    loaded = settings.load({"KEY_VAULT_URL": f"https://127.0.0.1:{free_port()}"})
    # No SDK retries: they would wait between attempts.
    store = SecretStore(
        loaded, credential=StaticCredential(), client_kwargs={"retry_total": 0}
    )

    with pytest.raises(RetryLater, match="did not answer"):
        store.app_secret()


def test_a_token_is_found_after_the_account_was_connected_again(
    env, vault, monkeypatch
):
    monkeypatch.setenv("KEY_VAULT_URL", vault.url)
    current = settings.load()
    store = SecretStore(
        current, credential=StaticCredential(), client_kwargs=vault.client_kwargs()
    )
    destinations.save(current, destination("fb-token-shop-2"))
    vault.put("fb-token-shop-2", "reconnected-token")
    planned_with = destination("fb-token-shop-1")  # as a running run holds it

    token = store.access_token(planned_with)

    assert token == "reconnected-token"


def test_a_deleted_token_secret_stops_with_the_instruction_to_connect(
    env, vault, monkeypatch
):
    monkeypatch.setenv("KEY_VAULT_URL", vault.url)
    current = settings.load()
    store = SecretStore(
        current, credential=StaticCredential(), client_kwargs=vault.client_kwargs()
    )
    destinations.save(current, destination("fb-token-shop-1"))

    with pytest.raises(StopRun, match="connect the Facebook account"):
        store.access_token(destination("fb-token-shop-1"))
