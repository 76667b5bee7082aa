"""Where platforms enter the tool: the endpoints of lti_tool/lti's protocol wired to the
courses (a launch records the course, person and enrolment and signs the person in) and to the
audit log (a dynamic registration)."""
