"""Reading the EPCIS 2.0 XML binding: an XML document becomes the EPCIS 2.0 JSON-LD document a JSON
sender would have sent, so validation, hashing and storage only ever see one syntax.

Mapping choices that the standard leaves open:

* Extension elements become ``prefix:local`` keys. The prefix is the one the XML used where that is
  possible; a default-namespace element, a prefix bound to two namespaces in one document, a prefix
  that is not a valid URI scheme or one that would redefine a term of the (protected) EPCIS context
  gets a generated ``extN``. Every prefix is declared in ``@context`` with the namespace string
  exactly as written in the XML: the event hash and queries compare ``namespace + local name``.
* Extension element content: a leaf is its trimmed text (always a string; ``xsi:type`` is a schema
  annotation and is dropped, as GS1's own XML/JSON example twins do); an element with children or
  attributes is an object. Inside it, qualified children and attributes are ``prefix:local`` keys,
  unqualified ones keep their bare local name, repeated names collect into a list in document order,
  and non-blank text beside children or attributes is kept under ``#text``.
* The EPCIS 1.2 ``extension`` / ``baseExtension`` wrappers are transparent inside events and their
  parts; the 1.2 ``EventList/extension`` wrapper is transparent too, and a foreign-namespace event
  element there (or directly in ``EventList``) becomes an extension event typed ``prefix:Local``.
* The SBDH (``sbdh:StandardBusinessDocumentHeader``) is transport metadata: a single
  ``Sender/Identifier``, ``Receiver/Identifier`` and ``DocumentIdentification/InstanceIdentifier``
  become the JSON pseudo-SBDH fields ``sender``, ``receiver`` and ``instanceIdentifier`` of an
  EPCISDocument; everything else in it (and the whole SBDH of a query document, whose JSON form has
  no such fields) is dropped.
* ``EPCISQueryDocument`` whose ``queryName``/``resultsBody`` sit directly under the root, without
  ``EPCISBody/QueryResults``, is read as if they were wrapped (the event-hash test vectors use it).
* Unqualified elements or attributes that EPCIS does not define have no JSON counterpart and are
  rejected rather than dropped, as are values that JSON cannot carry (``INF`` as a sensor value).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any, Final

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from epcis_repo.epcis import cbv
from epcis_repo.epcis.context import STANDARD_PREFIXES

EPCIS_NS: Final = "urn:epcglobal:epcis:xsd:2"
QUERY_NS: Final = "urn:epcglobal:epcis-query:xsd:2"
MASTERDATA_NS: Final = "urn:epcglobal:epcis-masterdata:xsd:2"
SBDH_NS: Final = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
EPCIS_CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
# EPCIS 1.x roots are read too: their extra structure is the extension wrappers, which are transparent
# (and the CBV 2.0 hash test vectors use the 1.x namespace with 2.0 content).
_DOCUMENT_NAMESPACES: Final = frozenset({EPCIS_NS, "urn:epcglobal:epcis:xsd:1"})
_QUERY_NAMESPACES: Final = frozenset({QUERY_NS, "urn:epcglobal:epcis-query:xsd:1"})

# Element names in these namespaces (or none) are EPCIS's own; anything else is an extension.
_EPCIS_NAMESPACES: Final = frozenset(
    {None, MASTERDATA_NS, "urn:epcglobal:epcis-masterdata:xsd:1"} | _DOCUMENT_NAMESPACES | _QUERY_NAMESPACES
)
# Attributes that are XML plumbing, not data.
_IGNORED_ATTRIBUTE_NAMESPACES: Final = frozenset({XSI_NS, XML_NS})

# Prefixes the EPCIS context defines; reusing one is only allowed for the same namespace.
_CONTEXT_PREFIXES: Final = STANDARD_PREFIXES
# The other terms of the @protected EPCIS context, which a document may not redefine.
_CONTEXT_TERMS: Final = frozenset({
    "AggregationEvent", "AssociationEvent", "Collection", "EPCISDocument", "EPCISQueryDocument",
    "ObjectEvent", "TransactionEvent", "TransformationEvent", "action", "baseURL", "bizLocation",
    "bizStep", "bizTransactionList", "certificationInfo", "childEPCs", "childQuantityList", "children",
    "creationDate", "destinationList", "disposition", "epcClass", "epcList", "epcisBody", "epcisHeader",
    "errorDeclaration", "eventID", "eventList", "eventTime", "eventTimeZoneOffset", "id", "ilmd",
    "inputEPCList", "inputQuantityList", "instanceIdentifier", "masterData", "member", "outputEPCList",
    "outputQuantityList", "parentID", "persistentDisposition", "quantity", "quantityList", "queryName",
    "queryResults", "readPoint", "receiver", "recordTime", "resultsBody", "schemaVersion",
    "sender", "sensorElementList", "sourceList", "subscriptionID", "transformationID", "type", "uom",
    "vocabularyList",
})  # fmt: skip
# A prefix must also be a URI scheme, so that "prefix:local" is a valid URI key for the JSON schema,
# and must not shadow schemes that values really use.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_RESERVED_SCHEMES: Final = frozenset({"http", "https", "urn", "ni", "geo", "mailto", "file", "tag"})
_CURIE = re.compile(r"([A-Za-z_][\w.-]*):(?!//)(\S*)")

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_BOOLEANS: Final = {"true": True, "1": True, "false": False, "0": False}

_EVENT_TYPES: Final = frozenset(
    {"ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"}
)
# The schema needs epcList (possibly empty) on these to tell "no EPCs" from "not about EPCs".
_KEEP_EMPTY_EPC_LIST: Final = frozenset({"ObjectEvent", "TransactionEvent"})

_SENSOR_METADATA_ATTRIBUTES: Final = frozenset(
    {"time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
     "bizRules"}
)  # fmt: skip
_SENSOR_REPORT_NUMBERS: Final = frozenset(
    {"value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"}
)
# bizRules is a JSON-only sensorReport field, accepted here in case an XML sender adds it.
_SENSOR_REPORT_ATTRIBUTES: Final = _SENSOR_REPORT_NUMBERS | frozenset(
    {"type", "exception", "component", "booleanValue", "deviceID", "deviceMetadata", "rawData",
     "dataProcessingMethod", "bizRules", "time", "microorganism", "chemicalSubstance",
     "coordinateReferenceSystem", "stringValue", "hexBinaryValue", "uriValue", "uom"}
)  # fmt: skip

# One parser for every document: no DTD loading, no network, no entity expansion, libxml2's
# default size and depth limits. Entity declarations that survive parsing are refused below.
_PARSER: Final = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    remove_comments=True,
    remove_pis=True,
)

_Element = Any  # lxml ships no type information


class XmlBindingError(ValueError):
    """The XML cannot be read as an EPCIS 2.0 document; `line` is the source line where known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.message = message
        self.line = line


