"""A trace document (trace/report.py) as a readable tree, for the command line."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

# Going back, the node an edge leads to from the one it starts at; going forward, the reverse.
_UPSTREAM_BY_TARGET = {"produces", "consumes", "origin", "instance"}
_UPSTREAM_BY_SOURCE = {"contains", "assembles"}
_DOWNSTREAM_BY_SOURCE = {"consumes", "produces", "origin", "instance", "custody"}
_DOWNSTREAM_BY_TARGET = {"contains", "assembles"}


# How each edge reads from the node above it in the tree.
_BACK_LABELS = {
    "produces": "made by",
    "consumes": "from",
    "origin": "created at",
    "instance": "of lot",
    "contains": "holds",
    "assembles": "has part",
}
_FORWARD_LABELS = {
    "consumes": "used in",
    "produces": "made",
    "origin": "created",
    "instance": "instance",
    "contains": "packed in",
    "assembles": "part of",
    "custody": "to",
}


def render_tree(document: dict[str, Any]) -> str:
    back = document["direction"] == "back"
    nodes = {node["id"]: node for node in document["nodes"]}
    children: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for edge in document["edges"]:
        kind, source, target = edge["kind"], edge["from"], edge["to"]
        if back and kind in _UPSTREAM_BY_TARGET:
            children[target].append((source, edge))
        elif back and kind in _UPSTREAM_BY_SOURCE:
            children[source].append((target, edge))
        elif not back and kind in _DOWNSTREAM_BY_SOURCE:
            children[source].append((target, edge))
        elif not back and kind in _DOWNSTREAM_BY_TARGET:
            children[target].append((source, edge))

    arrow, labels = ("<-", _BACK_LABELS) if back else ("->", _FORWARD_LABELS)
    lines = [f"Trace {document['direction']} from {document['target']}{_amount(document['quantity'], None)}"]
    shown: set[str] = set()

    def walk(node: str, depth: int, path: set[str]) -> None:
        for child, edge in children.get(node, ()):
            info = nodes.get(child, {})
            again = child in shown
            suffix = "  (as above)" if again and children.get(child) else ""
            amount = _amount(info.get("quantity"), info.get("share")) if edge["kind"] != "custody" else ""
            label = labels[edge["kind"]]
            lines.append(f"{'  ' * depth}{arrow} {label} {child}{amount}  [{edge['eventID']}]{suffix}")
            shown.add(child)
            if not again and child not in path:
                walk(child, depth + 1, path | {child})

    walk(document["target"], 1, {document["target"]})
    if back:
        lines.append("Origins:")
        lines += [
            f"  {o['id']} at {o['location'] or 'an unstated place'}{_amount(o['quantity'], o['share'])}"
            for o in document["origins"]
        ] or ["  none"]
        if document["unexplained"]:
            lines.append("Unexplained:")
            lines += [f"  {u['id']}{_amount(u['quantity'], u['share'])}" for u in document["unexplained"]]
    else:
        lines.append("Parties reached:")
        lines += [f"  {p['id']}{_amount(p.get('quantity'), None)}" for p in document["parties"]] or ["  none"]
    lines.append("Findings:")
    lines += [f"  {f['severity']}: {f['rule']}: {f['message']}" for f in document["findings"]] or ["  none"]
    return "\n".join(lines)


def _amount(quantity: dict[str, Any] | None, share: float | None) -> str:
    parts = []
    if quantity is not None:
        parts.append(f"{quantity['value']:,.6g} {quantity['uom']}")
    if share is not None:
        parts.append(f"{share * 100:.4g}%")
    return f" ({', '.join(parts)})" if parts else ""
