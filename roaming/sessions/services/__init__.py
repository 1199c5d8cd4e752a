"""Writes of the sessions module: ``csms`` (our CPO's sessions, reported by our CSMS), ``announce`` (their pushes to
the owning eMSP), ``receive`` (our eMSP's copies of partners' sessions), ``preferences`` (charging preferences)."""
