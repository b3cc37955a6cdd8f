"""Tests of the maintainer's pipeline: scripts/codegen and scripts/releasing."""
