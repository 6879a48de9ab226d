"""Registered components; filled by the owning module."""