def read_xml_document(data: bytes) -> dict[str, Any]:
    """Convert an EPCIS 2.0 ``EPCISDocument`` or ``EPCISQueryDocument`` to its JSON-LD form."""
    root = _parse(data)
    reader = _Reader(root)
    namespace, local = _split(root)
    if namespace in _DOCUMENT_NAMESPACES and local == "EPCISDocument":
        document = reader.document(root)
    elif namespace in _QUERY_NAMESPACES and local == "EPCISQueryDocument":
        document = reader.query_document(root)
    else:
        raise XmlBindingError(
            f"root element is {_describe(root)}; expected EPCISDocument ({EPCIS_NS}) "
            f"or EPCISQueryDocument ({QUERY_NS})",
            root.sourceline,
        )
    extensions = reader.prefixes.declarations()
    document["@context"] = [EPCIS_CONTEXT, extensions] if extensions else [EPCIS_CONTEXT]
    return document


def _parse(data: bytes) -> _Element:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise XmlBindingError("XML input must be bytes")
    try:
        root = etree.fromstring(bytes(data), _PARSER)
    except etree.XMLSyntaxError as error:
        message = str(error.msg or error).strip()
        raise XmlBindingError(f"malformed XML: {message}", error.lineno or None) from None
    if root is None:
        raise XmlBindingError("no XML document")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None:
        for entity in dtd.iterentities():
            raise XmlBindingError(f"DTD entity declarations are not accepted (entity {entity.name!r})")
    for reference in root.iter(etree.Entity):
        raise XmlBindingError(f"entity references are not accepted ({reference.text})", reference.sourceline)
    return root


def _split(node: _Element) -> tuple[str | None, str]:
    qname = etree.QName(node)
    return qname.namespace, str(qname.localname)


