"""Flask extensions, created unbound here and bound to the app in `create_app`."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
# Models subclass `Model` (not `db.Model`): the same class at run time, and one that mypy can
# see (it cannot take an attribute of the `db` object as a base class). Its columns are typed
# by their `Mapped[...]` annotations.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
