"""The compatibility assessment: each participant's intake (goals, expertise, languages,
time zone, weekly availability, modality, program questions) and who serves as a mentor;
`profiles.py`, what others read of it (the mentor profile, the mentee's own words)."""
