"""Integrations with web frameworks and model libraries; each is imported only when used."""
