"""HTTP layer: thin FastAPI routes for discovery, hooks and feedback."""
