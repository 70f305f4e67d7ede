"""Facts stage: the only code that reads FHIR JSON; normalises codes, units and dates."""
