"""epcis-repo: a GS1 EPCIS 2.0 event repository."""

__version__ = "0.1.0"
