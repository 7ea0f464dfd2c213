"""Zarya: flight software for crewed deep-space missions, and the tools around it."""

__version__ = "0.1.0"
