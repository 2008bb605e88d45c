"""Which events a principal may see, as a visibility every store applies inside its queries.

An organisation sees the events it captured; the events that name one of its identifiers (its
parties and locations) as a source or destination of a standard type (owning party, possessing
party, location); and the events of other organisations that granted it a share, within the
grant's products, business steps and time window. An administrator sees every event.
"""

from __future__ import annotations

from collections.abc import Sequence

from epcis_repo.auth.model import Grant, Organisation, Principal
from epcis_repo.epcis import cbv
from epcis_repo.epcis.identifiers import class_matches, instance_matches
from epcis_repo.query.model import AnyOf, Condition, Field, InRange, MatchesKey, Visibility, fact

_PARTY_TYPES = ("owning_party", "possessing_party", "location")


def visibility(
    principal: Principal, organisation: Organisation | None, grants: Sequence[Grant]
) -> Visibility | None:
    """None: every event (an administrator)."""
    if principal.sees_everything:
        return None
    groups: list[tuple[Condition, ...]] = [(AnyOf(Field.CAPTURED_BY, (principal.organisation,)),)]
    identifiers = organisation.identifiers if organisation is not None else ()
    if identifiers:
        for member in ("source", "destination"):
            for kind in _PARTY_TYPES:
                name = fact(member, cbv.SOURCE_DESTINATION_TYPE.canonical(kind))
                groups.append((AnyOf(name, identifiers),))
    for grant in grants:
        groups.extend(_granted(grant))
    return tuple(groups)


def _granted(grant: Grant) -> list[tuple[Condition, ...]]:
    """The groups of one grant: the grantor's events, narrowed by every part of its scope."""
    scope = grant.scope
    base: list[Condition] = [AnyOf(Field.CAPTURED_BY, (grant.grantor,))]
    if scope.biz_steps:
        base.append(AnyOf(Field.BIZ_STEP, scope.biz_steps))
    if scope.from_time is not None or scope.until_time is not None:
        base.append(InRange(Field.EVENT_TIME, ge=scope.from_time, lt=scope.until_time))
    if not scope.products:
        return [tuple(base)]
    groups = []
    for product in scope.products:
        instances = tuple(instance_matches(product))
        if instances:
            groups.append((*base, MatchesKey(Field.ANY_EPC, instances)))
        classes = tuple(class_matches(product))
        if classes:
            groups.append((*base, MatchesKey(Field.ANY_EPC_CLASS, classes)))
    return groups
