"""Matching, pure: compatibility scores, assignment policies, explanations and reports.
No Flask, no database: plain dataclasses in, plain results out (lti_tool/pairs converts rows).

- profiles.py: Person, Weights, Constraints (the inputs);
- availability.py: weekly availability as UTC bit-sets for a reference week (DST-exact);
- scoring.py: score_pair and the vectorised score_all -> ScoreTable;
- assignment.py: optimal, stable and greedy matchings, and compare;
- solver.py: the exact sparse solver and its optimality certificate, behind optimal;
- explain.py: plain-language reasons and a recurring slot in both local times;
- report.py: the cohort report for staff.
"""
