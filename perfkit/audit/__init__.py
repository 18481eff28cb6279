"""The index audit behind ``manage.py perfaudit``."""
