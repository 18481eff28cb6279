"""perfkit's django-debug-toolbar panel (the ``toolbar`` extra): see docs/browser.md.

Add ``"perfkit.contrib.debug_toolbar.panel.PerfkitPanel"`` to ``DEBUG_TOOLBAR_PANELS``.
"""
