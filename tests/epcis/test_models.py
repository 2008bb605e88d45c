"""The typed models read every official example and give back exactly what they read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from epcis_repo.epcis.models import EPCISDocument, EPCISQueryDocument, Event, ObjectEvent, TransformationEvent
from tests.standard import example_id, json_examples, requires_standard, single_event_examples

EVENT = TypeAdapter(Event)


def parse(data: dict[str, Any]) -> Any:
    if data["type"] == "EPCISDocument":
        return EPCISDocument.model_validate(data)
    if data["type"] == "EPCISQueryDocument":
        return EPCISQueryDocument.model_validate(data)
    return EVENT.validate_python(data)


@requires_standard
@pytest.mark.parametrize("path", json_examples() + single_event_examples(), ids=example_id)
def test_official_examples_round_trip_losslessly(path: Path) -> None:
    data = json.loads(path.read_text())
    model = parse(data)
    assert isinstance(model, BaseModel)
    assert model.model_dump(by_alias=True, exclude_unset=True) == data


def test_events_are_typed_by_their_type_and_keep_extensions() -> None:
    event = EVENT.validate_python(
        {
            "type": "TransformationEvent",
            "eventTime": "2024-01-01T00:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "inputQuantityList": [{"epcClass": "https://id.gs1.org/01/08934567123457/10/L1", "quantity": 60}],
            "example:moisture": 12.5,
        }
    )
    assert isinstance(event, TransformationEvent)
    assert event.inputQuantityList is not None and event.inputQuantityList[0].quantity == 60
    assert event.model_extra == {"example:moisture": 12.5}
    custom = EVENT.validate_python(
        {"type": "https://example.org/MyEvent", "eventTime": "x", "eventTimeZoneOffset": "y"}
    )
    assert type(custom).__name__ == "ExtensionEvent"
    plain = {"type": "ObjectEvent", "eventTime": "x", "eventTimeZoneOffset": "y", "action": "ADD"}
    assert isinstance(EVENT.validate_python(plain), ObjectEvent)
