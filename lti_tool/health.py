"""`/healthz`: answers 200 when the database answers, 503 otherwise (for load balancers), with
the same `Retry-After` as the tool's pages during an outage."""

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lti_tool.extensions import db

log = logging.getLogger(__name__)
blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("health check failed: %s", exc.__class__.__name__)
        db.session.rollback()
        response = jsonify(status="error", database="unreachable")
        response.status_code = 503
        response.headers["Retry-After"] = str(
            current_app.config["UNAVAILABLE_RETRY_AFTER_SECONDS"])
        return response
    return jsonify(status="ok", database="ok")
