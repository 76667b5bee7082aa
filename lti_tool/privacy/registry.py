"""Every column that points at a person, and what the export and the erasure do with it.

`tests/privacy/test_registry.py` compares this table with the schema's foreign keys to
`person.id`: a new model that references people fails that test until it is listed here (and
handled in `services.export_person` and `erasure.erase_person`)."""

from typing import NamedTuple


class Coverage(NamedTuple):
    export: str  # where the download shows it
    erase: str  # delete | scrub (text replaced, link moved to a placeholder) | reassign | unset


PERSON_COLUMNS: dict[tuple[str, str], Coverage] = {
    ("enrolment", "person_id"): Coverage("enrolments", "delete"),
    ("intake_profile", "person_id"): Coverage("intake", "delete"),
    ("intake_mentor", "person_id"): Coverage("mentor_roles", "delete"),
    ("intake_mentor_pool", "person_id"): Coverage("mentor_capacity", "delete"),
    ("pairs_match_run", "created_by_id"): Coverage("staff_actions.match_runs", "unset"),
    ("pairs_proposal", "mentee_id"): Coverage("match_proposals", "delete"),
    ("pairs_proposal", "mentor_id"): Coverage("match_proposals", "delete"),
    ("pairs_pair", "mentee_id"): Coverage("pairs", "reassign"),
    ("pairs_pair", "mentor_id"): Coverage("pairs", "reassign"),
    ("pairs_avoided", "mentee_id"): Coverage("never_pair_rules", "delete"),
    ("pairs_avoided", "mentor_id"): Coverage("never_pair_rules", "delete"),
    ("pairs_mentor_request", "mentee_id"): Coverage("mentor_requests", "delete"),
    ("pairs_mentor_request", "mentor_id"): Coverage("mentor_requests", "delete"),
    ("meetings_meeting", "proposed_by_id"): Coverage("pairs.meetings", "scrub"),
    ("meetings_attendance", "person_id"): Coverage("pairs.meetings.attendance", "reassign"),
    ("meetings_calendar_feed", "person_id"): Coverage("calendar_feed", "delete"),
    ("meetings_program_event", "created_by_id"): Coverage("staff_actions.program_events",
                                                          "unset"),
    ("meetings_event_rsvp", "person_id"): Coverage("event_answers", "delete"),
    ("guides_guide", "updated_by_id"): Coverage("staff_actions.guides_edited", "unset"),
    ("guides_use", "chosen_by_id"): Coverage("pairs.guides_used", "reassign"),
    ("guides_use", "covered_by_id"): Coverage("pairs.guides_used", "unset"),
    ("journal_recap", "author_id"): Coverage("pairs.recaps", "delete unshared, scrub shared"),
    ("journal_action_item", "owner_id"): Coverage("pairs.action_items", "reassign"),
    ("journal_action_item", "created_by_id"): Coverage("pairs.action_items", "scrub"),
    ("journal_message", "author_id"): Coverage("pairs.messages", "scrub"),
    ("journal_thread_state", "person_id"): Coverage("pairs.message_settings", "delete"),
    ("workspace_agreement_version", "proposed_by_id"): Coverage("pairs.agreement_versions",
                                                                "scrub"),
    ("workspace_agreement_template", "updated_by_id"): Coverage(
        "staff_actions.agreement_templates_edited", "unset"),
    ("workspace_checklist_tick", "person_id"): Coverage("pairs.checklist", "delete"),
    ("workspace_goal", "reviewed_by_id"): Coverage("pairs.goals", "unset"),
    ("workspace_goal", "created_by_id"): Coverage("pairs.goals", "delete"),
    ("workspace_goal", "updated_by_id"): Coverage("pairs.goals", "reassign"),
    ("relationships_story", "author_id"): Coverage("stories", "delete"),
    ("surveys_response", "person_id"): Coverage("survey_answers", "delete"),
    ("surveys_receipt", "person_id"): Coverage("surveys_answered", "delete"),
    ("grades_record", "person_id"): Coverage("grades", "delete"),
    ("grades_audit", "person_id"): Coverage("grades.changes", "delete"),
    ("grades_audit", "actor_id"): Coverage("staff_actions.grade_changes", "unset"),
    ("notify_notification", "recipient_id"): Coverage("notifications", "delete"),
    # What each person chose about e-mail, and when they last got one (lti_tool/notify).
    ("notify_preference", "person_id"): Coverage("notification_settings", "delete"),
    ("notify_mailbox", "person_id"): Coverage("notification_settings", "delete"),
    # Keys of forms sent in the last day (which page, when): no content, kept a day.
    ("web_submission", "person_id"): Coverage("form_submissions", "delete"),
    # Activities launched and the page an e-mail's link waits on (lti_tool/courses/landing.py).
    ("courses_launched_link", "person_id"): Coverage("landing.activities_opened", "delete"),
    ("courses_pending_landing", "person_id"): Coverage("landing.pending_page", "delete"),
}