def _describe(node: _Element) -> str:
    namespace, local = _split(node)
    return f"<{local}>" if namespace is None else f"<{local}> in namespace {namespace}"


def _is_epcis(node: _Element) -> bool:
    return etree.QName(node).namespace in _EPCIS_NAMESPACES


def _elements(node: _Element) -> Iterator[_Element]:
    for child in node:
        if isinstance(child.tag, str):
            yield child


def _flat(node: _Element) -> Iterator[_Element]:
    """Children, looking through the EPCIS 1.2 ``extension``/``baseExtension`` wrappers."""
    for child in _elements(node):
        namespace, local = _split(child)
        if namespace in _EPCIS_NAMESPACES and local in ("extension", "baseExtension"):
            yield from _flat(child)
        else:
            yield child


def _text(node: _Element) -> str:
    child = next(_elements(node), None)
    if child is not None:
        raise _unexpected(child, _split(node)[1])
    return str(node.text or "").strip()


def _nil(node: _Element) -> bool:
    return str(node.get(f"{{{XSI_NS}}}nil", "")).strip() in ("true", "1")


def _unexpected(child: _Element, parent: str) -> XmlBindingError:
    return XmlBindingError(f"unexpected element {_describe(child)} in <{parent}>", child.sourceline)


def _number(text: str, what: str, line: int | None) -> int | float:
    value = text.strip()
    try:
        if _INTEGER.fullmatch(value):
            return int(value)
        if _DECIMAL.fullmatch(value):
            number = float(value)
            if math.isfinite(number):
                return number
    except ValueError:
        pass
    raise XmlBindingError(f"{what} {text!r} is not a finite decimal number", line)


def _boolean(text: str, what: str, line: int | None) -> bool:
    value = _BOOLEANS.get(text.strip())
    if value is None:
        raise XmlBindingError(f"{what} {text!r} is not a boolean", line)
    return value


def _expand_curie(value: str, node: _Element, *, standard: bool) -> str | None:
    """``prefix:rest`` with an in-scope XML prefix (or, if `standard`, an EPCIS context prefix) expanded."""
    match = _CURIE.fullmatch(value)
    if match is None:
        return None
    prefix, rest = match.groups()
    namespace = node.nsmap.get(prefix)
    if namespace is None and standard:
        namespace = _CONTEXT_PREFIXES.get(prefix)
    return None if namespace is None else str(namespace) + rest


def _vocabulary_value(value: str, vocabulary: cbv.Vocabulary, node: _Element) -> str:
    """A CBV standard value as its bare word; a custom value exactly as written (in XML it is a URI,
    whatever its scheme; the CBV 2.0 event hash takes it literally too)."""
    word = vocabulary.word(value)
    if word is None:
        expanded = _expand_curie(value, node, standard=True)
        if expanded is not None:
            word = vocabulary.word(expanded)
    return word if word is not None else value


def _add(target: dict[str, Any], key: str, value: Any) -> None:
    """Repeated names collect into a list, in document order (extension values are never lists)."""
    if key not in target:
        target[key] = value
    elif isinstance(previous := target[key], list):
        previous.append(value)
    else:
        target[key] = [previous, value]


def _set_once(target: dict[str, Any], key: str, value: Any, node: _Element) -> None:
    if key in target:
        raise XmlBindingError(f"<{key}> occurs more than once", node.sourceline)
    target[key] = value


class _Prefixes:
    """Assigns a JSON-LD prefix to each extension namespace, keeping the XML's prefixes where it can."""

    def __init__(self, root: _Element) -> None:
        self._by_namespace: dict[str, str] = {}
        self._by_prefix: dict[str, str] = {}
        # Generated prefixes stay clear of every prefix the document uses, so those can keep their names.
        self._xml_prefixes = {
            prefix for element in root.iter(tag=etree.Element) for prefix in element.nsmap if prefix
        }
        self._counter = 0

    def declarations(self) -> dict[str, str]:
        return dict(self._by_prefix)

    def prefix(self, namespace: str, wanted: str | None) -> str:
        known = self._by_namespace.get(namespace)
        if known is not None:
            return known
        if wanted is None or not self._usable(wanted, namespace):
            wanted = self._generate()
        self._by_namespace[namespace] = wanted
        self._by_prefix[wanted] = namespace
        return wanted

    def _usable(self, prefix: str, namespace: str) -> bool:
        if prefix in self._by_prefix or not _SCHEME.fullmatch(prefix):
            return False
        if prefix.lower() in _RESERVED_SCHEMES or prefix in _CONTEXT_TERMS:
            return False
        return _CONTEXT_PREFIXES.get(prefix, namespace) == namespace

    def _generate(self) -> str:
        while True:
            self._counter += 1
            candidate = f"ext{self._counter}"
            if candidate not in self._by_prefix and candidate not in self._xml_prefixes:
                return candidate


