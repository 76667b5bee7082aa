"""Courses, people and programs as launches and rosters present them."""
