"""The HTTP tests' fixtures from tests/http_fixtures.py: stub pipeline, app, client, FHIR server."""

from http_fixtures import _fhir_server, app, capture, client, fhir, settings

__all__ = ["_fhir_server", "app", "capture", "client", "fhir", "settings"]
