"""Writes of the locations module, split by who writes: ``own`` (our CPO data and its pushes), ``receive`` (what
a CPO partner pushes or we pull, eMSP side), ``imports`` (CSV charger mapping) and ``csms`` (our CSMS's API)."""
