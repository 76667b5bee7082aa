"""Matching, pure: compatibility scores, assignment policies, explanations and reports.
No Flask, no database: plain dataclasses in, plain results out (see lti_tool/pairs)."""
