"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""

from lti_tool import create_app

app = create_app()
