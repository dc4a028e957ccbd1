"""Socle."""
