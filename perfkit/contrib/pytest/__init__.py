"""perfkit's pytest plugin (the ``pytest11`` entry point) and its baseline file."""
