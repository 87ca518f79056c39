"""Generated-server tests."""
