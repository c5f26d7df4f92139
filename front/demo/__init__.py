"""The demo portfolio ``manage.py seed_demo`` builds: who and what is in it
(``portfolio``) and how each use case lives its history through the
services (``history``)."""
