"""Writes of the tokens module, split by concern: ``own`` (our eMSP's tokens and their pushes), ``receive`` (the
CPO side's cache), ``authorize`` (our eMSP's real-time authorization and its extension hook), ``decide`` (the CPO
side's decision for our CSMS) and ``imports`` (CSV card batches)."""
