"""Where keys, organisations and grants are kept: the same promises on SQLite and MongoDB."""

from __future__ import annotations

from epcis_repo.auth.access import AccessStore
from epcis_repo.auth.keys import digest, new_key
from epcis_repo.auth.model import Grant, GrantScope, Organisation, Role


async def test_a_key_is_found_by_the_digest_of_its_secret_until_revoked(access_store: AccessStore) -> None:
    key, record = new_key("org-a", frozenset({Role.QUERY, Role.CAPTURE}))
    await access_store.add_key(record)
    assert await access_store.key_by_digest(digest(key)) == record
    assert await access_store.key_by_digest(digest(key + "x")) is None
    assert await access_store.revoke_key(record.key_id, 5)
    assert not await access_store.revoke_key(record.key_id, 6)  # already revoked
    assert not await access_store.revoke_key("nope", 6)
    found = await access_store.key_by_digest(digest(key))
    assert found is not None and found.revoked_at == 5 and found.roles == record.roles


async def test_organisations_are_set_whole_and_listed_by_id(access_store: AccessStore) -> None:
    await access_store.set_organisation(Organisation("org-b", ("https://id.gs1.org/417/8934567000002",)))
    await access_store.set_organisation(Organisation("org-a", ("x", "y")))
    await access_store.set_organisation(Organisation("org-a", ("z",)))
    assert await access_store.standing("org-a") == (Organisation("org-a", ("z",)), [])
    assert await access_store.standing("org-c") == (None, [])
    assert [o.id for o in await access_store.list_organisations()] == ["org-a", "org-b"]


async def test_grants_are_found_by_grantee_and_revoked(access_store: AccessStore) -> None:
    scope = GrantScope(
        ("https://id.gs1.org/01/08934567123457",), ("https://ref.gs1.org/cbv/BizStep-shipping",), 1, 9
    )
    await access_store.add_grant(Grant("g1", "org-a", "org-b", scope, 1))
    await access_store.add_grant(Grant("g2", "org-a", "auditor", GrantScope(), 2))
    assert await access_store.standing("org-b") == (None, [Grant("g1", "org-a", "org-b", scope, 1)])
    assert [g.grant_id for g in await access_store.list_grants()] == ["g1", "g2"]
    assert await access_store.revoke_grant("g1") and not await access_store.revoke_grant("g1")
    assert await access_store.standing("org-b") == (None, [])
