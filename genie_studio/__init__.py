"""Genie Studio: playable worlds generated from a drawing."""

__version__ = "0.1.0"
