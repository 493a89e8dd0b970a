"""Thin admin views, one module per flow."""
