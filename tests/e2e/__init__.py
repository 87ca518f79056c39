"""End-to-end tests; importing `examples` puts the generated packages on the path."""

import examples  # noqa: F401
