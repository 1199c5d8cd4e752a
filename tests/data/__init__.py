"""Test data kept in the repository, so the suite runs on a bare clone."""

from pathlib import Path

#: the OCPI 2.2.1 specification's JSON examples, copied unchanged (see ocpi-examples/README.md for provenance)
OCPI_EXAMPLES = Path(__file__).resolve().parent / "ocpi-examples"
