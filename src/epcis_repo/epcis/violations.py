"""A single reason why submitted EPCIS data is not acceptable."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Violation:
    """`pointer` is a JSON Pointer (RFC 6901) into the submitted body, e.g. ``/epcisBody/eventList/3/action``.

    `rule` names the standard rule broken when it is not a JSON Schema constraint.
    """

    pointer: str
    message: str
    rule: str | None = None

    def under(self, prefix: str) -> Violation:
        return Violation(prefix + self.pointer, self.message, self.rule)

    def to_json(self) -> dict[str, str]:
        """The entry for the ``errors`` list of a problem response or a capture job."""
        entry = {"pointer": self.pointer, "detail": self.message}
        if self.rule:
            entry["rule"] = self.rule
        return entry


def pointer(*parts: str | int) -> str:
    """Build a JSON Pointer from path components, escaping ``~`` and ``/`` as RFC 6901 requires."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
