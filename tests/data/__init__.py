"""Tests of jaxgan.data."""
