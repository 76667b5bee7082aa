"""The compatibility assessment: each participant's intake (goals, expertise, languages,
time zone, weekly availability, modality, program questions) and who serves as a mentor."""