class _Reader:
    def __init__(self, root: _Element) -> None:
        self.prefixes = _Prefixes(root)

    # ----- names -----

    def element_key(self, node: _Element) -> str:
        namespace, local = _split(node)
        if namespace is None:
            return local
        return f"{self.prefixes.prefix(namespace, node.prefix)}:{local}"

    def attribute_key(self, name: str, node: _Element) -> str:
        qname = etree.QName(name)
        if qname.namespace is None:
            return str(qname.localname)
        candidates = sorted(p for p, ns in node.nsmap.items() if p and ns == qname.namespace)
        wanted = candidates[0] if candidates else None
        return f"{self.prefixes.prefix(qname.namespace, wanted)}:{qname.localname}"

    def extension(self, target: dict[str, Any], node: _Element) -> None:
        """Add a foreign-namespace element as a namespaced key of `target`."""
        _add(target, self.element_key(node), self.content(node))

    def attribute_name(self, name: str, node: _Element, known: frozenset[str]) -> str | None:
        """The JSON key of an attribute: `known` unqualified names as they are, namespaced ones as
        ``prefix:local``, XML plumbing (``xsi:``, ``xml:``) None; other unqualified names are refused."""
        qname = etree.QName(name)
        if qname.namespace in _IGNORED_ATTRIBUTE_NAMESPACES:
            return None
        if qname.namespace is None:
            if qname.localname not in known:
                raise XmlBindingError(
                    f"unexpected attribute {qname.localname!r} on <{_split(node)[1]}>", node.sourceline
                )
            return str(qname.localname)
        return self.attribute_key(name, node)

    def foreign_attributes(self, target: dict[str, Any], node: _Element, known: frozenset[str]) -> None:
        """Add the namespaced attributes of `node` to `target`; `known` unqualified ones are the caller's."""
        for name, value in node.attrib.items():
            if etree.QName(name).namespace is None:
                self.attribute_name(name, node, known)
            else:
                key = self.attribute_name(name, node, known)
                if key is not None:
                    target[key] = str(value).strip()

    # ----- extension content -----

    def content(self, node: _Element, skip: frozenset[str] = frozenset()) -> Any:
        """The JSON value of an extension element (or of a master-data attribute)."""
        if _nil(node):
            return None
        children = list(_elements(node))
        attributes = [
            (name, value)
            for name, value in node.attrib.items()
            if etree.QName(name).namespace not in _IGNORED_ATTRIBUTE_NAMESPACES and name not in skip
        ]
        text = str(node.text or "") + "".join(str(child.tail or "") for child in children)
        text = text.strip()
        if not children and not attributes:
            return text
        value: dict[str, Any] = {}
        for name, attribute in attributes:
            value[self.attribute_key(name, node)] = str(attribute).strip()
        for child in children:
            _add(value, self.element_key(child), self.content(child))
        if text:
            value["#text"] = text
        return value

    # ----- documents -----

    def document(self, root: _Element) -> dict[str, Any]:
        document: dict[str, Any] = {"@context": None, "type": "EPCISDocument"}
        self.root_attributes(document, root)
        body: dict[str, Any] | None = None
        for child in _elements(root):
            namespace, local = _split(child)
            if namespace not in _EPCIS_NAMESPACES:
                self.extension(document, child)
            elif local == "EPCISHeader":
                self.header(document, child, sbdh_fields=True)
            elif local == "EPCISBody":
                if body is not None:
                    raise XmlBindingError("<EPCISBody> occurs more than once", child.sourceline)
                body = {"eventList": self.body_events(child)}
            elif local == "extension":
                self.empty_wrapper(child)
            else:
                raise _unexpected(child, "EPCISDocument")
        if body is None:
            raise XmlBindingError("EPCISDocument has no <EPCISBody>", root.sourceline)
        document["epcisBody"] = body
        return document

    def query_document(self, root: _Element) -> dict[str, Any]:
        document: dict[str, Any] = {"@context": None, "type": "EPCISQueryDocument"}
        self.root_attributes(document, root)
        results: dict[str, Any] | None = None
        direct: list[_Element] = []
        for child in _elements(root):
            namespace, local = _split(child)
            if namespace not in _EPCIS_NAMESPACES:
                self.extension(document, child)
            elif local == "EPCISHeader":
                self.header(document, child, sbdh_fields=False)
            elif local == "EPCISBody":
                if results is not None:
                    raise XmlBindingError("<EPCISBody> occurs more than once", child.sourceline)
                results = self.query_body(child)
            elif local in ("queryName", "subscriptionID", "resultsBody"):
                direct.append(child)
            elif local == "extension":
                self.empty_wrapper(child)
            else:
                raise _unexpected(child, "EPCISQueryDocument")
        if direct:
            if results is not None:
                raise _unexpected(direct[0], "EPCISQueryDocument")
            results = self.query_results(root, direct)
        if results is None:
            raise XmlBindingError("EPCISQueryDocument has no <EPCISBody>", root.sourceline)
        document["epcisBody"] = {"queryResults": results}
        return document

    def root_attributes(self, document: dict[str, Any], root: _Element) -> None:
        for name in ("schemaVersion", "creationDate"):
            value = root.get(name)
            if value is not None:
                document[name] = value.strip()
        self.foreign_attributes(document, root, frozenset({"schemaVersion", "creationDate"}))

    def empty_wrapper(self, node: _Element) -> None:
        """Document/body-level ``extension`` wrappers hold unqualified elements JSON has no place for."""
        for child in _elements(node):
            raise _unexpected(child, "extension")

    def header(self, document: dict[str, Any], node: _Element, *, sbdh_fields: bool) -> None:
        header: dict[str, Any] = {}
        for child in _flat(node):
            namespace, local = _split(child)
            if namespace == SBDH_NS and local == "StandardBusinessDocumentHeader":
                if sbdh_fields:
                    document.update(_sbdh(child))
            elif namespace not in _EPCIS_NAMESPACES:
                self.extension(header, child)
            elif local == "EPCISMasterData":
                vocabularies = []
                for part in _flat(child):
                    if _is_epcis(part) and _split(part)[1] == "VocabularyList":
                        vocabularies.extend(self.vocabulary_list(part))
                    else:
                        raise _unexpected(part, "EPCISMasterData")
                header["epcisMasterData"] = {"vocabularyList": vocabularies}
            else:
                raise _unexpected(child, "EPCISHeader")
        if header:
            document["epcisHeader"] = header

    def body_events(self, body: _Element) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for child in _flat(body):
            namespace, local = _split(child)
            if namespace in _EPCIS_NAMESPACES and local == "EventList":
                events.extend(self.event_list(child))
            else:
                raise _unexpected(child, "EPCISBody")
        return events

    def query_body(self, body: _Element) -> dict[str, Any]:
        results: dict[str, Any] | None = None
        for child in _elements(body):
            if _is_epcis(child) and _split(child)[1] == "QueryResults" and results is None:
                results = self.query_results(child, list(_elements(child)))
            else:
                raise _unexpected(child, "EPCISBody")
        if results is None:
            raise XmlBindingError("EPCISQueryDocument body has no <QueryResults>", body.sourceline)
        return results

    def query_results(self, node: _Element, children: list[_Element]) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for child in children:
            namespace, local = _split(child)
            if namespace not in _EPCIS_NAMESPACES:
                self.extension(results, child)
            elif local in ("queryName", "subscriptionID"):
                _set_once(results, local, _text(child), child)
            elif local == "resultsBody":
                results_body: dict[str, Any] = {"eventList": []}
                for part in _elements(child):
                    kind = _split(part)[1] if _is_epcis(part) else None
                    if kind == "EventList":
                        results_body["eventList"].extend(self.event_list(part))
                    elif kind == "VocabularyList":
                        results_body.setdefault("vocabularyList", []).extend(self.vocabulary_list(part))
                    else:
                        raise _unexpected(part, "resultsBody")
                _set_once(results, "resultsBody", results_body, child)
            elif local == "extension":
                self.empty_wrapper(child)
            else:
                raise _unexpected(child, "QueryResults")
        for required in ("queryName", "resultsBody"):
            if required not in results:
                raise XmlBindingError(f"query results without <{required}>", node.sourceline)
        return results

    # ----- master data -----

    def vocabulary_list(self, node: _Element) -> list[dict[str, Any]]:
        vocabularies: list[dict[str, Any]] = []
        for child in _elements(node):
            if not (_is_epcis(child) and _split(child)[1] == "Vocabulary"):
                raise _unexpected(child, "VocabularyList")
            vocabulary: dict[str, Any] = {"type": (child.get("type") or "").strip()}
            self.foreign_attributes(vocabulary, child, frozenset({"type"}))
            elements: list[dict[str, Any]] = []
            for part in _flat(child):
                if not _is_epcis(part):
                    self.extension(vocabulary, part)
                elif _split(part)[1] == "VocabularyElementList":
                    elements.extend(self.vocabulary_element(e) for e in _elements(part))
                else:
                    raise _unexpected(part, "Vocabulary")
            if elements:
                vocabulary["vocabularyElementList"] = elements
            vocabularies.append(vocabulary)
        return vocabularies

    def vocabulary_element(self, node: _Element) -> dict[str, Any]:
        if not (_is_epcis(node) and _split(node)[1] == "VocabularyElement"):
            raise _unexpected(node, "VocabularyElementList")
        element: dict[str, Any] = {"id": (node.get("id") or "").strip()}
        self.foreign_attributes(element, node, frozenset({"id"}))
        attributes: list[dict[str, Any]] = []
        children: list[str] = []
        for child in _flat(node):
            namespace, local = _split(child)
            if namespace not in _EPCIS_NAMESPACES:
                self.extension(element, child)
            elif local == "attribute":
                attribute: dict[str, Any] = {"id": (child.get("id") or "").strip()}
                attribute["attribute"] = self.content(child, skip=frozenset({"id"}))
                attributes.append(attribute)
            elif local == "children":
                for item in _elements(child):
                    if not (_is_epcis(item) and _split(item)[1] == "id"):
                        raise _unexpected(item, "children")
                    children.append(_text(item))
            else:
                raise _unexpected(child, "VocabularyElement")
        if attributes:
            element["attributes"] = attributes
        if children:
            element["children"] = children
        return element

    # ----- events -----

    def event_list(self, node: _Element) -> list[dict[str, Any]]:
        return [self.event(child) for child in _flat(node)]

    def event(self, node: _Element) -> dict[str, Any]:
        namespace, local = _split(node)
        if namespace in _EPCIS_NAMESPACES:
            if local not in _EVENT_TYPES:
                raise XmlBindingError(f"<{local}> is not an EPCIS 2.0 event type", node.sourceline)
            event_type = local
        else:
            event_type = self.element_key(node)
        event: dict[str, Any] = {"type": event_type}
        self.foreign_attributes(event, node, frozenset())
        for child in _flat(node):
            child_ns, name = _split(child)
            if child_ns not in _EPCIS_NAMESPACES:
                self.extension(event, child)
                continue
            handler = _EVENT_FIELDS.get(name)
            if handler is None:
                raise _unexpected(child, local)
            handler(self, event, child)
        keep = {"epcList"} if event_type in _KEEP_EMPTY_EPC_LIST else set()
        return {k: v for k, v in event.items() if v != [] or k not in _OMIT_WHEN_EMPTY or k in keep}

    def simple(self, event: dict[str, Any], node: _Element) -> None:
        if _nil(node):
            return
        _set_once(event, _split(node)[1], _text(node), node)

    def certification_info(self, event: dict[str, Any], node: _Element) -> None:
        _add(event, "certificationInfo", _text(node))

    def biz_step(self, event: dict[str, Any], node: _Element) -> None:
        _set_once(event, "bizStep", _vocabulary_value(_text(node), cbv.BIZ_STEP, node), node)

    def disposition(self, event: dict[str, Any], node: _Element) -> None:
        _set_once(event, "disposition", _vocabulary_value(_text(node), cbv.DISPOSITION, node), node)

    def epc_list(self, event: dict[str, Any], node: _Element) -> None:
        name = _split(node)[1]
        epcs = []
        for child in _elements(node):
            if not (_is_epcis(child) and _split(child)[1] == "epc"):
                raise _unexpected(child, name)
            epcs.append(_text(child))
        _set_once(event, name, epcs, node)

    def quantity_list(self, event: dict[str, Any], node: _Element) -> None:
        name = _split(node)[1]
        quantities = []
        for child in _flat(node):
            if not (_is_epcis(child) and _split(child)[1] == "quantityElement"):
                raise _unexpected(child, name)
            element: dict[str, Any] = {}
            for part in _elements(child):
                field = _split(part)[1] if _is_epcis(part) else None
                if _nil(part):
                    continue  # xsi:nil quantity: unknown, which JSON says by leaving it out
                if field in ("epcClass", "uom"):
                    _set_once(element, field, _text(part), part)
                elif field == "quantity":
                    _set_once(element, field, _number(_text(part), "quantity", part.sourceline), part)
                else:
                    raise _unexpected(part, "quantityElement")
            quantities.append(element)
        _set_once(event, name, quantities, node)

    def location(self, event: dict[str, Any], node: _Element) -> None:
        name = _split(node)[1]
        location: dict[str, Any] = {}
        for child in _flat(node):
            if not _is_epcis(child):
                self.extension(location, child)
            elif _split(child)[1] == "id":
                _set_once(location, "id", _text(child), child)
            else:
                raise _unexpected(child, name)
        _set_once(event, name, location, node)

    def typed_list(self, event: dict[str, Any], node: _Element) -> None:
        name = _split(node)[1]
        item_name = name.removesuffix("List")
        vocabulary = (
            cbv.BIZ_TRANSACTION_TYPE if item_name == "bizTransaction" else cbv.SOURCE_DESTINATION_TYPE
        )
        items = []
        for child in _flat(node):
            if not (_is_epcis(child) and _split(child)[1] == item_name):
                raise _unexpected(child, name)
            item: dict[str, Any] = {}
            kind = child.get("type")
            if kind is not None:
                item["type"] = _vocabulary_value(kind.strip(), vocabulary, child)
            item[item_name] = _text(child)
            items.append(item)
        _set_once(event, name, items, node)

    def persistent_disposition(self, event: dict[str, Any], node: _Element) -> None:
        value: dict[str, list[str]] = {}
        for child in _flat(node):
            field = _split(child)[1] if _is_epcis(child) else None
            if field not in ("set", "unset"):
                raise _unexpected(child, "persistentDisposition")
            value.setdefault(field, []).append(_vocabulary_value(_text(child), cbv.DISPOSITION, child))
        if value:
            _set_once(event, "persistentDisposition", value, node)

    def error_declaration(self, event: dict[str, Any], node: _Element) -> None:
        declaration: dict[str, Any] = {}
        for child in _flat(node):
            namespace, field = _split(child)
            if namespace not in _EPCIS_NAMESPACES:
                self.extension(declaration, child)
            elif field == "declarationTime":
                _set_once(declaration, field, _text(child), child)
            elif field == "reason":
                _set_once(declaration, field, _vocabulary_value(_text(child), cbv.ERROR_REASON, child), child)
            elif field == "correctiveEventIDs":
                ids = []
                for item in _elements(child):
                    if not (_is_epcis(item) and _split(item)[1] == "correctiveEventID"):
                        raise _unexpected(item, field)
                    ids.append(_text(item))
                if ids:
                    _set_once(declaration, field, ids, child)
            else:
                raise _unexpected(child, "errorDeclaration")
        _set_once(event, "errorDeclaration", declaration, node)

    def ilmd(self, event: dict[str, Any], node: _Element) -> None:
        ilmd: dict[str, Any] = {}
        for child in _flat(node):
            if _is_epcis(child):
                raise XmlBindingError(
                    f"ilmd fields must be namespace-qualified, found {_describe(child)}", child.sourceline
                )
            self.extension(ilmd, child)
        if ilmd:
            _set_once(event, "ilmd", ilmd, node)

    def sensor_element_list(self, event: dict[str, Any], node: _Element) -> None:
        elements = []
        for child in _flat(node):
            if not (_is_epcis(child) and _split(child)[1] == "sensorElement"):
                raise _unexpected(child, "sensorElementList")
            elements.append(self.sensor_element(child))
        _set_once(event, "sensorElementList", elements, node)

    def sensor_element(self, node: _Element) -> dict[str, Any]:
        element: dict[str, Any] = {}
        reports: list[dict[str, Any]] = []
        extensions: dict[str, Any] = {}
        for child in _flat(node):
            namespace, field = _split(child)
            if namespace not in _EPCIS_NAMESPACES:
                self.extension(extensions, child)
            elif field == "sensorMetadata":
                _set_once(element, field, self.sensor_metadata(child), child)
            elif field == "sensorReport":
                reports.append(self.sensor_report(child))
            else:
                raise _unexpected(child, "sensorElement")
        element["sensorReport"] = reports
        element.update(extensions)
        return element

    def sensor_metadata(self, node: _Element) -> dict[str, Any]:
        metadata: dict[str, Any] = {}
        for name, raw in node.attrib.items():
            key = self.attribute_name(name, node, _SENSOR_METADATA_ATTRIBUTES)
            if key is not None:
                metadata[key] = str(raw).strip()
        self.sensor_children(metadata, node)
        return metadata

    def sensor_report(self, node: _Element) -> dict[str, Any]:
        report: dict[str, Any] = {}
        line = node.sourceline
        for name, raw in node.attrib.items():
            key = self.attribute_name(name, node, _SENSOR_REPORT_ATTRIBUTES)
            if key is None:
                continue
            value = str(raw).strip()
            if key == "type":
                report[key] = _vocabulary_value(value, cbv.MEASUREMENT_TYPE, node)
            elif key == "exception":
                report[key] = _vocabulary_value(value, cbv.SENSOR_ALERT_TYPE, node)
            elif key == "component":
                report[key] = _vocabulary_value(value, cbv.COMPONENT, node)
            elif key in _SENSOR_REPORT_NUMBERS:
                report[key] = _number(value, f"sensorReport {key}", line)
            elif key == "booleanValue":
                report[key] = _boolean(value, f"sensorReport {key}", line)
            else:
                report[key] = value
        self.sensor_children(report, node)
        return report

    def sensor_children(self, target: dict[str, Any], node: _Element) -> None:
        for child in _flat(node):
            if _is_epcis(child):
                raise _unexpected(child, _split(node)[1])
            self.extension(target, child)


