"""Contracts and plumbing shared by the Loop311 services."""
