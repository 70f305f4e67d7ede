"""Trusting CDS Clients (CDS Hooks 2.0 §Trusting CDS Clients), by concern.

* :mod:`cds.client_auth`: the trusted-clients file, the authenticated caller, the fhirServer
  allowlist (it also re-exports the names below, so older imports keep working);
* :mod:`cds.auth.tokens`: verifying the JWT of a call (:class:`~cds.auth.tokens.ClientVerifier`);
* :mod:`cds.auth.keys`: JWK Sets fetched from a client's ``jku`` and cached;
* :mod:`cds.auth.replay`: the ``jti`` replay guard interface and its in-process implementation;
* :mod:`cds.auth.replay_store`: the replay guard in the database, shared by all workers.
"""
