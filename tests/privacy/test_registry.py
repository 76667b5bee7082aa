"""The privacy registry stays honest as the app grows: every column that references a person
must be listed in lti_tool/privacy/registry.py (and so be handled by the export and the
erasure). Add a model with a person foreign key and this fails until you cover it."""

from lti_tool.extensions import db
from lti_tool.privacy.registry import PERSON_COLUMNS

ERASE_RULES = {"delete", "scrub", "reassign", "unset", "delete unshared, scrub shared"}


def person_columns(app) -> set[tuple[str, str]]:
    with app.app_context():
        return {(table.name, fk.parent.name)
                for table in db.metadata.sorted_tables
                for fk in table.foreign_keys
                if fk.column.table.name == "person" and not table.name.startswith("sandbox_")}


def test_every_person_reference_is_covered_by_the_export_and_the_erasure(app):
    found = person_columns(app)
    assert found, "the schema has person references"
    missing = found - set(PERSON_COLUMNS)
    assert not missing, f"Cover these in lti_tool/privacy (registry, export, erasure): {missing}"
    stale = set(PERSON_COLUMNS) - found
    assert not stale, f"No longer in the schema, remove from the registry: {stale}"


def test_every_entry_says_what_the_erasure_does(app):
    for key, coverage in PERSON_COLUMNS.items():
        assert coverage.erase in ERASE_RULES, key
        assert coverage.export, key