_Handler = Any  # an unbound _Reader method (reader, event, node) -> None

_EVENT_FIELDS: Final[dict[str, _Handler]] = {
    **dict.fromkeys(
        (
            "eventTime",
            "recordTime",
            "eventTimeZoneOffset",
            "eventID",
            "action",
            "parentID",
            "transformationID",
        ),
        _Reader.simple,
    ),
    "certificationInfo": _Reader.certification_info,
    "errorDeclaration": _Reader.error_declaration,
    "bizStep": _Reader.biz_step,
    "disposition": _Reader.disposition,
    **dict.fromkeys(("epcList", "childEPCs", "inputEPCList", "outputEPCList"), _Reader.epc_list),
    **dict.fromkeys(
        ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"),
        _Reader.quantity_list,
    ),
    "readPoint": _Reader.location,
    "bizLocation": _Reader.location,
    **dict.fromkeys(("bizTransactionList", "sourceList", "destinationList"), _Reader.typed_list),
    "persistentDisposition": _Reader.persistent_disposition,
    "ilmd": _Reader.ilmd,
    "sensorElementList": _Reader.sensor_element_list,
}
_OMIT_WHEN_EMPTY: Final = frozenset(
    {"epcList", "childEPCs", "inputEPCList", "outputEPCList", "quantityList", "childQuantityList",
     "inputQuantityList", "outputQuantityList", "bizTransactionList", "sourceList", "destinationList",
     "sensorElementList"}
)  # fmt: skip


def _sbdh(header: _Element) -> dict[str, str]:
    """The JSON pseudo-SBDH fields, taken only where the SBDH gives exactly one value."""

    def values(*path: str) -> list[str]:
        nodes = [header]
        for step in path:
            nodes = [c for n in nodes for c in _elements(n) if _split(c) == (SBDH_NS, step)]
        return [str("".join(n.itertext())).strip() for n in nodes]

    fields: dict[str, str] = {}
    for key, path in (
        ("sender", ("Sender", "Identifier")),
        ("receiver", ("Receiver", "Identifier")),
        ("instanceIdentifier", ("DocumentIdentification", "InstanceIdentifier")),
    ):
        found = values(*path)
        if len(found) == 1 and found[0]:
            fields[key] = found[0]
    return fields
