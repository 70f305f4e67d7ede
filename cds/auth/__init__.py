"""Trusting CDS Clients (CDS Hooks 2.0 §Trusting CDS Clients), one concern per module.

* :mod:`cds.auth.clients`: the trusted-clients file and its models; the authenticated caller;
* :mod:`cds.auth.keys`: which JWKs may verify a client, and JWK Sets fetched from a ``jku``;
* :mod:`cds.auth.tokens`: verifying the JWT of a call (:class:`~cds.auth.tokens.ClientVerifier`);
* :mod:`cds.auth.replay`: the ``jti`` replay guard interface and its in-process implementation;
* :mod:`cds.auth.replay_store`: the replay guard in the database, shared by all workers;
* :mod:`cds.auth.fhir_servers`: where an authenticated caller may send us (``fhirServer``);
* :mod:`cds.auth.urls`: the URL shapes all of them accept.
"""
