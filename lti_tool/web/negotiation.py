"""Who is asking, by what they accept: JSON for services, HTML for people."""

from flask import request


def wants_json() -> bool:
    accept = request.accept_mimetypes
    best = accept.best_match(["application/json", "text/html"])
    return best == "application/json" and accept[best] > accept["text/html"]
